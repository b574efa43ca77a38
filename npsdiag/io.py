"""Reading client exports into canonical, typed tables.

Sources may be CSV (delimiter, encoding and decimal comma detected), Excel or
Parquet, and the survey-tool exports of Qualtrics (three header rows) and
SurveyMonkey (two header rows). Columns named in the config are mapped to
canonical fields and typed; every problem is collected as a
:class:`~npsdiag.errors.Problem` naming file, column and rows. The client's
files are only ever read.

The entry point is :func:`load`, which returns a :class:`ClientData`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io as _io
import re
import warnings
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .config import Config, TableSpec, load_config
from .errors import NpsdiagError, Problem, suggest

__all__ = ["ClientData", "RawTable", "load", "from_frames", "read_raw", "parse_scores", "parse_dates", "parse_bool",
           "parse_numbers", "sniff_csv", "detect_dayfirst", "apply_labels", "ROW", "MAX_TEXT_CHARS", "DELIMITERS"]

ROW = "_row"  #: column holding the row number in the source file (1 = first line)
TEXT_FIELDS = ("response_id", "respondent_id", "account_id", "role", "comment", "owner", "status", "name")
DATE_FIELDS = ("responded_at", "invited_at", "followed_up_at", "outcome_at", "start_at")
MAX_TEXT_CHARS = 10_000  #: text cells (comments, names) longer than this are cut, with a warning
DELIMITERS = (",", ";", "\t", "|")  #: delimiters tried when a CSV's delimiter is not given
_SAMPLE_BYTES = 65536


@dataclass
class RawTable:
    """A table as read from its file: strings, its header rows, its detected format."""

    frame: pd.DataFrame
    file: Path
    format: str
    header_lines: int = 1  #: lines before the first record
    notes: list[str] = field(default_factory=list)
    delimiter: str | None = None
    encoding: str | None = None
    decimal: str | None = None
    #: question text per column where the export carries it (Qualtrics' second header row)
    labels: dict[str, str] = field(default_factory=dict)
    sheet: str | int | None = None
    #: every column name of the file, when ``frame`` holds only the columns asked for (see :func:`read_raw`)
    columns: list[str] | None = None


@dataclass
class ClientData:
    """A client's export, loaded and typed.

    Attributes
    ----------
    config : Config
    responses : DataFrame
        Canonical response fields that the config maps (``score`` float,
        dates as datetime64, ids and text as strings), the segment and
        driver columns under their export names, ``score_text`` (the score as
        written, where it was not a number) and ``_row`` (row number in the
        file). All rows as read: exclusions are made by
        :func:`npsdiag.clean.prepare`.
    accounts, invitations, contacts : DataFrame or None
    problems : list of Problem
        Non-fatal problems found while reading (shown in the report).
    sources : dict
        Per table: file, format, rows read.
    """

    config: Config
    responses: pd.DataFrame
    accounts: pd.DataFrame | None = None
    invitations: pd.DataFrame | None = None
    contacts: pd.DataFrame | None = None
    problems: list[Problem] = field(default_factory=list)
    sources: dict[str, dict] = field(default_factory=dict)

    @property
    def settings(self):
        return self.config.settings

    @property
    def response_columns(self) -> list[str]:
        """The columns of ``responses`` (read without assembling responses kept in parts, see :meth:`keep_parts`)."""
        deferred = self.__dict__.get("_parts")
        if deferred is not None and self.__dict__.get("_responses") is None:
            return list(deferred.columns)
        return list(self.responses.columns)

    @property
    def segments(self) -> list[str]:
        """Segment columns available on responses (response and account segments)."""
        cols = set(self.response_columns)
        return [c for c in self.config.responses.segments if c in cols] + [
            c for c in (self.config.tables["accounts"].segments if "accounts" in self.config.tables else [])
            if c in cols and c not in self.config.responses.segments]

    @property
    def drivers(self) -> list[str]:
        cols = set(self.response_columns)
        return [c for c in self.config.responses.drivers if c in cols]

    def keep_parts(self, parts: list[pd.DataFrame], positions: list[np.ndarray],
                   columns: list[str] | None = None) -> None:
        """Hold ``responses`` as row parts that are kept anyway (e.g. analysed and excluded rows), not as a copy.

        ``parts[i]`` holds the rows at ``positions[i]`` of ``responses`` (every row in exactly one part,
        with at least ``responses``' ``columns``, in the same order). ``responses`` then assembles an equal
        frame on each access, so that a large export is not held twice in memory.
        """
        columns = self.response_columns if columns is None else list(columns)
        self.__dict__["_parts"] = _RowParts(parts=parts, positions=positions, columns=columns)
        self.__dict__["_responses"] = None


@dataclass
class _RowParts:
    """A table held as row parts: see :meth:`ClientData.keep_parts`."""

    parts: list[pd.DataFrame]
    positions: list[np.ndarray]
    columns: list[str]
    _last: weakref.ref | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_last": None}

    def frame(self) -> pd.DataFrame:
        """The assembled table; the same object while a caller still holds it (it is not kept otherwise)."""
        last = self._last() if self._last is not None else None
        if last is None:
            last = self.assemble()
            self._last = weakref.ref(last)
        return last

    def assemble(self) -> pd.DataFrame:
        n = sum(len(p) for p in self.positions)
        order = np.empty(n, dtype=np.intp)
        start = 0
        for pos in self.positions:
            order[pos] = np.arange(start, start + len(pos))
            start += len(pos)
        out = {}
        for c in self.columns:
            col = pd.concat([p[c].reset_index(drop=True) for p in self.parts], ignore_index=True)
            out[c] = col.take(order).reset_index(drop=True)
        return pd.DataFrame(out, index=pd.RangeIndex(n), columns=self.columns)


def _get_responses(self: ClientData) -> pd.DataFrame:
    d = self.__dict__
    if "_responses" not in d:  # pickled before responses could be kept in parts
        return d.get("responses")
    if d["_responses"] is None and d.get("_parts") is not None:
        return d["_parts"].frame()
    return d["_responses"]


def _set_responses(self: ClientData, value: pd.DataFrame) -> None:
    self.__dict__["_responses"] = value
    self.__dict__["_parts"] = None
    self.__dict__.pop("responses", None)


# after the dataclass is made: its __init__ assigns through the property
ClientData.responses = property(_get_responses, _set_responses, doc="All response rows as read (see the class).")


# --------------------------------------------------------------------------- reading


def _decode_sample(raw: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding:
        return raw.decode(encoding, errors="replace"), encoding
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(raw) - 4:  # a multi-byte character cut by the sample's end
            return raw[: exc.start].decode("utf-8"), "utf-8"
    return raw.decode("cp1252", errors="replace"), "cp1252"


def _utf8_holds(path: Path) -> bool:
    """Whether the whole file decodes as UTF-8 (checked in 1 MB chunks, without holding it in memory)."""
    dec = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                dec.decode(chunk)
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _records(sample: str, delimiter: str, limit: int = 30) -> list[list[str]]:
    """The first complete records of a text sample split with ``delimiter`` (quote-aware)."""
    if sample.endswith(("\n", "\r")):
        body = sample
    else:  # the sample may end inside a record: drop that last, partial one
        cut = max(sample.rfind("\n"), sample.rfind("\r"))
        body = sample[: cut + 1] if cut > 0 else sample
    rows: list[list[str]] = []
    try:
        for row in csv.reader(_io.StringIO(body), delimiter=delimiter):
            if any(c.strip() for c in row):
                rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def delimiter_scores(sample: str) -> dict[str, tuple[float, int]]:
    """How well each candidate delimiter splits a text sample.

    Returns
    -------
    dict
        Per candidate of :data:`DELIMITERS`: (share of records with as many
        fields as the header, number of header fields).
    """
    out = {}
    for cand in DELIMITERS:
        rows = _records(sample, cand)
        if not rows:
            out[cand] = (0.0, 0)
            continue
        width = len(rows[0])
        body = rows[1:]
        share = float(np.mean([len(r) == width for r in body])) if body else 1.0
        out[cand] = (share if width > 1 else 0.0, width)
    return out


def _choose_delimiter(sample: str) -> str:
    scores = delimiter_scores(sample)
    best = max(DELIMITERS, key=lambda c: (round(scores[c][0], 2), scores[c][1]))
    try:
        sniffed = csv.Sniffer().sniff("\n".join(sample.splitlines()[:50]), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in scores and scores[sniffed][1] > 1 and round(scores[sniffed][0], 2) >= round(scores[best][0], 2):
        return sniffed
    return best if scores[best][1] > 1 else (sniffed or ",")


def _read_sample(path: Path, encoding: str | None, whole: bool = True) -> tuple[str, str]:
    """The first 64 KB as text, and the encoding; UTF-8 only if the whole file decodes (the sample: ``whole=False``)."""
    with open(path, "rb") as fh:
        raw = fh.read(_SAMPLE_BYTES)
    text, enc = _decode_sample(raw, encoding)
    if whole and encoding is None and enc == "utf-8" and path.stat().st_size > _SAMPLE_BYTES \
            and not _utf8_holds(path):
        enc = "cp1252"  # plain ASCII at the top, Windows-1252 further down
        text = raw.decode("cp1252", errors="replace")
    return text, enc


def sniff_csv(path: Path, encoding: str | None = None, delimiter: str | None = None) -> tuple[str, str]:
    """Detect (encoding, delimiter) of a delimited text file.

    Encoding: a BOM, else UTF-8 if the whole file decodes, else Windows-1252
    (a superset of printable Latin-1). Delimiter: the candidate of
    :data:`DELIMITERS` that splits the first records of the first 64 KB
    into the most fields consistently with the header (quote-aware), with
    :class:`csv.Sniffer` as tie-breaker.
    """
    return _sniff_csv(path, encoding, delimiter)


def _sniff_csv(path: Path, encoding: str | None, delimiter: str | None, whole: bool = True) -> tuple[str, str]:
    """:func:`sniff_csv`; with ``whole=False`` UTF-8 is judged from the first 64 KB only (see :func:`read_raw`)."""
    text, enc = _read_sample(path, encoding, whole)
    if delimiter:
        return enc, delimiter
    return enc, _choose_delimiter(text)


def _is_binary(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return b"\x00" in head


def _sniff_kind(path: Path) -> str | None:
    """What a file really is, from its first bytes: 'excel', 'excel-xls', 'parquet', or None."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return "excel"  # xlsx is a zip; other zips fail clearly in the Excel reader
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "excel-xls"
    if head.startswith(b"PAR1"):
        return "parquet"
    return None


def _detect_format(path: Path, spec: TableSpec) -> str:
    if spec.format != "auto":
        return spec.format
    suf = path.suffix.lower()
    if suf in (".xlsx", ".xlsm", ".xls"):
        return "excel"
    if suf in (".parquet", ".pq"):
        return "parquet"
    return "csv"


def _dedupe_headers(names: list) -> tuple[list[str], list[str]]:
    """Column names made unique and non-empty: repeats become 'NAME (2)', blanks 'column N'."""
    cleaned = []
    for i, n in enumerate(names):
        n = "" if n is None or (isinstance(n, float) and np.isnan(n)) else str(n).strip()
        cleaned.append(n or f"column {i + 1}")
    taken = set(cleaned) | {ROW}
    seen: dict[str, int] = {}
    out, dups = [], []
    for n in cleaned:
        if n in seen or n == ROW:
            dups.append(n)
            k = seen.get(n, 1)
            cand = n
            while cand in taken:
                k += 1
                cand = f"{n} ({k})"
            seen[n] = k
            taken.add(cand)
            out.append(cand)
        else:
            seen[n] = 1
            out.append(n)
    return out, dups


@contextlib.contextmanager
def _csv_field_limit(limit: int = 1 << 30):
    """Let Python's csv module read very long cells (a 10 MB comment), restoring the limit after."""
    old = csv.field_size_limit()
    csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _csv_dialect(path: Path, spec: TableSpec, whole: bool = True) -> tuple[str, str]:
    """(encoding, delimiter) of a CSV: the spec's, else detected; bad settings raise :class:`NpsdiagError`.

    ``whole=False``: UTF-8 is judged from the first 64 KB only (see :func:`_sniff_csv`).
    """
    file = str(path)
    try:
        enc, delim = _sniff_csv(path, spec.encoding, spec.delimiter, whole)
    except LookupError:
        raise NpsdiagError(Problem(f"unknown encoding '{spec.encoding}'", file=file, where=f"{spec.name}.encoding",
                                   hint="use e.g. utf-8, cp1252 or latin-1, or remove `encoding:` to detect it")) \
            from None
    if not isinstance(delim, str) or len(delim) != 1:
        raise NpsdiagError(Problem(f"delimiter {delim!r} must be a single character", file=file,
                                   where=f"{spec.name}.delimiter",
                                   hint="e.g. `delimiter: ';'`, or remove `delimiter:` to detect it"))
    return enc, delim


def _csv_kw(enc: str, delim: str) -> dict:
    return dict(sep=delim, encoding=enc, dtype=str, keep_default_na=False, na_values=[""],
                header=None, skip_blank_lines=True, encoding_errors="replace", on_bad_lines="warn")


def _read_csv_text(path: Path, spec: TableSpec, problems: list[Problem], enc: str, delim: str) -> RawTable:
    """Read a whole CSV as strings with pandas' parsers (headerless): the careful path, for any file."""
    file = str(path)
    kw = _csv_kw(enc, delim)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            try:
                frame = pd.read_csv(path, engine="c", **kw, low_memory=False)
            except pd.errors.ParserError as exc:
                eof = re.search(r"EOF inside string starting at row (\d+)", str(exc))
                if eof:
                    raise NpsdiagError(Problem(
                        f"a quoted cell starting on record {int(eof.group(1)) + 1} is never closed: the rest of the "
                        "file would be read as one cell", file=file, rows=[int(eof.group(1)) + 1],
                        hint="check the quotes (\") near that line of the export, or export it again")) from None
                with _csv_field_limit():
                    frame = pd.read_csv(path, engine="python", **kw)
        except pd.errors.EmptyDataError:
            raise NpsdiagError(Problem("the file is empty (no header, no rows)", file=file,
                                       hint="export the survey responses again")) from None
        except (pd.errors.ParserError, csv.Error, UnicodeError, ValueError, OverflowError) as exc:
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise NpsdiagError(Problem(f"cannot read the file as CSV ({first})", file=file,
                                       hint=f"read with delimiter {delim!r} and encoding {enc}; check quotes in the "
                                       "file, or set `delimiter:` / `encoding:` / `format:`")) from None
    bad = [str(w.message) for w in caught if "Skipping line" in str(w.message) or "Expected" in str(w.message)]
    if bad:
        nums = [int(m) for b in bad for m in re.findall(r"line (\d+)", b)]
        problems.append(Problem("some lines have more fields than the header and were skipped",
                                fatal=False, file=file, rows=nums,
                                hint="check quoting of text with delimiters, or set `delimiter:`"))
    if frame.shape[1] == 1:
        text, _ = _read_sample(path, enc)
        better = _choose_delimiter(text)
        if better != delim and delimiter_scores(text)[better][1] > 1:
            problems.append(Problem(
                f"the file was read as a single column with delimiter {delim!r}; it seems to use {better!r}",
                file=file, where=f"{spec.name}.delimiter",
                hint=f"set `delimiter: {better!r}`" + (" (or remove `delimiter:` to detect it)"
                                                        if spec.delimiter else "")))
    return RawTable(frame=frame, file=path, format="csv", header_lines=0, delimiter=delim, encoding=enc)


def _header_layout(f: pd.DataFrame, raw: RawTable, spec: TableSpec, problems: list[Problem],
                   n_rows: int | None = None, width: int | None = None) -> tuple[int, list[str]]:
    """Where the records start and the column names, from the first rows of a headerless table.

    ``f`` holds the table's first rows (at least 23, or all of them); ``n_rows`` is the number of rows
    of the whole table and ``width`` the most cells filled in any of its rows (both default to ``f``'s).
    Sets ``raw.format`` (survey-tool layouts), ``raw.notes``, ``raw.labels`` and ``raw.header_lines``.
    """
    n_rows = len(f) if n_rows is None else n_rows
    where = f"sheet {raw.sheet!r}" if raw.format == "excel" and raw.sheet is not None else None
    if n_rows == 0:
        raise NpsdiagError(Problem("the file is empty" if where is None else "the sheet is empty", file=str(raw.file),
                                   where=where,
                                   hint="export the survey responses again; there is no header and no rows"
                                   + ("" if where is None else ", or set `sheet:` to the sheet with the data")))
    fmt = raw.format
    start = (spec.header_row - 1) if spec.header_row else 0
    if start >= n_rows:
        raise NpsdiagError(Problem(f"header_row {spec.header_row} is beyond the last line read ({n_rows})",
                                   file=str(raw.file), where=f"{spec.name}.header_row",
                                   hint="give the line number of the header (1 = first line), or remove it"))
    if spec.header_row is None and fmt in ("csv", "excel"):
        # Excel sheets with title rows: the header is the first row that is mostly filled.
        filled = f.iloc[:20].notna().sum(axis=1).to_numpy()
        if width is None:
            width = int(f.notna().sum(axis=1).max())
        width = max(width, 1)
        for i in range(min(len(f), 20)):
            if filled[i] >= max(2, 0.5 * width) or filled[i] == width:
                start = i
                break
        if start:
            raw.notes.append(f"{start} title line(s) above the header were skipped")
    first = [("" if pd.isna(v) else str(v)) for v in f.iloc[start].tolist()]
    second = [("" if pd.isna(v) else str(v)) for v in f.iloc[start + 1].tolist()] if n_rows > start + 1 else []
    third = [("" if pd.isna(v) else str(v)) for v in f.iloc[start + 2].tolist()] if n_rows > start + 2 else []
    body_start = start + 1
    names = first
    is_qualtrics = any(v.startswith('{"ImportId"') for v in third[:5])
    is_legacy_qualtrics = first[:2] == ["V1", "V2"] and "ResponseID" in second
    is_surveymonkey = (len(second) > 0 and second[0] == "" and first[:1] == ["Respondent ID"]
                       and any(v in ("Response", "Open-Ended Response") for v in second))
    if fmt == "qualtrics" or is_qualtrics or is_legacy_qualtrics:
        if is_legacy_qualtrics:
            names = [s or f for s, f in zip(second, first)]
            body_start = start + 2
        else:
            body_start = start + (3 if is_qualtrics else 2)
        fmt = "qualtrics"
        raw.notes.append("Qualtrics export: the question-text and ImportId header rows were skipped")
        if not is_legacy_qualtrics:
            question = dict(zip(_dedupe_headers(names)[0], second))
            raw.labels = {k: v.strip() for k, v in question.items() if v.strip() and v.strip() != k}
    elif fmt == "surveymonkey" or is_surveymonkey:
        merged, last = [], ""
        for a, b in zip(first, second + [""] * (len(first) - len(second))):
            if a:
                last = a
            if b in ("", "Response", "Open-Ended Response"):
                merged.append(a or last)
            else:
                merged.append(f"{a or last} - {b}")
        names = merged
        body_start = start + 2
        fmt = "surveymonkey"
        raw.notes.append("SurveyMonkey export: the two header rows were merged")
    names, dups = _dedupe_headers(names)
    if dups:
        problems.append(Problem(f"duplicated column names: {', '.join(sorted(set(dups)))}", fatal=False,
                                file=str(raw.file),
                                hint="the later copies are named 'NAME (2)', 'NAME (3)'; map the one you mean"))
    raw.format, raw.header_lines = fmt, body_start
    return body_start, names


def _apply_header(raw: RawTable, spec: TableSpec, problems: list[Problem]) -> RawTable:
    """Turn the first row(s) of a headerless frame into column names, handling survey-tool layouts."""
    f = raw.frame
    body_start, names = _header_layout(f, raw, spec, problems)
    body = f.iloc[body_start:].set_axis(names, axis=1)  # copy-on-write: no copy of the cells
    body[ROW] = body.index.to_numpy() + 1  # the reader's position: 1 = first line of the file
    raw.frame = body.reset_index(drop=True)
    return raw


def _read_sheet(book: pd.ExcelFile, spec: TableSpec, file: str) -> tuple[pd.DataFrame, str]:
    """The sheet the spec names (default: the first) as a headerless frame, and its name."""
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
    try:
        frame = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
    except Exception as exc:  # noqa: BLE001 - a corrupt sheet is the user's file
        raise NpsdiagError(Problem(f"cannot read sheet {sheet!r} ({type(exc).__name__}: {str(exc)[:120]})",
                                   file=file, where=f"{spec.name}.sheet",
                                   hint="save the workbook again from Excel, or export the sheet as CSV")) \
            from None
    return frame, (book.sheet_names[sheet] if isinstance(sheet, int) else sheet)


_HEAD_ROWS = 30  #: rows read first to find the header before the fast reader reads the whole file


def _wanted_indices(names: list[str], wanted: list[str] | None) -> list[int]:
    """Positions of the columns that :func:`_find_column` picks for ``wanted`` (all columns when None)."""
    if wanted is None:
        return list(range(len(names)))
    keep = set()
    for name in wanted:
        col, _ = _find_column(name, names)
        if col is not None:
            keep.add(names.index(col))
    return sorted(keep)


def _read_csv_arrow(path: Path, spec: TableSpec, problems: list[Problem], enc: str, delim: str,
                    columns: list[str] | None, failure: list[str] | None = None) -> RawTable | None:
    """Read a well-formed CSV with pyarrow's multithreaded reader, only the ``columns`` asked for.

    Returns None whenever the file is not plainly rectangular (bad or short lines, title rows of
    another width, an unclosed quote, undecodable bytes, a single column...): the caller then
    reads it with :func:`_read_csv_text`, which reports such problems. The header is found from
    the first rows read as :func:`_read_csv_text` would read them, so both readers give the same
    table, rows and messages. ``failure`` (a list) receives "utf8" when a cell read is not valid in
    the encoding (pyarrow checks the UTF-8 of every string cell it reads).

    The work is in three steps (:func:`_arrow_plan`, :func:`_arrow_read`, :func:`_arrow_finish`) so that
    :func:`load` can read the next files on another thread (the middle step only) while it types a table.
    """
    plan = _arrow_plan(path, spec, enc, delim, columns)
    if plan is None:
        return None
    return _arrow_finish(plan, _arrow_read(plan), problems, columns, failure)


@dataclass
class _ArrowPlan:
    """What :func:`_arrow_read` needs to read a CSV with pyarrow, and what :func:`_arrow_finish` needs after."""

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


def _arrow_plan(path: Path, spec: TableSpec, enc: str, delim: str, columns: list[str] | None) -> _ArrowPlan | None:
    """The header rows read by pandas and the options of the pyarrow read; None when the careful reader must read."""
    if spec.header_row is not None and spec.header_row > 20:
        return None
    codec = "utf-8" if codecs.lookup(enc).name == "utf-8-sig" else enc
    if '"a'.encode(codec) != b'"a':  # not ASCII-compatible (UTF-16): the end-of-file check below needs it
        return None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            head = pd.read_csv(path, engine="c", nrows=_HEAD_ROWS, **_csv_kw(enc, delim))
        except Exception:  # noqa: BLE001 - the careful reader reports it
            return None
    if caught or len(head) < _HEAD_ROWS or head.shape[1] < 2:
        return None  # ragged at the top, a single column, or small enough for the careful reader
    n_cols = head.shape[1]
    raw = RawTable(frame=head, file=path, format=spec.format if spec.format in ("qualtrics", "surveymonkey")
                   else "csv", header_lines=0, delimiter=delim, encoding=enc)
    filled0 = int(head.iloc[0].notna().sum())
    # the header row is known from the first rows unless title rows are sought and the first row is not full
    settled = spec.header_row is not None or raw.format not in ("csv", "excel") or filled0 == n_cols
    include = None
    if settled:
        probe = RawTable(frame=head, file=path, format=raw.format)
        names = _header_layout(head, probe, spec, [])[1]
        wanted = _wanted_indices(names, columns)
        include = [f"f{i}" for i in sorted({*wanted, n_cols - 1})] if wanted else None
    # without a quote character in the file no cell holds a line break: pyarrow then splits the blocks at any
    # line break, a cheaper parallel read than the quote-aware one
    quoted = _holds_byte(path, b'"')
    return _ArrowPlan(path=path, spec=spec, enc=enc, delim=delim, codec=codec, head=head, raw=raw, settled=settled,
                      include=include, quoted=quoted)


def _arrow_read(plan: _ArrowPlan) -> pa.Table | Exception:
    """The whole file read by pyarrow as the plan says, or the exception it raised (pyarrow only: any thread)."""
    from pyarrow import csv as pacsv

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


def _arrow_finish(plan: _ArrowPlan, table: pa.Table | Exception, problems: list[Problem], columns: list[str] | None,
                  failure: list[str] | None = None) -> RawTable | None:
    """The :class:`RawTable` of a pyarrow read, or None when the careful reader must read the file."""
    if isinstance(table, Exception):
        if failure is not None and "invalid UTF8" in str(table):
            failure.append("utf8")
        return None
    path, spec, head, raw, n_cols = plan.path, plan.spec, plan.head, plan.raw, plan.n_cols
    if table.num_rows < len(head) or (plan.include is None and table.num_columns != n_cols):
        return None
    if _open_quote_at_end(path, table.column(f"f{n_cols - 1}")[-1].as_py(), plan.codec, plan.delim):
        return None
    width = None
    if not plan.settled:  # the most cells filled in any row, as the careful reader measures it
        filled = None
        for col in table.columns:
            v = pc.cast(pc.is_valid(col), pa.int32())
            filled = v if filled is None else pc.add(filled, v)
        width = int(pc.max(filled).as_py())
    local: list[Problem] = []
    body_start, names = _header_layout(head, raw, spec, local, n_rows=table.num_rows, width=width)
    problems.extend(local)
    if columns is not None:  # the last column may have been read for the end-of-file check only
        keep = [f"f{i}" for i in _wanted_indices(names, columns)] or [table.column_names[0]]
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


def _holds_byte(path: Path, byte: bytes) -> bool:
    """Whether the file holds ``byte`` anywhere (a memory-mapped search: the file is not read into memory)."""
    import mmap

    try:
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return m.find(byte) >= 0
    except (OSError, ValueError):  # not mappable: assume it does
        return True


def _parquet_columns(path: Path, wanted: list[str] | None) -> tuple[list[str], list[str] | None]:
    """(every data column of a Parquet file, the ones to read); None = read all (duplicated names, no list)."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    index = set()
    if schema.pandas_metadata:
        index = {c for c in schema.pandas_metadata.get("index_columns", []) if isinstance(c, str)}
    names = [n for n in schema.names if n not in index]
    clean, dups = _dedupe_headers(names)
    if wanted is None or dups or clean != names:
        return names, None
    return names, [names[i] for i in _wanted_indices(names, wanted)] or None


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


def read_raw(spec: TableSpec, problems: list[Problem] | None = None, columns: list[str] | None = None) -> RawTable:
    """Read one table's file as strings, with its header resolved.

    ``columns``: the column names needed (matched as the config's names are); the others may be
    left unread (``RawTable.columns`` still lists every column of the file). Default: all.

    Raises :class:`NpsdiagError` when the file cannot be read at all
    (missing, empty, binary, unknown sheet, not parseable).
    """
    return _read_raw(spec, problems, columns)


def _read_raw(spec: TableSpec, problems: list[Problem] | None = None, columns: list[str] | None = None,
              pending: tuple[_ArrowPlan, Future] | None = None) -> RawTable:
    """:func:`read_raw`; ``pending``: the file's pyarrow read started ahead by :func:`_read_ahead`."""
    problems = problems if problems is not None else []
    path = Path(spec.path)
    file = str(path)
    if not path.exists():
        raise NpsdiagError(Problem("file not found", file=file, where=f"{spec.name}.path",
                                   hint="paths are relative to the config file's folder"))
    if path.is_dir():
        raise NpsdiagError(Problem("this is a folder, not a file", file=file, where=f"{spec.name}.path"))
    if path.stat().st_size == 0:
        raise NpsdiagError(Problem("the file is empty (0 bytes)", file=file,
                                   hint="export the survey responses again"))
    fmt = _detect_format(path, spec)
    kind = _sniff_kind(path)
    content_note = None
    if spec.format == "auto" and fmt == "csv" and kind in ("excel", "excel-xls", "parquet"):
        fmt = "parquet" if kind == "parquet" else "excel"
        content_note = f"the file is {'a Parquet file' if kind == 'parquet' else 'an Excel workbook'} " \
                       "despite its name; read as such"
    if fmt == "parquet":
        try:
            names, read = _parquet_columns(path, columns)
            frame = pd.read_parquet(path, columns=read)
        except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file
            raise NpsdiagError(Problem(f"cannot read as Parquet: {str(exc)[:200]}", file=file,
                                       hint="check the file, or set `format:` to csv or excel")) from None
        frame = frame.reset_index(drop=True)
        if read is None:  # every column
            names, dups = _dedupe_headers(list(frame.columns))
            frame.columns = names
        else:  # the columns asked for, among names that are unique already
            names, dups = _dedupe_headers(names)
            frame.columns = [names[i] for i in _wanted_indices(names, columns)]
        if dups:
            problems.append(Problem(f"duplicated column names: {', '.join(sorted(set(dups)))}", fatal=False,
                                    file=file, hint="the later copies are named 'NAME (2)', 'NAME (3)'"))
        frame[ROW] = np.arange(2, len(frame) + 2)
        raw = RawTable(frame=frame, file=path, format="parquet", columns=names)
        if content_note:
            raw.notes.append(content_note)
        return raw
    if fmt == "excel":
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
        frame = frame.dropna(axis=1, how="all") if len(frame) else frame
        frame.columns = range(frame.shape[1])
        raw = RawTable(frame=frame, file=path, format="excel", header_lines=0, sheet=sheet_name)
        if content_note:
            raw.notes.append(content_note)
        return _apply_header(raw, spec, problems)
    if _is_binary(path):
        raise NpsdiagError(Problem("this is not a text (CSV) file", file=file,
                                   hint="export as CSV, or set `format: excel` / `format: parquet`; a UTF-16 "
                                   "file without a byte-order mark needs `encoding: utf-16`"))
    # UTF-8 is judged from the first 64 KB: pyarrow checks every cell it reads, and when it cannot read the file
    # the whole file is checked as sniff_csv checks it (plain ASCII at the top, Windows-1252 further down)
    failure: list[str] = []
    if pending is not None:
        plan, future = pending
        enc, delim = plan.enc, plan.delim
        fast = _arrow_finish(plan, future.result(), problems, columns, failure)
        del plan, future, pending
    else:
        enc, delim = _csv_dialect(path, spec, whole=False)
        fast = _read_csv_arrow(path, spec, problems, enc, delim, columns, failure)
    if fast is None and spec.encoding is None and enc == "utf-8" and path.stat().st_size > _SAMPLE_BYTES \
            and not _utf8_holds(path):
        enc = "cp1252"
        if failure:
            fast = _read_csv_arrow(path, spec, problems, enc, delim, columns)
    if fast is not None:
        return fast
    raw = _read_csv_text(path, spec, problems, enc, delim)
    if spec.format in ("qualtrics", "surveymonkey"):
        raw.format = spec.format
    return _apply_header(raw, spec, problems)


def _read_ahead(spec: TableSpec, columns: list[str] | None,
                pool: ThreadPoolExecutor) -> tuple[_ArrowPlan, Future] | None:
    """Start the pyarrow read of a CSV on ``pool`` (None when :func:`read_raw` would not read it with pyarrow).

    Only the pyarrow read runs on the pool's thread; every check that can report a problem is left to
    :func:`read_raw`, which reads the file itself whenever this returns None.
    """
    try:
        path = Path(spec.path)
        if not path.is_file() or path.stat().st_size == 0:
            return None
        fmt = _detect_format(path, spec)
        if spec.format == "auto" and fmt == "csv" and _sniff_kind(path) in ("excel", "excel-xls", "parquet"):
            return None
        if fmt in ("parquet", "excel") or _is_binary(path):
            return None
        enc, delim = _csv_dialect(path, spec, whole=False)
        plan = _arrow_plan(path, spec, enc, delim, columns)
    except Exception:  # noqa: BLE001 - read_raw reports it
        return None
    return None if plan is None else (plan, pool.submit(_arrow_read, plan))


# --------------------------------------------------------------------------- parsing values

_NUM_RE = re.compile(r"^\s*([-+]?\d+(?:[.,]\d+)?)\s*(?:$|[-–—:=(]|\s)")
_MISSING = {"", "na", "n/a", "nan", "none", "null", "-", "--", ".", "#n/a", "missing", "not applicable"}
#: the longest value (in UTF-8 bytes) that lower-cases to a word of _MISSING: only 'İ' (2 bytes, to 'i') and
#: the Kelvin sign (3 bytes, to 'k') lower-case from non-ASCII to ASCII
_MISSING_BYTES = max(len(w) + w.count("i") + 2 * w.count("k") for w in _MISSING)


def _arrow_strings(values: pd.Series) -> pa.ChunkedArray:
    """The values as pyarrow strings, as ``values.astype("string")`` holds them (no copy for string columns)."""
    arr = values.astype("string").array
    if getattr(arr.dtype, "storage", None) != "pyarrow":
        arr = arr.astype(pd.StringDtype("pyarrow"))
    out = arr.__arrow_array__()
    out = out if isinstance(out, pa.ChunkedArray) else pa.chunked_array([out])
    return out if pa.types.is_large_string(out.type) else out.cast(pa.large_string())


def _string_series(arr: pa.ChunkedArray, index: pd.Index, name=None) -> pd.Series:
    """A pandas "string" Series over pyarrow strings, without copying them."""
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=index, name=name, copy=False)


def _has_edge_space(arr: pa.ChunkedArray) -> bool:
    """Whether any value might start or end with whitespace: its first or last byte is not printable ASCII."""
    for chunk in arr.chunks:
        if len(chunk) == 0 or chunk.null_count == len(chunk):
            continue
        if not pa.types.is_large_string(chunk.type):
            return True
        _, offsets, data = chunk.buffers()
        if data is None or data.size == 0:  # every value empty or missing
            continue
        off = np.frombuffer(offsets, dtype=np.int64)[chunk.offset: chunk.offset + len(chunk) + 1]
        b = np.frombuffer(data, dtype=np.uint8)
        # an empty or missing value points at a neighbour's first or last byte (checked anyway), or at a byte
        # outside the chunk: at worst a column is stripped for nothing, never left unstripped
        first, last = b[np.minimum(off[:-1], len(b) - 1)], b[off[1:] - 1]
        if (first - np.uint8(0x21) >= np.uint8(0x5E)).any() or (last - np.uint8(0x21) >= np.uint8(0x5E)).any():
            return True
    return False


def _byte_at(arr: pa.ChunkedArray, i: int, rows: np.ndarray) -> np.ndarray:
    """Byte ``i`` of each value of a large_string array at the ``rows`` (boolean) that are long enough; 0 elsewhere."""
    out = np.zeros(len(arr), dtype=np.uint8)
    at = 0
    for chunk in arr.chunks:
        n = len(chunk)
        _, offsets, data = chunk.buffers()
        if n and data is not None:
            off = np.frombuffer(offsets, dtype=np.int64)[chunk.offset: chunk.offset + n + 1]
            take = rows[at: at + n] & (off[1:] - off[:-1] > i)
            out[at: at + n][take] = np.frombuffer(data, dtype=np.uint8)[off[:-1][take] + i]
        at += n
    return out


def _stripped(values: pd.Series) -> pa.ChunkedArray:
    """``values.astype("string").str.strip()`` as pyarrow strings (the same pyarrow kernel).

    Columns where no value starts or ends with a space, a control or a non-ASCII character are returned
    as they are (no copy): stripping would not change them.
    """
    arr = _arrow_strings(values)
    return pc.utf8_trim_whitespace(arr) if _has_edge_space(arr) else arr


def _to_numpy_bool(arr: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A pyarrow boolean array as numpy, nulls as False."""
    if arr.null_count:
        arr = pc.fill_null(arr, False)
    return arr.to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _lower(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """Lower case (ASCII kernel when every value is ASCII: the same result, many times faster)."""
    ascii_only = pc.all(pc.string_is_ascii(arr)).as_py()
    return pc.ascii_lower(arr) if ascii_only in (True, None) else pc.utf8_lower(arr)


def parse_scores(values: pd.Series, decimal: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Scores as numbers, reading labels such as "10 - Extremely likely".

    Returns
    -------
    (score, invalid)
        ``score`` float (NaN when missing or unreadable) and ``invalid``, a
        boolean Series true where something was written that is not a score
        (text, "N/A" and the like count as missing, not invalid).

    Notes
    -----
    Plain whole numbers (the bulk of any export) are converted at once by
    pyarrow; only the other values go through the label and decimal-comma
    reading.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        s = values.astype("float64")
        return s, pd.Series(False, index=values.index)
    arr = _stripped(values)
    invalid = np.zeros(len(values), dtype=bool)
    plain = _to_numpy_bool(pc.and_(pc.ascii_is_decimal(arr), pc.less_equal(pc.binary_length(arr), 15)))
    rest = _to_numpy_bool(arr.is_valid()) & ~plain
    if not rest.any():  # plain numbers or missing throughout (most exports): one cast, missing values NaN
        num = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        num = num if num.flags.writeable else num.copy()
        return pd.Series(num, index=values.index, name=values.name, copy=False), \
            pd.Series(invalid, index=values.index, name=values.name, copy=False)
    num = np.full(len(values), np.nan)
    if plain.any():
        num[plain] = pc.cast(pc.filter(arr, pa.array(plain)), pa.float64()).to_numpy(zero_copy_only=False)
    if rest.any():
        text = _string_series(pc.filter(arr, pa.array(rest)), values.index[rest])
        num[rest], invalid[rest] = _parse_score_text(text, decimal)
    return pd.Series(num, index=values.index, name=values.name, copy=False), \
        pd.Series(invalid, index=values.index, name=values.name, copy=False)


def _parse_score_text(text: pd.Series, decimal: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(score, invalid) of stripped non-missing values that are not plain whole numbers."""
    num = pd.to_numeric(text.str.replace(",", ".", regex=False) if decimal == "," else text,
                        errors="coerce").astype("float64")
    need = num.isna() & text.notna()
    if need.any():
        sub = text[need]
        extracted = sub.str.extract(_NUM_RE, expand=False).str.replace(",", ".", regex=False)
        num.loc[need] = pd.to_numeric(extracted, errors="coerce").astype("float64").to_numpy()
    missing_words = text.str.lower().isin(_MISSING)
    invalid = (num.isna() & text.notna() & ~missing_words).fillna(False).astype(bool)
    return num.to_numpy(dtype="float64"), invalid.to_numpy()


def parse_numbers(values: pd.Series, decimal: str | None = None) -> pd.Series:
    """Numbers written with currency signs, thousands separators or decimal commas.

    Notes
    -----
    A column of plain numbers (``1234`` or ``-1234.5``, the bulk of CRM exports) is converted at once by
    pyarrow; only other columns go through the currency, separator and decimal-comma reading.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    if decimal != ",":
        arr = _stripped(values)
        if pc.all(pc.match_substring_regex(arr, _PLAIN_NUMBER)).as_py() in (True, None):
            # nothing to remove and no comma to read: the general reading would give the same numbers
            num = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
            return pd.Series(num, index=values.index, name=values.name, copy=False)
    text = values.astype("string").str.strip().str.replace(r"[^\d,.\-+eE]", "", regex=True)
    if decimal is None:
        sample = text.dropna().head(1000)
        comma_dec = sample.str.match(r"^-?\d{1,3}(\.\d{3})*,\d+$|^-?\d+,\d{1,2}$").mean() if len(sample) else 0
        decimal = "," if comma_dec > 0.5 else "."
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("float64")


_PLAIN_NUMBER = r"^-?[0-9]+(?:\.[0-9]+)?$"  #: numbers pyarrow reads as pandas reads them


_TRUE = {"1", "true", "yes", "y", "t", "churned", "churn", "lost", "cancelled", "canceled", "closed lost", "1.0"}
_FALSE = {"0", "false", "no", "n", "f", "renewed", "active", "retained", "stayed", "won", "closed won", "0.0"}


def parse_bool(values: pd.Series, true_values: list[str] | None = None) -> tuple[pd.Series, pd.Series]:
    """Boolean-like values (1/0, true/false, yes/no, churned/renewed).

    With ``true_values`` (``churn_values`` in the config) a status column is
    read: those values are True, any other non-empty value False.

    Returns
    -------
    (flag, unreadable)
        ``flag`` nullable boolean; ``unreadable`` true where a value was given
        that could not be read.
    """
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean"), pd.Series(False, index=values.index)
    text = values.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    if true_values:
        tv = {str(v).strip().lower() for v in true_values}
        out[text.notna()] = text[text.notna()].isin(tv)
        return out, pd.Series(False, index=values.index)
    out[text.isin(_TRUE).fillna(False).astype(bool)] = True
    out[text.isin(_FALSE).fillna(False).astype(bool)] = False
    unreadable = (out.isna() & text.notna()).astype(bool)
    return out, unreadable


_EARLIEST, _LATEST = pd.Timestamp("1900-01-01"), pd.Timestamp("2200-12-31")  #: dates outside are unreadable
_DMY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\b")


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
    """
    return _dayfirst_at(text, np.flatnonzero(text.notna().to_numpy()))


def _dayfirst_at(text: pd.Series, pos: np.ndarray) -> tuple[bool | None, str]:
    """:func:`detect_dayfirst` over the values of ``text`` at positions ``pos`` (its non-missing values)."""
    if len(pos) <= 5_000:
        return _dayfirst_votes(_at(text, pos))
    rng = np.random.default_rng(0)
    verdict = _dayfirst_votes(_at(text, np.sort(rng.choice(pos, 5_000, replace=False))))
    if verdict[0] is not None or verdict[1] == "no day/month dates":
        return verdict
    big = pos if len(pos) <= 200_000 else np.sort(rng.choice(pos, 200_000, replace=False))
    return _dayfirst_votes(_at(text, big))


def _at(values: pd.Series, pos: np.ndarray) -> pd.Series:
    """``values.iloc[pos]`` for increasing positions, selected by a boolean mask (pyarrow filters chunk by chunk;
    ``iloc`` with no position at all took half a second on a column of 2.8 million dates read in blocks)."""
    if len(pos) == 0:
        return values.iloc[:0]
    mask = np.zeros(len(values), dtype=bool)
    mask[pos] = True
    return values[mask]


#: formats whose values pyarrow's strict ISO-8601 cast reads exactly as pandas does, with their width
_ISO_WIDTH = {"%Y-%m-%d": 10, "%Y-%m-%d %H:%M": 16, "%Y-%m-%dT%H:%M": 16, "%Y-%m-%d %H:%M:%S": 19,
              "%Y-%m-%dT%H:%M:%S": 19}


def parse_dates(values: pd.Series, dayfirst: bool | None = None) -> tuple[pd.Series, pd.Series, str | None]:
    """Dates and times from an export, any common format, as naive datetime64.

    A format is guessed from the values and applied to the whole column
    (fast); values it does not fit are parsed one by one. Time zones are
    converted to UTC and dropped.

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
    """
    note = None
    if pd.api.types.is_datetime64_any_dtype(values):
        s = values
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        return s.astype("datetime64[ns]"), pd.Series(False, index=values.index), None
    arr = _stripped(values)
    n = len(values)
    valid = _to_numpy_bool(arr.is_valid())
    lengths = pc.fill_null(pc.binary_length(arr), 0).to_numpy(zero_copy_only=False)
    missing = np.zeros(n, dtype=bool)
    short = valid & (lengths <= _MISSING_BYTES)  # only these can be words such as "N/A"
    if short.any():
        missing[short] = _to_numpy_bool(pc.is_in(_lower(pc.filter(arr, pa.array(short))),
                                                 value_set=pa.array(sorted(_MISSING), pa.large_string())))
    present = valid & ~missing
    text = _string_series(arr, values.index)
    if missing.any():
        text = text.mask(missing)
    out = None
    first = str(text.iloc[int(np.argmax(present))]) if present.any() else None
    rest = present
    iso_fmt = _guess_format(first, bool(dayfirst)) if first is not None else None
    if iso_fmt in _ISO_WIDTH:  # ISO values are read at once; they can never look like d/m/y dates
        iso = present & (lengths == _ISO_WIDTH[iso_fmt])
        if len(iso_fmt) > 8 and iso.any():  # the date-time separator as in the format ('T' or ' ')
            iso &= _byte_at(arr, 10, iso) == ord(iso_fmt[8])
        try:  # strict: one value that is not a valid ISO date fails the whole cast
            stamps = pc.cast(arr if iso.sum() == valid.sum() else pc.filter(arr, pa.array(iso)), pa.timestamp("ns"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            stamps = None
        if stamps is not None:
            stamps = stamps.to_numpy(zero_copy_only=False).astype("datetime64[ns]", copy=False)
            if len(stamps) == n:  # every value given is an ISO date: missing ones are NaT already
                out = stamps if stamps.flags.writeable else stamps.copy()
            else:
                out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
                out[iso] = stamps
            rest = present & ~iso
    if out is None:
        out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if dayfirst is None:
        dayfirst, reason = _dayfirst_at(text, np.flatnonzero(rest))
        if dayfirst is None and reason.startswith(("every", "dates are written")):
            note = (f"day/month order is ambiguous: {reason}; read as month first. "
                    "Set `dayfirst: true` (or false) in the config to be sure.")
    if first is None:
        return pd.Series(out, index=values.index, copy=False), pd.Series(False, index=values.index), note
    fmt = _guess_format(first, bool(dayfirst))
    if fmt != iso_fmt and rest is not present:  # day-first turns the guess into another format: read all with it
        out[:] = np.datetime64("NaT")
        rest = present
    if rest.any():
        out[rest] = _parse_date_text(text[rest], fmt, bool(dayfirst))
    plausible = (out >= _EARLIEST.to_datetime64()) & (out <= _LATEST.to_datetime64())  # '1.234,90' is no date
    out[~plausible] = np.datetime64("NaT")
    return (pd.Series(out, index=values.index, copy=False),
            pd.Series(np.isnat(out) & present, index=values.index, copy=False), note)


def _guess_format(value: str, dayfirst: bool) -> str | None:
    """pandas' guess of the strftime format of one date (None when it has none)."""
    try:
        from pandas.tseries.api import guess_datetime_format

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return guess_datetime_format(value, dayfirst=dayfirst)
    except Exception:  # noqa: BLE001
        return None


def _parse_date_text(non_null: pd.Series, fmt: str | None, dayfirst: bool) -> np.ndarray:
    """Dates of stripped non-missing values: the format where it fits, else each value on its own."""
    def to_datetime(values: pd.Series, **kw) -> pd.Series:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return pd.to_datetime(values, errors="coerce", **kw)
            except ValueError:  # offsets mixed with local times: local times are taken as UTC
                return pd.to_datetime(values, errors="coerce", utc=True, **kw).dt.tz_localize(None)

    parsed = None
    if fmt:
        parsed = to_datetime(non_null, format=fmt)
    if parsed is None or parsed.isna().any():
        rest = non_null if parsed is None else non_null[parsed.isna()]
        more = to_datetime(rest, format="mixed", dayfirst=dayfirst)
        if parsed is not None and isinstance(more.dtype, pd.DatetimeTZDtype) != isinstance(parsed.dtype,
                                                                                          pd.DatetimeTZDtype):
            more, parsed = (x.dt.tz_convert("UTC").dt.tz_localize(None) if isinstance(x.dtype, pd.DatetimeTZDtype)
                            else x for x in (more, parsed))
        parsed = more if parsed is None else parsed.where(parsed.notna(), more)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    elif parsed.dtype == object:
        parsed = pd.to_datetime(parsed, utc=True, errors="coerce").dt.tz_localize(None)
    plausible = parsed.notna() & (parsed >= _EARLIEST) & (parsed <= _LATEST)
    return parsed.where(plausible).astype("datetime64[ns]").to_numpy()


# --------------------------------------------------------------------------- mapping


def _find_column(name: str, columns: list[str]) -> tuple[str | None, str | None]:
    """Exact column, else one equal but for case/spaces; returns (column, suggestion)."""
    if name in columns:
        return name, None
    norm = {re.sub(r"\s+", " ", c).strip().lower(): c for c in columns}
    key = re.sub(r"\s+", " ", name).strip().lower()
    if key in norm:
        return norm[key], None
    return None, suggest(name, [c for c in columns if c != ROW])


def _label_key(values: pd.Series) -> pd.Series:
    return values.astype("string").str.replace(r"\s+", " ", regex=True).str.strip().str.lower()


def apply_labels(values: pd.Series, labels: dict[str, float] | None) -> pd.Series:
    """Replace answer labels by their numbers (``score_labels`` in the config).

    Matching ignores case and repeated or surrounding whitespace (survey
    tools export labels with trailing spaces and newlines). Values that are
    not listed are left as they are, for :func:`parse_scores`.

    Examples
    --------
    >>> apply_labels(pd.Series(["Extremely satisfied ", "3", None]), {"extremely satisfied": 5}).tolist()
    ['5', '3', <NA>]
    """
    if not labels:
        return values
    table = {re.sub(r"\s+", " ", str(k)).strip().lower(): f"{v:g}" for k, v in labels.items()}
    text = values.astype("string")
    mapped = _label_key(text).map(table)
    return text.where(mapped.isna(), mapped.astype("string"))


def _text(values: pd.Series, what: str, file: str, frame: pd.DataFrame, problems: list[Problem]) -> pd.Series:
    """Text values stripped, blanks as missing, cells longer than :data:`MAX_TEXT_CHARS` cut with a warning."""
    arr = _stripped(values)
    nbytes = pc.binary_length(arr)
    if pc.any(pc.equal(nbytes, 0)).as_py():
        arr = pc.if_else(pc.equal(nbytes, 0), pa.scalar(None, arr.type), arr)
    s = _string_series(arr, values.index, values.name)
    if (pc.max(nbytes).as_py() or 0) <= MAX_TEXT_CHARS:  # bytes >= characters: nothing to cut
        return s
    lengths = s.str.len()
    long = (lengths > MAX_TEXT_CHARS).fillna(False).astype(bool)
    if long.any():
        longest = int(lengths.max())
        s = s.where(~long, s.str.slice(0, MAX_TEXT_CHARS) + " …")
        problems.append(Problem(f"{int(long.sum())} value(s) in '{what}' are longer than {MAX_TEXT_CHARS:,} "
                                f"characters (up to {longest:,}) and were cut", fatal=False, file=file, where=what,
                                rows=frame.loc[long, ROW].tolist(),
                                hint="check the export: such cells usually hold a pasted document or a broken "
                                "quote that swallowed the following rows"))
    return s


def _single_column_hint(cols: list[str]) -> str | None:
    if len(cols) != 1:
        return None
    counts = {d: cols[0].count(d) for d in DELIMITERS}
    d = max(counts, key=counts.get)
    if counts[d] == 0:
        return None
    return f"the file was read as a single column: it seems to use {d!r} as delimiter; set `delimiter: {d!r}`"


def _map_table(raw: RawTable, spec: TableSpec, cfg: Config, problems: list[Problem]) -> pd.DataFrame:
    frame = raw.frame
    file = str(raw.file)
    cols = [c for c in (raw.columns if raw.columns is not None else frame.columns) if c != ROW]
    out = pd.DataFrame(index=frame.index)
    out[ROW] = frame[ROW]
    settings = cfg.settings
    dayfirst = spec.dayfirst if spec.dayfirst is not None else settings.dayfirst
    one_col = _single_column_hint([str(c) for c in cols])

    def missing(field_key: str, name: str, sug: str | None) -> None:
        shown = ", ".join(repr(c)[1:-1] for c in cols[:12]) + (" …" if len(cols) > 12 else "")
        problems.append(Problem(f"column '{name}' not found", file=file, where=field_key,
                                hint=one_col or (f"did you mean '{sug}'?" if sug else f"columns in the file: {shown}")))

    for fld, name in spec.columns.items():
        col, sug = _find_column(name, cols)
        if col is None:
            missing(f"{spec.name}.columns.{fld}", name, sug)
            continue
        values = frame[col]
        if fld == "score":
            score, invalid = parse_scores(apply_labels(values, spec.score_labels), spec.decimal)
            out["score"] = score
            text = _text(values, col, file, frame, problems)  # the score as written where it is not a number
            out["score_text"] = _string_series(pc.if_else(pa.array(invalid.to_numpy()), _arrow_strings(text),
                                                          pa.scalar(None, pa.large_string())), text.index, text.name)
        elif fld in DATE_FIELDS:
            dates, unreadable, note = parse_dates(values, dayfirst)
            out[fld] = dates
            if unreadable.any():
                rows = frame.loc[unreadable, ROW].tolist()
                example = str(values[unreadable].iloc[0])
                example = example if len(example) <= 60 else example[:60] + "…"
                problems.append(Problem(f"{int(unreadable.sum())} value(s) in '{col}' are not dates "
                                        f"(e.g. {example!r})", fatal=False, file=file,
                                        where=f"{spec.name}.columns.{fld}", rows=rows,
                                        hint="they are treated as missing"))
                out[f"{fld}_unreadable"] = unreadable.to_numpy()
            if note:
                problems.append(Problem(note, fatal=False, file=file, where=f"{spec.name}.columns.{fld}"))
        elif fld == "churned":
            flag, unreadable = parse_bool(values, spec.churn_values)
            out["churned"] = flag
            if unreadable.any():
                examples = ", ".join(repr(v[:40]) for v in values[unreadable].astype(str).unique()[:3])
                problems.append(Problem(f"{int(unreadable.sum())} value(s) in '{col}' are not yes/no "
                                        f"({examples})", fatal=False, file=file,
                                        where=f"{spec.name}.columns.churned",
                                        rows=frame.loc[unreadable, ROW].tolist(),
                                        hint="give `churn_values: [...]` listing the values that mean churned"))
        elif fld == "revenue":
            out["revenue"] = parse_numbers(values, spec.decimal)
        elif fld == "finished":
            flag, _ = parse_bool(values)
            out["finished"] = flag
        else:
            out[fld] = _text(values, col, file, frame, problems)
    if spec.survey_date and "responded_at" not in out and spec.name == "responses":
        out["responded_at"] = pd.Series(pd.Timestamp(spec.survey_date), index=out.index, dtype="datetime64[ns]")
        no_id = "response_id" not in out
        if no_id:  # identical answers on one date are not evidence of a duplicate: each row is its own response
            out["response_id"] = "row " + out[ROW].astype(str)
        problems.append(Problem(f"the export has no response dates: every response is dated {spec.survey_date} "
                                "(`survey_date`)" + ("; without dates or response ids, identical rows are not "
                                                     "treated as duplicates" if no_id else ""),
                                fatal=False, file=file, where=f"{spec.name}.survey_date",
                                hint="trends, feed gaps and timing cannot be assessed; map `responded_at` if the "
                                "survey tool can export the submission date"))
    extra = list(dict.fromkeys(spec.segments + spec.drivers))
    for name in extra:
        col, sug = _find_column(name, cols)
        is_driver = name in spec.drivers
        key = f"{spec.name}.{'drivers' if is_driver else 'segments'}"
        if col is None:
            missing(key, name, sug)
            continue
        if name in out.columns:
            problems.append(Problem(f"'{name}' is also a canonical field name", file=file, where=key,
                                    hint="rename the column in a copy of the export"))
            continue
        if is_driver:
            values = parse_scores(apply_labels(frame[col], spec.score_labels), spec.decimal)[0]
        else:
            values = _text(frame[col], col, file, frame, problems)
        if len(values) and values.isna().all():
            what = "has no numeric value" if is_driver and frame[col].notna().any() else "is empty in every row"
            problems.append(Problem(f"{'driver' if is_driver else 'segment'} '{name}' {what}; it is left out",
                                    fatal=False, file=file, where=key,
                                    hint="check that the right column is listed, or remove it"))
            continue
        out[name] = values
    return out


def _check_empty_columns(frame: pd.DataFrame, spec: TableSpec, file: str, problems: list[Problem]) -> None:
    for fld in spec.columns:
        if fld == "score" and "score_text" in frame and len(frame) and frame["score"].isna().all() \
                and frame["score_text"].notna().any():
            example = str(frame["score_text"].dropna().iloc[0])[:60]
            problems.append(Problem(f"no value in the column mapped to 'score' ('{spec.columns[fld]}') is a number "
                                    f"(e.g. {example!r})", file=file, where=f"{spec.name}.columns.score",
                                    hint="map the likelihood-to-recommend (0-10) column; labels need a leading "
                                    "number such as '10 - Extremely likely', or a `score_labels:` mapping "
                                    "such as `{\"Extremely satisfied\": 5}`"))
            continue
        if fld in frame.columns and len(frame) and frame[fld].isna().all():
            problems.append(Problem(f"the column mapped to '{fld}' ('{spec.columns[fld]}') is empty in every row",
                                    fatal=fld in ("score", "responded_at"), file=file,
                                    where=f"{spec.name}.columns.{fld}",
                                    hint="check that the right column is mapped"))


def _scale_problems(resp: pd.DataFrame, settings, file: str) -> list[Problem]:
    """Notes on the score scale: how a non-0-10 scale is categorised, and scales that look mis-set."""
    out: list[Problem] = []
    lo, hi = settings.scale
    dmax, pmin = settings.detractor_max, settings.promoter_min
    where = "settings.scale"
    if (lo, hi) != (0, 10):
        if (lo, hi) == (1, 10) and (dmax, pmin) == (6, 9):
            msg = ("scores are on a 1-10 scale: the standard categories are kept (1-6 detractor, 7-8 passive, "
                   "9-10 promoter), so a 1 counts as a detractor as a 0 would; the NPS is close to, but not "
                   "strictly comparable with, 0-10 benchmarks")
        else:
            msg = (f"scores are on a {lo:g}-{hi:g} scale, categorised as detractor <= {dmax:g}, promoter >= {pmin:g} "
                   f"and passive between; the resulting NPS-style index is not comparable with 0-10 NPS benchmarks")
        out.append(Problem(msg, fatal=False, where=where, hint="the report's methodology appendix states the same"))
    if "score" not in resp:
        return out
    s = resp["score"].dropna()
    if len(s) < 20:
        return out
    if (lo, hi) == (0, 10) and s.min() >= 1 and s.max() <= 5:
        out.append(Problem("every score is between 1 and 5 on a 0-10 scale: as read, no response can be a "
                           "promoter", fatal=False, file=file, where=where,
                           hint="if the question is a 1-5 rating, set `settings: {scale: [1, 5], detractor_max: 3, "
                           "promoter_min: 5}`"))
    elif (lo, hi) == (0, 10) and len(s) >= 200 and s.min() == 1 and s.max() == 10:
        out.append(Problem(f"no score of 0 among {len(s):,} scores: the survey may have used a 1-10 scale",
                           fatal=False, file=file, where=where,
                           hint="if so, set `settings: {scale: [1, 10]}` (categories unchanged; 1 is a detractor)"))
    share_above = float((s > hi).mean())
    if share_above > 0.5:
        out.append(Problem(f"{share_above:.0%} of the scores are above {hi:g}, the top of the scale; they are excluded",
                           fatal=False, file=file, where=where,
                           hint="check that the mapped score column is the likelihood-to-recommend rating, or set "
                           "`settings.scale`"))
    return out


#: Libraries the diagnosis needs that take seconds to import (scipy.stats alone ~1 s): :func:`load` imports them
#: on a thread while pyarrow parses a large export, so that their import costs no time of its own.
IMPORT_AHEAD = ("scipy.stats", "statsmodels.stats.multitest", "sklearn.feature_extraction.text",
                "matplotlib.figure", "matplotlib.backends.backend_agg")
#: Total size of the files read (bytes) above which :func:`load` imports :data:`IMPORT_AHEAD` while reading.
IMPORT_AHEAD_BYTES = 20 * 2**20


def _import_ahead(cfg: Config):
    """Start importing :data:`IMPORT_AHEAD` on a thread (for a large export); returns the thread or None.

    The caller joins it before returning, so no import is in progress once
    :func:`load` returns (the diagnosis may then fork the process).
    """
    import sys
    import threading

    todo = [m for m in IMPORT_AHEAD if m not in sys.modules]
    if not todo:
        return None
    size = 0
    for spec in cfg.tables.values():
        with contextlib.suppress(OSError, TypeError):
            size += Path(spec.path).stat().st_size
    if size < IMPORT_AHEAD_BYTES:
        return None

    def work() -> None:
        import importlib

        for name in todo:
            with contextlib.suppress(Exception):  # a real import problem shows where the module is used
                importlib.import_module(name)

    thread = threading.Thread(target=work, name="npsdiag-import-ahead", daemon=True)
    thread.start()
    return thread


def load(config: Config | str | Path) -> ClientData:
    """Load every table of a client's config into canonical typed tables.

    Parameters
    ----------
    config : Config or path to the YAML config

    Returns
    -------
    ClientData

    Raises
    ------
    NpsdiagError
        With every fatal problem found (missing files or columns, unreadable
        files, a score or date column empty throughout).

    Notes
    -----
    On a large export (over :data:`IMPORT_AHEAD_BYTES`), the libraries the
    diagnosis imports next (:data:`IMPORT_AHEAD`) are imported on a thread
    while pyarrow parses the files (which leaves the interpreter idle); that
    is why the diagnosis notebook imports the areas after loading.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    ahead_imports = _import_ahead(cfg)
    try:
        return _load(cfg)
    finally:
        if ahead_imports is not None:
            ahead_imports.join()


def _load(cfg: Config) -> ClientData:
    problems: list[Problem] = list(cfg.warnings)
    fatal: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    sources: dict[str, dict] = {}
    cache: dict[tuple, RawTable] = {}

    def file_key(spec: TableSpec) -> tuple:
        return str(Path(spec.path).resolve()), spec.sheet, spec.format

    wanted: dict[tuple, list[str]] = {}  # the columns each file must give, over the tables read from it
    uses: dict[tuple, int] = {}
    for spec in cfg.tables.values():
        key = file_key(spec)
        wanted.setdefault(key, []).extend([*spec.columns.values(), *spec.segments, *spec.drivers])
        uses[key] = uses.get(key, 0) + 1
    # the CSVs are read by pyarrow on another thread, in table order, while the tables already read are typed here
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="npsdiag-read")
    try:
        ahead: dict[tuple, tuple | None] = {}
        for spec in cfg.tables.values():
            key = file_key(spec)
            if key not in ahead:
                ahead[key] = _read_ahead(spec, wanted[key], pool)
        for name, spec in cfg.tables.items():
            key = file_key(spec)
            uses[key] -= 1
            local: list[Problem] = []
            try:
                pending = ahead.pop(key, None)
                raw = cache.get(key) or _read_raw(spec, local, columns=wanted[key], pending=pending)
                del pending
            except NpsdiagError as exc:
                for p in exc.problems:
                    p.where = p.where or f"{name}.path"
                fatal.extend(exc.problems)
                continue
            if uses[key]:
                cache[key] = raw
            else:  # its last table: the raw strings are not kept
                cache.pop(key, None)
            if len(raw.frame) == 0:
                local.append(Problem("the file has a header but no rows", fatal=name == "responses",
                                     file=str(raw.file), hint="export the responses again"))
            mapped = _map_table(raw, spec, cfg, local)
            _check_empty_columns(mapped, spec, str(raw.file), local)
            for p in local:
                (fatal if p.fatal else problems).append(p)
            sources[name] = {"file": str(raw.file), "format": raw.format, "rows": int(len(raw.frame)),
                             "notes": list(raw.notes), "encoding": raw.encoding, "delimiter": raw.delimiter,
                             "sheet": raw.sheet}
            tables[name] = mapped
            del raw, mapped
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    if fatal:
        raise NpsdiagError(fatal)
    resp = tables["responses"]
    problems.extend(_scale_problems(resp, cfg.settings, sources["responses"]["file"]))
    accounts = tables.get("accounts")
    if accounts is not None and "account_id" in accounts:
        accounts = _dedupe_accounts(accounts, cfg, problems)
        accounts = open_outcomes(accounts, problems, file=str(cfg.tables["accounts"].path))
        # account segments travel with each response, for segmentation by account attributes
        seg = [c for c in cfg.tables["accounts"].segments if c in accounts.columns and c not in resp.columns]
        if seg and "account_id" in resp.columns:
            resp = _merge_account_columns(resp, accounts, seg)
    return ClientData(config=cfg, responses=resp, accounts=accounts, invitations=tables.get("invitations"),
                      contacts=tables.get("contacts"), problems=problems, sources=sources)


def _merge_account_columns(resp: pd.DataFrame, accounts: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``resp.merge(accounts[["account_id", *columns]], on="account_id", how="left")`` for unique account ids.

    A lookup instead of a merge: the responses' columns are not copied.
    """
    if accounts["account_id"].duplicated().any() or accounts["account_id"].isna().any():
        return resp.merge(accounts[["account_id", *columns]], on="account_id", how="left")
    at = pc.fill_null(pc.index_in(_arrow_strings(resp["account_id"]),
                                  value_set=_arrow_strings(accounts["account_id"]).combine_chunks()), -1)
    at = at.to_numpy(zero_copy_only=False).astype(np.intp, copy=False)
    out = resp.reset_index(drop=True)
    for c in columns:
        out[c] = accounts[c].array.take(at, allow_fill=True)
    return out


def _dedupe_accounts(accounts: pd.DataFrame, cfg: Config, problems: list[Problem]) -> pd.DataFrame:
    a = accounts[accounts["account_id"].notna()]
    if not a["account_id"].duplicated().any():
        return a.reset_index(drop=True)
    file = str(cfg.tables["accounts"].path)
    flat = Path(cfg.tables["accounts"].path).resolve() == Path(cfg.responses.path).resolve()
    value_cols = [c for c in a.columns if c not in (ROW, "account_id")]
    conflicts = a.groupby("account_id")[value_cols].nunique(dropna=True).gt(1).any(axis=1) if value_cols else None
    if conflicts is not None and conflicts.any():
        ids = conflicts[conflicts].index.tolist()
        problems.append(Problem(f"{len(ids)} account(s) appear more than once with different values "
                                f"(e.g. {ids[0]}); the last row of each is used", fatal=False, file=file,
                                where="accounts", hint="one row per account is expected"))
    elif not flat:
        n = int(a["account_id"].duplicated().sum())
        problems.append(Problem(f"{n} repeated account row(s) were merged", fatal=False, file=file,
                                where="accounts"))
    return a.drop_duplicates("account_id", keep="last").reset_index(drop=True)


def from_frames(
    responses: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    invitations: pd.DataFrame | None = None,
    contacts: pd.DataFrame | None = None,
    segments: list[str] | None = None,
    drivers: list[str] | None = None,
    account_segments: list[str] | None = None,
    settings: dict | None = None,
    client: str = "Client",
) -> ClientData:
    """Build a :class:`ClientData` from DataFrames that already use canonical column names.

    For analysts and tests: the frames must name their columns as the
    canonical fields (``score``, ``responded_at``, ``account_id``...; see
    :data:`npsdiag.config.TABLE_FIELDS`); segment and driver columns keep
    their own names. Values are typed as :func:`load` types them.

    Examples
    --------
    >>> import pandas as pd
    >>> d = from_frames(pd.DataFrame({"score": [10, 0], "responded_at": ["2024-01-02", "2024-01-03"]}))
    >>> d.responses["score"].tolist()
    [10.0, 0.0]
    """
    from .config import TABLE_FIELDS, Settings, TableSpec, _check_setting

    st = Settings()
    for k, v in (settings or {}).items():
        checked, prob = _check_setting(k, v, "<settings>")
        if prob:
            raise NpsdiagError(prob)
        setattr(st, k, checked)
    frames = {"responses": responses, "accounts": accounts, "invitations": invitations, "contacts": contacts}
    extra = {"responses": (list(segments or []), list(drivers or [])),
             "accounts": (list(account_segments or []), [])}
    specs = {}
    for name, f in frames.items():
        if f is None:
            continue
        segs, drv = extra.get(name, ([], []))
        cols = {c: c for c in f.columns if c in TABLE_FIELDS[name]}
        specs[name] = TableSpec(name=name, path=Path(f"<{name}>"), columns=cols, segments=segs, drivers=drv,
                                dayfirst=False)
    cfg = Config(client=client, path=Path("<frames>"), tables=specs, settings=st)
    problems: list[Problem] = []
    tables = {}
    for name, f in frames.items():
        if f is None:
            continue
        f = f.reset_index(drop=True).copy()
        f[ROW] = np.arange(2, len(f) + 2)
        raw = RawTable(frame=f, file=Path(f"<{name}>"), format="frame")
        tables[name] = _map_table(raw, specs[name], cfg, problems)
    fatal = [p for p in problems if p.fatal]
    if fatal:
        raise NpsdiagError(fatal)
    resp = tables["responses"]
    acc = tables.get("accounts")
    if acc is not None and account_segments and "account_id" in resp:
        seg = [c for c in account_segments if c in acc.columns and c not in resp.columns]
        resp = resp.merge(acc[["account_id", *seg]], on="account_id", how="left")
    return ClientData(config=cfg, responses=resp, accounts=acc, invitations=tables.get("invitations"),
                      contacts=tables.get("contacts"), problems=problems,
                      sources={n: {"file": f"<{n}>", "format": "frame", "rows": len(f)}
                               for n, f in frames.items() if f is not None})


def open_outcomes(accounts: pd.DataFrame, problems: list[Problem] | None = None, file: str | None = None,
                  now: pd.Timestamp | None = None) -> pd.DataFrame:
    """Accounts whose outcome is not known yet get ``churned`` = missing, not "retained".

    When ``outcome_at`` (the renewal or churn date) is mapped, an account that
    has not churned and has no outcome date, or one still in the future, has
    not renewed yet: counting it as retained would flatter every churn
    statistic. Its ``churned`` becomes missing, so outcome analyses leave it
    out; a note says how many.
    """
    if "churned" not in accounts or "outcome_at" not in accounts:
        return accounts
    now = pd.Timestamp.now() if now is None else now
    pending = (accounts["churned"] == False).fillna(False).astype(bool) & (  # noqa: E712 - nullable boolean
        accounts["outcome_at"].isna() | (accounts["outcome_at"] > now))
    if not pending.any():
        return accounts
    out = accounts.copy()
    out.loc[pending, "churned"] = pd.NA
    if problems is not None:
        problems.append(Problem(f"{int(pending.sum())} account(s) have not churned and have no renewal date yet "
                                "(or one in the future): their outcome is unknown, so they are left out of the "
                                "churn analyses rather than counted as retained", fatal=False, file=file,
                                where="accounts.columns.outcome_at"))
    return out
