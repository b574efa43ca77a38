"""Tests of the callback queue and of the formula-safe, atomic CSV writer."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from npsdiag.areas.decay import CALLBACK_COLUMNS, callback_queue
from npsdiag.areas.decay.queue import IDENTIFIER_COLUMNS
from npsdiag.clean import prepare
from npsdiag.io import from_frames
from npsdiag.outputs import neutralise_formulas, write_csv_safely

END = pd.Timestamp("2024-06-30")


def _client(redact: bool = True, sla: float = 7):
    """Six detractors, a passive and a promoter; the data end on 2024-06-30.

    r1 acct A (ARR 100k), never followed up, 30 days ago
    r2 acct B (ARR 10k),  never followed up, 2 days ago -> open (within SLA), still to call
    r3 acct C (ARR 500k), followed up after 20 days (late)
    r4 acct D (ARR 50k),  followed up within 3 days -> not in the queue
    r5 acct E (churned),  never followed up -> left out (already churned)
    r6 acct A, same respondent as r1, older detractor response -> only r1 (the latest) is kept
    """
    resp = pd.DataFrame({
        "response_id": ["r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8"],
        "score": [3, 5, 0, 6, 2, 4, 8, 10],
        "responded_at": pd.to_datetime(["2024-05-31", "2024-06-28", "2024-04-01", "2024-06-01", "2024-06-10",
                                        "2024-02-01", "2024-06-30", "2024-06-29"]),
        "followed_up_at": pd.to_datetime([None, None, "2024-04-21", "2024-06-04", None, None, None, None]),
        "respondent_id": ["ann@a.com", "bo@b.com", "cy@c.com", "di@d.com", "ed@e.com", "ann@a.com", "x@a.com",
                          "y@b.com"],
        "account_id": ["A", "B", "C", "D", "E", "A", "A", "B"],
        "role": ["executive", "user", "user", "user", "user", "executive", "user", "user"],
        "owner": ["Kim", "Lee", "Kim", "Lee", "Kim", "Kim", "Lee", "Lee"],
        "comment": ["=HYPERLINK(\"http://evil\")", "mail me: bo@b.com or +44 20 7946 0958", "+ too slow", "ok",
                    "bye", "old", "fine", "great"],
    })
    accounts = pd.DataFrame({"account_id": ["A", "B", "C", "D", "E"], "name": ["Acme", "-Beta", "@Cyan", "Dot", "Echo"],
                             "revenue": [100_000, 10_000, 500_000, 50_000, 900_000],
                             "churned": [False, False, False, False, True]})
    settings = {"redact_pii": redact, "follow_up_sla_days": sla, "repeat_window_days": 0}
    return prepare(from_frames(resp, accounts=accounts, settings=settings), as_of="2024-07-15")


def test_queue_content_and_order():
    q = callback_queue(_client())
    assert tuple(q.columns) == CALLBACK_COLUMNS
    # not followed up first (r1, r2), ordered by ARR x 0.5^(age/90): A 100000*0.5^(30/90)=79370 > B 10000*~1;
    # then followed up late (r3); r4 (on time), r5 (churned account), r6 (older answer of r1's respondent),
    # r7/r8 (not detractors) are left out
    assert q["account_id"].tolist() == ["A", "B", "C"]
    assert q["priority"].tolist() == [1, 2, 3]
    assert q["status"].tolist() == ["not followed up", "not followed up (within SLA)", "followed up late"]
    assert q["priority_score"].iloc[0] == pytest.approx(100_000 * 0.5 ** (30 / 90), abs=0.01)
    # days waiting: to the end of the data when not followed up, to the follow-up when late
    assert q["days_waiting"].tolist() == [30, 2, 20]
    assert q["arr"].tolist() == [100_000, 10_000, 500_000]
    assert q["account_name"].tolist() == ["Acme", "-Beta", "@Cyan"]
    assert q["score"].tolist() == [3, 5, 0]
    assert q["role"].tolist() == ["executive", "user", "user"]


def test_recency_can_beat_revenue():
    # a 1-year-old 100k detractor (100k*0.5^(365/90) = 6.0k) ranks below a fresh 10k one (10k*0.5^(2/90) = 9.8k)
    prep = _client()
    r = prep.responses
    r.loc[r["response_id"] == "r1", "responded_at"] = END - pd.Timedelta(days=365)
    r.loc[r["response_id"] == "r6", "responded_at"] = END - pd.Timedelta(days=400)  # keep r1 the latest of ann
    q = callback_queue(prep)
    assert q["account_id"].tolist()[:2] == ["B", "A"]


def test_queue_options():
    prep = _client()
    assert "C" not in callback_queue(prep, include_late=False)["account_id"].tolist()
    assert "E" in callback_queue(prep, exclude_churned=False)["account_id"].tolist()


def test_redaction_follows_settings():
    q = callback_queue(_client(redact=True))
    assert "bo@b.com" not in " ".join(q["comment"].dropna()) and "7946" not in " ".join(q["comment"].dropna())
    # the respondent is who to call back: an identifier, never redacted (issue 19: the queue is the front line's)
    assert q["respondent"].tolist() == ["ann@a.com", "bo@b.com", "cy@c.com"]
    assert q["response_id"].tolist() == ["r1", "r2", "r3"] and q["source_row"].tolist() == [2, 3, 4]
    q2 = callback_queue(_client(redact=False))
    assert q2["respondent"].tolist()[0] == "ann@a.com"
    assert "bo@b.com" in q2["comment"].iloc[1]


def test_queue_without_accounts_or_follow_up_column():
    resp = pd.DataFrame({"score": [2.0, 3.0, 9.0], "responded_at": ["2024-01-01", "2024-03-01", "2024-03-02"]})
    q = callback_queue(prepare(from_frames(resp), as_of="2024-04-01"))
    assert tuple(q.columns) == CALLBACK_COLUMNS
    # no follow-up dates in the export: every detractor is listed, the most recent first (recency only)
    assert q["status"].tolist() == ["follow-up not recorded"] * 2
    assert q["responded_at"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-01", "2024-01-01"]
    assert q["arr"].isna().all()


def test_queue_empty_cases():
    resp = pd.DataFrame({"score": [9.0, 10.0], "responded_at": ["2024-01-01", "2024-01-02"],
                         "followed_up_at": [None, None]})
    q = callback_queue(prepare(from_frames(resp), as_of="2024-04-01"))
    assert q.empty and tuple(q.columns) == CALLBACK_COLUMNS


# --------------------------------------------------------------------------- the front line's to-do list (issue 19)


def test_identifiers_are_never_redacted_comments_are():
    # 4111111111111111 and the 19-digit 1234567890123456789 pass the Luhn check: in a comment a card number is
    # masked; as a respondent or response id it is who to call back, kept in clear in every column
    resp = pd.DataFrame({"response_id": ["1234567890123456789", "4111111111111111"], "score": [2.0, 3.0],
                         "responded_at": ["2024-01-02", "2024-01-03"],
                         "respondent_id": ["1234567890123456789", "jo@example.com"],
                         "comment": ["card 4111 1111 1111 1111 charged twice", "mail me at jo@example.com"]})
    q = callback_queue(prepare(from_frames(resp, settings={"redact_pii": True}), as_of="2024-03-01"))
    assert q["response_id"].tolist() == ["4111111111111111", "1234567890123456789"]
    assert q["respondent"].tolist() == ["jo@example.com", "1234567890123456789"]
    assert q["comment"].tolist() == ["mail me at [email]", "card [card] charged twice"]
    assert not [v for c in IDENTIFIER_COLUMNS for v in q[c].astype("string").dropna() if "[" in v]


def test_only_response_id_mapped_every_row_has_an_identifier(tmp_path: Path):
    # the real case: a survey export mapped with its response id only (no respondent, no account) gave queue rows
    # with no identifier at all; read from a file, source_row is the response's line (the header is line 1)
    rng = np.random.default_rng(3)
    n = 300
    pd.DataFrame({"Response ID": [f"{10**18 + 7919 * i}" for i in range(n)],
                  "NPS": rng.integers(0, 11, n),
                  "Date": (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 120, n), "D")).strftime(
                      "%Y-%m-%d"),
                  "Why": rng.choice(["NA", "slow support", "N/A", "price"], n)}).to_csv(tmp_path / "r.csv",
                                                                                      index=False)
    (tmp_path / "c.yml").write_text("client: t\nresponses:\n  path: r.csv\n  columns:\n    score: NPS\n"
                                    "    responded_at: Date\n    response_id: Response ID\n    comment: Why\n",
                                    encoding="utf-8")
    from npsdiag.io import load

    prep = prepare(load(tmp_path / "c.yml"), as_of="2024-06-01")
    q = callback_queue(prep)
    raw = pd.read_csv(tmp_path / "r.csv", dtype=str, keep_default_na=False)
    assert len(q) == int((raw["NPS"].astype(int) <= 6).sum()) > 100
    assert q["response_id"].notna().all() and q["source_row"].notna().all()
    line = dict(zip(raw["Response ID"], raw.index + 2, strict=True))  # line 1 is the header
    assert q["source_row"].tolist() == [line[i] for i in q["response_id"]]
    assert q["score"].tolist() == [int(raw.loc[line[i] - 2, "NPS"]) for i in q["response_id"]]
    # R's NA and N/A are missing comments, not text the front line reads
    assert set(q["comment"].dropna()) == {"slow support", "price"}
    assert q["comment"].isna().sum() == int(raw.loc[raw["NPS"].astype(int) <= 6, "Why"].isin(["NA", "N/A"]).sum())


def test_no_identifier_mapped_the_row_in_the_export_names_it():
    resp = pd.DataFrame({"score": [2.0, 3.0, 9.0], "responded_at": ["2024-01-01", "2024-03-01", "2024-03-02"],
                         "followed_up_at": [None, None, None], "comment": ["n/a", "Nathan was rude", "#N/A"]})
    prep = prepare(from_frames(resp), as_of="2024-04-01")
    q = callback_queue(prep)
    assert q["source_row"].tolist() == [3, 2]  # from_frames numbers the rows as a file with a header: 2, 3, ...
    assert q[["respondent", "response_id", "account_id"]].isna().all().all()
    assert q["comment"].tolist()[0] == "Nathan was rude" and pd.isna(q["comment"].iloc[1])
    from npsdiag.areas import decay

    top = decay.diagnose(prep).tables["callback_queue_top"]
    assert top["source_row"].tolist() == [3, 2]
    # with a response id, the report names the rows by it (the CSV has both)
    prep = prepare(from_frames(resp.assign(response_id=["x1", "x2", "x3"])), as_of="2024-04-01")
    top = decay.diagnose(prep).tables["callback_queue_top"]
    assert top["response_id"].tolist() == ["x2", "x1"] and "source_row" not in top


@pytest.mark.parametrize("values, want", [
    (["NA", "N/A", " n/a", "#N/A", "null", "NaN", "<NA>", "", "  "], [None] * 9),
    (["Nathan", "NAB", "no", "None of your business", "N/A - see ticket 42"],
     ["Nathan", "NAB", "no", "None of your business", "N/A - see ticket 42"]),
])
def test_blank_missing_text(values, want):
    from npsdiag.areas.decay.queue import blank_missing_text

    for dtype in (object, "string"):
        got = blank_missing_text(pd.Series(values, dtype=dtype))
        assert [None if pd.isna(v) else v for v in got] == want
    nums = pd.Series([1.0, float("nan")])
    assert blank_missing_text(nums) is nums


def test_neutralise_formulas_owasp_prefixes():
    df = pd.DataFrame({"t": ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "ok", "a=b", None],
                       "n": [-1, 2, 3, 4, 5, 6, 7, 8, 9]})
    out = neutralise_formulas(df)
    assert out["t"].tolist()[:8] == ["'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "ok", "a=b"]
    assert pd.isna(out["t"].iloc[8])
    assert out["n"].tolist() == df["n"].tolist()  # numbers are not text: -1 stays a number
    assert list(neutralise_formulas(pd.DataFrame({"=bad": [1]})).columns) == ["'=bad"]
    assert df["t"].iloc[0] == "=1+1"  # the input is not modified


def test_write_csv_safely_round_trip(tmp_path: Path):
    q = callback_queue(_client())
    path = write_csv_safely(q, tmp_path / "callback_queue.csv")
    assert path == tmp_path / "callback_queue.csv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == list(CALLBACK_COLUMNS)
    cells = [c for row in rows[1:] for c in row]
    # no cell a spreadsheet would run: every text cell starting with = + - @ carries the apostrophe
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'=HYPERLINK(\"http://evil\")" in cells and "'+ too slow" in cells
    assert "'-Beta" in cells and "'@Cyan" in cells
    assert rows[1][CALLBACK_COLUMNS.index("responded_at")] == "2024-05-31"  # dates as ISO dates
    assert rows[1][CALLBACK_COLUMNS.index("score")] == "3"
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert len(back) == len(q) and back["priority"].tolist() == [1, 2, 3]
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o644)
    assert [p.name for p in tmp_path.iterdir()] == ["callback_queue.csv"]  # no temporary file left


def test_write_csv_safely_is_atomic(tmp_path: Path, monkeypatch):
    path = tmp_path / "q.csv"
    path.write_text("old content\n", encoding="utf-8")

    def boom(self, *args, **kwargs):
        raise OSError("disk full")

    import pyarrow.csv

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)  # whichever writer writes it fails half way
    monkeypatch.setattr(pyarrow.csv, "write_csv", boom)
    with pytest.raises(OSError):
        write_csv_safely(pd.DataFrame({"a": [1]}), path)
    assert path.read_text(encoding="utf-8") == "old content\n"  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["q.csv"]  # and the partial file removed


def test_demo_queue_if_present():
    demo = Path(__file__).resolve().parents[1] / "examples" / "demo" / "config.yml"
    if not (demo.parent / "responses.csv").exists():
        pytest.skip("demo data not generated (python -m npsdiag.sample)")
    from npsdiag.io import load

    q = callback_queue(prepare(load(demo)))
    assert len(q) > 0 and q["priority"].is_monotonic_increasing
    assert (q["score"] <= 6).all()


def test_real_bt_verbatims_queue_and_decay_degrade(shared_data, tmp_path: Path):
    # Real UK broadband export (SOURCE.md): score, day-first date and comment only; 1,271 detractors (0-6),
    # no follow-up, invitation, account or respondent columns.
    src = shared_data / "external" / "bt-nps-verbatims" / "verbatim.csv"
    cfg = tmp_path / "bt.yml"
    cfg.write_text(
        f"client: BT sample\nresponses:\n  path: {src}\n  dayfirst: true\n  columns:\n    score: NPS_SCORE\n"
        "    responded_at: CUSTOMER_RESPONSE_DATE\n    comment: text\n", encoding="utf-8")
    from npsdiag.areas import decay
    from npsdiag.io import load

    prep = prepare(load(cfg), as_of="2024-01-01")
    res = decay.diagnose(prep)
    assert res.status == "not_assessed" and "called back" in res.not_assessed_reason
    q = callback_queue(prep)
    assert len(q) == 1271 and set(q["status"]) == {"follow-up not recorded"}
    assert q["responded_at"].iloc[0] == prep.responses["responded_at"].max()  # recency only, newest first
    path = write_csv_safely(q, tmp_path / "callback_queue.csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        comments = [row["comment"] for row in csv.DictReader(fh)]
    # one real detractor comment starts with "- moved in on 15th December...": written with the apostrophe
    assert sum(c.startswith("'- moved in") for c in comments) == 1
    assert not [c for c in comments if c[:1] in ("=", "+", "-", "@")]


def test_neutralise_formulas_on_string_categorical_and_mixed_columns():
    # the vectorised check must give what a cell-by-cell str.startswith gives (OWASP prefixes), every column kind
    df = pd.DataFrame({
        "s": pd.Series(["-x", pd.NA, "y", "\tz", "@q"], dtype="string"),
        "o": pd.Series(["=a", 5, None, 2.5, "+b"], dtype=object),
        "k": pd.Categorical(["=c", "d", "=c", "e", None]),
        "n": [-1, 2, 3, 4, 5],
    })
    out = neutralise_formulas(df)
    for c in ("s", "o", "k"):
        want = ["'" + v if isinstance(v, str) and v.startswith(("=", "+", "-", "@", "\t", "\r")) else v
                for v in df[c].astype(object)]
        assert [None if pd.isna(v) else v for v in out[c]] == [None if pd.isna(v) else v for v in want]
    assert out["n"].tolist() == [-1, 2, 3, 4, 5]
    assert neutralise_formulas(df.iloc[:0]).shape == (0, 4)


def test_queue_is_computed_once_and_callers_get_copies():
    prep = prepare(from_frames(pd.DataFrame({"score": [2, 3], "responded_at": ["2024-01-02", "2024-02-20"]})),
                   as_of="2024-03-01")
    a = callback_queue(prep)
    a.loc[0, "status"] = "changed"
    b = callback_queue(prep)
    assert b.loc[0, "status"] != "changed" and len(b) == 2
    assert len(callback_queue(prep, include_late=False)) == 2


@pytest.mark.parametrize("numeric_ids", [False, True])
def test_queue_account_columns_equal_a_left_merge(numeric_ids):
    # account name, ARR and churn come from the first accounts row of each id (a left merge on the
    # de-duplicated accounts), matched once per distinct id: duplicated, missing and unknown ids included

    rng = np.random.default_rng(5)
    n = 400
    ids = [f"A{i}" for i in range(40)] + ["ZZ"]  # "ZZ" is not in the accounts table
    resp = pd.DataFrame({"score": rng.integers(0, 7, n).astype(float),
                         "responded_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 150, n), "D"),
                         "respondent_id": [f"p{i}" for i in range(n)],
                         "account_id": rng.choice(ids + [None], n)})
    acc = pd.DataFrame({"account_id": [f"A{i}" for i in range(40)] + ["A3", "A7", None],
                        "name": [f"Name {i}" for i in range(43)],
                        "revenue": rng.integers(1, 100, 43) * 1000.0,
                        "churned": [False] * 41 + [True, False]})
    if numeric_ids:
        resp["account_id"] = resp["account_id"].str[1:].replace("Z", "999").astype("float").astype("Int64")
        acc["account_id"] = acc["account_id"].str[1:].astype("float").astype("Int64")
    prep = prepare(from_frames(resp, accounts=acc, settings={"redact_pii": False}), as_of="2024-07-15")
    q = callback_queue(prep, exclude_churned=False)
    first = prep.accounts.dropna(subset=["account_id"]).drop_duplicates("account_id")
    ref = q[["account_id"]].merge(first[["account_id", "name", "revenue"]], on="account_id", how="left")
    assert len(q) > 50 and q["account_name"].notna().sum() < len(q)
    assert q["account_name"].astype(object).where(q["account_name"].notna(), None).tolist() == \
        ref["name"].astype(object).where(ref["name"].notna(), None).tolist()
    assert np.allclose(q["arr"].to_numpy(float), ref["revenue"].to_numpy(float), equal_nan=True)


def test_respondents_written_na_are_not_one_person():
    # three detractors whose respondent column holds R's "NA": three people to call, not one (the latest)
    resp = pd.DataFrame({"response_id": ["a", "b", "c", "d"], "score": [1.0, 2.0, 3.0, 4.0],
                         "responded_at": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"],
                         "respondent_id": ["NA", "NA", "N/A", "kim@x.com"]})
    q = callback_queue(prepare(from_frames(resp, settings={"redact_pii": False, "repeat_window_days": 0}),
                               as_of="2024-02-01"))
    assert sorted(q["response_id"]) == ["a", "b", "c", "d"]
    assert q.set_index("response_id")["respondent"].isna().tolist() == [False, True, True, True]


@pytest.mark.parametrize("mixed", [False, True])
def test_write_csv_safely_writes_what_a_spreadsheet_reads_back(tmp_path: Path, mixed: bool):
    frame = pd.DataFrame({
        "account_id": pd.array(["A-1", None, "=cmd()"], dtype="string"),
        "arr": [1200.5, np.nan, 3.0],
        "open": [True, False, True],
        "when": pd.to_datetime(["2025-01-02", None, "2025-03-04"]),
        "note": ['said "great", then left', "línea\nnueva", ""],
    })
    if mixed:  # a column of values of several types: Arrow cannot hold it, pandas' writer writes the file
        frame["mixed"] = ["x", 2, None]
    path = write_csv_safely(frame, tmp_path / "out.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for accented text
    back = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype=str)
    assert back.columns.tolist() == frame.columns.tolist()
    assert back["account_id"].tolist() == ["A-1", "", "'=cmd()"]
    assert [float(v) if v else None for v in back["arr"]] == [1200.5, None, 3.0]
    assert back["open"].tolist() == ["True", "False", "True"]
    assert back["when"].tolist() == ["2025-01-02", "", "2025-03-04"]
    assert back["note"].tolist() == ['said "great", then left', "línea\nnueva", ""]
    if mixed:
        assert back["mixed"].tolist() == ["x", "2", ""]


@pytest.mark.parametrize("values, want", [
    (pd.to_timedelta([1, 2], unit="D"), ["1 days", "2 days"]),
    (pd.period_range("2025-01", periods=2, freq="M"), ["2025-01", "2025-02"]),
    ([dt.date(2025, 1, 1), dt.date(2025, 2, 1)], ["2025-01-01", "2025-02-01"]),
    ([decimal.Decimal("1.5"), decimal.Decimal("2")], ["1.5", "2"]),
    ([[1, 2], [3]], ["[1, 2]", "[3]"]),
    (["=cmd()", 3], ["'=cmd()", "3"]),
    (pd.Categorical(["a", "=b"]), ["a", "'=b"]),
])
def test_write_csv_safely_writes_any_column_a_table_may_hold(tmp_path: Path, values, want):
    path = write_csv_safely(pd.DataFrame({"c": values}), tmp_path / "out.csv")
    assert pd.read_csv(path, encoding="utf-8-sig", dtype=str)["c"].tolist() == want
