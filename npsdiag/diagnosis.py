"""The whole diagnosis of one client: the areas rolled up with the headline and the data volumes.

:func:`diagnose` runs every area of :mod:`npsdiag.areas.registry` on
prepared data; :func:`assemble` puts area results (computed one by one, as
the notebook does) together into a :class:`~npsdiag.findings.Diagnosis`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .areas.registry import diagnose_all, names
from .clean import Prepared
from .findings import AreaResult, Diagnosis
from .linking import cluster_column, cluster_frame
from .stats.nps import nps
from .stats.survey import nps_clustered

__all__ = ["headline", "data_summary", "assemble", "diagnose"]


def headline(prep: Prepared) -> dict[str, Any]:
    """Headline NPS of the analysed responses with its interval, design-based where responses cluster.

    Returns
    -------
    dict
        ``nps``, ``ci_low``, ``ci_high``, ``moe`` (points), ``n``, the
        category shares ``pct_promoters``, ``pct_passives``,
        ``pct_detractors``, and the design: ``clustered_by`` (the column whose
        responses cluster, :func:`npsdiag.linking.cluster_column`, or None),
        ``clusters``, ``design_effect`` and ``effective_n``. The interval is
        Rocks' adjusted Wald on the effective sample size
        (:func:`npsdiag.stats.survey.nps_clustered`); with independent
        responses it is Rocks' interval itself.
    """
    r = prep.responses
    if r.empty:
        return {"nps": None, "ci_low": None, "ci_high": None, "moe": None, "n": 0}
    s = prep.settings
    t = nps(r, confidence=s.confidence, breaks=s.breaks).iloc[0]
    cluster = cluster_column(prep)
    est = nps_clustered(cluster_frame(prep, "score"), cluster="cluster" if cluster else None,
                        confidence=s.confidence, breaks=s.breaks)
    return {"nps": round(float(t["nps"]), 1), "ci_low": round(est.ci_low, 1), "ci_high": round(est.ci_high, 1),
            "moe": round((est.ci_high - est.ci_low) / 2, 1), "n": int(t["n"]),
            "pct_promoters": round(float(t["pct_promoters"]), 1),
            "pct_passives": round(float(t["pct_passives"]), 1),
            "pct_detractors": round(float(t["pct_detractors"]), 1),
            "clustered_by": cluster, "clusters": est.clusters, "design_effect": round(est.deff, 2),
            "effective_n": round(est.n_effective)}


def data_summary(prep: Prepared) -> dict[str, Any]:
    """Volumes and period for the cover and findings.json."""
    period = prep.period
    acc = prep.accounts
    out: dict[str, Any] = {
        "responses": int(len(prep.responses)),
        # one flag per row read; in a flat account export, the accounts not surveyed are not responses
        "responses_read": int(len(prep.flags) - prep.excluded_counts.get("not_surveyed", 0)),
        "accounts": int(len(acc)) if acc is not None else (
            int(prep.responses["account_id"].nunique()) if "account_id" in prep.responses else None),
        "period": [period[0].date().isoformat(), period[1].date().isoformat()] if period else None,
        # the day the data is known as of: "open", "active" and every age are counted to it
        "as_of": prep.as_of.date().isoformat() if prep.as_of is not None else None,
    }
    spec = prep.config.tables.get("responses")
    if spec is not None and spec.survey_date:  # a date the consultant typed, not the survey's own dates
        out["survey_date"] = pd.Timestamp(spec.survey_date).date().isoformat()
    if prep.invitations is not None:
        out["invitations"] = int(len(prep.invitations))
    if prep.contacts is not None:
        out["contacts"] = int(len(prep.contacts))
    return out


def assemble(prep: Prepared, results: list[AreaResult] | dict[str, AreaResult]) -> Diagnosis:
    """Put area results together into the client's :class:`Diagnosis`, in report order."""
    if isinstance(results, dict):
        results = list(results.values())
    areas = {r.area: r for r in results}
    ordered = {a: areas[a] for a in names() if a in areas}
    ordered.update({k: v for k, v in areas.items() if k not in ordered})
    return Diagnosis(client=prep.config.client, data_summary=data_summary(prep), headline=headline(prep),
                     areas=ordered)


def diagnose(prep: Prepared) -> Diagnosis:
    """Run every area's diagnosis on prepared data (what the notebook does, in one call)."""
    return assemble(prep, diagnose_all(prep))
