"""Writing a proposal as a commented YAML config (``npsdiag init``)."""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from pathlib import Path

from .guess import TableGuess
from .profile import fmt_n
from .propose import SURVEY_DATE_PLACEHOLDER, Proposal

__all__ = ["render_yaml", "unchecked_lines"]


_YAML_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")  # raw, YAML would drop or fold


def _q(s: object) -> str:
    """A double-quoted YAML scalar (JSON's escapes are YAML's; characters YAML may not hold raw are escaped)."""
    return _YAML_UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(str(s), ensure_ascii=False))


_NOT_IN_COMMENT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def _comment(s: object) -> str:
    """Text for a YAML comment: on one line whatever it holds (a file name with line breaks cannot start a key)."""
    return re.sub(r"\s+", " ", _NOT_IN_COMMENT.sub(" ", str(s))).strip()


def _rel(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return path.resolve().as_posix()


def _read_options(kind: str, t: TableGuess, base: Path, prop: Proposal) -> list[str]:
    """The table's path and read options (sheet, format, delimiter, encoding, day-first dates, survey date)."""
    raw = t.raw
    lines = [f"  path: {_q(_rel(t.path, base))}"]
    if t.sheet is not None:
        lines.append(f"  sheet: {_q(t.sheet)}")
    if raw.format in ("qualtrics", "surveymonkey"):
        note = raw.notes[0] if raw.notes else ""
        lines.append(f"  format: {_q(raw.format)}  # detected: {_comment(note)}")
    elif raw.format == "csv" and raw.delimiter and raw.delimiter != ",":
        lines.append(f"  delimiter: {_q(raw.delimiter)}  # detected")
    if raw.format in ("csv", "qualtrics", "surveymonkey") and raw.encoding not in (None, "utf-8", "utf-8-sig"):
        lines.append(f"  encoding: {_q(raw.encoding)}  # detected (not UTF-8)")
    if t.dayfirst is not None:
        lines.append(f"  dayfirst: {'true' if t.dayfirst else 'false'}  # {_comment(t.dayfirst_reason)}")
    elif t.dayfirst_reason:
        lines.append(f"  # dayfirst: true  # CHECK: {_comment(t.dayfirst_reason)}")
    if kind == "responses" and prop.needs_survey_date:
        lines.append(f"  survey_date: {_q(SURVEY_DATE_PLACEHOLDER)}  # CHECK: the export has no response dates: "
                     "write the date the survey ran (every response is dated so; the report's period is that date)")
    return lines


_FIELD_ORDER = ["score", "responded_at", "response_id", "respondent_id", "account_id", "role", "comment", "invited_at",
                "followed_up_at", "owner", "status", "finished", "churned", "outcome_at", "revenue", "start_at", "name"]


def _column_lines(kind: str, t: TableGuess) -> list[str]:
    """The ``columns:`` block, each guess with its confidence and reason."""
    lines = ["  columns:"]
    if not t.columns:
        lines.append("    {}")
    if kind == "responses" and "score" not in t.columns:
        lines.append(f"    score: {_q('<which column holds the score?>')}  # CHECK: no score column recognised")
    for fld in sorted(t.columns, key=lambda f: _FIELD_ORDER.index(f) if f in _FIELD_ORDER else 99):
        g = t.columns[fld]
        flag = "CHECK " if g.confidence == "low" else ""
        lines.append(f"    {fld}: {_q(g.column)}  # {flag}{g.confidence}: {_comment(g.reason)}")
    return lines


def _list_lines(t: TableGuess, kind: str) -> list[str]:
    """Churn values, score labels, segments, drivers and the columns not used."""
    lines = []
    if t.churn_values:
        lines.append(f"  churn_values: [{', '.join(_q(v) for v in t.churn_values)}]  # values that mean churned")
    if kind == "responses" and t.score_labels:
        lines.append("  score_labels:  # answer labels read as numbers (score and drivers)")
        for k, v in sorted(t.score_labels.items(), key=lambda kv: (kv[1], kv[0])):
            note = t.score_label_notes.get(k)
            lines.append(f"    {_q(_comment(k))}: {v}" + (f"  # CHECK: {_comment(note)}" if note else ""))
    for key, guesses in (("segments", t.segments), ("drivers", t.drivers)):
        if guesses:
            lines.append(f"  {key}:")
            lines += [f"    - {_q(g.column)}  # {g.confidence}: {_comment(g.reason)}" for g in guesses]
        if key == "segments" and t.more_segments:
            lines.append("  # more segment candidates: " + _comment(", ".join(t.more_segments)))
    lines += [f"  # {_comment(a)}" for a in t.advice]
    if t.not_used:
        lines.append("  # not used: " + _comment("; ".join(f"{c} ({why})" for c, why in t.not_used[:12])
                                                + (" …" if len(t.not_used) > 12 else "")))
    return lines


def _table_yaml(kind: str, t: TableGuess, base: Path, prop: Proposal) -> list[str]:
    return [f"{kind}:", *_read_options(kind, t, base, prop), *_column_lines(kind, t), *_list_lines(t, kind)]


_MARKED = re.compile(r"^\s*(?:- )?(?P<key>[^#\s][^:]*?):\s*(?P<value>.*?)\s+# (?:CHECK\b)")


def unchecked_lines(config: str | Path) -> list[str]:
    """What ``npsdiag validate`` says of a config's lines that ``npsdiag init`` marked CHECK and nobody cleared.

    Returns no line when none is left (or the file cannot be read: validate reports that itself). A survey
    date still marked CHECK gets a line of its own: every response is dated so and the report's period is it.
    """
    try:
        text = Path(config).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return []
    marked = []
    for i, line in enumerate(text.splitlines(), 1):
        at = line.rfind("  # CHECK")
        m = _MARKED.match(line[: at + 9]) if at > 0 else None
        if m:
            marked.append((i, m["key"].strip().strip('"'), m["value"].strip().strip('"')))
    out = []
    for i, key, value in marked:
        if key == "survey_date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            out.append(f"CHECK: survey_date {value} (line {i}) is not read from the data: every response is dated "
                       "so, and the report's period is that date. Confirm it is the date the survey ran, then "
                       "delete CHECK on that line.")
    if marked:
        out.append(f"{len(marked)} line(s) proposed by `npsdiag init` are still marked CHECK: "
                   + ", ".join(f"line {i} ({_comment(key)[:40]})" for i, key, _ in marked)
                   + ". Confirm each, then delete CHECK on it.")
    return out


def render_yaml(prop: Proposal, output: Path) -> str:
    """The proposal as a commented YAML config, with paths relative to ``output``'s folder."""
    base = output.parent
    today = _dt.date.today().isoformat()
    lines = [f"# Proposed by `npsdiag init` on {today}. Every guess says why, and how sure it is",
             "# (high / medium / low). Check the lines marked CHECK, then run",
             f"#   npsdiag validate {_comment(output.name)}",
             f"#   npsdiag run {_comment(output.name)}",
             "# Paths are relative to this file's folder."]
    for kind, t in prop.tables.items():
        raw = t.raw
        how = [raw.format]
        if raw.encoding:
            how.append(raw.encoding)
        if raw.delimiter:
            how.append(f"delimiter {raw.delimiter!r}")
        lines.append(f"#   {kind}: {_comment(t.title)} ({_comment(', '.join(how))}; {fmt_n(len(raw.frame))} rows)"
                     + (" - the same file (a flat export)" if kind == "accounts" and prop.flat_accounts else ""))
    for f, why in prop.unused:
        lines.append(f"#   not used: {_comment(Path(f).name)}: {_comment(why)}")
    what = (f"{_comment(prop.client_source)} (not known): write " if prop.client_source else "") + \
        "the client's name as shown on the report"
    lines.append(f"client: {_q(prop.client)}  # CHECK: {what}")
    for kind in ("responses", "accounts", "invitations", "contacts"):
        if kind in prop.tables:
            lines.extend(_table_yaml(kind, prop.tables[kind], base, prop))
    if prop.settings:
        lines.append(f"settings:  # {_comment(prop.settings_reason)}")
        for k, v in prop.settings.items():
            lines.append(f"  {k}: {json.dumps(v)}")  # numbers and lists of numbers: JSON is YAML
    return "\n".join(lines) + "\n"
