"""Outcome's finding rules: thresholds, the findings' texts and recommendations, and the area's summary.

Each rule is a function of check contexts (:mod:`npsdiag.areas.outcome.checks`)
returning a :class:`~npsdiag.findings.Finding` or None; a skipped check's
context is empty and its rules stay silent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ...findings import Finding
from ...stats.proportions import wilson_interval

__all__ = ["MIN_ACCOUNTS", "UNLINKED_SHARE", "UNLINKED_MIN", "FALSE_COMFORT_RATE",
           "FALSE_COMFORT_RATIO", "FALSE_COMFORT_MIN_PROMOTERS", "STRONG_AUC", "WEAK_AUC", "AUC_GAP",
           "SUSPICIOUS_AUC", "SUSPICIOUS_PROMOTER_CHURN", "SUSPICIOUS_MIN_PROMOTERS", "SUSPICIOUS_OTHER_CHURN",
           "unlinked", "association", "suspicious_link", "false_comfort", "role_predictiveness", "summary"]

#: Fewest accounts with an outcome and a prior score (of both outcomes) to relate scores to churn at all.
MIN_ACCOUNTS = 20
#: Share of responses without an account from which "unlinked" is reported ...
UNLINKED_SHARE = 0.02
#: ... when at least this many responses are unlinked.
UNLINKED_MIN = 3
#: Promoter churn rate from which "false comfort" is reported ...
FALSE_COMFORT_RATE = 0.10
#: ... when it is also at least this fraction of the churn rate of all accounts in the group ...
FALSE_COMFORT_RATIO = 0.5
#: ... among at least this many promoter accounts.
FALSE_COMFORT_MIN_PROMOTERS = 20
#: A role's score predicts churn "well" from this AUC (acceptable discrimination, Hosmer & Lemeshow 2013) ...
STRONG_AUC = 0.7
#: ... and "weakly" below this one;
WEAK_AUC = 0.65
#: a role whose AUC is this much below the best role's predicts churn "clearly less".
AUC_GAP = 0.1
#: An AUC this high is unusual for a survey score given before the decision (``outcome.suspicious_link``) ...
SUSPICIOUS_AUC = 0.9
#: ... and so is a promoter churn rate this low (0-1) among at least :data:`SUSPICIOUS_MIN_PROMOTERS` promoter
#: accounts, while the other accounts churn at :data:`SUSPICIOUS_OTHER_CHURN` or more.
SUSPICIOUS_PROMOTER_CHURN = 0.01
SUSPICIOUS_MIN_PROMOTERS = 50
SUSPICIOUS_OTHER_CHURN = 0.10

#: The findings each figure shows the evidence of (the report shows those figures first).
ILLUSTRATES = {"churn_by_category": ("outcome.no_link", "outcome.inverse_link", "outcome.false_comfort",
                                     "outcome.suspicious_link"),
               "roles": ("outcome.role_predictiveness",)}


def _join(names: Iterable[Any]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    names = [str(n) for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# --------------------------------------------------------------------------- linking


def unlinked(link: dict[str, Any]) -> Finding | None:
    """``outcome.unlinked``: responses that match no account (context of the ``unlinked`` check)."""
    n, share, total = link.get("unlinked", 0), link.get("share", 0.0), link.get("responses", 0)
    if share < UNLINKED_SHARE or n < UNLINKED_MIN:
        return None
    table = link["table"]
    no_id = int(table.loc[table["status"] == "no account id", "responses"].sum())
    not_found = int(table.loc[table["status"] == "account not found", "responses"].sum())
    lo, hi = wilson_interval(n, total, 0.95)
    severity = "high" if share >= 0.3 else "medium" if share >= 0.1 else "low"
    return Finding(
        "outcome.unlinked", severity,
        f"{100 * share:.1f}% of responses match no account",
        (f"{n:,} of {total:,} analysed responses ({100 * share:.1f}%, interval {100 * float(lo):.1f}–"
         f"{100 * float(hi):.1f}%) cannot be tied to an account: {not_found:,} carry an account id that is not in "
         f"the accounts table and {no_id:,} have no account id. Their scores cannot be related to retention or "
         "revenue."),
        evidence={"unlinked": n, "responses": total, "unlinked_share": share, "share_ci_low": float(lo),
                  "share_ci_high": float(hi), "account_not_found": not_found, "no_account_id": no_id},
        recommendation=("Fix the account key between the survey tool and the CRM (carry the CRM account id in the "
                        "survey invitation) and re-link the unmatched responses."))


# --------------------------------------------------------------------------- the score and churn


def association(churn: dict[str, Any], logit: dict[str, Any], auc: dict[str, Any],
                alpha: float) -> Finding | None:
    """``outcome.inverse_link`` (higher scores, more churn) or ``outcome.no_link`` (no usable association).

    Reads the contexts of the ``churn_by_category`` (the lift), ``logit`` (the
    score-only model) and ``auc`` checks; silent when the ``auc`` check could
    not judge (too few of either outcome, every account scoring alike).
    """
    if not auc.get("judged"):
        return None
    a, lift, only = auc["auc"], churn["lift"], logit["score_only"]
    n_acc, events = auc["accounts"], auc["churned"]
    or_, p = float(only["odds_ratio"]), float(only["p_value"])
    est = np.isfinite(or_)
    ev = {"accounts": n_acc, "churned": events, "auc": a.auc, "auc_ci_low": a.ci_low,
          "auc_ci_high": a.ci_high, "auc_p_value": a.p_value,
          "odds_ratio_per_point": or_ if est else None,
          "or_ci_low": float(only["or_ci_low"]) if est else None,
          "or_ci_high": float(only["or_ci_high"]) if est else None, "p_value": p if est else None,
          "detractor_churn_rate": lift.detractor_rate, "promoter_churn_rate": lift.promoter_rate,
          "risk_ratio": lift.risk_ratio}
    rates = (f"Detractor accounts churned at {100 * lift.detractor_rate:.0f}% and promoters at "
             f"{100 * lift.promoter_rate:.0f}%. " if np.isfinite(lift.detractor_rate)
             and np.isfinite(lift.promoter_rate) else "")
    if (est and p < alpha and or_ > 1 and a.ci_high < 0.5) or (not est and a.ci_high < 0.5):
        return Finding(
            "outcome.inverse_link", "high", "Accounts with higher scores churn more, not less",
            (f"Across {n_acc:,} accounts ({events:,} churned) each extra score point goes with "
             + (f"{100 * (or_ - 1):.0f}% higher odds of churn (odds ratio {or_:.2f}, {only['or_ci_low']:.2f}–"
                f"{only['or_ci_high']:.2f}, p = {p:.2g}); " if est else "")
             + f"churned accounts scored higher than retained ones (AUC {a.auc:.2f}, "
             f"{a.ci_low:.2f}–{a.ci_high:.2f}). {rates}"),
            evidence=ev,
            recommendation=("Check how scores and accounts are joined (a reversed scale or a wrong key), then who "
                            "answers for the churning accounts: satisfied users may not be the people deciding to "
                            "renew."))
    no_assoc = (not est or p >= alpha) and a.ci_low <= 0.5 <= a.ci_high
    negligible = a.ci_high < 0.55
    if not (no_assoc or negligible):
        return None
    severity = "high" if a.ci_high < 0.6 else "medium"
    what = ("no detectable association" if no_assoc else "an association too weak to use")
    return Finding(
        "outcome.no_link", severity,
        f"The score does not predict churn: {what} across {n_acc:,} accounts",
        (f"Churned and retained accounts scored alike: AUC {a.auc:.2f} (interval {a.ci_low:.2f}–"
         f"{a.ci_high:.2f}, where 0.5 is chance)"
         + (f"; odds ratio per score point {or_:.2f} ({only['or_ci_low']:.2f}–{only['or_ci_high']:.2f}, "
            f"p = {p:.2g})" if est else "")
         + f". {rates}"
         + ("With this many accounts a useful link (AUC 0.6 or more) is ruled out." if a.ci_high < 0.6 else "")),
        evidence=ev,
        recommendation=("Do not use this score as a retention indicator as it stands: check who answers for each "
                        "account (decision makers vs users), the timing of the survey against renewals, and "
                        "whether the question asked is the likelihood to recommend."))


# --------------------------------------------------------------------------- a link too perfect


def _promoters_never_churn(table: pd.DataFrame) -> tuple[bool, dict[str, float]]:
    """Whether promoter accounts (nearly) never churn while the others do, and the rates (``churn_by_category``)."""
    t = table.set_index("category")
    if "promoter" not in t.index:
        return False, {}
    pro_n, pro_k = int(t.loc["promoter", "accounts"]), int(t.loc["promoter", "churned"])
    rest = t.drop(index=["promoter", "all"], errors="ignore")
    rest_n, rest_k = int(rest["accounts"].sum()), int(rest["churned"].sum())
    pro_rate = pro_k / pro_n if pro_n else np.nan
    rest_rate = rest_k / rest_n if rest_n else np.nan
    never = (pro_n >= SUSPICIOUS_MIN_PROMOTERS and pro_rate <= SUSPICIOUS_PROMOTER_CHURN
             and rest_rate >= SUSPICIOUS_OTHER_CHURN)
    return bool(never), {"promoters": pro_n, "promoters_churned": pro_k, "promoter_churn_rate": pro_rate,
                         "other_accounts": rest_n, "other_churn_rate": rest_rate}


def suspicious_link(churn: dict[str, Any], auc: dict[str, Any]) -> Finding | None:
    """``outcome.suspicious_link``: the score predicts churn too well to be a survey answer given before the decision.

    Fires when the link can be judged (context of the ``auc`` check) and the
    AUC is at least :data:`SUSPICIOUS_AUC`, or promoter accounts (nearly)
    never churn while the others do (:data:`SUSPICIOUS_PROMOTER_CHURN`,
    context of ``churn_by_category``). A survey answer is one person's view
    at one moment, given ahead of a renewal decision that also turns on
    budgets, usage and competitors: it cannot decide churn on its own, so a
    link this strong usually means the score was recorded after the decision
    or derived from the outcome.
    """
    if not auc.get("judged") or not churn:
        return None
    a = auc["auc"]
    never, rates = _promoters_never_churn(churn["table"])
    high = bool(np.isfinite(a.auc) and a.auc >= SUSPICIOUS_AUC)
    if not (high or never):
        return None
    cat = churn["table"].set_index("category")
    shares = "; ".join(f"{int(cat.loc[c, 'churned']):,} of {int(cat.loc[c, 'accounts']):,} {c} accounts churned "
                       f"({100 * cat.loc[c, 'churn_rate']:.0f}%)" for c in ("detractor", "passive", "promoter")
                       if c in cat.index and cat.loc[c, "accounts"] > 0)
    detail = (f"The score separates churned from retained accounts almost perfectly: AUC {a.auc:.2f} (interval "
              f"{a.ci_low:.2f}–{a.ci_high:.2f}, where 1 is a perfect split) across {auc['accounts']:,} accounts; "
              f"{shares}"
              + (", and a logistic model cannot even be fitted because the score splits the two groups" if
                 auc.get("separated") else "")
              + ". Survey scores given ahead of a renewal decision rarely come close: a link this strong usually "
              "means the score was recorded after the decision (an exit or cancellation survey, a score entered or "
              "updated when the customer left) or is derived from the outcome itself (a field computed from churn "
              "risk or status). Until that is ruled out, it says nothing about how well the score predicts churn.")
    if not auc.get("dated"):
        detail += (" The export has no outcome dates, so whether each score came before the churn cannot be "
                   "checked here.")
    return Finding(
        "outcome.suspicious_link", "medium", "The score predicts churn too perfectly to be taken at face value",
        detail,
        evidence={"auc": a.auc, "auc_ci_low": a.ci_low, "auc_ci_high": a.ci_high, "accounts": auc["accounts"],
                  "churned": auc["churned"], "outcome_dates": bool(auc.get("dated")),
                  "separation": bool(auc.get("separated")), **rates},
        recommendation=("Before using the score as a retention indicator, ask the data owner how and when it was "
                        "captured: compare each score's date with the account's cancellation date, look for scores "
                        "entered or edited after cancellation (exit surveys, CRM fields filled in at churn), and "
                        "confirm it is not calculated from churn or risk data. Then re-run with the survey and "
                        "outcome dates, so that only scores given well before the outcome are used."))


# --------------------------------------------------------------------------- false comfort


def false_comfort(signals: dict[str, Any], churn: dict[str, Any]) -> Finding | None:
    """``outcome.false_comfort``: promoters' accounts churning nearly as often as the others.

    Reads the contexts of the ``false_signals`` check (its table, all
    accounts and per role) and of ``churn_by_category`` (the overall churn rate).
    """
    if not signals:
        return None
    fs, cat_table = signals["table"], churn["table"]
    ratio = fs["false_comfort_rate"] / fs["churn_rate"].where(fs["churn_rate"] > 0)
    cand = fs[(fs["promoters"] >= FALSE_COMFORT_MIN_PROMOTERS) & (fs["false_comfort_rate"] >= FALSE_COMFORT_RATE)
              & (fs["rate_comfort_ci_low"] >= FALSE_COMFORT_RATE / 2) & (ratio >= FALSE_COMFORT_RATIO)]
    if cand.empty:
        return None
    top = cand.sort_values("false_comfort_rate", ascending=False).iloc[0]
    rate, base = float(top["false_comfort_rate"]), float(top["churn_rate"])
    severity = "high" if top["rate_comfort_ci_low"] >= 0.15 and rate >= 0.8 * base else "medium"
    who = "promoter accounts" if top["group"] == "all accounts" else (
        f"accounts whose latest {top['group'].removeprefix('role: ')} respondent is a promoter")
    alarm = fs[fs["group"] == top["group"]].iloc[0]
    detail = (f"{int(top['promoters_churned'])} of {int(top['promoters'])} {who} churned ({100 * rate:.1f}%, interval "
              f"{100 * top['rate_comfort_ci_low']:.1f}–{100 * top['rate_comfort_ci_high']:.1f}%), against "
              f"{100 * base:.1f}% of the same accounts overall: a promoter score barely lowers the risk of losing the "
              "account.")
    if np.isfinite(alarm["false_alarm_rate"]):
        detail += (f" Conversely {100 * alarm['false_alarm_rate']:.0f}% of the detractor accounts in this group stayed "
                   "(false alarms).")
    return Finding(
        "outcome.false_comfort", severity, f"False comfort: {100 * rate:.0f}% of {who} churned", detail,
        evidence={"group": top["group"], "promoters": int(top["promoters"]),
                  "promoters_churned": int(top["promoters_churned"]), "false_comfort_rate": rate,
                  "rate_ci_low": float(top["rate_comfort_ci_low"]), "rate_ci_high": float(top["rate_comfort_ci_high"]),
                  "group_churn_rate": base, "promoter_to_group_ratio": rate / base,
                  "overall_churn_rate": float(cat_table.loc[cat_table["category"] == "all", "churn_rate"].iloc[0]),
                  "false_alarm_rate": float(alarm["false_alarm_rate"]),
                  "groups": [{"group": g, "false_comfort_rate": float(v)} for g, v in
                             zip(cand["group"], cand["false_comfort_rate"], strict=True)]},
        recommendation=("Do not treat promoters as safe: review churned promoters' accounts (who else in the account "
                        "was asked, usage, contract events) and add a renewal-risk check beyond the score."))


# --------------------------------------------------------------------------- roles


def _role_list(rows: pd.DataFrame) -> str:
    return ", ".join(f"{row['role']} (AUC {row['auc']:.2f}, {row['auc_ci_low']:.2f}–{row['auc_ci_high']:.2f}; "
                     f"odds ratio {row['odds_ratio_per_sd']:.2f} per SD)" for _, row in rows.iterrows())


def _share(role_share: pd.Series | None, roles: pd.Series) -> float:
    """Share of all responses given by these roles (NaN without roles)."""
    return float(role_share.reindex(list(roles)).sum()) if role_share is not None else float("nan")


def role_predictiveness(roles: dict[str, Any], alpha: float) -> Finding | None:
    """``outcome.role_predictiveness``: some roles' scores predict churn, others' clearly less.

    Needs a significant score x role interaction (context of the
    ``role_models`` check), a role whose score predicts churn well
    (significant, AUC >= :data:`STRONG_AUC`) and a role that does clearly
    less (not significant, or an AUC at least :data:`AUC_GAP` lower).
    """
    roles_t, inter = roles.get("table"), roles.get("interaction")
    if roles_t is None or roles_t.empty or inter is None or not np.isfinite(inter.p_value):
        return None
    modelled = roles_t[roles_t["p_value"].notna()]
    sig = (modelled["p_adj"] < alpha) & (modelled["odds_ratio_per_sd"] < 1)
    yes = modelled[sig & (modelled["auc"] >= STRONG_AUC)]
    if inter.p_value >= alpha or yes.empty:
        return None
    best = float(yes["auc"].max())
    # the roles that predict clearly less: not a role that predicts well itself (its AUC may still trail the best's)
    no = modelled[(~sig | (modelled["auc"] <= best - AUC_GAP)) & ~modelled.index.isin(yes.index)]
    if no.empty:
        return None
    useless = no[~sig.loc[no.index] | (no["auc"] < WEAK_AUC)]
    role_share = roles["role_share"]
    share_no = _share(role_share, useless["role"])
    severity = "high" if share_no >= 0.5 else "medium"
    if len(useless) == len(no):
        verb = "barely do" if sig.loc[no.index].all() else "do not"
        title = (f"Only some roles' scores predict churn: {_join(yes['role'])} scores do, "
                 f"{_join(no['role'])} scores {verb}")
    else:
        title = (f"{_join(yes['role'])} scores predict churn much better than {_join(no['role'])} scores "
                 f"(they rank churned below retained accounts {100 * best:.0f}% of the time, against "
                 f"{100 * float(no['auc'].max()):.0f}%)")
    detail = (f"Scores predict churn well for {_role_list(yes)}, but clearly less for {_role_list(no)}. The roles "
              f"differ significantly (Wald test of the score x role interaction on standardized scores, chi² = "
              f"{inter.chi2:.1f} on {inter.df} df, p = {inter.p_value:.2g}).")
    share_weaker = _share(role_share, no["role"])
    if np.isfinite(share_weaker):
        detail += f" The roles whose scores predict churn less give {100 * share_weaker:.0f}% of all responses."
    return Finding(
        "outcome.role_predictiveness", severity, title, detail,
        evidence={"interaction_chi2": inter.chi2, "interaction_df": inter.df,
                  "interaction_p_value": inter.p_value, "predictive_roles": yes["role"].tolist(),
                  "weak_roles": no["role"].tolist(), "best_auc": best, "weak_auc_max": float(no["auc"].max()),
                  "weak_role_response_share": share_weaker, "useless_role_response_share": share_no,
                  "roles": [{"role": row["role"], "accounts": int(row["accounts"]), "auc": float(row["auc"]),
                             "odds_ratio_per_sd": float(row["odds_ratio_per_sd"]), "p_adj": float(row["p_adj"])}
                            for _, row in modelled.iterrows()]},
        recommendation=(f"Weight the program toward {_join(yes['role'])}: survey them at every account before "
                        "renewal, and read the other roles' scores as product feedback rather than a retention "
                        "signal."))


# --------------------------------------------------------------------------- summary


def _too_few_accounts(accounts: dict[str, Any]) -> str:
    """The summary when too few accounts have an outcome and a prior score (context of the ``accounts`` check)."""
    return (f"Too few accounts with a known outcome and a prior score ({accounts['accounts']}, "
            f"{accounts['churned']} churned) to tell whether the score predicts churn.")


def summary(findings: list[Finding], accounts: dict[str, Any], churn: dict[str, Any], auc: dict[str, Any]) -> str:
    """The area's one-line summary.

    The no-link, inverse-link or suspicious-link finding when it is the most
    severe; else the detractor and promoter churn rates, the AUC and the most
    severe finding. Too few accounts: says so.
    """
    if not auc:
        return _too_few_accounts(accounts)
    lift, a = churn["lift"], auc["auc"]
    top = sorted((f for f in findings if f.severity in ("high", "medium")),
                 key=lambda f: ("high", "medium").index(f.severity))
    if top and top[0].id in ("outcome.no_link", "outcome.inverse_link", "outcome.suspicious_link"):
        return top[0].title + "."
    base = ""
    if np.isfinite(lift.detractor_rate) and np.isfinite(lift.promoter_rate):
        base = (f"Detractor accounts churned at {100 * lift.detractor_rate:.0f}% against "
                f"{100 * lift.promoter_rate:.0f}% for promoters")
    if np.isfinite(a.auc):
        # plain words for the summary (the AUC and its interval are in the area's tables): the share of
        # churned-retained pairs in which the churned account scored lower
        base += ("; " if base else "") + (f"in {100 * a.auc:.0f}% of pairs of a churned and a retained account, "
                                          "the churned one scored lower")
    if top:
        base += f". {top[0].title}"
    return (base + ".") if base and not base.endswith(".") else base
