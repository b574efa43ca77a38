"""The theme lexicons: named themes of keywords per language, extended by a client's config, matched on tokens."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .lexicons import FRENCH_THEMES, GERMAN_THEMES, SPANISH_THEMES
from .tokens import Tokens
from .words import stem_words, stemmer

__all__ = ["DEFAULT_THEMES", "LEXICONS", "STEMMED", "merge_themes", "merge_lexicons", "match_lexicon", "match_themes"]

#: Default theme lexicon for common B2B and B2C NPS comments. Keywords are
#: lower-case words or phrases of up to three words; a trailing ``*`` matches
#: any ending (``invoic*`` matches invoice, invoices, invoicing); a phrase
#: starting with ``-`` is an exclusion (see :func:`match_lexicon`). Extend or
#: replace it with ``settings.themes`` in the client config (see
#: :func:`merge_themes`).
DEFAULT_THEMES: dict[str, list[str]] = {
    "support & service": [
        "support", "customer service", "customer care", "service desk", "help desk", "helpdesk", "helpline",
        "call centre", "call center", "agent*", "advisor*", "adviser*", "representative*", "staff", "helpful",
        "unhelpful", "rude", "polite", "friendly", "knowledgeable", "ticket*", "escalat*", "chat", "on hold",
        "spoke to", "speak to", "phoned", "complain*", "-user friendly",
    ],
    "price & value": [
        "price*", "pricing", "expensive", "cheap*", "cost*", "costly", "value", "money", "afford*", "overpriced",
        "discount*", "fee", "fees", "tariff*", "deals", "good deal", "great deal", "better deal", "best deal",
        "bad deal", "worse deal", "cheaper deal", "new deal", "current deal", "package deal", "competitive", "rip off",
        "rip-off", "-cost* us time", "-cost* me time", "-cost* us hours", "-cost* me hours", "-cost* us days",
    ],
    "billing & payments": [
        "bill", "bills", "billing", "billed", "invoic*", "charg*", "overcharg*", "payment*", "refund*",
        "direct debit", "credit note", "paid twice", "statement*",
    ],
    "onboarding & setup": [
        "onboard*", "setup", "set up", "setting up", "install*", "implementation", "implement*", "migrat*",
        "activat*", "training", "getting started", "welcome", "provision*", "configur*", "go live", "go-live",
        "switch over", "switched over", "connected on",
    ],
    "product quality & bugs": [
        "bug", "bugs", "buggy", "glitch*", "crash*", "broken", "defect*", "quality", "not working",
        "doesnt work", "didnt work", "stopped working", "malfunction*", "error message*", "faulty", "fault",
        "faults",
    ],
    "reliability & outages": [
        "outage*", "downtime", "offline", "disconnect*", "dropp*", "drops", "unstable", "unreliabl*", "reliab*",
        "intermittent*", "connection*", "connectivity", "signal", "no service", "no internet", "no broadband",
        "went down", "keeps dropping",
    ],
    "speed & performance": [
        "slow*", "speed*", "fast", "faster", "quick", "quickly", "lag*", "latency", "performance", "loading",
        "responsive", "mbps", "bandwidth",
    ],
    "ease of use": [
        "easy", "easier", "easily", "simple", "simpl*", "intuitive", "user friendly", "user-friendly",
        "usability", "complicated", "confusing", "difficult to use", "hard to use", "hard to find", "hard to navigate",
        "clunky", "straightforward", "hassle*",
        "seamless*", "smooth*",
    ],
    "features & product fit": [
        "feature*", "functionality", "function*", "integration*", "integrat*", "roadmap", "missing", "lacks",
        "lacking", "wish", "option*", "customi*", "report*", "dashboard*", "app", "apps", "api",
    ],
    "account management": [
        "account manager*", "account management", "csm", "customer success", "relationship", "renewal*",
        "contract*", "upsell*", "sales", "salesman", "salesperson", "rep", "reps", "check in", "check-in",
        "proactive*",
    ],
    "communication": [
        "communicat*", "inform*", "update*", "kept me", "keep me", "no one", "nobody", "email*", "letter*",
        "text message*", "notif*", "explain*", "promised", "told",
    ],
    "delivery & engineers": [
        "deliver*", "shipping", "shipped", "dispatch*", "courier", "parcel", "package", "arriv*", "late",
        "delay*", "engineer*", "technician*", "appointment*", "router", "equipment", "hub", "openreach",
        "turned up", "never came", "no show", "waiting", "waited", "wait",
    ],
}


#: The default lexicon of each language (ISO 639-1): the same themes, named in English, with keywords of the
#: language (:mod:`npsdiag.text.lexicons`). Comments in other languages are not assigned to themes.
LEXICONS: dict[str, dict[str, list[str]]] = {"en": DEFAULT_THEMES, "fr": FRENCH_THEMES, "de": GERMAN_THEMES,
                                             "es": SPANISH_THEMES}
#: Lexicons matched on Snowball stems: their keywords are base forms. The English lexicon lists its word forms
#: and wildcards itself and is matched as written (stems would let "friendly" match "friend", "phoned" "phone").
STEMMED = ("fr", "de", "es")


def merge_themes(extra: Mapping[str, Iterable[str]] | None = None,
                 base: Mapping[str, Iterable[str]] | None = None) -> dict[str, list[str]]:
    """The default lexicon extended by a client's themes.

    Parameters
    ----------
    extra : mapping of theme name -> keywords, optional
        ``settings.themes`` of the config. A name equal (ignoring case) to a
        default theme adds keywords to it; a new name adds a theme; an empty
        list removes the theme.
    base : mapping, optional
        The lexicon to extend (default :data:`DEFAULT_THEMES`).

    Returns
    -------
    dict of theme -> list of keywords (lower-cased, de-duplicated).

    Examples
    --------
    >>> t = merge_themes({"Billing & payments": ["dunning"], "delivery & engineers": [], "SSO": ["sso", "saml"]})
    >>> "dunning" in t["billing & payments"], "delivery & engineers" in t, t["SSO"]
    (True, False, ['sso', 'saml'])
    """
    out = {k: list(v) for k, v in (DEFAULT_THEMES if base is None else base).items()}
    lower = {k.lower(): k for k in out}
    for name, words in (extra or {}).items():
        words = [words] if isinstance(words, str) else list(words or [])
        key = lower.get(str(name).lower())
        if not words:
            if key is not None:
                out.pop(key)
            continue
        if key is None:
            out[str(name)] = []
            key = str(name)
        out[key] = out[key] + [str(w) for w in words]
    return {k: list(dict.fromkeys(w.strip().lower() for w in v if str(w).strip())) for k, v in out.items()}


def merge_lexicons(extra: Mapping[str, Iterable[str]] | None = None,
                   base: Mapping[str, Mapping[str, Iterable[str]]] | None = None) -> dict[str, dict[str, list[str]]]:
    """Every language's default lexicon extended by a client's themes (:func:`merge_themes` on each).

    A client's keywords are added to the theme in every language (a client
    writes them in the language of its comments; in another language's
    comments they simply do not occur); an empty list removes the theme
    everywhere; a new theme is added to every language.

    Examples
    --------
    >>> lex = merge_lexicons({"SSO": ["sso"], "delivery & engineers": []})
    >>> sorted(lex), lex["fr"]["SSO"], "delivery & engineers" in lex["de"]
    (['de', 'en', 'es', 'fr'], ['sso'], False)
    """
    return {lang: merge_themes(extra, themes) for lang, themes in (LEXICONS if base is None else base).items()}


def _keyword_parts(keyword: str) -> list[str]:
    kw = unicodedata.normalize("NFKC", keyword).lower().replace("n't", "nt").replace("n’t", "nt")
    return [p for p in re.split(r"[^\w*]+", kw) if p]


class _Vocab:
    """The vocabulary sorted for prefix search, and (with a stemmer) each word's stem, to match keywords on."""

    def __init__(self, vocab: np.ndarray, present: np.ndarray, language: str | None) -> None:
        self.n = len(vocab)
        self.order = np.argsort(vocab.astype(str), kind="stable") if self.n else np.zeros(0, "int64")
        self.sorted = vocab[self.order].astype(str) if self.n else np.array([], dtype=str)
        self.stem = stemmer(language)
        self.stem_at: dict[str, int] = {}  # stem -> its number (a dict: one lookup per keyword, no index casts)
        if self.stem is not None and len(present):
            codes, uniq = pd.factorize(stem_words(vocab[present], language))
            self.stem_at = {str(u): j for j, u in enumerate(uniq)}
            # the vocabulary positions of each stem, contiguous: stem j's words are by_stem[start[j]:start[j+1]]
            order = np.argsort(codes, kind="stable")
            self.by_stem = present[order]
            self.stem_start = np.searchsorted(np.asarray(codes)[order], np.arange(len(uniq) + 1))

    def mask(self, word: str) -> np.ndarray:
        """Words equal to ``word``, or sharing its stem, or (``word*``) starting with it."""
        mask = np.zeros(self.n, dtype=bool)
        if word.endswith("*"):
            prefix = word.rstrip("*")
            if prefix:
                lo = np.searchsorted(self.sorted, prefix, side="left")
                hi = np.searchsorted(self.sorted, prefix + "\U0010ffff", side="left")
                mask[self.order[lo:hi]] = True
            return mask
        i = np.searchsorted(self.sorted, word, side="left")
        if i < len(self.sorted) and self.sorted[i] == word:
            mask[self.order[i]] = True
        if self.stem is not None and self.stem_at:
            j = self.stem_at.get(str(self.stem([word])[0]), -1)
            if j >= 0:
                mask[self.by_stem[self.stem_start[j]:self.stem_start[j + 1]]] = True
        return mask


def match_lexicon(tokens: Tokens, lexicon: Mapping[str, Iterable[str]] | None = None,
                  language: str | None = None) -> pd.DataFrame:
    """How many keywords of each theme each comment mentions.

    Parameters
    ----------
    tokens : Tokens
        From :func:`tokenize`.
    lexicon : mapping of theme -> keywords, optional
        Keywords are words or phrases of up to three words, matched on whole
        tokens; a trailing ``*`` on a word matches any ending. A phrase
        starting with ``-`` is an exclusion: where it occurs, its words count
        for none of the theme's single-word keywords (``-cost* us time``: "it
        costs us time" is not about price). Default :data:`DEFAULT_THEMES`.
    language : str, optional
        The comments' language (ISO 639-1). With a Snowball stemmer for it
        (:func:`npsdiag.text.words.stemmer`), a keyword word without ``*``
        also matches the words that share its stem ("cher": "chère",
        "chers"). Without it, words match as written.

    Returns
    -------
    DataFrame
        One row per comment (0..n_docs-1), one integer column per theme: the
        number of keyword occurrences (0 = theme not mentioned).

    Notes
    -----
    Matching is on tokens, so it is case-, accent-form- and
    punctuation-insensitive, and a phrase never matches across a sentence
    end. Stop words are kept for matching ("set up", "on hold").

    Examples
    --------
    >>> from npsdiag.text import tokenize
    >>> m = match_lexicon(tokenize(["Invoice wrong, charged twice", "Easy to set up"]))
    >>> int(m.loc[0, "billing & payments"]), int(m.loc[1, "onboarding & setup"]), int(m.loc[1, "ease of use"])
    (2, 1, 1)
    >>> int(match_lexicon(tokenize(["Les plantes sont chères"]), LEXICONS["fr"], "fr").loc[0, "price & value"])
    1
    >>> m = match_lexicon(tokenize(["Too costly", "It costs us time every week", "A user-friendly app"]))
    >>> m["price & value"].tolist(), m["support & service"].tolist()
    ([1, 0, 0], [0, 0, 0])
    """
    lexicon = DEFAULT_THEMES if lexicon is None else lexicon
    key = ("lexicon", language, tuple((str(k), tuple(str(w) for w in v)) for k, v in lexicon.items()))
    if key in tokens.cache:
        return tokens.cache[key].copy()
    code, doc = tokens.code, tokens.doc
    vocab = _Vocab(tokens.vocab, np.flatnonzero(np.bincount(code, minlength=len(tokens.vocab))), language)
    nv = vocab.n
    out = {}
    for theme, keywords in lexicon.items():
        single = np.zeros(nv, dtype=bool)
        positions: list[np.ndarray] = []
        excluded: list[np.ndarray] = []
        for kw in keywords:
            text = str(kw).strip()
            exclusion = text.startswith("-")
            parts = _keyword_parts(text[1:] if exclusion else text)
            if not parts or nv == 0 or (exclusion and len(parts) < 2):
                continue
            if len(parts) == 1:
                single |= vocab.mask(parts[0])
                continue
            cand = _phrase_starts(vocab, code, doc, parts[:3])
            if exclusion:  # the words of the phrase count for no single keyword of the theme
                excluded += [cand + j for j in range(min(len(parts), 3))]
            else:
                positions.append(cand)
        counted = single[code] if nv else np.zeros(len(code), dtype=bool)
        for p in excluded:
            counted[p] = False
        hits = np.bincount(doc[counted], minlength=tokens.n_docs) if nv else np.zeros(tokens.n_docs, "int64")
        for p in positions:
            if len(p):
                hits = hits + np.bincount(doc[p], minlength=tokens.n_docs)
        out[theme] = hits.astype("int64")
    frame = pd.DataFrame(out, index=pd.RangeIndex(tokens.n_docs))
    tokens.cache[key] = frame
    return frame.copy()


def _phrase_starts(vocab: _Vocab, code: np.ndarray, doc: np.ndarray, parts: list[str]) -> np.ndarray:
    """The token positions where the words ``parts`` follow each other within one comment."""
    masks = [vocab.mask(p) for p in parts]
    k = len(masks)
    if len(code) < k or not all(m.any() for m in masks):
        return np.zeros(0, dtype=np.intp)
    cand = np.flatnonzero(masks[0][code[: len(code) - k + 1]])
    for j in range(1, k):
        if not len(cand):
            break
        cand = cand[masks[j][code[cand + j]] & (doc[cand + j] == doc[cand])]
    return cand


def match_themes(tokens: Tokens, languages: np.ndarray,
                 lexicons: Mapping[str, Mapping[str, Iterable[str]]] | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """Each comment matched against the lexicon of its own language.

    Parameters
    ----------
    tokens : Tokens
    languages : array of str, one per comment
        The language each comment is read in (ISO 639-1; anything else is a
        language without a lexicon).
    lexicons : mapping of language -> lexicon, optional
        Default :data:`LEXICONS` (see :func:`merge_lexicons`); those of
        :data:`STEMMED` languages are matched on stems.

    Returns
    -------
    hits : DataFrame
        As :func:`match_lexicon`, one column per theme of any lexicon (in
        the order of the first lexicon that names it); a comment in a
        language without a lexicon has no hit.
    read : ndarray of bool
        Per comment: its language has a lexicon (its themes were assessed).

    Examples
    --------
    >>> from npsdiag.text import tokenize
    >>> hits, read = match_themes(tokenize(["Trop cher", "Zu teuer", "Too expensive", "Troppo caro"]),
    ...                           np.array(["fr", "de", "en", "it"]))
    >>> hits["price & value"].tolist(), read.tolist()
    ([2, 2, 1, 0], [True, True, True, False])
    """
    lexicons = LEXICONS if lexicons is None else lexicons
    languages = np.asarray(languages, dtype=object)
    names = list(dict.fromkeys(str(t) for lex in lexicons.values() for t in lex))
    hits = np.zeros((tokens.n_docs, len(names)), dtype="int64")
    read = np.isin(languages, list(lexicons))
    for lang, lex in lexicons.items():
        docs = np.flatnonzero(languages == lang)
        if not len(docs):
            continue
        frame = match_lexicon(tokens.subset(docs) if len(docs) < tokens.n_docs else tokens, lex,
                              lang if lang in STEMMED else None)
        cols = [names.index(str(t)) for t in frame.columns]
        hits[np.ix_(docs, cols)] = frame.to_numpy(dtype="int64")
    return pd.DataFrame(hits, columns=names), read
