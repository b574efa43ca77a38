"""Balance area: role mix, NPS by role, voices per account, concentration, revenue coverage,
non-response and the balance-adjusted NPS.

Each finding id has a synthetic data set on which it must fire and a clean one on which it must
not; the statistics are checked against hand computations (in the comments) or an independent
computation in the test (statsmodels).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from npsdiag.areas import balance
from npsdiag.areas.balance import (
    adjusted_nps,
    concentration,
    decision_roles,
    lorenz_curve,
    match_invitations,
    nonresponse_bias,
    nps_by_role,
    response_design_effect,
    revenue_coverage,
    role_mix,
)
from npsdiag.clean import prepare
from npsdiag.findings import Check
from npsdiag.fmt import pct
from npsdiag.io import from_frames
from npsdiag.stats.weighting import account_weights, kish_effective_n, poststratify, weighted_nps

NOW = pd.Timestamp("2026-01-15")
ROOT = Path(__file__).resolve().parents[1]
ROLES = ["User", "Influencer", "Decision Maker", "Executive"]
ROLE_MIX = np.array([0.45, 0.25, 0.20, 0.10])
P_SCORES = np.array([2, 1, 1, 2, 2, 4, 6, 10, 17, 25, 30], dtype=float)
P_SCORES /= P_SCORES.sum()


def world(seed: int = 0, n_accounts: int = 200, contacts_per_account: int = 6, answer=None,
          score_by_role: dict | None = None, quarters: int = 4):
    """Accounts, their contacts, quarterly invitations of every contact, and the responses.

    ``answer(role, churned)`` gives the probability that an invited contact answers (default 0.6 for all).
    """
    rng = np.random.default_rng(seed)
    acc = pd.DataFrame({"account_id": [f"A{i:03d}" for i in range(n_accounts)],
                        "revenue": np.round(rng.lognormal(10, 0.8, n_accounts), -2),
                        "churned": rng.random(n_accounts) < 0.15,
                        "Industry": rng.choice(["Retail", "Software", "Health"], n_accounts)})
    con = pd.DataFrame({"account_id": np.repeat(acc["account_id"], contacts_per_account).to_numpy()})
    con["role"] = rng.choice(ROLES, len(con), p=ROLE_MIX)
    con["respondent_id"] = [f"c{i}@client.com" for i in range(len(con))]
    churned = dict(zip(acc["account_id"], acc["churned"]))
    inv, res = [], []
    for q in range(quarters):
        start = pd.Timestamp("2024-01-01") + pd.DateOffset(months=3 * q)
        sent = start + pd.to_timedelta(rng.uniform(0, 80, len(con)), unit="D")
        i = con.assign(invited_at=sent)
        inv.append(i)
        p = np.array([answer(r, churned[a]) if answer else 0.6 for r, a in zip(i["role"], i["account_id"])])
        r = i[rng.random(len(i)) < p].copy()
        r["responded_at"] = r["invited_at"] + pd.to_timedelta(rng.uniform(0.1, 5, len(r)), unit="D")
        res.append(r)
    inv = pd.concat(inv, ignore_index=True)
    res = pd.concat(res, ignore_index=True)
    res["score"] = rng.choice(11, len(res), p=P_SCORES).astype(float)
    if score_by_role:
        for role, dist in score_by_role.items():
            m = res["role"] == role
            res.loc[m, "score"] = rng.choice(11, int(m.sum()), p=np.asarray(dist) / np.sum(dist)).astype(float)
    res["response_id"] = [f"R{i}" for i in range(len(res))]
    return res, acc, inv, con


def run(res, acc=None, inv=None, con=None, **kw):
    data = from_frames(res, accounts=acc, invitations=inv, contacts=con,
                       account_segments=["Industry"] if acc is not None and "Industry" in acc else None, **kw)
    prep = prepare(data, as_of=NOW)
    return prep, balance.diagnose(prep)


@pytest.fixture(scope="module")
def clean():
    # every contact invited each quarter, 60% answer whatever their role: a balanced program
    return run(*world(seed=1, n_accounts=120, contacts_per_account=12))


def test_clean_program_has_no_finding(clean):
    _, res = clean
    assert res.findings == [], [f.title for f in res.findings]
    assert res.status == "green"
    assert {"role_mix", "adjusted_nps", "nps_by_role", "voices_per_account", "revenue_coverage",
            "nonresponse", "response_rates"} <= set(res.tables)
    for key, t in res.tables.items():
        assert len(t) <= 30 and key in res.table_captions
        assert all(c == c.lower() and " " not in c for c in t.columns), key
    keys = {f.key for f in res.figures}
    assert {"role_mix", "role_nps", "concentration", "revenue_coverage", "response_rates"} <= keys
    assert all(f.figure.get_size_inches()[0] <= 7.5 and f.caption for f in res.figures)


# --------------------------------------------------------------------------- roles


def test_decision_roles_guessed_or_configured():
    roles = ["User", "Executive", "Decision maker", "VP Sales", "Head of IT", "C-level", "Director of Ops",
             "Influencer", "Analyst", "Owner"]
    assert decision_roles(roles) == ["Executive", "Decision maker", "VP Sales", "Head of IT", "C-level",
                                     "Director of Ops", "Owner"]
    assert decision_roles(roles, configured=["analyst ", "USER"]) == ["User", "Analyst"]


def test_role_mix_chi_square_and_cramers_v_by_hand():
    # 80 users, 20 execs against contacts 50/50: expected 50/50,
    # chi2 = (80-50)^2/50 + (20-50)^2/50 = 36, V = sqrt(36 / (100 * 1)) = 0.6, p = P(chi2_1 > 36) = 1.97e-9
    d = pd.DataFrame({"role": ["user"] * 80 + ["exec"] * 20})
    c = pd.DataFrame({"role": ["user"] * 50 + ["exec"] * 50})
    t = role_mix(d, population=c)
    test = t.attrs["test"]
    assert test["chi2"] == pytest.approx(36.0) and test["cramers_v"] == pytest.approx(0.6)
    assert test["p_value"] == pytest.approx(math.erfc(6 / math.sqrt(2)))  # chi2_1 tail = 2 * (1 - Phi(6))
    row = t.set_index("role").loc["user"]
    assert row["representation"] == pytest.approx(1.6) and row["difference"] == pytest.approx(0.3)
    # exact binomial test of 80 of 100 at p = .5: 2 * P(X >= 80)
    hand = 2 * sum(math.comb(100, k) for k in range(80, 101)) / 2**100
    assert row["p_value"] == pytest.approx(hand, rel=1e-9)


def test_role_skew_fires_when_users_answer_and_executives_do_not():
    rates = {"User": 0.8, "Influencer": 0.5, "Decision Maker": 0.25, "Executive": 0.1}
    _, res = run(*world(seed=2, answer=lambda r, c: rates[r]))
    f = res.finding("balance.role_skew")
    assert f is not None and f.severity == "high"
    assert f.evidence["dominant_role"] == "User" and f.evidence["cramers_v"] >= 0.2
    assert f.evidence["decision_maker_representation"] < 0.5  # decision makers at under half their weight: high
    assert "role_adjusted_nps" in f.evidence


def test_role_skew_without_population_warns_on_dominance():
    res_df, *_ = world(seed=3)
    res_df["role"] = np.where(np.random.default_rng(3).random(len(res_df)) < 0.85, "User", "Executive")
    _, res = run(res_df)
    f = res.finding("balance.role_skew")
    assert f is not None and f.severity == "medium" and f.evidence["dominant_share"] > 0.8
    balanced = res_df.assign(role=np.random.default_rng(4).choice(ROLES, len(res_df)))
    assert run(balanced)[1].finding("balance.role_skew") is None


def test_nps_by_role_and_role_gap():
    # executives: mostly detractors; users: the usual mix
    execs = [30, 10, 10, 10, 10, 10, 10, 5, 5, 5, 5]
    _, res = run(*world(seed=5, score_by_role={"Executive": execs, "Decision Maker": execs}))
    f = res.finding("balance.role_gap")
    assert f is not None and f.severity == "high"
    assert f.evidence["decision_maker_gap"] < -40
    assert "Decision makers' NPS" in f.title
    _, clean = run(*world(seed=5))
    assert clean.finding("balance.role_gap") is None


def test_nps_by_role_difference_against_hand_computation():
    # user: 10 promoters, 10 detractors (NPS 0); exec: 15 promoters, 5 passives (NPS +75)
    d = pd.DataFrame({"role": ["user"] * 20 + ["exec"] * 20, "score": [10] * 10 + [0] * 10 + [9] * 15 + [8] * 5})
    t = nps_by_role(d, min_n=10).set_index("role")
    assert t.loc["exec", "nps"] == pytest.approx(75.0) and t.loc["user", "nps"] == pytest.approx(0.0)
    assert t.loc["exec", "diff_vs_rest"] == pytest.approx(75.0)
    # chi-square of the 2 x 3 table [[10, 0, 10], [0, 5, 15]]: expected [[5, 2.5, 12.5], [5, 2.5, 12.5]]
    # chi2 = 2 * (25/5 + 6.25/2.5 + 6.25/12.5) = 2 * (5 + 2.5 + .5) = 16
    assert t.attrs["test"]["chi2"] == pytest.approx(16.0)


# --------------------------------------------------------------------------- accounts


def test_single_voice_fires_and_stays_silent():
    res_df, acc, inv, con = world(seed=6)
    # one respondent per account: keep each account's first respondent only
    first = res_df.groupby("account_id")["respondent_id"].transform("first")
    _, res = run(res_df[res_df["respondent_id"] == first], acc, inv, con)
    f = res.finding("balance.single_voice")
    assert f is not None and f.severity == "high"
    assert f.evidence["share"] == 1.0 and f.evidence["single_voice_with_more_contacts"] == f.evidence["accounts"]
    assert run(res_df, acc, inv, con)[1].finding("balance.single_voice") is None


def test_gini_and_top_share_by_hand():
    # [1, 1, 1, 1, 6]: mean 2, sum of |xi - xj| over ordered pairs = 4 * 2 * 5 = 40 -> Gini = 40 / (2 * 25 * 2) = .4
    # Lorenz at 90% of accounts: between (.8, .4) and (1, 1) -> .4 + .5 * .6 = .7 -> top 10% share .3
    r = concentration([1, 1, 1, 1, 6])
    assert r.gini == pytest.approx(0.4) and r.top_share == pytest.approx(0.3)
    assert r.largest_share == pytest.approx(0.6)
    lc = lorenz_curve([1, 1, 1, 1, 6])
    assert lc["share_responses"].tolist() == pytest.approx([0, 0.1, 0.2, 0.3, 0.4, 1.0])
    assert concentration([3] * 20).gini == pytest.approx(0.0)


def test_concentration_fires_when_a_few_accounts_answer_most():
    rng = np.random.default_rng(7)
    big = [f"B{i}" for i in range(10)]
    small = [f"S{i}" for i in range(90)]
    accts = big * 40 + small  # 10 accounts x 40 responses, 90 accounts x 1
    d = pd.DataFrame({"account_id": accts, "respondent_id": [f"p{i}" for i in range(len(accts))],
                      "score": rng.choice(11, len(accts), p=P_SCORES).astype(float),
                      "responded_at": pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.uniform(0, 200, len(accts)),
                                                                                  unit="D")})
    _, res = run(d)
    f = res.finding("balance.concentration")
    assert f is not None and f.severity == "high"
    assert f.evidence["top10_share"] == pytest.approx(400 / 490, abs=0.01)
    even = d.assign(account_id=[f"E{i % 100}" for i in range(len(d))])
    assert run(even)[1].finding("balance.concentration") is None


# --------------------------------------------------------------------------- revenue coverage


def test_revenue_coverage_by_hand():
    # Q1: a (30) answered by a user, b (70) silent -> 30%, decision 0%; Q2: b answered by its VP -> 70%, 70%.
    r = pd.DataFrame({"account_id": ["a", "b"], "responded_at": pd.to_datetime(["2024-01-01", "2024-06-30"]),
                      "dm": [False, True]})
    a = pd.DataFrame({"account_id": ["a", "b"], "revenue": [30.0, 70.0]})
    t = revenue_coverage(r, a, decision="dm", target=0.8).set_index("period")
    assert t.loc["2024Q1", "share_heard"] == pytest.approx(0.3) and t.loc["2024Q1", "share_decision"] == 0.0
    assert t.loc["2024Q2", "share_heard"] == pytest.approx(0.7) and t.loc["2024Q2", "share_decision"] == 0.7
    assert t.loc["whole period", "share_heard"] == pytest.approx(1.0)
    assert not t["partial"].any()  # the responses span both quarters fully
    # an account that churned before a quarter no longer counts in it
    a2 = a.assign(churned=[False, True], outcome_at=pd.to_datetime(["2025-01-01", "2024-02-01"]))
    t2 = revenue_coverage(r, a2).set_index("period")
    assert t2.loc["2024Q2", "revenue"] == 30.0


def test_revenue_coverage_fires_when_most_revenue_is_unheard():
    res_df, acc, inv, con = world(seed=8)
    # the big accounts never answer
    big = acc.sort_values("revenue").tail(60)["account_id"]
    _, res = run(res_df[~res_df["account_id"].isin(big)], acc, inv, con)
    f = res.finding("balance.revenue_coverage")
    assert f is not None and f.severity == "high"
    assert f.evidence["mean_share_heard"] < 0.5


def test_revenue_coverage_silent_when_decision_makers_cover_revenue(clean):
    _, res = clean
    cov = res.tables["revenue_coverage"]
    assert (cov["share_heard"] >= 0.8).all() and (cov["share_decision"] >= 0.8).all()


# --------------------------------------------------------------------------- non-response


def test_match_invitations_window():
    inv = pd.DataFrame({"respondent_id": ["a", "a", "b", "c"],
                        "invited_at": pd.to_datetime(["2024-01-01", "2024-04-01", "2024-01-01", "2024-01-01"])})
    res = pd.DataFrame({"respondent_id": ["A ", "b", "c"],
                        "responded_at": pd.to_datetime(["2024-04-03", "2024-01-02", "2024-06-01"])})
    m = match_invitations(inv, res, window_days=90)
    # a's response goes to its April invitation; b answered; c answered 152 days later: outside the window
    assert m["responded"].tolist() == [False, True, True, False]


def test_design_effect_and_rao_scott_by_hand():
    # y = [1, 1, 0, 0] in accounts a, a, b, b: p = .5; cluster totals of (y - p): 1, -1;
    # var = G/(G-1) * (1 + 1) / n^2 = 2 * 2 / 16 = .25; SRS var = .25 / 4 = .0625 -> deff 4
    assert response_design_effect(pd.Series([True, True, False, False]), pd.Series(list("aabb"))) == 4.0
    inv = pd.DataFrame({"role": ["u"] * 50 + ["e"] * 50, "responded": [True] * 40 + [False] * 50 + [True] * 10,
                        "account_id": [f"x{i}" for i in range(100)]})
    t = nonresponse_bias(inv, ["role"], cluster="account_id")
    # 2 x 2 table [[10, 40], [40, 10]] (rows e, u; columns no, yes): chi2 = 100 (10*10 - 40*40)^2 / (50^4) = 36
    chi2 = 100 * (10 * 10 - 40 * 40) ** 2 / 50**4
    # one invitation per account: V = G/(G-1) (D - pp')/n, and C'1 = 0 for the interaction contrasts, so every
    # generalised design effect is G/(G-1)
    deff = 100 / 99
    assert t["statistic"].iloc[0] == pytest.approx(chi2 / deff)
    assert t["design_effect"].iloc[0] == pytest.approx(deff)
    assert t["effect_size"].iloc[0] == pytest.approx(math.sqrt(chi2 / 100))


def test_nonresponse_bias_fires_when_churned_accounts_and_executives_stay_silent():
    rates = {"User": 0.6, "Influencer": 0.5, "Decision Maker": 0.4, "Executive": 0.15}
    _, res = run(*world(seed=9, answer=lambda r, c: rates[r] * (0.3 if c else 1.0)))
    f = res.finding("balance.nonresponse_bias")
    assert f is not None and f.severity == "high"
    assert {"role", "churn"} <= set(f.evidence["attributes_differing"])


def test_nonresponse_bias_silent_when_answering_is_random(clean):
    _, res = clean
    assert res.finding("balance.nonresponse_bias") is None
    assert (res.tables["nonresponse"]["p_adj"] > 0.05).all()


# --------------------------------------------------------------------------- weighting


def test_account_weights_and_poststratification_by_hand():
    d = pd.DataFrame({"account_id": ["a", "a", "b", None], "role": ["user", "user", "user", "exec"]})
    assert account_weights(d).tolist() == [0.5, 0.5, 1.0, 1.0]
    # users 3 rows, exec 1; target 50/50: users weigh .5/3 each, exec .5, rescaled to sum to 4
    w = poststratify(d, "role", {"user": 0.5, "exec": 0.5})
    assert w.tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3, 2.0])
    assert kish_effective_n(w) == pytest.approx(16 / (3 * 4 / 9 + 4))  # (sum w)^2 / sum w^2 = 16 / 5.333 = 3


def test_weighted_nps_linearised_se_matches_statsmodels_cluster_robust():
    import statsmodels.api as sm

    rng = np.random.default_rng(10)
    n = 300
    d = pd.DataFrame({"score": rng.choice(11, n, p=P_SCORES).astype(float),
                      "account_id": rng.choice([f"A{i}" for i in range(60)], n)})
    w = rng.uniform(0.2, 3, n)
    r = weighted_nps(d, pd.Series(w), cluster="account_id")
    y = np.where(d["score"] >= 9, 1.0, np.where(d["score"] <= 6, -1.0, 0.0))
    # WLS of y on a constant = weighted mean; CR1 cluster-robust SE (G/(G-1) with K = 1) = the linearised SE
    fit = sm.WLS(y, np.ones(n), weights=w).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(d["account_id"])[0],
                                                                            "use_correction": True})
    assert r.nps == pytest.approx(100 * fit.params[0])
    assert r.se == pytest.approx(100 * fit.bse[0], rel=1e-6)
    assert r.effective_n == pytest.approx(w.sum() ** 2 / (w**2).sum())


def test_adjusted_nps_reweights_towards_the_population():
    # users (NPS +50) are 80% of responses but 50% of contacts; execs (NPS -50) the rest:
    # raw = .8 * 50 + .2 * -50 = +30; role-weighted = .5 * 50 + .5 * -50 = 0
    users = [10] * 60 + [8] * 20 + [3] * 0
    users = [10] * 50 + [8] * 20 + [3] * 10  # 50 P, 20 Pa, 10 D of 80: NPS +50
    execs = [10] * 2 + [8] * 6 + [3] * 12  # 2 P, 6 Pa, 12 D of 20: NPS -50
    d = pd.DataFrame({"score": users + execs, "role": ["user"] * 80 + ["exec"] * 20,
                      "account_id": [f"A{i}" for i in range(100)]})
    t = adjusted_nps(d, population_shares={"user": 0.5, "exec": 0.5}).set_index("estimate")
    assert t.iloc[0]["nps"] == pytest.approx(30.0)
    assert t.loc["roles weighted to the contacts' mix", "nps"] == pytest.approx(0.0, abs=1e-9)
    assert t.loc["each account counts once", "nps"] == pytest.approx(30.0)  # one response per account
    assert t.loc["roles weighted to the contacts' mix", "difference"] == pytest.approx(-30.0)


# --------------------------------------------------------------------------- missing inputs and odd data


def test_not_assessed_without_roles_or_accounts():
    d = pd.DataFrame({"score": [9.0, 3.0], "responded_at": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    res = balance.diagnose(prepare(from_frames(d), as_of=NOW))
    assert res.status == "not_assessed" and "role" in res.not_assessed_reason


@pytest.mark.parametrize("case", ["one_row", "one_role", "no_revenue", "no_respondent", "empty_after_clean"])
def test_odd_data_never_raises(case):
    res_df, acc, inv, con = world(seed=11, n_accounts=30, quarters=1)
    if case == "one_row":
        res_df = res_df.head(1)
    elif case == "one_role":
        res_df = res_df.assign(role="User")
    elif case == "no_revenue":
        acc = acc.drop(columns=["revenue"])
    elif case == "no_respondent":
        res_df = res_df.drop(columns=["respondent_id"])
        inv = inv.drop(columns=["respondent_id"])
    else:
        res_df = res_df.assign(score=np.nan)
    data = from_frames(res_df, accounts=acc, invitations=inv, contacts=con)
    res = balance.diagnose(prepare(data, as_of=NOW))
    assert res.area == "balance"
    json.dumps([f.to_dict() for f in res.findings])


# --------------------------------------------------------------------------- demo client


DEMO = ROOT / "examples" / "demo" / "responses.csv"
REF = ROOT / "tests" / "reference"


@pytest.fixture(scope="module")
def demo():
    if not DEMO.exists():
        pytest.skip("demo data not generated")
    from npsdiag.io import load

    prep = prepare(load(ROOT / "examples" / "demo" / "config.yml"))
    return prep, balance.diagnose(prep)


def test_demo_planted_imbalances_fire(demo):
    _, res = demo
    skew = res.finding("balance.role_skew")
    assert skew is not None and skew.evidence["dominant_role"] == "User" and skew.severity == "high"
    cov = res.finding("balance.revenue_coverage")
    assert cov is not None and cov.severity in ("high", "medium")


def test_demo_nonresponse_table_equals_svychisq(demo):
    # R's svychisq(~attribute + responded, svydesign(ids = ~account), statistic = "Chisq") per attribute, then
    # p.adjust(BH), on attributes derived in R from the raw exports (tests/reference/balance_nonresponse.R): each
    # table has its own first-order correction (before: the response rate's design effect, 14.5, for every table)
    _, res = demo
    ref = pd.read_csv(REF / "balance_nonresponse_r.csv").set_index("attribute")
    got = next(c for c in res.checks if c.name == "nonresponse").context["tests"].set_index("attribute")
    assert sorted(got.index) == sorted(ref.index)
    for attribute, row in ref.iterrows():
        g = got.loc[attribute]
        assert g["p_value"] == pytest.approx(row["p_value"], rel=1e-6), attribute
        assert g["p_adj"] == pytest.approx(row["p_adj"], rel=1e-6), attribute
        assert g["dof"] == row["dof"] and g["n"] == row["n"]
        assert g["statistic"] * g["design_effect"] == pytest.approx(row["chi2"], rel=1e-9)
    deff = got["design_effect"]
    assert deff["Industry"] > 3 * deff["role"] and deff["churn"] > 2 * deff["ARR"]
    # churned accounts' invitations were answered more often (39% against 32%): p 0.021 done properly
    assert got.loc["churn", "p_value"] == pytest.approx(0.0206, abs=1e-4)


def test_rao_scott_codes_equal_svychisq_per_row_and_per_account():
    # the integer-code path: per invitation, and as counts per account (an account attribute), equal R
    from npsdiag.stats.design import rao_scott_codes

    d = pd.read_csv(REF / "demo_invitations.csv")
    ref = pd.read_csv(REF / "rao_scott_r.csv").set_index("attribute")
    acc, accounts = pd.factorize(d["account"])
    y = d["responded"].to_numpy()
    inv_u, ans_u = np.bincount(acc), np.bincount(acc, weights=y)
    for attribute, row in ref.iterrows():
        lv, _ = pd.factorize(d[attribute])
        got = rao_scott_codes(lv, y, acc)
        assert got.chi2 == pytest.approx(row["chi2"], rel=1e-9) and got.dof == row["dof"]
        assert got.p_value == pytest.approx(row["p_value"], rel=1e-6)
        if attribute != "role":  # industry and status are the account's: one record per account and answer
            per_acc = np.zeros(len(accounts), dtype=np.intp)
            per_acc[acc] = lv
            both = rao_scott_codes(np.r_[per_acc, per_acc], np.repeat([0, 1], len(accounts)),
                                   np.r_[np.arange(len(accounts)), np.arange(len(accounts))],
                                   np.r_[inv_u - ans_u, ans_u])
            assert both.p_value == pytest.approx(row["p_value"], rel=1e-9)
            assert both.deff_mean == pytest.approx(got.deff_mean, rel=1e-9)


def test_rao_scott_codes_equal_the_row_level_test_and_keep_the_domain():
    from npsdiag.stats.design import rao_scott_codes
    from npsdiag.stats.survey import chisq_rao_scott

    rng = np.random.default_rng(4)
    n = 3000
    acc = rng.integers(0, 150, n)
    a_eff = rng.normal(0, 1, 150)[acc]
    level = rng.integers(0, 3, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(a_eff + 0.3 * level - 0.5)))).astype(int)
    want = chisq_rao_scott(level, y, acc)
    got = rao_scott_codes(level, y, acc)
    assert got.deff_mean == pytest.approx(want.deff_mean, rel=1e-9) and got.p_value == pytest.approx(want.p_value)
    # a level missing for some units: those units leave the table but their clusters stay in the design (R counts
    # the design's primary units, G = 150 here, in G/(G-1)); the row-level test of survey.py drops them
    lv = np.where(acc < 10, -1, level)
    got = rao_scott_codes(lv, y, acc)
    assert got.clusters == 150 and got.n == int((acc >= 10).sum())
    sub = chisq_rao_scott(level[acc >= 10], y[acc >= 10], acc[acc >= 10])
    assert got.deff_mean == pytest.approx(sub.deff_mean * (150 / 149) / (140 / 139), rel=1e-9)


def test_which_nps_equals_svymean_on_the_demo(demo):
    # every response, one vote per account (weights 1/responses), decision makers (a domain of the design):
    # estimates and linearised SEs of R survey::svymean (tests/reference/balance_which_nps.R)
    from npsdiag.stats.nps import nps_from_counts

    prep, res = demo
    ref = pd.read_csv(REF / "balance_which_nps_r.csv").set_index("measure")
    got = next(c for c in res.checks if c.name == "adjusted_nps").context["which_nps"].set_index("measure")
    assert list(got.index) == ["All responses", "One vote per account", "Decision makers"]
    for measure, row in ref.iterrows():
        g = got.loc[measure]
        assert g["nps"] == pytest.approx(100 * row["estimate"], rel=1e-9), measure
        assert g["se"] == pytest.approx(100 * row["se"], rel=1e-9), measure
        assert (g["n"], g["accounts"]) == (row["n"], row["accounts"])
    # intervals: Rocks' adjusted Wald on the counts divided by R's design effect (every response, decision makers),
    # the Wald interval for the weighted estimate
    x = pd.read_csv(REF / "balance_demo_responses.csv")
    for measure, rows in (("All responses", x), ("Decision makers", x[x["decision"] == 1])):
        c = np.array([(rows["x"] == v).sum() for v in (-1, 0, 1)]) / ref.loc[measure, "deff"]
        want = nps_from_counts(*c)
        assert got.loc[measure, "ci_low"] == pytest.approx(100 * float(want["ci_low"]), abs=1e-6)
        assert got.loc[measure, "ci_high"] == pytest.approx(100 * float(want["ci_high"]), abs=1e-6)
    one = ref.loc["One vote per account"]
    assert got.loc["One vote per account", "ci_low"] == pytest.approx(100 * (one["estimate"] - 1.959964 * one["se"]),
                                                                      abs=1e-3)
    # the first row is the headline, interval included
    from npsdiag.diagnosis import headline

    h = headline(prep)
    assert (round(got.loc["All responses", "ci_low"], 1), round(got.loc["All responses", "ci_high"], 1)) == \
        (h["ci_low"], h["ci_high"])


def test_which_nps_by_hand():
    # accounts a: 10, 10, 0; b: 9; c: 0, 5; d: 8 -> x = 1, 1, -1 | 1 | -1, -1 | 0; decision makers: a's first, c's first
    d = pd.DataFrame({"score": [10, 10, 0, 9, 0, 5, 8], "account_id": list("aaabccd"),
                      "dm": [True, False, False, False, True, False, False]})
    got = balance.which_nps(d, decision="dm").set_index("measure")
    # every response: mean 0; cluster totals of (x - 0)/7: 1/7, 1/7, -2/7, 0 -> var = 4/3 * 6/49
    assert got.loc["All responses", "nps"] == 0.0
    assert got.loc["All responses", "se"] == pytest.approx(100 * math.sqrt(4 / 3 * 6 / 49))
    # one vote per account: the mean of the account means 1/3, 1, -1, 0, and their s / sqrt(4)
    means = np.array([1 / 3, 1, -1, 0])
    assert got.loc["One vote per account", "nps"] == pytest.approx(100 * means.mean())
    assert got.loc["One vote per account", "se"] == pytest.approx(100 * means.std(ddof=1) / 2)
    # decision makers: x = 1 (a), -1 (c), a domain of the 4-account design: totals 1/2, -1/2 -> var = 4/3 * 1/2
    assert got.loc["Decision makers", "nps"] == 0.0
    assert got.loc["Decision makers", "se"] == pytest.approx(100 * math.sqrt(4 / 3 * 0.5))
    assert got.loc["Decision makers", "accounts"] == 2 and got.loc["One vote per account", "accounts"] == 4
    assert list(got.columns) == ["nps", "se", "ci_low", "ci_high", "n", "accounts"]


def test_adjusted_nps_raw_row_has_the_design_based_interval(demo):
    prep, res = demo
    from npsdiag.diagnosis import headline

    raw = res.tables["adjusted_nps"].iloc[0]
    h = headline(prep)
    assert (round(raw["ci_low"], 1), round(raw["ci_high"], 1)) == (h["ci_low"], h["ci_high"])
    assert raw["effective_n"] == pytest.approx(h["effective_n"], abs=0.5)


# --------------------------------------------------------------------------- sound only on evidence


def test_sound_only_when_the_representation_checks_ran(clean):
    from npsdiag.areas.balance import rules

    _, res = clean
    assert res.summary_text.startswith("Responses represent the customer base reasonably")
    by_name = {c.name: c for c in res.checks}
    assert not by_name["adjusted_nps"].substantive  # a descriptive table
    assert all(c.substantive for n, c in by_name.items() if n != "adjusted_nps")
    # any of the four checks missing: never "represent the customer base"
    for name in rules.REPRESENTATION_CHECKS:
        checks = [c if c.name != name else Check.skipped(name, "needs something") for c in res.checks]
        text = rules.summary([], checks)
        assert "represent" not in text and "needs something" in text and rules.REPRESENTATION_CHECKS[name] in text
    # an export with accounts only (no role, no contacts, no revenue, no invitations, every account answered)
    res_df, acc, _, _ = world(seed=2, n_accounts=40, quarters=1)
    _, res = run(res_df.drop(columns=["role", "respondent_id"]), acc.drop(columns=["revenue"]))
    assert res.status != "green" and "represent" not in res.summary_text


def test_not_assessed_reasons_are_plain_words():
    import re

    res_df, acc, inv, _ = world(seed=2, n_accounts=40, quarters=1)
    cases = [run(res_df.drop(columns=["role", "respondent_id"]), acc.drop(columns=["revenue"]))[1],
             run(res_df, None, inv.drop(columns=["respondent_id", "invited_at"]))[1],
             balance.diagnose(prepare(from_frames(res_df[["score", "responded_at"]]), as_of=NOW))]
    reasons = [c.reason for res in cases for c in res.checks if not c.assessed] + [cases[2].not_assessed_reason]
    assert len(reasons) >= 8
    for reason in reasons:
        assert not re.search(r"\b[a-z_]+\.[a-z_]+\b|\(\w+\.|_id\b", reason), reason
    assert "needs the list of contacts per account" in reasons


# --------------------------------------------------------------------------- flat account exports


def flat_export(seed: int, churned_rate: float, retained_rate: float, n: int = 3000):
    """A flat account export: one row per account of the customer base, a score where the account answered."""
    rng = np.random.default_rng(seed)
    churned = rng.random(n) < 0.1
    answered = rng.random(n) < np.where(churned, churned_rate, retained_rate)
    flat = pd.DataFrame({"account_id": [f"U{i}" for i in range(n)], "churned": churned,
                         "Plan": rng.choice(["Basic", "Pro", "Enterprise"], n),
                         "revenue": np.round(rng.lognormal(9, 1, n), -1),
                         "score": np.where(answered, rng.choice(11, n, p=P_SCORES), np.nan),
                         "responded_at": pd.Timestamp("2024-06-01")})
    data = from_frames(flat.drop(columns=["churned", "Plan", "revenue"]),
                       accounts=flat[["account_id", "churned", "Plan", "revenue"]], account_segments=["Plan"])
    return flat, prepare(data, as_of=NOW)


def test_flat_export_compares_responding_with_other_accounts():
    # churned accounts answer 10% of the time, retained ones 22%: a planted difference
    flat, prep = flat_export(7, 0.10, 0.22)
    res = balance.diagnose(prep)
    check = next(c for c in res.checks if c.name == "nonresponse")
    assert check.assessed and check.context["unit"] == "accounts"
    answered = flat["score"].notna()
    assert check.context["responded"] == int(answered.sum()) and check.context["units"] == len(flat)
    assert any(f"{pct(answered.mean())} of 3,000 accounts" in n or f"({pct(answered.mean())}) responded" in n
               for n in check.notes)
    f = res.finding("balance.nonresponse_bias")
    assert f is not None and "churn" in f.evidence["attributes_differing"]
    assert f.evidence["accounts"] == 3000 and "accounts" in f.title
    # independent computation: Pearson's chi-square of churned x answered among accounts, BH over 3 attributes
    from scipy.stats import chi2_contingency

    t = check.context["tests"].set_index("attribute")
    table = pd.crosstab(flat["churned"], answered).to_numpy()
    p = chi2_contingency(table, correction=False)[1]
    assert t.loc["churn", "p_value"] == pytest.approx(p, rel=1e-9) and t.loc["churn", "test"] == "chi-square"
    assert len(t) == 3 and {"ARR", "churn", "Plan"} == set(t.index)
    # the building blocks give the same table
    acc = balance.account_attributes(prep.accounts, prep.responses, segments=["Plan"])
    nr = balance.nonresponse_bias(acc, ["arr_band", "churn_status", "Plan"], cluster=None,
                                  labels={"arr_band": "ARR", "churn_status": "churn"}).set_index("attribute")
    np.testing.assert_allclose(nr["p_adj"], t.loc[nr.index, "p_adj"], rtol=1e-12)


def test_flat_export_without_a_difference_stays_silent():
    _, prep = flat_export(8, 0.2, 0.2)
    res = balance.diagnose(prep)
    check = next(c for c in res.checks if c.name == "nonresponse")
    assert check.assessed and res.finding("balance.nonresponse_bias") is None


def test_flat_export_through_init_compares_accounts_and_reports_coverage(tmp_path):
    # issue 19 class 4, as a consultant runs it: one flat file of the whole customer base (a score only where the
    # account answered, blank or R's NA elsewhere), `npsdiag init` maps it as responses and accounts, then balance
    import io

    from npsdiag.init import init
    from npsdiag.io import load

    rng = np.random.default_rng(21)
    n = 1500
    churned = rng.random(n) < 0.12
    answered = rng.random(n) < np.where(churned, 0.12, 0.30)  # churned accounts answered less often
    score = rng.integers(0, 11, n).astype(object)
    score[~answered] = "NA"
    flat = pd.DataFrame({"Account ID": [f"ACC-{i:05d}" for i in range(n)],
                         "Company": [f"Company {i}" for i in range(n)],
                         "ARR": np.round(rng.lognormal(10, 1, n), -1), "NPS": score,
                         "Churned": np.where(churned, "Yes", "No")})
    flat.to_csv(tmp_path / "accounts.csv", index=False)
    init([str(tmp_path / "accounts.csv")], output=tmp_path / "c.yml", out=io.StringIO())
    text = (tmp_path / "c.yml").read_text(encoding="utf-8")
    (tmp_path / "c.yml").write_text(text.replace('survey_date: "YYYY-MM-DD"', 'survey_date: "2025-06-30"'),
                                    encoding="utf-8")
    prep = prepare(load(tmp_path / "c.yml"), as_of=NOW)
    res = balance.diagnose(prep)
    check = next(c for c in res.checks if c.name == "nonresponse")
    k = int(answered.sum())
    assert check.assessed and check.context["unit"] == "accounts"
    assert (check.context["responded"], check.context["units"]) == (k, n)
    assert check.notes[0] == f"Response coverage: {k:,} of {n:,} accounts ({pct(k / n)}) responded."
    # independent: Pearson's chi-square of churned x answered over the accounts of the file
    p = stats.chi2_contingency(pd.crosstab(churned, answered).to_numpy(), correction=False)[1]
    t = check.context["tests"].set_index("attribute")
    assert t.loc["churn", "p_value"] == pytest.approx(p, rel=1e-9)
    f = res.finding("balance.nonresponse_bias")
    assert f is not None and "churn" in f.evidence["attributes_differing"]
    assert f"{k:,} of {n:,} accounts" in f.detail


def test_accounts_that_all_answered_are_not_a_customer_base():
    # every listed account answered (a consumer export joined to its CRM): who did not answer is unknown
    flat, prep = flat_export(9, 1.0, 1.0, n=200)
    check = next(c for c in balance.diagnose(prep).checks if c.name == "nonresponse")
    assert not check.assessed and "every account listed responded" in check.reason


def test_accounts_that_left_before_the_survey_are_not_non_responders():
    # churned before the first response: they could not answer, so they are left out of the comparison
    flat, _ = flat_export(10, 0.2, 0.2, n=1000)
    acc = flat[["account_id", "churned", "Plan"]].assign(
        outcome_at=np.where(flat["churned"], pd.Timestamp("2023-01-01"), pd.Timestamp("2024-09-01")))
    dated = flat.drop(columns=["churned", "Plan", "revenue"]).assign(
        responded_at=pd.Timestamp("2024-03-01") + pd.to_timedelta(np.arange(len(flat)) % 90, unit="D"))
    prep = prepare(from_frames(dated, accounts=acc, account_segments=["Plan"]), as_of=NOW)
    check = next(c for c in balance.diagnose(prep).checks if c.name == "nonresponse")
    left = int(flat["churned"].sum())
    assert check.context["units"] == len(flat) - left and f"{left} accounts that were not customers" in check.notes[0]


def test_exact_test_for_small_tables_equals_fisher_in_r():
    from npsdiag.stats.design import independence_test

    # R: fisher.test(matrix(c(1, 5, 5, 1), 2))$p.value = 0.08008658008658
    got = independence_test(["a", "b"], [6, 6], [5, 1])
    assert got.test == "Fisher's exact" and got.p_value == pytest.approx(0.08008658008658, rel=1e-9)
    # R: fisher.test(matrix(c(3, 8, 5, 10, 2, 5), 3))$p.value = 0.0261358285203747 (exact); here 9,999 draws
    got = independence_test(["a", "b", "c"], [13, 10, 10], [10, 2, 5])
    assert got.test == "Fisher's exact" and got.p_value == pytest.approx(0.0261358285203747, abs=0.005)
    assert independence_test(["a", "b"], [60, 60], [30, 20]).test == "chi-square"  # expected counts >= 5


# --------------------------------------------------------------------------- large-export code paths


def test_building_blocks_agree_with_diagnose_on_counts():
    # diagnose counts on integer codes and per-account aggregates; the row-level building blocks an analyst
    # calls must give the same tables (an independent computation of each)
    rates = {"User": 0.7, "Influencer": 0.5, "Decision Maker": 0.35, "Executive": 0.2}
    res_df, acc, inv, con = world(seed=12, answer=lambda r, c: rates[r] * (0.5 if c else 1.0))
    res_df.loc[res_df.index[:40], "role"] = " user"  # spelled differently: unified with "User"
    prep, res = run(res_df, acc, inv, con)
    m = match_invitations(prep.invitations, prep.responses)
    m = balance.invitation_attributes(m, prep.accounts, account_segments=["Industry"])
    labels = {"role": "role", "arr_band": "ARR", "churn_status": "churn"}
    nr = nonresponse_bias(m, ["role", "arr_band", "churn_status", "Industry"], labels=labels)
    got = res.tables["nonresponse"].set_index("attribute")
    for _, row in nr.iterrows():
        g = got.loc[row["attribute"]]
        assert g["p_adj"] == pytest.approx(row["p_adj"], rel=1e-9)
        assert g["effect_size"] == pytest.approx(row["effect_size"], rel=1e-9)
        assert g["design_effect"] == pytest.approx(row["design_effect"], rel=1e-9)
        assert g["n"] == row["n"] and g["comparison"] == row["comparison"]
    rr = balance.response_rates(m, "role")
    got_rr = res.tables["response_rates"].query("attribute == 'role'")
    assert got_rr["level"].tolist() == rr["level"].tolist()
    assert got_rr["responded"].tolist() == rr["responded"].tolist()
    r = prep.responses
    per = balance.respondents_per_account(r)
    rev = prep.accounts.set_index("account_id")["revenue"]
    pd.testing.assert_frame_equal(res.tables["voices_per_account"], balance.voice_distribution(per, rev))
    dm = r["role"].str.strip().str.casefold().isin(["decision maker", "executive"])
    cov = revenue_coverage(r.assign(dm=dm), prep.accounts, decision="dm")
    pd.testing.assert_frame_equal(res.tables["revenue_coverage"].reset_index(drop=True),
                                  cov.tail(13).reset_index(drop=True))
    mix = res.tables["role_mix"].set_index("role")
    assert mix.loc["User", "responses"] == int((r["role"].str.strip().str.casefold() == "user").sum())
    assert len(nr) == 4 and "user" not in mix.index


def test_unified_roles_take_the_most_common_spelling():
    u = balance.unify_roles(pd.Series(["User", "user ", "User", None, " "]), pd.Series(["USER", "Exec"]))
    assert u[0].tolist()[:3] == ["User"] * 3 and u[0].isna().tolist()[3:] == [True, True]
    assert u[1].tolist() == ["User", "Exec"]


@pytest.mark.parametrize("case", ["contacts", "tie_at_quantile"])
def test_analytic_concentration_null_matches_multinomial_simulation(case):
    # independent computation: simulate the multinomial null directly (each account one response, the rest
    # spread in proportion to the accounts' contacts) and compare the top-10% share's mean, sd and tail
    from npsdiag.areas.balance import top_share_null

    rng = np.random.default_rng(13)
    k = 3000
    if case == "contacts":
        n, w = 24000, rng.integers(1, 12, k).astype(float)
    else:
        # equal weights, n - k = 1.74477 k: P(Poisson <= 3) = 0.9, so 90% of accounts sit just at 4 responses
        # or fewer and the top 10% boundary falls on a tie (the non-normal case)
        n, w = k + 5234, np.ones(k)
    sims = 1 + rng.multinomial(n - k, w / w.sum(), size=3000)
    top = np.sort(sims, axis=1)[:, ::-1][:, :300].sum(axis=1) / n  # top 10% of 3000 accounts = 300 accounts
    q95 = float(np.quantile(top, 0.95))
    null = top_share_null(k, n, w, 0.10, observed=q95)
    assert null.mean == pytest.approx(top.mean(), abs=3 * top.std() / np.sqrt(len(top)))
    assert null.sd == pytest.approx(top.std(ddof=1), rel=0.08)
    assert 0.035 < null.p_value < 0.065  # the simulations' 95th percentile: p about 5%
    c = concentration(sims[0], weights=w, max_sim_accounts=0)
    assert c.method == "analytic" and c.expected_top_share == pytest.approx(null.mean)


def test_concentration_analytic_path_fires_and_stays_silent():
    rng = np.random.default_rng(14)
    k = 4000  # above SIMULATE_MAX_ACCOUNTS: analytic null
    even = 1 + rng.multinomial(4 * k, np.ones(k) / k)
    r = concentration(even)
    assert r.method == "analytic" and r.p_value > 0.01
    skewed = np.concatenate([np.full(400, 60), np.ones(k - 400)])  # top 10%: 24,000 of 27,600 responses
    r = concentration(skewed)
    assert r.top_share == pytest.approx(24000 / 27600) and r.p_value < 1e-4  # the floor: 1 / 200,001
    assert r.expected_top_share < 0.3


def test_poststratify_on_categorical_strata_ignores_unused_categories():
    d = pd.DataFrame({"role": ["user", "user", "user", "exec"]})
    cat = d.assign(role=pd.Categorical(d["role"], categories=["user", "exec", "admin"]))
    target = {"user": 0.4, "exec": 0.4, "admin": 0.2}  # admin absent from the data: renormalised to 50/50
    assert poststratify(cat, "role", target).tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3, 2.0])
    assert poststratify(d, "role", target).tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3, 2.0])


def test_single_voice_is_not_a_finding_for_consumer_exports():
    """Each account one customer (bank/telco exports): nobody else could have been heard, so no finding."""
    res_df, acc, inv, con = world(seed=6)
    first = res_df.groupby("account_id")["respondent_id"].transform("first")
    single = res_df[res_df["respondent_id"] == first]
    # no respondent id and no contact list: how many people an account has is unknown
    prep, res = run(single.drop(columns=["respondent_id"]), acc)
    assert res.finding("balance.single_voice") is None
    assert any("Single voice not assessed" in n and "no respondent id" in n for n in res.notes)
    # respondent ids, but never two people for one account and no contact list: individual customers
    prep, res = run(single, acc)
    assert res.finding("balance.single_voice") is None
    assert any("individual customers" in n for n in res.notes)
    # a B2B export without a contact list where some accounts are heard through two people still fires
    two = res_df.groupby("account_id")["respondent_id"].transform(lambda s: s.isin(s.unique()[:2]))
    mostly = res_df[(res_df["respondent_id"] == first) | (two & (res_df["account_id"].isin(acc["account_id"][:20])))]
    f = run(mostly, acc)[1].finding("balance.single_voice")
    assert f is not None and f.evidence["share"] > 0.8


def test_result_pickles_with_its_figures(clean):
    # an area's result can be pickled (e.g. kept by an analyst), figures included: drawn ones and ones drawn on demand
    import pickle

    _, res = clean
    back = pickle.loads(pickle.dumps(res))
    assert [f.key for f in back.figures] == [f.key for f in res.figures]
    ax = next(f for f in back.figures if f.key == "role_mix").figure.axes[0]
    assert ax.xaxis.get_major_formatter()(0.4, 0) == "40%"


# --------------------------------------------------------------------------- the package's parts


def test_every_check_is_listed_assessed_or_not(clean):
    names = ["adjusted_nps", "role_mix", "role_gap", "voices_per_account", "concentration", "revenue_coverage",
             "nonresponse"]
    _, res = clean
    assert [c.name for c in res.checks] == names and all(c.assessed for c in res.checks)
    # no role and no invitations: the role checks and non-response are listed, not assessed, with a reason
    res_df, acc, _, _ = world(seed=1, n_accounts=30, quarters=1)
    _, res = run(res_df.drop(columns=["role"]), acc)
    by_name = {c.name: c for c in res.checks}
    assert list(by_name) == names
    assert {n for n, c in by_name.items() if not c.assessed} == {"role_mix", "role_gap", "nonresponse"}
    assert "role" in by_name["role_mix"].reason and "invitations" in by_name["nonresponse"].reason
    # an area that cannot be assessed at all still lists its checks
    d = pd.DataFrame({"score": [9.0, 3.0], "responded_at": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    res = balance.diagnose(prepare(from_frames(d), as_of=NOW))
    assert [c.name for c in res.checks] == names and not any(c.assessed for c in res.checks)


def test_concentration_rule_is_low_when_contacts_explain_it():
    from npsdiag.areas.balance import rules
    from npsdiag.stats.concentration import Concentration

    conc = Concentration(accounts=100, responses=490, gini=0.6, top_share=0.8, largest_share=0.1,
                         expected_top_share=0.2, null_sd=0.02, p_value=0.0025, method="simulation")
    ctx = {"concentration": conc, "alpha": 0.05, "top_contact_share": None}
    assert rules.concentration(ctx).severity == "high"  # top 10% give 80% >= 60%
    # the same accounts hold 70% of the contacts: 80% <= 1.25 x 70%, their weight reflects their size
    f = rules.concentration({**ctx, "top_contact_share": 0.7})
    assert f.severity == "low" and f.evidence["top10_contact_share"] == 0.7
    assert rules.concentration({**ctx, "concentration": Concentration(**{**conc.to_dict(), "p_value": 0.2})}) is None
    assert rules.concentration({}) is None  # a check that was not assessed


def test_design_effect_with_observations_outside_clusters_by_hand():
    from npsdiag.stats.design import proportion_design_effect, proportion_design_effect_counts

    # y = 1, 1 in cluster a, two invitations without a cluster answering 0: p = .5, n = 4, G = 3;
    # cluster totals of (y - p): 1, -.5, -.5 -> var = 3/2 * 1.5 / 16 = .140625; SRS .25 / 4 = .0625 -> deff 2.25
    assert proportion_design_effect_counts([2], [2], n_alone=2, successes_alone=0) == pytest.approx(2.25)
    flag, cluster = pd.Series([True, True, False, False]), pd.Series(["a", "a", None, None])
    assert proportion_design_effect(flag, cluster) == pytest.approx(2.25)
    assert proportion_design_effect(flag) == 1.0  # no clusters


def test_figures_draw_on_a_given_axes_and_leave_settings_alone():
    import matplotlib
    from matplotlib.figure import Figure

    before = dict(matplotlib.rcParams)
    d = pd.DataFrame({"role": ["Plan $5 user"] * 80 + ["exec"] * 20, "score": [10.0] * 60 + [0.0] * 40})
    mix = role_mix(d, population=pd.DataFrame({"role": ["Plan $5 user", "exec"] * 50}))
    ax = Figure().subplots()
    assert balance.plot_role_mix(mix, "contacts", ax=ax) is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["exec", r"Plan \$5 user"]  # client text kept literal
    new = balance.plot_role_nps(nps_by_role(d, min_n=10), adjusted_nps(d, account=None))
    assert new.figure.get_size_inches()[0] == 7.5 and len(new.get_yticklabels()) == 3
    per = balance.respondents_per_account(pd.DataFrame({"account_id": list("aabbbc")}))
    axes = balance.plot_concentration(per, concentration(per["responses"]))
    assert len(axes) == 2 and axes[0].figure is axes[1].figure
    assert dict(matplotlib.rcParams) == before


# --------------------------------------------------------------------------- roles, accounts answering alike


def test_nps_by_role_and_decision_gap_equal_survey_on_the_demo(demo):
    # each role a domain of the design (svyby), its difference from the other roles and decision makers' from
    # other roles' (svycontrast of two domains sharing accounts), category x role (svychisq, Rao-Scott):
    # tests/reference/balance_roles.R
    from npsdiag.stats.nps import nps_from_counts

    _, res = demo
    ref = pd.read_csv(REF / "balance_roles_r.csv")
    ctx = next(c for c in res.checks if c.name == "role_gap").context
    t = ctx["by_role"].set_index("role")
    for _, row in ref[ref["what"] == "role"].iterrows():
        g = t.loc[row["group"]]
        assert g["nps"] == pytest.approx(100 * row["estimate"], rel=1e-9)
        c = np.array([g["pct_detractors"], g["pct_passives"], g["pct_promoters"]]) / 100 * g["n"] / row["deff"]
        want = nps_from_counts(*c)
        assert g["ci_low"] == pytest.approx(100 * float(want["ci_low"]), abs=1e-6)
        assert g["ci_high"] == pytest.approx(100 * float(want["ci_high"]), abs=1e-6)
    p_values = []
    for _, row in ref[(ref["what"] == "contrast") & (ref["group"] != "decision makers")].iterrows():
        assert t.loc[row["group"], "diff_vs_rest"] == pytest.approx(100 * row["estimate"], rel=1e-9)
        p_values.append(2 * stats.norm.sf(abs(row["estimate"] / row["se"])))
    from npsdiag.stats.multiplicity import bh_adjust

    np.testing.assert_allclose(t.loc[ref[(ref["what"] == "contrast") & (ref["group"] != "decision makers")]["group"],
                                     "p_adj"], bh_adjust(pd.Series(p_values)), rtol=1e-9)
    dm = ref[ref["group"] == "decision makers"].iloc[0]
    gap = ctx["decision_gap"]
    assert gap.diff == pytest.approx(100 * dm["estimate"], rel=1e-9) and gap.se == pytest.approx(100 * dm["se"],
                                                                                                 rel=1e-9)
    chi = ref[ref["what"] == "chisq"].iloc[0]  # estimate: Pearson's X², se: the Rao-Scott p-value
    test = ctx["test"]
    assert test["chi2"] * test["design_effect"] == pytest.approx(chi["estimate"], rel=1e-9)
    assert test["p_value"] == pytest.approx(chi["se"], rel=1e-6)
    # the unclustered test said the Influencers' gap was significant (p_adj 0.007); accounts answering alike
    # make it -6 points, p_adj 0.10
    assert t.loc["Influencer", "p_adj"] > 0.05


def test_one_vs_rest_equals_the_change_of_two_domains():
    from npsdiag.stats.design import one_vs_rest
    from npsdiag.stats.survey import nps_change_clustered

    rng = np.random.default_rng(1)
    n = 2000
    g = rng.integers(0, 120, n)
    key = rng.integers(-1, 4, n)
    x = rng.choice([-1.0, 0.0, 1.0], n)
    diff, var = one_vs_rest(x, key, 4, g)
    d = pd.DataFrame({"score": np.where(x < 0, 0, np.where(x > 0, 10, 7)), "acc": g})
    for r in range(4):
        d["grp"] = np.where(key == r, "a", np.where(key >= 0, "b", None))
        want = nps_change_clustered(d, "grp", "b", "a", cluster="acc")
        assert 100 * diff[r] == pytest.approx(want.diff, rel=1e-12)
        assert 100 * np.sqrt(var[r]) == pytest.approx(want.se, rel=1e-9)


def test_code_paths_equal_the_survey_functions(monkeypatch):
    # the integer-code paths the area uses at a million responses give the numbers of the row-level functions
    # (themselves equal to R survey: tests/test_reference_r.py), also when clusters x domains are counted in blocks
    import npsdiag.stats.design as design
    from npsdiag.stats.nps import domain_design_effects
    from npsdiag.stats.survey import nps_by_clustered, nps_clustered

    rng = np.random.default_rng(3)
    n = 5000
    g = rng.integers(0, 300, n)
    key = rng.integers(-1, 5, n)
    cat = rng.integers(-1, 3, n)
    d = pd.DataFrame({"score": np.select([cat == 0, cat == 1, cat == 2], [0.0, 7.0, 10.0], np.nan), "acc": g,
                      "dm": key == 2})
    whole = nps_clustered(d, cluster="acc").to_dict()
    assert design.nps_design_based(cat, g).to_dict() == pytest.approx(whole, rel=1e-12)
    want = nps_by_clustered(d, "dm", cluster="acc").set_index("dm").loc[True]
    got = design.nps_design_based(cat, g, domain=key == 2)
    for field in ("nps", "se", "ci_low", "ci_high", "deff", "n", "clusters"):
        assert getattr(got, field) == pytest.approx(want[field], rel=1e-12), field
    ok = cat >= 0
    x = cat[ok] - 1.0
    var, deff = design.domain_variances(x, key[ok], 5, g[ok])
    var2, deff2 = domain_design_effects(x, np.where(key[ok] >= 0, key[ok], 5), 6, g[ok])
    np.testing.assert_allclose(var, var2[:5], rtol=1e-12)
    np.testing.assert_allclose(deff, deff2[:5], rtol=1e-12)
    diff, v = design.one_vs_rest(x, key[ok], 5, g[ok])
    monkeypatch.setattr(design, "DENSE_CELLS", 500)  # two domains per block
    np.testing.assert_allclose(design.domain_variances(x, key[ok], 5, g[ok])[0], var, rtol=1e-12)
    np.testing.assert_allclose(design.one_vs_rest(x, key[ok], 5, g[ok])[1], v, rtol=1e-12)
    # one vote per account: the block's closed form equals the weighted NPS with weights 1/responses
    dd = d[ok]
    one = balance.which_nps(dd, account="acc").set_index("measure").loc["One vote per account"]
    w = weighted_nps(dd, account_weights(dd, "acc"), cluster="acc")
    assert one["nps"] == pytest.approx(w.nps, rel=1e-12) and one["se"] == pytest.approx(w.se, rel=1e-12)
    assert (one["ci_low"], one["ci_high"]) == pytest.approx((w.ci_low, w.ci_high), rel=1e-12)


def test_summary_names_minor_points_without_claiming_soundness(clean):
    from npsdiag.areas.balance import rules
    from npsdiag.findings import Finding

    _, res = clean
    low = Finding("balance.concentration", "low", "A few accounts dominate", "", {})
    text = rules.summary([low], res.checks)
    assert "represent" not in text and "responses concentrated in a few accounts" in text


def test_revenue_coverage_says_below_target_per_measure_not_both_at_once():
    from npsdiag.areas.balance.accounts import revenue_coverage

    # one quarter; a (90) answered by a user, b (10) by an executive: 100% of revenue heard, 10% from a decider
    r = pd.DataFrame({"account_id": ["a", "b"], "responded_at": pd.to_datetime(["2024-01-05", "2024-03-30"]),
                      "dm": [False, True]})
    acc = pd.DataFrame({"account_id": ["a", "b"], "revenue": [90.0, 10.0]})
    t = revenue_coverage(r, acc, decision="dm", freq="Q", target=0.8).set_index("period")
    q = t.loc["2024Q1"]
    assert q["share_heard"] == 1.0 and not q["below_target"]
    assert q["share_decision"] == 0.1 and q["decision_below_target"]
