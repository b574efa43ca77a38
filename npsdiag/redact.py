"""Masking personal data in client text (emails, phone numbers, ...).

Minimal first version: emails and phone numbers. See :func:`redact_text`.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["redact_text", "redact_frame"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)\+?\d[\d ()./-]{7,}\d(?!\w)")


def redact_text(text):
    """Mask emails and phone numbers in a string or a Series of strings."""
    if isinstance(text, pd.Series):
        s = text.astype("string")
        return s.str.replace(_EMAIL, "[email]", regex=True).str.replace(_PHONE, "[phone]", regex=True)
    if text is None or (isinstance(text, float) and text != text):
        return text
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", str(text)))


def redact_frame(frame: pd.DataFrame, columns=None) -> pd.DataFrame:
    """A copy of ``frame`` with text columns (or ``columns``) redacted."""
    out = frame.copy()
    cols = columns if columns is not None else [c for c in out.columns
                                                if out[c].dtype == object or pd.api.types.is_string_dtype(out[c])]
    for c in cols:
        out[c] = redact_text(out[c])
    return out
