"""Key drivers' checks: the drivers of the score, and of churn.

Each check returns a :class:`~npsdiag.findings.Check` with its table,
caption, figure and notes; ``context`` holds what the summary reads.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ...clean import Prepared
from ...findings import Check, Figure
from ...linking import account_positions, accounts_table
from ...stats.keydrivers import MAX_BOOT_UNITS, complete_cases, relative_importance
from . import blocks
from .figures import plot_drivers

__all__ = ["score_drivers", "churn_drivers"]


def score_drivers(prep: Prepared) -> Check:
    """What explains the score: relative weights and LMG shares of the drivers (per response).

    The bootstrap resamples accounts (the cached codes of the responses'
    account ids) when the responses carry them.
    """
    drivers = list(prep.drivers)
    if not drivers:
        return Check.skipped("score_drivers", "the survey export has no driver ratings mapped")
    r = prep.responses
    keep, y, x = complete_cases(r, "score", drivers)
    groups = np.asarray(prep.codes("account_id")[0])[keep] if "account_id" in r else None
    kd = relative_importance(y, x, drivers, groups, confidence=prep.settings.confidence)
    if kd.empty or kd["share"].isna().all():
        return Check.skipped("score_drivers", "too few responses rate every driver to estimate what explains the "
                                              "score")
    top = kd.iloc[0]
    figure = Figure("score_drivers", partial(plot_drivers, kd),
                    f"Drivers of the score: {top['driver']} carries {100 * top['share']:.0f}% of the explained "
                    f"variance (R² = {top['r2']:.2f}, n = {int(top['n'])}).")
    return Check(
        "score_drivers",
        tables={"score_drivers": kd},
        captions={"score_drivers": "Share of the explained variance of the score carried by each driver (Johnson "
                                   "relative weights, bootstrap interval; LMG share for comparison)."},
        figures=[figure],
        notes=["Relative weights: Johnson, J. W. (2000), Multivariate Behavioral Research 35(1); intervals by "
               "account-clustered percentile bootstrap (Tonidandel, LeBreton & Johnson 2009): 200 Poisson-bootstrap "
               "replicates (Hanley & MacGibbon 2006) of the accounts' sums and cross-products (accounts merged at "
               f"random into at most {MAX_BOOT_UNITS:,} groups on large exports).",
               "LMG / Shapley decomposition of R²: Lindeman, Merenda & Gold (1980); for churn, of McFadden's "
               "pseudo-R² of a logistic regression (Azen & Traxel 2009)."],
        context={"table": kd, "top": top})


def churn_drivers(prep: Prepared) -> Check:
    """What explains churn: each driver's odds ratio per SD and share of the pseudo-R² (accounts' mean ratings).

    The accounts' ratings come from the responses that may predict their
    outcome (:func:`~npsdiag.areas.drivers.ratings_by_account`: before it, by
    more than ``settings.outcome_embargo_days``), located on the cached
    codes of the responses' account ids.
    """
    drivers = list(prep.drivers)
    if not drivers:
        return Check.skipped("churn_drivers", "the survey export has no driver ratings mapped")
    acc, r = prep.accounts, prep.responses
    if acc is None or "churned" not in acc or "account_id" not in acc or acc["churned"].notna().sum() == 0:
        return Check.skipped("churn_drivers", "no account outcomes (churned or renewed) to relate the ratings to")
    if "account_id" not in r:
        return Check.skipped("churn_drivers", "the responses do not say which account they belong to")
    table = accounts_table(acc)
    pos = account_positions(r["account_id"], table, prep.codes("account_id"))
    af = blocks.ratings_by_account(r, table, pos, drivers, max(0.0, float(prep.settings.outcome_embargo_days)))
    cd = blocks.churn_drivers(af, drivers, confidence=prep.settings.confidence)
    if cd.empty:
        return Check.skipped("churn_drivers", "too few accounts with an outcome rate every driver, or all of them "
                                              "had the same outcome")
    return Check(
        "churn_drivers",
        tables={"churn_drivers": cd},
        captions={"churn_drivers": "Odds ratio of churn per standard deviation of each driver (accounts' mean "
                                   "ratings before the outcome, all drivers in one logistic model; p-values "
                                   "Benjamini-Hochberg adjusted across drivers) and its share of McFadden's "
                                   "pseudo-R²."},
        context={"table": cd})
