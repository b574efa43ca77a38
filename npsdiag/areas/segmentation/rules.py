"""The area's finding rules: thresholds, the findings' texts and recommendations, and the summary sentence.

Each rule is a function of one check's ``context``
(:mod:`~npsdiag.areas.segmentation.checks`) returning a
:class:`~npsdiag.findings.Finding` or None. A check that could not run has
an empty context and gives no finding; one that ran without enough data
(no dimension with two reportable values, no segment values that recur)
keeps its tables in the context, and its rule finds nothing in them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...findings import Finding
from ...stats.meta import MIN_K_TAU
from ...stats.nps import margin_of_error
from .coding import MISSING

__all__ = ["MIN_EFFECT", "MIN_TAU", "MIN_MIX", "MIN_MIX_SHARE", "segment_name", "hidden_segment", "insufficient_n",
           "dispersion", "mix_shift", "summary"]

#: Smallest NPS difference (points) reported as a hidden segment ...
MIN_EFFECT = 5.0
#: ... high when a segment below the rest is this many points below and holds this share of responses ...
HIGH_GAP, HIGH_SHARE = 20.0, 0.05
#: ... medium from this many points.
MEDIUM_GAP = 10.0
#: Too-small segments are a medium finding when they hold this share of a dimension's responses (or leave a
#: dimension fewer than :data:`MIN_REPORTABLE` reportable values).
MEDIUM_UNREPORTABLE_SHARE = 0.2
MIN_REPORTABLE = 2
#: Smallest between-segment SD (points, beyond noise) reported as dispersion, over at least this many segments ...
MIN_TAU = 10.0
MIN_DISPERSION_SEGMENTS = MIN_K_TAU
#: ... and medium from this SD.
MEDIUM_TAU = 15.0
#: Smallest mix effect (points) reported as a mix shift ...
MIN_MIX = 2.0
#: ... and smallest share of the overall change it must account for.
MIN_MIX_SHARE = 0.2
#: The change is "mostly" mix when the mix effect is at least this share of it; medium from this many points.
MOSTLY_MIX, MEDIUM_MIX = 0.5, 3.0

_Context = dict[str, Any]


def segment_name(dimension: str, segment: Any, labels: dict[str, str] | None = None) -> str:
    """A segment as the report names it: "Region APAC", or "the Order stage (SURVEY_SUB_TYPE)" for a journey stage.

    Examples
    --------
    >>> labels = {"Touchpoint": "journey stage (Touchpoint)"}
    >>> segment_name("Region", "APAC"), segment_name("Touchpoint", "Order", labels)
    ('Region APAC', 'the Order stage (Touchpoint)')
    >>> print(segment_name("Change-In-Confidence", "I'm equally confident now."))
    Change-In-Confidence “I'm equally confident now”
    >>> print(segment_name("Pace", "Too slow"), "/", segment_name("Region", "North America"))
    Pace “Too slow” / Region North America
    >>> print(segment_name("Workshops attended", 1))
    Workshops attended “1”
    """
    label = (labels or {}).get(dimension, dimension)
    seg = str(segment).strip().rstrip(".;:,")
    if label != dimension and label.startswith("journey stage"):
        return f"the {seg} stage ({dimension})"
    words = seg.split()
    if (len(words) > 2 or any(ch in seg for ch in "'\".,;:?!") or any(w[:1].islower() for w in words[1:])
            or not any(ch.isalpha() for ch in seg)):
        # an answer written as a phrase ("Too slow") or a number ("1", "3+") reads as a quotation, not glued to
        # the question's name ("workshops attended 1"); a name ("North America") does not
        return f"{dimension} \u201c{seg}\u201d"
    return f"{dimension} {seg}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _detail_name(dimension: str, segment: Any, labels: dict[str, str], extra: str) -> str:
    """A segment with figures in brackets: "Region = APAC (2,042 responses)", "The Order stage (Touchpoint; ...)"."""
    name = segment_name(dimension, segment, labels)
    if name.startswith("the ") and name.endswith(")"):
        return f"{_cap(name[:-1])}; {extra})"
    return f"{dimension} = {segment} ({extra})"


def _listed_name(dimension: str, segment: Any, labels: dict[str, str], extra: str) -> str:
    """A segment in a list, with a figure: "Plan Starter (-35)", "the Order stage (Touchpoint, -35)"."""
    name = segment_name(dimension, segment, labels)
    return f"{name[:-1]}, {extra})" if name.startswith("the ") and name.endswith(")") else f"{name} ({extra})"



#: The findings each figure shows the evidence of (the report shows those figures first).
ILLUSTRATES = {"forest_": ("segmentation.hidden_segment", "segmentation.insufficient_n",
                           "segmentation.dispersion"), "mix_rate": ("segmentation.mix_shift",)}

def _hidden_items(rows: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"dimension": row["dimension"], "segment": row["segment"], "n": int(row["n"]),
             "nps": round(float(row["nps"]), 1), "ci_low": round(float(row["ci_low"]), 1),
             "ci_high": round(float(row["ci_high"]), 1), "diff_vs_rest": round(float(row["diff_vs_rest"]), 1),
             "p_adj": float(row["p_adj"])} for _, row in rows.iterrows()]


def _below_text(lead: pd.Series, below: pd.DataFrame, above: pd.DataFrame, share: float, gap: float,
                overall: float, labels: dict[str, str]) -> tuple[str, str, str, str]:
    """Severity, title, detail and recommendation of a segment scoring below the rest."""
    severity = "high" if gap >= HIGH_GAP and share >= HIGH_SHARE else "medium" if gap >= MEDIUM_GAP else "low"
    name = segment_name(lead["dimension"], lead["segment"], labels)
    rest = float(lead["nps"]) - float(lead["diff_vs_rest"])
    # the gap as the reader computes it from the two rounded figures shown
    title = (f"{_cap(name)} scores {abs(round(rest) - round(float(lead['nps']))):.0f} points below the rest "
             f"(NPS {lead['nps']:+.0f} against {rest:+.0f} for all other responses)")
    others = len(below) - 1
    n_text = f"{int(lead['n']):,} responses, {100 * share:.0f}% of the total"
    detail = (f"{_detail_name(lead['dimension'], lead['segment'], labels, n_text)} has an NPS of {lead['nps']:+.1f} "
              f"({lead['ci_low']:+.0f} to {lead['ci_high']:+.0f}), {gap:.1f} points below all other responses "
              f"(difference interval {lead['diff_ci_low']:+.1f} to {lead['diff_ci_high']:+.1f}; "
              f"adjusted p = {lead['p_adj']:.2g}). The overall NPS of {overall:+.0f} hides it.")
    if others > 0:
        names = ", ".join(_listed_name(row["dimension"], row["segment"], labels, f"{row['diff_vs_rest']:+.0f}")
                          for _, row in below.iloc[1:4].iterrows())
        detail += (f" Also significantly below the rest: {names}"
                   + (f" and {others - 3} more." if others > 3 else "."))
    if len(above):
        detail += f" {len(above)} segment(s) score significantly above the rest."
    rec = (f"Review {name} with its business owner: read its detractors' comments, "
           "check its service levels, and track its NPS (with the interval) separately from the average.")
    return severity, title, detail, rec


def _above_text(lead: pd.Series, gap: float, labels: dict[str, str]) -> tuple[str, str, str, str]:
    """Severity, title, detail and recommendation of a segment scoring above the rest (none below)."""
    title = (f"{_cap(segment_name(lead['dimension'], lead['segment'], labels))} scores {gap:.0f} points above the "
             f"rest (NPS {lead['nps']:+.0f})")
    n_text = f"{int(lead['n']):,} responses"
    detail = (f"{_detail_name(lead['dimension'], lead['segment'], labels, n_text)} has an NPS of {lead['nps']:+.1f}, "
              f"{gap:.1f} points above all other responses (adjusted p = {lead['p_adj']:.2g}). No segment is "
              "significantly below the rest.")
    return "low", title, detail, "Find out what works in this segment and whether it can be carried over to the others."


def hidden_segment(ctx: _Context) -> Finding | None:
    """``segmentation.hidden_segment``: a segment significantly below (or above) the rest by :data:`MIN_EFFECT`.

    Context of the ``segments`` check: ``segments``, ``n_total``, ``overall``, ``alpha``.
    """
    if not ctx:
        return None
    seg, n_total, overall = ctx["segments"], ctx["n_total"], ctx["overall"]
    # respondents who skipped the question are a matter of data completeness, not a segment anyone can own
    sig = seg[(seg["p_adj"] < ctx["alpha"]) & (seg["diff_vs_rest"].abs() >= MIN_EFFECT)
              & (seg["segment"].astype(str) != MISSING)].copy()
    if sig.empty:
        return None
    below = sig[sig["diff_vs_rest"] < 0].sort_values("diff_vs_rest")
    above = sig[sig["diff_vs_rest"] > 0].sort_values("diff_vs_rest", ascending=False)
    lead = (below if len(below) else above).iloc[0]
    share = float(lead["n"]) / n_total
    gap = abs(float(lead["diff_vs_rest"]))
    labels = ctx.get("labels", {})
    severity, title, detail, rec = (_below_text(lead, below, above, share, gap, overall, labels) if len(below)
                                    else _above_text(lead, gap, labels))
    return Finding(
        "segmentation.hidden_segment", severity, title, detail,
        evidence={"dimension": lead["dimension"], "segment": lead["segment"],
                  "name": segment_name(lead["dimension"], lead["segment"], labels), "n": int(lead["n"]),
                  "share_of_responses": share, "nps": float(lead["nps"]), "overall_nps": overall,
                  "diff_vs_rest": float(lead["diff_vs_rest"]), "diff_ci_low": float(lead["diff_ci_low"]),
                  "diff_ci_high": float(lead["diff_ci_high"]), "p_adj": float(lead["p_adj"]),
                  "segments_below": int(len(below)), "segments_above": int(len(above)),
                  "tests": int(seg["p_value"].notna().sum()), "segments": _hidden_items(pd.concat([below, above]))},
        recommendation=rec)


def insufficient_n(ctx: _Context) -> Finding | None:
    """``segmentation.insufficient_n``: segments with fewer than ``min_n`` responses.

    Context of the ``small_segments`` check: ``segments``, ``n_total``, ``min_n``.
    """
    if not ctx:
        return None
    seg, n_total, min_n = ctx["segments"], ctx["n_total"], ctx["min_n"]
    small = seg[~seg["reportable"].astype(bool)]
    if small.empty:
        return None
    per_dim = small.groupby("dimension", sort=False)["n"].agg(["count", "sum"])
    reportable = seg[seg["reportable"].astype(bool)].groupby("dimension")["segment"].count()
    worst_share = float(per_dim["sum"].max() / n_total)
    dims_unusable = [d for d in seg["dimension"].unique() if reportable.get(d, 0) < MIN_REPORTABLE]
    severity = "medium" if worst_share >= MEDIUM_UNREPORTABLE_SHARE or dims_unusable else "low"
    labels = ctx.get("labels", {})
    names = ", ".join(_listed_name(row["dimension"], row["segment"], labels, f"n={int(row['n'])}")
                      for _, row in small.sort_values("n", ascending=False).head(5).iterrows())
    more = f" and {len(small) - 5} more" if len(small) > 5 else ""
    detail = (f"{len(small)} segment value(s) have fewer than {min_n} responses, too few for a usable NPS "
              f"(margin of error above about ±{float(margin_of_error(min_n)):.0f} points): {names}{more}. They hold "
              f"{int(small['n'].sum()):,} responses; their NPS is shown greyed and not tested.")
    if dims_unusable:
        detail += (" Segment column(s) with fewer than two reportable values, whose segments cannot be compared: "
                   f"{', '.join(labels.get(d, str(d)) for d in dims_unusable)}.")
    return Finding(
        "segmentation.insufficient_n", severity,
        f"{len(small)} segment(s) are too small to report an NPS (fewer than {min_n} responses)", detail,
        evidence={"min_n": min_n, "segments": int(len(small)), "responses_in_small_segments": int(small["n"].sum()),
                  "largest_share_unreportable": worst_share, "smallest_n": int(small["n"].min()),
                  "dimensions_unusable": dims_unusable,
                  "small": [{"dimension": d, "segment": sgm, "n": int(n)}
                            for d, sgm, n in small[["dimension", "segment", "n"]].head(30).itertuples(index=False)]},
        recommendation=("Do not report these segments' NPS on their own: merge them into a larger group, report "
                        "them over a longer period, or raise their response volume."))


def dispersion(ctx: _Context) -> Finding | None:
    """``segmentation.dispersion``: segments' true NPS spread by :data:`MIN_TAU` points or more beyond noise.

    Context of the ``dispersion`` check: ``dispersion``, ``overall``, ``alpha``.
    """
    if not ctx or ctx["dispersion"].empty:
        return None
    disp, overall = ctx["dispersion"], ctx["overall"]
    d = disp[(disp["k"] >= MIN_DISPERSION_SEGMENTS) & (disp["q_p_adj"] < ctx["alpha"]) & (disp["tau"] >= MIN_TAU)]
    if d.empty:
        return None
    top = d.sort_values("tau", ascending=False).iloc[0]
    severity = "medium" if top["tau"] >= MEDIUM_TAU else "low"
    label = ctx.get("labels", {}).get(top["dimension"], top["dimension"])
    return Finding(
        "segmentation.dispersion", severity,
        f"The average misleads: true NPS varies by about ±{top['tau']:.0f} points across {label}",
        (f"Across {int(top['k'])} {label} segments the NPS runs from {top['nps_min']:+.0f} to "
         f"{top['nps_max']:+.0f}. Beyond sampling noise the segments' true NPS have a standard deviation of "
         f"{top['tau']:.1f} points (interval {top['tau_ci_low']:.1f} to {top['tau_ci_high']:.1f}); "
         f"{100 * top['i2']:.0f}% of the observed spread is real, not noise (adjusted p = {top['q_p_adj']:.2g}). "
         f"A typical segment's NPS lies anywhere from {top['pi_low']:+.0f} to {top['pi_high']:+.0f}, so the "
         f"overall {overall:+.0f} describes few of them."),
        evidence={"dimension": top["dimension"], "k": int(top["k"]), "tau": float(top["tau"]),
                  "tau_ci_low": float(top["tau_ci_low"]), "tau_ci_high": float(top["tau_ci_high"]),
                  "i2": float(top["i2"]), "q": float(top["q"]), "q_p_adj": float(top["q_p_adj"]),
                  "nps_min": float(top["nps_min"]), "nps_max": float(top["nps_max"]), "overall_nps": overall,
                  "dimensions": [{"dimension": row["dimension"], "tau": float(row["tau"]), "i2": float(row["i2"])}
                                 for _, row in d.iterrows()]},
        recommendation=(f"Report NPS by {label} beside the overall figure, and set targets per segment "
                        "rather than one company-wide target."))


def _mix_title(top: pd.Series, change: float, mx: float, mostly: bool, label: str) -> str:
    move = "drop" if change < 0 else "rise"
    if mostly:
        return f"The NPS {move} from {top['period_1']} to {top['period_2']} is mostly a change of {label} mix"
    return (f"{abs(mx):.1f} of the {abs(change):.1f}-point NPS {move} from {top['period_1']} to "
            f"{top['period_2']} is a change of {label} mix, not of how customers score")


def mix_shift(ctx: _Context) -> Finding | None:
    """``segmentation.mix_shift``: a significant mix effect of :data:`MIN_MIX` points and :data:`MIN_MIX_SHARE`.

    Never on a dimension that was not split (its values do not recur in both periods: ``note`` says so).
    Context of the ``mix_rate`` check: ``mix``, ``labels``.
    """
    mix = ctx.get("mix")
    if mix is None or mix.empty or "mix_ci_low" not in mix or mix["mix_ci_low"].isna().all():
        return None
    m = mix[mix["note"].fillna("") == ""] if "note" in mix else mix.copy()
    excl = (m["mix_ci_low"] > 0) | (m["mix_ci_high"] < 0)
    big = (m["mix_effect"].abs() >= MIN_MIX) & (m["mix_effect"].abs() >= MIN_MIX_SHARE * m["change"].abs())
    cand = m[excl & big]
    if cand.empty:
        return None
    top = cand.loc[cand["mix_effect"].abs().idxmax()]
    label = ctx.get("labels", {}).get(top["dimension"], top["dimension"])
    change, mx, rt = float(top["change"]), float(top["mix_effect"]), float(top["rate_effect"])
    mostly = abs(mx) >= MOSTLY_MIX * abs(change)
    severity = "medium" if mostly and abs(mx) >= MEDIUM_MIX else "low"
    if abs(rt) < abs(mx) and np.sign(rt) != np.sign(mx) and abs(rt) >= MIN_MIX:
        gist = (f"the segments themselves moved {rt:+.1f} points, but a change in who answered moved the total "
                f"{mx:+.1f}")
    else:
        gist = f"{mx:+.1f} points of it come from a change in who answered and {rt:+.1f} from how segments scored"
    return Finding(
        "segmentation.mix_shift", severity, _mix_title(top, change, mx, mostly, label),
        (f"Overall NPS went from {top['nps_1']:+.1f} to {top['nps_2']:+.1f} ({change:+.1f} points, interval "
         f"{top['change_ci_low']:+.1f} to {top['change_ci_high']:+.1f}); split by {label}, {gist} "
         f"(mix interval {top['mix_ci_low']:+.1f} to {top['mix_ci_high']:+.1f}; rate interval "
         f"{top['rate_ci_low']:+.1f} to {top['rate_ci_high']:+.1f})."),
        evidence={"dimension": top["dimension"], "period_1": top["period_1"], "period_2": top["period_2"],
                  "n_1": int(top["n_1"]), "n_2": int(top["n_2"]), "nps_1": float(top["nps_1"]),
                  "nps_2": float(top["nps_2"]), "change": change, "mix_effect": mx,
                  "mix_ci_low": float(top["mix_ci_low"]), "mix_ci_high": float(top["mix_ci_high"]),
                  "rate_effect": rt, "rate_ci_low": float(top["rate_ci_low"]),
                  "rate_ci_high": float(top["rate_ci_high"]), "mix_share": float(top["mix_share"]),
                  "share_of_change": abs(mx) / abs(change) if change else None,
                  "recurring_share": float(top["recurring_share"]) if "recurring_share" in top else None},
        recommendation=(f"Read the NPS trend per {label} (or re-weighted to a fixed mix) before "
                        "celebrating or acting on the overall movement; check why the response mix changed "
                        "(sampling, invitations, customer base)."))


def summary(findings: list[Finding], ctx: _Context) -> str:
    """The area's one sentence: the hidden segment when it matters, else the range of reportable segments.

    It says that no segment differs only when segments were tested (a dimension with two reportable values) and
    some difference was measured to within ``max_half_width`` points (when the context gives it), with how
    precisely the differences were measured, and names the segment columns that could not be tested.
    ``ctx``: the ``segments`` check's context.
    """
    hs = next((f for f in findings if f.id == "segmentation.hidden_segment"), None)
    if hs is not None and hs.severity in ("high", "medium"):
        return hs.title
    seg, overall, min_n = ctx["segments"], ctx["overall"], ctx["min_n"]
    labels = ctx.get("labels", {})
    rep = seg[seg["reportable"]]
    if not len(rep):
        return f"No segment has the {min_n} responses needed to report its NPS, so none could be compared."
    tested, untested = ctx.get("tested", []), ctx.get("untested", [])
    text = (f"Reportable segments range from {rep['nps'].min():+.0f} to {rep['nps'].max():+.0f} around the overall "
            f"{overall:+.0f}")
    if not tested:
        return (text + f"; no segment column has two values with {min_n} responses or more, so no segment could be "
                "compared with the rest.")
    if (rep["direction"] != "").any():
        return text + "; see the findings for the segments that differ."
    names = ", ".join(labels.get(d, str(d)) for d in tested)
    half = ((seg["diff_ci_high"] - seg["diff_ci_low"]) / 2)[seg["dimension"].isin(tested)].dropna()
    if len(half) and half.min() > ctx.get("max_half_width", np.inf):
        return (text + f"; the segments of {names} are too small to tell whether they differ (each difference from "
                f"the rest is known only to within ±{half.min():.0f} points or more).")
    text += f"; no segment of {names} differs significantly from the rest"
    if len(half):  # how small a difference the tests could have missed
        text += (f", each difference measured to within ±{half.min():.0f}" + (
            f" to ±{half.max():.0f}" if round(half.max()) > round(half.min()) else "") + " points")
    if untested:
        text += (f" ({', '.join(labels.get(d, str(d)) for d in untested)} could not be tested: fewer than two values "
                 f"with {min_n} responses)")
    return text + "."
