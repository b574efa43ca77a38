"""The ``npsdiag init`` command: write a proposed config and say what to check."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from ..config import slugify
from ..errors import NpsdiagError, Problem
from .profile import fmt_n
from .propose import Proposal, propose
from .render import render_yaml

__all__ = ["init"]


def init(exports: list[str | Path], output: str | Path | None = None, force: bool = False,
         client: str | None = None, out: TextIO | None = None) -> int:
    """The ``npsdiag init`` command: write a proposed config and say what to check.

    Parameters
    ----------
    exports : list of paths
    output : path of the config to write (default ``<client-slug>.yml`` in the current folder)
    force : overwrite an existing file
    client : the client's name
    out : where to print (default stdout)

    Returns
    -------
    int
        0 when the written config loads; 1 when it needs a fix first (the
        problems are printed).

    Raises
    ------
    NpsdiagError
        The output exists (without ``force``), or no export can be read.
    """
    out = out or sys.stdout
    prop = propose(exports, client)
    target = Path(output) if output else Path.cwd() / f"{slugify(prop.client)}.yml"
    if target.is_dir():
        target = target / "config.yml"
    if target.exists() and not force:
        raise NpsdiagError(Problem("the config already exists and was left as it is", file=str(target),
                                   hint="give another --output, or add --force to overwrite it"))
    target.parent.mkdir(parents=True, exist_ok=True)
    text = render_yaml(prop, target)
    tmp = target.with_name(target.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    print(f"Wrote {target}", file=out)
    _print_proposal(prop, out)
    return _check_loads(target, out)


def _print_proposal(prop: Proposal, out: TextIO) -> None:
    """What was mapped, what was left out and what the consultant should check."""
    for kind, t in prop.tables.items():
        cols = ", ".join(f"{f} = '{g.column}'" for f, g in t.columns.items())
        print(f"  {kind}: {t.title} ({t.raw.format}, {fmt_n(len(t.raw.frame))} rows)"
              + (" [flat export: accounts from the responses file]" if kind == "accounts" and prop.flat_accounts
                 else ""), file=out)
        if cols:
            print(f"    {cols}", file=out)
        if t.segments:
            print(f"    segments: {', '.join(g.column for g in t.segments)}", file=out)
        if t.drivers:
            print(f"    drivers: {', '.join(g.column for g in t.drivers)}", file=out)
    for f, why in prop.unused:
        print(f"  not used: {f}: {why}", file=out)
    if prop.checks:
        print("\nPlease check:", file=out)
        for c in prop.checks:
            print(f"  - {c}", file=out)


def _check_loads(target: Path, out: TextIO) -> int:
    """Load the written config as ``npsdiag validate`` does: 0 when it loads, 1 (with the problems) when not."""
    from ..clean import REASONS, prepare
    from ..config import read_config
    from ..io import load

    cfg, problems = read_config(target)
    fatal = [p for p in problems if p.fatal]
    undated = cfg is not None and _only_the_survey_date(fatal)
    if undated:  # load with a stand-in date to show what loads; the config still needs the real one
        cfg.responses.survey_date, fatal = _STAND_IN_DATE, []
        problems = [p for p in problems if not p.fatal]
    prep = None
    if cfg is not None and not fatal:
        cfg.warnings = problems
        try:
            data = load(cfg)
            problems = data.problems
            prep = prepare(data)
        except NpsdiagError as exc:
            fatal = [p for p in exc.problems if p.fatal]
            problems = exc.problems
    if fatal or prep is None:
        print(f"\nThe proposal does not load yet ({len(fatal)} problem(s) to fix in {target}):", file=out)
        for p in fatal or problems:
            print(str(p), file=out)
        return 1
    print(f"\n{'Once `survey_date` is set, it loads' if undated else 'It loads'}: {fmt_n(len(prep.flags))} "
          f"response rows read, {fmt_n(len(prep.responses))} usable.", file=out)
    for reason, n in prep.excluded_counts.items():
        print(f"  excluded {fmt_n(n)}: {REASONS[reason]}", file=out)
    for p in problems:
        if not p.fatal and not (undated and p.where == "responses.survey_date"):
            print(f"  {p.message}", file=out)
    if undated:
        print(f"\nFirst write the date the survey ran on the `survey_date:` line of {target} (the export has no "
              f"response dates), then: npsdiag validate {target}   then   npsdiag run {target}", file=out)
        return 1
    print(f"\nNext: npsdiag validate {target}   then   npsdiag run {target}", file=out)
    return 0


_STAND_IN_DATE = "2000-01-01"  #: only to load the proposal once while its survey date is still to be written


def _only_the_survey_date(fatal: list[Problem]) -> bool:
    """Whether the only fatal problems are the survey date left to write (and the response date it stands for)."""
    where = {p.where for p in fatal}
    return "responses.survey_date" in where and where <= {"responses.survey_date", "responses.columns.responded_at"}
