"""Headline NPS and n of the real public exports added in w3-real2, recomputed from the raw files.

Each expected value is computed here with pandas straight from the published file (promoters 9-10 minus
detractors 0-6 over the valid 0-10 answers, after the exclusions stated in the example's SOURCE.md), never
copied from the kit's output.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from npsdiag import clean, diagnosis, io
from npsdiag.config import load_config

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _nps_by_hand(scores: pd.Series) -> tuple[float, int]:
    s = pd.to_numeric(scores, errors="coerce")
    s = s[s.between(0, 10) & (s == s.round())]
    n = len(s)
    return 100.0 * ((s >= 9).sum() - (s <= 6).sum()) / n, n


def _headline(example: str) -> tuple[float, int]:
    diag = diagnosis.diagnose(clean.prepare(io.load(load_config(EXAMPLES / example / "config.yml"))))
    doc = diag.to_dict()
    return doc["headline"]["nps"], doc["headline"]["n"]


def test_carpentrycon_2020_headline():
    raw = pd.read_csv(EXAMPLES / "carpentrycon-2020" / "2020_carpentryconhome_raw.csv")
    nps, n = _nps_by_hand(raw["nps"])
    assert n == 124
    assert nps == pytest.approx(100 * (84 - 7) / 124)
    got_nps, got_n = _headline("carpentrycon-2020")
    assert got_n == n
    assert got_nps == pytest.approx(nps, abs=0.05)


def test_carpentries_longterm_2017_headline():
    raw = pd.read_csv(EXAMPLES / "carpentries-longterm-2017" / "data_20170701.csv")
    assert len(raw) == 476
    assert raw["Likely-To-Recommend"].isna().sum() == 74  # the exclusion stated in SOURCE.md
    nps, n = _nps_by_hand(raw["Likely-To-Recommend"])
    assert n == 402
    assert nps == pytest.approx(100 * (215 - 69) / 402)
    got_nps, got_n = _headline("carpentries-longterm-2017")
    assert got_n == n
    assert got_nps == pytest.approx(nps, abs=0.05)


def test_carpentries_longterm_2020_headline_and_a_numeric_segment_reads_as_a_quotation():
    raw = pd.read_csv(EXAMPLES / "carpentries-longterm-2020" / "20200326-longterm-other_questions-no-open.csv")
    assert len(raw) == 176 and raw["recommendation_score"].isna().sum() == 42  # the exclusion in SOURCE.md
    nps, n = _nps_by_hand(raw["recommendation_score"])
    assert n == 134
    assert nps == pytest.approx(100 * (93 - 9) / 134)
    cfg = load_config(EXAMPLES / "carpentries-longterm-2020" / "config.yml")
    diag = diagnosis.diagnose(clean.prepare(io.load(cfg)))
    doc = diag.to_dict()
    assert doc["headline"]["n"] == n and doc["headline"]["nps"] == pytest.approx(nps, abs=0.05)
    titles = [f["title"] for f in doc["findings"]]
    # learners of one workshop against the others: the value "1" is quoted, not glued to the column's name
    assert any(t.startswith("Workshop_attended_amount \u201c1\u201d scores") for t in titles), titles
