"""HTML pieces of the client report, displayed by the notebook.

Every function returns an HTML string rendered from a Jinja partial
(``templates/npsdiag/partials``, one autoescaped environment:
:mod:`npsdiag.report.partials`): Python decides what to show and formats the
numbers, the partials hold the markup. Client text is escaped, and when the
config asks for it (``settings.redact_pii``) personal data is masked first
(:func:`npsdiag.redact.redact_text`). Tables are cut to a summary size;
figures are embedded as palette PNGs at a bounded resolution, so the
report's size does not grow with the data. The notebook shows these pieces
with :func:`show`; nbconvert (``templates/npsdiag``) renders the executed
notebook without its code into ``report.html``: one self-contained file that
loads nothing from the network.

The client report (``report.html``), in order: :func:`cover` (headline,
value at stake, which NPS to believe), :func:`summary` (the messages, the
decisions asked for, a status per area), :func:`action_plan`, :func:`gaps`
(what could not be assessed), :func:`since` (with a previous diagnosis),
:func:`exhibits` (one section per message), :func:`at_a_glance` and
:func:`footer`: all read a :class:`npsdiag.story.Story`. The analyst
appendix (``appendix.html``): :func:`appendix_cover`, :func:`statistics`,
one :func:`area_html` per area, :func:`methodology`, :func:`data_appendix`,
:func:`glossary`. The CEO brief and the private annex are standalone pages
(:func:`brief`, :func:`owners_annex`).

Modules
-------
text
    Client text (escaping, redaction, cutting), the words for statuses and severities, dates.
tables
    Column names and cell formatting; :func:`table_html`.
figures
    :func:`figure_html`: a figure rendered by matplotlib, reduced to a palette PNG.
partials
    The Jinja environment of the partials; :func:`show`.
trend
    :func:`headline_trend`, :func:`trend_change`, :func:`trend_figure`.
client
    The client report's storyline: :func:`cover`, :func:`summary`, :func:`action_plan`, :func:`gaps`,
    :func:`since`, :func:`exhibits`, :func:`at_a_glance`; the appendix's :func:`appendix_cover`, :func:`statistics`.
pages
    Standalone pages: :func:`brief`, :func:`owners_annex`.
sections
    :func:`area_html`, :func:`finding_html`, :func:`findings_frame`.
back
    :func:`action_plan`, :func:`methodology`, :func:`data_appendix`, :func:`glossary`, :func:`footer`.
"""

from __future__ import annotations

from .back import ACTIONS, AREA_ACTIONS, GLOSSARY, METHODS, data_appendix, footer, glossary, methodology
from .client import (
    action_plan,
    appendix_cover,
    at_a_glance,
    cover,
    exhibits,
    gaps,
    since,
    statistics,
    summary,
)
from .figures import MAX_FIGURE_PX, figure_html
from .pages import brief, owners_annex
from .partials import show
from .sections import MAX_FIGURES_PER_AREA, MAX_TABLES_PER_AREA, area_html, finding_html, findings_frame
from .tables import MAX_TABLE_ROWS, pretty_column, table_html
from .text import AREA_SHORT, MAX_CELL_CHARS, SEVERITY_LABEL, STATUS_ICON, STATUS_LABEL, STATUS_MEANING, esc
from .trend import headline_trend, trend_change, trend_figure

__all__ = ["show", "findings_frame", "cover", "summary", "gaps", "since", "exhibits", "at_a_glance", "appendix_cover",
           "statistics", "brief", "owners_annex", "area_html", "finding_html",
           "action_plan", "methodology", "data_appendix", "glossary", "footer", "table_html", "figure_html", "esc",
           "pretty_column", "headline_trend", "trend_change", "trend_figure", "ACTIONS", "AREA_ACTIONS", "METHODS",
           "GLOSSARY", "MAX_TABLE_ROWS", "MAX_CELL_CHARS", "MAX_FIGURES_PER_AREA", "MAX_TABLES_PER_AREA",
           "MAX_FIGURE_PX", "STATUS_LABEL", "STATUS_MEANING", "STATUS_ICON", "SEVERITY_LABEL", "AREA_SHORT"]
