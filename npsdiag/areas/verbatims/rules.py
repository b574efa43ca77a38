"""The verbatims findings: thresholds, the rules that read the checks' contexts, their texts, the summary.

Each rule is a function of check contexts (:mod:`.checks`) returning a
:class:`~npsdiag.findings.Finding` or None; none computes a statistic.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ...findings import Finding
from ...fmt import num, p_eq, pct, pts

__all__ = ["AREA", "FINDING_IDS", "LOW_COVERAGE", "VERY_LOW_COVERAGE", "MIN_COMMENTS", "PAIN_POINT_GAP",
           "PAIN_POINT_SHARE", "PAIN_POINT_COMMENTS", "HIGH_IMPACT", "MEDIUM_IMPACT", "MIN_READ_SHARE",
           "MIN_THEMED_SHARE", "MIN_THEME_WORDS", "STRONG_RISE_RATIO", "STRONG_RISE_POINTS", "NPS_MOVED_P",
           "low_coverage", "pain_point",
           "early_warning", "summary", "few_comments_summary"]

AREA = "verbatims"
#: Finding ids of this area (additions to SPEC.md's list).
FINDING_IDS = ("verbatims.low_coverage", "verbatims.early_warning", "verbatims.pain_point")
#: Comment coverage below this share (significantly) fires ``verbatims.low_coverage``.
LOW_COVERAGE = 0.25
#: Below this share the low coverage is of medium severity (low otherwise).
VERY_LOW_COVERAGE = 0.10
#: Fewer comments than this: coverage only (no terms, themes, topics or early warning).
MIN_COMMENTS = 20
#: A pain point: a theme whose commenters' NPS is at least this many points below the other commenters'...
PAIN_POINT_GAP = -15
#: ... mentioned by at least this share of comments ...
PAIN_POINT_SHARE = 0.05
#: ... and by at least this many comments (or ``settings.min_n`` if lower), the difference BH-significant.
PAIN_POINT_COMMENTS = 30
#: A pain point is of high severity when its impact (the NPS points the commenters would gain if those who raise
#: it scored like the others: share x gap) is at most this (-10 points: a tenth of the scale's half-range, more
#: than most programmes move in a year) ...
HIGH_IMPACT = -10
#: ... of medium severity when at most this; low otherwise.
MEDIUM_IMPACT = -5
#: The themes are not assessed when fewer comments than this share are in a language with a theme lexicon ...
MIN_READ_SHARE = 0.5
#: ... or when fewer than this share of comments mention any theme (the lexicon does not describe them) ...
MIN_THEMED_SHARE = 0.5
#: ... among the comments (in a language with a lexicon) of at least this many words: "Great!" names no theme.
MIN_THEME_WORDS = 3
#: A rising theme is a medium early warning when its share at least doubled (or rose from 0) ...
STRONG_RISE_RATIO = 2
#: ... by at least this much (3 points of share).
STRONG_RISE_POINTS = 0.03
#: The NPS "moved" over the same months when its two-sample Wald test has p below this.
NPS_MOVED_P = 0.05



#: The findings each figure shows the evidence of (the report shows those figures first).
ILLUSTRATES = {"verbatims_themes": ("verbatims.pain_point",),
               "verbatims_early_warning": ("verbatims.early_warning",)}

def low_coverage(coverage: dict[str, Any]) -> Finding | None:
    """``verbatims.low_coverage``: the share of responses with a comment is significantly below :data:`LOW_COVERAGE`.

    Reads the coverage check's ``coverage`` table (first row: all responses).
    """
    if not coverage:
        return None
    cov = coverage["coverage"]
    by_cat = cov[cov["group"] == "category"]
    row = cov.iloc[0]
    share, hi, n = float(row["share"]), float(row["ci_high"]), int(row["responses"])
    if n == 0 or not (hi < LOW_COVERAGE):
        return None
    det = by_cat[by_cat["value"] == "detractor"]
    det_txt = (f" Among detractors it is {pct(float(det['share'].iloc[0]))}." if len(det) else "")
    sev = "medium" if share < VERY_LOW_COVERAGE else "low"
    return Finding(
        id="verbatims.low_coverage", severity=sev,
        title=f"Only {pct(share)} of responses carry a comment: the reasons behind most scores are unknown",
        detail=(f"{num(row['with_comment'])} of {num(n)} responses have a comment ({pct(share)}, 95% interval "
                f"{pct(float(row['ci_low']))} to {pct(hi)}), significantly below {pct(LOW_COVERAGE)}.{det_txt}"),
        evidence={"share": share, "ci_low": float(row["ci_low"]), "ci_high": hi,
                  "with_comment": int(row["with_comment"]), "n": n, "threshold": LOW_COVERAGE},
        recommendation=("Ask the open question right after the score, keep it short ('What is the main reason for "
                        "your score?'), and make it prominent for low scores; review whether the survey tool "
                        "exports the comment field for every channel."))


def pain_point(themes: dict[str, Any]) -> Finding | None:
    """``verbatims.pain_point``: the themes that cost the most NPS, the costliest first.

    A theme qualifies when its commenters score at least :data:`PAIN_POINT_GAP` points below the other
    commenters (BH-adjusted test below ``alpha``), it is raised by at least :data:`PAIN_POINT_SHARE` of the
    comments read and by at least ``min(min_n, PAIN_POINT_COMMENTS)`` comments. They are ranked by impact
    (share x gap); the severity is that of the costliest (:data:`HIGH_IMPACT`, :data:`MEDIUM_IMPACT`).

    Reads the themes check's ``themes`` table, ``n_comments`` (``n_read``: comments read for themes),
    ``min_n`` and ``alpha``.
    """
    table: pd.DataFrame | None = themes.get("themes")
    if table is None or table.empty:
        return None
    alpha = themes["alpha"]
    n_read = themes.get("n_read") or themes["n_comments"]
    t = table[(table["p_adj"] < alpha) & (table["nps_vs_rest"] <= PAIN_POINT_GAP)
              & (table["share"] >= PAIN_POINT_SHARE) & (table["comments"] >= min(themes["min_n"], PAIN_POINT_COMMENTS))]
    if t.empty:
        return None
    t = t.sort_values(["impact", "theme"]) if "impact" in t else t.sort_values("nps_vs_rest")
    top = t.iloc[0]
    impact = float(top["impact"]) if "impact" in t else float(top["share"] * top["nps_vs_rest"])
    sev = "high" if impact <= HIGH_IMPACT else "medium" if impact <= MEDIUM_IMPACT else "low"
    others = t.iloc[1:3]
    more = ""
    if len(others):
        more = " Next: " + "; ".join(
            f"{r.theme} ({pct(r.share)} of comments at NPS {pts(r.nps, 0)}, about {_points(r)} "
            f"point{'' if _points(r) == '1' else 's'})"
            for r in others.itertuples()) + "."
    ci = ""
    if "impact_ci_low" in t and math.isfinite(float(top["impact_ci_low"])):
        ci = f" (95% interval {abs(float(top['impact_ci_high'])):.0f} to {abs(float(top['impact_ci_low'])):.0f})"
    return Finding(
        id="verbatims.pain_point", severity=sev,
        title=(f"{_cap(top['theme'])} costs the most: {pct(top['share'])} of comments raise it, at an NPS of "
               f"{pts(top['nps'], 0)}, {abs(top['nps_vs_rest']):.0f} points below the others"),
        detail=(f"{num(top['comments'])} of the {num(n_read)} comments read mention {top['theme']}; their NPS is "
                f"{pts(top['nps'], 0)} (95% interval {pts(top['nps_ci_low'], 0)} to {pts(top['nps_ci_high'], 0)}), "
                f"{abs(top['nps_vs_rest']):.0f} points below the other commenters (p {p_eq(top['p_adj'])}, allowing "
                f"for the {int(table['p_adj'].notna().sum())} themes compared). Had they scored like the others, "
                f"the commenters' NPS would be about {abs(impact):.0f} points higher{ci}.{more}"),
        evidence={"themes": [{"theme": r.theme, "comments": int(r.comments), "share": float(r.share),
                              "nps": float(r.nps), "nps_vs_rest": float(r.nps_vs_rest),
                              "impact": float(getattr(r, "impact", r.share * r.nps_vs_rest)), "p_adj": float(r.p_adj)}
                             for r in t.head(5).itertuples()], "n_comments": themes["n_comments"], "n_read": n_read,
                  "impact": impact},
        recommendation=(f"Make {top['theme']} the first fix: read its quotes below with the team that owns it, size "
                        f"the fix by the {num(top['comments'])} customers who raised it, and track the theme's share "
                        "and its NPS each quarter."))


def _points(row) -> str:
    """A theme's impact as a whole number of points (its absolute value)."""
    return f"{abs(float(getattr(row, 'impact', row.share * row.nps_vs_rest))):.0f}"


def _cap(text: str) -> str:
    """The first letter in upper case."""
    return text[:1].upper() + text[1:]


def early_warning(warning: dict[str, Any], themes: dict[str, Any]) -> Finding | None:
    """``verbatims.early_warning``: unfavourable themes or terms whose share of comments rose significantly.

    Reads the early warning check's ``early_warning`` table (with its
    ``attrs``) and ``commenters_nps``, and the themes check's ``theme_nps``:
    an item is unfavourable when those who mention it score below all
    commenters.
    """
    ew: pd.DataFrame | None = warning.get("early_warning")
    if ew is None or ew.empty or not ew["rising"].any():
        return None
    theme_nps = themes.get("theme_nps", {})
    r = ew[ew["rising"] & ew["same_comments_as"].isna()].copy()
    # a warning is about unfavourable items: their commenters score below all commenters
    ref = r.apply(lambda x: theme_nps.get(x["item"], x["nps_item"]) if x["kind"] == "theme" else x["nps_item"],
                  axis=1)
    r = r[(ref < warning["commenters_nps"]) | ref.isna()]
    if r.empty:
        return None
    a = ew.attrs
    lead_themes = r[r["kind"] == "theme"]
    lead = lead_themes.iloc[0] if len(lead_themes) else r[r["kind"] == "term"].iloc[0]
    strong = (((r["ratio"] >= STRONG_RISE_RATIO) | (r["before_share"] == 0))
              & (r["latest_share"] - r["before_share"] >= STRONG_RISE_POINTS))
    sev = "medium" if bool((strong & (r["kind"] == "theme")).any()) else "low"
    moved = a.get("nps_change_p", float("nan"))
    kind = "theme" if lead["kind"] == "theme" else "term"
    word = f"the {kind} '{lead['item']}'" if kind == "term" else lead["item"]
    lst = "; ".join(f"{x.item} {pct(x.before_share)} → {pct(x.latest_share)}" for x in r.head(6).itertuples())
    return Finding(
        id="verbatims.early_warning", severity=sev,
        title=(f"Mentions of {word} rose from {pct(lead['before_share'])} to {pct(lead['latest_share'])} of comments "
               f"in the last 3 months"),
        detail=(f"Latest window {a['window'][0]} to {a['window'][1]} ({num(a['n_latest'])} comments) against "
                f"{a['baseline'][0]} to {a['baseline'][1]} ({num(a['n_before'])} comments); two-proportion z-tests, "
                f"Benjamini-Hochberg adjusted. Rising: {lst}. {_nps_moved(a)}"),
        evidence={"window": a["window"], "baseline": a["baseline"], "n_latest": a["n_latest"],
                  "n_before": a["n_before"], "nps_latest": a.get("nps_latest"), "nps_before": a.get("nps_before"),
                  "nps_change_p": moved,
                  "items": [{"kind": x.kind, "item": x.item, "before_share": float(x.before_share),
                             "latest_share": float(x.latest_share), "ratio": float(x.ratio),
                             "latest_comments": int(x.latest_comments), "p_adj": float(x.p_adj)}
                            for x in r.head(10).itertuples()]},
        recommendation=(f"Read this quarter's comments on {lead['item']} now, find what changed (a release, a "
                        "billing run, a process or staffing change) and fix it before it shows in the score and in "
                        "churn; brief the front line so that callbacks address it."))


def _nps_moved(attrs: dict[str, Any]) -> str:
    """Whether the NPS moved over the early warning's months, as a sentence."""
    moved = attrs.get("nps_change_p", float("nan"))
    change = attrs.get("nps_latest", float("nan")) - attrs.get("nps_before", float("nan"))
    if isinstance(moved, float) and not math.isnan(moved) and moved < NPS_MOVED_P:
        return f"Over the same months the NPS moved {pts(change, 0)} points (p {p_eq(moved)})."
    return (f"The NPS has not moved significantly yet ({pts(change, 0)} points, p {p_eq(moved)}): "
            "the comments are ahead of the score.")


def summary(coverage: dict[str, Any], terms: dict[str, Any], pain: Finding | None, warning: Finding | None,
            themes_reason: str | None = None) -> str:
    """The area's sentence: coverage, then the costliest theme (or why themes were not assessed, or detractors'
    words), then what rose."""
    parts = [f"{pct(float(coverage['coverage'].iloc[0]['share']))} of responses carry a comment"]
    table = terms.get("terms")
    if pain is not None:
        t0 = pain.evidence["themes"][0]
        parts.append(f"{t0['theme']} costs the most: {pct(t0['share'])} of comments at an NPS of "
                     f"{pts(t0['nps'], 0)}, about {abs(t0['impact']):.0f} points off the commenters' NPS")
    elif themes_reason:
        parts.append(f"themes were not assessed: {themes_reason}")
    elif table is not None and len(table) and (table["more_used_by"] == "detractor").any():
        words = table.loc[table["more_used_by"] == "detractor", "term"].head(3).tolist()
        parts.append("detractors most often write about " + ", ".join(f"'{w}'" for w in words))
    if warning is not None:
        it = warning.evidence["items"][0]
        parts.append(f"mentions of {it['item']} rose from {pct(it['before_share'])} to {pct(it['latest_share'])} "
                     "in the last 3 months")
    return "; ".join(parts) + "."


def few_comments_summary(coverage: dict[str, Any]) -> str:
    """The area's sentence when there are fewer than :data:`MIN_COMMENTS` comments."""
    return (f"Only {num(coverage['n_comments'])} of {num(coverage['n_responses'])} responses carry a comment: too "
            "few to analyse what customers wrote.")
