"""The whole diagnosis of one client, from config to outputs.

:func:`diagnose` runs every area on prepared data and returns a
:class:`~npsdiag.findings.Diagnosis`; :func:`write_outputs` writes
``findings.json`` and the CSV exports beside the report. The notebook
``notebooks/diagnose.ipynb`` calls the same pieces one area at a time so that
analysts can find the function behind each section.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .clean import Prepared
from .findings import AREAS, AreaResult, Diagnosis
from .metrics import nps

__all__ = ["headline", "assemble", "diagnose", "write_outputs", "AREA_FUNCTIONS"]


def _area_functions() -> dict[str, Any]:
    from . import drivers
    from .diagnoses import balance, decay, outcome, reliability, segmentation, verbatims

    return {"reliability": reliability.diagnose, "balance": balance.diagnose,
            "segmentation": segmentation.diagnose, "outcome": outcome.diagnose, "decay": decay.diagnose,
            "drivers": drivers.diagnose, "verbatims": verbatims.diagnose}


AREA_FUNCTIONS = _area_functions


def headline(prep: Prepared) -> dict[str, Any]:
    """Headline NPS of the analysed responses with its adjusted Wald interval.

    Returns
    -------
    dict
        ``nps``, ``ci_low``, ``ci_high``, ``moe`` (points), ``n``, and the
        category shares ``pct_promoters``, ``pct_passives``,
        ``pct_detractors``.
    """
    r = prep.responses
    if r.empty:
        return {"nps": None, "ci_low": None, "ci_high": None, "moe": None, "n": 0}
    t = nps(r, confidence=prep.settings.confidence, breaks=prep.settings.breaks).iloc[0]
    return {"nps": round(float(t["nps"]), 1), "ci_low": round(float(t["ci_low"]), 1),
            "ci_high": round(float(t["ci_high"]), 1), "moe": round(float(t["moe"]), 1), "n": int(t["n"]),
            "pct_promoters": round(float(t["pct_promoters"]), 1),
            "pct_passives": round(float(t["pct_passives"]), 1),
            "pct_detractors": round(float(t["pct_detractors"]), 1)}


def data_summary(prep: Prepared) -> dict[str, Any]:
    """Volumes and period for the cover and findings.json."""
    period = prep.period
    acc = prep.accounts
    out: dict[str, Any] = {
        "responses": int(len(prep.responses)),
        "responses_read": int(len(prep.flags)),  # one flag per row read
        "accounts": int(len(acc)) if acc is not None else (
            int(prep.responses["account_id"].nunique()) if "account_id" in prep.responses else None),
        "period": [period[0].date().isoformat(), period[1].date().isoformat()] if period else None,
    }
    if prep.invitations is not None:
        out["invitations"] = int(len(prep.invitations))
    if prep.contacts is not None:
        out["contacts"] = int(len(prep.contacts))
    return out


def assemble(prep: Prepared, results: list[AreaResult] | dict[str, AreaResult]) -> Diagnosis:
    """Put area results together into the client's :class:`Diagnosis`."""
    if isinstance(results, dict):
        results = list(results.values())
    areas = {r.area: r for r in results}
    ordered = {a: areas[a] for a in (*AREAS, "drivers", "verbatims") if a in areas}
    ordered.update({k: v for k, v in areas.items() if k not in ordered})
    return Diagnosis(client=prep.config.client, data_summary=data_summary(prep), headline=headline(prep),
                     areas=ordered)


def diagnose(prep: Prepared) -> Diagnosis:
    """Run every area's diagnosis on prepared data (what the notebook does, in one call)."""
    return assemble(prep, [fn(prep) for fn in _area_functions().values()])


def _table_exports(diag: Diagnosis) -> dict[str, pd.DataFrame]:
    seg = diag.areas.get("segmentation")
    out = {}
    if seg is not None:
        for key in ("segments", "segment_table"):
            if key in seg.tables:
                out["segments.csv"] = seg.tables[key]
                break
    return out


def write_outputs(diag: Diagnosis, prep: Prepared, output_dir: str | Path) -> list[Path]:
    """Write findings.json and the CSV exports (segment table, callback queue) into ``output_dir``.

    CSV cells that a spreadsheet would run as a formula are neutralised.
    Returns the paths written.
    """
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [diag.write_json(out / "findings.json")]
    try:
        from .callback import callback_queue, write_csv_safely
    except ImportError:  # pragma: no cover - arrives with the decay area
        return written
    from .redact import redact_frame

    for name, frame in _table_exports(diag).items():
        frame = redact_frame(frame) if prep.settings.redact_pii else frame
        written.append(write_csv_safely(frame, out / name))
    # the decay area computed the queue already (same key): not again on a large export
    queue = prep.cached("callback_queue", lambda: callback_queue(prep)) if hasattr(prep, "cached") else (
        callback_queue(prep))
    if queue is not None:
        written.append(write_csv_safely(queue, out / "callback_queue.csv"))
    return written
