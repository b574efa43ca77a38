"""Project promises: dependencies agree, notebooks are committed clean, code is ruff-clean."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib

import yaml


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_dependencies_as_pyproject(root):
    py = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    extras = py["optional-dependencies"]
    wanted = {_name(r): r for r in py["dependencies"] + extras["lab"] + extras["test"]}
    env = yaml.safe_load((root / "environment.yml").read_text())
    conda = {}
    pip_section = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_section += dep.get("pip", [])
        else:
            conda[_name(dep)] = dep
    conda.pop("python", None)
    conda.pop("pip", None)
    assert set(conda) == set(wanted), (set(conda) ^ set(wanted))
    for name, req in wanted.items():  # same minimum versions
        strip = lambda r: re.sub(r"\s|\[.*?\]|#.*", "", r)  # noqa: E731 - extras and comments aside
        assert strip(conda[name]) == strip(req), name
    assert "-e ." in pip_section


def test_notebooks_committed_without_outputs_and_with_python3_kernel(root):
    for nb_path in (root / "notebooks").glob("*.ipynb"):
        nb = json.loads(nb_path.read_text())
        assert nb["metadata"]["kernelspec"]["name"] == "python3", nb_path
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and not cell.get("execution_count"), nb_path


def test_diagnose_notebook_parameters_cell_is_plain_literals(root):
    import papermill as pm

    params = pm.inspect_notebook(str(root / "notebooks" / "diagnose.ipynb"))
    assert set(params) == {"config", "output_dir", "previous"}
    assert params["previous"]["default"] in ("None", "''", '""')  # no comparison unless asked
    assert params["config"]["default"].strip("'\"") == "examples/demo/config.yml"


def test_ruff_clean(root):
    ruff = shutil.which("ruff") or str(root / ".venv" / "bin" / "ruff")
    proc = subprocess.run([ruff, "check", "npsdiag", "tests"], capture_output=True, text=True, cwd=root)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_reports_folder_keeps_only_gitkeep_in_git(root):
    if not (root / ".git").exists():
        return
    proc = subprocess.run(["git", "ls-files", "reports"], capture_output=True, text=True, cwd=root)
    assert [ln for ln in proc.stdout.splitlines() if not ln.endswith(".gitkeep")] == []
    assert sys.version_info >= (3, 11)
