"""Tests of the decay area: follow-up, follow-up effect, score staleness, response rates and latency.

Statistics are checked against hand computations (written in the comments) or
independent computations (scipy, statsmodels and scikit-learn called directly
here); each finding id has a synthetic data set on which it must fire and a
clean one on which it must not.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from sklearn.metrics import roc_auc_score

from npsdiag import linking
from npsdiag.areas import decay
from npsdiag.clean import prepare
from npsdiag.findings import FINDING_IDS
from npsdiag.io import from_frames
from npsdiag.stats.auc import auc_delong, auc_hanley_mcneil
from npsdiag.stats.medians import MedianCI, median_ci
from npsdiag.stats.proportions import wilson_interval

DECAY_IDS = [i for i in FINDING_IDS if i.startswith("decay.")]
NOW = "2025-06-01"


# --------------------------------------------------------------------------- synthetic client


def make_client(seed: int = 0, n_accounts: int = 300, contacts: int = 3, months: int = 24, fu_median: float = 3.0,
                never: float = 0.01, fu_effect: float = 0.0, stale: bool = False, stale_sd: float = 0.8,
                rate_start: float = 0.4, rate_end: float = 0.4, latency_median: float = 1.0,
                passive_fu: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Responses, accounts and invitations of a B2B program with tunable decay problems.

    Each contact is invited about every three months and answers with a
    probability going linearly from ``rate_start`` to ``rate_end``, after a
    log-normal delay (median ``latency_median`` days). Account health is
    constant, or (``stale``) a monthly random walk, so that old scores say
    less about health at the outcome date. Detractors are followed up after
    a log-normal delay (median ``fu_median``) except a share ``never``; churn
    depends on health at the outcome and (``fu_effect``) on how slowly the
    account's detractors were followed up.
    """
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    span = months * 30.44
    acc_ids = np.array([f"A{i:04d}" for i in range(n_accounts)])
    base = rng.normal(0, 1, n_accounts)
    walk = np.cumsum(rng.normal(0, stale_sd, (n_accounts, months + 12)), axis=1) if stale else np.zeros(
        (n_accounts, months + 12))
    outcome_m = rng.uniform(6, months + 6, n_accounts)
    per = months // 3
    cid = np.repeat(np.arange(n_accounts * contacts), per)
    k = np.tile(np.arange(per), n_accounts * contacts)
    t_inv = k * (span / per) + rng.uniform(0, span / per, len(k))
    acc_idx = cid // contacts
    email = np.array([f"c{c}@acct{a}.example" for c, a in zip(cid, acc_idx, strict=True)])
    answered = rng.random(len(k)) < rate_start + (rate_end - rate_start) * t_inv / span
    t_resp = t_inv + rng.lognormal(np.log(latency_median), 0.8, len(k))
    inv = pd.DataFrame({"invited_at": start + pd.to_timedelta(t_inv, unit="D"), "respondent_id": email,
                        "account_id": acc_ids[acc_idx]})
    m = answered & (t_resp < span)
    ai, tr, n = acc_idx[m], t_resp[m], int(m.sum())
    h = base[ai] + walk[ai, np.minimum((tr / 30.44).astype(int), months + 11)]
    score = np.clip(np.round(7 + 2.0 * h + rng.normal(0, 1.0, n)), 0, 10)
    det, pas = score <= 6, (score >= 7) & (score <= 8)
    delay = rng.lognormal(np.log(fu_median), 0.7, n)
    fu = np.where(det & (rng.random(n) >= never), delay, np.nan)
    fu = np.where(pas & (rng.random(n) < passive_fu), delay, fu)
    t_fu = np.where(tr + fu > span, np.nan, tr + fu)
    resp = pd.DataFrame({
        "response_id": [f"R{i}" for i in range(n)], "score": score,
        "responded_at": start + pd.to_timedelta(tr, unit="D"),
        "invited_at": start + pd.to_timedelta(t_inv[m], unit="D"),
        "followed_up_at": start + pd.to_timedelta(t_fu, unit="D"),
        "respondent_id": email[m], "account_id": acc_ids[ai],
        "owner": np.array(["Ann", "Bob", "Cy", "Dee"])[ai % 4],
        "role": np.array(["user", "executive"])[rng.integers(0, 2, n)],
        "comment": np.where(det, "call me at +1 555 123 4567", "fine"),
    })
    band = np.where(np.isnan(fu), 3, np.where(fu <= 7, 0, np.where(fu <= 14, 1, 2)))
    bmean = pd.Series(band[det]).groupby(ai[det]).mean().reindex(range(n_accounts)).fillna(0).to_numpy()
    h_out = base + walk[np.arange(n_accounts), np.minimum(outcome_m.astype(int), months + 11)]
    churned = rng.random(n_accounts) < 1 / (1 + np.exp(-(-1.5 - 1.3 * h_out + fu_effect * (bmean - 1.0))))
    accounts = pd.DataFrame({"account_id": acc_ids, "churned": churned,
                             "outcome_at": start + pd.to_timedelta(outcome_m * 30.44, unit="D"),
                             "revenue": np.round(rng.lognormal(10, 1, n_accounts), 0),
                             "name": [f"Account {i}" for i in range(n_accounts)]})
    return resp, accounts, inv


def _run(resp, accounts=None, invitations=None, **settings):
    prep = prepare(from_frames(resp, accounts=accounts, invitations=invitations, settings=settings or None), as_of=NOW)
    return prep, decay.diagnose(prep)


BAD = dict(fu_median=10, never=0.25, fu_effect=2.0, stale=True, rate_start=0.4, rate_end=0.2, latency_median=5)


@pytest.fixture(scope="module")
def clean_result():
    r, a, i = make_client(seed=1)
    return _run(r, a, i)


@pytest.fixture(scope="module")
def bad_result():
    r, a, i = make_client(seed=1, **BAD)
    return _run(r, a, i)


# --------------------------------------------------------------------------- small statistics


def test_wilson_interval_matches_formula():
    # Wilson (1927) by hand for 5/20 at 95%: p=.25, z=1.959964, centre=(p+z²/2n)/(1+z²/n),
    # half=z*sqrt(p(1-p)/n + z²/4n²)/(1+z²/n) -> (0.1119, 0.4687)
    z = stats.norm.ppf(0.975)
    n, p = 20, 0.25
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    lo, hi = wilson_interval([5, 0], [20, 0])
    assert lo[0] == pytest.approx(centre - half, abs=1e-9)
    assert hi[0] == pytest.approx(centre + half, abs=1e-9)
    assert round(lo[0], 4) == 0.1119 and round(hi[0], 4) == 0.4687
    assert math.isnan(lo[1]) and math.isnan(hi[1])  # no trials: no interval, no error


def test_median_ci_order_statistics():
    # n=10 at 95%: P(B<=1)=11/1024=.0107 < .025 <= P(B<=2)=56/1024 -> l=2: (x(2), x(9)), coverage 1-2*.0107=.979
    assert median_ci([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]) == MedianCI(5.5, 2.0, 9.0, 10)
    # n=5: even (x(1), x(5)) only covers 1-2/32 = .9375 < .95 -> no interval
    r = median_ci([1, 2, 3, 4, 5])
    assert r.median == 3 and math.isnan(r.ci_low) and math.isnan(r.ci_high)
    empty = median_ci([None, float("nan")])  # missing values are left out
    assert empty.n == 0 and all(math.isnan(v) for v in (empty.median, empty.ci_low, empty.ci_high))
    assert list(median_ci(range(1, 11)).summary.columns) == ["median", "ci_low", "ci_high", "n"]


def test_auc_hanley_mcneil_against_hand_and_sklearn():
    # retained [3,4,7,8] vs churned [1,2,5,6]: pairs retained>churned = 2+2+4+4 = 12 of 16 -> A = .75
    # Hanley-McNeil: Q1 = .75/1.25 = .6, Q2 = 2*.5625/1.75 = .642857;
    # var = (.1875 + 3(.6-.5625) + 3(.642857-.5625)) / 16 = .541071/16 = .033817 -> SE = .183894
    score = [3, 4, 7, 8, 1, 2, 5, 6]
    churned = [False] * 4 + [True] * 4
    out = auc_hanley_mcneil(score, churned)
    assert out.auc == pytest.approx(0.75)
    assert out.se == pytest.approx(0.183894, abs=1e-6)
    assert out.ci_low == pytest.approx(0.75 - stats.norm.ppf(0.975) * 0.183894, abs=1e-5)
    assert out.ci_high == 1.0  # clipped
    rng = np.random.default_rng(3)
    s = rng.integers(0, 11, 400).astype(float)
    c = rng.random(400) < 1 / (1 + np.exp(s - 5))
    # AUC of the score for retention = sklearn's AUC of -score for churn (ties count 1/2 in both)
    assert auc_hanley_mcneil(s, c).auc == pytest.approx(roc_auc_score(c, -s))
    one_class = auc_hanley_mcneil([1, 2, 3], [False, False, False])
    assert math.isnan(one_class.auc) and one_class.n_churned == 0


# --------------------------------------------------------------------------- clustered AUC (issue 16, item 6)

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def staleness_ref() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo's score-staleness responses and R's AUCs on them (tests/reference/decay_auc_clustered.R)."""
    return pd.read_csv(REF / "decay_staleness.csv"), pd.read_csv(REF / "decay_auc_clustered_r.csv").set_index("group")


def test_auc_clustered_by_hand():
    # retained 9 (a), 5 (a), 7 (c); churned 3 (b), 6 (b), 2 (d): 8 of 9 pairs ordered -> AUC 8/9.
    # placements: churned 3 -> 1, 6 -> 2/3, 2 -> 1; retained 9 -> 1, 5 -> 2/3, 7 -> 1 (residuals 1/9, -2/9, 1/9).
    # account sums: b = -1/9, d = 1/9 (churned); a = -1/9, c = 1/9 (retained); S11 = 0 (no mixed account).
    # S10 = 2 / (1 * 3) * 2/81 = 4/243 -> S10 / M = 4/729, the same for S01 / N: var = 8/729, SE = sqrt(8)/27.
    # DeLong (every response independent): var(V10)/3 + var(V01)/3 = 2 * (1/27) / 3 -> SE = sqrt(2/81) = 0.157135
    d = pd.DataFrame({"score": [9, 5, 3, 6, 7, 2], "churned": [False, False, True, True, False, True],
                      "account_id": ["a", "a", "b", "b", "c", "d"]})
    r = decay.auc_clustered(d)
    assert r.auc == pytest.approx(8 / 9)
    assert r.se == pytest.approx(math.sqrt(8) / 27, rel=1e-12)
    assert r.se_independent == pytest.approx(math.sqrt(2 / 81), rel=1e-12)
    assert r.design_effect == pytest.approx(8 / 729 / (2 / 81))
    assert r.ci_low == pytest.approx(8 / 9 - stats.norm.ppf(0.975) * math.sqrt(8) / 27) and r.ci_high == 1.0
    assert (r.n_churned, r.n_retained, r.clusters_churned, r.clusters_retained) == (3, 3, 2, 2)
    # one response per account: DeLong's interval (as auc_delong, R pROC)
    flat = decay.auc_clustered(d, cluster=None)
    ref = auc_delong(d["churned"], d["score"])
    assert (flat.se, flat.ci_low) == (pytest.approx(ref.se, rel=1e-12), pytest.approx(ref.ci_low, rel=1e-12))
    # too few accounts of one kind: no interval, never an error
    few = decay.auc_clustered(d.assign(account_id=["a", "a", "b", "b", "c", "b"]))
    assert few.auc == pytest.approx(8 / 9) and math.isnan(few.se) and math.isnan(few.ci_low)
    assert math.isnan(decay.auc_clustered(d.assign(churned=False)).auc)


def test_auc_clustered_equals_r_per_age_band(staleness_ref):
    # R: pROC's DeLong placements averaged by survey::svymean with the accounts as clusters
    d, ref = staleness_ref
    for band in ["0-3 months", "3-6 months", "6-12 months", "12+ months", "all"]:
        g = d if band == "all" else d[d["band"] == band]
        got = decay.auc_clustered(g.assign(churned=g["churned"].astype(bool)), cluster="account")
        want = ref.loc[band]
        assert got.auc == pytest.approx(want["auc"], rel=1e-12)
        assert got.se == pytest.approx(want["se_clustered"], rel=1e-9)
        assert got.se_independent == pytest.approx(want["se_delong"], rel=1e-9)
        assert got.clusters_churned + got.clusters_retained == want["accounts"]
        # the leave-one-account-out jackknife is another estimator of the same variance: close, not equal
        assert got.se == pytest.approx(want["se_jackknife"], rel=0.06)
        # responses treated as independent: 1.16 to 1.66 times too narrow in the bands, 2.1 times over all
        assert 1.15 < got.se / got.se_independent < 2.2


def test_auc_clustered_mixed_clusters_equal_r_linearisation(staleness_ref):
    # clusters of ~14 accounts each mixing churned and retained responses (S11 != 0): R's svytotal of the
    # linearised AUC over that design
    d, ref = staleness_ref
    mixed = d["account"].str[1:].astype(int) % 40
    assert (d.groupby(mixed)["churned"].nunique() == 2).all()  # every cluster holds both kinds
    got = decay.auc_clustered(d.assign(churned=d["churned"].astype(bool), mixed=mixed), cluster="mixed")
    assert got.se == pytest.approx(ref.loc["mixed clusters", "se_clustered"], rel=1e-9)


def test_auc_clustered_interval_matches_an_account_bootstrap(staleness_ref):
    # a plain bootstrap of accounts (independent of the formula) on the band with the largest design effect
    d, _ = staleness_ref
    g = d[d["band"] == "6-12 months"].reset_index(drop=True)
    got = decay.auc_clustered(g.assign(churned=g["churned"].astype(bool)), cluster="account")
    codes, accounts = pd.factorize(g["account"])
    rng = np.random.default_rng(2024)
    y, s = g["churned"].to_numpy() == 1, g["score"].to_numpy()
    boot = []
    for _ in range(1000):  # each replicate: accounts drawn with replacement, all their responses taken
        rows = np.repeat(np.arange(len(g)), np.bincount(rng.integers(0, len(accounts), len(accounts)),
                                                        minlength=len(accounts))[codes])
        yy, ranks = y[rows], stats.rankdata(s[rows])  # Mann-Whitney: midranks of the retained responses
        n1, n0 = int((~yy).sum()), int(yy.sum())
        boot.append((ranks[~yy].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))
    se_boot = float(np.std(boot, ddof=1))
    assert got.se == pytest.approx(se_boot, rel=0.10)  # Monte Carlo error of 1,000 replicates: about 2.2%
    assert got.se_independent < 0.7 * se_boot  # the unclustered interval is far too narrow here
    hm = auc_hanley_mcneil(g["score"], g["churned"].astype(bool))
    assert hm.se < 0.7 * se_boot


def test_score_age_bands_intervals_are_clustered():
    # 60 accounts answering 10 times each with near-identical scores: the AUC interval and the odds-ratio interval
    # count accounts, not responses
    rng = np.random.default_rng(8)
    acc = np.repeat(np.arange(60), 10)
    health = rng.normal(0, 1, 60)
    churned = rng.random(60) < 1 / (1 + np.exp(2 * health))
    d = pd.DataFrame({"account_id": acc, "score": np.clip(np.round(6 + 2 * health[acc] + rng.normal(0, 0.3, 600)),
                                                          0, 10),
                      "churned": churned[acc], "score_age_months": rng.uniform(0, 2.9, 600)})
    row = decay.score_age_bands(d).iloc[0]
    flat = decay.score_age_bands(d, cluster=None).iloc[0]
    ref = decay.auc_clustered(d)
    assert row["auc"] == flat["auc"] == pytest.approx(ref.auc)
    assert (row["auc_ci_low"], row["auc_ci_high"]) == (pytest.approx(ref.ci_low), pytest.approx(ref.ci_high))
    assert row["accounts"] == 60 and flat["accounts"] == 600
    assert row["auc_design_effect"] > 3 and flat["auc_design_effect"] == pytest.approx(1.0)
    assert row["auc_ci_high"] - row["auc_ci_low"] > 1.5 * (flat["auc_ci_high"] - flat["auc_ci_low"])
    ols = sm.Logit(d["churned"].astype(float), sm.add_constant(d["score"])).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": d["account_id"]})
    lo = math.exp(ols.params["score"] - stats.norm.ppf(0.975) * ols.bse["score"])
    assert row["or_ci_low"] == pytest.approx(lo, rel=1e-6)


# --------------------------------------------------------------------------- outcomes: one rule with the embargo


def _embargo_client(**settings):
    """Six detractors of accounts churned on 2024-06-30, answering 60, 31, 30, 10, 0 days before it and 5 after."""
    out = pd.Timestamp("2024-06-30")
    days = [60, 31, 30, 10, 0, -5]
    resp = pd.DataFrame({"response_id": [f"r{i}" for i in range(6)], "score": [3.0] * 6,
                         "responded_at": [out - pd.Timedelta(days=d) for d in days],
                         "followed_up_at": [out - pd.Timedelta(days=d - 2) for d in days],
                         "account_id": [f"A{i}" for i in range(6)]})
    acc = pd.DataFrame({"account_id": [f"A{i}" for i in range(6)], "churned": [True] * 6,
                        "outcome_at": [out] * 6})
    return prepare(from_frames(resp, accounts=acc, settings=settings or None), as_of="2024-08-01")


@pytest.mark.parametrize("embargo, kept", [(None, ["r0", "r1"]), (30, ["r0", "r1"]), (0, ["r0", "r1", "r2", "r3"]),
                                           (45, ["r0"])])
def test_decay_relates_responses_to_outcomes_by_the_shared_rule(embargo, kept):
    # linking.before_outcome: responded_at < outcome_at - embargo (30 days by default): 31 days before is used,
    # exactly 30 days before is not; the same day (0) and after (-5) never are (the old rule kept the same day and
    # every response up to it, so a score given the week of the churn counted)
    from npsdiag.areas.decay import checks

    prep = _embargo_client(**({} if embargo is None else {"outcome_embargo_days": embargo}))
    linked = checks.linked_outcomes(checks.gather(prep))
    ids = prep.responses["response_id"].to_numpy()
    rows = prep.responses["responded_at"].isin(linked.responses["responded_at"])
    assert sorted(ids[rows.to_numpy()]) == kept and linked.n_after_outcome == 6 - len(kept)
    want = linking.before_outcome(prep.responses["responded_at"], pd.Series([pd.Timestamp("2024-06-30")] * 6),
                                  30 if embargo is None else embargo)
    assert rows.tolist() == want.tolist()
    res = decay.diagnose(prep)
    note = next(n for n in res.notes if "left out of the churn analyses" in n)
    assert note.startswith(f"{6 - len(kept)} response(s)")
    assert ("days before it" in note) == (embargo != 0)


# --------------------------------------------------------------------------- follow-up building blocks


def _fu_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "responded_at": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01", "2024-03-28", "2024-01-10",
                                        "2024-01-01"]),
        "followed_up_at": pd.to_datetime(["2024-01-08", "2024-01-20", None, None, "2024-01-05", "2024-02-20"]),
    })


def test_follow_up_latency_statuses_and_censoring():
    out = decay.follow_up_latency(_fu_frame(), sla_days=7, end="2024-04-01")
    # 7 days = within (<= SLA); 19 days late; no follow-up after 91 days never; 4 days old and none: open;
    # follow-up before the response: invalid; 50 days late
    assert out["follow_up_status"].tolist() == ["within_sla", "late", "never", "open", "invalid", "late"]
    assert out["latency_days"].tolist()[:2] == [7.0, 19.0]
    assert math.isnan(out["latency_days"].iloc[4])
    # without followed_up_at nothing is followed up
    none = decay.follow_up_latency(_fu_frame().drop(columns="followed_up_at"), sla_days=7, end="2024-04-01")
    assert none["follow_up_status"].tolist() == ["never", "never", "never", "open", "never", "never"]


def test_follow_up_summary_counts_and_intervals():
    d = decay.follow_up_latency(_fu_frame(), sla_days=7, end="2024-04-01").assign(owner=["a", "a", "a", "b", "b", None])
    s = decay.follow_up_summary(d, confidence=0.95).iloc[0]
    # 6 rows: within 1, late 2, never 1, open 1, invalid 1 -> closed = 4; within 1/4, never 1/4, late 2/3
    assert (s["n"], s["followed_up"], s["n_closed"]) == (6, 3, 4)
    assert s["share_within_sla"] == 0.25 and s["share_never"] == 0.25
    assert s["share_late"] == pytest.approx(2 / 3)
    lo, hi = wilson_interval(1, 4)
    assert s["never_ci_low"] == pytest.approx(float(lo)) and s["never_ci_high"] == pytest.approx(float(hi))
    assert s["median_days"] == 19.0  # followed-up latencies 7, 19, 50
    by = decay.follow_up_summary(d, by="owner").set_index("owner")
    assert by.loc["a", "n"] == 3 and by.loc["(none)", "n"] == 1 and by.loc["b", "n_closed"] == 0
    assert math.isnan(by.loc["b", "share_never"])  # nothing closed: no share, no error


def test_latency_band_and_churn_table():
    st = pd.Series(["within_sla", "late", "late", "never", "open"])
    lat = pd.Series([3.0, 10.0, 30.0, np.nan, np.nan])
    band = decay.latency_band(st, lat, 7)
    assert band.astype("string").tolist()[:4] == ["within SLA (<= 7 d)", "7-14 d", "> 14 d", "never"]
    assert pd.isna(band.iloc[4])
    d = pd.DataFrame({"band": band, "churned": [False, True, True, True, True]})
    tab = decay.follow_up_churn(d)
    assert tab["n"].tolist() == [1, 1, 1, 1] and tab["churn_rate"].tolist() == [0, 1, 1, 1]


def test_follow_up_churn_intervals_count_accounts():
    # 8 detractor responses of 4 accounts (2 each), all of an account churned or not: p = 1/2, cluster totals of
    # (y - p) = 1, 1, -1, -1 -> var = 4/3 * 4 / 8^2 = 1/12 against p(1-p)/n = 1/32: design effect 8/3, and the
    # Wilson interval of 4 of 8 becomes that of 1.5 of 3 (Kish effective counts)
    from statsmodels.stats.proportion import proportion_confint

    d = pd.DataFrame({"band": pd.Categorical(["never"] * 8), "churned": [True] * 4 + [False] * 4,
                      "account_id": ["a", "a", "b", "b", "c", "c", "d", "d"]})
    row = decay.follow_up_churn(d).iloc[0]
    assert row["design_effect"] == pytest.approx(8 / 3)
    lo, hi = proportion_confint(1.5, 3, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
    flat = decay.follow_up_churn(d, cluster=None).iloc[0]
    lo, hi = proportion_confint(4, 8, method="wilson")
    assert flat["design_effect"] == 1 and (flat["ci_low"], flat["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))


def test_follow_up_churn_model_against_statsmodels():
    rng = np.random.default_rng(7)
    n = 600
    d = pd.DataFrame({"band_code": rng.integers(0, 4, n), "score": rng.integers(0, 7, n).astype(float),
                      "account_id": [f"a{i % 150}" for i in range(n)]})
    d["churned"] = rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.4 * d["band_code"] - 0.2 * d["score"])))
    model = decay.follow_up_churn_model(d)
    out, kind = model.terms, model.covariance
    assert model.fitted and model.summary is out
    ref = sm.Logit(d["churned"].astype(float), sm.add_constant(d[["band_code", "score"]].astype(float))).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": pd.factorize(d["account_id"])[0]})
    assert kind == "cluster-robust by account"
    assert out["odds_ratio"].iloc[0] == pytest.approx(math.exp(ref.params["band_code"]), rel=1e-6)
    assert out["p_value"].iloc[0] == pytest.approx(ref.pvalues["band_code"], rel=1e-4)
    ci = np.exp(ref.conf_int().loc["score"])
    assert out["ci_low"].iloc[1] == pytest.approx(ci[0], rel=1e-6) and out["ci_high"].iloc[1] == pytest.approx(ci[1])
    # one outcome only: no model, a reason instead of an exception
    empty = decay.follow_up_churn_model(d.assign(churned=False))
    assert not empty.fitted and empty.terms.empty and "one outcome" in empty.covariance


# --------------------------------------------------------------------------- staleness building blocks


def test_score_age_bands_against_sklearn_and_statsmodels():
    rng = np.random.default_rng(11)
    n = 800
    d = pd.DataFrame({"score": rng.integers(0, 11, n).astype(float), "score_age_months": rng.uniform(0, 24, n)})
    d["churned"] = rng.random(n) < 1 / (1 + np.exp(-(1.5 - 0.35 * d["score"])))
    bands = decay.score_age_bands(d)
    assert bands["band"].tolist() == ["0-3 months", "3-6 months", "6-12 months", "12+ months"]
    g = d[(d["score_age_months"] >= 6) & (d["score_age_months"] < 12)]
    row = bands.set_index("band").loc["6-12 months"]
    assert row["n"] == len(g)
    assert row["auc"] == pytest.approx(roc_auc_score(g["churned"], -g["score"]))
    ref = sm.Logit(g["churned"].astype(float), sm.add_constant(g["score"])).fit(disp=0)
    assert row["odds_ratio_per_point"] == pytest.approx(math.exp(ref.params["score"]), rel=1e-6)


def test_staleness_model_against_statsmodels():
    rng = np.random.default_rng(5)
    n = 1500
    d = pd.DataFrame({"score": rng.integers(0, 11, n).astype(float), "score_age_months": rng.uniform(0, 24, n),
                      "account_id": [f"a{i % 300}" for i in range(n)]})
    age = d["score_age_months"] / 12
    d["churned"] = rng.random(n) < 1 / (1 + np.exp(-(-(0.6 - 0.25 * age) * (d["score"] - 5))))
    out = decay.staleness_model(d).terms
    sc = d["score"] - d["score"].mean()
    X = pd.DataFrame({"const": 1.0, "s": sc, "a": age, "sa": sc * age})
    ref = sm.Logit(d["churned"].astype(float), X).fit(disp=0, cov_type="cluster",
                                                       cov_kwds={"groups": pd.factorize(d["account_id"])[0]})
    assert out["odds_ratio"].iloc[2] == pytest.approx(math.exp(ref.params["sa"]), rel=1e-6)
    assert out["p_value"].iloc[2] == pytest.approx(ref.pvalues["sa"], rel=1e-4)
    assert out["odds_ratio"].iloc[2] > 1  # the planted weakening


def test_stale_after_months():
    def tab(lows):
        return pd.DataFrame({"months_from": [0, 3, 6, 12], "auc_ci_low": lows})

    assert decay.stale_after_months(tab([0.6, 0.55, 0.45, 0.40])) == 6.0
    assert decay.stale_after_months(tab([0.6, 0.55, 0.52, 0.51])) is None  # predicts at every age
    assert decay.stale_after_months(tab([0.45, 0.55, 0.40, 0.40])) is None  # young scores do not predict either
    assert decay.stale_after_months(tab([0.6, 0.45, 0.55, 0.40])) == 12.0  # a dip then recovery is not the cut


# --------------------------------------------------------------------------- response rates building blocks


def test_match_invitations_by_respondent_window_and_once():
    inv = pd.DataFrame({"invited_at": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01", "2024-03-01",
                                                      "2024-03-05"]),
                        "respondent_id": ["A@x.com", "b@x.com", "c@x.com", "d@x.com", "d@x.com"]})
    res = pd.DataFrame({"responded_at": pd.to_datetime(["2024-01-03", "2024-04-15", "2024-03-06", "2024-03-07",
                                                        "2023-12-01"]),
                        "respondent_id": [" a@x.com", "c@x.com", "d@x.com", "d@x.com", "b@x.com"]})
    m = linking.match_invitations(inv, res, window_days=30)
    # a: matched despite case and spaces (2 days); b: response before invitation; c: 74 days > window;
    # d: both responses go to the latest invitation before them (Mar 5), which is matched once: Mar 1 unanswered
    assert m["responded"].tolist() == [True, False, False, False, True]
    assert m["response_latency_days"].iloc[0] == 2.0
    assert m["response_latency_days"].iloc[4] == 1.0


def test_match_invitations_by_response_id_and_no_key():
    inv = pd.DataFrame({"invited_at": pd.to_datetime(["2024-01-01", "2024-01-02"]), "response_id": ["R1", None]})
    res = pd.DataFrame({"responded_at": pd.to_datetime(["2024-01-05"]), "response_id": ["R1"]})
    m = linking.match_invitations(inv, res)
    assert m["responded"].tolist() == [True, False] and m["response_latency_days"].iloc[0] == 4.0
    assert linking.match_invitations(inv[["invited_at"]], res[["responded_at"]]) is None


def test_response_rates_and_trend_against_statsmodels():
    rng = np.random.default_rng(2)
    n = 4000
    t = rng.uniform(0, 730, n)
    inv = pd.DataFrame({"invited_at": pd.Timestamp("2023-01-01") + pd.to_timedelta(t, unit="D"),
                        "respondent_id": [f"p{i % 800}" for i in range(n)]})
    p = 0.45 - 0.1 * t / 365.25
    inv["responded"] = rng.random(n) < p
    inv["response_latency_days"] = np.where(inv["responded"], 2.0, np.nan)
    end = pd.Timestamp("2025-01-01")
    rates = decay.response_rates(inv, end=end, window_days=30)
    # whole months only, and none whose 30-day window runs past the end: the last is November 2024
    assert rates["period"].iloc[-1] == "2024-11" and rates["period"].iloc[0] == "2023-01"
    jan = inv[inv["invited_at"] < "2023-02-01"]
    assert rates["invited"].iloc[0] == len(jan) and rates["responded"].iloc[0] == jan["responded"].sum()
    tr = decay.response_rate_trend(inv, end=end, window_days=30)
    d = inv[inv["invited_at"] <= end - pd.Timedelta(days=30)]
    years = (d["invited_at"] - d["invited_at"].min()).dt.total_seconds() / 86400 / 365.25
    ref = sm.Logit(d["responded"].astype(float), sm.add_constant(years.to_numpy())).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": pd.factorize(d["respondent_id"])[0]})
    assert tr.odds_ratio_per_year == pytest.approx(math.exp(ref.params.iloc[1]), rel=1e-6)
    # average marginal effect by hand: mean(p(1-p)) * b1, in points
    ph = ref.predict()
    assert tr.change_points_per_year == pytest.approx(100 * np.mean(ph * (1 - ph)) * ref.params.iloc[1], rel=1e-6)
    assert tr.ci_low < tr.change_points_per_year < tr.ci_high < 0
    assert tr.change_points_per_year == pytest.approx(-10, abs=3)  # the planted -10 points a year
    assert tr.n == len(d) and tr.n_responded == int(d["responded"].sum())
    assert tr.covariance == "cluster-robust by respondent" and tr.reason is None
    # nothing with a complete response window: a reason, NaN estimates
    none = decay.response_rate_trend(inv, end=inv["invited_at"].min(), window_days=30)
    assert none.n == 0 and none.reason and math.isnan(none.p_value)


def test_response_latency_against_hand():
    # latencies 0, 1, 1, 2, 9, 10, 12, 3, 4, 5: sorted 0 1 1 2 3 4 5 9 10 12 -> median 3.5; 3 of 10 over 7 days
    d = pd.DataFrame({"response_latency_days": [0, 1, 1, 2, 9, 10, 12, 3, 4, 5, -1]})  # -1 ignored
    lat = decay.response_latency(d)
    assert lat.n == 10 and lat.median_days == 3.5 and lat.share_over_long == 0.3
    assert lat.p_long == pytest.approx(stats.binomtest(3, 10, 0.25, alternative="greater").pvalue)
    # sign test against 3 days: the tie (3) is dropped, 5 of the other 9 are above -> P(B(9, .5) >= 5) = .5
    assert lat.p_median == pytest.approx(stats.binomtest(5, 9, 0.5, alternative="greater").pvalue)
    assert lat.p_median == pytest.approx(0.5)
    # sorted 0 1 1 2 3 4 5 9 10 12: 90th percentile (linear) = 10 + .1 * (12 - 10) = 10.2
    assert lat.p90_days == pytest.approx(10.2) and lat.long_days == 7 and lat.median_threshold == 3


# --------------------------------------------------------------------------- findings: fire and not fire


@pytest.mark.parametrize("finding_id", DECAY_IDS)
def test_finding_fires_on_planted_problem(bad_result, finding_id):
    _, res = bad_result
    assert res.finding(finding_id) is not None, [f.id for f in res.findings]


@pytest.mark.parametrize("finding_id", DECAY_IDS)
def test_finding_silent_on_clean_program(clean_result, finding_id):
    _, res = clean_result
    assert res.finding(finding_id) is None, res.finding(finding_id)


def test_clean_program_is_green_with_full_result(clean_result):
    _, res = clean_result
    assert res.status == "green"
    assert not [f for f in res.findings if f.severity in ("high", "medium")]
    for key in ("follow_up", "follow_up_by_period", "follow_up_by_owner", "churn_by_follow_up", "score_staleness",
                "response_rate", "response_latency"):
        assert key in res.tables and key in res.table_captions
    for t in res.tables.values():
        assert len(t) <= 30
    assert res.summary and "7-day SLA" in res.summary


def test_bad_program_evidence_and_severity(bad_result):
    prep, res = bad_result
    assert res.status == "red"
    slow = res.finding("decay.slow_follow_up")
    assert slow.severity == "high" and 8 < slow.evidence["median_days"] < 12 and slow.evidence["sla_days"] == 7
    never = res.finding("decay.no_follow_up")
    assert never.severity == "high" and 0.2 < never.evidence["share_never"] < 0.3
    assert never.evidence["ci_low"] < never.evidence["share_never"] < never.evidence["ci_high"]
    eff = res.finding("decay.follow_up_effect")
    assert eff.evidence["odds_ratio_per_step"] > 1 and "not proof" in eff.detail
    trend = res.finding("decay.response_rate_trend")
    assert trend.evidence["change_points_per_year"] < 0 and trend.evidence["ci_high"] < 0
    stl = res.finding("decay.score_staleness")
    assert stl.evidence["interaction_odds_ratio_per_year"] > 1 and "Survey each account" in stl.recommendation
    for f in res.findings:
        assert f.evidence.get("p_adj", f.evidence.get("p_adj_share", 0)) < 0.05
        json.dumps(f.to_dict())  # evidence is JSON-serialisable
        assert f.title and f.detail and f.recommendation
    assert {fg.key for fg in res.figures} >= {"follow_up_ecdf", "churn_by_follow_up", "auc_by_score_age",
                                              "response_rate_by_month"}
    for fg in res.figures:
        assert fg.figure.get_figwidth() <= 7.5 and fg.caption


def test_open_detractors_are_not_counted_as_never():
    # 40 detractors: 30 followed up in 2 days, 10 answered in the last 3 days and not followed up yet.
    # Counting them as "never" would give 25% never; they are open (right-censored), so 0% never.
    t = pd.Timestamp("2024-06-01")
    recent = [t + pd.Timedelta(days=60, hours=7 * i) for i in range(10)]  # the last 63 hours of the data
    resp = pd.DataFrame({"score": [3.0] * 40,
                         "responded_at": [t + pd.Timedelta(days=i) for i in range(30)] + recent,
                         "followed_up_at": [t + pd.Timedelta(days=i + 2) for i in range(30)] + [None] * 10})
    _, res = _run(resp)
    assert res.finding("decay.no_follow_up") is None
    row = res.tables["follow_up"].set_index("category").loc["detractor"]
    assert row["open"] == 10 and row["share_never"] == 0


def test_slow_follow_up_not_fired_by_a_few_late_ones():
    # 100 detractors, 12 handled after the SLA: 12% is within the 20% tolerance
    t = pd.Timestamp("2024-01-01")
    lat = [3] * 88 + [10] * 12
    resp = pd.DataFrame({"score": [2.0] * 100, "responded_at": [t + pd.Timedelta(days=i) for i in range(100)],
                         "followed_up_at": [t + pd.Timedelta(days=i + d) for i, d in enumerate(lat)]})
    _, res = _run(resp)
    assert res.finding("decay.slow_follow_up") is None
    assert res.tables["follow_up"]["share_within_sla"].iloc[0] == pytest.approx(0.88)


def test_no_follow_up_recorded_at_all_is_said_plainly():
    t = pd.Timestamp("2024-01-01")
    resp = pd.DataFrame({"score": [2.0] * 50, "responded_at": [t + pd.Timedelta(days=i) for i in range(50)],
                         "followed_up_at": [None] * 50})
    _, res = _run(resp)
    f = res.finding("decay.no_follow_up")
    assert f is not None and f.evidence["none_recorded"] and "not recorded" in f.detail
    assert res.finding("decay.slow_follow_up") is None


# --------------------------------------------------------------------------- degrading gracefully


def test_not_assessed_without_inputs():
    resp = pd.DataFrame({"score": [1.0, 9.0], "responded_at": ["2024-01-01", "2024-01-02"]})
    _, res = _run(resp)
    assert res.status == "not_assessed" and "called back" in res.not_assessed_reason


def test_parts_missing_become_notes():
    r, a, i = make_client(seed=2, n_accounts=40, months=12)
    _, res = _run(r, a.drop(columns=["outcome_at"]))
    assert "score_staleness" not in res.tables
    assert any("no renewal or churn dates" in n for n in res.notes)
    assert any("no list of survey invitations" in n for n in res.notes)
    assert "response_latency" in res.tables  # from responses.invited_at


@pytest.mark.parametrize("case", ["one_response", "all_promoters", "no_churn", "all_churn", "no_owner_values",
                                  "invitations_without_ids", "single_day"])
def test_odd_data_never_raises(case):
    r, a, i = make_client(seed=4, n_accounts=25, months=12)
    if case == "one_response":
        r = r.head(1)
    elif case == "all_promoters":
        r = r.assign(score=10.0)
    elif case == "no_churn":
        a = a.assign(churned=False)
    elif case == "all_churn":
        a = a.assign(churned=True)
    elif case == "no_owner_values":
        r = r.assign(owner=None)
    elif case == "invitations_without_ids":
        i = i[["invited_at"]]
        r = r.drop(columns=["invited_at"])
    elif case == "single_day":
        r = r.assign(responded_at=pd.Timestamp("2024-05-01"), followed_up_at=pd.Timestamp("2024-05-03"),
                     invited_at=pd.Timestamp("2024-04-30"))
    _, res = _run(r, a, i, repeat_window_days=0)
    assert res.area == "decay"
    json.dumps([f.to_dict() for f in res.findings])
    if case == "invitations_without_ids":
        assert any("no respondent or response id" in n for n in res.notes)


def test_slow_follow_up_title_when_median_meets_sla():
    # 100 detractors: 60 in 3 days, 40 in 12 days -> median 3 days meets the SLA but 40% are late (> 20% tolerance)
    t = pd.Timestamp("2024-01-01")
    lat = [3] * 60 + [12] * 40
    resp = pd.DataFrame({"score": [2.0] * 100, "responded_at": [t + pd.Timedelta(days=i) for i in range(100)],
                         "followed_up_at": [t + pd.Timedelta(days=i + d) for i, d in enumerate(lat)]})
    _, res = _run(resp)
    f = res.finding("decay.slow_follow_up")
    assert f is not None and f.title.startswith("40% of unhappy customers (detractors) called back")
    assert f.severity == "medium"  # share late >= 35% but the median meets the SLA
    assert f.evidence["p_value"] == pytest.approx(stats.binomtest(40, 100, 0.2, alternative="greater").pvalue)


# --------------------------------------------------------------------------- the package's parts (issue 15)


CHECKS = ["account_outcomes", "follow_up", "follow_up_effect", "score_staleness", "response_rates", "response_latency",
          "multiple_testing", "callback_queue"]


def test_every_check_is_listed_assessed_or_not(bad_result):
    _, res = bad_result
    assert [c.name for c in res.checks] == CHECKS and all(c.assessed for c in res.checks)
    # follow-up dates only: the checks without their inputs say why, and the report's notes say it once
    r, _, _ = make_client(seed=2, n_accounts=40, months=12)
    _, res = _run(r.drop(columns=["invited_at"]))
    by_name = {c.name: c for c in res.checks}
    assert list(by_name) == CHECKS
    skipped = {n for n, c in by_name.items() if not c.assessed}
    assert skipped == {"account_outcomes", "follow_up_effect", "score_staleness", "response_rates",
                       "response_latency"}
    assert by_name["follow_up_effect"].reason == "needs to know which accounts renewed and which churned"
    assert by_name["response_rates"].reason == "needs the list of survey invitations"
    assert sum("Response rates not assessed" in n for n in res.notes) == 1


def test_follow_up_check_context_is_the_detractor_row(bad_result):
    prep, res = bad_result
    fu = next(c for c in res.checks if c.name == "follow_up")
    row = fu.context["summary"]
    det = decay.follow_up_latency(prep.responses, sla_days=7, end=linking.data_end_date(prep))
    det = det[det["category"] == "detractor"]
    # counted directly from the statuses: late of followed up, never of those older than the SLA
    late, within = int((det["follow_up_status"] == "late").sum()), int((det["follow_up_status"] == "within_sla").sum())
    never = int((det["follow_up_status"] == "never").sum())
    assert (row["late"], row["followed_up"], row["never"]) == (late, late + within, never)
    assert fu.context["p_values"]["slow_follow_up"] == pytest.approx(
        stats.binomtest(late, late + within, 0.2, alternative="greater").pvalue)
    assert fu.context["sla"] == 7


def test_p_values_are_adjusted_together(bad_result):
    from statsmodels.stats.multitest import multipletests

    _, res = bad_result
    adj = next(c for c in res.checks if c.name == "multiple_testing").context
    assert list(adj["p_values"]) == ["slow_follow_up", "no_follow_up", "follow_up_effect", "score_staleness",
                                     "response_rate_trend", "latency_median", "latency_long"]
    ref = multipletests(list(adj["p_values"].values()), method="fdr_bh")[1]
    assert np.allclose(list(adj["p_adj"].values()), ref, rtol=1e-12)
    assert adj["alpha"] == pytest.approx(0.05)


def test_rules_fire_only_on_adjusted_evidence():
    from npsdiag.areas.decay import rules

    summary = pd.Series({"median_days": 12.0, "median_ci_low": 10.0, "median_ci_high": 14.0, "share_late": 0.6,
                         "late_ci_low": 0.5, "late_ci_high": 0.7, "share_within_sla": 0.3, "followed_up": 100,
                         "n": 120, "share_never": 0.02, "never_ci_low": 0.01, "never_ci_high": 0.05, "never": 2,
                         "n_closed": 110, "open": 10})
    ctx = {"summary": summary, "slow_owners": ["Ann"], "all_missing": False, "sla": 7.0}

    def adjusted(p_adj):
        return {"p_values": {"slow_follow_up": 0.001}, "p_adj": {"slow_follow_up": p_adj}, "alpha": 0.05,
                "confidence": 0.95}

    assert rules.slow_follow_up(ctx, adjusted(0.2)) is None
    f = rules.slow_follow_up(ctx, adjusted(0.004))
    # median 12 > 1.25 x 7 and its interval's lower bound 10 > 7: high
    assert f.severity == "high" and f.evidence["p_adj"] == 0.004 and "Ann" in f.detail
    assert f.title == "Unhappy customers (detractors) were called back after a median of 12 days against a 7-day target"
    assert rules.no_follow_up(ctx, adjusted(0.004)) is None  # its own test did not run
    assert rules.slow_follow_up({"sla": 7.0}, adjusted(0.004)) is None  # no detractors: no context, no finding


def test_within_sla_by_group_against_fisher_and_bh():
    from statsmodels.stats.multitest import multipletests

    s = pd.DataFrame({"owner": ["a", "b", "c", "d"], "within_sla": [45, 40, 12, 0], "n_closed": [50, 50, 40, 0],
                      "share_within_sla": [0.9, 0.8, 0.3, np.nan]})
    out = decay.within_sla_by_group(s, alpha=0.05)
    assert out["owner"].tolist() == ["a", "b", "c"]  # d has nothing closed
    # each owner against the others together: 97 of 140 within the SLA
    ps = [stats.fisher_exact([[k, n - k], [97 - k, (140 - n) - (97 - k)]])[1]
          for k, n in [(45, 50), (40, 50), (12, 40)]]
    assert np.allclose(out["p_adj"], multipletests(ps, method="fdr_bh")[1])
    assert out["slower"].tolist() == [False, False, True]  # a is significantly faster, not slower
    one = decay.within_sla_by_group(s.head(1))
    assert math.isnan(one["p_adj"].iloc[0]) and not one["slower"].iloc[0]


def test_plots_draw_on_the_given_axes_in_the_report_style(bad_result):
    import matplotlib
    from matplotlib.figure import Figure

    prep, res = bad_result
    before = dict(matplotlib.rcParams)
    fu = decay.follow_up_latency(prep.responses, sla_days=7, end=linking.data_end_date(prep))
    tab = pd.DataFrame({"band": ["within SLA (<= 7 d)", "never"], "n": [10, 5], "churn_rate": [0.1, 0.4],
                        "ci_low": [0.02, 0.15], "ci_high": [0.4, 0.7]})
    bands = decay.score_age_bands(pd.DataFrame({"score": [9, 2, 8, 3, 7, 1], "churned": [0, 1, 0, 1, 0, 1],
                                                "score_age_months": [1, 1, 2, 2, 8, 8]}))
    rates = pd.DataFrame({"period_start": pd.to_datetime(["2024-01-01", "2024-02-01"]), "response_rate": [0.4, 0.3],
                          "ci_low": [0.35, 0.25], "ci_high": [0.45, 0.35]})
    fig = Figure()
    axes = fig.subplots(2, 2).ravel()
    drawn = [decay.plot_follow_up_ecdf(fu, 7, 0.25, ax=axes[0]), decay.plot_churn_by_follow_up(tab, ax=axes[1]),
             decay.plot_auc_by_score_age(bands, ax=axes[2]),
             decay.plot_response_rate(rates, None, "month", confidence=0.9, ax=axes[3])]
    assert drawn == list(axes)
    assert [t.get_text() for t in axes[3].get_legend().get_texts()] == ["90% interval", "response rate"]
    assert dict(matplotlib.rcParams) == before  # the style stays inside the plot functions
    new = decay.plot_churn_by_follow_up(tab)
    assert new.figure is not fig and tuple(new.figure.get_size_inches()) == (6.5, 3.4)


def test_result_objects_give_evidence_dicts():
    lat = decay.response_latency(pd.DataFrame({"response_latency_days": [0, 1, 1, 2, 9]}))
    d = lat.to_dict()
    assert d["n"] == 5 and d["median_days"] == 1.0 and set(d) >= {"p_median", "p_long", "over_long_ci_high"}
    assert lat.summary.shape == (1, len(d))
    m = decay.follow_up_churn_model(pd.DataFrame({"band_code": [0, 1], "score": [1.0, 2.0], "churned": [True, False]}))
    assert not m.fitted and m.to_dict() == {"covariance": "too few observations or only one outcome"}


# --------------------------------------------------------------------------- large-export implementation (issue 9)


def _asof_reference(inv: pd.DataFrame, res: pd.DataFrame, window_days: float) -> pd.Series:
    """The matching rule written with pandas.merge_asof: each response goes to the latest invitation of its
    (trimmed, lower-cased) respondent at or before it within the window; an invitation keeps its first response."""
    def key(s):
        return s.astype("string").str.strip().str.lower()

    right = pd.DataFrame({"k": key(inv["respondent_id"]), "t_inv": inv["invited_at"], "i": np.arange(len(inv))}
                         ).dropna().sort_values(["t_inv", "i"], kind="stable")
    left = pd.DataFrame({"k": key(res["respondent_id"]), "t": res["responded_at"]}).dropna().sort_values("t")
    m = pd.merge_asof(left, right, left_on="t", right_on="t_inv", by="k", direction="backward",
                      tolerance=pd.Timedelta(days=window_days)).dropna(subset=["i"])
    first = m.groupby("i")["t"].min()
    out = pd.Series(pd.NaT, index=np.arange(len(inv)), dtype="datetime64[ns]")
    out[first.index.astype(int)] = first.to_numpy()
    return out


@pytest.mark.parametrize("grid", ["minute", "nanosecond_wide"])
def test_match_invitations_equals_merge_asof_rule(grid):
    # random respondents with case/space variants and missing ids, many invitations per respondent, in random
    # order; "nanosecond_wide" spans two centuries at nanosecond resolution
    rng = np.random.default_rng(21)
    n_i, n_r = 3000, 1500
    ids = np.array([f"P{i}" for i in range(300)] + [" p1", "P2 ", None], dtype=object)
    if grid == "minute":
        t_i = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 400 * 1440, n_i), unit="min")
        t_r = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 420 * 1440, n_r), unit="min")
    else:
        span = 200 * 365 * 86400 * 10**9
        t_i = pd.to_datetime(pd.Timestamp("1900-01-01").value + rng.integers(0, span, n_i))
        t_r = pd.to_datetime(pd.Timestamp("1900-01-01").value + rng.integers(0, span, n_r))
    inv = pd.DataFrame({"invited_at": t_i, "respondent_id": pd.array(rng.choice(ids, n_i), dtype="string")})
    inv = inv.drop_duplicates(["invited_at", "respondent_id"])  # ties between invitations: a separate rule
    res = pd.DataFrame({"responded_at": t_r, "respondent_id": pd.array(rng.choice(ids, n_r), dtype="string")})
    res.loc[rng.random(n_r) < 0.03, "responded_at"] = pd.NaT
    for window in (3, 30, 3000):
        ref = _asof_reference(inv, res, window)
        got = linking.match_invitations(inv, res, window_days=window)
        assert got["matched_responded_at"].equals(ref.rename("matched_responded_at")), window
        assert (got["responded"] == ref.notna()).all()
        lat = (ref - inv["invited_at"].reset_index(drop=True)).dt.total_seconds() / 86400
        assert np.allclose(got["response_latency_days"], lat, equal_nan=True)


def test_matched_invitations_shares_one_window_free_match_across_windows():
    r, a, i = make_client(seed=3, n_accounts=60)
    prep = prepare(from_frames(r, accounts=a, invitations=i), as_of=NOW)
    for window in (30, 90, 7):
        ref = linking.match_invitations(prep.invitations, prep.responses, window_days=window)
        got = linking.matched_invitations(prep, window_days=window)
        pd.testing.assert_frame_equal(got, ref)
    # a response 30 days after its invitation is inside a 30-day window, 30 days and 1 minute is not
    inv = pd.DataFrame({"invited_at": pd.to_datetime(["2024-01-01", "2024-03-01"]), "respondent_id": ["a", "b"]})
    res = pd.DataFrame({"responded_at": pd.to_datetime(["2024-01-31 00:00", "2024-03-31 00:01"]),
                        "respondent_id": ["a", "b"]})
    assert linking.match_invitations(inv, res, window_days=30)["responded"].tolist() == [True, False]


def test_pattern_logit_equals_row_logit_with_clusters():
    # Binomial likelihood on covariate patterns = Bernoulli likelihood on rows (same MLE, same information);
    # the CRV1 cluster sandwich from per-row score contributions equals statsmodels' (R: sandwich::vcovCL, HC1-type)
    from npsdiag.stats.regression import logit_fit_rows

    rng = np.random.default_rng(4)
    n = 5000
    X = pd.DataFrame({"const": 1.0, "band": rng.integers(0, 4, n).astype(float),
                      "score": rng.integers(0, 7, n).astype(float)})
    y = (rng.random(n) < 1 / (1 + np.exp(-(-0.5 + 0.3 * X["band"] - 0.2 * X["score"])))).astype(float)
    g = rng.integers(0, 700, n)
    agg = logit_fit_rows(X, y, groups=g)
    rows = logit_fit_rows(X, y, groups=g, patterns=False)
    ref = sm.Logit(y, X).fit(disp=0, cov_type="cluster", cov_kwds={"groups": g})
    assert agg._X.shape[0] == 28 and rows._X.shape[0] == n  # 4 bands x 7 scores
    for res in (agg, rows):
        assert np.allclose(res.params, ref.params, rtol=1e-9)
        assert np.allclose(res.bse, ref.bse, rtol=1e-9)
        assert np.allclose(res.conf_int(), ref.conf_int(), rtol=1e-9)
    # average marginal effect and its delta-method interval as statsmodels' get_margeff
    plain = logit_fit_rows(X, y)
    me = sm.Logit(y, X).fit(disp=0).get_margeff(at="overall").summary_frame()
    assert plain.average_marginal_effect("band") == pytest.approx(tuple(me.iloc[0, :2]), rel=1e-8)


def test_response_rate_trend_interval_matches_statsmodels_margeff():
    rng = np.random.default_rng(9)
    n = 3000
    t = rng.integers(0, 730, n)  # whole days: many invitations share a time, so the fit runs on patterns
    inv = pd.DataFrame({"invited_at": pd.Timestamp("2023-01-01") + pd.to_timedelta(t, unit="D"),
                        "respondent_id": [f"p{i % 500}" for i in range(n)]})
    inv["responded"] = rng.random(n) < 0.5 - 0.1 * t / 365.25
    inv["response_latency_days"] = np.where(inv["responded"], 1.0, np.nan)
    tr = decay.response_rate_trend(inv, window_days=30)
    years = (inv["invited_at"] - inv["invited_at"].min()).dt.total_seconds() / 86400 / 365.25
    ref = sm.Logit(inv["responded"].astype(float), sm.add_constant(years.to_numpy())).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": pd.factorize(inv["respondent_id"])[0]})
    me = ref.get_margeff(at="overall").summary_frame(alpha=0.05).iloc[0]
    assert tr.change_points_per_year == pytest.approx(100 * me.iloc[0], rel=1e-7)
    assert tr.ci_low == pytest.approx(100 * me.iloc[4], rel=1e-7)
    assert tr.ci_high == pytest.approx(100 * me.iloc[5], rel=1e-7)
    assert tr.p_value == pytest.approx(ref.pvalues.iloc[1], rel=1e-6)


def test_auc_from_counts_with_ties_and_half_points():
    # scores on a half-point grid with heavy ties: U counted per distinct value equals the rank-sum U
    rng = np.random.default_rng(13)
    s = rng.integers(0, 21, 2000) / 2
    c = rng.random(2000) < 1 / (1 + np.exp(s - 5))
    out = auc_hanley_mcneil(s, c)
    ranks = stats.rankdata(np.concatenate([s[~c], s[c]]))
    n1, n0 = (~c).sum(), c.sum()
    assert out.auc == pytest.approx((ranks[:n1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0), rel=1e-12)
    assert out.auc == pytest.approx(roc_auc_score(c, -s))


@pytest.mark.parametrize("freq", ["W", "M", "Q"])
def test_period_labels_and_rates_on_integer_keys_match_pandas_periods(freq):
    rng = np.random.default_rng(1)
    d = pd.Series(pd.Timestamp("2023-12-20") + pd.to_timedelta(rng.integers(0, 500 * 1440, 5000), unit="min"))
    d[::97] = pd.NaT
    assert decay.calendar_periods(d, freq).equals(decay.period_labels(d, freq))
    inv = pd.DataFrame({"invited_at": d, "responded": rng.random(5000) < 0.4})
    inv["response_latency_days"] = np.where(inv["responded"], 2.0, np.nan)
    rates = decay.response_rates(inv, period=freq, window_days=30)
    p = d.dropna().dt.to_period({"W": "W-SUN"}.get(freq, freq))
    ref = inv.loc[d.notna()].groupby(p.to_numpy())["responded"].agg(["size", "sum"])
    assert rates["invited"].tolist() == ref["size"].tolist() and rates["responded"].tolist() == ref["sum"].tolist()
    assert (pd.to_datetime(rates["period_start"]).to_numpy() == ref.index.to_timestamp().to_numpy()).all()


def test_follow_up_summary_by_two_columns_matches_groupby():
    rng = np.random.default_rng(6)
    n = 800
    d = pd.DataFrame({"follow_up_status": rng.choice(list(decay.STATUS_ORDER), n),
                      "latency_days": np.round(rng.exponential(6, n), 1),
                      "owner": rng.choice(["Ann", "Bob", None], n), "period": rng.choice(["2024-01", "2024-02"], n)})
    d.loc[~d["follow_up_status"].isin(["within_sla", "late"]), "latency_days"] = np.nan
    out = decay.follow_up_summary(d, by=["owner", "period"])
    g = d.assign(owner=d["owner"].fillna("(none)")).groupby(["owner", "period"])
    assert list(zip(out["owner"], out["period"], strict=True)) == list(g.size().index)
    assert out["n"].tolist() == g.size().tolist()
    assert out["never"].tolist() == g["follow_up_status"].apply(lambda s: int((s == "never").sum())).tolist()
    med = g["latency_days"].median()
    assert np.allclose(out["median_days"], med, equal_nan=True)
    lo = [median_ci(v).ci_low for _, v in g["latency_days"]]
    assert np.allclose(out["median_ci_low"], lo, equal_nan=True)


@pytest.mark.parametrize("variants", [True, False])
@pytest.mark.parametrize("codes_first", [True, False])
def test_matched_invitations_joint_respondent_keys(variants, codes_first):
    # the prepared path factorizes the invitations' ids and the responses' distinct ids in one pass (or reuses
    # prep.codes when another area made them first); it must match the rule computed independently
    # (_asof_reference: merge_asof on lower-cased, trimmed ids) with or without case/space variants
    rng = np.random.default_rng(8)
    n_i, n_r = 2000, 900
    base = [f"p{i}@x.com" for i in range(250)]
    ids = np.array(base + ([" P1@x.com", "P2@X.COM ", "p3@x.com"] if variants else []), dtype=object)
    t_i = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300 * 1440, n_i), unit="min")
    inv = pd.DataFrame({"invited_at": t_i, "respondent_id": rng.choice(ids, n_i)}).drop_duplicates(
        ["invited_at", "respondent_id"]).reset_index(drop=True)
    pick = rng.integers(0, len(inv), n_r)
    res = pd.DataFrame({"responded_at": inv["invited_at"].to_numpy()[pick]
                        + pd.to_timedelta(rng.uniform(0, 40, n_r), unit="D").to_numpy(),
                        "respondent_id": rng.choice(ids, n_r), "score": rng.integers(0, 11, n_r).astype(float)})
    prep = prepare(from_frames(res, invitations=inv, settings={"repeat_window_days": 0}), as_of=NOW)
    if codes_first:
        prep.codes("respondent_id", table="invitations")
    for window in (90, 7):
        ref = _asof_reference(prep.invitations, prep.responses, window)
        got = linking.matched_invitations(prep, window_days=window)
        assert got["matched_responded_at"].equals(ref.rename("matched_responded_at")), window
    c, u = prep.codes("respondent_id", table="invitations")
    c_ref, u_ref = pd.factorize(prep.invitations["respondent_id"])
    assert np.array_equal(c, c_ref) and list(u) == list(u_ref)


def test_group_labels_are_the_text_of_the_values():
    # follow_up_summary groups on text labels (missing = "(none)"), converting only distinct values; reference:
    # the per-row conversion pd.factorize(col.astype("string").fillna("(none)"), sort=True)
    from npsdiag.areas.decay.followup import _text_group_codes

    cases = [pd.Series(["b", "a", None, "b", "(none)"], dtype="string"),
             pd.Series(pd.Categorical(["x", None, "y", "x"], categories=["y", "x", "z"])),
             pd.Series([1, "1", None, 2.0], dtype=object), pd.Series([], dtype="string"),
             pd.Series([None, None], dtype="string"), pd.Series(["é", "e", "Z", "a"], dtype="string")]
    for s in cases:
        c_ref, u_ref = pd.factorize(s.astype("string").fillna("(none)"), sort=True)
        c, u = _text_group_codes(s)
        assert np.array_equal(c, c_ref) and list(u) == list(u_ref), s.tolist()


@pytest.mark.parametrize("by_id", [False, True])
def test_responded_within_equals_the_matched_frame(by_id):
    # balance needs only the matched frame's "responded" column: the same values without building the frame,
    # invitations without a date included (matched by response id they can still count as answered)
    r, a, i = make_client(seed=4, n_accounts=50)
    i = i.copy()
    i.loc[i.sample(frac=0.05, random_state=1).index, "invited_at"] = pd.NaT
    if by_id:  # each answered invitation carries its response's id (the first response of its respondent after it)
        m = pd.merge_asof(r.sort_values("responded_at")[["responded_at", "respondent_id", "response_id"]],
                          i.dropna(subset=["invited_at"]).reset_index().sort_values("invited_at"),
                          left_on="responded_at", right_on="invited_at", by="respondent_id").dropna(subset=["index"])
        i["response_id"] = pd.Series(m["response_id"].to_numpy(), index=m["index"].astype(int)).groupby(
            level=0).first().reindex(i.index)
    prep = prepare(from_frames(r, accounts=a, invitations=i), as_of=NOW)
    for window in (90, 5):
        ref = linking.matched_invitations(prep, window_days=window)["responded"].to_numpy()
        got = linking.responded_within(prep, window_days=window)
        assert got.dtype == bool and np.array_equal(got, ref), window
        assert 0 < got.sum() < len(got)


# --------------------------------------------------------------------------- sound only on evidence (issue 19, class 3)


SUBSTANTIVE = {"account_outcomes": False, "follow_up": True, "follow_up_effect": True, "score_staleness": True,
               "response_rates": True, "response_latency": True, "multiple_testing": False, "callback_queue": False}
CONFIG_WORDS = re.compile(r"\b(?:responses|accounts|invitations|settings)\.\w+|\b\w+_\w+\b(?!\.csv)")


def test_substantive_checks_and_plain_reasons(clean_result, bad_result):
    _, res = clean_result
    assert {c.name: c.substantive for c in res.checks} == SUBSTANTIVE
    texts = [x for f in bad_result[1].findings for x in (f.title, f.detail, f.recommendation)]
    assert len(texts) == 18 and not [t for t in texts if CONFIG_WORDS.search(t)]
    # follow-up dates only: the area is partly assessed, and says why in plain words (no config keys)
    r, _, _ = make_client(seed=2, n_accounts=40, months=12)
    _, res = _run(r.drop(columns=["invited_at"]))
    assert {c.name: c.substantive for c in res.checks} == SUBSTANTIVE
    reasons = {c.name: c.reason for c in res.checks if not c.assessed}
    assert reasons == {"account_outcomes": "needs to know which accounts renewed and which churned",
                       "follow_up_effect": "needs to know which accounts renewed and which churned",
                       "score_staleness": "needs to know which accounts renewed and which churned",
                       "response_rates": "needs the list of survey invitations",
                       "response_latency": "needs the dates the survey invitations were sent"}
    if res.status == "amber" and not [f for f in res.findings if f.severity in ("high", "medium")]:
        assert res.summary_text.startswith("Partly assessed")
    texts = [*reasons.values(), *res.notes, res.summary_text, *(x for f in res.findings
                                                                 for x in (f.title, f.detail, f.recommendation))]
    assert not [t for t in texts if CONFIG_WORDS.search(t)], [t for t in texts if CONFIG_WORDS.search(t)]
    _, none = _run(pd.DataFrame({"score": [1.0, 9.0], "responded_at": ["2024-01-01", "2024-01-02"]}))
    assert not CONFIG_WORDS.search(none.not_assessed_reason)


def test_a_failed_queue_does_not_make_a_sound_area_partly_assessed(monkeypatch):
    from npsdiag.areas.decay import checks

    def boom(prep):
        raise ValueError("odd export")

    r, a, i = make_client(seed=1)
    monkeypatch.setattr(checks, "callback_queue", boom)
    _, res = _run(r, a, i)
    queue = next(c for c in res.checks if c.name == "callback_queue")
    assert not queue.assessed and queue.reason == "the callback queue could not be built"
    assert res.status == "green" and not res.unassessed
