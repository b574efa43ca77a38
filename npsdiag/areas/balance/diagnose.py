"""The balance area's diagnosis: its checks, then its finding rules, gathered into an :class:`AreaResult`."""

from __future__ import annotations

from ...clean import Prepared
from ...findings import AreaResult
from . import checks, rules

__all__ = ["diagnose"]


def diagnose(prep: Prepared) -> AreaResult:
    """Diagnose the balance area of one client's NPS program.

    Parameters
    ----------
    prep : Prepared
        The client's data after :func:`npsdiag.clean.prepare`.

    Returns
    -------
    AreaResult
        Findings ``balance.role_skew``, ``single_voice``, ``concentration``,
        ``revenue_coverage``, ``role_gap`` and ``nonresponse_bias`` (each
        only on evidence); tables of the role mix, NPS by role, the adjusted
        NPS, voices per account, revenue coverage and response rates; their
        figures. Checks whose inputs are missing are listed in the notes and
        in ``checks`` (not assessed, with the reason).
    """
    reason = checks.unassessable(prep)
    if reason:
        return AreaResult("balance", not_assessed_reason=reason, checks=checks.skipped_all(reason))
    inputs = checks.gather(prep)
    adjusted = checks.adjusted_nps(inputs)
    mix = checks.role_mix(inputs)
    gap = checks.role_gap(inputs, adjusted)
    voices = checks.voices_per_account(inputs)
    conc = checks.concentration(inputs)
    coverage = checks.revenue_coverage(inputs)
    nonresponse = checks.nonresponse(inputs)
    done = [adjusted, mix, gap, voices, conc, coverage, nonresponse]
    findings = [f for f in (rules.role_skew(mix.context, adjusted.context), rules.role_gap(gap.context),
                            rules.single_voice(voices.context), rules.concentration(conc.context),
                            rules.revenue_coverage(coverage.context), rules.nonresponse_bias(nonresponse.context))
                if f is not None]
    summary = rules.summary(findings, done)
    return AreaResult.from_checks("balance", done, findings, summary, table_order=checks.TABLE_ORDER,
                                  illustrates=rules.ILLUSTRATES)
