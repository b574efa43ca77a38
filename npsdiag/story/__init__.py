"""The storyline of the deliverable: from findings to the few messages a client's CEO reads.

:func:`tell` turns a diagnosis into a :class:`Story`: which NPS to believe
(the usual one, each account once, the decision makers'; with their
design-based intervals and the one to track), the value at stake in the
client's currency, the 3-5 messages (findings grouped by root cause, ranked
by money at stake, then severity), the action plan behind them (owner role,
KPI with baseline, target and date, 30/60/90 days), what could not be
assessed and the file to ask for, and, given a previous findings.json, what
changed since. The report, the brief, the data pack and findings.json all
read the same story, so their numbers agree.

Modules
-------
causes
    The root causes findings share (:data:`CAUSES`).
value
    Value at stake (ARR of the accounts a cause touches), :func:`money`, the renewal-risk list.
which
    Which NPS to believe, and the name of the index on non-NPS scales.
messages
    Messages, KPIs, recommendations, and what could not be assessed.
owners
    Owner names replaced by "Owner A-L" in the client's deliverable.
compare
    This diagnosis against a previous findings.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..clean import Prepared
from ..findings import Diagnosis
from .causes import CAUSES, Cause, cause_of
from .compare import Comparison, compare, load_previous
from .messages import MAX_MESSAGES, Kpi, Message, message_dicts, messages, unassessed
from .owners import anonymise, owner_aliases
from .value import RENEWAL_WINDOW_DAYS, money, renewal_risk
from .which import MEASURES, measure_name, recommended_kpi, which_nps

__all__ = ["Story", "tell", "CAUSES", "Cause", "cause_of", "Kpi", "Message", "messages", "message_dicts",
           "unassessed", "which_nps", "recommended_kpi", "measure_name", "MEASURES", "money", "renewal_risk",
           "owner_aliases", "anonymise", "compare", "load_previous", "Comparison", "MAX_MESSAGES",
           "RENEWAL_WINDOW_DAYS"]


@dataclass
class Story:
    """What the deliverable says, computed once from the diagnosis and the prepared data.

    Attributes
    ----------
    index_name, index_note : str
        The headline index's name ("Net Promoter Score", or a top-box index on other scales) and what it is.
    which : DataFrame
        :func:`which_nps`.
    kpi, kpi_why : str
        The NPS to track and why (:func:`recommended_kpi`).
    messages : list of Message
        Most important first; the first :data:`MAX_MESSAGES` are the summary's.
    value_at_stake : float or None
        ARR of active accounts at high renewal risk (an unhappy customer not called back, or the latest score a
        detractor's), each account once; None without revenue.
    value_accounts : int
        How many accounts that is.
    value_renewing : float or None
        The part renewing within two quarters of the as-of date.
    currency : str or None
    risk : DataFrame
        :func:`renewal_risk`, one row per active account.
    unassessed : list of dict
        :func:`unassessed`.
    aliases : dict
        Owner name -> "Owner A"... (empty when owners are named or absent).
    comparison : Comparison or None
        Against the previous diagnosis, when one was given.
    """

    index_name: str
    index_note: str
    which: pd.DataFrame
    kpi: str
    kpi_why: str
    messages: list[Message]
    value_at_stake: float | None
    value_accounts: int
    value_renewing: float | None
    currency: str | None
    risk: pd.DataFrame = field(repr=False)
    unassessed: list[dict[str, Any]] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict, repr=False)
    comparison: Comparison | None = None
    #: the day the figures are as at (ISO date): "active", "open" and "renewing" are counted to it
    as_of: str | None = None

    @property
    def top(self) -> list[Message]:
        """The messages of the summary and the brief (at most :data:`MAX_MESSAGES`)."""
        return self.messages[:MAX_MESSAGES]

    @property
    def summary(self) -> pd.DataFrame:
        """The messages as a table: title, priority, value at stake, owner, horizon."""
        return pd.DataFrame([{"message": m.title, "priority": m.priority, "value_at_stake": m.value,
                              "owner": m.owner, "days": m.horizon} for m in self.messages])

    def money(self, value: float | None) -> str:
        """An amount in the client's currency ('USD 7.2M')."""
        return money(value, self.currency)

    def to_dict(self) -> dict[str, Any]:
        """What findings.json adds from the story (see the README's findings.json section)."""
        by_finding = {f.id: m for m in self.messages for f in m.findings}
        return {
            "index": {"name": self.index_name, "note": self.index_note},
            "which_nps": self.which.to_dict("records"),
            "recommended_kpi": {"measure": self.kpi, "why": self.kpi_why},
            "currency": self.currency,
            "value_at_stake": self.value_at_stake,
            "value_at_stake_accounts": self.value_accounts,
            "value_at_stake_renewing": self.value_renewing,
            "messages": message_dicts(self.messages, self.currency),
            "unassessed": self.unassessed,
            "comparison": self.comparison.to_dict() if self.comparison is not None else None,
            "finding_causes": {fid: {"cause": m.cause.key, "value_at_stake": m.value}
                               for fid, m in by_finding.items()},
        }


def _at_stake(risk: pd.DataFrame, prep: Prepared) -> tuple[float | None, int, float | None]:
    if risk.empty or "arr" not in risk or not risk["arr"].notna().any():
        return None, int((risk["risk"] == "high").sum()) if "risk" in risk else 0, None
    high = risk[risk["risk"] == "high"]
    renewing = high["renewal_date"].notna() & (
        high["renewal_date"] <= (prep.as_of + pd.Timedelta(days=RENEWAL_WINDOW_DAYS))) if prep.as_of is not None \
        else high["renewal_date"].notna()
    return float(high["arr"].sum()), int(len(high)), float(high.loc[renewing, "arr"].sum())


def tell(diag: Diagnosis, prep: Prepared, previous: str | Path | dict | None = None) -> Story:
    """The story of a diagnosis: which NPS, value at stake, messages, action plan, gaps, changes since.

    Parameters
    ----------
    diag : Diagnosis
        From :func:`npsdiag.diagnosis.assemble` (owners as the data names them).
    prep : Prepared
    previous : path, dict or None
        A previous run's findings.json (or its folder, or the parsed dict): adds :attr:`Story.comparison`.

    Returns
    -------
    Story
    """
    which = which_nps(prep)
    kpi, why = recommended_kpi(which)
    name, note = measure_name(prep)
    risk = renewal_risk(prep, diag)
    value, accounts, renewing = _at_stake(risk, prep)
    story = Story(index_name=name, index_note=note, which=which, kpi=kpi, kpi_why=why,
                  messages=messages(diag, prep), value_at_stake=value, value_accounts=accounts,
                  value_renewing=renewing, currency=prep.settings.currency, risk=risk,
                  unassessed=unassessed(diag), aliases=owner_aliases(prep),
                  as_of=prep.as_of.date().isoformat() if prep.as_of is not None else None)
    if previous:
        old = previous if isinstance(previous, dict) else load_previous(previous)
        story.comparison = compare(old, {**diag.to_dict(), **story.to_dict()})
    return story
