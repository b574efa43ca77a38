"""Design-based NPS for clustered responses: accounts (or respondents) that answer many times.

An NPS is the mean of x in {-1, 0, +1} (detractor, passive, promoter). When
the responses come in clusters — an account's people answering, one
respondent answering wave after wave — they are not independent, and the
interval of Rocks (2016) that assumes they are is too narrow. Here the
standard error is the design-based (Taylor linearisation) one with the
clusters as primary sampling units, as R's ``survey`` package computes it
(``svydesign(ids = ~account)``, ``svymean``, ``svyby``, ``svycontrast``), and
the design effect is its variance over the variance of independent responses.

The interval keeps Rocks' adjusted Wald form, which behaves well for small
samples, on the effective sample size n / deff (Korn & Graubard 1998): the
counts are divided by the design effect before the pseudo-counts 0.75 / 1.5 /
0.75 are added. With independent responses (deff = 1) it is Rocks' interval;
with many responses it is the design-based Wald interval. A design effect
below 1 is not used to narrow the interval.

References
----------
.. [1] Rocks, B. (2016). Interval estimation for the "Net Promoter Score".
   The American Statistician, 70(4), 365-372.
.. [2] Wolter, K. M. (2007). Introduction to Variance Estimation, 2nd ed.,
   ch. 6 (Taylor series methods). Springer.
.. [3] Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley.
.. [4] Korn, E. L. & Graubard, B. I. (1998). Confidence intervals for
   proportions with small expected number of positive counts estimated from
   survey data. Survey Methodology, 24(2), 193-201.
.. [5] Kish, L. (1965). Survey Sampling. Wiley (the design effect).
.. [6] Rao, J. N. K. & Scott, A. J. (1981). The analysis of categorical data
   from complex sample surveys: chi-squared tests for goodness of fit and
   independence in two-way tables. JASA, 76(374), 221-230.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .nps import ADJUSTMENT, Breaks, cluster_codes, count_distinct
from .result import Result

__all__ = ["NpsEstimate", "NpsChange", "RaoScott", "nps_values", "cluster_codes", "nps_clustered",
           "nps_by_clustered", "nps_change_clustered", "clustered_variance", "chisq_rao_scott"]


@dataclass(frozen=True)
class NpsEstimate(Result):
    """An NPS with its design-based uncertainty (:func:`nps_clustered`).

    Attributes
    ----------
    nps : float
        The observed NPS (-100..100).
    se : float
        Its design-based standard error (points), clusters as primary units.
    ci_low, ci_high : float
        The interval (points): Rocks' adjusted Wald on the effective sample size.
    n : int
        Responses.
    clusters : int
        Clusters (accounts or respondents) among them.
    deff : float
        Design effect: the variance over that of as many independent responses.
    n_effective : float
        n / max(deff, 1): the independent responses that would be as precise.
    """

    nps: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    clusters: int
    deff: float
    n_effective: float


@dataclass(frozen=True)
class NpsChange(Result):
    """The change of NPS between two groups of responses that share clusters (:func:`nps_change_clustered`).

    Attributes
    ----------
    diff : float
        NPS of the second group minus NPS of the first (points).
    se : float
        Design-based standard error of the difference (points): the clusters
        answering in both groups make the two estimates correlated.
    ci_low, ci_high : float
        Wald interval of the difference (points).
    p_value : float
        Two-sided test of no change.
    n_first, n_second : int
    """

    diff: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n_first: int
    n_second: int


def nps_values(scores, breaks: Breaks = Breaks()) -> np.ndarray:
    """-1 for a detractor, 0 for a passive, +1 for a promoter (NaN for a missing score).

    Examples
    --------
    >>> nps_values([0, 7, 10, float("nan")]).tolist()
    [-1.0, 0.0, 1.0, nan]
    """
    s = np.asarray(scores, dtype="float64")
    return np.where(np.isnan(s), np.nan, np.where(s <= breaks.detractor_max, -1.0,
                                                  np.where(s >= breaks.promoter_min, 1.0, 0.0)))


def clustered_variance(influence: np.ndarray, clusters: np.ndarray, n_clusters: int | None = None) -> float:
    """Variance of an estimate from its per-response influence values: G/(G-1) Σ_g (Σ_{i in g} u_i)².

    This is the with-replacement variance of one-stage cluster sampling (R
    ``survey``'s ``svyrecvar`` for ``svydesign(ids = ~cluster)``); ``n_clusters``
    is G (default: the clusters present).
    """
    g = np.asarray(clusters, dtype=np.int64)
    totals = np.bincount(g, weights=np.asarray(influence, dtype="float64"))
    big_g = count_distinct(g) if n_clusters is None else int(n_clusters)
    if big_g < 2:
        return float("nan")
    return float(big_g / (big_g - 1) * np.sum(totals * totals))


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _interval(counts: np.ndarray, deff: float, confidence: float) -> tuple[float, float]:
    """Rocks' adjusted Wald interval (points) on the counts divided by the design effect (at least 1)."""
    d, p, r = np.asarray(counts, dtype="float64") / max(deff, 1.0) if np.isfinite(deff) else counts
    ad, ap, ar = ADJUSTMENT
    n = d + p + r + ad + ap + ar
    s = (r + ar - d - ad) / n
    var = (r + ar + d + ad) / n - s * s
    half = _z(confidence) * np.sqrt(max(var, 0.0) / n)
    return 100 * max(-1.0, s - half), 100 * min(1.0, s + half)


def _estimate(x: np.ndarray, g: np.ndarray, n_clusters: int, confidence: float) -> NpsEstimate:
    n = len(x)
    nan = float("nan")
    if n == 0:
        return NpsEstimate(nan, nan, nan, nan, 0, 0, nan, 0.0)
    mean = float(x.mean())
    var = clustered_variance((x - mean) / n, g, n_clusters) if n_clusters >= 2 else nan
    srs = float(np.var(x, ddof=1)) / n if n > 1 else nan
    deff = var / srs if srs and srs > 0 and np.isfinite(var) else (1.0 if srs == 0 else nan)
    counts = np.array([(x < 0).sum(), (x == 0).sum(), (x > 0).sum()], dtype="float64")
    lo, hi = _interval(counts, deff if np.isfinite(deff) else 1.0, confidence)
    present = count_distinct(g)
    return NpsEstimate(100 * mean, 100 * float(np.sqrt(var)) if np.isfinite(var) else nan, float(lo), float(hi), n,
                       present,
                       float(deff), n / max(deff, 1.0) if np.isfinite(deff) else float(n))


def nps_clustered(data: pd.DataFrame, score: str = "score", cluster: str | None = "account_id",
                  confidence: float = 0.95, breaks: Breaks = Breaks()) -> NpsEstimate:
    """The NPS of responses clustered by ``cluster``, with its design-based SE, design effect and interval.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    score : str
        The score column (rows without a score are left out).
    cluster : str or None
        The column whose equal values are one cluster (an account, or a
        respondent across waves); a missing value is a cluster of its own.
        None: independent responses (Rocks' interval, deff 1).
    confidence : float
    breaks : Breaks

    Returns
    -------
    NpsEstimate

    Notes
    -----
    With x_i in {-1, 0, 1}, the NPS is x̄ and its linearised variance
    G/(G-1) Σ_g (Σ_{i in g} (x_i - x̄) / n)², equal to R's
    ``svymean(~x, svydesign(ids = ~cluster, data = d))`` (a test compares
    them on the demo client). The design effect divides it by the variance of
    n independent responses, s²/n (``deff = "replace"`` in R).

    Examples
    --------
    >>> d = pd.DataFrame({"score": [10, 10, 0, 0, 9, 3], "account_id": ["a", "a", "b", "b", "c", "c"]})
    >>> r = nps_clustered(d)
    >>> round(r.nps, 1), r.clusters, round(r.deff, 2)
    (0.0, 3, 1.67)
    """
    scored = data.loc[data[score].notna()] if data[score].isna().any() else data
    x = nps_values(scored[score], breaks)
    if cluster is None or cluster not in scored:
        g = np.arange(len(x), dtype=np.int64)
    else:
        g = cluster_codes(scored[cluster])
    return _estimate(x, g, count_distinct(g), confidence)


def nps_by_clustered(data: pd.DataFrame, by: str, score: str = "score", cluster: str | None = "account_id",
                     confidence: float = 0.95, breaks: Breaks = Breaks()) -> pd.DataFrame:
    """NPS per group (e.g. per quarter) with design-based SEs, as R's ``svyby(~x, ~by, design, svymean)``.

    Each group is a domain of the whole design: its variance uses every
    cluster of ``data`` (a cluster absent from the group contributes zero).

    Returns
    -------
    DataFrame
        ``by`` value, ``n``, ``clusters``, ``nps``, ``se``, ``ci_low``,
        ``ci_high``, ``deff``, ``n_effective`` (points), sorted by the group.
    """
    scored = data.loc[data[score].notna()] if data[score].isna().any() else data
    x = nps_values(scored[score], breaks)
    g = np.arange(len(x), dtype=np.int64) if cluster is None or cluster not in scored else cluster_codes(
        scored[cluster])
    n_clusters = count_distinct(g)
    rows = []
    keys = scored[by].to_numpy()
    for value in pd.unique(keys):
        m = keys == value
        est = _estimate(x[m], g[m], n_clusters, confidence)
        rows.append({by: value, **{k: v for k, v in est.to_dict().items()}})
    cols = [by, "n", "clusters", "nps", "se", "ci_low", "ci_high", "deff", "n_effective"]
    out = pd.DataFrame(rows)
    return (out[cols].sort_values(by).reset_index(drop=True) if len(out) else pd.DataFrame(columns=cols))


def nps_change_clustered(data: pd.DataFrame, group: str, first, second, score: str = "score",
                         cluster: str | None = "account_id", confidence: float = 0.95,
                         breaks: Breaks = Breaks()) -> NpsChange:
    """NPS of the ``second`` group minus that of the ``first``, tested with the clusters both groups share.

    As R's ``svycontrast(svyby(~x, ~group, design, svymean, covmat = TRUE),
    c(-1, 1))``: the influence values of the two domain means are summed per
    cluster, so an account answering in both periods counts once.

    Examples
    --------
    >>> d = pd.DataFrame({"score": [10, 0, 10, 10, 0, 10, 9, 2], "q": [1, 1, 1, 1, 2, 2, 2, 2],
    ...                   "account_id": list("abcdabcd")})
    >>> r = nps_change_clustered(d, "q", 1, 2)
    >>> round(r.diff, 1), r.n_first, r.n_second
    (-50.0, 4, 4)
    """
    scored = data.loc[data[score].notna()] if data[score].isna().any() else data
    x = nps_values(scored[score], breaks)
    g = np.arange(len(x), dtype=np.int64) if cluster is None or cluster not in scored else cluster_codes(
        scored[cluster])
    keys = scored[group].to_numpy()
    a, b = keys == first, keys == second
    na, nb = int(a.sum()), int(b.sum())
    nan = float("nan")
    if na == 0 or nb == 0:
        return NpsChange(nan, nan, nan, nan, nan, na, nb)
    ma, mb = float(x[a].mean()), float(x[b].mean())
    u = np.zeros(len(x))
    u[a] = -(x[a] - ma) / na
    u[b] = (x[b] - mb) / nb
    var = clustered_variance(u, g, count_distinct(g))
    diff, se = mb - ma, float(np.sqrt(var))
    z = _z(confidence)
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else (1.0 if diff == 0 else 0.0)
    return NpsChange(100 * diff, 100 * se, 100 * (diff - z * se), 100 * (diff + z * se), p, na, nb)


@dataclass(frozen=True)
class RaoScott(Result):
    """A chi-square test of independence of two classifications, corrected for clusters (:func:`chisq_rao_scott`).

    Attributes
    ----------
    chi2 : float
        Pearson's statistic of the table as if the rows were independent.
    deff_mean : float
        Mean generalised design effect of the table (the first-order Rao-Scott divisor).
    chi2_rs : float
        chi2 / deff_mean, referred to the chi-square distribution with ``dof`` degrees of freedom.
    dof : int
    p_value : float
    n, clusters : int
    cramers_v : float
        Effect size: sqrt(chi2 / (n (min(r, c) - 1))).
    """

    chi2: float
    deff_mean: float
    chi2_rs: float
    dof: int
    p_value: float
    n: int
    clusters: int
    cramers_v: float


def chisq_rao_scott(rows, cols, clusters=None) -> RaoScott:
    """Test whether two classifications are independent, with the first-order Rao-Scott correction for clusters.

    Parameters
    ----------
    rows, cols : array-like
        The two classifications of each unit (e.g. an invitation's role, and whether it was answered); rows
        where either is missing are left out.
    clusters : array-like, optional
        The cluster of each unit (its account); a missing value is a cluster of its own. None: independent
        units (no correction).

    Returns
    -------
    RaoScott

    Notes
    -----
    Pearson's X² of the table is divided by the mean of the generalised design effects δ_k, the eigenvalues of
    (C' D⁻¹ C / n)⁻¹ (C' D⁻¹ V D⁻¹ C), where V is the design-based (linearised, clusters as primary units)
    covariance of the cell proportions, D their diagonal and C the interaction contrasts; each table gets its
    own correction. As R's ``svychisq(~row + col, design, statistic = "Chisq")`` (a test compares them).
    """
    r = pd.Series(np.asarray(rows, dtype=object))
    c = pd.Series(np.asarray(cols, dtype=object))
    ok = (r.notna() & c.notna()).to_numpy()
    rc, ru = pd.factorize(r[ok], sort=True)
    cc, cu = pd.factorize(c[ok], sort=True)
    nr, nc = len(ru), len(cu)
    n = int(ok.sum())
    g = (np.arange(n) if clusters is None else cluster_codes(np.asarray(clusters, dtype=object)[ok]))
    g = pd.factorize(g)[0]
    big_g = int(g.max()) + 1 if n else 0
    nan = float("nan")
    if nr < 2 or nc < 2 or big_g < 2:
        return RaoScott(nan, nan, nan, max(nr - 1, 0) * max(nc - 1, 0), nan, n, big_g, nan)
    cell = cc * nr + rc  # column-major, as R's interaction(row, col)
    k = nr * nc
    counts = np.bincount(cell, minlength=k).astype("float64")
    p = counts / n
    # Pearson's X² of the table
    expected = np.outer(counts.reshape(nc, nr).sum(axis=0), counts.reshape(nc, nr).sum(axis=1)).T.ravel() / n
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = float(np.nansum(np.where(expected > 0, (counts - expected) ** 2 / expected, 0.0)))
    # linearised covariance of the cell proportions: G/(G-1) Σ_g z_g z_g', z_g = Σ_{i in g} (e_i - p) / n
    per = np.bincount(g * k + cell, minlength=big_g * k).reshape(big_g, k)
    size = np.bincount(g, minlength=big_g).astype("float64")
    z = (per - size[:, None] * p[None, :]) / n
    v = big_g / (big_g - 1) * (z.T @ z)
    # interaction contrasts: the interaction columns of the full model, residualised on the main effects
    ri = np.tile(np.arange(nr), nc)
    ci = np.repeat(np.arange(nc), nr)
    x1 = np.column_stack([np.ones(k)] + [(ri == i).astype(float) for i in range(1, nr)]
                         + [(ci == j).astype(float) for j in range(1, nc)])
    x12 = np.column_stack([((ri == i) & (ci == j)).astype(float) for j in range(1, nc) for i in range(1, nr)])
    cmat = x12 - x1 @ np.linalg.lstsq(x1, x12, rcond=None)[0]
    idm = np.diag(np.where(p > 0, 1 / np.where(p > 0, p, 1), 0.0))
    denom = cmat.T @ (idm / n) @ cmat
    numr = cmat.T @ idm @ v @ idm @ cmat
    delta = np.linalg.solve(denom, numr)
    dmean = float(np.trace(delta) / delta.shape[0])
    dof = (nr - 1) * (nc - 1)
    stat = chi2 / dmean
    return RaoScott(chi2, dmean, float(stat), dof, float(stats.chi2.sf(stat, dof)), n, big_g,
                    float(np.sqrt(chi2 / (n * (min(nr, nc) - 1)))))
