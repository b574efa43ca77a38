"""The decay area's figures: follow-up speed, churn by follow-up speed, score age, response rates.

Each ``plot_*`` function draws on ``ax`` (or a new figure of the report's
size) inside :func:`npsdiag.plotting.style` and returns the Axes; the
checks (:mod:`.checks`) wrap them with their captions. The figures show no
client text (their labels are bands, periods and the area's own words).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ... import plotting
from .rates import ResponseRateTrend

__all__ = ["plot_follow_up_ecdf", "plot_churn_by_follow_up", "plot_auc_by_score_age", "plot_response_rate"]


def plot_follow_up_ecdf(data: pd.DataFrame, sla_days: float = 7, never_share: float = math.nan,
                        ax: Axes | None = None) -> Axes:
    """Share of detractors (and followed-up passives) followed up within a given number of days: the ECDF.

    Parameters
    ----------
    data : DataFrame
        Output of :func:`~npsdiag.areas.decay.follow_up_latency` with a
        ``category`` column. Detractors count against those whose outcome is
        known (within SLA, late, never: open ones are left out); passives
        against those followed up.
    sla_days : float
        Drawn as a dotted line.
    never_share : float, optional
        Share of detractors never followed up, drawn as the curve's ceiling.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    with plotting.style():
        fig, ax = plotting.axes(ax, 7.0, 3.6)
        sla = sla_days
        xmax = 4 * max(sla, 1)
        for cat, ls, mk, label in (("detractor", "-", "o", "detractors"),
                                   ("passive", "--", "s", "passives (followed up only)")):
            g = data[data["category"] == cat]
            if cat == "detractor":
                den = int((g["follow_up_status"].isin(["within_sla", "late", "never"])).sum())
            else:
                den = int(g["latency_days"].notna().sum())
            x = np.sort(g["latency_days"].dropna().to_numpy(dtype=float))
            if den == 0 or len(x) == 0:
                continue
            # the ECDF at its distinct values; beyond 600 of them, on a 600-point grid (the same curve at figure
            # resolution, and a figure of a summary rather than of every response)
            grid = np.unique(x) if len(x) <= 600 else np.linspace(0.0, float(x[-1]), 600)
            y = np.searchsorted(x, grid, side="right") / den
            xs, ys = np.concatenate([[0.0], grid]), np.concatenate([[0.0], y])
            ax.step(xs, ys * 100, where="post", ls=ls, color=plotting.CATEGORY_COLORS[cat], lw=2,
                    label=f"{label} (n={den})", marker=mk, markevery=max(1, len(xs) // 8), ms=5)
            xmax = max(xmax, float(np.percentile(x, 95)) * 1.1)
        ax.axvline(sla, color="black", ls=":", lw=1.5)
        ax.text(sla, 102, f" SLA {sla:g} d", va="bottom", ha="left", fontsize=9)
        if never_share == never_share and never_share > 0:
            ax.axhline((1 - never_share) * 100, color="#666666", ls="-.", lw=1)
            ax.text(0.01 * xmax, (1 - never_share) * 100 + 1.5,
                    f"ceiling: {never_share:.0%} of detractors never followed up", ha="left", va="bottom", fontsize=9)
        ax.set_xlim(0, xmax)
        ax.set_ylim(0, 108)
        ax.set_xlabel("days from response to follow-up")
        ax.set_ylabel("% followed up by then")
        ax.set_title("How fast are responses followed up?")
        ax.legend(loc="lower right", fontsize=9)
        return ax


def plot_churn_by_follow_up(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Churn rate of detractors' accounts by follow-up band, with its interval.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`~npsdiag.areas.decay.follow_up_churn` (``band``,
        ``n``, ``churn_rate``, ``ci_low``, ``ci_high``).
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    with plotting.style():
        fig, ax = plotting.axes(ax, 6.5, 3.4)
        x = np.arange(len(table))
        y = table["churn_rate"].to_numpy(float) * 100
        err = plotting.err(y, table["ci_low"].to_numpy(float) * 100, table["ci_high"].to_numpy(float) * 100)
        ax.errorbar(x, y, yerr=err, fmt="o", color=plotting.PALETTE[5], ecolor="#333333", capsize=4, ms=7)
        for xi, yi in zip(x, y, strict=True):
            ax.annotate(f"{yi:.0f}%", (xi, yi), textcoords="offset points", xytext=(8, 0), va="center", fontsize=9)
        ax.set_xticks(x, [f"{b}\nn={n}" for b, n in zip(table["band"], table["n"], strict=True)])
        ax.set_ylabel("detractor accounts churned (%)")
        ax.set_xlabel("follow-up after the response")
        ax.set_xlim(-0.5, len(table) - 0.5)
        ax.set_ylim(0, min(100, max(10.0, float(np.nanmax(table["ci_high"])) * 100 * 1.15)))
        ax.set_title("Churn of detractors by follow-up speed")
        return ax


def plot_auc_by_score_age(bands: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """AUC of the score for retention by the age of the score at the outcome date, with its interval.

    Parameters
    ----------
    bands : DataFrame
        Output of :func:`~npsdiag.areas.decay.score_age_bands`; bands without
        an AUC are left out.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    with plotting.style():
        fig, ax = plotting.axes(ax, 6.5, 3.4)
        t = bands.dropna(subset=["auc"]).reset_index(drop=True)
        x = np.arange(len(t))
        y = t["auc"].to_numpy(float)
        err = plotting.err(y, t["auc_ci_low"].to_numpy(float), t["auc_ci_high"].to_numpy(float))
        ax.errorbar(x, y, yerr=err, fmt="D", color=plotting.PALETTE[0], ecolor="#333333", capsize=4, ms=7)
        ax.axhline(0.5, color="black", ls=":", lw=1.5)
        ax.text(-0.45, 0.49, "no association", ha="left", va="top", fontsize=9)
        ax.set_xticks(x, [f"{b}\nn={n}" for b, n in zip(t["band"], t["n"], strict=True)])
        ax.set_xlim(-0.5, max(len(t) - 0.5, 0.5))
        ax.set_ylim(min(0.3, float(np.nanmin(t["auc_ci_low"])) - 0.02) if len(t) else 0.3, 1.0)
        ax.set_ylabel("AUC of score for retention")
        ax.set_xlabel("age of the score at the renewal/churn date")
        ax.set_title("Do older scores still predict churn?")
        return ax


def plot_response_rate(rates: pd.DataFrame, trend: ResponseRateTrend | None = None, unit: str = "month",
                       confidence: float = 0.95, ax: Axes | None = None) -> Axes:
    """Response rate by period of invitation with its interval band, and the fitted trend.

    Parameters
    ----------
    rates : DataFrame
        Output of :func:`~npsdiag.areas.decay.response_rates`.
    trend : ResponseRateTrend, optional
        Output of :func:`~npsdiag.areas.decay.response_rate_trend`; its
        fitted line is drawn when it could be estimated.
    unit : str
        The period's name in the title ("month", "week", "quarter").
    confidence : float
        The intervals' level (for the legend).
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    with plotting.style():
        new = ax is None
        fig, ax = plotting.axes(ax, 7.0, 3.4)
        x = pd.to_datetime(rates["period_start"])
        y = rates["response_rate"].to_numpy(float) * 100
        ax.fill_between(x, rates["ci_low"].to_numpy(float) * 100, rates["ci_high"].to_numpy(float) * 100,
                        color=plotting.PALETTE[0], alpha=0.2, lw=0, label=f"{confidence * 100:g}% interval")
        ax.plot(x, y, marker="o", color=plotting.PALETTE[0], lw=1.5, label="response rate")
        if trend is not None and trend.rate_start == trend.rate_start and len(x) > 1:
            ax.plot([x.iloc[0], x.iloc[-1]], [trend.rate_start * 100, trend.rate_end * 100], ls="--",
                    color="black", lw=1.2, label="fitted trend")
        ax.set_ylabel("invitations answered (%)")
        ax.set_ylim(0, max(10.0, float(np.nanmax(rates["ci_high"])) * 100 * 1.15))
        ax.set_title(f"Response rate by {unit} of invitation")
        ax.legend(loc="upper right", fontsize=9)
        if new:
            fig.autofmt_xdate()
        else:  # the caller's figure may hold other axes: rotate this one's dates only
            for tick in ax.get_xticklabels():
                tick.set_rotation(30)
                tick.set_horizontalalignment("right")
        return ax
