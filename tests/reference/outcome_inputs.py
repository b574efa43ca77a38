"""Write the inputs of ``outcome_definitions.R``: ``python -m tests.reference.outcome_inputs``.

From the bundled demo client (``examples/demo``), as npsdiag prepares it (the cleaning rules are not what
the R script checks):

- ``outcome_responses.csv``: the analysed responses with an account id: ``account``, ``role``,
  ``responded_at`` (ISO date and time), ``score``.
- ``outcome_accounts.csv``: the accounts: ``account``, ``churned`` (1, 0, or empty when the outcome is not
  known by the as-of date), ``outcome_at`` (churn or renewal date), ``start_at`` (customer since) and
  ``as_of`` (the data's as-of date, the same on every row).

The R script then applies the outcome area's definitions on its own (the 30-day embargo, each account's
latest score, its decision makers' first; the calendar-clock Cox model with delayed entry) and writes
``outcome_definitions_r.csv`` and ``outcome_cox_r.csv``, which ``tests/test_outcome.py`` compares with the area.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def main() -> None:
    from npsdiag import clean, io
    from npsdiag.config import load_config

    prep = clean.prepare(io.load(load_config(ROOT / "examples" / "demo" / "config.yml")))
    r = prep.responses[prep.responses["account_id"].notna()]
    pd.DataFrame({"account": r["account_id"].astype(str).to_numpy(),
                  "role": r["role"].astype(object).fillna("").astype(str).to_numpy(),
                  "responded_at": r["responded_at"].dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(),
                  "score": r["score"].astype(float).to_numpy()}).to_csv(
        HERE / "outcome_responses.csv", index=False, lineterminator="\n")
    a = prep.accounts.drop_duplicates("account_id")
    a = a[a["account_id"].notna()]
    churned = a["churned"].astype("boolean")
    pd.DataFrame({"account": a["account_id"].astype(str).to_numpy(),
                  "churned": churned.map({True: "1", False: "0"}).astype(object).fillna("").to_numpy(),
                  "outcome_at": a["outcome_at"].dt.strftime("%Y-%m-%d").to_numpy(),
                  "start_at": a["start_at"].dt.strftime("%Y-%m-%d").to_numpy(),
                  "as_of": f"{prep.as_of:%Y-%m-%d}"}).to_csv(HERE / "outcome_accounts.csv", index=False,
                                                             lineterminator="\n")


if __name__ == "__main__":
    main()
