"""The decay area's finding rules: thresholds, finding texts and recommendations, the summary sentence.

Each rule is a function of a check's ``context`` (:mod:`.checks`) and of the
area's adjusted p-values (the ``multiple_testing`` check: every test of the
area is adjusted together, Benjamini-Hochberg) and returns a
:class:`~npsdiag.findings.Finding` or None. A finding fires only when its
test's adjusted p-value is below ``1 - settings.confidence``.
"""

from __future__ import annotations

from typing import Any

from ...findings import Check, Finding
from .followup import band_labels

__all__ = ["LATE_TOLERANCE", "NEVER_TOLERANCE", "LATENCY_MEDIAN_DAYS", "LATENCY_LONG_DAYS", "LATENCY_LONG_SHARE",
           "NOT_ASSESSED", "slow_follow_up", "no_follow_up", "follow_up_effect", "score_staleness",
           "response_rate_trend", "response_latency", "findings", "summary", "fmt_days"]

#: Share of followed-up detractors allowed beyond the SLA before it is called slow (an 80 % SLA target).
LATE_TOLERANCE: float = 0.20
#: Share of detractors allowed never to be followed up before it is a finding.
NEVER_TOLERANCE: float = 0.05
#: Invitation-to-response latency: a median above this many days is slow...
LATENCY_MEDIAN_DAYS: float = 3
#: ...and so is more than LATENCY_LONG_SHARE of responses arriving after LATENCY_LONG_DAYS.
LATENCY_LONG_DAYS: float = 7
LATENCY_LONG_SHARE: float = 0.25
#: Late answers are a medium finding when the median exceeds LATENCY_LONG_DAYS or this share answers after them.
LATENCY_MEDIUM_SHARE = 0.5

# severities
#: Slow follow-up is high when the median (and its interval's lower bound) exceeds the SLA by this factor...
SLOW_HIGH_MEDIAN_FACTOR = 1.25
#: ...and medium when at least this share of followed-up detractors is late (or the median exceeds the SLA).
SLOW_MEDIUM_SHARE_LATE = 0.35
#: Shares never followed up that make the finding high and medium.
NEVER_HIGH_SHARE, NEVER_MEDIUM_SHARE = 0.20, 0.10
#: The follow-up effect is high with an odds ratio per step of at least this and a churn difference of...
EFFECT_HIGH_ODDS_RATIO = 1.5
#: ...at least this between the fastest and the slowest band.
EFFECT_HIGH_CHURN_DIFFERENCE = 0.10
#: Staleness is high when scores stop predicting within this many months and at least...
STALE_HIGH_MONTHS = 6
#: ...this share of accounts' latest score is older than that at the outcome.
STALE_HIGH_SHARE = 0.5
#: A shortest survey cadence to recommend (months).
MIN_CADENCE_MONTHS = 3
#: A falling response rate is high after a drop of this many points, or of this share of the starting rate...
RATE_HIGH_DROP_POINTS, RATE_HIGH_RELATIVE_DROP = 10, 0.3
#: ...and medium with a change of at least this many points per year.
RATE_MEDIUM_POINTS_PER_YEAR = 2

#: The area's reason when none of its inputs is there.
NOT_ASSESSED = ("needs the dates detractors were called back, the dates survey invitations were sent, or which "
                "accounts renewed or churned and when")



#: The findings each figure shows the evidence of (the report shows those figures first).
ILLUSTRATES = {"follow_up_ecdf": ("decay.slow_follow_up", "decay.no_follow_up"),
               "churn_by_follow_up": ("decay.follow_up_effect",), "auc_by_score_age": ("decay.score_staleness",),
               "response_rate_by_month": ("decay.response_rate_trend",)}

def fmt_days(x: float) -> str:
    """Days as the findings write them: one decimal below 10, none from 10, ``n/a`` for NaN.

    Examples
    --------
    >>> fmt_days(3.25), fmt_days(12.4), fmt_days(float("nan"))
    ('3.2', '12', 'n/a')
    """
    return "n/a" if x != x else f"{x:.0f}" if x >= 10 else f"{x:.1f}"


def _ci_days(lo: float, hi: float, pct: int = 95) -> str:
    return "" if lo != lo else f" ({pct}% CI {fmt_days(lo)}-{fmt_days(hi)})"


def _band_words(band: str, sla: float) -> str:
    """A latency band in words, for titles ("never followed up", "followed up within the 7-day SLA")."""
    labels = band_labels(sla)
    words = ["followed up within the {:g}-day SLA", "followed up after {:g} to {:g} days",
             "followed up after more than {:g} days", "never followed up"]
    if band not in labels:
        return band
    i = labels.index(band)
    return words[i].format(*([sla] if i == 0 else [sla, 2 * sla] if i == 1 else [2 * sla] if i == 2 else []))


def _sev(cond_high: bool, cond_medium: bool) -> str:
    return "high" if cond_high else "medium" if cond_medium else "low"


def _significant(adjusted: dict[str, Any], key: str) -> bool:
    """Whether the test ``key`` ran and its adjusted p-value is below alpha."""
    return key in adjusted["p_adj"] and adjusted["p_adj"][key] < adjusted["alpha"]


def _pct(adjusted: dict[str, Any]) -> int:
    return int(round(adjusted["confidence"] * 100))


def slow_follow_up(follow_up: dict[str, Any], adjusted: dict[str, Any]) -> Finding | None:
    """``decay.slow_follow_up``: more than :data:`LATE_TOLERANCE` of followed-up detractors contacted after the SLA."""
    if "summary" not in follow_up or not _significant(adjusted, "slow_follow_up"):
        return None
    d, sla, owners, pct = follow_up["summary"], follow_up["sla"], follow_up["slow_owners"], _pct(adjusted)
    med, lo, hi = float(d["median_days"]), float(d["median_ci_low"]), float(d["median_ci_high"])
    share_late = float(d["share_late"])
    high = med > SLOW_HIGH_MEDIAN_FACTOR * sla and lo == lo and lo > sla
    sev = _sev(high, share_late >= SLOW_MEDIUM_SHARE_LATE or med > sla)
    owner_txt = (f" Owners significantly slower than the rest: {', '.join(owners[:5])}"
                 f"{' and others' if len(owners) > 5 else ''}." if owners else "")
    return Finding(
        id="decay.slow_follow_up", severity=sev,
        title=(f"Unhappy customers (detractors) were called back after a median of {fmt_days(med)} days against a "
               f"{sla:g}-day target" if med > sla else
               f"{share_late:.0%} of unhappy customers (detractors) called back were called after the {sla:g}-day "
               "target"),
        detail=(f"Of {int(d['followed_up'])} detractors who were followed up, {share_late:.0%} were contacted "
                f"after the {sla:g}-day SLA ({pct}% CI {d['late_ci_low']:.0%}-{d['late_ci_high']:.0%}); the "
                f"median wait was {fmt_days(med)} days{_ci_days(lo, hi, pct)}. "
                f"Only {d['share_within_sla']:.0%} "
                f"of detractors older than the SLA were followed up within it.{owner_txt}"),
        evidence={"median_days": med, "median_ci_low": lo, "median_ci_high": hi, "sla_days": sla,
                  "share_late_of_followed": share_late, "late_ci_low": float(d["late_ci_low"]),
                  "late_ci_high": float(d["late_ci_high"]), "tolerance": LATE_TOLERANCE,
                  "share_within_sla": float(d["share_within_sla"]), "n_followed_up": int(d["followed_up"]),
                  "n_detractors": int(d["n"]), "p_value": adjusted["p_values"]["slow_follow_up"],
                  "p_adj": adjusted["p_adj"]["slow_follow_up"],
                  "test": f"exact binomial, share late > {LATE_TOLERANCE:.0%}", "slow_owners": owners[:10]},
        recommendation=(f"Route every detractor to its owner the day it arrives and track the {sla:g}-day SLA "
                        "weekly per owner; start with the slowest owners and the callback queue."))


def no_follow_up(follow_up: dict[str, Any], adjusted: dict[str, Any]) -> Finding | None:
    """``decay.no_follow_up``: more than :data:`NEVER_TOLERANCE` of detractors older than the SLA never followed up."""
    if "summary" not in follow_up or not _significant(adjusted, "no_follow_up"):
        return None
    d, sla, pct = follow_up["summary"], follow_up["sla"], _pct(adjusted)
    share = float(d["share_never"])
    none_recorded = bool(follow_up.get("all_missing"))
    detail = (f"{int(d['never'])} of {int(d['n_closed'])} detractors older than the {sla:g}-day SLA "
              f"({share:.0%}, {pct}% CI {d['never_ci_low']:.0%}-{d['never_ci_high']:.0%}) have no follow-up "
              f"date; {int(d['open'])} more are recent and still open.")
    if none_recorded:
        detail += (" No follow-up date is recorded at all: either the loop is not closed or follow-ups are "
                   "not recorded in this export.")
    return Finding(
        id="decay.no_follow_up", severity=_sev(share >= NEVER_HIGH_SHARE, share >= NEVER_MEDIUM_SHARE),
        title=f"{share:.0%} of detractors were never followed up",
        detail=detail,
        evidence={"share_never": share, "ci_low": float(d["never_ci_low"]),
                  "ci_high": float(d["never_ci_high"]),
                  "n_never": int(d["never"]), "n_closed": int(d["n_closed"]), "n_open": int(d["open"]),
                  "tolerance": NEVER_TOLERANCE, "p_value": adjusted["p_values"]["no_follow_up"],
                  "p_adj": adjusted["p_adj"]["no_follow_up"],
                  "test": f"exact binomial, share never > {NEVER_TOLERANCE:.0%}", "none_recorded": none_recorded},
        recommendation=("Close the loop on every detractor: work the callback queue (callback_queue.csv), "
                        "highest ARR and most recent first, and record each follow-up date in the system."))


def follow_up_effect(effect: dict[str, Any], adjusted: dict[str, Any]) -> Finding | None:
    """``decay.follow_up_effect``: detractors followed up more slowly churn more, at equal score."""
    if "model" not in effect or not _significant(adjusted, "follow_up_effect"):
        return None
    m, tab, sla, pct = effect["model"].terms, effect["table"], effect["sla"], _pct(adjusted)
    or_, lo, hi = float(m["odds_ratio"].iloc[0]), float(m["ci_low"].iloc[0]), float(m["ci_high"].iloc[0])
    if not or_ > 1:
        return None
    fast, slow = tab.iloc[0], tab.iloc[-1]
    diff = float(slow["churn_rate"] - fast["churn_rate"])
    return Finding(
        id="decay.follow_up_effect",
        severity=_sev(or_ >= EFFECT_HIGH_ODDS_RATIO and diff >= EFFECT_HIGH_CHURN_DIFFERENCE, True),
        title=(f"Detractors followed up late or never churned more: {slow['churn_rate']:.0%} of those "
               f"{_band_words(str(slow['band']), sla)} vs {fast['churn_rate']:.0%} of those "
               f"{_band_words(str(fast['band']), sla)}"),
        detail=(f"Among {int(m['n'].iloc[0])} detractor responses linked to an account outcome, each step "
                f"slower in follow-up (within SLA, up to twice the SLA, beyond, never) goes with "
                f"{or_:.2f} times the odds of churn ({pct}% CI {lo:.2f}-{hi:.2f}), at equal score. This is an "
                "association, not proof that faster follow-up prevents churn: accounts that are hard to "
                "reach may be at risk anyway."),
        evidence={"odds_ratio_per_step": or_, "ci_low": lo, "ci_high": hi,
                  "p_value": adjusted["p_values"]["follow_up_effect"],
                  "p_adj": adjusted["p_adj"]["follow_up_effect"], "n": int(m["n"].iloc[0]),
                  "n_churned": int(m["n_churned"].iloc[0]), "covariance": effect["model"].covariance,
                  "churn_by_band": {str(b): float(c) for b, c in zip(tab["band"], tab["churn_rate"], strict=True)},
                  "n_by_band": {str(b): int(n) for b, n in zip(tab["band"], tab["n"], strict=True)},
                  "churn_difference": diff},
        recommendation=("Treat detractor follow-up as retention work: set the SLA as a retention KPI, and "
                        "test it (e.g. randomise the order of the callback queue for a quarter) to confirm "
                        "the effect is causal."))


def score_staleness(staleness: dict[str, Any], adjusted: dict[str, Any]) -> Finding | None:
    """``decay.score_staleness``: the score's association with churn weakens as the score ages."""
    if "bands" not in staleness or not _significant(adjusted, "score_staleness"):
        return None
    m, bands, stale, pct = staleness["model"].terms, staleness["bands"], staleness["stale_after"], _pct(adjusted)
    or_int, lo, hi = float(m["odds_ratio"].iloc[2]), float(m["ci_low"].iloc[2]), float(m["ci_high"].iloc[2])
    b = bands.dropna(subset=["auc"])
    young, old = b.iloc[0], b.iloc[-1]
    share_stale = staleness["share_stale"]
    if stale is not None:
        cadence = max(MIN_CADENCE_MONTHS, int(stale))
        title = f"Scores older than about {stale:g} months no longer predict churn"
        rec = (f"Survey each account at least every {cadence} months and again in the 3 months before each "
               f"renewal; do not read a score older than {stale:g} months as a renewal signal.")
    else:
        cadence = None
        title = "Older scores predict churn less well"
        rec = ("Survey each account at least every 6 months and before each renewal; weight recent scores more "
               "when judging renewal risk.")
    sev = _sev(stale is not None and stale <= STALE_HIGH_MONTHS and share_stale == share_stale
               and share_stale >= STALE_HIGH_SHARE, True)
    stale_txt = (f" {share_stale:.0%} of accounts' latest score was at least {stale:g} months old at their "
                 "renewal/churn date." if share_stale == share_stale else "")
    return Finding(
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
                  "p_value": adjusted["p_values"]["score_staleness"], "p_adj": adjusted["p_adj"]["score_staleness"],
                  "stale_after_months": stale, "share_accounts_latest_score_stale": share_stale,
                  "n": int(m["n"].iloc[0]), "n_accounts": staleness["n_accounts"], "cadence_months": cadence,
                  "covariance": staleness["model"].covariance},
        recommendation=rec)


def response_rate_trend(rates: dict[str, Any], adjusted: dict[str, Any]) -> Finding | None:
    """``decay.response_rate_trend``: the response rate changed over time (falling: low to high; rising: info)."""
    if "trend" not in rates or not _significant(adjusted, "response_rate_trend"):
        return None
    t, pct = rates["trend"], _pct(adjusted)
    ch, lo, hi = t.change_points_per_year, t.ci_low, t.ci_high
    drop = (t.rate_start - t.rate_end) * 100
    if ch < 0:
        sev = _sev(drop >= RATE_HIGH_DROP_POINTS
                   or (t.rate_start > 0 and drop / (t.rate_start * 100) >= RATE_HIGH_RELATIVE_DROP),
                   abs(ch) >= RATE_MEDIUM_POINTS_PER_YEAR)
        title = f"Response rates fell from {t.rate_start:.0%} to {t.rate_end:.0%}"
        rec = ("Find out why customers stop answering: survey fatigue (too many invitations per contact), "
               "invitations to stale contacts, or no visible action on feedback. Cap invitations per contact, "
               "clean the contact lists and tell customers what changed because of their answers.")
    else:
        sev = "info"
        title = f"Response rates rose from {t.rate_start:.0%} to {t.rate_end:.0%}"
        rec = "Keep doing what raised the response rate, and check the new respondents resemble the old ones."
    return Finding(
        id="decay.response_rate_trend", severity=sev, title=title,
        detail=(f"Over {t.years:.1f} years and {t.n} invitations, the fitted response rate changed by "
                f"{ch:+.1f} points per year ({pct}% CI {lo:+.1f} to {hi:+.1f}; logistic trend, odds ratio "
                f"{t.odds_ratio_per_year:.2f} per year)."),
        evidence={"change_points_per_year": ch, "ci_low": lo, "ci_high": hi, "rate_start": t.rate_start,
                  "rate_end": t.rate_end, "odds_ratio_per_year": t.odds_ratio_per_year,
                  "p_value": adjusted["p_values"]["response_rate_trend"],
                  "p_adj": adjusted["p_adj"]["response_rate_trend"], "n": t.n,
                  "n_responded": t.n_responded, "years": t.years, "covariance": t.covariance},
        recommendation=rec)


def response_latency(latency: dict[str, Any], adjusted: dict[str, Any]) -> Finding | None:
    """``decay.response_latency``: the median delay exceeds :data:`LATENCY_MEDIAN_DAYS`, or too many answer late."""
    if "latency" not in latency:
        return None
    alpha, padj, tests, pct = adjusted["alpha"], adjusted["p_adj"], adjusted["p_values"], _pct(adjusted)
    slow_med = padj.get("latency_median", 1.0) < alpha
    slow_tail = padj.get("latency_long", 1.0) < alpha
    if not (slow_med or slow_tail):
        return None
    lat = latency["latency"]
    med, share = lat.median_days, lat.share_over_long
    sev = _sev(False, med > LATENCY_LONG_DAYS or share >= LATENCY_MEDIUM_SHARE)
    return Finding(
        id="decay.response_latency", severity=sev,
        title=(f"Customers answer late: a median of {fmt_days(med)} days after the invitation, "
               f"{share:.0%} after more than {LATENCY_LONG_DAYS:g} days"),
        detail=(f"Across {lat.n} responses with an invitation date, the median delay was {fmt_days(med)} "
                f"days{_ci_days(lat.median_ci_low, lat.median_ci_high, pct)}, the 90th percentile "
                f"{fmt_days(lat.p90_days)} days; {share:.0%} answered after {LATENCY_LONG_DAYS:g} days "
                f"({pct}% CI {lat.over_long_ci_low:.0%}-{lat.over_long_ci_high:.0%}). Late answers "
                "describe an experience the customer remembers less well, and reach the front line later."),
        evidence={"median_days": med, "median_ci_low": lat.median_ci_low,
                  "median_ci_high": lat.median_ci_high, "p90_days": lat.p90_days,
                  "share_over_7_days": share, "ci_low": lat.over_long_ci_low,
                  "ci_high": lat.over_long_ci_high, "n": lat.n,
                  "p_value_median": tests["latency_median"], "p_adj_median": padj["latency_median"],
                  "p_value_share": tests["latency_long"], "p_adj_share": padj["latency_long"],
                  "thresholds": {"median_days": LATENCY_MEDIAN_DAYS, "long_days": LATENCY_LONG_DAYS,
                                 "long_share": LATENCY_LONG_SHARE}},
        recommendation=("Send the survey right after the touchpoint, with one reminder after 2-3 days, and "
                        "close it after two weeks; check that invitations are not sent in delayed batches."))


#: The rule of each check, in the order the findings are listed.
RULES = (("follow_up", slow_follow_up), ("follow_up", no_follow_up), ("follow_up_effect", follow_up_effect),
         ("score_staleness", score_staleness), ("response_rates", response_rate_trend),
         ("response_latency", response_latency))


def findings(checks: list[Check], adjusted: Check) -> list[Finding]:
    """The area's findings: every rule applied to its check's context and the adjusted p-values."""
    context = {c.name: c.context for c in checks}
    found = (rule(context.get(name, {}), adjusted.context) for name, rule in RULES)
    return [f for f in found if f is not None]


def summary(found: list[Finding], follow_up: Check) -> str:
    """The area's one sentence: its two most severe findings' titles, or the follow-up median when all is well."""
    top = [f for f in found if f.severity in ("high", "medium")]
    order = {"high": 0, "medium": 1}
    top.sort(key=lambda f: order[f.severity])
    if top:
        titles = [top[0].title] + ([top[1].title[0].lower() + top[1].title[1:]] if len(top) > 1 else [])
        return "; ".join(titles) + "."
    d = follow_up.context.get("summary")
    if d is not None and d["followed_up"] > 0:
        return (f"Detractors are followed up after a median of {fmt_days(float(d['median_days']))} days "
                f"against a {follow_up.context['sla']:g}-day SLA; no material decay issue found.")
    return "No material decay issue found."
