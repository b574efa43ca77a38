"""Outcome's building blocks on churn: does the account score predict it?

Every block takes one row per account (:func:`~npsdiag.areas.outcome.account_scores`)
or per account and role (:func:`~npsdiag.areas.outcome.role_account_scores`):
churn by NPS category (:func:`churn_by_category`) and the detractor/promoter
lift (:func:`churn_lift`), a logistic regression of churn on the score
(:func:`churn_logit`), promoters who churned and detractors who stayed
(:func:`false_signals`) and whether each role's score predicts churn
(:func:`role_models`). The AUC is :func:`npsdiag.stats.auc.auc_delong`; the
Cox model is in :mod:`.hazard`, the account score's definitions in
:mod:`.definitions`.

References
----------
.. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and
   statistical inference. JASA, 22(158), 209-212.
.. [2] Katz, D., Baptista, J., Azen, S. P. & Pike, M. C. (1978). Obtaining
   confidence intervals for the risk ratio in cohort studies. Biometrics,
   34(3), 469-474.
.. [3] Cochran, W. G. (1977). Sampling Techniques (3rd ed.). Wiley.
.. [4] Hosmer, D. W., Lemeshow, S. & Sturdivant, R. X. (2013). Applied
   Logistic Regression (3rd ed.). Wiley.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ...stats.auc import auc_delong
from ...stats.multiplicity import bh_adjust
from ...stats.nps import CATEGORIES, Breaks, categorize
from ...stats.proportions import wilson_interval
from ...stats.regression import LogitFit, logit_fit_rows
from ...stats.result import Result

__all__ = ["MIN_EVENTS", "MIN_ROLE_ACCOUNTS", "ChurnLift", "RoleInteraction", "estimable_logit", "churn_by_category",
           "churn_lift", "churn_logit", "false_signals", "role_models"]

#: Fewest accounts of each outcome for a model (and for saying whether the score is linked to churn).
MIN_EVENTS = 10
#: Fewest accounts with a score from a role for its own model.
MIN_ROLE_ACCOUNTS = 30


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def estimable_logit(y: np.ndarray, x: pd.DataFrame,
                    cluster: np.ndarray | None = None) -> tuple[LogitFit | None, str | None]:
    """Logistic regression of y on a constant and ``x``: (fit, None), or (None, why) when it is not estimable.

    Newton-Raphson maximum likelihood (:func:`npsdiag.stats.regression.logit_fit_rows`: the
    estimates and covariance of statsmodels ``Logit``, CRV1 cluster-robust
    by the integer codes ``cluster`` when given). A fit whose predictions
    are perfect, that does not converge, or with huge coefficients or
    errors is (quasi-)separated and reported as not estimable.
    """
    y = np.asarray(y, dtype="float64")
    if len(y) < 3 or len(np.unique(y)) < 2:
        return None, "only one outcome class"
    exog = x.astype("float64")
    exog = pd.concat([pd.DataFrame({"const": np.ones(len(exog))}, index=exog.index),
                      exog.drop(columns="const", errors="ignore")], axis=1)
    X = exog.to_numpy()
    if np.linalg.matrix_rank(X) < X.shape[1]:
        return None, "collinear predictors"
    try:
        with np.errstate(all="ignore"):
            # on the distinct covariate patterns when there are few (account mean scores repeat a lot)
            res = logit_fit_rows(exog, y, groups=cluster, maxiter=100)
    except Exception as exc:  # noqa: BLE001 - singular / separation: report, never raise
        return None, f"not estimable ({type(exc).__name__})"
    if (res.perfect or not res.converged or not np.all(np.isfinite(res.bse))
            or np.nanmax(np.abs(res.params.to_numpy())) > 30 or np.nanmax(res.bse.to_numpy()) > 50):
        return None, "perfect or quasi-complete separation (the score splits churned from retained accounts)"
    return res, None


# --------------------------------------------------------------------------- churn by category


def _revenue_churn(rv: np.ndarray, y: np.ndarray, z: float) -> dict[str, float]:
    """Revenue churn rate (ratio estimator) with its linearisation interval, clipped to 0-1."""
    n = len(y)
    tot = rv.sum()
    rate = float((rv * y).sum() / tot) if tot > 0 else np.nan
    if tot > 0 and n > 1:
        se = float(np.sqrt(np.sum(rv**2 * (y - rate) ** 2) / tot**2 * n / (n - 1)))
        rlo, rhi = max(0.0, rate - z * se), min(1.0, rate + z * se)
    else:
        rlo = rhi = np.nan
    return {"revenue": float(tot), "churned_revenue": float((rv * y).sum()), "revenue_churn_rate": rate,
            "rate_revenue_ci_low": rlo, "rate_revenue_ci_high": rhi}


def churn_by_category(
    data: pd.DataFrame,
    score: str = "score",
    churned: str = "churned",
    revenue: str | None = "revenue",
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
) -> pd.DataFrame:
    """Churn rate and revenue churn rate per NPS category of the account's score.

    Parameters
    ----------
    data : DataFrame
        One row per account (e.g. :func:`~npsdiag.areas.outcome.account_scores`).
    score : str
        Account score column; its category uses the usual breaks (a mean of
        8.5 is a passive).
    churned : str
        0/1 churn column.
    revenue : str, optional
        Revenue (ARR) column, for revenue churn; ignored when absent.
    confidence : float
        Level of the intervals.
    breaks : Breaks
        Category breaks.

    Returns
    -------
    DataFrame
        One row per category and a last row "all": ``category``,
        ``accounts``, ``churned``, ``churn_rate`` (0-1), ``rate_ci_low``,
        ``rate_ci_high`` (Wilson), and when revenue is present ``revenue``,
        ``churned_revenue``, ``revenue_churn_rate``, ``rate_revenue_ci_low``,
        ``rate_revenue_ci_high``.

    Notes
    -----
    The revenue churn rate R = Σ y_i r_i / Σ r_i (y churn 0/1, r revenue) is a
    ratio estimator; its interval uses the linearisation variance
    Σ r_i² (y_i - R)² / (Σ r_i)² · n/(n-1) (Cochran 1977, ch. 6), clipped to 0-1.

    Examples
    --------
    >>> d = pd.DataFrame({"score": [2, 3, 10, 9, 8], "churned": [1, 0, 0, 0, 1]})
    >>> churn_by_category(d)[["category", "accounts", "churned"]].to_dict("records")[0]
    {'category': 'detractor', 'accounts': 2, 'churned': 1}
    """
    d = data[data[score].notna() & data[churned].notna()]
    cat = categorize(d[score], breaks).astype(str)
    has_rev = revenue is not None and revenue in d and d[revenue].notna().any()
    rows = []
    z = _z(confidence)
    for name in (*CATEGORIES, "all"):
        sub = d if name == "all" else d[(cat == name).to_numpy()]
        n, k = len(sub), int(sub[churned].sum())
        lo, hi = wilson_interval(k, n, confidence)
        row = {"category": name, "accounts": n, "churned": k, "churn_rate": k / n if n else np.nan,
               "rate_ci_low": float(lo), "rate_ci_high": float(hi)}
        if has_rev:
            row.update(_revenue_churn(sub[revenue].fillna(0).clip(lower=0).to_numpy(dtype="float64"),
                                      sub[churned].to_numpy(dtype="float64"), z))
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ChurnLift(Result):
    """Detractor vs promoter churn (:func:`churn_lift`); rates 0-1, NaN when a category has no account.

    Attributes
    ----------
    detractor_rate, promoter_rate : float
        Churn rates of detractor and promoter accounts.
    risk_ratio, rr_ci_low, rr_ci_high : float
        detractor_rate / promoter_rate and its Katz log interval.
    risk_difference, rd_ci_low, rd_ci_high : float
        detractor_rate - promoter_rate and its Wald interval.
    """

    detractor_rate: float = math.nan
    promoter_rate: float = math.nan
    risk_ratio: float = math.nan
    rr_ci_low: float = math.nan
    rr_ci_high: float = math.nan
    risk_difference: float = math.nan
    rd_ci_low: float = math.nan
    rd_ci_high: float = math.nan


def churn_lift(table: pd.DataFrame, confidence: float = 0.95) -> ChurnLift:
    """Detractor vs promoter churn: risk ratio (Katz log interval) and difference (Wald interval).

    Parameters
    ----------
    table : DataFrame
        Output of :func:`churn_by_category`.
    confidence : float
        Level of the intervals.

    Returns
    -------
    ChurnLift
        ``detractor_rate``, ``promoter_rate``, ``risk_ratio``, ``rr_ci_low``,
        ``rr_ci_high``, ``risk_difference``, ``rd_ci_low``, ``rd_ci_high``
        (rates 0-1). With a zero cell 0.5 is added to each cell for the
        ratio's interval (Haldane). NaN when a category has no account.

    Notes
    -----
    SE(log RR) = sqrt(1/a - 1/n1 + 1/c - 1/n2) (Katz et al. 1978), a and c
    the churned detractor and promoter accounts of n1 and n2.

    Examples
    --------
    >>> t = pd.DataFrame({"category": ["detractor", "promoter"], "accounts": [100, 100], "churned": [30, 10]})
    >>> round(churn_lift(t).risk_ratio, 2)
    3.0
    """
    t = table.set_index("category")
    if "detractor" not in t.index or "promoter" not in t.index:
        return ChurnLift()
    a, n1 = float(t.loc["detractor", "churned"]), float(t.loc["detractor", "accounts"])
    c, n2 = float(t.loc["promoter", "churned"]), float(t.loc["promoter", "accounts"])
    if n1 == 0 or n2 == 0:
        return ChurnLift()
    z = _z(confidence)
    p1, p2 = a / n1, c / n2
    se_d = np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    if a == 0 or c == 0 or a == n1 or c == n2:
        a, c, n1, n2 = a + 0.5, c + 0.5, n1 + 1, n2 + 1
    rr = (a / n1) / (c / n2)
    se = np.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    return ChurnLift(detractor_rate=p1, promoter_rate=p2, risk_ratio=float(p1 / p2) if p2 > 0 else float(rr),
                     rr_ci_low=float(np.exp(np.log(rr) - z * se)), rr_ci_high=float(np.exp(np.log(rr) + z * se)),
                     risk_difference=p1 - p2, rd_ci_low=float(p1 - p2 - z * se_d),
                     rd_ci_high=float(p1 - p2 + z * se_d))


# --------------------------------------------------------------------------- models


def _controls_frame(data: pd.DataFrame, controls: list[str], revenue: str | None,
                    min_level: int = 10) -> tuple[pd.DataFrame, list[str]]:
    """Design columns for the controls: dummies of categorical controls (small levels pooled), log revenue."""
    parts, used = [], []
    for c in controls:
        if c not in data:
            continue
        lab = data[c].astype("string").fillna("(missing)")
        vc = lab.value_counts()
        lab = lab.where(lab.map(vc) >= min_level, "(other)")
        if lab.nunique() < 2:
            continue
        ref = lab.value_counts().index[0]
        d = pd.get_dummies(lab, prefix=str(c), dtype="float64").drop(columns=f"{c}_{ref}")
        d = d.loc[:, d.sum() >= 1]
        if d.shape[1]:
            parts.append(d)
            used.append(str(c))
    if revenue and revenue in data and data[revenue].notna().mean() >= 0.9 and (data[revenue] > 0).mean() >= 0.9:
        lr = np.log(data[revenue].clip(lower=1).fillna(data[revenue].median()))
        if lr.std() > 0:
            parts.append(pd.DataFrame({"log_revenue": lr}))
            used.append("log ARR")
    frame = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=data.index)
    return frame, used


def churn_logit(
    data: pd.DataFrame,
    score: str = "score",
    churned: str = "churned",
    controls: list[str] | None = None,
    revenue: str | None = "revenue",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Logistic regression of churn on the account score, without and with controls.

    Parameters
    ----------
    data : DataFrame
        One row per account (:func:`~npsdiag.areas.outcome.account_scores`).
    score : str
        Account score column.
    churned : str
        0/1 churn column.
    controls : list of str, optional
        Categorical account columns (segments) to control for; levels with
        fewer than 10 accounts are pooled.
    revenue : str, optional
        Revenue column; log ARR is added as a control when it is known and
        positive for at least 90% of accounts.
    confidence : float
        Level of the intervals.

    Returns
    -------
    DataFrame
        One row per model ("score only", and "with controls" when any
        control is estimable): ``model``, ``n``, ``events`` (churned),
        ``odds_ratio`` (of churn per score point), ``or_ci_low``,
        ``or_ci_high``, ``p_value``, ``controls`` (text) and ``note`` (why a
        model could not be estimated: one class, separation...).

    Notes
    -----
    Logistic maximum likelihood by Newton-Raphson (the estimates of
    statsmodels ``Logit``); Wald intervals exp(b ± z·SE).
    An odds ratio below 1 means higher scores go with less churn. Models
    that do not converge or show (quasi-)separation are reported with a
    note and no estimate.

    Examples
    --------
    >>> d = pd.DataFrame({"score": list(range(1, 11)) * 3, "churned": [1, 1, 1, 0, 1, 0, 0, 1, 0, 0] * 3})
    >>> t = churn_logit(d, revenue=None)
    >>> t["model"].tolist(), bool(t["odds_ratio"].iloc[0] < 1)
    (['score only'], True)
    """
    cols = ["model", "n", "events", "odds_ratio", "or_ci_low", "or_ci_high", "p_value", "controls", "note"]
    d = data[data[score].notna() & data[churned].notna()].reset_index(drop=True)
    y = d[churned].to_numpy(dtype="float64")
    z = _z(confidence)
    rows = []

    def fit(name: str, x: pd.DataFrame, used: list[str]) -> None:
        row = {"model": name, "n": len(d), "events": int(y.sum()), "odds_ratio": np.nan, "or_ci_low": np.nan,
               "or_ci_high": np.nan, "p_value": np.nan, "controls": ", ".join(used) or "none", "note": ""}
        res, why = estimable_logit(y, x)
        if res is None:
            row["note"] = why
        else:
            b, se = float(res.params[score]), float(res.bse[score])
            row.update(odds_ratio=float(np.exp(b)), or_ci_low=float(np.exp(b - z * se)),
                       or_ci_high=float(np.exp(b + z * se)), p_value=float(res.pvalues[score]))
        rows.append(row)

    if d.empty:
        return pd.DataFrame(columns=cols)
    if d[score].nunique() < 2:
        rows.append({"model": "score only", "n": len(d), "events": int(y.sum()), "controls": "none",
                     "note": "every account has the same score"})
        return pd.DataFrame(rows).reindex(columns=cols)
    fit("score only", d[[score]], [])
    ctrl, used = _controls_frame(d, list(controls or []), revenue)
    if used:
        x = pd.concat([d[[score]], ctrl], axis=1)
        # keep the model estimable: about 10 events per parameter at most
        events = min(y.sum(), len(y) - y.sum())
        if events >= 10 * x.shape[1]:
            fit("with controls", x, used)
        else:
            rows.append({"model": "with controls", "n": len(d), "events": int(y.sum()), "controls": ", ".join(used),
                         "note": "too few churned or retained accounts for this many controls"})
    return pd.DataFrame(rows).reindex(columns=cols)


# --------------------------------------------------------------------------- false signals


def false_signals(
    data: pd.DataFrame,
    score: str = "score",
    churned: str = "churned",
    group: str | None = None,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
) -> pd.DataFrame:
    """False comfort (promoters who churned) and false alarm (detractors who stayed).

    Parameters
    ----------
    data : DataFrame
        One row per account (or per account and role).
    score, churned : str
        Score and 0/1 churn columns.
    group : str, optional
        Column to split by (e.g. ``"role"``); one row per value, or one row
        "all" when absent.
    confidence : float
        Level of the Wilson intervals.
    breaks : Breaks
        Category breaks.

    Returns
    -------
    DataFrame
        ``group``, ``promoters``, ``promoters_churned``,
        ``false_comfort_rate`` (share of promoters who churned),
        ``rate_comfort_ci_low``, ``rate_comfort_ci_high``, ``detractors``,
        ``detractors_retained``, ``false_alarm_rate`` (share of detractors who
        stayed), ``rate_alarm_ci_low``, ``rate_alarm_ci_high``,
        ``churn_rate`` (all accounts of the group).

    Examples
    --------
    >>> d = pd.DataFrame({"score": [10, 10, 9, 2, 1], "churned": [1, 0, 0, 0, 1]})
    >>> round(float(false_signals(d)["false_comfort_rate"].iloc[0]), 3)
    0.333
    """
    d = data[data[score].notna() & data[churned].notna()]
    cat = categorize(d[score], breaks).astype(str).to_numpy()
    groups = [("all", np.ones(len(d), dtype=bool))] if group is None else [
        (str(g), (d[group].astype(str) == str(g)).to_numpy()) for g in sorted(d[group].dropna().astype(str).unique())]
    rows = []
    y = d[churned].to_numpy(dtype="float64")
    for name, m in groups:
        pro, det = m & (cat == "promoter"), m & (cat == "detractor")
        pc, dr = int(y[pro].sum()), int((1 - y[det]).sum())
        lo1, hi1 = wilson_interval(pc, pro.sum(), confidence)
        lo2, hi2 = wilson_interval(dr, det.sum(), confidence)
        rows.append({"group": name, "promoters": int(pro.sum()), "promoters_churned": pc,
                     "false_comfort_rate": pc / pro.sum() if pro.sum() else np.nan,
                     "rate_comfort_ci_low": float(lo1), "rate_comfort_ci_high": float(hi1),
                     "detractors": int(det.sum()), "detractors_retained": dr,
                     "false_alarm_rate": dr / det.sum() if det.sum() else np.nan,
                     "rate_alarm_ci_low": float(lo2), "rate_alarm_ci_high": float(hi2),
                     "churn_rate": float(y[m].mean()) if m.any() else np.nan})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- roles


@dataclass(frozen=True)
class RoleInteraction(Result):
    """The Wald test that each role's standardized score has the same slope (:func:`role_models`).

    Attributes
    ----------
    chi2 : float
        Wald chi-square of the score x role interaction terms (NaN when not testable).
    df : int
        Its degrees of freedom: the modelled roles less one.
    p_value : float
    roles : int
        Roles in the test.
    """

    chi2: float = math.nan
    df: int = 0
    p_value: float = math.nan
    roles: int = 0


def _standardized(v: pd.Series) -> pd.Series:
    return (v - v.mean()) / v.std() if v.std() > 0 else v * np.nan


def _role_row(name: str, g: pd.DataFrame, score: str, churned: str, min_accounts: int, confidence: float,
              z: float) -> dict:
    """One role's row of :func:`role_models`: its AUC and, when estimable, its odds ratio per SD."""
    y = g[churned].to_numpy(dtype="float64")
    row = {"role": str(name), "accounts": len(g), "churned": int(y.sum()), "score_sd": float(g[score].std()),
           "note": ""}
    a = auc_delong(y, g[score], confidence)
    row.update(auc=a.auc, auc_ci_low=a.ci_low, auc_ci_high=a.ci_high)
    if len(g) < min_accounts or min(y.sum(), len(y) - y.sum()) < 5:
        row["note"] = f"too few accounts (needs {min_accounts}, with 5 churned and 5 retained)"
    elif g[score].nunique() < 2:
        row["note"] = "every account has the same score"
    else:
        res, why = estimable_logit(y, g[["_z"]])
        if res is None:
            row["note"] = why
        else:
            b, se = float(res.params["_z"]), float(res.bse["_z"])
            row.update(odds_ratio_per_sd=float(np.exp(b)), or_ci_low=float(np.exp(b - z * se)),
                       or_ci_high=float(np.exp(b + z * se)), p_value=float(res.pvalues["_z"]))
    return row


def role_models(
    data: pd.DataFrame,
    score: str = "score",
    churned: str = "churned",
    role: str = "role",
    min_accounts: int = MIN_ROLE_ACCOUNTS,
    confidence: float = 0.95,
) -> tuple[pd.DataFrame, RoleInteraction]:
    """Does each role's score predict churn? One model per role, and a test that they differ.

    Parameters
    ----------
    data : DataFrame
        One row per (account, role): :func:`~npsdiag.areas.outcome.role_account_scores`.
    score, churned, role : str
        Columns.
    min_accounts : int
        Roles with fewer accounts (or fewer than 5 churned / retained) get no
        model.
    confidence : float
        Level of the intervals; significance at 1 - confidence.

    Returns
    -------
    (DataFrame, RoleInteraction)
        Per role: ``role``, ``accounts``, ``churned``, ``score_sd`` (SD of the
        role's account scores), ``odds_ratio_per_sd`` (odds ratio of churn per
        standard deviation of the role's score), ``or_ci_low``,
        ``or_ci_high``, ``p_value``, ``p_adj`` (Benjamini-Hochberg across
        roles), ``auc``, ``auc_ci_low``, ``auc_ci_high`` (DeLong),
        ``discrimination`` ("none" when not significant, else "poor" below
        AUC 0.7, "acceptable" below 0.8, "excellent" from 0.8; Hosmer,
        Lemeshow & Sturdivant 2013), ``note``; and the interaction test:
        ``chi2``, ``df``, ``p_value`` of the Wald test that the standardized
        score's slope is the same for every modelled role, and ``roles``.

    Notes
    -----
    Each role's account scores are standardized within the role, so that
    the slopes compare predictive strength rather than score spread (users'
    scores are often bunched at 8-10, which shrinks a per-point effect's
    meaning). The interaction test is a logistic model churn ~ role + z +
    z x role on the stacked (account, role) rows; an account appears once
    per role that answered, so standard errors are clustered by account.

    Examples
    --------
    >>> d = pd.DataFrame({"role": ["User"] * 4, "score": [1.0, 2, 9, 10], "churned": [1, 1, 0, 0]})
    >>> table, test = role_models(d)
    >>> float(table["auc"].iloc[0]), table["note"].iloc[0].startswith("too few"), test.roles
    (1.0, True, 0)
    """
    cols = ["role", "accounts", "churned", "score_sd", "odds_ratio_per_sd", "or_ci_low", "or_ci_high", "p_value",
            "p_adj", "auc", "auc_ci_low", "auc_ci_high", "discrimination", "note"]
    if data.empty or role not in data:
        return pd.DataFrame(columns=cols), RoleInteraction()
    d = data[data[score].notna() & data[churned].notna()].copy()
    d["_z"] = d.groupby(role)[score].transform(_standardized)
    z = _z(confidence)
    rows = [_role_row(name, g, score, churned, min_accounts, confidence, z) for name, g in d.groupby(role, sort=True)]
    out = pd.DataFrame(rows).reindex(columns=cols)
    ok = out["p_value"].notna()
    if ok.any():
        out.loc[ok, "p_adj"] = bh_adjust(out.loc[ok, "p_value"].to_numpy())
    sig = (out["p_adj"] < 1 - confidence) & (out["odds_ratio_per_sd"] < 1)
    out["discrimination"] = np.where(~ok, "", np.where(~sig, "none", np.where(
        out["auc"] < 0.7, "poor", np.where(out["auc"] < 0.8, "acceptable", "excellent"))))
    modelled = out.loc[ok, "role"].tolist()
    test = RoleInteraction()
    if len(modelled) >= 2:
        test = _interaction_test(d[d[role].astype(str).isin(modelled)], "_z", churned, role)
    return out, test


def _interaction_test(data: pd.DataFrame, score: str, churned: str, role: str) -> RoleInteraction:
    """Wald test of the score x role terms of churn ~ score + role + score x role, account-clustered errors."""
    d = data.reset_index(drop=True)
    roles = sorted(d[role].astype(str).unique())
    ref = d[role].astype(str).value_counts().index[0]
    others = [r for r in roles if r != ref]
    s = d[score] - d[score].mean()
    x = pd.DataFrame({"score": s})
    for r in others:
        ind = (d[role].astype(str) == r).astype("float64")
        x[f"role_{r}"] = ind
    for r in others:
        x[f"score_x_{r}"] = s * x[f"role_{r}"]
    groups = pd.factorize(d["account_id"])[0] if "account_id" in d else None
    res, _ = estimable_logit(d[churned].to_numpy(dtype="float64"), x, cluster=groups)
    untestable = RoleInteraction(math.nan, len(others), math.nan, len(roles))
    if res is None:
        return untestable
    names = list(res.params.index)
    r_mat = np.zeros((len(others), len(names)))
    for i, r in enumerate(others):
        r_mat[i, names.index(f"score_x_{r}")] = 1
    try:
        # Wald chi-square of R b = 0 (as statsmodels wald_test: pseudo-inverse of R V R')
        rb = r_mat @ res.params.to_numpy()
        chi2 = float(rb @ np.linalg.pinv(r_mat @ res.cov @ r_mat.T) @ rb)
        p = float(stats.chi2.sf(chi2, len(others)))
        if not np.isfinite(chi2):
            raise ValueError("no finite Wald statistic")
    except Exception:  # noqa: BLE001 - singular covariance: no test
        return untestable
    return RoleInteraction(chi2, len(others), p, len(roles))
