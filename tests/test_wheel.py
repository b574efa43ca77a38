"""A wheel of npsdiag works outside the repository: built with ``pip wheel .``, installed into a fresh virtual
environment, it runs the demo diagnosis (``npsdiag run CONFIG``) from another folder.

The fresh environment takes npsdiag from the wheel only; the third-party libraries it needs are made visible
from the project's environment (a path entry for their code, ``JUPYTER_PATH`` for the data files nbconvert and
ipykernel install under ``share/jupyter``), so that the test needs no download.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory, root):
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(root), "--no-deps",
                            "-q", "-w", str(tmp / "dist")], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next((tmp / "dist").glob("npsdiag-*.whl"))
    env = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    py = env / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # the project's libraries, without its editable npsdiag (a plain path entry runs none of its .pth files)
    (site / "project-libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q",
                              str(wheel)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-2000:]
    return env, wheel


def test_the_wheel_holds_the_notebook_and_the_template(wheel_env):
    import zipfile

    _, wheel = wheel_env
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith("share/npsdiag/notebooks/diagnose.ipynb") for n in names)
    assert any(n.endswith("share/npsdiag/templates/npsdiag/index.html.j2") for n in names)
    assert any(n.endswith("share/npsdiag/templates/npsdiag/static/report.css") for n in names)


def test_the_installed_wheel_runs_the_demo_outside_the_repository(wheel_env, root, tmp_path):
    env, _ = wheel_env
    where = subprocess.run([str(env / "bin" / "python"), "-c", "import npsdiag; print(npsdiag.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, check=True).stdout.strip()
    assert str(env) in where and str(root) not in where  # npsdiag comes from the wheel, not the checkout
    out = tmp_path / "report"
    run = subprocess.run([str(env / "bin" / "npsdiag"), "run", str(root / "examples" / "demo" / "config.yml"),
                          "--output", str(out), "--quiet"], capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "PATH": f"{env / 'bin'}:{os.environ['PATH']}",
                              "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter")}, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    doc = json.loads((out / "findings.json").read_text())
    assert doc["data"]["responses"] > 8000 and doc["findings"]
    assert "<html" in (out / "report.html").read_text(encoding="utf-8")[:2000].lower()
