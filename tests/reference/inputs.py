"""Write the reference inputs (CSV) that the R scripts of this folder read: ``python -m tests.reference.inputs``.

The inputs are small tables derived from the bundled demo client (``examples/demo``), so that R and npsdiag
compute on exactly the same numbers:

- ``demo_responses.csv``: the demo's analysed responses: ``account`` (cluster; a response without an account
  is its own), ``x`` (-1 detractor, 0 passive, +1 promoter), ``quarter`` (of the response date).
- ``demo_linked.csv``: responses of accounts whose outcome is decided (churned or renewed), given before that
  outcome: ``account``, ``score``, ``churned`` (0/1).
- ``demo_accounts.csv``: those accounts: ``account``, ``churned``, ``score`` (mean of its responses above),
  ``log_arr``, ``plan``, ``time_days`` (days from 2024-01-01 to the churn, or to 2025-12-31 when it did not
  churn) and ``event`` (churned).
- ``demo_invitations.csv``: the demo's invitations: ``account``, ``role``, the account's ``industry`` and
  ``status``, and ``responded`` (answered within 90 days, :func:`npsdiag.linking.responded_within`).

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


def demo_linked(prep) -> pd.DataFrame:
    r = prep.responses
    acc = pd.read_csv(ROOT / "examples" / "demo" / "accounts.csv", parse_dates=["Renewal Date"])
    acc = acc[acc["Status"].isin(["Churned", "Renewed"])]
    m = r[["account_id", "score", "responded_at"]].merge(acc, left_on="account_id", right_on="Account ID")
    m = m[m["responded_at"] < m["Renewal Date"]]
    return pd.DataFrame({"account": m["account_id"], "score": m["score"].astype(float),
                         "churned": (m["Status"] == "Churned").astype(int)}).reset_index(drop=True)


def demo_accounts(linked: pd.DataFrame) -> pd.DataFrame:
    acc = pd.read_csv(ROOT / "examples" / "demo" / "accounts.csv", parse_dates=["Renewal Date"])
    a = linked.groupby("account", sort=True).agg(churned=("churned", "first"), score=("score", "mean"))
    acc = acc.set_index("Account ID").loc[a.index]
    end = pd.Timestamp("2025-12-31")
    stop = acc["Renewal Date"].where(a["churned"].to_numpy() == 1, end).clip(upper=end)
    a["log_arr"] = np.log(acc["ARR"].to_numpy(dtype=float))
    a["plan"] = acc["Plan"].to_numpy()
    a["time_days"] = (stop - pd.Timestamp("2024-01-01")).dt.days.to_numpy()
    a["event"] = a["churned"]
    return a.reset_index()


def demo_invitations(prep) -> pd.DataFrame:
    from npsdiag.linking import responded_within

    inv = prep.invitations
    acc = pd.read_csv(ROOT / "examples" / "demo" / "accounts.csv").set_index("Account ID")
    return pd.DataFrame({"account": inv["account_id"].to_numpy(), "role": inv["role"].to_numpy(),
                         "industry": acc["Industry"].reindex(inv["account_id"]).to_numpy(),
                         "status": acc["Status"].reindex(inv["account_id"]).to_numpy(),
                         "responded": responded_within(prep, 90).astype(int)})


def main() -> None:
    prep = demo_prepared()
    demo_responses(prep).to_csv(HERE / "demo_responses.csv", index=False, lineterminator="\n")
    linked = demo_linked(prep)
    linked.to_csv(HERE / "demo_linked.csv", index=False, lineterminator="\n")
    demo_accounts(linked).to_csv(HERE / "demo_accounts.csv", index=False, lineterminator="\n", float_format="%.10g")
    demo_invitations(prep).to_csv(HERE / "demo_invitations.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
