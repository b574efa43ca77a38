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


# --------------------------------------------------------------------------- issue 18: a case per class
# 106 hostile inputs broke the kit in 17 classes; each case below failed before its class was fixed.


def _write_config(tmp: Path, text: str) -> Path:
    p = tmp / "c.yml"
    p.write_text(text, encoding="utf-8")
    return p


def test_class1_batch_slugs_are_unique_across_the_batch(tmp_path):
    from npsdiag.batch import unique_slugs

    paths = []
    for i, client in enumerate(["Acme", "acme", "Acme 2"]):  # slugs acme, acme, acme-2
        p = tmp_path / f"{i}.yml"
        p.write_text(f"client: {client}\nresponses: {{path: r.csv, columns: {{score: S, responded_at: D}}}}\n",
                     encoding="utf-8")
        paths.append(p)
    slugs = [s for _, s in unique_slugs(paths)]
    assert len(set(slugs)) == 3 and slugs[0] == "acme" and slugs[2] == "acme-2"  # the second is not acme-2


def _forest_table(segment: str) -> pd.DataFrame:
    return pd.DataFrame({"dimension": ["Region"] * 2, "segment": [segment, "North"], "n": [40, 50],
                         "nps": [10.0, 20.0], "ci_low": [-5.0, 5.0], "ci_high": [25.0, 35.0],
                         "reportable": [True, True], "direction": ["", ""]})


def _texts(fig) -> str:
    import matplotlib.text

    fig.canvas.draw()  # tick labels are set when the figure is drawn
    return " | ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


@pytest.mark.parametrize("redact", [True, False])
def test_class2_personal_data_drawn_in_figures_is_redacted_with_the_report(redact):
    from npsdiag.areas.segmentation.figures import plot_forest
    from npsdiag.findings import Figure
    from npsdiag.report.figures import figure_html

    pii = "jo.bloggs@example.com +44 7700 900123"
    rec = Figure(key="forest", fig=lambda: plot_forest(_forest_table(pii), "Region"))
    assert figure_html(rec, redact=redact).startswith("<figure")
    texts = _texts(rec.figure)
    assert ("jo.bloggs" in texts) is not redact and ("7700" in texts) is not redact
    if redact:
        assert "[email]" in texts and "[phone]" in texts


def _short_line_export(tmp: Path) -> Path:
    lines = ["ID,Date,Score,Flag"]
    for i in range(200):  # 60 lines lack the score field: their Flag (0) would be read as the score
        day = f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}"
        lines.append(f"R{i},{day},0" if i % 10 < 3 else f"R{i},{day},10,0")
    (tmp / "r.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return _write_config(tmp, "client: T\nresponses:\n  path: r.csv\n"
                              "  columns: {score: Score, responded_at: Date, response_id: ID}\n")


def test_class3_short_lines_are_named_and_left_out_not_read_shifted(tmp_path):
    d = load(_short_line_export(tmp_path))
    text = warned(d, "60 line(s) have fewer fields than the header (3 instead of 4)", "left out")
    assert "rows 2, 3, 4, 12, 13 and 55 more" in text  # the file's lines, as read
    prep = prepare(d, as_of=pd.Timestamp("2025-01-01"))
    s = prep.responses["score"]
    # every complete line scores 10: NPS +100 (read shifted, the 60 zeros made it +40)
    assert len(s) == 140 and 100 * ((s >= 9).mean() - (s <= 6).mean()) == 100


def test_class3_a_file_of_short_lines_only_is_a_plain_error(tmp_path):
    (tmp_path / "r.csv").write_text("Date,Score,Flag\n2024-01-01,9\n2024-01-02,3\n", encoding="utf-8")
    fails(_write_config(tmp_path, "client: T\nresponses:\n  path: r.csv\n  columns: {score: Score, "
                                  "responded_at: Date}\n"), "every line has fewer fields than the header")


def test_class4_every_churn_status_is_churned_retained_or_reported(tmp_path, capsys):
    from npsdiag.cli import validate

    pd.DataFrame({"ID": ["R1", "R2", "R3"], "Date": ["2024-01-01", "2024-01-02", "2024-01-03"], "Score": [9, 3, 7],
                  "Acc": ["A1", "A2", "A3"]}).to_csv(tmp_path / "r.csv", index=False)
    statuses = ["Churned", "Churned - price", "Churned (competitor)", "Active", "Renewed", "Paused"]
    pd.DataFrame({"Acc": [f"A{i}" for i in range(1, 7)], "Status": statuses}).to_csv(tmp_path / "a.csv", index=False)
    cfg = _write_config(tmp_path, "client: T\nresponses:\n  path: r.csv\n  columns: {score: Score, responded_at: "
                                  "Date, response_id: ID, account_id: Acc}\naccounts:\n  path: a.csv\n  columns: "
                                  "{account_id: Acc, churned: Status}\n  churn_values: [Churned]\n")
    d = load(cfg)
    churned = dict(zip(d.accounts["account_id"], d.accounts["churned"].tolist()))
    assert churned["A1"] is True and churned["A4"] is False and churned["A5"] is False  # listed; recognised
    assert all(churned[a] is pd.NA for a in ("A2", "A3", "A6"))  # never silently retained
    text = warned(d, "neither listed in churn_values nor recognised as retained", "'Churned - price' (1)",
                  "'Churned (competitor)' (1)", "'Paused' (1)", "treated as unknown")
    assert "look like churn" in text and "'Paused' look" not in text
    assert validate(cfg) == 0
    out = capsys.readouterr().out
    assert "'Churned - price' unrecognised (1)" in out and "'Active' retained (1)" in out


def test_class5_redaction_one_path_for_strings_series_and_csv_tables():
    from npsdiag.redact import redact_frame, redact_text

    tricky = ["Tel.07700900123", "mobile,07700900999", "4111.1111.1111.1111", "card 4111 1111 1111 1111 EUR",
              "gb82 west 1234 5698 7654 32", "jo [AT] example [DOT] com", "jo {at} example {dot} com",
              "jo <at> example <dot> com", "4111 1111 1111 1111EUR", "call 12 34 56 78", "ring 0049-30-1234567"]
    frame = pd.DataFrame({"account_id": ["4111111111111111"] * len(tricky), "owner": tricky})
    out = redact_frame(frame, keep=["account_id"])
    assert out["owner"].tolist() == [redact_text(t) for t in tricky] == redact_text(pd.Series(tricky)).tolist()
    leaks = ("07700", "4111", "1111", "west", "example", "56 78", "1234567")
    assert not any(t in " ".join(out["owner"]) for t in leaks)
    assert out["owner"].iloc[8] == "[card]EUR"  # one card, not a phone number and its last group
    assert out["account_id"].tolist() == frame["account_id"].tolist()  # a mapped identifier is never a "card"


def test_class6_an_input_named_like_an_output_is_never_overwritten(tmp_path):
    pd.DataFrame({"Score": [9, 3], "Date": ["2024-01-01", "2024-01-02"]}).to_csv(tmp_path / "segments.csv",
                                                                                 index=False)
    cfg = _write_config(tmp_path, "client: T\nresponses:\n  path: segments.csv\n"
                                  "  columns: {score: Score, responded_at: Date}\n")
    before = (tmp_path / "segments.csv").read_bytes()
    assert main(["run", str(cfg), "--output", str(tmp_path), "--quiet"]) == 1
    assert (tmp_path / "segments.csv").read_bytes() == before and not (tmp_path / "report.html").exists()


def test_class7_dollar_signs_in_labels_are_plain_text(tmp_path):
    from npsdiag.areas.segmentation.figures import plot_forest
    from npsdiag.findings import Figure
    from npsdiag.report.figures import figure_html

    rec = Figure(key="forest", fig=lambda: plot_forest(_forest_table(r"Tier $\notacommand$ Plan $5-$10"), "Region"))
    html = figure_html(rec)
    assert "could not be drawn" not in html and "data:image/png;base64" in html
    assert r"$\notacommand$" in _texts(rec.figure).replace("\\$", "$")


@pytest.mark.parametrize("settings, key", [
    ("{detractor_max: .nan}", "settings.detractor_max"), ("{follow_up_sla_days: .nan}", "settings.follow_up_sla_days"),
    ("{min_n: .inf}", "settings.min_n"), ("{scale: [0, .inf]}", "settings.scale"),
])
def test_class8_nan_and_infinity_are_refused_in_settings(tmp_path, settings, key):
    from npsdiag.config import read_config

    (tmp_path / "r.csv").write_text("Score,Date\n9,2024-01-01\n", encoding="utf-8")
    _, problems = read_config(config(tmp_path, extra=f"settings: {settings}\n"))
    assert any(p.fatal and p.where == key and "not a" in p.message for p in problems), problems


def test_class8_a_key_written_twice_is_refused_with_its_lines(tmp_path):
    from npsdiag.config import read_config

    (tmp_path / "r.csv").write_text("Score,Date\n9,2024-01-01\n", encoding="utf-8")
    cfg = config(tmp_path, extra="settings:\n  min_n: 5\nsettings:\n  redact_pii: false\n")
    loaded, problems = read_config(cfg)
    assert loaded is None and len(problems) == 1
    assert "'settings' is written twice (lines 5 and 7)" in problems[0].message and problems[0].where == "line 7"


def test_class9_a_file_mixing_utf8_and_windows_1252_reads_each_part_right(tmp_path):
    utf8 = "".join(f"9,2024-01-{i + 1:02d},Zürich\n" for i in range(5)).encode("utf-8")
    cp1252 = "".join(f"3,2024-02-{i + 1:02d},Zürich\n" for i in range(5)).encode("cp1252")
    for rows in (1, 4000):  # within the sniffed 64 KB, and a file larger than it
        (tmp_path / "r.csv").write_bytes(b"Score,Date,Region\n" + utf8 * rows + cp1252)
        d = load(config(tmp_path, extra="  segments: [Region]\n"))
        assert d.responses["Region"].unique().tolist() == ["Zürich"]  # not "ZÃ¼rich" beside "Zürich"
        warned(d, "mixes two encodings", "each character was read in its own encoding")


def test_class11_a_run_that_does_not_finish_leaves_no_finished_looking_report(tmp_path, monkeypatch):
    from npsdiag import runner

    (tmp_path / "r.csv").write_text("Score,Date\n9,2024-01-01\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    for name in ("report.html", "findings.json", "segments.csv"):
        (out / name).write_text("{}" if name == "findings.json" else "previous run", encoding="utf-8")

    def fail(*args, **kwargs):
        raise NpsdiagError("the notebook failed")

    monkeypatch.setattr(runner, "_execute", fail)
    with pytest.raises(NpsdiagError):
        runner.run(config(tmp_path), out, progress=False)
    assert not (out / "report.html").exists() and not (out / "findings.json").exists()
    assert (out / "stale-outputs" / "report.html").read_text() == "previous run"  # kept, marked stale
    assert not list(out.glob(".npsdiag-*"))  # no staging folder, no lock left


def test_class11_a_second_run_into_a_locked_folder_is_refused(tmp_path):
    from npsdiag.runner import folder_lock

    with folder_lock(tmp_path):
        with pytest.raises(NpsdiagError, match="another npsdiag run .* is writing into"):
            with folder_lock(tmp_path):
                pass
    with folder_lock(tmp_path):  # released: the next run takes it
        pass
    assert not (tmp_path / ".npsdiag.lock").exists()


def test_class12_a_yaml_alias_bomb_is_refused_at_once(tmp_path):
    import time

    from npsdiag.config import read_config

    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = _write_config(tmp_path, "\n".join(lines) + "\nclient: *a8\n")  # ~700 bytes, 9**9 nodes expanded
    t0 = time.perf_counter()
    cfg, problems = read_config(bomb)
    assert cfg is None and "expands to more than 100,000 values" in problems[0].message
    assert time.perf_counter() - t0 < 2


def test_class12_an_xlsx_decompression_bomb_is_refused_before_it_is_opened(tmp_path):
    import zipfile

    pd.DataFrame({"Score": [9, 3], "Date": ["2024-01-01", "2024-01-02"]}).to_excel(tmp_path / "ok.xlsx", index=False)
    with zipfile.ZipFile(tmp_path / "ok.xlsx") as src, zipfile.ZipFile(tmp_path / "r.xlsx", "w",
                                                                      zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("sheet1.xml"):  # 200 MB of blanks inside the sheet: ~200 KB packed
                at = data.index(b"<sheetData>")
                with z.open(info.filename, "w", force_zip64=True) as f:
                    f.write(data[:at])
                    for _ in range(50):
                        f.write(b" " * (4 << 20))
                    f.write(data[at:])
            else:
                z.writestr(info, data)
    assert (tmp_path / "r.xlsx").stat().st_size < 500_000
    fails(config(tmp_path, "r.xlsx"), "the workbook would unpack to 200 MB", "times its size on disk", "refused")


def test_class12_redaction_takes_linear_time_on_long_comments():
    import time

    from npsdiag.redact import redact_text

    # each took 4-13 s when a pattern could start at every character of a long word or digit run
    worst = 0.0
    for unit in ("a", "a.", "_1", "a-", "-1", "1a", "+1", "a@", "[at]", "1 "):
        text = (unit * 10_000)[:10_000]
        t0 = time.perf_counter()
        redact_text(text)
        worst = max(worst, time.perf_counter() - t0)
    assert worst < 1.0


def test_class13_a_5000_character_segment_name_keeps_the_figure_page_wide():
    from npsdiag.areas.segmentation.figures import plot_forest
    from npsdiag.findings import Figure
    from npsdiag.report.figures import MAX_FIGURE_PX, figure_html

    rec = Figure(key="forest", fig=lambda: plot_forest(_forest_table("Segment " * 625), "Region"))
    html = figure_html(rec)
    width = int(html.split('width="')[1].split('"')[0])
    assert width <= MAX_FIGURE_PX and max(len(t) for t in _texts(rec.figure).split(" | ")) < 80


def test_class14_user_mistakes_exit_1_with_a_plain_message(tmp_path, capsys, monkeypatch):
    from npsdiag import runner
    from npsdiag.config import slugify

    (tmp_path / "r.csv").write_text("Score,Date\n9,2024-01-01\n", encoding="utf-8")
    cfg = config(tmp_path)
    assert main(["run", str(cfg), "--output", str(cfg), "--quiet"]) == 1  # --output names a file
    assert "is a file, not a folder" in capsys.readouterr().err
    assert main(["run", str(cfg), "--output", str(cfg / "sub"), "--quiet"]) == 1  # cannot be created
    assert "cannot create the output folder" in capsys.readouterr().err
    assert len(slugify("x" * 10_000)) <= 60 and slugify("x" * 10_000) != slugify("x" * 9_999)

    def full(*args, **kwargs):
        import errno

        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "report.html"))

    monkeypatch.setattr(runner, "run", full)
    assert main(["run", str(cfg), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "the disk is full" in err and "internal error" not in err


def test_class15_zero_usable_responses_is_a_plain_message_and_no_report(tmp_path, capsys):
    from npsdiag.cli import validate
    from npsdiag.outputs import write_outputs

    (tmp_path / "r.csv").write_text("Score,Date\n9,2024-01-01\n3,2024-01-02\n", encoding="utf-8")
    cfg = config(tmp_path, extra="settings: {period: [2030-01-01, 2030-12-31]}\n")
    assert validate(cfg) == 1
    assert "none of the 2 response rows can be analysed: 2 outside the analysis period" in capsys.readouterr().out
    prep = prepare(load(cfg))
    with pytest.raises(NpsdiagError, match="none of the 2 response rows"):
        write_outputs(None, prep, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("sig, code, after", [("SIGINT", 130, 1.0), ("SIGTERM", 143, 1.0), ("SIGINT", 130, 0.1)])
def test_class16_ctrl_c_and_kill_stop_the_run_clean_up_and_exit_130(tmp_path, root, sig, code, after):
    import os
    import signal
    import time

    rows = "".join(f"{i % 11},2024-{i % 12 + 1:02d}-01\n" for i in range(200))
    (tmp_path / "r.csv").write_text("Score,Date\n" + rows, encoding="utf-8")
    cfg = config(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("previous run", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen([sys.executable, "-m", "npsdiag.cli", "run", str(cfg), "--output", str(out), "--quiet"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + 120
        while not list(out.glob(".npsdiag-run-*")) and proc.poll() is None and time.monotonic() < end:
            time.sleep(0.05)  # the run has staged its folder: the kernel is starting or working
        time.sleep(after)  # 0.1 s: while the libraries are imported (an exception raised there was lost, and
        assert proc.poll() is None, "the run ended before it could be interrupted"  # the run hung)
        t0 = time.monotonic()
        proc.send_signal(getattr(signal, sig))
        _, err = proc.communicate(timeout=60)
        stopped_in = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    # before: nbclient swallowed Ctrl-C, the run finished and exited 0; kill left an empty staging folder
    assert proc.returncode == code and "interrupted" in err and "Traceback" not in err
    assert stopped_in < 30
    assert not list(out.glob(".npsdiag-*")) and not (out / "report.html").exists()
    assert (out / "stale-outputs" / "report.html").read_text(encoding="utf-8") == "previous run"


def test_class15_responses_all_dated_2150_are_a_plain_error_not_a_report(tmp_path, capsys):
    from npsdiag.cli import validate

    # before: with the data's own as-of date, 2150 was a real date: "OK, 2 usable" and a report of 2150
    (tmp_path / "r.csv").write_text("Score,Date\n9,2150-01-01\n3,2150-01-02\n", encoding="utf-8")
    fails(config(tmp_path), "no value in the column mapped to 'responded_at' ('Date') is a date", "2099-12-31")
    (tmp_path / "r.csv").write_text("Score,Date\n9,2150-01-01\n3,2024-01-02\n", encoding="utf-8")
    assert validate(config(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "dates after 2099 are taken as mistakes" in out and "1 usable" in out


def test_class17_questionable_values_are_refused_or_said(tmp_path):
    pd.DataFrame({"ID": [f"R{i}" for i in range(7)],
                  "Score": ["1,000", "7-8", "7.5", "9", "10", "3", "8"],
                  "Date": ["2024-01-01", "2024-01-02", "2024-01-03", "1900-01-01", "2024-01-05", "2024-01-06",
                           "2024-01-07"],
                  "Region": ["EM\x00EA", "EMEA", "EMEA\u202e", "EMEA", "US", "US", "US"]}
                 ).to_csv(tmp_path / "r.csv", index=False)
    d = load(config(tmp_path, more=", response_id: ID", extra="  segments: [Region]\n"))
    score = d.responses["score"]
    assert score.iloc[0] == 1000.0 and np.isnan(score.iloc[1]) and score.iloc[2] == 7.5  # not 1, and not 7
    assert pd.isna(d.responses["responded_at"].iloc[3])  # Excel's zero date is no date
    assert set(d.responses["Region"]) == {"EMEA", "US"}  # NUL and right-to-left override removed
    warned(d, "'1,000' are read as thousands", "ranges such as '7-8'", "not whole numbers (e.g. 7.5)",
           "what Excel writes for an empty date cell", "invisible control characters")
    prep = prepare(d, as_of=pd.Timestamp("2025-01-01"))
    assert dict(prep.excluded_counts) == {"invalid_score": 1, "out_of_range": 1, "missing_date": 1}
