"""Building blocks over time: the NPS trend, the two periods compared, and the change between them (mix and rate).

Each block takes a DataFrame of responses and column names and returns a
tidy DataFrame; :func:`mix_rate_summary_from_codes` is
:func:`mix_rate_summary` on codes factorized once (what the checks call).
The decomposition itself and its intervals are
:mod:`npsdiag.stats.decomposition`.

References
----------
.. [1] Kitagawa, E. M. (1955). Components of a difference between two rates.
   Journal of the American Statistical Association, 50(272), 1168-1194.
.. [2] Binder, D. A. (1983). On the variances of asymptotically normal
   estimators from complex surveys. International Statistical Review,
   51(3), 279-292.
.. [3] Lohr, S. L. (2010). Sampling: Design and Analysis, 2nd ed., ch. 9
   (linearisation). Brooks/Cole.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ...fmt import period_label
from ...stats.decomposition import dense_keys, kitagawa_terms, mix_rate
from ...stats.nps import Breaks, domain_design_effects, nps_by_period, nps_from_counts
from .coding import category_codes, cluster_codes, compact, count_table, factorize, label_codes, segment_codes

__all__ = ["nps_trend", "comparison_periods", "period_rows", "mix_rate_decomposition", "mix_rate_summary",
           "mix_rate_summary_from_codes", "MIX_RATE_COLUMNS", "MIN_SHARED_SHARE"]

#: Columns of :func:`mix_rate_summary`.
MIX_RATE_COLUMNS = ["dimension", "period_1", "period_2", "n_1", "n_2", "nps_1", "nps_2", "change", "change_ci_low",
                    "change_ci_high", "mix_effect", "mix_ci_low", "mix_ci_high", "rate_effect", "rate_ci_low",
                    "rate_ci_high", "mix_share", "recurring_values", "recurring_share", "note"]
#: A dimension is split into mix and rate only when at least this share of each period's responses carry a value
#: found in both periods (and at least two values recur): otherwise its "mix" is the turnover of one-off values.
MIN_SHARED_SHARE = 0.8
_SPLIT_FIELDS = ("mix_effect", "mix_ci_low", "mix_ci_high", "rate_effect", "rate_ci_low", "rate_ci_high", "mix_share")

#: The rows of two periods with a score: (mask over the data, period 0/1 and category code of those rows).
PeriodRows = tuple[np.ndarray, np.ndarray, np.ndarray]


def nps_trend(
    data: pd.DataFrame,
    period: str = "M",
    date: str = "responded_at",
    score: str = "score",
    by: str | None = None,
    min_n: int = 30,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
    cluster: str | None = None,
) -> pd.DataFrame:
    """NPS per month, quarter or week, with intervals (design-based where responses cluster).

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
    cluster : str, optional
        Column whose equal values answer together (an account, or a
        respondent answering wave after wave): the intervals are then
        design-based, each period (and segment) a domain of the clustered
        design. Responses without a cluster count as their own.

    Returns
    -------
    DataFrame
        One row per period (and segment) with responses, in time order:
        ``period`` (label, e.g. "2025-03", "2025-Q1"), ``start`` (first day),
        [``by``], ``n``, ``nps``, ``ci_low``, ``ci_high``,
        ``pct_promoters``, ``pct_detractors``, ``design_effect`` (1 without
        ``cluster``) and ``reportable``.

    Notes
    -----
    Without ``by`` this is :func:`npsdiag.stats.nps.nps_by_period` (the
    executive summary's trend) without its empty periods. With ``cluster``
    the variance of each period's NPS is the linearised one of a domain of
    the whole design, as R's ``svyby(~x, ~period, svydesign(ids =
    ~account), svymean)`` (:func:`npsdiag.stats.nps.domain_design_effects`),
    and the interval is Rocks' adjusted Wald on the counts divided by the
    design effect when it exceeds 1 (Korn & Graubard 1998); without, it is
    Rocks' (2016) adjusted Wald interval.

    Examples
    --------
    >>> df = pd.DataFrame({"score": [10, 0, 9, 9], "responded_at": pd.to_datetime(
    ...     ["2025-01-05", "2025-01-20", "2025-02-03", "2025-02-04"])})
    >>> nps_trend(df, min_n=1)[["period", "n", "nps"]].to_dict("records")
    [{'period': '2025-01', 'n': 2, 'nps': 0.0}, {'period': '2025-02', 'n': 2, 'nps': 100.0}]
    """
    cols = ["period", "start"] + ([by] if by else []) + ["n", "nps", "ci_low", "ci_high", "pct_promoters",
                                                         "pct_detractors", "design_effect", "reportable"]
    k = category_codes(data[score], breaks)
    ok = (k >= 0) & data[date].notna().to_numpy()
    if not ok.any():
        return pd.DataFrame(columns=cols)
    if not by:
        t = nps_by_period(data, freq=period, date=date, score=score, confidence=confidence, breaks=breaks,
                          min_n=min_n, cluster=cluster)
        t = t[t["n"] > 0].rename(columns={"deff": "design_effect"})
        with np.errstate(invalid="ignore", divide="ignore"):
            t["pct_promoters"] = 100 * t["promoters"] / t["n"]
            t["pct_detractors"] = 100 * t["detractors"] / t["n"]
        return t.reset_index(drop=True)[cols]
    # integer period ordinals (no Period objects per row); labels only for the distinct periods
    ords = data.loc[ok, date].dt.to_period(period).array.asi8
    o_codes, o_uniq = dense_keys(ords - ords.min())
    o_uniq = o_uniq + ords.min()
    g, labels = label_codes(data, by)
    g, labels = compact(g[ok], labels)
    n_seg = len(labels)
    key = o_codes.astype(np.int64) * n_seg + g
    cnt = count_table(key, k[ok], len(o_uniq) * n_seg)
    deff = np.ones(len(cnt))
    clusters = cluster_codes(data, cluster, ok)
    if clusters is not None:
        d = domain_design_effects(k[ok] - 1.0, key, len(cnt), clusters[ok])[1]
        deff = np.where(np.isfinite(d), d, 1.0)
    keep = cnt.sum(axis=1) > 0
    cnt, deff, idx = cnt[keep], deff[keep], np.flatnonzero(keep)
    eff = cnt / np.maximum(deff, 1.0)[:, None]
    r = nps_from_counts(eff[:, 0], eff[:, 1], eff[:, 2], confidence=confidence)
    pidx = pd.PeriodIndex.from_ordinals(np.asarray(o_uniq)[idx // n_seg], freq=period)
    n = cnt.sum(axis=1)
    t = pd.DataFrame({"period": [period_label(q) for q in pidx], "start": pidx.start_time,
                      by: np.asarray(labels, dtype=object)[idx % n_seg], "n": n.astype("int64"),
                      "nps": 100 * (cnt[:, 2] - cnt[:, 0]) / n, "ci_low": 100 * np.asarray(r["ci_low"], dtype=float),
                      "ci_high": 100 * np.asarray(r["ci_high"], dtype=float), "pct_promoters": 100 * cnt[:, 2] / n,
                      "pct_detractors": 100 * cnt[:, 0] / n, "design_effect": deff, "reportable": n >= min_n})
    return t[cols]


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


def period_rows(data: pd.DataFrame, period: str, first: Any, second: Any, score: str = "score",
                breaks: Breaks = Breaks()) -> PeriodRows:
    """Rows of the two periods with a score: (mask over data, period index 0/1, category code) of those rows."""
    pc, pu = factorize(data, period)
    lut = np.full(len(pu) + 1, -1, dtype=np.int64)  # code -1 (missing period) -> last entry
    for i, v in enumerate(pu):
        if v == first:
            lut[i] = 0
        elif v == second:
            lut[i] = 1
    t = lut[pc]
    k = category_codes(data[score], breaks)
    ok = (t >= 0) & (k >= 0)
    return ok, t[ok], k[ok]


def _cells(rows: PeriodRows, g_all: np.ndarray, labels: list[str]) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Counts array (2 periods, S segments, 3 categories), the segment labels and the rows' segment codes."""
    ok, t, k = rows
    g, segs = compact(g_all[ok], labels)
    n_seg = len(segs)
    arr = np.bincount((t * n_seg + g) * 3 + k, minlength=6 * n_seg).reshape(2, n_seg, 3).astype("float64")
    return arr, segs, g


def mix_rate_decomposition(
    data: pd.DataFrame,
    dimension: str,
    period: str,
    first: Any,
    second: Any,
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
    ΔNPS = Σ (w2 - w1)·(y1 + y2)/2  [mix]  +  Σ (y2 - y1)·(w1 + w2)/2  [rate]
    (:func:`npsdiag.stats.decomposition.kitagawa_terms`). It is exact (no
    interaction term) and does not depend on which period is the reference.
    A segment absent from one period contributes only to mix (its NPS there
    is taken equal to the other period's).

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
    arr, segs, _ = _cells(period_rows(data, period, first, second, score, breaks), *label_codes(data, dimension))
    out = kitagawa_terms(arr)
    out.insert(0, "segment", segs)
    return out


def mix_rate_summary_from_codes(
    rows: PeriodRows,
    dimensions: Iterable[tuple[str, np.ndarray, list[str]]],
    first: Any,
    second: Any,
    clusters: np.ndarray | None = None,
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
    method: str = "delta",
    min_shared: float = MIN_SHARED_SHARE,
) -> pd.DataFrame:
    """:func:`mix_rate_summary` on integer codes (what the checks call).

    Parameters
    ----------
    rows : (mask, period, category)
        :func:`period_rows` of the responses.
    dimensions : iterable of (str, array of int, list of str)
        Each segment column's name, the responses' label codes and the labels
        (:func:`~npsdiag.areas.segmentation.coding.segment_codes`).
    clusters : array of int, optional
        The responses' cluster codes (:func:`~npsdiag.areas.segmentation.coding.cluster_codes`).
    first, second, confidence, n_boot, seed, method, min_shared
        As :func:`mix_rate_summary`.
    """
    if method not in ("delta", "bootstrap"):
        raise ValueError(f"method must be 'delta' or 'bootstrap', not {method!r}")
    rng = np.random.default_rng(seed)
    ok, t, k = rows
    cl = dense_keys(clusters[ok])[0] if clusters is not None else None
    out = []
    for dim, g_all, labels in dimensions:
        arr, _, g = _cells(rows, g_all, labels)
        if arr[0].sum() == 0 or arr[1].sum() == 0:
            continue
        r = mix_rate(arr, t, g, k, cl, confidence=confidence, method=method, n_boot=n_boot, rng=rng).to_dict()
        r.update(_recurrence(arr, min_shared))
        if r["note"]:
            r.update(dict.fromkeys(_SPLIT_FIELDS, np.nan))
        out.append({"dimension": dim, "period_1": str(first), "period_2": str(second), **r})
    return pd.DataFrame(out).reindex(columns=MIX_RATE_COLUMNS)


def _recurrence(arr: np.ndarray, min_shared: float) -> dict[str, Any]:
    """How far a dimension's values recur in both periods, and why it is not split when they do not ("" if split)."""
    n_s = arr.sum(axis=-1)  # (2, S)
    both = (n_s[0] > 0) & (n_s[1] > 0)
    share = n_s[:, both].sum(axis=1) / n_s.sum(axis=1)
    shared = float(share.min())
    n_both, n_values = int(both.sum()), int(((n_s[0] > 0) | (n_s[1] > 0)).sum())
    note = ""
    if shared < min_shared:
        which = "the first" if share[0] <= share[1] else "the second"
        note = (f"Not split: only {shared:.0%} of {which} period's responses are in values found in both periods "
                f"({n_both} of {n_values} values recur), so the change cannot be told apart from the turnover of "
                "values that occur in one period only.")
    elif n_both < 2:
        note = "Not split: fewer than two values have responses in both periods."
    return {"recurring_values": n_both, "recurring_share": shared, "note": note}


def mix_rate_summary(
    data: pd.DataFrame,
    dimensions: list[str],
    period: str,
    first: Any,
    second: Any,
    score: str = "score",
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
    breaks: Breaks = Breaks(),
    cluster: str | None = None,
    method: str = "delta",
    min_shared: float = MIN_SHARED_SHARE,
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
        treats each account's responses of both periods as one unit, so
        that an account's many responses move together and its two periods
        are not taken for independent samples. Responses without a cluster
        count as their own.
    method : {"delta", "bootstrap"}
        ``"delta"`` (default): Wald intervals from the delta-method
        variance, cluster-robust with ``cluster``; computed in one pass
        over the (account, period, segment) counts, fit for millions of
        responses. ``"bootstrap"``: percentile intervals of a bootstrap of
        whole accounts over both periods (costs n_boot x accounts; for
        small data).
    min_shared : float
        Smallest share of each period's responses in segment values found in
        both periods for a dimension to be split (see Notes); below it the
        dimension's mix and rate are left empty and ``note`` says why.

    Returns
    -------
    DataFrame
        One row per dimension: ``dimension``, ``period_1``, ``period_2``,
        ``n_1``, ``n_2``, ``nps_1``, ``nps_2``, ``change`` (points),
        ``change_ci_low``, ``change_ci_high``, ``mix_effect``,
        ``mix_ci_low``, ``mix_ci_high``, ``rate_effect``, ``rate_ci_low``,
        ``rate_ci_high`` (points), ``mix_share`` (|mix| / (|mix| + |rate|),
        0-1), ``recurring_values`` (segment values with responses in both
        periods), ``recurring_share`` (the smaller of the two periods' shares of
        responses in those values, 0-1) and ``note`` (why the dimension was
        not split, or ""; its mix and rate columns are then empty).

    Notes
    -----
    Kitagawa's (1955) symmetric decomposition (see
    :func:`mix_rate_decomposition`), computed per dimension by
    :func:`npsdiag.stats.decomposition.mix_rate`. The mix, rate and change
    are smooth functions of the per-(period, segment) totals n_ts and Σx_ts
    (x = +1 promoter, 0 passive, -1 detractor), sums over the sampled units:
    responses, or with ``cluster`` whole accounts, an account answering in
    both periods being one unit. The delta method (first-order Taylor
    linearisation, e.g. Agresti 2013 §16.1; for clustered totals Lohr 2010
    §9.1 / Binder 1983) gives each account c the linearised value
    u_c = Σ_t Σ_s [∂/∂w_ts · (n_cts - w_ts n_ct)/N_t + ∂/∂y_ts · (100 Σx_cts - y_ts n_cts)/n_ts]
    summed over both periods, and var = C/(C - 1) Σ_c u_c², as R's
    ``svycontrast`` of ``svytotal`` with ``svydesign(ids = ~account)``
    computes it (a test compares them on the demo client). The interval is
    estimate ± z·SE. With ``method="bootstrap"``, whole accounts are
    reweighted with one Poisson(1) weight for both periods (Hanley &
    MacGibbon 2006), or the responses redrawn without ``cluster``, and the
    intervals are percentile intervals.

    A segment value found in one period only contributes to mix alone, and
    its "mix" is then the arrival or departure of the value itself. When
    values do not recur (one-off events, campaigns, sites that change every
    period), the split describes that turnover rather than a change of who
    answered: a dimension is split only when at least ``min_shared`` (80%
    by default) of each period's responses carry a value found in both
    periods and at least two values recur.

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
    if method not in ("delta", "bootstrap"):
        raise ValueError(f"method must be 'delta' or 'bootstrap', not {method!r}")
    rows = period_rows(data, period, first, second, score, breaks)
    return mix_rate_summary_from_codes(rows, segment_codes(data, dimensions), first, second,
                                       cluster_codes(data, cluster, rows[0]), confidence=confidence, n_boot=n_boot,
                                       seed=seed, method=method, min_shared=min_shared)
