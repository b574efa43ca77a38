"""Key drivers' diagnosis: the checks and the summary, gathered into the area's result."""

from __future__ import annotations

from ...clean import Prepared
from ...findings import AreaResult, not_assessed
from . import checks, rules

__all__ = ["diagnose"]


def diagnose(prep: Prepared) -> AreaResult:
    """Key drivers of one client's score (and of churn where outcomes exist).

    Returns an :class:`AreaResult` for the area ``"drivers"`` with the tables
    ``score_drivers`` and (when accounts carry ``churned``) ``churn_drivers``
    and a bar chart; it has no findings of its own (SPEC ids do not cover
    drivers) and is ``not_assessed`` when no driver column is configured or
    too few responses rate every driver.
    """
    score = checks.score_drivers(prep)
    if not score.assessed:
        return not_assessed("drivers", score.reason)
    churn = checks.churn_drivers(prep)
    return AreaResult.from_checks("drivers", [score, churn], [], summary=rules.summary(score.context))
