"""Reading one table's file as strings with its header resolved: CSV, Excel, Parquet and survey-tool exports.

:func:`read_raw` reads a file; :func:`start_read` starts the pyarrow read of
a CSV on a worker thread (only pyarrow's part, which releases the
interpreter) so that :func:`~npsdiag.io.load` can type one table while the
next file is read, and :func:`read_started` finishes it.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import TableSpec
from ..errors import NpsdiagError, Problem, suggest
from .csvfile import ArrowPlan, arrow_finish, arrow_plan, arrow_read, drop_short_records, read_csv_arrow, read_csv_text
from .header import apply_header, dedupe_headers, wanted_indices
from .sniff import (
    MIXED_ENCODING,
    SAMPLE_BYTES,
    csv_dialect,
    detect_format,
    fallback_encoding,
    is_binary,
    sniff_kind,
    utf8_holds,
)
from .tables import ROW, RawTable

__all__ = ["read_raw", "StartedRead", "start_read", "read_started", "MAX_XLSX_BYTES", "check_workbook_size"]

#: Largest decompressed size of a workbook (.xlsx is a zip of XML): beyond it the workbook is refused before it is
#: opened (a "decompression bomb" of a few hundred kilobytes unpacks to gigabytes). A million rows of 20 columns
#: take about 1 GB of sheet XML; such exports belong in CSV anyway.
MAX_XLSX_BYTES = 2 * 1024**3
#: A workbook part larger than this that unpacks to more than :data:`MAX_XLSX_RATIO` times its packed size is
#: refused too: sheets written by spreadsheet programs pack about 10 to 1; a bomb about 1,000 to 1.
BIG_PART_BYTES, MAX_XLSX_RATIO = 50 * 1024**2, 100


@dataclass
class StartedRead:
    """A CSV's pyarrow read running on a worker thread (see :func:`start_read`)."""

    plan: ArrowPlan
    future: Future


def read_raw(spec: TableSpec, problems: list[Problem] | None = None, columns: list[str] | None = None) -> RawTable:
    """Read one table's file as strings, with its header resolved.

    Parameters
    ----------
    spec : TableSpec
        The table's section of the config (path and reading options).
    problems : list of Problem, optional
        Receives the non-fatal problems found while reading.
    columns : list of str, optional
        The column names needed (matched as the config's names are); the
        others may be left unread (``RawTable.columns`` still lists every
        column of the file). Default: all.

    Returns
    -------
    RawTable

    Raises
    ------
    NpsdiagError
        When the file cannot be read at all (missing, empty, binary, unknown
        sheet, not parseable).
    """
    return read_started(spec, None, problems, columns)


def read_started(spec: TableSpec, started: StartedRead | None, problems: list[Problem] | None = None,
                 columns: list[str] | None = None) -> RawTable:
    """:func:`read_raw`, finishing the pyarrow read ``started`` by :func:`start_read` (None: read it here)."""
    problems = problems if problems is not None else []
    path = Path(spec.path)
    _check_file(path, spec)
    fmt, note = _actual_format(path, spec)
    if fmt == "parquet":
        return _read_parquet(path, problems, columns, note)
    if fmt == "excel":
        return _read_excel(path, spec, problems, note)
    if is_binary(path):
        raise NpsdiagError(Problem("this is not a text (CSV) file", file=str(path),
                                   hint="export as CSV, or set `format: excel` / `format: parquet`; a UTF-16 "
                                   "file without a byte-order mark needs `encoding: utf-16`"))
    return _read_csv(path, spec, problems, columns, started)


def _check_file(path: Path, spec: TableSpec) -> None:
    """Raise unless the path is a non-empty file."""
    file = str(path)
    if not path.exists():
        raise NpsdiagError(Problem("file not found", file=file, where=f"{spec.name}.path",
                                   hint="paths are relative to the config file's folder"))
    if path.is_dir():
        raise NpsdiagError(Problem("this is a folder, not a file", file=file, where=f"{spec.name}.path"))
    if path.stat().st_size == 0:
        raise NpsdiagError(Problem("the file is empty (0 bytes)", file=file,
                                   hint="export the survey responses again"))


def _actual_format(path: Path, spec: TableSpec) -> tuple[str, str | None]:
    """The format to read with, and a note when the content contradicts the name (an .csv that is a workbook)."""
    fmt = detect_format(path, spec)
    if spec.format != "auto" or fmt != "csv":
        return fmt, None
    kind = sniff_kind(path)
    if kind not in ("excel", "excel-xls", "parquet"):
        return fmt, None
    fmt = "parquet" if kind == "parquet" else "excel"
    return fmt, f"the file is {'a Parquet file' if kind == 'parquet' else 'an Excel workbook'} despite its name; " \
        "read as such"


def _parquet_columns(path: Path, wanted: list[str] | None) -> tuple[list[str], list[str] | None]:
    """(every data column of a Parquet file, the ones to read); None = read all (duplicated names, no list)."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    index = set()
    if schema.pandas_metadata:
        index = {c for c in schema.pandas_metadata.get("index_columns", []) if isinstance(c, str)}
    names = [n for n in schema.names if n not in index]
    clean, dups = dedupe_headers(names)
    if wanted is None or dups or clean != names:
        return names, None
    return names, [names[i] for i in wanted_indices(names, wanted)] or None


def _read_parquet(path: Path, problems: list[Problem], columns: list[str] | None, note: str | None) -> RawTable:
    """A Parquet file's columns asked for (all when names repeat), typed as stored, with ``_row`` from 2."""
    file = str(path)
    try:
        names, read = _parquet_columns(path, columns)
        frame = pd.read_parquet(path, columns=read)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file
        raise NpsdiagError(Problem(f"cannot read as Parquet: {str(exc)[:200]}", file=file,
                                   hint="check the file, or set `format:` to csv or excel")) from None
    frame = frame.reset_index(drop=True)
    if read is None:  # every column
        names, dups = dedupe_headers(list(frame.columns))
        frame.columns = names
    else:  # the columns asked for, among names that are unique already
        names, dups = dedupe_headers(names)
        frame.columns = [names[i] for i in wanted_indices(names, columns)]
    if dups:
        problems.append(Problem(f"duplicated column names: {', '.join(sorted(set(dups)))}", fatal=False,
                                file=file, hint="the later copies are named 'NAME (2)', 'NAME (3)'"))
    frame[ROW] = np.arange(2, len(frame) + 2)
    raw = RawTable(frame=frame, file=path, format="parquet", columns=names)
    if note:
        raw.notes.append(note)
    return raw


def _sheet_key(book: pd.ExcelFile, spec: TableSpec, file: str) -> str | int:
    """The sheet the spec names (default: the first) as pandas names it; an unknown sheet raises."""
    sheet = spec.sheet if spec.sheet is not None else 0
    if isinstance(sheet, int) and not isinstance(sheet, bool) and str(sheet) in book.sheet_names:
        sheet = str(sheet)  # a sheet named "2024"
    if not isinstance(sheet, (int, str)) or isinstance(sheet, bool):
        sheet = str(sheet)
    if isinstance(sheet, str) and sheet not in book.sheet_names:
        s = suggest(sheet, book.sheet_names)
        raise NpsdiagError(Problem(f"sheet '{sheet}' not found", file=file, where=f"{spec.name}.sheet",
                                   hint=(f"did you mean '{s}'? " if s else "")
                                   + f"sheets: {', '.join(book.sheet_names)}"))
    if isinstance(sheet, int) and not 0 <= sheet < len(book.sheet_names):
        raise NpsdiagError(Problem(f"the workbook has no sheet number {sheet}", file=file,
                                   where=f"{spec.name}.sheet",
                                   hint=f"numbers start at 0 for the first sheet; sheets: "
                                   f"{', '.join(book.sheet_names)}"))
    return sheet


def _read_sheet(book: pd.ExcelFile, spec: TableSpec, file: str) -> tuple[pd.DataFrame, str]:
    """The sheet the spec names (default: the first) as a headerless frame, and its name."""
    sheet = _sheet_key(book, spec, file)
    try:
        frame = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
    except Exception as exc:  # noqa: BLE001 - a corrupt sheet is the user's file
        raise NpsdiagError(Problem(f"cannot read sheet {sheet!r} ({type(exc).__name__}: {str(exc)[:120]})",
                                   file=file, where=f"{spec.name}.sheet",
                                   hint="save the workbook again from Excel, or export the sheet as CSV")) \
            from None
    return frame, (book.sheet_names[sheet] if isinstance(sheet, int) else sheet)


def check_workbook_size(path: Path, limit: int = MAX_XLSX_BYTES) -> None:
    """Raise :class:`NpsdiagError` when a workbook (a zip of XML) would unpack to more than ``limit`` bytes, or
    holds a large part packed far more than spreadsheets pack (:data:`MAX_XLSX_RATIO`): a decompression bomb.

    The sizes are those the zip declares; Python's zip reader never unpacks more than an entry declares, so a
    false declaration cannot get round the check.
    """
    import zipfile

    try:
        with zipfile.ZipFile(path) as book:
            parts = [(i.file_size, i.compress_size) for i in book.infolist()]
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip (an old .xls, or not a workbook): the Excel reader says what is wrong
    total = sum(size for size, _ in parts)
    packed = any(size > BIG_PART_BYTES and size > MAX_XLSX_RATIO * max(comp, 1) for size, comp in parts)
    if total > limit or packed:
        raise NpsdiagError(Problem(f"the workbook would unpack to {total / 1024**2:,.0f} MB"
                                   + (f", {total // max(path.stat().st_size, 1):,} times its size on disk"
                                      if packed else "") + ": it is refused", file=str(path),
                                   hint="export the sheet as CSV; a workbook like this (damaged, or built to "
                                   "exhaust memory) cannot be read safely"))


def _read_excel(path: Path, spec: TableSpec, problems: list[Problem], note: str | None) -> RawTable:
    """A workbook's sheet, empty rows and columns dropped, with its header found below any title rows."""
    file = str(path)
    check_workbook_size(path)
    try:
        book = pd.ExcelFile(path)
    except ImportError:
        raise NpsdiagError(Problem("old-style .xls workbooks need the optional 'xlrd' package", file=file,
                                   hint="save the workbook as .xlsx (or export CSV)")) from None
    except Exception as exc:  # noqa: BLE001
        raise NpsdiagError(Problem(f"cannot open as an Excel workbook ({type(exc).__name__})", file=file,
                                   hint="save it again as .xlsx from Excel, or export CSV")) from None
    with book:
        frame, sheet_name = _read_sheet(book, spec, file)
    frame = frame.dropna(how="all") if len(frame) else frame
    frame = frame.dropna(axis=1, how="all") if len(frame) else frame  # columns are kept when no row is left
    frame.columns = range(frame.shape[1])
    raw = RawTable(frame=frame, file=path, format="excel", header_lines=0, sheet=sheet_name)
    if note:
        raw.notes.append(note)
    return apply_header(raw, spec, problems)


def _read_csv(path: Path, spec: TableSpec, problems: list[Problem], columns: list[str] | None,
              started: StartedRead | None) -> RawTable:
    """A CSV by pyarrow when it can read it (see :func:`~npsdiag.io.csvfile.read_csv_arrow`), else carefully.

    UTF-8 is judged from the first 64 KB: pyarrow checks every cell it reads, and when it cannot read the
    file the whole file is checked as :func:`~npsdiag.io.sniff.sniff_csv` checks it (plain ASCII at the top,
    Windows-1252 further down).
    """
    failure: list[str] = []
    if started is not None:
        enc, delim = started.plan.enc, started.plan.delim
        fast = arrow_finish(started.plan, started.future.result(), problems, columns, failure)
        del started
    else:
        enc, delim = csv_dialect(path, spec, whole=False)
        fast = read_csv_arrow(path, spec, problems, enc, delim, columns, failure)
    if fast is None and spec.encoding is None and enc == "utf-8" and path.stat().st_size > SAMPLE_BYTES \
            and not utf8_holds(path):
        enc = fallback_encoding(path)
        if failure:
            fast = read_csv_arrow(path, spec, problems, enc, delim, columns)
    if enc == MIXED_ENCODING:
        problems.append(Problem("the file mixes two encodings: some text is UTF-8 and some Windows-1252 (lines "
                                "written by two systems); each character was read in its own encoding",
                                fatal=False, file=str(path), where=f"{spec.name}.encoding",
                                hint="nothing to do if names read right in the report (\"Zürich\", not "
                                "\"ZÃ¼rich\"); else export the file again as UTF-8"))
    if fast is not None:
        return fast
    raw = read_csv_text(path, spec, problems, enc, delim)
    if spec.format in ("qualtrics", "surveymonkey"):
        raw.format = spec.format
    return drop_short_records(apply_header(raw, spec, problems), problems)


def start_read(spec: TableSpec, columns: list[str] | None, pool: Executor) -> StartedRead | None:
    """Start the pyarrow read of a CSV on ``pool`` (None when :func:`read_raw` would not read it with pyarrow).

    Only the pyarrow read runs on the pool's thread; every check that can report a problem is left to
    :func:`read_started`, which reads the file itself whenever this returns None.
    """
    try:
        path = Path(spec.path)
        if not path.is_file() or path.stat().st_size == 0:
            return None
        if _actual_format(path, spec)[0] in ("parquet", "excel") or is_binary(path):
            return None
        enc, delim = csv_dialect(path, spec, whole=False)
        plan = arrow_plan(path, spec, enc, delim, columns)
    except Exception:  # noqa: BLE001 - read_started reports it
        return None
    return None if plan is None else StartedRead(plan, pool.submit(arrow_read, plan))
