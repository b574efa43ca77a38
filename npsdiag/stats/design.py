"""Survey design: proportions whose observations come in clusters (invitations of one account).

- :func:`proportion_design_effect` -- the design effect of a proportion with
  clusters: its linearised (ultimate-cluster) variance over the variance
  under simple random sampling (:func:`proportion_design_effect_counts` from
  counts per cluster);
- :func:`rao_scott_codes` -- the first-order Rao-Scott correction of one
  table: the mean of its generalised design effects, from integer codes of
  the two classifications and of the clusters (counted with
  :func:`numpy.bincount` and a sparse cluster x cell matrix, never per row in
  Python), as R's ``svychisq(statistic = "Chisq")``;
- :func:`rao_scott_test` -- the chi-square test of independence between a
  factor and a yes/no outcome, divided by a table's design effect (first-order
  Rao-Scott correction), with Cramer's V (phi) and the levels whose rates
  are lowest and highest;
- :func:`independence_test` -- the same comparison for independent units
  (accounts): Pearson's chi-square, or Fisher's exact test when an expected
  count is below 5;
- :func:`one_vs_rest` -- each domain's mean (a role's NPS) against the other
  domains', with its design-based variance when the domains share clusters.

References
----------
.. [1] Kish, L. (1965). Survey Sampling. Wiley (the design effect).
.. [2] Wolter, K. M. (2007). Introduction to Variance Estimation, 2nd ed.,
   ch. 6 (Taylor series / linearisation). Springer.
.. [3] Rao, J. N. K. & Scott, A. J. (1981). The analysis of categorical data
   from complex sample surveys: chi-squared tests for goodness of fit and
   independence in two-way tables. JASA, 76(374), 221-230.
.. [4] Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley
   (domains of a design: ch. 2.4; ``svychisq``: ch. 6).
.. [5] Cochran, W. G. (1954). Some methods for strengthening the common
   chi-squared tests. Biometrics, 10(4), 417-451 (expected counts of 5).
.. [6] Fisher, R. A. (1922). On the interpretation of chi-squared from
   contingency tables. JRSS, 85(1), 87-94; Mehta, C. R. & Patel, N. R.
   (1983), JASA 78, 427-434 (larger tables; here by Monte Carlo).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

from .result import Result
from .survey import RaoScott

__all__ = ["RaoScottTest", "proportion_design_effect", "proportion_design_effect_counts", "rao_scott_codes",
           "rao_scott_test", "independence_test", "one_vs_rest", "EXACT_RESAMPLES", "DENSE_CELLS"]

#: Monte Carlo draws of Fisher's exact test for tables larger than 2 x 2 (seeded: the same data give the same p).
EXACT_RESAMPLES = 9999


@dataclass(frozen=True)
class RaoScottTest(Result):
    """A chi-square test of independence of a factor and a yes/no outcome, Rao-Scott corrected (:func:`rao_scott_test`).

    Attributes
    ----------
    test : str
        "chi-square (Rao-Scott)" when corrected (design effect above 1), else "chi-square".
    statistic : float
        The chi-square divided by the design effect.
    dof : int
    p_value : float
        Of the corrected statistic.
    effect_size : float
        Cramer's V (phi for two levels) of the uncorrected table.
    effect_measure : str
        "Cramer's V" or "phi".
    n : int
        Trials in the levels tested.
    design_effect : float
    lowest_rate_level, highest_rate_level : str
        The tested levels with the lowest and the highest rate of "yes".
    lowest_rate, highest_rate : float
        Their rates.
    """

    test: str
    statistic: float
    dof: int
    p_value: float
    effect_size: float
    effect_measure: str
    n: int
    design_effect: float
    lowest_rate_level: str
    lowest_rate: float
    highest_rate_level: str
    highest_rate: float


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes (-1 = missing) of a column; a categorical gives its own codes."""
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        cat = values.array if isinstance(values, pd.Series | pd.Index) else values
        return np.asarray(cat.codes, dtype=np.intp)
    return np.asarray(pd.factorize(values)[0], dtype=np.intp)


def _per_code(codes: np.ndarray, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Count (or sum ``weights``) per code 0..k-1; code -1 is left out."""
    return np.bincount(codes + 1, weights=weights, minlength=k + 1)[1:]


def proportion_design_effect(flag, cluster=None) -> float:
    """Design effect of a proportion (e.g. a response rate) when its observations are clustered (e.g. by account).

    Parameters
    ----------
    flag : Series of bool
        The outcome (responded or not), one per observation (invitation); missing counts as False.
    cluster : Series, optional
        Cluster of each observation (account); missing clusters are their own.

    Returns
    -------
    float
        Variance of the proportion with clusters (linearised, with-replacement
        ultimate-cluster estimator) over its variance under simple random
        sampling, at least 1; 1 without clusters.

    Examples
    --------
    >>> f = pd.Series([True, True, False, False])
    >>> proportion_design_effect(f, pd.Series(["a", "a", "b", "b"]))
    4.0
    """
    y = pd.Series(flag).fillna(False).to_numpy(dtype=bool).astype(float)
    if cluster is None:
        return 1.0
    codes = _codes(cluster)
    k = int(codes.max(initial=-1)) + 1
    miss = codes < 0  # an observation without a cluster is its own
    return proportion_design_effect_counts(_per_code(codes, k), _per_code(codes, k, y), int(miss.sum()),
                                           int(y[miss].sum()))


def proportion_design_effect_counts(trials, successes, n_alone: int = 0, successes_alone: int = 0) -> float:
    """:func:`proportion_design_effect` from the trials and successes per cluster (plus observations alone).

    Parameters
    ----------
    trials, successes : array-like
        Observations and "yes" per cluster (clusters without observations are left out).
    n_alone, successes_alone : int
        Observations without a cluster (each its own), and how many of them are "yes".

    Returns
    -------
    float
        The design effect, at least 1 (1 when it cannot be estimated: fewer
        than two observations or clusters, or a proportion of 0 or 1).

    Notes
    -----
    With p the overall proportion, n the observations and G the clusters,
    var_c = G / (G - 1) sum_c (sum_{i in c} (y_i - p))^2 / n^2 (Wolter
    2007) and var_srs = p (1 - p) / n; deff = max(1, var_c / var_srs).

    Examples
    --------
    >>> proportion_design_effect_counts([2, 2], [2, 0])
    4.0
    """
    invited = np.asarray(trials, dtype="float64")
    answered = np.asarray(successes, dtype="float64")
    n = float(invited.sum()) + n_alone
    if n < 2:
        return 1.0
    p = (float(answered.sum()) + successes_alone) / n
    if p in (0.0, 1.0):
        return 1.0
    used = invited > 0
    totals = answered[used] - p * invited[used]  # sum over the cluster of (y - p)
    g = int(used.sum()) + n_alone
    if g < 2:
        return 1.0
    ss = float((totals**2).sum()) + successes_alone * (1 - p) ** 2 + (n_alone - successes_alone) * p**2
    var_c = g / (g - 1) * ss / n**2
    var_srs = p * (1 - p) / n
    return float(max(1.0, var_c / var_srs))


def rao_scott_test(levels, trials, successes, deff: float = 1.0, min_count: int = 5) -> RaoScottTest | None:
    """Chi-square test of independence of a factor and a yes/no outcome, Rao-Scott corrected by ``deff``.

    Parameters
    ----------
    levels : array-like
        The factor's levels.
    trials, successes : array-like
        Observations and "yes" per level.
    deff : float
        Design effect of the proportion (:func:`proportion_design_effect`); the
        chi-square is divided by it.
    min_count : int
        Levels with fewer observations are left out.

    Returns
    -------
    RaoScottTest or None
        None when fewer than two levels are left or the outcome does not vary.

    Notes
    -----
    The Pearson chi-square of the levels x (no, yes) table divided by the
    design effect (first-order Rao-Scott correction; Rao & Scott 1981),
    referred to chi-square with (levels - 1) degrees of freedom. Effect size:
    Cramer's V, sqrt(chi2 / (n (min(r, c) - 1))), of the uncorrected table.

    Examples
    --------
    >>> r = rao_scott_test(["a", "b"], [50, 50], [40, 0])
    >>> round(r.statistic, 2), r.lowest_rate_level, round(r.effect_size, 2)
    (66.67, 'b', 0.82)
    """
    invited = np.asarray(trials, dtype="float64")
    answered = np.asarray(successes, dtype="float64")
    keep = invited >= min_count
    if keep.sum() < 2:
        return None
    yes, no = answered[keep], invited[keep] - answered[keep]
    if yes.sum() == 0 or no.sum() == 0:
        return None
    tab = np.column_stack([no, yes])
    chi2, _, dof, _ = stats.chi2_contingency(tab, correction=False)
    chi2_adj = chi2 / deff
    v = math.sqrt(chi2 / (tab.sum() * (min(tab.shape) - 1)))
    rates = yes / invited[keep]
    names = np.asarray(levels, dtype=object)[keep]
    lo_i, hi_i = int(np.argmin(rates)), int(np.argmax(rates))
    return RaoScottTest(test="chi-square (Rao-Scott)" if deff > 1 else "chi-square", statistic=float(chi2_adj),
                        dof=int(dof), p_value=float(stats.chi2.sf(chi2_adj, dof)), effect_size=v,
                        effect_measure="Cramer's V" if min(tab.shape) > 2 or tab.shape[0] > 2 else "phi",
                        n=int(tab.sum()), design_effect=float(deff), lowest_rate_level=str(names[lo_i]),
                        lowest_rate=float(rates[lo_i]), highest_rate_level=str(names[hi_i]),
                        highest_rate=float(rates[hi_i]))


def _compact(codes: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, int]:
    """Codes renumbered 0..k-1 over the codes that hold a positive weight, and k (codes are all >= 0)."""
    total = np.bincount(codes, weights=weights) if len(codes) else np.zeros(0)
    used = total > 0
    if used.all():
        return codes, len(total)
    mapping = np.cumsum(used) - 1
    return mapping[codes], int(used.sum())


#: Clusters x cells up to this many are counted in a dense array; beyond, in a sparse matrix.
DENSE_CELLS = 1 << 25


def _cluster_moments(cell: np.ndarray, w: np.ndarray | None, g: np.ndarray,
                     k: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Σ_g c_g c_g', Σ_g m_g c_g and Σ_g m_g² of the clusters' cell counts c_g (sizes m_g); -1: a unit alone."""
    inc = g >= 0
    every = bool(inc.all())
    gi, ci, wi = (g, cell, w) if every else (g[inc], cell[inc], None if w is None else w[inc])
    s, m, ss2 = np.zeros((k, k)), np.zeros(k), 0.0
    if len(gi):
        n_g = int(gi.max()) + 1
        if n_g * k <= DENSE_CELLS:  # one bincount of cluster x cell
            per = np.bincount(gi * k + ci, weights=wi, minlength=n_g * k).reshape(n_g, k).astype("float64")
        else:
            ones = np.ones(len(gi)) if wi is None else wi
            per = sparse.coo_matrix((ones, (gi, ci)), shape=(n_g, k)).tocsr()
        s += np.asarray((per.T @ per).toarray() if sparse.issparse(per) else per.T @ per)
        size = np.asarray(per.sum(axis=1)).ravel()
        m += np.asarray(per.T @ size).ravel()
        ss2 += float(size @ size)
    if not every:  # each unit alone is a cluster of size 1
        alone = np.bincount(cell[~inc], weights=None if w is None else w[~inc], minlength=k).astype("float64")
        s += np.diag(alone)
        m += alone
        ss2 += float(alone.sum())
    return s, m, ss2


def rao_scott_codes(rows, cols, clusters=None, weights=None, n_clusters: float | None = None) -> RaoScott:
    """Test whether two classifications are independent, with the first-order Rao-Scott correction, from codes.

    The integer-code path of :func:`npsdiag.stats.survey.chisq_rao_scott` for large tables (millions of
    invitations): counts per cluster and cell with one :func:`numpy.bincount` (a sparse matrix when clusters x
    cells are very many), never per row in Python; records may already be counts (``weights``), e.g. an
    account's invitations answered and not answered.

    Parameters
    ----------
    rows, cols : array of int
        Codes of the two classifications of each record; -1 (missing) puts the record outside the table's
        domain (it still belongs to the design: its cluster counts in ``n_clusters``).
    clusters : array of int, optional
        Code (0, 1, ...) of each record's cluster (its account); -1 for a record whose units are each a
        cluster of their own. None: every unit is its own cluster.
    weights : array, optional
        Units each record stands for (default 1).
    n_clusters : float, optional
        Clusters of the whole design (G): by default the clusters of all records (also those outside the
        domain) plus the units alone, as R ``survey`` counts the primary units of a domain's design.

    Returns
    -------
    RaoScott
        ``chi2`` (Pearson's X² of the table), ``deff_mean`` (the mean generalised design effect),
        ``chi2_rs`` = chi2 / deff_mean, ``dof``, ``p_value``, ``n`` (units in the table), ``clusters`` (G),
        ``cramers_v``. NaN when the table has fewer than two rows or columns or G < 2.

    Notes
    -----
    With p the cell proportions of the table's n units and c_g the cell counts of cluster g (m_g units),
    the linearised covariance of p is V = G/(G-1) Σ_g z_g z_g', z_g = (c_g - m_g p) / n, expanded as
    (Σ c_g c_g' - p (Σ m_g c_g)' - (Σ m_g c_g) p' + Σ m_g² p p') / n²: a record outside the domain adds
    nothing but its cluster to G (domain estimation, Lumley 2010). The generalised design effects are the
    eigenvalues of (C' D⁻¹ C / n)⁻¹ (C' D⁻¹ V D⁻¹ C), C the interaction contrasts and D = diag(p); X² is
    divided by their mean (Rao & Scott 1981), as R's ``svychisq(~row + col, design, statistic = "Chisq")``
    with ``svydesign(ids = ~cluster)``: a test compares them on the demo client.

    Examples
    --------
    >>> r = rao_scott_codes([0, 0, 1, 1], [1, 1, 0, 0], clusters=[0, 0, 1, 1])
    >>> round(r.chi2, 2), r.dof, r.clusters
    (4.0, 1, 2)
    """
    r, c = np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)
    w = None if weights is None else np.asarray(weights, dtype="float64")
    g = np.full(len(r), -1, dtype=np.intp) if clusters is None else np.asarray(clusters, dtype=np.intp)
    if n_clusters is None:
        live = np.ones(len(r), dtype=bool) if w is None else w > 0
        present = g[live & (g >= 0)]
        alone = live & (g < 0)
        n_clusters = float(np.count_nonzero(np.bincount(present))) + float(
            alone.sum() if w is None else w[alone].sum())
    ok = (r >= 0) & (c >= 0)
    if w is not None:
        ok &= w > 0
    if not ok.all():
        r, c, g = r[ok], c[ok], g[ok]
        w = None if w is None else w[ok]
    r, nr = _compact(r, w)
    c, nc = _compact(c, w)
    n = float(len(r) if w is None else w.sum())
    dof = max(nr - 1, 0) * max(nc - 1, 0)
    nan = float("nan")
    if nr < 2 or nc < 2 or n_clusters < 2:
        return RaoScott(nan, nan, nan, dof, nan, int(round(n)), int(n_clusters), nan)
    k = nr * nc
    cell = c * nr + r  # column-major, as R's interaction(row, col)
    counts = np.bincount(cell, weights=w, minlength=k).astype("float64")
    p = counts / n
    tab = counts.reshape(nc, nr)
    expected = np.outer(tab.sum(axis=1), tab.sum(axis=0)).ravel() / n
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    s, m, ss2 = _cluster_moments(cell, w, g, k)
    v = n_clusters / (n_clusters - 1) * (s - np.outer(p, m) - np.outer(m, p) + ss2 * np.outer(p, p)) / n**2
    dmean = _mean_generalised_deff(p, v, n, nr, nc)
    stat = chi2 / dmean if dmean > 0 else nan
    return RaoScott(chi2, dmean, float(stat), dof, float(stats.chi2.sf(stat, dof)) if np.isfinite(stat) else nan,
                    int(round(n)), int(n_clusters), float(math.sqrt(chi2 / (n * (min(nr, nc) - 1)))))


def _mean_generalised_deff(p: np.ndarray, v: np.ndarray, n: float, nr: int, nc: int) -> float:
    """Mean eigenvalue of (C' D⁻¹ C / n)⁻¹ (C' D⁻¹ V D⁻¹ C): C the interaction contrasts of an nr x nc table."""
    k = nr * nc
    ri, ci = np.tile(np.arange(nr), nc), np.repeat(np.arange(nc), nr)
    x1 = np.column_stack([np.ones(k)] + [(ri == i).astype(float) for i in range(1, nr)]
                         + [(ci == j).astype(float) for j in range(1, nc)])
    x12 = np.column_stack([((ri == i) & (ci == j)).astype(float) for j in range(1, nc) for i in range(1, nr)])
    cmat = x12 - x1 @ np.linalg.lstsq(x1, x12, rcond=None)[0]
    idm = np.where(p > 0, 1 / np.where(p > 0, p, 1), 0.0)
    denom = cmat.T @ (idm[:, None] / n * cmat)
    numr = (cmat * idm[:, None]).T @ v @ (idm[:, None] * cmat)
    try:
        delta = np.linalg.solve(denom, numr)
    except np.linalg.LinAlgError:
        return float("nan")
    return float(np.trace(delta) / delta.shape[0])


def independence_test(levels, trials, successes, min_count: int = 5, seed: int = 0) -> RaoScottTest | None:
    """Whether a yes/no outcome's rate differs between a factor's levels, for independent units (accounts).

    Parameters
    ----------
    levels : array-like
        The factor's levels.
    trials, successes : array-like
        Units and "yes" per level.
    min_count : int
        Levels with fewer units are left out.
    seed : int
        Seed of the Monte Carlo draws of Fisher's exact test for tables larger than 2 x 2.

    Returns
    -------
    RaoScottTest or None
        As :func:`rao_scott_test` with no design effect; ``test`` says which test gave the p-value. None
        when fewer than two levels are left or the outcome does not vary.

    Notes
    -----
    Pearson's chi-square test of independence when every expected count is at least 5 (Cochran 1954);
    otherwise Fisher's exact test: exact for a 2 x 2 table, else the share of tables with the observed
    margins that are at most as probable as the observed one, by :data:`EXACT_RESAMPLES` seeded Monte Carlo
    draws (as R's ``fisher.test(simulate.p.value = TRUE)``). Effect size: Cramer's V (phi) of the table.

    Examples
    --------
    >>> r = independence_test(["a", "b"], [6, 6], [5, 1])
    >>> r.test, round(r.p_value, 4)
    ("Fisher's exact", 0.0801)
    """
    res = rao_scott_test(levels, trials, successes, deff=1.0, min_count=min_count)
    if res is None:
        return None
    invited = np.asarray(trials, dtype="float64")
    answered = np.asarray(successes, dtype="float64")
    keep = invited >= min_count
    tab = np.rint(np.column_stack([invited[keep] - answered[keep], answered[keep]])).astype(np.int64)
    expected = np.outer(tab.sum(axis=1), tab.sum(axis=0)) / tab.sum()
    if expected.min() >= 5:
        return res
    if tab.shape == (2, 2):
        p = stats.fisher_exact(tab).pvalue
    else:
        method = stats.MonteCarloMethod(n_resamples=EXACT_RESAMPLES, rng=np.random.default_rng(seed))
        p = stats.fisher_exact(tab, method=method).pvalue
    return dataclasses.replace(res, test="Fisher's exact", p_value=float(p))


def one_vs_rest(x, key, k: int, clusters=None) -> tuple[np.ndarray, np.ndarray]:
    """Each domain's mean minus the mean of the other domains, with its design-based variance (clusters shared).

    Parameters
    ----------
    x : array of float
        The value of each unit (e.g. -1, 0, 1 for an NPS).
    key : array of int
        The domain 0..k-1 of each unit; -1: in no domain (outside both means, still in the design).
    k : int
        Domains.
    clusters : array of int, optional
        Cluster code (0, 1, ...) of each unit; None: every unit its own cluster.

    Returns
    -------
    diff, var : arrays of length k
        mean_d - mean_rest(d) and its linearised variance (NaN where a side has no unit or G < 2).

    Notes
    -----
    The contrast of two domain means of one design (R ``survey``'s ``svycontrast`` of ``svyby`` estimates with
    ``covmat = TRUE``): with u_i = (x_i - m_d) / n_d in domain d and -(x_i - m_r) / n_r in the rest, var =
    G/(G-1) Σ_g (Σ_{i in g} u_i)², G the clusters of all units, so that an account answering in both domains
    counts once (Wolter 2007, ch. 6). Counted per cluster and domain with one :func:`numpy.bincount`.

    Examples
    --------
    >>> diff, var = one_vs_rest([1, 0, -1, -1], [0, 0, 1, 1], 2, clusters=[0, 1, 0, 1])
    >>> diff.tolist(), var.round(4).tolist()
    ([1.5, -1.5], [0.25, 0.25])
    """
    x = np.asarray(x, dtype="float64")
    key = np.asarray(key, dtype=np.intp)
    g = np.arange(len(x), dtype=np.intp) if clusters is None else np.asarray(clusters, dtype=np.intp)
    n_clusters = int(np.count_nonzero(np.bincount(g))) if len(g) else 0
    ok = key >= 0
    xo, ko, go = x[ok], key[ok], g[ok]
    n_d = np.bincount(ko, minlength=k).astype("float64")
    s_d = np.bincount(ko, weights=xo, minlength=k)
    n_r, s_r = n_d.sum() - n_d, s_d.sum() - s_d
    nan = np.full(k, np.nan)
    if n_clusters < 2 or not len(xo):
        return nan, nan.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        m_d, m_r = s_d / n_d, s_r / n_r
        # per cluster and domain: units and sums (the clusters of units in no domain add nothing)
        present = np.bincount(go) > 0
        g_idx = (np.cumsum(present) - 1)[go]  # the clusters with units in a domain, numbered 0..
        n_g_in = int(present.sum())
        cell = g_idx * k + ko
        n_gd = np.bincount(cell, minlength=n_g_in * k).reshape(n_g_in, k).astype("float64")
        s_gd = np.bincount(cell, weights=xo, minlength=n_g_in * k).reshape(n_g_in, k)
        n_g, s_g = n_gd.sum(axis=1, keepdims=True), s_gd.sum(axis=1, keepdims=True)
        t = (s_gd - n_gd * m_d) / n_d - ((s_g - s_gd) - (n_g - n_gd) * m_r) / n_r
        var = n_clusters / (n_clusters - 1) * (t * t).sum(axis=0)
        diff = m_d - m_r
    bad = (n_d == 0) | (n_r == 0)
    return np.where(bad, np.nan, diff), np.where(bad, np.nan, var)
