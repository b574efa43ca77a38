"""Wide exports with one score column per wave (``NPS 2022``, ``NPS 2023``) for ``npsdiag init``.

npsdiag reads one row per response. A wide export asks the same question in several columns, one per wave
(year, quarter, round, "previous"/"current"): each is a measurement of the same score at another time, never
a driver of the others. :func:`wave_group` finds the columns that differ from the score column only by such a
token and orders them in time; :func:`reshape_advice` says how to reshape the export to one row per response
and wave (a pandas ``melt``).

Examples
--------
>>> wave_group("NPS 2023", ["NPS 2022", "NPS 2023", "Ease 2023"])
['NPS 2022', 'NPS 2023']
>>> wave_group("Likelihood to recommend", ["Likelihood to recommend", "Likelihood to recommend (previous year)"])
['Likelihood to recommend (previous year)', 'Likelihood to recommend']
>>> wave_group("NPS", ["NPS", "Satisfaction"])
[]
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .profile import norm_name

__all__ = ["wave_group", "wave_order", "reshape_advice"]

_BEFORE = r"previous|prior|last|baseline|pre|before|earlier|old"
_AFTER = r"next|post|after|follow up|followup|later|new"
_NOW = r"current|this|latest"
_PERIOD = r"(?: (?:year|yr|wave|survey|period|quarter|round))?"
_TOKEN = re.compile(
    r"\b(?:(?P<year>(?:19|20)\d{2})(?: (?P<fy>\d{2}))?|fy ?(?P<fyear>\d{2,4})"
    r"|(?P<q>q|h)(?P<qn>[1-4])|(?:wave|round|w|t|year|yr|survey|period|time) ?(?P<n>\d{1,2})"
    rf"|(?P<rel>(?:{_BEFORE}|{_AFTER}|{_NOW}){_PERIOD}))\b")


def _stem(name: str) -> str:
    """The name without its wave tokens: what the wave columns of one question share."""
    return re.sub(r"\s+", " ", _TOKEN.sub(" ", norm_name(name))).strip()


def wave_order(name: str) -> float | None:
    """Where a column's wave lies in time (a larger number is later), or None when its name has no wave token.

    Years count most (a quarter or half adds a fraction), then numbered waves; "previous" / "next" words are
    -1 / +1 around a column without a token (the current wave, 0).
    """
    year = sub = number = rel = None
    for m in _TOKEN.finditer(norm_name(name)):
        if m["year"]:
            year = int(m["year"]) + (0.5 if m["fy"] else 0)
        elif m["fyear"]:
            y = int(m["fyear"])
            year = y if y > 100 else 2000 + y
        elif m["q"]:
            sub = int(m["qn"]) / (5 if m["q"] == "q" else 3)
        elif m["n"]:
            number = int(m["n"])
        elif m["rel"]:
            word = m["rel"].split()[0]
            rel = -1 if re.fullmatch(_BEFORE, word) else 1 if re.fullmatch(_AFTER, word) else 0
    if year is not None:
        return year * 10 + (sub or 0) + (number or 0) / 100
    if number is not None or sub is not None:
        return (number or 0) + (sub or 0)
    return float(rel) if rel is not None else None


def wave_group(score: str, candidates: list[str]) -> list[str]:
    """The columns among ``candidates`` that hold the score's question in other waves, the score's included,
    earliest first; empty when there is no other wave.

    A column belongs when its name, without its wave tokens (a year, a quarter, "wave 2", "previous year"),
    is the score's name without its own, and at least one of the two carries a token.
    """
    stem = _stem(score)
    if not stem:
        return []
    group = [c for c in dict.fromkeys(candidates) if _stem(c) == stem]
    if score not in group:
        group.append(score)
    if len(group) < 2 or all(wave_order(c) is None for c in group):
        return []
    return sorted(group, key=lambda c: (wave_order(c) if wave_order(c) is not None else 0.0, group.index(c)))


def reshape_advice(path: Path, waves: list[str], sheet: str | None = None) -> list[str]:
    """Lines of Python (pandas) that reshape a wide export to one row per response and wave.

    Each wave gets a date column to fill in (the date the wave was surveyed), so that the long file has
    response dates; rows without a score in a wave (not surveyed then) are dropped.
    """
    read = (f"pd.read_excel({json.dumps(path.name)}, sheet_name={json.dumps(sheet)})" if sheet is not None else
            f"pd.read_excel({json.dumps(path.name)})" if path.suffix.lower() in (".xlsx", ".xlsm", ".xls") else
            f"pd.read_csv({json.dumps(path.name)})")
    dates = ", ".join(f"{json.dumps(w)}: \"YYYY-MM-DD\"" for w in waves)
    out = path.with_name(path.stem + "_by_wave.csv").name
    return ["import pandas as pd",
            f"wide = {read}",
            f"waves = {{{dates}}}  # the date each wave was surveyed",
            "long = wide.melt(id_vars=[c for c in wide.columns if c not in waves], value_vars=list(waves), "
            "var_name=\"Wave\", value_name=\"Score\")",
            "long[\"Survey date\"] = long[\"Wave\"].map(waves)",
            f"long[long[\"Score\"].notna()].to_csv({json.dumps(out)}, index=False)"]
