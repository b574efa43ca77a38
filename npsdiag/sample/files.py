"""Writing the demo client's files: ``python -m npsdiag.sample [FOLDER] ...``."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from .generate import DATE_ONLY, generate, n_accounts_for

__all__ = ["write_demo", "main"]


def _formatted(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ISO text (``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM``) for CSV."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            fmt = "%Y-%m-%d" if col in DATE_ONLY else "%Y-%m-%d %H:%M"
            out[col] = out[col].dt.strftime(fmt)
    return out


def write_demo(folder: str | Path = "examples/demo", fmt: str = "csv", **kw) -> dict[str, Path]:
    """Generate the program and write ``responses``, ``accounts``, ``invitations``, ``contacts`` files.

    Parameters
    ----------
    folder : str or Path
        Output folder (created if needed).
    fmt : {"csv", "parquet"}
        CSV: UTF-8, comma-separated, ISO dates; Parquet: typed columns.
    **kw
        Passed to :func:`generate` (``n_accounts``, ``start``, ``end``,
        ``seed``, ``plant_problems``).

    Returns
    -------
    dict of Path
        The file written for each table.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError("fmt must be 'csv' or 'parquet'")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = generate(**kw)
    paths = {}
    for name, frame in tables.items():
        path = folder / f"{name}.{fmt}"
        if fmt == "csv":
            _formatted(frame).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        else:
            frame.to_parquet(path, index=False)
        paths[name] = path
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m npsdiag.sample [FOLDER] [--accounts N] [--seed S] [--format csv|parquet]``."""
    ap = argparse.ArgumentParser(prog="python -m npsdiag.sample",
                                 description="Write the synthetic Northwind Analytics NPS export (demo client).")
    ap.add_argument("folder", nargs="?", default="examples/demo", help="output folder (default: examples/demo)")
    ap.add_argument("--accounts", type=int, default=800, help="number of accounts (about 10.5 responses each)")
    ap.add_argument("--responses", type=int, default=None,
                    help="size the program for about this many responses instead of --accounts")
    ap.add_argument("--seed", type=int, default=20241)
    ap.add_argument("--start", default="2024-01-01")
    ap.add_argument("--end", default="2025-12-31")
    ap.add_argument("--format", dest="fmt", choices=["csv", "parquet"], default="csv")
    ap.add_argument("--clean", action="store_true", help="do not plant data-quality problems")
    args = ap.parse_args(argv)
    n = n_accounts_for(args.responses) if args.responses else args.accounts
    paths = write_demo(args.folder, fmt=args.fmt, n_accounts=n, seed=args.seed, start=args.start, end=args.end,
                       plant_problems=not args.clean)
    for name, path in paths.items():
        print(f"{name:12s} {path}  ({path.stat().st_size / 1e6:.2f} MB)")
    return 0
