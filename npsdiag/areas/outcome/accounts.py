"""Outcome's building blocks on accounts: how responses link to accounts, and one score per account.

A response predicts its account's outcome (renewal or churn) only when it was
given before it, by more than the embargo (``settings.outcome_embargo_days``,
30 days by default: :func:`npsdiag.linking.before_outcome`, the one rule of
every area): a score given in the weeks before a churn often reacts to a
decision already taken. An account's score is then the **latest** score
given before that cut-off, and the latest of its decision makers where one
answered: the current view of the people who decide the renewal, not the
average of everyone over the years (an account answering 10 and 0 is not a
"detractor"). :func:`score_definitions <npsdiag.areas.outcome.score_definitions>`
shows how the results move under the other definitions.

The public blocks (:func:`link_summary`, :func:`account_scores`,
:func:`role_account_scores`) take the responses and accounts tables; they
locate each response's account (:func:`npsdiag.linking.account_positions`)
and call the functions below that work on those positions
(:func:`link_table`, :func:`usable_responses`, :func:`scores_by_account`,
:func:`role_scores_by_account`), which the area's checks call with the
cached integer codes of a prepared data set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...linking import NAT, account_positions, accounts_table, as_ns, before_outcome
from ...linking import decision_roles as decision_role_values
from ...stats.proportions import wilson_interval

__all__ = ["decision_roles", "link_summary", "account_scores", "role_account_scores", "LINK_STATUSES",
           "EMBARGO_DAYS", "usable_responses", "latest_scores", "link_table", "scores_by_account",
           "role_scores_by_account"]

#: Statuses of a response in :func:`link_summary`, in its row order.
LINK_STATUSES = ["linked, outcome known", "linked, no outcome", "account not found", "no account id"]
#: Days before an account's outcome whose responses do not predict it (``settings.outcome_embargo_days``'s default).
EMBARGO_DAYS = 30
_ACCOUNT_COLUMNS = ["account_id", "churned", "responses", "score", "score_at", "score_latest", "score_mean",
                    "score_min"]
_ROLE_COLUMNS = ["account_id", "role", "responses", "score", "score_mean", "churned"]


def decision_roles(roles, configured: list[str] | None = None) -> list[str]:
    """Role values counted as decision makers: the configured ones, else guessed from their names (sorted).

    See :func:`npsdiag.linking.decision_roles`, the one definition of a decision role for every area.

    Examples
    --------
    >>> decision_roles(["Executive", "User", "Decision Maker", "Influencer"])
    ['Decision Maker', 'Executive']
    """
    return sorted(decision_role_values(pd.Series(roles).dropna().unique(), configured))


# --------------------------------------------------------------------------- on account positions


def usable_responses(pos: np.ndarray, table: pd.DataFrame, responded: pd.Series | None,
                     embargo_days: float = EMBARGO_DAYS) -> tuple[np.ndarray, int, int]:
    """Linked responses that may predict their account's outcome, and how many were left out and why.

    Parameters
    ----------
    pos : array of int
        Row of ``table`` holding each response's account
        (:func:`npsdiag.linking.account_positions`; negative: none).
    table : DataFrame
        The accounts (:func:`npsdiag.linking.accounts_table`), with ``outcome_at`` if known.
    responded : Series, optional
        The responses' ``responded_at``.
    embargo_days : float
        Responses given less than this many days before the outcome are not used.

    Returns
    -------
    (mask, after, embargoed)
        ``mask``: linked responses given more than ``embargo_days`` before
        their account's outcome (every linked response where a date is
        missing: :func:`npsdiag.linking.before_outcome`); ``after``: linked
        responses given on or after the outcome; ``embargoed``: those given
        before it, but within the embargo.

    Examples
    --------
    >>> t = pd.DataFrame({"account_id": ["a"], "outcome_at": pd.to_datetime(["2025-06-01"])})
    >>> r = pd.to_datetime(pd.Series(["2025-01-01", "2025-05-20", "2025-07-01"]))
    >>> mask, after, embargoed = usable_responses(np.array([0, 0, 0]), t, r, 30)
    >>> mask.tolist(), after, embargoed
    ([True, False, False], 1, 1)
    """
    linked = pos >= 0
    if "outcome_at" not in table or responded is None:
        return linked, 0, 0
    oa = table["outcome_at"].to_numpy(dtype="datetime64[ns]")[np.maximum(pos, 0)] if len(table) else \
        np.full(len(pos), np.datetime64("NaT"), dtype="datetime64[ns]")
    keep = linked & before_outcome(responded, oa, embargo_days)
    before = linked & before_outcome(responded, oa, 0.0)
    return keep, int((linked & ~before).sum()), int((before & ~keep).sum())


def latest_scores(groups: np.ndarray, times: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    """Each group's latest score: the score of its last-dated response (the mean where several share that time).

    Parameters
    ----------
    groups : array of int
        Group (account, or account and role) of each response.
    times : array of int64
        Response times in nanoseconds (:func:`npsdiag.linking.as_ns`; missing = :data:`npsdiag.linking.NAT`,
        earlier than any date: a group whose responses are all undated gets the mean of them all).
    scores : array of float

    Returns
    -------
    DataFrame
        Indexed by group: ``score`` (latest) and ``at`` (its time, int64 ns).

    Examples
    --------
    >>> latest_scores(np.array([0, 0, 1, 1]), np.array([1, 2, 5, 5]), np.array([0.0, 10, 4, 6])).to_dict("list")
    {'score': [10.0, 5.0], 'at': [2, 5]}
    """
    f = pd.DataFrame({"g": groups, "t": times, "s": scores})
    last = f["t"].to_numpy() == f.groupby("g", sort=True)["t"].transform("max").to_numpy()
    g = f[last].groupby("g", sort=True)
    return pd.DataFrame({"score": g["s"].mean(), "at": g["t"].first()})


def link_table(pos: np.ndarray, table: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """:func:`link_summary` from the responses' account positions in ``table`` (-1 not found, -2 no id)."""
    known = table["churned"].notna().to_numpy() if "churned" in table else np.zeros(len(table), dtype=bool)
    status = np.where(pos == -2, 3, np.where(pos == -1, 2, np.where(known[np.maximum(pos, 0)] if len(known) else
                                                                    False, 0, 1)))
    counts = np.bincount(status, minlength=4) if len(status) else np.zeros(4, dtype="int64")
    n = max(len(pos), 1)
    lo, hi = wilson_interval(counts, np.full(4, len(pos)), confidence)
    return pd.DataFrame({"status": LINK_STATUSES, "responses": counts.astype(int),
                         "share": counts / n, "share_ci_low": lo, "share_ci_high": hi})


def _with_outcome(pos: np.ndarray, table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Accounts of ``table`` with a known outcome, and ``pos`` with the others' responses unlinked (-1)."""
    has = table["churned"].notna().to_numpy()
    return has, np.where(pos >= 0, np.where(has[np.maximum(pos, 0)], pos, -1), pos)


def _usable(responses: pd.DataFrame, table: pd.DataFrame, pos: np.ndarray, score: str,
            embargo_days: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of the usable scored responses of accounts with an outcome, their scores and times (int64 ns)."""
    _, linked = _with_outcome(pos, table)
    responded = responses["responded_at"] if "responded_at" in responses else None
    keep, _, _ = usable_responses(linked, table, responded, embargo_days)
    sc = responses[score].to_numpy(dtype="float64", na_value=np.nan)
    rows = np.flatnonzero(keep & ~np.isnan(sc))
    times = as_ns(responded)[rows] if responded is not None else np.full(len(rows), NAT, dtype="int64")
    return rows, sc[rows], times


def _dates(ns: pd.Series) -> pd.Series:
    """int64 nanoseconds (NAT for missing) as datetimes, on the same index."""
    return pd.Series(np.asarray(ns, dtype="int64").view("datetime64[ns]"), index=ns.index)


def scores_by_account(responses: pd.DataFrame, table: pd.DataFrame, pos: np.ndarray,
                      role_codes: tuple[np.ndarray, pd.Index] | None, score: str = "score",
                      decision: list[str] | None = None, extra: list[str] | None = None,
                      embargo_days: float = EMBARGO_DAYS) -> pd.DataFrame:
    """:func:`account_scores` from the responses' account positions in ``table`` and the role column's codes.

    ``role_codes`` are ``(codes, uniques)`` of the responses' role column as
    :func:`pandas.factorize` gives them (None without roles: no decision
    makers' and other roles' scores; the account score is then its latest).
    """
    has = table["churned"].notna().to_numpy()
    rows, s, t = _usable(responses, table, pos, score, embargo_days)
    if not len(rows):
        return pd.DataFrame(columns=_ACCOUNT_COLUMNS)
    p = pos[rows]
    g = pd.Series(s).groupby(p, sort=True)
    latest = latest_scores(p, t, s)
    out = pd.DataFrame({"responses": g.size(), "score": latest["score"], "score_at": _dates(latest["at"]),
                        "score_latest": latest["score"], "score_mean": g.mean(), "score_min": g.min()})
    if role_codes is not None:
        rc, ru = role_codes
        rc = np.asarray(rc)[rows]
        if decision is None:
            decision = decision_roles(pd.Index(ru)[np.unique(rc[rc >= 0])])
        dm_u = np.asarray(pd.Index(ru).astype("string").isin(set(decision)), dtype=bool)
        is_dm = (rc >= 0) & (dm_u[np.maximum(rc, 0)] if len(dm_u) else False)
        dm = latest_scores(p[is_dm], t[is_dm], s[is_dm])
        at = out.index.get_indexer(dm.index)
        by_dm = np.zeros(len(out), dtype=bool)
        by_dm[at] = True
        dm_at = latest["at"].to_numpy().copy()
        dm_at[at] = dm["at"].to_numpy()
        other = ~is_dm & (rc >= 0)
        out["score_decision"] = dm["score"]
        out["score_other"] = latest_scores(p[other], t[other], s[other])["score"]
        out["score"] = np.where(by_dm, out["score_decision"], out["score_latest"])
        out["score_at"] = dm_at.view("datetime64[ns]")
    tt = pd.Series(t.view("datetime64[ns]"))
    out["first_response_at"] = tt.groupby(p, sort=True).min()
    out["last_response_at"] = tt.groupby(p, sort=True).max()
    keep_cols = ["account_id", "churned"] + [c for c in ("revenue", "outcome_at", "start_at") if c in table] + [
        c for c in (extra or []) if c in table and c not in ("revenue", "outcome_at", "start_at")]
    at = np.flatnonzero(has)
    at = at[np.isin(at, out.index.to_numpy())]  # accounts (in table order) with a usable response
    a = table[keep_cols].take(at).reset_index(drop=True)
    a["churned"] = a["churned"].astype(bool).astype(int)
    res = pd.concat([a, out.reindex(at).reset_index(drop=True)], axis=1)
    return res[_ACCOUNT_COLUMNS + [c for c in res.columns if c not in _ACCOUNT_COLUMNS]]


def role_scores_by_account(responses: pd.DataFrame, table: pd.DataFrame, pos: np.ndarray,
                           role_codes: tuple[np.ndarray, pd.Index], score: str = "score",
                           embargo_days: float = EMBARGO_DAYS) -> pd.DataFrame:
    """:func:`role_account_scores` from the responses' account positions in ``table`` and the role codes.

    Rows sorted by account id then role, as a groupby on the two would.
    """
    rows, s, t = _usable(responses, table, pos, score, embargo_days)
    rc, ru = role_codes
    rc = np.asarray(rc)[rows]
    has_role = rc >= 0
    rows, s, t, rc = rows[has_role], s[has_role], t[has_role], rc[has_role]
    if not len(rows):
        return pd.DataFrame(columns=_ROLE_COLUMNS)
    role_lab = pd.Index(ru).astype(str)
    role_rank, role_sorted = pd.factorize(role_lab, sort=True)  # distinct labels of the distinct roles
    acc_rank, _ = pd.factorize(table["account_id"], sort=True)  # ids are distinct: the rank in id order
    p = pos[rows]
    key = acc_rank[p].astype("int64") * len(role_sorted) + role_rank[rc]
    g = pd.Series(s).groupby(key, sort=True).agg(["size", "mean"])
    latest = latest_scores(key, t, s)
    k = g.index.to_numpy()
    acc_at = np.empty(len(acc_rank), dtype="int64")
    acc_at[acc_rank] = np.arange(len(acc_rank))  # table row of each account rank
    rows_acc = acc_at[k // len(role_sorted)]
    ch = table["churned"].to_numpy(dtype=object)
    return pd.DataFrame({"account_id": table["account_id"].take(rows_acc).to_numpy(),
                         "role": pd.Index(role_sorted).take(k % len(role_sorted)).to_numpy(),
                         "responses": g["size"].to_numpy(), "score": latest["score"].to_numpy(),
                         "score_mean": g["mean"].to_numpy(),
                         "churned": ch[rows_acc].astype(bool).astype(int)})[_ROLE_COLUMNS]


# --------------------------------------------------------------------------- public blocks


def link_summary(
    responses: pd.DataFrame,
    accounts: pd.DataFrame,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """How many responses link to an account, and to an account with a known outcome.

    Parameters
    ----------
    responses : DataFrame
        Analysed responses with ``account_id``.
    accounts : DataFrame
        Accounts with ``account_id`` and (optionally) ``churned``.
    confidence : float
        Level of the Wilson intervals of the shares.

    Returns
    -------
    DataFrame
        One row per status ("linked, outcome known", "linked, no outcome",
        "account not found", "no account id"): ``status``, ``responses``,
        ``share`` (0-1), ``share_ci_low``, ``share_ci_high`` (Wilson 1927).

    Examples
    --------
    >>> r = pd.DataFrame({"account_id": ["a", "b", None, "z"]})
    >>> a = pd.DataFrame({"account_id": ["a", "b"], "churned": [True, None]})
    >>> link_summary(r, a)["responses"].tolist()
    [1, 1, 1, 1]
    """
    table = accounts_table(accounts)
    pos = (account_positions(responses["account_id"], table) if "account_id" in responses
           else np.full(len(responses), -2, dtype="int64"))
    return link_table(pos, table, confidence)


def account_scores(
    responses: pd.DataFrame,
    accounts: pd.DataFrame,
    score: str = "score",
    role: str = "role",
    decision: list[str] | None = None,
    extra: list[str] | None = None,
    embargo_days: float = EMBARGO_DAYS,
) -> pd.DataFrame:
    """One row per account with an outcome and a score given before it: the account's score, and the alternatives.

    Parameters
    ----------
    responses : DataFrame
        Analysed responses with ``account_id``, the score and (optionally)
        ``responded_at`` and ``role``.
    accounts : DataFrame
        Accounts with ``account_id``, ``churned`` and optionally
        ``outcome_at``, ``revenue``, ``start_at``.
    score : str
        Score column.
    role : str
        Role column of the responses (if present).
    decision : list of str, optional
        Role values counted as decision makers (default: guessed from the
        role names, :func:`decision_roles`).
    extra : list of str, optional
        Account columns carried over (e.g. account segments).
    embargo_days : float
        Responses given less than this many days before the account's
        outcome are not used (:func:`npsdiag.linking.before_outcome`).

    Returns
    -------
    DataFrame
        ``account_id``, ``churned`` (0/1), ``responses`` (used), ``score``
        (the account's score: its decision makers' latest where one
        answered, else its latest), ``score_at`` (when that score was
        given), ``score_latest`` (the latest response of any role),
        ``score_mean``, ``score_min`` (mean and lowest of the used
        responses), ``score_decision`` and ``score_other`` (latest of the
        decision makers and of the other roles, where they answered),
        ``first_response_at``, ``last_response_at``, and ``revenue``,
        ``outcome_at``, ``start_at`` and the ``extra`` columns where
        present. Accounts in the order of the accounts table.

    Notes
    -----
    "Latest" is the last-dated response; where several responses share
    that time, their mean. Responses on or after the account's
    ``outcome_at``, or less than ``embargo_days`` before it, are left out;
    accounts whose outcome is unknown, or without a response before it,
    are not returned.

    Examples
    --------
    An account answering 0, then 10 is a promoter by its latest score (a detractor by its mean):

    >>> r = pd.DataFrame({"account_id": ["a", "a", "b"], "score": [0.0, 10.0, 9.0],
    ...                   "responded_at": pd.to_datetime(["2024-01-01", "2024-06-01", "2024-03-01"])})
    >>> acc = pd.DataFrame({"account_id": ["a", "b"], "churned": [True, False]})
    >>> account_scores(r, acc)[["account_id", "churned", "score", "score_mean"]].to_numpy().tolist()
    [['a', 1, 10.0, 5.0], ['b', 0, 9.0, 9.0]]
    """
    if "churned" not in accounts or "account_id" not in responses:
        return pd.DataFrame(columns=_ACCOUNT_COLUMNS)
    table = accounts_table(accounts)
    pos = account_positions(responses["account_id"], table)
    role_codes = pd.factorize(responses[role]) if role in responses else None
    return scores_by_account(responses, table, pos, role_codes, score, decision, extra, embargo_days)


def role_account_scores(
    responses: pd.DataFrame,
    accounts: pd.DataFrame,
    score: str = "score",
    role: str = "role",
    embargo_days: float = EMBARGO_DAYS,
) -> pd.DataFrame:
    """One row per (account, role): the role's latest score before the outcome, and the outcome.

    Parameters
    ----------
    responses : DataFrame
        Analysed responses with ``account_id``, the score, the role and
        (optionally) ``responded_at``.
    accounts : DataFrame
        Accounts with ``account_id``, ``churned`` and optionally ``outcome_at``.
    score, role : str
        Score and role columns of the responses.
    embargo_days : float
        As in :func:`account_scores`.

    Returns
    -------
    DataFrame
        ``account_id``, ``role``, ``responses``, ``score`` (the role's
        latest response, as in :func:`account_scores`), ``score_mean``,
        ``churned`` (0/1), sorted by account id then role. Empty when there
        is no role column.

    Examples
    --------
    >>> r = pd.DataFrame({"account_id": ["a", "a", "a"], "score": [2.0, 6.0, 9.0], "role": ["User", "CEO", "User"],
    ...                   "responded_at": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"])})
    >>> acc = pd.DataFrame({"account_id": ["a"], "churned": [True]})
    >>> role_account_scores(r, acc)[["role", "responses", "score", "score_mean"]].to_numpy().tolist()
    [['CEO', 1, 6.0, 6.0], ['User', 2, 9.0, 5.5]]
    """
    if role not in responses or "churned" not in accounts or "account_id" not in responses:
        return pd.DataFrame(columns=_ROLE_COLUMNS)
    table = accounts_table(accounts)
    return role_scores_by_account(responses, table, account_positions(responses["account_id"], table),
                                  pd.factorize(responses[role]), score, embargo_days)
