"""Property-based: generated exports either load with their values intact or fail with the kit's own error.

Tables with random column names (unicode, blanks, duplicates, delimiters and quotes inside), mixed
values (numbers, labels, decimal commas, text with newlines and quotes), random delimiters and
encodings are written to files and read by :func:`npsdiag.io.load` through a YAML config.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from npsdiag.errors import NpsdiagError
from npsdiag.io import load

ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]
DELIMITERS = [",", ";", "\t", "|"]
LATIN = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 _-().?!/&'éèüößñÅÇØ"
WIDE = LATIN + "日本語Ωж—€😀"
TEXT_EXTRA = "\"',;|\t\n#=+@<>{}[]:"


def _norm(name: str) -> str:
    return " ".join(name.split()).lower()


@st.composite
def export(draw, strict: bool):
    """(file bytes, delimiter, encoding, score name, date name, expected scores, expected dates, explicit delim)."""
    enc = draw(st.sampled_from(ENCODINGS))
    delim = draw(st.sampled_from(DELIMITERS))
    letters = LATIN if enc in ("cp1252", "latin-1") else WIDE
    name_chars = letters if strict else letters + TEXT_EXTRA
    name = st.text(alphabet=name_chars, min_size=0 if not strict else 1, max_size=14)
    if strict:  # plain names: no delimiter or quote characters, non-empty, unique
        name = name.filter(lambda s: s.strip() and not any(c in s for c in ",;|\t\"'") and s.strip() != "_row")
    extras = draw(st.lists(name, min_size=0, max_size=4))
    good_name = st.text(alphabet=letters, min_size=1, max_size=14).filter(
        lambda s: s.strip() and s.strip() != "_row" and not s.strip().startswith("column "))
    score_name = draw(good_name)
    date_name = draw(good_name.filter(lambda s: _norm(s) != _norm(score_name)))
    taken = {_norm(score_name), _norm(date_name)}
    if strict:
        seen = set(taken)
        extras = [e for e in extras if _norm(e) not in seen and not seen.add(_norm(e))]
    else:
        extras = [e for e in extras if _norm(e) not in taken] + draw(st.sampled_from([[], [score_name]]))
    n = draw(st.integers(1, 25))
    score_cell = st.one_of(
        st.integers(0, 10).map(lambda v: (str(v), float(v))),
        st.integers(0, 10).map(lambda v: (f"{v} - {'Extremely likely' if v > 5 else 'Not likely'}", float(v))),
        st.integers(0, 9).map(lambda v: (f"{v},5", v + 0.5)),
        st.integers(0, 10).map(lambda v: (f" {v} ", float(v))),
        st.just(("", math.nan)),
    )
    scores = draw(st.lists(score_cell, min_size=n, max_size=n))
    if strict and all(math.isnan(v) for _, v in scores):
        scores[0] = ("7", 7.0)
    dates = draw(st.lists(st.dates(min_value=pd.Timestamp("2001-01-01").date(),
                                   max_value=pd.Timestamp("2030-12-31").date()), min_size=n, max_size=n))
    date_cells = [d.isoformat() for d in dates]
    # a bare carriage return is a line break to every CSV reader; csv.writer only quotes it with CRLF endings
    extra_cell = st.one_of(st.text(alphabet=letters + TEXT_EXTRA + ("" if strict else "\r"), max_size=30),
                           st.integers(-10**6, 10**6).map(str), st.just(""))
    columns = [(score_name, [c for c, _ in scores]), (date_name, date_cells)]
    columns += [(e, draw(st.lists(extra_cell, min_size=n, max_size=n))) for e in extras]
    order = draw(st.permutations(range(len(columns))))
    columns = [columns[i] for i in order]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delim, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    w.writerow([c for c, _ in columns])
    for i in range(n):
        w.writerow([vals[i] for _, vals in columns])
    content = buf.getvalue().encode(enc)
    explicit = draw(st.booleans())
    return content, delim, enc, score_name, date_name, [v for _, v in scores], dates, explicit


def _write(tmp: Path, content: bytes, score: str, date: str, delim: str | None) -> Path:
    (tmp / "export.csv").write_bytes(content)
    extra = f"  delimiter: {json.dumps(delim)}\n" if delim else ""
    # ensure_ascii=False: YAML does not join JSON's surrogate-pair escapes of characters such as emoji
    cfg = tmp / "client.yml"
    cfg.write_text(f"client: P\nresponses:\n  path: export.csv\n{extra}  columns:\n"
                   f"    score: {json.dumps(score, ensure_ascii=False)}\n"
                   f"    responded_at: {json.dumps(date, ensure_ascii=False)}\n", encoding="utf-8")
    return cfg


COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
              derandomize=True)


@settings(max_examples=30, **COMMON)
@given(export(strict=True))
def test_plain_exports_load_with_their_values(case):
    content, delim, enc, score, date, expected, dates, explicit = case
    note(f"encoding={enc} delimiter={delim!r} score={score!r} date={date!r}")
    with tempfile.TemporaryDirectory() as tmp:
        data = load(_write(Path(tmp), content, score, date, delim if explicit else None))
    got = data.responses["score"].tolist()
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert (math.isnan(g) and math.isnan(e)) or g == e
    assert data.responses["responded_at"].dt.date.tolist() == dates
    assert data.responses["_row"].tolist() == list(range(2, len(expected) + 2)) or any("\n" in c or "\r" in c
                                                                                       for c in [score, date])


@settings(max_examples=20, **COMMON)
@given(export(strict=False))
def test_any_export_loads_or_fails_with_the_kits_error(case):
    content, delim, enc, score, date, expected, dates, explicit = case
    note(f"encoding={enc} delimiter={delim!r} score={score!r} date={date!r}")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            data = load(_write(Path(tmp), content, score, date, delim if explicit else None))
        except NpsdiagError as exc:
            assert exc.problems and all(p.message for p in exc.problems)
            assert "Traceback" not in exc.message
            return
    r = data.responses  # a duplicated score name maps the first such column: values need not be the scores
    assert r["score"].dtype == "float64" and str(r["responded_at"].dtype).startswith("datetime64")
    assert r["_row"].is_monotonic_increasing and len(r) >= 1
