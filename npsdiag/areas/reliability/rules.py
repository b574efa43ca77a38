"""The reliability area's judgement: thresholds, finding rules and texts, the data-trust table and the summary.

Each rule is a function of one check's ``context`` (see :mod:`.checks`)
returning a :class:`~npsdiag.findings.Finding`, or None when the evidence is
not there (or the check was not assessed: its context is then empty).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ...findings import Check, Finding, severity_from_share, worst
from ...fmt import num, p_eq, pct, pts

__all__ = ["MAX_MOE", "GAMING_ALPHA", "GAMING_ALPHA_HIGH", "GAMING_MIN_EXCESS", "GAMING_MIN_EXCESS_HIGH",
           "GAMING_MIN_TOP", "GAMING_MIN_OWNERS", "FEED_MIN_PERIODS", "INVITED_SHARE_MIN", "WAVES_MIN", "rhythm_text",
           "EXCLUSION_FINDINGS", "REASON_FINDING", "NO_RESPONSES", "NO_OWNER", "NO_DATES", "period_unit",
           "exclusion_finding", "feed_gaps_finding", "small_sample_finding", "score_gaming_finding", "trust_table",
           "summary"]

#: Margin of error (NPS points, half-width of the interval) above which an NPS is too imprecise to report.
MAX_MOE = 10.0
#: Adjusted p-value below which an owner's excess of 10s is flagged: stricter than the usual 5% because accusing
#: an honest owner is the costliest error of the check. High severity needs :data:`GAMING_ALPHA_HIGH`.
GAMING_ALPHA = 0.01
GAMING_ALPHA_HIGH = 0.001
#: Excess of the share of 10s (over the expected share) that a flag needs, and that high severity needs.
GAMING_MIN_EXCESS = 0.10
GAMING_MIN_EXCESS_HIGH = 0.20
#: Scores of 9-10 an owner needs to be tested, and owners tested that the comparison needs.
GAMING_MIN_TOP = 10
GAMING_MIN_OWNERS = 4
#: Periods (full, with an expected level) that the feed-gap check needs.
FEED_MIN_PERIODS = 6
#: A feed gap is high when the responses missing reach this share of the analysed ones ...
FEED_HIGH_SHORTFALL = 0.05
#: ... or when two or more periods in a row received at most this share of their expected volume.
FEED_DEEP_RUN = 0.2
#: Share of the analysed responses that must come from an invitation for the feed to be judged against the
#: invitations sent (else against its own level: the invitations do not cover the feed).
INVITED_SHARE_MIN = 0.5
#: Waves a survey sent in waves needs in the data before its rhythm (and a missing wave) can be judged.
WAVES_MIN = 3
#: Share of trend points below ``settings.min_n`` from which imprecise trend points are a medium finding.
LOW_N_SHARE_MEDIUM = 0.25
#: Share of rows read that must be usable for the "usable rows" line to read ok.
USABLE_SHARE_OK = 0.9
#: Why the checks after the exclusions did not run when no response could be analysed (no trust line then).
NO_RESPONSES = "no response could be analysed"
#: Why the feed is not judged when the export gives one survey date for every response.
NO_DATES = "the responses carry no date of their own (the export gives one survey date for all of them)"
#: Why score gaming is not assessed without an owner column.
NO_OWNER = "the responses do not name the account owner (rep or CSM) whose customers gave them"

#: Which exclusion reasons of :data:`npsdiag.clean.REASONS` each finding reports.
EXCLUSION_FINDINGS: dict[str, tuple[str, ...]] = {
    "reliability.missing_values": ("missing_score", "missing_date"),
    "reliability.out_of_range": ("invalid_score", "out_of_range"),
    "reliability.test_responses": ("test_response",),
    "reliability.date_anomalies": ("future_date", "before_invitation"),
    "reliability.duplicates": ("duplicate", "repeat_respondent"),
}
#: The finding id that reports each exclusion reason.
REASON_FINDING = {r: fid for fid, reasons in EXCLUSION_FINDINGS.items() for r in reasons}

_PERIOD_UNITS = {"W": "week", "M": "month", "Q": "quarter"}

# what the rows had, why it matters, what to do
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
# the duplicates finding when only one of its two reasons occurred
_DUPLICATE_TEXT = {
    "duplicate": (
        "were exact copies of another response",
        "Counting them would count the same answer twice.",
        "Remove the copies at the source: each response should reach the export once (check the export settings "
        "and any integration that appends responses)."),
    "repeat_respondent": (
        "were the same respondent answering again inside the cool-off window",
        "Counting them would let the same voice speak twice.",
        "Enforce the survey's cool-off rule so that the same person is not asked again within the window."),
}

# the data-trust table's line for each exclusion finding, in the table's order
_EXCLUSION_LABELS = {"reliability.missing_values": "Missing scores or dates",
                     "reliability.out_of_range": "Scores outside the scale or not numbers",
                     "reliability.test_responses": "Tests, previews, unfinished",
                     "reliability.duplicates": "Duplicates and repeat respondents",
                     "reliability.date_anomalies": "Future dates, dated before invitation"}

# the data-trust table's line for each check after the exclusions
_CHECK_LABELS = {"feed_continuity": "Feed continuity", "precision": "Precision", "score_gaming": "Score gaming"}



#: The findings each figure shows the evidence of (the report shows those figures first).
ILLUSTRATES = {"feed_volume": ("reliability.feed_gaps",), "nps_trend": ("reliability.small_sample",),
               "owner_funnel": ("reliability.score_gaming",), "owner_outcomes": ("reliability.score_gaming",)}

def period_unit(freq: str) -> str:
    """The word for one period of a frequency: ``"W"`` -> ``"week"`` (``"period"`` when unknown)."""
    return _PERIOD_UNITS.get(freq, "period")


# --------------------------------------------------------------------------- exclusions


def exclusion_finding(finding_id: str, ctx: Mapping[str, Any]) -> Finding | None:
    """The finding ``finding_id`` (a key of :data:`EXCLUSION_FINDINGS`) from the exclusions check, if rows had it.

    ``ctx``: ``summary`` (:func:`~npsdiag.areas.reliability.exclusion_summary`), ``responses_read`` (rows read
    that are responses: in a flat export, not the accounts that did not respond), ``coverage`` (flat exports) and
    ``example_values`` (score values that were out of range or not numbers). Severity by the share of rows read
    (:func:`npsdiag.findings.severity_from_share`: high from 10%, medium from 2%).
    """
    if not ctx:
        return None
    summary = ctx["summary"]
    total = max(ctx["responses_read"], 1)
    sub = summary[summary["reason"].isin(EXCLUSION_FINDINGS[finding_id])]
    count = int(sub["rows"].sum())
    if count == 0:
        return None
    share = count / total
    what, why, rec = _EXCLUSION_TEXT[finding_id]
    if finding_id == "reliability.duplicates" and len(sub) == 1:
        what, why, rec = _DUPLICATE_TEXT[str(sub["reason"].iloc[0])]
    if finding_id == "reliability.missing_values" and len(sub) == 1:  # say only what happened
        what = "had no score" if str(sub["reason"].iloc[0]) == "missing_score" else "had no usable response date"
    parts = [f"{num(r['rows'])} {r['description']}" for _, r in sub.iterrows()]
    examples = [int(x) for x in ", ".join(sub["example_rows"]).replace(" ", "").split(",") if x][:8]
    evidence: dict[str, Any] = {"rows": count, "share": share, "rows_read": total}
    for _, r in sub.iterrows():
        evidence[f"rows_{r['reason']}"] = int(r["rows"])
    evidence["example_rows"] = examples
    of = "responses in the export" if ctx.get("coverage") else "rows read"
    specific = finding_id == "reliability.duplicates" and len(sub) == 1  # the title already names the one reason
    detail = (f"{num(count)} of {num(total)} {of} ({pct(share, 1)}) {what}"
              + ("" if specific else f": {'; '.join(parts)}") + ". "
              f"{why} Example rows in the file: {', '.join(str(x) for x in examples[:5])}.")
    vals = ctx["example_values"] if finding_id == "reliability.out_of_range" else []
    if vals:
        evidence["example_values"] = vals[:5]
        detail += " Values found: " + ", ".join(repr(v) for v in vals[:5]) + "."
    one = count == 1  # "1 response was", not "1 responses were"
    title = (f"{num(count)} response{'' if one else 's'} ({pct(share, 1)}) "
             + (what.replace("were ", "was ", 1) if one and what.startswith("were ") else what))
    return Finding(finding_id, severity_from_share(share), title, detail, evidence, rec)


# --------------------------------------------------------------------------- feed gaps


def _run_label(run: Mapping[str, Any]) -> str:
    return f"{run['first']}" if run["periods"] == 1 else f"{run['first']} to {run['last']}"


def _runs_text(runs: pd.DataFrame) -> str:
    """The first five runs of gap periods with their volumes, in words."""
    return "; ".join(_run_label(ru) + f" ({num(ru['responses'])} responses against about {num(ru['expected'])} "
                     "expected)" for ru in runs.head(5).to_dict("records"))


def feed_gaps_finding(ctx: Mapping[str, Any]) -> Finding | None:
    """``reliability.feed_gaps``: periods with abnormally few responses (:func:`~.blocks.feed_gaps`).

    ``ctx``: ``gaps`` (the gap periods of the feed table), ``runs`` (:func:`~.blocks.gap_runs`), ``tested``
    (periods tested), ``unit``, ``analysed`` (responses), ``dispersion`` and ``basis`` (for a survey sent in
    waves, ``"waves"``: the missing and short waves of :func:`~.blocks.wave_gaps`). High when the responses missing
    reach :data:`FEED_HIGH_SHORTFALL` of the analysed ones or a run of two periods or more received at most
    :data:`FEED_DEEP_RUN` of its expected volume; medium otherwise.
    """
    if not ctx or not len(ctx["gaps"]):
        return None
    if ctx.get("basis") == "waves":
        return _wave_finding(ctx)
    gaps, unit, n_an = ctx["gaps"], ctx["unit"], ctx["analysed"]
    runs = ctx["runs"].to_dict("records")
    shortfall = float((gaps["expected"] - gaps["responses"]).sum())
    longest = max(ru["periods"] for ru in runs)
    deep_run = any(ru["periods"] >= 2 and ru["responses"] <= FEED_DEEP_RUN * ru["expected"] for ru in runs)
    sev = "high" if (shortfall >= FEED_HIGH_SHORTFALL * n_an or deep_run) else "medium"
    p_min = float(gaps["p_adj"].min())
    return Finding(
        "reliability.feed_gaps", sev,
        f"{len(gaps)} {unit}{'s' if len(gaps) > 1 else ''} with abnormally few responses: "
        f"about {num(shortfall)} responses missing",
        f"Against {_BASIS_TEXT[ctx.get('basis', 'own level')]}, these {unit}s received far fewer responses than usual: "
        f"{_runs_text(ctx['runs'])}. A drop this deep is unlikely to be chance (smallest adjusted p {p_eq(p_min)}); "
        "it usually means a broken feed, a paused survey or a failed export, and any trend across it is unreliable.",
        {"gap_periods": int(len(gaps)), "runs": len(runs), "longest_run_periods": int(longest),
         "missing_responses": shortfall, "share_of_analysed": shortfall / n_an,
         "min_p_adj": p_min, "periods_tested": int(ctx["tested"]),
         "dispersion": ctx["dispersion"],
         "gaps": [_run_label(ru) for ru in runs]},
        f"Ask the survey platform owner what happened in those {unit}s (survey paused, sending list empty, "
        "integration error) and re-import the missing responses if they exist; add a weekly volume alert "
        "to the feed; do not read trend changes across the gap.")


_BASIS_TEXT = {"own level": "the series' own level", "invitations": "the invitations sent"}


def rhythm_text(days: float) -> str:
    """A survey's interval between waves in words ("quarter", "year", "2 months", "6 weeks")."""
    months = days / 30.44
    if abs(months - 12) < 1.5:
        return "year"
    if abs(months - 6) < 0.75:
        return "six months"
    if abs(months - 3) < 0.5:
        return "quarter"
    if abs(months - 1) < 0.25:
        return "month"
    return f"{months:.0f} months" if months >= 1.5 else f"{max(days / 7, 1):.0f} weeks"


def _wave_finding(ctx: Mapping[str, Any]) -> Finding:
    """``reliability.feed_gaps`` of a survey sent in waves: waves missing from its rhythm or abnormally small.

    High when a wave is missing or the responses missing reach :data:`FEED_HIGH_SHORTFALL` of the analysed ones.
    """
    gaps, n_an = ctx["gaps"], ctx["analysed"]
    missing, short = gaps[gaps["kind"] == "missing wave"], gaps[gaps["kind"] == "wave"]
    shortfall = float((gaps["expected"] - gaps["responses"]).clip(lower=0).sum())
    parts, said = [], []
    if len(missing):
        parts.append(f"{len(missing)} survey wave{'s' if len(missing) > 1 else ''} missing")
        said += [f"no wave between {m['first']} and {m['last']} (about {num(m['expected'])} responses expected, "
                 f"{num(m['responses'])} came)" for m in missing.head(3).to_dict("records")]
    if len(short):
        parts.append(f"{len(short)} wave{'s' if len(short) > 1 else ''} with abnormally few responses")
        said += [f"the wave of {w['first']} received {num(w['responses'])} responses against about "
                 f"{num(w['expected'])} in a typical wave (adjusted p {p_eq(float(w['p_adj']))})"
                 for w in short.head(3).to_dict("records")]
    rhythm = ctx.get("rhythm_days", float("nan"))
    sev = "high" if len(missing) or shortfall >= FEED_HIGH_SHORTFALL * n_an else "medium"
    return Finding(
        "reliability.feed_gaps", sev, " and ".join(parts) + f": about {num(shortfall)} responses missing",
        f"The survey is sent in waves ({len(ctx['waves'])} in the data"
        + (f", about every {rhythm_text(rhythm)}" if rhythm == rhythm else "") + "): " + "; ".join(said) + ". "
        "It usually means a wave was not sent, went to a short list or its responses were not exported; any trend "
        "across it is unreliable.",
        {"waves": int(len(ctx["waves"])), "missing_waves": int(len(missing)), "short_waves": int(len(short)),
         "missing_responses": shortfall, "share_of_analysed": shortfall / n_an, "rhythm_days": rhythm,
         "gaps": [f"{g['first']} to {g['last']}" if g["first"] != g["last"] else str(g["first"])
                  for g in gaps.to_dict("records")]},
        "Ask the survey platform owner whether each wave was sent, and to whom, and re-import its responses if "
        "they exist; do not read trend changes across a missing wave.")


# --------------------------------------------------------------------------- precision


def _precision_severity(ctx: Mapping[str, Any]) -> str | None:
    head, min_n, n_pts = ctx["head"], ctx["min_n"], ctx["points"]
    if head["n"] < min_n:
        return "high"
    if head["moe"] > MAX_MOE:
        return "medium"
    if n_pts >= 2 and ctx["below_min_n"] / n_pts >= LOW_N_SHARE_MEDIUM:
        return "medium"
    if n_pts >= 2 and (ctx["below_min_n"] or ctx["above_max_moe"]):
        return "low"
    return None


def small_sample_finding(ctx: Mapping[str, Any]) -> Finding | None:
    """``reliability.small_sample``: a headline or trend points too imprecise to report.

    ``ctx``: ``head`` (overall ``nps``, ``ci_low``, ``ci_high``, ``moe``, ``n``), ``min_n``, ``unit`` (trend
    period), ``points`` (trend points judged), ``below_min_n``, ``above_max_moe`` (points), ``median_n`` (per
    period) and ``plan`` (:func:`~.blocks.sample_size_plan`). High when the headline has fewer than ``min_n``
    responses, medium when its margin exceeds :data:`MAX_MOE` or a quarter of the points are below ``min_n``,
    low when any point is below ``min_n`` or above the margin.
    """
    if not ctx:
        return None
    sev = _precision_severity(ctx)
    if sev is None:
        return None
    head, min_n, tunit, plan = ctx["head"], ctx["min_n"], ctx["unit"], ctx["plan"]
    n_pts, low_n, wide, per_n = ctx["points"], ctx["below_min_n"], ctx["above_max_moe"], ctx["median_n"]
    detectable = plan["detectable_change_now"].iloc[0] if len(plan) else float("nan")
    need10 = int(plan.loc[plan["change_points"] == 10, "responses_needed_per_period"].iloc[0])
    need5 = int(plan.loc[plan["change_points"] == 5, "responses_needed_per_period"].iloc[0])
    if head["n"] < min_n or head["moe"] > MAX_MOE:
        title = f"The overall NPS rests on {num(head['n'])} responses: ±{head['moe']:.1f} points"
    else:
        title = (f"{low_n + wide} of {n_pts} {tunit}ly NPS points have fewer than {min_n} responses "
                 f"or a margin above ±{MAX_MOE:g} points")
    detail = (f"The overall NPS is {pts(head['nps'])} (interval {pts(head['ci_low'])} to "
              f"{pts(head['ci_high'])}, n = {num(head['n'])}). Per {tunit}, the median volume is "
              f"{num(per_n)} responses: {low_n} {tunit}(s) have fewer than {min_n} responses and "
              f"{wide} more have a margin of error above ±{MAX_MOE:g} points. ")
    if detectable == detectable:
        detail += (f"With this volume only a change of about {detectable:.0f} points between two {tunit}s can be "
                   f"told from noise; detecting 10 points needs about {num(need10)} responses per {tunit} and "
                   f"5 points about {num(need5)}.")
    return Finding(
        "reliability.small_sample", sev, title, detail,
        {"n": head["n"], "moe": head["moe"], "min_n": min_n, "max_moe": MAX_MOE, "trend_points": n_pts,
         "points_below_min_n": int(low_n), "points_above_max_moe": int(wide),
         "median_n_per_period": per_n, "detectable_change_points": float(detectable),
         "needed_per_period_10_points": need10, "needed_per_period_5_points": need5},
        f"Report the NPS per {'quarter' if tunit == 'month' else 'longer period'} or as a rolling figure until "
        f"each point has at least {min_n} responses, always show the interval, and do not act on "
        f"{tunit}-to-{tunit} moves smaller than the detectable change; raise volume (more invitations, "
        "reminders) if finer tracking matters.")


# --------------------------------------------------------------------------- score gaming


def score_gaming_finding(ctx: Mapping[str, Any]) -> Finding | None:
    """``reliability.score_gaming``: owners whose scores look implausibly high (:func:`~.owners.owner_review`).

    ``ctx``: ``owners`` (the review, most extreme first, with ``flagged`` and ``severity``), ``tested`` (owners
    tested) and ``funnel`` (:func:`~.owners.owner_funnel`: pooled share of 10s and between-owner variance).
    Severity: the worst of the flagged owners'.
    """
    if not ctx:
        return None
    t, funnel = ctx["owners"], ctx["funnel"]
    flagged = t[t["flagged"]]
    if not len(flagged):
        return None
    names = flagged["owner"].astype(str).tolist()
    lead = flagged.iloc[0]
    if len(flagged) == 1:
        title = (f"An unusual share of 10s among {names[0]}'s customers ({pct(lead['share_tens'])} of 9-10 scores "
                 f"against {pct(lead['expected_share_tens'])} expected from other owners): to check"
                 ) if "excess" in lead["flag"] else (
            f"{names[0]}'s scores do not go with their accounts' churn")
    else:
        title = f"An unusual pattern of top scores under {len(flagged)} owners ({', '.join(names[:4])}): to check"
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
    return Finding(
        "reliability.score_gaming", worst(flagged["severity"]), title, detail,
        {"owners_flagged": names, "owners_tested": ctx["tested"], "pooled_share_tens": funnel.p0,
         "tau2": funnel.tau2, "share_tens": float(lead["share_tens"]),
         "expected_share_tens": float(lead["expected_share_tens"]), "p_adj": float(lead["p_adj"]),
         "n_top_two": int(lead["top_two"]),
         "churn_o_e": None if lead["churn_o_e"] != lead["churn_o_e"] else float(lead["churn_o_e"])},
        "Review how these owners' surveys are sent (who chooses the recipients, whether customers are "
        "asked for a 10, whether the owner can see or submit responses) before drawing conclusions "
        "about any person; send surveys centrally and at random, and do not tie pay or targets to the "
        "owner's own NPS.")


# --------------------------------------------------------------------------- data-trust table and summary


def _trust_line(check: Check, severities: Mapping[str, str]) -> dict[str, str] | None:
    """The data-trust line of a check after the exclusions (None when no response could be analysed)."""
    label = _CHECK_LABELS[check.name]
    if not check.assessed:
        return None if check.reason == NO_RESPONSES else {"check": label, "result": check.reason or "",
                                                          "status": "not assessed"}
    ctx = check.context
    if check.name == "feed_continuity":
        gaps, unit = ctx["gaps"], ctx["unit"]
        if ctx.get("basis") == "waves":
            missing = int((gaps["kind"] == "missing wave").sum()) if len(gaps) else 0
            result = (f"sent in {ctx['tested']} waves; " + (f"{missing} missing, " if missing else "")
                      + f"{len(gaps) - missing} with abnormally few responses" if len(gaps) else
                      f"sent in {ctx['tested']} waves; none missing or abnormally small")
            return {"check": label, "result": result, "status": severities.get("reliability.feed_gaps", "ok")}
        if not len(gaps):
            return {"check": label, "result": f"no gap in {ctx['tested']} {unit}s tested", "status": "ok"}
        result = f"{len(gaps)} {unit}(s) with abnormally few responses ({_runs_text(ctx['runs']).split(' (')[0]})"
        return {"check": label, "result": result, "status": severities["reliability.feed_gaps"]}
    if check.name == "precision":
        head = ctx["head"]
        return {"check": label, "result": f"headline ±{head['moe']:.1f} points on {num(head['n'])} responses; "
                                          f"{ctx['below_min_n'] + ctx['above_max_moe']} of {ctx['points']} "
                                          f"{ctx['unit']}s too imprecise",
                "status": severities.get("reliability.small_sample", "ok")}
    t = ctx["owners"]
    names = t.loc[t["flagged"], "owner"].astype(str).tolist()
    if not names:
        return {"check": label, "result": f"no owner flagged among {ctx['tested']} tested", "status": "ok"}
    return {"check": label, "result": f"{len(names)} of {ctx['tested']} owners flagged ({', '.join(names[:3])})",
            "status": severities["reliability.score_gaming"]}


def trust_table(checks: Sequence[Check], findings: Sequence[Finding]) -> pd.DataFrame:
    """The data-trust summary: one line per check (and per exclusion finding), what it found, its status.

    ``checks``: the area's checks (``exclusions`` first); ``findings``: the findings the rules made of them.
    The status of a line with a finding is the finding's severity; otherwise ``ok`` or ``not assessed``.
    """
    by_name = {c.name: c for c in checks}
    ex = by_name["exclusions"].context
    n_an, read = ex["analysed"], ex["responses_read"]
    severities = {f.id: f.severity for f in findings}
    by_id = {f.id: f for f in findings}
    rows = []
    cov = ex.get("coverage")
    if cov:  # a flat export: how many of its accounts responded
        rows.append({"check": "Response coverage", "result": _coverage_text(cov), "status": "info"})
    what = "responses" if cov else "rows"
    rows.append({"check": "Usable rows", "result": f"{num(n_an)} of {num(read)} {what} analysed "
                                                   f"({pct(n_an / read, 1) if read else 'none'})",
                 "status": "ok" if read and n_an / read >= USABLE_SHARE_OK else ("issue" if n_an else
                                                                                 "no usable rows")})
    for fid, lab in _EXCLUSION_LABELS.items():
        f = by_id.get(fid)
        rows.append({"check": lab, "result": (f"{num(f.evidence['rows'])} rows ({pct(f.evidence['share'], 1)}) "
                                              "excluded") if f else "none found",
                     "status": f.severity if f else "ok"})
    for name in _CHECK_LABELS:
        line = _trust_line(by_name[name], severities) if name in by_name else None
        if line:
            rows.append(line)
    return pd.DataFrame(rows)


def _short(f: Finding, by_name: Mapping[str, Check]) -> str:
    """A few words for a finding in the area's summary sentence."""
    if f.id in _EXCLUSION_TEXT:
        return f"{pct(f.evidence['share'], 1)} of rows {_EXCLUSION_TEXT[f.id][0].split(' or ')[0]}"
    if f.id == "reliability.feed_gaps" and "waves" in f.evidence:
        return "a missing survey wave" if f.evidence["missing_waves"] else "a survey wave with few responses"
    if f.id == "reliability.feed_gaps":
        return f"a feed gap ({by_name['feed_continuity'].context['runs']['first'].iloc[0]})"
    if f.id == "reliability.small_sample":
        return "imprecise trend points"
    if f.id == "reliability.score_gaming":
        return "an unusual share of 10s for " + ", ".join(f.evidence["owners_flagged"][:2])
    return f.title


def _coverage_text(cov: Mapping[str, Any]) -> str:
    """How many of a flat export's accounts responded, in words."""
    return (f"{num(cov['responding_accounts'])} of {num(cov['accounts'])} accounts in the export responded "
            f"({pct(cov['coverage'], 1)})")


def summary(checks: Sequence[Check], findings: Sequence[Finding]) -> str:
    """The area's sentence for the executive summary: rows usable and the (at most three) findings that matter.

    For a flat export (one row per account), how many accounts responded comes first.
    """
    by_name = {c.name: c for c in checks}
    ex = by_name["exclusions"].context
    n_an, read, cov = ex["analysed"], ex["responses_read"], ex.get("coverage")
    if n_an == 0:
        if cov and not read:
            return f"None of the {num(cov['accounts'])} accounts in the export responded."
        return f"None of the {num(read)} {'responses' if cov else 'rows read'} could be analysed."
    top = sorted([f for f in findings if f.severity in ("high", "medium")],
                 key=lambda f: ("high", "medium").index(f.severity))
    text = (f"{_coverage_text(cov)}; {pct(n_an / read)} of their {num(read)} responses were usable" if cov
            else f"{pct(n_an / read)} of the {num(read)} rows read were usable")
    if top:
        return text + "; what matters most: " + "; ".join(_short(f, by_name) for f in top[:3]) + "."
    return text + "; no material data-quality issue found."
