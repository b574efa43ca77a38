"""Column names: the header row(s) of a table read without one, survey-tool layouts, names made unique,
and the config's names matched to the file's."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..config import TableSpec
from ..errors import NpsdiagError, Problem, suggest
from .tables import ROW, RawTable

__all__ = ["dedupe_headers", "find_column", "wanted_indices", "header_layout", "apply_header"]

#: a header row is "mostly filled" (and title rows above it are skipped) when it is filled at least this much
_FILLED_SHARE = 0.5
_TITLE_ROWS = 20  #: rows searched for the header below title rows
_SURVEYMONKEY_PLAIN = ("", "Response", "Open-Ended Response")  #: second-row cells that add nothing to a name


def dedupe_headers(names: list) -> tuple[list[str], list[str]]:
    """Column names made unique and non-empty: repeats become 'NAME (2)', blanks 'column N'.

    Returns
    -------
    (names, duplicated)
        The names to use, and the names that were repeated.

    Examples
    --------
    >>> dedupe_headers(["a", "a", None, "_row"])
    (['a', 'a (2)', 'column 3', '_row (2)'], ['a', '_row'])
    """
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


def find_column(name: str, columns: list[str]) -> tuple[str | None, str | None]:
    """Exact column, else one equal but for case/spaces; returns (column, suggestion).

    Examples
    --------
    >>> find_column("nps score", ["NPS  Score", "Date"])
    ('NPS  Score', None)
    """
    if name in columns:
        return name, None
    norm = {re.sub(r"\s+", " ", c).strip().lower(): c for c in columns}
    key = re.sub(r"\s+", " ", name).strip().lower()
    if key in norm:
        return norm[key], None
    return None, suggest(name, [c for c in columns if c != ROW])


def wanted_indices(names: list[str], wanted: list[str] | None) -> list[int]:
    """Positions of the columns that :func:`find_column` picks for ``wanted`` (all columns when None)."""
    if wanted is None:
        return list(range(len(names)))
    keep = set()
    for name in wanted:
        col, _ = find_column(name, names)
        if col is not None:
            keep.add(names.index(col))
    return sorted(keep)


def _check_rows(raw: RawTable, spec: TableSpec, n_rows: int) -> None:
    """Raise when the table has no row at all, or fewer than the header row the spec gives."""
    where = f"sheet {raw.sheet!r}" if raw.format == "excel" and raw.sheet is not None else None
    if n_rows == 0:
        raise NpsdiagError(Problem("the file is empty" if where is None else "the sheet is empty", file=str(raw.file),
                                   where=where,
                                   hint="export the survey responses again; there is no header and no rows"
                                   + ("" if where is None else ", or set `sheet:` to the sheet with the data")))
    if spec.header_row and spec.header_row - 1 >= n_rows:
        raise NpsdiagError(Problem(f"header_row {spec.header_row} is beyond the last line read ({n_rows})",
                                   file=str(raw.file), where=f"{spec.name}.header_row",
                                   hint="give the line number of the header (1 = first line), or remove it"))


def _header_start(f: pd.DataFrame, raw: RawTable, spec: TableSpec, width: int | None) -> int:
    """The header's row: the spec's ``header_row``, else (CSV, Excel) the first row that is mostly filled.

    Excel sheets and some CSVs carry title rows above the header; a note says how many were skipped.
    """
    if spec.header_row:
        return spec.header_row - 1
    if raw.format not in ("csv", "excel"):
        return 0
    filled = f.iloc[:_TITLE_ROWS].notna().sum(axis=1).to_numpy()
    width = max(int(f.notna().sum(axis=1).max()) if width is None else width, 1)
    start = 0
    for i in range(min(len(f), _TITLE_ROWS)):
        if filled[i] >= max(2, _FILLED_SHARE * width) or filled[i] == width:
            start = i
            break
    if start:
        raw.notes.append(f"{start} title line(s) above the header were skipped")
    return start


def _row_text(f: pd.DataFrame, i: int, n_rows: int) -> list[str]:
    """Row ``i`` of ``f`` as text (missing cells ''), or [] beyond the table's ``n_rows``."""
    if i >= n_rows:
        return []
    return [("" if pd.isna(v) else str(v)) for v in f.iloc[i].tolist()]


def _qualtrics(raw: RawTable, rows: list[list[str]], start: int) -> tuple[int, list[str]] | None:
    """(first record's row, names) of a Qualtrics export (three header rows, or the legacy two), else None.

    Sets ``raw.labels`` to the question texts of the second header row.
    """
    first, second, third = rows
    is_current = any(v.startswith('{"ImportId"') for v in third[:5])
    is_legacy = first[:2] == ["V1", "V2"] and "ResponseID" in second
    if not (raw.format == "qualtrics" or is_current or is_legacy):
        return None
    raw.notes.append("Qualtrics export: the question-text and ImportId header rows were skipped")
    if is_legacy:
        return start + 2, [s or f for s, f in zip(second, first)]
    question = dict(zip(dedupe_headers(first)[0], second))
    raw.labels = {k: v.strip() for k, v in question.items() if v.strip() and v.strip() != k}
    return start + (3 if is_current else 2), first


def _surveymonkey(raw: RawTable, rows: list[list[str]], start: int) -> tuple[int, list[str]] | None:
    """(first record's row, names) of a SurveyMonkey export (two header rows merged), else None."""
    first, second, _ = rows
    is_surveymonkey = (len(second) > 0 and second[0] == "" and first[:1] == ["Respondent ID"]
                       and any(v in _SURVEYMONKEY_PLAIN[1:] for v in second))
    if not (raw.format == "surveymonkey" or is_surveymonkey):
        return None
    merged, last = [], ""
    for a, b in zip(first, second + [""] * (len(first) - len(second))):
        last = a or last
        merged.append(a or last if b in _SURVEYMONKEY_PLAIN else f"{a or last} - {b}")
    raw.notes.append("SurveyMonkey export: the two header rows were merged")
    return start + 2, merged


def header_layout(f: pd.DataFrame, raw: RawTable, spec: TableSpec, problems: list[Problem],
                  n_rows: int | None = None, width: int | None = None) -> tuple[int, list[str]]:
    """Where the records start and the column names, from the first rows of a headerless table.

    Parameters
    ----------
    f : DataFrame
        The table's first rows (at least 23, or all of them), headerless.
    raw : RawTable
        The table being read: ``raw.format`` becomes the survey tool's when
        its layout is found; ``raw.notes``, ``raw.labels`` and
        ``raw.header_lines`` are set.
    spec : TableSpec
    problems : list of Problem
        Receives a note on duplicated column names.
    n_rows, width : int, optional
        The number of rows of the whole table and the most cells filled in
        any of its rows (both default to ``f``'s).

    Returns
    -------
    (int, list of str)
        The row of the first record, and the column names.
    """
    n_rows = len(f) if n_rows is None else n_rows
    _check_rows(raw, spec, n_rows)
    start = _header_start(f, raw, spec, width)
    rows = [_row_text(f, start + k, n_rows) for k in range(3)]
    for tool, layout in (("qualtrics", _qualtrics), ("surveymonkey", _surveymonkey)):
        found = layout(raw, rows, start)
        if found is not None:
            body_start, names = found
            raw.format = tool
            break
    else:
        body_start, names = start + 1, rows[0]
    names, dups = dedupe_headers(names)
    if dups:
        problems.append(Problem(f"duplicated column names: {', '.join(sorted(set(dups)))}", fatal=False,
                                file=str(raw.file),
                                hint="the later copies are named 'NAME (2)', 'NAME (3)'; map the one you mean"))
    raw.header_lines = body_start
    return body_start, names


def apply_header(raw: RawTable, spec: TableSpec, problems: list[Problem]) -> RawTable:
    """Turn the first row(s) of a headerless frame into column names, handling survey-tool layouts."""
    f = raw.frame
    body_start, names = header_layout(f, raw, spec, problems)
    body = f.iloc[body_start:].set_axis(names, axis=1)  # copy-on-write: no copy of the cells
    body[ROW] = body.index.to_numpy() + 1  # the reader's position: 1 = first line of the file
    raw.frame = body.reset_index(drop=True)
    return raw
