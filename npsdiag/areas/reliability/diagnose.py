"""The reliability area's diagnosis: its checks, the findings the rules make of them, the area's result."""

from __future__ import annotations

from ...clean import Prepared
from ...findings import AreaResult, not_assessed
from . import checks, rules

__all__ = ["diagnose"]


def diagnose(prep: Prepared) -> AreaResult:
    """Diagnose the reliability area of one client's NPS program.

    Parameters
    ----------
    prep : Prepared
        The client's data after :func:`npsdiag.clean.prepare`.

    Returns
    -------
    AreaResult
        Findings ``reliability.missing_values``, ``out_of_range``,
        ``test_responses``, ``date_anomalies``, ``duplicates``, ``feed_gaps``,
        ``small_sample`` and ``score_gaming`` (each only when its evidence is
        there); tables ``trust_summary``, ``lineage``, ``exclusions``,
        ``feed_gaps``, ``trend``, ``sample_size_plan``, ``owners``; figures of
        volume over time, the NPS trend and the owners' funnel plot; the
        checks ``exclusions``, ``feed_continuity``, ``precision`` and
        ``score_gaming`` (assessed or not) and the ``trust_summary`` that sums
        them up. Not assessed when the responses file has no rows.
    """
    excl = checks.exclusions(prep)
    if not excl.assessed:
        return not_assessed("reliability", excl.reason or "")
    feed, precision, gaming = checks.feed_continuity(prep), checks.precision(prep), checks.score_gaming(prep)
    findings = [rules.exclusion_finding(fid, excl.context) for fid in rules.EXCLUSION_FINDINGS]
    findings += [rules.feed_gaps_finding(feed.context), rules.small_sample_finding(precision.context),
                 rules.score_gaming_finding(gaming.context)]
    findings = [f for f in findings if f is not None]
    ran = [excl, feed, precision, gaming]
    return AreaResult.from_checks("reliability", [*ran, checks.trust_summary(ran, findings)], findings,
                                  summary=rules.summary(ran, findings), table_order=checks.TABLE_ORDER,
                                  illustrates=rules.ILLUSTRATES)
