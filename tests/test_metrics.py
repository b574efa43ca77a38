"""NPS core statistics against hand-computed and published values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from npsdiag.stats.nps import (
    Breaks,
    categorize,
    margin_of_error,
    nps,
    nps_by_period,
    nps_diff_test,
    nps_from_counts,
    period_ordinals,
)


@pytest.mark.parametrize(
    "counts, var, se",
    [
        # Hand computations (the R package NPS's tests hold no numbers): var = p_pro + p_det - (p_pro - p_det)^2,
        #   se = sqrt(var / n); counts (1 detractor, 2 passives, 3 promoters): 1/2 + 1/6 - (1/3)^2 = 5/9,
        #   sqrt(5/9 / 6) = 0.304
        ((1, 2, 3), 5 / 9, 0.304),
        ((1, 0, 1), 1.0, 0.707),
        ((0, 1, 1), 0.25, 0.354),
        ((1, 1, 1), 2 / 3, 0.471),
        ((0, 0, 5), 0.0, 0.0),  # a single category has no variance
    ],
)
def test_variance_and_se_match_hand_computations(counts, var, se):
    r = nps_from_counts(*counts, adjusted=False)
    assert float(r["variance"]) == pytest.approx(var, abs=1e-12)
    assert float(r["se"]) == pytest.approx(se, abs=5e-4)


def test_nps_of_counts_1_2_3_is_one_third():
    assert float(nps_from_counts(1, 2, 3)["nps"]) == pytest.approx(1 / 3)


def test_adjusted_wald_interval_by_hand():
    # counts 1:2:3 + (0.75, 1.5, 0.75) -> 1.75 : 3.5 : 3.75, n = 9
    # NPS_adj = (3.75 - 1.75) / 9 = 0.222222
    # var_adj = (3.75 + 1.75) / 9 - 0.222222^2 = 0.611111 - 0.049383 = 0.561728
    # SE_adj = sqrt(0.561728 / 9) = 0.249828 ; z(0.975) = 1.959964
    # interval = 0.222222 -+ 0.489654 = (-0.267432, 0.711876)
    r = nps_from_counts(1, 2, 3)
    assert float(r["ci_low"]) == pytest.approx(-0.267432, abs=1e-5)
    assert float(r["ci_high"]) == pytest.approx(0.711876, abs=1e-5)


def test_plain_wald_interval_by_hand():
    # counts 10:20:70, n = 100: NPS 0.6, var = 0.8 - 0.36 = 0.44, SE = 0.066332
    # 90% interval: z(0.95) = 1.644854 -> 0.6 -+ 0.109107
    r = nps_from_counts(10, 20, 70, confidence=0.90, adjusted=False)
    assert float(r["ci_low"]) == pytest.approx(0.490893, abs=1e-5)
    assert float(r["ci_high"]) == pytest.approx(0.709107, abs=1e-5)


def test_interval_is_clipped_and_empty_is_nan():
    r = nps_from_counts(0, 0, 1)
    assert float(r["ci_high"]) <= 1.0
    e = nps_from_counts(0, 0, 0)
    assert math.isnan(float(e["nps"])) and math.isnan(float(e["ci_low"]))


def test_categorize_standard_and_custom_breaks():
    s = pd.Series([0, 6, 6.5, 7, 8, 8.5, 9, 10, np.nan])
    got = categorize(s).astype(object).tolist()
    assert got[:8] == ["detractor", "detractor", "passive", "passive", "passive", "passive", "promoter", "promoter"]
    assert pd.isna(got[8])
    # a 1-5 scale read with breaks 2 / 5: 1-2 detractors, 3-4 passives, 5 promoters
    got = categorize(pd.Series([1, 2, 3, 4, 5]), Breaks(2, 5)).astype(str).tolist()
    assert got == ["detractor", "detractor", "passive", "passive", "promoter"]


def test_nps_table_by_group_by_hand():
    df = pd.DataFrame({
        "score": [10, 9, 8, 0, 10, 3, 4, 7, np.nan],
        "g": ["a", "a", "a", "a", "b", "b", "b", "b", "b"],
    })
    t = nps(df, by="g").set_index("g")
    # a: 2 promoters, 1 passive, 1 detractor -> (2 - 1) / 4 = +25 ; b: 1, 1, 2 of 4 -> -25 (NaN ignored)
    assert t.loc["a", "nps"] == pytest.approx(25.0)
    assert t.loc["b", "nps"] == pytest.approx(-25.0)
    assert t.loc["b", "n"] == 4
    assert t.loc["a", "pct_promoters"] == pytest.approx(50.0)
    # SE of group a: var = 0.75 - 0.0625 = 0.6875 ; SE = sqrt(0.6875 / 4) = 0.414578 -> 41.46 points
    assert t.loc["a", "se"] == pytest.approx(41.4578, abs=1e-3)
    assert (t["ci_low"] < t["nps"]).all() and (t["nps"] < t["ci_high"]).all()


def test_diff_test_by_hand():
    # a = (10, 20, 70): NPS 0.60 ; b = (30, 20, 50): NPS 0.20 ; diff 0.40
    # adjusted a: 10.75, 21.5, 70.75 (n 103): s = 60/103 = 0.582524 ; var = 81.5/103 - s^2 = 0.451956
    # adjusted b: 30.75, 21.5, 50.75 (n 103): s = 20/103 = 0.194175 ; var = 81.5/103 - s^2 = 0.753570
    # SE = sqrt(0.451956/103 + 0.753570/103) = sqrt(0.011704) = 0.108187 ; z = 0.40 / 0.108187 = 3.6973
    r = nps_diff_test((10, 20, 70), (30, 20, 50))
    assert r.diff == pytest.approx(40.0)
    assert r.se == pytest.approx(10.8187, abs=1e-3)
    assert r.z == pytest.approx(3.6973, abs=1e-3)
    assert r.p_value == pytest.approx(2 * 0.000109, rel=0.05)  # 2 * (1 - Phi(3.6973))


def test_diff_test_same_groups_not_significant_and_empty_nan():
    r = nps_diff_test((5, 5, 5), (5, 5, 5))
    assert r.diff == 0 and r.p_value == pytest.approx(1.0)
    assert math.isnan(nps_diff_test((0, 0, 0), (1, 1, 1)).p_value)


def test_margin_of_error_by_hand():
    # NPS 0 with 30% passives: p_pro = p_det = 0.35, var = 0.7 ; n = 100: 1.959964 * sqrt(0.007) = 0.163981
    assert float(margin_of_error(100)) == pytest.approx(16.3981, abs=1e-3)


def test_adjusted_wald_coverage_near_95_percent():
    """Seeded simulation: the interval covers the true NPS ~95% of the time for n from 30 to 5,000."""
    rng = np.random.default_rng(2016)
    reps = 4000
    for p in [(0.30, 0.30, 0.40), (0.10, 0.30, 0.60), (0.50, 0.25, 0.25)]:
        true = p[2] - p[0]
        for n in (30, 100, 500, 5000):
            counts = rng.multinomial(n, p, size=reps)
            r = nps_from_counts(counts[:, 0], counts[:, 1], counts[:, 2])
            coverage = np.mean((r["ci_low"] <= true) & (true <= r["ci_high"]))
            # binomial SE of the coverage estimate at 95%: sqrt(.95*.05/4000) = 0.0034
            assert 0.93 <= coverage <= 0.97, (p, n, coverage)


@pytest.mark.parametrize("freq, alias", [("W", "W-SUN"), ("M", "M"), ("Q", "Q"), ("Y", "Y")])
def test_period_ordinals_equal_pandas_periods(freq, alias):
    d = pd.Series(pd.to_datetime(["1969-12-28", "1969-12-29", "1970-01-01", "1970-01-05", "2024-02-29 13:00",
                                  "1899-03-01", None], format="ISO8601"))
    o, ok = period_ordinals(d, freq)
    assert ok.tolist() == [True] * 6 + [False]
    assert o[ok].tolist() == [p.ordinal for p in d.dropna().dt.to_period(alias)]


@pytest.mark.parametrize("freq", ["W", "M", "Q"])
def test_nps_by_period_against_a_pandas_period_groupby(freq):
    # independent computation: pandas Period groupby of the categories, Rocks' adjusted interval from counts
    rng = np.random.default_rng(3)
    n = 2000
    d = pd.DataFrame({"responded_at": pd.Timestamp("2024-01-03") + pd.to_timedelta(rng.uniform(0, 400, n), "D"),
                      "score": rng.integers(0, 11, n).astype(float)})
    d.loc[d.index[::50], "score"] = np.nan
    t = nps_by_period(d, freq=freq, min_n=1)
    ok = d.dropna()
    per = ok["responded_at"].dt.to_period({"W": "W-SUN"}.get(freq, freq))
    cat = np.where(ok["score"] <= 6, "d", np.where(ok["score"] >= 9, "p", "m"))
    tab = pd.crosstab(per, cat).reindex(pd.period_range(per.min(), per.max()), fill_value=0)
    assert t["n"].tolist() == tab.sum(axis=1).tolist()
    assert t["detractors"].tolist() == tab["d"].tolist() and t["promoters"].tolist() == tab["p"].tolist()
    full = tab.sum(axis=1) > 0
    hand = 100 * (tab["p"] - tab["d"]) / tab.sum(axis=1)
    np.testing.assert_allclose(t.loc[full.to_numpy(), "nps"], hand[full], rtol=1e-12)
    r = nps_from_counts(tab["d"], tab["m"], tab["p"])
    np.testing.assert_allclose(t["ci_low"], 100 * r["ci_low"], rtol=1e-12)
    assert t["start"].iloc[0] == tab.index[0].start_time


def test_nps_table_from_counts_by_hand():
    from npsdiag.stats.nps import nps_table

    t = nps_table(np.array([[1, 2, 3], [4, 0, 0]]))
    # (3 - 1) / 6 = 33.3 points; four detractors only: -100, shares 100/0/0
    assert t["n"].tolist() == [6, 4]
    assert t.loc[0, "nps"] == pytest.approx(100 / 3) and t.loc[1, "nps"] == pytest.approx(-100)
    assert t.loc[1, "pct_detractors"] == 100 and t.loc[1, "pct_promoters"] == 0
    assert list(t.columns[:4]) == ["n", "detractors", "passives", "promoters"]
    assert (t["moe"] - (t["ci_high"] - t["ci_low"]) / 2).abs().max() < 1e-12
