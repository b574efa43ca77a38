"""One section per area of the diagnosis: its findings as cards, then its evidence (figures and tables).

The markup is in the partials ``area`` and ``finding``; figures and tables
come from :func:`~npsdiag.report.figures.figure_html` and
:func:`~npsdiag.report.tables.table_html`. Sections are capped at
:data:`MAX_FIGURES_PER_AREA` figures and :data:`MAX_TABLES_PER_AREA` tables
(the rest stay in the analyst's notebook), so the report's size does not
grow with the data.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..findings import SEVERITIES, AreaResult, Diagnosis, Finding
from .back import action_for
from .figures import figure_html
from .partials import render, safe
from .tables import column_kinds, fmt_evidence, pretty_column, table_html
from .text import anchor, area_title, client_text, cut, finding_anchor

__all__ = ["MAX_FIGURES_PER_AREA", "MAX_TABLES_PER_AREA", "MAX_EVIDENCE_CHARS", "findings_frame", "finding_card",
           "finding_html", "area_html", "shown_figures"]

#: Figures and tables shown per area section (the rest stay in the analyst's notebook): the figures of the area's
#: high and medium findings first, else its first figure.
MAX_FIGURES_PER_AREA = 2
MAX_TABLES_PER_AREA = 12
#: Characters of one evidence value shown on a finding's card.
MAX_EVIDENCE_CHARS = 80
_MAJOR = ("high", "medium")


def findings_frame(result: AreaResult | Diagnosis) -> pd.DataFrame:
    """Findings of an area (or of the whole diagnosis) as a DataFrame, most severe first.

    Returns
    -------
    DataFrame
        ``id``, ``severity``, ``title``, ``detail``, ``recommendation`` and
        ``evidence`` (dict), one row per finding.

    Examples
    --------
    >>> from npsdiag.findings import AreaResult, Finding
    >>> findings_frame(AreaResult("decay", [Finding("decay.no_follow_up", "high", "t")]))[["id", "severity"]]
                       id severity
    0  decay.no_follow_up     high
    """
    found = result.findings if isinstance(result, Diagnosis) else sorted(
        result.findings, key=lambda f: SEVERITIES.index(f.severity))
    cols = ["id", "severity", "title", "detail", "recommendation", "evidence"]
    return pd.DataFrame([{c: getattr(f, c) for c in cols} for f in found], columns=cols)


def finding_card(f: Finding, redact: bool = False, max_evidence: int = 10) -> dict[str, Any]:
    """What a finding's card shows, as plain text: the context of the partial ``finding.html.j2``.

    The evidence lists the finding's scalar values (at most ``max_evidence``),
    each under its prettified key and formatted by it; ``owner`` and ``measure`` are the typical owner and the
    measure of progress (:func:`npsdiag.report.back.action_for`).
    """
    scalars = [(k, v) for k, v in (f.evidence or {}).items() if not isinstance(v, (dict, list, tuple, set))]
    kinds = column_kinds([k for k, _ in scalars])
    evidence = [(pretty_column(k), client_text(cut(fmt_evidence(k, v, kinds[k]), MAX_EVIDENCE_CHARS), redact))
                for k, v in scalars[:max_evidence]]
    owner, measure = action_for(f)
    return {"id": f.id, "anchor": finding_anchor(f), "severity": f.severity, "title": client_text(f.title, redact),
            "detail": client_text(f.detail, redact), "evidence": evidence,
            "recommendation": client_text(f.recommendation, redact) if f.recommendation else "",
            "owner": owner, "measure": measure}


def finding_html(f: Finding, redact: bool = False, max_evidence: int = 10) -> str:
    """One finding as a card: severity, title, detail, key evidence, recommendation.

    The card's anchor is ``finding-<area>-<name>``; the executive summary and
    action plan link to it, and it links back to the summary.

    Examples
    --------
    >>> html = finding_html(Finding("decay.no_follow_up", "high", "Detractors <never> called", "d",
    ...                             evidence={"share_never": 0.26}))
    >>> 'id="finding-decay-no_follow_up"' in html, "&lt;never&gt;" in html, "26.0%" in html
    (True, True, True)
    """
    return render("finding.html.j2", card=finding_card(f, redact, max_evidence))


def shown_figures(res: AreaResult) -> list:
    """The figures an area section shows, in order: those of its high and medium findings (most severe first),
    then, when no such finding has one, the area's first figure; at most :data:`MAX_FIGURES_PER_AREA`.

    Figures are drawn only when shown, so the others cost nothing; they stay in the analyst's notebook.
    """
    figs = [f for f in res.figures if f is not None]
    major = sorted((f for f in res.findings if f.severity in _MAJOR), key=lambda f: SEVERITIES.index(f.severity))
    chosen = []
    for finding in major:
        for fig in figs:
            if finding.id in fig.illustrates and fig not in chosen:
                chosen.append(fig)
                break
    if not chosen and figs:
        chosen = [figs[0]]
    return chosen[:MAX_FIGURES_PER_AREA]


def area_html(res: AreaResult, redact: bool = False) -> str:
    """One area section: status, summary, findings (with evidence), figures, tables and method notes.

    High and medium findings are shown in full; low and info findings are
    grouped under "Other observations". At most
    :data:`MAX_FIGURES_PER_AREA` figures and :data:`MAX_TABLES_PER_AREA`
    tables are shown (the rest stay in the analyst's notebook).

    Parameters
    ----------
    res : AreaResult
        The area's ``diagnose(prep)``.
    redact : bool
        Mask personal data in every text of the section.

    Returns
    -------
    str
        ``<section class="area" id="area-<name>">`` (partial ``area.html.j2``).
    """
    context: dict[str, Any] = {"area": res.area, "title": area_title(res.area), "status": res.status,
                               "not_assessed": client_text(res.not_assessed_reason, redact)}
    if res.not_assessed_reason:
        return render("area.html.j2", **context)
    order = sorted(res.findings, key=lambda f: SEVERITIES.index(f.severity))
    figs = shown_figures(res)
    tables = [(k, t) for k, t in res.tables.items() if isinstance(t, pd.DataFrame) and len(t.columns)]
    return render(
        "area.html.j2", **context, summary=client_text(res.summary_text, redact),
        major=[finding_card(f, redact) for f in order if f.severity in _MAJOR],
        minor=[finding_card(f, redact) for f in order if f.severity not in _MAJOR],
        figures=[safe(figure_html(fig, redact=redact)) for fig in figs],
        tables=[safe(table_html(t, res.table_captions.get(k, ""), redact=redact,
                                table_id=f"table-{res.area}-{anchor(k)}")) for k, t in tables[:MAX_TABLES_PER_AREA]],
        hidden=len([f for f in res.figures if f is not None]) - len(figs[:MAX_FIGURES_PER_AREA])
        + max(0, len(tables) - MAX_TABLES_PER_AREA),
        notes=[client_text(n, redact) for n in res.notes])
