"""How well a score separates churned from retained accounts when accounts answer many times (clustered AUC).

The AUC of responses treats every response as independent. When an account
answers many times (several contacts, several waves), its responses share
one outcome and similar scores: they are a cluster, and the usual intervals
(Hanley & McNeil 1982, DeLong et al. 1988) are too narrow.
:func:`auc_clustered` gives the AUC with Obuchowski's (1997) nonparametric
variance for clustered data, which sums each account's structural
components before squaring; with one response per account it is DeLong's.

References
----------
.. [1] Obuchowski, N. A. (1997). Nonparametric analysis of clustered ROC
   curve data. Biometrics 53(2), 567-578.
.. [2] DeLong, E. R., DeLong, D. M. & Clarke-Pearson, D. L. (1988). Comparing
   the areas under two or more correlated receiver operating characteristic
   curves: a nonparametric approach. Biometrics 44(3), 837-845.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ...stats.nps import cluster_codes
from ...stats.result import Result

__all__ = ["ClusteredAuc", "auc_clustered"]


@dataclass(frozen=True)
class ClusteredAuc(Result):
    """An AUC with its account-clustered interval (:func:`auc_clustered`).

    Attributes
    ----------
    auc : float
        Probability that a retained response's score is above a churned
        one's (ties count one half); 0.5 = no association.
    se, ci_low, ci_high : float
        Its clustered standard error (Obuchowski 1997) and Wald interval,
        clipped to 0-1; NaN with fewer than two clusters of churned or of
        retained responses.
    se_independent : float
        DeLong's standard error, which treats the responses as independent.
    design_effect : float
        ``(se / se_independent) ** 2``: how much the clustering inflates the
        variance (1 = none).
    n_churned, n_retained : int
        Responses.
    clusters_churned, clusters_retained : int
        Clusters (accounts) with at least one churned or retained response.
    """

    auc: float
    se: float
    ci_low: float
    ci_high: float
    se_independent: float
    design_effect: float
    n_churned: int
    n_retained: int
    clusters_churned: int
    clusters_retained: int


def _placements(s: np.ndarray, churned: np.ndarray) -> tuple[np.ndarray, float]:
    """Each response's structural component (placement value) and the AUC, counted per distinct score.

    A churned response's component is the share of retained responses scoring
    above it (ties one half); a retained response's, the share of churned
    responses scoring below it (DeLong 1988's V10 and V01).
    """
    codes, uniq = pd.factorize(s, sort=True)
    k = len(uniq)
    neg = np.bincount(codes[churned], minlength=k).astype(float)  # churned per score
    pos = np.bincount(codes[~churned], minlength=k).astype(float)  # retained per score
    m, n = neg.sum(), pos.sum()
    above_pos = pos.sum() - np.cumsum(pos)  # retained scoring strictly above each score
    below_neg = np.cumsum(neg) - neg  # churned scoring strictly below
    v10 = (above_pos + pos / 2) / n
    v01 = (below_neg + neg / 2) / m
    v = np.where(churned, v10[codes], v01[codes])
    return v, float(np.sum(neg * v10) / m)


def auc_clustered(
    data: pd.DataFrame,
    score: str = "score",
    churned: str = "churned",
    cluster: str | None = "account_id",
    confidence: float = 0.95,
) -> ClusteredAuc:
    """AUC of the score for retention (low score = churn) with an interval that respects clusters.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    score, churned : str
        The score and the boolean outcome (rows missing either are left out).
    cluster : str, optional
        The column whose equal values form a cluster (the account); a missing
        value is a cluster of its own. None, or a column not in ``data``:
        every response is its own cluster (DeLong's interval).
    confidence : float

    Returns
    -------
    ClusteredAuc

    Notes
    -----
    With ``M`` churned and ``N`` retained responses, ``V10`` and ``V01`` their
    placement values, ``A_i`` and ``B_i`` their sums in cluster ``i`` (of
    ``m_i`` churned and ``n_i`` retained responses) and ``I10``, ``I01``, ``I``
    the clusters with churned, with retained, and with any responses
    (Obuchowski 1997, section 2)::

        S10 = I10 / ((I10 - 1) M) * sum_i (A_i - m_i AUC)^2
        S01 = I01 / ((I01 - 1) N) * sum_i (B_i - n_i AUC)^2
        S11 = I / (I - 1) * sum_i (A_i - m_i AUC) (B_i - n_i AUC)
        var(AUC) = S10 / M + S01 / N + 2 S11 / (M N)

    When an outcome belongs to the account (churn), no cluster holds both
    kinds and ``S11 = 0``. With one response per cluster this is DeLong's
    variance (R ``pROC::var(method = "delong")``). The interval is
    ``AUC +/- z SE``, clipped to 0-1. Counted per distinct score: O(n).

    Examples
    --------
    >>> d = pd.DataFrame({"score": [9, 8, 3, 6, 7, 2], "churned": [0, 0, 1, 1, 0, 1],
    ...                   "account_id": ["a", "a", "b", "b", "c", "d"]})
    >>> r = auc_clustered(d)
    >>> round(r.auc, 4), round(r.se, 4), round(r.se_independent, 4)
    (1.0, 0.0, 0.0)
    >>> r = auc_clustered(d.assign(score=[9, 5, 3, 6, 7, 2]))
    >>> round(r.auc, 4), round(r.se, 4), r.clusters_churned, r.clusters_retained  # se: sqrt(8) / 27 by hand
    (0.8889, 0.1048, 2, 2)
    """
    cols = [score, churned] + ([cluster] if cluster and cluster in data else [])
    d = data[cols]
    ok = d[score].notna().to_numpy() & d[churned].notna().to_numpy()
    s = d[score].to_numpy(dtype=float, na_value=np.nan)[ok]
    c = np.asarray(d[churned].to_numpy()[ok], dtype=bool)
    g = (cluster_codes(d[cluster][ok]) if cluster and cluster in data
         else np.arange(len(s), dtype=np.int64))
    m, n = int(c.sum()), int((~c).sum())
    nan = math.nan
    if m == 0 or n == 0:
        return ClusteredAuc(nan, nan, nan, nan, nan, nan, m, n, len(np.unique(g[c])), len(np.unique(g[~c])))
    v, auc = _placements(s, c)
    resid = v - auc
    a = np.bincount(g, weights=np.where(c, resid, 0.0))  # A_i - m_i AUC
    b = np.bincount(g, weights=np.where(c, 0.0, resid))  # B_i - n_i AUC
    present = np.bincount(g)
    i10 = int(np.count_nonzero(np.bincount(g, weights=c.astype(float))))
    i01 = int(np.count_nonzero(np.bincount(g, weights=(~c).astype(float))))
    i_all = int(np.count_nonzero(present))
    with np.errstate(divide="ignore", invalid="ignore"):
        s10 = i10 / ((i10 - 1) * m) * float(np.sum(a * a)) if i10 > 1 else nan
        s01 = i01 / ((i01 - 1) * n) * float(np.sum(b * b)) if i01 > 1 else nan
        s11 = i_all / (i_all - 1) * float(np.sum(a * b)) if i_all > 1 else nan
    var = s10 / m + s01 / n + 2 * s11 / (m * n)
    var_ind = (float(np.var(v[c], ddof=1)) / m if m > 1 else nan) + (float(np.var(v[~c], ddof=1)) / n
                                                                   if n > 1 else nan)
    se = math.sqrt(max(var, 0.0)) if var == var else nan
    se_ind = math.sqrt(max(var_ind, 0.0)) if var_ind == var_ind else nan
    deff = (se / se_ind) ** 2 if se_ind and se_ind == se_ind and se == se else nan
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    lo, hi = (max(0.0, auc - z * se), min(1.0, auc + z * se)) if se == se else (nan, nan)
    return ClusteredAuc(auc, se, lo, hi, se_ind, deff, m, n, i10, i01)
