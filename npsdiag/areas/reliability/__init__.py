"""The reliability area: can this data be trusted at all?

What it checks, each with a building block an analyst can call directly:

- rows that cannot be analysed, counted per reason with example row numbers
  (:func:`exclusion_summary`; the exclusions themselves are made by
  :func:`npsdiag.clean.prepare`) and the data lineage (rows read -> excluded
  -> analysed); for a flat export (one row per account) how many accounts
  responded (:func:`response_coverage`) instead of "responses with no score";
- feed gaps: periods with no or abnormally few responses against the
  invitations sent where they exist (:func:`invitation_exposure`), else
  against the series' own level (:func:`feed_gaps`, runs of gap periods
  :func:`gap_runs`); a survey sent in waves (:func:`survey_waves`) is judged
  against its own rhythm, wave by wave (:func:`wave_gaps`);
- precision: the margin of error of the headline and of every trend point
  (:func:`nps_trend`) and the responses needed per period to detect a change
  (:func:`sample_size_plan`);
- score gaming: owners (reps, CSMs, agents) whose customers give an
  implausible excess of 10s against 9s (:func:`owner_heaping`, on an
  overdispersed funnel plot, :func:`owner_funnel`) or whose scores do not go
  with their accounts' churn as other owners' do (:func:`owner_outcomes`);
  :func:`owner_review` gives the verdict per owner.

:func:`diagnose` runs them all and returns the area's findings, tables and
figures.

The package's modules: :mod:`.blocks` (exclusions, feed gaps, precision) and
:mod:`.owners` (score gaming) hold the building blocks, :mod:`.checks` one
function per check, :mod:`.rules` the thresholds, finding rules and texts,
:mod:`.figures` the ``plot_*`` functions and :mod:`.diagnose` the diagnosis.
"""

from __future__ import annotations

from .blocks import (
    exclusion_summary,
    feed_gaps,
    gap_runs,
    invitation_exposure,
    nps_trend,
    response_coverage,
    sample_size_plan,
    survey_waves,
    wave_gaps,
)
from .diagnose import diagnose
from .owners import OwnerFunnel, owner_funnel, owner_heaping, owner_outcomes, owner_review
from .rules import EXCLUSION_FINDINGS, GAMING_ALPHA, MAX_MOE

__all__ = ["diagnose", "exclusion_summary", "response_coverage", "feed_gaps", "invitation_exposure", "survey_waves",
           "wave_gaps", "gap_runs", "nps_trend",
           "sample_size_plan", "owner_heaping", "owner_outcomes", "owner_review", "owner_funnel", "OwnerFunnel",
           "EXCLUSION_FINDINGS", "MAX_MOE", "GAMING_ALPHA"]
