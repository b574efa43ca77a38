"""Since the last diagnosis: this run's findings.json against a previous one.

``npsdiag run CONFIG --previous OLD/findings.json`` (and the portfolio
notebook) compare headline, which NPS, value at stake, area statuses,
findings (resolved, new, persisting) and each action's KPI against its
target. Only findings.json is read: the previous run's data is not needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import NpsdiagError, Problem

__all__ = ["load_previous", "compare", "Comparison"]


def load_previous(path: str | Path) -> dict[str, Any]:
    """Read a previous run's findings.json, with a plain message when it is missing or not one."""
    p = Path(path)
    if p.is_dir():
        p = p / "findings.json"
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NpsdiagError(Problem(f"the previous diagnosis {p} does not exist",
                                   hint="give --previous the findings.json of an earlier run, or its folder")
                            ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NpsdiagError(Problem(f"the previous diagnosis {p} is not a findings.json ({exc})",
                                   hint="give --previous the findings.json an earlier npsdiag run wrote")) from None
    if not isinstance(data, dict) or "headline" not in data or "findings" not in data:
        raise NpsdiagError(Problem(f"the previous diagnosis {p} is not a findings.json written by npsdiag",
                                   hint="give --previous the findings.json an earlier npsdiag run wrote"))
    return data


class Comparison:
    """This diagnosis against the previous one.

    Attributes
    ----------
    headline : DataFrame
        ``measure``, ``previous``, ``now``, ``change``, ``verdict`` for the headline index, each row of
        "which NPS" and the value at stake. The verdict is "no change" when the change is within the larger of
        the two intervals' margins (a change smaller than the noise), else "up" / "down".
    areas : DataFrame
        ``area``, ``previous``, ``now`` statuses, ``verdict`` ("no change", "better", "worse").
    findings : DataFrame
        ``finding``, ``title``, ``previous``, ``now`` (severities or "-"), ``verdict`` ("resolved", "new",
        "persisting", "worse", "better").
    kpis : DataFrame
        ``kpi``, ``baseline`` (previous run), ``now``, ``target``, ``by``, ``verdict`` ("on track", "target met",
        "not on track", "no change").
    previous_period : list of str
        The previous run's data period.
    """

    def __init__(self, headline: pd.DataFrame, areas: pd.DataFrame, findings: pd.DataFrame, kpis: pd.DataFrame,
                 previous_period: list[str] | None) -> None:
        self.headline, self.areas, self.findings, self.kpis = headline, areas, findings, kpis
        self.previous_period = previous_period

    @property
    def summary(self) -> pd.DataFrame:
        """The headline rows (the one-glance view)."""
        return self.headline

    def to_dict(self) -> dict[str, Any]:
        return {"previous_period": self.previous_period,
                "headline": self.headline.to_dict("records"), "areas": self.areas.to_dict("records"),
                "findings": self.findings.to_dict("records"), "kpis": self.kpis.to_dict("records")}


_STATUS_ORDER = {"green": 0, "amber": 1, "red": 2}
_SEVERITY_ORDER = {"info": 0, "low": 1, "medium": 2, "high": 3}


def _moe(row: dict[str, Any] | None) -> float:
    if not row or row.get("ci_low") is None or row.get("ci_high") is None:
        return 0.0
    return (float(row["ci_high"]) - float(row["ci_low"])) / 2


def _headline_rows(prev: dict[str, Any], now: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    pairs = [("Headline", prev.get("headline"), now.get("headline"))]
    prev_which = {r["measure"]: r for r in prev.get("which_nps", [])}
    for r in now.get("which_nps", []):
        if r["measure"] in prev_which and r["measure"] != now.get("which_nps", [{}])[0].get("measure"):
            pairs.append((r["measure"], prev_which[r["measure"]], r))
    for name, a, b in pairs:
        if not a or not b or a.get("nps") is None or b.get("nps") is None:
            continue
        change = float(b["nps"]) - float(a["nps"])
        noise = max(_moe(a), _moe(b))
        verdict = "no change" if abs(change) <= noise else ("up" if change > 0 else "down")
        rows.append({"measure": name, "unit": "points", "previous": float(a["nps"]), "now": float(b["nps"]),
                     "change": change, "verdict": verdict})
    pv, nv = prev.get("value_at_stake"), now.get("value_at_stake")
    if pv is not None and nv is not None:
        change = float(nv) - float(pv)
        verdict = "no change" if abs(change) <= 0.05 * max(abs(float(pv)), 1.0) else ("up" if change > 0 else "down")
        rows.append({"measure": "Value at stake", "unit": "money", "previous": float(pv), "now": float(nv),
                     "change": change, "verdict": verdict})
    return rows


def _area_rows(prev: dict[str, Any], now: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for area, entry in now.get("areas", {}).items():
        before = prev.get("areas", {}).get(area, {}).get("status", "-")
        after = entry.get("status", "-")
        if before == after:
            verdict = "no change"
        elif before in _STATUS_ORDER and after in _STATUS_ORDER:
            verdict = "better" if _STATUS_ORDER[after] < _STATUS_ORDER[before] else "worse"
        else:
            verdict = "now assessed" if before == "not_assessed" else "not assessed now" if after == "not_assessed" \
                else "changed"
        rows.append({"area": area, "previous": before, "now": after, "verdict": verdict})
    return rows


def _finding_rows(prev: dict[str, Any], now: dict[str, Any]) -> list[dict[str, Any]]:
    material = ("high", "medium")
    before = {f["id"]: f for f in prev.get("findings", []) if f.get("severity") in material}
    after = {f["id"]: f for f in now.get("findings", []) if f.get("severity") in material}
    rows = []
    for fid in list(after) + [f for f in before if f not in after]:
        a, b = before.get(fid), after.get(fid)
        if a and b:
            diff = _SEVERITY_ORDER[b["severity"]] - _SEVERITY_ORDER[a["severity"]]
            verdict = "persisting" if diff == 0 else "worse" if diff > 0 else "better"
        else:
            verdict = "new" if b else "resolved"
        rows.append({"finding": fid, "title": (b or a)["title"], "previous": a["severity"] if a else "-",
                     "now": b["severity"] if b else "-", "verdict": verdict})
    order = {"new": 0, "worse": 1, "persisting": 2, "better": 3, "resolved": 4}
    return sorted(rows, key=lambda r: order[r["verdict"]])


def _kpi_rows(prev: dict[str, Any], now: dict[str, Any]) -> list[dict[str, Any]]:
    before = {m["kpi"]["name"]: m["kpi"] for m in prev.get("messages", []) if m.get("kpi")}
    rows = []
    for m in now.get("messages", []):
        k = m.get("kpi")
        if not k:
            continue
        old = before.get(k["name"])
        base = old["baseline"] if old else None
        cur, target = k.get("baseline"), (old or k).get("target")
        if cur is None or target is None:
            verdict = "not measured"
        elif (target >= (base if base is not None else cur) and cur >= target) or \
                (base is not None and target < base and cur <= target):
            verdict = "target met"
        elif base is None:
            verdict = "first measure"
        elif cur == base:
            verdict = "no change"
        else:
            verdict = "on track" if (cur - base) * (target - base) > 0 else "not on track"
        rows.append({"kpi": k["name"], "unit": k.get("unit"), "previous": base, "now": cur, "target": target,
                     "by": (old or k).get("by"), "verdict": verdict})
    return rows


def compare(previous: dict[str, Any], current: dict[str, Any]) -> Comparison:
    """Compare two findings.json documents (the previous run's and this run's, as dicts).

    Examples
    --------
    >>> a = {"headline": {"nps": 20.0, "ci_low": 15.0, "ci_high": 25.0}, "findings": [], "areas": {}}
    >>> b = {"headline": {"nps": 22.0, "ci_low": 17.0, "ci_high": 27.0}, "findings": [], "areas": {}}
    >>> compare(a, b).headline[["measure", "change", "verdict"]].to_dict("records")
    [{'measure': 'Headline', 'change': 2.0, 'verdict': 'no change'}]
    """
    return Comparison(pd.DataFrame(_headline_rows(previous, current),
                                   columns=["measure", "unit", "previous", "now", "change", "verdict"]),
                      pd.DataFrame(_area_rows(previous, current), columns=["area", "previous", "now", "verdict"]),
                      pd.DataFrame(_finding_rows(previous, current),
                                   columns=["finding", "title", "previous", "now", "verdict"]),
                      pd.DataFrame(_kpi_rows(previous, current),
                                   columns=["kpi", "unit", "previous", "now", "target", "by", "verdict"]),
                      (previous.get("data") or {}).get("period"))
