"""The reliability area: can this data be trusted at all?

What it checks, each with a building block an analyst can call directly:

- rows that cannot be analysed, counted per reason with example row numbers
  (:func:`exclusion_summary`; the exclusions themselves are made by
  :func:`npsdiag.clean.prepare`) and the data lineage (rows read -> excluded
  -> analysed);
- feed gaps: periods with no or abnormally few responses against the
  series' own level (:func:`feed_gaps`);
- precision: the margin of error of the headline and of every trend point
  (:func:`nps_trend`) and the responses needed per period to detect a change
  (:func:`sample_size_plan`);
- score gaming: owners (reps, CSMs, agents) whose customers give an
  implausible excess of 10s against 9s (:func:`owner_heaping`, on an
  overdispersed funnel plot) or whose scores do not go with their accounts'
  churn as other owners' do (:func:`owner_outcomes`).

:func:`diagnose` runs them all and returns the area's findings, tables and
figures.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ... import plots
from ...clean import REASONS, Prepared
from ...findings import AreaResult, Figure, Finding, not_assessed, severity_from_share, worst
from ...fmt import num, p_eq, pct, period_label, pts
from ...io import ROW
from ...plots import err
from ...stats.funnel import beta_binomial_tails, funnel_limits, overdispersion
from ...stats.multiplicity import bh_adjust
from ...stats.nps import Breaks, nps, nps_by_period, nps_diff_test, nps_table, period_ordinals, to_period
from ...stats.proportions import wilson_interval

__all__ = ["diagnose", "exclusion_summary", "feed_gaps", "nps_trend", "sample_size_plan", "owner_heaping",
           "owner_outcomes", "owner_review", "EXCLUSION_FINDINGS", "MAX_MOE", "GAMING_ALPHA"]

#: Margin of error (NPS points, half-width of the interval) above which an NPS is too imprecise to report.
MAX_MOE = 10.0
#: Adjusted p-value below which an owner's excess of 10s is flagged: stricter than the usual 5% because accusing
#: an honest owner is the costliest error of the check. High severity needs :data:`GAMING_ALPHA_HIGH`.
GAMING_ALPHA = 0.01
GAMING_ALPHA_HIGH = 0.001

#: Which exclusion reasons of :data:`npsdiag.clean.REASONS` each finding reports.
EXCLUSION_FINDINGS: dict[str, tuple[str, ...]] = {
    "reliability.missing_values": ("missing_score", "missing_date"),
    "reliability.out_of_range": ("invalid_score", "out_of_range"),
    "reliability.test_responses": ("test_response",),
    "reliability.date_anomalies": ("future_date", "before_invitation"),
    "reliability.duplicates": ("duplicate", "repeat_respondent"),
}
_REASON_FINDING = {r: fid for fid, reasons in EXCLUSION_FINDINGS.items() for r in reasons}


# --------------------------------------------------------------------------- exclusions


def exclusion_summary(
    flags: pd.DataFrame,
    reason: str = "reason",
    row: str = ROW,
    n_examples: int = 5,
) -> pd.DataFrame:
    """Rows excluded from the analysis, per reason, with example row numbers.

    Parameters
    ----------
    flags : DataFrame
        One row per row read, with the exclusion reason (missing when the
        row is analysed) and the row number in the file; ``prep.flags``.
    reason, row : str
        Column names.
    n_examples : int
        How many example row numbers to list per reason.

    Returns
    -------
    DataFrame
        One row per reason that occurred, in the order of
        :data:`npsdiag.clean.REASONS`: ``reason`` (key), ``description``,
        ``rows``, ``share`` (of rows read), ``example_rows`` (row numbers in
        the file, first ones) and ``finding`` (the finding id that reports it).

    Examples
    --------
    >>> f = pd.DataFrame({"_row": [2, 3, 4, 5], "reason": [None, "duplicate", None, "duplicate"]})
    >>> exclusion_summary(f)[["reason", "rows", "example_rows"]].to_dict("records")
    [{'reason': 'duplicate', 'rows': 2, 'example_rows': '3, 5'}]
    """
    total = len(flags)
    cols = ["reason", "description", "rows", "share", "example_rows", "finding"]
    if total == 0:
        return pd.DataFrame(columns=cols)
    # one pass over the rows: integer codes of the reasons, counted; rows of a reason found on the codes
    codes, uniq = pd.factorize(flags[reason])
    codes = np.asarray(codes, dtype=np.intp)
    cnt = np.bincount(codes[codes >= 0], minlength=len(uniq))
    counts = {str(k): (i, int(v)) for i, (k, v) in enumerate(zip(uniq, cnt, strict=True)) if v > 0}
    rows = flags[row].to_numpy()
    row_ok = pd.notna(rows)
    out = []
    keys = list(REASONS) + sorted(set(counts) - set(REASONS))
    for key in keys:
        if key not in counts:
            continue
        code, n = counts[key]
        at = np.flatnonzero((codes == code) & row_ok)
        examples = sorted(int(x) for x in rows[at[:1000]])[:n_examples]
        out.append({"reason": key, "description": REASONS.get(key, key), "rows": n, "share": n / total,
                    "example_rows": ", ".join(str(x) for x in examples), "finding": _REASON_FINDING.get(key, "")})
    return pd.DataFrame(out, columns=cols)


_EXCLUSION_TEXT = {
    "reliability.missing_values": (
        "had no score or no usable response date",
        "A response without a score or a date cannot be counted in the NPS or placed in time.",
        "Make the recommendation question mandatory in the survey tool and check that the export includes the "
        "submission date for every response; ask the platform owner why these rows are empty."),
    "reliability.out_of_range": (
        "had a score outside the scale or not written as a number",
        "Such values cannot be placed on the 0-10 scale and were left out.",
        "Check the export settings (numeric values, not labels) and any manual edits or imports; "
        "fix the scale in the survey tool if several scales are mixed."),
    "reliability.test_responses": (
        "were tests, previews or unfinished responses",
        "They are not real customers' answers and were left out.",
        "Filter previews and test submissions out of the production export (or mark them consistently) and "
        "decide whether unfinished responses should ever reach reporting."),
    "reliability.date_anomalies": (
        "were dated in the future or before their invitation was sent",
        "Impossible dates point to time-zone, date-format or system-clock problems in the feed.",
        "Check the time zone and day/month order of the date columns in each source system and correct the "
        "feed; until then these responses cannot be placed in time."),
    "reliability.duplicates": (
        "were duplicates or repeat answers inside the cool-off window",
        "Counting them would let the same voice speak twice.",
        "De-duplicate on the response id at the source, and enforce the survey's cool-off rule so that the same "
        "person is not asked again within the window."),
}


def _exclusion_findings(prep: Prepared, summary: pd.DataFrame) -> tuple[list[Finding], dict[str, str]]:
    total = max(len(prep.flags), 1)
    findings, short = [], {}
    for fid, keys in EXCLUSION_FINDINGS.items():
        sub = summary[summary["reason"].isin(keys)]
        count = int(sub["rows"].sum())
        if count == 0:
            continue
        share = count / total
        sev = severity_from_share(share)
        what, why, rec = _EXCLUSION_TEXT[fid]
        parts = [f"{num(r['rows'])} {r['description']}" for _, r in sub.iterrows()]
        examples = [int(x) for x in ", ".join(sub["example_rows"]).replace(" ", "").split(",") if x][:8]
        evidence: dict[str, Any] = {"rows": count, "share": share, "rows_read": total}
        for _, r in sub.iterrows():
            evidence[f"rows_{r['reason']}"] = int(r["rows"])
        evidence["example_rows"] = examples
        detail = (f"{num(count)} of {num(total)} rows read ({pct(share, 1)}) {what}: {'; '.join(parts)}. "
                  f"{why} Example rows in the file: {', '.join(str(x) for x in examples[:5])}.")
        if fid == "reliability.out_of_range":
            vals = []

            raw = prep.excluded  # the excluded rows as read, with their reason (not every row read)

            def rows_of(key: str, raw: pd.DataFrame = raw) -> np.ndarray:
                return np.asarray((raw["reason"] == key).to_numpy(dtype=bool, na_value=False), dtype=bool)

            if "score_text" in raw:
                vals += raw.loc[rows_of("invalid_score"), "score_text"].dropna().astype(str).unique()[:3].tolist()
            vals += [f"{v:g}" for v in raw.loc[rows_of("out_of_range"), "score"].dropna().unique()[:3]]
            if vals:
                evidence["example_values"] = vals[:5]
                detail += " Values found: " + ", ".join(repr(v) for v in vals[:5]) + "."
        title = f"{num(count)} responses ({pct(share, 1)}) {what}"
        findings.append(Finding(fid, sev, title, detail, evidence, rec))
        short[fid] = f"{pct(share, 1)} of rows {what.split(' or ')[0]}"
    return findings, short


# --------------------------------------------------------------------------- feed gaps


def feed_gaps(
    data: pd.DataFrame,
    date: str = "responded_at",
    freq: str = "W",
    window: int = 13,
    confidence: float = 0.95,
    max_ratio: float = 0.5,
) -> pd.DataFrame:
    """Responses per period against the series' own level; flags abnormally low periods.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    date : str
        Response date column.
    freq : {"W", "M", "Q"}
        Period length (weeks start on Monday).
    window : int
        Width, in periods, of the centred rolling window whose median (the
        period itself left out) is the expected volume.
    confidence : float
        A period is a gap when its Benjamini-Hochberg adjusted p-value is
        below 1 - confidence ...
    max_ratio : float
        ... and it has at most ``max_ratio`` times its expected volume.

    Returns
    -------
    DataFrame
        One row per period from the first to the last response:
        ``period`` (label), ``start``, ``responses``, ``expected`` (rolling
        median), ``lower_limit`` (one-sided 1 - confidence lower limit of the
        count), ``ratio`` (responses / expected), ``p_value`` (probability
        of so few responses or fewer), ``p_adj`` (BH), ``partial`` (first or
        last period, not fully covered by the data: not tested), ``gap``.
        ``attrs["dispersion"]`` holds the overdispersion factor used.

    Notes
    -----
    The expected count of period t is the median of the counts of the
    ``window - 1`` periods around it (t itself and partial periods left
    out), a robust baseline that follows slow growth and is not pulled
    down by the gap it is testing. Counts vary more than Poisson; the
    dispersion phi is estimated robustly as the squared MAD (times 1.4826)
    of the Pearson residuals (count - expected) / sqrt(expected), at least 1.
    Each count is then referred to a negative binomial with the expected
    mean and variance phi * mean (a Poisson when phi = 1) and the one-sided
    p-values are adjusted with Benjamini-Hochberg across periods.

    Examples
    --------
    >>> d = pd.DataFrame({"responded_at": pd.date_range("2024-01-01", periods=200, freq="D")})
    >>> bool(feed_gaps(d)["gap"].any())
    False
    """
    cols = ["period", "start", "responses", "expected", "lower_limit", "ratio", "p_value", "p_adj", "partial",
            "gap"]
    d = pd.to_datetime(data[date]).dropna() if date in data else pd.Series(dtype="datetime64[ns]")
    if d.empty:
        out = pd.DataFrame(columns=cols)
        out.attrs["dispersion"] = float("nan")
        return out
    ords = period_ordinals(d, freq)
    if ords is not None:  # integer period numbers and bincount: no Period objects per row
        o = ords[0]
        lo = int(o.min())
        c = np.bincount(o - lo).astype("float64")
        idx = pd.PeriodIndex.from_ordinals(np.arange(lo, lo + len(c)), freq={"W": "W-SUN"}.get(freq, freq))
    else:
        per = to_period(d, freq)
        counts = per.value_counts()
        idx = pd.period_range(per.min(), per.max(), freq=per.min().freq)
        c = counts.reindex(idx, fill_value=0).to_numpy(dtype="float64")
    n = len(c)
    starts = idx.start_time
    ends = idx.end_time
    partial = np.zeros(n, dtype=bool)
    first, last = d.min(), d.max()
    if first.normalize() > starts[0]:
        partial[0] = True
    if last.normalize() < ends[-1].normalize():
        partial[-1] = True
    base_src = np.where(partial, np.nan, c)
    h = max(window // 2, 1)
    padded = np.concatenate([np.full(h, np.nan), base_src, np.full(h, np.nan)])
    win = np.lib.stride_tricks.sliding_window_view(padded, 2 * h + 1).copy()
    win[:, h] = np.nan
    valid = (~np.isnan(win)).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmedian(win, axis=1)
    expected = np.where(valid >= min(4, max(n - 3, 2)), expected, np.nan)
    tested = ~partial & ~np.isnan(expected) & (expected > 0)
    phi = 1.0
    if tested.sum() >= 4:
        resid = (c[tested] - expected[tested]) / np.sqrt(expected[tested])
        mad = 1.4826 * np.median(np.abs(resid - np.median(resid)))
        phi = max(1.0, float(mad**2))
    alpha = 1 - confidence
    p = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    mu = expected[tested]
    if tested.any():
        if phi > 1:
            size, prob = mu / (phi - 1), 1 / phi
            p[tested] = stats.nbinom.cdf(c[tested], size, prob)
            lower[tested] = stats.nbinom.ppf(alpha, size, prob)
        else:
            p[tested] = stats.poisson.cdf(c[tested], mu)
            lower[tested] = stats.poisson.ppf(alpha, mu)
    p_adj = bh_adjust(p)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(expected > 0, c / expected, np.nan)
    gap = tested & (p_adj < alpha) & (ratio <= max_ratio)
    out = pd.DataFrame({"period": [period_label(x) for x in idx], "start": starts, "responses": c.astype(int),
                        "expected": expected, "lower_limit": lower, "ratio": ratio, "p_value": p, "p_adj": p_adj,
                        "partial": partial, "gap": gap})
    out.attrs["dispersion"] = phi
    out.attrs["freq"] = freq
    return out


def _gap_runs(feed: pd.DataFrame) -> list[dict[str, Any]]:
    """Consecutive gap periods as runs: first/last label, periods, responses, expected."""
    runs: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    gap = feed["gap"].to_numpy(dtype=bool)
    period, start = feed["period"].to_numpy(dtype=object), feed["start"].to_numpy()
    responses, expected = feed["responses"].to_numpy(), feed["expected"].to_numpy(dtype="float64")
    for i in np.flatnonzero(gap):  # only the gap periods
        if cur is not None and cur["end_index"] == i - 1:
            cur.update(end_index=i, last=period[i], periods=cur["periods"] + 1,
                       responses=cur["responses"] + int(responses[i]), expected=cur["expected"] + float(expected[i]))
        else:
            cur = {"first": period[i], "last": period[i], "start": pd.Timestamp(start[i]), "end_index": int(i),
                   "periods": 1, "responses": int(responses[i]), "expected": float(expected[i])}
            runs.append(cur)
    return runs


# --------------------------------------------------------------------------- precision


def nps_trend(
    data: pd.DataFrame,
    date: str = "responded_at",
    score: str = "score",
    freq: str = "M",
    confidence: float = 0.95,
    min_n: int = 30,
    max_moe: float = MAX_MOE,
    breaks: Breaks = Breaks(),
) -> pd.DataFrame:
    """NPS per period with its interval, each point marked reportable or not.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    date, score : str
        Column names.
    freq : {"W", "M", "Q"}
        Trend period.
    confidence : float
        Confidence level of the intervals.
    min_n : int
        Fewest responses for a point to be reported.
    max_moe : float
        Largest margin of error (points) for a point to be reported as precise.

    Returns
    -------
    DataFrame
        One row per period from the first to the last (empty periods
        included): ``period``, ``start``, ``n``, ``nps``, ``ci_low``,
        ``ci_high``, ``moe`` (adjusted Wald, Rocks 2016), ``partial`` (first
        or last period not fully covered), ``reportable`` (n >= min_n) and
        ``precise`` (reportable and moe <= max_moe), ``issue`` (plain words).

    Examples
    --------
    >>> d = pd.DataFrame({"responded_at": pd.date_range("2024-01-01", periods=90, freq="D"),
    ...                   "score": [10, 9, 5] * 30})
    >>> nps_trend(d, min_n=20)[["period", "n", "reportable"]].to_dict("records")[0]
    {'period': '2024-01', 'n': 31, 'reportable': True}
    """
    cols = ["period", "start", "n", "nps", "ci_low", "ci_high", "moe", "partial", "reportable", "precise", "issue"]
    out = nps_by_period(data, freq=freq, date=date, score=score, confidence=confidence, breaks=breaks,
                        min_n=min_n)[cols[:-2]]
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["precise"] = out["reportable"] & (out["moe"] <= max_moe)
    issue = np.where(out["n"] == 0, "no responses",
                     np.where(~out["reportable"], f"fewer than {min_n} responses",
                              np.where(~out["precise"], f"margin above ±{max_moe:g} points", "")))
    out["issue"] = np.where(out["partial"], np.where(issue == "", "partial period",
                                                     np.char.add("partial period; ", issue.astype(str))), issue)
    return out


def sample_size_plan(
    p_promoters: float,
    p_detractors: float,
    changes: tuple[float, ...] = (5, 10),
    power: float = 0.8,
    confidence: float = 0.95,
    current_n: float | None = None,
) -> pd.DataFrame:
    """Responses needed per period to detect a change in NPS between two periods.

    Parameters
    ----------
    p_promoters, p_detractors : float
        Current shares of promoters and detractors (0-1), which set the
        variance of one response.
    changes : tuple of float
        Changes to detect, in NPS points.
    power : float
        Probability of detecting a real change of that size.
    confidence : float
        1 - two-sided significance level of the test.
    current_n : float, optional
        Responses per period today, to say how many periods would have to be
        pooled and which change is detectable now.

    Returns
    -------
    DataFrame
        One row per change: ``change_points``, ``responses_needed_per_period``,
        ``variance`` (per response), ``power``, ``alpha``,
        ``current_responses_per_period``, ``periods_to_pool`` (periods of the
        current volume to pool on each side), ``detectable_change_now``
        (points, with the current volume per period).

    Notes
    -----
    Two independent periods with the same variance
    var = p_pro + p_det - (p_pro - p_det)^2 (Rocks 2016); the two-sample
    Wald test detects a change delta (on the -1..1 scale) with the given
    power when n = (z_{1 - alpha/2} + z_{power})^2 * 2 var / delta^2
    responses per period (rounded up). The detectable change with n
    responses is (z_{1 - alpha/2} + z_{power}) * sqrt(2 var / n).

    Examples
    --------
    NPS 0 with 30% passives (var = 0.7), 10 points, 80% power, alpha 5%:
    (1.95996 + 0.84162)^2 * 1.4 / 0.01 = 1098.8, i.e. 1,099 per period.

    >>> int(sample_size_plan(0.35, 0.35, changes=(10,))["responses_needed_per_period"].iloc[0])
    1099
    """
    var = p_promoters + p_detractors - (p_promoters - p_detractors) ** 2
    alpha = 1 - confidence
    zsum = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    rows = []
    for ch in changes:
        delta = ch / 100
        need = math.ceil(zsum**2 * 2 * var / delta**2) if var > 0 else 0
        row = {"change_points": float(ch), "responses_needed_per_period": int(need), "variance": float(var),
               "power": power, "alpha": alpha, "current_responses_per_period": np.nan, "periods_to_pool": np.nan,
               "detectable_change_now": np.nan}
        if current_n is not None and current_n > 0:
            row["current_responses_per_period"] = float(current_n)
            row["periods_to_pool"] = int(math.ceil(need / current_n)) if need else 1
            row["detectable_change_now"] = float(100 * zsum * math.sqrt(2 * var / current_n))
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- score gaming


def owner_heaping(
    data: pd.DataFrame,
    owner: str = "owner",
    score: str = "score",
    top: float = 10,
    min_top: int = 10,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
    adjust: bool = True,
    min_excess: float = 0.10,
    account: str | None = "account_id",
    outlier_alpha: float | None = None,
    codes: Mapping[str, tuple[np.ndarray, pd.Index]] | None = None,
) -> pd.DataFrame:
    """Per owner, the excess of top scores (10s) among the two top scores (9s and 10s).

    An owner who coaches customers, picks who is surveyed or fills in
    answers shows too many 10s for the 9s. Conditioning on the top two
    scores keeps an owner whose customers are simply happier (more 9s *and*
    10s) from being accused: only the ratio of 10s to 9s is tested.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    owner, score : str
        Column names.
    top : float
        The top of the scale (10); ``top - 1`` is the second score.
    min_top : int
        Owners with fewer 9s and 10s are shown but not tested.
    confidence : float
        Confidence level of each owner's NPS interval.
    adjust : bool
        Adjust the expected share of 10s for how positive the owner's
        customers are (default; see Notes). Without it, the other owners'
        pooled share.
    min_excess : float
        Excess (share points) that makes an owner an outlier, with an
        adjusted p-value below ``outlier_alpha``.
    outlier_alpha : float, optional
        Default 1 - confidence.
    account : str, optional
        Account column: an owner's responses from one account are not
        independent, so the variance of their share of 10s is inflated by
        its design effect (linearised, accounts as clusters).
    codes : mapping of column name to (codes, uniques), optional
        Integer codes of the owner and account columns as
        :meth:`npsdiag.clean.Prepared.codes` gives them (``pd.factorize``
        of the same rows), so that a large export is not factorized again.

    Returns
    -------
    DataFrame
        One row per owner, most extreme first: ``owner``, ``n``, ``nps``,
        ``ci_low``, ``ci_high``, ``nines``, ``tens``, ``top_two`` (9s + 10s),
        ``share_top_two`` (of all the owner's scores), ``share_tens`` (tens /
        top_two), ``expected_share_tens`` (predicted from the other owners),
        ``excess``, ``tau2`` (between-owner variance of the share),
        ``design_effect``, ``z``,
        ``p_value`` (one-sided, beta-binomial), ``p_adj`` (Benjamini-Hochberg
        across tested owners), ``tested``.

    Notes
    -----
    Each owner's count of 10s among their 9s and 10s is compared with the
    other owners (leave-one-out). Happier customers give relatively more 10s
    as well as more 9s and 10s, so with ``adjust`` the expected share follows
    a proportional-odds (ordered logit) shift: logit P(10) = logit P(>=9) - a,
    the gap a estimated from the other owners' pooled shares, applied to the
    owner's own share of 9-10 scores (which moving 9s to 10s does not
    change): expected = expit(L - a) / expit(L), L = logit of the owner's
    share of 9-10 scores (McCullagh 1980). Real differences between owners
    beyond that are an additive random effect (Spiegelhalter 2005) whose
    variance tau^2 is the DerSimonian-Laird estimate from the other owners'
    residuals; the uncertainty of a is added by the delta method. The count
    of 10s is then beta-binomial (with Kish effective counts when responses
    cluster in accounts: the design effect of the owner's share, linearised
    with accounts as clusters). One-sided p-values (an excess) are adjusted
    with Benjamini-Hochberg. Owners found to be outliers (adjusted p below
    ``outlier_alpha`` and an excess of at least ``min_excess``) are then left
    out of the other owners' reference and the test is repeated (at most
    three passes), so that one gaming owner does not distort everyone's
    expectation.

    References
    ----------
    .. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing
       institutional performance. Statistics in Medicine, 24, 1185-1202.
    .. [2] McCullagh, P. (1980). Regression models for ordinal data. JRSS B,
       42(2), 109-142.

    Examples
    --------
    >>> d = pd.DataFrame({"owner": ["a"] * 30 + ["b"] * 30 + ["c"] * 30 + ["d"] * 30,
    ...                   "score": [9, 10, 7] * 10 * 3 + [10, 10, 7] * 10})
    >>> owner_heaping(d, account=None).iloc[0]["owner"]
    'd'
    """
    cols = ["owner", "n", "nps", "ci_low", "ci_high", "nines", "tens", "top_two", "share_top_two", "share_tens",
            "expected_share_tens", "excess", "tau2", "design_effect", "z", "p_value", "p_adj", "tested"]
    if owner not in data or score not in data:
        return pd.DataFrame(columns=cols)
    sc = np.asarray(data[score], dtype="float64")
    codes = codes or {}
    oc, owners = _sorted_codes(data[owner], ~np.isnan(sc), codes.get(owner))
    use = oc >= 0
    if not use.any():
        return pd.DataFrame(columns=cols)
    o, s_ = oc[use], sc[use]
    k = len(owners)
    cat = np.where(s_ <= breaks.detractor_max, 0, np.where(s_ >= breaks.promoter_min, 2, 1))
    counts = np.bincount(o * 3 + cat, minlength=3 * k).reshape(k, 3)
    t = _nps_table(owners, counts, confidence)
    t["nines"] = np.bincount(o, weights=s_ == top - 1, minlength=k).astype(int)
    t["tens"] = np.bincount(o, weights=s_ == top, minlength=k).astype(int)
    t["top_two"] = t["nines"] + t["tens"]
    t["share_top_two"] = t["top_two"] / t["n"]
    t["design_effect"] = 1.0
    if account and account in data:
        ac = _sorted_codes(data[account], pre=codes.get(account), sort=False)[0][use]
        t["design_effect"] = _cluster_deff(o, k, ac, s_, top)
    alpha = 1 - confidence if outlier_alpha is None else outlier_alpha
    excluded = np.zeros(len(t), dtype=bool)
    for _ in range(3):  # owners flagged in a pass leave the others' reference in the next (robust reference)
        ft = _heaping_test(t, min_top, adjust, excluded)
        ft["p_adj"] = bh_adjust(ft["p_value"].where(ft["tested"]))
        out_now = ((ft["p_adj"] < alpha) & (ft["excess"] >= min_excess)).to_numpy()
        if (out_now == excluded).all():
            break
        excluded = out_now
    ft = ft.rename(columns={"rate": "share_tens", "expected_rate": "expected_share_tens"})
    ft = ft.sort_values(["z", "n"], ascending=[False, False], na_position="last").reset_index(drop=True)
    return ft[cols]


def _expit(x):
    return 1 / (1 + np.exp(-x))


def _heaping_test(t: pd.DataFrame, min_top: int, adjust: bool, excluded: np.ndarray) -> pd.DataFrame:
    """Leave-one-out test of each owner's tens among 9-10 scores (see :func:`owner_heaping`)."""
    k = t["tens"].to_numpy(dtype="float64")
    m = t["top_two"].to_numpy(dtype="float64")
    n = t["n"].to_numpy(dtype="float64")
    de = t["design_effect"].to_numpy(dtype="float64")
    use = m >= max(min_top, 1)
    ref_ok = use & ~excluded
    # how positive each owner's customers are, blind to the 9/10 split: logit of their share of 9-10 scores
    lg = np.log((m + 0.5) / (n - m + 0.5))
    units = len(t)
    exp_ = np.full(units, np.nan)
    tau2 = np.full(units, np.nan)
    pred_var = np.zeros(units)
    for i in range(units):
        ref = ref_ok.copy()
        ref[i] = False
        if ref.sum() < 2:
            continue
        big_n, top2, tens = n[ref].sum(), m[ref].sum(), k[ref].sum()
        if not (0 < tens < top2):
            continue
        p9, p10 = top2 / big_n, tens / big_n
        if adjust and top2 < big_n:  # (the shift needs some scores below 9 to be estimated)
            # proportional odds: a latent shift moves logit P(>=9) and logit P(10) alike, so
            # logit P(10) = logit P(>=9) - a, with the gap a taken from the reference owners
            gap = np.log(p9 / (1 - p9)) - np.log(p10 / (1 - p10))
            yhat = _expit(lg - gap) / _expit(lg)
            var_gap = 1 / (big_n * p9 * (1 - p9)) + 1 / (big_n * p10 * (1 - p10)) - 2 / (big_n * p9 * (1 - p10))
            e = _expit(lg[i] - gap)
            pred_var[i] = (e * (1 - e) / _expit(lg[i])) ** 2 * max(var_gap, 0.0)
        else:
            yhat = np.full(units, tens / top2)
        # residual between-owner variance of the reference owners (DerSimonian-Laird)
        y = k[ref] / m[ref]
        v = de[ref] * yhat[ref] * (1 - yhat[ref]) / m[ref]
        w = 1 / v
        q = float(((y - yhat[ref]) ** 2 * w).sum())
        denom = w.sum() - (w**2).sum() / w.sum()
        tau2[i] = max(0.0, (q - (ref.sum() - 1)) / denom) if denom > 0 else 0.0
        exp_[i] = float(np.clip(yhat[i], 1e-4, 1 - 1e-4))
    p = np.full(units, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = k / m
        z = (rate - exp_) / np.sqrt(de * exp_ * (1 - exp_) / m + tau2 + pred_var)
    for i in range(units):
        if use[i] and exp_[i] == exp_[i]:
            p[i] = beta_binomial_tails(k[i], m[i], exp_[i], tau2[i] + pred_var[i], de[i])[1]
    out = t.copy()
    out["rate"] = rate
    out["expected_rate"] = exp_
    out["excess"] = rate - exp_
    out["tau2"] = tau2
    out["pred_var"] = pred_var
    out["z"] = z
    out["p_value"] = p
    out["tested"] = use & ~np.isnan(p)
    return out


def _dense_limit(n: int) -> int:
    """Most cells of a dense count grid (e.g. accounts x owners) for ``n`` rows; beyond it, sort instead."""
    return max(4 * n, 1 << 22)


def _sorted_codes(values: pd.Series, mask: np.ndarray | None = None,
                  pre: tuple[np.ndarray, pd.Index] | None = None, sort: bool = True) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of ``values`` (-1 where missing or masked out) and their sorted distinct values.

    As ``groupby(sort=True)`` orders groups; only values present where ``mask`` holds get a code.
    ``pre``: the ``pd.factorize`` codes and uniques of ``values`` if already known (e.g. ``prep.codes``).
    """
    if pre is not None and len(pre[0]) == len(values):
        codes, uniques = np.asarray(pre[0], dtype="int64"), pd.Index(pre[1])
        if sort and len(uniques):
            order = np.asarray(uniques.argsort())
            rank = np.empty(len(order), dtype="int64")
            rank[order] = np.arange(len(order))
            codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
            uniques = uniques[order]
    else:
        codes, uniques = pd.factorize(values, sort=sort)
    codes = np.asarray(codes, dtype="int64")
    if mask is not None:
        codes = np.where(mask, codes, -1)
        present = np.bincount(codes[codes >= 0], minlength=len(uniques)) > 0
        if not present.all():
            new = np.cumsum(present) - 1
            codes = np.where(codes >= 0, new[np.maximum(codes, 0)], -1)
            uniques = uniques[present]
    return codes, uniques


def _nps_table(groups: pd.Index, counts: np.ndarray, confidence: float) -> pd.DataFrame:
    """The columns of :func:`npsdiag.metrics.nps` for groups whose (k, 3) category counts are known."""
    t = nps_table(counts, confidence)
    t.insert(0, "owner", groups)
    return t


def _cluster_deff(owner: np.ndarray, n_owners: int, cluster: np.ndarray, scores: np.ndarray,
                  top: float) -> np.ndarray:
    """Per owner, design effect of the share of 10s among 9-10 scores when responses cluster in accounts.

    ``owner`` and ``cluster`` are integer codes per response (a missing cluster, -1, is a cluster of its own).
    Linearised variance with clusters as PSUs: var = n_c / (n_c - 1) * sum_c u_c^2 / m^2,
    u_c = tens_c - share * top_two_c; design effect = var / (share (1 - share) / m), at least 1.
    """
    deff = np.ones(n_owners)
    sel = (scores == top) | (scores == top - 1)
    if not sel.any():
        return deff
    o = owner[sel]
    c = np.asarray(cluster[sel], dtype="int64")
    t = (scores[sel] == top).astype("float64")
    miss = c < 0
    if miss.any():
        c = c.copy()
        c[miss] = max(int(c.max()), -1) + 1 + np.arange(int(miss.sum()))
    m = np.bincount(o, minlength=n_owners).astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.bincount(o, weights=t, minlength=n_owners) / m
        width = int(c.max()) + 1
        key = o.astype("int64") * width + c
        if n_owners * width <= _dense_limit(len(key)):  # (owner, cluster) pairs counted on a dense grid
            cnt = np.bincount(key, minlength=n_owners * width)
            pair = np.flatnonzero(cnt)
            tsum, cnt = np.bincount(key, weights=t, minlength=n_owners * width)[pair], cnt[pair]
        else:
            pair, inv = np.unique(key, return_inverse=True)
            tsum, cnt = np.bincount(inv, weights=t), np.bincount(inv)
        p_owner = pair // width
        u = tsum - share[p_owner] * cnt
        n_cl = np.bincount(p_owner, minlength=n_owners).astype("float64")
        var_cl = n_cl / (n_cl - 1) * np.bincount(p_owner, weights=u**2, minlength=n_owners) / m**2
        var_bin = share * (1 - share) / m
        ok = (m > 0) & (n_cl >= 2) & (var_bin > 0)
        deff[ok] = var_cl[ok] / var_bin[ok]
    return np.clip(deff, 1.0, None)


def owner_outcomes(
    data: pd.DataFrame,
    accounts: pd.DataFrame,
    owner: str = "owner",
    score: str = "score",
    account: str = "account_id",
    churned: str = "churned",
    min_accounts: int = 5,
    leave_one_out: bool = True,
    codes: Mapping[str, tuple[np.ndarray, pd.Index]] | None = None,
) -> pd.DataFrame:
    """Per owner, observed account churn against the churn their customers' scores predict.

    If an owner's scores are inflated, their accounts churn more than
    accounts with such scores do elsewhere (observed / expected > 1). An
    owner whose customers are genuinely healthier has high scores *and*
    churn as low as those scores predict.

    Parameters
    ----------
    data : DataFrame
        One row per response (analysed responses).
    accounts : DataFrame
        One row per account with the churn outcome.
    owner, score, account, churned : str
        Column names.
    min_accounts : int
        Owners with fewer accounts of known outcome are not assessed.
    leave_one_out : bool
        Fit the score -> churn model on the other owners' accounts (default),
        so that an owner's own inflated scores do not set their expectation.
    codes : mapping of column name to (codes, uniques), optional
        Integer codes of the owner and account columns as
        :meth:`npsdiag.clean.Prepared.codes` gives them (``pd.factorize``
        of the same rows), so that a large export is not factorized again.

    Returns
    -------
    DataFrame
        One row per owner with enough accounts: ``owner``, ``accounts``,
        ``mean_score`` (mean of the accounts' mean scores), ``churned``
        (accounts), ``churn_rate``, ``expected_churn_rate``, ``churn_o_e``
        (observed / expected churned accounts), ``z``, ``p_value``
        (one-sided: more churn than predicted), ``p_adj`` (BH),
        ``other_churn_rate`` (the other owners' accounts) and
        ``p_lower_churn`` (one-sided Fisher exact test: the owner's accounts
        churn less than the other owners').

    Notes
    -----
    Accounts are the unit: an account's score is the mean of its responses'
    scores and its owner the owner of most of its responses. A logistic
    regression churned ~ score is fitted on the reference accounts
    (statsmodels ``Logit``); the owner's expected count E is the sum of
    predicted probabilities, V the sum of p (1 - p), and
    z = (O - E) / sqrt(V) is referred to the normal distribution (an
    observed/expected comparison as in indirect standardisation). If the
    model cannot be fitted (e.g. no churn), the reference churn rate is used.

    Examples
    --------
    >>> r = pd.DataFrame({"owner": list("aabbccdd") * 5, "account_id": [str(i) for i in range(40)],
    ...                   "score": [9, 3] * 20})
    >>> a = pd.DataFrame({"account_id": [str(i) for i in range(40)], "churned": [False, True] * 20})
    >>> owner_outcomes(r, a)["churn_o_e"].round(2).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    cols = ["owner", "accounts", "mean_score", "churned", "churn_rate", "expected_churn_rate", "churn_o_e", "z",
            "p_value", "p_adj"]
    empty_cols = cols + ["other_churn_rate", "p_lower_churn"]
    need = (owner in data and account in data and score in data and accounts is not None
            and account in accounts and churned in accounts)
    if not need:
        return pd.DataFrame(columns=empty_cols)
    sc = np.asarray(data[score], dtype="float64")
    base = data[owner].notna().to_numpy() & data[account].notna().to_numpy() & ~np.isnan(sc)
    if not base.any():
        return pd.DataFrame(columns=empty_cols)
    codes = codes or {}
    oc, owner_names = _sorted_codes(data[owner], base, codes.get(owner))
    ac, account_ids = _sorted_codes(data[account], base, codes.get(account), sort=False)
    o, a, s_ = oc[base], ac[base], sc[base]
    n_acc, n_own = len(account_ids), len(owner_names)
    # an account's score: the mean of its responses' scores; its owner: the owner of most of its responses
    # (ties: the first owner by name), counted on integer codes
    mean_score = np.bincount(a, weights=s_, minlength=n_acc) / np.bincount(a, minlength=n_acc)
    if n_acc * n_own <= _dense_limit(len(a)):  # responses per (account, owner) on a dense grid
        main_owner = np.bincount(a * n_own + o, minlength=n_acc * n_own).reshape(n_acc, n_own).argmax(axis=1)
    else:
        pair, k = np.unique(a * n_own + o, return_counts=True)
        p_acc, p_own = pair // n_own, pair % n_own
        order = np.lexsort((p_own, -k, p_acc))
        first = np.r_[True, p_acc[order][1:] != p_acc[order][:-1]]
        main_owner = np.empty(n_acc, dtype="int64")
        main_owner[p_acc[order][first]] = p_own[order][first]
    # each account's outcome: its first row in the accounts table
    at = pd.Index(account_ids).get_indexer(accounts[account])
    first_row = np.unique(at, return_index=True)[1] if len(at) else np.zeros(0, dtype="int64")
    first_row = first_row[at[first_row] >= 0]
    ch = accounts[churned].to_numpy(dtype=object, na_value=None)[first_row]
    y = np.full(n_acc, None, dtype=object)
    y[at[first_row]] = ch
    known = pd.notna(y)
    if not known.any():
        return pd.DataFrame(columns=empty_cols)
    acc = pd.DataFrame({"mean_score": mean_score[known], "owner": owner_names[main_owner[known]],
                        "y": y[known].astype(bool).astype(float)})
    # owners with most accounts first (ties by name); at most 200
    counts = acc["owner"].value_counts()
    counts = counts.iloc[np.lexsort((counts.index.astype(str), -counts.to_numpy()))]
    owners = [o for o in counts.index if counts[o] >= min_accounts][:200]
    # the logistic churn ~ score model on accounts grouped by their (mean) score: the same likelihood, far fewer rows
    x = acc["mean_score"].to_numpy(dtype="float64")
    yv = acc["y"].to_numpy()
    xu, xi = np.unique(x, return_inverse=True)
    trials_all = np.bincount(xi, minlength=len(xu)).astype("float64")
    events_all = np.bincount(xi, weights=yv, minlength=len(xu))
    own = acc["owner"].to_numpy(dtype=object)
    full_fit = None if leave_one_out else _fit_churn(xu, events_all, trials_all)
    rows = []
    for o_name in owners:
        mine = own == o_name
        trials_o = np.bincount(xi[mine], minlength=len(xu)).astype("float64")
        events_o = np.bincount(xi[mine], weights=yv[mine], minlength=len(xu))
        n_mine = float(trials_o.sum())
        if leave_one_out:
            t_ref, e_ref = trials_all - trials_o, events_all - events_o
            fit = _fit_churn(xu, e_ref, t_ref)
        else:
            t_ref, e_ref = trials_all, events_all
            fit = full_fit
        if fit is None:
            prob = np.full(len(xu), e_ref.sum() / t_ref.sum() if t_ref.sum() else np.nan)
        else:
            prob = fit(xu)
        e = float(np.sum(trials_o * prob))
        v = float(np.sum(trials_o * prob * (1 - prob)))
        o_cnt = float(events_o.sum())
        z = (o_cnt - e) / math.sqrt(v) if v > 0 else np.nan
        n_oth = float(trials_all.sum()) - n_mine
        oc_ = float(events_all.sum()) - o_cnt
        p_lower = float(stats.fisher_exact([[o_cnt, n_mine - o_cnt], [oc_, n_oth - oc_]],
                                           alternative="less").pvalue) if n_oth else np.nan
        rows.append({"owner": o_name, "accounts": int(n_mine), "mean_score": float(x[mine].mean()),
                     "churned": int(o_cnt), "churn_rate": o_cnt / n_mine, "expected_churn_rate": e / n_mine,
                     "churn_o_e": o_cnt / e if e > 0 else np.nan, "z": z,
                     "p_value": float(stats.norm.sf(z)) if z == z else np.nan,
                     "other_churn_rate": oc_ / n_oth if n_oth else np.nan, "p_lower_churn": p_lower})
    out = pd.DataFrame(rows, columns=cols[:-1] + ["other_churn_rate", "p_lower_churn"])
    out["p_adj"] = bh_adjust(out["p_value"]) if len(out) else []
    return out[cols + ["other_churn_rate", "p_lower_churn"]]


def _fit_churn(x: np.ndarray, events: np.ndarray, trials: np.ndarray):
    """Logistic churn ~ score fitted to accounts grouped by score; returns a predictor or None.

    ``events`` of ``trials`` accounts churned at score ``x``. Newton-Raphson on the binomial
    log-likelihood, which equals the account-level (Bernoulli) likelihood of statsmodels ``Logit``,
    from zero with the same stopping rule (parameter change below 1e-8, at most 100 steps).
    """
    use = trials > 0
    x, events, trials = x[use], events[use], trials[use]
    n, k = float(trials.sum()), float(events.sum())
    if n < 10 or k == 0 or k == n or len(x) < 2 or np.ptp(x) == 0:
        return None
    X = np.column_stack([np.ones_like(x), x])
    beta = np.zeros(2)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for _ in range(100):
                p = 1 / (1 + np.exp(-(X @ beta)))
                grad = X.T @ (events - trials * p)
                hess = (X * (trials * p * (1 - p))[:, None]).T @ X
                step = np.linalg.solve(hess, grad)
                beta = beta + step
                if not np.all(np.isfinite(beta)) or np.all(np.abs(step) < 1e-8):
                    break
    except np.linalg.LinAlgError:  # perfect separation, singular matrix: fall back to the rate
        return None
    b0, b1 = (float(v) for v in beta)
    if not (np.isfinite(b0) and np.isfinite(b1)):
        return None
    return lambda s: 1 / (1 + np.exp(-(b0 + b1 * s)))


def owner_review(
    data: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    top: float = 10,
    confidence: float = 0.95,
    min_top: int = 10,
    breaks: Breaks = Breaks(),
    codes: Mapping[str, tuple[np.ndarray, pd.Index]] | None = None,
) -> pd.DataFrame:
    """Score-gaming verdict per owner: heaping of 10s, backed or contradicted by account churn.

    Parameters
    ----------
    data : DataFrame
        Analysed responses with ``owner``, ``score`` and, for the churn
        check, ``account_id``.
    accounts : DataFrame, optional
        Accounts with ``account_id`` and ``churned``.
    top, confidence, min_top, breaks
        As in :func:`owner_heaping`.
    codes : mapping of column name to (codes, uniques), optional
        Integer codes of the owner and account columns as
        :meth:`npsdiag.clean.Prepared.codes` gives them (``pd.factorize``
        of the same rows), so that a large export is not factorized again.

    Returns
    -------
    DataFrame
        The columns of :func:`owner_heaping` and :func:`owner_outcomes`
        (churn ones prefixed where they clash: ``churned_accounts``,
        ``churn_z``, ``churn_p``, ``churn_p_adj``), plus ``nps_above_others``,
        ``severity`` (high / medium, None when not flagged), ``flag`` (plain
        reason) and ``flagged``.

    Notes
    -----
    An owner is flagged when the BH-adjusted p-value of their excess of 10s
    is below :data:`GAMING_ALPHA` (0.01, or 1 - confidence if smaller) and
    the excess is at least 10 points; high severity needs adjusted
    p < 0.001 and an excess of 20 points. An owner
    whose accounts churn significantly less than the other owners' (Fisher
    exact, one-sided) without churning more than their scores predict is not
    flagged: their 10s are backed by retention. Without heaping, an owner
    whose NPS is significantly above the others' while their accounts churn
    significantly more than their scores predict is flagged medium.
    """
    heap = owner_heaping(data, top=top, min_top=min_top, confidence=confidence, breaks=breaks, codes=codes,
                         outlier_alpha=min(1 - confidence, GAMING_ALPHA))
    outc = owner_outcomes(data, accounts, codes=codes) if accounts is not None else pd.DataFrame()
    # each owner's detractors, passives and promoters (a missing score counts as passive), on integer codes
    oc, owners = _sorted_codes(data["owner"], pre=(codes or {}).get("owner"))
    sc = np.asarray(data["score"], dtype="float64")
    cat = np.where(sc <= breaks.detractor_max, 0, np.where(sc >= breaks.promoter_min, 2, 1))
    use = oc >= 0
    tab = pd.DataFrame(np.bincount(oc[use] * 3 + cat[use], minlength=3 * len(owners)).reshape(-1, 3),
                       index=owners, columns=["d", "m", "p"])
    return _owner_verdicts(heap, outc, tab, 1 - confidence)


def _owner_verdicts(heap: pd.DataFrame, outc: pd.DataFrame, tab: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Combine heaping and outcome evidence into one verdict per owner.

    ``tab``: per owner (index), counts of detractors ``d``, passives ``m`` and promoters ``p``.
    """
    t = heap.copy()
    if len(outc):
        t = t.merge(outc.rename(columns={"z": "churn_z", "p_value": "churn_p", "p_adj": "churn_p_adj",
                                         "churned": "churned_accounts", "mean_score": "account_mean_score"}),
                    on="owner", how="left")
    else:
        for c in ("accounts", "churned_accounts", "churn_rate", "expected_churn_rate", "churn_o_e", "churn_z",
                  "churn_p", "churn_p_adj", "other_churn_rate", "p_lower_churn"):
            t[c] = np.nan
    heap_flag = t["tested"].astype(bool) & (t["p_adj"] < min(alpha, GAMING_ALPHA)) & (t["excess"] >= 0.10)
    strong = heap_flag & (t["p_adj"] < GAMING_ALPHA_HIGH) & (t["excess"] >= 0.20)
    has_out = t["churn_o_e"].notna() & (t["accounts"].fillna(0) >= 10)
    contradicts = has_out & (t["churn_p_adj"] < alpha) & (t["churn_o_e"] > 1.0)
    # retention that backs the scores: accounts churn significantly less than other owners' and no more than
    # their scores predict -- genuinely happier customers, not inflated scores
    supports = has_out & (t["p_lower_churn"] < alpha) & ~contradicts
    # owner NPS above the other owners' (outcome-only flags need scores that are also high)
    above = []
    tab = tab[tab.sum(axis=1) > 0]
    total = tab.sum()
    for o in t["owner"]:
        if o not in tab.index:
            above.append(False)
            continue
        mine = tab.loc[o]
        rest = total - mine
        r = nps_diff_test((mine["d"], mine["m"], mine["p"]), (rest["d"], rest["m"], rest["p"]))
        above.append(bool(r.diff > 0 and r.p_value < alpha))
    t["nps_above_others"] = above
    sev = np.full(len(t), None, dtype=object)
    reason = np.full(len(t), "", dtype=object)
    for i in range(len(t)):
        if heap_flag.iloc[i]:
            if supports.iloc[i]:  # no accusation: the outcomes say these customers are happier
                reason[i] = "more 10s than others, but accounts churn less: consistent with happier customers"
                continue
            s = "high" if strong.iloc[i] else "medium"
            why = "excess of 10s"
            if contradicts.iloc[i]:
                why += "; churn higher than the scores predict"
            sev[i], reason[i] = s, why
        elif contradicts.iloc[i] and t["nps_above_others"].iloc[i]:
            sev[i], reason[i] = "medium", "NPS above other owners but churn higher than the scores predict"
    t["severity"] = sev
    t["flag"] = reason
    t["flagged"] = t["severity"].notna()
    return t


# --------------------------------------------------------------------------- figures



def _percent_tick(value: float, _pos=None) -> str:
    """Tick label of a share ("40%"); a module-level function, so that figures using it can be pickled."""
    return f"{value:.0%}"


def _fig_volume(feed: pd.DataFrame, freq: str) -> Figure:
    fig, ax = plots.figure(7.5, 3.2)
    width = {"W": 6, "M": 26, "Q": 80}.get(freq, 6)
    x = pd.to_datetime(feed["start"]) + pd.Timedelta(days=width / 2)
    ok = ~feed["gap"].astype(bool)
    # the ordinary bars as one collection of rectangles (a hundred bar patches cost more than the whole check)
    from matplotlib import dates as mdates
    from matplotlib.collections import PolyCollection

    xc = mdates.date2num(x[ok])
    h = feed.loc[ok, "responses"].to_numpy(dtype="float64")
    verts = np.stack([np.column_stack([xc - width / 2, np.zeros_like(h)]), np.column_stack([xc - width / 2, h]),
                      np.column_stack([xc + width / 2, h]), np.column_stack([xc + width / 2, np.zeros_like(h)])],
                     axis=1)
    import matplotlib as mpl

    edge = mpl.rcParams["patch.edgecolor"] if mpl.rcParams["patch.force_edgecolor"] else "none"
    ax.add_collection(PolyCollection(verts, facecolors=plots.PALETTE[0], alpha=0.85, edgecolors=edge,
                                     linewidths=mpl.rcParams["patch.linewidth"], label="responses"), autolim=True)
    if (~ok).any():
        ax.bar(x[~ok], feed.loc[~ok, "responses"], width=width, color=plots.PALETTE[5], hatch="//",
               edgecolor=plots.PALETTE[5], label="gap (abnormally few)")
        top = np.nanmax(feed["expected"].to_numpy(dtype="float64")) if feed["expected"].notna().any() else 1
        for xi in x[~ok]:
            ax.axvspan(xi - pd.Timedelta(days=width / 2), xi + pd.Timedelta(days=width / 2), color=plots.PALETTE[5],
                       alpha=0.12, lw=0)
            ax.plot([xi], [top * 1.05], marker="v", color=plots.PALETTE[5], ms=6, ls="none")
        for ru in _gap_runs(feed)[:3]:
            ax.annotate(f"{num(ru['responses'])} vs ~{num(ru['expected'])}\nexpected", (ru["start"], top * 1.05),
                        xytext=(8, 2), textcoords="offset points", fontsize=7, color=plots.PALETTE[5])
    ax.plot(x, feed["expected"], color="black", lw=1.4, label="expected (rolling median)")
    ax.plot(x, feed["lower_limit"], color="black", lw=1, ls="--", label="lower limit")
    unit = {"W": "week", "M": "month", "Q": "quarter"}.get(freq, "period")
    ax.set_ylabel(f"responses per {unit}")
    ax.set_xlabel("")
    ax.set_title(f"Response volume per {unit}")
    top_y = float(np.nanmax(np.r_[feed["responses"].to_numpy(dtype="float64"),
                                  feed["expected"].to_numpy(dtype="float64")]))
    ax.set_ylim(0, 1.35 * max(top_y, 1.0))
    handles, labels = ax.get_legend_handles_labels()
    order = ["expected (rolling median)", "lower limit", "responses", "gap (abnormally few)"]
    pairs = sorted(zip(handles, labels), key=lambda hl: order.index(hl[1]) if hl[1] in order else len(order))
    ax.legend([h for h, _ in pairs], [lab for _, lab in pairs], loc="upper center", fontsize=8, ncol=4)
    return Figure("feed_volume", fig,
                  f"Responses per {unit}, with the expected volume (rolling median of the surrounding {unit}s) and "
                  f"its lower limit; hatched bars and triangles mark {unit}s with abnormally few responses.")


def _fig_trend(trend: pd.DataFrame, head: dict[str, Any], freq: str, min_n: int, max_moe: float) -> Figure:
    fig, ax = plots.figure(7.5, 3.4)
    t = trend[trend["n"] > 0]
    x = pd.to_datetime(t["start"])
    if head.get("nps") is not None:
        ax.axhspan(head["ci_low"], head["ci_high"], color="#999999", alpha=0.15, lw=0)
        ax.axhline(head["nps"], color="#666666", lw=1, ls="--", label=f"overall {head['nps']:+.0f}")
    for mask, style, label in (
        (t["precise"], dict(marker="o", color=plots.PALETTE[0], mfc=plots.PALETTE[0]), f"±{max_moe:g} or better"),
        (t["reportable"] & ~t["precise"], dict(marker="s", color=plots.PALETTE[1], mfc="white"),
         f"margin above ±{max_moe:g}"),
        (~t["reportable"], dict(marker="x", color=plots.PALETTE[5], mfc="white"), f"n < {min_n}: not reportable"),
    ):
        m = mask.to_numpy(dtype=bool)
        if not m.any():
            continue
        yerr = err(t["nps"], t["ci_low"], t["ci_high"])[:, m]
        ax.errorbar(x[m], t["nps"].to_numpy()[m], yerr=yerr, ls="none", capsize=2, ms=5, mew=1.3, label=label,
                    **style)
    ax.plot(x, t["nps"], color="#999999", lw=0.8, zorder=0)
    unit = {"W": "week", "M": "month", "Q": "quarter"}.get(freq, "period")
    ax.set_ylabel("NPS")
    ax.set_title(f"NPS per {unit} with its interval")
    ax.legend(loc="best", fontsize=8, ncol=2)
    return Figure("nps_trend", fig,
                  f"NPS per {unit} with its {int(100 * 0.95)}% adjusted Wald interval; hollow squares have a margin "
                  f"above ±{max_moe:g} points and crosses fewer than {min_n} responses (not to be reported as a "
                  "trend point). The band is the overall NPS and its interval.")


def _fig_funnel(t: pd.DataFrame, limits: pd.DataFrame, p0: float, adjusted: bool = False) -> Figure:
    fig, ax = plots.figure(7.5, 3.8)
    ycol = "adjusted_share_tens" if adjusted else "share_tens"
    ax.plot(limits["trials"], limits["lower_95"], color="black", lw=1, ls="--", label="95% limits")
    ax.plot(limits["trials"], limits["upper_95"], color="black", lw=1, ls="--")
    ax.plot(limits["trials"], limits["lower_99.8"], color="black", lw=1, ls=":", label="99.8% limits")
    ax.plot(limits["trials"], limits["upper_99.8"], color="black", lw=1, ls=":")
    ax.axhline(p0, color="#666666", lw=1, label=f"other owners {p0:.0%}")
    shown = t[t["top_two"] > 0]
    ok = shown[~shown["flagged"].astype(bool)]
    bad = shown[shown["flagged"].astype(bool)]
    xcol = "effective_top_two" if "effective_top_two" in t else "top_two"
    ax.scatter(ok[xcol], ok[ycol], marker="o", s=30, color=plots.PALETTE[0], label="owner", zorder=3)
    if len(bad):
        ax.scatter(bad[xcol], bad[ycol], marker="^", s=60, color=plots.PALETTE[5], edgecolor="black",
                   label="flagged owner", zorder=4)
    label = shown.loc[shown["flagged"].astype(bool) | (shown["z"].rank(ascending=False) <= 1)
                      | (shown["z"].rank(ascending=True) <= 1)]
    for _, r in label.iterrows():
        ax.annotate(str(r["owner"]), (r[xcol], r[ycol]), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.set_xlabel("responses scoring 9 or 10 (effective number, allowing for several answers per account)"
                  if xcol == "effective_top_two" else "responses scoring 9 or 10 (owner's volume)", fontsize=9)
    ax.set_ylabel("share of 10s among 9s and 10s" + ("\n(adjusted for customers' mood)" if adjusted else ""))
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(_percent_tick)
    ax.set_title("Funnel plot: share of 10s by owner")
    ax.legend(loc="lower right", fontsize=8, ncol=2)
    cap = ("Each owner's share of 10s among their 9s and 10s against their volume"
           + (", adjusted for how positive the owner's customers are overall (each owner's expected share, from the "
              "other owners and a proportional-odds shift, is moved to the common centre line)" if adjusted else "")
           + ". Control limits allow for real differences between owners (additive random effect, Spiegelhalter "
             "2005); owners above the upper limit have more 10s than chance and normal variation explain.")
    return Figure("owner_funnel", fig, cap)


def _fig_owner_outcomes(t: pd.DataFrame) -> Figure | None:
    d = t[t["churn_rate"].notna() & t["nps"].notna()]
    if len(d) < 3:
        return None
    fig, ax = plots.figure(7.5, 3.4)
    d = d.copy()
    lo, hi = wilson_interval(d["churned_accounts"], d["accounts"])
    d["c_lo"], d["c_hi"] = lo, hi
    for mask, style, label in ((~d["flagged"].astype(bool), dict(marker="o", color=plots.PALETTE[0], ms=5), "owner"),
                               (d["flagged"].astype(bool), dict(marker="^", color=plots.PALETTE[5], mec="black",
                                                                ms=7), "flagged owner")):
        g = d[mask]
        if g.empty:
            continue
        ax.errorbar(g["nps"], g["churn_rate"], xerr=err(g["nps"], g["ci_low"], g["ci_high"]),
                    yerr=err(g["churn_rate"], g["c_lo"], g["c_hi"]), ls="none", capsize=2,
                    elinewidth=0.8, label=label, **style)
    for _, r in d.iterrows():
        ax.annotate(str(r["owner"]), (r["nps"], r["churn_rate"]), textcoords="offset points", xytext=(4, 4),
                    fontsize=8)
    ax.set_xlabel("owner's NPS (with interval)")
    ax.set_ylabel("accounts churned (with interval)")
    ax.yaxis.set_major_formatter(_percent_tick)
    ax.set_title("Owners: NPS against their accounts' churn")
    ax.legend(loc="best", fontsize=8)
    return Figure("owner_outcomes", fig,
                  "Each owner's NPS against the churn of their accounts. Honest high scores go with low churn; "
                  "high scores with ordinary churn suggest inflated scores.")


# --------------------------------------------------------------------------- diagnose


def diagnose(prep: Prepared) -> AreaResult:
    """Diagnose the reliability area of one client's NPS program.

    Parameters
    ----------
    prep : Prepared
        The client's data after :func:`npsdiag.clean.prepare`.

    Returns
    -------
    AreaResult
        Findings ``reliability.missing_values``, ``out_of_range``,
        ``test_responses``, ``date_anomalies``, ``duplicates``, ``feed_gaps``,
        ``small_sample`` and ``score_gaming`` (each only when its evidence is
        there); tables ``trust_summary``, ``lineage``, ``exclusions``,
        ``feed_gaps``, ``trend``, ``sample_size_plan``, ``owners``; figures of
        volume over time, the NPS trend and the owners' funnel plot.
    """
    s = prep.settings
    rows_read = len(prep.flags)
    if rows_read == 0:
        return not_assessed("reliability", "the responses file has no rows")
    r = prep.responses
    findings: list[Finding] = []
    short: dict[str, str] = {}
    tables: dict[str, pd.DataFrame] = {}
    captions: dict[str, str] = {}
    figures: list[Figure] = []
    notes: list[str] = []
    trust: list[dict[str, str]] = []
    n_an = len(r)

    # 1. exclusions and lineage
    excl = exclusion_summary(prep.flags)
    f_excl, short_excl = _exclusion_findings(prep, excl)
    findings += f_excl
    short.update(short_excl)
    trust.append({"check": "Usable rows", "result": f"{num(n_an)} of {num(rows_read)} rows analysed "
                                                    f"({pct(n_an / rows_read, 1)})",
                  "status": "ok" if n_an / rows_read >= 0.9 else ("issue" if n_an else "no usable rows")})
    labels = {"reliability.missing_values": "Missing scores or dates",
              "reliability.out_of_range": "Scores outside the scale or not numbers",
              "reliability.test_responses": "Tests, previews, unfinished",
              "reliability.duplicates": "Duplicates and repeat respondents",
              "reliability.date_anomalies": "Future dates, dated before invitation"}
    by_id = {f.id: f for f in f_excl}
    for fid, lab in labels.items():
        f = by_id.get(fid)
        trust.append({"check": lab, "result": (f"{num(f.evidence['rows'])} rows ({pct(f.evidence['share'], 1)}) "
                                               "excluded") if f else "none found",
                      "status": f.severity if f else "ok"})
    tables["lineage"] = prep.lineage
    captions["lineage"] = ("Data lineage: every row read is either analysed or excluded for exactly one reason "
                           "(the first that applies).")
    if len(excl):
        tables["exclusions"] = excl.drop(columns=["reason"]).rename(columns={"description": "reason"})
        captions["exclusions"] = "Rows excluded per reason, with example row numbers in the client's file."
    notes.append("Rows are excluded by npsdiag.clean.prepare for the first reason that applies; severity by the "
                 "share of rows read: high from 10%, medium from 2%.")
    if n_an == 0:
        tables = {"trust_summary": pd.DataFrame(trust), **tables}
        return AreaResult("reliability", findings=findings, tables=tables, figures=figures,
                          summary=f"None of the {num(rows_read)} rows read could be analysed.", notes=notes,
                          table_captions={"trust_summary": "Data-trust summary.", **captions})

    # 2. feed gaps
    feed = feed_gaps(r, freq=s.feed_period, confidence=s.confidence)
    unit = {"W": "week", "M": "month", "Q": "quarter"}.get(s.feed_period, "period")
    tested = feed[~feed["partial"] & feed["p_value"].notna()]
    if len(tested) >= 6:
        figures.append(_fig_volume(feed, s.feed_period))
        gaps = feed[feed["gap"]]
        if len(gaps):
            runs = _gap_runs(feed)
            shortfall = float((gaps["expected"] - gaps["responses"]).sum())
            longest = max(ru["periods"] for ru in runs)
            deep_run = any(ru["periods"] >= 2 and ru["responses"] <= 0.2 * ru["expected"] for ru in runs)
            sev = "high" if (shortfall >= 0.05 * n_an or deep_run) else "medium"
            desc = "; ".join(
                (f"{ru['first']}" if ru["periods"] == 1 else f"{ru['first']} to {ru['last']}")
                + f" ({num(ru['responses'])} responses against about {num(ru['expected'])} expected)"
                for ru in runs[:5])
            p_min = float(gaps["p_adj"].min())
            findings.append(Finding(
                "reliability.feed_gaps", sev,
                f"{len(gaps)} {unit}{'s' if len(gaps) > 1 else ''} with abnormally few responses: "
                f"about {num(shortfall)} responses missing",
                f"Against the series' own level, these {unit}s received far fewer responses than usual: {desc}. "
                f"A drop this deep is unlikely to be chance (smallest adjusted p {p_eq(p_min)}); it usually means "
                "a broken feed, a paused survey or a failed export, and any trend across it is unreliable.",
                {"gap_periods": int(len(gaps)), "runs": len(runs), "longest_run_periods": int(longest),
                 "missing_responses": shortfall, "share_of_analysed": shortfall / n_an,
                 "min_p_adj": p_min, "periods_tested": int(len(tested)),
                 "dispersion": float(feed.attrs.get("dispersion", np.nan)),
                 "gaps": [ru["first"] if ru["periods"] == 1 else f"{ru['first']} to {ru['last']}" for ru in runs]},
                f"Ask the survey platform owner what happened in those {unit}s (survey paused, sending list empty, "
                "integration error) and re-import the missing responses if they exist; add a weekly volume alert "
                "to the feed; do not read trend changes across the gap."))
            short["reliability.feed_gaps"] = f"a feed gap ({runs[0]['first']})"
            tables["feed_gaps"] = gaps[["period", "responses", "expected", "lower_limit", "ratio", "p_adj"]]
            captions["feed_gaps"] = (f"{unit.capitalize()}s with abnormally few responses: count, expected level "
                                     "(rolling median), lower limit and BH-adjusted p-value.")
            trust.append({"check": "Feed continuity", "result": f"{len(gaps)} {unit}(s) with abnormally few "
                                                               f"responses ({desc.split(' (')[0]})",
                          "status": sev})
        else:
            trust.append({"check": "Feed continuity", "result": f"no gap in {len(tested)} {unit}s tested",
                          "status": "ok"})
        notes.append(f"Feed gaps: responses per {unit} against a centred rolling median of the neighbouring "
                     f"{unit}s; counts referred to a negative binomial with robustly estimated dispersion "
                     f"(phi = {feed.attrs.get('dispersion', 1):.2f}); Benjamini-Hochberg across {unit}s; a gap "
                     "needs adjusted p < alpha and at most half the expected volume. First and last periods are "
                     "partial and not tested.")
    else:
        trust.append({"check": "Feed continuity", "result": f"too few {unit}s ({len(tested)}) to test",
                      "status": "not assessed"})

    # 3. precision
    head = nps(r, confidence=s.confidence, breaks=s.breaks).iloc[0]
    head_d = {"nps": float(head["nps"]), "ci_low": float(head["ci_low"]), "ci_high": float(head["ci_high"]),
              "moe": float(head["moe"]), "n": int(head["n"])}
    trend = nps_trend(r, freq=s.trend_period, confidence=s.confidence, min_n=s.min_n, max_moe=MAX_MOE,
                      breaks=s.breaks)
    tunit = {"W": "week", "M": "month", "Q": "quarter"}.get(s.trend_period, "period")
    full = trend[~trend["partial"]] if (~trend["partial"]).any() else trend
    per_n = float(full["n"].median()) if len(full) else float("nan")
    adj_counts = (head["detractors"] + 0.75, head["passives"] + 1.5, head["promoters"] + 0.75)
    tot = sum(adj_counts)
    plan = sample_size_plan(adj_counts[2] / tot, adj_counts[0] / tot, changes=(5, 10), power=0.8,
                            confidence=s.confidence, current_n=per_n if per_n == per_n else None)
    tables["sample_size_plan"] = plan
    captions["sample_size_plan"] = (f"Responses needed per {tunit} to detect a change of 5 or 10 NPS points "
                                    f"between two {tunit}s with 80% power (two-sample test, variance of Rocks 2016 "
                                    "at the current category mix).")
    if len(trend) >= 2:
        figures.append(_fig_trend(trend, head_d, s.trend_period, s.min_n, MAX_MOE))
        shown = trend.tail(30)
        tables["trend"] = shown[["period", "n", "nps", "ci_low", "ci_high", "moe", "issue"]]
        captions["trend"] = (f"NPS per {tunit} with its interval and margin of error"
                             + (" (last 30 shown)" if len(trend) > 30 else "") + "; points marked with an issue "
                             "should not be reported as a trend point.")
    # a first or last period cut by the export's dates is shown but not held against the program
    judged = trend[~trend["partial"]] if (~trend["partial"]).sum() >= 2 else trend
    low_n = judged[(judged["n"] < s.min_n)]
    wide = judged[judged["reportable"] & ~judged["precise"]]
    n_pts = len(judged)
    sev = None
    if head_d["n"] < s.min_n:
        sev = "high"
    elif head_d["moe"] > MAX_MOE:
        sev = "medium"
    elif n_pts >= 2 and len(low_n) / n_pts >= 0.25:
        sev = "medium"
    elif n_pts >= 2 and (len(low_n) or len(wide)):
        sev = "low"
    detectable = plan["detectable_change_now"].iloc[0] if len(plan) else float("nan")
    need10 = int(plan.loc[plan["change_points"] == 10, "responses_needed_per_period"].iloc[0])
    need5 = int(plan.loc[plan["change_points"] == 5, "responses_needed_per_period"].iloc[0])
    trust.append({"check": "Precision", "result": f"headline ±{head_d['moe']:.1f} points on {num(head_d['n'])} "
                                                  f"responses; {len(low_n) + len(wide)} of {n_pts} {tunit}s "
                                                  "too imprecise", "status": sev or "ok"})
    if sev:
        if head_d["n"] < s.min_n or head_d["moe"] > MAX_MOE:
            title = (f"The overall NPS rests on {num(head_d['n'])} responses: ±{head_d['moe']:.1f} points")
        else:
            title = (f"{len(low_n) + len(wide)} of {n_pts} {tunit}ly NPS points have fewer than {s.min_n} responses "
                     f"or a margin above ±{MAX_MOE:g} points")
        detail = (f"The overall NPS is {pts(head_d['nps'])} (interval {pts(head_d['ci_low'])} to "
                  f"{pts(head_d['ci_high'])}, n = {num(head_d['n'])}). Per {tunit}, the median volume is "
                  f"{num(per_n)} responses: {len(low_n)} {tunit}(s) have fewer than {s.min_n} responses and "
                  f"{len(wide)} more have a margin of error above ±{MAX_MOE:g} points. ")
        if detectable == detectable:
            detail += (f"With this volume only a change of about {detectable:.0f} points between two {tunit}s can be "
                       f"told from noise; detecting 10 points needs about {num(need10)} responses per {tunit} and "
                       f"5 points about {num(need5)}.")
        findings.append(Finding(
            "reliability.small_sample", sev, title, detail,
            {"n": head_d["n"], "moe": head_d["moe"], "min_n": s.min_n, "max_moe": MAX_MOE, "trend_points": n_pts,
             "points_below_min_n": int(len(low_n)), "points_above_max_moe": int(len(wide)),
             "median_n_per_period": per_n, "detectable_change_points": float(detectable),
             "needed_per_period_10_points": need10, "needed_per_period_5_points": need5},
            f"Report the NPS per {'quarter' if tunit == 'month' else 'longer period'} or as a rolling figure until "
            f"each point has at least {s.min_n} responses, always show the interval, and do not act on "
            f"{tunit}-to-{tunit} moves smaller than the detectable change; raise volume (more invitations, "
            "reminders) if finer tracking matters."))
        short["reliability.small_sample"] = "imprecise trend points"
    notes.append(f"Precision: adjusted Wald interval (Rocks 2016); a point needs at least {s.min_n} responses "
                 f"(settings.min_n) and a margin of ±{MAX_MOE:g} points or less to be reported as precise. "
                 "Planner: two-sample Wald test, n = (z_{1-alpha/2} + z_power)^2 * 2 var / delta^2.")

    # 4. score gaming
    if "owner" in r and r["owner"].notna().any():
        codes = {c: prep.codes(c) for c in ("owner", "account_id") if c in r}
        t = owner_review(r, prep.accounts, top=s.scale[1], confidence=s.confidence, min_top=10, breaks=s.breaks,
                         codes=codes)
        n_tested = int(t["tested"].sum())
        if n_tested >= 4:
            ref = t[~t["flagged"] & t["tested"].astype(bool)]
            od = overdispersion(ref["tens"], ref["top_two"])
            # the limits of the flagged owners' own tests (reference = the others), else the typical reference
            tau2 = float(t.loc[t["flagged"], "tau2"].median() if t["flagged"].any() else t["tau2"].median())
            tau2 = tau2 if tau2 == tau2 else 0.0
            t["adjusted_share_tens"] = od["p0"] + t["excess"]
            t["effective_top_two"] = t["top_two"] / t["design_effect"].fillna(1.0)
            lo_x = max(5.0, 0.5 * float(t["effective_top_two"].min()))
            grid = np.linspace(lo_x, max(float(t["effective_top_two"].max()) * 1.08, 10.0), 200)
            lim = funnel_limits(od["p0"], grid, tau2=tau2)
            adjusted = True
            figures.append(_fig_funnel(t, lim, od["p0"], adjusted))
            if t["churn_rate"].notna().sum() >= 3:
                fo = _fig_owner_outcomes(t)
                if fo is not None:
                    figures.append(fo)
            keep = ["owner", "n", "nps", "ci_low", "ci_high", "share_top_two", "nines", "tens", "share_tens",
                    "expected_share_tens", "p_adj"]
            if t["churn_o_e"].notna().any():
                keep += ["accounts", "churn_rate", "expected_churn_rate", "churn_o_e", "churn_p_adj"]
            keep += ["flag"]
            tables["owners"] = t[keep].head(30)
            captions["owners"] = ("Owners, most extreme first: NPS, share of 9-10 scores, 9s and 10s, share of 10s "
                                  "against the share expected from the other owners for customers as positive "
                                  "(BH-adjusted one-sided p) and, where churn is known, their accounts' churn against "
                                  "what the scores predict (observed / expected).")
            flagged = t[t["flagged"]]
            if len(flagged):
                sev = worst(flagged["severity"])
                names = flagged["owner"].astype(str).tolist()
                lead = flagged.iloc[0]
                if len(flagged) == 1:
                    title = (f"{names[0]}'s customers give an implausible share of 10s "
                             f"({pct(lead['share_tens'])} of 9-10 scores against {pct(lead['expected_share_tens'])} "
                             "for other owners)") if "excess" in lead["flag"] else (
                        f"{names[0]}'s scores do not go with their accounts' churn")
                else:
                    title = f"{len(flagged)} owners' scores look implausibly high ({', '.join(names[:4])})"
                parts = []
                for _, o in flagged.head(5).iterrows():
                    txt = (f"{o['owner']}: {num(o['tens'])} tens and {num(o['nines'])} nines "
                           f"({pct(o['share_tens'])} tens against {pct(o['expected_share_tens'])} for other owners, "
                           f"adjusted p {p_eq(o['p_adj'])})")
                    if o["churn_o_e"] == o["churn_o_e"]:
                        txt += (f"; {pct(o['churn_rate'])} of their {num(o['accounts'])} accounts churned against "
                                f"{pct(o['expected_churn_rate'])} expected from their scores")
                    parts.append(txt)
                detail = ("Compared with the other owners, allowing for real differences between owners' customers: "
                          + "; ".join(parts) + ". An owner whose customers are simply happier gives more 9s and "
                          "10s in the usual proportion and sees less churn; an excess of 10s over 9s is the typical "
                          "mark of coached, selected or self-completed surveys.")
                findings.append(Finding(
                    "reliability.score_gaming", sev, title, detail,
                    {"owners_flagged": names, "owners_tested": n_tested, "pooled_share_tens": od["p0"],
                     "tau2": od["tau2"], "share_tens": float(lead["share_tens"]),
                     "expected_share_tens": float(lead["expected_share_tens"]), "p_adj": float(lead["p_adj"]),
                     "n_top_two": int(lead["top_two"]),
                     "churn_o_e": None if lead["churn_o_e"] != lead["churn_o_e"] else float(lead["churn_o_e"])},
                    "Review how these owners' surveys are sent (who chooses the recipients, whether customers are "
                    "asked for a 10, whether the owner can see or submit responses) before drawing conclusions "
                    "about any person; send surveys centrally and at random, and do not tie pay or targets to the "
                    "owner's own NPS."))
                short["reliability.score_gaming"] = "implausibly high scores for " + ", ".join(names[:2])
                trust.append({"check": "Score gaming", "result": f"{len(flagged)} of {n_tested} owners flagged "
                                                                 f"({', '.join(names[:3])})", "status": sev})
            else:
                trust.append({"check": "Score gaming", "result": f"no owner flagged among {n_tested} tested",
                              "status": "ok"})
            notes.append("Score gaming: per owner, the share of 10s among 9s and 10s against the other owners' "
                         "(leave-one-out), beta-binomial with an additive random effect whose variance is the "
                         "DerSimonian-Laird estimate (funnel plot with overdispersion, Spiegelhalter 2005, "
                         "Statistics in Medicine 24:1185-1202); the expected share is risk-adjusted for how positive "
                         "the owner's customers are by a proportional-odds shift (logit P(10) = logit P(9-10) - a, a "
                         "from the other owners; happier customers give relatively more 10s), responses clustered in "
                         "accounts count by their Kish effective number; one-sided p-values, Benjamini-Hochberg "
                         "across "
                         "owners; flagged when adjusted p < 0.01 (stricter than usual: a false accusation is the "
                         "costliest error) and the excess is 10 points or more, high severity only when adjusted "
                         "p < 0.001 and the excess is 20 points or more. Where churn is "
                         "known, each owner's churned accounts are compared with a logistic churn ~ score model "
                         "fitted on the other owners' accounts (observed / expected). An owner whose accounts churn "
                         "significantly less than other owners' (one-sided Fisher exact test) and no more than their "
                         "scores predict is not flagged: their 10s are backed by retention.")
        else:
            trust.append({"check": "Score gaming", "result": f"too few owners with 10+ scores of 9-10 "
                                                             f"({n_tested}) to compare", "status": "not assessed"})
    else:
        trust.append({"check": "Score gaming", "result": "no owner (rep/CSM) column", "status": "not assessed"})

    # summary
    usable = n_an / rows_read
    top = sorted([f for f in findings if f.severity in ("high", "medium")],
                 key=lambda f: ("high", "medium").index(f.severity))
    summary = f"{pct(usable)} of the {num(rows_read)} rows read were usable"
    if top:
        summary += "; what matters most: " + "; ".join(short.get(f.id, f.title) for f in top[:3]) + "."
    else:
        summary += "; no material data-quality issue found."
    ordered = {"trust_summary": pd.DataFrame(trust), **tables}
    order = ["trust_summary", "lineage", "exclusions", "feed_gaps", "trend", "sample_size_plan", "owners"]
    ordered = {k: ordered[k] for k in order if k in ordered}
    captions["trust_summary"] = "Data-trust summary: each check, what was found and its severity."
    return AreaResult("reliability", findings=findings, tables=ordered, figures=figures, summary=summary,
                      notes=notes, table_captions=captions)
