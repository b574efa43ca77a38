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
- :mod:`~npsdiag.text.repair`: :func:`repair_texts` repairs comments whose
  characters a wrong encoding garbled ("trÃ¨s", "t‚l‚chargé") and flags
  those it cannot repair (never quoted).
- :mod:`~npsdiag.text.lexicon`: :func:`match_lexicon` marks the comments
  that mention each theme of a keyword lexicon (:data:`DEFAULT_THEMES`,
  extendable with :func:`merge_themes`); :data:`LEXICONS` holds the same
  themes in French, German and Spanish (:mod:`~npsdiag.text.lexicons`) and
  :func:`match_themes` reads each comment with its own language's lexicon.
- :mod:`~npsdiag.text.languages`: :func:`detect_languages` tells which
  language or script each comment is written in: a cheap guess from
  scripts and function words, and Lingua (a model shipped with the package)
  only where the guess is unsure.
- :mod:`~npsdiag.text.words`: stop words (:func:`stop_words`) and Snowball
  stemmers (:func:`stemmer`) per language.
- :mod:`~npsdiag.text.topics`: :func:`fit_topics` finds topics with NMF.

The "Fightin' Words" statistic of Monroe, Colaresi & Quinn (2008), which
terms one group uses more than another, is
:func:`npsdiag.stats.terms.log_odds_dirichlet` (re-exported here).

Themes are read in English, French, German and Spanish; comments in other
languages are not assigned to themes. Term statistics and topics are
computed on the comments of the main language, with its stop words and
stems (a :class:`Corpus` knows its languages).

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
from .languages import LANGUAGE_NAMES, detect_languages, guess_languages, main_language
from .lexicon import DEFAULT_THEMES, LEXICONS, match_lexicon, match_themes, merge_lexicons, merge_themes
from .repair import is_garbled, repair_text, repair_texts
from .tokens import BARRIER, PLACEHOLDERS, STOP_WORDS, Tokens, has_text, tokenize, truncate
from .topics import TopicFit, fit_topics
from .words import stem_words, stemmer, stop_words

__all__ = [
    "STOP_WORDS", "DEFAULT_THEMES", "LEXICONS", "PLACEHOLDERS", "BARRIER", "LANGUAGE_NAMES", "Tokens", "TermMatrix",
    "Corpus", "TopicFit", "has_text", "tokenize", "corpus", "term_matrix", "log_odds_dirichlet", "merge_themes",
    "merge_lexicons", "match_lexicon", "match_themes", "detect_languages", "guess_languages", "main_language",
    "fit_topics", "truncate", "repair_text", "repair_texts", "is_garbled", "stop_words", "stemmer", "stem_words",
]
