"""Benchmark pieces and the vectorised cleaning steps they motivated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.generate import _tag, parse_scale, scale_label
from benchmarks.run import format_table
from npsdiag import clean, sample
from npsdiag.clean import prepare
from npsdiag.io import from_frames


def _repeats_reference(r: pd.DataFrame, reason: pd.Series, window_days: float) -> pd.Series:
    """The per-respondent walk written as a plain loop (the definition the vectorised code must match)."""
    ok = reason.isna() & r["respondent_id"].notna() & r["responded_at"].notna()
    sub = r.loc[ok, ["respondent_id", "responded_at"]].sort_values(["respondent_id", "responded_at"], kind="stable")
    window = pd.Timedelta(days=window_days)
    out = pd.Series(False, index=r.index)
    for _, grp in sub.groupby("respondent_id", sort=False):
        last = None
        for idx, t in zip(grp.index, grp["responded_at"]):
            if last is not None and t - last < window:
                out[idx] = True
            else:
                last = t
    return out


@pytest.mark.parametrize("seed", range(12))
def test_vectorised_repeat_walk_matches_the_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 300))
    ids = rng.integers(0, max(1, n // int(rng.integers(1, 8))), n).astype(str).astype(object)
    ids[rng.random(n) < 0.05] = None
    days = rng.integers(0, 200, n) + rng.integers(0, 3, n) * 0.5  # ties and half days
    t = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D"))
    t[rng.random(n) < 0.05] = pd.NaT
    r = pd.DataFrame({"respondent_id": pd.Series(ids, dtype="string"), "responded_at": t})
    reason = pd.Series(pd.NA, index=r.index, dtype="string")
    reason[rng.random(n) < 0.1] = "duplicate"
    window = float(rng.choice([0.5, 7, 30, 90]))
    got = clean._repeats(r, reason, window)
    assert got.equals(_repeats_reference(r, reason, window))


def test_repeat_walk_keeps_a_chain_by_hand() -> None:
    # one respondent on days 0, 10, 20, 31, 35 with a 30-day window: keep 0, 31; repeats 10, 20, 35
    d = pd.DataFrame({"score": [9] * 5, "respondent_id": ["a"] * 5,
                      "responded_at": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-21", "2024-02-01",
                                                      "2024-02-05"])})
    prep = prepare(from_frames(d, settings={"repeat_window_days": 30}), as_of="2025-01-01")
    assert prep.flags["reason"].fillna("").tolist() == ["", "repeat_respondent", "repeat_respondent", "",
                                                        "repeat_respondent"]


def test_test_markers_are_whole_words_in_comments_and_ids() -> None:
    s = pd.Series(["TEST", "test@acme.com", "Testing123", "contest", "a test", None, "dummy", "ignore-me", "ok",
                   "Ignored.", "tester.jones@bank.com", "testimonials@acme.com", "qa+3@x.com"], dtype="string")
    # a comment is a test only when the marker is the whole text
    assert clean.is_test_comment(s).tolist() == [True, False, True, False, True, False, True, False, False,
                                                 False, False, False, False]
    # an id (or an address's local part) only when it is a test word, with digits or a +tag at most
    assert clean.is_test_id(s).tolist() == [True, True, True, False, False, False, True, False, False,
                                            False, False, False, True]


def test_prepared_caches_shared_results() -> None:
    d = pd.DataFrame({"score": [1, 9, 9], "responded_at": ["2024-01-01"] * 3, "account_id": ["a", "b", "a"]})
    prep = prepare(from_frames(d), as_of="2025-01-01")
    codes, uniques = prep.codes("account_id")
    assert codes.tolist() == [0, 1, 0] and list(uniques) == ["a", "b"]
    assert prep.codes("account_id")[0] is codes
    calls = []
    assert prep.cached("x", lambda: calls.append(1) or 42) == 42
    assert prep.cached("x", lambda: calls.append(1) or 43) == 42 and calls == [1]


def test_scales() -> None:
    assert parse_scale("100k") == 100_000 and parse_scale("1M") == 1_000_000 and parse_scale("2500") == 2500
    assert parse_scale("2.5m") == 2_500_000
    assert scale_label(10_000_000) == "10m" and scale_label(100_000) == "100k" and scale_label(1234) == "1234"
    with pytest.raises(ValueError):
        parse_scale("lots")


def test_chunks_get_distinct_ids_and_keep_test_addresses() -> None:
    t = sample.generate(n_accounts=30, seed=4)
    a, b = _tag(t, 0), _tag(t, 1)
    for col in ("Response ID", "Account ID", "Email"):
        both = pd.concat([a["responses"][col], b["responses"][col]]).dropna()
        assert not both[: len(a["responses"][col].dropna())].isin(b["responses"][col].dropna()).any()
    tagged = b["responses"]["Email"].dropna()
    assert tagged.str.contains("@c1.", regex=False).all()
    # a test address stays a test address once tagged (the local part is kept)
    tests = t["responses"]["Email"].str.lower().str.startswith("test@").fillna(False)
    if tests.any():
        assert clean.is_test_id(b["responses"].loc[tests, "Email"]).all()


def test_table_reports_targets() -> None:
    rec = {"scale": "1m", "format": "csv", "rows": {"responses": 1_000_000}, "input_mb": 400,
           "floor": {"wall_seconds": 20.0}, "e2e": {"wall_seconds": 50.0, "peak_tree_mb": 1500.0,
                                                    "report_bytes": 900_000, "seconds_split": {"execute": 45,
                                                                                              "render": 4}},
           "targets": {"ratio": 2.5, "within_3x_floor": True, "peak_mb": 1500.0, "peak_under_2gb": True,
                       "report_mb": 0.9, "report_under_5mb": True, "completes": True},
           "stages": {"timeline": [{"stage": "load", "seconds": 3.0, "peak_mb": 900.0}]}, "machine": {}}
    table = format_table([rec])
    assert "| 1,000,000 | CSV 400 MB | 20.0 s | 50.0 s | 2.5× | 1.46 GB | 0.9 MB |" in table
    rec["floor"]["wall_seconds_runs"] = [21.0, 20.0, 26.5]
    assert "| 20.0 s (20.0–26.5, 3 runs) | 50.0 s |" in format_table([rec])
    assert "≤3× floor ✓" in table and "| load | 3.0 s / 900 MB |" in table


def test_tree_memory_sums_the_resident_sets_of_the_process_tree() -> None:
    """A child process that allocates and touches 200 MB shows up in the tree's memory."""
    import subprocess
    import sys
    import time

    import psutil

    from benchmarks.run import _tree_bytes

    me = psutil.Process()
    alone = _tree_bytes([me], psutil)
    child = subprocess.Popen([sys.executable, "-c", "b = bytearray(200 * 2**20)\nfor i in range(0, len(b), 4096):"
                              "\n    b[i] = 1\nimport time; time.sleep(5)"])
    try:
        deadline = time.time() + 10
        grown = alone
        while time.time() < deadline and grown - alone < 200 * 2**20:
            time.sleep(0.2)
            grown = _tree_bytes([me, *me.children()], psutil)
        assert grown - alone > 200 * 2**20
    finally:
        child.kill()
        child.wait()


def test_repeated_runs_report_the_median_time_and_the_largest_peak() -> None:
    from benchmarks.run import _median_run

    runs = [{"wall_seconds": w, "peak_tree_mb": p, "tag": t}
            for w, p, t in [(22.0, 1800.0, "a"), (19.0, 1950.0, "b"), (20.5, 1700.0, "c")]]
    rec = _median_run(runs)
    assert rec["tag"] == "c" and rec["wall_seconds"] == 20.5  # the median run, not the fastest
    assert rec["peak_tree_mb"] == 1950.0  # the largest peak of all runs
    assert rec["wall_seconds_runs"] == [22.0, 19.0, 20.5]
    assert _median_run(runs[:2])["wall_seconds"] == 19.0  # even count: the lower median
    failed = {"wall_seconds": 3.0, "peak_tree_mb": 10.0, "error": "boom"}
    assert _median_run([runs[0], failed])["error"] == "boom"
    assert _median_run([runs[0]]) == runs[0]
