"""Survey design: proportions whose observations come in clusters (invitations of one account).

- :func:`proportion_design_effect` -- the design effect of a proportion with
  clusters: its linearised (ultimate-cluster) variance over the variance
  under simple random sampling (:func:`proportion_design_effect_counts` from
  counts per cluster);
- :func:`rao_scott_test` -- the chi-square test of independence between a
  factor and a yes/no outcome, divided by that design effect (first-order
  Rao-Scott correction), with Cramer's V (phi) and the levels whose rates
  are lowest and highest.

References
----------
.. [1] Kish, L. (1965). Survey Sampling. Wiley (the design effect).
.. [2] Wolter, K. M. (2007). Introduction to Variance Estimation, 2nd ed.,
   ch. 6 (Taylor series / linearisation). Springer.
.. [3] Rao, J. N. K. & Scott, A. J. (1981). The analysis of categorical data
   from complex sample surveys: chi-squared tests for goodness of fit and
   independence in two-way tables. JASA, 76(374), 221-230.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .result import Result

__all__ = ["RaoScottTest", "proportion_design_effect", "proportion_design_effect_counts", "rao_scott_test"]


@dataclass(frozen=True)
class RaoScottTest(Result):
    """A chi-square test of independence of a factor and a yes/no outcome, Rao-Scott corrected (:func:`rao_scott_test`).

    Attributes
    ----------
    test : str
        "chi-square (Rao-Scott)" when corrected (design effect above 1), else "chi-square".
    statistic : float
        The chi-square divided by the design effect.
    dof : int
    p_value : float
        Of the corrected statistic.
    effect_size : float
        Cramer's V (phi for two levels) of the uncorrected table.
    effect_measure : str
        "Cramer's V" or "phi".
    n : int
        Trials in the levels tested.
    design_effect : float
    lowest_rate_level, highest_rate_level : str
        The tested levels with the lowest and the highest rate of "yes".
    lowest_rate, highest_rate : float
        Their rates.
    """

    test: str
    statistic: float
    dof: int
    p_value: float
    effect_size: float
    effect_measure: str
    n: int
    design_effect: float
    lowest_rate_level: str
    lowest_rate: float
    highest_rate_level: str
    highest_rate: float


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes (-1 = missing) of a column; a categorical gives its own codes."""
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        cat = values.array if isinstance(values, pd.Series | pd.Index) else values
        return np.asarray(cat.codes, dtype=np.intp)
    return np.asarray(pd.factorize(values)[0], dtype=np.intp)


def _per_code(codes: np.ndarray, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Count (or sum ``weights``) per code 0..k-1; code -1 is left out."""
    return np.bincount(codes + 1, weights=weights, minlength=k + 1)[1:]


def proportion_design_effect(flag, cluster=None) -> float:
    """Design effect of a proportion (e.g. a response rate) when its observations are clustered (e.g. by account).

    Parameters
    ----------
    flag : Series of bool
        The outcome (responded or not), one per observation (invitation); missing counts as False.
    cluster : Series, optional
        Cluster of each observation (account); missing clusters are their own.

    Returns
    -------
    float
        Variance of the proportion with clusters (linearised, with-replacement
        ultimate-cluster estimator) over its variance under simple random
        sampling, at least 1; 1 without clusters.

    Examples
    --------
    >>> f = pd.Series([True, True, False, False])
    >>> proportion_design_effect(f, pd.Series(["a", "a", "b", "b"]))
    4.0
    """
    y = pd.Series(flag).fillna(False).to_numpy(dtype=bool).astype(float)
    if cluster is None:
        return 1.0
    codes = _codes(cluster)
    k = int(codes.max(initial=-1)) + 1
    miss = codes < 0  # an observation without a cluster is its own
    return proportion_design_effect_counts(_per_code(codes, k), _per_code(codes, k, y), int(miss.sum()),
                                           int(y[miss].sum()))


def proportion_design_effect_counts(trials, successes, n_alone: int = 0, successes_alone: int = 0) -> float:
    """:func:`proportion_design_effect` from the trials and successes per cluster (plus observations alone).

    Parameters
    ----------
    trials, successes : array-like
        Observations and "yes" per cluster (clusters without observations are left out).
    n_alone, successes_alone : int
        Observations without a cluster (each its own), and how many of them are "yes".

    Returns
    -------
    float
        The design effect, at least 1 (1 when it cannot be estimated: fewer
        than two observations or clusters, or a proportion of 0 or 1).

    Notes
    -----
    With p the overall proportion, n the observations and G the clusters,
    var_c = G / (G - 1) sum_c (sum_{i in c} (y_i - p))^2 / n^2 (Wolter
    2007) and var_srs = p (1 - p) / n; deff = max(1, var_c / var_srs).

    Examples
    --------
    >>> proportion_design_effect_counts([2, 2], [2, 0])
    4.0
    """
    invited = np.asarray(trials, dtype="float64")
    answered = np.asarray(successes, dtype="float64")
    n = float(invited.sum()) + n_alone
    if n < 2:
        return 1.0
    p = (float(answered.sum()) + successes_alone) / n
    if p in (0.0, 1.0):
        return 1.0
    used = invited > 0
    totals = answered[used] - p * invited[used]  # sum over the cluster of (y - p)
    g = int(used.sum()) + n_alone
    if g < 2:
        return 1.0
    ss = float((totals**2).sum()) + successes_alone * (1 - p) ** 2 + (n_alone - successes_alone) * p**2
    var_c = g / (g - 1) * ss / n**2
    var_srs = p * (1 - p) / n
    return float(max(1.0, var_c / var_srs))


def rao_scott_test(levels, trials, successes, deff: float = 1.0, min_count: int = 5) -> RaoScottTest | None:
    """Chi-square test of independence of a factor and a yes/no outcome, Rao-Scott corrected by ``deff``.

    Parameters
    ----------
    levels : array-like
        The factor's levels.
    trials, successes : array-like
        Observations and "yes" per level.
    deff : float
        Design effect of the proportion (:func:`proportion_design_effect`); the
        chi-square is divided by it.
    min_count : int
        Levels with fewer observations are left out.

    Returns
    -------
    RaoScottTest or None
        None when fewer than two levels are left or the outcome does not vary.

    Notes
    -----
    The Pearson chi-square of the levels x (no, yes) table divided by the
    design effect (first-order Rao-Scott correction; Rao & Scott 1981),
    referred to chi-square with (levels - 1) degrees of freedom. Effect size:
    Cramer's V, sqrt(chi2 / (n (min(r, c) - 1))), of the uncorrected table.

    Examples
    --------
    >>> r = rao_scott_test(["a", "b"], [50, 50], [40, 0])
    >>> round(r.statistic, 2), r.lowest_rate_level, round(r.effect_size, 2)
    (66.67, 'b', 0.82)
    """
    invited = np.asarray(trials, dtype="float64")
    answered = np.asarray(successes, dtype="float64")
    keep = invited >= min_count
    if keep.sum() < 2:
        return None
    yes, no = answered[keep], invited[keep] - answered[keep]
    if yes.sum() == 0 or no.sum() == 0:
        return None
    tab = np.column_stack([no, yes])
    chi2, _, dof, _ = stats.chi2_contingency(tab, correction=False)
    chi2_adj = chi2 / deff
    v = math.sqrt(chi2 / (tab.sum() * (min(tab.shape) - 1)))
    rates = yes / invited[keep]
    names = np.asarray(levels, dtype=object)[keep]
    lo_i, hi_i = int(np.argmin(rates)), int(np.argmax(rates))
    return RaoScottTest(test="chi-square (Rao-Scott)" if deff > 1 else "chi-square", statistic=float(chi2_adj),
                        dof=int(dof), p_value=float(stats.chi2.sf(chi2_adj, dof)), effect_size=v,
                        effect_measure="Cramer's V" if min(tab.shape) > 2 or tab.shape[0] > 2 else "phi",
                        n=int(tab.sum()), design_effect=float(deff), lowest_rate_level=str(names[lo_i]),
                        lowest_rate=float(rates[lo_i]), highest_rate_level=str(names[hi_i]),
                        highest_rate=float(rates[hi_i]))
