"""Building blocks: the NPS of every segment, tests across a dimension, the spread beyond noise, a two-way grid.

Each block takes a DataFrame of responses and column names and returns a
tidy DataFrame. The checks run the same computations on codes factorized
once per prepared data set: each block's ``*_from_codes`` function, which
the block itself calls after factorizing its DataFrame
(:mod:`~npsdiag.areas.segmentation.coding`).

References
----------
.. [1] Rocks, B. (2016). Interval Estimation for the "Net Promoter Score".
   The American Statistician, 70(4), 365-372.
.. [2] Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery
   rate. JRSS B, 57(1), 289-300.
.. [3] DerSimonian, R. & Laird, N. (1986). Meta-analysis in clinical trials.
   Controlled Clinical Trials, 7(3), 177-188.
.. [4] Higgins, J. P. T. & Thompson, S. G. (2002). Quantifying heterogeneity
   in a meta-analysis. Statistics in Medicine, 21(11), 1539-1558.
.. [5] Viechtbauer, W. (2007). Confidence intervals for the amount of
   heterogeneity in meta-analysis. Statistics in Medicine, 26(1), 37-52.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

from ...stats.decomposition import dense_keys
from ...stats.meta import MIN_K_TAU, dersimonian_laird
from ...stats.multiplicity import bh_adjust
from ...stats.nps import ADJUSTMENT, Breaks, nps_table
from .coding import category_codes, cluster_codes, compact, count_table, label_codes, segment_codes

__all__ = ["segment_nps", "segment_nps_from_codes", "dimension_tests", "dimension_tests_from_codes",
           "rao_scott_from_codes", "segment_dispersion", "nps_grid", "nps_grid_from_codes", "SEGMENT_COLUMNS",
           "MAX_JOINT_VALUES"]

#: Columns of :func:`segment_nps`.
SEGMENT_COLUMNS = ["dimension", "segment", "n", "detractors", "passives", "promoters", "pct_promoters",
                   "pct_passives", "pct_detractors", "nps", "ci_low", "ci_high", "reportable", "se_test",
                   "design_effect", "diff_vs_rest", "diff_ci_low", "diff_ci_high", "p_value", "p_adj", "direction"]
_TEST_COLUMNS = ["dimension", "values", "tested_values", "n", "chi2", "dof", "design_effect", "p_value", "p_adj",
                 "cramers_v"]
_DISPERSION_COLUMNS = ["dimension", "k", "nps_min", "nps_max", "pooled_nps", "tau", "tau_ci_low", "tau_ci_high", "i2",
                       "q", "q_p_value", "q_p_adj", "pi_low", "pi_high", "note"]


def _adj_var(d, p, r) -> np.ndarray:
    """Variance of the NPS (-1..1) per response, from the adjusted counts (Rocks 2016), divided by n."""
    ad, ap, ar = ADJUSTMENT
    d, p, r = (np.asarray(v, dtype="float64") for v in (d, p, r))
    n = d + p + r + ad + ap + ar
    s = (r + ar - d - ad) / n
    return ((r + ar + d + ad) / n - s**2) / n


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


# --------------------------------------------------------------------------- segment table


@dataclass(frozen=True)
class _Clusters:
    """The scored responses' cluster codes and per-cluster totals, shared by every dimension's variances."""

    codes: np.ndarray
    tot_x: np.ndarray
    tot_n: np.ndarray
    m0: float
    s_ee: float
    s_en: float
    s_nn: float

    @classmethod
    def of(cls, codes: np.ndarray, x: np.ndarray) -> _Clusters:
        n_cl = int(codes.max()) + 1
        tot_x = np.bincount(codes, weights=x, minlength=n_cl)
        tot_n = np.bincount(codes, minlength=n_cl).astype("float64")
        m0 = tot_x.sum() / tot_n.sum()
        e0 = tot_x - m0 * tot_n
        return cls(codes, tot_x, tot_n, m0, float(e0 @ e0), float(e0 @ tot_n), float(tot_n @ tot_n))


def _cluster_var_segments(g: np.ndarray, x: np.ndarray, a: np.ndarray, cl: _Clusters) -> tuple[np.ndarray, np.ndarray]:
    """Cluster-robust (linearisation) variances of the mean of x in every segment and in its complement.

    With x the response values (+1 promoter, 0 passive, -1 detractor), mean m = Σx / N and per-cluster
    residual sums E_c = Σ_c x - m·n_c, var(m) = C / (C - 1) · Σ E_c² / N² (C clusters with responses).

    Works on the (segment, cluster) pairs that occur, never on a segments x clusters grid: the rest's
    Σ_c (T_c - m·N_c)² over all clusters is expanded around the overall mean m0
    (Σ e0² - 2δ Σ e0·N + δ² Σ N², δ = m - m0) and corrected on the clusters the segment touches.
    """
    tot_x, tot_n = cl.tot_x, cl.tot_n
    n_seg = len(a)
    n_cl = len(tot_n)
    pk, uk = dense_keys(g * n_cl + cl.codes, n_seg * n_cl)
    px = np.bincount(pk, weights=x)
    pn = np.bincount(pk).astype("float64")
    uk = np.asarray(uk)
    ps, pc = uk // n_cl, uk % n_cl
    big_n = a.sum(axis=1)
    sx = a[:, 2] - a[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        m = sx / big_n
        e_seg = np.bincount(ps, weights=(px - m[ps] * pn) ** 2, minlength=n_seg)
        c_seg = np.bincount(ps, minlength=n_seg).astype("float64")
        ca = np.where((c_seg >= 2) & (big_n > 0), c_seg / (c_seg - 1) * e_seg / big_n**2, np.nan)
        n_r = tot_n.sum() - big_n
        m_r = (tot_x.sum() - sx) / n_r
        d = m_r - cl.m0
        full = cl.s_ee - 2 * d * cl.s_en + d**2 * cl.s_nn
        tc, nc = tot_x[pc], tot_n[pc]
        mr = m_r[ps]
        old = np.bincount(ps, weights=(tc - mr * nc) ** 2, minlength=n_seg)
        new = np.bincount(ps, weights=(tc - px - mr * (nc - pn)) ** 2, minlength=n_seg)
        e_rest = np.clip(full - old + new, 0, None)
        c_rest = n_cl - np.bincount(ps, weights=(pn == nc).astype("float64"), minlength=n_seg)
        cb = np.where((c_rest >= 2) & (n_r > 0), c_rest / (c_rest - 1) * e_rest / n_r**2, np.nan)
    return ca, cb


def _dimension_rows(dim: str, g: np.ndarray, labels: list[str], k: np.ndarray, x: np.ndarray,
                    clusters: _Clusters | None, min_n: int, confidence: float) -> pd.DataFrame:
    """The rows of :func:`segment_nps` for one dimension (``g``: the scored rows' segment codes), untested by BH."""
    z = _z(confidence)
    n_seg = len(labels)
    a = count_table(g, k, n_seg)
    t = nps_table(a, confidence)
    t.insert(0, "segment", labels)
    t.insert(0, "dimension", dim)
    t["reportable"] = t["n"] >= min_n
    b = a.sum(axis=0) - a
    n_a, n_b = a.sum(axis=1), b.sum(axis=1)
    va = _adj_var(a[:, 0], a[:, 1], a[:, 2])
    vb = np.where(n_b > 0, _adj_var(b[:, 0], b[:, 1], b[:, 2]), np.nan)
    deff = np.ones(n_seg)
    if clusters is not None:
        ca, cb = _cluster_var_segments(g, x, a, clusters)
        bigger = np.isfinite(ca) & (ca > va)
        deff = np.where(bigger, ca / va, 1.0)
        va = np.where(bigger, ca, va)
        vb = np.where(np.isfinite(cb) & (cb > vb), cb, vb)
    t["se_test"] = 100 * np.sqrt(va)
    t["design_effect"] = deff
    test = t["reportable"].to_numpy() & (n_b > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = (a[:, 2] - a[:, 0]) / n_a - (b[:, 2] - b[:, 0]) / n_b
        se = np.sqrt(va + vb)
        p = np.where(se > 0, 2 * stats.norm.sf(np.abs(diff / se)), np.nan)
    t["diff_vs_rest"] = np.where(test, 100 * diff, np.nan)
    t["diff_ci_low"] = np.where(test, 100 * (diff - z * se), np.nan)
    t["diff_ci_high"] = np.where(test, 100 * (diff + z * se), np.nan)
    t["p_value"] = np.where(test, p, np.nan)
    return t


def segment_nps_from_codes(
    categories: np.ndarray,
    dimensions: Iterable[tuple[str, np.ndarray, list[str]]],
    clusters: np.ndarray | None = None,
    min_n: int = 30,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """:func:`segment_nps` on integer codes (what the checks call with :meth:`~npsdiag.clean.Prepared.codes`).

    Parameters
    ----------
    categories : array of int
        Each response's category (:func:`~npsdiag.areas.segmentation.coding.category_codes`; -1: no score).
    dimensions : iterable of (str, array of int, list of str)
        Each segment column's name, the responses' label codes and the labels
        (:func:`~npsdiag.areas.segmentation.coding.segment_codes`).
    clusters : array of int, optional
        The responses' cluster codes (:func:`~npsdiag.areas.segmentation.coding.cluster_codes`).
    min_n, confidence
        As :func:`segment_nps`.
    """
    ok = categories >= 0
    k = categories[ok]
    x = (k - 1).astype("float64")
    cl = None
    if clusters is not None:
        cl = _Clusters.of(clusters if ok.all() else dense_keys(clusters[ok])[0], x)  # clusters of the scored rows
    frames = [_dimension_rows(dim, *compact(g[ok], labels), k, x, cl, min_n, confidence)
              for dim, g, labels in dimensions]
    if not frames:
        return pd.DataFrame(columns=SEGMENT_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["p_adj"] = bh_adjust(out["p_value"])
    alpha = 1 - confidence
    sig = out["p_adj"] < alpha
    out["direction"] = np.where(sig & (out["diff_vs_rest"] < 0), "below",
                                np.where(sig & (out["diff_vs_rest"] > 0), "above", ""))
    return out[SEGMENT_COLUMNS]


def segment_nps(
    data: pd.DataFrame,
    segments: list[str],
    score: str = "score",
    min_n: int = 30,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
    cluster: str | None = None,
) -> pd.DataFrame:
    """NPS of every value of every segment column, each tested against the rest.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    segments : list of str
        Segment columns (dimensions). Missing values form the segment
        ``"(missing)"``.
    score : str
        Score column.
    min_n : int
        Smallest number of responses for a segment's NPS to be reported and
        tested; smaller segments are listed with ``reportable`` False and no
        test.
    confidence : float
        Level of the intervals; the significance level is 1 - confidence.
    breaks : Breaks
        Category breaks.
    cluster : str, optional
        Column of clusters (e.g. ``"account_id"``). Responses of one account
        are not independent (they share the account's experience); with
        ``cluster`` each sample's variance in the test is the larger of the
        Rocks variance and the cluster-robust variance, so that an account
        answering many times does not make a difference look more certain
        than it is. Responses without a cluster count as their own.

    Returns
    -------
    DataFrame
        One row per (dimension, segment): ``dimension``, ``segment``, ``n``,
        ``detractors``, ``passives``, ``promoters`` (counts),
        ``pct_promoters``, ``pct_passives``, ``pct_detractors`` (0-100),
        ``nps``, ``ci_low``, ``ci_high`` (adjusted Wald, points),
        ``reportable`` (n >= min_n), ``se_test`` (standard error of the
        segment's NPS used in the tests, points), ``design_effect`` (its
        variance over the Rocks variance; 1 without ``cluster``),
        ``diff_vs_rest`` (segment NPS minus the NPS of every other response,
        points), ``diff_ci_low``, ``diff_ci_high``, ``p_value`` (two-sample
        Wald test), ``p_adj`` (Benjamini-Hochberg across every tested
        segment of every dimension) and ``direction`` ("below", "above" or
        "" when not significant at 1 - confidence).

    Notes
    -----
    The difference between a segment and the rest is tested with the
    two-sample Wald test of :func:`npsdiag.stats.nps.nps_diff_test`: variance
    p_pro + p_det - (p_pro - p_det)² from the adjusted counts (Rocks 2016).
    With ``cluster``, each variance is max(Rocks, cluster-robust), the
    cluster-robust variance of the mean of x (+1/0/-1) being
    C/(C-1)·Σ_c (Σ_{i∈c} x_i - NPS·n_c)² / n² (linearisation, e.g. Cochran
    1977 ch. 9 / Lohr 2010 ch. 5). The segment and the rest are disjoint;
    for account-level segments they share no cluster, so they are
    independent.

    Examples
    --------
    >>> df = pd.DataFrame({"score": [10, 9, 9, 10, 2, 3, 8, 10] * 10,
    ...                    "region": ["EU", "EU", "EU", "EU", "US", "US", "US", "US"] * 10})
    >>> t = segment_nps(df, ["region"], min_n=10)
    >>> t[["segment", "n", "nps"]].to_dict("records")
    [{'segment': 'EU', 'n': 40, 'nps': 100.0}, {'segment': 'US', 'n': 40, 'nps': -25.0}]
    """
    k = category_codes(data[score], breaks)
    return segment_nps_from_codes(k, segment_codes(data, segments), cluster_codes(data, cluster, k >= 0),
                                  min_n=min_n, confidence=confidence)


# --------------------------------------------------------------------------- across a dimension


#: A dimension is tested across its values (one chi-square) only up to this many tested values.
MAX_JOINT_VALUES = 400


def rao_scott_from_codes(rows: np.ndarray, cols: np.ndarray, clusters: np.ndarray | None, n_rows: int,
                         n_cols: int) -> tuple[float, float, int, float]:
    """First-order Rao-Scott test of independence of two integer classifications, clusters as primary units.

    Parameters
    ----------
    rows, cols : arrays of int
        Codes 0..n_rows-1 and 0..n_cols-1 of each unit (every row and column occurs).
    clusters : array of int or None
        Each unit's cluster code (any non-negative integers); None: independent units (Pearson's test).
    n_rows, n_cols : int

    Returns
    -------
    (chi2, deff, dof, p_value)
        Pearson's X² of the table, the mean generalised design effect (1 without clusters), the degrees of
        freedom and the p-value of X² / deff on chi-square(dof).

    Notes
    -----
    The statistic of :func:`npsdiag.stats.survey.chisq_rao_scott` (R's ``svychisq(statistic = "Chisq")``;
    Rao & Scott 1981), computed from the counts of the (cluster, cell) pairs that occur: the linearised
    covariance of the cell proportions is G/(G-1) Σ_g z_g z_g' with z_g = (m_g - s_g p) / n (m_g the
    cluster's cell counts, s_g its size), i.e. G/(G-1) (M - a p' - p a' + Σ s_g² p p') / n² with
    M = Σ_g m_g m_g' and a = Σ_g s_g m_g, so that no clusters x cells matrix is ever built.
    """
    n = len(rows)
    k = n_rows * n_cols
    cell = cols.astype(np.int64) * n_rows + rows  # column-major, as R's interaction(row, col)
    counts = np.bincount(cell, minlength=k).astype("float64")
    expected = np.outer(counts.reshape(n_cols, n_rows).sum(axis=0), counts.reshape(n_cols, n_rows).sum(axis=1))
    expected = expected.T.ravel() / n
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = float(np.sum(np.where(expected > 0, (counts - expected) ** 2 / expected, 0.0)))
    dof = (n_rows - 1) * (n_cols - 1)
    if clusters is None:
        return chi2, 1.0, dof, float(stats.chi2.sf(chi2, dof))
    units, _ = dense_keys(clusters)
    big_g = int(units.max()) + 1
    if big_g < 2:
        return chi2, float("nan"), dof, float("nan")
    # the clusters' cell counts, a sparse (clusters x cells) matrix: duplicates are summed when it is built
    per = sparse.csr_matrix((np.ones(n), (units, cell)), shape=(big_g, k))
    size = np.bincount(units, minlength=big_g).astype("float64")
    m = (per.T @ per).toarray()
    a = np.asarray(per.T @ size).ravel()
    p = counts / n
    v = big_g / (big_g - 1) * (m - np.outer(a, p) - np.outer(p, a) + float(size @ size) * np.outer(p, p)) / n**2
    # interaction contrasts: the interaction columns of the full model residualised on the main effects, which on
    # the complete rows x cols grid is double centring (each column minus its row and column means)
    x12 = np.zeros((n_cols, n_rows, n_rows - 1, n_cols - 1))
    x12[np.arange(1, n_cols)[None, :], np.arange(1, n_rows)[:, None], np.arange(n_rows - 1)[:, None],
        np.arange(n_cols - 1)[None, :]] = 1.0
    x12 = x12.reshape(n_cols, n_rows, dof)
    cmat = (x12 - x12.mean(axis=0, keepdims=True) - x12.mean(axis=1, keepdims=True)
            + x12.mean(axis=(0, 1), keepdims=True)).reshape(k, dof)
    inv_p = np.where(p > 0, 1 / np.where(p > 0, p, 1), 0.0)
    dc = inv_p[:, None] * cmat
    delta = np.linalg.solve(cmat.T @ dc / n, dc.T @ v @ dc)
    deff = float(np.trace(delta) / dof)
    return chi2, deff, dof, float(stats.chi2.sf(chi2 / deff, dof))


def dimension_tests_from_codes(categories: np.ndarray, dimensions: Iterable[tuple[str, np.ndarray, list[str]]],
                               min_n: int = 30, clusters: np.ndarray | None = None) -> pd.DataFrame:
    """:func:`dimension_tests` on integer codes (arguments as :func:`segment_nps_from_codes`)."""
    rows = []
    ok = categories >= 0
    k = categories[ok]
    cl = clusters[ok] if clusters is not None else None
    for dim, g_all, labels_all in dimensions:
        g, labels = compact(g_all[ok], labels_all)
        tab = count_table(g, k, len(labels))
        tested = tab.sum(axis=1) >= min_n
        cats = tab[tested].sum(axis=0) > 0  # categories that occur among the tested values
        row = {"dimension": dim, "values": int(len(tab)), "tested_values": int(tested.sum()),
               "n": int(tab[tested].sum()), "chi2": np.nan, "dof": np.nan, "design_effect": np.nan,
               "p_value": np.nan, "cramers_v": np.nan}
        if 2 <= tested.sum() <= MAX_JOINT_VALUES and cats.sum() >= 2:
            m = tested[g] & cats[k]
            row_codes = (np.cumsum(tested) - 1)[g[m]]
            col_codes = (np.cumsum(cats) - 1)[k[m]]
            chi2, deff, dof, p = rao_scott_from_codes(row_codes, col_codes, None if cl is None else cl[m],
                                                      int(tested.sum()), int(cats.sum()))
            n = int(m.sum())
            row.update(chi2=chi2, dof=dof, design_effect=deff, p_value=p,
                       cramers_v=float(np.sqrt(chi2 / (n * (min(int(tested.sum()), int(cats.sum())) - 1)))))
        rows.append(row)
    out = pd.DataFrame(rows, columns=[c for c in _TEST_COLUMNS if c != "p_adj"])
    out["p_adj"] = bh_adjust(out["p_value"]) if len(out) else pd.Series(dtype="float64")
    return out[_TEST_COLUMNS]


def dimension_tests(
    data: pd.DataFrame,
    segments: list[str],
    score: str = "score",
    min_n: int = 30,
    breaks: Breaks = Breaks(),
    cluster: str | None = None,
) -> pd.DataFrame:
    """Does the category mix differ across a dimension's segments? (chi-square test, Rao-Scott for clusters).

    Parameters
    ----------
    data : DataFrame
        One row per response.
    segments : list of str
        Segment columns.
    score : str
        Score column.
    min_n : int
        Only segments with at least ``min_n`` responses enter the test.
    breaks : Breaks
        Category breaks.
    cluster : str, optional
        Column of clusters (e.g. ``"account_id"``): responses of one
        account are not independent, and the test is then corrected for it
        (first-order Rao-Scott). Responses without a cluster count as their
        own.

    Returns
    -------
    DataFrame
        One row per dimension: ``dimension``, ``values`` (distinct values),
        ``tested_values`` (values with n >= min_n), ``n`` (responses in
        them), ``chi2`` (Pearson's statistic), ``dof``, ``design_effect``
        (the Rao-Scott divisor of chi2; 1 without ``cluster``),
        ``p_value`` (of chi2 / design_effect), ``p_adj``
        (Benjamini-Hochberg across dimensions) and ``cramers_v`` (effect
        size, 0-1). The test is missing when fewer than two values (or more
        than :data:`MAX_JOINT_VALUES`) can be tested.

    Notes
    -----
    Pearson's chi-square test of independence on the table segment x
    (detractor, passive, promoter). With ``cluster``, the first-order
    Rao-Scott correction (Rao & Scott 1981): chi2 is divided by the mean of
    the generalised design effects of the table, computed from the
    design-based covariance of the cell proportions with the accounts as
    primary units, as R's ``svychisq(~segment + category, design,
    statistic = "Chisq")`` (a test compares them on the demo client);
    each dimension gets its own correction (:func:`rao_scott_from_codes`).
    Cramér's V = sqrt(chi2 / (n (min(r, c) - 1))).

    References
    ----------
    .. [1] Rao, J. N. K. & Scott, A. J. (1981). The analysis of categorical
       data from complex sample surveys: chi-squared tests for goodness of
       fit and independence in two-way tables. JASA, 76(374), 221-230.

    Examples
    --------
    >>> df = pd.DataFrame({"score": [10, 9, 2, 3] * 20, "plan": ["A", "A", "B", "B"] * 20})
    >>> round(float(dimension_tests(df, ["plan"], min_n=10)["cramers_v"].iloc[0]), 2)
    1.0
    """
    k = category_codes(data[score], breaks)
    return dimension_tests_from_codes(k, segment_codes(data, segments), min_n, cluster_codes(data, cluster, k >= 0))


def segment_dispersion(
    table: pd.DataFrame,
    confidence: float = 0.95,
    min_values: int = MIN_K_TAU,
) -> pd.DataFrame:
    """How much the segments' NPS really differ, beyond sampling noise.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`segment_nps` (only ``reportable`` rows are used).
    confidence : float
        Level of the intervals.
    min_values : int
        Smallest number of reportable segments for the spread (tau and what
        rests on it) to be estimated; the test of homogeneity (Q) and I²
        need two.

    Returns
    -------
    DataFrame
        One row per dimension: ``dimension``, ``k`` (segments used),
        ``nps_min``, ``nps_max`` (observed, points), ``pooled_nps``
        (random-effects mean, points), ``tau`` (between-segment standard
        deviation of the true NPS, beyond sampling noise, points),
        ``tau_ci_low``, ``tau_ci_high`` (Q-profile interval, its upper end
        at most 100 points), ``i2`` (share of the observed spread that is
        real rather than noise, 0-1), ``q``, ``q_p_value`` (Cochran's Q test
        of homogeneity), ``q_p_adj`` (Benjamini-Hochberg across dimensions),
        ``pi_low``, ``pi_high`` (range expected to hold 95% of segments'
        true NPS: pooled ± z·tau, clipped to -100..+100) and ``note`` (why
        the spread was not estimated, or ""). ``pooled_nps``, ``tau`` and
        the ranges are missing with fewer than ``min_values`` segments.

    Notes
    -----
    Each reportable segment's NPS y_i (points) has sampling variance v_i
    (adjusted counts, Rocks 2016; or the squared ``se_test`` of
    :func:`segment_nps` when it is larger, i.e. cluster-robust). With
    w_i = 1/v_i, Cochran's Q = Σ w_i (y_i - ȳ_w)², referred to chi-square
    with k - 1 degrees of freedom; the DerSimonian-Laird estimate is
    tau² = max(0, (Q - (k - 1)) / (Σw - Σw²/Σw)); I² = max(0, (Q - (k-1)) / Q)
    (Higgins & Thompson 2002). The interval of tau is the Q-profile
    interval of Viechtbauer (2007). Computed by
    :func:`npsdiag.stats.meta.dersimonian_laird`. From two to four segments
    tau is not estimated: its interval would span most of the NPS scale,
    and with so few segments each one is better compared directly.

    Examples
    --------
    >>> df = pd.DataFrame({"score": [10, 9, 2, 3, 8, 7, 10, 0, 9, 5] * 30, "r": list("AABBCCDDEE") * 30})
    >>> d = segment_dispersion(segment_nps(df, ["r"], min_n=10))
    >>> bool(d["tau"].iloc[0] > 50), d["note"].iloc[0]
    (True, '')
    >>> d = segment_dispersion(segment_nps(df[df["r"] < "D"], ["r"], min_n=10))
    >>> bool(np.isnan(d["tau"].iloc[0])), bool(d["q_p_value"].iloc[0] < 0.05)
    (True, True)
    """
    rows = []
    if table is None or table.empty:
        return pd.DataFrame(columns=_DISPERSION_COLUMNS)
    for dim, t in table[table["reportable"].astype(bool)].groupby("dimension", sort=False):
        k = len(t)
        row = {"dimension": dim, "k": k, "note": ""}
        if k < 2:
            row["note"] = "fewer than two reportable values"
            rows.append(row)
            continue
        y = t["nps"].to_numpy(dtype="float64")
        v = 1e4 * _adj_var(t["detractors"], t["passives"], t["promoters"])
        if "se_test" in t and t["se_test"].notna().all():
            v = np.maximum(v, t["se_test"].to_numpy(dtype="float64") ** 2)
        h = dersimonian_laird(y, v, confidence, min_k=min_values, bounds=(-100.0, 100.0))
        row.update(nps_min=float(y.min()), nps_max=float(y.max()), pooled_nps=h.pooled, tau=h.tau,
                   tau_ci_low=h.tau_ci_low, tau_ci_high=h.tau_ci_high, i2=h.i2, q=h.q, q_p_value=h.q_p_value,
                   pi_low=h.pi_low, pi_high=h.pi_high)
        if k < min_values:
            row["note"] = (f"{k} reportable values: too few to estimate the spread beyond noise (needs "
                           f"{min_values}); compare the values directly")
        rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=_DISPERSION_COLUMNS)
    out["q_p_adj"] = bh_adjust(out["q_p_value"].astype("float64"))
    return out


# --------------------------------------------------------------------------- two dimensions


def nps_grid_from_codes(categories: np.ndarray, row_codes: tuple[np.ndarray, list[str]],
                        col_codes: tuple[np.ndarray, list[str]], rows: str, cols: str,
                        max_values: int = 12) -> pd.DataFrame:
    """:func:`nps_grid` on integer codes (``row_codes``, ``col_codes``: :func:`~.coding.label_codes`)."""
    (gr, lab_r), (gc, lab_c), k = row_codes, col_codes, categories

    def top(g: np.ndarray, labels: list[str]) -> np.ndarray:
        """Keep mask of the ``max_values`` most frequent labels (over every row, as value_counts)."""
        cnt = np.bincount(g, minlength=len(labels))
        order = np.argsort(-cnt, kind="stable")
        keep = np.zeros(len(labels), dtype=bool)
        keep[order[:max_values]] = True
        return keep & (cnt > 0)

    keep_r, keep_c = top(gr, lab_r), top(gc, lab_c)
    m = keep_r[gr] & keep_c[gc] & (k >= 0)
    nr_all, nc_all = len(lab_r), len(lab_c)
    cube = np.bincount((gr[m] * nc_all + gc[m]) * 3 + k[m], minlength=nr_all * nc_all * 3).reshape(
        nr_all, nc_all, 3).astype("float64")
    tot = cube.sum(axis=-1)
    ri, ci = np.flatnonzero(tot.sum(axis=1) > 0), np.flatnonzero(tot.sum(axis=0) > 0)
    cube, tot = cube[np.ix_(ri, ci)], tot[np.ix_(ri, ci)]
    with np.errstate(invalid="ignore", divide="ignore"):
        vals = np.where(tot > 0, 100 * (cube[..., 2] - cube[..., 0]) / tot, np.nan)
    return pd.DataFrame({rows: np.repeat(np.asarray([lab_r[i] for i in ri], dtype=object), len(ci)),
                         cols: np.tile(np.asarray([lab_c[j] for j in ci], dtype=object), len(ri)),
                         "n": tot.ravel().astype("int64"), "nps": vals.ravel()})


def nps_grid(
    data: pd.DataFrame,
    rows: str,
    cols: str,
    score: str = "score",
    breaks: Breaks = Breaks(),
    max_values: int = 12,
) -> pd.DataFrame:
    """NPS of every combination of two segment columns' values (the cells of a heat map).

    Parameters
    ----------
    data : DataFrame
        One row per response.
    rows, cols : str
        The two segment columns (different). Missing values form ``"(missing)"``.
    score : str
        Score column.
    breaks : Breaks
        Category breaks.
    max_values : int
        At most this many values per column: the most frequent (over every
        response, scored or not).

    Returns
    -------
    DataFrame
        One row per cell, row-major, values of each column sorted as text:
        ``rows``, ``cols`` (the two values), ``n`` (scored responses; 0 for
        an empty cell) and ``nps`` (points; NaN for an empty cell). Values
        without any scored response in the grid are left out.

    Examples
    --------
    >>> df = pd.DataFrame({"score": [10, 0, 9, 9], "r": ["A", "A", "B", "B"], "c": ["x", "y", "x", "x"]})
    >>> nps_grid(df, "r", "c").to_dict("records")[:2]
    [{'r': 'A', 'c': 'x', 'n': 1, 'nps': 100.0}, {'r': 'A', 'c': 'y', 'n': 1, 'nps': -100.0}]
    """
    if rows == cols:
        raise ValueError(f"nps_grid needs two different columns, not {rows!r} twice")
    return nps_grid_from_codes(category_codes(data[score], breaks), label_codes(data, rows), label_codes(data, cols),
                               rows, cols, max_values)
