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

The report, in order: :func:`cover`, :func:`contents`,
:func:`executive_summary` (with :func:`headline_trend` /
:func:`trend_figure`), one :func:`area_html` per area, :func:`action_plan`,
then the appendices :func:`methodology`, :func:`data_appendix` and
:func:`glossary`, and :func:`footer`.

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
front
    :func:`cover`, :func:`contents`, :func:`executive_summary`.
sections
    :func:`area_html`, :func:`finding_html`, :func:`findings_frame`.
back
    :func:`action_plan`, :func:`methodology`, :func:`data_appendix`, :func:`glossary`, :func:`footer`.
"""

from __future__ import annotations

from .back import ACTIONS, AREA_ACTIONS, GLOSSARY, METHODS, action_plan, data_appendix, footer, glossary, methodology
from .figures import MAX_FIGURE_PX, figure_html
from .front import contents, cover, executive_summary
from .partials import show
from .sections import MAX_FIGURES_PER_AREA, MAX_TABLES_PER_AREA, area_html, finding_html, findings_frame
from .tables import MAX_TABLE_ROWS, pretty_column, table_html
from .text import AREA_SHORT, MAX_CELL_CHARS, SEVERITY_LABEL, STATUS_ICON, STATUS_LABEL, STATUS_MEANING, esc
from .trend import headline_trend, trend_change, trend_figure

__all__ = ["show", "findings_frame", "cover", "contents", "executive_summary", "area_html", "finding_html",
           "action_plan", "methodology", "data_appendix", "glossary", "footer", "table_html", "figure_html", "esc",
           "pretty_column", "headline_trend", "trend_change", "trend_figure", "ACTIONS", "AREA_ACTIONS", "METHODS",
           "GLOSSARY", "MAX_TABLE_ROWS", "MAX_CELL_CHARS", "MAX_FIGURES_PER_AREA", "MAX_TABLES_PER_AREA",
           "MAX_FIGURE_PX", "STATUS_LABEL", "STATUS_MEANING", "STATUS_ICON", "SEVERITY_LABEL", "AREA_SHORT"]
