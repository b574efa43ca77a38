"""Reading a CSV as strings: pyarrow's multithreaded reader for well-formed files, pandas' parsers for the rest.

:func:`read_csv_arrow` reads a plainly rectangular file, only the columns
asked for, and gives up (returns None) on anything else; :func:`read_csv_text`
then reads the file carefully and reports what is wrong with it. Both give
the same table, rows and messages on the files both can read.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv

from ..config import TableSpec
from ..errors import NpsdiagError, Problem
from .header import header_layout, wanted_indices
from .sniff import choose_delimiter, delimiter_scores, holds_byte, read_sample
from .tables import ROW, RawTable

__all__ = ["read_csv_text", "read_csv_arrow", "ArrowPlan", "arrow_plan", "arrow_read", "arrow_finish", "HEAD_ROWS",
           "drop_short_records"]

HEAD_ROWS = 30  #: rows read first to find the header before the fast reader reads the whole file


@contextlib.contextmanager
def _csv_field_limit(limit: int = 1 << 30) -> Iterator[None]:
    """Let Python's csv module read very long cells (a 10 MB comment), restoring the limit after."""
    old = csv.field_size_limit()
    csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _csv_kw(enc: str, delim: str) -> dict:
    return dict(sep=delim, encoding=enc, dtype=str, keep_default_na=False, na_values=[""],
                header=None, skip_blank_lines=True, encoding_errors="replace", on_bad_lines="warn")


def _parse_text(path: Path, enc: str, delim: str) -> pd.DataFrame:
    """The whole file by pandas' C parser, else its Python parser; unclosed quotes and unreadable files raise."""
    file = str(path)
    kw = _csv_kw(enc, delim)
    try:
        try:
            return pd.read_csv(path, engine="c", **kw, low_memory=False)
        except pd.errors.ParserError as exc:
            eof = re.search(r"EOF inside string starting at row (\d+)", str(exc))
            if eof:
                raise NpsdiagError(Problem(
                    f"a quoted cell starting on record {int(eof.group(1)) + 1} is never closed: the rest of the "
                    "file would be read as one cell", file=file, rows=[int(eof.group(1)) + 1],
                    hint="check the quotes (\") near that line of the export, or export it again")) from None
            with _csv_field_limit():
                return pd.read_csv(path, engine="python", **kw)
    except pd.errors.EmptyDataError:
        raise NpsdiagError(Problem("the file is empty (no header, no rows)", file=file,
                                   hint="export the survey responses again")) from None
    except (pd.errors.ParserError, csv.Error, UnicodeError, ValueError, OverflowError) as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise NpsdiagError(Problem(f"cannot read the file as CSV ({first})", file=file,
                                   hint=f"read with delimiter {delim!r} and encoding {enc}; check quotes in the "
                                   "file, or set `delimiter:` / `encoding:` / `format:`")) from None


def read_csv_text(path: Path, spec: TableSpec, problems: list[Problem], enc: str, delim: str) -> RawTable:
    """Read a whole CSV as strings with pandas' parsers (headerless): the careful path, for any file.

    Lines with more fields than the header are skipped with a problem naming
    them; a file read as one column gets a hint at the delimiter it seems to use.
    """
    file = str(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = _parse_text(path, enc, delim)
    bad = [str(w.message) for w in caught if "Skipping line" in str(w.message) or "Expected" in str(w.message)]
    if bad:
        nums = [int(m) for b in bad for m in re.findall(r"line (\d+)", b)]
        problems.append(Problem("some lines have more fields than the header and were skipped",
                                fatal=False, file=file, rows=nums,
                                hint="check quoting of text with delimiters, or set `delimiter:`"))
    if frame.shape[1] == 1:
        text, _ = read_sample(path, enc)
        better = choose_delimiter(text)
        if better != delim and delimiter_scores(text)[better][1] > 1:
            problems.append(Problem(
                f"the file was read as a single column with delimiter {delim!r}; it seems to use {better!r}",
                file=file, where=f"{spec.name}.delimiter",
                hint=f"set `delimiter: {better!r}`" + (" (or remove `delimiter:` to detect it)"
                                                        if spec.delimiter else "")))
    return RawTable(frame=frame, file=path, format="csv", header_lines=0, delimiter=delim, encoding=enc)


def _field_counts(path: Path, enc: str, delim: str) -> list[int]:
    """The number of fields of each record of a CSV, blank lines left out as pandas' parser leaves them out."""
    counts = []
    with _csv_field_limit(), open(path, encoding=enc, errors="replace", newline="") as fh:
        for rec in csv.reader(fh, delimiter=delim):
            if rec and not (len(rec) == 1 and not rec[0].strip()):
                counts.append(len(rec))
    return counts


def _named_width(names: list[str]) -> int:
    """The columns up to the last one the header names (blank header cells at the end, 'column N', do not count)."""
    width = len(names)
    while width and names[width - 1] == f"column {width}":
        width -= 1
    return width


def drop_short_records(raw: RawTable, problems: list[Problem]) -> RawTable:
    """Leave out the records of a CSV read by pandas that have fewer fields than its header names, and say so.

    pandas pads a short line with missing values: every value after the missing field would be read in the
    column before its own (the next column's 0s becoming scores). Such lines are named (their rows) and left
    out; when every line is short, reading stops with a plain message. Only files where the last named column
    is empty somewhere are counted (a short line always leaves it empty), so a well-formed file costs nothing.
    """
    names = [c for c in raw.frame.columns if c != ROW]
    width = _named_width(names)
    if width < 2 or not raw.frame[names[width - 1]].isna().any():
        return raw
    counts = _field_counts(Path(raw.file), raw.encoding or "utf-8", raw.delimiter or ",")
    if len(counts) != raw.header_lines + len(raw.frame):
        return raw  # the records do not line up with the rows read (should not happen): leave the table as read
    body = np.asarray(counts[raw.header_lines:], dtype=np.int64)
    short = body < width
    if not short.any():
        return raw
    file = str(raw.file)
    rows = raw.frame.loc[short, ROW].tolist()
    fewest = int(body[short].min())
    if short.all():
        raise NpsdiagError(Problem(
            f"every line has fewer fields than the header ({fewest} or more instead of {width})", file=file,
            rows=rows, hint="check the delimiter (set `delimiter:`) and that the header row is the right one "
            "(`header_row:`)"))
    problems.append(Problem(
        f"{len(rows):,} line(s) have fewer fields than the header ({fewest} instead of {width}): their values would "
        "fall into the wrong columns, so they were left out", fatal=False, file=file, rows=rows,
        hint="export the file again, or check the quotes around text holding the delimiter on those lines"))
    raw.frame = raw.frame.loc[~short].reset_index(drop=True)
    return raw


@dataclass
class ArrowPlan:
    """What :func:`arrow_read` needs to read a CSV with pyarrow, and what :func:`arrow_finish` needs after."""

    path: Path
    spec: TableSpec
    enc: str
    delim: str
    codec: str
    head: pd.DataFrame
    raw: RawTable
    settled: bool
    include: list[str] | None
    quoted: bool

    @property
    def n_cols(self) -> int:
        return self.head.shape[1]


def _read_head(path: Path, enc: str, delim: str) -> pd.DataFrame | None:
    """The first :data:`HEAD_ROWS` rows as the careful reader reads them; None when they are not plainly rectangular."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            head = pd.read_csv(path, engine="c", nrows=HEAD_ROWS, **_csv_kw(enc, delim))
        except Exception:  # noqa: BLE001 - the careful reader reports it
            return None
    if caught or len(head) < HEAD_ROWS or head.shape[1] < 2:
        return None  # ragged at the top, a single column, or small enough for the careful reader
    return head


def arrow_plan(path: Path, spec: TableSpec, enc: str, delim: str, columns: list[str] | None) -> ArrowPlan | None:
    """The header rows read by pandas and the options of the pyarrow read; None when the careful reader must read."""
    if spec.header_row is not None and spec.header_row > 20:
        return None
    codec = "utf-8" if codecs.lookup(enc).name == "utf-8-sig" else enc
    if '"a'.encode(codec) != b'"a':  # not ASCII-compatible (UTF-16): the end-of-file check below needs it
        return None
    head = _read_head(path, enc, delim)
    if head is None:
        return None
    n_cols = head.shape[1]
    raw = RawTable(frame=head, file=path, format=spec.format if spec.format in ("qualtrics", "surveymonkey")
                   else "csv", header_lines=0, delimiter=delim, encoding=enc)
    # the header row is known from the first rows unless title rows are sought and the first row is not full
    settled = spec.header_row is not None or raw.format not in ("csv", "excel") \
        or int(head.iloc[0].notna().sum()) == n_cols
    include = None
    if settled:
        probe = RawTable(frame=head, file=path, format=raw.format)
        wanted = wanted_indices(header_layout(head, probe, spec, [])[1], columns)
        include = [f"f{i}" for i in sorted({*wanted, n_cols - 1})] if wanted else None
    # without a quote character in the file no cell holds a line break: pyarrow then splits the blocks at any
    # line break, a cheaper parallel read than the quote-aware one
    return ArrowPlan(path=path, spec=spec, enc=enc, delim=delim, codec=codec, head=head, raw=raw, settled=settled,
                     include=include, quoted=holds_byte(path, b'"'))


def arrow_read(plan: ArrowPlan) -> pa.Table | Exception:
    """The whole file read by pyarrow as the plan says, or the exception it raised (pyarrow only: any thread)."""
    enc, delim = plan.enc, plan.delim
    try:
        return pacsv.read_csv(
            plan.path,
            # threads: quoted line breaks make pyarrow's parallel chunking cost more CPU than reading serially,
            # but less wall time (1M rows: 7.1 s against 9.9 s on a busy 2-core machine)
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24, use_threads=True,
                                           encoding="utf8" if enc in ("utf-8", "utf-8-sig") else enc),
            parse_options=pacsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True, escape_char=False,
                                             newlines_in_values=plan.quoted, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.large_string() for i in range(plan.n_cols)}, include_columns=plan.include,
                null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True))
    except Exception as exc:  # noqa: BLE001 - ragged, unclosed or undecodable: the careful reader says what
        return exc


def _widest_row(table: pa.Table) -> int:
    """The most cells filled in any row, as the careful reader measures it."""
    filled = None
    for col in table.columns:
        v = pc.cast(pc.is_valid(col), pa.int32())
        filled = v if filled is None else pc.add(filled, v)
    return int(pc.max(filled).as_py())


def _is_whole(plan: ArrowPlan, table: pa.Table) -> bool:
    """Whether pyarrow read the file as the careful reader would: every row and column, no quote left open."""
    if table.num_rows < len(plan.head) or (plan.include is None and table.num_columns != plan.n_cols):
        return False
    last = table.column(f"f{plan.n_cols - 1}")[-1].as_py()
    return not _open_quote_at_end(plan.path, last, plan.codec, plan.delim)


def arrow_finish(plan: ArrowPlan, table: pa.Table | Exception, problems: list[Problem], columns: list[str] | None,
                 failure: list[str] | None = None) -> RawTable | None:
    """The :class:`RawTable` of a pyarrow read, or None when the careful reader must read the file.

    ``failure`` (a list) receives "utf8" when a cell read is not valid UTF-8.
    """
    if isinstance(table, Exception):
        if failure is not None and "invalid UTF8" in str(table):
            failure.append("utf8")
        return None
    if not _is_whole(plan, table):
        return None
    width = None if plan.settled else _widest_row(table)
    raw = plan.raw
    local: list[Problem] = []
    body_start, names = header_layout(plan.head, raw, plan.spec, local, n_rows=table.num_rows, width=width)
    problems.extend(local)
    if columns is not None:  # the last column may have been read for the end-of-file check only
        keep = [f"f{i}" for i in wanted_indices(names, columns)] or [table.column_names[0]]
        table = table.select([c for c in keep if c in table.column_names])
    table = table.slice(body_start)
    n = table.num_rows
    data = {names[int(c[1:])]: pd.arrays.ArrowStringArray(table.column(c)).astype("str")
            for c in table.column_names}
    del table
    frame = pd.DataFrame(data, index=pd.RangeIndex(n))
    frame[ROW] = pd.Series(np.arange(body_start + 1, body_start + 1 + n), index=frame.index, copy=False)
    raw.frame, raw.columns = frame, names
    return raw


def read_csv_arrow(path: Path, spec: TableSpec, problems: list[Problem], enc: str, delim: str,
                   columns: list[str] | None, failure: list[str] | None = None) -> RawTable | None:
    """Read a well-formed CSV with pyarrow's multithreaded reader, only the ``columns`` asked for.

    Returns None whenever the file is not plainly rectangular (bad or short lines, title rows of
    another width, an unclosed quote, undecodable bytes, a single column...): the caller then
    reads it with :func:`read_csv_text`, which reports such problems. The header is found from
    the first rows read as :func:`read_csv_text` would read them, so both readers give the same
    table, rows and messages. ``failure`` (a list) receives "utf8" when a cell read is not valid in
    the encoding (pyarrow checks the UTF-8 of every string cell it reads).

    The work is in three steps (:func:`arrow_plan`, :func:`arrow_read`, :func:`arrow_finish`) so that
    :func:`~npsdiag.io.load` can read the next files on another thread (the middle step only) while it
    types a table.
    """
    plan = arrow_plan(path, spec, enc, delim, columns)
    if plan is None:
        return None
    return arrow_finish(plan, arrow_read(plan), problems, columns, failure)


def _open_quote_at_end(path: Path, last: str | None, enc: str, delim: str) -> bool:
    """Whether the file may end inside a quoted cell (pyarrow reads such a cell to the end without complaint).

    Such a cell can only be the last record's last one (elsewhere the record would lack fields), and
    then the file ends with it as written, right after an opening quote at the start of a field.
    """
    size = path.stat().st_size
    try:
        raw = b'"' + ("" if last is None else last).replace('"', '""').encode(enc)
        starts = {delim.encode(enc), b"\n", b"\r"}
    except UnicodeError:
        return True
    if len(raw) > size:
        return False
    with open(path, "rb") as fh:
        fh.seek(max(size - len(raw) - 1, 0))
        tail = fh.read()
    return tail[-len(raw):] == raw and (len(tail) == len(raw) or tail[:1] in starts)
