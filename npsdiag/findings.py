"""Findings, area results and the findings.json contract.

Every diagnosis (one per area of the report) returns an :class:`AreaResult`:
its tables, figures, findings and a status. :class:`Diagnosis` collects the
areas of one client, rolls them up and writes ``findings.json`` exactly as
SPEC.md describes.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SEVERITIES", "Finding", "Figure", "Check", "AreaResult", "Diagnosis",
           "not_assessed", "FINDING_IDS", "SPEC_FINDING_IDS",
           "ADDED_FINDING_IDS", "worst", "severity_from_share", "as_figure", "jsonable"]

SEVERITIES = ("high", "medium", "low", "info")
STATUSES = ("red", "amber", "green", "not_assessed")

#: Finding ids of SPEC.md: a stable public contract. More may be added; none renamed.
SPEC_FINDING_IDS = (
    "reliability.missing_values", "reliability.out_of_range", "reliability.duplicates",
    "reliability.test_responses", "reliability.date_anomalies", "reliability.feed_gaps",
    "reliability.small_sample", "reliability.score_gaming",
    "balance.role_skew", "balance.single_voice", "balance.concentration",
    "balance.revenue_coverage", "balance.role_gap", "balance.nonresponse_bias",
    "segmentation.hidden_segment", "segmentation.insufficient_n", "segmentation.mix_shift",
    "segmentation.dispersion",
    "outcome.no_link", "outcome.inverse_link", "outcome.false_comfort",
    "outcome.role_predictiveness", "outcome.unlinked",
    "decay.slow_follow_up", "decay.no_follow_up", "decay.follow_up_effect",
    "decay.score_staleness", "decay.response_rate_trend", "decay.response_latency",
)
#: Ids added by the issues beyond SPEC.md's table (issue 19: a link too perfect to be true; a driver that
#: explains most of the score). Equally stable.
ADDED_FINDING_IDS = ("outcome.suspicious_link", "drivers.dominant_driver")
#: Every public finding id.
FINDING_IDS = SPEC_FINDING_IDS + ADDED_FINDING_IDS


def jsonable(value: Any) -> Any:
    """Convert numpy/pandas scalars and containers to plain JSON values (NaN -> None)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return None if pd.isna(value) else value.isoformat()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, pd.Series):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (str, int)):
        return value
    return str(value)


@dataclass
class Finding:
    """One finding of the diagnosis.

    Attributes
    ----------
    id : str
        Stable id, ``"<area>.<name>"`` (see :data:`FINDING_IDS`).
    severity : {"high", "medium", "low", "info"}
    title : str
        One line, plain language.
    detail : str
        What was measured, with figures.
    evidence : dict
        Effect size, n, p-values: the numbers behind the finding.
    recommendation : str
        What to do about it.
    """

    id: str
    severity: str
    title: str
    detail: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    recommendation: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")
        if "." not in self.id:
            raise ValueError(f"finding id must be '<area>.<name>', not {self.id!r}")

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "area": self.area, "severity": self.severity, "title": self.title,
                "detail": self.detail, "evidence": jsonable(self.evidence),
                "recommendation": self.recommendation}


@dataclass
class Figure:
    """A figure of an area, with its caption.

    ``fig`` is a matplotlib figure, or a function of no argument that draws
    it (and returns the figure, its axes or an array of axes): an area's
    figures are then drawn only when something shows them (the report, a
    notebook cell), not every time the area is diagnosed.
    """

    key: str
    fig: Any
    caption: str = ""
    #: ids of the findings it shows the evidence of (the report shows those figures first)
    illustrates: tuple[str, ...] = ()
    #: the PNGs the figure was rendered to, by resolution (the client report and the appendix show the same
    #: figure: it is rendered once); a copy of the record with other data starts with none
    rendered: dict[int, tuple[bytes, tuple[int, int]]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def figure(self) -> Any:
        """The matplotlib figure, drawn now when the record holds how to draw it."""
        if callable(self.fig) and not hasattr(self.fig, "savefig"):
            self.fig = as_figure(self.fig())
        return self.fig


def as_figure(drawn: Any) -> Any:
    """The matplotlib figure of what a plot function returned: a figure, an axes, or an array of axes."""
    if hasattr(drawn, "savefig"):
        return drawn
    if isinstance(drawn, np.ndarray):
        drawn = drawn.flat[0]
    return drawn.get_figure()


@dataclass
class Check:
    """One check of an area: what it computed, and whether it could be assessed.

    An area's ``checks`` module returns one per check (role mix, revenue
    coverage...); its finding rules read their ``context``; the area's
    result gathers their tables, figures and notes in order
    (:meth:`AreaResult.from_checks`).

    Attributes
    ----------
    name : str
        Short id of the check (``"role_mix"``).
    assessed : bool
        False when its inputs were missing or too few; ``reason`` says why.
    reason : str, optional
        Why it was not assessed, in plain words.
    tables, captions, figures, notes
        What it shows in the report (tables keyed by name, their captions,
        figures, method notes).
    context : dict
        The numbers and intermediate tables its finding rules need.
    substantive : bool
        Whether the check judges the program (role mix, feed gaps...): an
        area is "sound" only when all its substantive checks ran. False for
        what only describes or supports (a summary table, quotes, topics).
    """

    name: str
    assessed: bool = True
    reason: str | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    captions: dict[str, str] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    substantive: bool = True

    @classmethod
    def skipped(cls, name: str, reason: str, note: str | None = None, substantive: bool = True) -> Check:
        """A check that could not be assessed, with its reason (and the note the report shows, if any)."""
        return cls(name, assessed=False, reason=reason, notes=[note] if note else [], substantive=substantive)

    def to_dict(self) -> dict[str, Any]:
        """What findings.json says of the check: its name, whether it ran, and why not."""
        out: dict[str, Any] = {"name": self.name, "assessed": self.assessed}
        if not self.assessed:
            out["reason"] = self.reason or "not assessed"
        return out


@dataclass
class AreaResult:
    """What one diagnosis returns.

    Attributes
    ----------
    area : str
        The area's name (:data:`npsdiag.areas.registry.AREAS`).
    findings : list of Finding
    tables : dict of str -> DataFrame
        Tidy tables, keyed by a short name; shown in the report in order.
    figures : list of Figure
    summary : str
        One sentence for the executive summary.
    not_assessed_reason : str, optional
        Set when the area could not be assessed (missing inputs); the status
        is then ``not_assessed``.
    notes : list of str
        Extra plain-language notes shown in the section (methods, caveats).
    table_captions : dict of str -> str
        Caption of each table.
    exports : dict of str -> DataFrame
        Tables written as CSV files beside the report (file name -> table),
        e.g. the callback queue.
    checks : list of Check
        The checks the area ran or could not run (:meth:`from_checks`).
    """

    area: str
    findings: list[Finding] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    summary: str = ""
    not_assessed_reason: str | None = None
    notes: list[str] = field(default_factory=list)
    table_captions: dict[str, str] = field(default_factory=dict)
    exports: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    checks: list[Check] = field(default_factory=list, repr=False)

    @property
    def unassessed(self) -> list[Check]:
        """The substantive checks that could not run (their reasons say why)."""
        return [c for c in self.checks if c.substantive and not c.assessed]

    @property
    def status(self) -> str:
        """The area's status, on evidence only.

        red with a high finding, amber with a medium one; otherwise green only
        when every substantive check ran, amber ("partly assessed") when some
        could not, and not_assessed when none could (or the area had no input).
        """
        if self.not_assessed_reason:
            return "not_assessed"
        sev = {f.severity for f in self.findings}
        if "high" in sev:
            return "red"
        if "medium" in sev:
            return "amber"
        substantive = [c for c in self.checks if c.substantive]
        if substantive and not any(c.assessed for c in substantive):
            return "not_assessed"
        return "amber" if self.unassessed else "green"

    @property
    def summary_text(self) -> str:
        if self.not_assessed_reason:
            return f"Not assessed: {self.not_assessed_reason}"
        if self.status == "not_assessed":
            return "Not assessed: " + "; ".join(dict.fromkeys(c.reason or c.name for c in self.unassessed)) + "."
        if self.status == "amber" and not any(f.severity in ("high", "medium") for f in self.findings):
            return ("Partly assessed: no issue found in what could be checked; some checks could not run ("
                    + "; ".join(dict.fromkeys(c.reason or "no data" for c in self.unassessed)) + ").")
        if self.summary:
            return self.summary
        top = sorted(self.findings, key=lambda f: SEVERITIES.index(f.severity))
        if top and top[0].severity in ("high", "medium"):
            return top[0].title
        return "No material issue found."

    @classmethod
    def from_checks(cls, area: str, checks: list[Check], findings: list[Finding], summary: str = "",
                    table_order: list[str] | None = None,
                    illustrates: dict[str, tuple[str, ...]] | None = None) -> AreaResult:
        """An area's result from its checks (tables, captions, figures and notes in check order) and findings.

        ``table_order``, when given, orders the tables (others follow in check order). ``illustrates`` maps
        figure keys (or key prefixes ending in ``_``) to the finding ids each figure shows the evidence of.
        """
        res = cls(area, findings=list(findings), summary=summary, checks=list(checks))
        for c in checks:
            res.tables.update(c.tables)
            res.table_captions.update(c.captions)
            res.figures.extend(c.figures)
            res.notes.extend(c.notes)
        for fig in res.figures:
            fig.illustrates = fig.illustrates or next(
                (ids for key, ids in (illustrates or {}).items()
                 if fig.key == key or (key.endswith("_") and fig.key.startswith(key))), ())
        if table_order:
            first = {k: res.tables[k] for k in table_order if k in res.tables}
            res.tables = {**first, **{k: v for k, v in res.tables.items() if k not in first}}
        return res

    def finding(self, finding_id: str) -> Finding | None:
        """The finding with this id, or None."""
        return next((f for f in self.findings if f.id == finding_id), None)

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        """A notebook's view: status, summary and findings (``npsdiag.report.area_html`` renders the whole area)."""
        items = "".join(f"<li><b>{html.escape(f.severity)}</b>: {html.escape(f.title)}</li>" for f in self.findings)
        return (f"<p><b>{html.escape(self.area)}</b>: {html.escape(self.status)} &mdash; "
                f"{html.escape(self.summary_text)}</p><ul>{items}</ul>")


def not_assessed(area: str, reason: str) -> AreaResult:
    """An area that could not be assessed, with the reason said plainly."""
    return AreaResult(area=area, not_assessed_reason=reason)


@dataclass
class Diagnosis:
    """The whole diagnosis of one client: headline, areas and findings.json.

    Attributes
    ----------
    client : str
    data_summary : dict
        ``responses``, ``accounts`` and ``period`` ([start, end] ISO dates).
    headline : dict
        ``nps``, ``ci_low``, ``ci_high``, ``n``.
    areas : dict of str -> AreaResult
    """

    client: str
    data_summary: dict[str, Any]
    headline: dict[str, Any]
    areas: dict[str, AreaResult]
    generated_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def findings(self) -> list[Finding]:
        """All findings, most severe first (area order kept within a severity)."""
        allf = [f for a in self.areas.values() for f in a.findings]
        return sorted(allf, key=lambda f: SEVERITIES.index(f.severity))

    def top_findings(self, k: int = 5) -> list[Finding]:
        return [f for f in self.findings if f.severity in ("high", "medium")][:k]

    def to_dict(self) -> dict[str, Any]:
        from . import __version__

        areas = {}
        for name, res in self.areas.items():
            entry: dict[str, Any] = {"status": res.status, "summary": res.summary_text,
                                     "checks": [c.to_dict() for c in res.checks]}
            if res.not_assessed_reason:
                entry["reason"] = res.not_assessed_reason
            areas[name] = entry
        return jsonable({
            "client": self.client,
            "generated_at": self.generated_at,
            "npsdiag_version": __version__,
            "data": self.data_summary,
            "headline": self.headline,
            "areas": areas,
            "findings": [f.to_dict() for f in self.findings],
        })

    def write_json(self, path: str | Path) -> Path:
        """Write findings.json (atomically: a temporary file renamed into place)."""
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
        return path


def worst(severities: Iterable[str | None]) -> str | None:
    """The most severe of several severities (None when there is none)."""
    s = [x for x in severities if x]
    return min(s, key=SEVERITIES.index) if s else None


def severity_from_share(share: float, medium: float = 0.02, high: float = 0.10) -> str:
    """Severity of an exclusion by the share of rows it affects."""
    if share >= high:
        return "high"
    if share >= medium:
        return "medium"
    return "low"
