"""Outcome area: models checked against statsmodels fitted here, hand-computed intervals, findings, real data."""

from __future__ import annotations

import json
from pathlib import Path

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
    d = pd.DataFrame({"score": [2] * 40 + [8] * 30 + [10] * 30,
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


EMBARGO = pd.Timedelta(days=30)


def latest(frame, by):
    """The latest score of each group: the mean of the scores at its last response time (plain pandas)."""
    last = frame[frame["responded_at"] == frame.groupby(by)["responded_at"].transform("max")]
    return last.groupby(by)["score"].mean()


def account_level(r, acc, decision=("Decision Maker",)):
    """Account-level frame built independently: responses more than 30 days before the outcome; the account's
    score is its decision makers' latest response where one answered, else its latest (plain pandas)."""
    m = r.merge(acc, on="account_id", how="inner")
    m = m[m["responded_at"] < m["outcome_at"] - EMBARGO].sort_values("responded_at")
    dm = m[m["role"].isin(decision)]
    g = m.groupby("account_id").agg(score_mean=("score", "mean"), churned=("churned", "first"),
                                    outcome_at=("outcome_at", "first"), last_at=("responded_at", "max"))
    g["churned"] = g["churned"].astype(int)
    g["score"] = latest(dm, "account_id").reindex(g.index).fillna(latest(m, "account_id"))
    g["score_at"] = dm.groupby("account_id")["responded_at"].max().reindex(g.index).fillna(g["last_at"])
    return g


def test_logit_and_cox_match_statsmodels_fitted_independently(base):
    r, acc, res = base
    g = account_level(r, acc)
    ref = sm.Logit(g["churned"], sm.add_constant(g[["score"]])).fit(disp=0)
    m = res.tables["models"].set_index("model")
    row = m.loc["logistic, score only"]
    assert row["n"] == len(g)
    assert row["estimate"] == pytest.approx(np.exp(ref.params["score"]), rel=1e-6)
    assert row["estimate_ci_low"] == pytest.approx(np.exp(ref.conf_int().loc["score", 0]), rel=1e-6)
    assert row["p_value"] == pytest.approx(ref.pvalues["score"], rel=1e-5)
    # Cox on one calendar clock: entry when the score was given, exit at the churn or the as-of date (censored);
    # statsmodels' PHReg with entry times (left truncation)
    exit_at = g["outcome_at"].where(g["churned"] == 1, NOW)
    t0 = g["score_at"].min()
    days = lambda t: (t - t0).dt.total_seconds().to_numpy() / 86400  # noqa: E731
    cox = sm.PHReg(days(exit_at), g[["score"]].to_numpy(), status=g["churned"].to_numpy(),
                   entry=days(g["score_at"]), ties="breslow").fit()
    hr = m.loc["Cox proportional hazards"]
    assert hr["estimate"] == pytest.approx(np.exp(cox.params[0]), rel=1e-6)
    assert hr["estimate_ci_high"] == pytest.approx(np.exp(cox.params[0] + stats.norm.ppf(0.975) * cox.bse[0]), rel=1e-6)
    auc = m.loc["ROC (DeLong)"]
    assert auc["estimate"] == pytest.approx(roc_auc_score(g["churned"], -g["score"]))
    # with controls: Industry dummies and log ARR, fitted by formula
    gc = g.join(acc.set_index("account_id")[["Industry", "revenue"]])
    ref_c = smf.logit("churned ~ score + C(Industry) + np.log(revenue)", data=gc).fit(disp=0)
    assert m.loc["logistic, with controls", "estimate"] == pytest.approx(np.exp(ref_c.params["score"]), rel=1e-6)


def test_role_models_and_interaction_match_statsmodels(base):
    r, acc, res = base
    m = r.merge(acc, on="account_id")
    m = m[m["responded_at"] < m["outcome_at"] - EMBARGO]
    # each role's latest score per account (whole days: the mean where a role answered twice on its last day)
    ra = m.groupby(["account_id", "role"]).agg(churned=("churned", "first"))
    ra["score"] = latest(m, ["account_id", "role"])
    ra = ra.reset_index()
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
    t = O.account_scores(r, acc, embargo_days=0).set_index("account_id")
    assert t.loc["a", "responses"] == 2 and t.loc["a", "score_mean"] == 3.0
    assert t.loc["a", "score_latest"] == 4.0 and t.loc["a", "score_min"] == 2.0
    assert t.loc["a", "score_decision"] == 4.0 and t.loc["a", "score_other"] == 2.0
    assert t.loc["a", "score"] == 4.0 and t.loc["a", "score_at"] == pd.Timestamp("2025-02-01")
    assert t.loc["a", "churned"] == 1 and t.loc["b", "churned"] == 0
    # with the 30-day embargo, 1 February (28 days before the churn) no longer counts: a's score is 2
    t = O.account_scores(r, acc).set_index("account_id")
    assert t.loc["a", "responses"] == 1 and t.loc["a", "score"] == 2.0 and np.isnan(t.loc["a", "score_decision"])


def test_embargo_follows_the_setting_and_the_shared_rule():
    # responses 40, 30, 29 and 10 days before a churn on 1 June; the rule is npsdiag.linking.before_outcome:
    # strictly more than the embargo before the outcome
    days = [40, 30, 29, 10]
    out = pd.Timestamp("2025-06-01")
    r = pd.DataFrame({"account_id": "a", "score": [1.0, 2.0, 3.0, 4.0],
                      "responded_at": [out - pd.Timedelta(days=d) for d in days]})
    acc = pd.DataFrame({"account_id": ["a"], "churned": [True], "outcome_at": [out]})
    for embargo, kept in [(0, 4), (15, 3), (29, 2), (30, 1), (45, 0)]:
        t = O.account_scores(r, acc, embargo_days=embargo)
        assert (t["responses"].sum() if len(t) else 0) == kept, embargo
        assert (len(t) == 0) or t["score"].iloc[0] == kept  # the latest usable response
    # the area reads settings.outcome_embargo_days: in synth data, a larger embargo leaves fewer responses
    r, acc = synth(n_acc=150, seed=9, unlinked=0)
    n = {e: next(c for c in diagnose(r, acc, outcome_embargo_days=e).checks if c.name == "accounts").context
         for e in (0, 120, 300)}
    assert n[0]["embargoed"] == 0 and 0 < n[120]["embargoed"] < n[300]["embargoed"]
    m = r.merge(acc, on="account_id")
    before = m["responded_at"] < m["outcome_at"]
    for e in (120, 300):
        assert n[e]["embargoed"] == int((before & (m["responded_at"] >= m["outcome_at"] - pd.Timedelta(days=e))).sum())


def test_account_category_follows_the_latest_score_not_the_mean():
    # hand-made accounts whose category differs by definition (breaks 0-6 / 7-8 / 9-10):
    #   a: 0 then 10 -> latest 10 (promoter), mean 5 (detractor), lowest 0
    #   b: a user's 10 after the decision maker's 3 -> latest of anyone 10, decision makers' latest 3 (used)
    #   c: 9, 9, 6 -> latest 6 (detractor), mean 8 (passive)
    #   d: 8 given 10 days before its churn (embargoed) after a 3 -> 3 (detractor); 8 without the embargo
    t = pd.to_datetime
    r = pd.DataFrame({
        "account_id": ["a", "a", "b", "b", "c", "c", "c", "d", "d"],
        "score": [0.0, 10, 3, 10, 9, 9, 6, 3, 8],
        "role": ["User", "User", "Decision Maker", "User", "User", "User", "User", "User", "User"],
        "responded_at": t(["2024-01-01", "2024-05-01", "2024-02-01", "2024-03-01", "2024-01-01", "2024-02-01",
                           "2024-03-01", "2024-01-01", "2024-05-22"])})
    acc = pd.DataFrame({"account_id": ["a", "b", "c", "d"], "churned": [False, True, True, True],
                        "outcome_at": t(["2024-12-01", "2024-12-01", "2024-12-01", "2024-06-01"])})
    s = O.account_scores(r, acc, decision=["Decision Maker"]).set_index("account_id")
    assert s["score"].to_dict() == {"a": 10.0, "b": 3.0, "c": 6.0, "d": 3.0}
    assert s["score_mean"].to_dict() == {"a": 5.0, "b": 6.5, "c": 8.0, "d": 3.0}
    assert s.loc["b", "score_latest"] == 10.0 and s.loc["b", "score_at"] == pd.Timestamp("2024-02-01")
    raw = O.account_scores(r, acc, decision=["Decision Maker"], embargo_days=0)
    defs = O.score_definitions(s.reset_index(), unembargoed=raw, embargo_days=30).set_index("definition")
    used = defs.loc["latest score, decision makers' first (used in this report)"]
    # used: a promoter (retained), b, c, d detractors (all churned)
    assert (used["promoters"], used["detractors"], used["detractor_churn_rate"]) == (1, 3, 1.0)
    assert used["auc"] == 1.0 and used["recategorised"] == 0
    mean = defs.loc["mean of its scores"]  # a 5 -> detractor, b 6.5 -> passive, c 8 -> passive, d 3 -> detractor
    assert (mean["detractors"], mean["passives"], mean["promoters"], mean["recategorised"]) == (2, 2, 0, 3)
    assert mean["detractor_churn_rate"] == 0.5 and mean["auc"] == pytest.approx(1 / 3)
    latest = defs.loc["latest score of any role"]  # b becomes a promoter
    assert (latest["promoters"], latest["recategorised"], latest["promoter_churn_rate"]) == (2, 1, 0.5)
    no_embargo = defs.loc["as used, without the 30-day embargo"]  # d scores 8: a passive
    assert (no_embargo["passives"], no_embargo["recategorised"]) == (1, 1)
    former = defs.loc["mean of every score before the outcome, without the 30-day embargo (the former definition)"]
    assert former["accounts"] == 4 and former["detractors"] == 2  # a 5; d (3 + 8) / 2 = 5.5 -> a detractor too
    assert bool(used["used"]) and not defs.drop(index=used.name)["used"].any()


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
    score = O.account_scores(r, acc).set_index("account_id")["score"]
    sep = acc.assign(churned=acc["account_id"].map(score < score.median()).fillna(False))
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
    assert res.finding("outcome.inverse_link") is None and res.finding("outcome.suspicious_link") is None


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
    # too perfect to be a survey score given before the decision: a medium finding, never "Sound"
    f = res.finding("outcome.suspicious_link")
    assert f is not None and f.severity == "medium" and res.status == "amber"
    assert f.evidence["promoters"] == 1149 and f.evidence["promoters_churned"] == 0
    assert f.evidence["separation"] and not f.evidence["outcome_dates"]
    assert "after the decision" in f.detail and "derived from the outcome" in f.detail
    assert "no outcome dates" in f.detail and "cancellation date" in f.recommendation


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
    d = pd.DataFrame({"score": x, "churned": e.astype(int), "score_at": pd.Timestamp("2024-01-01"),
                      "outcome_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(t, unit="D")})
    hz = O.churn_hazard(d)  # every account known from day 0 and followed to its outcome: the plain Cox model
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
    # reference: first accounts row per id, inner merge, responses more than 30 days before the outcome; the latest
    # score is the mean of the scores at an account's (or role's) last response time (whole days: ties happen)
    a1 = acc.dropna(subset=["account_id"]).drop_duplicates("account_id")
    a1 = a1[a1["churned"].notna()]
    m = r.reset_index().merge(a1, on="account_id", how="inner")
    m = m[(m["outcome_at"].isna() | (m["responded_at"] < m["outcome_at"] - EMBARGO)) & m["score"].notna()]

    g = m.groupby("account_id")
    ref = pd.DataFrame({"responses": g.size(), "score_mean": g["score"].mean(), "score_latest": latest(m, "account_id"),
                        "score_min": g["score"].min(), "churned": g["churned"].first().astype(int)})
    assert (m.groupby(["account_id", "responded_at"]).size() > 1).any()  # the tie rule is exercised
    dm = latest(m[m["role"].isin(["Decision Maker", "Executive"])], "account_id")
    got = O.account_scores(r, acc, decision=["Decision Maker", "Executive"]).set_index("account_id")
    assert list(got.index) == [i for i in a1["account_id"] if i in ref.index]  # accounts-table order
    for c in ref.columns:
        assert np.allclose(got[c].to_numpy(float), ref.loc[got.index, c].to_numpy(float)), c
    assert np.allclose(got["score_decision"].to_numpy(float), dm.reindex(got.index).to_numpy(float),
                       equal_nan=True)
    assert np.allclose(got["score"], dm.reindex(got.index).fillna(ref["score_latest"].loc[got.index]))
    # role level: one row per (account, role) in id then role order
    mm = m[m["role"].notna()]
    mr = mm.groupby(["account_id", "role"])["score"].agg(["size", "mean"])
    ra = O.role_account_scores(r, acc)
    assert list(zip(ra["account_id"], ra["role"], strict=True)) == list(mr.index)
    assert np.allclose(ra["score_mean"], mr["mean"]) and (ra["responses"].to_numpy() == mr["size"].to_numpy()).all()
    assert np.allclose(ra["score"], latest(mm, ["account_id", "role"]).loc[mr.index])
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
    d = pd.DataFrame({"score": rng.integers(0, 21, 3000) / 2, "churned": 0})
    d["churned"] = (rng.random(3000) < 1 / (1 + np.exp(-(1 - 0.3 * d["score"])))).astype(int)
    ref = sm.Logit(d["churned"], sm.add_constant(d[["score"]])).fit(disp=0)
    row = O.churn_logit(d, revenue=None).iloc[0]
    assert row["odds_ratio"] == pytest.approx(np.exp(ref.params["score"]), rel=1e-8)
    assert row["or_ci_low"] == pytest.approx(np.exp(ref.conf_int().loc["score", 0]), rel=1e-8)
    assert row["p_value"] == pytest.approx(ref.pvalues["score"], rel=1e-6)


# --------------------------------------------------------------------------- definitions against R (issue 16, item 7)

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def demo_outcome():
    from npsdiag import io
    from npsdiag.config import load_config

    prep = prepare(io.load(load_config(Path(__file__).parents[1] / "examples" / "demo" / "config.yml")))
    return O.diagnose(prep)


def test_demo_definitions_equal_r(demo_outcome):
    """tests/reference/outcome_definitions.R applies the definitions on its own (embargo, latest, decision makers
    first) to the demo's responses and accounts: AUC (pROC, DeLong) and churn by category under each definition."""
    ref = pd.read_csv(REF / "outcome_definitions_r.csv").set_index("definition")
    got = demo_outcome.tables["score_definitions"].set_index("definition")
    names = {"used": "latest score, decision makers' first (used in this report)",
             "latest": "latest score of any role", "mean": "mean of its scores", "min": "lowest of its scores",
             "decision": "decision makers' latest (accounts where one answered)",
             "other": "other roles' latest (accounts where one answered)",
             "used_no_embargo": "as used, without the 30-day embargo",
             "mean_no_embargo": "mean of every score before the outcome, without the 30-day embargo (the former "
                                "definition)"}
    assert list(got.index) == [names[k] for k in ref.index]
    for key, row in ref.iterrows():
        g = got.loc[names[key]]
        assert (g["accounts"], g["churned"]) == (row["accounts"], row["churned"]), key
        for c in ("auc", "auc_ci_low", "auc_ci_high", "detractor_churn_rate", "passive_churn_rate",
                  "promoter_churn_rate"):
            assert g[c] == pytest.approx(row[c], rel=1e-9), (key, c)
        assert (g["detractors"], g["passives"], g["promoters"]) == (row["detractors"], row["passives"],
                                                                     row["promoters"]), key
    # the area's churn by category and AUC are the used definition's
    cat = demo_outcome.tables["churn_by_category"].set_index("category")
    used = ref.loc["used"]
    assert cat.loc["detractor", "churn_rate"] == pytest.approx(used["detractor_churn_rate"], rel=1e-12)
    assert cat.loc["promoter", "accounts"] == used["promoters"]
    auc = demo_outcome.tables["models"].set_index("model").loc["ROC (DeLong)"]
    assert auc["estimate"] == pytest.approx(used["auc"], rel=1e-9)


def test_demo_cox_on_one_calendar_clock_equals_coxph(demo_outcome):
    ref = pd.read_csv(REF / "outcome_cox_r.csv").set_index("case").loc["demo"]
    hr = demo_outcome.tables["models"].set_index("model").loc["Cox proportional hazards"]
    assert hr["estimate"] == pytest.approx(np.exp(ref["estimate"]), rel=1e-7)
    se = (np.log(hr["estimate_ci_high"]) - np.log(hr["estimate_ci_low"])) / (2 * stats.norm.ppf(0.975))
    assert se == pytest.approx(ref["se"], rel=1e-6)
    assert (hr["n"], hr["events"]) == (ref["n"], ref["events"])


def test_cox_delayed_entry_matches_phreg_and_reduces_to_cox_fit():
    rng = np.random.default_rng(21)
    n = 500
    x = np.round(rng.normal(7, 2, n), 1)
    entry = rng.uniform(0, 300, n) + 0.5  # never on an event day (whole days): statsmodels and R agree
    exit_ = np.floor(entry) + np.ceil(rng.exponential(250 * np.exp(0.2 * (x - 7)))).clip(1, 500)  # tied events
    e = rng.random(n) < 0.7
    ref = sm.PHReg(exit_, x[:, None], status=e.astype(float), entry=entry, ties="breslow").fit()
    got = O.cox_delayed_entry(entry, exit_, e, x)
    assert got.coef == pytest.approx(ref.params[0], rel=1e-8)
    assert got.se == pytest.approx(ref.bse[0], rel=1e-6)
    # a subject entering on an event day is not at risk that day (entry < t <= exit): R's (start, stop] (statsmodels
    # counts it at risk), tests/reference/outcome_definitions.R
    tie = O.cox_delayed_entry([0, 0, 2, 0], [2, 3, 3, 4], [True, True, False, False], [1.0, 0.0, 5.0, 2.0])
    ref = pd.read_csv(REF / "outcome_cox_r.csv").set_index("case").loc["entry_tie"]
    assert tie.coef == pytest.approx(ref["estimate"], rel=1e-8) and tie.se == pytest.approx(ref["se"], rel=1e-8)
    # all entering at 0: the plain Cox model
    plain = cox_fit(exit_, e, x)
    assert O.cox_delayed_entry(np.zeros(n), exit_, e, x).coef == pytest.approx(plain.coef, rel=1e-10)


def test_cox_hazard_ratio_does_not_mix_the_score_with_survey_timing():
    # Churn is unrelated to the score, but not spread evenly over the calendar (a price rise: days 400-500 carry most
    # of it), and low scorers were surveyed late, high scorers early. A clock started at each account's response (the
    # former model) sees low scorers churn sooner after their survey and reads it as a link; one calendar clock, every
    # account entering the risk set when surveyed, compares accounts on the same days and finds none.
    rng = np.random.default_rng(5)
    n, days = 3000, 1100
    score = rng.integers(0, 11, n).astype(float)
    surveyed = 30 * (10 - score) + rng.integers(0, 30, n)
    hazard = np.where((np.arange(days) >= 400) & (np.arange(days) < 500), 0.01, 0.0005)
    hit = rng.random((n, days)) < hazard
    churn_day = np.where(hit.any(axis=1), hit.argmax(axis=1), days + 1)
    t0, as_of = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-01") + pd.Timedelta(days=days)
    keep = churn_day > surveyed + 31  # accounts that churned before their survey have no score
    churned = churn_day <= days
    d = pd.DataFrame({"score": score, "score_at": t0 + pd.to_timedelta(surveyed, unit="D"),
                      "churned": churned.astype(int),
                      "outcome_at": t0 + pd.to_timedelta(np.minimum(churn_day, days), unit="D")})[keep]
    new = O.churn_hazard(d, as_of=as_of)
    assert new.ci_low < 1 < new.ci_high and abs(np.log(new.hazard_ratio)) < 0.02
    hz = O.hazard_frame(d, as_of=as_of)
    assert (hz["exit"] > hz["entry"]).all() and len(hz) == len(d)
    assert hz["event"].sum() == d["churned"].sum() and (hz.loc[hz["event"] == 0, "exit_at"] == as_of).all()
    old = cox_fit((d["outcome_at"] - d["score_at"]).dt.days, d["churned"].astype(bool), d["score"])
    assert old.hazard_ratio < 0.95 and old.p_value < 1e-12  # the old clock finds a link (0.94 a point) not there


# --------------------------------------------------------------------------- suspicious link (issue 19, class 3)


def test_suspicious_link_fires_when_promoters_never_churn_and_not_on_ordinary_data(demo_outcome, base, nolink):
    rng = np.random.default_rng(4)
    n = 400
    score = rng.integers(0, 11, n).astype(float)
    # promoters never churn, the others churn at random (AUC about 0.75: below the AUC trigger)
    churn = (score < 9) & (rng.random(n) < 0.35)
    ids = [f"A{i}" for i in range(n)]
    r = pd.DataFrame({"account_id": ids, "score": score, "responded_at": pd.Timestamp("2024-03-01"),
                      "respondent_id": ids})
    acc = pd.DataFrame({"account_id": ids, "churned": churn,
                        "outcome_at": pd.Timestamp("2025-03-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D")})
    res = diagnose(r, acc)
    a = res.tables["models"].set_index("model").loc["ROC (DeLong)", "estimate"]
    f = res.finding("outcome.suspicious_link")
    assert a < 0.9 and f is not None and f.evidence["promoter_churn_rate"] == 0 and f.evidence["outcome_dates"]
    assert "no outcome dates" not in f.detail and res.status != "green"
    for ordinary in (demo_outcome, base[2], nolink):
        assert ordinary.finding("outcome.suspicious_link") is None


def test_role_lists_never_overlap(demo_outcome):
    f = demo_outcome.finding("outcome.role_predictiveness")
    assert f is not None and not set(f.evidence["predictive_roles"]) & set(f.evidence["weak_roles"])
    assert f.evidence["weak_roles"] == ["User"]
