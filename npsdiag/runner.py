"""Run the diagnosis notebook for a client and render the report.

``npsdiag run CONFIG`` = :func:`run`: Papermill executes
``notebooks/diagnose.ipynb`` with the config, nbconvert renders the executed
notebook through ``templates/npsdiag`` (no code, no network, styles and
images inline) into ``report.html`` (the cells tagged ``report``) and
``appendix.html`` (the cells tagged ``appendix``); the notebook's last cell
writes the brief, the data pack, the private annex, findings.json and the
CSVs. Everything is written into a staging folder first and moved into place
only when the whole run succeeded, so a failed run never leaves a report
that looks finished.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .config import load_config, resolve_config_path
from .errors import NpsdiagError, Problem

__all__ = ["run", "render", "report_exporter", "RunResult", "project_root", "NOTEBOOK", "TEMPLATES"]


def project_root() -> Path:
    """The folder holding ``notebooks/diagnose.ipynb`` and ``templates/``.

    In a checkout, the repository root (beside the ``npsdiag`` package); in an
    installed wheel, ``<prefix>/share/npsdiag`` (see ``pyproject.toml``'s data files).
    """
    here = Path(__file__).resolve().parent
    for cand in (here.parent, Path(sys.prefix) / "share" / "npsdiag", Path(sys.base_prefix) / "share" / "npsdiag"):
        if (cand / "notebooks" / "diagnose.ipynb").exists() and (cand / "templates" / "npsdiag").is_dir():
            return cand
    raise NpsdiagError(Problem("cannot find notebooks/diagnose.ipynb and templates/ of npsdiag",
                               hint="reinstall npsdiag (make setup, or pip install from its repository)"))


NOTEBOOK = "notebooks/diagnose.ipynb"
TEMPLATES = "templates"
REPORT_REMOVE_TAGS = ("parameters", "injected-parameters", "analyst-note")
#: The tag of the analyst appendix's cells (rendered into appendix.html, left out of report.html).
APPENDIX_TAG = "appendix"
OUTPUT_FILES = ("report.html", "appendix.html", "brief.html", "datapack.xlsx", "private/owners.html", "findings.json",
                "diagnose.ipynb", "callback_queue.csv", "renewal_risk.csv", "segments.csv")


@dataclass
class RunResult:
    """What a run wrote."""

    output_dir: Path
    report: Path
    findings: Path
    notebook: Path
    files: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def _part(nb: nbformat.NotebookNode, appendix: bool) -> nbformat.NotebookNode:
    """The executed notebook's cells of one document: the appendix's (tagged ``appendix``) or the report's (the
    others)."""
    out = nbformat.from_dict(nb)  # a copy: both documents come from the same executed notebook
    out.cells = [c for c in nb.cells if (APPENDIX_TAG in c.get("metadata", {}).get("tags", [])) == appendix]
    return out


def report_exporter():
    """The nbconvert ``HTMLExporter`` of the client report: template ``npsdiag``, no code, no prompts,
    the parameters and ``analyst-note`` cells removed, outputs of ``remove-output`` cells removed."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config as TConfig

    c = TConfig()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REPORT_REMOVE_TAGS)
    c.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output"}
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    return HTMLExporter(config=c, template_name="npsdiag", extra_template_basedirs=[str(project_root() / TEMPLATES)])


def _warm_exporter():
    """A report exporter with its templates already compiled (built while the kernel works)."""
    exporter = report_exporter()
    exporter.from_notebook_node(nbformat.v4.new_notebook(metadata={"title": "warm-up"}))
    return exporter


def render(notebook: str | Path | nbformat.NotebookNode, title: str = "NPS diagnosis", exporter=None,
           appendix: bool = False) -> str:
    """Render an executed diagnosis notebook into the client report's HTML (or, with ``appendix``, the appendix's).

    Code, prompts, stderr, the parameters cells and cells tagged
    ``analyst-note`` are removed; the report holds the cells not tagged
    ``appendix``, the appendix those tagged ``appendix``. The template loads
    nothing from the network. ``exporter`` may be one :func:`report_exporter`
    made beforehand (the runner builds it while the kernel executes the
    notebook).
    """
    nb = notebook if isinstance(notebook, nbformat.NotebookNode) else nbformat.read(str(notebook), as_version=4)
    nb = _part(nb, appendix)
    nb.metadata["title"] = title
    body, _ = (exporter or report_exporter()).from_notebook_node(nb)
    return body


def _failure_message(exc: Exception, nb_path: Path | None) -> NpsdiagError:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    cell = getattr(exc, "exec_count", None)
    if ename == "NpsdiagError":  # the user's config or data: the kernel's message is already written for them
        return NpsdiagError.from_text(evalue)
    section = ""
    if nb_path is not None and nb_path.exists():
        try:
            nb = nbformat.read(str(nb_path), as_version=4)
            for i, c in enumerate(nb.cells):
                if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.get("outputs", [])):
                    cell = i
                    src = c.source.splitlines()
                    section = f" ({src[0].strip()[:70]})" if src else ""
                    break
        except Exception:  # noqa: BLE001 - the message must still be shown
            pass
    where = f"cell {cell}{section}" if cell is not None else "a cell"
    return NpsdiagError(Problem(
        f"the diagnosis failed in {where}: {ename}: {evalue}",
        hint=f"no report was written; the executed notebook with the full error is {nb_path}" if nb_path else
        "no report was written"))


def run(config: str | Path, output: str | Path | None = None, progress: bool = True,
        kernel_name: str = "python3", previous: str | Path | None = None) -> RunResult:
    """Diagnose one client: execute the notebook, render the report, write the outputs.

    Parameters
    ----------
    config : path to the client's YAML config
    output : folder for the outputs (default ``reports/<client-slug>``)
    progress : show Papermill's progress bar
    kernel_name : Jupyter kernel to execute with
    previous : a previous run's findings.json (or its folder): the report adds "Since the last diagnosis"

    Returns
    -------
    RunResult

    Raises
    ------
    NpsdiagError
        The config or data has problems, or a cell failed (the message names
        the cell and the error). Nothing that looks like a finished report is
        left behind.
    """
    import time

    import papermill as pm

    cfg_path = resolve_config_path(config)
    cfg = load_config(cfg_path)
    if previous:
        from .story import load_previous

        load_previous(previous)  # a missing or foreign file is said now, before the kernel starts
        previous = str(Path(previous).resolve())
    out = Path(output) if output else Path.cwd() / "reports" / cfg.slug
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".npsdiag-run-", dir=out))
    root = project_root()
    executed = stage / "diagnose.ipynb"
    seconds: dict[str, float] = {}
    # the runner waits while the kernel works: meanwhile it imports nbconvert and compiles the report template
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="npsdiag-render")
    warm = pool.submit(_warm_exporter)
    try:
        t0 = time.perf_counter()
        try:
            # the executed notebook is written once at the end (and on a failure), not after every cell:
            # nobody watches the staging copy, and each save of a notebook full of figures costs time
            nb = pm.execute_notebook(str(root / NOTEBOOK), str(executed),
                                     parameters={"config": str(cfg_path), "output_dir": str(stage),
                                                 "previous": str(previous or "")},
                                     request_save_on_cell_execute=False,
                                     # the last cell has written every output: stop the kernel at once instead
                                     # of letting it free 1-2 GB of prepared data object by object (1.1 s at 1M)
                                     shutdown_kernel="immediate",
                                     kernel_name=kernel_name, cwd=str(root / "notebooks"), progress_bar=progress,
                                     log_output=False, report_mode=False,
                                     # the kernel's own start-up warnings (e.g. "running over TCP") are noise to
                                     # a consultant; its errors still show
                                     extra_arguments=["--IPKernelApp.log_level=ERROR"])
        except pm.PapermillExecutionError as exc:
            failed = out / "diagnose.failed.ipynb"
            if executed.exists():
                shutil.copyfile(executed, failed)
            raise _failure_message(exc, failed if failed.exists() else None) from None
        seconds["execute"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        try:
            exporter = warm.result()
        except Exception:  # noqa: BLE001 - render() builds its own and reports any template problem
            exporter = None
        html = render(nb, title=f"{cfg.client} — NPS diagnosis", exporter=exporter)
        (stage / "report.html").write_text(html, encoding="utf-8")
        appendix = render(nb, title=f"{cfg.client} — NPS diagnosis: analyst appendix", exporter=exporter,
                          appendix=True)
        (stage / "appendix.html").write_text(appendix, encoding="utf-8")
        seconds["render"] = time.perf_counter() - t1
        if not (stage / "findings.json").exists():
            raise NpsdiagError(Problem("the notebook ran but wrote no findings.json",
                                       hint="the last cell must call outputs.write_outputs(...)"))
        moved = _move_into_place(stage, out)
        _scrub_notebook(out / "diagnose.ipynb", str(stage), str(out))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(stage, ignore_errors=True)
    return RunResult(output_dir=out, report=out / "report.html", findings=out / "findings.json",
                     notebook=out / "diagnose.ipynb", files=moved, seconds=seconds)


def _move_into_place(stage: Path, out: Path) -> list[Path]:
    """Move a finished run's files from the staging folder into ``out``: everything else first, the report last."""
    stale = out / "diagnose.failed.ipynb"
    if stale.exists():
        stale.unlink()
    moved = []
    names = sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*")
                   if p.is_file() and not p.name.endswith(".part"))
    for name in sorted(names, key=lambda n: n == "report.html"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / name, out / name)
        moved.append(out / name)
    return moved


def _scrub_notebook(path: Path, stage: str, out: str) -> None:
    """Point the executed notebook's recorded output_dir at the final folder, not the staging one."""
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    if stage in text:
        path.write_text(text.replace(json.dumps(stage)[1:-1], json.dumps(out)[1:-1]), encoding="utf-8")
