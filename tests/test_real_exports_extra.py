"""Real public NPS exports added in w3-real3 (issue 19): the kit's headline NPS and n against a count done here.

Each expected value is computed in the test from the raw file beside the example's config, with pandas and the
exclusions its SOURCE.md states (promoters 9-10 minus detractors 0-6 over the valid answers), never copied from
the kit's output.
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


def kit_headline(example: str) -> dict:
    return diagnosis.headline(prepare(load(load_config(EXAMPLES / example / "config.yml"))))


def test_rstudio_r_community_2019():
    # Google Forms export; the recommend question is 1-10 (no 0). The only exclusions are the 43 rows without a
    # score (8 non-users routed past it, 31 empty submissions, 4 skips): SOURCE.md.
    folder = EXAMPLES / "rstudio-r-community-2019"
    raw = pd.read_csv(folder / "2019 English R Community Survey Responses.csv")
    assert len(raw) == 1_838
    score = raw["How likely are you to recommend R to a colleague, friend, or family member?"]
    assert score.isna().sum() == 43
    s = score.dropna()
    assert s.between(1, 10).all() and (s == s.round()).all()
    promoters, detractors = int((s >= 9).sum()), int((s <= 6).sum())
    assert (len(s), promoters, detractors) == (1_795, 1_386, 58)
    nps = 100 * (promoters - detractors) / len(s)
    assert round(nps, 1) == 74.0
    head = kit_headline("rstudio-r-community-2019")
    assert head["n"] == len(s)
    assert head["nps"] == pytest.approx(nps, abs=0.05)


def test_rstudio_r_community_2018():
    # Google Forms response sheet, tab-separated; the recommend question is 1-10 (no 0). The only exclusions are
    # the 61 rows without a score (59 routed to the non-user questions, 2 empty submissions): SOURCE.md.
    folder = EXAMPLES / "rstudio-r-community-2018"
    raw = pd.read_csv(folder / "Learning R Internet Survey - Form Responses 1.tsv", sep="\t")
    assert len(raw) == 3_062
    score = raw["How likely are you to recommend R to a colleague, friend, or family member?"]
    assert score.isna().sum() == 61
    s = score.dropna()
    assert s.between(1, 10).all() and (s == s.round()).all()
    promoters, detractors = int((s >= 9).sum()), int((s <= 6).sum())
    assert (len(s), promoters, detractors) == (3_001, 2_294, 130)
    nps = 100 * (promoters - detractors) / len(s)
    assert round(nps, 1) == 72.1
    head = kit_headline("rstudio-r-community-2018")
    assert head["n"] == len(s)
    assert head["nps"] == pytest.approx(nps, abs=0.05)
