"""The fast paths of loading and preparing give what the careful paths give (issue 9, round 2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from npsdiag.clean import prepare
from npsdiag.config import load_config
from npsdiag.io import from_frames, load, parse_numbers, read_raw, sniff_csv
from npsdiag.io.sniff import SAMPLE_BYTES, holds_byte

CFG = """client: T
responses:
  path: {path}
  columns: {{score: Score, responded_at: Date, comment: Why}}
{extra}"""


def cfg(tmp: Path, path: str, extra: str = "") -> Path:
    p = tmp / "c.yml"
    p.write_text(CFG.format(path=path, extra=extra), encoding="utf-8")
    return p


def _ascii_rows(n: int) -> list[str]:
    return [f"{i % 11},2024-01-{i % 28 + 1:02d} 10:{i % 60:02d},fine {i},EU" for i in range(n)]


def _careful(path: Path):
    """The reference: pandas' reader with the encoding sniff_csv detects on the whole file."""
    enc, delim = sniff_csv(path)
    return enc, pd.read_csv(path, sep=delim, encoding=enc, dtype=str, keep_default_na=False, na_values=[""])


@pytest.mark.parametrize("where", ["read column", "unread column"])
def test_a_windows_1252_byte_past_the_sample_is_still_read_as_windows_1252(tmp_path, where):
    rows = _ascii_rows(6000)  # ~190 KB: the 64 KB sample is plain ASCII
    if where == "read column":
        rows[-1] = "9,2024-02-01 10:00,très bien,EU"
    else:
        rows[-1] = "9,2024-02-01 10:00,fine,Île-de-France"
    path = tmp_path / "r.csv"
    path.write_bytes(("Score,Date,Why,Region\n" + "\n".join(rows) + "\n").encode("cp1252"))
    assert path.stat().st_size > 2 * SAMPLE_BYTES
    enc, ref = _careful(path)
    assert enc == "cp1252"  # what sniff_csv (the whole-file check) decides
    d = load(cfg(tmp_path, "r.csv"))
    assert d.responses["comment"].tolist() == ref["Why"].tolist()
    assert d.responses["comment"].iloc[-1] == ("très bien" if where == "read column" else "fine")
    assert d.responses["score"].tolist() == ref["Score"].astype(float).tolist()
    if where == "read column":
        # pyarrow refused the UTF-8 guess of the sample: the whole file was checked, as sniff_csv does
        assert d.sources["responses"]["encoding"] == "cp1252"


def test_a_ragged_file_with_a_windows_1252_byte_past_the_sample_keeps_the_careful_messages(tmp_path):
    rows = _ascii_rows(6000)
    rows[100] += ",extra"
    rows[-1] = "9,2024-02-01 10:00,très bien,EU"
    path = tmp_path / "r.csv"
    path.write_bytes(("Score,Date,Why,Region\n" + "\n".join(rows) + "\n").encode("cp1252"))
    d = load(cfg(tmp_path, "r.csv"))
    bad = [p for p in d.problems if "more fields than the header" in p.message]
    assert bad and bad[0].rows == [102]  # line number in the file (header = line 1)
    assert d.responses["comment"].iloc[-1] == "très bien"
    assert d.sources["responses"]["encoding"] == "cp1252"
    assert len(d.responses) == 5999


def test_files_without_quotes_and_with_quoted_line_breaks_read_alike(tmp_path):
    rows = _ascii_rows(3000)
    plain = "Score,Date,Why,Region\n" + "\n".join(rows) + "\n"
    (tmp_path / "plain.csv").write_text(plain)
    quoted = "Score,Date,Why,Region\n" + "\n".join(r if i % 7 else r.replace(",fine", ',"line\nbreak, ""q"""') for
                                                   i, r in enumerate(rows)) + "\n"
    (tmp_path / "quoted.csv").write_text(quoted)
    for name in ("plain.csv", "quoted.csv"):
        assert holds_byte(tmp_path / name, b'"') is (name == "quoted.csv")  # no quote: the cheaper block split
        spec = load_config(cfg(tmp_path, name)).responses
        raw = read_raw(spec, [])
        assert raw.columns is not None  # read by pyarrow
        ref = pd.read_csv(tmp_path / name, dtype=str, keep_default_na=False, na_values=[""])
        assert raw.frame["Why"].tolist() == ref["Why"].tolist()
        assert raw.frame["_row"].iloc[-1] == 1 + len(ref) == 1 + len(rows)  # records, as the careful reader counts


def test_plain_numbers_take_the_fast_path_and_match_the_general_one():
    rng = np.random.default_rng(1)
    values = pd.Series([str(v) for v in rng.integers(0, 10**6, 500)] + ["12.5", "-3", "0.1", None, " 42 "],
                       dtype="str")
    # reference: float() of each value as written (by hand: Python's correctly rounded parser)
    expected = [float(v) if v is not None else np.nan for v in values]
    np.testing.assert_array_equal(parse_numbers(values).to_numpy(), np.array(expected))
    # decimal comma given: '.' is a thousands separator, as before
    assert parse_numbers(pd.Series(["1.500", "2"]), decimal=",").tolist() == [1500.0, 2.0]
    assert parse_numbers(pd.Series(["1,234.50", "7"])).tolist() == [1234.5, 7.0]
    assert parse_numbers(pd.Series(["1.234,50", "99,9"])).tolist() == [1234.5, 99.9]


def test_split_keeps_columns_dtypes_and_rows():
    rng = np.random.default_rng(4)
    n = 400
    responses = pd.DataFrame({
        "score": rng.integers(0, 11, n).astype(float),
        "responded_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
        "response_id": [f"R{i // 2 if i % 10 == 0 else i}" for i in range(n)],  # some duplicates
        "respondent_id": [f"p{i % 150}" for i in range(n)],
        "comment": [None if i % 3 else f"c {i}" for i in range(n)],
        "Region": rng.choice(["EU", "US"], n),
    })
    responses.loc[5, "score"] = np.nan
    d = from_frames(responses, segments=["Region"], settings={"repeat_window_days": 30})
    before = d.responses.copy()
    p = prepare(d, as_of=pd.Timestamp("2025-01-01"))
    keep = p.flags["reason"].isna().to_numpy()
    assert 0 < keep.sum() < n
    expected = before.loc[keep].reset_index(drop=True)
    pd.testing.assert_frame_equal(p.responses.drop(columns="category"), expected)
    pd.testing.assert_frame_equal(p.rows_read, before)
    pd.testing.assert_frame_equal(d.responses, before)  # the caller's data is not modified
    excl = p.excluded
    pd.testing.assert_frame_equal(excl.drop(columns="reason"), before.loc[~keep].reset_index(drop=True))


def test_plain_scores_and_iso_dates_read_at_once_match_the_general_reading():
    from npsdiag.io import parse_dates, parse_scores

    score, invalid = parse_scores(pd.Series(["7", None, "10", "007", " 3"], dtype="str"))
    np.testing.assert_array_equal(score.to_numpy(), [7.0, np.nan, 10.0, 7.0, 3.0])  # by hand
    assert not invalid.any()
    text = ["2024-01-02 10:00", None, "2023-12-31 23:59", " 2024-02-29 00:00 "]
    dates, unreadable, note = parse_dates(pd.Series(text, dtype="str"))
    expected = pd.to_datetime(pd.Series(text).str.strip(), format="%Y-%m-%d %H:%M")  # reference: pandas
    pd.testing.assert_series_equal(dates, expected.astype("datetime64[ns]"), check_names=False)
    assert not unreadable.any() and note is None


def test_tables_read_ahead_on_another_thread_match_reading_each_alone(tmp_path, monkeypatch):
    import threading

    import npsdiag.io.read as nread
    from npsdiag.errors import NpsdiagError

    threads = []
    arrow_read = nread.arrow_read

    def spy(plan):
        threads.append((plan.path.name, threading.current_thread().name))
        return arrow_read(plan)

    monkeypatch.setattr(nread, "arrow_read", spy)

    rows = _ascii_rows(200)
    (tmp_path / "r.csv").write_text("Score,Date,Why,Region\n" + "\n".join(rows) + "\n")
    (tmp_path / "i.csv").write_text("Sent,Who\n" + "\n".join(f"2024-01-{i % 28 + 1:02d},p{i}" for i in range(300)))
    extra = ("  segments: [Region]\ninvitations:\n  path: i.csv\n  columns: {invited_at: Sent, respondent_id: Who}\n"
             "accounts:\n  path: r.csv\n  columns: {account_id: Region}\n")
    config = load_config(cfg(tmp_path, "r.csv", extra))
    d = load(config)
    assert [(f, t.startswith("npsdiag-read")) for f, t in threads] == [("r.csv", True), ("i.csv", True)]
    for name, columns in (("responses", ["Score", "Date", "Why", "Region"]), ("invitations", ["Sent", "Who"])):
        alone = read_raw(config.tables[name], [], columns=columns).frame  # no read ahead
        assert alone.shape[0] == len(getattr(d, name)) > 30
    assert d.invitations["respondent_id"].tolist() == [f"p{i}" for i in range(300)]
    assert d.accounts["account_id"].tolist() == ["EU"]  # the shared file read once, deduplicated accounts
    assert d.responses["comment"].tolist() == [r.split(",")[2] for r in rows]
    (tmp_path / "i.csv").unlink()  # a missing file among files read ahead: the same fatal message
    with pytest.raises(NpsdiagError, match="file not found"):
        load(cfg(tmp_path, "r.csv", extra))


@pytest.mark.parametrize("unit", ["s", "ms"])
def test_repeat_respondents_match_a_plain_walk(unit):
    from npsdiag.clean import _repeats

    rng = np.random.default_rng(7)
    n = 3000
    r = pd.DataFrame({"respondent_id": pd.Series([f"p{i}" for i in rng.integers(0, 400, n)], dtype="str"),
                      "responded_at": pd.Timestamp("2024-01-01")
                      + pd.to_timedelta(rng.integers(0, 200 * 86400, n) * (1000 if unit == "ms" else 1), unit=unit)})
    r.loc[::97, "respondent_id"] = None
    free = rng.random(n) > 0.1
    got = _repeats(r, free, 30).to_numpy()
    # reference: walk each respondent's rows in (time, file order), keeping one only 30+ days after the last kept
    expected = np.zeros(n, dtype=bool)
    w = pd.Timedelta(days=30)
    rows = [i for i in range(n) if free[i] and not pd.isna(r["respondent_id"].iloc[i])]
    last: dict[str, pd.Timestamp] = {}
    for i in sorted(rows, key=lambda i: (r["respondent_id"].iloc[i], r["responded_at"].iloc[i], i)):
        who, when = r["respondent_id"].iloc[i], r["responded_at"].iloc[i]
        if who in last and when - last[who] < w:
            expected[i] = True
        else:
            last[who] = when
    np.testing.assert_array_equal(got, expected)


def test_edge_space_check_never_misses_a_value_to_strip():
    import pyarrow as pa

    from npsdiag.io.strings import has_edge_space

    rng = np.random.default_rng(11)
    words = ["", "a", "ab", " a", "a ", "\tb", "é", "x\n", None, None, "plain"]
    for _ in range(300):
        values = [words[i] for i in rng.integers(0, len(words), rng.integers(1, 8))]
        arr = pa.array(values, pa.large_string())
        i = int(rng.integers(0, len(values)))
        part = arr.slice(i, int(rng.integers(0, len(values) - i + 1)))
        expected = any(v is not None and v != v.strip() or (v or "").encode() != (v or "").encode("ascii", "ignore")
                       for v in part.to_pylist())
        if expected:  # a value starts or ends with a space, or holds non-ASCII: the check must say so
            assert has_edge_space(pa.chunked_array([part], pa.large_string()))
