"""Outcome's building blocks on accounts: how responses link to accounts, and one score per account.

Only responses given before an account's outcome (renewal or churn) count:
a score given after the churn decision cannot predict it. The public blocks
(:func:`link_summary`, :func:`account_scores`, :func:`role_account_scores`)
take the responses and accounts tables; they locate each response's account
(:func:`npsdiag.linking.account_positions`) and call the functions below that
work on those positions (:func:`link_table`, :func:`scores_by_account`,
:func:`role_scores_by_account`), which the area's checks call with the
cached integer codes of a prepared data set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...linking import NAT, account_positions, accounts_table, as_ns
from ...linking import decision_roles as decision_role_values
from ...stats.proportions import wilson_interval

__all__ = ["decision_roles", "link_summary", "account_scores", "role_account_scores", "LINK_STATUSES",
           "before_outcome", "link_table", "scores_by_account", "role_scores_by_account"]

#: Statuses of a response in :func:`link_summary`, in its row order.
LINK_STATUSES = ["linked, outcome known", "linked, no outcome", "account not found", "no account id"]
_ACCOUNT_COLUMNS = ["account_id", "churned", "responses", "score_mean"]
_ROLE_COLUMNS = ["account_id", "role", "responses", "score_mean", "churned"]


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


def before_outcome(pos: np.ndarray, table: pd.DataFrame, responded: pd.Series | None) -> tuple[np.ndarray, int]:
    """Linked responses given before their account's outcome, and the number given on or after it.

    Parameters
    ----------
    pos : array of int
        Row of ``table`` holding each response's account
        (:func:`npsdiag.linking.account_positions`; negative: none).
    table : DataFrame
        The accounts (:func:`npsdiag.linking.accounts_table`), with ``outcome_at`` if known.
    responded : Series, optional
        The responses' ``responded_at``.

    Returns
    -------
    (mask, after)
        Every linked response where a date is missing (or no dates at all).
    """
    linked = pos >= 0
    if "outcome_at" not in table or responded is None:
        return linked, 0
    oa = as_ns(table["outcome_at"])[np.maximum(pos, 0)]
    ra = as_ns(responded)
    keep = linked & ((oa == NAT) | (ra == NAT) | (ra < oa))
    return keep, int((linked & ~keep).sum())


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


def scores_by_account(responses: pd.DataFrame, table: pd.DataFrame, pos: np.ndarray,
                      role_codes: tuple[np.ndarray, pd.Index] | None, score: str = "score",
                      decision: list[str] | None = None, extra: list[str] | None = None) -> pd.DataFrame:
    """:func:`account_scores` from the responses' account positions in ``table`` and the role column's codes.

    ``role_codes`` are ``(codes, uniques)`` of the responses' role column as
    :func:`pandas.factorize` gives them (None without roles: no decision
    makers' and other roles' means).
    """
    has, linked = _with_outcome(pos, table)
    keep, _ = before_outcome(linked, table, responses["responded_at"] if "responded_at" in responses else None)
    sc = responses[score].to_numpy(dtype="float64", na_value=np.nan)
    rows = np.flatnonzero(keep & ~np.isnan(sc))
    if not len(rows):
        return pd.DataFrame(columns=_ACCOUNT_COLUMNS)
    f = pd.DataFrame({"p": pos[rows], "s": sc[rows]})
    if "responded_at" in responses:
        f["t"] = responses["responded_at"].to_numpy()[rows]
        f = f.sort_values("t", kind="stable")
    g = f.groupby("p", sort=False)["s"]
    out = pd.DataFrame({"responses": g.size(), "score_mean": g.mean(), "score_latest": g.last(),
                        "score_min": g.min()})
    if "t" in f:
        out["last_response_at"] = f.groupby("p", sort=False)["t"].max()
    if role_codes is not None:
        rc, ru = role_codes
        rc = np.asarray(rc)[rows] if "t" not in f else np.asarray(rc)[rows][f.index.to_numpy()]
        if decision is None:
            used = np.unique(rc[rc >= 0])
            decision = decision_roles(pd.Index(ru)[used])
        dm_u = np.asarray(pd.Index(ru).astype("string").isin(set(decision)), dtype=bool)
        is_dm = (rc >= 0) & (dm_u[np.maximum(rc, 0)] if len(dm_u) else False)
        out["score_decision"] = f[is_dm].groupby("p")["s"].mean()
        out["score_other"] = f[~is_dm & (rc >= 0)].groupby("p")["s"].mean()
    keep_cols = ["account_id", "churned"] + [c for c in ("revenue", "outcome_at", "start_at") if c in table] + [
        c for c in (extra or []) if c in table and c not in ("revenue", "outcome_at", "start_at")]
    at = np.flatnonzero(has)
    at = at[np.isin(at, out.index.to_numpy())]  # accounts (in table order) with a response before the outcome
    a = table[keep_cols].take(at).reset_index(drop=True)
    a["churned"] = a["churned"].astype(bool).astype(int)
    o = out.reindex(at).reset_index(drop=True)
    res = pd.concat([a, o], axis=1)
    first = ["account_id", "churned", "responses", "score_mean", "score_latest", "score_min"]
    return res[first + [c for c in res.columns if c not in first]]


def role_scores_by_account(responses: pd.DataFrame, table: pd.DataFrame, pos: np.ndarray,
                           role_codes: tuple[np.ndarray, pd.Index], score: str = "score") -> pd.DataFrame:
    """:func:`role_account_scores` from the responses' account positions in ``table`` and the role codes.

    Rows sorted by account id then role, as a groupby on the two would.
    """
    _, linked = _with_outcome(pos, table)
    keep, _ = before_outcome(linked, table, responses["responded_at"] if "responded_at" in responses else None)
    rc, ru = role_codes
    rc = np.asarray(rc)
    sc = responses[score].to_numpy(dtype="float64", na_value=np.nan)
    rows = np.flatnonzero(keep & ~np.isnan(sc) & (rc >= 0))
    if not len(rows):
        return pd.DataFrame(columns=_ROLE_COLUMNS)
    role_lab = pd.Index(ru).astype(str)
    role_rank, role_sorted = pd.factorize(role_lab, sort=True)  # distinct labels of the distinct roles
    acc_rank, _ = pd.factorize(table["account_id"], sort=True)  # ids are distinct: the rank in id order
    p = pos[rows]
    rr = role_rank[rc[rows]]
    key = acc_rank[p].astype("int64") * len(role_sorted) + rr
    g = pd.Series(sc[rows]).groupby(key, sort=True).agg(["size", "mean"])
    k = g.index.to_numpy()
    acc_at = np.empty(len(acc_rank), dtype="int64")
    acc_at[acc_rank] = np.arange(len(acc_rank))  # table row of each account rank
    rows_acc = acc_at[k // len(role_sorted)]
    ch = table["churned"].to_numpy(dtype=object)
    return pd.DataFrame({"account_id": table["account_id"].take(rows_acc).to_numpy(),
                         "role": pd.Index(role_sorted).take(k % len(role_sorted)).to_numpy(),
                         "responses": g["size"].to_numpy(), "score_mean": g["mean"].to_numpy(),
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
) -> pd.DataFrame:
    """One row per account with an outcome and a score given before it.

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
        Role values counted as decision makers (see :func:`decision_roles`).
    extra : list of str, optional
        Account columns carried over (e.g. account segments).

    Returns
    -------
    DataFrame
        ``account_id``, ``churned`` (0/1), ``responses`` (used),
        ``score_mean``, ``score_latest`` (the last response before the
        outcome), ``score_min``, ``score_decision`` and ``score_other``
        (means of decision makers' and other roles' responses),
        ``last_response_at``, and ``revenue``, ``outcome_at``, ``start_at``
        and the ``extra`` columns where present. Accounts in the order of the
        accounts table.

    Notes
    -----
    Responses on or after the account's ``outcome_at`` are left out: a score
    given after the churn decision cannot predict it. Accounts whose outcome
    is unknown, or without a response before it, are not returned.

    Examples
    --------
    >>> r = pd.DataFrame({"account_id": ["a", "a", "b"], "score": [2.0, 6.0, 9.0]})
    >>> acc = pd.DataFrame({"account_id": ["a", "b"], "churned": [True, False]})
    >>> account_scores(r, acc)[["account_id", "churned", "score_mean"]].to_dict("records")
    [{'account_id': 'a', 'churned': 1, 'score_mean': 4.0}, {'account_id': 'b', 'churned': 0, 'score_mean': 9.0}]
    """
    if "churned" not in accounts or "account_id" not in responses:
        return pd.DataFrame(columns=_ACCOUNT_COLUMNS)
    table = accounts_table(accounts)
    pos = account_positions(responses["account_id"], table)
    role_codes = pd.factorize(responses[role]) if role in responses else None
    return scores_by_account(responses, table, pos, role_codes, score, decision, extra)


def role_account_scores(
    responses: pd.DataFrame,
    accounts: pd.DataFrame,
    score: str = "score",
    role: str = "role",
) -> pd.DataFrame:
    """One row per (account, role): the role's mean score before the outcome, and the outcome.

    Parameters
    ----------
    responses : DataFrame
        Analysed responses with ``account_id``, the score, the role and
        (optionally) ``responded_at``.
    accounts : DataFrame
        Accounts with ``account_id``, ``churned`` and optionally ``outcome_at``.
    score, role : str
        Score and role columns of the responses.

    Returns
    -------
    DataFrame
        ``account_id``, ``role``, ``responses``, ``score_mean``, ``churned``
        (0/1), sorted by account id then role. Empty when there is no role
        column.

    Examples
    --------
    >>> r = pd.DataFrame({"account_id": ["a", "a", "a"], "score": [2.0, 6.0, 9.0], "role": ["User", "CEO", "User"]})
    >>> acc = pd.DataFrame({"account_id": ["a"], "churned": [True]})
    >>> role_account_scores(r, acc)[["role", "responses", "score_mean"]].to_dict("records")
    [{'role': 'CEO', 'responses': 1, 'score_mean': 6.0}, {'role': 'User', 'responses': 2, 'score_mean': 5.5}]
    """
    if role not in responses or "churned" not in accounts or "account_id" not in responses:
        return pd.DataFrame(columns=_ROLE_COLUMNS)
    table = accounts_table(accounts)
    return role_scores_by_account(responses, table, account_positions(responses["account_id"], table),
                                  pd.factorize(responses[role]), score)
