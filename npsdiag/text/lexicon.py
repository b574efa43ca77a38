"""The theme lexicon: named themes of keywords, extended by a client's config, matched on tokens."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .tokens import Tokens

__all__ = ["DEFAULT_THEMES", "merge_themes", "match_lexicon"]

#: Default theme lexicon for common B2B and B2C NPS comments. Keywords are
#: lower-case words or phrases of up to three words; a trailing ``*`` matches
#: any ending (``invoic*`` matches invoice, invoices, invoicing). Extend or
#: replace it with ``settings.themes`` in the client config (see
#: :func:`merge_themes`).
DEFAULT_THEMES: dict[str, list[str]] = {
    "support & service": [
        "support", "customer service", "customer care", "service desk", "help desk", "helpdesk", "helpline",
        "call centre", "call center", "agent*", "advisor*", "adviser*", "representative*", "staff", "helpful",
        "unhelpful", "rude", "polite", "friendly", "knowledgeable", "ticket*", "escalat*", "chat", "on hold",
        "spoke to", "speak to", "phoned", "complain*",
    ],
    "price & value": [
        "price*", "pricing", "expensive", "cheap*", "cost*", "costly", "value", "money", "afford*", "overpriced",
        "discount*", "fee", "fees", "tariff*", "deal", "deals", "competitive", "rip off", "rip-off",
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


def _keyword_parts(keyword: str) -> list[str]:
    kw = unicodedata.normalize("NFKC", keyword).lower().replace("n't", "nt").replace("n’t", "nt")
    return [p for p in re.split(r"[^\w*]+", kw) if p]


def _vocab_mask(sorted_vocab: np.ndarray, order: np.ndarray, word: str, nv: int) -> np.ndarray:
    """Boolean mask over the vocabulary of tokens equal to ``word`` (or starting with it if it ends in *)."""
    mask = np.zeros(nv, dtype=bool)
    if word.endswith("*"):
        prefix = word.rstrip("*")
        if not prefix:
            return mask
        lo = np.searchsorted(sorted_vocab, prefix, side="left")
        hi = np.searchsorted(sorted_vocab, prefix + "\U0010ffff", side="left")
        mask[order[lo:hi]] = True
    else:
        i = np.searchsorted(sorted_vocab, word, side="left")
        if i < len(sorted_vocab) and sorted_vocab[i] == word:
            mask[order[i]] = True
    return mask


def match_lexicon(tokens: Tokens, lexicon: Mapping[str, Iterable[str]] | None = None) -> pd.DataFrame:
    """How many keywords of each theme each comment mentions.

    Parameters
    ----------
    tokens : Tokens
        From :func:`tokenize`.
    lexicon : mapping of theme -> keywords, optional
        Keywords are words or phrases of up to three words, matched on whole
        tokens; a trailing ``*`` on a word matches any ending. Default
        :data:`DEFAULT_THEMES`.

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
    """
    lexicon = DEFAULT_THEMES if lexicon is None else lexicon
    key = ("lexicon", tuple((str(k), tuple(str(w) for w in v)) for k, v in lexicon.items()))
    if key in tokens.cache:
        return tokens.cache[key].copy()
    nv = len(tokens.vocab)
    order = np.argsort(tokens.vocab.astype(str), kind="stable") if nv else np.zeros(0, "int64")
    sorted_vocab = tokens.vocab[order].astype(str) if nv else np.array([], dtype=str)
    code, doc = tokens.code, tokens.doc
    out = {}
    for theme, keywords in lexicon.items():
        single = np.zeros(nv, dtype=bool)
        positions: list[np.ndarray] = []
        for kw in keywords:
            parts = _keyword_parts(str(kw))
            if not parts or nv == 0:
                continue
            if len(parts) == 1:
                single |= _vocab_mask(sorted_vocab, order, parts[0], nv)
                continue
            masks = [_vocab_mask(sorted_vocab, order, p, nv) for p in parts[:3]]
            k = len(masks)
            if len(code) < k or not all(m.any() for m in masks):
                continue
            cand = np.flatnonzero(masks[0][code[: len(code) - k + 1]])
            for j in range(1, k):
                if not len(cand):
                    break
                cand = cand[masks[j][code[cand + j]] & (doc[cand + j] == doc[cand])]
            positions.append(cand)
        hits = np.bincount(doc[single[code]], minlength=tokens.n_docs) if nv else np.zeros(tokens.n_docs, "int64")
        for p in positions:
            if len(p):
                hits = hits + np.bincount(doc[p], minlength=tokens.n_docs)
        out[theme] = hits.astype("int64")
    frame = pd.DataFrame(out, index=pd.RangeIndex(tokens.n_docs))
    tokens.cache[key] = frame
    return frame.copy()
