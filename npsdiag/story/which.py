"""Which NPS to believe: the usual NPS, the NPS counting each account once and the decision makers' NPS.

Side by side, each with its design-based interval, and the one to track
(:func:`recommended_kpi`). On a 1-5 or 1-10 scale the index is a top-box
index, not a Net Promoter Score, and :func:`measure_name` says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..clean import Prepared
from ..fmt import pts
from ..linking import cluster_column, cluster_frame, decision_makers
from ..stats.nps import count_distinct

__all__ = ["which_nps", "recommended_kpi", "measure_name", "MEASURES"]


#: The names of the measures of :func:`which_nps`, in order.
MEASURES = ("every response counts once (the usual NPS)", "each account counts once", "decision makers only")


def which_nps(prep: Prepared) -> pd.DataFrame:
    """The raw NPS, the NPS counting each account once and the decision makers' NPS, with design-based intervals.

    The balance area's building block (:func:`npsdiag.areas.balance.which_nps`, checked against R ``survey``)
    on the prepared responses, with the measures named for the client.

    Returns
    -------
    DataFrame
        ``measure`` (:data:`MEASURES`), ``nps``, ``ci_low``, ``ci_high`` (points), ``responses``, ``accounts``;
        a row is left out when its data is missing (no account id; fewer than 10 decision-maker responses).

    Notes
    -----
    Raw: every response once, Rocks' adjusted Wald interval on the effective sample size with the responses'
    clusters (accounts, else respondents). Each account once: weights 1 / responses of the account, Taylor
    linearisation with accounts as clusters (Wolter 2007; R ``survey::svymean``). Decision makers: the responses
    of decision roles (``settings.decision_roles``, else guessed from role names), a domain of the whole design.
    """
    from ..areas.balance import which_nps as table

    r, s = prep.responses, prep.settings
    cols = ["measure", "nps", "ci_low", "ci_high", "responses", "accounts"]
    if not len(r):
        return pd.DataFrame(columns=cols)
    cluster = cluster_column(prep)
    data, decision = cluster_frame(prep, "score"), None  # the clusters as integers (the same ones)
    deciders, dm = decision_makers(prep)
    if deciders and dm.sum() >= 10:
        data, decision = data.assign(_decision=dm), "_decision"
    t = table(data, account="cluster" if cluster else None, decision=decision, confidence=s.confidence,
              breaks=s.breaks)
    if decision is not None and cluster:  # the decision makers' accounts (ids given: a missing id is no account)
        codes = np.asarray(prep.codes(cluster)[0])
        scored = r["score"].notna().to_numpy(dtype=bool)
        t.loc[t["measure"] == "Decision makers", "accounts"] = count_distinct(codes[dm & scored & (codes >= 0)])
    accounts = len(prep.codes("account_id")[1]) if "account_id" in r else None
    names = {"All responses": MEASURES[0], "Decision makers": MEASURES[2]}
    if cluster == "account_id":  # one vote per cluster is one vote per account only when accounts are the clusters
        names["One vote per account"] = MEASURES[1]
    t = t[t["measure"].isin(list(names))].assign(measure=lambda x: x["measure"].map(names))
    t = t.rename(columns={"n": "responses"})
    t["accounts"] = t["accounts"].where(t["measure"] == MEASURES[2], accounts) if accounts is not None else None
    return t[cols].reset_index(drop=True)


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
