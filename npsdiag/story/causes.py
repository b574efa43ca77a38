"""The root causes findings share: one message per cause instead of one row per finding.

"Decision makers are not heard" instead of three rows about roles, revenue
coverage and role gaps. Each :class:`Cause` names the findings it groups, the
role that owns the action and the horizon to act within (the action plan's
30/60/90 days).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Cause", "CAUSES", "cause_of"]


@dataclass(frozen=True)
class Cause:
    """A root cause that several findings can share.

    Attributes
    ----------
    key : str
        Its id in findings.json (``"cause"`` of each finding).
    title : str
        The message, in plain words.
    findings : tuple of str
        Finding ids (or ``"<area>."`` prefixes) it groups; the message's conclusion is the title of the first
        of its most severe findings in this order.
    owner : str
        The role that owns the action.
    horizon : int
        Days to act within (30, 60 or 90): the action plan's order.
    """

    key: str
    title: str
    findings: tuple[str, ...]
    owner: str
    horizon: int


#: The causes, in no particular order (messages are ranked by impact).
CAUSES: tuple[Cause, ...] = (
    Cause("closed_loop", "Unhappy customers are not called back in time",
          ("decay.slow_follow_up", "decay.no_follow_up", "decay.follow_up_effect"), "Head of Customer Success", 30),
    Cause("decision_makers", "The people who decide renewals are barely heard",
          ("balance.revenue_coverage", "balance.role_gap", "outcome.role_predictiveness", "balance.role_skew",
           "outcome.false_comfort"), "Head of Customer Experience", 60),
    Cause("segments", "Some customers are far less happy than the average shows",
          ("segmentation.hidden_segment", "segmentation.dispersion", "segmentation.mix_shift"),
          "Regional and product leaders", 90),
    Cause("retention", "What the score says about churn",
          ("outcome.no_link", "outcome.inverse_link", "outcome.suspicious_link", "outcome.unlinked"),
          "Chief Customer Officer", 90),
    Cause("voices", "A few accounts and people speak for the whole customer base",
          ("balance.single_voice", "balance.concentration"), "CX programme manager", 60),
    Cause("listening", "Fewer customers answer, and those who do are not typical",
          ("decay.response_rate_trend", "balance.nonresponse_bias", "decay.response_latency", "decay.score_staleness"),
          "CX programme manager", 60),
    Cause("data", "The survey data needs fixing before every number can be trusted",
          ("reliability.missing_values", "reliability.out_of_range", "reliability.duplicates",
           "reliability.test_responses", "reliability.date_anomalies", "reliability.feed_gaps",
           "reliability.small_sample"), "Survey operations", 30),
    Cause("gaming", "An unusual pattern of top scores under some account owners", ("reliability.score_gaming",),
          "Head of Customer Success, with HR", 30),
    Cause("low_score", "More customers would warn others off than recommend you", (),
          "Chief Executive, with the Chief Customer Officer", 30),
    Cause("complaints", "What unhappy customers write about", ("verbatims.",), "Product and operations leaders", 90),
    Cause("drivers", "What moves the score", ("drivers.",), "Product and operations leaders", 90),
)


def cause_of(finding_id: str) -> Cause | None:
    """The cause a finding belongs to (None for a finding no cause groups)."""
    for cause in CAUSES:
        if any(finding_id == f or (f.endswith(".") and finding_id.startswith(f)) for f in cause.findings):
            return cause
    return None


