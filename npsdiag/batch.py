"""Diagnose many clients at once: ``npsdiag batch CONFIG... --jobs N``.

Each client runs as ``npsdiag run`` does (:func:`npsdiag.runner.run`: the
notebook executed by Papermill, the report rendered by nbconvert) into
``<output_root>/<client-slug>/``, ``jobs`` clients at a time, each in a worker
process of a :class:`concurrent.futures.ProcessPoolExecutor`. Every client
gets a folder of its own: slugs are made unique across the whole batch. One
progress bar counts the clients; a client that fails (bad config, unreadable
data, a failing cell, even a crashed worker) is reported with its message and
the others finish.
``batch_summary.csv`` lists every client with its status, headline NPS and
interval, responses analysed, seconds, message and report path.

Examples
--------
>>> from npsdiag.batch import batch
>>> summary = batch(["clients/acme.yml", "clients/globex.yml"], jobs=2)  # doctest: +SKIP
>>> summary[["client", "status", "nps"]]  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import signal
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import check_stop, stop_on_signals

__all__ = ["run_client", "batch", "expand_configs", "write_summary", "refuse_summary_over_inputs", "SUMMARY_COLUMNS",
           "SUMMARY_FILE"]

#: Columns of ``batch_summary.csv``.
SUMMARY_COLUMNS = ["client", "status", "nps", "ci_low", "ci_high", "n", "seconds", "message", "report", "config"]
SUMMARY_FILE = "batch_summary.csv"


def expand_configs(configs: Iterable[str | Path]) -> list[Path]:
    """Config paths, with glob patterns (``clients/*.yml``) expanded where the shell did not.

    A pattern that matches nothing is kept as given, so that it is reported
    as a failed client rather than silently dropped.
    """
    out: list[Path] = []
    for c in configs:
        s = str(c)
        if any(ch in s for ch in "*?[") and not Path(s).exists():
            hits = sorted(glob.glob(s, recursive=True))
            if hits:
                out.extend(Path(h) for h in hits)
            else:
                out.append(Path(s))
        else:
            out.append(Path(s))
    return list(dict.fromkeys(p.resolve() for p in out))


def _client_and_slug(config: Path) -> tuple[str, str]:
    """The client name and slug of a config, or the file's stem when the config cannot be read."""
    from .config import read_config, slugify

    try:
        cfg, _ = read_config(config)
    except Exception:  # noqa: BLE001 - a broken config is reported by its run
        cfg = None
    if cfg is not None and cfg.client:
        return cfg.client, cfg.slug or slugify(cfg.client)
    return config.stem, slugify(config.stem) or "client"


def run_client(config: str | Path, output: str | Path, client: str | None = None) -> dict[str, Any]:
    """Diagnose one client and return its summary row; never raises.

    Parameters
    ----------
    config : path to the client's YAML config
    output : folder for this client's outputs
    client : name shown in the summary (default: from the config)

    Returns
    -------
    dict
        The :data:`SUMMARY_COLUMNS`: ``status`` is ``ok`` or ``failed``;
        ``nps``, ``ci_low``, ``ci_high`` (points) and ``n`` come from the
        client's findings.json; ``message`` says why a client failed.
    """
    from .errors import NpsdiagError, os_problem
    from .runner import run

    t0 = time.perf_counter()
    config = Path(config)
    row: dict[str, Any] = dict.fromkeys(SUMMARY_COLUMNS)
    row.update({"client": client or _client_and_slug(config)[0], "config": str(config), "status": "failed",
                "message": ""})
    try:
        res = run(config, output, progress=False)
        head = json.loads(res.findings.read_text(encoding="utf-8")).get("headline", {})
        row.update({"status": "ok", "nps": head.get("nps"), "ci_low": head.get("ci_low"),
                    "ci_high": head.get("ci_high"), "n": head.get("n"), "report": str(res.report)})
    except NpsdiagError as exc:
        row["message"] = exc.message
    except OSError as exc:  # a full disk, a folder without permission: said plainly
        problem = os_problem(exc)
        row["message"] = str(problem) if problem else f"internal error: {type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - one client's failure must not stop the batch
        row["message"] = f"internal error: {type(exc).__name__}: {exc}"
    row["seconds"] = round(time.perf_counter() - t0, 1)
    return row


def write_summary(summary: pd.DataFrame, path: str | Path) -> Path:
    """Write the batch summary as CSV, cells that a spreadsheet would run as formulas neutralised."""
    from .outputs import write_csv_safely

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_csv_safely(summary, path)


def unique_slugs(configs: Sequence[Path]) -> list[tuple[str, str]]:
    """The client name and an output folder name of each config, no two alike in the whole batch.

    A slug met again gets the first free ``-2``, ``-3``... suffix that is
    neither taken nor another config's own slug.

    Examples
    --------
    >>> from unittest import mock
    >>> names = {"a.yml": "acme", "b.yml": "acme", "c.yml": "acme-2"}
    >>> with mock.patch(f"{__name__}._client_and_slug", lambda c: (str(c), names[str(c)])):
    ...     [slug for _, slug in unique_slugs([Path("a.yml"), Path("b.yml"), Path("c.yml")])]
    ['acme', 'acme-3', 'acme-2']
    """
    named = [_client_and_slug(c) for c in configs]
    reserved = {slug for _, slug in named}
    used: set[str] = set()
    out = []
    for client, slug in named:
        if slug in used:
            k = 2
            while f"{slug}-{k}" in used or f"{slug}-{k}" in reserved:
                k += 1
            slug = f"{slug}-{k}"
        used.add(slug)
        out.append((client, slug))
    return out


def batch(configs: Iterable[str | Path], jobs: int = 2, output_root: str | Path = "reports", progress: bool = True,
          summary_path: str | Path | None = None) -> pd.DataFrame:
    """Diagnose many clients, ``jobs`` at a time.

    Parameters
    ----------
    configs : paths (or glob patterns) of client configs
    jobs : int
        Clients diagnosed at once, each in its own worker process; 1 runs
        them one after the other in this process.
    output_root : path
        Each client's outputs go to ``<output_root>/<client-slug>/``.
    progress : bool
        Show one progress bar over the clients.
    summary_path : path, optional
        Where to write the summary (default
        ``<output_root>/batch_summary.csv``).

    Returns
    -------
    DataFrame
        One row per config, in the order given, with the
        :data:`SUMMARY_COLUMNS`.
    """
    from tqdm.auto import tqdm

    paths = expand_configs(configs)
    root = Path(output_root).resolve()
    summary_file = Path(summary_path or root / SUMMARY_FILE).resolve()
    refuse_summary_over_inputs(summary_file, paths)
    root.mkdir(parents=True, exist_ok=True)
    names = unique_slugs(paths)
    rows: list[dict[str, Any] | None] = [None] * len(paths)
    bar = tqdm(total=len(paths), unit="client", desc="clients", disable=not progress)
    failed = 0

    def done(i: int, row: dict[str, Any]) -> None:
        nonlocal failed
        rows[i] = row
        failed += row["status"] != "ok"
        bar.set_postfix_str(f"{failed} failed" if failed else "", refresh=False)
        bar.update(1)

    try:
        with stop_on_signals():
            _run_all(paths, names, root, int(jobs), done)
    finally:
        bar.close()
    summary = pd.DataFrame([r for r in rows if r is not None], columns=SUMMARY_COLUMNS)
    summary["n"] = pd.to_numeric(summary["n"], errors="coerce").astype("Int64")
    write_summary(summary, summary_file)
    return summary


def refuse_summary_over_inputs(summary: Path, configs: Sequence[Path]) -> None:
    """Raise :class:`~npsdiag.errors.NpsdiagError` when the batch summary would be written over a config or one of
    the exports a config reads (the client's file would be lost)."""
    from .config import read_config
    from .errors import NpsdiagError, Problem

    for config in configs:
        inputs = [Path(config)]
        try:
            cfg, _ = read_config(config)
        except Exception:  # noqa: BLE001 - a broken config is reported by its run
            cfg = None
        if cfg is not None:
            inputs += [Path(spec.path) for spec in cfg.tables.values() if spec.path]
        for inp in inputs:
            try:
                same = inp.resolve() == summary or (summary.exists() and inp.exists() and summary.samefile(inp))
            except OSError:
                same = False
            if same:
                raise NpsdiagError(Problem(
                    f"the batch summary {summary} would be written over {inp.name}, which {Path(config).name} "
                    "reads", hint="give the outputs another folder (--output-root)"))


def _run_all(paths: Sequence[Path], names: Sequence[tuple[str, str]], root: Path, jobs: int, done) -> None:
    """Run every client: one after the other in this process (``jobs`` 1), else in a pool of worker processes."""
    if jobs <= 1 or len(paths) <= 1:
        for i, (p, (client, slug)) in enumerate(zip(paths, names, strict=True)):
            check_stop()
            done(i, run_client(p, root / slug, client))
    else:
        _run_in_pool(paths, names, root, jobs, done)




def _run_in_pool(paths: Sequence[Path], names: Sequence[tuple[str, str]], root: Path, jobs: int, done) -> None:
    """Run the clients in a pool of ``jobs`` worker processes; a worker that dies fails its client only.

    A client is handed to the pool only when a worker is free: on Ctrl-C (or any error in ``done``) no client
    that had not started is started (a pool given every client at once would run them all before stopping);
    the running ones are stopped by the same signal in their workers.
    """
    todo = iter(enumerate(zip(paths, names, strict=True)))
    running: dict = {}
    with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_signals) as pool:

        def start_next() -> None:
            for i, (p, (name, slug)) in todo:
                running[pool.submit(run_client, str(p), str(root / slug), name)] = i
                return

        for _ in range(jobs):
            start_next()
        try:
            while running:
                check_stop()
                finished, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                for fut in finished:
                    i = running.pop(fut)
                    done(i, _row_of(fut, names[i][0], paths[i]))
                    start_next()
        except KeyboardInterrupt as exc:
            _pass_on(exc, pool)
            raise


def _worker_signals() -> None:
    """A worker ignores stop signals between clients (the batch decides; no traceback from an idle worker); while
    it runs a client, the run's own handlers stop it cleanly (:func:`npsdiag.runner.run`)."""
    for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, signal.SIG_IGN)


def _pass_on(exc: KeyboardInterrupt, pool: ProcessPoolExecutor) -> None:
    """Pass a stop signal on to the workers (``kill`` reached this process only), whose runs then stop their
    kernels and clean up, instead of finishing their clients before the batch stops."""
    signum = getattr(exc, "signum", signal.SIGINT)
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, AttributeError):
            os.kill(proc.pid, signum)


def _row_of(fut, client: str, config: Path) -> dict[str, Any]:
    """A finished client's summary row; a failed row when its worker died."""
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001 - a worker died (memory, segfault): report this client
        row = dict.fromkeys(SUMMARY_COLUMNS)
        row.update({"client": client, "config": str(config), "status": "failed",
                    "message": f"the worker running this client failed: {type(exc).__name__}: {exc}"})
        return row
