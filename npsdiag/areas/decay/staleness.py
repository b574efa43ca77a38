"""Score staleness: does an old score still say anything about the account's renewal?

An NPS score taken long before the renewal (or churn) date says less about it
than a recent one. :func:`score_age_bands` measures the association of score
and churn (AUC, odds ratio per point) per band of score age at the outcome
date, :func:`staleness_model` tests whether it weakens with age (a score x
age interaction) and :func:`stale_after_months` reads the age from which the
score no longer predicts churn. Accounts answer many times: every interval
here is clustered by account.

References
----------
.. [1] Obuchowski, N. A. (1997). Nonparametric analysis of clustered ROC
   curve data. Biometrics 53(2), 567-578.
.. [2] Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to
   cluster-robust inference. Journal of Human Resources, 50(2), 317-372.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from ...stats.regression import odds_ratios
from .discrimination import auc_clustered
from .models import LogitModel, fit_logit

__all__ = ["AGE_BANDS_MONTHS", "DAYS_PER_MONTH", "BAND_COLUMNS", "score_age_bands", "staleness_model",
           "stale_after_months"]

#: Age bands (months between response and account outcome) for score staleness.
AGE_BANDS_MONTHS: tuple[float, ...] = (0, 3, 6, 12, math.inf)
#: Days in an average month (score ages are in months of 365.25 / 12 days).
DAYS_PER_MONTH = 365.25 / 12
#: Columns of :func:`score_age_bands`.
BAND_COLUMNS = ["band", "months_from", "months_to", "n", "accounts", "n_churned", "churn_rate", "auc", "auc_ci_low",
                "auc_ci_high", "auc_design_effect", "odds_ratio_per_point", "or_ci_low", "or_ci_high", "p_value"]


def score_age_bands(
    data: pd.DataFrame,
    score: str = "score",
    churned: str = "churned",
    age_months: str = "score_age_months",
    bands: Sequence[float] = AGE_BANDS_MONTHS,
    confidence: float = 0.95,
    cluster: str | None = "account_id",
) -> pd.DataFrame:
    """Association between score and churn per band of score age at the outcome date.

    Parameters
    ----------
    data : DataFrame
        Responses linked to their account's outcome: score, boolean churn and
        the age of the score (months from response to outcome, >= 0).
    score, churned, age_months : str
    bands : sequence of float
        Band edges in months, left-closed (``[0, 3)``, ``[3, 6)``...).
    confidence : float
    cluster : str, optional
        The column whose responses form a cluster (the account: its responses
        share one outcome). None, or a column not in ``data``: responses are
        treated as independent.

    Returns
    -------
    DataFrame
        Columns :data:`BAND_COLUMNS`: ``band``, ``months_from``,
        ``months_to``, ``n`` (responses), ``accounts`` (clusters),
        ``n_churned``, ``churn_rate``, ``auc`` with ``auc_ci_low``/
        ``auc_ci_high`` (Obuchowski 1997's clustered interval,
        :func:`~npsdiag.areas.decay.auc_clustered`; 0.5 = no association) and
        ``auc_design_effect`` (its variance over DeLong's for independent
        responses), ``odds_ratio_per_point`` with ``or_ci_low``/``or_ci_high``
        and ``p_value`` (univariate logistic regression of churn on score in
        the band, errors clustered by ``cluster`` with at least 20 clusters;
        an odds ratio below 1 means higher scores churn less).

    Examples
    --------
    >>> d = pd.DataFrame({"score": [9, 2, 8, 3], "churned": [False, True, False, True],
    ...                   "score_age_months": [1, 1, 2, 8]})
    >>> score_age_bands(d)[["band", "n", "auc"]].values.tolist()
    [['0-3 months', 3, 1.0], ['6-12 months', 1, nan]]
    """
    clustered = bool(cluster and cluster in data)
    keep = [score, churned, age_months] + ([cluster] if clustered else [])
    d = data[keep].dropna(subset=[score, churned, age_months])
    d = d[d[age_months] >= 0]
    rows = []
    for lo, hi in zip(bands[:-1], bands[1:], strict=True):
        g = d[(d[age_months] >= lo) & (d[age_months] < hi)]
        if len(g) == 0:
            continue
        label = f"{lo:g}-{hi:g} months" if math.isfinite(hi) else f"{lo:g}+ months"
        y = g[churned].astype(bool)
        auc = auc_clustered(g.assign(**{churned: y}), score, churned, cluster if clustered else None, confidence)
        row = {"band": label, "months_from": float(lo), "months_to": float(hi), "n": len(g),
               "accounts": int(g[cluster].nunique(dropna=False)) if clustered else len(g),
               "n_churned": int(y.sum()), "churn_rate": float(y.mean()), "auc": auc.auc,
               "auc_ci_low": auc.ci_low, "auc_ci_high": auc.ci_high, "auc_design_effect": auc.design_effect,
               "odds_ratio_per_point": math.nan, "or_ci_low": math.nan, "or_ci_high": math.nan,
               "p_value": math.nan}
        res, _ = fit_logit(y.to_numpy(), pd.DataFrame({"const": 1.0, "score": g[score].astype(float)}),
                           g[cluster] if clustered else None)
        if res is not None:
            t = odds_ratios(res, {"score": "score"}, confidence).iloc[0]
            row.update(odds_ratio_per_point=t["odds_ratio"], or_ci_low=t["ci_low"], or_ci_high=t["ci_high"],
                       p_value=t["p_value"])
        rows.append(row)
    return pd.DataFrame(rows, columns=BAND_COLUMNS)


def staleness_model(
    data: pd.DataFrame,
    score: str = "score",
    churned: str = "churned",
    age_months: str = "score_age_months",
    cluster: str | None = "account_id",
    confidence: float = 0.95,
) -> LogitModel:
    """Logistic regression of churn on score, score age and their interaction.

    Parameters
    ----------
    data : DataFrame
        As for :func:`score_age_bands`.
    score, churned, age_months : str
    cluster : str, optional
        Column to cluster standard errors on (e.g. ``account_id``).
    confidence : float

    Returns
    -------
    LogitModel
        ``terms``: ``term`` (score per point, age per year, score x age),
        ``odds_ratio``, ``ci_low``, ``ci_high``, ``p_value``, ``n`` (empty when
        the model cannot be fitted); ``covariance``: the standard errors used
        or the reason the model could not be fitted.

    Notes
    -----
    ``logit P(churn) = b0 + b1 s + b2 a + b3 s a`` with ``s`` the score
    centred on its mean and ``a`` the age in years. With ``b1 < 0`` (higher
    scores churn less), ``b3 > 0`` means the score's association with churn
    weakens as the score ages: the odds ratio per point moves towards 1 by
    the factor ``exp(b3)`` for each year of age.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(5)
    >>> d = pd.DataFrame({"score": rng.integers(0, 11, 1500), "score_age_months": rng.uniform(0, 24, 1500)})
    >>> slope = 0.6 - 0.25 * d["score_age_months"] / 12  # the score's link to churn weakens with age
    >>> d["churned"] = rng.random(1500) < 1 / (1 + np.exp(slope * (d["score"] - 5)))
    >>> m = staleness_model(d, cluster=None)
    >>> m.terms["term"].tolist()
    ['score (per point, at mean age)', 'score age (per year)', 'score x age (per point per year)']
    >>> bool(m.terms["odds_ratio"].iloc[2] > 1)
    True
    """
    keep = [c for c in dict.fromkeys([score, churned, age_months, cluster]) if c and c in data]
    d = data[keep].dropna(subset=[score, churned, age_months])
    d = d[d[age_months] >= 0]
    s = d[score].astype(float) - d[score].astype(float).mean()
    a = d[age_months].astype(float) / 12
    X = pd.DataFrame({"const": 1.0, "score": s, "age": a, "score_x_age": s * a}, index=d.index)
    groups = d[cluster] if cluster and cluster in d else None
    # score age is continuous: (almost) every row is its own covariate pattern, so fit on the rows
    res, kind = fit_logit(d[churned].astype(bool).to_numpy(), X, groups, patterns=False)
    cols = ["term", "odds_ratio", "ci_low", "ci_high", "p_value", "n"]
    if res is None:
        return LogitModel(pd.DataFrame(columns=cols), kind)
    out = odds_ratios(res, {"score": "score (per point, at mean age)", "age": "score age (per year)",
                            "score_x_age": "score x age (per point per year)"}, confidence)
    out["n"] = len(d)
    return LogitModel(out[cols], kind)


def stale_after_months(bands: pd.DataFrame) -> float | None:
    """The score age (months) from which the score no longer predicts churn.

    The lower edge of the first age band whose AUC interval includes 0.5 when
    every younger band's interval lies above 0.5 and every older band's
    includes 0.5 (or the band is empty). None when the youngest band does not
    predict either, or every band does.

    Parameters
    ----------
    bands : DataFrame
        Output of :func:`score_age_bands`.

    Examples
    --------
    >>> bands = pd.DataFrame({"months_from": [0, 3, 6, 12], "auc_ci_low": [0.6, 0.55, 0.45, 0.40]})
    >>> stale_after_months(bands)
    6.0
    """
    b = bands.dropna(subset=["auc_ci_low"]).sort_values("months_from")
    if b.empty or not b["auc_ci_low"].iloc[0] > 0.5:
        return None
    predictive = (b["auc_ci_low"] > 0.5).to_numpy()
    for i in range(1, len(b)):
        if not predictive[i] and not predictive[i:].any():
            return float(b["months_from"].iloc[i])
    return None

