"""The verbatims area: what customers wrote.

A score says how much; the comment says why. This area reads the comments
so that consultants do not have to read thousands by hand, each step a
building block an analyst can call on any DataFrame:

- :func:`comment_coverage`: share of responses with a comment, overall, by
  NPS category and by segment, with Wilson intervals;
- :func:`comment_languages`: which languages the comments are written in
  (a cheap guess, no model), to say what the English term statistics cover;
- :func:`distinguishing_terms`: words and two-word phrases detractors use
  more than promoters and the reverse, ranked by the log-odds ratio with an
  informative Dirichlet prior (Monroe, Colaresi & Quinn 2008) and its
  z-score; :func:`plot_terms` draws them;
- :func:`theme_summary` and :func:`theme_quotes`: comments grouped into named
  themes by a documented keyword lexicon (:data:`npsdiag.text.DEFAULT_THEMES`,
  extended by ``settings.themes``), each with its share, the NPS of the
  people who wrote about it (adjusted Wald interval, Rocks 2016) and two or
  three representative quotes; :func:`discover_topics` finds topics the
  lexicon may miss (NMF on TF-IDF);
- :func:`early_warning`: themes and terms whose share of comments rose
  significantly in the latest three months against the twelve before
  (two-proportion z-tests, Benjamini-Hochberg), beside whether the NPS has
  moved yet.

Quotes are plain strings: personal data is masked when
``settings.redact_pii`` is set (:func:`npsdiag.redact.redact_text`) and the
report escapes all text. Names of people cannot be detected without a
language model and are not masked.

Finding ids (additions to SPEC.md's list): ``verbatims.low_coverage``,
``verbatims.early_warning``, ``verbatims.pain_point``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import sparse, stats

from ... import plots
from ... import text as tx
from ...clean import Prepared
from ...findings import AreaResult, Figure, Finding, not_assessed
from ...fmt import num, p_eq, pct, pts
from ...redact import redact_text
from ...stats.multiplicity import bh_adjust
from ...stats.nps import CATEGORIES, Breaks, nps_diff_test, nps_from_counts
from ...stats.proportions import wilson_interval

__all__ = ["diagnose", "comment_coverage", "comment_languages", "distinguishing_terms", "theme_summary",
           "theme_quotes", "discover_topics", "early_warning", "plot_terms", "plot_themes", "plot_early_warning",
           "FINDING_IDS", "LOW_COVERAGE", "QUOTE_CHARS"]

AREA = "verbatims"
#: Finding ids of this area (additions to SPEC.md's list).
FINDING_IDS = ("verbatims.low_coverage", "verbatims.early_warning", "verbatims.pain_point")
#: Comment coverage below this share (significantly) fires ``verbatims.low_coverage``.
LOW_COVERAGE = 0.25
#: Quotes are cut to this many characters.
QUOTE_CHARS = 200
_MIN_COMMENTS = 20  # fewer comments than this: coverage only


# --------------------------------------------------------------------------- helpers


def _commented(data: pd.DataFrame, comment: str) -> np.ndarray:
    return np.asarray(tx.has_text(data[comment]), dtype=bool)


def _corpus(data: pd.DataFrame, comment: str, tokens: tx.Tokens | tx.Corpus | None) -> tx.Corpus:
    """The comments of ``data`` as a :class:`npsdiag.text.Corpus` (distinct texts tokenised once)."""
    if isinstance(tokens, tx.Corpus):
        if tokens.n_rows != len(data):
            raise ValueError(f"the corpus covers {tokens.n_rows} comments but data has {len(data)} rows")
        return tokens
    if tokens is not None:
        if tokens.n_docs != len(data):
            raise ValueError(f"tokens cover {tokens.n_docs} comments but data has {len(data)} rows")
        return tx.Corpus.from_rows(data[comment], tokens)
    return tx.corpus(data[comment])


def _cat_codes(data: pd.DataFrame, score: str, breaks: Breaks) -> np.ndarray:
    """Per row 0 detractor, 1 passive, 2 promoter, -1 when the score is missing."""
    s = np.asarray(pd.to_numeric(data[score], errors="coerce"), dtype="float64")
    cat = np.where(s <= breaks.detractor_max, 0, np.where(s >= breaks.promoter_min, 2, 1))
    return np.where(np.isnan(s), -1, cat)


def _text_by_category(c: tx.Corpus, cat: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(texts, 3): per distinct text, the rows among ``rows`` (bool) of each category."""
    ok = rows & (cat >= 0) & (c.inverse >= 0)
    return np.bincount(c.inverse[ok] * 3 + cat[ok], minlength=3 * c.n_texts).reshape(c.n_texts, 3).astype("float64")


def _text(v) -> str:
    """A comment value as a string ("" when missing)."""
    return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


def _quote(text: str, redact: bool, limit: int = QUOTE_CHARS) -> str:
    """A quote as plain text: personal data masked first (so no half-cut e-mail survives), then cut."""
    t = " ".join(str(text).split())
    if redact:
        t = redact_text(t)
    return tx.truncate(t, limit)


# --------------------------------------------------------------------------- coverage


def comment_coverage(data: pd.DataFrame, comment: str = "comment", by: Iterable[str] | None = None,
                     confidence: float = 0.95, max_levels: int = 8) -> pd.DataFrame:
    """Share of responses with a comment, overall and per group.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    comment : str
        Column with the free-text comment. Blank values and placeholders
        ("n/a", "-", "no comment"...; :data:`npsdiag.text.PLACEHOLDERS`)
        count as no comment.
    by : list of str, optional
        Grouping columns (e.g. ``["category", "Region"]``).
    confidence : float
        Confidence level of the intervals.
    max_levels : int
        Most populous levels shown per grouping column.

    Returns
    -------
    DataFrame
        ``group`` (column name, "all" for the total), ``value``,
        ``responses``, ``with_comment``, ``share``, ``ci_low``, ``ci_high``
        (Wilson score interval).

    Examples
    --------
    >>> df = pd.DataFrame({"comment": ["slow", None, "n/a", "great"], "category": list("ddpp")})
    >>> comment_coverage(df, by=["category"])[["group", "value", "responses", "with_comment"]].values.tolist()
    [['all', 'all responses', 4, 2], ['category', 'd', 2, 1], ['category', 'p', 2, 1]]
    """
    return _coverage(data, _commented(data, comment), by, confidence, max_levels)


def _coverage(data: pd.DataFrame, has: np.ndarray, by: Iterable[str] | None, confidence: float,
              max_levels: int, codes: Mapping[str, tuple[np.ndarray, pd.Index]] | None = None) -> pd.DataFrame:
    """:func:`comment_coverage` with the per-row comment flags given; groups counted on integer codes.

    ``codes``: ``pd.factorize`` codes and uniques of grouping columns if already known (``prep.codes``).
    """
    rows = [("all", "all responses", len(data), int(has.sum()))]
    for col in by or []:
        if col not in data:
            continue
        v = data[col]
        if isinstance(v.dtype, pd.CategoricalDtype):
            cd = np.asarray(v.cat.codes, dtype="int64")
            names = [str(c) for c in v.cat.categories]
            k = len(names)
            cd = np.where(cd < 0, k, cd)  # missing after the categories
            names.append("(missing)")
            size = np.bincount(cd, minlength=k + 1)
            order = [i for i in range(k + 1) if size[i] > 0]
        else:  # groups in order of first appearance, missing values where they first appear
            pre = (codes or {}).get(col)
            if pre is not None and len(pre[0]) == len(v):
                cd = np.asarray(pre[0], dtype="int64")
                names = [str(u) for u in pre[1]]
                miss = np.flatnonzero(cd < 0)
                if len(miss):
                    at = int(cd[: miss[0]].max(initial=-1)) + 1  # groups seen before the first missing value
                    cd = np.where(cd < 0, at, np.where(cd >= at, cd + 1, cd))
                    names.insert(at, "(missing)")
            else:
                cd, uniq = pd.factorize(v, use_na_sentinel=False)
                cd = np.asarray(cd, dtype="int64")
                names = ["(missing)" if pd.isna(u) else str(u) for u in uniq]
            size = np.bincount(cd, minlength=len(names))
            order = list(np.argsort(-size, kind="stable"))
        with_c = np.bincount(cd, weights=has, minlength=len(names))
        for i in order[:max_levels]:
            rows.append((str(col), names[i], int(size[i]), int(with_c[i])))
    out = pd.DataFrame(rows, columns=["group", "value", "responses", "with_comment"])
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share"] = out["with_comment"] / out["responses"].replace(0, np.nan)
    out["ci_low"], out["ci_high"] = wilson_interval(out["with_comment"], out["responses"], confidence)
    return out


def comment_languages(data: pd.DataFrame, comment: str = "comment", confidence: float = 0.95,
                      tokens: tx.Tokens | None = None) -> pd.DataFrame:
    """Which languages (or scripts) the comments are written in.

    Parameters
    ----------
    data : DataFrame
    comment : str
        Comment column; only real comments are counted.
    confidence : float
    tokens : Tokens or Corpus, optional
        ``npsdiag.text.corpus(data[comment])`` (or
        ``npsdiag.text.tokenize(data[comment])``) if already computed.

    Returns
    -------
    DataFrame
        ``language`` (code, see :func:`npsdiag.text.detect_languages`),
        ``name``, ``comments``, ``share`` (of comments), ``ci_low``,
        ``ci_high``; most frequent first.

    Notes
    -----
    A cheap guess without a model: the Unicode script of the words and, for
    Latin script, counts of frequent function words of English, French,
    Spanish, German, Portuguese, Italian and Dutch. Short comments without a
    function word ("Great!") are "undetermined".

    Examples
    --------
    >>> df = pd.DataFrame({"comment": ["The support was great", "Le service est très bien", "ok"]})
    >>> comment_languages(df)[["language", "comments"]].values.tolist()
    [['en', 1], ['fr', 1], ['undetermined', 1]]
    """
    c = _corpus(data, comment, tokens)
    has = c.commented()
    n = int(has.sum())
    if not n:
        return pd.DataFrame(columns=["language", "name", "comments", "share", "ci_low", "ci_high"])
    langs_t = tx.detect_languages(c.tokens)
    w = c.counts(has)
    first = _first_rows(c.inverse, np.flatnonzero(has), c.n_texts)  # the first comment of each text
    t = pd.DataFrame({"language": langs_t, "w": w, "first": first})[w > 0]
    g = t.groupby("language", sort=False).agg(comments=("w", "sum"), first=("first", "min"))
    g = g.iloc[np.lexsort((g["first"].to_numpy(), -g["comments"].to_numpy()))]  # as value_counts: ties by appearance
    out = pd.DataFrame({"language": g.index.astype(str), "comments": g["comments"].to_numpy().astype("int64")})
    out["name"] = out["language"].map(tx.LANGUAGE_NAMES).fillna(out["language"])
    out["share"] = out["comments"] / n
    out["ci_low"], out["ci_high"] = wilson_interval(out["comments"], n, confidence)
    return out[["language", "name", "comments", "share", "ci_low", "ci_high"]].reset_index(drop=True)


# --------------------------------------------------------------------------- distinguishing terms


def distinguishing_terms(
    data: pd.DataFrame,
    comment: str = "comment",
    group: str = "category",
    a: str = "detractor",
    b: str = "promoter",
    top: int = 12,
    min_df: int | None = None,
    prior_weight: float = 0.1,
    confidence: float = 0.95,
    tokens: tx.Tokens | None = None,
    all_terms: bool = False,
) -> pd.DataFrame:
    """Words and phrases one group writes more than another ("Fightin' Words").

    Parameters
    ----------
    data : DataFrame
        One row per response.
    comment : str
        Comment column.
    group : str
        Column with the groups (default the NPS ``category``).
    a, b : str
        The two groups compared (default detractors against promoters).
    top : int
        Terms kept on each side (those with the largest z-scores beyond the
        ``confidence`` critical value).
    min_df : int, optional
        Terms mentioned in fewer comments are ignored (default:
        max(3, 0.05% of the comments)).
    prior_weight : float
        Weight of the informative prior: its total alpha_0 is this fraction
        of all term mentions in the comments (every category), spread in
        proportion to each term's pooled frequency. 0.1 adds one
        pseudo-mention per ten observed; larger values shrink more.
    confidence : float
        Level of the interval of the log-odds ratio and of the z threshold.
    tokens : Tokens or Corpus, optional
        ``npsdiag.text.corpus(data[comment])`` (or ``npsdiag.text.tokenize(data[comment])``) if
        already computed.
    all_terms : bool
        Return every term (sorted by z) instead of the top of each side.

    Returns
    -------
    DataFrame
        ``term``, ``more_used_by`` (``a`` or ``b``), ``comments_a``,
        ``comments_b`` (comments of each group mentioning the term),
        ``share_a``, ``share_b`` (of the group's comments), ``log_odds``
        (delta, positive when typical of ``a``), ``ci_low``, ``ci_high``
        (delta +- z * se), ``z``. ``attrs`` holds ``n_a``, ``n_b`` (comments
        per group).

    Notes
    -----
    Each comment counts a term once (a long rant cannot dominate). The
    statistic is Monroe, Colaresi & Quinn's (2008) log-odds ratio with an
    informative Dirichlet prior (:func:`npsdiag.text.log_odds_dirichlet`),
    the prior being the pooled term frequencies of all comments scaled to
    ``prior_weight`` of their mentions; z = delta / se. The
    z-scores rank terms; many terms are examined, so a single term with
    |z| just above 2 is weak evidence. Words come from English stop-word
    filtering: the ranking is meaningful for English comments.

    References
    ----------
    .. [1] Monroe, B. L., Colaresi, M. P. & Quinn, K. M. (2008). Fightin'
       Words: Lexical feature selection and evaluation for identifying the
       content of political conflict. Political Analysis, 16(4), 372-403.

    Examples
    --------
    >>> df = pd.DataFrame({"comment": ["engineer never came"] * 10 + ["great support"] * 10,
    ...                    "category": ["detractor"] * 10 + ["promoter"] * 10})
    >>> t = distinguishing_terms(df, top=2)
    >>> t[["term", "more_used_by"]].values.tolist()
    [['came', 'detractor'], ['engineer', 'detractor'], ['great', 'promoter'], ['great support', 'promoter']]
    >>> t["z"].round(2).tolist()
    [2.07, 2.07, -3.01, -3.01]
    """
    cols = ["term", "more_used_by", "comments_a", "comments_b", "share_a", "share_b", "log_odds", "ci_low",
            "ci_high", "z"]
    c = _corpus(data, comment, tokens)
    has = c.commented()
    g = data[group]
    in_a = has & np.asarray((g == a).to_numpy(dtype=bool, na_value=False), dtype=bool)
    in_b = has & np.asarray((g == b).to_numpy(dtype=bool, na_value=False), dtype=bool)
    empty = pd.DataFrame(columns=cols)
    empty.attrs.update(n_a=int(in_a.sum()), n_b=int(in_b.sum()))
    if in_a.sum() == 0 or in_b.sum() == 0:
        return empty
    n_comments = int(has.sum())
    if min_df is None:
        min_df = max(3, math.ceil(0.0005 * n_comments))
    # terms of each distinct text, weighted by the comments of each group that carry the text
    tm = c.terms()
    X = tm.matrix
    background = X.T @ c.counts(has)
    keep = np.flatnonzero(background >= max(min_df, 1))
    if len(keep) == 0:
        return empty
    X = X[:, keep]
    ya = X.T @ c.counts(in_a)
    yb = X.T @ c.counts(in_b)
    background = background[keep]
    terms = tm.terms[keep]
    r = tx.log_odds_dirichlet(ya, yb, prior=background, prior_scale=prior_weight * background.sum())
    zc = stats.norm.ppf(0.5 + confidence / 2)
    out = pd.DataFrame({
        "term": terms.astype(str),
        "comments_a": ya.astype("int64"), "comments_b": yb.astype("int64"),
        "share_a": ya / in_a.sum(), "share_b": yb / in_b.sum(),
        "log_odds": r["log_odds"].to_numpy(), "z": r["z"].to_numpy(), "se": r["se"].to_numpy(),
    })
    out = out[np.isfinite(out["z"])]
    out["more_used_by"] = np.where(out["z"] > 0, a, b)
    out["ci_low"] = out["log_odds"] - zc * out["se"]
    out["ci_high"] = out["log_odds"] + zc * out["se"]
    out = out.sort_values(["z", "term"], ascending=[False, True])
    if not all_terms:
        side_a = out[out["z"] >= zc].head(top)
        side_b = out[out["z"] <= -zc].sort_values(["z", "term"]).head(top)
        out = pd.concat([side_a, side_b])
    out = out[cols].reset_index(drop=True)
    out.attrs.update(n_a=int(in_a.sum()), n_b=int(in_b.sum()))
    return out


# --------------------------------------------------------------------------- themes


def _theme_hits(c: tx.Corpus, themes: Mapping[str, Iterable[str]] | None) -> tuple[np.ndarray, list[str]]:
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
    tokens: tx.Tokens | None = None,
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
    tokens : Tokens or Corpus, optional
        ``npsdiag.text.corpus(data[comment])`` (or ``npsdiag.text.tokenize(data[comment])``) if
        already computed.

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
    cols = ["theme", "comments", "share", "share_ci_low", "share_ci_high", "nps", "nps_ci_low", "nps_ci_high",
            "nps_vs_rest", "p_value", "p_adj"]
    c = _corpus(data, comment, tokens)
    hits, names = _theme_hits(c, themes)
    has = c.commented()
    n = int(has.sum())
    if n == 0 or hits.shape[1] == 0:
        return pd.DataFrame(columns=cols)
    # per distinct text: its comments by category; a theme's counts are the sums over the texts mentioning it
    mask = (hits > 0).astype("float64")
    by_cat = _text_by_category(c, _cat_codes(data, score, breaks), has)
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


def _first_rows(inv: np.ndarray, rows: np.ndarray, n_texts: int) -> np.ndarray:
    """Per distinct text, the first of ``rows`` (sorted positions) that carries it; -1 when none."""
    big = np.iinfo("int64").max
    out = np.full(n_texts, big, dtype="int64")
    np.minimum.at(out, inv[rows], rows)
    return np.where(out == big, -1, out)


def _pick_quotes_texts(firsts: tuple[np.ndarray, ...], texts: np.ndarray, inv: np.ndarray, cats: np.ndarray,
                       rank_t: np.ndarray, cand_t: np.ndarray, per: int) -> list[int]:
    """:func:`_pick_quotes` over comments that share distinct texts, ranked per text.

    Only the first comment of a text (or of a text and category, for the detractor and promoter picks) can
    be chosen -- a later one repeats a text already seen -- so the candidates are those first comments of
    the texts ``cand_t`` (``firsts``: from :func:`_first_rows`, any, detractor and promoter comments); the
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
    tokens: tx.Tokens | None = None,
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
    tokens : Tokens or Corpus, optional
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
    cols = ["theme", "category", "score", "quote"]
    c = _corpus(data, comment, tokens)
    has = c.commented()
    if not has.any():
        return pd.DataFrame(columns=cols)
    hits, names = _theme_hits(c, themes)
    inv = c.inverse
    cat_names = np.array(list(CATEGORIES) + [""], dtype=object)
    cats = cat_names[_cat_codes(data, score, breaks)]  # -1 (no score) -> ""
    scores = pd.to_numeric(data[score], errors="coerce").to_numpy(dtype="float64")
    # per distinct text: words, length and language, from which each theme ranks its comments
    text_str = c.texts
    words = np.bincount(c.tokens.doc, minlength=c.n_texts).astype("float64")
    length = c.lengths()
    good_len = (length >= 40) & (length <= 300)
    english = np.isin(tx.detect_languages(c.tokens), ["en", "undetermined"])
    elig = np.flatnonzero(has)
    firsts = tuple(_first_rows(inv, r, c.n_texts) for r in
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
                             "quote": _quote(_text(text_str[inv[i]]), redact, max_chars)})
    return pd.DataFrame(rows_out, columns=cols)


def discover_topics(
    data: pd.DataFrame,
    comment: str = "comment",
    score: str = "score",
    n_topics: int = 6,
    sample: int = 50_000,
    seed: int = 0,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
    redact: bool = True,
    tokens: tx.Tokens | None = None,
) -> pd.DataFrame:
    """Topics found in the comments by NMF, with their share, NPS and an example.

    Parameters
    ----------
    data : DataFrame
    comment, score : str
    n_topics : int
        Number of topics (fewer with few comments: at most one per 50).
    sample : int
        NMF is fitted on a seeded sample of at most this many comments, then
        every comment is scored.
    seed : int
    confidence : float
    breaks : Breaks
    redact : bool
        Mask personal data in the example quotes.
    tokens : Tokens or Corpus, optional

    Returns
    -------
    DataFrame
        ``topic`` (named by its three heaviest words), ``top_terms``,
        ``comments`` (comments whose main topic it is), ``share``,
        ``share_ci_low``, ``share_ci_high``, ``nps``, ``nps_ci_low``,
        ``nps_ci_high``, ``example`` (the comment most typical of it).

    Notes
    -----
    Non-negative matrix factorisation (Lee & Seung 1999; scikit-learn) of
    the TF-IDF of words and phrases (:func:`npsdiag.text.fit_topics`). A
    text that several sampled comments share enters the fit once, scaled by
    the square root of its count (the same Frobenius objective), and every
    distinct text is scored once. Topics are descriptive: their names are their top words, not curated
    labels; use the lexicon themes (:func:`theme_summary`) for stable,
    comparable names.
    """
    cols = ["topic", "top_terms", "comments", "share", "share_ci_low", "share_ci_high", "nps", "nps_ci_low",
            "nps_ci_high", "example"]
    c = _corpus(data, comment, tokens)
    has = c.commented()
    pos = np.flatnonzero(has)
    k = min(n_topics, len(pos) // 50)
    if k < 2:
        return pd.DataFrame(columns=cols)
    # terms of the distinct texts, kept when enough comments mention them; NMF on a sample of comments
    full = c.terms()
    df = full.matrix.T @ c.counts(has)
    keep = np.flatnonzero(df >= max(3, math.ceil(0.001 * len(pos))))
    tm = tx.TermMatrix(full.matrix[:, keep], full.terms[keep], full.ngram[keep])
    inv = c.inverse[pos]
    fit = tx.fit_topics(tm, n_topics=k, sample=sample, seed=seed, rows=inv)
    topics, assign, weight = fit.topics, fit.assignment, fit.weight
    if topics.empty:
        return pd.DataFrame(columns=cols)
    cats = _cat_codes(data, score, breaks)[pos]
    length = c.lengths()[inv]
    rows = []
    for _, t in topics.iterrows():
        m = assign == t["topic"]
        counts = np.bincount(cats[m & (cats >= 0)], minlength=3)
        r = nps_from_counts(*counts, confidence=confidence)
        idx = np.flatnonzero(m)
        example = ""
        if len(idx):
            pref = idx[(length[idx] >= 40) & (length[idx] <= 300)]
            pool = pref if len(pref) else idx
            example = _quote(_text(c.texts[inv[pool[np.argmax(weight[pool])]]]), redact, 160)
        rows.append({"topic": t["label"], "top_terms": t["top_terms"], "comments": int(m.sum()),
                     "nps": float(100 * r["nps"]), "nps_ci_low": float(100 * r["ci_low"]),
                     "nps_ci_high": float(100 * r["ci_high"]), "example": example})
    out = pd.DataFrame(rows)
    out["share"] = out["comments"] / len(pos)
    out["share_ci_low"], out["share_ci_high"] = wilson_interval(out["comments"], len(pos), confidence)
    out = out[out["comments"] > 0]
    return out.sort_values("comments", ascending=False)[cols].reset_index(drop=True)


# --------------------------------------------------------------------------- early warning


def _windows(dates: pd.Series, window_months: int, baseline_months: int):
    end = dates.max()
    if pd.isna(end):
        return None
    end_day = end.normalize()
    start = end_day - pd.DateOffset(months=window_months) + pd.Timedelta(days=1)
    base_start = start - pd.DateOffset(months=baseline_months)
    return base_start, start, end


def early_warning(
    data: pd.DataFrame,
    comment: str = "comment",
    date: str = "responded_at",
    score: str = "score",
    themes: Mapping[str, Iterable[str]] | None = None,
    window_months: int = 3,
    baseline_months: int = 12,
    include_terms: bool = True,
    max_terms: int = 300,
    min_count: int = 10,
    min_ratio: float = 1.5,
    min_diff: float = 0.02,
    alpha: float = 0.05,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
    tokens: tx.Tokens | None = None,
) -> pd.DataFrame:
    """Themes and terms whose share of comments rose in the latest months.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    comment, date, score : str
        Comment, response date and score columns.
    themes : mapping, optional
        Lexicon (default :data:`npsdiag.text.DEFAULT_THEMES`).
    window_months : int
        The latest window: this many months up to the last response.
    baseline_months : int
        The comparison: this many months before the window (less if the
        data start later).
    include_terms : bool
        Test single words and phrases too (the ``max_terms`` most frequent
        in the window), not only themes.
    min_count : int
        Items mentioned in fewer comments in the window are not tested.
    min_ratio, min_diff : float
        A rise must be at least this ratio of shares and this many points of
        share (0.02 = 2 points for themes; half of it for terms) to count.
    alpha : float
        Level of the Benjamini-Hochberg adjusted one-sided p-values.
    confidence : float
        Level of the interval of the latest share.
    breaks : Breaks
    tokens : Tokens or Corpus, optional

    Returns
    -------
    DataFrame
        One row per item tested, most significant first: ``kind`` (theme or
        term), ``item``, ``before_comments``, ``before_share``,
        ``latest_comments``, ``latest_share``, ``latest_ci_low``,
        ``latest_ci_high``, ``ratio``, ``z``, ``p_value`` (one-sided),
        ``p_adj`` (BH across all items), ``nps_item`` (NPS of the latest
        commenters mentioning it), ``rising`` (significant and material),
        ``same_comments_as`` (for a rising term: a stronger rising item
        mentioned in nearly the same latest comments, Jaccard >= 0.8, else
        None).
        ``attrs`` hold the windows (``window``, ``baseline``: ISO dates),
        ``n_latest`` and ``n_before`` (comments) and ``nps_latest``,
        ``nps_before``, ``nps_change_p`` (all scored responses, two-sample
        Wald test) to tell whether the score has moved yet.

    Notes
    -----
    Shares are of comments (a comment counts an item once). Each item is a
    pooled two-proportion z-test of latest against baseline share,
    one-sided for a rise; p-values are adjusted together by
    Benjamini-Hochberg (1995). Comments in languages other than English
    match the English lexicon and terms poorly.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> dates = pd.date_range("2024-01-01", "2025-12-31", periods=2000)
    >>> late = dates >= "2025-10-01"
    >>> text = np.where(late & (rng.random(2000) < 0.3), "invoice was wrong", "fine product")
    >>> ew = early_warning(pd.DataFrame({"comment": text, "responded_at": dates, "score": 5}), include_terms=False)
    >>> ew.loc[ew["rising"], "item"].tolist()
    ['billing & payments']
    """
    cols = ["kind", "item", "before_comments", "before_share", "latest_comments", "latest_share", "latest_ci_low",
            "latest_ci_high", "ratio", "z", "p_value", "p_adj", "nps_item", "rising"]
    empty = pd.DataFrame(columns=cols)
    c = _corpus(data, comment, tokens)
    has = c.commented()
    hits, theme_names = _theme_hits(c, themes)
    dates = pd.to_datetime(data[date], errors="coerce")
    w = _windows(dates[has], window_months, baseline_months) if has.any() else None
    if w is None:
        return empty
    base_start, start, end = w
    d = dates.to_numpy()
    latest = has & (d >= np.datetime64(start)) & (d <= np.datetime64(end))
    before = has & (d >= np.datetime64(base_start)) & (d < np.datetime64(start))
    n1, n0 = int(latest.sum()), int(before.sum())
    cat = _cat_codes(data, score, breaks)
    all_scored = (cat >= 0) & pd.notna(d)
    lat_all = all_scored & (d >= np.datetime64(start)) & (d <= np.datetime64(end))
    bef_all = all_scored & (d >= np.datetime64(base_start)) & (d < np.datetime64(start))
    c_lat = [int(v) for v in np.bincount(cat[lat_all], minlength=3)]
    c_bef = [int(v) for v in np.bincount(cat[bef_all], minlength=3)]
    move = nps_diff_test(c_lat, c_bef, confidence=confidence)
    attrs = {"window": [start.date().isoformat(), end.date().isoformat()],
             "baseline": [base_start.date().isoformat(), (start - pd.Timedelta(days=1)).date().isoformat()],
             "n_latest": n1, "n_before": n0,
             "nps_latest": float(100 * nps_from_counts(*c_lat)["nps"]) if sum(c_lat) else float("nan"),
             "nps_before": float(100 * nps_from_counts(*c_bef)["nps"]) if sum(c_bef) else float("nan"),
             "nps_change_p": move.p_value}
    if n1 < 30 or n0 < 30:
        empty.attrs.update(attrs)
        return empty
    # one sparse indicator column per item (theme or term) over the distinct texts; each text counts with the
    # number of comments of each window that carry it
    w_lat, w_bef = c.counts(latest), c.counts(before)
    theme_mat = sparse.csc_matrix(hits > 0, dtype="int8")
    kinds = ["theme"] * theme_mat.shape[1]
    names = list(theme_names)
    blocks = [theme_mat]
    if include_terms:
        tm = c.terms()
        if tm.matrix.shape[1]:
            kt1 = tm.matrix.T @ w_lat
            cand = np.flatnonzero(kt1 >= min_count)
            # most mentioned first, ties by the term itself
            cand = cand[np.lexsort((tm.terms[cand].astype(str), -kt1[cand]))][:max_terms]
            blocks.append(sparse.csc_matrix(tm.matrix[:, cand], dtype="int8"))
            kinds += ["term"] * len(cand)
            names += [str(t) for t in tm.terms[cand]]
    M = sparse.hstack(blocks, format="csr")
    k1a = np.asarray(M.T @ w_lat, dtype="float64").ravel()
    k0a = np.asarray(M.T @ w_bef, dtype="float64").ravel()
    p1, p0 = k1a / n1, k0a / n0
    pooled = (k1a + k0a) / (n1 + n0)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        z = (p1 - p0) / se
        ratio = p1 / p0
    pv = stats.norm.sf(z)
    tested = k1a >= min_count
    pv = np.where(tested & np.isfinite(pv), pv, np.nan)
    lo, hi = wilson_interval(k1a, n1, confidence)
    cc = np.asarray(M.T @ _text_by_category(c, cat, latest))  # (items, 3) latest detractors, passives, promoters
    with np.errstate(invalid="ignore", divide="ignore"):
        nps_item = 100 * (cc[:, 2] - cc[:, 0]) / cc.sum(axis=1)
    out = pd.DataFrame({"kind": kinds, "item": names, "before_comments": k0a.astype("int64"), "before_share": p0,
                        "latest_comments": k1a.astype("int64"), "latest_share": p1, "latest_ci_low": lo,
                        "latest_ci_high": hi, "ratio": ratio, "z": z, "p_value": pv, "nps_item": nps_item})
    out["mask_index"] = np.arange(len(out))
    out = out[tested].copy()
    out["p_adj"] = bh_adjust(out["p_value"])
    need = np.where(out["kind"] == "theme", min_diff, min_diff / 2)
    out["rising"] = ((out["p_adj"] < alpha) & (out["latest_share"] - out["before_share"] >= need)
                     & ((out["ratio"] >= min_ratio) | (out["before_share"] == 0)))
    out = out.sort_values(["rising", "p_value", "item"], ascending=[False, True, True])
    # a rising term mentioned in (nearly) the same latest comments as a stronger rising item says nothing new
    same: list[str | None] = [None] * len(out)
    rise = np.flatnonzero(out["rising"].to_numpy())
    if len(rise):
        cols_r = out["mask_index"].to_numpy()[rise]
        sub_m = M[:, cols_r].astype("float64")
        inter = np.rint(np.asarray((sub_m.T @ sparse.diags(w_lat) @ sub_m).todense())).astype("int64")
        size = np.diag(inter)
        kept: list[int] = []
        for a_i, row_i in enumerate(rise):
            match = None
            if out["kind"].iloc[row_i] == "term":
                for b_i in kept:
                    union = size[a_i] + size[b_i] - inter[a_i, b_i]
                    if inter[a_i, b_i] and inter[a_i, b_i] / union >= 0.8:
                        match = out["item"].iloc[rise[b_i]]
                        break
            if match is None:
                kept.append(a_i)
            same[row_i] = match
    out["same_comments_as"] = same
    out = out[cols + ["same_comments_as"]].reset_index(drop=True)
    out.attrs.update(attrs)
    return out


# --------------------------------------------------------------------------- figures


def plot_terms(terms: pd.DataFrame, label_a: str = "Detractors", label_b: str = "Promoters", top: int = 12):
    """Two panels of horizontal bars: terms typical of group a (left) and of group b (right).

    Parameters
    ----------
    terms : DataFrame
        From :func:`distinguishing_terms`.
    label_a, label_b : str
        Panel titles' group names (labels read "share of a vs share of b").
    top : int
        Terms per panel.

    Returns
    -------
    matplotlib Figure
        Bar length = |z|; each bar is labelled with the share of each
        group's comments mentioning the term (a vs b), so the chart reads
        without colour (the panels are also titled and hatched differently).
    """
    a = terms[terms["z"] > 0].nlargest(top, "z")
    b = terms[terms["z"] < 0].nsmallest(top, "z")
    rows = max(len(a), len(b), 1)
    fig, axes = plots.figure(7.5, 0.9 + 0.32 * rows, ncols=2)
    for ax, part, label, key in ((axes[0], a, label_a, "detractor"), (axes[1], b, label_b, "promoter")):
        ax.set_title(f"{label} say more", loc="left")
        if part.empty:
            ax.text(0.5, 0.5, "no term stands out", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            continue
        z = part["z"].abs().to_numpy()
        y = np.arange(len(part))[::-1]
        ax.barh(y, z, color=plots.CATEGORY_COLORS[key], hatch=plots.CATEGORY_HATCHES[key], edgecolor="white",
                height=0.7)
        ax.set_yticks(y, part["term"].tolist())
        ax.set_xlim(0, z.max() * 1.75)
        for yi, zi, sa, sb in zip(y, z, part["share_a"], part["share_b"]):
            ax.text(zi + z.max() * 0.03, yi, f"{sa:.0%} vs {sb:.0%}", va="center", fontsize=7.5)
        ax.grid(axis="y", visible=False)
    # one label for both panels (per panel it was wider than a panel and ran off the figure's edge)
    fig.supxlabel(f"Bar: z-score · label: % of {label_a.lower()} vs {label_b.lower()} comments mentioning the term",
                  fontsize=8)
    return fig


def plot_themes(summary: pd.DataFrame, overall_nps: float | None = None, top: int = 12):
    """Theme share of comments (left) and NPS of those who mention it (right), with intervals.

    Parameters
    ----------
    summary : DataFrame
        From :func:`theme_summary`.
    overall_nps : float, optional
        NPS of all commenters, drawn as a dashed reference line.
    top : int
        Themes shown (most mentioned).

    Returns
    -------
    matplotlib Figure
    """
    s = summary.head(top)
    fig, axes = plots.figure(7.5, 0.9 + 0.3 * max(len(s), 1), ncols=2, sharey=True)
    y = np.arange(len(s))[::-1]
    ax = axes[0]
    share = 100 * s["share"].to_numpy(dtype=float)
    err = np.clip(np.vstack([share - 100 * s["share_ci_low"].to_numpy(dtype=float),
                             100 * s["share_ci_high"].to_numpy(dtype=float) - share]), 0, None)
    ax.barh(y, share, xerr=err, color=plots.PALETTE[0], ecolor="black", capsize=2, height=0.65)
    ax.set_yticks(y, s["theme"].tolist())
    ax.set_xlabel("% of comments mentioning it")
    ax.set_title("How often", loc="left")
    ax.grid(axis="y", visible=False)
    for yi, v, e in zip(y, share, err[1]):
        ax.text(v + e + 0.01 * max(share.max(), 1), yi, f"{v:.0f}%", fontsize=7.5, va="center")
    ax.set_xlim(0, max((share + err[1]).max(), 1) * 1.15)
    ax = axes[1]
    v = s["nps"].to_numpy(dtype=float)
    # the adjusted Wald interval is centred on the adjusted NPS: near +-100 it may not contain the observed one
    ax.errorbar(v, y, xerr=np.clip(np.vstack([v - s["nps_ci_low"].to_numpy(dtype=float),
                                               s["nps_ci_high"].to_numpy(dtype=float) - v]), 0, None),
                fmt="D", color="black", ecolor="black", capsize=2, markersize=5)
    if overall_nps is not None and np.isfinite(overall_nps):
        ax.axvline(overall_nps, ls="--", color="grey", lw=1)
        ax.text(overall_nps, y.max() + 0.6 if len(y) else 0, " all commenters", fontsize=7.5, color="grey")
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlim(-105, 105)
    ax.set_xlabel("NPS of those who mention it")
    ax.set_title("NPS (95% interval)", loc="left")
    ax.grid(axis="y", visible=False)
    return fig


def plot_early_warning(ew: pd.DataFrame, top: int = 10):
    """Before/latest share of comments for the rising items (dumbbells: circle = before, square = latest).

    Parameters
    ----------
    ew : DataFrame
        From :func:`early_warning` (rows with ``rising``).
    top : int

    Returns
    -------
    matplotlib Figure
    """
    keep = ew["rising"] & (ew["same_comments_as"].isna() if "same_comments_as" in ew else True)
    s = ew[keep].head(top)
    fig, ax = plots.figure(7.5, 0.9 + 0.32 * max(len(s), 1))
    y = np.arange(len(s))[::-1]
    b = 100 * s["before_share"].to_numpy(dtype=float)
    a = 100 * s["latest_share"].to_numpy(dtype=float)
    for yi, x0, x1 in zip(y, b, a):
        ax.annotate("", xy=(x1, yi), xytext=(x0, yi), arrowprops={"arrowstyle": "->", "color": "grey"})
    ax.plot(b, y, "o", color=plots.PALETTE[4], label="before", markersize=6)
    ax.plot(a, y, "s", color=plots.PALETTE[5], label="latest 3 months", markersize=6)
    labels = [f"{it} ({k})" for it, k in zip(s["item"], s["kind"])]
    ax.set_yticks(y, labels)
    for yi, x1, x0 in zip(y, a, b):
        ax.text(x1 + 0.4, yi, f"{x0:.0f}% → {x1:.0f}%", va="center", fontsize=7.5)
    ax.set_xlim(0, max(a.max() if len(a) else 1, 1) * 1.35)
    ax.set_xlabel("% of comments mentioning it")
    ax.legend(loc="lower right")
    ax.grid(axis="y", visible=False)
    return fig


# --------------------------------------------------------------------------- diagnose


def _finding_low_coverage(cov: pd.DataFrame, by_cat: pd.DataFrame) -> Finding | None:
    row = cov.iloc[0]
    share, hi, n = float(row["share"]), float(row["ci_high"]), int(row["responses"])
    if n == 0 or not (hi < LOW_COVERAGE):
        return None
    det = by_cat[by_cat["value"] == "detractor"]
    det_txt = (f" Among detractors it is {pct(float(det['share'].iloc[0]))}." if len(det) else "")
    sev = "medium" if share < 0.10 else "low"
    return Finding(
        id="verbatims.low_coverage", severity=sev,
        title=f"Only {pct(share)} of responses carry a comment: the reasons behind most scores are unknown",
        detail=(f"{num(row['with_comment'])} of {num(n)} responses have a comment ({pct(share)}, 95% interval "
                f"{pct(float(row['ci_low']))} to {pct(hi)}), significantly below {pct(LOW_COVERAGE)}.{det_txt}"),
        evidence={"share": share, "ci_low": float(row["ci_low"]), "ci_high": hi,
                  "with_comment": int(row["with_comment"]), "n": n, "threshold": LOW_COVERAGE},
        recommendation=("Ask the open question right after the score, keep it short ('What is the main reason for "
                        "your score?'), and make it prominent for low scores; review whether the survey tool "
                        "exports the comment field for every channel."))


def _finding_pain_point(themes: pd.DataFrame, n_comments: int, min_n: int, alpha: float) -> Finding | None:
    if themes.empty:
        return None
    t = themes[(themes["p_adj"] < alpha) & (themes["nps_vs_rest"] <= -15) & (themes["share"] >= 0.05)
               & (themes["comments"] >= min(min_n, 30))]
    if t.empty:
        return None
    t = t.sort_values("nps_vs_rest")
    top = t.iloc[0]
    others = t.iloc[1:3]
    more = ""
    if len(others):
        more = " Also below the rest: " + "; ".join(
            f"{r.theme} (NPS {pts(r.nps, 0)}, {pct(r.share)} of comments)" for r in others.itertuples()) + "."
    return Finding(
        id="verbatims.pain_point", severity="low",
        title=(f"Customers who write about {top['theme']} give an NPS of {pts(top['nps'], 0)}, "
               f"{abs(top['nps_vs_rest']):.0f} points below other commenters"),
        detail=(f"{num(top['comments'])} comments ({pct(top['share'])} of {num(n_comments)}) mention "
                f"{top['theme']}; their NPS is {pts(top['nps'], 0)} (95% interval {pts(top['nps_ci_low'], 0)} to "
                f"{pts(top['nps_ci_high'], 0)}), {abs(top['nps_vs_rest']):.0f} points below the other commenters "
                f"(Wald test, BH-adjusted p {p_eq(top['p_adj'])}).{more}"),
        evidence={"themes": [{"theme": r.theme, "comments": int(r.comments), "share": float(r.share),
                              "nps": float(r.nps), "nps_vs_rest": float(r.nps_vs_rest), "p_adj": float(r.p_adj)}
                             for r in t.head(5).itertuples()], "n_comments": n_comments},
        recommendation=(f"Read the {top['theme']} quotes below with the teams who own it, size the fix by the "
                        f"{num(top['comments'])} customers who raised it, and track the theme's share each quarter."))


def _finding_early_warning(ew: pd.DataFrame, commenters_nps: float, theme_nps: dict[str, float]) -> Finding | None:
    if ew.empty or not ew["rising"].any():
        return None
    r = ew[ew["rising"] & ew["same_comments_as"].isna()].copy()
    # a warning is about unfavourable items: their commenters score below all commenters
    ref = r.apply(lambda x: theme_nps.get(x["item"], x["nps_item"]) if x["kind"] == "theme" else x["nps_item"],
                  axis=1)
    r = r[(ref < commenters_nps) | ref.isna()]
    if r.empty:
        return None
    a = ew.attrs
    themes = r[r["kind"] == "theme"]
    terms = r[r["kind"] == "term"]
    lead = themes.iloc[0] if len(themes) else terms.iloc[0]
    strong = ((r["ratio"] >= 2) | (r["before_share"] == 0)) & (r["latest_share"] - r["before_share"] >= 0.03)
    sev = "medium" if bool((strong & (r["kind"] == "theme")).any()) else "low"
    moved = a.get("nps_change_p", float("nan"))
    change = a.get("nps_latest", float("nan")) - a.get("nps_before", float("nan"))
    if isinstance(moved, float) and not math.isnan(moved) and moved < 0.05:
        nps_txt = f"Over the same months the NPS moved {pts(change, 0)} points (p {p_eq(moved)})."
    else:
        nps_txt = (f"The NPS has not moved significantly yet ({pts(change, 0)} points, p {p_eq(moved)}): "
                   "the comments are ahead of the score.")
    kind = "theme" if lead["kind"] == "theme" else "term"
    word = f"the {kind} '{lead['item']}'" if kind == "term" else lead["item"]
    lst = "; ".join(f"{x.item} {pct(x.before_share)} → {pct(x.latest_share)}" for x in r.head(6).itertuples())
    return Finding(
        id="verbatims.early_warning", severity=sev,
        title=(f"Mentions of {word} rose from {pct(lead['before_share'])} to {pct(lead['latest_share'])} of comments "
               f"in the last 3 months"),
        detail=(f"Latest window {a['window'][0]} to {a['window'][1]} ({num(a['n_latest'])} comments) against "
                f"{a['baseline'][0]} to {a['baseline'][1]} ({num(a['n_before'])} comments); two-proportion z-tests, "
                f"Benjamini-Hochberg adjusted. Rising: {lst}. {nps_txt}"),
        evidence={"window": a["window"], "baseline": a["baseline"], "n_latest": a["n_latest"],
                  "n_before": a["n_before"], "nps_latest": a.get("nps_latest"), "nps_before": a.get("nps_before"),
                  "nps_change_p": moved,
                  "items": [{"kind": x.kind, "item": x.item, "before_share": float(x.before_share),
                             "latest_share": float(x.latest_share), "ratio": float(x.ratio),
                             "latest_comments": int(x.latest_comments), "p_adj": float(x.p_adj)}
                            for x in r.head(10).itertuples()]},
        recommendation=(f"Read this quarter's comments on {lead['item']} now, find what changed (a release, a "
                        "billing run, a process or staffing change) and fix it before it shows in the score and in "
                        "churn; brief the front line so that callbacks address it."))


def _client_terms(terms: pd.DataFrame, label_a: str, label_b: str) -> pd.DataFrame:
    t = terms.copy()
    t["more_used_by"] = t["more_used_by"].map({"detractor": label_a, "promoter": label_b}).fillna(t["more_used_by"])
    return t.rename(columns={"comments_a": "detractor_comments", "comments_b": "promoter_comments",
                             "share_a": "share_of_detractor_comments", "share_b": "share_of_promoter_comments",
                             "log_odds": "log_odds_ratio"})


def diagnose(prep: Prepared) -> AreaResult:
    """Diagnose what customers wrote: coverage, distinguishing words, themes, early warning.

    Parameters
    ----------
    prep : Prepared
        The client's data after :func:`npsdiag.clean.prepare`.

    Returns
    -------
    AreaResult
        Area ``"verbatims"``. Tables: ``coverage``, ``languages``,
        ``terms``, ``themes``, ``quotes``, ``topics``, ``early_warning``
        (those that apply). Figures: ``verbatims_terms``, ``verbatims_themes``,
        ``verbatims_early_warning``. Findings: ``verbatims.low_coverage``,
        ``verbatims.pain_point``, ``verbatims.early_warning``.
    """
    r = prep.responses
    if "comment" not in r.columns:
        return not_assessed(AREA, "needs a comment column (responses.comment)")
    s = prep.settings
    conf = s.confidence
    breaks = s.breaks
    redact = bool(s.redact_pii)
    alpha = 1 - conf
    lexicon = tx.merge_themes(getattr(s, "themes", None))
    res = AreaResult(area=AREA)
    if len(r) == 0:
        return not_assessed(AREA, "no analysed responses")

    segs = [c for c in prep.segments if c in r.columns][:3]
    # the comments as distinct texts, each tokenised once (exports repeat many comments)
    corp_all = tx.corpus(r["comment"])
    has = corp_all.commented()
    cov = _coverage(r, has, ["category", *segs], confidence=conf, max_levels=6,
                    codes={c: prep.codes(c) for c in segs})
    res.tables["coverage"] = cov
    res.table_captions["coverage"] = ("Share of analysed responses with a comment, overall, by NPS category and by "
                                      "segment (95% Wilson intervals).")
    by_cat = cov[cov["group"] == "category"]
    f = _finding_low_coverage(cov, by_cat)
    if f:
        res.findings.append(f)
    n_comments = int(has.sum())
    if n_comments < _MIN_COMMENTS:
        res.summary = (f"Only {num(n_comments)} of {num(len(r))} responses carry a comment: too few to analyse "
                       "what customers wrote.")
        res.notes.append(f"Term statistics and themes need at least {_MIN_COMMENTS} comments.")
        return res

    # the commented rows, without their texts: those travel in the corpus, where every building block reads them
    sub = r.loc[has, [c for c in ("score", "category", "responded_at") if c in r]].reset_index(drop=True)
    tok = corp_all.subset(has)

    langs = comment_languages(sub, "comment", confidence=conf, tokens=tok)
    res.tables["languages"] = langs.head(8)
    res.table_captions["languages"] = ("Languages of the comments, guessed from their script and frequent "
                                       "function words (no model); short comments are undetermined.")
    det = langs[langs["language"] != "undetermined"]
    en_share = float(det.loc[det["language"] == "en", "comments"].sum() / det["comments"].sum()) if len(det) else 0.0
    others = det[det["language"] != "en"].head(4)
    other_txt = ", ".join(f"{row.name} {pct(row.comments / det['comments'].sum(), 1)}" if row.comments >= 10
                          else f"{row.name} {row.comments} comment{'s' if row.comments > 1 else ''}"
                          for row in others.itertuples())
    res.notes.append(
        "Term statistics and themes use English stop words and an English keyword lexicon: they are meaningful for "
        f"English comments, {pct(en_share)} of the comments whose language could be told"
        + (f" (others: {other_txt})" if other_txt else "")
        + ". Words of comments in other languages are counted as written; those comments are not assigned to themes.")

    # distinguishing terms
    label_a, label_b = "detractors", "promoters"
    terms = distinguishing_terms(sub, "comment", "category", "detractor", "promoter", top=12, confidence=conf,
                                 tokens=tok)
    if len(terms):
        res.tables["terms"] = _client_terms(terms, label_a, label_b)
        res.table_captions["terms"] = (
            "Words and phrases detractors write more often than promoters, and the reverse: log-odds ratio with an "
            "informative Dirichlet prior (Monroe, Colaresi & Quinn 2008) with its 95% interval and z-score; shares "
            "are of each group's comments.")
        res.figures.append(Figure("verbatims_terms", plot_terms(terms, "Detractors", "Promoters"),
                                  "What detractors write that promoters do not (left) and the reverse (right); bar "
                                  "length is the z-score, labels give the share of each group's comments."))
    elif terms.attrs.get("n_a", 0) == 0 or terms.attrs.get("n_b", 0) == 0:
        res.notes.append("Distinguishing words need comments from both detractors and promoters.")

    # themes
    themes = theme_summary(sub, "comment", "score", lexicon, confidence=conf, breaks=breaks, tokens=tok)
    c_all = [int(np.count_nonzero((sub["category"] == c).to_numpy(dtype=bool, na_value=False))) for c in CATEGORIES]
    commenters_nps = float(100 * nps_from_counts(*c_all)["nps"])
    theme_nps = dict(zip(themes["theme"], themes["nps"])) if len(themes) else {}
    if len(themes):
        res.tables["themes"] = themes.head(15)
        res.table_captions["themes"] = (
            "Themes of the keyword lexicon: share of comments mentioning each (Wilson interval), NPS of the "
            "respondents who mention it (adjusted Wald interval, Rocks 2016) and its difference from the other "
            "commenters (Wald test, Benjamini-Hochberg adjusted). A comment may mention several themes.")
        res.figures.append(Figure("verbatims_themes", plot_themes(themes, commenters_nps),
                                  "Share of comments per theme (left) and the NPS of those who mention it (right), "
                                  "with 95% intervals; the dashed line is the NPS of all commenters."))
        quoted = themes["theme"].head(8).tolist()
        quotes = theme_quotes(sub, "comment", "score", lexicon, per_theme=3, redact=redact, breaks=breaks, tokens=tok,
                              only=quoted)
        if len(quotes):
            res.tables["quotes"] = quotes.head(24)
            res.table_captions["quotes"] = (
                "Representative quotes of the most mentioned themes (one detractor and one promoter first where "
                "both exist), cut to 200 characters" + (", personal data masked." if redact else "."))
    any_theme = (_theme_hits(tok, lexicon)[0] > 0).any(axis=1)
    no_theme = float(1 - any_theme[tok.inverse].mean())

    # topics the lexicon may miss
    topics = discover_topics(sub, "comment", "score", n_topics=6, confidence=conf, breaks=breaks, redact=redact,
                             tokens=tok)
    if len(topics):
        res.tables["topics"] = topics
        res.table_captions["topics"] = (
            "Topics found without a lexicon (NMF on TF-IDF of words and phrases, Lee & Seung 1999), named by their "
            "top words, with the share of comments whose main topic it is and their NPS.")

    # early warning
    ew = early_warning(sub, "comment", "responded_at", "score", lexicon, confidence=conf, breaks=breaks, tokens=tok,
                       alpha=alpha)
    if "window" in ew.attrs:
        if len(ew):
            shown = ew[ew["rising"] & ew["same_comments_as"].isna()].head(15)
            if shown.empty:
                shown = ew[ew["kind"] == "theme"].sort_values("p_value").head(5)
            res.tables["early_warning"] = shown.drop(columns="same_comments_as").reset_index(drop=True)
            res.table_captions["early_warning"] = (
                f"Themes and terms by share of comments in the latest 3 months ({ew.attrs['window'][0]} to "
                f"{ew.attrs['window'][1]}) against the 12 months before; one-sided two-proportion z-tests, "
                "Benjamini-Hochberg adjusted across all items tested" +
                ("." if ew["rising"].any() else "; none rose significantly, the closest themes are shown."))
            if ew["rising"].any():
                res.figures.append(Figure("verbatims_early_warning", plot_early_warning(ew),
                                          "Items whose share of comments rose in the latest 3 months: circle = the "
                                          "12 months before, square = latest."))
        else:
            res.notes.append("Early warning needs at least 30 comments in the latest 3 months and in the 12 months "
                             "before.")
    f_ew = _finding_early_warning(ew, commenters_nps, theme_nps)
    f_pain = _finding_pain_point(themes, n_comments, s.min_n, alpha)
    res.findings += [f for f in (f_pain, f_ew) if f]

    # summary and notes
    cov_share = float(cov.iloc[0]["share"])
    parts = [f"{pct(cov_share)} of responses carry a comment"]
    if f_pain is not None:
        t0 = f_pain.evidence["themes"][0]
        parts.append(f"those who write about {t0['theme']} score lowest (NPS {pts(t0['nps'], 0)})")
    elif len(terms) and (terms["more_used_by"] == "detractor").any():
        words = terms.loc[terms["more_used_by"] == "detractor", "term"].head(3).tolist()
        parts.append("detractors most often write about " + ", ".join(f"'{w}'" for w in words))
    if f_ew is not None:
        it = f_ew.evidence["items"][0]
        parts.append(f"mentions of {it['item']} rose from {pct(it['before_share'])} to {pct(it['latest_share'])} "
                     "in the last 3 months")
    res.summary = "; ".join(parts) + "."
    res.notes += [
        "Distinguishing words: log-odds ratio with an informative Dirichlet prior and its z-score (Monroe, Colaresi "
        "& Quinn 2008, 'Fightin' Words', Political Analysis 16(4)); each comment counts a word once; the prior is "
        "the pooled word frequencies of all comments, weighted as one pseudo-mention per ten observed.",
        "Themes: a documented keyword lexicon (npsdiag.text.DEFAULT_THEMES) that settings.themes extends; "
        f"{pct(no_theme)} of comments mention none of its themes. Topics: NMF on TF-IDF (Lee & Seung 1999, "
        "scikit-learn), fitted on a seeded sample of at most 50,000 comments (each distinct text once, its row "
        "scaled by the square root of its number of comments: the same least-squares objective). Repeated comments "
        "are analysed once per distinct text and counted with their number of comments: every count is exact.",
        "Early warning: share of comments in the latest 3 months against the 12 months before, one-sided "
        "two-proportion z-tests with Benjamini-Hochberg adjustment (1995); a rise must also be material (at least "
        "1.5 times and 2 points for a theme).",
        "Shares carry Wilson intervals; NPS intervals are adjusted Wald (Rocks 2016).",
        ("Personal data in quotes is masked (e-mails, phone numbers, card and bank numbers, personal links, "
         "postcodes, handles). Names of people cannot be detected without a language model and are not masked: "
         "read quotes before sharing." if redact else
         "settings.redact_pii is off: quotes are shown as written, including any personal data."),
    ]
    return res
