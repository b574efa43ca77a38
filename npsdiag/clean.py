"""Which responses are analysed: exclusions and data lineage.

:func:`prepare` flags every response row that cannot be analysed, with one
reason per row (the first that applies, in the order of :data:`REASONS`),
and returns the analysed responses with their NPS category beside a lineage
table: rows read -> rows excluded per reason -> rows analysed. Nothing is
dropped silently; the reliability area reports every reason.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .io import ROW, ClientData
from .stats.nps import categorize

__all__ = ["REASONS", "Prepared", "prepare"]

#: Exclusion reasons, in the order they are checked, with their plain-language label.
REASONS: dict[str, str] = {
    "missing_score": "score missing",
    "invalid_score": "score not a number",
    "out_of_range": "score outside the scale",
    "missing_date": "response date missing or unreadable",
    "test_response": "test, preview or unfinished response",
    "future_date": "dated in the future",
    "before_invitation": "dated before its invitation",
    "duplicate": "exact duplicate of another response",
    "repeat_respondent": "same respondent again inside the cool-off window",
    "outside_period": "outside the analysis period",
}
#: Survey-tool statuses that mark a response that is not a real customer's.
TEST_STATUSES = {"survey preview", "preview", "survey test", "test", "spam", "imported? test",
                 "1", "2", "8", "16"}  # Qualtrics numeric codes: 1 preview, 2 test, 8 spam, 16 imported test


@dataclass
class Prepared:
    """Responses ready for analysis, and how they were chosen.

    Attributes
    ----------
    data : ClientData
        What was loaded (all rows).
    responses : DataFrame
        Analysed responses, with a ``category`` column (detractor / passive /
        promoter).
    flags : DataFrame
        One row per response row read: ``_row`` and ``reason`` (None when
        analysed).
    lineage : DataFrame
        ``step``, ``rows``: rows read, excluded per reason, analysed.
    """

    data: ClientData
    responses: pd.DataFrame
    flags: pd.DataFrame
    lineage: pd.DataFrame
    now: pd.Timestamp = field(default_factory=pd.Timestamp.now)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)
    _codes: dict = field(default_factory=dict, repr=False, compare=False)

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

    def cached(self, key: tuple, compute):
        """``compute()`` once per prepared data set; later calls with the same key return the stored result.

        For intermediate results that several areas need (e.g. responses
        matched to invitations), so that a large export computes them once.
        :mod:`npsdiag.linking` is the one module that keys it. The result is
        shared: callers must not modify it in place.
        """
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def codes(self, column: str, table: str = "responses") -> tuple[np.ndarray, pd.Index]:
        """Integer codes of a column of the analysed responses (or of ``data.<table>``), computed once.

        Returns ``(codes, uniques)`` as :func:`pandas.factorize` does (-1 for
        missing values). Grouping, counting (``np.bincount``) and matching on
        these codes is many times faster than on the strings of a large
        export.
        """
        key = (table, column)
        if key not in self._codes:
            frame = self.responses if table == "responses" else getattr(self.data, table)
            self._codes[key] = pd.factorize(frame[column])
        return self._codes[key]

    def has_codes(self, column: str, table: str = "responses") -> bool:
        """Whether :meth:`codes` of this column are computed already."""
        return (table, column) in self._codes

    def codes_known(self, column: str, table: str, value: tuple[np.ndarray, pd.Index]) -> None:
        """Record :meth:`codes` of a column computed in another pass (as ``pandas.factorize`` gives them)."""
        self._codes[table, column] = value

    @property
    def config(self):
        return self.data.config

    @property
    def settings(self):
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
    def excluded(self) -> pd.DataFrame:
        """The excluded rows as read (every column of ``data.responses``), in file order, with their ``reason``.

        Cheaper than filtering ``data.responses`` on a large export: it does not assemble the rows read.
        """
        parts = self.data.__dict__.get("_parts")
        reason = self.flags["reason"]
        if parts is not None and self.data.__dict__.get("_responses") is None and len(parts.parts) == 2:
            out = parts.parts[1][parts.columns].copy(deep=False)
        else:
            out = self.data.responses.loc[reason.notna().to_numpy()].reset_index(drop=True)
        out["reason"] = reason.dropna().to_numpy()
        return out

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


def prepare(data: ClientData, now: pd.Timestamp | None = None) -> Prepared:
    """Flag the response rows that cannot be analysed and keep the rest.

    Parameters
    ----------
    data : ClientData
        A loaded client export (:func:`npsdiag.io.load`).
    now : Timestamp, optional
        The run's "today" for future-date checks (default: now).

    Returns
    -------
    Prepared

    Notes
    -----
    A response is excluded for the first reason that applies, in the order
    of :data:`REASONS`. Exact duplicates are rows with the same response id
    (or, without ids, identical in every mapped field); the first is kept.
    A repeat respondent is one answering again less than
    ``settings.repeat_window_days`` after their previous analysed response:
    the earlier answer is kept, as survey tools' cool-off rules intend.

    The rows read are then held once, as the analysed rows (``prep.responses``) plus the excluded
    ones: ``prep.data.responses`` (and ``data.responses``) assembles an equal frame on each access
    (a fraction of a second at a million rows). Use ``len(prep.flags)`` for the number of rows read
    and ``prep.data.response_columns`` for its columns.
    """
    s = data.settings
    now = pd.Timestamp.now() if now is None else pd.Timestamp(now)
    r = data.responses
    keys = list(REASONS)
    code = np.zeros(len(r), dtype=np.int8)  # 0: analysed so far; k: excluded for keys[k - 1]

    def as_bool(mask: pd.Series | np.ndarray) -> np.ndarray:
        if isinstance(mask, pd.Series):
            return mask.fillna(False).to_numpy(dtype=bool)
        return np.asarray(mask, dtype=bool)

    def mark(mask: pd.Series | np.ndarray, key: str) -> None:
        m = as_bool(mask) & (code == 0)
        code[m] = keys.index(key) + 1

    # the ids are hashed (pyarrow, which releases the GIL) on the other core while the masks are computed
    by_id = "response_id" in r and bool(r["response_id"].notna().any())
    by_respondent = "respondent_id" in r and s.repeat_window_days > 0
    # so are the ids the areas group and match on (prep.codes), so that none of them is hashed later
    inv = data.invitations
    inv_ids = inv is not None and "respondent_id" in inv and "respondent_id" in r
    by_account = "account_id" in r
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="npsdiag-prepare") as pool:
        dup_job = pool.submit(r["response_id"].duplicated, keep="first") if by_id else None
        codes_job = pool.submit(pd.factorize, r["respondent_id"]) if by_respondent else None
        account_job = pool.submit(pd.factorize, r["account_id"]) if by_account else None
        inv_job = pool.submit(pd.factorize, inv["respondent_id"]) if inv_ids else None
        try:
            has_text = as_bool(r["score_text"].notna()) if "score_text" in r else np.zeros(len(r), dtype=bool)
            mark(as_bool(r["score"].isna()) & ~has_text, "missing_score")
            mark(has_text, "invalid_score")
            lo, hi = s.scale
            mark((r["score"] < lo) | (r["score"] > hi), "out_of_range")
            mark(r["responded_at"].isna(), "missing_date")
            test = np.zeros(len(r), dtype=bool)
            if "status" in r:
                test |= as_bool(r["status"].str.strip().str.lower().isin(TEST_STATUSES))
            if "finished" in r:
                test |= as_bool(r["finished"] == False)  # noqa: E712 - nullable boolean
            for col in ("respondent_id", "comment"):
                if col in r:
                    test |= _test_marker(r[col]).to_numpy()
            mark(test, "test_response")
            mark(r["responded_at"] > now, "future_date")
            if "invited_at" in r:
                mark(r["responded_at"] < r["invited_at"], "before_invitation")
            if by_id:
                dup = r["response_id"].notna() & dup_job.result()
            else:
                cols = [c for c in r.columns if c != ROW and not c.endswith("_unreadable")]
                dup = r.duplicated(subset=cols, keep="first")
            mark(dup, "duplicate")
            respondent_codes = codes_job.result() if by_respondent else None
            account_codes = account_job.result() if by_account else None
            invitation_codes = inv_job.result() if inv_ids else None
        finally:  # nothing is left running when a mask fails
            pool.shutdown(wait=True, cancel_futures=True)
    if respondent_codes is not None:
        mark(_repeats(r, code == 0, s.repeat_window_days, codes=respondent_codes[0]), "repeat_respondent")
    if s.period:
        start, end = pd.Timestamp(s.period[0]), pd.Timestamp(s.period[1]) + pd.Timedelta(days=1)
        mark((r["responded_at"] < start) | (r["responded_at"] >= end), "outside_period")

    keep = code == 0
    labels = pc.take(pa.array([None, *keys], pa.large_string()), pa.array(code))
    reason = pd.arrays.ArrowStringArray(pa.chunked_array([labels])).astype("str")
    flags = pd.DataFrame({ROW: r[ROW].to_numpy(copy=True), "reason": reason})
    counts = np.bincount(code, minlength=len(keys) + 1)
    steps = [("rows read", len(r))]
    steps += [(f"excluded: {REASONS[key]}", int(counts[i + 1])) for i, key in enumerate(keys) if counts[i + 1]]
    steps.append(("rows analysed", int(keep.sum())))
    lineage = pd.DataFrame(steps, columns=["step", "rows"])
    lineage["share"] = lineage["rows"] / max(len(r), 1)
    if 0 < counts[0] < len(r):
        del r  # the split below frees each column of the rows read once it is divided
        responses = _split_responses(data, keep)
    else:
        # r[keep] is a new frame already (copy-on-write): no further copy is needed before adding a column
        responses = (r.loc[keep] if not keep.all() else r.copy(deep=False)).reset_index(drop=True)
    responses["category"] = categorize(responses["score"], s.breaks)
    prep = Prepared(data=data, responses=responses, flags=flags, lineage=lineage, now=now)
    if respondent_codes is not None:  # prep.codes("respondent_id") from the codes of every row, without hashing again
        prep.codes_known("respondent_id", "responses", _subset_codes(*respondent_codes, keep))
    if account_codes is not None:
        prep.codes_known("account_id", "responses", _subset_codes(*account_codes, keep))
    if invitation_codes is not None:  # prep.codes("respondent_id", "invitations"): the invitations are not filtered
        prep.codes_known("respondent_id", "invitations", invitation_codes)
    return prep


def _subset_codes(codes: np.ndarray, uniques: pd.Index, rows: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """What :func:`pandas.factorize` gives for the ``rows`` (boolean) of a column, from the column's codes."""
    sub = codes[rows]
    valid = sub >= 0
    dense, first = pd.factorize(sub[valid])  # integers: in order of first appearance, as factorize numbers them
    out = np.full(len(sub), -1, dtype=codes.dtype)
    out[valid] = dense
    return out, uniques.take(first)


def _split_responses(data: ClientData, keep: np.ndarray) -> pd.DataFrame:
    """The analysed rows of ``data.responses``; ``data`` then holds its rows as analysed + excluded parts.

    Column by column, each column of the rows read is released once divided, so that a large export is
    never held twice (see :meth:`~npsdiag.io.ClientData.keep_parts`); ``data.responses`` stays equal.
    Each column is divided with the boolean masks (pyarrow's filter copies runs of rows, about twice as
    fast as taking them one by one).
    """
    drop = ~keep
    kept, dropped = np.flatnonzero(keep), np.flatnonzero(drop)
    r = data.responses
    columns = list(r.columns)
    work = r.copy(deep=False)
    data.keep_parts([work], [np.arange(len(r))], columns)
    del r
    parts: tuple[dict, dict] = ({}, {})
    try:
        for c in columns:
            arr = work[c].array
            for part, mask in zip(parts, (keep, drop)):
                part[c] = arr[mask]
            del arr, work[c]
    except BaseException:  # put back what was divided: data.responses must stay whole
        inverse = np.argsort(np.r_[kept, dropped], kind="stable")
        for c in parts[1]:
            if c not in work:
                whole = pd.concat([pd.Series(parts[0][c], copy=False), pd.Series(parts[1][c], copy=False)],
                                  ignore_index=True)
                work[c] = whole.take(inverse).reset_index(drop=True)
        raise
    analysed = pd.DataFrame(parts[0], index=pd.RangeIndex(len(kept)), columns=columns, copy=False)
    excluded = pd.DataFrame(parts[1], index=pd.RangeIndex(len(dropped)), columns=columns, copy=False)
    data.keep_parts([analysed, excluded], [kept, dropped], columns)
    return analysed


def _test_marker(values: pd.Series) -> pd.Series:
    """True where a respondent id or comment is a test marker (``test``, ``test@x.com``, ``dummy1``...).

    A cheap case-insensitive prefix match selects the few candidates; the
    full pattern is checked only on those (millions of comments stay fast).
    """
    s = values.astype("string")
    out = pd.Series(False, index=values.index)
    first = _first_bytes(s)  # a first byte that cannot start a marker rules the value out before any regex
    maybe = np.isin(first, _TEST_FIRST) | (first >= 0x80)
    if not maybe.any():
        return out
    sub = s[maybe]
    cand = sub.str.match(_TEST_PREFIX).fillna(False).astype(bool)
    if cand.any():
        sub = sub[cand].str.lower().str.fullmatch(_TEST_PATTERN).fillna(False).astype(bool)
        out[sub.index[sub.to_numpy()]] = True
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


_TEST_PREFIX = r"(?i)(?:test|ignore|dummy)"
_TEST_FIRST = np.frombuffer(b"tTiIdD", dtype=np.uint8)  #: first bytes of the ASCII spellings of the prefixes
_TEST_PATTERN = r"(?:test|testing|ignore|dummy)[\w.+-]*(?:@.*)?"


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
