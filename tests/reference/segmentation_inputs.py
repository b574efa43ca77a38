"""Write the input of the segmentation area's R references: ``python -m tests.reference.segmentation_inputs``.

``segmentation_demo.csv``: the demo client's analysed responses (as ``npsdiag run examples/demo/config.yml``
prepares them), one row per response: ``account`` (the cluster; a response without an account is its own),
``x`` (-1 detractor, 0 passive, +1 promoter), ``period`` (the two periods the area compares, "2024" and
"2025"), and the segment columns ``Region``, ``Plan``, ``Industry`` (a missing value as "(missing)"), plus
``tested_Region``... (1 where the response's value has at least ``min_n`` responses: the values the chi-square
across a dimension tests).

``segmentation_mix_rate.R`` and ``segmentation_chisq.R`` read it and write ``segmentation_mix_rate_r.csv`` and
``segmentation_chisq_r.csv``, which ``tests/test_segmentation.py`` compares with; neither R nor this script runs
in the test suite.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DIMENSIONS = ("Region", "Plan", "Industry")


def segmentation_demo() -> pd.DataFrame:
    from npsdiag.areas.segmentation import comparison_periods
    from npsdiag.areas.segmentation.coding import segment_labels
    from npsdiag.stats.survey import nps_values
    from tests.reference.inputs import demo_prepared

    prep = demo_prepared()
    r = prep.responses
    acc = r["account_id"].astype(object)
    own = pd.Series([f"NA-{i}" for i in range(len(r))], index=r.index, dtype=object)
    (l1, s1, e1), (l2, s2, e2) = comparison_periods(r["responded_at"])
    d = r["responded_at"]
    period = np.where((d >= s1) & (d < e1), l1, np.where((d >= s2) & (d < e2), l2, ""))
    out = pd.DataFrame({"account": acc.where(acc.notna(), own),
                        "x": nps_values(r["score"], prep.settings.breaks).astype(int), "period": period})
    for dim in DIMENSIONS:
        out[dim] = segment_labels(r[dim]).to_numpy()
        out[f"tested_{dim}"] = (out.groupby(dim)[dim].transform("size") >= prep.settings.min_n).astype(int)
    return out.reset_index(drop=True)


if __name__ == "__main__":
    segmentation_demo().to_csv(HERE / "segmentation_demo.csv", index=False)
