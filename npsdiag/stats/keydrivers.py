"""Relative importance of correlated predictors: Johnson's relative weights and the LMG / Shapley R².

Predictors such as driver ratings ("How easy is the product to use?", "How
satisfied are you with support?") are nearly always correlated with one
another, so regression coefficients do not say how much each one matters.
Two standard decompositions of the model's explained variance do:

* Johnson's (2000) relative weights (:func:`relative_weights`): the
  predictors are replaced by their closest orthogonal counterparts, the
  outcome is regressed on those, and the explained variance is carried back
  to the original predictors. The weights add up to R². Intervals come from
  a cluster (e.g. account) bootstrap computed on sufficient statistics.
* The LMG / Shapley decomposition of R² (:func:`shapley_r2`; Lindeman,
  Merenda & Gold 1980): each predictor's R² increment averaged over every
  order in which the predictors could enter the model. With
  ``model="logit"`` the same averaging is applied to McFadden's pseudo-R² of
  a logistic regression (general dominance, Azen & Traxel 2009).

:func:`relative_importance` gives both side by side from arrays (one
centring of the data serves both). The two agree closely in practice
(Johnson 2000; LeBreton et al. 2004).

References
----------
.. [1] Johnson, J. W. (2000). A heuristic method for estimating the relative
   weight of predictor variables in multiple regression. Multivariate
   Behavioral Research, 35(1), 1-19.
.. [2] Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). Introduction to
   Bivariate and Multivariate Analysis. Scott, Foresman.
.. [3] Budescu, D. V. (1993). Dominance analysis: a new approach to the
   problem of relative importance of predictors in multiple regression.
   Psychological Bulletin, 114(3), 542-551.
.. [4] Azen, R. & Traxel, N. (2009). Using dominance analysis to determine
   predictor importance in logistic regression. Journal of Educational and
   Behavioral Statistics, 34(3), 319-347.
.. [5] Tonidandel, S., LeBreton, J. M. & Johnson, J. W. (2009). Determining
   the statistical significance of relative weights. Psychological Methods,
   14(4), 387-399.
.. [6] Hanley, J. A. & MacGibbon, B. (2006). Creating non-parametric
   bootstrap samples using Poisson frequencies. Computer Methods and
   Programs in Biomedicine, 83(1), 57-62.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .regression import LogitFit, logit_fit

__all__ = ["MAX_SHAPLEY_OLS", "MAX_SHAPLEY_LOGIT", "MAX_BOOT_UNITS", "complete_cases", "relative_weights",
           "shapley_r2", "relative_importance", "logit_and_loglik", "logit_loglik"]

#: Above this many predictors the exact Shapley decomposition (2^p models) is skipped.
MAX_SHAPLEY_OLS = 12
MAX_SHAPLEY_LOGIT = 8
#: Bootstrap units (accounts, or rows without clusters) beyond this are merged at random into this many groups.
MAX_BOOT_UNITS = 20_000


# --------------------------------------------------------------------------- helpers


def complete_cases(data: pd.DataFrame, outcome: str,
                   predictors: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows with the outcome and every predictor, and their values as floats (listwise deletion).

    Returns
    -------
    (keep, y, x)
        ``keep``: boolean mask over the rows of ``data``; ``y``: the outcome
        of the kept rows; ``x``: their predictors (rows x predictors).
        Values that are not numbers count as missing.

    Examples
    --------
    >>> keep, y, x = complete_cases(pd.DataFrame({"y": [1, 2, None], "a": [3, None, 5]}), "y", ["a"])
    >>> keep.tolist(), y.tolist(), x.tolist()
    ([True, False, False], [1.0], [[3.0]])
    """
    m = np.column_stack([pd.to_numeric(data[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
                         for c in [outcome, *predictors]]) if len(data) else np.empty((0, 1 + len(predictors)))
    keep = ~np.isnan(m).any(axis=1)
    m = m[keep]
    return keep, m[:, 0], m[:, 1:]


def _rw_from_corr(rxx: np.ndarray, rxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Johnson raw weights and standardized betas from the correlation matrices."""
    evals, evecs = np.linalg.eigh(rxx)
    evals = np.clip(evals, 1e-12, None)
    lam = evecs @ np.diag(np.sqrt(evals)) @ evecs.T  # correlations of X with its orthogonal counterpart Z
    beta_z = np.linalg.solve(lam, rxy)  # regression of y on Z (Z orthonormal)
    raw = (lam**2) @ (beta_z**2)
    beta_x = np.linalg.solve(rxx + 1e-12 * np.eye(len(rxx)), rxy)
    return raw, beta_x


def _centred(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[y, x] minus their means, and its cross-product matrix (one BLAS product over the rows)."""
    v = np.column_stack([y, x])
    v -= v.mean(axis=0)
    return v, v.T @ v


def _corr_from_cross(c: np.ndarray) -> np.ndarray:
    """Correlation matrix from a centred cross-product matrix (as :func:`numpy.corrcoef`, clipped to ±1)."""
    d = np.sqrt(np.diag(c))
    return np.clip(c / d[:, None] / d[None, :], -1, 1)


def _boot_units(groups: np.ndarray | None, n: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap unit of each row: its cluster (rows without one are their own), or the row itself.

    More than :data:`MAX_BOOT_UNITS` units are merged at random into that many groups: groups of
    independent units are independent, so resampling them is still a valid (cluster) bootstrap, at a
    bounded cost.
    """
    if groups is None or not n:
        codes = np.arange(n, dtype=np.int64)
    else:
        codes = np.array(groups, dtype=np.int64)
        miss = codes < 0
        if miss.any():
            codes[miss] = codes.max() + 1 + np.arange(int(miss.sum()))
        codes = _dense(codes)  # the clusters of these rows, 0..k-1
    k = int(codes.max()) + 1 if n else 0
    if k > MAX_BOOT_UNITS:
        codes = _dense(rng.integers(0, MAX_BOOT_UNITS, k)[codes])
    return codes


def _dense(codes: np.ndarray) -> np.ndarray:
    """Non-negative integer codes renumbered 0..k-1 over the values that occur (order kept)."""
    lut = np.cumsum(np.bincount(codes) > 0) - 1
    return lut[codes]


#: Poisson(1) quantile of each 16-bit uniform: P(k) exact to 2^-16 (values above 7, probability 1e-5, drop out).
_POISSON1_LUT = np.searchsorted(np.cumsum([math.exp(-1) / math.factorial(j) for j in range(12)]),
                                (np.arange(65536) + 0.5) / 65536).astype("float64")


def _poisson1(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Poisson(1) bootstrap weights (float), drawn by inverse CDF on 16-bit uniforms: several times faster."""
    return _POISSON1_LUT[rng.integers(0, 65536, size=size, dtype=np.uint16)]


def _poisson_boot_weights(v: np.ndarray, units: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Relative weights of ``n_boot`` Poisson-bootstrap replicates, from per-unit sufficient statistics.

    The weights depend on the data only through the correlation matrix of [y, x], i.e. through the
    count, sums and cross-product sums. These are summed per unit once; a replicate draws a Poisson(1)
    weight per unit and its totals are a matrix product (weights @ per-unit sums). ``v`` holds the
    centred [y, x] (centring keeps the cross products precise). Replicates where y or a predictor has no
    variance are dropped. Returns an array (replicates, predictors).
    """
    q = v.shape[1]
    iu = np.triu_indices(q)
    k = int(units.max()) + 1
    n_u = np.bincount(units, minlength=k).astype("float64")
    s_u = np.column_stack([np.bincount(units, weights=v[:, j], minlength=k) for j in range(q)])
    c_u = np.column_stack([np.bincount(units, weights=v[:, i] * v[:, j], minlength=k) for i, j in zip(*iu)])
    stats_u = np.column_stack([n_u, s_u, c_u])
    tot = np.empty((n_boot, stats_u.shape[1]))
    block = max(1, min(n_boot, 4_000_000 // max(k, 1)))  # bound the weight matrix to ~32 MB
    for lo in range(0, n_boot, block):
        hi = min(n_boot, lo + block)
        w = _poisson1(rng, (hi - lo, k))
        tot[lo:hi] = w @ stats_u
    nb = tot[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = tot[:, 1:1 + q] / nb[:, None]
        cross = np.zeros((n_boot, q, q))
        cross[:, iu[0], iu[1]] = tot[:, 1 + q:] / nb[:, None]
        cross = cross + np.triu(cross, 1).transpose(0, 2, 1)
        cov = cross - mean[:, :, None] * mean[:, None, :]
        var = np.einsum("bii->bi", cov)
    diag = [m for m, (i, j) in enumerate(zip(*iu)) if i == j]
    base = stats_u[:, 1 + q + np.array(diag)].sum(axis=0) / n_u.sum()  # the full sample's variances
    good = (nb > 1) & np.all(np.isfinite(var), axis=1) & np.all(var > 1e-10 * base, axis=1)
    if not good.any():
        return np.empty((0, q - 1))
    cov, var = cov[good], var[good]
    sd = np.sqrt(var)
    corr = cov / (sd[:, :, None] * sd[:, None, :])
    return np.array([_rw_from_corr(c[1:, 1:], c[1:, 0])[0] for c in corr])


def _subset_r2_ols(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R² of every subset of predictors (index = bit mask), from correlations."""
    p = len(rxy)
    r2 = np.zeros(2**p)
    for mask in range(1, 2**p):
        idx = [j for j in range(p) if mask >> j & 1]
        a = rxx[np.ix_(idx, idx)]
        b = rxy[idx]
        sol = np.linalg.lstsq(a, b, rcond=None)[0]
        r2[mask] = float(b @ sol)
    return r2


def _shapley_from_subsets(values: np.ndarray, p: int) -> np.ndarray:
    """Shapley values of a set function given on every bit mask."""
    out = np.zeros(p)
    fact = [math.factorial(k) for k in range(p + 1)]
    for j in range(p):
        bit = 1 << j
        for mask in range(2**p):
            if mask & bit:
                continue
            k = bin(mask).count("1")
            w = fact[k] * fact[p - k - 1] / fact[p]
            out[j] += w * (values[mask | bit] - values[mask])
    return out


def logit_and_loglik(y: np.ndarray, x: np.ndarray,
                     names: list[str] | None = None) -> tuple[LogitFit | None, float]:
    """Logistic regression of y on an intercept + x, and its log-likelihood; (None, NaN) when not estimable.

    :func:`npsdiag.stats.regression.logit_fit` (the maximum-likelihood estimates, model-based standard
    errors and Wald p-values of statsmodels ``Logit``), without statsmodels' per-fit overhead. The
    intercept is named ``const``; ``names`` name the columns of ``x`` (default ``x0``, ``x1``...).
    """
    exog = np.column_stack([np.ones(len(y)), x])
    try:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            fit = logit_fit(exog, y, names=["const", *(names or [f"x{j}" for j in range(x.shape[1])])])
            eta = exog @ fit.params.to_numpy()
            llf = float(np.sum(y * eta - np.logaddexp(0, eta)))
    except (np.linalg.LinAlgError, ValueError):  # singular information matrix: not estimable
        return None, float("nan")
    return fit, llf


def logit_loglik(y: np.ndarray, x: np.ndarray | None = None) -> float:
    """Log-likelihood of a logistic regression (intercept + x), or NaN if it cannot be fitted.

    Without ``x`` (or with no column) the intercept-only model's, in closed form
    n(p̂ log p̂ + (1 - p̂) log(1 - p̂)) (0 when every outcome is alike).

    Examples
    --------
    >>> round(logit_loglik(np.array([0.0, 1.0, 1.0, 1.0])), 4)  # 4 (0.25 log 0.25 + 0.75 log 0.75)
    -2.2493
    """
    n = len(y)
    if x is None or x.shape[1] == 0:
        p = y.mean()
        if p in (0, 1):
            return 0.0
        return float(n * (p * np.log(p) + (1 - p) * np.log(1 - p)))
    return logit_and_loglik(y, x)[1]


# --------------------------------------------------------------------------- relative weights


def relative_weights(
    data: pd.DataFrame,
    outcome: str,
    drivers: list[str],
    cluster: str | None = None,
    n_boot: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Johnson's (2000) relative weights of correlated drivers, with bootstrap intervals.

    Parameters
    ----------
    data : DataFrame
        One row per observation (response or account).
    outcome : str
        Column explained (e.g. ``"score"``).
    drivers : list of str
        Driver rating columns. Rows with any of them (or the outcome) missing
        are left out (listwise deletion).
    cluster : str, optional
        Column of clusters (e.g. ``"account_id"``): the bootstrap resamples
        whole clusters, so that one account's many responses do not narrow
        the intervals. Rows without a cluster count as their own.
    n_boot : int
        Bootstrap replicates for the intervals (0 for none; 200 by default,
        enough for 95% percentile intervals of a few drivers).
    confidence : float
        Level of the percentile intervals.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        One row per driver: ``driver``, ``n`` (rows used), ``r`` (correlation
        with the outcome), ``beta`` (standardized regression coefficient),
        ``raw_weight`` (its part of R²; the raw weights add up to R²),
        ``ci_low``, ``ci_high`` (bootstrap interval of the raw weight),
        ``share`` (raw weight / R², 0-1), ``share_ci_low``, ``share_ci_high``
        (bootstrap interval of the share: the percentiles of each
        replicate's raw weight over its own R²), ``r2`` (the model's R²,
        repeated).
        Sorted by weight, largest first. Empty when fewer than 3 complete rows.

    Notes
    -----
    With R_xx = V diag(e) V' the drivers' correlation matrix, Λ = V diag(√e) V'
    holds the correlations between the drivers and their closest orthonormal
    counterparts Z. β = Λ⁻¹ r_xy are the standardized coefficients of the
    outcome on Z, and driver j's raw weight is ε_j = Σ_k Λ_jk² β_k² [1]_.
    Σ_j ε_j = R². Drivers without variance get a missing weight.
    Intervals are percentile bootstrap intervals ([5]_), clustered when
    ``cluster`` is given. Because the weights depend on the data only
    through the correlation matrix of [outcome, drivers], the bootstrap
    works on sufficient statistics: count, sums and cross-product sums of
    the (complete) rows per cluster, summed once; each replicate draws a
    Poisson(1) weight per cluster (the Poisson bootstrap, Hanley &
    MacGibbon 2006, equivalent for large samples to resampling clusters
    with replacement) and gets its correlation matrix from a matrix
    product, so the cost grows with the number of clusters, not of rows.
    Without ``cluster`` each row is a unit. More than
    :data:`MAX_BOOT_UNITS` units are merged at random into that many
    groups (groups of independent units are independent, so the bootstrap
    stays valid).

    References
    ----------
    .. [1] Johnson, J. W. (2000). Multivariate Behavioral Research, 35(1), 1-19.
    .. [5] Tonidandel, S., LeBreton, J. M. & Johnson, J. W. (2009).
       Psychological Methods, 14(4), 387-399.
    .. [6] Hanley, J. A. & MacGibbon, B. (2006). Creating non-parametric
       bootstrap samples using Poisson frequencies. Computer Methods and
       Programs in Biomedicine, 83(1), 57-62.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(rng.normal(size=(200, 2)), columns=["ease", "support"])
    >>> df["score"] = 2 * df["ease"] + df["support"] + rng.normal(size=200)
    >>> rw = relative_weights(df, "score", ["ease", "support"], n_boot=0)
    >>> rw["driver"].tolist()
    ['ease', 'support']
    """
    drivers = list(drivers)
    keep, y, x_all = complete_cases(data, outcome, drivers)
    groups = None
    if cluster and cluster in data.columns:
        groups = np.asarray(pd.factorize(data[cluster])[0])[keep]
    return _relative_weights(y, x_all, drivers, groups, n_boot, confidence, seed)


def _relative_weights(y: np.ndarray, x_all: np.ndarray, drivers: list[str], groups: np.ndarray | None, n_boot: int,
                      confidence: float, seed: int, centred: tuple[np.ndarray, np.ndarray] | None = None
                      ) -> pd.DataFrame:
    """:func:`relative_weights` on the complete rows' arrays (``groups``: cluster codes, -1 for none;
    ``centred``: :func:`_centred` of (y, x_all) when already computed)."""
    cols = ["driver", "n", "r", "beta", "raw_weight", "ci_low", "ci_high", "share", "share_ci_low", "share_ci_high",
            "r2"]
    if len(y) < 3 or not drivers:
        return pd.DataFrame(columns=cols)
    if centred is None:
        centred = _centred(y, x_all)
    v, cross = centred
    ok = np.diag(cross)[1:] > 0  # drivers with variance
    out = pd.DataFrame({"driver": list(drivers), "n": len(y)})
    for c in cols[2:]:
        out[c] = np.nan
    if not ok.any() or cross[0, 0] <= 0:
        return out[cols]
    sel = np.concatenate([[True], ok])
    corr = _corr_from_cross(cross[np.ix_(sel, sel)])
    rxx, rxy = corr[1:, 1:], corr[1:, 0]
    raw, beta = _rw_from_corr(rxx, rxy)
    out.loc[ok, "r"] = rxy
    out.loc[ok, "beta"] = beta
    out.loc[ok, "raw_weight"] = raw
    r2 = float(raw.sum())
    out["r2"] = r2
    out.loc[ok, "share"] = raw / r2 if r2 > 0 else np.nan
    if n_boot and len(y) >= 10:
        rng = np.random.default_rng(seed)
        units = _boot_units(groups, len(y), rng)
        boots = _poisson_boot_weights(v if ok.all() else v[:, sel], units, n_boot, rng)
        if len(boots) >= 20:
            a = (1 - confidence) / 2
            out.loc[ok, "ci_low"] = np.quantile(boots, a, axis=0)
            out.loc[ok, "ci_high"] = np.quantile(boots, 1 - a, axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                shares = boots / boots.sum(axis=1, keepdims=True)  # each replicate's shares of its own R²
            shares = shares[np.all(np.isfinite(shares), axis=1)]
            if len(shares) >= 20:
                out.loc[ok, "share_ci_low"] = np.quantile(shares, a, axis=0)
                out.loc[ok, "share_ci_high"] = np.quantile(shares, 1 - a, axis=0)
    return out[cols].sort_values("raw_weight", ascending=False, na_position="last").reset_index(drop=True)


# --------------------------------------------------------------------------- Shapley / LMG


def shapley_r2(
    data: pd.DataFrame,
    outcome: str,
    drivers: list[str],
    model: str = "ols",
) -> pd.DataFrame:
    """LMG / Shapley decomposition of R² (or of McFadden's pseudo-R² for a logistic model).

    Parameters
    ----------
    data : DataFrame
        One row per observation.
    outcome : str
        The explained column; 0/1 (or boolean) when ``model="logit"``.
    drivers : list of str
        Driver columns (listwise deletion of incomplete rows).
    model : {"ols", "logit"}
        Linear regression (R²) or logistic regression (McFadden pseudo-R²,
        1 - logL(model) / logL(intercept only)).

    Returns
    -------
    DataFrame
        ``driver``, ``n``, ``lmg`` (the driver's Shapley value: its average
        R² increment over every order of entry; they add up to the full
        model's R²), ``share`` (lmg / R², 0-1), ``r2`` (full model). Sorted by
        ``lmg``. Empty when the decomposition is not computable (too few
        rows, more than 12 drivers for OLS or 8 for logit, one outcome class).

    Notes
    -----
    For p drivers every one of the 2^p sub-models is evaluated; driver j's
    value is Σ_S |S|!(p-|S|-1)!/p! [R²(S ∪ j) - R²(S)] over the subsets S
    not containing j (Lindeman, Merenda & Gold 1980; Budescu 1993 "general
    dominance"; Azen & Traxel 2009 for the logistic case). Sub-models of the
    logistic case that cannot be fitted (separation) make the result
    missing.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> df = pd.DataFrame(rng.normal(size=(300, 2)), columns=["a", "b"])
    >>> df["y"] = df["a"] + rng.normal(size=300)
    >>> t = shapley_r2(df, "y", ["a", "b"])
    >>> bool(abs(t["lmg"].sum() - t["r2"].iloc[0]) < 1e-9)
    True
    """
    drivers = list(drivers)
    _, y, x = complete_cases(data, outcome, drivers)
    return _shapley_r2(y, x, drivers, model)


def _shapley_r2(y: np.ndarray, x: np.ndarray, drivers: list[str], model: str = "ols",
                cross: np.ndarray | None = None) -> pd.DataFrame:
    """:func:`shapley_r2` on the complete rows' arrays (``cross``: centred cross-products of [y, x], OLS)."""
    cols = ["driver", "n", "lmg", "share", "r2"]
    p = len(drivers)
    limit = MAX_SHAPLEY_LOGIT if model == "logit" else MAX_SHAPLEY_OLS
    if p == 0 or p > limit or len(y) < p + 3:
        return pd.DataFrame(columns=cols)
    if model == "logit":
        if len(np.unique(y)) < 2:
            return pd.DataFrame(columns=cols)
        ll0 = logit_loglik(y, None)
        vals = np.zeros(2**p)
        for mask in range(1, 2**p):
            idx = [j for j in range(p) if mask >> j & 1]
            ll = logit_loglik(y, x[:, idx])
            vals[mask] = 1 - ll / ll0 if ll0 != 0 else np.nan
        if np.isnan(vals).any():
            return pd.DataFrame(columns=cols)
    else:
        if cross is None:
            cross = _centred(y, x)[1]
        if np.any(np.diag(cross) <= 0):  # the outcome or a driver without variance
            return pd.DataFrame(columns=cols)
        corr = _corr_from_cross(cross)
        vals = _subset_r2_ols(corr[1:, 1:], corr[1:, 0])
    shap = _shapley_from_subsets(vals, p)
    full = float(vals[-1])
    out = pd.DataFrame({"driver": drivers, "n": len(y), "lmg": shap,
                        "share": shap / full if full > 0 else np.nan, "r2": full})
    return out.sort_values("lmg", ascending=False).reset_index(drop=True)


# --------------------------------------------------------------------------- both


def relative_importance(
    y: np.ndarray,
    x: np.ndarray,
    drivers: list[str],
    groups: np.ndarray | None = None,
    n_boot: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Relative weights (with bootstrap intervals) and LMG shares side by side, from complete arrays.

    Parameters
    ----------
    y : array of float
        The outcome of the complete rows (:func:`complete_cases`).
    x : 2-D array of float
        Their drivers, one column per name of ``drivers``.
    drivers : list of str
    groups : array of int, optional
        Cluster code of each row for the bootstrap (-1: a row of its own),
        e.g. ``pandas.factorize(data["account_id"])[0][keep]``.
    n_boot, confidence, seed
        As in :func:`relative_weights`.

    Returns
    -------
    DataFrame
        One row per driver: ``driver``, ``n``, ``mean`` (average rating),
        ``r`` (correlation with the outcome), ``share`` (relative weight as
        a share of R², 0-1), ``share_ci_low``, ``share_ci_high`` (its
        bootstrap interval: the percentiles of the replicates' shares of
        their own R²), ``raw_weight``, ``lmg_share`` (share of R² by
        the LMG decomposition, 0-1), ``r2`` (the model's R²). Largest share
        first; empty when fewer than 3 rows.

    Notes
    -----
    The data are centred once; the relative weights (:func:`relative_weights`)
    and the OLS Shapley values (:func:`shapley_r2`) both start from that
    cross-product matrix.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> x = rng.normal(size=(100, 2))
    >>> t = relative_importance(2 * x[:, 0] + rng.normal(size=100), x, ["ease", "value"], n_boot=0)
    >>> t["driver"].tolist()
    ['ease', 'value']
    """
    cols = ["driver", "n", "mean", "r", "share", "share_ci_low", "share_ci_high", "raw_weight", "lmg_share", "r2"]
    drivers = list(drivers)
    centred = _centred(y, x) if len(y) >= 3 else None
    rw = _relative_weights(y, x, drivers, groups, n_boot, confidence, seed, centred)
    if rw.empty:
        return pd.DataFrame(columns=cols)
    lmg = _shapley_r2(y, x, drivers, cross=centred[1])
    rw["lmg_share"] = rw["driver"].map(dict(zip(lmg["driver"], lmg["share"], strict=True))) if not lmg.empty else np.nan
    rw["mean"] = rw["driver"].map(dict(zip(drivers, x.mean(axis=0) if len(x) else [np.nan] * len(drivers),
                                           strict=True)))
    return rw[cols]
