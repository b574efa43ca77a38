"""Discrimination: how well a score separates churned from retained accounts (the AUC).

References
----------
.. [1] Hanley, J. A. & McNeil, B. J. (1982). The meaning and use of the area
   under a receiver operating characteristic (ROC) curve. Radiology, 143(1), 29-36.
.. [2] DeLong, E. R., DeLong, D. M. & Clarke-Pearson, D. L. (1988). Comparing
   the areas under two or more correlated receiver operating characteristic
   curves: a nonparametric approach. Biometrics, 44(3), 837-845.
.. [3] Sun, X. & Xu, W. (2014). Fast implementation of DeLong's algorithm for
   comparing the areas under correlated receiver operating characteristic
   curves. IEEE Signal Processing Letters, 21(11), 1389-1393.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .result import Result

__all__ = ["Auc", "AucTest", "auc_hanley_mcneil", "auc_delong"]


@dataclass(frozen=True)
class Auc(Result):
    """An AUC with its interval (:func:`auc_hanley_mcneil`).

    Attributes
    ----------
    auc, se : float
        The area under the ROC curve (0.5 = no discrimination) and its standard error.
    ci_low, ci_high : float
        Its interval, clipped to 0-1.
    n_churned, n_retained : int
    """

    auc: float
    se: float
    ci_low: float
    ci_high: float
    n_churned: int
    n_retained: int


@dataclass(frozen=True)
class AucTest(Auc):
    """An AUC with its interval and the test of AUC = 0.5 (:func:`auc_delong`)."""

    p_value: float


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def auc_hanley_mcneil(score, churned, confidence: float = 0.95) -> Auc:
    """AUC of the score for retention (low score = churn) with the Hanley-McNeil interval.

    Parameters
    ----------
    score : array-like of float
    churned : array-like of bool
    confidence : float

    Returns
    -------
    Auc
        ``auc`` (probability that a retained account's score is above a churned
        one's, ties counting one half; 0.5 = no association), ``se``,
        ``ci_low``, ``ci_high`` (clipped to 0-1), ``n_churned``, ``n_retained``.

    Notes
    -----
    The AUC is the Mann-Whitney U statistic divided by ``n1 * n0``. Its
    standard error is Hanley & McNeil's (1982):
    ``SE^2 = [A(1-A) + (n1-1)(Q1-A^2) + (n0-1)(Q2-A^2)] / (n1 n0)`` with
    ``Q1 = A/(2-A)``, ``Q2 = 2A^2/(1+A)``, ``n1`` the retained and ``n0`` the
    churned. U is counted per distinct score (a scale of 11 values: O(n)).

    Examples
    --------
    >>> round(auc_hanley_mcneil([9, 8, 3, 2], [False, False, True, True]).auc, 2)
    1.0
    """
    s = np.asarray(score, dtype=float)
    ch = pd.array(churned, dtype="boolean")
    c = np.asarray(ch.fillna(False), dtype=bool)
    ok = ~np.isnan(s) & ~np.asarray(ch.isna(), dtype=bool)
    s, c = s[ok], c[ok]
    n0 = int(c.sum())  # churned
    n1 = len(s) - n0  # "positive" = retained: higher score expected
    if n1 == 0 or n0 == 0:
        return Auc(math.nan, math.nan, math.nan, math.nan, n0, n1)
    # each retained account beats the churned ones with a lower score and ties with those with the same score
    codes, uniq = pd.factorize(s)
    rank = np.empty(len(uniq), dtype="int64")
    rank[np.argsort(uniq, kind="stable")] = np.arange(len(uniq))
    v = rank[codes]
    neg = np.bincount(v[c], minlength=len(uniq)).astype(float)
    pos = np.bincount(v[~c], minlength=len(uniq)).astype(float)
    below = np.cumsum(neg) - neg
    u = float(np.sum(pos * (below + neg / 2)))
    a = float(u / (n1 * n0))
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0)
    se = math.sqrt(max(var, 0.0))
    z = _z(confidence)
    return Auc(a, se, max(0.0, a - z * se), min(1.0, a + z * se), n0, n1)


def auc_delong(churned, score, confidence: float = 0.95, low_is_risk: bool = True) -> AucTest:
    """Area under the ROC curve of the score for churn, with DeLong's interval.

    Parameters
    ----------
    churned : array-like of 0/1
        Outcome per account.
    score : array-like
        Account score.
    confidence : float
        Level of the interval.
    low_is_risk : bool
        True (default): a lower score signals churn, so the AUC is the
        probability that a churned account scored below a retained one (ties
        count half). 0.5 = no discrimination.

    Returns
    -------
    AucTest
        ``auc``, ``se``, ``ci_low``, ``ci_high``, ``p_value`` (z-test of
        AUC = 0.5), ``n_churned``, ``n_retained``.

    Notes
    -----
    DeLong, DeLong & Clarke-Pearson (1988) variance
    S10/m + S01/n from the structural components, computed with midranks
    (Sun & Xu 2014); the interval is AUC ± z·SE clipped to 0-1 (as R's
    ``pROC::ci.auc(method = "delong")``). The AUC equals the Mann-Whitney U
    statistic / (m·n).

    Examples
    --------
    >>> r = auc_delong([1, 1, 0, 0, 0], [2, 5, 4, 8, 9])
    >>> round(r.auc, 4), round(r.se, 4)
    (0.8333, 0.2357)
    """
    y = np.asarray(churned, dtype="float64")
    s = np.asarray(score, dtype="float64")
    ok = ~(np.isnan(y) | np.isnan(s))
    y, s = y[ok], s[ok]
    risk = -s if low_is_risk else s
    x, v = risk[y == 1], risk[y == 0]
    m, n = len(x), len(v)
    if m == 0 or n == 0:
        nan = float("nan")
        return AucTest(nan, nan, nan, nan, m, n, nan)
    tz = stats.rankdata(np.concatenate([x, v]), method="average")
    v10 = (tz[:m] - stats.rankdata(x, method="average")) / n
    v01 = 1 - (tz[m:] - stats.rankdata(v, method="average")) / m
    auc = float(v10.mean())
    s10 = float(np.var(v10, ddof=1)) if m > 1 else 0.0
    s01 = float(np.var(v01, ddof=1)) if n > 1 else 0.0
    se = float(np.sqrt(s10 / m + s01 / n))
    z = _z(confidence)
    p = float(2 * stats.norm.sf(abs(auc - 0.5) / se)) if se > 0 else (1.0 if auc == 0.5 else 0.0)
    return AucTest(auc, se, max(0.0, auc - z * se), min(1.0, auc + z * se), m, n, p)
