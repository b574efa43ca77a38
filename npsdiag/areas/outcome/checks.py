"""Outcome's checks: one function per check, each returning a :class:`~npsdiag.findings.Check`.

The checks share :class:`Inputs` (:func:`gather`): every response's account
located once in the de-duplicated accounts table, from the cached integer
codes of the prepared data (:meth:`npsdiag.clean.Prepared.codes`). The
``accounts`` check builds the account-level table the model checks use; when
too few accounts have an outcome and a prior score, it is skipped and so are
they. A check's ``context`` holds what the rules (:mod:`.rules`) read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from ...clean import Prepared
from ...findings import Check, Figure
from ...linking import account_positions, accounts_table
from ...stats.auc import AucTest, auc_delong
from ...stats.nps import Breaks
from ...stats.regression import CoxFit
from .. import drivers
from . import churn, definitions, hazard
from .accounts import (
    LINK_STATUSES,
    decision_roles,
    link_table,
    role_scores_by_account,
    scores_by_account,
    usable_responses,
)
from .figures import plot_churn_by_category, plot_churn_curve, plot_roles
from .rules import MIN_ACCOUNTS

__all__ = ["Inputs", "TABLE_ORDER", "SCORE", "missing_inputs", "gather", "unlinked", "accounts", "churn_by_category",
           "logit", "cox", "auc", "score_definitions", "false_signals", "role_models", "churn_drivers"]

#: The area's tables in report order.
TABLE_ORDER = ["linking", "churn_by_category", "models", "score_definitions", "false_signals", "roles",
               "churn_drivers"]
#: The account score the models use (:func:`~npsdiag.areas.outcome.account_scores`: the latest before the outcome,
#: decision makers' first).
SCORE = "score"


@dataclass(frozen=True)
class Inputs:
    """What the outcome checks share.

    Attributes
    ----------
    prep : Prepared
    table : DataFrame
        The accounts with an id, one row per id (:func:`npsdiag.linking.accounts_table`).
    pos : array of int
        Each response's row in ``table`` (-1: id not in it, -2: no id).
    role_codes : (codes, uniques) or None
        The responses' role column's cached codes; None without roles.
    segments : list of str
        The account segment columns of the config present in the accounts table.
    confidence : float
    breaks : Breaks
    embargo_days : float
        Responses this many days (or fewer) before an account's outcome do not predict it.
    """

    prep: Prepared
    table: pd.DataFrame
    pos: np.ndarray
    role_codes: tuple[np.ndarray, pd.Index] | None
    segments: list[str]
    confidence: float
    breaks: Breaks
    embargo_days: float


def missing_inputs(prep: Prepared) -> str | None:
    """Why the area cannot be assessed (a missing table or column), in plain words, or None."""
    acc, r = prep.accounts, prep.responses
    if acc is None:
        return "needs a table of the client's accounts with their renewals and churn"
    if "churned" not in acc or acc["churned"].notna().sum() == 0:
        return "needs each account's outcome (churned or renewed)"
    if "account_id" not in acc:
        return "needs an account identifier in the accounts table"
    if "account_id" not in r or r["account_id"].notna().sum() == 0:
        return "needs the account each response belongs to"
    if r.empty:
        return "no analysable responses"
    return None


def gather(prep: Prepared) -> Inputs:
    """The checks' shared inputs: every response's account as a row of the de-duplicated accounts table."""
    acc, r, s = prep.accounts, prep.responses, prep.settings
    table = accounts_table(acc)
    segments = [c for c in (prep.config.tables["accounts"].segments if "accounts" in prep.config.tables else [])
                if c in acc.columns]
    return Inputs(prep, table, account_positions(r["account_id"], table, prep.codes("account_id")),
                  prep.codes("role") if "role" in r else None, segments, s.confidence, s.breaks,
                  max(0.0, float(s.outcome_embargo_days)))  # never a response after the outcome


# --------------------------------------------------------------------------- linking and accounts


def unlinked(inp: Inputs) -> Check:
    """How the responses link to the accounts table (``outcome.unlinked``)."""
    link = link_table(inp.pos, inp.table, inp.confidence)
    unl = link[link["status"].isin(LINK_STATUSES[2:])]  # account not found, no account id
    return Check("unlinked", tables={"linking": link},
                 captions={"linking": "How the analysed responses link to the accounts table (Wilson intervals)."},
                 context={"table": link, "unlinked": int(unl["responses"].sum()), "share": float(unl["share"].sum()),
                          "responses": len(inp.prep.responses)})


def _decision_makers(inp: Inputs) -> list[str]:
    """The decision roles among the responses' roles (configured, else guessed from their names)."""
    if inp.role_codes is None:
        return []
    return decision_roles(inp.role_codes[1], inp.prep.settings.decision_roles)


def _account_scores(inp: Inputs, embargo_days: float) -> pd.DataFrame:
    """The accounts table of the checks (:func:`~.accounts.scores_by_account` on the cached codes)."""
    roles_dm = _decision_makers(inp)
    a = scores_by_account(inp.prep.responses, inp.table, inp.pos, inp.role_codes, decision=roles_dm,
                          extra=inp.segments, embargo_days=embargo_days)
    if inp.role_codes is not None and not roles_dm:
        a = a.drop(columns=["score_decision", "score_other"], errors="ignore")
    return a


def _definition_note(a: pd.DataFrame, inp: Inputs, after: int, embargoed: int) -> str:
    """The method note of the account score: which responses count, and which one is the account's score."""
    n_acc, events = len(a), int(a["churned"].sum())
    days = f"{inp.embargo_days:g}"
    by_dm = int(a["score_decision"].notna().sum()) if "score_decision" in a else 0
    dated = "outcome_at" in a and a["outcome_at"].notna().any()
    who = f" (its decision makers' latest where one answered: {by_dm:,} accounts)" if by_dm else ""
    if not dated:
        return (f"{n_acc:,} accounts with a known outcome and a score ({events:,} churned). The export has no outcome "
                "dates, so every response of these accounts is used: whether it came before the outcome cannot be "
                f"checked. An account's score is its latest{who}: its current view rather than the average of "
                "everyone over the years. The score definitions table shows how the results move under other "
                "definitions.")
    left = [f"{after:,} given on or after the account's outcome"] if after else []
    if embargoed:
        left.append(f"{embargoed:,} given in the {days} days before it")
    return (
        f"{n_acc:,} accounts with a known outcome and at least one response given more than {days} days before it "
        f"({events:,} churned). Responses in the {days} days before an outcome are not used: a score given once the "
        "decision is taken would flatter the score's predictive power"
        + (f" ({' and '.join(left)} were left out)" if left else "")
        + f". An account's score is its latest score before that cut-off{who}: its current view rather than the "
        "average of everyone over the years. The score definitions table shows how the results move under other "
        "definitions.")


def accounts(inp: Inputs) -> Check:
    """One row per account with an outcome and a score before it, and one per (account, role).

    Skipped (with a note) when fewer than :data:`~.rules.MIN_ACCOUNTS` accounts, or only one outcome, remain.
    """
    r = inp.prep.responses
    _, after, embargoed = usable_responses(inp.pos, inp.table, r["responded_at"] if "responded_at" in r else None,
                                           inp.embargo_days)
    a = _account_scores(inp, inp.embargo_days)
    n_acc = len(a)
    events = int(a["churned"].sum()) if n_acc else 0
    counts = {"accounts": n_acc, "churned": events}
    if n_acc < MIN_ACCOUNTS or events == 0 or events == n_acc:
        return Check("accounts", assessed=False,
                     reason=f"too few accounts with an outcome and a score before it ({n_acc}, {events} churned), or "
                            "a single outcome",
                     notes=[f"Only {n_acc} account(s) with an outcome and a score before it ({events} churned): too "
                            "few, or a single outcome, to relate scores to churn."], context=counts)
    per_role = (role_scores_by_account(r, inp.table, inp.pos, inp.role_codes, embargo_days=inp.embargo_days)
                if inp.role_codes is not None
                else pd.DataFrame(columns=["account_id", "role", "responses", "score", "score_mean", "churned"]))
    return Check("accounts", notes=[_definition_note(a, inp, after, embargoed)],
                 context={**counts, "scores": a, "per_role": per_role, "after": after, "embargoed": embargoed})


# --------------------------------------------------------------------------- churn and the score


def churn_by_category(inp: Inputs, acc: Check) -> Check:
    """Churn (and revenue churn) by the account's NPS category, and the detractor/promoter lift."""
    if not acc.assessed:
        return Check.skipped("churn_by_category", acc.reason)
    conf = inp.confidence
    cat_table = churn.churn_by_category(acc.context["scores"], score=SCORE, confidence=conf, breaks=inp.breaks)
    return Check(
        "churn_by_category", tables={"churn_by_category": cat_table},
        captions={"churn_by_category": (
            "Share of accounts (and of their revenue) that churned, by the NPS category of the account's score (its "
            "latest before the outcome, decision makers' first), with "
            f"{conf:.0%} intervals (Wilson; revenue: ratio-estimator linearisation).")},
        figures=[Figure("churn_by_category", partial(plot_churn_by_category, cat_table, conf),
                        "Churn rate by the account's NPS category; whiskers are Wilson intervals.")],
        notes=["Churn rates with Wilson (1927) intervals; detractor/promoter risk ratio with the Katz log interval."],
        context={"table": cat_table, "lift": churn.churn_lift(cat_table, conf)})


def logit(inp: Inputs, acc: Check) -> Check:
    """Logistic regression of churn on the account score, without and with the account segments and log ARR."""
    if not acc.assessed:
        return Check.skipped("logit", acc.reason)
    a, conf = acc.context["scores"], inp.confidence
    models = churn.churn_logit(a, score=SCORE, controls=inp.segments, confidence=conf)
    return Check(
        "logit",
        figures=[Figure("churn_curve",
                        partial(plot_churn_curve, a, SCORE, scale=inp.prep.settings.scale, confidence=conf),
                        "Observed churn per account score (Wilson intervals) and the fitted logistic curve.")],
        notes=["Logistic regression (maximum likelihood) at account level; odds ratio per score point with Wald "
               "interval; controls: account segments (levels under 10 accounts pooled) and log ARR where known."],
        context={"models": models, "score_only": models[models["model"] == "score only"].iloc[0]})


def cox(inp: Inputs, acc: Check) -> Check:
    """Cox model of the time to churn on one calendar clock: entry when the score was given, censored at the as-of date.

    Where outcome dates exist: :func:`~npsdiag.areas.outcome.churn_hazard`.
    """
    if not acc.assessed:
        return Check.skipped("cox", acc.reason)
    a = acc.context["scores"]
    as_of = inp.prep.as_of
    note = ("Cox (1972) proportional-hazards model "
            "(Breslow ties) of the time to churn, on one calendar clock for every account: an account enters the "
            "risk set on the day its score was given (or when it became a customer, if later) and leaves it when it "
            "churned or, if it did not, at the data's as-of date"
            + (f" ({as_of:%d %b %Y})" if as_of is not None else "")
            + ", where it is censored. Each churn is compared with the accounts at risk on the same day, so the "
            "hazard ratio does not depend on when each account happened to be surveyed, and no account counts as at "
            "risk before it had a score (no immortal time).")
    if "outcome_at" not in a or a["outcome_at"].notna().sum() == 0 or a["score_at"].notna().sum() == 0:
        return Check.skipped("cox", "the dates of the outcomes or of the responses are missing")
    fit = hazard.churn_hazard(a, score=SCORE, as_of=as_of, confidence=inp.confidence)
    if fit is None:
        return Check.skipped("cox", f"too few accounts with dated outcomes, or fewer than {churn.MIN_EVENTS} "
                                    "dated churns, to fit a model of the time to churn")
    return Check("cox", notes=[note], context={"fit": fit})


def _models_table(models: pd.DataFrame, hz: CoxFit | None, a: AucTest, n_acc: int, events: int) -> pd.DataFrame:
    """The logistic models, the Cox model (when fitted) and the AUC as rows of one table."""
    mt = models.rename(columns={"odds_ratio": "estimate", "or_ci_low": "estimate_ci_low",
                                "or_ci_high": "estimate_ci_high"}).copy()
    mt.insert(1, "measure", "odds ratio per point")
    mt["model"] = "logistic, " + mt["model"]
    if hz is not None:
        mt = pd.concat([mt, pd.DataFrame([{"model": "Cox proportional hazards", "measure": "hazard ratio per point",
                                           "n": hz.n, "events": hz.events, "estimate": hz.hazard_ratio,
                                           "estimate_ci_low": hz.ci_low, "estimate_ci_high": hz.ci_high,
                                           "p_value": hz.p_value, "controls": "none", "note": ""}])],
                       ignore_index=True)
    return pd.concat([mt, pd.DataFrame([{"model": "ROC (DeLong)", "measure": "AUC", "n": n_acc, "events": events,
                                         "estimate": a.auc, "estimate_ci_low": a.ci_low,
                                         "estimate_ci_high": a.ci_high, "p_value": a.p_value, "controls": "none",
                                         "note": ""}])], ignore_index=True)


def auc(inp: Inputs, acc: Check, logit_check: Check, cox_check: Check) -> Check:
    """The AUC of the account score for churn, and the models table (logistic, Cox, AUC).

    Notes, first in the area: why the link cannot be judged (too few of either
    outcome, one score for every account). ``judged`` in the context says
    whether the rules may judge it; ``dated`` whether the outcomes carry dates
    (so that the responses' order against them could be checked).
    """
    if not acc.assessed:
        return Check.skipped("auc", acc.reason)
    a, conf = acc.context["scores"], inp.confidence
    n_acc, events = acc.context["accounts"], acc.context["churned"]
    result = auc_delong(a["churned"], a[SCORE], conf)
    notes = []
    retained = n_acc - events
    enough = events >= churn.MIN_EVENTS and retained >= churn.MIN_EVENTS and np.isfinite(result.auc)
    if not enough:
        notes.append(f"Too few churned ({events}) or retained ({retained}) accounts to say whether the score is "
                     f"associated with churn (at least {churn.MIN_EVENTS} of each are needed).")
    elif not result.se > 0:
        notes.append("Every account has the same score: whether the score relates to churn cannot be assessed.")
    notes.append("AUC with DeLong, DeLong & Clarke-Pearson (1988) interval.")
    hz = cox_check.context.get("fit")
    only = logit_check.context["score_only"]
    return Check(
        "auc", tables={"models": _models_table(logit_check.context["models"], hz, result, n_acc, events)},
        captions={"models": (
            "Is the account score associated with churn? Odds ratio of churn per score point (below 1: higher scores, "
            "less churn), hazard ratio of time to churn, and the AUC (probability that a churned account scored "
            f"below a retained one; 0.5 = chance), with {conf:.0%} intervals.")},
        notes=notes,
        context={"auc": result, "accounts": n_acc, "churned": events, "judged": bool(enough and result.se > 0),
                 "dated": bool("outcome_at" in a and a["outcome_at"].notna().any()),
                 "separated": "separation" in str(only.get("note", ""))})


def score_definitions(inp: Inputs, acc: Check) -> Check:
    """How the link moves with the definition of the account's score (latest, mean, lowest, by role, no embargo)."""
    if not acc.assessed:
        return Check.skipped("score_definitions", acc.reason)
    unembargoed = _account_scores(inp, 0.0) if inp.embargo_days > 0 else None
    defs = definitions.score_definitions(acc.context["scores"], inp.confidence, inp.breaks, unembargoed,
                                         inp.embargo_days)
    if len(defs) <= 1:
        return Check.skipped("score_definitions", "a single way to summarise the accounts' responses")
    return Check("score_definitions", tables={"score_definitions": defs},
                 captions={"score_definitions": (
                     "Sensitivity to the definition of an account's score: under each definition, how well it "
                     f"separates churned from retained accounts (AUC, {inp.confidence:.0%} DeLong interval), the churn "
                     "rate of the accounts it makes detractors, passives and promoters, and how many accounts it puts "
                     "in another category than the definition used in this report.")},
                 context={"table": defs})


def false_signals(inp: Inputs, acc: Check) -> Check:
    """False comfort (promoter accounts that churned) and false alarm (detractor accounts that stayed), by role."""
    if not acc.assessed:
        return Check.skipped("false_signals", acc.reason)
    conf, per_role = inp.confidence, acc.context["per_role"]
    fs = churn.false_signals(acc.context["scores"], score=SCORE, confidence=conf, breaks=inp.breaks)
    fs.loc[:, "group"] = "all accounts"
    if not per_role.empty:
        fs_role = churn.false_signals(per_role, group="role", confidence=conf, breaks=inp.breaks)
        fs_role["group"] = "role: " + fs_role["group"]
        fs = pd.concat([fs, fs_role], ignore_index=True)
    return Check("false_signals", tables={"false_signals": fs},
                 captions={"false_signals": (
                     "False comfort: share of promoter accounts that churned; false alarm: share of detractor accounts "
                     "that stayed — for all accounts (by the account's score) and by role (by the role's latest score "
                     f"before the outcome), with {conf:.0%} Wilson intervals.")},
                 context={"table": fs})


def _role_share(inp: Inputs) -> pd.Series:
    """Share of all analysed responses given by each role (counted on the cached role codes)."""
    codes, uniques = inp.role_codes
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    return pd.Series(counts / max(len(inp.prep.responses), 1),
                     index=pd.Index(uniques).astype(str)).groupby(level=0).sum()


def role_models(inp: Inputs, acc: Check) -> Check:
    """Whether each role's score predicts churn, and whether the roles differ (``outcome.role_predictiveness``)."""
    if not acc.assessed:
        return Check.skipped("role_models", acc.reason)
    note = "Per-role models compared by a Wald test of score x role interactions, account-clustered standard errors."
    per_role, conf = acc.context["per_role"], inp.confidence
    if inp.role_codes is None:
        return Check.skipped("role_models", "the survey export has no respondent roles")
    if per_role.empty:
        return Check.skipped("role_models", "no role is known for the responses given before the outcomes", note)
    roles_t, inter = churn.role_models(per_role, confidence=conf)
    figures = []
    if roles_t["auc"].notna().sum() >= 2:
        figures.append(Figure("roles", partial(plot_roles, roles_t, conf),
                              "AUC of each role's score for churn (DeLong intervals); 0.5 is chance."))
    return Check("role_models", tables={"roles": roles_t},
                 captions={"roles": (
                     "Each role's score (the role's latest per account before the outcome) as a predictor of churn: "
                     f"odds ratio per standard deviation of the role's score and AUC with {conf:.0%} intervals, "
                     "p-values BH-adjusted across roles.")},
                 figures=figures, notes=[note],
                 context={"table": roles_t, "interaction": inter, "role_share": _role_share(inp)})


def churn_drivers(inp: Inputs, acc: Check) -> Check:
    """Which driver ratings explain churn (:func:`npsdiag.areas.drivers.churn_drivers` on the accounts' ratings).

    The accounts' mean ratings of the responses that may predict the outcome
    (:func:`npsdiag.areas.drivers.ratings_by_account`, with the embargo). Not
    substantive for the outcome area (the key-drivers area judges drivers).
    """
    if not acc.assessed:
        return Check.skipped("churn_drivers", acc.reason, substantive=False)
    columns = list(inp.prep.drivers)
    if not columns:
        return Check.skipped("churn_drivers", "the survey export has no driver ratings mapped", substantive=False)
    af = drivers.ratings_by_account(inp.prep.responses, inp.table, inp.pos, columns, inp.embargo_days)
    cd = drivers.churn_drivers(af, columns, confidence=inp.confidence)
    if cd.empty:
        return Check.skipped("churn_drivers", "too few accounts with an outcome and every driver rated",
                             substantive=False)
    return Check("churn_drivers", tables={"churn_drivers": cd},
                 captions={"churn_drivers": (
                     "Which driver ratings explain churn: odds ratio per standard deviation (all drivers in one "
                     "logistic model, account level) and share of McFadden's pseudo-R² (Shapley decomposition).")},
                 context={"table": cd}, substantive=False)
