"""Owners anonymised in the client's deliverable: "Owner A", "Owner B"... instead of staff names.

Owner-level results (a CSM whose customers give implausibly many 10s, the
follow-up times per owner) are an HR and legal matter for the client, not a
page for its CEO: the report, the brief and the data pack show owners as
"Owner A-L" (unless ``settings.name_owners: true``) and the private annex
(``private/owners.html``) gives the key to the programme owner only.
:func:`owner_aliases` makes the key; :func:`anonymise` returns a copy of the
diagnosis with every finding text, evidence value, table and figure data
using the aliases. The CSV exports (the callback queue, the renewal-risk
list) keep the names: they are work lists for the teams who call customers.
"""

from __future__ import annotations

import dataclasses
import re
import string
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from ..clean import Prepared
from ..findings import Diagnosis, Figure, Finding

__all__ = ["owner_aliases", "anonymise", "alias_label", "OWNER_COLUMNS"]

#: Table columns holding owner names.
OWNER_COLUMNS = ("owner", "csm", "agent", "rep")


def alias_label(i: int) -> str:
    """The i-th alias: "Owner A" ... "Owner Z", "Owner AA"...

    Examples
    --------
    >>> alias_label(0), alias_label(25), alias_label(26)
    ('Owner A', 'Owner Z', 'Owner AA')
    """
    letters = string.ascii_uppercase
    text = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        text = letters[rem] + text
    return f"Owner {text}"


def owner_aliases(prep: Prepared) -> dict[str, str]:
    """Each owner's alias, the owner with most analysed responses first ("Owner A"); ties by name.

    Empty when the responses have no owner, or when ``settings.name_owners`` is true.
    """
    r = prep.responses
    if prep.settings.name_owners or "owner" not in r:
        return {}
    counts = r["owner"].dropna().astype(str).str.strip()
    counts = counts[counts != ""].value_counts()
    names = sorted(counts.index, key=lambda n: (-int(counts[n]), n))
    return {name: alias_label(i) for i, name in enumerate(names)}


def _pattern(aliases: dict[str, str]) -> re.Pattern | None:
    names = sorted(aliases, key=len, reverse=True)  # longest first: "Ann Lee" before "Ann"
    if not names:
        return None
    return re.compile(r"(?<![\w])(" + "|".join(re.escape(n) for n in names) + r")(?![\w])")


def _text(value: Any, aliases: dict[str, str], pattern: re.Pattern | None) -> Any:
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(lambda m: aliases[m.group(1)], value)
    if isinstance(value, dict):
        return {k: _text(v, aliases, pattern) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_text(v, aliases, pattern) for v in value)
    return value


def _frame(value: Any, aliases: dict[str, str], pattern: re.Pattern | None = None) -> Any:
    """A table with owner columns mapped to aliases and, given ``pattern``, owner names in other text cells
    replaced (e.g. "1 of 12 owners flagged (Dana Whitfield)")."""
    if not isinstance(value, pd.DataFrame) or not aliases:
        return value
    out = value
    if value.index.name is not None and str(value.index.name).lower() in OWNER_COLUMNS:
        out = out.rename(index=lambda v: aliases.get(str(v), v))
    cols = [c for c in out.columns if str(c).lower() in OWNER_COLUMNS]
    text = [c for c in out.columns if c not in cols and (pd.api.types.is_object_dtype(out[c])
                                                          or pd.api.types.is_string_dtype(out[c]))]
    if not cols and not (pattern is not None and text):
        return out
    out = out.copy()
    for c in cols:  # each distinct owner looked up once: a figure's data can hold every response
        codes, distinct = pd.factorize(out[c])
        named = np.array([aliases.get(str(v).strip(), v) if isinstance(v, str) else v for v in distinct] + [None],
                         dtype=object)
        out[c] = named[codes]
    if pattern is not None:
        for c in text:
            out[c] = out[c].map(lambda v: _text(v, aliases, pattern) if isinstance(v, str) else v)
    return out


def _figure(fig: Figure, aliases: dict[str, str], pattern: re.Pattern | None) -> Figure:
    draw = fig.fig
    if isinstance(draw, partial):
        # owner columns only: a figure's data can be large (every response), and names elsewhere are not drawn
        draw = partial(draw.func, *[_frame(a, aliases) for a in draw.args],
                       **{k: _frame(v, aliases) for k, v in draw.keywords.items()})
    return dataclasses.replace(fig, fig=draw, caption=_text(fig.caption, aliases, pattern), rendered={})


def _without_owners(frame: Any) -> Any:
    if not isinstance(frame, pd.DataFrame):
        return frame
    return frame.drop(columns=[c for c in frame.columns if str(c).lower() in OWNER_COLUMNS])


def anonymise(diag: Diagnosis, aliases: dict[str, str]) -> Diagnosis:
    """A copy of the diagnosis with owners shown by their aliases (the original is left as it was).

    Finding titles, details, recommendations and evidence, the areas' tables and summaries, the exports (CSV
    work lists lose their owner column: with account names beside it, even an alias names the person; the named
    copy goes to the private folder), and the data of figures not yet
    drawn (a figure already drawn is kept only if it names nobody: it is dropped otherwise).
    """
    if not aliases:
        return diag
    pattern = _pattern(aliases)
    areas = {}
    for name, res in diag.areas.items():
        findings = [Finding(f.id, f.severity, _text(f.title, aliases, pattern), _text(f.detail, aliases, pattern),
                            _text(f.evidence, aliases, pattern), _text(f.recommendation, aliases, pattern))
                    for f in res.findings]
        figures = [_figure(fig, aliases, pattern) for fig in res.figures
                   if isinstance(fig.fig, partial) or not any(n in fig.caption for n in aliases)]
        areas[name] = dataclasses.replace(
            res, findings=findings, figures=figures, summary=_text(res.summary, aliases, pattern),
            tables={k: _frame(t, aliases, pattern) for k, t in res.tables.items()},
            exports={k: _without_owners(t) for k, t in res.exports.items()},
            notes=[_text(n, aliases, pattern) for n in res.notes],
            table_captions={k: _text(c, aliases, pattern) for k, c in res.table_captions.items()})
    return dataclasses.replace(diag, areas=areas)
