"""Outcome's figures: churn by NPS category, churn by account score, and whose scores predict churn.

Each ``plot_*`` draws on ``ax`` (or on a new figure of its own size) inside
:func:`npsdiag.plotting.style` and returns the Axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from ... import plotting
from ...stats.proportions import wilson_interval
from .churn import estimable_logit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_churn_by_category", "plot_churn_curve", "plot_roles"]


def plot_churn_by_category(table: pd.DataFrame, confidence: float = 0.95, ax: Axes | None = None) -> Axes:
    """Churn rate per NPS category with Wilson intervals; overall churn as a dashed line.

    Bars carry the category colour and hatch, and their rate and n as text,
    so the figure reads without colour.

    Parameters
    ----------
    table : DataFrame
        :func:`~npsdiag.areas.outcome.churn_by_category` output.
    confidence : float
        Level of its intervals (for the axis label).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> t = pd.DataFrame({"category": ["detractor", "passive", "promoter", "all"], "accounts": [10, 10, 10, 30],
    ...                   "churn_rate": [0.5, 0.2, 0.1, 0.27], "rate_ci_low": [0.24, 0.06, 0.02, 0.14],
    ...                   "rate_ci_high": [0.76, 0.51, 0.4, 0.44]})
    >>> [tick.get_text() for tick in plot_churn_by_category(t).get_xticklabels()]
    ['detractors', 'passives', 'promoters']
    """
    t = table[table["category"] != "all"]
    allrow = table[table["category"] == "all"]
    with plotting.style():
        _, ax = plotting.axes(ax, 6.5, 3.2)
        pos = np.arange(len(t))
        rate = 100 * t["churn_rate"].fillna(0).to_numpy()
        ax.bar(pos, rate, color=[plotting.CATEGORY_COLORS[c] for c in t["category"]],
               hatch=[plotting.CATEGORY_HATCHES[c] for c in t["category"]], edgecolor="white", width=0.6)
        ax.errorbar(pos, rate, yerr=plotting.err(rate, 100 * t["rate_ci_low"].fillna(0).to_numpy(),
                                                 100 * t["rate_ci_high"].fillna(0).to_numpy()),
                    fmt="none", ecolor="black", capsize=4, lw=1)
        for x, (_, row) in zip(pos, t.iterrows(), strict=True):
            if row["accounts"]:
                ax.text(x, 100 * row["rate_ci_high"] + 1, f"{100 * row['churn_rate']:.0f}%\nn={int(row['accounts'])}",
                        ha="center", va="bottom", fontsize=8)
        if len(allrow):
            ax.axhline(100 * float(allrow["churn_rate"].iloc[0]), color="black", ls="--", lw=1,
                       label=f"all accounts {100 * float(allrow['churn_rate'].iloc[0]):.0f}%")
            ax.legend(loc="upper right", fontsize=8)
        ax.set_xticks(pos, [f"{c}s" for c in t["category"]])
        ax.set_ylabel(f"accounts churned (%), {confidence:.0%} interval")
        top = float(np.nanmax(100 * t["rate_ci_high"].to_numpy())) if t["rate_ci_high"].notna().any() else 10
        ax.set_ylim(0, min(100, top * 1.25 + 5))
        ax.set_title("Churn by the account's NPS category")
    return ax


def plot_churn_curve(data: pd.DataFrame, score: str = "score", churned: str = "churned",
                     scale: tuple[float, float] = (0, 10), confidence: float = 0.95, ax: Axes | None = None) -> Axes:
    """Observed churn per (rounded) account score with Wilson intervals, and the fitted logistic curve.

    Parameters
    ----------
    data : DataFrame
        One row per account (:func:`~npsdiag.areas.outcome.account_scores`).
    score, churned : str
        Account score and 0/1 churn columns.
    scale : (float, float)
        The score's scale: the curve's range.
    confidence : float
        Level of the intervals and of the curve's band (Wald, on the logit scale).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    d = data[data[score].notna() & data[churned].notna()]
    b = d[score].round().clip(*scale)
    g = d.groupby(b)[churned].agg(["sum", "size"])
    lo, hi = wilson_interval(g["sum"], g["size"], confidence)
    rate = 100 * g["sum"] / g["size"]
    res, _ = estimable_logit(d[churned].to_numpy(dtype="float64"), d[[score]]) if d[score].nunique() > 1 else (None, "")
    with plotting.style():
        _, ax = plotting.axes(ax, 6.5, 3.2)
        ax.errorbar(g.index, rate, yerr=plotting.err(rate, 100 * lo, 100 * hi), fmt="o", color=plotting.PALETTE[0],
                    ecolor=plotting.PALETTE[0], capsize=3, label="observed (rounded score)")
        if res is not None:
            grid = np.linspace(scale[0], scale[1], 101)
            xb = np.column_stack([np.ones_like(grid), grid])
            eta = xb @ res.params.to_numpy()
            se = np.sqrt(np.einsum("ij,jk,ik->i", xb, res.cov_params().to_numpy(), xb))
            z = float(stats.norm.ppf(0.5 + confidence / 2))
            ax.plot(grid, 100 * _expit(eta), color=plotting.PALETTE[5], lw=1.5, label="logistic fit")
            ax.fill_between(grid, 100 * _expit(eta - z * se), 100 * _expit(eta + z * se), color=plotting.PALETTE[5],
                            alpha=0.15, lw=0)
        ax.set_xlabel("account score")
        ax.set_ylabel("accounts churned (%)")
        ax.set_title("Churn by account score")
        ax.set_ylim(bottom=0)
        ax.legend(loc="best", fontsize=8)
    return ax


def _expit(v: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-v))


def plot_roles(table: pd.DataFrame, confidence: float = 0.95, ax: Axes | None = None) -> Axes:
    """AUC of each role's score for churn with DeLong intervals; 0.5 = no better than chance.

    Roles whose score discriminates churn acceptably (significant, AUC >= 0.7)
    are drawn as filled diamonds, the others as hollow circles.

    Parameters
    ----------
    table : DataFrame
        The per-role table of :func:`~npsdiag.areas.outcome.role_models`.
    confidence : float
        Level of its intervals (for the axis label).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    t = table.dropna(subset=["auc"]).sort_values("auc").reset_index(drop=True)
    t["predicts"] = t["discrimination"].isin(["acceptable", "excellent"])
    with plotting.style():
        _, ax = plotting.axes(ax, 6.5, max(1.8, 0.45 * len(t) + 1.1))
        ax.axvline(0.5, color="black", ls="--", lw=1, label="chance (0.5)")
        for i, row in t.iterrows():
            pred = bool(row["predicts"])
            colour = plotting.PALETTE[0] if pred else "#777777"
            ax.plot([row["auc_ci_low"], row["auc_ci_high"]], [i, i], color=colour, lw=2)
            ax.plot(row["auc"], i, marker="D" if pred else "o", ms=7, color=colour, mfc=colour if pred else "white",
                    ls="none")
        ax.set_yticks(range(len(t)), [f"{plotting.label(r)} (n={int(a)})" + (" · predicts" if p else "")
                                      for r, a, p in zip(t["role"], t["accounts"], t["predicts"], strict=True)])
        ax.set_xlabel(f"AUC of the role's score for churn, {confidence:.0%} interval")
        ax.set_xlim(0.2, 1.0)
        ax.set_title("Whose scores predict churn?")
        ax.legend(loc="lower right", fontsize=8)
    return ax
