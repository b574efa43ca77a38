"""Decay: does feedback reach the front line while it is fresh?

An NPS score loses value quickly. A detractor called back within days can
often be saved; one heard after a month is often lost; a score taken a year
before renewal says little about the renewal. This area measures:

- **follow-up** (closed loop): days from response to follow-up for detractors
  (and passives that were followed up), the share handled within the SLA
  (``settings.follow_up_sla_days``) and the share never followed up, overall,
  by month and by owner (:mod:`.followup`);
- **follow-up effect**: churn of detractors by follow-up latency band and a
  logistic model of churn on latency band controlling for the score
  (:mod:`.followup`);
- **score staleness**: how the association between score and churn (AUC,
  odds ratio per point) changes with the age of the score at the outcome date
  (:mod:`.staleness`), with intervals clustered by account
  (:func:`auc_clustered`, :mod:`.discrimination`);
- **response rates** by month from invitations, with a trend test, and the
  invitation-to-response latency (:mod:`.rates`);
- the **callback queue**: the detractors waiting for a follow-up, most
  urgent first (:mod:`.queue`, written as ``callback_queue.csv``).

The building blocks take DataFrames and column names and return tidy
DataFrames or small result objects (:class:`LogitModel`,
:class:`ResponseRateTrend`, :class:`ResponseLatency`); :mod:`.checks` runs
them on the prepared data, :mod:`.rules` turns the checks into the
``decay.*`` findings, :mod:`.figures` draws the figures and :func:`diagnose`
assembles an :class:`~npsdiag.findings.AreaResult`. The invitations are
matched to responses by :func:`npsdiag.linking.match_invitations`, the end of
the data is :func:`npsdiag.linking.data_end_date`; a response relates to its
account's outcome only when given before it, with the embargo
(:func:`npsdiag.linking.before_outcome`, ``settings.outcome_embargo_days``);
Wilson intervals and median intervals come from :mod:`npsdiag.stats`.

Right-censoring: a detractor who answered less than the SLA before the end
of the data and has not been followed up yet is *open*, not *never*.

References
----------
.. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and
   statistical inference. JASA 22(158), 209-212.
.. [2] Obuchowski, N. A. (1997). Nonparametric analysis of clustered ROC
   curve data. Biometrics 53(2), 567-578.
.. [3] Conover, W. J. (1999). Practical Nonparametric Statistics, 3rd ed.,
   section 3.2 (distribution-free confidence interval for a quantile).
.. [4] Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery
   rate. JRSS B 57(1), 289-300.
"""

from .diagnose import diagnose
from .discrimination import ClusteredAuc, auc_clustered
from .figures import plot_auc_by_score_age, plot_churn_by_follow_up, plot_follow_up_ecdf, plot_response_rate
from .followup import (
    STATUS_ORDER,
    band_labels,
    follow_up_churn,
    follow_up_churn_model,
    follow_up_latency,
    follow_up_summary,
    latency_band,
    within_sla_by_group,
)
from .models import LogitModel
from .periods import calendar_periods, period_labels
from .queue import CALLBACK_COLUMNS, callback_queue
from .rates import ResponseLatency, ResponseRateTrend, response_latency, response_rate_trend, response_rates
from .staleness import AGE_BANDS_MONTHS, score_age_bands, stale_after_months, staleness_model

__all__ = [
    "diagnose",
    "follow_up_latency",
    "follow_up_summary",
    "within_sla_by_group",
    "latency_band",
    "band_labels",
    "follow_up_churn",
    "follow_up_churn_model",
    "LogitModel",
    "score_age_bands",
    "auc_clustered",
    "ClusteredAuc",
    "staleness_model",
    "stale_after_months",
    "response_rates",
    "response_rate_trend",
    "response_latency",
    "ResponseRateTrend",
    "ResponseLatency",
    "calendar_periods",
    "period_labels",
    "callback_queue",
    "CALLBACK_COLUMNS",
    "plot_follow_up_ecdf",
    "plot_churn_by_follow_up",
    "plot_auc_by_score_age",
    "plot_response_rate",
    "AGE_BANDS_MONTHS",
    "STATUS_ORDER",
]
