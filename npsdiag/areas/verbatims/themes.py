"""Themes of a keyword lexicon: their share of comments, the NPS of those who mention them, quotes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ... import text as tx
from ...stats.multiplicity import bh_adjust
from ...stats.nps import CATEGORIES, Breaks, nps_diff_test, nps_from_counts
from ...stats.proportions import wilson_interval
from .common import QUOTE_CHARS, aligned, as_text, category_codes, first_rows, quote, text_by_category

__all__ = ["theme_summary", "theme_quotes", "theme_hits", "themes_from_corpus", "quotes_from_corpus"]


def theme_hits(c: tx.Corpus, themes: Mapping[str, Iterable[str]] | None) -> tuple[np.ndarray, list[str]]:
    """Keyword hits per distinct text and theme; texts in another language than English match no theme.

    Returns the (texts, themes) hit counts and the theme names; ``hits[c.inverse]`` gives them per comment.
    """
    frame = tx.match_lexicon(c.tokens, tx.DEFAULT_THEMES if themes is None else themes)
    english = np.isin(tx.detect_languages(c.tokens), ["en", "undetermined"])
    hits = frame.to_numpy(dtype="int64").copy()
    hits[~(c.has & english), :] = 0
    return hits, [str(t) for t in frame.columns]


def theme_summary(
    data: pd.DataFrame,
    comment: str = "comment",
    score: str = "score",
    themes: Mapping[str, Iterable[str]] | None = None,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
) -> pd.DataFrame:
    """Share and NPS of each comment theme of a keyword lexicon.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    comment, score : str
        Comment and 0-10 score columns.
    themes : mapping of theme -> keywords, optional
        Default :data:`npsdiag.text.DEFAULT_THEMES`; extend it with
        :func:`npsdiag.text.merge_themes`. See
        :func:`npsdiag.text.match_lexicon` for the keyword syntax. The
        lexicon is English: comments detected as another language
        (:func:`npsdiag.text.detect_languages`) match no theme.
    confidence : float
    breaks : Breaks
        NPS category breaks.

    Returns
    -------
    DataFrame
        One row per theme mentioned at least once, most mentioned first:
        ``theme``, ``comments`` (comments mentioning it), ``share`` (of all
        comments), ``share_ci_low``, ``share_ci_high`` (Wilson), ``nps``
        (NPS of the respondents who mention it), ``nps_ci_low``,
        ``nps_ci_high`` (adjusted Wald, Rocks 2016), ``nps_vs_rest``
        (points against the other commenters), ``p_value`` (two-sample Wald
        test), ``p_adj`` (Benjamini-Hochberg across themes). A comment may
        mention several themes.

    Examples
    --------
    >>> df = pd.DataFrame({"comment": ["invoice wrong"] * 5 + ["easy to use"] * 5, "score": [2] * 5 + [10] * 5})
    >>> theme_summary(df)[["theme", "comments", "nps"]].values.tolist()
    [['billing & payments', 5, -100.0], ['ease of use', 5, 100.0]]
    """
    return themes_from_corpus(data, tx.corpus(data[comment]), score, themes, confidence, breaks)


def themes_from_corpus(
    data: pd.DataFrame,
    corpus: tx.Corpus,
    score: str = "score",
    themes: Mapping[str, Iterable[str]] | None = None,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
) -> pd.DataFrame:
    """:func:`theme_summary` of the comments of ``corpus`` (one per row of ``data``)."""
    cols = ["theme", "comments", "share", "share_ci_low", "share_ci_high", "nps", "nps_ci_low", "nps_ci_high",
            "nps_vs_rest", "p_value", "p_adj"]
    c = aligned(data, corpus)
    hits, names = theme_hits(c, themes)
    has = c.commented()
    n = int(has.sum())
    if n == 0 or hits.shape[1] == 0:
        return pd.DataFrame(columns=cols)
    # per distinct text: its comments by category; a theme's counts are the sums over the texts mentioning it
    mask = (hits > 0).astype("float64")
    by_cat = text_by_category(c, category_codes(data, score, breaks), has)
    counts = (mask.T @ by_cat).astype("int64")
    total = by_cat.sum(axis=0).astype("int64")
    rest = total[None, :] - counts
    r = nps_from_counts(counts[:, 0], counts[:, 1], counts[:, 2], confidence=confidence)
    k = (mask.T @ c.counts(has)).astype("int64")
    lo, hi = wilson_interval(k, n, confidence)
    diffs, ps = [], []
    for i in range(len(k)):
        t = nps_diff_test(counts[i], rest[i], confidence=confidence)
        diffs.append(t.diff)
        ps.append(t.p_value)
    out = pd.DataFrame({"theme": names, "comments": k, "share": k / n,
                        "share_ci_low": lo, "share_ci_high": hi, "nps": 100 * r["nps"],
                        "nps_ci_low": 100 * r["ci_low"], "nps_ci_high": 100 * r["ci_high"],
                        "nps_vs_rest": diffs, "p_value": ps})
    out = out[out["comments"] > 0].copy()
    out["p_adj"] = bh_adjust(out["p_value"])
    return out.sort_values(["comments", "theme"], ascending=[False, True])[cols].reset_index(drop=True)


def _pick_quotes(texts: np.ndarray, cats: np.ndarray, rank: np.ndarray, rows: np.ndarray, per: int) -> list[int]:
    """Indices of up to ``per`` quotes among ``rows``: best detractor, best promoter, then best of the rest.

    A comment equal to, inside, or containing one already chosen is skipped.
    """
    order = rows[np.lexsort((rows, -rank[rows]))]
    chosen: list[int] = []
    seen: list[str] = []

    def take(cands: np.ndarray, k: int) -> None:
        for i in cands:
            if len(chosen) >= per or k <= 0:
                return
            key = " ".join(str(texts[i]).lower().split()).strip(" .!")
            if i in chosen or any(key in s or s in key for s in seen):
                continue
            chosen.append(int(i))
            seen.append(key)
            k -= 1

    take(order[cats[order] == "detractor"], 1)
    take(order[cats[order] == "promoter"], 1)
    take(order, per)
    return chosen


def _pick_quotes_texts(firsts: tuple[np.ndarray, ...], texts: np.ndarray, inv: np.ndarray, cats: np.ndarray,
                       rank_t: np.ndarray, cand_t: np.ndarray, per: int) -> list[int]:
    """:func:`_pick_quotes` over comments that share distinct texts, ranked per text.

    Only the first comment of a text (or of a text and category, for the detractor and promoter picks) can
    be chosen -- a later one repeats a text already seen -- so the candidates are those first comments of
    the texts ``cand_t`` (``firsts``: from :func:`first_rows`, any, detractor and promoter comments); the
    selection is then the same as over every comment. Returns row positions.
    """
    keep = np.concatenate([f[cand_t] for f in firsts])
    keep = np.unique(keep[keep >= 0])
    if not len(keep):
        return []
    local = _pick_quotes(texts[inv[keep]], cats[keep], rank_t[inv[keep]], np.arange(len(keep)), per)
    return [int(keep[i]) for i in local]


def theme_quotes(
    data: pd.DataFrame,
    comment: str = "comment",
    score: str = "score",
    themes: Mapping[str, Iterable[str]] | None = None,
    per_theme: int = 3,
    max_chars: int = QUOTE_CHARS,
    redact: bool = True,
    breaks: Breaks = Breaks(),
    only: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Two or three representative quotes per theme.

    Parameters
    ----------
    data : DataFrame
    comment, score : str
    themes : mapping, optional
        Lexicon (default :data:`npsdiag.text.DEFAULT_THEMES`).
    per_theme : int
        Quotes per theme.
    max_chars : int
        Quotes are cut at a word boundary to this length (with an ellipsis).
    redact : bool
        Mask personal data in the quotes (:func:`npsdiag.redact.redact_text`).
    breaks : Breaks
    only : list of str, optional
        Themes to quote (default: all that are mentioned).

    Returns
    -------
    DataFrame
        ``theme``, ``category``, ``score``, ``quote`` (plain text; the
        report escapes it).

    Notes
    -----
    Representative = mentions the theme's keywords most densely (keyword
    hits / sqrt(words)), preferring comments of 40-300 characters and in
    English (the lexicon's language); one
    detractor and one promoter are taken first when the theme has both, so
    that both sides of a theme are heard. Identical comments are quoted
    once. Deterministic.

    Examples
    --------
    >>> df = pd.DataFrame({"comment": ["The invoice was wrong again, twice this year", "Billing is simple"],
    ...                    "score": [2, 10]})
    >>> theme_quotes(df, only=["billing & payments"])[["category", "quote"]].values.tolist()
    [['detractor', 'The invoice was wrong again, twice this year'], ['promoter', 'Billing is simple']]
    """
    return quotes_from_corpus(data, tx.corpus(data[comment]), score, themes, per_theme=per_theme,
                              max_chars=max_chars, redact=redact, breaks=breaks, only=only)


def quotes_from_corpus(
    data: pd.DataFrame,
    corpus: tx.Corpus,
    score: str = "score",
    themes: Mapping[str, Iterable[str]] | None = None,
    per_theme: int = 3,
    max_chars: int = QUOTE_CHARS,
    redact: bool = True,
    breaks: Breaks = Breaks(),
    only: Iterable[str] | None = None,
) -> pd.DataFrame:
    """:func:`theme_quotes` of the comments of ``corpus`` (one per row of ``data``)."""
    cols = ["theme", "category", "score", "quote"]
    c = aligned(data, corpus)
    has = c.commented()
    if not has.any():
        return pd.DataFrame(columns=cols)
    hits, names = theme_hits(c, themes)
    inv = c.inverse
    cat_names = np.array(list(CATEGORIES) + [""], dtype=object)
    cats = cat_names[category_codes(data, score, breaks)]  # -1 (no score) -> ""
    scores = pd.to_numeric(data[score], errors="coerce").to_numpy(dtype="float64")
    # per distinct text: words, length and language, from which each theme ranks its comments
    text_str = c.texts
    words = np.bincount(c.tokens.doc, minlength=c.n_texts).astype("float64")
    length = c.lengths()
    good_len = (length >= 40) & (length <= 300)
    english = np.isin(tx.detect_languages(c.tokens), ["en", "undetermined"])
    elig = np.flatnonzero(has)
    firsts = tuple(first_rows(inv, r, c.n_texts) for r in
                   (elig, elig[cats[elig] == "detractor"], elig[cats[elig] == "promoter"]))
    rows_out = []
    wanted = names if only is None else [t for t in only if t in names]
    for theme in wanted:
        h = hits[:, names.index(theme)]
        cand_t = np.flatnonzero(h > 0)
        if not len(cand_t):
            continue
        rank_t = np.zeros(c.n_texts)
        rank_t[cand_t] = h[cand_t] / np.sqrt(np.maximum(words[cand_t], 1)) + good_len[cand_t] + 2 * english[cand_t]
        for i in _pick_quotes_texts(firsts, text_str, inv, cats, rank_t, cand_t, per_theme):
            sc = scores[i]
            rows_out.append({"theme": theme, "category": cats[i] or None,
                             "score": None if np.isnan(sc) else (int(sc) if float(sc).is_integer() else float(sc)),
                             "quote": quote(as_text(text_str[inv[i]]), redact, max_chars)})
    return pd.DataFrame(rows_out, columns=cols)
