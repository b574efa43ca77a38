"""One plotting style for every figure of the report.

Seaborn's ``whitegrid`` theme (``notebook`` context) with the Okabe-Ito
colour-blind-safe palette; category colours are paired with markers or
hatches where colour carries meaning so that figures read without colour too.

The theme is applied from :data:`STYLE`, the matplotlib settings that
``seaborn.set_theme(context="notebook", style="whitegrid", palette=PALETTE)``
makes (plus the report's own), so that drawing a figure imports neither
seaborn nor pyplot (a test checks the two stay equal).

References
----------
Okabe, M. & Ito, K. (2008). Color Universal Design (CUD): how to make
figures and presentations that are friendly to colorblind people.
"""

from __future__ import annotations

from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")

from cycler import cycler  # noqa: E402  (comes with matplotlib)
from matplotlib.colors import to_rgb  # noqa: E402

__all__ = ["PALETTE", "CATEGORY_COLORS", "STATUS_COLORS", "STYLE", "figure", "apply_style", "err"]

#: Okabe-Ito palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
CATEGORY_COLORS = {"detractor": "#D55E00", "passive": "#999999", "promoter": "#0072B2"}
CATEGORY_HATCHES = {"detractor": "//", "passive": "", "promoter": ".."}
STATUS_COLORS = {"red": "#D55E00", "amber": "#E69F00", "green": "#009E73", "not_assessed": "#999999"}

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
# ("rocket", registered by seaborn) is left out: every figure of the report names its colormap.
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

#: Matplotlib settings of the report style (what ``apply_style`` sets).
STYLE: dict[str, Any] = {**_SEABORN_NOTEBOOK, **_SEABORN_WHITEGRID,
                         "axes.prop_cycle": cycler("color", [to_rgb(c) for c in PALETTE]), **_RC}

_SUBPLOTS_ARGS = ("nrows", "ncols", "sharex", "sharey", "squeeze", "width_ratios", "height_ratios", "subplot_kw",
                  "gridspec_kw")


def apply_style() -> None:
    """Set the report's theme and palette in matplotlib's rcParams (idempotent, cheap)."""
    matplotlib.rcParams.update(STYLE)


def figure(width: float = 7.5, height: float = 3.6, **kwargs):
    """A new figure in the report style, sized for the page (inches).

    Returns ``(fig, ax)`` like :func:`matplotlib.pyplot.subplots` (and takes
    the same keyword arguments: ``ncols``, ``sharey``...). The figure is
    made without pyplot, so notebooks do not display it twice: the report
    embeds it.
    """
    from matplotlib.figure import Figure

    apply_style()
    sub = {k: kwargs.pop(k) for k in _SUBPLOTS_ARGS if k in kwargs}
    fig = Figure(figsize=(width, height), layout="constrained", **kwargs)
    return fig, fig.subplots(**sub)


def err(value, low, high) -> np.ndarray:
    """Error-bar lengths [below, above] for matplotlib, never negative or NaN.

    The adjusted Wald interval is centred on the adjusted estimate, so for
    tiny n the observed value can lie just outside it; the bar is then 0.
    """
    v, lo, hi = (np.asarray(a, dtype="float64") for a in (value, low, high))
    return np.nan_to_num(np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)]))
