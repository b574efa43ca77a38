"""A corpus of bad inputs: each ends in the kit's own clear message or a non-fatal note, never a traceback.

Every case either raises :class:`NpsdiagError` whose message names the file (and the column, key or
rows) and says what to do, or loads with a non-fatal :class:`Problem` / a reliability exclusion.
"""

from __future__ import annotations

import io as _io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from npsdiag.clean import prepare
from npsdiag.cli import main
from npsdiag.errors import NpsdiagError
from npsdiag.io import MAX_TEXT_CHARS, load
from npsdiag.outputs import write_csv_safely
from npsdiag.stats.nps import categorize

BASE = """client: T
responses:
  path: {path}
  columns: {{score: {score}, responded_at: Date{more}}}
{extra}"""


def config(tmp: Path, path: str = "r.csv", score: str = "Score", more: str = "", extra: str = "") -> Path:
    p = tmp / "c.yml"
    p.write_text(BASE.format(path=path, score=f'"{score}"', more=more, extra=extra), encoding="utf-8")
    return p


def fails(cfg: Path, *needles: str) -> str:
    """Load must raise NpsdiagError; its message must contain each needle (case-insensitive)."""
    with pytest.raises(NpsdiagError) as exc:
        load(cfg)
    msg = exc.value.message
    assert "Traceback" not in msg
    for n in needles:
        assert n.lower() in msg.lower(), (n, msg)
    return msg


def warned(data, *needles: str) -> str:
    text = "\n".join(str(p) for p in data.problems if not p.fatal)
    for n in needles:
        assert n.lower() in text.lower(), (n, text)
    return text


# --------------------------------------------------------------------------- unreadable files


@pytest.mark.parametrize("content, needle", [
    (b"", "empty"),
    (b"\n\n  \n", "empty"),
    (b"\x00\x01\x02\x03binary\x00junk" * 10, "not a text"),
    (b"Score,Date\n", "no rows"),
    (b"Score,Date\r\n\r\n", "no rows"),
])
def test_unreadable_files(tmp_path, content, needle):
    (tmp_path / "r.csv").write_bytes(content)
    msg = fails(config(tmp_path), needle, str(tmp_path / "r.csv"))
    assert "→" in msg  # every fatal message says what to do


def test_missing_file_and_sheet(tmp_path):
    msg = fails(config(tmp_path, "respones.csv"), "file not found", "responses.path")
    assert "c.yml" in msg
    pd.DataFrame({"Score": [9], "Date": ["2024-01-01"]}).to_excel(tmp_path / "r.xlsx", sheet_name="Data", index=False)
    fails(config(tmp_path, "r.xlsx", extra="  sheet: Dta\n"), "sheet 'Dta' not found", "did you mean 'Data'",
          "r.xlsx")
    fails(config(tmp_path, "r.xlsx", extra="  sheet: 3\n"), "no sheet number 3", "sheets: Data")


def test_corrupt_excel_and_parquet(tmp_path):
    (tmp_path / "r.xlsx").write_text("Score,Date\n9,2024-01-01\n")
    fails(config(tmp_path, "r.xlsx"), "cannot open as an Excel workbook", "r.xlsx")
    (tmp_path / "r.parquet").write_bytes(b"PAR1 this is not parquet")
    fails(config(tmp_path, "r.parquet"), "cannot read as Parquet", "r.parquet")


def test_excel_saved_with_a_csv_name_is_read_as_excel(tmp_path):
    pd.DataFrame({"Score": [9, 3], "Date": ["2024-01-01", "2024-01-02"]}).to_excel(tmp_path / "r.xlsx", index=False)
    (tmp_path / "r.xlsx").rename(tmp_path / "r.csv")
    d = load(config(tmp_path))
    assert d.responses["score"].tolist() == [9.0, 3.0]
    assert "Excel workbook despite its name" in d.sources["responses"]["notes"][0]


def test_bad_read_options(tmp_path):
    (tmp_path / "r.csv").write_text("Score,Date\n9,2024-01-01\n")
    fails(config(tmp_path, extra="  encoding: utf-99\n"), "unknown encoding 'utf-99'", "responses.encoding")
    fails(config(tmp_path, extra="  delimiter: ';;'\n"), "single character", "responses.delimiter")
    fails(config(tmp_path, extra="  header_row: 40\n"), "header_row 40", "beyond")


# --------------------------------------------------------------------------- delimiters, encodings, numbers


def test_wrong_delimiter_given_is_named(tmp_path):
    (tmp_path / "r.csv").write_text("Score;Date;Region\n9;2024-01-01;EU\n3;2024-01-02;US\n")
    msg = fails(config(tmp_path, extra="  delimiter: ','\n"), "single column", "seems to use ';'",
                "delimiter: ';'", "r.csv")
    assert "column 'Score' not found" in msg


def test_semicolon_file_with_decimal_commas_and_comma_text_is_detected(tmp_path):
    rows = "".join(f'{s};2024-01-{i + 1:02d};"Slow, then fine, really";{s},5\n' for i, s in enumerate([9, 3, 10, 7]))
    (tmp_path / "r.csv").write_text("Score;Date;Comment, free text;Ease\n" + rows, encoding="utf-8")
    d = load(config(tmp_path, more=", comment: 'Comment, free text'", extra="  drivers: [Ease]\n"))
    assert d.sources["responses"]["delimiter"] == ";"
    assert d.responses["score"].tolist() == [9.0, 3.0, 10.0, 7.0]
    assert d.responses["Ease"].tolist() == [9.5, 3.5, 10.5, 7.5]
    assert d.responses["comment"].iloc[0] == "Slow, then fine, really"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])
def test_encodings(tmp_path, encoding):
    text = "Score,Date,Région\n9,2024-01-01,Île-de-France\n3,2024-01-02,Zürich\n"
    (tmp_path / "r.csv").write_bytes(text.encode(encoding))
    d = load(config(tmp_path, extra="  segments: [Région]\n"))
    assert d.responses["Région"].tolist() == ["Île-de-France", "Zürich"]
    assert d.responses["score"].tolist() == [9.0, 3.0]


def test_cp1252_only_after_the_sniffed_sample_is_not_mojibake(tmp_path):
    # 70 KB of plain ASCII, then a Windows-1252 'é': the whole file decides the encoding
    body = "".join(f"{i % 11},2024-01-{i % 28 + 1:02d},plain\n" for i in range(5000))
    (tmp_path / "r.csv").write_bytes(("Score,Date,Why\n" + body + "10,2024-02-01,très bien\n").encode("cp1252"))
    d = load(config(tmp_path, more=", comment: Why"))
    assert d.sources["responses"]["encoding"] == "cp1252"
    assert d.responses["comment"].iloc[-1] == "très bien"


# --------------------------------------------------------------------------- columns


def test_duplicated_column_names(tmp_path):
    (tmp_path / "r.csv").write_text("Score,Date,Score,_row,Region,Region\n9,2024-01-01,1,x,EU,North\n")
    d = load(config(tmp_path, score="Score (2)", extra="  segments: [Region (2)]\n"))
    assert d.responses["score"].tolist() == [1.0]
    assert d.responses["Region (2)"].tolist() == ["North"]
    assert d.responses["_row"].tolist() == [2]  # a column named _row does not overwrite the row number
    warned(d, "duplicated column names")


def test_all_empty_columns(tmp_path):
    (tmp_path / "r.csv").write_text("Score,Date,Why,Region,Ease\n9,2024-01-01,,,\n3,2024-01-02,,,\n")
    d = load(config(tmp_path, more=", comment: Why", extra="  segments: [Region]\n  drivers: [Ease]\n"))
    warned(d, "'comment' ('Why') is empty in every row", "segment 'Region' is empty in every row; it is left out",
           "driver 'Ease' is empty in every row")
    assert d.segments == [] and d.drivers == []
    (tmp_path / "r.csv").write_text("Score,Date\n,2024-01-01\nN/A,2024-01-02\n")
    fails(config(tmp_path), "'score' ('Score') is empty in every row", "responses.columns.score")


def test_all_scores_not_numbers(tmp_path):
    (tmp_path / "r.csv").write_text("Score,Date\nVery likely,2024-01-01\nNot likely,2024-01-02\n")
    fails(config(tmp_path), "no value in the column mapped to 'score'", "Very likely", "score_labels")


def test_mixed_types_in_the_score_column(tmp_path):
    values = ["9", "10 - Extremely likely", "ten", "", "7.0", "8,0", "12", "-1", "0 - Not at all likely", "N/A"]
    pd.DataFrame({"Score": values, "Date": ["2024-01-05"] * len(values)}).to_csv(tmp_path / "r.csv", index=False)
    d = load(config(tmp_path))
    assert d.responses["score"].tolist()[:2] == [9.0, 10.0] and d.responses["score"].iloc[8] == 0.0
    prep = prepare(d, as_of=pd.Timestamp("2025-01-01"))
    flags = prep.flags.set_index("_row")["reason"]
    assert flags[4] == "invalid_score"  # "ten", in the file's 4th line
    assert flags[8] == "out_of_range" and flags[9] == "out_of_range"  # 12 and -1
    assert flags[5] == "missing_score" and flags[11] == "missing_score"  # blank and N/A
    assert prep.responses["score"].tolist() == [9.0, 10.0, 7.0, 8.0, 0.0]


def test_mixed_types_in_an_excel_score_column(tmp_path):
    values = [9, "10 - Extremely likely", pd.Timestamp("2024-01-01"), True, 3.0, None, "seven"]
    pd.DataFrame({"Score": values, "Date": pd.date_range("2024-01-01", periods=len(values))}).to_excel(
        tmp_path / "r.xlsx", index=False)
    prep = prepare(load(config(tmp_path, "r.xlsx")), as_of=pd.Timestamp("2025-01-01"))
    assert prep.responses["score"].tolist() == [9.0, 10.0, 3.0]
    # the date is not a score (it was read as 2024 and called out of range before "7-8" and dates were refused)
    assert dict(prep.excluded_counts) == {"missing_score": 1, "invalid_score": 3}


def test_ten_megabyte_comment_cell(tmp_path):
    big = ("word, \"quoted\"\nand a new line " * 400_000)[: 10 * 1024 * 1024]
    pd.DataFrame({"Score": [9, 2], "Date": ["2024-01-01", "2024-01-02"], "Why": [big.replace('"', "'"), "ok"]}
                 ).to_csv(tmp_path / "r.csv", index=False)
    d = load(config(tmp_path, more=", comment: Why"))
    assert d.responses["score"].tolist() == [9.0, 2.0]
    assert d.responses["comment"].str.len().max() <= MAX_TEXT_CHARS + 2
    assert d.responses["comment"].iloc[1] == "ok"
    text = warned(d, "longer than 10,000 characters", "were cut")
    assert "rows 2" in text


def test_unbalanced_quote_is_named(tmp_path):
    (tmp_path / "r.csv").write_text('Score,Date,Why\n9,2024-01-01,"never closed\n3,2024-01-02,fine\n')
    fails(config(tmp_path, more=", comment: Why"), "never closed", "r.csv", "rows 2")


# --------------------------------------------------------------------------- scales and dates


def test_one_to_ten_scale_is_explained(tmp_path):
    pd.DataFrame({"Score": [1, 6, 7, 9, 10, 0], "Date": ["2024-01-01"] * 6}).to_csv(tmp_path / "r.csv", index=False)
    d = load(config(tmp_path, extra="settings:\n  scale: [1, 10]\n"))
    warned(d, "1-10 scale", "a 1 counts as a detractor")
    prep = prepare(d, as_of=pd.Timestamp("2025-01-01"))
    assert dict(prep.excluded_counts) == {"out_of_range": 1}  # the 0
    assert prep.responses["category"].tolist() == ["detractor", "detractor", "passive", "promoter", "promoter"]


def test_one_to_five_scale_needs_its_categories(tmp_path):
    pd.DataFrame({"Score": np.tile([1, 2, 3, 4, 5], 5), "Date": ["2024-01-01"] * 25}).to_csv(
        tmp_path / "r.csv", index=False)
    d = load(config(tmp_path))  # left on 0-10: loads, with a clear hint
    warned(d, "every score is between 1 and 5", "scale: [1, 5], detractor_max: 3, promoter_min: 5")
    fails(config(tmp_path, extra="settings:\n  scale: [1, 5]\n"), "leave no promoter", "detractor_max")
    d = load(config(tmp_path, extra="settings: {scale: [1, 5], detractor_max: 3, promoter_min: 5}\n"))
    warned(d, "1-5 scale", "not comparable")
    cats = categorize(pd.Series([1.0, 3.0, 4.0, 5.0]), d.settings.breaks).tolist()
    assert cats == ["detractor", "detractor", "passive", "promoter"]


def test_day_first_ambiguity_reported_and_settable(tmp_path):
    pd.DataFrame({"Score": [9, 3], "Date": ["01/02/2024", "03/04/2024"]}).to_csv(tmp_path / "r.csv", index=False)
    d = load(config(tmp_path))
    warned(d, "ambiguous", "dayfirst: true")
    assert d.responses["responded_at"].iloc[0] == pd.Timestamp("2024-01-02")
    d = load(config(tmp_path, extra="  dayfirst: true\n"))
    assert not any("ambiguous" in p.message for p in d.problems)
    assert d.responses["responded_at"].tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-04-03")]
    d = load(config(tmp_path, extra="settings:\n  dayfirst: true\n"))
    assert d.responses["responded_at"].iloc[1] == pd.Timestamp("2024-04-03")


def test_unreadable_dates_are_rows_not_crashes(tmp_path):
    pd.DataFrame({"Score": [9, 3, 5], "Date": ["2024-01-01", "yesterday", "31/31/2024"]}).to_csv(
        tmp_path / "r.csv", index=False)
    d = load(config(tmp_path))
    warned(d, "2 value(s) in 'Date' are not dates", "rows 3, 4")
    assert dict(prepare(d).excluded_counts) == {"missing_date": 2}


def test_score_labels_and_survey_date(tmp_path):
    pd.DataFrame({"Q16": ["Extremely satisfied ", "somewhat  dissatisfied", "Meh", "Extremely satisfied"]}).to_csv(
        tmp_path / "r.csv", index=False)
    (tmp_path / "c.yml").write_text("""client: T
responses:
  path: r.csv
  survey_date: 2024-03-31
  columns: {score: Q16}
  score_labels: {"Extremely satisfied": 5, "Somewhat dissatisfied": 2}
settings: {scale: [1, 5], detractor_max: 3, promoter_min: 5}
""", encoding="utf-8")
    d = load(tmp_path / "c.yml")
    assert d.responses["score"].tolist()[:2] == [5.0, 2.0]
    assert (d.responses["responded_at"] == pd.Timestamp("2024-03-31")).all()
    warned(d, "no response dates", "2024-03-31")
    assert dict(prepare(d).excluded_counts) == {"invalid_score": 1}  # "Meh"
    (tmp_path / "c.yml").write_text((tmp_path / "c.yml").read_text().replace("2024-03-31", "someday"))
    fails(tmp_path / "c.yml", "survey_date 'someday' is not a date")


# --------------------------------------------------------------------------- hostile content


def test_formula_cells_are_neutralised_in_exported_csv(tmp_path):
    hostile = ["=HYPERLINK(\"http://x\",\"click\")", "+1+1", "-2+3", "@SUM(A1:A2)", "ok"]
    pd.DataFrame({"Score": [1, 2, 3, 4, 5], "Date": ["2024-01-01"] * 5, "Why": hostile}).to_csv(
        tmp_path / "r.csv", index=False)
    d = load(config(tmp_path, more=", comment: Why"))
    assert d.responses["comment"].tolist() == hostile  # read as written, as text
    out = write_csv_safely(d.responses[["comment"]], tmp_path / "out.csv")
    back = pd.read_csv(out, dtype=str)["comment"].tolist()
    assert not any(v[0] in "=+-@" for v in back) and back[-1] == "ok"


# --------------------------------------------------------------------------- the command line


def test_cli_validate_bad_inputs_exit_1_without_traceback(tmp_path, root):
    (tmp_path / "r.csv").write_text("Score;Date\n9;2024-01-01\n")
    cfg = config(tmp_path, extra="  delimiter: ','\n")
    (tmp_path / "b.csv").write_bytes(b"\x00\x01binary\x00" * 50)
    bin_cfg = tmp_path / "bin.yml"
    bin_cfg.write_text(BASE.format(path="b.csv", score='"Score"', more="", extra=""), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "npsdiag.cli", "validate", str(cfg)], capture_output=True,
                          text=True, cwd=root, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "seems to use ';'" in proc.stdout and "→" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "npsdiag.cli", "init", str(tmp_path / "b.csv"), "--output",
                           str(bin_cfg)], capture_output=True, text=True, cwd=root, timeout=120)
    assert proc.returncode == 1  # nothing readable to propose from: said plainly, the existing file untouched
    assert "Traceback" not in proc.stderr + proc.stdout and "not a text" in proc.stderr
    assert "already exists" not in proc.stderr and bin_cfg.read_text().startswith("client: T")


@pytest.mark.parametrize("content", [b"", b"Score,Date\n", b"Score;Date;X\n1;2;3\n", b"\xff\xfe\x00"])
def test_cli_validate_in_process(tmp_path, content, capsys):
    (tmp_path / "r.csv").write_bytes(content)
    assert main(["validate", str(config(tmp_path))]) == 1
    out = capsys.readouterr()
    assert "ERROR" in out.out and "r.csv" in out.out and "Traceback" not in out.out + out.err


def test_problem_listing_is_plain_text(tmp_path):
    (tmp_path / "r.csv").write_text("Score,Date\nx,2024-01-01\n")
    buf = _io.StringIO()
    from npsdiag.cli import validate

    assert validate(config(tmp_path), out=buf) == 1
    assert "no value in the column mapped to 'score'" in buf.getvalue()
