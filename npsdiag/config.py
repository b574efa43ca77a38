"""The client config (YAML): reading, checking, and the settings.

The format is SPEC.md's. Every mistake found is collected as a
:class:`~npsdiag.errors.Problem` (file, key, suggestion) so that
``npsdiag validate`` can list them all at once.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import NpsdiagError, Problem, suggest

__all__ = ["Settings", "TableSpec", "Config", "load_config", "read_config", "TABLE_FIELDS", "slugify",
           "resolve_config_path"]

#: Canonical fields per table (left side of ``columns``), required ones first.
TABLE_FIELDS: dict[str, dict[str, str]] = {
    "responses": {
        "score": "likelihood to recommend, 0-10",
        "responded_at": "when the response was submitted",
        "response_id": "id of the response",
        "respondent_id": "email or contact id of the respondent",
        "account_id": "customer account",
        "role": "respondent persona (executive, decision maker, user...)",
        "comment": "free-text comment",
        "invited_at": "when the survey was sent",
        "followed_up_at": "when the respondent was contacted back (closed loop)",
        "owner": "rep / CSM / agent responsible",
        "status": "survey-tool response type (e.g. Qualtrics 'Status': preview, test)",
        "finished": "survey-tool completion flag (e.g. Qualtrics 'Finished')",
    },
    "accounts": {
        "account_id": "customer account",
        "churned": "churn flag (1/0, true/false, yes/no) or a status column with churn_values",
        "outcome_at": "when the account renewed or churned",
        "revenue": "annual recurring revenue",
        "start_at": "when the account became a customer",
        "name": "account name",
    },
    "invitations": {
        "invited_at": "when the invitation was sent",
        "respondent_id": "email or contact id",
        "account_id": "customer account",
        "role": "respondent persona",
        "response_id": "the response it led to, if any",
    },
    "contacts": {
        "account_id": "customer account",
        "respondent_id": "email or contact id",
        "role": "respondent persona",
    },
}
REQUIRED_FIELDS = {"responses": ("score", "responded_at"), "accounts": ("account_id",),
                   "invitations": ("invited_at",), "contacts": ("role",)}
TABLES = tuple(TABLE_FIELDS)
READ_OPTIONS = ("format", "sheet", "delimiter", "encoding", "decimal", "dayfirst", "header_row")
TABLE_KEYS = ("path", "columns", "segments", "drivers", "churn_values", "score_labels", "survey_date") + READ_OPTIONS
FORMATS = ("auto", "csv", "excel", "parquet", "qualtrics", "surveymonkey")
TOP_KEYS = ("client", "slug") + TABLES + ("settings",)


@dataclass
class Settings:
    """Analysis settings (``settings:`` in the config); every key optional."""

    scale: tuple[float, float] = (0, 10)
    follow_up_sla_days: float = 7
    repeat_window_days: float = 30
    min_n: int = 30
    confidence: float = 0.95
    period: tuple[str, str] | None = None
    decision_roles: list[str] | None = None
    revenue_coverage_target: float = 0.8
    redact_pii: bool = True
    detractor_max: float = 6
    promoter_min: float = 9
    dayfirst: bool | None = None
    feed_period: str = "W"
    trend_period: str = "M"
    themes: dict[str, list[str]] | None = None  #: comment themes added to the default lexicon (verbatims)

    @property
    def breaks(self):
        from .stats.nps import Breaks

        return Breaks(self.detractor_max, self.promoter_min)


SETTINGS_TYPES: dict[str, Any] = {
    "scale": "range", "follow_up_sla_days": "number", "repeat_window_days": "number", "min_n": "int",
    "confidence": "prob", "period": "period", "decision_roles": "list", "revenue_coverage_target": "prob",
    "redact_pii": "bool", "detractor_max": "number", "promoter_min": "number", "dayfirst": "bool_or_null",
    "feed_period": "freq", "trend_period": "freq", "themes": "themes",
}


@dataclass
class TableSpec:
    """Where one table comes from and how its columns map to canonical fields."""

    name: str
    path: Path
    columns: dict[str, str] = field(default_factory=dict)
    segments: list[str] = field(default_factory=list)
    drivers: list[str] = field(default_factory=list)
    churn_values: list[str] | None = None
    format: str = "auto"
    sheet: str | int | None = None
    delimiter: str | None = None
    encoding: str | None = None
    decimal: str | None = None
    dayfirst: bool | None = None
    header_row: int | None = None
    #: answer labels read as numbers in the score and driver columns ("Extremely satisfied": 5)
    score_labels: dict[str, float] | None = None
    #: ISO date given to every response when the export has no response-date column
    survey_date: str | None = None


@dataclass
class Config:
    """A parsed client config."""

    client: str
    path: Path
    tables: dict[str, TableSpec]
    settings: Settings
    slug: str = ""
    warnings: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.slug:
            self.slug = slugify(self.client)

    @property
    def responses(self) -> TableSpec:
        return self.tables["responses"]


def slugify(name: str) -> str:
    """A folder-safe name: lower case ascii letters, digits and dashes."""
    s = re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-")
    return s or "client"


def resolve_config_path(config: str | Path) -> Path:
    """Find a config: as given, else relative to the parent folders of the working directory.

    Lets the notebooks' default (``examples/demo/config.yml``) work both from
    the repository root (papermill, ``npsdiag run``) and from ``notebooks/``
    (JupyterLab, nbval).
    """
    p = Path(config).expanduser()
    if p.is_absolute() or p.exists():
        return p.resolve() if p.exists() else p
    for parent in Path.cwd().parents:
        cand = parent / p
        if cand.exists():
            return cand.resolve()
    return p


def _check_setting(key: str, value: Any, file: str) -> tuple[Any, Problem | None]:
    kind = SETTINGS_TYPES[key]
    where = f"settings.{key}"

    def bad(expect: str) -> tuple[Any, Problem]:
        return None, Problem(f"{value!r} is not {expect}", file=file, where=where,
                             hint=f"write {expect}, or remove the key to use the default")

    if kind in ("number", "prob", "int"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return bad("a number")
        if kind == "prob" and not 0 < value < 1:
            return bad("a number between 0 and 1 (e.g. 0.95)")
        if kind == "int" and (value != int(value) or value < 1):
            return bad("a whole number of at least 1")
        if kind == "number" and value < 0:
            return bad("a number of at least 0")
        return (int(value) if kind == "int" else value), None
    if kind == "bool":
        return (value, None) if isinstance(value, bool) else bad("true or false")
    if kind == "bool_or_null":
        return (value, None) if value is None or isinstance(value, bool) else bad("true, false or null")
    if kind == "range":
        if (isinstance(value, (list, tuple)) and len(value) == 2
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
                and value[0] < value[1]):
            return tuple(value), None
        return bad("a list of two numbers, low and high, e.g. [0, 10]")
    if kind == "period":
        if value is None:
            return None, None
        if isinstance(value, (list, tuple)) and len(value) == 2:
            import pandas as pd

            try:
                start, end = (pd.Timestamp(str(v)) for v in value)
            except (ValueError, TypeError):
                return bad("two dates, e.g. [2024-01-01, 2024-12-31]")
            if start > end:
                return bad("two dates with the start before the end")
            return (start.date().isoformat(), end.date().isoformat()), None
        return bad("two dates, e.g. [2024-01-01, 2024-12-31]")
    if kind == "list":
        if value is None:
            return None, None
        if isinstance(value, str):
            value = [value]
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value], None
        return bad("a list of values")
    if kind == "freq":
        if value in ("W", "M", "Q"):
            return value, None
        return bad("one of W (weeks), M (months) or Q (quarters)")
    if kind == "themes":
        # {theme name: [keywords]}; keywords are words or phrases (up to 3 words), '*' only at a word's end
        if value is None:
            return None, None
        if not isinstance(value, dict):
            return bad("a mapping of theme name to a list of keywords, e.g. {billing: [invoice*, refund]}")
        out: dict[str, list[str]] = {}
        for name, words in value.items():
            words = [words] if isinstance(words, str) else words
            if words is None:
                words = []
            if not isinstance(words, (list, tuple)) or not all(isinstance(w, (str, int, float)) for w in words):
                return bad(f"a list of keywords for theme '{name}'")
            clean = [str(w).strip() for w in words if str(w).strip()]
            for w in clean:
                if len(w.split()) > 3 or re.search(r"\*(?!$|\s)", w):
                    return bad(f"keywords of up to three words with '*' only at a word's end (theme '{name}': {w!r})")
            out[str(name)] = clean
        return out, None
    raise AssertionError(kind)  # pragma: no cover


def read_config(path: str | Path) -> tuple[Config | None, list[Problem]]:
    """Read and check a config; return it (None if unusable) and every problem found.

    Parameters
    ----------
    path : str or Path
        The YAML file. Paths inside it are relative to its folder.

    Returns
    -------
    (Config or None, list of Problem)
    """
    path = resolve_config_path(path)
    file = str(path)
    problems: list[Problem] = []
    if not path.exists():
        return None, [Problem("config file not found", file=file,
                              hint="check the path; run `npsdiag init EXPORT.csv` to propose a config")]
    if path.is_dir():
        return None, [Problem("this is a folder, not a config file", file=file)]
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        return None, [Problem("the config is not a UTF-8 text file", file=file,
                              hint="save it as UTF-8 text (YAML)")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [Problem(f"the config is not valid YAML: {reason}", file=file, where=where,
                              hint="check indentation and quotes around names containing ':' or '#'")]
    if not isinstance(raw, dict):
        return None, [Problem("the config must be a YAML mapping (key: value lines)", file=file,
                              hint="see examples/demo/config.yml for the format")]

    for key in raw:
        if key not in TOP_KEYS:
            s = suggest(str(key), TOP_KEYS)
            problems.append(Problem(f"unknown key '{key}'", file=file, where=str(key),
                                    hint=f"did you mean '{s}'?" if s else f"known keys: {', '.join(TOP_KEYS)}"))

    client = raw.get("client")
    if client is None or str(client).strip() == "":
        problems.append(Problem("no client name", file=file, where="client",
                                hint="add a line such as `client: Acme Corp`"))
        client = path.stem
    client = str(client)

    settings = Settings()
    raw_settings = raw.get("settings") or {}
    if not isinstance(raw_settings, dict):
        problems.append(Problem("settings must be a mapping of key: value", file=file, where="settings"))
        raw_settings = {}
    for key, value in raw_settings.items():
        if key not in SETTINGS_TYPES:
            s = suggest(str(key), SETTINGS_TYPES)
            problems.append(Problem(f"unknown setting '{key}'", file=file, where=f"settings.{key}",
                                    hint=f"did you mean '{s}'?" if s else
                                    f"known settings: {', '.join(SETTINGS_TYPES)}"))
            continue
        checked, prob = _check_setting(key, value, file)
        if prob:
            problems.append(prob)
        else:
            setattr(settings, key, checked)
    if settings.detractor_max >= settings.promoter_min:
        problems.append(Problem("detractor_max must be below promoter_min", file=file, where="settings"))
    elif settings.promoter_min > settings.scale[1] or settings.detractor_max < settings.scale[0]:
        lo, hi = settings.scale
        problems.append(Problem(
            f"on a {lo:g}-{hi:g} scale the categories detractor <= {settings.detractor_max:g} and promoter >= "
            f"{settings.promoter_min:g} leave no {'promoter' if settings.promoter_min > hi else 'detractor'}",
            file=file, where="settings",
            hint="set detractor_max and promoter_min for this scale, e.g. for 1-5: detractor_max: 3, promoter_min: 5"))

    tables: dict[str, TableSpec] = {}
    for name in TABLES:
        if name not in raw or raw[name] is None:
            if name == "responses":
                problems.append(Problem("no responses table", file=file, where="responses",
                                        hint="add a `responses:` section with `path:` and `columns:`"))
            continue
        spec = _read_table(name, raw[name], path.parent, file, problems)
        if spec is not None:
            tables[name] = spec
    slug = raw.get("slug")
    slug = slugify(slug) if slug else slugify(client)
    if "responses" not in tables:
        return None, problems
    return Config(client=client, path=path, tables=tables, settings=settings, slug=slug), problems


def _read_table(name: str, raw: Any, base: Path, file: str, problems: list[Problem]) -> TableSpec | None:
    if isinstance(raw, str):
        raw = {"path": raw}
    if not isinstance(raw, dict):
        problems.append(Problem("must be a mapping with at least `path:`", file=file, where=name))
        return None
    for key in raw:
        if key not in TABLE_KEYS:
            s = suggest(str(key), TABLE_KEYS)
            problems.append(Problem(f"unknown key '{key}'", file=file, where=f"{name}.{key}",
                                    hint=f"did you mean '{s}'?" if s else f"known keys: {', '.join(TABLE_KEYS)}"))
    if not raw.get("path"):
        problems.append(Problem("no path", file=file, where=f"{name}.path",
                                hint="give the export's file name, relative to the config's folder"))
        return None
    p = Path(str(raw["path"])).expanduser()
    p = Path(os.path.normpath(p if p.is_absolute() else (base / p)))  # 'a/b/../c' -> 'a/c', links kept
    if not p.exists():
        near = None
        if p.parent.exists():
            near = suggest(p.name, [c.name for c in p.parent.iterdir()])
        problems.append(Problem(f"file not found: {p}", file=file, where=f"{name}.path",
                                hint=f"did you mean '{near}'?" if near else
                                "paths are relative to the config file's folder"))
    elif p.is_dir():
        problems.append(Problem(f"{p} is a folder, not a file", file=file, where=f"{name}.path"))

    columns = raw.get("columns") or {}
    if not isinstance(columns, dict):
        problems.append(Problem("columns must map canonical fields to the export's column names",
                                file=file, where=f"{name}.columns",
                                hint="e.g. `score: How likely are you to recommend us?`"))
        columns = {}
    fields = TABLE_FIELDS[name]
    clean_cols: dict[str, str] = {}
    for key, value in columns.items():
        if key not in fields:
            s = suggest(str(key), fields)
            problems.append(Problem(f"unknown field '{key}'", file=file, where=f"{name}.columns.{key}",
                                    hint=f"did you mean '{s}'?" if s else
                                    f"fields of {name}: {', '.join(fields)}"))
            continue
        if value is None or str(value).strip() == "":
            problems.append(Problem("no column name given", file=file, where=f"{name}.columns.{key}",
                                    hint="give the export's column name, or remove the line"))
            continue
        clean_cols[key] = str(value)
    survey_date = raw.get("survey_date")
    if survey_date is not None:
        import pandas as pd

        try:
            survey_date = pd.Timestamp(str(survey_date)).date().isoformat()
        except (ValueError, TypeError):
            problems.append(Problem(f"survey_date {survey_date!r} is not a date", file=file,
                                    where=f"{name}.survey_date", hint="write it as YYYY-MM-DD"))
            survey_date = None
        if name != "responses":
            problems.append(Problem("survey_date belongs to the responses table", file=file,
                                    where=f"{name}.survey_date"))
            survey_date = None
        elif "responded_at" in clean_cols:
            problems.append(Problem("survey_date is ignored: responded_at is mapped", fatal=False, file=file,
                                    where=f"{name}.survey_date", hint="remove one of the two"))
            survey_date = None
    score_labels = raw.get("score_labels")
    if score_labels is not None:
        if not isinstance(score_labels, dict) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in score_labels.values()):
            problems.append(Problem("score_labels must map each answer label to its number", file=file,
                                    where=f"{name}.score_labels", hint='e.g. `"Extremely satisfied": 5`'))
            score_labels = None
        else:
            score_labels = {str(k): float(v) for k, v in score_labels.items()}
    for req in REQUIRED_FIELDS[name]:
        if req == "responded_at" and survey_date:
            continue
        if req not in clean_cols:
            problems.append(Problem(f"required field '{req}' is not mapped", file=file,
                                    where=f"{name}.columns.{req}",
                                    hint=f"add `{req}: <column name in the export>` under {name}.columns"
                                    + (" (or `survey_date: YYYY-MM-DD` under responses when the export has no "
                                       "response dates)" if req == "responded_at" else "")))

    def _list(key: str) -> list[str]:
        v = raw.get(key) or []
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, (list, tuple)):
            problems.append(Problem("must be a list of column names", file=file, where=f"{name}.{key}"))
            return []
        return [str(x) for x in v]

    segments = _list("segments")
    drivers = _list("drivers")
    if drivers and name != "responses":
        problems.append(Problem("drivers belong to the responses table", file=file, where=f"{name}.drivers"))
        drivers = []
    churn_values = raw.get("churn_values")
    if churn_values is not None:
        churn_values = [str(v) for v in (churn_values if isinstance(churn_values, list) else [churn_values])]
    fmt = str(raw.get("format", "auto")).lower()
    if fmt not in FORMATS:
        s = suggest(fmt, FORMATS)
        problems.append(Problem(f"unknown format '{fmt}'", file=file, where=f"{name}.format",
                                hint=f"did you mean '{s}'?" if s else f"formats: {', '.join(FORMATS)}"))
        fmt = "auto"
    dayfirst = raw.get("dayfirst")
    if dayfirst is not None and not isinstance(dayfirst, bool):
        problems.append(Problem("dayfirst must be true or false", file=file, where=f"{name}.dayfirst"))
        dayfirst = None
    header_row = raw.get("header_row")
    if header_row is not None and (isinstance(header_row, bool) or not isinstance(header_row, int)
                                   or header_row < 1):
        problems.append(Problem("header_row must be the line number (1 = first) of the header",
                                file=file, where=f"{name}.header_row"))
        header_row = None
    decimal = raw.get("decimal")
    if decimal is not None and str(decimal) not in (".", ","):
        problems.append(Problem("decimal must be '.' or ','", file=file, where=f"{name}.decimal"))
        decimal = None
    return TableSpec(name=name, path=p, columns=clean_cols, segments=segments, drivers=drivers,
                     churn_values=churn_values, format=fmt, sheet=raw.get("sheet"),
                     delimiter=raw.get("delimiter"), encoding=raw.get("encoding"),
                     decimal=str(decimal) if decimal else None, dayfirst=dayfirst, header_row=header_row,
                     score_labels=score_labels, survey_date=survey_date)


def load_config(path: str | Path) -> Config:
    """Read a config and raise :class:`NpsdiagError` listing every fatal problem.

    Non-fatal problems are kept in ``Config.warnings``.
    """
    cfg, problems = read_config(path)
    fatal = [p for p in problems if p.fatal]
    if fatal or cfg is None:
        raise NpsdiagError(fatal or problems)
    cfg.warnings = problems
    return cfg
