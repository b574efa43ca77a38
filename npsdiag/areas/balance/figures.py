"""The balance area's figures, each drawn in the report style (:func:`npsdiag.plotting.style`).

Every function takes the table a building block returns and draws on ``ax``
(or on a new figure sized for the page) and returns the axes; client text
(role names, attribute levels) goes through :func:`npsdiag.plotting.label`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ... import plotting
from ...fmt import num, pct
from ...stats.concentration import Concentration, lorenz_curve
from .accounts import voice_distribution

__all__ = ["plot_role_mix", "plot_role_nps", "plot_concentration", "plot_revenue_coverage", "plot_response_rates"]

PALETTE = plotting.PALETTE


def _percent_tick(value: float, _pos=None) -> str:
    """Tick label of a share ("40%"); a module-level function, so that figures using it can be pickled."""
    return f"{value:.0%}"


def plot_role_mix(mix: pd.DataFrame, population: str | None = None, ax: Any = None) -> Any:
    """Share of responses per role with its interval, beside the population's role mix (hatched).

    Parameters
    ----------
    mix : DataFrame
        :func:`~npsdiag.areas.balance.role_mix` (its first ten roles are drawn).
    population : str, optional
        Name of the population ("contacts"); draws its ``population_share`` beside the respondents'.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    m = mix.head(10).iloc[::-1]
    with plotting.style():
        _, ax = plotting.axes(ax, 7.5, max(2.2, 0.45 * len(m) + 1.2))
        y = np.arange(len(m))
        h = 0.38 if population else 0.6
        ax.barh(y + (h / 2 if population else 0), m["share"], height=h, color=PALETTE[0], label="respondents",
                xerr=plotting.err(m["share"], m["ci_low"], m["ci_high"]), error_kw={"lw": 1, "capsize": 2})
        if population:
            ax.barh(y - h / 2, m["population_share"], height=h, color="white", edgecolor=PALETTE[1],
                    hatch="///", label=population)
        for yi, (_, r) in zip(y, m.iterrows()):
            ax.text(r["ci_high"] + 0.01 if r["ci_high"] == r["ci_high"] else r["share"] + 0.01,
                    yi + (h / 2 if population else 0), pct(r["share"]), va="center", fontsize=8)
        ax.set_yticks(y, [plotting.label(v) for v in m["role"]])
        ax.xaxis.set_major_formatter(_percent_tick)
        ax.set_xlabel("share")
        ax.set_title("Who answered: role mix" + (f" against the {population}" if population else ""))
        ax.legend(loc="lower right", fontsize=8)
        return ax


def plot_role_nps(by_role: pd.DataFrame, adjusted: pd.DataFrame | None = None, ax: Any = None) -> Any:
    """NPS per role (circles; hollow = not reportable) and the overall NPS raw and balance-adjusted (diamonds).

    Parameters
    ----------
    by_role : DataFrame
        :func:`~npsdiag.areas.balance.nps_by_role` (its first ten roles are drawn); may be empty.
    adjusted : DataFrame, optional
        :func:`~npsdiag.areas.balance.adjusted_nps`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    rows = [(f"{plotting.label(r['role'])} (n={num(r['n'])})", r["nps"], r["ci_low"], r["ci_high"], "role",
             bool(r["reportable"])) for _, r in by_role.head(10).iterrows()]
    if adjusted is not None:
        rows += [(f"{r['estimate']}", r["nps"], r["ci_low"], r["ci_high"], "overall", True)
                 for _, r in adjusted.iterrows()]
    rows = rows[::-1]
    with plotting.style():
        _, ax = plotting.axes(ax, 7.5, max(2.4, 0.36 * len(rows) + 1.2))
        for i, (_lab, v, lo, hi, kind, rep) in enumerate(rows):
            colour = PALETTE[0] if kind == "role" else PALETTE[7]
            ax.errorbar([v], [i], xerr=plotting.err([v], [lo], [hi]), capsize=3, ms=6, ls="none",
                        marker="o" if kind == "role" else "D", color=colour, mfc=colour if rep else "white")
            ax.text(hi + 2, i, f"{v:+.0f}", va="center", fontsize=8)
        ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
        lows = [r[2] for r in rows if r[2] == r[2]]
        highs = [r[3] for r in rows if r[3] == r[3]]
        if lows and highs:
            ax.set_xlim(min(min(lows), 0) - 5, max(highs) + 10)
        if adjusted is not None and len(by_role):
            ax.axhline(len(adjusted) - 0.5, color="#999999", lw=0.8)
        ax.axvline(0, color="#999999", lw=0.8)
        ax.set_xlabel("NPS (with interval)")
        ax.set_title("NPS by role, and the overall NPS raw and balance-adjusted")
        return ax


def plot_concentration(per_account: pd.DataFrame, concentration: Concentration) -> np.ndarray:
    """Two panels: the Lorenz curve of responses across accounts, and accounts by number of voices.

    Parameters
    ----------
    per_account : DataFrame
        :func:`~npsdiag.areas.balance.respondents_per_account`.
    concentration : Concentration
        :func:`~npsdiag.stats.concentration.concentration` of its responses (Gini, top-10% share).

    Returns
    -------
    array of two matplotlib Axes
        On a new figure (left: Lorenz curve; right: voices per account, single-voice accounts hatched).
    """
    lc = lorenz_curve(per_account["responses"])
    if len(lc) > 1001:  # the curve is piecewise linear: 1,001 points draw it exactly enough, never one per account
        x = np.linspace(0, 1, 1001)
        lc = pd.DataFrame({"share_accounts": x, "share_responses": np.interp(x, lc["share_accounts"],
                                                                             lc["share_responses"])})
    dist = voice_distribution(per_account)
    with plotting.style():
        _, axes = plotting.figure(7.5, 3.2, ncols=2)
        _draw_lorenz(axes[0], lc, concentration)
        ax2 = axes[1]
        ax2.bar(dist["respondents"], dist["accounts"], color=[PALETTE[5]] + [PALETTE[0]] * (len(dist) - 1))
        ax2.patches[0].set_hatch("//")
        for i, (_, r) in enumerate(dist.iterrows()):
            ax2.text(i, r["accounts"], pct(r["share"]), ha="center", va="bottom", fontsize=8)
        ax2.set_xlabel("distinct respondents per account")
        ax2.set_ylabel("accounts")
        ax2.set_title("Voices per account")
        return axes


def _draw_lorenz(ax: Any, lc: pd.DataFrame, conc: Concentration) -> None:
    """The Lorenz curve panel of :func:`plot_concentration`."""
    ax.plot([0, 1], [0, 1], color="#999999", ls="--", lw=1, label="equal")
    ax.plot(lc["share_accounts"], lc["share_responses"], color=PALETTE[0], lw=2, marker="o" if len(lc) < 30
            else None, ms=3, label="responses")
    ax.fill_between(lc["share_accounts"], lc["share_responses"], lc["share_accounts"], color=PALETTE[0], alpha=0.12)
    ax.axvline(0.9, color=PALETTE[5], lw=1, ls=":")
    ax.annotate(f"top 10% of accounts:\n{pct(conc.top_share)} of responses", (0.9, 1 - conc.top_share),
                xytext=(0.30, 0.80), textcoords="axes fraction", fontsize=8,
                arrowprops={"arrowstyle": "->", "lw": 0.8, "color": "black"})
    ax.set_xlabel("accounts (fewest responses first)")
    ax.set_ylabel("cumulative share of responses")
    ax.xaxis.set_major_formatter(_percent_tick)
    ax.yaxis.set_major_formatter(_percent_tick)
    ax.set_title(f"Lorenz curve (Gini {conc.gini:.2f})")
    ax.legend(loc="lower right", fontsize=8)


def plot_revenue_coverage(coverage: pd.DataFrame, target: float = 0.8, ax: Any = None) -> Any:
    """Share of ARR heard per quarter, from anyone (solid) and from a decision maker (hatched), against the target.

    Parameters
    ----------
    coverage : DataFrame
        :func:`~npsdiag.areas.balance.revenue_coverage` (its last twelve periods are drawn; * = partial).
    target : float
        Share of ARR that should be heard each period.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    c = coverage[coverage["period"] != "whole period"].tail(12)
    with plotting.style():
        _, ax = plotting.axes(ax, 7.5, 3.2)
        x = np.arange(len(c))
        has_dm = "share_decision" in c
        w = 0.38 if has_dm else 0.6
        ax.bar(x - (w / 2 if has_dm else 0), c["share_heard"], width=w, color=PALETTE[0], label="any response")
        if has_dm:
            ax.bar(x + w / 2, c["share_decision"], width=w, color="white", edgecolor=PALETTE[2], hatch="xx",
                   label="decision-maker response")
        ax.axhline(target, color=PALETTE[5], lw=1.5, ls="--", label=f"target {target:.0%}")
        labels = [f"{p}{'*' if part else ''}" for p, part in zip(c["period"], c["partial"])]
        for xi, v in zip(x - (w / 2 if has_dm else 0), c["share_heard"]):
            ax.text(xi, v + 0.01, pct(v), ha="center", va="bottom", fontsize=7)
        ax.set_xticks(x, labels)
        ax.set_ylim(0, 1.18)
        ax.yaxis.set_major_formatter(_percent_tick)
        ax.set_ylabel("share of ARR heard")
        ax.set_title("Revenue coverage per quarter")
        ax.legend(loc="upper center", fontsize=8, ncol=3)
        return ax


def plot_response_rates(rates: pd.DataFrame, ax: Any = None) -> Any:
    """Response rate per attribute level (at most six levels per attribute), with intervals.

    Parameters
    ----------
    rates : DataFrame
        :func:`~npsdiag.areas.balance.response_rates` of several attributes, concatenated with an
        ``attribute`` column (role, ARR, churn...); the units counted are in ``invited`` (invitations) or
        ``accounts`` (accounts compared with those that did not respond).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    r = rates.groupby("attribute", sort=False).head(6).iloc[::-1].reset_index(drop=True)
    unit = "invited" if "invited" in r else "accounts"
    markers = {"role": "o", "ARR": "s", "churn": "D"}
    with plotting.style():
        _, ax = plotting.axes(ax, 7.5, max(2.2, 0.32 * len(r) + 1.2))
        y = np.arange(len(r))
        for attr, g in r.groupby("attribute", sort=False):
            ax.errorbar(g["response_rate"], g.index, xerr=plotting.err(g["response_rate"], g["ci_low"], g["ci_high"]),
                        ls="none", marker=markers.get(attr, "o"), capsize=3, label=plotting.label(attr))
        for yi, (_, row) in zip(y, r.iterrows()):
            ax.text(row["ci_high"] + 0.01, yi, f"{pct(row['response_rate'])} of {num(row[unit])}", va="center",
                    fontsize=8)
        ax.set_yticks(y, [plotting.label(lv if str(lv).startswith(a) else f"{a}: {lv}")
                          for a, lv in zip(r["attribute"], r["level"])], fontsize=8)
        ax.xaxis.set_major_formatter(_percent_tick)
        ax.set_xlim(0, min(1.0, float(r["ci_high"].max()) + 0.15))
        ax.set_xlabel("response rate (with interval)" if unit == "invited" else "share of accounts that responded")
        ax.set_title("Who answers when invited" if unit == "invited" else "Which accounts respond")
        ax.legend(loc="lower right", fontsize=8)
        return ax
