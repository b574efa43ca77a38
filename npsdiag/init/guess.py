"""Guessing what each export is and how its columns map to npsdiag's fields (``npsdiag init``).

:func:`guess_table` profiles an export and scores how much it looks like responses, accounts, invitations
or contacts; :func:`classify` picks one export per table and maps its columns (score, dates, ids, role,
comment, owner, churn, revenue, segments, drivers), each guess with its reason and how sure it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import ROW, RawTable, parse_numbers
from .profile import ColumnProfile, fmt_n, norm_name, profile_columns, short
from .waves import reshape_advice, wave_group

__all__ = ["Guess", "TableGuess", "guess_table", "classify", "is_outcome", "segments_of", "configure_table",
           "role_column", "MAX_SEGMENTS"]

MAX_SEGMENTS = 6  #: segments proposed; further candidates are listed as a comment

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
    r"distance|refunds?|bidnum|version|users?|seats?|licen[cs]es?|employees|headcount|staff|members|logins?|"
    r"sessions|visits|orders|tickets|calls|transactions|accounts|children|nights|rooms|devices|projects)\b")
#: a name that says rating overrides :data:`_NOT_A_RATING` ("Product quality", "Price rating")
_RATING_NAME = re.compile(r"\b(rate|rating|ratings|quality|satisf\w*|agree\w*|recommend\w*|nps|ltr|"
                          r"how (likely|satisfied|easy|useful|helpful|would you rate))\b")
_ID = re.compile(r"\b(id|ids|identifier|key|ref|reference|uuid|guid|code|number|no)\b|id$")
_RESPONSE_ID = re.compile(r"\b(response|responseid|record|submission|survey response|answer)\b.*\b(id|key|number)\b"
                          r"|^response id$|^record id$|^id$")
_RESPONDENT_ID = re.compile(r"\b(respondent|contact|person|user|participant|member|panelist|customer|client)\b.*"
                            r"\b(id|key|number|no|code)\b")
_ACCOUNT_ID = re.compile(r"\b(account|acct|company|organisation|organization|org|client|customer|tenant|"
                         r"subscriber)\b.*\b(id|key|number|no|code|ref)\b|^(account|acct|company|customer|client)$")
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
#: names that say churn by themselves; the others of :data:`_CHURN` ("status", "retained") only with churn values
_CHURN_NAME = re.compile(r"\b(churn\w*|exited|attrition|cancel\w*|terminated|defected)\b")
_CHURN_VALUES = re.compile(r"^(churn\w*|lost|cancel\w*|terminated|left|exited|closed lost|inactive|defected|"
                           r"non renew\w*|not renewed|lapsed)$")
_RETAINED_VALUES = re.compile(r"^(active|retained|renewed|current|stayed|live|paying)$")
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
                           r"sub type|subtype|line of business|lob|qtr|wave|event|events|course|courses|session|"
                           r"mode|venue|format|method|trainer|instructor|programme|program|cohort|office|city|"
                           r"state|province|territory|division|unit|sector|partner|platform|device)\b")
_QUALTRICS_META = {"status", "ip address", "ipaddress", "progress", "duration in seconds", "finished",
                   "recipient last name", "recipient first name", "recipient email", "external reference",
                   "external data reference", "location latitude", "location longitude", "distribution channel",
                   "user language", "solution revision", "q total duration", "q url", "q recaptcha score",
                   "q relevant id duplicate", "q relevant id duplicate score", "q relevant id fraud score"}
_NPS_FLAGS = {"promoter", "promoters", "passive", "passives", "detractor", "detractors", "neutral"}
_SURVEYMONKEY_META = {"collector id", "ip address", "email address", "first name", "last name", "custom data 1",
                      "start date"}


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
    waves: list[str] = field(default_factory=list)  #: score columns of the same question, one per wave, earliest first
    advice: list[str] = field(default_factory=list)  #: lines written as comments under the table (e.g. how to reshape)

    @property
    def title(self) -> str:
        return self.path.name + (f" [sheet {self.sheet}]" if self.sheet is not None else "")

    def profile(self, column: str) -> ColumnProfile | None:
        return next((p for p in self.profiles if p.name == column), None)


def is_outcome(p: ColumnProfile) -> bool:
    """Whether a column holds the accounts' outcome (or is derived from it): its name says churn, or it is a
    status (retained, renewed...) whose values say churned or retained. "Seniority status" is no outcome."""
    if _CHURN_NAME.search(p.norm):
        return True
    if not _CHURN.search(p.norm) or _ID.search(p.norm):
        return False
    return p.kind == "bool" or any(_CHURN_VALUES.match(norm_name(v)) or _RETAINED_VALUES.match(norm_name(v))
                                   for v in p.top)


def _confidence(points: float) -> str:
    return "high" if points >= 4 else "medium" if points >= 2.5 else "low"


def _name_points(text: str, table: list[tuple[str, float, str]]) -> tuple[float, list[str]]:
    pts, why = 0.0, []
    for pat, p, reason in table:
        if re.search(pat, text):
            pts += p
            why.append(reason)
    return pts, why


def _rating_fit(p: ColumnProfile, named_score: bool = False) -> tuple[float, tuple[int, int] | None, str]:
    """How much a column's values look like a rating, the scale they suggest, and why.

    A column with values that are no numbers among its few numbers ('1', '2', '3+') is a category, no rating,
    unless its name says it is the score (a "Don't know" answer beside 0-10 is then excluded row by row)."""
    if p.likert:
        near = f", {len(p.likert_near)} near-miss spelling(s)" if p.likert_near else ""
        return 1.2, (1, 5), f"answers of a 5-point {p.likert} scale{near}"
    kinds = ("number", "bool", "category") if named_score else ("number", "bool")
    if p.kind not in kinds or p.min is None or p.numeric_share < 0.8 or not p.integer:
        return 0.0, None, ""
    if p.rating_share < 0.95 or p.rating_min is None or p.distinct < 2:
        return 0.0, None, ""
    lo, hi = p.rating_min, p.rating_max
    labelled = p.plain_numeric_share < 0.9
    how = "labelled values such as '10 - Extremely likely'" if labelled else "whole numbers"
    if p.rating_share < 1:
        how = f"{1 - p.rating_share:.1%} of values outside 0-10 (they will be excluded); " + how
    if lo >= 1 and hi <= 5:  # a 1-5 rating only when the answers span most of it: 1-3 codes three answers
        if hi - lo >= 3 or (hi == 5 and hi - lo >= 2):
            return 1.0, (1, 5), f"{how} {lo:g}-{hi:g} (a 1-5 rating)"
        return 0.0, None, ""
    if lo >= 1 and hi <= 7:  # rare as a rating, common as a count: a driver only when its name says rating
        return 0.6, (1, 7), f"{how} {lo:g}-{hi:g} (a 1-7 rating)"
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
        if _NOT_A_RATING.search(p.norm) and name_pts < 3 and not _RATING_NAME.search(p.text):
            continue
        fit, scale, vwhy = _rating_fit(p, named_score=name_pts >= 3)
        if fit and p.other_values:
            vwhy += f"; {1 - p.numeric_share:.1%} of values are no number (e.g. '{short(p.other_values[0], 20)}')"
        if not fit or (p.distinct < 3 and name_pts < 3):
            continue
        reason = "; ".join([*why, vwhy]) + f" ({fmt_n(p.filled)} of {fmt_n(p.rows)} rows filled)"
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
                                             f"unique per row ({fmt_n(p.distinct)} values); its name says so")
            used.add(p.name)
            break
    email = next((p for p in profs if p.name not in used and p.kind == "email"), None)
    cust = next((p for p in profs if p.name not in used and _ACCOUNT_ID.search(p.norm)
                 and p.kind in ("id", "category", "number", "text") and p.filled), None)
    if cust is not None and re.search(r"\b(customer|client)\b", cust.norm) and not customer_is_account:
        t.columns["respondent_id"] = Guess("respondent_id", cust.name, "medium",
                                           f"a customer id ({fmt_n(cust.distinct)} values); with no account "
                                           "table it identifies the respondent (repeat answers)")
        used.add(cust.name)
        cust = None
    if cust is not None:
        t.columns["account_id"] = Guess("account_id", cust.name, "high" if "account" in cust.norm else "medium",
                                        f"its name says account/customer id ({fmt_n(cust.distinct)} values)")
        used.add(cust.name)
    if email is not None:
        t.columns["respondent_id"] = Guess("respondent_id", email.name, "high",
                                           f"e-mail addresses ({email.email_share:.0%} of values)")
        used.add(email.name)
    elif "respondent_id" not in t.columns:
        p = next((p for p in profs if p.name not in used and _RESPONDENT_ID.search(p.norm)), None)
        if p is not None:
            t.columns["respondent_id"] = Guess("respondent_id", p.name, "medium",
                                               f"its name says respondent/contact id ({fmt_n(p.distinct)} values)")
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
        _comment_field(t, profs, used)


MIN_COMMENT_FILL = 0.10  #: an unnamed free-text column filled on fewer rows is an "other (please specify)" box
_OTHER_BOX = re.compile(r"\b(other|others|specify|please specify)\b")


def _asks_why(p: ColumnProfile) -> bool:
    """Whether a column's name (or question) asks why / for comments, and not for an 'other (please specify)'."""
    return bool(_COMMENT.search(p.text)) and not _OTHER_BOX.search(p.text)


def _comment_field(t: TableGuess, profs: list[ColumnProfile], used: set[str]) -> None:
    """The comment: free text filled enough, or named as a why-question; a sparse box is never the reason."""
    texts = [p for p in profs if p.name not in used and (p.kind == "text" or (
        p.kind in ("category", "id") and _COMMENT.search(p.text) and p.mean_len >= 8 and p.distinct > 5
        and p.unique_share >= 0.3 and not p.rating_words))]
    if not texts:
        return
    texts.sort(key=lambda p: (not _asks_why(p), p.fill_share < MIN_COMMENT_FILL, p.kind != "text", -p.filled,
                              p.position))
    c = texts[0]
    named = _asks_why(c)
    if named or (c.fill_share >= MIN_COMMENT_FILL and not _OTHER_BOX.search(c.text)):
        t.columns["comment"] = Guess("comment", c.name, "high" if named and c.kind == "text" else "medium",
                                     f"{c.describe()}" + ("; its name asks why / for comments" if named else ""))
        used.add(c.name)
        texts = texts[1:]
    elif texts:
        t.checks.append(
            f"{t.title}: no comment column: the free-text columns ({', '.join(short(p.name, 30) for p in texts[:4])}"
            f"{' …' if len(texts) > 4 else ''}) are filled on few rows ({c.fill_share:.0%} at most) and none is named "
            "as a why-question: each looks like an 'other (please specify)' box (low confidence at most); map one as "
            "`comment:` only if it asks for the reason for the score")
    for other in texts:
        sparse = other.fill_share < MIN_COMMENT_FILL or _OTHER_BOX.search(other.text)
        t.not_used.append((other.name, f"a sparse free-text box ({fmt_n(other.filled)} of {fmt_n(other.rows)} rows; "
                                       "an 'other (please specify)'?), not the reason for the score (low)" if sparse
                           else "another free-text column (only one comment column is analysed)"))
        used.add(other.name)


_TOTAL = re.compile(r"\b(total|overall|sum|combined|grand|all)\b")
_ANNUAL = re.compile(r"\b(arr|annual recurring|acv|annual)\b")


def _amounts(t: TableGuess, columns: list[str], rows: int = 5000) -> pd.DataFrame:
    """The columns' money amounts on the first rows (missing as 0)."""
    head = t.raw.frame.head(rows)
    return pd.DataFrame({c: parse_numbers(head[c].astype("string")) for c in columns}).fillna(0.0)


def _sum_of_others(t: TableGuess, rev: list[ColumnProfile]) -> ColumnProfile | None:
    """A revenue column that is the sum of the others (a total not named so), row by row."""
    if len(rev) < 3:
        return None
    amounts = _amounts(t, [p.name for p in rev])
    total = amounts.sum(axis=1)
    for p in rev:
        rest = total - amounts[p.name]
        if (np.abs(amounts[p.name] - rest) <= 0.005 * np.maximum(amounts[p.name].abs(), 1)).mean() >= 0.95:
            return p
    return None


def _revenue(t: TableGuess, rev: list[ColumnProfile], used: set[str]) -> None:
    """The account's revenue: a total over several revenue columns where there is one, else the one named
    ARR/annual, else (several product-line columns and no total) the largest, saying which and why."""
    if not rev:
        return
    rev.sort(key=lambda p: (not _ANNUAL.search(p.norm), not re.search(r"\b(arr|mrr|acv|revenue|annual)\b", p.norm),
                            p.position))
    r, why = rev[0], ""
    exact = bool(_ANNUAL.search(r.norm))
    named_total = [p for p in rev if _TOTAL.search(p.norm)]
    summed = None if named_total else _sum_of_others(t, rev)
    if len(rev) > 1 and (named_total or summed):
        r = named_total[0] if named_total else summed
        exact, why = True, f"; the total of the {len(rev)} revenue columns" + (
            "" if named_total else " (it equals the sum of the others row by row)")
    elif len(rev) > 1 and sum(bool(_ANNUAL.search(p.norm)) for p in rev) != 1:
        sums = _amounts(t, [p.name for p in rev]).sum()
        r = next(p for p in rev if p.name == sums.idxmax())
        exact = False
        why = (f"; one of {len(rev)} revenue columns ({', '.join(short(p.name, 24) for p in rev)}) and none is "
               f"their total: the largest ({sums.max() / max(sums.sum(), 1e-9):.0%} of their sum on the first rows); "
               "coverage by revenue weighs accounts by it alone: add a total column (their sum) to the export and "
               "map it as revenue")
    t.columns["revenue"] = Guess("revenue", r.name, "high" if exact else "low",
                                 f"money amounts ({r.describe()})" + (why or ("" if exact else
                                 "; not named ARR: coverage shares use it as the account's weight")))
    used.add(r.name)
    for p in rev:
        if p.name != r.name:
            t.not_used.append((p.name, "another revenue column"))
            used.add(p.name)


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
                                            else "medium", f"unique per row ({fmt_n(cand.distinct)} values); "
                                            "its name says account/customer id")
            used.add(cand.name)
    churn = [p for p in profs if p.name not in used and is_outcome(p) and p.kind in ("bool", "category",
                                                                                            "number")]
    bools = [p for p in churn if p.kind == "bool" or (p.distinct == 2 and p.bool_share >= 0.95)]
    if bools:
        bools.sort(key=lambda p: ("churn" not in p.norm, p.kind != "number", p.position))
        b = bools[0]
        t.columns["churned"] = Guess("churned", b.name, "high" if "churn" in b.norm or "exited" in b.norm else "medium",
                                     f"yes/no values ({', '.join(short(x, 12) for x in b.top[:2])}); its name says "
                                     "churn")
        used.add(b.name)
    else:
        for p in churn:
            hits = [v for v in p.top + [] if _CHURN_VALUES.match(norm_name(v))]
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
    _revenue(t, [p for p in profs if p.name not in used and p.kind == "number" and _REVENUE.search(p.norm)
                 and (p.min is None or p.min >= 0)], used)
    _date_fields(t, used, {"outcome_at": _OUTCOME_AT, "start_at": _START_AT},
                 {"outcome_at": ["renewal date", "churn date", "cancellation date", "outcome date"],
                  "start_at": ["customer since", "start date", "signup date"]})
    nm = next((p for p in profs if p.name not in used and p.kind in ("category", "id", "text")
               and _ACCOUNT_NAME.search(p.norm) and not re.search(r"\b(surname|first|last)\b", p.norm)), None)
    if nm is not None:
        t.columns["name"] = Guess("name", nm.name, "medium", "its name says account/company name")
        used.add(nm.name)


_ID_WORDS = {"id", "ids", "code", "codes", "number", "no", "num", "key", "ref", "name"}


def _small_whole_numbers(p: ColumnProfile) -> bool:
    """Whole numbers within 0-10 with at least three values (as ratings are written)."""
    return p.kind == "number" and p.integer and p.rating_share == 1 and p.distinct >= 3 and p.max is not None \
        and p.max <= 10


def _names_a_grouping(norm: str) -> bool:
    """Whether a name is the grouping itself ('store', 'region code', 'wave'), not something about it
    ('session materials': a rating of the session's materials)."""
    words = norm.split()
    return bool(words) and all(w in _ID_WORDS or _SEGMENT_HINT.fullmatch(w) for w in words)


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
        if p.kind == "labels" or p.rating_words or (p.kind == "number" and _RATING_NAME.search(p.text)) or (
                p.kind == "category" and p.distinct <= 12 and re.search(r"\b(rate|rating|ratings)\b", p.text)):
            t.not_used.append((p.name, f"answers of a rating ({p.describe()}): an attitude, not a segment"))
            continue
        if hint and _small_whole_numbers(p) and not _names_a_grouping(p.norm):
            t.not_used.append((p.name, f"small whole numbers ({p.describe()}) about, not naming, a grouping: answers "
                                       "of a rating, not a segment"))
            continue
        if p.distinct == 1 and p.norm in _NPS_FLAGS:
            t.not_used.append((p.name, "the NPS category as a flag, derived from the score (not a segment)"))
            continue
        if p.distinct == 1 and p.fill_share < 0.95:
            t.not_used.append((p.name, f"one value ('{short(p.top[0], 40)}' on {fmt_n(p.filled)} rows, the others "
                                       "blank): a ticked box, neither a comment nor a segment"))
            continue
        ok_kind = p.kind in ("category", "bool") or (p.kind in ("number", "id") and hint)
        per_level = p.sample_filled / max(p.distinct, 1)
        # a column named as a segment (event, store, course) may have many values, each on several responses
        most = max(cap, min(200, t.raw.frame.shape[0] // 3)) if hint else cap
        if not ok_kind or p.distinct < 2 or p.distinct > most or per_level < 3 or p.mean_len > (100 if hint else 60):
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
    has_churn = any(is_outcome(p) and p.kind in ("bool", "category", "number") and p.distinct >= 2
                    and (p.kind == "bool" or p.distinct == 2 or any(_CHURN_VALUES.match(norm_name(v)) for v in p.top))
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


def _configure_score(t: TableGuess, cands: list, used: set[str]) -> None:
    """Map the best score candidate (with its scale and answer labels) and note the alternatives."""
    if not cands:
        return
    waves = wave_group(cands[0][1].name, [c[1].name for c in cands])
    if waves:  # one score column per wave: the latest is the score, the others are no drivers of it
        cands = sorted(cands, key=lambda c: c[1].name != waves[-1])
        t.waves = waves
        used.update(waves)
        for w in waves[:-1]:
            t.not_used.append((w, "the same question in another wave (not a driver): reshape to use every wave"))
        t.checks.append(
            f"{t.title} holds one score column per wave ({', '.join(waves)}): only '{waves[-1]}', the latest, is "
            "analysed, and the other waves are not drivers. To use every wave, reshape the export to one row per "
            "response and wave with the Python lines written in the config (a pandas melt), fill in each wave's "
            "date, and run `npsdiag init` on the new file")
        t.advice = ["one score column per wave: to analyse every wave, reshape to one row per response and wave "
                    "(then run `npsdiag init` on the new file):", *reshape_advice(t.path, waves, t.sheet)]
    pts, p, scale, reason = cands[0]
    t.columns["score"] = Guess("score", p.name, _confidence(pts), reason + (
        f"; the latest of {len(waves)} waves" if waves else ""))
    used.add(p.name)
    t.scale, t.scale_reason = scale, reason
    if p.likert:
        t.score_labels = dict(p.likert_map)
        t.score_label_notes = {k: f"read as '{v}' (near-miss spelling)" for k, v in p.likert_near.items()}
    if p.label:
        t.columns["score"].reason += f"; question: {short(p.label, 80)}"
    t.score_alternatives = [f"{c[1].name} ({_confidence(c[0])})" for c in cands[1:4]
                            if c[0] >= pts - 1 and c[1].name not in waves]
    if scale == (0, 10) and p.min is not None and p.min >= 1 and p.filled >= 200 and p.max == 10:
        t.checks.append(f"no score of 0 among {fmt_n(p.filled)} in '{p.name}': if the survey asked 1-10, "
                        "set `settings: {scale: [1, 10]}` (categories stay 0-6/7-8/9-10, so 1 is a detractor)")


_RESPONSE_DATES = {"responded_at": ["recorded date", "response date", "submitted", "submitted at", "date submitted",
                                    "end date", "completion date", "completed", "timestamp", "customer response date",
                                    "responded at", "survey date", "date"],
                   "invited_at": ["invitation date", "invited at", "sent date", "sent at", "date sent", "sent"],
                   "followed_up_at": ["follow up date", "followed up at", "follow up", "case closed", "closed date"]}


def _configure_response_dates(t: TableGuess, used: set[str]) -> None:
    """Invitation, follow-up and response dates; the other date columns are listed as not used."""
    dates = [p for p in t.profiles if p.kind == "date"]
    _date_fields(t, used, {"invited_at": _INVITED, "followed_up_at": _FOLLOWED}, _RESPONSE_DATES)
    _date_fields(t, used, {"responded_at": _RESPONDED}, _RESPONSE_DATES)
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


def _configure_drivers(t: TableGuess, cands: list, used: set[str]) -> None:
    """Other ratings on a 0-10 or 5-point scale become drivers (their answer labels are read too)."""
    for pts, p, _scale, reason in cands[1:]:
        if p.name in used or pts < 0.8 or (_names_a_grouping(p.norm) and not _RATING_NAME.search(p.text)):
            continue  # a column named as a grouping ('store' 1-5) is a segment, not a rating
        if _name_points(p.text, _SCORE_NAMES)[0] >= 3:  # named as the score: the same question, never its driver
            t.not_used.append((p.name, "another score candidate (its name asks about recommending / says NPS): the "
                                       "same question asked another way, not a driver of the score"))
            used.add(p.name)
            continue
        if p.likert:
            clash = {k for k, v in p.likert_map.items() if (t.score_labels or {}).get(k, v) != v}
            if clash:
                continue
            t.score_labels = {**(t.score_labels or {}), **p.likert_map}
            t.score_label_notes.update({k: f"read as '{v}' (near-miss spelling)" for k, v in p.likert_near.items()})
        t.drivers.append(Guess("driver", p.name, "medium" if pts >= 2 else "low", reason))
        used.add(p.name)


def _configure_responses(t: TableGuess, customer_is_account: bool, account_id_hint: str | None) -> None:
    used: set[str] = set()
    cands = _score_candidates(t.profiles)
    _configure_score(t, cands, used)
    _survey_tool_status(t, used)
    _configure_response_dates(t, used)
    if t.kind_points.get("accounts", 0) >= 3:  # flat export: outcome columns are no comment, segment or driver
        for p in t.profiles:
            if p.name not in used and is_outcome(p) and not _ID.search(p.norm):
                t.not_used.append((p.name, "an outcome column: it would leak the outcome into the survey analysis"))
                used.add(p.name)
    if account_id_hint and account_id_hint in {p.name for p in t.profiles}:
        t.columns["account_id"] = Guess("account_id", account_id_hint, "high",
                                        "its values match the accounts table's ids")
        used.add(account_id_hint)
    _ids(t, used, customer_is_account)
    _text_fields(t, used)
    _configure_drivers(t, cands, used)
    _segments(t, used)


def _value_overlap(a: pd.Series, b: pd.Series) -> float:
    sa = set(a.dropna().astype(str).str.strip().head(50_000))
    sb = set(b.dropna().astype(str).str.strip().head(50_000))
    return len(sa & sb) / len(sa) if sa else 0.0


def _link_column(resp: TableGuess, other: TableGuess, other_col: str) -> str | None:
    """The responses column holding the other table's ids (same name, else the most overlapping values)."""
    names = {norm_name(c): c for c in resp.raw.frame.columns if c != ROW}
    if norm_name(other_col) in names:
        return names[norm_name(other_col)]
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
    acc_hint = _configure_accounts(chosen["accounts"], resp) if "accounts" in chosen else None
    _configure_responses(resp, customer_is_account=flat or "accounts" in chosen, account_id_hint=acc_hint)
    if "accounts" in chosen:  # account segments already on the responses add nothing
        acc = chosen["accounts"]
        on_resp = {norm_name(g.column) for g in resp.segments} | {norm_name(g.column) for g in resp.columns.values()}
        acc.segments = [g for g in acc.segments if norm_name(g.column) not in on_resp]
    if flat:
        chosen["accounts"] = _flat_accounts(resp)
    for kind in ("invitations", "contacts"):
        if kind in chosen:
            _configure_simple(chosen[kind], kind, resp)
    return chosen, unused, flat


def _configure_accounts(acc: TableGuess, resp: TableGuess) -> str | None:
    """Map the accounts export first; returns the responses column holding its ids (None when none is found)."""
    _accounts_fields(acc, set())
    hint = _link_column(resp, acc, acc.columns["account_id"].column) if "account_id" in acc.columns else None
    skip = {g.column for g in acc.columns.values()}
    for p in acc.profiles:
        if _OWNER.search(p.norm) and p.name not in skip:
            acc.not_used.append((p.name, "the account's owner (map `owner:` on the responses if needed)"))
            skip.add(p.name)
    _segments(acc, skip)
    return hint


def _flat_accounts(resp: TableGuess) -> TableGuess:
    """The accounts of a flat export: its account columns, repeated on every response row."""
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
    return flat_acc


def role_column(t: TableGuess, exclude: set[str]) -> ColumnProfile | None:
    """The column of a table that holds people's role (by its name: role, persona, job title, seniority)."""
    return next((p for p in t.profiles if p.name not in exclude and p.filled and p.kind in ("category", "bool")
                 and _ROLE.search(p.text) and p.distinct <= 50), None)


def segments_of(t: TableGuess, used: set[str]) -> None:
    """Propose the table's segment columns (those not in ``used``), as for the responses."""
    _segments(t, used)


def configure_table(t: TableGuess, kind: str, resp: TableGuess) -> None:
    """Map an invitations or contacts export: its dates, the ids the responses have too, the role."""
    t.kind = kind
    _configure_simple(t, kind, resp)


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
            same = next((p for p in t.profiles if p.norm == norm_name(resp.columns[fld].column)), None)
            if same is not None and same.name not in used:
                t.columns[fld] = Guess(fld, same.name, "high", f"same column name as in the responses ({fld})")
                used.add(same.name)
    _ids(t, used, customer_is_account=True)
    _text_fields(t, used, with_comment=False, with_owner=False)
    if kind == "invitations" and "response_id" in t.columns and "response_id" not in resp.columns:
        del t.columns["response_id"]
