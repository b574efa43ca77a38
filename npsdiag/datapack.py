"""``datapack.xlsx``: every table of a run in one workbook, each column with its unit.

One sheet per table (the areas' tables, which NPS, the messages and action
plan, the renewal-risk list, the data lineage) and a ``Contents`` sheet
listing them with their captions. Each header says the column's unit
("Churn rate (share)", "NPS (points)", "ARR (USD)"); shares are stored as
0-1 and shown as percentages by the cell format, so a formula on them still
works. Text cells that a spreadsheet would run as a formula are neutralised
as in the CSVs (:func:`npsdiag.outputs.neutralise_formulas`). Owners appear
as in the report (aliased unless ``settings.name_owners``). Written with
openpyxl, atomically.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .findings import Diagnosis
from .outputs import IDENTIFIER_COLUMNS, neutralise_formulas
from .redact import redact_frame
from .report.tables import column_kinds, pretty_column

__all__ = ["UNITS", "unit_of", "datapack_tables", "write_datapack", "sheet_name", "MAX_LIST_ROWS"]

#: The unit written in a header for each kind of column (:func:`npsdiag.report.tables.column_kinds`).
UNITS = {"share": "share", "pct": "%", "pts": "points", "p": "p-value", "ratio": "ratio", "days": "days"}
#: A work list (the renewal-risk list) is cut to its first rows in the data pack: the CSV beside it holds it all, and
#: a spreadsheet of 70,000 rows takes a minute to write and nobody reads it.
MAX_LIST_ROWS = 5_000
_MONEY = ("arr", "revenue", "churned_revenue", "value_at_stake", "value")
_FORMATS = {"share": "0.0%", "pts": "0.0", "p": "0.000", "ratio": "0.00", "days": "0.0", "pct": "0.0"}
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def unit_of(column: str, kind: str | None, series: pd.Series, currency: str | None) -> str:
    """The unit of a column: from its kind, money columns in the currency, dates, counts, text.

    Examples
    --------
    >>> unit_of("arr", None, pd.Series([1.0]), "USD"), unit_of("churn_rate", "share", pd.Series([0.1]), None)
    ('USD', 'share')
    >>> unit_of("share_revenue", None, pd.Series([0.4]), "USD"), unit_of("value", None, pd.Series(["a"]), "USD")
    ('share', 'text')
    """
    c = str(column).lower()
    if kind in UNITS:  # a share of revenue is a share, not money
        return UNITS[kind]
    if c.startswith("share") or c.endswith(("_share", "_rate")):
        return "share"
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if numeric and (c in _MONEY or c.endswith(("_arr", "_revenue")) or c.startswith(("arr_", "revenue_"))):
        return currency or "money"
    if numeric and (c in ("score", "latest_score") or c.endswith("_score")):
        return "rating"
    if numeric and (c in ("priority", "rank", "order") or c.endswith("_rank")):
        return "rank"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if pd.api.types.is_bool_dtype(series):
        return "yes/no"
    if pd.api.types.is_integer_dtype(series) or c in ("n", "responses", "accounts") or c.startswith("n_"):
        return "count"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    return "text"


def sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name (31 characters, none of ``[]:*?/\\``)."""
    base = _BAD_SHEET.sub(" ", name).strip()[:31] or "table"
    out, i = base, 2
    while out.lower() in taken:
        suffix = f" ({i})"
        out, i = base[: 31 - len(suffix)] + suffix, i + 1
    taken.add(out.lower())
    return out


def datapack_tables(diag: Diagnosis, story=None, lineage: pd.DataFrame | None = None, redact: bool = False
                    ) -> list[tuple[str, str, pd.DataFrame]]:
    """Every table of the run: (sheet title, caption, table), story tables first, then each area's.

    With ``redact`` (``settings.redact_pii``) each table is redacted as the CSVs are
    (:func:`npsdiag.redact.redact_frame`: text scanned, :data:`~npsdiag.outputs.IDENTIFIER_COLUMNS` kept).
    """
    out = _tables(diag, story, lineage)
    if redact:
        out = [(title, caption, redact_frame(t, id_columns=[], keep=IDENTIFIER_COLUMNS)) for title, caption, t in out]
    return out


def _tables(diag: Diagnosis, story, lineage: pd.DataFrame | None) -> list[tuple[str, str, pd.DataFrame]]:
    out: list[tuple[str, str, pd.DataFrame]] = []
    if story is not None:
        if len(story.which):
            out.append(("Which NPS", "The usual NPS, each account once, decision makers only; design-based "
                                     "intervals", story.which))
        if story.messages:
            out.append(("Messages", "The messages, most important first, with value at stake", story.summary))
            plan = pd.DataFrame([{"initiative": m.recommendation, "owner": m.owner, "days": m.horizon,
                                  "kpi": m.kpi.name if m.kpi else None,
                                  "kpi_unit": m.kpi.unit if m.kpi else None,
                                  "baseline": m.kpi.baseline if m.kpi else None,
                                  "target": m.kpi.target if m.kpi else None,
                                  "by": m.kpi.by if m.kpi else None} for m in story.messages])
            out.append(("Action plan", "One initiative per message; KPI values in the KPI's unit", plan))
        if len(story.risk):
            risk, n = story.risk.head(MAX_LIST_ROWS), len(story.risk)
            note = ("Every active account, riskiest first (renewal_risk.csv)" if n <= MAX_LIST_ROWS else
                    f"The {MAX_LIST_ROWS:,} riskiest of {n:,} active accounts; every account is in renewal_risk.csv")
            out.append(("Renewal risk", note, risk))
        if story.comparison is not None:
            for label, t in (("Since headline", story.comparison.headline), ("Since areas", story.comparison.areas),
                             ("Since issues", story.comparison.findings), ("Since KPIs", story.comparison.kpis)):
                out.append((label, "Against the previous diagnosis", t))
    for name, res in diag.areas.items():
        for key, t in res.tables.items():
            if t is not None and len(t.columns):
                out.append((f"{name} {key}".replace("_", " "), res.table_captions.get(key, ""), t))
    if lineage is not None and len(lineage):
        out.append(("Lineage", "Rows read, excluded (per reason) and analysed", lineage))
    return out


def _flat(t: pd.DataFrame) -> pd.DataFrame:
    keep_index = isinstance(t.index, pd.MultiIndex) or t.index.name is not None
    t = t.reset_index(drop=not keep_index)
    if isinstance(t.columns, pd.MultiIndex):
        t.columns = [" ".join(str(x) for x in c if str(x)) for c in t.columns]
    t = t.copy()
    for c in t.columns:
        if isinstance(t[c].dtype, pd.DatetimeTZDtype):
            t[c] = t[c].dt.tz_localize(None)
        elif t[c].dtype == object:
            t[c] = t[c].map(lambda v: v if v is None or isinstance(v, (str, int, float, bool, pd.Timestamp))
                            else str(v))
    return t


def write_datapack(path: str | Path, tables: list[tuple[str, str, pd.DataFrame]], currency: str | None = None
                   ) -> Path:
    """Write the tables into one workbook: a Contents sheet, then one sheet per table with units in the headers.

    Written by XlsxWriter, a column at a time with the cell type of the column (text is always written as
    text: a cell is never read as a formula or a link), numbers in the format of their unit, the header row
    frozen.

    Returns
    -------
    Path
    """
    import xlsxwriter

    path = Path(path)
    taken: set[str] = {"contents"}
    contents, sheets = [], []
    for title, caption, t in tables:
        t = _flat(t)
        kinds = column_kinds([str(c) for c in t.columns])
        units = {str(c): unit_of(str(c), kinds[str(c)], t[c], currency) for c in t.columns}
        name = sheet_name(title, taken)
        headers = [f"{pretty_column(c)} ({units[str(c)]})" for c in t.columns]
        safe = neutralise_formulas(t)
        safe.columns = headers
        sheets.append((name, safe, [kinds[str(c)] if units[str(c)] in UNITS.values() else None for c in t.columns]))
        contents.append({"sheet": name, "table": title, "caption": caption, "rows": len(t)})
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.part.", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        wb = xlsxwriter.Workbook(tmp, {"strings_to_formulas": False, "strings_to_urls": False,
                                       "strings_to_numbers": False, "nan_inf_to_errors": False})
        fmt = _Formats(wb)
        _sheet(wb.add_worksheet("Contents"), pd.DataFrame(contents, columns=["sheet", "table", "caption", "rows"]),
               [None] * 4, fmt, widths={2: 90})
        for name, safe, kinds in sheets:
            _sheet(wb.add_worksheet(name), safe, kinds, fmt)
        wb.close()
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class _Formats:
    """The workbook's cell formats: the header, dates, and one per unit (:data:`_FORMATS`)."""

    def __init__(self, wb) -> None:
        self.header = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "top"})
        self.date = wb.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.unit = {kind: wb.add_format({"num_format": f}) for kind, f in _FORMATS.items()}


def _sheet(ws, frame: pd.DataFrame, kinds: list, fmt: _Formats, widths: dict[int, float] | None = None) -> None:
    """One table on a worksheet: the header row, then each column written with its type and format."""
    ws.freeze_panes(1, 0)
    for j, column in enumerate(frame.columns):
        ws.write_string(0, j, str(column), fmt.header)
        width = (widths or {}).get(j, min(max(12, len(str(column)) + 2), 48))
        ws.set_column(j, j, width)
        _column(ws, j, frame.iloc[:, j], fmt.unit.get(kinds[j]) if kinds[j] else None, fmt)


def _column(ws, j: int, ser: pd.Series, number_format, fmt: _Formats) -> None:
    """Write a column from row 1: numbers as numbers, dates as dates, yes/no as booleans, the rest as text;
    missing values (and infinities) as empty cells."""
    if pd.api.types.is_bool_dtype(ser):
        for i, v in enumerate(ser.tolist(), start=1):
            if v is not None and v is not pd.NA:
                ws.write_boolean(i, j, bool(v))
    elif pd.api.types.is_numeric_dtype(ser):
        values = ser.to_numpy(dtype="float64", na_value=np.nan)
        for i in np.flatnonzero(np.isfinite(values)):
            ws.write_number(int(i) + 1, j, float(values[i]), number_format)
    elif pd.api.types.is_datetime64_any_dtype(ser):
        has_time = bool(((ser.dropna() - ser.dropna().dt.normalize()) != pd.Timedelta(0)).any())
        cell = fmt.datetime if has_time else fmt.date
        for i, v in enumerate(ser.tolist(), start=1):
            if v is not None and v is not pd.NaT:
                ws.write_datetime(i, j, v.to_pydatetime(), cell)
    else:
        for i, v in enumerate(ser.tolist(), start=1):
            _cell(ws, i, j, v, number_format, fmt)


def _cell(ws, i: int, j: int, v, number_format, fmt: _Formats) -> None:
    """One cell of a column of mixed values, written with its own type (a missing value: no cell)."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and not np.isfinite(v)):
        return
    if isinstance(v, bool):
        ws.write_boolean(i, j, v)
    elif isinstance(v, (int, float, np.integer, np.floating)):
        ws.write_number(i, j, float(v), number_format)
    elif isinstance(v, pd.Timestamp):
        ws.write_datetime(i, j, v.to_pydatetime(), fmt.date)
    else:
        ws.write_string(i, j, str(v))
