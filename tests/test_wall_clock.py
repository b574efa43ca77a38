"""No result depends on the day the diagnosis runs: the demo diagnosed under two system dates (Debian's
``faketime``, installed by ``make test``) gives the same findings.json apart from ``generated_at``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

SCRIPT = """
import json, sys
from npsdiag import clean, diagnosis, io
from npsdiag.config import load_config
prep = clean.prepare(io.load(load_config(sys.argv[1])))
doc = diagnosis.diagnose(prep).to_dict()
print(json.dumps({"generated_at": doc.pop("generated_at"), "doc": doc, "as_of": str(prep.as_of)}))
"""


def _diagnose_on(day: str, root) -> dict:
    faketime = shutil.which("faketime")
    if faketime is None:
        pytest.skip("Debian's faketime is not installed (make test installs it)")
    out = subprocess.run([faketime, day, sys.executable, "-c", SCRIPT, str(root / "examples/demo/config.yml")],
                         capture_output=True, text=True, cwd=root, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_demo_gives_the_same_findings_whatever_the_day(root):
    a = _diagnose_on("2026-01-20 10:00:00", root)
    b = _diagnose_on("2031-07-04 10:00:00", root)
    assert a["generated_at"].startswith("2026-01-20") and b["generated_at"].startswith("2031-07-04")  # faked
    assert a["as_of"] == b["as_of"] == "2025-12-31 00:00:00"
    assert a["doc"] == b["doc"]
