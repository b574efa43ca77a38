"""Early warning: themes and terms whose share of comments rose in the latest months."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import sparse, stats

from ... import text as tx
from ...stats.multiplicity import bh_adjust
from ...stats.nps import Breaks, nps_diff_test, nps_from_counts
from ...stats.proportions import wilson_interval
from .common import aligned, category_codes, text_by_category
from .themes import theme_hits

__all__ = ["early_warning", "warning_from_corpus", "MIN_WINDOW_COMMENTS"]

#: Fewer comments than this in the latest window or in the baseline: nothing is tested.
MIN_WINDOW_COMMENTS = 30

_COLUMNS = ["kind", "item", "before_comments", "before_share", "latest_comments", "latest_share", "latest_ci_low",
            "latest_ci_high", "ratio", "z", "p_value", "p_adj", "nps_item", "rising"]


def early_warning(
    data: pd.DataFrame,
    comment: str = "comment",
    date: str = "responded_at",
    score: str = "score",
    themes: Mapping | None = None,
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
) -> pd.DataFrame:
    """Themes and terms whose share of comments rose in the latest months.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    comment, date, score : str
        Comment, response date and score columns.
    themes : mapping, optional
        Lexicons (default :data:`npsdiag.text.LEXICONS`; see
        :func:`~npsdiag.areas.verbatims.theme_summary`).
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
    Benjamini-Hochberg (1995). Each comment is read with the theme lexicon
    of its language (English, French, German, Spanish; others match no
    theme) and terms are those of the main language. Fewer than
    :data:`MIN_WINDOW_COMMENTS` comments in either window: no item is
    tested (the table is empty, its ``attrs`` still say the windows).

    References
    ----------
    .. [1] Benjamini, Y. & Hochberg, Y. (1995). Controlling the false
       discovery rate: a practical and powerful approach to multiple
       testing. JRSS B, 57(1), 289-300.

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
    return warning_from_corpus(data, tx.corpus(data[comment]), date, score, themes, window_months=window_months,
                               baseline_months=baseline_months, include_terms=include_terms, max_terms=max_terms,
                               min_count=min_count, min_ratio=min_ratio, min_diff=min_diff, alpha=alpha,
                               confidence=confidence, breaks=breaks)


def warning_from_corpus(
    data: pd.DataFrame,
    corpus: tx.Corpus,
    date: str = "responded_at",
    score: str = "score",
    themes: Mapping | None = None,
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
) -> pd.DataFrame:
    """:func:`early_warning` of the comments of ``corpus`` (one per row of ``data``)."""
    empty = pd.DataFrame(columns=_COLUMNS)
    c = aligned(data, corpus)
    has = c.commented()
    hits, theme_names, _ = theme_hits(c, themes)
    dates = pd.to_datetime(data[date], errors="coerce")
    w = _windows(dates[has], window_months, baseline_months) if has.any() else None
    if w is None:
        return empty
    d = dates.to_numpy()
    latest, before = (has & m for m in _in_windows(d, w))
    n1, n0 = int(latest.sum()), int(before.sum())
    cat = category_codes(data, score, breaks)
    attrs = _window_attrs(d, cat, w, n1, n0, confidence)
    if n1 < MIN_WINDOW_COMMENTS or n0 < MIN_WINDOW_COMMENTS:
        empty.attrs.update(attrs)
        return empty
    # one sparse indicator column per item (theme or term) over the distinct texts; each text counts with the
    # number of comments of each window that carry it
    w_lat, w_bef = c.counts(latest), c.counts(before)
    M, kinds, names = _items(c, hits, theme_names, w_lat, include_terms, min_count, max_terms)
    out = _rise_tests(M, w_lat, w_bef, n1, n0, min_count, confidence)
    out.insert(0, "kind", kinds)
    out.insert(1, "item", names)
    cc = np.asarray(M.T @ text_by_category(c, cat, latest))  # (items, 3) latest detractors, passives, promoters
    with np.errstate(invalid="ignore", divide="ignore"):
        out["nps_item"] = 100 * (cc[:, 2] - cc[:, 0]) / cc.sum(axis=1)
    out["mask_index"] = np.arange(len(out))
    out = out[out.pop("tested").to_numpy()].copy()
    out["p_adj"] = bh_adjust(out["p_value"])
    need = np.where(out["kind"] == "theme", min_diff, min_diff / 2)
    out["rising"] = ((out["p_adj"] < alpha) & (out["latest_share"] - out["before_share"] >= need)
                     & ((out["ratio"] >= min_ratio) | (out["before_share"] == 0)))
    out = out.sort_values(["rising", "p_value", "item"], ascending=[False, True, True])
    out["same_comments_as"] = _same_comments(out, M, w_lat)
    out = out[_COLUMNS + ["same_comments_as"]].reset_index(drop=True)
    out.attrs.update(attrs)
    return out


def _windows(dates: pd.Series, window_months: int, baseline_months: int):
    """(baseline start, window start, end): the latest ``window_months`` up to the last date, the baseline before."""
    end = dates.max()
    if pd.isna(end):
        return None
    end_day = end.normalize()
    start = end_day - pd.DateOffset(months=window_months) + pd.Timedelta(days=1)
    base_start = start - pd.DateOffset(months=baseline_months)
    return base_start, start, end


def _in_windows(d: np.ndarray, w) -> tuple[np.ndarray, np.ndarray]:
    """Per row: in the latest window, in the baseline."""
    base_start, start, end = w
    return ((d >= np.datetime64(start)) & (d <= np.datetime64(end)),
            (d >= np.datetime64(base_start)) & (d < np.datetime64(start)))


def _window_attrs(d: np.ndarray, cat: np.ndarray, w, n1: int, n0: int, confidence: float) -> dict:
    """The windows as ISO dates, their comments, and the NPS of all scored responses in each (has it moved?)."""
    base_start, start, end = w
    all_scored = (cat >= 0) & pd.notna(d)
    lat_all, bef_all = (all_scored & m for m in _in_windows(d, w))
    c_lat = [int(v) for v in np.bincount(cat[lat_all], minlength=3)]
    c_bef = [int(v) for v in np.bincount(cat[bef_all], minlength=3)]
    move = nps_diff_test(c_lat, c_bef, confidence=confidence)
    return {"window": [start.date().isoformat(), end.date().isoformat()],
            "baseline": [base_start.date().isoformat(), (start - pd.Timedelta(days=1)).date().isoformat()],
            "n_latest": n1, "n_before": n0,
            "nps_latest": float(100 * nps_from_counts(*c_lat)["nps"]) if sum(c_lat) else float("nan"),
            "nps_before": float(100 * nps_from_counts(*c_bef)["nps"]) if sum(c_bef) else float("nan"),
            "nps_change_p": move.p_value}


def _items(c: tx.Corpus, hits: np.ndarray, theme_names: list[str], w_lat: np.ndarray, include_terms: bool,
           min_count: int, max_terms: int) -> tuple[sparse.csr_matrix, list[str], list[str]]:
    """(texts, items) indicator matrix of the themes and the most mentioned terms of the window; kinds; names."""
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
    return sparse.hstack(blocks, format="csr"), kinds, names


def _rise_tests(M: sparse.csr_matrix, w_lat: np.ndarray, w_bef: np.ndarray, n1: int, n0: int, min_count: int,
                confidence: float) -> pd.DataFrame:
    """Per item: comments and shares in each window, one-sided pooled two-proportion z-test of a rise."""
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
    return pd.DataFrame({"before_comments": k0a.astype("int64"), "before_share": p0,
                         "latest_comments": k1a.astype("int64"), "latest_share": p1, "latest_ci_low": lo,
                         "latest_ci_high": hi, "ratio": ratio, "z": z, "p_value": pv, "tested": tested})


def _same_comments(out: pd.DataFrame, M: sparse.csr_matrix, w_lat: np.ndarray) -> list[str | None]:
    """Per row: for a rising term, a stronger rising item mentioned in nearly the same latest comments (Jaccard
    >= 0.8), else None. Such a term says nothing new."""
    same: list[str | None] = [None] * len(out)
    rise = np.flatnonzero(out["rising"].to_numpy())
    if not len(rise):
        return same
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
    return same
