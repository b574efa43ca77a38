"""Findings, status roll-up and findings.json as SPEC.md describes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from npsdiag.findings import FINDING_IDS, AreaResult, Diagnosis, Finding, not_assessed


def test_status_rolls_up_from_severities():
    assert AreaResult("balance").status == "green"
    assert AreaResult("balance", [Finding("balance.x", "low", "t")]).status == "green"
    assert AreaResult("balance", [Finding("balance.x", "medium", "t"), Finding("balance.y", "low", "t")]).status == \
        "amber"
    assert AreaResult("balance", [Finding("balance.x", "medium", "t"), Finding("balance.y", "high", "t")]).status == \
        "red"
    na = not_assessed("outcome", "needs account outcomes")
    assert na.status == "not_assessed" and "needs account outcomes" in na.summary_text


def test_finding_validates_severity_and_id():
    with pytest.raises(ValueError):
        Finding("balance.x", "critical", "t")
    with pytest.raises(ValueError):
        Finding("no_area", "high", "t")


def test_findings_json_matches_spec(tmp_path):
    f1 = Finding("balance.role_skew", "high", "Users dominate", "81% of responses are from users",
                 {"user_share": np.float64(0.81), "n": np.int64(1200), "p_value": np.float64("nan")}, "Invite execs")
    f2 = Finding("reliability.duplicates", "low", "Some duplicates", evidence={"rows": [3, 7]})
    summary = {"responses": 10, "accounts": 3, "period": ["2024-01-01", "2024-12-31"]}
    diag = Diagnosis(client="Acme", data_summary=summary,
                     headline={"nps": 21.4, "ci_low": 18.9, "ci_high": 23.8, "n": 10},
                     areas={"reliability": AreaResult("reliability", [f2]), "balance": AreaResult("balance", [f1]),
                            "outcome": not_assessed("outcome", "needs account outcomes")})
    path = diag.write_json(tmp_path / "findings.json")
    doc = json.loads(path.read_text())
    assert set(doc) == {"client", "generated_at", "npsdiag_version", "data", "headline", "areas", "findings"}
    assert doc["headline"] == {"nps": 21.4, "ci_low": 18.9, "ci_high": 23.8, "n": 10}
    assert doc["areas"]["balance"]["status"] == "red"
    assert doc["areas"]["outcome"] == {"status": "not_assessed", "summary": "Not assessed: needs account outcomes",
                                       "checks": [],
                                       "reason": "needs account outcomes"}
    first = doc["findings"][0]  # most severe first
    assert first["id"] == "balance.role_skew" and first["area"] == "balance" and first["severity"] == "high"
    assert set(first) == {"id", "area", "severity", "title", "detail", "evidence", "recommendation"}
    assert first["evidence"] == {"user_share": 0.81, "n": 1200, "p_value": None}
    assert not list(tmp_path.glob("*.part"))


def test_finding_ids_are_the_spec_contract(root):
    spec = (root.parent / "shared" / "SPEC.md")
    if not spec.exists():
        pytest.skip("SPEC.md not beside the repository")
    text = spec.read_text()
    import re

    from npsdiag.findings import ADDED_FINDING_IDS, SPEC_FINDING_IDS

    in_spec = set(re.findall(r"^\| ([a-z]+\.[a-z_]+) \|", text, flags=re.M))
    assert set(SPEC_FINDING_IDS) == in_spec  # every id of the SPEC's table, and only those
    assert not set(ADDED_FINDING_IDS) & in_spec  # ids the issues added are listed as such
    assert set(FINDING_IDS) == in_spec | set(ADDED_FINDING_IDS)


def test_an_area_is_sound_only_when_its_substantive_checks_ran():
    from npsdiag.findings import Check

    ran, skipped = Check("role_mix"), Check.skipped("revenue_coverage", "needs revenue per account")
    aside = Check.skipped("quotes", "no comment", substantive=False)
    assert AreaResult("balance", checks=[ran, aside]).status == "green"
    partly = AreaResult("balance", checks=[ran, skipped])
    assert partly.status == "amber" and partly.summary_text.startswith("Partly assessed")
    assert "needs revenue per account" in partly.summary_text
    none = AreaResult("balance", checks=[Check.skipped("role_mix", "no role column"), skipped])
    assert none.status == "not_assessed" and "no role column" in none.summary_text
    found = AreaResult("balance", findings=[Finding("balance.role_skew", "high", "t")], checks=[ran, skipped])
    assert found.status == "red"
    doc = Diagnosis("c", {}, {}, {"balance": partly}).to_dict()
    assert doc["areas"]["balance"]["checks"] == [{"name": "role_mix", "assessed": True},
                                                 {"name": "revenue_coverage", "assessed": False,
                                                  "reason": "needs revenue per account"}]
