"""The NPS of the respondents in a domain (those who mention a theme) against the rest, and what the gap costs.

A theme's *impact* is the NPS of all commenters minus the NPS of those who
do not mention it: with s the theme's share of comments and NPS_t, NPS_r
the NPS of those who mention it and of the others,

    NPS_all - NPS_r = s (NPS_t - NPS_r),

the prevalence times the gap: the points the NPS would gain if the theme's
commenters scored like the others (each theme on its own: themes overlap,
so impacts do not add up). Its standard error, and those of the domain NPS
and of the gap, are design-based (Taylor linearisation with the clusters --
accounts, or respondents answering many times -- as primary sampling units,
as R's ``survey`` package computes them), so that an account that writes
twenty comments counts as one account, not twenty independent customers.

References
----------
.. [1] Wolter, K. M. (2007). Introduction to Variance Estimation, 2nd ed.,
   ch. 6 (Taylor series methods). Springer.
.. [2] Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R.
   Wiley (``svyby``, ``svycontrast``).
.. [3] Rocks, B. (2016). Interval estimation for the "Net Promoter Score".
   The American Statistician, 70(4), 365-372.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ...stats.nps import Breaks, cluster_codes
from ...stats.survey import nps_values

__all__ = ["nps_vs_rest", "domains_vs_rest"]

_COLUMNS = ["domain", "n", "nps", "se", "deff", "rest_n", "rest_nps", "diff", "se_diff", "impact", "se_impact",
            "clusters"]


def domains_vs_rest(x: np.ndarray, clusters: np.ndarray, member: np.ndarray) -> pd.DataFrame:
    """:func:`nps_vs_rest` on arrays: ``x`` in {-1, 0, 1}, cluster codes, a (responses, domains) membership.

    Columns as :func:`nps_vs_rest` (points), one row per column of ``member``, without ``domain``.
    """
    x = np.asarray(x, dtype="float64")
    g = np.asarray(clusters, dtype="int64")
    m = np.asarray(member, dtype=bool).reshape(len(x), -1)
    n_all = len(x)
    n_cl = int(g.max()) + 1 if n_all else 0
    big_g = int(np.count_nonzero(np.bincount(g, minlength=n_cl))) if n_all else 0
    factor = big_g / (big_g - 1) if big_g > 1 else np.nan
    a_g = np.bincount(g, weights=x, minlength=n_cl)  # per cluster: sum of x, responses
    b_g = np.bincount(g, minlength=n_cl).astype("float64")
    m_all = x.mean() if n_all else np.nan
    rows = []
    for k in range(m.shape[1]):
        mk = m[:, k]
        n_k = int(mk.sum())
        n_r = n_all - n_k
        a_k = np.bincount(g[mk], weights=x[mk], minlength=n_cl)
        b_k = np.bincount(g[mk], minlength=n_cl).astype("float64")
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_k = a_k.sum() / n_k
            mean_r = (a_g.sum() - a_k.sum()) / n_r
            u_k = (a_k - mean_k * b_k) / n_k  # per-cluster influence totals of the domain mean
            u_r = ((a_g - a_k) - mean_r * (b_g - b_k)) / n_r  # ... of the rest's mean
            u_all = (a_g - m_all * b_g) / n_all
            var_k = factor * np.sum(u_k * u_k)
            var_diff = factor * np.sum((u_k - u_r) ** 2)
            var_imp = factor * np.sum((u_all - u_r) ** 2)
            s2 = (np.sum(np.abs(x[mk])) - n_k * mean_k * mean_k) / (n_k - 1)  # x^2 = |x|
            deff = var_k / (s2 / n_k) if n_k > 1 and s2 > 0 else np.nan
        rows.append({"n": n_k, "nps": 100 * mean_k, "se": 100 * np.sqrt(var_k), "deff": deff, "rest_n": n_r,
                     "rest_nps": 100 * mean_r, "diff": 100 * (mean_k - mean_r), "se_diff": 100 * np.sqrt(var_diff),
                     "impact": 100 * (m_all - mean_r), "se_impact": 100 * np.sqrt(var_imp),
                     "clusters": int(np.count_nonzero(b_k))})
    return pd.DataFrame(rows, columns=_COLUMNS[1:])


def nps_vs_rest(data: pd.DataFrame, domains: Iterable[str], score: str = "score", cluster: str | None = None,
                breaks: Breaks = Breaks()) -> pd.DataFrame:
    """The NPS in each domain (a boolean column) against the other responses, with design-based errors.

    Parameters
    ----------
    data : DataFrame
        One row per response; rows without a score are left out.
    domains : list of str
        Boolean columns: the responses of each domain (e.g. the commenters
        who mention a theme). Domains may overlap.
    score : str
        The 0-10 score column.
    cluster : str, optional
        Column whose equal values are one cluster (an account, or a
        respondent answering many times); a missing value is a cluster of
        its own. None: independent responses.
    breaks : Breaks

    Returns
    -------
    DataFrame
        One row per domain: ``domain``, ``n``, ``nps`` (points), ``se``
        (design-based), ``deff`` (its variance over that of ``n``
        independent responses), ``rest_n``, ``rest_nps``, ``diff`` (domain
        minus rest), ``se_diff``, ``impact`` (NPS of all minus NPS of the
        rest = share x diff), ``se_impact``, ``clusters`` (in the domain).

    Notes
    -----
    With x in {-1, 0, +1} and per-cluster totals of the influence values,
    var = G/(G-1) sum_g (sum_{i in g} u_i)^2 over the G clusters of the
    scored responses; u_i = (x_i - NPS_d) / n_d for a domain mean, the
    difference of the domain's and the rest's for the gap (an account
    answering on both sides counts once, with the covariance), and
    (x_i - NPS) / n minus the rest's for the impact. These are R
    ``survey``'s ``svyby(~x, ~domain, design, svymean, covmat = TRUE)``
    with ``svycontrast``, and ``svycontrast(svymean(~x + xr + r), quote(x -
    xr / r))`` for the impact (a test compares them, tests/reference).
    Without clusters each response is its own cluster: the usual
    linearised (Wald) variances.

    Examples
    --------
    >>> d = pd.DataFrame({"score": [0, 0, 10, 10, 9, 3, 10, 10], "account": list("aabbccdd"),
    ...                   "billing": [True, True, False, False, True, False, False, False]})
    >>> r = nps_vs_rest(d, ["billing"], cluster="account").iloc[0]
    >>> round(float(r["nps"]), 1), round(float(r["rest_nps"]), 1), round(float(r["impact"]), 1)
    (-33.3, 60.0, -35.0)
    """
    domains = list(domains)
    scored = data.loc[data[score].notna()] if data[score].isna().any() else data
    x = nps_values(scored[score], breaks)
    g = (np.arange(len(x), dtype="int64") if cluster is None or cluster not in scored
         else cluster_codes(scored[cluster]))
    member = scored[domains].to_numpy(dtype=bool) if domains else np.zeros((len(x), 0), dtype=bool)
    out = domains_vs_rest(x, g, member)
    out.insert(0, "domain", domains)
    return out
