"""Run the diagnosis notebook for a client and render the report.

``npsdiag run CONFIG`` = :func:`run`: Papermill executes
``notebooks/diagnose.ipynb`` with the config, nbconvert renders the executed
notebook through ``templates/npsdiag`` (no code, no network, styles and
images inline) into ``report.html`` (the cells tagged ``report``) and
``appendix.html`` (the cells tagged ``appendix``); the notebook's last cell
writes the brief, the data pack, the private annex, findings.json and the
CSVs. Everything is written into a staging folder first and moved into place
only when the whole run succeeded, so a failed run never leaves a report
that looks finished (the previous run's outputs are moved into
``stale-outputs/``). The output folder is locked for the run, is never one
holding the client's exports under an output's name, and never one holding
another client's report; Ctrl-C and ``kill`` stop the kernel and leave
nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .config import load_config, resolve_config_path
from .errors import NpsdiagError, Problem, check_stop, os_problem, stop_on_signals

__all__ = ["run", "render", "report_exporter", "RunResult", "project_root", "output_folder", "folder_lock",
           "refuse_overwriting_inputs", "NOTEBOOK", "TEMPLATES", "OUTPUT_FILES", "FAILED_NOTEBOOK", "STALE_FOLDER",
           "LOCK_FILE"]


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


def _kernel_os_problem(ename: str, evalue: str) -> Problem | None:
    """The plain problem for an error of the operating system raised in the kernel (``[Errno 28] ...``), or None."""
    import re

    found = re.match(r"\[Errno (\d+)\] ([^:]*)(?:: '(.*)')?", str(evalue))
    if ename not in ("OSError", "PermissionError", "FileNotFoundError", "IsADirectoryError", "NotADirectoryError",
                     "FileExistsError") or found is None:
        return None
    problem = os_problem(OSError(int(found.group(1)), found.group(2), found.group(3)), "writing the outputs")
    if problem is not None:
        problem.hint = f"{problem.hint}; no report was written"
    return problem


def _failure_message(exc: Exception, nb_path: Path | None) -> NpsdiagError:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    cell = getattr(exc, "exec_count", None)
    if ename == "NpsdiagError":  # the user's config or data: the kernel's message is already written for them
        return NpsdiagError.from_text(evalue)
    system = _kernel_os_problem(ename, evalue)
    if system is not None:  # a full disk, no permission... while the kernel wrote the outputs: the user can fix it
        return NpsdiagError(system)
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
        The config or data has problems, a cell failed (the message names
        the cell and the error), the output folder cannot be used (it is a
        file, cannot be created, would overwrite one of the client's exports,
        holds another client's report, or another run is writing into it).
    Interrupted
        Ctrl-C or a ``kill`` stopped the run; the kernel was stopped and
        nothing was left behind.

    Notes
    -----
    A run that does not finish (failed or interrupted) leaves no report that
    looks finished: the previous run's outputs in the folder are moved into
    ``stale-outputs/`` (see :data:`STALE_FOLDER`).
    """
    cfg_path = resolve_config_path(config)
    cfg = load_config(cfg_path)
    if previous:
        from .story import load_previous

        load_previous(previous)  # a missing or foreign file is said now, before the kernel starts
        previous = str(Path(previous).resolve())
    out = output_folder(output, cfg.slug)
    refuse_overwriting_inputs(out, [cfg_path, *(spec.path for spec in cfg.tables.values())])
    _refuse_other_client(out, cfg.client)
    with folder_lock(out), stop_on_signals():
        (out / FAILED_NOTEBOOK).unlink(missing_ok=True)  # a previous failure's notebook: this run supersedes it
        try:
            return _run_in(out, cfg_path, cfg.client, progress, kernel_name, str(previous or ""))
        except BaseException:
            _set_aside_stale(out)
            raise


def _run_in(out: Path, cfg_path: Path, client: str, progress: bool, kernel_name: str, previous: str) -> RunResult:
    """:func:`run` once its output folder is checked and locked: stage, execute, render, move into place."""
    import time

    try:
        stage = Path(tempfile.mkdtemp(prefix=".npsdiag-run-", dir=out))
    except OSError as exc:
        raise _os_error(exc, f"creating a working folder in {out}") from None
    seconds: dict[str, float] = {}
    # the runner waits while the kernel works: meanwhile it imports nbconvert and compiles the report template
    # the kernel's libraries are imported here first: two threads importing jupyter_client at once can meet its
    # circular imports half done ("partially initialized module"), which once failed a run
    import jupyter_client  # noqa: F401
    import papermill  # noqa: F401

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="npsdiag-render")
    warm = pool.submit(_warm_exporter)
    try:
        t0 = time.perf_counter()
        nb = _execute(stage, cfg_path, out, progress, kernel_name, previous)
        seconds["execute"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        try:
            exporter = warm.result()
        except Exception:  # noqa: BLE001 - render() builds its own and reports any template problem
            exporter = None
        html = render(nb, title=f"{client} — NPS diagnosis", exporter=exporter)
        (stage / "report.html").write_text(html, encoding="utf-8")
        appendix = render(nb, title=f"{client} — NPS diagnosis: analyst appendix", exporter=exporter,
                          appendix=True)
        (stage / "appendix.html").write_text(appendix, encoding="utf-8")
        seconds["render"] = time.perf_counter() - t1
        if not (stage / "findings.json").exists():
            raise NpsdiagError(Problem("the notebook ran but wrote no findings.json",
                                       hint="the last cell must call outputs.write_outputs(...)"))
        check_stop()  # a signal during rendering: stop before anything is moved into place
        moved = _move_into_place(stage, out)
    except OSError as exc:
        raise _os_error(exc, f"writing into {out}") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(stage, ignore_errors=True)
    return RunResult(output_dir=out, report=out / "report.html", findings=out / "findings.json",
                     notebook=out / "diagnose.ipynb", files=moved, seconds=seconds)


def _move_into_place(stage: Path, out: Path) -> list[Path]:
    """Move the staged files (and those of its subfolders) into the output folder: everything else first, the
    report last."""
    moved = []
    names = sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*")
                   if p.is_file() and not p.name.endswith(".part"))
    for name in sorted(names, key=lambda n: n == "report.html"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / name, out / name)
        moved.append(out / name)
    _scrub_notebook(out / "diagnose.ipynb", str(stage), str(out))
    return moved


def _os_error(exc: OSError, doing: str) -> Exception:
    """An :class:`NpsdiagError` for an error of the operating system the user can fix; else the error itself."""
    problem = os_problem(exc, doing)
    return NpsdiagError(problem) if problem is not None else exc


# --------------------------------------------------------------------------- executing the notebook


def _execute(stage: Path, cfg_path: Path, out: Path, progress: bool, kernel_name: str, previous: str = ""):
    """Execute the diagnosis notebook into ``stage``; a failing cell raises :class:`NpsdiagError`.

    Papermill runs on a worker thread: nbclient then installs no signal handler of its own (it would swallow
    Ctrl-C), and the main thread, waiting, receives Ctrl-C and ``kill`` at once. On those the kernel (started in
    a session of its own, so the terminal's Ctrl-C never reaches it) is killed, which ends the worker.
    """
    import papermill as pm
    from nbclient.exceptions import DeadKernelError

    check_stop()  # stopped while the libraries were imported: no kernel is started
    root = project_root()
    executed = stage / "diagnose.ipynb"
    kernels: list = []
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="npsdiag-kernel")
    job = worker.submit(
        pm.execute_notebook, str(root / NOTEBOOK), str(executed),
        parameters={"config": str(cfg_path), "output_dir": str(stage), "previous": previous},
        # the executed notebook is written once at the end (and on a failure), not after every cell:
        # nobody watches the staging copy, and each save of a notebook full of figures costs time
        request_save_on_cell_execute=False,
        # the last cell has written every output: stop the kernel at once instead of letting it free
        # 1-2 GB of prepared data object by object (1.1 s at 1M)
        shutdown_kernel="immediate", kernel_name=kernel_name, progress_bar=progress, log_output=False,
        report_mode=False,
        # the kernel starts in notebooks/ (no chdir of this whole process, which other threads share)
        resources={"metadata": {"path": str(root / "notebooks")}},
        kernel_manager_class=_recording_kernel_manager(kernels),
        # the kernel's own start-up warnings (e.g. "running over TCP") are noise to a consultant; its errors show
        extra_arguments=["--IPKernelApp.log_level=ERROR"])
    try:
        return _wait_for(job)
    except pm.PapermillExecutionError as exc:
        failed = out / FAILED_NOTEBOOK
        if executed.exists():
            shutil.copyfile(executed, failed)
        raise _failure_message(exc, failed if failed.exists() else None) from None
    except DeadKernelError:
        raise NpsdiagError(Problem("the diagnosis stopped: the Python kernel running it died, most often for "
                                   "lack of memory", hint="close other programs, or run on a machine with more "
                                   "memory; no report was written")) from None
    except BaseException:  # Ctrl-C, kill: stop the kernel, which ends the worker
        papermill_log = logging.getLogger("papermill")
        level = papermill_log.level
        papermill_log.setLevel(logging.CRITICAL)  # its "kernel died" is what was asked for: not news
        try:
            _stop(job, kernels, timeout=30)
        finally:
            papermill_log.setLevel(level)
        raise
    finally:
        worker.shutdown(wait=False, cancel_futures=True)


def _wait_for(job):
    """The job's result, waited for in short steps, stopping at once when a stop signal came."""
    while True:
        check_stop()
        try:
            return job.result(timeout=0.2)
        except TimeoutError:
            continue


def _stop(job, kernels: list, timeout: float) -> None:
    """Kill the job's kernels until the job ends: a kernel starting just after the signal is killed too."""
    import time

    end = time.monotonic() + timeout
    while not job.done() and time.monotonic() < end:
        _kill_kernels(kernels)
        with contextlib.suppress(Exception):
            job.result(timeout=0.2)


def _recording_kernel_manager(kernels: list) -> type:
    """nbclient's kernel manager class, recording each instance in ``kernels`` (to stop the kernel on Ctrl-C)."""
    from jupyter_client import AsyncKernelManager

    class RecordedKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            kernels.append(self)

    return RecordedKernelManager


def _kill_kernels(kernels: list) -> None:
    """Kill the kernels' processes (their whole process group when they have one of their own)."""
    for km in kernels:
        proc = getattr(getattr(km, "provisioner", None), "process", None)
        if proc is None or proc.poll() is not None:
            continue
        try:
            os.killpg(os.getpgid(proc.pid), signal.SIGKILL)
        except (AttributeError, OSError):
            with contextlib.suppress(OSError):
                proc.kill()




# --------------------------------------------------------------------------- the output folder

#: A run's files in its output folder (besides the report): what a new run replaces, and never an input.
FAILED_NOTEBOOK = "diagnose.failed.ipynb"
#: Where the previous run's outputs go when a run does not finish: the folder then holds no report that looks
#: finished (and ``reports/*/findings.json`` finds none of them).
STALE_FOLDER = "stale-outputs"
LOCK_FILE = ".npsdiag.lock"


def output_folder(output: str | Path | None, slug: str) -> Path:
    """The output folder (given, else ``reports/<slug>`` under the working folder), created; a plain
    :class:`NpsdiagError` when it is a file or cannot be created."""
    out = (Path(output).expanduser() if output else Path.cwd() / "reports" / slug).resolve()
    if out.exists() and not out.is_dir():
        raise NpsdiagError(Problem(f"the output folder {out} is a file, not a folder",
                                   hint="give --output a folder (it is created if needed)"))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        problem = os_problem(exc, f"cannot create the output folder {out}") or Problem(
            f"cannot create the output folder {out} ({exc.strerror or exc})")
        problem.hint = problem.hint or "give --output a folder you can write to"
        raise NpsdiagError(problem) from None
    return out


def refuse_overwriting_inputs(out: Path, inputs: list[Path]) -> None:
    """Raise :class:`NpsdiagError` when a file a run writes into ``out`` is one of the client's ``inputs``.

    Compared by name (ignoring case, as some file systems do) in the output folder and by identity (links).
    """
    names = {*OUTPUT_FILES, FAILED_NOTEBOOK, LOCK_FILE, STALE_FOLDER}
    mine = {n.lower() for n in names}
    for inp in inputs:
        try:
            inp = Path(inp).resolve()
        except OSError:
            continue
        try:
            relative = inp.relative_to(out).as_posix().lower()
        except ValueError:
            relative = None
        clash = relative in mine
        clash = clash or any((out / n).exists() and inp.exists() and os.path.samefile(out / n, inp) for n in names)
        clash = clash or out / STALE_FOLDER in inp.parents
        if clash:
            raise NpsdiagError(Problem(
                f"the output folder {out} holds the client's file {inp.name}, which the run would overwrite",
                hint="write the outputs into another folder (--output), or move the exports into a folder of "
                "their own"))


def _refuse_other_client(out: Path, client: str) -> None:
    """Raise when the folder holds the findings of another client (a run would mix two clients' files)."""
    import json

    found = out / "findings.json"
    if not found.is_file():
        return
    try:
        other = json.loads(found.read_text(encoding="utf-8")).get("client")
    except (OSError, ValueError, AttributeError):
        return
    if isinstance(other, str) and other.strip() and other != client:
        raise NpsdiagError(Problem(
            f"the output folder {out} holds the report of another client ({other[:80]!r})",
            hint="give this client its own folder (--output), or empty that folder first"))


@contextlib.contextmanager
def folder_lock(out: Path) -> Iterator[None]:
    """Hold the output folder for one run: a second run into it (another terminal, a batch) is refused with a
    plain message instead of both writing and one client's files vanishing.

    An exclusive ``flock`` on ``<out>/.npsdiag.lock``, released (and the file removed) when the run ends, also
    when the process is killed (the system releases the lock).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux or macOS: no lock
        yield
        return
    path = out / LOCK_FILE
    try:
        fd = _locked_fd(path, fcntl)
    except OSError as exc:
        raise _os_error(exc, f"locking the output folder {out}") from None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def _locked_fd(path: Path, fcntl) -> int:
    """A descriptor of ``path`` holding its exclusive lock (the file is the one at ``path``, not a removed one)."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            raise NpsdiagError(Problem(
                f"another npsdiag run{f' (process {holder})' if holder else ''} is writing into {path.parent}",
                hint="wait for it to finish, or give this run another folder (--output)")) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the file was removed by the run that held it: lock the new one


def _set_aside_stale(out: Path) -> None:
    """Move the previous run's outputs into ``stale-outputs/`` (replacing older ones): after a run that did not
    finish, no report that looks finished stays in the folder."""
    present = [n for n in OUTPUT_FILES if (out / n).is_file()]
    if not present:
        return
    stale = out / STALE_FOLDER
    with contextlib.suppress(OSError):
        stale.mkdir(exist_ok=True)
        for name in present:
            (stale / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(out / name, stale / name)
        (stale / "README.txt").write_text(
            "These files are from an earlier npsdiag run. A later run into this folder did not finish, so they were "
            "moved here: they may not match the current config and data. Run again to get a current report.\n",
            encoding="utf-8")


def _scrub_notebook(path: Path, stage: str, out: str) -> None:
    """Point the executed notebook's recorded output_dir at the final folder, not the staging one."""
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    if stage in text:
        path.write_text(text.replace(json.dumps(stage)[1:-1], json.dumps(out)[1:-1]), encoding="utf-8")
