"""The verbatims figures: distinguishing terms, themes, and the items on the rise.

Each is drawn inside :func:`npsdiag.plotting.style`; client text (terms,
theme names) goes through :func:`npsdiag.plotting.label`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ... import plotting

__all__ = ["plot_terms", "plot_themes", "plot_early_warning"]


def plot_terms(terms: pd.DataFrame, label_a: str = "Detractors", label_b: str = "Promoters",
               top: int = 12) -> np.ndarray:
    """Two panels of horizontal bars: terms typical of group a (left) and of group b (right).

    Parameters
    ----------
    terms : DataFrame
        From :func:`~npsdiag.areas.verbatims.distinguishing_terms`.
    label_a, label_b : str
        Panel titles' group names (labels read "share of a vs share of b").
    top : int
        Terms per panel.

    Returns
    -------
    ndarray of two matplotlib Axes
        The panels of one figure (``axes[0].figure``). Bar length = |z|;
        each bar is labelled with the share of each group's comments
        mentioning the term (a vs b), so the chart reads without colour
        (the panels are also titled and hatched differently).

    Examples
    --------
    >>> t = pd.DataFrame({"term": ["late", "great"], "z": [3.1, -2.5], "share_a": [0.3, 0.02],
    ...                   "share_b": [0.01, 0.4]})
    >>> axes = plot_terms(t)
    >>> [ax.get_title(loc="left") for ax in axes]
    ['Detractors say more', 'Promoters say more']
    """
    a = terms[terms["z"] > 0].nlargest(top, "z")
    b = terms[terms["z"] < 0].nsmallest(top, "z")
    rows = max(len(a), len(b), 1)
    with plotting.style():
        fig, axes = plotting.figure(7.5, 0.9 + 0.32 * rows, ncols=2)
        for ax, part, label, key in ((axes[0], a, label_a, "detractor"), (axes[1], b, label_b, "promoter")):
            _term_bars(ax, part, label, key)
        # one label for both panels (per panel it was wider than a panel and ran off the figure's edge)
        fig.supxlabel(f"Bar: z-score · label: % of {label_a.lower()} vs {label_b.lower()} comments mentioning the "
                      "term", fontsize=8)
    return axes


def _term_bars(ax: Axes, part: pd.DataFrame, label: str, key: str) -> None:
    """One panel of :func:`plot_terms`."""
    ax.set_title(f"{label} say more", loc="left")
    if part.empty:
        ax.text(0.5, 0.5, "no term stands out", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    z = part["z"].abs().to_numpy()
    y = np.arange(len(part))[::-1]
    ax.barh(y, z, color=plotting.CATEGORY_COLORS[key], hatch=plotting.CATEGORY_HATCHES[key], edgecolor="white",
            height=0.7)
    ax.set_yticks(y, [plotting.label(t) for t in part["term"]])
    ax.set_xlim(0, z.max() * 1.75)
    for yi, zi, sa, sb in zip(y, z, part["share_a"], part["share_b"]):
        ax.text(zi + z.max() * 0.03, yi, f"{sa:.0%} vs {sb:.0%}", va="center", fontsize=7.5)
    ax.grid(axis="y", visible=False)


def plot_themes(summary: pd.DataFrame, overall_nps: float | None = None, top: int = 12) -> np.ndarray:
    """Theme share of comments (left) and NPS of those who mention it (right), with intervals.

    Parameters
    ----------
    summary : DataFrame
        From :func:`~npsdiag.areas.verbatims.theme_summary`.
    overall_nps : float, optional
        NPS of all commenters, drawn as a dashed reference line.
    top : int
        Themes shown (most mentioned).

    Returns
    -------
    ndarray of two matplotlib Axes
        The panels of one figure (``axes[0].figure``), sharing the themes' axis.

    Examples
    --------
    >>> s = pd.DataFrame({"theme": ["billing", "support"], "share": [0.2, 0.1], "share_ci_low": [0.15, 0.07],
    ...                   "share_ci_high": [0.25, 0.14], "nps": [-40.0, 20.0], "nps_ci_low": [-55.0, 0.0],
    ...                   "nps_ci_high": [-25.0, 40.0]})
    >>> axes = plot_themes(s, overall_nps=5)
    >>> [t.get_text() for t in axes[0].get_yticklabels()]
    ['billing', 'support']
    """
    s = summary.head(top)
    with plotting.style():
        fig, axes = plotting.figure(7.5, 0.9 + 0.3 * max(len(s), 1), ncols=2, sharey=True)
        y = np.arange(len(s))[::-1]
        ax = axes[0]
        share = 100 * s["share"].to_numpy(dtype=float)
        err = plotting.err(share, 100 * s["share_ci_low"].to_numpy(dtype=float),
                           100 * s["share_ci_high"].to_numpy(dtype=float))
        ax.barh(y, share, xerr=err, color=plotting.PALETTE[0], ecolor="black", capsize=2, height=0.65)
        ax.set_yticks(y, [plotting.label(t) for t in s["theme"]])
        ax.set_xlabel("% of comments mentioning it")
        ax.set_title("How often", loc="left")
        ax.grid(axis="y", visible=False)
        for yi, v, e in zip(y, share, err[1]):
            ax.text(v + e + 0.01 * max(share.max(), 1), yi, f"{v:.0f}%", fontsize=7.5, va="center")
        ax.set_xlim(0, max((share + err[1]).max(), 1) * 1.15)
        _theme_nps(axes[1], s, y, overall_nps)
    return axes


def _theme_nps(ax: Axes, s: pd.DataFrame, y: np.ndarray, overall_nps: float | None) -> None:
    """The right panel of :func:`plot_themes`: each theme's NPS with its interval."""
    v = s["nps"].to_numpy(dtype=float)
    # the adjusted Wald interval is centred on the adjusted NPS: near +-100 it may not contain the observed one
    ax.errorbar(v, y, xerr=plotting.err(v, s["nps_ci_low"], s["nps_ci_high"]), fmt="D", color="black",
                ecolor="black", capsize=2, markersize=5)
    if overall_nps is not None and np.isfinite(overall_nps):
        ax.axvline(overall_nps, ls="--", color="grey", lw=1)
        ax.text(overall_nps, y.max() + 0.6 if len(y) else 0, " all commenters", fontsize=7.5, color="grey")
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlim(-105, 105)
    ax.set_xlabel("NPS of those who mention it")
    ax.set_title("NPS (95% interval)", loc="left")
    ax.grid(axis="y", visible=False)


def plot_early_warning(ew: pd.DataFrame, top: int = 10, ax: Axes | None = None) -> Axes:
    """Before/latest share of comments for the rising items (dumbbells: circle = before, square = latest).

    Parameters
    ----------
    ew : DataFrame
        From :func:`~npsdiag.areas.verbatims.early_warning` (rows with ``rising``).
    top : int
        Items shown (the first rising ones).
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> ew = pd.DataFrame({"kind": ["theme"], "item": ["billing"], "before_share": [0.03], "latest_share": [0.12],
    ...                    "rising": [True]})
    >>> [t.get_text() for t in plot_early_warning(ew).get_yticklabels()]
    ['billing (theme)']
    """
    keep = ew["rising"] & (ew["same_comments_as"].isna() if "same_comments_as" in ew else True)
    s = ew[keep].head(top)
    with plotting.style():
        fig, ax = plotting.axes(ax, 7.5, 0.9 + 0.32 * max(len(s), 1))
        y = np.arange(len(s))[::-1]
        b = 100 * s["before_share"].to_numpy(dtype=float)
        a = 100 * s["latest_share"].to_numpy(dtype=float)
        for yi, x0, x1 in zip(y, b, a):
            ax.annotate("", xy=(x1, yi), xytext=(x0, yi), arrowprops={"arrowstyle": "->", "color": "grey"})
        ax.plot(b, y, "o", color=plotting.PALETTE[4], label="before", markersize=6)
        ax.plot(a, y, "s", color=plotting.PALETTE[5], label="latest 3 months", markersize=6)
        ax.set_yticks(y, [f"{plotting.label(it)} ({k})" for it, k in zip(s["item"], s["kind"])])
        for yi, x1, x0 in zip(y, a, b):
            ax.text(x1 + 0.4, yi, f"{x0:.0f}% → {x1:.0f}%", va="center", fontsize=7.5)
        ax.set_xlim(0, max(a.max() if len(a) else 1, 1) * 1.35)
        ax.set_xlabel("% of comments mentioning it")
        ax.legend(loc="lower right")
        ax.grid(axis="y", visible=False)
    return ax
