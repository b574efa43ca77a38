"""One plotting style for every figure of npsdiag, applied without touching global settings.

The style is seaborn's ``whitegrid`` theme in its ``notebook`` context with
the Okabe-Ito colour-blind-safe palette (:data:`STYLE`, what
``seaborn.set_theme(context="notebook", style="whitegrid", palette=PALETTE)``
sets, plus the report's own settings; a test keeps the two equal). Figures
are drawn inside :func:`style` (a :func:`matplotlib.rc_context`), so that
nothing outside a plot function changes: an analyst's own figures keep their
settings, and no backend is ever switched. Figures are made without pyplot
(:class:`matplotlib.figure.Figure`), so notebooks show them once, where they
are displayed.

Every area's plot functions follow seaborn's convention::

    def plot_something(data, ..., ax=None) -> Axes:
        with plotting.style():
            fig, ax = plotting.axes(ax, width=7.5, height=3.2)
            ...
            return ax

Client text drawn in a figure (segment values, role and owner names) goes
through :func:`label` first: cut to a readable length and with ``$`` kept
literal (matplotlib would otherwise typeset ``$...$`` as mathematics).

References
----------
Okabe, M. & Ito, K. (2008). Color Universal Design (CUD): how to make
figures and presentations that are friendly to colorblind people.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import matplotlib
import numpy as np
from cycler import cycler
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from .redact import redact_text

__all__ = ["layout_collapsed", "text_boxes", "text_boxes_of", "overlapping_labels", "clipped_labels", "legibility",
           "thin_ticks",
           "PALETTE", "CATEGORY_COLORS", "CATEGORY_HATCHES", "STATUS_COLORS", "STYLE", "style", "figure", "axes",
           "label", "err", "MAX_LABEL_CHARS"]

#: Okabe-Ito palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
CATEGORY_COLORS = {"detractor": "#D55E00", "passive": "#999999", "promoter": "#0072B2"}
CATEGORY_HATCHES = {"detractor": "//", "passive": "", "promoter": ".."}
STATUS_COLORS = {"red": "#D55E00", "amber": "#E69F00", "green": "#009E73", "not_assessed": "#999999"}
#: Client text in a figure is cut to this many characters (tables cut their cells too).
MAX_LABEL_CHARS = 40
#: Whether :func:`label` masks personal data: set by :func:`style` for the figures drawn inside it (a context
#: variable: figures drawn at the same time on other threads keep their own choice).
_REDACT: ContextVar[bool] = ContextVar("npsdiag_plotting_redact", default=False)

_RC = {
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "figure.autolayout": False,
}

# seaborn.axes_style("whitegrid") with font.family "sans-serif" (seaborn 0.13). Seaborn's default colormap
# ("rocket", registered by seaborn) is left out: every figure names its colormap.
_SEABORN_WHITEGRID = {
    "axes.axisbelow": True, "axes.edgecolor": ".8", "axes.facecolor": "white", "axes.grid": True,
    "axes.labelcolor": ".15", "axes.linewidth": 1.25, "axes.spines.bottom": True, "axes.spines.left": True,
    "axes.spines.right": True, "axes.spines.top": True, "figure.facecolor": "white", "font.family": ["sans-serif"],
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "grid.color": ".8", "grid.linestyle": "-", "lines.solid_capstyle": "round", "patch.edgecolor": "w",
    "patch.force_edgecolor": True, "text.color": ".15", "xtick.bottom": False, "xtick.color": ".15",
    "xtick.direction": "out", "xtick.top": False, "ytick.color": ".15", "ytick.direction": "out",
    "ytick.left": False, "ytick.right": False,
}
# seaborn.plotting_context("notebook").
_SEABORN_NOTEBOOK = {
    "axes.labelsize": 12, "axes.linewidth": 1.25, "axes.titlesize": 12, "font.size": 12, "grid.linewidth": 1,
    "legend.fontsize": 11, "legend.title_fontsize": 12, "lines.linewidth": 1.5, "lines.markersize": 6,
    "patch.linewidth": 1, "xtick.labelsize": 11, "xtick.major.size": 6, "xtick.major.width": 1.25,
    "xtick.minor.size": 4, "xtick.minor.width": 1, "ytick.labelsize": 11, "ytick.major.size": 6,
    "ytick.major.width": 1.25, "ytick.minor.size": 4, "ytick.minor.width": 1,
}

#: Matplotlib settings of the report style (what :func:`style` applies).
STYLE: dict[str, Any] = {**_SEABORN_NOTEBOOK, **_SEABORN_WHITEGRID,
                         "axes.prop_cycle": cycler("color", [to_rgb(c) for c in PALETTE]), **_RC}


@contextmanager
def style(redact: bool | None = None) -> Iterator[None]:
    """Draw (and render) figures in the report style: :data:`STYLE` inside a :func:`matplotlib.rc_context`.

    Everything is restored on leaving, so nothing outside changes.

    Parameters
    ----------
    redact : bool, optional
        Mask personal data in the client text the figures drawn inside show
        (every :func:`label`); None keeps the choice of an enclosing
        ``style(...)`` (default: not masked). The report draws its figures
        inside ``style(redact=settings.redact_pii)``.

    Examples
    --------
    >>> import matplotlib
    >>> before = matplotlib.rcParams["axes.grid"]
    >>> with style():
    ...     fig, ax = figure()
    ...     inside = matplotlib.rcParams["axes.grid"]
    >>> inside, matplotlib.rcParams["axes.grid"] == before
    (True, True)
    """
    token = _REDACT.set(bool(redact)) if redact is not None else None
    try:
        with matplotlib.rc_context(STYLE):
            yield
    finally:
        if token is not None:
            _REDACT.reset(token)


def figure(width: float = 7.5, height: float = 3.6, **subplots: Any) -> tuple[Figure, Any]:
    """A new figure sized for the page (inches), with constrained layout, made without pyplot.

    Returns ``(fig, ax)`` like :func:`matplotlib.pyplot.subplots`, whose
    keyword arguments (``ncols``, ``sharey``...) it takes. Call it inside
    :func:`style`.
    """
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(**subplots)


def axes(ax: Any = None, width: float = 7.5, height: float = 3.6) -> tuple[Figure, Any]:
    """``ax`` and its figure, or (when ``ax`` is None) a new figure of that size with one axes."""
    if ax is not None:
        return ax.get_figure(), ax
    return figure(width, height)


def label(text: Any, max_chars: int = MAX_LABEL_CHARS) -> str:
    """Client text as a figure label: plain text (``$`` stays a dollar sign), at most ``max_chars`` characters,
    personal data masked inside ``style(redact=True)`` (:func:`npsdiag.redact.redact_text`, the report's and the
    CSVs' redaction).

    Examples
    --------
    >>> label("Plan $5-$10")
    'Plan \\\\$5-\\\\$10'
    >>> label("x" * 50, 10)
    'xxxxxxxxx…'
    >>> with style(redact=True):
    ...     label("jo@example.com")
    '[email]'
    """
    s = "" if text is None else str(text)
    if _REDACT.get() and s:
        s = redact_text(s)
    s = " ".join(s.split())
    if len(s) > max_chars:
        s = s[: max_chars - 1].rstrip() + "…"
    return s.replace("$", r"\$")


def err(value, low, high) -> np.ndarray:
    """Error-bar lengths [below, above] for matplotlib, never negative or NaN.

    The adjusted Wald interval is centred on the adjusted estimate, so for
    tiny n the observed value can lie just outside it; the bar is then 0.
    """
    v, lo, hi = (np.asarray(a, dtype="float64") for a in (value, low, high))
    return np.nan_to_num(np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)]))


def _in_view(labels: list, limits: tuple[float, float], i: int) -> list:
    """The tick labels matplotlib draws: those whose tick lies within the axis' view limits."""
    lo, hi = sorted(limits)
    pad = 1e-9 * max(abs(lo), abs(hi), 1.0)
    return [t for t in labels if lo - pad <= t.get_position()[i] <= hi + pad]


def _laid_out(fig: Figure) -> Any:
    """Lay the figure out as a draw would (constrained layout, text sizes) without rasterising it, and return the
    renderer its text extents are measured with: a fraction of the cost of a full draw."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if hasattr(fig.canvas, "get_renderer") else FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    return canvas.get_renderer()


def legibility(fig: Figure, tolerance: float = 1.0) -> tuple[list[tuple[str, str]], list[str]]:
    """:func:`overlapping_labels` and :func:`clipped_labels` of a figure, laid out once."""
    boxes = text_boxes(fig)
    return _overlaps(boxes, tolerance), _clipped(fig, boxes, tolerance)


def text_boxes(fig: Figure) -> list[tuple[str, Any]]:
    """Every visible, non-empty text of a drawn figure with its bounding box in display pixels.

    Tick labels, axis labels, titles, annotations and legend entries of every axes, and the figure's own texts:
    what a reader has to read, for :func:`overlapping_labels`.
    """
    renderer = _laid_out(fig)
    texts = list(fig.texts)
    for ax in fig.axes:
        texts += [*_in_view(ax.get_xticklabels(), ax.get_xlim(), 0), *_in_view(ax.get_yticklabels(), ax.get_ylim(), 1),
                  ax.xaxis.label, ax.yaxis.label, ax.title, *ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            texts += list(legend.get_texts())
    boxes, seen = [], set()
    for t in texts:
        if id(t) in seen or not t.get_visible() or not t.get_text().strip():
            continue
        seen.add(id(t))
        boxes.append((t.get_text(), t.get_window_extent(renderer)))
    return boxes


def overlapping_labels(fig: Figure, tolerance: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of texts of a drawn figure whose boxes overlap by more than ``tolerance`` pixels each way.

    Examples
    --------
    >>> import matplotlib.figure
    >>> f = matplotlib.figure.Figure()
    >>> ax = f.add_subplot()
    >>> _ = ax.text(0.5, 0.5, "first label"), ax.text(0.5, 0.5, "second label")
    >>> overlapping_labels(f)
    [('first label', 'second label')]
    """
    return _overlaps(text_boxes(fig), tolerance)


def _overlaps(boxes: list, tolerance: float) -> list[tuple[str, str]]:
    out = []
    for i, (a, ba) in enumerate(boxes):
        for b, bb in boxes[i + 1:]:
            w = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            h = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            if w > tolerance and h > tolerance:
                out.append((a, b))
    return out


def thin_ticks(fig: Figure, max_passes: int = 6) -> Callable[[], None]:
    """Keep every k-th tick label of each axis whose tick labels overlap (k = 2, 3, ...), for a narrow figure.

    The figure is laid out once per pass; in each pass every axis whose labels still overlap keeps fewer, until
    none overlaps or ``max_passes`` passes have run. Returns a function that puts every axis' locator and
    formatter back as they were.
    """
    saved, axes = [], []
    for ax in fig.axes:
        for axis, view, i in ((ax.xaxis, ax.get_xlim, 0), (ax.yaxis, ax.get_ylim, 1)):
            ticks = [t for t in _in_view(axis.get_ticklabels(), view(), i) if t.get_text().strip()]
            if len(ticks) < 3:
                continue
            saved.append((axis, axis.get_major_locator(), axis.get_major_formatter()))
            axes.append([axis, [t.get_position()[i] for t in ticks], [t.get_text() for t in ticks], 1])
    for _ in range(max_passes if axes else 0):
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            renderer = _laid_out(fig)
        if layout_collapsed(said):  # no room for the plot at all: fewer labels won't help
            break
        crowded = [a for a in axes if _any_overlap([b for _, b in _tick_boxes(axis=a[0], renderer=renderer)])]
        if not crowded:
            break
        for a in crowded:
            a[3] += 1
            a[0].set_ticks(a[1][::a[3]], a[2][::a[3]])

    def restore() -> None:
        for axis, locator, formatter in saved:
            axis.set_major_locator(locator)
            axis.set_major_formatter(formatter)

    return restore


def layout_collapsed(caught: list) -> bool:
    """Whether matplotlib warned, among the ``caught`` warnings (``warnings.catch_warnings(record=True)``), that
    the constrained layout found no room for the plot area (its "axes sizes collapsed to zero")."""
    return any("collapsed" in str(w.message) for w in caught)


def _tick_boxes(axis: Any, renderer: Any) -> list[tuple[str, Any]]:
    i = 0 if axis.axis_name == "x" else 1
    view = axis.axes.get_xlim() if i == 0 else axis.axes.get_ylim()
    return [(t.get_text(), t.get_window_extent(renderer)) for t in _in_view(axis.get_ticklabels(), view, i)
            if t.get_visible() and t.get_text().strip()]


def text_boxes_of(fig: Figure, axis: Any) -> list[tuple[str, Any]]:
    """The boxes of one axis' drawn tick labels (see :func:`text_boxes`)."""
    return _tick_boxes(axis, _laid_out(fig))


def _any_overlap(boxes: list, tolerance: float = 1.0) -> bool:
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if min(a.x1, b.x1) - max(a.x0, b.x0) > tolerance and min(a.y1, b.y1) - max(a.y0, b.y0) > tolerance:
                return True
    return False


def clipped_labels(fig: Figure, tolerance: float = 1.0) -> list[str]:
    """Texts of a drawn figure that run off its canvas (a legend or label cut at the edge)."""
    return _clipped(fig, text_boxes(fig), tolerance)


def _clipped(fig: Figure, boxes: list, tolerance: float) -> list[str]:
    w, h = fig.get_size_inches() * fig.dpi
    return [t for t, b in boxes
            if b.x0 < -tolerance or b.y0 < -tolerance or b.x1 > w + tolerance or b.y1 > h + tolerance]
