"""Which language each comment is written in: a cheap guess first, a language model only where it is unsure.

A million comments cannot each go through a language model (Lingua takes
about 0.2 ms a text), and most need not: the script of a comment's letters
and the function words it uses ("the", "and" / "le", "est" / "der", "und")
already tell most languages apart. :func:`guess_languages` makes that guess
for every distinct text with vectorised counts and says where it is sure;
:func:`detect_languages` sends only the texts it is unsure of to Lingua
(Stahl 2021-2025; its models ship inside the package, nothing is
downloaded), most frequent first and at most :data:`MAX_MODEL_TEXTS` of them.

References
----------
.. [1] Stahl, P. M. Lingua: the most accurate natural language detection
   library for Python, suitable for short text and mixed-language text.
   https://github.com/pemistahl/lingua-py
.. [2] Grefenstette, G. (1995). Comparing two language identification
   schemes. JADT 1995 (function words against character n-grams).
"""

from __future__ import annotations

import threading
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

from .tokens import BARRIER, Tokens

__all__ = ["LANGUAGE_NAMES", "GUESSED", "MODEL_LANGUAGES", "MAX_MODEL_TEXTS", "MODEL_CHARS", "guess_languages",
           "detect_languages", "model_languages", "main_language"]

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
#: The Latin-script languages the cheap guess tells apart.
GUESSED = tuple(_LANG_WORDS)
#: The languages Lingua chooses among for the texts the cheap guess is unsure of (ISO 639-1; "nb": Norwegian).
MODEL_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl", "pl", "sv", "da", "nb", "fi", "ro", "cs", "hu", "tr",
                   "ca")
#: At most this many distinct texts go to the language model (the most frequent unsure ones): a cost bound.
#: Measured on a shared 2-core machine: loading the models takes about 1.5 s once, then 1.1-1.3 ms a text of
#: about 100 characters; on a 1M-comment export with 161,000 distinct texts (90% settled by the cheap guess),
#: 5,000 texts cost 5.5 s (wall time, machine under load). Beyond the bound the rarest unsure texts are read
#: in the main language, which is what the prior (the mix of the sure comments) makes the model answer for most
#: of them anyway.
MAX_MODEL_TEXTS = 2_000
#: The model reads at most this many characters of a text (its cost grows with the length; the language of a
#: comment is plain from its first sentences).
MODEL_CHARS = 160
LANGUAGE_NAMES = {
    "en": "English", "fr": "French", "es": "Spanish", "de": "German", "pt": "Portuguese", "it": "Italian",
    "nl": "Dutch", "pl": "Polish", "sv": "Swedish", "da": "Danish", "nb": "Norwegian", "fi": "Finnish",
    "ro": "Romanian", "cs": "Czech", "hu": "Hungarian", "tr": "Turkish", "ca": "Catalan",
    "latin": "other Latin-script language", "cyrillic": "Cyrillic script", "arabic": "Arabic script",
    "hebrew": "Hebrew script", "greek": "Greek", "cjk": "Chinese/Japanese", "hangul": "Korean",
    "devanagari": "Devanagari script", "thai": "Thai", "bengali": "Bengali", "tamil": "Tamil",
    "armenian": "Armenian", "georgian": "Georgian", "other": "other script", "undetermined": "undetermined",
}
#: Labels that are languages (not a script, "latin" or "undetermined").
_LANGUAGES = frozenset(GUESSED) | frozenset(MODEL_LANGUAGES)


@lru_cache(maxsize=1)
def _distinctive_words() -> dict[str, frozenset[str]]:
    """Per guessed language: its function words above, and the words of its stopwords-iso list in no other's list.

    Stop-word lists (Diaz, stopwords-iso) hold each language's most frequent words; a word of three letters or
    more found in one language's list only is as good a clue as a function word. Shorter ones are left out
    (country codes and letters in the English list).
    """
    import stopwordsiso

    lists = {lang: {unicodedata.normalize("NFKC", w).lower() for w in stopwordsiso.stopwords(lang)}
             for lang in GUESSED}
    out = {}
    for lang in GUESSED:
        others = set().union(*(lists[o] | _LANG_WORDS[o] for o in GUESSED if o != lang))
        extra = {w for w in lists[lang] - others if len(w) >= 3 and w.isalpha()}
        out[lang] = frozenset((_LANG_WORDS[lang] | extra) - set().union(*(_LANG_WORDS[o] for o in GUESSED
                                                                           if o != lang)))
    return out


def _token_script(tok: str) -> str:
    for ch in tok:
        name = unicodedata.name(ch, "")
        if name:
            return _SCRIPT_NAMES.get(name.split(" ")[0], "other")
    return "other"


def guess_languages(tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
    """A cheap guess of each comment's language (or script), and whether it is sure.

    Parameters
    ----------
    tokens : Tokens

    Returns
    -------
    labels : ndarray of str, one per comment
        ``en``, ``fr``, ``es``, ``de``, ``pt``, ``it``, ``nl`` for Latin-script
        comments whose function words tell the language (the majority wins, a
        tie is undetermined); a script name (``arabic``, ``hebrew``,
        ``cyrillic``, ``cjk``, ``greek``...) for other scripts;
        ``undetermined`` for Latin-script comments without a telling word and
        comments with no letters. See :data:`LANGUAGE_NAMES`.
    sure : ndarray of bool
        The guess needs no model: a non-Latin script, or at least two telling
        words of the language and three times as many as of any other, or (in
        a comment of at most three words) one telling word and none of any
        other language.

    Notes
    -----
    No model: the script of each token comes from its first letter's Unicode
    name, and Latin-script languages from counts of words that only one of
    the seven languages uses: a few dozen function words chosen by hand and
    the words of three letters or more of the language's stopwords-iso list
    found in no other's list. Counting is vectorised over integer token
    codes; a million comments take a second or two.

    Examples
    --------
    >>> from npsdiag.text import tokenize
    >>> labels, sure = guess_languages(tokenize(["The engineer was great and on time", "Trop cher",
    ...                                          "Engineer visit", "Отличный сервис"]))
    >>> labels.tolist(), sure.tolist()
    (['en', 'fr', 'undetermined', 'cyrillic'], [True, True, False, True])
    """
    key = "guessed_languages"
    if key not in tokens.cache:
        tokens.cache[key] = _guess(tokens)
    labels, sure = tokens.cache[key]
    return labels.copy(), sure.copy()


def _guess(tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
    n = tokens.n_docs
    out = np.full(n, "undetermined", dtype=object)
    sure = np.zeros(n, dtype=bool)
    if n == 0 or len(tokens.code) == 0:
        return out, sure
    vocab = tokens.vocab
    script_names = sorted(set(_SCRIPT_NAMES.values()) | {"other"})
    sidx = {s: i for i, s in enumerate(script_names)}
    vscript = np.fromiter((sidx[_token_script(str(t))] for t in vocab), dtype="int64", count=len(vocab))
    ok = ~(vocab == BARRIER)[tokens.code]
    doc, code = tokens.doc[ok], tokens.code[ok]
    ns = len(script_names)
    sc = np.bincount(doc * ns + vscript[code], minlength=n * ns).reshape(n, ns)
    ntok = sc.sum(axis=1)
    best = sc.argmax(axis=1)
    words = _distinctive_words()
    vlang = np.full(len(vocab), -1, dtype="int64")
    index = pd.Index(vocab)
    for j, lang in enumerate(GUESSED):
        pos = index.get_indexer(list(words[lang]))
        vlang[pos[pos >= 0]] = j
    hand = np.zeros(len(vocab), dtype=bool)  # the function words chosen by hand (the surest clues)
    for lang in GUESSED:
        pos = index.get_indexer(list(_LANG_WORDS[lang]))
        hand[pos[pos >= 0]] = True
    tl = vlang[code]
    m = tl >= 0
    nl = len(GUESSED)
    lc = np.bincount(doc[m] * nl + tl[m], minlength=n * nl).reshape(n, nl)
    n_hand = np.bincount(doc[m & hand[code]], minlength=n)
    ordered = np.sort(lc, axis=1)
    top, second = ordered[:, -1], ordered[:, -2]
    winner = lc.argmax(axis=1)
    latin = best == sidx["latin"]
    chosen = latin & (top > second)
    out[chosen] = np.asarray(GUESSED, dtype=object)[winner[chosen]]
    short_clue = (second == 0) & (ntok <= 3) & (n_hand == top)  # a short comment, its clues all chosen by hand
    sure[chosen] = ((top >= 2) & (top >= 3 * second))[chosen] | short_clue[chosen]
    # a one-word comment whose only clue is a stopwords-iso word ("okay" is in the Italian list only) tells no
    # language
    out[chosen & ~sure & (ntok == 1)] = "undetermined"
    other = ~latin & (ntok > 0)
    out[other] = np.asarray(script_names, dtype=object)[best[other]]
    sure[other] = True
    sure[ntok == 0] = True  # no letters: undetermined whatever a model would say
    return out, sure


_DETECTOR = None
_DETECTOR_LOCK = threading.Lock()


def _detector():
    """Lingua's detector of :data:`MODEL_LANGUAGES`, built once per process (its models load as used).

    Low-accuracy mode (trigram models: 1.5 s to load and 65 MB, against 25 s and 700 MB for the 1- to 5-gram
    models of the high-accuracy mode); the texts it sees are those the function words could not settle.
    """
    global _DETECTOR
    with _DETECTOR_LOCK:
        if _DETECTOR is None:
            from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

            langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in MODEL_LANGUAGES]
            _DETECTOR = LanguageDetectorBuilder.from_languages(*langs).with_low_accuracy_mode().build()
        return _DETECTOR


def model_languages(texts: list[str], prior: dict[str, float] | None = None) -> np.ndarray:
    """Lingua's language of each text among :data:`MODEL_LANGUAGES`, weighed by a prior.

    Parameters
    ----------
    texts : list of str
    prior : dict of language -> weight, optional
        How likely each language is before reading the text (e.g. the mix of
        the comments whose language is sure); default uniform. Lingua's
        confidence values (which sum to one over the languages) times the
        prior, normalised, are the posterior.

    Returns
    -------
    ndarray of str
        The language of largest posterior when it is at least one half,
        ``undetermined`` otherwise. Only the first :data:`MODEL_CHARS`
        characters of a text are read.

    Examples
    --------
    >>> model_languages(["Liefertermin wurde nicht eingehalten", "arrivée du nouveau directeur"]).tolist()
    ['de', 'fr']
    >>> model_languages(["Excellent service"], prior={"en": 0.99, "fr": 0.01}).tolist()
    ['en']
    """
    if not len(texts):
        return np.zeros(0, dtype=object)
    codes = list(MODEL_LANGUAGES)
    at = {c: i for i, c in enumerate(codes)}
    found = _detector().compute_language_confidence_values_in_parallel([str(t)[:MODEL_CHARS] for t in texts])
    conf = np.zeros((len(texts), len(codes)))
    for i, values in enumerate(found):
        for v in values:
            conf[i, at[v.language.iso_code_639_1.name.lower()]] = v.value
    w = np.ones(len(codes)) if prior is None else np.array([float(prior.get(c, 0.0)) for c in codes])
    post = conf * w
    total = post.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        best = post.max(axis=1) / total
    labels = np.asarray(codes, dtype=object)[post.argmax(axis=1)]
    return np.where((total > 0) & (best >= 0.5), labels, "undetermined").astype(object)


def detect_languages(tokens: Tokens, texts=None, weights=None, max_model_texts: int = MAX_MODEL_TEXTS
                     ) -> np.ndarray:
    """Each comment's language (or script): the cheap guess, and a model where the guess is unsure.

    Parameters
    ----------
    tokens : Tokens
    texts : sequence of str, optional
        The comments the tokens come from. Without them only the cheap guess
        is made (:func:`guess_languages`).
    weights : array of float, optional
        Per comment, how many responses carry it (a corpus of distinct
        texts): the unsure texts go to the model most frequent first, and
        the prior counts responses.
    max_model_texts : int
        At most this many texts go to the model; the others keep the cheap
        guess (undetermined when it has no telling word).

    Returns
    -------
    ndarray of str, one per comment
        As :func:`guess_languages`; the unsure Latin-script comments of at
        least two words take the language of largest posterior
        (:func:`model_languages`) when it is at least one half.

    Notes
    -----
    The prior is the language mix of the comments whose guess is sure
    (add-one smoothed over :data:`MODEL_LANGUAGES`): in a programme whose
    sure comments are 99.9% English, "Excellent service" stays English though
    Lingua alone leans French on two words; in a French programme it is
    French. On BT's 2,249 distinct comments the cheap guess is sure of 92.5%;
    Lingua alone disagrees with 3% of those, nearly all short English
    phrases it calls Danish, Swedish or French.

    Examples
    --------
    >>> from npsdiag.text import tokenize
    >>> texts = ["The engineer was great", "Le service est très bien", "El servicio fue muy bueno",
    ...          "Der Service ist sehr gut", "الخدمة ممتازة", "Super!", None, "Liefertermin verpasst"]
    >>> detect_languages(tokenize(texts)).tolist()
    ['en', 'fr', 'es', 'de', 'arabic', 'undetermined', 'undetermined', 'undetermined']
    >>> detect_languages(tokenize(texts), texts)[-1]
    'de'
    """
    labels, sure = guess_languages(tokens)
    if texts is None:
        return labels
    key = ("languages", int(max_model_texts))
    if key in tokens.cache:
        return tokens.cache[key].copy()
    words = np.bincount(tokens.doc[~(tokens.vocab == BARRIER)[tokens.code]], minlength=tokens.n_docs)
    ask = np.flatnonzero(~sure & (words >= 2) & np.isin(labels, ["undetermined", *GUESSED]))
    w = np.ones(tokens.n_docs) if weights is None else np.asarray(weights, dtype="float64")
    if len(ask) > max_model_texts:
        ask = np.sort(ask[np.lexsort((ask, -w[ask]))][:max_model_texts])
    values = np.asarray(texts, dtype=object)
    if len(ask):
        known = sure & np.isin(labels, list(MODEL_LANGUAGES))
        mix = pd.Series(w[known]).groupby(labels[known]).sum()
        prior = {c: float(mix.get(c, 0.0)) + 1.0 for c in MODEL_LANGUAGES}
        found = model_languages([str(values[i]) for i in ask], prior)
        keep = found != "undetermined"
        labels[ask[keep]] = found[keep]
    tokens.cache[key] = labels
    return labels.copy()


def main_language(labels: np.ndarray, weights=None) -> str | None:
    """The language most comments are written in (None when no comment's language is known).

    Scripts ("cyrillic"...), "latin" and "undetermined" are not languages
    and never main; ties go to the language seen first.

    Examples
    --------
    >>> main_language(np.array(["fr", "undetermined", "en", "fr", "cjk"]))
    'fr'
    """
    labels = np.asarray(labels, dtype=object)
    w = np.ones(len(labels)) if weights is None else np.asarray(weights, dtype="float64")
    known = np.isin(labels, list(_LANGUAGES)) & (w > 0)
    if not known.any():
        return None
    codes, uniq = pd.factorize(labels[known])
    totals = np.bincount(codes, weights=w[known])
    return str(uniq[int(np.argmax(totals))])
