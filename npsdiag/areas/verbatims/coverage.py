"""Who comments, and in which language: comment coverage and the comments' languages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ... import text as tx
from ...stats.proportions import wilson_interval
from .common import aligned, commented, first_rows

__all__ = ["comment_coverage", "comment_languages", "coverage_from_flags", "languages_from_corpus"]

_LANGUAGE_COLUMNS = ["language", "name", "comments", "share", "ci_low", "ci_high"]


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

    Notes
    -----
    Levels of a categorical column keep the categories' order (missing
    values last); other columns list their most populous levels first, ties
    in order of first appearance. Intervals: Wilson (1927).

    Examples
    --------
    >>> df = pd.DataFrame({"comment": ["slow", None, "n/a", "great"], "category": list("ddpp")})
    >>> comment_coverage(df, by=["category"])[["group", "value", "responses", "with_comment"]].values.tolist()
    [['all', 'all responses', 4, 2], ['category', 'd', 2, 1], ['category', 'p', 2, 1]]
    """
    return coverage_from_flags(data, commented(data, comment), by, confidence, max_levels)


def coverage_from_flags(data: pd.DataFrame, has: np.ndarray, by: Iterable[str] | None, confidence: float,
                        max_levels: int, codes: Mapping[str, tuple[np.ndarray, pd.Index]] | None = None
                        ) -> pd.DataFrame:
    """:func:`comment_coverage` with the per-row comment flags given; groups counted on integer codes.

    The area's checks call it with ``codes``: ``pd.factorize`` codes and
    uniques of grouping columns already known (``prep.codes``), so that a
    million rows are not factorised again.
    """
    rows = [("all", "all responses", len(data), int(has.sum()))]
    for col in by or []:
        if col not in data:
            continue
        cd, names, size, order = _group_codes(data[col], (codes or {}).get(col))
        with_c = np.bincount(cd, weights=has, minlength=len(names))
        for i in order[:max_levels]:
            rows.append((str(col), names[i], int(size[i]), int(with_c[i])))
    out = pd.DataFrame(rows, columns=["group", "value", "responses", "with_comment"])
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share"] = out["with_comment"] / out["responses"].replace(0, np.nan)
    out["ci_low"], out["ci_high"] = wilson_interval(out["with_comment"], out["responses"], confidence)
    return out


def _group_codes(v: pd.Series, pre: tuple[np.ndarray, pd.Index] | None
                 ) -> tuple[np.ndarray, list[str], np.ndarray, list[int]]:
    """Codes of a grouping column (missing values a group of their own), level names, sizes and display order."""
    if isinstance(v.dtype, pd.CategoricalDtype):
        cd = np.asarray(v.cat.codes, dtype="int64")
        names = [str(c) for c in v.cat.categories]
        k = len(names)
        cd = np.where(cd < 0, k, cd)  # missing after the categories
        names.append("(missing)")
        size = np.bincount(cd, minlength=k + 1)
        return cd, names, size, [i for i in range(k + 1) if size[i] > 0]
    # groups in order of first appearance, missing values where they first appear
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
    return cd, names, size, list(np.argsort(-size, kind="stable"))


def comment_languages(data: pd.DataFrame, comment: str = "comment", confidence: float = 0.95) -> pd.DataFrame:
    """Which languages (or scripts) the comments are written in.

    Parameters
    ----------
    data : DataFrame
    comment : str
        Comment column; only real comments are counted.
    confidence : float

    Returns
    -------
    DataFrame
        ``language`` (code, see :func:`npsdiag.text.detect_languages`),
        ``name``, ``comments``, ``share`` (of comments), ``ci_low``,
        ``ci_high``; most frequent first.

    Notes
    -----
    :func:`npsdiag.text.detect_languages`: the Unicode script of the words
    and, for Latin script, counts of words that only one of English, French,
    Spanish, German, Portuguese, Italian and Dutch uses; where those leave
    doubt, Lingua's model (shipped with the package). Comments of one word
    without a telling word ("Great!") are "undetermined". Intervals: Wilson
    (1927).

    Examples
    --------
    >>> df = pd.DataFrame({"comment": ["The support was great", "Le service est très bien", "ok"]})
    >>> comment_languages(df)[["language", "comments"]].values.tolist()
    [['en', 1], ['fr', 1], ['undetermined', 1]]
    """
    return languages_from_corpus(data, tx.corpus(data[comment]), confidence)


def languages_from_corpus(data: pd.DataFrame, corpus: tx.Corpus, confidence: float = 0.95) -> pd.DataFrame:
    """:func:`comment_languages` of the comments of ``corpus`` (one per row of ``data``)."""
    c = aligned(data, corpus)
    has = c.commented()
    n = int(has.sum())
    if not n:
        return pd.DataFrame(columns=_LANGUAGE_COLUMNS)
    langs_t = c.languages()
    w = c.counts(has)
    first = first_rows(c.inverse, np.flatnonzero(has), c.n_texts)  # the first comment of each text
    t = pd.DataFrame({"language": langs_t, "w": w, "first": first})[w > 0]
    g = t.groupby("language", sort=False).agg(comments=("w", "sum"), first=("first", "min"))
    g = g.iloc[np.lexsort((g["first"].to_numpy(), -g["comments"].to_numpy()))]  # as value_counts: ties by appearance
    out = pd.DataFrame({"language": g.index.astype(str), "comments": g["comments"].to_numpy().astype("int64")})
    out["name"] = out["language"].map(tx.LANGUAGE_NAMES).fillna(out["language"])
    out["share"] = out["comments"] / n
    out["ci_low"], out["ci_high"] = wilson_interval(out["comments"], n, confidence)
    return out[_LANGUAGE_COLUMNS].reset_index(drop=True)
