"""Value at stake, in the client's currency: the revenue each root cause exposes.

Every amount is the annual recurring revenue (``revenue`` of the accounts
table) of the accounts a cause touches, counted once per account and only
for accounts still customers at the data's as-of date. An amount measures
exposure, not a forecast: where it comes from an association (churn rates
by NPS category) it is an upper bound of what acting could keep, and the
report says what test would make it causal (a randomised follow-up or a
holdout of accounts). Nothing here depends on the day it runs: time
windows count from ``prep.as_of``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..clean import Prepared
from ..findings import Diagnosis, Finding
from ..linking import decision_makers, latest_response, positions, remap

__all__ = ["money", "value_total", "active", "open_detractors", "decision_makers_unheard", "segment_revenue",
           "excess_churn_revenue", "renewal_risk", "latest_category", "open_detractor_rows", "RENEWAL_WINDOW_DAYS",
           "OPEN_DAYS"]

#: "Renewing soon": an open outcome date within this many days after the as-of date (two quarters).
RENEWAL_WINDOW_DAYS = 183
#: A detractor waiting longer than this before the as-of date is no longer an open risk.
OPEN_DAYS = 365


def money(value: float | None, currency: str | None = None) -> str:
    """An amount the way a CEO reads it: 'USD 7.2M', '840k', 'n/a'.

    Examples
    --------
    >>> money(7_231_000, "USD"), money(840_000), money(None)
    ('USD 7.2M', '840k', 'n/a')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    a = abs(value)
    text = (f"{value / 1e9:.1f}bn" if a >= 1e9 else f"{value / 1e6:.1f}M" if a >= 1e6
            else f"{value / 1e3:.0f}k" if a >= 1e3 else f"{value:.0f}")
    return f"{currency} {text}" if currency else text


def value_total(prep: Prepared) -> float | None:
    """The ARR of the accounts table (each account once), or None without revenue."""
    acc = prep.accounts
    if acc is None or "revenue" not in acc or "account_id" not in acc:
        return None
    total = float(acc.drop_duplicates("account_id")["revenue"].sum())
    return total if total > 0 else None


def active(acc: pd.DataFrame) -> pd.Series:
    """Accounts still customers as of the data's date: not churned (unknown outcome or retained)."""
    return ~(acc["churned"] == True).fillna(False).astype(bool)  # noqa: E712 - nullable boolean


def open_detractor_rows(prep: Prepared, diag: Diagnosis) -> pd.DataFrame:
    """The callback queue's detractors still waiting for a call before their account's next renewal.

    A queued detractor (status "not followed up", from the decay area's ``callback_queue.csv``) counts when
    its account is still a customer and its response came after the account's last known renewal (or the
    account's renewal is still open), within :data:`OPEN_DAYS` days of the as-of date: a detractor from two
    years and one renewal ago is history, not an open risk.
    """
    decay = diag.areas.get("decay")
    q = decay.exports.get("callback_queue.csv") if decay is not None else None
    if q is None or not len(q) or "status" not in q or "account_id" not in q:
        return pd.DataFrame(columns=["account_id", "arr"])
    q = q[q["status"].astype(str).str.startswith("not followed up") & q["account_id"].notna()]
    q = q.assign(account_id=q["account_id"].astype(str))
    if prep.as_of is not None and "responded_at" in q:
        q = q[pd.to_datetime(q["responded_at"]) > prep.as_of - pd.Timedelta(days=OPEN_DAYS)]
    acc = prep.accounts
    if acc is not None and "account_id" in acc:
        a = acc.drop_duplicates("account_id").assign(account_id=lambda d: d["account_id"].astype(str))
        a = a.set_index("account_id")
        churned = q["account_id"].map(a["churned"]) if "churned" in a else pd.Series(pd.NA, index=q.index)
        gone = (churned == True).fillna(False).astype(bool)  # noqa: E712 - nullable boolean
        if "outcome_at" in a:
            renewed = q["account_id"].map(a["outcome_at"])
            # a retained account renewed at outcome_at: only detractors after that renewal are still open
            before_renewal = (churned == False).fillna(False).astype(bool) & (  # noqa: E712
                pd.to_datetime(q["responded_at"]) <= renewed)
            gone |= before_renewal.fillna(False).astype(bool)
        q = q[~gone.to_numpy()]
    return q


def open_detractors(prep: Prepared, diag: Diagnosis) -> tuple[float | None, int]:
    """ARR of active accounts with a detractor still waiting for a call (:func:`open_detractor_rows`)."""
    rows = open_detractor_rows(prep, diag)
    if not len(rows) or "arr" not in rows:
        return None, 0
    per_account = rows.drop_duplicates("account_id")
    arr = pd.to_numeric(per_account["arr"], errors="coerce")
    # accounts the CRM export knows (an id matching no account has no ARR and is not counted)
    return (float(arr.sum()) if arr.notna().any() else None), int(arr.notna().sum())


def decision_makers_unheard(prep: Prepared) -> tuple[float | None, int]:
    """ARR of active accounts renewing in the two quarters after the as-of date with no decision-maker response in
    the year before it."""
    acc, r = prep.accounts, prep.responses
    if (acc is None or prep.as_of is None or not {"revenue", "outcome_at", "account_id"} <= set(acc)
            or "role" not in r or "account_id" not in r):
        return None, 0
    deciders, decides = decision_makers(prep)
    if not deciders:
        return None, 0
    a = acc.drop_duplicates("account_id")
    horizon = prep.as_of + pd.Timedelta(days=RENEWAL_WINDOW_DAYS)
    soon = a[active(a) & (a["outcome_at"] > prep.as_of) & (a["outcome_at"] <= horizon)]
    ids, account, year = _heard_in_year(prep, prep.as_of, up_to_as_of=False)
    heard = np.zeros(len(ids), dtype=bool)
    heard[account[year & decides]] = True
    unheard = soon[positions(ids[heard], soon["account_id"].astype(str)) < 0]
    return float(unheard["revenue"].sum()), int(len(unheard))


def latest_category(prep: Prepared) -> pd.Series:
    """The category of each account's latest analysed response up to the as-of date (index: account id as text)."""
    return latest_response(prep)["category"]


def segment_revenue(prep: Prepared, f: Finding) -> float | None:
    """ARR exposed in the segment a hidden-segment finding names: its active accounts whose latest score is a
    detractor's (revenue at risk in the segment, not the segment's whole revenue)."""
    acc, r = prep.accounts, prep.responses
    dim, value = f.evidence.get("dimension"), f.evidence.get("segment")
    if acc is None or "revenue" not in acc or dim is None or value is None:
        return None
    a = acc.drop_duplicates("account_id")
    a = a[active(a)]
    if dim in a:
        ids = set(a.loc[a[dim].astype(str) == str(value), "account_id"].astype(str))
    elif dim in r and "account_id" in r:  # the segment's responses found on the codes of its distinct values
        sc, su = prep.codes(dim)
        ac, au = prep.codes("account_id")
        named = np.append(pd.Index(su).astype(str) == str(value), False)[np.asarray(sc)]
        ac = np.asarray(ac)[named]
        ids = set(pd.Index(au)[np.unique(ac[ac >= 0])].astype(str))
    else:
        return None
    cat = latest_category(prep)
    unhappy = set(cat.index[cat.to_numpy() == "detractor"]) & ids
    return float(a.loc[positions(sorted(unhappy), a["account_id"].astype(str)) >= 0, "revenue"].sum())


def excess_churn_revenue(prep: Prepared, diag: Diagnosis) -> tuple[float | None, dict[str, Any]]:
    """Revenue expected to be lost beyond promoters' churn rate by today's active detractor and passive accounts.

    The churn rate of each category (churned accounts with a known outcome, from the outcome area) minus the
    promoters' rate, times the ARR of the active accounts whose latest score before the as-of date is in that
    category: an association, so an upper bound of what moving them to promoters could keep.
    """
    out = diag.areas.get("outcome")
    table = out.tables.get("churn_by_category") if out is not None else None
    acc, r = prep.accounts, prep.responses
    if table is None or not len(table) or acc is None or "revenue" not in acc or "account_id" not in r:
        return None, {}
    rates = table.set_index("category")["churn_rate"].to_dict()
    if "promoter" not in rates:
        return None, {}
    a = acc.drop_duplicates("account_id")
    a = a[active(a) & a["churned"].isna()]  # outcome still open: the revenue at stake now
    cat = a["account_id"].astype(str).map(latest_category(prep))
    value = 0.0
    for c in ("detractor", "passive"):
        excess = max(0.0, float(rates.get(c, np.nan)) - float(rates["promoter"])) if c in rates else 0.0
        value += excess * float(a.loc[cat == c, "revenue"].sum())
    churned = table["churned_revenue"].sum() if "churned_revenue" in table else np.nan
    revenue = table["revenue"].sum() if "revenue" in table else np.nan
    return value, {"churned_revenue": float(churned), "revenue_with_outcome": float(revenue),
                   "rates": {k: float(v) for k, v in rates.items()}}




def _heard_in_year(prep: Prepared, as_of: pd.Timestamp, up_to_as_of: bool = True
                   ) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """The accounts of the responses (their ids as text), each response's account among them (-1: none), and
    which responses were given in the year before ``as_of`` (an account id and a date after as_of - 365 days,
    and not after ``as_of`` when ``up_to_as_of``): grouped on integer codes, not on the export's text ids."""
    r = prep.responses
    codes, uniques = prep.codes("account_id")
    key, ids = pd.factorize(pd.Index(uniques).astype(str))  # ids equal as text are one account (1 and "1")
    account = remap(np.asarray(codes), key)
    at = r["responded_at"].to_numpy(dtype="datetime64[ns]")
    start = np.datetime64((as_of - pd.Timedelta(days=365)).to_datetime64(), "ns")
    year = (account >= 0) & (at > start)
    if up_to_as_of:
        year &= at <= np.datetime64(as_of.to_datetime64(), "ns")
    return pd.Index(ids), account, year


def renewal_risk(prep: Prepared, diag: Diagnosis) -> pd.DataFrame:
    """The account-level renewal-risk list: every active account, what the programme knows of it, riskiest first.

    CRM-ready (``renewal_risk.csv`` beside the callback queue): one row per account still a customer at the
    as-of date.

    Returns
    -------
    DataFrame
        ``risk`` (high / medium / low), ``account_id``, ``account_name``, ``renewal_date`` (an open outcome date
        after the as-of date), ``arr``, ``latest_score``, ``latest_category``, ``last_heard`` (date of the latest
        analysed response), ``days_since_heard`` (to the as-of date), ``people_heard_12m`` (distinct respondents
        in the year before the as-of date), ``decision_maker_heard_12m``, ``open_detractor`` (a detractor not
        followed up, from the callback queue), ``reasons`` (why the risk level).

    Notes
    -----
    High: an open detractor, or the latest score a detractor's. Medium: the latest score a passive's, nobody
    heard in the year before the as-of date, or, where roles are known, no decision maker heard in that year.
    Low otherwise. Within a level, renewals due first, then the largest ARR.
    """
    r, acc = prep.responses, prep.accounts
    if "account_id" not in r:
        return pd.DataFrame()
    as_of = prep.as_of if prep.as_of is not None else r["responded_at"].max()
    if acc is not None and "account_id" in acc:
        a = acc.drop_duplicates("account_id")
        a = a[active(a)] if "churned" in a else a
        base = pd.DataFrame({"account_id": a["account_id"].astype(str).to_numpy()})
        base["account_name"] = a["name"].to_numpy() if "name" in a else pd.NA
        open_ = ((a["churned"].isna() if "churned" in a else True) & (a["outcome_at"] > as_of)
                 if "outcome_at" in a else pd.Series(False, index=a.index))
        base["renewal_date"] = a["outcome_at"].where(open_).to_numpy() if "outcome_at" in a else pd.NaT
        base["arr"] = a["revenue"].to_numpy() if "revenue" in a else np.nan
    else:
        base = pd.DataFrame({"account_id": r["account_id"].dropna().astype(str).unique()})
        base["account_name"], base["renewal_date"], base["arr"] = pd.NA, pd.NaT, np.nan
    latest = latest_response(prep)
    base["latest_score"] = base["account_id"].map(latest["score"])
    base["latest_category"] = base["account_id"].map(latest["category"]).astype("object")
    base["last_heard"] = base["account_id"].map(latest["responded_at"])
    base["days_since_heard"] = (as_of - base["last_heard"]).dt.days
    ids, account, year = _heard_in_year(prep, as_of)
    pos = ids.get_indexer(base["account_id"])
    who = "respondent_id" if "respondent_id" in r else "response_id" if "response_id" in r else None
    if who:  # distinct people (or responses) per account: distinct (account, person) pairs counted
        person = np.asarray(prep.codes(who)[0], dtype=np.int64)
        m = year & (person >= 0)
        width = int(person.max()) + 1 if len(person) else 1
        pairs = pd.unique(account[m].astype(np.int64) * width + person[m])
        heard = np.bincount(pairs // width, minlength=len(ids))
    else:
        heard = np.bincount(account[year], minlength=len(ids))
    base["people_heard_12m"] = np.where(pos >= 0, heard[np.maximum(pos, 0)] if len(ids) else 0, 0).astype(int)
    roles = "role" in r and r["role"].notna().any()
    if roles:
        flag = np.zeros(len(ids), dtype=bool)
        flag[account[year & decision_makers(prep)[1]]] = True
        base["decision_maker_heard_12m"] = np.where(pos >= 0, flag[np.maximum(pos, 0)] if len(ids) else False,
                                                    False)
    base["open_detractor"] = positions(open_detractor_rows(prep, diag)["account_id"], base["account_id"]) >= 0
    reasons = np.full(len(base), "", dtype=object)
    for mask, why in ((base["open_detractor"], "unhappy customer not called back"),
                      (base["latest_category"] == "detractor", "latest score a detractor's"),
                      (base["latest_category"] == "passive", "latest score a passive's"),
                      (base["people_heard_12m"] == 0, "nobody heard in the past year"),
                      (~base["decision_maker_heard_12m"] if roles else pd.Series(False, index=base.index),
                       "no decision maker heard in the past year")):
        m = mask.fillna(False).to_numpy(dtype=bool)
        reasons[m] = np.where(reasons[m] == "", why, reasons[m] + "; " + why)
    high = (base["open_detractor"] | (base["latest_category"] == "detractor")).to_numpy(dtype=bool)
    medium = (reasons != "") & ~high
    base["risk"] = np.where(high, "high", np.where(medium, "medium", "low"))
    base["reasons"] = reasons
    order = base["risk"].map({"high": 0, "medium": 1, "low": 2})
    base = base.assign(_o=order).sort_values(["_o", "renewal_date", "arr"], ascending=[True, True, False],
                                             na_position="last").drop(columns="_o")
    cols = ["risk", "account_id", "account_name", "renewal_date", "arr", "latest_score", "latest_category",
            "last_heard", "days_since_heard", "people_heard_12m", "decision_maker_heard_12m", "open_detractor",
            "reasons"]
    return base[[c for c in cols if c in base]].reset_index(drop=True)
