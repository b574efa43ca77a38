"""Outcome: does the score predict what matters (retention, revenue)?

Responses are linked to the client's accounts; only responses given before
an account's outcome (renewal or churn) are used, and every model is fitted
at account level, so that one account's many responses do not count as many
independent observations. The area reports churn (and revenue churn) by NPS
category with Wilson intervals, the detractor/promoter lift, a logistic
regression of churn on the score (maximum likelihood; controls for account segments
and log ARR where estimable) with the area under the ROC curve and its
DeLong interval, a Cox proportional-hazards model where outcome dates allow,
the "false comfort" (promoters who churned) and "false alarm" (detractors who
stayed) rates, and whether each role's scores predict churn.

Building blocks: :func:`link_summary`, :func:`account_scores`,
:func:`role_account_scores`, :func:`churn_by_category`, :func:`churn_lift`,
:func:`auc_delong`, :func:`churn_logit`, :func:`churn_hazard`,
:func:`false_signals`, :func:`role_models`, :func:`score_definitions`;
figures :func:`plot_churn_by_category`, :func:`plot_churn_curve`,
:func:`plot_roles`.

References
----------
.. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and
   statistical inference. JASA, 22(158), 209-212.
.. [2] DeLong, E. R., DeLong, D. M. & Clarke-Pearson, D. L. (1988). Comparing
   the areas under two or more correlated receiver operating characteristic
   curves: a nonparametric approach. Biometrics, 44(3), 837-845.
.. [3] Sun, X. & Xu, W. (2014). Fast implementation of DeLong's algorithm for
   comparing the areas under correlated receiver operating characteristic
   curves. IEEE Signal Processing Letters, 21(11), 1389-1393.
.. [4] Cox, D. R. (1972). Regression models and life-tables. JRSS B, 34(2),
   187-220.
.. [5] Katz, D., Baptista, J., Azen, S. P. & Pike, M. C. (1978). Obtaining
   confidence intervals for the risk ratio in cohort studies. Biometrics,
   34(3), 469-474.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from ...clean import Prepared
from ...findings import AreaResult, Figure, Finding, not_assessed
from ...stats.nps import CATEGORIES, Breaks, categorize
from ...stats.proportions import wilson_interval as _wilson

__all__ = [
    "decision_roles",
    "link_summary",
    "account_scores",
    "role_account_scores",
    "churn_by_category",
    "churn_lift",
    "auc_delong",
    "churn_logit",
    "churn_hazard",
    "false_signals",
    "role_models",
    "score_definitions",
    "plot_churn_by_category",
    "plot_churn_curve",
    "plot_roles",
    "diagnose",
]

#: Fewest accounts of each outcome for a model or a "no link" statement.
MIN_EVENTS = 10
#: Fewest accounts with a score from a role for its own model.
MIN_ROLE_ACCOUNTS = 30
#: Promoter churn rate from which "false comfort" is reported ...
FALSE_COMFORT_RATE = 0.10
#: ... when it is also at least this fraction of the churn rate of all accounts in the group.
FALSE_COMFORT_RATIO = 0.5
#: A role's score predicts churn "well" from this AUC (acceptable discrimination, Hosmer & Lemeshow 2013) ...
STRONG_AUC = 0.7
#: ... and "weakly" below this one;
WEAK_AUC = 0.65
#: a role whose AUC is this much below the best role's predicts churn "clearly less".
AUC_GAP = 0.1
#: Share of responses without an account from which "unlinked" is reported.
UNLINKED_SHARE = 0.02


# --------------------------------------------------------------------------- helpers


def decision_roles(roles, configured: list[str] | None = None) -> list[str]:
    """Role values counted as decision makers: the configured ones, else guessed from their names.

    Examples
    --------
    >>> decision_roles(["Executive", "User", "Decision Maker", "Influencer"])
    ['Decision Maker', 'Executive']
    """
    from ...linking import decision_roles as guess  # one definition of a decision role for every area

    return sorted(guess(pd.Series(roles).dropna().unique(), configured))


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _fit_logit(y: np.ndarray, x: pd.DataFrame, cluster: np.ndarray | None = None):
    """Fit a logistic regression; return (result, None) or (None, reason) when it is not estimable.

    Newton-Raphson maximum likelihood (:func:`._util.logit_fit`: the
    estimates and covariance of statsmodels ``Logit``, CRV1 cluster-robust
    by the integer codes ``cluster`` when given). A fit whose predictions
    are perfect, that does not converge, or with huge coefficients or
    errors is (quasi-)separated and reported as not estimable.
    """
    from ...stats.regression import logit_fit_rows

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


def _cox_breslow(time: np.ndarray, event: np.ndarray, x: np.ndarray, maxiter: int = 50,
                 tol: float = 1e-10) -> tuple[float, float]:
    """Cox partial-likelihood estimate and standard error of one covariate, Breslow ties, by Newton-Raphson.

    Vectorised: the risk-set sums S_k(t) = Σ_{T_j >= t} x_j^k exp(b x_j) are
    cumulative sums over the times in decreasing order, read at the last
    member of each tie block. Gives statsmodels ``PHReg(...).fit()``'s
    estimate and SE (Cox 1972; Breslow 1974). Raises ``ValueError`` when
    it does not converge.
    """
    order = np.argsort(-time, kind="stable")
    t, e = time[order], event[order].astype(bool)
    xc = x[order] - x.mean()  # centring leaves b unchanged and keeps exp() finite
    last = np.searchsorted(-t, -t, side="right") - 1  # last index of each time's tie block (risk set end)
    xe = xc[e]

    def parts(b: float) -> tuple[float, float, float]:
        w = np.exp(b * xc)
        s0, s1, s2 = (np.cumsum(w)[last][e], np.cumsum(w * xc)[last][e], np.cumsum(w * xc * xc)[last][e])
        ll = float(np.sum(b * xe - np.log(s0)))
        m = s1 / s0
        return ll, float(np.sum(xe - m)), float(np.sum(s2 / s0 - m * m))

    b = 0.0
    ll, g, h = parts(b)
    for _ in range(maxiter):
        step = g / h
        for _half in range(30):
            ll_new, g_new, h_new = parts(b + step)
            if ll_new >= ll - 1e-12 * abs(ll):
                break
            step /= 2
        b, ll, g, h = b + step, ll_new, g_new, h_new
        if abs(step) < tol:
            return b, float(np.sqrt(1 / h))
    raise ValueError("the Cox model did not converge")


def _accounts_table(accounts: pd.DataFrame) -> pd.DataFrame:
    """The accounts with an id, one row per id (the first), with a fresh RangeIndex."""
    acc = accounts.drop_duplicates("account_id")
    return acc[acc["account_id"].notna().to_numpy()].reset_index(drop=True)


def _positions(ids: pd.Series | None, table: pd.DataFrame, codes: tuple | None = None) -> np.ndarray:
    """Row of ``table`` (see :func:`_accounts_table`) holding each response's account.

    -1 where the id is not in the table, -2 where the response has no
    account id. Matching works on the distinct ids (``pandas.factorize``,
    or the cached ``codes`` of the responses' ids), not per row.
    """
    if ids is None:
        return np.full(0 if codes is None else len(codes[0]), -2, dtype="int64")
    c, u = codes if codes is not None else pd.factorize(ids)
    c = np.asarray(c)
    if len(u) == 0:
        return np.full(len(c), -2, dtype="int64")
    at = pd.Index(table["account_id"]).get_indexer(pd.Index(u))
    return np.where(c >= 0, at[np.maximum(c, 0)], -2).astype("int64")


def _ns(values) -> np.ndarray:
    """Datetimes as int64 nanoseconds (NaT: the int64 minimum)."""
    return pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[ns]").view("int64")


_NAT = np.iinfo("int64").min


def _before_mask(pos: np.ndarray, table: pd.DataFrame, responded: pd.Series | None) -> tuple[np.ndarray, int]:
    """Linked responses given before their account's outcome (all of them where a date is missing), and the
    number of linked responses given on or after it."""
    linked = pos >= 0
    if "outcome_at" not in table or responded is None:
        return linked, 0
    oa = _ns(table["outcome_at"])[np.maximum(pos, 0)]
    ra = _ns(responded)
    keep = linked & ((oa == _NAT) | (ra == _NAT) | (ra < oa))
    return keep, int((linked & ~keep).sum())


def _join(names) -> str:
    """'A', 'A and B', 'A, B and C'."""
    names = [str(n) for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _midrank(x: np.ndarray) -> np.ndarray:
    return stats.rankdata(x, method="average")


# --------------------------------------------------------------------------- linking and account scores


def link_summary(
    responses: pd.DataFrame,
    accounts: pd.DataFrame,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """How many responses link to an account, and to an account with a known outcome.

    Parameters
    ----------
    responses : DataFrame
        Analysed responses with ``account_id``.
    accounts : DataFrame
        Accounts with ``account_id`` and (optionally) ``churned``.
    confidence : float
        Level of the Wilson intervals of the shares.

    Returns
    -------
    DataFrame
        One row per status ("linked, outcome known", "linked, no outcome",
        "account not found", "no account id"): ``status``, ``responses``,
        ``share`` (0-1), ``share_ci_low``, ``share_ci_high``.

    Examples
    --------
    >>> r = pd.DataFrame({"account_id": ["a", "b", None, "z"]})
    >>> a = pd.DataFrame({"account_id": ["a", "b"], "churned": [True, None]})
    >>> link_summary(r, a)["responses"].tolist()
    [1, 1, 1, 1]
    """
    table = _accounts_table(accounts)
    pos = (_positions(responses["account_id"], table) if "account_id" in responses
           else np.full(len(responses), -2, dtype="int64"))
    return _link_table(pos, table, confidence)


def _link_table(pos: np.ndarray, table: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """:func:`link_summary` from the account positions of the responses (:func:`_positions`)."""
    known = table["churned"].notna().to_numpy() if "churned" in table else np.zeros(len(table), dtype=bool)
    status = np.where(pos == -2, 3, np.where(pos == -1, 2, np.where(known[np.maximum(pos, 0)] if len(known) else
                                                                    False, 0, 1)))
    order = ["linked, outcome known", "linked, no outcome", "account not found", "no account id"]
    counts = np.bincount(status, minlength=4) if len(status) else np.zeros(4, dtype="int64")
    n = max(len(pos), 1)
    lo, hi = _wilson(counts, np.full(4, len(pos)), confidence)
    return pd.DataFrame({"status": order, "responses": counts.astype(int),
                         "share": counts / n, "share_ci_low": lo, "share_ci_high": hi})


def account_scores(
    responses: pd.DataFrame,
    accounts: pd.DataFrame,
    score: str = "score",
    role: str = "role",
    decision: list[str] | None = None,
    extra: list[str] | None = None,
) -> pd.DataFrame:
    """One row per account with an outcome and a score given before it.

    Parameters
    ----------
    responses : DataFrame
        Analysed responses with ``account_id``, the score and (optionally)
        ``responded_at`` and ``role``.
    accounts : DataFrame
        Accounts with ``account_id``, ``churned`` and optionally
        ``outcome_at``, ``revenue``, ``start_at``.
    score : str
        Score column.
    role : str
        Role column of the responses (if present).
    decision : list of str, optional
        Role values counted as decision makers (see :func:`decision_roles`).
    extra : list of str, optional
        Account columns carried over (e.g. account segments).

    Returns
    -------
    DataFrame
        ``account_id``, ``churned`` (0/1), ``responses`` (used),
        ``score_mean``, ``score_latest`` (the last response before the
        outcome), ``score_min``, ``score_decision`` and ``score_other``
        (means of decision makers' and other roles' responses),
        ``last_response_at``, and ``revenue``, ``outcome_at``, ``start_at``
        and the ``extra`` columns where present.

    Notes
    -----
    Responses on or after the account's ``outcome_at`` are left out: a score
    given after the churn decision cannot predict it. Accounts whose outcome
    is unknown, or without a response before it, are not returned.
    """
    if "churned" not in accounts or "account_id" not in responses:
        return pd.DataFrame(columns=["account_id", "churned", "responses", "score_mean"])
    table = _accounts_table(accounts)
    pos = _positions(responses["account_id"], table)
    return _account_scores(responses, table, pos, score, role, decision, extra)


def _account_scores(responses: pd.DataFrame, table: pd.DataFrame, pos: np.ndarray, score: str = "score",
                    role: str = "role", decision: list[str] | None = None, extra: list[str] | None = None,
                    role_codes: tuple | None = None) -> pd.DataFrame:
    """:func:`account_scores` from the responses' account positions in ``table`` (:func:`_positions`)."""
    empty = pd.DataFrame(columns=["account_id", "churned", "responses", "score_mean"])
    has = table["churned"].notna().to_numpy()
    keep, _ = _before_mask(np.where(pos >= 0, np.where(has[np.maximum(pos, 0)], pos, -1), pos), table,
                           responses["responded_at"] if "responded_at" in responses else None)
    sc = responses[score].to_numpy(dtype="float64", na_value=np.nan)
    rows = np.flatnonzero(keep & ~np.isnan(sc))
    if not len(rows):
        return empty
    f = pd.DataFrame({"p": pos[rows], "s": sc[rows]})
    if "responded_at" in responses:
        f["t"] = responses["responded_at"].to_numpy()[rows]
        f = f.sort_values("t", kind="stable")
    g = f.groupby("p", sort=False)["s"]
    out = pd.DataFrame({"responses": g.size(), "score_mean": g.mean(), "score_latest": g.last(),
                        "score_min": g.min()})
    if "t" in f:
        out["last_response_at"] = f.groupby("p", sort=False)["t"].max()
    if role in responses:
        rc, ru = role_codes if role_codes is not None else pd.factorize(responses[role])
        rc = np.asarray(rc)[rows] if "t" not in f else np.asarray(rc)[rows][f.index.to_numpy()]
        if decision is None:
            used = np.unique(rc[rc >= 0])
            decision = decision_roles(pd.Index(ru)[used])
        dm_u = np.asarray(pd.Index(ru).astype("string").isin(set(decision)), dtype=bool)
        is_dm = (rc >= 0) & (dm_u[np.maximum(rc, 0)] if len(dm_u) else False)
        out["score_decision"] = f[is_dm].groupby("p")["s"].mean()
        out["score_other"] = f[~is_dm & (rc >= 0)].groupby("p")["s"].mean()
    keep_cols = ["account_id", "churned"] + [c for c in ("revenue", "outcome_at", "start_at") if c in table] + [
        c for c in (extra or []) if c in table and c not in ("revenue", "outcome_at", "start_at")]
    at = np.flatnonzero(has)
    at = at[np.isin(at, out.index.to_numpy())]  # accounts (in table order) with a response before the outcome
    a = table[keep_cols].take(at).reset_index(drop=True)
    a["churned"] = a["churned"].astype(bool).astype(int)
    o = out.reindex(at).reset_index(drop=True)
    res = pd.concat([a, o], axis=1)
    first = ["account_id", "churned", "responses", "score_mean", "score_latest", "score_min"]
    return res[first + [c for c in res.columns if c not in first]]


def role_account_scores(
    responses: pd.DataFrame,
    accounts: pd.DataFrame,
    score: str = "score",
    role: str = "role",
) -> pd.DataFrame:
    """One row per (account, role): the role's mean score before the outcome, and the outcome.

    Returns
    -------
    DataFrame
        ``account_id``, ``role``, ``responses``, ``score_mean``, ``churned``
        (0/1). Empty when there is no role column.
    """
    cols = ["account_id", "role", "responses", "score_mean", "churned"]
    if role not in responses or "churned" not in accounts or "account_id" not in responses:
        return pd.DataFrame(columns=cols)
    table = _accounts_table(accounts)
    return _role_account_scores(responses, table, _positions(responses["account_id"], table), score, role)


def _role_account_scores(responses: pd.DataFrame, table: pd.DataFrame, pos: np.ndarray, score: str = "score",
                         role: str = "role", role_codes: tuple | None = None) -> pd.DataFrame:
    """:func:`role_account_scores` from the responses' account positions in ``table``; rows sorted by account
    id then role, as a groupby on the two would."""
    cols = ["account_id", "role", "responses", "score_mean", "churned"]
    has = table["churned"].notna().to_numpy()
    keep, _ = _before_mask(np.where(pos >= 0, np.where(has[np.maximum(pos, 0)], pos, -1), pos), table,
                           responses["responded_at"] if "responded_at" in responses else None)
    rc, ru = role_codes if role_codes is not None else pd.factorize(responses[role])
    rc = np.asarray(rc)
    sc = responses[score].to_numpy(dtype="float64", na_value=np.nan)
    rows = np.flatnonzero(keep & ~np.isnan(sc) & (rc >= 0))
    if not len(rows):
        return pd.DataFrame(columns=cols)
    role_lab = pd.Index(ru).astype(str)
    role_rank, role_sorted = pd.factorize(role_lab, sort=True)  # distinct labels of the distinct roles
    acc_rank, _ = pd.factorize(table["account_id"], sort=True)  # ids are distinct: the rank in id order
    p = pos[rows]
    rr = role_rank[rc[rows]]
    key = acc_rank[p].astype("int64") * len(role_sorted) + rr
    g = pd.Series(sc[rows]).groupby(key, sort=True).agg(["size", "mean"])
    k = g.index.to_numpy()
    acc_at = np.empty(len(acc_rank), dtype="int64")
    acc_at[acc_rank] = np.arange(len(acc_rank))  # table row of each account rank
    rows_acc = acc_at[k // len(role_sorted)]
    ch = table["churned"].to_numpy(dtype=object)
    return pd.DataFrame({"account_id": table["account_id"].take(rows_acc).to_numpy(),
                         "role": pd.Index(role_sorted).take(k % len(role_sorted)).to_numpy(),
                         "responses": g["size"].to_numpy(), "score_mean": g["mean"].to_numpy(),
                         "churned": ch[rows_acc].astype(bool).astype(int)})[cols]


# --------------------------------------------------------------------------- churn by category


def churn_by_category(
    data: pd.DataFrame,
    score: str = "score_mean",
    churned: str = "churned",
    revenue: str | None = "revenue",
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
) -> pd.DataFrame:
    """Churn rate and revenue churn rate per NPS category of the account's score.

    Parameters
    ----------
    data : DataFrame
        One row per account (e.g. :func:`account_scores`).
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
    >>> d = pd.DataFrame({"score_mean": [2, 3, 10, 9, 8], "churned": [1, 0, 0, 0, 1]})
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
        lo, hi = _wilson(k, n, confidence)
        row = {"category": name, "accounts": n, "churned": k, "churn_rate": k / n if n else np.nan,
               "rate_ci_low": float(lo), "rate_ci_high": float(hi)}
        if has_rev:
            rv = sub[revenue].fillna(0).clip(lower=0).to_numpy(dtype="float64")
            y = sub[churned].to_numpy(dtype="float64")
            tot = rv.sum()
            rate = float((rv * y).sum() / tot) if tot > 0 else np.nan
            if tot > 0 and n > 1:
                se = float(np.sqrt(np.sum(rv**2 * (y - rate) ** 2) / tot**2 * n / (n - 1)))
                rlo, rhi = max(0.0, rate - z * se), min(1.0, rate + z * se)
            else:
                rlo = rhi = np.nan
            row.update(revenue=float(tot), churned_revenue=float((rv * y).sum()), revenue_churn_rate=rate,
                       rate_revenue_ci_low=rlo, rate_revenue_ci_high=rhi)
        rows.append(row)
    return pd.DataFrame(rows)


def churn_lift(table: pd.DataFrame, confidence: float = 0.95) -> dict[str, float]:
    """Detractor vs promoter churn: risk ratio (Katz log interval) and difference (Wald interval).

    Parameters
    ----------
    table : DataFrame
        Output of :func:`churn_by_category`.
    confidence : float
        Level of the intervals.

    Returns
    -------
    dict
        ``detractor_rate``, ``promoter_rate``, ``risk_ratio``, ``rr_ci_low``,
        ``rr_ci_high``, ``risk_difference``, ``rd_ci_low``, ``rd_ci_high``
        (rates 0-1). With a zero cell 0.5 is added to each cell for the
        ratio (Haldane). NaN when a category has no account.

    Examples
    --------
    >>> t = pd.DataFrame({"category": ["detractor", "promoter"], "accounts": [100, 100], "churned": [30, 10]})
    >>> round(churn_lift(t)["risk_ratio"], 2)
    3.0
    """
    t = table.set_index("category")
    nan = float("nan")
    out = dict.fromkeys(("detractor_rate", "promoter_rate", "risk_ratio", "rr_ci_low", "rr_ci_high",
                         "risk_difference", "rd_ci_low", "rd_ci_high"), nan)
    if "detractor" not in t.index or "promoter" not in t.index:
        return out
    a, n1 = float(t.loc["detractor", "churned"]), float(t.loc["detractor", "accounts"])
    c, n2 = float(t.loc["promoter", "churned"]), float(t.loc["promoter", "accounts"])
    if n1 == 0 or n2 == 0:
        return out
    z = _z(confidence)
    p1, p2 = a / n1, c / n2
    out.update(detractor_rate=p1, promoter_rate=p2, risk_difference=p1 - p2)
    se_d = np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    out.update(rd_ci_low=p1 - p2 - z * se_d, rd_ci_high=p1 - p2 + z * se_d)
    if a == 0 or c == 0 or a == n1 or c == n2:
        a, c, n1, n2 = a + 0.5, c + 0.5, n1 + 1, n2 + 1
    rr = (a / n1) / (c / n2)
    se = np.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    out.update(risk_ratio=float(p1 / p2) if p2 > 0 else float(rr), rr_ci_low=float(np.exp(np.log(rr) - z * se)),
               rr_ci_high=float(np.exp(np.log(rr) + z * se)))
    return out


# --------------------------------------------------------------------------- discrimination and models


def auc_delong(churned, score, confidence: float = 0.95, low_is_risk: bool = True) -> dict[str, float]:
    """Area under the ROC curve of the score for churn, with DeLong's interval.

    Parameters
    ----------
    churned : array-like of 0/1
        Outcome per account.
    score : array-like
        Account score.
    confidence : float
        Level of the interval.
    low_is_risk : bool
        True (default): a lower score signals churn, so the AUC is the
        probability that a churned account scored below a retained one (ties
        count half). 0.5 = no discrimination.

    Returns
    -------
    dict
        ``auc``, ``se``, ``ci_low``, ``ci_high``, ``p_value`` (z-test of
        AUC = 0.5), ``n_churned``, ``n_retained``.

    Notes
    -----
    DeLong, DeLong & Clarke-Pearson (1988) variance
    S10/m + S01/n from the structural components, computed with midranks
    (Sun & Xu 2014); the interval is AUC ± z·SE clipped to 0-1 (as pROC).
    The AUC equals the Mann-Whitney U statistic / (m·n).

    Examples
    --------
    >>> r = auc_delong([1, 1, 0, 0, 0], [2, 5, 4, 8, 9])
    >>> round(r["auc"], 4), round(r["se"], 4)
    (0.8333, 0.2357)
    """
    y = np.asarray(churned, dtype="float64")
    s = np.asarray(score, dtype="float64")
    ok = ~(np.isnan(y) | np.isnan(s))
    y, s = y[ok], s[ok]
    risk = -s if low_is_risk else s
    x, v = risk[y == 1], risk[y == 0]
    m, n = len(x), len(v)
    nan = float("nan")
    out = {"auc": nan, "se": nan, "ci_low": nan, "ci_high": nan, "p_value": nan, "n_churned": m, "n_retained": n}
    if m == 0 or n == 0:
        return out
    tz = _midrank(np.concatenate([x, v]))
    v10 = (tz[:m] - _midrank(x)) / n
    v01 = 1 - (tz[m:] - _midrank(v)) / m
    auc = float(v10.mean())
    s10 = float(np.var(v10, ddof=1)) if m > 1 else 0.0
    s01 = float(np.var(v01, ddof=1)) if n > 1 else 0.0
    se = float(np.sqrt(s10 / m + s01 / n))
    z = _z(confidence)
    out.update(auc=auc, se=se, ci_low=max(0.0, auc - z * se), ci_high=min(1.0, auc + z * se),
               p_value=float(2 * stats.norm.sf(abs(auc - 0.5) / se)) if se > 0 else (1.0 if auc == 0.5 else 0.0))
    return out


def _controls_frame(data: pd.DataFrame, controls: list[str], revenue: str | None, min_level: int = 10):
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
    score: str = "score_mean",
    churned: str = "churned",
    controls: list[str] | None = None,
    revenue: str | None = "revenue",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Logistic regression of churn on the account score, without and with controls.

    Parameters
    ----------
    data : DataFrame
        One row per account (:func:`account_scores`).
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
    """
    cols = ["model", "n", "events", "odds_ratio", "or_ci_low", "or_ci_high", "p_value", "controls", "note"]
    d = data[data[score].notna() & data[churned].notna()].reset_index(drop=True)
    y = d[churned].to_numpy(dtype="float64")
    z = _z(confidence)
    rows = []

    def fit(name: str, x: pd.DataFrame, used: list[str]) -> None:
        row = {"model": name, "n": len(d), "events": int(y.sum()), "odds_ratio": np.nan, "or_ci_low": np.nan,
               "or_ci_high": np.nan, "p_value": np.nan, "controls": ", ".join(used) or "none", "note": ""}
        res, why = _fit_logit(y, x)
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


def churn_hazard(
    data: pd.DataFrame,
    score: str = "score_mean",
    churned: str = "churned",
    since: str = "last_response_at",
    until: str = "outcome_at",
    confidence: float = 0.95,
) -> dict[str, float] | None:
    """Cox proportional-hazards model of time to churn on the account score.

    Parameters
    ----------
    data : DataFrame
        One row per account.
    score, churned : str
        Score and 0/1 churn columns.
    since, until : str
        Start (the last response before the outcome) and end (the outcome
        date: churn, or renewal = censored) of each account's follow-up.

    Returns
    -------
    dict or None
        ``n``, ``events``, ``hazard_ratio`` (per score point), ``hr_ci_low``,
        ``hr_ci_high``, ``p_value``; None when dates are missing or there are
        fewer than 10 events.

    Notes
    -----
    Cox (1972) partial likelihood with Breslow ties, fitted by a vectorised
    Newton-Raphson (:func:`_cox_breslow`; the estimate and SE of statsmodels
    ``PHReg``). Accounts renewed at ``until`` are censored there.
    """
    if since not in data or until not in data:
        return None
    d = data[data[score].notna() & data[since].notna() & data[until].notna()]
    dur = (d[until] - d[since]).dt.total_seconds() / 86400
    d = d[(dur > 0).to_numpy()]
    dur = dur[dur > 0]
    ev = d[churned].to_numpy(dtype="float64")
    if len(d) < 20 or ev.sum() < MIN_EVENTS or d[score].nunique() < 2:
        return None
    try:
        with np.errstate(all="ignore"):
            b, se = _cox_breslow(dur.to_numpy(dtype="float64"), ev, d[score].to_numpy(dtype="float64"))
    except Exception:  # noqa: BLE001 - not estimable: no model rather than an error
        return None
    if not (np.isfinite(b) and np.isfinite(se)) or se > 50:
        return None
    z = _z(confidence)
    return {"n": int(len(d)), "events": int(ev.sum()), "hazard_ratio": float(np.exp(b)),
            "hr_ci_low": float(np.exp(b - z * se)), "hr_ci_high": float(np.exp(b + z * se)),
            "p_value": float(2 * stats.norm.sf(abs(b / se)))}


def false_signals(
    data: pd.DataFrame,
    score: str = "score_mean",
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
        Column to split by (e.g. ``"role"``); one row per value plus "all"
        when absent.
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
    >>> d = pd.DataFrame({"score_mean": [10, 10, 9, 2, 1], "churned": [1, 0, 0, 0, 1]})
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
        lo1, hi1 = _wilson(pc, pro.sum(), confidence)
        lo2, hi2 = _wilson(dr, det.sum(), confidence)
        rows.append({"group": name, "promoters": int(pro.sum()), "promoters_churned": pc,
                     "false_comfort_rate": pc / pro.sum() if pro.sum() else np.nan,
                     "rate_comfort_ci_low": float(lo1), "rate_comfort_ci_high": float(hi1),
                     "detractors": int(det.sum()), "detractors_retained": dr,
                     "false_alarm_rate": dr / det.sum() if det.sum() else np.nan,
                     "rate_alarm_ci_low": float(lo2), "rate_alarm_ci_high": float(hi2),
                     "churn_rate": float(y[m].mean()) if m.any() else np.nan})
    return pd.DataFrame(rows)


def role_models(
    data: pd.DataFrame,
    score: str = "score_mean",
    churned: str = "churned",
    role: str = "role",
    min_accounts: int = MIN_ROLE_ACCOUNTS,
    confidence: float = 0.95,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Does each role's score predict churn? One model per role, and a test that they differ.

    Parameters
    ----------
    data : DataFrame
        One row per (account, role): :func:`role_account_scores`.
    score, churned, role : str
        Columns.
    min_accounts : int
        Roles with fewer accounts (or fewer than 5 churned / retained) get no
        model.
    confidence : float
        Level of the intervals; significance at 1 - confidence.

    Returns
    -------
    (DataFrame, dict)
        Per role: ``role``, ``accounts``, ``churned``, ``score_sd`` (SD of the
        role's account scores), ``odds_ratio_per_sd`` (odds ratio of churn per
        standard deviation of the role's score), ``or_ci_low``,
        ``or_ci_high``, ``p_value``, ``p_adj`` (Benjamini-Hochberg across
        roles), ``auc``, ``auc_ci_low``, ``auc_ci_high`` (DeLong),
        ``discrimination`` ("none" when not significant, else "poor" below
        AUC 0.7, "acceptable" below 0.8, "excellent" from 0.8; Hosmer &
        Lemeshow 2013), ``note``. The dict holds the interaction test:
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
    """
    cols = ["role", "accounts", "churned", "score_sd", "odds_ratio_per_sd", "or_ci_low", "or_ci_high", "p_value",
            "p_adj", "auc", "auc_ci_low", "auc_ci_high", "discrimination", "note"]
    test = {"chi2": float("nan"), "df": 0, "p_value": float("nan"), "roles": 0}
    if data.empty or role not in data:
        return pd.DataFrame(columns=cols), test
    d = data[data[score].notna() & data[churned].notna()].copy()
    d["_z"] = d.groupby(role)[score].transform(lambda v: (v - v.mean()) / v.std() if v.std() > 0 else v * np.nan)
    rows = []
    z = _z(confidence)
    for name, g in d.groupby(role, sort=True):
        y = g[churned].to_numpy(dtype="float64")
        row = {"role": str(name), "accounts": len(g), "churned": int(y.sum()), "score_sd": float(g[score].std()),
               "note": ""}
        a = auc_delong(y, g[score], confidence)
        row.update(auc=a["auc"], auc_ci_low=a["ci_low"], auc_ci_high=a["ci_high"])
        if len(g) < min_accounts or min(y.sum(), len(y) - y.sum()) < 5:
            row["note"] = f"too few accounts (needs {min_accounts}, with 5 churned and 5 retained)"
        elif g[score].nunique() < 2:
            row["note"] = "every account has the same score"
        else:
            res, why = _fit_logit(y, g[["_z"]])
            if res is None:
                row["note"] = why
            else:
                b, se = float(res.params["_z"]), float(res.bse["_z"])
                row.update(odds_ratio_per_sd=float(np.exp(b)), or_ci_low=float(np.exp(b - z * se)),
                           or_ci_high=float(np.exp(b + z * se)), p_value=float(res.pvalues["_z"]))
        rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=cols)
    ok = out["p_value"].notna()
    if ok.any():
        out.loc[ok, "p_adj"] = multipletests(out.loc[ok, "p_value"].to_numpy(), method="fdr_bh")[1]
    sig = (out["p_adj"] < 1 - confidence) & (out["odds_ratio_per_sd"] < 1)
    out["discrimination"] = np.where(~ok, "", np.where(~sig, "none", np.where(
        out["auc"] < 0.7, "poor", np.where(out["auc"] < 0.8, "acceptable", "excellent"))))
    modelled = out.loc[ok, "role"].tolist()
    if len(modelled) >= 2:
        test = _interaction_test(d[d[role].astype(str).isin(modelled)], "_z", churned, role)
    return out, test


def _interaction_test(data: pd.DataFrame, score: str, churned: str, role: str) -> dict[str, float]:
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
    res, _ = _fit_logit(d[churned].to_numpy(dtype="float64"), x, cluster=groups)
    nan = float("nan")
    if res is None:
        return {"chi2": nan, "df": len(others), "p_value": nan, "roles": len(roles)}
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
        return {"chi2": nan, "df": len(others), "p_value": nan, "roles": len(roles)}
    return {"chi2": chi2, "df": len(others), "p_value": p, "roles": len(roles)}


def score_definitions(data: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """How well each definition of the account score separates churned from retained accounts.

    Parameters
    ----------
    data : DataFrame
        :func:`account_scores` output.
    confidence : float
        Level of the DeLong intervals.

    Returns
    -------
    DataFrame
        ``definition`` (mean, latest, minimum, decision makers' mean, other
        roles' mean), ``accounts``, ``churned``, ``auc``, ``auc_ci_low``,
        ``auc_ci_high``, ``p_value`` (AUC = 0.5).
    """
    labels = {"score_mean": "mean of the account's responses", "score_latest": "latest response",
              "score_min": "lowest response", "score_decision": "decision makers' mean",
              "score_other": "other roles' mean"}
    rows = []
    for col, label in labels.items():
        if col not in data or data[col].notna().sum() == 0:
            continue
        d = data[data[col].notna()]
        a = auc_delong(d["churned"], d[col], confidence)
        rows.append({"definition": label, "accounts": len(d), "churned": int(d["churned"].sum()), "auc": a["auc"],
                     "auc_ci_low": a["ci_low"], "auc_ci_high": a["ci_high"], "p_value": a["p_value"]})
    return pd.DataFrame(rows, columns=["definition", "accounts", "churned", "auc", "auc_ci_low", "auc_ci_high",
                                       "p_value"])


# --------------------------------------------------------------------------- figures


def plot_churn_by_category(table: pd.DataFrame, confidence: float = 0.95):
    """Churn rate per NPS category with Wilson intervals; overall churn as a dashed line.

    Bars carry the category colour and hatch, and their rate and n as text,
    so the figure reads without colour.

    Returns
    -------
    matplotlib Figure
    """
    from ...plots import CATEGORY_COLORS, CATEGORY_HATCHES, figure

    t = table[table["category"] != "all"]
    allrow = table[table["category"] == "all"]
    fig, ax = figure(6.5, 3.2)
    pos = np.arange(len(t))
    rate = 100 * t["churn_rate"].fillna(0).to_numpy()
    ax.bar(pos, rate, color=[CATEGORY_COLORS[c] for c in t["category"]],
           hatch=[CATEGORY_HATCHES[c] for c in t["category"]], edgecolor="white", width=0.6)
    lo = np.clip(rate - 100 * t["rate_ci_low"].fillna(0).to_numpy(), 0, None)
    hi = np.clip(100 * t["rate_ci_high"].fillna(0).to_numpy() - rate, 0, None)
    ax.errorbar(pos, rate, yerr=[lo, hi], fmt="none", ecolor="black", capsize=4, lw=1)
    for x, (_, row) in zip(pos, t.iterrows(), strict=True):
        if row["accounts"]:
            ax.text(x, 100 * row["rate_ci_high"] + 1, f"{100 * row['churn_rate']:.0f}%\nn={int(row['accounts'])}",
                    ha="center", va="bottom", fontsize=8)
    if len(allrow):
        ax.axhline(100 * float(allrow["churn_rate"].iloc[0]), color="black", ls="--", lw=1,
                   label=f"all accounts {100 * float(allrow['churn_rate'].iloc[0]):.0f}%")
        ax.legend(loc="upper right", fontsize=8)
    ax.set_xticks(pos, [f"{c}s" for c in t["category"]])
    ax.set_ylabel(f"accounts churned (%), {confidence:.0%} interval")
    top = float(np.nanmax(100 * t["rate_ci_high"].to_numpy())) if t["rate_ci_high"].notna().any() else 10
    ax.set_ylim(0, min(100, top * 1.25 + 5))
    ax.set_title("Churn by the account's NPS category")
    return fig


def plot_churn_curve(data: pd.DataFrame, score: str = "score_mean", churned: str = "churned",
                     scale: tuple[float, float] = (0, 10), confidence: float = 0.95):
    """Observed churn per (rounded) account score with Wilson intervals, and the fitted logistic curve.

    Returns
    -------
    matplotlib Figure
    """
    from ...plots import PALETTE, figure

    d = data[data[score].notna() & data[churned].notna()]
    fig, ax = figure(6.5, 3.2)
    b = d[score].round().clip(*scale)
    g = d.groupby(b)[churned].agg(["sum", "size"])
    lo, hi = _wilson(g["sum"], g["size"], confidence)
    rate = 100 * g["sum"] / g["size"]
    ax.errorbar(g.index, rate, yerr=[np.clip(rate - 100 * lo, 0, None), np.clip(100 * hi - rate, 0, None)],
                fmt="o", color=PALETTE[0], ecolor=PALETTE[0], capsize=3, label="observed (rounded score)")
    res, _ = _fit_logit(d[churned].to_numpy(dtype="float64"), d[[score]]) if d[score].nunique() > 1 else (None, "")
    if res is not None:
        grid = np.linspace(scale[0], scale[1], 101)
        xb = np.column_stack([np.ones_like(grid), grid])
        eta = xb @ res.params.to_numpy()
        se = np.sqrt(np.einsum("ij,jk,ik->i", xb, res.cov_params().to_numpy(), xb))
        z = _z(confidence)
        expit = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
        ax.plot(grid, 100 * expit(eta), color=PALETTE[5], lw=1.5, label="logistic fit")
        ax.fill_between(grid, 100 * expit(eta - z * se), 100 * expit(eta + z * se), color=PALETTE[5], alpha=0.15,
                        lw=0)
    ax.set_xlabel("account score")
    ax.set_ylabel("accounts churned (%)")
    ax.set_title("Churn by account score")
    ax.set_ylim(bottom=0)
    ax.legend(loc="best", fontsize=8)
    return fig


def plot_roles(table: pd.DataFrame, confidence: float = 0.95):
    """AUC of each role's score for churn with DeLong intervals; 0.5 = no better than chance.

    Roles whose score discriminates churn acceptably (significant, AUC >= 0.7)
    are drawn as filled diamonds, the others as hollow circles.

    Returns
    -------
    matplotlib Figure
    """
    from ...plots import PALETTE, figure

    t = table.dropna(subset=["auc"]).sort_values("auc").reset_index(drop=True)
    t["predicts"] = t["discrimination"].isin(["acceptable", "excellent"])
    fig, ax = figure(6.5, max(1.8, 0.45 * len(t) + 1.1))
    ax.axvline(0.5, color="black", ls="--", lw=1, label="chance (0.5)")
    for i, row in t.iterrows():
        pred = bool(row["predicts"])
        colour = PALETTE[0] if pred else "#777777"
        ax.plot([row["auc_ci_low"], row["auc_ci_high"]], [i, i], color=colour, lw=2)
        ax.plot(row["auc"], i, marker="D" if pred else "o", ms=7, color=colour, mfc=colour if pred else "white",
                ls="none")
    ax.set_yticks(range(len(t)), [f"{r} (n={int(a)})" + (" · predicts" if p else "")
                                  for r, a, p in zip(t["role"], t["accounts"], t["predicts"], strict=True)])
    ax.set_xlabel(f"AUC of the role's score for churn, {confidence:.0%} interval")
    ax.set_xlim(0.2, 1.0)
    ax.set_title("Whose scores predict churn?")
    ax.legend(loc="lower right", fontsize=8)
    return fig


# --------------------------------------------------------------------------- area


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
        ``outcome.false_comfort`` and ``outcome.role_predictiveness``.
    """
    acc = prep.accounts
    r = prep.responses
    s = prep.settings
    if acc is None:
        return not_assessed("outcome", "needs an accounts table with outcomes (accounts.churned)")
    if "churned" not in acc or acc["churned"].notna().sum() == 0:
        return not_assessed("outcome", "needs account outcomes (accounts.churned)")
    if "account_id" not in acc:
        return not_assessed("outcome", "needs account ids in the accounts table (accounts.account_id)")
    if "account_id" not in r or r["account_id"].notna().sum() == 0:
        return not_assessed("outcome", "needs the account of each response (responses.account_id)")
    if r.empty:
        return not_assessed("outcome", "no analysable responses")
    conf, breaks = s.confidence, s.breaks
    alpha = 1 - conf
    res = AreaResult(area="outcome")

    # linking
    # every response's account as a row of the de-duplicated accounts table, from the cached id codes
    table = _accounts_table(acc)
    pos = _positions(r["account_id"], table, prep.codes("account_id"))
    link = _link_table(pos, table, conf)
    res.tables["linking"] = link
    res.table_captions["linking"] = "How the analysed responses link to the accounts table (Wilson intervals)."
    unl = link[link["status"].isin(["account not found", "no account id"])]
    unlinked_n, unlinked_share = int(unl["responses"].sum()), float(unl["share"].sum())
    _, after = _before_mask(pos, table, r["responded_at"] if "responded_at" in r else None)
    role_codes = prep.codes("role") if "role" in r else None

    acc_segments = [c for c in (prep.config.tables["accounts"].segments if "accounts" in prep.config.tables else [])
                    if c in acc.columns]
    roles_dm = decision_roles(role_codes[1], s.decision_roles) if "role" in r else []
    a = _account_scores(r, table, pos, decision=roles_dm, extra=acc_segments, role_codes=role_codes)
    if "role" in r and "score_decision" in a and not roles_dm:
        a = a.drop(columns=["score_decision", "score_other"], errors="ignore")
    n_acc = len(a)
    events = int(a["churned"].sum()) if n_acc else 0
    if unlinked_share >= UNLINKED_SHARE and unlinked_n >= 3:
        _unlinked(res, link, unlinked_n, unlinked_share, len(r))
    if n_acc < 20 or events == 0 or events == n_acc:
        res.notes.append(f"Only {n_acc} account(s) with an outcome and a score before it ({events} churned): too few, "
                         "or a single outcome, to relate scores to churn.")
        res.summary = (f"Too few accounts with a known outcome and a prior score ({n_acc}, {events} churned) to tell "
                       "whether the score predicts churn.")
        return res

    score = "score_mean"
    cat_table = churn_by_category(a, score=score, confidence=conf, breaks=breaks)
    res.tables["churn_by_category"] = cat_table
    res.table_captions["churn_by_category"] = (
        "Share of accounts (and of their revenue) that churned, by the NPS category of the account's mean score "
        f"before its outcome, with {conf:.0%} intervals (Wilson; revenue: ratio-estimator linearisation).")
    res.figures.append(Figure("churn_by_category", plot_churn_by_category(cat_table, conf),
                              "Churn rate by the account's NPS category; whiskers are Wilson intervals."))
    lift = churn_lift(cat_table, conf)

    models = churn_logit(a, score=score, controls=acc_segments, confidence=conf)
    auc = auc_delong(a["churned"], a[score], conf)
    hz = churn_hazard(a, score=score, confidence=conf) if "outcome_at" in a and "last_response_at" in a else None
    mt = models.rename(columns={"odds_ratio": "estimate", "or_ci_low": "estimate_ci_low",
                                "or_ci_high": "estimate_ci_high"}).copy()
    mt.insert(1, "measure", "odds ratio per point")
    mt["model"] = "logistic, " + mt["model"]
    if hz is not None:
        mt = pd.concat([mt, pd.DataFrame([{"model": "Cox proportional hazards", "measure": "hazard ratio per point",
                                           "n": hz["n"], "events": hz["events"], "estimate": hz["hazard_ratio"],
                                           "estimate_ci_low": hz["hr_ci_low"], "estimate_ci_high": hz["hr_ci_high"],
                                           "p_value": hz["p_value"], "controls": "none", "note": ""}])],
                       ignore_index=True)
    mt = pd.concat([mt, pd.DataFrame([{"model": "ROC (DeLong)", "measure": "AUC", "n": n_acc, "events": events,
                                       "estimate": auc["auc"], "estimate_ci_low": auc["ci_low"],
                                       "estimate_ci_high": auc["ci_high"],
                                       "p_value": auc["p_value"], "controls": "none", "note": ""}])],
                   ignore_index=True)
    res.tables["models"] = mt
    res.table_captions["models"] = (
        "Is the account score associated with churn? Odds ratio of churn per score point (below 1: higher scores, "
        "less churn), hazard ratio of time to churn, and the AUC (probability that a churned account scored below "
        f"a retained one; 0.5 = chance), with {conf:.0%} intervals.")
    res.figures.append(Figure("churn_curve", plot_churn_curve(a, score, scale=s.scale, confidence=conf),
                              "Observed churn per account score (Wilson intervals) and the fitted logistic curve."))
    defs = score_definitions(a, conf)
    if len(defs) > 1:
        res.tables["score_definitions"] = defs
        res.table_captions["score_definitions"] = ("How well each way of summarising an account's responses "
                                                   "separates churned from retained accounts (AUC, DeLong interval).")

    # false comfort / alarm, overall and per role
    fs = false_signals(a, score=score, confidence=conf, breaks=breaks)
    fs.loc[:, "group"] = "all accounts"
    ra = (_role_account_scores(r, table, pos, role_codes=role_codes) if "role" in r
          else pd.DataFrame(columns=["account_id", "role", "responses", "score_mean", "churned"]))
    if not ra.empty:
        fs_role = false_signals(ra, group="role", confidence=conf, breaks=breaks)
        fs_role["group"] = "role: " + fs_role["group"]
        fs = pd.concat([fs, fs_role], ignore_index=True)
    res.tables["false_signals"] = fs
    res.table_captions["false_signals"] = (
        "False comfort: share of promoter accounts that churned; false alarm: share of detractor accounts that "
        f"stayed — for all accounts and by the role that answered ({conf:.0%} Wilson intervals).")

    # roles
    roles_t, inter = role_models(ra, confidence=conf) if not ra.empty else (pd.DataFrame(), {})
    if not roles_t.empty:
        res.tables["roles"] = roles_t
        res.table_captions["roles"] = (
            "Each role's score (the role's mean per account) as a predictor of churn: odds ratio per standard "
            f"deviation of the role's score and AUC with {conf:.0%} intervals, p-values BH-adjusted across roles.")
        if roles_t["auc"].notna().sum() >= 2:
            res.figures.append(Figure("roles", plot_roles(roles_t, conf),
                                      "AUC of each role's score for churn (DeLong intervals); 0.5 is chance."))

    # drivers of churn
    if prep.drivers:
        from ...linking import account_means
        from ..drivers import churn_drivers

        af = account_means(prep, list(prep.drivers))
        cd = churn_drivers(af, list(prep.drivers), confidence=conf) if af is not None else pd.DataFrame()
        if not cd.empty:
            res.tables["churn_drivers"] = cd
            res.table_captions["churn_drivers"] = (
                "Which driver ratings explain churn: odds ratio per standard deviation (all drivers in one logistic "
                "model, account level) and share of McFadden's pseudo-R² (Shapley decomposition).")

    # findings
    only = models[models["model"] == "score only"].iloc[0]
    _link_findings(res, only, auc, lift, n_acc, events, alpha, cat_table)
    _false_comfort(res, fs, cat_table)
    role_share = None
    if "role" in r:
        counts = np.bincount(role_codes[0][role_codes[0] >= 0], minlength=len(role_codes[1]))
        role_share = pd.Series(counts / max(len(r), 1), index=pd.Index(role_codes[1]).astype(str)).groupby(
            level=0).sum()
    _role_predictiveness(res, roles_t, inter, alpha, role_share)

    res.notes += [
        f"{n_acc:,} accounts with a known outcome and at least one response before it ({events:,} churned). The "
        "account score is the mean of its responses before the outcome"
        + (f"; {after:,} response(s) given on or after the account's outcome were left out." if after else "."),
        "Churn rates with Wilson (1927) intervals; detractor/promoter risk ratio with the Katz log interval.",
        "Logistic regression (maximum likelihood) at account level; odds ratio per score point with Wald interval; "
        "controls: account segments (levels under 10 accounts pooled) and log ARR where known.",
        "AUC with DeLong, DeLong & Clarke-Pearson (1988) interval; Cox (1972) model (Breslow ties) of the "
        "time from the last response to churn, renewals censored, where outcome dates exist.",
        "Per-role models compared by a Wald test of score x role interactions, account-clustered standard errors.",
    ]
    if np.isfinite(auc["auc"]) and auc["auc"] >= 0.9:
        res.notes.insert(0, "The score separates churned from retained accounts almost perfectly "
                         f"(AUC {auc['auc']:.2f}), far above what survey scores usually achieve: check that "
                         "scores were not collected after, or because of, the churn decision (exit surveys, "
                         "scores edited after the fact).")
    if not res.summary:
        res.summary = _summary(lift, auc, res)
        if np.isfinite(auc["auc"]) and auc["auc"] >= 0.9:
            res.summary += " A link this strong is unusual for survey data: check how scores were collected."
    return res


def _summary(lift: dict, auc: dict, res: AreaResult) -> str:
    top = sorted((f for f in res.findings if f.severity in ("high", "medium")),
                 key=lambda f: ("high", "medium").index(f.severity))
    if top and top[0].id in ("outcome.no_link", "outcome.inverse_link"):
        return top[0].title
    base = ""
    if np.isfinite(lift.get("detractor_rate", np.nan)) and np.isfinite(lift.get("promoter_rate", np.nan)):
        base = (f"Detractor accounts churned at {100 * lift['detractor_rate']:.0f}% against "
                f"{100 * lift['promoter_rate']:.0f}% for promoters")
    if np.isfinite(auc["auc"]):
        base += ("; " if base else "") + (f"the score separates churned from retained accounts with AUC "
                                          f"{auc['auc']:.2f} ({auc['ci_low']:.2f}–{auc['ci_high']:.2f})")
    if top:
        base += f". {top[0].title}"
    return (base + ".") if base and not base.endswith(".") else base


def _unlinked(res: AreaResult, link: pd.DataFrame, n: int, share: float, total: int) -> None:
    no_id = int(link.loc[link["status"] == "no account id", "responses"].sum())
    not_found = int(link.loc[link["status"] == "account not found", "responses"].sum())
    lo, hi = _wilson(n, total, 0.95)
    severity = "high" if share >= 0.3 else "medium" if share >= 0.1 else "low"
    res.findings.append(Finding(
        "outcome.unlinked", severity,
        f"{100 * share:.1f}% of responses match no account",
        (f"{n:,} of {total:,} analysed responses ({100 * share:.1f}%, interval {100 * float(lo):.1f}–"
         f"{100 * float(hi):.1f}%) cannot be tied to an account: {not_found:,} carry an account id that is not in "
         f"the accounts table and {no_id:,} have no account id. Their scores cannot be related to retention or "
         "revenue."),
        evidence={"unlinked": n, "responses": total, "unlinked_share": share, "share_ci_low": float(lo),
                  "share_ci_high": float(hi), "account_not_found": not_found, "no_account_id": no_id},
        recommendation=("Fix the account key between the survey tool and the CRM (carry the CRM account id in the "
                        "survey invitation) and re-link the unmatched responses.")))


def _link_findings(res: AreaResult, only: pd.Series, auc: dict, lift: dict, n_acc: int, events: int,
                   alpha: float, cat_table: pd.DataFrame) -> None:
    retained = n_acc - events
    enough = events >= MIN_EVENTS and retained >= MIN_EVENTS
    if not enough or not np.isfinite(auc["auc"]):
        res.notes.append(f"Too few churned ({events}) or retained ({retained}) accounts to say whether the score is "
                         f"associated with churn (at least {MIN_EVENTS} of each are needed).")
        return
    if not auc["se"] > 0:
        res.notes.append("Every account has the same score: whether the score relates to churn cannot be assessed.")
        return
    or_, p = float(only["odds_ratio"]), float(only["p_value"])
    est = np.isfinite(or_)
    ev = {"accounts": n_acc, "churned": events, "auc": auc["auc"], "auc_ci_low": auc["ci_low"],
          "auc_ci_high": auc["ci_high"], "auc_p_value": auc["p_value"],
          "odds_ratio_per_point": or_ if est else None,
          "or_ci_low": float(only["or_ci_low"]) if est else None,
          "or_ci_high": float(only["or_ci_high"]) if est else None, "p_value": p if est else None,
          "detractor_churn_rate": lift["detractor_rate"], "promoter_churn_rate": lift["promoter_rate"],
          "risk_ratio": lift["risk_ratio"]}
    rates = (f"Detractor accounts churned at {100 * lift['detractor_rate']:.0f}% and promoters at "
             f"{100 * lift['promoter_rate']:.0f}%. " if np.isfinite(lift["detractor_rate"])
             and np.isfinite(lift["promoter_rate"]) else "")
    inverse = (est and p < alpha and or_ > 1 and auc["ci_high"] < 0.5) or (not est and auc["ci_high"] < 0.5)
    if inverse:
        res.findings.append(Finding(
            "outcome.inverse_link", "high", "Accounts with higher scores churn more, not less",
            (f"Across {n_acc:,} accounts ({events:,} churned) each extra score point goes with "
             + (f"{100 * (or_ - 1):.0f}% higher odds of churn (odds ratio {or_:.2f}, {only['or_ci_low']:.2f}–"
                f"{only['or_ci_high']:.2f}, p = {p:.2g}); " if est else "")
             + f"churned accounts scored higher than retained ones (AUC {auc['auc']:.2f}, "
             f"{auc['ci_low']:.2f}–{auc['ci_high']:.2f}). {rates}"),
            evidence=ev,
            recommendation=("Check how scores and accounts are joined (a reversed scale or a wrong key), then who "
                            "answers for the churning accounts: satisfied users may not be the people deciding to "
                            "renew.")))
        return
    no_assoc = (not est or p >= alpha) and auc["ci_low"] <= 0.5 <= auc["ci_high"]
    negligible = auc["ci_high"] < 0.55
    if no_assoc or negligible:
        severity = "high" if auc["ci_high"] < 0.6 else "medium"
        what = ("no detectable association" if no_assoc else "an association too weak to use")
        res.findings.append(Finding(
            "outcome.no_link", severity,
            f"The score does not predict churn: {what} across {n_acc:,} accounts",
            (f"Churned and retained accounts scored alike: AUC {auc['auc']:.2f} (interval {auc['ci_low']:.2f}–"
             f"{auc['ci_high']:.2f}, where 0.5 is chance)"
             + (f"; odds ratio per score point {or_:.2f} ({only['or_ci_low']:.2f}–{only['or_ci_high']:.2f}, "
                f"p = {p:.2g})" if est else "")
             + f". {rates}"
             + ("With this many accounts a useful link (AUC 0.6 or more) is ruled out." if auc["ci_high"] < 0.6
                else "")),
            evidence=ev,
            recommendation=("Do not use this score as a retention indicator as it stands: check who answers for each "
                            "account (decision makers vs users), the timing of the survey against renewals, and "
                            "whether the question asked is the likelihood to recommend.")))


def _false_comfort(res: AreaResult, fs: pd.DataFrame, cat_table: pd.DataFrame) -> None:
    ratio = fs["false_comfort_rate"] / fs["churn_rate"].where(fs["churn_rate"] > 0)
    cand = fs[(fs["promoters"] >= 20) & (fs["false_comfort_rate"] >= FALSE_COMFORT_RATE)
              & (fs["rate_comfort_ci_low"] >= FALSE_COMFORT_RATE / 2) & (ratio >= FALSE_COMFORT_RATIO)]
    if cand.empty:
        return
    top = cand.sort_values("false_comfort_rate", ascending=False).iloc[0]
    rate, base = float(top["false_comfort_rate"]), float(top["churn_rate"])
    severity = "high" if top["rate_comfort_ci_low"] >= 0.15 and rate >= 0.8 * base else "medium"
    who = "promoter accounts" if top["group"] == "all accounts" else (
        f"accounts whose {top['group'].removeprefix('role: ')} respondents are promoters")
    alarm = fs[fs["group"] == top["group"]].iloc[0]
    detail = (f"{int(top['promoters_churned'])} of {int(top['promoters'])} {who} churned ({100 * rate:.1f}%, interval "
              f"{100 * top['rate_comfort_ci_low']:.1f}–{100 * top['rate_comfort_ci_high']:.1f}%), against "
              f"{100 * base:.1f}% of the same accounts overall: a promoter score barely lowers the risk of losing the "
              "account.")
    if np.isfinite(alarm["false_alarm_rate"]):
        detail += (f" Conversely {100 * alarm['false_alarm_rate']:.0f}% of the detractor accounts in this group stayed "
                   "(false alarms).")
    res.findings.append(Finding(
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
                        "was asked, usage, contract events) and add a renewal-risk check beyond the score.")))


def _role_predictiveness(res: AreaResult, roles_t: pd.DataFrame, inter: dict, alpha: float,
                         role_share: pd.Series | None) -> None:
    if roles_t.empty or not inter or not np.isfinite(inter.get("p_value", np.nan)):
        return
    modelled = roles_t[roles_t["p_value"].notna()]
    sig = (modelled["p_adj"] < alpha) & (modelled["odds_ratio_per_sd"] < 1)
    yes = modelled[sig & (modelled["auc"] >= STRONG_AUC)]
    if inter["p_value"] >= alpha or yes.empty:
        return
    best = float(yes["auc"].max())
    no = modelled[~sig | (modelled["auc"] <= best - AUC_GAP)]
    if no.empty:
        return
    useless = no[~sig.loc[no.index] | (no["auc"] < WEAK_AUC)]
    share_no = float(role_share.reindex(list(useless["role"])).sum()) if role_share is not None else float("nan")
    severity = "high" if share_no >= 0.5 else "medium"
    y_txt = ", ".join(f"{row['role']} (AUC {row['auc']:.2f}, {row['auc_ci_low']:.2f}–{row['auc_ci_high']:.2f}; "
                      f"odds ratio {row['odds_ratio_per_sd']:.2f} per SD)" for _, row in yes.iterrows())
    n_txt = ", ".join(f"{row['role']} (AUC {row['auc']:.2f}, {row['auc_ci_low']:.2f}–{row['auc_ci_high']:.2f}; "
                      f"odds ratio {row['odds_ratio_per_sd']:.2f} per SD)" for _, row in no.iterrows())
    if len(useless) == len(no):
        verb = "barely do" if sig.loc[no.index].all() else "do not"
        title = (f"Only some roles' scores predict churn: {_join(yes['role'])} scores do, "
                 f"{_join(no['role'])} scores {verb}")
    else:
        title = (f"{_join(yes['role'])} scores predict churn much better than {_join(no['role'])} scores "
                 f"(AUC {best:.2f} vs {float(no['auc'].max()):.2f})")
    detail = (f"Scores predict churn well for {y_txt}, but clearly less for {n_txt}. The roles differ significantly "
              f"(Wald test of the score x role interaction on standardized scores, chi² = {inter['chi2']:.1f} on "
              f"{inter['df']} df, p = {inter['p_value']:.2g}).")
    share_weaker = float(role_share.reindex(list(no["role"])).sum()) if role_share is not None else float("nan")
    if np.isfinite(share_weaker):
        detail += f" The roles whose scores predict churn less give {100 * share_weaker:.0f}% of all responses."
    res.findings.append(Finding(
        "outcome.role_predictiveness", severity, title, detail,
        evidence={"interaction_chi2": inter["chi2"], "interaction_df": inter["df"],
                  "interaction_p_value": inter["p_value"], "predictive_roles": yes["role"].tolist(),
                  "weak_roles": no["role"].tolist(), "best_auc": best, "weak_auc_max": float(no["auc"].max()),
                  "weak_role_response_share": share_weaker, "useless_role_response_share": share_no,
                  "roles": [{"role": row["role"], "accounts": int(row["accounts"]), "auc": float(row["auc"]),
                             "odds_ratio_per_sd": float(row["odds_ratio_per_sd"]), "p_adj": float(row["p_adj"])}
                            for _, row in modelled.iterrows()]},
        recommendation=(f"Weight the program toward {_join(yes['role'])}: survey them at every account before "
                        "renewal, and read the other roles' scores as product feedback rather than a retention "
                        "signal.")))
