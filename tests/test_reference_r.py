"""npsdiag's statistics against R, on the same inputs (tests/reference: the R scripts and the CSVs they wrote).

Regenerate with ``make reference`` (needs R with the survey, survival, sandwich and pROC packages); the tests
read the committed CSVs and need no R.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from npsdiag.stats.survey import nps_by_clustered, nps_change_clustered, nps_clustered

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def demo_responses() -> pd.DataFrame:
    d = pd.read_csv(REF / "demo_responses.csv")
    d["score"] = d["x"].map({-1: 0, 0: 7, 1: 10})  # a score of each category
    return d


@pytest.fixture(scope="module")
def r_nps() -> pd.DataFrame:
    return pd.read_csv(REF / "nps_clustered_r.csv", keep_default_na=False, na_values=["NA"])


def test_headline_se_and_design_effect_equal_svymean(demo_responses, r_nps):
    ref = r_nps[r_nps["what"] == "overall"].iloc[0]
    got = nps_clustered(demo_responses, cluster="account")
    assert got.nps == pytest.approx(100 * ref["estimate"], abs=1e-9)
    assert got.se == pytest.approx(100 * ref["se"], rel=1e-9)
    assert got.deff == pytest.approx(ref["deff"], rel=1e-9)
    assert (got.n, got.clusters) == (ref["n"], ref["clusters"])
    # the interval: Rocks' adjusted Wald on n / deff; with 8,380 responses it is the design-based Wald interval
    assert got.ci_low == pytest.approx(100 * (ref["estimate"] - 1.959964 * ref["se"]), abs=0.1)
    assert got.ci_high == pytest.approx(100 * (ref["estimate"] + 1.959964 * ref["se"]), abs=0.1)


def test_quarters_equal_svyby(demo_responses, r_nps):
    ref = r_nps[r_nps["what"] == "quarter"].set_index("group")
    got = nps_by_clustered(demo_responses, "quarter", cluster="account").set_index("quarter")
    assert list(got.index) == list(ref.index)
    np.testing.assert_allclose(got["nps"], 100 * ref["estimate"], rtol=1e-9)
    np.testing.assert_allclose(got["se"], 100 * ref["se"], rtol=1e-9)
    np.testing.assert_allclose(got["deff"], ref["deff"], rtol=1e-9)
    np.testing.assert_array_equal(got["clusters"], ref["clusters"])


def test_change_between_quarters_equals_svycontrast(demo_responses, r_nps):
    ref = r_nps[r_nps["what"] == "change"].iloc[0]
    first, last = ref["group"].split("->")
    got = nps_change_clustered(demo_responses, "quarter", first, last, cluster="account")
    assert got.diff == pytest.approx(100 * ref["estimate"], rel=1e-9)
    assert got.se == pytest.approx(100 * ref["se"], rel=1e-9)


def test_independent_responses_give_rocks_interval():
    from npsdiag.stats.nps import nps_from_counts

    d = pd.DataFrame({"score": [0] * 10 + [7] * 20 + [10] * 30})
    got = nps_clustered(d, cluster=None)
    ref = nps_from_counts(10, 20, 30)
    assert got.deff == pytest.approx(1.0)
    assert got.ci_low == pytest.approx(100 * float(ref["ci_low"]), abs=1e-9)
    assert got.ci_high == pytest.approx(100 * float(ref["ci_high"]), abs=1e-9)


# --------------------------------------------------------------------------- outcome models


@pytest.fixture(scope="module")
def linked() -> pd.DataFrame:
    return pd.read_csv(REF / "demo_linked.csv")


@pytest.fixture(scope="module")
def accounts() -> pd.DataFrame:
    return pd.read_csv(REF / "demo_accounts.csv")


def test_clustered_logit_equals_sandwich_vcovcl(linked):
    from npsdiag.stats.regression import logit_fit_rows

    ref = pd.read_csv(REF / "logit_clustered_r.csv").set_index("term")
    X = pd.DataFrame({"const": 1.0, "score": linked["score"]})
    fit = logit_fit_rows(X, linked["churned"], groups=pd.factorize(linked["account"])[0])
    np.testing.assert_allclose(fit.params.to_numpy(), ref["estimate"].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(fit.bse.to_numpy(), ref["se"].to_numpy(), rtol=1e-6)


def test_account_logit_with_controls_equals_glm(accounts):
    from npsdiag.stats.regression import logit_fit

    ref = pd.read_csv(REF / "logit_accounts_r.csv").set_index("term")
    X = pd.DataFrame({"const": 1.0, "score": accounts["score"], "log_arr": accounts["log_arr"],
                      "planProfessional": (accounts["plan"] == "Professional").astype(float),
                      "planStarter": (accounts["plan"] == "Starter").astype(float)})
    fit = logit_fit(X, accounts["churned"].to_numpy(dtype=float))
    np.testing.assert_allclose(fit.params.to_numpy(), ref["estimate"].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(fit.bse.to_numpy(), ref["se"].to_numpy(), rtol=1e-6)
    assert list(fit.summary.columns[:4]) == ["coef", "se", "z", "p_value"]


def test_cox_equals_coxph_breslow(accounts):
    from npsdiag.stats.regression import cox_fit

    ref = pd.read_csv(REF / "cox_r.csv").iloc[0]
    got = cox_fit(accounts["time_days"], accounts["event"].astype(bool), accounts["score"])
    assert got.coef == pytest.approx(ref["estimate"], rel=1e-6)
    assert got.se == pytest.approx(ref["se"], rel=1e-6)
    assert (got.n, got.events) == (ref["n"], ref["events"])


def test_auc_equals_proc_delong(accounts):
    from npsdiag.stats.auc import auc_delong

    ref = pd.read_csv(REF / "auc_r.csv").iloc[0]
    got = auc_delong(accounts["churned"], accounts["score"])
    assert got.auc == pytest.approx(ref["auc"], rel=1e-9)
    assert got.se == pytest.approx(ref["se"], rel=1e-9)
    assert got.ci_low == pytest.approx(ref["ci_low"], rel=1e-9)
    assert got.ci_high == pytest.approx(ref["ci_high"], rel=1e-9)
    assert (got.n_churned, got.n_retained) == (ref["n_churned"], ref["n_retained"])


# --------------------------------------------------------------------------- non-response


def test_rao_scott_first_order_equals_svychisq():
    from npsdiag.stats.survey import chisq_rao_scott

    d = pd.read_csv(REF / "demo_invitations.csv")
    ref = pd.read_csv(REF / "rao_scott_r.csv").set_index("attribute")
    deffs = {}
    for attribute, row in ref.iterrows():
        got = chisq_rao_scott(d[attribute], d["responded"], d["account"])
        assert got.chi2 == pytest.approx(row["chi2"], rel=1e-9)
        assert got.dof == row["dof"]
        assert got.p_value == pytest.approx(row["p_value"], rel=1e-6)
        deffs[attribute] = got.deff_mean
    # each table has its own correction: industry's accounts answer together far more than roles' do
    assert deffs["industry"] > 3 * deffs["role"]


def test_rao_scott_without_clusters_is_pearson():
    from scipy.stats import chi2_contingency

    from npsdiag.stats.survey import chisq_rao_scott

    rows = ["a"] * 30 + ["b"] * 30 + ["c"] * 20
    cols = [1] * 20 + [0] * 10 + [1] * 10 + [0] * 20 + [1] * 5 + [0] * 15
    got = chisq_rao_scott(rows, cols)
    table = pd.crosstab(pd.Series(rows), pd.Series(cols)).to_numpy()
    chi2, p, dof, _ = chi2_contingency(table, correction=False)
    assert got.chi2 == pytest.approx(chi2) and got.dof == dof
    assert got.deff_mean == pytest.approx(80 / 79, rel=1e-9)  # n/(n-1): the with-replacement variance


def test_nps_by_period_with_clusters_equals_svyby(demo_responses, r_nps):
    from npsdiag.stats.nps import nps_by_period

    d = demo_responses.assign(responded_at=pd.PeriodIndex(demo_responses["quarter"].str.replace("Q", "-Q"),
                                                           freq="Q").start_time)
    got = nps_by_period(d, freq="Q", cluster="account", min_n=1)
    ref = r_nps[r_nps["what"] == "quarter"]
    np.testing.assert_allclose(got["se"], 100 * ref["se"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(got["deff"], ref["deff"].to_numpy(), rtol=1e-9)
    independent = nps_by_period(d, freq="Q", min_n=1)
    assert (got["ci_high"] - got["ci_low"] > independent["ci_high"] - independent["ci_low"]).all()
