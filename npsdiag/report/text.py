"""Client text as the report shows it: escaped, redacted, cut, and the report's words for statuses and dates.

Client text (names, comments, segment values, finding texts) is handed to
the partials as plain strings, which Jinja escapes (autoescape); this module
prepares those strings: None and NaN become empty, personal data is masked
when the config asks for it (:func:`npsdiag.redact.redact_text`, sparing
dates and the numbers of the analysis) and long text is cut. :func:`esc` is
the same escaping as the partials', for callers that build HTML themselves.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import escape

from ..areas.registry import AREAS
from ..redact import redact_text

__all__ = ["MAX_CELL_CHARS", "STATUS_LABEL", "STATUS_MEANING", "STATUS_ICON", "SEVERITY_LABEL", "AREA_SHORT",
           "esc", "client_text", "redact_keeping_numbers", "cut", "is_missing", "signed", "p_text", "long_date",
           "generated_date", "area_title", "anchor", "finding_anchor"]

#: Characters shown per table cell or evidence value before it is cut with an ellipsis.
MAX_CELL_CHARS = 240

STATUS_LABEL = {"red": "Issues found", "amber": "Watch", "green": "Sound", "not_assessed": "Not assessed"}
STATUS_MEANING = {
    "red": "at least one high-severity finding",
    "amber": "at least one medium-severity finding",
    "green": "no high- or medium-severity finding",
    "not_assessed": "the data needed for this area is missing",
}
#: Text icons kept for plain-text uses (the HTML uses the SVG icons of the ``icon`` macro, partials/macros).
STATUS_ICON = {"red": "▲", "amber": "●", "green": "✓", "not_assessed": "–"}
SEVERITY_LABEL = {"high": "High", "medium": "Medium", "low": "Low", "info": "Info"}
AREA_SHORT = {a.name: a.short for a in AREAS}
_AREA_TITLE = {a.name: a.title for a in AREAS}

# What the phone-number redaction may match (kept in step with npsdiag.redact). Matches that are ISO dates,
# or that hold fewer than 9 digits (intervals such as "0.69 (0.61", counts such as "1 250 000"), are numbers of
# the analysis, not phone numbers: they are kept out of the redaction.
_PHONE_LIKE = re.compile(r"(?<!\w)\+?\d[\d ()./-]{7,}\d(?!\w)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")
_MIN_PHONE_DIGITS = 9
_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def _kept(m: re.Match) -> bool:
    return sum(ch.isdigit() for ch in m.group(0)) < _MIN_PHONE_DIGITS


def redact_keeping_numbers(s: str) -> str:
    """:func:`npsdiag.redact.redact_text` on ``s``, sparing ISO dates and numbers of fewer than 9 digits.

    Examples
    --------
    >>> redact_keeping_numbers("w/c 2025-03-03: call +44 7700 900123, AUC 0.65 (0.60-0.70)")
    'w/c 2025-03-03: call [phone], AUC 0.65 (0.60-0.70)'
    """
    spans = [m.span() for m in _DATE.finditer(s)]
    spans += [m.span() for m in _PHONE_LIKE.finditer(s) if _kept(m)]
    spans.sort()
    out, last = [], 0
    for a, b in spans:
        if a < last:  # overlapping spans: extend what is kept
            if b > last:
                out.append(s[last:b])
                last = b
            continue
        out.append(redact_text(s[last:a]) if a > last else "")
        out.append(s[a:b])
        last = b
    out.append(redact_text(s[last:]) if last < len(s) else "")
    return "".join(out)


def is_missing(v: Any) -> bool:
    """None, ``pd.NA``, ``pd.NaT`` or a float NaN."""
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, (float, np.floating)) and math.isnan(float(v))


def client_text(value: Any, redact_pii: bool = False) -> str:
    """Client text as a plain string (not escaped): None/NaN -> '', personal data masked when ``redact_pii``.

    Examples
    --------
    >>> client_text(None), client_text(float("nan")), client_text("mail jo@example.com", redact_pii=True)
    ('', '', 'mail [email]')
    """
    if is_missing(value):
        return ""
    s = str(value)
    return redact_keeping_numbers(s) if redact_pii and s else s


def cut(s: str, limit: int = MAX_CELL_CHARS) -> str:
    """``s`` cut to ``limit`` characters, the last one an ellipsis.

    Examples
    --------
    >>> cut("abcdef", 4)
    'abc…'
    """
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"


def esc(text: Any, redact: bool = False) -> str:
    """Escape client text for HTML as the report's partials do, masking personal data first when ``redact``.

    Parameters
    ----------
    text : any
        Converted with :class:`str`; None and NaN give an empty string.
    redact : bool
        Mask emails and phone numbers (:func:`npsdiag.redact.redact_text`);
        ISO dates are left alone.

    Examples
    --------
    >>> esc("<b>Jo</b> jo@example.com", redact=True)
    '&lt;b&gt;Jo&lt;/b&gt; [email]'
    """
    return str(escape(client_text(text, redact)))


def signed(v: float | None, digits: int = 1) -> str:
    """Points with their sign and a true minus sign; '–' when missing.

    Examples
    --------
    >>> signed(12.34), signed(-3.0), signed(None)
    ('+12.3', '−3.0', '–')
    """
    return "–" if v is None or is_missing(v) else f"{v:+.{digits}f}".replace("-", "−")


def p_text(p: float) -> str:
    """A p-value after "p" in a sentence: '< 0.001' or '= 0.012'."""
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def long_date(d: Any) -> str:
    """A date as "7 December 2026" (any text pandas cannot read is shown as it is)."""
    try:
        ts = pd.Timestamp(d)
    except (ValueError, TypeError):
        return str(d)
    return f"{ts.day} {ts.strftime('%B %Y')}"


def generated_date(diag: Any) -> str:
    """The day the diagnosis was made (:attr:`Diagnosis.generated_at`), or today."""
    try:
        return long_date(pd.Timestamp(diag.generated_at).date())
    except (ValueError, TypeError, AttributeError):
        return long_date(date.today())


def area_title(name: str) -> str:
    """An area's section title ("Balance — whose voice is this?"); unknown areas get their name."""
    return _AREA_TITLE.get(name, name.replace("_", " ").capitalize())


def anchor(text: Any) -> str:
    """``text`` made safe as (part of) an anchor id: anything but letters, digits, ``_`` and ``-`` becomes ``-``."""
    return _ANCHOR_UNSAFE.sub("-", str(text))


def finding_anchor(finding: Any) -> str:
    """Anchor id of a finding's card: ``finding-<area>-<name>``."""
    return "finding-" + anchor(finding.id)
