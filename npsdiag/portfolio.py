"""Compare many clients from their ``findings.json`` files (the portfolio view).

After ``npsdiag batch``, each client's folder holds a ``findings.json``
(SPEC "Findings contract"). These functions read many of them and return
tidy tables and figures for ``notebooks/portfolio.ipynb``:

- :func:`read_findings` — the files matching a glob pattern, parsed;
- :func:`headlines` — one row per client: headline NPS with its interval, n,
  period and counts of findings by severity;
- :func:`area_statuses` — clients x areas (red / amber / green /
  not_assessed), with :func:`status_grid_figure` drawing it as a grid whose
  cells carry a symbol and a word, not colour alone;
- :func:`finding_frequency` — the finding ids that fire in most clients;
- :func:`forest_figure` — headline NPS of every client with its interval;
- :func:`changes` — what changed since each client's previous diagnosis (as ``npsdiag run --previous``).

Examples
--------
>>> docs = [{"client": "A", "headline": {"nps": 20.0, "ci_low": 15.0, "ci_high": 25.0, "n": 900},
...          "areas": {"reliability": {"status": "amber"}},
...          "findings": [{"id": "reliability.duplicates", "area": "reliability", "severity": "medium"}]}]
>>> headlines(docs)[["client", "nps", "n", "medium"]].to_dict("records")
[{'client': 'A', 'nps': 20.0, 'n': 900, 'medium': 1}]
"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import plotting
from .areas.registry import names as area_names

__all__ = ["read_findings", "headlines", "area_statuses", "finding_frequency", "forest_figure",
           "status_grid_figure", "changes", "STATUS_ORDER", "STATUS_SYMBOLS", "AREA_ORDER"]

#: Area columns in report order (other areas follow, alphabetically).
AREA_ORDER = list(area_names())
STATUS_ORDER = ["red", "amber", "green", "not_assessed", "missing"]
#: Each status is a symbol and a word as well as a colour (readable printed in grey).
STATUS_SYMBOLS = {"red": "✖ red", "amber": "▲ amber", "green": "✓ green", "not_assessed": "– n/a",
                  "missing": "·"}
SEVERITIES = ["high", "medium", "low", "info"]


def _resolve(pattern: str | Path) -> list[Path]:
    """Files matching ``pattern``; a relative pattern is tried from here, then from the project root."""
    pattern = str(pattern)
    hits = sorted(glob.glob(pattern, recursive=True))
    if not hits and not Path(pattern).is_absolute():
        try:
            from .runner import project_root

            root = project_root()
        except Exception:  # noqa: BLE001 - not installed from the repository: relative to here only
            root = None
        if root is not None:
            rel = pattern
            while rel.startswith("../"):
                rel = rel[3:]
            hits = sorted(glob.glob(str(root / rel), recursive=True))
    return [Path(h) for h in hits if Path(h).is_file()]


def read_findings(pattern: str | Path | Iterable[str | Path]) -> list[dict[str, Any]]:
    """Read the ``findings.json`` files matching a glob pattern (or a list of paths/patterns).

    Parameters
    ----------
    pattern : str, Path or iterable of them
        E.g. ``"reports/*/findings.json"``. A relative pattern that matches
        nothing from the working folder is tried from the project root.

    Returns
    -------
    list of dict
        The parsed documents, in path order, each with an added ``_path``.
        Files that cannot be read or are not findings.json documents are
        returned as ``{"_path": ..., "_error": "..."}`` so that the
        portfolio says which client is missing rather than failing.
    """
    patterns = [pattern] if isinstance(pattern, (str, Path)) else list(pattern)
    paths = list(dict.fromkeys(p for pat in patterns for p in _resolve(pat)))
    docs = []
    for p in paths:
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
            if not isinstance(doc, dict) or "headline" not in doc:
                raise ValueError("no 'headline': not a findings.json document")
        except (OSError, ValueError) as exc:
            docs.append({"_path": str(p), "_error": f"{type(exc).__name__}: {exc}"})
            continue
        doc["_path"] = str(p)
        docs.append(doc)
    return docs


def _ok(docs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in docs if "_error" not in d]


def _client(doc: dict[str, Any]) -> str:
    return str(doc.get("client") or Path(doc.get("_path", "client")).parent.name)


def _num(v: Any) -> float:
    try:
        return float(v) if v is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


def _wrap(text: Any, width: int = 28) -> str:
    """A long client name on at most two lines (cut with an ellipsis beyond)."""
    import textwrap

    lines = textwrap.wrap(str(text), width) or [""]
    return "\n".join(lines[:2]) + ("…" if len(lines) > 2 else "")


def headlines(docs: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per client: headline NPS, interval, n, period and findings by severity.

    Parameters
    ----------
    docs : list of dict
        findings.json documents (:func:`read_findings`); unreadable ones are
        skipped.

    Returns
    -------
    DataFrame
        ``client``, ``nps``, ``ci_low``, ``ci_high`` (points, the report's
        adjusted Wald interval), ``n`` (responses analysed), ``period_start``,
        ``period_end``, ``high``, ``medium``, ``low``, ``info`` (findings per
        severity), ``red_areas`` (count), ``generated_at``, ``path``; in the
        order given.
    """
    rows = []
    for d in _ok(docs):
        h = d.get("headline") or {}
        period = (d.get("data") or {}).get("period") or [None, None]
        sev = pd.Series([f.get("severity") for f in d.get("findings") or []], dtype="object").value_counts()
        areas = d.get("areas") or {}
        n = h.get("n")
        rows.append({"client": _client(d), "nps": _num(h.get("nps")), "ci_low": _num(h.get("ci_low")),
                     "ci_high": _num(h.get("ci_high")), "n": int(n) if n is not None else None,
                     "period_start": period[0] if len(period) > 0 else None,
                     "period_end": period[1] if len(period) > 1 else None,
                     **{s: int(sev.get(s, 0)) for s in SEVERITIES},
                     "red_areas": sum(1 for a in areas.values() if (a or {}).get("status") == "red"),
                     "generated_at": d.get("generated_at"), "path": d.get("_path")})
    cols = ["client", "nps", "ci_low", "ci_high", "n", "period_start", "period_end", *SEVERITIES, "red_areas",
            "generated_at", "path"]
    out = pd.DataFrame(rows, columns=cols)
    out["n"] = out["n"].astype("Int64")
    return out


def area_statuses(docs: Sequence[dict[str, Any]], symbols: bool = False) -> pd.DataFrame:
    """Clients x areas table of statuses.

    Parameters
    ----------
    docs : list of dict
        findings.json documents.
    symbols : bool
        Write each status as a symbol and a word (``"✖ red"``) instead of
        the bare status, for tables that must read without colour.

    Returns
    -------
    DataFrame
        Index ``client``; one column per area (report order, then any other
        area); values ``red``, ``amber``, ``green``, ``not_assessed`` or
        ``missing`` (the area is absent from that client's file, e.g. an
        older npsdiag version).
    """
    ok = _ok(docs)
    names = [a for d in ok for a in (d.get("areas") or {})]
    areas = [a for a in AREA_ORDER if a in names] + sorted(set(names) - set(AREA_ORDER))
    rows = {}
    for d in ok:
        got = d.get("areas") or {}
        rows[_client(d)] = {a: ((got.get(a) or {}).get("status") or "missing") for a in areas}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=areas)
    out.index.name = "client"
    out = out.fillna("missing")
    return out.replace(STATUS_SYMBOLS) if symbols else out


def finding_frequency(docs: Sequence[dict[str, Any]], severities: Iterable[str] = ("high", "medium", "low"),
                      top: int | None = 20) -> pd.DataFrame:
    """The findings that fire in the most clients.

    Parameters
    ----------
    docs : list of dict
        findings.json documents.
    severities : iterable of str
        Severities counted (``info`` findings are left out by default).
    top : int, optional
        Keep the ``top`` most frequent ids (None: all).

    Returns
    -------
    DataFrame
        ``id``, ``area``, ``clients`` (clients where it fired), ``share``
        (of the clients read, 0-1), ``high``, ``medium``, ``low`` (clients
        per severity), ``example`` (the title in one client), ``client_list``
        (comma-separated); most frequent first, then most severe.

    Notes
    -----
    A finding id counts once per client even if it fired more than once.
    """
    ok = _ok(docs)
    sev_set = list(severities)
    rows = []
    for d in ok:
        seen: dict[str, dict[str, Any]] = {}
        for f in d.get("findings") or []:
            fid, sev = f.get("id"), f.get("severity")
            if not fid or sev not in sev_set:
                continue
            prev = seen.get(fid)
            if prev is None or SEVERITIES.index(sev) < SEVERITIES.index(prev["severity"]):
                seen[fid] = {"id": fid, "area": f.get("area") or fid.split(".")[0], "severity": sev,
                             "title": f.get("title", ""), "client": _client(d)}
        rows.extend(seen.values())
    cols = ["id", "area", "clients", "share", *[s for s in SEVERITIES if s in sev_set], "example", "client_list"]
    if not rows:
        return pd.DataFrame(columns=cols)
    f = pd.DataFrame(rows)
    g = f.groupby("id", sort=False)
    out = pd.DataFrame({"area": g["area"].first(), "clients": g["client"].nunique(),
                        "example": g["title"].first(),
                        "client_list": g["client"].agg(lambda s: ", ".join(sorted(set(s))))})
    counts = pd.crosstab(f["id"], f["severity"]).reindex(columns=[s for s in SEVERITIES if s in sev_set],
                                                          fill_value=0)
    out = out.join(counts).fillna(0)
    out["share"] = out["clients"] / max(len(ok), 1)
    rank = out[[s for s in SEVERITIES if s in sev_set]].to_numpy()
    out["_sev"] = [tuple(-x for x in r) for r in rank]
    out = out.reset_index().sort_values(["clients", "_sev", "id"], ascending=[False, True, True])
    out = out.drop(columns="_sev")[cols].reset_index(drop=True)
    for s in SEVERITIES:
        if s in out:
            out[s] = out[s].astype(int)
    return out.head(top) if top else out


def forest_figure(table: pd.DataFrame, reference: float | None = None, width: float = 7.0):
    """Headline NPS of every client with its interval (a forest plot), best at the top.

    Parameters
    ----------
    table : DataFrame
        :func:`headlines` output (``client``, ``nps``, ``ci_low``,
        ``ci_high``, ``n``).
    reference : float, optional
        A vertical reference line (default: the median NPS of the clients).
    width : float
        Inches.

    Returns
    -------
    matplotlib Figure or None
        None when no client has a headline NPS.
    """
    t = table.dropna(subset=["nps"]).sort_values("nps").reset_index(drop=True)
    if t.empty:
        return None
    with plotting.style():
        return _forest(t, reference, width)


def _forest(t: pd.DataFrame, reference: float | None, width: float):
    height = min(9.5, 1.0 + 0.5 * len(t))
    fig, ax = plotting.figure(width, height)
    y = np.arange(len(t))
    lo = (t["nps"] - t["ci_low"]).clip(lower=0).fillna(0).to_numpy()
    hi = (t["ci_high"] - t["nps"]).clip(lower=0).fillna(0).to_numpy()
    ax.errorbar(t["nps"], y, xerr=[lo, hi], fmt="o", color=plotting.PALETTE[0], ecolor="#555555", elinewidth=1.4,
                capsize=3, markersize=6, zorder=3)
    ref = float(np.nanmedian(t["nps"])) if reference is None else float(reference)
    ax.axvline(ref, color="#777777", linestyle="--", linewidth=1)
    ax.axvline(0, color="#bbbbbb", linewidth=0.8)
    labels = [_wrap(plotting.label(c, 80)) + (f"\n(n={int(n):,})" if pd.notna(n) else "")
              for c, n in zip(t["client"], t["n"], strict=True)]
    ax.set_yticks(y, labels, fontsize=8)
    for yi, (v, h) in enumerate(zip(t["nps"], t["ci_high"])):
        ax.annotate(f"{v:+.0f}", (h if pd.notna(h) else v, yi), xytext=(5, 0), textcoords="offset points",
                    va="center", fontsize=8)
    ax.set_xlabel("NPS (points, -100 to 100) with 95% interval")
    ax.set_xlim(max(-100, float(np.nanmin(t["ci_low"].fillna(t["nps"]))) - 10),
                min(100, float(np.nanmax(t["ci_high"].fillna(t["nps"]))) + 12))
    ax.set_title(f"Headline NPS by client (dashed line: {'median' if reference is None else 'reference'} "
                 f"{ref:+.0f})", loc="left")
    ax.grid(axis="y", visible=False)
    return fig


def status_grid_figure(statuses: pd.DataFrame, width: float = 7.5):
    """Clients x areas grid of statuses: colour plus a symbol and a word in every cell.

    Parameters
    ----------
    statuses : DataFrame
        :func:`area_statuses` output (bare statuses).

    Returns
    -------
    matplotlib Figure or None
    """
    if statuses.empty:
        return None
    with plotting.style():
        return _status_grid(statuses, width)


def _status_grid(statuses: pd.DataFrame, width: float):
    from matplotlib.colors import ListedColormap

    order = {s: i for i, s in enumerate(STATUS_ORDER)}
    codes = statuses.apply(lambda col: col.map(lambda v: order.get(v, order["missing"]))).to_numpy(dtype=float)
    colors = [plotting.STATUS_COLORS.get(s, "#ffffff") if s != "missing" else "#ffffff" for s in STATUS_ORDER]
    height = min(9.5, 1.4 + 0.42 * len(statuses))
    fig, ax = plotting.figure(width, height)
    ax.imshow(codes, cmap=ListedColormap(colors), vmin=-0.5, vmax=len(STATUS_ORDER) - 0.5, aspect="auto")
    for (i, j), v in np.ndenumerate(codes):
        status = STATUS_ORDER[int(v)]
        ax.text(j, i, STATUS_SYMBOLS[status], ha="center", va="center", fontsize=8,
                color="white" if status in ("red", "green") else "black")
    ax.set_xticks(range(statuses.shape[1]), [c.capitalize() for c in statuses.columns], fontsize=8, rotation=30,
                  ha="left", rotation_mode="anchor")
    ax.set_yticks(range(statuses.shape[0]), [_wrap(plotting.label(c, 80)) for c in statuses.index], fontsize=8)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.grid(False)
    for s in ax.spines.values():
        s.set_visible(False)
    ax.set_xticks(np.arange(-0.5, statuses.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, statuses.shape[0]), minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    return fig


def changes(docs: Sequence[dict[str, Any]], previous: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per client found in both sets: what changed since its previous diagnosis.

    Clients are paired by name; each pair is compared as ``npsdiag run --previous`` compares them
    (:func:`npsdiag.story.compare`): a change within the larger interval's margin is "no change".

    Returns
    -------
    DataFrame
        ``client``, ``nps_before``, ``nps_now``, ``change`` (points), ``verdict``, ``new``, ``resolved``,
        ``persisting`` (high and medium findings), ``kpis_on_track`` (KPIs on track or met, of ``kpis``).
    """
    from .story import compare

    before = {_client(d): d for d in _ok(previous)}
    rows = []
    for doc in _ok(docs):
        old = before.get(_client(doc))
        if old is None:
            continue
        c = compare(old, doc)
        head = c.headline.set_index("measure")
        verdicts = c.findings["verdict"].value_counts()
        on_track = int(c.kpis["verdict"].isin(["on track", "target met"]).sum())
        row = {"client": _client(doc), "nps_before": np.nan, "nps_now": np.nan, "change": np.nan, "verdict": "-"}
        if "Headline" in head.index:
            h = head.loc["Headline"]
            row.update(nps_before=h["previous"], nps_now=h["now"], change=h["change"], verdict=h["verdict"])
        rows.append({**row, "new": int(verdicts.get("new", 0)), "resolved": int(verdicts.get("resolved", 0)),
                     "persisting": int(verdicts.get("persisting", 0)), "kpis_on_track": on_track,
                     "kpis": len(c.kpis)})
    return pd.DataFrame(rows, columns=["client", "nps_before", "nps_now", "change", "verdict", "new", "resolved",
                                       "persisting", "kpis_on_track", "kpis"])
