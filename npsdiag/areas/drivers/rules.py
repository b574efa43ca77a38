"""Key drivers' rules: a driver that explains most of the score, or alone predicts churn (``drivers.dominant_driver``).

A rule is a function of check contexts (:mod:`npsdiag.areas.drivers.checks`)
returning a :class:`~npsdiag.findings.Finding` or None; a skipped check's
context is empty and its part of the rule stays silent.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...findings import Finding

__all__ = ["DOMINANT_SHARE", "dominant_driver", "summary"]

#: A driver "explains most of the score" when the lower end of its share's interval is above this share
#: of the explained variance (the share itself then is too).
DOMINANT_SHARE = 0.5


def _dominant(score_drivers: dict[str, Any]) -> pd.Series | None:
    """The score driver whose share of the explained variance is above :data:`DOMINANT_SHARE`, interval and all.

    Only a driver whose ratings rise with the score (a positive correlation) counts.
    """
    kd = score_drivers.get("table")
    if kd is None or kd["share"].notna().sum() < 2:  # a single driver explains everything it explains
        return None
    top = kd.iloc[0]
    low = top.get("share_ci_low", np.nan)
    # a driver whose ratings fall as the score rises (a reversed scale?) is not a lever: no claim
    return top if np.isfinite(low) and low > DOMINANT_SHARE and top.get("r", np.nan) > 0 else None


def _churn_predictors(churn_drivers: dict[str, Any], alpha: float) -> pd.DataFrame | None:
    """The drivers whose higher ratings go with less churn (BH-adjusted), or None when churn was not modelled."""
    cd = churn_drivers.get("table")
    if cd is None or len(cd) < 2:
        return None
    return cd[(cd["p_adj"] < alpha) & (cd["odds_ratio"] < 1)]


def _title(top: pd.Series | None, sole: pd.Series | None) -> str:
    if top is not None and sole is not None and sole["driver"] == top["driver"]:
        return (f"{top['driver']} explains most of the score ({100 * top['share']:.0f}% of what the drivers explain) "
                "and is the only driver that predicts churn")
    if top is not None and sole is not None:
        return f"{top['driver']} explains most of the score, but only {sole['driver']} predicts churn"
    if top is not None:
        return f"{top['driver']} explains most of the score ({100 * top['share']:.0f}% of what the drivers explain)"
    return f"Only {sole['driver']} predicts churn among the drivers rated"


def _sole_text(sole: pd.Series, cd: pd.DataFrame) -> str:
    """What says that ``sole`` alone predicts churn among the drivers of ``cd`` (the churn drivers table)."""
    others = cd[cd["driver"] != sole["driver"]]
    rest = "; ".join(f"{row['driver']} {row['odds_ratio']:.2f}, {row['or_ci_low']:.2f}–{row['or_ci_high']:.2f}"
                     for _, row in others.iterrows())
    return (f"Of the {len(cd)} drivers, only {sole['driver']} predicts which accounts churn once the others are taken "
            f"into account: each standard deviation higher goes with {100 * (1 - sole['odds_ratio']):.0f}% lower odds "
            f"of churn (odds ratio {sole['odds_ratio']:.2f}, {sole['or_ci_low']:.2f}–{sole['or_ci_high']:.2f}, "
            f"n = {int(sole['n']):,} accounts), while the others' odds ratios are not significant once the number of "
            f"drivers tested is allowed for ({rest}).")


def dominant_driver(score_drivers: dict[str, Any], churn_drivers: dict[str, Any], alpha: float) -> Finding | None:
    """``drivers.dominant_driver``: one driver explains most of the score, or alone predicts churn.

    Fires when the top driver's share of the score's explained variance has
    its bootstrap interval above :data:`DOMINANT_SHARE` (Johnson's relative
    weights), and/or when exactly one of at least two drivers predicts churn
    (higher ratings, less churn; Benjamini-Hochberg adjusted p below
    ``alpha`` in the account-level logistic model of all drivers).
    ``score_drivers`` and ``churn_drivers`` are the checks' contexts.
    """
    top = _dominant(score_drivers)
    preds = _churn_predictors(churn_drivers, alpha)
    sole = preds.iloc[0] if preds is not None and len(preds) == 1 else None
    if top is None and sole is None:
        return None
    kd, cd = score_drivers.get("table"), churn_drivers.get("table")
    parts, ev = [], {}
    if top is not None:
        parts.append(f"{top['driver']} accounts for {100 * top['share']:.0f}% of the part of the score that the "
                     f"{len(kd)} driver ratings explain (interval {100 * top['share_ci_low']:.0f}–"
                     f"{100 * top['share_ci_high']:.0f}%; together they explain {100 * top['r2']:.0f}% of the score's "
                     f"variation, n = {int(top['n']):,} responses).")
        ev.update(score_driver=top["driver"], share=float(top["share"]), share_ci_low=float(top["share_ci_low"]),
                  share_ci_high=float(top["share_ci_high"]), r2=float(top["r2"]), responses=int(top["n"]))
    if sole is not None:
        parts.append(_sole_text(sole, cd))
        ev.update(churn_driver=sole["driver"], odds_ratio_per_sd=float(sole["odds_ratio"]),
                  or_ci_low=float(sole["or_ci_low"]), or_ci_high=float(sole["or_ci_high"]),
                  p_adj=float(sole["p_adj"]), accounts=int(sole["n"]))
    elif preds is not None and top is not None:
        ev["churn_drivers"] = preds["driver"].tolist()
    parts.append("The ratings come from the same questionnaire as the score: these shares say where the score's "
                 "variation lies, not what causes it.")
    lever = sole["driver"] if sole is not None else top["driver"]
    why = "retention" if sole is not None else "the score"
    return Finding(
        "drivers.dominant_driver", "medium", _title(top, sole), " ".join(parts), evidence=ev,
        recommendation=(f"Make {lever} the first lever for {why} rather than spreading effort evenly across the "
                        f"drivers: set a target for its rating, review the comments of accounts that rate it low, and "
                        f"track whether accounts whose {lever} rating improves renew more (or score higher) before "
                        "investing further."))


def summary(score_drivers: dict[str, Any], findings: list[Finding] | None = None) -> str:
    """One sentence: the finding's title, else the driver that explains the largest share and the drivers' R².

    ``score_drivers`` is the context of :func:`npsdiag.areas.drivers.checks.score_drivers` (its ``top`` row).
    """
    if findings:
        return findings[0].title + "."
    top = score_drivers["top"]
    how = "most" if top["share"] > DOMINANT_SHARE else "the largest share"
    return (f"{top['driver']} explains {how} of the score ({100 * top['share']:.0f}% of the explained "
            f"variance; the drivers together explain {100 * top['r2']:.0f}% of it); no single driver dominates "
            "beyond doubt.")
