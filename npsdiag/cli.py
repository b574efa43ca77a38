"""The ``npsdiag`` command line.

    npsdiag run CONFIG [--output DIR] [--previous OLD/findings.json]
                                          diagnose a client into DIR (default reports/<client>), compared
                                          with a previous diagnosis when given
    npsdiag validate CONFIG               check config and data, list every problem at once
    npsdiag batch CONFIG... [--jobs N]    diagnose many clients in parallel, write batch_summary.csv
    npsdiag init EXPORT [EXPORT...]       propose a config for a new client's exports

Exit codes: 0 success, 1 problems in the config or data, the files or the
disk (or a failed run), 2 wrong usage, 3 an internal error (details in a log
file, never a traceback on screen), 130 stopped by Ctrl-C (143 by ``kill``).
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from pathlib import Path

from .errors import Interrupted, NpsdiagError, Problem, os_problem

__all__ = ["main", "validate"]


def _print_problems(problems: list[Problem], stream=None) -> None:
    stream = stream or sys.stderr
    for p in problems:
        print(str(p), file=stream)


def validate(config: str | Path, out=None) -> int:
    """Check a config and its data; print every problem and a short summary.

    Returns the exit code: 1 if any problem is fatal, else 0.
    """
    from .clean import REASONS, prepare
    from .config import read_config
    from .init import unchecked_lines
    from .io import load

    out = out or sys.stdout
    cfg, problems = read_config(config)
    fatal = [p for p in problems if p.fatal]
    data = None
    if cfg is not None and not fatal:
        cfg.warnings = problems
        try:
            data = load(cfg)
            problems = data.problems
        except NpsdiagError as exc:
            problems = problems + exc.problems
    elif cfg is not None:
        # the config has fatal mistakes; still check the data files it can reach, to list everything at once
        cfg.warnings = []
        try:
            load(cfg)
        except NpsdiagError as exc:
            seen = {str(p) for p in problems}
            problems = problems + [p for p in exc.problems if str(p) not in seen]
        except Exception:  # noqa: BLE001 - partial config; what was found is reported below
            pass
    fatal = [p for p in problems if p.fatal]
    if problems:
        print(f"{len(fatal)} error(s), {len(problems) - len(fatal)} warning(s) in {config}:", file=out)
        _print_problems(problems, out)
    code = 1 if fatal else 0
    if data is not None and not fatal:
        code = _summary(data, prepare(data), REASONS, out)
    for line in unchecked_lines(cfg.path if cfg is not None else config):
        print(line, file=out)
    return code


def _summary(data, prep, reasons: dict[str, str], out) -> int:
    """validate's closing summary: rows read and usable, exclusions, the other tables, how churn statuses read.

    Returns 1 when no response is usable (a diagnosis of nothing), else 0.
    """
    from .io.attributes import table_uses
    from .outputs import no_usable_responses

    empty = no_usable_responses(prep)
    if empty is not None:
        print(f"\n{empty}", file=out)
        return 1
    print(f"\nOK: {len(prep.flags):,} response rows read, {len(prep.responses):,} usable.", file=out)
    for reason, n in prep.excluded_counts.items():
        print(f"  excluded {n:,}: {reasons[reason]}", file=out)
    uses = table_uses(data.responses, {n: getattr(data, n) for n in ("accounts", "invitations", "contacts")},
                      data.sources.get("contacts", {}).get("joined"))
    for name, use in uses.items():
        print(f"  {name}: {len(getattr(data, name)):,} rows, {use}", file=out)
    statuses = (data.sources.get("accounts") or {}).get("churn_statuses")
    if statuses:
        shown = ", ".join(f"{s['status']!r} {s['reading']} ({s['n']:,})" for s in statuses[:12])
        print(f"  churn statuses read as: {shown}" + (" …" if len(statuses) > 12 else ""), file=out)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from .runner import run

    res = run(args.config, args.output, progress=not args.quiet, previous=args.previous)
    print(f"Report written: {res.report}")
    for f in res.files:
        if f != res.report:
            print(f"  also: {f}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    return validate(args.config)


def _cmd_batch(args: argparse.Namespace) -> int:
    from .batch import SUMMARY_FILE, batch

    summary = batch(args.configs, jobs=args.jobs, output_root=args.output_root, progress=not args.quiet)
    failed = summary[summary["status"] != "ok"]
    ok = len(summary) - len(failed)
    print(f"{ok} of {len(summary)} client(s) diagnosed; summary: {Path(args.output_root) / SUMMARY_FILE}")
    for _, row in failed.iterrows():
        print(f"FAILED {row['client']} ({row['config']}): {row['message']}", file=sys.stderr)
    return 1 if len(failed) else 0


def _cmd_init(args: argparse.Namespace) -> int:
    from .init import init

    return init(args.exports, output=args.output, force=args.force, client=args.client)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="npsdiag", description="Diagnose an NPS program into a client-ready report.")
    from . import __version__

    p.add_argument("--version", action="version", version=f"npsdiag {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    r = sub.add_parser("run", help="diagnose a client: report.html, findings.json, CSV exports")
    r.add_argument("config", help="the client's YAML config")
    r.add_argument("--output", "-o", help="output folder (default: reports/<client-slug>)")
    r.add_argument("--previous", "-p", metavar="FINDINGS_JSON",
                   help="a previous run's findings.json (or its folder): adds 'Since the last diagnosis'")
    r.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    r.set_defaults(func=_cmd_run)
    v = sub.add_parser("validate", help="check a config and its data, listing every problem")
    v.add_argument("config")
    v.set_defaults(func=_cmd_validate)
    b = sub.add_parser("batch", help="diagnose many clients in parallel, with a summary table")
    b.add_argument("configs", nargs="+", metavar="CONFIG", help="client configs (glob patterns allowed)")
    b.add_argument("--jobs", "-j", type=int, default=2, help="parallel clients on this machine (default 2)")
    b.add_argument("--output-root", default="reports",
                   help="each client goes to OUTPUT_ROOT/<client-slug>/ (default: reports)")
    b.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    b.set_defaults(func=_cmd_batch)
    i = sub.add_parser("init", help="propose a config for a new client's exports (CSV, Excel, Parquet, "
                       "Qualtrics, SurveyMonkey)")
    i.add_argument("exports", nargs="+", metavar="EXPORT",
                   help="the survey export, and optionally the accounts, invitations and contacts exports")
    i.add_argument("--output", "-o", help="config to write (default: <client-slug>.yml in the current folder)")
    i.add_argument("--force", "-f", action="store_true", help="overwrite the output if it exists")
    i.add_argument("--client", help="the client's name (default: from the export's file name)")
    i.set_defaults(func=_cmd_init)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except NpsdiagError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        # the libraries' own complaints about the kernel stopped under them are noise now
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        what = {"run": "no report was written",
                "batch": "the clients that had finished have their reports; no batch summary was written"}
        said = what.get(getattr(args, "command", None))
        print("interrupted: stopped before the end" + (f"; {said}" if said else ""), file=sys.stderr)
        return exc.exit_code if isinstance(exc, Interrupted) else 130
    except OSError as exc:
        problem = os_problem(exc)
        if problem is None:
            return _internal_error(exc)
        print(str(problem), file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - never a traceback on the consultant's screen
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    """Exit code 3: the error's details in ``npsdiag-error.log``, one plain line on screen."""
    log = Path.cwd() / "npsdiag-error.log"
    try:
        log.write_text(traceback.format_exc(), encoding="utf-8")
        where = f"details were written to {log}"
    except OSError:
        where = "no log could be written"
    print(f"npsdiag hit an internal error ({type(exc).__name__}: {str(exc)[:300]}); {where}. "
          "Please report it with that file.", file=sys.stderr)
    return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
