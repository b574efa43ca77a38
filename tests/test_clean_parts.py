"""prepare on large exports: the rows read are held once (analysed + excluded parts), and stay equal."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from npsdiag import io
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
    prep = prepare(data, now=pd.Timestamp("2025-01-01"))
    assert 0 < len(prep.responses) < len(before)  # both parts are non-empty: the split is exercised
    pd.testing.assert_frame_equal(prep.data.responses, before)
    # the analysed rows are exactly the rows without a reason, in file order (reference from the flags)
    analysed = before[prep.flags["reason"].isna().to_numpy()].reset_index(drop=True)
    pd.testing.assert_frame_equal(prep.responses.drop(columns="category"), analysed)
    assert prep.data.segments == ["Region"] and prep.segments == ["Region"]


def test_columns_and_segments_do_not_assemble_the_rows(monkeypatch):
    data = from_frames(_export(), segments=["Region"])
    prep = prepare(data, now=pd.Timestamp("2025-01-01"))

    def fail(self):
        raise AssertionError("assembled")

    monkeypatch.setattr(io._RowParts, "assemble", fail)
    assert "score" in prep.data.response_columns
    assert prep.segments == ["Region"] and prep.drivers == []


def test_a_failure_while_splitting_leaves_the_rows_read_whole(monkeypatch):
    data = from_frames(_export())
    before = data.responses.copy()
    calls = {"n": 0}
    delitem = pd.DataFrame.__delitem__

    def flaky(self, key):  # the split releases each column of the rows read once divided
        calls["n"] += 1
        if calls["n"] == 4:
            raise MemoryError("simulated")
        return delitem(self, key)

    monkeypatch.setattr(pd.DataFrame, "__delitem__", flaky)
    with pytest.raises(MemoryError):
        prepare(data, now=pd.Timestamp("2025-01-01"))
    monkeypatch.setattr(pd.DataFrame, "__delitem__", delitem)
    assert data.__dict__["_parts"] is not None  # it failed inside the split, after some columns were divided
    pd.testing.assert_frame_equal(data.responses, before)
    prep = prepare(data, now=pd.Timestamp("2025-01-01"))  # and it can be prepared again
    pd.testing.assert_frame_equal(prep.data.responses, before)


def test_prepared_data_pickles_and_old_pickles_still_load():
    data = from_frames(_export())
    before = data.responses.copy()
    prep = pickle.loads(pickle.dumps(prepare(data, now=pd.Timestamp("2025-01-01"))))
    pd.testing.assert_frame_equal(prep.data.responses, before)
    # a ClientData pickled before responses could be held in parts keeps 'responses' in its __dict__
    old = from_frames(_export())
    state = {k: v for k, v in old.__dict__.items() if k not in ("_responses", "_parts")}
    state["responses"] = before
    revived = io.ClientData.__new__(io.ClientData)
    revived.__dict__.update(state)
    pd.testing.assert_frame_equal(revived.responses, before)
    assert revived.response_columns == list(before.columns)


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
    prep = prepare(from_frames(_export()), now=pd.Timestamp("2025-01-01"))
    counts = prep.flags["reason"].value_counts()
    assert set(counts.index) <= set(REASONS)
    assert counts.sum() + len(prep.responses) == len(prep.flags) == int(prep.lineage["rows"].iloc[0])
    assert prep.flags["reason"].dtype == "str"


def test_excluded_rows_without_assembling(monkeypatch):
    data = from_frames(_export())
    before = data.responses.copy()
    prep = prepare(data, now=pd.Timestamp("2025-01-01"))
    reason = prep.flags["reason"]
    expected = before[reason.notna().to_numpy()].reset_index(drop=True)  # reference: filter the rows read
    expected["reason"] = reason.dropna().to_numpy()
    monkeypatch.setattr(io._RowParts, "assemble", lambda self: (_ for _ in ()).throw(AssertionError("assembled")))
    pd.testing.assert_frame_equal(prep.excluded, expected)
    monkeypatch.undo()
    clean_prep = prepare(from_frames(_export().head(3).assign(score=5.0, response_id=["a", "b", "c"],
                                                              comment="fine", respondent_id=["x", "y", "z"])),
                         now=pd.Timestamp("2025-01-01"))
    assert len(clean_prep.excluded) == 0 and "reason" in clean_prep.excluded


def test_prepared_repr_is_a_short_summary_not_every_table():
    from npsdiag.io import from_frames

    df = pd.DataFrame({"score": [10.0, 3.0, None, 8.0], "responded_at": pd.to_datetime(["2025-01-02"] * 4),
                       "comment": ["x" * 500] * 4})
    prep = prepare(from_frames(df))
    text = repr(prep)
    assert "4 response rows read, 3 analysed (2025-01-02 to 2025-01-02)" in text
    assert "missing_score 1" in text and "x" * 50 not in text and len(text.splitlines()) <= 3
