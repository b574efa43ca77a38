"""Outcome's sensitivity to the account score's definition: the same results under each way of summarising an account.

An account answers many times, through several people. Which of its
responses predicts its renewal is a choice; the report uses the latest score
given before the outcome (more than the embargo before it), its decision
makers' where one answered (:func:`~npsdiag.areas.outcome.account_scores`).
:func:`score_definitions` puts that choice beside the others a consultant
will be asked about (the latest of anyone, the mean, the lowest, each group
of roles, no embargo, and the mean of every response before the outcome
that earlier versions used): the AUC and the churn of each NPS category
under each, and how many accounts change category.

References
----------
.. [1] DeLong, E. R., DeLong, D. M. & Clarke-Pearson, D. L. (1988). Comparing
   the areas under two or more correlated receiver operating characteristic
   curves: a nonparametric approach. Biometrics, 44(3), 837-845.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...stats.auc import auc_delong
from ...stats.nps import Breaks, categorize

__all__ = ["DEFINITION_COLUMNS", "definition_labels", "score_definitions"]

DEFINITION_COLUMNS = ["definition", "used", "accounts", "churned", "auc", "auc_ci_low", "auc_ci_high", "p_value",
                      "detractors", "detractor_churn_rate", "passives", "passive_churn_rate", "promoters",
                      "promoter_churn_rate", "recategorised"]


def definition_labels(data: pd.DataFrame, embargo_days: float = 30) -> list[tuple[str, str, bool]]:
    """The definitions of :func:`score_definitions` the table holds: (label, column, embargoed) in row order.

    ``embargoed`` False marks the rows computed on the table without the embargo.

    Examples
    --------
    >>> [label for label, _, _ in definition_labels(pd.DataFrame({"score": [1.0], "score_mean": [1.0]}))][:2]
    ['latest score (used in this report)', 'mean of its scores']
    """
    dm = "score_decision" in data and data["score_decision"].notna().any()
    days = f"{embargo_days:g}"
    used = ("latest score, decision makers' first (used in this report)" if dm
            else "latest score (used in this report)")
    rows = [(used, "score", True)]
    if dm:
        rows.append(("latest score of any role", "score_latest", True))
    rows += [("mean of its scores", "score_mean", True), ("lowest of its scores", "score_min", True)]
    if dm:
        rows += [("decision makers' latest (accounts where one answered)", "score_decision", True),
                 ("other roles' latest (accounts where one answered)", "score_other", True)]
    if embargo_days > 0:
        rows += [(f"as used, without the {days}-day embargo", "score", False),
                 (f"mean of every score before the outcome, without the {days}-day embargo (the former definition)",
                  "score_mean", False)]
    return rows


def _row(label: str, d: pd.DataFrame, col: str, used: bool, reference: tuple[pd.Index, np.ndarray] | None,
         breaks: Breaks, confidence: float) -> dict:
    """One definition's row: AUC, churn by category and the accounts whose category differs from the used one.

    ``reference`` holds the used definition's account ids and category codes (0 detractor, 1 passive, 2 promoter).
    """
    d = d[d[col].notna()]
    y = d["churned"].to_numpy(dtype="float64")
    a = auc_delong(y, d[col], confidence)
    cat = np.asarray(categorize(d[col], breaks).cat.codes)
    row = {"definition": label, "used": used, "accounts": len(d), "churned": int(y.sum()), "auc": a.auc,
           "auc_ci_low": a.ci_low, "auc_ci_high": a.ci_high, "p_value": a.p_value}
    for code, name in enumerate(("detractor", "passive", "promoter")):
        m = cat == code
        row[f"{name}s"] = int(m.sum())
        row[f"{name}_churn_rate"] = float(y[m].mean()) if m.any() else np.nan
    if reference is not None and "account_id" in d:
        at = reference[0].get_indexer(d["account_id"])
        row["recategorised"] = int((cat[at >= 0] != reference[1][at[at >= 0]]).sum())
    return row


def score_definitions(
    data: pd.DataFrame,
    confidence: float = 0.95,
    breaks: Breaks = Breaks(),
    unembargoed: pd.DataFrame | None = None,
    embargo_days: float = 30,
) -> pd.DataFrame:
    """How the link between score and churn moves with the definition of an account's score.

    Parameters
    ----------
    data : DataFrame
        :func:`~npsdiag.areas.outcome.account_scores` output (with the embargo).
    confidence : float
        Level of the DeLong intervals.
    breaks : Breaks
        Category breaks.
    unembargoed : DataFrame, optional
        The same accounts table computed without the embargo
        (``account_scores(..., embargo_days=0)``): adds the rows "as used,
        without the embargo" and the former definition (the mean of every
        response before the outcome).
    embargo_days : float
        The embargo of ``data``, for the labels.

    Returns
    -------
    DataFrame
        One row per definition the data hold (:func:`definition_labels`):
        ``definition``, ``used`` (the definition of the report), ``accounts``,
        ``churned``, ``auc``, ``auc_ci_low``, ``auc_ci_high``, ``p_value``
        (DeLong; AUC = 0.5), ``detractors``, ``detractor_churn_rate``,
        ``passives``, ``passive_churn_rate``, ``promoters``,
        ``promoter_churn_rate`` (churn of the accounts of each NPS category
        under the definition, 0-1) and ``recategorised`` (accounts, among
        those the used definition also scores, whose category differs from
        the one it gives them).

    Examples
    --------
    Account ``a`` answered 0 then 10: a promoter by its latest score, a detractor by its mean.

    >>> d = pd.DataFrame({"account_id": ["a", "b", "c", "d"], "churned": [0, 1, 1, 0], "score": [10.0, 3, 5, 9],
    ...                   "score_latest": [10.0, 3, 5, 9], "score_mean": [5.0, 3, 6, 9], "score_min": [0.0, 3, 5, 8]})
    >>> t = score_definitions(d, embargo_days=0)
    >>> t[["definition", "auc", "promoters", "recategorised"]].to_numpy().tolist()
    [['latest score (used in this report)', 1.0, 2, 0], ['mean of its scores', 0.75, 1, 1], \
['lowest of its scores', 0.5, 0, 2]]
    """
    scored = data[data["score"].notna()]
    reference = ((pd.Index(scored["account_id"]), np.asarray(categorize(scored["score"], breaks).cat.codes))
                 if "account_id" in data else None)
    rows = []
    for label, col, embargoed in definition_labels(data, embargo_days if unembargoed is not None else 0):
        frame = data if embargoed else unembargoed
        if col not in frame or frame[col].notna().sum() == 0:
            continue
        rows.append(_row(label, frame, col, embargoed and col == "score", reference, breaks, confidence))
    return pd.DataFrame(rows).reindex(columns=DEFINITION_COLUMNS)
