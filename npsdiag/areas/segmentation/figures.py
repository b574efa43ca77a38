"""The area's figures: a forest plot per dimension, a heat map of two dimensions, the trend and the mix/rate chart.

Each ``plot_*(data, ..., ax=None)`` draws the table a building block
returned onto ``ax`` (a new figure when None) in the report style and
returns the axes.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ... import plotting

__all__ = ["plot_forest", "plot_heatmap", "plot_trend", "plot_mix_rate", "MAX_FOREST_VALUES"]

#: At most this many values of one dimension are drawn in a forest plot.
MAX_FOREST_VALUES = 20


def plot_forest(table: pd.DataFrame, dimension: str, overall: float | None = None, min_n: int = 30,
                confidence: float = 0.95, ax: Axes | None = None, label: str | None = None) -> Axes:
    """Forest plot of one dimension: each segment's NPS with its interval.

    Segments below ``min_n`` are drawn grey with hollow markers; segments
    significantly below / above the rest are marked with ▼ / ▲ and named so
    in their label. The overall NPS is a dashed vertical line. At most
    :data:`MAX_FOREST_VALUES` segments (the largest) are drawn.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~npsdiag.areas.segmentation.segment_nps`.
    dimension : str
        The dimension drawn.
    overall : float, optional
        Overall NPS (points).
    min_n : int
        Reportable n (for the labels).
    confidence : float
        Level of the intervals in the table (for the axis label).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    label : str, optional
        How the dimension is named in the title ("NPS by <label>"; default: ``dimension``).

    Returns
    -------
    matplotlib Axes
    """
    t = table[table["dimension"] == dimension]
    if len(t) > MAX_FOREST_VALUES:
        t = t.nlargest(MAX_FOREST_VALUES, "n")
    t = t.sort_values("nps", ascending=True).reset_index(drop=True)
    with plotting.style():
        fig, ax = plotting.axes(ax, 7.0, max(2.0, 0.38 * len(t) + 1.2))
        pos = np.arange(len(t))
        if overall is not None and np.isfinite(overall):
            ax.axvline(overall, color="black", ls="--", lw=1, label=f"overall NPS {overall:+.0f}")
        for i, row in t.iterrows():
            small = not bool(row["reportable"])
            colour = "#999999" if small else (plotting.PALETTE[5] if row["direction"] == "below"
                                              else plotting.PALETTE[0])
            marker = {"below": "v", "above": "^"}.get(row["direction"], "o")
            ax.plot([row["ci_low"], row["ci_high"]], [i, i], color=colour, lw=2, solid_capstyle="butt")
            ax.plot(row["nps"], i, marker=marker, ms=8, color=colour, mfc="white" if small else colour,
                    mec=colour, ls="none")
        labels = []
        for _, row in t.iterrows():
            tag = ""
            if not bool(row["reportable"]):
                tag = f" · n<{min_n}"
            elif row["direction"]:
                tag = f" · {row['direction']} the rest"
            labels.append(f"{plotting.label(row['segment'])} (n={int(row['n']):,}){tag}")
        ax.set_yticks(pos, labels)
        ax.set_xlabel(f"NPS with {confidence:.0%} interval")
        ax.set_title(f"NPS by {plotting.label(label or dimension)}")
        lo = float(np.nanmin(t["ci_low"])) if len(t) else -100
        hi = float(np.nanmax(t["ci_high"])) if len(t) else 100
        ax.set_xlim(max(-100, lo - 5), min(100, hi + 5))
        if overall is not None:
            ax.legend(loc="lower right", fontsize=8)
        return ax


def plot_heatmap(grid: pd.DataFrame, rows: str, cols: str, min_n: int = 30, ax: Axes | None = None) -> Axes:
    """Heat map of NPS over two dimensions; cells below ``min_n`` are grey and hatched, not coloured.

    Each cell shows its NPS and n as text, so the figure reads without
    colour.

    Parameters
    ----------
    grid : DataFrame
        Output of :func:`~npsdiag.areas.segmentation.nps_grid`: columns
        ``rows``, ``cols``, ``n`` and ``nps``, one row per cell.
    rows, cols : str
        The two dimensions (rows and columns of the map).
    min_n : int
        Cells with fewer responses are not coloured.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib Axes
    """
    index, columns = pd.unique(grid[rows]), pd.unique(grid[cols])
    val = grid.pivot(index=rows, columns=cols, values="nps").reindex(index=index, columns=columns)
    cnt = grid.pivot(index=rows, columns=cols, values="n").reindex(index=index, columns=columns).fillna(0)
    shown = val.where(cnt >= min_n)
    nr, nc = val.shape
    xlabels = [plotting.label(c) for c in val.columns]
    longest = max((len(c) for c in xlabels), default=1)
    with plotting.style():
        fig, ax = plotting.axes(ax, min(7.5, max(5.0, 1.8 + (0.08 * longest + 0.5) * nc)), max(2.4, 0.55 * nr + 1.6))
        cmap = mpl.colormaps["RdBu"].with_extremes(bad="#DDDDDD")
        lim = max(10.0, float(np.nanmax(np.abs(shown.to_numpy()))) if shown.notna().any().any() else 10.0)
        im = ax.imshow(np.ma.masked_invalid(shown.to_numpy(dtype="float64")), cmap=cmap, vmin=-lim, vmax=lim,
                       aspect="auto")
        for i in range(nr):
            for j in range(nc):
                n_ij = int(cnt.iat[i, j])
                v = val.iat[i, j]
                if n_ij >= min_n:
                    txt = f"{int(round(v)) or 0:+d}\nn={n_ij}"  # no "-0"
                    colour = "white" if abs(v) > 0.6 * lim else "black"
                else:
                    ax.add_patch(mpl.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///",
                                                       edgecolor="#AAAAAA", lw=0))
                    txt = f"n={n_ij}" if n_ij else "–"
                    colour = "#555555"
                ax.text(j, i, txt, ha="center", va="center", fontsize=8, color=colour)
        tilt = nc > 4 or longest * nc > 30  # long labels side by side would overlap
        ax.set_xticks(range(nc), xlabels, rotation=30 if tilt else 0, ha="right" if tilt else "center")
        ax.set_yticks(range(nr), [plotting.label(r) for r in val.index])
        ax.set_xlabel(plotting.label(cols))
        ax.set_ylabel(plotting.label(rows))
        ax.grid(False)
        ax.set_title(f"NPS by {plotting.label(rows)} and {plotting.label(cols)}\n"
                     f"(grey, hatched: fewer than {min_n} responses)")
        fig.colorbar(im, ax=ax, shrink=0.8, label="NPS")
        return ax


def plot_trend(trend: pd.DataFrame, overall: float | None = None, min_n: int = 30, confidence: float = 0.95,
               ax: Axes | None = None) -> Axes:
    """NPS per period with its interval; periods below ``min_n`` as hollow grey points.

    Parameters
    ----------
    trend : DataFrame
        Output of :func:`~npsdiag.areas.segmentation.nps_trend` (without ``by``).
    overall : float, optional
        NPS of the whole period (points), drawn as a dashed line.
    min_n : int
        Reportable n (for the legend).
    confidence : float
        Level of the intervals (for the legend).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib Axes
    """
    with plotting.style():
        fig, ax = plotting.axes(ax, 7.5, 3.4)
        x = pd.to_datetime(trend["start"])
        ok = trend["reportable"].astype(bool).to_numpy()
        ax.fill_between(x, trend["ci_low"], trend["ci_high"], color=plotting.PALETTE[0], alpha=0.15, lw=0,
                        label=f"{confidence:.0%} interval")
        ax.plot(x, trend["nps"], color=plotting.PALETTE[0], lw=1.5)
        ax.plot(x[ok], trend["nps"][ok], "o", color=plotting.PALETTE[0], ms=5, label="NPS")
        if (~ok).any():
            ax.plot(x[~ok], trend["nps"][~ok], "o", mfc="white", mec="#777777", ms=5, label=f"n < {min_n}")
        if overall is not None:
            ax.axhline(overall, color="black", ls="--", lw=1, label=f"whole period {overall:+.0f}")
        ax.set_ylabel("NPS")
        ax.set_title("NPS over time")
        ax.legend(loc="best", fontsize=8, ncols=2)
        return ax


def plot_mix_rate(summary: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Bars of the mix and rate effects per dimension with their intervals (hatched = mix).

    Parameters
    ----------
    summary : DataFrame
        Output of :func:`~npsdiag.areas.segmentation.mix_rate_summary`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib Axes
    """
    s = summary.dropna(subset=["mix_effect"])
    with plotting.style():
        fig, ax = plotting.axes(ax, 7.0, max(2.0, 0.7 * len(s) + 1.3))
        pos = np.arange(len(s))
        h = 0.38
        for off, key, colour, hatch, label in ((-h / 2, "mix", plotting.PALETTE[1], "//", "mix (who answered)"),
                                               (h / 2, "rate", plotting.PALETTE[0], "", "rate (how they scored)")):
            v = s[f"{key}_effect"].to_numpy()
            ax.barh(pos + off, v, height=h, color=colour, hatch=hatch, edgecolor="white", label=label)
            if f"{key}_ci_low" in s and s[f"{key}_ci_low"].notna().any():
                ax.errorbar(v, pos + off, xerr=plotting.err(v, s[f"{key}_ci_low"], s[f"{key}_ci_high"]), fmt="none",
                            ecolor="black", capsize=3, lw=1)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(pos, [plotting.label(d) for d in s["dimension"]])
        if len(s):
            r = s.iloc[0]
            ax.set_title(f"NPS change {r['period_1']} → {r['period_2']}: {r['change']:+.1f} points")
        ax.set_xlabel("contribution to the change (NPS points)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncols=2, fontsize=8)
        return ax
