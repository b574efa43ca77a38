"""Medians with a distribution-free confidence interval (order statistics).

References
----------
.. [1] Conover, W. J. (1999). Practical Nonparametric Statistics, 3rd ed.,
   section 3.2 (distribution-free confidence interval for a quantile).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .result import Result

__all__ = ["MedianCI", "median_ci", "median_ci_sorted"]


@dataclass(frozen=True)
class MedianCI(Result):
    """A median with its order-statistic interval (:func:`median_ci`).

    Attributes
    ----------
    median : float
        NaN for an empty sample.
    ci_low, ci_high : float
        The interval's bounds; NaN when the sample is too small for the
        requested confidence (fewer than 6 values at 95 %).
    n : int
        Values used (missing values left out).
    """

    median: float
    ci_low: float
    ci_high: float
    n: int


def median_ci(values, confidence: float = 0.95) -> MedianCI:
    """Median with a distribution-free (order-statistic) confidence interval.

    Parameters
    ----------
    values : array-like
        NaN values are ignored.
    confidence : float

    Returns
    -------
    MedianCI
        ``median``, ``ci_low``, ``ci_high`` (NaN when the sample is too small
        for the requested confidence) and ``n``.

    Notes
    -----
    The interval is ``(x_(l), x_(n-l+1))`` with ``l`` the smallest integer for
    which ``P(B <= l) >= alpha/2``, ``B ~ Binomial(n, 1/2)``; its coverage is
    at least the nominal one (Conover 1999, section 3.2).

    Examples
    --------
    >>> r = median_ci(range(1, 11))
    >>> r.median, r.ci_low, r.ci_high
    (5.5, 2.0, 9.0)
    """
    x = np.sort(np.asarray(pd.to_numeric(pd.Series(values), errors="coerce").dropna(), dtype=float))
    return median_ci_sorted(x, confidence)


def median_ci_sorted(x: np.ndarray, confidence: float = 0.95) -> MedianCI:
    """:func:`median_ci` of values already sorted, without missing values (no copy, no sort).

    Examples
    --------
    >>> median_ci_sorted(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))  # too few values for a 95% interval
    MedianCI(median=3.0, ci_low=nan, ci_high=nan, n=5)
    """
    n = len(x)
    if n == 0:
        return MedianCI(math.nan, math.nan, math.nan, 0)
    med = float(np.median(x))
    alpha = 1 - confidence
    lo_idx = int(stats.binom.ppf(alpha / 2, n, 0.5))
    if lo_idx < 1 or stats.binom.cdf(lo_idx - 1, n, 0.5) > alpha / 2:
        return MedianCI(med, math.nan, math.nan, n)
    return MedianCI(med, float(x[lo_idx - 1]), float(x[n - lo_idx]), n)
