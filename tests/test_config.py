"""Config reading: every mistake found, named with file, key and a suggestion."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from npsdiag.cli import validate
from npsdiag.config import load_config, read_config, resolve_config_path
from npsdiag.errors import NpsdiagError


def write(tmp: Path, text: str, data: bool = True) -> Path:
    if data:
        pd.DataFrame({"Score": [9, 10, 3], "Date": ["2024-01-05", "2024-02-01", "2024-03-01"],
                      "Region": ["EU", "US", "EU"]}).to_csv(tmp / "resp.csv", index=False)
    p = tmp / "client.yml"
    p.write_text(text, encoding="utf-8")
    return p


GOOD = """client: Acme
responses:
  path: resp.csv
  columns: {score: Score, responded_at: Date}
  segments: [Region]
"""


def test_good_config_reads_with_defaults(tmp_path):
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.client == "Acme" and cfg.slug == "acme"
    assert cfg.responses.path == tmp_path / "resp.csv"  # relative to the config's folder
    assert cfg.settings.min_n == 30 and cfg.settings.confidence == 0.95 and cfg.settings.redact_pii is True


def test_unknown_keys_are_named_with_suggestions(tmp_path):
    text = GOOD.replace("segments:", "segmnets:") + "settings:\n  min_nn: 20\n  confidence: 95\n"
    cfg, problems = read_config(write(tmp_path, text))
    msgs = "\n".join(str(p) for p in problems)
    assert "responses.segmnets" in msgs and "did you mean 'segments'" in msgs
    assert "settings.min_nn" in msgs and "did you mean 'min_n'" in msgs
    assert "settings.confidence" in msgs and "between 0 and 1" in msgs
    assert str(tmp_path / "client.yml") in msgs


def test_missing_file_suggests_near_name(tmp_path):
    cfg, problems = read_config(write(tmp_path, GOOD.replace("resp.csv", "resp.cvs")))
    msg = "\n".join(str(p) for p in problems)
    assert "file not found" in msg and "did you mean 'resp.csv'" in msg


def test_yaml_syntax_error_gives_line_not_traceback(tmp_path):
    _, problems = read_config(write(tmp_path, "client: Acme\nresponses: [unclosed\n", data=False))
    assert len(problems) == 1 and "not valid YAML" in problems[0].message and "line" in (problems[0].where or "")


def test_required_fields_and_missing_config(tmp_path):
    _, problems = read_config(write(tmp_path, "client: A\nresponses:\n  path: resp.csv\n  columns: {score: Score}\n"))
    assert any("responded_at" in str(p) for p in problems)
    with pytest.raises(NpsdiagError, match="config file not found"):
        load_config(tmp_path / "nope.yml")


def test_validate_lists_every_problem_at_once_and_exits_nonzero(tmp_path):
    text = """client: Acme
responses:
  path: resp.csv
  columns: {score: Scroe, responded_at: Date, role: Job Role}
  segments: [Regoin]
settings:
  min_n: -3
"""
    out = io.StringIO()
    code = validate(write(tmp_path, text), out=out)
    text_out = out.getvalue()
    assert code == 1
    assert "settings.min_n" in text_out
    assert "column 'Scroe' not found" in text_out and "did you mean 'Score'" in text_out
    assert "column 'Regoin' not found" in text_out and "did you mean 'Region'" in text_out
    assert "column 'Job Role' not found" in text_out


def test_validate_ok_summary(tmp_path):
    out = io.StringIO()
    assert validate(write(tmp_path, GOOD), out=out) == 0
    assert "3 response rows read, 3 usable" in out.getvalue()


def test_resolve_config_path_searches_parent_folders(tmp_path, monkeypatch):
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "c.yml").write_text("client: x\n")
    sub = tmp_path / "notebooks"
    sub.mkdir()
    monkeypatch.chdir(sub)
    assert resolve_config_path("examples/c.yml") == (tmp_path / "examples" / "c.yml").resolve()
