"""Weighted NPS: balancing who answered against who the customer base is.

A raw NPS counts every response once, so an account that sends twenty
answers counts twenty times and a role that answers readily (users) drowns
out one that does not (executives). Weighting restores the balance:

- :func:`account_weights` -- each account counts once (1 / responses of its account);
- :func:`poststratify` -- each group (role) weighs as its share of a population
  (contacts) says: post-stratification, optionally on top of base weights;
- :func:`weighted_nps` -- the weighted NPS with a design-based standard error:
  Taylor-series linearisation of the ratio estimator, accounts as clusters,
  beside Kish's effective sample size.

References
----------
.. [1] Kish, L. (1965). Survey Sampling. Wiley (effective sample size
   n_eff = (sum w)^2 / sum w^2, design effect n / n_eff).
.. [2] Wolter, K. M. (2007). Introduction to Variance Estimation, 2nd ed.,
   ch. 6 (Taylor series / linearisation). Springer.
.. [3] Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R.
   Wiley (``svymean`` with ``ids = ~account``: the same estimator).
.. [4] Holt, D. & Smith, T. M. F. (1979). Post stratification. JRSS A, 142(1), 33-46.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .nps import Breaks
from .result import Result

__all__ = ["WeightedNps", "account_weights", "poststratify", "weighted_nps", "kish_effective_n"]


@dataclass(frozen=True)
class WeightedNps(Result):
    """A weighted NPS with its design-based standard error (:func:`weighted_nps`).

    Attributes
    ----------
    n : int
        Rows used.
    nps, se : float
        The weighted NPS and its linearised standard error, in points.
    ci_low, ci_high : float
        Its Wald interval, clipped to [-100, 100].
    effective_n : float
        Kish's effective sample size of the weights.
    design_effect : float
        Variance ratio against simple random sampling of the same n.
    clusters : int
        Clusters (accounts) in the variance estimate.
    """

    n: int
    nps: float
    se: float
    ci_low: float
    ci_high: float
    effective_n: float
    design_effect: float
    clusters: int


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 = missing) and distinct values of a column; a categorical gives its own codes."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return np.asarray(values.array.codes, dtype=np.intp), np.asarray(values.array.categories, dtype=object)
    codes, uniq = pd.factorize(values)
    return np.asarray(codes, dtype=np.intp), np.asarray(uniq, dtype=object)


def kish_effective_n(weights) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2.

    Examples
    --------
    >>> kish_effective_n([1, 1, 2])
    2.6666666666666665
    """
    w = np.asarray(weights, dtype="float64")
    w = w[np.isfinite(w) & (w > 0)]
    return float(w.sum() ** 2 / (w**2).sum()) if len(w) else 0.0


def account_weights(data: pd.DataFrame, account: str = "account_id") -> pd.Series:
    """Weights that make each account count once: 1 / (responses of the account).

    Responses without an account count as their own account (weight 1).

    Parameters
    ----------
    data : DataFrame
        One row per response.
    account : str
        Account column.

    Returns
    -------
    Series
        A weight per row of ``data`` (same index), summing to the number of accounts.

    Examples
    --------
    >>> account_weights(pd.DataFrame({"account_id": ["a", "a", "b"]})).tolist()
    [0.5, 0.5, 1.0]
    """
    if account not in data:
        return pd.Series(1.0, index=data.index)
    codes, _ = _codes(data[account])  # integer codes: counting on them is fast on millions of rows
    w = np.ones(len(codes))
    ok = codes >= 0
    if ok.any():
        size = np.bincount(codes[ok])
        w[ok] = 1.0 / size[codes[ok]]
    return pd.Series(w, index=data.index, name="weight")


def poststratify(
    data: pd.DataFrame,
    stratum: str,
    target: Mapping | pd.Series,
    base_weights: pd.Series | None = None,
) -> pd.Series:
    """Post-stratification weights: each stratum weighs as its target share says.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    stratum : str
        Column with the stratum (e.g. role).
    target : mapping or Series
        Stratum -> population share (or count); renormalised over the strata
        present in ``data``.
    base_weights : Series, optional
        Weights to keep within each stratum (e.g. :func:`account_weights`);
        default 1.

    Returns
    -------
    Series
        A weight per row, scaled so that the weights sum to the number of rows
        in the strata that were weighted. Rows whose stratum is missing or has
        no target share get NaN (leave them out of the weighted estimate).

    Notes
    -----
    w_i = b_i * T_h / B_h, where T_h is the target share of stratum h, b_i
    the base weight and B_h the sum of base weights in stratum h (Holt &
    Smith 1979).

    Examples
    --------
    >>> d = pd.DataFrame({"role": ["user", "user", "user", "exec"]})
    >>> poststratify(d, "role", {"user": 0.5, "exec": 0.5}).tolist()
    [0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 2.0]
    """
    t = pd.Series(target, dtype="float64")
    if base_weights is None:
        b = np.ones(len(data))
    else:
        bw = base_weights if base_weights.index is data.index else base_weights.reindex(data.index)
        b = bw.to_numpy(dtype="float64", na_value=np.nan)
    codes, uniq = _codes(data[stratum])
    # target share of each stratum present in the data (NaN: absent or no positive target)
    pos = pd.Index(uniq, dtype=object).get_indexer(t.index) if len(uniq) else np.full(len(t), -1)
    size = np.bincount(codes[codes >= 0], minlength=len(uniq))
    valid = (pos >= 0) & (t.to_numpy() > 0)
    valid[valid] = size[pos[valid]] > 0
    if not valid.any():
        return pd.Series(np.nan, index=data.index, name="weight")
    tu = np.full(len(uniq), np.nan)
    tu[pos[valid]] = t.to_numpy()[valid] / t.to_numpy()[valid].sum()
    in_t = codes >= 0
    in_t[in_t] = ~np.isnan(tu[codes[in_t]])
    sums = np.bincount(codes[in_t], weights=np.nan_to_num(b[in_t]), minlength=len(uniq))
    n = int(in_t.sum())
    w = np.full(len(codes), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        w[in_t] = b[in_t] * (tu / sums)[codes[in_t]]
        w = w * n / np.nansum(w)
    return pd.Series(w, index=data.index, name="weight")


def weighted_nps(
    data: pd.DataFrame,
    weights: pd.Series | str | None = None,
    score: str = "score",
    cluster: str | None = None,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
) -> WeightedNps:
    """Weighted NPS with a linearised (design-based) standard error.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    weights : Series or column name, optional
        Non-negative weights; rows with missing weight are left out. Default 1.
    score : str
        Score column.
    cluster : str, optional
        Column identifying clusters (accounts): responses of one account are
        not independent. Rows without a cluster form their own cluster.
        Default: every response is its own cluster.
    confidence : float
        Confidence level of the Wald interval.
    breaks : Breaks
        Category breaks.

    Returns
    -------
    WeightedNps
        ``n`` (rows used), ``nps`` (points), ``se`` (points), ``ci_low``,
        ``ci_high``, ``effective_n`` (Kish), ``design_effect`` (variance
        ratio against simple random sampling of the same n), ``clusters``.

    Notes
    -----
    Each response is y = +1 (promoter), 0 (passive), -1 (detractor).
    NPS_w = sum w y / sum w. Its linearised variance with clusters c is
    G / (G - 1) * sum_c (sum_{i in c} w_i (y_i - NPS_w))^2 / (sum w)^2,
    the with-replacement (ultimate cluster) estimator of ``svymean`` in
    R's survey package (Lumley 2010), equal to a weighted least squares
    regression of y on a constant with cluster-robust (CR1) standard errors.
    The interval is NPS_w +- z SE, clipped to [-100, 100].

    Examples
    --------
    >>> d = pd.DataFrame({"score": [10, 10, 0, 8]})
    >>> round(weighted_nps(d).nps, 1)
    25.0
    """
    nan = float("nan")
    empty = WeightedNps(n=0, nps=nan, se=nan, ci_low=nan, ci_high=nan, effective_n=0.0, design_effect=nan,
                        clusters=0)
    if isinstance(weights, str):
        w = data[weights].astype("float64")
    elif weights is None:
        w = pd.Series(1.0, index=data.index)
    else:
        w = weights if weights.index is data.index else weights.reindex(data.index)
    sc = data[score].to_numpy(dtype="float64", na_value=np.nan)
    y = np.where(sc <= breaks.detractor_max, -1.0, np.where(sc >= breaks.promoter_min, 1.0, 0.0))
    wv = w.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        ok = ~np.isnan(wv) & (wv >= 0) & ~np.isnan(sc)
    if not ok.any() or wv[ok].sum() <= 0:
        return empty
    wv, y = wv[ok], y[ok]
    sw = wv.sum()
    est = float((wv * y).sum() / sw)
    u = wv * (y - est)
    if cluster is not None and cluster in data:
        codes, _ = _codes(data[cluster])  # integer cluster codes; a row without a cluster is its own
        codes = codes[ok]
        miss = codes < 0
        codes[miss] = codes.max(initial=-1) + 1 + np.arange(int(miss.sum()))
        size = np.bincount(codes)
        totals = np.bincount(codes, weights=u)[size > 0]
    else:
        totals = u
    g = len(totals)
    var = g / (g - 1) * float((totals**2).sum()) / sw**2 if g > 1 else nan
    se = float(np.sqrt(var)) if var == var else nan
    z = stats.norm.ppf(0.5 + confidence / 2)
    n = int(ok.sum())
    var_srs = float(((y - est) ** 2).sum() / (n - 1) / n) if n > 1 else nan
    with np.errstate(invalid="ignore", divide="ignore"):
        deff = var / var_srs if var_srs and var_srs > 0 else nan
    return WeightedNps(n=n, nps=100 * est, se=100 * se, ci_low=float(np.clip(100 * (est - z * se), -100, 100)),
                       ci_high=float(np.clip(100 * (est + z * se), -100, 100)), effective_n=kish_effective_n(wv),
                       design_effect=float(deff), clusters=g)
