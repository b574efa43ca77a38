"""HTML pieces of the client report, displayed by the notebook.

Every function returns an HTML string built here, with every piece of client
text escaped (:func:`html.escape`) and tables rendered by pandas with
escaping on. Figures are embedded as base64 PNG. The notebook shows these
pieces with :func:`show`; nbconvert (``templates/npsdiag``) renders the
executed notebook without its code into ``report.html``.
"""

from __future__ import annotations

import base64
import html
import io
import math
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .findings import AREA_TITLES, SEVERITIES, AreaResult, Diagnosis, Figure, Finding

__all__ = ["show", "cover", "executive_summary", "area_html", "action_plan", "methodology",
           "data_appendix", "table_html", "figure_html", "esc", "contents"]

STATUS_LABEL = {"red": "Act now", "amber": "Watch", "green": "Sound", "not_assessed": "Not assessed"}
STATUS_ICON = {"red": "●", "amber": "▲", "green": "✓", "not_assessed": "–"}
SEVERITY_LABEL = {"high": "High", "medium": "Medium", "low": "Low", "info": "Info"}
AREA_SHORT = {"reliability": "Reliability", "balance": "Balance", "segmentation": "Segmentation",
              "outcome": "Outcome", "decay": "Decay", "verbatims": "Verbatims"}


class _Redactor:
    """Applies PII redaction to client text when the config asks for it."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, text: Any) -> str:
        s = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
        if self.enabled:
            from .redact import redact_text

            s = redact_text(s)
        return s


def esc(text: Any, redact: bool = False) -> str:
    """Escape client text for HTML (optionally redacting personal data first)."""
    return html.escape(_Redactor(redact)(text), quote=True)


def show(fragment: str) -> None:
    """Display an HTML fragment in the notebook (and so in the report)."""
    from IPython.display import HTML, display

    display(HTML(fragment))


# --------------------------------------------------------------------------- formatting

_PRETTY = {"nps": "NPS", "n": "n", "ci_low": "CI low", "ci_high": "CI high", "moe": "± margin",
           "se": "SE", "p_value": "p", "p_adj": "p (BH-adjusted)", "or": "Odds ratio", "auc": "AUC",
           "arr": "ARR", "id": "ID"}


def pretty_column(name: Any) -> str:
    """'ci_low' -> 'CI low', 'pct_promoters' -> '% promoters'."""
    s = str(name)
    if s in _PRETTY:
        return _PRETTY[s]
    if s.startswith("pct_"):
        return "% " + s[4:].replace("_", " ")
    words = [(_PRETTY.get(w, w)) for w in s.split("_")]
    out = " ".join(words)
    return out[:1].upper() + out[1:]


def _fmt_number(col: str, v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        c = col.lower()
        f = float(v)
        if c.startswith(("p_", "p-")) or c in ("p", "p_value", "p_adj", "q_value"):
            return "<0.001" if f < 0.001 else f"{f:.3f}"
        if c.startswith("share") or c.endswith(("_share", "_rate")) or c.startswith("rate"):
            return f"{100 * f:.1f}%" if abs(f) <= 1.0 else f"{f:.1f}"
        if c.startswith("pct"):
            return f"{f:.1f}%"
        if f.is_integer() and abs(f) >= 100:
            return f"{int(f):,}"
        if abs(f) >= 1000:
            return f"{f:,.0f}"
        if abs(f) < 10 and c not in ("nps", "ci_low", "ci_high", "moe", "se"):
            return f"{f:.2f}"
        return f"{f:.1f}"
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d") if v.hour == v.minute == 0 else v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, pd.Period):
        return str(v)
    return str(v)


def table_html(frame: pd.DataFrame, caption: str = "", redact: bool = False, max_rows: int = 40) -> str:
    """A client-readable table: prettified headers, formatted numbers, text escaped.

    Long tables are cut to ``max_rows`` with a note (the report shows
    summaries, not raw data).
    """
    if frame is None or len(frame.columns) == 0:
        return ""
    f = frame
    note = ""
    if len(f) > max_rows:
        note = f'<p class="table-note">Showing the first {max_rows} of {len(f):,} rows.</p>'
        f = f.head(max_rows)
    f = f.reset_index(drop=not isinstance(f.index, pd.MultiIndex) and f.index.name is None)
    red = _Redactor(redact)
    shown = pd.DataFrame({
        pretty_column(c): [red(_fmt_number(str(c), v)) if not isinstance(v, str) else red(v) for v in f[c]]
        for c in f.columns
    })
    num_cols = [pretty_column(c) for c in f.columns if pd.api.types.is_numeric_dtype(f[c])]
    body = shown.to_html(index=False, escape=True, border=0, classes="data", na_rep="–")
    for c in num_cols:  # right-align numeric columns via a data attribute on the header
        body = body.replace(f"<th>{html.escape(c)}</th>", f'<th class="num">{html.escape(c)}</th>', 1)
    cap = f'<p class="caption">{esc(caption)}</p>' if caption else ""
    return f'<div class="table-wrap">{cap}{body}{note}</div>'


def figure_html(fig: Figure | Any, caption: str = "", dpi: int = 110) -> str:
    """Embed a matplotlib figure as an inline PNG with its caption as alt text."""
    if isinstance(fig, Figure):
        caption = caption or fig.caption
        fig = fig.fig
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    alt = esc(caption or "figure")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure class="fig"><img src="data:image/png;base64,{data}" alt="{alt}"/>{cap}</figure>'


def _badge(status: str) -> str:
    return (f'<span class="badge status-{status}">{STATUS_ICON[status]} '
            f"{STATUS_LABEL[status]}</span>")


def _sev(sev: str) -> str:
    return f'<span class="sev sev-{sev}">{SEVERITY_LABEL[sev]}</span>'


def _fmt_pts(v: Any) -> str:
    return "–" if v is None else f"{v:+.1f}" if v else "0.0"


# --------------------------------------------------------------------------- sections


def contents(diag: Diagnosis) -> str:
    """Table of contents with links to every section."""
    items = ['<li><a href="#summary">Executive summary</a></li>']
    for name, res in diag.areas.items():
        items.append(f'<li><a href="#area-{name}">{esc(AREA_SHORT.get(name, name))}</a> '
                     f'{_badge(res.status)}</li>')
    items += ['<li><a href="#action-plan">Action plan</a></li>',
              '<li><a href="#methodology">Methodology</a></li>',
              '<li><a href="#data-appendix">Data and lineage</a></li>']
    return f'<nav class="toc"><h2>Contents</h2><ol>{"".join(items)}</ol></nav>'


def cover(diag: Diagnosis, prepared_by: str = "npsdiag") -> str:
    """The cover: client, period, data volumes, date and the headline NPS with its interval."""
    d = diag.data_summary
    h = diag.headline
    period = " to ".join(d["period"]) if d.get("period") else "no dated responses"
    vols = [f"{d.get('responses', 0):,} responses analysed (of {d.get('responses_read', 0):,} read)"]
    if d.get("accounts") is not None:
        vols.append(f"{d['accounts']:,} accounts")
    if d.get("invitations") is not None:
        vols.append(f"{d['invitations']:,} invitations")
    if h.get("nps") is None:
        head = '<p class="headline">No analysable responses: see the reliability section.</p>'
    else:
        head = (f'<div class="headline"><div class="nps-value">{h["nps"]:+.1f}</div>'
                f'<div class="nps-label">Net Promoter Score<br/><span>95% interval {h["ci_low"]:+.1f} to '
                f'{h["ci_high"]:+.1f} · n = {h["n"]:,}</span></div>'
                f'<div class="mix">{_mix_bar(h)}</div></div>')
    return (f'<header class="cover" id="cover"><p class="kicker">NPS program diagnosis</p>'
            f'<h1>{esc(diag.client)}</h1><p class="period">{esc(period)}</p>'
            f'<p class="volumes">{esc(" · ".join(vols))}</p>{head}'
            f'<p class="meta">Prepared {date.today().isoformat()} with {esc(prepared_by)}</p></header>')


def _mix_bar(h: dict) -> str:
    parts = [("promoter", h.get("pct_promoters", 0)), ("passive", h.get("pct_passives", 0)),
             ("detractor", h.get("pct_detractors", 0))]
    segs = "".join(f'<span class="mix-{k}" style="width:{max(v, 0):.1f}%">{v:.0f}% {k}s</span>'
                   for k, v in parts if v)
    return f'<div class="mixbar" role="img" aria-label="category mix">{segs}</div>'


def executive_summary(diag: Diagnosis, k: int = 5) -> str:
    """One status per area with one sentence, and the findings that matter most."""
    rows = []
    for name, res in diag.areas.items():
        rows.append(f'<tr><th scope="row"><a href="#area-{name}">{esc(AREA_SHORT.get(name, name))}</a></th>'
                    f"<td>{_badge(res.status)}</td><td>{esc(res.summary_text)}</td></tr>")
    top = diag.top_findings(k)
    if top:
        items = "".join(f'<li>{_sev(f.severity)} <a href="#{_fid(f)}">{esc(f.title)}</a></li>' for f in top)
        tops = f'<h3>What matters most</h3><ol class="top-findings">{items}</ol>'
    else:
        tops = "<h3>What matters most</h3><p>No high- or medium-severity finding.</p>"
    return (f'<section id="summary" class="summary"><h2>Executive summary</h2>'
            f'<table class="status"><tbody>{"".join(rows)}</tbody></table>{tops}</section>')


def _fid(f: Finding) -> str:
    return "finding-" + f.id.replace(".", "-")


def finding_html(f: Finding, redact: bool = False) -> str:
    ev = ""
    if f.evidence:
        items = "".join(f"<li><span>{esc(pretty_column(k))}</span> {esc(_fmt_evidence(k, v))}</li>"
                        for k, v in f.evidence.items() if not isinstance(v, (dict, list)))
        ev = f'<ul class="evidence">{items}</ul>' if items else ""
    rec = f'<p class="rec"><strong>Recommendation:</strong> {esc(f.recommendation, redact)}</p>' \
        if f.recommendation else ""
    return (f'<article class="finding sev-{f.severity}" id="{_fid(f)}">'
            f'<h4>{_sev(f.severity)} {esc(f.title, redact)}</h4>'
            f'<p>{esc(f.detail, redact)}</p>{ev}{rec}<p class="fid">{esc(f.id)}</p></article>')


def _fmt_evidence(key: str, v: Any) -> str:
    return _fmt_number(key, v) if not isinstance(v, str) else v


def area_html(res: AreaResult, redact: bool = False) -> str:
    """One area section: status, summary, findings, figures, tables and method notes."""
    title = AREA_TITLES.get(res.area, res.area)
    parts = [f'<section class="area" id="area-{res.area}"><h2>{esc(title)} {_badge(res.status)}</h2>']
    if res.not_assessed_reason:
        parts.append(f'<p class="not-assessed">Not assessed: {esc(res.not_assessed_reason)}</p></section>')
        return "".join(parts)
    parts.append(f'<p class="area-summary">{esc(res.summary_text, redact)}</p>')
    order = sorted(res.findings, key=lambda f: SEVERITIES.index(f.severity))
    if order:
        parts.append('<div class="findings">' + "".join(finding_html(f, redact) for f in order) + "</div>")
    else:
        parts.append('<p class="no-findings">No finding in this area.</p>')
    for fig in res.figures:
        parts.append(figure_html(fig))
    for key, table in res.tables.items():
        parts.append(table_html(table, res.table_captions.get(key, ""), redact=redact))
    if res.notes:
        parts.append('<div class="notes"><h4>Method notes</h4><ul>'
                     + "".join(f"<li>{esc(n)}</li>" for n in res.notes) + "</ul></div>")
    parts.append("</section>")
    return "".join(parts)


ACTION_OWNERS = {
    "reliability": ("CX operations / survey platform owner", "share of rows usable; feed volume each week"),
    "balance": ("Customer success leadership", "decision-maker response share; ARR covered each quarter"),
    "segmentation": ("CX lead with the segment's business owner", "segment NPS with its interval each quarter"),
    "outcome": ("CX lead with finance / revenue operations", "churn by NPS category; AUC of the score"),
    "decay": ("Front-line managers (support, CSM)", "detractors followed up within the SLA"),
    "verbatims": ("Product and CX teams", "share of comments in each theme per quarter"),
}


def action_plan(diag: Diagnosis, redact: bool = False) -> str:
    """Each high or medium finding turned into an action, owner and measure of progress."""
    rows = []
    for f in diag.findings:
        if f.severity not in ("high", "medium"):
            continue
        owner, measure = ACTION_OWNERS.get(f.area, ("CX lead", "the finding's evidence, re-measured"))
        rows.append(f'<tr><td>{_sev(f.severity)}</td><td><a href="#{_fid(f)}">{esc(f.title, redact)}</a></td>'
                    f"<td>{esc(f.recommendation or 'Investigate and fix.', redact)}</td>"
                    f"<td>{esc(owner)}</td><td>{esc(measure)}</td></tr>")
    if not rows:
        body = "<p>No high- or medium-severity finding calls for action.</p>"
    else:
        body = ('<div class="table-wrap"><table class="data actions"><thead><tr><th>Priority</th><th>Finding</th>'
                "<th>Action</th><th>Typical owner</th><th>How to measure progress</th></tr></thead><tbody>"
                + "".join(rows) + "</tbody></table></div>")
    return f'<section id="action-plan" class="area"><h2>Action plan</h2>{body}</section>'


METHODS = [
    ("NPS and its interval",
     "NPS = % promoters (9–10) − % detractors (0–6). Intervals are the adjusted Wald interval: 0.75 detractor, "
     "1.5 passive and 0.75 promoter are added before computing the NPS and its variance "
     "p_pro + p_det − (p_pro − p_det)²; interval = adjusted NPS ± z·√(var/(n+3)).",
     "Rocks, B. (2016). Interval Estimation for the \u201cNet Promoter Score\u201d. The American Statistician "
     "70(4), 365–372. Lewis, J. R. & Sauro, J. (2021), Journal of User Experience 16(3)."),
    ("Differences between groups",
     "Two-sample Wald z-test on the difference of two NPS (variances from the adjusted counts); across many "
     "segments p-values are adjusted with the Benjamini–Hochberg false discovery rate.",
     "Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57(1), 289–300."),
]


def methodology(diag: Diagnosis, extra: list[tuple[str, str, str]] | None = None) -> str:
    """Methodology appendix: each method named with its reference, plus the areas' method notes."""
    items = "".join(f"<dt>{esc(t)}</dt><dd>{esc(d)}<br/><cite>{esc(r)}</cite></dd>"
                    for t, d, r in METHODS + list(extra or []))
    notes = []
    for name, res in diag.areas.items():
        if res.notes:
            notes.append(f"<h4>{esc(AREA_SHORT.get(name, name))}</h4><ul>"
                         + "".join(f"<li>{esc(n)}</li>" for n in res.notes) + "</ul>")
    return (f'<section id="methodology" class="area appendix"><h2>Appendix A — Methodology</h2>'
            f'<dl class="methods">{items}</dl>{"".join(notes)}</section>')


def data_appendix(prep) -> str:
    """Data appendix: sources read, data lineage (rows read → excluded per reason → analysed), warnings."""
    src_rows = []
    for name, s in prep.data.sources.items():
        notes = "; ".join(s.get("notes") or [])
        src_rows.append({"table": name, "format": s.get("format"), "rows": s.get("rows"), "notes": notes})
    src = table_html(pd.DataFrame(src_rows), "Tables read (file names are kept out of the client report).")
    lin = table_html(prep.lineage, "Data lineage: every row read is either analysed or excluded for one reason.")
    warns = ""
    if prep.data.problems:
        items = "".join(f"<li>{esc(p.message, True)}"
                        + (f" <em>({esc(p.where)})</em>" if p.where else "") + "</li>"
                        for p in prep.data.problems)
        warns = f"<h4>Warnings raised while reading</h4><ul>{items}</ul>"
    s = prep.settings
    settings = table_html(pd.DataFrame([
        {"setting": "scale", "value": f"{s.scale[0]:g}–{s.scale[1]:g}"},
        {"setting": "categories", "value": f"detractor ≤ {s.detractor_max:g}, promoter ≥ {s.promoter_min:g}"},
        {"setting": "confidence", "value": f"{s.confidence:.0%}"},
        {"setting": "minimum n to report", "value": str(s.min_n)},
        {"setting": "follow-up SLA (days)", "value": f"{s.follow_up_sla_days:g}"},
        {"setting": "repeat window (days)", "value": f"{s.repeat_window_days:g}"},
        {"setting": "period", "value": " to ".join(s.period) if s.period else "all"},
        {"setting": "personal data redacted", "value": "yes" if s.redact_pii else "no"},
    ]), "Settings used for this diagnosis.")
    return (f'<section id="data-appendix" class="area appendix"><h2>Appendix B — Data and lineage</h2>'
            f"{src}{lin}{settings}{warns}</section>")
