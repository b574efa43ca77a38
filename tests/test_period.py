"""``settings.period`` restricts every dated table at one point (clean.prepare): a period-restricted run equals
a run on the same data filtered to that period beforehand."""

from __future__ import annotations

import dataclasses

import pandas as pd

from npsdiag import clean, diagnosis, io
from npsdiag.config import load_config

PERIOD = ("2025-01-01", "2025-12-31")


def _in_period(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    d = frame[column]
    keep = (d >= pd.Timestamp(PERIOD[0])) & (d < pd.Timestamp(PERIOD[1]) + pd.Timedelta(days=1))
    return frame[keep.fillna(False).to_numpy(dtype=bool)].reset_index(drop=True)


def _areas(prep) -> dict:
    doc = diagnosis.diagnose(prep).to_dict()
    # the exclusions differ by design (rows outside the period are counted as such in one run only)
    keep = [f for f in doc["findings"] if f["area"] != "reliability"]
    return {"headline": doc["headline"], "findings": keep,
            "areas": {k: v for k, v in doc["areas"].items() if k != "reliability"}}


def test_a_period_restricted_run_equals_a_run_on_prefiltered_data(root):
    cfg = load_config(root / "examples" / "demo" / "config.yml")
    restricted_cfg = dataclasses.replace(cfg, settings=dataclasses.replace(cfg.settings, period=PERIOD))
    data = io.load(cfg)
    restricted = clean.prepare(dataclasses.replace(data, config=restricted_cfg))
    prefiltered = clean.prepare(dataclasses.replace(data, responses=_in_period(data.responses, "responded_at"),
                                                    invitations=_in_period(data.invitations, "invited_at")),
                                as_of=restricted.as_of)
    assert len(restricted.responses) == len(prefiltered.responses) > 0
    assert len(restricted.invitations) == len(prefiltered.invitations) < len(data.invitations)
    a, b = _areas(restricted), _areas(prefiltered)
    assert a == b
