"""Text building blocks for survey comments: tokens, distinct texts, terms, themes, languages, topics.

Everything here runs offline (no model is downloaded) and is vectorised so
that a million comments take seconds: comments are split into tokens with
pyarrow's string kernels, and counting is done on integer token codes with
numpy and scipy sparse matrices.

Modules
-------
- :mod:`~npsdiag.text.tokens`: :func:`has_text` (is it a comment or a
  placeholder such as "n/a"), :func:`tokenize` into a :class:`Tokens`
  stream (lower-cased, Unicode NFKC, letters only; sentence punctuation
  kept as a barrier so that phrases never span two sentences), the English
  :data:`STOP_WORDS`, :func:`truncate` for quotes.
- :mod:`~npsdiag.text.corpus`: :func:`corpus` tokenises each distinct text
  once (:class:`Corpus`); :func:`term_matrix` counts words and two-word
  phrases per comment (one count per comment) into a sparse
  :class:`TermMatrix`.
- :mod:`~npsdiag.text.lexicon`: :func:`match_lexicon` marks the comments
  that mention each theme of a keyword lexicon (:data:`DEFAULT_THEMES`,
  extendable with :func:`merge_themes`).
- :mod:`~npsdiag.text.languages`: :func:`detect_languages` tells, cheaply,
  which language or script each comment is written in.
- :mod:`~npsdiag.text.topics`: :func:`fit_topics` finds topics with NMF.

The "Fightin' Words" statistic of Monroe, Colaresi & Quinn (2008), which
terms one group uses more than another, is
:func:`npsdiag.stats.terms.log_odds_dirichlet` (re-exported here).

The stop words and the default lexicon are English: term statistics and
themes are meaningful for English comments only (other languages are counted
as they are, without stop words or themes).

References
----------
.. [1] Monroe, B. L., Colaresi, M. P. & Quinn, K. M. (2008). Fightin' Words:
   Lexical feature selection and evaluation for identifying the content of
   political conflict. Political Analysis, 16(4), 372-403.
.. [2] Lee, D. D. & Seung, H. S. (1999). Learning the parts of objects by
   non-negative matrix factorization. Nature, 401, 788-791.
"""

from __future__ import annotations

from ..stats.terms import log_odds_dirichlet
from .corpus import Corpus, TermMatrix, corpus, term_matrix
from .languages import LANGUAGE_NAMES, detect_languages
from .lexicon import DEFAULT_THEMES, match_lexicon, merge_themes
from .tokens import BARRIER, PLACEHOLDERS, STOP_WORDS, Tokens, has_text, tokenize, truncate
from .topics import TopicFit, fit_topics

__all__ = [
    "STOP_WORDS", "DEFAULT_THEMES", "PLACEHOLDERS", "BARRIER", "LANGUAGE_NAMES", "Tokens", "TermMatrix", "Corpus",
    "TopicFit", "has_text", "tokenize", "corpus", "term_matrix", "log_odds_dirichlet", "merge_themes",
    "match_lexicon", "detect_languages", "fit_topics", "truncate",
]
