"""Comments as distinct texts (:class:`Corpus`) and their words and phrases (:class:`TermMatrix`).

Survey exports repeat comments ("Great service", templated answers): a
corpus tokenises each distinct text once and remembers which comment carries
which text, so that counts per text weighted by their number of comments are
exactly the counts per comment, at a fraction of the cost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow.compute as pc
from scipy import sparse

from .languages import detect_languages, main_language
from .repair import repair_texts
from .tokens import BARRIER, STOP_WORDS, Tokens, arrow_strings, has_text, tokenize
from .words import stem_words, stemmer, stop_words

__all__ = ["Corpus", "corpus", "TermMatrix", "term_matrix"]


@dataclass
class Corpus:
    """Comments as distinct texts: each comment points to its text, and texts are tokenised once.

    Survey exports repeat comments ("Great service", templated answers): the
    text statistics count per distinct text and weight by how many comments
    carry it, which gives exactly the per-comment counts at a fraction of
    the cost.

    Attributes
    ----------
    inverse : ndarray of int64
        For each comment (row, in input order), the index of its text in
        ``texts``; -1 when the value is missing.
    texts : ndarray of object
        The distinct texts, in order of first appearance, with their
        mojibake repaired (:func:`npsdiag.text.repair.repair_texts`).
    has : ndarray of bool
        Per distinct text: a real comment (:func:`has_text`: not blank, not a
        placeholder such as "n/a").
    tokens : Tokens
        Tokens of the distinct texts (``doc`` indexes ``texts``); texts that
        are not real comments have none.
    repaired : ndarray of bool, optional
        Per distinct text: its encoding damage was repaired.
    garbled : ndarray of bool, optional
        Per distinct text: still damaged (never quoted).
    """

    inverse: np.ndarray
    texts: np.ndarray
    has: np.ndarray
    tokens: Tokens
    repaired: np.ndarray | None = None
    garbled: np.ndarray | None = None
    #: What depends on this corpus's rows (languages, main language), computed once.
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("repaired", "garbled"):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros(len(self.texts), dtype=bool))

    @property
    def n_rows(self) -> int:
        """Number of comments (rows)."""
        return len(self.inverse)

    @property
    def n_texts(self) -> int:
        """Number of distinct texts."""
        return len(self.texts)

    def commented(self) -> np.ndarray:
        """Per row: carries a real comment."""
        ok = self.inverse >= 0
        out = np.zeros(len(self.inverse), dtype=bool)
        out[ok] = self.has[self.inverse[ok]]
        return out

    def counts(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Per distinct text, how many rows carry it (among ``rows``, a boolean mask, if given)."""
        inv = self.inverse if rows is None else self.inverse[np.asarray(rows, dtype=bool)]
        return np.bincount(inv[inv >= 0], minlength=self.n_texts).astype("float64")

    def subset(self, rows: np.ndarray) -> Corpus:
        """The corpus of some rows (boolean mask or positions); texts and tokens are shared."""
        return Corpus(inverse=self.inverse[rows], texts=self.texts, has=self.has, tokens=self.tokens,
                      repaired=self.repaired, garbled=self.garbled)

    def lengths(self) -> np.ndarray:
        """Characters of each distinct text (0 when missing), computed once."""
        if "lengths" not in self.tokens.cache:
            arr = arrow_strings(pd.Series(self.texts, dtype="object"))
            n = pc.fill_null(pc.utf8_length(arr), 0) if len(arr) else arr
            self.tokens.cache["lengths"] = np.asarray(n.to_numpy(zero_copy_only=False), dtype="int64")
        return self.tokens.cache["lengths"]

    def languages(self) -> np.ndarray:
        """Language (or script) of each distinct text (:func:`npsdiag.text.detect_languages`), computed once.

        Texts that are not real comments are ``undetermined``.
        """
        if "languages" not in self.memo:
            w = np.bincount(self.inverse[self.inverse >= 0], minlength=self.n_texts).astype("float64")
            out = detect_languages(self.tokens, self.texts, np.where(self.has, w, 0.0))
            out[~self.has] = "undetermined"
            self.memo["languages"] = out
        return self.memo["languages"].copy()

    def main_language(self) -> str | None:
        """The language most of this corpus's comments are written in (None when none is known)."""
        if "main" not in self.memo:
            self.memo["main"] = main_language(self.languages(), self.counts(self.commented()))
        return self.memo["main"]

    def reading_languages(self) -> np.ndarray:
        """Per distinct text, the language it is read in: its own, or the main language when undetermined.

        When no comment's language can be told (one-word comments, say), they are read in English, the
        default lexicon's language, rather than in none.
        """
        if "reading" not in self.memo:
            langs = self.languages()
            main = self.main_language()
            langs[(langs == "undetermined") & self.has] = main if main is not None else "en"
            self.memo["reading"] = langs
        return self.memo["reading"].copy()

    def in_main_language(self) -> np.ndarray:
        """Per distinct text: a real comment read in the main language (all real comments if none is known)."""
        main = self.main_language()
        return self.has & ((self.reading_languages() == main) if main is not None else True)

    def terms(self) -> TermMatrix:
        """Words and two-word phrases of the comments in the main language (:func:`term_matrix`, binary).

        Stop words and stems are the main language's (:mod:`npsdiag.text.words`; English stop words when
        the language has no list); the texts of other languages have no term. Computed once per language.
        """
        main = self.main_language()
        key = ("terms", main)
        if key not in self.tokens.cache:
            docs = np.flatnonzero(self.in_main_language())
            sw = stop_words(main)
            tm = term_matrix(self.tokens.subset(docs), min_df=1, stop_words=STOP_WORDS if sw is None else sw,
                             language=main)
            place = sparse.csr_matrix((np.ones(len(docs)), (docs, np.arange(len(docs)))),
                                      shape=(self.n_texts, len(docs)))
            self.tokens.cache[key] = TermMatrix((place @ tm.matrix).tocsr().astype(tm.matrix.dtype), tm.terms,
                                                tm.ngram)
        return self.tokens.cache[key]

    @classmethod
    def from_rows(cls, texts: pd.Series, tokens: Tokens) -> Corpus:
        """A corpus whose texts are the rows themselves (no de-duplication), with their tokens."""
        n = len(texts)
        vals, repaired, garbled = repair_texts(texts)
        return cls(inverse=np.arange(n, dtype="int64"), texts=vals,
                   has=has_text(pd.Series(vals, dtype="object")).to_numpy(dtype=bool), tokens=tokens,
                   repaired=repaired, garbled=garbled)


def corpus(texts: pd.Series | Iterable[str | None]) -> Corpus:
    """De-duplicate comments, repair their mojibake and tokenise each distinct real comment once.

    Parameters
    ----------
    texts : Series or iterable of str
        The comments, one per row; missing values allowed.

    Returns
    -------
    Corpus

    Notes
    -----
    Distinct texts keep the order of their first appearance and only real
    comments (:func:`has_text`) are tokenised, so the vocabulary and the term
    order are those of :func:`tokenize` on the comments themselves. Texts
    showing encoding damage are repaired first
    (:func:`npsdiag.text.repair.repair_texts`): "trÃ¨s" is read, counted and
    quoted as "très".

    Examples
    --------
    >>> c = corpus(["Great support", "n/a", None, "Great support"])
    >>> c.inverse.tolist(), c.has.tolist(), c.counts().tolist()
    ([0, 1, -1, 0], [True, False], [2.0, 1.0])
    """
    s = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype="object")
    codes, uniques = pd.factorize(s)
    vals, repaired, garbled = repair_texts(pd.Series(np.asarray(uniques, dtype=object), dtype="object"))
    uniq = pd.Series(vals, dtype="object")
    has = has_text(uniq).to_numpy(dtype=bool) if len(uniq) else np.zeros(0, dtype=bool)
    real = np.flatnonzero(has)
    tok = tokenize(uniq.iloc[real].reset_index(drop=True)) if len(real) else tokenize([])
    tok = Tokens(doc=real[tok.doc] if len(real) else tok.doc, code=tok.code, vocab=tok.vocab, n_docs=len(uniq))
    return Corpus(inverse=np.asarray(codes, dtype="int64"), texts=np.asarray(uniq, dtype=object), has=has,
                  tokens=tok, repaired=repaired, garbled=garbled)


@dataclass
class TermMatrix:
    """Terms (words and phrases) per comment.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix, shape (n_docs, n_terms)
        1 where the comment mentions the term (counts if built with ``binary=False``).
    terms : ndarray of object
        Term strings (phrases are words joined by a space).
    ngram : ndarray of int
        1 for words, 2 for two-word phrases.
    """

    matrix: sparse.csr_matrix
    terms: np.ndarray
    ngram: np.ndarray

    @property
    def df(self) -> np.ndarray:
        """Number of comments mentioning each term."""
        return np.asarray(self.matrix.getnnz(axis=0)).ravel()


def term_matrix(tokens: Tokens, ngram_range: tuple[int, int] = (1, 2), stop_words: Iterable[str] = STOP_WORDS,
                min_df: int = 1, binary: bool = True, min_length: int = 2, language: str | None = None) -> TermMatrix:
    """Count words and two-word phrases per comment.

    Parameters
    ----------
    tokens : Tokens
        From :func:`tokenize`.
    ngram_range : (int, int)
        (1, 1) words only, (1, 2) words and phrases, (2, 2) phrases only.
    stop_words : iterable of str
        Words that are neither terms nor part of phrases (default
        :data:`STOP_WORDS`, English; :func:`npsdiag.text.words.stop_words`
        gives other languages').
    min_df : int
        Keep terms mentioned in at least this many comments.
    binary : bool
        Count a term once per comment (default) or every time it occurs.
    min_length : int
        Shortest word kept, in characters.
    language : str, optional
        With a Snowball stemmer for it (ISO 639-1), the words that share a
        stem are one term ("engineer", "engineers"), named by its most
        frequent form; phrases likewise.

    Returns
    -------
    TermMatrix

    Notes
    -----
    A phrase is two adjacent words of the same sentence, neither a stop
    word ("engineer never came" gives "engineer never" and "never came"),
    as in scikit-learn's ``CountVectorizer`` but without bridging over the
    removed words. Stemming follows Monroe, Colaresi & Quinn (2008), who
    stem before comparing word use.

    Examples
    --------
    >>> tm = term_matrix(tokenize(["Billing error again", "billing error"]))
    >>> dict(zip(tm.terms, tm.df.tolist()))
    {'billing': 2, 'error': 2, 'again': 1, 'billing error': 2, 'error again': 1}
    >>> tm = term_matrix(tokenize(["Engineer late", "engineers late", "The engineer came"]), language="en")
    >>> dict(zip(tm.terms, tm.df.tolist()))
    {'engineer': 3, 'late': 2, 'came': 1, 'engineer late': 2, 'engineer came': 1}
    """
    vocab, code, doc = tokens.vocab, tokens.code, tokens.doc
    nv = len(vocab)
    lengths = np.fromiter((len(v) for v in vocab), dtype="int64", count=nv)
    valid = (lengths >= min_length) & ~tokens.lookup(set(stop_words) | {BARRIER})
    group, names_1 = _word_groups(vocab, code, valid, language)
    nu = len(names_1)
    rows, cols, grams = [], [], []
    names: list[np.ndarray] = []
    offset = 0
    if ngram_range[0] <= 1 <= ngram_range[1]:
        m = valid[code]
        rows.append(doc[m])
        cols.append(group[code[m]])
        names.append(names_1)
        grams.append(np.ones(nu, dtype="int64"))
        offset = nu
    if ngram_range[0] <= 2 <= ngram_range[1] and len(code) > 1:
        vm = valid[code]
        i = np.flatnonzero(vm[:-1] & vm[1:] & (doc[:-1] == doc[1:]))
        key = group[code[i]] * nu + group[code[i + 1]]
        bcode, buniq = pd.factorize(key)
        rows.append(doc[i])
        cols.append(bcode.astype("int64") + offset)
        names.append(_phrase_names(np.asarray(bcode, dtype="int64"), code[i] * nv + code[i + 1], vocab, len(buniq)))
        grams.append(np.full(len(buniq), 2, dtype="int64"))
    if not rows:
        return TermMatrix(sparse.csr_matrix((tokens.n_docs, 0)), np.array([], dtype=object), np.array([], "int64"))
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    terms = np.concatenate(names) if names else np.array([], dtype=object)
    ngram = np.concatenate(grams)
    mat = sparse.csr_matrix((np.ones(len(r), dtype="int32"), (r, c)), shape=(tokens.n_docs, len(terms)))
    mat.sum_duplicates()
    if binary:
        mat.data[:] = 1
    df = np.asarray(mat.getnnz(axis=0)).ravel()
    keep = np.flatnonzero(df >= max(min_df, 1))
    mat = mat[:, keep].tocsr()
    return TermMatrix(matrix=mat, terms=terms[keep], ngram=ngram[keep])


def _word_groups(vocab: np.ndarray, code: np.ndarray, valid: np.ndarray,
                 language: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Per vocabulary word, the term it counts in, and each term's name: the word itself, or (with a stemmer)
    its stem's group named by the group's most frequent word (ties: the word seen first)."""
    nv = len(vocab)
    stem = stemmer(language)
    if stem is None or not nv:
        return np.arange(nv, dtype="int64"), vocab
    present = np.flatnonzero(np.bincount(code[valid[code]], minlength=nv) > 0)
    freq = np.bincount(code, minlength=nv)
    stems, uniq = pd.factorize(stem_words(vocab[present], language))
    stems = np.asarray(stems, dtype="int64")
    order = np.lexsort((present, -freq[present], stems))
    first = order[np.r_[True, stems[order][1:] != stems[order][:-1]]]
    group = np.zeros(nv, dtype="int64")  # words that are never terms keep group 0; they are never counted
    group[present] = stems
    return group, vocab[present[first]]


def _phrase_names(bcode: np.ndarray, surface: np.ndarray, vocab: np.ndarray, n: int) -> np.ndarray:
    """Name of each phrase term: its most frequent pair of words as written (ties: the pair seen first)."""
    nv = len(vocab)
    pairs = pd.DataFrame({"b": bcode, "s": surface, "pos": np.arange(len(bcode))})
    g = pairs.groupby(["b", "s"], sort=False).agg(k=("pos", "size"), first=("pos", "min")).reset_index()
    g = g.sort_values(["b", "k", "first"], ascending=[True, False, True]).drop_duplicates("b")
    first, second = np.divmod(g["s"].to_numpy(dtype="int64"), nv)
    out = np.empty(n, dtype=object)
    out[g["b"].to_numpy()] = [f"{a} {b}" for a, b in zip(vocab[first], vocab[second])]
    return out
