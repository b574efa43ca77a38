"""The standalone pages of the deliverable: the CEO brief and the private annex of owner-level results.

Both are complete HTML files written by Python (not through the notebook):
the report's stylesheet inline, no script, nothing fetched from the network
(:func:`page`). :func:`brief` is the one- or two-page CEO brief;
:func:`owners_annex` holds what the client report anonymises: owner names,
for the programme owner only.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from ..clean import Prepared
from ..findings import Diagnosis
from ..story import Story
from .client import cover, decisions, gaps, message_anchor, period_text, prepared_line
from .partials import partials_dir, render, safe
from .tables import table_html
from .text import client_text

__all__ = ["page", "stylesheet", "brief", "owners_annex"]


@cache
def stylesheet() -> str:
    """The report's stylesheet (``templates/npsdiag/static/report.css``), read once."""
    return (Path(partials_dir()).parent / "static" / "report.css").read_text(encoding="utf-8")


def page(title: str, body: str, body_class: str = "") -> str:
    """A complete, self-contained HTML page around ``body`` (HTML built by npsdiag)."""
    return render("page.html.j2", title=title, css=safe(stylesheet()), body=safe(body), body_class=body_class)


def brief(diag: Diagnosis, story: Story, redact: bool = False, confidence: float = 0.95) -> str:
    """The CEO brief: one printed A4 page, two at most.

    The headline with its interval and which NPS to believe, the KPI to track, the value at stake in the client's
    currency, the messages that matter (at most :data:`~npsdiag.story.MAX_MESSAGES`), the decisions asked for and
    what could not be assessed.

    Returns
    -------
    str
        A complete HTML page (``brief.html``).
    """
    rows = []
    for m in story.top:
        rows.append({"priority": m.priority, "priority_key": m.priority.lower().replace(" ", "-"),
                     "conclusion": client_text(m.conclusion, redact), "anchor": message_anchor(m),
                     "money": story.money(m.value) if m.value else "", "money_label": m.value_label,
                     "owner": m.owner, "horizon": m.horizon})
    body = render("brief.html.j2", cover=safe(cover(diag, story, kicker="CEO brief", confidence=confidence,
                                                     brief=True)),
                  heading="What matters" if rows else "Nothing calls for action", messages=rows,
                  decisions=decisions(story), gaps=safe(gaps(story)), prepared=prepared_line(diag))
    return page(f"{client_text(diag.client)} — CEO brief", body, "brief")


def _owner_counts(prep: Prepared) -> pd.Series:
    r = prep.responses
    if "owner" not in r:
        return pd.Series(dtype=int)
    return r["owner"].dropna().astype(str).str.strip().value_counts()


def owners_annex(diag: Diagnosis, story: Story, prep: Prepared, redact: bool = False) -> str:
    """The private annex (``private/owners.html``): the key to the owners' aliases and the owner-level results
    with names, for the programme owner only.

    Parameters
    ----------
    diag : Diagnosis
        The diagnosis with owners as the data names them (not the anonymised copy).
    story : Story
        Holds the aliases.
    prep : Prepared
    redact : bool
        Mask personal data (emails, phone numbers) in text cells; owner names are the point of this file.
    """
    counts = _owner_counts(prep)
    key = [(alias, name, f"{int(counts.get(name, 0)):,}") for name, alias in story.aliases.items()]
    reason = ("The responses name no owner (rep, CSM or agent): there are no owner-level results."
              if "owner" not in prep.responses else
              "Owners are named in the report itself (settings.name_owners is true): this annex repeats their "
              "results.")
    findings, tables = [], []
    for res in diag.areas.values():
        for f in res.findings:
            if any(name in f.title or name in f.detail for name in counts.index):
                findings.append((client_text(f.title, redact), client_text(f.detail, redact)))
        for name, t in res.tables.items():
            if any(str(c).lower() == "owner" for c in t.columns):
                tables.append(safe(table_html(t, res.table_captions.get(name, name.replace("_", " ").capitalize()),
                                              redact=redact, max_rows=200)))
    body = render("owners.html.j2", client=client_text(diag.client), period=period_text(diag), key=key,
                  none_reason=reason, findings=findings, tables=tables)
    return page(f"{client_text(diag.client)} — private annex: owners", body, "private")
