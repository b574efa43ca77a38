"""Verbatims area: text building blocks, statistics against hand computations, findings, real data, demo."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from npsdiag import clean, io
from npsdiag import text as tx
from npsdiag.areas import verbatims as V
from npsdiag.areas.verbatims import checks, common, coverage, rules, terms, themes, warning
from npsdiag.errors import NpsdiagError
from npsdiag.stats.terms import log_odds_dirichlet
from npsdiag.text import topics

ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- synthetic data

TEMPLATES = {
    "billing": ["The invoice was wrong again", "We were charged twice this month", "Billing errors every quarter"],
    "support": ["Support was quick and helpful", "The support agent solved it the same day",
                "Helpful staff on the phone"],
    "ease": ["Easy to use and intuitive", "Very easy to use", "Simple and intuitive product"],
    "delivery": ["The engineer never came", "Waited three weeks for the engineer", "Delivery was late again"],
    "neutral": ["Fine overall", "Does the job for us", "Good product", "Nice people"],
}


def make_responses(n: int = 3000, seed: int = 1, billing_late: float = 0.03, pain: bool = False,
                   comment_rate: float = 0.6) -> pd.DataFrame:
    """Two years of responses; billing comments take ``billing_late`` of comments in Q4 2025 (3% before).

    Scores are independent of the comment unless ``pain``: then delivery comments come with low scores.
    """
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01").value
    end = pd.Timestamp("2025-12-31").value
    dates = pd.to_datetime(np.sort(rng.integers(start, end, n)))
    score = rng.choice(np.arange(11), n, p=[.03, .02, .02, .03, .04, .06, .08, .14, .18, .2, .2]).astype(float)
    late = dates >= pd.Timestamp("2025-10-01")
    p_bill = np.where(late, billing_late, 0.03)
    u = rng.random(n)
    theme = np.where(u < p_bill, "billing",
                     np.array(["support", "ease", "delivery", "neutral"])[rng.integers(0, 4, n)])
    text = np.array([TEMPLATES[t][rng.integers(0, len(TEMPLATES[t]))] for t in theme], dtype=object)
    if pain:  # delivery comments come with low scores, billing ones with middling scores
        bad = theme == "delivery"
        score[bad] = rng.choice([0, 1, 2, 3, 4, 5], bad.sum())
        bill = theme == "billing"
        score[bill] = rng.choice([2, 4, 6, 7, 8], bill.sum())
    has = rng.random(n) < comment_rate
    text[~has] = None
    return pd.DataFrame({"score": score, "responded_at": dates, "comment": text,
                         "Region": rng.choice(["EMEA", "Americas"], n), "response_id": [f"r{i}" for i in range(n)]})


def prepared(resp: pd.DataFrame, settings: dict | None = None, segments: list[str] | None = None):
    data = io.from_frames(resp, segments=segments if segments is not None else ["Region"], settings=settings)
    return clean.prepare(data, as_of=pd.Timestamp("2026-06-01"))


@pytest.fixture(scope="module")
def rising():
    return V.diagnose(prepared(make_responses(billing_late=0.2, pain=True)))


@pytest.fixture(scope="module")
def steady():
    return V.diagnose(prepared(make_responses(billing_late=0.03, pain=False)))


# --------------------------------------------------------------------------- the statistic, by hand


def test_log_odds_dirichlet_against_hand_computation() -> None:
    # Monroe, Colaresi & Quinn (2008) eq. 16 and 20, counts a = (20, 5, 75) (n_a = 100), b = (5, 15, 30)
    # (n_b = 50), prior alpha = (2, 2, 6) (alpha_0 = 10):
    # term 1: a: (20+2)/(100+10-20-2) = 22/88 = 0.25; b: (5+2)/(50+10-5-2) = 7/53 = 0.132075
    #         delta = ln 0.25 - ln 0.132075 = -1.386294 + 2.024382 = 0.638087
    #         var = 1/22 + 1/7 = 0.188312, se = 0.433949, z = 1.470420
    # term 2: a: 7/103 = 0.067961; b: 17/43 = 0.395349; delta = -2.688848 + 0.928016 = -1.760832
    #         var = 1/7 + 1/17 = 0.201681, se = 0.449089, z = -3.920900
    # term 3: a: 81/29 = 2.793103; b: 36/24 = 1.5; delta = 1.027165 - 0.405465 = 0.621688
    #         var = 1/81 + 1/36 = 0.040123, se = 0.200308, z = 3.103655
    r = log_odds_dirichlet([20, 5, 75], [5, 15, 30], prior=[2, 2, 6])
    assert r["log_odds"].tolist() == pytest.approx([0.638087, -1.760832, 0.621688], abs=1e-5)
    assert r["se"].tolist() == pytest.approx([0.433949, 0.449089, 0.200308], abs=1e-5)
    assert r["z"].tolist() == pytest.approx([1.470420, -3.920900, 3.103655], abs=1e-5)
    # swapping the groups negates delta and z; a rescaled prior (alpha_0 = 5) is the same as halving it
    sw = log_odds_dirichlet([5, 15, 30], [20, 5, 75], prior=[2, 2, 6])
    assert sw["z"].tolist() == pytest.approx((-r["z"]).tolist())
    half = log_odds_dirichlet([20, 5, 75], [5, 15, 30], prior=[2, 2, 6], prior_scale=5)
    assert half["z"].tolist() == pytest.approx(log_odds_dirichlet([20, 5, 75], [5, 15, 30],
                                                                  prior=[1, 1, 3])["z"].tolist())
    # a Series keeps its term index; a zero prior leaves the term undefined
    s = log_odds_dirichlet(pd.Series([1, 2], index=["x", "y"]), pd.Series([2, 1], index=["x", "y"]),
                           prior=[0, 1])
    assert list(s.index) == ["x", "y"] and math.isnan(s.loc["x", "z"])


def test_distinguishing_terms_counts_each_comment_once_and_matches_formula() -> None:
    det = ["late late late engineer"] * 8 + ["engineer was rude"] * 4
    pro = ["great support"] * 10 + ["engineer was great"] * 2
    df = pd.DataFrame({"comment": det + pro + ["ok product"] * 3,
                       "category": ["detractor"] * 12 + ["promoter"] * 12 + ["passive"] * 3})
    t = V.distinguishing_terms(df, top=50, all_terms=True, min_df=1)
    row = t.set_index("term").loc["late"]
    assert (row["comments_a"], row["comments_b"]) == (8, 0)  # "late late late" counts once per comment
    assert row["share_a"] == pytest.approx(8 / 12)
    # independent recomputation of 'late' with the documented prior: alpha_0 = 0.1 x all mentions, spread
    # in proportion to pooled frequencies (every category). Mentions per comment, stop words removed and
    # phrases = adjacent kept words: "late late late engineer" -> late, engineer, late late, late engineer (4, x8);
    # "engineer was rude" -> engineer, rude (2, x4: "was" is a stop word, so no phrase); "great support" -> 3
    # (x10); "engineer was great" -> 2 (x2); "ok product" -> product (1, x3: "ok" is a stop word).
    n_a = 4 * 8 + 2 * 4
    n_b = 3 * 10 + 2 * 2
    total = n_a + n_b + 3
    alpha = 0.1 * total * 8 / total  # 'late' is mentioned in 8 comments in all
    a0 = 0.1 * total
    delta = math.log((8 + alpha) / (n_a + a0 - 8 - alpha)) - math.log(alpha / (n_b + a0 - alpha))
    z = delta / math.sqrt(1 / (8 + alpha) + 1 / alpha)
    assert row["log_odds"] == pytest.approx(delta)
    assert row["z"] == pytest.approx(z)
    top = V.distinguishing_terms(df, top=3, min_df=1)
    assert set(top.loc[top["more_used_by"] == "promoter", "term"]) >= {"great support"}
    assert (top.loc[top["more_used_by"] == "detractor", "z"] > 1.96).all()


# --------------------------------------------------------------------------- tokens, terms, lexicon, languages


def test_tokenize_handles_accents_emoji_rtl_cjk_html_and_missing() -> None:
    texts = ["Très bien 👍 – l'équipe est géniale!", None, "", "الخدمة ممتازة جدا", "שירות מצוין",
             "非常好的服务", "<script>alert(1)</script>", "I don't know. Can't say", "🙂🙂", "Отличный сервис"]
    t = tx.tokenize(pd.Series(texts, dtype="string"))
    words = [(int(d), str(t.vocab[c])) for d, c in zip(t.doc, t.code) if t.vocab[c] != tx.BARRIER]
    assert (0, "très") in words and (0, "géniale") in words
    assert (3, "ممتازة") in words and (4, "מצוין") in words and (9, "отличный") in words
    assert (5, "非常好的服务") in words
    assert (6, "script") in words and (6, "alert") in words
    assert (7, "dont") in words and (7, "cant") in words
    assert not any(d in (1, 2, 8) for d, _ in words)
    assert t.n_docs == len(texts) and (np.diff(t.doc) >= 0).all()


def test_term_matrix_binary_counts_stop_words_and_sentence_barrier() -> None:
    tm = tx.term_matrix(tx.tokenize(["Slow slow slow. Support helped", "The support was slow"]))
    terms = dict(zip(tm.terms, tm.df.tolist()))
    assert terms["slow"] == 2 and terms["support"] == 2
    assert "slow support" not in terms  # a phrase never spans a sentence end
    assert "support helped" in terms and "the" not in terms and "was" not in terms
    assert tm.matrix.max() == 1


def test_match_lexicon_wildcards_phrases_and_config_themes() -> None:
    tok = tx.tokenize(["Invoices were wrong. Set up took ages", "put on hold for an hour", "set. up", "SSO via SAML"])
    lex = tx.merge_themes({"identity": ["sso", "saml"], "billing & payments": ["ages"]})
    m = tx.match_lexicon(tok, lex)
    assert m.loc[0, "billing & payments"] == 2  # invoic* + the added keyword "ages"
    assert m.loc[0, "onboarding & setup"] == 1 and m.loc[1, "support & service"] == 1  # "set up", "on hold"
    assert m.loc[2, "onboarding & setup"] == 0  # not across a sentence end
    assert m.loc[3, "identity"] == 2
    assert "delivery & engineers" not in tx.merge_themes({"Delivery & Engineers": []})


def test_settings_themes_are_validated() -> None:
    resp = make_responses(200)
    themes = {"identity": ["sso", "single sign on"], "billing & payments": "dunning"}
    d = io.from_frames(resp, settings={"themes": themes})
    assert d.settings.themes == {"identity": ["sso", "single sign on"], "billing & payments": ["dunning"]}
    for bad in (["sso"], {"x": [["nested"]]}, {"x": ["a b c d"]}, {"x": ["mid*dle"]}):
        with pytest.raises(NpsdiagError):
            io.from_frames(resp, settings={"themes": bad})


def test_detect_languages() -> None:
    langs = tx.detect_languages(tx.tokenize([
        "The engineer was great and the support too", "Le service est très bien et rapide",
        "El servicio fue muy bueno y rápido", "Der Service ist sehr gut und schnell",
        "Il servizio è molto buono", "O atendimento foi muito bom", "Het is een goede service en ook snel",
        "الخدمة ممتازة", "שירות מצוין", "Отличный сервис", "非常好的服务", "Super!", None]))
    assert langs.tolist() == ["en", "fr", "es", "de", "it", "pt", "nl", "arabic", "hebrew", "cyrillic", "cjk",
                              "undetermined", "undetermined"]


# --------------------------------------------------------------------------- coverage, themes, quotes


def test_comment_coverage_against_wilson() -> None:
    df = pd.DataFrame({"comment": ["a"] * 30 + [None] * 50 + ["n/a"] * 20,
                       "category": ["detractor"] * 25 + ["promoter"] * 75})
    cov = V.comment_coverage(df, by=["category"])
    assert cov[["group", "value", "responses", "with_comment"]].values.tolist() == [
        ["all", "all responses", 100, 30], ["category", "promoter", 75, 5], ["category", "detractor", 25, 25]]
    lo, hi = proportion_confint(30, 100, method="wilson")  # R: binom::binom.wilson(30, 100)
    assert (cov.loc[0, "ci_low"], cov.loc[0, "ci_high"]) == pytest.approx((lo, hi))
    assert cov.loc[0, "ci_low"] == pytest.approx(0.2189, abs=1e-4)


def test_theme_summary_nps_and_interval_by_hand() -> None:
    # 'billing' comments: 6 detractors, 2 passives, 2 promoters -> NPS (2 - 6) / 10 = -40.
    # Adjusted Wald (Rocks 2016): add 0.75 / 1.5 / 0.75 -> d 6.75, p 3.5, r 2.75, n 13;
    # nps_adj = (2.75 - 6.75) / 13 = -0.307692; var = (2.75 + 6.75) / 13 - 0.307692^2 = 0.636095;
    # half = 1.959964 * sqrt(0.636095 / 13) = 0.433552 -> [-74.12, 12.59]
    comments = ["invoice wrong"] * 10 + ["easy to use"] * 10
    scores = [0] * 6 + [7, 8] + [9, 10] + [10] * 10
    t = V.theme_summary(pd.DataFrame({"comment": comments, "score": scores})).set_index("theme")
    b = t.loc["billing & payments"]
    assert b["comments"] == 10 and b["share"] == 0.5
    assert b["nps"] == pytest.approx(-40)
    assert (b["nps_ci_low"], b["nps_ci_high"]) == pytest.approx((-74.1244, 12.5860), abs=1e-3)
    assert b["nps_vs_rest"] == pytest.approx(-40 - 100)


def test_quotes_are_redacted_truncated_plain_text() -> None:
    long = ("The invoice was wrong and nobody answered my calls for weeks, " * 3) + "write to jo.bloggs@example.com"
    df = pd.DataFrame({"comment": [long, "Invoice wrong, call me on +44 7700 900123",
                                   "Billing page shows <script>alert(1)</script> instead of the total"],
                       "score": [0, 3, 10]})
    q = V.theme_quotes(df, only=["billing & payments"])
    assert len(q) == 3
    assert all(len(x) <= V.QUOTE_CHARS for x in q["quote"])
    joined = " ".join(q["quote"])
    assert "@" not in joined and "jo.bloggs" not in joined and "7700" not in joined and "[phone]" in joined
    assert "Billing page shows <script>alert(1)</script> instead of the total" in q["quote"].tolist()
    raw = V.theme_quotes(df, only=["billing & payments"], redact=False)
    assert "+44 7700 900123" in " ".join(raw["quote"])


def test_quotes_prefer_the_main_language_and_skip_repeats() -> None:
    # the Spanish comment is read with the Spanish lexicon ("informes" shares the stem of "información") but
    # ranks after the comments in the main language; a comment containing one already quoted is skipped
    df = pd.DataFrame({"comment": ["Los informes son excelentes", "Great report, informative",
                                   "Really: Great report, informative", "We were never informed of changes"],
                       "score": [10, 10, 9, 2]})
    q = V.theme_quotes(df, only=["communication"], per_theme=3)
    assert q["quote"].tolist() == ["We were never informed of changes", "Great report, informative",
                                   "Los informes son excelentes"]


# --------------------------------------------------------------------------- early warning


def test_early_warning_z_test_against_statsmodels() -> None:
    resp = make_responses(billing_late=0.2)
    sub = resp[resp["comment"].notna()].reset_index(drop=True)
    ew = V.early_warning(sub, include_terms=False)
    row = ew.set_index("item").loc["billing & payments"]
    assert row["rising"] and ew.attrs["window"] == ["2025-10-01", "2025-12-30"]
    # R: prop.test(c(k1, k0), c(n1, n0), alternative = "greater", correct = FALSE) gives the same p
    z, p = proportions_ztest([row["latest_comments"], row["before_comments"]],
                             [ew.attrs["n_latest"], ew.attrs["n_before"]], alternative="larger")
    assert row["z"] == pytest.approx(z) and row["p_value"] == pytest.approx(p)


def test_early_warning_fires_on_a_rise_and_not_on_steady_data(rising, steady) -> None:
    f = rising.finding("verbatims.early_warning")
    assert f is not None and f.severity == "medium"
    assert f.evidence["items"][0]["item"] == "billing & payments"
    assert f.evidence["items"][0]["latest_share"] > 2 * f.evidence["items"][0]["before_share"]
    assert "early_warning" in rising.tables and any(x.key == "verbatims_early_warning" for x in rising.figures)
    assert steady.finding("verbatims.early_warning") is None


def test_pain_point_fires_only_when_a_theme_scores_low(rising, steady) -> None:
    f = rising.finding("verbatims.pain_point")
    assert f is not None and f.severity == "low"
    assert f.evidence["themes"][0]["theme"] == "delivery & engineers"
    assert steady.finding("verbatims.pain_point") is None


def test_low_coverage_fires_only_when_few_comment() -> None:
    low = V.diagnose(prepared(make_responses(comment_rate=0.05)))
    f = low.finding("verbatims.low_coverage")
    assert f is not None and f.severity == "medium" and f.evidence["share"] < 0.1
    ok = V.diagnose(prepared(make_responses(n=800, comment_rate=0.6)))
    assert ok.finding("verbatims.low_coverage") is None


def test_diagnose_result_shape_and_serialisable(rising) -> None:
    assert rising.area == "verbatims" and rising.status == "amber"
    assert {"coverage", "languages", "terms", "themes", "quotes", "early_warning"} <= set(rising.tables)
    for key, table in rising.tables.items():
        assert len(table) <= 30, key
        assert key in rising.table_captions
        assert all(c == c.lower() and " " not in c for c in table.columns), key
    for fig in rising.figures:
        assert fig.figure.get_size_inches()[0] <= 7.5
    for f in rising.findings:
        assert f.id in V.FINDING_IDS
        json.dumps(f.to_dict())
    assert rising.summary and any("Fightin' Words" in n for n in rising.notes)


def test_every_check_is_listed_assessed_or_not(rising) -> None:
    assert [c.name for c in rising.checks] == list(checks.CHECKS)
    # the synthetic comments come from 16 templates: too few different texts for topics (NMF needs 20)
    assert [c.name for c in rising.checks if not c.assessed] == ["topics"]
    assert "different texts" in rising.checks[5].reason and "topics" not in rising.tables
    few = V.diagnose(prepared(make_responses(300).assign(comment=np.where(np.arange(300) < 5, "slow", None))))
    assert [(c.name, c.assessed) for c in few.checks] == [("coverage", True)] + [(n, False) for n in checks.CHECKS[1:]]
    assert all("at least 20 comments" in c.reason for c in few.checks[1:])
    assert few.notes == ["Term statistics and themes need at least 20 comments."]
    no_col = V.diagnose(prepared(make_responses(300).drop(columns="comment")))
    assert [c.name for c in no_col.checks] == list(checks.CHECKS) and not any(c.assessed for c in no_col.checks)


def test_low_coverage_rule_on_hand_made_tables() -> None:
    # 50 of 1,000 responses comment: Wilson 95% upper bound ~0.065 < 25%, share < 10% -> medium; detractors 8%.
    cov = pd.DataFrame({"group": ["all", "category"], "value": ["all responses", "detractor"],
                        "responses": [1000, 300], "with_comment": [50, 24], "share": [0.05, 0.08],
                        "ci_low": [0.038, 0.054], "ci_high": [0.065, 0.117]})
    f = rules.low_coverage({"coverage": cov})
    assert f is not None and f.severity == "medium" and f.evidence["n"] == 1000
    assert "Among detractors it is 8%" in f.detail
    # 20% coverage whose interval reaches above 25% is not significantly low; 15% (interval below 25%) is, low
    wide = cov.assign(share=[0.20, 0.2], ci_low=[0.12, 0.1], ci_high=[0.30, 0.3])
    assert rules.low_coverage({"coverage": wide}) is None
    low = cov.assign(share=[0.15, 0.2], ci_low=[0.13, 0.1], ci_high=[0.17, 0.3])
    assert rules.low_coverage({"coverage": low}).severity == "low"
    assert rules.low_coverage({}) is None  # check not run


def test_pain_point_and_early_warning_rules_on_hand_made_contexts() -> None:
    table = pd.DataFrame({"theme": ["billing", "support", "rare"], "comments": [200, 300, 20],
                          "share": [0.2, 0.3, 0.02], "nps": [-50.0, 10.0, -80.0], "nps_ci_low": [-60.0, 0.0, -95.0],
                          "nps_ci_high": [-40.0, 20.0, -50.0], "nps_vs_rest": [-45.0, -10.0, -90.0],
                          "p_adj": [1e-6, 0.01, 1e-4]})
    ctx = {"themes": table, "n_comments": 1000, "min_n": 30, "alpha": 0.05}
    f = rules.pain_point(ctx)
    # support is only 10 points below (under the 15-point gap); rare is 2% of comments (under 5%)
    assert f is not None and [t["theme"] for t in f.evidence["themes"]] == ["billing"]
    assert rules.pain_point({**ctx, "alpha": 1e-7}) is None  # not significant at that level
    # early warning: billing rose 3% -> 12% (medium: at least doubled, +9 points); its commenters score -50,
    # below all commenters (0); a favourable rise of 'praise' (NPS 60 > 0) is no warning
    ew = pd.DataFrame({"kind": ["theme", "theme"], "item": ["billing", "praise"], "before_share": [0.03, 0.05],
                       "latest_share": [0.12, 0.15], "ratio": [4.0, 3.0], "latest_comments": [60, 75],
                       "p_adj": [1e-5, 1e-5], "nps_item": [-50.0, 60.0], "rising": [True, True],
                       "same_comments_as": [None, None]})
    ew.attrs.update(window=["2025-10-01", "2025-12-31"], baseline=["2024-10-01", "2025-09-30"], n_latest=500,
                    n_before=2000, nps_latest=0.0, nps_before=2.0, nps_change_p=0.6)
    f = rules.early_warning({"early_warning": ew, "commenters_nps": 0.0}, {"theme_nps": {"billing": -50.0}})
    assert f is not None and f.severity == "medium" and [i["item"] for i in f.evidence["items"]] == ["billing"]
    assert "has not moved significantly yet" in f.detail
    only_praise = ew.iloc[[1]]
    only_praise.attrs.update(ew.attrs)
    assert rules.early_warning({"early_warning": only_praise, "commenters_nps": 0.0}, {}) is None
    assert rules.early_warning({}, {}) is None


# --------------------------------------------------------------------------- degraded inputs


def test_degraded_inputs_never_raise() -> None:
    base = make_responses(300)
    no_col = V.diagnose(prepared(base.drop(columns="comment")))
    assert no_col.status == "not_assessed" and "comment" in no_col.not_assessed_reason
    empty = V.diagnose(prepared(base.assign(comment=None)))
    assert empty.finding("verbatims.low_coverage") is not None and "terms" not in empty.tables
    few = V.diagnose(prepared(base.assign(comment=np.where(np.arange(300) < 5, "slow", None))))
    assert "coverage" in few.tables and not few.not_assessed_reason
    one_cat = V.diagnose(prepared(base.assign(score=10.0)))
    assert "terms" not in one_cat.tables and "themes" in one_cat.tables
    same = base.assign(comment="The invoice was wrong", score=0.0)  # one theme in every comment, one category
    assert V.diagnose(prepared(same)).tables["themes"].iloc[0]["share"] == 1
    short = base[base["responded_at"] > "2025-11-01"]
    assert not V.diagnose(prepared(short)).not_assessed_reason
    weird = base.copy()
    weird["comment"] = np.resize(np.array(["🙂🙂🙂", "الخدمة ممتازة", "שירות מצוין", "非常好的服务", "ok",
                                           "<b>bold</b> <script>alert(1)</script>", "x" * 5000, "Très bien!",
                                           "\n\t ", "1234567"], dtype=object), len(weird))
    res = V.diagnose(prepared(weird))
    assert not res.not_assessed_reason
    assert any("English" in n for n in res.notes)


# --------------------------------------------------------------------------- real data and demo


def test_real_bt_verbatims(shared_data: Path) -> None:
    path = shared_data / "external" / "bt-nps-verbatims" / "verbatim.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    raw = pd.read_csv(path)
    resp = pd.DataFrame({
        "score": raw["NPS_SCORE"],
        "responded_at": pd.to_datetime(raw["CUSTOMER_RESPONSE_DATE"], dayfirst=True, format="%d/%m/%Y %H:%M"),
        "comment": raw["text"], "SURVEY_SUB_TYPE": raw["SURVEY_SUB_TYPE"]})
    prep = prepared(resp, segments=["SURVEY_SUB_TYPE"])
    t0 = time.perf_counter()
    res = V.diagnose(prep)
    elapsed = time.perf_counter() - t0
    assert elapsed < 30
    terms = res.tables["terms"]
    det = set(terms.loc[terms["more_used_by"] == "detractors", "term"])
    pro = set(terms.loc[terms["more_used_by"] == "promoters", "term"])
    assert det & {"waiting", "wait", "engineer", "connection", "weeks", "months", "cancelled"}
    assert pro & {"easy", "helpful", "friendly", "excellent"}
    themes = res.tables["themes"].set_index("theme")
    assert themes.loc["delivery & engineers", "nps"] < -50  # SOURCE.md: overall NPS -24.7
    assert res.finding("verbatims.pain_point") is not None
    assert res.tables["languages"].iloc[0]["language"] == "en"
    # dates are day-first: April 2018 responses exist, none in November/December 2018
    assert prep.responses["responded_at"].max() < pd.Timestamp("2018-07-01")


def test_demo_client() -> None:
    cfg = ROOT / "examples" / "demo" / "config.yml"
    if not (ROOT / "examples" / "demo" / "responses.csv").exists():
        pytest.skip("the demo export has not been generated (python -m npsdiag.sample)")
    prep = clean.prepare(io.load(cfg))
    res = V.diagnose(prep)
    f = res.finding("verbatims.early_warning")
    assert f is not None and f.evidence["items"][0]["item"] == "billing & payments"
    assert f.evidence["window"][0] == "2025-10-01"
    cells = " ".join(str(v) for t in res.tables.values() for v in t.astype(str).to_numpy().ravel())
    assert "@" not in cells
    script = prep.responses["comment"].str.contains("<script>", regex=False, na=False)
    assert script.any()
    sub = prep.responses[script | prep.responses["comment"].str.contains("@", regex=False, na=False)]
    quotes = V.theme_quotes(sub.reset_index(drop=True), per_theme=50)
    assert any("<script>" in q for q in quotes["quote"])  # kept as plain text; the report escapes it
    assert not quotes["quote"].str.contains(r"[\w.+-]+@[\w-]+\.", regex=True).any()


# --------------------------------------------------------------------------- distinct texts (performance)


def _dup_frame() -> pd.DataFrame:
    """Responses whose comments repeat (as exports do), with placeholders, blanks and missing values."""
    d = make_responses(2400, seed=5, billing_late=0.2, pain=True)
    d.loc[d.index[::17], "comment"] = "n/a"
    d.loc[d.index[::23], "comment"] = "  "
    d.loc[d.index[5::29], "comment"] = "The invoice was WRONG again, call 07700 900123"
    d["category"] = pd.Categorical(np.where(d["score"] <= 6, "detractor", np.where(d["score"] >= 9, "promoter",
                                                                                       "passive")))
    return d


def test_corpus_counts_equal_the_per_comment_computation() -> None:
    # Each building block on distinct texts weighted by their comments (text.corpus, what the checks pass to the
    # blocks' *_from_corpus forms) against the same block on every comment tokenised separately (a corpus whose
    # texts are the rows themselves): identical tables. The public blocks build the first from the comment column.
    d = _dup_frame()
    c = tx.corpus(d["comment"])
    assert c.n_texts < len(d) / 50 and c.counts(c.commented()).sum() == c.commented().sum()
    rows = tx.Corpus.from_rows(d["comment"], tx.tokenize(d["comment"]))
    assert rows.n_texts == len(d)
    for public, fn, kw in ((V.comment_languages, coverage.languages_from_corpus, {}),
                           (V.distinguishing_terms, terms.terms_from_corpus, {"top": 8}),
                           (V.theme_summary, themes.themes_from_corpus, {}),
                           (V.theme_quotes, themes.quotes_from_corpus, {"per_theme": 2}),
                           (V.early_warning, warning.warning_from_corpus, {"min_count": 5})):
        a = fn(d, c, **kw)
        b = fn(d, rows, **kw)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=fn.__name__)
        assert a.attrs == b.attrs
        p = public(d, **kw)
        pd.testing.assert_frame_equal(a, p, obj=public.__name__)
        assert a.attrs == p.attrs
    with pytest.raises(ValueError):
        themes.themes_from_corpus(d.iloc[:10], c)


def test_nmf_on_distinct_texts_has_the_comment_level_solution() -> None:
    # k identical rows x enter once as sqrt(k) x: the Frobenius objective for H is the same, so fitted to
    # convergence both give the same topics (components), checked against scikit-learn on the expanded rows.
    from scipy import sparse
    from sklearn.decomposition import NMF

    rng = np.random.default_rng(2)
    base = sparse.random(40, 30, density=0.15, random_state=3, format="csr")
    base.data[:] = rng.uniform(0.2, 1, len(base.data))
    texts = rng.integers(0, 40, 400)  # 400 comments sharing 40 texts
    full = NMF(n_components=3, init="nndsvda", random_state=0, max_iter=5000, tol=1e-10).fit(base[texts])
    model = NMF(n_components=3, init="nndsvda", random_state=0, max_iter=5000, tol=1e-10)
    assert topics.fit_nmf_distinct(model, base, texts, seed=0) is model
    np.testing.assert_allclose(model.components_, full.components_, rtol=1e-3, atol=1e-4)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # tol=0: every iteration runs
def test_nndsvd_start_is_scikit_learns_nndsvda_start() -> None:
    # Filled with the mean of X, the start is scikit-learn's own init="nndsvda": fitting NMF from it (init="custom")
    # gives exactly the factorisation of NMF(init="nndsvda") after any number of iterations.
    from scipy import sparse
    from sklearn.decomposition import NMF

    X = sparse.random(60, 25, density=0.2, random_state=4, format="csr")
    W, H = topics.nndsvd_start(X, 4, random_state=1)
    assert W.shape == (60, 4) and H.shape == (4, 25) and (W >= 0).all() and (H >= 0).all()
    assert (W == 0).any()  # NNDSVD keeps zeros (that is what the "a" start fills)
    avg = X.mean()
    W, H = np.where(W == 0, avg, W), np.where(H == 0, avg, H)
    for iters in (1, 50):
        ref = NMF(n_components=4, init="nndsvda", random_state=1, max_iter=iters, tol=0).fit(X)
        own = NMF(n_components=4, init="custom", random_state=1, max_iter=iters, tol=0).fit(X, W=W.copy(),
                                                                                            H=H.copy())  # fit updates W
        np.testing.assert_array_equal(own.components_, ref.components_)
    with pytest.raises(ValueError):
        topics.nndsvd_start(X, 30)


def test_coverage_with_precomputed_codes_matches_factorizing() -> None:
    d = _dup_frame()
    d.loc[d.index[[0, 7, 300]], "Region"] = None
    d.loc[d.index[1:4], "Region"] = "APAC"
    has = common.commented(d, "comment")
    codes = {"Region": pd.factorize(d["Region"])}
    a = coverage.coverage_from_flags(d, has, ["category", "Region"], 0.95, 6, codes=codes)
    b = V.comment_coverage(d, "comment", by=["category", "Region"], max_levels=6)
    pd.testing.assert_frame_equal(a, b)
    assert "(missing)" in set(b["value"])


def test_few_distinct_comments_repeated_many_times_give_no_topics_and_no_error():
    """3 texts over 2,000 comments: NMF on distinct texts must not be asked for 6 topics (it raised)."""
    rng = np.random.default_rng(3)
    n = 2000
    texts = np.array(["great support and fast answers", "slow billing team never called back",
                      "price too high for what we get"])
    resp = pd.DataFrame({"score": rng.integers(0, 11, n).astype(float),
                         "responded_at": pd.date_range("2024-01-01", periods=n, freq="6h"),
                         "comment": texts[rng.integers(0, 3, n)]})
    corpus = tx.corpus(resp["comment"])
    fit = tx.fit_topics(tx.term_matrix(corpus.tokens), rows=corpus.inverse)
    assert fit.topics.empty and fit.n_topics == 0 and (fit.assignment == -1).all() and len(fit.assignment) == n
    res = V.diagnose(clean.prepare(io.from_frames(resp)))  # the whole area runs (it failed the report before)
    assert res.tables  # coverage, terms and themes are still reported
