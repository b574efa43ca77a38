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

__all__ = ["exclusion_summary", "response_coverage", "feed_gaps", "invitation_exposure", "gap_runs", "survey_waves",
           "wave_gaps", "nps_trend", "sample_size_plan", "WAVE_QUIET_SHARE", "WAVE_MIN_PEAK", "WAVE_MAX_ACTIVE",
           "WAVE_MAX_DAYS", "MISSING_WAVE_FACTOR"]


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


def response_coverage(
    responses: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    account: str = "account_id",
    n_rows: int | None = None,
) -> pd.DataFrame:
    """How many of the accounts responded: the response coverage of a flat export (one row per account).

    Parameters
    ----------
    responses : DataFrame
        The analysed responses.
    accounts : DataFrame, optional
        Every account (e.g. the accounts table of a flat export), with the ``account`` column.
    account : str
        Account id column.
    n_rows : int, optional
        Rows of the export, counted as accounts when neither table has account ids.

    Returns
    -------
    DataFrame
        One row: ``accounts`` (in the base), ``responding_accounts`` (with at least one analysed response)
        and ``coverage`` (their share).

    Examples
    --------
    >>> acc = pd.DataFrame({"account_id": ["a", "b", "c", "d"]})
    >>> response_coverage(pd.DataFrame({"account_id": ["b", "b", "d"]}), acc).to_dict("records")[0]
    {'accounts': 4, 'responding_accounts': 2, 'coverage': 0.5}
    """
    if accounts is not None and account in accounts and account in responses:
        base = pd.Index(accounts[account].dropna().unique())
        n_acc = len(base)
        responding = int(base.isin(responses[account].dropna().unique()).sum())
    else:
        n_acc = int(n_rows if n_rows is not None else len(responses))
        responding = len(responses)
    return pd.DataFrame({"accounts": [n_acc], "responding_accounts": [responding],
                         "coverage": [responding / n_acc if n_acc else float("nan")]})


# --------------------------------------------------------------------------- feed gaps


def feed_gaps(
    data: pd.DataFrame,
    date: str = "responded_at",
    freq: str = "W",
    window: int = 13,
    confidence: float = 0.95,
    max_ratio: float = 0.5,
    exposure: pd.Series | None = None,
) -> pd.DataFrame:
    """Responses per period against the series' own level, or against the invitations sent; flags abnormally low
    periods.

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
        period itself left out) is the expected volume (or response rate).
    confidence : float
        A period is a gap when its Benjamini-Hochberg adjusted p-value is
        below 1 - confidence ...
    max_ratio : float
        ... and it has at most ``max_ratio`` times its expected volume.
    exposure : Series, optional
        The responses each period's invitations should bring in at the
        usual response rate, indexed by period (:func:`invitation_exposure`).
        The expected volume then follows the invitations: a period that no
        invitation reaches expects no response and is not tested, and the
        periods run on to the last invitation's (a feed that died before the
        export shows).

    Returns
    -------
    DataFrame
        One row per period from the first to the last response (or
        invitation): ``period`` (label), ``start``, ``responses``,
        ``exposure`` (NaN without invitations), ``expected``, ``lower_limit``
        (one-sided 1 - confidence lower limit of the count), ``ratio``
        (responses / expected), ``p_value`` (probability of so few responses
        or fewer), ``p_adj`` (BH), ``partial`` (first or last period, not
        fully covered by the data: not tested), ``gap``.
        ``attrs["dispersion"]`` holds the overdispersion factor used and
        ``attrs["basis"]`` ``"own level"`` or ``"invitations"``.

    Notes
    -----
    Without invitations the expected count of period t is the median of the
    counts of the ``window - 1`` periods around it (t itself and partial
    periods left out), a robust baseline that follows slow growth and is not
    pulled down by the gap it is testing. With invitations it is the
    period's exposure E_t times the median, over the same neighbours, of
    the ratio count / exposure (the response rate relative to the pooled
    one: it follows a drifting rate; the median over every tested period
    where fewer than four neighbours are known, e.g. in a survey sent in
    waves). Periods whose exposure is below one response (or a tenth of the
    median exposure) are not tested. Counts vary more than Poisson; the
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
    cols = ["period", "start", "responses", "exposure", "expected", "lower_limit", "ratio", "p_value", "p_adj",
            "partial", "gap"]
    d = pd.to_datetime(data[date]).dropna() if date in data else pd.Series(dtype="datetime64[ns]")
    if d.empty:
        out = pd.DataFrame(columns=cols)
        out.attrs["dispersion"] = float("nan")
        return out
    c, idx = _period_counts(d, freq, exposure.index if exposure is not None and len(exposure) else None)
    n = len(c)
    starts = idx.start_time
    ends = idx.end_time
    partial = np.zeros(n, dtype=bool)
    first, last = d.min(), d.max()
    if first.normalize() > starts[0]:
        partial[0] = True
    if last.normalize() < ends[-1].normalize() or (exposure is not None and idx[-1] > d.dt.to_period(idx.freq).max()):
        partial[-1] = True
    if exposure is None:
        ex = np.full(n, np.nan)
        expected = _rolling_expected(c, partial, window)
    else:
        ex = exposure.reindex(idx, fill_value=0.0).to_numpy(dtype="float64")
        expected = _expected_from_exposure(c, ex, partial, window)
    tested = ~partial & ~np.isnan(expected) & (expected > 0)
    alpha = 1 - confidence
    p, lower, phi = _low_count_tails(c, expected, tested, alpha)
    p_adj = bh_adjust(p)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(expected > 0, c / expected, np.nan)
    gap = tested & (p_adj < alpha) & (ratio <= max_ratio)
    out = pd.DataFrame({"period": [period_label(x) for x in idx], "start": starts, "responses": c.astype(int),
                        "exposure": ex, "expected": expected, "lower_limit": lower, "ratio": ratio, "p_value": p,
                        "p_adj": p_adj, "partial": partial, "gap": gap})
    out.attrs["dispersion"] = phi
    out.attrs["freq"] = freq
    out.attrs["basis"] = "own level" if exposure is None else "invitations"
    return out


def _period_counts(d: pd.Series, freq: str, more: pd.PeriodIndex | None = None) -> tuple[np.ndarray, pd.PeriodIndex]:
    """Responses per period from the first to the last date's period (empty periods included), and the periods.

    ``more``: periods the range must also cover (e.g. those of the invitations).
    """
    pfreq = {"W": "W-SUN"}.get(freq, freq)
    ords = period_ordinals(d, freq)
    if ords is not None:  # integer period numbers and bincount: no Period objects per row
        o = ords[0]
        lo, hi = int(o.min()), int(o.max())
        if more is not None:
            lo, hi = min(lo, int(more.asi8.min())), max(hi, int(more.asi8.max()))
        c = np.bincount(o - lo, minlength=hi - lo + 1).astype("float64")
        idx = pd.PeriodIndex.from_ordinals(np.arange(lo, lo + len(c)), freq=pfreq)
    else:
        per = to_period(d, freq)
        counts = per.value_counts()
        lo, hi = per.min(), per.max()
        if more is not None:
            lo, hi = min(lo, more.min()), max(hi, more.max())
        idx = pd.period_range(lo, hi, freq=per.min().freq)
        c = counts.reindex(idx, fill_value=0).to_numpy(dtype="float64")
    return c, idx


#: An invitation period whose exposure is below this many responses (or below :data:`_EXPOSURE_MIN_SHARE` of the
#: median exposure) expects too little to be tested.
_EXPOSURE_MIN = 1.0
_EXPOSURE_MIN_SHARE = 0.1


def _expected_from_exposure(c: np.ndarray, ex: np.ndarray, partial: np.ndarray, window: int) -> np.ndarray:
    """Each period's exposure times the usual response rate around it (see :func:`feed_gaps`); NaN where the
    invitations give the period too little exposure to be tested."""
    positive = ex[ex > 0]
    floor = max(_EXPOSURE_MIN, _EXPOSURE_MIN_SHARE * float(np.median(positive))) if len(positive) else np.inf
    usable = ~partial & (ex >= floor)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(usable, c / ex, np.nan)
    local = _rolling_expected(rate, ~usable, window)
    pooled = float(np.nanmedian(rate)) if usable.any() else np.nan
    rel = np.where(np.isnan(local), pooled, local)
    return np.where(ex >= floor, ex * rel, np.nan)


def invitation_exposure(
    matched: pd.DataFrame,
    freq: str = "W",
    invited: str = "invited_at",
    responded: str = "matched_responded_at",
    max_lag: int = 8,
) -> pd.Series:
    """The responses each period should receive from the invitations sent, at the pooled response rate.

    Parameters
    ----------
    matched : DataFrame
        One row per invitation, with the response it led to where there was
        one (:func:`npsdiag.linking.match_invitations`).
    freq : {"W", "M", "Q"}
        Period length.
    invited, responded : str
        Invitation date and matched response date (missing when unanswered).
    max_lag : int
        Longest wait, in periods, between an invitation and its response that
        is counted (later answers are rare and left out).

    Returns
    -------
    Series
        Expected responses per period (indexed by period) from the first to
        the last invitation's: sum over k of the invitations sent k periods
        before times q_k, the share of invitations answered k periods after
        they were sent (pooled over the invitations at least ``max_lag``
        periods older than the last, whose answers are all in the data).

    Examples
    --------
    Four invitations a week; of the first week's, one is answered the same week and one the week after:
    q = (1/4, 1/4), so the first week expects 4 / 4 = 1 response and the second 4 / 4 + 4 / 4 = 2.

    >>> sent = pd.to_datetime(["2024-01-01"] * 4 + ["2024-01-08"] * 4)
    >>> answered = pd.to_datetime(["2024-01-03", "2024-01-10", None, None, "2024-01-09", None, None, None])
    >>> m = pd.DataFrame({"invited_at": sent, "matched_responded_at": answered})
    >>> invitation_exposure(m, max_lag=1).tolist()
    [1.0, 2.0]
    """
    t = pd.to_datetime(matched[invited])
    ok = t.notna().to_numpy()
    if not ok.any():
        return pd.Series(dtype="float64")
    o_inv = period_ordinals(t[ok], freq)[0]
    resp = pd.to_datetime(matched[responded])[ok]
    answered = resp.notna().to_numpy()
    o_resp = period_ordinals(resp.where(answered, t[ok]), freq)[0]
    lag = np.clip(o_resp - o_inv, 0, None)
    lo, hi = int(o_inv.min()), int(o_inv.max())
    settled = o_inv <= hi - max_lag
    if settled.sum() < max(1, len(o_inv) // 5):  # a short series: every invitation
        settled[:] = True
    keep = settled & answered & (lag <= max_lag)
    q = np.bincount(lag[keep], minlength=max_lag + 1)[: max_lag + 1] / settled.sum()
    sent = np.bincount(o_inv - lo, minlength=hi - lo + 1).astype("float64")
    x = np.convolve(sent, q)[: len(sent)]
    return pd.Series(x, index=pd.PeriodIndex.from_ordinals(np.arange(lo, hi + 1), freq={"W": "W-SUN"}.get(freq, freq)))


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


# --------------------------------------------------------------------------- surveys sent in waves

#: A period is quiet (between waves) when it has at most this share of the survey's peak volume (the 90th
#: percentile of responses per period) ...
WAVE_QUIET_SHARE = 0.05
#: ... the peak must reach this many responses per period for waves to be told from a thin feed, ...
WAVE_MIN_PEAK = 10
#: ... and at most this share of the periods may be active: a survey sent in waves is quiet most of the time.
WAVE_MAX_ACTIVE = 0.5
#: ... and each wave is collected within about this many days (a longer stretch of responses is a continuous feed,
#: whatever silence follows it).
WAVE_MAX_DAYS = 100
#: Two consecutive waves further apart than this many times the survey's usual interval leave a wave out.
MISSING_WAVE_FACTOR = 1.6


_PERIOD_DAYS = {"W": 7.0, "M": 30.44, "Q": 91.31}


def survey_waves(
    data: pd.DataFrame,
    date: str = "responded_at",
    freq: str = "W",
    quiet: float = WAVE_QUIET_SHARE,
    min_peak: float = WAVE_MIN_PEAK,
    max_active: float = WAVE_MAX_ACTIVE,
) -> pd.DataFrame:
    """The waves of a survey sent in waves (a relationship NPS each quarter or year); empty for a continuous feed.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    date : str
        Response date column.
    freq : {"W", "M", "Q"}
        Period length.
    quiet, min_peak, max_active : float
        A period is quiet with at most ``quiet`` times the peak volume (the
        90th percentile of responses per period); the responses come in
        waves when the peak reaches ``min_peak``, at most ``max_active`` of
        the periods are active and quiet stretches of two periods or more
        separate bursts, each collected within :data:`WAVE_MAX_DAYS` (a longer
        stretch of responses is a continuous feed, whatever silence follows).

    Returns
    -------
    DataFrame
        One row per wave in time order: ``wave`` (1, 2...), ``first`` and
        ``last`` (period labels), ``start`` and ``end`` (its first and last
        response), ``periods``, ``responses``, ``quiet_after`` (periods
        until the next wave) and ``between`` (responses in them, late
        answers). Empty when the responses come continuously (or are too
        few to tell).

    Examples
    --------
    Three two-week waves, a quarter apart:

    >>> days = [d for q in range(3) for d in pd.date_range(f"2024-{1 + 3 * q:02d}-01", periods=14, freq="D")]
    >>> w = survey_waves(pd.DataFrame({"responded_at": [d for d in days for _ in range(5)]}))
    >>> w[["wave", "first", "periods", "responses"]].to_dict("records")[0]
    {'wave': 1, 'first': 'week of 2024-01-01', 'periods': 2, 'responses': 70}
    """
    cols = ["wave", "first", "last", "start", "end", "periods", "responses", "quiet_after", "between"]
    empty = pd.DataFrame(columns=cols)
    d = pd.to_datetime(data[date]).dropna() if date in data else pd.Series(dtype="datetime64[ns]")
    if len(d) < 2:
        return empty
    c, idx = _period_counts(d, freq)
    peak = float(np.quantile(c, 0.9))
    active = c > quiet * peak
    if len(c) < 8 or peak < min_peak or active.mean() > max_active:
        return empty
    on = np.flatnonzero(active)
    breaks = np.flatnonzero(np.diff(on) - 1 >= 2)  # quiet stretches of two periods or more end a wave
    if not len(breaks):
        return empty
    firsts, lasts = on[np.r_[0, breaks + 1]], on[np.r_[breaks, len(on) - 1]]
    longest = max(2 if freq == "Q" else 1, int(WAVE_MAX_DAYS // _PERIOD_DAYS.get(freq, 7)))
    if (lasts - firsts + 1 > longest).any():  # a stretch longer than a survey wave: a continuous feed
        return empty
    o = pd.Series(d.to_numpy()).sort_values()
    per = period_ordinals(o, freq)[0] - int(idx.asi8[0])
    rows = []
    for i, (f, la) in enumerate(zip(firsts, lasts, strict=True)):
        inside = o[(per >= f) & (per <= la)]
        nxt = firsts[i + 1] if i + 1 < len(firsts) else None
        rows.append({"wave": i + 1, "first": period_label(idx[f]), "last": period_label(idx[la]),
                     "start": inside.min(), "end": inside.max(), "periods": int(la - f + 1),
                     "responses": int(c[f: la + 1].sum()),
                     "quiet_after": int(nxt - la - 1) if nxt is not None else 0,
                     "between": int(c[la + 1: nxt].sum()) if nxt is not None else 0})
    return pd.DataFrame(rows, columns=cols)


def wave_gaps(
    waves: pd.DataFrame,
    confidence: float = 0.95,
    max_ratio: float = 0.5,
    missing_factor: float = MISSING_WAVE_FACTOR,
) -> pd.DataFrame:
    """Waves of a survey that are missing or abnormally small, against the survey's own rhythm.

    Parameters
    ----------
    waves : DataFrame
        The output of :func:`survey_waves`.
    confidence : float
        A wave is short when its Benjamini-Hochberg adjusted p-value is below
        1 - confidence ...
    max_ratio : float
        ... and it has at most ``max_ratio`` times the other waves' volume.
    missing_factor : float
        A wave is missing where two consecutive waves start further apart
        than ``missing_factor`` times the usual interval (the median).

    Returns
    -------
    DataFrame
        One row per wave tested and per missing wave, in time order:
        ``kind`` ("wave" or "missing wave"), ``first`` and ``last`` (period
        labels: of the wave, or of the quiet stretch where a wave is
        missing), ``start``, ``periods``, ``responses``, ``expected``,
        ``p_value``, ``p_adj`` (missing waves: none) and ``gap``.
        ``attrs``: ``rhythm_days`` (median days between wave starts),
        ``dispersion`` and ``tested`` (waves tested).

    Notes
    -----
    The last wave may still be collecting answers and is not tested. With
    four waves or more each earlier wave's responses are compared with the
    median of the other earlier waves' (leave-one-out), referred to a
    negative binomial whose dispersion is estimated robustly as in
    :func:`feed_gaps`; one-sided p-values, Benjamini-Hochberg across waves.
    With three waves or more, an interval between wave starts of at least
    ``missing_factor`` times the median leaves round(interval / median) - 1
    waves out; their expected responses are the median wave's.

    Examples
    --------
    >>> w = pd.DataFrame({"wave": [1, 2, 3, 4], "first": ["a", "b", "c", "d"], "last": ["a", "b", "c", "d"],
    ...                   "start": pd.to_datetime(["2024-01-01", "2024-04-01", "2024-10-01", "2025-01-01"]),
    ...                   "end": pd.to_datetime(["2024-01-07", "2024-04-07", "2024-10-07", "2025-01-07"]),
    ...                   "periods": 1, "responses": [500, 480, 510, 490], "quiet_after": [12, 25, 12, 0],
    ...                   "between": [3, 2, 1, 0]})
    >>> wave_gaps(w).query("gap")[["kind", "first", "last", "expected"]].to_dict("records")
    [{'kind': 'missing wave', 'first': 'b', 'last': 'c', 'expected': 500.0}]
    """
    cols = ["kind", "first", "last", "start", "periods", "responses", "expected", "p_value", "p_adj", "gap"]
    out = pd.DataFrame(columns=cols)
    out.attrs.update(rhythm_days=float("nan"), dispersion=float("nan"), tested=0)
    k = len(waves)
    if k < 3:
        return out
    size = waves["responses"].to_numpy(dtype="float64")
    starts = pd.to_datetime(waves["start"])
    gaps_days = np.diff(starts.to_numpy()).astype("timedelta64[s]").astype("float64") / 86400
    rhythm = float(np.median(gaps_days))
    rows = []
    tested = np.zeros(k, dtype=bool)
    tested[: k - 1] = k >= 4  # the last wave may still be collecting
    expected = np.full(k, np.nan)
    for i in np.flatnonzero(tested):
        expected[i] = float(np.median(np.delete(size[: k - 1], i)))
    p, _, phi = _low_count_tails(size, expected, tested, 1 - confidence)
    p_adj = bh_adjust(p)
    typical = float(np.median(size[: k - 1]))
    for i in range(k):
        if tested[i]:
            w = waves.iloc[i]
            rows.append({"kind": "wave", "first": w["first"], "last": w["last"], "start": w["start"],
                         "periods": int(w["periods"]), "responses": int(size[i]), "expected": expected[i],
                         "p_value": p[i], "p_adj": p_adj[i],
                         "gap": bool(p_adj[i] < 1 - confidence and size[i] <= max_ratio * expected[i])})
        if i < k - 1 and gaps_days[i] >= missing_factor * rhythm:
            w, nxt = waves.iloc[i], waves.iloc[i + 1]
            missing = max(int(round(gaps_days[i] / rhythm)) - 1, 1)
            rows.append({"kind": "missing wave", "first": w["last"], "last": nxt["first"], "start": w["end"],
                         "periods": int(w["quiet_after"]), "responses": int(w["between"]),
                         "expected": typical * missing, "p_value": np.nan, "p_adj": np.nan, "gap": True})
    out = pd.DataFrame(rows, columns=cols)
    out.attrs.update(rhythm_days=rhythm, dispersion=phi, tested=int(tested.sum()))
    return out


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
