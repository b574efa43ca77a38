"""Proportions: the Wilson interval and the effect size of a goodness-of-fit test.

References
----------
.. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and
   statistical inference. JASA, 22(158), 209-212.
.. [2] Cramér, H. (1946). Mathematical Methods of Statistics. Princeton.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["wilson_interval", "cramers_v_gof"]


def wilson_interval(k, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion k/n, element-wise (NaN where n = 0).

    Parameters
    ----------
    k, n : array-like
        Successes and trials.
    confidence : float
        Level of the interval.

    Returns
    -------
    (low, high) : arrays of the shape of the inputs
        With exact 0 and 1 at k = 0 and k = n.

    Notes
    -----
    The one Wilson interval of the kit: statsmodels ``proportion_confint``
    with method "wilson" (Wilson 1927).

    Examples
    --------
    >>> lo, hi = wilson_interval(5, 20)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.1119, 0.4687)
    """
    from statsmodels.stats.proportion import proportion_confint

    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    safe = np.where(n > 0, n, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo, hi = proportion_confint(np.minimum(k, safe), safe, alpha=1 - confidence, method="wilson")
    low = np.where(n > 0, np.where(k <= 0, 0.0, lo), np.nan)
    high = np.where(n > 0, np.where(k >= n, 1.0, hi), np.nan)
    return low, high


def cramers_v_gof(chi2: float, n: float, k: int) -> float:
    """Effect size of a chi-square goodness-of-fit test: sqrt(chi2 / (n (k - 1))).

    Examples
    --------
    >>> cramers_v_gof(8.0, 100, 3)
    0.2
    """
    if n <= 0 or k < 2:
        return float("nan")
    return float(math.sqrt(chi2 / (n * (k - 1))))
