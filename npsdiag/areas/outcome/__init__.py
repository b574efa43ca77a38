"""Outcome: does the score predict what matters (retention, revenue)?

Responses are linked to the client's accounts; only responses given before
an account's outcome (renewal or churn), by more than the embargo
(``settings.outcome_embargo_days``, 30 days by default:
:func:`npsdiag.linking.before_outcome`), are used. An account's score is its
latest such score, its decision makers' latest where one answered, and
every model is fitted at account level, so that one account's many responses
do not count as many independent observations. The area reports churn (and
revenue churn) by NPS category with Wilson intervals, the detractor/promoter
lift, a logistic regression of churn on the score (maximum likelihood;
controls for account segments and log ARR where estimable) with the area
under the ROC curve and its DeLong interval, a Cox proportional-hazards
model on one calendar clock where outcome dates allow (each account entering
when its score was given, censored at the data's as-of date), how the
results move with the account score's definition, the "false comfort"
(promoters who churned) and "false alarm" (detractors who stayed) rates,
whether each role's scores predict churn, and a link too perfect to be a
survey score given before the decision.

Building blocks: on accounts (``accounts``) :func:`link_summary`,
:func:`account_scores`, :func:`role_account_scores`, :func:`decision_roles`;
on churn (``churn``) :func:`churn_by_category`, :func:`churn_lift`
(:class:`ChurnLift`), :func:`churn_logit`, :func:`false_signals`,
:func:`role_models` (:class:`RoleInteraction`), and :func:`auc_delong` (from
:mod:`npsdiag.stats.auc`); the Cox model (``hazard``) :func:`hazard_frame`,
:func:`cox_delayed_entry`, :func:`churn_hazard`; the definitions
(``definitions``) :func:`score_definitions`; figures (``figures``)
:func:`plot_churn_by_category`, :func:`plot_churn_curve`, :func:`plot_roles`.
:func:`diagnose` runs the checks (``checks``: unlinked responses, accounts,
churn by category, logistic model, Cox model, AUC, score definitions, false
signals, role models, churn drivers) and the finding rules (``rules``).

References
----------
.. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and
   statistical inference. JASA, 22(158), 209-212.
.. [2] DeLong, E. R., DeLong, D. M. & Clarke-Pearson, D. L. (1988). Comparing
   the areas under two or more correlated receiver operating characteristic
   curves: a nonparametric approach. Biometrics, 44(3), 837-845.
.. [3] Sun, X. & Xu, W. (2014). Fast implementation of DeLong's algorithm for
   comparing the areas under correlated receiver operating characteristic
   curves. IEEE Signal Processing Letters, 21(11), 1389-1393.
.. [4] Cox, D. R. (1972). Regression models and life-tables. JRSS B, 34(2),
   187-220.
.. [5] Katz, D., Baptista, J., Azen, S. P. & Pike, M. C. (1978). Obtaining
   confidence intervals for the risk ratio in cohort studies. Biometrics,
   34(3), 469-474.
.. [6] Andersen, P. K. & Gill, R. D. (1982). Cox's regression model for
   counting processes: a large sample study. Annals of Statistics, 10(4),
   1100-1120 (delayed entry).
.. [7] Lévesque, L. E., Hanley, J. A., Kezouh, A. & Suissa, S. (2010).
   Problem of immortal time bias in cohort studies. BMJ, 340, b5087.
"""

from ...stats.auc import auc_delong
from .accounts import account_scores, decision_roles, link_summary, role_account_scores
from .churn import (
    ChurnLift,
    RoleInteraction,
    churn_by_category,
    churn_lift,
    churn_logit,
    false_signals,
    role_models,
)
from .definitions import score_definitions
from .diagnose import diagnose
from .figures import plot_churn_by_category, plot_churn_curve, plot_roles
from .hazard import churn_hazard, cox_delayed_entry, hazard_frame

__all__ = [
    "decision_roles",
    "link_summary",
    "account_scores",
    "role_account_scores",
    "churn_by_category",
    "churn_lift",
    "ChurnLift",
    "auc_delong",
    "churn_logit",
    "hazard_frame",
    "cox_delayed_entry",
    "churn_hazard",
    "false_signals",
    "role_models",
    "RoleInteraction",
    "score_definitions",
    "plot_churn_by_category",
    "plot_churn_curve",
    "plot_roles",
    "diagnose",
]
