"""One plotting style for every figure of the report.

Seaborn/matplotlib with the Okabe-Ito colour-blind-safe palette; category
colours are paired with markers or hatches where colour carries meaning so
that figures read without colour too.

References
----------
Okabe, M. & Ito, K. (2008). Color Universal Design (CUD): how to make
figures and presentations that are friendly to colorblind people.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

__all__ = ["PALETTE", "CATEGORY_COLORS", "STATUS_COLORS", "figure", "apply_style"]

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


def apply_style() -> None:
    """Set the report's seaborn theme and palette (idempotent)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, rc=_RC)


def figure(width: float = 7.5, height: float = 3.6, **kwargs):
    """A new figure in the report style, sized for the page (inches).

    Returns ``(fig, ax)`` like :func:`matplotlib.pyplot.subplots`; the
    figure is not shown by pyplot (the report embeds it).
    """
    apply_style()
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained", **kwargs)
    plt.close(fig)  # keep pyplot from displaying it twice in notebooks
    return fig, ax
