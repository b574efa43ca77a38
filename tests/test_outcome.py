"""Outcome area: models checked against statsmodels fitted here, hand-computed intervals, findings, real data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from sklearn.metrics import roc_auc_score

from npsdiag.areas import outcome as O
from npsdiag.clean import prepare
from npsdiag.io import from_frames
from npsdiag.stats.regression import cox_fit

NOW = pd.Timestamp("2026-06-01")


def synth(n_acc=600, seed=0, link="normal", role_diff=True, unlinked=0.03, n_per=3):
    """Accounts with a latent health; decision makers' scores follow it, users' only when role_diff is False.

    link: "normal" (healthier accounts churn less), "none" (churn unrelated) or "inverse" (healthier churn more).
    Returns (responses, accounts) with canonical column names.
    """
    rng = np.random.default_rng(seed)
    ids = [f"A{i:04d}" for i in range(n_acc)]
    health = rng.normal(size=n_acc)
    rows = []
    for i, a in enumerate(ids):
        for k in range(n_per):
            role = "Decision Maker" if k == 0 else "User"
            mu = 7 + 1.8 * health[i] if (role == "Decision Maker" or not role_diff) else 7.5 + 1.5 * rng.normal()
            score = float(np.clip(np.round(mu + rng.normal()), 0, 10))
            rows.append((a, role, score, pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 300)))))
    r = pd.DataFrame(rows, columns=["account_id", "role", "score", "responded_at"])
    slope = {"normal": -1.2, "none": 0.0, "inverse": 1.2}[link]
    churn = rng.random(n_acc) < 1 / (1 + np.exp(-(-1.6 + slope * health)))
    acc = pd.DataFrame({"account_id": ids, "churned": churn, "revenue": np.exp(rng.normal(10, 1, n_acc)),
                        "Industry": rng.choice(["Retail", "Tech", "Health"], n_acc),
                        "outcome_at": pd.Timestamp("2025-01-15") + pd.to_timedelta(rng.integers(0, 200, n_acc),
                                                                                    unit="D")})
    m = rng.random(len(r)) < unlinked
    r.loc[m, "account_id"] = [f"X{i}" for i in range(m.sum())]
    r["response_id"] = [f"R{i}" for i in range(len(r))]
    r["respondent_id"] = [f"p{i}" for i in range(len(r))]
    return r, acc


def diagnose(r, acc, **settings):
    prep = prepare(from_frames(r, accounts=acc, account_segments=["Industry"] if acc is not None and "Industry" in acc
                               else None, settings=settings or None), as_of=NOW)
    return O.diagnose(prep)


@pytest.fixture(scope="module")
def base():
    r, acc = synth(seed=1)
    return r, acc, diagnose(r, acc)


@pytest.fixture(scope="module")
def clean():
    r, acc = synth(seed=2, role_diff=False, unlinked=0)
    return diagnose(r, acc)


@pytest.fixture(scope="module")
def nolink():
    r, acc = synth(seed=7, link="none", unlinked=0)
    return diagnose(r, acc)


# --------------------------------------------------------------------------- statistics


def test_auc_delong_by_hand_and_against_sklearn_and_mann_whitney():
    # churned scores 2, 5; retained 4, 8, 9. Pairs where the churned account scored lower: 2<4,8,9; 5<8,9 -> 5/6.
    # V10 (per churned) = [1, 2/3], V01 (per retained) = [1/2, 1, 1]; S10 = 1/18, S01 = 1/12;
    # var = S10/2 + S01/3 = 1/36 + 1/36 = 1/18 -> SE = 0.2357.
    r = O.auc_delong([1, 1, 0, 0, 0], [2, 5, 4, 8, 9])
    assert r.auc == pytest.approx(5 / 6)
    assert r.se == pytest.approx(np.sqrt(1 / 18))
    rng = np.random.default_rng(0)
    y = rng.random(300) < 0.3
    s = np.clip(np.round(7 - 2 * y + rng.normal(0, 2, 300)), 0, 10)  # many ties
    r = O.auc_delong(y, s)
    assert r.auc == pytest.approx(roc_auc_score(y, -s))
    u = stats.mannwhitneyu(s[~y], s[y]).statistic  # retained above churned
    assert r.auc == pytest.approx(u / (y.sum() * (~y).sum()))
    assert r.ci_low < r.auc < r.ci_high


def test_wilson_intervals_and_lift_by_hand():
    d = pd.DataFrame({"score_mean": [2] * 40 + [8] * 30 + [10] * 30,
                      "churned": [1] * 16 + [0] * 24 + [1] * 6 + [0] * 24 + [1] * 3 + [0] * 27,
                      "revenue": [100.0] * 40 + [200.0] * 30 + [300.0] * 30})
    t = O.churn_by_category(d).set_index("category")
    z = stats.norm.ppf(0.975)

    def wilson(k, n):
        c = (k + z**2 / 2) / (n + z**2)
        h = z / (n + z**2) * np.sqrt(k * (n - k) / n + z**2 / 4)
        return c - h, c + h

    lo, hi = wilson(16, 40)
    assert t.loc["detractor", "churn_rate"] == pytest.approx(0.4)
    assert t.loc["detractor", "rate_ci_low"] == pytest.approx(lo)
    assert t.loc["detractor", "rate_ci_high"] == pytest.approx(hi)
    # revenue churn of all accounts: (16*100 + 6*200 + 3*300) / (4000 + 6000 + 9000) = 3700 / 19000
    assert t.loc["all", "revenue_churn_rate"] == pytest.approx(3700 / 19000)
    lift = O.churn_lift(t.reset_index())
    # risk ratio 0.4 / 0.1 = 4; Katz: SE(log RR) = sqrt(1/16 - 1/40 + 1/3 - 1/30)
    se = np.sqrt(1 / 16 - 1 / 40 + 1 / 3 - 1 / 30)
    assert lift.risk_ratio == pytest.approx(4.0)
    assert lift.rr_ci_low == pytest.approx(np.exp(np.log(4) - z * se))
    assert lift.risk_difference == pytest.approx(0.3)
    # Wald interval of the difference: sqrt(0.4 * 0.6 / 40 + 0.1 * 0.9 / 30)
    assert lift.rd_ci_high == pytest.approx(0.3 + z * np.sqrt(0.4 * 0.6 / 40 + 0.1 * 0.9 / 30))
    assert lift.to_dict()["detractor_rate"] == pytest.approx(0.4)


def account_level(r, acc):
    """Account-level frame built independently: responses before the outcome, mean and last score."""
    m = r.merge(acc, on="account_id", how="inner")
    m = m[m["responded_at"] < m["outcome_at"]].sort_values("responded_at")
    g = m.groupby("account_id").agg(score_mean=("score", "mean"), last=("responded_at", "max"),
                                    churned=("churned", "first"), outcome_at=("outcome_at", "first"))
    g["churned"] = g["churned"].astype(int)
    return g


def test_logit_and_cox_match_statsmodels_fitted_independently(base):
    r, acc, res = base
    g = account_level(r, acc)
    ref = sm.Logit(g["churned"], sm.add_constant(g[["score_mean"]])).fit(disp=0)
    m = res.tables["models"].set_index("model")
    row = m.loc["logistic, score only"]
    assert row["n"] == len(g)
    assert row["estimate"] == pytest.approx(np.exp(ref.params["score_mean"]), rel=1e-6)
    assert row["estimate_ci_low"] == pytest.approx(np.exp(ref.conf_int().loc["score_mean", 0]), rel=1e-6)
    assert row["p_value"] == pytest.approx(ref.pvalues["score_mean"], rel=1e-5)
    dur = (g["outcome_at"] - g["last"]).dt.total_seconds() / 86400
    cox = sm.PHReg(dur.to_numpy(), g[["score_mean"]].to_numpy(), status=g["churned"].to_numpy()).fit()
    hr = m.loc["Cox proportional hazards"]
    assert hr["estimate"] == pytest.approx(np.exp(cox.params[0]), rel=1e-6)
    assert hr["estimate_ci_high"] == pytest.approx(np.exp(cox.params[0] + stats.norm.ppf(0.975) * cox.bse[0]), rel=1e-6)
    auc = m.loc["ROC (DeLong)"]
    assert auc["estimate"] == pytest.approx(roc_auc_score(g["churned"], -g["score_mean"]))
    # with controls: Industry dummies and log ARR, fitted by formula
    gc = g.join(acc.set_index("account_id")[["Industry", "revenue"]])
    ref_c = smf.logit("churned ~ score_mean + C(Industry) + np.log(revenue)", data=gc).fit(disp=0)
    assert m.loc["logistic, with controls", "estimate"] == pytest.approx(np.exp(ref_c.params["score_mean"]), rel=1e-6)


def test_role_models_and_interaction_match_statsmodels(base):
    r, acc, res = base
    m = r.merge(acc, on="account_id")
    m = m[m["responded_at"] < m["outcome_at"]]
    ra = m.groupby(["account_id", "role"]).agg(score=("score", "mean"), churned=("churned", "first")).reset_index()
    ra["churned"] = ra["churned"].astype(int)
    ra["z"] = ra.groupby("role")["score"].transform(lambda v: (v - v.mean()) / v.std())
    roles = res.tables["roles"].set_index("role")
    for role, g in ra.groupby("role"):
        ref = sm.Logit(g["churned"], sm.add_constant(g[["z"]])).fit(disp=0)
        assert roles.loc[role, "odds_ratio_per_sd"] == pytest.approx(np.exp(ref.params["z"]), rel=1e-6)
        assert roles.loc[role, "auc"] == pytest.approx(roc_auc_score(g["churned"], -g["score"]))
    ref = smf.logit("churned ~ C(role) * z", data=ra).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": pd.factorize(ra["account_id"])[0]})
    w = ref.wald_test("C(role)[T.User]:z = 0", scalar=True)
    f = res.finding("outcome.role_predictiveness")
    assert f is not None
    assert f.evidence["interaction_chi2"] == pytest.approx(float(w.statistic), rel=1e-4)
    # the building block on the public per-role table gives the same test
    table, test = O.role_models(O.role_account_scores(r, acc))
    assert isinstance(test, O.RoleInteraction) and (test.df, test.roles) == (1, 2)
    assert test.chi2 == pytest.approx(float(w.statistic), rel=1e-4)
    assert test.p_value == pytest.approx(float(w.pvalue), rel=1e-3)
    assert list(table["role"]) == ["Decision Maker", "User"]


def test_only_responses_before_the_outcome_count():
    r = pd.DataFrame({"account_id": ["a", "a", "a", "b"], "score": [2.0, 4.0, 10.0, 9.0],
                      "responded_at": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-04-01", "2025-01-05"]),
                      "role": ["User", "Executive", "User", "User"]})
    acc = pd.DataFrame({"account_id": ["a", "b"], "churned": [True, False],
                        "outcome_at": pd.to_datetime(["2025-03-01", "2025-12-01"])})
    t = O.account_scores(r, acc).set_index("account_id")
    assert t.loc["a", "responses"] == 2 and t.loc["a", "score_mean"] == 3.0
    assert t.loc["a", "score_latest"] == 4.0 and t.loc["a", "score_min"] == 2.0
    assert t.loc["a", "score_decision"] == 4.0 and t.loc["a", "score_other"] == 2.0
    assert t.loc["a", "churned"] == 1 and t.loc["b", "churned"] == 0


def test_link_summary_counts():
    r = pd.DataFrame({"account_id": ["a", "b", None, "z", "a"]})
    acc = pd.DataFrame({"account_id": ["a", "b"], "churned": [True, None]})
    t = O.link_summary(r, acc).set_index("status")
    assert t.loc["linked, outcome known", "responses"] == 2
    assert t.loc["linked, no outcome", "responses"] == 1
    assert t.loc["account not found", "share"] == pytest.approx(0.2)
    assert t.loc["no account id", "share_ci_low"] > 0


# --------------------------------------------------------------------------- findings


def test_unlinked_fires_only_with_unmatched_responses(base, clean):
    f = base[2].finding("outcome.unlinked")
    assert f is not None and 0.02 <= f.evidence["unlinked_share"] <= 0.045 and f.severity == "low"
    assert clean.finding("outcome.unlinked") is None


def test_role_predictiveness_fires_only_when_roles_differ(base, clean):
    f = base[2].finding("outcome.role_predictiveness")
    assert f.evidence["predictive_roles"] == ["Decision Maker"] and f.evidence["weak_roles"] == ["User"]
    assert f.evidence["interaction_p_value"] < 0.05
    assert clean.finding("outcome.role_predictiveness") is None


def test_false_comfort_fires_when_promoters_churn(base, clean):
    f = base[2].finding("outcome.false_comfort")
    assert f is not None and f.evidence["false_comfort_rate"] >= 0.1 and f.evidence["rate_ci_low"] >= 0.05
    assert clean.finding("outcome.false_comfort") is None


def test_no_link_fires_without_association_and_not_with(nolink, base, clean):
    f = nolink.finding("outcome.no_link")
    assert f is not None and f.evidence["auc_ci_low"] <= 0.5 <= f.evidence["auc_ci_high"]
    assert f.evidence["p_value"] >= 0.05
    assert base[2].finding("outcome.no_link") is None and clean.finding("outcome.no_link") is None
    assert nolink.finding("outcome.inverse_link") is None


def test_inverse_link_fires_when_higher_scores_churn_more(clean):
    r, acc = synth(seed=4, link="inverse", role_diff=False, unlinked=0)
    res = diagnose(r, acc)
    f = res.finding("outcome.inverse_link")
    assert f is not None and f.severity == "high" and f.evidence["odds_ratio_per_point"] > 1
    assert res.finding("outcome.no_link") is None
    assert clean.finding("outcome.inverse_link") is None


def test_clean_export_is_green_with_full_tables(clean):
    assert clean.findings == [] and clean.status == "green"
    assert {"linking", "churn_by_category", "models", "score_definitions", "false_signals", "roles"} <= set(
        clean.tables)
    assert all(k in clean.table_captions for k in clean.tables)
    assert {f.key for f in clean.figures} == {"churn_by_category", "churn_curve", "roles"}


def test_every_check_is_listed_assessed_or_not(clean):
    names = ["unlinked", "auc", "accounts", "churn_by_category", "logit", "cox", "score_definitions",
             "false_signals", "role_models", "churn_drivers"]
    assert [c.name for c in clean.checks] == names
    assert [c.name for c in clean.checks if not c.assessed] == ["churn_drivers"]  # no driver columns
    r, acc = synth(n_acc=200, seed=6, role_diff=False, unlinked=0)
    few = diagnose(r, acc.assign(churned=False))  # one outcome: only the link is assessed
    assert [c.name for c in few.checks] == names
    assert [c.name for c in few.checks if c.assessed] == ["unlinked"]
    assert few.notes[0].startswith("Only 200 account(s)") and list(few.tables) == ["linking"]


def test_checks_on_cached_codes_equal_the_public_blocks():
    r, acc = synth(n_acc=150, seed=9, unlinked=0.05)
    prep = prepare(from_frames(r, accounts=acc, account_segments=["Industry"]), as_of=NOW)
    res = O.diagnose(prep)
    ctx = next(c for c in res.checks if c.name == "accounts").context
    dm = O.decision_roles(prep.responses["role"])
    assert dm == ["Decision Maker"]
    pd.testing.assert_frame_equal(ctx["scores"], O.account_scores(prep.responses, prep.accounts, decision=dm,
                                                                  extra=["Industry"]))
    pd.testing.assert_frame_equal(ctx["per_role"], O.role_account_scores(prep.responses, prep.accounts))
    pd.testing.assert_frame_equal(res.tables["linking"], O.link_summary(prep.responses, prep.accounts))


def test_findings_are_json_serialisable(base):
    for f in base[2].findings:
        json.dumps(f.to_dict())


# --------------------------------------------------------------------------- robustness


def test_not_assessed_without_outcomes():
    r, acc = synth(n_acc=50, seed=5)
    assert diagnose(r, None).status == "not_assessed"
    assert "churned" in diagnose(r, acc.drop(columns=["churned"])).not_assessed_reason
    assert diagnose(r.drop(columns=["account_id"]), acc).status == "not_assessed"
    res = diagnose(r, acc.assign(churned=None))
    assert res.status == "not_assessed"


def test_perfect_separation_one_class_and_tiny_data_never_raise():
    r, acc = synth(n_acc=200, seed=6, role_diff=False, unlinked=0)
    m = r.merge(acc, on="account_id")
    mean = m[m["responded_at"] < m["outcome_at"]].groupby("account_id")["score"].mean()
    sep = acc.assign(churned=acc["account_id"].map(mean < mean.median()).fillna(False))
    res = diagnose(r, sep)
    only = res.tables["models"].set_index("model").loc["logistic, score only"]
    assert np.isnan(only["estimate"]) and "separation" in only["note"]
    assert res.finding("outcome.no_link") is None  # AUC 1: the score separates churn
    res = diagnose(r, acc.assign(churned=False))
    # one outcome class: nothing to predict, so the area is not "sound" (it did not assess the link)
    assert res.status in ("amber", "not_assessed") and "too few" in res.summary.lower()
    res = diagnose(r.head(6), acc)
    assert res.status in ("green", "amber", "red")


def test_bank_satisfaction_score_does_not_predict_churn(shared_data):
    """Real data: Satisfaction Score 1-5 is unrelated to churn (19.6-21.8% for every score)."""
    b = pd.read_csv(shared_data / "external" / "bank-churn-satisfaction" / "Customer-Churn-Records.csv")
    # One survey answer per customer; the 1-5 score is used on its own scale (scale [1, 5]) with
    # 1-3 = detractor, 4 = passive, 5 = promoter; the odds ratio is then per satisfaction point.
    ids = b["CustomerId"].astype(str)
    r = pd.DataFrame({"score": b["Satisfaction Score"], "responded_at": "2024-01-01", "account_id": ids,
                      "respondent_id": ids})
    acc = pd.DataFrame({"account_id": ids, "churned": b["Exited"].astype(bool), "Industry": b["Geography"]})
    res = diagnose(r, acc, scale=[1, 5], detractor_max=3, promoter_min=5)
    f = res.finding("outcome.no_link")
    assert f is not None and f.severity == "high"
    assert f.evidence["accounts"] == 10000 and f.evidence["churned"] == 2038
    assert 0.48 < f.evidence["auc"] < 0.52 and f.evidence["auc_ci_high"] < 0.55
    assert res.finding("outcome.inverse_link") is None


def test_telco_deterministic_link_is_not_no_link(shared_data):
    """Real data: IBM telco satisfaction 1-2 always churn, 4-5 never: the link is there (and suspicious)."""
    s = pd.read_excel(shared_data / "external" / "ibm-telco-churn-satisfaction" / "Telco_customer_churn_status.xlsx",
                      usecols=["Customer ID", "Satisfaction Score", "Churn Value"])
    r = pd.DataFrame({"score": s["Satisfaction Score"], "responded_at": "2024-07-01", "account_id": s["Customer ID"],
                      "respondent_id": s["Customer ID"]})
    acc = pd.DataFrame({"account_id": s["Customer ID"], "churned": s["Churn Value"].astype(bool)})
    res = diagnose(r, acc, scale=[1, 5], detractor_max=3, promoter_min=5)
    assert res.finding("outcome.no_link") is None and res.finding("outcome.inverse_link") is None
    auc = res.tables["models"].set_index("model").loc["ROC (DeLong)", "estimate"]
    assert auc > 0.9
    assert any("almost perfectly" in n for n in res.notes)


# --------------------------------------------------------------------------- large-export implementation (issue 9)


def test_cox_breslow_matches_phreg_with_heavy_ties():
    # Whole-day follow-up times give many tied event times; Breslow's partial likelihood
    # (statsmodels PHReg's default, R: coxph(Surv(t, e) ~ x, ties = "breslow")) must match.
    rng = np.random.default_rng(12)
    n = 600
    x = np.round(rng.normal(7, 2, n), 1)
    t = np.ceil(rng.exponential(200 * np.exp(0.25 * (x - 7)))).clip(1, 400)
    e = (rng.random(n) < 0.6).astype(float)
    ref = sm.PHReg(t, x[:, None], status=e, ties="breslow").fit()
    fit = cox_fit(t, e, x)  # the shared Cox fit that churn_hazard uses
    assert fit.coef == pytest.approx(ref.params[0], rel=1e-8)
    assert fit.se == pytest.approx(ref.bse[0], rel=1e-6)
    d = pd.DataFrame({"score_mean": x, "churned": e.astype(int),
                      "last_response_at": pd.Timestamp("2024-01-01"),
                      "outcome_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(t, unit="D")})
    hz = O.churn_hazard(d)
    assert hz.hazard_ratio == pytest.approx(np.exp(ref.params[0]), rel=1e-8)
    assert hz.p_value == pytest.approx(ref.pvalues[0], rel=1e-5)
    assert (hz.n, hz.events) == (n, int(e.sum()))


def _messy_accounts(seed=3):
    """Responses and accounts with what large exports carry: duplicated and missing account ids, unknown ids,
    missing roles and scores, tied response times, responses after the outcome, accounts without outcome."""
    rng = np.random.default_rng(seed)
    ids = [f"A{i:03d}" for i in range(120)]
    acc = pd.DataFrame({"account_id": ids, "churned": rng.random(120) < 0.3,
                        "outcome_at": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 200, 120), unit="D"),
                        "revenue": rng.lognormal(10, 1, 120)})
    acc["churned"] = acc["churned"].astype("boolean")
    acc.loc[rng.random(120) < 0.1, "churned"] = pd.NA
    acc = pd.concat([acc, acc.iloc[:5].assign(churned=True), pd.DataFrame({"account_id": [None]})],
                    ignore_index=True)
    n = 1500
    r = pd.DataFrame({"account_id": rng.choice(ids + ["ZZZ", None], n),
                      "score": rng.integers(0, 11, n).astype(float),
                      "responded_at": pd.Timestamp("2024-06-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D"),
                      "role": rng.choice(["User", "Executive", "Decision Maker", None], n)})
    r.loc[rng.random(n) < 0.05, "score"] = np.nan
    return r, acc


def test_account_linking_on_codes_matches_a_plain_pandas_computation():
    r, acc = _messy_accounts()
    # reference: first accounts row per id, inner merge, responses strictly before the outcome
    a1 = acc.dropna(subset=["account_id"]).drop_duplicates("account_id")
    a1 = a1[a1["churned"].notna()]
    m = r.reset_index().merge(a1, on="account_id", how="inner")
    m = m[(m["outcome_at"].isna() | (m["responded_at"] < m["outcome_at"])) & m["score"].notna()]
    m = m.sort_values(["responded_at", "index"])
    g = m.groupby("account_id")
    ref = pd.DataFrame({"responses": g.size(), "score_mean": g["score"].mean(), "score_latest": g["score"].last(),
                        "score_min": g["score"].min(), "churned": g["churned"].first().astype(int)})
    dm = m[m["role"].isin(["Decision Maker", "Executive"])].groupby("account_id")["score"].mean()
    got = O.account_scores(r, acc, decision=["Decision Maker", "Executive"]).set_index("account_id")
    assert list(got.index) == [i for i in a1["account_id"] if i in ref.index]  # accounts-table order
    for c in ref.columns:
        assert np.allclose(got[c].to_numpy(float), ref.loc[got.index, c].to_numpy(float)), c
    assert np.allclose(got["score_decision"].to_numpy(float), dm.reindex(got.index).to_numpy(float),
                       equal_nan=True)
    # role level: one row per (account, role) in id then role order
    mr = m[m["role"].notna()].groupby(["account_id", "role"])["score"].agg(["size", "mean"])
    ra = O.role_account_scores(r, acc)
    assert list(zip(ra["account_id"], ra["role"], strict=True)) == list(mr.index)
    assert np.allclose(ra["score_mean"], mr["mean"]) and (ra["responses"].to_numpy() == mr["size"].to_numpy()).all()
    # link table: counts per status, by hand from the same definitions
    t = O.link_summary(r, acc).set_index("status")["responses"]
    known = set(acc["account_id"].dropna())
    with_outcome = set(acc.drop_duplicates("account_id").dropna(subset=["account_id", "churned"])["account_id"])
    assert t["no account id"] == r["account_id"].isna().sum()
    assert t["account not found"] == (r["account_id"].notna() & ~r["account_id"].isin(known)).sum()
    assert t["linked, outcome known"] == r["account_id"].isin(with_outcome).sum()


def test_account_logits_match_statsmodels_on_aggregated_patterns():
    # account mean scores repeat: the fit runs on distinct covariate patterns; same estimates as per account
    rng = np.random.default_rng(8)
    d = pd.DataFrame({"score_mean": rng.integers(0, 21, 3000) / 2, "churned": 0})
    d["churned"] = (rng.random(3000) < 1 / (1 + np.exp(-(1 - 0.3 * d["score_mean"])))).astype(int)
    ref = sm.Logit(d["churned"], sm.add_constant(d[["score_mean"]])).fit(disp=0)
    row = O.churn_logit(d, revenue=None).iloc[0]
    assert row["odds_ratio"] == pytest.approx(np.exp(ref.params["score_mean"]), rel=1e-8)
    assert row["or_ci_low"] == pytest.approx(np.exp(ref.conf_int().loc["score_mean", 0]), rel=1e-8)
    assert row["p_value"] == pytest.approx(ref.pvalues["score_mean"], rel=1e-6)
