"""Reliability area: exclusions, feed gaps, precision, sample-size planner, score gaming.

Every finding id has a data set on which it must fire and a clean one on which
it must not; statistics are checked against hand computations written out in
the comments (or an independent computation in the test).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from npsdiag.areas import reliability
from npsdiag.areas.reliability import (
    GAMING_ALPHA,
    exclusion_summary,
    feed_gaps,
    gap_runs,
    nps_trend,
    owner_funnel,
    owner_heaping,
    owner_outcomes,
    owner_review,
    owners,
    sample_size_plan,
)
from npsdiag.clean import prepare
from npsdiag.io import from_frames
from npsdiag.stats.funnel import funnel_limits, funnel_test, overdispersion

NOW = pd.Timestamp("2026-01-15")
ROOT = Path(__file__).resolve().parents[1]
# Score distribution of a healthy B2B program (0..10), NPS about +30.
P_SCORES = np.array([2, 1, 1, 2, 2, 4, 6, 10, 17, 25, 30], dtype=float)
P_SCORES /= P_SCORES.sum()


def responses(n: int = 3000, seed: int = 0, start: str = "2024-01-01", days: int = 364, owners: int = 0,
              accounts: int = 0) -> pd.DataFrame:
    """Clean synthetic responses: unique ids and respondents, dates spread evenly, 0-10 scores."""
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({
        "response_id": [f"R{i}" for i in range(n)],
        "respondent_id": [f"p{i}@client.com" for i in range(n)],
        "responded_at": pd.Timestamp(start) + pd.to_timedelta(np.sort(rng.uniform(0, days, n)), unit="D"),
        "score": rng.choice(11, n, p=P_SCORES).astype(float),
    })
    if owners:
        d["owner"] = rng.choice([f"Owner {i}" for i in range(owners)], n)
    if accounts:
        d["account_id"] = rng.choice([f"A{i}" for i in range(accounts)], n)
    return d


def run(df: pd.DataFrame, **kw):
    prep = prepare(from_frames(df, **kw), as_of=NOW)
    return prep, reliability.diagnose(prep)


def ids(res) -> dict[str, str]:
    return {f.id: f.severity for f in res.findings}


# --------------------------------------------------------------------------- clean export


@pytest.fixture(scope="module")
def clean_result():
    return run(responses(4000, seed=1, days=728, owners=8))


def test_clean_export_has_no_high_or_medium_finding(clean_result):
    prep, res = clean_result
    assert not [f for f in res.findings if f.severity in ("high", "medium")], [f.title for f in res.findings]
    for fid in ("reliability.missing_values", "reliability.out_of_range", "reliability.test_responses",
                "reliability.date_anomalies", "reliability.duplicates", "reliability.feed_gaps",
                "reliability.score_gaming"):
        assert fid not in ids(res)
    assert res.status in ("green",) or all(f.severity in ("low", "info") for f in res.findings)
    assert list(res.tables)[0] == "trust_summary"
    assert "100%" in res.summary or "100.0%" in res.summary
    # every evidence is JSON-serialisable after the findings contract's conversion
    json.dumps([f.to_dict() for f in res.findings])


def test_tables_are_summary_sized_and_captioned(clean_result):
    _, res = clean_result
    for key, t in res.tables.items():
        assert len(t) <= 30, key
        assert key in res.table_captions
        assert all(c == c.lower() and " " not in c for c in t.columns), key
    for fig in res.figures:
        w, h = fig.figure.get_size_inches()
        assert w <= 7.5 and fig.caption


# --------------------------------------------------------------------------- exclusions


def test_exclusion_summary_counts_shares_and_examples():
    flags = pd.DataFrame({"_row": [2, 3, 4, 5, 6, 7], "reason": [None, "duplicate", "missing_score", None,
                                                                  "duplicate", "duplicate"]})
    t = exclusion_summary(flags, n_examples=2).set_index("reason")
    assert t.loc["missing_score", "rows"] == 1 and t.loc["duplicate", "rows"] == 3
    assert t.loc["duplicate", "share"] == pytest.approx(3 / 6)
    assert t.loc["duplicate", "example_rows"] == "3, 6"
    assert t.loc["duplicate", "finding"] == "reliability.duplicates"
    assert list(t.index) == ["missing_score", "duplicate"]  # order of clean.REASONS


def test_missing_values_fires_with_share_and_rows():
    df = responses(400, seed=2)
    df.loc[df.index[:60], "score"] = np.nan  # 15% of rows: high
    df.loc[df.index[60:64], "responded_at"] = pd.NaT
    prep, res = run(df)
    f = res.finding("reliability.missing_values")
    assert f is not None and f.severity == "high"
    assert f.evidence["rows"] == 64 and f.evidence["rows_missing_score"] == 60
    assert f.evidence["share"] == pytest.approx(64 / 400)
    assert f.evidence["example_rows"][:3] == [2, 3, 4]  # from_frames numbers rows from 2 (header = 1)
    lin = res.tables["lineage"].set_index("step")["rows"]
    assert lin["rows read"] == 400 and lin["rows analysed"] == 336
    assert run(responses(400, seed=2))[1].finding("reliability.missing_values") is None


def test_out_of_range_fires_with_values():
    df = responses(300, seed=3)
    df["score"] = df["score"].astype(object)
    df.loc[df.index[:5], "score"] = 11
    df.loc[df.index[5:8], "score"] = "ten"
    _, res = run(df)
    f = res.finding("reliability.out_of_range")
    assert f is not None and f.evidence["rows"] == 8 and f.severity == "medium"  # 8/300 = 2.7%
    assert "ten" in f.evidence["example_values"] and "11" in f.evidence["example_values"]
    assert run(responses(300, seed=3))[1].finding("reliability.out_of_range") is None


def test_test_responses_fire():
    df = responses(300, seed=4)
    df["status"] = "IP Address"
    df.loc[df.index[:3], "status"] = "Survey Preview"
    df["finished"] = True
    df.loc[df.index[3:5], "finished"] = False
    _, res = run(df)
    f = res.finding("reliability.test_responses")
    assert f is not None and f.evidence["rows"] == 5 and f.severity == "low"
    clean = responses(300, seed=4).assign(status="IP Address", finished=True)
    assert run(clean)[1].finding("reliability.test_responses") is None


def test_date_anomalies_fire():
    df = responses(300, seed=5)
    df["invited_at"] = df["responded_at"] - pd.Timedelta(hours=3)
    df.loc[df.index[:4], "responded_at"] = NOW + pd.Timedelta(days=30)
    df.loc[df.index[10:16], "invited_at"] = df.loc[df.index[10:16], "responded_at"] + pd.Timedelta(days=2)
    _, res = run(df)
    f = res.finding("reliability.date_anomalies")
    assert f is not None
    assert f.evidence["rows_future_date"] == 4 and f.evidence["rows_before_invitation"] == 6
    clean = responses(300, seed=5)
    clean["invited_at"] = clean["responded_at"] - pd.Timedelta(hours=3)
    assert run(clean)[1].finding("reliability.date_anomalies") is None


def test_duplicates_fire_for_copies_and_repeats():
    df = responses(300, seed=6)
    dup = df.iloc[:10].copy()  # the same response twice
    rep = df.iloc[20:30].copy()  # the same people again 5 days later, new response ids
    rep["response_id"] = [f"X{i}" for i in range(10)]
    rep["responded_at"] = rep["responded_at"] + pd.Timedelta(days=5)
    _, res = run(pd.concat([df, dup, rep], ignore_index=True))
    f = res.finding("reliability.duplicates")
    assert f is not None
    assert f.evidence["rows_duplicate"] == 10 and f.evidence["rows_repeat_respondent"] == 10
    assert f.severity == "medium"  # 20 / 320 = 6%
    assert run(df)[1].finding("reliability.duplicates") is None


# --------------------------------------------------------------------------- feed gaps


def _daily(rate: float, weeks: int, seed: int, dispersion: float = 0.0) -> pd.DataFrame:
    """Responses arriving day by day (Poisson, or gamma-Poisson with week-level variation)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=7 * weeks, freq="D")
    lam = np.full(len(days), rate)
    if dispersion:
        week_factor = rng.gamma(1 / dispersion, dispersion, weeks)
        lam = lam * np.repeat(week_factor, 7)
    counts = rng.poisson(lam)
    dates = np.repeat(days.to_numpy(), counts) + pd.to_timedelta(rng.uniform(0, 0.9, counts.sum()), unit="D")
    n = len(dates)
    return pd.DataFrame({"responded_at": dates, "score": rng.choice(11, n, p=P_SCORES).astype(float),
                         "response_id": [f"R{i}" for i in range(n)]})


def test_feed_gap_fires_on_a_broken_feed_and_finds_the_weeks():
    df = _daily(8, 60, seed=7)
    broken = (df["responded_at"] >= "2024-06-03") & (df["responded_at"] < "2024-06-24")  # three whole weeks
    _, res = run(df[~broken])
    f = res.finding("reliability.feed_gaps")
    assert f is not None and f.severity == "high"
    assert f.evidence["gap_periods"] == 3 and f.evidence["runs"] == 1
    assert f.evidence["gaps"] == ["week of 2024-06-03 to week of 2024-06-17"]
    assert "feed_volume" in [fig.key for fig in res.figures]


def test_feed_gap_silent_on_a_healthy_feed():
    _, res = run(_daily(8, 60, seed=0))
    assert res.finding("reliability.feed_gaps") is None
    # the same rule (any gap flagged) on more healthy series, some overdispersed (weekly volume varies +-40%)
    for seed in range(1, 6):
        for dispersion in (0.0, 0.15):
            t = feed_gaps(_daily(8, 60, seed=seed, dispersion=dispersion))
            assert not t["gap"].any(), (seed, dispersion)


def test_gap_runs_join_consecutive_gap_weeks():
    # weeks 3-4 and 7 are gaps: two runs, the first of two weeks with its responses and expected volumes summed
    feed = pd.DataFrame({"period": [f"w{i}" for i in range(9)], "start": pd.date_range("2024-01-01", periods=9,
                                                                                       freq="W-MON"),
                         "responses": [50, 50, 50, 4, 6, 50, 50, 10, 50], "expected": [50.0] * 3 + [48.0, 52.0]
                         + [50.0] * 2 + [49.5, 50.0],
                         "gap": [False] * 3 + [True, True] + [False] * 2 + [True, False]})
    runs = gap_runs(feed)
    assert runs[["first", "last", "periods", "responses"]].to_dict("records") == [
        {"first": "w3", "last": "w4", "periods": 2, "responses": 10},
        {"first": "w7", "last": "w7", "periods": 1, "responses": 10}]
    assert runs["expected"].tolist() == [100.0, 49.5]
    assert runs["start"].iloc[1] == pd.Timestamp("2024-02-19")
    assert gap_runs(feed.assign(gap=False)).empty


def test_feed_gaps_p_value_against_hand_poisson():
    # 20 weeks of exactly 50 responses, one week (the 11th) with 20. Baseline = 50, the MAD of the residuals
    # is 0 so phi = 1 (Poisson): p = P(X <= 20 | Poisson(50)) = sum_{k<=20} e^-50 50^k / k!.
    weeks = pd.date_range("2024-01-01", periods=20, freq="W-MON")
    counts = [50] * 20
    counts[10] = 20
    dates = np.concatenate([(w + pd.to_timedelta(np.linspace(0, 6.9, c), unit="D")).to_numpy()
                            for w, c in zip(weeks, counts)])
    t = feed_gaps(pd.DataFrame({"responded_at": dates}), freq="W")
    row = t.iloc[10]
    hand = sum(math.exp(-50) * 50**k / math.factorial(k) for k in range(21))
    assert row["expected"] == 50 and t.attrs["dispersion"] == 1.0
    assert row["p_value"] == pytest.approx(hand, rel=1e-9)
    assert bool(row["gap"]) and int(t["gap"].sum()) == 1
    assert not t["partial"].iloc[1:-1].any()


# --------------------------------------------------------------------------- precision


def test_trend_margin_matches_rocks_by_hand():
    # January: 10 detractors, 20 passives, 30 promoters. Adjusted counts 10.75 / 21.5 / 30.75 (n + 3 = 63):
    # NPS_adj = 20/63, var = 41.5/63 - (20/63)^2, half-width = 1.959964 * sqrt(var / 63).
    scores = [3] * 10 + [7] * 20 + [10] * 30
    d = pd.DataFrame({"responded_at": pd.date_range("2024-01-01", periods=60, freq="11h"), "score": scores})
    t = nps_trend(d, freq="M", min_n=30)
    var = 41.5 / 63 - (20 / 63) ** 2
    assert t["n"].iloc[0] == 60
    assert t["moe"].iloc[0] == pytest.approx(100 * 1.959964 * math.sqrt(var / 63), rel=1e-5)
    assert t["nps"].iloc[0] == pytest.approx(100 * 20 / 60)
    assert bool(t["reportable"].iloc[0]) and not bool(t["precise"].iloc[0])


def test_sample_size_plan_matches_hand_computation():
    # NPS 0 with 30% passives: var = 0.35 + 0.35 - 0 = 0.7; (z_.975 + z_.80)^2 = (1.959964 + 0.841621)^2 = 7.84887
    # 10 points: 7.84887 * 2 * 0.7 / 0.10^2 = 1098.84 -> 1,099; 5 points: 4395.4 -> 4,396.
    plan = sample_size_plan(0.35, 0.35, changes=(5, 10), current_n=250).set_index("change_points")
    assert plan.loc[10.0, "responses_needed_per_period"] == 1099
    assert plan.loc[5.0, "responses_needed_per_period"] == 4396
    # with 250 a period: detectable = 2.801585 * sqrt(1.4 / 250) = 0.20965 -> 21.0 points; pool ceil(1099/250) = 5
    assert plan.loc[10.0, "detectable_change_now"] == pytest.approx(100 * 2.801585 * math.sqrt(1.4 / 250), rel=1e-5)
    assert plan.loc[10.0, "periods_to_pool"] == 5
    # 50% promoters, 20% detractors: var = 0.7 - 0.09 = 0.61 -> 7.84887 * 1.22 / 0.01 = 957.56 -> 958
    assert sample_size_plan(0.5, 0.2, changes=(10,))["responses_needed_per_period"].iloc[0] == 958


def test_small_sample_fires_high_on_a_tiny_program():
    _, res = run(responses(20, seed=8, days=60))
    f = res.finding("reliability.small_sample")
    assert f is not None and f.severity == "high" and f.evidence["n"] == 20


def test_small_sample_silent_when_every_month_is_precise():
    # 700 responses a month: margin about 1.96 * sqrt(0.6 / 700) = 5.7 points
    df = responses(4200, seed=9, start="2024-01-01", days=181)
    _, res = run(df)
    assert res.finding("reliability.small_sample") is None
    assert res.tables["trend"]["issue"].isin(["", "partial period"]).all()


def test_small_sample_flags_imprecise_trend_points():
    _, res = run(responses(1200, seed=10, days=364))  # about 100 a month: margin about ±15 points
    f = res.finding("reliability.small_sample")
    assert f is not None and f.severity == "low"
    assert f.evidence["points_above_max_moe"] >= 10 and f.evidence["needed_per_period_10_points"] > 800


# --------------------------------------------------------------------------- funnel statistics


def test_overdispersion_matches_dersimonian_laird_by_hand():
    # y = .25, .5, .75 on 20 trials each: p0 = .5, s^2 = .25/20 = .0125, w = 80,
    # Q = 80 * (.0625 + 0 + .0625) = 10, tau^2 = (10 - 2) / (240 - 80^2*3/240) = 8 / 160 = .05, phi = 10/3.
    od = overdispersion([5, 10, 15], [20, 20, 20])
    assert od.p0 == 0.5 and od.q == pytest.approx(10.0)
    assert od.tau2 == pytest.approx(0.05) and od.phi == pytest.approx(10 / 3)
    assert od.units == 3 and od.to_dict()["tau2"] == od.tau2 and list(od.summary.columns)[0] == "p0"


def _betabinom_sf_by_hand(k: int, m: int, a: float, b: float) -> float:
    """P(X >= k) for X ~ BetaBinomial(m, a, b), from the pmf C(m, x) B(x + a, m - x + b) / B(a, b)."""
    def log_beta(x, y):
        return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)
    return sum(math.comb(m, x) * math.exp(log_beta(x + a, m - x + b) - log_beta(a, b)) for x in range(k, m + 1))


def test_funnel_test_leave_one_out_beta_binomial_by_hand():
    d = pd.DataFrame({"events": [30, 35, 40, 45, 50, 90], "trials": [80, 80, 80, 80, 80, 100]})
    t = funnel_test(d, "events", "trials")
    # reference of the last unit = the five others: p0 = 200/400 = .5, tau^2 by DerSimonian-Laird
    y = np.array([30, 35, 40, 45, 50]) / 80
    w = 80 / 0.25
    q = float(((y - 0.5) ** 2 * w).sum())
    tau2 = max(0.0, (q - 4) / (5 * w - 5 * w**2 / (5 * w)))
    s = 0.25 / tau2 - 1
    a, b = 0.5 * s, 0.5 * s
    assert t["expected_rate"].iloc[-1] == pytest.approx(0.5)
    assert t["tau2"].iloc[-1] == pytest.approx(tau2)
    assert t["p_value"].iloc[-1] == pytest.approx(_betabinom_sf_by_hand(90, 100, a, b), rel=1e-6)
    # plain binomial (method none): P(X >= 50 | Bin(80, p0 of the others = 240/420))
    t0 = funnel_test(d, "events", "trials", method="none")
    p0 = 240 / 420
    hand = sum(math.comb(80, x) * p0**x * (1 - p0) ** (80 - x) for x in range(50, 81))
    assert t0["p_value"].iloc[4] == pytest.approx(hand, rel=1e-9)


def test_funnel_limits_interpolated_and_close_to_normal_for_large_volume():
    # Spiegelhalter (2005) appendix: r = smallest count with F(r) >= q, alpha = (F(r) - q) / (F(r) - F(r-1)),
    # limit = (r - alpha) / m. For Bin(10, .5) and q = .975: F(7) = .9453, F(8) = .9893 -> r = 8,
    # alpha = (.98926 - .975) / (.98926 - .94531) = .3245 -> limit = (8 - .3245) / 10 = .7676.
    lim = funnel_limits(0.5, [10, 10000], tau2=0.0)
    f7 = sum(math.comb(10, x) for x in range(8)) / 1024
    f8 = sum(math.comb(10, x) for x in range(9)) / 1024
    assert lim["upper_95"].iloc[0] == pytest.approx((8 - (f8 - 0.975) / (f8 - f7)) / 10, rel=1e-9)
    assert lim["upper_95"].iloc[1] == pytest.approx(0.5 + 1.959964 * math.sqrt(0.25 / 10000), abs=2e-4)
    mult = funnel_limits(0.5, [100], phi=2.0, method="multiplicative")
    assert mult["lower_99.8"].iloc[0] == pytest.approx(0.5 - 3.090232 * math.sqrt(2 * 0.25 / 100), rel=1e-5)



def _interpolated_limit_by_scipy(dist, m: int, q: float) -> float:
    """Spiegelhalter's interpolated quantile of a count from scipy's pmf (an independent computation):
    r = smallest count with F(r) >= q, limit = (r - (F(r) - q) / (F(r) - F(r-1))) / m, within 0..1."""
    cdf = np.cumsum(dist.pmf(np.arange(m + 1)))
    r = int(np.searchsorted(cdf, q - 1e-12))
    f_r1 = cdf[r - 1] if r > 0 else 0.0
    return min(max((r - (cdf[r] - q) / (cdf[r] - f_r1)) / m, 0.0), 1.0)


_SIDES = (("lower_95", 0.025), ("upper_95", 0.975), ("lower_99.8", 0.001), ("upper_99.8", 0.999))


def test_funnel_limits_are_exact_up_to_the_threshold_and_within_the_documented_bound_above():
    # Issue 16: the beta approximation used above 1,000 trials deviated by up to 0.19 point from the exact limits
    # (0.1 documented). The beta-binomial limits are now exact up to NORMAL_ABOVE (10,000) trials, binomial ones at
    # every volume, and above the threshold the approximation stays within APPROX_MAX_DEVIATION of scipy's exact
    # beta-binomial quantiles over a grid of centre lines, between-unit variances and volumes.
    from scipy import stats

    from npsdiag.stats.funnel import APPROX_MAX_DEVIATION, NORMAL_ABOVE

    assert NORMAL_ABOVE == 10_000 and APPROX_MAX_DEVIATION <= 0.001
    worst_above = 0.0
    for p0 in (0.01, 0.05, 0.5, 0.63, 0.95):
        for tau2 in (t for t in (0.0, 1e-5, 1e-3, 0.01) if t < p0 * (1 - p0) / 2):
            s = p0 * (1 - p0) / tau2 - 1 if tau2 else None
            for m in (40, 1001, NORMAL_ABOVE, NORMAL_ABOVE + 1, 15_000):
                dist = stats.binom(m, p0) if s is None else stats.betabinom(m, p0 * s, (1 - p0) * s)
                lim = funnel_limits(p0, [m], tau2=tau2)
                for col, q in _SIDES:
                    dev = abs(lim[col].iloc[0] - _interpolated_limit_by_scipy(dist, m, q))
                    if m <= NORMAL_ABOVE or s is None:
                        assert dev < 1e-8, (p0, tau2, m, col, dev)  # exact
                    else:
                        worst_above = max(worst_above, dev)
    assert 0 < worst_above <= APPROX_MAX_DEVIATION
    # the skew of the random effect is kept above the threshold: the band is not symmetric around p0
    p0, tau2, m = 0.63, 0.01, 3 * NORMAL_ABOVE
    lim = funnel_limits(p0, [m], tau2=tau2)
    assert (p0 - lim["lower_99.8"].iloc[0]) > (lim["upper_99.8"].iloc[0] - p0) + 0.02
    # vectorised over volumes: one call gives each volume's own exact limits
    vols = [50, 400, 2500, NORMAL_ABOVE]
    many = funnel_limits(p0, vols, tau2=tau2)
    s = p0 * (1 - p0) / tau2 - 1
    for i, n in enumerate(vols):
        hand = _interpolated_limit_by_scipy(stats.betabinom(n, p0 * s, (1 - p0) * s), n, 0.975)
        assert many["upper_95"].iloc[i] == pytest.approx(hand, abs=1e-9)


def test_beta_binomial_upper_tail_is_summed_directly():
    # P(Y >= 1600) for Y ~ BetaBinomial(2000, a, b), p0 = .3, tau2 = .002: about 9.3e-27 by summing the pmf
    # C(m, x) B(x + a, m - x + b) / B(a, b) from 1600 to 2000 (math.lgamma, math.fsum); 1 - cdf cannot give it.
    from npsdiag.stats.funnel import beta_binomial_tails

    p0, tau2, m, k = 0.3, 0.002, 2000, 1600
    s = p0 * (1 - p0) / tau2 - 1
    a, b = p0 * s, (1 - p0) * s

    def pmf(x: int) -> float:
        return math.exp(math.lgamma(m + 1) - math.lgamma(x + 1) - math.lgamma(m - x + 1) + math.lgamma(x + a)
                        + math.lgamma(m - x + b) - math.lgamma(m + a + b) - math.lgamma(a) - math.lgamma(b)
                        + math.lgamma(a + b))

    upper = math.fsum(pmf(x) for x in range(k, m + 1))
    assert 1e-28 < upper < 1e-25
    assert beta_binomial_tails(k, m, p0, tau2).upper == pytest.approx(upper, rel=1e-8)
    tails = beta_binomial_tails(600, m, p0, tau2)
    assert tails.lower == pytest.approx(math.fsum(pmf(x) for x in range(601)), rel=1e-9)
    assert tails.upper == pytest.approx(math.fsum(pmf(x) for x in range(600, m + 1)), rel=1e-9)


# --------------------------------------------------------------------------- score gaming


def _owners_data(seed: int, gamer: str | None = None, healthy: str | None = None, n_owners: int = 8,
                 per_owner: int = 240, n_accounts: int = 40, ceiling: bool = False
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Owners with ``n_accounts`` accounts each; an account's latent health h drives its scores and its churn.

    Scores: P(promoter) = logistic(h), detractors 40% of the rest; within promoters 9 and 10 are equally likely
    (the usual 10:9 ratio) unless ``ceiling``, where scores are the account's typical score plus noise, clipped at
    10 (happier accounts then give relatively more 10s, as real delighted customers do). Churn:
    P = logistic(-1.2 - 1.0 h). The gamer's customers are ordinary but 85% of their 9s are recorded as 10s; the
    healthy owner's accounts have h shifted up by 1.5 (higher NPS, lower churn).
    """
    rng = np.random.default_rng(seed)
    rows, accts = [], []
    k = per_owner // n_accounts
    for o in range(n_owners):
        name = f"Owner {o}"
        mu = 1.5 if name == healthy else 0.0
        for a in range(n_accounts):
            acc = f"{name}-A{a}"
            h = rng.normal(mu, 0.7)
            accts.append({"account_id": acc, "churned": bool(rng.random() < 1 / (1 + np.exp(1.2 + 1.0 * h)))})
            if ceiling:
                sc = np.clip(np.round(7.5 + 1.2 * h + rng.normal(0, 1.5, k)), 0, 10)
            else:
                pp = 1 / (1 + np.exp(-h))
                cat = rng.choice(3, k, p=[0.4 * (1 - pp), 0.6 * (1 - pp), pp])
                sc = np.where(cat == 2, rng.choice([9, 10], k), np.where(cat == 1, rng.choice([7, 8], k),
                                                                         rng.choice(7, k)))
            rows += [{"owner": name, "account_id": acc, "score": float(s)} for s in sc]
    df = pd.DataFrame(rows)
    if gamer:
        m = (df["owner"] == gamer) & (df["score"] == 9) & (rng.random(len(df)) < 0.85)
        df.loc[m, "score"] = 10.0
    df["responded_at"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 360, len(df)), unit="D")
    df["response_id"] = [f"R{i}" for i in range(len(df))]
    return df, pd.DataFrame(accts)


def test_score_gaming_flags_only_the_owner_with_heaped_tens():
    df, acc = _owners_data(seed=11, gamer="Owner 3")
    _, res = run(df, accounts=acc)
    f = res.finding("reliability.score_gaming")
    assert f is not None and f.severity == "high"
    assert f.evidence["owners_flagged"] == ["Owner 3"]
    assert f.evidence["share_tens"] > 0.85 and f.evidence["p_adj"] < 0.001
    assert {"owner_funnel", "owner_outcomes"} <= {fig.key for fig in res.figures}
    owners = res.tables["owners"]
    assert owners.loc[owners["owner"] == "Owner 3", "flag"].iloc[0].startswith("excess of 10s")


def test_score_gaming_does_not_accuse_an_owner_whose_customers_are_healthier():
    # Owner 5's customers are healthier: far more 9s and 10s (NPS much higher) in the usual 10:9 ratio, and their
    # accounts churn less. The check must not accuse them (nor anyone else): the full diagnosis on one data set,
    # the same verdict (owner_review, what diagnose uses) on more seeds.
    df, acc = _owners_data(seed=12, healthy="Owner 5")
    _, res = run(df, accounts=acc)
    assert res.finding("reliability.score_gaming") is None
    for seed in range(13, 17):
        df, acc = _owners_data(seed=seed, healthy="Owner 5")
        t = owner_review(df, acc).set_index("owner")
        assert t.loc["Owner 5", "nps"] > t.drop("Owner 5")["nps"].mean() + 15, seed  # clearly healthier
        assert not t["flagged"].any(), (seed, t.loc[t["flagged"], "flag"].to_dict())


def test_score_gaming_spares_happier_customers_even_when_they_give_relatively_more_tens():
    # Ceiling effect: the healthy owner's happier accounts also give relatively more 10s than 9s, so the heaping
    # test alone can point at them; their accounts' low churn (no higher than their scores predict) clears them.
    for seed in range(16, 21):
        df, acc = _owners_data(seed=seed, healthy="Owner 5", ceiling=True)
        t = owner_review(df, acc).set_index("owner")
        assert not t.loc["Owner 5", "flagged"], (seed, t.loc["Owner 5", "flag"])


def test_score_gaming_silent_when_owners_differ_only_by_chance():
    flagged = 0
    for seed in range(20, 32):
        df, _ = _owners_data(seed=seed, n_owners=10, per_owner=150, n_accounts=30)
        heap = owner_heaping(df, outlier_alpha=GAMING_ALPHA)
        flagged += int(((heap["p_adj"] < GAMING_ALPHA) & (heap["excess"] >= 0.10)).any())
    assert flagged == 0  # the check's rule (adjusted p < 0.01): no false alarm (0 of 25 in a longer run too)


def _owner_rows(owner: str, counts: dict[int, int], accounts: list[str] | None = None) -> pd.DataFrame:
    scores = [float(sc) for sc, c in counts.items() for _ in range(c)]
    d = pd.DataFrame({"owner": owner, "score": scores})
    if accounts is not None:
        d["account_id"] = [accounts[i % len(accounts)] for i in range(len(d))]
    return d


def test_heaping_expectation_by_hand_when_the_other_owners_cannot_tell_the_slope():
    # Five identical reference owners: 100 responses, 50 scoring 9-10 of which 20 tens. They all have the same
    # positivity x = log(101 / 50.5) = log 2, so their data say nothing of the slope: it is the prior's, 0.5 (sd .5),
    # and their residuals are 0, so tau^2 = 0. Intercept = their logit share log(20.5 / 30.5), variance v / 5 with
    # v = 1 / 20.5 + 1 / 30.5. Owner X: 100 responses, 80 scoring 9-10: x_X = log(101 / 20.5).
    # eta = log(20.5/30.5) + .5 (x_X - log 2) = .053370 -> expected share expit(eta) = .513339; var(eta) =
    # v / 5 + .25 (x_X - log 2)^2 = .219291 -> var of the share = (e (1 - e))^2 var(eta).
    ref = pd.concat([_owner_rows(f"R{i}", {5: 50, 9: 30, 10: 20}) for i in range(5)])
    x = _owner_rows("X", {5: 20, 9: 30, 10: 50})
    h = owner_heaping(pd.concat([ref, x], ignore_index=True), account=None).set_index("owner")
    dx = math.log(101 / 20.5) - math.log(2)
    eta = math.log(20.5 / 30.5) + 0.5 * dx
    e = 1 / (1 + math.exp(-eta))
    var_eta = (1 / 20.5 + 1 / 30.5) / 5 + 0.25 * dx**2
    assert h.loc["X", "expected_share_tens"] == pytest.approx(e, rel=1e-9)
    assert h.loc["X", "expected_share_var"] == pytest.approx((e * (1 - e)) ** 2 * var_eta, rel=1e-9)
    assert h.loc["X", "tau2"] == 0.0  # identical reference owners: no residual heterogeneity
    assert h.loc["X", "z"] == pytest.approx((0.625 - e) / math.sqrt(e * (1 - e) / 80 + (e * (1 - e)) ** 2 * var_eta))
    # without the adjustment the expectation is the pooled share of the others
    h0 = owner_heaping(pd.concat([ref, x], ignore_index=True), account=None, adjust=False).set_index("owner")
    assert h0.loc["X", "expected_share_tens"] == pytest.approx(100 / 250)


def test_meta_regression_without_a_prior_equals_metafor_dl():
    # tests/reference/meta_regression.R: metafor::rma(yi, vi, mods = ~ x, method = "DL") on twelve units
    from npsdiag.stats.funnel import meta_regression

    ref = pd.read_csv(ROOT / "tests" / "reference" / "meta_regression_r.csv")
    units = ref[ref["what"] == "input"]
    fit = meta_regression(units["y"], units["x"], units["v"])
    val = ref.set_index("what")
    assert fit.tau2 == pytest.approx(val.loc["tau2", "value"], rel=1e-8)
    assert fit.slope == pytest.approx(val.loc["slope", "value"], rel=1e-8)
    assert fit.intercept - fit.slope * fit.center == pytest.approx(val.loc["intercept", "value"], rel=1e-8)
    assert math.sqrt(fit.cov[1, 1]) == pytest.approx(val.loc["slope", "se"], rel=1e-8)
    pred = ref[ref["what"] == "predict"]
    mean, var = fit.predict(pred["x"])
    np.testing.assert_allclose(mean, pred["value"], rtol=1e-8)
    np.testing.assert_allclose(np.sqrt(var), pred["se"], rtol=1e-8)


def test_meta_regression_prior_is_one_more_observation_of_the_slope():
    import statsmodels.api as sm
    from statsmodels.stats.meta_analysis import combine_effects

    from npsdiag.stats.funnel import meta_regression

    units = pd.read_csv(ROOT / "tests" / "reference" / "meta_regression_r.csv").query("what == 'input'")
    y, x, v = (units[c].to_numpy() for c in ("y", "x", "v"))
    # the posterior given tau^2: weighted least squares with the prior as one more row (0, 1) -> slope mean, weight
    # 1 / sd^2, the scale fixed at 1 (statsmodels, an independent computation)
    fit = meta_regression(y, x, v, slope_prior=(0.5, 0.5))
    xc = x - fit.center
    X = np.vstack([np.column_stack([np.ones(len(x)), xc]), [0.0, 1.0]])
    wls = sm.WLS(np.r_[y, 0.5], X, weights=np.r_[1 / (v + fit.tau2), 1 / 0.25]).fit(cov_type="fixed scale")
    np.testing.assert_allclose([fit.intercept, fit.slope], wls.params, rtol=1e-9)
    np.testing.assert_allclose(fit.cov, wls.cov_params(), rtol=1e-9)
    assert 0.5 > fit.slope > -0.12  # between the prior's mean and the data's own slope (metafor: -0.1215)
    # a prior that fixes the slope: tau^2 is DerSimonian-Laird's on y - b x (statsmodels' combine_effects)
    fixed = meta_regression(y, x, v, slope_prior=(0.3, 1e-6))
    dl = combine_effects(y - 0.3 * x, v, method_re="dl")
    assert fixed.slope == pytest.approx(0.3) and fixed.tau2 == pytest.approx(dl.tau2, rel=1e-6)
    assert fixed.intercept - 0.3 * fixed.center == pytest.approx(dl.mean_effect_re, rel=1e-6)


def _clean_owners(seed: int, happier_give_more_tens: bool, n_owners: int = 12, per_account: int = 10,
                  accounts: int = 30, owner_sd: float = 0.5) -> pd.DataFrame:
    """Owners without gaming whose customers differ in mood (owner effect sd ``owner_sd`` on a latent scale).

    Scores are a latent N(account health, 1) cut at fixed thresholds (an ordered probit: happier customers give
    relatively more 10s), or, when not ``happier_give_more_tens``, the same with every 9-10 score re-split 55:45 into
    10s and 9s whatever the mood.
    """
    rng = np.random.default_rng(seed)
    cuts = np.array([-2.6, -2.2, -1.9, -1.6, -1.3, -0.95, -0.6, -0.1, 0.35, 0.95])
    owner = np.repeat(np.arange(n_owners), accounts * per_account)
    account = np.repeat(np.arange(n_owners * accounts), per_account)
    health = rng.normal(rng.normal(0, owner_sd, n_owners)[np.arange(n_owners * accounts) // accounts], 0.5)
    score = np.searchsorted(cuts, health[account] + rng.normal(0, 1, len(account))).astype(float)
    if not happier_give_more_tens:
        score = np.where(score >= 9, np.where(rng.random(len(score)) < 0.55, 10.0, 9.0), score)
    return pd.DataFrame({"owner": owner.astype(str), "account_id": account.astype(str), "score": score})


@pytest.mark.parametrize("happier_give_more_tens", [True, False])
def test_owners_z_on_clean_data_is_standard_normal(happier_give_more_tens):
    # Issue 16: the score-gaming expectation must be calibrated. On owners without gaming whose customers differ in
    # mood, their z-scores (each against the other owners) should be standard normal, whether happier customers give
    # relatively more 10s (an ordered latent scale) or split their top scores alike. 30 simulated programs of 12
    # owners (360 z-scores): mean within 0.15 of 0, spread 0.85-1.10, and 2-8% beyond +-1.96. The former fixed
    # proportional-odds expectation gave a mean of -0.60 (spread 0.85) on the first kind of data.
    z = np.concatenate([owner_heaping(_clean_owners(seed, happier_give_more_tens)).query("tested")["z"]
                        for seed in range(30)])
    assert len(z) == 360
    assert abs(z.mean()) < 0.15, z.mean()
    assert 0.85 < z.std(ddof=1) < 1.10, z.std(ddof=1)
    assert 0.02 <= float((np.abs(z) > 1.959964).mean()) <= 0.08
    assert float((z > 2.326348).mean()) <= 0.03  # the side that accuses


def test_heaping_design_effect_of_clustered_accounts_by_hand():
    # Owner C: 9-10 scores from two accounts, a1 all tens (4), a2 all nines (4). share .5, m = 8.
    # Cluster totals u = 4 - .5*4 = 2 and -2; var = G/(G-1) * (4 + 4) / 64 = 2 * 8 / 64 = .25;
    # binomial var = .25 / 8 = .03125 -> design effect 8.
    c = pd.DataFrame({"owner": "C", "score": [10.0] * 4 + [9.0] * 4, "account_id": ["a1"] * 4 + ["a2"] * 4})
    others = pd.concat([_owner_rows(f"R{i}", {9: 10, 10: 10}, [f"b{i}{j}" for j in range(20)]) for i in range(4)])
    h = owner_heaping(pd.concat([c, others], ignore_index=True), min_top=5).set_index("owner")
    assert h.loc["C", "design_effect"] == pytest.approx(8.0)
    # one response per account: G/(G-1) * sum (t - p)^2 / m^2 over binomial var = m/(m-1) = 20/19
    assert h.loc["R0", "design_effect"] == pytest.approx(20 / 19)


def test_owner_outcomes_against_a_logit_fitted_in_the_test():
    import statsmodels.api as sm

    df, acc = _owners_data(seed=41)
    out = owner_outcomes(df, acc).set_index("owner")
    a = df.groupby("account_id").agg(score=("score", "mean"), owner=("owner", "first")).join(
        acc.set_index("account_id"))
    ref, mine = a[a["owner"] != "Owner 2"], a[a["owner"] == "Owner 2"]
    fit = sm.GLM(ref["churned"].astype(float), sm.add_constant(ref["score"]), family=sm.families.Binomial()).fit()
    p = fit.predict(sm.add_constant(mine["score"], has_constant="add"))
    e, o = p.sum(), mine["churned"].sum()
    assert out.loc["Owner 2", "expected_churn_rate"] == pytest.approx(e / len(mine), rel=1e-6)
    assert out.loc["Owner 2", "churn_o_e"] == pytest.approx(o / e, rel=1e-6)
    assert out.loc["Owner 2", "z"] == pytest.approx((o - e) / math.sqrt((p * (1 - p)).sum()), rel=1e-6)



def test_owner_outcomes_dense_and_sorted_paths_agree(monkeypatch):
    # the (account, owner) and (owner, account) counts use a dense grid when it is small enough, else a sort;
    # both must give the same table, and precomputed codes (prep.codes, the check's path) the same as factorizing
    df, acc = _owners_data(seed=43)
    df.loc[df.index[::7], "account_id"] = None  # responses without an account: clusters of their own
    dense_o, dense_h, dense_r = owner_outcomes(df, acc), owner_heaping(df), owner_review(df, acc)
    codes = {c: pd.factorize(df[c]) for c in ("owner", "account_id")}  # unsorted, as prep.codes gives them
    on_codes = owners.owner_review_on_codes(df, acc, codes)
    pd.testing.assert_frame_equal(on_codes, dense_r)
    # the review holds the heaping and outcome columns of every owner (renamed where they clash)
    assert on_codes["design_effect"].tolist() == dense_h["design_effect"].tolist()
    assert on_codes.set_index("owner")["churn_o_e"].dropna().to_dict() == pytest.approx(
        dense_o.set_index("owner")["churn_o_e"].to_dict())
    monkeypatch.setattr(owners, "_dense_limit", lambda n: 0)
    pd.testing.assert_frame_equal(owner_outcomes(df, acc), dense_o)
    pd.testing.assert_frame_equal(owner_heaping(df), dense_h)
    pd.testing.assert_frame_equal(owners.owner_review_on_codes(df, acc, codes), dense_r)


def test_owner_funnel_centre_line_is_the_unflagged_owners_pooled_share():
    # the gamer is flagged and left out of the centre line: p0 = tens / 9-10 scores of the other tested owners
    df, acc = _owners_data(seed=11, gamer="Owner 3")
    review = owner_review(df, acc)
    f = owner_funnel(review)
    ref = review[~review["flagged"] & review["tested"]]
    assert review.loc[review["flagged"], "owner"].tolist() == ["Owner 3"]
    assert f.p0 == pytest.approx(ref["tens"].sum() / ref["top_two"].sum())
    assert f.limits_tau2 == review.loc[review["flagged"], "tau2"].iloc[0]
    # each owner's point: their excess moved onto the centre line; their volume the number of 9-10 scores whose
    # sampling variance at the centre line is the owner's own: p0 (1 - p0) / (deff e (1 - e) / m + var(e))
    pts = f.owners.set_index("owner")
    row = review.set_index("owner").loc["Owner 3"]
    assert pts.loc["Owner 3", "adjusted_share_tens"] == pytest.approx(f.p0 + row["excess"])
    e = row["expected_share_tens"]
    own = row["design_effect"] * e * (1 - e) / row["top_two"] + row["expected_share_var"]
    assert pts.loc["Owner 3", "effective_top_two"] == pytest.approx(f.p0 * (1 - f.p0) / own)
    assert pts.loc["Owner 3", "effective_top_two"] <= row["top_two"] / row["design_effect"]
    lim = f.limits
    assert (lim["lower_99.8"] <= lim["lower_95"]).all() and (lim["upper_95"] <= lim["upper_99.8"]).all()
    assert set(f.summary.columns) == {"p0", "tau2", "limits_tau2"}  # tables stay out of the one-row summary

def test_score_gaming_needs_enough_owners():
    df, _ = _owners_data(seed=42, gamer="Owner 0", n_owners=3)
    _, res = run(df)
    assert res.finding("reliability.score_gaming") is None
    trust = res.tables["trust_summary"].set_index("check")
    assert trust.loc["Score gaming", "status"] == "not assessed"
    gaming = {c.name: c for c in res.checks}["score_gaming"]
    assert not gaming.assessed and gaming.reason.startswith("too few owners")


# --------------------------------------------------------------------------- checks


def test_every_check_appears_assessed_or_not():
    # no owner column: score gaming is not assessed, with its reason in the trust summary
    _, res = run(responses(1200, seed=10, days=364))
    checks = {c.name: c for c in res.checks}
    assert list(checks) == ["exclusions", "feed_continuity", "precision", "score_gaming", "trust_summary"]
    assert all(checks[n].assessed for n in ("exclusions", "feed_continuity", "precision", "trust_summary"))
    assert not checks["score_gaming"].assessed and checks["score_gaming"].reason == (
        "the responses do not name the account owner (rep or CSM) whose customers gave them")
    trust = res.tables["trust_summary"].set_index("check")
    assert trust.loc["Score gaming", "result"] == checks["score_gaming"].reason
    assert list(res.tables) == ["trust_summary", "lineage", "trend", "sample_size_plan"]  # report order


def test_nothing_analysed_runs_only_the_exclusions():
    df = pd.DataFrame({"score": [np.nan] * 5, "responded_at": pd.date_range("2024-01-01", periods=5)})
    _, res = run(df)
    skipped = [c.name for c in res.checks if not c.assessed]
    assert skipped == ["feed_continuity", "precision", "score_gaming"]
    # the trust summary has the usable-rows line and one line per exclusion finding, nothing for checks not run
    trust = res.tables["trust_summary"]
    assert len(trust) == 6 and trust["check"].iloc[0] == "Usable rows"
    assert trust["status"].iloc[0] == "no usable rows"
    assert res.summary == "None of the 5 rows read could be analysed."
    assert res.figures == [] and len(res.notes) == 1


# --------------------------------------------------------------------------- odd data


@pytest.mark.parametrize("case", ["empty", "one_row", "all_missing", "no_dates_ok", "one_owner"])
def test_odd_data_never_raises(case):
    if case == "empty":
        df = pd.DataFrame({"score": pd.Series([], dtype=float), "responded_at": pd.Series([], dtype="datetime64[ns]")})
    elif case == "one_row":
        df = pd.DataFrame({"score": [9.0], "responded_at": [pd.Timestamp("2024-05-01")]})
    elif case == "all_missing":
        df = pd.DataFrame({"score": [np.nan] * 5, "responded_at": pd.date_range("2024-01-01", periods=5)})
    elif case == "no_dates_ok":
        df = responses(50, seed=43, days=3)
    else:
        df = responses(300, seed=44).assign(owner="Only one")
    prep = prepare(from_frames(df), as_of=NOW)
    res = reliability.diagnose(prep)
    assert res.area == "reliability"
    json.dumps([f.to_dict() for f in res.findings])
    if case == "all_missing":
        assert res.finding("reliability.missing_values").severity == "high"


# --------------------------------------------------------------------------- real data


def test_real_bt_verbatims_comment_only_rows_are_reported(shared_data, tmp_path):
    src = shared_data / "external" / "bt-nps-verbatims" / "verbatim.csv"
    cfg = tmp_path / "bt.yml"
    cfg.write_text(
        f"client: BT sample\nresponses:\n  path: {src}\n  dayfirst: true\n  columns:\n    score: NPS_SCORE\n"
        "    responded_at: CUSTOMER_RESPONSE_DATE\n    comment: text\n  segments: [SURVEY_SUB_TYPE]\n",
        encoding="utf-8")
    from npsdiag.io import load

    prep = prepare(load(cfg), as_of=NOW)
    res = reliability.diagnose(prep)
    f = res.finding("reliability.missing_values")
    assert f is not None and f.evidence["rows_missing_score"] == 32  # SOURCE.md: 32 rows with a comment, no score
    assert f.severity == "low"  # 32 / 2,385 = 1.3%
    assert res.tables["lineage"].set_index("step").loc["rows analysed", "rows"] == 2353


# --------------------------------------------------------------------------- demo client


@pytest.mark.skipif(not (ROOT / "examples" / "demo" / "responses.csv").exists(), reason="demo data not generated")
def test_demo_planted_problems_fire():
    from npsdiag.io import load

    prep = prepare(load(ROOT / "examples" / "demo" / "config.yml"))
    res = reliability.diagnose(prep)
    gaming = res.finding("reliability.score_gaming")
    assert gaming is not None and gaming.severity == "high"
    assert gaming.evidence["owners_flagged"] == ["Dana Whitfield"]  # Priya Raman (healthier) is not accused
    # Priya Raman's customers are happier and split their 9s and 10s as everyone else's do: her share of 10s is
    # ordinary (z was -5.5 against the fixed proportional-odds expectation) and her point lies inside the limits
    check = {c.name: c for c in res.checks}["score_gaming"]
    funnel = check.context["funnel"]
    priya = funnel.owners.set_index("owner").loc["Priya Raman"]
    assert abs(priya["z"]) < 2
    lim = funnel_limits(funnel.p0, [priya["effective_top_two"]], tau2=funnel.limits_tau2).iloc[0]
    assert lim["lower_99.8"] < priya["adjusted_share_tens"] < lim["upper_99.8"]
    dana = funnel.owners.set_index("owner").loc["Dana Whitfield"]
    lim = funnel_limits(funnel.p0, [dana["effective_top_two"]], tau2=funnel.limits_tau2).iloc[0]
    assert dana["adjusted_share_tens"] > lim["upper_99.8"]
    gap = res.finding("reliability.feed_gaps")
    assert gap is not None and any("2025-03" in g for g in gap.evidence["gaps"])


def test_result_pickles_for_a_forked_worker(clean_result):
    # an area may be computed in a forked process and its AreaResult pickled back: figures included
    import pickle

    _, res = clean_result
    back = pickle.loads(pickle.dumps(res))
    assert [f.key for f in back.figures] == [f.key for f in res.figures]
    assert back.findings == res.findings


# --------------------------------------------------------------------------- real exports (issue 19)


def _load_csv(tmp_path: Path, csv: str, config: str):
    from npsdiag.io import load

    (tmp_path / "export.csv").write_text(csv, encoding="utf-8")
    (tmp_path / "config.yml").write_text(config, encoding="utf-8")
    return load(tmp_path / "config.yml")


def test_exact_duplicates_are_copies_of_the_whole_source_row(tmp_path):
    # Issue 19, class 1: different people at the same event, same minute, same mapped answers are two responses;
    # only a row equal to another in every column of the export (here the unmapped Name too) is a duplicate.
    csv = ("Timestamp,Event,Name,Score\n"
           "2024-05-01 10:00,Leeds,Ann Lee,9\n"
           "2024-05-01 10:00,Leeds,Bob Hart,9\n"      # same mapped answers, another person: kept
           "2024-05-01 10:00,Leeds,Ann Lee,9\n"       # Ann's row exported twice: a duplicate (of line 2)
           "2024-05-02 11:30,York,Cat Moss,4\n")
    config = ("client: Events\nresponses:\n  path: export.csv\n  columns:\n    score: Score\n"
              "    responded_at: Timestamp\n  segments: [Event]\n")
    prep = prepare(_load_csv(tmp_path, csv, config), as_of=NOW)
    assert prep.flags["reason"].fillna("").tolist() == ["", "", "duplicate", ""]
    assert "_copy_of" not in prep.responses and "_copy_of" not in prep.rows_read
    # the same through from_frames: every column of the frame given is the source row
    frame = pd.DataFrame({"responded_at": ["2024-05-01 10:00"] * 3, "score": [9, 9, 9],
                          "Name": ["Ann Lee", "Bob Hart", "Ann Lee"]})
    assert prepare(from_frames(frame), as_of=NOW).flags["reason"].fillna("").tolist() == ["", "", "duplicate"]
    # a response id column that is empty throughout tells nothing: copies are still found on the other columns
    frame["response_id"] = None
    assert prepare(from_frames(frame), as_of=NOW).flags["reason"].fillna("").tolist() == ["", "", "duplicate"]
    res = reliability.diagnose(prep)
    f = res.finding("reliability.duplicates")
    assert f is not None and f.evidence["rows_duplicate"] == 1
    assert "cool-off" not in (f.title + f.detail + f.recommendation)  # no repeat respondent: no cool-off advice


def test_without_response_dates_a_repeat_respondent_cannot_be_told(tmp_path):
    # Issue 19, class 1: with one placeholder date for every response (survey_date), exact copies of export rows are
    # duplicates, never "the same respondent again inside the cool-off window", and a respondent answering twice
    # with different answers is not excluded (without dates nothing places an answer inside a window).
    csv = ("CustomerID,Airline,Score\n"
           "C1,Acme Air,9\n"
           "C1,Acme Air,9\n"     # the same row twice: a duplicate
           "C2,Acme Air,3\n"
           "C2,Blue Jet,8\n"     # C2 again, another airline: a second response, kept
           "C3,Blue Jet,10\n")
    config = ("client: Airlines\nresponses:\n  path: export.csv\n  survey_date: 2022-01-01\n  columns:\n"
              "    score: Score\n    respondent_id: CustomerID\n  segments: [Airline]\n"
              "settings:\n  repeat_window_days: 30\n")
    prep = prepare(_load_csv(tmp_path, csv, config))
    assert prep.flags["reason"].fillna("").tolist() == ["", "duplicate", "", "", ""]
    res = reliability.diagnose(prep)
    feed = {c.name: c for c in res.checks}["feed_continuity"]  # nor can the feed be judged, and it says why
    assert not feed.assessed and feed.reason == ("the responses carry no date of their own (the export gives one "
                                                 "survey date for all of them)")
    f = res.finding("reliability.duplicates")
    assert f.evidence == {**f.evidence, "rows_duplicate": 1} and "rows_repeat_respondent" not in f.evidence
    assert "cool-off" not in (f.title + f.detail + f.recommendation)
    assert "exact copies" in f.title
    assert f.detail.startswith("1 of 5 rows read (20.0%) were exact copies of another response. Counting them")


def test_a_flat_account_export_reports_response_coverage_not_missing_scores(tmp_path):
    # Issue 19, class 4: accounts and responses from one file, one row per account; 8 of 21 accounts answered. The
    # 12 rows with neither a score nor a comment are accounts that were not surveyed: they make no missing-values
    # finding and no advice to make the question mandatory; the response coverage (8 of 21, 38.1%) is reported
    # instead. The one account that commented without a score is a response missing its score (1 of 9 responses).
    rng = np.random.default_rng(3)
    lines = ["CustomerId,Region,Satisfaction,Comment,Exited"]
    for i in range(20):
        answered = i % 3 == 0 or i == 19
        score = str(int(rng.integers(0, 11))) if answered else ""
        comment = "Slow support" if i == 3 else ""
        lines.append(f"K{i},{'North' if i % 2 else 'South'},{score},{comment},{int(i % 4 == 0)}")
    lines.append("K20,North,,Please call me back,0")  # a comment without a score: a response missing its score
    config = ("client: Flat\nresponses:\n  path: export.csv\n  survey_date: 2024-06-30\n  columns:\n"
              "    score: Satisfaction\n    account_id: CustomerId\n    comment: Comment\n  segments: [Region]\n"
              "accounts:\n  path: export.csv\n  columns:\n    account_id: CustomerId\n    churned: Exited\n")
    prep = prepare(_load_csv(tmp_path, "\n".join(lines) + "\n", config))
    assert prep.excluded_counts.to_dict() == {"not_surveyed": 12, "missing_score": 1}
    res = reliability.diagnose(prep)
    f = res.finding("reliability.missing_values")
    assert f is not None and f.evidence["rows"] == 1 and f.evidence["rows_read"] == 9  # of the 9 responses
    assert f.severity == "high" and f.title.startswith("1 response (11.1%) had no score")  # not 13 of 21 rows (62%)
    trust = res.tables["trust_summary"].set_index("check")
    assert trust.loc["Response coverage", "result"] == "8 of 21 accounts in the export responded (38.1%)"
    assert trust.loc["Usable rows", "result"] == "8 of 9 responses analysed (88.9%)"
    assert res.summary.startswith("8 of 21 accounts in the export responded (38.1%); 89% of their 9 responses")
    # a flat export whose accounts all answered: no finding at all about missing scores
    full = "\n".join(ln for ln in lines if not ln.split(",")[2] == "" or ln.startswith("CustomerId")) + "\n"
    res = reliability.diagnose(prepare(_load_csv(tmp_path, full, config)))
    assert res.finding("reliability.missing_values") is None
    assert "mandatory" not in " ".join(x.recommendation for x in res.findings)


# --------------------------------------------------------------------------- surveys sent in waves (issue 19)


def _waves(n_waves: int = 10, per_wave: int = 400, every_weeks: int = 13, field_days: int = 42, drop=(),
           previews: int = 0, seed: int = 0) -> pd.DataFrame:
    """A relationship survey sent every ``every_weeks`` weeks, answers spread over ``field_days`` days after
    each send and none between waves; waves in ``drop`` were never sent; ``previews`` survey previews mixed in."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2022-01-10")
    dates = np.concatenate([start + pd.Timedelta(weeks=every_weeks * w)
                            + pd.to_timedelta(rng.uniform(0, field_days, rng.poisson(per_wave)), unit="D")
                            for w in range(n_waves) if w not in drop])
    n = len(dates)
    df = pd.DataFrame({"response_id": [f"R{i}" for i in range(n)], "responded_at": dates,
                       "score": rng.choice(11, n, p=P_SCORES).astype(float), "status": "IP Address"})
    df.loc[rng.choice(n, previews, replace=False), "status"] = "Survey Preview"
    return df


def test_a_survey_sent_in_waves_has_no_feed_gap_between_waves():
    # Issue 19, class 9: a quarterly relationship survey answered over six weeks after each send. Against the
    # series' own level (the rule for a continuous feed) the quiet weeks after each wave are "gaps" (63 of them);
    # judged against the survey's own rhythm there is none. Four survey previews among 4,000 responses are still
    # one low finding.
    df = _waves(previews=4)
    assert feed_gaps(df)["gap"].sum() > 10  # the continuous-feed rule on this survey (what was reported before)
    _, res = run(df)
    assert res.finding("reliability.feed_gaps") is None
    feed = {c.name: c for c in res.checks}["feed_continuity"]
    assert feed.assessed and feed.context["basis"] == "waves" and len(feed.context["waves"]) == 10
    assert feed.context["rhythm_days"] == pytest.approx(91, abs=3)
    trust = res.tables["trust_summary"].set_index("check")
    assert trust.loc["Feed continuity", "result"] == "sent in 10 waves; none missing or abnormally small"
    assert res.tables["survey_waves"]["responses"].sum() == len(df) - 4 - res.tables["survey_waves"]["between"].sum()
    tests = [f for f in res.findings if f.id == "reliability.test_responses"]
    assert [(f.severity, f.evidence["rows"]) for f in tests] == [("low", 4)]


def test_a_missing_wave_is_one_high_finding():
    # The seventh of ten quarterly waves was never sent: one missing wave, about one typical wave (~400) short.
    _, res = run(_waves(drop=(6,)))
    f = res.finding("reliability.feed_gaps")
    assert f is not None and f.severity == "high"
    assert f.evidence["missing_waves"] == 1 and f.evidence["short_waves"] == 0 and f.evidence["waves"] == 9
    assert 340 < f.evidence["missing_responses"] < 460
    # between the sixth wave's last week (sent 2022-01-10 + 65 weeks = 2023-04-10, answered until 2023-05-21: w/c
    # 2023-05-15) and the eighth wave's first (2022-01-10 + 91 weeks = 2023-10-09)
    assert f.evidence["gaps"] == ["week of 2023-05-15 to week of 2023-10-09"]
    assert f.title.startswith("1 survey wave missing") and "every quarter" in f.detail
    # the fourth wave (sent 2022-01-10 + 39 weeks = 2022-10-10, answered for six weeks) keeps a third of its
    # responses: a short wave, about 267 of ~3,730 responses (7%, at least 5%: high) missing
    df = _waves(seed=1)
    wave4 = (df["responded_at"] >= "2022-10-03") & (df["responded_at"] < "2022-12-31")
    df = df[~wave4 | (np.arange(len(df)) % 3 == 0)]
    f = run(df)[1].finding("reliability.feed_gaps")
    assert f is not None and f.evidence["short_waves"] == 1 and f.evidence["missing_waves"] == 0
    assert f.evidence["gaps"] == ["week of 2022-10-10 to week of 2022-11-14"] and f.severity == "high"
    assert 0.05 < f.evidence["share_of_analysed"] < 0.09


def test_two_waves_are_too_few_to_know_the_rhythm():
    _, res = run(_waves(n_waves=2, every_weeks=52))
    feed = {c.name: c for c in res.checks}["feed_continuity"]
    assert not feed.assessed and "only 2 are in the data" in feed.reason
    assert res.finding("reliability.feed_gaps") is None
    assert res.status != "sound"  # a substantive check did not run


def test_a_continuous_feed_broken_for_months_is_not_a_survey_in_waves():
    # Ten weeks of responses, thirty weeks of silence, twenty weeks again: two stretches longer than any survey wave
    # (at most about 100 days), so the feed is continuous and its silence a feed gap, not the quiet between waves.
    d = _daily(8, 60, seed=7)
    start = pd.Timestamp("2024-01-01")
    t = d["responded_at"]
    broken = d[(t < start + pd.Timedelta(weeks=10)) | (t >= start + pd.Timedelta(weeks=40))]
    assert reliability.survey_waves(broken).empty
    _, res = run(broken)
    assert {c.name: c for c in res.checks}["feed_continuity"].context["basis"] == "own level"
    assert res.finding("reliability.feed_gaps") is not None


def _invited_feed(weeks: int = 60, paused=None, lost=None, seed: int = 5):
    """Invitations sent day by day (20 a day), 30% answered a few days later; invitations not sent in ``paused``
    (first, last day) and responses lost from the export in ``lost``."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=7 * weeks, freq="D")
    sent = np.repeat(days.to_numpy(), 20) + pd.to_timedelta(rng.uniform(0, 0.5, 20 * len(days)), unit="D")
    sent = pd.Series(sent)
    if paused:
        sent = sent[(sent < paused[0]) | (sent >= paused[1])].reset_index(drop=True)
    n = len(sent)
    answered = rng.random(n) < 0.3
    inv = pd.DataFrame({"invited_at": sent, "respondent_id": [f"p{i}" for i in range(n)],
                        "response_id": [f"R{i}" if a else None for i, a in enumerate(answered)]})
    resp = pd.DataFrame({"response_id": inv.loc[answered, "response_id"].to_numpy(),
                         "respondent_id": inv.loc[answered, "respondent_id"].to_numpy(),
                         "responded_at": (sent[answered] + pd.to_timedelta(rng.exponential(3, answered.sum()),
                                                                          unit="D")).to_numpy(),
                         "score": rng.choice(11, answered.sum(), p=P_SCORES).astype(float)})
    resp = resp[resp["responded_at"] < days[-1]]
    if lost:
        resp = resp[(resp["responded_at"] < lost[0]) | (resp["responded_at"] >= lost[1])]
    return resp.reset_index(drop=True), inv


def test_feed_volume_follows_the_invitations_sent():
    # Issue 19, class 9: where invitations exist, the volume each week should bring in follows them. Three weeks
    # when no invitation was sent are no gap (the continuous-feed rule calls them one); three weeks whose
    # responses were lost although invitations went out are.
    paused = (pd.Timestamp("2024-06-03"), pd.Timestamp("2024-06-24"))
    resp, inv = _invited_feed(paused=paused)
    assert feed_gaps(resp)["gap"].any()  # against the series' own level
    _, res = run(resp, invitations=inv)
    feed = {c.name: c for c in res.checks}["feed_continuity"]
    assert feed.assessed and feed.context["basis"] == "invitations"
    assert res.finding("reliability.feed_gaps") is None
    resp, inv = _invited_feed(lost=paused)
    _, res = run(resp, invitations=inv)
    f = res.finding("reliability.feed_gaps")
    assert f is not None and f.evidence["gaps"] == ["week of 2024-06-03 to week of 2024-06-17"]
    assert "the invitations sent" in f.detail


def test_invitation_exposure_by_hand():
    # 10 invitations in week 1, none in week 2, 10 in week 3. Of week 1's, 2 are answered the same week and 1 the
    # week after; of week 3's, 2 the same week and 1 the week after: q = (4/20, 2/20) = (0.2, 0.1), so the weeks
    # expect 10 * 0.2 = 2, 10 * 0.1 = 1 and 10 * 0.2 = 2 responses.
    from npsdiag.areas.reliability.blocks import invitation_exposure

    sent = pd.to_datetime(["2024-01-01"] * 10 + ["2024-01-15"] * 10)
    answered = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-09"] + [None] * 7
                              + ["2024-01-16", "2024-01-17", "2024-01-23"] + [None] * 7)
    x = invitation_exposure(pd.DataFrame({"invited_at": sent, "matched_responded_at": answered}), max_lag=1)
    assert x.tolist() == pytest.approx([2.0, 1.0, 2.0])


def test_the_trust_summary_is_not_substantive(clean_result):
    _, res = clean_result
    checks = {c.name: c for c in res.checks}
    assert not checks["trust_summary"].substantive
    assert all(checks[n].substantive for n in ("exclusions", "feed_continuity", "precision", "score_gaming"))
