"""The balance area: whose voice is this?

An NPS speaks for the people who answered. This area checks whether they
are the people who matter, each check a building block an analyst can call:

- the respondents' role mix against the contact population (or the
  invitations), with a goodness-of-fit test (:func:`role_mix`), and NPS by
  role with the gap between roles tested (:func:`nps_by_role`);
- accounts with a single voice and how concentrated responses are across
  accounts (:func:`respondents_per_account`, :func:`voice_distribution`,
  :func:`concentration`, :func:`top_share_null`, :func:`lorenz_curve`);
- revenue coverage per quarter: share of ARR with any response and with a
  decision-maker response (:func:`revenue_coverage`);
- non-response bias: invited people who answered against those who did not,
  on role, segments, ARR and churn (:func:`match_invitations`,
  :func:`nonresponse_bias`, :func:`response_rates`);
- a balance-adjusted NPS beside the raw one (:func:`adjusted_nps`).

Decision makers are the roles of ``settings.decision_roles`` or, when it is
not set, roles whose names say so (:func:`decision_roles`).

On large exports :func:`diagnose` counts on integer codes of the ids
(``prep.codes``), matches the tables' ids once on their distinct values, and
tests non-response on counts per level and per account; the building blocks
above take plain DataFrames and give the same tables.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ... import plots
from ...clean import Prepared
from ...findings import AreaResult, Figure, Finding, not_assessed, worst
from ...fmt import num, p_eq, pct, pts
from ...linking import DECISION_PATTERN, decision_roles
from ...linking import first_rows as _first_rows
from ...linking import positions as _positions
from ...plots import err
from ...stats.multiplicity import bh_adjust
from ...stats.nps import Breaks, nps_diff_test, nps_table, to_period
from ...stats.proportions import cramers_v_gof, wilson_interval
from ...stats.weighting import account_weights, poststratify, weighted_nps

__all__ = ["diagnose", "decision_roles", "role_mix", "nps_by_role", "respondents_per_account", "voice_distribution",
           "lorenz_curve", "concentration", "top_share_null", "revenue_coverage", "match_invitations",
           "invitation_attributes", "nonresponse_bias", "response_rates", "response_design_effect", "adjusted_nps",
           "DECISION_PATTERN", "DOMINANT_SHARE", "SIMULATE_MAX_ACCOUNTS"]

#: A role giving this share of responses or more dominates the voice.
DOMINANT_SHARE = 0.6
#: Above this many responding accounts, :func:`concentration` uses its analytic null instead of simulations.
SIMULATE_MAX_ACCOUNTS = 2500


# --------------------------------------------------------------------------- integer codes
# Large exports are counted on integer codes (pandas.factorize, numpy.bincount), never on strings per row.


def _factorize(values) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 = missing) and the distinct values (object array), as :func:`pandas.factorize`.

    A categorical column gives its own codes and categories (some may be unused: count before use).
    """
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        cat = values.array if isinstance(values, pd.Series | pd.Index) else values
        return np.asarray(cat.codes, dtype=np.intp), np.asarray(cat.categories, dtype=object)
    codes, uniq = pd.factorize(values)
    return np.asarray(codes, dtype=np.intp), np.asarray(uniq, dtype=object)


def _remap(codes: np.ndarray, mapping: np.ndarray) -> np.ndarray:
    """``mapping[codes]`` where codes >= 0, else -1."""
    ext = np.append(np.asarray(mapping, dtype=np.intp), -1)  # code -1 picks the appended -1
    return ext[codes]


def _text_codes(values, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Codes of a column read as text (values that read the same are one level, as ``astype(str)``).

    Returns codes (-1 = missing) and the labels (str, in text order when ``sort``, else in order of appearance).
    """
    codes, uniq = _factorize(values)
    if not len(uniq):
        return codes, np.array([], dtype=object)
    lab = np.array([str(u) for u in uniq], dtype=object)
    if sort or len(set(lab)) < len(lab):
        c2, lab2 = pd.factorize(lab, sort=sort)
        codes, lab = _remap(codes, np.asarray(c2, dtype=np.intp)), np.asarray(lab2, dtype=object)
    return codes, lab


def _sorted_codes(values) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values (as written), values in sorted order (text order when they do not compare)."""
    codes, uniq = _factorize(values)
    try:
        order = np.argsort(uniq, kind="stable")
    except TypeError:
        order = np.argsort(np.array([str(u) for u in uniq], dtype=object), kind="stable")
    rank = np.empty(len(uniq), dtype=np.intp)
    rank[order] = np.arange(len(uniq))
    return _remap(codes, rank), uniq[order]


def _category_codes(scores, breaks: Breaks) -> np.ndarray:
    """0 detractor, 1 passive, 2 promoter, -1 missing score."""
    s = np.asarray(scores, dtype="float64")
    return np.where(np.isnan(s), -1, np.where(s <= breaks.detractor_max, 0, np.where(s >= breaks.promoter_min, 2, 1)))


def _bool(values) -> np.ndarray:
    """A boolean column as a numpy array, missing as False."""
    return pd.Series(values).fillna(False).to_numpy(dtype=bool)


def _counts(codes: np.ndarray, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Count (or sum ``weights``) per code 0..k-1; code -1 is left out."""
    return np.bincount(np.asarray(codes) + 1, weights=weights, minlength=k + 1)[1:]


def _text_order(values) -> np.ndarray:
    """Rank of each value in text order (ties keep their order)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(values.array if isinstance(values, pd.Index | pd.Series) else values, from_pandas=True)
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            order = np.asarray(pc.sort_indices(arr).to_numpy(), dtype=np.intp)
        else:
            raise TypeError
    except Exception:  # noqa: BLE001 - not text or no pyarrow: numpy's object sort
        order = np.argsort(np.array([str(v) for v in values], dtype=object), kind="stable")
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order))
    return rank


def _nps_table(counts: np.ndarray, confidence: float) -> pd.DataFrame:
    """The columns of :func:`npsdiag.metrics.nps` from a (groups x 3) table of detractor/passive/promoter counts."""
    return nps_table(counts, confidence)


# --------------------------------------------------------------------------- roles


def _unify_role_codes(parts: list[tuple[np.ndarray, Any] | None]) -> tuple[list[np.ndarray | None], list[str]]:
    """Role labels comparable across tables: one spelling for values equal but for case and spaces.

    ``parts`` holds ``(codes, uniques)`` of each table's role column (:func:`pandas.factorize`), or None.
    Returns each part's codes into one list of labels (the most common spelling of each role, in order of
    first appearance across the parts; -1 = missing or blank) and the labels. Works on the few distinct
    values, never on every row.
    """
    total: dict[str, int] = {}
    stripped: list[list[str] | None] = []
    for part in parts:
        if part is None:
            stripped.append(None)
            continue
        codes, uniq = part
        cnt = _counts(np.asarray(codes), len(uniq))
        st = ["" if pd.isna(u) else str(u).strip() for u in uniq]
        for v, c in zip(st, cnt):
            if v and c > 0:
                total[v] = total.get(v, 0) + int(c)
        stripped.append(st)
    label: dict[str, str] = {}
    for v in sorted(total, key=lambda x: -total[x]):  # most common spelling first (stable for ties)
        label.setdefault(re.sub(r"\s+", " ", v).casefold(), v)
    labels: dict[str, int] = {}
    out: list[np.ndarray | None] = []
    for part, st in zip(parts, stripped):
        if part is None or st is None:
            out.append(None)
            continue
        m = np.array([labels.setdefault(label[re.sub(r"\s+", " ", v).casefold()], len(labels)) if v else -1
                      for v in st], dtype=np.intp)
        out.append(_remap(np.asarray(part[0], dtype=np.intp), m))
    return out, list(labels)


def _unify_roles(*series: pd.Series | None) -> list[pd.Series | None]:
    """Make role labels comparable across tables: same spelling for values equal but for case/spaces."""
    codes, labels = _unify_role_codes([None if s is None else pd.factorize(s) for s in series])
    return [None if s is None else pd.Series(pd.Categorical.from_codes(c, categories=labels), index=s.index)
            for s, c in zip(series, codes)]


def role_mix(
    data: pd.DataFrame,
    role: str = "role",
    population: pd.DataFrame | None = None,
    population_role: str = "role",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Respondents' role mix, against a population's where one is given.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    role : str
        Role column of ``data``.
    population : DataFrame, optional
        The people who could have answered (contacts) or who were asked
        (invitations), one row per person or invitation.
    population_role : str
        Role column of ``population``.
    confidence : float
        Confidence level of the share intervals (Wilson).

    Returns
    -------
    DataFrame
        One row per role, most responses first: ``role``, ``responses``,
        ``share`` with ``ci_low``, ``ci_high``; with a population also
        ``population``, ``population_share``, ``difference`` (share -
        population share), ``representation`` (share / population share),
        ``std_residual`` ((O - E) / sqrt(E)), ``p_value`` (exact binomial
        test of the role's share) and ``p_adj`` (Benjamini-Hochberg).
        Responses without a role are left out (their count is in
        ``attrs["missing_role"]``). ``attrs["test"]`` holds the chi-square
        goodness-of-fit test over roles present in the population:
        ``chi2``, ``dof``, ``p_value``, ``cramers_v`` (sqrt(chi2 / (n (k - 1)))),
        ``n``, ``roles``, and ``dominant_role`` / ``dominant_share``.

    Notes
    -----
    Expected counts are n times the population shares of the roles present
    in the population; roles absent from the population are shown but not
    tested (``attrs["not_in_population"]``).

    Examples
    --------
    >>> d = pd.DataFrame({"role": ["user"] * 80 + ["exec"] * 20})
    >>> c = pd.DataFrame({"role": ["user"] * 50 + ["exec"] * 50})
    >>> t = role_mix(d, population=c)
    >>> round(t.attrs["test"]["chi2"], 1), round(t.attrs["test"]["cramers_v"], 2)
    (36.0, 0.6)
    """
    counts, missing = _role_counts(data[role]) if role in data else (pd.Series(dtype="int64"), len(data))
    pop_counts = None
    if population is not None and population_role in population and population[population_role].notna().any():
        pop_counts = _role_counts(population[population_role])[0]
    return _role_mix_from_counts(counts, missing, pop_counts, confidence)


def _role_counts(values: pd.Series) -> tuple[pd.Series, int]:
    """Count per role (as text), most first (ties in order of appearance), and the number of missing roles."""
    codes, lab = _text_codes(values)
    cnt = _counts(codes, len(lab))
    counts = pd.Series(cnt, index=pd.Index(lab, dtype=object))
    counts = counts[counts > 0].sort_values(ascending=False, kind="stable")
    return counts, int((codes < 0).sum())


def _role_mix_from_counts(counts: pd.Series, missing: int, pop_counts: pd.Series | None,
                          confidence: float) -> pd.DataFrame:
    """:func:`role_mix` from the responses (and population) per role."""
    n = int(counts.sum())
    out = pd.DataFrame({"role": counts.index.astype(str), "responses": counts.to_numpy().astype(int)})
    out["share"] = out["responses"] / n if n else np.nan
    lo, hi = wilson_interval(out["responses"], n, confidence)
    out["ci_low"], out["ci_high"] = lo, hi
    test: dict[str, Any] = {"n": n, "roles": int(len(out))}
    if len(out):
        test["dominant_role"] = out["role"].iloc[0]
        test["dominant_share"] = float(out["share"].iloc[0])
        test["dominant_ci_low"] = float(out["ci_low"].iloc[0])
    out.attrs["missing_role"] = int(missing)
    if pop_counts is not None and len(pop_counts):
        pc = pop_counts.copy()
        pc.index = pc.index.astype(str)
        out = out.merge(pd.DataFrame({"role": pc.index, "population": pc.to_numpy().astype(int)}), on="role",
                        how="outer")
        out["responses"] = out["responses"].fillna(0).astype(int)
        out["population"] = out["population"].fillna(0).astype(int)
        in_pop = out["population"] > 0
        n_t = int(out.loc[in_pop, "responses"].sum())
        out["share"] = out["responses"] / n if n else np.nan
        lo, hi = wilson_interval(out["responses"], n, confidence)
        out["ci_low"], out["ci_high"] = lo, hi
        out["population_share"] = out["population"] / out["population"].sum()
        out["difference"] = out["share"] - out["population_share"]
        with np.errstate(invalid="ignore", divide="ignore"):
            out["representation"] = np.where(in_pop, out["share"] / out["population_share"], np.nan)
        pshare_t = out["population"] / out.loc[in_pop, "population"].sum()
        expected = n_t * pshare_t
        with np.errstate(invalid="ignore", divide="ignore"):
            out["std_residual"] = np.where(in_pop, (out["responses"] - expected) / np.sqrt(expected), np.nan)
        pv = [float(stats.binomtest(int(k), n_t, float(p)).pvalue) if ip and n_t > 0 and 0 < p < 1 else np.nan
              for k, p, ip in zip(out["responses"], pshare_t, in_pop)]
        out["p_value"] = pv
        out["p_adj"] = bh_adjust(out["p_value"])
        out.attrs["not_in_population"] = out.loc[~in_pop, "role"].tolist()
        k = int(in_pop.sum())
        if k >= 2 and n_t > 0:
            o = out.loc[in_pop, "responses"].to_numpy(dtype="float64")
            e = expected[in_pop].to_numpy(dtype="float64")
            chi2 = float(((o - e) ** 2 / e).sum())
            test.update(chi2=chi2, dof=k - 1, p_value=float(stats.chi2.sf(chi2, k - 1)),
                        cramers_v=cramers_v_gof(chi2, n_t, k), n_tested=n_t)
        out = out.sort_values(["responses", "population"], ascending=False).reset_index(drop=True)
    out.attrs["test"] = test
    return out


def nps_by_role(
    data: pd.DataFrame,
    role: str = "role",
    score: str = "score",
    confidence: float = 0.95,
    min_n: int = 30,
    min_test_n: int = 10,
    breaks: Breaks = Breaks(),
) -> pd.DataFrame:
    """NPS per role with its interval, each role tested against the others.

    Parameters
    ----------
    data : DataFrame
        One row per response.
    role, score : str
        Column names.
    confidence : float
        Confidence level.
    min_n : int
        Roles with fewer responses are shown but marked not reportable.
    min_test_n : int
        Roles with fewer responses are not tested.

    Returns
    -------
    DataFrame
        One row per role: ``role``, ``n``, the NPS columns of
        :func:`npsdiag.metrics.nps` (``nps``, ``ci_low``, ``ci_high``,
        ``moe``, ``pct_*``), ``diff_vs_rest`` (points), ``p_value``
        (two-sample Wald test against all other responses), ``p_adj``
        (Benjamini-Hochberg) and ``reportable``. ``attrs["test"]``: chi-square
        test of independence of category (detractor/passive/promoter) and role
        over the tested roles (``chi2``, ``dof``, ``p_value``, ``cramers_v``).

    Examples
    --------
    >>> d = pd.DataFrame({"role": ["user"] * 50 + ["exec"] * 50, "score": [10] * 50 + [0] * 50})
    >>> nps_by_role(d).set_index("role")["diff_vs_rest"].to_dict()
    {'exec': -200.0, 'user': 200.0}
    """
    cols = ["role", "n", "nps", "ci_low", "ci_high", "moe", "pct_detractors", "pct_passives", "pct_promoters",
            "diff_vs_rest", "p_value", "p_adj", "reportable"]
    if role not in data:
        t = pd.DataFrame(columns=cols)
        t.attrs["test"] = {}
        return t
    codes, roles = _sorted_codes(data[role])
    cat = _category_codes(data[score], breaks)
    return _nps_by_role_codes(codes, roles, cat, confidence, min_n, min_test_n)


def _nps_by_role_codes(codes: np.ndarray, roles: np.ndarray, cat: np.ndarray, confidence: float, min_n: int,
                       min_test_n: int) -> pd.DataFrame:
    """:func:`nps_by_role` from role codes (into ``roles``, in sorted order) and category codes per response."""
    cols = ["role", "n", "nps", "ci_low", "ci_high", "moe", "pct_detractors", "pct_passives", "pct_promoters",
            "diff_vs_rest", "p_value", "p_adj", "reportable"]
    ok = (codes >= 0) & (cat >= 0)
    tab = np.bincount(codes[ok] * 3 + cat[ok], minlength=3 * len(roles)).reshape(-1, 3)
    seen = tab.sum(axis=1) > 0
    if not seen.any():
        t = pd.DataFrame(columns=cols)
        t.attrs["test"] = {}
        return t
    t = _nps_table(tab[seen], confidence)
    t.insert(0, "role", np.asarray(roles, dtype=object)[seen])
    tot = t[["detractors", "passives", "promoters"]].sum()
    diffs, ps = [], []
    for _, row in t.iterrows():
        mine = (row["detractors"], row["passives"], row["promoters"])
        rest = tuple(tot[c] - row[c] for c in ("detractors", "passives", "promoters"))
        if row["n"] < min_test_n or sum(rest) < min_test_n:
            diffs.append(np.nan)
            ps.append(np.nan)
            continue
        res = nps_diff_test(mine, rest, confidence=confidence)
        diffs.append(res.diff)
        ps.append(res.p_value)
    t["diff_vs_rest"] = diffs
    t["p_value"] = ps
    t["p_adj"] = bh_adjust(t["p_value"])
    t["reportable"] = t["n"] >= min_n
    tested = t[t["n"] >= min_test_n]
    test: dict[str, Any] = {}
    if len(tested) >= 2:
        tab = tested[["detractors", "passives", "promoters"]].to_numpy(dtype="float64")
        tab = tab[:, tab.sum(axis=0) > 0]
        if tab.shape[1] >= 2:
            chi2, p, dof, _ = stats.chi2_contingency(tab, correction=False)
            nn = tab.sum()
            v = math.sqrt(chi2 / (nn * (min(tab.shape) - 1)))
            test = {"chi2": float(chi2), "dof": int(dof), "p_value": float(p), "cramers_v": v, "n": int(nn),
                    "roles": int(len(tested))}
    t = t.sort_values("n", ascending=False).reset_index(drop=True)
    t = t[cols]
    t.attrs["test"] = test
    return t


# --------------------------------------------------------------------------- accounts


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
    acodes, accounts = _factorize(data[account])
    rcodes = _factorize(data[respondent])[0] if respondent and respondent in data else None
    return _per_account(acodes, accounts, rcodes)[0]


def _per_account(acodes: np.ndarray, accounts, rcodes: np.ndarray | None) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`respondents_per_account` from account codes (into ``accounts``) and respondent codes per response.

    A response without a respondent (code -1, or no respondent codes at all) is a distinct respondent.
    Also returns the account code of each row of the table.
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
    order = seen[np.lexsort((_text_order(pd.Index(accounts)[seen]) if len(seen) else seen, -responses[seen]))]
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
    """
    rev = None if revenue is None else per_account["account"].map(revenue).to_numpy(dtype="float64", na_value=np.nan)
    return _voice_distribution(per_account, rev)


def _voice_distribution(per_account: pd.DataFrame, rev: np.ndarray | None) -> pd.DataFrame:
    """:func:`voice_distribution` with the revenue of each row of ``per_account`` (NaN: unknown)."""
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


def lorenz_curve(counts) -> pd.DataFrame:
    """Lorenz curve of responses across accounts.

    Parameters
    ----------
    counts : array-like
        Responses per account.

    Returns
    -------
    DataFrame
        ``share_accounts`` (cumulative share of accounts, smallest first) and
        ``share_responses`` (cumulative share of responses), from (0, 0) to (1, 1).

    Examples
    --------
    >>> lorenz_curve([1, 3]).round(2).to_dict("list")
    {'share_accounts': [0.0, 0.5, 1.0], 'share_responses': [0.0, 0.25, 1.0]}
    """
    c = np.sort(np.asarray(counts, dtype="float64"))
    n = len(c)
    if n == 0 or c.sum() == 0:
        return pd.DataFrame({"share_accounts": [0.0, 1.0], "share_responses": [0.0, 1.0]})
    x = np.concatenate([[0.0], np.arange(1, n + 1) / n])
    y = np.concatenate([[0.0], np.cumsum(c) / c.sum()])
    return pd.DataFrame({"share_accounts": x, "share_responses": y})


def _top_share(c: np.ndarray, top: float) -> np.ndarray:
    """Share of the total held by the top ``top`` fraction of units (Lorenz curve interpolated); rows = samples."""
    c = np.sort(np.atleast_2d(c), axis=1)
    n = c.shape[1]
    cum = np.concatenate([np.zeros((c.shape[0], 1)), np.cumsum(c, axis=1)], axis=1)
    total = cum[:, -1]
    x = (1 - top) * n
    i = int(np.floor(x))
    frac = x - i
    below = cum[:, i] + (frac * (cum[:, i + 1] - cum[:, i]) if i < n else 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1 - below / total


def _gini(c: np.ndarray) -> np.ndarray:
    c = np.sort(np.atleast_2d(c).astype("float64"), axis=1)
    n = c.shape[1]
    i = np.arange(1, n + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (2 * (c * i).sum(axis=1) / (n * c.sum(axis=1))) - (n + 1) / n


def concentration(
    counts,
    weights=None,
    top: float = 0.10,
    n_sim: int = 400,
    seed: int = 0,
    max_sim_accounts: int = SIMULATE_MAX_ACCOUNTS,
) -> dict[str, Any]:
    """How concentrated responses are across accounts.

    Parameters
    ----------
    counts : array-like
        Responses per responding account.
    weights : array-like, optional
        Expected relative propensity of each account to respond (e.g. its
        number of contacts); default equal.
    top : float
        Fraction of accounts whose response share is reported (0.10 = top 10%).
    n_sim : int
        Simulations of the null distribution (with at most ``max_sim_accounts``
        responding accounts).
    seed : int
        Random seed of the simulation (results are reproducible).
    max_sim_accounts : int
        With more responding accounts than this, the null distribution is
        the analytic large-sample one (see Notes) instead of simulations.

    Returns
    -------
    dict
        ``accounts``, ``responses``, ``gini`` (0 = equal, 1 = one account
        gives all), ``top_share`` (share of responses from the top ``top``
        of accounts, Lorenz curve interpolated), ``largest_share`` (largest
        account), ``expected_top_share`` (mean under the null), ``null_sd``
        (its standard deviation), ``p_value`` (probability under the null of
        a top share at least as large) and ``method`` ("simulation" or
        "analytic").

    Notes
    -----
    Gini = 2 sum_i i x_(i) / (n sum x) - (n + 1) / n with x sorted
    ascending. Null: each responding account gives one response and the
    others fall on accounts at random in proportion to ``weights``
    (multinomial), i.e. accounts differ only as much as their propensities
    say.

    Up to ``max_sim_accounts`` accounts the null is simulated: p-value =
    (1 + #{sim >= observed}) / (1 + n_sim). Above, simulating accounts one
    by one would cost n_sim x k draws, so the null is the large-sample one
    of :func:`top_share_null`: counts Poissonised, the top share written as
    a minimum over thresholds (Rockafellar & Uryasev 2000) of sums over
    accounts whose joint limit is normal (Stigler 1974), conditioned on the
    total; its cost does not grow with the data.

    References
    ----------
    .. [1] Stigler, S. M. (1974). Linear functions of order statistics with
       smooth weight functions. Annals of Statistics, 2(4), 676-693.
    .. [2] Rockafellar, R. T. & Uryasev, S. (2000). Optimization of
       conditional value-at-risk. Journal of Risk, 2, 21-42.

    Examples
    --------
    >>> r = concentration([1, 1, 1, 1, 6])
    >>> round(r["gini"], 2), round(r["top_share"], 2)
    (0.4, 0.3)
    """
    c = np.asarray(counts, dtype="float64")
    c = c[c > 0]
    k = len(c)
    nan = float("nan")
    if k == 0:
        return {"accounts": 0, "responses": 0, "gini": nan, "top_share": nan, "largest_share": nan,
                "expected_top_share": nan, "null_sd": nan, "p_value": nan, "method": None}
    n = int(c.sum())
    obs_top = float(_top_share(c, top)[0])
    out = {"accounts": k, "responses": n, "gini": float(_gini(c)[0]), "top_share": obs_top,
           "largest_share": float(c.max() / n), "expected_top_share": nan, "null_sd": nan, "p_value": nan,
           "method": None}
    if k >= 2 and n > k:
        w = np.ones(k) if weights is None else np.asarray(weights, dtype="float64")[: k]
        w = np.where(np.isfinite(w) & (w > 0), w, np.nanmedian(w[w > 0]) if (w > 0).any() else 1.0)
        if k <= max_sim_accounts:
            rng = np.random.default_rng(seed)
            sims = 1 + rng.multinomial(n - k, w / w.sum(), size=n_sim)
            sim_top = _top_share(sims, top)
            out["expected_top_share"] = float(sim_top.mean())
            out["null_sd"] = float(sim_top.std(ddof=1))
            out["p_value"] = float((1 + (sim_top >= obs_top - 1e-12).sum()) / (1 + n_sim))
            out["method"] = "simulation"
        else:
            null = top_share_null(k, n, w, top, observed=obs_top, seed=seed)
            out["expected_top_share"], out["null_sd"], out["p_value"] = null["mean"], null["sd"], null["p_value"]
            out["method"] = "analytic"
    return out


def top_share_null(k: int, n: int, weights, top: float = 0.10, observed: float | None = None, draws: int = 200_000,
                   seed: int = 0) -> dict[str, float]:
    """Null distribution of the top-``top`` response share for many accounts (large-sample, analytic).

    Parameters
    ----------
    k : int
        Responding accounts.
    n : int
        Responses (n > k): each account gives one, the other n - k fall on
        the accounts in proportion to ``weights`` (multinomial).
    weights : array-like
        Positive propensity of each of the k accounts.
    top : float
        Fraction of accounts whose share is measured.
    observed : float, optional
        Observed top share, for the p-value.
    draws : int
        Draws from the limiting three-dimensional normal distribution (the
        cost does not depend on k or n).
    seed : int
        Seed of those draws.

    Returns
    -------
    dict
        ``mean`` and ``sd`` of the top share under the null, ``q`` (the
        null's (1 - top) quantile of responses per account) and, with
        ``observed``, ``p_value`` = (1 + #{draws >= observed}) / (1 + draws).

    Notes
    -----
    Counts are treated as X_i = 1 + Poisson(lambda_i), lambda_i = (n - k)
    w_i / sum w (Poissonisation of the multinomial; accounts of equal
    weight share one distribution). The top share is sum_top / n with
    sum_top = min_c [top k c + sum_i (X_i - c)^+] (the upper-tail form of
    Rockafellar & Uryasev 2000), whose minimum lies at the null quantile q
    or a neighbour: sum_top = top k q + A + min(0, D, D') with A = sum_i
    (X_i - q)^+, D = #{X_i <= q} - (1 - top) k and D' = (1 - top) k -
    #{X_i <= q - 1}. (A, D, D') is asymptotically normal (central limit
    theorem over accounts; the Poisson moments are closed-form) and is
    conditioned on the fixed total S = sum X_i = n as the multinomial is.
    The distribution of the top share is that of this function of the
    normal vector, evaluated on ``draws`` seeded draws; near a tie at the
    quantile (D close to 0) it is not itself normal.

    Examples
    --------
    >>> r = top_share_null(10_000, 50_000, [1.0] * 10_000)
    >>> round(r["mean"], 3), r["sd"] < 0.002
    (0.177, True)
    """
    w = np.asarray(weights, dtype="float64")
    lam = (n - k) * w / w.sum()
    ul, cnt = np.unique(lam, return_counts=True)
    cnt = cnt.astype("float64")
    target = 1 - top

    def cdf(x: int) -> float:  # mixture P(X <= x), X = 1 + Poisson(lambda)
        return float((cnt * stats.poisson.cdf(x - 1, ul)).sum() / k)

    lo, hi = 1, int(2 + stats.poisson.isf(1e-12, ul.max()))
    while cdf(hi) < target:
        hi *= 2
    while lo < hi:  # q: smallest x with P(X <= x) >= 1 - top
        mid = (lo + hi) // 2
        if cdf(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    q = lo
    c = q - 1  # X <= q  <=>  Y <= c, with Y ~ Poisson(lambda)

    def le(m: int) -> np.ndarray:  # P(Y <= m)
        return stats.poisson.cdf(m, ul)

    ey = ul * (1 - le(c - 1))  # E[Y; Y > c] = lambda P(Y >= c)
    ey2 = ul**2 * (1 - le(c - 2)) + ey  # E[Y^2; Y > c]
    p_gt = 1 - le(c)
    e1 = ey - c * p_gt  # E[(Y - c)^+]
    e2 = ey2 - 2 * c * ey + c**2 * p_gt  # E[((Y - c)^+)^2]
    p0, p1 = le(c), le(c - 1)  # P(X <= q), P(X <= q - 1)
    tot = lambda v: float((cnt * v).sum())  # noqa: E731 - sum over accounts
    mu = np.array([tot(e1), tot(p0) - target * k, target * k - tot(p1)])
    s11 = np.array([[tot(e2 - e1**2), -tot(e1 * p0), tot(e1 * p1)],
                    [-tot(e1 * p0), tot(p0 * (1 - p0)), -tot(p1 * (1 - p0))],
                    [tot(e1 * p1), -tot(p1 * (1 - p0)), tot(p1 * (1 - p1))]])
    # covariances with S = sum Y: Cov(a, Y), Cov(1{Y <= c}, Y) = -lambda P(Y = c), and for D' the opposite sign
    s12 = np.array([tot(ey2 - c * ey - ul * e1), -tot(ul * (p0 - p1)), tot(ul * (p1 - le(c - 2)))])
    var_s = tot(ul)
    cov = s11 - np.outer(s12, s12) / var_s if var_s > 0 else s11
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
    root = vecs * np.sqrt(np.clip(vals, 0, None))
    z = mu + np.random.default_rng(seed).standard_normal((draws, 3)) @ root.T
    share = (top * k * q + z[:, 0] + np.minimum(0, np.minimum(z[:, 1], z[:, 2]))) / n
    out = {"mean": float(share.mean()), "sd": float(share.std(ddof=1)), "q": float(q)}
    if observed is not None:
        out["p_value"] = float((1 + (share >= observed - 1e-12).sum()) / (1 + draws))
    return out


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
        covered by responses) and ``below_target``.

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
    cols = ["period", "accounts", "revenue", "accounts_heard", "revenue_heard", "share_heard", "partial",
            "below_target"]
    if decision:
        cols[6:6] = ["revenue_decision", "share_decision"]
    a = accounts.loc[accounts[account].notna() & accounts[revenue].notna() & (accounts[revenue] > 0)] \
        .drop_duplicates(account)
    acodes, acc_values = _factorize(responses[account])
    # account (row of ``a``) of each response, matched on the distinct ids; accounts missing from ``a`` are not counted
    row = _remap(acodes, _positions(pd.Index(a[account]), pd.Index(acc_values, dtype=object)))
    dec = _bool(responses[decision]) if decision else None
    return _revenue_coverage(a, row, acodes >= 0, responses[date], dec, revenue, freq, target)


def _revenue_coverage(a: pd.DataFrame, row: np.ndarray, has_account: np.ndarray, dates: pd.Series,
                      dec: np.ndarray | None, revenue: str, freq: str, target: float) -> pd.DataFrame:
    """:func:`revenue_coverage` from the accounts ``a`` (revenue > 0, one row each) and each response's row in it.

    ``row`` is -1 for a response whose account is not in ``a``; ``has_account`` is False where it has none;
    ``dec`` marks decision-maker responses (None: not assessed).
    """
    cols = ["period", "accounts", "revenue", "accounts_heard", "revenue_heard", "share_heard", "partial",
            "below_target"]
    if dec is not None:
        cols[6:6] = ["revenue_decision", "share_decision"]
    dates = pd.to_datetime(dates) if not pd.api.types.is_datetime64_any_dtype(dates) else dates
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    ok = has_account & dates.notna().to_numpy()
    if a.empty or not ok.any():
        return pd.DataFrame(columns=cols)
    # calendar period of each response, through a table of the days spanned (never a Period per row)
    dt = dates.to_numpy(dtype="datetime64[ns]")[ok]
    day = dt.astype("datetime64[D]").view("int64")
    d0, d1 = int(day.min()), int(day.max())
    span = pd.DatetimeIndex(np.arange(d0, d1 + 1).astype("datetime64[D]").astype("datetime64[ns]"))
    span_per = to_period(pd.Series(span), freq)
    idx = pd.period_range(span_per.iloc[0], span_per.iloc[-1], freq=span_per.iloc[0].freq)
    per = span_per.array.asi8[day - d0] - idx[0].ordinal  # 0 .. len(idx) - 1
    first, last = pd.Timestamp(dt.min()), pd.Timestamp(dt.max())
    row = row[ok]
    heard = row >= 0
    na = len(a)
    heard_m = np.zeros((len(idx), na), dtype=bool)  # period x account: heard from in that period
    heard_m[per[heard], row[heard]] = True
    dec_m = None
    if dec is not None:
        d_ = heard & dec[ok]
        dec_m = np.zeros((len(idx), na), dtype=bool)
        dec_m[per[d_], row[d_]] = True
    rev = a[revenue].to_numpy(dtype="float64")
    rows = []
    for i, p in enumerate(idx):
        act = pd.Series(True, index=a.index)
        if "start_at" in a:
            act &= ~(a["start_at"] > p.end_time).fillna(False).astype(bool)
        if "churned" in a and "outcome_at" in a:
            gone = (a["churned"] == True).fillna(False).astype(bool) & (a["outcome_at"] < p.start_time)  # noqa: E712
            act &= ~gone.fillna(False).astype(bool)
        act = act.to_numpy(dtype=bool)
        m = heard_m[i] & act
        tot = float(rev[act].sum())
        row_ = {"period": str(p), "accounts": int(act.sum()), "revenue": tot, "accounts_heard": int(m.sum()),
                "revenue_heard": float(rev[m].sum())}
        row_["share_heard"] = row_["revenue_heard"] / tot if tot > 0 else np.nan
        if dec_m is not None:
            md = dec_m[i] & act
            row_["revenue_decision"] = float(rev[md].sum())
            row_["share_decision"] = row_["revenue_decision"] / tot if tot > 0 else np.nan
        row_["partial"] = bool((i == 0 and first.normalize() > p.start_time)
                               or (i == len(idx) - 1 and last.normalize() < p.end_time.normalize()))
        rows.append(row_)
    tot = float(rev.sum())
    m = heard_m.any(axis=0)
    whole = {"period": "whole period", "accounts": int(na), "revenue": tot, "accounts_heard": int(m.sum()),
             "revenue_heard": float(rev[m].sum()), "share_heard": float(rev[m].sum()) / tot, "partial": False}
    if dec_m is not None:
        md = dec_m.any(axis=0)
        whole["revenue_decision"] = float(rev[md].sum())
        whole["share_decision"] = whole["revenue_decision"] / tot
    rows.append(whole)
    out = pd.DataFrame(rows)
    out["below_target"] = out["share_heard"] < target
    if dec_m is not None:
        out["below_target"] |= out["share_decision"] < target
    return out[cols]


# --------------------------------------------------------------------------- non-response


def match_invitations(
    invitations: pd.DataFrame,
    responses: pd.DataFrame,
    window_days: float = 90,
) -> pd.DataFrame:
    """Mark each invitation that led to an (analysed) response.

    Parameters
    ----------
    invitations : DataFrame
        One row per invitation: ``invited_at`` and ``response_id`` or
        ``respondent_id``.
    responses : DataFrame
        Analysed responses: ``response_id`` or ``respondent_id`` and ``responded_at``.
    window_days : float
        A response counts for the latest invitation of its respondent sent
        at most this many days before it.

    Returns
    -------
    DataFrame
        ``invitations`` with a boolean column ``responded``
        (``attrs["method"]`` says how they were matched).

    Examples
    --------
    >>> inv = pd.DataFrame({"respondent_id": ["a", "b"], "invited_at": pd.to_datetime(["2024-01-01", "2024-01-01"])})
    >>> res = pd.DataFrame({"respondent_id": ["a"], "responded_at": pd.to_datetime(["2024-01-03"])})
    >>> match_invitations(inv, res)["responded"].tolist()
    [True, False]
    """
    from ...linking import match_invitations as match  # one matching rule for every area

    matched = match(invitations, responses, window_days=window_days)
    inv = invitations.copy(deep=False)
    if matched is None:
        inv["responded"] = False
        inv.attrs["method"] = "none"
        return inv
    inv["responded"] = matched["responded"].to_numpy(dtype=bool)
    by_id = ("response_id" in inv and "response_id" in responses and inv["response_id"].notna().any()
             and responses["response_id"].notna().any())
    inv.attrs["method"] = "response id" if by_id else "respondent and date"
    return inv


def _invitations_answered(prep: Prepared, window_days: float = 90) -> tuple[np.ndarray, str]:
    """Whether each invitation of ``prep`` led to an analysed response (:func:`match_invitations`), and how.

    Through :func:`npsdiag.diagnoses.decay.responded_within` (the "responded" column of
    :func:`~npsdiag.diagnoses.decay.matched_invitations`), the one matching rule, whose window-free part
    is computed once per prepared data set and shared with the other areas.
    """
    from ...linking import responded_within

    inv, res = prep.invitations, prep.responses
    responded = responded_within(prep, window_days=window_days)  # the matched frame's "responded", without the frame
    if responded is None:
        return np.zeros(len(inv), dtype=bool), "none"
    by_id = ("response_id" in inv and "response_id" in res and inv["response_id"].notna().any()
             and res["response_id"].notna().any())
    return responded, "response id" if by_id else "respondent and date"


def response_rates(
    invitations: pd.DataFrame,
    by: str,
    responded: str = "responded",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Response rate per level of an attribute, with Wilson intervals.

    Parameters
    ----------
    invitations : DataFrame
        One row per invitation with a boolean ``responded`` column.
    by : str
        Attribute column (rows where it is missing are left out).
    responded : str
        Column saying whether the invitation was answered.
    confidence : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``level``, ``invited``, ``responded``, ``response_rate``, ``ci_low``,
        ``ci_high``, most invitations first.

    Examples
    --------
    >>> inv = pd.DataFrame({"role": ["a", "a", "b"], "responded": [True, False, True]})
    >>> response_rates(inv, "role")[["level", "response_rate"]].to_dict("records")
    [{'level': 'a', 'response_rate': 0.5}, {'level': 'b', 'response_rate': 1.0}]
    """
    return _rates_table(*_level_table(invitations[by], _bool(invitations[responded])), confidence)


def _level_table(levels: pd.Series, flag: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Invitations and answers per level read as text (levels in text order, missing left out)."""
    codes, lab = _text_codes(levels, sort=True)
    return lab, _counts(codes, len(lab)), _counts(codes, len(lab), flag.astype("float64"))


def _merge_levels(labels, invited, answered) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum the counts of levels that read the same as text; levels in text order."""
    lab = np.array([str(x) for x in labels], dtype=object)
    codes, uniq = pd.factorize(lab, sort=True)
    codes = np.asarray(codes, dtype=np.intp)
    k = len(uniq)
    return (np.asarray(uniq, dtype=object), _counts(codes, k, np.asarray(invited, dtype="float64")),
            _counts(codes, k, np.asarray(answered, dtype="float64")))


def _rates_table(levels: np.ndarray, invited: np.ndarray, answered: np.ndarray, confidence: float) -> pd.DataFrame:
    """:func:`response_rates` from the invitations and answers per level (levels in text order)."""
    seen = np.asarray(invited) > 0
    out = pd.DataFrame({"level": np.asarray(levels, dtype=object)[seen],
                        "invited": np.asarray(invited)[seen].astype("int64"),
                        "responded": np.round(np.asarray(answered)[seen]).astype(int)})
    out["response_rate"] = out["responded"] / out["invited"]
    lo, hi = wilson_interval(out["responded"], out["invited"], confidence)
    out["ci_low"], out["ci_high"] = lo, hi
    return out.sort_values("invited", ascending=False, kind="stable").reset_index(drop=True)


def response_design_effect(flag: pd.Series, cluster: pd.Series | None) -> float:
    """Design effect of a response rate when invitations are clustered (e.g. by account).

    Parameters
    ----------
    flag : Series of bool
        Responded or not, one per invitation.
    cluster : Series, optional
        Cluster of each invitation (account); missing clusters are their own.

    Returns
    -------
    float
        Variance of the rate with clusters (linearised, with-replacement
        ultimate-cluster estimator) over its variance under simple random
        sampling, at least 1.

    Examples
    --------
    >>> f = pd.Series([True, True, False, False])
    >>> response_design_effect(f, pd.Series(["a", "a", "b", "b"]))
    4.0
    """
    y = _bool(flag).astype(float)
    if cluster is None:
        return 1.0
    codes = _factorize(cluster)[0]
    k = int(codes.max(initial=-1)) + 1
    miss = codes < 0  # an invitation without a cluster is its own
    return _design_effect(_counts(codes, k), _counts(codes, k, y), int(miss.sum()), int(y[miss].sum()))


def _design_effect(invited: np.ndarray, answered: np.ndarray, n_alone: int = 0, answered_alone: int = 0) -> float:
    """:func:`response_design_effect` from the invitations and answers per cluster (plus invitations alone)."""
    invited = np.asarray(invited, dtype="float64")
    answered = np.asarray(answered, dtype="float64")
    n = float(invited.sum()) + n_alone
    if n < 2:
        return 1.0
    p = (float(answered.sum()) + answered_alone) / n
    if p in (0.0, 1.0):
        return 1.0
    used = invited > 0
    totals = answered[used] - p * invited[used]  # sum over the cluster of (y - p)
    g = int(used.sum()) + n_alone
    if g < 2:
        return 1.0
    ss = float((totals**2).sum()) + answered_alone * (1 - p) ** 2 + (n_alone - answered_alone) * p**2
    var_c = g / (g - 1) * ss / n**2
    var_srs = p * (1 - p) / n
    return float(max(1.0, var_c / var_srs))


def _chi2_table(levels: np.ndarray, invited: np.ndarray, answered: np.ndarray, deff: float = 1.0,
                min_count: int = 5) -> dict[str, Any] | None:
    """Chi-square test of independence of an attribute and response, Rao-Scott corrected by ``deff``.

    From the invitations and answers per level (levels in text order).
    """
    invited = np.asarray(invited, dtype="float64")
    answered = np.asarray(answered, dtype="float64")
    keep = invited >= min_count
    if keep.sum() < 2:
        return None
    yes, no = answered[keep], invited[keep] - answered[keep]
    if yes.sum() == 0 or no.sum() == 0:
        return None
    tab = np.column_stack([no, yes])
    chi2, _, dof, _ = stats.chi2_contingency(tab, correction=False)
    chi2_adj = chi2 / deff
    v = math.sqrt(chi2 / (tab.sum() * (min(tab.shape) - 1)))
    rates = yes / invited[keep]
    names = np.asarray(levels, dtype=object)[keep]
    lo_i, hi_i = int(np.argmin(rates)), int(np.argmax(rates))
    return {"test": "chi-square (Rao-Scott)" if deff > 1 else "chi-square", "statistic": float(chi2_adj),
            "dof": int(dof), "p_value": float(stats.chi2.sf(chi2_adj, dof)), "effect_size": v,
            "effect_measure": "Cramer's V" if min(tab.shape) > 2 or tab.shape[0] > 2 else "phi",
            "n": int(tab.sum()), "design_effect": float(deff), "lowest_rate_level": str(names[lo_i]),
            "lowest_rate": float(rates[lo_i]), "highest_rate_level": str(names[hi_i]),
            "highest_rate": float(rates[hi_i])}


def _first_number(text: str) -> float:
    m = re.search(r"[\d,]+(?:\.\d+)?", str(text))
    return float(m.group(0).replace(",", "")) if m else float("inf")


def _arr_band_codes(revenue: pd.Series, bands: int = 4) -> tuple[np.ndarray, list[str]]:
    """ARR bands (quartiles of the accounts' ARR) labelled with their range: a code per value and the labels.

    Codes are -1 for a missing revenue; no labels when the ARR does not split into bands.
    """
    rv = revenue.to_numpy(dtype="float64", na_value=np.nan)
    none = (np.full(len(rv), -1, dtype=np.intp), [])
    uniq = rv[~np.isnan(rv)]
    if len(np.unique(uniq)) < bands:
        return none
    edges = np.unique(np.quantile(uniq, np.linspace(0, 1, bands + 1)))
    if len(edges) < 3:
        return none
    idx = np.clip(np.searchsorted(edges, rv, side="right") - 1, 0, len(edges) - 2)
    labels = [f"ARR {num(edges[i])}-{num(edges[i + 1])}" for i in range(len(edges) - 1)]
    lab_codes, lab = pd.factorize(pd.Index(labels, dtype=object))  # bands that read alike are one
    codes = np.where(np.isnan(rv), -1, np.asarray(lab_codes)[idx])
    return codes.astype(np.intp), [str(x) for x in lab]


def invitation_attributes(
    invitations: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    account: str = "account_id",
    account_segments: Iterable[str] = (),
) -> pd.DataFrame:
    """Invitations with their account's attributes: ``arr_band`` (ARR quartile), ``churn_status`` and segments.

    Parameters
    ----------
    invitations : DataFrame
        One row per invitation.
    accounts : DataFrame, optional
        One row per account with ``revenue``, ``churned`` and segment columns.
    account : str
        Account column of both tables.
    account_segments : iterable of str
        Account columns to carry onto the invitations.

    Returns
    -------
    DataFrame
        A copy of ``invitations`` with added columns where the data allow:
        ``arr_band`` (the account's ARR quartile, labelled by its range),
        ``churn_status`` ("churned" / "retained") and the account segments,
        each categorical (the account's value, or missing).
    """
    inv = invitations.copy(deep=False)
    if accounts is None or account not in inv or account not in accounts:
        return inv
    a = accounts.drop_duplicates(account)
    codes, values = _factorize(inv[account])
    # row of ``a`` of each invitation, matched on the few distinct account ids (-1: unknown account)
    row = _remap(codes, pd.Index(a[account]).get_indexer(pd.Index(values, dtype=object)))

    def carry(acc_codes: np.ndarray, labels) -> pd.Series:
        return pd.Series(pd.Categorical.from_codes(_remap(row, acc_codes), categories=labels), index=inv.index)

    if "revenue" in a and a["revenue"].notna().sum() >= 8:
        bcodes, blabels = _arr_band_codes(a["revenue"])
        if blabels:
            inv["arr_band"] = carry(bcodes, blabels)
    if "churned" in a and a["churned"].notna().any():
        ch = a["churned"]
        ccodes = np.where(ch.isna().to_numpy(), -1, np.where(_bool(ch), 0, 1)).astype(np.intp)
        inv["churn_status"] = carry(ccodes, ["churned", "retained"])
    for seg in account_segments:
        if seg in a and seg not in inv:
            scodes, svalues = _factorize(a[seg])
            inv[seg] = carry(scodes, pd.Index(svalues, dtype=object))
    return inv


def nonresponse_bias(
    invitations: pd.DataFrame,
    attributes: Iterable[str],
    responded: str = "responded",
    cluster: str | None = "account_id",
    labels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Do invited people who answered differ from those who did not?

    Parameters
    ----------
    invitations : DataFrame
        One row per invitation with a boolean ``responded``
        (:func:`match_invitations`) and the attributes to compare (person
        attributes such as role, account attributes carried by
        :func:`invitation_attributes`).
    attributes : iterable of str
        Columns to test.
    responded : str
        Column saying whether the invitation was answered.
    cluster : str, optional
        Column grouping invitations that are not independent (the account);
        the tests are corrected for it.
    labels : dict, optional
        Attribute -> name shown in the report.

    Returns
    -------
    DataFrame
        One row per attribute tested: ``attribute``, ``test``,
        ``statistic`` (corrected chi-square), ``dof``, ``p_value``, ``p_adj``
        (Benjamini-Hochberg across attributes), ``effect_size``,
        ``effect_measure``, ``design_effect``, ``n``, ``comparison`` (plain
        words), ``rate_ratio`` (lowest / highest level's response rate).

    Notes
    -----
    Per invitation, a chi-square test of independence between the attribute
    (levels with at least 5 invitations) and response. Invitations of one
    account are correlated, so the statistic is divided by the design effect
    of the response rate with accounts as clusters (first-order Rao-Scott
    correction; Rao & Scott 1981, JASA 76:221-230). Effect size: Cramer's V
    (phi for two levels) of the uncorrected table.

    Examples
    --------
    >>> inv = pd.DataFrame({"role": ["user"] * 50 + ["exec"] * 50, "responded": [True] * 40 + [False] * 60})
    >>> round(float(nonresponse_bias(inv, ["role"], cluster=None)["effect_size"].iloc[0]), 2)
    0.82
    """
    deff = response_design_effect(invitations[responded], invitations[cluster]) \
        if cluster and cluster in invitations else 1.0
    flag = _bool(invitations[responded])
    tables = [(attr, _level_table(invitations[attr], flag)) for attr in attributes
              if attr in invitations and invitations[attr].notna().any()]
    return _nonresponse_from_tables(tables, deff, labels)


def _nonresponse_from_tables(tables: list[tuple[str, tuple[np.ndarray, np.ndarray, np.ndarray]]], deff: float,
                             labels: dict[str, str] | None = None) -> pd.DataFrame:
    """:func:`nonresponse_bias` from each attribute's (levels, invitations, answers) per level."""
    labels = labels or {}
    rows = []
    for attr, (lv, invited, answered) in tables:
        res = _chi2_table(lv, invited, answered, deff=deff)
        if not res:
            continue
        name = labels.get(attr, attr)
        res.update(attribute=name, rate_ratio=res["lowest_rate"] / res["highest_rate"] if res["highest_rate"] else
                   np.nan, comparison=f"response rate {pct(res['lowest_rate'])} for {res['lowest_rate_level']} "
                                      f"to {pct(res['highest_rate'])} for {res['highest_rate_level']}")
        rows.append(res)
    cols = ["attribute", "test", "statistic", "dof", "p_value", "p_adj", "effect_size", "effect_measure",
            "design_effect", "n", "comparison", "rate_ratio", "lowest_rate_level", "lowest_rate",
            "highest_rate_level", "highest_rate"]
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["p_adj"] = bh_adjust(out["p_value"])
    return out[cols]


# --------------------------------------------------------------------------- adjusted NPS


def adjusted_nps(
    data: pd.DataFrame,
    score: str = "score",
    account: str | None = "account_id",
    role: str | None = "role",
    population_shares: pd.Series | dict | None = None,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
) -> pd.DataFrame:
    """Raw NPS beside balance-adjusted NPS (accounts counted once, roles as in the population).

    Parameters
    ----------
    data : DataFrame
        One row per response.
    score, account, role : str
        Column names (account and role optional).
    population_shares : Series or dict, optional
        Role -> share of the population (contacts); enables role weighting.
    confidence : float
        Confidence level.

    Returns
    -------
    DataFrame
        One row per estimate: ``estimate`` (raw; each account counts once;
        roles weighted to the population; both), ``n``, ``effective_n``
        (Kish), ``nps``, ``se``, ``ci_low``, ``ci_high``, ``difference``
        (points from raw), ``method``.

    Notes
    -----
    The raw NPS carries the adjusted Wald interval (Rocks 2016). Weighted
    estimates use the weights of :mod:`npsdiag.weighting`: 1 / responses of
    the account (each account counts once), post-stratification of roles to
    the population's role shares (Holt & Smith 1979), or both (account
    weights rescaled within role to the role shares). Their standard errors
    are Taylor-linearised with accounts as clusters (as R's
    ``svymean(~y, svydesign(ids = ~account, weights = ~w))``) and the
    interval is Wald. Responses without a role are left out of the
    role-weighted estimates.
    """
    rows = []
    raw = _nps_table(_counts(_category_codes(data[score], breaks), 3), confidence).iloc[0]
    rows.append({"estimate": "raw (every response counts once)", "n": int(raw["n"]), "effective_n": float(raw["n"]),
                 "nps": float(raw["nps"]), "se": float(raw["se"]), "ci_low": float(raw["ci_low"]),
                 "ci_high": float(raw["ci_high"]), "method": "adjusted Wald (Rocks 2016)"})
    cl = account if account and account in data and data[account].notna().any() else None
    lin = "Taylor linearisation, accounts as clusters" if cl else "Taylor linearisation"
    if cl:
        w = account_weights(data, cl)
        r = weighted_nps(data, w, score=score, cluster=cl, confidence=confidence, breaks=breaks)
        rows.append({"estimate": "each account counts once", **_pick(r), "method": f"weights 1/responses per "
                                                                                  f"account; {lin}"})
    if population_shares is not None and role and role in data and data[role].notna().any():
        tgt = pd.Series(population_shares, dtype="float64")
        rc, rv = _factorize(data[role])
        keep = _remap(rc, np.asarray(pd.Index(rv, dtype=object).isin(tgt.index[tgt > 0]), dtype=np.intp)) == 1
        d = data.loc[keep]
        if (_counts(rc[keep], len(rv)) > 0).sum() >= 2:
            w = poststratify(d, role, tgt)
            r = weighted_nps(d, w, score=score, cluster=cl, confidence=confidence, breaks=breaks)
            rows.append({"estimate": "roles weighted to the contacts' mix", **_pick(r),
                         "method": f"post-stratification on role; {lin}"})
            if cl:
                w2 = poststratify(d, role, tgt, base_weights=account_weights(d, cl))
                r = weighted_nps(d, w2, score=score, cluster=cl, confidence=confidence, breaks=breaks)
                rows.append({"estimate": "accounts once, roles to the contacts' mix", **_pick(r),
                             "method": f"account weights post-stratified on role; {lin}"})
    out = pd.DataFrame(rows)
    out["difference"] = out["nps"] - out["nps"].iloc[0]
    return out[["estimate", "n", "effective_n", "nps", "se", "ci_low", "ci_high", "difference", "method"]]


def _pick(r: dict[str, float]) -> dict[str, float]:
    return {k: r[k] for k in ("n", "effective_n", "nps", "se", "ci_low", "ci_high")}


# --------------------------------------------------------------------------- figures


def _percent_tick(value: float, _pos=None) -> str:
    """Tick label of a share ("40%"); a module-level function, so that figures using it can be pickled."""
    return f"{value:.0%}"


def _fig_role_mix(mix: pd.DataFrame, pop_name: str | None) -> Figure:
    m = mix.head(10).iloc[::-1]
    fig, ax = plots.figure(7.5, max(2.2, 0.45 * len(m) + 1.2))
    y = np.arange(len(m))
    h = 0.38 if pop_name else 0.6
    ax.barh(y + (h / 2 if pop_name else 0), m["share"], height=h, color=plots.PALETTE[0], label="respondents",
            xerr=err(m["share"], m["ci_low"], m["ci_high"]), error_kw={"lw": 1, "capsize": 2})
    if pop_name:
        ax.barh(y - h / 2, m["population_share"], height=h, color="white", edgecolor=plots.PALETTE[1],
                hatch="///", label=pop_name)
    for yi, (_, r) in zip(y, m.iterrows()):
        ax.text(r["ci_high"] + 0.01 if r["ci_high"] == r["ci_high"] else r["share"] + 0.01,
                yi + (h / 2 if pop_name else 0), pct(r["share"]), va="center", fontsize=8)
    ax.set_yticks(y, m["role"].astype(str))
    ax.xaxis.set_major_formatter(_percent_tick)
    ax.set_xlabel("share")
    ax.set_title("Who answered: role mix" + (f" against the {pop_name}" if pop_name else ""))
    ax.legend(loc="lower right", fontsize=8)
    cap = "Share of responses per role with its interval"
    cap += f", beside the role mix of the {pop_name} (hatched)." if pop_name else "."
    return Figure("role_mix", fig, cap)


def _fig_concentration(per_acc: pd.DataFrame, conc: dict[str, float]) -> Figure:
    fig, axes = plots.figure(7.5, 3.2, ncols=2)
    ax = axes[0]
    lc = lorenz_curve(per_acc["responses"])
    if len(lc) > 1001:  # the curve is piecewise linear: 1,001 points draw it exactly enough, never one per account
        x = np.linspace(0, 1, 1001)
        lc = pd.DataFrame({"share_accounts": x, "share_responses": np.interp(x, lc["share_accounts"],
                                                                             lc["share_responses"])})
    ax.plot([0, 1], [0, 1], color="#999999", ls="--", lw=1, label="equal")
    ax.plot(lc["share_accounts"], lc["share_responses"], color=plots.PALETTE[0], lw=2, marker="o" if len(lc) < 30
            else None, ms=3, label="responses")
    ax.fill_between(lc["share_accounts"], lc["share_responses"], lc["share_accounts"], color=plots.PALETTE[0],
                    alpha=0.12)
    ax.axvline(0.9, color=plots.PALETTE[5], lw=1, ls=":")
    ax.annotate(f"top 10% of accounts:\n{pct(conc['top_share'])} of responses", (0.9, 1 - conc["top_share"]),
                xytext=(0.30, 0.80), textcoords="axes fraction", fontsize=8,
                arrowprops={"arrowstyle": "->", "lw": 0.8, "color": "black"})
    ax.set_xlabel("accounts (fewest responses first)")
    ax.set_ylabel("cumulative share of responses")
    ax.xaxis.set_major_formatter(_percent_tick)
    ax.yaxis.set_major_formatter(_percent_tick)
    ax.set_title(f"Lorenz curve (Gini {conc['gini']:.2f})")
    ax.legend(loc="lower right", fontsize=8)
    ax2 = axes[1]
    dist = voice_distribution(per_acc)
    ax2.bar(dist["respondents"], dist["accounts"], color=[plots.PALETTE[5]] + [plots.PALETTE[0]] * (len(dist) - 1))
    ax2.patches[0].set_hatch("//")
    for i, (_, r) in enumerate(dist.iterrows()):
        ax2.text(i, r["accounts"], pct(r["share"]), ha="center", va="bottom", fontsize=8)
    ax2.set_xlabel("distinct respondents per account")
    ax2.set_ylabel("accounts")
    ax2.set_title("Voices per account")
    return Figure("concentration", fig,
                  "Left: Lorenz curve of responses across responding accounts (the further below the diagonal, the "
                  "more a few accounts dominate). Right: accounts by number of distinct respondents; the hatched "
                  "bar is accounts heard through a single person.")


def _fig_coverage(cov: pd.DataFrame, target: float) -> Figure:
    c = cov[cov["period"] != "whole period"].tail(12)
    fig, ax = plots.figure(7.5, 3.2)
    x = np.arange(len(c))
    has_dm = "share_decision" in c
    w = 0.38 if has_dm else 0.6
    ax.bar(x - (w / 2 if has_dm else 0), c["share_heard"], width=w, color=plots.PALETTE[0], label="any response")
    if has_dm:
        ax.bar(x + w / 2, c["share_decision"], width=w, color="white", edgecolor=plots.PALETTE[2], hatch="xx",
               label="decision-maker response")
    ax.axhline(target, color=plots.PALETTE[5], lw=1.5, ls="--", label=f"target {target:.0%}")
    labels = [f"{p}{'*' if part else ''}" for p, part in zip(c["period"], c["partial"])]
    for xi, v in zip(x - (w / 2 if has_dm else 0), c["share_heard"]):
        ax.text(xi, v + 0.01, pct(v), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1.18)
    ax.yaxis.set_major_formatter(_percent_tick)
    ax.set_ylabel("share of ARR heard")
    ax.set_title("Revenue coverage per quarter")
    ax.legend(loc="upper center", fontsize=8, ncol=3)
    return Figure("revenue_coverage", fig,
                  "Share of the ARR of current customers with at least one response (solid) and with a "
                  "decision-maker response (hatched) in each quarter, against the target; * = partial quarter.")


def _fig_role_nps(t: pd.DataFrame, adj: pd.DataFrame | None) -> Figure:
    rows = [(f"{r['role']} (n={num(r['n'])})", r["nps"], r["ci_low"], r["ci_high"], "role", bool(r["reportable"]))
            for _, r in t.head(10).iterrows()]
    if adj is not None:
        rows += [(f"{r['estimate']}", r["nps"], r["ci_low"], r["ci_high"], "overall", True)
                 for _, r in adj.iterrows()]
    rows = rows[::-1]
    fig, ax = plots.figure(7.5, max(2.4, 0.36 * len(rows) + 1.2))
    for i, (_lab, v, lo, hi, kind, rep) in enumerate(rows):
        style = {"marker": "o" if kind == "role" else "D", "color": plots.PALETTE[0] if kind == "role" else
                 plots.PALETTE[7], "mfc": (plots.PALETTE[0] if kind == "role" else plots.PALETTE[7]) if rep else
                 "white"}
        ax.errorbar([v], [i], xerr=err([v], [lo], [hi]), capsize=3, ms=6, ls="none", **style)
        ax.text(hi + 2, i, f"{v:+.0f}", va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
    lows = [r[2] for r in rows if r[2] == r[2]]
    highs = [r[3] for r in rows if r[3] == r[3]]
    if lows and highs:
        ax.set_xlim(min(min(lows), 0) - 5, max(highs) + 10)
    if adj is not None and len(t):
        ax.axhline(len(adj) - 0.5, color="#999999", lw=0.8)
    ax.axvline(0, color="#999999", lw=0.8)
    ax.set_xlabel("NPS (with interval)")
    ax.set_title("NPS by role, and the overall NPS raw and balance-adjusted")
    return Figure("role_nps", fig,
                  "NPS per role (circles; hollow = fewer responses than the reporting minimum) and the overall NPS "
                  "raw and re-weighted so that each account, or each role, counts as the population says (diamonds), "
                  "each with its interval.")


def _fig_response_rates(rates: pd.DataFrame) -> Figure:
    r = rates.groupby("attribute", sort=False).head(6).iloc[::-1].reset_index(drop=True)
    fig, ax = plots.figure(7.5, max(2.2, 0.32 * len(r) + 1.2))
    y = np.arange(len(r))
    markers = {"role": "o", "ARR": "s", "churn": "D"}
    for attr, g in r.groupby("attribute", sort=False):
        ax.errorbar(g["response_rate"], g.index, xerr=err(g["response_rate"], g["ci_low"], g["ci_high"]),
                    ls="none", marker=markers.get(attr, "o"), capsize=3, label=attr)
    for yi, (_, row) in zip(y, r.iterrows()):
        ax.text(row["ci_high"] + 0.01, yi, f"{pct(row['response_rate'])} of {num(row['invited'])}", va="center",
                fontsize=8)
    ax.set_yticks(y, [lv if str(lv).startswith(a) else f"{a}: {lv}" for a, lv in zip(r["attribute"], r["level"])],
                  fontsize=8)
    ax.xaxis.set_major_formatter(_percent_tick)
    ax.set_xlim(0, min(1.0, float(r["ci_high"].max()) + 0.15))
    ax.set_xlabel("response rate (with interval)")
    ax.set_title("Who answers when invited")
    ax.legend(loc="lower right", fontsize=8)
    return Figure("response_rates", fig, "Share of invitations answered by role, by the account's ARR quartile and "
                                         "by the account's churn status, with Wilson intervals.")


# --------------------------------------------------------------------------- diagnose


def diagnose(prep: Prepared) -> AreaResult:
    """Diagnose the balance area of one client's NPS program.

    Parameters
    ----------
    prep : Prepared
        The client's data after :func:`npsdiag.clean.prepare`.

    Returns
    -------
    AreaResult
        Findings ``balance.role_skew``, ``single_voice``, ``concentration``,
        ``revenue_coverage``, ``role_gap`` and ``nonresponse_bias`` (each
        only on evidence); tables of the role mix, NPS by role, the adjusted
        NPS, voices per account, revenue coverage and response rates; their
        figures. Checks whose inputs are missing are listed in the notes.
    """
    r = prep.responses
    s = prep.settings
    if r.empty:
        return not_assessed("balance", "no analysed responses")
    has_role = "role" in r and r["role"].notna().any()
    has_acc = "account_id" in r and r["account_id"].notna().any()
    if not has_role and not has_acc:
        return not_assessed("balance", "needs respondent roles or account ids (responses.role, responses.account_id)")
    alpha = 1 - s.confidence
    contacts, invitations = prep.contacts, prep.invitations
    # roles unified across the tables on their few distinct values (integer codes per row, never strings)
    (rc, cc, ic), role_labels = _unify_role_codes([
        prep.codes("role") if "role" in r else None,
        prep.codes("role", "contacts") if contacts is not None and "role" in contacts else None,
        prep.codes("role", "invitations") if invitations is not None and "role" in invitations else None])
    dm_values = decision_roles(role_labels, s.decision_roles)
    dm_label = np.array([v in set(dm_values) for v in role_labels], dtype=bool)

    def role_column(codes: np.ndarray, index: pd.Index) -> pd.Series:
        return pd.Series(pd.Categorical.from_codes(codes, categories=role_labels), index=index)

    def role_counts(codes: np.ndarray) -> pd.Series:
        cnt = pd.Series(_counts(codes, len(role_labels)), index=pd.Index(role_labels, dtype=object))
        return cnt[cnt > 0].sort_values(ascending=False, kind="stable")

    # the few columns this area needs (the responses frame also carries comments: never copy it)
    r = prep.responses[[c for c in ("score", "responded_at", "category") if c in prep.responses]]
    if rc is not None:
        r["role"] = role_column(rc, r.index)
        if has_role:
            r["_decision"] = dm_label[np.maximum(rc, 0)] & (rc >= 0) if len(role_labels) else False
    if "account_id" in prep.responses:
        acodes, accounts = prep.codes("account_id")
        acodes = np.asarray(acodes, dtype=np.intp)
        accounts = pd.Index(accounts)
        r["account_id"] = pd.Categorical.from_codes(acodes, categories=pd.RangeIndex(len(accounts)))

    findings: list[Finding] = []
    tables: dict[str, pd.DataFrame] = {}
    captions: dict[str, str] = {}
    figures: list[Figure] = []
    notes: list[str] = []
    short: dict[str, str] = {}

    # population for the role mix
    pop, pop_name = None, None
    if cc is not None and (cc >= 0).any():
        pop, pop_name = role_counts(cc), "contacts"
    elif ic is not None and (ic >= 0).any():
        pop, pop_name = role_counts(ic), "invitations"

    adj = None
    pop_shares = None
    if pop is not None:
        pop_shares = pop / pop.sum()
    if has_role or has_acc:
        adj = adjusted_nps(r[[c for c in ("score", "account_id", "role") if c in r]],
                           account="account_id" if has_acc else None, role="role" if has_role else None,
                           population_shares=pop_shares, confidence=s.confidence, breaks=s.breaks)
        tables["adjusted_nps"] = adj
        captions["adjusted_nps"] = ("Raw NPS beside balance-adjusted NPS: re-weighted so that each account counts "
                                    "once and/or each role weighs as in the "
                                    f"{pop_name or 'population'}; method and effective sample size per row.")
        notes.append("Balance-adjusted NPS: weights 1/responses per account (each account counts once) and/or "
                     "post-stratification of roles to the population's role shares (Holt & Smith 1979); standard "
                     "errors by Taylor linearisation with accounts as clusters (Wolter 2007; as R survey::svymean), "
                     "Wald intervals; effective n by Kish (1965). The raw NPS uses the adjusted Wald interval "
                     "(Rocks 2016).")
    adj_role = None
    if adj is not None:
        m = adj["estimate"].str.startswith("roles weighted")
        if m.any():
            adj_role = adj[m].iloc[0]

    # A. role mix
    if has_role:
        mix = _role_mix_from_counts(role_counts(rc), int((rc < 0).sum()), pop, s.confidence)
        test = mix.attrs["test"]
        keep = ["role", "responses", "share", "ci_low", "ci_high"]
        if pop is not None:
            keep += ["population_share", "difference", "representation", "p_adj"]
        tables["role_mix"] = mix[keep].rename(columns={"share": "share_responses", "ci_low": "share_ci_low",
                                                       "ci_high": "share_ci_high"}).head(20)
        captions["role_mix"] = ("Share of responses per role (Wilson interval)"
                                + (f" against the {pop_name}' role mix, with the representation ratio and a "
                                   "BH-adjusted binomial test per role." if pop is not None else "."))
        figures.append(_fig_role_mix(mix, pop_name))
        f = _role_skew_finding(mix, test, pop_name, dm_values, adj_role, alpha)
        if f:
            findings.append(f)
            short[f.id] = f.evidence.get("_short", "a skewed role mix")
            f.evidence.pop("_short", None)
        notes.append("Role mix: chi-square goodness-of-fit of response counts per role against the population's "
                     "shares, effect size Cramer's V = sqrt(chi2 / (n (k - 1))); per role an exact binomial test, "
                     f"Benjamini-Hochberg adjusted. A role with {DOMINANT_SHARE:.0%} of responses or more "
                     "dominates. Decision roles: "
                     + (", ".join(dm_values) if dm_values else "none found")
                     + (" (settings.decision_roles)." if s.decision_roles else " (guessed from role names; set "
                        "settings.decision_roles to fix)."))

        # B. role gap
        t = nps_by_role(r, confidence=s.confidence, min_n=s.min_n, breaks=s.breaks)
        if len(t) >= 2:
            tables["nps_by_role"] = t[["role", "n", "nps", "ci_low", "ci_high", "diff_vs_rest", "p_adj"]].head(20)
            captions["nps_by_role"] = ("NPS per role with its interval, and its difference from all other roles "
                                       "(two-sample Wald test, BH-adjusted).")
            f = _role_gap_finding(r, t, dm_values, alpha, s.confidence)
            if f:
                findings.append(f)
                short[f.id] = "a gap between roles' NPS"
        figures.append(_fig_role_nps(t if len(t) >= 2 else t.iloc[0:0], adj))
    else:
        notes.append("Role mix and NPS by role not assessed: no respondent role (responses.role).")
        if adj is not None:
            figures.append(_fig_role_nps(pd.DataFrame(columns=["role", "n", "nps", "ci_low", "ci_high",
                                                               "reportable"]), adj))

    # accounts: the ids of each table are matched once, on their distinct values
    A = prep.accounts if prep.accounts is not None and "account_id" in prep.accounts else None
    if A is not None:
        a_codes, a_ids = prep.codes("account_id", "accounts")
        a_codes, a_ids = np.asarray(a_codes, dtype=np.intp), pd.Index(a_ids)
        a_first = _first_rows(a_codes, len(a_ids))  # the row kept by drop_duplicates("account_id")
        nan_rows = np.flatnonzero(a_codes < 0)[:1]
        a_dedup = np.sort(np.concatenate([a_first[a_first >= 0], nan_rows]))
    has_rev = A is not None and "revenue" in A

    # C. voices per account and concentration
    if has_acc:
        has_resp = "respondent_id" in prep.responses and prep.responses["respondent_id"].notna().any()
        per_acc, order = _per_account(acodes, accounts,
                                      np.asarray(prep.codes("respondent_id")[0], dtype=np.intp) if has_resp else None)
        r_pos = _positions(a_ids, accounts) if A is not None else None  # responding account -> accounts id
        rev_u = None
        if has_rev:
            rv = A["revenue"].to_numpy(dtype="float64", na_value=np.nan)
            rows_ = _remap(r_pos, a_first)
            rev_u = np.where(rows_ >= 0, rv[np.maximum(rows_, 0)], np.nan)
        contacts_u = None
        if contacts is not None and "account_id" in contacts:
            ccodes, cacc = prep.codes("account_id", "contacts")
            ccount = _counts(np.asarray(ccodes, dtype=np.intp), len(cacc)).astype("float64")
            c_pos = _positions(pd.Index(cacc), accounts)
            contacts_u = np.where(c_pos >= 0, ccount[np.maximum(c_pos, 0)] if len(ccount) else np.nan, np.nan)
        if not has_resp:
            notes.append("No respondent id: each response is counted as a distinct respondent.")
        if len(per_acc) >= 10:
            rev_pa = rev_u[order] if rev_u is not None else None
            contacts_pa = contacts_u[order] if contacts_u is not None else None
            dist = _voice_distribution(per_acc, rev_pa)
            tables["voices_per_account"] = dist
            captions["voices_per_account"] = ("Responding accounts by number of distinct respondents, with their "
                                              "share of accounts, responses" + (" and ARR." if rev_pa is not None
                                                                                 else "."))
            conc = concentration(per_acc["responses"], weights=contacts_pa)
            figures.append(_fig_concentration(per_acc, conc))
            people_unknown = contacts_pa is None and (not has_resp or int(per_acc["respondents"].max()) <= 1)
            if people_unknown:
                # no contact list, and either no respondent id or never two people for one account: the accounts
                # look like individual customers (a consumer export), where "one voice per account" is no finding
                notes.append("Single voice not assessed: " + (
                    "the export has no respondent id and no contact list, so how many people were heard per "
                    "account is unknown." if not has_resp else
                    "no account has two respondents and there is no contact list: the accounts look like "
                    "individual customers.") + " Add a contact list (contacts table) to assess it.")
            f = None if people_unknown else _single_voice_finding(per_acc, rev_pa, contacts_pa, s.confidence)
            if f:
                findings.append(f)
                short[f.id] = "single-voice accounts"
            f = _concentration_finding(per_acc, conc, contacts_pa, alpha)
            if f:
                findings.append(f)
                short[f.id] = "responses concentrated in a few accounts"
            notes.append("Concentration: Gini coefficient and share of responses from the top 10% of responding "
                         "accounts (Lorenz curve, interpolated), tested against a multinomial null in which "
                         "accounts differ only by their number of contacts (or not at all): "
                         + ("400 seeded simulations." if conc["method"] == "simulation" else
                            f"with {num(conc['accounts'])} accounts, its large-sample distribution (Poissonised "
                            "counts, normal limit of the sums over accounts; Stigler 1974)."))
        else:
            notes.append(f"Voices per account not assessed: only {len(per_acc)} responding accounts.")

        # D. revenue coverage
        rv = A["revenue"].to_numpy(dtype="float64", na_value=np.nan) if has_rev else None
        if rv is not None and not np.isnan(rv[a_dedup]).all():
            with np.errstate(invalid="ignore"):
                valid = ~np.isnan(rv) & (rv > 0)
            fr = _first_rows(a_codes, len(a_ids), valid)  # as accounts[valid].drop_duplicates("account_id")
            a_rows = np.sort(fr[fr >= 0])
            pos_in_a = np.full(len(a_ids), -1, dtype=np.intp)
            pos_in_a[a_codes[a_rows]] = np.arange(len(a_rows))
            row = _remap(acodes, _remap(r_pos, pos_in_a))
            dec = r["_decision"].to_numpy(dtype=bool) if has_role and dm_values else None
            cov = _revenue_coverage(A.iloc[a_rows], row, acodes >= 0, r["responded_at"], dec, "revenue", "Q",
                                    s.revenue_coverage_target)
            if len(cov):
                tables["revenue_coverage"] = cov.tail(13)
                captions["revenue_coverage"] = ("Share of current customers' ARR with at least one response"
                                                + (" and with a decision-maker response" if "share_decision" in cov
                                                   else "") + f" per quarter, against the "
                                                f"{s.revenue_coverage_target:.0%} target.")
                figures.append(_fig_coverage(cov, s.revenue_coverage_target))
                f = _coverage_finding(cov, s.revenue_coverage_target, dm_values)
                if f:
                    findings.append(f)
                    md = f.evidence.get("mean_share_decision")
                    short[f.id] = (f"only {pct(md)} of ARR heard from a decision maker"
                                   if md is not None and md < s.revenue_coverage_target / 2 else
                                   f"low revenue coverage ({pct(f.evidence['mean_share_heard'])} of ARR heard)")
                notes.append("Revenue coverage: per calendar quarter, accounts that were customers then (started by "
                             "the quarter's end, not churned before its start) with their current ARR; a quarter "
                             "counts an account as heard when it has an analysed response dated in it. Partial "
                             "first/last quarters are shown but left out of the average.")
        else:
            notes.append("Revenue coverage not assessed: needs accounts with revenue (accounts.revenue).")
    else:
        notes.append("Voices per account, concentration and revenue coverage not assessed: no account id "
                     "(responses.account_id).")

    # E. non-response bias: counts per level (and per account) of invitations and answers, never rows
    if invitations is not None and len(invitations):
        answered, method = _invitations_answered(prep)
        if method != "none" and 0 < answered.sum() < len(answered):
            inv_segs = [c for c in prep.config.tables["invitations"].segments if c in invitations] \
                if "invitations" in prep.config.tables else []
            acc_segs = [c for c in prep.config.tables["accounts"].segments
                        if prep.accounts is not None and c in prep.accounts] \
                if "accounts" in prep.config.tables else []
            flag = answered.astype("float64")
            level_tables: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
            if ic is not None:
                level_tables["role"] = _merge_levels(role_labels, _counts(ic, len(role_labels)),
                                                     _counts(ic, len(role_labels), flag))
            for c in dict.fromkeys([*inv_segs, *(a_ for a_ in acc_segs if a_ in invitations)]):
                codes, values = prep.codes(c, "invitations")
                codes = np.asarray(codes, dtype=np.intp)
                level_tables[c] = _merge_levels(values, _counts(codes, len(values)), _counts(codes, len(values), flag))
            deff = 1.0
            if "account_id" in invitations:
                ia, ia_ids = prep.codes("account_id", "invitations")
                ia = np.asarray(ia, dtype=np.intp)
                inv_u, ans_u = _counts(ia, len(ia_ids)), _counts(ia, len(ia_ids), flag)
                alone = ia < 0
                deff = _design_effect(inv_u, ans_u, int(alone.sum()), int(answered[alone].sum()))
                if A is not None:
                    # the account's attributes, per distinct invitation account
                    i_code = _positions(a_ids, pd.Index(ia_ids))

                    def by_account(level_of_code: np.ndarray, labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
                        lv = _remap(i_code, level_of_code)
                        return _merge_levels(labels, _counts(lv, len(labels), inv_u), _counts(lv, len(labels), ans_u))

                    def per_code(values_of_dedup_rows: np.ndarray) -> np.ndarray:
                        out = np.full(len(a_ids), -1, dtype=np.intp)
                        m = a_codes[a_dedup] >= 0
                        out[a_codes[a_dedup][m]] = values_of_dedup_rows[m]
                        return out

                    ad = A.iloc[a_dedup]
                    if "revenue" in ad and ad["revenue"].notna().sum() >= 8:
                        bcodes, blabels = _arr_band_codes(ad["revenue"])
                        if blabels:
                            level_tables["arr_band"] = by_account(per_code(bcodes), blabels)
                    if "churned" in ad and ad["churned"].notna().any():
                        ch = ad["churned"]
                        ccodes_ = np.where(ch.isna().to_numpy(), -1, np.where(_bool(ch), 0, 1)).astype(np.intp)
                        level_tables["churn_status"] = by_account(per_code(ccodes_), ["churned", "retained"])
                    for seg in acc_segs:
                        if seg in ad and seg not in invitations and seg not in level_tables:
                            scodes, svalues = _factorize(ad[seg])
                            level_tables[seg] = by_account(per_code(scodes), svalues)
            attrs = [c for c in ["role", *inv_segs, "arr_band", "churn_status", *acc_segs] if c in level_tables]
            labels = {"role": "role", "arr_band": "ARR", "churn_status": "churn"}
            nr = _nonresponse_from_tables([(a_, level_tables[a_]) for a_ in attrs if level_tables[a_][1].sum() > 0],
                                          deff, labels)
            if len(nr):
                tables["nonresponse"] = nr[["attribute", "test", "p_adj", "effect_size", "effect_measure",
                                            "design_effect", "n", "comparison"]]
                captions["nonresponse"] = ("Invitations answered against not answered, per attribute: chi-square "
                                           "corrected for accounts (Rao-Scott), BH-adjusted p-value, effect size and "
                                           "what differs.")
                parts = []
                for a_ in attrs:
                    if level_tables[a_][1].sum() > 0:
                        rr = _rates_table(*level_tables[a_], s.confidence).assign(attribute=labels.get(a_, a_))
                        if a_ == "arr_band":  # bands in ARR order, not by volume
                            rr = rr.iloc[np.argsort([_first_number(x) for x in rr["level"]], kind="stable")]
                        parts.append(rr)
                rates = pd.concat(parts, ignore_index=True)
                rates = rates[["attribute", "level", "invited", "responded", "response_rate", "ci_low", "ci_high"]]
                tables["response_rates"] = rates.head(30)
                captions["response_rates"] = "Share of invitations answered per attribute level, with Wilson intervals."
                figures.append(_fig_response_rates(rates[rates["attribute"].isin(["role", "ARR", "churn"])]))
                f = _nonresponse_finding(nr, len(answered), float(answered.mean()), alpha)
                if f:
                    findings.append(f)
                    short[f.id] = f"non-response bias ({', '.join(f.evidence['attributes_differing'][:2])})"
                notes.append(f"Non-response: invitations matched to analysed responses by {method} "
                             "(a response counts for its respondent's latest invitation in the 90 days before it). "
                             "Per attribute (role, invitation and account segments, ARR quartile, churn), a "
                             "chi-square test of independence with invitations, divided by the design effect of the "
                             "response rate with accounts as clusters (first-order Rao-Scott correction, Rao & Scott "
                             "1981); effect size Cramer's V (phi); Benjamini-Hochberg across attributes.")
        else:
            notes.append("Non-response bias not assessed: invitations could not be matched to responses (needs "
                         "response_id or respondent_id on both).")
    else:
        notes.append("Non-response bias not assessed: needs the invitations table.")

    summary = _summary(findings, short, r, adj_role, pop_name)
    order = ["role_mix", "adjusted_nps", "nps_by_role", "voices_per_account", "revenue_coverage", "nonresponse",
             "response_rates"]
    tables = {k: tables[k] for k in order if k in tables}
    return AreaResult("balance", findings=findings, tables=tables, figures=figures, summary=summary, notes=notes,
                      table_captions=captions)


def _summary(findings: list[Finding], short: dict[str, str], r: pd.DataFrame, adj_role, pop_name) -> str:
    top = sorted([f for f in findings if f.severity in ("high", "medium")],
                 key=lambda f: ("high", "medium").index(f.severity))
    if not top:
        return "Responses represent the customer base reasonably: no material imbalance found."
    return "Whose voice: " + "; ".join(short.get(f.id, f.title) for f in top[:3]) + "."


# --------------------------------------------------------------------------- findings


def _role_skew_finding(mix: pd.DataFrame, test: dict, pop_name: str | None, dm_values: list[str], adj_role,
                       alpha: float) -> Finding | None:
    if not len(mix):
        return None
    dom, dom_share = test.get("dominant_role"), test.get("dominant_share", 0.0)
    ev: dict[str, Any] = {"n": test.get("n"), "roles": test.get("roles"), "dominant_role": dom,
                          "dominant_share": dom_share, "dominant_share_ci_low": test.get("dominant_ci_low")}
    dm_share = float(mix.loc[mix["role"].isin(dm_values), "share"].sum()) if dm_values else None
    if dm_values:
        ev["decision_maker_share"] = dm_share
    if pop_name and "chi2" in test:
        ev.update(chi2=test["chi2"], dof=test["dof"], p_value=test["p_value"], cramers_v=test["cramers_v"],
                  population=pop_name)
        dm_pop = float(mix.loc[mix["role"].isin(dm_values), "population_share"].sum()) if dm_values else None
        if dm_values:
            ev["decision_maker_population_share"] = dm_pop
        if adj_role is not None:
            ev["raw_nps"] = float(adj_role["nps"] - adj_role["difference"])
            ev["role_adjusted_nps"] = float(adj_role["nps"])
        if test["p_value"] >= alpha:
            return None
        v = test["cramers_v"]
        sig_roles = mix[(mix["p_adj"] < alpha)]
        over = sig_roles[sig_roles["difference"] > 0].sort_values("difference", ascending=False)
        under = sig_roles[sig_roles["difference"] < 0].sort_values("difference")
        dm_ratio = dm_share / dm_pop if dm_values and dm_pop else None
        ev["decision_maker_representation"] = dm_ratio
        dm_under = bool(dm_ratio is not None and dm_ratio <= 0.5 and mix.loc[mix["role"].isin(dm_values),
                                                                               "p_adj"].min() < alpha)
        if v >= 0.3 or dm_under:
            sev = "high"
        elif v >= 0.1:
            sev = "medium"
        else:
            sev = "low"
        shift = abs(float(adj_role["difference"])) if adj_role is not None else 0.0
        if sev == "low" and shift >= 5:
            sev = "medium"
        parts = []
        for _, o in over.head(2).iterrows():
            parts.append(f"{o['role']} give {pct(o['share'])} of responses but are {pct(o['population_share'])} of "
                         f"{pop_name}")
        for _, u in under.head(2).iterrows():
            parts.append(f"{u['role']} give {pct(u['share'])} against {pct(u['population_share'])}")
        lead = over.iloc[0] if len(over) else mix.iloc[0]
        title = (f"'{lead['role']}' respondents are over-represented: {pct(lead['share'])} of responses against "
                 f"{pct(lead['population_share'])} of {pop_name}")
        detail = (f"The respondents' role mix departs from the {pop_name}' (chi-square = {test['chi2']:.1f} on "
                  f"{test['dof']} df, p {p_eq(test['p_value'])}, Cramer's V = {v:.2f}, n = {num(test['n_tested'])}): "
                  + "; ".join(parts) + ".")
        if dm_values and dm_pop:
            detail += (f" Decision makers ({', '.join(dm_values[:4])}) give {pct(dm_share)} of responses against "
                       f"{pct(dm_pop)} of {pop_name}.")
        if adj_role is not None:
            detail += (f" Weighting roles back to the {pop_name}' mix moves the NPS from "
                       f"{pts(ev['raw_nps'])} to {pts(ev['role_adjusted_nps'])}.")
        ev["_short"] = (f"'{lead['role']}' over-represented ({pct(lead['share'])} of responses vs "
                        f"{pct(lead['population_share'])})")
        return Finding("balance.role_skew", sev, title, detail, ev,
                       "Invite the under-represented roles deliberately (named decision makers per account, "
                       "executive sponsors at business reviews), report NPS per role, and quote the role-weighted "
                       "NPS beside the raw one until the mix is repaired.")
    # no population: dominance only
    if dom_share >= DOMINANT_SHARE and test.get("dominant_ci_low", 0) >= DOMINANT_SHARE - 0.05 and test["n"] >= 20:
        sev = "medium" if dom_share >= 0.75 else "low"
        ev["_short"] = f"{dom} dominate ({pct(dom_share)} of responses)"
        return Finding("balance.role_skew", sev, f"One role dominates: {dom} give {pct(dom_share)} of responses",
                       f"{num(mix.iloc[0]['responses'])} of {num(test['n'])} responses with a role come from {dom} "
                       f"(interval {pct(mix.iloc[0]['ci_low'])} to {pct(mix.iloc[0]['ci_high'])}). Without a "
                       "contact list the kit cannot say how far this departs from the customer base, but the NPS "
                       "is mostly theirs.",
                       ev, "Provide the contact list (contacts table) so that the mix can be compared with the "
                           "customer base, and invite other roles deliberately.")
    return None


def _role_gap_finding(r: pd.DataFrame, t: pd.DataFrame, dm_values: list[str], alpha: float,
                      confidence: float) -> Finding | None:
    test = t.attrs.get("test", {})
    if not test or test.get("p_value", 1) >= alpha:
        return None
    sig = t[(t["p_adj"] < alpha) & (t["diff_vs_rest"].abs() >= 10)]
    dm_res = None
    if dm_values and "_decision" in r:
        cats = r["category"] if "category" in r else None
        if cats is not None:
            def counts(mask):
                c = cats[mask]
                return ((c == "detractor").sum(), (c == "passive").sum(), (c == "promoter").sum())
            dm, other = r["_decision"], ~r["_decision"] & r["role"].notna()
            if dm.sum() >= 10 and other.sum() >= 10:
                cd, co = counts(dm), counts(other)
                dm_res = nps_diff_test(cd, co, confidence=confidence)
                dm_nps = 100 * (cd[2] - cd[0]) / sum(cd)
                other_nps = 100 * (co[2] - co[0]) / sum(co)
    dm_sig = dm_res is not None and dm_res.p_value < alpha and abs(dm_res.diff) >= 10
    if sig.empty and not dm_sig:
        return None
    big = max([abs(x) for x in sig["diff_vs_rest"]] + ([abs(dm_res.diff)] if dm_sig else []))
    sev = "high" if big >= 20 else "medium"
    hi, lo = t.loc[t["n"] >= 10].sort_values("nps").iloc[-1], t.loc[t["n"] >= 10].sort_values("nps").iloc[0]
    ev: dict[str, Any] = {"chi2": test["chi2"], "dof": test["dof"], "p_value": test["p_value"],
                          "cramers_v": test["cramers_v"], "n": test["n"], "highest_role": hi["role"],
                          "highest_nps": hi["nps"], "lowest_role": lo["role"], "lowest_nps": lo["nps"],
                          "largest_gap_vs_rest": big}
    detail = (f"NPS ranges from {pts(lo['nps'])} for {lo['role']} (n = {num(lo['n'])}, interval "
              f"{pts(lo['ci_low'])} to {pts(lo['ci_high'])}) to {pts(hi['nps'])} for {hi['role']} "
              f"(n = {num(hi['n'])}, {pts(hi['ci_low'])} to {pts(hi['ci_high'])}); the category mix differs by role "
              f"(chi-square = {test['chi2']:.1f} on {test['dof']} df, p {p_eq(test['p_value'])}).")
    title = f"NPS differs by role: {pts(lo['nps'], 0)} for {lo['role']} against {pts(hi['nps'], 0)} for {hi['role']}"
    if dm_res is not None:
        ev.update(decision_maker_nps=dm_nps, other_roles_nps=other_nps, decision_maker_gap=dm_res.diff,
                  decision_maker_gap_p=dm_res.p_value)
        detail += (f" Decision makers' NPS is {abs(dm_res.diff):.1f} points "
                   f"{'below' if dm_res.diff < 0 else 'above'} other roles' (difference interval "
                   f"{pts(dm_res.ci_low)} to {pts(dm_res.ci_high)}, p {p_eq(dm_res.p_value)}).")
        if dm_sig and dm_res.diff < 0:
            title = (f"Decision makers' NPS is {abs(dm_res.diff):.0f} points below other roles' "
                     f"({pts(dm_nps, 0)} against {pts(other_nps, 0)})")
    return Finding("balance.role_gap", sev, title, detail, ev,
                   "Report NPS per role rather than one blended figure, and act on the less positive roles' "
                   "feedback first when they are the ones who decide renewals; weight the headline to the "
                   "contact role mix.")


def _single_voice_finding(per_acc: pd.DataFrame, rev: np.ndarray | None, contacts: np.ndarray | None,
                          confidence: float) -> Finding | None:
    """``rev`` and ``contacts``: revenue and contacts of each row of ``per_acc`` (NaN: unknown), or None."""
    k = len(per_acc)
    single = (per_acc["respondents"] == 1).to_numpy()
    n_single = int(single.sum())
    share = n_single / k
    lo, hi = wilson_interval(n_single, k, confidence)
    ev: dict[str, Any] = {"accounts": k, "single_voice_accounts": n_single, "share": share,
                          "share_ci_low": float(lo), "share_ci_high": float(hi),
                          "median_respondents_per_account": float(per_acc["respondents"].median())}
    avoidable = None
    if contacts is not None:
        nc = np.where(np.isnan(contacts), 1, contacts)
        avoidable = int((single & (nc >= 2)).sum())
        ev["single_voice_with_more_contacts"] = avoidable
    rev_share = None
    if rev is not None:
        if (~np.isnan(rev)).any() and np.nansum(rev) > 0:
            rev_share = float(np.nansum(rev[single]) / np.nansum(rev))
            ev["share_revenue_single_voice"] = rev_share
    basis = (avoidable / k) if avoidable is not None else share
    if basis < 0.5:
        return None
    sev = "high" if basis >= 0.75 and (rev_share is None or rev_share >= 0.5) else "medium"
    detail = (f"{num(n_single)} of {num(k)} responding accounts ({pct(share)}, interval {pct(lo)} to {pct(hi)}) are "
              "heard through a single person")
    if avoidable is not None:
        detail += f", {num(avoidable)} of them with more contacts on file"
    if rev_share is not None:
        detail += f"; they hold {pct(rev_share)} of the responding accounts' ARR"
    detail += (". One person's view of an account is an anecdote: a single champion or a single frustrated user "
               "decides how the whole account is read.")
    return Finding("balance.single_voice", sev,
                   f"{pct(share)} of responding accounts are represented by a single respondent", detail, ev,
                   "Survey several contacts per account (at least one decision maker and one day-to-day user), "
                   "starting with the largest single-voice accounts; read an account's NPS only with two or more "
                   "voices.")


def _concentration_finding(per_acc: pd.DataFrame, conc: dict, contacts: np.ndarray | None,
                           alpha: float) -> Finding | None:
    top = conc["top_share"]
    if conc["accounts"] < 20 or top < 0.4 or not (conc["p_value"] < alpha):
        return None
    sev = "high" if top >= 0.6 else "medium"
    ev: dict[str, Any] = {"accounts": conc["accounts"], "responses": conc["responses"], "gini": conc["gini"],
                          "top10_share": top, "expected_top10_share": conc["expected_top_share"],
                          "largest_account_share": conc["largest_share"], "p_value": conc["p_value"]}
    note = ""
    if contacts is not None:
        nc = np.nan_to_num(np.asarray(contacts, dtype="float64"), nan=0.0)
        if nc.sum() > 0:
            k = max(1, int(round(0.1 * len(per_acc))))
            order = np.argsort(-per_acc["responses"].to_numpy())[:k]
            c_share = float(nc[order].sum() / nc.sum())
            ev["top10_contact_share"] = c_share
            note = f" These accounts hold {pct(c_share)} of the responding accounts' contacts."
            if top <= 1.25 * c_share:
                sev = "low"
                note += " Their weight mostly reflects their size."
    detail = (f"The 10% of responding accounts that answer most give {pct(top)} of all responses (Gini "
              f"{conc['gini']:.2f}; about {pct(conc['expected_top_share'])} expected if accounts answered alike, "
              f"p {p_eq(conc['p_value'])}); the largest account alone gives {pct(conc['largest_share'], 1)}."
              + note + " The NPS then mostly reflects these few relationships.")
    return Finding("balance.concentration", sev,
                   f"A few accounts dominate: the top 10% give {pct(top)} of responses", detail, ev,
                   "Cap invitations per account per period, widen the sending list to under-heard accounts and "
                   "quote the account-weighted NPS (each account counts once) beside the raw one.")


def _coverage_finding(cov: pd.DataFrame, target: float, dm_values: list[str]) -> Finding | None:
    q = cov[(cov["period"] != "whole period")]
    full = q[~q["partial"]]
    use = full if len(full) else q
    if use.empty:
        return None
    mean_any = float(use["share_heard"].mean())
    ev: dict[str, Any] = {"target": target, "quarters": int(len(use)), "mean_share_heard": mean_any,
                          "min_share_heard": float(use["share_heard"].min()),
                          "quarters_below_target": int((use["share_heard"] < target).sum()),
                          "revenue_total": float(use["revenue"].iloc[-1])}
    sevs = []
    gap = target - mean_any
    if gap > 0:
        sevs.append("high" if gap >= 0.3 else ("medium" if gap >= 0.1 else "low"))
    mean_dm = None
    if "share_decision" in use:
        mean_dm = float(use["share_decision"].mean())
        ev["mean_share_decision"] = mean_dm
        if mean_dm < target:
            sevs.append("high" if mean_dm < target / 2 else "medium")
    sev = worst(sevs)
    if sev is None:
        return None
    detail = (f"On average {pct(mean_any)} of current customers' ARR had at least one response per quarter "
              f"(lowest {pct(ev['min_share_heard'])}; {ev['quarters_below_target']} of {len(use)} quarters below "
              f"the {pct(target)} target)")
    if mean_dm is not None:
        detail += f", and only {pct(mean_dm)} had a response from a decision maker"
    detail += (". Revenue that is not heard cannot warn of churn: the NPS describes the accounts that answer, not the "
               "book of business.")
    title = f"Only {pct(mean_any)} of ARR is heard from each quarter (target {pct(target)})"
    if mean_dm is not None and (gap <= 0 or mean_dm < target / 2):
        title = (f"Only {pct(mean_dm)} of ARR is heard from a decision maker each quarter "
                 f"({pct(mean_any)} from anyone; target {pct(target)})")
    return Finding("balance.revenue_coverage", sev, title, detail, ev,
                   "List the largest accounts without a response this quarter and ask their account owners to secure "
                   "feedback from a decision maker (relationship survey or business review); track ARR heard per "
                   "quarter as a program KPI.")


def _nonresponse_finding(nr: pd.DataFrame, n_inv: int, rate: float, alpha: float) -> Finding | None:
    def material(row) -> str | None:
        if not row["p_adj"] < alpha:
            return None
        e = abs(row["effect_size"])
        if row["attribute"] == "churn" and row["lowest_rate_level"] == "churned" and row["rate_ratio"] <= 0.67:
            return "high"
        return "high" if e >= 0.3 else ("medium" if e >= 0.1 else None)

    hits = [(sv, row) for sv, row in ((material(row), row) for _, row in nr.iterrows()) if sv]
    if not hits:
        return None
    sev = worst(sv for sv, _ in hits)
    ev: dict[str, Any] = {"invitations": int(n_inv), "response_rate": rate,
                          "attributes_tested": int(len(nr)), "attributes_differing": [row["attribute"]
                                                                                      for _, row in hits],
                          "design_effect": float(nr["design_effect"].iloc[0])}
    for _, row in hits[:3]:
        ev[f"{row['attribute']}_p_adj"] = float(row["p_adj"])
        ev[f"{row['attribute']}_effect"] = float(row["effect_size"])
    detail = (f"{pct(rate)} of {num(n_inv)} invitations were answered. Those who answered differ from those who "
              "did not: " + "; ".join(f"{row['attribute']}: {row['comparison']} ({row['effect_measure']} "
                                      f"{row['effect_size']:.2f}, adjusted p {p_eq(row['p_adj'])})"
                                      for _, row in hits[:4]) + ". The NPS describes the people who chose to answer.")
    names = ", ".join(str(row["attribute"]) for _, row in hits[:3])
    return Finding("balance.nonresponse_bias", sev, f"Responders differ from non-responders on {names}", detail, ev,
                   "Follow up non-responders in the groups that answer least (reminders, another channel, the account "
                   "owner asking in person), and weight results to the invited population where the gap persists.")
