"""Key-driver analysis: Johnson relative weights and LMG / Shapley decomposition, checked by hand."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from npsdiag.areas import drivers as D
from npsdiag.clean import prepare
from npsdiag.io import from_frames
from npsdiag.stats import keydrivers as K


def exact_corr_frame(target: np.ndarray, n: int = 60, seed: int = 0, names=("y", "x1", "x2")) -> pd.DataFrame:
    """Data whose sample correlation matrix is exactly ``target`` (whiten, then colour with its Cholesky)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, len(target)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    return pd.DataFrame(z @ np.linalg.cholesky(target).T, columns=list(names))


# r(x1, x2) = 0.6, r(x1, y) = 0.5, r(x2, y) = 0.3
TARGET = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.6], [0.3, 0.6, 1.0]])


def test_relative_weights_two_predictors_by_hand():
    # Hand computation (Johnson 2000) for r12 = 0.6, r1y = 0.5, r2y = 0.3:
    # Lambda = R^(1/2) = [[a, b], [b, a]], a = (sqrt(1.6) + sqrt(0.4)) / 2 = 0.948683, b = (sqrt(1.6) - sqrt(0.4)) / 2
    # = 0.316228; beta = Lambda^-1 r_xy = [0.474342, 0.158114];
    # eps1 = a^2 b1^2 + b^2 b2^2 = 0.9 * 0.225 + 0.1 * 0.025 = 0.205; eps2 = 0.1 * 0.225 + 0.9 * 0.025 = 0.045;
    # R^2 = (r1^2 + r2^2 - 2 r1 r2 r12) / (1 - r12^2) = 0.16 / 0.64 = 0.25.
    df = exact_corr_frame(TARGET)
    rw = D.relative_weights(df, "y", ["x1", "x2"], n_boot=0).set_index("driver")
    assert rw.loc["x1", "raw_weight"] == pytest.approx(0.205, abs=1e-9)
    assert rw.loc["x2", "raw_weight"] == pytest.approx(0.045, abs=1e-9)
    assert rw.loc["x1", "share"] == pytest.approx(0.82, abs=1e-9)
    assert rw["r2"].iloc[0] == pytest.approx(0.25, abs=1e-9)
    # standardized betas: R^-1 r_xy = [(0.5 - 0.18) / 0.64, (0.3 - 0.3) / 0.64] = [0.5, 0.0]
    assert rw.loc["x1", "beta"] == pytest.approx(0.5, abs=1e-9)
    assert rw.loc["x2", "beta"] == pytest.approx(0.0, abs=1e-9)


def test_lmg_two_predictors_by_hand():
    # LMG_1 = (r1^2 + (R^2 - r2^2)) / 2 = (0.25 + 0.16) / 2 = 0.205; LMG_2 = (0.09 + (0.25 - 0.25)) / 2 = 0.045
    df = exact_corr_frame(TARGET)
    t = D.shapley_r2(df, "y", ["x1", "x2"]).set_index("driver")
    assert t.loc["x1", "lmg"] == pytest.approx(0.205, abs=1e-9)
    assert t.loc["x2", "lmg"] == pytest.approx(0.045, abs=1e-9)


def _correlated(n=400, seed=1):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 3))
    x = z @ np.array([[1, 0.6, 0.3], [0, 1, 0.5], [0, 0, 1]])
    df = pd.DataFrame(x, columns=["ease", "support", "value"])
    df["score"] = x @ [1.0, 0.6, 0.1] + rng.normal(size=n) * 1.5
    return df


def test_relative_weights_match_svd_formulation_and_ols_r2():
    # Independent computation: Johnson's original SVD route. Z = U V' (closest orthonormal matrix to the
    # standardized X); Lambda_jk = corr(X_j, Z_k); beta_k = corr(y, Z_k); eps_j = sum_k Lambda_jk^2 beta_k^2.
    df = _correlated()
    cols = ["ease", "support", "value"]
    x = df[cols].to_numpy()
    xs = (x - x.mean(0)) / x.std(0)
    u, _, vt = np.linalg.svd(xs, full_matrices=False)
    zz = u @ vt
    lam = np.array([[np.corrcoef(xs[:, j], zz[:, k])[0, 1] for k in range(3)] for j in range(3)])
    beta = np.array([np.corrcoef(df["score"], zz[:, k])[0, 1] for k in range(3)])
    expected = (lam**2) @ (beta**2)
    rw = D.relative_weights(df, "score", cols, n_boot=0).set_index("driver").loc[cols]
    np.testing.assert_allclose(rw["raw_weight"].to_numpy(), expected, atol=1e-8)
    r2 = sm.OLS(df["score"], sm.add_constant(df[cols])).fit().rsquared
    assert rw["raw_weight"].sum() == pytest.approx(r2, abs=1e-9)


def test_lmg_matches_permutation_average_of_ols_fits():
    # Brute force: average over the 3! orders of entry of each driver's R^2 increment (statsmodels OLS fits).
    df = _correlated()
    cols = ["ease", "support", "value"]

    def r2(sub):
        return 0.0 if not sub else sm.OLS(df["score"], sm.add_constant(df[list(sub)])).fit().rsquared

    expected = dict.fromkeys(cols, 0.0)
    perms = list(permutations(cols))
    for order in perms:
        for i, c in enumerate(order):
            expected[c] += (r2(order[: i + 1]) - r2(order[:i])) / len(perms)
    t = D.shapley_r2(df, "score", cols).set_index("driver")
    for c in cols:
        assert t.loc[c, "lmg"] == pytest.approx(expected[c], abs=1e-9)
    assert t["lmg"].sum() == pytest.approx(r2(cols), abs=1e-9)


def test_orthogonal_drivers_weight_is_squared_correlation():
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.normal(size=(200, 2)) - 0)
    q -= q.mean(axis=0)
    q, _ = np.linalg.qr(q)
    df = pd.DataFrame(q, columns=["a", "b"])
    df["y"] = 2 * df["a"] + df["b"] + rng.normal(size=200) * 0.05
    rw = D.relative_weights(df, "y", ["a", "b"], n_boot=0).set_index("driver")
    for c in ("a", "b"):
        assert rw.loc[c, "raw_weight"] == pytest.approx(np.corrcoef(df[c], df["y"])[0, 1] ** 2, abs=1e-6)


def test_logit_shapley_adds_to_mcfadden_and_matches_two_driver_formula():
    rng = np.random.default_rng(4)
    n = 500
    df = pd.DataFrame(rng.normal(size=(n, 2)), columns=["support", "value"])
    df["value"] += 0.5 * df["support"]
    df["churned"] = (rng.random(n) < 1 / (1 + np.exp(-(-1 - 1.2 * df["support"])))).astype(int)

    def pr2(cols):
        return sm.Logit(df["churned"], sm.add_constant(df[cols])).fit(disp=0).prsquared

    full = pr2(["support", "value"])
    t = D.shapley_r2(df, "churned", ["support", "value"], model="logit").set_index("driver")
    assert t["lmg"].sum() == pytest.approx(full, abs=1e-6)
    assert t.loc["support", "lmg"] == pytest.approx((pr2(["support"]) + full - pr2(["value"])) / 2, abs=1e-6)


def test_churn_drivers_odds_ratios_match_statsmodels():
    rng = np.random.default_rng(5)
    n = 400
    df = pd.DataFrame(rng.normal(5, 2, size=(n, 3)), columns=["ease", "support", "value"])
    df["churned"] = (rng.random(n) < 1 / (1 + np.exp(-(-1 - 0.5 * (df["support"] - 5))))).astype(int)
    out = D.churn_drivers(df, ["ease", "support", "value"]).set_index("driver")
    z = (df[["ease", "support", "value"]] - df[["ease", "support", "value"]].mean()) / df[
        ["ease", "support", "value"]].std()
    ref = sm.Logit(df["churned"], sm.add_constant(z)).fit(disp=0)
    for c in ("ease", "support", "value"):
        assert out.loc[c, "odds_ratio"] == pytest.approx(np.exp(ref.params[c]), rel=1e-6)
        assert out.loc[c, "or_ci_low"] == pytest.approx(np.exp(ref.conf_int().loc[c, 0]), rel=1e-6)
        assert out.loc[c, "p_value"] == pytest.approx(ref.pvalues[c], rel=1e-6)
    assert out.index[0] == "support"
    assert out["pseudo_r2"].iloc[0] == pytest.approx(ref.prsquared, rel=1e-6)


def test_cluster_bootstrap_is_not_fooled_by_repeated_rows():
    df = _correlated(n=150, seed=6)
    df["account_id"] = [f"a{i}" for i in range(len(df))]
    rep = pd.concat([df] * 6, ignore_index=True)  # every account answered 6 times identically
    base = D.relative_weights(df, "score", ["ease", "support", "value"], cluster="account_id", n_boot=300)
    naive = D.relative_weights(rep, "score", ["ease", "support", "value"], n_boot=300)
    clus = D.relative_weights(rep, "score", ["ease", "support", "value"], cluster="account_id", n_boot=300)
    w = lambda t: (t["ci_high"] - t["ci_low"]).iloc[0]  # noqa: E731 - width of the top driver's interval
    assert w(naive) < 0.6 * w(clus)
    assert w(clus) == pytest.approx(w(base), rel=0.35)
    assert ((clus["ci_low"] <= clus["raw_weight"]) & (clus["raw_weight"] <= clus["ci_high"])).all()


def test_degenerate_inputs_never_raise():
    df = pd.DataFrame({"score": [1.0, 5, 9, 10, 3, 7], "a": [1.0, 2, 3, 4, 5, 6], "b": [2.0] * 6})
    rw = D.relative_weights(df, "score", ["a", "b"], n_boot=50).set_index("driver")
    assert np.isnan(rw.loc["b", "raw_weight"]) and rw.loc["a", "raw_weight"] > 0
    assert D.relative_weights(df.head(2), "score", ["a"]).empty
    assert D.shapley_r2(df, "score", ["a", "b"]).empty  # a constant driver: not decomposable
    one_class = df.assign(churned=0)
    assert D.churn_drivers(one_class, ["a"]).empty
    assert D.key_drivers(df.assign(score=5.0), ["a"], n_boot=0)["share"].isna().all()


def test_diagnose_drivers_area():
    rng = np.random.default_rng(7)
    n = 300
    ease = rng.integers(1, 11, n)
    support = rng.integers(1, 11, n)
    score = np.clip(np.round(0.7 * support + 0.2 * ease + rng.normal(0, 1, n)), 0, 10)
    r = pd.DataFrame({"score": score, "responded_at": pd.Timestamp("2025-01-01") + pd.to_timedelta(
        rng.integers(0, 200, n), unit="D"), "Ease": ease, "Support": support,
        "account_id": [f"a{i % 100}" for i in range(n)]})
    acc = pd.DataFrame({"account_id": [f"a{i}" for i in range(100)], "churned": rng.random(100) < 0.3})
    prep = prepare(from_frames(r, accounts=acc, drivers=["Ease", "Support"]), as_of=pd.Timestamp("2026-01-01"))
    res = D.diagnose(prep)
    assert res.area == "drivers" and res.not_assessed_reason is None
    assert res.tables["score_drivers"]["driver"].iloc[0] == "Support"
    assert "churn_drivers" in res.tables and res.figures
    assert [(c.name, c.assessed) for c in res.checks] == [("score_drivers", True), ("churn_drivers", True)]
    # the check bootstraps on the cached account codes: the same table as the public block on the responses
    pd.testing.assert_frame_equal(res.tables["score_drivers"],
                                  D.key_drivers(prep.responses, ["Ease", "Support"], cluster="account_id"))
    none = prepare(from_frames(r.drop(columns=["Ease", "Support"])), as_of=pd.Timestamp("2026-01-01"))
    assert D.diagnose(none).status == "not_assessed"


# --------------------------------------------------------------------------- bootstrap on sufficient statistics


def johnson_by_eigen(df: pd.DataFrame, y: str, cols: list[str]) -> np.ndarray:
    """Johnson raw weights from the sample correlation matrix (R_xx^(1/2) by eigen-decomposition)."""
    c = np.corrcoef(df[[y, *cols]].to_numpy(), rowvar=False)
    e, v = np.linalg.eigh(c[1:, 1:])
    lam = v @ np.diag(np.sqrt(e)) @ v.T
    return (lam**2) @ (np.linalg.solve(lam, c[1:, 0]) ** 2)


def test_bootstrap_interval_matches_a_brute_force_cluster_bootstrap():
    # Independent reference: resample whole accounts with replacement (800 times), recompute the weights from the
    # resampled rows' correlation matrix; the percentile intervals must agree with the sufficient-statistics
    # Poisson bootstrap up to Monte Carlo error.
    df = _correlated(n=600, seed=11)
    df["account_id"] = np.repeat(np.arange(150), 4)
    cols = ["ease", "support", "value"]
    rng = np.random.default_rng(12)
    groups = [g for _, g in df.groupby("account_id")]
    arrs = [g[["score", *cols]].to_numpy() for g in groups]
    boots = []
    for _ in range(800):
        rows = np.concatenate([arrs[j] for j in rng.integers(0, len(arrs), len(arrs))])
        boots.append(johnson_by_eigen(pd.DataFrame(rows, columns=["score", *cols]), "score", cols))
    lo, hi = np.quantile(boots, [0.025, 0.975], axis=0)
    rw = D.relative_weights(df, "score", cols, cluster="account_id", n_boot=800).set_index("driver").loc[cols]
    np.testing.assert_allclose(rw["raw_weight"].to_numpy(), johnson_by_eigen(df, "score", cols), atol=1e-12)
    width = hi - lo
    np.testing.assert_allclose(rw["ci_low"].to_numpy(), lo, atol=0.15 * width.max())
    np.testing.assert_allclose(rw["ci_high"].to_numpy(), hi, atol=0.15 * width.max())
    np.testing.assert_allclose((rw["ci_high"] - rw["ci_low"]).to_numpy(), width, rtol=0.2)


def test_point_estimates_do_not_depend_on_the_bootstrap_and_missing_drivers_drop_rows():
    df = _correlated(n=300, seed=13)
    cols = ["ease", "support", "value"]
    holes = df.copy()
    holes.loc[::7, "support"] = np.nan
    holes.loc[3::11, "score"] = np.nan
    with_boot = D.relative_weights(holes, "score", cols, n_boot=100).set_index("driver").loc[cols]
    complete = holes.dropna()
    assert (with_boot["n"] == len(complete)).all()
    np.testing.assert_allclose(with_boot["raw_weight"].to_numpy(), johnson_by_eigen(complete, "score", cols),
                               atol=1e-12)
    kd = D.key_drivers(holes, cols, n_boot=0).set_index("driver").loc[cols]
    np.testing.assert_allclose(kd["mean"].to_numpy(), complete[cols].mean().to_numpy(), atol=1e-12)


def test_many_clusters_are_merged_into_bounded_groups(monkeypatch):
    # Merging independent accounts at random into fewer groups keeps the bootstrap valid: similar intervals.
    df = _correlated(n=1200, seed=14)
    df["account_id"] = np.repeat(np.arange(600), 2)
    cols = ["ease", "support", "value"]
    full = D.relative_weights(df, "score", cols, cluster="account_id", n_boot=400, seed=1)
    monkeypatch.setattr(K, "MAX_BOOT_UNITS", 150)
    merged = D.relative_weights(df, "score", cols, cluster="account_id", n_boot=400, seed=1)
    pd.testing.assert_series_equal(full["raw_weight"], merged["raw_weight"])
    w = lambda t: (t["ci_high"] - t["ci_low"]).to_numpy()  # noqa: E731
    np.testing.assert_allclose(w(merged), w(full), rtol=0.3)


def test_poisson_weights_have_poisson_1_frequencies():
    rng = np.random.default_rng(0)
    w = K._poisson1(rng, (200, 5000)).ravel()
    from scipy import stats

    freq = np.bincount(w.astype(int), minlength=8)[:8] / w.size
    np.testing.assert_allclose(freq, stats.poisson.pmf(np.arange(8), 1.0), atol=1e-3)
    assert w.mean() == pytest.approx(1.0, abs=3e-3) and w.var() == pytest.approx(1.0, abs=5e-3)


def test_account_ratings_before_the_outcome_and_its_embargo_by_hand():
    rng = np.random.default_rng(15)
    n = 400
    r = pd.DataFrame({"score": rng.integers(0, 11, n).astype(float),
                      "responded_at": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
                      "Ease": rng.integers(1, 6, n).astype(float), "Support": rng.integers(1, 6, n).astype(float),
                      "account_id": [f"a{i % 40}" for i in range(n)]})
    r.loc[::9, "Support"] = np.nan
    acc = pd.DataFrame({"account_id": [f"a{i}" for i in range(40)], "churned": rng.random(40) < 0.4,
                        "outcome_at": pd.Timestamp("2025-06-01") + pd.to_timedelta(rng.integers(0, 200, 40), unit="D")})
    acc.loc[::5, "outcome_at"] = pd.NaT
    prep = prepare(from_frames(r, accounts=acc, drivers=["Ease", "Support"]), as_of=pd.Timestamp("2026-01-01"))
    # only accounts whose outcome is known by the as-of date: churned, or renewed by a dated outcome
    known = acc.set_index("account_id").pipe(lambda a: a.index[a["churned"] | a["outcome_at"].notna()])
    pr = prep.responses.merge(acc[["account_id", "outcome_at"]], on="account_id", how="left")
    for days in (0, 30):
        af = D.account_ratings(prep.responses, prep.accounts, ["Ease", "Support"], embargo_days=days)
        af = af.set_index("account_id").sort_index()
        # by hand: responses more than `days` before their account's outcome date (all of them when it is unknown)
        used = pr[pr["outcome_at"].isna() | (pr["responded_at"] < pr["outcome_at"] - pd.Timedelta(days=days))]
        ref = used.groupby("account_id")[["Ease", "Support"]].mean().sort_index()
        ref = ref[ref.index.isin(known)]
        assert list(af.index) == list(ref.index)
        np.testing.assert_allclose(af[["Ease", "Support"]].to_numpy(), ref.to_numpy(), atol=1e-12)
        assert (af["churned"] == acc.set_index("account_id").loc[af.index, "churned"].astype(int)).all()


def test_share_interval_is_the_bootstrap_of_the_share_itself():
    # Brute-force account bootstrap of each driver's share of its replicate's own R² (not of the raw weight over
    # the full sample's R²): the percentile intervals agree up to Monte Carlo error.
    df = _correlated(n=600, seed=11)
    df["account_id"] = np.repeat(np.arange(150), 4)
    cols = ["ease", "support", "value"]
    rng = np.random.default_rng(12)
    arrs = [g[["score", *cols]].to_numpy() for _, g in df.groupby("account_id")]
    shares = []
    for _ in range(800):
        w = johnson_by_eigen(pd.DataFrame(np.concatenate([arrs[j] for j in rng.integers(0, len(arrs), len(arrs))]),
                                          columns=["score", *cols]), "score", cols)
        shares.append(w / w.sum())
    lo, hi = np.quantile(shares, [0.025, 0.975], axis=0)
    kd = D.key_drivers(df, cols, cluster="account_id", n_boot=800).set_index("driver").loc[cols]
    width = hi - lo
    np.testing.assert_allclose(kd["share_ci_low"].to_numpy(), lo, atol=0.15 * width.max())
    np.testing.assert_allclose(kd["share_ci_high"].to_numpy(), hi, atol=0.15 * width.max())
    # dividing the raw weight's interval by the full sample's R² (the former interval) is another, wider interval
    rw = D.relative_weights(df, "score", cols, cluster="account_id", n_boot=800).set_index("driver").loc[cols]
    old = (rw["ci_high"] - rw["ci_low"]).to_numpy() / rw["r2"].to_numpy()
    assert (old > 1.3 * width).any()


def _drivers_client(weights, churn_on, n_acc=300, per=4, seed=3):
    """Responses rating three drivers (score = weights . drivers + noise) and accounts whose churn depends on the
    account's mean rating of the drivers in ``churn_on``."""
    rng = np.random.default_rng(seed)
    n = n_acc * per
    acct = np.repeat(np.arange(n_acc), per)
    base = rng.normal(size=(n_acc, 3))
    x = base[acct] + 0.5 * rng.normal(size=(n, 3))
    score = np.clip(np.round(7 + x @ np.asarray(weights) + rng.normal(0, 1, n)), 0, 10)
    names = ["Ease", "Support", "Value"]
    r = pd.DataFrame({"score": score, "responded_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(
        rng.integers(0, 300, n), unit="D"), "account_id": [f"a{i}" for i in acct]})
    for j, c in enumerate(names):
        r[c] = np.clip(np.round(5 + 2 * x[:, j]), 1, 10)
    lin = -1.2 - sum(1.5 * base[:, names.index(c)] for c in churn_on)
    acc = pd.DataFrame({"account_id": [f"a{i}" for i in range(n_acc)], "churned": rng.random(n_acc) < 1 / (1 + np.exp(
        -lin)), "outcome_at": pd.Timestamp("2025-03-01") + pd.to_timedelta(rng.integers(0, 200, n_acc), unit="D")})
    prep = prepare(from_frames(r, accounts=acc, drivers=names), as_of=pd.Timestamp("2026-01-01"))
    return D.diagnose(prep)


def test_dominant_driver_fires_on_evidence_only():
    # Support carries the score and alone drives churn: one medium finding, the area is not "Sound"
    res = _drivers_client([0.3, 1.5, 0.2], ["Support"])
    f = res.finding("drivers.dominant_driver")
    assert f is not None and f.severity == "medium" and res.status == "amber"
    assert f.evidence["score_driver"] == f.evidence["churn_driver"] == "Support"
    assert f.evidence["share_ci_low"] > 0.5 and f.evidence["p_adj"] < 0.05
    assert f.title.startswith("Support explains most of the score") and "only driver that predicts churn" in f.title
    assert "not what causes it" in f.detail and "Support" in f.recommendation
    assert res.summary_text == f.title + "."
    # Ease carries the score, but only Value predicts churn
    res = _drivers_client([1.5, 0.3, 0.2], ["Value"], seed=4)
    f = res.finding("drivers.dominant_driver")
    assert f is not None and f.title == "Ease explains most of the score, but only Value predicts churn"
    # balanced drivers, all three predicting churn: no finding, and the area is sound (both checks ran)
    res = _drivers_client([0.8, 0.8, 0.8], ["Ease", "Support", "Value"], seed=5)
    assert res.findings == [] and res.status == "green"
    assert res.tables["score_drivers"]["share_ci_low"].max() < 0.5
    assert "no single driver dominates" in res.summary_text


def test_drivers_checks_are_substantive_with_plain_reasons():
    rng = np.random.default_rng(7)
    n = 300
    r = pd.DataFrame({"score": rng.integers(0, 11, n).astype(float), "Ease": rng.integers(1, 11, n),
                      "Support": rng.integers(1, 11, n), "responded_at": pd.Timestamp("2025-01-01")})
    res = D.diagnose(prepare(from_frames(r, drivers=["Ease", "Support"]), as_of=pd.Timestamp("2026-01-01")))
    # no accounts: churn drivers could not be checked, so the area is only partly assessed, never "Sound"
    assert [(c.name, c.assessed, c.substantive) for c in res.checks] == [("score_drivers", True, True),
                                                                         ("churn_drivers", False, True)]
    assert res.status == "amber" and res.summary_text.startswith("Partly assessed")
    none = D.diagnose(prepare(from_frames(r.drop(columns=["Ease", "Support"])), as_of=pd.Timestamp("2026-01-01")))
    for text in (res.summary_text, none.summary_text):
        assert "responses." not in text and "accounts." not in text and "config" not in text


def test_plot_drivers_wraps_whole_questions_without_collapsing_the_axes():
    import warnings

    from npsdiag import report

    long = "The agent who helped me understood my problem and explained the next steps clearly to me"
    t = pd.DataFrame({"driver": [long, "Ease of use"], "share": [0.6, 0.4], "share_ci_low": [0.5, 0.3],
                      "share_ci_high": [0.7, 0.5]})
    ax = D.plot_drivers(t)
    fig = ax.figure
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert max(len(line) for lab in labels for line in lab.splitlines()) <= 32  # wrapped, at most 3 lines
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "constrained_layout not applied" was raised for such labels
        assert "data:image/png" in report.figure_html(fig, "drivers")
