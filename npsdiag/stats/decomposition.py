"""Decomposing a change of NPS between two periods into a change of mix and a change of rate.

The overall NPS is the responses' share-weighted average of its groups' NPS
(segments, roles, plans...). Between two periods it moves because the
groups' shares moved (*mix*: who answered) or because the groups' NPS moved
(*rate*: how they scored). :func:`kitagawa_terms` gives each group's two
contributions, :func:`mix_rate` their totals with intervals (delta method,
cluster-robust, or a bootstrap).

Both work on counts of shape (2 periods, S groups, 3 categories: detractors,
passives, promoters); :func:`mix_rate` also on the responses' integer codes
(period, group, category, cluster), so that it runs in one counting pass
over millions of responses.

References
----------
.. [1] Kitagawa, E. M. (1955). Components of a difference between two rates.
   Journal of the American Statistical Association, 50(272), 1168-1194.
.. [2] Binder, D. A. (1983). On the variances of asymptotically normal
   estimators from complex surveys. International Statistical Review,
   51(3), 279-292.
.. [3] Lohr, S. L. (2010). Sampling: Design and Analysis, 2nd ed., ch. 9
   (linearisation). Brooks/Cole.
.. [4] Hanley, J. A. & MacGibbon, B. (2006). Creating non-parametric
   bootstrap samples using Poisson frequencies. Computer Methods and
   Programs in Biomedicine, 83(1), 57-62.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .result import Result

__all__ = ["MixRate", "kitagawa_terms", "mix_rate", "dense_keys"]


def dense_keys(keys: np.ndarray, size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes 0..k-1 of non-negative integer keys and the distinct keys (ascending).

    A counting pass (``np.bincount``) when the key range (``size``, by
    default max + 1) is small against the number of rows; hashing
    (:func:`pandas.factorize`) otherwise.

    Examples
    --------
    >>> codes, keys = dense_keys(np.array([7, 3, 7, 9]))
    >>> codes.tolist(), keys.tolist()
    ([1, 0, 1, 2], [3, 7, 9])
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


@dataclass(frozen=True)
class MixRate(Result):
    """The change of the NPS between two periods split into mix and rate (:func:`mix_rate`); points.

    Attributes
    ----------
    n_1, n_2 : int
        Responses in each period.
    nps_1, nps_2 : float
        Overall NPS of each period.
    change, change_ci_low, change_ci_high : float
        nps_2 - nps_1 and its interval.
    mix_effect, mix_ci_low, mix_ci_high : float
        The part of the change due to the groups' shares, and its interval.
    rate_effect, rate_ci_low, rate_ci_high : float
        The part due to the groups' NPS, and its interval.
    mix_share : float
        |mix| / (|mix| + |rate|), 0-1 (NaN when both are 0).
    """

    n_1: int
    n_2: int
    nps_1: float
    nps_2: float
    change: float
    change_ci_low: float
    change_ci_high: float
    mix_effect: float
    mix_ci_low: float
    mix_ci_high: float
    rate_effect: float
    rate_ci_low: float
    rate_ci_high: float
    mix_share: float


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


def kitagawa_terms(counts) -> pd.DataFrame:
    """Each group's contribution to the change of the NPS between two periods: mix and rate.

    Parameters
    ----------
    counts : array-like of shape (2, S, 3)
        Detractors, passives and promoters of each of S groups in period 1
        and in period 2.

    Returns
    -------
    DataFrame
        One row per group: ``n_1``, ``n_2``, ``share_1``, ``share_2`` (the
        group's share of responses in each period, 0-1), ``nps_1``, ``nps_2``
        (points; NaN where the group has no response), ``mix_effect`` and
        ``rate_effect`` (its contributions, points). The sum of both columns
        over the groups is the change of the overall NPS.

    Notes
    -----
    The symmetric (midpoint) decomposition of Kitagawa (1955): with w the
    group's share of responses and y its NPS in periods 1 and 2,
    ΔNPS = Σ (w2 - w1)·(y1 + y2)/2  [mix]  +  Σ (y2 - y1)·(w1 + w2)/2  [rate].
    It is exact (no interaction term) and does not depend on which period is
    the reference. A group absent from one period contributes only to mix
    (its NPS there is taken equal to the other period's).

    Examples
    --------
    Both groups keep their NPS (+100 and -100); the low one grows from half to 80% of responses.

    >>> t = kitagawa_terms([[[0, 0, 50], [50, 0, 0]], [[0, 0, 20], [80, 0, 0]]])
    >>> float(t["mix_effect"].sum()), float(t["rate_effect"].sum())
    (-60.0, 0.0)
    """
    arr = np.asarray(counts, dtype="float64")
    mix, rate, _, _, w1, w2, y1, y2 = _decompose(arr)
    return pd.DataFrame({"n_1": arr[0].sum(axis=1).astype(int), "n_2": arr[1].sum(axis=1).astype(int),
                         "share_1": w1, "share_2": w2, "nps_1": y1, "nps_2": y2, "mix_effect": mix,
                         "rate_effect": rate})


def _gradients(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Partial derivatives of (mix, rate, change) with respect to the group shares and NPS of each period.

    Returns ``b`` and ``a``, both (3 statistics, 2 periods, S): ∂stat/∂w_ts and ∂stat/∂y_ts (y in points).
    A group absent from one period has its NPS there set to the other period's (as :func:`_decompose`),
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


def _variance(arr: np.ndarray, t: np.ndarray, g: np.ndarray, k: np.ndarray, cl: np.ndarray | None) -> np.ndarray:
    """Design-based (linearisation) variances of (mix, rate, change), clusters as primary units across both periods.

    Each period's statistics are smooth functions of its per-group totals (n_s, Σx_s). The linearised value
    of cluster c is
    u_c = Σ_t Σ_s [∂stat/∂w_ts · (n_cts - w_ts·n_ct) / N_t + ∂stat/∂y_ts · (100·Σx_cts - y_ts·n_cts) / n_ts],
    **summed over both periods**: an account answering in both is one unit, so that the covariance of its
    two periods enters the variance. var = C / (C - 1) Σ_c u_c² with C the clusters (R ``survey``'s
    with-replacement variance of ``svydesign(ids = ~cluster)``, as ``svycontrast`` of ``svytotal``s computes
    it); without clusters every response is its own (C = N). Σ_c u_c = 0 because the shares and NPS do not
    change when every count of a period is scaled.
    """
    b, a = _gradients(arr)
    n_s = arr.sum(axis=-1)
    big_n = n_s.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = n_s / big_n[:, None]
        y = np.nan_to_num(100 * (arr[..., 2] - arr[..., 0]) / n_s)
    bbar = np.einsum("ktj,tj->kt", b, w)  # Σ_s b_ts w_ts
    n_seg = arr.shape[1]
    if cl is None:  # every response its own unit: one linearised value per (period, group, category) cell
        pt, ps, pk = np.unravel_index(np.flatnonzero(arr.ravel() > 0), arr.shape)
        weight = arr[pt, ps, pk]
        pn, px = np.ones(len(pt)), (pk - 1).astype("float64")
        n_units = float(big_n.sum())
    else:  # one value per (cluster, period, group) that occurs, summed per cluster over both periods
        n_cl = int(cl.max()) + 1 if len(cl) else 1
        key = (cl * 2 + t) * n_seg + g
        pair, uk = dense_keys(key, 2 * n_cl * n_seg)
        pn = np.bincount(pair).astype("float64")
        px = np.bincount(pair, weights=k) - pn  # Σ(k - 1) with k = 0, 1, 2
        uk = np.asarray(uk)
        ps, tc = uk % n_seg, uk // n_seg
        pt = tc % 2
        units, _ = dense_keys(tc // 2, n_cl)
        n_units = float(units.max() + 1) if len(units) else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        u = (pn * (b[:, pt, ps] - bbar[:, pt]) / big_n[pt]
             + a[:, pt, ps] * (100 * px - y[pt, ps] * pn) / n_s[pt, ps])
    if cl is None:
        sq = (weight * u**2).sum(axis=1)
    else:
        sq = np.array([np.sum(np.bincount(units, weights=u[i]) ** 2) for i in range(3)])
    if n_units < 2:
        return np.full(3, np.nan)
    return n_units / (n_units - 1) * sq


def _boot_counts(arr: np.ndarray, t: np.ndarray, g: np.ndarray, k: np.ndarray, cl: np.ndarray | None, n_boot: int,
                 rng: np.random.Generator) -> np.ndarray:
    """Bootstrap replicates (n_boot, 2, S, 3) of the counts (see :func:`mix_rate`).

    With clusters, each cluster gets one Poisson(1) weight for all its responses of both periods (an account's
    two periods stay together); without, the responses of both periods are redrawn from the multinomial over
    the (period, group, category) cells.
    """
    shape = arr.shape
    if cl is None:
        p = arr.ravel() / arr.sum()
        return rng.multinomial(int(arr.sum()), p, size=n_boot).reshape((n_boot,) + shape).astype("float64")
    units, _ = dense_keys(cl)
    n_units = int(units.max()) + 1
    cells = (t * shape[1] + g) * 3 + k
    cc = np.bincount(units * arr.size + cells, minlength=n_units * arr.size).reshape(n_units, arr.size)
    out = np.empty((n_boot, arr.size))
    for lo in range(0, n_boot, 100):  # in blocks, to bound memory with many clusters
        hi = min(n_boot, lo + 100)
        out[lo:hi] = rng.poisson(1.0, size=(hi - lo, n_units)).astype("float64") @ cc
    return out.reshape((n_boot,) + shape)


def mix_rate(
    counts: np.ndarray,
    period: np.ndarray,
    group: np.ndarray,
    category: np.ndarray,
    cluster: np.ndarray | None = None,
    confidence: float = 0.95,
    method: str = "delta",
    n_boot: int = 1000,
    rng: np.random.Generator | None = None,
) -> MixRate:
    """Mix and rate effects of the change of the overall NPS between two periods, with intervals.

    Parameters
    ----------
    counts : array of shape (2, S, 3)
        Detractors, passives and promoters of each group in each period
        (the counts of the responses below).
    period, group, category : arrays of int, one entry per response
        The response's period (0, 1), group (0..S-1) and category
        (0 detractor, 1 passive, 2 promoter).
    cluster : array of int, optional
        Dense cluster codes (0..C-1) of the responses, e.g. accounts: the
        variance then treats each cluster's responses *of both periods* as
        one unit, so that an account's many responses move together and an
        account answering in both periods is not counted as two
        independent samples.
    confidence : float
        Level of the intervals.
    method : {"delta", "bootstrap"}
        ``"delta"``: Wald intervals from the delta-method variance, in one
        pass over the (cluster, period, group) counts. ``"bootstrap"``:
        percentile intervals of ``n_boot`` resamples of whole clusters (or
        of responses without ``cluster``) over both periods (no intervals
        when ``n_boot`` is 0).
    n_boot : int
        Bootstrap resamples (``method="bootstrap"``).
    rng : numpy Generator, optional
        Random numbers of the bootstrap (seed 0 when not given).

    Returns
    -------
    MixRate
        ``n_1``, ``n_2``, ``nps_1``, ``nps_2``, ``change``, ``mix_effect``,
        ``rate_effect`` with their intervals (points) and ``mix_share``.

    Notes
    -----
    Kitagawa's (1955) symmetric decomposition (see :func:`kitagawa_terms`).
    The mix, rate and change are smooth functions of the per-(period, group)
    totals n_ts and Σx_ts (x = +1 promoter, 0 passive, -1 detractor), each a
    sum over the sampled units: responses, or with ``cluster`` whole
    clusters, the same cluster contributing to both periods when it answers
    in both. The delta method (first-order Taylor linearisation, e.g.
    Agresti 2013 §16.1; for clustered totals Lohr 2010 §9.1 / Binder 1983)
    gives each cluster c the linearised value
    u_c = Σ_t Σ_s [∂/∂w_ts · (n_cts - w_ts n_ct)/N_t + ∂/∂y_ts · (100 Σx_cts - y_ts n_cts)/n_ts],
    summed over both periods, and var = C/(C - 1) Σ_c u_c² (one-stage
    cluster sampling with replacement, as R ``survey``'s ``svycontrast`` of
    ``svytotal`` with ``svydesign(ids = ~cluster)``; C = N responses
    without ``cluster``). An account answering in both periods makes them
    positively correlated, which narrows the interval of the change against
    two independent samples. The interval is estimate ± z·SE. With
    ``method="bootstrap"``, whole clusters are reweighted with one Poisson(1)
    weight for both periods (Hanley & MacGibbon 2006), or without
    ``cluster`` the responses redrawn from the multinomial over (period x
    group x category) cells, and the intervals are percentile intervals.

    Examples
    --------
    Group 0 (all promoters) falls from half to a fifth of the responses, group 1 (all detractors) grows:

    >>> n = [50, 50, 20, 80]
    >>> period, group, category = np.repeat([0, 0, 1, 1], n), np.repeat([0, 1, 0, 1], n), np.repeat([2, 0, 2, 0], n)
    >>> counts = np.zeros((2, 2, 3))
    >>> np.add.at(counts, (period, group, category), 1)
    >>> r = mix_rate(counts, period, group, category)
    >>> r.change, r.mix_effect, r.rate_effect
    (-60.0, -60.0, 0.0)
    """
    if method not in ("delta", "bootstrap"):
        raise ValueError(f"method must be 'delta' or 'bootstrap', not {method!r}")
    arr = np.asarray(counts, dtype="float64")
    n1, n2 = arr[0].sum(), arr[1].sum()
    mix, rate, nps1, nps2, *_ = _decompose(arr)
    est = {"change": float(nps2 - nps1), "mix": float(mix.sum()), "rate": float(rate.sum())}
    ci = dict.fromkeys(("change", "mix", "rate"), (np.nan, np.nan))
    if method == "delta":
        z = float(stats.norm.ppf(0.5 + confidence / 2))
        var = _variance(arr, period, group, category, cluster)
        for key, v in zip(("mix", "rate", "change"), var, strict=True):
            half = z * np.sqrt(v) if np.isfinite(v) else np.nan
            ci[key] = (est[key] - half, est[key] + half)
    elif n_boot:
        a = (1 - confidence) / 2
        b = _boot_counts(arr, period, group, category, cluster, n_boot,
                         rng if rng is not None else np.random.default_rng(0))
        bm, br, b1, b2, *_ = _decompose(b)
        for key, vals in (("change", b2 - b1), ("mix", bm.sum(axis=-1)), ("rate", br.sum(axis=-1))):
            ci[key] = (float(np.quantile(vals, a)), float(np.quantile(vals, 1 - a)))
    tot = abs(est["mix"]) + abs(est["rate"])
    return MixRate(n_1=int(n1), n_2=int(n2), nps_1=float(nps1), nps_2=float(nps2), change=est["change"],
                   change_ci_low=ci["change"][0], change_ci_high=ci["change"][1], mix_effect=est["mix"],
                   mix_ci_low=ci["mix"][0], mix_ci_high=ci["mix"][1], rate_effect=est["rate"],
                   rate_ci_low=ci["rate"][0], rate_ci_high=ci["rate"][1],
                   mix_share=abs(est["mix"]) / tot if tot > 0 else np.nan)
