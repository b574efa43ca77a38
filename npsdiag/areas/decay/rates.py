"""Response rates and response latency: do customers still answer, and how soon?

:func:`response_rates` gives the share of invitations answered per calendar
period (Wilson intervals), :func:`response_rate_trend` its logistic trend
over time and :func:`response_latency` the delay between invitation and
response. Invitations are matched to responses by
:func:`npsdiag.linking.match_invitations`.

References
----------
.. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and
   statistical inference. JASA 22(158), 209-212.
.. [2] Conover, W. J. (1999). Practical Nonparametric Statistics, 3rd ed.,
   section 3.2 (distribution-free confidence interval for a quantile).
.. [3] Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to
   cluster-robust inference. Journal of Human Resources, 50(2), 317-372.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ...linking import NAT, RESPONSE_WINDOW_DAYS, as_ns, on_time_grid
from ...stats.medians import median_ci
from ...stats.proportions import wilson_interval
from ...stats.result import Result
from .models import binomial_greater, fit_logit
from .periods import period_keys, period_labels, period_starts
from .rules import LATENCY_LONG_DAYS, LATENCY_LONG_SHARE, LATENCY_MEDIAN_DAYS

__all__ = ["DAYS_PER_YEAR", "ResponseRateTrend", "ResponseLatency", "response_rates", "response_rate_trend",
           "response_latency"]

#: Days in an average year (the trend's time unit).
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class ResponseRateTrend(Result):
    """The logistic trend of the response rate over time (:func:`response_rate_trend`).

    Attributes
    ----------
    n, n_responded : int
        Invitations with a complete response window, and those answered.
    years : float
        Span of the invitations, in years.
    rate_start, rate_end : float
        Fitted response rates at the first and the last invitation.
    change_points_per_year, ci_low, ci_high : float
        Average marginal effect of time, in percentage points per year, with
        its delta-method interval.
    odds_ratio_per_year, p_value : float
        ``exp(b1)`` and the Wald test of ``b1 = 0``.
    covariance : str or None
        The standard errors used (None when the trend could not be fitted).
    reason : str or None
        Why the trend could not be estimated (the estimates are then NaN).
    """

    n: int
    n_responded: int = 0
    years: float = math.nan
    rate_start: float = math.nan
    rate_end: float = math.nan
    change_points_per_year: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    odds_ratio_per_year: float = math.nan
    p_value: float = math.nan
    covariance: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ResponseLatency(Result):
    """The delay between invitation and response (:func:`response_latency`).

    Attributes
    ----------
    n : int
        Responses with a (non-negative) latency.
    median_days, median_ci_low, median_ci_high : float
        Median delay in days with its order-statistic interval.
    p75_days, p90_days : float
        75th and 90th percentiles.
    share_over_long, over_long_ci_low, over_long_ci_high : float
        Share answering after ``long_days``, with its Wilson interval.
    p_median : float
        One-sided sign test that the median exceeds ``median_threshold``.
    p_long : float
        One-sided exact binomial test that the share after ``long_days``
        exceeds the tolerated share.
    long_days, median_threshold : float
        The thresholds tested.
    """

    n: int
    median_days: float
    median_ci_low: float
    median_ci_high: float
    p75_days: float
    p90_days: float
    share_over_long: float
    over_long_ci_low: float
    over_long_ci_high: float
    p_median: float
    p_long: float
    long_days: float
    median_threshold: float


def _complete_mask(t: np.ndarray, window_days: float, end: pd.Timestamp | None) -> np.ndarray:
    """Invitations (int64 ns send times) whose whole response window lies before ``end`` (the rest are censored)."""
    ok = t != NAT
    if end is not None:
        ok &= t <= (pd.Timestamp(end) - pd.Timedelta(days=window_days)).value
    return ok


def _answered(d: pd.DataFrame, window_days: float) -> np.ndarray:
    """Answered within the window (a missing latency with ``responded`` counts as answered)."""
    lat = pd.to_numeric(d["response_latency_days"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    resp = d["responded"].to_numpy(dtype=bool, na_value=False)
    with np.errstate(invalid="ignore"):
        return resp & (np.isnan(lat) | (lat <= window_days))


def response_rates(
    matched: pd.DataFrame,
    invited: str = "invited_at",
    period: str = "M",
    window_days: float = RESPONSE_WINDOW_DAYS,
    end: pd.Timestamp | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Response rate per calendar period of invitation, with Wilson intervals.

    Parameters
    ----------
    matched : DataFrame
        Output of :func:`npsdiag.linking.match_invitations` (``responded`` and
        ``response_latency_days`` per invitation).
    invited : str
    period : {"M", "Q", "W"}
    window_days : float
        An invitation counts as answered when a response follows within it.
    end : Timestamp, optional
        End of the data: invitations sent less than ``window_days`` before it
        are left out (their outcome is not known yet).
    confidence : float

    Returns
    -------
    DataFrame
        ``period``, ``period_start``, ``invited``, ``responded``,
        ``response_rate``, ``ci_low``, ``ci_high``.

    Examples
    --------
    >>> m = pd.DataFrame({"invited_at": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-02-03"]),
    ...                   "responded": [True, False, True], "response_latency_days": [2.0, None, 40.0]})
    >>> response_rates(m)[["period", "invited", "responded"]].values.tolist()  # 40 days: after the window
    [['2024-01', 2, 1], ['2024-02', 1, 0]]
    """
    cols = ["period", "period_start", "invited", "responded", "response_rate", "ci_low", "ci_high"]
    f = {"M": "M", "Q": "Q", "W": "W"}.get(period, "M")
    t = as_ns(matched[invited])
    ok = _complete_mask(t, window_days, end)
    if end is not None and ok.any():
        # whole periods only: the period in which the complete window ends would be a partial point
        cutoff = pd.Timestamp(end) - pd.Timedelta(days=window_days)
        last = cutoff.to_period(f)
        if cutoff < last.end_time.floor("D"):
            ok &= t < last.start_time.value
    if not ok.any():
        return pd.DataFrame(columns=cols)
    keys = period_keys(t[ok], f)
    present = np.bincount(keys - keys.min()) > 0  # periods are few: count rather than sort
    uniq = np.flatnonzero(present) + keys.min()
    idx = (np.cumsum(present) - 1)[keys - keys.min()]
    answered = _answered(matched, window_days)[ok]
    out = pd.DataFrame({"invited": np.bincount(idx, minlength=len(uniq)),
                        "responded": np.bincount(idx, weights=answered, minlength=len(uniq)).astype(int)})
    out["period_start"] = period_starts(uniq, f)
    out["period"] = period_labels(pd.Series(out["period_start"]), f).to_numpy()
    out["response_rate"] = out["responded"] / out["invited"]
    lo, hi = wilson_interval(out["responded"], out["invited"], confidence)
    out["ci_low"], out["ci_high"] = lo, hi
    return out[cols]


def response_rate_trend(
    matched: pd.DataFrame,
    invited: str = "invited_at",
    cluster: str | None = "respondent_id",
    window_days: float = RESPONSE_WINDOW_DAYS,
    end: pd.Timestamp | None = None,
    confidence: float = 0.95,
) -> ResponseRateTrend:
    """Trend of the response rate over time: logistic regression of answered on time.

    Parameters
    ----------
    matched : DataFrame
        Output of :func:`npsdiag.linking.match_invitations`.
    invited : str
    cluster : str, optional
        Column to cluster standard errors on (invitations of one respondent
        are not independent).
    window_days : float
    end : Timestamp, optional
        As for :func:`response_rates`.
    confidence : float

    Returns
    -------
    ResponseRateTrend
        ``n``, ``n_responded``, ``years`` (span of the data), ``rate_start``
        and ``rate_end`` (fitted at the first and last invitation),
        ``change_points_per_year`` (average marginal effect of time, in
        percentage points per year) with ``ci_low``/``ci_high``,
        ``odds_ratio_per_year``, ``p_value``, ``covariance``; ``reason`` when
        it cannot be estimated (then the estimates are NaN).

    Notes
    -----
    ``logit P(answered) = b0 + b1 * years since the first invitation``,
    fitted on the binomial counts per distinct invitation time (the same
    maximum-likelihood estimates as a per-invitation ``Logit``; errors
    clustered by respondent as statsmodels' CRV1); the change per year is the
    average marginal effect ``mean(p(1-p)) * b1`` with its delta-method
    interval (as statsmodels ``get_margeff(at="overall")``).

    Examples
    --------
    >>> rng = np.random.default_rng(9)
    >>> days = rng.integers(0, 730, 3000)
    >>> m = pd.DataFrame({"invited_at": pd.Timestamp("2023-01-01") + pd.to_timedelta(days, unit="D")})
    >>> m["responded"] = rng.random(3000) < 0.5 - 0.1 * days / 365.25
    >>> m["response_latency_days"] = 1.0
    >>> t = response_rate_trend(m, cluster=None)
    >>> t.n, t.covariance, bool(t.ci_high < 0)  # the planted fall of 10 points a year
    (3000, 'model-based', True)
    """
    ti = as_ns(matched[invited])
    ok = _complete_mask(ti, window_days, end)
    n = int(ok.sum())
    if n == 0:
        return ResponseRateTrend(n, reason="no invitation with a complete response window")
    y = _answered(matched, window_days)[ok]
    ti = ti[ok]
    t = ((ti - ti.min()) / 1e9) / 86400 / DAYS_PER_YEAR  # total seconds, then years (as Timedelta.total_seconds)
    n_responded, years = int(y.sum()), float(t.max())
    groups = matched[cluster].to_numpy()[ok] if cluster and cluster in matched else None
    res, kind = fit_logit(y, pd.DataFrame({"const": 1.0, "years": t}), groups, cluster_name="respondent",
                          patterns=[on_time_grid(ti - ti.min())])
    if res is None:
        return ResponseRateTrend(n, n_responded, years, reason=kind)
    b0, b1 = float(res.params.iloc[0]), float(res.params.iloc[1])
    me, se = res.average_marginal_effect("years")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    change, lo, hi = me * 100, (me - z * se) * 100, (me + z * se) * 100
    return ResponseRateTrend(n, n_responded, years, rate_start=float(1 / (1 + math.exp(-b0))),
                             rate_end=float(1 / (1 + math.exp(-(b0 + b1 * t.max())))),
                             change_points_per_year=change, ci_low=lo, ci_high=hi, odds_ratio_per_year=math.exp(b1),
                             p_value=float(res.pvalues.iloc[1]), covariance=kind)


def response_latency(
    data: pd.DataFrame,
    latency: str = "response_latency_days",
    confidence: float = 0.95,
    median_days: float = LATENCY_MEDIAN_DAYS,
    long_days: float = LATENCY_LONG_DAYS,
    long_share: float = LATENCY_LONG_SHARE,
) -> ResponseLatency:
    """Distribution of the delay between invitation and response.

    Parameters
    ----------
    data : DataFrame
        One row per answered invitation (or response with its invitation
        date), with the latency in days; negative values are ignored.
    latency : str
    confidence : float
    median_days, long_days, long_share : float
        Thresholds: a median above ``median_days``, or more than
        ``long_share`` of responses after ``long_days``, is slow.

    Returns
    -------
    ResponseLatency
        ``n``, ``median_days`` with ``median_ci_low``/``median_ci_high``,
        ``p75_days``, ``p90_days``, ``share_over_long`` with
        ``over_long_ci_low``/``over_long_ci_high``, ``p_median`` (one-sided
        sign test that the median exceeds ``median_days``) and ``p_long``
        (one-sided exact binomial test that the share after ``long_days``
        exceeds ``long_share``), with the thresholds ``long_days`` and
        ``median_threshold``.

    Examples
    --------
    >>> r = response_latency(pd.DataFrame({"response_latency_days": [0, 1, 1, 2, 9]}))
    >>> r.median_days, r.share_over_long
    (1.0, 0.2)
    """
    x = pd.to_numeric(data[latency], errors="coerce").dropna()
    x = x[x >= 0].to_numpy(dtype=float)
    n = len(x)
    med = median_ci(x, confidence)
    k_long = int((x > long_days).sum())
    lo2, hi2 = wilson_interval(k_long, n, confidence)
    return ResponseLatency(
        n=n, median_days=med.median, median_ci_low=med.ci_low, median_ci_high=med.ci_high,
        p75_days=float(np.percentile(x, 75)) if n else math.nan,
        p90_days=float(np.percentile(x, 90)) if n else math.nan,
        share_over_long=k_long / n if n else math.nan, over_long_ci_low=float(lo2), over_long_ci_high=float(hi2),
        p_median=binomial_greater(int((x > median_days).sum()), int((x != median_days).sum()), 0.5),
        p_long=binomial_greater(k_long, n, long_share), long_days=long_days, median_threshold=median_days)


