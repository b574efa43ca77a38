"""Numbers and periods as the report writes them: '42%', '+12.3', 'p < 0.001', '12,873', '2025-Q1'.

The one place where figures become text; it imports nothing from npsdiag, so
every layer (statistics, areas, report) can use it.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["pct", "pts", "pval", "p_eq", "num", "period_label", "is_missing"]


def is_missing(x: Any) -> bool:
    """None or a float NaN."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def pct(x: float | None, digits: int = 0) -> str:
    """0.4231 -> '42%'; a share strictly between 0 and 1 never reads as 0% or 100% (0.9977 -> '99.8%').

    Examples
    --------
    >>> pct(0.4231), pct(0.9977), pct(0.0004), pct(1.0), pct(0.99999), pct(0.00001)
    ('42%', '99.8%', '0.04%', '100%', '>99.99%', '<0.01%')
    """
    if is_missing(x):
        return "n/a"
    x = float(x)
    text = f"{100 * x:.{digits}f}"
    for d in range(digits + 1, digits + 3):  # a few more digits before saying "all" or "none" of something partial
        if not (0 < x < 1 and float(text) in (0.0, 100.0)):
            break
        text = f"{100 * x:.{d}f}"
    if 0 < x < 1 and float(text) in (0.0, 100.0):
        step = 10.0 ** -(digits + 2)
        return f">{100 - step:.{digits + 2}f}%" if float(text) else f"<{step:.{digits + 2}f}%"
    return f"{text}%"


def pts(x: float | None, digits: int = 1, sign: bool = True) -> str:
    """NPS points: 12.34 -> '+12.3'.

    Examples
    --------
    >>> pts(12.34), pts(-3.0, 0), pts(5.0, sign=False)
    ('+12.3', '-3', '5.0')
    """
    if is_missing(x):
        return "n/a"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def pval(p: float | None) -> str:
    """A p-value for text: '<0.001', '0.012', 'n/a'."""
    if is_missing(p):
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def p_eq(p: float | None) -> str:
    """A p-value after 'p': '< 0.001' or '= 0.012'."""
    s = pval(p)
    return "< 0.001" if s.startswith("<") else f"= {s}"


def num(x: float | int | None) -> str:
    """Thousands separators: 12873 -> '12,873'."""
    if is_missing(x):
        return "n/a"
    return f"{int(round(x)):,}"


def period_label(p: Any) -> str:
    """A pandas Period as the report names it.

    '2025-03' for months, '2025-Q1' for quarters, 'week of 2025-03-03' for weeks, '2025' for years.

    Examples
    --------
    >>> import pandas as pd
    >>> period_label(pd.Period("2025-02", "Q")), period_label(pd.Period("2025-03-05", "W-SUN"))
    ('2025-Q1', 'week of 2025-03-03')
    """
    f = p.freqstr
    if f.startswith("W"):
        return f"week of {p.start_time.date().isoformat()}"
    if f.startswith("Q"):
        return f"{p.year}-Q{p.quarter}"
    return str(p)
