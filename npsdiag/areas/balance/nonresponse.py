"""Non-response: do the invited people who answered differ from those who did not?

- :func:`match_invitations` -- which invitations led to an analysed response;
- :func:`invitation_attributes` -- the invitations with their account's ARR
  band, churn status and segments;
- :func:`response_rates` -- the response rate per level of an attribute;
- :func:`nonresponse_bias` -- per attribute, a chi-square test of
  independence with response, corrected for invitations clustered in
  accounts (Rao-Scott, :mod:`npsdiag.stats.design`).

References
----------
.. [1] Rao, J. N. K. & Scott, A. J. (1981). The analysis of categorical data
   from complex sample surveys. JASA, 76(374), 221-230.
.. [2] Groves, R. M. (2006). Nonresponse rates and nonresponse bias in
   household surveys. Public Opinion Quarterly, 70(5), 646-675.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ...fmt import num, pct
from ...linking import counts, remap
from ...linking import match_invitations as link_invitations
from ...stats.design import proportion_design_effect, rao_scott_test
from ...stats.multiplicity import bh_adjust
from ...stats.proportions import wilson_interval
from .codes import as_bool, factorize, text_codes

__all__ = ["match_invitations", "invitation_attributes", "response_rates", "nonresponse_bias"]


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
    return rates_from_counts(*_level_table(invitations[by], as_bool(invitations[responded])), confidence)


def _level_table(levels: pd.Series, flag: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Invitations and answers per level read as text (levels in text order, missing left out)."""
    codes, lab = text_codes(levels, sort=True)
    return lab, counts(codes, len(lab)), counts(codes, len(lab), flag.astype("float64"))


def merge_levels(labels, invited, answered) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum the counts of levels that read the same as text; levels in text order.

    Examples
    --------
    >>> lv, inv, ans = merge_levels([2, "2", "a"], [3, 1, 5], [1, 1, 0])
    >>> lv.tolist(), inv.tolist(), ans.tolist()
    (['2', 'a'], [4.0, 5.0], [2.0, 0.0])
    """
    lab = np.array([str(x) for x in labels], dtype=object)
    codes, uniq = pd.factorize(lab, sort=True)
    codes = np.asarray(codes, dtype=np.intp)
    k = len(uniq)
    return (np.asarray(uniq, dtype=object), counts(codes, k, np.asarray(invited, dtype="float64")),
            counts(codes, k, np.asarray(answered, dtype="float64")))


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

    def carry(acc_codes: np.ndarray, labels) -> pd.Series:
        return pd.Series(pd.Categorical.from_codes(remap(row, acc_codes), categories=labels), index=inv.index)

    if "revenue" in a and a["revenue"].notna().sum() >= 8:
        bcodes, blabels = arr_band_codes(a["revenue"])
        if blabels:
            inv["arr_band"] = carry(bcodes, blabels)
    if "churned" in a and a["churned"].notna().any():
        ch = a["churned"]
        ccodes = np.where(ch.isna().to_numpy(), -1, np.where(as_bool(ch), 0, 1)).astype(np.intp)
        inv["churn_status"] = carry(ccodes, ["churned", "retained"])
    for seg in account_segments:
        if seg in a and seg not in inv:
            scodes, svalues = factorize(a[seg])
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
    deff = proportion_design_effect(invitations[responded], invitations[cluster]) \
        if cluster and cluster in invitations else 1.0
    flag = as_bool(invitations[responded])
    tables = [(attr, _level_table(invitations[attr], flag)) for attr in attributes
              if attr in invitations and invitations[attr].notna().any()]
    return nonresponse_from_tables(tables, deff, labels)


def nonresponse_from_tables(tables: list[tuple[str, tuple[np.ndarray, np.ndarray, np.ndarray]]], deff: float,
                            labels: dict[str, str] | None = None) -> pd.DataFrame:
    """:func:`nonresponse_bias` from each attribute's (levels, invitations, answers) per level (levels in text
    order) and the design effect of the response rate; the integer-code path of the area's check."""
    labels = labels or {}
    rows = []
    for attr, (lv, invited, answered) in tables:
        test = rao_scott_test(lv, invited, answered, deff=deff)
        if test is None:
            continue
        res = test.to_dict()
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


