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

import csv
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import Config, TableSpec, load_config
from .errors import NpsdiagError, Problem, suggest

__all__ = ["ClientData", "RawTable", "load", "read_raw", "parse_scores", "parse_dates", "parse_bool",
           "parse_numbers", "sniff_csv"]

ROW = "_row"  #: column holding the row number in the source file (1 = first line)
TEXT_FIELDS = ("response_id", "respondent_id", "account_id", "role", "comment", "owner", "status", "name")
DATE_FIELDS = ("responded_at", "invited_at", "followed_up_at", "outcome_at", "start_at")


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
    def segments(self) -> list[str]:
        """Segment columns available on responses (response and account segments)."""
        return [c for c in self.config.responses.segments if c in self.responses.columns] + [
            c for c in (self.config.tables["accounts"].segments if "accounts" in self.config.tables else [])
            if c in self.responses.columns and c not in self.config.responses.segments]

    @property
    def drivers(self) -> list[str]:
        return [c for c in self.config.responses.drivers if c in self.responses.columns]


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


def sniff_csv(path: Path, encoding: str | None = None, delimiter: str | None = None) -> tuple[str, str]:
    """Detect (encoding, delimiter) of a delimited text file from its first 64 KB.

    Encoding: a BOM, else UTF-8 if the sample decodes, else Windows-1252.
    Delimiter: :class:`csv.Sniffer` restricted to ``, ; tab |``, else the
    candidate that splits the first lines most consistently.
    """
    with open(path, "rb") as fh:
        raw = fh.read(65536)
    text, enc = _decode_sample(raw, encoding)
    if delimiter:
        return enc, delimiter
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    sample = "\n".join(lines)
    try:
        return enc, csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        pass
    best, score = ",", -1.0
    for cand in (",", ";", "\t", "|"):
        counts = [ln.count(cand) for ln in lines[:20]]
        if not counts or max(counts) == 0:
            continue
        s = float(np.median(counts)) - float(np.std(counts))
        if s > score:
            best, score = cand, s
    return enc, best


def _is_binary(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return b"\x00" in head


def _detect_format(path: Path, spec: TableSpec) -> str:
    if spec.format != "auto":
        return spec.format
    suf = path.suffix.lower()
    if suf in (".xlsx", ".xlsm", ".xls"):
        return "excel"
    if suf in (".parquet", ".pq"):
        return "parquet"
    return "csv"


def _dedupe_headers(names: list[str]) -> tuple[list[str], list[str]]:
    seen: dict[str, int] = {}
    out, dups = [], []
    for n in names:
        n = "" if n is None or (isinstance(n, float) and np.isnan(n)) else str(n).strip()
        if n in seen:
            seen[n] += 1
            dups.append(n)
            out.append(f"{n} ({seen[n]})")
        else:
            seen[n] = 1
            out.append(n)
    return out, dups


def _read_csv_text(path: Path, spec: TableSpec, problems: list[Problem]) -> RawTable:
    enc, delim = sniff_csv(path, spec.encoding, spec.delimiter)
    kw = dict(sep=delim, encoding=enc, dtype=str, keep_default_na=False, na_values=[""],
              header=None, skip_blank_lines=True, encoding_errors="replace", on_bad_lines="warn")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pd.read_csv(path, engine="c", **kw, low_memory=False)
        except pd.errors.ParserError:
            frame = pd.read_csv(path, engine="python", **kw)
    bad = [str(w.message) for w in caught if "Skipping line" in str(w.message) or "Expected" in str(w.message)]
    if bad:
        nums = [int(m) for b in bad for m in re.findall(r"line (\d+)", b)]
        problems.append(Problem("some lines have more fields than the header and were skipped",
                                fatal=False, file=str(path), rows=nums,
                                hint="check quoting of text with delimiters, or set `delimiter:`"))
    return RawTable(frame=frame, file=path, format="csv", header_lines=0, delimiter=delim, encoding=enc)


def _apply_header(raw: RawTable, spec: TableSpec, problems: list[Problem]) -> RawTable:
    """Turn the first row(s) of a headerless frame into column names, handling survey-tool layouts."""
    f = raw.frame
    if f.shape[0] == 0:
        raise NpsdiagError(Problem("the file is empty", file=str(raw.file),
                                   hint="export the survey responses again; the file has no header and no rows"))
    fmt = raw.format
    start = (spec.header_row - 1) if spec.header_row else 0
    if spec.header_row is None and fmt in ("csv", "excel"):
        # Excel sheets with title rows: the header is the first row that is mostly filled.
        filled = f.notna().sum(axis=1).to_numpy()
        width = max(int(filled.max()), 1)
        for i in range(min(len(f), 20)):
            if filled[i] >= max(2, 0.5 * width) or filled[i] == width:
                start = i
                break
        if start:
            raw.notes.append(f"{start} title line(s) above the header were skipped")
    first = [("" if pd.isna(v) else str(v)) for v in f.iloc[start].tolist()]
    second = [("" if pd.isna(v) else str(v)) for v in f.iloc[start + 1].tolist()] if len(f) > start + 1 else []
    third = [("" if pd.isna(v) else str(v)) for v in f.iloc[start + 2].tolist()] if len(f) > start + 2 else []
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
    body = f.iloc[body_start:].copy()
    body.columns = names
    body[ROW] = body.index.to_numpy() + 1  # the reader's position: 1 = first line of the file
    body = body.reset_index(drop=True)
    raw.frame, raw.format, raw.header_lines = body, fmt, body_start
    return raw


def read_raw(spec: TableSpec, problems: list[Problem] | None = None) -> RawTable:
    """Read one table's file as strings, with its header resolved.

    Raises :class:`NpsdiagError` when the file cannot be read at all
    (missing, empty, binary, unknown sheet).
    """
    problems = problems if problems is not None else []
    path = Path(spec.path)
    file = str(path)
    if not path.exists():
        raise NpsdiagError(Problem("file not found", file=file, where=f"{spec.name}.path",
                                   hint="paths are relative to the config file's folder"))
    if path.stat().st_size == 0:
        raise NpsdiagError(Problem("the file is empty (0 bytes)", file=file,
                                   hint="export the survey responses again"))
    fmt = _detect_format(path, spec)
    if fmt == "parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file
            raise NpsdiagError(Problem(f"cannot read as Parquet: {exc}", file=file,
                                       hint="check the file, or set `format:` to csv or excel")) from None
        frame = frame.reset_index(drop=True)
        frame[ROW] = np.arange(2, len(frame) + 2)
        return RawTable(frame=frame, file=path, format="parquet")
    if fmt == "excel":
        try:
            book = pd.ExcelFile(path)
        except Exception as exc:  # noqa: BLE001
            raise NpsdiagError(Problem(f"cannot open as an Excel workbook ({type(exc).__name__})", file=file,
                                       hint="save it again as .xlsx from Excel, or export CSV")) from None
        sheet = spec.sheet if spec.sheet is not None else 0
        if isinstance(sheet, str) and sheet not in book.sheet_names:
            s = suggest(sheet, book.sheet_names)
            raise NpsdiagError(Problem(f"sheet '{sheet}' not found", file=file, where=f"{spec.name}.sheet",
                                       hint=(f"did you mean '{s}'? " if s else "")
                                       + f"sheets: {', '.join(book.sheet_names)}"))
        if isinstance(sheet, int) and sheet >= len(book.sheet_names):
            raise NpsdiagError(Problem(f"the workbook has no sheet number {sheet}", file=file,
                                       where=f"{spec.name}.sheet",
                                       hint=f"sheets: {', '.join(book.sheet_names)}"))
        frame = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
        frame = frame.dropna(how="all") if len(frame) else frame
        raw = RawTable(frame=frame, file=path, format="excel", header_lines=0)
        return _apply_header(raw, spec, problems)
    if _is_binary(path):
        raise NpsdiagError(Problem("this is not a text (CSV) file", file=file,
                                   hint="export as CSV, or set `format: excel` / `format: parquet`"))
    raw = _read_csv_text(path, spec, problems)
    if spec.format in ("qualtrics", "surveymonkey"):
        raw.format = spec.format
    return _apply_header(raw, spec, problems)


# --------------------------------------------------------------------------- parsing values

_NUM_RE = re.compile(r"^\s*([-+]?\d+(?:[.,]\d+)?)\s*(?:$|[-–—:=(]|\s)")
_MISSING = {"", "na", "n/a", "nan", "none", "null", "-", "--", ".", "#n/a", "missing", "not applicable"}


def parse_scores(values: pd.Series, decimal: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Scores as numbers, reading labels such as "10 - Extremely likely".

    Returns
    -------
    (score, invalid)
        ``score`` float (NaN when missing or unreadable) and ``invalid``, a
        boolean Series true where something was written that is not a score
        (text, "N/A" and the like count as missing, not invalid).
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        s = values.astype("float64")
        return s, pd.Series(False, index=values.index)
    text = values.astype("string").str.strip()
    num = pd.to_numeric(text.str.replace(",", ".", regex=False) if decimal == "," else text, errors="coerce")
    need = num.isna() & text.notna()
    if need.any():
        sub = text[need]
        extracted = sub.str.extract(_NUM_RE, expand=False).str.replace(",", ".", regex=False)
        num.loc[need] = pd.to_numeric(extracted, errors="coerce")
    missing_words = text.str.lower().isin(_MISSING)
    invalid = (num.isna() & text.notna() & ~missing_words).fillna(False).astype(bool)
    return num.astype("float64"), invalid


def parse_numbers(values: pd.Series, decimal: str | None = None) -> pd.Series:
    """Numbers written with currency signs, thousands separators or decimal commas."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
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


_DMY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\b")


def detect_dayfirst(text: pd.Series) -> tuple[bool | None, str]:
    """Decide whether dates like 03/04/2024 are day-first.

    Returns (dayfirst, reason): True/False when a first or second part above
    12 settles it, None when every date is ambiguous (or the dates are not
    in a d/m/y shape).
    """
    sample = text.dropna()
    if len(sample) > 200_000:
        sample = sample.sample(200_000, random_state=0)
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
    """
    note = None
    if pd.api.types.is_datetime64_any_dtype(values):
        s = values
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        return s.astype("datetime64[ns]"), pd.Series(False, index=values.index), None
    text = values.astype("string").str.strip()
    text = text.mask(text.str.lower().isin(_MISSING).fillna(False).astype(bool))
    if dayfirst is None:
        dayfirst, reason = detect_dayfirst(text)
        if dayfirst is None and reason.startswith(("every", "dates are written")):
            note = (f"day/month order is ambiguous: {reason}; read as month first. "
                    "Set `dayfirst: true` (or false) in the config to be sure.")
    non_null = text.dropna()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if non_null.empty:
        return out, pd.Series(False, index=values.index), note
    fmt = None
    try:
        from pandas.tseries.api import guess_datetime_format

        fmt = guess_datetime_format(str(non_null.iloc[0]), dayfirst=bool(dayfirst))
    except Exception:  # noqa: BLE001
        fmt = None
    parsed = None
    if fmt:
        parsed = pd.to_datetime(non_null, format=fmt, errors="coerce")
    if parsed is None or parsed.isna().any():
        rest = non_null if parsed is None else non_null[parsed.isna()]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            more = pd.to_datetime(rest, format="mixed", dayfirst=bool(dayfirst), errors="coerce")
        parsed = more if parsed is None else parsed.where(parsed.notna(), more)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    elif parsed.dtype == object:
        parsed = pd.to_datetime(parsed, utc=True, errors="coerce").dt.tz_localize(None)
    out.loc[non_null.index] = parsed.astype("datetime64[ns]")
    unreadable = (out.isna() & text.notna()).astype(bool)
    return out, unreadable, note


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


def _map_table(raw: RawTable, spec: TableSpec, cfg: Config, problems: list[Problem]) -> pd.DataFrame:
    frame = raw.frame
    file = str(raw.file)
    cols = [c for c in frame.columns if c != ROW]
    out = pd.DataFrame(index=frame.index)
    out[ROW] = frame[ROW].to_numpy()
    settings = cfg.settings
    dayfirst = spec.dayfirst if spec.dayfirst is not None else settings.dayfirst

    def missing(field_key: str, name: str, sug: str | None) -> None:
        problems.append(Problem(f"column '{name}' not found", file=file, where=field_key,
                                hint=f"did you mean '{sug}'?" if sug else
                                f"columns in the file: {', '.join(cols[:12])}{' …' if len(cols) > 12 else ''}"))

    for fld, name in spec.columns.items():
        col, sug = _find_column(name, cols)
        if col is None:
            missing(f"{spec.name}.columns.{fld}", name, sug)
            continue
        values = frame[col]
        if fld == "score":
            score, invalid = parse_scores(values, spec.decimal)
            out["score"] = score
            out["score_text"] = values.astype("string").where(invalid)
        elif fld in DATE_FIELDS:
            dates, unreadable, note = parse_dates(values, dayfirst)
            out[fld] = dates
            if unreadable.any():
                rows = frame.loc[unreadable, ROW].tolist()
                problems.append(Problem(f"{int(unreadable.sum())} value(s) in '{col}' are not dates "
                                        f"(e.g. {values[unreadable].iloc[0]!r})", fatal=False, file=file,
                                        where=f"{spec.name}.columns.{fld}", rows=rows,
                                        hint="they are treated as missing"))
                out[f"{fld}_unreadable"] = unreadable.to_numpy()
            if note:
                problems.append(Problem(note, fatal=False, file=file, where=f"{spec.name}.columns.{fld}"))
        elif fld == "churned":
            flag, unreadable = parse_bool(values, spec.churn_values)
            out["churned"] = flag
            if unreadable.any():
                examples = ", ".join(repr(v) for v in values[unreadable].astype(str).unique()[:3])
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
            s = values.astype("string").str.strip()
            out[fld] = s.mask(s == "")
    extra = list(dict.fromkeys(spec.segments + spec.drivers))
    for name in extra:
        col, sug = _find_column(name, cols)
        key = f"{spec.name}.{'drivers' if name in spec.drivers else 'segments'}"
        if col is None:
            missing(key, name, sug)
            continue
        if name in out.columns:
            problems.append(Problem(f"'{name}' is also a canonical field name", file=file, where=key,
                                    hint="rename the column in a copy of the export"))
            continue
        if name in spec.drivers:
            out[name] = parse_scores(frame[col], spec.decimal)[0]
        else:
            s = frame[col].astype("string").str.strip()
            out[name] = s.mask(s == "")
    return out


def _check_empty_columns(frame: pd.DataFrame, spec: TableSpec, file: str, problems: list[Problem]) -> None:
    for fld in spec.columns:
        if fld == "score" and "score_text" in frame and len(frame) and frame["score"].isna().all() \
                and frame["score_text"].notna().any():
            example = frame["score_text"].dropna().iloc[0]
            problems.append(Problem(f"no value in the column mapped to 'score' ('{spec.columns[fld]}') is a number "
                                    f"(e.g. {example!r})", file=file, where=f"{spec.name}.columns.score",
                                    hint="map the likelihood-to-recommend (0-10) column; labels need a leading "
                                    "number such as '10 - Extremely likely'"))
            continue
        if fld in frame.columns and len(frame) and frame[fld].isna().all():
            problems.append(Problem(f"the column mapped to '{fld}' ('{spec.columns[fld]}') is empty in every row",
                                    fatal=fld in ("score", "responded_at"), file=file,
                                    where=f"{spec.name}.columns.{fld}",
                                    hint="check that the right column is mapped"))


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
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    problems: list[Problem] = list(cfg.warnings)
    fatal: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    sources: dict[str, dict] = {}
    cache: dict[tuple, RawTable] = {}
    for name, spec in cfg.tables.items():
        key = (str(Path(spec.path).resolve()), spec.sheet, spec.format)
        local: list[Problem] = []
        try:
            raw = cache.get(key) or read_raw(spec, local)
        except NpsdiagError as exc:
            for p in exc.problems:
                p.where = p.where or f"{name}.path"
            fatal.extend(exc.problems)
            continue
        cache[key] = raw
        if len(raw.frame) == 0:
            local.append(Problem("the file has a header but no rows", fatal=name == "responses",
                                 file=str(raw.file), hint="export the responses again"))
        mapped = _map_table(raw, spec, cfg, local)
        _check_empty_columns(mapped, spec, str(raw.file), local)
        for p in local:
            (fatal if p.fatal else problems).append(p)
        sources[name] = {"file": str(raw.file), "format": raw.format, "rows": int(len(raw.frame)),
                         "notes": list(raw.notes), "encoding": raw.encoding, "delimiter": raw.delimiter}
        tables[name] = mapped
    if fatal:
        raise NpsdiagError(fatal)
    resp = tables["responses"]
    accounts = tables.get("accounts")
    if accounts is not None and "account_id" in accounts:
        accounts = _dedupe_accounts(accounts, cfg, problems)
        # account segments travel with each response, for segmentation by account attributes
        seg = [c for c in cfg.tables["accounts"].segments if c in accounts.columns and c not in resp.columns]
        if seg and "account_id" in resp.columns:
            resp = resp.merge(accounts[["account_id", *seg]], on="account_id", how="left")
    return ClientData(config=cfg, responses=resp, accounts=accounts, invitations=tables.get("invitations"),
                      contacts=tables.get("contacts"), problems=problems, sources=sources)


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
