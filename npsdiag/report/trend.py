"""The headline trend of the executive summary: NPS per period with intervals, its change, its figure."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import plotting
from ..findings import Figure
from ..fmt import period_label
from ..linking import cluster_column, cluster_frame
from ..stats.nps import nps_by_period, nps_diff_test, to_period
from ..stats.survey import nps_change_clustered

__all__ = ["TREND_COLUMNS", "headline_trend", "trend_change", "trend_figure", "period_labels"]

#: Columns of :func:`headline_trend`.
TREND_COLUMNS = ["period", "start", "n", "detractors", "passives", "promoters", "nps", "ci_low", "ci_high",
                 "deff", "partial", "reportable"]


def headline_trend(prep: Any, freq: str = "Q") -> pd.DataFrame:
    """NPS per calendar period (quarters by default) with its interval, for the executive summary.

    Parameters
    ----------
    prep : Prepared
        Output of :func:`npsdiag.clean.prepare`.
    freq : {"Q", "M", "Y"}
        Period of the trend.

    Returns
    -------
    DataFrame
        One row per period from the first to the last response (empty
        periods included, with n = 0): ``period`` (e.g. "2025-Q1"),
        ``start``, ``n``, ``detractors``, ``passives``, ``promoters``,
        ``nps``, ``ci_low``, ``ci_high`` (adjusted Wald, Rocks 2016, from
        :func:`npsdiag.stats.nps.nps_by_period`, design-based where the
        responses cluster by account or respondent), ``deff``, ``partial``
        (the period is not fully covered by the data) and ``reportable`` (n
        >= ``settings.min_n``).
    """
    r = prep.responses
    if r is None or r.empty or "responded_at" not in r:
        return pd.DataFrame(columns=TREND_COLUMNS)
    s = prep.settings
    clustered = cluster_column(prep) is not None
    return nps_by_period(cluster_frame(prep, "score", "responded_at"), freq=freq, confidence=s.confidence,
                         breaks=s.breaks, min_n=s.min_n, cluster="cluster" if clustered else None)[TREND_COLUMNS]


def trend_change(trend: pd.DataFrame | None, confidence: float = 0.95, prep: Any = None,
                 freq: str = "Q") -> dict[str, Any] | None:
    """Change of NPS between the first and the last reportable, complete period of ``trend``.

    Parameters
    ----------
    trend : DataFrame
        :func:`headline_trend` output.
    confidence : float
        Level of the interval of the change.
    prep : Prepared, optional
        The prepared data behind ``trend``: where its responses cluster (an
        account answering in both periods), the change is tested with the
        clusters the two periods share
        (:func:`npsdiag.stats.survey.nps_change_clustered`, as R's
        ``svycontrast``); without it, as two independent samples.
    freq : str
        The period of ``trend`` (:func:`headline_trend`'s ``freq``).

    Returns
    -------
    dict or None
        ``first``, ``last`` (period labels), ``nps_first``, ``nps_last``,
        ``diff`` (points), ``ci_low``, ``ci_high``, ``p_value``; None when
        fewer than two complete, reportable periods exist (a partial period is
        never the base of a change claim).
    """
    if trend is None or trend.empty:
        return None
    # complete, comparable periods only: a 3-week quarter of 86 responses is no base for a change claim
    ok = trend.loc[trend["reportable"].astype(bool) & ~trend["partial"].astype(bool)]
    if len(ok) < 2:
        return None
    a, b = ok.iloc[-1], ok.iloc[0]
    cluster = cluster_column(prep) if prep is not None else None
    if cluster is not None:
        r = cluster_frame(prep, "score", "responded_at")
        t = nps_change_clustered(r.assign(_period=period_labels(r["responded_at"], freq)), "_period",
                                 str(b["period"]), str(a["period"]), cluster="cluster", confidence=confidence,
                                 breaks=prep.settings.breaks)
    else:
        t = nps_diff_test((a["detractors"], a["passives"], a["promoters"]),
                          (b["detractors"], b["passives"], b["promoters"]), confidence=confidence)
    return {"first": str(b["period"]), "last": str(a["period"]), "nps_first": float(b["nps"]),
            "nps_last": float(a["nps"]), "diff": t.diff, "ci_low": t.ci_low, "ci_high": t.ci_high,
            "p_value": t.p_value}


def period_labels(dates: pd.Series, freq: str) -> np.ndarray:
    """The trend period label of each date (as :func:`headline_trend` names its periods), computed per period."""
    codes, periods = pd.factorize(to_period(dates, freq))
    labels = np.array([period_label(p) for p in periods] + [None], dtype=object)
    return labels[codes]


def trend_figure(trend: pd.DataFrame | None, overall: float | None = None,
                 confidence: float = 0.95) -> Figure | None:
    """Small figure of the headline trend: NPS per period with interval whiskers.

    Periods under the reporting minimum are drawn as hollow squares and
    partial periods are labelled, so the figure reads without colour.

    Parameters
    ----------
    trend : DataFrame
        :func:`headline_trend` output.
    overall : float, optional
        NPS of the whole period, drawn as a dashed line.
    confidence : float
        Level of the intervals (for the legend and caption).

    Returns
    -------
    Figure or None
        ``Figure("headline_trend", fig, caption)``; None when no period has
        a response.
    """
    if trend is None or trend.empty or trend["n"].sum() == 0:
        return None
    t = trend.loc[trend["n"] > 0].reset_index(drop=True)
    with plotting.style():
        fig, ax = plotting.figure(7.0, 2.5)
        _draw_trend(ax, t, overall, confidence)
    unit = "quarter" if len(t) and "-Q" in str(t["period"].iloc[0]) else "period"
    cap = (f"NPS per {unit} with its {confidence:.0%} adjusted Wald interval (Rocks 2016); n = responses in the "
           "period; hollow squares: too few responses to report; dashed line: NPS of the whole period.")
    return Figure("headline_trend", fig, cap)


def _draw_trend(ax: Any, t: pd.DataFrame, overall: float | None, confidence: float) -> None:
    """The trend's line, interval whiskers, points and labels on ``ax`` (inside :func:`plotting.style`)."""
    x = np.arange(len(t))
    ok = t["reportable"].to_numpy(dtype=bool)
    y = t["nps"].to_numpy(dtype=float)
    lo = t["ci_low"].to_numpy(dtype=float)
    hi = t["ci_high"].to_numpy(dtype=float)
    blue = plotting.PALETTE[0]
    ax.plot(x, y, color=blue, lw=1.4, zorder=2)
    # Intervals drawn from their ends: the adjusted Wald interval of a tiny period need not contain the
    # observed NPS (one promoter: NPS +100, interval -48.5 to +98.5), so no "error" relative to the point.
    ax.vlines(x, lo, hi, color=blue, lw=1.2, zorder=3)
    ax.plot(x[ok], y[ok], "o", color=blue, ms=6, zorder=4, label=f"NPS with {confidence:.0%} interval")
    if (~ok).any():
        ax.plot(x[~ok], y[~ok], "s", mfc="white", color=blue, ms=6, ls="none", zorder=4,
                label="too few responses to report")
    if overall is not None:
        ax.axhline(overall, color="#555555", lw=1, ls="--", zorder=1, label=f"whole period {overall:+.1f}")
    labels = [f"{p}{' (partial)' if part else ''}\nn = {n:,}"
              for p, part, n in zip(t["period"], t["partial"], t["n"], strict=True)]
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("NPS")
    ylo = float(np.nanmin(t["ci_low"])) if t["ci_low"].notna().any() else -100
    yhi = float(np.nanmax(t["ci_high"])) if t["ci_high"].notna().any() else 100
    pad = max(4.0, 0.15 * (yhi - ylo))
    ax.set_ylim(max(-100, ylo - pad), min(100, yhi + pad))
    ax.legend(loc="upper right", fontsize=7, ncols=3)
    ax.grid(axis="x", visible=False)
