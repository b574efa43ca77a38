"""A client's tables loaded from the files its config names (:func:`load`), or from DataFrames
(:func:`from_frames`), into one :class:`~npsdiag.io.ClientData`."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from ..config import TABLE_FIELDS, Config, Settings, TableSpec, check_setting, load_config
from ..errors import NpsdiagError, Problem
from .attributes import join_contacts
from .copies import COPY_OF, copy_of
from .mapping import check_empty_columns, map_table
from .read import StartedRead, read_started, start_read
from .strings import arrow_strings
from .tables import ROW, ClientData, RawTable

__all__ = ["load", "from_frames"]


# --------------------------------------------------------------------------- reading every table


def _file_key(spec: TableSpec) -> tuple:
    """What identifies a file read: tables read from the same file, sheet and format share one read."""
    return str(Path(spec.path).resolve()), spec.sheet, spec.format


@dataclass
class _Files:
    """The files of a config's tables while they are read.

    ``wanted``: the columns each file must give, over the tables read from it; ``uses``: the tables
    still to read from it; ``started``: pyarrow reads started ahead; ``kept``: a file read for a table
    and kept for the next one read from it (the raw strings are dropped after its last table).
    """

    wanted: dict[tuple, list[str] | None] = field(default_factory=dict)
    uses: dict[tuple, int] = field(default_factory=dict)
    started: dict[tuple, StartedRead | None] = field(default_factory=dict)
    kept: dict[tuple, RawTable] = field(default_factory=dict)

    @classmethod
    def of(cls, cfg: Config) -> _Files:
        """The files of every table of ``cfg``, none read yet."""
        files = cls()
        for spec in cfg.tables.values():
            key = _file_key(spec)
            files.wanted.setdefault(key, []).extend([*spec.columns.values(), *spec.segments, *spec.drivers])
            files.uses[key] = files.uses.get(key, 0) + 1
        if _needs_whole_rows(cfg.responses):  # every column: exact copies are judged on the whole source row
            files.wanted[_file_key(cfg.responses)] = None
        return files


@dataclass
class _Tables:
    """The tables mapped so far, their sources, and the problems found."""

    problems: list[Problem]
    fatal: list[Problem] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    sources: dict[str, dict] = field(default_factory=dict)


def load(config: Config | str | Path) -> ClientData:
    """Load every table of a client's config into canonical typed tables.

    Parameters
    ----------
    config : Config or path to the YAML config

    Returns
    -------
    ClientData

    Raises
    ------
    NpsdiagError
        With every fatal problem found (missing files or columns, unreadable
        files, a score or date column empty throughout).

    Notes
    -----
    The CSVs are read by pyarrow on a worker thread, in table order, while
    the tables already read are typed (pyarrow releases the interpreter).
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    read = _read_tables(cfg)
    if read.fatal:
        raise NpsdiagError(read.fatal)
    return _client_data(cfg, read)


def _read_tables(cfg: Config) -> _Tables:
    """Every table of the config read and mapped, the next CSVs read by pyarrow meanwhile."""
    files = _Files.of(cfg)
    read = _Tables(problems=list(cfg.warnings))
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="npsdiag-read")
    try:
        for spec in cfg.tables.values():
            key = _file_key(spec)
            if key not in files.started:
                files.started[key] = start_read(spec, files.wanted[key], pool)
        for name, spec in cfg.tables.items():
            _read_table(name, spec, cfg, files, read)
    finally:  # nothing is left running when a table fails
        pool.shutdown(wait=True, cancel_futures=True)
    return read


def _read_table(name: str, spec: TableSpec, cfg: Config, files: _Files, read: _Tables) -> None:
    """One table read (or taken from a file read for an earlier table), mapped, its problems sorted."""
    key = _file_key(spec)
    files.uses[key] -= 1
    local: list[Problem] = []
    try:
        raw = files.kept.get(key) or read_started(spec, files.started.pop(key, None), local, columns=files.wanted[key])
    except NpsdiagError as exc:
        for p in exc.problems:
            p.where = p.where or f"{name}.path"
        read.fatal.extend(exc.problems)
        return
    if files.uses[key]:
        files.kept[key] = raw
    else:  # its last table: the raw strings are not kept
        files.kept.pop(key, None)
    if len(raw.frame) == 0:
        local.append(Problem("the file has a header but no rows", fatal=name == "responses",
                             file=str(raw.file), hint="export the responses again"))
    mapped = map_table(raw, spec, cfg, local)
    if name == "responses" and (_needs_whole_rows(spec) or _no_ids(mapped)):  # (row-number ids are no field)
        mapped[COPY_OF] = copy_of(raw.frame, mapped.drop(columns=["response_id"], errors="ignore"))
    check_empty_columns(mapped, spec, str(raw.file), local)
    for p in local:
        (read.fatal if p.fatal else read.problems).append(p)
    read.sources[name] = {"file": str(raw.file), "format": raw.format, "rows": int(len(raw.frame)),
                          "notes": list(raw.notes), "encoding": raw.encoding, "delimiter": raw.delimiter,
                          "sheet": raw.sheet}
    if raw.statuses is not None and "churned" in spec.columns:
        read.sources[name]["churn_statuses"] = raw.statuses.to_dict("records")
    read.tables[name] = mapped


def _no_ids(mapped: pd.DataFrame) -> bool:
    """Whether a mapped response id column is empty throughout (copies are then told by the columns read)."""
    return "response_id" in mapped and not mapped["response_id"].notna().any()


def _needs_whole_rows(spec: TableSpec) -> bool:
    """Whether exact copies of a responses table's rows must be found on its whole rows (no response id)."""
    return "response_id" not in spec.columns


def _client_data(cfg: Config, read: _Tables) -> ClientData:
    """The :class:`ClientData` of the tables read: accounts deduplicated, their segments on each response."""
    problems = read.problems
    resp = read.tables["responses"]
    problems.extend(_scale_problems(resp, cfg.settings, read.sources["responses"]["file"]))
    accounts = read.tables.get("accounts")
    if accounts is not None and "account_id" in accounts:
        accounts = _dedupe_accounts(accounts, cfg, problems)
        # account segments travel with each response, for segmentation by account attributes
        seg = [c for c in cfg.tables["accounts"].segments if c in accounts.columns and c not in resp.columns]
        if seg and "account_id" in resp.columns:
            resp = _merge_account_columns(resp, accounts, seg)
    joined, cfg, notes = join_contacts(cfg, resp, read.tables.get("contacts"), read.sources)  # role, segments
    resp = joined.responses
    problems.extend(notes)
    return ClientData(config=cfg, responses=resp, accounts=accounts, invitations=read.tables.get("invitations"),
                      contacts=read.tables.get("contacts"), problems=problems, sources=read.sources)


# --------------------------------------------------------------------------- checks across tables


def _scale_message(lo: float, hi: float, dmax: float, pmin: float) -> str:
    """How scores on a scale other than 0-10 are categorised, and what that means for comparisons."""
    if (lo, hi) == (1, 10) and (dmax, pmin) == (6, 9):
        return ("scores are on a 1-10 scale: the standard categories are kept (1-6 detractor, 7-8 passive, "
                "9-10 promoter), so a 1 counts as a detractor as a 0 would; the NPS is close to, but not "
                "strictly comparable with, 0-10 benchmarks")
    return (f"scores are on a {lo:g}-{hi:g} scale, categorised as detractor <= {dmax:g}, promoter >= {pmin:g} "
            f"and passive between; the resulting NPS-style index is not comparable with 0-10 NPS benchmarks")


def _scale_problems(resp: pd.DataFrame, settings: Settings, file: str) -> list[Problem]:
    """Notes on the score scale: how a non-0-10 scale is categorised, and scales that look mis-set."""
    out: list[Problem] = []
    lo, hi = settings.scale
    where = "settings.scale"
    if (lo, hi) != (0, 10):
        out.append(Problem(_scale_message(lo, hi, settings.detractor_max, settings.promoter_min), fatal=False,
                           where=where, hint="the report's methodology appendix states the same"))
    if "score" not in resp:
        return out
    s = resp["score"].dropna()
    if len(s) < 20:
        return out
    if (lo, hi) == (0, 10) and s.min() >= 1 and s.max() <= 5:
        out.append(Problem("every score is between 1 and 5 on a 0-10 scale: as read, no response can be a "
                           "promoter", fatal=False, file=file, where=where,
                           hint="if the question is a 1-5 rating, set `settings: {scale: [1, 5], detractor_max: 3, "
                           "promoter_min: 5}`"))
    elif (lo, hi) == (0, 10) and len(s) >= 200 and s.min() == 1 and s.max() == 10:
        out.append(Problem(f"no score of 0 among {len(s):,} scores: the survey may have used a 1-10 scale",
                           fatal=False, file=file, where=where,
                           hint="if so, set `settings: {scale: [1, 10]}` (categories unchanged; 1 is a detractor)"))
    share_above = float((s > hi).mean())
    if share_above > 0.5:
        out.append(Problem(f"{share_above:.0%} of the scores are above {hi:g}, the top of the scale; they are excluded",
                           fatal=False, file=file, where=where,
                           hint="check that the mapped score column is the likelihood-to-recommend rating, or set "
                           "`settings.scale`"))
    return out


def _merge_account_columns(resp: pd.DataFrame, accounts: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``resp.merge(accounts[["account_id", *columns]], on="account_id", how="left")`` for unique account ids.

    A lookup instead of a merge: the responses' columns are not copied.
    """
    if accounts["account_id"].duplicated().any() or accounts["account_id"].isna().any():
        return resp.merge(accounts[["account_id", *columns]], on="account_id", how="left")
    at = pc.fill_null(pc.index_in(arrow_strings(resp["account_id"]),
                                  value_set=arrow_strings(accounts["account_id"]).combine_chunks()), -1)
    at = at.to_numpy(zero_copy_only=False).astype(np.intp, copy=False)
    out = resp.reset_index(drop=True)
    for c in columns:
        out[c] = accounts[c].array.take(at, allow_fill=True)
    return out


def _dedupe_accounts(accounts: pd.DataFrame, cfg: Config, problems: list[Problem]) -> pd.DataFrame:
    """One row per account (the last), with a problem when repeated rows disagree (or, from a file of their
    own, are merged)."""
    a = accounts[accounts["account_id"].notna()]
    if not a["account_id"].duplicated().any():
        return a.reset_index(drop=True)
    file = str(cfg.tables["accounts"].path)
    flat = Path(cfg.tables["accounts"].path).resolve() == Path(cfg.responses.path).resolve()
    value_cols = [c for c in a.columns if c not in (ROW, "account_id")]
    conflicts = a.groupby("account_id")[value_cols].nunique(dropna=True).gt(1).any(axis=1) if value_cols else None
    if conflicts is not None and conflicts.any():
        ids = conflicts[conflicts].index.tolist()
        problems.append(Problem(f"{len(ids)} account(s) appear more than once with different values "
                                f"(e.g. {ids[0]}); the last row of each is used", fatal=False, file=file,
                                where="accounts", hint="one row per account is expected"))
    elif not flat:
        n = int(a["account_id"].duplicated().sum())
        problems.append(Problem(f"{n} repeated account row(s) were merged", fatal=False, file=file,
                                where="accounts"))
    return a.drop_duplicates("account_id", keep="last").reset_index(drop=True)

def _frames_settings(settings: dict | None) -> Settings:
    """:class:`Settings` from a dict of settings, each checked as in a config."""
    st = Settings()
    for k, v in (settings or {}).items():
        checked, prob = check_setting(k, v, "<settings>")
        if prob:
            raise NpsdiagError(prob)
        setattr(st, k, checked)
    return st


def from_frames(
    responses: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    invitations: pd.DataFrame | None = None,
    contacts: pd.DataFrame | None = None,
    segments: list[str] | None = None,
    drivers: list[str] | None = None,
    account_segments: list[str] | None = None,
    settings: dict | None = None,
    client: str = "Client",
) -> ClientData:
    """Build a :class:`ClientData` from DataFrames that already use canonical column names.

    For analysts and tests: the frames must name their columns as the
    canonical fields (``score``, ``responded_at``, ``account_id``...; see
    :data:`npsdiag.config.TABLE_FIELDS`); segment and driver columns keep
    their own names. Values are typed as :func:`load` types them.

    Examples
    --------
    >>> import pandas as pd
    >>> d = from_frames(pd.DataFrame({"score": [10, 0], "responded_at": ["2024-01-02", "2024-01-03"]}))
    >>> d.responses["score"].tolist()
    [10.0, 0.0]
    """
    frames = {name: f for name, f in (("responses", responses), ("accounts", accounts),
                                      ("invitations", invitations), ("contacts", contacts)) if f is not None}
    extra = {"responses": (list(segments or []), list(drivers or [])),
             "accounts": (list(account_segments or []), [])}
    specs = {}
    for name, f in frames.items():
        segs, drv = extra.get(name, ([], []))
        cols = {c: c for c in f.columns if c in TABLE_FIELDS[name]}
        specs[name] = TableSpec(name=name, path=Path(f"<{name}>"), columns=cols, segments=segs, drivers=drv,
                                dayfirst=False)
    cfg = Config(client=client, path=Path("<frames>"), tables=specs, settings=_frames_settings(settings))
    problems: list[Problem] = []
    tables = {}
    for name, f in frames.items():
        f = f.reset_index(drop=True).copy()
        f[ROW] = np.arange(2, len(f) + 2)
        tables[name] = map_table(RawTable(frame=f, file=Path(f"<{name}>"), format="frame"), specs[name], cfg,
                                 problems)
        if name == "responses" and (_needs_whole_rows(specs[name]) or _no_ids(tables[name])):
            tables[name][COPY_OF] = copy_of(f, tables[name])
    fatal = [p for p in problems if p.fatal]
    if fatal:
        raise NpsdiagError(fatal)
    resp = tables["responses"]
    acc = tables.get("accounts")
    if acc is not None and account_segments and "account_id" in resp:
        seg = [c for c in account_segments if c in acc.columns and c not in resp.columns]
        resp = resp.merge(acc[["account_id", *seg]], on="account_id", how="left")
    return ClientData(config=cfg, responses=resp, accounts=acc, invitations=tables.get("invitations"),
                      contacts=tables.get("contacts"), problems=problems,
                      sources={n: {"file": f"<{n}>", "format": "frame", "rows": len(f)} for n, f in frames.items()})
