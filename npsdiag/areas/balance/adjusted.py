"""The balance-adjusted NPS: the raw NPS beside the NPS re-weighted so that each account and role counts as it should.

References
----------
.. [1] Rocks, B. (2016). Interval estimation for the "Net Promoter Score".
   The American Statistician, 70(4), 365-372.
.. [2] Holt, D. & Smith, T. M. F. (1979). Post stratification. JRSS A, 142(1), 33-46.
.. [3] Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...linking import counts, remap
from ...stats.nps import Breaks, nps_table
from ...stats.weighting import WeightedNps, account_weights, poststratify, weighted_nps
from .codes import category_codes, factorize

__all__ = ["adjusted_nps"]


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
    estimates use the weights of :mod:`npsdiag.stats.weighting`: 1 / responses of
    the account (each account counts once), post-stratification of roles to
    the population's role shares (Holt & Smith 1979), or both (account
    weights rescaled within role to the role shares). Their standard errors
    are Taylor-linearised with accounts as clusters (as R's
    ``svymean(~y, svydesign(ids = ~account, weights = ~w))``) and the
    interval is Wald. Responses without a role are left out of the
    role-weighted estimates.

    Examples
    --------
    >>> d = pd.DataFrame({"score": [10, 10, 10, 0], "role": ["user"] * 3 + ["exec"], "account_id": list("abcd")})
    >>> adjusted_nps(d, population_shares={"user": 0.5, "exec": 0.5})["nps"].round(1).tolist()
    [50.0, 50.0, 0.0, 0.0]
    """
    rows = []
    raw = nps_table(counts(category_codes(data[score], breaks), 3), confidence).iloc[0]
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
        rc, rv = factorize(data[role])
        keep = remap(rc, np.asarray(pd.Index(rv, dtype=object).isin(tgt.index[tgt > 0]), dtype=np.intp)) == 1
        d = data.loc[keep]
        if (counts(rc[keep], len(rv)) > 0).sum() >= 2:
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


def _pick(r: WeightedNps) -> dict[str, float]:
    """The columns of :func:`adjusted_nps` from a weighted estimate."""
    return {k: getattr(r, k) for k in ("n", "effective_n", "nps", "se", "ci_low", "ci_high")}

