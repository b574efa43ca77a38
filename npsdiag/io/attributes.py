"""Side tables keyed by respondent: their attributes joined to the responses, and how each side table is used.

A table of people keyed by respondent (the contacts table: a CRM contact list, a roles file, a plan file keyed
by user id) gives each response its respondent's ``role`` and the table's listed ``segments`` when the
responses lack them. Ids are matched with surrounding spaces and letter case ignored (``" U0042"`` is
``"u0042"``), as an e-mail address or a user id is one person whatever its spelling in each system.
:func:`join_respondent_attributes` is the building block (DataFrames and column names in);
:func:`join_contacts` applies it to a client's tables; :func:`table_uses` says, for ``npsdiag validate``,
what each side table is used for and, when it is not used, why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import Config
from ..errors import Problem
from .strings import arrow_strings, lower

__all__ = ["Joined", "respondent_keys", "join_respondent_attributes", "join_contacts", "table_uses"]


@dataclass
class Joined:
    """Attributes of a side table joined to the responses.

    Attributes
    ----------
    responses : DataFrame
        The responses with the joined columns (unchanged when nothing was joined).
    columns : list of str
        The columns joined (``role`` and segment names), in the table's order.
    matched, with_id : int
        Responses whose respondent id is in the table; responses with an id at all.
    conflicts : int
        Ids listed more than once in the table with different values (the last row of each is used).
    reason : str
        Why nothing was joined (empty when something was).
    """

    responses: pd.DataFrame
    columns: list[str] = field(default_factory=list)
    matched: int = 0
    with_id: int = 0
    conflicts: int = 0
    reason: str = ""


def respondent_keys(values: pd.Series) -> pa.ChunkedArray:
    """Ids as matched across tables: surrounding spaces trimmed, lower case, empty as missing.

    Examples
    --------
    >>> respondent_keys(pd.Series([" U0042", "ann@X.com", "", None])).to_pylist()
    ['u0042', 'ann@x.com', None, None]
    """
    keys = lower(pc.utf8_trim_whitespace(arrow_strings(values)))
    return pc.if_else(pc.equal(keys, ""), pa.scalar(None, keys.type), keys)


def join_respondent_attributes(responses: pd.DataFrame, table: pd.DataFrame, columns: list[str],
                               respondent: str = "respondent_id") -> Joined:
    """Give each response the attributes its respondent has in a side table keyed by respondent.

    A left join on the respondent id (trimmed, case ignored): a response whose id is not in the table gets
    missing values. Only the ``columns`` the responses do not have (or have empty throughout) are joined: a
    response's own answer is never overwritten. An id listed several times takes its last row, and ids
    whose rows disagree are counted in ``conflicts``.

    Parameters
    ----------
    responses, table : DataFrame
        Both with the ``respondent`` column.
    columns : list of str
        The table's attribute columns to give the responses (e.g. ``["role", "Plan"]``).
    respondent : str
        The id column's name in both frames.

    Returns
    -------
    Joined

    Examples
    --------
    >>> r = pd.DataFrame({"respondent_id": ["U1", "u2 ", "U3"], "score": [9, 3, 7]})
    >>> roles = pd.DataFrame({"respondent_id": ["u1", "U2"], "role": ["Admin", "Viewer"]})
    >>> j = join_respondent_attributes(r, roles, ["role"])
    >>> j.responses["role"].tolist(), j.matched, j.with_id
    (['Admin', 'Viewer', nan], 2, 3)
    """
    if respondent not in responses or respondent not in table:
        side = "the responses" if respondent not in responses else "the table"
        return Joined(responses, reason=f"{side} have no respondent id to join on")
    wanted = [c for c in columns if c in table and c != respondent
              and (c not in responses or responses[c].isna().all())]
    if not wanted:
        return Joined(responses, reason="the responses already have every attribute the table gives")
    keys = respondent_keys(table[respondent])
    attrs = table[wanted].reset_index(drop=True).assign(_key=keys.to_pandas())
    attrs = attrs[attrs["_key"].notna()]
    conflicts = 0
    if attrs["_key"].duplicated().any():
        dup = attrs[attrs["_key"].duplicated(keep=False)]
        conflicts = int(dup.groupby("_key")[wanted].nunique(dropna=True).gt(1).any(axis=1).sum())
        attrs = attrs.drop_duplicates("_key", keep="last")
    rkeys = respondent_keys(responses[respondent])
    at = pc.fill_null(pc.index_in(rkeys, value_set=pa.array(attrs["_key"].tolist(), pa.large_string())), -1)
    at = at.to_numpy(zero_copy_only=False).astype(np.intp, copy=False)
    with_id = int(len(rkeys) - rkeys.null_count)
    matched = int((at >= 0).sum())
    if matched == 0:
        return Joined(responses, with_id=with_id, conflicts=conflicts,
                      reason=f"none of the {with_id:,} responses' respondent ids is in the table")
    out = responses.copy(deep=False)
    for c in wanted:
        out[c] = attrs[c].array.take(at, allow_fill=True)
    return Joined(out, columns=wanted, matched=matched, with_id=with_id, conflicts=conflicts)


def join_contacts(cfg: Config, responses: pd.DataFrame, contacts: pd.DataFrame | None,
                  sources: dict[str, dict]) -> tuple[Joined, Config, list[Problem]]:
    """The contacts table's role and ``segments`` joined to a client's responses by respondent id.

    Returns the :class:`Joined`; the config, where joined segments are the responses' segments too (a copy:
    the one given is not changed); and the problems (warnings) that say what was joined, how many responses
    found their respondent, and which ids disagree. ``sources["contacts"]["joined"]`` lists the columns joined.
    """
    if contacts is None or "contacts" not in cfg.tables:
        return Joined(responses, reason="no contacts table"), cfg, []
    segments = cfg.tables["contacts"].segments
    joined = join_respondent_attributes(responses, contacts, ["role", *segments])
    file = str(sources.get("contacts", {}).get("file", cfg.tables["contacts"].path))
    sources.setdefault("contacts", {})["joined"] = list(joined.columns)
    new_segments = [c for c in joined.columns if c != "role" and c not in cfg.responses.segments]
    if new_segments:
        responses_spec = replace(cfg.responses, segments=[*cfg.responses.segments, *new_segments])
        cfg = replace(cfg, tables={**cfg.tables, "responses": responses_spec})
    problems = []
    if joined.columns:
        share = joined.matched / joined.with_id if joined.with_id else 0.0
        names = ", ".join("role" if c == "role" else f"'{c}'" for c in joined.columns)
        problems.append(Problem(
            f"{names} given to the responses from the contacts table by respondent id (spaces and letter case "
            f"ignored): {joined.matched:,} of {joined.with_id:,} responses with an id found their respondent "
            f"({share:.0%})", fatal=False, file=file, where="contacts",
            hint="" if share >= 0.5 else "check that both tables' respondent_id columns hold the same ids"))
    if joined.conflicts:
        problems.append(Problem(f"{joined.conflicts:,} respondent(s) are listed more than once in the contacts "
                                "table with different values; the last row of each is used", fatal=False,
                                file=file, where="contacts", hint="one row per person is expected"))
    return joined, cfg, problems


def table_uses(responses: pd.DataFrame, tables: dict[str, pd.DataFrame | None],
               joined: list[str] | None = None) -> dict[str, str]:
    """What each side table is used for, or why it is not used, in one sentence per table.

    Parameters
    ----------
    responses : DataFrame
        The responses as loaded (canonical columns).
    tables : dict
        ``accounts``, ``invitations``, ``contacts`` (None when not configured).
    joined : list of str, optional
        The columns the contacts gave the responses (:func:`join_contacts`).

    Returns
    -------
    dict
        Table name to a sentence starting with "used" or "not used".
    """
    out = {}
    for name, t in tables.items():
        if t is None:
            continue
        links = _links(name, responses, t, joined or [])
        out[name] = ("used: " + "; ".join(links)) if links else ("not used: " + _why_unused(name, responses, t))
    return out


def _overlap(a: pd.Series, b: pd.Series) -> int:
    """How many values of ``a`` (ids, trimmed, case ignored) are in ``b``."""
    hit = pc.is_in(respondent_keys(a), value_set=pc.unique(respondent_keys(b)))
    return int(pc.sum(pc.fill_null(hit, False)).as_py() or 0)


def _links(name: str, responses: pd.DataFrame, t: pd.DataFrame, joined: list[str]) -> list[str]:
    """How a side table reaches the responses (empty when it does not)."""
    links = []
    if joined and name == "contacts":
        links.append(f"gives the responses {', '.join(joined)} by respondent id")
    for key in ("account_id", "respondent_id", "response_id"):
        if key in responses and key in t and not (key == "respondent_id" and joined and name == "contacts"):
            n = _overlap(responses[key], t[key])
            if n:
                links.append(f"holds the {key.replace('_', ' ')} of {n:,} responses")
    if name == "contacts" and "role" in t and "role" in responses and responses["role"].notna().any():
        links.append("its role mix is compared with the respondents'")
    if name == "invitations" and not links and "invited_at" in t:
        links.append("counted as invitations sent (no id links them to the responses)")
    return links


def _why_unused(name: str, responses: pd.DataFrame, t: pd.DataFrame) -> str:
    """Why a side table reaches no response."""
    keys = [k for k in ("account_id", "respondent_id", "response_id") if k in t]
    if not keys:
        return "it maps no id (account_id or respondent_id) to link it to the responses"
    shared = [k for k in keys if k in responses]
    if not shared:
        return (f"the responses map no {' or '.join(k.replace('_', ' ') for k in keys)} to link it by"
                + ("; map `respondent_id` on the responses to give them its roles" if name == "contacts" else ""))
    k = shared[0]
    ex_r = responses[k].dropna().astype(str).head(1).tolist()
    ex_t = t[k].dropna().astype(str).head(1).tolist()
    return (f"none of the responses' {k.replace('_', ' ')}s is in it (e.g. '{ex_r[0] if ex_r else ''}' in the "
            f"responses, '{ex_t[0] if ex_t else ''}' in the table)")
