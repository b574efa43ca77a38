"""Concentration: how unevenly a total is spread over units (responses over accounts).

- :func:`lorenz_curve` -- the Lorenz curve of counts across units;
- :func:`concentration` -- Gini coefficient, the share held by the top
  units and a test of that share against a multinomial null in which units
  differ only by their propensities (simulated, or analytic for many units);
- :func:`top_share_null` -- the large-sample null distribution of the top
  share, whose cost does not grow with the number of units.

References
----------
.. [1] Gini, C. (1912). Variabilità e mutabilità. Bologna.
.. [2] Stigler, S. M. (1974). Linear functions of order statistics with
   smooth weight functions. Annals of Statistics, 2(4), 676-693.
.. [3] Rockafellar, R. T. & Uryasev, S. (2000). Optimization of
   conditional value-at-risk. Journal of Risk, 2, 21-42.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .result import Result

__all__ = ["Concentration", "TopShareNull", "lorenz_curve", "concentration", "top_share_null",
           "SIMULATE_MAX_ACCOUNTS"]

#: Above this many responding accounts, :func:`concentration` uses its analytic null instead of simulations.
SIMULATE_MAX_ACCOUNTS = 2500


@dataclass(frozen=True)
class Concentration(Result):
    """How concentrated responses are across accounts (:func:`concentration`).

    Attributes
    ----------
    accounts, responses : int
        Responding accounts (units with a positive count) and their responses (the total).
    gini : float
        Gini coefficient: 0 = every account alike, 1 = one account gives all.
    top_share : float
        Share of responses from the top ``top`` fraction of accounts (Lorenz curve interpolated).
    largest_share : float
        Share of the largest account.
    expected_top_share, null_sd : float
        Mean and standard deviation of the top share under the null (NaN when not tested).
    p_value : float
        Probability under the null of a top share at least as large (NaN when not tested).
    method : {"simulation", "analytic"} or None
        How the null was computed (None: not tested, e.g. one account or one response each).
    """

    accounts: int
    responses: int
    gini: float
    top_share: float
    largest_share: float
    expected_top_share: float
    null_sd: float
    p_value: float
    method: str | None


@dataclass(frozen=True)
class TopShareNull(Result):
    """The large-sample null distribution of the top share (:func:`top_share_null`).

    Attributes
    ----------
    mean, sd : float
        Mean and standard deviation of the top share under the null.
    q : float
        The null's (1 - top) quantile of responses per account.
    p_value : float
        (1 + #{draws >= observed}) / (1 + draws); NaN without an observed share.
    """

    mean: float
    sd: float
    q: float
    p_value: float = float("nan")


def lorenz_curve(counts) -> pd.DataFrame:
    """Lorenz curve of responses across accounts.

    Parameters
    ----------
    counts : array-like
        Responses per account.

    Returns
    -------
    DataFrame
        ``share_accounts`` (cumulative share of accounts, smallest first) and
        ``share_responses`` (cumulative share of responses), from (0, 0) to (1, 1).

    Examples
    --------
    >>> lorenz_curve([1, 3]).round(2).to_dict("list")
    {'share_accounts': [0.0, 0.5, 1.0], 'share_responses': [0.0, 0.25, 1.0]}
    """
    c = np.sort(np.asarray(counts, dtype="float64"))
    n = len(c)
    if n == 0 or c.sum() == 0:
        return pd.DataFrame({"share_accounts": [0.0, 1.0], "share_responses": [0.0, 1.0]})
    x = np.concatenate([[0.0], np.arange(1, n + 1) / n])
    y = np.concatenate([[0.0], np.cumsum(c) / c.sum()])
    return pd.DataFrame({"share_accounts": x, "share_responses": y})


def _top_share(c: np.ndarray, top: float) -> np.ndarray:
    """Share of the total held by the top ``top`` fraction of units (Lorenz curve interpolated); rows = samples."""
    c = np.sort(np.atleast_2d(c), axis=1)
    n = c.shape[1]
    cum = np.concatenate([np.zeros((c.shape[0], 1)), np.cumsum(c, axis=1)], axis=1)
    total = cum[:, -1]
    x = (1 - top) * n
    i = int(np.floor(x))
    frac = x - i
    below = cum[:, i] + (frac * (cum[:, i + 1] - cum[:, i]) if i < n else 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1 - below / total


def _gini(c: np.ndarray) -> np.ndarray:
    """Gini coefficient of each row of counts."""
    c = np.sort(np.atleast_2d(c).astype("float64"), axis=1)
    n = c.shape[1]
    i = np.arange(1, n + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (2 * (c * i).sum(axis=1) / (n * c.sum(axis=1))) - (n + 1) / n


def concentration(
    counts,
    weights=None,
    top: float = 0.10,
    n_sim: int = 400,
    seed: int = 0,
    max_sim_accounts: int = SIMULATE_MAX_ACCOUNTS,
) -> Concentration:
    """How concentrated responses are across accounts.

    Parameters
    ----------
    counts : array-like
        Responses per responding account.
    weights : array-like, optional
        Expected relative propensity of each account to respond (e.g. its
        number of contacts); default equal.
    top : float
        Fraction of accounts whose response share is reported (0.10 = top 10%).
    n_sim : int
        Simulations of the null distribution (with at most ``max_sim_accounts``
        responding accounts).
    seed : int
        Random seed of the simulation (results are reproducible).
    max_sim_accounts : int
        With more responding accounts than this, the null distribution is
        the analytic large-sample one (see Notes) instead of simulations.

    Returns
    -------
    Concentration
        ``accounts``, ``responses``, ``gini`` (0 = equal, 1 = one account
        gives all), ``top_share`` (share of responses from the top ``top``
        of accounts, Lorenz curve interpolated), ``largest_share`` (largest
        account), ``expected_top_share`` (mean under the null), ``null_sd``
        (its standard deviation), ``p_value`` (probability under the null of
        a top share at least as large) and ``method`` ("simulation" or
        "analytic").

    Notes
    -----
    Gini = 2 sum_i i x_(i) / (n sum x) - (n + 1) / n with x sorted
    ascending. Null: each responding account gives one response and the
    others fall on accounts at random in proportion to ``weights``
    (multinomial), i.e. accounts differ only as much as their propensities
    say.

    Up to ``max_sim_accounts`` accounts the null is simulated: p-value =
    (1 + #{sim >= observed}) / (1 + n_sim). Above, simulating accounts one
    by one would cost n_sim x k draws, so the null is the large-sample one
    of :func:`top_share_null`: counts Poissonised, the top share written as
    a minimum over thresholds (Rockafellar & Uryasev 2000) of sums over
    accounts whose joint limit is normal (Stigler 1974), conditioned on the
    total; its cost does not grow with the data.

    References
    ----------
    .. [1] Stigler, S. M. (1974). Linear functions of order statistics with
       smooth weight functions. Annals of Statistics, 2(4), 676-693.
    .. [2] Rockafellar, R. T. & Uryasev, S. (2000). Optimization of
       conditional value-at-risk. Journal of Risk, 2, 21-42.

    Examples
    --------
    >>> r = concentration([1, 1, 1, 1, 6])
    >>> round(r.gini, 2), round(r.top_share, 2)
    (0.4, 0.3)
    """
    c = np.asarray(counts, dtype="float64")
    c = c[c > 0]
    k = len(c)
    nan = float("nan")
    if k == 0:
        return Concentration(0, 0, nan, nan, nan, nan, nan, nan, None)
    n = int(c.sum())
    obs_top = float(_top_share(c, top)[0])
    expected, sd, p, method = nan, nan, nan, None
    if k >= 2 and n > k:
        w = np.ones(k) if weights is None else np.asarray(weights, dtype="float64")[: k]
        w = np.where(np.isfinite(w) & (w > 0), w, np.nanmedian(w[w > 0]) if (w > 0).any() else 1.0)
        if k <= max_sim_accounts:
            rng = np.random.default_rng(seed)
            sims = 1 + rng.multinomial(n - k, w / w.sum(), size=n_sim)
            sim_top = _top_share(sims, top)
            expected, sd = float(sim_top.mean()), float(sim_top.std(ddof=1))
            p = float((1 + (sim_top >= obs_top - 1e-12).sum()) / (1 + n_sim))
            method = "simulation"
        else:
            null = top_share_null(k, n, w, top, observed=obs_top, seed=seed)
            expected, sd, p = null.mean, null.sd, null.p_value
            method = "analytic"
    return Concentration(k, n, float(_gini(c)[0]), obs_top, float(c.max() / n), expected, sd, p, method)


def _null_quantile(ul: np.ndarray, cnt: np.ndarray, k: int, target: float) -> int:
    """The smallest x with P(X <= x) >= ``target`` for the mixture X = 1 + Poisson(lambda) over the accounts."""

    def cdf(x: int) -> float:  # mixture P(X <= x), X = 1 + Poisson(lambda)
        return float((cnt * stats.poisson.cdf(x - 1, ul)).sum() / k)

    lo, hi = 1, int(2 + stats.poisson.isf(1e-12, ul.max()))
    while cdf(hi) < target:
        hi *= 2
    while lo < hi:
        mid = (lo + hi) // 2
        if cdf(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


def top_share_null(k: int, n: int, weights, top: float = 0.10, observed: float | None = None, draws: int = 200_000,
                   seed: int = 0) -> TopShareNull:
    """Null distribution of the top-``top`` response share for many accounts (large-sample, analytic).

    Parameters
    ----------
    k : int
        Responding accounts.
    n : int
        Responses (n > k): each account gives one, the other n - k fall on
        the accounts in proportion to ``weights`` (multinomial).
    weights : array-like
        Positive propensity of each of the k accounts.
    top : float
        Fraction of accounts whose share is measured.
    observed : float, optional
        Observed top share, for the p-value.
    draws : int
        Draws from the limiting three-dimensional normal distribution (the
        cost does not depend on k or n).
    seed : int
        Seed of those draws.

    Returns
    -------
    TopShareNull
        ``mean`` and ``sd`` of the top share under the null, ``q`` (the
        null's (1 - top) quantile of responses per account) and, with
        ``observed``, ``p_value`` = (1 + #{draws >= observed}) / (1 + draws)
        (NaN without it).

    Notes
    -----
    Counts are treated as X_i = 1 + Poisson(lambda_i), lambda_i = (n - k)
    w_i / sum w (Poissonisation of the multinomial; accounts of equal
    weight share one distribution). The top share is sum_top / n with
    sum_top = min_c [top k c + sum_i (X_i - c)^+] (the upper-tail form of
    Rockafellar & Uryasev 2000), whose minimum lies at the null quantile q
    or a neighbour: sum_top = top k q + A + min(0, D, D') with A = sum_i
    (X_i - q)^+, D = #{X_i <= q} - (1 - top) k and D' = (1 - top) k -
    #{X_i <= q - 1}. (A, D, D') is asymptotically normal (central limit
    theorem over accounts; the Poisson moments are closed-form) and is
    conditioned on the fixed total S = sum X_i = n as the multinomial is.
    The distribution of the top share is that of this function of the
    normal vector, evaluated on ``draws`` seeded draws; near a tie at the
    quantile (D close to 0) it is not itself normal.

    Examples
    --------
    >>> r = top_share_null(10_000, 50_000, [1.0] * 10_000)
    >>> round(r.mean, 3), r.sd < 0.002
    (0.177, True)
    """
    w = np.asarray(weights, dtype="float64")
    lam = (n - k) * w / w.sum()
    ul, cnt = np.unique(lam, return_counts=True)
    cnt = cnt.astype("float64")
    target = 1 - top
    q = _null_quantile(ul, cnt, k, target)
    c = q - 1  # X <= q  <=>  Y <= c, with Y ~ Poisson(lambda)

    def le(m: int) -> np.ndarray:  # P(Y <= m)
        return stats.poisson.cdf(m, ul)

    ey = ul * (1 - le(c - 1))  # E[Y; Y > c] = lambda P(Y >= c)
    ey2 = ul**2 * (1 - le(c - 2)) + ey  # E[Y^2; Y > c]
    p_gt = 1 - le(c)
    e1 = ey - c * p_gt  # E[(Y - c)^+]
    e2 = ey2 - 2 * c * ey + c**2 * p_gt  # E[((Y - c)^+)^2]
    p0, p1 = le(c), le(c - 1)  # P(X <= q), P(X <= q - 1)
    tot = lambda v: float((cnt * v).sum())  # noqa: E731 - sum over accounts
    mu = np.array([tot(e1), tot(p0) - target * k, target * k - tot(p1)])
    s11 = np.array([[tot(e2 - e1**2), -tot(e1 * p0), tot(e1 * p1)],
                    [-tot(e1 * p0), tot(p0 * (1 - p0)), -tot(p1 * (1 - p0))],
                    [tot(e1 * p1), -tot(p1 * (1 - p0)), tot(p1 * (1 - p1))]])
    # covariances with S = sum Y: Cov(a, Y), Cov(1{Y <= c}, Y) = -lambda P(Y = c), and for D' the opposite sign
    s12 = np.array([tot(ey2 - c * ey - ul * e1), -tot(ul * (p0 - p1)), tot(ul * (p1 - le(c - 2)))])
    var_s = tot(ul)
    cov = s11 - np.outer(s12, s12) / var_s if var_s > 0 else s11
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
    root = vecs * np.sqrt(np.clip(vals, 0, None))
    z = mu + np.random.default_rng(seed).standard_normal((draws, 3)) @ root.T
    share = (top * k * q + z[:, 0] + np.minimum(0, np.minimum(z[:, 1], z[:, 2]))) / n
    p = float((1 + (share >= observed - 1e-12).sum()) / (1 + draws)) if observed is not None else float("nan")
    return TopShareNull(float(share.mean()), float(share.std(ddof=1)), float(q), p)
