"""Decay: does feedback reach the front line while it is fresh?

An NPS score loses value quickly. A detractor called back within days can
often be saved; one heard after a month is often lost; a score taken a year
before renewal says little about the renewal. This area measures:

- **follow-up** (closed loop): days from response to follow-up for detractors
  (and passives that were followed up), the share handled within the SLA
  (``settings.follow_up_sla_days``) and the share never followed up, overall,
  by month and by owner;
- **follow-up effect**: churn of detractors by follow-up latency band and a
  logistic model of churn on latency band controlling for the score;
- **score staleness**: how the association between score and churn (AUC,
  odds ratio per point) changes with the age of the score at the outcome date;
- **response rates** by month from invitations, with a trend test, and the
  invitation-to-response latency.

The building blocks take DataFrames and column names and return tidy
DataFrames; :func:`diagnose` assembles them into an
:class:`~npsdiag.findings.AreaResult` with the ``decay.*`` findings.

Right-censoring: a detractor who answered less than the SLA before the end
of the data and has not been followed up yet is *open*, not *never*.

References
----------
.. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and
   statistical inference. JASA 22(158), 209-212.
.. [2] Hanley, J. A. & McNeil, B. J. (1982). The meaning and use of the area
   under a receiver operating characteristic (ROC) curve. Radiology 143(1), 29-36.
.. [3] Conover, W. J. (1999). Practical Nonparametric Statistics, 3rd ed.,
   section 3.2 (distribution-free confidence interval for a quantile).
.. [4] Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery
   rate. JRSS B 57(1), 289-300.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...clean import Prepared
from ...findings import AreaResult, Figure, Finding, not_assessed
from ...linking import NAT as _NAT
from ...linking import (
    RESPONSE_WINDOW_DAYS,
    data_end_date,
    invitation_first_response,
    match_invitations,
    matched_frame,
    on_time_grid,
)
from ...linking import account_rows as _account_rows
from ...linking import as_ns as _ns

__all__ = [
    "diagnose",
    "data_end_date",
    "wilson_interval",
    "median_ci",
    "auc_hanley_mcneil",
    "follow_up_latency",
    "follow_up_summary",
    "latency_band",
    "follow_up_churn",
    "follow_up_churn_model",
    "score_age_bands",
    "staleness_model",
    "stale_after_months",
    "match_invitations",
    "response_rates",
    "response_rate_trend",
    "response_latency",
    "AGE_BANDS_MONTHS",
    "RESPONSE_WINDOW_DAYS",
]

#: Age bands (months between response and account outcome) for score staleness.
AGE_BANDS_MONTHS: tuple[float, ...] = (0, 3, 6, 12, math.inf)
#: Share of followed-up detractors allowed beyond the SLA before it is called slow (an 80 % SLA target).
LATE_TOLERANCE: float = 0.20
#: Share of detractors allowed never to be followed up before it is a finding.
NEVER_TOLERANCE: float = 0.05
#: Invitation-to-response latency: a median above this many days is slow...
LATENCY_MEDIAN_DAYS: float = 3
#: ...and so is more than LATENCY_LONG_SHARE of responses arriving after LATENCY_LONG_DAYS.
LATENCY_LONG_DAYS: float = 7
LATENCY_LONG_SHARE: float = 0.25
DAYS_PER_MONTH = 365.25 / 12
DAYS_PER_YEAR = 365.25
STATUS_ORDER = ("within_sla", "late", "never", "open", "invalid")


# --------------------------------------------------------------------------- small statistics


def wilson_interval(count, nobs, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion, vectorised; NaN where ``nobs`` is 0.

    Parameters
    ----------
    count, nobs : array-like
        Successes and trials.
    confidence : float

    Returns
    -------
    (low, high) : arrays of proportions (0-1)

    Notes
    -----
    statsmodels ``proportion_confint(method="wilson")`` (Wilson 1927).

    Examples
    --------
    >>> lo, hi = wilson_interval(5, 20)
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.1119, 0.4687)
    """
    from ...stats.proportions import wilson_interval as wilson

    return wilson(np.atleast_1d(np.asarray(count, dtype=float)), np.atleast_1d(np.asarray(nobs, dtype=float)),
                  confidence)


def median_ci(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Median with a distribution-free (order-statistic) confidence interval.

    Parameters
    ----------
    values : array-like
        NaN values are ignored.
    confidence : float

    Returns
    -------
    (median, low, high) : floats; the bounds are NaN when the sample is too
    small for the requested confidence (fewer than 6 values at 95 %).

    Notes
    -----
    The interval is ``(x_(l), x_(n-l+1))`` with ``l`` the smallest integer for
    which ``P(B <= l) >= alpha/2``, ``B ~ Binomial(n, 1/2)``; its coverage is
    at least the nominal one (Conover 1999, section 3.2).

    Examples
    --------
    >>> median_ci(range(1, 11))
    (5.5, 2.0, 9.0)
    """
    x = np.sort(np.asarray(pd.to_numeric(pd.Series(values), errors="coerce").dropna(), dtype=float))
    return _median_ci_sorted(x, confidence)


def _median_ci_sorted(x: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """:func:`median_ci` of values already sorted, without missing values."""
    n = len(x)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    med = float(np.median(x))
    alpha = 1 - confidence
    lo_idx = int(stats.binom.ppf(alpha / 2, n, 0.5))
    if lo_idx < 1 or stats.binom.cdf(lo_idx - 1, n, 0.5) > alpha / 2:
        return (med, math.nan, math.nan)
    return (med, float(x[lo_idx - 1]), float(x[n - lo_idx]))


def auc_hanley_mcneil(score, churned, confidence: float = 0.95) -> dict[str, float]:
    """AUC of the score for retention (low score = churn) with the Hanley-McNeil interval.

    Parameters
    ----------
    score : array-like of float
    churned : array-like of bool
    confidence : float

    Returns
    -------
    dict
        ``auc`` (probability that a retained account's score is above a churned
        one's, ties counting one half; 0.5 = no association), ``se``,
        ``ci_low``, ``ci_high`` (clipped to 0-1), ``n_churned``, ``n_retained``.

    Notes
    -----
    The AUC is the Mann-Whitney U statistic divided by ``n1 * n0``. Its
    standard error is Hanley & McNeil's (1982):
    ``SE^2 = [A(1-A) + (n1-1)(Q1-A^2) + (n0-1)(Q2-A^2)] / (n1 n0)`` with
    ``Q1 = A/(2-A)``, ``Q2 = 2A^2/(1+A)``, ``n1`` the retained and ``n0`` the
    churned.

    Examples
    --------
    >>> round(auc_hanley_mcneil([9, 8, 3, 2], [False, False, True, True])["auc"], 2)
    1.0
    """
    s = np.asarray(score, dtype=float)
    ch = pd.array(churned, dtype="boolean")
    c = np.asarray(ch.fillna(False), dtype=bool)
    ok = ~np.isnan(s) & ~np.asarray(ch.isna(), dtype=bool)
    s, c = s[ok], c[ok]
    n0 = int(c.sum())  # churned
    n1 = len(s) - n0  # "positive" = retained: higher score expected
    out = {"auc": math.nan, "se": math.nan, "ci_low": math.nan, "ci_high": math.nan,
           "n_churned": int(n0), "n_retained": int(n1)}
    if n1 == 0 or n0 == 0:
        return out
    # U from counts per distinct score (O(n) for a scale of 11 values): each retained account beats the churned
    # ones with a lower score and ties with the churned ones with the same score (half each)
    codes, uniq = pd.factorize(s)
    rank = np.empty(len(uniq), dtype="int64")
    rank[np.argsort(uniq, kind="stable")] = np.arange(len(uniq))
    v = rank[codes]
    neg = np.bincount(v[c], minlength=len(uniq)).astype(float)
    pos = np.bincount(v[~c], minlength=len(uniq)).astype(float)
    below = np.cumsum(neg) - neg
    u = float(np.sum(pos * (below + neg / 2)))
    a = float(u / (n1 * n0))
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0)
    se = math.sqrt(max(var, 0.0))
    z = stats.norm.ppf(0.5 + confidence / 2)
    out.update(auc=a, se=se, ci_low=max(0.0, a - z * se), ci_high=min(1.0, a + z * se))
    return out


def _binom_greater(k: int, n: int, p0: float) -> float:
    """One-sided exact binomial p-value for H1: p > p0 (1.0 when n == 0)."""
    if n <= 0:
        return 1.0
    return float(stats.binomtest(int(k), int(n), p0, alternative="greater").pvalue)


def _fit_logit(y: np.ndarray, X: pd.DataFrame, groups=None, cluster_name: str = "account", patterns=None):
    """Logistic regression, cluster-robust by ``groups`` when there are enough clusters.

    Fitted by :func:`._util.logit_fit` on the distinct covariate patterns
    (binomial counts) when there are few of them, else on the rows: the same
    estimates and (model-based or CRV1 cluster-robust) covariance as
    statsmodels ``Logit`` on the rows. ``groups`` holds cluster labels or
    integer codes per row (missing values form one cluster). ``patterns``:
    arrays whose distinct value combinations are the covariate patterns
    (default: the columns of ``X``), or False to fit on the rows.

    Returns ``(result, covariance label)`` or ``(None, reason)``; never raises.
    """
    from ...stats.regression import logit_fit_rows

    y = np.asarray(y, dtype=float)
    if len(y) < 10 or y.min() == y.max():
        return None, "too few observations or only one outcome"
    for col in X.columns:
        if col != "const" and np.nanstd(X[col].to_numpy(dtype=float)) == 0:
            return None, f"no variation in {col}"
    kind = "model-based"
    codes = None
    if groups is not None:
        codes, n_uniq = _cluster_codes(groups)
        if 20 <= n_uniq < len(y):
            kind = f"cluster-robust by {cluster_name}"
        else:
            codes = None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            res = logit_fit_rows(X, y, groups=codes, patterns=patterns, maxiter=200)
        except Exception as exc:  # noqa: BLE001 - singular / separated data must not stop the report
            return None, f"the model could not be fitted ({type(exc).__name__})"
    if not res.converged or not np.all(np.isfinite(np.asarray(res.bse))):
        return None, "the model did not converge (the outcome may be perfectly separated)"
    return res, kind


def _cluster_codes(groups) -> tuple[np.ndarray, int]:
    """Integer cluster codes (missing = -1, its own cluster) and the number of non-missing clusters.

    Integer codes (e.g. from ``pandas.factorize``) are used as they are;
    anything else is factorized.
    """
    g = groups.to_numpy() if isinstance(groups, pd.Series) else np.asarray(groups)
    if g.dtype.kind in "iu" and len(g) and g.min() >= -1 and g.max() < 4 * len(g) + 16:
        g = g.astype("int64", copy=False)
        return g, int(np.count_nonzero(np.bincount(g[g >= 0]))) if (g >= 0).any() else 0
    codes, uniq = pd.factorize(pd.Series(groups) if not isinstance(groups, pd.Series) else groups)
    return codes, len(uniq)


def _terms(res, labels: dict[str, str], confidence: float) -> pd.DataFrame:
    """Odds ratios with intervals of a fitted Logit for the named terms."""
    ci = np.asarray(res.conf_int(alpha=1 - confidence))
    names = list(res.params.index)
    rows = []
    for key, label in labels.items():
        i = names.index(key)
        rows.append({"term": label, "odds_ratio": float(np.exp(res.params.iloc[i])),
                     "ci_low": float(np.exp(ci[i, 0])), "ci_high": float(np.exp(ci[i, 1])),
                     "p_value": float(res.pvalues.iloc[i])})
    return pd.DataFrame(rows)


def _period_label(dates: pd.Series, freq: str) -> pd.Series:
    """Calendar period labels (``2024-03``, ``2024Q1``, or week start) of datetimes."""
    f = {"M": "M", "Q": "Q", "W": "W"}.get(freq, "M")
    p = dates.dt.to_period(f)
    if f == "W":
        return p.dt.start_time.dt.strftime("%Y-%m-%d").astype("string")
    return p.astype("string")


# --------------------------------------------------------------------------- follow-up


def follow_up_latency(
    data: pd.DataFrame,
    responded: str = "responded_at",
    followed: str = "followed_up_at",
    sla_days: float = 7,
    end: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Days from response to follow-up and a follow-up status for each response.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    responded, followed : str
        Datetime columns; ``followed`` may be absent (then nothing is followed up).
    sla_days : float
        The follow-up SLA in days.
    end : Timestamp, optional
        The end of the data (default: the latest date in the two columns).

    Returns
    -------
    DataFrame
        A copy of ``data`` with ``latency_days`` (float, NaN when not followed
        up or dated before the response), ``age_days`` (days from response to
        ``end``) and ``follow_up_status``: ``within_sla`` (followed up within
        the SLA), ``late`` (followed up after it), ``open`` (not followed up
        yet, responded less than the SLA before ``end``: right-censored),
        ``never`` (not followed up although the SLA has passed) or ``invalid``
        (follow-up dated before the response, or no response date).

    Examples
    --------
    >>> d = pd.DataFrame({"responded_at": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01"]),
    ...                   "followed_up_at": pd.to_datetime(["2024-01-03", None, None])})
    >>> follow_up_latency(d, sla_days=7, end="2024-02-03")["follow_up_status"].tolist()
    ['within_sla', 'never', 'open']
    """
    out = data.copy(deep=False)  # copy-on-write: the new columns never touch ``data``
    r = pd.to_datetime(out[responded])
    f = pd.to_datetime(out[followed]) if followed in out else pd.Series(pd.NaT, index=out.index, dtype=r.dtype)
    if end is None:
        end = pd.concat([r, f]).max()
    end = pd.Timestamp(end)
    lat = (f - r).dt.total_seconds() / 86400
    age = (end - r).dt.total_seconds() / 86400
    has_f = f.notna().to_numpy()
    latv = lat.to_numpy(dtype=float, na_value=np.nan)
    agev = age.to_numpy(dtype=float, na_value=np.nan)
    labels = ["invalid", "within_sla", "late", "open", "never"]
    code = np.select(
        [r.isna().to_numpy(), has_f & (latv < 0), has_f & (latv <= sla_days), has_f, agev < sla_days],
        [0, 0, 1, 2, 3], default=4).astype("int8")
    out["latency_days"] = np.where(has_f & (latv >= 0), latv, np.nan)
    out["age_days"] = agev
    out["follow_up_status"] = pd.Series(_strings(labels, code), index=out.index)
    return out


def _strings(labels: list[str], codes: np.ndarray):
    """``labels[codes]`` as a "string" array, built by one Arrow take rather than a Python string per row."""
    try:
        import pyarrow as pa

        return pd.arrays.ArrowStringArray(pa.array(labels, type=pa.large_string()).take(pa.array(codes)))
    except Exception:  # noqa: BLE001 - no (or an older) pyarrow: the plain construction
        return pd.array(np.asarray(labels, dtype=object)[codes], dtype="string")


def _text_group_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(values.astype("string").fillna("(none)"), sort=True)``, converting only the distinct values.

    The column is factorized as it is (a categorical gives its codes), its few
    distinct values are written as text, and values that read the same (and
    missing values, as ``(none)``) become one sorted label.
    """
    codes, uniq = pd.factorize(values)
    codes = np.asarray(codes, dtype="int64")
    text = pd.Series(uniq).astype("string")
    missing = bool((codes < 0).any())
    if missing:
        text = pd.concat([text, pd.Series(["(none)"], dtype="string")], ignore_index=True)
    c2, labels = pd.factorize(text.array, sort=True)
    c2 = np.asarray(c2, dtype="int64")
    return (c2[codes] if len(c2) else codes), pd.Index(labels)


def follow_up_summary(
    data: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    status: str = "follow_up_status",
    latency: str = "latency_days",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Follow-up latency and coverage, overall or per group.

    Parameters
    ----------
    data : DataFrame
        Output of :func:`follow_up_latency` (usually detractors only).
    by : str or list of str, optional
        Grouping columns (e.g. ``"owner"`` or a month column); missing values
        form a ``(none)`` group.
    status, latency : str
        Columns written by :func:`follow_up_latency`.
    confidence : float

    Returns
    -------
    DataFrame
        One row per group: the ``by`` columns, ``n``, ``followed_up``,
        ``within_sla``, ``late``, ``never``, ``open``, ``invalid``,
        ``n_closed`` (n minus open and invalid: the responses whose outcome is
        known), ``median_days`` with ``median_ci_low``/``median_ci_high``
        (followed-up responses; order-statistic interval), ``share_within_sla``,
        ``share_never`` (of ``n_closed``) and ``share_late`` (of followed up),
        each with Wilson ``*_ci_low``/``*_ci_high``.

    Examples
    --------
    >>> d = pd.DataFrame({"follow_up_status": ["within_sla", "late", "never", "open"],
    ...                   "latency_days": [2.0, 9.0, None, None]})
    >>> follow_up_summary(d)[["n", "n_closed", "share_never"]].round(3).values.tolist()
    [[4.0, 3.0, 0.333]]
    """
    by_cols = [by] if isinstance(by, str) else list(by or [])
    # groups (sorted labels, missing = "(none)"), status and latency as integer codes and arrays: one pass each
    grp = np.zeros(len(data), dtype="int64")
    labels: list[np.ndarray] = []
    for c in by_cols:
        codes, uniq = _text_group_codes(data[c])
        grp = grp * max(len(uniq), 1) + codes
        labels.append(np.asarray(uniq, dtype=object))
    if by_cols:
        present, grp = np.unique(grp, return_inverse=True)
    else:
        present = np.zeros(1, dtype="int64")
    n_groups = len(present)
    sc, su = pd.factorize(data[status].astype("string"))
    st_idx = np.array([STATUS_ORDER.index(v) if v in STATUS_ORDER else len(STATUS_ORDER) for v in su], dtype="int64")
    st = np.where(sc >= 0, st_idx[np.maximum(sc, 0)] if len(su) else len(STATUS_ORDER), len(STATUS_ORDER))
    k = len(STATUS_ORDER) + 1
    counts = np.bincount(grp * k + st, minlength=n_groups * k).reshape(n_groups, k)
    sizes = np.bincount(grp, minlength=n_groups)
    lat = pd.to_numeric(data[latency], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    ok = ~np.isnan(lat)
    order = np.lexsort((lat[ok], grp[ok]))
    lat_sorted, bounds = lat[ok][order], np.concatenate([[0], np.cumsum(np.bincount(grp[ok], minlength=n_groups))])
    rows = []
    for i in range(n_groups):
        key, rest = [], int(present[i])
        for lab in reversed(labels):
            rest, j = divmod(rest, max(len(lab), 1))
            key.insert(0, lab[j])
        c = {s: int(counts[i, j]) for j, s in enumerate(STATUS_ORDER)}
        med, lo, hi = _median_ci_sorted(lat_sorted[bounds[i]:bounds[i + 1]], confidence)
        row = dict(zip(by_cols, key, strict=True))
        row.update(n=int(sizes[i]), followed_up=c["within_sla"] + c["late"], **c)
        row["n_closed"] = int(sizes[i]) - c["open"] - c["invalid"]
        row.update(median_days=med, median_ci_low=lo, median_ci_high=hi)
        rows.append(row)
    cols = [*by_cols, "n", "followed_up", *STATUS_ORDER, "n_closed", "median_days", "median_ci_low",
            "median_ci_high"]
    out = pd.DataFrame(rows, columns=cols)
    for name, num, den in (("within_sla", "within_sla", "n_closed"), ("never", "never", "n_closed"),
                           ("late", "late", "followed_up")):
        k, n = out[num].to_numpy(float), out[den].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"share_{name}"] = np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)
        lo, hi = wilson_interval(k, n, confidence)
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = lo, hi
    return out


def latency_band(status: pd.Series, latency: pd.Series, sla_days: float) -> pd.Series:
    """Follow-up latency band: within SLA, SLA-2xSLA, beyond 2xSLA, never (NaN for open/invalid).

    Returns
    -------
    Series of ordered categorical labels such as ``"within SLA (<= 7 d)"``,
    ``"7-14 d"``, ``"> 14 d"``, ``"never"``.
    """
    labels = _band_labels(sla_days)
    lat = pd.to_numeric(latency, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    st = status.astype("string").to_numpy(dtype=object, na_value=None)
    code = np.select([st == "within_sla", (st == "late") & (lat <= 2 * sla_days), st == "late", st == "never"],
                     [0, 1, 2, 3], default=-1)
    return pd.Series(pd.Categorical.from_codes(code, categories=labels, ordered=True), index=status.index)


def _band_labels(sla_days: float) -> list[str]:
    return [f"within SLA (<= {sla_days:g} d)", f"{sla_days:g}-{2 * sla_days:g} d", f"> {2 * sla_days:g} d",
            "never"]


def follow_up_churn(
    data: pd.DataFrame,
    band: str = "band",
    churned: str = "churned",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Churn rate per follow-up latency band, with Wilson intervals.

    Parameters
    ----------
    data : DataFrame
        Detractor responses with a band column (:func:`latency_band`) and a
        boolean churn column; rows without either are ignored.
    band, churned : str
    confidence : float

    Returns
    -------
    DataFrame
        ``band``, ``band_code`` (0 = fastest), ``n``, ``churned``,
        ``churn_rate``, ``ci_low``, ``ci_high``; bands without responses are
        left out.

    Examples
    --------
    >>> d = pd.DataFrame({"band": pd.Categorical(["a", "a", "b"], categories=["a", "b"], ordered=True),
    ...                   "churned": [False, True, True]})
    >>> follow_up_churn(d)[["band", "n", "churn_rate"]].values.tolist()
    [['a', 2, 0.5], ['b', 1, 1.0]]
    """
    d = data[data[band].notna() & data[churned].notna()]
    cats = list(d[band].cat.categories) if isinstance(d[band].dtype, pd.CategoricalDtype) else sorted(d[band].unique())
    rows = []
    for code, label in enumerate(cats):
        g = d[d[band] == label]
        if len(g) == 0:
            continue
        k = int(g[churned].astype(bool).sum())
        rows.append({"band": label, "band_code": code, "n": len(g), "churned": k, "churn_rate": k / len(g)})
    out = pd.DataFrame(rows, columns=["band", "band_code", "n", "churned", "churn_rate"])
    lo, hi = wilson_interval(out["churned"], out["n"], confidence)
    out["ci_low"], out["ci_high"] = lo, hi
    return out


def follow_up_churn_model(
    data: pd.DataFrame,
    band_code: str = "band_code",
    score: str = "score",
    churned: str = "churned",
    cluster: str | None = "account_id",
    confidence: float = 0.95,
) -> tuple[pd.DataFrame, str]:
    """Logistic regression of churn on follow-up latency band (ordinal) controlling for the score.

    Parameters
    ----------
    data : DataFrame
        Detractor responses with an integer band code (0 within SLA ... 3
        never), the score and a boolean churn column.
    band_code, score, churned : str
    cluster : str, optional
        Column to cluster standard errors on (several responses of one
        account are not independent); model-based errors when absent or with
        fewer than 20 clusters.
    confidence : float

    Returns
    -------
    (DataFrame, str)
        ``term``, ``odds_ratio``, ``ci_low``, ``ci_high``, ``p_value``, ``n``,
        ``n_churned`` for the band step and the score (empty when the model
        cannot be fitted), and the covariance used or the reason it failed.

    Notes
    -----
    ``logit P(churn) = b0 + b1 * band_code + b2 * score``; ``exp(b1)`` is the
    odds ratio of churn per step slower (within SLA -> SLA to 2xSLA -> beyond
    -> never). statsmodels ``Logit``. An association, not proof of cause:
    accounts that are hard to reach may be at risk anyway.
    """
    d = data[[c for c in {band_code, score, churned, cluster} if c and c in data]].dropna(
        subset=[band_code, score, churned])
    d = d[d[band_code] >= 0]
    cols = ["term", "odds_ratio", "ci_low", "ci_high", "p_value", "n", "n_churned"]
    X = pd.DataFrame({"const": 1.0, "band": d[band_code].astype(float), "score": d[score].astype(float)},
                     index=d.index)
    if X["score"].std() == 0 or len(X) < 3:
        X = X.drop(columns="score")
    groups = d[cluster] if cluster and cluster in d else None
    res, kind = _fit_logit(d[churned].astype(bool).to_numpy(), X, groups)
    if res is None:
        return pd.DataFrame(columns=cols), kind
    labels = {"band": "follow-up band (per step slower)"}
    if "score" in X:
        labels["score"] = "score (per point)"
    out = _terms(res, labels, confidence)
    out["n"] = len(d)
    out["n_churned"] = int(d[churned].astype(bool).sum())
    return out[cols], kind


# --------------------------------------------------------------------------- staleness


def score_age_bands(
    data: pd.DataFrame,
    score: str = "score",
    churned: str = "churned",
    age_months: str = "score_age_months",
    bands: Sequence[float] = AGE_BANDS_MONTHS,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Association between score and churn per band of score age at the outcome date.

    Parameters
    ----------
    data : DataFrame
        Responses linked to their account's outcome: score, boolean churn and
        the age of the score (months from response to outcome, >= 0).
    score, churned, age_months : str
    bands : sequence of float
        Band edges in months, left-closed (``[0, 3)``, ``[3, 6)``...).
    confidence : float

    Returns
    -------
    DataFrame
        ``band``, ``months_from``, ``months_to``, ``n``, ``n_churned``,
        ``churn_rate``, ``auc`` with ``auc_ci_low``/``auc_ci_high`` (Hanley &
        McNeil 1982; 0.5 = no association), ``odds_ratio_per_point`` with
        ``or_ci_low``/``or_ci_high`` and ``p_value`` (univariate logistic
        regression of churn on score in the band; an odds ratio below 1 means
        higher scores churn less).

    Examples
    --------
    >>> d = pd.DataFrame({"score": [9, 2, 8, 3], "churned": [False, True, False, True],
    ...                   "score_age_months": [1, 1, 2, 8]})
    >>> score_age_bands(d)[["band", "n", "auc"]].values.tolist()
    [['0-3 months', 3, 1.0], ['6-12 months', 1, nan]]
    """
    d = data[[score, churned, age_months]].dropna()
    d = d[d[age_months] >= 0]
    rows = []
    for lo, hi in zip(bands[:-1], bands[1:], strict=True):
        g = d[(d[age_months] >= lo) & (d[age_months] < hi)]
        if len(g) == 0:
            continue
        label = f"{lo:g}-{hi:g} months" if math.isfinite(hi) else f"{lo:g}+ months"
        y = g[churned].astype(bool)
        auc = auc_hanley_mcneil(g[score], y, confidence)
        row = {"band": label, "months_from": float(lo), "months_to": float(hi), "n": len(g),
               "n_churned": int(y.sum()), "churn_rate": float(y.mean()), "auc": auc["auc"],
               "auc_ci_low": auc["ci_low"], "auc_ci_high": auc["ci_high"], "odds_ratio_per_point": math.nan,
               "or_ci_low": math.nan, "or_ci_high": math.nan, "p_value": math.nan}
        res, _ = _fit_logit(y.to_numpy(), pd.DataFrame({"const": 1.0, "score": g[score].astype(float)}))
        if res is not None:
            t = _terms(res, {"score": "score"}, confidence).iloc[0]
            row.update(odds_ratio_per_point=t["odds_ratio"], or_ci_low=t["ci_low"], or_ci_high=t["ci_high"],
                       p_value=t["p_value"])
        rows.append(row)
    cols = ["band", "months_from", "months_to", "n", "n_churned", "churn_rate", "auc", "auc_ci_low",
            "auc_ci_high", "odds_ratio_per_point", "or_ci_low", "or_ci_high", "p_value"]
    return pd.DataFrame(rows, columns=cols)


def staleness_model(
    data: pd.DataFrame,
    score: str = "score",
    churned: str = "churned",
    age_months: str = "score_age_months",
    cluster: str | None = "account_id",
    confidence: float = 0.95,
) -> tuple[pd.DataFrame, str]:
    """Logistic regression of churn on score, score age and their interaction.

    Parameters
    ----------
    data : DataFrame
        As for :func:`score_age_bands`.
    score, churned, age_months : str
    cluster : str, optional
        Column to cluster standard errors on (e.g. ``account_id``).
    confidence : float

    Returns
    -------
    (DataFrame, str)
        ``term`` (score per point, age per year, score x age), ``odds_ratio``,
        ``ci_low``, ``ci_high``, ``p_value``, ``n`` (empty when the model cannot
        be fitted) and the covariance used or the reason it failed.

    Notes
    -----
    ``logit P(churn) = b0 + b1 s + b2 a + b3 s a`` with ``s`` the score
    centred on its mean and ``a`` the age in years. With ``b1 < 0`` (higher
    scores churn less), ``b3 > 0`` means the score's association with churn
    weakens as the score ages: the odds ratio per point moves towards 1 by
    the factor ``exp(b3)`` for each year of age.
    """
    keep = [c for c in dict.fromkeys([score, churned, age_months, cluster]) if c and c in data]
    d = data[keep].dropna(subset=[score, churned, age_months])
    d = d[d[age_months] >= 0]
    s = d[score].astype(float) - d[score].astype(float).mean()
    a = d[age_months].astype(float) / 12
    X = pd.DataFrame({"const": 1.0, "score": s, "age": a, "score_x_age": s * a}, index=d.index)
    groups = d[cluster] if cluster and cluster in d else None
    # score age is continuous: (almost) every row is its own covariate pattern, so fit on the rows
    res, kind = _fit_logit(d[churned].astype(bool).to_numpy(), X, groups, patterns=False)
    cols = ["term", "odds_ratio", "ci_low", "ci_high", "p_value", "n"]
    if res is None:
        return pd.DataFrame(columns=cols), kind
    out = _terms(res, {"score": "score (per point, at mean age)", "age": "score age (per year)",
                       "score_x_age": "score x age (per point per year)"}, confidence)
    out["n"] = len(d)
    return out[cols], kind


def stale_after_months(bands: pd.DataFrame) -> float | None:
    """The score age (months) from which the score no longer predicts churn.

    The lower edge of the first age band whose AUC interval includes 0.5 when
    every younger band's interval lies above 0.5 and every older band's
    includes 0.5 (or the band is empty). None when the youngest band does not
    predict either, or every band does.

    Parameters
    ----------
    bands : DataFrame
        Output of :func:`score_age_bands`.
    """
    b = bands.dropna(subset=["auc_ci_low"]).sort_values("months_from")
    if b.empty or not b["auc_ci_low"].iloc[0] > 0.5:
        return None
    predictive = (b["auc_ci_low"] > 0.5).to_numpy()
    for i in range(1, len(b)):
        if not predictive[i] and not predictive[i:].any():
            return float(b["months_from"].iloc[i])
    return None


# --------------------------------------------------------------------------- response rates


def _complete_mask(t: np.ndarray, window_days: float, end: pd.Timestamp | None) -> np.ndarray:
    """Invitations (int64 ns send times) whose whole response window lies before ``end`` (the rest are censored)."""
    ok = t != _NAT
    if end is not None:
        ok &= t <= (pd.Timestamp(end) - pd.Timedelta(days=window_days)).value
    return ok


def _answered(d: pd.DataFrame, window_days: float) -> np.ndarray:
    """Answered within the window (a missing latency with ``responded`` counts as answered)."""
    lat = pd.to_numeric(d["response_latency_days"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    resp = d["responded"].to_numpy(dtype=bool, na_value=False)
    with np.errstate(invalid="ignore"):
        return resp & (np.isnan(lat) | (lat <= window_days))


def _period_keys(t: np.ndarray, freq: str) -> np.ndarray:
    """Integer calendar-period keys of int64 nanosecond datetimes (months, quarters or Monday weeks since 1970)."""
    v = t.view("datetime64[ns]")
    if freq == "W":
        return (v.astype("datetime64[D]").view("int64") + 3) // 7  # 1970-01-01 was a Thursday
    m = v.astype("datetime64[M]").view("int64")
    return m // 3 if freq == "Q" else m


def _period_starts(keys: np.ndarray, freq: str) -> pd.DatetimeIndex:
    """First instant of each period key of :func:`_period_keys`."""
    k = np.asarray(keys, dtype="int64")
    if freq == "W":
        v = (k * 7 - 3).astype("datetime64[D]")
    else:
        v = (k * 3 if freq == "Q" else k).astype("datetime64[M]")
    return pd.DatetimeIndex(v.astype("datetime64[ns]"))


def _period_label_fast(dates: pd.Series, freq: str) -> pd.Series:
    """:func:`_period_label` computed once per distinct period (NaT stays missing)."""
    f = {"M": "M", "Q": "Q", "W": "W"}.get(freq, "M")
    t = _ns(dates)
    ok = t != _NAT
    keys = np.where(ok, _period_keys(np.where(ok, t, 0), f), np.iinfo("int64").max)
    codes, uniq = pd.factorize(keys)
    labels = _period_label(pd.Series(_period_starts(np.where(uniq == np.iinfo("int64").max, 0, uniq), f)), f)
    labels = labels.to_numpy(dtype=object)
    labels[uniq == np.iinfo("int64").max] = None
    return pd.Series(pd.array(labels[codes], dtype="string"), index=dates.index)


def response_rates(
    matched: pd.DataFrame,
    invited: str = "invited_at",
    period: str = "M",
    window_days: float = RESPONSE_WINDOW_DAYS,
    end: pd.Timestamp | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Response rate per calendar period of invitation, with Wilson intervals.

    Parameters
    ----------
    matched : DataFrame
        Output of :func:`match_invitations`.
    invited : str
    period : {"M", "Q", "W"}
    window_days : float
        An invitation counts as answered when a response follows within it.
    end : Timestamp, optional
        End of the data: invitations sent less than ``window_days`` before it
        are left out (their outcome is not known yet).
    confidence : float

    Returns
    -------
    DataFrame
        ``period``, ``period_start``, ``invited``, ``responded``,
        ``response_rate``, ``ci_low``, ``ci_high``.
    """
    cols = ["period", "period_start", "invited", "responded", "response_rate", "ci_low", "ci_high"]
    f = {"M": "M", "Q": "Q", "W": "W"}.get(period, "M")
    t = _ns(matched[invited])
    ok = _complete_mask(t, window_days, end)
    if end is not None and ok.any():
        # whole periods only: the period in which the complete window ends would be a partial point
        cutoff = pd.Timestamp(end) - pd.Timedelta(days=window_days)
        last = cutoff.to_period(f)
        if cutoff < last.end_time.floor("D"):
            ok &= t < last.start_time.value
    if not ok.any():
        return pd.DataFrame(columns=cols)
    keys = _period_keys(t[ok], f)
    present = np.bincount(keys - keys.min()) > 0  # periods are few: count rather than sort
    uniq = np.flatnonzero(present) + keys.min()
    idx = (np.cumsum(present) - 1)[keys - keys.min()]
    answered = _answered(matched, window_days)[ok]
    out = pd.DataFrame({"invited": np.bincount(idx, minlength=len(uniq)),
                        "responded": np.bincount(idx, weights=answered, minlength=len(uniq)).astype(int)})
    out["period_start"] = _period_starts(uniq, f)
    out["period"] = _period_label(pd.Series(out["period_start"]), f).to_numpy()
    out["response_rate"] = out["responded"] / out["invited"]
    lo, hi = wilson_interval(out["responded"], out["invited"], confidence)
    out["ci_low"], out["ci_high"] = lo, hi
    return out[cols]


def response_rate_trend(
    matched: pd.DataFrame,
    invited: str = "invited_at",
    cluster: str | None = "respondent_id",
    window_days: float = RESPONSE_WINDOW_DAYS,
    end: pd.Timestamp | None = None,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Trend of the response rate over time: logistic regression of answered on time.

    Parameters
    ----------
    matched : DataFrame
        Output of :func:`match_invitations`.
    invited : str
    cluster : str, optional
        Column to cluster standard errors on (invitations of one respondent
        are not independent).
    window_days : float
    end : Timestamp, optional
        As for :func:`response_rates`.
    confidence : float

    Returns
    -------
    dict
        ``n``, ``n_responded``, ``years`` (span of the data), ``rate_start``
        and ``rate_end`` (fitted at the first and last invitation),
        ``change_points_per_year`` (average marginal effect of time, in
        percentage points per year) with ``ci_low``/``ci_high``,
        ``odds_ratio_per_year``, ``p_value``; ``reason`` when it cannot be
        estimated (then the estimates are NaN).

    Notes
    -----
    ``logit P(answered) = b0 + b1 * years since the first invitation``,
    fitted on the binomial counts per distinct invitation time (the same
    maximum-likelihood estimates as a per-invitation ``Logit``; errors
    clustered by respondent as statsmodels' CRV1); the change per year is the
    average marginal effect ``mean(p(1-p)) * b1`` with its delta-method
    interval (as statsmodels ``get_margeff(at="overall")``).
    """
    ti = _ns(matched[invited])
    ok = _complete_mask(ti, window_days, end)
    n = int(ok.sum())
    out: dict[str, Any] = {"n": n, "n_responded": 0, "years": math.nan, "rate_start": math.nan,
                           "rate_end": math.nan, "change_points_per_year": math.nan, "ci_low": math.nan,
                           "ci_high": math.nan, "odds_ratio_per_year": math.nan, "p_value": math.nan,
                           "reason": None}
    if n == 0:
        out["reason"] = "no invitation with a complete response window"
        return out
    y = _answered(matched, window_days)[ok]
    ti = ti[ok]
    t = ((ti - ti.min()) / 1e9) / 86400 / DAYS_PER_YEAR  # total seconds, then years (as Timedelta.total_seconds)
    out.update(n_responded=int(y.sum()), years=float(t.max()))
    groups = matched[cluster].to_numpy()[ok] if cluster and cluster in matched else None
    res, kind = _fit_logit(y, pd.DataFrame({"const": 1.0, "years": t}), groups, cluster_name="respondent",
                           patterns=[on_time_grid(ti - ti.min())])
    if res is None:
        out["reason"] = kind
        return out
    b0, b1 = float(res.params.iloc[0]), float(res.params.iloc[1])
    me, se = res.average_marginal_effect("years")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    change, lo, hi = me * 100, (me - z * se) * 100, (me + z * se) * 100
    out.update(rate_start=float(1 / (1 + math.exp(-b0))), rate_end=float(1 / (1 + math.exp(-(b0 + b1 * t.max())))),
               change_points_per_year=change, ci_low=lo, ci_high=hi, odds_ratio_per_year=math.exp(b1),
               p_value=float(res.pvalues.iloc[1]), covariance=kind)
    return out


def response_latency(
    data: pd.DataFrame,
    latency: str = "response_latency_days",
    confidence: float = 0.95,
    median_days: float = LATENCY_MEDIAN_DAYS,
    long_days: float = LATENCY_LONG_DAYS,
    long_share: float = LATENCY_LONG_SHARE,
) -> dict[str, Any]:
    """Distribution of the delay between invitation and response.

    Parameters
    ----------
    data : DataFrame
        One row per answered invitation (or response with its invitation
        date), with the latency in days; negative values are ignored.
    latency : str
    confidence : float
    median_days, long_days, long_share : float
        Thresholds: a median above ``median_days``, or more than
        ``long_share`` of responses after ``long_days``, is slow.

    Returns
    -------
    dict
        ``n``, ``median_days`` with ``median_ci_low``/``median_ci_high``,
        ``p75_days``, ``p90_days``, ``share_over_long`` with
        ``over_long_ci_low``/``over_long_ci_high``, ``p_median`` (one-sided
        sign test that the median exceeds ``median_days``) and ``p_long``
        (one-sided exact binomial test that the share after ``long_days``
        exceeds ``long_share``).

    Examples
    --------
    >>> r = response_latency(pd.DataFrame({"response_latency_days": [0, 1, 1, 2, 9]}))
    >>> r["median_days"], r["share_over_long"]
    (1.0, 0.2)
    """
    x = pd.to_numeric(data[latency], errors="coerce").dropna()
    x = x[x >= 0].to_numpy(dtype=float)
    n = len(x)
    med, lo, hi = median_ci(x, confidence)
    k_long = int((x > long_days).sum())
    lo2, hi2 = wilson_interval(k_long, n, confidence)
    return {"n": n, "median_days": med, "median_ci_low": lo, "median_ci_high": hi,
            "p75_days": float(np.percentile(x, 75)) if n else math.nan,
            "p90_days": float(np.percentile(x, 90)) if n else math.nan,
            "share_over_long": k_long / n if n else math.nan, "over_long_ci_low": float(lo2[0]),
            "over_long_ci_high": float(hi2[0]),
            "p_median": _binom_greater(int((x > median_days).sum()), int((x != median_days).sum()), 0.5),
            "p_long": _binom_greater(k_long, n, long_share), "long_days": long_days, "median_threshold": median_days}


# --------------------------------------------------------------------------- figures


def _add_figure(res: AreaResult, notes: list[str], make, *args) -> None:
    """Append a figure; a plotting failure on odd data becomes a note, never an exception."""
    try:
        res.figures.append(make(*args))
    except Exception as exc:  # noqa: BLE001 - a figure must never stop the report
        notes.append(f"A figure could not be drawn ({type(exc).__name__}: {exc}).")


def _fig_follow_up_ecdf(fu: pd.DataFrame, sla: float, never_share: float) -> Figure:
    from ...plots import CATEGORY_COLORS, figure

    fig, ax = figure(7.0, 3.6)
    xmax = 4 * max(sla, 1)
    for cat, ls, mk, label in (("detractor", "-", "o", "detractors"),
                               ("passive", "--", "s", "passives (followed up only)")):
        g = fu[fu["category"] == cat]
        if cat == "detractor":
            den = int((g["follow_up_status"].isin(["within_sla", "late", "never"])).sum())
        else:
            den = int(g["latency_days"].notna().sum())
        x = np.sort(g["latency_days"].dropna().to_numpy(dtype=float))
        if den == 0 or len(x) == 0:
            continue
        # the ECDF at its distinct values; beyond 600 of them, on a 600-point grid (the same curve at figure
        # resolution, and a figure of a summary rather than of every response)
        grid = np.unique(x) if len(x) <= 600 else np.linspace(0.0, float(x[-1]), 600)
        y = np.searchsorted(x, grid, side="right") / den
        xs, ys = np.concatenate([[0.0], grid]), np.concatenate([[0.0], y])
        ax.step(xs, ys * 100, where="post", ls=ls, color=CATEGORY_COLORS[cat], lw=2,
                label=f"{label} (n={den})", marker=mk, markevery=max(1, len(xs) // 8), ms=5)
        xmax = max(xmax, float(np.percentile(x, 95)) * 1.1)
    ax.axvline(sla, color="black", ls=":", lw=1.5)
    ax.text(sla, 102, f" SLA {sla:g} d", va="bottom", ha="left", fontsize=9)
    if never_share == never_share and never_share > 0:
        ax.axhline((1 - never_share) * 100, color="#666666", ls="-.", lw=1)
        ax.text(0.01 * xmax, (1 - never_share) * 100 + 1.5,
                f"ceiling: {never_share:.0%} of detractors never followed up", ha="left", va="bottom", fontsize=9)
    ax.set_xlim(0, xmax)
    ax.set_ylim(0, 108)
    ax.set_xlabel("days from response to follow-up")
    ax.set_ylabel("% followed up by then")
    ax.set_title("How fast are responses followed up?")
    ax.legend(loc="lower right", fontsize=9)
    return Figure("follow_up_ecdf", fig,
                  f"Share of responses followed up within a given number of days (ECDF); the dotted line is "
                  f"the {sla:g}-day SLA. The detractor curve levels off below 100% at the share never followed up "
                  f"(responses younger than the SLA are left out as still open).")


def _fig_churn_by_band(tab: pd.DataFrame) -> Figure:
    from ...plots import PALETTE, figure

    fig, ax = figure(6.5, 3.4)
    x = np.arange(len(tab))
    y = tab["churn_rate"].to_numpy(float) * 100
    err = np.clip(np.vstack([y - tab["ci_low"].to_numpy(float) * 100, tab["ci_high"].to_numpy(float) * 100 - y]),
                  0, None)
    ax.errorbar(x, y, yerr=err, fmt="o", color=PALETTE[5], ecolor="#333333", capsize=4, ms=7)
    for xi, yi in zip(x, y, strict=True):
        ax.annotate(f"{yi:.0f}%", (xi, yi), textcoords="offset points", xytext=(8, 0), va="center", fontsize=9)
    ax.set_xticks(x, [f"{b}\nn={n}" for b, n in zip(tab["band"], tab["n"], strict=True)])
    ax.set_ylabel("detractor accounts churned (%)")
    ax.set_xlabel("follow-up after the response")
    ax.set_xlim(-0.5, len(tab) - 0.5)
    ax.set_ylim(0, min(100, max(10.0, float(np.nanmax(tab["ci_high"])) * 100 * 1.15)))
    ax.set_title("Churn of detractors by follow-up speed")
    return Figure("churn_by_follow_up", fig,
                  "Churn rate of detractors' accounts by how fast the detractor was followed up, with 95% Wilson "
                  "intervals. An association, not proof of cause.")


def _fig_auc_by_age(tab: pd.DataFrame) -> Figure:
    from ...plots import PALETTE, figure

    fig, ax = figure(6.5, 3.4)
    t = tab.dropna(subset=["auc"]).reset_index(drop=True)
    x = np.arange(len(t))
    y = t["auc"].to_numpy(float)
    err = np.clip(np.nan_to_num(np.vstack([y - t["auc_ci_low"].to_numpy(float), t["auc_ci_high"].to_numpy(float) - y])),
                  0, None)
    ax.errorbar(x, y, yerr=err, fmt="D", color=PALETTE[0], ecolor="#333333", capsize=4, ms=7)
    ax.axhline(0.5, color="black", ls=":", lw=1.5)
    ax.text(-0.45, 0.49, "no association", ha="left", va="top", fontsize=9)
    ax.set_xticks(x, [f"{b}\nn={n}" for b, n in zip(t["band"], t["n"], strict=True)])
    ax.set_xlim(-0.5, max(len(t) - 0.5, 0.5))
    ax.set_ylim(min(0.3, float(np.nanmin(t["auc_ci_low"])) - 0.02) if len(t) else 0.3, 1.0)
    ax.set_ylabel("AUC of score for retention")
    ax.set_xlabel("age of the score at the renewal/churn date")
    ax.set_title("Do older scores still predict churn?")
    return Figure("auc_by_score_age", fig,
                  "How well the score separates churned from retained accounts (AUC, 95% Hanley-McNeil interval) "
                  "by the age of the score at the account's outcome date; 0.5 means the score tells nothing.")


def _fig_response_rate(rates: pd.DataFrame, trend: dict[str, Any], unit: str = "month") -> Figure:
    from ...plots import PALETTE, figure

    fig, ax = figure(7.0, 3.4)
    x = pd.to_datetime(rates["period_start"])
    y = rates["response_rate"].to_numpy(float) * 100
    ax.fill_between(x, rates["ci_low"].to_numpy(float) * 100, rates["ci_high"].to_numpy(float) * 100,
                    color=PALETTE[0], alpha=0.2, lw=0, label="95% interval")
    ax.plot(x, y, marker="o", color=PALETTE[0], lw=1.5, label="response rate")
    if trend.get("rate_start") == trend.get("rate_start") and len(x) > 1:
        ax.plot([x.iloc[0], x.iloc[-1]], [trend["rate_start"] * 100, trend["rate_end"] * 100], ls="--",
                color="black", lw=1.2, label="fitted trend")
    ax.set_ylabel("invitations answered (%)")
    ax.set_ylim(0, max(10.0, float(np.nanmax(rates["ci_high"])) * 100 * 1.15))
    ax.set_title(f"Response rate by {unit} of invitation")
    ax.legend(loc="upper right", fontsize=9)
    fig.autofmt_xdate()
    return Figure("response_rate_by_month", fig,
                  f"Share of invitations answered within the response window, by {unit} of invitation, with 95% "
                  "Wilson intervals and the fitted logistic trend.")


# --------------------------------------------------------------------------- the diagnosis


def _fmt_days(x: float) -> str:
    return "n/a" if x != x else f"{x:.0f}" if x >= 10 else f"{x:.1f}"


def _ci_days(lo: float, hi: float, pct: int = 95) -> str:
    return "" if lo != lo else f" ({pct}% CI {_fmt_days(lo)}-{_fmt_days(hi)})"


def _round(df: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].round(digits)
    return out


def _linked_responses(prep: Prepared) -> pd.DataFrame:
    """Analysed responses whose account has a known outcome, with the outcome (only the columns decay needs).

    ``account_id`` holds the account's integer code (row of the de-duplicated
    accounts table): it only serves as a cluster label and an account key.
    """
    r, acc = prep.responses, prep.accounts
    a_rows, at_u = _account_rows(prep)
    a = acc.iloc[a_rows]
    codes = np.asarray(prep.codes("account_id")[0], dtype=np.intp)
    pos = np.where(codes >= 0, at_u[np.maximum(codes, 0)] if len(at_u) else -1, -1)
    known = a["churned"].notna().to_numpy(dtype=bool)
    ok = pos >= 0
    ok[ok] = known[pos[ok]]
    rows = np.flatnonzero(ok)
    keep = [c for c in ("score", "category", "responded_at", "followed_up_at") if c in r]
    out = r[keep].take(rows).reset_index(drop=True)
    out["account_id"] = pos[rows]
    out["churned"] = a["churned"].take(pos[rows]).to_numpy(dtype=bool)
    if "outcome_at" in a:
        out["outcome_at"] = a["outcome_at"].take(pos[rows]).to_numpy()
    return out


def diagnose(prep: Prepared) -> AreaResult:
    """Diagnose the decay area of one client's NPS program.

    Parameters
    ----------
    prep : Prepared
        The client's data after :func:`npsdiag.clean.prepare`.

    Returns
    -------
    AreaResult
        Findings ``decay.slow_follow_up``, ``decay.no_follow_up``,
        ``decay.follow_up_effect``, ``decay.score_staleness``,
        ``decay.response_rate_trend`` and ``decay.response_latency``; every
        hypothesis test's p-value is adjusted across the area
        (Benjamini-Hochberg) before a finding fires.

    Notes
    -----
    Each part is assessed only when its inputs exist (follow-up dates,
    account outcomes, outcome dates, invitations); the others are named in
    the notes. Nothing here raises on odd data: parts that cannot be
    estimated degrade to a note.
    """
    from statsmodels.stats.multitest import multipletests

    s = prep.settings
    conf = float(s.confidence)
    alpha = 1 - conf
    sla = float(s.follow_up_sla_days)
    r = prep.responses
    end = data_end_date(prep)
    res = AreaResult(area="decay")
    notes: list[str] = []
    tests: dict[str, float] = {}  # test key -> raw p-value
    ctx: dict[str, dict[str, Any]] = {}

    acc = prep.accounts
    has_outcomes = (acc is not None and "churned" in acc and "account_id" in acc and "account_id" in r
                    and acc["churned"].notna().any())
    has_fu = "followed_up_at" in r and len(r) > 0
    inv = prep.invitations
    has_inv = inv is not None and "invited_at" in inv and inv["invited_at"].notna().any()
    has_lat = has_inv or ("invited_at" in r and r["invited_at"].notna().any())
    has_age = has_outcomes and "outcome_at" in acc and acc["outcome_at"].notna().any()
    if r.empty or not (has_fu or has_lat or has_age):
        return not_assessed("decay", "needs follow-up dates (responses.followed_up_at), invitation dates "
                                     "(invitations or responses.invited_at) or account outcomes with dates")

    # the invitations' match first, while little else is in memory (its temporaries are the largest)
    in_period, core = None, None
    if has_inv:
        if s.period:
            lo_p, hi_p = pd.Timestamp(s.period[0]), pd.Timestamp(s.period[1]) + pd.Timedelta(days=1)
            in_period = ((inv["invited_at"] >= lo_p) & (inv["invited_at"] < hi_p)).to_numpy(dtype=bool, na_value=False)
        core = invitation_first_response(prep, in_period)

    linked = None
    if has_outcomes:
        linked = _linked_responses(prep)
        if "outcome_at" in linked:
            before = linked["outcome_at"].isna() | (linked["responded_at"] <= linked["outcome_at"])
            if (~before).any():
                notes.append(f"{int((~before).sum())} response(s) dated after their account's renewal/churn date "
                             "are left out of the churn analyses.")
            linked = linked[before]

    # ---------------------------------------------------------------- follow-up
    if has_fu:
        fu = follow_up_latency(r[[c for c in ("responded_at", "followed_up_at", "category", "owner") if c in r]],
                               sla_days=sla, end=end)
        det = fu[fu["category"] == "detractor"]
        overall = follow_up_summary(fu[fu["category"].isin(["detractor", "passive"])], by="category",
                                    confidence=conf)
        # passives: only followed-up ones matter (no expectation to call every passive back)
        res.tables["follow_up"] = _round(overall[["category", "n", "followed_up", "open", "median_days",
                                                  "median_ci_low", "median_ci_high", "share_within_sla",
                                                  "within_sla_ci_low", "within_sla_ci_high", "share_never",
                                                  "never_ci_low", "never_ci_high"]])
        res.table_captions["follow_up"] = (
            f"Follow-up of detractors and passives: median days from response to follow-up (followed-up "
            f"responses), share followed up within the {sla:g}-day SLA and share never followed up, of responses "
            f"older than the SLA; 'open' responses are younger than the SLA and not counted.")
        dsum = follow_up_summary(det, confidence=conf).iloc[0] if len(det) else None
        if dsum is not None and dsum["n"] > 0:
            if fu["latency_days"].notna().any():
                _add_figure(res, notes, _fig_follow_up_ecdf, fu, sla, float(dsum["share_never"]))
            # by month
            freq = s.trend_period
            per = _period_label_fast(det["responded_at"], freq)
            if per.nunique() > 30 and freq == "M":
                freq = "Q"
                per = _period_label_fast(det["responded_at"], freq)
            bym = follow_up_summary(det.assign(period=per), by="period", confidence=conf)
            res.tables["follow_up_by_period"] = _round(bym[["period", "n", "open", "followed_up", "median_days",
                                                            "share_within_sla", "within_sla_ci_low",
                                                            "within_sla_ci_high", "share_never", "never_ci_low",
                                                            "never_ci_high"]])
            res.table_captions["follow_up_by_period"] = (
                f"Detractor follow-up by {({'W': 'week', 'M': 'month', 'Q': 'quarter'}).get(freq, 'period')} of "
                "response: median days, share within SLA and share never "
                "followed up, with 95% Wilson intervals; recent months have more open responses.")
            slow_owners: list[str] = []
            if "owner" in det and det["owner"].notna().any():
                byo = follow_up_summary(det, by="owner", confidence=conf)
                byo = byo[byo["n_closed"] > 0].copy()
                byo["p_adj"] = np.nan
                if len(byo) > 1:
                    tot_ok, tot_n = int(byo["within_sla"].sum()), int(byo["n_closed"].sum())
                    ps = []
                    for ok, n in zip(byo["within_sla"], byo["n_closed"], strict=True):
                        table = [[ok, n - ok], [tot_ok - ok, (tot_n - n) - (tot_ok - ok)]]
                        ps.append(stats.fisher_exact(table)[1] if tot_n - n > 0 else 1.0)
                    byo["p_adj"] = multipletests(ps, method="fdr_bh")[1]
                    overall_share = tot_ok / tot_n
                    worse = byo[(byo["p_adj"] < alpha) & (byo["share_within_sla"] < overall_share)]
                    slow_owners = worse.sort_values("share_within_sla")["owner"].astype(str).tolist()
                top = byo.nlargest(20, "n").sort_values(["share_within_sla", "n"], ascending=[True, False])
                res.tables["follow_up_by_owner"] = _round(top[["owner", "n", "followed_up", "median_days",
                                                               "share_within_sla", "within_sla_ci_low",
                                                               "within_sla_ci_high", "share_never", "never_ci_low",
                                                               "never_ci_high", "p_adj"]])
                res.table_captions["follow_up_by_owner"] = (
                    "Detractor follow-up by owner (up to the 20 owners with most detractors), slowest first; p_adj "
                    "compares the owner's share within SLA with the other owners' (Fisher's exact test, "
                    "Benjamini-Hochberg adjusted).")
            n_fu, n_late = int(dsum["followed_up"]), int(dsum["late"])
            n_closed, n_never = int(dsum["n_closed"]), int(dsum["never"])
            if n_fu > 0:
                tests["slow_follow_up"] = _binom_greater(n_late, n_fu, LATE_TOLERANCE)
            if n_closed > 0:
                tests["no_follow_up"] = _binom_greater(n_never, n_closed, NEVER_TOLERANCE)
            ctx["follow_up"] = {"sum": dsum, "slow_owners": slow_owners,
                                "all_missing": not r["followed_up_at"].notna().any()}
            notes.append(f"Follow-up: days from response to follow-up; a detractor not followed up is 'open' while "
                         f"younger than the {sla:g}-day SLA at the end of the data ({end.date() if end else 'n/a'}) "
                         "and 'never' after. Medians with distribution-free order-statistic intervals (Conover "
                         "1999); shares with Wilson intervals (Wilson 1927).")

            # ------------------------------------------------------------ follow-up effect
            if linked is not None:
                ld = follow_up_latency(linked, sla_days=sla, end=end)
                ld = ld[ld["category"] == "detractor"].copy()
                ld["band"] = latency_band(ld["follow_up_status"], ld["latency_days"], sla)
                ld = ld[ld["band"].notna()]
                ld["band_code"] = ld["band"].cat.codes
                tab = follow_up_churn(ld, confidence=conf)
                if len(tab) >= 2:
                    res.tables["churn_by_follow_up"] = _round(tab.drop(columns="band_code"))
                    res.table_captions["churn_by_follow_up"] = (
                        "Churn of detractors' accounts by follow-up speed, with 95% Wilson intervals "
                        "(one row per detractor response linked to an account outcome).")
                    _add_figure(res, notes, _fig_churn_by_band, tab)
                    model, kind = follow_up_churn_model(ld, confidence=conf)
                    if len(model):
                        res.tables["follow_up_churn_model"] = _round(model, 4)
                        res.table_captions["follow_up_churn_model"] = (
                            "Logistic regression of churn on follow-up band (0 within SLA ... 3 never) and score: "
                            f"odds ratios with 95% intervals ({kind} standard errors).")
                        tests["follow_up_effect"] = float(model["p_value"].iloc[0])
                        ctx["effect"] = {"tab": tab, "model": model, "kind": kind}
                        notes.append("Follow-up effect: logistic regression of churn on the follow-up band, "
                                     "controlling for the score (maximum likelihood, errors clustered by account). "
                                     "An association, not proof of cause.")
                    else:
                        notes.append(f"Follow-up effect: the churn model could not be fitted ({kind}).")
            else:
                notes.append("Follow-up effect not assessed: needs account outcomes (accounts.churned).")
    else:
        notes.append("Follow-up not assessed: needs follow-up dates (responses.followed_up_at).")

    fu = det = ld = None  # free the follow-up frames
    # ---------------------------------------------------------------- staleness
    if has_age and linked is not None and "outcome_at" in linked:
        st = linked.dropna(subset=["outcome_at", "score"]).copy()
        st["score_age_months"] = (st["outcome_at"] - st["responded_at"]).dt.total_seconds() / 86400 / DAYS_PER_MONTH
        bands = score_age_bands(st, confidence=conf)
        if len(bands):
            res.tables["score_staleness"] = _round(bands.drop(columns=["months_from", "months_to", "p_value"]))
            res.table_captions["score_staleness"] = (
                "Association of score with churn by the age of the score at the account's renewal/churn date: "
                "AUC (0.5 = none; Hanley-McNeil interval) and odds ratio of churn per score point (below 1 = "
                "higher scores churn less).")
            if bands["auc"].notna().any():
                _add_figure(res, notes, _fig_auc_by_age, bands)
            model, kind = staleness_model(st, confidence=conf)
            stale = stale_after_months(bands)
            # the latest score of an account is its youngest at the (one) outcome date
            latest = st.groupby("account_id", sort=False)["score_age_months"].min()
            share_stale = float((latest >= stale).mean()) if stale is not None else math.nan
            ctx["staleness"] = {"bands": bands, "model": model, "stale_after": stale, "share_stale": share_stale,
                                "n_accounts": len(latest), "kind": kind}
            if len(model):
                res.tables["staleness_model"] = _round(model, 4)
                res.table_captions["staleness_model"] = (
                    "Logistic regression of churn on score, score age and their interaction; an interaction odds "
                    f"ratio above 1 means the score's link to churn weakens as it ages ({kind} standard errors).")
                b_score = float(np.log(model["odds_ratio"].iloc[0]))
                b_int = float(np.log(model["odds_ratio"].iloc[2]))
                aucs = bands.dropna(subset=["auc"])["auc"]
                declines = len(aucs) >= 2 and float(aucs.iloc[0]) > float(aucs.iloc[-1])
                if b_score < 0 and declines:
                    # one-sided in the weakening direction: halve the two-sided p when the sign agrees
                    p2 = float(model["p_value"].iloc[2])
                    tests["score_staleness"] = p2 / 2 if b_int > 0 else 1 - p2 / 2
            else:
                notes.append(f"Score staleness: the interaction model could not be fitted ({kind}).")
            notes.append("Score staleness: the age of a score is the time from the response to its account's "
                         "renewal/churn date; AUC with the Hanley & McNeil (1982) interval per age band (which "
                         "treats responses as independent), and a logistic model of churn on score x age with errors "
                         "clustered by account, which decides the finding.")
    elif not has_outcomes:
        notes.append("Score staleness not assessed: needs account outcomes (accounts.churned) with dates "
                     "(accounts.outcome_at).")
    else:
        notes.append("Score staleness not assessed: needs the renewal/churn date (accounts.outcome_at).")

    # ---------------------------------------------------------------- response rates and latency
    linked = st = None  # free the response-level frames before the invitation-level ones
    matched = None
    if has_inv:
        invs = inv if in_period is None else inv[in_period]
        if core is not None:
            # only the columns the rates need; respondents as integer codes (the trend's clusters)
            narrow = pd.DataFrame({"invited_at": invs["invited_at"].to_numpy()})
            if "respondent_id" in inv:
                rc = prep.codes("respondent_id", table="invitations")[0]
                narrow["_respondent"] = rc if in_period is None else rc[in_period]
            matched = matched_frame(narrow, core, RESPONSE_WINDOW_DAYS, "invited_at")
        if matched is None:
            notes.append("Response rates not assessed: invitations and responses share no respondent or response "
                         "id to match on.")
        else:
            freq = s.trend_period
            rates = response_rates(matched, period=freq, end=end, confidence=conf)
            for coarser in {"W": ("M", "Q"), "M": ("Q",)}.get(freq, ()):
                if len(rates) <= 36:
                    break
                freq = coarser
                rates = response_rates(matched, period=freq, end=end, confidence=conf)
            unit = {"W": "week", "M": "month", "Q": "quarter"}.get(freq, "month")
            trend = response_rate_trend(matched, cluster="_respondent", end=end, confidence=conf)
            if len(rates):
                res.tables["response_rate"] = _round(rates.drop(columns="period_start"))
                res.table_captions["response_rate"] = (
                    f"Invitations answered within {RESPONSE_WINDOW_DAYS:g} days, by {unit} of invitation, with 95% "
                    f"Wilson intervals (invitations of the last {RESPONSE_WINDOW_DAYS:g} days are left out: their "
                    "answers may still come).")
                _add_figure(res, notes, _fig_response_rate, rates, trend, unit)
            if trend["p_value"] == trend["p_value"] and len(rates) >= 3:
                tests["response_rate_trend"] = trend["p_value"]
            ctx["rates"] = {"trend": trend, "rates": rates}
            how = ("response id" if ("response_id" in invs and invs["response_id"].notna().any()
                                     and "response_id" in r) else "respondent and date")
            notes.append(f"Response rates: invitations matched to responses by {how} (a response within "
                         f"{RESPONSE_WINDOW_DAYS:g} days of the invitation); trend by logistic regression of "
                         "answered on time (fitted on counts per invitation time), change per year as the average "
                         "marginal effect with a delta-method interval.")
    else:
        notes.append("Response rates not assessed: needs the invitations table.")

    lat_src = None
    if "invited_at" in r and r["invited_at"].notna().any():
        lat_src = pd.DataFrame({"response_latency_days":
                                (r["responded_at"] - r["invited_at"]).dt.total_seconds() / 86400})
    elif matched is not None:
        lat_src = matched[matched["responded"]]
    if lat_src is not None:
        lat = response_latency(lat_src, confidence=conf)
        if lat["n"] > 0:
            res.tables["response_latency"] = _round(pd.DataFrame([{
                k: lat[k] for k in ("n", "median_days", "median_ci_low", "median_ci_high", "p75_days", "p90_days",
                                    "share_over_long", "over_long_ci_low", "over_long_ci_high")}]).rename(
                columns={"share_over_long": f"share_over_{LATENCY_LONG_DAYS:g}_days"}))
            res.table_captions["response_latency"] = (
                "Days from invitation to response: median (order-statistic interval), 75th and 90th percentiles, "
                f"and share answering after {LATENCY_LONG_DAYS:g} days (Wilson interval).")
            tests["latency_median"] = lat["p_median"]
            tests["latency_long"] = lat["p_long"]
            ctx["latency"] = lat

    # ---------------------------------------------------------------- findings (BH across the area's tests)
    keys = list(tests)
    padj = dict(zip(keys, multipletests([tests[k] for k in keys], method="fdr_bh")[1], strict=True)) if keys else {}
    res.findings.extend(_findings(ctx, tests, padj, alpha, sla, conf))
    if keys:
        notes.append("p-values of the tests behind this section's findings are adjusted together "
                     "(Benjamini-Hochberg).")

    # ---------------------------------------------------------------- callback queue (summary only)
    try:
        from .queue import callback_queue

        q = callback_queue(prep)
        res.exports["callback_queue.csv"] = q
    except Exception as exc:  # noqa: BLE001 - the queue must never stop the diagnosis
        q = None
        notes.append(f"Callback queue could not be built ({type(exc).__name__}).")
    if q is not None and len(q):
        show = [c for c in ("priority", "status", "account_id", "account_name", "role", "owner", "score",
                            "responded_at", "days_waiting", "arr") if c in q]
        top = q.head(10)[show].copy()
        top["responded_at"] = pd.to_datetime(top["responded_at"]).dt.strftime("%Y-%m-%d")
        res.tables["callback_queue_top"] = top.dropna(axis=1, how="all")
        res.table_captions["callback_queue_top"] = (
            f"The first 10 of {len(q)} detractors waiting for a callback (full list in callback_queue.csv), "
            "prioritised by ARR discounted for the age of the feedback.")
    pct = f"{conf * 100:g}%"
    if pct != "95%":  # captions are written for the default confidence
        res.table_captions = {k: v.replace("95%", pct) for k, v in res.table_captions.items()}
        for fg in res.figures:
            fg.caption = fg.caption.replace("95%", pct)
            for ax in fg.fig.axes:
                leg = ax.get_legend()
                for txt in leg.get_texts() if leg is not None else []:
                    txt.set_text(txt.get_text().replace("95%", pct))
    res.notes = notes
    res.summary = _summary(res, ctx, sla)
    return res


def _band_words(band: str, sla: float) -> str:
    """A latency band in words, for titles ("never followed up", "followed up within the 7-day SLA")."""
    labels = _band_labels(sla)
    words = ["followed up within the {:g}-day SLA", "followed up after {:g} to {:g} days",
             "followed up after more than {:g} days", "never followed up"]
    if band not in labels:
        return band
    i = labels.index(band)
    return words[i].format(*([sla] if i == 0 else [sla, 2 * sla] if i == 1 else [2 * sla] if i == 2 else []))


def _sev(cond_high: bool, cond_medium: bool) -> str:
    return "high" if cond_high else "medium" if cond_medium else "low"


def _findings(ctx: dict[str, dict[str, Any]], tests: dict[str, float], padj: dict[str, float], alpha: float,
              sla: float, conf: float) -> list[Finding]:
    out: list[Finding] = []
    pct = int(round(conf * 100))
    fu = ctx.get("follow_up")
    if fu is not None:
        d = fu["sum"]
        med, lo, hi = float(d["median_days"]), float(d["median_ci_low"]), float(d["median_ci_high"])
        owners = fu["slow_owners"]
        if "slow_follow_up" in padj and padj["slow_follow_up"] < alpha:
            share_late = float(d["share_late"])
            high = med > 1.25 * sla and lo == lo and lo > sla
            sev = _sev(high, share_late >= 0.35 or med > sla)
            owner_txt = (f" Owners significantly slower than the rest: {', '.join(owners[:5])}"
                         f"{' and others' if len(owners) > 5 else ''}." if owners else "")
            out.append(Finding(
                id="decay.slow_follow_up", severity=sev,
                title=(f"Detractors were followed up after a median of {_fmt_days(med)} days against a "
                       f"{sla:g}-day SLA" if med > sla else
                       f"{share_late:.0%} of followed-up detractors were contacted after the {sla:g}-day SLA"),
                detail=(f"Of {int(d['followed_up'])} detractors who were followed up, {share_late:.0%} were contacted "
                        f"after the {sla:g}-day SLA ({pct}% CI {d['late_ci_low']:.0%}-{d['late_ci_high']:.0%}); the "
                        f"median wait was {_fmt_days(med)} days{_ci_days(lo, hi, pct)}. "
                        f"Only {d['share_within_sla']:.0%} "
                        f"of detractors older than the SLA were followed up within it.{owner_txt}"),
                evidence={"median_days": med, "median_ci_low": lo, "median_ci_high": hi, "sla_days": sla,
                          "share_late_of_followed": share_late, "late_ci_low": float(d["late_ci_low"]),
                          "late_ci_high": float(d["late_ci_high"]), "tolerance": LATE_TOLERANCE,
                          "share_within_sla": float(d["share_within_sla"]), "n_followed_up": int(d["followed_up"]),
                          "n_detractors": int(d["n"]), "p_value": tests["slow_follow_up"],
                          "p_adj": padj["slow_follow_up"], "test": "exact binomial, share late > 20%",
                          "slow_owners": owners[:10]},
                recommendation=(f"Route every detractor to its owner the day it arrives and track the {sla:g}-day SLA "
                                "weekly per owner; start with the slowest owners and the callback queue.")))
        if "no_follow_up" in padj and padj["no_follow_up"] < alpha:
            share = float(d["share_never"])
            none_recorded = bool(fu.get("all_missing"))
            detail = (f"{int(d['never'])} of {int(d['n_closed'])} detractors older than the {sla:g}-day SLA "
                      f"({share:.0%}, {pct}% CI {d['never_ci_low']:.0%}-{d['never_ci_high']:.0%}) have no follow-up "
                      f"date; {int(d['open'])} more are recent and still open.")
            if none_recorded:
                detail += (" No follow-up date is recorded at all: either the loop is not closed or follow-ups are "
                           "not recorded in this export.")
            out.append(Finding(
                id="decay.no_follow_up", severity=_sev(share >= 0.20, share >= 0.10),
                title=f"{share:.0%} of detractors were never followed up",
                detail=detail,
                evidence={"share_never": share, "ci_low": float(d["never_ci_low"]),
                          "ci_high": float(d["never_ci_high"]),
                          "n_never": int(d["never"]), "n_closed": int(d["n_closed"]), "n_open": int(d["open"]),
                          "tolerance": NEVER_TOLERANCE, "p_value": tests["no_follow_up"], "p_adj": padj["no_follow_up"],
                          "test": "exact binomial, share never > 5%", "none_recorded": none_recorded},
                recommendation=("Close the loop on every detractor: work the callback queue (callback_queue.csv), "
                                "highest ARR and most recent first, and record each follow-up date in the system.")))
    eff = ctx.get("effect")
    if eff is not None and "follow_up_effect" in padj:
        m, tab = eff["model"], eff["tab"]
        or_, lo, hi = float(m["odds_ratio"].iloc[0]), float(m["ci_low"].iloc[0]), float(m["ci_high"].iloc[0])
        if padj["follow_up_effect"] < alpha and or_ > 1:
            fast, slow = tab.iloc[0], tab.iloc[-1]
            diff = float(slow["churn_rate"] - fast["churn_rate"])
            out.append(Finding(
                id="decay.follow_up_effect", severity=_sev(or_ >= 1.5 and diff >= 0.10, True),
                title=(f"Detractors followed up late or never churned more: {slow['churn_rate']:.0%} of those "
                       f"{_band_words(str(slow['band']), sla)} vs {fast['churn_rate']:.0%} of those "
                       f"{_band_words(str(fast['band']), sla)}"),
                detail=(f"Among {int(m['n'].iloc[0])} detractor responses linked to an account outcome, each step "
                        f"slower in follow-up (within SLA, up to twice the SLA, beyond, never) goes with "
                        f"{or_:.2f} times the odds of churn ({pct}% CI {lo:.2f}-{hi:.2f}), at equal score. This is an "
                        "association, not proof that faster follow-up prevents churn: accounts that are hard to "
                        "reach may be at risk anyway."),
                evidence={"odds_ratio_per_step": or_, "ci_low": lo, "ci_high": hi, "p_value": tests["follow_up_effect"],
                          "p_adj": padj["follow_up_effect"], "n": int(m["n"].iloc[0]),
                          "n_churned": int(m["n_churned"].iloc[0]), "covariance": eff["kind"],
                          "churn_by_band": {str(b): float(c)
                                            for b, c in zip(tab["band"], tab["churn_rate"], strict=True)},
                          "n_by_band": {str(b): int(n) for b, n in zip(tab["band"], tab["n"], strict=True)},
                          "churn_difference": diff},
                recommendation=("Treat detractor follow-up as retention work: set the SLA as a retention KPI, and "
                                "test it (e.g. randomise the order of the callback queue for a quarter) to confirm "
                                "the effect is causal.")))
    stl = ctx.get("staleness")
    if stl is not None and "score_staleness" in padj and padj["score_staleness"] < alpha:
        m, bands, stale = stl["model"], stl["bands"], stl["stale_after"]
        or_int, lo, hi = float(m["odds_ratio"].iloc[2]), float(m["ci_low"].iloc[2]), float(m["ci_high"].iloc[2])
        b = bands.dropna(subset=["auc"])
        young, old = b.iloc[0], b.iloc[-1]
        share_stale = stl["share_stale"]
        if stale is not None:
            cadence = max(3, int(stale))
            title = f"Scores older than about {stale:g} months no longer predict churn"
            rec = (f"Survey each account at least every {cadence} months and again in the 3 months before each "
                   f"renewal; do not read a score older than {stale:g} months as a renewal signal.")
        else:
            cadence = None
            title = "Older scores predict churn less well"
            rec = ("Survey each account at least every 6 months and before each renewal; weight recent scores more "
                   "when judging renewal risk.")
        sev = _sev(stale is not None and stale <= 6 and share_stale == share_stale and share_stale >= 0.5, True)
        stale_txt = (f" {share_stale:.0%} of accounts' latest score was at least {stale:g} months old at their "
                     "renewal/churn date." if share_stale == share_stale else "")
        out.append(Finding(
            id="decay.score_staleness", severity=sev, title=title,
            detail=(f"The score separates churned from retained accounts with an AUC of {young['auc']:.2f} "
                    f"({pct}% CI {young['auc_ci_low']:.2f}-{young['auc_ci_high']:.2f}) when taken {young['band']} "
                    f"before the outcome, but {old['auc']:.2f} "
                    f"({pct}% CI {old['auc_ci_low']:.2f}-{old['auc_ci_high']:.2f}) "
                    f"at {old['band']} (0.5 = no association). In a logistic model, the odds ratio per score point "
                    f"moves towards 1 by a factor {or_int:.2f} per year of age ({pct}% CI {lo:.2f}-{hi:.2f})."
                    f"{stale_txt}"),
            evidence={"auc_by_band": {str(x): float(a) for x, a in zip(b["band"], b["auc"], strict=True)},
                      "n_by_band": {str(x): int(n) for x, n in zip(b["band"], b["n"], strict=True)},
                      "interaction_odds_ratio_per_year": or_int, "ci_low": lo, "ci_high": hi,
                      "p_value": tests["score_staleness"], "p_adj": padj["score_staleness"],
                      "stale_after_months": stale, "share_accounts_latest_score_stale": share_stale,
                      "n": int(m["n"].iloc[0]), "n_accounts": stl["n_accounts"], "cadence_months": cadence,
                      "covariance": stl["kind"]},
            recommendation=rec))
    rt = ctx.get("rates")
    if rt is not None and "response_rate_trend" in padj and padj["response_rate_trend"] < alpha:
        t = rt["trend"]
        ch, lo, hi = t["change_points_per_year"], t["ci_low"], t["ci_high"]
        drop = (t["rate_start"] - t["rate_end"]) * 100
        falling = ch < 0
        if falling:
            sev = _sev(drop >= 10 or (t["rate_start"] > 0 and drop / (t["rate_start"] * 100) >= 0.3), abs(ch) >= 2)
            title = f"Response rates fell from {t['rate_start']:.0%} to {t['rate_end']:.0%}"
            rec = ("Find out why customers stop answering: survey fatigue (too many invitations per contact), "
                   "invitations to stale contacts, or no visible action on feedback. Cap invitations per contact, "
                   "clean the contact lists and tell customers what changed because of their answers.")
        else:
            sev = "info"
            title = f"Response rates rose from {t['rate_start']:.0%} to {t['rate_end']:.0%}"
            rec = "Keep doing what raised the response rate, and check the new respondents resemble the old ones."
        out.append(Finding(
            id="decay.response_rate_trend", severity=sev, title=title,
            detail=(f"Over {t['years']:.1f} years and {t['n']} invitations, the fitted response rate changed by "
                    f"{ch:+.1f} points per year ({pct}% CI {lo:+.1f} to {hi:+.1f}; logistic trend, odds ratio "
                    f"{t['odds_ratio_per_year']:.2f} per year)."),
            evidence={"change_points_per_year": ch, "ci_low": lo, "ci_high": hi, "rate_start": t["rate_start"],
                      "rate_end": t["rate_end"], "odds_ratio_per_year": t["odds_ratio_per_year"],
                      "p_value": tests["response_rate_trend"], "p_adj": padj["response_rate_trend"], "n": t["n"],
                      "n_responded": t["n_responded"], "years": t["years"], "covariance": t.get("covariance")},
            recommendation=rec))
    lat = ctx.get("latency")
    if lat is not None:
        slow_med = padj.get("latency_median", 1.0) < alpha
        slow_tail = padj.get("latency_long", 1.0) < alpha
        if slow_med or slow_tail:
            med, share = lat["median_days"], lat["share_over_long"]
            sev = _sev(False, med > LATENCY_LONG_DAYS or share >= 0.5)
            out.append(Finding(
                id="decay.response_latency", severity=sev,
                title=(f"Customers answer late: a median of {_fmt_days(med)} days after the invitation, "
                       f"{share:.0%} after more than {LATENCY_LONG_DAYS:g} days"),
                detail=(f"Across {lat['n']} responses with an invitation date, the median delay was {_fmt_days(med)} "
                        f"days{_ci_days(lat['median_ci_low'], lat['median_ci_high'], pct)}, the 90th percentile "
                        f"{_fmt_days(lat['p90_days'])} days; {share:.0%} answered after {LATENCY_LONG_DAYS:g} days "
                        f"({pct}% CI {lat['over_long_ci_low']:.0%}-{lat['over_long_ci_high']:.0%}). Late answers "
                        "describe an experience the customer remembers less well, and reach the front line later."),
                evidence={"median_days": med, "median_ci_low": lat["median_ci_low"],
                          "median_ci_high": lat["median_ci_high"], "p90_days": lat["p90_days"],
                          "share_over_7_days": share, "ci_low": lat["over_long_ci_low"],
                          "ci_high": lat["over_long_ci_high"], "n": lat["n"],
                          "p_value_median": tests["latency_median"], "p_adj_median": padj["latency_median"],
                          "p_value_share": tests["latency_long"], "p_adj_share": padj["latency_long"],
                          "thresholds": {"median_days": LATENCY_MEDIAN_DAYS, "long_days": LATENCY_LONG_DAYS,
                                         "long_share": LATENCY_LONG_SHARE}},
                recommendation=("Send the survey right after the touchpoint, with one reminder after 2-3 days, and "
                                "close it after two weeks; check that invitations are not sent in delayed batches.")))
    return out


def _summary(res: AreaResult, ctx: dict[str, dict[str, Any]], sla: float) -> str:
    if res.not_assessed_reason:
        return ""
    top = [f for f in res.findings if f.severity in ("high", "medium")]
    order = {"high": 0, "medium": 1}
    top.sort(key=lambda f: order[f.severity])
    if top:
        titles = [top[0].title] + ([top[1].title[0].lower() + top[1].title[1:]] if len(top) > 1 else [])
        return "; ".join(titles) + "."
    fu = ctx.get("follow_up")
    if fu is not None and fu["sum"]["followed_up"] > 0:
        return (f"Detractors are followed up after a median of {_fmt_days(float(fu['sum']['median_days']))} days "
                f"against a {sla:g}-day SLA; no material decay issue found.")
    return "No material decay issue found."
