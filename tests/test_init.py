"""`npsdiag init`: a proposed config from raw exports, explained, never overwriting, and loadable."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from npsdiag.clean import prepare
from npsdiag.cli import main, validate
from npsdiag.config import load_config, read_config
from npsdiag.errors import NpsdiagError
from npsdiag.init import init, profile_columns, propose
from npsdiag.io import load

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo"


def run_init(exports, output: Path, **kw) -> tuple[int, str, dict]:
    buf = io.StringIO()
    code = init([str(e) for e in exports], output=output, out=buf, **kw)
    return code, buf.getvalue(), yaml.safe_load(output.read_text(encoding="utf-8"))


def set_survey_date(config: Path, date: str) -> None:
    """Write the date the survey ran where `init` left its placeholder, as the consultant does."""
    text = config.read_text(encoding="utf-8")
    assert 'survey_date: "YYYY-MM-DD"' in text
    config.write_text(text.replace('survey_date: "YYYY-MM-DD"', f'survey_date: "{date}"'), encoding="utf-8")


def nps_export(n: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "Response Id": [f"R{i:05d}" for i in range(n)],
        "Submitted": pd.date_range("2024-01-01", periods=n, freq="6h").strftime("%Y-%m-%d %H:%M"),
        "Contact Email": [f"p{i % 250}@client{i % 40}.com" for i in range(n)],
        "Likelihood to recommend": rng.integers(0, 11, n),
        "Ease": rng.integers(0, 11, n),
        "Region": rng.choice(["EMEA", "APAC", "Americas"], n),
        "Persona": rng.choice(["Executive", "User", "Admin"], n),
        "Anything else?": comments(rng, n),
    })


def comments(rng: np.random.Generator, n: int, blank: float = 0.3) -> list[str]:
    """Free-text comments as people write them: varied (few repeat word for word), some left blank."""
    first = ["The onboarding took far too long", "Great support", "Reports are slow", "Pricing is confusing",
             "The new dashboard is lovely", "Billing made a mistake", "Our CSM is brilliant"]
    then = ["for our team", "this quarter", "since the upgrade", "again", "thanks", "please fix it", "overall"]
    detail = ["", " after the migration", " for the finance team", " on mobile", " in the EU region",
              " with large files", " when exporting", " during month end", " for new starters", " on Mondays"]
    last = ["", "!", ".", " - we may look elsewhere", " and we will renew", " :)"]
    return ["" if rng.random() < blank else f"{rng.choice(first)} {rng.choice(then)}{rng.choice(detail)}"
            f"{rng.choice(last)}" for _ in range(n)]


def test_demo_exports_recover_the_demo_config(tmp_path):
    exports = [DEMO / "invitations.csv", DEMO / "contacts.csv", DEMO / "responses.csv", DEMO / "accounts.csv"]
    code, out, got = run_init(exports, tmp_path / "acme.yml")
    assert code == 0, out
    want = yaml.safe_load((DEMO / "config.yml").read_text(encoding="utf-8"))
    for table in ("responses", "accounts", "invitations", "contacts"):
        assert Path(got[table]["path"]).name == Path(want[table]["path"]).name, table
        for fld, col in want[table]["columns"].items():
            assert got[table]["columns"].get(fld) == col, (table, fld)
    assert got["responses"]["segments"] == want["responses"]["segments"]
    assert got["responses"]["drivers"] == want["responses"]["drivers"]
    assert got["accounts"]["churn_values"] == ["Churned"]
    assert "Industry" in got["accounts"]["segments"]
    assert "It loads" in out and "Next: npsdiag validate" in out


def test_every_guess_explains_itself_and_never_overwrites(tmp_path):
    nps_export().to_csv(tmp_path / "export.csv", index=False)
    target = tmp_path / "client.yml"
    code, out, got = run_init([tmp_path / "export.csv"], target)
    assert code == 0
    text = target.read_text(encoding="utf-8")
    mapped = [ln for ln in text.splitlines() if ln.startswith("    ") and ":" in ln and not ln.strip().startswith("#")]
    assert mapped and all(any(f"# {c}" in ln or f"CHECK {c}" in ln for c in ("high", "medium", "low"))
                          for ln in mapped)
    assert got["responses"]["columns"] == {
        "score": "Likelihood to recommend", "responded_at": "Submitted", "response_id": "Response Id",
        "respondent_id": "Contact Email", "role": "Persona", "comment": "Anything else?"}
    assert got["responses"]["segments"] == ["Region"] and got["responses"]["drivers"] == ["Ease"]
    assert "likelihood to recommend" in text.lower() and "asks about recommending" in text
    before = target.read_text()
    with pytest.raises(NpsdiagError, match="already exists"):
        init([str(tmp_path / "export.csv")], output=target, out=io.StringIO())
    assert target.read_text() == before
    assert main(["init", str(tmp_path / "export.csv"), "--output", str(target)]) == 1
    assert main(["init", str(tmp_path / "export.csv"), "--output", str(target), "--force", "--client", "Acme"]) == 0
    assert load_config(target).client == "Acme"
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize("name, values", [
    ("LTR", [str(v) for v in range(11)]),
    ("NPS", [str(v) for v in range(11)]),
    ("Q1", [str(v) for v in range(11)]),
    ("How likely are you to recommend us to a friend?",
     ["0 - Not at all likely"] + [str(v) for v in range(1, 10)] + ["10 - Extremely likely"]),
])
def test_score_found_by_name_and_values(tmp_path, name, values):
    rng = random.Random(3)
    n = 120
    pd.DataFrame({"Tenure (years)": [rng.randint(0, 10) for _ in range(n)],
                  "Date": pd.date_range("2024-02-01", periods=n, freq="D").strftime("%Y-%m-%d"),
                  name: [rng.choice(values) for _ in range(n)]}).to_csv(tmp_path / "e.csv", index=False)
    code, out, got = run_init([tmp_path / "e.csv"], tmp_path / "c.yml")
    assert code == 0, out
    assert got["responses"]["columns"]["score"] == name  # not 'Tenure (years)', also 0-10 by its values
    d = load(tmp_path / "c.yml")
    assert d.responses["score"].between(0, 10).all()


def test_european_file_dayfirst_and_decimal_comma(tmp_path):
    text = "Datum;Score;Région;Umsatz\n" + "".join(
        f"{d:02d}/03/2024;{s};{'Île-de-France' if s % 2 else 'Zürich'};1.234,{s}0\n" for d, s in
        zip(range(1, 29), [9, 3, 10, 7] * 7))
    (tmp_path / "e.csv").write_bytes(text.encode("cp1252"))
    code, out, got = run_init([tmp_path / "e.csv"], tmp_path / "c.yml")
    assert code == 0, out
    r = got["responses"]
    assert r["delimiter"] == ";" and r["encoding"] == "cp1252" and r["dayfirst"] is True
    assert r["columns"]["score"] == "Score" and r["columns"]["responded_at"] == "Datum"
    assert r["segments"] == ["Région"]
    assert load(tmp_path / "c.yml").responses["responded_at"].iloc[12] == pd.Timestamp("2024-03-13")


def test_ambiguous_dates_and_one_to_ten_scale_are_flagged(tmp_path):
    rng = np.random.default_rng(2)
    n = 240
    pd.DataFrame({"Date": [f"{rng.integers(1, 13):02d}/{rng.integers(1, 13):02d}/2024" for _ in range(n)],
                  "Rating (recommend)": rng.integers(1, 11, n)}).to_csv(tmp_path / "e.csv", index=False)
    code, out, got = run_init([tmp_path / "e.csv"], tmp_path / "c.yml")
    text = (tmp_path / "c.yml").read_text()
    assert "# dayfirst: true  # CHECK" in text and "either way" in text
    assert "no score of 0 among 240" in out and "scale: [1, 10]" in out


def test_flat_export_with_churn_gives_accounts_from_the_same_file(tmp_path):
    rng = np.random.default_rng(4)
    n = 400
    pd.DataFrame({"CustomerId": np.arange(10_000, 10_000 + n), "Geography": rng.choice(["FR", "DE", "ES"], n),
                  "Satisfaction Score": rng.integers(1, 6, n), "Exited": rng.integers(0, 2, n),
                  "Churn Reason": rng.choice(["", "Price", "Competitor offered a better deal"], n),
                  "ARR": rng.integers(1000, 9000, n)}).to_csv(tmp_path / "bank.csv", index=False)
    code, out, got = run_init([tmp_path / "bank.csv"], tmp_path / "c.yml")
    assert code == 1 and "Once `survey_date` is set, it loads: 400 response rows read" in out  # no dates: ask
    assert got["accounts"]["path"] == got["responses"]["path"]
    assert got["accounts"]["columns"] == {"account_id": "CustomerId", "churned": "Exited", "revenue": "ARR"}
    assert got["responses"]["columns"]["account_id"] == "CustomerId"
    assert got["settings"] == {"scale": [1, 5], "detractor_max": 3, "promoter_min": 5}
    assert got["responses"]["survey_date"] == "YYYY-MM-DD"
    leaks = {"Exited", "Churn Reason"}
    assert not leaks & set(got["responses"].get("segments", [])) and "comment" not in got["responses"]["columns"]
    set_survey_date(tmp_path / "c.yml", "2024-03-31")
    prep = prepare(load(tmp_path / "c.yml"))
    assert len(prep.accounts) == n and len(prep.responses) == n


def test_qualtrics_and_surveymonkey_samples(shared_data, tmp_path):
    q = shared_data / "formats" / "qualtrics" / "Beskar_Armor_api_export_useLabels.csv"
    code, out, got = run_init([q], tmp_path / "q.yml")
    r = got["responses"]
    assert code == 0 and r["format"] == "qualtrics"
    assert r["columns"]["status"] == "Status" and r["columns"]["finished"] == "Finished"
    assert r["columns"]["responded_at"] == "RecordedDate" and r["columns"]["score"] == "Q16"
    assert r["score_labels"]["Extremely satisfied"] == 5 and got["settings"]["scale"] == [1, 5]
    assert "Overall, how satisfied" in (tmp_path / "q.yml").read_text()  # the question text from header row 2
    assert "excluded 22: test, preview or unfinished response" in out
    sm = shared_data / "formats" / "surveymonkey" / "test-responses.csv"
    code, out, got = run_init([sm], tmp_path / "s.yml")
    r = got["responses"]
    assert code == 0 and r["format"] == "surveymonkey" and r["dayfirst"] is False
    assert r["columns"]["response_id"] == "Respondent ID" and r["columns"]["responded_at"] == "End Date"
    assert r["score_labels"]["Disgree"] == 2 and "near-miss" in (tmp_path / "s.yml").read_text()


def test_no_score_column_writes_a_placeholder_and_says_so(shared_data, tmp_path):
    long = shared_data / "external" / "preppin-data-nps" / "case_050_input_01.csv"
    code, out, _ = run_init([long], tmp_path / "c.yml")
    assert code == 1
    assert "no column looks like a likelihood-to-recommend score" in out and "long format" in out
    assert "does not load yet" in out and "column '<which column holds the score?>' not found" in out


def test_several_exports_unreadable_ones_are_listed(tmp_path):
    nps_export().to_csv(tmp_path / "export.csv", index=False)
    (tmp_path / "junk.csv").write_bytes(b"\x00\x01\x02" * 100)
    pd.DataFrame({"Title": ["a", "b"], "Created": ["2024-01-01", "2024-01-02"]}).to_csv(tmp_path / "misc.csv",
                                                                                           index=False)
    code, out, got = run_init([tmp_path / "junk.csv", tmp_path / "export.csv", tmp_path / "misc.csv"],
                              tmp_path / "c.yml")
    assert code == 0 and Path(got["responses"]["path"]).name == "export.csv"
    assert "not used: " in out and "junk.csv" in out and "not a text" in out and "misc.csv" in out
    with pytest.raises(NpsdiagError, match="not a text"):
        propose([tmp_path / "junk.csv"])


def test_excel_workbook_with_two_sheets_and_title_rows(tmp_path):
    path = tmp_path / "book.xlsx"
    resp = nps_export(120).assign(**{"Account": lambda f: [f"A{i % 30}" for i in range(len(f))]})
    acc = pd.DataFrame({"Account": [f"A{i}" for i in range(30)], "Churned": ["yes", "no", "no"] * 10,
                        "ARR": np.arange(30) * 1000 + 500, "Industry": ["Retail", "Banking"] * 15})
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame([["Client NPS export"], ["run 2024-06-01"]]).to_excel(xw, sheet_name="NPS", index=False,
                                                                            header=False)
        resp.to_excel(xw, sheet_name="NPS", index=False, startrow=3)
        acc.to_excel(xw, sheet_name="CRM", index=False)
    code, out, got = run_init([path], tmp_path / "c.yml")
    assert code == 0, out
    assert got["responses"]["sheet"] == "NPS" and got["accounts"]["sheet"] == "CRM"
    assert got["accounts"]["columns"]["churned"] == "Churned" and got["responses"]["columns"]["account_id"] == \
        "Account"
    assert len(load(tmp_path / "c.yml").accounts) == 30


def test_hostile_column_names_round_trip_through_yaml(tmp_path):
    names = {"score": 'How likely: "recommend" #1?', "date": "When\\submitted ' it", "seg": "Région: {a}, [b]"}
    rng = np.random.default_rng(5)
    pd.DataFrame({names["score"]: rng.integers(0, 11, 60),
                  names["date"]: pd.date_range("2024-01-01", periods=60).strftime("%Y-%m-%d"),
                  names["seg"]: rng.choice(["x", "y"], 60)}).to_csv(tmp_path / "e.csv", index=False)
    code, out, got = run_init([tmp_path / "e.csv"], tmp_path / "c.yml", client='Zed "&" Co\\ #1')
    assert code == 0, out
    assert got["client"] == 'Zed "&" Co\\ #1'
    assert got["responses"]["columns"]["score"] == names["score"]
    assert got["responses"]["columns"]["responded_at"] == names["date"]
    cfg, problems = read_config(tmp_path / "c.yml")
    assert cfg is not None and not [p for p in problems if p.fatal]


def test_profile_columns_kinds():
    f = pd.DataFrame({"id": [f"x{i}" for i in range(40)], "when": ["2024-01-02 10:00"] * 40,
                      "mail": [f"a{i}@b.co" for i in range(40)], "n": [str(i % 11) for i in range(40)],
                      "sat": ["Very satisfied", "Dissatisfied", "Neutral", "Satisfied"] * 10,
                      "why": comments(np.random.default_rng(1), 40, blank=0), "flag": ["yes", "no"] * 20,
                      "blank": [None] * 40, "same": ["because the product keeps crashing on login"] * 40})
    kinds = {p.name: p.kind for p in profile_columns(f)}
    assert kinds == {"id": "id", "when": "date", "mail": "email", "n": "number", "sat": "labels", "why": "text",
                     "flag": "bool", "blank": "empty", "same": "category"}  # one sentence repeated is no free text


def test_large_tables_are_profiled_on_a_sample_without_losing_ids(tmp_path, monkeypatch):
    import npsdiag.init.profile as init_mod

    monkeypatch.setattr(init_mod, "SAMPLE_ROWS", 100)  # as a 1M-row export against the default 20,000
    nps_export(300).to_csv(tmp_path / "export.csv", index=False)
    code, out, got = run_init([tmp_path / "export.csv"], tmp_path / "c.yml")
    assert code == 0 and got["responses"]["columns"]["response_id"] == "Response Id"
    assert "(300 of 300 rows filled)" in (tmp_path / "c.yml").read_text()  # counts shown for the whole table


@pytest.mark.parametrize(("path", "name"), [("acme_corp/nps_export_2025.csv", "Acme Corp"),
                                            ("exports/Northwind_NPS.csv", "Northwind"),
                                            ("exports/responses.csv", "Client"),
                                            # what was done to the file, or when, names no client (issue 19)
                                            ("exports/20180908_post_clean.csv", "Client"),
                                            ("carpentries/longterm_October2017.csv", "Carpentries")])
def test_client_name_from_file_then_folder(tmp_path, path, name):
    from npsdiag.init import client_name as _client_name

    # a generic file name ("responses.csv") falls back to the folder, a generic folder to "Client" (marked CHECK)
    assert _client_name(tmp_path / path) == name


# --------------------------------------------------------------------------- real exports nobody planned for (issue 19)
# Synthetic exports shaped like the real ones of issue 19: a training provider's post-event survey written by R,
# a flat B2B account export with two NPS waves, product-line revenue and churn.


def post_event_export(n: int = 1560, seed: int = 7) -> pd.DataFrame:
    """A training provider's post-event survey as R's write.csv leaves it: no dates, 'NA' for no answer."""
    rng = np.random.default_rng(seed)
    courses = ["Leadership Essentials", "Project Management Foundations", "Negotiation Skills", "Data Literacy",
               "Coaching for Managers", "Presentation Skills", "Agile Practitioner", "Finance for Non-Finance",
               "Customer Service Excellence", "Time Management", "Change Management", "Report Writing",
               "Conflict Resolution"]
    cities = ["Leeds", "Manchester", "London", "Bristol", "Glasgow", "Cardiff"]
    events = [f"{c} - {city} ({d} {m} 2023)" for c, city, d, m in zip(
        np.repeat(courses, 6), cities * 13, rng.integers(1, 28, 78), rng.choice(["Mar", "Apr", "May"], 78))]
    score = rng.choice(11, n, p=[.02, .01, .02, .03, .04, .08, .1, .15, .2, .17, .18]).astype(object)
    score[rng.random(n) < 0.03] = "NA"
    why = np.array(comments(rng, n, blank=0), dtype=object)
    why[rng.random(n) < 0.37] = "NA"
    return pd.DataFrame({
        "Event": rng.choice(events, n),
        "Survey Mode": rng.choice(["Online form emailed after the course", "Paper form completed on the day"], n),
        "How likely are you to recommend this course to a colleague?": score,
        "Trainer Feedback": rng.choice(["The trainer met my expectations", "The trainer exceeded my expectations",
                                        "The trainer did not meet my expectations"], n),
        "Course content": rng.choice(["Excellent", "Good", "Fair", "Poor"], n),
        "Please tell us why you gave this score": why,
        "Contact about my Feedback": np.where(rng.random(n) < 0.2,
                                              "Yes, I am happy to be contacted about my feedback", ""),
    })


def test_post_event_export_ratings_checkbox_na_events_and_no_date(tmp_path):
    f = post_event_export()
    f.to_csv(tmp_path / "post_event.csv", index=False)
    code, out, got = run_init([tmp_path / "post_event.csv"], tmp_path / "c.yml")
    r = got["responses"]
    text = (tmp_path / "c.yml").read_text(encoding="utf-8")
    # the comment is the free text, not the 3-value rating named "Feedback" nor the one-value checkbox
    assert r["columns"]["comment"] == "Please tell us why you gave this score"
    # R's NA is missing: the comment is filled on the rows that are not NA (counted independently here)
    filled = int((f["Please tell us why you gave this score"] != "NA").sum())
    assert f"{filled:,} of 1,560 rows filled, 'NA' on {1560 - filled:,} counted as missing" in text
    # categories are segments (78 one-off events, the survey mode); attitude ratings and the checkbox are not
    assert r["segments"] == ["Event", "Survey Mode"]
    assert "Trainer Feedback (answers of a rating" in text and "Course content (answers of a rating" in text
    assert "Contact about my Feedback (one value" in text and "a ticked box" in text
    # no date column: no date is invented (the file's date is not the survey's); the consultant is asked for it
    assert r["survey_date"] == "YYYY-MM-DD" and "# CHECK: the export has no response dates" in text
    assert code == 1 and "First write the date the survey ran" in out
    assert "Once `survey_date` is set, it loads: 1,560 response rows read" in out
    n_na = int((f["How likely are you to recommend this course to a colleague?"] == "NA").sum())
    assert f"excluded {n_na}: score missing" in out  # 'NA' scores are missing answers
    # validate says the date is still to be given, and, once given but not confirmed, that it is a placeholder
    buf = io.StringIO()
    assert validate(tmp_path / "c.yml", out=buf) == 1 and "survey_date 'YYYY-MM-DD' is not a date" in buf.getvalue()
    set_survey_date(tmp_path / "c.yml", "2023-05-31")
    buf = io.StringIO()
    assert validate(tmp_path / "c.yml", out=buf) == 0
    assert "CHECK: survey_date 2023-05-31 (line" in buf.getvalue() and "is not read from the data" in buf.getvalue()
    assert "still marked CHECK" in buf.getvalue()


def flat_b2b_export(n: int = 1200, seed: int = 11, total: str | None = None) -> pd.DataFrame:
    """A flat B2B account export: two NPS waves (blank where an account was not surveyed), user counts, a
    seniority status, six product-line revenue columns (and, optionally, their total), churn."""
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({"Account ID": [f"ACC-{i:05d}" for i in range(n)], "Company": [f"Company {i}" for i in range(n)],
                      "Industry": rng.choice(["Retail", "Banking", "Health", "Public sector"], n),
                      "Contact Seniority STATUS": rng.choice(["Senior", "Mid-level", "Junior"], n),
                      "Users": rng.choice(np.arange(1, 8), n, p=[.35, .25, .15, .1, .07, .05, .03])})
    lines = ["Analytics", "Storage", "Security", "Support", "Training", "Consulting"]
    for i, ln in enumerate(lines):
        f[f"Revenue {ln}"] = rng.integers(0, 10_000 * (i + 1), n)
    if total is not None:
        f.insert(5, total, f[[f"Revenue {ln}" for ln in lines]].sum(axis=1))
    for wave, blank in (("NPS 2022", 0.75), ("NPS 2023", 0.7)):
        s = rng.integers(0, 11, n).astype(object)
        s[rng.random(n) < blank] = "NA"
        f[wave] = s
    f["Churned"] = rng.choice(["Yes", "No"], n, p=[.06, .94])
    return f


def test_flat_b2b_export_waves_counts_status_and_revenue(tmp_path):
    f = flat_b2b_export()
    f.to_csv(tmp_path / "accounts.csv", index=False)
    code, out, got = run_init([tmp_path / "accounts.csv"], tmp_path / "c.yml")
    r, a = got["responses"], got["accounts"]
    text = (tmp_path / "c.yml").read_text(encoding="utf-8")
    # next year's NPS is no driver of this year's: the latest wave is the score, the other is named as a wave
    assert r["columns"]["score"] == "NPS 2023" and not r.get("drivers")
    assert "NPS 2022 (the same question in another wave (not a driver)" in text
    assert "one score column per wave (NPS 2022, NPS 2023)" in out and "melt" in out
    # user counts 1-7 are not a rating (neither score, nor driver, nor settings for a 1-7 scale)
    assert "Users" not in text.split("# not used")[0] and "settings" not in got
    # a seniority status is the respondent's role, not an outcome leak
    assert r["columns"]["role"] == "Contact Seniority STATUS" and a["columns"]["churned"] == "Churned"
    assert "Seniority STATUS (an outcome" not in text and "Seniority STATUS (another outcome" not in text
    # one of six product-line revenue columns, none a total: says which and why (the largest, by its sum)
    sums = f[[c for c in f if c.startswith("Revenue")]].sum()
    assert a["columns"]["revenue"] == sums.idxmax() == "Revenue Consulting"
    assert "one of 6 revenue columns" in text and f"the largest ({sums.max() / sums.sum():.0%} of their sum" in text
    assert "add a total column" in text and "# CHECK low" in text.split("revenue:")[1].splitlines()[0]

    # the reshape lines written in the config work: one row per account and wave, then init on the new file
    code_lines = [ln.split("# ", 1)[1] for ln in text.splitlines()
                  if ln.startswith("  # ") and ("pd" in ln or "wide" in ln or "waves" in ln or "long[" in ln)]
    script = "\n".join(code_lines).replace('"NPS 2022": "YYYY-MM-DD"', '"NPS 2022": "2022-06-30"').replace(
        '"NPS 2023": "YYYY-MM-DD"', '"NPS 2023": "2023-06-30"')
    import os
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        exec(compile(script, "reshape", "exec"), {})  # noqa: S102 - the lines init wrote, run as a consultant would
    finally:
        os.chdir(cwd)
    long = pd.read_csv(tmp_path / "accounts_by_wave.csv")
    n_scores = int((f["NPS 2022"] != "NA").sum() + (f["NPS 2023"] != "NA").sum())
    assert len(long) == n_scores and set(long["Wave"]) == {"NPS 2022", "NPS 2023"}
    code, out, got = run_init([tmp_path / "accounts_by_wave.csv"], tmp_path / "long.yml")
    assert code == 0, out
    assert got["responses"]["columns"]["score"] == "Score" and got["responses"]["columns"]["responded_at"] == \
        "Survey date" and "Wave" in got["responses"]["segments"]


@pytest.mark.parametrize("total", ["Total Revenue", "Revenue (all lines)", "Contract amount"])
def test_a_total_over_revenue_columns_is_preferred(tmp_path, total):
    flat_b2b_export(400, total=total).to_csv(tmp_path / "accounts.csv", index=False)
    _, _, got = run_init([tmp_path / "accounts.csv"], tmp_path / "c.yml")
    text = (tmp_path / "c.yml").read_text(encoding="utf-8")
    if total == "Contract amount":  # not named revenue: the six lines only, none a total -> the largest, said so
        assert got["accounts"]["columns"]["revenue"] == "Revenue Consulting" and "none is their total" in text
    else:
        assert got["accounts"]["columns"]["revenue"] == total and "the total of the 7 revenue columns" in text


def test_revenue_total_not_named_so_is_found_by_its_sums(tmp_path):
    f = flat_b2b_export(400)
    f.insert(5, "Revenue Group", f[[c for c in f if c.startswith("Revenue ")]].sum(axis=1))
    f.to_csv(tmp_path / "accounts.csv", index=False)
    _, _, got = run_init([tmp_path / "accounts.csv"], tmp_path / "c.yml")
    assert got["accounts"]["columns"]["revenue"] == "Revenue Group"
    assert "equals the sum of the others row by row" in (tmp_path / "c.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("names", "latest"), [
    (["NPS 2021", "NPS 2022", "NPS 2023"], "NPS 2023"),
    (["Q3 2023 NPS", "Q4 2023 NPS", "Q1 2024 NPS"], "Q1 2024 NPS"),
    (["Likelihood to recommend (previous year)", "Likelihood to recommend"], "Likelihood to recommend"),
    (["LTR wave 1", "LTR wave 2"], "LTR wave 2"),
])
def test_one_score_column_per_wave_the_latest_is_the_score(tmp_path, names, latest):
    rng = np.random.default_rng(6)
    n = 200
    f = pd.DataFrame({"Customer": [f"C{i}" for i in range(n)], "Ease of use": rng.integers(0, 11, n),
                      **{c: rng.integers(0, 11, n) for c in names}})
    f.to_csv(tmp_path / "e.csv", index=False)
    _, out, got = run_init([tmp_path / "e.csv"], tmp_path / "c.yml")
    assert got["responses"]["columns"]["score"] == latest
    assert got["responses"].get("drivers") == ["Ease of use"]  # a real driver stays one
    assert f"one score column per wave ({', '.join(names if latest == names[-1] else names[::-1])})" in out


def test_status_is_an_outcome_only_with_churn_values(tmp_path):
    rng = np.random.default_rng(8)
    n = 300
    pd.DataFrame({"Account": [f"A{i}" for i in range(n)], "NPS": rng.integers(0, 11, n),
                  "Date": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
                  "Employment Status": rng.choice(["Full time", "Part time", "Contractor"], n),
                  "Account Status": rng.choice(["Active", "Churned"], n)}).to_csv(tmp_path / "e.csv", index=False)
    _, _, got = run_init([tmp_path / "e.csv"], tmp_path / "c.yml")
    assert got["accounts"]["columns"]["churned"] == "Account Status"  # Active / Churned: read as a flag
    assert "Employment Status" in got["responses"]["segments"]  # not dropped as an outcome leak
    assert "Account Status" not in got["responses"].get("segments", [])


SHEET = "x\nsettings\n- redact_pii false\n#"  # Excel forbids ':' in a sheet name, not line breaks


def test_yaml_injection_through_file_and_sheet_names_is_quoted(tmp_path):
    evil = 'x\nsettings:\n  redact_pii: false\n"y'
    folder = tmp_path / "in"
    folder.mkdir()
    csv = folder / f"{evil}.csv"
    nps_export(60).to_csv(csv, index=False)
    book = folder / "book.xlsx"
    with pd.ExcelWriter(book) as xw:
        nps_export(60).to_excel(xw, sheet_name=SHEET, index=False)
        pd.DataFrame({"Notes": ["a", "b"]}).to_excel(xw, sheet_name="Other", index=False)
    for exports, name in (([csv], "a.yml"), ([book], "b\nsettings:\n  redact_pii: false\n.yml")):
        target = tmp_path / name
        code, out, got = run_init(exports, target)
        assert code == 0, out
        assert "settings" not in got  # no live settings block came in through a name
        assert load_config(target).settings.redact_pii is True
        for line in target.read_text(encoding="utf-8").splitlines():
            assert line.startswith(("#", " ", "client:", "responses:", "contacts:", "accounts:", "invitations:"))
    assert got["responses"]["sheet"] == SHEET  # the name itself round-trips, quoted


# ------------------------------------------------------------- issue 19, class 8: the real exports' mistakes
def test_a_second_recommend_question_is_never_a_driver(tmp_path):
    rng = np.random.default_rng(8)
    n = 120
    agree = ["Strongly Disagree", "Disagree", "Neither Agree nor Disagree", "Agree", "Strongly Agree"]
    pd.DataFrame({"LikelyToRecommend": rng.integers(0, 11, n),
                  "Recommend": rng.choice(agree, n),  # "I would recommend this training": a score candidate
                  "Worth": rng.choice(agree, n)}).to_csv(tmp_path / "e.csv", index=False)
    code, out, got = run_init([tmp_path / "e.csv"], tmp_path / "c.yml")
    assert got["responses"]["columns"]["score"] == "LikelyToRecommend"
    assert got["responses"]["drivers"] == ["Worth"]
    text = (tmp_path / "c.yml").read_text(encoding="utf-8")
    assert "Recommend (another score candidate" in text


def test_numbers_mixed_with_a_value_that_is_no_number_are_a_category(tmp_path):
    rng = np.random.default_rng(9)
    n = 200
    pd.DataFrame({"Likely-To-Recommend": rng.integers(0, 11, n),
                  "How-Many-Workshops": rng.choice(["1", "1", "1", "2", "3+"], n),  # a count in bins
                  "Country": rng.choice(["USA", "UK", "Canada"], n)}).to_csv(tmp_path / "e.csv", index=False)
    prof = {p.name: p for p in profile_columns(pd.read_csv(tmp_path / "e.csv", dtype=str))}
    assert prof["How-Many-Workshops"].kind == "category"
    code, out, got = run_init([tmp_path / "e.csv"], tmp_path / "c.yml")
    assert "How-Many-Workshops" not in (got["responses"].get("drivers") or [])
    assert "How-Many-Workshops" in got["responses"]["segments"]
    assert "1-5 rating" not in (tmp_path / "c.yml").read_text(encoding="utf-8")


def test_a_1_to_3_column_is_no_1_to_5_rating(tmp_path):
    rng = np.random.default_rng(10)
    n = 120
    pd.DataFrame({"nps": rng.integers(0, 11, n),
                  "satisfaction_session_length": rng.choice([1, 2, 3], n),  # too short / about right / too long
                  "satisfaction_interaction": rng.integers(1, 6, n)}).to_csv(tmp_path / "e.csv", index=False)
    code, out, got = run_init([tmp_path / "e.csv"], tmp_path / "c.yml")
    assert got["responses"]["drivers"] == ["satisfaction_interaction"]
    text = (tmp_path / "c.yml").read_text(encoding="utf-8")
    assert "1-3 (a 1-5 rating)" not in text and "1-5 (a 1-5 rating)" in text


@pytest.mark.parametrize("name", ["Column52", "CompleteTrainingOther", "Other (please specify)"])
def test_a_sparse_other_box_is_not_the_comment(tmp_path, name):
    rng = np.random.default_rng(11)
    n = 480
    box = ["" for _ in range(n)]
    for i in range(0, n, 15):  # 32 of 480 rows: an "other (please specify)" answer
        box[i] = f"Became an instructor trainer in {2010 + i % 9} and taught {i} learners at our site"
    pd.DataFrame({"Likely-To-Recommend": rng.integers(0, 11, n), name: box}).to_csv(tmp_path / "e.csv", index=False)
    code, out, got = run_init([tmp_path / "e.csv"], tmp_path / "c.yml")
    assert "comment" not in got["responses"]["columns"]
    assert "no comment column" in out and "(low)" in (tmp_path / "c.yml").read_text(encoding="utf-8")
    named = pd.DataFrame({"Likely-To-Recommend": rng.integers(0, 11, n), "Why did you give this score?": box})
    named.to_csv(tmp_path / "w.csv", index=False)  # named as a why-question: the comment, however sparse
    code, out, got = run_init([tmp_path / "w.csv"], tmp_path / "w.yml")
    assert got["responses"]["columns"]["comment"] == "Why did you give this score?"


def test_numbered_ratings_named_after_a_grouping_are_no_segments(tmp_path):
    rng = np.random.default_rng(12)
    n = 124
    talks = [f"Talk number {i} on teaching online and community building" for i in range(35)]
    frame = pd.DataFrame({"nps": rng.integers(0, 11, n), "session": [talks[i % 35] for i in range(n)],
                          "store": rng.integers(1, 6, n)})  # a store numbered 1-5 is a grouping
    for what in ("build_community", "materials", "membership"):
        frame[f"session_{what}"] = rng.integers(1, 7, n)  # 1-6 agreement with the session's ...
    frame.to_csv(tmp_path / "e.csv", index=False)
    code, out, got = run_init([tmp_path / "e.csv"], tmp_path / "c.yml")
    segs = got["responses"]["segments"]
    assert "session" in segs and "store" in segs
    assert not any(s.startswith("session_") for s in segs)
    assert "answers of a rating, not a segment" in (tmp_path / "c.yml").read_text(encoding="utf-8")


def test_a_client_name_guessed_from_the_file_says_so_on_its_check_line(tmp_path):
    nps_export(60).to_csv(tmp_path / "20180908_post_clean.csv", index=False)
    code, out, got = run_init([tmp_path / "20180908_post_clean.csv"], tmp_path / "c.yml")
    line = next(ln for ln in (tmp_path / "c.yml").read_text(encoding="utf-8").splitlines() if ln.startswith("client:"))
    assert "Post Clean" not in line and "CHECK: guessed from the file name '20180908_post_clean.csv'" in line
    code, out, got = run_init([tmp_path / "20180908_post_clean.csv"], tmp_path / "d.yml", client="Acme")
    assert got["client"] == "Acme"
