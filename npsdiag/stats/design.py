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
  domains', with its design-based variance when the domains share clusters;
- :func:`domain_variances`, :func:`nps_design_based` -- the design-based
  variance of domain means and the NPS of a domain with its interval, on
  integer codes (one :func:`numpy.bincount`, no sort) for large exports.

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

from .nps import nps_from_counts
from .result import Result
from .survey import NpsEstimate, RaoScott

__all__ = ["RaoScottTest", "proportion_design_effect", "proportion_design_effect_counts", "rao_scott_codes",
           "rao_scott_test", "independence_test", "one_vs_rest", "domain_variances", "nps_design_based",
           "EXACT_RESAMPLES", "DENSE_CELLS"]

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
    xo, ko, go = (x, key, g) if ok.all() else (x[ok], key[ok], g[ok])
    n_d = np.bincount(ko, minlength=k).astype("float64")
    s_d = np.bincount(ko, weights=xo, minlength=k)
    n_r, s_r = n_d.sum() - n_d, s_d.sum() - s_d
    nan = np.full(k, np.nan)
    if n_clusters < 2 or not len(xo):
        return nan, nan.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        m_d, m_r = s_d / n_d, s_r / n_r
        gi, n_g_in = _present(go)
        n_g = np.bincount(gi, minlength=n_g_in).astype("float64")[:, None]
        s_g = np.bincount(gi, weights=xo, minlength=n_g_in)[:, None]
        var = np.zeros(k)
        for lo, n_gd, s_gd in _domain_blocks(gi, n_g_in, ko, xo, k):
            hi = lo + n_gd.shape[1]
            t = ((s_gd - n_gd * m_d[lo:hi]) / n_d[lo:hi]
                 - ((s_g - s_gd) - (n_g - n_gd) * m_r[lo:hi]) / n_r[lo:hi])
            var[lo:hi] = (t * t).sum(axis=0)
        var *= n_clusters / (n_clusters - 1)
        diff = m_d - m_r
    bad = (n_d == 0) | (n_r == 0)
    return np.where(bad, np.nan, diff), np.where(bad, np.nan, var)


def _present(g: np.ndarray) -> tuple[np.ndarray, int]:
    """Cluster codes renumbered 0.. over the clusters present, and how many (one bincount, no sort)."""
    present = np.bincount(g) > 0
    return (np.cumsum(present) - 1)[g], int(present.sum())


def _domain_blocks(gi: np.ndarray, n_g: int, key: np.ndarray, x: np.ndarray, k: int):
    """Units and sums of ``x`` per cluster and domain, as dense (clusters x domains) blocks of domains
    ``lo..lo + width`` that stay within :data:`DENSE_CELLS`."""
    width = max(1, min(k, DENSE_CELLS // max(n_g, 1)))
    for lo in range(0, k, width):
        hi = min(k, lo + width)
        m = (key >= lo) & (key < hi) if (lo, hi) != (0, k) else np.ones(len(key), dtype=bool)
        cell = gi[m] * (hi - lo) + (key[m] - lo)
        size = n_g * (hi - lo)
        yield (lo, np.bincount(cell, minlength=size).reshape(n_g, hi - lo).astype("float64"),
               np.bincount(cell, weights=x[m], minlength=size).reshape(n_g, hi - lo))


def domain_variances(x, key, k: int, clusters=None) -> tuple[np.ndarray, np.ndarray]:
    """Design-based variance of the mean of ``x`` in each domain 0..k-1 (e.g. each role), and its design effect.

    The integer-code path of :func:`npsdiag.stats.nps.domain_design_effects` for large exports (one
    :func:`numpy.bincount` of cluster x domain, no sort): every domain is a domain of the whole design (R
    ``survey``'s ``svyby``), with u_i = (x_i - m_d) / n_d, var_d = G/(G-1) Σ_g (Σ_{i in g, d} u_i)², G the
    clusters of all units (also those with key -1, in no domain); the design effect divides it by s_d² / n_d.
    NaN where a domain has fewer than two units or no variance.

    Examples
    --------
    >>> var, deff = domain_variances([1, 0, -1, -1], [0, 0, 1, 1], 2, clusters=[0, 1, 0, 1])
    >>> var.round(4).tolist(), deff.round(2).tolist()
    ([0.25, 0.0], [1.0, nan])
    """
    x = np.asarray(x, dtype="float64")
    key = np.asarray(key, dtype=np.intp)
    g = np.arange(len(x), dtype=np.intp) if clusters is None else np.asarray(clusters, dtype=np.intp)
    n_clusters = int(np.count_nonzero(np.bincount(g))) if len(g) else 0
    ok = key >= 0
    xo, ko, go = (x, key, g) if ok.all() else (x[ok], key[ok], g[ok])
    n_d = np.bincount(ko, minlength=k).astype("float64")
    var = np.full(k, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        m_d = np.bincount(ko, weights=xo, minlength=k) / n_d
        s2 = (np.bincount(ko, weights=xo * xo, minlength=k) - n_d * m_d * m_d) / (n_d - 1)
        if n_clusters >= 2 and len(xo):
            gi, n_g_in = _present(go)
            for lo, n_gd, s_gd in _domain_blocks(gi, n_g_in, ko, xo, k):
                hi = lo + n_gd.shape[1]
                t = (s_gd - n_gd * m_d[lo:hi]) / n_d[lo:hi]
                var[lo:hi] = n_clusters / (n_clusters - 1) * (t * t).sum(axis=0)
        deff = np.where((n_d > 1) & (s2 > 0), var / (s2 / n_d), np.nan)
    return var, deff


def nps_design_based(categories, clusters=None, domain=None, confidence: float = 0.95) -> NpsEstimate:
    """The NPS of the responses in ``domain`` (all by default) with its design-based SE and interval, from codes.

    The integer-code path of :func:`npsdiag.stats.survey.nps_clustered` (the whole sample) and of one group
    of :func:`npsdiag.stats.survey.nps_by_clustered` (a domain), for large exports.

    Parameters
    ----------
    categories : array of int
        0 detractor, 1 passive, 2 promoter, -1 no score (left out, as outside the design).
    clusters : array of int, optional
        Cluster code (0, 1, ...) of each response; None: independent responses.
    domain : array of bool, optional
        The responses whose NPS is estimated; the design's clusters are those of every scored response.
    confidence : float

    Returns
    -------
    NpsEstimate
        As :func:`npsdiag.stats.survey.nps_clustered`: the NPS, its linearised SE (clusters as primary
        units), Rocks' adjusted Wald interval on the counts divided by the design effect (when above 1),
        ``n``, ``clusters`` (in the domain), ``deff`` and ``n_effective``.

    Examples
    --------
    >>> r = nps_design_based([2, 2, 0, 0, 2, 0], clusters=[0, 0, 1, 1, 2, 2])
    >>> round(r.nps, 1), r.clusters, round(r.deff, 2)
    (0.0, 3, 1.67)
    """
    cat = np.asarray(categories, dtype=np.intp)
    scored = cat >= 0
    g = np.arange(len(cat), dtype=np.intp) if clusters is None else np.asarray(clusters, dtype=np.intp)
    n_clusters = int(np.count_nonzero(np.bincount(g[scored]))) if scored.any() else 0
    ok = scored if domain is None else scored & np.asarray(domain, dtype=bool)
    c, gd = cat[ok], g[ok]
    n = len(c)
    nan = float("nan")
    if n == 0:
        return NpsEstimate(nan, nan, nan, nan, 0, 0, nan, 0.0)
    counts = np.bincount(c, minlength=3).astype("float64")
    x = c - 1.0
    mean = float((counts[2] - counts[0]) / n)
    var = nan
    if n_clusters >= 2:
        totals = np.bincount(gd, weights=(x - mean) / n)
        var = n_clusters / (n_clusters - 1) * float(totals @ totals)
    srs = float(np.var(x, ddof=1)) / n if n > 1 else nan
    deff = var / srs if srs and srs > 0 and np.isfinite(var) else (1.0 if srs == 0 else nan)
    eff = counts / max(deff, 1.0) if np.isfinite(deff) else counts
    r = nps_from_counts(eff[0], eff[1], eff[2], confidence=confidence)
    return NpsEstimate(100 * mean, 100 * float(np.sqrt(var)) if np.isfinite(var) else nan,
                       100 * float(r["ci_low"]), 100 * float(r["ci_high"]), n,
                       int(np.count_nonzero(np.bincount(gd))), float(deff),
                       n / max(deff, 1.0) if np.isfinite(deff) else float(n))
