"""HTML pieces of the client report, displayed by the notebook.

Every function returns an HTML string built here, with every piece of client
text escaped (:func:`html.escape`) and, when the config asks for it
(``settings.redact_pii``), personal data masked first
(:func:`npsdiag.redact.redact_text`). Tables are rendered by pandas with
escaping on and cut to a summary size; figures are embedded as palette PNGs
at a bounded resolution, so the report's size does not grow with the data.
The notebook shows these pieces with :func:`show`; nbconvert
(``templates/npsdiag``) renders the executed notebook without its code into
``report.html``: one self-contained file that loads nothing from the network.

The report, in order: :func:`cover`, :func:`contents`,
:func:`executive_summary` (with :func:`headline_trend` /
:func:`trend_figure`), one :func:`area_html` per area, :func:`action_plan`,
then the appendices :func:`methodology`, :func:`data_appendix` and
:func:`glossary`, and :func:`footer`.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import math
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from .areas.registry import AREAS
from .findings import SEVERITIES, AreaResult, Diagnosis, Figure, Finding

__all__ = ["show", "findings_frame", "cover", "contents", "executive_summary", "area_html", "finding_html",
           "action_plan",
           "methodology", "data_appendix", "glossary", "footer", "table_html", "figure_html", "esc",
           "pretty_column", "headline_trend", "trend_change", "trend_figure", "ACTIONS", "METHODS", "GLOSSARY",
           "MAX_TABLE_ROWS", "MAX_CELL_CHARS", "MAX_FIGURES_PER_AREA", "MAX_TABLES_PER_AREA"]

#: Rows shown per table (the report shows summaries, not raw data).
MAX_TABLE_ROWS = 30
#: Characters shown per table cell or evidence value before it is cut with an ellipsis.
MAX_CELL_CHARS = 240
#: Figures and tables shown per area section (the rest stay in the analyst's notebook).
MAX_FIGURES_PER_AREA = 8
MAX_TABLES_PER_AREA = 12
#: Largest figure width in pixels (figures wider than the page are rendered at a lower dpi).
MAX_FIGURE_PX = 1000

STATUS_LABEL = {"red": "Act now", "amber": "Watch", "green": "Sound", "not_assessed": "Not assessed"}
STATUS_MEANING = {
    "red": "at least one high-severity finding",
    "amber": "at least one medium-severity finding",
    "green": "no high- or medium-severity finding",
    "not_assessed": "the data needed for this area is missing",
}
#: Text icons kept for plain-text uses (the HTML uses the SVG icons of :data:`_ICONS`).
STATUS_ICON = {"red": "▲", "amber": "●", "green": "✓", "not_assessed": "–"}
SEVERITY_LABEL = {"high": "High", "medium": "Medium", "low": "Low", "info": "Info"}
AREA_SHORT = {a.name: a.short for a in AREAS}

# Inline SVG icons (no font or network needed); the status is always written out beside them.
_SVG = '<svg class="icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">{}</svg>'
_ICONS = {
    "red": _SVG.format('<path d="M8 1.2 15.3 14.4H.7Z" fill="currentColor"/>'
                       '<path d="M8 5.6v4.4" stroke="#fff" stroke-width="1.9" stroke-linecap="round"/>'
                       '<circle cx="8" cy="12.2" r="1" fill="#fff"/>'),
    "amber": _SVG.format('<circle cx="8" cy="8" r="7" fill="currentColor"/>'
                         '<path d="M4.6 8h6.8" stroke="#fff" stroke-width="2" stroke-linecap="round"/>'),
    "green": _SVG.format('<circle cx="8" cy="8" r="7" fill="currentColor"/>'
                         '<path d="m4.6 8.3 2.3 2.3 4.5-4.7" stroke="#fff" stroke-width="1.9" fill="none" '
                         'stroke-linecap="round" stroke-linejoin="round"/>'),
    "not_assessed": _SVG.format('<circle cx="8" cy="8" r="6.2" fill="none" stroke="currentColor" '
                                'stroke-width="1.6" stroke-dasharray="2.4 1.6"/>'),
}


# --------------------------------------------------------------------------- escaping and redaction

# What the phone-number redaction may match (kept in step with npsdiag.redact). Matches that are ISO dates,
# or that hold fewer than 9 digits (intervals such as "0.69 (0.61", counts such as "1 250 000"), are numbers of
# the analysis, not phone numbers: they are kept out of the redaction.
_PHONE_LIKE = re.compile(r"(?<!\w)\+?\d[\d ()./-]{7,}\d(?!\w)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")
_MIN_PHONE_DIGITS = 9


def _keep(m: re.Match) -> bool:
    return sum(ch.isdigit() for ch in m.group(0)) < _MIN_PHONE_DIGITS


def _redact(s: str) -> str:
    """:func:`npsdiag.redact.redact_text` on ``s``, sparing dates and short numbers."""
    from .redact import redact_text

    spans = [m.span() for m in _DATE.finditer(s)]
    spans += [m.span() for m in _PHONE_LIKE.finditer(s) if _keep(m)]
    spans.sort()
    out, last = [], 0
    for a, b in spans:
        if a < last:  # overlapping spans: extend what is kept
            if b > last:
                out.append(s[last:b])
                last = b
            continue
        out.append(redact_text(s[last:a]) if a > last else "")
        out.append(s[a:b])
        last = b
    out.append(redact_text(s[last:]) if last < len(s) else "")
    return "".join(out)


def _text(value: Any, redact: bool = False) -> str:
    """Client text as a plain string: None/NaN -> '', personal data masked when ``redact``."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    s = str(value)
    return _redact(s) if redact and s else s


def _cut(s: str, limit: int = MAX_CELL_CHARS) -> str:
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"


def esc(text: Any, redact: bool = False) -> str:
    """Escape client text for HTML, masking personal data first when ``redact``.

    Parameters
    ----------
    text : any
        Converted with :class:`str`; None and NaN give an empty string.
    redact : bool
        Mask emails and phone numbers (:func:`npsdiag.redact.redact_text`);
        ISO dates are left alone.

    Examples
    --------
    >>> esc("<b>Jo</b> jo@example.com", redact=True)
    '&lt;b&gt;Jo&lt;/b&gt; [email]'
    """
    return html.escape(_text(text, redact), quote=True)


def show(fragment: str) -> None:
    """Display an HTML fragment in the notebook (and so in the report)."""
    from IPython.display import HTML, display

    display(HTML(fragment))


def findings_frame(result: AreaResult | Diagnosis) -> pd.DataFrame:
    """Findings of an area (or of the whole diagnosis) as a DataFrame, most severe first.

    Returns
    -------
    DataFrame
        ``id``, ``severity``, ``title``, ``detail``, ``recommendation`` and
        ``evidence`` (dict), one row per finding.

    Examples
    --------
    >>> from npsdiag.findings import AreaResult, Finding
    >>> findings_frame(AreaResult("decay", [Finding("decay.no_follow_up", "high", "t")]))[["id", "severity"]]
                       id severity
    0  decay.no_follow_up     high
    """
    found = result.findings if isinstance(result, Diagnosis) else sorted(
        result.findings, key=lambda f: SEVERITIES.index(f.severity))
    cols = ["id", "severity", "title", "detail", "recommendation", "evidence"]
    return pd.DataFrame([{c: getattr(f, c) for c in cols} for f in found], columns=cols)


# --------------------------------------------------------------------------- formatting

_PRETTY = {"nps": "NPS", "n": "n", "ci_low": "CI low", "ci_high": "CI high", "moe": "± margin",
           "se": "SE", "p_value": "p", "p_adj": "p (BH-adjusted)", "or": "odds ratio", "auc": "AUC",
           "arr": "ARR", "id": "ID", "sla": "SLA", "csm": "CSM", "i2": "I²", "diff": "difference",
           "ci": "CI", "dof": "df", "chi2": "χ²", "q": "Q", "tau": "τ", "tau2": "τ²", "o_e": "observed/expected",
           "cramers_v": "Cramér's V", "pct": "%"}
_PRETTY_SUFFIX = (("_p_adj", " p (BH-adjusted)"), ("_p_value", " p"), ("_p", " p"), ("_o_e", " observed/expected"))


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


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, (float, np.floating)) and math.isnan(float(v))


_INTERVAL_SUFFIXES = ("_ci_low", "_ci_high", "_low", "_high")


def _base_kind(c: str) -> str | None:
    """How values of a column or evidence key named ``c`` are shown: share, pct, pts, p, ratio, days or None."""
    c = c.lower()
    t = c.split("_")
    if c in ("p", "p_value", "p_adj", "q_value", "pvalue") or c.startswith("p_") or c.endswith(("_p_adj",
                                                                                                 "_p_value", "_p")):
        return "p"
    if c.startswith("pct"):
        return "pct"
    if "effect" in t and ("mix" in t or "rate" in t):
        return "pts"
    if "nps" in t or t[0] in ("diff", "change", "difference", "gap", "tau") or c in ("largest_gap_vs_rest",):
        return "pts"
    if "ratio" in t or "odds" in t or "or" in t or "auc" in t or c in ("estimate", "cramers_v", "effect_size",
                                                                       "gini", "dispersion", "o_e") \
            or c.endswith("_o_e"):
        return "ratio"
    if "share" in t or "rate" in t or "coverage" in t or c in ("i2", "within_sla", "never", "late", "tolerance"):
        return "share"
    if "days" in t:
        return "days"
    return None


def _column_kinds(names: list[str]) -> dict[str, str | None]:
    """Kind of every column; an interval column (``ci_low``, ``or_ci_high``...) follows its estimate."""
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


def _fmt_number(col: str, v: Any, kind: str | None = None) -> str:
    """Format one value of column ``col`` for the client (shares as %, p-values, thousands, NPS points)."""
    if _is_missing(v):
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isinf(f):
            return "∞" if f > 0 else "−∞"
        kind = kind if kind is not None else _column_kinds([col])[col]
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
        if abs(f) < 10:
            return f"{f:.2f}"
        return f"{f:.1f}"
    if isinstance(v, (pd.Timestamp, datetime)):
        ts = pd.Timestamp(v)
        return ts.strftime("%Y-%m-%d") if ts.hour == ts.minute == 0 else ts.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, pd.Period):
        return str(v)
    if isinstance(v, pd.Interval):
        return f"{v.left:g}–{v.right:g}"
    return str(v)


def _fmt_cell(col: str, v: Any, redact: bool, kind: str | None = None) -> str:
    if isinstance(v, str):
        return _cut(_text(v, redact))
    if isinstance(v, (list, tuple, set, dict, np.ndarray)):
        return _cut(_text(", ".join(map(str, v)) if not isinstance(v, dict) else str(v), redact))
    s = _fmt_number(col, v, kind)
    return _cut(_text(s, redact)) if not isinstance(v, (int, float, np.number, bool, np.bool_)) else s


#: Cells up to this many characters are kept on one line (dates, ids, numbers).
_NOWRAP_CHARS = 16


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
        raw data). Text cells are cut at :data:`MAX_CELL_CHARS` characters.
    table_id : str, optional
        Anchor id of the table.

    Returns
    -------
    str
        ``<div class="table-wrap">`` holding the caption and the table; the
        wrapper scrolls sideways on a narrow screen, never the page.
    """
    if frame is None or len(frame.columns) == 0:
        return ""
    f = frame
    note = ""
    if len(f) > max_rows:
        note = (f'<p class="table-note">Showing the first {max_rows} of {len(f):,} rows; the full table is in '
                "the analyst's notebook.</p>")
        f = f.head(max_rows)
    keep_index = isinstance(f.index, pd.MultiIndex) or f.index.name is not None
    f = f.reset_index(drop=not keep_index)
    cols = [str(c) for c in f.columns]
    num = [pd.api.types.is_numeric_dtype(f[c]) and not pd.api.types.is_bool_dtype(f[c]) for c in f.columns]
    numcls = ' class="num"'
    head = "".join(f'<th scope="col"{numcls if isnum else ""}>{esc(pretty_column(c))}</th>'
                   for c, isnum in zip(cols, num, strict=True))
    kinds = _column_kinds(cols)
    rows = []
    for rec in f.itertuples(index=False, name=None):
        cells = []
        for c, v, isnum in zip(cols, rec, num, strict=True):
            text = _fmt_cell(c, v, redact, kinds[c])
            cls = "num" if isnum else ("nw" if len(text) <= _NOWRAP_CHARS else "")
            cells.append(f'<td class="{cls}">{html.escape(text)}</td>' if cls else f"<td>{html.escape(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    if not rows:
        rows.append(f'<tr><td colspan="{len(cols)}" class="empty">No rows.</td></tr>')
    cap = f'<p class="caption">{esc(caption, redact)}</p>' if caption else ""
    tid = f' id="{html.escape(table_id)}"' if table_id else ""
    label = esc(_cut(caption, 80) if caption else "table", redact)
    wide = " wide" if len(cols) >= 10 else ""
    return (f'<div class="table-block"{tid}>{cap}<div class="table-wrap" role="region" tabindex="0" '
            f'aria-label="{label}"><table class="data{wide}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>{note}</div>')


def figure_html(fig: Figure | Any, caption: str = "", dpi: int = 110, redact: bool = False) -> str:
    """Embed a matplotlib figure as an inline PNG, with its caption as alt text.

    The PNG is rendered at ``dpi`` (lowered so that the image is never wider
    than :data:`MAX_FIGURE_PX` pixels), cropped to its content with a
    0.1 in margin (like ``bbox_inches="tight"``) and reduced to a 256-colour
    palette, which keeps figures to tens of kilobytes whatever the data size.
    """
    if isinstance(fig, Figure):
        caption = caption or fig.caption
        fig = fig.fig
    if fig is None:
        return ""
    try:
        width_in = float(fig.get_size_inches()[0])
    except (AttributeError, TypeError, IndexError):
        width_in = 7.5
    dpi = max(50, min(int(dpi), int(MAX_FIGURE_PX / max(width_in, 0.5))))
    png, (w, h) = _render_png(fig, dpi)
    data = base64.b64encode(png).decode("ascii")
    alt = esc(caption or "figure", redact)
    cap = f"<figcaption>{esc(caption, redact)}</figcaption>" if caption else ""
    size = f' width="{w}" height="{h}"' if w else ""
    return (f'<figure class="fig"><img src="data:image/png;base64,{data}" alt="{alt}"{size} loading="eager"/>'
            f"{cap}</figure>")


#: Margin kept around a figure's content (inches), as ``savefig(bbox_inches="tight")`` pads.
_PAD_INCHES = 0.1
_WHITE = np.frombuffer(b"\xff\xff\xff\xff", dtype=np.uint32)[0]


@contextlib.contextmanager
def _layout_memo() -> Iterator[None]:
    """Within one figure render, lay out each text and compute each axis's ticks once, not at every pass.

    One ``canvas.draw()`` of a constrained-layout figure measures every tick
    label and text many times over: two layout passes, then the title and
    axis-label placement and the paint, each asking every axis for its ticks
    and every text for its extent. Matplotlib (3.5+) recomputes all of it
    each time. Inside this context a text's layout is reused while everything
    it depends on (string, font, size, alignment, rotation, line spacing,
    dpi, renderer type) is unchanged, and an axis's ticks while its axes box,
    view and data limits, locators and formatters are unchanged; so the
    picture is the same, pixel for pixel (a test checks it), at about two
    thirds of the cost. The patch is undone on exit, even on error.
    """
    from matplotlib.axis import Axis
    from matplotlib.text import Text

    get_layout, update_ticks = Text._get_layout, Axis._update_ticks
    if getattr(get_layout, "_npsdiag_memo", False):  # already inside (a nested render): keep the outer memo
        yield
        return
    layouts: dict[tuple, Any] = {}
    ticks: dict[int, tuple[tuple, list]] = {}

    def _get_layout(self, renderer):
        if self.get_wrap() or self.get_usetex():  # wrapping depends on the position: not reusable
            return get_layout(self, renderer)
        fp = self._fontproperties
        fig = self.get_figure(root=True)
        key = (type(renderer), getattr(renderer, "dpi", None), getattr(fig, "dpi", None), self._text, hash(fp),
               fp.get_size_in_points(), self._verticalalignment, self._horizontalalignment, self._multialignment,
               self._linespacing, self.get_rotation(), self._rotation_mode, self._parse_math)
        try:
            return layouts[key]
        except KeyError:
            out = layouts[key] = get_layout(self, renderer)
            return out
        except TypeError:  # an unhashable property: no memo
            return get_layout(self, renderer)

    def _tick_key(axis) -> tuple | None:
        ax = axis.axes
        try:
            return (ax.get_figure(root=True).dpi, ax.bbox.bounds, tuple(axis.get_view_interval()),
                    tuple(axis.get_data_interval()), id(axis.get_major_locator()), id(axis.get_minor_locator()),
                    id(axis.major.formatter), id(axis.minor.formatter))
        except Exception:  # noqa: BLE001 - anything unusual: compute as matplotlib does
            return None

    def _update_ticks(self):
        key = _tick_key(self)
        hit = ticks.get(id(self))
        if key is not None and hit is not None and hit[0] == key:
            return list(hit[1])
        out = update_ticks(self)
        if key is not None:
            ticks[id(self)] = (key, list(out))
        return out

    _get_layout._npsdiag_memo = True  # type: ignore[attr-defined]
    Text._get_layout, Axis._update_ticks = _get_layout, _update_ticks
    try:
        yield
    finally:
        Text._get_layout, Axis._update_ticks = get_layout, update_ticks


def _render_png(fig: Any, dpi: int) -> tuple[bytes, tuple[int, int]]:
    """Render ``fig`` at ``dpi`` as a palette PNG cropped to its content; returns bytes and pixel size.

    ``savefig(bbox_inches="tight")`` on a constrained-layout figure lays the
    figure out and draws it three times (layout, tight box, final draw).
    Here one draw of an Agg canvas runs the layout and paints, and the
    content is cropped from the pixels with a :data:`_PAD_INCHES` margin,
    which gives the same picture. Only when ink touches the figure's edge
    (something drawn beyond it, e.g. a label wider than a narrow figure) is
    the tight box measured and the figure painted once more inside it.
    """
    from matplotlib.figure import Figure as MplFigure

    if not isinstance(fig, MplFigure):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
        return _palette_png(buf.getvalue())
    with _layout_memo():
        return _render_agg(fig, dpi)


def _titles_fixed(fig: Any) -> list[tuple[Any, Any]]:
    """Switch off matplotlib's automatic title placement on the axes of ``fig`` where it cannot move a title.

    At every layout pass and draw, an axes with a title measures its x axis
    and its y axis's tick labels (all of them) to find whether something
    sits above the axes. With every x axis's labels and tick labels at the
    bottom, the only thing that can is a y-axis offset text (e.g. "1e6"),
    which :func:`_draw` checks after drawing. Returns the axes switched off
    with their previous setting (empty when any x axis has something on top).
    """
    import matplotlib as mpl

    axes = fig.get_axes()
    try:
        for ax in axes:
            xa = ax.xaxis
            if (ax.child_axes or xa.get_label_position() != "bottom" or xa.majorTicks[0].label2.get_visible()
                    or xa._minor_tick_kw.get("label2On", mpl.rcParams["xtick.labeltop"])):
                return []
    except (AttributeError, IndexError, KeyError):  # an unusual axes (polar, 3-D...): leave it to matplotlib
        return []
    fixed = []
    for ax in axes:
        if getattr(ax, "_autotitlepos", False) in (None, True):
            fixed.append((ax, ax._autotitlepos))
            ax._autotitlepos = False
            for title in (ax.title, ax._left_title, ax._right_title):
                title.set_y(1.0)  # where the automatic placement starts, and stays when nothing is above
    return fixed


def _draw(canvas: Any, fig: Any) -> None:
    """``canvas.draw()``, without the automatic title placement where it is a no-op (:func:`_titles_fixed`)."""
    fixed = _titles_fixed(fig)
    try:
        canvas.draw()
        if fixed and any(ax.yaxis.offsetText.get_visible() and ax.yaxis.offsetText.get_text() for ax in fig.axes):
            for ax, auto in fixed:  # an offset text might push a title up: draw again as matplotlib places it
                ax._autotitlepos = auto
            fixed = []
            canvas.draw()
    finally:
        for ax, auto in fixed:
            ax._autotitlepos = auto


def _render_agg(fig: Any, dpi: int) -> tuple[bytes, tuple[int, int]]:
    """The body of :func:`_render_png` for a matplotlib figure: one Agg draw, cropped to the content."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    old_canvas, old_dpi, old_face = fig.canvas, fig.dpi, fig.get_facecolor()
    try:
        canvas = FigureCanvasAgg(fig)
        fig.dpi = dpi
        fig.set_facecolor("white")
        _draw(canvas, fig)  # runs the layout engine, then paints
        rgba = np.asarray(canvas.buffer_rgba())
        rgb = rgba[..., :3]
        ink = rgba.view(np.uint32)[..., 0] != _WHITE  # the canvas is opaque: ink = not pure white
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        if len(rows) and (rows[0] == 0 or cols[0] == 0 or rows[-1] == ink.shape[0] - 1
                          or cols[-1] == ink.shape[1] - 1):
            # Content beyond the figure: paint again inside its tight box, keeping the layout just computed.
            box = fig.get_tightbbox(canvas.get_renderer()).padded(_PAD_INCHES)
            engine = fig.get_layout_engine()
            fig.set_layout_engine("none")
            try:
                buf = io.BytesIO()
                fig.savefig(buf, format="png", dpi=dpi, bbox_inches=box, facecolor="white")
            finally:
                fig.set_layout_engine(engine)
            return _palette_png(buf.getvalue())
        if len(rows):
            pad = int(round(_PAD_INCHES * dpi))
            out = np.full((rows[-1] + 1 - rows[0] + 2 * pad, cols[-1] + 1 - cols[0] + 2 * pad, 3), 255,
                          dtype=np.uint8)
            out[pad:-pad, pad:-pad] = rgb[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        else:
            out = np.array(rgb)
    finally:
        fig.set_facecolor(old_face)
        fig.dpi = old_dpi
        fig.set_canvas(old_canvas)
    return _palette_png(out)


#: Most frequent colours of a figure kept exact in its palette (background, bars, text, grid).
_PINNED_COLOURS = 64
#: Plots hold a few hundred to a few thousand colours; beyond this (smooth gradients, photographs) the octree's
#: coarse buckets show, and the slower maximum-coverage quantizer is used.
_OCTREE_MAX_COLOURS = 8192


def _quantize(img: Any) -> Any:
    """A 256-colour palette image of an RGB plot with more colours (anti-aliased edges), no dithering.

    Pillow's fast octree picks the palette (a tenth of the time of median
    cut), then the :data:`_PINNED_COLOURS` most frequent colours are put back
    exactly into the entries they fell in: the white background, fills, text
    and grid keep their colour; only anti-aliasing shades move, by a few
    levels (at most 15 of 255 per channel on the report's figures). An image
    with more than :data:`_OCTREE_MAX_COLOURS` colours (a smooth gradient, a
    photograph) goes through Pillow's maximum-coverage quantizer instead.
    """
    from PIL import Image

    counts = img.getcolors(_OCTREE_MAX_COLOURS)
    if counts is None:
        return img.quantize(colors=256, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    counts.sort(key=lambda c: -c[0])
    rgb = np.asarray(img)
    h, w = rgb.shape[:2]
    top = np.array([c for _, c in counts[:min(_PINNED_COLOURS, w)]], dtype=np.uint8)
    strip = np.full((1, w, 3), 255, dtype=np.uint8)  # one row holding the pinned colours, to read their entries
    strip[0, :len(top)] = top
    q = Image.fromarray(np.concatenate([rgb, strip]), "RGB").quantize(
        colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    idx = np.asarray(q)
    pal = np.frombuffer(bytes(q.getpalette()), dtype=np.uint8).reshape(-1, 3).copy()
    pal[idx[h, len(top) - 1::-1]] = top[::-1]  # the most frequent colour wins an entry two colours share
    out = Image.fromarray(np.ascontiguousarray(idx[:h]), "P")
    out.putpalette(pal.tobytes())
    return out


def _palette_png(png: bytes | np.ndarray) -> tuple[bytes, tuple[int, int]]:
    """Quantize an image (PNG bytes or RGB pixels) to 256 colours; returns PNG bytes and size.

    Plots have few colours: the palette image is visually identical and a
    fraction of the size. Up to 256 colours the palette is exact; beyond,
    see :func:`_quantize`.
    """
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        if isinstance(png, np.ndarray):
            raise
        return png, (0, 0)
    img = Image.fromarray(png, "RGB") if isinstance(png, np.ndarray) else Image.open(io.BytesIO(png)).convert("RGB")
    colours = img.getcolors(256) if isinstance(png, np.ndarray) else None
    if colours is not None:  # 256 colours or fewer: an exact palette, without the cost of quantizing
        pal = np.array(sorted((r << 16) | (g << 8) | b for _, (r, g, b) in colours), dtype=np.uint32)
        key = (png[..., 0].astype(np.uint32) << 16) | (png[..., 1].astype(np.uint32) << 8) | png[..., 2]
        small_img = Image.fromarray(np.searchsorted(pal, key).astype(np.uint8), "P")
        small_img.putpalette(np.stack([pal >> 16, (pal >> 8) & 255, pal & 255], axis=1).astype(np.uint8).tobytes())
    else:
        small_img = _quantize(img)
    out = io.BytesIO()
    # zlib level 6: on the report's 26 figures at 100k, 0.10 s and 366 kB against 0.24 s and 336 kB at level 8
    # (median-cut palettes at level 8 were 427 kB)
    small_img.save(out, format="PNG", compress_level=6)
    small = out.getvalue()
    if isinstance(png, np.ndarray):
        return small, img.size
    return (small if len(small) < len(png) else png), img.size


def _badge(status: str) -> str:
    return (f'<span class="badge status-{status}" title="{STATUS_MEANING[status]}">{_ICONS[status]}'
            f"<span>{STATUS_LABEL[status]}</span></span>")


def _sev(sev: str) -> str:
    return f'<span class="sev sev-{sev}">{SEVERITY_LABEL[sev]}</span>'


def _fid(f: Finding) -> str:
    return "finding-" + re.sub(r"[^A-Za-z0-9_-]", "-", f.id)


def _area_title(name: str) -> str:
    return {a.name: a.title for a in AREAS}.get(name, name.replace("_", " ").capitalize())


def _pts(v: float | None, digits: int = 1) -> str:
    return "–" if v is None or _is_missing(v) else f"{v:+.{digits}f}".replace("-", "−")


def _long_date(d: Any) -> str:
    try:
        ts = pd.Timestamp(d)
    except (ValueError, TypeError):
        return str(d)
    return f"{ts.day} {ts.strftime('%B %Y')}"


def _generated_date(diag: Diagnosis) -> str:
    try:
        return _long_date(pd.Timestamp(diag.generated_at).date())
    except (ValueError, TypeError, AttributeError):
        return _long_date(date.today())


# --------------------------------------------------------------------------- trend of the headline


def headline_trend(prep, freq: str = "Q") -> pd.DataFrame:
    """NPS per calendar period (quarters by default) with its interval, for the executive summary.

    Parameters
    ----------
    prep : Prepared
        Output of :func:`npsdiag.clean.prepare`.
    freq : {"Q", "M", "Y"}
        Period of the trend.

    Returns
    -------
    DataFrame
        One row per period from the first to the last response (empty
        periods included, with n = 0): ``period`` (e.g. "2025-Q1"),
        ``start``, ``n``, ``detractors``, ``passives``, ``promoters``,
        ``nps``, ``ci_low``, ``ci_high`` (adjusted Wald, Rocks 2016, from
        :func:`npsdiag.metrics.nps`), ``partial`` (the period is not fully
        covered by the data) and ``reportable`` (n >= ``settings.min_n``).
    """
    from .stats.nps import nps_by_period

    cols = ["period", "start", "n", "detractors", "passives", "promoters", "nps", "ci_low", "ci_high", "partial",
            "reportable"]
    r = prep.responses
    if r is None or r.empty or "responded_at" not in r:
        return pd.DataFrame(columns=cols)
    s = prep.settings
    return nps_by_period(r, freq=freq, confidence=s.confidence, breaks=s.breaks, min_n=s.min_n)[cols]


def trend_change(trend: pd.DataFrame, confidence: float = 0.95) -> dict[str, Any] | None:
    """Change of NPS between the first and the last reportable, complete period of ``trend``.

    Returns
    -------
    dict or None
        ``first``, ``last`` (period labels), ``nps_first``, ``nps_last``,
        ``diff`` (points), ``ci_low``, ``ci_high``, ``p_value`` (two-sample
        Wald test, :func:`npsdiag.metrics.nps_diff_test`); None when fewer
        than two such periods exist.
    """
    from .stats.nps import nps_diff_test

    if trend is None or trend.empty:
        return None
    ok = trend.loc[trend["reportable"].astype(bool) & ~trend["partial"].astype(bool)]
    if len(ok) < 2:
        ok = trend.loc[trend["reportable"].astype(bool)]
    if len(ok) < 2:
        return None
    a, b = ok.iloc[-1], ok.iloc[0]
    t = nps_diff_test((a["detractors"], a["passives"], a["promoters"]),
                      (b["detractors"], b["passives"], b["promoters"]), confidence=confidence)
    return {"first": str(b["period"]), "last": str(a["period"]), "nps_first": float(b["nps"]),
            "nps_last": float(a["nps"]), "diff": t.diff, "ci_low": t.ci_low, "ci_high": t.ci_high,
            "p_value": t.p_value}


def trend_figure(trend: pd.DataFrame, overall: float | None = None, confidence: float = 0.95) -> Figure | None:
    """Small figure of the headline trend: NPS per period with interval whiskers.

    Periods under the reporting minimum are drawn as hollow squares and
    partial periods are labelled, so the figure reads without colour.
    """
    from . import plots

    if trend is None or trend.empty or trend["n"].sum() == 0:
        return None
    t = trend.loc[trend["n"] > 0].reset_index(drop=True)
    fig, ax = plots.figure(7.0, 2.5)
    x = np.arange(len(t))
    ok = t["reportable"].to_numpy(dtype=bool)
    y = t["nps"].to_numpy(dtype=float)
    lo = t["ci_low"].to_numpy(dtype=float)
    hi = t["ci_high"].to_numpy(dtype=float)
    blue = plots.PALETTE[0]
    ax.plot(x, y, color=blue, lw=1.4, zorder=2)
    # Intervals drawn from their ends: the adjusted Wald interval of a tiny period need not contain the
    # observed NPS (one promoter: NPS +100, interval -48.5 to +98.5), so no "error" relative to the point.
    ax.vlines(x, lo, hi, color=blue, lw=1.2, zorder=3)
    ax.plot(x[ok], y[ok], "o", color=blue, ms=6, zorder=4, label=f"NPS with {confidence:.0%} interval")
    if (~ok).any():
        ax.plot(x[~ok], y[~ok], "s", mfc="white", color=blue, ms=6, ls="none", zorder=4,
                label="too few responses to report")
    if overall is not None:
        ax.axhline(overall, color="#555555", lw=1, ls="--", zorder=1, label=f"whole period {overall:+.1f}")
    labels = [f"{p}{' (partial)' if part else ''}\nn = {n:,}"
              for p, part, n in zip(t["period"], t["partial"], t["n"], strict=True)]
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("NPS")
    ylo = float(np.nanmin(t["ci_low"])) if t["ci_low"].notna().any() else -100
    yhi = float(np.nanmax(t["ci_high"])) if t["ci_high"].notna().any() else 100
    pad = max(4.0, 0.15 * (yhi - ylo))
    ax.set_ylim(max(-100, ylo - pad), min(100, yhi + pad))
    ax.legend(loc="upper right", fontsize=7, ncols=3)
    ax.grid(axis="x", visible=False)
    cap = (f"NPS per {'quarter' if len(t) and '-Q' in str(t['period'].iloc[0]) else 'period'} with its "
           f"{confidence:.0%} adjusted Wald interval (Rocks 2016); n = responses in the period; hollow squares: "
           "too few responses to report; dashed line: NPS of the whole period.")
    return Figure("headline_trend", fig, cap)


# --------------------------------------------------------------------------- front matter


def contents(diag: Diagnosis) -> str:
    """Table of contents with links to every section, each area with its status."""
    entries = [("summary", "Executive summary", None)]
    entries += [(f"area-{name}", _area_title(name), res.status) for name, res in diag.areas.items()]
    entries.append(("action-plan", "Action plan", None))
    items = "".join(f'<li><span class="toc-no">{i}</span><a href="#{esc(anchor)}">{esc(title)}</a>'
                    + (f'<span class="toc-status">{_badge(status)}</span>' if status else "") + "</li>"
                    for i, (anchor, title, status) in enumerate(entries, start=1))
    apps = [("methodology", "Methodology and references"), ("data-appendix", "Data and lineage"),
            ("glossary", "Glossary")]
    app_items = "".join(f'<li><span class="toc-no">{letter}</span><a href="#{anchor}">{title}</a></li>'
                        for letter, (anchor, title) in zip("ABC", apps, strict=True))
    return (f'<nav class="toc" id="contents" aria-label="Contents"><h2 class="unnumbered">Contents</h2>'
            f'<ol class="toc-main">{items}</ol>'
            f'<p class="toc-apps-title">Appendices</p><ol class="toc-apps">{app_items}</ol></nav>')


def cover(diag: Diagnosis, prepared_by: str = "npsdiag") -> str:
    """The cover: client, period, data volumes, date and the headline NPS with its interval."""
    d = diag.data_summary
    h = diag.headline
    per = d.get("period")
    period = f"{_long_date(per[0])} – {_long_date(per[1])}" if per else "no dated responses"
    vols = [("Responses analysed", f"{d.get('responses', 0):,}",
             f"of {d.get('responses_read', 0):,} read" if d.get("responses_read") is not None else "")]
    for key, label in (("accounts", "Accounts"), ("invitations", "Invitations"), ("contacts", "Contacts")):
        if d.get(key) is not None:
            vols.append((label, f"{d[key]:,}", ""))
    facts = "".join(f'<div class="fact"><dt>{esc(k)}</dt><dd>{esc(v)}'
                    + (f' <span class="sub">{esc(s)}</span>' if s else "") + "</dd></div>" for k, v, s in vols)
    if h.get("nps") is None:
        head = '<p class="headline none">No analysable responses: see the reliability section.</p>'
    else:
        head = (f'<div class="headline"><div class="nps-value" aria-label="NPS {h["nps"]:+.1f}">'
                f'{_pts(h["nps"])}</div><div class="nps-label">Net Promoter Score<br/><span>95% interval '
                f'{_pts(h["ci_low"])} to {_pts(h["ci_high"])} · n = {h["n"]:,}</span></div>'
                f'<div class="mix">{_mix_bar(h)}</div></div>')
    from . import __version__

    return (f'<header class="cover" id="cover"><p class="kicker">NPS program diagnosis</p>'
            f'<h1>{esc(diag.client)}</h1><p class="period">{esc(period)}</p>'
            f'{head}<dl class="facts">{facts}</dl>'
            f'<p class="meta">Prepared {esc(_generated_date(diag))} with {esc(prepared_by)} {esc(__version__)} · '
            "Confidential: prepared for the client named above.</p></header>")


def _mix_bar(h: dict) -> str:
    parts = [("promoters", "promoter", h.get("pct_promoters") or 0.0),
             ("passives", "passive", h.get("pct_passives") or 0.0),
             ("detractors", "detractor", h.get("pct_detractors") or 0.0)]
    segs = "".join(f'<span class="mix-{k}" style="width:{max(v, 0):.1f}%">'
                   f'{f"{v:.0f}%" if v >= 9 else ""}</span>' for _, k, v in parts if v > 0)
    legend = "".join(f'<li><span class="key mix-{k}" aria-hidden="true"></span>{v:.1f}% {lab}</li>'
                     for lab, k, v in parts)
    label = ", ".join(f"{v:.1f}% {lab}" for lab, _, v in parts)
    return (f'<div class="mixbar" role="img" aria-label="{esc(label)}">{segs}</div>'
            f'<ul class="mix-legend">{legend}</ul>')


def executive_summary(diag: Diagnosis, k: int = 5, trend: pd.DataFrame | None = None, redact: bool = False,
                      confidence: float = 0.95) -> str:
    """The executive summary: headline NPS with interval and trend, a status per area, the top findings.

    Parameters
    ----------
    diag : Diagnosis
        From :func:`npsdiag.pipeline.assemble`.
    k : int
        Number of findings shown under "what matters most" (high and
        medium severity, most severe first).
    trend : DataFrame, optional
        :func:`headline_trend` of the prepared data: adds the trend figure
        and the change between the first and last complete periods.
    redact : bool
        Mask personal data in findings' text.
    confidence : float
        Level of the intervals (for the wording).
    """
    h = diag.headline
    parts = ['<section id="summary" class="summary"><h2 class="numbered">Executive summary</h2>']
    counts = {s: sum(1 for r in diag.areas.values() if r.status == s) for s in STATUS_LABEL}
    lead = []
    if h.get("nps") is not None:
        lead.append(f"The Net Promoter Score over the period is <strong>{_pts(h['nps'])}</strong> "
                    f"({confidence:.0%} interval {_pts(h['ci_low'])} to {_pts(h['ci_high'])}, "
                    f"{h['n']:,} responses).")
    ch = trend_change(trend, confidence) if trend is not None else None
    if ch is not None:
        sig = ch["p_value"] < 1 - confidence
        lead.append(f"It moved from {_pts(ch['nps_first'])} in {esc(ch['first'])} to {_pts(ch['nps_last'])} in "
                    f"{esc(ch['last'])}: a change of <strong>{_pts(ch['diff'])} points</strong> "
                    f"({confidence:.0%} interval {_pts(ch['ci_low'])} to {_pts(ch['ci_high'])}; "
                    + ("a real change" if sig else "within the noise of sampling, not a demonstrated change")
                    + f", p {_p_text(ch['p_value'])}).")
    elif trend is not None:
        lead.append("Too few periods have enough responses to show a trend.")
    assessed = [s for s in ("red", "amber", "green") if counts[s]]
    if assessed:
        tally = ", ".join(f"{counts[s]} {STATUS_LABEL[s].lower()}" for s in assessed)
        lead.append(f"Of the {len(diag.areas)} areas diagnosed: {tally}"
                    + (f", {counts['not_assessed']} not assessed for lack of data." if counts["not_assessed"]
                       else "."))
    parts.append(f'<p class="lead">{" ".join(lead)}</p>')
    parts.append(_kpis(diag, ch, confidence))
    if trend is not None:
        fig = trend_figure(trend, h.get("nps"), confidence)
        if fig is not None:
            parts.append(figure_html(fig))
    rows = []
    for name, res in diag.areas.items():
        rows.append(f'<tr><th scope="row"><a href="#area-{esc(name)}">{esc(AREA_SHORT.get(name, name))}</a></th>'
                    f'<td class="st">{_badge(res.status)}</td><td>{esc(res.summary_text, redact)}</td></tr>')
    parts.append('<h3>Status by area</h3><div class="table-wrap" role="region" tabindex="0" '
                 'aria-label="Status by area"><table class="status"><thead><tr><th scope="col">Area</th>'
                 '<th scope="col">Status</th><th scope="col">In one sentence</th></tr></thead>'
                 f'<tbody>{"".join(rows)}</tbody></table></div>')
    parts.append('<p class="legend-note">' + "".join(
        f'<span class="legend-item">{_badge(s)} {esc(STATUS_MEANING[s])}</span>' for s in STATUS_LABEL) + "</p>")
    top = diag.top_findings(k)
    title = "The findings that matter most" if len(top) != 5 else "The five findings that matter most"
    if top:
        items = "".join(
            f'<li class="top sev-{f.severity}"><p class="top-title">{_sev(f.severity)} '
            f'<a href="#{_fid(f)}">{esc(f.title, redact)}</a></p>'
            + (f'<p class="top-detail">{esc(_cut(f.detail, 320), redact)}</p>' if f.detail else "")
            + f'<p class="top-link"><a href="#{_fid(f)}">Evidence in {esc(AREA_SHORT.get(f.area, f.area))} '
              f"→</a></p></li>" for f in top)
        parts.append(f'<h3>{title}</h3><ol class="top-findings">{items}</ol>')
        parts.append('<p class="see-plan">Each is turned into an action, an owner and a measure of progress in '
                     'the <a href="#action-plan">action plan</a>.</p>')
    else:
        parts.append(f"<h3>{title}</h3><p>No high- or medium-severity finding.</p>")
    parts.append("</section>")
    return "".join(parts)


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def _kpis(diag: Diagnosis, ch: dict[str, Any] | None, confidence: float) -> str:
    h = diag.headline
    tiles = []
    if h.get("nps") is not None:
        tiles.append(("Net Promoter Score", _pts(h["nps"]),
                      f"{confidence:.0%} interval {_pts(h['ci_low'])} to {_pts(h['ci_high'])}"))
    if ch is not None:
        tiles.append((f"Change {ch['first']} → {ch['last']}", f"{_pts(ch['diff'])} pts",
                      f"interval {_pts(ch['ci_low'])} to {_pts(ch['ci_high'])}"))
    n_find = sum(1 for f in diag.findings if f.severity in ("high", "medium"))
    n_high = sum(1 for f in diag.findings if f.severity == "high")
    tiles.append(("Findings to act on", f"{n_find}", f"{n_high} high, {n_find - n_high} medium severity"))
    d = diag.data_summary
    if d.get("responses_read"):
        from .fmt import pct  # the kit's share format (a partial share never reads 100%)

        share = d.get("responses", 0) / d["responses_read"]
        tiles.append(("Usable responses", pct(share), f"{d.get('responses', 0):,} of {d['responses_read']:,}"))
    return '<div class="kpis">' + "".join(
        f'<div class="kpi"><div class="kpi-label">{esc(a)}</div><div class="kpi-value">{esc(b)}</div>'
        f'<div class="kpi-sub">{esc(c)}</div></div>' for a, b, c in tiles) + "</div>"


# --------------------------------------------------------------------------- areas


def _fmt_evidence(key: str, v: Any, kind: str | None = None) -> str:
    if isinstance(v, str):
        return v
    return _fmt_number(key, v, kind)


def finding_html(f: Finding, redact: bool = False, max_evidence: int = 10) -> str:
    """One finding as a card: severity, title, detail, key evidence, recommendation.

    The card's anchor is ``finding-<area>-<name>``; the executive summary and
    action plan link to it, and it links back to the summary.
    """
    ev = ""
    scalars = [(k, v) for k, v in (f.evidence or {}).items() if not isinstance(v, (dict, list, tuple, set))]
    if scalars:
        kinds = _column_kinds([k for k, _ in scalars])
        items = "".join(f"<li><span>{esc(pretty_column(k))}</span> "
                        f"{esc(_cut(_fmt_evidence(k, v, kinds[k]), 80), redact)}</li>"
                        for k, v in scalars[:max_evidence])
        ev = f'<ul class="evidence" aria-label="Evidence">{items}</ul>'
    rec = (f'<p class="rec"><strong>Recommendation:</strong> {esc(f.recommendation, redact)}</p>'
           if f.recommendation else "")
    return (f'<article class="finding sev-{f.severity}" id="{_fid(f)}">'
            f'<h4>{_sev(f.severity)} {esc(f.title, redact)}</h4>'
            f'<p>{esc(f.detail, redact)}</p>{ev}{rec}'
            f'<p class="fmeta"><span class="fid">{esc(f.id)}</span> <a class="back" href="#summary">'
            f"↑ Back to summary</a></p></article>")


def area_html(res: AreaResult, redact: bool = False) -> str:
    """One area section: status, summary, findings (with evidence), figures, tables and method notes.

    High and medium findings are shown in full; low and info findings are
    grouped under "Other observations". At most
    :data:`MAX_FIGURES_PER_AREA` figures and :data:`MAX_TABLES_PER_AREA`
    tables are shown (the rest stay in the analyst's notebook).
    """
    title = _area_title(res.area)
    parts = [f'<section class="area" id="area-{esc(res.area)}"><h2 class="numbered">{esc(title)}</h2>'
             f'<p class="area-status">{_badge(res.status)}</p>']
    if res.not_assessed_reason:
        parts.append(f'<p class="not-assessed">Not assessed: {esc(res.not_assessed_reason, redact)}. '
                     "This section fills in when the data it needs is provided.</p>"
                     '<p class="back-wrap"><a class="back" href="#summary">↑ Back to summary</a></p></section>')
        return "".join(parts)
    parts.append(f'<p class="area-summary">{esc(res.summary_text, redact)}</p>')
    order = sorted(res.findings, key=lambda f: SEVERITIES.index(f.severity))
    major = [f for f in order if f.severity in ("high", "medium")]
    minor = [f for f in order if f.severity not in ("high", "medium")]
    if major:
        parts.append('<h3>Findings</h3><div class="findings">' + "".join(finding_html(f, redact) for f in major)
                     + "</div>")
    if minor:
        parts.append('<h3>Other observations</h3><div class="findings minor">'
                     + "".join(finding_html(f, redact) for f in minor) + "</div>")
    if not order:
        parts.append('<p class="no-findings">No finding in this area: nothing here calls for action.</p>')
    figs = [f for f in res.figures if f is not None]
    if figs:
        parts.append('<h3>Evidence</h3>')
        parts.extend(figure_html(fig, redact=redact) for fig in figs[:MAX_FIGURES_PER_AREA])
    tables = [(k, t) for k, t in res.tables.items() if isinstance(t, pd.DataFrame) and len(t.columns)]
    if tables:
        parts.append('<h3>Detailed tables</h3>' if figs else '<h3>Evidence</h3>')
        parts.extend(table_html(t, res.table_captions.get(k, ""), redact=redact,
                                table_id=f"table-{res.area}-{re.sub(r'[^A-Za-z0-9_-]', '-', str(k))}")
                     for k, t in tables[:MAX_TABLES_PER_AREA])
    hidden = max(0, len(figs) - MAX_FIGURES_PER_AREA) + max(0, len(tables) - MAX_TABLES_PER_AREA)
    if hidden:
        parts.append(f'<p class="table-note">{hidden} further figure(s) or table(s) are in the analyst\'s '
                     "notebook.</p>")
    if res.notes:
        parts.append('<div class="notes"><h4>Method notes</h4><ul>'
                     + "".join(f"<li>{esc(n, redact)}</li>" for n in res.notes) + "</ul></div>")
    parts.append('<p class="back-wrap"><a class="back" href="#summary">↑ Back to summary</a> · '
                 '<a class="back" href="#contents">Contents</a></p></section>')
    return "".join(parts)


# --------------------------------------------------------------------------- action plan

#: Typical owning function and measure of progress per finding id (SPEC "Findings contract").
ACTIONS: dict[str, tuple[str, str]] = {
    "reliability.missing_values": ("Survey platform owner (CX operations)",
                                   "Share of responses with a usable score and date, monthly (aim: 98% or more)"),
    "reliability.out_of_range": ("Survey platform owner (CX operations)",
                                 "Responses with a score outside the scale or not a number, monthly (aim: none)"),
    "reliability.duplicates": ("Survey platform owner with data engineering",
                               "Duplicate and repeat responses inside the cool-off, monthly (aim: under 0.5%)"),
    "reliability.test_responses": ("Survey platform owner (CX operations)",
                                   "Test, preview and unfinished responses in the production export (aim: none)"),
    "reliability.date_anomalies": ("Data engineering / CRM administrator",
                                   "Responses dated in the future or before their invitation (aim: none)"),
    "reliability.feed_gaps": ("Data engineering (survey integration)",
                              "Weekly response volume against its expected range, with an alert on a gap"),
    "reliability.small_sample": ("CX insights lead",
                                 "Margin of error of every NPS reported (aim: ±10 points or less)"),
    "reliability.score_gaming": ("Customer success / sales leadership (incentive design)",
                                 "Each owner's share of 10s among 9s and 10s against peers, quarterly"),
    "balance.role_skew": ("Customer success leadership with the CX program owner",
                          "Share of responses per role against the contact population, quarterly"),
    "balance.single_voice": ("Customer success managers",
                             "Share of responding accounts with two or more respondents, quarterly"),
    "balance.concentration": ("CX program owner",
                              "Share of responses from the top 10% of accounts, quarterly"),
    "balance.revenue_coverage": ("Account management / customer success leadership",
                                 "Share of ARR with a decision-maker response in the quarter (against the target)"),
    "balance.role_gap": ("CX lead with account executives",
                         "NPS per role with its interval, quarterly"),
    "balance.nonresponse_bias": ("CX insights lead",
                                 "Response rate per role and segment; balance-adjusted against raw NPS"),
    "segmentation.hidden_segment": ("Business owner of the segment (e.g. regional lead) with the CX lead",
                                    "The segment's NPS against the rest, with its interval, quarterly"),
    "segmentation.insufficient_n": ("CX insights lead",
                                    "Responses per segment and period against the reporting minimum"),
    "segmentation.mix_shift": ("CX insights lead / executive reporting",
                               "NPS reported raw and mix-adjusted each period"),
    "segmentation.dispersion": ("CX lead with segment owners",
                                "Spread of segment NPS beyond noise (τ), quarterly"),
    "outcome.no_link": ("CX lead with finance / revenue operations",
                        "Churn by NPS category and the AUC of the score for churn, each renewal cycle"),
    "outcome.inverse_link": ("CX lead with finance / revenue operations",
                             "Churn by NPS category and the AUC of the score for churn, each renewal cycle"),
    "outcome.false_comfort": ("Customer success managers",
                              "Churn rate of promoter accounts, per renewal cohort"),
    "outcome.role_predictiveness": ("CX lead with customer success",
                                    "AUC of each role's score for churn, each renewal cycle"),
    "outcome.unlinked": ("CRM administrator / data engineering",
                         "Share of responses matched to an account (aim: 98% or more)"),
    "decay.slow_follow_up": ("Front-line managers (support, customer success)",
                             "Median days to follow up a detractor and share within the SLA, weekly"),
    "decay.no_follow_up": ("Front-line managers (support, customer success)",
                           "Share of detractors never followed up (aim: none), weekly"),
    "decay.follow_up_effect": ("Customer success leadership",
                               "Churn of detractors' accounts by follow-up speed, each renewal cycle"),
    "decay.score_staleness": ("CX program owner",
                              "Share of accounts with a score in the six months before their renewal"),
    "decay.response_rate_trend": ("CX program owner / survey operations",
                                  "Response rate per month with its interval"),
    "decay.response_latency": ("Survey operations",
                               "Median days from invitation to response; timing of reminders"),
}
_AREA_ACTIONS = {
    "reliability": ("CX operations / survey platform owner", "Share of rows usable; feed volume each week"),
    "balance": ("Customer success leadership", "Decision-maker response share; ARR covered each quarter"),
    "segmentation": ("CX lead with the segment's business owner", "Segment NPS with its interval each quarter"),
    "outcome": ("CX lead with finance / revenue operations", "Churn by NPS category; AUC of the score"),
    "decay": ("Front-line managers (support, CSM)", "Detractors followed up within the SLA"),
    "verbatims": ("Product and CX teams", "Share of comments in each theme, quarterly"),
}
#: Kept for backwards compatibility: owner and measure per area.
ACTION_OWNERS = _AREA_ACTIONS
_HORIZON = {"high": "Start within 30 days", "medium": "Within the quarter"}


def _action_for(f: Finding) -> tuple[str, str]:
    return ACTIONS.get(f.id) or _AREA_ACTIONS.get(f.area, ("CX lead", "The finding's evidence, re-measured"))


def action_plan(diag: Diagnosis, redact: bool = False) -> str:
    """Each high or medium finding turned into an action, its typical owner and a measure of progress."""
    rows = []
    i = 0
    for f in diag.findings:
        if f.severity not in ("high", "medium"):
            continue
        i += 1
        owner, measure = _action_for(f)
        rows.append(f'<tr><td data-label="#" class="num">{i}</td>'
                    f'<td data-label="Priority">{_sev(f.severity)}<br/><span class="horizon">'
                    f"{_HORIZON[f.severity]}</span></td>"
                    f'<td data-label="Finding"><a href="#{_fid(f)}">{esc(f.title, redact)}</a></td>'
                    f'<td data-label="Action">{esc(f.recommendation or "Investigate the cause and fix it.", redact)}'
                    f'</td><td data-label="Typical owner">{esc(owner)}</td>'
                    f'<td data-label="How to measure progress">{esc(measure)}</td></tr>')
    intro = ('<p class="lead">Every high- and medium-severity finding of this diagnosis, turned into an action. '
             "Owners are the function that typically owns such an action; agree the named person with the "
             "client. Re-run the diagnosis on the next export to measure progress.</p>")
    if not rows:
        body = "<p>No high- or medium-severity finding calls for action.</p>"
    else:
        body = ('<div class="table-wrap actions-wrap"><table class="data actions reflow"><colgroup>'
                '<col class="c-no"/><col class="c-prio"/><col class="c-finding"/><col class="c-action"/>'
                '<col class="c-owner"/><col class="c-measure"/></colgroup><thead><tr>'
                '<th scope="col" class="num">#</th><th scope="col">Priority</th><th scope="col">Finding</th>'
                '<th scope="col">Action</th><th scope="col">Typical owner</th>'
                '<th scope="col">How to measure progress</th></tr></thead><tbody>'
                + "".join(rows) + "</tbody></table></div>")
    return (f'<section id="action-plan" class="area"><h2 class="numbered">Action plan</h2>{intro}{body}'
            '<p class="back-wrap"><a class="back" href="#summary">↑ Back to summary</a></p></section>')


# --------------------------------------------------------------------------- appendices

#: Methods used across the diagnosis: (name, what it does, reference). The first two always apply;
#: the others are listed when an area's method notes mention one of their keywords.
METHODS: list[tuple[str, str, str]] = [
    ("NPS and its interval",
     "NPS = % promoters (9–10) − % detractors (0–6). Intervals are the adjusted Wald interval: 0.75 detractor, "
     "1.5 passive and 0.75 promoter are added before computing the NPS and its variance "
     "p_pro + p_det − (p_pro − p_det)²; interval = adjusted NPS ± z·√(var/(n+3)).",
     "Rocks, B. (2016). Interval Estimation for the \u201cNet Promoter Score\u201d. The American Statistician "
     "70(4), 365–372. Lewis, J. R. & Sauro, J. (2021). Journal of User Experience 16(3)."),
    ("Differences between groups",
     "Two-sample Wald z-test on the difference of two NPS (variances from the adjusted counts); across many "
     "segments p-values are adjusted with the Benjamini–Hochberg false discovery rate.",
     "Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57(1), 289–300."),
]
_METHOD_LIBRARY: list[tuple[tuple[str, ...], tuple[str, str, str]]] = [
    (("wilson",), ("Intervals of proportions",
                   "Shares and rates (churn, response, follow-up) carry Wilson score intervals.",
                   "Wilson, E. B. (1927). Probable inference. JASA 22(158), 209–212.")),
    (("logit", "logistic"), ("Logistic regression",
                             "Churn modelled on the score (and controls) at account level with statsmodels; odds "
                             "ratios with Wald intervals, clustered by account where responses repeat.",
                             "Hosmer, D. W., Lemeshow, S. & Sturdivant, R. X. (2013). Applied Logistic Regression, "
                             "3rd ed. Wiley.")),
    (("delong",), ("AUC and its interval (DeLong)",
                   "How well a score separates churned from retained accounts; 0.5 is chance.",
                   "DeLong, E. R., DeLong, D. M. & Clarke-Pearson, D. L. (1988). Biometrics 44(3), 837–845.")),
    (("hanley",), ("AUC interval (Hanley–McNeil)", "Standard error of the AUC from its sample sizes.",
                   "Hanley, J. A. & McNeil, B. J. (1982). Radiology 143(1), 29–36.")),
    (("cox", "phreg", "hazard"), ("Proportional hazards model",
                                  "Time to churn after the last response, renewals censored (statsmodels PHReg).",
                                  "Cox, D. R. (1972). Regression models and life-tables. JRSS B 34(2), 187–220.")),
    (("kitagawa", "mix/rate", "mix and rate"), ("Mix/rate decomposition",
                                                "A change in NPS split into a change of segment mix and a change "
                                                "of segment scores.",
                                                "Kitagawa, E. M. (1955). Components of a difference between two "
                                                "rates. JASA 50(272), 1168–1194.")),
    (("dersimonian", "tau"), ("Between-segment spread",
                              "DerSimonian–Laird estimate of the spread of segment NPS beyond sampling noise, with "
                              "Q-profile interval and I².",
                              "DerSimonian, R. & Laird, N. (1986). Controlled Clinical Trials 7, 177–188. "
                              "Viechtbauer, W. (2007). Statistics in Medicine 26, 37–52.")),
    (("spiegelhalter", "funnel"), ("Funnel plot with overdispersion",
                                   "Owners' excess of 10s judged against control limits that widen for small "
                                   "volumes.",
                                   "Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional "
                                   "performance. Statistics in Medicine 24, 1185–1202.")),
    (("negative binomial", "rolling median"), ("Feed-gap detection",
                                              "Responses per week against a rolling median, tested with a negative "
                                              "binomial model.",
                                              "Hilbe, J. M. (2011). Negative Binomial Regression, 2nd ed. "
                                              "Cambridge University Press.")),
    (("taylor", "post-stratification", "kish"), ("Balance-adjusted NPS",
                                                 "Re-weighting so that each account counts once or roles match the "
                                                 "contact population; Taylor-linearised standard errors.",
                                                 "Holt, D. & Smith, T. M. F. (1979). JRSS A 142(1), 33–46. "
                                                 "Kish, L. (1965). Survey Sampling. Wiley.")),
    (("gini", "lorenz"), ("Concentration of responses",
                          "Gini coefficient and top-decile share of responses across accounts.",
                          "Gini, C. (1912). Variabilità e mutabilità.")),
    (("cramer",), ("Chi-square tests and Cramér's V",
                   "Association between categorical attributes; V is the effect size (0 none, 1 complete).",
                   "Cramér, H. (1946). Mathematical Methods of Statistics. Princeton University Press.")),
    (("mann-whitney",), ("Mann–Whitney U test", "Responders against non-responders on numeric attributes; "
                                                "rank-biserial correlation as effect size.",
                         "Mann, H. B. & Whitney, D. R. (1947). Annals of Mathematical Statistics 18(1), 50–60.")),
    (("order-statistic", "conover"), ("Interval of a median",
                                      "Distribution-free interval of a median from order statistics.",
                                      "Conover, W. J. (1999). Practical Nonparametric Statistics, 3rd ed. Wiley.")),
    (("johnson", "relative weight"), ("Key-driver analysis (relative weights)",
                                      "Share of explained variance of the score attributable to each driver.",
                                      "Johnson, J. W. (2000). Multivariate Behavioral Research 35(1), 1–19.")),
    (("lmg", "shapley"), ("Key-driver analysis (LMG / Shapley)",
                          "Average contribution of each driver to R² over all orderings.",
                          "Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). Introduction to Bivariate and "
                          "Multivariate Analysis. Scott, Foresman.")),
    (("fightin", "monroe", "log-odds", "dirichlet"), ("Distinguishing words",
                                                      "Log-odds ratio with an informative Dirichlet prior: words "
                                                      "detractors use more than promoters, and the reverse.",
                                                      "Monroe, B. L., Colaresi, M. P. & Quinn, K. M. (2008). "
                                                      "Fightin' words. Political Analysis 16(4), 372–403.")),
]


def _methods_used(diag: Diagnosis) -> list[tuple[str, str, str]]:
    text = " ".join(n for r in diag.areas.values() for n in r.notes).lower()
    return list(METHODS) + [m for keys, m in _METHOD_LIBRARY if any(k in text for k in keys)]


def methodology(diag: Diagnosis, extra: list[tuple[str, str, str]] | None = None) -> str:
    """Methodology appendix: each method named with its reference, then every area's method notes."""
    items = "".join(f"<dt>{esc(t)}</dt><dd>{esc(d)}<br/><cite>{esc(r)}</cite></dd>"
                    for t, d, r in _methods_used(diag) + list(extra or []))
    notes = []
    for name, res in diag.areas.items():
        if res.notes:
            notes.append(f"<h4>{esc(AREA_SHORT.get(name, name))}</h4><ul>"
                         + "".join(f"<li>{esc(n)}</li>" for n in res.notes) + "</ul>")
        elif res.not_assessed_reason:
            notes.append(f"<h4>{esc(AREA_SHORT.get(name, name))}</h4><p>Not assessed: "
                         f"{esc(res.not_assessed_reason)}.</p>")
    principles = ("<p>Every estimate in this report carries its uncertainty (an interval at the stated "
                  "confidence level). A finding is raised only on evidence: a statistical test where one applies, "
                  "with p-values adjusted for the number of comparisons, and its severity set from the size of "
                  "the effect as well as its significance. Associations with churn are associations, not proof "
                  "of cause.</p>")
    return (f'<section id="methodology" class="area appendix"><h2>Appendix A — Methodology and references</h2>'
            f'{principles}<h3>Methods</h3><dl class="methods">{items}</dl>'
            f'<h3>Method notes by area</h3>{"".join(notes)}</section>')


def data_appendix(prep) -> str:
    """Data appendix: tables read, data lineage (rows read → excluded per reason → analysed), settings, warnings."""
    redact = bool(getattr(prep.settings, "redact_pii", True))
    src_rows = []
    for name, s in prep.data.sources.items():
        notes = "; ".join(s.get("notes") or [])
        src_rows.append({"table": name, "format": s.get("format"), "rows": s.get("rows"), "notes": notes})
    src = table_html(pd.DataFrame(src_rows), "Tables read (file names are kept out of the client report).",
                     redact=redact) if src_rows else ""
    lin = table_html(prep.lineage, "Data lineage: every response row read is either analysed or excluded for "
                     "exactly one reason (the first that applies).", redact=redact, table_id="table-lineage")
    warns = ""
    if prep.data.problems:
        items = "".join(f"<li>{esc(p.message, redact)}"
                        + (f" <em>({esc(p.where, redact)})</em>" if getattr(p, "where", None) else "") + "</li>"
                        for p in prep.data.problems[:50])
        warns = f"<h3>Warnings raised while reading</h3><ul>{items}</ul>"
    s = prep.settings
    settings = table_html(pd.DataFrame([
        {"setting": "scale", "value": f"{s.scale[0]:g}–{s.scale[1]:g}"},
        {"setting": "categories", "value": f"detractor ≤ {s.detractor_max:g}, promoter ≥ {s.promoter_min:g}"},
        {"setting": "confidence", "value": f"{s.confidence:.0%}"},
        {"setting": "minimum n to report", "value": str(s.min_n)},
        {"setting": "follow-up SLA (days)", "value": f"{s.follow_up_sla_days:g}"},
        {"setting": "repeat window (days)", "value": f"{s.repeat_window_days:g}"},
        {"setting": "period", "value": " to ".join(map(str, s.period)) if s.period else "all"},
        {"setting": "personal data redacted", "value": "yes" if s.redact_pii else "no"},
    ]), "Settings used for this diagnosis.")
    return (f'<section id="data-appendix" class="area appendix"><h2>Appendix B — Data and lineage</h2>'
            f"<h3>Sources</h3>{src}<h3>Lineage</h3>{lin}<h3>Settings</h3>{settings}{warns}</section>")


#: Glossary of the report's terms: (term, definition).
GLOSSARY: list[tuple[str, str]] = [
    ("Net Promoter Score (NPS)", "The share of promoters minus the share of detractors among those who answered "
     "\u201cHow likely are you to recommend us?\u201d on a 0–10 scale; it runs from −100 to +100."),
    ("Promoter, passive, detractor", "Respondents scoring 9–10, 7–8 and 0–6 respectively."),
    ("Interval (confidence interval)", "The range of values of the true NPS (or rate) compatible with the data "
     "at the stated confidence level, usually 95%. Wide intervals mean few responses."),
    ("Margin of error", "Half the width of the interval: ±5 points means the true value is within about 5 points "
     "of the one shown."),
    ("p-value and significance", "How surprising a difference would be if there were no real difference; below "
     "0.05 it is called significant. \u201cBH-adjusted\u201d p-values account for testing many segments at "
     "once (Benjamini–Hochberg)."),
    ("Severity", "High: act now; medium: plan action this quarter; low and info: worth knowing. Set from the size "
     "of the effect and the strength of the evidence."),
    ("Status", "Per area: act now (a high-severity finding), watch (a medium one), sound (neither), not assessed "
     "(the data needed is missing)."),
    ("Segment", "A group of responses sharing a value of a column such as region or plan."),
    ("Mix shift", "A change in the overall NPS that comes from a change in who answers (more responses from a "
     "lower-scoring segment) rather than from segments scoring differently."),
    ("Churn", "An account that did not renew or was lost during the period."),
    ("AUC", "Area under the ROC curve: the probability that a churned account scored lower than a retained one. "
     "0.5 is chance, 1.0 perfect separation."),
    ("Odds ratio", "How the odds of an outcome (e.g. churn) change per unit of a predictor; 1 means no change."),
    ("Decision maker", "A respondent whose role buys or renews (executive, decision maker, VP, director, C-level)."),
    ("Closed loop / follow-up", "Contacting a respondent (especially a detractor) after the survey to act on the "
     "feedback. The SLA is the agreed maximum delay."),
    ("Cool-off window", "The period during which a second answer by the same respondent counts as a repeat, not a "
     "new voice."),
    ("Feed gap", "A period with no or abnormally few responses, usually a broken survey integration."),
    ("Response rate", "Invitations answered divided by invitations sent."),
    ("Data lineage", "How the rows read become the rows analysed: each excluded row is counted under one reason."),
]


def glossary() -> str:
    """Glossary appendix of the NPS terms used in the report."""
    items = "".join(f"<dt>{esc(t)}</dt><dd>{esc(d)}</dd>" for t, d in GLOSSARY)
    return (f'<section id="glossary" class="area appendix"><h2>Appendix C — Glossary</h2>'
            f'<dl class="glossary">{items}</dl></section>')


def footer(diag: Diagnosis) -> str:
    """Closing line: when and how the report was produced, and where the machine-readable findings are."""
    from . import __version__

    return (f'<footer class="report-footer"><p>{esc(diag.client)} — NPS program diagnosis · prepared '
            f"{esc(_generated_date(diag))} with npsdiag {esc(__version__)}. The findings are also in "
            "<code>findings.json</code> beside this report. Confidential.</p>"
            '<p><a class="back" href="#cover">↑ Back to top</a></p></footer>')
