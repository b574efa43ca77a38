"""The whole diagnosis of one client, from config to outputs.

:func:`diagnose` runs every area on prepared data and returns a
:class:`~npsdiag.findings.Diagnosis`; :func:`write_outputs` writes
``findings.json`` and the CSV exports beside the report. The notebook
``notebooks/diagnose.ipynb`` calls the same pieces one area at a time so that
analysts can find the function behind each section.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import pickle
import shutil
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .clean import Prepared
from .diagnoses._util import release_memory
from .findings import AREAS, AreaResult, Diagnosis
from .metrics import nps

__all__ = ["headline", "assemble", "diagnose", "write_outputs", "AREA_FUNCTIONS", "AreaRunner", "available_cores",
           "release_memory"]


def _area_functions() -> dict[str, Any]:
    from . import drivers
    from .diagnoses import balance, decay, outcome, reliability, segmentation, verbatims

    return {"reliability": reliability.diagnose, "balance": balance.diagnose,
            "segmentation": segmentation.diagnose, "outcome": outcome.diagnose, "decay": decay.diagnose,
            "drivers": drivers.diagnose, "verbatims": verbatims.diagnose}


AREA_FUNCTIONS = _area_functions


def headline(prep: Prepared) -> dict[str, Any]:
    """Headline NPS of the analysed responses with its adjusted Wald interval.

    Returns
    -------
    dict
        ``nps``, ``ci_low``, ``ci_high``, ``moe`` (points), ``n``, and the
        category shares ``pct_promoters``, ``pct_passives``,
        ``pct_detractors``.
    """
    r = prep.responses
    if r.empty:
        return {"nps": None, "ci_low": None, "ci_high": None, "moe": None, "n": 0}
    t = nps(r, confidence=prep.settings.confidence, breaks=prep.settings.breaks).iloc[0]
    return {"nps": round(float(t["nps"]), 1), "ci_low": round(float(t["ci_low"]), 1),
            "ci_high": round(float(t["ci_high"]), 1), "moe": round(float(t["moe"]), 1), "n": int(t["n"]),
            "pct_promoters": round(float(t["pct_promoters"]), 1),
            "pct_passives": round(float(t["pct_passives"]), 1),
            "pct_detractors": round(float(t["pct_detractors"]), 1)}


def data_summary(prep: Prepared) -> dict[str, Any]:
    """Volumes and period for the cover and findings.json."""
    period = prep.period
    acc = prep.accounts
    out: dict[str, Any] = {
        "responses": int(len(prep.responses)),
        "responses_read": int(len(prep.flags)),  # one flag per row read
        "accounts": int(len(acc)) if acc is not None else (
            int(prep.responses["account_id"].nunique()) if "account_id" in prep.responses else None),
        "period": [period[0].date().isoformat(), period[1].date().isoformat()] if period else None,
    }
    if prep.invitations is not None:
        out["invitations"] = int(len(prep.invitations))
    if prep.contacts is not None:
        out["contacts"] = int(len(prep.contacts))
    return out


def assemble(prep: Prepared, results: list[AreaResult] | dict[str, AreaResult]) -> Diagnosis:
    """Put area results together into the client's :class:`Diagnosis`."""
    if isinstance(results, dict):
        results = list(results.values())
    areas = {r.area: r for r in results}
    ordered = {a: areas[a] for a in (*AREAS, "drivers", "verbatims") if a in areas}
    ordered.update({k: v for k, v in areas.items() if k not in ordered})
    return Diagnosis(client=prep.config.client, data_summary=data_summary(prep), headline=headline(prep),
                     areas=ordered)


def diagnose(prep: Prepared) -> Diagnosis:
    """Run every area's diagnosis on prepared data (what the notebook does, in one call)."""
    return assemble(prep, [fn(prep) for fn in _area_functions().values()])


def _table_exports(diag: Diagnosis) -> dict[str, pd.DataFrame]:
    seg = diag.areas.get("segmentation")
    out = {}
    if seg is not None:
        for key in ("segments", "segment_table"):
            if key in seg.tables:
                out["segments.csv"] = seg.tables[key]
                break
    return out


def write_outputs(diag: Diagnosis, prep: Prepared, output_dir: str | Path) -> list[Path]:
    """Write findings.json and the CSV exports (segment table, callback queue) into ``output_dir``.

    CSV cells that a spreadsheet would run as a formula are neutralised.
    Returns the paths written.
    """
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [diag.write_json(out / "findings.json")]
    try:
        from .callback import callback_queue, write_csv_safely
    except ImportError:  # pragma: no cover - arrives with the decay area
        return written
    from .redact import redact_frame

    for name, frame in _table_exports(diag).items():
        frame = redact_frame(frame) if prep.settings.redact_pii else frame
        written.append(write_csv_safely(frame, out / name))
    # the decay area computed the queue already (same key): not again on a large export
    queue = prep.cached("callback_queue", lambda: callback_queue(prep)) if hasattr(prep, "cached") else (
        callback_queue(prep))
    if queue is not None:
        written.append(write_csv_safely(queue, out / "callback_queue.csv"))
    return written


# --------------------------------------------------------------------------- two cores


#: Seconds a waiting kernel gives the second process without any CPU progress before it stops it and computes
#: the area itself (a safeguard: a forked process that hangs must not hang the report).
STALL_SECONDS = 30.0
#: Poll interval while waiting for the second process (seconds).
_POLL = 0.02
#: Start a second process only while the machine has at least this share of this process's resident memory
#: available: the second process shares the prepared data and needs only its areas' working memory.
MEMORY_HEADROOM = 0.5
#: Relative cost of each area (seconds to compute it and draw its figures at 1M responses, one process, on the
#: benchmark machine). Only the order in which the second process picks areas depends on it, never a result:
#: it takes the costliest area nobody has claimed yet, so that the two processes finish close together. Other
#: areas count as 1.0 (ties: the later area in the notebook first).
AREA_COST = {"reliability": 1.7, "balance": 2.9, "segmentation": 1.7, "outcome": 2.1, "decay": 3.6,
             "drivers": 1.2, "verbatims": 1.8}


def _enough_memory() -> bool:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            rss = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        with open("/proc/meminfo", encoding="ascii") as fh:
            avail = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("MemAvailable:"))
        return avail >= MEMORY_HEADROOM * rss
    except (OSError, ValueError, StopIteration, IndexError):
        return False


def available_cores(cores: int | None = None) -> int:
    """How many processes :class:`AreaRunner` uses: 1 or 2.

    ``cores`` 0 or None means "as many as useful": 2 on Linux when this
    process may run on at least two CPUs, else 1. A second process is a
    fork of this one, so it is never used where forking is unavailable or
    unsafe (Windows, macOS).
    """
    if cores is not None and int(cores) == 1:
        return 1
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return 1
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return 2 if n >= 2 else 1


def _area_name(fn: Callable) -> str:
    mod = getattr(fn, "__module__", "") or ""
    return mod.rsplit(".", 1)[-1] if getattr(fn, "__name__", "") == "diagnose" else getattr(fn, "__name__", repr(fn))


def _cpu_ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return None


def _cleanup(tmpdir: str, pid: int | None, limits: list | None = None) -> None:
    for limit in limits or ():
        with contextlib.suppress(Exception):
            limit.restore_original_limits()
    if limits:
        limits.clear()
    if pid:
        with contextlib.suppress(OSError, ChildProcessError):
            if os.waitpid(pid, os.WNOHANG) == (0, 0):
                os.kill(pid, 9)
                os.waitpid(pid, 0)
        gc.unfreeze()
    shutil.rmtree(tmpdir, ignore_errors=True)


class AreaRunner:
    """Compute a diagnosis's areas, using a second core when the machine has one.

    ``runner.result(fn)`` is ``fn(prep)`` and ``runner.html(fn)`` is
    ``report.area_html(fn(prep), redact)``: the notebook reads the same as
    calling each area's ``diagnose`` in turn, and the results are the same.
    On Linux with two or more cores, a forked copy of this process computes
    the intermediate results several areas share (each area module's
    ``shared_inputs(prep)``) and hands them back, then computes areas (and
    draws their figures), the costliest first (:data:`AREA_COST`), while
    this process computes them in the notebook's order as the notebook asks
    for them. Each area is claimed by exactly one of the two, and the second
    process hands its results back as pickles. When the notebook asks for an
    area the second process is still computing, this process computes the
    next area nobody has claimed instead of waiting idle (its output and any
    error are shown in that area's own cell).

    The areas are computed from ``prep`` as it is when the runner is made
    (the second process holds a copy-on-write snapshot of it): to diagnose
    changed data, make a new runner (or call ``diagnose(prep)`` directly).

    Nothing depends on the second process: if it cannot start (one core,
    not Linux, or less memory available than :data:`MEMORY_HEADROOM` times
    this process's), fails on an area, dies (e.g. out of memory) or makes no progress for
    :data:`STALL_SECONDS`, this process computes the area itself, so an
    error surfaces in the area's own cell exactly as without it.

    Parameters
    ----------
    prep : Prepared
        The prepared data every area reads.
    functions : sequence of callables
        The areas' ``diagnose`` functions in the notebook's order, e.g.
        ``[reliability.diagnose, balance.diagnose, ...]``.
    redact : bool
        Redact personal data in the HTML (``prep.settings.redact_pii``).
    cores : int, optional
        1 computes everything in this process; 0 or None (default) uses a
        second process where :func:`available_cores` allows.

    Attributes
    ----------
    summary : DataFrame
        ``area``, ``computed_in`` ("this process", "second process" or
        "not yet"), ``seconds`` (compute and figures, in the process that did it).

    Notes
    -----
    The second process shares the prepared data with this one (a fork is
    copy-on-write), so it costs only the memory of the areas it computes.
    Forking a process with threads is safe here because the child touches
    none of the kernel's sockets (its standard streams go to a buffer whose
    text is replayed in the area's cell) and leaves with ``os._exit``.
    """

    def __init__(self, prep: Any, functions: Sequence[Callable], redact: bool = False,
                 cores: int | None = None) -> None:
        self.prep = prep
        self.functions = list(functions)
        self.names = [_area_name(f) for f in self.functions]
        if len(set(self.names)) != len(self.names):
            raise ValueError("AreaRunner: each area function may be given once")
        self.redact = bool(redact)
        self._results: dict[str, AreaResult] = {}
        self._html: dict[str, str] = {}
        self._where: dict[str, str] = {}
        self._seconds: dict[str, float] = {}
        self._tmp = tempfile.mkdtemp(prefix="npsdiag-areas-")
        self._pid: int | None = None
        self._parent = os.getpid()
        self._hooks: list[Callable] = []
        self._limits: list[Any] = []
        self._shared_pending = False
        self._mine: set[str] = set()  # areas this process claimed
        self._output: dict[str, str] = {}  # what an area computed ahead of its cell printed, for that cell
        release_memory()
        if available_cores(cores) >= 2 and len(self.functions) >= 2 and _enough_memory():
            self._hooks = self._shared_hooks()
            self._start()
            self._shared_pending = bool(self._pid and self._hooks)
            if self._pid:
                self._limit_threads()
        self._finalizer = weakref.finalize(self, _cleanup, self._tmp, self._pid, self._limits)

    # ------------------------------------------------------------------ claims (one file per area)
    def _claim(self, name: str) -> bool:
        try:
            os.close(os.open(os.path.join(self._tmp, name + ".claim"), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return True
        except FileExistsError:
            return False

    def _path(self, name: str, kind: str) -> str:
        return os.path.join(self._tmp, f"{name}.{kind}")

    # ------------------------------------------------------------------ the second process
    def _shared_hooks(self) -> list[Callable]:
        """The area modules' ``shared_inputs(prep)`` functions (e.g. :func:`npsdiag.diagnoses.decay.shared_inputs`):
        intermediate results several areas share. The second process computes them first and hands them back,
        so that neither process computes them twice and the kernel does not wait for them."""
        hooks: list[Callable] = []
        for fn in self.functions:
            hook = getattr(sys.modules.get(getattr(fn, "__module__", ""), None), "shared_inputs", None)
            if callable(hook) and hook not in hooks:
                hooks.append(hook)
        return hooks

    def _limit_threads(self) -> None:
        """One BLAS/OpenMP thread in this process too while the second process lives: two processes on two
        cores leave no core to a thread pool (idle OpenBLAS threads spin for a while after each call)."""
        with contextlib.suppress(Exception):
            from threadpoolctl import threadpool_limits

            self._limits.append(threadpool_limits(1))

    def _start(self) -> None:
        gc.freeze()  # the child's garbage collector then leaves the shared pages alone (no copy-on-write)
        try:
            pid = os.fork()
        except OSError:
            gc.unfreeze()
            return
        if pid == 0:  # pragma: no cover - runs in the forked child (covered by the tests through its results)
            code = 1
            try:
                self._child()
                code = 0
            finally:
                os._exit(code)
        # The objects that existed at the fork stay frozen here too while the second process lives: a garbage
        # collection would write to every object's header and so copy the pages both processes share.
        self._pid = pid

    def _child(self) -> None:  # pragma: no cover - forked child
        from . import report

        buf = io.StringIO()
        sys.stdout = sys.stderr = buf  # never write into the kernel's streams from here
        with contextlib.suppress(Exception):
            from threadpoolctl import threadpool_limits

            threadpool_limits(1)  # two processes on two cores: no thread oversubscription
        cache = getattr(self.prep, "_cache", {})
        before = set(cache)

        def new_entries(codes: bool) -> dict[str, bytes]:
            """Cache entries added since ``before``, pickled (those that pickle); ``codes`` keeps integer codes."""
            out = {}
            for k in [k for k in cache if k not in before and (codes or not k.startswith("codes:"))]:
                with contextlib.suppress(Exception):
                    out[k] = pickle.dumps(cache[k], protocol=pickle.HIGHEST_PROTOCOL)
            before.update(out)
            return out

        if self._hooks:
            for hook in self._hooks:
                with contextlib.suppress(Exception):  # the area computes (and reports) it itself
                    hook(self.prep)
            self._write("_shared", pickle.dumps({"cache": new_entries(codes=True)}, protocol=pickle.HIGHEST_PROTOCOL))
        for i in self._second_order():
            fn, name = self.functions[i], self.names[i]
            if os.getppid() != self._parent:
                return
            if not self._claim(name):
                continue
            t0 = time.perf_counter()
            try:
                res = fn(self.prep)
                html = report.area_html(res, self.redact)
                release_memory()
                # shared results a later area of the kernel may reuse (e.g. the callback queue for write_outputs)
                payload = pickle.dumps({"result": res, "html": html, "cache": new_entries(codes=False),
                                        "output": buf.getvalue(), "seconds": time.perf_counter() - t0},
                                       protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:  # noqa: BLE001 - the kernel computes this area itself and shows any error
                open(self._path(name, "failed"), "w").close()
                return
            buf.seek(0)
            buf.truncate()
            self._write(name, payload)

    def _second_order(self) -> list[int]:
        """The order in which the second process tries to claim the areas: costliest first (:data:`AREA_COST`),
        and among equal costs the later area in the notebook first."""
        n = len(self.names)
        return sorted(range(n), key=lambda i: (-AREA_COST.get(self.names[i], 1.0), n - i))

    def _write(self, name: str, payload: bytes) -> None:  # pragma: no cover - forked child
        part = self._path(name, "part")
        with open(part, "wb") as fh:
            fh.write(payload)
        os.replace(part, self._path(name, "pkl"))

    def _child_alive(self) -> bool:
        if not self._pid:
            return False
        try:
            return os.waitpid(self._pid, os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return False

    def _wait(self, name: str, block: bool = True) -> dict | None:
        """The second process's payload ``name`` (unpickled), waiting for it while the process works; None when
        it failed, died or stalled (or, with ``block=False``, is not there yet)."""
        pkl = self._path(name, "pkl")
        last_ticks, last_progress = None, time.monotonic()
        while True:
            if os.path.exists(pkl):
                try:
                    with open(pkl, "rb") as fh:
                        return pickle.load(fh)
                except Exception:  # noqa: BLE001 - an unreadable result is recomputed here
                    return None
                finally:
                    with contextlib.suppress(OSError):
                        os.unlink(pkl)
            if not block or os.path.exists(self._path(name, "failed")):
                return None
            if not self._child_alive():
                if os.path.exists(pkl):  # written just before it left
                    continue
                return None
            ticks = _cpu_ticks(self._pid)
            if ticks != last_ticks:
                last_ticks, last_progress = ticks, time.monotonic()
            elif time.monotonic() - last_progress > STALL_SECONDS:
                self._stop_child()
                return None
            time.sleep(_POLL)

    def _merge_cache(self, entries: dict[str, bytes]) -> None:
        cache = getattr(self.prep, "_cache", None)
        if cache is None:
            return
        for k, v in entries.items():
            if k not in cache:
                with contextlib.suppress(Exception):
                    cache[k] = pickle.loads(v)

    def _receive_shared(self) -> None:
        """Before an area is computed here: take the shared inputs from the second process. The kernel's first
        area starts without them (the second process is computing them meanwhile); later ones wait for them."""
        if not self._shared_pending:
            return
        block = "this process" in self._where.values()
        payload = self._wait("_shared", block=block)
        if payload is not None:
            self._merge_cache(payload["cache"])
        if payload is not None or block:
            self._shared_pending = False

    def _ready(self, name: str) -> bool:
        """Whether waiting for the second process's ``name`` would end now (its result or failure is there, or
        the process is gone)."""
        return (os.path.exists(self._path(name, "pkl")) or os.path.exists(self._path(name, "failed"))
                or not self._child_alive())

    def _compute_ahead(self, after: str) -> bool:
        """Compute the first area after ``after`` (in the notebook's order) that nobody has claimed, with its
        report HTML, while the second process finishes ``after``. Its printed output is kept for its own cell;
        an error is not raised here: that area's cell computes it again and shows the error there."""
        for name in self.names[self.names.index(after) + 1:]:
            if name in self._results or name in self._mine or not self._claim(name):
                continue
            buf = io.StringIO()
            try:
                with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
                    self._compute_here(name)
                    self.html(name)
            except Exception:  # noqa: BLE001 - shown in the area's own cell when the notebook gets there
                return True
            self._output[name] = buf.getvalue()
            return True
        return False

    def _compute_here(self, name: str) -> None:
        """Compute area ``name`` in this process (it has claimed it, or there is no second process)."""
        self._mine.add(name)
        self._receive_shared()
        t0 = time.perf_counter()
        self._results[name] = self.functions[self.names.index(name)](self.prep)
        release_memory()
        self._seconds[name] = time.perf_counter() - t0
        self._where[name] = "this process"

    def _from_child(self, name: str) -> bool:
        """Wait for the second process's result of ``name``; False when this process must compute it. While
        waiting, compute the areas after it that nobody has claimed yet."""
        while not self._ready(name) and self._compute_ahead(name):
            pass
        payload = self._wait(name)
        if payload is None:
            return False
        self._merge_cache(payload["cache"])
        self._results[name] = payload["result"]
        self._html[name] = payload["html"]
        self._seconds[name] = payload["seconds"]
        self._where[name] = "second process"
        if payload["output"]:
            sys.stderr.write(payload["output"])
        return True

    def _stop_child(self) -> None:
        if self._pid and self._child_alive():
            with contextlib.suppress(OSError, ChildProcessError):
                os.kill(self._pid, 9)
                os.waitpid(self._pid, 0)

    # ------------------------------------------------------------------ public
    def _name(self, fn: Callable | str) -> str:
        name = fn if isinstance(fn, str) else _area_name(fn)
        if name not in self.names:
            raise KeyError(f"{name!r} is not one of this runner's areas ({', '.join(self.names)})")
        return name

    def result(self, fn: Callable | str) -> AreaResult:
        """The area's result: ``fn(prep)``, computed here or by the second process."""
        name = self._name(fn)
        if name in self._output:  # computed ahead of its cell: what it printed belongs here
            sys.stderr.write(self._output.pop(name))
        if name in self._results:
            return self._results[name]
        mine = name in self._mine or not self._pid or self._claim(name)
        if mine or not self._from_child(name):
            self._compute_here(name)
        if len(self._results) == len(self.names):
            self.close()  # every area is in: the second process has nothing left to do
        return self._results[name]

    def html(self, fn: Callable | str) -> str:
        """The area's report section: ``report.area_html(result, redact)``."""
        from . import report

        name = self._name(fn)
        res = self.result(name)
        if name not in self._html:
            t0 = time.perf_counter()
            self._html[name] = report.area_html(res, self.redact)
            self._seconds[name] = self._seconds.get(name, 0.0) + time.perf_counter() - t0
        return self._html[name]

    def results(self) -> list[AreaResult]:
        """Every area's result, in the order of ``functions``."""
        return [self.result(n) for n in self.names]

    def close(self) -> None:
        """Stop the second process (if still running) and remove its scratch folder."""
        self._finalizer()

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"area": self.names,
                             "computed_in": [self._where.get(n, "not yet") for n in self.names],
                             "seconds": [round(self._seconds[n], 2) if n in self._seconds else None
                                         for n in self.names]})

    def __repr__(self) -> str:
        done = sum(n in self._results for n in self.names)
        return (f"AreaRunner({len(self.names)} areas, {done} computed, "
                f"{'two processes' if self._pid else 'one process'})")

    def _repr_html_(self) -> str:
        return self.summary.to_html(index=False)
