"""Small helpers shared by the area modules (not part of the public API)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..findings import SEVERITIES

__all__ = ["bh_adjust", "wilson_interval", "pct", "pts", "pval", "p_eq", "num", "worst", "period_label",
           "cramers_v_gof", "to_period", "severity_from_share", "err"]


def bh_adjust(p_values: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values; NaN entries stay NaN and are not counted.

    Uses :func:`statsmodels.stats.multitest.multipletests` (``fdr_bh``).
    """
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype="float64")
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(np.clip(p[ok], 0, 1), method="fdr_bh")[1]
    return out


def wilson_interval(k, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion k/n, element-wise (NaN where n = 0).

    The one Wilson interval of the kit (statsmodels ``proportion_confint``,
    method "wilson"; Wilson 1927), with exact 0 and 1 at k = 0 and k = n.
    The result has the shape of the inputs.
    """
    from statsmodels.stats.proportion import proportion_confint

    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    safe = np.where(n > 0, n, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo, hi = proportion_confint(np.minimum(k, safe), safe, alpha=1 - confidence, method="wilson")
    low = np.where(n > 0, np.where(k <= 0, 0.0, lo), np.nan)
    high = np.where(n > 0, np.where(k >= n, 1.0, hi), np.nan)
    return low, high


def pct(x: float | None, digits: int = 0) -> str:
    """0.4231 -> '42%'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{100 * x:.{digits}f}%"


def pts(x: float | None, digits: int = 1, sign: bool = True) -> str:
    """NPS points: 12.34 -> '+12.3'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def pval(p: float | None) -> str:
    """A p-value for text: '<0.001', '0.012', 'n/a'."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def p_eq(p: float | None) -> str:
    """A p-value after 'p': '< 0.001' or '= 0.012'."""
    s = pval(p)
    return "< 0.001" if s.startswith("<") else f"= {s}"


def num(x: float | int | None) -> str:
    """Thousands separators: 12873 -> '12,873'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{int(round(x)):,}"


def worst(severities: Iterable[str | None]) -> str | None:
    """The most severe of several severities (None when there is none)."""
    s = [x for x in severities if x]
    return min(s, key=SEVERITIES.index) if s else None


def severity_from_share(share: float, medium: float = 0.02, high: float = 0.10) -> str:
    """Severity of an exclusion by the share of rows it affects."""
    if share >= high:
        return "high"
    if share >= medium:
        return "medium"
    return "low"


def to_period(dates: pd.Series, freq: str) -> pd.Series:
    """Dates as periods of ``freq`` (W = weeks starting Monday, M months, Q quarters)."""
    f = {"W": "W-SUN"}.get(freq, freq)
    return pd.to_datetime(dates).dt.to_period(f)


def period_label(p: pd.Period) -> str:
    """Period labels as everywhere in the report (:func:`npsdiag.metrics.period_label`)."""
    from ..metrics import period_label as label

    return label(p)


def err(value, low, high) -> np.ndarray:
    """Error-bar lengths [below, above] for matplotlib, never negative or NaN.

    The adjusted Wald interval is centred on the adjusted estimate, so for
    tiny n the observed value can lie just outside it; the bar is then 0.
    """
    v, lo, hi = (np.asarray(a, dtype="float64") for a in (value, low, high))
    return np.nan_to_num(np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)]))


def cramers_v_gof(chi2: float, n: float, k: int) -> float:
    """Effect size of a chi-square goodness-of-fit test: sqrt(chi2 / (n (k - 1)))."""
    if n <= 0 or k < 2:
        return float("nan")
    return float(math.sqrt(chi2 / (n * (k - 1))))
