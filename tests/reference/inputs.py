"""Write the reference inputs (CSV) that the R scripts of this folder read: ``python -m tests.reference.inputs``.

The inputs are small tables derived from the bundled demo client (``examples/demo``), so that R and npsdiag
compute on exactly the same numbers:

- ``demo_responses.csv``: the demo's analysed responses: ``account`` (cluster; a response without an account
  is its own), ``x`` (-1 detractor, 0 passive, +1 promoter), ``quarter`` (of the response date).

``make reference`` runs this, then every ``*.R`` script here (R with the Debian packages r-cran-survey,
r-cran-survival, r-cran-sandwich, r-cran-proc); the scripts write the ``*_r.csv`` files the tests compare with.
The committed CSVs are what the tests read: neither R nor this script runs in the test suite.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def demo_prepared():
    """The demo client's prepared data (as ``npsdiag run examples/demo/config.yml`` reads it)."""
    from npsdiag import clean, io
    from npsdiag.config import load_config

    return clean.prepare(io.load(load_config(ROOT / "examples" / "demo" / "config.yml")))


def demo_responses(prep) -> pd.DataFrame:
    from npsdiag.stats.survey import nps_values

    r = prep.responses
    acc = r["account_id"].astype(object)
    own = pd.Series([f"NA-{i}" for i in range(len(r))], index=r.index, dtype=object)
    return pd.DataFrame({"account": acc.where(acc.notna(), own),
                         "x": nps_values(r["score"], prep.settings.breaks).astype(int),
                         "quarter": r["responded_at"].dt.to_period("Q").astype(str)})


def main() -> None:
    prep = demo_prepared()
    demo_responses(prep).to_csv(HERE / "demo_responses.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
