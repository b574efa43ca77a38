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
from npsdiag.areas.verbatims import checks, common, coverage, impact, rules, terms, themes, warning
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
    # the Spanish comment is read with the Spanish lexicon ("comunicación") but ranks after the comments in the
    # main language; a comment containing one already quoted is skipped
    df = pd.DataFrame({"comment": ["Muy buena comunicación con el equipo", "Great report, informative",
                                   "Really: Great report, informative", "We were never informed of changes"],
                       "score": [10, 10, 9, 2]})
    q = V.theme_quotes(df, only=["communication"], per_theme=3)
    assert q["quote"].tolist() == ["We were never informed of changes", "Great report, informative",
                                   "Muy buena comunicación con el equipo"]


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
    # delivery comments (about a quarter) all come with scores 0-5: NPS -100 against about +30 for the others,
    # an impact of about -30 points, far beyond the high threshold of -10
    assert f is not None and f.severity == "high"
    assert f.evidence["themes"][0]["theme"] == "delivery & engineers" and f.evidence["impact"] < -20
    assert steady.finding("verbatims.pain_point") is None


def test_low_coverage_fires_only_when_few_comment() -> None:
    low = V.diagnose(prepared(make_responses(comment_rate=0.05)))
    f = low.finding("verbatims.low_coverage")
    assert f is not None and f.severity == "medium" and f.evidence["share"] < 0.1
    ok = V.diagnose(prepared(make_responses(n=800, comment_rate=0.6)))
    assert ok.finding("verbatims.low_coverage") is None


def test_diagnose_result_shape_and_serialisable(rising) -> None:
    assert rising.area == "verbatims" and rising.status == "red"  # the high pain point
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
    # issue 19 class 10: 22% of comments at NPS -66 is the costliest theme (about 12 points), not a low observation
    assert res.tables["themes"].iloc[0]["theme"] == "delivery & engineers"
    assert themes.loc["delivery & engineers", "impact"] == pytest.approx(-11.8, abs=0.1)
    f = res.finding("verbatims.pain_point")
    assert f is not None and f.severity == "high" and f.evidence["themes"][0]["theme"] == "delivery & engineers"
    assert res.summary.split("; ")[1].startswith("delivery & engineers costs the most")
    assert res.tables["languages"].iloc[0]["language"] == "en"
    # BT's damage is apostrophes lost in the export ("it\ufffds"): the note must not describe accents only
    note = next(n for n in res.notes if "were repaired" in n)
    assert "apostrophes" in note and "could not be repaired" in note
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


# --------------------------------------------------------------------------- issue 16 item 8: theme tests need n


def test_a_theme_with_one_comment_is_never_tested() -> None:
    # 200 promoters write "great product"; one detractor writes about an invoice. Without a minimum n the Wald
    # test of that theme against the rest gave p < 0.001 (its variance comes from the adjusted counts of one
    # comment); under settings.min_n it is shown but not tested, and no finding rests on it.
    df = pd.DataFrame({"comment": ["great product"] * 200 + ["the invoice was wrong"], "score": [10] * 200 + [0]})
    old = __import__("npsdiag.stats.nps", fromlist=["nps_diff_test"]).nps_diff_test((1, 0, 0), (0, 0, 200))
    assert old.p_value < 0.001  # what the table said before
    t = V.theme_summary(df, min_n=30).set_index("theme")
    assert t.loc["billing & payments", "comments"] == 1
    assert math.isnan(t.loc["billing & payments", "p_value"]) and math.isnan(t.loc["billing & payments", "p_adj"])
    # with min_n = 1 it is tested again, with the same two-sample Wald p as the statistic's own function
    t1 = V.theme_summary(df, min_n=1).set_index("theme")
    assert t1.loc["billing & payments", "p_value"] == pytest.approx(old.p_value)
    ctx = {"themes": t.reset_index(), "n_comments": 201, "min_n": 1, "alpha": 0.05}
    assert rules.pain_point(ctx) is None  # 1 comment: under 5% of comments, and untested


def test_theme_min_n_comes_from_the_settings() -> None:
    resp = make_responses(1500, pain=True)
    res = V.diagnose(prepared(resp, settings={"min_n": 400}))
    t = res.tables["themes"]
    small = t["comments"] < 400
    assert small.any() and t.loc[small, "p_value"].isna().all() and t.loc[~small, "p_value"].notna().all()
    assert "under 400 scored comments are not tested" in res.table_captions["themes"]


# --------------------------------------------------------------------------- design-based theme statistics


def test_theme_nps_gap_and_impact_equal_r_survey_with_account_clusters() -> None:
    # tests/reference/theme_nps.R: svyby / svycontrast on the demo's commenters, accounts as clusters
    ref = pd.read_csv(ROOT / "tests" / "reference" / "theme_nps_r.csv").set_index("theme")
    d = pd.read_csv(ROOT / "tests" / "reference" / "demo_themes.csv")
    d["score"] = d["x"].map({-1: 0, 0: 7, 1: 10})
    for col in ("price", "support", "billing"):
        d[col] = d[col].astype(bool)
    got = impact.nps_vs_rest(d, ["price", "support", "billing"], cluster="account").set_index("domain")
    for theme, r in ref.iterrows():
        g = got.loc[theme]
        assert g["n"] == r["n"]
        assert g["nps"] == pytest.approx(100 * r["nps"], rel=1e-9)
        assert g["se"] == pytest.approx(100 * r["se"], rel=1e-9)
        assert g["deff"] == pytest.approx(r["deff"], rel=1e-9)
        assert g["diff"] == pytest.approx(100 * r["diff"], rel=1e-9)
        assert g["se_diff"] == pytest.approx(100 * r["se_diff"], rel=1e-9)
        assert g["impact"] == pytest.approx(100 * r["impact"], rel=1e-9)
        assert g["se_impact"] == pytest.approx(100 * r["se_impact"], rel=1e-9)
        # impact = share x gap, exactly
        assert g["impact"] == pytest.approx(g["n"] / len(d) * g["diff"], rel=1e-12)


def test_theme_table_on_the_demo_is_design_based() -> None:
    cfg = ROOT / "examples" / "demo" / "config.yml"
    prep = clean.prepare(io.load(cfg))
    res = V.diagnose(prep)
    ref = pd.read_csv(ROOT / "tests" / "reference" / "theme_nps_r.csv").set_index("theme")
    t = res.tables["themes"].set_index("theme")
    price = t.loc["price & value"]
    assert price["design_effect"] == pytest.approx(ref.loc["price", "deff"], rel=1e-6)
    assert price["impact"] == pytest.approx(100 * ref.loc["price", "impact"], rel=1e-6)
    half = 1.959964 * 100 * ref.loc["price", "se_impact"]
    assert (price["impact_ci_low"], price["impact_ci_high"]) == pytest.approx(
        (100 * ref.loc["price", "impact"] - half, 100 * ref.loc["price", "impact"] + half), abs=1e-3)
    # the theme's NPS interval: Rocks' adjusted Wald on the counts divided by the design effect
    from npsdiag.stats.nps import nps_from_counts
    sub = pd.read_csv(ROOT / "tests" / "reference" / "demo_themes.csv").query("price == 1")
    counts = np.array([(sub["x"] == v).sum() for v in (-1, 0, 1)]) / ref.loc["price", "deff"]
    r = nps_from_counts(*counts)
    assert (price["nps_ci_low"], price["nps_ci_high"]) == pytest.approx((100 * r["ci_low"], 100 * r["ci_high"]))
    assert any("design-based" in n for n in res.notes)


def test_impact_and_its_se_by_hand_for_independent_responses() -> None:
    # 10 comments: 4 mention billing (scores 0, 0, 0, 10: x = -1, -1, -1, 1), 6 do not (10, 10, 10, 8, 0, 9:
    # x = 1, 1, 1, 0, -1, 1). NPS all = (-3 + 1 + 3) / 10 ... = 0.1; rest = 3/6 = 0.5; impact = 0.1 - 0.5 = -0.4
    # = 0.4 x (-0.5 - 0.5). Linearised SE, each response its own cluster: u_i = (x_i - 0.1)/10 - r_i (x_i - 0.5)/6,
    # var = 10/9 sum u_i^2.
    x = np.array([-1, -1, -1, 1, 1, 1, 1, 0, -1, 1], dtype=float)
    r = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1], dtype=float)
    u = (x - 0.1) / 10 - r * (x - 0.5) / 6
    se = math.sqrt(10 / 9 * np.sum(u * u))
    d = pd.DataFrame({"score": [0, 0, 0, 10, 10, 10, 10, 8, 0, 9], "billing": r == 0})
    got = impact.nps_vs_rest(d, ["billing"]).iloc[0]
    assert got["impact"] == pytest.approx(-40.0) and got["diff"] == pytest.approx(-100.0)
    assert got["se_impact"] == pytest.approx(100 * se)


# --------------------------------------------------------------------------- issue 19 class 10: impact ranking


def test_themes_are_ranked_by_impact_and_the_costliest_leads(rising) -> None:
    t = rising.tables["themes"]
    assert t["impact"].is_monotonic_increasing
    assert t.iloc[0]["theme"] == "delivery & engineers"
    assert (t["impact"] - t["share"] * t["nps_vs_rest"]).abs().max() < 1e-9
    assert rising.summary.split("; ")[1].startswith("delivery & engineers costs the most")


def test_pain_point_severity_follows_impact() -> None:
    base = pd.DataFrame({"theme": ["delivery", "billing"], "comments": [500, 200], "share": [0.22, 0.06],
                         "nps": [-66.0, -60.0], "nps_ci_low": [-71.0, -70.0], "nps_ci_high": [-60.0, -47.0],
                         "nps_vs_rest": [-53.0, -37.0], "p_adj": [1e-40, 1e-9]})
    ctx = {"n_comments": 2300, "min_n": 30, "alpha": 0.05}
    for share, sev in ((0.22, "high"), (0.12, "medium"), (0.06, "low")):
        t = base.assign(share=[share, 0.06])
        t["impact"] = t["share"] * t["nps_vs_rest"]  # -11.7, -6.4, -3.2 for delivery
        f = rules.pain_point({**ctx, "themes": t})
        assert f.severity == sev and f.evidence["themes"][0]["theme"] == "delivery"
    # a smaller theme with the larger gap does not lead: ranking is by impact, not by gap
    t = base.assign(nps_vs_rest=[-40.0, -80.0])
    t["impact"] = t["share"] * t["nps_vs_rest"]
    f = rules.pain_point({**ctx, "themes": t})
    assert [x["theme"] for x in f.evidence["themes"]] == ["delivery", "billing"]
    assert "test" not in f.title.lower() and "wald" not in f.detail.lower()


# --------------------------------------------------------------------------- issue 19 class 5: other languages

FRENCH = [
    ("Les prix sont beaucoup trop chers pour la qualité des plantes", 2),
    ("Trop cher, je ne reviendrai pas", 1), ("Prix trop élevés par rapport à la concurrence", 3),
    ("Les plantes sont chères et souvent abîmées", 2), ("Hors de prix, même en promotion", 4),
    ("Le rapport qualité prix n'est plus au rendez-vous", 5), ("Tarifs en hausse chaque année", 3),
    ("Personnel très aimable et de bon conseil", 10), ("Accueil chaleureux, vendeuse souriante", 9),
    ("Le conseiller a pris le temps de m'expliquer l'entretien", 10),
    ("Très bon choix de plantes et de graines", 9), ("Grand choix, magasin bien rangé", 10),
    ("Livraison en retard de deux semaines", 2), ("Le colis est arrivé abîmé", 3),
    ("Arrivée du nouveau directeur, beaucoup de changements dans le magasin", 7),
    ("Rien à dire, parfait", 10), ("Je recommande ce magasin à tous mes amis", 10),
    ("Pas assez de caisses ouvertes le samedi", 5), ("Magasin propre et agréable", 9),
    ("Les employés ne sont pas disponibles quand on a besoin d'aide", 4),
]
GERMAN = [
    ("Viel zu teuer für die Qualität", 2), ("Die Preise sind in letzter Zeit stark gestiegen", 3),
    ("Preis-Leistungs-Verhältnis stimmt leider nicht mehr", 4), ("Der Kundenservice war sehr freundlich", 10),
    ("Die Lieferung kam zwei Wochen zu spät", 2), ("Der Techniker ist nicht zum Termin gekommen", 1),
    ("Sehr gute Beratung im Geschäft", 9), ("Die Rechnung war schon wieder falsch", 2),
    ("Alles super, gerne wieder", 10), ("Die App ist einfach zu bedienen", 9),
]
SPANISH = [
    ("Demasiado caro para lo que ofrecen", 2), ("El precio ha subido mucho este año", 3),
    ("La atención al cliente fue excelente", 10), ("El técnico no vino a la cita", 1),
    ("El pedido llegó tarde y el paquete estaba roto", 2), ("Muy fácil de usar, todo claro", 9),
    ("Me cobraron dos veces la factura", 1), ("Todo perfecto, gracias", 10),
]


def multilingual(lang_rows: list[tuple[str, int]], repeat: int = 3) -> pd.DataFrame:
    rows = lang_rows * repeat
    n = len(rows)
    return pd.DataFrame({"comment": [t for t, _ in rows], "score": [float(s) for _, s in rows],
                         "responded_at": pd.date_range("2025-01-01", periods=n, freq="D"),
                         "Region": ["EU"] * n, "response_id": [f"r{i}" for i in range(n)]})


def test_languages_of_french_german_spanish_comments() -> None:
    texts = [t for t, _ in FRENCH + GERMAN + SPANISH]
    c = tx.corpus(texts)
    langs = c.languages()
    expected = ["fr"] * len(FRENCH) + ["de"] * len(GERMAN) + ["es"] * len(SPANISH)
    wrong = [(t, got) for t, got, want in zip(texts, langs, expected) if got != want]
    assert len(wrong) <= 1, wrong  # 38 comments, short ones included
    assert c.main_language() == "fr"


def test_french_price_comments_are_read_with_the_french_lexicon() -> None:
    df = multilingual(FRENCH)
    t = V.theme_summary(df, min_n=5).set_index("theme")
    # 7 of the 20 comments are about prices ("prix", "trop cher", "chères", "hors de prix", "tarifs"), x3
    assert t.loc["price & value", "comments"] == 21
    assert t.loc["price & value", "nps"] == -100
    hits, names, read = themes.theme_hits(tx.corpus(df["comment"]), None)
    arrivee = [i for i, s in enumerate(tx.corpus(df["comment"]).texts) if str(s).startswith("Arrivée")][0]
    assert not hits[arrivee, names.index("delivery & engineers")]  # "arrivée du directeur" is no delivery
    assert read.all()
    # the English lexicon alone (the behaviour before) saw no price comment at all
    en_only = V.theme_summary(df, themes={"en": tx.LEXICONS["en"]}, min_n=5)
    assert "price & value" not in set(en_only["theme"])


def test_german_and_spanish_comments_get_their_themes() -> None:
    for rows, theme, n in ((GERMAN, "price & value", 3), (SPANISH, "price & value", 2),
                           (GERMAN, "delivery & engineers", 2), (SPANISH, "billing & payments", 1)):
        t = V.theme_summary(multilingual(rows, repeat=1), min_n=1).set_index("theme")
        assert t.loc[theme, "comments"] == n, (theme, rows[0])


def test_terms_and_topics_use_the_main_languages_stop_words_and_stems() -> None:
    df = multilingual(FRENCH, repeat=4)
    c = tx.corpus(df["comment"])
    terms_ = set(c.terms().terms)
    assert not terms_ & {"la", "pour", "les", "des", "de", "et", "je", "le"}  # French stop words
    assert {"pas", "cher", "trop"} & terms_  # words of meaning kept
    # "chers" and "chères" are one term (Snowball stem "cher"), named by its most frequent form
    assert sum(t in terms_ for t in ("chers", "chères", "cher")) == 1
    dt = V.distinguishing_terms(df.assign(category=np.where(df["score"] <= 6, "detractor", np.where(
        df["score"] >= 9, "promoter", "passive"))), min_df=2, all_terms=True)
    assert not set(dt["term"]) & {"la", "pour", "les"}


def test_comments_in_a_language_without_lexicon_are_not_assessed_for_themes() -> None:
    italian = [("Il prezzo è troppo alto per la qualità", 2), ("Servizio clienti molto gentile e veloce", 10),
               ("La consegna è arrivata in ritardo di una settimana", 3), ("Tutto perfetto, grazie mille", 10),
               ("Il tecnico non è mai venuto all'appuntamento", 1), ("Prodotto ottimo ma la spedizione è lenta", 7),
               ("Non sono soddisfatto del servizio", 4), ("Sempre disponibili e cordiali", 9)]
    res = V.diagnose(prepared(multilingual(italian, repeat=5), segments=["Region"]))
    th = next(c for c in res.checks if c.name == "themes")
    assert not th.assessed and "languages without a theme lexicon" in th.reason and "Italian" in th.reason
    assert res.status != "green"
    assert "themes were not assessed" in res.summary
    langs = res.tables["languages"]
    assert langs.iloc[0]["language"] == "it"
    assert any("themes were not assessed for the comments in other languages (Italian" in n for n in res.notes)
    # terms still run on the main language with Italian stop words
    assert not set(res.tables.get("terms", pd.DataFrame({"term": []}))["term"]) & {"il", "la", "di", "per"}


def test_comments_matching_no_theme_make_the_themes_not_assessed() -> None:
    odd = [(f"Flibber wobble gizmo number {w}", s) for w, s in zip(
        ["one", "two", "three", "four", "five", "six", "seven", "eight"], [2, 10, 9, 3, 10, 8, 1, 10])]
    odd += [("The invoice was wrong", 1), ("Easy to use", 10)]
    res = V.diagnose(prepared(multilingual(odd, repeat=6)))
    th = next(c for c in res.checks if c.name == "themes")
    assert not th.assessed and "80% of the comments of 3 words or more mention none of the standard themes" in th.reason
    assert "topics below" not in th.reason  # the topics may not have run (too few comments)
    assert res.status != "green" and "settings." not in th.reason
    ew = next(c for c in res.checks if c.name == "early_warning")
    assert not ew.assessed or ew.reason


def test_mojibake_is_repaired_and_never_quoted() -> None:
    df = pd.DataFrame({"comment": ["Le prix est trÃ¨s Ã©levÃ©, trop cher pour nous",  # UTF-8 read as Windows-1252
                                   "Prix trop ‚lev‚ pour le service",  # code page 850 read as Windows-1252
                                   "Le prix du r\ufffdsum\ufffd est trop cher",  # letters lost: not repairable
                                   "Les prix sont trop chers, vraiment"],
                       "score": [1, 2, 1, 3]})
    c = tx.corpus(df["comment"])
    assert c.texts[0] == "Le prix est très élevé, trop cher pour nous" and c.repaired[0]
    assert c.texts[1] == "Prix trop élevé pour le service" and c.repaired[1]
    assert c.garbled.tolist() == [False, False, True, False]
    q = V.theme_quotes(df, only=["price & value"], per_theme=5)
    quotes = " ".join(q["quote"])
    assert "très élevé" in quotes and "élevé pour le service" in quotes
    assert not any(ch in quotes for ch in "Ã‚\ufffd") and "sum" not in quotes
    assert all(not tx.is_garbled(x) for x in q["quote"])


def test_language_guess_is_sure_for_most_real_comments_and_only_the_rest_go_to_the_model(
        shared_data: Path, monkeypatch) -> None:
    path = shared_data / "external" / "bt-nps-verbatims" / "verbatim.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    from npsdiag.text import languages as L

    c = tx.corpus(pd.read_csv(path)["text"])
    labels, sure = L.guess_languages(c.tokens)
    assert sure[c.has].mean() > 0.9  # 91% of BT's distinct comments need no model
    asked = []
    real = L.model_languages
    monkeypatch.setattr(L, "model_languages",
                        lambda texts, prior=None: asked.append(len(texts)) or real(texts, prior))
    out = L.detect_languages(c.tokens, c.texts, c.counts(), max_model_texts=50)
    assert asked == [50]  # the cost bound
    assert (out[c.has] == "en").mean() > 0.95  # beyond the bound, comments without a telling word stay undetermined
    full = L.detect_languages(c.tokens, c.texts, c.counts())
    assert (full[c.has] == "en").mean() > 0.98 and not np.isin(full[c.has], ["da", "sv", "ro", "pl"]).any()


def test_the_language_model_reads_only_the_start_of_long_comments(monkeypatch) -> None:
    # Lingua's cost grows with the text's length: a 4,000-character comment is read from its first MODEL_CHARS
    from npsdiag.text import languages as L

    long_fr = "Le prix est beaucoup trop cher pour un service aussi lent et sans aucune réponse. " * 50
    seen = []
    real = L.model_languages.__globals__["_detector"]

    class Spy:
        def compute_language_confidence_values_in_parallel(self, texts):
            seen.extend(len(t) for t in texts)
            return real().compute_language_confidence_values_in_parallel(texts)

    monkeypatch.setattr(L, "_detector", lambda: Spy())
    assert L.model_languages([long_fr, "Der Techniker kam nicht"]).tolist() == ["fr", "de"]
    assert len(long_fr) > 4000 and seen == [L.MODEL_CHARS, len("Der Techniker kam nicht")]


def test_one_word_comments_are_not_given_a_language_by_a_stop_word_list() -> None:
    # "Okay" is in stopwords-iso's Italian list only: it made an English programme of one-word comments
    # "mostly Italian", its themes not assessed ("languages without a theme lexicon")
    words = [("Expensive", 2), ("Slow", 3), ("Overpriced", 1), ("Rude", 0), ("Fine", 8), ("Okay", 7), ("Cheap", 9),
             ("Quick", 10)]
    df = multilingual(words, repeat=8)
    c = tx.corpus(df["comment"])
    assert set(c.languages()[c.has]) == {"undetermined"} and c.main_language() is None
    assert set(c.reading_languages()[c.has]) == {"en"}  # read with the English lexicon, not with none
    res = V.diagnose(prepared(df))
    th = next(ch for ch in res.checks if ch.name == "themes")
    assert th.assessed and "Italian" not in " ".join(res.notes)
    price = V.theme_summary(df, min_n=1).set_index("theme").loc["price & value", "comments"]
    assert price == 24  # expensive, overpriced, cheap: x 8


def test_short_praise_does_not_make_the_themes_unassessed() -> None:
    # 70% of comments are "Great!" or "Thank you": they name no theme in any lexicon. The themes are judged on the
    # comments of three words or more, which the lexicon describes (all of them mention a theme here)
    rows = [("Great!", 10)] * 4 + [("Thank you", 9)] * 3 + [("The invoice was wrong again", 2),
                                                            ("The engineer never turned up", 1),
                                                            ("Easy to set up and use", 10)]
    res = V.diagnose(prepared(multilingual(rows, repeat=6)))
    th = next(c for c in res.checks if c.name == "themes")
    assert th.context["no_theme"] == pytest.approx(0.7) and th.context["no_theme_long"] == 0
    assert th.assessed, th.reason


def test_spanish_reports_are_not_communication() -> None:
    # "informes" (reports) and "informar" (to inform) share the Snowball stem "inform": the demo's "Excelente
    # herramienta, los informes nos ahorran horas" was a communication comment
    texts = ["Excelente herramienta, los informes nos ahorran horas cada semana.",
             "Nadie nos informaron del corte", "Falta de información sobre el pedido", "Me informaron mal"]
    hits, read = tx.match_themes(tx.tokenize(texts), np.array(["es"] * 4))
    assert hits["communication"].gt(0).tolist() == [False, True, True, True] and read.all()


def test_an_exclusion_phrase_keeps_its_words_out_of_its_own_theme_only() -> None:
    from npsdiag.text import tokenize
    from npsdiag.text.lexicon import match_lexicon, merge_themes

    lex = merge_themes({"delivery": ["late", "-late fee", "-late"], "billing": ["fee"]}, base={})
    m = match_lexicon(tokenize(["The engineer was late", "A late fee again", "Late, and a late fee"]), lex)
    assert m["delivery"].tolist() == [1, 0, 1]  # "late fee" is billing; a one-word exclusion does nothing
    assert m["billing"].tolist() == [0, 1, 1]
    # the default lexicon: figurative costs are no price complaint, a user-friendly app no praise of staff
    d = match_lexicon(tokenize(["It costs us time every week", "Costs too much", "User friendly and quick",
                                "Friendly staff"]))
    assert d["price & value"].tolist() == [0, 1, 0, 0] and d["support & service"].tolist() == [0, 0, 0, 2]
