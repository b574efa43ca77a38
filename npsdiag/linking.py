"""Linking the client's tables: responses, accounts, invitations and contacts.

The one place that knows how the tables join. Where each response's account sits in the
accounts table (:func:`account_rows`, :func:`account_positions`), each
invitation's response (:func:`match_invitations`, :func:`responded_within`)
and the end of the data (:func:`data_end_date`). Results that several areas
need are computed once per prepared data set and kept on it; callers must
not modify them in place.

Ids are matched once per distinct value (thousands), never per row
(millions): a column's codes (``pandas.factorize``) index its distinct
values, and the distinct values of two tables are matched with a hash
lookup.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from .clean import Prepared
from .stats.nps import own_clusters

__all__ = ["remap", "counts", "positions", "first_rows", "accounts_table", "account_positions", "account_rows",
           "invitation_first_response", "match_invitations", "matched_invitations",
           "matched_frame", "responded_within", "invitations_matched_by", "data_end_date", "as_ns", "on_time_grid",
           "NAT", "RESPONSE_WINDOW_DAYS", "DECISION_PATTERN", "decision_roles", "decision_makers", "cluster_column",
           "cluster_frame",
           "before_outcome", "latest_response"]

#: An invitation counts as answered if a response follows within this many days.
RESPONSE_WINDOW_DAYS: float = 30
#: Missing datetimes as int64 nanoseconds.
NAT = np.iinfo("int64").min
#: Role names that mark a decision maker when ``settings.decision_roles`` is not given.
DECISION_PATTERN = re.compile(
    r"\b(?:exec\w*|decision|dm|vp|svp|evp|avp|vice[\s-]*president|director|c[\s-]*level|c[\s-]*suite|cxo|ceo|cfo|"
    r"cto|cio|coo|cmo|cro|ciso|cpo|chief|head|owner|founder|co-?founder|president|sponsor|buyer|"
    r"economic\s+buyer|gm|general\s+manager|managing\s+director|partner|principal)\b",
    re.IGNORECASE)


def _memo(prep: Prepared, key: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per prepared data set and key (the only place that keys ``prep.cached``)."""
    return prep.cached(key, compute)


def remap(codes: np.ndarray, mapping: np.ndarray) -> np.ndarray:
    """``mapping[codes]`` where codes >= 0, else -1.

    Examples
    --------
    >>> remap(np.array([0, -1, 1]), np.array([5, 7])).tolist()
    [5, -1, 7]
    """
    return np.append(np.asarray(mapping, dtype=np.intp), -1)[codes]


def counts(codes: np.ndarray, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Count (or sum ``weights``) per code 0..k-1; code -1 is left out.

    Examples
    --------
    >>> counts(np.array([0, 2, 2, -1]), 3).tolist()
    [1, 0, 2]
    """
    return np.bincount(np.asarray(codes) + 1, weights=weights, minlength=k + 1)[1:]


def positions(haystack, needles) -> np.ndarray:
    """Position of each of ``needles`` in ``haystack`` (its first occurrence; -1: absent or missing).

    Meant for the distinct ids of two tables (thousands, not millions of values); text ids are looked up
    with Arrow's hash lookup.
    """
    h = haystack if isinstance(haystack, pd.Index) else pd.Index(np.asarray(haystack, dtype=object))
    nd = needles if isinstance(needles, pd.Index) else pd.Index(np.asarray(needles, dtype=object))
    if not len(nd) or not len(h):
        return np.full(len(nd), -1, dtype=np.intp)
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        ha, na = pa.array(h.array, from_pandas=True), pa.array(nd.array, from_pandas=True)
        text = (pa.types.is_string(ha.type) or pa.types.is_large_string(ha.type)) and \
            (pa.types.is_string(na.type) or pa.types.is_large_string(na.type))
        if text:
            pos = pc.index_in(na.cast(ha.type), value_set=ha, skip_nulls=True)
            return np.asarray(pos.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.intp)
    except (ImportError, TypeError, ValueError, ArithmeticError, LookupError, NotImplementedError):
        pass
    except Exception:  # noqa: BLE001 - pyarrow errors: fall back to pandas
        pass
    if not h.is_unique:
        first = np.flatnonzero(~h.duplicated())
        return remap(h[first].get_indexer(nd), first)
    return np.asarray(h.get_indexer(nd), dtype=np.intp)


def first_rows(codes: np.ndarray, k: int, mask: np.ndarray | None = None) -> np.ndarray:
    """For each code 0..k-1, the first row holding it (among ``mask``), -1 if none."""
    rows = np.flatnonzero(codes >= 0 if mask is None else mask & (codes >= 0))
    first = np.full(k, -1, dtype=np.intp)
    first[codes[rows[::-1]]] = rows[::-1]  # later assignments win: the first row is written last
    return first


def account_rows(prep: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """Where the analysed responses' accounts are in ``prep.accounts`` (cached; decay and the callback queue share it).

    Returns ``(rows, at)``: ``rows`` are the positions in ``prep.accounts``
    of the first row of each account id (as ``accounts[accounts["account_id"]
    .notna()].drop_duplicates("account_id")`` keeps them, in table order) and
    ``at[c]`` is the position in ``rows`` of the account of response account
    code ``c`` (``prep.codes("account_id")``), -1 when the id is not in the
    accounts table. Ids are matched once per distinct id, on the cached codes.
    """
    def compute():
        a_codes, a_ids = prep.codes("account_id", "accounts")
        a_codes = np.asarray(a_codes, dtype=np.intp)
        first = first_rows(a_codes, len(a_ids))  # first row of each distinct id (ids appear in table order)
        rows = np.sort(first[first >= 0])
        rank = np.full(len(a_ids), -1, dtype=np.intp)
        rank[a_codes[rows]] = np.arange(len(rows))
        uniq = prep.codes("account_id")[1]
        pos = positions(pd.Index(a_ids), pd.Index(uniq)) if len(uniq) else np.zeros(0, dtype=np.intp)
        at = np.where(pos >= 0, rank[np.maximum(pos, 0)] if len(rank) else -1, -1)
        return rows, at

    return _memo(prep, ("account_rows",), compute)


def data_end_date(prep: Prepared) -> pd.Timestamp | None:
    """The end of the data: the latest response, follow-up or invitation date not after ``prep.as_of``.

    Used as "today" for right-censoring (open follow-ups, incomplete response
    windows) and for days waiting in the callback queue, so that an old export
    is analysed as of its own end.
    """
    return _memo(prep, ("data_end_date",), lambda: _data_end_date(prep))


def _data_end_date(prep: Prepared) -> pd.Timestamp | None:
    """The body of :func:`data_end_date`."""
    last = prep.as_of + pd.Timedelta(days=1) if prep.as_of is not None else None
    now = last.as_unit("ns").value - 1 if last is not None else np.iinfo("int64").max
    cands = []
    r, inv = prep.responses, prep.invitations
    cols = [r[c] for c in ("responded_at", "followed_up_at", "invited_at") if c in r]
    if inv is not None and "invited_at" in inv:
        cols.append(inv["invited_at"])
    for col in cols:
        v = as_ns(col)
        v = v[(v != NAT) & (v <= now)]
        if len(v):
            cands.append(int(v.max()))
    return pd.Timestamp(max(cands)) if cands else None


# --------------------------------------------------------------------------- invitations


def match_invitations(
    invitations: pd.DataFrame,
    responses: pd.DataFrame,
    window_days: float = RESPONSE_WINDOW_DAYS,
    invited: str = "invited_at",
    responded: str = "responded_at",
    respondent: str = "respondent_id",
    response_id: str = "response_id",
) -> pd.DataFrame | None:
    """Match each invitation to the response it led to.

    By ``response_id`` when the invitations carry it; otherwise by respondent
    (case-insensitive, trimmed) with the latest invitation at or before each
    response within ``window_days`` (``pandas.merge_asof``); each invitation
    is matched to at most one response (the first).

    Parameters
    ----------
    invitations, responses : DataFrame
    window_days : float
    invited, responded, respondent, response_id : str

    Returns
    -------
    DataFrame or None
        A copy of ``invitations`` with ``responded`` (bool),
        ``matched_responded_at`` and ``response_latency_days``; None when the
        two tables share no key to match on.

    Examples
    --------
    >>> inv = pd.DataFrame({"invited_at": pd.to_datetime(["2024-01-01", "2024-01-01"]),
    ...                     "respondent_id": ["A@x.com", "b@x.com"]})
    >>> res = pd.DataFrame({"responded_at": pd.to_datetime(["2024-01-03"]), "respondent_id": ["a@x.com"]})
    >>> match_invitations(inv, res)["responded"].tolist()
    [True, False]
    """
    core = _match_core(invitations, responses, invited, responded, respondent, response_id)
    if core is None:
        return None
    return matched_frame(invitations, core, window_days, invited)


def matched_invitations(prep: Prepared, window_days: float = RESPONSE_WINDOW_DAYS) -> pd.DataFrame | None:
    """:func:`match_invitations` of ``prep.invitations`` and ``prep.responses``, sharing the matching across areas.

    The window-independent part (each invitation's first response) is
    computed once per prepared data set (``prep.cached``) on the cached
    integer codes of the respondent ids; each call applies its own window.
    Returns the same frame as ``match_invitations(prep.invitations,
    prep.responses, window_days)``.
    """
    core = _invitation_core(prep)
    return None if core is None else matched_frame(prep.invitations, core, window_days, "invited_at")


def _invitation_core(prep: Prepared):
    """:func:`invitation_first_response` of ``prep``; None without dated invitations or when they cannot be matched."""
    inv = prep.invitations
    if inv is None or "invited_at" not in inv:
        return None
    return invitation_first_response(prep)


def responded_within(prep: Prepared, window_days: float = RESPONSE_WINDOW_DAYS) -> np.ndarray | None:
    """``matched_invitations(prep, window_days)["responded"]`` as a boolean array, without building the frame.

    None when the invitations cannot be matched (as :func:`matched_invitations`).
    """
    core = _invitation_core(prep)
    if core is None:
        return None
    inv = prep.invitations
    first, method = core
    responded = first != NAT
    if method == "respondent and date":
        t = as_ns(inv["invited_at"])
        both = responded & (t != NAT)
        responded[both & (first - np.where(both, t, 0) > pd.Timedelta(days=window_days).value)] = False
    return responded


def invitation_first_response(prep: Prepared, mask: np.ndarray | None = None):
    """The cached first response of every invitation of ``prep`` (or of the rows ``mask`` of the invitations)."""
    inv, r = prep.invitations, prep.responses

    def compute():
        keys = None
        if "respondent_id" in inv and "respondent_id" in r and not _by_response_id(inv, r, "response_id"):
            ik, rk = _respondent_keys(prep)
            keys = (ik if mask is None else ik[mask], rk)
        sub = inv if mask is None else inv[mask]
        return _match_core(sub, r, "invited_at", "responded_at", "respondent_id", "response_id", keys=keys)

    if mask is None:
        return _memo(prep, ("invitation_match",), compute)
    return compute()


def _by_response_id(invitations: pd.DataFrame, responses: pd.DataFrame, response_id: str) -> bool:
    """Whether invitations are matched to responses by response id (both tables carry some)."""
    return bool(response_id in invitations and response_id in responses and invitations[response_id].notna().any()
                and responses[response_id].notna().any())


def _respondent_keys(prep: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """Matching keys of the respondent ids of ``prep.invitations`` and ``prep.responses`` (cached; -1 = missing).

    Equal keys mean ids equal but for case and surrounding spaces. The
    invitations' ids and the responses' distinct ids are factorized in one
    pass, whose first part is exactly ``pd.factorize`` of the invitations'
    column (stored as ``prep.codes("respondent_id", "invitations")``, so it
    is never hashed twice); the distinct ids are normalised, and re-coded
    only when normalising changes one of them.
    """
    def compute():
        inv_col = prep.invitations["respondent_id"]
        rc, ru = prep.codes("respondent_id")
        rc = np.asarray(rc, dtype=np.intp)
        joint_pass = not prep.has_codes("respondent_id", "invitations") and inv_col.dtype == getattr(ru, "dtype", None)
        if not joint_pass:  # the invitations' codes exist already, or the two columns differ in type
            ic, iu = prep.codes("respondent_id", "invitations")
            ic = np.asarray(ic, dtype=np.intp)
            text = all(isinstance(getattr(u, "dtype", None), pd.StringDtype) for u in (iu, ru))
            uniq = pd.concat([pd.Series(iu, dtype=None if text else object),
                              pd.Series(ru, dtype=None if text else object)], ignore_index=True)
            ru_pos = len(iu) + np.arange(len(ru), dtype=np.intp)
        else:
            joint, uniq = pd.factorize(pd.concat([inv_col, pd.Series(ru, dtype=inv_col.dtype)], ignore_index=True))
            joint = np.asarray(joint, dtype=np.intp)
            ic, ru_pos = joint[:len(inv_col)], joint[len(inv_col):]
            k_inv = int(ic.max()) + 1 if len(ic) else 0  # first-appearance order: the invitations' ids come first
            prep.codes_known("respondent_id", "invitations", (ic, uniq[:k_inv]))
            uniq = pd.Series(uniq)
        text = isinstance(uniq.dtype, pd.StringDtype)
        norm = (uniq if text else uniq.astype(object)).astype("string").str.strip().str.lower()
        # distinct text ids that normalising leaves as they are stay distinct keys: no second hashing pass (other
        # types are re-coded on their text, where e.g. 1 and "1" are one key)
        same = joint_pass and text and bool((norm == uniq).fillna(False).all())
        nk = np.arange(len(uniq), dtype=np.intp) if same else np.asarray(pd.factorize(norm)[0], dtype=np.intp)
        ik = remap(ic, nk)
        rk = remap(rc, remap(ru_pos, nk))
        return ik, rk

    return _memo(prep, ("respondent_keys",), compute)


def _match_core(invitations: pd.DataFrame, responses: pd.DataFrame, invited: str, responded: str, respondent: str,
                response_id: str, codes: tuple | None = None,
                keys: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, str] | None:
    """Each invitation's matched response time, window-free: (int64 ns array, NaT = int64 min; method) or None.

    By response id: the first response (in table order) carrying the
    invitation's id. By respondent: every response goes to the latest
    invitation of its respondent at or before it; an invitation keeps its
    earliest such response. The response window is applied afterwards
    (:func:`_matched_frame`): the earliest response is the closest one, so
    it is within the window exactly when any is - the result of
    ``merge_asof(..., tolerance=window)`` then keeping each invitation's
    first response. Among invitations of one respondent at the very same
    time, the last one in table order is the match.
    """
    n_inv = len(invitations)
    by_id = (response_id in invitations and response_id in responses and invitations[response_id].notna().any()
             and responses[response_id].notna().any())
    if by_id:
        rr = responses[[response_id, responded]].dropna().drop_duplicates(response_id)
        pos = pd.Index(rr[response_id]).get_indexer(invitations[response_id])
        rt = as_ns(rr[responded])
        first = np.where(pos >= 0, rt[np.maximum(pos, 0)] if len(rt) else NAT, NAT).astype("int64")
        return first, "response id"
    if respondent not in invitations or respondent not in responses:
        return None
    if keys is not None:
        ik, rk = keys
    else:
        if codes is None:
            ic, iu = pd.factorize(invitations[respondent])
            rc, ru = pd.factorize(responses[respondent])
        else:
            ic, iu, rc, ru = codes
        # one key per respondent, case-insensitive and trimmed, normalised once per distinct id
        text = all(isinstance(getattr(u, "dtype", None), pd.StringDtype) for u in (iu, ru))  # Arrow: stays Arrow
        norm = pd.concat([pd.Series(iu, dtype=None if text else object),
                          pd.Series(ru, dtype=None if text else object)], ignore_index=True)
        nk, _ = pd.factorize(norm.astype("string").str.strip().str.lower())
        ik = np.where(ic >= 0, nk[:len(iu)][np.maximum(ic, 0)] if len(iu) else -1, -1)
        rk = np.where(rc >= 0, nk[len(iu):][np.maximum(rc, 0)] if len(ru) else -1, -1)
    rt = as_ns(responses[responded])
    latest = _latest_at_or_before(ik, as_ns(invitations[invited]), rk, rt)
    first = np.full(n_inv, np.iinfo("int64").max, dtype="int64")
    m = latest >= 0
    np.minimum.at(first, latest[m], rt[m])
    first[first == np.iinfo("int64").max] = NAT
    return first, "respondent and date"


def _time_unit(*offsets: np.ndarray) -> int:
    """The coarsest of day, minute, second, ms, us, ns dividing every (non-negative int64 ns) offset."""
    for u in (86_400 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3):
        if any((o[:256] % u).any() for o in offsets):  # a cheap look at the first values rules most units out
            continue
        if not any((o % u).any() for o in offsets):
            return u
    return 1


def on_time_grid(offsets: np.ndarray) -> np.ndarray:
    """Non-negative int64 ns offsets in units of their coarsest exact time unit (for counting, not hashing)."""
    return offsets // _time_unit(offsets)


def _latest_at_or_before(inv_key: np.ndarray, inv_t: np.ndarray, resp_key: np.ndarray,
                         resp_t: np.ndarray) -> np.ndarray:
    """For each response, the invitation row with the same key and the latest time at or before it (-1: none).

    ``pandas.merge_asof(direction="backward", by=key)`` on integer keys and
    int64 times (a single pass once both sides are in time order; an export
    in time order needs no sort). Among invitations of one key at the very
    same time, the last row is the match.
    """
    out = np.full(len(resp_key), -1, dtype="int64")
    ii = np.flatnonzero((inv_key >= 0) & (inv_t != NAT))
    rr = np.flatnonzero((resp_key >= 0) & (resp_t != NAT))
    if not len(ii) or not len(rr):
        return out
    ti, tr = inv_t[ii], resp_t[rr]
    if not (np.diff(ti) >= 0).all():
        o = np.argsort(ti, kind="stable")
        ii, ti = ii[o], ti[o]
    if not (np.diff(tr) >= 0).all():
        o = np.argsort(tr, kind="stable")
        rr, tr = rr[o], tr[o]
    # one dtype per column (int64 times, integer keys, float rows), handed over without copies: pandas stacks
    # same-dtype columns into one block, a copy of millions of rows
    kt = "int32" if max(int(inv_key.max(initial=0)), int(resp_key.max(initial=0))) < 2**31 else "int64"
    right = pd.DataFrame({"t": ti, "k": inv_key[ii].astype(kt), "row": ii.astype("float64")}, copy=False)
    left = pd.DataFrame({"t": tr, "k": resp_key[rr].astype(kt)}, copy=False)
    m = pd.merge_asof(left, right, on="t", by="k", direction="backward")["row"].to_numpy(dtype="float64")
    ok = ~np.isnan(m)
    out[rr[ok]] = m[ok].astype("int64")
    return out


def matched_frame(invitations: pd.DataFrame, core: tuple[np.ndarray, str], window_days: float,
                   invited: str) -> pd.DataFrame:
    """``invitations`` (new RangeIndex) with ``responded``, ``matched_responded_at``, ``response_latency_days``."""
    first, method = core
    inv = invitations.reset_index(drop=True)
    t = as_ns(inv[invited])
    at = first.copy()
    both = (at != NAT) & (t != NAT)
    if method == "respondent and date":
        at[both & (at - np.where(both, t, 0) > pd.Timedelta(days=window_days).value)] = NAT
        both &= at != NAT
    out = inv.assign(responded=at != NAT, matched_responded_at=at.view("datetime64[ns]"))
    lat = np.full(len(at), np.nan)
    lat[both] = ((at[both] - t[both]) / 1e9) / 86400  # as Timedelta.total_seconds() / 86400
    out["response_latency_days"] = lat
    return out


def as_ns(values) -> np.ndarray:
    """Datetimes as int64 nanoseconds since the epoch (NaT: :data:`NAT`)."""
    return pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[ns]").view("int64")


def invitations_matched_by(prep: Prepared) -> str:
    """How :func:`match_invitations` pairs ``prep``'s invitations with responses.

    "response id" when both tables carry response ids, else "respondent and date".
    """
    return "response id" if _by_response_id(prep.invitations, prep.responses, "response_id") else "respondent and date"


def accounts_table(accounts: pd.DataFrame) -> pd.DataFrame:
    """The accounts with an id, one row per id (the first), with a fresh RangeIndex."""
    acc = accounts.drop_duplicates("account_id")
    return acc[acc["account_id"].notna().to_numpy()].reset_index(drop=True)


def account_positions(ids: pd.Series | None, table: pd.DataFrame, id_codes: tuple | None = None) -> np.ndarray:
    """Row of ``table`` (see :func:`accounts_table`) holding each response's account.

    -1 where the id is not in the table, -2 where the response has no
    account id. Matching works on the distinct ids (``pandas.factorize``,
    or the given ``id_codes`` of the responses' ids), not per row.
    """
    if ids is None:
        return np.full(0 if id_codes is None else len(id_codes[0]), -2, dtype="int64")
    c, u = id_codes if id_codes is not None else pd.factorize(ids)
    c = np.asarray(c)
    if len(u) == 0:
        return np.full(len(c), -2, dtype="int64")
    at = pd.Index(table["account_id"]).get_indexer(pd.Index(u))
    return np.where(c >= 0, at[np.maximum(c, 0)], -2).astype("int64")


def latest_response(prep: Prepared) -> pd.DataFrame:
    """Each account's latest analysed response up to the as-of date, computed once per prepared data set.

    Returns
    -------
    DataFrame
        Indexed by ``account_id`` (as text): ``score``, ``category``, ``responded_at``; the latest response by
        date (the last in file order among those of the same date). Empty without account ids.
    """
    return _memo(prep, ("latest_response",), lambda: _latest_response(prep))


def _latest_response(prep: Prepared) -> pd.DataFrame:
    r = prep.responses
    cols = ["score", "category", "responded_at"]
    if "account_id" not in r or not len(r):
        return pd.DataFrame(columns=cols, index=pd.Index([], name="account_id", dtype=object))
    codes, uniques = prep.codes("account_id")
    codes = np.asarray(codes)
    at = r["responded_at"].to_numpy(dtype="datetime64[ns]")
    use = (codes >= 0) & ~np.isnat(at)
    if prep.as_of is not None:
        use &= at <= np.datetime64(prep.as_of.to_datetime64(), "ns")
    rows = np.flatnonzero(use)
    # by account, then date, then file order: the last row of each account is its latest response
    order = rows[np.lexsort((rows, at[rows].view("int64"), codes[rows]))]
    c = codes[order]
    last = order[np.r_[c[1:] != c[:-1], True]] if len(order) else order
    out = r.iloc[last][cols].copy()
    out.index = pd.Index(np.asarray(uniques, dtype=object)[codes[last]].astype(str), name="account_id")
    out["category"] = out["category"].astype("object")
    return out


# --------------------------------------------------------------------------- respondents


def decision_roles(roles: Iterable[Any], configured: Iterable[str] | None = None) -> list[str]:
    """The role values that count as decision makers.

    Parameters
    ----------
    roles : iterable
        Role values present in the data.
    configured : iterable of str, optional
        ``settings.decision_roles``; matched without regard to case or
        surrounding spaces. When given, only these count.

    Returns
    -------
    list of str
        The values of ``roles`` (as written) that are decision roles.

    Notes
    -----
    Without a configured list, a role is a decision role when its name
    contains a word such as executive, decision (maker), VP, director,
    C-level, chief, head (of), owner, founder, president, sponsor or buyer
    (:data:`DECISION_PATTERN`).

    Examples
    --------
    >>> decision_roles(["User", "Executive", "Decision Maker", "Influencer", "Head of IT"])
    ['Executive', 'Decision Maker', 'Head of IT']
    """
    values = [str(r) for r in dict.fromkeys(roles) if r is not None and not (isinstance(r, float) and math.isnan(r))
              and r is not pd.NA]
    if configured:
        keys = {str(c).strip().casefold() for c in configured}
        return [v for v in values if v.strip().casefold() in keys]
    return [v for v in values if DECISION_PATTERN.search(v)]


def decision_makers(prep: Prepared) -> tuple[list[str], np.ndarray]:
    """The role values that count as decision makers and, per analysed response, whether its role is one.

    :func:`decision_roles` of the responses' roles (``settings.decision_roles``, else guessed from the names),
    looked up once per distinct role and computed once per prepared data set. Without a role column: no
    decision roles, no decision maker.
    """
    def compute() -> tuple[list[str], np.ndarray]:
        r = prep.responses
        if "role" not in r:
            return [], np.zeros(len(r), dtype=bool)
        codes, roles = prep.codes("role")
        deciders = decision_roles(roles, prep.settings.decision_roles)
        return deciders, np.append(pd.Index(roles).isin(deciders), False)[np.asarray(codes)]  # no role: none

    return _memo(prep, ("decision_makers",), compute)


def cluster_column(prep: Prepared) -> str | None:
    """The column whose responses are not independent of each other, for design-based intervals and tests.

    ``account_id`` when some account answers more than once (its people, or
    one person wave after wave), else ``respondent_id`` when some respondent
    answers more than once, else None (the responses are independent).
    Computed once per prepared data set, by counting the column's integer codes.
    """
    def compute() -> str | None:
        for column in ("account_id", "respondent_id"):
            if column in prep.responses:
                c = np.asarray(prep.codes(column)[0])
                c = c[c >= 0]
                if len(c) and int(np.bincount(c).max()) > 1:
                    return column
        return None

    return _memo(prep, ("cluster_column",), compute)


def cluster_frame(prep: Prepared, *columns: str) -> pd.DataFrame:
    """``columns`` of the analysed responses beside ``cluster``: each response's cluster as an integer.

    The cluster is :func:`cluster_column`'s (a missing id is a cluster of its own, as
    :func:`npsdiag.stats.nps.cluster_codes` has it); without one, every response is its own cluster. The
    design-based estimators of :mod:`npsdiag.stats` group these integers instead of the export's text ids (the
    same clusters, a fraction of the time on a large export).

    Examples
    --------
    >>> import pandas as pd
    >>> from npsdiag.io import from_frames
    >>> from npsdiag.clean import prepare
    >>> prep = prepare(from_frames(pd.DataFrame({"score": [9, 3, 7], "responded_at": ["2025-01-02"] * 3,
    ...                                          "account_id": ["a", None, "a"]})))
    >>> cluster_frame(prep, "score")["cluster"].tolist()
    [0, 1, 0]
    """
    def compute() -> np.ndarray:
        column = cluster_column(prep)
        if column is None:
            return np.arange(len(prep.responses), dtype=np.int64)
        codes, uniques = prep.codes(column)
        return own_clusters(codes, len(uniques))

    g = _memo(prep, ("cluster_codes",), compute)
    r = prep.responses
    out = pd.DataFrame({c: r[c].to_numpy() for c in columns if c in r})
    out["cluster"] = g
    return out


def before_outcome(responded_at, outcome_at, embargo_days: float = 0.0) -> np.ndarray:
    """Whether each response may be used to predict its account's outcome: given before it, with an embargo.

    True where the response is dated more than ``embargo_days`` days before
    the outcome (``responded_at < outcome_at - embargo``: a response on the
    embargo's last day is not used), and where either date is missing (the
    order is unknown, so the response is kept). The one rule of every area
    that relates scores to outcomes (``settings.outcome_embargo_days``): a
    score given in the weeks before a churn often reacts to the decision
    already taken, and would flatter the score's predictive power.

    Examples
    --------
    >>> r = pd.to_datetime(pd.Series(["2025-01-01", "2025-05-20", "2025-05-31", None]))
    >>> o = pd.to_datetime(pd.Series(["2025-06-01"] * 4))
    >>> before_outcome(r, o, 30).tolist(), before_outcome(r, o).tolist()
    ([True, False, False, True], [True, True, True, True])
    """
    ra, oa = as_ns(responded_at), as_ns(outcome_at)
    cut = oa - int(pd.Timedelta(days=float(embargo_days)).value)
    return (ra == NAT) | (oa == NAT) | (ra < cut)
