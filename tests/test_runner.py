"""End to end: npsdiag run and papermill on a client export, the report's content and the failure path."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from npsdiag.errors import NpsdiagError
from npsdiag.runner import _failure_message, run

CONFIG = """client: "Zed & Co <script>alert('client')</script> \\"quoted\\" back\\\\slash"
responses:
  path: export.csv
  columns:
    score: "How likely are you to recommend us?"
    responded_at: Submitted
    respondent_id: Email
    comment: Why
  segments: [Region]
"""


@pytest.fixture(scope="module")
def client_dir(tmp_path_factory) -> Path:
    """A small, clean export: every row is analysable, so the headline is computable by hand."""
    d = tmp_path_factory.mktemp("client")
    rng = np.random.default_rng(7)
    n = 240
    scores = rng.choice(11, n, p=[.05, .02, .03, .03, .04, .06, .07, .15, .2, .15, .2])
    comments = np.array(["Great service", "Slow support <script>alert('x')</script>", "Call me on +44 7700 900123",
                         "", "Mail jane.doe@example.com please"], dtype=object)
    pd.DataFrame({
        "How likely are you to recommend us?": scores,
        "Submitted": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "Email": [f"person{i}@example.com" for i in range(n)],
        "Why": comments[rng.integers(0, len(comments), n)],
        "Region": rng.choice(["North", "South"], n),
    }).to_csv(d / "export.csv", index=False)
    (d / "client.yml").write_text(CONFIG, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def result(client_dir):
    return run(client_dir / "client.yml", client_dir / "out", progress=False)


def test_run_writes_report_findings_and_notebook(result):
    assert result.report.exists() and result.findings.exists() and result.notebook.exists()
    assert not list(result.output_dir.glob(".npsdiag-run-*")), "staging folder left behind"


def test_headline_nps_equals_independent_computation(result, client_dir):
    raw = pd.read_csv(client_dir / "export.csv")
    s = raw["How likely are you to recommend us?"]
    expected = 100 * ((s >= 9).sum() - (s <= 6).sum()) / len(s)
    doc = json.loads(result.findings.read_text())
    assert doc["headline"]["nps"] == pytest.approx(expected, abs=0.05)
    assert doc["headline"]["n"] == len(s)
    assert doc["headline"]["ci_low"] < expected < doc["headline"]["ci_high"]
    html = result.report.read_text(encoding="utf-8")
    assert f">{expected:+.0f}<" in html  # the cover, rounded as a CEO reads it
    appendix = (result.output_dir / "appendix.html").read_text(encoding="utf-8")
    assert f"{expected:+.1f}" in appendix  # the statistics, to one decimal


@pytest.mark.parametrize("name", ["report.html", "appendix.html", "brief.html"])
def test_report_is_offline_without_code_and_escapes_client_text(result, name):
    html = (result.output_dir / name).read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", html, re.I)
    assert not re.search(r"<link[^>]+href=[\"']?https?:", html, re.I)
    assert not re.search(r"(src|href)=[\"']https?://", html, re.I)
    assert "<script" not in html.lower()  # no script at all: the client's names and comments are escaped
    assert re.search(r"Zed &amp; Co &lt;script&gt;alert\((&#x27;|&#39;|')client", html)
    code_marks = ("import npsdiag", "from npsdiag", "report.show(", "pipeline.assemble",
                  'class="jp-InputArea', "In&nbsp;[")
    for code in code_marks:
        assert code not in html, code
    assert "Net Promoter Score" in html
    assert "data:image/png;base64" in html or "<img" not in html


def test_report_structure_cover_first(result):
    html = result.report.read_text(encoding="utf-8")
    assert html.index('id="cover"') < html.index('id="summary"') < html.index('id="action-plan"')
    appendix = (result.output_dir / "appendix.html").read_text(encoding="utf-8")
    assert appendix.index('id="cover"') < appendix.index('id="area-reliability"') < appendix.index('id="methodology"')
    assert "Rocks" in appendix


def test_personal_data_redacted_in_report(result):
    for name in ("report.html", "appendix.html", "brief.html", "private/owners.html", "segments.csv",
                 "callback_queue.csv"):
        text = (result.output_dir / name).read_text(encoding="utf-8")
        assert "jane.doe@example.com" not in text and "7700 900123" not in text, name


def test_failed_run_leaves_no_report_and_names_the_problem(client_dir, tmp_path):
    bad = client_dir / "bad.yml"
    bad.write_text(CONFIG.replace("segments: [Region]", "segments: [Regoin]"), encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(NpsdiagError) as exc:
        run(bad, out, progress=False)
    assert "column 'Regoin' not found" in exc.value.message and "did you mean 'Region'" in exc.value.message
    assert "Traceback" not in exc.value.message
    assert not (out / "report.html").exists() and not (out / "findings.json").exists()
    assert not list(out.glob(".npsdiag-run-*"))


def test_failure_message_names_cell_for_unexpected_errors():
    class Fake(Exception):
        ename, evalue, exec_count = "ZeroDivisionError", "division by zero", 7

    msg = _failure_message(Fake(), None).message
    assert "cell 7" in msg and "ZeroDivisionError: division by zero" in msg and "no report was written" in msg


def test_a_full_disk_in_the_kernel_is_a_plain_message():
    class Full(Exception):
        ename, evalue, exec_count = "OSError", "[Errno 28] No space left on device: '/out/datapack.xlsx'", 15

    msg = _failure_message(Full(), None).message
    # before: "the diagnosis failed in cell 15: OSError: [Errno 28] ..."
    assert msg.startswith("ERROR: writing the outputs: the disk is full (/out/datapack.xlsx)") and "cell" not in msg
    assert "free some space" in msg and "no report was written" in msg


def test_cli_run_and_papermill_from_repository_root(client_dir, root, tmp_path):
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, "-m", "npsdiag.cli", "run", str(client_dir / "client.yml"),
                           "--output", str(out), "--quiet"], capture_output=True, text=True, cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert (out / "report.html").exists()
    assert "WARNING" not in proc.stderr and "TCP" not in proc.stderr, proc.stderr  # no kernel start-up noise
    nb_out = tmp_path / "pm.ipynb"
    proc = subprocess.run([sys.executable, "-m", "papermill", "notebooks/diagnose.ipynb", str(nb_out),
                           "-p", "config", str(client_dir / "client.yml"), "--no-progress-bar"],
                          capture_output=True, text=True, cwd=root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Action plan" in nb_out.read_text()


def test_cli_errors_are_messages_not_tracebacks(tmp_path, root):
    proc = subprocess.run([sys.executable, "-m", "npsdiag.cli", "run", str(tmp_path / "missing.yml")],
                          capture_output=True, text=True, cwd=root)
    assert proc.returncode == 1
    assert "config file not found" in proc.stderr and "Traceback" not in proc.stderr


def test_a_warmed_exporter_renders_the_same_report_as_a_fresh_one(result):
    """The runner compiles the report template while the kernel works (runner._warm_exporter) and reuses
    that exporter: the report must be byte for byte what a fresh exporter renders, also on a second use."""
    import nbformat

    from npsdiag.runner import _warm_exporter, render

    nb = nbformat.read(str(result.notebook), as_version=4)
    fresh = render(nbformat.from_dict(nb), title="T")
    warm = _warm_exporter()
    assert render(nbformat.from_dict(nb), title="T", exporter=warm) == fresh
    assert render(nbformat.from_dict(nb), title="T", exporter=warm) == fresh
    assert "warm-up" not in fresh and "<title>T</title>" in fresh

