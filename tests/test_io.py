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
    p = prepare(from_frames(r), as_of=pd.Timestamp("2025-01-01"))
    # row 3 duplicates response id 2; row 4 out of range; row 5 missing; row 6 future; row 8 repeat of g in 9 days
    assert dict(p.excluded_counts) == {"missing_score": 1, "out_of_range": 1, "future_date": 1, "duplicate": 1,
                                       "repeat_respondent": 1}
    assert p.responses["respondent_id"].tolist() == ["a", "b", "g"]
    assert p.lineage["rows"].iloc[0] == 8 and p.lineage["rows"].iloc[-1] == 3


def test_score_column_with_no_numbers_is_fatal_with_example(tmp_path):
    (tmp_path / "r.csv").write_text("Score,Date\nVery satisfied,2024-01-01\nSatisfied,2024-01-02\n")
    with pytest.raises(NpsdiagError, match="(?s)no value.*is a number.*Very satisfied"):
        load(cfg(tmp_path, "r.csv"))


# --------------------------------------------------------------------------- the fast reader (pyarrow)


def _careful(spec, problems):
    """The pandas-only reader the fast one must agree with."""
    from npsdiag.io.csvfile import read_csv_text
    from npsdiag.io.header import apply_header
    from npsdiag.io.sniff import csv_dialect

    enc, delim = csv_dialect(spec.path, spec)
    raw = read_csv_text(spec.path, spec, problems, enc, delim)
    if spec.format in ("qualtrics", "surveymonkey"):
        raw.format = spec.format
    return apply_header(raw, spec, problems)


def _body(n: int, delim: str = ",") -> list[str]:
    notes = ['"Slow, then ""fine""\nreally"', "", "plain", '""', "  spaced  ", "Île-de-France"]
    return [delim.join([str(i % 11), f"2024-01-{i % 28 + 1:02d} 10:{i % 60:02d}", notes[i % len(notes)]])
            for i in range(n)]


FAST_FILES = {
    "quoted line breaks and doubled quotes": ("Score,Date,Why\n" + "\n".join(_body(40)) + "\n").encode(),
    "BOM, CRLF and blank lines": ("\ufeffScore,Date,Why\r\n" + "\r\n".join(_body(20)) + "\r\n\r\n"
                                  + "\r\n".join(_body(20)) + "\r\n").encode(),
    "title row padded to the width": ("Survey export,,\n,,\nScore,Date,Why\n" + "\n".join(_body(40))).encode(),
    "duplicated and blank names": ("Score,Date,Score,,Why\n" + "\n".join(r + ",x,y" for r in _body(40))).encode(),
    "cp1252 with semicolons": ("Score;Date;Why\n" + "\n".join(_body(40, ";")) + "\n").encode("cp1252"),
    "qualtrics": ('Score,Date,Why\n"How likely?",Date,Why\n{"ImportId":"QID1"},{"ImportId":"d"},{"ImportId":"w"}\n'
                  + "\n".join(_body(40)) + "\n").encode(),
}


@pytest.mark.parametrize("name", list(FAST_FILES))
def test_fast_reader_gives_what_the_careful_reader_gives(tmp_path, name):
    from npsdiag.io import read_raw

    (tmp_path / "r.csv").write_bytes(FAST_FILES[name])
    spec = load_config(cfg(tmp_path, "r.csv")).responses
    fast_problems, careful_problems = [], []
    fast = read_raw(spec, fast_problems)
    careful = _careful(spec, careful_problems)
    assert fast.columns is not None  # read by pyarrow, not by the fallback
    pd.testing.assert_frame_equal(fast.frame, careful.frame)
    assert (fast.format, fast.header_lines, fast.notes, fast.labels, fast.encoding, fast.delimiter) == \
        (careful.format, careful.header_lines, careful.notes, careful.labels, careful.encoding, careful.delimiter)
    assert [str(p) for p in fast_problems] == [str(p) for p in careful_problems]


def test_fast_reader_reads_only_the_mapped_columns_but_names_them_all(tmp_path):
    from npsdiag.io import read_raw

    (tmp_path / "r.csv").write_text("Score,Date,Why,Region\n" + "\n".join(r + ",EU" for r in _body(40)) + "\n")
    spec = load_config(cfg(tmp_path, "r.csv")).responses
    raw = read_raw(spec, [], columns=["score", "Date"])  # matched as config names are (case, spaces)
    assert list(raw.frame.columns) == ["Score", "Date", "_row"]
    assert raw.columns == ["Score", "Date", "Why", "Region"]
    assert raw.frame["_row"].tolist() == list(range(2, 42))
    with pytest.raises(NpsdiagError) as exc:  # a missing column's message still lists the unread ones
        load(cfg(tmp_path, "r.csv", extra="  segments: [Regoin]\n"))
    assert "did you mean 'Region'" in exc.value.message


def test_ragged_or_unclosed_files_still_get_the_careful_messages(tmp_path):
    lines = ["Score,Date"] + [f"{i % 11},2024-01-{i % 28 + 1:02d}" for i in range(40)]
    lines[35] += ",extra"
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    d = load(cfg(tmp_path, "r.csv"))
    bad = [p for p in d.problems if "more fields than the header" in p.message]
    assert bad and bad[0].rows == [36]  # the line number in the file
    assert len(d.responses) == 39
    (tmp_path / "r.csv").write_text("\n".join(lines[:35]) + '\n9,"2024-01-01\n' + "\n".join(lines[36:]) + "\n")
    with pytest.raises(NpsdiagError, match="never closed"):
        load(cfg(tmp_path, "r.csv"))


def test_parquet_reads_the_mapped_columns(tmp_path):
    from npsdiag.io import read_raw

    pd.DataFrame({"Score": [9, 2], "Date": pd.to_datetime(["2024-01-01", "2024-01-02"]), "Other": ["a", "b"]}
                 ).to_parquet(tmp_path / "r.parquet")
    spec = load_config(cfg(tmp_path, "r.parquet")).responses
    raw = read_raw(spec, [], columns=["Score", "Date"])
    assert list(raw.frame.columns) == ["Score", "Date", "_row"] and raw.columns == ["Score", "Date", "Other"]


def test_iso_dates_read_at_once_match_pandas_and_bad_ones_are_unreadable():
    rng = np.random.default_rng(3)
    stamps = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 3 * 10**7, 300), unit="s")
    text = list(stamps.strftime("%Y-%m-%d %H:%M"))
    text[5] = "2023-02-30 10:00"  # no such day: pandas' strict format parse gives NaT too
    text[7] = "2023-03-04T05:06"  # ISO with 'T': read as the same instant
    text[9] = "N/A"
    dates, unreadable, note = parse_dates(pd.Series(text, dtype="str"))
    expected = pd.to_datetime(pd.Series(text), format="%Y-%m-%d %H:%M", errors="coerce")  # reference
    keep = [i for i in range(300) if i not in (5, 7, 9)]
    assert (dates.iloc[keep] == expected.iloc[keep]).all()
    assert pd.isna(dates.iloc[5]) and unreadable.iloc[5]
    assert dates.iloc[7] == pd.Timestamp("2023-03-04 05:06") and not unreadable.iloc[7]
    assert pd.isna(dates.iloc[9]) and not unreadable.iloc[9]  # a missing word, not an unreadable date
    assert unreadable.sum() == 1 and note is None and dates.dtype == "datetime64[ns]"


def test_dates_with_mixed_offsets_and_local_times_do_not_raise():
    dates, unreadable, _ = parse_dates(pd.Series(["02/01/2024 10:00", "2024-01-02T10:00:00+02:00", "x"]))
    assert dates.iloc[1] == pd.Timestamp("2024-01-02 08:00")  # UTC
    assert dates.iloc[0] == pd.Timestamp("2024-02-01 10:00") and unreadable.tolist() == [False, False, True]


def test_day_first_decided_past_an_ambiguous_sample():
    # 6,000 dates: all but a few could be read either way; the 5,000-date sample is escalated to all of them
    values = [f"{d:02d}/{m:02d}/2024" for d, m in zip(np.arange(6000) % 12 + 1, np.arange(6000) // 500 % 12 + 1)]
    values[1234] = "25/12/2024"
    assert detect_dayfirst(pd.Series(values))[0] is True


def test_scores_plain_labelled_and_decimal_comma_mixed():
    values = pd.Series(["7", "10", " 3 ", "007", "6,5", "9 - Very likely", "N/A", "ten", None, "12345678901234567",
                        "-1"], dtype="str")
    score, invalid = parse_scores(values, decimal=",")
    expected = [7, 10, 3, 7, 6.5, 9, np.nan, np.nan, np.nan, 12345678901234567, -1]  # written by hand
    np.testing.assert_array_equal(score.to_numpy(), np.array(expected, dtype=float))
    assert invalid.tolist() == [False] * 7 + [True] + [False] * 3


def test_text_is_stripped_of_unicode_and_control_spaces():
    from npsdiag.io.mapping import text_values

    values = pd.Series(["\xa0x\u2003", "\x1cy", "z", "  ", None, "a b"], dtype="str")
    got = text_values(values, "c", "f", pd.DataFrame({"_row": range(6)}), [])
    assert got.tolist() == [v.strip() if isinstance(v, str) and v.strip() else pd.NA
                            for v in values.astype(object).where(values.notna(), None)]
    assert got.dtype == "string"


@pytest.mark.parametrize("ending", ['x,"open\n', 'a"b,"c\n', '9,"', '9,""\n'])
def test_a_quote_left_open_at_the_end_is_not_read_silently(tmp_path, ending):
    lines = ["Score,Date"] + [f"{i % 11},2024-01-{i % 28 + 1:02d}" for i in range(40)]
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n" + ending)
    if ending.endswith('""\n'):  # closed: an empty date
        assert len(load(cfg(tmp_path, "r.csv")).responses) == 41
    else:
        with pytest.raises(NpsdiagError, match="never closed"):
            load(cfg(tmp_path, "r.csv"))
