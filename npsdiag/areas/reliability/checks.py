"""The reliability area's checks: each runs its building blocks on the prepared data and returns a ``Check``.

A check's tables, captions, figures and notes are what the report shows; its
``context`` holds what the finding rules of :mod:`.rules` read. A check
whose inputs are missing returns :meth:`~npsdiag.findings.Check.skipped`
with the reason (after the exclusions, every check needs analysed responses).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import pandas as pd

from ...clean import Prepared, is_flat_export
from ...findings import Check, Figure, Finding
from ...linking import cluster_column, cluster_frame, matched_invitations
from ...stats.nps import ADJUSTMENT, nps
from ...stats.survey import nps_clustered
from . import rules
from .blocks import (
    MISSING_WAVE_FACTOR,
    WAVE_QUIET_SHARE,
    exclusion_summary,
    feed_gaps,
    gap_runs,
    invitation_exposure,
    nps_trend,
    response_coverage,
    sample_size_plan,
    survey_waves,
    wave_gaps,
)
from .figures import plot_funnel, plot_owner_outcomes, plot_trend, plot_volume
from .owners import owner_funnel, owner_review_on_codes

__all__ = ["exclusions", "feed_continuity", "precision", "score_gaming", "trust_summary", "TABLE_ORDER"]

#: The order of the area's tables in the report.
TABLE_ORDER = ["trust_summary", "lineage", "exclusions", "survey_waves", "feed_gaps", "trend", "sample_size_plan",
               "owners"]


def exclusions(prep: Prepared) -> Check:
    """Rows read, excluded per reason and analysed: the lineage and exclusions tables.

    Context: ``summary`` (:func:`.blocks.exclusion_summary`), ``rows_read``, ``responses_read`` (the rows read
    that are responses: in a flat export, one row per account, not the accounts that did not respond),
    ``analysed``, ``coverage`` (a flat export's :func:`.blocks.response_coverage`, else None) and
    ``example_values`` (up to three scores that were not numbers and three outside the scale, when rows had them).
    """
    rows_read = len(prep.flags)
    if rows_read == 0:
        return Check.skipped("exclusions", "the responses file has no rows")
    excl = exclusion_summary(prep.flags)
    silent = int(excl.loc[excl["reason"] == "not_surveyed", "rows"].sum())
    coverage = None
    if is_flat_export(prep.config):
        coverage = response_coverage(prep.responses, prep.accounts, n_rows=rows_read).to_dict("records")[0]
    tables = {"lineage": prep.lineage}
    captions = {"lineage": "Data lineage: every row read is either analysed or excluded for exactly one reason "
                           "(the first that applies)."}
    if len(excl):
        tables["exclusions"] = excl.drop(columns=["reason"]).rename(columns={"description": "reason"})
        captions["exclusions"] = "Rows excluded per reason, with example row numbers in the client's file."
    bad_scores = excl["reason"].isin(rules.EXCLUSION_FINDINGS["reliability.out_of_range"]).any()
    notes = ["Rows are excluded by npsdiag.clean.prepare for the first reason that applies; severity by the share "
             "of rows read: high from 10%, medium from 2%."]
    if coverage and silent:
        notes.append("The responses come from a flat export, one row per account: a row with no score and no "
                     "comment is an account that was not surveyed (or did not answer), not a response missing its "
                     "score. It counts towards the response coverage and is left out of every share of responses.")
    return Check("exclusions", tables=tables, captions=captions, notes=notes,
                 context={"summary": excl, "rows_read": rows_read, "responses_read": rows_read - silent,
                          "analysed": len(prep.responses), "coverage": coverage,
                          "example_values": _bad_score_values(prep) if bad_scores else []})


def _bad_score_values(prep: Prepared) -> list[str]:
    """Up to three scores not written as numbers and three outside the scale, as read."""
    raw = prep.excluded  # the excluded rows as read, with their reason (not every row read)

    def rows_of(key: str) -> np.ndarray:
        return np.asarray((raw["reason"] == key).to_numpy(dtype=bool, na_value=False), dtype=bool)

    vals: list[str] = []
    if "score_text" in raw:
        vals += raw.loc[rows_of("invalid_score"), "score_text"].dropna().astype(str).unique()[:3].tolist()
    vals += [f"{v:g}" for v in raw.loc[rows_of("out_of_range"), "score"].dropna().unique()[:3]]
    return vals


def feed_continuity(prep: Prepared) -> Check:
    """Responses per period against what the programme should bring in: the volume figure.

    The expected volume follows the invitations sent where they exist and cover the responses
    (:func:`.blocks.invitation_exposure`); without them, a survey sent in waves (:func:`.blocks.survey_waves`) is
    judged wave by wave against its own rhythm (:func:`.blocks.wave_gaps`, no response is expected between waves)
    and a continuous feed against the series' own level (:func:`.blocks.feed_gaps`).

    Context: ``feed`` (the feed table), ``gaps`` (its gap periods, or the missing and short waves), ``runs``
    (:func:`.blocks.gap_runs`), ``tested`` (periods or waves tested), ``unit``, ``analysed``, ``dispersion``,
    ``basis`` ("own level", "invitations" or "waves") and, for a survey sent in waves, ``waves``. Not assessed
    with fewer than :data:`.rules.FEED_MIN_PERIODS` periods tested (or, in waves, fewer than
    :data:`.rules.WAVES_MIN` waves).
    """
    r, s = prep.responses, prep.settings
    if not len(r):
        return Check.skipped("feed_continuity", rules.NO_RESPONSES)
    unit = rules.period_unit(s.feed_period)
    if "responded_at" not in prep.config.responses.columns:  # one survey date for every response
        return Check.skipped("feed_continuity", rules.NO_DATES)
    exposure = _invited_exposure(prep, s.feed_period)
    if exposure is None:
        waves = survey_waves(r, freq=s.feed_period)
        if len(waves):
            return _wave_continuity(r, waves, s.feed_period, s.confidence)
    feed = feed_gaps(r, freq=s.feed_period, confidence=s.confidence, exposure=exposure)
    tested = feed[~feed["partial"] & feed["p_value"].notna()]
    if len(tested) < rules.FEED_MIN_PERIODS:
        return Check.skipped("feed_continuity", f"the responses span too few {unit}s ({len(tested)}) to tell "
                                                f"a gap from ordinary variation (at least {rules.FEED_MIN_PERIODS} "
                                                "are needed)")
    invited = exposure is not None
    base = "the responses the invitations sent should bring in" if invited else \
        f"the expected volume (rolling median of the surrounding {unit}s)"
    figure = Figure("feed_volume", partial(plot_volume, feed, s.feed_period),
                    f"Responses per {unit}, with {base} and its lower limit; hatched bars and triangles mark "
                    f"{unit}s with abnormally few responses.")
    gaps = feed[feed["gap"]]
    tables, captions = {}, {}
    if len(gaps):
        tables["feed_gaps"] = gaps[["period", "responses", "expected", "lower_limit", "ratio", "p_adj"]]
        captions["feed_gaps"] = (f"{unit.capitalize()}s with abnormally few responses: count, expected level "
                                 f"({'from the invitations sent' if invited else 'rolling median'}), lower limit "
                                 "and BH-adjusted p-value.")
    how = (f"the invitations sent: each {unit}'s expected count is the invitations of that {unit} and the "
           f"previous ones times the share answered after that many {unit}s (pooled over invitations old enough "
           f"to be settled), times the usual response rate of the neighbouring {unit}s; {unit}s that no "
           "invitation reaches are not tested" if invited else
           f"a centred rolling median of the neighbouring {unit}s")
    note = (f"Feed gaps: responses per {unit} against {how}; counts referred to a negative binomial with "
            f"robustly estimated dispersion (phi = {feed.attrs.get('dispersion', 1):.2f}); Benjamini-Hochberg "
            f"across {unit}s; a gap needs adjusted p < alpha and at most half the expected volume. First and last "
            "periods are partial and not tested.")
    return Check("feed_continuity", tables=tables, captions=captions, figures=[figure], notes=[note],
                 context={"feed": feed, "gaps": gaps, "runs": gap_runs(feed), "tested": len(tested), "unit": unit,
                          "analysed": len(r), "dispersion": float(feed.attrs.get("dispersion", np.nan)),
                          "basis": feed.attrs["basis"]})


def _invited_exposure(prep: Prepared, freq: str) -> pd.Series | None:
    """The responses each period's invitations should bring in (:func:`.blocks.invitation_exposure`); None without
    dated invitations or when they lead to fewer than :data:`.rules.INVITED_SHARE_MIN` of the responses (they do
    not cover the feed)."""
    inv = prep.invitations
    if inv is None or "invited_at" not in inv or not inv["invited_at"].notna().any():
        return None
    matched = matched_invitations(prep)
    if matched is None or matched["responded"].sum() < rules.INVITED_SHARE_MIN * len(prep.responses):
        return None
    return invitation_exposure(matched, freq=freq)


def _wave_continuity(r: pd.DataFrame, waves: pd.DataFrame, freq: str, confidence: float) -> Check:
    """The feed check of a survey sent in waves: missing or short waves against the survey's own rhythm."""
    unit = rules.period_unit(freq)
    feed = feed_gaps(r, freq=freq, confidence=confidence).assign(expected=np.nan, lower_limit=np.nan, gap=False)
    wg = wave_gaps(waves, confidence=confidence)
    rhythm = wg.attrs["rhythm_days"]
    every = f", about every {rules.rhythm_text(rhythm)}" if rhythm == rhythm else ""
    figure = Figure("feed_volume", partial(plot_volume, feed, freq),
                    f"Responses per {unit}: the survey is sent in {len(waves)} waves{every}; no response is "
                    "expected between waves.")
    tables = {"survey_waves": waves[["wave", "first", "last", "responses", "between"]]}
    captions = {"survey_waves": f"The survey's waves: first and last {unit} with responses, responses in the wave "
                                "and late answers before the next wave."}
    note = ("Feed gaps in a survey sent in waves: a " + unit + " is quiet with at most "
            f"{100 * WAVE_QUIET_SHARE:g}% of the peak volume and quiet stretches of two {unit}s or more separate "
            "waves; no gap is looked for between waves. A wave is missing where two waves start at least "
            f"{MISSING_WAVE_FACTOR:g} times the usual interval apart; with four waves or more, each wave but the "
            "last (which may still be collecting answers) is compared with the median of the others (negative "
            "binomial with robustly estimated dispersion, Benjamini-Hochberg across waves; short when adjusted "
            "p < alpha and at most half the usual volume).")
    if len(waves) < rules.WAVES_MIN:
        return Check("feed_continuity", assessed=False, tables=tables, captions=captions, figures=[figure],
                     notes=[note], reason=f"the survey is sent in waves and only {len(waves)} are in the data: "
                                          f"at least {rules.WAVES_MIN} are needed to know its rhythm")
    gaps = wg[wg["gap"]]
    if len(gaps):
        tables["feed_gaps"] = gaps[["kind", "first", "last", "responses", "expected", "p_adj"]]
        captions["feed_gaps"] = ("Missing waves (no wave where the survey's rhythm expects one) and waves with "
                                 "abnormally few responses: responses, expected (a typical wave) and BH-adjusted "
                                 "p-value.")
    return Check("feed_continuity", tables=tables, captions=captions, figures=[figure], notes=[note],
                 context={"feed": feed, "gaps": gaps, "runs": gaps, "tested": len(waves), "unit": "wave",
                          "analysed": len(r), "dispersion": float(wg.attrs.get("dispersion", np.nan)),
                          "basis": "waves", "waves": waves, "rhythm_days": rhythm})


def precision(prep: Prepared) -> Check:
    """Margin of error of the headline and of every trend point, and the sample-size plan.

    Context: ``head`` (overall ``nps``, ``ci_low``, ``ci_high``, ``moe``, ``n``), ``min_n``, ``unit``, ``points``
    (trend points judged: the full periods when there are two, else all), ``below_min_n`` and ``above_max_moe``
    (points), ``median_n`` (responses per full period) and ``plan`` (:func:`.blocks.sample_size_plan`).
    """
    r, s = prep.responses, prep.settings
    if not len(r):
        return Check.skipped("precision", rules.NO_RESPONSES)
    head = nps(r, confidence=s.confidence, breaks=s.breaks).iloc[0]
    cluster = cluster_column(prep)
    clustered = cluster_frame(prep, "score", "responded_at")  # the clusters as integers: the same, faster
    est = nps_clustered(clustered, cluster="cluster" if cluster else None, confidence=s.confidence, breaks=s.breaks)
    head_d = {"nps": float(head["nps"]), "ci_low": est.ci_low, "ci_high": est.ci_high,
              "moe": (est.ci_high - est.ci_low) / 2, "n": int(head["n"]), "deff": est.deff}
    trend = nps_trend(clustered, freq=s.trend_period, confidence=s.confidence, min_n=s.min_n, max_moe=rules.MAX_MOE,
                      breaks=s.breaks, cluster="cluster" if cluster else None)
    tunit = rules.period_unit(s.trend_period)
    full = trend[~trend["partial"]] if (~trend["partial"]).any() else trend
    per_n = float(full["n"].median()) if len(full) else float("nan")
    # the category mix with the adjusted Wald interval's pseudo-counts (Rocks 2016)
    adj_counts = (head["detractors"] + ADJUSTMENT[0], head["passives"] + ADJUSTMENT[1],
                  head["promoters"] + ADJUSTMENT[2])
    tot = sum(adj_counts)
    deff = float(full["deff"].median()) if len(full) and full["deff"].notna().any() else 1.0
    plan = sample_size_plan(adj_counts[2] / tot, adj_counts[0] / tot, changes=(5, 10), power=0.8,
                            confidence=s.confidence, current_n=per_n if per_n == per_n else None, deff=deff)
    tables = {"sample_size_plan": plan}
    captions = {"sample_size_plan": f"Responses needed per {tunit} to detect a change of 5 or 10 NPS points "
                                    f"between two {tunit}s with 80% power (two-sample test, variance of Rocks 2016 "
                                    "at the current category mix"
                                    + (f", times the design effect of a {tunit}'s NPS ({deff:.2f}): accounts answer "
                                       "many times" if deff > 1.005 else "") + ")."}
    figures = []
    if len(trend) >= 2:
        figures.append(Figure("nps_trend", partial(plot_trend, trend, head_d, s.trend_period, s.min_n, rules.MAX_MOE),
                              f"NPS per {tunit} with its {int(100 * 0.95)}% adjusted Wald interval; hollow squares "
                              f"have a margin above ±{rules.MAX_MOE:g} points and crosses fewer than {s.min_n} "
                              "responses (not to be reported as a trend point). The band is the overall NPS and its "
                              "interval."))
        tables["trend"] = trend.tail(30)[["period", "n", "nps", "ci_low", "ci_high", "moe", "issue"]]
        captions["trend"] = (f"NPS per {tunit} with its interval and margin of error"
                             + (" (last 30 shown)" if len(trend) > 30 else "") + "; points marked with an issue "
                             "should not be reported as a trend point.")
    # a first or last period cut by the export's dates is shown but not held against the program
    judged = trend[~trend["partial"]] if (~trend["partial"]).sum() >= 2 else trend
    note = ("Precision: adjusted Wald interval (Rocks 2016)"
            + (f" on the effective sample size, with {cluster.replace('_id', '')}s as clusters (design-based "
               "standard errors by linearisation, as R's survey package; Korn & Graubard 1998)" if cluster else "")
            + f"; a point needs at least {s.min_n} responses "
            f"(settings.min_n) and a margin of ±{rules.MAX_MOE:g} points or less to be reported as precise. "
            "Planner: two-sample Wald test, n = (z_{1-alpha/2} + z_power)^2 * 2 var * deff / delta^2.")
    return Check("precision", tables=tables, captions=captions, figures=figures, notes=[note],
                 context={"head": head_d, "min_n": s.min_n, "unit": tunit, "points": len(judged),
                          "below_min_n": int((judged["n"] < s.min_n).sum()),
                          "above_max_moe": int((judged["reportable"] & ~judged["precise"]).sum()),
                          "median_n": per_n, "plan": plan})


_GAMING_NOTE = (
    "Score gaming: per owner, the share of 10s among 9s and 10s against the share expected from the other owners "
    "(leave-one-out). Happier customers may give relatively more 10s (a proportional-odds shift, McCullagh 1980) or "
    "split their top scores as everyone else does; the other owners' data decide between the two: a random-effects "
    "meta-regression of their shares of 10s (logit) on how positive their customers are (-log of the share of 0-8 "
    "scores), with a normal prior on the slope spanning both cases (mean 0.5, sd 0.5) and the residual variance "
    "between owners by the method of moments (Raudenbush 2009), predicts each owner's expected share and how "
    "uncertain it is (more so for an owner whose customers are unlike the others'). The count of 10s is then "
    "beta-binomial around it (funnel plot with overdispersion, Spiegelhalter 2005, Statistics in Medicine "
    "24:1185-1202), responses clustered in accounts counting by their Kish effective number; on simulated owners "
    "without gaming the resulting z-scores are close to standard normal. One-sided p-values, Benjamini-Hochberg "
    "across owners; flagged when adjusted p < 0.01 (stricter than usual: a false accusation is the costliest error) "
    "and the excess is 10 points or more, high severity only when adjusted p < 0.001 and the excess is 20 points or "
    "more. Where churn is known, each owner's churned accounts are compared with a logistic churn ~ score model "
    "fitted on the other owners' accounts (observed / expected). An owner whose accounts churn significantly less "
    "than other owners' (one-sided Fisher exact test) and no more than their scores predict is not flagged: their "
    "10s are backed by retention.")


def score_gaming(prep: Prepared) -> Check:
    """Owners whose customers give an implausible excess of 10s (:func:`.owners.owner_review`): funnel plot.

    Context: ``owners`` (the review, most extreme first), ``tested`` (owners tested) and ``funnel``
    (:func:`.owners.owner_funnel`). Not assessed without an owner column or with fewer than
    :data:`.rules.GAMING_MIN_OWNERS` owners tested.
    """
    r, s = prep.responses, prep.settings
    if not len(r):
        return Check.skipped("score_gaming", rules.NO_RESPONSES)
    if "owner" not in r or not r["owner"].notna().any():
        return Check.skipped("score_gaming", rules.NO_OWNER)
    codes = {c: prep.codes(c) for c in ("owner", "account_id") if c in r}
    t = owner_review_on_codes(r, prep.accounts, codes, top=s.scale[1], confidence=s.confidence,
                              min_top=rules.GAMING_MIN_TOP, breaks=s.breaks)
    n_tested = int(t["tested"].sum())
    if n_tested < rules.GAMING_MIN_OWNERS:
        return Check.skipped("score_gaming", f"too few owners ({n_tested}) with at least {rules.GAMING_MIN_TOP} scores "
                             f"of 9 or 10 to compare (at least {rules.GAMING_MIN_OWNERS} are needed)")
    funnel = owner_funnel(t)
    figures = [Figure("owner_funnel", partial(plot_funnel, funnel.owners, funnel.limits, funnel.p0, adjusted=True),
                      "Each owner's share of 10s among their 9s and 10s against their volume, adjusted for how "
                      "positive the owner's customers are overall (each owner's expected share, predicted from the "
                      "other owners, is moved to the common centre line). The volume is the owner's effective number "
                      "of 9-10 scores: fewer where several answers come from one account or where the owner's "
                      "customers are unlike the others' (their expectation is then less certain). Control limits "
                      "allow for real differences between owners (additive random effect, Spiegelhalter 2005); "
                      "owners above the upper limit have more 10s than chance and normal variation explain.")]
    if (t["churn_rate"].notna() & t["nps"].notna()).sum() >= 3:
        figures.append(Figure("owner_outcomes", partial(plot_owner_outcomes, t),
                              "Each owner's NPS against the churn of their accounts. Honest high scores go with low "
                              "churn; high scores with ordinary churn suggest inflated scores."))
    keep = ["owner", "n", "nps", "ci_low", "ci_high", "share_top_two", "nines", "tens", "share_tens",
            "expected_share_tens", "p_adj"]
    if t["churn_o_e"].notna().any():
        keep += ["accounts", "churn_rate", "expected_churn_rate", "churn_o_e", "churn_p_adj"]
    keep += ["flag"]
    caption = ("Owners, most extreme first: NPS, share of 9-10 scores, 9s and 10s, share of 10s against the share "
               "expected from the other owners for customers as positive (BH-adjusted one-sided p) and, where churn "
               "is known, their accounts' churn against what the scores predict (observed / expected).")
    return Check("score_gaming", tables={"owners": t[keep].head(30)}, captions={"owners": caption},
                 figures=figures, notes=[_GAMING_NOTE], context={"owners": t, "tested": n_tested, "funnel": funnel})


def trust_summary(checks: Sequence[Check], findings: Sequence[Finding]) -> Check:
    """The data-trust summary table, a roll-up of the other checks and their findings (:func:`.rules.trust_table`).

    Always assessed; listed after the checks it sums up (the report shows its table first, :data:`TABLE_ORDER`).
    """
    analysed = next(c.context["analysed"] for c in checks if c.name == "exclusions")
    caption = ("Data-trust summary: each check, what was found and its severity." if analysed
               else "Data-trust summary.")
    table: pd.DataFrame = rules.trust_table(checks, findings)
    return Check("trust_summary", tables={"trust_summary": table}, captions={"trust_summary": caption},
                 substantive=False)
