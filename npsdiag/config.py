"""The client config (YAML): reading, checking, and the settings.

The format is SPEC.md's. Every mistake found is collected as a
:class:`~npsdiag.errors.Problem` (file, key, suggestion) so that
``npsdiag validate`` can list them all at once.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import NpsdiagError, Problem, suggest

__all__ = ["Settings", "TableSpec", "Config", "load_config", "read_config", "check_setting", "TABLE_FIELDS", "slugify",
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
TABLE_KEYS = ("path", "columns", "segments", "drivers", "churn_values", "score_labels", "survey_date",
              "snapshot_date") + READ_OPTIONS
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
    #: responses this many days (or fewer) before an account's outcome are not used to predict it
    outcome_embargo_days: float = 30
    currency: str | None = None  #: e.g. USD, EUR, GBP: money at stake is shown in it
    name_owners: bool = False  #: owner names in the client report (else only in the private annex)

    @property
    def breaks(self):
        from .stats.nps import Breaks

        return Breaks(self.detractor_max, self.promoter_min)


SETTINGS_TYPES: dict[str, Any] = {
    "scale": "range", "follow_up_sla_days": "number", "repeat_window_days": "number", "min_n": "int",
    "confidence": "prob", "period": "period", "decision_roles": "list", "revenue_coverage_target": "prob",
    "redact_pii": "bool", "detractor_max": "number", "promoter_min": "number", "dayfirst": "bool_or_null",
    "feed_period": "freq", "trend_period": "freq", "themes": "themes",
    "outcome_embargo_days": "number", "currency": "currency", "name_owners": "bool",
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
    #: accounts: the ISO date the export's outcomes are known as of (default: the latest date in the data)
    snapshot_date: str | None = None


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


#: Longest folder name a slug gives (a longer one is cut and keeps a short hash of the whole, to stay unique).
MAX_SLUG_CHARS = 60
#: A config is a few kilobytes; a larger file is refused before it is parsed.
MAX_CONFIG_BYTES = 2_000_000
#: Most YAML nodes a config may expand to once its aliases (``*name``) are followed (an alias "bomb" expands a
#: few hundred bytes into billions of nodes).
MAX_YAML_NODES = 100_000


def slugify(name: str) -> str:
    """A folder-safe name: lower case ascii letters, digits and dashes, at most :data:`MAX_SLUG_CHARS` characters.

    Examples
    --------
    >>> slugify("Acme Corp (EMEA)")
    'acme-corp-emea'
    >>> len(slugify("x" * 10_000)) <= MAX_SLUG_CHARS
    True
    """
    s = re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-")
    if len(s) > MAX_SLUG_CHARS:  # a folder name must stay short enough for the file system (255 bytes)
        digest = hashlib.sha1(s.encode("utf-8")).hexdigest()[:8]
        s = s[: MAX_SLUG_CHARS - 9].rstrip("-") + "-" + digest
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


# --------------------------------------------------------------------------- settings

#: What each kind of setting must be, as the message says it ("... is not a number").
_NUMBER_RULES: dict[str, tuple[Any, str]] = {
    "prob": (lambda v: 0 < v < 1, "a number between 0 and 1 (e.g. 0.95)"),
    "int": (lambda v: v == int(v) and v >= 1, "a whole number of at least 1"),
    "number": (lambda v: v >= 0, "a number of at least 0"),
}


def _is_number(value: Any) -> bool:
    """A finite number (YAML's ``.nan`` and ``.inf`` are not: every comparison with NaN is false)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _as_number(kind: str, value: Any) -> tuple[Any, str | None]:
    if not _is_number(value):
        return None, "a number"
    rule, expect = _NUMBER_RULES[kind]
    if not rule(value):
        return None, expect
    return (int(value) if kind == "int" else value), None


def _as_bool(value: Any) -> tuple[Any, str | None]:
    return (value, None) if isinstance(value, bool) else (None, "true or false")


def _as_bool_or_null(value: Any) -> tuple[Any, str | None]:
    return (value, None) if value is None or isinstance(value, bool) else (None, "true, false or null")


def _as_range(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(_is_number(v) for v in value) \
            and value[0] < value[1]:
        return tuple(value), None
    return None, "a list of two numbers, low and high, e.g. [0, 10]"


def _as_period(value: Any) -> tuple[Any, str | None]:
    if value is None:
        return None, None
    expect = "two dates, e.g. [2024-01-01, 2024-12-31]"
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return None, expect
    import pandas as pd

    try:
        start, end = (pd.Timestamp(str(v)) for v in value)
    except (ValueError, TypeError):
        return None, expect
    if start > end:
        return None, "two dates with the start before the end"
    return (start.date().isoformat(), end.date().isoformat()), None


def _as_list(value: Any) -> tuple[Any, str | None]:
    if value is None:
        return None, None
    if isinstance(value, str):
        value = [value]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value], None
    return None, "a list of values"


def _as_currency(value: Any) -> tuple[Any, str | None]:
    if value is None:
        return None, None
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z]{3}", value.strip()):
        return value.strip().upper(), None
    return None, "a three-letter currency code such as USD, EUR or GBP (or null)"


def _as_freq(value: Any) -> tuple[Any, str | None]:
    if value in ("W", "M", "Q"):
        return value, None
    return None, "one of W (weeks), M (months) or Q (quarters)"


def _theme_keywords(name: Any, words: Any) -> tuple[list[str] | None, str | None]:
    """One theme's keywords: words or phrases (up to 3 words), '*' only at a word's end."""
    words = [words] if isinstance(words, str) else ([] if words is None else words)
    if not isinstance(words, (list, tuple)) or not all(isinstance(w, (str, int, float)) for w in words):
        return None, f"a list of keywords for theme '{name}'"
    clean = [str(w).strip() for w in words if str(w).strip()]
    for w in clean:
        if len(w.split()) > 3 or re.search(r"\*(?!$|\s)", w):
            return None, f"keywords of up to three words with '*' only at a word's end (theme '{name}': {w!r})"
    return clean, None


def _as_themes(value: Any) -> tuple[Any, str | None]:
    """``{theme name: [keywords]}`` (see :func:`_theme_keywords`)."""
    if value is None:
        return None, None
    if not isinstance(value, dict):
        return None, "a mapping of theme name to a list of keywords, e.g. {billing: [invoice*, refund]}"
    out: dict[str, list[str]] = {}
    for name, words in value.items():
        clean, expect = _theme_keywords(name, words)
        if expect:
            return None, expect
        out[str(name)] = clean
    return out, None


#: The check of each kind of setting (see :data:`SETTINGS_TYPES`): ``(value as used, None)`` or
#: ``(None, what the value must be)``.
_CHECKS: dict[str, Any] = {
    "number": lambda v: _as_number("number", v), "prob": lambda v: _as_number("prob", v),
    "int": lambda v: _as_number("int", v), "bool": _as_bool, "bool_or_null": _as_bool_or_null,
    "range": _as_range, "period": _as_period, "list": _as_list, "freq": _as_freq, "themes": _as_themes,
    "currency": _as_currency,
}


def check_setting(key: str, value: Any, file: str) -> tuple[Any, Problem | None]:
    """Check one setting's value.

    Parameters
    ----------
    key : str
        A key of :data:`SETTINGS_TYPES`.
    value : object
        The value as written in the config (YAML types).
    file : str
        The config file, for the problem's message.

    Returns
    -------
    (value, problem)
        The value as :class:`Settings` holds it and None, or None and the
        :class:`~npsdiag.errors.Problem` saying what the value must be.

    Examples
    --------
    >>> check_setting("scale", [1, 5], "config.yml")
    ((1, 5), None)
    >>> check_setting("min_n", 0, "config.yml")[1].message
    '0 is not a whole number of at least 1'
    """
    checked, expect = _CHECKS[SETTINGS_TYPES[key]](value)
    if expect is None:
        return checked, None
    return None, Problem(f"{value!r} is not {expect}", file=file, where=f"settings.{key}",
                         hint=f"write {expect}, or remove the key to use the default")


# --------------------------------------------------------------------------- the config file


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
    raw, problem = _read_yaml(path)
    if raw is None:
        return None, [problem]
    problems: list[Problem] = []
    _check_keys(raw, TOP_KEYS, "", file, problems)
    client = _client_name(raw, path, problems)
    settings = _read_settings(raw.get("settings"), file, problems)
    tables: dict[str, TableSpec] = {}
    for name in TABLES:
        if raw.get(name) is None:
            if name == "responses":
                problems.append(Problem("no responses table", file=file, where="responses",
                                        hint="add a `responses:` section with `path:` and `columns:`"))
            continue
        spec = _read_table(name, raw[name], path.parent, file, problems)
        if spec is not None:
            tables[name] = spec
    if "responses" not in tables:
        return None, problems
    slug = slugify(raw["slug"]) if raw.get("slug") else slugify(client)
    return Config(client=client, path=path, tables=tables, settings=settings, slug=slug), problems


class _DuplicateKey(yaml.constructor.ConstructorError):
    """A key written twice in one mapping (YAML would silently keep the last)."""

    def __init__(self, key: Any, first_line: int, node: yaml.Node):
        super().__init__(None, None, f"the key '{key}' is written twice (lines {first_line} and "
                         f"{node.start_mark.line + 1}); YAML would silently keep only the second", node.start_mark)
        self.key = key


class _ConfigLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses a key written twice in one mapping (merge keys ``<<`` aside)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the base class says so
                continue
            if first is not None:
                raise _DuplicateKey(key, first, key_node)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


def _expanded_nodes(root: yaml.Node, limit: int) -> int | None:
    """How many nodes the document holds once every alias is followed, up to ``limit`` (None: more, or a cycle).

    Aliases share their node, so the count is made over the distinct nodes with each one's size remembered.
    """
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    busy: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            busy.discard(key)
            children = _children(node)
            size[key] = min(1 + sum(size[id(c)] for c in children), limit + 1)
            continue
        if key in size:
            continue
        if key in busy:
            return None  # a node that contains itself
        busy.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)
    total = size[id(root)]
    return None if total > limit else total


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _parse_yaml(text: str, file: str) -> tuple[Any, Problem | None]:
    """The YAML document of ``text`` (keys written twice and alias bombs refused), or the problem found."""
    loader = _ConfigLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_nodes(node, MAX_YAML_NODES) is None:
            return None, Problem(f"the config expands to more than {MAX_YAML_NODES:,} values through its aliases "
                                 "(`*name`), or an alias refers to itself", file=file,
                                 hint="write the values out; a client config needs no aliases")
        return (loader.construct_document(node) if node is not None else None), None
    except _DuplicateKey as exc:
        mark = exc.problem_mark
        return None, Problem(exc.problem, file=file, where=f"line {mark.line + 1}",
                             hint=f"keep one '{exc.key}' (merge the two)")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, Problem(f"the config is not valid YAML: {reason}", file=file, where=where,
                             hint="check indentation and quotes around names containing ':' or '#'")
    except RecursionError:
        return None, Problem("the config is nested too deeply to be a client config", file=file,
                             hint="see examples/demo/config.yml for the format")
    finally:
        loader.dispose()


def _read_yaml(path: Path) -> tuple[dict | None, Problem | None]:
    """The config file's mapping, or None and the problem that makes it unusable."""
    file = str(path)
    if not path.exists():
        return None, Problem("config file not found", file=file,
                             hint="check the path; run `npsdiag init EXPORT.csv` to propose a config")
    if path.is_dir():
        return None, Problem("this is a folder, not a config file", file=file)
    if path.stat().st_size > MAX_CONFIG_BYTES:
        return None, Problem(f"the config is {path.stat().st_size:,} bytes: too large to be a client config",
                             file=file, hint="give the config (YAML), not a data file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return None, Problem("the config is not a UTF-8 text file", file=file, hint="save it as UTF-8 text (YAML)")
    raw, problem = _parse_yaml(text, file)
    if problem is not None:
        return None, problem
    if not isinstance(raw, dict):
        return None, Problem("the config must be a YAML mapping (key: value lines)", file=file,
                             hint="see examples/demo/config.yml for the format")
    return raw, None


def _check_keys(raw: dict, known: tuple[str, ...], prefix: str, file: str, problems: list[Problem]) -> None:
    """A problem for each key of ``raw`` that is not ``known``, with the nearest known key."""
    for key in raw:
        if key not in known:
            s = suggest(str(key), known)
            problems.append(Problem(f"unknown key '{key}'", file=file, where=f"{prefix}{key}",
                                    hint=f"did you mean '{s}'?" if s else f"known keys: {', '.join(known)}"))


def _client_name(raw: dict, path: Path, problems: list[Problem]) -> str:
    client = raw.get("client")
    if client is None or str(client).strip() == "":
        problems.append(Problem("no client name", file=str(path), where="client",
                                hint="add a line such as `client: Acme Corp`"))
        return path.stem
    return str(client)


def _read_settings(raw: Any, file: str, problems: list[Problem]) -> Settings:
    """The ``settings:`` section: every key checked, then the NPS categories against the scale."""
    settings = Settings()
    if not isinstance(raw or {}, dict):
        problems.append(Problem("settings must be a mapping of key: value", file=file, where="settings"))
        raw = {}
    for key, value in (raw or {}).items():
        if key not in SETTINGS_TYPES:
            s = suggest(str(key), SETTINGS_TYPES)
            problems.append(Problem(f"unknown setting '{key}'", file=file, where=f"settings.{key}",
                                    hint=f"did you mean '{s}'?" if s else
                                    f"known settings: {', '.join(SETTINGS_TYPES)}"))
            continue
        checked, prob = check_setting(key, value, file)
        if prob:
            problems.append(prob)
        else:
            setattr(settings, key, checked)
    _check_categories(settings, file, problems)
    return settings


def _check_categories(settings: Settings, file: str, problems: list[Problem]) -> None:
    """The detractor and promoter limits must leave every category on the scale."""
    lo, hi = settings.scale
    dmax, pmin = settings.detractor_max, settings.promoter_min
    if dmax >= pmin:
        problems.append(Problem("detractor_max must be below promoter_min", file=file, where="settings"))
    elif pmin > hi or dmax < lo:
        problems.append(Problem(
            f"on a {lo:g}-{hi:g} scale the categories detractor <= {dmax:g} and promoter >= "
            f"{pmin:g} leave no {'promoter' if pmin > hi else 'detractor'}",
            file=file, where="settings",
            hint="set detractor_max and promoter_min for this scale, e.g. for 1-5: detractor_max: 3, promoter_min: 5"))


# --------------------------------------------------------------------------- one table


def _read_table(name: str, raw: Any, base: Path, file: str, problems: list[Problem]) -> TableSpec | None:
    """One table's section (``responses:``, ``accounts:``...), checked; None when it has no usable path."""
    if isinstance(raw, str):
        raw = {"path": raw}
    if not isinstance(raw, dict):
        problems.append(Problem("must be a mapping with at least `path:`", file=file, where=name))
        return None
    _check_keys(raw, TABLE_KEYS, f"{name}.", file, problems)
    if not raw.get("path"):
        problems.append(Problem("no path", file=file, where=f"{name}.path",
                                hint="give the export's file name, relative to the config's folder"))
        return None
    path = _table_path(name, raw["path"], base, file, problems)
    columns = _table_columns(name, raw.get("columns"), file, problems)
    survey_date = _survey_date(name, raw.get("survey_date"), columns, file, problems)
    snapshot_date = _snapshot_date(name, raw.get("snapshot_date"), file, problems)
    score_labels = _score_labels(name, raw.get("score_labels"), file, problems)
    _check_required(name, columns, survey_date, file, problems)
    segments = _name_list(name, "segments", raw, file, problems)
    drivers = _name_list(name, "drivers", raw, file, problems)
    if drivers and name != "responses":
        problems.append(Problem("drivers belong to the responses table", file=file, where=f"{name}.drivers"))
        drivers = []
    churn_values = raw.get("churn_values")
    if churn_values is not None:
        churn_values = [str(v) for v in (churn_values if isinstance(churn_values, list) else [churn_values])]
    return TableSpec(name=name, path=path, columns=columns, segments=segments, drivers=drivers,
                     churn_values=churn_values, sheet=raw.get("sheet"), delimiter=raw.get("delimiter"),
                     encoding=raw.get("encoding"), score_labels=score_labels, survey_date=survey_date,
                     snapshot_date=snapshot_date, **_read_options(name, raw, file, problems))


def _table_path(name: str, value: Any, base: Path, file: str, problems: list[Problem]) -> Path:
    """The table's file, relative to the config's folder; a problem when it is missing or a folder."""
    p = Path(str(value)).expanduser()
    p = Path(os.path.normpath(p if p.is_absolute() else (base / p)))  # 'a/b/../c' -> 'a/c', links kept
    if not p.exists():
        near = suggest(p.name, [c.name for c in p.parent.iterdir()]) if p.parent.exists() else None
        problems.append(Problem(f"file not found: {p}", file=file, where=f"{name}.path",
                                hint=f"did you mean '{near}'?" if near else
                                "paths are relative to the config file's folder"))
    elif p.is_dir():
        problems.append(Problem(f"{p} is a folder, not a file", file=file, where=f"{name}.path"))
    return p


def _table_columns(name: str, columns: Any, file: str, problems: list[Problem]) -> dict[str, str]:
    """``columns:``: canonical field -> the export's column name, for known fields with a name given."""
    columns = columns or {}
    if not isinstance(columns, dict):
        problems.append(Problem("columns must map canonical fields to the export's column names",
                                file=file, where=f"{name}.columns",
                                hint="e.g. `score: How likely are you to recommend us?`"))
        return {}
    fields = TABLE_FIELDS[name]
    out: dict[str, str] = {}
    for key, value in columns.items():
        if key not in fields:
            s = suggest(str(key), fields)
            problems.append(Problem(f"unknown field '{key}'", file=file, where=f"{name}.columns.{key}",
                                    hint=f"did you mean '{s}'?" if s else
                                    f"fields of {name}: {', '.join(fields)}"))
        elif value is None or str(value).strip() == "":
            problems.append(Problem("no column name given", file=file, where=f"{name}.columns.{key}",
                                    hint="give the export's column name, or remove the line"))
        else:
            out[key] = str(value)
    return out


def _survey_date(name: str, value: Any, columns: dict[str, str], file: str, problems: list[Problem]) -> str | None:
    """``survey_date:`` as an ISO date, for a responses table without ``responded_at`` (else None)."""
    if value is None:
        return None
    import pandas as pd

    where = f"{name}.survey_date"
    try:
        value = pd.Timestamp(str(value)).date().isoformat()
    except (ValueError, TypeError):
        problems.append(Problem(f"survey_date {value!r} is not a date", file=file, where=where,
                                hint="write it as YYYY-MM-DD"))
        value = None
    if name != "responses":
        problems.append(Problem("survey_date belongs to the responses table", file=file, where=where))
        return None
    if "responded_at" in columns:
        problems.append(Problem("survey_date is ignored: responded_at is mapped", fatal=False, file=file,
                                where=where, hint="remove one of the two"))
        return None
    return value


def _iso_date(value: Any) -> str | None:
    """A YAML date or date text as YYYY-MM-DD; None when it is not a date."""
    import pandas as pd

    try:
        ts = pd.Timestamp(str(value))
    except (ValueError, TypeError):
        return None
    return None if pd.isna(ts) else ts.date().isoformat()


def _snapshot_date(name: str, value: Any, file: str, problems: list[Problem]) -> str | None:
    """``accounts.snapshot_date:``: the day the accounts' outcomes are known as of, as an ISO date."""
    if value is None:
        return None
    where = f"{name}.snapshot_date"
    if name != "accounts":
        problems.append(Problem("snapshot_date belongs to the accounts table", file=file, where=where,
                                hint="the day the CRM export's renewals and churn are known as of"))
        return None
    iso = _iso_date(value)
    if iso is None:
        problems.append(Problem(f"snapshot_date {value!r} is not a date", file=file, where=where,
                                hint="write the day the CRM export was taken as YYYY-MM-DD"))
    return iso


def _score_labels(name: str, value: Any, file: str, problems: list[Problem]) -> dict[str, float] | None:
    """``score_labels:``: answer label -> number."""
    if value is None:
        return None
    if not isinstance(value, dict) or not all(_is_number(v) for v in value.values()):
        problems.append(Problem("score_labels must map each answer label to its number", file=file,
                                where=f"{name}.score_labels", hint='e.g. `"Extremely satisfied": 5`'))
        return None
    return {str(k): float(v) for k, v in value.items()}


def _check_required(name: str, columns: dict[str, str], survey_date: str | None, file: str,
                    problems: list[Problem]) -> None:
    for req in REQUIRED_FIELDS[name]:
        if req in columns or (req == "responded_at" and survey_date):
            continue
        problems.append(Problem(f"required field '{req}' is not mapped", file=file, where=f"{name}.columns.{req}",
                                hint=f"add `{req}: <column name in the export>` under {name}.columns"
                                + (" (or `survey_date: YYYY-MM-DD` under responses when the export has no "
                                   "response dates)" if req == "responded_at" else "")))


def _name_list(name: str, key: str, raw: dict, file: str, problems: list[Problem]) -> list[str]:
    """A list of column names (``segments:``, ``drivers:``); one name alone counts as a list."""
    v = raw.get(key) or []
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, (list, tuple)):
        problems.append(Problem("must be a list of column names", file=file, where=f"{name}.{key}"))
        return []
    return [str(x) for x in v]


def _read_options(name: str, raw: dict, file: str, problems: list[Problem]) -> dict[str, Any]:
    """``format``, ``dayfirst``, ``header_row`` and ``decimal``, checked (a wrong one is dropped)."""
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
    if header_row is not None and (isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1):
        problems.append(Problem("header_row must be the line number (1 = first) of the header",
                                file=file, where=f"{name}.header_row"))
        header_row = None
    decimal = raw.get("decimal")
    if decimal is not None and str(decimal) not in (".", ","):
        problems.append(Problem("decimal must be '.' or ','", file=file, where=f"{name}.decimal"))
        decimal = None
    return {"format": fmt, "dayfirst": dayfirst, "header_row": header_row,
            "decimal": str(decimal) if decimal else None}


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
