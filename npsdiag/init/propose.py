"""Reading a new client's exports and proposing a config (``npsdiag init``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..config import TableSpec
from ..errors import NpsdiagError, Problem
from ..io import read_raw
from .guess import TableGuess, classify, guess_table
from .profile import short
from .side import propose_side_tables

__all__ = ["Proposal", "propose", "client_name", "MAX_SHEETS", "SURVEY_DATE_PLACEHOLDER"]

MAX_SHEETS = 10
#: written as ``survey_date`` when the export has no response dates: not a date, so nothing runs until it is set
SURVEY_DATE_PLACEHOLDER = "YYYY-MM-DD"


@dataclass
class Proposal:
    """A proposed config: the tables chosen and what to check."""

    client: str
    tables: dict[str, TableGuess]
    flat_accounts: bool = False
    unused: list[tuple[str, str]] = field(default_factory=list)  #: (export, why it is not used)
    checks: list[str] = field(default_factory=list)
    settings: dict[str, object] = field(default_factory=dict)
    settings_reason: str = ""
    #: True when the export has no response dates: the config asks for the date the survey ran (no date is guessed)
    needs_survey_date: bool = False
    complete: bool = True  #: False when a required field could not be guessed
    #: where the client's name comes from ('' when given): said on its CHECK line
    client_source: str = ""


def _read_exports(paths: list[Path]) -> tuple[list[TableGuess], list[tuple[str, str]]]:
    tables, failed = [], []
    for path in paths:
        spec = TableSpec(name="responses", path=path)
        sheets: list[str | None] = [None]
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            try:
                with pd.ExcelFile(path) as book:
                    sheets = list(book.sheet_names)[:MAX_SHEETS]
            except Exception:  # noqa: BLE001 - read_raw below reports it in the kit's words
                sheets = [None]
        for sheet in sheets:
            spec.sheet = sheet
            try:
                raw = read_raw(spec, [])
            except NpsdiagError as exc:
                failed.append((str(path) + (f" [sheet {sheet}]" if sheet is not None and len(sheets) > 1 else ""),
                               "; ".join(p.message + (f" ({p.hint})" if p.hint else "") for p in exc.problems)))
                continue
            if len(raw.frame) == 0:
                failed.append((str(path), "a header but no rows"))
                continue
            tables.append(guess_table(raw, path, sheet if len(sheets) > 1 else None))
    return tables, failed


_GENERIC_WORDS = {"export", "exports", "responses", "response", "survey", "surveys", "data", "api", "uselabels",
                  "nps", "csv", "raw", "all", "results", "input", "inputs", "final", "copy", "v1", "v2", "files",
                  "downloads", "tmp", "temp", "comments", "comment",
                  # what was done to the file, or when: no client's name ("20180908_post_clean", "October2017")
                  "clean", "cleaned", "cleaning", "post", "pre", "processed", "merged", "latest", "new", "old",
                  "draft", "dump", "extract", "report", "sample", "test", "backup", "longterm", "followup", "wave",
                  "january", "february", "march", "april", "may", "june", "july", "august", "september",
                  "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
                  "sept", "oct", "nov", "dec", "q1", "q2", "q3", "q4"}


def _name_words(name: str) -> list[str]:
    """The words of a file or folder name that may name a client: not generic, no digits ('October2017', 'v3')."""
    return [w for w in re.split(r"[\W_]+", name) if w and w.lower() not in _GENERIC_WORDS
            and not re.search(r"\d", w)]


def client_name(path: Path) -> str:
    """The client's name guessed from the export's file name, else from its folder's name, else "Client"."""
    words = _name_words(path.stem) or _name_words(path.resolve().parent.name)
    return " ".join(w[:1].upper() + w[1:] for w in words) or "Client"


_SCALE_SETTINGS = {
    (1, 5): ({"scale": [1, 5], "detractor_max": 3, "promoter_min": 5},
             "a 1-5 rating: 5 counts as promoter, 4 as passive, 1-3 as detractor (top box vs the rest, mirroring "
             "9-10 / 7-8 / 0-6); not comparable with 0-10 NPS benchmarks"),
    (1, 7): ({"scale": [1, 7], "detractor_max": 4, "promoter_min": 7},
             "a 1-7 rating: 7 promoter, 5-6 passive, 1-4 detractor; not comparable with NPS"),
}


def _scale_settings(prop: Proposal, resp: TableGuess) -> None:
    """Settings for a score on another scale than 0-10, and a check that says so."""
    if tuple(resp.scale) in _SCALE_SETTINGS:
        settings, reason = _SCALE_SETTINGS[tuple(resp.scale)]
        prop.settings, prop.settings_reason = dict(settings), reason
        prop.checks.append(f"the score is {reason.split(':')[0]}; check the categories under settings")


def propose(exports: list[str | Path], client: str | None = None) -> Proposal:
    """Read exports and propose a config.

    Parameters
    ----------
    exports : list of paths
        One to several exports (CSV, Excel, Parquet, Qualtrics, SurveyMonkey).
    client : str, optional
        The client's name (default: from the first file's name).

    Returns
    -------
    Proposal

    Raises
    ------
    NpsdiagError
        When no export can be read at all.
    """
    paths = [Path(p).expanduser() for p in exports]
    tables, failed = _read_exports(paths)
    if not tables:
        raise NpsdiagError([Problem(f"cannot read: {why}", file=f) for f, why in failed] or
                           [Problem("no export given", hint="npsdiag init EXPORT.csv [MORE.csv ...]")])
    chosen, unused, flat = classify(tables)
    resp = chosen["responses"]
    side = propose_side_tables(resp, chosen, tables)  # a roles or plan file keyed by the respondents' ids
    unused = [(f, why) for f, why in unused if f not in side] + list(side.items())
    prop = Proposal(client=client or client_name(resp.path), tables=chosen, flat_accounts=flat,
                    client_source="" if client else f"guessed from the file name '{resp.path.name}' or its folder",
                    unused=failed + unused)
    if "score" not in resp.columns:
        prop.complete = False
        prop.checks.append("no column looks like a likelihood-to-recommend score (0-10, 1-10 or a 5-point rating): "
                           "write its column name on the `score:` line")
        if {"question", "answer"} & {w for p in resp.profiles for w in p.norm.split()} and len(resp.profiles) <= 10:
            prop.checks.append("this export looks like a long format (one row per question and answer): reshape it "
                               "to one row per response (e.g. pandas `pivot`) and run `npsdiag init` on that")
    _scale_settings(prop, resp)
    if "responded_at" not in resp.columns:  # no date is guessed: the day of the export is not the survey's
        prop.needs_survey_date = True
        prop.checks.append(f"no response-date column: write the date the survey ran on the `survey_date:` line "
                           f"(now {SURVEY_DATE_PLACEHOLDER}); every response will be dated so, and the report's "
                           "period is that date")
    for kind, t in chosen.items():
        for g in list(t.columns.values()) + t.segments + t.drivers:
            if g.confidence == "low":
                prop.checks.append(f"{kind}: '{g.column}' as {g.field} is a low-confidence guess ({g.reason})")
        prop.checks.extend(t.checks)
    if resp.score_alternatives and "score" in resp.columns:
        prop.checks.append(f"score: '{resp.columns['score'].column}' was chosen; other candidates: "
                           + ", ".join(resp.score_alternatives))
    if resp.score_label_notes:
        prop.checks.append("score_labels: " + "; ".join(f"'{short(k)}' {v}" for k, v in
                                                        resp.score_label_notes.items()))
    if "accounts" in chosen and "churned" not in chosen["accounts"].columns:
        prop.checks.append("accounts: no churn column recognised; map `churned:` (or give `churn_values:`)")
    prop.checks.append("client: the name shown on the report")
    return prop
