"""Tables as a client reads them: prettified headers, numbers formatted by what they measure, summary size.

A column's name says how its values are shown (:func:`column_kinds`):
shares as percentages, p-values to three decimals or "<0.001", NPS points
and days to one decimal, ratios to two; an interval column (``ci_low``,
``or_ci_high``...) follows its estimate. :func:`table_html` renders a
DataFrame through the ``table`` partial, cut to :data:`MAX_TABLE_ROWS` rows
and :data:`~npsdiag.report.text.MAX_CELL_CHARS` characters per cell.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from .partials import render
from .text import client_text, cut, is_missing

__all__ = ["MAX_TABLE_ROWS", "NOWRAP_CHARS", "pretty_column", "column_kinds", "fmt_number", "fmt_cell",
           "fmt_evidence", "table_html"]

#: Rows shown per table (the report shows summaries, not raw data).
MAX_TABLE_ROWS = 30
#: Cells up to this many characters are kept on one line (dates, ids, numbers).
NOWRAP_CHARS = 16

_PRETTY = {"nps": "NPS", "n": "n", "ci_low": "CI low", "ci_high": "CI high", "moe": "± margin",
           "se": "SE", "p_value": "p", "p_adj": "p (BH-adjusted)", "or": "odds ratio", "auc": "AUC",
           "arr": "ARR", "id": "ID", "sla": "SLA", "csm": "CSM", "i2": "I²", "diff": "difference",
           "ci": "CI", "dof": "df", "chi2": "χ²", "q": "Q", "tau": "τ", "tau2": "τ²", "o_e": "observed/expected",
           "cramers_v": "Cramér's V", "pct": "%"}
_PRETTY_SUFFIX = (("_p_adj", " p (BH-adjusted)"), ("_p_value", " p"), ("_p", " p"), ("_o_e", " observed/expected"))
_INTERVAL_SUFFIXES = ("_ci_low", "_ci_high", "_low", "_high")
_P_NAMES = ("p", "p_value", "p_adj", "q_value", "pvalue")
_RATIO_NAMES = ("estimate", "cramers_v", "effect_size", "gini", "dispersion", "o_e")
_SHARE_NAMES = ("i2", "within_sla", "never", "late", "tolerance")


def pretty_column(name: Any) -> str:
    """A column or evidence key as a client reads it.

    Examples
    --------
    >>> pretty_column("ci_low"), pretty_column("pct_promoters"), pretty_column("share_within_sla")
    ('CI low', '% promoters', 'Share within SLA')
    """
    s = str(name)
    if s in _PRETTY:
        return _PRETTY[s]
    if s.startswith("pct_"):
        return "% " + s[4:].replace("_", " ")
    tail = ""
    for suffix, words in _PRETTY_SUFFIX:
        if s.endswith(suffix) and len(s) > len(suffix):
            s, tail = s[: -len(suffix)], words
            break
    words = [_PRETTY.get(w, w) for w in s.split("_")]
    out = " ".join(words) + tail
    return out[:1].upper() + out[1:]


def _base_kind(c: str) -> str | None:
    """How values of a column or evidence key named ``c`` are shown: share, pct, pts, p, ratio, days or None."""
    c = c.lower()
    t = c.split("_")
    if c in _P_NAMES or c.startswith("p_") or c.endswith(("_p_adj", "_p_value", "_p")):
        return "p"
    if c.startswith("pct"):
        return "pct"
    if "effect" in t and ("mix" in t or "rate" in t):
        return "pts"
    if "nps" in t or t[0] in ("diff", "change", "difference", "gap", "tau") or c == "largest_gap_vs_rest":
        return "pts"
    if {"ratio", "odds", "or", "auc"} & set(t) or c in _RATIO_NAMES or c.endswith("_o_e"):
        return "ratio"
    if {"share", "rate", "coverage"} & set(t) or c in _SHARE_NAMES:
        return "share"
    if "days" in t:
        return "days"
    return None


def column_kinds(names: list[str]) -> dict[str, str | None]:
    """Kind of every column (see :func:`fmt_number`); an interval column (``ci_low``...) follows its estimate.

    Examples
    --------
    >>> column_kinds(["churn_rate", "ci_low", "odds_ratio", "or_ci_high", "p_adj"])
    {'churn_rate': 'share', 'ci_low': 'share', 'odds_ratio': 'ratio', 'or_ci_high': 'ratio', 'p_adj': 'p'}
    """
    kinds: dict[str, str | None] = {}
    last: str | None = None
    for name in names:
        c = str(name).lower()
        kind: str | None
        if c in ("ci_low", "ci_high", "moe", "se", "lower", "upper"):
            kind = last if last != "p" else None
        elif c.endswith(_INTERVAL_SUFFIXES) and not c.startswith(("p_", "n_")):
            base = next(c[: -len(x)] for x in _INTERVAL_SUFFIXES if c.endswith(x))
            kind = _base_kind(base) or (last if last != "p" else None)
        else:
            kind = _base_kind(c)
            last = kind
        kinds[str(name)] = kind
    return kinds


def _fmt_float(f: float, kind: str | None) -> str:
    """A float of a column of ``kind`` (see :func:`fmt_number`)."""
    if math.isinf(f):
        return "∞" if f > 0 else "−∞"
    if kind == "p":
        return "<0.001" if 0 <= f < 0.001 else f"{f:.3f}"
    if kind == "share" and abs(f) <= 1.0:
        return f"{100 * f:.1f}%"
    if kind == "pct":
        return f"{f:.1f}%"
    if kind == "ratio":
        return f"{f:.2f}" if abs(f) < 100 else f"{f:,.0f}"
    if kind in ("pts", "days"):
        return f"{f:,.1f}"
    if f.is_integer() and abs(f) >= 100:
        return f"{int(f):,}"
    if abs(f) >= 1000:
        return f"{f:,.0f}"
    return f"{f:.2f}" if abs(f) < 10 else f"{f:.1f}"


def _fmt_other(v: Any) -> str:
    """A value that is not a number: dates, periods, intervals, anything else as :class:`str`."""
    if isinstance(v, (pd.Timestamp, datetime)):
        ts = pd.Timestamp(v)
        return ts.strftime("%Y-%m-%d") if ts.hour == ts.minute == 0 else ts.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, pd.Interval):
        return f"{v.left:g}–{v.right:g}"
    return str(v)


def fmt_number(col: str, v: Any, kind: str | None = None) -> str:
    """Format one value of column ``col`` for the client (shares as %, p-values, thousands, NPS points).

    Parameters
    ----------
    col : str
        The column (or evidence key) the value belongs to; its name gives
        the kind when ``kind`` is None.
    v : any
        The value.
    kind : {"share", "pct", "pts", "p", "ratio", "days"}, optional
        How to show it (:func:`column_kinds`).

    Examples
    --------
    >>> fmt_number("share", 0.256), fmt_number("p_adj", 0.0004), fmt_number("n", 7353), fmt_number("nps", None)
    ('25.6%', '<0.001', '7,353', '–')
    """
    if is_missing(v):
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        return _fmt_float(float(v), kind if kind is not None else column_kinds([col])[col])
    return _fmt_other(v)


def fmt_cell(col: str, v: Any, redact: bool, kind: str | None = None) -> str:
    """One table cell as plain text (not escaped): numbers formatted, text redacted when asked and cut."""
    if isinstance(v, str):
        return cut(client_text(v, redact))
    if isinstance(v, (list, tuple, set, dict, np.ndarray)):
        return cut(client_text(", ".join(map(str, v)) if not isinstance(v, dict) else str(v), redact))
    s = fmt_number(col, v, kind)
    return cut(client_text(s, redact)) if not isinstance(v, (int, float, np.number, bool, np.bool_)) else s


def fmt_evidence(key: str, v: Any, kind: str | None = None) -> str:
    """One evidence value of a finding as plain text (text as it is, numbers by their key)."""
    if isinstance(v, str):
        return v
    return fmt_number(key, v, kind)


def table_html(frame: pd.DataFrame, caption: str = "", redact: bool = False, max_rows: int = MAX_TABLE_ROWS,
               table_id: str | None = None) -> str:
    """A client-readable table: prettified headers, formatted numbers, text escaped.

    Parameters
    ----------
    frame : DataFrame
        A tidy, summary-sized table (snake_case columns are prettified).
    caption : str
        One sentence shown above the table (numbered "Table n" in the report).
    redact : bool
        Mask personal data in text cells.
    max_rows : int
        Longer tables are cut with a note (the report shows summaries, not
        raw data). Text cells are cut at
        :data:`~npsdiag.report.text.MAX_CELL_CHARS` characters.
    table_id : str, optional
        Anchor id of the table.

    Returns
    -------
    str
        ``<div class="table-block">`` holding the caption and the table in
        a ``table-wrap`` box that scrolls sideways on a narrow screen, never
        the page (partial ``table.html.j2``).

    Examples
    --------
    >>> html = table_html(pd.DataFrame({"segment": ["A & B"], "share": [0.256]}), "Shares.")
    >>> "A &amp; B" in html, "25.6%" in html, ">Share<" in html
    (True, True, True)
    """
    if frame is None or len(frame.columns) == 0:
        return ""
    f = frame
    total = len(f)
    if total > max_rows:
        f = f.head(max_rows)
    keep_index = isinstance(f.index, pd.MultiIndex) or f.index.name is not None
    f = f.reset_index(drop=not keep_index)
    cols = [str(c) for c in f.columns]
    num = [pd.api.types.is_numeric_dtype(f[c]) and not pd.api.types.is_bool_dtype(f[c]) for c in f.columns]
    kinds = column_kinds(cols)
    rows = []
    for rec in f.itertuples(index=False, name=None):
        cells = []
        for c, v, isnum in zip(cols, rec, num, strict=True):
            text = fmt_cell(c, v, redact, kinds[c])
            cells.append((text, "num" if isnum else ("nw" if len(text) <= NOWRAP_CHARS else "")))
        rows.append(cells)
    caption_text = client_text(caption, redact)
    return render("table.html.j2", table_id=table_id, caption=caption_text,
                  label=client_text(cut(caption, 80), redact) if caption else "table", wide=len(cols) >= 10,
                  columns=[(pretty_column(c), isnum) for c, isnum in zip(cols, num, strict=True)], rows=rows,
                  shown=max_rows if total > max_rows else None, total=f"{total:,}")
