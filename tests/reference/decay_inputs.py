"""Write the decay area's reference input for R: ``python -m tests.reference.decay_inputs``.

``decay_staleness.csv``: the demo client's responses that the score-staleness check relates to their account's
outcome (given at least ``settings.outcome_embargo_days`` before the renewal or churn date), one row per
response: ``account`` (the cluster), ``score``, ``churned`` (0/1) and ``band`` (the age of the score at the outcome
date, :data:`npsdiag.areas.decay.AGE_BANDS_MONTHS`). ``decay_auc_clustered.R`` reads it and writes
``decay_auc_clustered_r.csv``; the tests read both committed CSVs and need neither R nor this script.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.reference.inputs import HERE, demo_prepared


def decay_staleness(prep) -> pd.DataFrame:
    from npsdiag.areas.decay import checks, staleness

    linked = checks.linked_outcomes(checks.gather(prep)).responses
    st = linked.dropna(subset=["outcome_at", "score"])
    age = (st["outcome_at"] - st["responded_at"]).dt.total_seconds() / 86400 / staleness.DAYS_PER_MONTH
    edges = staleness.AGE_BANDS_MONTHS
    labels = [f"{lo:g}-{hi:g} months" if np.isfinite(hi) else f"{lo:g}+ months" for lo, hi in zip(edges[:-1],
                                                                                                   edges[1:])]
    band = pd.cut(age, list(edges), right=False, labels=labels)
    out = pd.DataFrame({"account": "A" + st["account_id"].astype(str), "score": st["score"].astype(float),
                        "churned": st["churned"].astype(int), "band": band.astype(str)})
    return out[band.notna().to_numpy()].reset_index(drop=True)


def main() -> None:
    decay_staleness(demo_prepared()).to_csv(HERE / "decay_staleness.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
