"""The verbatims area: what customers wrote.

A score says how much; the comment says why. This area reads the comments
so that consultants do not have to read thousands by hand, each step a
building block an analyst can call on any DataFrame with a comment column:

- :func:`comment_coverage`: share of responses with a comment, overall, by
  NPS category and by segment, with Wilson intervals;
- :func:`comment_languages`: which languages the comments are written in
  (a cheap guess, no model), to say what the English term statistics cover;
- :func:`distinguishing_terms`: words and two-word phrases detractors use
  more than promoters and the reverse, ranked by the log-odds ratio with an
  informative Dirichlet prior (Monroe, Colaresi & Quinn 2008;
  :func:`npsdiag.stats.terms.log_odds_dirichlet`) and its z-score;
  :func:`plot_terms` draws them;
- :func:`theme_summary` and :func:`theme_quotes`: comments grouped into named
  themes by a documented keyword lexicon (:data:`npsdiag.text.DEFAULT_THEMES`,
  extended by ``settings.themes``), each with its share, the NPS of the
  people who wrote about it (adjusted Wald interval, Rocks 2016) and two or
  three representative quotes; :func:`plot_themes` draws them;
  :func:`discover_topics` finds topics the lexicon may miss (NMF on TF-IDF);
- :func:`early_warning`: themes and terms whose share of comments rose
  significantly in the latest three months against the twelve before
  (two-proportion z-tests, Benjamini-Hochberg), beside whether the NPS has
  moved yet; :func:`plot_early_warning` draws them.

Quotes are plain strings: personal data is masked when
``settings.redact_pii`` is set (:func:`npsdiag.redact.redact_text`) and the
report escapes all text. Names of people cannot be detected without a
language model and are not masked.

The package follows the area pattern of docs/ARCHITECTURE.md: the blocks
by topic (:mod:`.coverage`, :mod:`.terms`, :mod:`.themes`, :mod:`.topics`,
:mod:`.warning`, sharing :mod:`.common`), :mod:`.figures`, one check per
step in :mod:`.checks` (coverage, languages, terms, themes, quotes, topics,
early_warning; the comments are tokenised once there and read by the
blocks' ``*_from_corpus`` forms), the finding rules and thresholds in
:mod:`.rules`, and :func:`diagnose`.

Finding ids (additions to SPEC.md's list): ``verbatims.low_coverage``,
``verbatims.early_warning``, ``verbatims.pain_point``.
"""

from __future__ import annotations

from .common import QUOTE_CHARS
from .coverage import comment_coverage, comment_languages
from .diagnose import diagnose
from .figures import plot_early_warning, plot_terms, plot_themes
from .rules import FINDING_IDS, LOW_COVERAGE
from .terms import distinguishing_terms
from .themes import theme_quotes, theme_summary
from .topics import discover_topics
from .warning import early_warning

__all__ = ["diagnose", "comment_coverage", "comment_languages", "distinguishing_terms", "theme_summary",
           "theme_quotes", "discover_topics", "early_warning", "plot_terms", "plot_themes", "plot_early_warning",
           "FINDING_IDS", "LOW_COVERAGE", "QUOTE_CHARS"]
