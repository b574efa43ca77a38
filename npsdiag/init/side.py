"""Side tables keyed by respondent for ``npsdiag init``: a roles file, a plan file keyed by user id, a contact list.

A table is keyed by respondent when one of its columns, nearly unique, holds the ids of the responses'
respondents (spaces and letter case ignored, as :func:`npsdiag.io.attributes.respondent_keys` matches them).
The one with a role column is proposed as the ``contacts`` table: ``npsdiag`` then gives each response its
respondent's role and the table's segments. Other such tables are named, with how to merge them into it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pandas as pd

from ..io.attributes import respondent_keys
from .guess import Guess, TableGuess, configure_table, role_column, segments_of
from .profile import ColumnProfile, fmt_n, short

__all__ = ["KeyedTable", "respondent_keyed", "propose_side_tables"]

MIN_MATCH = 0.3  #: share of the responses' respondents (or of the table's people) that must match


@dataclass
class KeyedTable:
    """A table keyed by respondent: its key column, the responses' column it matches, and how well."""

    table: TableGuess
    key: str
    respondent: str
    share: float  #: share of the responses' distinct respondent ids found in the table
    role: ColumnProfile | None


def _keys(values: pd.Series, n: int = 50_000) -> set[str]:
    return {k for k in respondent_keys(values.head(n)).to_pylist() if k is not None}


def respondent_keyed(resp: TableGuess, t: TableGuess) -> KeyedTable | None:
    """Whether ``t`` is keyed by the responses' respondent (its ``respondent_id``, or else the responses column
    whose values its key holds), and by which columns; None when it is not."""
    rid = resp.columns.get("respondent_id")
    resp_cols = [rid.column] if rid else [p.name for p in resp.profiles if p.kind in ("id", "category", "email")
                                          and p.name not in {g.column for g in resp.columns.values()}]
    best: KeyedTable | None = None
    ours_by_col = {c: _keys(resp.raw.frame[c]) for c in resp_cols}
    for p in t.profiles:
        if p.kind not in ("id", "category", "email", "number") or p.unique_share < 0.9 or p.fill_share < 0.5:
            continue
        theirs = _keys(t.raw.frame[p.name])
        for c, ours in ours_by_col.items():
            if not ours or not theirs:
                continue
            hit = len(ours & theirs)
            share = hit / len(ours)
            if max(share, hit / len(theirs)) >= MIN_MATCH and (best is None or share > best.share):
                best = KeyedTable(t, p.name, c, share, role_column(t, {p.name}))
    return best


def _merge_advice(into: KeyedTable, other: KeyedTable) -> list[str]:
    """Python (pandas) that adds another respondent-keyed table's columns to the contacts table."""
    a, b = into.table, other.table
    out = re.sub(r"\W+", "_", a.path.stem) + "_with_" + re.sub(r"\W+", "_", b.path.stem) + ".csv"
    return ["import pandas as pd",
            f"people = pd.read_csv({json.dumps(a.path.name)})",
            f"more = pd.read_csv({json.dumps(b.path.name)})",
            "key = lambda s: s.astype(str).str.strip().str.lower()",
            f"people[\"_key\"] = key(people[{json.dumps(into.key)}])",
            f"more[\"_key\"] = key(more[{json.dumps(other.key)}])",
            f"people.merge(more.drop(columns=[{json.dumps(other.key)}]).drop_duplicates(\"_key\", keep=\"last\"), "
            f"on=\"_key\", how=\"left\").drop(columns=\"_key\").to_csv({json.dumps(out)}, index=False)"]


def _configure_contacts(k: KeyedTable, resp: TableGuess, configured: bool) -> None:
    """Map a respondent-keyed table as contacts: its key, its role, its attributes as segments."""
    t = k.table
    if not configured:
        configure_table(t, "contacts", resp)
    t.columns.pop("respondent_id", None)
    t.columns["respondent_id"] = Guess(
        "respondent_id", k.key, "high" if k.share >= 0.8 else "medium",
        f"holds the ids of {k.share:.0%} of the respondents in '{short(k.respondent, 40)}' (spaces and letter case "
        "ignored): each response gets this table's role and segments")
    used = {g.column for g in t.columns.values()}
    if k.role is not None and "role" not in t.columns:
        t.columns["role"] = Guess("role", k.role.name, "high" if "role" in k.role.norm else "medium",
                                  f"its name says role/title; {k.role.describe()}")
    used |= {g.column for g in t.columns.values()}
    segments_of(t, used)
    if "role" in resp.columns:
        t.checks.append(f"{t.title}: the responses have their own role ('{resp.columns['role'].column}'); the "
                        "contacts' roles are the population it is compared with, not joined")


def propose_side_tables(resp: TableGuess, chosen: dict[str, TableGuess],
                        tables: list[TableGuess]) -> dict[str, str]:
    """Find the tables keyed by respondent among the contacts and the exports not chosen; propose the one
    with a role as contacts (its role and segments given to the responses), and say how to merge the others.

    ``chosen`` is updated in place. Returns, for each export not chosen that this looked at, why it is not
    used (export title to reason).
    """
    pool = [t for t in tables if all(t is not c for c in chosen.values())]
    was = chosen.get("contacts")
    keyed = [k for k in (respondent_keyed(resp, t) for t in ([was] if was else []) + pool) if k is not None]
    with_role = sorted((k for k in keyed if k.role is not None), key=lambda k: -k.share)
    if not with_role:
        return {k.table.title: _not_joined(k, "the contacts table that npsdiag joins needs a role column, and this "
                                              "one has none") for k in keyed if k.table is not was}
    best = with_role[0]
    out = {}
    if was is not None and was is not best.table:
        out[was.title] = "looks like contacts too, but another export, keyed by respondent, was chosen"
    chosen["contacts"] = best.table
    if "respondent_id" not in resp.columns:
        resp.columns["respondent_id"] = Guess("respondent_id", best.respondent, "medium",
                                              f"its values are the ids of {best.table.title}")
    _configure_contacts(best, resp, configured=best.table is was)
    for k in keyed:
        if k is not best and k.table is not was:
            out[k.table.title] = _not_joined(k, f"npsdiag joins one table of respondent attributes (contacts: "
                                                f"{best.table.title}); merge this one into it", best)
    return out


def _not_joined(k: KeyedTable, why: str, into: KeyedTable | None = None) -> str:
    """Why a respondent-keyed table cannot be joined as it is, with how to merge it where possible."""
    t = k.table
    attrs = [p.name for p in t.profiles if p.name != k.key and p.filled][:6]
    text = (f"keyed by respondent ('{short(k.key, 30)}' holds {k.share:.0%} of the responses' "
            f"'{short(k.respondent, 30)}' ids; {', '.join(short(a, 24) for a in attrs)}), but {why}")
    if into is not None:
        into.table.checks.append(f"{t.title} is keyed by respondent too: to use its columns, merge it into "
                                 f"{into.table.title} with the Python lines written under contacts")
        into.table.advice += [f"to give the responses the columns of {t.title} too ({fmt_n(len(t.raw.frame))} rows "
                              f"keyed by '{k.key}'), merge it into this table, list its columns under segments, "
                              "and point path at the new file:", *_merge_advice(into, k)]
    return text
