"""Adjusting p-values for many comparisons.

References
----------
.. [1] Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery
   rate: a practical and powerful approach to multiple testing. JRSS B,
   57(1), 289-300.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["bh_adjust"]


def bh_adjust(p_values: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values; NaN entries stay NaN and are not counted.

    Uses :func:`statsmodels.stats.multitest.multipletests` (``fdr_bh``).

    Examples
    --------
    >>> bh_adjust([0.01, 0.04, float("nan"), 0.03]).round(3).tolist()
    [0.03, 0.04, nan, 0.04]
    """
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype="float64")
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(np.clip(p[ok], 0, 1), method="fdr_bh")[1]
    return out
