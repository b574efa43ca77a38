"""Calendar periods (months, quarters, Monday weeks) of datetimes, labelled as the report writes them.

:func:`period_labels` labels each date with pandas periods;
:func:`calendar_periods` gives the same labels computed once per distinct
period on integer period keys (:func:`period_keys`, :func:`period_starts`),
which is what large exports need.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...linking import NAT, as_ns

__all__ = ["period_labels", "period_keys", "period_starts", "calendar_periods"]


def period_labels(dates: pd.Series, freq: str) -> pd.Series:
    """Calendar period labels (``2024-03``, ``2024Q1``, or week start) of datetimes.

    Parameters
    ----------
    dates : Series of datetimes
    freq : {"M", "Q", "W"}
        Months, quarters or weeks starting on Monday (anything else: months).

    Examples
    --------
    >>> d = pd.Series(pd.to_datetime(["2024-03-05", "2024-03-31"]))
    >>> period_labels(d, "M").tolist(), period_labels(d, "Q").tolist(), period_labels(d, "W").tolist()
    (['2024-03', '2024-03'], ['2024Q1', '2024Q1'], ['2024-03-04', '2024-03-25'])
    """
    f = {"M": "M", "Q": "Q", "W": "W"}.get(freq, "M")
    p = dates.dt.to_period(f)
    if f == "W":
        return p.dt.start_time.dt.strftime("%Y-%m-%d").astype("string")
    return p.astype("string")


def period_keys(t: np.ndarray, freq: str) -> np.ndarray:
    """Integer calendar-period keys of int64 nanosecond datetimes (months, quarters or Monday weeks since 1970)."""
    v = t.view("datetime64[ns]")
    if freq == "W":
        return (v.astype("datetime64[D]").view("int64") + 3) // 7  # 1970-01-01 was a Thursday
    m = v.astype("datetime64[M]").view("int64")
    return m // 3 if freq == "Q" else m


def period_starts(keys: np.ndarray, freq: str) -> pd.DatetimeIndex:
    """First instant of each period key of :func:`period_keys`."""
    k = np.asarray(keys, dtype="int64")
    if freq == "W":
        v = (k * 7 - 3).astype("datetime64[D]")
    else:
        v = (k * 3 if freq == "Q" else k).astype("datetime64[M]")
    return pd.DatetimeIndex(v.astype("datetime64[ns]"))


def calendar_periods(dates: pd.Series, freq: str) -> pd.Series:
    """:func:`period_labels` computed once per distinct period (NaT stays missing).

    Examples
    --------
    >>> calendar_periods(pd.Series(pd.to_datetime(["2024-03-05", None, "2024-04-01"])), "M").tolist()
    ['2024-03', <NA>, '2024-04']
    """
    f = {"M": "M", "Q": "Q", "W": "W"}.get(freq, "M")
    t = as_ns(dates)
    ok = t != NAT
    keys = np.where(ok, period_keys(np.where(ok, t, 0), f), np.iinfo("int64").max)
    codes, uniq = pd.factorize(keys)
    labels = period_labels(pd.Series(period_starts(np.where(uniq == np.iinfo("int64").max, 0, uniq), f)), f)
    labels = labels.to_numpy(dtype=object)
    labels[uniq == np.iinfo("int64").max] = None
    return pd.Series(pd.array(labels[codes], dtype="string"), index=dates.index)
