"""The balance area's checks: each runs the building blocks on the prepared data and returns a :class:`Check`.

A check returns its tables, captions, figures and method notes, and in
``context`` the numbers its finding rule (:mod:`.rules`) reads; or it says
why it could not be assessed. :func:`gather` reads what the checks share
once: the roles unified across tables and the ids of each table matched on
their distinct values, as integer codes (``prep.codes``), never strings per
row, so that a large export stays fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...clean import Prepared
from ...findings import Check, Figure
from ...fmt import num, pct
from ...linking import (
    counts,
    decision_roles,
    first_rows,
    positions,
    remap,
    responded_within,
)
from ...stats.concentration import concentration as concentration_of
from ...stats.design import one_vs_rest
from ...stats.nps import NpsDiff, nps_diff_test
from ...stats.proportions import wilson_interval
from .accounts import per_account_from_codes, revenue_coverage_from_rows, voice_distribution_from_array
from .adjusted import adjusted_nps as adjusted_nps_table
from .adjusted import which_nps as which_nps_table
from .codes import as_bool, category_codes
from .figures import plot_concentration, plot_response_rates, plot_revenue_coverage, plot_role_mix, plot_role_nps
from .nonresponse import LevelTable, account_attribute_codes, level_table, nonresponse_from_tables, rates_from_counts
from .roles import nps_by_role, role_mix_from_counts, unify_role_codes
from .rules import DOMINANT_SHARE, MIN_ROLE_N

__all__ = ["Inputs", "unassessable", "gather", "skipped_all", "adjusted_nps", "role_mix", "role_gap",
           "voices_per_account", "concentration", "revenue_coverage", "nonresponse", "account_nonresponse",
           "CHECKS", "TABLE_ORDER"]

#: The area's checks, in report order.
CHECKS = ("adjusted_nps", "role_mix", "role_gap", "voices_per_account", "concentration", "revenue_coverage",
          "nonresponse")
#: The checks that only describe (an area is sound without them).
DESCRIPTIVE = ("adjusted_nps",)
#: The order of the area's tables.
TABLE_ORDER = ["role_mix", "adjusted_nps", "nps_by_role", "voices_per_account", "revenue_coverage", "nonresponse",
               "response_rates"]
#: Voices per account and concentration need at least this many responding accounts (and the comparison of
#: responding with non-responding accounts this many of each).
MIN_ACCOUNTS = 10
#: Responding accounts are compared with the others only when at least this share of them is in the accounts list.
MIN_ACCOUNTS_FOUND = 0.5
#: A response counts for its respondent's latest invitation at most this many days before it.
RESPONSE_WINDOW_DAYS = 90
_NO_ROLE = "needs each respondent's role"
_NO_ACCOUNT = "needs the account of each response"


# --------------------------------------------------------------------------- inputs


@dataclass
class AccountsTable:
    """The accounts table with its ids as codes (``prep.codes("account_id", "accounts")``)."""

    frame: pd.DataFrame
    codes: np.ndarray
    ids: pd.Index
    first: np.ndarray  # first row of each distinct id (the row drop_duplicates("account_id") keeps)
    dedup: np.ndarray  # the rows of frame.drop_duplicates("account_id"), in table order


@dataclass
class Voices:
    """Responses and respondents per responding account, with each account's revenue and contacts (NaN: unknown)."""

    per_account: pd.DataFrame
    has_respondent: bool
    revenue: np.ndarray | None
    contacts: np.ndarray | None


@dataclass
class Inputs:
    """What the balance checks share, gathered once by :func:`gather`."""

    prep: Prepared
    responses: pd.DataFrame  # the few columns the area needs; role (unified) and account (codes) as categoricals
    has_role: bool
    has_account: bool
    role_labels: list[str]
    role_codes: np.ndarray | None  # of the responses, the contacts and the invitations, into role_labels
    contact_role_codes: np.ndarray | None
    invitation_role_codes: np.ndarray | None
    decision_roles: list[str]
    decision: np.ndarray | None  # a decision maker's response (only with roles)
    account_codes: np.ndarray | None  # of the responses, into accounts
    accounts: pd.Index | None
    table: AccountsTable | None
    population: pd.Series | None = None  # people per role of the contacts (or invitations)
    population_name: str | None = None
    account_pos: np.ndarray | None = None  # position in table.ids of each of accounts (-1: not in the accounts table)
    voices: Voices | None = None
    clusters: np.ndarray | None = None  # cluster of each response (0, 1, ...), as the headline's; None: independent

    @property
    def alpha(self) -> float:
        return 1 - self.prep.settings.confidence

    def role_counts(self, codes: np.ndarray) -> pd.Series:
        """People (or responses) per role, most first (ties in label order), roles without any left out."""
        cnt = pd.Series(counts(codes, len(self.role_labels)), index=pd.Index(self.role_labels, dtype=object))
        return cnt[cnt > 0].sort_values(ascending=False, kind="stable")


def _has(frame: pd.DataFrame, column: str) -> bool:
    return column in frame and bool(frame[column].notna().any())


def unassessable(prep: Prepared) -> str | None:
    """Why the area cannot be assessed at all (no responses, or neither roles nor accounts), or None."""
    r = prep.responses
    if r.empty:
        return "no analysed responses"
    if not _has(r, "role") and not _has(r, "account_id"):
        return "needs each respondent's role or the account of each response"
    return None


def skipped_all(reason: str) -> list[Check]:
    """Every check of the area, not assessed for ``reason``."""
    return [Check.skipped(name, reason, substantive=name not in DESCRIPTIVE) for name in CHECKS]


def gather(prep: Prepared) -> Inputs:
    """The inputs of the checks: roles unified across the tables, ids matched once on their distinct values."""
    s, r0 = prep.settings, prep.responses
    contacts, invitations = prep.contacts, prep.invitations
    has_role, has_acc = _has(r0, "role"), _has(r0, "account_id")
    # roles unified across the tables on their few distinct values (integer codes per row, never strings)
    (rc, cc, ic), role_labels = unify_role_codes([
        prep.codes("role") if "role" in r0 else None,
        prep.codes("role", "contacts") if contacts is not None and "role" in contacts else None,
        prep.codes("role", "invitations") if invitations is not None and "role" in invitations else None])
    dm_values = decision_roles(role_labels, s.decision_roles)
    # the few columns this area needs (the responses frame also carries comments: never copy it)
    r = r0[[c for c in ("score", "responded_at", "category") if c in r0]]
    decision = None
    if rc is not None:
        r["role"] = pd.Series(pd.Categorical.from_codes(rc, categories=role_labels), index=r.index)
        if has_role:
            dm_set = set(dm_values)
            dm_label = np.array([v in dm_set for v in role_labels], dtype=bool)
            decision = dm_label[np.maximum(rc, 0)] & (rc >= 0) if len(role_labels) else np.zeros(len(r), dtype=bool)
    acodes = accounts = None
    if "account_id" in r0:
        acodes, accounts = prep.codes("account_id")
        acodes, accounts = np.asarray(acodes, dtype=np.intp), pd.Index(accounts)
        r["account_id"] = pd.Categorical.from_codes(acodes, categories=pd.RangeIndex(len(accounts)))
    inp = Inputs(prep=prep, responses=r, has_role=has_role, has_account=has_acc, role_labels=role_labels,
                 role_codes=rc, contact_role_codes=cc, invitation_role_codes=ic, decision_roles=dm_values,
                 decision=decision, account_codes=acodes, accounts=accounts, table=_accounts_table(prep))
    # population for the role mix
    if cc is not None and (cc >= 0).any():
        inp.population, inp.population_name = inp.role_counts(cc), "contacts"
    elif ic is not None and (ic >= 0).any():
        inp.population, inp.population_name = inp.role_counts(ic), "invitations"
    if has_acc:
        inp.account_pos = positions(inp.table.ids, accounts) if inp.table is not None else None
        inp.voices = _voices(inp)
    inp.clusters = _clusters(prep)
    return inp


def _clusters(prep: Prepared) -> np.ndarray | None:
    """The cluster of each response (accounts, or repeat respondents: :func:`npsdiag.linking.cluster_column`),
    as integer codes with a response without one its own cluster; None when responses are independent."""
    for column in ("account_id", "respondent_id"):  # the rule of cluster_column, counted without a sort
        if column not in prep.responses:
            continue
        codes = np.array(prep.codes(column)[0], dtype=np.intp)
        known = codes[codes >= 0]
        if len(known) and np.count_nonzero(np.bincount(known)) < len(known):
            alone = codes < 0
            codes[alone] = int(codes.max(initial=-1)) + 1 + np.arange(int(alone.sum()))
            return codes
    return None


def _accounts_table(prep: Prepared) -> AccountsTable | None:
    """The accounts table's ids as codes, matched once on their distinct values (None without it)."""
    A = prep.accounts if prep.accounts is not None and "account_id" in prep.accounts else None
    if A is None:
        return None
    a_codes, a_ids = prep.codes("account_id", "accounts")
    a_codes, a_ids = np.asarray(a_codes, dtype=np.intp), pd.Index(a_ids)
    a_first = first_rows(a_codes, len(a_ids))  # the row kept by drop_duplicates("account_id")
    nan_rows = np.flatnonzero(a_codes < 0)[:1]
    a_dedup = np.sort(np.concatenate([a_first[a_first >= 0], nan_rows]))
    return AccountsTable(A, a_codes, a_ids, a_first, a_dedup)


def _voices(inp: Inputs) -> Voices:
    """Responses and respondents per responding account, with their revenue and contacts."""
    prep, tab = inp.prep, inp.table
    has_resp = _has(prep.responses, "respondent_id")
    rcodes = np.asarray(prep.codes("respondent_id")[0], dtype=np.intp) if has_resp else None
    per_acc, order = per_account_from_codes(inp.account_codes, inp.accounts, rcodes)
    rev_u = None
    if tab is not None and "revenue" in tab.frame:
        rv = tab.frame["revenue"].to_numpy(dtype="float64", na_value=np.nan)
        rows_ = remap(inp.account_pos, tab.first)
        rev_u = np.where(rows_ >= 0, rv[np.maximum(rows_, 0)], np.nan)
    contacts_u = None
    contacts = prep.contacts
    if contacts is not None and "account_id" in contacts:
        ccodes, cacc = prep.codes("account_id", "contacts")
        ccount = counts(np.asarray(ccodes, dtype=np.intp), len(cacc)).astype("float64")
        c_pos = positions(pd.Index(cacc), inp.accounts)
        contacts_u = np.where(c_pos >= 0, ccount[np.maximum(c_pos, 0)] if len(ccount) else np.nan, np.nan)
    return Voices(per_acc, has_resp, rev_u[order] if rev_u is not None else None,
                  contacts_u[order] if contacts_u is not None else None)


# --------------------------------------------------------------------------- adjusted NPS and roles


def adjusted_nps(inp: Inputs) -> Check:
    """The raw NPS beside the NPS with each account counted once and roles weighted to the population.

    Descriptive (not a judgement of the program): its context also holds ``which_nps``, the NPS of every
    response, of one vote per account and of decision makers side by side (:func:`.adjusted.which_nps`).
    """
    s, r = inp.prep.settings, inp.responses
    pop_shares = inp.population / inp.population.sum() if inp.population is not None else None
    account = "account_id" if inp.has_account else None
    adj = adjusted_nps_table(r[[c for c in ("score", "account_id", "role") if c in r]], account=account,
                             role="role" if inp.has_role else None, population_shares=pop_shares,
                             confidence=s.confidence, breaks=s.breaks)
    frame = r[["score", *(["account_id"] if account else [])]]
    if inp.decision is not None and inp.decision_roles:
        frame = frame.assign(decision=inp.decision)
    which = which_nps_table(frame, account=account, decision="decision" if "decision" in frame else None,
                            confidence=s.confidence, breaks=s.breaks)
    m = adj["estimate"].str.startswith("roles weighted")
    return Check(
        "adjusted_nps", tables={"adjusted_nps": adj},
        captions={"adjusted_nps": "Raw NPS beside balance-adjusted NPS: re-weighted so that each account counts "
                                  "once and/or each role weighs as in the "
                                  f"{inp.population_name or 'population'}; method and effective sample size per row."},
        notes=["Balance-adjusted NPS: weights 1/responses per account (each account counts once) and/or "
               "post-stratification of roles to the population's role shares (Holt & Smith 1979); standard "
               "errors by Taylor linearisation with accounts as clusters (Wolter 2007; as R survey::svymean), "
               "Wald intervals; effective n: responses over the design effect (Kish 1965). The raw NPS has the "
               "headline's interval: the adjusted Wald interval (Rocks 2016) on the effective sample size, "
               "accounts as clusters (Korn & Graubard 1998). Which NPS to track: every response, one vote per "
               "account and decision makers' (a domain of the same design: every account in the variance), "
               "each with its design-based interval."],
        context={"table": adj, "role_adjusted": adj[m].iloc[0] if m.any() else None, "which_nps": which},
        substantive=False)


def role_mix(inp: Inputs) -> Check:
    """The respondents' role mix against the contacts' (or the invitations'): ``balance.role_skew``."""
    if not inp.has_role:
        return Check.skipped("role_mix", _NO_ROLE, "Role mix and NPS by role not assessed: the export has no "
                                                   "respondent role.")
    s, rc, pop = inp.prep.settings, inp.role_codes, inp.population
    mix = role_mix_from_counts(inp.role_counts(rc), int((rc < 0).sum()), pop, s.confidence)
    keep = ["role", "responses", "share", "ci_low", "ci_high"]
    if pop is not None:
        keep += ["population_share", "difference", "representation", "p_adj"]
    table = mix[keep].rename(columns={"share": "share_responses", "ci_low": "share_ci_low",
                                      "ci_high": "share_ci_high"}).head(20)
    caption = ("Share of responses per role (Wilson interval)"
               + (f" against the {inp.population_name}' role mix, with the representation ratio and a "
                  "BH-adjusted binomial test per role." if pop is not None else "."))
    fig_caption = "Share of responses per role with its interval"
    fig_caption += f", beside the role mix of the {inp.population_name} (hatched)." if inp.population_name else "."
    note = ("Role mix: chi-square goodness-of-fit of response counts per role against the population's "
            "shares, effect size Cramer's V = sqrt(chi2 / (n (k - 1))); per role an exact binomial test, "
            f"Benjamini-Hochberg adjusted. A role with {DOMINANT_SHARE:.0%} of responses or more "
            "dominates. Decision roles: "
            + (", ".join(inp.decision_roles) if inp.decision_roles else "none found")
            + (" (as configured)." if s.decision_roles else " (guessed from the role names; the decision roles "
               "can be set in the configuration)."))
    return Check("role_mix", tables={"role_mix": table}, captions={"role_mix": caption},
                 figures=[Figure("role_mix", partial(plot_role_mix, mix, inp.population_name), fig_caption)],
                 notes=[note],
                 context={"mix": mix, "test": mix.attrs["test"], "population": inp.population_name,
                          "decision_roles": inp.decision_roles, "alpha": inp.alpha})


_ROLE_NPS_CAPTION = ("NPS per role (circles; hollow = fewer responses than the reporting minimum) and the overall NPS "
                     "raw and re-weighted so that each account, or each role, counts as the population says "
                     "(diamonds), each with its interval.")


def role_gap(inp: Inputs, adjusted: Check) -> Check:
    """NPS per role, each role against the others, and decision makers against other roles: ``balance.role_gap``.

    Its figure shows the adjusted NPS of ``adjusted`` (the adjusted-NPS check) beside the roles.
    """
    adj = adjusted.context.get("table")
    if not inp.has_role:
        empty = pd.DataFrame(columns=["role", "n", "nps", "ci_low", "ci_high", "reportable"])
        figures = [Figure("role_nps", partial(plot_role_nps, empty, adj), _ROLE_NPS_CAPTION)] if adj is not None else []
        return Check("role_gap", assessed=False, reason=_NO_ROLE, figures=figures)
    s = inp.prep.settings
    r = inp.responses if inp.clusters is None else inp.responses.assign(cluster=inp.clusters)
    t = nps_by_role(r, confidence=s.confidence, min_n=s.min_n, breaks=s.breaks,
                    cluster="cluster" if inp.clusters is not None else None)
    fig = Figure("role_nps", partial(plot_role_nps, t if len(t) >= 2 else t.iloc[0:0], adj), _ROLE_NPS_CAPTION)
    if len(t) < 2:
        return Check("role_gap", assessed=False, reason="needs scored responses from at least two roles",
                     figures=[fig])
    return Check("role_gap",
                 tables={"nps_by_role": t[["role", "n", "nps", "ci_low", "ci_high", "diff_vs_rest", "p_adj"]].head(20)},
                 captions={"nps_by_role": "NPS per role with its interval, and its difference from all other roles "
                                          "(BH-adjusted p-value)" + (", accounting for people of one account "
                                                                     "answering alike." if inp.clusters is not None
                                                                     else ".")},
                 figures=[fig],
                 context={"by_role": t, "test": t.attrs["test"], "alpha": inp.alpha, **_decision_gap(inp)})


def _decision_gap(inp: Inputs) -> dict[str, Any]:
    """Decision makers' NPS against other roles', when both have enough responses.

    A contrast of two domains that share accounts (:func:`npsdiag.stats.design.one_vs_rest`) where responses
    cluster, else the two-sample Wald test of independent samples.
    """
    out: dict[str, Any] = {"decision_gap": None, "decision_nps": None, "other_nps": None}
    if not inp.decision_roles or inp.decision is None:
        return out
    s = inp.prep.settings
    cat = category_codes(inp.responses["score"], s.breaks)
    dm = inp.decision & (cat >= 0)
    other = ~inp.decision & (inp.role_codes >= 0) & (cat >= 0)
    if dm.sum() < MIN_ROLE_N or other.sum() < MIN_ROLE_N:
        return out
    cd, co = (tuple(int(v) for v in counts(cat[m], 3)) for m in (dm, other))
    if inp.clusters is None:
        gap = nps_diff_test(cd, co, confidence=s.confidence)
    else:
        diff, var = one_vs_rest(cat - 1.0, np.where(dm, 0, np.where(other, 1, -1)), 2, inp.clusters)
        se = float(np.sqrt(var[0]))
        z = float(diff[0] / se) if se > 0 else float("nan")
        q = float(stats.norm.ppf(0.5 + s.confidence / 2))
        gap = NpsDiff(100 * float(diff[0]), 100 * se, z, float(2 * stats.norm.sf(abs(z))),
                      100 * (float(diff[0]) - q * se), 100 * (float(diff[0]) + q * se))
    out.update(decision_gap=gap, decision_nps=100 * (cd[2] - cd[0]) / sum(cd),
               other_nps=100 * (co[2] - co[0]) / sum(co))
    return out


# --------------------------------------------------------------------------- accounts


def voices_per_account(inp: Inputs) -> Check:
    """Accounts by number of distinct respondents: ``balance.single_voice``."""
    if not inp.has_account:
        return Check.skipped("voices_per_account", _NO_ACCOUNT, "Voices per account, concentration and revenue "
                                                                "coverage not assessed: the responses have no "
                                                                "account.")
    v = inp.voices
    per_acc = v.per_account
    notes = [] if v.has_respondent else ["No respondent id: each response is counted as a distinct respondent."]
    if len(per_acc) < MIN_ACCOUNTS:
        notes.append(f"Voices per account not assessed: only {len(per_acc)} responding accounts.")
        return Check("voices_per_account", assessed=False,
                     reason=f"only {len(per_acc)} accounts responded: too few to judge", notes=notes)
    tables = {"voices_per_account": voice_distribution_from_array(per_acc, v.revenue)}
    captions = {"voices_per_account": "Responding accounts by number of distinct respondents, with their share of "
                                      "accounts, responses" + (" and ARR." if v.revenue is not None else ".")}
    if v.contacts is None and (not v.has_respondent or int(per_acc["respondents"].max()) <= 1):
        # no contact list, and either no respondent id or never two people for one account: the accounts
        # look like individual customers (a consumer export), where "one voice per account" is no finding
        why = ("the export has no respondent id and no contact list, so how many people were heard per "
               "account is unknown." if not v.has_respondent else
               "no account has two respondents and there is no contact list: the accounts look like "
               "individual customers.")
        notes.append("Single voice not assessed: " + why + " Add a contact list (contacts table) to assess it.")
        return Check("voices_per_account", assessed=False, reason="needs the list of contacts per account",
                     tables=tables, captions=captions, notes=notes)
    return Check("voices_per_account", tables=tables, captions=captions, notes=notes,
                 context={"single_voice": _single_voice(v, inp.prep.settings.confidence)})


def _single_voice(v: Voices, confidence: float) -> dict[str, Any]:
    """Accounts heard through one person: how many, their interval, and (where known) with more contacts and ARR."""
    per_acc = v.per_account
    k = len(per_acc)
    single = (per_acc["respondents"] == 1).to_numpy()
    n_single = int(single.sum())
    lo, hi = wilson_interval(n_single, k, confidence)
    out: dict[str, Any] = {"accounts": k, "single_voice_accounts": n_single, "share": n_single / k,
                           "share_ci_low": float(lo), "share_ci_high": float(hi),
                           "median_respondents_per_account": float(per_acc["respondents"].median())}
    if v.contacts is not None:
        nc = np.where(np.isnan(v.contacts), 1, v.contacts)
        out["single_voice_with_more_contacts"] = int((single & (nc >= 2)).sum())
    rev = v.revenue
    if rev is not None and (~np.isnan(rev)).any() and np.nansum(rev) > 0:
        out["share_revenue_single_voice"] = float(np.nansum(rev[single]) / np.nansum(rev))
    return out


def concentration(inp: Inputs) -> Check:
    """How concentrated responses are across accounts (Lorenz curve, Gini, top 10%): ``balance.concentration``."""
    if not inp.has_account or len(inp.voices.per_account) < MIN_ACCOUNTS:
        # the voices-per-account check says why
        return Check.skipped("concentration", _NO_ACCOUNT if not inp.has_account else
                             f"only {len(inp.voices.per_account)} accounts responded: too few to judge")
    per_acc, contacts = inp.voices.per_account, inp.voices.contacts
    conc = concentration_of(per_acc["responses"], weights=contacts)
    fig = partial(plot_concentration, per_acc, conc)
    note = ("Concentration: Gini coefficient and share of responses from the top 10% of responding "
            "accounts (Lorenz curve, interpolated), tested against a multinomial null in which "
            "accounts differ only by their number of contacts (or not at all): "
            + ("400 seeded simulations." if conc.method == "simulation" else
               f"with {num(conc.accounts)} accounts, its large-sample distribution (Poissonised "
               "counts, normal limit of the sums over accounts; Stigler 1974)."))
    return Check("concentration", notes=[note],
                 figures=[Figure("concentration", fig,
                                 "Left: Lorenz curve of responses across responding accounts (the further below the "
                                 "diagonal, the more a few accounts dominate). Right: accounts by number of distinct "
                                 "respondents; the hatched bar is accounts heard through a single person.")],
                 context={"concentration": conc, "alpha": inp.alpha,
                          "top_contact_share": _top_contact_share(per_acc["responses"].to_numpy(), contacts)})


def _top_contact_share(responses: np.ndarray, contacts: np.ndarray | None) -> float | None:
    """Share of the contacts held by the 10% of accounts that answer most (None when contacts are unknown)."""
    if contacts is None:
        return None
    nc = np.nan_to_num(np.asarray(contacts, dtype="float64"), nan=0.0)
    if nc.sum() <= 0:
        return None
    k = max(1, int(round(0.1 * len(responses))))
    order = np.argsort(-responses)[:k]
    return float(nc[order].sum() / nc.sum())


def revenue_coverage(inp: Inputs) -> Check:
    """Share of current customers' ARR heard from each quarter: ``balance.revenue_coverage``."""
    if not inp.has_account:
        return Check.skipped("revenue_coverage", _NO_ACCOUNT)  # the voices-per-account check says so
    tab, r, s = inp.table, inp.responses, inp.prep.settings
    rv = tab.frame["revenue"].to_numpy(dtype="float64", na_value=np.nan) \
        if tab is not None and "revenue" in tab.frame else None
    if rv is None or np.isnan(rv[tab.dedup]).all():
        return Check.skipped("revenue_coverage", "needs each account's revenue (ARR)",
                             "Revenue coverage not assessed: needs each account's revenue (ARR).")
    with np.errstate(invalid="ignore"):
        valid = ~np.isnan(rv) & (rv > 0)
    fr = first_rows(tab.codes, len(tab.ids), valid)  # as accounts[valid].drop_duplicates("account_id")
    a_rows = np.sort(fr[fr >= 0])
    pos_in_a = np.full(len(tab.ids), -1, dtype=np.intp)
    pos_in_a[tab.codes[a_rows]] = np.arange(len(a_rows))
    row = remap(inp.account_codes, remap(inp.account_pos, pos_in_a))
    dec = inp.decision if inp.has_role and inp.decision_roles else None
    target = s.revenue_coverage_target
    cov = revenue_coverage_from_rows(tab.frame.iloc[a_rows], row, inp.account_codes >= 0, r["responded_at"], dec,
                                     "revenue", "Q", target)
    if not len(cov):
        return Check("revenue_coverage", assessed=False,
                     reason="needs dated responses from accounts whose revenue is known")
    fig = partial(plot_revenue_coverage, cov, target)
    return Check(
        "revenue_coverage", tables={"revenue_coverage": cov.tail(13)},
        captions={"revenue_coverage": "Share of current customers' ARR with at least one response"
                                      + (" and with a decision-maker response" if "share_decision" in cov else "")
                                      + f" per quarter, against the {target:.0%} target."},
        figures=[Figure("revenue_coverage", fig, "Share of the ARR of current customers with at least one response "
                                                 "(solid) and with a decision-maker response (hatched) in each "
                                                 "quarter, against the target; * = partial quarter.")],
        notes=["Revenue coverage: per calendar quarter, accounts that were customers then (started by "
               "the quarter's end, not churned before its start) with their current ARR; a quarter "
               "counts an account as heard when it has an analysed response dated in it. Partial "
               "first/last quarters are shown but left out of the average."],
        context={"coverage": cov, "target": target})


# --------------------------------------------------------------------------- non-response

_ATTRIBUTE_NAMES = {"role": "role", "arr_band": "ARR", "churn_status": "churn"}
_NO_BASE = "needs the list of invitations sent, or a list of every customer account"
_NON_RESPONSE_METHOD = ("Benjamini-Hochberg across attributes; effect size Cramer's V (phi for two levels).")


def nonresponse(inp: Inputs) -> Check:
    """Invited people who answered against those who did not, per attribute: ``balance.nonresponse_bias``.

    Counted per level (and per account) of invitations and answers, never on rows. Without invitations,
    where the accounts table lists the whole customer base, responding accounts against the others
    (:func:`account_nonresponse`).
    """
    prep, s = inp.prep, inp.prep.settings
    if prep.invitations is None or not len(prep.invitations):
        return account_nonresponse(inp)
    answered, method = _invitations_answered(prep)
    if method == "none" or not 0 < answered.sum() < len(answered):
        why = ("the invitations could not be matched to the responses (both need a response id, or a respondent "
               "id and dates)")
        return Check.skipped("nonresponse", why, f"Non-response bias not assessed: {why}.")
    level_tables, attrs = _level_tables(inp, answered)
    attrs = [a_ for a_ in attrs if level_tables[a_].invited.sum() > 0]
    nr = nonresponse_from_tables([(a_, level_tables[a_]) for a_ in attrs], _ATTRIBUTE_NAMES)
    if not len(nr):
        return Check("nonresponse", assessed=False, reason="no attribute has two levels with enough invitations")
    rates = _response_rates(level_tables, attrs, s.confidence)
    fig = partial(plot_response_rates, rates[rates["attribute"].isin(["role", "ARR", "churn"])])
    return Check(
        "nonresponse",
        tables={"nonresponse": nr[["attribute", "test", "p_adj", "effect_size", "effect_measure", "design_effect",
                                   "n", "comparison"]],
                "response_rates": rates.head(30)},
        captions={"nonresponse": "Invitations answered against not answered, per attribute: chi-square corrected "
                                 "for invitations of one account answering alike (each attribute by its own design "
                                 "effect), BH-adjusted p-value, effect size and what differs.",
                  "response_rates": "Share of invitations answered per attribute level, with Wilson intervals."},
        figures=[Figure("response_rates", fig, "Share of invitations answered by role, by the account's ARR "
                                               "quartile and by the account's churn status, with Wilson intervals.")],
        notes=[f"Non-response: invitations matched to analysed responses by {method} "
               "(a response counts for its respondent's latest invitation in the 90 days before it). "
               "Per attribute (role, invitation and account segments, ARR quartile, churn), a "
               "chi-square test of independence with invitations, divided by the mean generalised design "
               "effect of that attribute's own table with accounts as clusters (first-order Rao-Scott "
               "correction, Rao & Scott 1981; as R's svychisq with statistic \"Chisq\"; invitations whose "
               "attribute is unknown stay in the design as a domain; a design effect below 1 is not used); "
               + _NON_RESPONSE_METHOD],
        context={"tests": nr, "unit": "invitations", "units": len(answered), "responded": int(answered.sum()),
                 "invitations": len(answered), "response_rate": float(answered.mean()), "alpha": inp.alpha})


def account_nonresponse(inp: Inputs) -> Check:
    """Without invitations: responding accounts against the accounts that never responded, per account attribute.

    Only where the accounts table holds the customer base (accounts without any response); accounts that
    were not customers during the survey period are left out.
    """
    tab = inp.table
    if tab is None or not inp.has_account:
        why = _NO_BASE if inp.has_account else _NO_ACCOUNT
        return Check.skipped("nonresponse", why, f"Non-response bias not assessed: {why}.")
    rows, responded, left_out = _account_units(inp)
    k, n = int(responded.sum()), len(responded)
    why = _account_unassessable(inp, k, n)
    if why:
        return Check.skipped("nonresponse", why, f"Non-response bias not assessed: {why}.")
    segs = [c for c in _segments(inp.prep, "accounts") if c in tab.frame]
    ad = tab.frame.iloc[rows]
    flag = responded.astype("float64")
    tables = {name: level_table(codes, labels, flag) for name, (codes, labels) in
              account_attribute_codes(ad, segs).items()}
    attrs = [a_ for a_ in ["arr_band", "churn_status", *segs] if a_ in tables]
    nr = nonresponse_from_tables([(a_, tables[a_]) for a_ in attrs], _ATTRIBUTE_NAMES, independent=True)
    coverage = (f"{num(k)} of {num(n)} accounts ({pct(k / n)}) responded"
                + (f"; {num(left_out)} accounts that were not customers during the survey period (churned before "
                   "it began, or joined after it ended) are left out" if left_out else ""))
    notes = [f"Response coverage: {coverage}.",
             "Non-response (accounts): without invitations, the accounts list is taken as the customer base: "
             "accounts with an analysed response against those without, per account attribute (ARR quartile, "
             "churn, account segments), a chi-square test of independence with accounts as independent units, "
             "or Fisher's exact test when an expected count is below 5 (exact for two levels, otherwise 9,999 "
             "seeded Monte Carlo draws); " + _NON_RESPONSE_METHOD]
    context = {"tests": nr, "unit": "accounts", "units": n, "responded": k, "response_rate": k / n,
               "alpha": inp.alpha}
    if not len(nr):  # the coverage is known, but there is nothing to compare the accounts on
        return Check("nonresponse", assessed=False, notes=notes[:1],
                     reason="needs something to compare the accounts on (churn, revenue or segments)")
    rates = _response_rates(tables, attrs, inp.prep.settings.confidence).rename(columns={"invited": "accounts"})
    fig = partial(plot_response_rates, rates[rates["attribute"].isin(["ARR", "churn", *segs[:1]])])
    return Check(
        "nonresponse",
        tables={"nonresponse": nr[["attribute", "test", "p_adj", "effect_size", "effect_measure", "n",
                                   "comparison"]],
                "response_rates": rates.head(30)},
        captions={"nonresponse": "Accounts that responded against accounts that did not, per account attribute: "
                                 "chi-square or exact test, BH-adjusted p-value, effect size and what differs.",
                  "response_rates": f"Share of accounts that responded per attribute level, with Wilson intervals "
                                    f"({coverage.split(';')[0]} overall)."},
        figures=[Figure("response_rates", fig, "Share of accounts that responded by ARR quartile, churn status and "
                                               "segment, with Wilson intervals.")],
        notes=notes, context=context)


def _account_units(inp: Inputs) -> tuple[np.ndarray, np.ndarray, int]:
    """The accounts compared (rows of the accounts table, one per account that was a customer during the survey
    period), whether each responded, and how many other accounts were left out."""
    tab, prep = inp.table, inp.prep
    rows = tab.dedup[tab.codes[tab.dedup] >= 0]
    present = counts(inp.account_codes, len(inp.accounts)) > 0
    pos = inp.account_pos[present]
    heard = np.zeros(len(tab.ids), dtype=bool)
    heard[pos[pos >= 0]] = True
    a = tab.frame.iloc[rows]
    keep = np.ones(len(rows), dtype=bool)
    spec = prep.config.tables.get("responses")
    period = prep.period if spec is None or not spec.survey_date else None  # a placeholder date says nothing
    if period is not None:
        if "churned" in a and "outcome_at" in a:
            keep &= ~(as_bool(a["churned"]) & (a["outcome_at"] < period[0]).fillna(False).to_numpy(dtype=bool))
        if "start_at" in a:
            keep &= ~(a["start_at"] > period[1]).fillna(False).to_numpy(dtype=bool)
    return rows[keep], heard[tab.codes[rows[keep]]], int((~keep).sum())


def _account_unassessable(inp: Inputs, responded: int, accounts: int) -> str | None:
    """Why responding and non-responding accounts cannot be compared, in plain words (None: they can)."""
    present = counts(inp.account_codes, len(inp.accounts)) > 0
    found = float((inp.account_pos[present] >= 0).mean()) if present.any() else 0.0
    if found < MIN_ACCOUNTS_FOUND:
        return "most responding accounts are not in the accounts list"
    if responded == accounts:
        return _NO_BASE + " (every account listed responded, so who did not respond is unknown)"
    if accounts - responded < MIN_ACCOUNTS:
        return f"only {accounts - responded} accounts did not respond: too few to compare"
    if responded < MIN_ACCOUNTS:
        return f"only {responded} accounts responded: too few to compare"
    return None


def _invitations_answered(prep: Prepared) -> tuple[np.ndarray, str]:
    """Whether each invitation led to an analysed response (as :func:`.nonresponse.match_invitations`), and how.

    Through :func:`npsdiag.linking.responded_within`, the one matching rule, whose window-free part is
    computed once per prepared data set and shared with the other areas.
    """
    inv, res = prep.invitations, prep.responses
    responded = responded_within(prep, window_days=RESPONSE_WINDOW_DAYS)
    if responded is None:
        return np.zeros(len(inv), dtype=bool), "none"
    by_id = ("response_id" in inv and "response_id" in res and inv["response_id"].notna().any()
             and res["response_id"].notna().any())
    return responded, "response id" if by_id else "respondent and date"


def _segments(prep: Prepared, table: str) -> list[str]:
    """The configured segments of a table that it has."""
    frame = getattr(prep, table)
    if table not in prep.config.tables or frame is None:
        return []
    return [c for c in prep.config.tables[table].segments if c in frame]


def _level_tables(inp: Inputs, answered: np.ndarray) -> tuple[dict[str, LevelTable], list[str]]:
    """Invitations and answers per level of each attribute (with its table's design effect, invitations
    clustered in their accounts), and the attributes in report order."""
    prep = inp.prep
    invitations = prep.invitations
    inv_segs, acc_segs = _segments(prep, "invitations"), _segments(prep, "accounts")
    flag = answered.astype("float64")
    level_tables: dict[str, LevelTable] = {}
    ia = n_clusters = None
    if "account_id" in invitations:
        ia, ia_ids = prep.codes("account_id", "invitations")
        ia = np.asarray(ia, dtype=np.intp)
        inv_u, ans_u = counts(ia, len(ia_ids)), counts(ia, len(ia_ids), flag)
        # the design's clusters: the invitations' accounts, and each invitation without an account
        n_clusters = float(np.count_nonzero(inv_u) + np.count_nonzero(ia < 0))
    ic = inp.invitation_role_codes
    if ic is not None:
        level_tables["role"] = level_table(ic, inp.role_labels, flag, ia, n_clusters)
    for c in dict.fromkeys([*inv_segs, *(a_ for a_ in acc_segs if a_ in invitations)]):
        codes, values = prep.codes(c, "invitations")
        level_tables[c] = level_table(np.asarray(codes, dtype=np.intp), values, flag, ia, n_clusters)
    if ia is not None and inp.table is not None:
        _add_account_levels(level_tables, inp.table, positions(inp.table.ids, pd.Index(ia_ids)), inv_u, ans_u,
                            n_clusters, [seg for seg in acc_segs if seg not in invitations])
    attrs = [c for c in ["role", *inv_segs, "arr_band", "churn_status", *acc_segs] if c in level_tables]
    return level_tables, attrs


def _add_account_levels(level_tables: dict[str, LevelTable], tab: AccountsTable, i_code: np.ndarray,
                        inv_u: np.ndarray, ans_u: np.ndarray, n_clusters: float, segments: list[str]) -> None:
    """The account's attributes (ARR band, churn status, segments), counted per distinct invitation account.

    ``i_code`` is the position in ``tab.ids`` of each invitation account, ``inv_u`` and ``ans_u`` its
    invitations and answers; each account is a cluster of the design.
    """
    accounts = np.arange(len(i_code), dtype=np.intp)
    m = tab.codes[tab.dedup] >= 0
    for name, (codes, labels) in account_attribute_codes(tab.frame.iloc[tab.dedup], segments).items():
        if name in level_tables:
            continue
        per_code = np.full(len(tab.ids), -1, dtype=np.intp)
        per_code[tab.codes[tab.dedup][m]] = codes[m]
        level_tables[name] = level_table(remap(i_code, per_code), labels, ans_u, accounts, n_clusters, invited=inv_u)


def _first_number(text: str) -> float:
    m = re.search(r"[\d,]+(?:\.\d+)?", str(text))
    return float(m.group(0).replace(",", "")) if m else float("inf")


def _response_rates(level_tables: dict[str, LevelTable], attrs: list[str], confidence: float) -> pd.DataFrame:
    """The response rate of each level of the attributes, one table (ARR bands in ARR order)."""
    parts = []
    for a_ in attrs:
        t = level_tables[a_]
        rr = rates_from_counts(t.levels, t.invited, t.answered, confidence).assign(
            attribute=_ATTRIBUTE_NAMES.get(a_, a_))
        if a_ == "arr_band":  # bands in ARR order, not by volume
            rr = rr.iloc[np.argsort([_first_number(x) for x in rr["level"]], kind="stable")]
        parts.append(rr)
    rates = pd.concat(parts, ignore_index=True)
    return rates[["attribute", "level", "invited", "responded", "response_rate", "ci_low", "ci_high"]]
