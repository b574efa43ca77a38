"""pipeline.AreaRunner: the areas computed on two cores give exactly what one process gives, and nothing
depends on the second process (it may fail, die or hang: the kernel computes the area itself)."""

from __future__ import annotations

import json
import os
import time

import pandas as pd
import pytest

from npsdiag import clean, io, pipeline, report
from npsdiag.config import load_config
from npsdiag.findings import AreaResult, Finding

TWO_CORES = pipeline.available_cores() >= 2
needs_two = pytest.mark.skipif(not TWO_CORES, reason="this machine lets a process use a single CPU only")
PARENT = os.getpid()


@pytest.fixture(scope="module")
def demo_data(root):
    return io.load(load_config(root / "examples" / "demo" / "config.yml"))


@pytest.fixture()
def tiny():
    rows = pd.DataFrame({"score": [0.0, 5, 9, 10, 10, 7], "responded_at": pd.Timestamp("2025-03-01"),
                         "respondent_id": list("abcdef")})
    return clean.prepare(io.from_frames(rows))


def _findings(results):
    return json.dumps([[r.area, r.status, [(f.id, f.severity, f.evidence) for f in r.findings]] for r in results],
                      default=str)


# --------------------------------------------------------------------------- same results either way


def test_two_processes_give_the_same_findings_and_html_as_one(demo_data):
    fns = list(pipeline.AREA_FUNCTIONS().values())
    one = pipeline.AreaRunner(clean.prepare(demo_data), fns, redact=True, cores=1)
    html_one = [one.html(f) for f in fns]
    assert set(one.summary["computed_in"]) == {"this process"}
    prep = clean.prepare(demo_data)
    two = pipeline.AreaRunner(prep, fns, redact=True)
    html_two = [two.html(f) for f in fns]
    assert _findings(two.results()) == _findings(one.results())
    assert html_two == html_one  # figures included: the same PNG bytes
    if TWO_CORES:
        where = dict(zip(two.summary["area"], two.summary["computed_in"], strict=True))
        # the costliest area is always started by the second process, the first is always computed here
        assert where["decay"] == "second process" and where["reliability"] == "this process"
        if where["decay"] == "second process":
            # the callback queue the decay area built is handed back, so write_outputs does not build it again
            assert any(k.startswith("callback_queue") for k in prep._cache)
    two.close()
    one.close()


def test_result_is_the_function_of_prep_and_names_are_checked(tiny):
    runner = pipeline.AreaRunner(tiny, [_first, _second], cores=1)
    assert runner.result(_second).summary == "second on 6"
    assert runner.result("_first") is runner.result(_first)
    with pytest.raises(KeyError, match="not one of this runner's areas"):
        runner.result(_raises_everywhere)
    with pytest.raises(ValueError, match="once"):
        pipeline.AreaRunner(tiny, [_first, _first], cores=1)
    assert "2 areas" in repr(runner)


def _first(prep) -> AreaResult:
    return AreaResult("reliability", [Finding("reliability.small_sample", "low", "t")],
                      summary=f"first on {len(prep.responses)}")


def _second(prep) -> AreaResult:
    prep.cached("from-second", lambda: pd.Series([1, 2, 3]))
    return AreaResult("balance", summary=f"second on {len(prep.responses)}")


def _fails_in_child(prep) -> AreaResult:
    if os.getpid() != PARENT:
        raise RuntimeError("only in the second process")
    return AreaResult("decay", summary="computed by the kernel")


def _dies_in_child(prep) -> AreaResult:
    if os.getpid() != PARENT:
        os._exit(3)  # as if killed for memory
    return AreaResult("decay", summary="computed by the kernel")


def _hangs_in_child(prep) -> AreaResult:
    if os.getpid() != PARENT:
        time.sleep(600)  # no CPU progress: a stall
    return AreaResult("decay", summary="computed by the kernel")


def _raises_everywhere(prep) -> AreaResult:
    raise ZeroDivisionError("a bug in an area")


@needs_two
def test_the_second_process_hands_back_results_and_shared_intermediates(tiny):
    runner = pipeline.AreaRunner(tiny, [_first, _second])
    time.sleep(0.5)  # the second process claims _second (the last area) at once
    assert runner.result(_second).summary == "second on 6"
    assert runner.summary.set_index("area").loc["_second", "computed_in"] == "second process"
    assert list(tiny.cached("from-second", lambda: None)) == [1, 2, 3]  # shipped back with the result
    runner.close()


@needs_two
@pytest.mark.parametrize("fn", [_fails_in_child, _dies_in_child])
def test_a_failing_or_dead_second_process_is_replaced_by_the_kernel(tiny, fn):
    runner = pipeline.AreaRunner(tiny, [_first, fn])
    time.sleep(0.3)
    assert runner.result(fn).summary == "computed by the kernel"
    assert runner.summary.set_index("area").loc[fn.__name__, "computed_in"] == "this process"
    runner.close()


@needs_two
def test_a_hanging_second_process_is_stopped(tiny, monkeypatch):
    monkeypatch.setattr(pipeline, "STALL_SECONDS", 1.0)
    runner = pipeline.AreaRunner(tiny, [_first, _hangs_in_child])
    time.sleep(0.5)  # the second process claims the last area at once, then hangs in it
    t0 = time.monotonic()
    assert runner.result(_hangs_in_child).summary == "computed by the kernel"
    assert time.monotonic() - t0 < 10
    pid = runner._pid
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # stopped and reaped
    runner.close()


@needs_two
def test_an_area_error_surfaces_in_the_kernel_with_its_own_type(tiny):
    runner = pipeline.AreaRunner(tiny, [_first, _raises_everywhere])
    with pytest.raises(ZeroDivisionError, match="a bug in an area"):
        runner.result(_raises_everywhere)
    runner.close()


@needs_two
def test_close_stops_the_second_process_and_removes_its_scratch_folder(tiny):
    runner = pipeline.AreaRunner(tiny, [_first, _hangs_in_child])
    time.sleep(0.5)
    tmp, pid = runner._tmp, runner._pid
    assert os.path.isdir(tmp) and pid
    runner.close()
    assert not os.path.exists(tmp)
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_one_core_is_used_where_asked_or_where_forking_is_unsafe(monkeypatch):
    assert pipeline.available_cores(1) == 1
    monkeypatch.setattr(pipeline.sys, "platform", "darwin")
    assert pipeline.available_cores() == 1


def test_report_html_of_a_runner_equals_area_html(tiny):
    runner = pipeline.AreaRunner(tiny, [_first], redact=True, cores=1)
    assert runner.html(_first) == report.area_html(runner.result(_first), True)
    assert "<table" in runner._repr_html_()


def test_no_second_process_without_memory_headroom(tiny, monkeypatch):
    monkeypatch.setattr(pipeline, "MEMORY_HEADROOM", 1e9)  # as if the machine had no memory to spare
    runner = pipeline.AreaRunner(tiny, [_first, _second])
    assert runner._pid is None and runner.result(_second).summary == "second on 6"
    assert "one process" in repr(runner)


def _hook_area(prep) -> AreaResult:
    return AreaResult("segmentation", summary=str(prep.cached("hooked", lambda: "by the area")))


def shared_inputs(prep) -> None:
    """This test module's own hook: AreaRunner finds it through the areas' __module__."""
    prep.cached("hooked", lambda: f"shared inputs computed in {os.getpid()}")


def _slow_here(prep) -> AreaResult:
    time.sleep(1.0 if os.getpid() == PARENT else 0)
    return AreaResult("reliability")


def _slow_there(prep) -> AreaResult:
    time.sleep(3.0 if os.getpid() != PARENT else 0)
    return AreaResult("decay")


@needs_two
def test_shared_inputs_come_from_the_second_process(tiny):
    """The second process computes the modules' shared_inputs first and hands them back: the kernel's second
    area (computed here, while the second process is busy with the last one) finds them in its cache."""
    runner = pipeline.AreaRunner(tiny, [_slow_here, _hook_area, _slow_there])
    child = runner._pid
    runner.result(_slow_here)
    res = runner.result(_hook_area)
    assert runner.summary.set_index("area").loc["_hook_area", "computed_in"] == "this process"
    assert res.summary == f"shared inputs computed in {child}"
    assert runner.result(_slow_there).area == "decay"
    runner.close()


def test_decay_shared_inputs_fill_the_caches_the_areas_read(demo_data):
    from npsdiag.diagnoses import decay

    prep = clean.prepare(demo_data)
    decay.shared_inputs(prep)
    assert {"invitation_match:first_response", "accounts:rows_of_response_accounts",
            "codes:responses:account_id"} <= set(prep._cache)
    before = dict(prep._cache)
    decay.diagnose(prep)
    assert all(prep._cache[k] is v for k, v in before.items())  # reused, not recomputed


def _prints_ahead(prep) -> AreaResult:
    print("note from the third area")
    return AreaResult("segmentation", summary="third")


def _fails_ahead(prep) -> AreaResult:
    raise ZeroDivisionError("a bug in the third area")


def test_the_second_process_takes_the_costliest_areas_first(tiny, monkeypatch):
    monkeypatch.setattr(pipeline, "AREA_COST", {"_second": 5.0, "_first": 2.0})
    runner = pipeline.AreaRunner(tiny, [_first, _second, _prints_ahead, _slow_there], cores=1)
    # costliest first; equal costs (1.0 for areas AREA_COST does not know): the later area first
    assert [runner.names[i] for i in runner._second_order()] == ["_second", "_first", "_slow_there", "_prints_ahead"]


@needs_two
@pytest.mark.parametrize("ahead", [_prints_ahead, _fails_ahead])
def test_the_kernel_computes_the_next_area_while_the_second_process_finishes_one(tiny, monkeypatch, capsys, ahead):
    """The notebook asks for an area the second process is still computing: the kernel computes the next
    unclaimed one meanwhile, and what that area printed (or raised) shows in its own cell, not in this one."""
    monkeypatch.setattr(pipeline, "AREA_COST", {"_slow_there": 9.0})
    runner = pipeline.AreaRunner(tiny, [_first, _slow_there, ahead])
    runner.result(_first)
    time.sleep(0.3)  # the second process has claimed _slow_there (3 s)
    capsys.readouterr()
    assert runner.result(_slow_there).area == "decay"
    where = runner.summary.set_index("area")["computed_in"]
    assert where["_slow_there"] == "second process"
    assert "third area" not in capsys.readouterr().err  # nothing of the area computed ahead shows here
    if ahead is _prints_ahead:
        assert where["_prints_ahead"] == "this process"  # computed while waiting for _slow_there
        assert runner.result(_prints_ahead).summary == "third"
        assert "note from the third area" in capsys.readouterr().err
        assert runner.html(_prints_ahead) == report.area_html(runner.result(_prints_ahead), False)
    else:
        with pytest.raises(ZeroDivisionError, match="third area"):
            runner.result(_fails_ahead)
    runner.close()
