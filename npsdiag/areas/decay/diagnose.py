"""The decay area's diagnosis: its checks, its rules, one :class:`~npsdiag.findings.AreaResult`."""

from __future__ import annotations

from ...clean import Prepared
from ...findings import AreaResult, not_assessed
from . import checks, rules

__all__ = ["diagnose"]


def diagnose(prep: Prepared) -> AreaResult:
    """Diagnose the decay area of one client's NPS program.

    Parameters
    ----------
    prep : Prepared
        The client's data after :func:`npsdiag.clean.prepare`.

    Returns
    -------
    AreaResult
        Findings ``decay.slow_follow_up``, ``decay.no_follow_up``,
        ``decay.follow_up_effect``, ``decay.score_staleness``,
        ``decay.response_rate_trend`` and ``decay.response_latency``; every
        hypothesis test's p-value is adjusted across the area
        (Benjamini-Hochberg) before a finding fires. The callback queue is
        exported as ``callback_queue.csv``.

    Notes
    -----
    Each check is assessed only when its inputs exist (follow-up dates,
    account outcomes, outcome dates, invitations); the others are named in
    the notes. Nothing here raises on odd data: parts that cannot be
    estimated degrade to a note.
    """
    inputs = checks.gather(prep)
    if inputs is None:
        return not_assessed("decay", rules.NOT_ASSESSED)
    linked = checks.linked_outcomes(inputs)
    follow_up = checks.follow_up(inputs)
    found = [checks.account_outcomes(inputs, linked), follow_up, checks.follow_up_effect(inputs, follow_up, linked),
             checks.score_staleness(inputs, linked)]
    linked = None  # the response-level frame is freed before the invitation-level one is built
    matched = checks.matched_invitations(inputs)
    found += [checks.response_rates(inputs, matched), checks.response_latency(inputs, matched)]
    matched = None
    adjusted = checks.multiple_testing(inputs, found)
    findings = rules.findings(found, adjusted)
    queue = checks.callback_queue_summary(inputs)
    result = AreaResult.from_checks("decay", [*found, adjusted, queue], findings,
                                    rules.summary(findings, follow_up), illustrates=rules.ILLUSTRATES)
    result.exports.update(queue.context.get("exports", {}))
    return result
