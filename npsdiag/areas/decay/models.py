"""The models the decay blocks share: a logistic fit that never raises, its odds-ratio result, a binomial test.

References
----------
.. [1] Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to
   cluster-robust inference. Journal of Human Resources, 50(2), 317-372.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ...stats.regression import LogitFit, logit_fit_rows
from ...stats.result import Result

__all__ = ["LogitModel", "fit_logit", "binomial_greater"]

#: Clusters needed before standard errors are clustered (fewer give unreliable sandwich estimates).
MIN_CLUSTERS = 20


@dataclass(frozen=True)
class LogitModel(Result):
    """Odds ratios of the terms of a logistic regression, with the covariance used.

    Attributes
    ----------
    terms : DataFrame
        ``term``, ``odds_ratio``, ``ci_low``, ``ci_high``, ``p_value`` and
        ``n`` (and, for some models, ``n_churned``), one row per term; empty
        when the model could not be fitted. It is the result's ``summary``.
    covariance : str
        The standard errors used ("model-based", "cluster-robust by
        account"), or why the model could not be fitted.
    """

    terms: pd.DataFrame = field(repr=False)
    covariance: str

    @property
    def fitted(self) -> bool:
        """Whether the model could be fitted (``terms`` is not empty)."""
        return len(self.terms) > 0

    @property
    def summary(self) -> pd.DataFrame:
        """The odds-ratio table (:attr:`terms`)."""
        return self.terms


def binomial_greater(k: int, n: int, p0: float) -> float:
    """One-sided exact binomial p-value for H1: p > p0 (1.0 when n == 0).

    Examples
    --------
    >>> binomial_greater(3, 3, 0.5)  # P(B(3, 1/2) >= 3) = 1/8
    0.125
    >>> binomial_greater(0, 0, 0.2)
    1.0
    """
    if n <= 0:
        return 1.0
    return float(stats.binomtest(int(k), int(n), p0, alternative="greater").pvalue)


def fit_logit(y: np.ndarray, X: pd.DataFrame, groups=None, cluster_name: str = "account",
              patterns=None) -> tuple[LogitFit | None, str]:
    """Logistic regression, cluster-robust by ``groups`` when there are enough clusters; never raises.

    Fitted by :func:`npsdiag.stats.regression.logit_fit_rows` on the distinct
    covariate patterns (binomial counts) when there are few of them, else on
    the rows: the same estimates and (model-based or CRV1 cluster-robust)
    covariance as statsmodels ``Logit`` on the rows.

    Parameters
    ----------
    y : array of 0/1
    X : DataFrame
        Design with its ``const`` column.
    groups : array-like, optional
        Cluster labels or integer codes per row (missing values form one
        cluster); clustered only with at least 20 clusters and fewer
        clusters than rows.
    cluster_name : str
        Named in the covariance label ("cluster-robust by account").
    patterns : arrays or False, optional
        Arrays whose distinct value combinations are the covariate patterns
        (default: the columns of ``X``), or False to fit on the rows.

    Returns
    -------
    (LogitFit, str) or (None, str)
        The fit and its covariance label, or None and the reason it could not
        be fitted (too few observations, one outcome, no variation in a
        covariate, singular or separated data, no convergence).
    """
    y = np.asarray(y, dtype=float)
    if len(y) < 10 or y.min() == y.max():
        return None, "too few observations or only one outcome"
    for col in X.columns:
        if col != "const" and np.nanstd(X[col].to_numpy(dtype=float)) == 0:
            return None, f"no variation in {col}"
    kind = "model-based"
    codes = None
    if groups is not None:
        codes, n_uniq = _cluster_codes(groups)
        if MIN_CLUSTERS <= n_uniq < len(y):
            kind = f"cluster-robust by {cluster_name}"
        else:
            codes = None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            res = logit_fit_rows(X, y, groups=codes, patterns=patterns, maxiter=200)
        except Exception as exc:  # noqa: BLE001 - singular / separated data must not stop the report
            return None, f"the model could not be fitted ({type(exc).__name__})"
    if not res.converged or not np.all(np.isfinite(np.asarray(res.bse))):
        return None, "the model did not converge (the outcome may be perfectly separated)"
    return res, kind


def _cluster_codes(groups) -> tuple[np.ndarray, int]:
    """Integer cluster codes (missing = -1, its own cluster) and the number of non-missing clusters.

    Integer codes (e.g. from ``pandas.factorize``) are used as they are;
    anything else is factorized.
    """
    g = groups.to_numpy() if isinstance(groups, pd.Series) else np.asarray(groups)
    if g.dtype.kind in "iu" and len(g) and g.min() >= -1 and g.max() < 4 * len(g) + 16:
        g = g.astype("int64", copy=False)
        return g, int(np.count_nonzero(np.bincount(g[g >= 0]))) if (g >= 0).any() else 0
    codes, uniq = pd.factorize(pd.Series(groups) if not isinstance(groups, pd.Series) else groups)
    return codes, len(uniq)
