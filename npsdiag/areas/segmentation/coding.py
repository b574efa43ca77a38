"""Integer codes of the responses: what the area's blocks and checks count on.

Segment values, score categories and clusters become integer codes, and
every table of the area is counted on them with :func:`numpy.bincount`: a
million responses cost one factorization per column. The building blocks
factorize the DataFrame they are given; the checks hand over the codes that
the prepared data computed once (:meth:`npsdiag.clean.Prepared.codes`, a
:data:`CodesFn`) and call the blocks' ``*_from_codes`` functions. Nothing
here is part of the area's API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from ...stats.nps import Breaks, own_clusters

__all__ = ["MISSING", "CodesFn", "segment_labels", "factorize", "label_codes", "segment_codes", "compact",
           "category_codes", "cluster_codes", "count_table", "n_distinct"]

#: Label of responses without a value in a segment column.
MISSING = "(missing)"

#: ``codes(column) -> (codes, uniques)`` as :func:`pandas.factorize` returns them, for the rows of a DataFrame
#: (e.g. :meth:`npsdiag.clean.Prepared.codes`); lets a large export be factorized once for every check.
CodesFn = Callable[[str], tuple[np.ndarray, pd.Index]]


def segment_labels(values: pd.Series) -> pd.Series:
    """Segment values as text, missing values as :data:`MISSING`.

    Examples
    --------
    >>> segment_labels(pd.Series(["EU ", None, ""])).tolist()
    ['EU', '(missing)', '(missing)']
    """
    s = values.astype("string")
    s = s.str.strip()
    return s.mask(s.isna() | (s == ""), MISSING).astype("object")


def factorize(data: pd.DataFrame, column: str, codes: CodesFn | None = None) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 = missing) and uniques of ``data[column]``, from ``codes`` when it describes these rows."""
    if codes is not None:
        try:
            c, u = codes(column)
        except (KeyError, AttributeError):
            c = None
        if c is not None and len(c) == len(data):
            return np.asarray(c), u
    c, u = pd.factorize(data[column])
    return np.asarray(c), u


def label_codes(data: pd.DataFrame, column: str, codes: CodesFn | None = None) -> tuple[np.ndarray, list[str]]:
    """Per row, the code of its segment label (:func:`segment_labels`), labels sorted as text; and the labels.

    Only the distinct values are turned into labels, so that a million rows cost one factorization.
    """
    c, u = factorize(data, column, codes)
    lab_u = list(segment_labels(pd.Series(u)).to_numpy(dtype=object))
    has_missing = bool((c < 0).any())
    labels = sorted(set(lab_u) | ({MISSING} if has_missing else set()))
    pos = {s: i for i, s in enumerate(labels)}
    lut = np.array([pos[s] for s in lab_u] + [pos.get(MISSING, 0)], dtype=np.int64)  # code -1 -> last entry
    return lut[c], labels


def segment_codes(data: pd.DataFrame, columns: list[str],
                  codes: CodesFn | None = None) -> Iterator[tuple[str, np.ndarray, list[str]]]:
    """``(column, label codes, labels)`` of each of ``columns`` that ``data`` has, one column at a time."""
    for column in columns:
        if column in data.columns:
            yield (column, *label_codes(data, column, codes))


def compact(g: np.ndarray, labels: list[str]) -> tuple[np.ndarray, list[str]]:
    """Drop labels that no row carries (codes renumbered, order kept)."""
    present = np.bincount(g, minlength=len(labels)) > 0
    if present.all():
        return g, labels
    new = np.cumsum(present) - 1
    return new[g], [s for s, k in zip(labels, present, strict=True) if k]


def category_codes(scores: pd.Series, breaks: Breaks) -> np.ndarray:
    """0 detractor, 1 passive, 2 promoter, -1 missing (as :func:`npsdiag.stats.nps.categorize`).

    Examples
    --------
    >>> category_codes(pd.Series([0, 7, 9, None]), Breaks()).tolist()
    [0, 1, 2, -1]
    """
    s = pd.to_numeric(scores, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    out = np.where(s <= breaks.detractor_max, 0, np.where(s >= breaks.promoter_min, 2, 1))
    return np.where(np.isnan(s), -1, out).astype(np.int64)


def cluster_codes(data: pd.DataFrame, cluster: str | None, rows: np.ndarray,
                  codes: CodesFn | None = None) -> np.ndarray | None:
    """Cluster codes 0..C-1 of every row of ``data``; rows without a cluster are clusters of their own.

    None when ``cluster`` is None, not a column of ``data``, or missing on every row of ``rows`` (a mask).
    """
    if cluster is None or cluster not in data.columns or not bool(data.loc[rows, cluster].notna().any()):
        return None
    c, u = factorize(data, cluster, codes)
    return own_clusters(c, len(u))


def count_table(g: np.ndarray, k: np.ndarray, n_seg: int) -> np.ndarray:
    """Counts (segments, 3) of detractors, passives, promoters."""
    return np.bincount(g * 3 + k, minlength=3 * n_seg).reshape(n_seg, 3).astype("float64")


def n_distinct(data: pd.DataFrame, column: str, codes: CodesFn | None = None) -> int:
    """Distinct values of a column, missing counted as one (``nunique(dropna=False)``)."""
    c, u = factorize(data, column, codes)
    return len(u) + int((c < 0).any())
