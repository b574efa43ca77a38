"""Regression models: logistic regression (model-based or cluster-robust) and the Cox model.

The fits are Newton-Raphson maximum likelihood written for speed on large
designs (aggregated covariate patterns); they give statsmodels' ``Logit`` and
``PHReg`` estimates and covariances (the test suite checks both against
statsmodels and against R's ``sandwich::vcovCL`` and ``survival::coxph``).

References
----------
.. [1] Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to
   cluster-robust inference. Journal of Human Resources, 50(2), 317-372.
.. [2] Cox, D. R. (1972). Regression models and life-tables. JRSS B, 34(2), 187-220.
.. [3] Breslow, N. (1974). Covariance analysis of censored survival data.
   Biometrics, 30(1), 89-99.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .result import Result

__all__ = ["LogitFit", "logit_fit", "logit_fit_rows", "pattern_codes", "odds_ratios", "CoxFit", "cox_fit", "cox_newton"]


class LogitFit:
    """A fitted logistic regression: ``params``, ``bse``, ``pvalues`` (named Series), ``cov_params()``, ``conf_int()``.

    Produced by :func:`logit_fit`; p-values and intervals are Wald (normal), as statsmodels ``Logit`` reports them.
    """

    def __init__(self, names: list[str], params: np.ndarray, cov: np.ndarray, converged: bool, nobs: int,
                 X: np.ndarray, trials: np.ndarray, perfect: bool = False) -> None:
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

    @property
    def summary(self) -> pd.DataFrame:
        """Coefficients with standard errors, Wald z, p-values, 95% intervals and odds ratios, one row per term."""
        ci = self.conf_int(0.05)
        return pd.DataFrame({"coef": self.params, "se": self.bse, "z": self.params / self.bse, "p_value": self.pvalues,
                             "ci_low": ci[:, 0], "ci_high": ci[:, 1], "odds_ratio": np.exp(self.params)})

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.summary.to_html()

    def cov_params(self) -> pd.DataFrame:
        return pd.DataFrame(self.cov, index=self.params.index, columns=self.params.index)

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
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


def dense_codes(v: np.ndarray, max_levels: int) -> tuple[np.ndarray, int] | None:
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
        dc = dense_codes(np.asarray(col), max_patterns)
        if dc is None:
            return None
        c, m = dc
        if code is None:
            code, size = c.astype("int64"), m
            continue
        dc = dense_codes(code * max(m, 1) + c, max_patterns)  # re-code the combinations seen so far
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
    limit = nullcontext()
    if np.size(X) >= 200_000:  # limiting the threads costs ~10 ms: only worth it for large designs
        try:
            from threadpoolctl import threadpool_limits

            limit = threadpool_limits(1, "blas")
        except Exception:  # noqa: BLE001 - threadpoolctl (a scikit-learn dependency) missing: default threads
            pass
    with limit:
        return _logit_fit(X, y, trials, names, rows, row_y, groups, maxiter, tol)


def _loglik(X: np.ndarray, y: np.ndarray, n: np.ndarray, eta: np.ndarray) -> float:
    """Binomial log-likelihood at linear predictor ``eta`` (numerically stable)."""
    return float(np.sum(y * eta - n * (np.log1p(np.exp(-np.abs(eta))) + np.maximum(eta, 0))))


def _start(X: np.ndarray, y: np.ndarray, n: np.ndarray, names: list[str], maxiter: int) -> np.ndarray:
    """Starting values: zeros, or on a large design the estimate from every m-th row (fewer full passes)."""
    b = np.zeros(X.shape[1])
    if len(y) > 200_000:
        sub = np.arange(0, len(y), len(y) // 50_000)
        try:
            start = _logit_fit(X[sub], y[sub], n[sub], names, None, None, None, maxiter, 1e-6)
            if start.converged and np.all(np.isfinite(start.params.to_numpy())):
                b = start.params.to_numpy()
        except np.linalg.LinAlgError:
            pass
    return b


def _newton(X: np.ndarray, y: np.ndarray, n: np.ndarray, b: np.ndarray, maxiter: int,
            tol: float) -> tuple[np.ndarray, np.ndarray, bool]:
    """Newton-Raphson with step halving; returns the estimate, its linear predictor and whether it converged."""
    eta = X @ b
    ll = _loglik(X, y, n, eta)
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
            ll_new = _loglik(X, y, n, eta_new)
            if ll_new >= ll - 1e-12 * abs(ll) or not np.isfinite(ll):
                break
            step = step / 2
        b, eta, ll = new, eta_new, ll_new
        if np.max(np.abs(step)) < tol:
            return b, eta, True
    return b, eta, False


def _cluster_cov(inv: np.ndarray, X: np.ndarray, y: np.ndarray, n: np.ndarray, p: np.ndarray, rows, row_y,
                 groups) -> np.ndarray:
    """CRV1 sandwich H⁻¹ (Σ_g u_g u_gᵀ) H⁻¹ · G/(G-1) · (N-1)/(N-K) from the per-observation scores."""
    k = X.shape[1]
    g = np.asarray(groups)
    g = g - g.min() if len(g) else g
    if rows is None:
        xr, resid = X, y - n * p
    else:
        xr, resid = X[rows], np.asarray(row_y, dtype="float64") - p[rows]
    u = np.column_stack([np.bincount(g, weights=xr[:, j] * resid) for j in range(k)])
    n_groups = int(np.count_nonzero(np.bincount(g)))
    nobs = len(g)
    return inv @ (u.T @ u) @ inv * (n_groups / (n_groups - 1) * (nobs - 1) / (nobs - k))


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
    b, eta, converged = _newton(X, y, n, _start(X, y, n, names, maxiter), maxiter, tol)
    p = 1 / (1 + np.exp(-eta))
    info = X.T @ (X * (n * p * (1 - p))[:, None])
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        if converged:
            raise
        cov = np.full((k, k), np.nan)
    if groups is not None:
        cov = _cluster_cov(cov, X, y, n, p, rows, row_y, groups)
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


def odds_ratios(fit: LogitFit, labels: dict[str, str], confidence: float = 0.95) -> pd.DataFrame:
    """Odds ratios of the named terms of a fitted logistic regression, with their Wald intervals and p-values.

    Parameters
    ----------
    fit : LogitFit
    labels : dict
        Term name in the fit -> label in the table (in the table's order).
    confidence : float

    Returns
    -------
    DataFrame
        ``term``, ``odds_ratio``, ``ci_low``, ``ci_high``, ``p_value``.
    """
    ci = np.asarray(fit.conf_int(alpha=1 - confidence))
    names = list(fit.params.index)
    rows = []
    for key, label in labels.items():
        i = names.index(key)
        rows.append({"term": label, "odds_ratio": float(np.exp(fit.params.iloc[i])),
                     "ci_low": float(np.exp(ci[i, 0])), "ci_high": float(np.exp(ci[i, 1])),
                     "p_value": float(fit.pvalues.iloc[i])})
    return pd.DataFrame(rows, columns=["term", "odds_ratio", "ci_low", "ci_high", "p_value"])


@dataclass(frozen=True)
class CoxFit(Result):
    """A Cox proportional-hazards fit of one covariate (:func:`cox_fit`).

    Attributes
    ----------
    coef, se : float
        Log hazard ratio per unit of the covariate and its standard error.
    hazard_ratio, ci_low, ci_high : float
        exp(coef) and its Wald interval.
    p_value : float
        Wald test of coef = 0.
    n, events : int
    """

    coef: float
    se: float
    hazard_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    events: int


def cox_fit(time, event, x, confidence: float = 0.95, maxiter: int = 50, tol: float = 1e-10) -> CoxFit:
    """Cox partial-likelihood fit of one covariate, Breslow ties, by Newton-Raphson.

    Parameters
    ----------
    time : array-like of float
        Follow-up time from a common origin to the event or censoring.
    event : array-like of bool
        True where the event (churn) was observed, False where censored.
    x : array-like of float
        The covariate (e.g. the score).
    confidence : float
    maxiter, tol : int, float

    Returns
    -------
    CoxFit

    Raises
    ------
    ValueError
        When the iterations do not converge.

    Notes
    -----
    Vectorised: the risk-set sums S_k(t) = Σ_{T_j >= t} x_j^k exp(b x_j) are
    cumulative sums over the times in decreasing order, read at the last
    member of each tie block. Gives statsmodels ``PHReg(...).fit()``'s and
    R ``survival::coxph(ties = "breslow")``'s estimate and SE (Cox 1972;
    Breslow 1974).

    Examples
    --------
    >>> r = cox_fit([1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 0, 0], [0, 1, 0, 1, 1, 2])
    >>> round(r.coef, 4), round(r.se, 4), r.events  # statsmodels PHReg(ties="breslow"): -1.2507, 1.1738
    (-1.2507, 1.1738, 3)
    """
    time = np.asarray(time, dtype="float64")
    event = np.asarray(event, dtype=bool)
    x = np.asarray(x, dtype="float64")
    order = np.argsort(-time, kind="stable")
    t, e = time[order], event[order]
    xc = x[order] - x.mean()  # centring leaves b unchanged and keeps exp() finite
    last = np.searchsorted(-t, -t, side="right") - 1  # last index of each time's tie block (risk set end)
    xe = xc[e]

    def parts(b: float) -> tuple[float, float, float]:
        w = np.exp(b * xc)
        s0, s1, s2 = (np.cumsum(w)[last][e], np.cumsum(w * xc)[last][e], np.cumsum(w * xc * xc)[last][e])
        ll = float(np.sum(b * xe - np.log(s0)))
        m = s1 / s0
        return ll, float(np.sum(xe - m)), float(np.sum(s2 / s0 - m * m))

    return cox_newton(parts, len(x), int(event.sum()), confidence, maxiter, tol)


def cox_newton(parts: Callable[[float], tuple[float, float, float]], n: int, events: int, confidence: float = 0.95,
               maxiter: int = 50, tol: float = 1e-10) -> CoxFit:
    """Newton-Raphson with step halving on a one-covariate Cox partial log-likelihood.

    ``parts(b)`` returns the log-likelihood, its gradient and the observed information at ``b``; how the risk
    sets are summed (ties, delayed entry) is the caller's (:func:`cox_fit`,
    :func:`npsdiag.areas.outcome.cox_delayed_entry`). The Wald interval and p-value use the information at the
    estimate (Cox 1972).

    Raises
    ------
    ValueError
        When the iterations do not converge.
    """
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
            se = float(np.sqrt(1 / h))
            z = float(stats.norm.ppf(0.5 + confidence / 2))
            return CoxFit(b, se, float(np.exp(b)), float(np.exp(b - z * se)), float(np.exp(b + z * se)),
                          float(2 * stats.norm.sf(abs(b / se))), n, events)
    raise ValueError("the Cox model did not converge")
