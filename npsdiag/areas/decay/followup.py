"""Follow-up of responses (the closed loop) and its association with churn.

:func:`follow_up_latency` gives each response its days to follow-up and a
status (within the SLA, late, never, open, invalid); :func:`follow_up_summary`
summarises them overall or per group; :func:`latency_band`,
:func:`follow_up_churn` and :func:`follow_up_churn_model` relate the speed of
follow-up to the churn of detractors' accounts.

Right-censoring: a detractor who answered less than the SLA before the end
of the data and has not been followed up yet is *open*, not *never*.

References
----------
.. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and
   statistical inference. JASA 22(158), 209-212.
.. [2] Conover, W. J. (1999). Practical Nonparametric Statistics, 3rd ed.,
   section 3.2 (distribution-free confidence interval for a quantile).
.. [3] Dean, N. & Pagano, M. (2015). Evaluating confidence interval methods
   for binomial proportions in clustered surveys. Journal of Survey
   Statistics and Methodology 3(4), 484-503.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ...stats.design import proportion_design_effect
from ...stats.medians import median_ci_sorted
from ...stats.multiplicity import bh_adjust
from ...stats.proportions import wilson_interval
from ...stats.regression import odds_ratios
from .models import LogitModel, fit_logit

__all__ = ["STATUS_ORDER", "follow_up_latency", "follow_up_summary", "within_sla_by_group", "latency_band",
           "band_labels", "follow_up_churn", "follow_up_churn_model"]

#: Follow-up statuses of :func:`follow_up_latency`, in the order of :func:`follow_up_summary`'s columns.
STATUS_ORDER = ("within_sla", "late", "never", "open", "invalid")


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
        mci = median_ci_sorted(lat_sorted[bounds[i]:bounds[i + 1]], confidence)
        row = dict(zip(by_cols, key, strict=True))
        row.update(n=int(sizes[i]), followed_up=c["within_sla"] + c["late"], **c)
        row["n_closed"] = int(sizes[i]) - c["open"] - c["invalid"]
        row.update(median_days=mci.median, median_ci_low=mci.ci_low, median_ci_high=mci.ci_high)
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


def within_sla_by_group(summary: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Which groups (e.g. owners) follow up within the SLA less often than the others.

    Parameters
    ----------
    summary : DataFrame
        Output of :func:`follow_up_summary` with a ``by`` column (one row per
        group).
    alpha : float
        Level at which a group counts as slower.

    Returns
    -------
    DataFrame
        The groups with responses whose outcome is known (``n_closed > 0``),
        with ``p_adj`` (Fisher's exact test of the group's share within the
        SLA against the other groups' together, Benjamini-Hochberg adjusted
        across the groups; NaN when there is a single group) and ``slower``
        (``p_adj`` below ``alpha`` and a share within the SLA below the pooled
        share of all groups).

    Examples
    --------
    >>> s = pd.DataFrame({"owner": ["a", "b", "c"], "within_sla": [90, 88, 20], "n_closed": [100, 100, 100],
    ...                   "share_within_sla": [0.9, 0.88, 0.2]})
    >>> within_sla_by_group(s)["slower"].tolist()
    [False, False, True]
    """
    out = summary[summary["n_closed"] > 0].copy()
    out["p_adj"] = np.nan
    out["slower"] = False
    if len(out) > 1:
        tot_ok, tot_n = int(out["within_sla"].sum()), int(out["n_closed"].sum())
        ps = []
        for ok, n in zip(out["within_sla"], out["n_closed"], strict=True):
            table = [[ok, n - ok], [tot_ok - ok, (tot_n - n) - (tot_ok - ok)]]
            ps.append(stats.fisher_exact(table)[1] if tot_n - n > 0 else 1.0)
        out["p_adj"] = bh_adjust(ps)
        out["slower"] = (out["p_adj"] < alpha) & (out["share_within_sla"] < tot_ok / tot_n)
    return out


def latency_band(status: pd.Series, latency: pd.Series, sla_days: float) -> pd.Series:
    """Follow-up latency band: within SLA, SLA-2xSLA, beyond 2xSLA, never (NaN for open/invalid).

    Parameters
    ----------
    status, latency : Series
        ``follow_up_status`` and ``latency_days`` of :func:`follow_up_latency`.
    sla_days : float
        The follow-up SLA in days.

    Returns
    -------
    Series of ordered categorical labels such as ``"within SLA (<= 7 d)"``,
    ``"7-14 d"``, ``"> 14 d"``, ``"never"`` (:func:`band_labels`).

    Examples
    --------
    >>> st = pd.Series(["within_sla", "late", "late", "never", "open"])
    >>> latency_band(st, pd.Series([3.0, 10.0, 30.0, None, None]), 7).tolist()
    ['within SLA (<= 7 d)', '7-14 d', '> 14 d', 'never', nan]
    """
    labels = band_labels(sla_days)
    lat = pd.to_numeric(latency, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    st = status.astype("string").to_numpy(dtype=object, na_value=None)
    code = np.select([st == "within_sla", (st == "late") & (lat <= 2 * sla_days), st == "late", st == "never"],
                     [0, 1, 2, 3], default=-1)
    return pd.Series(pd.Categorical.from_codes(code, categories=labels, ordered=True), index=status.index)


def band_labels(sla_days: float) -> list[str]:
    """The labels of :func:`latency_band`, fastest first.

    Examples
    --------
    >>> band_labels(7)
    ['within SLA (<= 7 d)', '7-14 d', '> 14 d', 'never']
    """
    return [f"within SLA (<= {sla_days:g} d)", f"{sla_days:g}-{2 * sla_days:g} d", f"> {2 * sla_days:g} d",
            "never"]


def follow_up_churn(
    data: pd.DataFrame,
    band: str = "band",
    churned: str = "churned",
    confidence: float = 0.95,
    cluster: str | None = "account_id",
) -> pd.DataFrame:
    """Churn rate per follow-up latency band, with Wilson intervals that count an account's responses together.

    Parameters
    ----------
    data : DataFrame
        Detractor responses with a band column (:func:`latency_band`) and a
        boolean churn column; rows without either are ignored.
    band, churned : str
    confidence : float
    cluster : str, optional
        The column whose responses share one outcome (the account). None, or
        a column not in ``data``: responses are independent.

    Returns
    -------
    DataFrame
        ``band``, ``band_code`` (0 = fastest), ``n``, ``churned``,
        ``churn_rate``, ``ci_low``, ``ci_high`` and ``design_effect``; bands
        without responses are left out.

    Notes
    -----
    An account's detractor responses share its churn, so they are a cluster:
    the Wilson (1927) interval is computed on the band's Kish effective
    counts (responses and churned divided by the design effect of its churn
    rate, :func:`npsdiag.stats.design.proportion_design_effect`; at least 1),
    as Dean & Pagano (2015) recommend for clustered proportions. Without
    clusters it is the plain Wilson interval.

    Examples
    --------
    >>> d = pd.DataFrame({"band": pd.Categorical(["a", "a", "b"], categories=["a", "b"], ordered=True),
    ...                   "churned": [False, True, True]})
    >>> follow_up_churn(d)[["band", "n", "churn_rate"]].values.tolist()
    [['a', 2, 0.5], ['b', 1, 1.0]]
    """
    d = data[data[band].notna() & data[churned].notna()]
    cats = list(d[band].cat.categories) if isinstance(d[band].dtype, pd.CategoricalDtype) else sorted(d[band].unique())
    clustered = bool(cluster and cluster in d)
    rows = []
    for code, label in enumerate(cats):
        g = d[d[band] == label]
        if len(g) == 0:
            continue
        y = g[churned].astype(bool)
        k = int(y.sum())
        deff = proportion_design_effect(y, g[cluster]) if clustered else 1.0
        rows.append({"band": label, "band_code": code, "n": len(g), "churned": k, "churn_rate": k / len(g),
                     "design_effect": deff})
    out = pd.DataFrame(rows, columns=["band", "band_code", "n", "churned", "churn_rate", "design_effect"])
    deff = out["design_effect"].to_numpy(dtype=float)
    lo, hi = wilson_interval(out["churned"].to_numpy(dtype=float) / deff, out["n"].to_numpy(dtype=float) / deff,
                             confidence)
    out["ci_low"], out["ci_high"] = lo, hi
    return out[["band", "band_code", "n", "churned", "churn_rate", "ci_low", "ci_high", "design_effect"]]


def follow_up_churn_model(
    data: pd.DataFrame,
    band_code: str = "band_code",
    score: str = "score",
    churned: str = "churned",
    cluster: str | None = "account_id",
    confidence: float = 0.95,
) -> LogitModel:
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
    LogitModel
        ``terms``: ``term``, ``odds_ratio``, ``ci_low``, ``ci_high``,
        ``p_value``, ``n``, ``n_churned`` for the band step and the score
        (empty when the model cannot be fitted); ``covariance``: the standard
        errors used or the reason the model could not be fitted.

    Notes
    -----
    ``logit P(churn) = b0 + b1 * band_code + b2 * score``; ``exp(b1)`` is the
    odds ratio of churn per step slower (within SLA -> SLA to 2xSLA -> beyond
    -> never). statsmodels ``Logit``. An association, not proof of cause:
    accounts that are hard to reach may be at risk anyway.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"band_code": rng.integers(0, 4, 400), "score": rng.integers(0, 7, 400)})
    >>> d["churned"] = rng.random(400) < 0.1 + 0.15 * d["band_code"]
    >>> m = follow_up_churn_model(d, cluster=None)
    >>> m.covariance, m.terms["term"].tolist()
    ('model-based', ['follow-up band (per step slower)', 'score (per point)'])
    >>> bool(m.terms["odds_ratio"].iloc[0] > 1)
    True
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
    res, kind = fit_logit(d[churned].astype(bool).to_numpy(), X, groups)
    if res is None:
        return LogitModel(pd.DataFrame(columns=cols), kind)
    labels = {"band": "follow-up band (per step slower)"}
    if "score" in X:
        labels["score"] = "score (per point)"
    out = odds_ratios(res, labels, confidence)
    out["n"] = len(d)
    out["n_churned"] = int(d[churned].astype(bool).sum())
    return LogitModel(out[cols], kind)


