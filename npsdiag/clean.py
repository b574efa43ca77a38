"""Which responses are analysed: exclusions and data lineage.

:func:`prepare` flags every response row that cannot be analysed, with one
reason per row (the first that applies, in the order of :data:`REASONS`),
and returns the analysed responses with their NPS category beside a lineage
table: rows read -> rows excluded per reason -> rows analysed. Nothing is
dropped silently; the reliability area reports every reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .io import ROW, ClientData
from .metrics import categorize

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
    """
    s = data.settings
    now = pd.Timestamp.now() if now is None else pd.Timestamp(now)
    r = data.responses
    reason = pd.Series(pd.NA, index=r.index, dtype="string")

    def mark(mask: pd.Series | np.ndarray, key: str) -> None:
        m = pd.Series(mask, index=r.index).fillna(False).astype(bool) & reason.isna()
        reason[m] = key

    has_text = r["score_text"].notna() if "score_text" in r else pd.Series(False, index=r.index)
    mark(r["score"].isna() & ~has_text, "missing_score")
    mark(has_text, "invalid_score")
    lo, hi = s.scale
    mark((r["score"] < lo) | (r["score"] > hi), "out_of_range")
    mark(r["responded_at"].isna(), "missing_date")
    test = pd.Series(False, index=r.index)
    if "status" in r:
        test |= r["status"].str.strip().str.lower().isin(TEST_STATUSES).fillna(False).astype(bool)
    if "finished" in r:
        test |= (r["finished"] == False).fillna(False).astype(bool)  # noqa: E712 - nullable boolean
    for col in ("respondent_id", "comment"):
        if col in r:
            test |= _test_marker(r[col])
    mark(test, "test_response")
    mark(r["responded_at"] > now, "future_date")
    if "invited_at" in r:
        mark(r["responded_at"] < r["invited_at"], "before_invitation")
    if "response_id" in r and r["response_id"].notna().any():
        dup = r["response_id"].notna() & r["response_id"].duplicated(keep="first")
    else:
        cols = [c for c in r.columns if c != ROW and not c.endswith("_unreadable")]
        dup = r.duplicated(subset=cols, keep="first")
    mark(dup & reason.isna(), "duplicate")
    if "respondent_id" in r and s.repeat_window_days > 0:
        mark(_repeats(r, reason, s.repeat_window_days), "repeat_respondent")
    if s.period:
        start, end = pd.Timestamp(s.period[0]), pd.Timestamp(s.period[1]) + pd.Timedelta(days=1)
        mark((r["responded_at"] < start) | (r["responded_at"] >= end), "outside_period")

    keep = reason.isna()
    analysed = r.loc[keep].copy()
    analysed["category"] = categorize(analysed["score"], s.breaks)
    flags = pd.DataFrame({ROW: r[ROW].to_numpy(), "reason": reason.to_numpy()})
    counts = reason.value_counts()
    steps = [("rows read", len(r))]
    steps += [(f"excluded: {label}", int(counts.get(key, 0))) for key, label in REASONS.items()
              if counts.get(key, 0)]
    steps.append(("rows analysed", int(keep.sum())))
    lineage = pd.DataFrame(steps, columns=["step", "rows"])
    lineage["share"] = lineage["rows"] / max(len(r), 1)
    return Prepared(data=data, responses=analysed.reset_index(drop=True), flags=flags, lineage=lineage, now=now)


def _test_marker(values: pd.Series) -> pd.Series:
    """True where a respondent id or comment is a test marker (``test``, ``test@x.com``, ``dummy1``...).

    A cheap case-insensitive prefix match selects the few candidates; the
    full pattern is checked only on those (millions of comments stay fast).
    """
    s = values.astype("string")
    cand = s.str.match(_TEST_PREFIX).fillna(False).astype(bool)
    out = pd.Series(False, index=values.index)
    if cand.any():
        sub = s[cand].str.lower().str.fullmatch(_TEST_PATTERN).fillna(False).astype(bool)
        out[sub.index[sub.to_numpy()]] = True
    return out


_TEST_PREFIX = r"(?i)(?:test|ignore|dummy)"
_TEST_PATTERN = r"(?:test|testing|ignore|dummy)[\w.+-]*(?:@.*)?"


def _repeats(r: pd.DataFrame, reason: pd.Series, window_days: float) -> pd.Series:
    """Responses of a respondent less than ``window_days`` after their previous kept response.

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
    ok = (reason.isna() & r["respondent_id"].notna() & r["responded_at"].notna()).to_numpy()
    out = pd.Series(False, index=r.index)
    pos = np.flatnonzero(ok)
    if pos.size < 2:
        return out
    codes = pd.factorize(r["respondent_id"])[0][pos]
    t = r["responded_at"].to_numpy(dtype="datetime64[ns]").view("i8")[pos]
    order = np.lexsort((pos, t, codes))  # by respondent, then time, then file order
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
