"""The one list of the diagnosis's areas.

Everything that goes through the areas (the notebook, the findings roll-up,
the report's sections and contents, the portfolio view, the benchmarks)
reads :data:`AREAS`. Adding an area is adding a package under
``npsdiag/areas/`` with a ``diagnose(prep)`` and one entry here.

The registry imports no area: an area's package is imported when its
:meth:`Area.diagnose` is first called, so reading titles stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

__all__ = ["Area", "AREAS", "COST", "names", "get", "diagnose_all"]


@dataclass(frozen=True)
class Area:
    """One area of the diagnosis.

    Attributes
    ----------
    name : str
        Its id: the package ``npsdiag.areas.<name>`` and the prefix of its finding ids.
    short : str
        Its name in tables and links ("Balance").
    question : str
        The question it answers ("Whose voice is this?").
    """

    name: str
    short: str
    question: str

    @property
    def title(self) -> str:
        """Section title: "Balance — whose voice is this?"."""
        return f"{self.short} — {self.question[0].lower()}{self.question[1:]}"

    @property
    def module(self) -> str:
        return f"npsdiag.areas.{self.name}"

    def diagnose(self, prep: Any) -> Any:
        """The area's ``diagnose(prep)``: an :class:`~npsdiag.findings.AreaResult`."""
        return import_module(self.module).diagnose(prep)


#: The areas in report order.
AREAS: tuple[Area, ...] = (
    Area("reliability", "Reliability", "Can this data be trusted?"),
    Area("balance", "Balance", "Whose voice is this?"),
    Area("segmentation", "Segmentation", "Where is it good or bad, honestly?"),
    Area("outcome", "Outcome", "Does the score predict retention?"),
    Area("decay", "Decay", "Does feedback reach the front line while it is fresh?"),
    Area("drivers", "Key drivers", "What moves the score?"),
    Area("verbatims", "Verbatims", "What customers wrote"),
)


def names() -> tuple[str, ...]:
    """The areas' names in report order."""
    return tuple(a.name for a in AREAS)


def get(name: str) -> Area:
    """The area called ``name`` (KeyError when there is none)."""
    for a in AREAS:
        if a.name == name:
            return a
    raise KeyError(name)


#: Areas by their cost on a large export (seconds at a million responses), the costliest started first when
#: areas are diagnosed on several threads; the order of the results never depends on it.
COST = {"decay": 3.3, "balance": 3.8, "outcome": 2.2, "verbatims": 1.4, "reliability": 1.1, "drivers": 1.1,
        "segmentation": 0.9}


def diagnose_all(prep: Any, jobs: int = 1) -> dict[str, Any]:
    """Every area's result on prepared data, in report order.

    Parameters
    ----------
    prep : Prepared
    jobs : int
        Areas diagnosed at the same time, on threads of this process (a
        :class:`concurrent.futures.ThreadPoolExecutor`). The areas share the
        prepared data and its cached intermediate results (computed once,
        whichever area asks first) and draw no figure while they compute, so
        the results are the same as one after the other; their numpy, pandas
        and pyarrow work runs while the other area's does. 1: one after the
        other.
    """
    if jobs <= 1:
        return {a.name: a.diagnose(prep) for a in AREAS}
    from concurrent.futures import ThreadPoolExecutor

    order = sorted(AREAS, key=lambda a: -COST.get(a.name, 0.0))
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="npsdiag-area") as pool:
        futures = {a.name: pool.submit(a.diagnose, prep) for a in order}
        return {a.name: futures[a.name].result() for a in AREAS}
