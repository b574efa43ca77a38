"""The back of the appendix: methodology, data and lineage, glossary, the footer; each finding's typical owner.

The texts a consultant maintains are data here: :data:`ACTIONS` (owner and
measure of progress per finding id, shown on the finding cards of the
appendix), :data:`METHODS` and the methods named when an area's notes
mention them, :data:`GLOSSARY`. The markup is in the partials
``methodology``, ``data_appendix``, ``glossary`` and ``footer``
(``templates/npsdiag/partials``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import __version__
from ..findings import Diagnosis, Finding
from .partials import render, safe
from .tables import table_html
from .text import AREA_SHORT, client_text, generated_date

__all__ = ["ACTIONS", "AREA_ACTIONS", "METHODS", "METHOD_LIBRARY", "GLOSSARY", "MAX_WARNINGS",
           "action_for", "methods_used", "methodology", "data_appendix", "glossary", "footer"]

# --------------------------------------------------------------------------- owners and measures

#: Typical owning function and measure of progress per finding id (SPEC "Findings contract").
ACTIONS: dict[str, tuple[str, str]] = {
    "reliability.missing_values": ("Survey platform owner (CX operations)",
                                   "Share of responses with a usable score and date, monthly (aim: 98% or more)"),
    "reliability.out_of_range": ("Survey platform owner (CX operations)",
                                 "Responses with a score outside the scale or not a number, monthly (aim: none)"),
    "reliability.duplicates": ("Survey platform owner with data engineering",
                               "Duplicate and repeat responses inside the cool-off, monthly (aim: under 0.5%)"),
    "reliability.test_responses": ("Survey platform owner (CX operations)",
                                   "Test, preview and unfinished responses in the production export (aim: none)"),
    "reliability.date_anomalies": ("Data engineering / CRM administrator",
                                   "Responses dated in the future or before their invitation (aim: none)"),
    "reliability.feed_gaps": ("Data engineering (survey integration)",
                              "Weekly response volume against its expected range, with an alert on a gap"),
    "reliability.small_sample": ("CX insights lead",
                                 "Margin of error of every NPS reported (aim: ±10 points or less)"),
    "reliability.score_gaming": ("Customer success / sales leadership (incentive design)",
                                 "Each owner's share of 10s among 9s and 10s against peers, quarterly"),
    "balance.role_skew": ("Customer success leadership with the CX program owner",
                          "Share of responses per role against the contact population, quarterly"),
    "balance.single_voice": ("Customer success managers",
                             "Share of responding accounts with two or more respondents, quarterly"),
    "balance.concentration": ("CX program owner",
                              "Share of responses from the top 10% of accounts, quarterly"),
    "balance.revenue_coverage": ("Account management / customer success leadership",
                                 "Share of ARR with a decision-maker response in the quarter (against the target)"),
    "balance.role_gap": ("CX lead with account executives",
                         "NPS per role with its interval, quarterly"),
    "balance.nonresponse_bias": ("CX insights lead",
                                 "Response rate per role and segment; balance-adjusted against raw NPS"),
    "segmentation.hidden_segment": ("Business owner of the segment (e.g. regional lead) with the CX lead",
                                    "The segment's NPS against the rest, with its interval, quarterly"),
    "segmentation.insufficient_n": ("CX insights lead",
                                    "Responses per segment and period against the reporting minimum"),
    "segmentation.mix_shift": ("CX insights lead / executive reporting",
                               "NPS reported raw and mix-adjusted each period"),
    "segmentation.dispersion": ("CX lead with segment owners",
                                "Spread of segment NPS beyond noise (τ), quarterly"),
    "outcome.no_link": ("CX lead with finance / revenue operations",
                        "Churn by NPS category and the AUC of the score for churn, each renewal cycle"),
    "outcome.inverse_link": ("CX lead with finance / revenue operations",
                             "Churn by NPS category and the AUC of the score for churn, each renewal cycle"),
    "outcome.false_comfort": ("Customer success managers",
                              "Churn rate of promoter accounts, per renewal cohort"),
    "outcome.role_predictiveness": ("CX lead with customer success",
                                    "AUC of each role's score for churn, each renewal cycle"),
    "outcome.unlinked": ("CRM administrator / data engineering",
                         "Share of responses matched to an account (aim: 98% or more)"),
    "outcome.suspicious_link": ("CX insights lead with the CRM administrator",
                                "How and when scores are recorded against renewal decisions, checked per source"),
    "drivers.dominant_driver": ("Product and operations leaders",
                                "The leading driver's rating and its share of what the drivers explain, quarterly"),
    "decay.slow_follow_up": ("Front-line managers (support, customer success)",
                             "Median days to follow up a detractor and share within the SLA, weekly"),
    "decay.no_follow_up": ("Front-line managers (support, customer success)",
                           "Share of detractors never followed up (aim: none), weekly"),
    "decay.follow_up_effect": ("Customer success leadership",
                               "Churn of detractors' accounts by follow-up speed, each renewal cycle"),
    "decay.score_staleness": ("CX program owner",
                              "Share of accounts with a score in the six months before their renewal"),
    "decay.response_rate_trend": ("CX program owner / survey operations",
                                  "Response rate per month with its interval"),
    "decay.response_latency": ("Survey operations",
                               "Median days from invitation to response; timing of reminders"),
}
#: Owner and measure of an area's finding that :data:`ACTIONS` does not list.
AREA_ACTIONS: dict[str, tuple[str, str]] = {
    "reliability": ("CX operations / survey platform owner", "Share of rows usable; feed volume each week"),
    "balance": ("Customer success leadership", "Decision-maker response share; ARR covered each quarter"),
    "segmentation": ("CX lead with the segment's business owner", "Segment NPS with its interval each quarter"),
    "outcome": ("CX lead with finance / revenue operations", "Churn by NPS category; AUC of the score"),
    "decay": ("Front-line managers (support, CSM)", "Detractors followed up within the SLA"),
    "drivers": ("Product and operations leaders", "The leading driver's rating each quarter"),
    "verbatims": ("Product and CX teams", "Share of comments in each theme, quarterly"),
}
_DEFAULT_ACTION = ("CX lead", "The finding's evidence, re-measured")


def action_for(f: Finding) -> tuple[str, str]:
    """The typical owner and the measure of progress of a finding (by its id, else its area)."""
    return ACTIONS.get(f.id) or AREA_ACTIONS.get(f.area, _DEFAULT_ACTION)


# --------------------------------------------------------------------------- appendices

#: Methods used across the diagnosis: (name, what it does, reference). The first two always apply;
#: the others (:data:`METHOD_LIBRARY`) are listed when an area's method notes mention one of their keywords.
METHODS: list[tuple[str, str, str]] = [
    ("NPS and its interval",
     "NPS = % promoters (9–10) − % detractors (0–6). Intervals are the adjusted Wald interval: 0.75 detractor, "
     "1.5 passive and 0.75 promoter are added before computing the NPS and its variance "
     "p_pro + p_det − (p_pro − p_det)²; interval = adjusted NPS ± z·√(var/(n+3)).",
     "Rocks, B. (2016). Interval Estimation for the \u201cNet Promoter Score\u201d. The American Statistician "
     "70(4), 365–372. Lewis, J. R. & Sauro, J. (2021). Journal of User Experience 16(3)."),
    ("Differences between groups",
     "Two-sample Wald z-test on the difference of two NPS (variances from the adjusted counts); across many "
     "segments p-values are adjusted with the Benjamini–Hochberg false discovery rate.",
     "Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57(1), 289–300."),
]
METHOD_LIBRARY: list[tuple[tuple[str, ...], tuple[str, str, str]]] = [
    (("wilson",), ("Intervals of proportions",
                   "Shares and rates (churn, response, follow-up) carry Wilson score intervals.",
                   "Wilson, E. B. (1927). Probable inference. JASA 22(158), 209–212.")),
    (("logit", "logistic"), ("Logistic regression",
                             "Churn modelled on the score (and controls) at account level with statsmodels; odds "
                             "ratios with Wald intervals, clustered by account where responses repeat.",
                             "Hosmer, D. W., Lemeshow, S. & Sturdivant, R. X. (2013). Applied Logistic Regression, "
                             "3rd ed. Wiley.")),
    (("delong",), ("AUC and its interval (DeLong)",
                   "How well a score separates churned from retained accounts; 0.5 is chance.",
                   "DeLong, E. R., DeLong, D. M. & Clarke-Pearson, D. L. (1988). Biometrics 44(3), 837–845.")),
    (("hanley",), ("AUC interval (Hanley–McNeil)", "Standard error of the AUC from its sample sizes.",
                   "Hanley, J. A. & McNeil, B. J. (1982). Radiology 143(1), 29–36.")),
    (("obuchowski",), ("AUC interval for clustered responses (Obuchowski)",
                       "DeLong's placements averaged per account: the AUC's standard error when accounts answer "
                       "many times.",
                       "Obuchowski, N. A. (1997). Nonparametric analysis of clustered ROC curve data. Biometrics "
                       "53(2), 567–578.")),
    (("dean & pagano", "dean and pagano", "effective counts"),
     ("Wilson interval on effective counts", "The Wilson interval of a share with n and the count divided by the "
                                             "design effect, when responses cluster in accounts.",
      "Dean, N. & Pagano, M. (2015). Evaluating confidence interval methods for binomial proportions in clustered "
      "surveys. Journal of Survey Statistics and Methodology 3(4), 484–503.")),
    (("cox", "phreg", "hazard"), ("Proportional hazards model",
                                  "Time to churn after the last response, renewals censored (statsmodels PHReg).",
                                  "Cox, D. R. (1972). Regression models and life-tables. JRSS B 34(2), 187–220.")),
    (("kitagawa", "mix/rate", "mix and rate"), ("Mix/rate decomposition",
                                                "A change in NPS split into a change of segment mix and a change "
                                                "of segment scores.",
                                                "Kitagawa, E. M. (1955). Components of a difference between two "
                                                "rates. JASA 50(272), 1168–1194.")),
    (("dersimonian", "tau"), ("Between-segment spread",
                              "DerSimonian–Laird estimate of the spread of segment NPS beyond sampling noise, with "
                              "Q-profile interval and I².",
                              "DerSimonian, R. & Laird, N. (1986). Controlled Clinical Trials 7, 177–188. "
                              "Viechtbauer, W. (2007). Statistics in Medicine 26, 37–52.")),
    (("spiegelhalter", "funnel"), ("Funnel plot with overdispersion",
                                   "Owners' excess of 10s judged against control limits that widen for small "
                                   "volumes.",
                                   "Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional "
                                   "performance. Statistics in Medicine 24, 1185–1202.")),
    (("negative binomial", "rolling median"), ("Feed-gap detection",
                                              "Responses per week against a rolling median, tested with a negative "
                                              "binomial model.",
                                              "Hilbe, J. M. (2011). Negative Binomial Regression, 2nd ed. "
                                              "Cambridge University Press.")),
    (("taylor", "post-stratification", "kish"), ("Balance-adjusted NPS",
                                                 "Re-weighting so that each account counts once or roles match the "
                                                 "contact population; Taylor-linearised standard errors.",
                                                 "Holt, D. & Smith, T. M. F. (1979). JRSS A 142(1), 33–46. "
                                                 "Kish, L. (1965). Survey Sampling. Wiley.")),
    (("gini", "lorenz"), ("Concentration of responses",
                          "Gini coefficient and top-decile share of responses across accounts.",
                          "Gini, C. (1912). Variabilità e mutabilità.")),
    (("cramer",), ("Chi-square tests and Cramér's V",
                   "Association between categorical attributes; V is the effect size (0 none, 1 complete).",
                   "Cramér, H. (1946). Mathematical Methods of Statistics. Princeton University Press.")),
    (("mann-whitney",), ("Mann–Whitney U test", "Responders against non-responders on numeric attributes; "
                                                "rank-biserial correlation as effect size.",
                         "Mann, H. B. & Whitney, D. R. (1947). Annals of Mathematical Statistics 18(1), 50–60.")),
    (("order-statistic", "conover"), ("Interval of a median",
                                      "Distribution-free interval of a median from order statistics.",
                                      "Conover, W. J. (1999). Practical Nonparametric Statistics, 3rd ed. Wiley.")),
    (("johnson", "relative weight"), ("Key-driver analysis (relative weights)",
                                      "Share of explained variance of the score attributable to each driver.",
                                      "Johnson, J. W. (2000). Multivariate Behavioral Research 35(1), 1–19.")),
    (("lmg", "shapley"), ("Key-driver analysis (LMG / Shapley)",
                          "Average contribution of each driver to R² over all orderings.",
                          "Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). Introduction to Bivariate and "
                          "Multivariate Analysis. Scott, Foresman.")),
    (("fightin", "monroe", "log-odds", "dirichlet"), ("Distinguishing words",
                                                      "Log-odds ratio with an informative Dirichlet prior: words "
                                                      "detractors use more than promoters, and the reverse.",
                                                      "Monroe, B. L., Colaresi, M. P. & Quinn, K. M. (2008). "
                                                      "Fightin' words. Political Analysis 16(4), 372–403.")),
]




def methods_used(diag: Diagnosis) -> list[tuple[str, str, str]]:
    """:data:`METHODS`, then every method of :data:`METHOD_LIBRARY` whose keyword an area's notes mention."""
    text = " ".join(n for r in diag.areas.values() for n in r.notes).lower()
    return list(METHODS) + [m for keys, m in METHOD_LIBRARY if any(k in text for k in keys)]


def methodology(diag: Diagnosis, extra: list[tuple[str, str, str]] | None = None) -> str:
    """Methodology appendix: each method named with its reference, then every area's method notes.

    Parameters
    ----------
    diag : Diagnosis
        From :func:`npsdiag.diagnosis.assemble`.
    extra : list of (name, what it does, reference), optional
        Further methods to list.

    Returns
    -------
    str
        ``<section id="methodology">`` (partial ``methodology.html.j2``).
    """
    areas = [{"name": AREA_SHORT.get(name, name), "notes": [client_text(n) for n in res.notes],
              "not_assessed": client_text(res.not_assessed_reason)}
             for name, res in diag.areas.items() if res.notes or res.not_assessed_reason]
    return render("methodology.html.j2", methods=methods_used(diag) + list(extra or []), areas=areas)


#: Warnings raised while reading listed in the data appendix.
MAX_WARNINGS = 50


def _settings_table(s: Any) -> pd.DataFrame:
    """The settings a diagnosis used, as the data appendix lists them."""
    return pd.DataFrame([
        {"setting": "scale", "value": f"{s.scale[0]:g}–{s.scale[1]:g}"},
        {"setting": "categories", "value": f"detractor ≤ {s.detractor_max:g}, promoter ≥ {s.promoter_min:g}"},
        {"setting": "confidence", "value": f"{s.confidence:.0%}"},
        {"setting": "minimum n to report", "value": str(s.min_n)},
        {"setting": "follow-up SLA (days)", "value": f"{s.follow_up_sla_days:g}"},
        {"setting": "repeat window (days)", "value": f"{s.repeat_window_days:g}"},
        {"setting": "period", "value": " to ".join(map(str, s.period)) if s.period else "all"},
        {"setting": "personal data redacted", "value": "yes" if s.redact_pii else "no"},
    ])


def data_appendix(prep: Any) -> str:
    """Data appendix: tables read, data lineage (rows read → excluded per reason → analysed), settings, warnings.

    Parameters
    ----------
    prep : Prepared
        Output of :func:`npsdiag.clean.prepare`; its ``settings.redact_pii``
        says whether personal data is masked.

    Returns
    -------
    str
        ``<section id="data-appendix">`` (partial ``data_appendix.html.j2``).
    """
    redact = bool(getattr(prep.settings, "redact_pii", True))
    src_rows = [{"table": name, "format": s.get("format"), "rows": s.get("rows"),
                 "notes": "; ".join(s.get("notes") or [])} for name, s in prep.data.sources.items()]
    src = table_html(pd.DataFrame(src_rows), "Tables read (file names are kept out of the client report).",
                     redact=redact) if src_rows else ""
    lin = table_html(prep.lineage, "Data lineage: every response row read is either analysed or excluded for "
                     "exactly one reason (the first that applies).", redact=redact, table_id="table-lineage")
    warnings = [(client_text(p.message, redact), client_text(getattr(p, "where", None), redact))
                for p in prep.data.problems[:MAX_WARNINGS]]
    return render("data_appendix.html.j2", sources=safe(src), lineage=safe(lin),
                  settings=safe(table_html(_settings_table(prep.settings), "Settings used for this diagnosis.")),
                  warnings=warnings)


#: Glossary of the report's terms: (term, definition).
GLOSSARY: list[tuple[str, str]] = [
    ("Net Promoter Score (NPS)", "The share of promoters minus the share of detractors among those who answered "
     "\u201cHow likely are you to recommend us?\u201d on a 0–10 scale; it runs from −100 to +100."),
    ("Promoter, passive, detractor", "Respondents scoring 9–10, 7–8 and 0–6 respectively."),
    ("Interval (confidence interval)", "The range of values of the true NPS (or rate) compatible with the data "
     "at the stated confidence level, usually 95%. Wide intervals mean few responses."),
    ("Margin of error", "Half the width of the interval: ±5 points means the true value is within about 5 points "
     "of the one shown."),
    ("p-value and significance", "How surprising a difference would be if there were no real difference; below "
     "0.05 it is called significant. \u201cBH-adjusted\u201d p-values account for testing many segments at "
     "once (Benjamini–Hochberg)."),
    ("Severity", "High: act now; medium: plan action this quarter; low and info: worth knowing. Set from the size "
     "of the effect and the strength of the evidence."),
    ("Status", "Per area: act now (a high-severity finding), watch (a medium one), sound (neither), not assessed "
     "(the data needed is missing)."),
    ("Segment", "A group of responses sharing a value of a column such as region or plan."),
    ("Mix shift", "A change in the overall NPS that comes from a change in who answers (more responses from a "
     "lower-scoring segment) rather than from segments scoring differently."),
    ("Churn", "An account that did not renew or was lost during the period."),
    ("AUC", "Area under the ROC curve: the probability that a churned account scored lower than a retained one. "
     "0.5 is chance, 1.0 perfect separation."),
    ("Odds ratio", "How the odds of an outcome (e.g. churn) change per unit of a predictor; 1 means no change."),
    ("Decision maker", "A respondent whose role buys or renews (executive, decision maker, VP, director, C-level)."),
    ("Closed loop / follow-up", "Contacting a respondent (especially a detractor) after the survey to act on the "
     "feedback. The SLA is the agreed maximum delay."),
    ("Cool-off window", "The period during which a second answer by the same respondent counts as a repeat, not a "
     "new voice."),
    ("Feed gap", "A period with no or abnormally few responses, usually a broken survey integration."),
    ("Response rate", "Invitations answered divided by invitations sent."),
    ("Data lineage", "How the rows read become the rows analysed: each excluded row is counted under one reason."),
]



def glossary() -> str:
    """Glossary appendix of the NPS terms used in the report (:data:`GLOSSARY`).

    Examples
    --------
    >>> glossary().startswith('<section id="glossary" class="area appendix">')
    True
    """
    return render("glossary.html.j2", glossary=GLOSSARY)


def footer(diag: Diagnosis) -> str:
    """Closing line: when and how the report was produced, and where the machine-readable findings are."""
    return render("footer.html.j2", client=client_text(diag.client), date=generated_date(diag), version=__version__)
