"""Dates and times from an export, in any common format, as naive datetime64; day/month order detection."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.tseries.api import guess_datetime_format

from .strings import MISSING_BYTES, MISSING_WORDS, byte_at, lower, string_series, stripped, to_numpy_bool

__all__ = ["parse_dates", "detect_dayfirst"]

#: Dates outside are unreadable. 1900-01-01 and earlier are out: Excel shows an empty date cell as its day zero
#: (1900-01-00, exported as 1899-12-30, 1899-12-31 or 1900-01-01), never a real response or renewal date. After
#: 2099 is out too: a survey answered in 2150 is a typing or export mistake (and "9999-12-31", an open end date,
#: is no date). Fixed bounds: what is a date never depends on the day the diagnosis runs.
_EARLIEST, _LATEST = pd.Timestamp("1900-01-02"), pd.Timestamp("2099-12-31 23:59:59")
_DMY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\b")
#: formats whose values pyarrow's strict ISO-8601 cast reads exactly as pandas does, with their width
_ISO_WIDTH = {"%Y-%m-%d": 10, "%Y-%m-%d %H:%M": 16, "%Y-%m-%dT%H:%M": 16, "%Y-%m-%d %H:%M:%S": 19,
              "%Y-%m-%dT%H:%M:%S": 19}
_SAMPLE, _LARGE_SAMPLE = 5_000, 200_000  #: dates read to decide the day/month order, then if still undecided
_NAT = np.datetime64("NaT")


# --------------------------------------------------------------------------- day/month order


def _dayfirst_votes(sample: pd.Series) -> tuple[bool | None, str]:
    parts = sample.str.extract(_DMY)
    parts = parts.dropna()
    if parts.empty:
        return None, "no day/month dates"
    a = parts[0].astype(int)
    b = parts[1].astype(int)
    a_big, b_big = int((a > 12).sum()), int((b > 12).sum())
    if a_big and not b_big:
        return True, f"{a_big} dates have a first number above 12"
    if b_big and not a_big:
        return False, f"{b_big} dates have a second number above 12"
    if a_big and b_big:
        return None, "dates are written both day-first and month-first"
    return None, "every date could be read either way (day and month both 12 or below)"


def detect_dayfirst(text: pd.Series) -> tuple[bool | None, str]:
    """Decide whether dates like 03/04/2024 are day-first.

    Returns (dayfirst, reason): True/False when a first or second part above
    12 settles it, None when every date is ambiguous (or the dates are not
    in a d/m/y shape).

    Notes
    -----
    A random sample of 5,000 dates decides (a part above 12 occurs in most
    of a month's days); only when it finds day/month dates but cannot settle
    the order is a sample of up to 200,000 dates read.

    Examples
    --------
    >>> detect_dayfirst(pd.Series(["03/04/2024", "25/04/2024"]))
    (True, '1 dates have a first number above 12')
    """
    return _dayfirst_at(text, np.flatnonzero(text.notna().to_numpy()))


def _dayfirst_at(text: pd.Series, pos: np.ndarray) -> tuple[bool | None, str]:
    """:func:`detect_dayfirst` over the values of ``text`` at positions ``pos`` (its non-missing values)."""
    if len(pos) <= _SAMPLE:
        return _dayfirst_votes(_at(text, pos))
    rng = np.random.default_rng(0)
    verdict = _dayfirst_votes(_at(text, np.sort(rng.choice(pos, _SAMPLE, replace=False))))
    if verdict[0] is not None or verdict[1] == "no day/month dates":
        return verdict
    big = pos if len(pos) <= _LARGE_SAMPLE else np.sort(rng.choice(pos, _LARGE_SAMPLE, replace=False))
    return _dayfirst_votes(_at(text, big))


def _at(values: pd.Series, pos: np.ndarray) -> pd.Series:
    """``values.iloc[pos]`` for increasing positions, selected by a boolean mask (pyarrow filters chunk by chunk;
    ``iloc`` with no position at all took half a second on a column of 2.8 million dates read in blocks)."""
    if len(pos) == 0:
        return values.iloc[:0]
    mask = np.zeros(len(values), dtype=bool)
    mask[pos] = True
    return values[mask]


def _dayfirst_note(text: pd.Series, rest: np.ndarray) -> tuple[bool | None, str | None]:
    """The day/month order of the values at ``rest``, and a note when it cannot be settled from them."""
    dayfirst, reason = _dayfirst_at(text, np.flatnonzero(rest))
    if dayfirst is None and reason.startswith(("every", "dates are written")):
        return None, (f"day/month order is ambiguous: {reason}; read as month first. "
                      "Set `dayfirst: true` (or false) in the config to be sure.")
    return dayfirst, None


# --------------------------------------------------------------------------- reading dates


def _present_values(arr: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(valid, byte lengths, present, missing): present values are given and not a word such as "N/A"."""
    valid = to_numpy_bool(arr.is_valid())
    lengths = pc.fill_null(pc.binary_length(arr), 0).to_numpy(zero_copy_only=False)
    missing = np.zeros(len(arr), dtype=bool)
    short = valid & (lengths <= MISSING_BYTES)  # only these can be words such as "N/A"
    if short.any():
        missing[short] = to_numpy_bool(pc.is_in(lower(pc.filter(arr, pa.array(short))),
                                                value_set=pa.array(sorted(MISSING_WORDS), pa.large_string())))
    return valid, lengths, valid & ~missing, missing


def _read_iso(arr: pa.ChunkedArray, valid: np.ndarray, lengths: np.ndarray, present: np.ndarray,
              iso_fmt: str | None) -> tuple[np.ndarray | None, np.ndarray]:
    """(dates, read): the values of the ISO format ``iso_fmt`` read at once by pyarrow's strict cast.

    ``dates`` is None when none was read; ``read`` marks the values read (they can never look like d/m/y dates).
    """
    none = np.zeros(len(arr), dtype=bool)
    if iso_fmt not in _ISO_WIDTH:
        return None, none
    iso = present & (lengths == _ISO_WIDTH[iso_fmt])
    if len(iso_fmt) > 8 and iso.any():  # the date-time separator as in the format ('T' or ' ')
        iso &= byte_at(arr, 10, iso) == ord(iso_fmt[8])
    try:  # strict: one value that is not a valid ISO date fails the whole cast
        stamps = pc.cast(arr if iso.sum() == valid.sum() else pc.filter(arr, pa.array(iso)), pa.timestamp("ns"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None, none
    stamps = stamps.to_numpy(zero_copy_only=False).astype("datetime64[ns]", copy=False)
    if len(stamps) == len(arr):  # every value given is an ISO date: missing ones are NaT already
        return (stamps if stamps.flags.writeable else stamps.copy()), iso
    out = np.full(len(arr), _NAT, dtype="datetime64[ns]")
    out[iso] = stamps
    return out, iso


def parse_dates(values: pd.Series, dayfirst: bool | None = None) -> tuple[pd.Series, pd.Series, str | None]:
    """Dates and times from an export, any common format, as naive datetime64.

    A format is guessed from the values and applied to the whole column
    (fast); values it does not fit are parsed one by one. Time zones are
    converted to UTC and dropped. Dates on or before 1900-01-01 (Excel's
    day zero, what it shows for an empty date cell) or after 2099 are
    unreadable.

    Parameters
    ----------
    values : Series
        The column as read (strings, or dates from Excel and Parquet).
    dayfirst : bool, optional
        Whether 03/04/2024 is the 3rd of April; detected when not given.

    Returns
    -------
    (dates, unreadable, note)
        ``note`` reports an ambiguous day/month order when ``dayfirst`` was
        not given and could not be settled from the data.

    Notes
    -----
    ISO dates (``2024-03-01`` or ``2024-03-01 14:05[:09]``) of the guessed
    format's width are read at once by pyarrow's strict ISO-8601 cast; any
    other value goes through pandas with the guessed format, then per value.

    Examples
    --------
    >>> dates, unreadable, note = parse_dates(pd.Series(["2024-03-01", "N/A", "soon"]))
    >>> dates.dt.strftime("%Y-%m-%d").tolist(), unreadable.tolist()
    (['2024-03-01', nan, nan], [False, False, True])
    """
    if pd.api.types.is_datetime64_any_dtype(values):  # typed by Excel or Parquet: the same plausible range
        dates = _naive(values)
        odd = dates.notna() & ((dates < _EARLIEST) | (dates > _LATEST))
        return dates.mask(odd), odd, None
    arr = stripped(values)
    valid, lengths, present, missing = _present_values(arr)
    text = string_series(arr, values.index)
    if missing.any():
        text = text.mask(missing)
    first = str(text.iloc[int(np.argmax(present))]) if present.any() else None
    iso_fmt = _guess_format(first, bool(dayfirst)) if first is not None else None
    out, iso = _read_iso(arr, valid, lengths, present, iso_fmt)
    out = np.full(len(arr), _NAT, dtype="datetime64[ns]") if out is None else out
    rest = present & ~iso
    note = None
    if dayfirst is None:
        dayfirst, note = _dayfirst_note(text, rest)
    if first is None:
        return pd.Series(out, index=values.index, copy=False), pd.Series(False, index=values.index), note
    fmt = _guess_format(first, bool(dayfirst))
    if fmt != iso_fmt and iso.any():  # day-first turns the guess into another format: read all with it
        out[:] = _NAT
        rest = present
    if rest.any():
        out[rest] = _parse_date_text(text[rest], fmt, bool(dayfirst))
    out[~((out >= _EARLIEST.to_datetime64()) & (out <= _LATEST.to_datetime64()))] = _NAT  # '1.234,90' is no date
    return (pd.Series(out, index=values.index, copy=False),
            pd.Series(np.isnat(out) & present, index=values.index, copy=False), note)


def _naive(values: pd.Series) -> pd.Series:
    """Dates as naive datetime64[ns]: time zones converted to UTC and dropped."""
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values.astype("datetime64[ns]")


def _guess_format(value: str, dayfirst: bool) -> str | None:
    """pandas' guess of the strftime format of one date (None when it has none)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return guess_datetime_format(value, dayfirst=dayfirst)
    except Exception:  # noqa: BLE001
        return None


def _to_datetime(values: pd.Series, **kw) -> pd.Series:
    """``pd.to_datetime(values, errors="coerce", **kw)``; offsets mixed with local times: local times taken as UTC."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.to_datetime(values, errors="coerce", **kw)
        except ValueError:
            return pd.to_datetime(values, errors="coerce", utc=True, **kw).dt.tz_localize(None)


def _utc_naive(values: pd.Series) -> pd.Series:
    return values.dt.tz_convert("UTC").dt.tz_localize(None) if isinstance(values.dtype, pd.DatetimeTZDtype) \
        else values


def _parse_date_text(non_null: pd.Series, fmt: str | None, dayfirst: bool) -> np.ndarray:
    """Dates of stripped non-missing values: the format where it fits, else each value on its own."""
    parsed = _to_datetime(non_null, format=fmt) if fmt else None
    if parsed is None or parsed.isna().any():
        rest = non_null if parsed is None else non_null[parsed.isna()]
        more = _to_datetime(rest, format="mixed", dayfirst=dayfirst)
        if parsed is not None and isinstance(more.dtype, pd.DatetimeTZDtype) != isinstance(parsed.dtype,
                                                                                          pd.DatetimeTZDtype):
            more, parsed = _utc_naive(more), _utc_naive(parsed)
        parsed = more if parsed is None else parsed.where(parsed.notna(), more)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = _utc_naive(parsed)
    elif parsed.dtype == object:
        parsed = pd.to_datetime(parsed, utc=True, errors="coerce").dt.tz_localize(None)
    plausible = parsed.notna() & (parsed >= _EARLIEST) & (parsed <= _LATEST)
    return parsed.where(plausible).astype("datetime64[ns]").to_numpy()
