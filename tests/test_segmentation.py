"""Segmentation area: statistics against hand computations, and every finding firing / not firing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from npsdiag import plotting
from npsdiag.areas import segmentation as S
from npsdiag.areas.segmentation.checks import CHECKS
from npsdiag.areas.segmentation.coding import category_codes, cluster_codes, label_codes, segment_codes
from npsdiag.areas.segmentation.periods import mix_rate_summary_from_codes, period_rows
from npsdiag.areas.segmentation.segments import (
    dimension_tests_from_codes,
    nps_grid_from_codes,
    segment_nps_from_codes,
)
from npsdiag.clean import prepare
from npsdiag.io import from_frames
from npsdiag.stats.nps import Breaks

NOW = pd.Timestamp("2026-01-01")
REF = Path(__file__).parent / "reference"


def responses_from_counts(cells: dict, start="2024-01-01", days=730, seed=0) -> pd.DataFrame:
    """Responses from {(segment, period): (detractors, passives, promoters)}; period 1 = 2024, 2 = 2025."""
    rng = np.random.default_rng(seed)
    rows = []
    for (seg, period), (d, p, r) in cells.items():
        year = 2023 + period
        for score, k in ((3, d), (8, p), (10, r)):
            for _ in range(k):
                day = pd.Timedelta(days=int(rng.integers(0, 365)))
                rows.append({"Region": seg, "score": float(score), "responded_at": pd.Timestamp(f"{year}-01-01") + day})
    out = pd.DataFrame(rows)
    out["response_id"] = [f"R{i}" for i in range(len(out))]
    return out


def synth(n=3000, seed=0, apac_low=False, mix=False, small=False, spread=False, regions=4) -> pd.DataFrame:
    """Responses over 2024-2025 with Region and Plan; optional planted effects."""
    rng = np.random.default_rng(seed)
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    y2 = np.asarray(dates >= pd.Timestamp("2025-01-01"))
    regions, p1 = (np.array(["EMEA", "NA", "APAC", "LATAM"]), [0.4, 0.4, 0.1, 0.1]) if regions == 4 else (
        np.array(["EMEA", "NA", "APAC", "LATAM", "DACH", "Nordics"][:regions]), [1 / regions] * regions)
    p2 = [0.25, 0.25, 0.4, 0.1] if mix else p1
    reg = np.where(y2, rng.choice(regions, n, p=p2), rng.choice(regions, n, p=p1))
    plan = rng.choice(["Basic", "Pro", "Enterprise"], n, p=[0.4, 0.4, 0.2])
    if small:
        plan[:12] = "Legacy"
    probs = np.array([1, 1, 1, 1, 2, 3, 4, 8, 10, 12, 10], dtype=float)
    score = rng.choice(11, n, p=probs / probs.sum()).astype(float)
    if apac_low or mix:
        low = (reg == "APAC") & (rng.random(n) < 0.5)
        score = np.where(low, rng.integers(0, 7, n), score)
    if spread:
        shift = {"EMEA": -3, "NA": 0, "APAC": 2, "LATAM": -6, "DACH": -1, "Nordics": 1}
        score = np.clip(score + np.array([shift[r] for r in reg]) * (rng.random(n) < 0.7), 0, 10)
    return pd.DataFrame({"score": score, "responded_at": dates, "Region": reg, "Plan": plan,
                         "response_id": [f"R{i}" for i in range(n)]})


def run(df: pd.DataFrame, segments=("Region", "Plan"), **settings):
    prep = prepare(from_frames(df, segments=list(segments), settings=settings or None), as_of=NOW)
    return S.diagnose(prep), prep


@pytest.fixture(scope="module")
def clean():
    return run(synth(seed=11))[0]


@pytest.fixture(scope="module")
def planted():
    return run(synth(seed=12, apac_low=True, mix=True, small=True))[0]


# --------------------------------------------------------------------------- statistics


def adj_var(d, p, r):
    """Variance of the NPS (-1..1) from the adjusted counts (Rocks 2016: +0.75, +1.5, +0.75), per n + 3."""
    n = d + p + r + 3
    s = (r + 0.75 - d - 0.75) / n
    return ((r + 0.75 + d + 0.75) / n - s**2) / n


def bh(p):
    """Benjamini-Hochberg adjusted p-values by hand: min over j >= i of p_(j) m / j."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1)
    out = np.empty(m)
    out[order] = adj
    return out


def test_segment_nps_counts_test_and_bh_by_hand():
    cells = {("A", 1): (10, 20, 70), ("B", 1): (40, 20, 40), ("C", 1): (25, 25, 50), ("D", 1): (5, 5, 10)}
    df = responses_from_counts(cells)
    t = S.segment_nps(df, ["Region"], min_n=30).set_index("segment")
    assert t.loc["A", "nps"] == pytest.approx(60.0)
    assert t.loc["B", "nps"] == pytest.approx(0.0)
    assert t.loc["A", "pct_promoters"] == pytest.approx(70.0)
    assert not t.loc["D", "reportable"] and np.isnan(t.loc["D", "p_value"])
    # A vs the rest: rest = B + C + D = (70, 50, 100), NPS 30/220; z = diff / sqrt(var_a + var_b), adjusted variances
    diff = 0.6 - 30 / 220
    se = np.sqrt(adj_var(10, 20, 70) + adj_var(70, 50, 100))
    p_a = 2 * stats.norm.sf(abs(diff / se))
    assert t.loc["A", "diff_vs_rest"] == pytest.approx(100 * diff)
    assert t.loc["A", "p_value"] == pytest.approx(p_a, rel=1e-9)
    ps = t.loc[["A", "B", "C"], "p_value"].to_numpy()
    np.testing.assert_allclose(t.loc[["A", "B", "C"], "p_adj"].to_numpy(), bh(ps), rtol=1e-9)
    assert t.loc["A", "direction"] == "above" and t.loc["B", "direction"] == "below"


def test_dimension_chi_square_by_hand():
    cells = {("A", 1): (10, 20, 70), ("B", 1): (40, 20, 40), ("C", 1): (25, 25, 50), ("D", 1): (5, 5, 10)}
    t = S.dimension_tests(responses_from_counts(cells), ["Region"], min_n=30).iloc[0]
    obs = np.array([[10, 20, 70], [40, 20, 40], [25, 25, 50]], dtype=float)  # D (n=20) is left out
    exp = obs.sum(1, keepdims=True) * obs.sum(0, keepdims=True) / obs.sum()
    chi2 = ((obs - exp) ** 2 / exp).sum()
    assert t["chi2"] == pytest.approx(chi2)
    assert t["dof"] == 4 and t["tested_values"] == 3 and t["values"] == 4
    assert t["p_value"] == pytest.approx(stats.chi2.sf(chi2, 4))
    assert t["cramers_v"] == pytest.approx(np.sqrt(chi2 / (300 * 2)))


def test_dispersion_dersimonian_laird_by_hand():
    counts = [(30, 30, 40), (50, 20, 30), (10, 30, 60), (20, 40, 40), (40, 20, 40)]
    cells = {(s, 1): c for s, c in zip("ABCDE", counts, strict=True)}
    seg = S.segment_nps(responses_from_counts(cells), ["Region"], min_n=30)
    d = S.segment_dispersion(seg).iloc[0]
    y = np.array([100 * (r - dd) / (dd + p + r) for dd, p, r in counts])
    v = np.array([1e4 * adj_var(*c) for c in counts])
    w = 1 / v
    q = np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2)
    tau2 = max(0.0, (q - 4) / (w.sum() - (w**2).sum() / w.sum()))
    assert d["q"] == pytest.approx(q)
    assert d["tau"] == pytest.approx(np.sqrt(tau2))
    assert d["i2"] == pytest.approx((q - 4) / q)
    assert d["q_p_value"] == pytest.approx(stats.chi2.sf(q, 4))

    # Q-profile bounds: the generalised Q equals the chi-square quantiles there (Viechtbauer 2007)
    def qgen(t2):
        ww = 1 / (v + t2)
        return np.sum(ww * (y - np.sum(ww * y) / ww.sum()) ** 2)

    assert qgen(d["tau_ci_low"] ** 2) == pytest.approx(stats.chi2.ppf(0.975, 4), rel=1e-6)
    assert qgen(d["tau_ci_high"] ** 2) == pytest.approx(stats.chi2.ppf(0.025, 4), rel=1e-6)
    assert d["tau_ci_low"] <= d["tau"] <= d["tau_ci_high"]
    assert d["note"] == ""


def test_no_spread_from_fewer_than_five_segments_but_the_test_of_homogeneity_stays():
    # Issue 16 item 8: three plans gave "tau 18 (interval 9 to 120)" and "a typical segment from -14 to +58".
    counts = [(10, 20, 70), (50, 20, 30), (30, 30, 40)]
    cells = {(s, 1): c for s, c in zip("ABC", counts, strict=True)}
    seg = S.segment_nps(responses_from_counts(cells), ["Region"], min_n=30)
    d = S.segment_dispersion(seg).iloc[0]
    assert d["k"] == 3 and np.isnan(d["tau"]) and np.isnan(d["tau_ci_high"]) and np.isnan(d["pi_low"])
    assert "too few to estimate the spread" in d["note"]
    y = np.array([60.0, -20.0, 10.0])
    w = 1 / np.array([1e4 * adj_var(*c) for c in counts])
    q = np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2)
    assert d["q"] == pytest.approx(q) and d["q_p_value"] == pytest.approx(stats.chi2.sf(q, 2))
    res, _ = run(responses_from_counts({(s, p): c for s, c in zip("ABC", counts, strict=True) for p in (1, 2)}),
                 segments=["Region"])
    assert res.finding("segmentation.dispersion") is None
    check = next(c for c in res.checks if c.name == "dispersion")
    assert not check.assessed and not check.substantive and "5 values" in check.reason
    assert check.reason.endswith("the segments are compared directly")
    table = res.tables["dimensions"].iloc[0]
    assert np.isnan(table["tau"]) and "too few to estimate the spread" in table["note"]


def test_prediction_range_and_tau_interval_stay_on_the_nps_scale():
    # Five segments from -100 to +100 (n = 30 each): pooled ± 1.96 tau would run far beyond the scale.
    counts = [(30, 0, 0), (25, 0, 5), (15, 0, 15), (5, 0, 25), (0, 0, 30)]
    cells = {(s, 1): c for s, c in zip("ABCDE", counts, strict=True)}
    d = S.segment_dispersion(S.segment_nps(responses_from_counts(cells), ["Region"], min_n=30)).iloc[0]
    y = np.array([-100.0, -200 / 3, 0.0, 200 / 3, 100.0])
    w = 1 / np.array([1e4 * adj_var(*c) for c in counts])
    q = np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2)
    tau_dl = np.sqrt((q - 4) / (w.sum() - (w**2).sum() / w.sum()))
    assert tau_dl > 100  # DerSimonian-Laird's estimate is beyond the largest SD on a -100..+100 scale
    assert d["tau"] == 100 and d["tau_ci_high"] == 100 and d["tau_ci_low"] <= d["tau"]
    assert d["pi_low"] == -100 and d["pi_high"] == 100


def test_dispersion_is_zero_for_identical_segments():
    cells = {(s, 1): (20, 30, 50) for s in "ABCDE"}
    d = S.segment_dispersion(S.segment_nps(responses_from_counts(cells), ["Region"])).iloc[0]
    assert d["tau"] == 0 and d["i2"] == 0 and d["q"] == pytest.approx(0, abs=1e-12)


def test_kitagawa_decomposition_by_hand():
    # Period 1: A share .5 NPS 60, B share .5 NPS -20 -> 20. Period 2: A .2 at 70, B .8 at -10 -> 6; change -14.
    # mix  = (.2 - .5)(60 + 70)/2 + (.8 - .5)(-20 - 10)/2 = -19.5 - 4.5 = -24
    # rate = (70 - 60)(.5 + .2)/2 + (-10 + 20)(.5 + .8)/2 = 3.5 + 6.5 = 10
    cells = {("A", 1): (10, 20, 70), ("B", 1): (50, 20, 30), ("A", 2): (2, 8, 30), ("B", 2): (72, 32, 56)}
    df = responses_from_counts(cells)
    df["period"] = df["responded_at"].dt.year
    t = S.mix_rate_decomposition(df, "Region", "period", 2024, 2025).set_index("segment")
    assert t["mix_effect"].sum() == pytest.approx(-24.0)
    assert t["rate_effect"].sum() == pytest.approx(10.0)
    assert t.loc["A", "mix_effect"] == pytest.approx(-19.5)
    assert t.loc["B", "rate_effect"] == pytest.approx(6.5)
    s = S.mix_rate_summary(df, ["Region"], "period", 2024, 2025, n_boot=400).iloc[0]
    assert s["nps_1"] == pytest.approx(20.0) and s["nps_2"] == pytest.approx(6.0)
    assert s["change"] == pytest.approx(-14.0)
    assert s["mix_effect"] + s["rate_effect"] == pytest.approx(s["change"])
    assert s["mix_ci_low"] < -24 < s["mix_ci_high"] and s["rate_ci_low"] < 10 < s["rate_ci_high"]


def test_segment_absent_in_one_period_counts_as_mix_only():
    cells = {("A", 1): (10, 20, 70), ("A", 2): (10, 20, 70), ("B", 2): (50, 20, 30)}
    df = responses_from_counts(cells)
    df["period"] = df["responded_at"].dt.year
    t = S.mix_rate_decomposition(df, "Region", "period", 2024, 2025).set_index("segment")
    # change = (.5 * 60 + .5 * -20) - 60 = -40, all of it mix: A (.5 - 1) * 60 = -30, B (.5 - 0) * -20 = -10
    assert t["mix_effect"].sum() == pytest.approx(-40.0)
    assert t["rate_effect"].sum() == pytest.approx(0.0)


def test_comparison_periods():
    years = S.comparison_periods(pd.Series(pd.date_range("2024-01-03", "2025-12-28", freq="D")))
    assert [p[0] for p in years] == ["2024", "2025"]
    assert years[1][1] == pd.Timestamp("2025-01-01") and years[1][2] == pd.Timestamp("2026-01-01")
    halves = S.comparison_periods(pd.Series(pd.date_range("2025-01-01", "2025-06-30", freq="D")))
    assert halves[0][0].startswith("first half") and halves[0][2] == halves[1][1]
    assert S.comparison_periods(pd.Series([pd.Timestamp("2025-01-01")] * 3)) is None


def test_trend_periods_and_intervals():
    df = synth(n=800, seed=3)
    t = S.nps_trend(df, period="Q", min_n=30)
    assert len(t) == 8 and t["n"].sum() == 800
    q1 = df[(df["responded_at"] >= "2024-01-01") & (df["responded_at"] < "2024-04-01")]
    d, r = (q1["score"] <= 6).sum(), (q1["score"] >= 9).sum()
    assert t["nps"].iloc[0] == pytest.approx(100 * (r - d) / len(q1))
    assert (t["ci_low"] < t["nps"]).all() and (t["nps"] < t["ci_high"]).all()


# --------------------------------------------------------------------------- findings


def test_hidden_segment_fires_on_planted_and_not_on_clean(planted, clean):
    f = planted.finding("segmentation.hidden_segment")
    assert f is not None and f.evidence["segment"] == "APAC" and f.evidence["diff_vs_rest"] < -20
    assert f.severity == "high" and f.evidence["p_adj"] < 0.05 and f.evidence["n"] > 100
    assert clean.finding("segmentation.hidden_segment") is None


def test_insufficient_n_fires_only_with_a_small_segment(planted, clean):
    f = planted.finding("segmentation.insufficient_n")
    assert f is not None and f.evidence["smallest_n"] == 12 and f.evidence["segments"] == 1
    assert clean.finding("segmentation.insufficient_n") is None


def test_dispersion_fires_on_spread_and_not_on_clean(clean):
    res, _ = run(synth(seed=13, spread=True, regions=6))
    f = res.finding("segmentation.dispersion")
    assert f is not None and f.evidence["tau"] >= 10 and f.evidence["q_p_adj"] < 0.05
    assert f.evidence["tau_ci_low"] <= f.evidence["tau"] <= f.evidence["tau_ci_high"]
    assert clean.finding("segmentation.dispersion") is None


def test_mix_shift_fires_on_pure_mix_and_not_on_clean(clean):
    # Each segment scores the same in both years; only the share of the low segment grows.
    cells = {("A", 1): (50, 100, 250), ("B", 1): (250, 100, 50), ("A", 2): (25, 50, 125), ("B", 2): (375, 150, 75)}
    res, _ = run(responses_from_counts(cells), segments=["Region"])
    f = res.finding("segmentation.mix_shift")
    assert f is not None and f.severity == "medium"
    assert f.evidence["mix_effect"] == pytest.approx(f.evidence["change"], abs=1e-9)  # all of the change
    assert f.evidence["rate_effect"] == pytest.approx(0.0, abs=1e-9)
    assert f.evidence["mix_ci_high"] < 0
    assert clean.finding("segmentation.mix_shift") is None


def test_clean_export_has_no_high_or_medium_finding(clean):
    assert all(f.severity in ("low", "info") for f in clean.findings)
    assert clean.status == "green"


def test_planted_result_shape_and_json(planted):
    assert {"segments", "dimensions", "trend", "mix_rate"} <= set(planted.tables)
    assert all(k in planted.table_captions for k in planted.tables)
    assert all(len(t) <= 40 for t in planted.tables.values())
    keys = [f.key for f in planted.figures]
    assert {"forest_Region", "forest_Plan", "heatmap", "trend", "mix_rate"} <= set(keys)
    for f in planted.findings:
        json.dumps(f.to_dict())
    assert planted.summary and planted.notes


def test_heatmap_greys_small_cells():
    df = synth(n=1500, seed=4, small=True)
    ax = S.plot_heatmap(S.nps_grid(df, "Region", "Plan"), "Region", "Plan", min_n=30)
    im = ax.images[0]
    arr = im.get_array()
    cols = sorted(set(df["Plan"]))
    rows = sorted(set(df["Region"]))
    n = df.groupby(["Region", "Plan"]).size().unstack(fill_value=0).reindex(index=rows, columns=cols, fill_value=0)
    np.testing.assert_array_equal(np.ma.getmaskarray(arr), (n < 30).to_numpy())
    assert np.ma.getmaskarray(arr)[:, cols.index("Legacy")].all()


def test_forest_plot_greys_small_segments():
    df = synth(n=600, seed=5, small=True)
    seg = S.segment_nps(df, ["Plan"], min_n=30)
    ax = S.plot_forest(seg, "Plan", overall=10.0)
    hollow = [ln for ln in ax.lines if ln.get_markerfacecolor() == "white"]
    assert len(hollow) == 1  # Legacy (n=12) only
    assert any("n<30" in t.get_text() for t in ax.get_yticklabels())


def test_degenerate_inputs_never_raise():
    one_value = pd.DataFrame({"score": [9.0, 10, 3] * 20, "responded_at": pd.Timestamp("2025-03-01"),
                              "Region": "EMEA", "Plan": None})
    res, _ = run(one_value)
    assert res.status in ("green", "amber", "red")
    tiny = pd.DataFrame({"score": [9.0, 2.0], "responded_at": pd.to_datetime(["2025-01-01", "2025-02-01"]),
                         "Region": ["A", "B"], "Plan": ["x", "y"]})
    res, _ = run(tiny)
    assert res.finding("segmentation.insufficient_n") is not None and res.finding("segmentation.hidden_segment") is None
    none = prepare(from_frames(tiny[["score", "responded_at"]]), as_of=NOW)
    assert S.diagnose(none).status == "not_assessed"
    assert S.segment_nps(tiny, []).empty and S.segment_dispersion(S.segment_nps(tiny, [])).empty


def test_min_n_setting_is_respected():
    df = synth(n=400, seed=6)
    res, _ = run(df, min_n=100)
    seg = res.tables["segments"]
    small = seg[seg["n"] < 100]
    assert (small["note"] == "too few to report").all() and small["p_adj"].isna().all()


def test_cluster_robust_variance_matches_statsmodels():
    # 60 accounts in segment A answer 1-6 times, each account's answers alike (shared experience).
    import statsmodels.api as sm

    rng = np.random.default_rng(8)
    rows = []
    for i in range(120):
        seg = "A" if i < 60 else "B"
        base = rng.choice([0.0, 8.0, 10.0], p=[0.3, 0.3, 0.4])
        for _ in range(rng.integers(1, 7)):
            rows.append({"account_id": f"a{i}", "Region": seg, "score": base})
    df = pd.DataFrame(rows)
    t = S.segment_nps(df, ["Region"], min_n=10, cluster="account_id").set_index("segment")
    a = df[df["Region"] == "A"]
    x = np.where(a["score"] >= 9, 1.0, np.where(a["score"] <= 6, -1.0, 0.0))
    # statsmodels: variance of a mean with cluster-robust covariance = G/(G-1) * sum_c (sum_i e_i)^2 / N^2
    ref = sm.OLS(x, np.ones(len(x))).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(a["account_id"])[0]})
    d, p, r = (x == -1).sum(), (x == 0).sum(), (x == 1).sum()
    assert ref.bse[0] ** 2 > adj_var(d, p, r)  # clustering matters here
    assert t.loc["A", "se_test"] == pytest.approx(100 * ref.bse[0], rel=1e-9)
    assert t.loc["A", "design_effect"] == pytest.approx(ref.bse[0] ** 2 / adj_var(d, p, r), rel=1e-9)


def test_repeated_answers_of_one_account_do_not_manufacture_significance():
    # 2 x 40 accounts whose NPS differ by chance; every account then answers 8 times identically.
    rng = np.random.default_rng(9)
    acc = pd.DataFrame({"account_id": [f"a{i}" for i in range(80)], "Region": ["A"] * 40 + ["B"] * 40,
                        "score": rng.choice([3.0, 8.0, 10.0], 80)})
    acc.loc[:39, "score"] = np.where(rng.random(40) < 0.25, 3.0, acc.loc[:39, "score"])
    once = S.segment_nps(acc, ["Region"], min_n=10, cluster="account_id").set_index("segment")
    rep = pd.concat([acc] * 8, ignore_index=True)
    naive = S.segment_nps(rep, ["Region"], min_n=10).set_index("segment")
    clus = S.segment_nps(rep, ["Region"], min_n=10, cluster="account_id").set_index("segment")
    assert once.loc["A", "p_value"] > 0.05
    assert naive.loc["A", "p_value"] < 0.05  # 8 copies make a chance difference look significant
    assert clus.loc["A", "p_value"] > 0.05 and clus.loc["A", "design_effect"] > 5


def test_mix_rate_bootstrap_resamples_whole_accounts():
    cells = {("A", 1): (50, 100, 250), ("B", 1): (250, 100, 50), ("A", 2): (25, 50, 125), ("B", 2): (375, 150, 75)}
    df = responses_from_counts(cells)
    df["period"] = df["responded_at"].dt.year
    df["account_id"] = [f"a{i}" for i in range(len(df))]  # one response per account
    plain = S.mix_rate_summary(df, ["Region"], "period", 2024, 2025, n_boot=600).iloc[0]
    single = S.mix_rate_summary(df, ["Region"], "period", 2024, 2025, n_boot=600, cluster="account_id").iloc[0]
    rep = pd.concat([df] * 5, ignore_index=True)  # every account answers 5 times identically
    naive = S.mix_rate_summary(rep, ["Region"], "period", 2024, 2025, n_boot=600).iloc[0]
    clus = S.mix_rate_summary(rep, ["Region"], "period", 2024, 2025, n_boot=600, cluster="account_id").iloc[0]
    width = lambda r: r["mix_ci_high"] - r["mix_ci_low"]  # noqa: E731
    assert clus["mix_effect"] == pytest.approx(plain["mix_effect"])
    assert width(single) == pytest.approx(width(plain), rel=0.25)
    assert width(clus) == pytest.approx(width(plain), rel=0.25)
    assert width(naive) < 0.6 * width(clus)  # about 1/sqrt(5) of it


# --------------------------------------------------------------------------- mix / rate intervals (delta method)


def kitagawa(frame: pd.DataFrame) -> tuple[float, float, float]:
    """(mix, rate, change) by hand from a frame with Region, period (1/2), x (+1/0/-1); Kitagawa (1955) midpoints."""
    tab = frame.groupby(["period", "Region"])["x"].agg(["size", "sum"]).unstack(0).fillna(0)
    n1, n2 = tab[("size", 1)], tab[("size", 2)]
    w1, w2 = n1 / n1.sum(), n2 / n2.sum()
    y1, y2 = 100 * tab[("sum", 1)] / n1, 100 * tab[("sum", 2)] / n2
    mix = float(((w2 - w1) * (y1 + y2) / 2).sum())
    rate = float(((y2 - y1) * (w1 + w2) / 2).sum())
    return mix, rate, float((w2 * y2).sum() - (w1 * y1).sum())


#: Population of :func:`accounts_two_periods`: regions' shares of accounts, each account's lasting category
#: (promoter / detractor probabilities by region), the share of its answers that keep that category, the
#: fresh-answer probabilities of each period, and the answers per account and period (uniform on [lo, hi]).
POP = {"share": np.array([0.5, 0.3, 0.2]), "pro": np.array([0.6, 0.4, 0.2]), "det": np.array([0.1, 0.3, 0.5]),
       "keep": 0.7, "fresh_pro": {1: np.array([0.5, 0.4, 0.3]), 2: np.array([0.3, 0.45, 0.3])},
       "fresh_det": {1: np.array([0.2, 0.3, 0.4]), 2: np.array([0.4, 0.25, 0.4])},
       "answers": {1: ((1, 4), (1, 4), (1, 4)), 2: ((1, 4), (1, 4), (2, 6))}}


def accounts_two_periods(n_acc=300, seed=0) -> pd.DataFrame:
    """Accounts answering in both periods, each answer mostly its lasting category (Region an account attribute).

    Region C answers more in period 2 (a mix shift), A's fresh answers are worse (a rate change); an account's two
    periods are positively correlated, as when the same customers answer year after year.
    """
    rng = np.random.default_rng(seed)
    region = rng.choice(3, n_acc, p=POP["share"])
    u = rng.random(n_acc)
    lasting = np.where(u < POP["pro"][region], 2, np.where(u < POP["pro"][region] + POP["det"][region], 0, 1))
    cols = {"account_id": [], "Region": [], "period": [], "score": []}
    for p in (1, 2):
        lo = np.array([POP["answers"][p][r][0] for r in region])
        hi = np.array([POP["answers"][p][r][1] for r in region])
        m = rng.integers(lo, hi + 1)
        acc, reg, cat = np.repeat(np.arange(n_acc), m), np.repeat(region, m), np.repeat(lasting, m)
        v = rng.random(len(acc))
        fresh = np.where(v < POP["fresh_pro"][p][reg], 2, np.where(v < POP["fresh_pro"][p][reg]
                                                                   + POP["fresh_det"][p][reg], 0, 1))
        cat = np.where(rng.random(len(acc)) < POP["keep"], cat, fresh)
        cols["account_id"].append(np.char.add("a", acc.astype(str)))
        cols["Region"].append(np.array(["A", "B", "C"])[reg])
        cols["period"].append(np.full(len(acc), p))
        cols["score"].append(np.array([3.0, 8.0, 10.0])[cat])
    df = pd.DataFrame({c: np.concatenate(v) for c, v in cols.items()})
    df["x"] = np.where(df["score"] >= 9, 1, np.where(df["score"] <= 6, -1, 0))
    return df


def population_mix_rate() -> tuple[float, float]:
    """The population's mix and rate effects (Kitagawa) of :func:`accounts_two_periods`, computed from ``POP``."""
    y, w = {}, {}
    for p in (1, 2):
        pro = POP["keep"] * POP["pro"] + (1 - POP["keep"]) * POP["fresh_pro"][p]
        det = POP["keep"] * POP["det"] + (1 - POP["keep"]) * POP["fresh_det"][p]
        y[p] = 100 * (pro - det)  # answers per account do not depend on its category
        mean_answers = np.array([(lo + hi) / 2 for lo, hi in POP["answers"][p]])
        w[p] = POP["share"] * mean_answers / np.sum(POP["share"] * mean_answers)
    return (float(np.sum((w[2] - w[1]) * (y[1] + y[2]) / 2)), float(np.sum((y[2] - y[1]) * (w[1] + w[2]) / 2)))


def account_tables(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per account (rows), period and region: responses and sum of x, arrays (accounts, 2, 3)."""
    acc = pd.factorize(df["account_id"])[0]
    reg = df["Region"].map({"A": 0, "B": 1, "C": 2}).to_numpy()
    per = df["period"].to_numpy() - 1
    n = np.zeros((acc.max() + 1, 2, 3))
    sx = np.zeros_like(n)
    np.add.at(n, (acc, per, reg), 1)
    np.add.at(sx, (acc, per, reg), df["x"].to_numpy())
    return n, sx


def decomposition(n: np.ndarray, sx: np.ndarray) -> np.ndarray:
    """(mix, rate, change) of counts n and sums sx of shape (..., 2, 3), by Kitagawa's formulas."""
    w = n / n.sum(axis=-1, keepdims=True)
    y = 100 * sx / n
    w1, w2, y1, y2 = w[..., 0, :], w[..., 1, :], y[..., 0, :], y[..., 1, :]
    return np.stack([np.sum((w2 - w1) * (y1 + y2) / 2, axis=-1), np.sum((y2 - y1) * (w1 + w2) / 2, axis=-1),
                     np.sum(w2 * y2, axis=-1) - np.sum(w1 * y1, axis=-1)], axis=-1)


def test_mix_rate_delta_interval_matches_a_brute_force_account_bootstrap():
    # Issue 16 item 5. Independent reference: resample whole accounts with replacement (2000 times), each
    # account with its responses of both periods, and recompute the decomposition from the resampled counts.
    df = accounts_two_periods(seed=1)
    n, sx = account_tables(df)
    rng = np.random.default_rng(2)
    picks = rng.integers(0, len(n), (2000, len(n)))
    boot_sd = decomposition(n[picks].sum(axis=1), sx[picks].sum(axis=1)).std(axis=0, ddof=1)
    # the same bootstrap with the two periods drawn independently (what treating them as two samples assumes)
    other = rng.integers(0, len(n), (2000, len(n)))
    both = np.stack([n[picks][:, :, 0].sum(axis=1), n[other][:, :, 1].sum(axis=1)], axis=1)
    both_x = np.stack([sx[picks][:, :, 0].sum(axis=1), sx[other][:, :, 1].sum(axis=1)], axis=1)
    indep_sd = decomposition(both, both_x).std(axis=0, ddof=1)
    assert indep_sd[2] > 1.3 * boot_sd[2]  # the accounts' two periods are correlated: independence is far off
    est = kitagawa(df)
    t = S.mix_rate_summary(df, ["Region"], "period", 1, 2, cluster="account_id").iloc[0]
    z = stats.norm.ppf(0.975)
    for i, key in enumerate(("mix", "rate", "change")):
        mid = t["change"] if key == "change" else t[f"{key}_effect"]
        assert mid == pytest.approx(est[i], abs=1e-9)
        half = (t[f"{key}_ci_high"] - t[f"{key}_ci_low"]) / 2
        assert t[f"{key}_ci_low"] + half == pytest.approx(mid, abs=1e-9)  # symmetric Wald interval
        assert half / z == pytest.approx(boot_sd[i], rel=0.1)
    boot = S.mix_rate_summary(df, ["Region"], "period", 1, 2, cluster="account_id", method="bootstrap",
                              n_boot=1000).iloc[0]
    for key in ("mix", "rate", "change"):  # the library's own account bootstrap keeps both periods together too
        lo, hi = boot[f"{key}_ci_low"], boot[f"{key}_ci_high"]
        assert (hi - lo) / (2 * z) == pytest.approx(boot_sd[("mix", "rate", "change").index(key)], rel=0.15)


def test_mix_rate_standard_errors_equal_r_svycontrast_on_the_demo():
    # tests/reference/segmentation_mix_rate.R: svycontrast of svytotal (accounts as clusters) with the
    # decomposition written as expressions of totals, on the demo client's responses of 2024 and 2025.
    ref = pd.read_csv(REF / "segmentation_mix_rate_r.csv").set_index(["dimension", "what"])
    d = pd.read_csv(REF / "segmentation_demo.csv", keep_default_na=False, dtype={"period": str})
    d["score"] = d["x"].map({-1: 0, 0: 7, 1: 10})
    z = stats.norm.ppf(0.975)
    got = S.mix_rate_summary(d, ["Region", "Plan", "Industry"], "period", "2024", "2025",
                             cluster="account").set_index("dimension")
    for (dim, what), row in ref.iterrows():
        est = got.loc[dim, "change" if what == "change" else f"{what}_effect"]
        se = (got.loc[dim, f"{what}_ci_high"] - got.loc[dim, f"{what}_ci_low"]) / (2 * z)
        assert est == pytest.approx(row["estimate"], rel=1e-9, abs=1e-9)
        assert se == pytest.approx(row["se"], rel=1e-7)
    # the demo's change 2024 -> 2025: SE 2.09 with its 487 accounts answering in both years counted once, where
    # two independent samples gave 3.29 (issue 16)
    assert ref.loc[("Plan", "change"), "se"] == pytest.approx(2.09, abs=0.01)


def test_mix_rate_delta_change_interval_by_hand_without_clusters():
    # Without clusters every response is its own unit of one design (as R's svycontrast with ids = ~1): the
    # change's variance is N/(N - 1) times the sum over periods of (p_pro + p_det - nps²) / n on the -1..1 scale.
    cells = {("A", 1): (10, 20, 70), ("B", 1): (50, 20, 30), ("A", 2): (2, 8, 30), ("B", 2): (72, 32, 56)}
    df = responses_from_counts(cells)
    df["period"] = df["responded_at"].dt.year
    t = S.mix_rate_summary(df, ["Region"], "period", 2024, 2025).iloc[0]
    # period 1: 60 detractors, 40 passives, 100 promoters (n 200); period 2: 74, 40, 86 (n 200)
    v1 = (100 / 200 + 60 / 200 - (40 / 200) ** 2) / 200
    v2 = (86 / 200 + 74 / 200 - (12 / 200) ** 2) / 200
    half = stats.norm.ppf(0.975) * 100 * np.sqrt(400 / 399 * (v1 + v2))
    assert t["change_ci_high"] - t["change"] == pytest.approx(half, rel=1e-9)


def test_mix_rate_delta_interval_coverage():
    # 300 samples of 250 accounts answering in both periods (:func:`accounts_two_periods`): the 95% intervals of
    # the mix and rate effects must cover the population values about 95% of the time. Treating the two periods
    # as independent samples over-covers (its intervals are too wide).
    true_mix, true_rate = population_mix_rate()
    hits = np.zeros(2)
    sims = 300
    for i in range(sims):
        frame = accounts_two_periods(n_acc=250, seed=1000 + i)
        t = S.mix_rate_summary(frame, ["Region"], "period", 1, 2, cluster="account_id").iloc[0]
        hits += [t["mix_ci_low"] <= true_mix <= t["mix_ci_high"], t["rate_ci_low"] <= true_rate <= t["rate_ci_high"]]
    cover = hits / sims
    assert 0.91 <= cover[0] <= 0.985 and 0.91 <= cover[1] <= 0.985


def test_mix_rate_clusters_of_identical_answers_count_once():
    # One response per account: clustered = unclustered. Every account answering 5 times identically: the
    # account-clustered interval is exactly the one-response-per-account interval; the naive one is ~1/sqrt(5).
    cells = {("A", 1): (50, 100, 250), ("B", 1): (250, 100, 50), ("A", 2): (25, 50, 125), ("B", 2): (375, 150, 75)}
    df = responses_from_counts(cells)
    df["period"] = df["responded_at"].dt.year
    df["account_id"] = [f"a{i}" for i in range(len(df))]
    plain = S.mix_rate_summary(df, ["Region"], "period", 2024, 2025).iloc[0]
    single = S.mix_rate_summary(df, ["Region"], "period", 2024, 2025, cluster="account_id").iloc[0]
    rep = pd.concat([df] * 5, ignore_index=True)
    clus = S.mix_rate_summary(rep, ["Region"], "period", 2024, 2025, cluster="account_id").iloc[0]
    naive = S.mix_rate_summary(rep, ["Region"], "period", 2024, 2025).iloc[0]
    for key in ("mix_ci_low", "mix_ci_high", "rate_ci_low", "rate_ci_high", "change_ci_low", "change_ci_high"):
        assert single[key] == pytest.approx(plain[key], rel=1e-9)
        assert clus[key] == pytest.approx(plain[key], rel=1e-9)
    width = lambda r: r["mix_ci_high"] - r["mix_ci_low"]  # noqa: E731
    assert width(naive) == pytest.approx(width(plain) / np.sqrt(5), rel=0.02)
    boot = S.mix_rate_summary(rep, ["Region"], "period", 2024, 2025, cluster="account_id", method="bootstrap",
                              n_boot=600).iloc[0]
    assert width(boot) == pytest.approx(width(clus), rel=0.2)


# --------------------------------------------------------------------------- counting on codes


def test_cluster_robust_variance_of_the_rest_matches_statsmodels():
    # Accounts answer in several segments (a response-level segment), so the rest shares accounts with the
    # segment: its clustered variance must be computed on the rest's own responses.
    import statsmodels.api as sm

    rng = np.random.default_rng(10)
    rows = []
    for i in range(150):
        base = rng.choice([0.0, 8.0, 10.0], p=[0.3, 0.3, 0.4])
        for _ in range(rng.integers(1, 8)):
            rows.append({"account_id": f"a{i}", "Channel": rng.choice(["web", "mail", "phone"]), "score": base})
    df = pd.DataFrame(rows)
    t = S.segment_nps(df, ["Channel"], min_n=10, cluster="account_id").set_index("segment")
    z = stats.norm.ppf(0.975)
    for seg in ("web", "mail", "phone"):
        rest = df[df["Channel"] != seg]
        x = np.where(rest["score"] >= 9, 1.0, np.where(rest["score"] <= 6, -1.0, 0.0))
        ref = sm.OLS(x, np.ones(len(x))).fit(cov_type="cluster",
                                              cov_kwds={"groups": pd.factorize(rest["account_id"])[0]})
        d, p, r = (x == -1).sum(), (x == 0).sum(), (x == 1).sum()
        vb = max(ref.bse[0] ** 2, adj_var(d, p, r))
        se = (t.loc[seg, "diff_ci_high"] - t.loc[seg, "diff_ci_low"]) / (2 * z) / 100
        va = (t.loc[seg, "se_test"] / 100) ** 2
        assert se**2 - va == pytest.approx(vb, rel=1e-9)


def test_the_checks_fast_path_on_prepared_codes_gives_the_blocks_tables():
    # The checks count on the codes the prepared data factorized once; the public blocks factorize their DataFrame.
    df = synth(n=1500, seed=14, small=True)
    df["account_id"] = [f"a{i % 200}" for i in range(len(df))]
    df.loc[::13, "Plan"] = None
    prep = prepare(from_frames(df, segments=["Region", "Plan"]), as_of=NOW)
    r, dims = prep.responses, ["Region", "Plan"]
    asked = []

    def codes(column):
        asked.append(column)
        return prep.codes(column)

    k = category_codes(r["score"], Breaks())
    fast = segment_nps_from_codes(k, segment_codes(r, dims, codes), cluster_codes(r, "account_id", k >= 0, codes))
    pd.testing.assert_frame_equal(fast, S.segment_nps(r, dims, cluster="account_id"))
    pd.testing.assert_frame_equal(dimension_tests_from_codes(k, segment_codes(r, dims, codes)),
                                  S.dimension_tests(r, dims))
    grid = nps_grid_from_codes(k, label_codes(r, "Region", codes), label_codes(r, "Plan", codes), "Region", "Plan")
    pd.testing.assert_frame_equal(grid, S.nps_grid(r, "Region", "Plan"))
    rr = r.assign(year=r["responded_at"].dt.year)
    rows = period_rows(rr, "year", 2024, 2025)
    mix = mix_rate_summary_from_codes(rows, segment_codes(rr, dims, codes), 2024, 2025,
                                      cluster_codes(rr, "account_id", rows[0], codes))
    pd.testing.assert_frame_equal(mix, S.mix_rate_summary(rr, dims, "year", 2024, 2025, cluster="account_id"))
    assert {"Region", "Plan", "account_id"} <= set(asked)


def test_nps_grid_matches_a_crosstab():
    df = synth(n=900, seed=16, small=True)
    df.loc[::11, "Plan"] = None
    g = S.nps_grid(df, "Region", "Plan")
    x = np.where(df["score"] >= 9, 1, np.where(df["score"] <= 6, -1, 0))
    ref = pd.DataFrame({"Region": df["Region"], "Plan": df["Plan"].fillna("(missing)"), "x": x})
    ref = ref.groupby(["Region", "Plan"])["x"].agg(["size", "mean"])
    assert len(g) == 4 * 5 and list(g["Region"]) == sorted(g["Region"])  # every cell, rows sorted as text
    got = g.set_index(["Region", "Plan"])
    np.testing.assert_array_equal(got.loc[ref.index, "n"].to_numpy(), ref["size"].to_numpy())
    np.testing.assert_allclose(got.loc[ref.index, "nps"].to_numpy(), 100 * ref["mean"].to_numpy(), atol=1e-9)
    empty = got.drop(ref.index)
    assert (empty["n"] == 0).all() and empty["nps"].isna().all()
    with pytest.raises(ValueError):
        S.nps_grid(df, "Plan", "Plan")


def test_every_check_is_listed_assessed_or_not(planted):
    assert [c.name for c in planted.checks] == list(CHECKS)
    substantive = {c.name for c in planted.checks if c.substantive}
    assert substantive == {"segments", "small_segments", "mix_rate"}
    assert all(c.assessed for c in planted.checks if c.name != "dispersion")
    spread = next(c for c in planted.checks if c.name == "dispersion")  # 4 regions, 3 reportable plans
    assert not spread.assessed and "5 values" in spread.reason
    tiny = pd.DataFrame({"score": [9.0, 2.0], "responded_at": pd.to_datetime(["2025-01-01", "2025-02-01"])})
    none = S.diagnose(prepare(from_frames(tiny), as_of=NOW))
    assert none.status == "not_assessed" and [c.name for c in none.checks] == list(CHECKS)
    assert not any(c.assessed for c in none.checks) and all(c.reason == none.not_assessed_reason for c in none.checks)
    assert "responses.segments" not in none.not_assessed_reason  # plain words, no config keys
    one_date, _ = run(pd.DataFrame({"score": [9.0, 10, 3] * 120, "responded_at": pd.Timestamp("2025-03-01"),
                                    "Region": list("AAABBBCCC") * 40, "Plan": ["x", "y"] * 180,
                                    "response_id": [f"R{i}" for i in range(360)]}))
    skipped = {c.name: c for c in one_date.checks if not c.assessed}
    assert set(skipped) == {"dispersion", "trend", "mix_rate"} and "trend" not in one_date.tables
    # one date: no change to split and no trend; neither is a gap in the evidence
    assert not any(c.substantive for c in skipped.values()) and one_date.status == "green"
    # each plan: 60 detractors, 120 promoters; each region: 40 and 80 against the rest's 80 and 160
    z = stats.norm.ppf(0.975)
    plan, region = (z * 100 * np.sqrt(v) for v in (2 * adj_var(60, 0, 120), adj_var(40, 0, 80) + adj_var(80, 0, 160)))
    assert (round(plan), round(region)) == (19, 20)  # within the 20 points a high-severity gap needs
    assert one_date.summary_text == ("Reportable segments range from +33 to +33 around the overall +33; no segment of "
                                     "Region, Plan differs significantly from the rest, each difference measured to "
                                     "within ±19 to ±20 points.")


def test_no_claim_that_segments_do_not_differ_when_no_difference_could_be_seen():
    # Issue 19 class 3: two plans of 30 responses each are compared, but their difference is known only to within
    # ±45 points, so finding no significant difference says nothing; Region's values have 20 responses each.
    small, _ = run(pd.DataFrame({"score": [9.0, 10, 3] * 20, "responded_at": pd.Timestamp("2025-03-01"),
                                 "Region": ["A", "B", "C"] * 20, "Plan": ["x", "y"] * 30,
                                 "response_id": [f"R{i}" for i in range(60)]}))
    half = stats.norm.ppf(0.975) * 100 * np.sqrt(2 * adj_var(10, 0, 20))
    assert round(half) == 45
    seg = next(c for c in small.checks if c.name == "segments")
    assert not seg.assessed and seg.substantive
    assert seg.reason == ("the segments are too small to tell whether they differ: no segment's difference from the "
                          "rest is known to better than ±45 points, so even a 20-point gap could go unseen")
    assert small.status == "amber" and "differs significantly" not in small.summary_text
    assert small.summary == ("Reportable segments range from +33 to +33 around the overall +33; the segments of Plan "
                             "are too small to tell whether they differ (each difference from the rest is known only "
                             "to within ±45 points or more).")


def test_figures_draw_on_a_given_axes():
    df = synth(n=600, seed=5)
    with plotting.style():
        fig, axes = plotting.figure(ncols=2)
    seg = S.segment_nps(df, ["Plan"])
    assert S.plot_forest(seg, "Plan", ax=axes[0]) is axes[0]
    assert S.plot_trend(S.nps_trend(df), ax=axes[1]) is axes[1]
    assert S.plot_forest(seg, "Plan").figure is not fig  # a new figure when no axes is given
    assert axes[0].get_title() == "NPS by Plan"


def test_client_text_in_figures_is_plain_and_short():
    df = synth(n=600, seed=5).rename(columns={"Plan": "Plan $"})
    df["Plan $"] = df["Plan $"].map({"Basic": "Basic $5-$10", "Pro": "Pro " + "x" * 60, "Enterprise": "Ent"})
    ax = S.plot_forest(S.segment_nps(df, ["Plan $"]), "Plan $")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any(lb.startswith(r"Basic \$5-\$10 (n=") for lb in labels)
    assert all(len(lb.split(" (n=")[0]) <= plotting.MAX_LABEL_CHARS for lb in labels)
    assert ax.get_title() == r"NPS by Plan \$"


def test_trend_by_segment_matches_a_groupby_on_periods():
    df = synth(n=900, seed=15)
    df.loc[::17, "Region"] = None
    t = S.nps_trend(df, period="M", by="Region", min_n=5)
    per = df["responded_at"].dt.to_period("M").astype(str)
    reg = df["Region"].fillna("(missing)")
    x = np.where(df["score"] >= 9, 1, np.where(df["score"] <= 6, -1, 0))
    ref = pd.DataFrame({"period": per, "Region": reg, "x": x}).groupby(["period", "Region"])["x"].agg(["size", "mean"])
    assert len(t) == len(ref)
    got = t.set_index(["period", "Region"])
    np.testing.assert_array_equal(got.loc[ref.index, "n"].to_numpy(), ref["size"].to_numpy())
    np.testing.assert_allclose(got.loc[ref.index, "nps"].to_numpy(), 100 * ref["mean"].to_numpy(), atol=1e-9)
    assert list(t["period"]) == sorted(t["period"])  # chronological (labels sort as dates for months)
    assert t["start"].iloc[0] == pd.Timestamp("2024-01-01")


# --------------------------------------------------------------------------- design-based tests across a dimension


def clustered_segments(seed=0, n_acc=200, zero_cell=False) -> pd.DataFrame:
    """Accounts (an attribute Region, and a response-level Channel) answering 1-8 times, mostly alike."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_acc):
        region = rng.choice(["A", "B", "C", "D"])
        base = rng.choice([3.0, 8.0, 10.0], p=[0.3, 0.3, 0.4] if region != "A" else [0.2, 0.3, 0.5])
        for _ in range(rng.integers(1, 9)):
            score = base if rng.random() < 0.75 else rng.choice([3.0, 8.0, 10.0])
            rows.append({"account_id": f"a{i}", "Region": region, "Channel": rng.choice(["web", "mail", "phone"]),
                         "score": score})
    df = pd.DataFrame(rows)
    if zero_cell:  # no detractor in region D
        df.loc[(df["Region"] == "D") & (df["score"] <= 6), "score"] = 8.0
    return df


@pytest.mark.parametrize("zero_cell", [False, True])
def test_dimension_chi_square_is_rao_scott_for_accounts(zero_cell):
    # Issue 16 item 6: the dimension test allows for accounts answering many times, as the library's
    # chisq_rao_scott (itself equal to R's svychisq) on the same responses.
    from npsdiag.stats.survey import chisq_rao_scott

    df = clustered_segments(seed=4, zero_cell=zero_cell)
    got = S.dimension_tests(df, ["Region", "Channel"], min_n=10, cluster="account_id").set_index("dimension")
    x = np.where(df["score"] >= 9, 2, np.where(df["score"] <= 6, 0, 1))
    for dim in ("Region", "Channel"):
        ref = chisq_rao_scott(df[dim], x, df["account_id"])
        assert got.loc[dim, "chi2"] == pytest.approx(ref.chi2, rel=1e-9)
        assert got.loc[dim, "design_effect"] == pytest.approx(ref.deff_mean, rel=1e-9)
        assert got.loc[dim, "p_value"] == pytest.approx(ref.p_value, rel=1e-6)
        assert got.loc[dim, "dof"] == ref.dof
    assert got.loc["Region", "design_effect"] > 2  # an account attribute: its answers move together
    plain = S.dimension_tests(df, ["Region"], min_n=10).iloc[0]
    assert plain["design_effect"] == 1 and plain["p_value"] < got.loc["Region", "p_value"]


def test_dimension_chi_square_equals_r_svychisq_on_the_demo():
    # tests/reference/segmentation_chisq.R: svychisq(~segment + category, statistic = "Chisq"), accounts as
    # clusters, on the demo's responses in values with at least 30 responses.
    ref = pd.read_csv(REF / "segmentation_chisq_r.csv").set_index("dimension")
    d = pd.read_csv(REF / "segmentation_demo.csv", keep_default_na=False)
    d["score"] = d["x"].map({-1: 0, 0: 7, 1: 10})
    got = S.dimension_tests(d, ["Region", "Plan", "Industry"], min_n=30, cluster="account").set_index("dimension")
    for dim, row in ref.iterrows():
        assert got.loc[dim, "chi2"] == pytest.approx(row["chi2"], rel=1e-9)
        assert got.loc[dim, "dof"] == row["dof"] and got.loc[dim, "n"] == row["n"]
        assert got.loc[dim, "tested_values"] == row["values"]
        assert got.loc[dim, "p_value"] == pytest.approx(row["p_value"], rel=1e-6)
        assert got.loc[dim, "design_effect"] == pytest.approx(row["design_effect"], rel=1e-6)
    # Industry: p 3e-6 as if the 8,380 responses were independent; 0.25 with the 761 accounts as clusters
    assert stats.chi2.sf(ref.loc["Industry", "chi2"], 16) < 1e-5 and ref.loc["Industry", "p_value"] > 0.2


def test_the_area_tests_dimensions_and_trend_by_account():
    df = clustered_segments(seed=5, n_acc=300)
    df["responded_at"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(df)) % 720, unit="D")
    df["response_id"] = [f"R{i}" for i in range(len(df))]
    res, prep = run(df, segments=["Region", "Channel"])
    dims = res.tables["dimensions"].set_index("dimension")
    ref = S.dimension_tests(prep.responses, ["Region"], cluster="account_id").iloc[0]
    assert dims.loc["Region", "design_effect"] == pytest.approx(ref["design_effect"]) and ref["design_effect"] > 2
    from npsdiag.stats.nps import nps_by_period

    trend = res.tables["trend"]
    ref_t = nps_by_period(prep.responses, freq="M", cluster="account_id")
    ref_t = ref_t[ref_t["n"] > 0].reset_index(drop=True)
    np.testing.assert_allclose(trend["ci_low"], ref_t["ci_low"], rtol=1e-12)
    np.testing.assert_allclose(trend["design_effect"], ref_t["deff"], rtol=1e-12)
    assert (trend["design_effect"] > 1).mean() > 0.5
    rocks = S.nps_trend(prep.responses, period="M")
    assert ((trend["ci_high"] - trend["ci_low"]) >= (rocks["ci_high"] - rocks["ci_low"]) - 1e-9).all()


def test_trend_by_segment_is_design_based_as_svyby_domains():
    # Each (period, segment) is a domain of the account-clustered design: npsdiag.stats.survey.nps_by_clustered
    # (checked against R's svyby in tests/test_reference_r.py) on the combined key gives the same intervals.
    from npsdiag.stats.survey import nps_by_clustered

    df = clustered_segments(seed=6, n_acc=250)
    df["responded_at"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(len(df)) % 180, unit="D")
    t = S.nps_trend(df, period="M", by="Region", min_n=5, cluster="account_id")
    key = df["responded_at"].dt.to_period("M").astype(str) + "|" + df["Region"]
    ref = nps_by_clustered(df.assign(key=key), "key", cluster="account_id").set_index("key")
    got = t.assign(key=t["period"] + "|" + t["Region"]).set_index("key")
    np.testing.assert_allclose(got["ci_low"], ref.loc[got.index, "ci_low"], rtol=1e-9)
    np.testing.assert_allclose(got["ci_high"], ref.loc[got.index, "ci_high"], rtol=1e-9)
    np.testing.assert_allclose(got["design_effect"], ref.loc[got.index, "deff"], rtol=1e-9)


# --------------------------------------------------------------------------- mix/rate on values that do not recur


def one_off_events(seed=0) -> pd.DataFrame:
    """Events as a segment: 39 one-off events in 2024, 38 in 2025, one event in both; the later events score low.

    Region (EMEA / NA) recurs in both years; its mix does not change.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for year, events, p_low in ((2024, [f"E{i}" for i in range(39)] + ["Annual"], 0.2),
                                (2025, [f"F{i}" for i in range(38)] + ["Annual"], 0.5)):
        for event in events:
            for _ in range(rng.integers(20, 40)):
                day = pd.Timestamp(f"{year}-01-01") + pd.Timedelta(days=int(rng.integers(0, 365)))
                score = float(rng.integers(0, 7)) if rng.random() < p_low else float(rng.choice([8, 9, 10]))
                rows.append({"Event": event, "Region": rng.choice(["EMEA", "NA"]), "score": score,
                             "responded_at": day})
    df = pd.DataFrame(rows)
    df["response_id"] = [f"R{i}" for i in range(len(df))]
    return df


def test_mix_rate_is_not_split_on_values_that_do_not_recur():
    # Issue 19 class 2: 1 of 78 event values in both periods; "the NPS drop is mostly a change of event mix" must
    # not be a finding. The recurring Region is still split.
    df = one_off_events()
    df["period"] = df["responded_at"].dt.year
    t = S.mix_rate_summary(df, ["Event", "Region"], "period", 2024, 2025).set_index("dimension")
    ev = t.loc["Event"]
    assert ev["recurring_values"] == 1 and ev["recurring_share"] < 0.05
    assert np.isnan(ev["mix_effect"]) and np.isnan(ev["rate_effect"]) and np.isnan(ev["mix_ci_low"])
    assert ev["note"].startswith("Not split: only 2% of the second period's responses are in values found in both "
                                 "periods (1 of 78 values recur)")
    assert ev["change"] == pytest.approx(t.loc["Region", "change"])  # the change itself is still reported
    assert t.loc["Region", "note"] == "" and t.loc["Region", "recurring_share"] == 1
    # what the split would have said: nearly all of the drop is "mix" (the events of 2025 are new)
    raw = S.mix_rate_decomposition(df, "Event", "period", 2024, 2025)
    assert raw["mix_effect"].sum() < 0 and abs(raw["mix_effect"].sum()) > 0.9 * abs(ev["change"])
    res, _ = run(df.drop(columns="period"), segments=["Event", "Region"])
    assert res.finding("segmentation.mix_shift") is None
    check = next(c for c in res.checks if c.name == "mix_rate")
    assert check.assessed  # Region could be split
    assert res.tables["mix_rate"].set_index("dimension").loc["Event", "note"].startswith("Not split")
    only_events, _ = run(df.drop(columns="period"), segments=["Event"])
    check = next(c for c in only_events.checks if c.name == "mix_rate")
    assert not check.assessed and check.substantive and "few recur" in check.reason
    assert only_events.finding("segmentation.mix_shift") is None and "mix_rate" not in [
        f.key for f in only_events.figures]


def test_mix_rate_is_split_when_a_few_values_come_and_go():
    # A new plan taking 10% of the second period's responses: 90% of it is in values of both periods.
    cells = {("A", 1): (50, 100, 250), ("B", 1): (250, 100, 50), ("A", 2): (25, 50, 125), ("B", 2): (300, 120, 60),
             ("New", 2): (40, 20, 20)}
    df = responses_from_counts(cells)
    df["period"] = df["responded_at"].dt.year
    t = S.mix_rate_summary(df, ["Region"], "period", 2024, 2025).iloc[0]
    assert t["recurring_values"] == 2 and t["recurring_share"] == pytest.approx(680 / 760) and t["note"] == ""
    assert np.isfinite(t["mix_effect"])


# --------------------------------------------------------------------------- journey stages, and what is claimed


def test_a_journey_stage_column_reads_as_nps_by_journey_stage():
    # Issue 19 class 10: a transactional programme's touchpoint column is the journey stage.
    df = synth(n=2000, seed=21, apac_low=True).rename(columns={"Region": "Touchpoint"})
    df["Touchpoint"] = df["Touchpoint"].map({"EMEA": "Order", "NA": "Delivery", "APAC": "Repair", "LATAM": "Billing"})
    res, _ = run(df, segments=["Touchpoint", "Plan"])
    seg = res.tables["segments"]
    assert set(seg["dimension"]) == {"journey stage (Touchpoint)", "Plan"}
    assert res.table_captions["segments"].startswith("NPS by journey stage (Touchpoint)")
    forest = next(f for f in res.figures if f.key == "forest_Touchpoint")
    assert forest.caption.startswith("NPS by journey stage (Touchpoint)")
    assert forest.figure.axes[0].get_title() == "NPS by journey stage (Touchpoint)"
    f = res.finding("segmentation.hidden_segment")
    assert f.title.startswith("The Repair stage (Touchpoint) scores") and f.evidence["dimension"] == "Touchpoint"
    assert S.checks.dimension_label("Region") == "Region"


def test_no_claim_that_segments_do_not_differ_without_tests():
    # Issue 19 class 3: with no segment column holding two values of min_n responses, nothing was compared.
    df = synth(n=400, seed=22)
    df["Plan"] = np.where(np.arange(400) < 380, "Basic", "Pro")
    df["Region"] = "EMEA"
    res, _ = run(df)
    seg = next(c for c in res.checks if c.name == "segments")
    assert not seg.assessed and seg.substantive and "no segment could be compared" in seg.reason
    spread = next(c for c in res.checks if c.name == "dispersion")
    assert not spread.assessed and "compared directly" not in spread.reason  # nothing was compared
    assert res.status != "green"
    assert "differs significantly" not in res.summary_text and "no segment could be compared" in res.summary_text
    assert res.finding("segmentation.hidden_segment") is None


def test_respondents_who_skipped_the_segment_question_are_not_a_hidden_segment():
    df = synth(seed=21)
    rng = np.random.default_rng(21)
    skipped = rng.random(len(df)) < 0.15
    df.loc[skipped, "Region"] = None
    df.loc[skipped, "score"] = rng.choice([0.0, 2.0, 4.0], skipped.sum())  # the skippers are unhappy
    res, _ = run(df, segments=("Region",))
    t = res.tables["segments"]
    missing = t[t["segment"] == "(missing)"]
    assert len(missing) == 1 and missing["p_adj"].iloc[0] < 0.001  # tested and shown in the table
    f = res.finding("segmentation.hidden_segment")
    assert f is None or f.evidence["segment"] != "(missing)"
