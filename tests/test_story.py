"""The story layer: which NPS, value at stake, messages by root cause, renewal risk, owner aliases, comparison.

Every expected value below is computed by hand from the small client of :func:`_client` (documented there).
"""

from __future__ import annotations

import pandas as pd
import pytest

from npsdiag import story
from npsdiag.areas.decay import callback_queue
from npsdiag.clean import prepare
from npsdiag.findings import AreaResult, Diagnosis, Finding
from npsdiag.io import from_frames
from npsdiag.story.value import decision_makers_unheard, excess_churn_revenue, open_detractors

AS_OF = "2024-07-15"


def _client(**settings):
    """Five accounts, seven responses; the as-of date is 2024-07-15.

    accounts: A 100k open renewal 2024-09-01 (within two quarters); B 10k retained at its renewal 2024-03-01;
    C 500k open renewal 2025-06-01 (beyond two quarters); D 50k retained 2024-06-15; E 900k churned 2024-06-20.
    r1 A score 3 2024-05-31 user, not followed up          -> an open detractor (after A's last renewal)
    r2 B score 5 2024-02-01 user, not followed up          -> not open: B renewed on 2024-03-01, after it
    r3 C score 0 2024-06-01 Executive, followed up in 3 d  -> not in the queue; C's latest score a detractor's
    r4 D score 9 2024-06-20 Executive
    r5 E score 2 2024-06-10 user, not followed up          -> E churned: not open, not active
    r6 B score 8 2024-07-01 user                           -> B's latest score a passive's
    r7 A score 10 2024-06-29 user                          -> A's latest score a promoter's
    """
    resp = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(1, 8)],
        "score": [3, 5, 0, 9, 2, 8, 10],
        "responded_at": pd.to_datetime(["2024-05-31", "2024-02-01", "2024-06-01", "2024-06-20", "2024-06-10",
                                        "2024-07-01", "2024-06-29"]),
        "followed_up_at": pd.to_datetime([None, None, "2024-06-04", None, None, None, None]),
        "respondent_id": [f"p{i}@x.com" for i in range(1, 8)],
        "account_id": ["A", "B", "C", "D", "E", "B", "A"],
        "role": ["user", "user", "Executive", "Executive", "user", "user", "user"],
        "owner": ["Kim Lee", "Kim Lee", "Ann", "Kim Lee", "Ann", "Bo", "Kim Lee"],
    })
    accounts = pd.DataFrame({
        "account_id": ["A", "B", "C", "D", "E"], "name": ["Acme", "Beta", "Cyan", "Dot", "Echo"],
        "revenue": [100_000.0, 10_000.0, 500_000.0, 50_000.0, 900_000.0],
        "churned": [None, False, None, False, True],
        "outcome_at": pd.to_datetime(["2024-09-01", "2024-03-01", "2025-06-01", "2024-06-15", "2024-06-20"]),
    })
    s = {"repeat_window_days": 0, "redact_pii": False, **settings}
    return prepare(from_frames(resp, accounts=accounts, settings=s), as_of=AS_OF)


def _diag(prep, findings=(), churn=None) -> Diagnosis:
    """A diagnosis holding the decay area's callback queue, the given findings and (optionally) churn rates."""
    areas = {"decay": AreaResult("decay", exports={"callback_queue.csv": callback_queue(prep)})}
    for f in findings:
        areas.setdefault(f.area, AreaResult(f.area)).findings.append(f)
    if churn is not None:
        areas.setdefault("outcome", AreaResult("outcome")).tables["churn_by_category"] = churn
    return Diagnosis(client="T", data_summary={}, headline={}, areas=areas)


def test_open_detractors_count_only_active_accounts_after_their_last_renewal():
    prep = _client()
    rows = story.value.open_detractor_rows(prep, _diag(prep))
    assert rows["account_id"].tolist() == ["A"]  # r2 predates B's renewal, r5's account churned
    assert open_detractors(prep, _diag(prep)) == (100_000.0, 1)


def test_decision_makers_unheard_before_a_renewal_within_two_quarters():
    # renewing by 2025-01-14: only A (C renews in 2025-06); A's people heard in the year are users -> unheard
    assert decision_makers_unheard(_client()) == (100_000.0, 1)


def test_renewal_risk_levels_and_value_at_stake():
    prep = _client()
    risk = story.renewal_risk(prep, _diag(prep)).set_index("account_id")
    assert set(risk.index) == {"A", "B", "C", "D"}  # E churned
    assert risk.loc["A", "risk"] == "high" and bool(risk.loc["A", "open_detractor"])
    assert risk.loc["C", "risk"] == "high" and risk.loc["C", "latest_category"] == "detractor"
    assert risk.loc["B", "risk"] == "medium" and risk.loc["B", "latest_category"] == "passive"
    assert risk.loc["D", "risk"] == "low" and bool(risk.loc["D", "decision_maker_heard_12m"])
    assert risk.loc["A", "people_heard_12m"] == 2 and risk.loc["A", "days_since_heard"] == 16  # 06-29 -> 07-15
    assert pd.isna(risk.loc["B", "renewal_date"]) and risk.loc["A", "renewal_date"] == pd.Timestamp("2024-09-01")
    told = story.tell(_diag(prep), prep)
    # high-risk ARR: A 100k + C 500k, of which A renews within two quarters
    assert (told.value_at_stake, told.value_accounts, told.value_renewing) == (600_000.0, 2, 100_000.0)


def test_excess_churn_revenue_is_the_rate_gap_over_promoters_times_open_arr():
    prep = _client()
    churn = pd.DataFrame({"category": ["detractor", "passive", "promoter"], "churn_rate": [0.4, 0.2, 0.1],
                          "rate_ci_low": [0.3, 0.1, 0.05], "rate_ci_high": [0.5, 0.3, 0.15]})
    value, extra = excess_churn_revenue(prep, _diag(prep, churn=churn))
    # open outcomes: A (latest promoter: no excess) and C (latest detractor): (0.4 - 0.1) x 500k
    assert value == pytest.approx(150_000.0)
    assert extra["rates"]["detractor"] == 0.4


def test_which_nps_point_estimates_by_hand():
    prep = _client()
    t = story.which_nps(prep).set_index("measure")
    # every response: promoters r4, r7 (2), detractors r1, r2, r3, r5 (4) of 7
    assert t.loc[story.MEASURES[0], "nps"] == pytest.approx(100 * (2 - 4) / 7)
    # each account once (weights 1/responses of the account): promoters 0.5 (r7) + 1 (r4); detractors 0.5 (r1)
    # + 0.5 (r2) + 1 (r3) + 1 (r5); total weight 5 accounts
    assert t.loc[story.MEASURES[1], "nps"] == pytest.approx(100 * (1.5 - 3) / 5)
    assert story.MEASURES[2] not in t.index  # under 10 decision-maker responses: not shown
    for _, row in t.iterrows():
        assert row["ci_low"] < row["nps"] < row["ci_high"]


def test_recommended_kpi_follows_the_gap_against_the_margin():
    table = pd.DataFrame({"measure": list(story.MEASURES), "nps": [30.0, 14.0, 3.0], "ci_low": [26.0, 9.0, -4.0],
                          "ci_high": [34.0, 19.0, 10.0]})
    kpi, why = story.recommended_kpi(table)
    assert kpi.startswith("the NPS counting each account once") and "16 points below" in why
    assert "decision makers' NPS (+3)" in why
    close = table.assign(nps=[30.0, 28.0, 29.0])
    assert story.recommended_kpi(close)[0].startswith("the usual NPS")


def test_a_top_box_scale_is_not_called_nps():
    prep = _client(scale=[1, 5], detractor_max=3, promoter_min=5)
    name, note = story.measure_name(prep)
    assert name == "Top-box index on a 1-5 scale" and "not a Net Promoter Score" in note
    assert story.measure_name(_client())[0] == "Net Promoter Score"
    # the standard categories asked on 1-10 (no 0): an NPS, said to be not strictly comparable, said once
    name, note = story.measure_name(_client(scale=[1, 10]))
    assert name == "Net Promoter Score (asked on a 1-10 scale)" and note.count("not strictly comparable") == 1


def _finding(fid, severity, title, **evidence):
    return Finding(fid, severity, title, evidence=evidence)


def test_messages_group_by_cause_and_rank_act_now_then_money():
    prep = _client()
    found = [_finding("decay.slow_follow_up", "high", "Slow follow-up", sla_days=7, share_within_sla=0.25),
             _finding("decay.no_follow_up", "medium", "No follow-up"),
             _finding("segmentation.hidden_segment", "medium", "Region X is low", dimension="owner",
                      segment="Ann", nps=-20.0, overall_nps=10.0),
             _finding("reliability.score_gaming", "high", "Kim Lee gives many 10s", owners_flagged=["Kim Lee"]),
             _finding("reliability.small_sample", "low", "Small sample")]
    msgs = story.messages(_diag(prep, found), prep)
    # "data" has only a low finding; the gaming message is a process control, never "Act now", and has no money
    assert [m.cause.key for m in msgs] == ["closed_loop", "segments", "gaming"]
    closed = msgs[0]
    assert [f.id for f in closed.findings] == ["decay.slow_follow_up", "decay.no_follow_up"]
    assert closed.conclusion == "Slow follow-up" and closed.priority == "Act now"
    # the target is due 90 days after the report, not on a date computed from the data (already past at delivery)
    assert closed.value == 100_000.0 and closed.kpi.baseline == 0.25 and closed.kpi.by == "in 90 days"
    assert closed.horizon == 30
    # Ann's responses: r3 (C, active, latest score 0: a detractor) and r5 (E, churned): C's 500k only
    assert msgs[1].priority == "Plan" and msgs[1].value == 500_000.0  # a medium finding is never "Act now"
    assert msgs[2].priority == "Plan" and msgs[2].value is None and msgs[2].kpi is None
    assert "Kim Lee" not in msgs[2].recommendation and "pay" in msgs[2].recommendation
    d = story.message_dicts(msgs, "EUR")[0]
    assert d["value_at_stake_text"] == "EUR 100k" and d["findings"] == ["decay.slow_follow_up", "decay.no_follow_up"]


def test_unassessed_says_what_is_lost_and_which_file_to_send():
    diag = Diagnosis(client="T", data_summary={}, headline={},
                     areas={"outcome": AreaResult("outcome", not_assessed_reason="needs churn")})
    (gap,) = story.unassessed(diag)
    assert "churn" in gap["what"] and "CRM renewal file" in gap["ask"] and not gap["partly"]


def test_owners_are_aliased_by_volume_and_the_original_is_left_alone():
    prep = _client()
    aliases = story.owner_aliases(prep)
    assert aliases == {"Kim Lee": "Owner A", "Ann": "Owner B", "Bo": "Owner C"}  # 4, 2, 1 responses
    f = _finding("reliability.score_gaming", "high", "Kim Lee's customers give many 10s; Annex unchanged",
                 owners_flagged=["Kim Lee"])
    diag = _diag(prep, [f])
    diag.areas["reliability"].tables["owners"] = pd.DataFrame({"owner": ["Kim Lee", "Ann"], "n": [4, 2]})
    client = story.anonymise(diag, aliases)
    g = client.areas["reliability"].findings[0]
    assert g.title == "Owner A's customers give many 10s; Annex unchanged"  # whole words only
    assert g.evidence["owners_flagged"] == ["Owner A"]
    assert client.areas["reliability"].tables["owners"]["owner"].tolist() == ["Owner A", "Owner B"]
    assert diag.areas["reliability"].findings[0].title.startswith("Kim Lee")  # the original is untouched
    # the client's callback queue has no owner column (beside account names even an alias names the person); the
    # original, for the private folder, keeps the names
    q, q0 = (d.areas["decay"].exports["callback_queue.csv"] for d in (client, diag))
    assert "owner" not in q and len(q) == len(q0) and "Kim Lee" in set(q0["owner"])
    assert story.owner_aliases(_client(name_owners=True)) == {}


def test_segment_value_is_the_arr_of_its_active_accounts_whose_latest_score_is_a_detractors():
    prep = _client()
    # Kim Lee's responses: A (latest r7, a promoter), B (latest r6, a passive), D (r4, a promoter): nothing exposed
    kim = _finding("segmentation.hidden_segment", "medium", "Kim Lee is low", dimension="owner", segment="Kim Lee")
    assert story.value.segment_revenue(prep, kim) == 0.0
    # Bo's one response r6 is B's passive; Ann's: C (latest r3 = 0, a detractor, 500k) and E (churned)
    ann = _finding("segmentation.hidden_segment", "medium", "Ann is low", dimension="owner", segment="Ann")
    assert story.value.segment_revenue(prep, ann) == 500_000.0


def test_comparison_of_a_run_with_itself_is_no_change_and_a_changed_run_says_what_moved():
    prev = {"headline": {"nps": 20.0, "ci_low": 15.0, "ci_high": 25.0}, "data": {"period": ["2024-01-01", "x"]},
            "areas": {"decay": {"status": "red"}, "balance": {"status": "amber"}},
            "findings": [{"id": "decay.slow_follow_up", "severity": "high", "title": "Slow"},
                         {"id": "balance.role_skew", "severity": "medium", "title": "Skew"}],
            "value_at_stake": 1_000_000.0,
            "messages": [{"kpi": {"name": "Called back", "baseline": 0.2, "target": 0.8, "unit": "share",
                                  "by": "2025-01-01"}}]}
    same = story.compare(prev, prev)
    assert set(same.headline["verdict"]) == {"no change"}
    assert set(same.areas["verdict"]) == {"no change"} and set(same.findings["verdict"]) == {"persisting"}
    assert same.kpis["verdict"].tolist() == ["no change"]
    now = {**prev, "headline": {"nps": 32.0, "ci_low": 28.0, "ci_high": 36.0},
           "areas": {"decay": {"status": "amber"}, "balance": {"status": "amber"}},
           "findings": [{"id": "decay.slow_follow_up", "severity": "medium", "title": "Slow"},
                        {"id": "decay.no_follow_up", "severity": "high", "title": "Never"}],
           "value_at_stake": 600_000.0,
           "messages": [{"kpi": {"name": "Called back", "baseline": 0.5, "target": 0.8, "unit": "share",
                                 "by": "2025-06-01"}}]}
    c = story.compare(prev, now)
    h = c.headline.set_index("measure")
    assert h.loc["Headline", "change"] == 12.0 and h.loc["Headline", "verdict"] == "up"  # 12 > margin 5
    assert h.loc["Value at stake", "verdict"] == "down"
    assert c.areas.set_index("area").loc["decay", "verdict"] == "better"
    v = c.findings.set_index("finding")["verdict"].to_dict()
    assert v == {"decay.no_follow_up": "new", "decay.slow_follow_up": "better", "balance.role_skew": "resolved"}
    k = c.kpis.iloc[0]
    assert (k["previous"], k["now"], k["target"], k["verdict"]) == (0.2, 0.5, 0.8, "on track")


def test_a_missing_or_foreign_previous_file_is_a_plain_message(tmp_path):
    from npsdiag.errors import NpsdiagError

    with pytest.raises(NpsdiagError, match="does not exist"):
        story.load_previous(tmp_path / "nope.json")
    (tmp_path / "x.json").write_text("[1, 2]")
    with pytest.raises(NpsdiagError, match="not a findings.json"):
        story.load_previous(tmp_path / "x.json")


def test_a_score_below_zero_beyond_noise_is_itself_the_first_message():
    prep = _client()
    low = _diag(prep)
    low.headline = {"nps": -25.0, "ci_low": -28.0, "ci_high": -22.0, "pct_detractors": 54.0, "pct_promoters": 29.0}
    msgs = story.messages(low, prep)
    assert msgs[0].cause.key == "low_score" and msgs[0].priority == "Act now"
    assert msgs[0].conclusion.startswith("The NPS is -25 (from -28 to -22)") and "54%" in msgs[0].conclusion
    near = _diag(prep)
    near.headline = {"nps": -3.0, "ci_low": -9.0, "ci_high": 2.0}  # below zero, but not beyond the noise
    assert "low_score" not in {m.cause.key for m in story.messages(near, prep)}


def test_a_small_sample_alone_asks_for_more_answers_not_for_a_fixed_export():
    prep = _client()
    small = _finding("reliability.small_sample", "medium", "The overall NPS rests on 7 responses: ±40 points")
    (m,) = story.messages(_diag(prep, [small]), prep)
    assert m.cause.key == "data" and m.kpi is None
    assert "more responses" in m.recommendation and "Fix the survey data" not in m.recommendation


def test_a_partly_assessed_area_says_what_is_missing_not_the_whole_file():
    from npsdiag.findings import Check

    res = AreaResult("drivers", checks=[Check("score_drivers"),
                                        Check.skipped("churn_drivers", "needs each account's churn outcome")])
    diag = Diagnosis(client="T", data_summary={}, headline={}, areas={"drivers": res})
    (gap,) = story.unassessed(diag)
    assert gap["partly"] and gap["ask"] == "needs each account's churn outcome"
    assert "driver questions" not in gap["ask"]  # the driver ratings were supplied


def test_a_typed_survey_date_is_said_as_such_on_the_cover():
    from npsdiag.report.client import period_text

    d = Diagnosis(client="T", data_summary={"period": ["2020-09-29", "2020-09-29"], "survey_date": "2020-09-29"},
                  headline={}, areas={})
    assert period_text(d).startswith("survey dated 29 September 2020 (one date for every response")
    d.data_summary.pop("survey_date")
    assert period_text(d) == "29 September 2020 – 29 September 2020"


def test_the_data_pack_is_redacted_as_the_csvs_are_and_keeps_identifiers():
    from npsdiag.datapack import datapack_tables

    prep = _client()
    diag = _diag(prep)
    diag.areas["segmentation"] = AreaResult("segmentation", tables={"segments": pd.DataFrame(
        {"segment": ["jo@example.com", "North"], "account_id": ["A-1", "B-2"], "n": [3, 40]})})
    cells = lambda tables: {str(v) for _, _, t in tables for col in t for v in t[col]}  # noqa: E731
    assert "jo@example.com" in cells(datapack_tables(diag, redact=False))  # the value is there to be found
    kept = cells(datapack_tables(diag, redact=True))
    assert "jo@example.com" not in kept and "North" in kept and "A-1" in kept


def test_the_data_message_asks_only_for_the_fixes_its_findings_call_for():
    prep = _client()
    missing = _finding("reliability.missing_values", "medium", "78 responses (8.1%) had no score")
    (m,) = story.messages(_diag(prep, [missing]), prep)
    assert "mandatory" in m.recommendation
    assert "tests" not in m.recommendation and "feed" not in m.recommendation and "duplicate" not in m.recommendation
    gap = _finding("reliability.feed_gaps", "high", "3 weeks with abnormally few responses")
    (m,) = story.messages(_diag(prep, [missing, gap]), prep)
    assert m.recommendation.index("feed") < m.recommendation.index("mandatory")


def test_complaint_and_driver_messages_name_the_theme_and_the_driver():
    prep = _client()
    pain = _finding("verbatims.pain_point", "medium", "Price & value costs the most",
                    themes=[{"theme": "price & value", "impact": -9.1}, {"theme": "billing", "impact": -3.0}])
    drv = _finding("drivers.dominant_driver", "medium", "Support explains most of the score", score_driver="Support")
    by = {m.cause.key: m for m in story.messages(_diag(prep, [pain, drv]), prep)}
    assert "\u201cprice & value\u201d" in by["complaints"].recommendation
    assert "\u201cSupport\u201d" in by["drivers"].recommendation


def test_the_segment_kpi_and_value_name_the_segment_as_its_finding_does():
    prep = _client()
    found = [_finding("segmentation.hidden_segment", "medium", "Owner “Ann B.” is low", dimension="owner",
                      segment="Ann", name="Owner “Ann B.”", nps=-20.0, overall_nps=10.0)]
    m = story.messages(_diag(prep, found), prep)[0]
    assert m.kpi.name == "NPS of Owner “Ann B.”" and "in Owner “Ann B.” whose" in m.value_label
    # an older findings.json without the name: the column and the value
    found = [_finding("segmentation.hidden_segment", "medium", "Ann is low", dimension="owner", segment="Ann",
                      nps=-20.0, overall_nps=10.0)]
    assert story.messages(_diag(prep, found), prep)[0].kpi.name == "NPS of owner Ann"


def test_a_staged_kpi_target_says_the_goal_it_leads_to():
    from npsdiag.story.messages import Kpi

    k = Kpi("ARR heard from a decision maker each quarter", 0.23, 0.43, "share", 180, goal=0.8)
    assert k.step == "43% in 180 days, on the way to 80%"
    assert Kpi("Survey rows usable", 0.96, 0.99, "share", 30).step == "99% in 30 days"  # the target is the goal
    assert Kpi("x", 0.5, 0.8, "share", 30, goal=0.8).step == "80% in 30 days"


def test_a_driver_or_complaint_message_is_owned_by_the_role_its_theme_names():
    prep = _client()
    found = [_finding("drivers.dominant_driver", "medium", "Support drives the score", driver="Support"),
             _finding("verbatims.theme_impact", "medium", "Billing costs the most", theme="billing & payments")]
    by = {m.cause.key: m for m in story.messages(_diag(prep, found), prep)}
    assert by["drivers"].owner == "Head of Support" and by["complaints"].owner == "Head of Billing, with Finance"
    assert "an owner" not in by["complaints"].recommendation  # the owner is named, not asked for
    # a driver no theme names keeps the cause's owner
    other = [_finding("drivers.dominant_driver", "medium", "Overall impression drives it", driver="Overall impression")]
    m = story.messages(_diag(prep, other), prep)[0]
    assert m.owner == m.cause.owner == "Product and operations leaders"
