"""Small helpers shared by the area modules (not part of the public API)."""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..findings import SEVERITIES

__all__ = ["bh_adjust", "wilson_interval", "pct", "pts", "pval", "p_eq", "num", "worst", "period_label",
           "cramers_v_gof", "to_period", "severity_from_share", "err", "LogitFit", "logit_fit", "logit_fit_rows",
           "pattern_codes", "release_memory"]


def bh_adjust(p_values: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values; NaN entries stay NaN and are not counted.

    Uses :func:`statsmodels.stats.multitest.multipletests` (``fdr_bh``).
    """
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype="float64")
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(np.clip(p[ok], 0, 1), method="fdr_bh")[1]
    return out


def wilson_interval(k, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion k/n, element-wise (NaN where n = 0).

    The one Wilson interval of the kit (statsmodels ``proportion_confint``,
    method "wilson"; Wilson 1927), with exact 0 and 1 at k = 0 and k = n.
    The result has the shape of the inputs.
    """
    from statsmodels.stats.proportion import proportion_confint

    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    safe = np.where(n > 0, n, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo, hi = proportion_confint(np.minimum(k, safe), safe, alpha=1 - confidence, method="wilson")
    low = np.where(n > 0, np.where(k <= 0, 0.0, lo), np.nan)
    high = np.where(n > 0, np.where(k >= n, 1.0, hi), np.nan)
    return low, high


def pct(x: float | None, digits: int = 0) -> str:
    """0.4231 -> '42%'; a share strictly between 0 and 1 never reads as 0% or 100% (0.9977 -> '99.8%').

    Examples
    --------
    >>> pct(0.4231), pct(0.9977), pct(0.0004), pct(1.0), pct(0.99999), pct(0.00001)
    ('42%', '99.8%', '0.04%', '100%', '>99.99%', '<0.01%')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    x = float(x)
    text = f"{100 * x:.{digits}f}"
    for d in range(digits + 1, digits + 3):  # a few more digits before saying "all" or "none" of something partial
        if not (0 < x < 1 and float(text) in (0.0, 100.0)):
            break
        text = f"{100 * x:.{d}f}"
    if 0 < x < 1 and float(text) in (0.0, 100.0):
        step = 10.0 ** -(digits + 2)
        return f">{100 - step:.{digits + 2}f}%" if float(text) else f"<{step:.{digits + 2}f}%"
    return f"{text}%"


def pts(x: float | None, digits: int = 1, sign: bool = True) -> str:
    """NPS points: 12.34 -> '+12.3'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def pval(p: float | None) -> str:
    """A p-value for text: '<0.001', '0.012', 'n/a'."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def p_eq(p: float | None) -> str:
    """A p-value after 'p': '< 0.001' or '= 0.012'."""
    s = pval(p)
    return "< 0.001" if s.startswith("<") else f"= {s}"


def num(x: float | int | None) -> str:
    """Thousands separators: 12873 -> '12,873'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{int(round(x)):,}"


def worst(severities: Iterable[str | None]) -> str | None:
    """The most severe of several severities (None when there is none)."""
    s = [x for x in severities if x]
    return min(s, key=SEVERITIES.index) if s else None


def severity_from_share(share: float, medium: float = 0.02, high: float = 0.10) -> str:
    """Severity of an exclusion by the share of rows it affects."""
    if share >= high:
        return "high"
    if share >= medium:
        return "medium"
    return "low"


def to_period(dates: pd.Series, freq: str) -> pd.Series:
    """Dates as periods of ``freq`` (W = weeks starting Monday, M months, Q quarters)."""
    f = {"W": "W-SUN"}.get(freq, freq)
    return pd.to_datetime(dates).dt.to_period(f)


def period_label(p: pd.Period) -> str:
    """Period labels as everywhere in the report (:func:`npsdiag.metrics.period_label`)."""
    from ..metrics import period_label as label

    return label(p)


def err(value, low, high) -> np.ndarray:
    """Error-bar lengths [below, above] for matplotlib, never negative or NaN.

    The adjusted Wald interval is centred on the adjusted estimate, so for
    tiny n the observed value can lie just outside it; the bar is then 0.
    """
    v, lo, hi = (np.asarray(a, dtype="float64") for a in (value, low, high))
    return np.nan_to_num(np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)]))


def cramers_v_gof(chi2: float, n: float, k: int) -> float:
    """Effect size of a chi-square goodness-of-fit test: sqrt(chi2 / (n (k - 1)))."""
    if n <= 0 or k < 2:
        return float("nan")
    return float(math.sqrt(chi2 / (n * (k - 1))))


class LogitFit:
    """A fitted logistic regression: ``params``, ``bse``, ``pvalues`` (named Series), ``cov_params()``, ``conf_int()``.

    Produced by :func:`logit_fit`; p-values and intervals are Wald (normal), as statsmodels ``Logit`` reports them.
    """

    def __init__(self, names: list[str], params: np.ndarray, cov: np.ndarray, converged: bool, nobs: int,
                 X: np.ndarray, trials: np.ndarray, perfect: bool = False) -> None:
        from scipy import stats

        self.params = pd.Series(params, index=names)
        self.cov = cov
        se = np.sqrt(np.clip(np.diag(cov), 0, None)) if np.all(np.isfinite(cov)) else np.full(len(names), np.nan)
        self.bse = pd.Series(se, index=names)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.pvalues = pd.Series(2 * stats.norm.sf(np.abs(params / se)), index=names)
        self.converged, self.nobs = converged, nobs
        #: every observation predicted within 1e-8 of its outcome (statsmodels' perfect-separation check)
        self.perfect = perfect
        self.mle_retvals = {"converged": converged}
        self._X, self._n = X, trials  # the (pattern) design, for average marginal effects

    def cov_params(self) -> pd.DataFrame:
        return pd.DataFrame(self.cov, index=self.params.index, columns=self.params.index)

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        from scipy import stats

        z = stats.norm.ppf(1 - alpha / 2)
        b, se = self.params.to_numpy(), self.bse.to_numpy()
        return np.column_stack([b - z * se, b + z * se])

    def average_marginal_effect(self, column: str) -> tuple[float, float]:
        """Average over the observations of dp/dx for a continuous ``column``, and its delta-method SE.

        As statsmodels ``get_margeff(at="overall")``: mean p(1-p)·b_j, with the
        gradient d/db of that mean computed analytically.
        """
        j = list(self.params.index).index(column)
        b = self.params.to_numpy()
        p = 1 / (1 + np.exp(-(self._X @ b)))
        w = self._n / self._n.sum()
        v = p * (1 - p)
        me = float(np.sum(w * v) * b[j])
        grad = (self._X * (w * v * (1 - 2 * p))[:, None]).sum(axis=0) * b[j]
        grad[j] += np.sum(w * v)
        return me, float(np.sqrt(max(grad @ self.cov @ grad, 0.0)))


def _dense_codes(v: np.ndarray, max_levels: int) -> tuple[np.ndarray, int] | None:
    """Codes 0..m-1 of the distinct values of ``v`` (in sorted order) and m, or None beyond ``max_levels``.

    Integer-valued data in a narrow range (scores, bands, times on a grid)
    are coded by counting (``np.bincount``), anything else by hashing.
    """
    if v.dtype.kind in "iu" or (v.dtype.kind == "f" and len(v) and np.isfinite(v).all() and (v == np.round(v)).all()):
        lo, hi = (int(v.min()), int(v.max())) if len(v) else (0, 0)
        if hi - lo <= 4 * max(len(v), 1) + 16:
            k = v.astype("int64") - lo
            present = np.bincount(k, minlength=hi - lo + 1) > 0
            m = int(present.sum())
            if m > max_levels:
                return None
            return (np.cumsum(present) - 1)[k], m
    c, u = pd.factorize(v, sort=True)
    return (c, len(u)) if len(u) <= max_levels else None


def pattern_codes(columns: Sequence[np.ndarray], max_patterns: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Covariate patterns of rows: (pattern index of each row, first row of each pattern), or None when too many.

    Rows with equal values in every column share a pattern (missing values are
    not expected). None when there would be more than ``max_patterns``.
    """
    code, size = None, 1
    for col in columns:
        dc = _dense_codes(np.asarray(col), max_patterns)
        if dc is None:
            return None
        c, m = dc
        if code is None:
            code, size = c.astype("int64"), m
            continue
        dc = _dense_codes(code * max(m, 1) + c, max_patterns)  # re-code the combinations seen so far
        if dc is None:
            return None
        code, size = dc
    if code is None:
        return None
    inv, m = code, size
    first = np.full(m, len(inv), dtype="int64")
    np.minimum.at(first, inv, np.arange(len(inv)))
    return inv.astype("int64", copy=False), first


def logit_fit(
    X: pd.DataFrame | np.ndarray,
    y,
    trials=None,
    *,
    names: list[str] | None = None,
    rows: np.ndarray | None = None,
    row_y: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    maxiter: int = 100,
    tol: float = 1e-10,
) -> LogitFit:
    """Maximum-likelihood logistic regression by Newton-Raphson, on rows or on aggregated covariate patterns.

    Parameters
    ----------
    X : DataFrame or 2-D array
        Design matrix (include a constant column), one row per observation
        or per covariate pattern.
    y, trials : array-like
        Successes and trials per row of ``X`` (``trials`` None: one each, y 0/1).
        A binomial likelihood on patterns gives the same estimates and
        model-based covariance as the per-observation (Bernoulli) one.
    names : list of str, optional
        Parameter names (default: the columns of ``X``).
    rows, row_y, groups : arrays, optional
        For cluster-robust errors: the pattern (row of ``X``) of each
        observation, its 0/1 outcome and its cluster (integer codes). When
        ``groups`` is given and ``rows`` is None, the rows of ``X`` are the
        observations.
    maxiter, tol : int, float
        Newton iterations and convergence tolerance on the parameters.

    Returns
    -------
    LogitFit
        ``converged`` False when the iterations did not settle (e.g.
        separation, where the information matrix may become singular on the
        way); raises :class:`numpy.linalg.LinAlgError` when it is singular
        from the start (collinear design).

    Notes
    -----
    Cluster-robust covariance as statsmodels' CRV1 (``cov_type="cluster"``):
    H⁻¹ (Σ_g u_g u_gᵀ) H⁻¹ · G/(G-1) · (N-1)/(N-K), with u_g the sum of the
    score contributions x_i (y_i - p_i) of cluster g and N observations.
    On large designs the tall-and-thin products run on one BLAS thread
    (threadpoolctl): on a busy machine the threads of a multi-threaded BLAS
    cost more than they save for a few columns.
    """
    from contextlib import nullcontext

    limit = nullcontext()
    if np.size(X) >= 200_000:  # limiting the threads costs ~10 ms: only worth it for large designs
        try:
            from threadpoolctl import threadpool_limits

            limit = threadpool_limits(1, "blas")
        except Exception:  # noqa: BLE001 - threadpoolctl (a scikit-learn dependency) missing: default threads
            pass
    with limit:
        return _logit_fit(X, y, trials, names, rows, row_y, groups, maxiter, tol)


def _logit_fit(X, y, trials, names, rows, row_y, groups, maxiter, tol) -> LogitFit:
    """The body of :func:`logit_fit` (same arguments)."""
    if isinstance(X, pd.DataFrame):
        names = names or [str(c) for c in X.columns]
        X = X.to_numpy(dtype="float64")
    X = np.asarray(X, dtype="float64")
    y = np.asarray(y, dtype="float64")
    n = np.ones(len(y)) if trials is None else np.asarray(trials, dtype="float64")
    k = X.shape[1]
    names = names or [f"x{i}" for i in range(k)]

    def loglik(eta: np.ndarray) -> float:
        return float(np.sum(y * eta - n * (np.log1p(np.exp(-np.abs(eta))) + np.maximum(eta, 0))))

    b = np.zeros(k)
    if len(y) > 200_000:  # start from a fit on every m-th row: fewer passes over the full data, same optimum
        sub = np.arange(0, len(y), len(y) // 50_000)
        try:
            start = _logit_fit(X[sub], y[sub], n[sub], names, None, None, None, maxiter, 1e-6)
            if start.converged and np.all(np.isfinite(start.params.to_numpy())):
                b = start.params.to_numpy()
        except np.linalg.LinAlgError:
            pass
    eta = X @ b
    ll = loglik(eta)
    converged = False
    for it in range(maxiter):
        p = 1 / (1 + np.exp(-eta))
        grad = X.T @ (y - n * p)
        info = X.T @ (X * (n * p * (1 - p))[:, None])
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            if it == 0:  # singular at the start: collinear design
                raise
            break  # the weights vanished on the way (separation): not converged
        if not np.all(np.isfinite(step)):
            break
        for _half in range(30):  # step halving keeps the log-likelihood from falling
            new = b + step
            eta_new = X @ new
            ll_new = loglik(eta_new)
            if ll_new >= ll - 1e-12 * abs(ll) or not np.isfinite(ll):
                break
            step = step / 2
        b, eta, ll = new, eta_new, ll_new
        if np.max(np.abs(step)) < tol:
            converged = True
            break
    p = 1 / (1 + np.exp(-eta))
    info = X.T @ (X * (n * p * (1 - p))[:, None])
    try:
        inv = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        if converged:
            raise
        inv = np.full((k, k), np.nan)
    cov = inv
    if groups is not None:
        g = np.asarray(groups)
        g = g - g.min() if len(g) else g
        if rows is None:
            xr, resid = X, y - n * p
        else:
            xr, resid = None, np.asarray(row_y, dtype="float64") - p[rows]
        u = np.column_stack([np.bincount(g, weights=(X[rows, j] if xr is None else xr[:, j]) * resid)
                             for j in range(k)])
        n_groups = int(np.count_nonzero(np.bincount(g)))
        nobs = len(g)
        meat = u.T @ u
        cov = inv @ meat @ inv * (n_groups / (n_groups - 1) * (nobs - 1) / (nobs - k))
    perfect = bool(np.all(((y >= n) & (1 - p <= 1e-8)) | ((y <= 0) & (p <= 1e-8))))
    return LogitFit(names, b, cov, converged, int(n.sum()), X, n, perfect)


def logit_fit_rows(
    X: pd.DataFrame,
    y,
    *,
    groups: np.ndarray | None = None,
    patterns: Sequence[np.ndarray] | bool | None = None,
    maxiter: int = 100,
) -> LogitFit:
    """:func:`logit_fit` of 0/1 outcomes per row, on the distinct covariate patterns when there are few.

    Parameters
    ----------
    X : DataFrame
        Design, one row per observation (with its constant column).
    y : array-like of 0/1
    groups : array of int, optional
        Cluster codes per row for CRV1 cluster-robust errors.
    patterns : arrays, False or None
        Arrays whose distinct value combinations define the patterns
        (default: the columns of ``X``); False fits on the rows.
    maxiter : int

    Notes
    -----
    With at most half as many patterns as rows, the binomial likelihood of
    the successes per pattern is maximised instead: the same estimates,
    model-based covariance and (from the per-row score contributions)
    cluster-robust covariance as the per-row fit, at a fraction of the cost.
    """
    names = [str(c) for c in X.columns]
    y = np.asarray(y, dtype="float64")
    pat = None
    if patterns is not False:
        cols = [X[c].to_numpy(dtype="float64") for c in X.columns] if patterns is None else list(patterns)
        pat = pattern_codes(cols, max_patterns=len(y) // 2)
    if pat is None:
        return logit_fit(X.to_numpy(dtype="float64"), y, names=names, groups=groups, maxiter=maxiter)
    rows, first = pat
    m = len(first)
    return logit_fit(X.iloc[first].to_numpy(dtype="float64"), np.bincount(rows, weights=y, minlength=m),
                     np.bincount(rows, minlength=m), names=names, rows=rows, row_y=y, groups=groups, maxiter=maxiter)


def release_memory() -> None:
    """Hand memory that is freed but still held by the allocators back to the system.

    pyarrow's pool (mimalloc or jemalloc) keeps freed blocks for reuse, and so
    does glibc's heap: after loading 1M responses about 175 MB of the
    kernel's resident memory is such free space. :class:`npsdiag.pipeline.AreaRunner` calls
    this before it forks (so the second process does not inherit it) and
    after each area.
    """
    with contextlib.suppress(Exception):
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)
