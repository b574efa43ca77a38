"""Profiling an export's columns for ``npsdiag init``: what each column looks like.

:func:`profile_columns` reads how full each column is, how many distinct values it has, whether they are
numbers and in which range, dates, answers of a known 5-point scale, yes/no, e-mail addresses, short
categories, ids or free text.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..io import ROW, detect_dayfirst, parse_bool, parse_dates, parse_numbers, parse_scores
from ..io.strings import MISSING_WORDS

__all__ = ["ColumnProfile", "profile_columns", "LIKERT_SCALES", "SAMPLE_ROWS", "norm_name", "fmt_n", "short"]

SAMPLE_ROWS = 20_000  #: rows profiled per table (a seeded random sample of larger tables)

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

_NPS_CATEGORY_VALUES = {"promoter", "passive", "detractor", "promoters", "passives", "detractors", "neutral"}
_DATE_SHAPE = re.compile(r"^\s*(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,}|"
                         r"[A-Za-z]{3,}\.?\s+\d{1,2}|\d{8}T|\d{4}-\d{2}-\d{2})")
#: answers of a rating in words ("Excellent" .. "Poor", "met my expectations", "very useful"): an attitude
_RATING_WORDS = re.compile(r"\b(?:excellent|very good|good|fair|poor|average|outstanding|satisf\w*|unsatisf\w*|"
                           r"terrible|awful|great|ok|okay|useful|helpful|unhelpful|expectations?|agree|disagree|"
                           r"easy|difficult|likely|unlikely|happy|unhappy|adequate|inadequate|acceptable|"
                           r"unacceptable|too (?:long|short|fast|slow)|about right)\b", re.IGNORECASE)
_AMOUNT = r"[-+]?[$€£¥]?\s?\d[\d.,' ]*\s?[$€£¥%]?"
_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"


def norm_name(name: str) -> str:
    """A column name in plain lower-case words: 'NPS_SCORE' -> 'nps score', 'CustomerId' -> 'customer id'."""
    s = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", s)
    return re.sub(r"[\W_]+", " ", s).strip().lower()


def fmt_n(n: float) -> str:
    return f"{int(n):,}"


def short(v: object, n: int = 30) -> str:
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
    rating_words: bool = False  #: the few values are answers of a rating in words ("Good", "Poor", ...)
    missing_words: int = 0  #: values that mean "no answer" ('NA' as R writes it, 'N/A', 'null'): not counted as filled
    missing_example: str = ""  #: one such value as written
    #: values that are not numbers among mostly numbers ('3+' beside '1', '2'): the numbers are then categories
    other_values: list[str] = field(default_factory=list)
    kind: str = "empty"

    @property
    def text(self) -> str:
        """Normalised name and question text, for name matching."""
        return norm_name(self.name) + (" | " + norm_name(self.label) if self.label else "")

    @property
    def norm(self) -> str:
        return norm_name(self.name)

    @property
    def fill_share(self) -> float:
        return self.filled / self.rows if self.rows else 0.0

    @property
    def unique_share(self) -> float:
        return self.distinct / self.sample_filled if self.sample_filled else 0.0

    def describe(self) -> str:
        """A few words on the values, for the YAML comments."""
        fill = f"{fmt_n(self.filled)} of {fmt_n(self.rows)} rows filled" + (
            f", '{short(self.missing_example, 12)}' on {fmt_n(self.missing_words)} counted as missing"
            if self.missing_words else "")
        if (self.kind in ("category", "bool", "labels") or self.distinct <= 12) and self.top:
            return f"{self.distinct} values, e.g. {', '.join(short(t, 20) for t in self.top[:3])}; {fill}"
        if self.kind == "number" and self.min is not None:
            return f"values {self.min:g}-{self.max:g}, {fill}"
        if self.kind == "text":
            return f"free text, {self.mean_len:.0f} characters on average; {fill}"
        return fill


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
        In column order. Tables longer than :data:`SAMPLE_ROWS` are profiled on a seeded random sample of
        their rows; counts are shown for the whole table.
    """
    labels = labels or {}
    total = len(frame)
    if total > SAMPLE_ROWS:
        frame = frame.sample(SAMPLE_ROWS, random_state=0).sort_index()
    scale_up = total / len(frame) if len(frame) else 1.0
    return [_profile(frame[col], ColumnProfile(name=str(col), position=i, label=labels.get(col, ""),
                                               rows=len(frame)), total, scale_up)
            for i, col in enumerate(c for c in frame.columns if c != ROW)]


def _profile(v: pd.Series, p: ColumnProfile, total: int, scale_up: float) -> ColumnProfile:
    """Fill the profile ``p`` of one column's values ``v``."""
    is_dt = pd.api.types.is_datetime64_any_dtype(v)
    text = v.astype("string").str.strip()
    said_missing = text.str.lower().isin(MISSING_WORDS - {""}).fillna(False).astype(bool)  # R's NA, N/A, null
    filled_mask = text.notna() & (text != "") & ~said_missing
    p.filled = p.sample_filled = int(filled_mask.sum())
    p.missing_words = int(said_missing.sum())
    if p.missing_words:
        p.missing_example = str(text[said_missing].iloc[0])
    if scale_up != 1.0:  # counts of the sample, shown for the whole table
        p.rows, p.filled = total, int(round(p.filled * scale_up))
        p.missing_words = int(round(p.missing_words * scale_up))
    if p.filled == 0:
        return p
    vals = v[filled_mask]
    tv = text[filled_mask]
    p.distinct = int(tv.nunique())
    p.top = [str(t) for t in tv.value_counts().index[:5]]
    sample = vals if len(vals) <= 3000 else vals.sample(3000, random_state=0)
    tsample = tv.loc[sample.index]
    if is_dt:
        p.date_share, p.kind = 1.0, "date"
        return p
    _numbers(p, sample, tsample)
    _text_traits(p, tv, tsample)
    p.kind = _kind(p)
    return p


def _numbers(p: ColumnProfile, sample: pd.Series, tsample: pd.Series) -> None:
    """How much of the column reads as numbers (labelled scores count), their range and whether they are whole."""
    nums, _ = parse_scores(sample)
    p.numeric_share = float(nums.notna().mean())
    p.plain_numeric_share = float(tsample.str.fullmatch(r"[-+]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?").mean())
    if 0 < p.numeric_share < 1:
        p.other_values = [str(v) for v in tsample[nums.isna()].value_counts().index[:3]]
    if p.numeric_share > 0:
        good = nums.dropna()
        p.min, p.max = float(good.min()), float(good.max())
        p.integer = bool(np.isclose(good, np.round(good)).mean() >= 0.98)
        inside = good[(good >= 0) & (good <= 10)]
        p.rating_share = len(inside) / len(good)
        if len(inside):
            p.rating_min, p.rating_max = float(inside.min()), float(inside.max())


def _text_traits(p: ColumnProfile, tv: pd.Series, tsample: pd.Series) -> None:
    """Length, e-mail addresses, NPS categories, yes/no, dates, scale labels and money amounts of the column."""
    lengths = tsample.str.len()
    p.mean_len, p.max_len = float(lengths.mean()), int(lengths.max())
    p.email_share = float(tsample.str.fullmatch(_EMAIL).mean())
    low = set(tsample.str.lower().unique())
    p.nps_categories = bool(low) and low <= _NPS_CATEGORY_VALUES and len(low) >= 2
    p.rating_words = 2 <= p.distinct <= 12 and float(tsample.str.contains(_RATING_WORDS).mean()) >= 0.8
    _flags, unreadable = parse_bool(tsample)
    p.bool_share = float(1 - unreadable.mean()) if p.distinct <= 2 else 0.0
    if p.plain_numeric_share < 0.5:
        shaped = float(tsample.str.contains(_DATE_SHAPE).mean())
        if shaped >= 0.8:
            dates, _bad, _fmt = parse_dates(tsample)
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


def _kind(p: ColumnProfile) -> str:
    """The one word that sums a profiled column up (see :class:`ColumnProfile`)."""
    rules = [
        (p.date_share >= 0.8, "date"),
        (bool(p.likert), "labels"),
        (p.email_share >= 0.8, "email"),
        (p.distinct <= 2 and p.bool_share >= 0.95, "bool"),
        # a few values with one that is no number ('1', '2', '3+') are categories, not a rating or an amount
        (p.numeric_share >= 0.8 and not (p.other_values and p.distinct <= 20), "number"),
        # free text varies from row to row: a few long answers repeated (an event's name, a survey mode, a rating
        # in sentences, a ticked box) are categories
        ((p.mean_len >= 25 or (p.max_len >= 80 and p.unique_share >= 0.5)) and p.distinct >= 3
         and p.unique_share >= 0.3, "text"),
        (p.unique_share >= 0.95 and p.filled >= 20 and p.mean_len <= 40, "id"),
    ]
    return next((kind for hit, kind in rules if hit), "category")
