"""Reading exports: formats, encodings, delimiters, labels, dates, and clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from npsdiag.clean import prepare
from npsdiag.config import load_config
from npsdiag.errors import NpsdiagError
from npsdiag.io import detect_dayfirst, from_frames, load, parse_dates, parse_numbers, parse_scores

CFG = """client: T
responses:
  path: {path}
  columns: {{score: {score}, responded_at: {date}}}
{extra}"""


def cfg(tmp: Path, path: str, score="Score", date="Date", extra="") -> Path:
    p = tmp / "c.yml"
    p.write_text(CFG.format(path=path, score=f'"{score}"', date=f'"{date}"', extra=extra), encoding="utf-8")
    return p


def test_semicolon_cp1252_decimal_comma(tmp_path):
    text = "Score;Date;Région;ARR\n9;05/03/2024;Île-de-France;1.234,50\n3;17/03/2024;Genève;99,9\n"
    (tmp_path / "r.csv").write_bytes(text.encode("cp1252"))
    d = load(cfg(tmp_path, "r.csv", extra="  segments: [Région]\n"))
    r = d.responses
    assert r["score"].tolist() == [9.0, 3.0]
    assert r["Région"].tolist() == ["Île-de-France", "Genève"]
    assert r["responded_at"].tolist() == [pd.Timestamp("2024-03-05"), pd.Timestamp("2024-03-17")]  # day-first seen
    assert r["_row"].tolist() == [2, 3]
    assert parse_numbers(pd.Series(["1.234,50", "99,9"])).tolist() == [1234.5, 99.9]
    assert parse_numbers(pd.Series(["$1,234.50", "12"])).tolist() == [1234.5, 12.0]


def test_utf8_bom_and_label_scores(tmp_path):
    text = ("\ufeffScore,Date\n10 - Extremely likely,2024-01-02\n0 - Not at all likely,2024-01-03\n"
            "N/A,2024-01-04\nten,2024-01-05\n")
    (tmp_path / "r.csv").write_text(text, encoding="utf-8")
    d = load(cfg(tmp_path, "r.csv"))
    s = d.responses["score"]
    assert s.iloc[0] == 10 and s.iloc[1] == 0 and s.iloc[2:].isna().all()
    p = prepare(d)
    assert dict(p.excluded_counts) == {"missing_score": 1, "invalid_score": 1}


def test_parse_scores_marks_text_but_not_missing_words():
    score, invalid = parse_scores(pd.Series(["7", " 8 ", "N/A", "great", None, "9.0", "6,5"]), decimal=",")
    assert score.tolist()[:2] == [7.0, 8.0] and score.iloc[5] == 9.0 and score.iloc[6] == 6.5
    assert invalid.tolist() == [False, False, False, True, False, False, False]


def test_dayfirst_detection_and_ambiguity():
    assert detect_dayfirst(pd.Series(["13/01/2024", "02/03/2024"]))[0] is True
    assert detect_dayfirst(pd.Series(["01/13/2024", "02/03/2024"]))[0] is False
    df, why = detect_dayfirst(pd.Series(["01/02/2024", "03/04/2024"]))
    assert df is None and "either way" in why
    dates, bad, note = parse_dates(pd.Series(["01/02/2024", "03/04/2024"]))
    assert note and "dayfirst" in note
    dates, bad, note = parse_dates(pd.Series(["01/02/2024", "nonsense"]), dayfirst=True)
    assert dates.iloc[0] == pd.Timestamp("2024-02-01") and bad.tolist() == [False, True] and note is None


def test_excel_with_title_rows_and_sheet(tmp_path):
    path = tmp_path / "r.xlsx"
    body = pd.DataFrame({"Score": [9, 2], "Date": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"x": [1]}).to_excel(xw, sheet_name="Other", index=False)
        pd.DataFrame([["Acme NPS export"], ["generated 2024-02-01"]]).to_excel(
            xw, sheet_name="Responses", index=False, header=False)
        body.to_excel(xw, sheet_name="Responses", index=False, startrow=3)
    d = load(cfg(tmp_path, "r.xlsx", extra="  sheet: Responses\n"))
    assert d.responses["score"].tolist() == [9.0, 2.0]
    assert d.responses["responded_at"].iloc[1] == pd.Timestamp("2024-01-02")
    with pytest.raises(NpsdiagError, match="(?s)sheet 'Respones' not found.*did you mean 'Responses'"):
        load(cfg(tmp_path, "r.xlsx", extra="  sheet: Respones\n"))


def test_parquet(tmp_path):
    pd.DataFrame({"Score": [9, 2], "Date": pd.to_datetime(["2024-01-01", "2024-01-02"])}).to_parquet(
        tmp_path / "r.parquet")
    assert load(cfg(tmp_path, "r.parquet")).responses["score"].tolist() == [9.0, 2.0]


def test_qualtrics_three_header_rows(shared_data, tmp_path):
    src = shared_data / "formats" / "qualtrics" / "Beskar_Armor_api_export_useLabels.csv"
    d = load(cfg(tmp_path, str(src), score="Progress", date="RecordedDate"))
    assert d.sources["responses"]["format"] == "qualtrics"
    assert len(d.responses) == 44  # the 44 records, not the two extra header rows
    assert d.responses["responded_at"].notna().all()


def test_surveymonkey_two_header_rows(shared_data, tmp_path):
    src = shared_data / "formats" / "surveymonkey" / "test-responses.csv"
    text = src.read_text(encoding="utf-8").splitlines()[0]
    assert text.startswith("Respondent ID")
    d = load(cfg(tmp_path, str(src), score="Collector ID", date="Start Date"))
    assert d.sources["responses"]["format"] == "surveymonkey"
    assert len(d.responses) == 16
    # US dates with AM/PM: 07/31/2023 04:21:36 PM
    assert (d.responses["responded_at"].dt.month == 7).any()


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"\x00\x01\x02\x03binary\x00junk", "not a text"),
    (b"Score,Date\n", "no rows"),
])
def test_unreadable_files_raise_clear_errors(tmp_path, content, message):
    (tmp_path / "r.csv").write_bytes(content)
    with pytest.raises(NpsdiagError, match=message) as exc:
        load(cfg(tmp_path, "r.csv"))
    assert "r.csv" in exc.value.message


def test_missing_column_suggests_and_names_file(tmp_path):
    (tmp_path / "r.csv").write_text("Score,Date,Region\n9,2024-01-01,EU\n")
    with pytest.raises(NpsdiagError) as exc:
        load(cfg(tmp_path, "r.csv", extra="  segments: [Regoin]\n"))
    msg = exc.value.message
    assert "column 'Regoin' not found" in msg and "did you mean 'Region'" in msg and "r.csv" in msg


def test_case_insensitive_column_match_and_duplicated_names(tmp_path):
    (tmp_path / "r.csv").write_text("score ,Date,Date\n9,2024-01-01,x\n")
    d = load(cfg(tmp_path, "r.csv", score="Score"))
    assert d.responses["score"].tolist() == [9.0]
    assert any("duplicated column names" in p.message for p in d.problems)


def test_all_scores_empty_is_fatal(tmp_path):
    (tmp_path / "r.csv").write_text("Score,Date\n,2024-01-01\n,2024-01-02\n")
    with pytest.raises(NpsdiagError, match="empty in every row"):
        load(cfg(tmp_path, "r.csv"))


def test_flat_export_accounts_taken_once(tmp_path):
    pd.DataFrame({"Score": [9, 3, 10], "Date": ["2024-01-01"] * 3, "Acct": ["A", "A", "B"],
                  "Churned": ["no", "no", "yes"], "ARR": [100, 100, 50]}).to_csv(tmp_path / "flat.csv", index=False)
    p = cfg(tmp_path, "flat.csv")
    p.write_text(p.read_text().replace("responded_at: \"Date\"}", "responded_at: \"Date\", account_id: Acct}")
                 + "accounts:\n  path: flat.csv\n  columns: {account_id: Acct, churned: Churned, revenue: ARR}\n")
    d = load(load_config(p))
    assert len(d.accounts) == 2
    assert d.accounts.set_index("account_id")["churned"].to_dict() == {"A": False, "B": True}


def test_from_frames_and_prepare_exclusions():
    r = pd.DataFrame({
        "score": [10, 9, 0, 12, np.nan, 8, 7, 7],
        "responded_at": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2099-01-01",
                         "2024-03-01", "2024-03-10"],
        "respondent_id": ["a", "b", "c", "d", "e", "f", "g", "g"],
        "response_id": ["1", "2", "2", "4", "5", "6", "7", "8"],
    })
    p = prepare(from_frames(r), now=pd.Timestamp("2025-01-01"))
    # row 3 duplicates response id 2; row 4 out of range; row 5 missing; row 6 future; row 8 repeat of g in 9 days
    assert dict(p.excluded_counts) == {"missing_score": 1, "out_of_range": 1, "future_date": 1, "duplicate": 1,
                                       "repeat_respondent": 1}
    assert p.responses["respondent_id"].tolist() == ["a", "b", "g"]
    assert p.lineage["rows"].iloc[0] == 8 and p.lineage["rows"].iloc[-1] == 3


def test_score_column_with_no_numbers_is_fatal_with_example(tmp_path):
    (tmp_path / "r.csv").write_text("Score,Date\nVery satisfied,2024-01-01\nSatisfied,2024-01-02\n")
    with pytest.raises(NpsdiagError, match="(?s)no value.*is a number.*Very satisfied"):
        load(cfg(tmp_path, "r.csv"))
