"""Side tables keyed by respondent (issue 19, class 7): a roles file keyed by user id gives the responses their
role and segments; validate says how each side table is used, or why not; init proposes the join."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from npsdiag.clean import prepare
from npsdiag.cli import validate
from npsdiag.init import init
from npsdiag.io import load
from npsdiag.io.attributes import join_respondent_attributes, respondent_keys

USERS = 400


def saas_exports(folder: Path, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """An in-product SaaS survey (no role on the responses) with a roles file and a plan file keyed by user id.

    The roles file spells ids as another system does: some lower-case, some with a trailing space; a tenth of
    the respondents are not in it.
    """
    rng = np.random.default_rng(seed)
    users = [f"U{i:05d}" for i in range(USERS)]
    n = 900
    resp = pd.DataFrame({"id": [f"r{i}" for i in range(n)], "user_id": rng.choice(users, n),
                         "score": rng.integers(0, 11, n),
                         "created_at": pd.date_range("2024-01-01", periods=n, freq="9h").strftime("%Y-%m-%dT%H:%M")})
    listed = users[: int(USERS * 0.9)]
    roles = pd.DataFrame({"user_id": [u.lower() + " " if i % 3 == 0 else u for i, u in enumerate(listed)],
                          "role": rng.choice(["Admin", "Editor", "Viewer"], len(listed), p=[.2, .3, .5]),
                          "Team": rng.choice(["Finance", "Marketing", "Operations", "IT"], len(listed))})
    plans = pd.DataFrame({"user_id": users, "plan": rng.choice(["Free", "Pro", "Business"], USERS)})
    resp.to_csv(folder / "nps_responses.csv", index=False)
    roles.to_csv(folder / "roles.csv", index=False)
    plans.to_csv(folder / "plans.csv", index=False)
    return resp, roles, plans


CONFIG = """client: SaaS
responses:
  path: nps_responses.csv
  columns: {{score: score, responded_at: created_at, response_id: id, respondent_id: user_id}}
contacts:
  path: roles.csv
  columns: {{respondent_id: {key}, role: role}}
  segments: [Team]
"""


def plain(values: pd.Series) -> list:
    """Values as a list, every kind of missing as None."""
    return [None if pd.isna(v) else v for v in values]


def expected_roles(resp: pd.DataFrame, roles: pd.DataFrame) -> pd.Series:
    """Each response's role looked up by hand: a dict keyed by the upper-cased, trimmed id."""
    table = {u.strip().upper(): r for u, r in zip(roles["user_id"], roles["role"])}
    return resp["user_id"].map(lambda u: table.get(u.strip().upper()))


def test_a_roles_file_keyed_by_user_id_gives_responses_role_and_segments(tmp_path):
    resp, roles, _ = saas_exports(tmp_path)
    (tmp_path / "c.yml").write_text(CONFIG.format(key="user_id"), encoding="utf-8")
    data = load(tmp_path / "c.yml")
    want = expected_roles(resp, roles)
    assert plain(data.responses["role"]) == plain(want)  # case and spaces ignored; respondents not listed have no role
    matched = int(want.notna().sum())
    assert 0.8 * len(resp) < matched < len(resp)
    assert "Team" in data.segments  # the table's segment is a segment of the responses
    team = {u.strip().upper(): t for u, t in zip(roles["user_id"], roles["Team"])}
    assert plain(data.responses["Team"]) == plain(resp["user_id"].map(lambda u: team.get(u.strip().upper())))
    note = next(p for p in data.problems if p.where == "contacts")
    assert f"{matched:,} of {len(resp):,} responses with an id found their respondent" in note.message
    prep = prepare(data)
    assert "Team" in prep.segments and prep.responses["role"].notna().any()

    buf = io.StringIO()
    assert validate(tmp_path / "c.yml", out=buf) == 0
    assert "contacts: 360 rows, used: gives the responses role, Team by respondent id" in buf.getvalue()


def test_unused_contacts_table_is_said_with_why(tmp_path):
    saas_exports(tmp_path)
    # the roles file keyed by a column the responses do not map: it reaches no response
    roles = pd.read_csv(tmp_path / "roles.csv")
    roles.assign(user_id=roles["user_id"].str.strip().str.replace("U", "X", case=False)).to_csv(
        tmp_path / "roles.csv", index=False)
    (tmp_path / "c.yml").write_text(CONFIG.format(key="user_id"), encoding="utf-8")
    buf = io.StringIO()
    assert validate(tmp_path / "c.yml", out=buf) == 0
    out = buf.getvalue()
    assert "contacts: 360 rows, not used: none of the responses' respondent ids is in it" in out
    assert "role" not in load(tmp_path / "c.yml").responses  # nothing joined


def test_responses_own_role_is_never_overwritten():
    r = pd.DataFrame({"respondent_id": ["a", "b"], "role": ["Buyer", None], "score": [9, 7]})
    t = pd.DataFrame({"respondent_id": ["A", "B"], "role": ["User", "User"], "Plan": ["Pro", "Free"]})
    j = join_respondent_attributes(r, t, ["role", "Plan"])
    assert j.columns == ["Plan"] and plain(j.responses["role"]) == ["Buyer", None]
    assert j.responses["Plan"].tolist() == ["Pro", "Free"]


def test_duplicate_ids_with_different_values_take_the_last_and_are_counted():
    r = pd.DataFrame({"respondent_id": ["a", "b", "c"]})
    t = pd.DataFrame({"respondent_id": ["a", " A", "b", "b"], "role": ["User", "Admin", "User", "User"]})
    j = join_respondent_attributes(r, t, ["role"])
    assert plain(j.responses["role"]) == ["Admin", "User", None] and j.conflicts == 1
    assert (j.matched, j.with_id) == (2, 3)


@pytest.mark.parametrize(("values", "keys"), [([" Ann@X.com ", "ANN@x.com"], ["ann@x.com", "ann@x.com"]),
                                              (["", None], [None, None])])
def test_respondent_keys(values, keys):
    assert respondent_keys(pd.Series(values, dtype="string")).to_pylist() == keys


def test_init_proposes_the_join_and_says_how_to_merge_the_plan_file(tmp_path):
    saas_exports(tmp_path)
    buf = io.StringIO()
    code = init([tmp_path / "nps_responses.csv", tmp_path / "roles.csv", tmp_path / "plans.csv"],
                output=tmp_path / "c.yml", out=buf)
    out = buf.getvalue()
    got = yaml.safe_load((tmp_path / "c.yml").read_text(encoding="utf-8"))
    assert code == 0, out
    assert got["contacts"]["path"] == "roles.csv"
    assert got["contacts"]["columns"] == {"respondent_id": "user_id", "role": "role"}
    assert got["contacts"]["segments"] == ["Team"]
    assert got["responses"]["columns"]["respondent_id"] == "user_id"
    assert "plans.csv: keyed by respondent" in out and "merge" in out
    assert "role, 'Team' given to the responses from the contacts table by respondent id" in out
    # the merge lines written under contacts work, and the merged file is then proposed with the plan as segment
    text = (tmp_path / "c.yml").read_text(encoding="utf-8")
    lines = text.split("# import pandas as pd", 1)[1].splitlines()
    script = "import pandas as pd\n" + "\n".join(ln.split("# ", 1)[1] for ln in lines[1:] if ln.startswith("  # ")
                                                 and "not used" not in ln)
    import os
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        exec(compile(script, "merge", "exec"), {})  # noqa: S102 - the lines init wrote, run as a consultant would
    finally:
        os.chdir(cwd)
    merged = pd.read_csv(tmp_path / "roles_with_plans.csv")
    assert len(merged) == 360 and merged["plan"].notna().all()
    buf = io.StringIO()
    assert init([tmp_path / "nps_responses.csv", tmp_path / "roles_with_plans.csv"], output=tmp_path / "d.yml",
                out=buf) == 0
    got = yaml.safe_load((tmp_path / "d.yml").read_text(encoding="utf-8"))
    assert set(got["contacts"]["segments"]) == {"Team", "plan"}
    data = load(tmp_path / "d.yml")
    assert {"role", "Team", "plan"} <= set(data.responses.columns)


def test_init_finds_the_respondent_column_by_its_values(tmp_path):
    resp, roles, _ = saas_exports(tmp_path)
    resp.rename(columns={"user_id": "Who"}).to_csv(tmp_path / "nps_responses.csv", index=False)
    buf = io.StringIO()
    init([tmp_path / "nps_responses.csv", tmp_path / "roles.csv"], output=tmp_path / "c.yml", out=buf)
    got = yaml.safe_load((tmp_path / "c.yml").read_text(encoding="utf-8"))
    assert got["responses"]["columns"]["respondent_id"] == "Who", buf.getvalue()
    assert got["contacts"]["columns"]["respondent_id"] == "user_id"
