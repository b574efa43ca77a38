"""Words and phrases one group of respondents writes more than another ("Fightin' Words")."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ... import text as tx
from ...stats.terms import log_odds_dirichlet
from .common import aligned

__all__ = ["distinguishing_terms", "terms_from_corpus"]


def distinguishing_terms(
    data: pd.DataFrame,
    comment: str = "comment",
    group: str = "category",
    a: str = "detractor",
    b: str = "promoter",
    top: int = 12,
    min_df: int | None = None,
    prior_weight: float = 0.1,
    confidence: float = 0.95,
    all_terms: bool = False,
) -> pd.DataFrame:
    """Words and phrases one group writes more than another ("Fightin' Words").

    Parameters
    ----------
    data : DataFrame
        One row per response.
    comment : str
        Comment column.
    group : str
        Column with the groups (default the NPS ``category``).
    a, b : str
        The two groups compared (default detractors against promoters).
    top : int
        Terms kept on each side (those with the largest z-scores beyond the
        ``confidence`` critical value).
    min_df : int, optional
        Terms mentioned in fewer comments are ignored (default:
        max(3, 0.05% of the comments)).
    prior_weight : float
        Weight of the informative prior: its total alpha_0 is this fraction
        of all term mentions in the comments (every category), spread in
        proportion to each term's pooled frequency. 0.1 adds one
        pseudo-mention per ten observed; larger values shrink more.
    confidence : float
        Level of the interval of the log-odds ratio and of the z threshold.
    all_terms : bool
        Return every term (sorted by z) instead of the top of each side.

    Returns
    -------
    DataFrame
        ``term``, ``more_used_by`` (``a`` or ``b``), ``comments_a``,
        ``comments_b`` (comments of each group mentioning the term),
        ``share_a``, ``share_b`` (of the group's comments), ``log_odds``
        (delta, positive when typical of ``a``), ``ci_low``, ``ci_high``
        (delta +- z * se), ``z``. ``attrs`` holds ``n_a``, ``n_b`` (comments
        per group).

    Notes
    -----
    Each comment counts a term once (a long rant cannot dominate). The
    statistic is Monroe, Colaresi & Quinn's (2008) log-odds ratio with an
    informative Dirichlet prior (:func:`npsdiag.stats.terms.log_odds_dirichlet`),
    the prior being the pooled term frequencies of all comments scaled to
    ``prior_weight`` of their mentions; z = delta / se. The
    z-scores rank terms; many terms are examined, so a single term with
    |z| just above 2 is weak evidence. Words come from English stop-word
    filtering: the ranking is meaningful for English comments.

    References
    ----------
    .. [1] Monroe, B. L., Colaresi, M. P. & Quinn, K. M. (2008). Fightin'
       Words: Lexical feature selection and evaluation for identifying the
       content of political conflict. Political Analysis, 16(4), 372-403.

    Examples
    --------
    >>> df = pd.DataFrame({"comment": ["engineer never came"] * 10 + ["great support"] * 10,
    ...                    "category": ["detractor"] * 10 + ["promoter"] * 10})
    >>> t = distinguishing_terms(df, top=2)
    >>> t[["term", "more_used_by"]].values.tolist()
    [['came', 'detractor'], ['engineer', 'detractor'], ['great', 'promoter'], ['great support', 'promoter']]
    >>> t["z"].round(2).tolist()
    [2.07, 2.07, -3.01, -3.01]
    """
    return terms_from_corpus(data, tx.corpus(data[comment]), group, a, b, top=top, min_df=min_df,
                             prior_weight=prior_weight, confidence=confidence, all_terms=all_terms)


def terms_from_corpus(
    data: pd.DataFrame,
    corpus: tx.Corpus,
    group: str = "category",
    a: str = "detractor",
    b: str = "promoter",
    top: int = 12,
    min_df: int | None = None,
    prior_weight: float = 0.1,
    confidence: float = 0.95,
    all_terms: bool = False,
) -> pd.DataFrame:
    """:func:`distinguishing_terms` of the comments of ``corpus`` (one per row of ``data``)."""
    cols = ["term", "more_used_by", "comments_a", "comments_b", "share_a", "share_b", "log_odds", "ci_low",
            "ci_high", "z"]
    c = aligned(data, corpus)
    has = c.commented()
    g = data[group]
    in_a = has & np.asarray((g == a).to_numpy(dtype=bool, na_value=False), dtype=bool)
    in_b = has & np.asarray((g == b).to_numpy(dtype=bool, na_value=False), dtype=bool)
    empty = pd.DataFrame(columns=cols)
    empty.attrs.update(n_a=int(in_a.sum()), n_b=int(in_b.sum()))
    if in_a.sum() == 0 or in_b.sum() == 0:
        return empty
    n_comments = int(has.sum())
    if min_df is None:
        min_df = max(3, math.ceil(0.0005 * n_comments))
    # terms of each distinct text, weighted by the comments of each group that carry the text
    tm = c.terms()
    X = tm.matrix
    background = X.T @ c.counts(has)
    keep = np.flatnonzero(background >= max(min_df, 1))
    if len(keep) == 0:
        return empty
    X = X[:, keep]
    ya = X.T @ c.counts(in_a)
    yb = X.T @ c.counts(in_b)
    background = background[keep]
    terms = tm.terms[keep]
    r = log_odds_dirichlet(ya, yb, prior=background, prior_scale=prior_weight * background.sum())
    zc = stats.norm.ppf(0.5 + confidence / 2)
    out = pd.DataFrame({
        "term": terms.astype(str),
        "comments_a": ya.astype("int64"), "comments_b": yb.astype("int64"),
        "share_a": ya / in_a.sum(), "share_b": yb / in_b.sum(),
        "log_odds": r["log_odds"].to_numpy(), "z": r["z"].to_numpy(), "se": r["se"].to_numpy(),
    })
    out = out[np.isfinite(out["z"])]
    out["more_used_by"] = np.where(out["z"] > 0, a, b)
    out["ci_low"] = out["log_odds"] - zc * out["se"]
    out["ci_high"] = out["log_odds"] + zc * out["se"]
    out = out.sort_values(["z", "term"], ascending=[False, True])
    if not all_terms:
        side_a = out[out["z"] >= zc].head(top)
        side_b = out[out["z"] <= -zc].sort_values(["z", "term"]).head(top)
        out = pd.concat([side_a, side_b])
    out = out[cols].reset_index(drop=True)
    out.attrs.update(n_a=int(in_a.sum()), n_b=int(in_b.sum()))
    return out
