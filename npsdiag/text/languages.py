"""Which language (or script) each comment is written in: a cheap guess without a model."""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from .tokens import BARRIER, Tokens

__all__ = ["LANGUAGE_NAMES", "detect_languages"]

_SCRIPT_NAMES = {
    "LATIN": "latin", "CYRILLIC": "cyrillic", "ARABIC": "arabic", "HEBREW": "hebrew", "GREEK": "greek",
    "CJK": "cjk", "HIRAGANA": "cjk", "KATAKANA": "cjk", "HANGUL": "hangul", "DEVANAGARI": "devanagari",
    "THAI": "thai", "BENGALI": "bengali", "TAMIL": "tamil", "ARMENIAN": "armenian", "GEORGIAN": "georgian",
}
#: Function words that tell Latin-script languages apart (chosen not to overlap between languages).
_LANG_WORDS: dict[str, set[str]] = {
    "en": {"the", "and", "with", "they", "have", "this", "that", "are", "very", "not", "but", "you", "were",
           "been", "would", "my", "to", "of", "for", "it", "be", "from", "your", "there", "what", "when", "our",
           "had", "has", "just", "i", "was", "is", "good", "great", "dont", "didnt"},
    "fr": {"le", "les", "et", "est", "une", "pas", "très", "pour", "avec", "je", "vous", "nous", "mais", "au",
           "ce", "sont", "été", "qui", "elle", "ils", "aussi", "bien", "merci", "rien", "trop", "sur", "j", "c"},
    "es": {"el", "los", "las", "y", "muy", "pero", "del", "está", "fue", "gracias", "hay", "bueno", "también",
           "servicio", "atención", "mucho", "nunca", "porque", "siempre"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "sehr", "mit", "ein", "eine", "ich", "sie", "wir", "auf",
           "für", "zu", "auch", "gut", "aber", "den", "dem", "kein", "immer", "wurde", "keine", "noch"},
    "pt": {"não", "muito", "você", "obrigado", "obrigada", "são", "ótimo", "bom", "atendimento", "pelo",
           "pela", "um", "ao", "isso", "nao", "foi", "tudo"},
    "it": {"il", "di", "che", "molto", "sono", "per", "gli", "della", "anche", "ma", "è", "servizio", "ottimo",
           "grazie", "bene", "perché", "mai", "sempre"},
    "nl": {"het", "een", "niet", "zeer", "met", "van", "voor", "ik", "zijn", "wij", "maar", "ook", "dat",
           "goed", "erg", "heel", "wel", "geen"},
}
LANGUAGE_NAMES = {
    "en": "English", "fr": "French", "es": "Spanish", "de": "German", "pt": "Portuguese", "it": "Italian",
    "nl": "Dutch", "latin": "other Latin-script language", "cyrillic": "Cyrillic script", "arabic": "Arabic script",
    "hebrew": "Hebrew script", "greek": "Greek", "cjk": "Chinese/Japanese", "hangul": "Korean",
    "devanagari": "Devanagari script", "thai": "Thai", "bengali": "Bengali", "tamil": "Tamil",
    "armenian": "Armenian", "georgian": "Georgian", "other": "other script", "undetermined": "undetermined",
}


def _token_script(tok: str) -> str:
    for ch in tok:
        name = unicodedata.name(ch, "")
        if name:
            return _SCRIPT_NAMES.get(name.split(" ")[0], "other")
    return "other"


def detect_languages(tokens: Tokens) -> np.ndarray:
    """A cheap guess of each comment's language (or script).

    Parameters
    ----------
    tokens : Tokens

    Returns
    -------
    ndarray of str, one per comment
        ``en``, ``fr``, ``es``, ``de``, ``pt``, ``it``, ``nl`` for Latin-script
        comments whose function words tell the language; ``latin`` when they
        do not and the comment has at least three words; a script name
        (``arabic``, ``hebrew``, ``cyrillic``, ``cjk``, ``greek``...) for
        other scripts; ``undetermined`` for short comments without a
        function word, Latin-script comments in other languages and comments
        with no letters. See
        :data:`LANGUAGE_NAMES`.

    Notes
    -----
    No model: the script of each token comes from its first letter's
    Unicode name, and Latin-script languages from counts of a few dozen
    frequent function words per language chosen not to overlap
    ("the", "and" / "le", "est" / "der", "und"...). The majority wins; a tie
    is undetermined. Good enough to say what share of comments the English
    term statistics cover, not to route comments.

    Examples
    --------
    >>> from npsdiag.text import tokenize
    >>> detect_languages(tokenize(["The engineer was great", "Le service est très bien",
    ...                            "الخدمة ممتازة", "Top!"])).tolist()
    ['en', 'fr', 'arabic', 'undetermined']
    """
    if "languages" in tokens.cache:
        return tokens.cache["languages"].copy()
    out = _detect_languages(tokens)
    tokens.cache["languages"] = out
    return out.copy()


def _detect_languages(tokens: Tokens) -> np.ndarray:
    n = tokens.n_docs
    out = np.full(n, "undetermined", dtype=object)
    if n == 0 or len(tokens.code) == 0:
        return out
    vocab = tokens.vocab
    script_names = sorted(set(_SCRIPT_NAMES.values()) | {"other"})
    sidx = {s: i for i, s in enumerate(script_names)}
    vscript = np.fromiter((sidx[_token_script(str(t))] for t in vocab), dtype="int64", count=len(vocab))
    is_bar = vocab == BARRIER
    ok = ~is_bar[tokens.code]
    doc, code = tokens.doc[ok], tokens.code[ok]
    ns = len(script_names)
    sc = np.bincount(doc * ns + vscript[code], minlength=n * ns).reshape(n, ns)
    ntok = sc.sum(axis=1)
    best = sc.argmax(axis=1)
    langs = list(_LANG_WORDS)
    vlang = np.full(len(vocab), -1, dtype="int64")
    index = pd.Index(vocab)
    for j, lang in enumerate(langs):
        pos = index.get_indexer(list(_LANG_WORDS[lang]))
        vlang[pos[pos >= 0]] = j
    tl = vlang[code]
    m = tl >= 0
    nl = len(langs)
    lc = np.bincount(doc[m] * nl + tl[m], minlength=n * nl).reshape(n, nl)
    top = lc.max(axis=1)
    winner = lc.argmax(axis=1)
    unique_top = (lc == top[:, None]).sum(axis=1) == 1
    latin = best == sidx["latin"]
    labels = np.asarray(langs, dtype=object)
    chosen = latin & (top > 0) & unique_top
    out[chosen] = labels[winner[chosen]]
    other = ~latin & (ntok > 0)
    names = np.asarray(script_names, dtype=object)
    out[other] = names[best[other]]
    return out
