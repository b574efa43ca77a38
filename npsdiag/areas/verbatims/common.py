"""What the verbatims building blocks share: the comments as a corpus, NPS categories as codes, quotes.

Every block reads the comments through a :class:`npsdiag.text.Corpus`
(distinct texts tokenised once, each row pointing to its text): the public
blocks build it from the comment column, the area's checks build it once
and pass it to the blocks' ``*_from_corpus`` forms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ... import text as tx
from ...redact import redact_text
from ...stats.nps import Breaks

__all__ = ["QUOTE_CHARS", "commented", "aligned", "category_codes", "text_by_category", "as_text", "quote",
           "first_rows", "lexicons_of", "lexicon_key"]

#: Quotes are cut to this many characters.
QUOTE_CHARS = 200


def commented(data: pd.DataFrame, comment: str) -> np.ndarray:
    """Per row: carries a real comment (:func:`npsdiag.text.has_text`)."""
    return np.asarray(tx.has_text(data[comment]), dtype=bool)


def aligned(data: pd.DataFrame, corpus: tx.Corpus) -> tx.Corpus:
    """``corpus``, checked to cover the rows of ``data`` (ValueError otherwise)."""
    if corpus.n_rows != len(data):
        raise ValueError(f"the corpus covers {corpus.n_rows} comments but data has {len(data)} rows")
    return corpus


def category_codes(data: pd.DataFrame, score: str, breaks: Breaks) -> np.ndarray:
    """Per row 0 detractor, 1 passive, 2 promoter, -1 when the score is missing."""
    s = np.asarray(pd.to_numeric(data[score], errors="coerce"), dtype="float64")
    cat = np.where(s <= breaks.detractor_max, 0, np.where(s >= breaks.promoter_min, 2, 1))
    return np.where(np.isnan(s), -1, cat)


def text_by_category(c: tx.Corpus, cat: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(texts, 3): per distinct text, the rows among ``rows`` (bool) of each category."""
    ok = rows & (cat >= 0) & (c.inverse >= 0)
    return np.bincount(c.inverse[ok] * 3 + cat[ok], minlength=3 * c.n_texts).reshape(c.n_texts, 3).astype("float64")


def as_text(v) -> str:
    """A comment value as a string ("" when missing)."""
    return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


def quote(text: str, redact: bool, limit: int = QUOTE_CHARS) -> str:
    """A quote as plain text: personal data masked first (so no half-cut e-mail survives), then cut.

    Examples
    --------
    >>> quote("Call me on  +44 7700 900123 about the invoice", redact=True)
    'Call me on [phone] about the invoice'
    """
    t = " ".join(str(text).split())
    if redact:
        t = redact_text(t)
    return tx.truncate(t, limit)


def first_rows(inv: np.ndarray, rows: np.ndarray, n_texts: int) -> np.ndarray:
    """Per distinct text, the first of ``rows`` (sorted positions) that carries it; -1 when none."""
    big = np.iinfo("int64").max
    out = np.full(n_texts, big, dtype="int64")
    np.minimum.at(out, inv[rows], rows)
    return np.where(out == big, -1, out)


def lexicons_of(themes: Mapping | None) -> dict[str, dict[str, list[str]]]:
    """The lexicon of each language: :data:`npsdiag.text.LEXICONS` when ``themes`` is None, ``themes`` itself when
    it maps languages to lexicons, and ``{"en": themes}`` when it is one lexicon (theme -> keywords).

    Examples
    --------
    >>> sorted(lexicons_of(None)), list(lexicons_of({"billing": ["invoice"]}))
    (['de', 'en', 'es', 'fr'], ['en'])
    """
    if themes is None:
        return {k: dict(v) for k, v in tx.LEXICONS.items()}
    if themes and all(isinstance(v, Mapping) for v in themes.values()):
        return {str(k): {str(t): list(w) for t, w in v.items()} for k, v in themes.items()}
    return {"en": {str(t): [w] if isinstance(w, str) else list(w) for t, w in themes.items()}}


def lexicon_key(lexicons: Mapping[str, Mapping[str, Iterable[str]]]) -> tuple:
    """A hashable key of lexicons (to cache what was matched with them)."""
    return tuple((lang, tuple((str(t), tuple(str(w) for w in ws)) for t, ws in lex.items()))
                 for lang, lex in lexicons.items())
