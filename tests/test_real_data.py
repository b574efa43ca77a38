"""The kit on real third-party exports (../shared/data): each example config loads and is diagnosed.

Expected figures come from each data set's SOURCE.md or are recomputed here from the raw file with
plain pandas (never from the kit's own output). The configs under examples/<name>/ were written by
``npsdiag init`` and checked by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from npsdiag import diagnosis, report
from npsdiag.clean import prepare
from npsdiag.io import load
from npsdiag.runner import run

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ("bt-nps-verbatims", "preppin-sudzilla", "preppin-soap-stores", "preppin-airlines", "qualtrics-beskar",
            "surveymonkey-lead", "ibm-telco", "bank-churn")
def cfg(name: str) -> Path:
    return ROOT / "examples" / name / "config.yml"


def nps_of(scores: pd.Series, detractor_max: float = 6, promoter_min: float = 9) -> float:
    """NPS by hand: % promoters - % detractors."""
    s = scores.dropna()
    return 100 * ((s >= promoter_min).sum() - (s <= detractor_max).sum()) / len(s)


@pytest.fixture(scope="module")
def prepared(shared_data):
    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            cache[name] = prepare(load(cfg(name)), as_of=pd.Timestamp("2026-01-01"))
        return cache[name]

    return get


@pytest.fixture(scope="module")
def diagnosed(prepared):
    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            cache[name] = diagnosis.diagnose(prepared(name))
        return cache[name]

    return get


def test_every_example_points_at_the_shared_data_without_copying_it(shared_data):
    for name in EXAMPLES:
        text = cfg(name).read_text(encoding="utf-8")
        assert "../../../shared/data/" in text, name
        assert "npsdiag init" in text and "checked by hand" in text
        assert not list((ROOT / "examples" / name).glob("*.csv")), f"data copied into examples/{name}"


@pytest.mark.parametrize("name", [n for n in EXAMPLES if n != "bt-nps-verbatims"])  # BT: through the runner below
def test_diagnosis_runs_on_each_example(prepared, diagnosed, name):
    prep = prepared(name)
    diag = diagnosed(name)
    assert diag.headline["n"] == len(prep.responses) > 0
    assert set(diag.areas) >= {"reliability", "balance", "segmentation", "outcome", "decay"}
    json.dumps(diag.to_dict() if hasattr(diag, "to_dict") else diag.headline)  # evidence is serialisable
    lo, hi = prep.settings.scale
    assert prep.responses["score"].between(lo, hi).all()


def render_report_pieces(prep, diag) -> str:
    """The report's HTML as the notebook assembles it (without Papermill): every section, figure and table."""
    from npsdiag import story

    redact, conf = prep.settings.redact_pii, prep.settings.confidence
    client = story.anonymise(diag, story.owner_aliases(prep))
    told = story.tell(client, prep)
    trend = report.headline_trend(prep, freq="Q")
    change = report.trend_change(trend, conf, prep=prep)
    parts = [report.cover(client, told, confidence=conf), report.summary(client, told, change, redact, conf),
             report.action_plan(told), report.gaps(told), report.exhibits(told, redact),
             report.at_a_glance(client, told, redact), report.brief(client, told, redact, conf),
             report.appendix_cover(client, told), report.statistics(client, told, trend, change, conf)]
    parts += [report.area_html(res, redact) for res in client.areas.values()]
    parts += [report.methodology(client), report.data_appendix(prep)]
    return "".join(str(p) for p in parts)


@pytest.mark.parametrize("name", [
    "preppin-airlines", "preppin-sudzilla",  # small ones: the tiny groups break figures; BT runs in full below
    "preppin-soap-stores", "qualtrics-beskar", "surveymonkey-lead",  # quarters of 1-3 responses
])
def test_report_renders_for_each_example(prepared, diagnosed, name):
    prep = prepared(name)
    html = render_report_pieces(prep, diagnosed(name))
    assert prep.config.client.split()[0] in html and "<script" not in html.lower()
    if prep.settings.scale != (0, 10):
        assert "1-5 scale" in html  # the scale note reaches the data appendix
        # and the cover names the index for what it is, once
        assert "Top-box index on a 1-5 scale" in html and "Read with care" in html
        assert html.split("</header>")[0].count("not a Net Promoter Score") == 1  # said once on the cover


def test_bt_verbatims_reading(prepared, shared_data):
    prep = prepared("bt-nps-verbatims")
    raw = pd.read_csv(shared_data / "external" / "bt-nps-verbatims" / "verbatim.csv")
    read = prep.rows_read
    assert len(read) == 2385
    assert dict(prep.excluded_counts) == {"missing_score": 32}  # comment-only rows are not respondents
    assert round(nps_of(prep.responses["score"]), 1) == -24.7 == round(nps_of(raw["NPS_SCORE"]), 1)
    # day-first: '11/04/2018 20:09' is 11 April; the range is 2017-12-11 .. 2018-06-20 per SOURCE.md
    first = read.loc[read["_row"] == 2, "responded_at"].iloc[0]
    assert first == pd.Timestamp("2018-04-11 20:09")
    d = read["responded_at"]
    assert d.min().date().isoformat() == "2017-12-11" and d.max().date().isoformat() == "2018-06-20"
    assert prep.segments == ["SURVEY_SUB_TYPE", "Qtr"]


def test_preppin_sudzilla_labels_as_drivers(prepared, shared_data):
    prep = prepared("preppin-sudzilla")
    raw = pd.read_csv(shared_data / "external" / "preppin-data-nps" / "case_040_input_01.csv")
    assert prep.responses["score"].round(1).tolist() == raw.iloc[:, 1].astype(float).tolist()
    food = [d for d in prep.drivers if "food" in d]
    assert len(food) == 3 and all(prep.responses[f].dropna().between(1, 5).all() for f in food)
    lunch = raw["How would you rate the food at Sudzilla (lunch)?"]
    assert (prep.responses["How would you rate the food at Sudzilla (lunch)?"] == 1).sum() == (
        lunch == "Horrendous").sum()
    assert prep.responses["responded_at"].min() == pd.Timestamp("2019-11-01 08:51:12")  # month first


def test_preppin_soap_stores_bom_dayfirst_repeats(prepared):
    prep = prepared("preppin-soap-stores")
    r = prep.rows_read
    assert "Country" in r.columns  # not '\ufeffCountry': the BOM is not part of the first name
    assert r.loc[r["_row"] == 4, "responded_at"].iloc[0] == pd.Timestamp("2020-01-24 19:11")
    # people who answered twice within 30 days: later answers are repeats, not new voices
    assert prep.excluded_counts.get("repeat_respondent", 0) >= 1
    assert prep.responses["respondent_id"].is_unique or prep.settings.repeat_window_days == 30


def test_preppin_airlines_benchmark(prepared, diagnosed, shared_data):
    prep = prepared("preppin-airlines")
    raw = pd.read_csv(shared_data / "external" / "preppin-data-nps" / "case_122_input_01.csv")
    assert len(prep.responses) == len(raw) == 5723
    assert prep.responses["Airline"].nunique() == 98
    res = diagnosed("preppin-airlines").areas["segmentation"]
    small = next(f for f in res.findings if f.id == "segmentation.insufficient_n")
    counts = raw["Airline"].value_counts()
    assert small.evidence["segments"] == int((counts < 50).sum()) == 40


def test_qualtrics_previews_tests_unfinished_excluded(prepared, shared_data):
    prep = prepared("qualtrics-beskar")
    raw = pd.read_csv(shared_data / "formats" / "qualtrics" / "Beskar_Armor_api_export_useLabels.csv",
                      skiprows=[1, 2])
    assert len(prep.rows_read) == len(raw) == 44
    flags = prep.flags.set_index("_row")["reason"]
    # Qualtrics previews and tests (Status), unfinished responses (Finished), and comments that just say "test"
    test_like = (raw["Status"].isin(["Survey Preview", "Survey Test"]) | (raw["Finished"].astype(str) == "False")
                 | raw["Q22"].str.lower().eq("test"))
    rows = raw.index[test_like] + 4  # record i sits on file line i + 4 (three header lines)
    assert flags.loc[rows].isin(["test_response", "missing_score"]).all()
    assert flags.loc[4] == "test_response"  # record 1 is the preview
    assert len(prep.responses) == int((~test_like & raw["Q16"].notna()).sum()) == 21
    labels = {"Extremely dissatisfied": 1, "Somewhat dissatisfied": 2, "Neither satisfied nor dissatisfied": 3,
              "Somewhat satisfied": 4, "Extremely satisfied": 5}
    expected = raw.loc[~test_like, "Q16"].dropna().str.strip().map(labels)
    assert sorted(prep.responses["score"].tolist()) == sorted(expected.astype(float).tolist())


def test_surveymonkey_labels_with_typos(prepared, shared_data):
    prep = prepared("surveymonkey-lead")
    raw = pd.read_csv(shared_data / "formats" / "surveymonkey" / "test-responses.csv", skiprows=[1])
    col = raw.columns[11]
    expected = raw[col].map({"Strongly disagree": 1, "Disgree": 2, "Agree": 4, "Strongly agree": 5}).astype(float)
    assert prep.responses["score"].tolist() == expected.tolist()
    assert prep.rows_read["responded_at"].iloc[0] == pd.Timestamp("2023-07-31 16:29:08")  # US, 12-hour


def test_bank_churn_satisfaction_has_no_link_to_churn(prepared, diagnosed, shared_data):
    prep = prepared("bank-churn")
    raw = pd.read_csv(shared_data / "external" / "bank-churn-satisfaction" / "Customer-Churn-Records.csv")
    assert prep.accounts["churned"].mean() == pytest.approx(raw["Exited"].mean()) == pytest.approx(0.2038)
    nps = nps_of(raw["Satisfaction Score"], detractor_max=3, promoter_min=5)
    assert diagnosis.headline(prep)["nps"] == pytest.approx(nps, abs=0.05)
    res = diagnosed("bank-churn").areas["outcome"]
    assert "outcome.no_link" in {f.id for f in res.findings}  # SOURCE.md: churn 19.6-21.8% at every score
    assert "Complain" not in prep.segments


def test_ibm_telco_flat_workbook(prepared, diagnosed):
    prep = prepared("ibm-telco")
    assert len(prep.accounts) == 7043 and int(prep.accounts["churned"].sum()) == 1869  # SOURCE.md
    r = prep.responses.merge(prep.accounts[["account_id", "churned"]], on="account_id")
    by_score = r.groupby("score")["churned"].mean()
    assert by_score.loc[[1.0, 2.0]].eq(1).all() and by_score.loc[[4.0, 5.0]].eq(0).all()  # the engineered link
    res = diagnosed("ibm-telco").areas["outcome"]
    assert res.not_assessed_reason is None
    assert not {"outcome.no_link", "outcome.inverse_link"} & {f.id for f in res.findings}


def test_bt_through_the_runner_with_a_hostile_path_and_client_name(shared_data, tmp_path):
    """npsdiag run end to end: a folder with spaces and quotes, a client name with quotes, backslash, newline."""
    folder = tmp_path / "client's \"BT\" folder"
    folder.mkdir()
    data = shared_data / "external" / "bt-nps-verbatims" / "verbatim.csv"
    text = cfg("bt-nps-verbatims").read_text(encoding="utf-8")
    text = text.replace('"../../../shared/data/external/bt-nps-verbatims/verbatim.csv"', json.dumps(str(data)))
    name = 'BT "Broadband" <b>bold</b> back\\slash\nsecond line'
    lines = [f"client: {json.dumps(name)}" if ln.startswith("client:") else ln for ln in text.splitlines()]
    config = folder / "my config 'v1'.yml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = run(config, folder / "out put", progress=False)
    doc = json.loads(res.findings.read_text(encoding="utf-8"))
    assert doc["client"] == name
    assert doc["headline"]["nps"] == -24.7 and doc["headline"]["n"] == 2353  # SOURCE.md
    assert doc["data"]["responses_read"] == 2385
    html = res.report.read_text(encoding="utf-8")
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "back\\slash" in html
    appendix = (res.output_dir / "appendix.html").read_text(encoding="utf-8")
    assert "<b>bold</b>" not in appendix and "&lt;b&gt;bold&lt;/b&gt;" in appendix
    assert "score missing" in appendix  # the 32 comment-only rows in the lineage
