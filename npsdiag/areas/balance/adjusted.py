"""Which NPS to believe: the raw NPS beside the NPS re-weighted so that each account and role counts as it should.

- :func:`adjusted_nps` -- the raw NPS and the balance-adjusted ones (each account
  once, roles weighted to the contacts' mix, both);
- :func:`which_nps` -- the three NPS a client may track, side by side: every
  response, one vote per account, and decision makers', each with a
  design-based interval (accounts as clusters).

References
----------
.. [1] Rocks, B. (2016). Interval estimation for the "Net Promoter Score".
   The American Statistician, 70(4), 365-372.
.. [4] Korn, E. L. & Graubard, B. I. (1998). Confidence intervals for
   proportions with small expected number of positive counts estimated from
   survey data. Survey Methodology, 24(2), 193-201.
.. [5] Wolter, K. M. (2007). Introduction to Variance Estimation, 2nd ed., ch. 6. Springer.
.. [2] Holt, D. & Smith, T. M. F. (1979). Post stratification. JRSS A, 142(1), 33-46.
.. [3] Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ...linking import counts, remap
from ...stats.design import nps_design_based
from ...stats.nps import Breaks, cluster_codes
from ...stats.weighting import WeightedNps, account_weights, poststratify, weighted_nps
from .codes import category_codes, factorize

__all__ = ["adjusted_nps", "which_nps", "WHICH_NPS_COLUMNS"]

#: The columns of :func:`which_nps`.
WHICH_NPS_COLUMNS = ["measure", "nps", "se", "ci_low", "ci_high", "n", "accounts"]


def adjusted_nps(
    data: pd.DataFrame,
    score: str = "score",
    account: str | None = "account_id",
    role: str | None = "role",
    population_shares: pd.Series | dict | None = None,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
) -> pd.DataFrame:
    """Raw NPS beside balance-adjusted NPS (accounts counted once, roles as in the population).

    Parameters
    ----------
    data : DataFrame
        One row per response.
    score, account, role : str
        Column names (account and role optional).
    population_shares : Series or dict, optional
        Role -> share of the population (contacts); enables role weighting.
    confidence : float
        Confidence level.

    Returns
    -------
    DataFrame
        One row per estimate: ``estimate`` (raw; each account counts once;
        roles weighted to the population; both), ``n``, ``effective_n``
        (n over the design effect of weights and accounts: the independent
        responses that would be as precise), ``nps``, ``se``, ``ci_low``, ``ci_high``, ``difference``
        (points from raw), ``method``.

    Notes
    -----
    The raw NPS carries Rocks' adjusted Wald interval on the effective
    sample size n / deff, its design effect with accounts as clusters
    (:func:`npsdiag.stats.survey.nps_clustered`, as the headline; Rocks'
    interval itself without accounts). Weighted
    estimates use the weights of :mod:`npsdiag.stats.weighting`: 1 / responses of
    the account (each account counts once), post-stratification of roles to
    the population's role shares (Holt & Smith 1979), or both (account
    weights rescaled within role to the role shares). Their standard errors
    are Taylor-linearised with accounts as clusters (as R's
    ``svymean(~y, svydesign(ids = ~account, weights = ~w))``) and the
    interval is Wald. Responses without a role are left out of the
    role-weighted estimates.

    Examples
    --------
    >>> d = pd.DataFrame({"score": [10, 10, 10, 0], "role": ["user"] * 3 + ["exec"], "account_id": list("abcd")})
    >>> adjusted_nps(d, population_shares={"user": 0.5, "exec": 0.5})["nps"].round(1).tolist()
    [50.0, 50.0, 0.0, 0.0]
    """
    rows = []
    cl = account if account and account in data and data[account].notna().any() else None
    raw = nps_design_based(category_codes(data[score], breaks), cluster_codes(data[cl]) if cl else None,
                           confidence=confidence)
    rows.append({"estimate": "raw (every response counts once)", "n": raw.n, "effective_n": raw.n_effective,
                 "nps": raw.nps, "se": raw.se, "ci_low": raw.ci_low, "ci_high": raw.ci_high,
                 "method": "adjusted Wald on the effective sample size, accounts as clusters (Rocks 2016; Korn & "
                           "Graubard 1998)" if cl else "adjusted Wald (Rocks 2016)"})
    lin = "Taylor linearisation, accounts as clusters" if cl else "Taylor linearisation"
    if cl:
        w = account_weights(data, cl)
        r = weighted_nps(data, w, score=score, cluster=cl, confidence=confidence, breaks=breaks)
        rows.append({"estimate": "each account counts once", **_pick(r), "method": f"weights 1/responses per "
                                                                                  f"account; {lin}"})
    if population_shares is not None and role and role in data and data[role].notna().any():
        tgt = pd.Series(population_shares, dtype="float64")
        rc, rv = factorize(data[role])
        keep = remap(rc, np.asarray(pd.Index(rv, dtype=object).isin(tgt.index[tgt > 0]), dtype=np.intp)) == 1
        d = data.loc[keep]
        if (counts(rc[keep], len(rv)) > 0).sum() >= 2:
            w = poststratify(d, role, tgt)
            r = weighted_nps(d, w, score=score, cluster=cl, confidence=confidence, breaks=breaks)
            rows.append({"estimate": "roles weighted to the contacts' mix", **_pick(r),
                         "method": f"post-stratification on role; {lin}"})
            if cl:
                w2 = poststratify(d, role, tgt, base_weights=account_weights(d, cl))
                r = weighted_nps(d, w2, score=score, cluster=cl, confidence=confidence, breaks=breaks)
                rows.append({"estimate": "accounts once, roles to the contacts' mix", **_pick(r),
                             "method": f"account weights post-stratified on role; {lin}"})
    out = pd.DataFrame(rows)
    out["difference"] = out["nps"] - out["nps"].iloc[0]
    return out[["estimate", "n", "effective_n", "nps", "se", "ci_low", "ci_high", "difference", "method"]]


def _pick(r: WeightedNps) -> dict[str, float]:
    """The columns of :func:`adjusted_nps` from a weighted estimate (effective n: n over its design effect)."""
    out = {k: getattr(r, k) for k in ("n", "nps", "se", "ci_low", "ci_high")}
    deff = r.design_effect
    out["effective_n"] = r.n / max(deff, 1.0) if np.isfinite(deff) else float(r.effective_n)
    return out



def which_nps(
    data: pd.DataFrame,
    score: str = "score",
    account: str | None = "account_id",
    decision: str | None = None,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
) -> pd.DataFrame:
    """Which NPS to track: every response, one vote per account, decision makers', each with its interval.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    score : str
        Score column (rows without a score are left out).
    account : str, optional
        Account column: the clusters of every interval (a response without an account is its own).
    decision : str, optional
        Boolean column: the response comes from a decision maker.
    confidence : float
    breaks : Breaks

    Returns
    -------
    DataFrame
        One row per measure that the data allow: ``measure`` ("All responses", "One vote per account",
        "Decision makers"), ``nps``, ``se``, ``ci_low``, ``ci_high`` (points), ``n`` (responses),
        ``accounts`` (distinct accounts among them).

    Notes
    -----
    Every response: the mean of x in {-1, 0, 1}, its linearised variance with accounts as primary units
    and Rocks' adjusted Wald interval on the effective sample size n / deff, as the headline
    (:func:`npsdiag.stats.survey.nps_clustered`; here on integer codes,
    :func:`npsdiag.stats.design.nps_design_based`). One vote per account: weights 1 /
    responses of the account, so the NPS is the mean of the accounts' mean x; its linearised variance
    (:func:`npsdiag.stats.weighting.weighted_nps`) is then s² / A over the A accounts' means, the Wald
    interval. Decision makers: a domain of the whole design (R ``survey``'s ``svymean`` on
    ``subset(design, decision)``: every account of the data counts in G/(G-1)), its interval as the
    headline's (as :func:`npsdiag.stats.survey.nps_by_clustered`).

    Examples
    --------
    >>> d = pd.DataFrame({"score": [10, 10, 0, 9, 0, 5, 8], "account_id": list("aaabccd"),
    ...                   "dm": [True, False, False, False, True, False, False]})
    >>> which_nps(d, decision="dm")[["measure", "nps", "se"]].round(2).values.tolist()
    [['All responses', 0.0, 40.41], ['One vote per account', 8.33, 41.67], ['Decision makers', 0.0, 81.65]]
    """
    d = data.loc[data[score].notna()] if data[score].isna().any() else data
    cl = account if account and account in d and d[account].notna().any() else None

    def n_accounts(frame: pd.DataFrame) -> int:
        return int(frame[cl].nunique()) if cl else 0

    rows = []
    cat = category_codes(d[score], breaks)
    groups = cluster_codes(d[cl]) if cl else None
    raw = nps_design_based(cat, groups, confidence=confidence)
    rows.append({"measure": "All responses", "nps": raw.nps, "se": raw.se, "ci_low": raw.ci_low,
                 "ci_high": raw.ci_high, "n": raw.n, "accounts": n_accounts(d)})
    if cl:
        rows.append({"measure": "One vote per account", **_one_vote(cat, groups, confidence), "n": raw.n,
                     "accounts": n_accounts(d)})
    if decision and decision in d:
        dm = d[decision].fillna(False).to_numpy(dtype=bool)
        if dm.any():
            r = nps_design_based(cat, groups, domain=dm, confidence=confidence)
            rows.append({"measure": "Decision makers", "nps": r.nps, "se": r.se, "ci_low": r.ci_low,
                         "ci_high": r.ci_high, "n": r.n, "accounts": n_accounts(d.loc[dm])})
    return pd.DataFrame(rows, columns=WHICH_NPS_COLUMNS)


def _one_vote(cat: np.ndarray, groups: np.ndarray, confidence: float) -> dict[str, float]:
    """The mean of the accounts' mean x, its SE s / sqrt(A) and Wald interval (points): the weighted NPS with
    weights 1 / responses of the account and its linearised variance (:func:`npsdiag.stats.weighting.weighted_nps`)
    in closed form, counted with :func:`numpy.bincount`."""
    ok = cat >= 0
    g = groups[ok]
    size = np.bincount(g)
    used = size > 0
    means = np.bincount(g, weights=cat[ok] - 1.0)[used] / size[used]
    a = len(means)
    est = float(means.mean()) if a else float("nan")
    se = float(means.std(ddof=1) / np.sqrt(a)) if a > 1 else float("nan")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return {"nps": 100 * est, "se": 100 * se, "ci_low": float(np.clip(100 * (est - z * se), -100, 100)),
            "ci_high": float(np.clip(100 * (est + z * se), -100, 100))}
