"""Portfolio view: many findings.json files compared."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from npsdiag import portfolio
from npsdiag.diagnosis import assemble
from npsdiag.findings import AreaResult, Finding

ROOT = Path(__file__).resolve().parents[1]


def _doc(client: str, nps: float | None, ci: tuple[float, float] | None, n: int, statuses: dict[str, str],
         findings: list[tuple[str, str]]) -> dict:
    return {"client": client, "generated_at": "2025-01-01T00:00:00+00:00",
            "data": {"responses": n, "period": ["2024-01-01", "2024-12-31"]},
            "headline": {"nps": nps, "ci_low": ci[0] if ci else None, "ci_high": ci[1] if ci else None, "n": n},
            "areas": {a: {"status": s, "summary": ""} for a, s in statuses.items()},
            "findings": [{"id": fid, "area": fid.split(".")[0], "severity": sev, "title": f"{fid} in {client}",
                          "detail": "", "evidence": {}, "recommendation": ""} for fid, sev in findings]}


@pytest.fixture
def docs(tmp_path: Path) -> list[dict]:
    items = [
        _doc("Acme", 21.4, (18.9, 23.8), 12873, {"reliability": "amber", "balance": "red", "outcome": "green"},
             [("balance.role_skew", "high"), ("reliability.duplicates", "medium"), ("balance.role_skew", "medium"),
              ("decay.response_latency", "info")]),
        _doc("Globex", -5.0, (-9.0, -1.0), 2100, {"reliability": "red", "balance": "amber",
                                                  "outcome": "not_assessed"},
             [("reliability.duplicates", "high"), ("balance.role_skew", "medium")]),
        _doc("Initech", 40.0, (30.0, 49.0), 310, {"reliability": "green", "balance": "green", "verbatims": "green"},
             [("reliability.small_sample", "low")]),
    ]
    for d in items:
        folder = tmp_path / d["client"].lower()
        folder.mkdir()
        (folder / "findings.json").write_text(json.dumps(d), encoding="utf-8")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "findings.json").write_text("{not json", encoding="utf-8")
    return portfolio.read_findings(str(tmp_path / "*" / "findings.json"))


def test_read_findings_keeps_unreadable_files_as_errors(docs: list[dict]) -> None:
    assert len(docs) == 4
    bad = [d for d in docs if "_error" in d]
    assert len(bad) == 1 and bad[0]["_path"].endswith("broken/findings.json")


def test_headlines(docs: list[dict]) -> None:
    h = portfolio.headlines(docs).set_index("client")
    assert list(h.index) == ["Acme", "Globex", "Initech"]  # path order; the broken file skipped
    assert h.loc["Acme", ["nps", "ci_low", "ci_high"]].tolist() == [21.4, 18.9, 23.8]
    assert h.loc["Acme", "n"] == 12873
    # Acme: one high, two medium (role_skew twice), one info
    assert h.loc["Acme", ["high", "medium", "low", "info"]].tolist() == [1, 2, 0, 1]
    assert h.loc["Acme", "red_areas"] == 1 and h.loc["Initech", "red_areas"] == 0


def test_area_statuses_fill_missing_areas(docs: list[dict]) -> None:
    s = portfolio.area_statuses(docs)
    assert list(s.columns) == ["reliability", "balance", "outcome", "verbatims"]  # report order
    assert s.loc["Globex", "outcome"] == "not_assessed"
    assert s.loc["Acme", "verbatims"] == "missing"
    sym = portfolio.area_statuses(docs, symbols=True)
    assert sym.loc["Acme", "balance"] == "✖ red" and sym.loc["Initech", "balance"] == "✓ green"


def test_finding_frequency_counts_clients_once(docs: list[dict]) -> None:
    f = portfolio.finding_frequency(docs).set_index("id")
    # role_skew: Acme (high and medium -> counted once, as high) and Globex (medium)
    assert f.loc["balance.role_skew", "clients"] == 2
    assert f.loc["balance.role_skew", ["high", "medium"]].tolist() == [1, 1]
    assert f.loc["reliability.duplicates", "clients"] == 2
    assert f.loc["reliability.duplicates", "share"] == pytest.approx(2 / 3)
    assert "decay.response_latency" not in f.index  # info left out by default
    # ties on clients: the one with more high findings first... both have one high; then id order
    assert list(f.index[:2]) == ["balance.role_skew", "reliability.duplicates"]
    assert f.loc["balance.role_skew", "client_list"] == "Acme, Globex"
    assert list(f.index)[-1] == "reliability.small_sample"


def test_figures_are_drawn_and_sized(docs: list[dict]) -> None:
    fig = portfolio.forest_figure(portfolio.headlines(docs))
    assert fig is not None and fig.get_size_inches()[0] <= 7.5
    ax = fig.axes[0]
    assert [t.get_text().split("\n")[0] for t in ax.get_yticklabels()] == ["Globex", "Acme", "Initech"]
    grid = portfolio.status_grid_figure(portfolio.area_statuses(docs))
    texts = {t.get_text() for t in grid.axes[0].texts}
    assert {"✖ red", "▲ amber", "✓ green", "– n/a", "·"} <= texts  # readable without colour
    assert portfolio.forest_figure(portfolio.headlines([])) is None
    assert portfolio.status_grid_figure(portfolio.area_statuses([])) is None


def test_a_diagnosis_written_by_npsdiag_reads_back(tmp_path: Path) -> None:
    """findings.json as the pipeline writes it (not a hand-made dict) goes through the portfolio functions."""
    from npsdiag.clean import prepare
    from npsdiag.io import from_frames

    rng = np.random.default_rng(5)
    scores = rng.choice(np.arange(11), size=200)
    data = from_frames(pd.DataFrame({"score": scores, "responded_at": pd.date_range("2024-01-01", periods=200,
                                                                                    freq="D")}), client="Solo")
    prep = prepare(data, as_of=pd.Timestamp("2025-01-01"))
    res = AreaResult("reliability", findings=[Finding("reliability.small_sample", "medium", "t", "d", {}, "r")])
    diag = assemble(prep, [res])
    diag.write_json(tmp_path / "findings.json")
    docs = portfolio.read_findings(tmp_path / "findings.json")
    h = portfolio.headlines(docs).iloc[0]
    # hand computation: NPS = 100 * (promoters - detractors) / n
    expected = 100 * ((scores >= 9).sum() - (scores <= 6).sum()) / 200
    assert h["client"] == "Solo" and h["n"] == 200 and h["nps"] == pytest.approx(expected, abs=0.05)
    assert portfolio.area_statuses(docs).loc["Solo", "reliability"] == "amber"
    assert portfolio.finding_frequency(docs)["id"].tolist() == ["reliability.small_sample"]


def test_committed_example_portfolio_reads() -> None:
    docs = portfolio.read_findings(str(ROOT / "examples" / "portfolio" / "*" / "findings.json"))
    assert len(docs) >= 2 and not any("_error" in d for d in docs)
    h = portfolio.headlines(docs)
    assert h["nps"].between(-100, 100).all() and h["n"].gt(0).all()
    # the adjusted Wald interval is centred on the adjusted estimate: with a few hundred responses or more the
    # observed NPS lies inside it
    big = h[h["n"] >= 300]
    assert len(big) >= 2 and (big["ci_low"] <= big["nps"]).all() and (big["nps"] <= big["ci_high"]).all()


def test_changes_pair_clients_and_compare_as_run_previous_does() -> None:
    before = [_doc("Acme", 20.0, (15.0, 25.0), 900, {"decay": "red"}, [("decay.slow_follow_up", "high"),
                                                                       ("balance.role_skew", "medium")]),
              _doc("Globex", 10.0, (5.0, 15.0), 900, {"decay": "red"}, [("decay.slow_follow_up", "high")])]
    now = [_doc("Acme", 32.0, (28.0, 36.0), 900, {"decay": "amber"}, [("decay.slow_follow_up", "medium"),
                                                                      ("decay.no_follow_up", "high")]),
           _doc("Globex", 12.0, (7.0, 17.0), 900, {"decay": "red"}, [("decay.slow_follow_up", "high")]),
           _doc("Initech", 40.0, (30.0, 49.0), 310, {}, [])]  # no previous diagnosis: left out
    t = portfolio.changes(now, before).set_index("client")
    assert list(t.index) == ["Acme", "Globex"]
    # Acme: +12 points against a margin of 5 (the larger interval's half-width): up
    assert t.loc["Acme", "change"] == 12.0 and t.loc["Acme", "verdict"] == "up"
    assert (t.loc["Acme", "new"], t.loc["Acme", "resolved"], t.loc["Acme", "persisting"]) == (1, 1, 0)
    # Globex: +2 within the margin: no change, its one finding persists
    assert t.loc["Globex", "verdict"] == "no change" and t.loc["Globex", "persisting"] == 1
