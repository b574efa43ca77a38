"""Text columns as pyarrow strings: conversion without copies, fast stripping and lower-casing, the
words that mean "missing"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["MISSING_WORDS", "MISSING_BYTES", "arrow_strings", "string_series", "has_edge_space", "byte_at",
           "stripped", "to_numpy_bool", "lower", "holds_invisible"]

#: values that mean "no answer" (compared lower-cased and stripped)
MISSING_WORDS = frozenset({"", "na", "n/a", "nan", "none", "null", "-", "--", ".", "#n/a", "missing",
                           "not applicable"})
#: the longest value (in UTF-8 bytes) that lower-cases to a word of :data:`MISSING_WORDS`: only 'İ' (2 bytes,
#: to 'i') and the Kelvin sign (3 bytes, to 'k') lower-case from non-ASCII to ASCII
MISSING_BYTES = max(len(w) + w.count("i") + 2 * w.count("k") for w in MISSING_WORDS)


def arrow_strings(values: pd.Series) -> pa.ChunkedArray:
    """The values as pyarrow strings, as ``values.astype("string")`` holds them (no copy for string columns)."""
    arr = values.astype("string").array
    if getattr(arr.dtype, "storage", None) != "pyarrow":
        arr = arr.astype(pd.StringDtype("pyarrow"))
    out = arr.__arrow_array__()
    out = out if isinstance(out, pa.ChunkedArray) else pa.chunked_array([out])
    return out if pa.types.is_large_string(out.type) else out.cast(pa.large_string())


def string_series(arr: pa.ChunkedArray, index: pd.Index, name: str | None = None) -> pd.Series:
    """A pandas "string" Series over pyarrow strings, without copying them."""
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=index, name=name, copy=False)


def _offsets(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """(offsets, bytes) of a large_string chunk as numpy views; None when it holds no byte."""
    _, offsets, data = chunk.buffers()
    if data is None or data.size == 0:
        return None
    off = np.frombuffer(offsets, dtype=np.int64)[chunk.offset: chunk.offset + len(chunk) + 1]
    return off, np.frombuffer(data, dtype=np.uint8)


def has_edge_space(arr: pa.ChunkedArray) -> bool:
    """Whether any value might start or end with whitespace: its first or last byte is not printable ASCII."""
    for chunk in arr.chunks:
        if len(chunk) == 0 or chunk.null_count == len(chunk):
            continue
        if not pa.types.is_large_string(chunk.type):
            return True
        views = _offsets(chunk)
        if views is None:  # every value empty or missing
            continue
        off, b = views
        # an empty or missing value points at a neighbour's first or last byte (checked anyway), or at a byte
        # outside the chunk: at worst a column is stripped for nothing, never left unstripped
        first, last = b[np.minimum(off[:-1], len(b) - 1)], b[off[1:] - 1]
        if (first - np.uint8(0x21) >= np.uint8(0x5E)).any() or (last - np.uint8(0x21) >= np.uint8(0x5E)).any():
            return True
    return False


def holds_invisible(arr: pa.ChunkedArray) -> bool:
    """Whether any value holds an invisible character: a control character other than tab and line breaks, a C1
    control, a bidirectional embedding, override or isolate (U+202A-U+202E, U+2066-U+2069), a zero-width space or a
    byte-order mark.

    A numpy scan of the UTF-8 bytes (a few milliseconds per million values), exact: multi-byte characters are
    recognised by their lead byte and the bytes after it.
    """
    for chunk in arr.chunks:
        if len(chunk) == 0 or chunk.null_count == len(chunk):
            continue
        if not pa.types.is_large_string(chunk.type):
            return True
        views = _offsets(chunk)
        if views is not None and _invisible_bytes(views[1][views[0][0]:views[0][-1]]):
            return True
    return False


def _invisible_bytes(b: np.ndarray) -> bool:
    """:func:`holds_invisible` on one run of UTF-8 bytes: two fast reductions, then only the control and
    non-ASCII bytes are looked at."""
    if not len(b):
        return False
    low, high = b.min(), b.max()
    if low < 0x20:
        ctl = b[b < 0x20]
        if ((ctl != 0x09) & (ctl != 0x0A) & (ctl != 0x0D)).any():
            return True  # a control character other than tab and line breaks
    if high < 0x7F:
        return False
    at = np.flatnonzero(b >= 0x7F)
    v = b[at]
    if (v == 0x7F).any():
        return True
    lead = at[(v == 0xC2) | (v == 0xE2) | (v == 0xEF)]
    lead = lead[lead + 2 < len(b)]
    b0, b1, b2 = b[lead], b[lead + 1], b[lead + 2]
    c1 = (b0 == 0xC2) & (b1 <= 0x9F)  # U+0080-U+009F: C2 80-C2 9F
    bidi = (b0 == 0xE2) & (((b1 == 0x80) & ((b2 == 0x8B) | ((b2 >= 0xAA) & (b2 <= 0xAE))))
                           | ((b1 == 0x81) & (b2 >= 0xA6) & (b2 <= 0xA9)))  # U+200B, U+202A-202E, U+2066-2069
    bom = (b0 == 0xEF) & (b1 == 0xBB) & (b2 == 0xBF)  # U+FEFF
    return bool((c1 | bidi | bom).any())


def byte_at(arr: pa.ChunkedArray, i: int, rows: np.ndarray) -> np.ndarray:
    """Byte ``i`` of each value of a large_string array at the ``rows`` (boolean) that are long enough; 0 elsewhere."""
    out = np.zeros(len(arr), dtype=np.uint8)
    at = 0
    for chunk in arr.chunks:
        n = len(chunk)
        views = _offsets(chunk) if n else None
        if views is not None:
            off, b = views
            take = rows[at: at + n] & (off[1:] - off[:-1] > i)
            out[at: at + n][take] = b[off[:-1][take] + i]
        at += n
    return out


def stripped(values: pd.Series) -> pa.ChunkedArray:
    """``values.astype("string").str.strip()`` as pyarrow strings (the same pyarrow kernel).

    Columns where no value starts or ends with a space, a control or a non-ASCII character are returned
    as they are (no copy): stripping would not change them.
    """
    arr = arrow_strings(values)
    return pc.utf8_trim_whitespace(arr) if has_edge_space(arr) else arr


def to_numpy_bool(arr: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A pyarrow boolean array as numpy, nulls as False."""
    if arr.null_count:
        arr = pc.fill_null(arr, False)
    return arr.to_numpy(zero_copy_only=False).astype(bool, copy=False)


def lower(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """Lower case (ASCII kernel when every value is ASCII: the same result, many times faster)."""
    ascii_only = pc.all(pc.string_is_ascii(arr)).as_py()
    return pc.ascii_lower(arr) if ascii_only in (True, None) else pc.utf8_lower(arr)
