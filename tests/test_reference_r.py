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
