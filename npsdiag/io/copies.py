"""Rows of an export that are exact copies of an earlier row: identical in every column of the source file.

Two people at the same event who answered alike in the same minute are two responses, even when every column
the config maps is equal: only the whole source row (every column of the export) says that a row was exported
twice. :func:`copy_of` names, for each row, the earlier row it copies; :func:`npsdiag.clean.prepare` excludes
those rows as duplicates when the export has no response id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .tables import ROW

__all__ = ["COPY_OF", "copy_of"]

#: Column of the responses (when no response id is mapped): the ``_row`` of the first earlier row of the export
#: with the same value in every column, missing when the row is not a copy.
COPY_OF = "_copy_of"


def copy_of(source: pd.DataFrame, mapped: pd.DataFrame) -> pd.Series:
    """For each row, the ``_row`` of the first earlier row identical to it in every column of ``source``.

    Parameters
    ----------
    source : DataFrame
        The rows as read, with every column of the file (and ``_row``).
    mapped : DataFrame
        The same rows mapped (typed fields derived from ``source``): rows that differ here differ in the
        source too, so only rows whose mapped fields repeat are compared on every column.

    Returns
    -------
    Series
        Nullable integers aligned with ``mapped``: the row number copied, missing where the row is no copy.

    Examples
    --------
    >>> src = pd.DataFrame({"score": ["9", "9", "9"], "name": ["Ann", "Bob", "Ann"], "_row": [2, 3, 4]})
    >>> copy_of(src, src[["score", "_row"]]).tolist()
    [<NA>, <NA>, 2]
    """
    out = pd.Series(pd.NA, index=mapped.index, dtype="Int64")
    fields = [c for c in mapped.columns if c != ROW]
    if not len(mapped) or not fields:
        return out
    maybe = mapped.duplicated(subset=fields, keep=False).to_numpy()
    if not maybe.any():
        return out
    cols = [c for c in source.columns if c != ROW]
    sub = source.loc[maybe, cols]
    group = sub.groupby(cols, dropna=False, sort=False).ngroup().to_numpy()
    rows = source.loc[maybe, ROW].to_numpy()
    first = pd.Series(rows).groupby(group).transform("first").to_numpy()
    at = np.flatnonzero(maybe)
    copies = first != rows
    out.iloc[at[copies]] = first[copies]
    return out
