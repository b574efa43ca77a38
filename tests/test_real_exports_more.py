"""Real public NPS exports under examples/ (issue 19): the kit's headline NPS and n against a count done here.

Each expected value is computed in the test from the raw file beside the example's config, with pandas and the
exclusions its SOURCE.md states (promoters 9-10 minus detractors 0-6 over the valid answers), never copied
from the kit's output.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from npsdiag import diagnosis
from npsdiag.clean import prepare
from npsdiag.config import load_config
from npsdiag.io import load

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def independent_nps(scores: pd.Series) -> tuple[float, int]:
    """NPS and n of the valid 0-10 answers: numeric, whole, on the scale."""
    s = pd.to_numeric(scores, errors="coerce").dropna()
    s = s[(s >= 0) & (s <= 10) & (s == s.round())]
    return 100 * ((s >= 9).mean() - (s <= 6).mean()), len(s)


def kit_headline(example: str) -> dict:
    return diagnosis.headline(prepare(load(load_config(EXAMPLES / example / "config.yml"))))


def test_botanic_garden_centres():
    # R write.csv output, Latin-1/cp850 text; 'nps' is 1-10 with 342 'NA' (no score): those are the only exclusions
    raw = pd.read_csv(EXAMPLES / "botanic-garden-centres" / "nps.csv", encoding="latin-1")
    nps, n = independent_nps(raw["nps"])
    assert (n, round(nps, 1)) == (13_612, 53.4)
    head = kit_headline("botanic-garden-centres")
    assert head["n"] == n
    assert head["nps"] == pytest.approx(nps, abs=0.05)


def test_carpentries_instructor_training():
    # every row has a date; 78 rows have no LikelyToRecommend (partial submissions): the only exclusions
    raw = pd.read_csv(EXAMPLES / "carpentries-instructor-training" / "20180908_post_clean.csv")
    nps, n = independent_nps(raw["LikelyToRecommend"])
    assert (n, round(nps, 1)) == (889, 48.4)
    head = kit_headline("carpentries-instructor-training")
    assert head["n"] == n
    assert head["nps"] == pytest.approx(nps, abs=0.05)

