"""What reading gives: a file's table as read (:class:`RawTable`), a client's typed tables (:class:`ClientData`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..config import Config, Settings
from ..errors import Problem

__all__ = ["ROW", "TEXT_FIELDS", "DATE_FIELDS", "RawTable", "ClientData"]

ROW = "_row"  #: column holding the row number in the source file (1 = first line)
TEXT_FIELDS = ("response_id", "respondent_id", "account_id", "role", "comment", "owner", "status", "name")
DATE_FIELDS = ("responded_at", "invited_at", "followed_up_at", "outcome_at", "start_at")


@dataclass
class RawTable:
    """A table as read from its file: strings, its header rows, its detected format."""

    frame: pd.DataFrame
    file: Path
    format: str
    header_lines: int = 1  #: lines before the first record
    notes: list[str] = field(default_factory=list)
    delimiter: str | None = None
    encoding: str | None = None
    decimal: str | None = None
    #: question text per column where the export carries it (Qualtrics' second header row)
    labels: dict[str, str] = field(default_factory=dict)
    sheet: str | int | None = None
    #: every column name of the file, when ``frame`` holds only the columns asked for (see :func:`read_raw`)
    columns: list[str] | None = None
    #: how each distinct churn status was read (``status``, ``reading``, ``n``), when ``churn_values`` are given
    statuses: pd.DataFrame | None = None


@dataclass
class ClientData:
    """A client's export, loaded and typed.

    Attributes
    ----------
    config : Config
    responses : DataFrame
        Canonical response fields that the config maps (``score`` float,
        dates as datetime64, ids and text as strings), the segment and
        driver columns under their export names, ``score_text`` (the score as
        written, where it was not a number) and ``_row`` (row number in the
        file). All rows as read: exclusions are made by
        :func:`npsdiag.clean.prepare`.
    accounts, invitations, contacts : DataFrame or None
    problems : list of Problem
        Non-fatal problems found while reading (shown in the report).
    sources : dict
        Per table: file, format, rows read.
    """

    config: Config
    responses: pd.DataFrame
    accounts: pd.DataFrame | None = None
    invitations: pd.DataFrame | None = None
    contacts: pd.DataFrame | None = None
    problems: list[Problem] = field(default_factory=list)
    sources: dict[str, dict] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        """The config's analysis settings."""
        return self.config.settings

    @property
    def segments(self) -> list[str]:
        """Segment columns available on responses (response and account segments)."""
        cols = set(self.responses.columns)
        own = self.config.responses.segments
        accounts = self.config.tables["accounts"].segments if "accounts" in self.config.tables else []
        return [c for c in own if c in cols] + [c for c in accounts if c in cols and c not in own]

    @property
    def drivers(self) -> list[str]:
        """Driver columns available on responses."""
        cols = set(self.responses.columns)
        return [c for c in self.config.responses.drivers if c in cols]
