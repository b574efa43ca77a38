"""The messages of the deliverable: findings grouped by root cause, with value, action, owner and KPI.

:func:`messages` groups the findings by :data:`~npsdiag.story.causes.CAUSES`,
computes each message's value at stake (:mod:`npsdiag.story.value`), its
recommendation, owner role and KPI (baseline, target, and the number of days
from the report to reach it), and ranks them by business impact: money at stake, then
severity, then the amount of evidence; not by chapter order.
:func:`unassessed` says, in business terms, what could not be assessed and
which file would make it possible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..clean import Prepared
from ..findings import SEVERITIES, Diagnosis, Figure, Finding
from ..fmt import num, pct, pts
from ..text import tokenize
from ..text.lexicon import match_lexicon
from .causes import CAUSES, Cause, cause_of
from .value import (
    decision_makers_unheard,
    excess_churn_revenue,
    money,
    open_detractors,
    segment_revenue,
    value_total,
)
from .which import measure_name

__all__ = ["Kpi", "Message", "messages", "message_dicts", "unassessed", "MAX_MESSAGES", "PRIORITIES", "URGENT",
           "MATERIAL_SHARE", "THEME_OWNERS", "theme_owner"]

#: At most this many messages reach the summary and the brief.
MAX_MESSAGES = 5
#: Priorities, most urgent first.
PRIORITIES = ("Act now", "Plan", "Note")
#: Causes that harm customers now: "Act now" whenever their finding is high.
URGENT = ("closed_loop", "low_score")
#: A high message putting at least this share of the accounts' ARR at stake is "Act now".
MATERIAL_SHARE = 0.05


@dataclass
class Kpi:
    """What to measure, where it stands, where it should be and by when."""

    name: str
    baseline: float | None
    target: float | None
    unit: str  # "share", "points", "count"
    #: days from the report to reach the target (a date would depend on the day the report is delivered)
    days: int
    #: the programme's own target when ``target`` is a first step towards it (None: the target is the goal)
    goal: float | None = None

    @property
    def by(self) -> str:
        """When the target is due, counted from the report: "in 90 days"."""
        return f"in {self.days} days"

    @property
    def step(self) -> str:
        """The target and when it is due, with the goal it is a step towards: "43% in 180 days, on the way to
        80%"."""
        text = f"{self.text(self.target)} {self.by}"
        if self.goal is not None and self.goal != self.target:
            text += f", on the way to {self.text(self.goal)}"
        return text

    def text(self, value: float | None) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "n/a"
        if self.unit == "share":
            return pct(value)
        if self.unit == "points":
            return pts(value, 0)
        return num(value)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "baseline": self.baseline, "target": self.target, "unit": self.unit,
                "days": self.days, "by": self.by, "goal": self.goal}


@dataclass
class Message:
    """One message of the deliverable: a root cause, its evidence, its value and its action."""

    cause: Cause
    findings: list[Finding]
    conclusion: str
    severity: str
    value: float | None = None
    value_label: str = ""
    value_note: str = ""
    recommendation: str = ""
    kpi: Kpi | None = None
    figure: Figure | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: the role that owns this message when it is not the cause's (a driver or a theme with an owner of its own)
    owner_role: str | None = None

    @property
    def owner(self) -> str:
        """The role that owns the action: :attr:`owner_role`, else the cause's owner."""
        return self.owner_role or self.cause.owner
    #: "Act now", "Plan" or "Note" (:data:`PRIORITIES`), set by :func:`messages`.
    priority: str = "Plan"

    @property
    def title(self) -> str:
        """The root cause, as the message's kicker; the exhibit is titled by :attr:`conclusion`."""
        return self.cause.title

    @property
    def horizon(self) -> int:
        """Days to start within: 30 for "Act now", else the cause's horizon (30, 60 or 90)."""
        return 30 if self.priority == "Act now" else self.cause.horizon


def _closed_loop(m: Message, prep: Prepared, diag: Diagnosis, currency: str | None) -> None:
    value, accounts = open_detractors(prep, diag)
    if value:
        m.value, m.value_label = value, (f"ARR of {num(accounts)} active accounts with an unhappy customer nobody "
                                        "has called back")
        m.value_note = "revenue exposed, not a forecast: these accounts have not churned yet"
    ev = {f.id: f.evidence for f in m.findings}
    sla = (ev.get("decay.slow_follow_up") or {}).get("sla_days", prep.settings.follow_up_sla_days)
    base = (ev.get("decay.slow_follow_up") or {}).get("share_within_sla")
    if base is None and "decay.no_follow_up" in ev:
        base = 1 - float(ev["decay.no_follow_up"].get("share_never", 0))
    m.kpi = Kpi(f"Unhappy customers called back within {sla:g} days", base, 0.8, "share", 90)
    m.recommendation = (f"Call back every detractor within {sla:g} days, starting with the callback queue (highest "
                        "revenue first), and review the late and missed calls weekly per team.")


def _decision_makers(m: Message, prep: Prepared, diag: Diagnosis, currency: str | None) -> None:
    value, accounts = decision_makers_unheard(prep)
    if value:
        m.value, m.value_label = value, (f"ARR of {num(accounts)} accounts renewing in the next two quarters with no "
                                         "decision maker heard in the past year")
        m.value_note = "renewals decided by people the programme does not hear"
    ev = {f.id: f.evidence for f in m.findings}
    base = (ev.get("balance.revenue_coverage") or {}).get("mean_share_decision")
    # a staged target: 20 points up in two quarters, towards the programme's coverage target
    target = prep.settings.revenue_coverage_target
    m.kpi = Kpi("ARR heard from a decision maker each quarter", base,
                None if base is None else min(target, float(base) + 0.2), "share", 180, goal=target)
    m.recommendation = ("Survey the decision makers of every account before renewal (executive interviews for the "
                        "largest), and report their NPS beside the usual one.")


def _segments(m: Message, prep: Prepared, diag: Diagnosis, currency: str | None) -> None:
    hidden = next((f for f in m.findings if f.id == "segmentation.hidden_segment"), None)
    if hidden is not None:
        # the segment as the finding's title names it ("Region APAC", "Pace “Too slow”")
        name = hidden.evidence.get("name") or f"{hidden.evidence.get('dimension')} {hidden.evidence.get('segment')}"
        value = segment_revenue(prep, hidden)
        if value:
            m.value = value
            m.value_label = f"ARR of active accounts in {name} whose latest score is a detractor's"
            m.value_note = "revenue exposed in the segment, not a forecast of loss"
        nps_ = hidden.evidence.get("nps")
        m.kpi = Kpi(f"NPS of {name}", nps_,
                    None if nps_ is None else min(float(hidden.evidence.get("overall_nps", nps_ + 10)), nps_ + 10),
                    "points", 180)
    m.recommendation = ("Give the weakest segment its own plan and owner, and report NPS per segment (not only the "
                        "average) to the leadership team.")


def _retention(m: Message, prep: Prepared, diag: Diagnosis, currency: str | None) -> None:
    value, extra = excess_churn_revenue(prep, diag)
    ids = {f.id for f in m.findings}
    if value and not ids & {"outcome.no_link", "outcome.inverse_link", "outcome.suspicious_link"}:
        m.value, m.value_label = value, ("ARR at most: the churn of today's detractor and passive accounts beyond "
                                         "the promoters' rate (an association, not a forecast)")
        m.value_note = ("an upper bound of what moving them to promoters could keep; a randomised test (e.g. calling "
                        "back half of them first) would show how much is caused by the experience")
    m.extra.update(extra)
    linked = not ids & {"outcome.no_link", "outcome.inverse_link"}
    m.recommendation = ("Use the score as an early-warning signal only where it predicts churn, and check that "
                        "it still does at each round of renewals.") if linked else (
        "Do not steer retention by this score until it predicts churn: find out what does (usage, support, "
        "decision makers' views).")


def _voices(m: Message, prep: Prepared, diag: Diagnosis, currency: str | None) -> None:
    ev = {f.id: f.evidence for f in m.findings}
    single = (ev.get("balance.single_voice") or {}).get("share")
    m.kpi = Kpi("Responding accounts heard through two or more people", None if single is None else 1 - single,
                None if single is None else min(1.0, 1 - single + 0.2), "share", 180)
    m.recommendation = "Invite several people per account (a decision maker and the daily users), not one champion."


def _listening(m: Message, prep: Prepared, diag: Diagnosis, currency: str | None) -> None:
    ev = {f.id: f.evidence for f in m.findings}
    trend = ev.get("decay.response_rate_trend") or {}
    if trend:
        m.kpi = Kpi("Share of survey invitations answered", trend.get("rate_end"), trend.get("rate_start"),
                    "share", 180)
    m.recommendation = "Shorten and time the survey, and survey accounts before each renewal, not on a fixed calendar."


#: What each data finding asks of the survey's owner, in the order the recommendation lists them.
_DATA_FIXES = (
    ("reliability.feed_gaps", "monitor the survey feed weekly so that a broken feed is noticed within days"),
    ("reliability.missing_values", "make the recommendation question mandatory and export every submission date"),
    ("reliability.out_of_range", "export scores as numbers on one scale"),
    ("reliability.test_responses", "keep tests and previews out of the production export"),
    ("reliability.duplicates", "remove duplicate imports and apply one rule for repeat answers"),
    ("reliability.date_anomalies", "check the time zone and date format of the feed"),
)


def _data(m: Message, prep: Prepared, diag: Diagnosis, currency: str | None) -> None:
    if all(f.id == "reliability.small_sample" for f in m.findings if f.severity in ("high", "medium")):
        # nothing is wrong with the export: there are too few answers for a precise score
        m.recommendation = ("Collect more responses before acting on small differences: survey more customers or "
                            "report over a longer period, and always show the score with its margin of error.")
        return
    usable = len(prep.responses) / max(len(prep.flags), 1)
    if usable < 0.99:
        m.kpi = Kpi("Survey rows usable for analysis", usable, 0.99, "share", 30)
    # only the fixes the findings call for: a survey with missing scores is not told to remove tests it has not got
    ids = {f.id for f in m.findings}
    fixes = [fix for fid, fix in _DATA_FIXES if fid in ids]
    m.recommendation = "Fix the survey data at the source: " + "; ".join(fixes or [_DATA_FIXES[0][1]]) + "."


def _gaming(m: Message, prep: Prepared, diag: Diagnosis, currency: str | None) -> None:
    # a process control, not a target aimed at a person: no KPI counting owners
    m.recommendation = ("Check in private how surveys are sent and recorded under the owners concerned (named "
                        "results are in the private annex for the programme owner), send surveys centrally rather "
                        "than by the account owner, and do not tie pay to individual scores.")


def _named(m: Message, *keys: str) -> str | None:
    """The first of ``keys`` found in the message's findings' evidence (a theme, a driver...)."""
    for f in m.findings:
        for k in keys:
            v = f.evidence.get(k)
            if isinstance(v, str) and v:
                return v
            if isinstance(v, list) and v and isinstance(v[0], str):
                return v[0]
            if isinstance(v, list) and v and isinstance(v[0], dict):  # rows of a table: the first row's name
                name = v[0].get(k.rstrip("s"))
                if isinstance(name, str) and name:
                    return name
    return None


#: Who owns what customers write about, or rate, by theme of the default lexicon.
THEME_OWNERS = {
    "support & service": "Head of Support", "price & value": "Head of Pricing, with Finance",
    "billing & payments": "Head of Billing, with Finance", "onboarding & setup": "Head of Onboarding",
    "product quality & bugs": "Head of Engineering", "reliability & outages": "Head of Engineering and Operations",
    "speed & performance": "Head of Engineering", "ease of use": "Head of Product",
    "features & product fit": "Head of Product", "account management": "Head of Customer Success",
}


def theme_owner(name: str | None) -> str | None:
    """The owner of a theme (:data:`THEME_OWNERS`), or of a driver question named like one ("Support", "Value
    for money": its words matched against the default lexicon, the theme with most matches); None when
    none matches, or two themes match as well.

    Examples
    --------
    >>> theme_owner("account management"), theme_owner("Value for money"), theme_owner("Ease of use")
    ('Head of Customer Success', 'Head of Pricing, with Finance', 'Head of Product')
    >>> theme_owner("Overall impression") is None
    True
    """
    if not name:
        return None
    if name.lower() in THEME_OWNERS:
        return THEME_OWNERS[name.lower()]
    hits = match_lexicon(tokenize([name])).iloc[0]
    hits = hits[hits.index.isin(list(THEME_OWNERS)) & (hits > 0)].sort_values(ascending=False)
    if not len(hits) or (len(hits) > 1 and hits.iloc[0] == hits.iloc[1]):
        return None
    return THEME_OWNERS[hits.index[0]]


def _complaints(m: Message, prep: Prepared, diag: Diagnosis, currency: str | None) -> None:
    theme = _named(m, "themes", "theme")
    what = f"the complaint theme \u201c{theme}\u201d" if theme else "the top complaint theme"
    m.owner_role = theme_owner(theme)
    m.recommendation = (f"Give {what} a fix date and a plan, and track its share of detractor comments."
                        if m.owner_role else
                        f"Give {what} an owner and a fix date, and track its share of detractor comments.")


def _drivers(m: Message, prep: Prepared, diag: Diagnosis, currency: str | None) -> None:
    driver = _named(m, "score_driver", "driver", "drivers")
    m.owner_role = theme_owner(driver)
    what = f"\u201c{driver}\u201d, the driver" if driver else "the driver"
    m.recommendation = (f"Look first at {what} that accounts for most of the score's variation (where the score "
                        "varies, not proof of what causes it), and track its rating.")


_DETAIL = {"closed_loop": _closed_loop, "decision_makers": _decision_makers, "segments": _segments,
           "retention": _retention, "voices": _voices, "listening": _listening, "data": _data, "gaming": _gaming,
           "complaints": _complaints, "drivers": _drivers}


def _figure_for(diag: Diagnosis, findings: list[Finding]) -> Figure | None:
    """The figure that shows the evidence of the message's most severe finding."""
    for f in findings:
        res = diag.areas.get(f.area)
        for fig in (res.figures if res is not None else []):
            if f.id in fig.illustrates:
                return fig
    return None


def messages(diag: Diagnosis, prep: Prepared, min_severity: str = "medium") -> list[Message]:
    """The messages of the deliverable, most important first.

    Parameters
    ----------
    diag : Diagnosis
    prep : Prepared
    min_severity : str
        Findings at least this severe make a message (default: high and medium); less severe findings of a
        cause that has a message join it as evidence.

    Returns
    -------
    list of Message
        Ranked by money at stake (in the client's currency), then severity, then the number of findings.
    """
    currency = prep.settings.currency
    grouped: dict[str, list[Finding]] = {}
    for f in diag.findings:
        cause = cause_of(f.id)
        if cause is not None:
            grouped.setdefault(cause.key, []).append(f)
    limit = SEVERITIES.index(min_severity)
    out = []
    for cause in CAUSES:
        found = sorted(grouped.get(cause.key, []), key=lambda f: (SEVERITIES.index(f.severity), _rank(cause, f.id)))
        if not found or SEVERITIES.index(found[0].severity) > limit:
            continue
        m = Message(cause, found, found[0].title, found[0].severity)
        _DETAIL[cause.key](m, prep, diag, currency)
        m.figure = _figure_for(diag, found)
        out.append(m)
    business_case = _business_case(prep, diag, {m.cause.key for m in out})
    if business_case is not None:
        out.append(business_case)
    low = _low_score(diag, prep)
    if low is not None:
        out.append(low)
    total = value_total(prep)
    for m in out:
        m.priority = _priority(m, total)
    out.sort(key=lambda m: (PRIORITIES.index(m.priority), -(m.value or 0.0), SEVERITIES.index(m.severity),
                            -sum(f.severity in ("high", "medium") for f in m.findings)))
    return out


def _rank(cause: Cause, finding_id: str) -> int:
    """Position of a finding in its cause's list (prefix entries match every finding of the area)."""
    for i, f in enumerate(cause.findings):
        if finding_id == f or (f.endswith(".") and finding_id.startswith(f)):
            return i
    return len(cause.findings)


def _priority(m: Message, total: float | None) -> str:
    """"Act now" only for a high finding that puts a material share of revenue at stake or harms people now
    (unanswered detractors, scores inflated where pay depends on them); "Plan" for the other high and medium
    findings; "Note" for the rest."""
    if m.severity == "high" and (m.cause.key in URGENT or (m.value and total and m.value >= MATERIAL_SHARE * total)):
        return "Act now"
    return "Plan" if m.severity in ("high", "medium") else "Note"


def _business_case(prep: Prepared, diag: Diagnosis, present: set[str]) -> Message | None:
    """The retention message when the score does predict churn: detractor accounts churn measurably more.

    Fires only when the detractors' churn interval lies entirely above the promoters' (95% Wilson intervals of
    the outcome area's ``churn_by_category``) and no finding of the retention cause says otherwise.
    """
    if "retention" in present:
        return None
    out = diag.areas.get("outcome")
    table = out.tables.get("churn_by_category") if out is not None else None
    if table is None or not {"category", "churn_rate", "rate_ci_low", "rate_ci_high"} <= set(table):
        return None
    t = table.set_index("category")
    if not {"detractor", "promoter"} <= set(t.index) or not t.loc["detractor", "rate_ci_low"] > t.loc[
            "promoter", "rate_ci_high"]:
        return None
    cause = next(c for c in CAUSES if c.key == "retention")
    d, p = float(t.loc["detractor", "churn_rate"]), float(t.loc["promoter", "churn_rate"])
    m = Message(cause, [], f"Detractor accounts churned more often: {pct(d)} of them left against {pct(p)} of "
                           "promoter accounts", "medium")
    _retention(m, prep, diag, prep.settings.currency)
    m.extra["business_case"] = True
    return m


def _low_score(diag: Diagnosis, prep: Prepared) -> Message | None:
    """A very low score is itself the headline: when the whole interval of the NPS lies below zero (more
    detractors than promoters, beyond sampling noise), a high message leads, whatever the other findings."""
    h = diag.headline
    if h.get("nps") is None or h.get("ci_high") is None or not float(h["ci_high"]) < 0:
        return None
    cause = next(c for c in CAUSES if c.key == "low_score")
    det, pro = h.get("pct_detractors"), h.get("pct_promoters")
    shares = (f": {det:.0f}% of answers are detractors' against {pro:.0f}% promoters'"
              if det is not None and pro is not None else "")
    name = "NPS" if measure_name(prep)[0].startswith("Net Promoter Score") else "score"
    m = Message(cause, [], f"The {name} is {pts(h['nps'], 0)} (from {pts(h['ci_low'], 0)} to {pts(h['ci_high'], 0)})"
                           + shares, "high")
    m.kpi = Kpi(f"{name} (every response counts once)", float(h["nps"]), min(0.0, float(h["nps"]) + 10), "points", 180)
    m.recommendation = ("Treat the score as a business problem, not a survey result: fix first what detractors "
                        "complain about most, and review progress monthly at the leadership meeting.")
    return m


def message_dicts(msgs: list[Message], currency: str | None = None) -> list[dict[str, Any]]:
    """The messages as findings.json holds them."""
    return [{"cause": m.cause.key, "title": m.title, "conclusion": m.conclusion, "severity": m.severity,
             "priority": m.priority, "findings": [f.id for f in m.findings], "value_at_stake": m.value,
             "value_at_stake_text": money(m.value, currency) if m.value else None, "value_label": m.value_label,
             "owner": m.owner, "horizon_days": m.horizon,
             "kpi": m.kpi.to_dict() if m.kpi is not None else None, "recommendation": m.recommendation}
            for m in msgs]



#: For an area (or a check) that could not be assessed: what the client loses, and the file that would fix it.
_ASK = {
    "outcome": ("whether the score predicts churn, and what unhappy customers are worth",
                "the CRM renewal file: account id, renewal or churn date, churned yes/no, ARR"),
    "decay": ("whether unhappy customers are called back in time, and whether late calls cost renewals",
              "the date each detractor was called back (closed-loop or case-closed date), and the invitations sent"),
    "balance": ("whose voice the score is: decision makers or users, one person or many per account",
                "the contact list with job roles per account, and the invitations sent"),
    "segmentation": ("where the score is good or bad",
                     "segment columns: region, plan, product, industry, channel or journey stage"),
    "verbatims": ("what unhappy customers complain about", "the free-text answer to 'why this score?'"),
    "drivers": ("what moves the score", "the ratings of driver questions (ease, support, value...)"),
    "reliability": ("whether the data can be trusted throughout", "response dates, response ids and survey status"),
}


def unassessed(diag: Diagnosis) -> list[dict[str, str]]:
    """What could not be assessed and why it matters, in business terms, with the file to ask the client for.

    One entry per area that could not be assessed at all or only in part: ``area``, ``what`` (what the client
    does not learn), ``ask`` (the file to send) and ``why`` (the reasons the checks gave).
    """
    out = []
    for name, res in diag.areas.items():
        if res.status == "not_assessed" or res.unassessed:
            what, ask = _ASK.get(name, ("this part of the diagnosis", "the missing data"))
            reasons = [res.not_assessed_reason] if res.not_assessed_reason else [c.reason or c.name
                                                                                 for c in res.unassessed]
            if res.status != "not_assessed":
                # partly assessed: what is missing is what its checks say, not the area's whole input
                ask = "; ".join(dict.fromkeys(reasons))
            out.append({"area": name, "what": what, "ask": ask, "why": "; ".join(dict.fromkeys(reasons)),
                        "partly": res.status != "not_assessed"})
    return out
