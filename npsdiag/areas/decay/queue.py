"""The callback queue: detractors waiting for a follow-up, for the front line.

:func:`callback_queue` lists the detractors who have not been followed up
(or were followed up after the SLA), one row per respondent (their latest
detractor response), prioritised by ARR and recency. It is the front line's
to-do list, so every row says who to call with every identifier the export
has (respondent, response id, account id and name) and always the row of the
response in the export (``source_row``); identifiers are never redacted (a
long numeric user id that happens to pass the card check is an id, not a
card). A run writes it as ``callback_queue.csv`` beside the report
(:func:`npsdiag.outputs.write_outputs`)::

    from npsdiag.outputs import write_csv_safely
    write_csv_safely(callback_queue(prep), report_dir / "callback_queue.csv")
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...clean import Prepared
from ...io import ROW
from ...linking import account_rows, data_end_date
from ...redact import redact_text
from .followup import follow_up_latency

__all__ = ["CALLBACK_COLUMNS", "IDENTIFIER_COLUMNS", "MISSING_TEXT", "HALF_LIFE_DAYS", "callback_queue",
           "blank_missing_text"]

#: Columns of the callback queue, in order (a stable contract: the CSV always has them all).
CALLBACK_COLUMNS = ("priority", "status", "account_id", "account_name", "respondent", "response_id", "source_row",
                    "role", "owner", "score", "responded_at", "followed_up_at", "days_waiting", "arr",
                    "priority_score", "comment")
#: The columns that say who to call, best first: never redacted; ``source_row`` is always filled.
IDENTIFIER_COLUMNS = ("respondent", "response_id", "account_id", "account_name", "source_row")
#: Text that stands for a missing value in exports (R's ``NA``, Excel's ``#N/A``...), compared lower-cased and trimmed.
MISSING_TEXT = frozenset({"", "na", "n/a", "n.a.", "n.a", "#n/a", "nan", "null", "<na>"})
#: The ARR of a waiting detractor counts half after this many days (the feedback goes stale).
HALF_LIFE_DAYS: float = 90
_STATUS_LABEL = {"never": "not followed up", "open": "not followed up (within SLA)", "late": "followed up late",
                 "unknown": "follow-up not recorded"}
_STATUS_RANK = {"never": 0, "open": 0, "unknown": 1, "late": 2}


def callback_queue(
    prep: Prepared,
    exclude_churned: bool = True,
    half_life_days: float = HALF_LIFE_DAYS,
    include_late: bool = True,
) -> pd.DataFrame:
    """Detractors to call back, most urgent first.

    Parameters
    ----------
    prep : Prepared
        The client's data after :func:`npsdiag.clean.prepare`.
    exclude_churned : bool
        Leave out accounts already marked churned (default True).
    half_life_days : float
        Recency weight: a detractor's ARR counts half after this many days of
        waiting.
    include_late : bool
        Also list detractors followed up after the SLA (after all those not
        followed up at all).

    Returns
    -------
    DataFrame
        Columns :data:`CALLBACK_COLUMNS` (always all, empty when unknown):
        ``priority`` (1 = call first), ``status`` (not followed up / not
        followed up (within SLA) / followed up late / follow-up not recorded),
        ``account_id``, ``account_name``, ``respondent``, ``role``, ``owner``,
        ``score``, ``responded_at``, ``followed_up_at``, ``days_waiting``
        (days from the response to the follow-up, or to the end of the data
        when none), ``arr``, ``priority_score`` and ``comment``, with
        ``response_id`` and ``source_row`` (the response's row in the
        responses export, counting the header as 1) after ``respondent``:
        every row has at least its ``source_row``. Comments are redacted
        (:func:`npsdiag.redact.redact_text`) when ``settings.redact_pii`` is
        set; the identifiers (:data:`IDENTIFIER_COLUMNS`) never are. Text
        that stands for a missing value (``NA``, ``N/A``...,
        :data:`MISSING_TEXT`) is left empty.

    Notes
    -----
    One row per respondent: their latest detractor response. Ordering: not
    followed up first (then follow-up not recorded, then followed up late),
    and within each, by ``priority_score = ARR * 0.5 ** (age / half_life_days)``
    where age is the days since the response at the end of the data: the
    revenue at stake, discounted as the feedback goes stale. An unknown ARR
    counts as the median ARR of the queue (or 1 when no ARR is known, so that
    recency alone orders the queue).

    Examples
    --------
    >>> from npsdiag.io import from_frames
    >>> from npsdiag.clean import prepare
    >>> r = pd.DataFrame({"score": [2, 9], "responded_at": ["2024-01-02", "2024-02-20"],
    ...                   "followed_up_at": [None, None]})
    >>> q = callback_queue(prepare(from_frames(r), as_of="2024-03-01"))
    >>> q[["priority", "status", "score"]].values.tolist()
    [[1, 'not followed up', 2]]
    """
    return _queue(prep, exclude_churned, half_life_days, include_late)


def _queue(prep: Prepared, exclude_churned: bool, half_life_days: float, include_late: bool) -> pd.DataFrame:
    """The body of :func:`callback_queue` (same arguments)."""
    fu = _waiting(prep, include_late)
    if fu is not None:
        fu = _with_accounts(prep, fu, exclude_churned)
    if fu is None or fu.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in CALLBACK_COLUMNS})
    out = _ranked(prep.responses, fu, half_life_days)
    out["days_waiting"] = pd.array(out["days_waiting"].to_numpy(), dtype="Float64").astype("Int64")
    sc = out["score"]
    if sc.notna().any() and bool(((sc.dropna() % 1) == 0).all()):
        out["score"] = pd.array(sc.to_numpy(), dtype="Float64").astype("Int64")
    for c in ("account_id", "account_name", "respondent", "response_id", "role", "owner", "comment"):
        out[c] = blank_missing_text(out[c])
    if prep.settings.redact_pii:  # the comment only: an identifier is what the front line calls back
        out["comment"] = redact_text(out["comment"].astype("string"))
    return out[list(CALLBACK_COLUMNS)]


def blank_missing_text(values: pd.Series) -> pd.Series:
    """``values`` with text that stands for a missing value (:data:`MISSING_TEXT`: ``NA``, ``N/A``...) missing.

    Text columns (object or string) come back as ``string``; other columns
    (numbers, dates) as they are. Vectorised (Arrow string kernels).

    Examples
    --------
    >>> blank_missing_text(pd.Series(["too slow", "NA", " n/a ", None, "#N/A", "Nathan"])).tolist()
    ['too slow', <NA>, <NA>, <NA>, <NA>, 'Nathan']
    """
    if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
        return values
    text = values.astype("string")
    marker = text.str.strip().str.lower().isin(MISSING_TEXT).fillna(False).to_numpy(dtype=bool)
    return text.mask(marker) if marker.any() else text


def _waiting(prep: Prepared, include_late: bool) -> pd.DataFrame | None:
    """The detractors waiting for a follow-up (the latest per respondent), narrow; None when there is none.

    Columns: ``responded_at``, ``followed_up_at`` (when recorded), ``_pos``
    (row in ``prep.responses``), ``_resp`` (respondent code), ``latency_days``,
    ``age_days`` and ``_status`` (never, open, late, or unknown when no
    follow-up date is recorded); the text columns are fetched later for the
    rows that make the queue.
    """
    r = prep.responses
    if r.empty or "category" not in r:
        return None
    is_det = np.asarray((r["category"] == "detractor").to_numpy(dtype=bool, na_value=False), dtype=bool)
    if not is_det.any():
        return None
    end = data_end_date(prep)
    if end is None:
        return None
    pos = np.flatnonzero(is_det)
    det = pd.DataFrame({"responded_at": r["responded_at"].to_numpy()[pos], "_pos": pos})
    if "followed_up_at" in r:
        det["followed_up_at"] = r["followed_up_at"].to_numpy()[pos]
    has_resp = "respondent_id" in r
    if has_resp:  # a respondent written "NA" is no respondent: those rows are not one person's answers
        codes, uniq = prep.codes("respondent_id")
        named = np.append(blank_missing_text(pd.Series(uniq, dtype=object)).notna().to_numpy(dtype=bool), False)
        resp = np.asarray(codes)[pos]
        det["_resp"] = np.where(named[resp], resp, -1)
    if "followed_up_at" in det:
        fu = follow_up_latency(det, sla_days=float(prep.settings.follow_up_sla_days), end=end)
        wanted = ["never", "open"] + (["late"] if include_late else [])
        fu = fu[fu["follow_up_status"].isin(wanted)]
        status = fu["follow_up_status"].astype("string")
    else:
        fu = det.copy()
        fu["latency_days"] = np.nan
        fu["age_days"] = (end - fu["responded_at"]).dt.total_seconds() / 86400
        status = pd.Series("unknown", index=fu.index, dtype="string")
    fu = fu.assign(_status=status)
    if has_resp and (fu["_resp"] >= 0).any():
        has = fu["_resp"] >= 0
        latest = fu[has].sort_values("responded_at").drop_duplicates("_resp", keep="last")
        fu = pd.concat([latest, fu[~has]])
    return fu


def _with_accounts(prep: Prepared, fu: pd.DataFrame, exclude_churned: bool) -> pd.DataFrame:
    """``fu`` with its accounts' ``_name``, ``_arr`` and ``_churned`` (a left join), churned accounts left out."""
    r, acc = prep.responses, prep.accounts
    if acc is None or "account_id" not in acc or "account_id" not in r:
        return fu
    cols = ["account_id"] + [c for c in ("name", "revenue", "churned") if c in acc]
    # the accounts' first rows per id, and each response account's place among them (matched once, cached)
    a_rows, at_u = account_rows(prep)
    a = acc[cols].iloc[a_rows].reset_index(drop=True)
    rc = np.asarray(prep.codes("account_id")[0], dtype=np.intp)[fu["_pos"].to_numpy()]
    at = np.where(rc >= 0, at_u[np.maximum(rc, 0)] if len(at_u) else -1, -1)
    found = pd.Series(at >= 0, index=fu.index)
    for c, new in (("name", "_name"), ("revenue", "_arr"), ("churned", "_churned")):
        if c in a:  # a left join on the account id, as merge(how="left") gives it
            vals = (a[c].iloc[np.maximum(at, 0)] if len(a) else pd.Series([pd.NA] * len(at), dtype=a[c].dtype))
            fu[new] = vals.set_axis(fu.index).where(found)
    if exclude_churned and "_churned" in fu:
        fu = fu[~pd.Series(fu["_churned"]).fillna(False).astype(bool).to_numpy()]
    return fu


def _ranked(r: pd.DataFrame, fu: pd.DataFrame, half_life_days: float) -> pd.DataFrame:
    """The queue's rows in priority order, with the responses' text columns at the queue's rows."""
    n = len(fu)
    rows = fu["_pos"].to_numpy(dtype="int64")

    def col(name: str) -> pd.Series:
        return fu[name].reset_index(drop=True) if name in fu else pd.Series([pd.NA] * n, dtype="object")

    def text(name: str) -> pd.Series:  # a column of the responses at the queue's rows
        return r[name].iloc[rows].reset_index(drop=True) if name in r else pd.Series([pd.NA] * n, dtype="object")

    age = col("age_days").astype(float)
    lat = col("latency_days").astype(float)
    st = col("_status").astype(str)
    arr = col("_arr").astype("Float64").astype(float)
    fill = float(np.nanmedian(arr)) if arr.notna().any() else 1.0
    weight = np.power(0.5, np.clip(age.to_numpy(), 0, None) / float(half_life_days))
    score = arr.fillna(fill).to_numpy() * weight
    out = pd.DataFrame({
        "status": st.map(_STATUS_LABEL),
        "account_id": text("account_id"),
        "account_name": col("_name"),
        "respondent": text("respondent_id"),
        "response_id": text("response_id"),
        "source_row": pd.array(r[ROW].to_numpy()[rows], dtype="Int64") if ROW in r else pd.array([pd.NA] * n,
                                                                                                dtype="Int64"),
        "role": text("role"),
        "owner": text("owner"),
        "score": text("score").astype(float),
        "responded_at": pd.to_datetime(col("responded_at")),
        "followed_up_at": pd.to_datetime(col("followed_up_at")),
        "days_waiting": np.floor(np.where(st == "late", lat, age)),
        "arr": arr,
        "priority_score": np.round(score, 2),
        "_pos": rows,
        "_rank": st.map(_STATUS_RANK).to_numpy(),
    })
    out = out.sort_values(["_rank", "priority_score", "responded_at"], ascending=[True, False, False],
                          kind="mergesort").drop(columns="_rank").reset_index(drop=True)
    pos = out.pop("_pos").to_numpy(dtype="int64")
    out["comment"] = (r["comment"].iloc[pos].reset_index(drop=True) if "comment" in r
                      else pd.Series([pd.NA] * len(out), dtype="object"))
    out.insert(0, "priority", np.arange(1, len(out) + 1))
    return out
