"""Net Promoter Score core statistics.

NPS categories, the score itself, its variance and standard error, the
adjusted Wald interval of Rocks (2016) and a two-sample Wald test for the
difference between two NPS values.

All NPS values returned by the DataFrame-level functions are on the familiar
-100..100 scale; the low-level :func:`nps_from_counts` works on -1..1 so that
its results can be compared with the published formulas directly.

References
----------
.. [1] Rocks, B. (2016). Interval Estimation for the "Net Promoter Score".
   The American Statistician, 70(4), 365-372. doi:10.1080/00031305.2016.1158124
.. [2] Lewis, J. R. & Sauro, J. (2021). Confidence intervals for Net Promoter
   Scores: an empirical check of the adjusted-Wald method. Journal of User
   Experience, 16(3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..fmt import period_label
from .result import Result

__all__ = [
    "CATEGORIES",
    "Breaks",
    "categorize",
    "nps_from_counts",
    "nps_table",
    "nps",
    "nps_diff_test",
    "NpsDiff",
    "margin_of_error",
    "nps_by_period",
    "period_ordinals",
    "to_period",
    "cluster_codes",
    "own_clusters",
    "count_distinct",
    "domain_design_effects",
]

CATEGORIES = ("detractor", "passive", "promoter")

#: Pseudo-counts of the adjusted Wald interval (Rocks 2016): detractor, passive, promoter.
ADJUSTMENT = (0.75, 1.5, 0.75)


@dataclass(frozen=True)
class Breaks:
    """Category breaks of the likelihood-to-recommend scale.

    A score ``<= detractor_max`` is a detractor, ``>= promoter_min`` a
    promoter, anything in between a passive. The standard NPS breaks are
    0-6 / 7-8 / 9-10.
    """

    detractor_max: float = 6
    promoter_min: float = 9


def categorize(scores: pd.Series | np.ndarray, breaks: Breaks = Breaks()) -> pd.Series:
    """Classify scores as detractor, passive or promoter.

    Parameters
    ----------
    scores : Series or array of numbers
        Likelihood-to-recommend scores. Missing values stay missing.
    breaks : Breaks
        Category breaks; the default is the standard 0-6 / 7-8 / 9-10.

    Returns
    -------
    pandas.Series
        Ordered categorical with categories ``detractor < passive < promoter``.

    Examples
    --------
    >>> categorize(pd.Series([0, 6, 7, 8, 9, 10])).tolist()
    ['detractor', 'detractor', 'passive', 'passive', 'promoter', 'promoter']
    """
    s = pd.Series(scores, dtype="float64") if not isinstance(scores, pd.Series) else scores.astype("float64")
    codes = np.where(s <= breaks.detractor_max, 0, np.where(s >= breaks.promoter_min, 2, 1))
    codes = np.where(s.isna(), -1, codes)
    cat = pd.Categorical.from_codes(codes, categories=list(CATEGORIES), ordered=True)
    return pd.Series(cat, index=s.index, name="category")


def nps_from_counts(
    detractors,
    passives,
    promoters,
    confidence: float = 0.95,
    adjusted: bool = True,
) -> dict[str, np.ndarray]:
    """NPS, variance, standard error and interval from category counts.

    Works element-wise on scalars or arrays. Values are on the -1..1 scale.

    Parameters
    ----------
    detractors, passives, promoters : int or array-like
        Counts per category.
    confidence : float
        Confidence level of the interval.
    adjusted : bool
        If True (default) the interval is the adjusted Wald interval of
        Rocks (2016): 0.75 detractor, 1.5 passive and 0.75 promoter are
        added before the NPS and its variance are computed, and the
        interval is centred on the adjusted NPS. If False, the plain Wald
        interval around the observed NPS.

    Returns
    -------
    dict of arrays
        ``n``, ``nps`` (observed), ``variance`` and ``se`` (observed, per
        response: SE = sqrt(variance / n)), ``ci_low`` and ``ci_high``.

    Notes
    -----
    With p_pro and p_det the promoter and detractor shares, the NPS is
    p_pro - p_det and the variance of one response's score (-1, 0, +1) is
    p_pro + p_det - (p_pro - p_det)^2 [1]_. The interval is
    NPS_adj +- z * sqrt(var_adj / (n + 3)), clipped to [-1, 1].

    References
    ----------
    .. [1] Rocks, B. (2016). Interval Estimation for the "Net Promoter Score".
       The American Statistician, 70(4), 365-372.

    Examples
    --------
    The fixture of Rocks' R package NPS, counts 1:3:

    >>> r = nps_from_counts(1, 2, 3)
    >>> round(float(r["nps"]), 4), round(float(r["variance"]), 4), round(float(r["se"]), 3)
    (0.3333, 0.5556, 0.304)
    """
    d = np.asarray(detractors, dtype="float64")
    p = np.asarray(passives, dtype="float64")
    r = np.asarray(promoters, dtype="float64")
    n = d + p + r
    with np.errstate(invalid="ignore", divide="ignore"):
        score = (r - d) / n
        var = (r + d) / n - score**2
        se = np.sqrt(var / n)
        z = stats.norm.ppf(0.5 + confidence / 2)
        if adjusted:
            ad, ap, ar = ADJUSTMENT
            na = n + ad + ap + ar
            centre = (r + ar - d - ad) / na
            var_a = (r + ar + d + ad) / na - centre**2
            half = z * np.sqrt(var_a / na)
        else:
            centre = score
            half = z * se
        low = np.clip(centre - half, -1, 1)
        high = np.clip(centre + half, -1, 1)
    empty = n == 0
    if np.any(empty):
        score, var, se, low, high = (np.where(empty, np.nan, a) for a in (score, var, se, low, high))
    return {"n": n, "nps": score, "variance": var, "se": se, "ci_low": low, "ci_high": high}


def _counts(data: pd.DataFrame, score: str, by: list[str], breaks: Breaks) -> pd.DataFrame:
    s = data[score]
    if not by:  # overall: count the categories straight from the scores
        v = np.asarray(s, dtype="float64")
        v = v[~np.isnan(v)]
        d = int(np.count_nonzero(v <= breaks.detractor_max))
        r = int(np.count_nonzero((v >= breaks.promoter_min) & ~(v <= breaks.detractor_max)))
        return pd.DataFrame({"detractors": [d], "passives": [len(v) - d - r], "promoters": [r]})
    cats = categorize(s, breaks)
    frame = pd.DataFrame({c: data[c] for c in by})
    frame["_d"] = (cats == "detractor").to_numpy()
    frame["_p"] = (cats == "passive").to_numpy()
    frame["_r"] = (cats == "promoter").to_numpy()
    if by:
        out = frame.groupby(by, observed=True, dropna=False, sort=True)[["_d", "_p", "_r"]].sum().reset_index()
    else:
        out = pd.DataFrame({"_d": [frame["_d"].sum()], "_p": [frame["_p"].sum()], "_r": [frame["_r"].sum()]})
    return out.rename(columns={"_d": "detractors", "_p": "passives", "_r": "promoters"})


NPS_COLUMNS = ["n", "detractors", "passives", "promoters", "pct_detractors", "pct_passives", "pct_promoters",
               "nps", "se", "ci_low", "ci_high", "moe"]


def nps_table(counts, confidence: float = 0.95) -> pd.DataFrame:
    """The columns of :func:`nps` for groups whose detractor, passive and promoter counts are known.

    Parameters
    ----------
    counts : array-like of shape (groups, 3)
        Detractors, passives, promoters per group (e.g. from ``np.bincount`` on integer codes).
    confidence : float
        Level of the adjusted Wald interval (Rocks 2016).

    Returns
    -------
    DataFrame
        One row per group, in order: ``n``, ``detractors``, ``passives``, ``promoters``, ``pct_*`` (0-100),
        ``nps``, ``se``, ``ci_low``, ``ci_high``, ``moe`` (points, -100..100), as :func:`nps_from_counts`.

    Examples
    --------
    >>> nps_table([[1, 2, 3]])[["n", "nps"]].round(1).to_dict("records")
    [{'n': 6, 'nps': 33.3}]
    """
    c = np.asarray(counts, dtype="int64").reshape(-1, 3)
    r = nps_from_counts(c[:, 0], c[:, 1], c[:, 2], confidence=confidence)
    out = pd.DataFrame({"n": np.asarray(r["n"]).astype("int64"), "detractors": c[:, 0], "passives": c[:, 1],
                        "promoters": c[:, 2]})
    with np.errstate(invalid="ignore", divide="ignore"):
        for k in ("detractors", "passives", "promoters"):
            out[f"pct_{k}"] = 100 * out[k] / out["n"]
    for k in ("nps", "se", "ci_low", "ci_high"):
        out[k] = 100 * np.asarray(r[k], dtype="float64")
    out["moe"] = (out["ci_high"] - out["ci_low"]) / 2
    return out[NPS_COLUMNS]


def nps(
    data: pd.DataFrame,
    score: str = "score",
    by: str | list[str] | None = None,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
) -> pd.DataFrame:
    """NPS with its adjusted Wald interval, overall or per group.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    score : str
        Column with the 0-10 score. Rows where it is missing are ignored.
    by : str or list of str, optional
        Grouping columns. Missing group values form their own group.
    confidence : float
        Confidence level of the interval (default 0.95).
    breaks : Breaks
        Category breaks.

    Returns
    -------
    DataFrame
        One row per group with columns: the ``by`` columns, ``n``,
        ``detractors``, ``passives``, ``promoters`` (counts),
        ``pct_detractors``, ``pct_passives``, ``pct_promoters`` (0-100),
        ``nps`` (-100..100), ``se`` (standard error of the NPS, in points),
        ``ci_low``, ``ci_high`` (adjusted Wald interval, Rocks 2016) and
        ``moe`` (half-width of the interval, in points).

    Examples
    --------
    >>> df = pd.DataFrame({"score": [0, 7, 8, 9, 10, 10]})
    >>> nps(df)[["n", "nps"]].round(1).to_dict("records")
    [{'n': 6, 'nps': 33.3}]
    """
    by_cols = [by] if isinstance(by, str) else list(by or [])
    scored = data.loc[data[score].notna()] if data[score].isna().any() else data
    out = _counts(scored, score, by_cols, breaks)
    table = nps_table(out[["detractors", "passives", "promoters"]].to_numpy(), confidence=confidence)
    table.index = out.index
    return pd.concat([out[by_cols], table], axis=1)


@dataclass(frozen=True)
class NpsDiff(Result):
    """The difference between two NPS values and its two-sample Wald test (:func:`nps_diff_test`).

    Attributes
    ----------
    diff, se : float
        NPS a - NPS b and its standard error, in points.
    z, p_value : float
        Test statistic and two-sided p-value.
    ci_low, ci_high : float
        Interval of the difference, in points.
    """

    diff: float
    se: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float


def nps_diff_test(a, b, confidence: float = 0.95) -> NpsDiff:
    """Two-sample Wald test for the difference between two NPS values.

    Parameters
    ----------
    a, b : sequence of three counts (detractors, passives, promoters)
        The two independent samples.
    confidence : float
        Confidence level of the interval of the difference.

    Returns
    -------
    NpsDiff
        ``diff`` (NPS a - NPS b, in points), ``se`` (points), ``z``,
        ``p_value`` (two-sided), ``ci_low``, ``ci_high`` (points).

    Notes
    -----
    The difference of two independent NPS has variance
    var_a / n_a + var_b / n_b, each variance being
    p_pro + p_det - (p_pro - p_det)^2 (Rocks 2016); z = diff / SE is
    referred to the standard normal. The variances are taken from the
    adjusted counts (0.75 / 1.5 / 0.75 added to each sample, as in the
    adjusted Wald interval), which keeps the test defined when a sample
    has a single category; the difference itself is the observed one.

    Examples
    --------
    >>> r = nps_diff_test((10, 20, 70), (30, 20, 50))
    >>> round(r.diff, 1)
    40.0
    """
    ad, ap, ar = ADJUSTMENT
    (d1, p1, r1), (d2, p2, r2) = (tuple(map(float, a)), tuple(map(float, b)))
    n1, n2 = d1 + p1 + r1, d2 + p2 + r2
    if n1 == 0 or n2 == 0:
        nan = float("nan")
        return NpsDiff(nan, nan, nan, nan, nan, nan)
    diff = (r1 - d1) / n1 - (r2 - d2) / n2

    def _var(d, p, r):
        n = d + p + r + ad + ap + ar
        s = (r + ar - d - ad) / n
        return ((r + ar + d + ad) / n - s**2) / n

    se = float(np.sqrt(_var(d1, p1, r1) + _var(d2, p2, r2)))
    z = diff / se
    p = float(2 * stats.norm.sf(abs(z)))
    q = stats.norm.ppf(0.5 + confidence / 2)
    return NpsDiff(100 * diff, 100 * se, float(z), p, 100 * (diff - q * se), 100 * (diff + q * se))


def margin_of_error(n, nps_value: float = 0.0, p_passive: float = 0.3, confidence: float = 0.95):
    """Expected margin of error (points) of an NPS measured on ``n`` responses.

    Parameters
    ----------
    n : int or array-like
        Number of responses.
    nps_value : float
        Assumed NPS (-100..100) used for the variance.
    p_passive : float
        Assumed share of passives.
    confidence : float
        Confidence level.

    Returns
    -------
    float or ndarray
        z * sqrt(var / n) in points, with var = p_pro + p_det - NPS^2.

    Notes
    -----
    Variance formula of Rocks (2016). For NPS 0 and 30% passives the
    variance is 0.7 and 100 responses give about +-16 points.
    """
    s = nps_value / 100
    p_pro = (1 - p_passive + s) / 2
    p_det = (1 - p_passive - s) / 2
    var = p_pro + p_det - s**2
    z = stats.norm.ppf(0.5 + confidence / 2)
    return 100 * z * np.sqrt(var / np.asarray(n, dtype="float64"))


#: Period frequencies of :func:`period_ordinals` and the pandas period alias each stands for.
_PERIOD_FREQ = {"W": "W-SUN", "W-SUN": "W-SUN", "M": "M", "Q": "Q", "Q-DEC": "Q", "Y": "Y", "Y-DEC": "Y", "A": "Y"}


def period_ordinals(dates, freq: str = "M") -> tuple[np.ndarray, np.ndarray] | None:
    """Integer period numbers of dates, as pandas ``Period.ordinal``, without building Period objects.

    Parameters
    ----------
    dates : Series, DatetimeIndex or array of datetime64
        Dates (time zone-naive; missing values allowed).
    freq : {"W", "M", "Q", "Y"}
        Weeks (starting Monday, pandas ``W-SUN``), months, quarters or years.

    Returns
    -------
    (ordinals, valid) or None
        ``ordinals``: int64 array, the ``Period(date, freq).ordinal`` of each
        date (0 where the date is missing); ``valid``: bool array, False for
        missing dates. None when ``freq`` is not one of the four or the
        dates are not time zone-naive datetime64 (callers then use
        ``Series.dt.to_period``).

    Notes
    -----
    Months since 1970-01 (numpy ``datetime64[M]``), quarters = months // 3,
    years since 1970, weeks = (days since 1970-01-01 + 3) // 7 + 1 (weeks
    ending Sunday; 1970-01-01 was a Thursday). Grouping and counting on these
    integers (``np.bincount``) is many times faster than on Period objects;
    ``pd.PeriodIndex.from_ordinals(..., freq=...)`` turns them back into periods.

    Examples
    --------
    >>> o, ok = period_ordinals(pd.Series(pd.to_datetime(["2025-02-10", None])), "Q")
    >>> pd.PeriodIndex.from_ordinals(o[ok], freq="Q")[0]
    Period('2025Q1', 'Q-DEC')
    """
    f = _PERIOD_FREQ.get(str(freq).upper())
    if f is None:
        return None
    v = dates.to_numpy() if isinstance(dates, (pd.Series, pd.Index)) else np.asarray(dates)
    if v.dtype.kind != "M":
        return None
    valid = ~np.isnat(v)
    if f == "W-SUN":
        days = v.astype("datetime64[D]").astype("int64")
        out = np.floor_divide(days + 3, 7) + 1
    elif f == "Y":
        out = v.astype("datetime64[Y]").astype("int64")
    else:
        out = v.astype("datetime64[M]").astype("int64")
        if f == "Q":
            out = np.floor_divide(out, 3)
    return np.where(valid, out, 0), valid


def count_distinct(codes) -> int:
    """How many distinct values an array of integers holds (cluster codes: counted, not sorted).

    Examples
    --------
    >>> count_distinct(np.array([3, 0, 3, 7]))
    3
    """
    c = np.asarray(codes)
    if not len(c):
        return 0
    lo, hi = int(c.min()), int(c.max())
    if lo >= 0 and hi <= 4 * len(c) + 1024:
        return int(np.count_nonzero(np.bincount(c)))
    return int(len(pd.unique(c.ravel())))


def cluster_codes(values) -> np.ndarray:
    """Integer cluster of each response: equal values share one; a missing value is a cluster of its own.

    Examples
    --------
    >>> cluster_codes(["a", None, "a", None, "b"]).tolist()
    [0, 2, 0, 3, 1]
    """
    codes, uniq = pd.factorize(pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values)
    return own_clusters(codes, len(uniq))


def own_clusters(codes, n_values: int) -> np.ndarray:
    """Cluster codes from factorised values (``pandas.factorize``: -1 where missing, else 0..n_values-1): a
    missing value becomes a cluster of its own, numbered from ``n_values`` on.

    Examples
    --------
    >>> own_clusters(np.array([0, -1, 0, -1, 1]), 2).tolist()
    [0, 2, 0, 3, 1]
    """
    out = np.array(codes, dtype=np.int64)  # a copy: the factorised codes may be shared
    missing = out < 0
    out[missing] = n_values + np.arange(int(missing.sum()))
    return out


def domain_design_effects(x: np.ndarray, key: np.ndarray, k: int, clusters: np.ndarray) -> tuple[np.ndarray,
                                                                                                   np.ndarray]:
    """Design-based variance of the mean of ``x`` in each domain 0..k-1 (e.g. each period), and its design effect.

    Every domain is a domain of the whole design (R ``survey``'s ``svyby``): with u_i = (x_i - x̄_d) / n_d for the
    responses of domain d, var_d = G/(G-1) Σ_g (Σ_{i in g, d} u_i)², G the clusters of all responses. The design
    effect divides it by s_d² / n_d (the variance of n_d independent responses). NaN where a domain has fewer
    than two responses or no variance.
    """
    x = np.asarray(x, dtype="float64")
    key = np.asarray(key, dtype=np.int64)
    g = np.asarray(clusters, dtype=np.int64)
    n = np.bincount(key, minlength=k).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(key, weights=x, minlength=k) / n
        u = (x - mean[key]) / n[key]
        inv, pairs = pd.factorize(g * k + key)  # hashing: the order of the pairs does not matter here
        totals = np.bincount(inv, weights=u)
        big_g = count_distinct(g)
        var = (big_g / (big_g - 1) if big_g > 1 else np.nan) * np.bincount(pairs % k, weights=totals ** 2,
                                                                          minlength=k)
        s2 = (np.bincount(key, weights=x * x, minlength=k) - n * mean * mean) / (n - 1)
        deff = np.where((n > 1) & (s2 > 0), var / (s2 / n), np.nan)
    return var, deff


def nps_by_period(
    data: pd.DataFrame,
    freq: str = "M",
    date: str = "responded_at",
    score: str = "score",
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
    min_n: int = 30,
    cluster: str | None = None,
) -> pd.DataFrame:
    """NPS per calendar period, every period from the first response to the last.

    The one trend computation of the kit: the executive summary's trend and
    the reliability area's precision check build on it.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    freq : {"W", "M", "Q", "Y"}
        Period: weeks (starting Monday), months, quarters or years.
    date, score : str
        Column names.
    confidence : float
        Level of the intervals.
    breaks : Breaks
        Category breaks.
    min_n : int
        Fewest responses for a period to be ``reportable``.
    cluster : str, optional
        Column whose equal values are one cluster (an account answering many
        times): the intervals are then design-based (see Notes).

    Returns
    -------
    DataFrame
        One row per period, empty periods included with n = 0: ``period``
        (label, see :func:`period_label`), ``start``, ``n``, ``detractors``,
        ``passives``, ``promoters``, ``nps``, ``se``, ``ci_low``, ``ci_high``,
        ``moe`` (adjusted Wald, Rocks 2016), ``deff`` (design effect, 1
        without clusters), ``partial`` (the first or last period is not fully
        covered by the data) and ``reportable`` (n >= min_n).

    Notes
    -----
    Responses are counted per period on integer period numbers
    (:func:`period_ordinals`, ``np.bincount``), not on Period objects, so a
    million responses take a fraction of a second. With ``cluster``, each
    period is a domain of the clustered design (:func:`domain_design_effects`,
    as R's ``svyby``): ``se`` is the design-based standard error and the
    interval is Rocks' adjusted Wald on the effective counts (counts divided
    by the design effect when it exceeds 1; Korn & Graubard 1998).

    Examples
    --------
    >>> d = pd.DataFrame({"responded_at": pd.to_datetime(["2025-01-05", "2025-03-20"]), "score": [10, 0]})
    >>> nps_by_period(d, min_n=1)[["period", "n", "nps"]].to_dict("records")
    [{'period': '2025-01', 'n': 1, 'nps': 100.0}, {'period': '2025-02', 'n': 0, 'nps': nan}, \
{'period': '2025-03', 'n': 1, 'nps': -100.0}]
    """
    cols = ["period", "start", "n", "detractors", "passives", "promoters", "nps", "se", "ci_low", "ci_high", "moe",
            "deff", "partial", "reportable"]
    if not len(data):
        return pd.DataFrame(columns=cols)
    when_all = pd.to_datetime(data[date])
    sc_all = np.asarray(data[score], dtype="float64")
    keep = when_all.notna().to_numpy() & ~np.isnan(sc_all)
    if not keep.any():
        return pd.DataFrame(columns=cols)
    when = when_all[keep] if not keep.all() else when_all
    sc = sc_all[keep] if not keep.all() else sc_all
    fpd = _PERIOD_FREQ.get(str(freq).upper(), freq)
    ords = period_ordinals(when, freq)
    if ords is not None:
        o = ords[0]
        lo, hi = int(o.min()), int(o.max())
        idx = pd.PeriodIndex.from_ordinals(np.arange(lo, hi + 1), freq=fpd)
        key = o - lo
    else:  # other frequencies or time zone-aware dates: pandas periods
        per = when.dt.to_period(fpd)
        idx = pd.period_range(per.min(), per.max(), freq=per.min().freq)
        key = np.asarray(per.array.asi8) - idx[0].ordinal
    k = len(idx)
    cat = np.where(sc <= breaks.detractor_max, 0, np.where(sc >= breaks.promoter_min, 2, 1))
    counts = np.bincount(key * 3 + cat, minlength=3 * k).reshape(k, 3)
    deff = np.ones(k)
    design_se = None
    if cluster is not None and cluster in data:
        groups = cluster_codes(data[cluster] if keep.all() else data[cluster][keep])
        var, d = domain_design_effects(cat - 1.0, key, k, groups)
        deff = np.where(np.isfinite(d), d, 1.0)
        design_se = np.sqrt(var)
    eff = counts / np.maximum(deff, 1.0)[:, None]
    r = nps_from_counts(eff[:, 0], eff[:, 1], eff[:, 2], confidence=confidence)
    partial = np.zeros(k, dtype=bool)
    partial[0] = when.min().normalize() > idx[0].start_time
    partial[-1] = partial[-1] or when.max().normalize() < idx[-1].end_time.normalize()
    out = pd.DataFrame({"period": [period_label(p) for p in idx], "start": idx.start_time})
    out["n"] = counts.sum(axis=1).astype("int64")
    out["detractors"] = counts[:, 0].astype("int64")
    out["passives"] = counts[:, 1].astype("int64")
    out["promoters"] = counts[:, 2].astype("int64")
    out["nps"] = 100 * r["nps"]
    out["se"] = 100 * (r["se"] if design_se is None else design_se)
    out["ci_low"] = 100 * r["ci_low"]
    out["ci_high"] = 100 * r["ci_high"]
    out["moe"] = (out["ci_high"] - out["ci_low"]) / 2
    out["deff"] = deff
    out["partial"] = partial
    out["reportable"] = out["n"] >= min_n
    return out[cols]


def to_period(dates: pd.Series, freq: str) -> pd.Series:
    """Dates as periods of ``freq`` (W = weeks starting Monday, M months, Q quarters)."""
    f = {"W": "W-SUN"}.get(freq, freq)
    return pd.to_datetime(dates).dt.to_period(f)
