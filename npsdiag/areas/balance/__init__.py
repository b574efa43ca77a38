"""The balance area: whose voice is this?

An NPS speaks for the people who answered. This area checks whether they
are the people who matter, each check a building block an analyst can call:

- the respondents' role mix against the contact population (or the
  invitations), with a goodness-of-fit test (:func:`role_mix`), and NPS by
  role with the gap between roles tested (:func:`nps_by_role`);
- accounts with a single voice and how concentrated responses are across
  accounts (:func:`respondents_per_account`, :func:`voice_distribution`,
  :func:`concentration`, :func:`top_share_null`, :func:`lorenz_curve`, from
  :mod:`npsdiag.stats.concentration`);
- revenue coverage per quarter: share of ARR with any response and with a
  decision-maker response (:func:`revenue_coverage`);
- non-response bias: invited people who answered against those who did not,
  on role, segments, ARR and churn (:func:`match_invitations`,
  :func:`invitation_attributes`, :func:`nonresponse_bias`,
  :func:`response_rates`; each attribute's table corrected by its own design
  effects, the first-order Rao-Scott correction of
  :mod:`npsdiag.stats.design`); without invitations, where the accounts
  table lists the whole customer base, responding accounts against the
  others (:func:`account_attributes`, :func:`nonresponse_bias` with
  independent accounts), with the share of accounts that responded;
- a balance-adjusted NPS beside the raw one (:func:`adjusted_nps`, with the
  weights of :mod:`npsdiag.stats.weighting`), and the three NPS a client may
  track side by side, each with a design-based interval: every response, one
  vote per account, decision makers' (:func:`which_nps`).

Decision makers are the roles of ``settings.decision_roles`` or, when it is
not set, roles whose names say so (:func:`decision_roles`, from
:mod:`npsdiag.linking`). The figures of the report are ``plot_*`` functions
of these blocks' tables.

The package's parts: the building blocks by topic (:mod:`.roles`,
:mod:`.accounts`, :mod:`.nonresponse`, :mod:`.adjusted`), the checks
(:mod:`.checks`), the finding rules and their thresholds (:mod:`.rules`),
the figures (:mod:`.figures`) and :func:`diagnose`. On large exports the
checks count on integer codes of the ids (``prep.codes``), match the tables'
ids once on their distinct values, and test non-response on counts per level
and per account; the building blocks above take plain DataFrames and give
the same tables.
"""

from ...linking import DECISION_PATTERN, decision_roles
from ...stats.concentration import SIMULATE_MAX_ACCOUNTS, concentration, lorenz_curve, top_share_null
from ...stats.design import proportion_design_effect as response_design_effect
from .accounts import respondents_per_account, revenue_coverage, voice_distribution
from .adjusted import adjusted_nps, which_nps
from .diagnose import diagnose
from .figures import plot_concentration, plot_response_rates, plot_revenue_coverage, plot_role_mix, plot_role_nps
from .nonresponse import (
    account_attributes,
    invitation_attributes,
    match_invitations,
    nonresponse_bias,
    response_rates,
)
from .roles import nps_by_role, role_mix, unify_roles
from .rules import DOMINANT_SHARE

__all__ = ["diagnose", "decision_roles", "role_mix", "nps_by_role", "unify_roles", "respondents_per_account",
           "voice_distribution", "lorenz_curve", "concentration", "top_share_null", "revenue_coverage",
           "match_invitations", "invitation_attributes", "nonresponse_bias", "response_rates",
           "account_attributes", "response_design_effect", "adjusted_nps", "which_nps", "plot_role_mix",
           "plot_role_nps", "plot_concentration", "plot_revenue_coverage", "plot_response_rates", "DECISION_PATTERN",
           "DOMINANT_SHARE",
           "SIMULATE_MAX_ACCOUNTS"]
