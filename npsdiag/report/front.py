"""The front of the report: cover, contents and executive summary (with the headline trend).

Each function decides what to show and formats the numbers; the markup is in
the partials ``cover``, ``contents`` and ``summary`` (``templates/npsdiag/partials``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import __version__
from ..findings import Diagnosis
from ..fmt import pct
from .figures import figure_html
from .partials import render, safe
from .text import (
    AREA_SHORT,
    STATUS_LABEL,
    area_title,
    client_text,
    cut,
    finding_anchor,
    generated_date,
    long_date,
    p_text,
    signed,
)
from .trend import trend_change, trend_figure

__all__ = ["APPENDICES", "TOP_DETAIL_CHARS", "cover", "contents", "executive_summary"]

#: The appendices as the contents list them: (letter, anchor, title).
APPENDICES = [("A", "methodology", "Methodology and references"), ("B", "data-appendix", "Data and lineage"),
              ("C", "glossary", "Glossary")]
#: Characters of a top finding's detail shown in the executive summary.
TOP_DETAIL_CHARS = 320


def contents(diag: Diagnosis) -> str:
    """Table of contents with links to every section, each area with its status.

    Parameters
    ----------
    diag : Diagnosis
        From :func:`npsdiag.diagnosis.assemble`.

    Returns
    -------
    str
        ``<nav class="toc" id="contents">`` (partial ``contents.html.j2``).
    """
    entries = [("summary", "Executive summary", None)]
    entries += [(f"area-{name}", area_title(name), res.status) for name, res in diag.areas.items()]
    entries.append(("action-plan", "Action plan", None))
    return render("contents.html.j2", entries=[(i, *e) for i, e in enumerate(entries, start=1)],
                  appendices=APPENDICES)


def _mix(h: dict[str, Any]) -> list[dict[str, Any]]:
    """The promoter/passive/detractor bar of the cover: a segment (labelled from 9%) and a legend entry each."""
    parts = [("promoters", "promoter", h.get("pct_promoters") or 0.0),
             ("passives", "passive", h.get("pct_passives") or 0.0),
             ("detractors", "detractor", h.get("pct_detractors") or 0.0)]
    return [{"key": key, "show": v > 0, "width": f"{max(v, 0):.1f}", "text": f"{v:.0f}%" if v >= 9 else "",
             "legend": f"{v:.1f}% {label}"} for label, key, v in parts]


def cover(diag: Diagnosis, prepared_by: str = "npsdiag") -> str:
    """The cover: client, period, data volumes, date and the headline NPS with its interval.

    Parameters
    ----------
    diag : Diagnosis
        From :func:`npsdiag.diagnosis.assemble`.
    prepared_by : str
        Named in the cover's last line with npsdiag's version.

    Returns
    -------
    str
        ``<header class="cover" id="cover">`` (partial ``cover.html.j2``).
    """
    d = diag.data_summary
    h = diag.headline
    per = d.get("period")
    period = f"{long_date(per[0])} – {long_date(per[1])}" if per else "no dated responses"
    facts = [("Responses analysed", f"{d.get('responses', 0):,}",
              f"of {d.get('responses_read', 0):,} read" if d.get("responses_read") is not None else "")]
    for key, label in (("accounts", "Accounts"), ("invitations", "Invitations"), ("contacts", "Contacts")):
        if d.get(key) is not None:
            facts.append((label, f"{d[key]:,}", ""))
    headline = None
    if h.get("nps") is not None:
        headline = {"nps": signed(h["nps"]), "aria": f"{h['nps']:+.1f}", "ci_low": signed(h["ci_low"]),
                    "ci_high": signed(h["ci_high"]), "n": f"{h['n']:,}"}
    return render("cover.html.j2", client=client_text(diag.client), period=period, headline=headline,
                  mix=_mix(h), facts=facts, date=generated_date(diag), prepared_by=prepared_by, version=__version__)


def _kpis(diag: Diagnosis, ch: dict[str, Any] | None, confidence: float) -> list[tuple[str, str, str]]:
    """The key-figure tiles of the summary: (label, value, what it rests on)."""
    h = diag.headline
    tiles = []
    if h.get("nps") is not None:
        tiles.append(("Net Promoter Score", signed(h["nps"]),
                      f"{confidence:.0%} interval {signed(h['ci_low'])} to {signed(h['ci_high'])}"))
    if ch is not None:
        tiles.append((f"Change {ch['first']} → {ch['last']}", f"{signed(ch['diff'])} pts",
                      f"interval {signed(ch['ci_low'])} to {signed(ch['ci_high'])}"))
    n_find = sum(1 for f in diag.findings if f.severity in ("high", "medium"))
    n_high = sum(1 for f in diag.findings if f.severity == "high")
    tiles.append(("Findings to act on", f"{n_find}", f"{n_high} high, {n_find - n_high} medium severity"))
    d = diag.data_summary
    if d.get("responses_read"):
        share = d.get("responses", 0) / d["responses_read"]  # the kit's share format: a partial never reads 100%
        tiles.append(("Usable responses", pct(share), f"{d.get('responses', 0):,} of {d['responses_read']:,}"))
    return tiles


def _change(ch: dict[str, Any] | None, confidence: float) -> dict[str, Any] | None:
    """The trend's change as the lead sentence writes it."""
    if ch is None:
        return None
    return {"first": ch["first"], "last": ch["last"], "nps_first": signed(ch["nps_first"]),
            "nps_last": signed(ch["nps_last"]), "diff": signed(ch["diff"]), "ci_low": signed(ch["ci_low"]),
            "ci_high": signed(ch["ci_high"]), "significant": ch["p_value"] < 1 - confidence,
            "p": p_text(ch["p_value"])}


def executive_summary(diag: Diagnosis, k: int = 5, trend: pd.DataFrame | None = None, redact: bool = False,
                      confidence: float = 0.95, change: dict[str, Any] | None = None) -> str:
    """The executive summary: headline NPS with interval and trend, a status per area, the top findings.

    Parameters
    ----------
    diag : Diagnosis
        From :func:`npsdiag.diagnosis.assemble`.
    k : int
        Number of findings shown under "what matters most" (high and
        medium severity, most severe first).
    trend : DataFrame, optional
        :func:`~npsdiag.report.trend.headline_trend` of the prepared data:
        adds the trend figure and the change between the first and last
        complete periods.
    redact : bool
        Mask personal data in findings' text.
    confidence : float
        Level of the intervals (for the wording).
    change : dict, optional
        :func:`~npsdiag.report.trend.trend_change` of ``trend`` with the
        prepared data (tested with the accounts both periods share); without
        it, the change is tested as between independent samples.

    Returns
    -------
    str
        ``<section id="summary">`` (partial ``summary.html.j2``).
    """
    h = diag.headline
    headline = None
    if h.get("nps") is not None:
        headline = {"nps": signed(h["nps"]), "ci_low": signed(h["ci_low"]), "ci_high": signed(h["ci_high"]),
                    "n": f"{h['n']:,}"}
    ch = change if change is not None else (trend_change(trend, confidence) if trend is not None else None)
    counts = {s: sum(1 for r in diag.areas.values() if r.status == s) for s in STATUS_LABEL}
    tally = ", ".join(f"{counts[s]} {STATUS_LABEL[s].lower()}" for s in ("red", "amber", "green") if counts[s])
    fig = trend_figure(trend, h.get("nps"), confidence) if trend is not None else None
    top = [{"severity": f.severity, "anchor": finding_anchor(f), "title": client_text(f.title, redact),
            "detail": client_text(cut(f.detail, TOP_DETAIL_CHARS), redact) if f.detail else "",
            "area": AREA_SHORT.get(f.area, f.area)} for f in diag.top_findings(k)]
    return render("summary.html.j2", confidence=f"{confidence:.0%}", headline=headline,
                  change=_change(ch, confidence), trend_given=trend is not None, n_areas=len(diag.areas),
                  tally=tally, not_assessed=counts["not_assessed"], tiles=_kpis(diag, ch, confidence),
                  figure=safe(figure_html(fig)) if fig is not None else None,
                  statuses=[(name, AREA_SHORT.get(name, name), res.status, client_text(res.summary_text, redact))
                            for name, res in diag.areas.items()],
                  top=top)
