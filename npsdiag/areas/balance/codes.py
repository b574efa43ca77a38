"""Integer codes of the balance area's columns.

Large exports are counted on integer codes (:func:`pandas.factorize`,
:func:`numpy.bincount`), never on strings per row; :func:`npsdiag.linking.remap`
and :func:`npsdiag.linking.counts` map and count them. These helpers are
shared by the area's building blocks and checks (not re-exported).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...linking import remap
from ...stats.nps import Breaks

__all__ = ["factorize", "text_codes", "sorted_codes", "category_codes", "as_bool", "text_order"]


def factorize(values) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 = missing) and the distinct values (object array), as :func:`pandas.factorize`.

    A categorical column gives its own codes and categories (some may be unused: count before use).

    Examples
    --------
    >>> codes, uniq = factorize(pd.Series(["b", None, "a", "b"]))
    >>> codes.tolist(), uniq.tolist()
    ([0, -1, 1, 0], ['b', 'a'])
    """
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        cat = values.array if isinstance(values, pd.Series | pd.Index) else values
        return np.asarray(cat.codes, dtype=np.intp), np.asarray(cat.categories, dtype=object)
    codes, uniq = pd.factorize(values)
    return np.asarray(codes, dtype=np.intp), np.asarray(uniq, dtype=object)


def text_codes(values, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Codes of a column read as text (values that read the same are one level, as ``astype(str)``).

    Returns codes (-1 = missing) and the labels (str, in text order when ``sort``, else in order of appearance).

    Examples
    --------
    >>> codes, lab = text_codes(pd.Series([1, "1", "b"]), sort=True)
    >>> codes.tolist(), lab.tolist()
    ([0, 0, 1], ['1', 'b'])
    """
    codes, uniq = factorize(values)
    if not len(uniq):
        return codes, np.array([], dtype=object)
    lab = np.array([str(u) for u in uniq], dtype=object)
    if sort or len(set(lab)) < len(lab):
        c2, lab2 = pd.factorize(lab, sort=sort)
        codes, lab = remap(codes, np.asarray(c2, dtype=np.intp)), np.asarray(lab2, dtype=object)
    return codes, lab


def sorted_codes(values) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values (as written), values in sorted order (text order when they do not compare)."""
    codes, uniq = factorize(values)
    try:
        order = np.argsort(uniq, kind="stable")
    except TypeError:
        order = np.argsort(np.array([str(u) for u in uniq], dtype=object), kind="stable")
    rank = np.empty(len(uniq), dtype=np.intp)
    rank[order] = np.arange(len(uniq))
    return remap(codes, rank), uniq[order]


def category_codes(scores, breaks: Breaks) -> np.ndarray:
    """0 detractor, 1 passive, 2 promoter, -1 missing score.

    Examples
    --------
    >>> category_codes([0, 7, 10, float("nan")], Breaks()).tolist()
    [0, 1, 2, -1]
    """
    s = np.asarray(scores, dtype="float64")
    return np.where(np.isnan(s), -1, np.where(s <= breaks.detractor_max, 0, np.where(s >= breaks.promoter_min, 2, 1)))


def as_bool(values) -> np.ndarray:
    """A boolean column as a numpy array, missing as False."""
    return pd.Series(values).fillna(False).to_numpy(dtype=bool)


def text_order(values) -> np.ndarray:
    """Rank of each value in text order (ties keep their order)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(values.array if isinstance(values, pd.Index | pd.Series) else values, from_pandas=True)
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            order = np.asarray(pc.sort_indices(arr).to_numpy(), dtype=np.intp)
        else:
            raise TypeError
    except Exception:  # noqa: BLE001 - not text or no pyarrow: numpy's object sort
        order = np.argsort(np.array([str(v) for v in values], dtype=object), kind="stable")
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order))
    return rank

