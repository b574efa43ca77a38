"""A table as read, mapped through its config: canonical fields typed, segments and drivers kept under their
export names, every problem found collected."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import Config, Settings, TableSpec
from ..errors import Problem
from .dates import parse_dates
from .header import find_column
from .sniff import DELIMITERS
from .strings import arrow_strings, holds_invisible, string_series, stripped, to_numpy_bool
from .tables import DATE_FIELDS, ROW, RawTable
from .values import RANGE_RE, apply_labels, churn_statuses, parse_bool, parse_numbers, parse_scores

__all__ = ["MAX_TEXT_CHARS", "map_table", "text_values", "check_empty_columns"]

MAX_TEXT_CHARS = 10_000  #: text cells (comments, names) longer than this are cut, with a warning
#: Invisible characters removed from text (RE2 syntax): control characters but tab and line breaks (NUL...), the
#: C1 controls, the bidirectional embeddings, overrides and isolates (a right-to-left override turns "EMEA" into
#: what looks like another word), zero-width spaces and byte-order marks. Joiners and the left/right marks, which
#: some scripts need, are kept.
INVISIBLE_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x{9f}\x{200b}\x{202a}-\x{202e}\x{2066}-\x{2069}\x{feff}]"


def _without_invisible(arr: pa.ChunkedArray, what: str, file: str, frame: pd.DataFrame,
                       problems: list[Problem]) -> pa.ChunkedArray:
    """``arr`` with :data:`INVISIBLE_RE2` characters removed, and a problem naming the rows when there were any."""
    if not holds_invisible(arr):  # (a numpy scan of the bytes: the regular expression only where one is found)
        return arr
    hit = pc.match_substring_regex(arr, INVISIBLE_RE2)
    rows = to_numpy_bool(hit)
    problems.append(Problem(f"{int(rows.sum()):,} value(s) in '{what}' held invisible control characters (such as "
                            "NUL or a right-to-left override); they were removed", fatal=False, file=file,
                            where=what, rows=frame.loc[rows, ROW].tolist(),
                            hint="such characters come from the export tool or from pasted text; a value that "
                            "differed only by them (\"EM\\0EA\" and \"EMEA\") is now one value"))
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(arr, INVISIBLE_RE2, ""))


def text_values(values: pd.Series, what: str, file: str, frame: pd.DataFrame, problems: list[Problem]) -> pd.Series:
    """Text values stripped, invisible control characters removed (said), blanks as missing, cells longer than
    :data:`MAX_TEXT_CHARS` cut with a warning.

    ``frame`` is the table the values come from (its ``_row`` names the rows cut); ``what`` the column.
    """
    arr = _without_invisible(stripped(values), what, file, frame, problems)
    nbytes = pc.binary_length(arr)
    if pc.any(pc.equal(nbytes, 0)).as_py():
        arr = pc.if_else(pc.equal(nbytes, 0), pa.scalar(None, arr.type), arr)
    s = string_series(arr, values.index, values.name)
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


@dataclass
class _Mapping:
    """One table being mapped: the table as read, its spec, and where typed columns and problems go."""

    raw: RawTable
    spec: TableSpec
    dayfirst: bool | None
    out: pd.DataFrame
    problems: list[Problem]
    settings: Settings

    @property
    def frame(self) -> pd.DataFrame:
        return self.raw.frame

    @property
    def file(self) -> str:
        return str(self.raw.file)

    def columns(self) -> list[str]:
        """Every column of the file (also those left unread), but ``_row``."""
        return [c for c in (self.raw.columns if self.raw.columns is not None else self.frame.columns) if c != ROW]

    def column(self, name: str, where: str) -> str | None:
        """The file's column for a config name, or None with a problem saying it is missing."""
        cols = self.columns()
        col, sug = find_column(name, cols)
        if col is None:
            shown = ", ".join(repr(c)[1:-1] for c in cols[:12]) + (" …" if len(cols) > 12 else "")
            hint = _single_column_hint([str(c) for c in cols]) or (
                f"did you mean '{sug}'?" if sug else f"columns in the file: {shown}")
            self.problems.append(Problem(f"column '{name}' not found", file=self.file, where=where, hint=hint))
        return col

    def rows(self, mask: pd.Series) -> list[int]:
        return self.frame.loc[mask, ROW].tolist()

    def text(self, col: str) -> pd.Series:
        return text_values(self.frame[col], col, self.file, self.frame, self.problems)


def _map_score(m: _Mapping, fld: str, col: str) -> None:
    """``score`` as a number, and ``score_text``: the score as written where it is not a number.

    Values that are read but questionable are said: ranges ("7-8", not read), thousands ("1,000", read as 1000,
    outside the scale) and scores that are not whole numbers (7.5, categorised by their value).
    """
    values = m.frame[col]
    score, invalid = parse_scores(apply_labels(values, m.spec.score_labels), m.spec.decimal)
    m.out["score"] = score
    text = m.text(col)
    m.out["score_text"] = string_series(pc.if_else(pa.array(invalid.to_numpy()), arrow_strings(text),
                                                   pa.scalar(None, pa.large_string())), text.index, text.name)
    _score_notes(m, col, text, score.to_numpy(), invalid.to_numpy())


def _score_notes(m: _Mapping, col: str, text: pd.Series, score: np.ndarray, invalid: np.ndarray) -> None:
    """Problems (non-fatal) for score values that are ranges, written with thousands separators, or decimals."""
    where = f"{m.spec.name}.columns.score"
    if invalid.any():
        ranges = (text.str.match(RANGE_RE) & pd.Series(invalid, index=text.index)).fillna(False).astype(bool)
        if ranges.any():
            m.problems.append(Problem(
                f"{int(ranges.sum()):,} value(s) in '{col}' are ranges such as {str(text[ranges].iloc[0])!r}, not one "
                "score; they are not read as scores (excluded as not a number)", fatal=False, file=m.file,
                where=where, rows=m.rows(ranges), hint="export the score itself (0-10), one number per response"))
    big = np.isfinite(score) & (score >= 1000)
    if big.any():
        comma = (text.str.contains(",", regex=False) & pd.Series(big, index=text.index)).fillna(False).astype(bool)
        if comma.any():
            m.problems.append(Problem(
                f"{int(comma.sum()):,} value(s) in '{col}' such as {str(text[comma].iloc[0])!r} are read as "
                "thousands (the comma separates thousands), outside the scale: they are excluded", fatal=False,
                file=m.file, where=where, rows=m.rows(comma),
                hint="if the comma is a decimal mark, set `decimal: ','` under the table"))
    lo, hi = m.settings.scale
    frac = np.isfinite(score) & (score >= lo) & (score <= hi) & (np.mod(score, 1) != 0)
    if frac.any():
        st = m.settings
        example = float(score[frac][0])
        m.problems.append(Problem(
            f"{int(frac.sum()):,} score(s) in '{col}' are not whole numbers (e.g. {example:g}); each is categorised "
            f"by its value: detractor up to {st.detractor_max:g}, promoter from {st.promoter_min:g}, passive "
            "between", fatal=False, file=m.file, where=where, rows=m.rows(pd.Series(frac, index=text.index)),
            hint="a standard NPS question takes whole numbers 0-10: check that the column holds the answer itself, "
            "not an average"))


def _map_date(m: _Mapping, fld: str, col: str) -> None:
    """A date field; unreadable dates are missing, with a problem and a ``<field>_unreadable`` column."""
    values = m.frame[col]
    where = f"{m.spec.name}.columns.{fld}"
    dates, unreadable, note = parse_dates(values, m.dayfirst)
    m.out[fld] = dates
    if unreadable.any():
        example = str(values[unreadable].iloc[0])
        example = example if len(example) <= 60 else example[:60] + "…"
        bad = pd.Series(values[unreadable].astype(str))
        zero = bool(bad.str.contains(r"^\s*(?:1900-01-0[01]|1899-12-3[01])", regex=True).any())
        late = bool(bad.str.contains(r"(?:^|\D)(?:2[1-9]|[3-9]\d)\d\d(?:\D|$)", regex=True).any())
        m.problems.append(Problem(f"{int(unreadable.sum())} value(s) in '{col}' are not dates (e.g. {example!r})",
                                  fatal=False, file=m.file, where=where, rows=m.rows(unreadable),
                                  hint="they are treated as missing" + (
                                      "; 1900-01-01 (or 1899-12-30/31) is what Excel writes for an empty date cell"
                                      if zero else "") + ("; dates after 2099 are taken as mistakes" if late else "")))
        m.out[f"{fld}_unreadable"] = unreadable.to_numpy()
    if note:
        m.problems.append(Problem(note, fatal=False, file=m.file, where=where))


def _map_churned(m: _Mapping, fld: str, col: str) -> None:
    """``churned`` as a nullable boolean (``churn_values`` list the values that mean churned).

    With ``churn_values``, every distinct status is read as churned, as retained (active, renewed...) or is
    reported as unrecognised, its accounts' outcome unknown (:func:`~npsdiag.io.values.parse_bool`).
    """
    values = m.frame[col]
    flag, unreadable = parse_bool(values, m.spec.churn_values)
    m.out["churned"] = flag
    where = f"{m.spec.name}.columns.churned"
    if m.spec.churn_values is not None:
        statuses = churn_statuses(values, m.spec.churn_values)
        m.raw.statuses = statuses
        odd = statuses[statuses["reading"] == "unrecognised"]
        if len(odd):
            m.problems.append(_unrecognised_statuses(odd, col, m.spec.churn_values, m.file, where,
                                                     m.rows(unreadable)))
        return
    if unreadable.any():
        examples = ", ".join(repr(v[:40]) for v in values[unreadable].astype(str).unique()[:3])
        m.problems.append(Problem(f"{int(unreadable.sum())} value(s) in '{col}' are not yes/no ({examples})",
                                  fatal=False, file=m.file, where=where, rows=m.rows(unreadable),
                                  hint="give `churn_values: [...]` listing the values that mean churned"))


_CHURN_WORDS = re.compile(r"churn|cancel|lost|terminat|closed|left|lapsed|non.?renew|not renew", re.IGNORECASE)


def _unrecognised_statuses(odd: pd.DataFrame, col: str, churn_values: list[str], file: str, where: str,
                           rows: list[int]) -> Problem:
    """The problem naming the statuses that are neither listed as churned nor recognised as retained."""
    listed = [str(v).strip().lower() for v in churn_values]
    shown = ", ".join(f"'{str(s)[:40]}' ({n:,})" for s, n in zip(odd["status"].head(6), odd["n"].head(6)))
    more = f" and {len(odd) - 6} more" if len(odd) > 6 else ""
    looks = [str(s) for s in odd["status"]
             if _CHURN_WORDS.search(str(s)) or any(v and v in str(s).lower() for v in listed)]
    hint = ("add every status that means churned to `churn_values:`"
            + (f" ({', '.join(repr(s[:40]) for s in looks[:4])} look like churn)" if looks else "")
            + "; statuses meaning the account stayed (Active, Renewed, Retained...) are recognised")
    return Problem(f"{int(odd['n'].sum()):,} row(s) in '{col}' have a status that is neither listed in "
                   f"churn_values nor recognised as retained: {shown}{more}; their outcome is treated as unknown, "
                   "not as retained", fatal=False, file=file, where=where, rows=rows, hint=hint)


def _map_revenue(m: _Mapping, fld: str, col: str) -> None:
    m.out["revenue"] = parse_numbers(m.frame[col], m.spec.decimal)


def _map_finished(m: _Mapping, fld: str, col: str) -> None:
    m.out["finished"] = parse_bool(m.frame[col])[0]


def _map_text(m: _Mapping, fld: str, col: str) -> None:
    m.out[fld] = m.text(col)


_FIELD_TYPES = {"score": _map_score, "churned": _map_churned, "revenue": _map_revenue, "finished": _map_finished,
                **dict.fromkeys(DATE_FIELDS, _map_date)}  #: how each field is typed (others: text)


def _survey_date(m: _Mapping) -> None:
    """Every response dated ``survey_date`` when the export has no response dates (and ids from the rows)."""
    spec, out = m.spec, m.out
    out["responded_at"] = pd.Series(pd.Timestamp(spec.survey_date), index=out.index, dtype="datetime64[ns]")
    no_id = "response_id" not in out
    if no_id:  # identical answers on one date are not evidence of a duplicate: each row is its own response
        out["response_id"] = "row " + out[ROW].astype(str)
    m.problems.append(Problem(f"the export has no response dates: every response is dated {spec.survey_date} "
                              "(`survey_date`)" + ("; without dates or response ids, only rows identical in "
                                                   "every column of the file count as duplicates" if no_id else ""),
                              fatal=False, file=m.file, where=f"{spec.name}.survey_date",
                              hint="trends, feed gaps and timing cannot be assessed; map `responded_at` if the "
                              "survey tool can export the submission date"))


def _map_extra(m: _Mapping, name: str) -> None:
    """A segment (text) or driver (score) column, kept under its export name unless empty throughout."""
    is_driver = name in m.spec.drivers
    key = f"{m.spec.name}.{'drivers' if is_driver else 'segments'}"
    col = m.column(name, key)
    if col is None:
        return
    if name in m.out.columns:
        m.problems.append(Problem(f"'{name}' is also a canonical field name", file=m.file, where=key,
                                  hint="rename the column in a copy of the export"))
        return
    values = parse_scores(apply_labels(m.frame[col], m.spec.score_labels), m.spec.decimal)[0] if is_driver \
        else m.text(col)
    if len(values) and values.isna().all():
        what = "has no numeric value" if is_driver and m.frame[col].notna().any() else "is empty in every row"
        m.problems.append(Problem(f"{'driver' if is_driver else 'segment'} '{name}' {what}; it is left out",
                                  fatal=False, file=m.file, where=key,
                                  hint="check that the right column is listed, or remove it"))
        return
    m.out[name] = values


def map_table(raw: RawTable, spec: TableSpec, cfg: Config, problems: list[Problem]) -> pd.DataFrame:
    """The canonical table of a table as read: the spec's fields typed, then its segments and drivers.

    Parameters
    ----------
    raw : RawTable
        The table as read (:func:`~npsdiag.io.read_raw`).
    spec : TableSpec
        Its section of the config.
    cfg : Config
        The whole config (its settings' ``dayfirst``).
    problems : list of Problem
        Receives every problem found: missing columns (fatal), unreadable
        values, empty segments and drivers.

    Returns
    -------
    DataFrame
        ``_row`` and the mapped columns (see :class:`~npsdiag.io.ClientData`).
    """
    frame = raw.frame
    out = pd.DataFrame(index=frame.index)
    out[ROW] = frame[ROW]
    dayfirst = spec.dayfirst if spec.dayfirst is not None else cfg.settings.dayfirst
    m = _Mapping(raw=raw, spec=spec, dayfirst=dayfirst, out=out, problems=problems, settings=cfg.settings)
    for fld, name in spec.columns.items():
        col = m.column(name, f"{spec.name}.columns.{fld}")
        if col is not None:
            _FIELD_TYPES.get(fld, _map_text)(m, fld, col)
    if spec.survey_date and "responded_at" not in out and spec.name == "responses":
        _survey_date(m)
    for name in dict.fromkeys(spec.segments + spec.drivers):
        _map_extra(m, name)
    return out


def check_empty_columns(frame: pd.DataFrame, spec: TableSpec, file: str, problems: list[Problem]) -> None:
    """A problem for each mapped field empty in every row (fatal for ``score`` and ``responded_at``).

    A score column holding text but no number gets its own message, with an example.
    """
    for fld in spec.columns:
        if fld == "score" and "score_text" in frame and len(frame) and frame["score"].isna().all() \
                and frame["score_text"].notna().any():
            example = str(frame["score_text"].dropna().iloc[0])[:60]
            problems.append(Problem(f"no value in the column mapped to 'score' ('{spec.columns[fld]}') is a number "
                                    f"(e.g. {example!r})", file=file, where=f"{spec.name}.columns.score",
                                    hint="map the likelihood-to-recommend (0-10) column; labels need a leading "
                                    "number such as '10 - Extremely likely', or a `score_labels:` mapping "
                                    "such as `{\"Extremely satisfied\": 5}`"))
        elif f"{fld}_unreadable" in frame and len(frame) and frame[fld].isna().all() \
                and frame[f"{fld}_unreadable"].any():
            n = int(frame[f"{fld}_unreadable"].sum())
            problems.append(Problem(f"no value in the column mapped to '{fld}' ('{spec.columns[fld]}') is a date: "
                                    f"{n:,} value(s) could not be read as one", fatal=fld == "responded_at",
                                    file=file, where=f"{spec.name}.columns.{fld}",
                                    hint="check that the right column is mapped; dates are read between 1900-01-02 "
                                    "and 2099-12-31 (1900-01-01 is Excel's empty date, a later year a mistake)"))
        elif fld in frame.columns and len(frame) and frame[fld].isna().all():
            problems.append(Problem(f"the column mapped to '{fld}' ('{spec.columns[fld]}') is empty in every row",
                                    fatal=fld in ("score", "responded_at"), file=file,
                                    where=f"{spec.name}.columns.{fld}",
                                    hint="check that the right column is mapped"))
