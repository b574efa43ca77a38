"""Which NPS to believe: the usual NPS, the NPS counting each account once and the decision makers' NPS.

Side by side, each with its design-based interval, and the one to track
(:func:`recommended_kpi`). On a 1-5 or 1-10 scale the index is a top-box
index, not a Net Promoter Score, and :func:`measure_name` says so.
"""

from __future__ import annotations

import pandas as pd

from ..clean import Prepared
from ..fmt import pts
from ..linking import cluster_column, decision_roles
from ..stats.survey import nps_clustered
from ..stats.weighting import account_weights, weighted_nps

__all__ = ["which_nps", "recommended_kpi", "measure_name", "MEASURES"]


#: The names of the measures of :func:`which_nps`, in order.
MEASURES = ("every response counts once (the usual NPS)", "each account counts once", "decision makers only")


def which_nps(prep: Prepared) -> pd.DataFrame:
    """The raw NPS, the NPS counting each account once and the decision makers' NPS, with design-based intervals.

    Returns
    -------
    DataFrame
        ``measure``, ``nps``, ``ci_low``, ``ci_high`` (points), ``responses``, ``accounts``; a row is left out
        when its data is missing (no account id, no decision-maker role).

    Notes
    -----
    Raw: every response once, Rocks' adjusted Wald interval on the effective sample size with accounts as
    clusters. Each account once: weights 1 / responses of the account, Taylor linearisation with accounts as
    clusters (Wolter 2007; R ``survey::svymean``). Decision makers: the responses of decision roles
    (``settings.decision_roles``, else guessed from role names), clustered as the raw NPS.
    """
    r, s = prep.responses, prep.settings
    rows = []
    if not len(r):
        return pd.DataFrame(columns=["measure", "nps", "ci_low", "ci_high", "responses", "accounts"])
    cluster = cluster_column(prep)
    raw = nps_clustered(r, cluster=cluster, confidence=s.confidence, breaks=s.breaks)
    accounts = int(r["account_id"].nunique()) if "account_id" in r else None
    rows.append({"measure": MEASURES[0], "nps": raw.nps, "ci_low": raw.ci_low,
                 "ci_high": raw.ci_high, "responses": raw.n, "accounts": accounts})
    if "account_id" in r and r["account_id"].notna().any():
        d = r[["score", "account_id"]]
        w = weighted_nps(d, account_weights(d), cluster="account_id", confidence=s.confidence, breaks=s.breaks)
        rows.append({"measure": MEASURES[1], "nps": w.nps, "ci_low": w.ci_low, "ci_high": w.ci_high,
                     "responses": w.n, "accounts": accounts})
    if "role" in r:
        deciders = decision_roles(r["role"].dropna().unique(), s.decision_roles)
        dm = r[r["role"].isin(deciders)]
        if deciders and len(dm) >= 10:
            e = nps_clustered(dm, cluster=cluster, confidence=s.confidence, breaks=s.breaks)
            rows.append({"measure": MEASURES[2], "nps": e.nps, "ci_low": e.ci_low, "ci_high": e.ci_high,
                         "responses": e.n, "accounts": int(dm["account_id"].nunique()) if "account_id" in dm
                         else None})
    return pd.DataFrame(rows)


def recommended_kpi(table: pd.DataFrame) -> tuple[str, str]:
    """The NPS to track, and why, from :func:`which_nps`.

    The account NPS when counting each account once changes the NPS by more
    than its margin (a few accounts answer for many), else the usual NPS;
    the decision makers' NPS beside it when it differs by as much.
    """
    if table.empty:
        return "", ""
    raw = table.iloc[0]
    moe = (raw["ci_high"] - raw["ci_low"]) / 2
    by = table.set_index("measure")
    acct = by.loc[MEASURES[1]] if MEASURES[1] in by.index else None
    dm = by.loc[MEASURES[2]] if MEASURES[2] in by.index else None
    if acct is not None and abs(acct["nps"] - raw["nps"]) > moe:
        kpi = "the NPS counting each account once"
        why = (f"at {pts(acct['nps'], 0)} it is {_gap(acct['nps'], raw['nps'])} points "
               f"{'below' if acct['nps'] < raw['nps'] else 'above'} the usual NPS ({pts(raw['nps'], 0)}), because "
               "the accounts that answer most set the usual NPS; it says more about the customer base")
    else:
        kpi = "the usual NPS (every response counts once)"
        why = "counting each account once changes it by less than its margin of error"
    if dm is not None and abs(dm["nps"] - raw["nps"]) > moe:
        why += (f". Track the decision makers' NPS ({pts(dm['nps'], 0)}) beside it: they decide renewals and score "
                f"{_gap(dm['nps'], raw['nps'])} points {'lower' if dm['nps'] < raw['nps'] else 'higher'} than "
                "the usual NPS")
    return kpi, why


def _gap(a: float, b: float) -> int:
    """The gap between two NPS as the reader computes it from the rounded figures shown (+29 and +14: 15)."""
    return abs(round(a) - round(b))





def measure_name(prep: Prepared) -> tuple[str, str]:
    """What the headline index is, named for the cover: (short name, one-line explanation).

    On the usual 0-10 scale with the usual categories it is the Net Promoter Score; on any other scale
    (1-5, 1-10) or with other category limits it is a top-box index computed the NPS way (share of top
    answers minus share of bottom answers), which is not comparable with published NPS benchmarks.

    Examples
    --------
    The demo's settings (0-10, detractors 0-6, promoters 9-10) give ``("Net Promoter Score", ...)``.
    """
    s = prep.settings
    lo, hi = s.scale
    if (lo, hi) == (0, 10) and s.detractor_max == 6 and s.promoter_min == 9:
        return ("Net Promoter Score", "the share of promoters (9-10) minus the share of detractors (0-6), "
                                      "from -100 to +100")
    if (lo, hi) == (1, 10) and s.detractor_max == 6 and s.promoter_min == 9:
        return ("Net Promoter Score (asked on a 1-10 scale)",
                "promoters (9-10) minus detractors (1-6) on a 1-10 scale: close to, but not strictly comparable "
                "with, an NPS asked on the usual 0-10 scale")
    top = f"{s.promoter_min:g}" if s.promoter_min == hi else f"{s.promoter_min:g}-{hi:g}"
    bottom = f"{lo:g}-{s.detractor_max:g}" if s.detractor_max > lo else f"{lo:g}"
    return (f"Top-box index on a {lo:g}-{hi:g} scale",
            f"the share answering {top} minus the share answering {bottom}, computed the NPS way on a "
            f"{lo:g}-{hi:g} scale: not a Net Promoter Score, and not comparable with NPS benchmarks")
