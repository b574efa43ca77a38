"""The balance area's finding rules: thresholds, findings, recommendations and the summary sentence.

Each rule reads the ``context`` of its check (:mod:`.checks`) and returns a
:class:`~npsdiag.findings.Finding` only on evidence (a test significant at
``alpha`` after adjustment where there are many, and an effect large enough
to matter), or None. A skipped check has an empty context: its rule returns None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ...findings import Check, Finding, worst
from ...fmt import num, p_eq, pct, pts

__all__ = ["role_skew", "role_gap", "single_voice", "concentration", "revenue_coverage", "nonresponse_bias",
           "summary", "DOMINANT_SHARE", "REPRESENTATION_CHECKS"]

#: The checks without which the area never says that responses represent the customer base, with their names.
REPRESENTATION_CHECKS = {"role_mix": "the role mix", "voices_per_account": "voices per account",
                         "revenue_coverage": "revenue coverage", "nonresponse": "non-response"}

# --- role mix
#: A role giving this share of responses or more dominates the voice.
DOMINANT_SHARE = 0.6
#: Without a population, the dominant share's interval must reach this far below DOMINANT_SHARE, ...
DOMINANT_CI_MARGIN = 0.05
#: ... with at least this many responses with a role.
DOMINANT_MIN_N = 20
#: Without a population, a dominant role with this share or more is a medium finding (low below).
DOMINANT_MEDIUM_SHARE = 0.75
#: Cramer's V of the role mix against the population: high and medium effects.
SKEW_V_HIGH, SKEW_V_MEDIUM = 0.3, 0.1
#: Decision makers at this representation ratio (share / population share) or less make the skew high.
DECISION_UNDER_RATIO = 0.5
#: A low skew that moves the NPS by this many points once roles are re-weighted is medium.
SKEW_NPS_SHIFT = 5.0

# --- role gap
#: Roles (and decision makers / other roles) with fewer responses are not compared.
MIN_ROLE_N = 10
#: An NPS gap of this many points (against the other roles) matters; from HIGH_GAP_POINTS it is high.
GAP_POINTS, HIGH_GAP_POINTS = 10.0, 20.0

# --- voices per account
#: Share of responding accounts heard through one person (only those with more contacts, when known)
#: from which single voice is a finding, and from which it is high ...
SINGLE_VOICE_SHARE, SINGLE_VOICE_HIGH_SHARE = 0.5, 0.75
#: ... when the single-voice accounts hold at least this share of the ARR (if known).
SINGLE_VOICE_HIGH_REVENUE = 0.5

# --- concentration
#: Concentration is judged with at least this many responding accounts ...
CONCENTRATION_MIN_ACCOUNTS = 20
#: ... when the top 10% of accounts give this share of responses or more (high from TOP_SHARE_HIGH) ...
TOP_SHARE, TOP_SHARE_HIGH = 0.4, 0.6
#: ... unless their share of responses is at most this multiple of their share of contacts (then low).
TOP_SHARE_OF_CONTACTS = 1.25

# --- revenue coverage
#: Mean share of ARR heard this far below the target is high / medium (below that, low).
COVERAGE_GAP_HIGH, COVERAGE_GAP_MEDIUM = 0.3, 0.1

# --- non-response
#: Effect size (Cramer's V / phi) of a significant difference: high and medium.
NONRESPONSE_V_HIGH, NONRESPONSE_V_MEDIUM = 0.3, 0.1
#: Churned accounts answering at this ratio of the best-answering level's rate or less is high.
CHURNED_RATE_RATIO = 0.67


# --------------------------------------------------------------------------- role mix



#: The findings each figure shows the evidence of (the report shows those figures first).
ILLUSTRATES = {"role_mix": ("balance.role_skew",), "role_nps": ("balance.role_gap",),
               "concentration": ("balance.single_voice", "balance.concentration"),
               "revenue_coverage": ("balance.revenue_coverage",), "response_rates": ("balance.nonresponse_bias",)}

def role_skew(mix_ctx: Mapping[str, Any], adjusted_ctx: Mapping[str, Any]) -> Finding | None:
    """``balance.role_skew``: the respondents' role mix departs from the population's, or one role dominates.

    ``mix_ctx`` is the context of the role-mix check, ``adjusted_ctx`` that of the adjusted-NPS check (for
    the NPS with roles re-weighted).
    """
    if not mix_ctx or not len(mix_ctx["mix"]):
        return None
    mix, test, dm_values = mix_ctx["mix"], mix_ctx["test"], mix_ctx["decision_roles"]
    ev: dict[str, Any] = {"n": test.get("n"), "roles": test.get("roles"), "dominant_role": test.get("dominant_role"),
                          "dominant_share": test.get("dominant_share", 0.0),
                          "dominant_share_ci_low": test.get("dominant_ci_low")}
    if dm_values:
        ev["decision_maker_share"] = _decision_share(mix, dm_values, "share")
    if mix_ctx["population"] and "chi2" in test:
        return _skew_against_population(mix_ctx, adjusted_ctx.get("role_adjusted"), ev)
    return _dominance(mix, test, ev)


def _decision_share(mix: pd.DataFrame, dm_values: list[str], column: str) -> float:
    return float(mix.loc[mix["role"].isin(dm_values), column].sum())


def _over_under(mix: pd.DataFrame, alpha: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The roles significantly over- and under-represented, largest difference first."""
    sig_roles = mix[(mix["p_adj"] < alpha)]
    over = sig_roles[sig_roles["difference"] > 0].sort_values("difference", ascending=False)
    under = sig_roles[sig_roles["difference"] < 0].sort_values("difference")
    return over, under


def _lead_role(mix: pd.DataFrame, alpha: float) -> pd.Series:
    """The role a skew is named after: the most over-represented, or the largest."""
    over = _over_under(mix, alpha)[0]
    return over.iloc[0] if len(over) else mix.iloc[0]


def _skew_severity(v: float, dm_under: bool, shift: float) -> str:
    if v >= SKEW_V_HIGH or dm_under:
        return "high"
    if v >= SKEW_V_MEDIUM:
        return "medium"
    return "medium" if shift >= SKEW_NPS_SHIFT else "low"


def _skew_against_population(ctx: Mapping[str, Any], adj_role: pd.Series | None, ev: dict[str, Any]) -> Finding | None:
    mix, test, dm_values, alpha, pop_name = ctx["mix"], ctx["test"], ctx["decision_roles"], ctx["alpha"], \
        ctx["population"]
    dm_share = ev.get("decision_maker_share")
    ev.update(chi2=test["chi2"], dof=test["dof"], p_value=test["p_value"], cramers_v=test["cramers_v"],
              population=pop_name)
    dm_pop = _decision_share(mix, dm_values, "population_share") if dm_values else None
    if dm_values:
        ev["decision_maker_population_share"] = dm_pop
    if adj_role is not None:
        ev["raw_nps"] = float(adj_role["nps"] - adj_role["difference"])
        ev["role_adjusted_nps"] = float(adj_role["nps"])
    if test["p_value"] >= alpha:
        return None
    over, under = _over_under(mix, alpha)
    dm_ratio = dm_share / dm_pop if dm_values and dm_pop else None
    ev["decision_maker_representation"] = dm_ratio
    dm_under = bool(dm_ratio is not None and dm_ratio <= DECISION_UNDER_RATIO
                    and mix.loc[mix["role"].isin(dm_values), "p_adj"].min() < alpha)
    shift = abs(float(adj_role["difference"])) if adj_role is not None else 0.0
    sev = _skew_severity(test["cramers_v"], dm_under, shift)
    parts = [f"{o['role']} give {pct(o['share'])} of responses but are {pct(o['population_share'])} of {pop_name}"
             for _, o in over.head(2).iterrows()]
    parts += [f"{u['role']} give {pct(u['share'])} against {pct(u['population_share'])}"
              for _, u in under.head(2).iterrows()]
    lead = over.iloc[0] if len(over) else mix.iloc[0]
    title = (f"'{lead['role']}' respondents are over-represented: {pct(lead['share'])} of responses against "
             f"{pct(lead['population_share'])} of {pop_name}")
    detail = (f"The respondents' role mix departs from the {pop_name}' (chi-square = {test['chi2']:.1f} on "
              f"{test['dof']} df, p {p_eq(test['p_value'])}, Cramer's V = {test['cramers_v']:.2f}, "
              f"n = {num(test['n_tested'])}): " + "; ".join(parts) + ".")
    if dm_values and dm_pop:
        detail += (f" Decision makers ({', '.join(dm_values[:4])}) give {pct(dm_share)} of responses against "
                   f"{pct(dm_pop)} of {pop_name}.")
    if adj_role is not None:
        detail += (f" Weighting roles back to the {pop_name}' mix moves the NPS from "
                   f"{pts(ev['raw_nps'])} to {pts(ev['role_adjusted_nps'])}.")
    return Finding("balance.role_skew", sev, title, detail, ev,
                   "Invite the under-represented roles deliberately (named decision makers per account, "
                   "executive sponsors at business reviews), report NPS per role, and quote the role-weighted "
                   "NPS beside the raw one until the mix is repaired.")


def _dominance(mix: pd.DataFrame, test: Mapping[str, Any], ev: dict[str, Any]) -> Finding | None:
    """Without a population to compare with: one role gives most responses."""
    dom, dom_share = ev["dominant_role"], ev["dominant_share"]
    if not (dom_share >= DOMINANT_SHARE and test.get("dominant_ci_low", 0) >= DOMINANT_SHARE - DOMINANT_CI_MARGIN
            and test["n"] >= DOMINANT_MIN_N):
        return None
    sev = "medium" if dom_share >= DOMINANT_MEDIUM_SHARE else "low"
    return Finding("balance.role_skew", sev, f"One role dominates: {dom} give {pct(dom_share)} of responses",
                   f"{num(mix.iloc[0]['responses'])} of {num(test['n'])} responses with a role come from {dom} "
                   f"(interval {pct(mix.iloc[0]['ci_low'])} to {pct(mix.iloc[0]['ci_high'])}). Without a "
                   "contact list the kit cannot say how far this departs from the customer base, but the NPS "
                   "is mostly theirs.",
                   ev, "Provide the contact list (contacts table) so that the mix can be compared with the "
                       "customer base, and invite other roles deliberately.")


# --------------------------------------------------------------------------- role gap


def role_gap(ctx: Mapping[str, Any]) -> Finding | None:
    """``balance.role_gap``: NPS differs between roles (or decision makers' from other roles')."""
    test = ctx.get("test") or {}
    alpha = ctx.get("alpha", 0.0)
    if not test or test.get("p_value", 1) >= alpha:
        return None
    t = ctx["by_role"]
    sig = t[(t["p_adj"] < alpha) & (t["diff_vs_rest"].abs() >= GAP_POINTS)]
    dm_res = ctx["decision_gap"]
    dm_sig = dm_res is not None and dm_res.p_value < alpha and abs(dm_res.diff) >= GAP_POINTS
    if sig.empty and not dm_sig:
        return None
    big = max([abs(x) for x in sig["diff_vs_rest"]] + ([abs(dm_res.diff)] if dm_sig else []))
    sev = "high" if big >= HIGH_GAP_POINTS else "medium"
    tested = t.loc[t["n"] >= MIN_ROLE_N].sort_values("nps")
    hi, lo = tested.iloc[-1], tested.iloc[0]
    ev: dict[str, Any] = {"chi2": test["chi2"], "dof": test["dof"], "p_value": test["p_value"],
                          "cramers_v": test["cramers_v"], "n": test["n"], "highest_role": hi["role"],
                          "highest_nps": hi["nps"], "lowest_role": lo["role"], "lowest_nps": lo["nps"],
                          "largest_gap_vs_rest": big, "design_effect": test.get("design_effect", 1.0)}
    detail = (f"NPS ranges from {pts(lo['nps'])} for {lo['role']} (n = {num(lo['n'])}, interval "
              f"{pts(lo['ci_low'])} to {pts(lo['ci_high'])}) to {pts(hi['nps'])} for {hi['role']} "
              f"(n = {num(hi['n'])}, {pts(hi['ci_low'])} to {pts(hi['ci_high'])}); the category mix differs by role "
              f"(chi-square = {test['chi2']:.1f} on {test['dof']} df"
              + (", corrected for people of one account answering alike" if test.get("design_effect", 1) > 1 else "")
              + f", p {p_eq(test['p_value'])}).")
    title = f"NPS differs by role: {pts(lo['nps'], 0)} for {lo['role']} against {pts(hi['nps'], 0)} for {hi['role']}"
    if dm_res is not None:
        dm_nps, other_nps = ctx["decision_nps"], ctx["other_nps"]
        ev.update(decision_maker_nps=dm_nps, other_roles_nps=other_nps, decision_maker_gap=dm_res.diff,
                  decision_maker_gap_p=dm_res.p_value)
        detail += (f" Decision makers' NPS is {abs(dm_res.diff):.1f} points "
                   f"{'below' if dm_res.diff < 0 else 'above'} other roles' (difference interval "
                   f"{pts(dm_res.ci_low)} to {pts(dm_res.ci_high)}, p {p_eq(dm_res.p_value)}).")
        if dm_sig and dm_res.diff < 0:
            title = (f"Decision makers' NPS is {abs(dm_res.diff):.0f} points below other roles' "
                     f"({pts(dm_nps, 0)} against {pts(other_nps, 0)})")
    return Finding("balance.role_gap", sev, title, detail, ev,
                   "Report NPS per role rather than one blended figure, and act on the less positive roles' "
                   "feedback first when they are the ones who decide renewals; weight the headline to the "
                   "contact role mix.")


# --------------------------------------------------------------------------- accounts


def single_voice(ctx: Mapping[str, Any]) -> Finding | None:
    """``balance.single_voice``: most responding accounts are heard through one person."""
    if not ctx:
        return None
    ev: dict[str, Any] = dict(ctx["single_voice"])
    k, n_single, share = ev["accounts"], ev["single_voice_accounts"], ev["share"]
    avoidable = ev.get("single_voice_with_more_contacts")
    rev_share = ev.get("share_revenue_single_voice")
    basis = (avoidable / k) if avoidable is not None else share
    if basis < SINGLE_VOICE_SHARE:
        return None
    sev = "high" if basis >= SINGLE_VOICE_HIGH_SHARE and (rev_share is None or rev_share >= SINGLE_VOICE_HIGH_REVENUE) \
        else "medium"
    detail = (f"{num(n_single)} of {num(k)} responding accounts ({pct(share)}, interval {pct(ev['share_ci_low'])} to "
              f"{pct(ev['share_ci_high'])}) are heard through a single person")
    if avoidable is not None:
        detail += f", {num(avoidable)} of them with more contacts on file"
    if rev_share is not None:
        detail += f"; they hold {pct(rev_share)} of the responding accounts' ARR"
    detail += (". One person's view of an account is an anecdote: a single champion or a single frustrated user "
               "decides how the whole account is read.")
    return Finding("balance.single_voice", sev,
                   f"{pct(share)} of responding accounts are represented by a single respondent", detail, ev,
                   "Survey several contacts per account (at least one decision maker and one day-to-day user), "
                   "starting with the largest single-voice accounts; read an account's NPS only with two or more "
                   "voices.")


def concentration(ctx: Mapping[str, Any]) -> Finding | None:
    """``balance.concentration``: a few accounts give most responses, more than their contacts explain."""
    if not ctx:
        return None
    conc = ctx["concentration"]
    top = conc.top_share
    if conc.accounts < CONCENTRATION_MIN_ACCOUNTS or top < TOP_SHARE or not (conc.p_value < ctx["alpha"]):
        return None
    sev = "high" if top >= TOP_SHARE_HIGH else "medium"
    ev: dict[str, Any] = {"accounts": conc.accounts, "responses": conc.responses, "gini": conc.gini,
                          "top10_share": top, "expected_top10_share": conc.expected_top_share,
                          "largest_account_share": conc.largest_share, "p_value": conc.p_value}
    note = ""
    c_share = ctx["top_contact_share"]
    if c_share is not None:
        ev["top10_contact_share"] = c_share
        note = f" These accounts hold {pct(c_share)} of the responding accounts' contacts."
        if top <= TOP_SHARE_OF_CONTACTS * c_share:
            sev = "low"
            note += " Their weight mostly reflects their size."
    detail = (f"The 10% of responding accounts that answer most give {pct(top)} of all responses (Gini "
              f"{conc.gini:.2f}; about {pct(conc.expected_top_share)} expected if accounts answered alike, "
              f"p {p_eq(conc.p_value)}); the largest account alone gives {pct(conc.largest_share, 1)}."
              + note + " The NPS then mostly reflects these few relationships.")
    return Finding("balance.concentration", sev,
                   f"A few accounts dominate: the top 10% give {pct(top)} of responses", detail, ev,
                   "Cap invitations per account per period, widen the sending list to under-heard accounts and "
                   "quote the account-weighted NPS (each account counts once) beside the raw one.")


def revenue_coverage(ctx: Mapping[str, Any]) -> Finding | None:
    """``balance.revenue_coverage``: too little ARR is heard from each quarter (or from a decision maker)."""
    if not ctx:
        return None
    cov, target = ctx["coverage"], ctx["target"]
    q = cov[(cov["period"] != "whole period")]
    full = q[~q["partial"]]
    use = full if len(full) else q
    if use.empty:
        return None
    mean_any = float(use["share_heard"].mean())
    ev: dict[str, Any] = {"target": target, "quarters": int(len(use)), "mean_share_heard": mean_any,
                          "min_share_heard": float(use["share_heard"].min()),
                          "quarters_below_target": int((use["share_heard"] < target).sum()),
                          "revenue_total": float(use["revenue"].iloc[-1])}
    sevs = []
    gap = target - mean_any
    if gap > 0:
        sevs.append("high" if gap >= COVERAGE_GAP_HIGH else ("medium" if gap >= COVERAGE_GAP_MEDIUM else "low"))
    mean_dm = None
    if "share_decision" in use:
        mean_dm = float(use["share_decision"].mean())
        ev["mean_share_decision"] = mean_dm
        if mean_dm < target:
            sevs.append("high" if mean_dm < target / 2 else "medium")
    sev = worst(sevs)
    if sev is None:
        return None
    detail = (f"On average {pct(mean_any)} of current customers' ARR had at least one response per quarter "
              f"(lowest {pct(ev['min_share_heard'])}; {ev['quarters_below_target']} of {len(use)} quarters below "
              f"the {pct(target)} target)")
    if mean_dm is not None:
        detail += f", and only {pct(mean_dm)} had a response from a decision maker"
    detail += (". Revenue that is not heard cannot warn of churn: the NPS describes the accounts that answer, not the "
               "book of business.")
    title = f"Only {pct(mean_any)} of ARR is heard from each quarter (target {pct(target)})"
    if mean_dm is not None and (gap <= 0 or mean_dm < target / 2):
        title = (f"Only {pct(mean_dm)} of ARR is heard from a decision maker each quarter "
                 f"({pct(mean_any)} from anyone; target {pct(target)})")
    return Finding("balance.revenue_coverage", sev, title, detail, ev,
                   "List the largest accounts without a response this quarter and ask their account owners to secure "
                   "feedback from a decision maker (relationship survey or business review); track ARR heard per "
                   "quarter as a program KPI.")


# --------------------------------------------------------------------------- non-response


def _material(row: pd.Series, alpha: float) -> str | None:
    """Severity of one attribute's difference between responders and non-responders (None: not material)."""
    if not row["p_adj"] < alpha:
        return None
    e = abs(row["effect_size"])
    if (row["attribute"] == "churn" and row["lowest_rate_level"] == "churned"
            and row["rate_ratio"] <= CHURNED_RATE_RATIO):
        return "high"
    return "high" if e >= NONRESPONSE_V_HIGH else ("medium" if e >= NONRESPONSE_V_MEDIUM else None)


def nonresponse_bias(ctx: Mapping[str, Any]) -> Finding | None:
    """``balance.nonresponse_bias``: those who answered differ from those who did not.

    The units are invitations (people invited) or, without invitations, the accounts of the customer base.
    """
    if not ctx:
        return None
    nr, n, rate, alpha = ctx["tests"], ctx["units"], ctx["response_rate"], ctx["alpha"]
    hits = [(sv, row) for sv, row in ((_material(row, alpha), row) for _, row in nr.iterrows()) if sv]
    if not hits:
        return None
    sev = worst(sv for sv, _ in hits)
    accounts = ctx.get("unit") == "accounts"
    ev: dict[str, Any] = {"accounts" if accounts else "invitations": int(n), "response_rate": rate,
                          "attributes_tested": int(len(nr)),
                          "attributes_differing": [row["attribute"] for _, row in hits]}
    if accounts:
        ev["accounts_responded"] = int(ctx["responded"])
    for _, row in hits[:3]:
        ev[f"{row['attribute']}_p_adj"] = float(row["p_adj"])
        ev[f"{row['attribute']}_effect"] = float(row["effect_size"])
        if not accounts:
            ev[f"{row['attribute']}_design_effect"] = float(row["design_effect"])
    differs = "; ".join(f"{row['attribute']}: {row['comparison']} ({row['effect_measure']} "
                        f"{row['effect_size']:.2f}, adjusted p {p_eq(row['p_adj'])})" for _, row in hits[:4])
    names = ", ".join(str(row["attribute"]) for _, row in hits[:3])
    if accounts:
        detail = (f"{num(ctx['responded'])} of {num(n)} accounts ({pct(rate)}) responded. The accounts that "
                  f"responded differ from those that did not: {differs}. The NPS describes the accounts that chose "
                  "to answer, not the customer base.")
        return Finding("balance.nonresponse_bias", sev, f"Responding accounts differ from the others on {names}",
                       detail, ev,
                       "Survey the accounts that have not answered, starting with the groups heard least (the account "
                       "owner asking in person, another channel), and weight results to the customer base where the "
                       "gap persists.")
    detail = (f"{pct(rate)} of {num(n)} invitations were answered. Those who answered differ from those who "
              f"did not: {differs}. The NPS describes the people who chose to answer.")
    return Finding("balance.nonresponse_bias", sev, f"Responders differ from non-responders on {names}", detail, ev,
                   "Follow up non-responders in the groups that answer least (reminders, another channel, the account "
                   "owner asking in person), and weight results to the invited population where the gap persists.")


# --------------------------------------------------------------------------- summary


def _short(f: Finding, contexts: Mapping[str, Mapping[str, Any]]) -> str:
    """A finding in a few words, for the area's summary sentence."""
    ev = f.evidence
    if f.id == "balance.role_skew":
        if "population" not in ev:
            return f"{ev['dominant_role']} dominate ({pct(ev['dominant_share'])} of responses)"
        ctx = contexts["role_mix"]
        lead = _lead_role(ctx["mix"], ctx["alpha"])
        return f"'{lead['role']}' over-represented ({pct(lead['share'])} of responses vs " \
               f"{pct(lead['population_share'])})"
    if f.id == "balance.revenue_coverage":
        md = ev.get("mean_share_decision")
        if md is not None and md < ev["target"] / 2:
            return f"only {pct(md)} of ARR heard from a decision maker"
        return f"low revenue coverage ({pct(ev['mean_share_heard'])} of ARR heard)"
    if f.id == "balance.nonresponse_bias":
        return f"non-response bias ({', '.join(ev['attributes_differing'][:2])})"
    return {"balance.role_gap": "a gap between roles' NPS", "balance.single_voice": "single-voice accounts",
            "balance.concentration": "responses concentrated in a few accounts"}.get(f.id, f.title)


def summary(findings: list[Finding], checks: Sequence[Check]) -> str:
    """The area's one sentence: its (at most three) most severe high or medium findings in a few words.

    Without them, responses are said to represent the customer base only when the role mix, single voice,
    revenue coverage and non-response checks (:data:`REPRESENTATION_CHECKS`) all ran and found nothing;
    otherwise the sentence says what could not be checked, and why.
    """
    contexts = {c.name: c.context for c in checks}
    top = sorted([f for f in findings if f.severity in ("high", "medium")],
                 key=lambda f: ("high", "medium").index(f.severity))
    if top:
        return "Whose voice: " + "; ".join(_short(f, contexts) for f in top[:3]) + "."
    missing = [c for c in checks if c.name in REPRESENTATION_CHECKS and not c.assessed]
    minor = ", ".join(dict.fromkeys(_short(f, contexts) for f in findings))
    if missing:
        what = "; ".join(f"{REPRESENTATION_CHECKS[c.name]} ({c.reason or 'no data'})" for c in missing)
        return ("No material imbalance in what could be checked" + (f" (minor: {minor})" if minor else "")
                + f", but not checked: {what}.")
    if minor:
        return f"No material imbalance found; minor points: {minor}."
    return "Responses represent the customer base reasonably: no material imbalance found."
