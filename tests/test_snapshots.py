"""Findings and tables of every example client, against committed snapshots.

Each example under ``examples/`` is diagnosed in-process (load, prepare, every
area) and its findings.json (without ``generated_at`` and the version) and
every area's tables, figure keys and notes are compared with
``tests/snapshots/<example>.json``. A change of judgement or of a table is
then always a deliberate one: regenerate the snapshots with

    NPSDIAG_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_snapshots.py

and say in the commit (and the closing note) what changed and why.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from npsdiag import clean, diagnosis, io
from npsdiag.config import load_config

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOTS = Path(__file__).parent / "snapshots"
EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/config.yml"))
UPDATE = os.environ.get("NPSDIAG_UPDATE_SNAPSHOTS") == "1"


def snapshot(example: str) -> dict:
    """The example's findings.json and tables as plain JSON values (floats rounded to 8 digits)."""
    prep = clean.prepare(io.load(load_config(ROOT / "examples" / example / "config.yml")))
    diag = diagnosis.diagnose(prep)
    doc = diag.to_dict()
    for key in ("generated_at", "npsdiag_version"):
        doc.pop(key, None)
    tables = {}
    for area, res in diag.areas.items():
        for name, t in res.tables.items():
            tables[f"{area}/{name}"] = json.loads(t.round(8).to_json(orient="split", date_format="iso",
                                                                     default_handler=str))
        tables[f"{area}/figures"] = [f"{f.key}|{f.caption}" for f in res.figures]
        tables[f"{area}/notes"] = list(res.notes)
    return json.loads(json.dumps({"findings": doc, "tables": tables}, default=str))


def _data_missing(example: str) -> bool:
    text = (ROOT / "examples" / example / "config.yml").read_text(encoding="utf-8")
    return "shared/data" in text and not (ROOT.parent / "shared" / "data").is_dir()


@pytest.mark.parametrize("example", EXAMPLES)
def test_findings_and_tables_equal_the_snapshot(example):
    if _data_missing(example):
        pytest.skip("../shared/data is not beside the repository")
    got = snapshot(example)
    path = SNAPSHOTS / f"{example}.json"
    if UPDATE:
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    want = json.loads(path.read_text(encoding="utf-8"))
    assert got["findings"] == want["findings"], f"findings of {example} changed"
    changed = sorted(k for k in set(got["tables"]) | set(want["tables"])
                     if got["tables"].get(k) != want["tables"].get(k))
    assert not changed, f"tables of {example} changed: {changed}"
