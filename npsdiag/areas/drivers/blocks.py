"""Key drivers' building blocks: what explains the score (per response), and what explains churn (per account).

:func:`key_drivers` puts Johnson's relative weights and the LMG shares of R²
side by side (:mod:`npsdiag.stats.keydrivers`); :func:`churn_drivers` gives
each driver's odds ratio of churn per standard deviation beside its share of
McFadden's pseudo-R², on the accounts' ratings of :func:`account_ratings`
(only responses that may predict the outcome: :func:`npsdiag.linking.before_outcome`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ...linking import account_positions, accounts_table, before_outcome
from ...stats.keydrivers import complete_cases, logit_and_loglik, logit_loglik, relative_importance, shapley_r2
from ...stats.multiplicity import bh_adjust

__all__ = ["EMBARGO_DAYS", "key_drivers", "account_ratings", "ratings_by_account", "churn_drivers"]

#: Days before an account's outcome whose responses do not predict it (``settings.outcome_embargo_days``'s default).
EMBARGO_DAYS = 30


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


def ratings_by_account(responses: pd.DataFrame, table: pd.DataFrame, pos: np.ndarray, drivers: list[str],
                       embargo_days: float = EMBARGO_DAYS) -> pd.DataFrame:
    """:func:`account_ratings` from the responses' account positions in ``table`` (``linking.accounts_table``).

    ``pos`` is each response's row in ``table`` (negative: none), as
    :func:`npsdiag.linking.account_positions` gives it (from cached codes in the areas' checks).
    """
    cols = ["account_id", "churned", *drivers]
    if "churned" not in table or not len(table):
        return pd.DataFrame(columns=cols)
    has = table["churned"].notna().to_numpy()
    pos = np.asarray(pos)
    use = (pos >= 0) & has[np.maximum(pos, 0)]
    if "outcome_at" in table and "responded_at" in responses:
        outcome = table["outcome_at"].to_numpy(dtype="datetime64[ns]")[np.maximum(pos, 0)]
        use &= before_outcome(responses["responded_at"], outcome, embargo_days)
    k, g = len(table), pos[use]
    means = {}
    for d in drivers:
        v = pd.to_numeric(responses[d], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)[use]
        ok = ~np.isnan(v)
        with np.errstate(invalid="ignore", divide="ignore"):
            means[d] = np.bincount(g[ok], weights=v[ok], minlength=k) / np.bincount(g[ok], minlength=k)
    rows = np.flatnonzero((np.bincount(g, minlength=k) > 0) & has)  # accounts (in table order) with a usable response
    out = table[["account_id", "churned"]].take(rows).reset_index(drop=True)
    out["churned"] = out["churned"].astype(bool).astype(int)
    for d in drivers:
        out[d] = means[d][rows]
    return out[cols]


def account_ratings(
    responses: pd.DataFrame,
    accounts: pd.DataFrame,
    drivers: list[str],
    embargo_days: float = EMBARGO_DAYS,
) -> pd.DataFrame:
    """Each account's mean driver ratings from the responses that may predict its outcome, and the outcome.

    Parameters
    ----------
    responses : DataFrame
        Analysed responses with ``account_id``, the driver columns and (optionally) ``responded_at``.
    accounts : DataFrame
        Accounts with ``account_id``, ``churned`` and optionally ``outcome_at``.
    drivers : list of str
        Driver rating columns.
    embargo_days : float
        Responses given less than this many days before the account's
        outcome (or after it) are not used (:func:`npsdiag.linking.before_outcome`:
        a rating given once the decision is taken would flatter it).

    Returns
    -------
    DataFrame
        One row per account with a known outcome and at least one usable
        response, in the order of the accounts table: ``account_id``,
        ``churned`` (0/1) and the mean of each driver (NaN when none of its
        responses rated it).

    Examples
    --------
    >>> r = pd.DataFrame({"account_id": ["a", "a", "b"], "Support": [2.0, 4.0, 5.0],
    ...                   "responded_at": pd.to_datetime(["2025-01-01", "2025-05-20", "2025-01-01"])})
    >>> acc = pd.DataFrame({"account_id": ["a", "b"], "churned": [True, False],
    ...                     "outcome_at": pd.to_datetime(["2025-06-01", "2025-12-01"])})
    >>> account_ratings(r, acc, ["Support"]).to_numpy().tolist()  # a's rating of 20 May is in the 30-day embargo
    [['a', 1, 2.0], ['b', 0, 5.0]]
    """
    if "churned" not in accounts or "account_id" not in responses or "account_id" not in accounts:
        return pd.DataFrame(columns=["account_id", "churned", *drivers])
    table = accounts_table(accounts)
    return ratings_by_account(responses, table, account_positions(responses["account_id"], table), list(drivers),
                              embargo_days)


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
        ratings (e.g. :func:`account_ratings`).
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
        model), ``or_ci_low``, ``or_ci_high``, ``p_value``, ``p_adj``
        (Benjamini-Hochberg across the drivers), ``share`` (share
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
    cols = ["driver", "n", "odds_ratio", "or_ci_low", "or_ci_high", "p_value", "p_adj", "share", "pseudo_r2"]
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
    out["p_adj"] = bh_adjust(out["p_value"].to_numpy())
    sh = shapley_r2(sub, churned, keep, model="logit")
    out["share"] = out["driver"].map(dict(zip(sh["driver"], sh["share"], strict=True))) if not sh.empty else np.nan
    ll0 = logit_loglik(yy, None)  # intercept only, closed form
    out["pseudo_r2"] = 1 - llf / ll0 if ll0 != 0 else np.nan
    return out[cols].sort_values("share", ascending=False, na_position="last").reset_index(drop=True)
