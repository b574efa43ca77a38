"""Key drivers' building blocks: what explains the score (per response), and what explains churn (per account).

:func:`key_drivers` puts Johnson's relative weights and the LMG shares of R²
side by side (:mod:`npsdiag.stats.keydrivers`); :func:`churn_drivers` gives
each driver's odds ratio of churn per standard deviation beside its share of
McFadden's pseudo-R².
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ...stats.keydrivers import complete_cases, logit_and_loglik, logit_loglik, relative_importance, shapley_r2

__all__ = ["key_drivers", "churn_drivers"]


def key_drivers(
    data: pd.DataFrame,
    drivers: list[str],
    outcome: str = "score",
    cluster: str | None = None,
    n_boot: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """What explains the score: relative weights and LMG shares side by side.

    Parameters
    ----------
    data : DataFrame
        One row per response, with the score and the driver ratings.
    drivers : list of str
        Driver rating columns.
    outcome : str
        The score column.
    cluster : str, optional
        Cluster column for the bootstrap (e.g. ``"account_id"``).
    n_boot, confidence, seed
        Bootstrap settings, as in :func:`npsdiag.stats.keydrivers.relative_weights`.

    Returns
    -------
    DataFrame
        One row per driver: ``driver``, ``n``, ``mean`` (average rating),
        ``r`` (correlation with the score), ``share`` (relative weight as a
        share of R², 0-1), ``share_ci_low``, ``share_ci_high`` (its bootstrap
        interval), ``raw_weight``, ``lmg_share`` (share of R² by the LMG
        decomposition, 0-1), ``r2`` (the model's R²). Largest share first.

    Notes
    -----
    Johnson (2000) relative weights with an (account-)clustered percentile
    bootstrap (Tonidandel, LeBreton & Johnson 2009) and the LMG / Shapley
    decomposition of R² (Lindeman, Merenda & Gold 1980):
    :func:`npsdiag.stats.keydrivers.relative_importance` on the rows with
    the score and every driver.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame(rng.integers(1, 6, size=(100, 2)), columns=["ease", "value"])
    >>> df["score"] = (df["ease"] * 2 + rng.integers(0, 2, 100)).clip(0, 10)
    >>> key_drivers(df, ["ease", "value"], n_boot=0)["driver"].iloc[0]
    'ease'
    """
    drivers = list(drivers)
    keep, y, x = complete_cases(data, outcome, drivers)
    groups = np.asarray(pd.factorize(data[cluster])[0])[keep] if cluster and cluster in data.columns else None
    return relative_importance(y, x, drivers, groups, n_boot, confidence, seed)


def _complete(data: pd.DataFrame, outcome: str, drivers: list[str]) -> pd.DataFrame:
    """The outcome and driver columns as floats, rows with any of them missing left out."""
    sub = data[[outcome, *drivers]].copy()
    for c in [outcome, *drivers]:
        sub[c] = pd.to_numeric(sub[c], errors="coerce").astype("float64")
    return sub.dropna(subset=[outcome, *drivers])


def churn_drivers(
    data: pd.DataFrame,
    drivers: list[str],
    churned: str = "churned",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Which driver ratings explain churn, at account level.

    Parameters
    ----------
    data : DataFrame
        One row per account: the churn flag and the account's (mean) driver
        ratings (e.g. :func:`npsdiag.linking.account_means`).
    drivers : list of str
        Driver columns.
    churned : str
        0/1 or boolean churn column.
    confidence : float
        Level of the odds-ratio intervals.

    Returns
    -------
    DataFrame
        One row per driver: ``driver``, ``n`` (accounts used), ``odds_ratio``
        (of churn per standard deviation of the driver, all drivers in the
        model), ``or_ci_low``, ``or_ci_high``, ``p_value``, ``share`` (share
        of McFadden's pseudo-R² by the Shapley decomposition, 0-1; missing
        when not computable), ``pseudo_r2`` (full model). Empty when the
        model cannot be fitted (one class, too few accounts, separation).

    Notes
    -----
    Logistic regression of churn on the standardized drivers (maximum
    likelihood by Newton-Raphson, model-based standard errors and Wald
    tests, as statsmodels ``Logit`` gives them); McFadden's pseudo-R² =
    1 - logL / logL0 with the intercept-only logL0 in closed form
    n(p̂ log p̂ + (1 - p̂) log(1 - p̂)); shares from
    :func:`npsdiag.stats.keydrivers.shapley_r2` with ``model="logit"``
    (Azen & Traxel 2009).

    Examples
    --------
    >>> rng = np.random.default_rng(5)
    >>> df = pd.DataFrame(rng.normal(5, 2, size=(200, 2)), columns=["ease", "support"])
    >>> df["churned"] = (rng.random(200) < 1 / (1 + np.exp(df["support"] - 5))).astype(int)
    >>> churn_drivers(df, ["ease", "support"])["driver"].iloc[0]
    'support'
    """
    cols = ["driver", "n", "odds_ratio", "or_ci_low", "or_ci_high", "p_value", "share", "pseudo_r2"]
    drivers = list(drivers)
    sub = _complete(data, churned, drivers)
    if len(sub) < max(20, 5 * len(drivers)) or sub[churned].nunique() < 2 or not drivers:
        return pd.DataFrame(columns=cols)
    x = sub[drivers]
    sd = x.std()
    keep = [d for d in drivers if sd[d] > 0]
    if not keep:
        return pd.DataFrame(columns=cols)
    z = (x[keep] - x[keep].mean()) / sd[keep]
    yy = sub[churned].to_numpy(dtype="float64")
    res, llf = logit_and_loglik(yy, z.to_numpy(dtype="float64"), keep)
    if res is None or not res.converged or not np.all(np.isfinite(res.bse)):
        return pd.DataFrame(columns=cols)
    q = stats.norm.ppf(0.5 + confidence / 2)
    b, se = res.params[keep], res.bse[keep]
    out = pd.DataFrame({"driver": keep, "n": len(sub), "odds_ratio": np.exp(b.to_numpy()),
                        "or_ci_low": np.exp((b - q * se).to_numpy()), "or_ci_high": np.exp((b + q * se).to_numpy()),
                        "p_value": res.pvalues[keep].to_numpy()})
    sh = shapley_r2(sub, churned, keep, model="logit")
    out["share"] = out["driver"].map(dict(zip(sh["driver"], sh["share"], strict=True))) if not sh.empty else np.nan
    ll0 = logit_loglik(yy, None)  # intercept only, closed form
    out["pseudo_r2"] = 1 - llf / ll0 if ll0 != 0 else np.nan
    return out[cols].sort_values("share", ascending=False, na_position="last").reset_index(drop=True)
