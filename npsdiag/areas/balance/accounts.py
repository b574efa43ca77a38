"""Accounts: how many voices each account has, and how much revenue is heard.

- :func:`respondents_per_account` and :func:`voice_distribution` -- responses
  and distinct respondents per account, accounts banded by their number of
  voices (with their share of revenue);
- :func:`revenue_coverage` -- the share of ARR heard from each quarter, by any
  respondent and by a decision maker, counting only the accounts that were
  customers then.

How concentrated responses are across accounts (Lorenz curve, Gini, top
share) is :mod:`npsdiag.stats.concentration`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...linking import positions, remap
from ...stats.nps import to_period
from .codes import as_bool, factorize, text_order

__all__ = ["respondents_per_account", "voice_distribution", "revenue_coverage"]


def respondents_per_account(
    data: pd.DataFrame,
    account: str = "account_id",
    respondent: str | None = "respondent_id",
) -> pd.DataFrame:
    """Responses and distinct respondents per account.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    account : str
        Account column; rows without an account are left out.
    respondent : str, optional
        Respondent column. Without it (or where it is missing) each response
        counts as a distinct respondent.

    Returns
    -------
    DataFrame
        One row per account, most responses first: ``account``,
        ``responses``, ``respondents``.

    Examples
    --------
    >>> d = pd.DataFrame({"account_id": ["a", "a", "b"], "respondent_id": ["x", "x", "y"]})
    >>> respondents_per_account(d).to_dict("records")
    [{'account': 'a', 'responses': 2, 'respondents': 1}, {'account': 'b', 'responses': 1, 'respondents': 1}]
    """
    if account not in data:
        return pd.DataFrame(columns=["account", "responses", "respondents"])
    acodes, accounts = factorize(data[account])
    rcodes = factorize(data[respondent])[0] if respondent and respondent in data else None
    return per_account_from_codes(acodes, accounts, rcodes)[0]


def per_account_from_codes(acodes: np.ndarray, accounts,
                           rcodes: np.ndarray | None) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`respondents_per_account` from account codes (into ``accounts``) and respondent codes per response.

    A response without a respondent (code -1, or no respondent codes at all) is a distinct respondent.
    Also returns the account code of each row of the table. The integer-code path of the area's checks.
    """
    keep = acodes >= 0
    a = acodes[keep].astype("int64")
    if rcodes is None:
        who = np.arange(len(a), dtype="int64")
    else:
        who = rcodes[keep].astype("int64")
        miss = who < 0
        who[miss] = who.max(initial=-1) + 1 + np.arange(int(miss.sum()))
    k = len(accounts)
    responses = np.bincount(a, minlength=k)
    base = int(who.max(initial=0)) + 1
    pairs = pd.unique(a * base + who)  # distinct (account, respondent)
    respondents = np.bincount(pairs // base, minlength=k)
    seen = np.flatnonzero(responses > 0)
    # most responses first, then accounts in text order
    order = seen[np.lexsort((text_order(pd.Index(accounts)[seen]) if len(seen) else seen, -responses[seen]))]
    acc = accounts.take(order) if isinstance(accounts, pd.Index) else np.asarray(accounts, dtype=object)[order]
    out = pd.DataFrame({"account": np.asarray(acc) if not isinstance(acc, pd.Index) else acc.array,
                        "responses": responses[order].astype(int), "respondents": respondents[order].astype(int)})
    return out, order


_BINS = [(1, 1, "1"), (2, 2, "2"), (3, 3, "3"), (4, 5, "4-5"), (6, 10, "6-10"), (11, np.inf, "11+")]


def voice_distribution(per_account: pd.DataFrame, revenue: pd.Series | None = None) -> pd.DataFrame:
    """Accounts by number of distinct respondents.

    Parameters
    ----------
    per_account : DataFrame
        Output of :func:`respondents_per_account`.
    revenue : Series, optional
        Revenue (ARR) indexed by account, to show the revenue share of each band.

    Returns
    -------
    DataFrame
        One row per band (1, 2, 3, 4-5, 6-10, 11+ respondents):
        ``respondents``, ``accounts``, ``share`` (of accounts), ``responses``,
        ``share_responses`` and, with revenue, ``revenue`` and ``share_revenue``.

    Examples
    --------
    >>> per = pd.DataFrame({"account": ["a", "b", "c"], "responses": [3, 1, 1], "respondents": [2, 1, 1]})
    >>> voice_distribution(per)[["respondents", "accounts", "share_responses"]].head(2)
      respondents  accounts  share_responses
    0           1         2              0.4
    1           2         1              0.6
    """
    rev = None if revenue is None else per_account["account"].map(revenue).to_numpy(dtype="float64", na_value=np.nan)
    return voice_distribution_from_array(per_account, rev)


def voice_distribution_from_array(per_account: pd.DataFrame, rev: np.ndarray | None) -> pd.DataFrame:
    """:func:`voice_distribution` with the revenue of each row of ``per_account`` (NaN: unknown), or None."""
    rows = []
    tot_acc = max(len(per_account), 1)
    responses = per_account["responses"].to_numpy()
    respondents = per_account["respondents"].to_numpy()
    tot_resp = max(int(responses.sum()), 1)
    tot_rev = float(np.nansum(rev)) if rev is not None else np.nan
    for lo, hi, label in _BINS:
        m = (respondents >= lo) & (respondents <= hi)
        row = {"respondents": label, "accounts": int(m.sum()), "share": m.sum() / tot_acc,
               "responses": int(responses[m].sum()), "share_responses": responses[m].sum() / tot_resp}
        if rev is not None:
            row["revenue"] = float(np.nansum(rev[m]))
            row["share_revenue"] = row["revenue"] / tot_rev if tot_rev > 0 else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def revenue_coverage(
    responses: pd.DataFrame,
    accounts: pd.DataFrame,
    date: str = "responded_at",
    account: str = "account_id",
    revenue: str = "revenue",
    decision: str | None = None,
    freq: str = "Q",
    target: float = 0.8,
) -> pd.DataFrame:
    """Share of revenue (ARR) heard from each period, by any respondent and by a decision maker.

    Parameters
    ----------
    responses : DataFrame
        One row per analysed response.
    accounts : DataFrame
        One row per account with its revenue; ``start_at``, ``churned`` and
        ``outcome_at`` are used when present so that each period counts only
        the accounts that were customers then.
    date, account, revenue : str
        Column names.
    decision : str, optional
        Boolean column of ``responses`` true for a decision-maker response.
    freq : {"Q", "M", "W"}
        Period (quarters by default, the B2B practice).
    target : float
        Share of revenue that should be heard each period.

    Returns
    -------
    DataFrame
        One row per period and a last row ``whole period``: ``period``,
        ``accounts`` (customers then, with revenue), ``revenue``,
        ``accounts_heard``, ``revenue_heard``, ``share_heard`` (of revenue),
        and with ``decision`` also ``revenue_decision``,
        ``share_decision``; ``partial`` (the first or last period, not fully
        covered by responses), ``below_target`` (the revenue heard from
        anyone below ``target``) and, with ``decision``,
        ``decision_below_target`` (the revenue heard from a decision maker
        below it): two columns, so that a quarter at 82% is never read as
        below an 80% target.

    Notes
    -----
    An account counts in a period when it started on or before the period's
    end and, if it churned, its outcome date is on or after the period's
    start. Revenue is the account's current ARR (no history is assumed).

    Examples
    --------
    >>> r = pd.DataFrame({"account_id": ["a"], "responded_at": pd.to_datetime(["2024-02-01"])})
    >>> a = pd.DataFrame({"account_id": ["a", "b"], "revenue": [30.0, 70.0]})
    >>> revenue_coverage(r, a)["share_heard"].tolist()
    [0.3, 0.3]
    """
    a = accounts.loc[accounts[account].notna() & accounts[revenue].notna() & (accounts[revenue] > 0)] \
        .drop_duplicates(account)
    acodes, acc_values = factorize(responses[account])
    # account (row of ``a``) of each response, matched on the distinct ids; accounts missing from ``a`` are not counted
    row = remap(acodes, positions(pd.Index(a[account]), pd.Index(acc_values, dtype=object)))
    dec = as_bool(responses[decision]) if decision else None
    return revenue_coverage_from_rows(a, row, acodes >= 0, responses[date], dec, revenue, freq, target)


def revenue_coverage_from_rows(a: pd.DataFrame, row: np.ndarray, has_account: np.ndarray, dates: pd.Series,
                               dec: np.ndarray | None, revenue: str, freq: str, target: float) -> pd.DataFrame:
    """:func:`revenue_coverage` from the accounts ``a`` (revenue > 0, one row each) and each response's row in it.

    ``row`` is -1 for a response whose account is not in ``a``; ``has_account`` is False where it has none;
    ``dec`` marks decision-maker responses (None: not assessed). The integer-code path of the area's check.
    """
    cols = _coverage_columns(dec is not None)
    dates = pd.to_datetime(dates) if not pd.api.types.is_datetime64_any_dtype(dates) else dates
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    ok = has_account & dates.notna().to_numpy()
    if a.empty or not ok.any():
        return pd.DataFrame(columns=cols)
    dt = dates.to_numpy(dtype="datetime64[ns]")[ok]
    idx, per = _periods(dt, freq)
    first, last = pd.Timestamp(dt.min()), pd.Timestamp(dt.max())
    row = row[ok]
    heard = row >= 0
    heard_m = _heard_matrix(per, row, heard, len(idx), len(a))  # period x account: heard from in that period
    dec_m = _heard_matrix(per, row, heard & dec[ok], len(idx), len(a)) if dec is not None else None
    rev = a[revenue].to_numpy(dtype="float64")
    rows = []
    for i, p in enumerate(idx):
        partial = bool((i == 0 and first.normalize() > p.start_time)
                       or (i == len(idx) - 1 and last.normalize() < p.end_time.normalize()))
        rows.append(_coverage_row(str(p), rev, _customers_in(a, p), heard_m[i], None if dec_m is None else dec_m[i],
                                  partial))
    rows.append(_coverage_row("whole period", rev, np.ones(len(a), dtype=bool), heard_m.any(axis=0),
                              None if dec_m is None else dec_m.any(axis=0), False))
    out = pd.DataFrame(rows)
    out["below_target"] = out["share_heard"] < target
    if dec_m is not None:
        out["decision_below_target"] = out["share_decision"] < target
    return out[cols]


def _coverage_columns(decision: bool) -> list[str]:
    """The columns of :func:`revenue_coverage`."""
    cols = ["period", "accounts", "revenue", "accounts_heard", "revenue_heard", "share_heard", "partial",
            "below_target"]
    if decision:
        cols[6:6] = ["revenue_decision", "share_decision"]
        cols.append("decision_below_target")
    return cols


def _periods(dt: np.ndarray, freq: str) -> tuple[pd.PeriodIndex, np.ndarray]:
    """The calendar periods spanned by the dates, and the period (0, 1, ...) of each date.

    Through a table of the days spanned, never a Period per row.
    """
    day = dt.astype("datetime64[D]").view("int64")
    d0, d1 = int(day.min()), int(day.max())
    span = pd.DatetimeIndex(np.arange(d0, d1 + 1).astype("datetime64[D]").astype("datetime64[ns]"))
    span_per = to_period(pd.Series(span), freq)
    idx = pd.period_range(span_per.iloc[0], span_per.iloc[-1], freq=span_per.iloc[0].freq)
    return idx, span_per.array.asi8[day - d0] - idx[0].ordinal  # 0 .. len(idx) - 1


def _heard_matrix(per: np.ndarray, row: np.ndarray, mask: np.ndarray, n_periods: int, n_accounts: int) -> np.ndarray:
    """Period x account: True where a response of ``mask`` was given in that period."""
    m = np.zeros((n_periods, n_accounts), dtype=bool)
    m[per[mask], row[mask]] = True
    return m


def _customers_in(a: pd.DataFrame, p: pd.Period) -> np.ndarray:
    """The accounts that were customers in the period: started by its end, not churned before its start."""
    act = pd.Series(True, index=a.index)
    if "start_at" in a:
        act &= ~(a["start_at"] > p.end_time).fillna(False).astype(bool)
    if "churned" in a and "outcome_at" in a:
        gone = (a["churned"] == True).fillna(False).astype(bool) & (a["outcome_at"] < p.start_time)  # noqa: E712
        act &= ~gone.fillna(False).astype(bool)
    return act.to_numpy(dtype=bool)


def _coverage_row(period: str, rev: np.ndarray, act: np.ndarray, heard: np.ndarray, dec: np.ndarray | None,
                  partial: bool) -> dict:
    """A row of :func:`revenue_coverage`: the customers ``act`` of a period, those heard from (by a decision maker)."""
    m = heard & act
    tot = float(rev[act].sum())
    out = {"period": period, "accounts": int(act.sum()), "revenue": tot, "accounts_heard": int(m.sum()),
           "revenue_heard": float(rev[m].sum())}
    out["share_heard"] = out["revenue_heard"] / tot if tot > 0 else np.nan
    if dec is not None:
        md = dec & act
        out["revenue_decision"] = float(rev[md].sum())
        out["share_decision"] = out["revenue_decision"] / tot if tot > 0 else np.nan
    out["partial"] = partial
    return out
