"""Figures of the reliability area: response volume, NPS trend, the owners' funnel plot and their churn.

Each ``plot_*`` function draws on ``ax`` (or a new figure) in the report
style (:func:`npsdiag.plotting.style`) and returns the axes; the checks
(:mod:`.checks`) turn them into the area's captioned figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection

from ... import plotting
from ...fmt import num
from ...stats.proportions import wilson_interval
from .blocks import gap_runs
from .rules import MAX_MOE, period_unit

__all__ = ["plot_volume", "plot_trend", "plot_funnel", "plot_owner_outcomes"]


def _percent_tick(value: float, _pos=None) -> str:
    """Tick label of a share ("40%"); a module-level function, so that figures using it can be pickled."""
    return f"{value:.0%}"


def plot_volume(feed: pd.DataFrame, freq: str = "W", ax: Any = None) -> Axes:
    """Responses per period with the expected volume and its lower limit; gap periods hatched and marked.

    Parameters
    ----------
    feed : DataFrame
        The output of :func:`~npsdiag.areas.reliability.feed_gaps`.
    freq : {"W", "M", "Q"}
        The feed's period length (bar widths and labels).
    ax : matplotlib Axes, optional
        Where to draw; a new 7.5 x 3.2 inch figure when None.
    """
    with plotting.style():
        fig, ax = plotting.axes(ax, 7.5, 3.2)
        width = {"W": 6, "M": 26, "Q": 80}.get(freq, 6)
        x = pd.to_datetime(feed["start"]) + pd.Timedelta(days=width / 2)
        ok = ~feed["gap"].astype(bool)
        # the ordinary bars as one collection of rectangles (a hundred bar patches cost more than the whole check)
        xc = mdates.date2num(x[ok])
        h = feed.loc[ok, "responses"].to_numpy(dtype="float64")
        verts = np.stack([np.column_stack([xc - width / 2, np.zeros_like(h)]), np.column_stack([xc - width / 2, h]),
                          np.column_stack([xc + width / 2, h]), np.column_stack([xc + width / 2, np.zeros_like(h)])],
                         axis=1)
        edge = mpl.rcParams["patch.edgecolor"] if mpl.rcParams["patch.force_edgecolor"] else "none"
        ax.add_collection(PolyCollection(verts, facecolors=plotting.PALETTE[0], alpha=0.85, edgecolors=edge,
                                         linewidths=mpl.rcParams["patch.linewidth"], label="responses"),
                          autolim=True)
        if (~ok).any():
            _mark_gaps(ax, feed, x, ok, width)
        expected = ("expected (from invitations)" if feed.attrs.get("basis") == "invitations"
                    else "expected (rolling median)")
        if feed["expected"].notna().any():  # (a survey sent in waves expects nothing between its waves)
            ax.plot(x, feed["expected"], color="black", lw=1.4, label=expected)
            ax.plot(x, feed["lower_limit"], color="black", lw=1, ls="--", label="lower limit")
        else:  # dates on the axis without the lines that would otherwise set them
            ax.xaxis_date()
            ax.set_xlim(mdates.date2num(x.min()) - width, mdates.date2num(x.max()) + width)
        unit = period_unit(freq)
        ax.set_ylabel(f"responses per {unit}")
        ax.set_xlabel("")
        ax.set_title(f"Response volume per {unit}")
        top_y = float(np.nanmax(np.r_[feed["responses"].to_numpy(dtype="float64"),
                                      feed["expected"].to_numpy(dtype="float64")]))
        ax.set_ylim(0, 1.35 * max(top_y, 1.0))
        handles, labels = ax.get_legend_handles_labels()
        order = [expected, "lower limit", "responses", "gap (abnormally few)"]
        pairs = sorted(zip(handles, labels), key=lambda hl: order.index(hl[1]) if hl[1] in order else len(order))
        ax.legend([h for h, _ in pairs], [lab for _, lab in pairs], loc="upper center", fontsize=8, ncol=4)
        return ax


def _mark_gaps(ax: Axes, feed: pd.DataFrame, x: pd.Series, ok: pd.Series, width: float) -> None:
    """Hatched bars, shaded spans and triangles for the gap periods; the first three runs annotated."""
    gap_color = plotting.PALETTE[5]
    ax.bar(x[~ok], feed.loc[~ok, "responses"], width=width, color=gap_color, hatch="//", edgecolor=gap_color,
           label="gap (abnormally few)")
    top = np.nanmax(feed["expected"].to_numpy(dtype="float64")) if feed["expected"].notna().any() else 1
    for xi in x[~ok]:
        ax.axvspan(xi - pd.Timedelta(days=width / 2), xi + pd.Timedelta(days=width / 2), color=gap_color,
                   alpha=0.12, lw=0)
        ax.plot([xi], [top * 1.05], marker="v", color=gap_color, ms=6, ls="none")
    for ru in gap_runs(feed).head(3).to_dict("records"):
        ax.annotate(f"{num(ru['responses'])} vs ~{num(ru['expected'])}\nexpected", (ru["start"], top * 1.05),
                    xytext=(8, 2), textcoords="offset points", fontsize=7, color=gap_color)


def plot_trend(trend: pd.DataFrame, overall: Mapping[str, float] | None = None, freq: str = "M", min_n: int = 30,
               max_moe: float = MAX_MOE, ax: Any = None) -> Axes:
    """NPS per period with its interval, points marked precise, too wide or not reportable.

    Parameters
    ----------
    trend : DataFrame
        The output of :func:`~npsdiag.areas.reliability.nps_trend`.
    overall : mapping, optional
        The overall ``nps``, ``ci_low`` and ``ci_high``, drawn as a band.
    freq : {"W", "M", "Q"}
        The trend's period length (labels).
    min_n, max_moe
        The thresholds the trend was judged with (legend).
    ax : matplotlib Axes, optional
        Where to draw; a new 7.5 x 3.4 inch figure when None.
    """
    with plotting.style():
        fig, ax = plotting.axes(ax, 7.5, 3.4)
        t = trend[trend["n"] > 0]
        x = pd.to_datetime(t["start"])
        if overall is not None and overall.get("nps") is not None:
            ax.axhspan(overall["ci_low"], overall["ci_high"], color="#999999", alpha=0.15, lw=0)
            ax.axhline(overall["nps"], color="#666666", lw=1, ls="--", label=f"overall {overall['nps']:+.0f}")
        for mask, style, label in (
            (t["precise"], dict(marker="o", color=plotting.PALETTE[0], mfc=plotting.PALETTE[0]),
             f"±{max_moe:g} or better"),
            (t["reportable"] & ~t["precise"], dict(marker="s", color=plotting.PALETTE[1], mfc="white"),
             f"margin above ±{max_moe:g}"),
            (~t["reportable"], dict(marker="x", color=plotting.PALETTE[5], mfc="white"),
             f"n < {min_n}: not reportable"),
        ):
            m = mask.to_numpy(dtype=bool)
            if not m.any():
                continue
            yerr = plotting.err(t["nps"], t["ci_low"], t["ci_high"])[:, m]
            ax.errorbar(x[m], t["nps"].to_numpy()[m], yerr=yerr, ls="none", capsize=2, ms=5, mew=1.3, label=label,
                        **style)
        ax.plot(x, t["nps"], color="#999999", lw=0.8, zorder=0)
        ax.set_ylabel("NPS")
        ax.set_title(f"NPS per {period_unit(freq)} with its interval")
        ax.legend(loc="best", fontsize=8, ncol=2)
        return ax


def plot_funnel(owners: pd.DataFrame, limits: pd.DataFrame, p0: float, adjusted: bool = False,
                ax: Any = None) -> Axes:
    """Funnel plot: each owner's share of 10s among their 9s and 10s against their volume, with control limits.

    Parameters
    ----------
    owners : DataFrame
        An owner review (:func:`~npsdiag.areas.reliability.owner_review`), or
        :attr:`~npsdiag.areas.reliability.OwnerFunnel.owners` (with
        ``effective_top_two`` and ``adjusted_share_tens``).
    limits : DataFrame
        :func:`npsdiag.stats.funnel.funnel_limits` (95% and 99.8%).
    p0 : float
        The centre line.
    adjusted : bool
        Plot ``adjusted_share_tens`` (each owner's expected share moved to
        the centre line) instead of ``share_tens``.
    ax : matplotlib Axes, optional
        Where to draw; a new 7.5 x 3.8 inch figure when None.
    """
    with plotting.style():
        fig, ax = plotting.axes(ax, 7.5, 3.8)
        ycol = "adjusted_share_tens" if adjusted else "share_tens"
        ax.plot(limits["trials"], limits["lower_95"], color="black", lw=1, ls="--", label="95% limits")
        ax.plot(limits["trials"], limits["upper_95"], color="black", lw=1, ls="--")
        ax.plot(limits["trials"], limits["lower_99.8"], color="black", lw=1, ls=":", label="99.8% limits")
        ax.plot(limits["trials"], limits["upper_99.8"], color="black", lw=1, ls=":")
        ax.axhline(p0, color="#666666", lw=1, label=f"other owners {p0:.0%}")
        shown = owners[owners["top_two"] > 0]
        ok = shown[~shown["flagged"].astype(bool)]
        bad = shown[shown["flagged"].astype(bool)]
        xcol = "effective_top_two" if "effective_top_two" in owners else "top_two"
        ax.scatter(ok[xcol], ok[ycol], marker="o", s=30, color=plotting.PALETTE[0], label="owner", zorder=3)
        if len(bad):
            ax.scatter(bad[xcol], bad[ycol], marker="^", s=60, color=plotting.PALETTE[5], edgecolor="black",
                       label="flagged owner", zorder=4)
        named = shown.loc[shown["flagged"].astype(bool) | (shown["z"].rank(ascending=False) <= 1)
                          | (shown["z"].rank(ascending=True) <= 1)]
        for _, r in named.iterrows():
            text = plotting.label(r["owner"])
            if adjusted and bool(r["flagged"]) and {"share_tens", "expected_share_tens"} <= set(r.index):
                # the point is moved by the owner's expectation: say the owner's own figures, as the finding does
                text += f" ({r['share_tens']:.0%} of 9-10s are 10s; {r['expected_share_tens']:.0%} expected)"
            ax.annotate(text, (r[xcol], r[ycol]), textcoords="offset points", xytext=(5, 4), fontsize=8)
        ax.set_xlabel("responses scoring 9 or 10 (effective number: see the caption)"
                      if xcol == "effective_top_two" else "responses scoring 9 or 10 (owner's volume)", fontsize=9)
        ax.set_ylabel("share of 10s among 9s and 10s" + ("\n(adjusted for customers' mood)" if adjusted else ""))
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(_percent_tick)
        ax.set_title("Funnel plot: share of 10s by owner")
        ax.legend(loc="lower right", fontsize=8, ncol=2)
        return ax


def plot_owner_outcomes(owners: pd.DataFrame, ax: Any = None) -> Axes:
    """Each owner's NPS against their accounts' churn, both with intervals; flagged owners marked.

    Parameters
    ----------
    owners : DataFrame
        An owner review (:func:`~npsdiag.areas.reliability.owner_review` with accounts): owners without a
        churn rate or an NPS are left out.
    ax : matplotlib Axes, optional
        Where to draw; a new 7.5 x 3.4 inch figure when None.
    """
    d = owners[owners["churn_rate"].notna() & owners["nps"].notna()].copy()
    lo, hi = wilson_interval(d["churned_accounts"], d["accounts"])
    d["c_lo"], d["c_hi"] = lo, hi
    with plotting.style():
        fig, ax = plotting.axes(ax, 7.5, 3.4)
        for mask, style, label in (
            (~d["flagged"].astype(bool), dict(marker="o", color=plotting.PALETTE[0], ms=5), "owner"),
            (d["flagged"].astype(bool), dict(marker="^", color=plotting.PALETTE[5], mec="black", ms=7),
             "flagged owner"),
        ):
            g = d[mask]
            if g.empty:
                continue
            ax.errorbar(g["nps"], g["churn_rate"], xerr=plotting.err(g["nps"], g["ci_low"], g["ci_high"]),
                        yerr=plotting.err(g["churn_rate"], g["c_lo"], g["c_hi"]), ls="none", capsize=2,
                        elinewidth=0.8, label=label, **style)
        # only the flagged owners are named: names of a dozen close points overlap, and the table lists them all
        for _, r in d[d["flagged"].astype(bool)].iterrows():
            ax.annotate(plotting.label(r["owner"]), (r["nps"], r["churn_rate"]), textcoords="offset points",
                        xytext=(6, 6), fontsize=8, fontweight="bold")
        ax.set_xlabel("owner's NPS (with interval)")
        ax.set_ylabel("accounts churned (with interval)")
        ax.yaxis.set_major_formatter(_percent_tick)
        ax.set_title("Owners: NPS against their accounts' churn")
        ax.legend(loc="best", fontsize=8)
        return ax
