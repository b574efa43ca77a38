"""Write the balance area's reference input for the R scripts here: ``python -m tests.reference.balance_inputs``.

- ``balance_demo_responses.csv``: the demo client's analysed responses: ``account`` (cluster; a response without
  an account is its own), ``x`` (-1 detractor, 0 passive, +1 promoter), ``role`` and ``decision`` (1 when the
  respondent's role is Decision Maker or Executive, the demo's decision roles).

``balance_which_nps.R`` and ``balance_roles.R`` read it; ``balance_nonresponse.R`` reads ``demo_invitations.csv``
(:mod:`.inputs`) and the demo's ``accounts.csv``. The committed CSVs are what the tests read: neither R nor this
script runs in the test suite. ``make reference`` must run this module before the R scripts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .inputs import HERE, demo_prepared, demo_responses

#: The demo's decision roles, written out here rather than taken from npsdiag's guess.
DECISION_ROLES = ("Decision Maker", "Executive")


def balance_demo_responses(prep) -> pd.DataFrame:
    d = demo_responses(prep)[["account", "x"]]
    d["role"] = prep.responses["role"].astype(object).to_numpy()
    d["decision"] = prep.responses["role"].isin(DECISION_ROLES).astype(int).to_numpy()
    return d


def main() -> None:
    balance_demo_responses(demo_prepared()).to_csv(HERE / "balance_demo_responses.csv", index=False,
                                                   lineterminator="\n")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
