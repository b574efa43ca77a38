"""npsdiag batch: many clients on a local Dask cluster, failures isolated, a safe summary."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from npsdiag import sample
from npsdiag.batch import SUMMARY_COLUMNS, SUMMARY_FILE, expand_configs, run_client, unique_slugs
from npsdiag.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _client(folder: Path, name: str, seed: int, **changes) -> Path:
    """A tiny synthetic client (about 250 responses) with the demo's config layout."""
    sample.write_demo(folder, n_accounts=30, seed=seed)
    cfg = yaml.safe_load((ROOT / "examples" / "demo" / "config.yml").read_text(encoding="utf-8"))
    cfg["client"] = name
    cfg.pop("slug", None)
    for key, value in changes.items():
        table, field = key.split(".")
        cfg[table]["columns"][field] = value
    path = folder / "config.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def test_batch_on_local_cluster_isolates_a_broken_client(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    good = _client(tmp_path / "a", "Alpha Ltd", seed=1)
    # broken data (the score column is not in the export), and a client name that a spreadsheet would run as
    # a formula: the summary must neutralise it
    broken = _client(tmp_path / "b", '=HYPERLINK("http://x","Beta")', seed=2,
                     **{"responses.score": "Likelihood (no such column)"})
    out = tmp_path / "reports"

    code = main(["batch", str(broken), str(good), "--jobs", "2", "--output-root", str(out), "-q"])

    assert code == 1  # one client failed
    err = capsys.readouterr().err
    assert "HYPERLINK" in err and "not found" in err
    with open(out / SUMMARY_FILE, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == SUMMARY_COLUMNS
    assert [r["status"] for r in rows] == ["failed", "ok"]  # input order; the good client finished
    bad, alpha = rows
    assert "Likelihood (no such column)" in bad["message"] and bad["report"] == ""
    assert bad["client"].startswith("'=")  # formula neutralised
    assert not (out / "hyperlink-http-x-beta" / "report.html").exists()  # no report that looks finished
    report = Path(alpha["report"])
    assert report.exists() and report.parent == out / "alpha-ltd"
    found = json.loads((report.parent / "findings.json").read_text(encoding="utf-8"))["headline"]
    # the summary repeats the client's headline from its findings.json
    assert float(alpha["nps"]) == pytest.approx(found["nps"])
    assert float(alpha["ci_low"]) <= float(alpha["nps"]) <= float(alpha["ci_high"])
    assert int(alpha["n"]) == found["n"] > 100
    assert float(alpha["seconds"]) > 0


def test_run_client_never_raises(tmp_path: Path) -> None:
    row = run_client(tmp_path / "missing.yml", tmp_path / "out")
    assert row["status"] == "failed" and row["message"]
    assert set(row) == set(SUMMARY_COLUMNS)
    assert row["client"] == "missing"


def test_expand_configs_globs_and_keeps_unmatched(tmp_path: Path) -> None:
    for n in ("b.yml", "a.yml"):
        (tmp_path / n).write_text("client: X\n", encoding="utf-8")
    got = expand_configs([str(tmp_path / "*.yml"), str(tmp_path / "none-*.yml")])
    assert [p.name for p in got] == ["a.yml", "b.yml", "none-*.yml"]


def test_same_client_twice_gets_distinct_folders(tmp_path: Path) -> None:
    paths = []
    for n in ("x", "y"):
        p = tmp_path / f"{n}.yml"
        p.write_text("client: Acme Corp\nresponses: {path: r.csv, columns: {score: S, responded_at: D}}\n",
                     encoding="utf-8")
        paths.append(p)
    assert [slug for _, slug in unique_slugs(paths)] == ["acme-corp", "acme-corp-2"]


def _slow_client(config: str, output: str, client: str | None = None) -> dict:
    """A stand-in for run_client in the pool's (forked) workers: takes a second, leaves a mark."""
    import time

    Path(output).mkdir(parents=True, exist_ok=True)
    (Path(output) / "started").write_text("", encoding="utf-8")
    time.sleep(1.0)
    return {**dict.fromkeys(SUMMARY_COLUMNS), "client": client, "status": "ok"}


def test_ctrl_c_stops_a_batch_before_the_clients_not_yet_started(tmp_path: Path, monkeypatch) -> None:
    import multiprocessing

    from npsdiag import batch as batch_module

    if multiprocessing.get_start_method() != "fork":
        pytest.skip("the stand-in reaches the workers only when they are forked")
    monkeypatch.setattr(batch_module, "run_client", _slow_client)
    paths = [tmp_path / f"c{i}.yml" for i in range(8)]
    for i, p in enumerate(paths):
        p.write_text(f"client: Client {i}\n", encoding="utf-8")
    names = unique_slugs(paths)

    def interrupted(i, row):
        raise KeyboardInterrupt  # Ctrl-C while the first clients run

    with pytest.raises(KeyboardInterrupt):
        batch_module._run_in_pool(paths, names, tmp_path / "out", 2, interrupted)
    started = list((tmp_path / "out").glob("*/started"))
    # before: the pool went on to start every client (8) before the batch stopped
    assert len(started) == 2  # the two running when Ctrl-C came


def test_the_batch_summary_is_never_written_over_an_export(tmp_path: Path) -> None:
    from npsdiag.batch import batch

    (tmp_path / SUMMARY_FILE).write_text("Score,Date\n9,2024-01-01\n", encoding="utf-8")  # the client's export
    cfg = tmp_path / "c.yml"
    cfg.write_text(f"client: T\nresponses: {{path: {SUMMARY_FILE}, columns: {{score: Score, responded_at: Date}}}}\n",
                   encoding="utf-8")
    before = (tmp_path / SUMMARY_FILE).read_bytes()
    assert main(["batch", str(cfg), "--output-root", str(tmp_path), "--jobs", "1"]) == 1
    assert (tmp_path / SUMMARY_FILE).read_bytes() == before  # before: replaced by the summary of the batch
    with pytest.raises(Exception, match="would be written over batch_summary.csv"):
        batch([cfg], jobs=1, output_root=tmp_path, progress=False)


def test_kill_stops_a_batch_and_its_running_clients(tmp_path: Path, root: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    configs = []
    for name in ("Alpha", "Beta"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "r.csv").write_text(
            "Score,Date\n" + "".join(f"{i % 11},2024-{i % 12 + 1:02d}-01\n" for i in range(200)), encoding="utf-8")
        cfg = tmp_path / name / "c.yml"
        cfg.write_text(f"client: {name}\nresponses: {{path: r.csv, columns: {{score: Score, responded_at: Date}}}}\n",
                       encoding="utf-8")
        configs.append(str(cfg))
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "npsdiag.cli", "batch", *configs, "--jobs", "2", "--output-root",
                             str(out), "--quiet"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(root)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + 120
        while len(list(out.glob("*/.npsdiag-run-*"))) < 2 and proc.poll() is None and time.monotonic() < end:
            time.sleep(0.05)  # both clients are running
        time.sleep(1.0)
        assert proc.poll() is None, "the batch ended before it could be stopped"
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)  # kill reaches the batch's own process only
        _, err = proc.communicate(timeout=90)
        stopped_in = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    # before: the batch process died at once and its workers went on to write both reports
    assert proc.returncode == 143 and "Traceback" not in err, err[-2000:]
    assert "interrupted: stopped before the end; the clients that had finished have their reports" in err
    assert stopped_in < 60
    time.sleep(1.0)
    assert not list(out.glob("*/report.html")) and not list(out.glob("*/.npsdiag-*"))
