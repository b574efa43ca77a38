"""Stop words and stemmers per language: what term statistics leave out, and which word forms count as one.

English keeps the project's list (:data:`npsdiag.text.STOP_WORDS`); other
languages take the stopwords-iso list of their language (Diaz 2016-2020)
without the words that carry a customer's meaning there (negations, "trop",
"cher", "gut", "bueno"...). Stems come from the Snowball algorithms (Porter
2001; the ``snowballstemmer`` package, sped up by PyStemmer when installed):
"engineer" and "engineers", "livraison" and "livraisons" are one term.

References
----------
.. [1] Porter, M. F. (2001). Snowball: a language for stemming algorithms.
   https://snowballstem.org/texts/introduction.html
.. [2] Diaz, G. stopwords-iso: the most comprehensive collection of stop
   words for multiple languages. https://github.com/stopwords-iso
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable, Sequence
from functools import cache

import numpy as np

from .tokens import STOP_WORDS

__all__ = ["SNOWBALL", "stop_words", "stemmer", "stem_words"]

#: Snowball algorithm of each language (ISO 639-1).
SNOWBALL = {
    "en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian", "pt": "portuguese",
    "nl": "dutch", "sv": "swedish", "da": "danish", "nb": "norwegian", "fi": "finnish", "ro": "romanian",
    "hu": "hungarian", "tr": "turkish", "ca": "catalan", "pl": "polish", "cs": "czech", "ru": "russian",
    "el": "greek", "ar": "arabic",
}

#: Words of the stopwords-iso lists kept as terms: negations, intensifiers and words of judgement.
_KEEP = {
    "fr": {"pas", "ne", "non", "jamais", "rien", "personne", "aucun", "aucune", "sans", "trop", "très", "peu",
           "plus", "moins", "bien", "bon", "bonne", "bons", "mal", "mauvais", "cher", "chère", "merci", "toujours",
           "encore", "vite", "long", "longtemps", "problème", "retard", "parfait", "super", "top", "nul"},
    "de": {"nicht", "kein", "keine", "keinen", "keiner", "keines", "nie", "niemals", "nichts", "ohne", "sehr", "zu",
           "gut", "gute", "guten", "schlecht", "besser", "schnell", "lange", "immer", "noch", "zeit", "teuer",
           "danke", "super", "toll", "problem", "probleme"},
    "es": {"no", "nunca", "nada", "nadie", "ninguno", "ninguna", "sin", "muy", "demasiado", "bien", "bueno",
           "buena", "buen", "mal", "malo", "mala", "mejor", "peor", "caro", "siempre", "todavía", "tiempo", "rápido",
           "lento", "gracias", "problema"},
    "it": {"non", "mai", "niente", "nessuno", "senza", "molto", "troppo", "bene", "buono", "male", "cattivo",
           "meglio", "peggio", "caro", "sempre", "ancora", "grazie"},
    "pt": {"não", "nunca", "nada", "ninguém", "sem", "muito", "demais", "bem", "bom", "boa", "mal", "mau",
           "melhor", "pior", "caro", "sempre", "ainda", "obrigado"},
    "nl": {"niet", "geen", "nooit", "niets", "niemand", "zonder", "zeer", "te", "goed", "slecht", "beter", "duur",
           "altijd", "nog", "bedankt"},
}


@cache
def stop_words(language: str | None) -> frozenset[str] | None:
    """The stop words of a language (ISO 639-1), or None when there is no list for it.

    Examples
    --------
    >>> sw = stop_words("fr")
    >>> "le" in sw, "pas" in sw, "cher" in sw, stop_words("xx") is None
    (True, False, False, True)
    """
    if language == "en":
        return STOP_WORDS
    if not language:
        return None
    import stopwordsiso

    if not stopwordsiso.has_lang(language if language != "nb" else "no"):
        return None
    words = {unicodedata.normalize("NFKC", w).lower() for w in stopwordsiso.stopwords(language if language != "nb"
                                                                                      else "no")}
    # words with an apostrophe split into pieces when tokenised ("aujourd'hui" -> "aujourd", "hui")
    pieces = {p for w in words for p in w.replace("’", "'").split("'") if p}
    return frozenset((words | pieces) - _KEEP.get(language, set()))


_LOCK = threading.Lock()


@cache
def _stemmer_object(algorithm: str):
    import snowballstemmer

    return snowballstemmer.stemmer(algorithm)


def stemmer(language: str | None) -> Callable[[Sequence[str]], list[str]] | None:
    """A function stemming a list of lower-case words of ``language`` (Snowball), or None without an algorithm.

    Examples
    --------
    >>> stemmer("fr")(["livraisons", "chère", "chers"]), stemmer("xx")
    (['livraison', 'cher', 'cher'], None)
    """
    import snowballstemmer

    algorithm = SNOWBALL.get(language or "")
    if algorithm is None or algorithm not in snowballstemmer.algorithms():
        return None
    obj = _stemmer_object(algorithm)

    def stem(words: Sequence[str]) -> list[str]:
        with _LOCK:  # a stemmer object keeps state between calls: one thread at a time
            return list(obj.stemWords(list(words)))

    return stem


def stem_words(words: np.ndarray, language: str | None) -> np.ndarray:
    """The stems of ``words`` (an object array) in ``language``; the words themselves without a stemmer.

    Examples
    --------
    >>> stem_words(np.array(["engineers", "engineer"], dtype=object), "en").tolist()
    ['engin', 'engin']
    """
    fn = stemmer(language)
    if fn is None or not len(words):
        return np.asarray(words, dtype=object).copy()
    return np.asarray(fn([str(w) for w in words]), dtype=object)
