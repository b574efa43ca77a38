"""Building blocks of the reliability area: exclusions, feed gaps and precision.

Each takes a DataFrame (and column names) and returns a tidy DataFrame; the
owners' score-gaming blocks are in :mod:`.owners`.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...clean import REASONS
from ...fmt import period_label
from ...io import ROW
from ...stats.multiplicity import bh_adjust
from ...stats.nps import Breaks, nps_by_period, period_ordinals, to_period
from .rules import MAX_MOE, REASON_FINDING

__all__ = ["exclusion_summary", "feed_gaps", "gap_runs", "nps_trend", "sample_size_plan"]


# --------------------------------------------------------------------------- exclusions


def exclusion_summary(
    flags: pd.DataFrame,
    reason: str = "reason",
    row: str = ROW,
    n_examples: int = 5,
) -> pd.DataFrame:
    """Rows excluded from the analysis, per reason, with example row numbers.

    Parameters
    ----------
    flags : DataFrame
        One row per row read, with the exclusion reason (missing when the
        row is analysed) and the row number in the file; ``prep.flags``.
    reason, row : str
        Column names.
    n_examples : int
        How many example row numbers to list per reason.

    Returns
    -------
    DataFrame
        One row per reason that occurred, in the order of
        :data:`npsdiag.clean.REASONS`: ``reason`` (key), ``description``,
        ``rows``, ``share`` (of rows read), ``example_rows`` (row numbers in
        the file, first ones) and ``finding`` (the finding id that reports it).

    Examples
    --------
    >>> f = pd.DataFrame({"_row": [2, 3, 4, 5], "reason": [None, "duplicate", None, "duplicate"]})
    >>> exclusion_summary(f)[["reason", "rows", "example_rows"]].to_dict("records")
    [{'reason': 'duplicate', 'rows': 2, 'example_rows': '3, 5'}]
    """
    total = len(flags)
    cols = ["reason", "description", "rows", "share", "example_rows", "finding"]
    if total == 0:
        return pd.DataFrame(columns=cols)
    # one pass over the rows: integer codes of the reasons, counted; rows of a reason found on the codes
    codes, uniq = pd.factorize(flags[reason])
    codes = np.asarray(codes, dtype=np.intp)
    cnt = np.bincount(codes[codes >= 0], minlength=len(uniq))
    counts = {str(k): (i, int(v)) for i, (k, v) in enumerate(zip(uniq, cnt, strict=True)) if v > 0}
    rows = flags[row].to_numpy()
    row_ok = pd.notna(rows)
    out = []
    keys = list(REASONS) + sorted(set(counts) - set(REASONS))
    for key in keys:
        if key not in counts:
            continue
        code, n = counts[key]
        at = np.flatnonzero((codes == code) & row_ok)
        examples = sorted(int(x) for x in rows[at[:1000]])[:n_examples]
        out.append({"reason": key, "description": REASONS.get(key, key), "rows": n, "share": n / total,
                    "example_rows": ", ".join(str(x) for x in examples), "finding": REASON_FINDING.get(key, "")})
    return pd.DataFrame(out, columns=cols)


# --------------------------------------------------------------------------- feed gaps


def feed_gaps(
    data: pd.DataFrame,
    date: str = "responded_at",
    freq: str = "W",
    window: int = 13,
    confidence: float = 0.95,
    max_ratio: float = 0.5,
) -> pd.DataFrame:
    """Responses per period against the series' own level; flags abnormally low periods.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    date : str
        Response date column.
    freq : {"W", "M", "Q"}
        Period length (weeks start on Monday).
    window : int
        Width, in periods, of the centred rolling window whose median (the
        period itself left out) is the expected volume.
    confidence : float
        A period is a gap when its Benjamini-Hochberg adjusted p-value is
        below 1 - confidence ...
    max_ratio : float
        ... and it has at most ``max_ratio`` times its expected volume.

    Returns
    -------
    DataFrame
        One row per period from the first to the last response:
        ``period`` (label), ``start``, ``responses``, ``expected`` (rolling
        median), ``lower_limit`` (one-sided 1 - confidence lower limit of the
        count), ``ratio`` (responses / expected), ``p_value`` (probability
        of so few responses or fewer), ``p_adj`` (BH), ``partial`` (first or
        last period, not fully covered by the data: not tested), ``gap``.
        ``attrs["dispersion"]`` holds the overdispersion factor used.

    Notes
    -----
    The expected count of period t is the median of the counts of the
    ``window - 1`` periods around it (t itself and partial periods left
    out), a robust baseline that follows slow growth and is not pulled
    down by the gap it is testing. Counts vary more than Poisson; the
    dispersion phi is estimated robustly as the squared MAD (times 1.4826)
    of the Pearson residuals (count - expected) / sqrt(expected), at least 1.
    Each count is then referred to a negative binomial with the expected
    mean and variance phi * mean (a Poisson when phi = 1) and the one-sided
    p-values are adjusted with Benjamini-Hochberg across periods.

    References
    ----------
    .. [1] Hilbe, J. M. (2011). Negative Binomial Regression (2nd ed.).
       Cambridge University Press (the negative binomial as an overdispersed
       Poisson, variance phi * mean).
    .. [2] Benjamini, Y. & Hochberg, Y. (1995). Controlling the false
       discovery rate. JRSS B, 57(1), 289-300.

    Examples
    --------
    >>> d = pd.DataFrame({"responded_at": pd.date_range("2024-01-01", periods=200, freq="D")})
    >>> bool(feed_gaps(d)["gap"].any())
    False
    """
    cols = ["period", "start", "responses", "expected", "lower_limit", "ratio", "p_value", "p_adj", "partial",
            "gap"]
    d = pd.to_datetime(data[date]).dropna() if date in data else pd.Series(dtype="datetime64[ns]")
    if d.empty:
        out = pd.DataFrame(columns=cols)
        out.attrs["dispersion"] = float("nan")
        return out
    c, idx = _period_counts(d, freq)
    n = len(c)
    starts = idx.start_time
    ends = idx.end_time
    partial = np.zeros(n, dtype=bool)
    first, last = d.min(), d.max()
    if first.normalize() > starts[0]:
        partial[0] = True
    if last.normalize() < ends[-1].normalize():
        partial[-1] = True
    expected = _rolling_expected(c, partial, window)
    tested = ~partial & ~np.isnan(expected) & (expected > 0)
    alpha = 1 - confidence
    p, lower, phi = _low_count_tails(c, expected, tested, alpha)
    p_adj = bh_adjust(p)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(expected > 0, c / expected, np.nan)
    gap = tested & (p_adj < alpha) & (ratio <= max_ratio)
    out = pd.DataFrame({"period": [period_label(x) for x in idx], "start": starts, "responses": c.astype(int),
                        "expected": expected, "lower_limit": lower, "ratio": ratio, "p_value": p, "p_adj": p_adj,
                        "partial": partial, "gap": gap})
    out.attrs["dispersion"] = phi
    out.attrs["freq"] = freq
    return out


def _period_counts(d: pd.Series, freq: str) -> tuple[np.ndarray, pd.PeriodIndex]:
    """Responses per period from the first to the last date's period (empty periods included), and the periods."""
    ords = period_ordinals(d, freq)
    if ords is not None:  # integer period numbers and bincount: no Period objects per row
        o = ords[0]
        lo = int(o.min())
        c = np.bincount(o - lo).astype("float64")
        idx = pd.PeriodIndex.from_ordinals(np.arange(lo, lo + len(c)), freq={"W": "W-SUN"}.get(freq, freq))
    else:
        per = to_period(d, freq)
        counts = per.value_counts()
        idx = pd.period_range(per.min(), per.max(), freq=per.min().freq)
        c = counts.reindex(idx, fill_value=0).to_numpy(dtype="float64")
    return c, idx


def _rolling_expected(c: np.ndarray, partial: np.ndarray, window: int) -> np.ndarray:
    """Median of the counts of the ``window - 1`` periods around each (itself and partial periods left out).

    NaN where too few neighbours are known (fewer than 4, or than n - 3 for a short series).
    """
    n = len(c)
    base_src = np.where(partial, np.nan, c)
    h = max(window // 2, 1)
    padded = np.concatenate([np.full(h, np.nan), base_src, np.full(h, np.nan)])
    win = np.lib.stride_tricks.sliding_window_view(padded, 2 * h + 1).copy()
    win[:, h] = np.nan
    valid = (~np.isnan(win)).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmedian(win, axis=1)
    return np.where(valid >= min(4, max(n - 3, 2)), expected, np.nan)


def _low_count_tails(c: np.ndarray, expected: np.ndarray, tested: np.ndarray,
                     alpha: float) -> tuple[np.ndarray, np.ndarray, float]:
    """P(count <= c) and the alpha lower limit of each tested period's count, and the dispersion phi used.

    Negative binomial with mean ``expected`` and variance phi * mean, phi the squared scaled MAD of the Pearson
    residuals (at least 1, estimated from four tested periods or more); Poisson when phi = 1.
    """
    n = len(c)
    phi = 1.0
    if tested.sum() >= 4:
        resid = (c[tested] - expected[tested]) / np.sqrt(expected[tested])
        mad = 1.4826 * np.median(np.abs(resid - np.median(resid)))
        phi = max(1.0, float(mad**2))
    p = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    mu = expected[tested]
    if tested.any():
        if phi > 1:
            size, prob = mu / (phi - 1), 1 / phi
            p[tested] = stats.nbinom.cdf(c[tested], size, prob)
            lower[tested] = stats.nbinom.ppf(alpha, size, prob)
        else:
            p[tested] = stats.poisson.cdf(c[tested], mu)
            lower[tested] = stats.poisson.ppf(alpha, mu)
    return p, lower, phi


def gap_runs(feed: pd.DataFrame) -> pd.DataFrame:
    """Consecutive gap periods of a :func:`feed_gaps` table as runs.

    Parameters
    ----------
    feed : DataFrame
        The output of :func:`feed_gaps` (``period``, ``start``, ``responses``, ``expected``, ``gap``).

    Returns
    -------
    DataFrame
        One row per run of consecutive gap periods, in time order: ``first`` and ``last`` (period labels),
        ``start`` (of the first period), ``periods``, ``responses`` and ``expected`` (summed over the run).

    Examples
    --------
    >>> f = pd.DataFrame({"period": ["a", "b", "c", "d"], "start": pd.date_range("2024-01-01", periods=4),
    ...                   "responses": [50, 2, 3, 50], "expected": [50.0, 50.0, 50.0, 50.0],
    ...                   "gap": [False, True, True, False]})
    >>> gap_runs(f)[["first", "last", "periods", "responses"]].to_dict("records")
    [{'first': 'b', 'last': 'c', 'periods': 2, 'responses': 5}]
    """
    runs: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    gap = feed["gap"].to_numpy(dtype=bool)
    period, start = feed["period"].to_numpy(dtype=object), feed["start"].to_numpy()
    responses, expected = feed["responses"].to_numpy(), feed["expected"].to_numpy(dtype="float64")
    for i in np.flatnonzero(gap):  # only the gap periods
        if cur is not None and cur["end_index"] == i - 1:
            cur.update(end_index=i, last=period[i], periods=cur["periods"] + 1,
                       responses=cur["responses"] + int(responses[i]), expected=cur["expected"] + float(expected[i]))
        else:
            cur = {"first": period[i], "last": period[i], "start": pd.Timestamp(start[i]), "end_index": int(i),
                   "periods": 1, "responses": int(responses[i]), "expected": float(expected[i])}
            runs.append(cur)
    return pd.DataFrame(runs, columns=["first", "last", "start", "periods", "responses", "expected"])


# --------------------------------------------------------------------------- precision


def nps_trend(
    data: pd.DataFrame,
    date: str = "responded_at",
    score: str = "score",
    freq: str = "M",
    confidence: float = 0.95,
    min_n: int = 30,
    max_moe: float = MAX_MOE,
    breaks: Breaks = Breaks(),
    cluster: str | None = None,
) -> pd.DataFrame:
    """NPS per period with its interval, each point marked reportable or not.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    date, score : str
        Column names.
    freq : {"W", "M", "Q"}
        Trend period.
    confidence : float
        Confidence level of the intervals.
    min_n : int
        Fewest responses for a point to be reported.
    max_moe : float
        Largest margin of error (points) for a point to be reported as precise.
    breaks : Breaks
        Category breaks of the score.
    cluster : str, optional
        Column whose equal values answer together (an account): the
        intervals are then design-based (:func:`npsdiag.stats.nps.nps_by_period`).

    Returns
    -------
    DataFrame
        One row per period from the first to the last (empty periods
        included): ``period``, ``start``, ``n``, ``nps``, ``ci_low``,
        ``ci_high``, ``moe`` (adjusted Wald, Rocks 2016), ``deff``, ``partial`` (first
        or last period not fully covered), ``reportable`` (n >= min_n) and
        ``precise`` (reportable and moe <= max_moe), ``issue`` (plain words).

    References
    ----------
    .. [1] Rocks, B. (2016). Interval estimation for the "net promoter
       score". The American Statistician, 70(4), 365-372.

    Examples
    --------
    >>> d = pd.DataFrame({"responded_at": pd.date_range("2024-01-01", periods=90, freq="D"),
    ...                   "score": [10, 9, 5] * 30})
    >>> nps_trend(d, min_n=20)[["period", "n", "reportable"]].to_dict("records")[0]
    {'period': '2024-01', 'n': 31, 'reportable': True}
    """
    cols = ["period", "start", "n", "nps", "ci_low", "ci_high", "moe", "deff", "partial", "reportable", "precise",
            "issue"]
    out = nps_by_period(data, freq=freq, date=date, score=score, confidence=confidence, breaks=breaks,
                        min_n=min_n, cluster=cluster)[cols[:-2]]
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["precise"] = out["reportable"] & (out["moe"] <= max_moe)
    issue = np.where(out["n"] == 0, "no responses",
                     np.where(~out["reportable"], f"fewer than {min_n} responses",
                              np.where(~out["precise"], f"margin above ±{max_moe:g} points", "")))
    out["issue"] = np.where(out["partial"], np.where(issue == "", "partial period",
                                                     np.char.add("partial period; ", issue.astype(str))), issue)
    return out


def sample_size_plan(
    p_promoters: float,
    p_detractors: float,
    changes: tuple[float, ...] = (5, 10),
    power: float = 0.8,
    confidence: float = 0.95,
    current_n: float | None = None,
    deff: float = 1.0,
) -> pd.DataFrame:
    """Responses needed per period to detect a change in NPS between two periods.

    Parameters
    ----------
    p_promoters, p_detractors : float
        Current shares of promoters and detractors (0-1), which set the
        variance of one response.
    changes : tuple of float
        Changes to detect, in NPS points.
    power : float
        Probability of detecting a real change of that size.
    confidence : float
        1 - two-sided significance level of the test.
    current_n : float, optional
        Responses per period today, to say how many periods would have to be
        pooled and which change is detectable now.
    deff : float
        Design effect of a period's NPS (accounts answering many times): the
        responses needed grow in proportion (values below 1 are taken as 1).

    Returns
    -------
    DataFrame
        One row per change: ``change_points``, ``responses_needed_per_period``,
        ``variance`` (per response, times the design effect), ``power``, ``alpha``,
        ``current_responses_per_period``, ``periods_to_pool`` (periods of the
        current volume to pool on each side), ``detectable_change_now``
        (points, with the current volume per period).

    Notes
    -----
    Two independent periods with the same variance
    var = p_pro + p_det - (p_pro - p_det)^2 (Rocks 2016); the two-sample
    Wald test detects a change delta (on the -1..1 scale) with the given
    power when n = (z_{1 - alpha/2} + z_{power})^2 * 2 var / delta^2
    responses per period (rounded up). The detectable change with n
    responses is (z_{1 - alpha/2} + z_{power}) * sqrt(2 var / n).

    References
    ----------
    .. [1] Rocks, B. (2016). Interval estimation for the "net promoter
       score". The American Statistician, 70(4), 365-372.

    Examples
    --------
    NPS 0 with 30% passives (var = 0.7), 10 points, 80% power, alpha 5%:
    (1.95996 + 0.84162)^2 * 1.4 / 0.01 = 1098.8, i.e. 1,099 per period.

    >>> int(sample_size_plan(0.35, 0.35, changes=(10,))["responses_needed_per_period"].iloc[0])
    1099
    """
    var = (p_promoters + p_detractors - (p_promoters - p_detractors) ** 2) * max(float(deff), 1.0)
    alpha = 1 - confidence
    zsum = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    rows = []
    for ch in changes:
        delta = ch / 100
        need = math.ceil(zsum**2 * 2 * var / delta**2) if var > 0 else 0
        row = {"change_points": float(ch), "responses_needed_per_period": int(need), "variance": float(var),
               "power": power, "alpha": alpha, "current_responses_per_period": np.nan, "periods_to_pool": np.nan,
               "detectable_change_now": np.nan}
        if current_n is not None and current_n > 0:
            row["current_responses_per_period"] = float(current_n)
            row["periods_to_pool"] = int(math.ceil(need / current_n)) if need else 1
            row["detectable_change_now"] = float(100 * zsum * math.sqrt(2 * var / current_n))
        rows.append(row)
    return pd.DataFrame(rows)
