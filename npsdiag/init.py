"""Propose a client config from raw exports: ``npsdiag init EXPORT [EXPORT...]``.

Each export is read as :func:`npsdiag.io.load` would read it (format,
encoding, delimiter, survey-tool header rows). Every column is profiled
(:func:`profile_columns`: how full, how many distinct values, numbers and
their range, dates, answer labels, text length, e-mail addresses) and the
profiles are matched against what each canonical field looks like, by its
values and by its name. With several exports, each is classified as
responses, accounts, invitations or contacts (:func:`classify`).

:func:`propose` returns the proposal; :func:`render_yaml` writes it as a
config whose comments give, for every guess, why it was made and how sure
it is (high / medium / low), and :func:`init` (the command) writes it
without overwriting an existing file unless forced, checks that it loads,
and prints what the consultant should check.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"LTR": ["10", "3", "9", "7"], "Date": ["2024-01-02"] * 4})
>>> [p.name for p in profile_columns(frame) if p.kind == "date"]
['Date']
"""

from __future__ import annotations

import datetime as _dt
import difflib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from .config import TableSpec, slugify
from .errors import NpsdiagError, Problem
from .io import ROW, RawTable, detect_dayfirst, parse_bool, parse_dates, parse_numbers, parse_scores, read_raw

__all__ = ["ColumnProfile", "Guess", "TableGuess", "Proposal", "profile_columns", "guess_table", "classify",
           "propose", "render_yaml", "init", "LIKERT_SCALES"]

SAMPLE_ROWS = 20_000  #: rows profiled per table (a seeded random sample of larger tables)
MAX_SEGMENTS = 6  #: segments proposed; further candidates are listed as a comment
MAX_SHEETS = 10

#: Answer labels of common 5-point scales and the number each is read as.
LIKERT_SCALES: dict[str, dict[str, int]] = {
    "satisfaction": {"extremely dissatisfied": 1, "very dissatisfied": 1, "somewhat dissatisfied": 2,
                     "dissatisfied": 2, "neither satisfied nor dissatisfied": 3, "neutral": 3,
                     "somewhat satisfied": 4, "satisfied": 4, "very satisfied": 5, "extremely satisfied": 5},
    "agreement": {"strongly disagree": 1, "disagree": 2, "somewhat disagree": 2, "neither agree nor disagree": 3,
                  "neutral": 3, "somewhat agree": 4, "agree": 4, "strongly agree": 5},
    "likelihood": {"extremely unlikely": 1, "very unlikely": 1, "somewhat unlikely": 2, "unlikely": 2,
                   "neither likely nor unlikely": 3, "neutral": 3, "somewhat likely": 4, "likely": 4,
                   "very likely": 5, "extremely likely": 5},
}

# (pattern on the normalised name and question text, points, reason)
_SCORE_NAMES = [
    (r"likel\w* to recommend|likely\b.*\brecommend|would you recommend|\brecommend", 3.0,
     "its name asks about recommending"),
    (r"\bnps\b|net promoter", 3.0, "its name says NPS"),
    (r"\bltr\b", 3.0, "LTR = likelihood to recommend"),
    (r"scale of 0 (to )?10|\b0 (to )?10\b", 1.5, "its name mentions a 0-10 scale"),
    (r"satisf|\bcsat\b", 1.0, "a satisfaction rating"),
    (r"\bscore\b|\brating\b|\brate\b", 0.75, "its name says score/rating"),
    (r"^q ?1$", 0.5, "the first question (Q1)"),
]
_NOT_A_RATING = re.compile(
    r"\b(id|ids|number|num|no|count|age|tenure|years?|months?|days?|products?|zip|postal|lat|latitude|long|"
    r"longitude|progress|duration|seconds|minutes|balance|salary|income|points?|credit|churn|dependents|referrals?|"
    r"quarter|population|revenue|arr|mrr|charges?|total|price|amount|cltv|ltv|index|row|gb|download|"
    r"distance|refunds?|bidnum|version)\b")
_ID = re.compile(r"\b(id|ids|identifier|key|ref|reference|uuid|guid|code|number|no)\b|id$")
_RESPONSE_ID = re.compile(r"\b(response|responseid|record|submission|survey response|answer)\b.*\b(id|key|number)\b"
                          r"|^response id$|^record id$|^id$")
_RESPONDENT_ID = re.compile(r"\b(respondent|contact|person|user|participant|member|panelist|customer|client)\b.*"
                            r"\b(id|key|number|no|code)\b")
_ACCOUNT_ID = re.compile(r"\b(account|acct|company|organisation|organization|org|client|customer|tenant|"
                         r"subscriber)\b.*\b(id|key|number|no|code|ref)\b|^(account|acct|company|customer|client)$")
_EMAIL_NAME = re.compile(r"e ?mail")
_ROLE = re.compile(r"\b(role|persona|job|title|position|function|seniority|level|job role|job title)\b")
_OWNER = re.compile(r"\b(owner|csm|rep|agent|account manager|manager|advisor|adviser|handled by|assigned( to)?|"
                    r"consultant|success manager|am|kam)\b")
_COMMENT = re.compile(r"\b(comments?|why|reason|verbatims?|feedback|text|explain|tell us|open ended|remarks?|"
                      r"suggestions?|anything else|improve)\b")
_RESPONDED = re.compile(r"\b(recorded|response|responded|submitted|submission|completed|completion|end|ended|"
                        r"timestamp|answered|survey|created|finished|date)\b")
_INVITED = re.compile(r"\b(invit\w*|sent|send|distribut\w*|delivered|mailed)\b")
_FOLLOWED = re.compile(r"\b(follow|followed|follow up|callback|call back|closed|resolved|contacted|case|"
                       r"close the loop|closed loop|actioned)\b")
_OUTCOME_AT = re.compile(r"\b(renewal|renew\w*|churn\w*|cancel\w*|end|contract end|termination|terminated|"
                         r"close|closed|outcome|expiry|expires)\b")
_START_AT = re.compile(r"\b(customer since|since|start\w*|signup|sign up|joined|onboard\w*|created|acquired|"
                       r"first purchase|activation)\b")
_CHURN = re.compile(r"\b(churn\w*|exited|attrition|cancel\w*|lost|left|terminated|defected|retained|"
                    r"retention|renewed|status)\b")
_CHURN_VALUES = re.compile(r"^(churn\w*|lost|cancel\w*|terminated|left|exited|closed lost|inactive|defected|"
                           r"non renew\w*|not renewed|lapsed)$")
_REVENUE = re.compile(r"\b(arr|mrr|acv|revenue|annual recurring|contract value|annual value|cltv|clv|ltv|"
                      r"lifetime value|monthly charge|subscription value|spend|billing)\b")
_ACCOUNT_NAME = re.compile(r"\b(account name|company name|customer name|organisation|organization|company|"
                           r"business name)\b")
_PERSONAL = re.compile(r"\b(name|surname|first name|last name|forename|ip|ip address|address|phone|mobile|email|"
                       r"e mail|lat|latitude|long|longitude|lat long|zip|postal|postcode|birth|dob|ssn|"
                       r"passport|iban)\b")
_SEGMENT_HINT = re.compile(r"\b(region|country|geography|geo|market|plan|tier|product|segment|industry|vertical|"
                           r"channel|touchpoint|journey|stage|type|store|branch|site|location|airline|group|brand|"
                           r"department|team|category|collector|contract|offer|card|size|language|source|"
                           r"sub type|subtype|line of business|lob|qtr|wave)\b")
_NPS_CATEGORY_VALUES = {"promoter", "passive", "detractor", "promoters", "passives", "detractors", "neutral"}
_QUALTRICS_META = {"status", "ip address", "ipaddress", "progress", "duration in seconds", "finished",
                   "recipient last name", "recipient first name", "recipient email", "external reference",
                   "external data reference", "location latitude", "location longitude", "distribution channel",
                   "user language", "solution revision", "q total duration", "q url", "q recaptcha score",
                   "q relevant id duplicate", "q relevant id duplicate score", "q relevant id fraud score"}
_SURVEYMONKEY_META = {"collector id", "ip address", "email address", "first name", "last name", "custom data 1",
                      "start date"}
_DATE_SHAPE = re.compile(r"^\s*(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,}|"
                         r"[A-Za-z]{3,}\.?\s+\d{1,2}|\d{8}T|\d{4}-\d{2}-\d{2})")
_AMOUNT = r"[-+]?[$€£¥]?\s?\d[\d.,' ]*\s?[$€£¥%]?"
_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"


def _norm(name: str) -> str:
    """A column name in plain lower-case words: 'NPS_SCORE' -> 'nps score', 'CustomerId' -> 'customer id'."""
    s = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", s)
    return re.sub(r"[\W_]+", " ", s).strip().lower()


def _fmt_n(n: float) -> str:
    return f"{int(n):,}"


def _short(v: object, n: int = 30) -> str:
    s = re.sub(r"\s+", " ", str(v)).strip()
    return s if len(s) <= n else s[: n - 1] + "…"


@dataclass
class ColumnProfile:
    """What one column of an export looks like.

    ``kind`` summarises it: ``number`` (mostly numbers), ``date``, ``labels``
    (answers of a known 5-point scale), ``bool``, ``email``, ``text`` (free
    text, long), ``category`` (short text with few distinct values), ``id``
    (nearly unique short text) or ``empty``.
    """

    name: str
    position: int
    label: str = ""  #: question text, where the export carries it
    rows: int = 0
    filled: int = 0
    distinct: int = 0  #: distinct values (in the profiled sample)
    sample_filled: int = 0  #: filled values in the profiled sample
    numeric_share: float = 0.0  #: share of filled values read as numbers (labels such as '10 - Likely' count)
    plain_numeric_share: float = 0.0  #: share of filled values that are plain numbers
    integer: bool = False  #: (nearly) all numbers are whole
    min: float | None = None
    max: float | None = None
    rating_share: float = 0.0  #: share of the numbers that lie in 0-10
    rating_min: float | None = None  #: smallest and largest number within 0-10
    rating_max: float | None = None
    date_share: float = 0.0
    dayfirst: bool | None = None
    dayfirst_reason: str = ""
    bool_share: float = 0.0
    email_share: float = 0.0
    mean_len: float = 0.0
    max_len: int = 0
    top: list[str] = field(default_factory=list)
    likert: str | None = None  #: name of the :data:`LIKERT_SCALES` entry the answers come from
    likert_map: dict[str, int] = field(default_factory=dict)  #: label as written -> number
    likert_near: dict[str, str] = field(default_factory=dict)  #: label as written -> known label it is read as
    nps_categories: bool = False  #: values are promoter / passive / detractor
    kind: str = "empty"

    @property
    def text(self) -> str:
        """Normalised name and question text, for name matching."""
        return _norm(self.name) + (" | " + _norm(self.label) if self.label else "")

    @property
    def norm(self) -> str:
        return _norm(self.name)

    @property
    def fill_share(self) -> float:
        return self.filled / self.rows if self.rows else 0.0

    @property
    def unique_share(self) -> float:
        return self.distinct / self.sample_filled if self.sample_filled else 0.0

    def describe(self) -> str:
        """A few words on the values, for the YAML comments."""
        fill = f"{_fmt_n(self.filled)} of {_fmt_n(self.rows)} rows filled"
        if (self.kind in ("category", "bool", "labels") or self.distinct <= 12) and self.top:
            return f"{self.distinct} values, e.g. {', '.join(_short(t, 20) for t in self.top[:3])}; {fill}"
        if self.kind == "number" and self.min is not None:
            return f"values {self.min:g}-{self.max:g}, {fill}"
        if self.kind == "text":
            return f"free text, {self.mean_len:.0f} characters on average; {fill}"
        return fill


@dataclass
class Guess:
    """One guessed mapping: a field (or segment/driver) and the export's column, with why and how sure."""

    field: str
    column: str
    confidence: str  #: high / medium / low
    reason: str


@dataclass
class TableGuess:
    """What one export (or Excel sheet) looks like and how it would be configured."""

    path: Path
    raw: RawTable
    profiles: list[ColumnProfile]
    sheet: str | None = None
    kind_points: dict[str, float] = field(default_factory=dict)
    kind: str = "unknown"
    columns: dict[str, Guess] = field(default_factory=dict)
    segments: list[Guess] = field(default_factory=list)
    more_segments: list[str] = field(default_factory=list)
    drivers: list[Guess] = field(default_factory=list)
    churn_values: list[str] | None = None
    score_labels: dict[str, int] | None = None
    score_label_notes: dict[str, str] = field(default_factory=dict)
    scale: tuple[int, int] = (0, 10)
    scale_reason: str = ""
    dayfirst: bool | None = None
    dayfirst_reason: str = ""
    not_used: list[tuple[str, str]] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    score_alternatives: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.path.name + (f" [sheet {self.sheet}]" if self.sheet is not None else "")

    def profile(self, column: str) -> ColumnProfile | None:
        return next((p for p in self.profiles if p.name == column), None)


@dataclass
class Proposal:
    """A proposed config: the tables chosen and what to check."""

    client: str
    tables: dict[str, TableGuess]
    flat_accounts: bool = False
    unused: list[tuple[str, str]] = field(default_factory=list)  #: (export, why it is not used)
    checks: list[str] = field(default_factory=list)
    settings: dict[str, object] = field(default_factory=dict)
    settings_reason: str = ""
    survey_date: str | None = None
    complete: bool = True  #: False when a required field could not be guessed


# --------------------------------------------------------------------------- profiling


def _likert(values: pd.Series) -> tuple[str | None, dict[str, int], dict[str, str]]:
    """Recognise answers of a known 5-point scale, tolerating near-miss spellings ('Disgree')."""
    text = values.astype("string").str.replace(r"\s+", " ", regex=True).str.strip()
    counts = text.value_counts()
    if counts.empty or len(counts) > 12:
        return None, {}, {}
    best = (None, 0.0)
    for kind, table in LIKERT_SCALES.items():
        share = float(counts[[k.lower() in table for k in counts.index]].sum() / counts.sum())
        if share > best[1]:
            best = (kind, share)
    kind, share = best
    if kind is None or share < 0.3:
        return None, {}, {}
    table = LIKERT_SCALES[kind]
    mapping, near = {}, {}
    for k in counts.index:
        low = k.lower()
        if low in table:
            mapping[k] = table[low]
            continue
        m = difflib.get_close_matches(low, list(table), n=1, cutoff=0.8)
        if m:
            mapping[k] = table[m[0]]
            near[k] = m[0]
    recognised = float(counts[list(mapping)].sum() / counts.sum())
    if len(mapping) < 2 or recognised < 0.8:
        return None, {}, {}
    return kind, mapping, near


def profile_columns(frame: pd.DataFrame, labels: dict[str, str] | None = None) -> list[ColumnProfile]:
    """Profile every column of a raw export (strings as read).

    Parameters
    ----------
    frame : DataFrame
        A table as read by :func:`npsdiag.io.read_raw` (``_row`` is skipped).
    labels : dict, optional
        Question text per column (Qualtrics' second header row).

    Returns
    -------
    list of ColumnProfile
        In column order.
    """
    labels = labels or {}
    total = len(frame)
    if total > SAMPLE_ROWS:
        frame = frame.sample(SAMPLE_ROWS, random_state=0).sort_index()
    scale_up = total / len(frame) if len(frame) else 1.0
    out = []
    for i, col in enumerate(c for c in frame.columns if c != ROW):
        v = frame[col]
        p = ColumnProfile(name=str(col), position=i, label=labels.get(col, ""), rows=len(v))
        is_dt = pd.api.types.is_datetime64_any_dtype(v)
        text = v.astype("string").str.strip()
        filled_mask = text.notna() & (text != "")
        p.filled = p.sample_filled = int(filled_mask.sum())
        if scale_up != 1.0:  # counts of the sample, shown for the whole table
            p.rows, p.filled = total, int(round(p.filled * scale_up))
        if p.filled == 0:
            out.append(p)
            continue
        vals = v[filled_mask]
        tv = text[filled_mask]
        p.distinct = int(tv.nunique())
        p.top = [str(t) for t in tv.value_counts().index[:5]]
        sample = vals if len(vals) <= 3000 else vals.sample(3000, random_state=0)
        tsample = tv.loc[sample.index]
        if is_dt:
            p.date_share, p.kind = 1.0, "date"
            out.append(p)
            continue
        nums, _ = parse_scores(sample)
        p.numeric_share = float(nums.notna().mean())
        p.plain_numeric_share = float(tsample.str.fullmatch(r"[-+]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?").mean())
        if p.numeric_share > 0:
            good = nums.dropna()
            p.min, p.max = float(good.min()), float(good.max())
            p.integer = bool(np.isclose(good, np.round(good)).mean() >= 0.98)
            inside = good[(good >= 0) & (good <= 10)]
            p.rating_share = len(inside) / len(good)
            if len(inside):
                p.rating_min, p.rating_max = float(inside.min()), float(inside.max())
        lengths = tsample.str.len()
        p.mean_len, p.max_len = float(lengths.mean()), int(lengths.max())
        p.email_share = float(tsample.str.fullmatch(_EMAIL).mean())
        low = set(tsample.str.lower().unique())
        p.nps_categories = bool(low) and low <= _NPS_CATEGORY_VALUES and len(low) >= 2
        flags, unreadable = parse_bool(tsample)
        p.bool_share = float(1 - unreadable.mean()) if p.distinct <= 2 else 0.0
        if p.plain_numeric_share < 0.5:
            shaped = float(tsample.str.contains(_DATE_SHAPE).mean())
            if shaped >= 0.8:
                dates, bad, _ = parse_dates(tsample)
                p.date_share = float(dates.notna().mean())
                if p.date_share >= 0.8:
                    p.dayfirst, p.dayfirst_reason = detect_dayfirst(tsample)
            if p.date_share < 0.8 and p.numeric_share < 0.8 and p.distinct <= 12:
                p.likert, p.likert_map, p.likert_near = _likert(tv)
        if p.numeric_share < 0.8 and p.date_share < 0.8 and tsample.str.fullmatch(_AMOUNT).mean() >= 0.9:
            amounts = parse_numbers(tsample)  # '1.234,50', '$1,234.50'
            if amounts.notna().mean() >= 0.9:
                p.numeric_share, p.integer = float(amounts.notna().mean()), False
                p.min, p.max = float(amounts.min()), float(amounts.max())
        if p.date_share >= 0.8:
            p.kind = "date"
        elif p.likert:
            p.kind = "labels"
        elif p.email_share >= 0.8:
            p.kind = "email"
        elif p.distinct <= 2 and p.bool_share >= 0.95:
            p.kind = "bool"
        elif p.numeric_share >= 0.8:
            p.kind = "number"
        elif p.mean_len >= 25 or (p.max_len >= 80 and p.unique_share >= 0.5):
            p.kind = "text"
        elif p.unique_share >= 0.95 and p.filled >= 20 and p.mean_len <= 40:
            p.kind = "id"
        else:
            p.kind = "category"
        out.append(p)
    return out


# --------------------------------------------------------------------------- guessing


def _confidence(points: float) -> str:
    return "high" if points >= 4 else "medium" if points >= 2.5 else "low"


def _name_points(text: str, table: list[tuple[str, float, str]]) -> tuple[float, list[str]]:
    pts, why = 0.0, []
    for pat, p, reason in table:
        if re.search(pat, text):
            pts += p
            why.append(reason)
    return pts, why


def _rating_fit(p: ColumnProfile) -> tuple[float, tuple[int, int] | None, str]:
    """How much a column's values look like a rating, the scale they suggest, and why."""
    if p.likert:
        near = f", {len(p.likert_near)} near-miss spelling(s)" if p.likert_near else ""
        return 1.2, (1, 5), f"answers of a 5-point {p.likert} scale{near}"
    if p.kind not in ("number", "bool") or p.min is None or p.numeric_share < 0.8 or not p.integer:
        return 0.0, None, ""
    if p.rating_share < 0.95 or p.rating_min is None or p.distinct < 2:
        return 0.0, None, ""
    lo, hi = p.rating_min, p.rating_max
    labelled = p.plain_numeric_share < 0.9
    how = "labelled values such as '10 - Extremely likely'" if labelled else "whole numbers"
    if p.rating_share < 1:
        how = f"{1 - p.rating_share:.1%} of values outside 0-10 (they will be excluded); " + how
    if lo >= 1 and hi <= 5:
        return 1.0, (1, 5), f"{how} {lo:g}-{hi:g} (a 1-5 rating)"
    if lo >= 1 and hi <= 7:
        return 0.8, (1, 7), f"{how} {lo:g}-{hi:g} (a 1-7 rating)"
    if hi > 7 or lo == 0:
        spread = 2.0 if (hi - lo) >= 6 else 1.0
        return spread, (0, 10), f"{how} {lo:g}-{hi:g}"
    return 0.5, (0, 10), f"{how} {lo:g}-{hi:g}"


def _score_candidates(profiles: list[ColumnProfile]) -> list[tuple[float, ColumnProfile, tuple[int, int], str]]:
    cands = []
    for p in profiles:
        if p.filled == 0 or p.nps_categories:
            continue
        name_pts, why = _name_points(p.text, _SCORE_NAMES)
        if _NOT_A_RATING.search(p.norm) and name_pts < 3:
            continue
        fit, scale, vwhy = _rating_fit(p)
        if not fit or (p.distinct < 3 and name_pts < 3):
            continue
        reason = "; ".join([*why, vwhy]) + f" ({_fmt_n(p.filled)} of {_fmt_n(p.rows)} rows filled)"
        cands.append((name_pts + fit, p, scale, reason))
    cands.sort(key=lambda c: (-c[0], c[1].position))
    return cands


def _pick(profiles: list[ColumnProfile], pattern: re.Pattern, kinds: tuple[str, ...], used: set[str],
          prefer: list[str] | None = None) -> ColumnProfile | None:
    """First profile of the given kinds whose name matches (preferred names first)."""
    cands = [p for p in profiles if p.name not in used and p.kind in kinds and pattern.search(p.text)]
    if prefer:
        for want in prefer:
            for p in cands:
                if p.norm == want:
                    return p
    return cands[0] if cands else None


def _date_fields(t: TableGuess, used: set[str], fields: dict[str, re.Pattern], prefer: dict[str, list[str]]) -> None:
    dates = [p for p in t.profiles if p.kind == "date" and p.name not in used]
    for fld, pat in fields.items():
        p = _pick(dates, pat, ("date",), used, prefer.get(fld))
        if p is None:
            continue
        used.add(p.name)
        t.columns[fld] = Guess(fld, p.name, "high" if prefer.get(fld) and p.norm in prefer[fld] else "medium",
                               f"dates ({p.describe()}); its name fits {fld.replace('_', ' ')}")


def _set_dayfirst(t: TableGuess) -> None:
    cols = [g.column for f, g in t.columns.items() if f.endswith("_at")]
    for c in cols:
        p = t.profile(c)
        if p is None:
            continue
        if p.dayfirst is not None:
            t.dayfirst, t.dayfirst_reason = p.dayfirst, f"'{c}': {p.dayfirst_reason}"
            return
        if p.dayfirst_reason.startswith(("every", "dates are written")):
            t.dayfirst_reason = f"'{c}': {p.dayfirst_reason}"
    if t.dayfirst_reason:
        t.checks.append(f"{t.title}: day/month order of the dates is ambiguous ({t.dayfirst_reason}); "
                        "set `dayfirst: true` if they are day-first (European), else false")


def _ids(t: TableGuess, used: set[str], customer_is_account: bool) -> None:
    profs = [p for p in t.profiles if p.name not in used and p.filled]
    fmt = t.raw.format
    # response id: nearly unique, named so (SurveyMonkey's "Respondent ID" is one per response)
    for p in profs:
        if p.name in used:
            continue
        sm = fmt == "surveymonkey" and p.norm == "respondent id"
        if (sm or _RESPONSE_ID.search(p.norm)) and p.unique_share >= 0.98 and p.kind != "date":
            t.columns["response_id"] = Guess("response_id", p.name, "high",
                                             f"unique per row ({_fmt_n(p.distinct)} values); its name says so")
            used.add(p.name)
            break
    email = next((p for p in profs if p.name not in used and p.kind == "email"), None)
    cust = next((p for p in profs if p.name not in used and _ACCOUNT_ID.search(p.norm)
                 and p.kind in ("id", "category", "number", "text") and p.filled), None)
    if cust is not None and re.search(r"\b(customer|client)\b", cust.norm) and not customer_is_account:
        t.columns["respondent_id"] = Guess("respondent_id", cust.name, "medium",
                                           f"a customer id ({_fmt_n(cust.distinct)} values); with no account "
                                           "table it identifies the respondent (repeat answers)")
        used.add(cust.name)
        cust = None
    if cust is not None:
        t.columns["account_id"] = Guess("account_id", cust.name, "high" if "account" in cust.norm else "medium",
                                        f"its name says account/customer id ({_fmt_n(cust.distinct)} values)")
        used.add(cust.name)
    if email is not None:
        t.columns["respondent_id"] = Guess("respondent_id", email.name, "high",
                                           f"e-mail addresses ({email.email_share:.0%} of values)")
        used.add(email.name)
    elif "respondent_id" not in t.columns:
        p = next((p for p in profs if p.name not in used and _RESPONDENT_ID.search(p.norm)), None)
        if p is not None:
            t.columns["respondent_id"] = Guess("respondent_id", p.name, "medium",
                                               f"its name says respondent/contact id ({_fmt_n(p.distinct)} values)")
            used.add(p.name)


def _text_fields(t: TableGuess, used: set[str], with_comment: bool = True, with_owner: bool = True) -> None:
    profs = [p for p in t.profiles if p.name not in used and p.filled]
    role = next((p for p in profs if p.kind in ("category", "bool") and _ROLE.search(p.text)
                 and p.distinct <= 50), None)
    if role is not None:
        t.columns["role"] = Guess("role", role.name, "high" if "role" in role.norm else "medium",
                                  f"its name says role/title; {role.describe()}")
        used.add(role.name)
    if with_owner:
        owner = next((p for p in profs if p.name not in used and p.kind in ("category", "id")
                      and _OWNER.search(p.norm) and p.distinct <= max(60, p.sample_filled // 5)), None)
        if owner is not None:
            t.columns["owner"] = Guess("owner", owner.name, "medium",
                                       f"its name says owner/CSM/agent; {owner.describe()}")
            used.add(owner.name)
    if with_comment:
        texts = [p for p in profs if p.name not in used and (p.kind == "text" or (
            p.kind in ("category", "id") and _COMMENT.search(p.text) and p.mean_len >= 8 and p.distinct > 5))]
        if texts:
            texts.sort(key=lambda p: (not _COMMENT.search(p.text), p.kind != "text", -p.filled, p.position))
            c = texts[0]
            named = bool(_COMMENT.search(c.text))
            t.columns["comment"] = Guess("comment", c.name, "high" if named and c.kind == "text" else "medium",
                                         f"{c.describe()}" + ("; its name asks why / for comments" if named else ""))
            used.add(c.name)
            for other in texts[1:]:
                t.not_used.append((other.name, "another free-text column (only one comment column is analysed)"))
                used.add(other.name)


def _survey_tool_status(t: TableGuess, used: set[str]) -> None:
    names = {p.norm: p for p in t.profiles}
    if t.raw.format == "qualtrics" or ("status" in names and "finished" in names):
        if "status" in names and names["status"].filled:
            t.columns["status"] = Guess("status", names["status"].name, "high",
                                        "Qualtrics response type: previews, tests and spam are excluded")
            used.add(names["status"].name)
        if "finished" in names and names["finished"].filled:
            t.columns["finished"] = Guess("finished", names["finished"].name, "high",
                                          "Qualtrics completion flag: unfinished responses are excluded")
            used.add(names["finished"].name)


def _accounts_fields(t: TableGuess, used: set[str], id_from_responses: str | None = None) -> None:
    profs = [p for p in t.profiles if p.filled]
    if "account_id" not in t.columns:
        cand = None
        if id_from_responses is not None:
            cand = next((p for p in profs if p.name == id_from_responses), None)
        if cand is None:
            ids = [p for p in profs if p.name not in used and p.unique_share >= 0.98 and p.kind in ("id", "number",
                                                                                                    "category")]
            cand = next((p for p in ids if _ACCOUNT_ID.search(p.norm)), None) or next(
                (p for p in ids if _ID.search(p.norm)), None)
        if cand is not None:
            t.columns["account_id"] = Guess("account_id", cand.name, "high" if _ACCOUNT_ID.search(cand.norm)
                                            else "medium", f"unique per row ({_fmt_n(cand.distinct)} values); "
                                            "its name says account/customer id")
            used.add(cand.name)
    churn = [p for p in profs if p.name not in used and _CHURN.search(p.norm) and p.kind in ("bool", "category",
                                                                                            "number")]
    bools = [p for p in churn if p.kind == "bool" or (p.distinct == 2 and p.bool_share >= 0.95)]
    if bools:
        bools.sort(key=lambda p: ("churn" not in p.norm, p.kind != "number", p.position))
        b = bools[0]
        t.columns["churned"] = Guess("churned", b.name, "high" if "churn" in b.norm or "exited" in b.norm else "medium",
                                     f"yes/no values ({', '.join(_short(x, 12) for x in b.top[:2])}); its name says "
                                     "churn")
        used.add(b.name)
    else:
        for p in churn:
            hits = [v for v in p.top + [] if _CHURN_VALUES.match(_norm(v))]
            if p.kind == "category" and hits and p.distinct <= 12:
                t.columns["churned"] = Guess("churned", p.name, "medium",
                                             f"a status column ({p.describe()}); values {hits} mean churned")
                t.churn_values = hits
                used.add(p.name)
                break
    for p in churn:
        if p.name not in used:
            t.not_used.append((p.name, "another outcome column (only one churn flag is used; never a segment: "
                                       "it would leak the outcome)"))
            used.add(p.name)
    rev = [p for p in profs if p.name not in used and p.kind == "number" and _REVENUE.search(p.norm)
           and (p.min is None or p.min >= 0)]
    if rev:
        rev.sort(key=lambda p: (not re.search(r"\b(arr|mrr|acv|revenue|annual)\b", p.norm), p.position))
        r = rev[0]
        exact = bool(re.search(r"\b(arr|annual recurring|acv|annual)\b", r.norm))
        t.columns["revenue"] = Guess("revenue", r.name, "high" if exact else "low",
                                     f"money amounts ({r.describe()})" + ("" if exact else
                                     "; not named ARR: coverage shares use it as the account's weight"))
        used.add(r.name)
    _date_fields(t, used, {"outcome_at": _OUTCOME_AT, "start_at": _START_AT},
                 {"outcome_at": ["renewal date", "churn date", "cancellation date", "outcome date"],
                  "start_at": ["customer since", "start date", "signup date"]})
    nm = next((p for p in profs if p.name not in used and p.kind in ("category", "id", "text")
               and _ACCOUNT_NAME.search(p.norm) and not re.search(r"\b(surname|first|last)\b", p.norm)), None)
    if nm is not None:
        t.columns["name"] = Guess("name", nm.name, "medium", "its name says account/company name")
        used.add(nm.name)


def _segments(t: TableGuess, used: set[str]) -> None:
    cands = []
    cap = max(30, min(200, t.raw.frame.shape[0] // 40))
    meta = _QUALTRICS_META if t.raw.format == "qualtrics" else (
        _SURVEYMONKEY_META - {"collector id"} if t.raw.format == "surveymonkey" else set())
    for p in t.profiles:
        if p.name in used or not p.filled:
            continue
        if p.norm in meta:
            t.not_used.append((p.name, "survey-tool metadata"))
            continue
        if p.nps_categories:
            t.not_used.append((p.name, "the NPS category, derived from the score (not a segment)"))
            continue
        hint = bool(_SEGMENT_HINT.search(p.text))
        if _PERSONAL.search(p.norm) and not hint:
            continue
        ok_kind = p.kind in ("category", "bool", "labels") or (p.kind in ("number", "id") and hint)
        per_level = p.sample_filled / max(p.distinct, 1)
        if not ok_kind or p.distinct < 2 or p.distinct > cap or per_level < 3 or p.mean_len > 60:
            continue
        pts = (2 if hint else 0) + (1 if p.fill_share >= 0.9 else 0) - (0.5 if p.kind == "bool" else 0)
        cands.append((pts, p))
    cands.sort(key=lambda c: (-c[0], c[1].position))
    low = 0
    for pts, p in cands:
        if len(t.segments) >= MAX_SEGMENTS or (pts < 2 and low >= 3):
            t.more_segments.append(p.name)
            continue
        low += pts < 2
        t.segments.append(Guess("segment", p.name, "medium" if pts >= 2 else "low",
                                f"{p.describe()}" + ("; its name suggests a segment" if pts >= 2 else "")))
        used.add(p.name)


def guess_table(raw: RawTable, path: Path, sheet: str | None = None) -> TableGuess:
    """Profile one export and score how much it looks like each table kind.

    ``kind_points`` gets points for ``responses`` (a score column, a date),
    ``accounts`` (a unique id, a churn flag, revenue), ``invitations`` (a
    sent/invited date, ids, no score) and ``contacts`` (ids and a role, no
    score, no date). The mapping itself is made by :func:`classify`.
    """
    profiles = profile_columns(raw.frame, raw.labels)
    t = TableGuess(path=path, raw=raw, profiles=profiles, sheet=sheet)
    score = _score_candidates(profiles)
    dates = [p for p in profiles if p.kind == "date"]
    has_churn = any(_CHURN.search(p.norm) and p.kind in ("bool", "category", "number") and p.distinct >= 2
                    and (p.kind == "bool" or p.distinct == 2 or any(_CHURN_VALUES.match(_norm(v)) for v in p.top))
                    for p in profiles)
    has_rev = any(_REVENUE.search(p.norm) and p.kind == "number" for p in profiles)
    unique_id = any(p.unique_share >= 0.98 and p.fill_share >= 0.95 and p.kind in ("id", "number", "category")
                    and _ID.search(p.norm) for p in profiles)
    has_role = any(_ROLE.search(p.text) and p.kind in ("category", "bool") for p in profiles)
    has_email = any(p.kind == "email" for p in profiles)
    invite_date = any(p.kind == "date" and _INVITED.search(p.norm) for p in profiles)
    best_score = score[0][0] if score else 0.0
    t.kind_points = {
        "responses": (best_score + (1.0 if dates else 0.0)) if score else 0.0,
        "accounts": (3.0 if has_churn else 0.0) + (1.5 if has_rev else 0.0) + (1.0 if unique_id else 0.0),
        "invitations": (3.0 if invite_date else 0.0) + (1.0 if has_email or has_role else 0.0) - (2.0 if score else 0),
        "contacts": (2.0 if has_role else 0.0) + (1.0 if has_email else 0.0) - (3.0 if dates else 0.0)
        - (2.0 if score else 0.0),
    }
    return t


def _configure_responses(t: TableGuess, customer_is_account: bool, account_id_hint: str | None) -> None:
    used: set[str] = set()
    cands = _score_candidates(t.profiles)
    if cands:
        pts, p, scale, reason = cands[0]
        t.columns["score"] = Guess("score", p.name, _confidence(pts), reason)
        used.add(p.name)
        t.scale, t.scale_reason = scale, reason
        if p.likert:
            t.score_labels = dict(p.likert_map)
            t.score_label_notes = {k: f"read as '{v}' (near-miss spelling)" for k, v in p.likert_near.items()}
        if p.label:
            t.columns["score"].reason += f"; question: {_short(p.label, 80)}"
        t.score_alternatives = [f"{c[1].name} ({_confidence(c[0])})" for c in cands[1:4] if c[0] >= pts - 1]
        if scale == (0, 10) and p.min is not None and p.min >= 1 and p.filled >= 200 and p.max == 10:
            t.checks.append(f"no score of 0 among {_fmt_n(p.filled)} in '{p.name}': if the survey asked 1-10, "
                            "set `settings: {scale: [1, 10]}` (categories stay 0-6/7-8/9-10, so 1 is a detractor)")
    _survey_tool_status(t, used)
    prefer = {"responded_at": ["recorded date", "response date", "submitted", "submitted at", "date submitted",
                               "end date", "completion date", "completed", "timestamp", "customer response date",
                               "responded at", "survey date", "date"],
              "invited_at": ["invitation date", "invited at", "sent date", "sent at", "date sent", "sent"],
              "followed_up_at": ["follow up date", "followed up at", "follow up", "case closed", "closed date"]}
    dates = [p for p in t.profiles if p.kind == "date"]
    _date_fields(t, used, {"invited_at": _INVITED, "followed_up_at": _FOLLOWED}, prefer)
    _date_fields(t, used, {"responded_at": _RESPONDED}, prefer)
    if "responded_at" not in t.columns:
        rest = [p for p in dates if p.name not in used and not _START_AT.search(p.norm)] or \
            [p for p in dates if p.name not in used]
        if rest:
            p = rest[-1] if t.raw.format in ("qualtrics", "surveymonkey") else rest[0]
            t.columns["responded_at"] = Guess("responded_at", p.name, "medium" if len(rest) == 1 else "low",
                                              f"dates ({p.describe()})"
                                              + ("" if len(rest) == 1 else f"; one of {len(rest)} date columns"))
            used.add(p.name)
    for p in dates:
        if p.name not in used:
            t.not_used.append((p.name, "another date column"))
            used.add(p.name)
    _set_dayfirst(t)
    if t.kind_points.get("accounts", 0) >= 3:  # flat export: outcome columns are no comment, segment or driver
        for p in t.profiles:
            if p.name not in used and _CHURN.search(p.norm) and not _ID.search(p.norm):
                t.not_used.append((p.name, "an outcome column: it would leak the outcome into the survey analysis"))
                used.add(p.name)
    if account_id_hint and account_id_hint in {p.name for p in t.profiles}:
        t.columns["account_id"] = Guess("account_id", account_id_hint, "high",
                                        "its values match the accounts table's ids")
        used.add(account_id_hint)
    _ids(t, used, customer_is_account)
    _text_fields(t, used)
    # drivers: other ratings on a 0-10 or 5-point scale
    for pts, p, _scale, reason in cands[1:]:
        if p.name in used or pts < 0.8:
            continue
        if p.likert:  # the labels are read for drivers too
            clash = {k for k, v in p.likert_map.items() if (t.score_labels or {}).get(k, v) != v}
            if clash:
                continue
            t.score_labels = {**(t.score_labels or {}), **p.likert_map}
            t.score_label_notes.update({k: f"read as '{v}' (near-miss spelling)" for k, v in p.likert_near.items()})
        t.drivers.append(Guess("driver", p.name, "medium" if pts >= 2 else "low", reason))
        used.add(p.name)
    _segments(t, used)


def _value_overlap(a: pd.Series, b: pd.Series) -> float:
    sa = set(a.dropna().astype(str).str.strip().head(50_000))
    sb = set(b.dropna().astype(str).str.strip().head(50_000))
    return len(sa & sb) / len(sa) if sa else 0.0


def _link_column(resp: TableGuess, other: TableGuess, other_col: str) -> str | None:
    """The responses column holding the other table's ids (same name, else the most overlapping values)."""
    names = {_norm(c): c for c in resp.raw.frame.columns if c != ROW}
    if _norm(other_col) in names:
        return names[_norm(other_col)]
    ref = other.raw.frame[other_col]
    best, share = None, 0.3
    for c in resp.raw.frame.columns:
        if c == ROW:
            continue
        s = _value_overlap(resp.raw.frame[c], ref)
        if s > share:
            best, share = c, s
    return best


def classify(tables: list[TableGuess]) -> tuple[dict[str, TableGuess], list[tuple[str, str]], bool]:
    """Decide which export is responses, accounts, invitations and contacts, and map each.

    Returns
    -------
    (chosen, unused, flat)
        ``chosen`` maps table name to its :class:`TableGuess` (configured);
        ``unused`` lists (export, why) for the others; ``flat`` is True when
        the accounts come from the responses file itself (account columns
        repeated on every response).
    """
    chosen: dict[str, TableGuess] = {}
    unused: list[tuple[str, str]] = []
    pool = list(tables)
    resp = max(pool, key=lambda t: t.kind_points.get("responses", 0), default=None)
    if resp is None or resp.kind_points.get("responses", 0) <= 0:
        resp = pool[0] if pool else None
    if resp is None:
        return chosen, unused, False
    pool.remove(resp)
    resp.kind = "responses"
    chosen["responses"] = resp
    resp_has_outcome = resp.kind_points.get("accounts", 0) >= 3
    for kind in ("accounts", "invitations", "contacts"):
        need = 3 if kind == "accounts" and resp_has_outcome else 2  # a flat export's own churn beats a bare list
        cands = [t for t in pool if t.kind_points.get(kind, 0) >= need]
        if cands:
            best = max(cands, key=lambda t: t.kind_points[kind])
            pool.remove(best)
            best.kind = kind
            chosen[kind] = best
    flat = "accounts" not in chosen and resp_has_outcome
    for t in pool:
        unused.append((t.title, "not recognised as responses, accounts, invitations or contacts"
                       if max(t.kind_points.values(), default=0) < 2 else
                       f"looks like {max(t.kind_points, key=t.kind_points.get)} too, but another export was chosen"))
    # accounts first: their id tells which response column links to them
    acc_hint = None
    if "accounts" in chosen:
        acc = chosen["accounts"]
        _accounts_fields(acc, set())
        if "account_id" in acc.columns:
            acc_hint = _link_column(resp, acc, acc.columns["account_id"].column)
        skip = {g.column for g in acc.columns.values()}
        for p in acc.profiles:
            if _OWNER.search(p.norm) and p.name not in skip:
                acc.not_used.append((p.name, "the account's owner (map `owner:` on the responses if needed)"))
                skip.add(p.name)
        _segments(acc, skip)
    _configure_responses(resp, customer_is_account=flat or "accounts" in chosen, account_id_hint=acc_hint)
    if "accounts" in chosen:  # account segments already on the responses add nothing
        acc = chosen["accounts"]
        on_resp = {_norm(g.column) for g in resp.segments} | {_norm(g.column) for g in resp.columns.values()}
        acc.segments = [g for g in acc.segments if _norm(g.column) not in on_resp]
    if flat:
        flat_acc = TableGuess(path=resp.path, raw=resp.raw, profiles=resp.profiles, sheet=resp.sheet,
                              kind="accounts", kind_points=resp.kind_points)
        rid = resp.columns.get("account_id")
        used = {g.column for g in resp.columns.values()} - ({rid.column} if rid else set())
        used |= {g.column for g in resp.segments + resp.drivers}
        _accounts_fields(flat_acc, used, rid.column if rid else None)
        if "account_id" in flat_acc.columns and "account_id" not in resp.columns:
            col = flat_acc.columns["account_id"].column
            resp.columns["account_id"] = Guess("account_id", col, flat_acc.columns["account_id"].confidence,
                                               "the accounts' id (a flat export: account columns on every row)")
        chosen["accounts"] = flat_acc
    for kind in ("invitations", "contacts"):
        if kind in chosen:
            _configure_simple(chosen[kind], kind, resp)
    return chosen, unused, flat


def _configure_simple(t: TableGuess, kind: str, resp: TableGuess) -> None:
    used: set[str] = set()
    if kind == "invitations":
        _date_fields(t, used, {"invited_at": _INVITED}, {"invited_at": ["sent at", "sent", "invitation date",
                                                                       "invited at", "sent date"]})
        if "invited_at" not in t.columns:
            d = next((p for p in t.profiles if p.kind == "date"), None)
            if d is not None:
                t.columns["invited_at"] = Guess("invited_at", d.name, "low", f"the only date column ({d.describe()})")
                used.add(d.name)
        _set_dayfirst(t)
    for fld in ("account_id", "respondent_id"):
        if fld in resp.columns:
            same = next((p for p in t.profiles if p.norm == _norm(resp.columns[fld].column)), None)
            if same is not None and same.name not in used:
                t.columns[fld] = Guess(fld, same.name, "high", f"same column name as in the responses ({fld})")
                used.add(same.name)
    _ids(t, used, customer_is_account=True)
    _text_fields(t, used, with_comment=False, with_owner=False)
    if kind == "invitations" and "response_id" in t.columns and "response_id" not in resp.columns:
        del t.columns["response_id"]


# --------------------------------------------------------------------------- reading the exports


def _read_exports(paths: list[Path]) -> tuple[list[TableGuess], list[tuple[str, str]]]:
    tables, failed = [], []
    for path in paths:
        spec = TableSpec(name="responses", path=path)
        sheets: list[str | None] = [None]
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            try:
                with pd.ExcelFile(path) as book:
                    sheets = list(book.sheet_names)[:MAX_SHEETS]
            except Exception:  # noqa: BLE001 - read_raw below reports it in the kit's words
                sheets = [None]
        for sheet in sheets:
            spec.sheet = sheet
            try:
                raw = read_raw(spec, [])
            except NpsdiagError as exc:
                failed.append((str(path) + (f" [sheet {sheet}]" if sheet is not None and len(sheets) > 1 else ""),
                               "; ".join(p.message + (f" ({p.hint})" if p.hint else "") for p in exc.problems)))
                continue
            if len(raw.frame) == 0:
                failed.append((str(path), "a header but no rows"))
                continue
            tables.append(guess_table(raw, path, sheet if len(sheets) > 1 else None))
    return tables, failed


_GENERIC_WORDS = {"export", "exports", "responses", "response", "survey", "surveys", "data", "api", "uselabels",
                  "nps", "csv", "raw", "all", "results", "input", "inputs", "final", "copy", "v1", "v2", "files",
                  "downloads", "tmp", "temp", "comments", "comment"}


def _name_words(name: str) -> list[str]:
    return [w for w in re.split(r"[\W_]+", name) if w and w.lower() not in _GENERIC_WORDS
            and not re.fullmatch(r"\d+", w)]


def _client_name(path: Path) -> str:
    """The client's name guessed from the export's file name, else from its folder's name, else "Client"."""
    words = _name_words(path.stem) or _name_words(path.resolve().parent.name)
    return " ".join(w[:1].upper() + w[1:] for w in words) or "Client"


def propose(exports: list[str | Path], client: str | None = None) -> Proposal:
    """Read exports and propose a config.

    Parameters
    ----------
    exports : list of paths
        One to several exports (CSV, Excel, Parquet, Qualtrics, SurveyMonkey).
    client : str, optional
        The client's name (default: from the first file's name).

    Returns
    -------
    Proposal

    Raises
    ------
    NpsdiagError
        When no export can be read at all.
    """
    paths = [Path(p).expanduser() for p in exports]
    tables, failed = _read_exports(paths)
    if not tables:
        raise NpsdiagError([Problem(f"cannot read: {why}", file=f) for f, why in failed] or
                           [Problem("no export given", hint="npsdiag init EXPORT.csv [MORE.csv ...]")])
    chosen, unused, flat = classify(tables)
    prop = Proposal(client=client or _client_name(chosen["responses"].path), tables=chosen, flat_accounts=flat,
                    unused=failed + unused)
    resp = chosen["responses"]
    if "score" not in resp.columns:
        prop.complete = False
        prop.checks.append("no column looks like a likelihood-to-recommend score (0-10, 1-10 or a 5-point rating): "
                           "write its column name on the `score:` line")
        if {"question", "answer"} & {w for p in resp.profiles for w in p.norm.split()} and len(resp.profiles) <= 10:
            prop.checks.append("this export looks like a long format (one row per question and answer): reshape it "
                               "to one row per response (e.g. pandas `pivot`) and run `npsdiag init` on that")
    lo, hi = resp.scale
    if (lo, hi) == (1, 5):
        prop.settings = {"scale": [1, 5], "detractor_max": 3, "promoter_min": 5}
        prop.settings_reason = ("a 1-5 rating: 5 counts as promoter, 4 as passive, 1-3 as detractor (top box "
                                "vs the rest, mirroring 9-10 / 7-8 / 0-6); not comparable with 0-10 NPS benchmarks")
    elif (lo, hi) == (1, 7):
        prop.settings = {"scale": [1, 7], "detractor_max": 4, "promoter_min": 7}
        prop.settings_reason = "a 1-7 rating: 7 promoter, 5-6 passive, 1-4 detractor; not comparable with NPS"
    if prop.settings:
        prop.checks.append(f"the score is {prop.settings_reason.split(':')[0]}; check the categories under settings")
    if "responded_at" not in resp.columns:
        mtime = _dt.date.fromtimestamp(resp.path.stat().st_mtime)
        prop.survey_date = min(mtime, _dt.date.today()).isoformat()
        prop.checks.append(f"no response-date column: every response is dated {prop.survey_date} (the export's "
                           "file date) via `survey_date`; set the date the survey ran")
    for kind, t in chosen.items():
        for g in list(t.columns.values()) + t.segments + t.drivers:
            if g.confidence == "low":
                prop.checks.append(f"{kind}: '{g.column}' as {g.field} is a low-confidence guess ({g.reason})")
        prop.checks.extend(t.checks)
    if resp.score_alternatives and "score" in resp.columns:
        prop.checks.append(f"score: '{resp.columns['score'].column}' was chosen; other candidates: "
                           + ", ".join(resp.score_alternatives))
    if resp.score_label_notes:
        prop.checks.append("score_labels: " + "; ".join(f"'{_short(k)}' {v}" for k, v in
                                                        resp.score_label_notes.items()))
    if "accounts" in chosen and "churned" not in chosen["accounts"].columns:
        prop.checks.append("accounts: no churn column recognised; map `churned:` (or give `churn_values:`)")
    prop.checks.append("client: the name shown on the report")
    return prop


# --------------------------------------------------------------------------- writing


_YAML_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")  # raw, YAML would drop or fold


def _q(s: object) -> str:
    """A double-quoted YAML scalar (JSON's escapes are YAML's; characters YAML may not hold raw are escaped)."""
    return _YAML_UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(str(s), ensure_ascii=False))


def _comment(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _rel(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return path.resolve().as_posix()


def _table_yaml(kind: str, t: TableGuess, base: Path, prop: Proposal) -> list[str]:
    lines = [f"{kind}:"]
    lines.append(f"  path: {_q(_rel(t.path, base))}")
    raw = t.raw
    if t.sheet is not None:
        lines.append(f"  sheet: {_q(t.sheet)}")
    if raw.format in ("qualtrics", "surveymonkey"):
        note = raw.notes[0] if raw.notes else ""
        lines.append(f"  format: {raw.format}  # detected: {_comment(note)}")
    elif raw.format == "csv" and raw.delimiter and raw.delimiter != ",":
        lines.append(f"  delimiter: {_q(raw.delimiter)}  # detected")
    if raw.format in ("csv", "qualtrics", "surveymonkey") and raw.encoding not in (None, "utf-8", "utf-8-sig"):
        lines.append(f"  encoding: {raw.encoding}  # detected (not UTF-8)")
    if t.dayfirst is not None:
        lines.append(f"  dayfirst: {'true' if t.dayfirst else 'false'}  # {_comment(t.dayfirst_reason)}")
    elif t.dayfirst_reason:
        lines.append(f"  # dayfirst: true  # CHECK: {_comment(t.dayfirst_reason)}")
    if kind == "responses" and prop.survey_date:
        lines.append(f"  survey_date: {prop.survey_date}  # CHECK: the export has no response dates; "
                     "the date the survey ran")
    lines.append("  columns:")
    if not t.columns:
        lines.append("    {}")
    order = ["score", "responded_at", "response_id", "respondent_id", "account_id", "role", "comment", "invited_at",
             "followed_up_at", "owner", "status", "finished", "churned", "outcome_at", "revenue", "start_at", "name"]
    if kind == "responses" and "score" not in t.columns:
        lines.append(f"    score: {_q('<which column holds the score?>')}  # CHECK: no score column recognised")
    for fld in sorted(t.columns, key=lambda f: order.index(f) if f in order else 99):
        g = t.columns[fld]
        flag = "CHECK " if g.confidence == "low" else ""
        lines.append(f"    {fld}: {_q(g.column)}  # {flag}{g.confidence}: {_comment(g.reason)}")
    if t.churn_values:
        lines.append(f"  churn_values: [{', '.join(_q(v) for v in t.churn_values)}]  # values that mean churned")
    if kind == "responses" and t.score_labels:
        lines.append("  score_labels:  # answer labels read as numbers (score and drivers)")
        for k, v in sorted(t.score_labels.items(), key=lambda kv: (kv[1], kv[0])):
            note = t.score_label_notes.get(k)
            lines.append(f"    {_q(_comment(k))}: {v}" + (f"  # CHECK: {_comment(note)}" if note else ""))
    if t.segments:
        lines.append("  segments:")
        for g in t.segments:
            lines.append(f"    - {_q(g.column)}  # {g.confidence}: {_comment(g.reason)}")
    if t.more_segments:
        lines.append("  # more segment candidates: " + _comment(", ".join(t.more_segments)))
    if t.drivers:
        lines.append("  drivers:")
        for g in t.drivers:
            lines.append(f"    - {_q(g.column)}  # {g.confidence}: {_comment(g.reason)}")
    if t.not_used:
        lines.append("  # not used: " + _comment("; ".join(f"{c} ({why})" for c, why in t.not_used[:12])
                                                + (" …" if len(t.not_used) > 12 else "")))
    return lines


def render_yaml(prop: Proposal, output: Path) -> str:
    """The proposal as a commented YAML config, with paths relative to ``output``'s folder."""
    base = output.parent
    today = _dt.date.today().isoformat()
    lines = [f"# Proposed by `npsdiag init` on {today}. Every guess says why, and how sure it is",
             "# (high / medium / low). Check the lines marked CHECK, then run",
             f"#   npsdiag validate {output.name}",
             f"#   npsdiag run {output.name}",
             "# Paths are relative to this file's folder."]
    for kind, t in prop.tables.items():
        raw = t.raw
        how = [raw.format]
        if raw.encoding:
            how.append(raw.encoding)
        if raw.delimiter:
            how.append(f"delimiter {raw.delimiter!r}")
        lines.append(f"#   {kind}: {t.title} ({', '.join(how)}; {_fmt_n(len(raw.frame))} rows)"
                     + (" - the same file (a flat export)" if kind == "accounts" and prop.flat_accounts else ""))
    for f, why in prop.unused:
        lines.append(f"#   not used: {_comment(Path(f).name)}: {_comment(why)}")
    lines.append(f"client: {_q(prop.client)}  # CHECK: the client's name as shown on the report")
    for kind in ("responses", "accounts", "invitations", "contacts"):
        if kind in prop.tables:
            lines.extend(_table_yaml(kind, prop.tables[kind], base, prop))
    if prop.settings:
        lines.append(f"settings:  # {_comment(prop.settings_reason)}")
        for k, v in prop.settings.items():
            lines.append(f"  {k}: {json.dumps(v)}")
    return "\n".join(lines) + "\n"


def init(exports: list[str | Path], output: str | Path | None = None, force: bool = False,
         client: str | None = None, out: TextIO | None = None) -> int:
    """The ``npsdiag init`` command: write a proposed config and say what to check.

    Parameters
    ----------
    exports : list of paths
    output : path of the config to write (default ``<client-slug>.yml`` in the current folder)
    force : overwrite an existing file
    client : the client's name
    out : where to print (default stdout)

    Returns
    -------
    int
        0 when the written config loads; 1 when it needs a fix first (the
        problems are printed).

    Raises
    ------
    NpsdiagError
        The output exists (without ``force``), or no export can be read.
    """
    from .clean import REASONS, prepare
    from .config import read_config
    from .io import load

    out = out or sys.stdout
    prop = propose(exports, client)
    target = Path(output) if output else Path.cwd() / f"{slugify(prop.client)}.yml"
    if target.is_dir():
        target = target / "config.yml"
    if target.exists() and not force:
        raise NpsdiagError(Problem("the config already exists and was left as it is", file=str(target),
                                   hint="give another --output, or add --force to overwrite it"))
    target.parent.mkdir(parents=True, exist_ok=True)
    text = render_yaml(prop, target)
    tmp = target.with_name(target.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    print(f"Wrote {target}", file=out)
    for kind, t in prop.tables.items():
        cols = ", ".join(f"{f} = '{g.column}'" for f, g in t.columns.items())
        print(f"  {kind}: {t.title} ({t.raw.format}, {_fmt_n(len(t.raw.frame))} rows)"
              + (" [flat export: accounts from the responses file]" if kind == "accounts" and prop.flat_accounts
                 else ""), file=out)
        if cols:
            print(f"    {cols}", file=out)
        if t.segments:
            print(f"    segments: {', '.join(g.column for g in t.segments)}", file=out)
        if t.drivers:
            print(f"    drivers: {', '.join(g.column for g in t.drivers)}", file=out)
    for f, why in prop.unused:
        print(f"  not used: {f}: {why}", file=out)
    if prop.checks:
        print("\nPlease check:", file=out)
        for c in prop.checks:
            print(f"  - {c}", file=out)
    cfg, problems = read_config(target)
    fatal = [p for p in problems if p.fatal]
    data = prep = None
    if cfg is not None and not fatal:
        cfg.warnings = problems
        try:
            data = load(cfg)
            problems = data.problems
            prep = prepare(data)
        except NpsdiagError as exc:
            fatal = [p for p in exc.problems if p.fatal]
            problems = exc.problems
    if fatal or data is None or prep is None:
        print(f"\nThe proposal does not load yet ({len(fatal)} problem(s) to fix in {target}):", file=out)
        for p in fatal or problems:
            print(str(p), file=out)
        return 1
    print(f"\nIt loads: {_fmt_n(len(prep.flags))} response rows read, {_fmt_n(len(prep.responses))} usable.",
          file=out)
    for reason, n in prep.excluded_counts.items():
        print(f"  excluded {_fmt_n(n)}: {REASONS[reason]}", file=out)
    for p in problems:
        if not p.fatal:
            print(f"  {p.message}", file=out)
    print(f"\nNext: npsdiag validate {target}   then   npsdiag run {target}", file=out)
    return 0
