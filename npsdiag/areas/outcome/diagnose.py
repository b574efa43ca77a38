"""Outcome's diagnosis: the checks, then the rules, gathered into the area's result."""

from __future__ import annotations

from ...clean import Prepared
from ...findings import AreaResult, not_assessed
from . import checks, rules

__all__ = ["diagnose"]


def diagnose(prep: Prepared) -> AreaResult:
    """Diagnose the outcome area of one client's NPS program.

    Parameters
    ----------
    prep : Prepared
        The client's data after :func:`npsdiag.clean.prepare`.

    Returns
    -------
    AreaResult
        ``not_assessed`` without accounts carrying ``churned``; otherwise
        tables ``linking``, ``churn_by_category``, ``models``,
        ``score_definitions``, ``false_signals``, ``roles`` and
        ``churn_drivers`` (where the inputs exist), figures, and the findings
        ``outcome.unlinked``, ``outcome.no_link``, ``outcome.inverse_link``,
        ``outcome.suspicious_link``, ``outcome.false_comfort`` and
        ``outcome.role_predictiveness``.
    """
    reason = checks.missing_inputs(prep)
    if reason:
        return not_assessed("outcome", reason)
    inp = checks.gather(prep)
    link = checks.unlinked(inp)
    accounts = checks.accounts(inp)
    churn = checks.churn_by_category(inp, accounts)
    logit = checks.logit(inp, accounts)
    cox = checks.cox(inp, accounts)
    auc = checks.auc(inp, accounts, logit, cox)
    definitions = checks.score_definitions(inp, accounts)
    signals = checks.false_signals(inp, accounts)
    roles = checks.role_models(inp, accounts)
    churn_drivers = checks.churn_drivers(inp, accounts)

    alpha = 1 - inp.confidence
    found = [rules.unlinked(link.context), rules.association(churn.context, logit.context, auc.context, alpha),
             rules.suspicious_link(churn.context, auc.context), rules.false_comfort(signals.context, churn.context),
             rules.role_predictiveness(roles.context, alpha)]
    findings = [f for f in found if f is not None]
    summary = rules.summary(findings, accounts.context, churn.context, auc.context)
    # the AUC's warnings (too few outcomes to judge) lead the notes: auc comes second
    ordered = [link, auc, accounts, churn, logit, cox, definitions, signals, roles, churn_drivers]
    return AreaResult.from_checks("outcome", ordered, findings, summary, table_order=checks.TABLE_ORDER,
                                  illustrates=rules.ILLUSTRATES)
