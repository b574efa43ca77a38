"""prepare: the rows read are held once, as the analysed rows and the excluded rows; the caller's data is
left as it was."""

from __future__ import annotations

import gc
import pickle

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from npsdiag.clean import REASONS, _repeats, prepare
from npsdiag.io import from_frames


def _export(n: int = 2000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "score": rng.integers(-1, 12, n).astype(float),
        "responded_at": (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")).astype(str),
        "respondent_id": rng.choice([f"p{i}" for i in range(500)] + [None], n),
        "response_id": [f"r{i}" for i in rng.integers(0, 1900, n)],
        "comment": rng.choice(["fine", "Test", "slow support", None], n),
        "Region": rng.choice(["EU", "US", None], n),
    })


def test_rows_read_stay_equal_and_analysed_rows_are_the_unflagged_ones():
    data = from_frames(_export(), segments=["Region"])
    before = data.responses.copy()
    prep = prepare(data, as_of=pd.Timestamp("2025-01-01"))
    assert 0 < len(prep.responses) < len(before)  # both parts are non-empty: the division is exercised
    pd.testing.assert_frame_equal(prep.rows_read, before)
    # the analysed rows are exactly the rows without a reason, in file order (reference from the flags)
    analysed = before[prep.flags["reason"].isna().to_numpy()].reset_index(drop=True)
    pd.testing.assert_frame_equal(prep.responses.drop(columns="category"), analysed)
    assert prep.data.segments == ["Region"] and prep.segments == ["Region"]


def test_the_callers_data_is_not_modified_and_prep_data_has_the_columns_without_rows():
    data = from_frames(_export(), segments=["Region"])
    responses = data.responses
    before = responses.copy()
    prep = prepare(data, as_of=pd.Timestamp("2025-01-01"))
    assert data.responses is responses
    pd.testing.assert_frame_equal(data.responses, before)
    assert prep.data is not data and prep.data.accounts is data.accounts and prep.data.config is data.config
    pd.testing.assert_frame_equal(prep.data.responses, before.iloc[:0])  # same columns and dtypes, no row
    assert prep.drivers == [] and prep.segments == ["Region"]


def test_a_failure_while_dividing_leaves_the_callers_rows_whole(monkeypatch):
    data = from_frames(_export())
    before = data.responses.copy()
    calls = {"n": 0}
    delitem = pd.DataFrame.__delitem__

    def flaky(self, key):  # the division releases each column of the rows read once divided
        calls["n"] += 1
        if calls["n"] == 4:
            raise MemoryError("simulated")
        return delitem(self, key)

    monkeypatch.setattr(pd.DataFrame, "__delitem__", flaky)
    with pytest.raises(MemoryError):
        prepare(data, as_of=pd.Timestamp("2025-01-01"))
    monkeypatch.setattr(pd.DataFrame, "__delitem__", delitem)
    assert calls["n"] == 4  # it failed inside the division, after some columns were divided
    pd.testing.assert_frame_equal(data.responses, before)
    prep = prepare(data, as_of=pd.Timestamp("2025-01-01"))  # and it can be prepared again
    pd.testing.assert_frame_equal(prep.rows_read, before)


def test_a_large_export_is_not_held_twice_once_the_caller_drops_its_data():
    n = 100_000
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"score": rng.integers(-1, 11, n).astype(float),
                       "responded_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
                       "comment": [f"a comment long enough to weigh something, number {i}" for i in range(n)]})
    data = from_frames(df)
    del df
    gc.collect()
    held = pa.total_allocated_bytes()  # the comments are pyarrow strings: their bytes are counted here
    prep = prepare(data, as_of=pd.Timestamp("2025-01-01"))
    assert 0 < len(prep.excluded) < n
    del data
    gc.collect()
    # analysed + excluded rows hold the comments once (not a second copy, nor a slice of the rows read)
    assert pa.total_allocated_bytes() < 1.2 * held


def test_prepared_data_pickles():
    data = from_frames(_export())
    before = data.responses.copy()
    prep = pickle.loads(pickle.dumps(prepare(data, as_of=pd.Timestamp("2025-01-01"))))
    pd.testing.assert_frame_equal(prep.rows_read, before)
    assert len(prep.data.responses) == 0 and len(prep.excluded) + len(prep.responses) == len(before)


def test_repeat_respondents_match_a_plain_walk():
    # reference: walk each respondent's responses in time order, keeping one only when it is at least the
    # window after the last kept one (ties: file order), written as a plain loop
    rng = np.random.default_rng(5)
    n = 3000
    r = pd.DataFrame({"respondent_id": pd.array(rng.choice([f"p{i}" for i in range(300)], n), dtype="string"),
                      "responded_at": pd.Timestamp("2024-01-01")
                      + pd.to_timedelta(rng.integers(0, 400 * 24, n), unit="h")})
    got = _repeats(r, np.ones(n, dtype=bool), 30).to_numpy()
    expected = np.zeros(n, dtype=bool)
    order = sorted(range(n), key=lambda i: (r["respondent_id"][i], r["responded_at"][i], i))
    last: dict[str, pd.Timestamp] = {}
    for i in order:
        who, when = r["respondent_id"][i], r["responded_at"][i]
        if who in last and when - last[who] < pd.Timedelta(days=30):
            expected[i] = True
        else:
            last[who] = when
    np.testing.assert_array_equal(got, expected)


def test_every_reason_is_counted_once():
    prep = prepare(from_frames(_export()), as_of=pd.Timestamp("2025-01-01"))
    counts = prep.flags["reason"].value_counts()
    assert set(counts.index) <= set(REASONS)
    assert counts.sum() + len(prep.responses) == len(prep.flags) == int(prep.lineage["rows"].iloc[0])
    assert prep.flags["reason"].dtype == "str"


def test_excluded_rows_are_the_flagged_rows_as_read_with_their_reason():
    data = from_frames(_export())
    before = data.responses.copy()
    prep = prepare(data, as_of=pd.Timestamp("2025-01-01"))
    reason = prep.flags["reason"]
    expected = before[reason.notna().to_numpy()].reset_index(drop=True)  # reference: filter the rows read
    expected["reason"] = reason.dropna().to_numpy()
    pd.testing.assert_frame_equal(prep.excluded, expected)
    clean_prep = prepare(from_frames(_export().head(3).assign(score=5.0, response_id=["a", "b", "c"],
                                                              comment="fine", respondent_id=["x", "y", "z"])),
                         as_of=pd.Timestamp("2025-01-01"))
    assert len(clean_prep.excluded) == 0 and "reason" in clean_prep.excluded
    assert list(clean_prep.excluded.columns) == [*clean_prep.data.responses.columns, "reason"]
    pd.testing.assert_frame_equal(clean_prep.rows_read, clean_prep.responses.drop(columns="category"))


def test_no_row_analysed():
    data = from_frames(_export(50).assign(score=np.nan))
    prep = prepare(data, as_of=pd.Timestamp("2025-01-01"))
    assert len(prep.responses) == 0 and "category" in prep.responses and len(prep.excluded) == 50
    pd.testing.assert_frame_equal(prep.rows_read, data.responses)
    assert prep.excluded["reason"].eq("missing_score").all()


def test_respondent_codes_of_the_repeat_rule_are_the_analysed_rows_codes():
    prep = prepare(from_frames(_export()), as_of=pd.Timestamp("2025-01-01"))
    assert prep.has_codes("respondent_id")  # recorded by prepare, from the codes the repeat rule used
    codes, uniques = prep.codes("respondent_id")
    expected_codes, expected_uniques = pd.factorize(prep.responses["respondent_id"])  # reference: hash again
    np.testing.assert_array_equal(codes, expected_codes)
    assert list(uniques) == list(expected_uniques)


def test_prepared_repr_is_a_short_summary_not_every_table():
    df = pd.DataFrame({"score": [10.0, 3.0, None, 8.0], "responded_at": pd.to_datetime(["2025-01-02"] * 4),
                       "comment": ["x" * 500] * 4})
    prep = prepare(from_frames(df))
    text = repr(prep)
    assert "4 response rows read, 3 analysed (2025-01-02 to 2025-01-02)" in text
    assert "missing_score 1" in text and "x" * 50 not in text and len(text.splitlines()) <= 3


# --------------------------------------------------------------------------- test responses (issue 16, item 9)

#: Real customers that the old rule (a test word at the start of the comment or id) excluded as tests.
REAL_COMMENTS = ["Ignored.", "Ignored for three weeks by support", "Testing the new release was painful",
                 "Tests keep failing after the upgrade", "Dummy-proof setup, love it", "testimonials are fake",
                 "Dumb pricing", "I'd ignore the survey if I could", "Quality is great", "ok"]
TEST_COMMENTS = ["test", "TEST", "Test.", "testing", "Testing 123", "test test", "ignore", "Please ignore",
                 "please ignore this", "dummy", "Dummy response", "this is a test", "This is just a test!",
                 "test response", " test 2 "]
REAL_IDS = ["tester.jones@bank.com", "testimonials@acme.com", "quality@acme.com", "test.user.lee@bank.com",
            "dummond@x.com", "ignatius@x.com", "qatar.office@x.com", "p17"]
TEST_IDS = ["test@x.com", "Test1@client.com", "qa+3@x.com", "QA@x.com", "test+survey@x.com", "dummy_2@x.org",
            "testing@x.com", "ignore@x.com", "test", "TEST-2"]


def test_test_markers_are_whole_comments_and_whole_address_local_parts():
    from npsdiag.clean import is_test_comment, is_test_id

    comments = pd.Series(REAL_COMMENTS + TEST_COMMENTS + [None], dtype="string")
    assert is_test_comment(comments).tolist() == [False] * len(REAL_COMMENTS) + [True] * len(TEST_COMMENTS) + [False]
    ids = pd.Series(REAL_IDS + TEST_IDS + [None], dtype="string")
    assert is_test_id(ids).tolist() == [False] * len(REAL_IDS) + [True] * len(TEST_IDS) + [False]
    # an id that is a test word is only a test id in the id column: as a comment "qa+3@x.com" is a comment
    assert not is_test_comment(pd.Series(["qa+3@x.com"], dtype="string")).iloc[0]


def test_real_customers_with_test_like_words_are_analysed_and_test_rows_excluded():
    n_real, n_test = len(REAL_COMMENTS), len(TEST_COMMENTS)
    d = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(n_real + n_test + len(REAL_IDS) + len(TEST_IDS))],
        "respondent_id": [f"c{i}@client.com" for i in range(n_real + n_test)] + REAL_IDS + TEST_IDS,
        "comment": REAL_COMMENTS + TEST_COMMENTS + ["fine"] * (len(REAL_IDS) + len(TEST_IDS)),
        "score": 8.0,
        "responded_at": pd.Timestamp("2024-03-01") + pd.to_timedelta(np.arange(n_real + n_test + 18), unit="D"),
    })
    prep = prepare(from_frames(d), as_of="2024-12-31")
    reason = prep.flags["reason"].fillna("analysed").tolist()
    test_rows = set(range(n_real, n_real + n_test)) | set(range(n_real + n_test + len(REAL_IDS), len(d)))
    assert [i for i, r in enumerate(reason) if r == "test_response"] == sorted(test_rows)
    assert "Ignored." in prep.responses["comment"].tolist()
    assert {"tester.jones@bank.com", "testimonials@acme.com"} <= set(prep.responses["respondent_id"])
