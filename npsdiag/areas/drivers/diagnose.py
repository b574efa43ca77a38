"""Key drivers' diagnosis: the checks, the rule and the summary, gathered into the area's result."""

from __future__ import annotations

from ...clean import Prepared
from ...findings import AreaResult, not_assessed
from . import checks, rules

__all__ = ["diagnose"]


def diagnose(prep: Prepared) -> AreaResult:
    """Key drivers of one client's score (and of churn where outcomes exist).

    Returns an :class:`AreaResult` for the area ``"drivers"`` with the tables
    ``score_drivers`` and (when accounts carry ``churned``) ``churn_drivers``,
    a bar chart, and the finding ``drivers.dominant_driver`` (one driver
    explains most of the score, or alone predicts churn). ``not_assessed`` when no
    driver column is configured or too few responses rate every driver;
    "partly assessed" when churn could not be related to the drivers.
    """
    score = checks.score_drivers(prep)
    if not score.assessed:
        return not_assessed("drivers", score.reason)
    churn = checks.churn_drivers(prep)
    found = rules.dominant_driver(score.context, churn.context, 1 - prep.settings.confidence)
    findings = [found] if found is not None else []
    return AreaResult.from_checks("drivers", [score, churn], findings, summary=rules.summary(score.context, findings),
                                  illustrates={"score_drivers": ("drivers.dominant_driver",)})
