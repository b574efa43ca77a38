"""Write the input of ``theme_nps.R``: the demo's commented responses with three theme flags.

``python -m tests.reference.theme_inputs`` writes ``demo_themes.csv``: ``account`` (cluster; a response without
an account is its own), ``x`` (-1 detractor, 0 passive, +1 promoter) and, per theme, 0/1 whether the comment
mentions it (the verbatims area's lexicons: ``price``, ``support``, ``billing``). Run it before the R scripts
(``make reference``); the tests read the CSV that R writes, ``theme_nps_r.csv``, and need no R.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .inputs import HERE, demo_prepared

THEMES = {"price": "price & value", "support": "support & service", "billing": "billing & payments"}


def demo_themes(prep) -> pd.DataFrame:
    from npsdiag import text as tx
    from npsdiag.areas.verbatims.themes import theme_hits
    from npsdiag.stats.survey import nps_values

    r = prep.responses
    c = tx.corpus(r["comment"])
    hits, names, read = theme_hits(c, tx.merge_lexicons(prep.settings.themes))
    rows = c.commented() & read[np.maximum(c.inverse, 0)] & r["score"].notna().to_numpy()
    acc = r["account_id"].astype(object)
    own = pd.Series([f"NA-{i}" for i in range(len(r))], index=r.index, dtype=object)
    out = pd.DataFrame({"account": acc.where(acc.notna(), own).to_numpy()[rows],
                        "x": nps_values(r["score"], prep.settings.breaks)[rows].astype(int)})
    for short, theme in THEMES.items():
        out[short] = (hits[c.inverse[rows], names.index(theme)] > 0).astype(int)
    return out


def main() -> None:
    demo_themes(demo_prepared()).to_csv(HERE / "demo_themes.csv", index=False)


if __name__ == "__main__":
    main()
