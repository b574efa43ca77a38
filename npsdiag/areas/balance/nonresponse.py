"""Non-response: do the invited people (or the accounts) who answered differ from those who did not?

- :func:`match_invitations` -- which invitations led to an analysed response;
- :func:`invitation_attributes` -- the invitations with their account's ARR
  band, churn status and segments;
- :func:`account_attributes` -- without invitations, where the accounts
  table lists the whole customer base: each account, whether it responded,
  and the same attributes;
- :func:`response_rates` -- the response rate per level of an attribute;
- :func:`level_table` -- an attribute's units and answers per level from
  integer codes, with the design effect of its own table;
- :func:`nonresponse_bias` -- per attribute, a chi-square test of
  independence with response, each table corrected for invitations
  clustered in accounts by its own design effects (first-order Rao-Scott,
  :mod:`npsdiag.stats.design`); for accounts, independent units, Pearson's
  chi-square or Fisher's exact test.

References
----------
.. [1] Rao, J. N. K. & Scott, A. J. (1981). The analysis of categorical data
   from complex sample surveys. JASA, 76(374), 221-230.
.. [2] Groves, R. M. (2006). Nonresponse rates and nonresponse bias in
   household surveys. Public Opinion Quarterly, 70(5), 646-675.
.. [3] Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley.
.. [4] Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery
   rate. JRSS B, 57(1), 289-300.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...fmt import num, pct
from ...linking import counts, remap
from ...linking import match_invitations as link_invitations
from ...stats.design import independence_test, rao_scott_codes, rao_scott_test
from ...stats.multiplicity import bh_adjust
from ...stats.proportions import wilson_interval
from .codes import as_bool, factorize, text_codes

__all__ = ["match_invitations", "invitation_attributes", "account_attributes", "response_rates", "nonresponse_bias",
           "level_table", "LevelTable", "account_attribute_codes", "MIN_LEVEL_COUNT"]

#: Levels with fewer invitations (or accounts) are left out of the tests.
MIN_LEVEL_COUNT = 5


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
    matched = link_invitations(invitations, responses, window_days=window_days)  # one matching rule for every area
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
    t = _frame_level_table(invitations[by], as_bool(invitations[responded]))
    return rates_from_counts(t.levels, t.invited, t.answered, confidence)


def _merge(labels) -> tuple[np.ndarray, np.ndarray]:
    """The level of each label once labels that read the same as text are one (levels in text order)."""
    lab = np.array([str(x) for x in labels], dtype=object)
    codes, uniq = pd.factorize(lab, sort=True)
    return np.asarray(codes, dtype=np.intp), np.asarray(uniq, dtype=object)


def merge_levels(labels, invited, answered) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum the counts of levels that read the same as text; levels in text order.

    Examples
    --------
    >>> lv, inv, ans = merge_levels([2, "2", "a"], [3, 1, 5], [1, 1, 0])
    >>> lv.tolist(), inv.tolist(), ans.tolist()
    (['2', 'a'], [4.0, 5.0], [2.0, 0.0])
    """
    codes, uniq = _merge(labels)
    k = len(uniq)
    return (uniq, counts(codes, k, np.asarray(invited, dtype="float64")),
            counts(codes, k, np.asarray(answered, dtype="float64")))


@dataclass
class LevelTable:
    """One attribute's units (invitations or accounts) and answers per level, and its table's design effect.

    ``levels`` are in text order (levels that read alike merged); ``deff`` is the first-order Rao-Scott
    divisor of its levels x answered table (the mean generalised design effect; 1 for independent units).
    """

    levels: np.ndarray
    invited: np.ndarray
    answered: np.ndarray
    deff: float = 1.0


def level_table(codes: np.ndarray, labels, answered: np.ndarray, clusters: np.ndarray | None = None,
                n_clusters: float | None = None, invited: np.ndarray | None = None,
                min_count: int = MIN_LEVEL_COUNT) -> LevelTable:
    """An attribute's units and answers per level, with the design effect of its own table.

    Parameters
    ----------
    codes : array of int
        Level of each record (into ``labels``; -1 missing).
    labels : array-like
        The levels; those that read the same as text are merged.
    answered : array
        Per record: whether the unit answered (0/1), or how many of its ``invited`` units did.
    clusters : array of int, optional
        Cluster (account) code of each record, -1 for units that are their own cluster. None: independent
        units (design effect 1).
    n_clusters : float, optional
        Clusters of the whole design (see :func:`npsdiag.stats.design.rao_scott_codes`).
    invited : array, optional
        Units each record stands for (default 1: one record per unit).
    min_count : int
        Levels with fewer units are left out of the test (and so of its design effect).

    Returns
    -------
    LevelTable
    """
    mapping, lab = _merge(labels)
    lv = remap(np.asarray(codes, dtype=np.intp), mapping)
    ans = np.asarray(answered, dtype="float64")
    inv = None if invited is None else np.asarray(invited, dtype="float64")
    inv_l, ans_l = counts(lv, len(lab), inv).astype("float64"), counts(lv, len(lab), ans)
    deff = 1.0
    if clusters is not None:
        keep = inv_l >= min_count
        tested = lv if keep.all() else remap(lv, np.where(keep, np.arange(len(lab)), -1))
        if inv is None:
            rs = rao_scott_codes(tested, ans.astype(np.intp), clusters, n_clusters=n_clusters)
        else:
            g = np.asarray(clusters, dtype=np.intp)
            rs = rao_scott_codes(np.concatenate([tested, tested]), np.repeat([0, 1], len(tested)),
                                 np.concatenate([g, g]), np.concatenate([inv - ans, ans]), n_clusters=n_clusters)
        deff = rs.deff_mean
    return LevelTable(lab, inv_l, ans_l, float(deff))


def _frame_level_table(values: pd.Series, flag: np.ndarray, clusters: np.ndarray | None = None,
                       n_clusters: float | None = None) -> LevelTable:
    """:func:`level_table` of a column read as text (one record per unit)."""
    codes, lab = text_codes(values, sort=True)
    return level_table(codes, lab, flag.astype("float64"), clusters, n_clusters)


def rates_from_counts(levels: np.ndarray, invited: np.ndarray, answered: np.ndarray,
                      confidence: float) -> pd.DataFrame:
    """:func:`response_rates` from the invitations and answers per level (levels in text order)."""
    seen = np.asarray(invited) > 0
    out = pd.DataFrame({"level": np.asarray(levels, dtype=object)[seen],
                        "invited": np.asarray(invited)[seen].astype("int64"),
                        "responded": np.round(np.asarray(answered)[seen]).astype(int)})
    out["response_rate"] = out["responded"] / out["invited"]
    lo, hi = wilson_interval(out["responded"], out["invited"], confidence)
    out["ci_low"], out["ci_high"] = lo, hi
    return out.sort_values("invited", ascending=False, kind="stable").reset_index(drop=True)


def arr_band_codes(revenue: pd.Series, bands: int = 4) -> tuple[np.ndarray, list[str]]:
    """ARR bands (quartiles of the accounts' ARR) labelled with their range: a code per value and the labels.

    Codes are -1 for a missing revenue; no labels when the ARR does not split into bands.

    Examples
    --------
    >>> codes, labels = arr_band_codes(pd.Series([100.0, 200.0, 300.0, 400.0, None]))
    >>> codes.tolist(), labels
    ([0, 1, 2, 3, -1], ['ARR 100-175', 'ARR 175-250', 'ARR 250-325', 'ARR 325-400'])
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


def account_attribute_codes(a: pd.DataFrame, segments: Iterable[str]) -> dict[str, tuple[np.ndarray, list]]:
    """Codes per row of ``a`` (one row per account) and labels of each account attribute.

    ``arr_band`` (the ARR quartile, with at least 8 accounts with revenue), ``churn_status`` (churned /
    retained; missing where the outcome is not known) and the ``segments``.
    """
    out: dict[str, tuple[np.ndarray, list]] = {}
    if "revenue" in a and a["revenue"].notna().sum() >= 8:
        bcodes, blabels = arr_band_codes(a["revenue"])
        if blabels:
            out["arr_band"] = (bcodes, blabels)
    if "churned" in a and a["churned"].notna().any():
        ch = a["churned"]
        out["churn_status"] = (np.where(ch.isna().to_numpy(), -1, np.where(as_bool(ch), 0, 1)).astype(np.intp),
                               ["churned", "retained"])
    for seg in segments:
        if seg in a and seg not in out:
            scodes, svalues = factorize(a[seg])
            out[seg] = (scodes, list(svalues))
    return out


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
    codes, values = factorize(inv[account])
    # row of ``a`` of each invitation, matched on the few distinct account ids (-1: unknown account)
    row = remap(codes, pd.Index(a[account]).get_indexer(pd.Index(values, dtype=object)))
    segs = [seg for seg in account_segments if seg not in inv]
    for name, (acc_codes, labels) in account_attribute_codes(a, segs).items():
        inv[name] = pd.Series(pd.Categorical.from_codes(remap(row, acc_codes),
                                                        categories=pd.Index(labels, dtype=object)), index=inv.index)
    return inv


def account_attributes(
    accounts: pd.DataFrame,
    responses: pd.DataFrame,
    account: str = "account_id",
    segments: Iterable[str] = (),
) -> pd.DataFrame:
    """The accounts (one row each), whether each responded, and their ``arr_band``, ``churn_status`` and segments.

    Parameters
    ----------
    accounts : DataFrame
        The accounts table, taken as the customer base: ``account``, and ``revenue``, ``churned`` and segment
        columns where known. Leave out accounts that were not customers while the survey ran (churned before
        it began, or joined after it ended), as the area's check does: they could not have answered.
    responses : DataFrame
        Analysed responses with ``account``.
    account : str
        Account column of both tables.
    segments : iterable of str
        Account columns to compare.

    Returns
    -------
    DataFrame
        The first row of each account (rows without an id left out) with a boolean ``responded`` (the
        account has an analysed response) and the attributes of :func:`invitation_attributes`, as categoricals.

    Examples
    --------
    >>> acc = pd.DataFrame({"account_id": ["a", "b", "c"], "churned": [True, False, False]})
    >>> out = account_attributes(acc, pd.DataFrame({"account_id": ["a", "a"]}))
    >>> out["responded"].tolist(), out["churn_status"].tolist()
    ([True, False, False], ['churned', 'retained', 'retained'])
    """
    a = accounts.loc[accounts[account].notna()].drop_duplicates(account).reset_index(drop=True)
    a["responded"] = a[account].isin(pd.Index(responses[account].dropna().unique()))
    for name, (acc_codes, labels) in account_attribute_codes(a, list(segments)).items():
        a[name] = pd.Categorical.from_codes(acc_codes, categories=pd.Index(labels, dtype=object))
    return a


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
        :func:`invitation_attributes`). Rows may as well be accounts (with
        ``cluster=None``: :func:`account_attributes`).
    attributes : iterable of str
        Columns to test.
    responded : str
        Column saying whether the invitation was answered.
    cluster : str, optional
        Column grouping invitations that are not independent (the account);
        the tests are corrected for it. None: independent units.
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
    Per attribute, a chi-square test of independence between the attribute
    (levels with at least 5 invitations) and response. Invitations of one
    account are correlated, so each attribute's statistic is divided by the
    mean generalised design effect of its own table with accounts as
    clusters (first-order Rao-Scott correction; Rao & Scott 1981, JASA
    76:221-230), as R's ``svychisq(~attribute + responded, svydesign(ids =
    ~account), statistic = "Chisq")`` (:func:`npsdiag.stats.design.rao_scott_codes`);
    an invitation whose attribute is missing stays in the design (domain
    estimation). A design effect below 1 is not used to make a test less
    conservative. Without clusters: Pearson's chi-square, or Fisher's exact
    test when an expected count is below 5
    (:func:`npsdiag.stats.design.independence_test`). Effect size: Cramer's V
    (phi for two levels) of the uncorrected table.

    Examples
    --------
    >>> inv = pd.DataFrame({"role": ["user"] * 50 + ["exec"] * 50, "responded": [True] * 40 + [False] * 60})
    >>> round(float(nonresponse_bias(inv, ["role"], cluster=None)["effect_size"].iloc[0]), 2)
    0.82
    """
    flag = as_bool(invitations[responded])
    g = n_clusters = None
    if cluster and cluster in invitations:
        g, _ = factorize(invitations[cluster])  # -1: an invitation without an account is its own cluster
        n_clusters = float(np.count_nonzero(counts(g, int(g.max(initial=-1)) + 1)) + np.count_nonzero(g < 0))
    tables = [(attr, _frame_level_table(invitations[attr], flag, g, n_clusters)) for attr in attributes
              if attr in invitations and invitations[attr].notna().any()]
    return nonresponse_from_tables(tables, labels, independent=g is None)


def _churn_note(t: LevelTable) -> str:
    """For accounts: churn among responding accounts against the others (from the churned / retained levels)."""
    lv = list(t.levels)
    if sorted(lv) != ["churned", "retained"]:
        return ""
    c, r = lv.index("churned"), lv.index("retained")
    resp = t.answered[c] + t.answered[r]
    non = t.invited[c] - t.answered[c] + t.invited[r] - t.answered[r]
    if resp <= 0 or non <= 0:
        return ""
    return (f"; churn was {pct(t.answered[c] / resp, 1)} among responding accounts against "
            f"{pct((t.invited[c] - t.answered[c]) / non, 1)} among the others")


def nonresponse_from_tables(tables: list[tuple[str, LevelTable]], labels: dict[str, str] | None = None,
                            independent: bool = False) -> pd.DataFrame:
    """:func:`nonresponse_bias` from each attribute's :class:`LevelTable`; the integer-code path of the area's check.

    ``independent``: the units are accounts, each its own unit (Pearson's chi-square or Fisher's exact test);
    else invitations in clusters, each table divided by its own design effect (at least 1).
    """
    labels = labels or {}
    rows = []
    for attr, t in tables:
        if independent:
            test = independence_test(t.levels, t.invited, t.answered)
        else:
            test = rao_scott_test(t.levels, t.invited, t.answered, deff=max(1.0, t.deff) if np.isfinite(t.deff)
                                  else 1.0)
        if test is None:
            continue
        res = test.to_dict()
        name = labels.get(attr, attr)
        if independent:
            comparison = (f"{pct(res['lowest_rate'])} of {res['lowest_rate_level']} accounts responded against "
                          f"{pct(res['highest_rate'])} of {res['highest_rate_level']}"
                          + (_churn_note(t) if attr == "churn_status" else ""))
        else:
            comparison = (f"response rate {pct(res['lowest_rate'])} for {res['lowest_rate_level']} to "
                          f"{pct(res['highest_rate'])} for {res['highest_rate_level']}")
        res.update(attribute=name, rate_ratio=res["lowest_rate"] / res["highest_rate"] if res["highest_rate"] else
                   np.nan, comparison=comparison)
        rows.append(res)
    cols = ["attribute", "test", "statistic", "dof", "p_value", "p_adj", "effect_size", "effect_measure",
            "design_effect", "n", "comparison", "rate_ratio", "lowest_rate_level", "lowest_rate",
            "highest_rate_level", "highest_rate"]
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["p_adj"] = bh_adjust(out["p_value"])
    return out[cols]
