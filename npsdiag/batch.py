"""Diagnose many clients at once: ``npsdiag batch CONFIG... --jobs N``.

Each client runs as ``npsdiag run`` does (:func:`npsdiag.runner.run`: the
notebook executed by Papermill, the report rendered by nbconvert) into
``<output_root>/<client-slug>/``, as one task of a Dask distributed cluster:
a local one with ``jobs`` single-threaded worker processes by default, or an
existing cluster given by its scheduler address, so that a consultancy's
portfolio scales past one machine. One progress bar counts the clients; a
client that fails (bad config, unreadable data, a failing cell, even a
crashed worker) is reported with its message and the others finish.
``batch_summary.csv`` lists every client with its status, headline NPS and
interval, responses analysed, seconds, message and report path.

Examples
--------
>>> from npsdiag.batch import batch
>>> summary = batch(["clients/acme.yml", "clients/globex.yml"], jobs=2)  # doctest: +SKIP
>>> summary[["client", "status", "nps"]]  # doctest: +SKIP
"""

from __future__ import annotations

import glob
import json
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["run_client", "batch", "expand_configs", "write_summary", "SUMMARY_COLUMNS", "SUMMARY_FILE"]

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


def run_client(config: str | Path, output: str | Path, client: str | None = None, cores: int = 0) -> dict[str, Any]:
    """Diagnose one client and return its summary row; never raises.

    Parameters
    ----------
    config : path to the client's YAML config
    output : folder for this client's outputs
    client : name shown in the summary (default: from the config)
    cores : passed to :func:`npsdiag.runner.run` (1: no second process per client)

    Returns
    -------
    dict
        The :data:`SUMMARY_COLUMNS`: ``status`` is ``ok`` or ``failed``;
        ``nps``, ``ci_low``, ``ci_high`` (points) and ``n`` come from the
        client's findings.json; ``message`` says why a client failed.
    """
    from .errors import NpsdiagError
    from .runner import run

    t0 = time.perf_counter()
    config = Path(config)
    row: dict[str, Any] = dict.fromkeys(SUMMARY_COLUMNS)
    row.update({"client": client or _client_and_slug(config)[0], "config": str(config), "status": "failed",
                "message": ""})
    try:
        res = run(config, output, progress=False, cores=cores)
        head = json.loads(res.findings.read_text(encoding="utf-8")).get("headline", {})
        row.update({"status": "ok", "nps": head.get("nps"), "ci_low": head.get("ci_low"),
                    "ci_high": head.get("ci_high"), "n": head.get("n"), "report": str(res.report)})
    except NpsdiagError as exc:
        row["message"] = exc.message
    except Exception as exc:  # noqa: BLE001 - one client's failure must not stop the batch
        row["message"] = f"internal error: {type(exc).__name__}: {exc}"
    row["seconds"] = round(time.perf_counter() - t0, 1)
    return row


def write_summary(summary: pd.DataFrame, path: str | Path) -> Path:
    """Write the batch summary as CSV, cells that a spreadsheet would run as formulas neutralised."""
    try:
        from .callback import write_csv_safely
    except ImportError:  # pragma: no cover - the callback module ships with npsdiag
        write_csv_safely = None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if write_csv_safely is not None:
        return write_csv_safely(summary, path)
    from .callback import neutralise_formulas  # pragma: no cover

    neutralise_formulas(summary).to_csv(path, index=False, encoding="utf-8-sig")  # pragma: no cover
    return path  # pragma: no cover


def _unique_slugs(configs: Sequence[Path]) -> list[tuple[str, str]]:
    seen: dict[str, int] = {}
    out = []
    for c in configs:
        client, slug = _client_and_slug(c)
        seen[slug] = seen.get(slug, 0) + 1
        out.append((client, slug if seen[slug] == 1 else f"{slug}-{seen[slug]}"))
    return out


def batch(configs: Iterable[str | Path], jobs: int = 2, scheduler: str | None = None,
          output_root: str | Path = "reports", progress: bool = True,
          summary_path: str | Path | None = None, cores: int | None = None) -> pd.DataFrame:
    """Diagnose many clients in parallel on a Dask cluster.

    Parameters
    ----------
    configs : paths (or glob patterns) of client configs
    jobs : int
        Worker processes of the local cluster (one client at a time each).
        Ignored with ``scheduler``.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``); its
        workers must see the configs, the data and ``output_root`` at the same
        paths (a shared file system) and have npsdiag installed.
        ``"synchronous"`` runs the clients one after the other in this
        process (no cluster; for debugging).
    output_root : path
        Each client's outputs go to ``<output_root>/<client-slug>/``.
    progress : bool
        Show one progress bar over the clients.
    summary_path : path, optional
        Where to write the summary (default
        ``<output_root>/batch_summary.csv``).
    cores : int, optional
        Processes per client (see :func:`npsdiag.runner.run`). By default 1
        when ``jobs`` clients share this machine, else 0 (a second core where
        there is one).

    Returns
    -------
    DataFrame
        One row per config, in the order given, with the
        :data:`SUMMARY_COLUMNS`.
    """
    from tqdm.auto import tqdm

    paths = expand_configs(configs)
    if cores is None:  # local clients in parallel already use the cores; one client alone may use two
        cores = 1 if (not scheduler and int(jobs) > 1) else 0
    root = Path(output_root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    names = _unique_slugs(paths)
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
        if scheduler == "synchronous" or not paths:
            for i, (p, (client, slug)) in enumerate(zip(paths, names)):
                done(i, run_client(p, root / slug, client, cores))
        else:
            _run_on_dask(paths, names, root, jobs, scheduler, done, cores)
    finally:
        bar.close()
    summary = pd.DataFrame([r for r in rows if r is not None], columns=SUMMARY_COLUMNS)
    summary["n"] = pd.to_numeric(summary["n"], errors="coerce").astype("Int64")
    write_summary(summary, summary_path or root / SUMMARY_FILE)
    return summary


def _run_on_dask(paths: Sequence[Path], names: Sequence[tuple[str, str]], root: Path, jobs: int,
                 scheduler: str | None, done, cores: int = 0) -> None:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=max(1, int(jobs)), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        index = {}
        futures = []
        for i, (p, (name, slug)) in enumerate(zip(paths, names)):
            fut = client.submit(run_client, str(p), str(root / slug), name, cores, key=f"npsdiag-{i}-{slug}",
                                pure=False, retries=0)
            index[fut.key] = i
            futures.append(fut)
        for fut in as_completed(futures):
            i = index[fut.key]
            try:
                row = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker died (memory, segfault): report this client
                row = dict.fromkeys(SUMMARY_COLUMNS)
                row.update({"client": names[i][0], "config": str(paths[i]), "status": "failed",
                            "message": f"the worker running this client failed: {type(exc).__name__}: {exc}"})
            done(i, row)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
