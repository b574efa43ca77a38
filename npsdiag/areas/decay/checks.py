"""The decay area's checks: each runs the building blocks on the prepared data and returns a :class:`Check`.

A check returns its tables (with captions), figures, method notes and the
``context`` its finding rules read (:mod:`.rules`), or
:meth:`Check.skipped <npsdiag.findings.Check.skipped>` with the reason (and
the note the report shows) when its inputs are missing. Every check of the
area is returned, assessed or not: account outcomes, follow-up, follow-up
effect, score staleness, response rates, response latency, the adjustment of
the area's p-values and the callback queue.

Large exports stay fast here: responses are linked to their accounts on
integer codes (``prep.codes``, :func:`npsdiag.linking.account_rows`) and the
invitations' match (:func:`npsdiag.linking.invitation_first_response`) is
computed once, on a narrow frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from ...clean import Prepared
from ...findings import Check, Figure
from ...linking import (
    RESPONSE_WINDOW_DAYS,
    account_rows,
    before_outcome,
    data_end_date,
    invitation_first_response,
    matched_frame,
)
from ...stats.multiplicity import bh_adjust
from . import figures, followup, rates, staleness
from .models import binomial_greater
from .periods import calendar_periods
from .queue import callback_queue
from .rules import LATE_TOLERANCE, LATENCY_LONG_DAYS, NEVER_TOLERANCE

__all__ = ["DecayInputs", "LinkedOutcomes", "gather", "linked_outcomes", "matched_invitations", "account_outcomes",
           "follow_up", "follow_up_effect", "score_staleness", "response_rates", "response_latency",
           "multiple_testing", "callback_queue_summary"]

FREQ_UNIT = {"W": "week", "M": "month", "Q": "quarter"}

#: Why a check could not run, in the words findings.json and the report use (plain English, no config keys).
REASONS = {
    "outcomes": "needs to know which accounts renewed and which churned",
    "follow_up": "needs the dates detractors were called back",
    "outcome_dates": "needs the accounts' renewal or churn dates",
    "invitations": "needs the list of survey invitations",
    "invitation_match": "the invitations cannot be matched to the responses (they share no respondent or response id)",
    "invitation_dates": "needs the dates the survey invitations were sent",
    "few_bands": "too few detractors with a known account outcome to compare follow-up speeds",
    "no_scored": "no score was given early enough before an account's renewal or churn date",
    "no_latency": "no response is dated after its invitation",
    "queue": "the callback queue could not be built",
}


@dataclass(frozen=True, eq=False)
class DecayInputs:
    """What the decay checks need from the prepared data, gathered once.

    Attributes
    ----------
    prep : Prepared
    confidence, sla : float
        ``settings.confidence`` and ``settings.follow_up_sla_days``.
    end : Timestamp or None
        The end of the data (:func:`npsdiag.linking.data_end_date`).
    has_follow_up, has_outcomes, has_outcome_dates, has_invitations : bool
        Which inputs exist: follow-up dates, account churn outcomes, outcome
        dates, dated invitations.
    in_period : array of bool, optional
        Invitations sent within ``settings.period`` (None: all).
    invitation_match : tuple, optional
        Each (in-period) invitation's first response
        (:func:`npsdiag.linking.invitation_first_response`), None when the
        invitations cannot be matched.
    """

    prep: Prepared
    confidence: float
    sla: float
    end: pd.Timestamp | None
    has_follow_up: bool
    has_outcomes: bool
    has_outcome_dates: bool
    has_invitations: bool
    in_period: np.ndarray | None = None
    invitation_match: tuple | None = None

    @property
    def alpha(self) -> float:
        return 1 - self.confidence

    @property
    def pct(self) -> str:
        """The confidence as captions write it ("95%")."""
        return f"{self.confidence * 100:g}%"


@dataclass(frozen=True, eq=False)
class LinkedOutcomes:
    """Analysed responses linked to their account's known outcome (the churn checks' input).

    ``responses`` holds ``score``, ``category``, ``responded_at``,
    ``followed_up_at`` (when present), ``account_id`` (the account's integer
    code: a cluster label), ``churned`` and ``outcome_at`` (when present), for
    responses given before their account's outcome
    (:func:`npsdiag.linking.before_outcome`, with the embargo);
    ``n_after_outcome`` responses dated after it, or less than the embargo
    before it, were left out.
    """

    responses: pd.DataFrame
    n_after_outcome: int


def gather(prep: Prepared) -> DecayInputs | None:
    """The decay inputs of ``prep``, or None when none of the area's inputs is there.

    The invitations' match is computed here, first, while little else is in
    memory (its temporaries are the largest).
    """
    s, r, acc, inv = prep.settings, prep.responses, prep.accounts, prep.invitations
    end = data_end_date(prep)
    has_outcomes = bool(acc is not None and "churned" in acc and "account_id" in acc and "account_id" in r
                        and acc["churned"].notna().any())
    has_fu = "followed_up_at" in r and len(r) > 0
    has_inv = bool(inv is not None and "invited_at" in inv and inv["invited_at"].notna().any())
    has_lat = has_inv or ("invited_at" in r and r["invited_at"].notna().any())
    has_age = bool(has_outcomes and "outcome_at" in acc and acc["outcome_at"].notna().any())
    if r.empty or not (has_fu or has_lat or has_age):
        return None
    in_period, core = None, None
    if has_inv:
        if s.period:
            lo_p, hi_p = pd.Timestamp(s.period[0]), pd.Timestamp(s.period[1]) + pd.Timedelta(days=1)
            in_period = ((inv["invited_at"] >= lo_p) & (inv["invited_at"] < hi_p)).to_numpy(dtype=bool, na_value=False)
        core = invitation_first_response(prep, in_period)
    return DecayInputs(prep, float(s.confidence), float(s.follow_up_sla_days), end, has_fu, has_outcomes, has_age,
                       has_inv, in_period, core)


def _linked_responses(prep: Prepared) -> pd.DataFrame:
    """Analysed responses whose account has a known outcome, with the outcome (only the columns decay needs).

    ``account_id`` holds the account's integer code (row of the de-duplicated
    accounts table): it only serves as a cluster label and an account key.
    """
    r, acc = prep.responses, prep.accounts
    a_rows, at_u = account_rows(prep)
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


def linked_outcomes(inputs: DecayInputs) -> LinkedOutcomes | None:
    """The responses linked to their account's outcome, given before it; None without account outcomes.

    "Before" is :func:`npsdiag.linking.before_outcome` with
    ``settings.outcome_embargo_days``, the rule of every area that relates
    scores to outcomes: a response dated less than the embargo before its
    account's outcome (or after it) is left out; one whose order is unknown
    (a date missing) is kept.
    """
    if not inputs.has_outcomes:
        return None
    linked = _linked_responses(inputs.prep)
    n_after = 0
    if "outcome_at" in linked:
        before = before_outcome(linked["responded_at"], linked["outcome_at"],
                                float(inputs.prep.settings.outcome_embargo_days))
        n_after = int((~before).sum())
        linked = linked[before]
    return LinkedOutcomes(linked, n_after)


def matched_invitations(inputs: DecayInputs) -> pd.DataFrame | None:
    """The (in-period) invitations matched to responses, narrow: send time, respondent code, the match.

    Only the columns the rates need (``invited_at``; ``_respondent``, the
    respondents' integer codes, as the trend's clusters) and those of
    :func:`npsdiag.linking.matched_frame`; None without invitations or when
    they cannot be matched.
    """
    core = inputs.invitation_match
    if not inputs.has_invitations or core is None:
        return None
    prep, in_period = inputs.prep, inputs.in_period
    inv = prep.invitations
    sent = inv["invited_at"].to_numpy()
    narrow = pd.DataFrame({"invited_at": sent if in_period is None else sent[in_period]})
    if "respondent_id" in inv:
        rc = prep.codes("respondent_id", table="invitations")[0]
        narrow["_respondent"] = rc if in_period is None else rc[in_period]
    return matched_frame(narrow, core, RESPONSE_WINDOW_DAYS, "invited_at")


def _round(df: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].round(digits)
    return out


def _table(check: Check, key: str, table: pd.DataFrame, caption: str) -> None:
    check.tables[key] = table
    check.captions[key] = caption


def _figure(check: Check, key: str, caption: str, plot: Callable[..., Any], *args: Any) -> None:
    """Add a figure to ``check``, drawn when it is shown (a plotting failure there is reported, never raised)."""
    check.figures.append(Figure(key, partial(plot, *args), caption))


# --------------------------------------------------------------------------- checks


def account_outcomes(inputs: DecayInputs, linked: LinkedOutcomes | None) -> Check:
    """Responses linked to an account outcome; those dated after it (or within the embargo) are left out.

    Not substantive: it only links the inputs of the churn checks.
    """
    if linked is None:
        return Check.skipped("account_outcomes", REASONS["outcomes"], substantive=False)
    notes = []
    embargo = float(inputs.prep.settings.outcome_embargo_days)
    if linked.n_after_outcome:
        within = f", or less than {embargo:g} days before it," if embargo > 0 else ""
        notes.append(f"{linked.n_after_outcome} response(s) dated after their account's renewal/churn date{within} "
                     "are left out of the churn analyses (a score given once the decision is taken would flatter "
                     "the score).")
    return Check("account_outcomes", notes=notes, substantive=False,
                 context={"n_linked": len(linked.responses), "n_after_outcome": linked.n_after_outcome,
                          "embargo_days": embargo})


def _follow_up_by_period(det: pd.DataFrame, freq: str, inputs: DecayInputs) -> tuple[pd.DataFrame, str]:
    per = calendar_periods(det["responded_at"], freq)
    if per.nunique() > 30 and freq == "M":
        freq = "Q"
        per = calendar_periods(det["responded_at"], freq)
    bym = followup.follow_up_summary(det.assign(period=per), by="period", confidence=inputs.confidence)
    table = _round(bym[["period", "n", "open", "followed_up", "median_days", "share_within_sla", "within_sla_ci_low",
                        "within_sla_ci_high", "share_never", "never_ci_low", "never_ci_high"]])
    return table, (f"Detractor follow-up by {FREQ_UNIT.get(freq, 'period')} of response: median days, share "
                   f"within SLA and share never followed up, with {inputs.pct} Wilson intervals; recent months have "
                   "more open responses.")


def _follow_up_by_owner(det: pd.DataFrame, inputs: DecayInputs) -> tuple[pd.DataFrame, list[str]]:
    """Detractor follow-up of the 20 owners with most detractors, slowest first, and the significantly slower."""
    byo = followup.within_sla_by_group(followup.follow_up_summary(det, by="owner", confidence=inputs.confidence),
                                       alpha=inputs.alpha)
    slow = byo[byo["slower"]].sort_values("share_within_sla")["owner"].astype(str).tolist()
    top = byo.nlargest(20, "n").sort_values(["share_within_sla", "n"], ascending=[True, False])
    return _round(top[["owner", "n", "followed_up", "median_days", "share_within_sla", "within_sla_ci_low",
                       "within_sla_ci_high", "share_never", "never_ci_low", "never_ci_high", "p_adj"]]), slow


def follow_up(inputs: DecayInputs) -> Check:
    """Days from response to follow-up of detractors and passives: overall, by period, by owner.

    Context: ``summary`` (the detractors' row of
    :func:`~npsdiag.areas.decay.follow_up_summary`), ``slow_owners``,
    ``all_missing`` (no follow-up date at all), ``sla`` and the p-values of
    the exact binomial tests that more than :data:`~.rules.LATE_TOLERANCE`
    of followed-up detractors are late and more than
    :data:`~.rules.NEVER_TOLERANCE` never followed up.
    """
    if not inputs.has_follow_up:
        return Check.skipped("follow_up", REASONS["follow_up"],
                             "Follow-up not assessed: the export has no dates on which detractors were called back.")
    prep, sla, conf = inputs.prep, inputs.sla, inputs.confidence
    r = prep.responses
    check = Check("follow_up", context={"sla": sla})
    fu = followup.follow_up_latency(r[[c for c in ("responded_at", "followed_up_at", "category", "owner") if c in r]],
                                    sla_days=sla, end=inputs.end)
    det = fu[fu["category"] == "detractor"]
    overall = followup.follow_up_summary(fu[fu["category"].isin(["detractor", "passive"])], by="category",
                                         confidence=conf)
    # passives: only followed-up ones matter (no expectation to call every passive back)
    _table(check, "follow_up", _round(overall[["category", "n", "followed_up", "open", "median_days", "median_ci_low",
                                               "median_ci_high", "share_within_sla", "within_sla_ci_low",
                                               "within_sla_ci_high", "share_never", "never_ci_low",
                                               "never_ci_high"]]),
           f"Follow-up of detractors and passives: median days from response to follow-up (followed-up "
           f"responses), share followed up within the {sla:g}-day SLA and share never followed up, of responses "
           f"older than the SLA; 'open' responses are younger than the SLA and not counted.")
    dsum = followup.follow_up_summary(det, confidence=conf).iloc[0] if len(det) else None
    if dsum is None or not dsum["n"] > 0:
        return check
    if fu["latency_days"].notna().any():
        _figure(check, "follow_up_ecdf",
                f"Share of responses followed up within a given number of days (ECDF); the dotted line is the "
                f"{sla:g}-day SLA. The detractor curve levels off below 100% at the share never followed up "
                f"(responses younger than the SLA are left out as still open).",
                figures.plot_follow_up_ecdf, fu, sla, float(dsum["share_never"]))
    _table(check, "follow_up_by_period", *_follow_up_by_period(det, prep.settings.trend_period, inputs))
    slow_owners: list[str] = []
    if "owner" in det and det["owner"].notna().any():
        by_owner, slow_owners = _follow_up_by_owner(det, inputs)
        _table(check, "follow_up_by_owner", by_owner,
               "Detractor follow-up by owner (up to the 20 owners with most detractors), slowest first; p_adj "
               "compares the owner's share within SLA with the other owners' (Fisher's exact test, "
               "Benjamini-Hochberg adjusted).")
    p_values = {}
    if int(dsum["followed_up"]) > 0:
        p_values["slow_follow_up"] = binomial_greater(int(dsum["late"]), int(dsum["followed_up"]), LATE_TOLERANCE)
    if int(dsum["n_closed"]) > 0:
        p_values["no_follow_up"] = binomial_greater(int(dsum["never"]), int(dsum["n_closed"]), NEVER_TOLERANCE)
    check.context.update(summary=dsum, slow_owners=slow_owners, all_missing=not r["followed_up_at"].notna().any(),
                         p_values=p_values)
    end = inputs.end
    check.notes.append(
        f"Follow-up: days from response to follow-up; a detractor not followed up is 'open' while younger than the "
        f"{sla:g}-day SLA at the end of the data ({end.date() if end else 'n/a'}) and 'never' after. Medians with "
        "distribution-free order-statistic intervals (Conover 1999); shares with Wilson intervals (Wilson 1927).")
    return check


def follow_up_effect(inputs: DecayInputs, follow_up_check: Check, linked: LinkedOutcomes | None) -> Check:
    """Churn of detractors' accounts by follow-up band, and a logistic model of churn on band and score.

    Context (when the model could be fitted): ``table``
    (:func:`~npsdiag.areas.decay.follow_up_churn`), ``model``
    (:func:`~npsdiag.areas.decay.follow_up_churn_model`), ``sla`` and the
    model's p-value for the band step.
    """
    name = "follow_up_effect"
    if "summary" not in follow_up_check.context:
        return Check.skipped(name, REASONS["follow_up"])
    if linked is None:
        return Check.skipped(name, REASONS["outcomes"],
                             "Follow-up effect not assessed: the export does not say which accounts renewed and "
                             "which churned.")
    sla, conf = inputs.sla, inputs.confidence
    ld = followup.follow_up_latency(linked.responses, sla_days=sla, end=inputs.end)
    ld = ld[ld["category"] == "detractor"].copy()
    ld["band"] = followup.latency_band(ld["follow_up_status"], ld["latency_days"], sla)
    ld = ld[ld["band"].notna()]
    ld["band_code"] = ld["band"].cat.codes
    tab = followup.follow_up_churn(ld, confidence=conf)
    if len(tab) < 2:
        return Check.skipped(name, REASONS["few_bands"])
    check = Check(name)
    _table(check, "churn_by_follow_up", _round(tab.drop(columns="band_code")),
           f"Churn of detractors' accounts by follow-up speed, one row per detractor response linked to an account "
           f"outcome, with {inputs.pct} Wilson intervals that count an account's responses together (the design "
           "effect: how much an account's several responses widen them)." + _embargo_words(inputs))
    _figure(check, "churn_by_follow_up",
            f"Churn rate of detractors' accounts by how fast the detractor was followed up, with {inputs.pct} Wilson "
            "intervals counting an account's responses together. An association, not proof of cause.",
            figures.plot_churn_by_follow_up, tab)
    model = followup.follow_up_churn_model(ld, confidence=conf)
    if not model.fitted:
        check.notes.append(f"Follow-up effect: the churn model could not be fitted ({model.covariance}).")
        return check
    _table(check, "follow_up_churn_model", _round(model.terms, 4),
           "Logistic regression of churn on follow-up band (0 within SLA ... 3 never) and score: odds ratios with "
           f"{inputs.pct} intervals ({model.covariance} standard errors).")
    check.context.update(table=tab, model=model, sla=sla,
                         p_values={"follow_up_effect": float(model.terms["p_value"].iloc[0])})
    check.notes.append("Follow-up effect: logistic regression of churn on the follow-up band, controlling for the "
                       "score (maximum likelihood, errors clustered by account). Churn per band with Wilson intervals "
                       "on effective counts (responses divided by the design effect of the band's churn rate, "
                       "accounts as clusters; Dean & Pagano 2015). An association, not proof of cause.")
    return check


def _staleness_p_value(model: pd.DataFrame, bands: pd.DataFrame) -> float | None:
    """One-sided p-value that the score's link to churn weakens with age, when scores predict and AUCs decline."""
    b_score = float(np.log(model["odds_ratio"].iloc[0]))
    b_int = float(np.log(model["odds_ratio"].iloc[2]))
    aucs = bands.dropna(subset=["auc"])["auc"]
    declines = len(aucs) >= 2 and float(aucs.iloc[0]) > float(aucs.iloc[-1])
    if not (b_score < 0 and declines):
        return None
    # one-sided in the weakening direction: halve the two-sided p when the sign agrees
    p2 = float(model["p_value"].iloc[2])
    return p2 / 2 if b_int > 0 else 1 - p2 / 2


def _embargo_words(inputs: DecayInputs) -> str:
    """The captions' sentence on the embargo before the outcome (empty without one)."""
    embargo = float(inputs.prep.settings.outcome_embargo_days)
    return (f" Responses given less than {embargo:g} days before the account's renewal or churn date are left out."
            if embargo > 0 else "")


def score_staleness(inputs: DecayInputs, linked: LinkedOutcomes | None) -> Check:
    """Association of score and churn by the age of the score at the outcome date, and its score x age model.

    Context: ``bands`` (:func:`~npsdiag.areas.decay.score_age_bands`),
    ``model`` (:func:`~npsdiag.areas.decay.staleness_model`), ``stale_after``
    (:func:`~npsdiag.areas.decay.stale_after_months`), ``share_stale`` (share
    of accounts whose latest score is at least that old), ``n_accounts`` and
    the one-sided p-value of the interaction.
    """
    name = "score_staleness"
    if linked is None:
        return Check.skipped(name, REASONS["outcomes"],
                             "Score staleness not assessed: the export does not say which accounts renewed and which "
                             "churned, nor when.")
    if not inputs.has_outcome_dates or "outcome_at" not in linked.responses:
        return Check.skipped(name, REASONS["outcome_dates"],
                             "Score staleness not assessed: the export has no renewal or churn dates of the "
                             "accounts.")
    st = linked.responses.dropna(subset=["outcome_at", "score"]).copy()
    st["score_age_months"] = ((st["outcome_at"] - st["responded_at"]).dt.total_seconds() / 86400
                              / staleness.DAYS_PER_MONTH)
    bands = staleness.score_age_bands(st, confidence=inputs.confidence, cluster="account_id")
    if not len(bands):
        return Check.skipped(name, REASONS["no_scored"])
    check = Check(name)
    _table(check, "score_staleness", _round(bands.drop(columns=["months_from", "months_to", "p_value"])),
           "Association of score with churn by the age of the score at the account's renewal/churn date: AUC (0.5 = "
           f"none) and odds ratio of churn per score point (below 1 = higher scores churn less), with {inputs.pct} "
           "intervals that count each account's responses together; the design effect says how much wider that "
           "makes the AUC's variance than if every response were independent." + _embargo_words(inputs))
    if bands["auc"].notna().any():
        _figure(check, "auc_by_score_age",
                f"How well the score separates churned from retained accounts (AUC, {inputs.pct} interval counting "
                "each account's responses together) by the age of the score at the account's outcome date; 0.5 "
                "means the score tells nothing.",
                figures.plot_auc_by_score_age, bands)
    model = staleness.staleness_model(st, confidence=inputs.confidence)
    stale = staleness.stale_after_months(bands)
    # the latest score of an account is its youngest at the (one) outcome date
    latest = st.groupby("account_id", sort=False)["score_age_months"].min()
    share_stale = float((latest >= stale).mean()) if stale is not None else math.nan
    check.context.update(bands=bands, model=model, stale_after=stale, share_stale=share_stale,
                         n_accounts=len(latest), p_values={})
    if model.fitted:
        _table(check, "staleness_model", _round(model.terms, 4),
               "Logistic regression of churn on score, score age and their interaction; an interaction odds ratio "
               f"above 1 means the score's link to churn weakens as it ages ({model.covariance} standard errors).")
        p = _staleness_p_value(model.terms, bands)
        if p is not None:
            check.context["p_values"]["score_staleness"] = p
    else:
        check.notes.append(f"Score staleness: the interaction model could not be fitted ({model.covariance}).")
    check.notes.append("Score staleness: the age of a score is the time from the response to its account's "
                       "renewal/churn date; per age band, the AUC with Obuchowski's (1997) nonparametric interval "
                       "for clustered data (an account's responses share its outcome, so they are a cluster; with "
                       "one response per account it is DeLong's) and the odds ratio per point with errors clustered "
                       "by account; a logistic model of churn on score x age, errors clustered by account, decides "
                       "the finding.")
    return check


def _matched_by(inputs: DecayInputs) -> str:
    """How the (in-period) invitations were matched: by response id when they carry some, else by respondent."""
    inv, r = inputs.prep.invitations, inputs.prep.responses
    if "response_id" not in inv or "response_id" not in r:
        return "respondent and date"
    has_id = inv["response_id"].notna().to_numpy(dtype=bool)
    return "response id" if (has_id if inputs.in_period is None else has_id[inputs.in_period]).any() \
        else "respondent and date"


def response_rates(inputs: DecayInputs, matched: pd.DataFrame | None) -> Check:
    """Share of invitations answered by calendar period, and its logistic trend.

    Context: ``rates`` (:func:`~npsdiag.areas.decay.response_rates`),
    ``trend`` (:func:`~npsdiag.areas.decay.response_rate_trend`) and the
    trend's p-value (with at least three periods).
    """
    name = "response_rates"
    if not inputs.has_invitations:
        return Check.skipped(name, REASONS["invitations"],
                             "Response rates not assessed: the export has no list of survey invitations.")
    if matched is None:
        return Check.skipped(name, REASONS["invitation_match"],
                             "Response rates not assessed: invitations and responses share no respondent or "
                             "response id to match on.")
    conf, end = inputs.confidence, inputs.end
    freq = inputs.prep.settings.trend_period
    table = rates.response_rates(matched, period=freq, end=end, confidence=conf)
    for coarser in {"W": ("M", "Q"), "M": ("Q",)}.get(freq, ()):
        if len(table) <= 36:
            break
        freq = coarser
        table = rates.response_rates(matched, period=freq, end=end, confidence=conf)
    unit = FREQ_UNIT.get(freq, "month")
    trend = rates.response_rate_trend(matched, cluster="_respondent", end=end, confidence=conf)
    check = Check(name, context={"trend": trend, "rates": table, "p_values": {}})
    if len(table):
        _table(check, "response_rate", _round(table.drop(columns="period_start")),
               f"Invitations answered within {RESPONSE_WINDOW_DAYS:g} days, by {unit} of invitation, with "
               f"{inputs.pct} Wilson intervals (invitations of the last {RESPONSE_WINDOW_DAYS:g} days are left out: "
               "their answers may still come).")
        _figure(check, "response_rate_by_month",
                f"Share of invitations answered within the response window, by {unit} of invitation, with "
                f"{inputs.pct} Wilson intervals and the fitted logistic trend.",
                figures.plot_response_rate, table, trend, unit, conf)
    if trend.p_value == trend.p_value and len(table) >= 3:
        check.context["p_values"]["response_rate_trend"] = trend.p_value
    check.notes.append(f"Response rates: invitations matched to responses by {_matched_by(inputs)} (a response "
                       f"within {RESPONSE_WINDOW_DAYS:g} days of the invitation); trend by logistic regression of "
                       "answered on time (fitted on counts per invitation time), change per year as the average "
                       "marginal effect with a delta-method interval.")
    return check


def response_latency(inputs: DecayInputs, matched: pd.DataFrame | None) -> Check:
    """Days from invitation to response: from the responses' invitation dates, else from the matched invitations.

    Context: ``latency`` (:func:`~npsdiag.areas.decay.response_latency`) and
    the p-values of its sign test of the median and binomial test of the
    share answering late.
    """
    name = "response_latency"
    r = inputs.prep.responses
    if "invited_at" in r and r["invited_at"].notna().any():
        src = pd.DataFrame({"response_latency_days": (r["responded_at"] - r["invited_at"]).dt.total_seconds() / 86400})
    elif matched is not None:
        src = matched[matched["responded"]]
    else:
        return Check.skipped(name, REASONS["invitation_dates"])
    lat = rates.response_latency(src, confidence=inputs.confidence)
    if lat.n == 0:
        return Check.skipped(name, REASONS["no_latency"])
    columns = ["n", "median_days", "median_ci_low", "median_ci_high", "p75_days", "p90_days", "share_over_long",
               "over_long_ci_low", "over_long_ci_high"]
    check = Check(name, context={"latency": lat, "p_values": {"latency_median": lat.p_median,
                                                              "latency_long": lat.p_long}})
    _table(check, "response_latency",
           _round(lat.summary[columns].rename(columns={"share_over_long": f"share_over_{LATENCY_LONG_DAYS:g}_days"})),
           "Days from invitation to response: median (order-statistic interval), 75th and 90th percentiles, and "
           f"share answering after {LATENCY_LONG_DAYS:g} days (Wilson interval).")
    return check


def multiple_testing(inputs: DecayInputs, checks: list[Check]) -> Check:
    """The p-values of every test behind the area's findings, adjusted together (Benjamini-Hochberg).

    Context: ``p_values`` and ``p_adj`` (test key -> p-value, in check
    order), ``alpha`` and ``confidence``; the rules read it. Not substantive:
    it supports the other checks' findings.
    """
    tests = {k: p for c in checks for k, p in c.context.get("p_values", {}).items()}
    keys = list(tests)
    p_adj = dict(zip(keys, bh_adjust([tests[k] for k in keys]), strict=True)) if keys else {}
    notes = (["p-values of the tests behind this section's findings are adjusted together (Benjamini-Hochberg)."]
             if keys else [])
    return Check("multiple_testing", notes=notes, substantive=False,
                 context={"p_values": tests, "p_adj": p_adj, "alpha": inputs.alpha, "confidence": inputs.confidence})


def callback_queue_summary(inputs: DecayInputs) -> Check:
    """The first ten detractors of the callback queue; the whole queue as the ``callback_queue.csv`` export.

    Context: ``exports`` (file name -> table) when the queue could be built.
    """
    name = "callback_queue"
    try:
        q = callback_queue(inputs.prep)
    except Exception as exc:  # noqa: BLE001 - the queue must never stop the diagnosis
        return Check.skipped(name, REASONS["queue"], f"Callback queue could not be built ({type(exc).__name__}).",
                             substantive=False)
    check = Check(name, context={"exports": {"callback_queue.csv": q}}, substantive=False)
    if len(q):
        top = q.head(10)
        # the report names each row by its account and response id (the respondent, often an e-mail, stays in the
        # CSV), and by its row in the export where neither is known
        unnamed = (top["account_id"].isna() & top["response_id"].isna()).any()
        show = ["priority", "status", "account_id", "account_name", "response_id",
                *(["source_row"] if unnamed else []), "role", "owner", "score", "responded_at", "days_waiting", "arr"]
        top = top[show].copy()
        top["responded_at"] = pd.to_datetime(top["responded_at"]).dt.strftime("%Y-%m-%d")
        _table(check, "callback_queue_top", top.dropna(axis=1, how="all"),
               f"The first 10 of {len(q)} detractors waiting for a callback (full list in callback_queue.csv, with "
               "every identifier of the export), prioritised by ARR discounted for the age of the feedback.")
    return check
