"""The verbatims area's diagnosis: its checks, then its finding rules, gathered into an :class:`AreaResult`."""

from __future__ import annotations

from ...clean import Prepared
from ...findings import AreaResult, not_assessed
from . import checks, rules

__all__ = ["diagnose"]


def diagnose(prep: Prepared) -> AreaResult:
    """Diagnose what customers wrote: coverage, distinguishing words, themes, early warning.

    Parameters
    ----------
    prep : Prepared
        The client's data after :func:`npsdiag.clean.prepare`.

    Returns
    -------
    AreaResult
        Area ``"verbatims"``. Tables: ``coverage``, ``languages``,
        ``terms``, ``themes``, ``quotes``, ``topics``, ``early_warning``
        (those that apply). Figures: ``verbatims_terms``, ``verbatims_themes``,
        ``verbatims_early_warning``. Findings: ``verbatims.low_coverage``,
        ``verbatims.pain_point``, ``verbatims.early_warning``. ``checks``:
        every check of :data:`~npsdiag.areas.verbatims.checks.CHECKS`,
        assessed or not.
    """
    reason = checks.unavailable(prep)
    if reason:
        res = not_assessed(rules.AREA, reason)
        res.checks = checks.not_run(reason)
        return res
    comments = checks.gather(prep)
    coverage = checks.coverage(comments)
    low = rules.low_coverage(coverage.context)
    if comments.n_comments < rules.MIN_COMMENTS:
        return AreaResult.from_checks(rules.AREA, [coverage, *checks.too_few(comments)], [f for f in (low,) if f],
                                      rules.few_comments_summary(coverage.context))
    languages = checks.languages(comments)
    terms = checks.distinguishing_terms(comments)
    themes = checks.themes(comments, languages)
    quotes = checks.quotes(comments, themes)
    topics = checks.topics(comments)
    warning = checks.early_warning(comments, themes)
    pain = rules.pain_point(themes.context)
    rising = rules.early_warning(warning.context, themes.context)
    res = AreaResult.from_checks(rules.AREA, [coverage, languages, terms, themes, quotes, topics, warning],
                                 [f for f in (low, pain, rising) if f],
                                 rules.summary(coverage.context, terms.context, pain, rising, themes.reason),
                                 illustrates=rules.ILLUSTRATES)
    res.notes += checks.method_notes(comments, themes)
    return res
