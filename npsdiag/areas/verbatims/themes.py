"""Themes of keyword lexicons: their share of comments, the NPS of those who mention them, their impact, quotes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import stats

from ... import text as tx
from ...stats.multiplicity import bh_adjust
from ...stats.nps import CATEGORIES, Breaks, cluster_codes, nps_diff_test, nps_from_counts
from ...stats.proportions import wilson_interval
from .common import (
    QUOTE_CHARS,
    aligned,
    as_text,
    category_codes,
    first_rows,
    lexicon_key,
    lexicons_of,
    quote,
    text_by_category,
)
from .impact import domains_vs_rest

__all__ = ["theme_summary", "theme_quotes", "theme_hits", "themes_from_corpus", "quotes_from_corpus",
           "THEME_COLUMNS"]

#: Columns of :func:`theme_summary`.
THEME_COLUMNS = ["theme", "comments", "share", "share_ci_low", "share_ci_high", "nps", "nps_ci_low", "nps_ci_high",
                 "nps_vs_rest", "impact", "impact_ci_low", "impact_ci_high", "design_effect", "p_value", "p_adj"]


def theme_hits(c: tx.Corpus, themes: Mapping | None) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Keyword hits per distinct text and theme, each text read with the lexicon of its language.

    Returns the (texts, themes) hit counts, the theme names and, per text, whether it was read (a real comment
    in a language with a lexicon: :meth:`~npsdiag.text.Corpus.reading_languages`); ``hits[c.inverse]`` gives
    them per comment. Texts of other languages have no hit.
    """
    lexicons = lexicons_of(themes)
    key = ("themes", c.main_language(), lexicon_key(lexicons))
    if key not in c.tokens.cache:
        frame, read = tx.match_themes(c.tokens, c.reading_languages(), lexicons)
        read = read & c.has
        hits = frame.to_numpy(dtype="int64").copy()
        hits[~read, :] = 0
        c.tokens.cache[key] = (hits, [str(t) for t in frame.columns], read)
    hits, names, read = c.tokens.cache[key]
    return hits.copy(), list(names), read.copy()


def theme_summary(
    data: pd.DataFrame,
    comment: str = "comment",
    score: str = "score",
    themes: Mapping | None = None,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
    min_n: int = 30,
    cluster: str | None = None,
) -> pd.DataFrame:
    """Share, NPS and impact of each comment theme of the keyword lexicons.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    comment, score : str
        Comment and 0-10 score columns.
    themes : mapping, optional
        The lexicons: default :data:`npsdiag.text.LEXICONS` (English, French,
        German, Spanish; extend them with :func:`npsdiag.text.merge_lexicons`),
        a mapping of language -> lexicon, or one lexicon (theme -> keywords)
        read as English. Each comment is read with the lexicon of its
        language (:func:`npsdiag.text.match_themes`); comments in other
        languages are not read. See :func:`npsdiag.text.match_lexicon` for
        the keyword syntax.
    confidence : float
    breaks : Breaks
        NPS category breaks.
    min_n : int
        A theme mentioned by fewer scored comments is shown but not tested
        (``settings.min_n``, as for segments): one comment is never
        "significant".
    cluster : str, optional
        Column of clusters (an account, or a respondent answering many
        times): intervals and tests are design-based with them as primary
        units (:func:`~npsdiag.areas.verbatims.impact.nps_vs_rest`).

    Returns
    -------
    DataFrame
        One row per theme mentioned at least once, most costly first (by
        ``impact``): ``theme``, ``comments`` (comments mentioning it),
        ``share`` (of the comments read), ``share_ci_low``, ``share_ci_high``
        (Wilson), ``nps`` (NPS of the respondents who mention it),
        ``nps_ci_low``, ``nps_ci_high`` (adjusted Wald, Rocks 2016, on the
        effective sample size with clusters), ``nps_vs_rest`` (points
        against the other commenters), ``impact`` (NPS of all commenters
        minus that of the others = share x gap: the points the NPS would
        gain if they scored like the others), ``impact_ci_low``,
        ``impact_ci_high``, ``design_effect`` (of the theme's NPS; 1 without
        clusters), ``p_value`` (two-sample Wald test of the gap; NaN below
        ``min_n``), ``p_adj`` (Benjamini-Hochberg across the tested themes).
        A comment may mention several themes. ``attrs["read"]``: the
        comments read.

    Notes
    -----
    The test's variance is Rocks' (adjusted counts) for each side; with
    clusters it is the design-based variance of the gap where that is
    larger (a design effect is never used to narrow an interval). The
    impact's interval is its linearised (design-based) Wald interval.

    Examples
    --------
    >>> df = pd.DataFrame({"comment": ["invoice wrong"] * 5 + ["easy to use"] * 5, "score": [2] * 5 + [10] * 5})
    >>> theme_summary(df, min_n=5)[["theme", "comments", "nps", "impact"]].values.tolist()
    [['billing & payments', 5, -100.0, -100.0], ['ease of use', 5, 100.0, 100.0]]
    """
    return themes_from_corpus(data, tx.corpus(data[comment]), score, themes, confidence, breaks, min_n, cluster)


def themes_from_corpus(
    data: pd.DataFrame,
    corpus: tx.Corpus,
    score: str = "score",
    themes: Mapping | None = None,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
    min_n: int = 30,
    cluster: str | None = None,
) -> pd.DataFrame:
    """:func:`theme_summary` of the comments of ``corpus`` (one per row of ``data``)."""
    c = aligned(data, corpus)
    hits, names, read_t = theme_hits(c, themes)
    has = c.commented()
    rows_read = has & read_t[np.maximum(c.inverse, 0)] & (c.inverse >= 0)
    n = int(rows_read.sum())
    if n == 0 or hits.shape[1] == 0:
        out = pd.DataFrame(columns=THEME_COLUMNS)
        out.attrs["read"] = n
        return out
    # per distinct text: its comments by category; a theme's counts are the sums over the texts mentioning it
    mask = (hits > 0).astype("float64")
    cat = category_codes(data, score, breaks)
    by_cat = text_by_category(c, cat, rows_read)
    counts = (mask.T @ by_cat).astype("int64")
    rest = by_cat.sum(axis=0).astype("int64")[None, :] - counts
    k = (mask.T @ c.counts(rows_read)).astype("int64")
    lo, hi = wilson_interval(k, n, confidence)
    out = pd.DataFrame({"theme": names, "comments": k, "share": k / n, "share_ci_low": lo, "share_ci_high": hi})
    design = _design(data, c, cat, rows_read, hits > 0, cluster)
    deff = design["deff"].to_numpy() if cluster is not None else np.ones(len(names))
    shrink = np.where(np.isfinite(deff), np.maximum(deff, 1.0), 1.0)
    r = nps_from_counts(*(counts / shrink[:, None]).T, confidence=confidence)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    out["nps"] = 100 * (counts[:, 2] - counts[:, 0]) / np.maximum(counts.sum(axis=1), 1)
    out["nps"] = out["nps"].where(counts.sum(axis=1) > 0)
    out["nps_ci_low"], out["nps_ci_high"] = 100 * r["ci_low"], 100 * r["ci_high"]
    diffs, ps = [], []
    for i in range(len(k)):
        t = nps_diff_test(counts[i], rest[i], confidence=confidence)
        se = max(t.se, float(design["se_diff"].iloc[i])) if cluster is not None else t.se
        diffs.append(t.diff)
        ps.append(float(2 * stats.norm.sf(abs(t.diff) / se)) if se > 0 else np.nan)
    out["nps_vs_rest"] = diffs
    out["impact"] = design["impact"].to_numpy()
    out["impact_ci_low"] = out["impact"] - z * design["se_impact"].to_numpy()
    out["impact_ci_high"] = out["impact"] + z * design["se_impact"].to_numpy()
    out["design_effect"] = deff
    tested = counts.sum(axis=1) >= max(int(min_n), 1)
    out["p_value"] = np.where(tested, ps, np.nan)
    out = out[out["comments"] > 0].copy()
    out["p_adj"] = bh_adjust(out["p_value"])
    out = out.sort_values(["impact", "comments", "theme"], ascending=[True, False, True], na_position="last")
    out = out[THEME_COLUMNS].reset_index(drop=True)
    out.attrs["read"] = n
    return out


def _design(data: pd.DataFrame, c: tx.Corpus, cat: np.ndarray, rows: np.ndarray, member_t: np.ndarray,
            cluster: str | None) -> pd.DataFrame:
    """Design-based NPS, gap and impact of each theme among the scored comments read (``rows``)."""
    scored = np.flatnonzero(rows & (cat >= 0))
    x = np.array([-1.0, 0.0, 1.0])[cat[scored]]
    if cluster is not None and cluster in data:
        g = cluster_codes(data[cluster].iloc[scored].reset_index(drop=True))
    else:
        g = np.arange(len(scored), dtype="int64")
    return domains_vs_rest(x, g, member_t[c.inverse[scored]])


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
    themes: Mapping | None = None,
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
        Lexicons (default :data:`npsdiag.text.LEXICONS`; see :func:`theme_summary`).
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
    the main language of the comments; one
    detractor and one promoter are taken first when the theme has both, so
    that both sides of a theme are heard. Identical comments are quoted
    once; a comment whose characters a wrong encoding garbled beyond repair
    is never quoted (repaired ones are quoted repaired,
    :func:`npsdiag.text.repair_texts`). Deterministic.

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
    themes: Mapping | None = None,
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
    hits, names, _ = theme_hits(c, themes)
    hits[c.garbled, :] = 0  # never quote a garbled text
    inv = c.inverse
    cat_names = np.array(list(CATEGORIES) + [""], dtype=object)
    cats = cat_names[category_codes(data, score, breaks)]  # -1 (no score) -> ""
    scores = pd.to_numeric(data[score], errors="coerce").to_numpy(dtype="float64")
    # per distinct text: words, length and language, from which each theme ranks its comments
    text_str = c.texts
    words = np.bincount(c.tokens.doc, minlength=c.n_texts).astype("float64")
    length = c.lengths()
    good_len = (length >= 40) & (length <= 300)
    main = c.main_language()
    in_main = (c.reading_languages() == main) if main is not None else np.ones(c.n_texts, dtype=bool)
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
        rank_t[cand_t] = h[cand_t] / np.sqrt(np.maximum(words[cand_t], 1)) + good_len[cand_t] + 2 * in_main[cand_t]
        for i in _pick_quotes_texts(firsts, text_str, inv, cats, rank_t, cand_t, per_theme):
            sc = scores[i]
            rows_out.append({"theme": theme, "category": cats[i] or None,
                             "score": None if np.isnan(sc) else (int(sc) if float(sc).is_integer() else float(sc)),
                             "quote": quote(as_text(text_str[inv[i]]), redact, max_chars)})
    return pd.DataFrame(rows_out, columns=cols)
