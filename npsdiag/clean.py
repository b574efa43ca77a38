"""Which responses are analysed: exclusions and data lineage.

:func:`prepare` flags every response row that cannot be analysed, with one
reason per row (the first that applies, in the order of :data:`REASONS`),
and returns the analysed responses with their NPS category beside the
excluded rows and a lineage table: rows read -> rows excluded per reason ->
rows analysed. Nothing is dropped silently; the reliability area reports
every reason.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .config import Config, Settings
from .io import ROW, ClientData
from .io.copies import COPY_OF
from .stats.nps import categorize

__all__ = ["REASONS", "Prepared", "prepare", "as_of_date", "known_outcomes", "in_period", "is_test_comment",
           "is_test_id", "TEST_WORDS", "is_flat_export"]

#: Exclusion reasons, in the order they are checked, with their plain-language label.
REASONS: dict[str, str] = {
    "not_surveyed": "account in the export with no response (not surveyed)",
    "missing_score": "score missing",
    "invalid_score": "score not a number",
    "out_of_range": "score outside the scale",
    "missing_date": "response date missing or unreadable",
    "test_response": "test, preview or unfinished response",
    "future_date": "dated after the data's as-of date",
    "before_invitation": "dated before its invitation",
    "outside_period": "outside the analysis period",
    "duplicate": "exact duplicate of another response",
    "repeat_respondent": "same respondent again inside the cool-off window",
}
#: When the as-of date is not given, dates more than this many days after the 99.5th percentile of the data's
#: dates are ignored in finding the latest date (year typos such as 2062 must not become the as-of date).
AS_OF_OUTLIER_DAYS = 60
#: Survey-tool statuses that mark a response that is not a real customer's.
TEST_STATUSES = {"survey preview", "preview", "survey test", "test", "spam", "imported? test",
                 "1", "2", "8", "16"}  # Qualtrics numeric codes: 1 preview, 2 test, 8 spam, 16 imported test


@dataclass
class Prepared:
    """Responses ready for analysis, and how they were chosen.

    Attributes
    ----------
    data : ClientData
        What was loaded, but for its rows of responses: ``data.responses``
        is a frame of the same columns with no row (the rows read are
        ``responses`` and ``excluded``; :attr:`rows_read` puts them together).
    responses : DataFrame
        Analysed responses, with a ``category`` column (detractor / passive /
        promoter).
    excluded : DataFrame
        The excluded rows as read (every column of ``data.responses``), in
        file order, with their ``reason``.
    flags : DataFrame
        One row per response row read: ``_row`` and ``reason`` (None when
        analysed).
    lineage : DataFrame
        ``step``, ``rows``: rows read, excluded per reason, analysed.
    as_of : Timestamp or None
        The day the data is known as of (:func:`as_of_date`): responses after it are dated in the future,
        accounts' outcomes are known as of it. Nothing depends on the day the diagnosis runs.
    """

    data: ClientData
    responses: pd.DataFrame
    excluded: pd.DataFrame
    flags: pd.DataFrame
    lineage: pd.DataFrame
    as_of: pd.Timestamp | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)
    _codes: dict = field(default_factory=dict, repr=False, compare=False)
    _locks: dict = field(default_factory=dict, repr=False, compare=False)
    _locks_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __repr__(self) -> str:
        """A few lines an analyst can read (the data classes' own repr printed every table, slowly)."""
        d = self.data
        others = ", ".join(f"{name} {len(t):,}" for name in ("accounts", "invitations", "contacts")
                           if (t := getattr(d, name, None)) is not None)
        period = self.period
        when = f"{period[0]:%Y-%m-%d} to {period[1]:%Y-%m-%d}" if period else "no dates"
        lines = [f"Prepared data of {getattr(d.config, 'client', '?')}: {len(self.flags):,} response rows read, "
                 f"{len(self.responses):,} analysed ({when})"]
        excl = self.excluded_counts
        if len(excl):
            lines.append("excluded: " + ", ".join(f"{k} {v:,}" for k, v in excl.items()))
        if others:
            lines.append("other tables: " + others)
        return "\n".join(lines)

    def _once(self, store: dict, key: tuple, compute: Callable[[], object]) -> object:
        """``store[key]``, computed by ``compute()`` the first time: once, even when areas run on threads."""
        if key in store:
            return store[key]
        with self._locks_lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # a second thread asking for the same key waits for the first one's result
            if key not in store:
                store[key] = compute()
        return store[key]

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_locks"], state["_locks_lock"] = {}, None  # locks do not pickle
        return state

    def __setstate__(self, state: dict) -> None:
        state["_locks_lock"] = threading.Lock()
        self.__dict__.update(state)

    def cached(self, key: tuple, compute: Callable[[], object]) -> object:
        """``compute()`` once per prepared data set; later calls with the same key return the stored result.

        For intermediate results that several areas need (e.g. responses
        matched to invitations), so that a large export computes them once.
        :mod:`npsdiag.linking` is the one module that keys it. The result is
        shared: callers must not modify it in place. Safe when areas are
        diagnosed on several threads (:func:`npsdiag.areas.registry.diagnose_all`).
        """
        return self._once(self._cache, key, compute)

    def codes(self, column: str, table: str = "responses") -> tuple[np.ndarray, pd.Index]:
        """Integer codes of a column of the analysed responses (or of ``data.<table>``), computed once.

        Returns ``(codes, uniques)`` as :func:`pandas.factorize` does (-1 for
        missing values). Grouping, counting (``np.bincount``) and matching on
        these codes is many times faster than on the strings of a large
        export.
        """
        frame = self.responses if table == "responses" else getattr(self.data, table)
        return self._once(self._codes, (table, column), lambda: pd.factorize(frame[column]))

    def has_codes(self, column: str, table: str = "responses") -> bool:
        """Whether :meth:`codes` of this column are computed already."""
        return (table, column) in self._codes

    def codes_known(self, column: str, table: str, value: tuple[np.ndarray, pd.Index]) -> None:
        """Record :meth:`codes` of a column computed in another pass (as ``pandas.factorize`` gives them)."""
        self._codes[table, column] = value

    @property
    def config(self) -> Config:
        return self.data.config

    @property
    def settings(self) -> Settings:
        return self.data.config.settings

    @property
    def accounts(self) -> pd.DataFrame | None:
        return self.data.accounts

    @property
    def invitations(self) -> pd.DataFrame | None:
        return self.data.invitations

    @property
    def contacts(self) -> pd.DataFrame | None:
        return self.data.contacts

    @property
    def segments(self) -> list[str]:
        return [c for c in self.data.segments if c in self.responses.columns]

    @property
    def drivers(self) -> list[str]:
        return self.data.drivers

    @property
    def rows_read(self) -> pd.DataFrame:
        """Every response row as read (the columns of ``data.responses``), in file order.

        Assembled on each access from the analysed and the excluded rows (a
        fraction of a second at a million rows): use ``len(prep.flags)`` for
        the number of rows read and ``prep.excluded`` for the excluded ones.
        """
        columns = list(self.data.responses.columns)
        return _interleave(self.responses, self.excluded, self.flags["reason"].isna().to_numpy(), columns)

    @property
    def excluded_counts(self) -> pd.Series:
        """Rows excluded per reason (only reasons that occurred)."""
        return self.flags["reason"].value_counts().reindex(list(REASONS)).dropna().astype(int)

    @property
    def period(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        d = self.responses["responded_at"] if "responded_at" in self.responses else None
        if d is None or d.dropna().empty:
            return None
        return d.min(), d.max()


def _interleave(first: pd.DataFrame, second: pd.DataFrame, in_first: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """The rows of two frames put back in their order: row ``i`` from ``first`` where ``in_first[i]``.

    Both hold their rows in that order; only ``columns`` are kept.
    """
    n = len(in_first)
    order = np.empty(n, dtype=np.intp)
    order[in_first] = np.arange(int(in_first.sum()))
    order[~in_first] = np.arange(int(in_first.sum()), n)
    out = {}
    for c in columns:
        both = pd.concat([first[c].reset_index(drop=True), second[c].reset_index(drop=True)], ignore_index=True)
        out[c] = both.take(order).reset_index(drop=True)
    return pd.DataFrame(out, index=pd.RangeIndex(n), columns=columns)


# --------------------------------------------------------------------------- preparing


def prepare(data: ClientData, as_of: str | pd.Timestamp | None = None) -> Prepared:
    """Flag the response rows that cannot be analysed and keep the rest.

    Parameters
    ----------
    data : ClientData
        A loaded client export (:func:`npsdiag.io.load`). It is not modified.
    as_of : date, optional
        The day the data is known as of (default: :func:`as_of_date`, the
        accounts' ``snapshot_date`` or the latest date found in the data).

    Returns
    -------
    Prepared

    Notes
    -----
    A response is excluded for the first reason that applies, in the order
    of :data:`REASONS`. Exact duplicates are rows with the same response id
    (or, without ids, identical in every column of the export: two people
    answering alike in the same minute are two responses); the first is
    kept. A repeat respondent is one answering again less than
    ``settings.repeat_window_days`` after their previous analysed response:
    the earlier answer is kept, as survey tools' cool-off rules intend. That
    rule needs the responses' own dates: with one placeholder date for every
    response (``survey_date``) no answer can be placed inside a window.

    In a flat export (the accounts table read from the responses' file, one
    row per account) a row with no score and no comment is an account that
    was not surveyed, not a response missing its score (``not_surveyed``).

    ``settings.period`` restricts every dated table at this one point: the
    responses (before the duplicate and repeat rules, so that only responses
    in the period count) and the invitations. Accounts whose outcome is not
    known by the as-of date get a missing ``churned`` (:func:`known_outcomes`).

    The rows read are then held once, as the analysed rows (``prep.responses``)
    and the excluded ones (``prep.excluded``); ``prep.data.responses`` has
    their columns but no row, so that a large export is not held twice once
    the caller drops its own ``data`` (``prepare(io.load(config))`` holds it
    once throughout). ``prep.rows_read`` assembles every row read.
    """
    s = data.settings
    as_of = as_of_date(data) if as_of is None else pd.Timestamp(as_of).normalize()
    r = data.responses
    mapped = data.config.responses.columns
    # a repeat respondent needs the responses' own dates (not one placeholder `survey_date` for all)
    by_respondent = "respondent_id" in r and s.repeat_window_days > 0 and "responded_at" in mapped
    # the repeat rule groups on these codes; prep.codes("respondent_id") is then derived from them, not hashed again
    respondent_codes = pd.factorize(r["respondent_id"]) if by_respondent else None
    rows = _Rows(r=r, settings=s, as_of=as_of, respondent_codes=respondent_codes, flat=is_flat_export(data.config),
                 by_id="response_id" in mapped and "response_id" in r and bool(r["response_id"].notna().any()))
    code = _reasons(rows)
    del rows
    keep = code == 0
    flags = pd.DataFrame({ROW: r[ROW].to_numpy(copy=True), "reason": _reason_labels(code)})
    lineage = _lineage(code)
    problems = list(data.problems)
    accounts = known_outcomes(data.accounts, as_of, problems, data.config)
    work = r.copy(deep=False)  # the columns of the rows read, released by _divide once divided
    if COPY_OF in work:  # known to the duplicate rule only
        del work[COPY_OF]
    loaded = dataclasses.replace(data, responses=_no_rows(work), accounts=accounts, problems=problems,
                                 invitations=in_period(data.invitations, "invited_at", s.period))
    del data, r  # when the caller keeps no reference of its own, `work` then holds the rows read alone
    responses, excluded = _divide(work, keep)
    del work
    responses["category"] = categorize(responses["score"], s.breaks)
    excluded["reason"] = flags["reason"].array[~keep]
    prep = Prepared(data=loaded, responses=responses, excluded=excluded, flags=flags, lineage=lineage, as_of=as_of)
    if respondent_codes is not None:
        prep.codes_known("respondent_id", "responses", _subset_codes(*respondent_codes, keep))
    return prep


# --------------------------------------------------------------------------- the data's as-of date and period


def is_flat_export(config: Config) -> bool:
    """Whether the accounts table is read from the responses' own file (and sheet): a flat export, one row per
    account, whose rows without a response are accounts that were not surveyed."""
    acc = config.tables.get("accounts")
    if acc is None or "responses" not in config.tables:
        return False
    resp = config.responses
    try:
        same = Path(acc.path).resolve() == Path(resp.path).resolve()
    except OSError:
        same = False
    return same and acc.sheet == resp.sheet


def _dates_ns(values) -> np.ndarray:
    """Datetimes as int64 nanoseconds, missing ones left out."""
    v = pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[ns]")
    return v[~np.isnat(v)].view("int64")


def as_of_date(data: ClientData) -> pd.Timestamp | None:
    """The day the data is known as of: ``accounts.snapshot_date`` when given, else the latest date in the data.

    The latest date is taken over the events the export records: responses,
    their invitations and follow-ups, the invitations table, and the dates of
    accounts that churned (a renewal date of an account that has not churned
    may lie ahead and says nothing about when the export was taken). Dates
    more than :data:`AS_OF_OUTLIER_DAYS` days after the 99.5th percentile of
    these are left out, so that a year typo (2062) never becomes the as-of
    date. None when the data holds no date. The result never depends on the
    day the diagnosis is run.
    """
    spec = data.config.tables.get("accounts")
    if spec is not None and spec.snapshot_date:
        return pd.Timestamp(spec.snapshot_date).normalize()
    r, inv, acc = data.responses, data.invitations, data.accounts
    parts = [_dates_ns(r[c]) for c in ("responded_at", "invited_at", "followed_up_at") if c in r]
    if inv is not None and "invited_at" in inv:
        parts.append(_dates_ns(inv["invited_at"]))
    if acc is not None and "outcome_at" in acc and "churned" in acc:
        churned = acc["churned"].fillna(False).to_numpy(dtype=bool)
        parts.append(_dates_ns(acc["outcome_at"][churned]))
    t = np.concatenate(parts) if parts else np.zeros(0, dtype="int64")
    if not len(t):
        return None
    cut = float(np.quantile(t, 0.995)) + pd.Timedelta(days=AS_OF_OUTLIER_DAYS).value
    return pd.Timestamp(int(t[t <= cut].max())).normalize()


def known_outcomes(accounts: pd.DataFrame | None, as_of: pd.Timestamp | None, problems: list | None = None,
                   config: Config | None = None) -> pd.DataFrame | None:
    """The accounts with ``churned`` missing where their outcome is not known by the as-of date.

    An account churned when its data says so by ``as_of`` (a churn dated
    after it is not known then), and was retained when it did not churn and
    its renewal date (``outcome_at``) has passed by ``as_of``; an account that
    has not churned and has no renewal date, or one after ``as_of``, has no
    known outcome yet: counting it as retained would flatter every churn
    statistic. Without ``outcome_at`` the churn flag is taken as the export
    states it. A note says how many accounts are left out.

    Examples
    --------
    >>> a = pd.DataFrame({"account_id": ["a", "b", "c", "d"], "churned": [True, False, False, True],
    ...                   "outcome_at": pd.to_datetime(["2025-03-01", "2025-06-01", "2026-02-01", "2026-03-01"])})
    >>> known_outcomes(a, pd.Timestamp("2025-12-31"))["churned"].tolist()
    [True, False, <NA>, <NA>]
    """
    if accounts is None or as_of is None or "churned" not in accounts or "outcome_at" not in accounts:
        return accounts
    after = (accounts["outcome_at"] >= as_of + pd.Timedelta(days=1)).fillna(False).to_numpy(dtype=bool)
    retained = (accounts["churned"] == False).fillna(False).to_numpy(dtype=bool)  # noqa: E712 - nullable
    unknown = after | (retained & accounts["outcome_at"].isna().to_numpy())
    if not unknown.any():
        return accounts
    out = accounts.copy()
    out["churned"] = out["churned"].astype("boolean")
    out.loc[unknown, "churned"] = pd.NA
    if problems is not None:
        from .errors import Problem

        spec = config.tables.get("accounts") if config is not None else None
        problems.append(Problem(
            f"{int(unknown.sum())} account(s) have no known outcome as of {as_of:%Y-%m-%d} (no renewal or churn "
            "date by then): they are left out of the churn analyses rather than counted as retained",
            fatal=False, file=str(spec.path) if spec is not None else None, where="accounts.columns.outcome_at",
            hint="set accounts.snapshot_date to the day the CRM export was taken if that is not it"))
    return out


def _period_mask(dates: pd.Series, period) -> np.ndarray:
    start, end = pd.Timestamp(period[0]), pd.Timestamp(period[1]) + pd.Timedelta(days=1)
    return ((dates >= start) & (dates < end)).fillna(False).to_numpy(dtype=bool)


def in_period(table: pd.DataFrame | None, column: str, period) -> pd.DataFrame | None:
    """The rows of ``table`` dated (``column``) within ``settings.period`` (all of them when no period is set).

    Rows without a date are left out when a period is set: they cannot be placed in it.
    """
    if table is None or not period or column not in table:
        return table
    keep = _period_mask(table[column], period)
    return table if keep.all() else table.loc[keep].reset_index(drop=True)


def _reason_labels(code: np.ndarray) -> pd.Series:
    """The reason key of each row (missing where analysed) from its code (0 analysed, k the k-th reason)."""
    labels = pc.take(pa.array([None, *REASONS], pa.large_string()), pa.array(code))
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([labels])).astype("str"), copy=False)


def _lineage(code: np.ndarray) -> pd.DataFrame:
    """Rows read, excluded per reason (those that occurred), analysed; with their share of the rows read."""
    n = len(code)
    counts = np.bincount(code, minlength=len(REASONS) + 1)
    steps = [("rows read", n)]
    steps += [(f"excluded: {label}", int(counts[i])) for i, label in enumerate(REASONS.values(), start=1)
              if counts[i]]
    steps.append(("rows analysed", int(counts[0])))
    lineage = pd.DataFrame(steps, columns=["step", "rows"])
    lineage["share"] = lineage["rows"] / max(n, 1)
    return lineage


def _no_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame of ``frame``'s columns and dtypes with no row, holding none of its memory (a slice would)."""
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in frame.dtypes.items()}, index=pd.RangeIndex(0),
                        columns=frame.columns)


def _divide(work: pd.DataFrame, keep: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the rows of ``work`` at ``keep``, the others), each in order with a new index.

    Column by column, each column is dropped from ``work`` once divided: when
    ``work`` holds the only reference to the rows read, each is released as
    soon as it is divided, so that a large export is never held twice. Each
    column is divided with the boolean masks (pyarrow's filter copies runs of
    rows, about twice as fast as taking them one by one).
    """
    if keep.all():
        return work.reset_index(drop=True), _no_rows(work)
    if not keep.any():
        return _no_rows(work), work.reset_index(drop=True)
    drop = ~keep
    columns = list(work.columns)
    parts: tuple[dict, dict] = ({}, {})
    for c in columns:
        arr = work[c].array
        parts[0][c] = arr[keep]
        parts[1][c] = arr[drop]
        del arr, work[c]
    return (pd.DataFrame(parts[0], index=pd.RangeIndex(int(keep.sum())), columns=columns, copy=False),
            pd.DataFrame(parts[1], index=pd.RangeIndex(int(drop.sum())), columns=columns, copy=False))


def _subset_codes(codes: np.ndarray, uniques: pd.Index, rows: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """What :func:`pandas.factorize` gives for the ``rows`` (boolean) of a column, from the column's codes."""
    sub = codes[rows]
    valid = sub >= 0
    dense, first = pd.factorize(sub[valid])  # integers: in order of first appearance, as factorize numbers them
    out = np.full(len(sub), -1, dtype=codes.dtype)
    out[valid] = dense
    return out, uniques.take(first)


# --------------------------------------------------------------------------- the exclusion rules


@dataclass
class _Rows:
    """The rows read, what the exclusion rules need, and each row's reason so far.

    ``code[i]`` is 0 while row ``i`` is analysed, ``k`` once excluded for the k-th reason of :data:`REASONS`.
    """

    r: pd.DataFrame
    settings: Settings
    as_of: pd.Timestamp | None
    respondent_codes: tuple[np.ndarray, pd.Index] | None = None
    #: a flat export: the accounts table is read from the responses' file (a row per account)
    flat: bool = False
    #: duplicates are told by the response id the config maps (else by whole rows of the export)
    by_id: bool = False
    code: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.code = np.zeros(len(self.r), dtype=np.int8)

    @cached_property
    def score_text(self) -> np.ndarray:
        """Where a score was written that is not a number."""
        r = self.r
        return _as_bool(r["score_text"].notna()) if "score_text" in r else np.zeros(len(r), dtype=bool)


Mask = pd.Series | np.ndarray


def _as_bool(mask: Mask) -> np.ndarray:
    if isinstance(mask, pd.Series):
        return mask.fillna(False).to_numpy(dtype=bool)
    return np.asarray(mask, dtype=bool)


def _not_surveyed(rows: _Rows) -> Mask | None:
    """In a flat export, the accounts with no score and no comment: not surveyed (not responses missing a score)."""
    if not rows.flat:
        return None
    r = rows.r
    silent = _as_bool(r["score"].isna()) & ~rows.score_text
    if "comment" in r:
        silent &= _as_bool(r["comment"].isna())
    return silent


def _missing_score(rows: _Rows) -> Mask:
    return _as_bool(rows.r["score"].isna()) & ~rows.score_text


def _invalid_score(rows: _Rows) -> Mask:
    return rows.score_text


def _out_of_range(rows: _Rows) -> Mask:
    lo, hi = rows.settings.scale
    return (rows.r["score"] < lo) | (rows.r["score"] > hi)


def _missing_date(rows: _Rows) -> Mask:
    return rows.r["responded_at"].isna()


def _test_response(rows: _Rows) -> Mask:
    """A survey tool's test or preview status, an unfinished response, a respondent id that is a test address
    (:func:`is_test_id`) or a comment that is nothing but a test marker (:func:`is_test_comment`)."""
    r = rows.r
    test = np.zeros(len(r), dtype=bool)
    if "status" in r:
        test |= _as_bool(r["status"].str.strip().str.lower().isin(TEST_STATUSES))
    if "finished" in r:
        test |= _as_bool(r["finished"] == False)  # noqa: E712 - nullable boolean
    if "respondent_id" in r:
        test |= is_test_id(r["respondent_id"]).to_numpy()
    if "comment" in r:
        test |= is_test_comment(r["comment"]).to_numpy()
    return test


def _future_date(rows: _Rows) -> Mask | None:
    if rows.as_of is None:
        return None
    return rows.r["responded_at"] >= rows.as_of + pd.Timedelta(days=1)


def _before_invitation(rows: _Rows) -> Mask | None:
    r = rows.r
    return r["responded_at"] < r["invited_at"] if "invited_at" in r else None


def _duplicate(rows: _Rows) -> Mask | None:
    """Rows repeating an earlier one's response id or, without ids, copying an earlier row of the export in every
    column (:func:`npsdiag.io.copies.copy_of`); None when neither can be told."""
    r = rows.r
    if rows.by_id:
        return r["response_id"].notna() & r["response_id"].duplicated(keep="first")
    if COPY_OF in r:
        return r[COPY_OF].notna()
    return None


def _repeat_respondent(rows: _Rows) -> Mask | None:
    if rows.respondent_codes is None:
        return None
    return _repeats(rows.r, rows.code == 0, rows.settings.repeat_window_days, codes=rows.respondent_codes[0])


def _outside_period(rows: _Rows) -> Mask | None:
    if not rows.settings.period:
        return None
    return ~_period_mask(rows.r["responded_at"], rows.settings.period)


#: The rule of each reason of :data:`REASONS`: the rows it excludes (None when it does not apply).
_RULES: dict[str, Callable[[_Rows], Mask | None]] = {
    "not_surveyed": _not_surveyed, "missing_score": _missing_score, "invalid_score": _invalid_score,
    "out_of_range": _out_of_range, "missing_date": _missing_date, "test_response": _test_response,
    "future_date": _future_date, "before_invitation": _before_invitation, "outside_period": _outside_period,
    "duplicate": _duplicate, "repeat_respondent": _repeat_respondent,
}


def _reasons(rows: _Rows) -> np.ndarray:
    """Each row's code (0 analysed, k the k-th reason): the rules applied in the order of :data:`REASONS`,
    each to the rows no earlier rule excluded."""
    for k, key in enumerate(REASONS, start=1):
        mask = _RULES[key](rows)
        if mask is not None:
            rows.code[_as_bool(mask) & (rows.code == 0)] = k
    return rows.code


#: Words that mark a test when they are a whole comment, or the whole local part of a respondent's address (with
#: digits or a ``+tag``): ``test``, ``Testing``, ``test@x.com``, ``qa+3@x.com``, ``dummy2``.
TEST_WORDS = ("test", "tests", "testing", "ignore", "dummy", "qa")
_WORD = r"(?:test|tests|testing|ignore|dummy)"
#: A comment that is a test marker and nothing else: a test word or a short test phrase, optionally numbered, with
#: closing punctuation ("test", "Testing 123", "please ignore", "this is a test."); a real comment that only
#: contains such a word ("Ignored.", "Testing the new release was painful") is not one.
_TEST_COMMENT = (r"(?i)\s*(?:(?:this is (?:a |just a |only a )|just |only a |a )?(?:test|testing)"
                 r"(?:[\s,]+(?:test|testing))*(?: (?:response|survey|entry|submission|only|please ignore))?"
                 r"|(?:please )?ignore(?: this| me)?(?: response| survey)?|dummy(?: (?:response|entry|data|text))?"
                 r"|" + _WORD + r")(?:[\s_#-]*\d+)?\s*[.!]*\s*")
#: A respondent id that is a test address or a test id: the whole id, or the local part of an address, is a test
#: word (or ``qa``) with digits or a ``+tag`` ("test@x.com", "qa+3@x.com", "TEST-2"); "tester.jones@bank.com"
#: and "testimonials@acme.com" are real people.
_TEST_ID = r"(?i)\s*(?:" + _WORD + r"|qa)(?:[._-]?\d+)?(?:\+[^@\s]*)?(?:@[^@\s]+)?\s*"
_TEST_COMMENT_FIRST = np.frombuffer(b"tTiIdDpPjJaAoO \t", dtype=np.uint8)  #: first bytes of the comment markers
_TEST_ID_FIRST = np.frombuffer(b"tTiIdDqQ \t", dtype=np.uint8)  #: first bytes of the id markers
_TEST_MAX_CHARS = 40  #: no test marker is longer


def is_test_comment(values: pd.Series) -> pd.Series:
    """True where a comment is a test marker and nothing else (``"test"``, ``"Testing 123"``, ``"please ignore"``).

    A comment that merely contains such a word ("Ignored.", "Testing the new release was painful") is a real
    customer's and is kept.

    Examples
    --------
    >>> is_test_comment(pd.Series(["test", "Please ignore.", "Ignored.", "Testing the app was slow", None])).tolist()
    [True, True, False, False, False]
    """
    return _marker(values, _TEST_COMMENT, _TEST_COMMENT_FIRST)


def is_test_id(values: pd.Series) -> pd.Series:
    """True where a respondent id is a test address or id: the whole id, or the local part of an address, is a test
    word (or ``qa``) with digits or a ``+tag`` (``test@x.com``, ``qa+3@x.com``, ``dummy2``).

    Examples
    --------
    >>> is_test_id(pd.Series(["test@x.com", "QA+3@x.com", "tester.jones@bank.com", "testimonials@acme.com"])).tolist()
    [True, True, False, False]
    """
    return _marker(values, _TEST_ID, _TEST_ID_FIRST)


def _marker(values: pd.Series, pattern: str, first_bytes: np.ndarray) -> pd.Series:
    """True where a value fully matches ``pattern``.

    Its first byte and its length rule most values out before any regex (millions of comments stay fast).
    """
    s = values.astype("string")
    out = pd.Series(False, index=values.index)
    first = _first_bytes(s)
    maybe = np.isin(first, first_bytes) | (first >= 0x80)
    if not maybe.any():
        return out
    sub = s[maybe]
    sub = sub[(sub.str.len() <= _TEST_MAX_CHARS).fillna(False).astype(bool).to_numpy()]
    if len(sub):
        hit = sub.str.fullmatch(pattern).fillna(False).astype(bool)
        out[hit.index[hit.to_numpy()]] = True
    return out


def _first_bytes(s: pd.Series) -> np.ndarray:
    """The first UTF-8 byte of each value (0 for missing or empty values; 0x80 when unknown)."""
    arr = s.array
    if not isinstance(arr, pd.arrays.ArrowStringArray):
        return np.full(len(s), 0x80, dtype=np.uint8)
    out = np.zeros(len(s), dtype=np.uint8)
    at = 0
    for chunk in arr.__arrow_array__().chunks:
        n = len(chunk)
        if n and pa.types.is_large_string(chunk.type):
            _, offsets, data = chunk.buffers()
            if data is not None:
                off = np.frombuffer(offsets, dtype=np.int64)[chunk.offset: chunk.offset + n + 1]
                filled = off[1:] > off[:-1]
                out[at: at + n][filled] = np.frombuffer(data, dtype=np.uint8)[off[:-1][filled]]
        elif n:
            out[at: at + n] = 0x80
        at += n
    return out


def _repeats(r: pd.DataFrame, reason: pd.Series | np.ndarray, window_days: float,
             codes: np.ndarray | None = None) -> pd.Series:
    """Responses of a respondent less than ``window_days`` after their previous kept response.

    ``reason`` is the exclusion reason so far (missing: still analysed) or
    a boolean array, true for the rows still analysed. ``codes``: the
    respondent ids' :func:`pandas.factorize` codes, when already computed.

    Walks each respondent's responses in date order keeping a response only
    when it is at least the window after the last kept one (ties in time: the
    first in file order is kept).

    Notes
    -----
    Vectorised over respondents: the walk advances every respondent with
    repeats by one kept response per pass, so the number of passes is the
    longest chain of kept responses of one respondent (at most the period
    divided by the window, plus one), each pass a numpy operation over the
    responses not yet decided. Respondents whose gaps are all at least the
    window never enter the walk.
    """
    free = reason.isna().to_numpy() if isinstance(reason, pd.Series) else np.asarray(reason, dtype=bool)
    ok = free & r["respondent_id"].notna().to_numpy() & r["responded_at"].notna().to_numpy()
    out = pd.Series(False, index=r.index)
    pos = np.flatnonzero(ok)
    if pos.size < 2:
        return out
    codes = (pd.factorize(r["respondent_id"])[0] if codes is None else codes)[pos]
    t = r["responded_at"].to_numpy(dtype="datetime64[ns]").view("i8")[pos]
    order = _order_by(codes, t)  # by respondent, then time, then file order (pos is increasing)
    codes, t, pos = codes[order], t[order], pos[order]
    w = int(pd.Timedelta(days=window_days).value)
    same = codes[1:] == codes[:-1]
    close = same & (np.diff(t) < w)
    if not close.any():
        return out
    # only respondents with at least one gap inside the window
    hit = np.zeros(int(codes.max()) + 1, dtype=bool)
    hit[codes[1:][close]] = True
    sel = hit[codes]
    codes, t, pos = codes[sel], t[sel], pos[sel]
    first = np.r_[True, codes[1:] != codes[:-1]]
    dense = np.cumsum(first) - 1  # 0..G-1 per respondent
    last = t[first].copy()  # time of each respondent's last kept response
    repeat = np.zeros(len(t), dtype=bool)
    rem = np.flatnonzero(~first)  # undecided, in (respondent, time) order
    while rem.size:
        g = dense[rem]
        inside = t[rem] - last[g] < w
        repeat[rem[inside]] = True
        rem = rem[~inside]
        if not rem.size:
            break
        g = dense[rem]
        head = np.r_[True, g[1:] != g[:-1]]  # each respondent's next kept response
        last[g[head]] = t[rem[head]]
        rem = rem[~head]
    out.iloc[pos[repeat]] = True
    return out


def _order_by(codes: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``np.lexsort((t, codes))``: by code, then time, ties in their order (a stable sort).

    ``codes`` non-negative integers, ``t`` int64 nanoseconds. When times are whole seconds (or the span is
    short enough) the two keys fit in one int64, sorted at once: about three times faster at a million rows.
    """
    if len(t):
        rel = t - t.min()
        unit = 10**9 if not (rel % 10**9).any() else 1
        span = int(rel.max()) // unit + 1
        if (int(codes.max()) + 1) * span < 2**62:
            return np.argsort(codes.astype(np.int64) * span + rel // unit, kind="stable")
    return np.lexsort((t, codes))
