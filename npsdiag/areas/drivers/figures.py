"""Key drivers' figures."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ... import plotting

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_drivers"]


def plot_drivers(table: pd.DataFrame, title: str = "What explains the score", value: str = "share",
                 low: str = "share_ci_low", high: str = "share_ci_high", ax: Axes | None = None) -> Axes:
    """Horizontal bars of each driver's share of explained variance, with intervals.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`npsdiag.areas.drivers.key_drivers` (or any table
        with ``driver`` and the value / interval columns, as shares 0-1).
    title : str
    value, low, high : str
        Columns of the share and of its interval.
    ax : matplotlib Axes, optional
        Where to draw; a new figure sized to the drivers' labels when None.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> t = pd.DataFrame({"driver": ["Ease", "Support"], "share": [0.7, 0.3]})
    >>> [tick.get_text() for tick in plot_drivers(t).get_yticklabels()]
    ['Support', 'Ease']
    """
    t = table.dropna(subset=[value]).sort_values(value)
    # long driver names (whole survey questions) wrapped, so that the labels leave room for the bars
    labels = ["\n".join(plotting.label(line) for line in
                        textwrap.fill(str(d), 32, max_lines=3, placeholder="…").splitlines()) for d in t["driver"]]
    lines = sum(max(1, lab.count("\n") + 1) for lab in labels)
    with plotting.style():
        _, ax = plotting.axes(ax, 7.0, max(1.8, 0.3 * lines + 0.2 * len(t) + 1.0))
        pos = np.arange(len(t))
        ax.barh(pos, 100 * t[value], color=plotting.PALETTE[0], alpha=0.85)
        if low in t and high in t and t[low].notna().any():
            ax.errorbar(100 * t[value], pos, xerr=plotting.err(100 * t[value], 100 * t[low], 100 * t[high]),
                        fmt="none", ecolor="black", capsize=3, lw=1)
        for y, v in zip(pos, t[value], strict=True):
            ax.text(100 * v, y + 0.3, f" {100 * v:.0f}%", va="center", fontsize=9)
        ax.set_yticks(pos, labels, fontsize=9)
        ax.set_xlabel("share of explained variance (%)")
        ax.set_title(title)
        ax.set_xlim(0, max(100, float(100 * t[high].max()) if high in t and t[high].notna().any() else 100))
    return ax
