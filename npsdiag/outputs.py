"""The files a run writes beside the report: findings.json and the CSV exports.

CSV cells that a spreadsheet would run as a formula are neutralised
(OWASP's CSV injection guidance), and every file is written atomically.
"""

from __future__ import annotations

import codecs
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .areas.decay import callback_queue
from .clean import REASONS, Prepared
from .errors import NpsdiagError, Problem
from .findings import Diagnosis, jsonable
from .redact import redact_frame
from .story import Story, cause_of

__all__ = ["write_outputs", "write_csv_safely", "neutralise_formulas", "no_usable_responses", "FORMULA_PREFIXES",
           "IDENTIFIER_COLUMNS", "findings_document", "write_json"]

#: A text cell starting with one of these is run as a formula by spreadsheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas.

    Any text cell (and column name) starting with ``=``, ``+``, ``-``, ``@``,
    a tab or a carriage return gets a leading apostrophe, as OWASP's CSV
    injection guidance recommends. Numbers, dates and missing values are left
    as they are (a negative number is not text).

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"c": ["=1+1", "ok", "-2"], "n": [-1, 2, 3]}))["c"].tolist()
    ["'=1+1", 'ok', "'-2"]
    """
    out = frame.copy()
    for c in out.columns:
        ser = out[c]
        if pd.api.types.is_object_dtype(ser) or pd.api.types.is_string_dtype(ser) or isinstance(
                ser.dtype, pd.CategoricalDtype):
            obj = ser.astype(object)
            hit = _formula_cells(ser)
            vals = obj.to_numpy(dtype=object, copy=True)
            if hit.any():
                vals[hit] = ["'" + v for v in vals[hit]]
            out[c] = pd.Series(vals, index=obj.index)  # the dtype inferred as Series.map would (str when all text)
    out.columns = [("'" + str(c)) if str(c).startswith(FORMULA_PREFIXES) else str(c) for c in out.columns]
    return out


def _formula_cells(ser: pd.Series) -> np.ndarray:
    """Per cell: text starting with a formula character (vectorised for string and categorical columns)."""
    if not len(ser):
        return np.zeros(0, dtype=bool)
    if isinstance(ser.dtype, pd.CategoricalDtype):
        cats = pd.Series(ser.cat.categories)
        bad = _formula_cells(cats.astype(object)) if len(cats) else np.zeros(0, dtype=bool)
        codes = ser.cat.codes.to_numpy()
        return np.where(codes >= 0, bad[np.maximum(codes, 0)] if len(bad) else False, False)
    if pd.api.types.is_object_dtype(ser):
        if pd.api.types.infer_dtype(ser, skipna=True) not in ("string", "empty"):  # text among dates, numbers...
            return np.array([isinstance(v, str) and v.startswith(FORMULA_PREFIXES) for v in ser], dtype=bool)
        ser = ser.astype("string")  # all text: the string kernels apply
    hit = ser.str.startswith(FORMULA_PREFIXES)
    return hit.astype("boolean").fillna(False).to_numpy(dtype=bool)


def write_csv_safely(frame: pd.DataFrame, path: str | Path, encoding: str = "utf-8-sig") -> Path:
    """Write a table as CSV, formula cells neutralised, atomically.

    Parameters
    ----------
    frame : DataFrame
    path : str or Path
        The CSV to write; its folder must exist. An existing file is replaced
        only once the new one is complete (written to a temporary file in the
        same folder, then renamed).
    encoding : str
        ``utf-8-sig`` by default (a byte-order mark, so that Excel reads
        accented names correctly).

    Returns
    -------
    Path

    Notes
    -----
    Dates are written as ISO dates (``YYYY-MM-DD``, or with the time when one
    is present); see :func:`neutralise_formulas` for the cells changed.
    """
    path = Path(path)
    safe = neutralise_formulas(frame)
    for c in safe.columns:
        if pd.api.types.is_datetime64_any_dtype(safe[c]):
            d = safe[c]
            has_time = bool(((d.dropna() - d.dropna().dt.normalize()) != pd.Timedelta(0)).any())
            safe[c] = d.dt.strftime("%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d")
    table = _arrow_table(safe) if encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig") else None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        if table is not None:  # Arrow's CSV writer: a tenth of the time of pandas' on a long work list
            with os.fdopen(fd, "wb") as fh:
                if encoding.lower().replace("_", "-") == "utf-8-sig":
                    fh.write(codecs.BOM_UTF8)
                pacsv.write_csv(table, fh)
        else:  # pandas' writer, for anything Arrow's does not write as pandas would
            with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
                safe.to_csv(fh, index=False)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report file is shared like the others
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _arrow_table(frame: pd.DataFrame) -> pa.Table | None:
    """``frame`` as an Arrow table for Arrow's CSV writer (text quoted, missing values empty, true/false as
    True/False as pandas writes them); None when a column is anything but text, numbers or true/false (a
    duration, a period, a list...): pandas then writes the file, each cell as it prints it."""
    out = frame.copy()
    for c in out.columns:
        ser = out[c]
        if pd.api.types.is_bool_dtype(ser):
            out[c] = ser.map({True: "True", False: "False"})
        elif pd.api.types.is_object_dtype(ser):
            if pd.api.types.infer_dtype(ser, skipna=True) not in ("string", "empty"):
                return None
        elif not ((pd.api.types.is_numeric_dtype(ser) and not pd.api.types.is_complex_dtype(ser))
                  or pd.api.types.is_string_dtype(ser)):
            return None
    try:
        return pa.Table.from_pandas(out, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        return None


#: Columns of the CSV exports that hold the identifiers the user mapped (accounts, responses, respondents): never
#: redaction targets, whatever they look like (a 16-digit account number passing the Luhn check is no card).
IDENTIFIER_COLUMNS = ("account_id", "response_id", "respondent_id", "respondent", "account_name")


def no_usable_responses(prep: Prepared) -> Problem | None:
    """The problem to report when no response can be analysed (every row excluded), with why; else None.

    Examples
    --------
    >>> import pandas as pd
    >>> from npsdiag.io import from_frames
    >>> from npsdiag.clean import prepare
    >>> prep = prepare(from_frames(pd.DataFrame({"score": [12, 15], "responded_at": ["2024-01-02", "2024-01-03"]})))
    >>> no_usable_responses(prep).message
    'none of the 2 response rows can be analysed: 2 score outside the scale'
    """
    if len(prep.responses):
        return None
    counts = prep.excluded_counts
    why = "; ".join(f"{int(n):,} {REASONS.get(reason, reason)}" for reason, n in counts.items() if n)
    return Problem(f"none of the {len(prep.flags):,} response rows can be analysed" + (f": {why}" if why else ""),
                   hint="check the mapped score and date columns, `settings.period` and `accounts.snapshot_date` "
                   "against the data (`npsdiag validate` lists the exclusions); no report was written")


def findings_document(diag: Diagnosis, story: Story | None = None) -> dict[str, Any]:
    """findings.json as a dict: the diagnosis, and with a story its additions.

    With ``story`` (:func:`npsdiag.story.tell`): ``index``, ``which_nps``, ``recommended_kpi``, ``currency``,
    ``value_at_stake`` (with ``_accounts`` and ``_renewing``), ``messages``, ``unassessed``, ``comparison``; and on
    every finding its ``cause`` (the root cause it shares with others, or null) and the ``value_at_stake`` of that
    cause (the same amount on each finding of a cause: do not add them up).
    """
    doc = diag.to_dict()
    if story is None:
        return doc
    extra = story.to_dict()
    causes = extra.pop("finding_causes")
    for f in doc["findings"]:
        c = causes.get(f["id"])
        cause = cause_of(f["id"])
        f["cause"] = c["cause"] if c else (cause.key if cause is not None else None)
        f["value_at_stake"] = c["value_at_stake"] if c else None
    doc.update(jsonable(extra))
    return doc


def write_json(doc: dict[str, Any], path: str | Path) -> Path:
    """Write a JSON document atomically (a temporary file renamed into place)."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path


def write_outputs(diag: Diagnosis, prep: Prepared, output_dir: str | Path, story: Story | None = None) -> list[Path]:
    """Write findings.json and the CSV exports (segment table, callback queue, renewal-risk list) into ``output_dir``.

    With ``story``, findings.json holds its additions (:func:`findings_document`) and ``renewal_risk.csv`` (one row
    per active account, riskiest first) is written beside the callback queue.

    With ``settings.redact_pii`` the CSVs are redacted as the report is
    (:func:`npsdiag.redact.redact_frame`, the one redaction of the kit): text
    columns are scanned, identifier columns (:data:`IDENTIFIER_COLUMNS`) kept.

    Returns the paths written.

    Raises
    ------
    NpsdiagError
        When no response could be analysed: a report of nothing must not look
        finished.
    """
    empty = no_usable_responses(prep)
    if empty is not None:
        raise NpsdiagError(empty)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [write_json(findings_document(diag, story), out / "findings.json")]
    redact = prep.settings.redact_pii
    if story is not None and len(story.risk):
        risk = redact_frame(story.risk, id_columns=[], keep=IDENTIFIER_COLUMNS) if redact else story.risk
        written.append(write_csv_safely(risk, out / "renewal_risk.csv"))
    seg = diag.areas.get("segmentation")
    table = None if seg is None else seg.tables.get("segments", seg.tables.get("segment_table"))
    if table is not None:
        table = redact_frame(table, keep=IDENTIFIER_COLUMNS) if redact else table
        written.append(write_csv_safely(table, out / "segments.csv"))
    decay = diag.areas.get("decay")
    queue = decay.exports.get("callback_queue.csv") if decay is not None else None
    queue = callback_queue(prep) if queue is None else queue
    if queue is not None:
        # owners' and accounts' text (an owner's e-mail, a note in a name) masked; who to call back is kept
        queue = redact_frame(queue, id_columns=[], keep=IDENTIFIER_COLUMNS) if redact else queue
        written.append(write_csv_safely(queue, out / "callback_queue.csv"))
    return written
