"""``make bench``: wall time and peak memory of npsdiag, per stage and end to end, against the floor.

For each scale (responses; default 100k and 1M, CSV; 10M from Parquet) the
harness generates the export if needed (:mod:`benchmarks.generate`) and runs,
each in a fresh child process so that one measurement never inherits
another's memory:

1. **stages** — in-process, one after the other as the notebook runs them:
   imports, ``io.load``, ``clean.prepare``, each area's ``diagnose``,
   ``diagnosis.assemble``, the report HTML of each area (tables and figures)
   and of the front/back matter, ``outputs.write_outputs``. Peak memory per
   stage is the process's peak resident set during that stage (the kernel's
   high-water mark, reset at the start of each stage through
   ``/proc/self/clear_refs``), so it includes the data held from earlier
   stages — what the machine must have.
2. **end to end** — ``npsdiag.runner.run`` (Papermill executes
   ``notebooks/diagnose.ipynb`` in a kernel, nbconvert renders the report).
   Peak memory is the largest memory of the process tree (runner + kernel),
   the sum of their resident sets sampled every 50 ms.
3. **floor** — Papermill runs ``benchmarks/floor.ipynb``, which only reads the
   same files with pandas, and nbconvert renders it the same way: the least a
   notebook-based report of this export can cost.

The floor and the end-to-end run are measured ``--repeat`` times (default 3,
once at 10M), alternately, and the medians are reported.

Targets (issues 9 and 15): 1M responses end to end within 3x the floor and under
2 GB peak memory; 10M (Parquet) completes on a 2-core, 24 GB machine; the
report under 5 MB at every scale.

Results go to ``benchmarks/results/<scale>-<format>.json`` (git-ignored); a
markdown table of every result there is printed and written to
``benchmarks/results/table.md``.

Usage::

    python -m benchmarks.run                       # 100k and 1m (CSV)
    python -m benchmarks.run --scale 10m           # Parquet at 10M
    python -m benchmarks.run --scale 1m --only e2e --only floor
    python -m benchmarks.run --table               # only print the table of saved results
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FLOOR_NOTEBOOK = ROOT / "benchmarks" / "floor.ipynb"
KINDS = ("stages", "e2e", "floor")
#: Targets of issue 9.
TARGET_RATIO = 3.0
TARGET_PEAK_MB = 2048.0
TARGET_REPORT_MB = 5.0
POLL_SECONDS = 0.05
#: Times the floor and the end-to-end run are measured below 10M responses (medians are reported): on this
#: 2-core virtual machine the same run varies by up to 25% from one time to the next.
REPEAT = 3

__all__ = ["run_scale", "format_table", "main", "TARGET_RATIO", "TARGET_PEAK_MB", "TARGET_REPORT_MB"]


# --------------------------------------------------------------------------- memory of this process


def _status_kb(key: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter of this process (Linux >= 4.0); False when impossible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    kb = _status_kb("VmHWM")
    return (kb if kb is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def _rss_mb() -> float:
    kb = _status_kb("VmRSS")
    return (kb or 0.0) / 1024


# --------------------------------------------------------------------------- child processes


class _Stages:
    """Runs stages one after the other, recording the seconds and peak memory of each (written after each)."""

    def __init__(self, out_json: str) -> None:
        self.out_json = out_json
        self.timeline: list[dict[str, Any]] = []

    def __call__(self, name: str, fn):
        import gc

        gc.collect()
        _reset_peak()
        start = time.perf_counter()
        rec: dict[str, Any] = {"stage": name}
        value = None
        try:
            value = fn()
        except Exception as exc:  # noqa: BLE001 - an area under construction must not stop the benchmark
            rec["error"] = f"{type(exc).__name__}: {exc}"
            rec["traceback"] = traceback.format_exc(limit=6)
        rec["seconds"] = round(time.perf_counter() - start, 3)
        rec["peak_mb"] = round(_peak_mb(), 1)
        rec["rss_end_mb"] = round(_rss_mb(), 1)
        self.timeline.append(rec)
        # written after every stage, so that a run stopped for time or memory still reports how far it got
        Path(self.out_json).write_text(json.dumps({"timeline": self.timeline, "partial": True}, indent=2),
                                       encoding="utf-8")
        print(f"    {name:28s} {rec['seconds']:8.2f} s {rec['peak_mb']:9.0f} MB"
              + (f"  ERROR {rec['error'][:80]}" if "error" in rec else ""), file=sys.stderr, flush=True)
        return value


def _imports() -> dict[str, Any]:
    from npsdiag import clean, deliver, diagnosis, io, report, story  # noqa: F401
    from npsdiag.areas import registry
    from npsdiag.config import load_config  # noqa: F401

    return {a.name: a.diagnose for a in registry.AREAS}


def _report_stages(stage: _Stages, prep, results: dict[str, Any]) -> dict[str, int]:
    """The notebook's steps after the areas, one stage each: the story, the client report, the appendix (each
    area's HTML), and the files of the deliverable (brief, data pack, private annex, findings.json, CSVs)."""
    from npsdiag import deliver, diagnosis, report, story

    diag = stage("assemble", lambda: diagnosis.assemble(prep, results))
    if diag is None:
        return {}
    redact, conf = bool(prep.settings.redact_pii), prep.settings.confidence
    client = stage("story: owners' aliases", lambda: story.anonymise(diag, story.owner_aliases(prep)))
    told = stage("story: messages, value, risk", lambda: story.tell(client, prep))
    if client is None or told is None:
        return {}
    trend = stage("story: trend", lambda: report.headline_trend(prep, freq="Q"))

    def _client_report() -> str:
        change = report.trend_change(trend, conf, prep=prep, freq="Q")
        return (report.cover(client, told, confidence=conf)
                + report.summary(client, told, change=change, redact=redact, confidence=conf)
                + report.action_plan(told) + report.gaps(told) + report.since(told) + report.exhibits(told, redact)
                + report.at_a_glance(client, told, redact) + report.footer(client))

    sizes = {"client report": len(stage("html: client report", _client_report) or "")}
    for name, res in client.areas.items():
        sizes[name] = len(stage(f"html: appendix {name}", lambda res=res: report.area_html(res, redact)) or "")
    with tempfile.TemporaryDirectory() as tmp:
        stage("deliverable files", lambda: deliver.write_deliverable(diag, client, told, prep, tmp))
    return sizes


def _child_stages(config: str, out_json: str) -> None:
    """Run the diagnosis in-process stage by stage, recording seconds and peak memory of each."""
    stage = _Stages(out_json)
    resettable = _reset_peak()
    areas = stage("import", _imports) or {}
    from npsdiag import clean, io
    from npsdiag.config import load_config

    cfg = load_config(config)
    loaded = [stage("load", lambda: io.load(cfg))]
    # as the notebook: once prepared, the rows read are held by the prepared data alone
    prep = stage("prepare", lambda: clean.prepare(loaded.pop())) if loaded[0] is not None else None
    sizes: dict[str, int] = {}
    if prep is not None:
        results = {name: res for name, fn in areas.items()
                   if (res := stage(f"area: {name}", lambda fn=fn: fn(prep))) is not None}
        sizes = _report_stages(stage, prep, results)
    out = {"timeline": stage.timeline, "peak_reset": resettable, "html_chars": sizes,
           "rows_read": int(len(prep.flags)) if prep is not None else None,
           "rows_analysed": int(len(prep.responses)) if prep is not None else None,
           "peak_process_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    Path(out_json).write_text(json.dumps(out, indent=2), encoding="utf-8")


def _child_e2e(config: str, output: str, out_json: str) -> None:
    """``npsdiag.runner.run`` as ``npsdiag run`` does it."""
    from npsdiag.runner import run

    t0 = time.perf_counter()
    rec: dict[str, Any] = {}
    try:
        res = run(config, output, progress=False)
        rec["seconds_split"] = {k: round(v, 2) for k, v in res.seconds.items()}
        rec["report_bytes"] = res.report.stat().st_size
        rec["files"] = {p.name: p.stat().st_size for p in res.files if p.exists()}
    except Exception as exc:  # noqa: BLE001
        rec["error"] = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
    rec["seconds_in_process"] = round(time.perf_counter() - t0, 2)
    rec["peak_kernel_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    rec["peak_runner_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    Path(out_json).write_text(json.dumps(rec, indent=2), encoding="utf-8")


def _child_floor(files: list[str], output: str, out_json: str) -> None:
    """Papermill runs the floor notebook (read the files with pandas), nbconvert renders it."""
    import papermill as pm

    from npsdiag.runner import render

    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    rec: dict[str, Any] = {}
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(str(FLOOR_NOTEBOOK), str(out / "floor.ipynb"), parameters={"files": files},
                            kernel_name="python3", cwd=str(out), progress_bar=False, log_output=False,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"])  # as npsdiag.runner.run
        rec["seconds_split"] = {"execute": round(time.perf_counter() - t0, 2)}
        t1 = time.perf_counter()
        html = render(out / "floor.ipynb", title="floor")
        (out / "floor.html").write_text(html, encoding="utf-8")
        rec["seconds_split"]["render"] = round(time.perf_counter() - t1, 2)
        rec["report_bytes"] = (out / "floor.html").stat().st_size
    except Exception as exc:  # noqa: BLE001
        rec["error"] = f"{type(exc).__name__}: {exc}"
    rec["seconds_in_process"] = round(time.perf_counter() - t0, 2)
    rec["peak_kernel_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    rec["peak_runner_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    Path(out_json).write_text(json.dumps(rec, indent=2), encoding="utf-8")


# --------------------------------------------------------------------------- parent side


def _tree_bytes(procs: list[Any], psutil: Any) -> int:
    """The memory a process tree holds: the sum of its processes' resident sets (none shares pages by forking)."""
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def _spawn(args: list[str], timeout: float | None, max_memory_mb: float | None = None) -> dict[str, Any]:
    """Run ``python -m benchmarks.run --child ...`` and watch its process tree's memory.

    The tree is stopped when it runs longer than ``timeout`` seconds or uses
    more than ``max_memory_mb`` (so that a benchmark never pushes a shared
    machine into swapping or the OOM killer).
    """
    import psutil

    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out_json = fh.name
    cmd = [sys.executable, "-m", "benchmarks.run", "--child", *args, out_json]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=str(ROOT))
    ps = psutil.Process(proc.pid)
    peak_tree = 0.0
    timed_out = False
    over_memory = False
    while proc.poll() is None:
        try:
            procs = [ps, *ps.children(recursive=True)]
            total = _tree_bytes(procs, psutil)
            peak_tree = max(peak_tree, total / 2**20)
        except psutil.NoSuchProcess:
            break
        over_memory = bool(max_memory_mb) and peak_tree > max_memory_mb
        timed_out = bool(timeout) and time.perf_counter() - t0 > timeout
        if timed_out or over_memory:
            for p in [*ps.children(recursive=True), ps]:
                try:
                    p.kill()
                except psutil.NoSuchProcess:
                    pass
            break
        time.sleep(POLL_SECONDS)
    proc.wait()
    wall = time.perf_counter() - t0
    rec: dict[str, Any] = {}
    try:
        rec = json.loads(Path(out_json).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        rec["error"] = f"the child process exited with code {proc.returncode}"
    finally:
        Path(out_json).unlink(missing_ok=True)
    rec.update({"wall_seconds": round(wall, 2), "peak_tree_mb": round(peak_tree, 1), "exit_code": proc.returncode})
    if timed_out:
        rec["error"] = f"timed out after {timeout:.0f} s"
    if over_memory:
        rec["error"] = f"stopped: the process tree used more than {max_memory_mb / 1024:.1f} GB"
    if (timed_out or over_memory) and rec.get("timeline") is not None:
        rec["stopped_after"] = rec["timeline"][-1]["stage"] if rec["timeline"] else None
    return rec


def _machine() -> dict[str, Any]:
    import numpy
    import pandas
    import psutil

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=False).stdout.strip()
    except OSError:
        commit = ""
    return {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "pandas": pandas.__version__, "numpy": numpy.__version__,
            "platform": platform.platform(), "commit": commit,
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def _targets(rec: dict[str, Any]) -> dict[str, Any]:
    e2e, floor = rec.get("e2e") or {}, rec.get("floor") or {}
    out: dict[str, Any] = {}
    if e2e and not e2e.get("error"):
        out["completes"] = True
        out["report_mb"] = round(e2e["report_bytes"] / 1e6, 2)
        out["report_under_5mb"] = out["report_mb"] < TARGET_REPORT_MB
        out["peak_mb"] = e2e["peak_tree_mb"]
        out["peak_under_2gb"] = e2e["peak_tree_mb"] < TARGET_PEAK_MB
        if floor and not floor.get("error"):
            out["ratio"] = round(e2e["wall_seconds"] / floor["wall_seconds"], 2)
            out["within_3x_floor"] = out["ratio"] <= TARGET_RATIO
    elif e2e or (rec.get("stages") or {}).get("error"):
        out["completes"] = False  # the end-to-end run failed, or the in-process stages were stopped
    return out


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One record for repeated runs: the run of median wall time, with every run's wall time and the largest
    peak memory of them all (a failed run is the record, so that the failure shows)."""
    failed = [r for r in runs if r.get("error")]
    if failed:
        return failed[0]
    ordered = sorted(runs, key=lambda r: r["wall_seconds"])
    rec = dict(ordered[(len(ordered) - 1) // 2])  # the lower median of an even number
    if len(runs) > 1:
        rec["wall_seconds_runs"] = [r["wall_seconds"] for r in runs]
        rec["peak_tree_mb_runs"] = [r["peak_tree_mb"] for r in runs]
        rec["peak_tree_mb"] = max(r["peak_tree_mb"] for r in runs)
    return rec


def run_scale(responses: int, fmt: str, kinds: tuple[str, ...] = KINDS, timeout: float | None = None,
              keep_reports: bool = True, max_memory_mb: float | None = None,
              repeat: int | None = None) -> dict[str, Any]:
    """Measure one scale; returns (and saves) its result record.

    The floor and the end-to-end run are measured ``repeat`` times, alternately (default :data:`REPEAT`, once
    at 10M); the record keeps the run of median wall time of each, every run's wall time, and the largest peak
    memory of all runs.
    """
    from benchmarks.generate import TABLES, ensure, scale_label

    label = scale_label(responses)
    manifest = ensure(responses, formats=(fmt,))
    folder = Path(manifest["folder"])
    config = manifest["configs"][fmt]
    path = RESULTS / f"{label}-{fmt}.json"
    RESULTS.mkdir(parents=True, exist_ok=True)
    rec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    rec.update({"scale": label, "format": fmt, "rows": manifest["rows"], "machine": _machine(),
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "input_mb": round(sum(b for n, b in manifest["bytes"].items() if n.endswith(fmt)) / 1e6, 1)})
    out_dir = RESULTS / "reports" / f"{label}-{fmt}"
    if repeat is None:
        repeat = 1 if responses >= 10_000_000 else REPEAT
    files = [str(folder / f"{t}.{fmt}") for t in TABLES]
    floors: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    for i in range(repeat):  # the floor and the run alternate, so that both see the machine in the same state
        tag = f" ({i + 1} of {repeat})" if repeat > 1 else ""
        if "floor" in kinds:
            print(f"  floor{tag}: papermill + nbconvert of a notebook that only reads the {label} export",
                  file=sys.stderr, flush=True)
            floors.append(_spawn(["floor", json.dumps(files), str(out_dir / "floor")], timeout, max_memory_mb))
            _say(floors[-1])
        if "e2e" in kinds:
            print(f"  end to end{tag}: npsdiag run on {label} ({fmt})", file=sys.stderr, flush=True)
            runs.append(_spawn(["e2e", config, str(out_dir / "report")], timeout, max_memory_mb))
            _say(runs[-1])
            if runs[-1].get("error"):
                break
    if floors:
        rec["floor"] = _median_run(floors)
        rec.pop("floor_tuned", None)
    if runs:
        rec["e2e"] = _median_run(runs)
        if not keep_reports:
            import shutil

            shutil.rmtree(out_dir / "report", ignore_errors=True)
    if "stages" in kinds:
        print(f"  stages (in-process) on {label} ({fmt})", file=sys.stderr, flush=True)
        rec["stages"] = _spawn(["stages", config], timeout, max_memory_mb)
        _say(rec["stages"])
    rec["targets"] = _targets(rec)
    path.write_text(json.dumps(rec, indent=2), encoding="utf-8")
    return rec


def _say(r: dict[str, Any]) -> None:
    msg = f"    {r['wall_seconds']:.1f} s, peak {r['peak_tree_mb']:.0f} MB (process tree)"
    if r.get("error"):
        msg += f"  ERROR: {r['error'][:300]}"
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- table


def _load_results() -> list[dict[str, Any]]:
    recs = []
    for p in sorted(RESULTS.glob("*.json")):
        try:
            recs.append(json.loads(p.read_text(encoding="utf-8")))
        except ValueError:
            continue
    return sorted(recs, key=lambda r: (r.get("rows", {}).get("responses", 0), r.get("format", "")))


def _fmt_s(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v:.1f}" if v < 100 else f"{v:.0f}"


def _fmt_mb(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v / 1024:.2f} GB" if v >= 1024 else f"{v:.0f} MB"


def _fmt_runs(rec: dict[str, Any]) -> str:
    """Wall time, with the range over repeated runs when there were several (the time shown is their median)."""
    runs = rec.get("wall_seconds_runs") or []
    text = f"{_fmt_s(rec.get('wall_seconds'))} s"
    if len(runs) > 1:
        text += f" ({_fmt_s(min(runs))}–{_fmt_s(max(runs))}, {len(runs)} runs)"
    return text


def _target_marks(r: dict[str, Any]) -> str:
    """The targets a result meets (✓) or misses (✗): time and memory at 1M, completion at 10M, report size."""
    t, e2e = r.get("targets") or {}, r.get("e2e") or {}
    scale = r.get("scale")
    ok = []
    if "within_3x_floor" in t and scale == "1m":
        ok.append("≤3× floor " + ("✓" if t["within_3x_floor"] else "✗"))
    if "peak_under_2gb" in t and scale == "1m":
        ok.append("<2 GB " + ("✓" if t["peak_under_2gb"] else "✗"))
    if t.get("completes") and scale == "10m":
        ok.append("completes ✓")
    if "report_under_5mb" in t:
        ok.append("report <5 MB " + ("✓" if t["report_under_5mb"] else "✗"))
    if t.get("completes") is False:
        stopped = (r.get("stages") or {}).get("stopped_after")
        note = f" (stopped; last stage completed: {stopped})" if stopped and not e2e else ""
        ok.append("did not complete ✗" + note)
    return ", ".join(ok)


def _summary_row(r: dict[str, Any]) -> str:
    e2e, floor, t = r.get("e2e") or {}, r.get("floor") or {}, r.get("targets") or {}
    n = r.get("rows", {}).get("responses")
    inp = f"{r.get('format', '').upper()} {r.get('input_mb', 0):,.0f} MB"
    if e2e.get("error"):
        run_s, ratio, peak, rep = "failed", "–", _fmt_mb(e2e.get("peak_tree_mb")), "–"
    else:
        run_s = _fmt_runs(e2e) if e2e else "–"
        ratio = f"{t['ratio']:.1f}×" if "ratio" in t else "–"
        peak = _fmt_mb(e2e.get("peak_tree_mb")) if e2e else "–"
        rep = f"{t['report_mb']:.1f} MB" if "report_mb" in t else "–"
    floor_s = _fmt_runs(floor) if floor and not floor.get("error") else "–"
    return f"| {n:,} | {inp} | {floor_s} | {run_s} | {ratio} | {peak} | {rep} | {_target_marks(r)} |"


def _stage_cell(r: dict[str, Any], name: str) -> str:
    s = next((x for x in r["stages"]["timeline"] if x["stage"] == name), None)
    if s is None:
        return "–"
    if s.get("error"):
        return f"error ({_fmt_s(s['seconds'])} s)"
    return f"{_fmt_s(s['seconds'])} s / {_fmt_mb(s['peak_mb'])}"


def _stage_lines(staged: list[dict[str, Any]]) -> list[str]:
    lines = ["", "Per stage (in-process, seconds / peak resident memory of the process during the stage):", ""]
    lines += ["| stage | " + " | ".join(f"{r['scale']} {r['format']}" for r in staged) + " |",
              "|---|" + "---:|" * len(staged)]
    names = list(dict.fromkeys(s["stage"] for r in staged for s in r["stages"]["timeline"]))
    lines += [f"| {name} | " + " | ".join(_stage_cell(r, name) for r in staged) + " |" for name in names]
    if any((r["stages"]).get("error") for r in staged):
        cells = [f"{r['stages']['error']}" if r["stages"].get("error") else "" for r in staged]
        lines.append("| (run stopped) | " + " | ".join(cells) + " |")
    e2e_cells = []
    for r in staged:
        sp = (r.get("e2e") or {}).get("seconds_split") or {}
        e2e_cells.append(f"{_fmt_s(sp.get('execute'))} s + {_fmt_s(sp.get('render'))} s" if sp else "–")
    lines.append("| end to end: papermill execute + nbconvert render | " + " | ".join(e2e_cells) + " |")
    return lines


def format_table(recs: list[dict[str, Any]] | None = None) -> str:
    """Markdown tables (summary against the targets, then stages) of saved results."""
    recs = _load_results() if recs is None else recs
    if not recs:
        return "(no results yet: run `make bench`)"
    lines = ["| responses read | input | floor (median) | npsdiag run (median) | × floor | peak memory (largest) "
             "| report | targets |",
             "|---:|---|---:|---:|---:|---:|---:|---|"]
    lines += [_summary_row(r) for r in recs]
    staged = [r for r in recs if (r.get("stages") or {}).get("timeline")]
    if staged:
        lines += _stage_lines(staged)
    m = recs[-1].get("machine") or {}
    if m:
        lines += ["", f"Machine: {m.get('cpus')} CPUs, {m.get('memory_gb')} GB RAM, Python {m.get('python')}, "
                  f"pandas {m.get('pandas')}, numpy {m.get('numpy')} (commit {m.get('commit')}); load average when "
                  f"measured {m.get('load_average')}."]
    return "\n".join(lines)


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        kind, *rest = argv[1:]
        if kind == "stages":
            _child_stages(*rest)
        elif kind == "e2e":
            _child_e2e(*rest)
        elif kind == "floor":
            _child_floor(json.loads(rest[0]), rest[1], rest[2])
        return 0
    from benchmarks.generate import parse_scale, scale_label

    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    ap.add_argument("--scale", action="append", default=None,
                    help="responses: 100k, 1m, 10m or a number (repeatable; default: 100k and 1m)")
    ap.add_argument("--format", dest="fmt", choices=["auto", "csv", "parquet"], default="auto",
                    help="input format (auto: CSV below 10M responses, Parquet from 10M)")
    ap.add_argument("--only", action="append", choices=list(KINDS), default=None,
                    help="measure only these (repeatable): stages, e2e, floor")
    ap.add_argument("--timeout", type=float, default=None, help="seconds after which a measurement is stopped")
    ap.add_argument("--max-memory-gb", type=float, default=None,
                    help="stop a measurement whose processes use more than this (default: 80%% of the RAM "
                    "available when the run starts)")
    ap.add_argument("--repeat", type=int, default=None,
                    help=f"measure the floor and the end-to-end run this many times each, alternately, and report "
                    f"the medians (default {REPEAT}, 1 at 10M)")
    ap.add_argument("--no-keep-reports", action="store_true", help="delete the reports after measuring them")
    ap.add_argument("--table", action="store_true", help="only print the table of saved results")
    args = ap.parse_args(argv)
    if not args.table:
        import psutil

        kinds = tuple(args.only or KINDS)
        max_mb = (args.max_memory_gb * 1024 if args.max_memory_gb
                  else 0.8 * psutil.virtual_memory().available / 2**20)
        for s in args.scale or ["100k", "1m"]:
            n = parse_scale(s)
            fmt = args.fmt if args.fmt != "auto" else ("parquet" if n >= 10_000_000 else "csv")
            print(f"== {scale_label(n)} responses ({fmt})", file=sys.stderr, flush=True)
            run_scale(n, fmt, kinds, timeout=args.timeout, keep_reports=not args.no_keep_reports, repeat=args.repeat,
                      max_memory_mb=max_mb)
    table = format_table()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "table.md").write_text(table + "\n", encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
