"""The area's checks: each runs building blocks on the prepared data and returns a :class:`~npsdiag.findings.Check`.

A check returns its tables, captions, figures and notes, and in
``context`` what the finding rules (:mod:`~npsdiag.areas.segmentation.rules`)
read; or :meth:`Check.skipped <npsdiag.findings.Check.skipped>` with the
reason when its inputs are missing. The checks count on the codes the
prepared data factorized once (:meth:`npsdiag.clean.Prepared.codes`),
through the blocks' ``*_from_codes`` functions.

Substantive checks (an area is "sound" only when they ran): the segment
tests, the small segments and, when the data cover two comparable periods,
the mix/rate split. The spread beyond noise, the test across a dimension,
the heat map and the trend describe or support them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from ...clean import Prepared
from ...findings import Check, Figure
from ...linking import cluster_column
from ...stats.meta import MIN_K_TAU
from ...stats.nps import Breaks, nps
from .coding import CodesFn, category_codes, cluster_codes, label_codes, n_distinct, segment_codes
from .figures import plot_forest, plot_heatmap, plot_mix_rate, plot_trend
from .periods import MIN_SHARED_SHARE, comparison_periods, mix_rate_summary_from_codes, nps_trend, period_rows
from .segments import (
    MAX_JOINT_VALUES,
    dimension_tests_from_codes,
    nps_grid_from_codes,
    segment_dispersion,
    segment_nps_from_codes,
)

__all__ = ["Inputs", "CHECKS", "MAX_DIFF_HALF_WIDTH", "missing_inputs", "gather", "skipped_all", "dimension_label",
           "segment_table", "small_segments", "dispersion", "dimension_tests", "heatmap", "trend", "mix_rate",
           "method_notes"]

#: The checks of the area, in report order.
CHECKS = ("segments", "small_segments", "dispersion", "dimension_tests", "heatmap", "trend", "mix_rate")
#: "No segment differs" is evidence only when some segment's difference from the rest is measured to within this
#: many points (half its interval): a gap this wide, which the findings call high, would then be detected. Wider
#: intervals everywhere and no difference found, the segments check is not assessed (too few responses to tell).
MAX_DIFF_HALF_WIDTH = 20.0
#: Forest plots are drawn for at most this many dimensions.
MAX_FOREST_DIMENSIONS = 6
#: The heat map crosses two dimensions with this many values (inclusive).
HEATMAP_VALUES = (2, 15)
#: Beyond this many weeks or months the trend is shown by quarter.
MAX_TREND_PERIODS = 36
#: Column names that say a segment column is the stage of the customer journey (the touchpoint surveyed).
JOURNEY_STAGE = re.compile(r"journey|touch.?point|stage|survey.?sub.?type|interaction.?type|trigger", re.IGNORECASE)
_UNITS = {"W": "week", "M": "month", "Q": "quarter", "Y": "year"}


@dataclass(frozen=True)
class Inputs:
    """What the checks read: the analysed responses, the settings and a few shared numbers.

    Attributes
    ----------
    responses : DataFrame
        ``prep.responses``.
    dimensions : list of str
        The segment columns.
    codes : callable
        :meth:`npsdiag.clean.Prepared.codes`.
    categories : array of int
        Each response's category (0 detractor, 1 passive, 2 promoter, -1 no score).
    overall : float
        The overall NPS (points).
    cluster : str or None
        The column whose responses are not independent (:func:`npsdiag.linking.cluster_column`: an account, or a
        respondent answering many times), or None.
    clusters : array of int or None
        The responses' cluster codes (:func:`~.coding.cluster_codes`; None without ``cluster``).
    """

    responses: pd.DataFrame
    dimensions: list[str]
    codes: CodesFn
    min_n: int
    confidence: float
    breaks: Breaks
    trend_period: str
    categories: np.ndarray
    overall: float
    cluster: str | None
    clusters: np.ndarray | None

    @property
    def alpha(self) -> float:
        return 1 - self.confidence

    @property
    def n_total(self) -> int:
        return len(self.responses)

    @property
    def labels(self) -> dict[str, str]:
        """How each dimension is named to the client (:func:`dimension_label`)."""
        return {d: dimension_label(d) for d in self.dimensions}


def missing_inputs(prep: Prepared) -> str | None:
    """Why the area cannot be assessed (no responses, no segment column), or None."""
    if prep.responses.empty:
        return "no analysable responses"
    if not prep.segments:
        return "no segment column (such as region, plan or industry) was named for the responses or the accounts"
    return None


def gather(prep: Prepared) -> Inputs:
    """The checks' inputs from the prepared data (which :func:`missing_inputs` found complete)."""
    r, s = prep.responses, prep.settings
    k, cluster = category_codes(r["score"], s.breaks), cluster_column(prep)
    return Inputs(responses=r, dimensions=list(prep.segments), codes=prep.codes, min_n=s.min_n,
                  confidence=s.confidence, breaks=s.breaks, trend_period=s.trend_period, categories=k,
                  overall=float(nps(r, confidence=s.confidence, breaks=s.breaks)["nps"].iloc[0]), cluster=cluster,
                  clusters=cluster_codes(r, cluster, k >= 0, prep.codes))


def skipped_all(reason: str) -> list[Check]:
    """Every check of the area, not assessed for the same reason."""
    return [Check.skipped(name, reason, substantive=name in ("segments", "small_segments")) for name in CHECKS]


def dimension_label(dimension: str) -> str:
    """How a segment column is named in the report: "journey stage (COLUMN)" for a journey stage or touchpoint.

    Examples
    --------
    >>> dimension_label("SURVEY_SUB_TYPE"), dimension_label("Region")
    ('journey stage (SURVEY_SUB_TYPE)', 'Region')
    """
    return f"journey stage ({dimension})" if JOURNEY_STAGE.search(str(dimension)) else str(dimension)


# --------------------------------------------------------------------------- segments


def _client_table(seg: pd.DataFrame, labels: dict[str, str], max_rows: int = 30) -> pd.DataFrame:
    """The summary-sized segment table shown in the report."""
    t = seg.copy()
    if len(t) > max_rows:
        keep = t["direction"].astype(bool)
        rest = t[~keep].sort_values("n", ascending=False).head(max(0, max_rows - int(keep.sum())))
        t = pd.concat([t[keep], rest]).sort_index()
    t = t.assign(note=np.where(~t["reportable"].astype(bool), "too few to report",
                               np.where(t["direction"] == "below", "below the rest",
                                        np.where(t["direction"] == "above", "above the rest", ""))),
                 dimension=t["dimension"].map(lambda d: labels.get(d, d)))
    return t[["dimension", "segment", "n", "pct_promoters", "pct_passives", "pct_detractors", "nps", "ci_low",
              "ci_high", "diff_vs_rest", "p_adj", "note"]].reset_index(drop=True)


def _forest(inputs: Inputs, seg: pd.DataFrame, dim: str) -> Figure:
    sub = seg[seg["dimension"] == dim]
    worst = sub[sub["reportable"]].sort_values("nps").head(1)
    label = inputs.labels[dim]
    cap = f"NPS by {label} with {inputs.confidence:.0%} intervals; dashed line: overall NPS {inputs.overall:+.0f}."
    if len(worst):
        w = worst.iloc[0]
        cap += f" Lowest reportable: {w['segment']} at {w['nps']:+.0f} (n = {int(w['n']):,})."
    return Figure(f"forest_{dim}", partial(plot_forest, seg, dim, inputs.overall, inputs.min_n, inputs.confidence,
                                           label=label), cap)


def _tested(seg: pd.DataFrame, dimensions: list[str]) -> tuple[list[str], list[str]]:
    """The dimensions whose values were tested against the rest (two reportable values or more), and the others."""
    reportable = seg[seg["reportable"].astype(bool)].groupby("dimension")["segment"].count()
    tested = [d for d in dimensions if reportable.get(d, 0) >= 2]
    return tested, [d for d in dimensions if d not in tested]


def _precision(seg: pd.DataFrame, tested: list[str]) -> float:
    """The narrowest half-width (points) of the tested segments' differences from the rest (NaN without any)."""
    half = ((seg["diff_ci_high"] - seg["diff_ci_low"]) / 2)[seg["dimension"].isin(tested)].dropna()
    return float(half.min()) if len(half) else float("nan")


def segment_table(inputs: Inputs) -> Check:
    """Every segment's NPS tested against the rest (table ``segments``, a forest plot per dimension).

    Not assessed (but still shown) when no dimension has two values with ``min_n`` responses, or when no
    difference was found and none is measured to within :data:`MAX_DIFF_HALF_WIDTH` points (absence of evidence
    is then no evidence of absence). Context: ``segments`` (the whole :func:`~.segments.segment_nps` table),
    ``overall``, ``n_total``, ``alpha``, ``min_n``, ``tested`` and ``untested`` (dimensions), ``labels``,
    ``precision`` (:func:`_precision`) and ``max_half_width``.
    """
    r, k = inputs.responses, inputs.categories
    seg = segment_nps_from_codes(k, segment_codes(r, inputs.dimensions, inputs.codes), inputs.clusters,
                                 min_n=inputs.min_n, confidence=inputs.confidence)
    caption = (f"NPS of every segment with its {inputs.confidence:.0%} interval, and its difference from all other "
               f"responses (p-values Benjamini-Hochberg adjusted across {int(seg['p_value'].notna().sum())} tests); "
               f"segments under {inputs.min_n} responses are not tested.")
    labels = inputs.labels
    stages = [labels[d] for d in inputs.dimensions if labels[d] != d]
    if stages:
        caption = f"NPS by {' and by '.join(stages)} and by the other segment columns. " + caption
    figures = [_forest(inputs, seg, dim) for dim in inputs.dimensions[:MAX_FOREST_DIMENSIONS]
               if (seg["dimension"] == dim).sum() >= 1]
    tested, untested = _tested(seg, inputs.dimensions)
    precision = _precision(seg, tested)
    context = {"segments": seg, "overall": inputs.overall, "n_total": inputs.n_total, "alpha": inputs.alpha,
               "min_n": inputs.min_n, "tested": tested, "untested": untested, "labels": labels,
               "precision": precision, "max_half_width": MAX_DIFF_HALF_WIDTH}
    reason = None if tested else (f"no segment column has two values with {inputs.min_n} responses or more, so no "
                                  "segment could be compared with the rest")
    if tested and precision > MAX_DIFF_HALF_WIDTH and not (seg["direction"].astype(str) != "").any():
        reason = (f"the segments are too small to tell whether they differ: no segment's difference from the rest "
                  f"is known to better than ±{precision:.0f} points, so even a {MAX_DIFF_HALF_WIDTH:.0f}-point gap "
                  "could go unseen")
    return Check("segments", assessed=not reason, reason=reason, tables={"segments": _client_table(seg, labels)},
                 captions={"segments": caption}, figures=figures, context=context)


def small_segments(inputs: Inputs, seg: pd.DataFrame) -> Check:
    """Segments too small to report (fewer than ``min_n`` responses). Context: ``segments``, ``n_total``, ``min_n``."""
    return Check("small_segments", context={"segments": seg, "n_total": inputs.n_total, "min_n": inputs.min_n,
                                            "labels": inputs.labels})


def dispersion(inputs: Inputs, seg: pd.DataFrame) -> Check:
    """The spread of each dimension's segments beyond noise. Context: ``dispersion``, ``overall``, ``alpha``.

    Supporting (not substantive): each segment is already compared with the rest; not assessed when no
    dimension has :data:`~npsdiag.stats.meta.MIN_K_TAU` reportable values.
    """
    disp = segment_dispersion(seg, confidence=inputs.confidence)
    context = {"dispersion": disp, "overall": inputs.overall, "alpha": inputs.alpha, "labels": inputs.labels}
    if disp.empty or not disp["tau"].notna().any():
        compared = bool((disp["k"] >= 2).any())  # some dimension has two reportable values compared with the rest
        return Check("dispersion", assessed=False, substantive=False, context=context,
                     reason=(f"no segment column has {MIN_K_TAU} values with {inputs.min_n} responses or more, too few "
                             "to estimate how far segments spread beyond chance"
                             + ("; the segments are compared directly" if compared else "")))
    return Check("dispersion", substantive=False, context=context)


def dimension_tests(inputs: Inputs, disp: pd.DataFrame) -> Check:
    """Chi-square test of each dimension (Rao-Scott for accounts) and its spread (table ``dimensions``).

    Context: ``tests``.
    """
    dt = dimension_tests_from_codes(inputs.categories, segment_codes(inputs.responses, inputs.dimensions,
                                                                     inputs.codes), min_n=inputs.min_n,
                                    clusters=inputs.clusters)
    table = dt.merge(disp[["dimension", "nps_min", "nps_max", "tau", "tau_ci_low", "tau_ci_high", "i2", "q_p_adj",
                           "note"]], on="dimension", how="left")
    table = table.rename(columns={"p_adj": "chi2_p_adj", "q_p_adj": "spread_p_adj", "i2": "real_spread_share"})
    table["note"] = np.where(table["tested_values"] < 2,
                             f"fewer than two values with {inputs.min_n} responses: not tested",
                             np.where(table["tested_values"] > MAX_JOINT_VALUES,
                                      f"more than {MAX_JOINT_VALUES} values: not tested as a whole",
                                      table["note"].astype(object).where(table["note"].notna(), "")))
    table["dimension"] = table["dimension"].map(lambda d: inputs.labels.get(d, d))
    table = table[["dimension", "values", "tested_values", "n", "chi2", "dof"] + (["design_effect"] if inputs.cluster
                                                                                  else [])
                  + ["chi2_p_adj", "cramers_v", "nps_min", "nps_max", "tau", "tau_ci_low", "tau_ci_high",
                     "real_spread_share", "spread_p_adj", "note"]]
    design = ("chi-square corrected for several responses from one account (Rao-Scott; design effect = its divisor)"
              if inputs.cluster else "Pearson chi-square")
    caption = (f"Per dimension: {design} test of the category mix across segments (Cramér's V as effect size) and, "
               f"from {MIN_K_TAU} segments, the spread of the segments' true NPS beyond sampling noise (tau, points, "
               "with its interval; real spread share = I², the part of the observed spread that is not sampling "
               "noise).")
    reason = None if dt["p_value"].notna().any() else (f"no segment column has two values with {inputs.min_n} "
                                                         "responses or more to test across")
    return Check("dimension_tests", assessed=reason is None, reason=reason, substantive=False,
                 tables={"dimensions": table}, captions={"dimensions": caption}, context={"tests": dt})


def heatmap(inputs: Inputs) -> Check:
    """NPS over the first two dimensions with 2 to 15 values (figure ``heatmap``). Context: ``grid``."""
    r, lo, hi = inputs.responses, *HEATMAP_VALUES
    two = [d for d in dict.fromkeys(inputs.dimensions) if lo <= n_distinct(r, d, inputs.codes) <= hi]
    if len(two) < 2:
        return Check.skipped("heatmap", f"needs two segment columns with {lo} to {hi} values each",
                             substantive=False)
    rows, cols = two[:2]
    grid = nps_grid_from_codes(inputs.categories, label_codes(r, rows, inputs.codes),
                               label_codes(r, cols, inputs.codes), rows, cols)
    caption = (f"NPS by {inputs.labels[rows]} and {inputs.labels[cols]}; cells with fewer than {inputs.min_n} "
               "responses are grey and hatched, their NPS is not shown.")
    figure = Figure("heatmap", partial(plot_heatmap, grid, rows, cols, min_n=inputs.min_n), caption)
    return Check("heatmap", figures=[figure], context={"grid": grid}, substantive=False)


# --------------------------------------------------------------------------- over time


def trend(inputs: Inputs) -> Check:
    """The NPS per period, design-based where responses cluster (table and figure ``trend``). Context: ``trend``."""
    r = inputs.responses
    if "responded_at" not in r or not r["responded_at"].notna().any():
        return Check.skipped("trend", "the responses have no dates", substantive=False)
    period = inputs.trend_period
    frame = r[["responded_at", "score"]]
    if inputs.clusters is not None:  # the clusters as integer codes (factorized once), not their ids as text
        frame = frame.assign(_cluster=inputs.clusters)
    kw = dict(min_n=inputs.min_n, confidence=inputs.confidence, breaks=inputs.breaks,
              cluster="_cluster" if inputs.clusters is not None else None)
    tr = nps_trend(frame, period=period, **kw)
    notes = []
    if len(tr) > MAX_TREND_PERIODS and period in ("W", "M"):
        period = "Q"
        tr = nps_trend(frame, period=period, **kw)
        notes.append(f"More than {MAX_TREND_PERIODS} periods: the trend is shown by quarter.")
    unit = _UNITS.get(period, period)
    if len(tr) < 2:
        return Check("trend", assessed=False, reason=f"all responses fall in one {unit}", notes=notes,
                     substantive=False)
    design = (" allowing for several responses from one account (design-based)" if inputs.cluster else "")
    caption = (f"NPS per {unit} with its {inputs.confidence:.0%} interval{design}; periods under {inputs.min_n} "
               "responses are marked not reportable.")
    figure = Figure("trend", partial(plot_trend, tr, inputs.overall, inputs.min_n, inputs.confidence),
                    "NPS over time with its interval band; hollow points have too few responses to report.")
    shown = tr.drop(columns=["start"] if inputs.cluster else ["start", "design_effect"])
    return Check("trend", tables={"trend": shown}, captions={"trend": caption}, figures=[figure], notes=notes,
                 context={"trend": tr}, substantive=False)


def _period_column(r: pd.DataFrame, periods) -> pd.Series:
    """The comparison period of each response (categorical: its two labels, missing outside both)."""
    (l1, s1, e1), (l2, s2, e2) = periods
    d = r["responded_at"]
    code = np.where((d >= s1) & (d < e1), 0, np.where((d >= s2) & (d < e2), 1, -1))
    return pd.Series(pd.Categorical.from_codes(code, categories=[l1, l2]), index=r.index)


def mix_rate(inputs: Inputs) -> Check:
    """The change of NPS between two periods split into mix and rate (table and figure ``mix_rate``).

    Substantive when the data cover two periods of ``min_n`` responses each (otherwise there is no change to
    split); not assessed when no dimension's values recur enough in both periods to be split. Context: ``mix``
    (the :func:`~.periods.mix_rate_summary` table, dimensions not split with empty effects and a ``note``).
    """
    r, min_n = inputs.responses, inputs.min_n
    periods = comparison_periods(r["responded_at"]) if "responded_at" in r else None
    if not periods:
        return Check.skipped("mix_rate", "the responses do not cover two periods to compare", substantive=False)
    (first, _, _), (second, _, _) = periods
    pc = _period_column(r, periods)
    n1, n2 = (int(v) for v in np.bincount(pc.cat.codes.to_numpy() + 1, minlength=3)[1:])
    if min(n1, n2) < min_n:
        return Check.skipped("mix_rate", f"fewer than {min_n} responses in one of the two periods compared",
                             note=f"Mix/rate decomposition skipped: fewer than {min_n} responses in one of the two "
                                  "periods compared.", substantive=False)
    pcol, cluster = "_cmp_period", inputs.cluster
    need = [c for c in dict.fromkeys([*inputs.dimensions, "score"] + ([cluster] if cluster else [])) if c in r]
    rr = r[need].assign(**{pcol: pc})  # only the columns needed (no comments), same rows as r
    rows = period_rows(rr, pcol, first, second, "score", inputs.breaks)
    mix = mix_rate_summary_from_codes(rows, segment_codes(rr, inputs.dimensions, inputs.codes), first, second,
                                      cluster_codes(rr, cluster, rows[0], inputs.codes),
                                      confidence=inputs.confidence)
    if mix.empty:
        return Check.skipped("mix_rate", "no segment column has scored responses in both periods")
    design = "account-clustered, an account answering in both periods counted once" if cluster else "delta method"
    caption = (f"Change of the overall NPS from {first} to {second} split, per dimension, into mix (change in who "
               "answered) and rate (change in how each segment scored), with "
               f"{inputs.confidence:.0%} intervals ({design}). A dimension is split only when at least "
               f"{MIN_SHARED_SHARE:.0%} of each period's responses are in values found in both periods.")
    shown = mix.assign(dimension=mix["dimension"].map(lambda d: inputs.labels.get(d, d)))
    context = {"mix": mix, "labels": inputs.labels}
    if not (mix["note"] == "").any():
        return Check("mix_rate", assessed=False, tables={"mix_rate": shown}, captions={"mix_rate": caption},
                     context=context,
                     reason=("the segment values change between the two periods (few recur in both), so the change "
                             "of NPS could not be split into a change of who answered and of how they scored"))
    figure = Figure("mix_rate", partial(plot_mix_rate, shown),
                    "Mix (hatched) and rate effects of the NPS change per dimension, with intervals; they add up to "
                    "the change.")
    return Check("mix_rate", tables={"mix_rate": shown}, captions={"mix_rate": caption}, figures=[figure],
                 context=context)


def method_notes(min_n: int) -> list[str]:
    """The notes on the area's methods, shown after the checks' own notes."""
    return [
        "Segment NPS intervals: adjusted Wald (Rocks 2016). Each segment is compared with all other responses by "
        "a two-sample Wald test whose variances allow for several responses from one account (the larger of the "
        "Rocks and the account-clustered variance); p-values are Benjamini-Hochberg adjusted across every "
        "segment of every dimension (Benjamini & Hochberg 1995). Segment values missing in the data form '(missing)'. "
        f"That no segment differs is said only when some segment's difference is known to within ±"
        f"{MAX_DIFF_HALF_WIDTH:.0f} points; otherwise the segments are too small to tell.",
        "Across a dimension: Pearson chi-square test on segment x category counts (segments with n >= "
        f"{min_n}), divided by its first-order Rao-Scott design effect where accounts answer several times "
        "(Rao & Scott 1981; as R's svychisq). Spread beyond noise, from "
        f"{MIN_K_TAU} reportable segments: DerSimonian-Laird between-segment SD (tau) with Q-profile interval "
        "(Viechtbauer 2007) and I² (Higgins & Thompson 2002); ranges clipped to the NPS scale.",
        "Trend: NPS per period with design-based intervals where accounts answer several times (each period a "
        "domain of the account-clustered design, Rocks' interval on the effective sample size).",
        "Mix/rate: symmetric decomposition of Kitagawa (1955) — mix = Σ(w2 − w1)·(y1 + y2)/2, rate = "
        "Σ(y2 − y1)·(w1 + w2)/2 with w the segment's share of responses and y its NPS; Wald intervals from the "
        "delta-method (linearisation) variance with the accounts as clusters across both periods, so that an "
        "account answering in both is one unit (Binder 1983; Lohr 2010 ch. 9; as R's svycontrast). A dimension "
        f"is split only when at least {MIN_SHARED_SHARE:.0%} of each period's responses are in values found in "
        "both periods and two values recur: otherwise its 'mix' would be the turnover of one-off values.",
    ]
