"""Which terms (words, phrases, categories) one group uses more than another.

The log-odds ratio with an informative Dirichlet prior of Monroe, Colaresi &
Quinn (2008), "Fightin' Words": counts of each term in two groups in, one
row per term with the log-odds ratio, its standard error and z-score out.
Generic: the terms may be words of comments, answers to a multiple-choice
question or any other counted categories.

References
----------
.. [1] Monroe, B. L., Colaresi, M. P. & Quinn, K. M. (2008). Fightin' Words:
   Lexical feature selection and evaluation for identifying the content of
   political conflict. Political Analysis, 16(4), 372-403.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["log_odds_dirichlet"]


def log_odds_dirichlet(counts_a, counts_b, prior=None, prior_scale: float | None = None,
                       n_a: float | None = None, n_b: float | None = None) -> pd.DataFrame:
    """Log-odds ratio with an informative Dirichlet prior ("Fightin' Words").

    Which terms group a uses more than group b, with a z-score that accounts
    for how often each term occurs.

    Parameters
    ----------
    counts_a, counts_b : array-like or Series
        Count of each term in group a and group b (same order; a Series
        index gives the term names).
    prior : array-like, optional
        Background count of each term, alpha_w (default: counts_a + counts_b,
        the pooled corpus).
    prior_scale : float, optional
        If given, the prior is rescaled so that its total alpha_0 equals
        this value (alpha_w = prior_scale * prior_w / sum(prior)).
    n_a, n_b : float, optional
        Total counts of each group, when the count vectors cover only part of
        the vocabulary (default: their sums).

    Returns
    -------
    DataFrame
        Index as ``counts_a`` (or 0..k-1). Columns ``count_a``, ``count_b``,
        ``log_odds`` (delta: log-odds of the term in a minus in b), ``se``
        (its approximate standard error), ``z`` (delta / se; positive: more
        typical of a).

    Notes
    -----
    Following Monroe, Colaresi & Quinn (2008), eq. 16-22, with y the counts,
    n the group totals, alpha_w the prior and alpha_0 = sum(alpha_w):

    delta_w = log[(y_aw + alpha_w) / (n_a + alpha_0 - y_aw - alpha_w)]
            - log[(y_bw + alpha_w) / (n_b + alpha_0 - y_bw - alpha_w)]

    var(delta_w) ~= 1 / (y_aw + alpha_w) + 1 / (y_bw + alpha_w)

    The informative prior shrinks rare terms towards zero so that the z-score
    ranks terms by how reliably, not only how much, they differ. A term with
    a prior of 0 is dropped (undefined). The z-scores rank terms; they are
    not independent tests.

    References
    ----------
    .. [1] Monroe, B. L., Colaresi, M. P. & Quinn, K. M. (2008). Fightin'
       Words. Political Analysis, 16(4), 372-403.

    Examples
    --------
    >>> r = log_odds_dirichlet([10, 0], [2, 8], prior=[1, 1])
    >>> r["z"].round(3).tolist()
    [5.368, -3.317]
    """
    index = counts_a.index if isinstance(counts_a, pd.Series) else None
    ya = np.asarray(counts_a, dtype="float64")
    yb = np.asarray(counts_b, dtype="float64")
    alpha = ya + yb if prior is None else np.asarray(prior, dtype="float64")
    if prior_scale is not None and alpha.sum() > 0:
        alpha = alpha * (float(prior_scale) / alpha.sum())
    a0 = alpha.sum()
    na = ya.sum() if n_a is None else float(n_a)
    nb = yb.sum() if n_b is None else float(n_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = (np.log(ya + alpha) - np.log(na + a0 - ya - alpha)
                 - np.log(yb + alpha) + np.log(nb + a0 - yb - alpha))
        se = np.sqrt(1.0 / (ya + alpha) + 1.0 / (yb + alpha))
        z = delta / se
    bad = alpha <= 0
    delta[bad] = np.nan
    se[bad] = np.nan
    z[bad] = np.nan
    return pd.DataFrame({"count_a": ya, "count_b": yb, "log_odds": delta, "se": se, "z": z}, index=index)
