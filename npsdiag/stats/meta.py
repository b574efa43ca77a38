"""Meta-analysis: how much the true values of several groups differ beyond sampling noise.

Given each group's estimate and its sampling variance (segments' NPS, stores'
rates...), :func:`dersimonian_laird` estimates the between-group variance
tau² of the random-effects model, its Q-profile interval, Cochran's Q test
of homogeneity and I², the share of the observed spread that is real.

tau is not estimated from fewer than :data:`MIN_K_TAU` groups: with two to
four groups its interval spans most of any bounded scale (three segments
gave an interval of 9 to 120 NPS points), and a "typical group" of a
population of three says nothing. The test of homogeneity and I² are still
given.

References
----------
.. [1] DerSimonian, R. & Laird, N. (1986). Meta-analysis in clinical trials.
   Controlled Clinical Trials, 7(3), 177-188.
.. [2] Higgins, J. P. T. & Thompson, S. G. (2002). Quantifying heterogeneity
   in a meta-analysis. Statistics in Medicine, 21(11), 1539-1558.
.. [3] Viechtbauer, W. (2007). Confidence intervals for the amount of
   heterogeneity in meta-analysis. Statistics in Medicine, 26(1), 37-52.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from .result import Result

__all__ = ["Heterogeneity", "dersimonian_laird", "q_profile", "MIN_K_TAU"]

#: Fewest groups from which the between-group spread tau (and what rests on it) is estimated.
MIN_K_TAU = 5


@dataclass(frozen=True)
class Heterogeneity(Result):
    """Between-group heterogeneity of a random-effects model (:func:`dersimonian_laird`).

    Attributes
    ----------
    k : int
        Number of groups.
    pooled : float
        Random-effects mean (weights 1 / (v_i + tau²)); NaN with fewer than ``min_k`` groups.
    tau : float
        Between-group standard deviation of the true values (DerSimonian-Laird), in the estimates' unit;
        NaN with fewer than ``min_k`` groups; at most half the width of ``bounds`` when given.
    tau_ci_low, tau_ci_high : float
        Q-profile interval of tau (within the same limit).
    i2 : float
        Share of the observed spread that is real rather than noise (0-1).
    q, q_p_value : float
        Cochran's Q and its p-value (chi-square, k - 1 degrees of freedom).
    pi_low, pi_high : float
        Range expected to hold the share ``confidence`` of the groups' true values: pooled ± z·tau, within
        ``bounds`` when given.
    """

    k: int
    pooled: float
    tau: float
    tau_ci_low: float
    tau_ci_high: float
    i2: float
    q: float
    q_p_value: float
    pi_low: float
    pi_high: float


def q_profile(y: np.ndarray, v: np.ndarray, target: float) -> float:
    """tau² at which the generalised Q statistic equals ``target`` (Viechtbauer 2007).

    The generalised Q, Σ w_i (y_i - μ_w)² with w_i = 1 / (v_i + tau²),
    decreases in tau²; the bound is 0 when Q(0) is already at most ``target``
    and infinite when no tau² up to 1e9 brings Q down to it.

    Examples
    --------
    >>> y, v = np.array([0.0, 10.0, 20.0]), np.array([4.0, 4.0, 4.0])
    >>> round(q_profile(y, v, 2.0), 6)  # Q = 200 / (4 + tau²) = 2 at tau² = 96
    96.0
    """

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


def dersimonian_laird(y, v, confidence: float = 0.95, min_k: int = MIN_K_TAU,
                      bounds: tuple[float, float] | None = None) -> Heterogeneity:
    """Between-group variance of true values beyond sampling noise (DerSimonian-Laird), with its interval.

    Parameters
    ----------
    y : array-like
        The groups' estimates (at least two).
    v : array-like
        Their sampling variances (positive), in the squared unit of ``y``.
    confidence : float
        Level of the interval of tau and of the prediction range.
    min_k : int
        Fewest groups for tau, its interval, the random-effects mean and the
        prediction range to be estimated (NaN below; Q, its p-value and I²
        are given from two groups).
    bounds : (float, float), optional
        The scale of the values (e.g. -100, 100 for an NPS): the prediction
        range is clipped to it, and tau and its interval to half its width
        (the largest standard deviation of values on the scale).

    Returns
    -------
    Heterogeneity
        ``k``, ``pooled``, ``tau`` with ``tau_ci_low`` / ``tau_ci_high``,
        ``i2``, ``q``, ``q_p_value``, ``pi_low`` / ``pi_high``.

    Notes
    -----
    With w_i = 1/v_i, Cochran's Q = Σ w_i (y_i - ȳ_w)², referred to
    chi-square with k - 1 degrees of freedom; the DerSimonian-Laird estimate
    is tau² = max(0, (Q - (k - 1)) / (Σw - Σw²/Σw)); I² = max(0, (Q - (k-1)) / Q)
    (Higgins & Thompson 2002). The interval of tau is the Q-profile interval
    of Viechtbauer (2007): the tau² at which the generalised Q equals the
    chi-square quantiles (:func:`q_profile`). With few groups tau is very
    imprecise (the Q-profile interval of three groups typically spans a
    factor of ten or more), hence ``min_k`` (:data:`MIN_K_TAU`).

    Examples
    --------
    >>> h = dersimonian_laird([0.0, 10.0, 20.0, 5.0, 15.0], [4.0] * 5)  # Q = 250 / 4; tau² = (62.5 - 4) / 1
    >>> round(h.q, 2), round(h.tau, 2), round(h.i2, 3)
    (62.5, 7.65, 0.936)

    Three groups: no tau (nor what rests on it), but the test of homogeneity:

    >>> h = dersimonian_laird([-90.0, 0.0, 90.0], [4.0, 4.0, 4.0])
    >>> h.tau, h.pi_low, h.q, bool(h.q_p_value < 1e-6)
    (nan, nan, 4050.0, True)
    """
    y = np.asarray(y, dtype="float64")
    v = np.asarray(v, dtype="float64")
    k = len(y)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    w = 1 / v
    ybar = np.sum(w * y) / np.sum(w)
    q = float(np.sum(w * (y - ybar) ** 2))
    i2 = float(max(0.0, (q - (k - 1)) / q)) if q > 0 else 0.0
    q_p = float(stats.chi2.sf(q, k - 1))
    nan = float("nan")
    if k < max(min_k, 2):
        return Heterogeneity(k=k, pooled=nan, tau=nan, tau_ci_low=nan, tau_ci_high=nan, i2=i2, q=q, q_p_value=q_p,
                             pi_low=nan, pi_high=nan)
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    tau2 = max(0.0, (q - (k - 1)) / c)
    wr = 1 / (v + tau2)
    pooled = float(np.sum(wr * y) / np.sum(wr))
    lo2 = q_profile(y, v, stats.chi2.ppf(0.5 + confidence / 2, k - 1))
    hi2 = q_profile(y, v, stats.chi2.ppf(0.5 - confidence / 2, k - 1))
    tau = float(np.sqrt(tau2))
    tau_lo, tau_hi = float(np.sqrt(lo2)), float(np.sqrt(hi2))
    if bounds is not None:
        lo, hi = bounds
        tau, tau_hi = min(tau, (hi - lo) / 2), min(tau_hi, (hi - lo) / 2)
        tau_lo = min(tau_lo, tau_hi)
    pi_low, pi_high = pooled - z * tau, pooled + z * tau
    if bounds is not None:
        pi_low, pi_high = float(np.clip(pi_low, lo, hi)), float(np.clip(pi_high, lo, hi))
    return Heterogeneity(k=k, pooled=pooled, tau=tau, tau_ci_low=tau_lo, tau_ci_high=tau_hi, i2=i2, q=q,
                         q_p_value=q_p, pi_low=pi_low, pi_high=pi_high)
