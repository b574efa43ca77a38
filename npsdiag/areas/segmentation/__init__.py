"""Segmentation: where the NPS is good or bad, honestly.

An overall NPS averages over segments (regions, plans, industries...) that
can differ a great deal. This area measures every segment with its interval,
tests each against the rest of the customers (Benjamini-Hochberg adjusted
across every segment of every dimension), says which segments are too small
to report, measures how far the segments spread beyond sampling noise, and
splits the change of the overall NPS between two periods into a change of
*who answered* (mix) and of *how they scored* (rate).

Building blocks (each takes a DataFrame of responses and column names and
returns a tidy DataFrame): :func:`segment_nps`, :func:`dimension_tests`,
:func:`segment_dispersion`, :func:`nps_trend`, :func:`comparison_periods`,
:func:`mix_rate_decomposition`, :func:`mix_rate_summary`; figures:
:func:`plot_forest`, :func:`plot_heatmap`, :func:`plot_trend`,
:func:`plot_mix_rate`. :func:`diagnose` puts them together for the report.

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
.. [6] Kitagawa, E. M. (1955). Components of a difference between two rates.
   Journal of the American Statistical Association, 50(272), 1168-1194.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests

from ...clean import Prepared
from ...findings import AreaResult, Figure, Finding, not_assessed
from ...stats.nps import ADJUSTMENT, Breaks, nps, nps_table

__all__ = [
    "MISSING",
    "segment_nps",
    "dimension_tests",
    "segment_dispersion",
    "nps_trend",
    "comparison_periods",
    "mix_rate_decomposition",
    "mix_rate_summary",
    "plot_forest",
    "plot_heatmap",
    "plot_trend",
    "plot_mix_rate",
    "diagnose",
]

#: Label of responses without a value in a segment column.
MISSING = "(missing)"
#: Smallest NPS difference (points) reported as a hidden segment.
MIN_EFFECT = 5.0
#: Smallest between-segment SD (points, beyond noise) reported as dispersion.
MIN_TAU = 10.0
#: Smallest mix effect (points) reported as a mix shift ...
MIN_MIX = 2.0
#: ... and smallest share of the overall change it must account for.
MIN_MIX_SHARE = 0.2
#: At most this many values of one dimension are drawn in a forest plot.
MAX_FOREST_VALUES = 20


# --------------------------------------------------------------------------- helpers


def _labels(values: pd.Series) -> pd.Series:
    """Segment values as text, missing values as :data:`MISSING`."""
    s = values.astype("string")
    s = s.str.strip()
    return s.mask(s.isna() | (s == ""), MISSING).astype("object")


def _adj_var(d, p, r) -> np.ndarray:
    """Variance of the NPS (-1..1) per response, from the adjusted counts (Rocks 2016), divided by n."""
    ad, ap, ar = ADJUSTMENT
    d, p, r = (np.asarray(v, dtype="float64") for v in (d, p, r))
    n = d + p + r + ad + ap + ar
    s = (r + ar - d - ad) / n
    return ((r + ar + d + ad) / n - s**2) / n


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _bh(p: pd.Series) -> pd.Series:
    out = pd.Series(np.nan, index=p.index)
    ok = p.notna()
    if ok.any():
        out[ok] = multipletests(p[ok].to_numpy(), method="fdr_bh")[1]
    return out


def _fmt_pts(v: float) -> str:
    return f"{v:+.0f}" if abs(v) >= 1 or v == 0 else f"{v:+.1f}"


#: ``codes(column) -> (codes, uniques)`` as :func:`pandas.factorize` returns them, for the rows of ``data``
#: (e.g. :meth:`npsdiag.clean.Prepared.codes`); lets a large export be factorized once for every building block.
CodesFn = Callable[[str], tuple[np.ndarray, pd.Index]]


def _factor(data: pd.DataFrame, column: str, codes: CodesFn | None = None) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 = missing) and uniques of ``data[column]``, from ``codes`` when it describes these rows."""
    if codes is not None:
        try:
            c, u = codes(column)
        except (KeyError, AttributeError):
            c = None
        if c is not None and len(c) == len(data):
            return np.asarray(c), u
    c, u = pd.factorize(data[column])
    return np.asarray(c), u


def _label_codes(data: pd.DataFrame, column: str, codes: CodesFn | None = None) -> tuple[np.ndarray, list[str]]:
    """Per row, the code of its segment label (:func:`_labels`), labels sorted as text; and the labels.

    Only the distinct values are turned into labels, so that a million rows cost one factorization.
    """
    c, u = _factor(data, column, codes)
    lab_u = list(_labels(pd.Series(u)).to_numpy(dtype=object))
    has_missing = bool((c < 0).any())
    labels = sorted(set(lab_u) | ({MISSING} if has_missing else set()))
    pos = {s: i for i, s in enumerate(labels)}
    lut = np.array([pos[s] for s in lab_u] + [pos.get(MISSING, 0)], dtype=np.int64)  # code -1 -> last entry
    return lut[c], labels


def _compact(g: np.ndarray, labels: list[str]) -> tuple[np.ndarray, list[str]]:
    """Drop labels that no row carries (codes renumbered, order kept)."""
    present = np.bincount(g, minlength=len(labels)) > 0
    if present.all():
        return g, labels
    new = np.cumsum(present) - 1
    return new[g], [s for s, k in zip(labels, present, strict=True) if k]


def _cat_codes(scores: pd.Series, breaks: Breaks) -> np.ndarray:
    """0 detractor, 1 passive, 2 promoter, -1 missing (as :func:`npsdiag.metrics.categorize`)."""
    s = pd.to_numeric(scores, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    out = np.where(s <= breaks.detractor_max, 0, np.where(s >= breaks.promoter_min, 2, 1))
    return np.where(np.isnan(s), -1, out).astype(np.int64)


def _group(keys: np.ndarray, size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes 0..k-1 of non-negative integer keys and the distinct keys (ascending).

    A counting pass (``np.bincount``) when the key range is small against the number of rows; hashing
    (:func:`pandas.factorize`) otherwise.
    """
    keys = np.asarray(keys, dtype=np.int64)
    if size is None:
        size = int(keys.max()) + 1 if len(keys) else 0
    if size <= max(4 * len(keys), 1 << 20):
        present = np.flatnonzero(np.bincount(keys, minlength=size))
        lut = np.full(size, -1, dtype=np.int64)
        lut[present] = np.arange(len(present))
        return lut[keys], present
    inv, uniq = pd.factorize(keys, sort=True)
    return inv.astype(np.int64), np.asarray(uniq)


def _cluster_codes(data: pd.DataFrame, cluster: str, codes: CodesFn | None = None) -> np.ndarray:
    """Cluster codes 0..C-1; rows without a cluster are clusters of their own."""
    c, u = _factor(data, cluster, codes)
    c = c.astype(np.int64)
    miss = c < 0
    if miss.any():
        c = c.copy()
        c[miss] = len(u) + np.arange(int(miss.sum()))
    return c


def _count_table(g: np.ndarray, k: np.ndarray, n_seg: int) -> np.ndarray:
    """Counts (segments, 3) of detractors, passives, promoters."""
    return np.bincount(g * 3 + k, minlength=3 * n_seg).reshape(n_seg, 3).astype("float64")


def _nps_table(cnt: np.ndarray, confidence: float) -> pd.DataFrame:
    """The columns of :func:`npsdiag.metrics.nps` from a (groups, 3) count array."""
    return nps_table(cnt, confidence)


# --------------------------------------------------------------------------- segment table


def _cluster_var_segments(g, cl, x, a, tot_x, tot_n, m0, s_ee, s_en, s_nn) -> tuple[np.ndarray, np.ndarray]:
    """Cluster-robust (linearisation) variances of the mean of x in every segment and in its complement.

    With x the response values (+1 promoter, 0 passive, -1 detractor), mean m = Σx / N and per-cluster
    residual sums E_c = Σ_c x - m·n_c, var(m) = C / (C - 1) · Σ E_c² / N² (C clusters with responses).

    Works on the (segment, cluster) pairs that occur, never on a segments x clusters grid: the rest's
    Σ_c (T_c - m·N_c)² over all clusters is expanded around the overall mean m0
    (Σ e0² - 2δ Σ e0·N + δ² Σ N², δ = m - m0) and corrected on the clusters the segment touches.
    """
    n_seg = len(a)
    n_cl = len(tot_n)
    pk, uk = _group(g * n_cl + cl, n_seg * n_cl)
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
        d = m_r - m0
        full = s_ee - 2 * d * s_en + d**2 * s_nn
        tc, nc = tot_x[pc], tot_n[pc]
        mr = m_r[ps]
        old = np.bincount(ps, weights=(tc - mr * nc) ** 2, minlength=n_seg)
        new = np.bincount(ps, weights=(tc - px - mr * (nc - pn)) ** 2, minlength=n_seg)
        e_rest = np.clip(full - old + new, 0, None)
        c_rest = n_cl - np.bincount(ps, weights=(pn == nc).astype("float64"), minlength=n_seg)
        cb = np.where((c_rest >= 2) & (n_r > 0), c_rest / (c_rest - 1) * e_rest / n_r**2, np.nan)
    return ca, cb


def segment_nps(
    data: pd.DataFrame,
    segments: list[str],
    score: str = "score",
    min_n: int = 30,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
    cluster: str | None = None,
    codes: CodesFn | None = None,
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
    codes : callable, optional
        ``codes(column) -> (codes, uniques)`` of ``data``'s rows, as
        :meth:`npsdiag.clean.Prepared.codes` gives them: factorized columns
        are reused instead of factorized again (large exports).

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
    two-sample Wald test of :func:`npsdiag.metrics.nps_diff_test`: variance
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
    cols = ["dimension", "segment", "n", "detractors", "passives", "promoters", "pct_promoters", "pct_passives",
            "pct_detractors", "nps", "ci_low", "ci_high", "reportable", "se_test", "design_effect", "diff_vs_rest",
            "diff_ci_low", "diff_ci_high", "p_value", "p_adj", "direction"]
    k_all = _cat_codes(data[score], breaks)
    ok = k_all >= 0
    k = k_all[ok]
    x = (k - 1).astype("float64")
    z = _z(confidence)
    use_cluster = cluster is not None and cluster in data.columns and bool(data.loc[ok, cluster].notna().any())
    if use_cluster:
        cl_codes = _cluster_codes(data, cluster, codes)
        cl_codes = cl_codes if ok.all() else _group(cl_codes[ok])[0]  # clusters of the scored rows only
        n_cl = int(cl_codes.max()) + 1
        tot_x = np.bincount(cl_codes, weights=x, minlength=n_cl)
        tot_n = np.bincount(cl_codes, minlength=n_cl).astype("float64")
        m0 = tot_x.sum() / tot_n.sum()
        e0 = tot_x - m0 * tot_n
        s_ee, s_en, s_nn = float(e0 @ e0), float(e0 @ tot_n), float(tot_n @ tot_n)
    frames = []
    for dim in segments:
        if dim not in data.columns:
            continue
        g, labels = _label_codes(data, dim, codes)
        g, labels = _compact(g[ok], labels)
        n_seg = len(labels)
        a = _count_table(g, k, n_seg)
        t = _nps_table(a, confidence)
        t.insert(0, "segment", labels)
        t.insert(0, "dimension", dim)
        t["reportable"] = t["n"] >= min_n
        b = a.sum(axis=0) - a
        n_a, n_b = a.sum(axis=1), b.sum(axis=1)
        va = _adj_var(a[:, 0], a[:, 1], a[:, 2])
        vb = np.where(n_b > 0, _adj_var(b[:, 0], b[:, 1], b[:, 2]), np.nan)
        deff = np.ones(n_seg)
        if use_cluster:
            ca, cb = _cluster_var_segments(g, cl_codes, x, a, tot_x, tot_n, m0, s_ee, s_en, s_nn)
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
        frames.append(t)
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    out["p_adj"] = _bh(out["p_value"])
    alpha = 1 - confidence
    sig = out["p_adj"] < alpha
    out["direction"] = np.where(sig & (out["diff_vs_rest"] < 0), "below",
                                np.where(sig & (out["diff_vs_rest"] > 0), "above", ""))
    return out[cols]


def dimension_tests(
    data: pd.DataFrame,
    segments: list[str],
    score: str = "score",
    min_n: int = 30,
    breaks: Breaks = Breaks(),
    codes: CodesFn | None = None,
) -> pd.DataFrame:
    """Does the category mix differ across a dimension's segments? (chi-square test).

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
    codes : callable, optional
        Factorized columns of ``data`` (see :func:`segment_nps`).

    Returns
    -------
    DataFrame
        One row per dimension: ``dimension``, ``values`` (distinct values),
        ``tested_values`` (values with n >= min_n), ``n`` (responses in
        them), ``chi2``, ``dof``, ``p_value``, ``p_adj`` (Benjamini-Hochberg
        across dimensions) and ``cramers_v`` (effect size, 0-1). The test is
        missing when fewer than two values can be tested.

    Notes
    -----
    Pearson's chi-square test of independence on the table segment x
    (detractor, passive, promoter) (:func:`scipy.stats.chi2_contingency`);
    Cramér's V = sqrt(chi2 / (n (min(r, c) - 1))).

    Examples
    --------
    >>> df = pd.DataFrame({"score": [10, 9, 2, 3] * 20, "plan": ["A", "A", "B", "B"] * 20})
    >>> round(float(dimension_tests(df, ["plan"], min_n=10)["cramers_v"].iloc[0]), 2)
    1.0
    """
    rows = []
    k_all = _cat_codes(data[score], breaks)
    ok = k_all >= 0
    k = k_all[ok]
    for dim in segments:
        if dim not in data.columns:
            continue
        g, labels = _label_codes(data, dim, codes)
        g, labels = _compact(g[ok], labels)
        tab = _count_table(g, k, len(labels))
        tab = tab[:, tab.sum(axis=0) > 0]  # categories that occur (as a crosstab has them)
        tested = tab[tab.sum(axis=1) >= min_n]
        tested = tested[:, tested.sum(axis=0) > 0]
        row = {"dimension": dim, "values": int(len(tab)), "tested_values": int(len(tested)),
               "n": int(tested.sum()), "chi2": np.nan, "dof": np.nan, "p_value": np.nan,
               "cramers_v": np.nan}
        if len(tested) >= 2 and tested.shape[1] >= 2:
            chi2, p, dof, _ = stats.chi2_contingency(tested, correction=False)
            n = tested.sum()
            row.update(chi2=float(chi2), dof=int(dof), p_value=float(p),
                       cramers_v=float(np.sqrt(chi2 / (n * (min(tested.shape) - 1)))))
        rows.append(row)
    out = pd.DataFrame(rows, columns=["dimension", "values", "tested_values", "n", "chi2", "dof", "p_value",
                                      "cramers_v"])
    out["p_adj"] = _bh(out["p_value"]) if len(out) else pd.Series(dtype="float64")
    return out[["dimension", "values", "tested_values", "n", "chi2", "dof", "p_value", "p_adj", "cramers_v"]]


def _q_profile(y: np.ndarray, v: np.ndarray, target: float) -> float:
    """tau² at which the generalised Q statistic equals ``target`` (Viechtbauer 2007)."""

    def q_gen(t2: float) -> float:
        w = 1 / (v + t2)
        mu = np.sum(w * y) / np.sum(w)
        return float(np.sum(w * (y - mu) ** 2)) - target

    if q_gen(0.0) <= 0:
        return 0.0
    hi = max(float(np.var(y)) * 10, 1.0)
    while q_gen(hi) > 0:
        hi *= 10
        if hi > 1e9:
            return float("inf")
    return float(optimize.brentq(q_gen, 0.0, hi))


def segment_dispersion(
    table: pd.DataFrame,
    confidence: float = 0.95,
    min_values: int = 2,
) -> pd.DataFrame:
    """How much the segments' NPS really differ, beyond sampling noise.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`segment_nps` (only ``reportable`` rows are used).
    confidence : float
        Level of the intervals.
    min_values : int
        Smallest number of reportable segments for a dimension to be
        assessed.

    Returns
    -------
    DataFrame
        One row per dimension: ``dimension``, ``k`` (segments used),
        ``nps_min``, ``nps_max`` (observed, points), ``pooled_nps``
        (random-effects mean, points), ``tau`` (between-segment standard
        deviation of the true NPS, beyond sampling noise, points),
        ``tau_ci_low``, ``tau_ci_high`` (Q-profile interval), ``i2``
        (share of the observed spread that is real rather than noise, 0-1),
        ``q``, ``q_p_value`` (Cochran's Q test of homogeneity), ``q_p_adj``
        (Benjamini-Hochberg across dimensions), ``pi_low``, ``pi_high``
        (range expected to hold 95% of segments' true NPS: pooled ± z·tau).

    Notes
    -----
    Each reportable segment's NPS y_i (points) has sampling variance v_i
    (adjusted counts, Rocks 2016; or the squared ``se_test`` of
    :func:`segment_nps` when it is larger, i.e. cluster-robust). With w_i = 1/v_i, Cochran's
    Q = Σ w_i (y_i - ȳ_w)², referred to chi-square with k - 1 degrees of
    freedom; the DerSimonian-Laird estimate is
    tau² = max(0, (Q - (k - 1)) / (Σw - Σw²/Σw)); I² = max(0, (Q - (k-1)) / Q)
    (Higgins & Thompson 2002). The interval of tau is the Q-profile
    interval of Viechtbauer (2007).

    Examples
    --------
    >>> df = pd.DataFrame({"score": [10, 9, 2, 3, 8, 7] * 30, "r": list("AABBCC") * 30})
    >>> d = segment_dispersion(segment_nps(df, ["r"], min_n=10))
    >>> bool(d["tau"].iloc[0] > 50)
    True
    """
    cols = ["dimension", "k", "nps_min", "nps_max", "pooled_nps", "tau", "tau_ci_low", "tau_ci_high", "i2", "q",
            "q_p_value", "q_p_adj", "pi_low", "pi_high"]
    rows = []
    if table is None or table.empty:
        return pd.DataFrame(columns=cols)
    z = _z(confidence)
    for dim, t in table[table["reportable"].astype(bool)].groupby("dimension", sort=False):
        k = len(t)
        row = {"dimension": dim, "k": k}
        if k < max(min_values, 2):
            rows.append(row)
            continue
        y = t["nps"].to_numpy(dtype="float64")
        v = 1e4 * _adj_var(t["detractors"], t["passives"], t["promoters"])
        if "se_test" in t and t["se_test"].notna().all():
            v = np.maximum(v, t["se_test"].to_numpy(dtype="float64") ** 2)
        w = 1 / v
        ybar = np.sum(w * y) / np.sum(w)
        q = float(np.sum(w * (y - ybar) ** 2))
        c = np.sum(w) - np.sum(w**2) / np.sum(w)
        tau2 = max(0.0, (q - (k - 1)) / c)
        wr = 1 / (v + tau2)
        pooled = float(np.sum(wr * y) / np.sum(wr))
        lo2 = _q_profile(y, v, stats.chi2.ppf(0.5 + confidence / 2, k - 1))
        hi2 = _q_profile(y, v, stats.chi2.ppf(0.5 - confidence / 2, k - 1))
        tau = float(np.sqrt(tau2))
        row.update(nps_min=float(y.min()), nps_max=float(y.max()), pooled_nps=pooled, tau=tau,
                   tau_ci_low=float(np.sqrt(lo2)), tau_ci_high=float(np.sqrt(hi2)),
                   i2=float(max(0.0, (q - (k - 1)) / q)) if q > 0 else 0.0, q=q,
                   q_p_value=float(stats.chi2.sf(q, k - 1)), pi_low=pooled - z * tau, pi_high=pooled + z * tau)
        rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=cols)
    out["q_p_adj"] = _bh(out["q_p_value"].astype("float64"))
    return out


# --------------------------------------------------------------------------- trend and mix / rate


def nps_trend(
    data: pd.DataFrame,
    period: str = "M",
    date: str = "responded_at",
    score: str = "score",
    by: str | None = None,
    min_n: int = 30,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
    codes: CodesFn | None = None,
) -> pd.DataFrame:
    """NPS per month, quarter or week, with intervals.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    period : {"W", "M", "Q", "Y"}
        Calendar period.
    date, score : str
        Date and score columns.
    by : str, optional
        A segment column: one trend per value.
    min_n : int
        Periods with fewer responses are flagged ``reportable`` False.
    confidence : float
        Level of the intervals.
    breaks : Breaks
        Category breaks.
    codes : callable, optional
        Factorized columns of ``data`` (see :func:`segment_nps`).

    Returns
    -------
    DataFrame
        One row per period (and segment): ``period`` (label, e.g.
        "2025-03"), ``start`` (first day), [``by``], ``n``, ``nps``,
        ``ci_low``, ``ci_high``, ``pct_promoters``, ``pct_detractors``,
        ``reportable``.

    Examples
    --------
    >>> df = pd.DataFrame({"score": [10, 0, 9, 9], "responded_at": pd.to_datetime(
    ...     ["2025-01-05", "2025-01-20", "2025-02-03", "2025-02-04"])})
    >>> nps_trend(df, min_n=1)[["period", "n", "nps"]].to_dict("records")
    [{'period': '2025-01', 'n': 2, 'nps': 0.0}, {'period': '2025-02', 'n': 2, 'nps': 100.0}]
    """
    cols = ["period", "start"] + ([by] if by else []) + ["n", "nps", "ci_low", "ci_high", "pct_promoters",
                                                         "pct_detractors", "reportable"]
    k = _cat_codes(data[score], breaks)
    ok = (k >= 0) & data[date].notna().to_numpy()
    if not ok.any():
        return pd.DataFrame(columns=cols)
    # integer period ordinals (no Period objects per row); labels only for the distinct periods
    ords = data.loc[ok, date].dt.to_period(period).array.asi8
    o_codes, o_uniq = _group(ords - ords.min())
    o_uniq = o_uniq + ords.min()
    n_per = len(o_uniq)
    if by:
        g, labels = _label_codes(data, by, codes)
        g, labels = _compact(g[ok], labels)
    else:
        g, labels = np.zeros(len(o_codes), dtype=np.int64), [""]
    n_seg = len(labels)
    cnt = _count_table(o_codes.astype(np.int64) * n_seg + g, k[ok], n_per * n_seg)
    keep = cnt.sum(axis=1) > 0
    t = _nps_table(cnt[keep], confidence)
    idx = np.flatnonzero(keep)
    pidx = pd.PeriodIndex.from_ordinals(np.asarray(o_uniq)[idx // n_seg], freq=period)
    t["period"] = pidx.astype(str)
    t["start"] = pidx.start_time
    if by:
        t[by] = np.asarray(labels, dtype=object)[idx % n_seg]
    t["reportable"] = t["n"] >= min_n
    return t.reset_index(drop=True)[cols]


def comparison_periods(dates: pd.Series, months: int = 12) -> list[tuple[str, pd.Timestamp, pd.Timestamp]] | None:
    """The two periods whose NPS change is decomposed.

    The last ``months`` months of data (ending with the last month that has
    data) against the ``months`` before them when the data cover both
    (at least ``2 * months - 1`` months); otherwise the first half of the
    data's span against the second half.

    Parameters
    ----------
    dates : Series of datetime64
        Response dates.
    months : int
        Length of each period when the data are long enough.

    Returns
    -------
    list of (label, start, end) or None
        Two periods, earlier first; ``start`` inclusive, ``end`` exclusive.
        Labels are calendar years ("2024") when the periods are calendar
        years. None when there are fewer than two distinct dates.

    Examples
    --------
    >>> d = pd.Series(pd.date_range("2024-01-01", "2025-12-31", freq="D"))
    >>> [p[0] for p in comparison_periods(d)]
    ['2024', '2025']
    """
    d = pd.to_datetime(dates).dropna()
    if d.empty or d.min() == d.max():  # fewer than two distinct dates
        return None
    first, last = d.min(), d.max()
    end = (last.to_period("M") + 1).start_time
    start2 = end - pd.DateOffset(months=months)
    start1 = start2 - pd.DateOffset(months=months)
    if first < start1 + pd.DateOffset(months=1):
        def label(a: pd.Timestamp, b: pd.Timestamp) -> str:
            if a.month == 1 and a.day == 1 and b == a + pd.DateOffset(years=1) and months == 12:
                return str(a.year)
            return f"{a:%Y-%m} to {(b - pd.Timedelta(days=1)):%Y-%m}"

        return [(label(start1, start2), start1, start2), (label(start2, end), start2, end)]
    mid = first + (last - first) / 2
    stop = last + pd.Timedelta(microseconds=1)
    return [(f"first half ({first:%Y-%m-%d} to {mid:%Y-%m-%d})", first, mid),
            (f"second half ({mid:%Y-%m-%d} to {last:%Y-%m-%d})", mid, stop)]


def _period_rows(data: pd.DataFrame, period: str, first, second, score: str,
                 breaks: Breaks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of the two periods with a score: (mask over data, period index 0/1, category code) of those rows."""
    pc, pu = _factor(data, period)
    lut = np.full(len(pu) + 1, -1, dtype=np.int64)  # code -1 (missing period) -> last entry
    for i, v in enumerate(pu):
        if v == first:
            lut[i] = 0
        elif v == second:
            lut[i] = 1
    t = lut[pc]
    k = _cat_codes(data[score], breaks)
    ok = (t >= 0) & (k >= 0)
    return ok, t[ok], k[ok]


def _cells(data: pd.DataFrame, dimension: str, period: str, first, second, score: str, breaks: Breaks,
           codes: CodesFn | None = None, rows=None):
    """Counts array (2 periods, S segments, 3 categories), the segment labels and the rows' segment codes."""
    ok, t, k = rows if rows is not None else _period_rows(data, period, first, second, score, breaks)
    g, segs = _label_codes(data, dimension, codes)
    g, segs = _compact(g[ok], segs)
    n_seg = len(segs)
    arr = np.bincount((t * n_seg + g) * 3 + k, minlength=6 * n_seg).reshape(2, n_seg, 3).astype("float64")
    return arr, segs, g


def _mix_rate_gradients(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Partial derivatives of (mix, rate, change) with respect to the segment shares and NPS of each period.

    Returns ``b`` and ``a``, both (3 statistics, 2 periods, S): ∂stat/∂w_ts and ∂stat/∂y_ts (y in points).
    A segment absent from one period has its NPS there set to the other period's (as :func:`_decompose`),
    so both terms of its NPS fall on the period where it is observed.
    """
    n_s = arr.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = n_s / n_s.sum(axis=-1, keepdims=True)
        y = 100 * (arr[..., 2] - arr[..., 0]) / n_s
    y1, y2 = y
    p1, p2 = n_s[0] > 0, n_s[1] > 0
    y1f = np.nan_to_num(np.where(p1, y1, y2))
    y2f = np.nan_to_num(np.where(p2, y2, y1))
    w1, w2 = w
    ybar, wbar = (y1f + y2f) / 2, (w1 + w2) / 2
    # mix = Σ (w2 - w1)·ȳ: ∂/∂w = ∓ȳ, ∂/∂y1f = ∂/∂y2f = (w2 - w1)/2; rate = Σ (y2f - y1f)·w̄: ∂/∂w = (y2f - y1f)/2,
    # ∂/∂y1f = -w̄, ∂/∂y2f = w̄
    b_mix = np.stack([-ybar, ybar])
    b_rate = np.stack([(y2f - y1f) / 2] * 2)
    cy_mix = ((w2 - w1) / 2, (w2 - w1) / 2)
    cy_rate = (-wbar, wbar)

    def route(c1, c2):
        both = p1 & p2
        return np.stack([np.where(both, c1, np.where(p1, c1 + c2, 0.0)),
                         np.where(both, c2, np.where(p2, c1 + c2, 0.0))])

    a_mix, a_rate = route(*cy_mix), route(*cy_rate)
    return np.stack([b_mix, b_rate, b_mix + b_rate]), np.stack([a_mix, a_rate, a_mix + a_rate])


def _mix_rate_variance(arr: np.ndarray, t: np.ndarray, g: np.ndarray, k: np.ndarray,
                       cl: np.ndarray | None) -> np.ndarray:
    """Delta-method variances of (mix, rate, change), cluster-robust when cluster codes ``cl`` are given.

    Each period's statistics are smooth functions of its per-segment totals (n_s, Σx_s), sums over
    independent units (responses, or clusters). The linearised value of unit c in period t is
    u_c = Σ_s [∂stat/∂w_ts · (n_cs - w_ts·n_c) / N_t + ∂stat/∂y_ts · (100·Σx_cs - y_ts·n_cs) / n_ts]
    and var = Σ_t C_t / (C_t - 1) Σ_c u_c² (C_t units in period t; Σ_c u_c = 0 because the shares and
    NPS do not change when every count of a period is scaled).
    """
    b, a = _mix_rate_gradients(arr)
    n_s = arr.sum(axis=-1)
    big_n = n_s.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = n_s / big_n[:, None]
        y = np.nan_to_num(100 * (arr[..., 2] - arr[..., 0]) / n_s)
    bbar = np.einsum("ktj,tj->kt", b, w)  # Σ_s b_ts w_ts
    n_seg = arr.shape[1]
    if cl is None:  # every response is its own unit: one linearised value per (period, segment, category) cell
        pt, ps, pk = np.unravel_index(np.flatnonzero(arr.ravel() > 0), arr.shape)
        weight = arr[pt, ps, pk]
        pn, px = np.ones(len(pt)), (pk - 1).astype("float64")
        units, unit_t = np.arange(len(pt)), pt
        n_units = big_n
    else:
        n_cl = int(cl.max()) + 1 if len(cl) else 1
        unit_key = t * n_cl + cl
        unit_key *= n_seg
        unit_key += g
        pair, uk = _group(unit_key, 2 * n_cl * n_seg)
        pn = np.bincount(pair).astype("float64")
        px = np.bincount(pair, weights=k) - pn  # Σ(k - 1) with k = 0, 1, 2
        uk = np.asarray(uk)
        ps, tc = uk % n_seg, uk // n_seg
        pt = tc // n_cl
        units, uu = _group(tc, 2 * n_cl)
        weight = np.ones(len(uu))
        unit_t = np.asarray(uu) // n_cl
        n_units = np.bincount(unit_t, minlength=2).astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        u = (pn * (b[:, pt, ps] - bbar[:, pt]) / big_n[pt]
             + a[:, pt, ps] * (100 * px - y[pt, ps] * pn) / n_s[pt, ps])
    out = np.zeros(3)
    for i in range(3):
        uc = np.bincount(units, weights=u[i]) if cl is not None else u[i]
        sq = np.bincount(unit_t, weights=weight * uc**2, minlength=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[i] = float(np.sum(np.where(n_units > 1, n_units / (n_units - 1) * sq, np.nan)))
    return out


def _decompose(counts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Kitagawa decomposition on counts of shape (..., 2, S, 3); returns arrays in points."""
    n_s = counts.sum(axis=-1)  # (..., 2, S)
    n = n_s.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = n_s / n
        y = 100 * (counts[..., 2] - counts[..., 0]) / n_s
    y1, y2 = y[..., 0, :], y[..., 1, :]
    y1f = np.where(np.isnan(y1), y2, y1)
    y2f = np.where(np.isnan(y2), y1, y2)
    y1f, y2f = np.nan_to_num(y1f), np.nan_to_num(y2f)
    w1, w2 = w[..., 0, :], w[..., 1, :]
    mix = (w2 - w1) * (y1f + y2f) / 2
    rate = (y2f - y1f) * (w1 + w2) / 2
    nps1 = np.sum(w1 * y1f, axis=-1)
    nps2 = np.sum(w2 * y2f, axis=-1)
    return mix, rate, nps1, nps2, w1, w2, y1, y2


def mix_rate_decomposition(
    data: pd.DataFrame,
    dimension: str,
    period: str,
    first,
    second,
    score: str = "score",
    breaks: Breaks = Breaks(),
) -> pd.DataFrame:
    """Per segment: how much of the NPS change comes from mix and how much from rate.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    dimension : str
        Segment column.
    period : str
        Column labelling each response's period.
    first, second : label
        The two values of ``period`` compared (change = second - first).
    score : str
        Score column.
    breaks : Breaks
        Category breaks.

    Returns
    -------
    DataFrame
        One row per segment: ``segment``, ``n_1``, ``n_2``, ``share_1``,
        ``share_2`` (the segment's share of responses in each period, 0-1),
        ``nps_1``, ``nps_2`` (points), ``mix_effect`` and ``rate_effect``
        (the segment's contributions, points). The sum of both columns over
        the segments is the change of the overall NPS.

    Notes
    -----
    The symmetric (midpoint) decomposition of Kitagawa (1955): with w the
    segment's share of responses and y its NPS in periods 1 and 2,
    ΔNPS = Σ (w2 - w1)·(y1 + y2)/2  [mix]  +  Σ (y2 - y1)·(w1 + w2)/2  [rate].
    It is exact (no interaction term) and does not depend on which period is
    the reference. A segment absent from one period contributes only to mix
    (its NPS there is taken equal to the other period's).

    Examples
    --------
    Mix only: both segments keep their NPS, the low one grows.

    >>> df = pd.DataFrame({"score": [10] * 50 + [0] * 50 + [10] * 20 + [0] * 80,
    ...                    "seg": ["A"] * 50 + ["B"] * 50 + ["A"] * 20 + ["B"] * 80,
    ...                    "p": [1] * 100 + [2] * 100})
    >>> t = mix_rate_decomposition(df, "seg", "p", 1, 2)
    >>> float(t["mix_effect"].sum()), float(t["rate_effect"].sum())
    (-60.0, 0.0)
    """
    arr, segs, _ = _cells(data, dimension, period, first, second, score, breaks)
    mix, rate, _, _, w1, w2, y1, y2 = _decompose(arr)
    return pd.DataFrame({"segment": segs, "n_1": arr[0].sum(axis=1).astype(int),
                         "n_2": arr[1].sum(axis=1).astype(int), "share_1": w1, "share_2": w2, "nps_1": y1,
                         "nps_2": y2, "mix_effect": mix, "rate_effect": rate})


def mix_rate_summary(
    data: pd.DataFrame,
    dimensions: list[str],
    period: str,
    first,
    second,
    score: str = "score",
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
    breaks: Breaks = Breaks(),
    cluster: str | None = None,
    method: str = "delta",
    codes: CodesFn | None = None,
) -> pd.DataFrame:
    """Mix and rate effects of the overall NPS change, per dimension, with intervals.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    dimensions : list of str
        Segment columns.
    period : str
        Column labelling each response's period.
    first, second : label
        The two periods compared (change = second - first).
    score : str
        Score column.
    confidence : float
        Level of the intervals.
    n_boot : int
        Bootstrap resamples of ``method="bootstrap"`` (ignored by the
        delta method).
    seed : int
        Seed of the bootstrap.
    breaks : Breaks
        Category breaks.
    cluster : str, optional
        Column of clusters (e.g. ``"account_id"``): the variance then
        treats each account's responses within a period as one unit, so
        that an account's many responses move together. Responses without
        a cluster count as their own.
    method : {"delta", "bootstrap"}
        ``"delta"`` (default): Wald intervals from the delta-method
        variance, cluster-robust with ``cluster``; computed in one pass
        over the (period, account, segment) counts, fit for millions of
        responses. ``"bootstrap"``: percentile intervals of a bootstrap
        within each period (costs n_boot x accounts; for small data).
    codes : callable, optional
        Factorized columns of ``data`` (see :func:`segment_nps`).

    Returns
    -------
    DataFrame
        One row per dimension: ``dimension``, ``period_1``, ``period_2``,
        ``n_1``, ``n_2``, ``nps_1``, ``nps_2``, ``change`` (points),
        ``change_ci_low``, ``change_ci_high``, ``mix_effect``,
        ``mix_ci_low``, ``mix_ci_high``, ``rate_effect``, ``rate_ci_low``,
        ``rate_ci_high`` (points) and ``mix_share`` (|mix| / (|mix| + |rate|),
        0-1).

    Notes
    -----
    Kitagawa's (1955) symmetric decomposition (see
    :func:`mix_rate_decomposition`). The mix, rate and change are smooth
    functions of the per-(period, segment) totals n_ts and Σx_ts (x = +1
    promoter, 0 passive, -1 detractor), each a sum over independent units
    within its period: responses, or with ``cluster`` whole accounts. The
    delta method (first-order Taylor linearisation, e.g. Agresti 2013
    §16.1; for clustered totals Lohr 2010 §9.1 / Binder 1983) gives each
    unit c of period t the linearised value
    u_c = Σ_s [∂/∂w_ts · (n_cs - w_ts n_c)/N_t + ∂/∂y_ts · (100 Σx_cs - y_ts n_cs)/n_ts]
    and var = Σ_t C_t/(C_t - 1) Σ_c u_c² (the two periods independent);
    the interval is estimate ± z·SE. With ``method="bootstrap"``, responses
    are redrawn from the multinomial over (segment x category) cells with
    the period's n or, with ``cluster``, whole clusters are reweighted
    with Poisson(1) weights (Hanley & MacGibbon 2006), and the intervals
    are percentile intervals.

    References
    ----------
    .. [1] Kitagawa, E. M. (1955). Components of a difference between two
       rates. JASA, 50(272), 1168-1194.
    .. [2] Binder, D. A. (1983). On the variances of asymptotically normal
       estimators from complex surveys. International Statistical Review,
       51(3), 279-292.
    .. [3] Lohr, S. L. (2010). Sampling: Design and Analysis, 2nd ed.,
       ch. 9 (linearisation). Brooks/Cole.

    Examples
    --------
    >>> df = pd.DataFrame({"score": [10] * 50 + [0] * 50 + [10] * 20 + [0] * 80,
    ...                    "seg": ["A"] * 50 + ["B"] * 50 + ["A"] * 20 + ["B"] * 80,
    ...                    "p": [1] * 100 + [2] * 100})
    >>> t = mix_rate_summary(df, ["seg"], "p", 1, 2).iloc[0]
    >>> round(float(t["mix_effect"]), 1), bool(t["mix_ci_high"] < 0)
    (-60.0, True)
    """
    cols = ["dimension", "period_1", "period_2", "n_1", "n_2", "nps_1", "nps_2", "change", "change_ci_low",
            "change_ci_high", "mix_effect", "mix_ci_low", "mix_ci_high", "rate_effect", "rate_ci_low",
            "rate_ci_high", "mix_share"]
    if method not in ("delta", "bootstrap"):
        raise ValueError(f"method must be 'delta' or 'bootstrap', not {method!r}")
    rng = np.random.default_rng(seed)
    a = (1 - confidence) / 2
    z = _z(confidence)
    rows = []
    prow = _period_rows(data, period, first, second, score, breaks)
    ok, t, k = prow
    cl = None
    if cluster is not None and cluster in data.columns and bool(data.loc[ok, cluster].notna().any()):
        cl = _group(_cluster_codes(data, cluster, codes)[ok])[0]
    for dim in dimensions:
        if dim not in data.columns:
            continue
        arr, _, g = _cells(data, dim, period, first, second, score, breaks, codes, rows=prow)
        n1, n2 = arr[0].sum(), arr[1].sum()
        if n1 == 0 or n2 == 0:
            continue
        mix, rate, nps1, nps2, *_ = _decompose(arr)
        row = {"dimension": dim, "period_1": str(first), "period_2": str(second), "n_1": int(n1), "n_2": int(n2),
               "nps_1": float(nps1), "nps_2": float(nps2), "change": float(nps2 - nps1),
               "mix_effect": float(mix.sum()), "rate_effect": float(rate.sum())}
        if method == "delta":
            var = _mix_rate_variance(arr, t, g, k, cl)
            for key, v in zip(("mix", "rate", "change"), var, strict=True):
                est = row["change"] if key == "change" else row[f"{key}_effect"]
                half = z * np.sqrt(v) if np.isfinite(v) else np.nan
                row[f"{key}_ci_low"], row[f"{key}_ci_high"] = est - half, est + half
        elif n_boot:
            b = _boot_cells(arr, t, g, k, cl, n_boot, rng)
            bm, br, b1, b2, *_ = _decompose(b)
            for key, vals in (("change", b2 - b1), ("mix", bm.sum(axis=-1)), ("rate", br.sum(axis=-1))):
                row[f"{key}_ci_low"] = float(np.quantile(vals, a))
                row[f"{key}_ci_high"] = float(np.quantile(vals, 1 - a))
        tot = abs(row["mix_effect"]) + abs(row["rate_effect"])
        row["mix_share"] = abs(row["mix_effect"]) / tot if tot > 0 else np.nan
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=cols)


def _boot_cells(arr: np.ndarray, t: np.ndarray, g: np.ndarray, k: np.ndarray, cl: np.ndarray | None, n_boot: int,
                rng: np.random.Generator) -> np.ndarray:
    """Bootstrap replicates (n_boot, 2, S, 3) of the cell counts, within each period (see mix_rate_summary)."""
    n_seg = arr.shape[1]
    b = np.empty((n_boot, 2) + arr.shape[1:])
    for i in range(2):
        if cl is not None:
            m = t == i
            rows_, _ = pd.factorize(cl[m])
            cc = np.zeros((int(rows_.max()) + 1 if len(rows_) else 0, n_seg * 3))
            np.add.at(cc, (rows_, g[m] * 3 + k[m]), 1)
            for lo in range(0, n_boot, 100):  # in blocks, to bound memory with many accounts
                hi = min(n_boot, lo + 100)
                w = rng.poisson(1.0, size=(hi - lo, len(cc))).astype("float64")
                b[lo:hi, i] = (w @ cc).reshape((hi - lo,) + arr.shape[1:])
        else:
            p = arr[i].ravel() / arr[i].sum()
            b[:, i] = rng.multinomial(int(arr[i].sum()), p, size=n_boot).reshape((n_boot,) + arr.shape[1:])
    return b


# --------------------------------------------------------------------------- figures


def plot_forest(table: pd.DataFrame, dimension: str, overall: float | None = None, min_n: int = 30,
                confidence: float = 0.95):
    """Forest plot of one dimension: each segment's NPS with its interval.

    Segments below ``min_n`` are drawn grey with hollow markers; segments
    significantly below / above the rest are marked with ▼ / ▲ and named so
    in their label. The overall NPS is a dashed vertical line.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`segment_nps`.
    dimension : str
        The dimension drawn.
    overall : float, optional
        Overall NPS (points).
    min_n : int
        Reportable n (for the legend text).
    confidence : float
        Level of the intervals in the table (for the axis label).

    Returns
    -------
    matplotlib Figure
    """
    from ...plots import PALETTE, figure

    t = table[table["dimension"] == dimension]
    if len(t) > MAX_FOREST_VALUES:
        t = t.nlargest(MAX_FOREST_VALUES, "n")
    t = t.sort_values("nps", ascending=True).reset_index(drop=True)
    fig, ax = figure(7.0, max(2.0, 0.38 * len(t) + 1.2))
    pos = np.arange(len(t))
    if overall is not None and np.isfinite(overall):
        ax.axvline(overall, color="black", ls="--", lw=1, label=f"overall NPS {overall:+.0f}")
    for i, row in t.iterrows():
        small = not bool(row["reportable"])
        colour = "#999999" if small else (PALETTE[5] if row["direction"] == "below" else PALETTE[0])
        marker = "o"
        if row["direction"] == "below":
            marker = "v"
        elif row["direction"] == "above":
            marker = "^"
        ax.plot([row["ci_low"], row["ci_high"]], [i, i], color=colour, lw=2, solid_capstyle="butt")
        ax.plot(row["nps"], i, marker=marker, ms=8, color=colour, mfc="white" if small else colour,
                mec=colour, ls="none")
    labels = []
    for _, row in t.iterrows():
        tag = ""
        if not bool(row["reportable"]):
            tag = f" · n<{min_n}"
        elif row["direction"]:
            tag = f" · {row['direction']} the rest"
        labels.append(f"{row['segment']} (n={int(row['n']):,}){tag}")
    ax.set_yticks(pos, labels)
    ax.set_xlabel(f"NPS with {confidence:.0%} interval")
    ax.set_title(f"NPS by {dimension}")
    lo = float(np.nanmin(t["ci_low"])) if len(t) else -100
    hi = float(np.nanmax(t["ci_high"])) if len(t) else 100
    ax.set_xlim(max(-100, lo - 5), min(100, hi + 5))
    if overall is not None:
        ax.legend(loc="lower right", fontsize=8)
    return fig


def plot_heatmap(
    data: pd.DataFrame,
    rows: str,
    cols: str,
    score: str = "score",
    min_n: int = 30,
    breaks: Breaks = Breaks(),
    max_values: int = 12,
    codes: CodesFn | None = None,
):
    """Heat map of NPS over two dimensions; cells below ``min_n`` are grey and hatched, not coloured.

    Each cell shows its NPS and n as text, so the figure reads without
    colour. At most ``max_values`` values per dimension (the largest).
    ``codes``: factorized columns of ``data`` (see :func:`segment_nps`).

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib as mpl

    from ...plots import figure

    gr, lab_r = _label_codes(data, rows, codes)
    gc, lab_c = _label_codes(data, cols, codes)
    k = _cat_codes(data[score], breaks)

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
    val = pd.DataFrame(vals, index=[lab_r[i] for i in ri], columns=[lab_c[i] for i in ci])
    cnt = pd.DataFrame(tot, index=val.index, columns=val.columns)
    shown = val.where(cnt >= min_n)
    nr, nc = val.shape
    longest = max((len(str(c)) for c in val.columns), default=1)
    fig, ax = figure(min(7.5, max(5.0, 1.8 + (0.08 * longest + 0.5) * nc)), max(2.4, 0.55 * nr + 1.6))
    cmap = mpl.colormaps["RdBu"].with_extremes(bad="#DDDDDD")
    lim = max(10.0, float(np.nanmax(np.abs(shown.to_numpy()))) if shown.notna().any().any() else 10.0)
    im = ax.imshow(np.ma.masked_invalid(shown.to_numpy(dtype="float64")), cmap=cmap, vmin=-lim, vmax=lim,
                   aspect="auto")
    for i in range(nr):
        for j in range(nc):
            n_ij = int(cnt.iat[i, j])
            v = val.iat[i, j]
            if n_ij >= min_n:
                txt = f"{int(round(v)) or 0:+d}\nn={n_ij}"  # no "-0"
                colour = "white" if abs(v) > 0.6 * lim else "black"
            else:
                ax.add_patch(mpl.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///",
                                                   edgecolor="#AAAAAA", lw=0))
                txt = f"n={n_ij}" if n_ij else "–"
                colour = "#555555"
            ax.text(j, i, txt, ha="center", va="center", fontsize=8, color=colour)
    tilt = nc > 4 or longest * nc > 30  # long labels side by side would overlap
    ax.set_xticks(range(nc), [str(c) for c in val.columns], rotation=30 if tilt else 0, ha="right" if tilt
                  else "center")
    ax.set_yticks(range(nr), [str(r) for r in val.index])
    ax.set_xlabel(cols)
    ax.set_ylabel(rows)
    ax.grid(False)
    ax.set_title(f"NPS by {rows} and {cols}\n(grey, hatched: fewer than {min_n} responses)")
    fig.colorbar(im, ax=ax, shrink=0.8, label="NPS")
    return fig


def plot_trend(trend: pd.DataFrame, overall: float | None = None, min_n: int = 30, confidence: float = 0.95):
    """NPS per period with its interval; periods below ``min_n`` as hollow grey points.

    Returns
    -------
    matplotlib Figure
    """
    from ...plots import PALETTE, figure

    fig, ax = figure(7.5, 3.4)
    x = pd.to_datetime(trend["start"])
    ok = trend["reportable"].astype(bool).to_numpy()
    ax.fill_between(x, trend["ci_low"], trend["ci_high"], color=PALETTE[0], alpha=0.15, lw=0,
                    label=f"{confidence:.0%} interval")
    ax.plot(x, trend["nps"], color=PALETTE[0], lw=1.5)
    ax.plot(x[ok], trend["nps"][ok], "o", color=PALETTE[0], ms=5, label="NPS")
    if (~ok).any():
        ax.plot(x[~ok], trend["nps"][~ok], "o", mfc="white", mec="#777777", ms=5, label=f"n < {min_n}")
    if overall is not None:
        ax.axhline(overall, color="black", ls="--", lw=1, label=f"whole period {overall:+.0f}")
    ax.set_ylabel("NPS")
    ax.set_title("NPS over time")
    ax.legend(loc="best", fontsize=8, ncols=2)
    return fig


def plot_mix_rate(summary: pd.DataFrame):
    """Bars of the mix and rate effects per dimension with their intervals (hatched = mix).

    Returns
    -------
    matplotlib Figure
    """
    from ...plots import PALETTE, figure

    s = summary.dropna(subset=["mix_effect"])
    fig, ax = figure(7.0, max(2.0, 0.7 * len(s) + 1.3))
    pos = np.arange(len(s))
    h = 0.38
    for off, key, colour, hatch, label in ((-h / 2, "mix", PALETTE[1], "//", "mix (who answered)"),
                                           (h / 2, "rate", PALETTE[0], "", "rate (how they scored)")):
        v = s[f"{key}_effect"].to_numpy()
        ax.barh(pos + off, v, height=h, color=colour, hatch=hatch, edgecolor="white", label=label)
        if f"{key}_ci_low" in s and s[f"{key}_ci_low"].notna().any():
            lo = np.clip(v - s[f"{key}_ci_low"].to_numpy(), 0, None)
            hi = np.clip(s[f"{key}_ci_high"].to_numpy() - v, 0, None)
            ax.errorbar(v, pos + off, xerr=[lo, hi], fmt="none", ecolor="black", capsize=3, lw=1)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(pos, [str(d) for d in s["dimension"]])
    if len(s):
        r = s.iloc[0]
        ax.set_title(f"NPS change {r['period_1']} → {r['period_2']}: {r['change']:+.1f} points")
    ax.set_xlabel("contribution to the change (NPS points)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncols=2, fontsize=8)
    return fig


# --------------------------------------------------------------------------- area


def _client_table(seg: pd.DataFrame, max_rows: int = 30) -> pd.DataFrame:
    """The summary-sized segment table shown in the report."""
    t = seg.copy()
    if len(t) > max_rows:
        keep = t["direction"].astype(bool)
        rest = t[~keep].sort_values("n", ascending=False).head(max(0, max_rows - int(keep.sum())))
        t = pd.concat([t[keep], rest]).sort_index()
    t = t.assign(note=np.where(~t["reportable"].astype(bool), "too few to report",
                               np.where(t["direction"] == "below", "below the rest",
                                        np.where(t["direction"] == "above", "above the rest", ""))))
    return t[["dimension", "segment", "n", "pct_promoters", "pct_passives", "pct_detractors", "nps", "ci_low",
              "ci_high", "diff_vs_rest", "p_adj", "note"]].reset_index(drop=True)


def _period_column(r: pd.DataFrame, periods) -> pd.Series:
    """The comparison period of each response (categorical: its two labels, missing outside both)."""
    (l1, s1, e1), (l2, s2, e2) = periods
    d = r["responded_at"]
    code = np.where((d >= s1) & (d < e1), 0, np.where((d >= s2) & (d < e2), 1, -1))
    return pd.Series(pd.Categorical.from_codes(code, categories=[l1, l2]), index=r.index)


def _n_distinct(data: pd.DataFrame, column: str, codes: CodesFn | None) -> int:
    """Distinct values of a column, missing counted as one (``nunique(dropna=False)``)."""
    c, u = _factor(data, column, codes)
    return len(u) + int((c < 0).any())


def diagnose(prep: Prepared) -> AreaResult:
    """Diagnose the segmentation area of one client's NPS program.

    Parameters
    ----------
    prep : Prepared
        The client's data after :func:`npsdiag.clean.prepare`.

    Returns
    -------
    AreaResult
        Tables ``segments`` (NPS per segment value tested against the rest),
        ``dimensions`` (chi-square test and dispersion per dimension),
        ``mix_rate`` (decomposition of the change between two periods) and
        ``trend``; a forest plot per dimension, a heat map of two
        dimensions, the trend and the mix/rate chart; findings
        ``segmentation.hidden_segment``, ``segmentation.insufficient_n``,
        ``segmentation.dispersion`` and ``segmentation.mix_shift``.
    """
    r = prep.responses
    s = prep.settings
    if r.empty:
        return not_assessed("segmentation", "no analysable responses")
    dims = list(prep.segments)
    if not dims:
        return not_assessed("segmentation", "needs segment columns (responses.segments or accounts.segments "
                                            "in the config)")
    min_n, conf, breaks = s.min_n, s.confidence, s.breaks
    alpha = 1 - conf
    res = AreaResult(area="segmentation")
    overall = float(nps(r, confidence=conf, breaks=breaks)["nps"].iloc[0])
    n_total = len(r)

    cluster = "account_id" if "account_id" in r and r["account_id"].notna().any() else None
    codes = prep.codes
    seg = segment_nps(r, dims, min_n=min_n, confidence=conf, breaks=breaks, cluster=cluster, codes=codes)
    dt = dimension_tests(r, dims, min_n=min_n, breaks=breaks, codes=codes)
    disp = segment_dispersion(seg, confidence=conf)
    res.tables["segments"] = _client_table(seg)
    res.table_captions["segments"] = (
        f"NPS of every segment with its {conf:.0%} interval, and its difference from all other responses "
        f"(p-values Benjamini-Hochberg adjusted across {int(seg['p_value'].notna().sum())} tests); segments "
        f"under {min_n} responses are not tested.")
    dims_table = dt.merge(disp[["dimension", "nps_min", "nps_max", "tau", "tau_ci_low", "tau_ci_high", "i2",
                                "q_p_adj"]], on="dimension", how="left")
    dims_table = dims_table.rename(columns={"p_adj": "chi2_p_adj", "q_p_adj": "spread_p_adj",
                                            "i2": "real_spread_share"})
    res.tables["dimensions"] = dims_table[["dimension", "values", "tested_values", "n", "chi2", "dof",
                                           "chi2_p_adj", "cramers_v", "nps_min", "nps_max", "tau", "tau_ci_low",
                                           "tau_ci_high", "real_spread_share", "spread_p_adj"]]
    res.table_captions["dimensions"] = (
        "Per dimension: chi-square test of the category mix across segments (Cramér's V as effect size) and "
        "the spread of the segments' true NPS beyond sampling noise (tau, points, with its interval; real "
        "spread share = I², the part of the observed spread that is not sampling noise).")

    for dim in dims[:6]:
        if (seg["dimension"] == dim).sum() >= 1:
            sub = seg[seg["dimension"] == dim]
            worst = sub[sub["reportable"]].sort_values("nps").head(1)
            cap = f"NPS by {dim} with {conf:.0%} intervals; dashed line: overall NPS {overall:+.0f}."
            if len(worst):
                w = worst.iloc[0]
                cap += f" Lowest reportable: {w['segment']} at {w['nps']:+.0f} (n = {int(w['n']):,})."
            res.figures.append(Figure(f"forest_{dim}", plot_forest(seg, dim, overall, min_n, conf), cap))
    two = [d for d in dims if 2 <= _n_distinct(r, d, codes) <= 15]
    if len(two) >= 2:
        res.figures.append(Figure("heatmap", plot_heatmap(r, two[0], two[1], min_n=min_n, breaks=breaks,
                                                          codes=codes),
                                  f"NPS by {two[0]} and {two[1]}; cells with fewer than {min_n} responses are grey "
                                  "and hatched, their NPS is not shown."))

    # trend
    if "responded_at" in r and r["responded_at"].notna().any():
        period = s.trend_period
        tr = nps_trend(r, period=period, min_n=min_n, confidence=conf, breaks=breaks)
        if len(tr) > 36 and period in ("W", "M"):
            period = "Q"
            tr = nps_trend(r, period=period, min_n=min_n, confidence=conf, breaks=breaks)
            res.notes.append("More than 36 periods: the trend is shown by quarter.")
        if len(tr) >= 2:
            res.tables["trend"] = tr.drop(columns=["start"])
            res.table_captions["trend"] = (f"NPS per {dict(W='week', M='month', Q='quarter').get(period, period)} "
                                           f"with its {conf:.0%} interval; periods under {min_n} responses are "
                                           "marked not reportable.")
            res.figures.append(Figure("trend", plot_trend(tr, overall, min_n, conf),
                                      "NPS over time with its interval band; hollow points have too few "
                                      "responses to report."))

    # mix / rate
    mix = pd.DataFrame()
    periods = comparison_periods(r["responded_at"]) if "responded_at" in r else None
    if periods:
        pcol = "_cmp_period"
        pc = _period_column(r, periods)
        n1, n2 = (int(v) for v in np.bincount(pc.cat.codes.to_numpy() + 1, minlength=3)[1:])
        if min(n1, n2) >= min_n:
            need = [c for c in dict.fromkeys([*dims, "score"] + ([cluster] if cluster else [])) if c in r]
            rr = r[need].assign(**{pcol: pc})  # only the columns needed (no comments), same rows as r
            mix = mix_rate_summary(rr, dims, pcol, periods[0][0], periods[1][0], confidence=conf, breaks=breaks,
                                   cluster=cluster, codes=codes)
            if not mix.empty:
                res.tables["mix_rate"] = mix
                res.table_captions["mix_rate"] = (
                    f"Change of the overall NPS from {periods[0][0]} to {periods[1][0]} split, per dimension, into "
                    "mix (change in who answered) and rate (change in how each segment scored), with "
                    f"{conf:.0%} intervals (delta method, account-clustered).")
                res.figures.append(Figure("mix_rate", plot_mix_rate(mix),
                                          "Mix (hatched) and rate effects of the NPS change per dimension, with "
                                          "intervals; they add up to the change."))
        else:
            res.notes.append(f"Mix/rate decomposition skipped: fewer than {min_n} responses in one of the two "
                             "periods compared.")

    # findings
    _hidden(res, seg, n_total, overall, alpha)
    _insufficient(res, seg, n_total, min_n)
    _dispersion(res, disp, overall, alpha)
    _mix_shift(res, mix)

    res.notes += [
        "Segment NPS intervals: adjusted Wald (Rocks 2016). Each segment is compared with all other responses by "
        "a two-sample Wald test whose variances allow for several responses from one account (the larger of the "
        "Rocks and the account-clustered variance); p-values are Benjamini-Hochberg adjusted across every "
        "segment of every dimension (Benjamini & Hochberg 1995). Segment values missing in the data form '(missing)'.",
        "Across a dimension: Pearson chi-square test on segment x category counts (segments with n >= "
        f"{min_n}). Spread beyond noise: DerSimonian-Laird between-segment SD (tau) with Q-profile interval "
        "(Viechtbauer 2007) and I² (Higgins & Thompson 2002).",
        "Mix/rate: symmetric decomposition of Kitagawa (1955) — mix = Σ(w2 − w1)·(y1 + y2)/2, rate = "
        "Σ(y2 − y1)·(w1 + w2)/2 with w the segment's share of responses and y its NPS; Wald intervals from the "
        "delta-method (linearisation) variance, cluster-robust by account when responses carry one (Binder 1983; "
        "Lohr 2010 ch. 9), the two periods independent.",
    ]
    if res.summary == "":
        hs = res.finding("segmentation.hidden_segment")
        if hs is not None and hs.severity in ("high", "medium"):
            res.summary = hs.title
        else:
            rep = seg[seg["reportable"]]
            if len(rep):
                res.summary = (f"Reportable segments range from {rep['nps'].min():+.0f} to {rep['nps'].max():+.0f} "
                               f"around the overall {overall:+.0f}; "
                               + ("none differs significantly from the rest." if not (rep["direction"] != "").any()
                                  else "see the findings for the segments that differ."))
            else:
                res.summary = f"No segment has the {min_n} responses needed to report its NPS."
    return res


def _hidden(res: AreaResult, seg: pd.DataFrame, n_total: int, overall: float, alpha: float) -> None:
    sig = seg[(seg["p_adj"] < alpha) & (seg["diff_vs_rest"].abs() >= MIN_EFFECT)].copy()
    if sig.empty:
        return
    below = sig[sig["diff_vs_rest"] < 0].sort_values("diff_vs_rest")
    above = sig[sig["diff_vs_rest"] > 0].sort_values("diff_vs_rest", ascending=False)
    items = [{"dimension": row["dimension"], "segment": row["segment"], "n": int(row["n"]),
              "nps": round(float(row["nps"]), 1), "ci_low": round(float(row["ci_low"]), 1),
              "ci_high": round(float(row["ci_high"]), 1), "diff_vs_rest": round(float(row["diff_vs_rest"]), 1),
              "p_adj": float(row["p_adj"])} for _, row in pd.concat([below, above]).iterrows()]
    lead = (below if len(below) else above).iloc[0]
    share = float(lead["n"]) / n_total
    gap = abs(float(lead["diff_vs_rest"]))
    if len(below):
        severity = "high" if gap >= 20 and share >= 0.05 else "medium" if gap >= 10 else "low"
        title = (f"{lead['dimension']} {lead['segment']} scores {gap:.0f} points below the rest "
                 f"(NPS {lead['nps']:+.0f} vs overall {overall:+.0f})")
        others = len(below) - 1
        detail = (f"{lead['dimension']} = {lead['segment']} ({int(lead['n']):,} responses, "
                  f"{100 * share:.0f}% of the total) has an NPS of {lead['nps']:+.1f} "
                  f"({lead['ci_low']:+.0f} to {lead['ci_high']:+.0f}), {gap:.1f} points below all other responses "
                  f"(difference interval {lead['diff_ci_low']:+.1f} to {lead['diff_ci_high']:+.1f}; "
                  f"adjusted p = {lead['p_adj']:.2g}). The overall NPS of {overall:+.0f} hides it.")
        if others > 0:
            names = ", ".join(f"{row['dimension']} {row['segment']} ({row['diff_vs_rest']:+.0f})"
                              for _, row in below.iloc[1:4].iterrows())
            detail += (f" Also significantly below the rest: {names}"
                       + (f" and {others - 3} more." if others > 3 else "."))
        if len(above):
            detail += f" {len(above)} segment(s) score significantly above the rest."
        rec = (f"Review {lead['dimension']} {lead['segment']} with its business owner: read its detractors' comments, "
               "check its service levels, and track its NPS (with the interval) separately from the average.")
    else:
        severity = "low"
        title = (f"{lead['dimension']} {lead['segment']} scores {gap:.0f} points above the rest "
                 f"(NPS {lead['nps']:+.0f})")
        detail = (f"{lead['dimension']} = {lead['segment']} ({int(lead['n']):,} responses) has an NPS of "
                  f"{lead['nps']:+.1f}, {gap:.1f} points above all other responses (adjusted p = "
                  f"{lead['p_adj']:.2g}). No segment is significantly below the rest.")
        rec = "Find out what works in this segment and whether it can be carried over to the others."
    res.findings.append(Finding(
        "segmentation.hidden_segment", severity, title, detail,
        evidence={"dimension": lead["dimension"], "segment": lead["segment"], "n": int(lead["n"]),
                  "share_of_responses": share, "nps": float(lead["nps"]), "overall_nps": overall,
                  "diff_vs_rest": float(lead["diff_vs_rest"]), "diff_ci_low": float(lead["diff_ci_low"]),
                  "diff_ci_high": float(lead["diff_ci_high"]), "p_adj": float(lead["p_adj"]),
                  "segments_below": int(len(below)), "segments_above": int(len(above)),
                  "tests": int(seg["p_value"].notna().sum()), "segments": items},
        recommendation=rec))


def _insufficient(res: AreaResult, seg: pd.DataFrame, n_total: int, min_n: int) -> None:
    small = seg[~seg["reportable"].astype(bool)]
    if small.empty:
        return
    per_dim = small.groupby("dimension", sort=False)["n"].agg(["count", "sum"])
    reportable = seg[seg["reportable"].astype(bool)].groupby("dimension")["segment"].count()
    worst_share = float(per_dim["sum"].max() / n_total)
    dims_unusable = [d for d in seg["dimension"].unique() if reportable.get(d, 0) < 2]
    severity = "medium" if worst_share >= 0.2 or dims_unusable else "low"
    names = ", ".join(f"{row['dimension']} {row['segment']} (n={int(row['n'])})"
                      for _, row in small.sort_values("n", ascending=False).head(5).iterrows())
    more = f" and {len(small) - 5} more" if len(small) > 5 else ""
    detail = (f"{len(small)} segment value(s) have fewer than {min_n} responses, too few for a usable NPS "
              f"(margin of error above about ±{_moe(min_n):.0f} points): {names}{more}. They hold "
              f"{int(small['n'].sum()):,} responses; their NPS is shown greyed and not tested.")
    if dims_unusable:
        detail += f" Dimension(s) with fewer than two reportable values: {', '.join(map(str, dims_unusable))}."
    res.findings.append(Finding(
        "segmentation.insufficient_n", severity,
        f"{len(small)} segment(s) are too small to report an NPS (fewer than {min_n} responses)", detail,
        evidence={"min_n": min_n, "segments": int(len(small)), "responses_in_small_segments": int(small["n"].sum()),
                  "largest_share_unreportable": worst_share, "smallest_n": int(small["n"].min()),
                  "dimensions_unusable": dims_unusable,
                  "small": [{"dimension": d, "segment": sgm, "n": int(n)}
                            for d, sgm, n in small[["dimension", "segment", "n"]].head(30).itertuples(index=False)]},
        recommendation=("Do not report these segments' NPS on their own: merge them into a larger group, report "
                        "them over a longer period, or raise their response volume.")))


def _moe(n: int) -> float:
    from ...stats.nps import margin_of_error

    return float(margin_of_error(n))


def _dispersion(res: AreaResult, disp: pd.DataFrame, overall: float, alpha: float) -> None:
    if disp.empty:
        return
    d = disp[(disp["k"] >= 3) & (disp["q_p_adj"] < alpha) & (disp["tau"] >= MIN_TAU)]
    if d.empty:
        return
    top = d.sort_values("tau", ascending=False).iloc[0]
    severity = "medium" if top["tau"] >= 15 else "low"
    res.findings.append(Finding(
        "segmentation.dispersion", severity,
        f"The average misleads: true NPS varies by about ±{top['tau']:.0f} points across {top['dimension']}",
        (f"Across {int(top['k'])} {top['dimension']} segments the NPS runs from {top['nps_min']:+.0f} to "
         f"{top['nps_max']:+.0f}. Beyond sampling noise the segments' true NPS have a standard deviation of "
         f"{top['tau']:.1f} points (interval {top['tau_ci_low']:.1f} to {top['tau_ci_high']:.1f}); "
         f"{100 * top['i2']:.0f}% of the observed spread is real, not noise (adjusted p = {top['q_p_adj']:.2g}). "
         f"A typical segment's NPS lies anywhere from {top['pi_low']:+.0f} to {top['pi_high']:+.0f}, so the "
         f"overall {overall:+.0f} describes few of them."),
        evidence={"dimension": top["dimension"], "k": int(top["k"]), "tau": float(top["tau"]),
                  "tau_ci_low": float(top["tau_ci_low"]), "tau_ci_high": float(top["tau_ci_high"]),
                  "i2": float(top["i2"]), "q": float(top["q"]), "q_p_adj": float(top["q_p_adj"]),
                  "nps_min": float(top["nps_min"]), "nps_max": float(top["nps_max"]), "overall_nps": overall,
                  "dimensions": [{"dimension": row["dimension"], "tau": float(row["tau"]), "i2": float(row["i2"])}
                                 for _, row in d.iterrows()]},
        recommendation=(f"Report NPS by {top['dimension']} beside the overall figure, and set targets per segment "
                        "rather than one company-wide target.")))


def _mix_shift(res: AreaResult, mix: pd.DataFrame) -> None:
    if mix is None or mix.empty or "mix_ci_low" not in mix or mix["mix_ci_low"].isna().all():
        return
    m = mix.copy()
    excl = (m["mix_ci_low"] > 0) | (m["mix_ci_high"] < 0)
    big = (m["mix_effect"].abs() >= MIN_MIX) & (m["mix_effect"].abs() >= MIN_MIX_SHARE * m["change"].abs())
    cand = m[excl & big]
    if cand.empty:
        return
    top = cand.loc[cand["mix_effect"].abs().idxmax()]
    change, mx, rt = float(top["change"]), float(top["mix_effect"]), float(top["rate_effect"])
    mostly = abs(mx) >= 0.5 * abs(change)
    severity = "medium" if mostly and abs(mx) >= 3 else "low"
    if abs(rt) < abs(mx) and np.sign(rt) != np.sign(mx) and abs(rt) >= MIN_MIX:
        gist = (f"the segments themselves moved {rt:+.1f} points, but a change in who answered moved the total "
                f"{mx:+.1f}")
    else:
        gist = f"{mx:+.1f} points of it come from a change in who answered and {rt:+.1f} from how segments scored"
    move = "drop" if change < 0 else "rise"
    if mostly:
        title = (f"The NPS {move} from {top['period_1']} to {top['period_2']} is mostly a change of "
                 f"{top['dimension']} mix")
    else:
        title = (f"{abs(mx):.1f} of the {abs(change):.1f}-point NPS {move} from {top['period_1']} to "
                 f"{top['period_2']} is a change of {top['dimension']} mix, not of how customers score")
    res.findings.append(Finding(
        "segmentation.mix_shift", severity, title,
        (f"Overall NPS went from {top['nps_1']:+.1f} to {top['nps_2']:+.1f} ({change:+.1f} points, interval "
         f"{top['change_ci_low']:+.1f} to {top['change_ci_high']:+.1f}); split by {top['dimension']}, {gist} "
         f"(mix interval {top['mix_ci_low']:+.1f} to {top['mix_ci_high']:+.1f}; rate interval "
         f"{top['rate_ci_low']:+.1f} to {top['rate_ci_high']:+.1f})."),
        evidence={"dimension": top["dimension"], "period_1": top["period_1"], "period_2": top["period_2"],
                  "n_1": int(top["n_1"]), "n_2": int(top["n_2"]), "nps_1": float(top["nps_1"]),
                  "nps_2": float(top["nps_2"]), "change": change, "mix_effect": mx,
                  "mix_ci_low": float(top["mix_ci_low"]), "mix_ci_high": float(top["mix_ci_high"]),
                  "rate_effect": rt, "rate_ci_low": float(top["rate_ci_low"]),
                  "rate_ci_high": float(top["rate_ci_high"]), "mix_share": float(top["mix_share"]),
                  "share_of_change": abs(mx) / abs(change) if change else None},
        recommendation=(f"Read the NPS trend per {top['dimension']} (or re-weighted to a fixed mix) before "
                        "celebrating or acting on the overall movement; check why the response mix changed "
                        "(sampling, invitations, customer base).")))
