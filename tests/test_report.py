"""The report's HTML pieces: structure, links, escaping, redaction, bounded size, statistics of the trend.

Fast unit tests on hand-built diagnoses (no notebook run). The rendered demo report is tested in a real
browser by tests/test_browser.py.
"""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from npsdiag import clean, io, plotting, report, story
from npsdiag.findings import FINDING_IDS, AreaResult, Diagnosis, Figure, Finding, not_assessed
from npsdiag.report.figures import palette_png
from npsdiag.report.tables import column_kinds, fmt_number

EVIL = "<script>alert('x')</script><img src=x onerror=alert(1)>"


# --------------------------------------------------------------------------- helpers


class _Collect(HTMLParser):
    """Ids, internal links, tags and any <script> seen in an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "a" and (a.get("href") or "").startswith("#"):
            self.links.append(a["href"][1:])


def parse(fragment: str) -> _Collect:
    p = _Collect()
    p.feed(fragment)
    p.close()
    return p


def _finding(fid: str, sev: str, title: str = "", detail: str = "", **ev) -> Finding:
    return Finding(fid, sev, title or f"{fid} title", detail or f"{fid} detail", evidence=ev,
                   recommendation=f"Fix {fid}.")


def make_diagnosis(client: str = "Acme & Co") -> Diagnosis:
    """Six areas: every status, findings of every severity, one area not assessed."""
    with plotting.style():
        fig, ax = plotting.figure(6, 3)
        ax.plot([0, 1, 2], [3, 1, 2], marker="o")
    rel = AreaResult("reliability", findings=[
        _finding("reliability.feed_gaps", "high", gap_periods=3, min_p_adj=0.0004, share_of_analysed=0.029),
        _finding("reliability.duplicates", "low", rows=12, share=0.004),
    ], tables={"lineage": pd.DataFrame({"step": ["rows read", "rows analysed"], "rows": [100, 96],
                                        "share": [1.0, 0.96]})},
        figures=[Figure("trend", fig, "NPS per month.")], summary="96% usable; a feed gap.",
        notes=["Feed gaps: negative binomial against a rolling median; Benjamini-Hochberg across weeks."],
        table_captions={"lineage": "Rows read and analysed."})
    bal = AreaResult("balance", findings=[_finding("balance.role_skew", "medium", cramers_v=0.31, p_value=1e-9)],
                     summary="Users dominate.")
    seg = AreaResult("segmentation", findings=[
        _finding("segmentation.hidden_segment", "high", nps=-1.2, ci_low=-8.0, ci_high=5.5, p_adj=0.001),
        _finding("segmentation.dispersion", "medium", tau=12.3, tau_ci_low=6.0, tau_ci_high=20.1)],
        summary="APAC below the rest.")
    out = AreaResult("outcome", findings=[_finding("outcome.no_link", "info")],
                     notes=["AUC with DeLong, DeLong & Clarke-Pearson (1988) interval; Logit."])
    dec = AreaResult("decay", findings=[
        _finding("decay.slow_follow_up", "high", median_days=9.4, median_ci_low=8.8, median_ci_high=10.1),
        _finding("decay.no_follow_up", "medium", share_never=0.26, ci_low=0.23, ci_high=0.29)])
    verb = not_assessed("verbatims", "needs a comment column")
    areas = {a.area: a for a in (rel, bal, seg, out, dec, verb)}
    return Diagnosis(client=client, areas=areas,
                     data_summary={"responses": 96, "responses_read": 100, "accounts": 40, "invitations": 300,
                                   "period": ["2024-01-01", "2025-12-31"]},
                     headline={"nps": 21.4, "ci_low": 18.9, "ci_high": 23.8, "moe": 2.4, "n": 96,
                               "pct_promoters": 45.0, "pct_passives": 31.4, "pct_detractors": 23.6})


def client_report(diag: Diagnosis, prep, redact: bool = False) -> str:
    """The client report as the notebook builds it (report.html without nbconvert's page)."""
    told = story.tell(diag, prep)
    return "".join([report.cover(diag, told), report.summary(diag, told, redact=redact), report.action_plan(told),
                    report.gaps(told), report.since(told), report.exhibits(told, redact),
                    report.at_a_glance(diag, told, redact), report.footer(diag)])


def full_report(diag: Diagnosis, prep=None, trend=None, redact: bool = False) -> str:
    """The analyst appendix as the notebook builds it (appendix.html without nbconvert's page)."""
    told = story.tell(diag, prep) if prep is not None else None
    parts = [report.appendix_cover(diag, told) if told is not None else ""]
    if told is not None:
        parts.append(report.statistics(diag, told, trend=trend))
    parts += [report.area_html(r, redact) for r in diag.areas.values()]
    parts += [report.methodology(diag)]
    if prep is not None:
        parts.append(report.data_appendix(prep))
    parts += [report.glossary(), report.footer(diag)]
    return "".join(parts)


@pytest.fixture(scope="module")
def prep():
    """Two years of responses with known counts per quarter, plus a few unusable rows."""
    rng = np.random.default_rng(11)
    rows = []
    for q, start in enumerate(pd.date_range("2024-01-01", periods=8, freq="QS")):
        n = 60 + 10 * q
        p_det = 0.15 + 0.02 * q
        scores = rng.choice([3, 8, 10], size=n, p=[p_det, 0.3, 0.7 - p_det])
        days = rng.integers(0, 85, size=n)
        rows += [{"score": float(s), "responded_at": start + pd.Timedelta(days=int(d)),
                  "respondent_id": f"r{q}-{i}@example.com", "comment": "call me on +44 7700 900123"}
                 for i, (s, d) in enumerate(zip(scores, days, strict=True))]
    rows.append({"score": None, "responded_at": pd.Timestamp("2024-05-01"), "respondent_id": "x@example.com",
                 "comment": ""})
    data = io.from_frames(pd.DataFrame(rows), settings={"min_n": 30}, client="Test client")
    return clean.prepare(data, as_of=pd.Timestamp("2026-06-01"))


# --------------------------------------------------------------------------- structure and navigation


def test_appendix_has_every_section_in_order_and_all_internal_links_resolve(prep):
    diag = make_diagnosis()
    html = full_report(diag, prep)
    p = parse(html)
    wanted = ["cover", "contents", "statistics", *(f"area-{a}" for a in diag.areas), "methodology",
              "data-appendix", "glossary"]
    positions = [html.index(f'id="{i}"') for i in wanted]
    assert positions == sorted(positions)
    assert len(p.ids) == len(set(p.ids)), "duplicate anchor ids"
    missing = sorted(set(p.links) - set(p.ids))
    assert not missing, f"links without a target: {missing}"
    # every finding has an anchor and a way back to the contents
    for f in diag.findings:
        assert f"finding-{f.id.replace('.', '-')}" in p.ids
    assert html.count('href="#contents"') >= len(diag.findings)
    # the appendix contents list the areas with their status in words, with an icon
    toc = html[html.index('id="contents"'):html.index('id="statistics"')]
    for name in diag.areas:
        assert f'href="#area-{name}"' in toc
    for word in ("Issues found", "Watch", "Not assessed"):
        assert word in toc


def test_client_report_sections_in_order_and_links_resolve(prep):
    diag = make_diagnosis()
    for i, f in enumerate(diag.findings):
        f.title = f"A plain title number {i}"
    html = client_report(diag, prep)
    p = parse(html)
    told = story.tell(diag, prep)
    wanted = ["cover", "summary", "action-plan", "not-assessed",
              *(f"message-{m.cause.key}" for m in told.messages), "areas"]
    positions = [html.index(f'id="{i}"') for i in wanted]
    assert positions == sorted(positions)
    assert len(p.ids) == len(set(p.ids)) and not sorted(set(p.links) - set(p.ids))
    # no finding id, test name or p-value in the client's body
    for f in diag.findings:
        assert f.id not in html
    assert "p (BH" not in html and "p =" not in html


def test_summary_ranks_messages_act_now_first_and_links_to_exhibits(prep):
    diag = make_diagnosis()
    told = story.tell(diag, prep)
    # closed loop (high, urgent) is "Act now"; the other high causes plan; the medium one last
    assert [m.cause.key for m in told.messages] == ["closed_loop", "segments", "data", "decision_makers"]
    assert [m.priority for m in told.messages] == ["Act now", "Plan", "Plan", "Plan"]
    html = report.summary(diag, told)
    links = re.findall(r'<li class="message[^"]*">.*?href="#(message-[^"]+)"', html)
    assert links == [f"message-{m.cause.key}" for m in told.messages]
    assert "+21" in html and "+19" in html and "+24" in html  # headline with its interval, in points
    assert "Decisions we ask for" in html


def test_action_plan_one_initiative_per_message_by_horizon_with_owner_and_kpi(prep):
    diag = make_diagnosis()
    told = story.tell(diag, prep)
    html = report.action_plan(told)
    items = re.findall(r'<li class="plan-item">.*?</li>', html, flags=re.S)
    assert len(items) == len(told.messages)
    horizons = [int(re.search(r"(\d+) days</span>", i).group(1)) for i in items]
    assert horizons == sorted(horizons)
    for m in told.messages:
        assert report.esc(m.cause.owner) in html and report.esc(m.recommendation) in html
        if m.kpi is not None:
            assert report.esc(m.kpi.name) in html


def test_area_section_orders_findings_and_shows_not_assessed_reason():
    diag = make_diagnosis()
    rel = report.area_html(diag.areas["reliability"])
    assert rel.index("reliability.feed_gaps") < rel.index("Other observations") < rel.index("reliability.duplicates")
    assert "data:image/png;base64," in rel and "Figure" not in rel.split("<figcaption>")[0][-20:]
    assert "Rows read and analysed." in rel and "Method notes" in rel
    verb = report.area_html(diag.areas["verbatims"])
    assert "Not assessed: needs a comment column" in verb and "status-not_assessed" in verb


def test_every_spec_finding_id_has_an_owner_and_a_measure_on_its_card():
    f = make_diagnosis().areas["decay"].findings[0]
    owner, measure = report.ACTIONS[f.id]
    assert report.esc(owner) in report.finding_html(f) and report.esc(measure) in report.finding_html(f)
    assert set(report.ACTIONS) == set(FINDING_IDS)
    assert all(owner and measure for owner, measure in report.ACTIONS.values())


def test_methodology_names_methods_with_references_from_area_notes():
    html = report.methodology(make_diagnosis())
    assert "Rocks, B. (2016)" in html and "Benjamini, Y. &amp; Hochberg" in html
    assert "DeLong, E. R." in html  # the outcome notes name DeLong
    assert "Hilbe" in html  # "negative binomial" in the reliability notes
    assert "Kitagawa" not in html  # no area used it
    assert "Not assessed: needs a comment column." in html


def test_glossary_and_data_appendix(prep):
    g = report.glossary()
    for term in ("Net Promoter Score (NPS)", "Promoter, passive, detractor", "Margin of error", "AUC"):
        assert report.esc(term) in g
    d = report.data_appendix(prep)
    assert 'id="data-appendix"' in d and "rows read" in d and "rows analysed" in d
    assert "score missing" in d  # the one unusable row, under its reason


# --------------------------------------------------------------------------- escaping and redaction


def test_client_text_is_escaped_everywhere(prep):
    diag = make_diagnosis(client=EVIL)
    f = diag.areas["balance"].findings[0]
    f.title, f.detail, f.recommendation = EVIL, EVIL, EVIL
    f.evidence["worst_segment"] = EVIL
    diag.areas["balance"].summary = EVIL
    diag.areas["balance"].tables["t"] = pd.DataFrame({"segment": [EVIL], "n": [3]})
    diag.areas["balance"].table_captions["t"] = EVIL
    diag.areas["balance"].notes = [EVIL]
    html = full_report(diag) + client_report(diag, prep)
    assert "<script" not in html.lower() and "<img src=x" not in html.lower()
    assert "&lt;script&gt;" in html
    assert set(parse(html).tags) <= {"header", "p", "h1", "div", "span", "br", "dl", "dt", "dd", "nav", "h2", "ol",
                                     "li", "a", "svg", "path", "circle", "section", "table", "thead", "tr", "th",
                                     "tbody", "td", "h3", "ul", "article", "h4", "strong", "figure", "img",
                                     "figcaption", "colgroup", "col", "cite", "footer", "code", "aside"}


def test_personal_data_redacted_when_asked_and_dates_and_intervals_kept():
    diag = make_diagnosis()
    f = diag.areas["decay"].findings[0]
    f.detail = "Call Jane on +44 7700 900123 or jane.doe@example.com; AUC 0.65 (0.60–0.70) w/c 2025-03-03."
    f.evidence["contact"] = "jane.doe@example.com"
    diag.areas["decay"].tables["queue"] = pd.DataFrame({"respondent": ["bob@example.org"],
                                                        "responded_at": [pd.Timestamp("2025-03-03 12:30")]})
    red = report.area_html(diag.areas["decay"], redact=True)
    for pii in ("jane.doe@example.com", "7700 900123", "bob@example.org"):
        assert pii not in red
    assert "[email]" in red and "[phone]" in red
    assert "0.65 (0.60–0.70)" in red and "w/c 2025-03-03" in red and "2025-03-03 12:30" in red
    plain = report.area_html(diag.areas["decay"], redact=False)
    assert "jane.doe@example.com" in plain and "bob@example.org" in plain


def test_partials_escape_client_text_and_keep_only_html_built_here():
    from npsdiag.report import partials

    env = partials.environment()
    assert env.autoescape is True and partials.partials_dir().parent.parent.name == "templates"
    assert partials.environment() is env  # one environment, its templates compiled once
    html = partials.render("glossary.html.j2", glossary=[(EVIL, "a & b")])
    assert "<script" not in html and "&lt;script&gt;" in html and "a &amp; b" in html
    table = report.table_html(pd.DataFrame({"x": [EVIL]}))
    page = partials.render("data_appendix.html.j2", sources=partials.safe(table), lineage="<b>not ours</b>",
                           settings="", warnings=[])
    assert table in page and "&lt;b&gt;not ours" in page  # only HTML marked safe goes in as markup


def test_esc_examples():
    assert report.esc(None) == "" and report.esc(float("nan")) == ""
    assert report.esc("a < b & 'c'") == "a &lt; b &amp; &#39;c&#39;"  # as the partials escape (markupsafe)
    assert report.esc("ring 0161 496 0000", redact=True) == "ring [phone]"
    assert report.esc("n = 1,234,567 and 12 345 678", redact=True) == "n = 1,234,567 and 12 345 678"


# --------------------------------------------------------------------------- bounded size


def test_tables_are_cut_to_summary_size_and_long_text_cut():
    big = pd.DataFrame({"comment": ["word " * 500] * 100_000, "score": np.arange(100_000) % 11})
    html = report.table_html(big, "A table that should never be raw data.")
    assert html.count("<tr>") == report.MAX_TABLE_ROWS + 1  # + header row
    assert "Showing the first 30 of 100,000 rows" in html
    assert len(html) < 30 * (report.MAX_CELL_CHARS + 200) + 2000
    assert "…" in html


def test_figures_are_bounded_in_pixels_and_bytes():
    with plotting.style():
        fig, ax = plotting.figure(20, 10)  # far too wide for a page
        rng = np.random.default_rng(3)
        ax.plot(np.cumsum(rng.normal(size=50_000)), lw=0.5)
    html = report.figure_html(Figure("big", fig, "A big figure."))
    w = int(re.search(r'width="(\d+)"', html).group(1))
    assert w <= report.MAX_FIGURE_PX + 20  # the tight box with its 0.1 in margin may add a few pixels
    assert len(html) < 400_000
    assert 'alt="A big figure."' in html


def base64_png(html: str) -> bytes:
    import base64

    return base64.b64decode(re.search(r'base64,([^"]+)"', html).group(1))


def _png_pixels(html: str) -> np.ndarray:
    import io as _io

    from PIL import Image

    return np.asarray(Image.open(_io.BytesIO(base64_png(html))).convert("RGB"))


def test_figure_is_matplotlibs_png_as_a_palette_image_and_the_figure_is_left_as_it_was():
    """figure_html embeds what savefig(facecolor="white") draws in the report style (the reference is rendered by
    matplotlib itself here), as a palette PNG whose pixels stay within a few levels."""
    import io as _io

    import matplotlib as mpl
    from PIL import Image

    with plotting.style():
        fig, ax = plotting.figure(6, 3)
        ax.bar(["a", "b", "c"], [3, 1, 2], color=plotting.PALETTE[0])
        ax.set_title("A title")
        ax.set_xlabel("x label")
    before = dict(mpl.rcParams)
    html = report.figure_html(Figure("f", fig, "cap"), dpi=100)
    assert dict(mpl.rcParams) == before  # rendered inside plotting.style(): nothing outside changes
    png = base64_png(html)
    assert Image.open(_io.BytesIO(png)).mode == "P"
    px = _png_pixels(html)
    buf = _io.BytesIO()
    with plotting.style():
        fig.savefig(buf, format="png", dpi=100, facecolor="white")
    ref = np.asarray(Image.open(buf).convert("RGB"))
    assert px.shape == ref.shape
    assert np.abs(px.astype(int) - ref).max() <= 16 and (px[(ref == 255).all(axis=2)] == 255).all()
    w, h = (int(v) for v in re.search(r'width="(\d+)" height="(\d+)"', html).groups())
    assert (h, w) == px.shape[:2]
    assert (h, w) == (300, 600)  # the whole 6 x 3 in canvas: constrained layout keeps the labels inside it
    ink = (px != 255).any(axis=2)
    assert not (ink[0].any() or ink[-1].any() or ink[:, 0].any() or ink[:, -1].any())  # nothing cut at the edges
    # the figure itself is left as it was (canvas, dpi, face colour), so the notebook can still show it
    assert fig.dpi == 100 and type(fig.canvas).__name__ == "FigureCanvasBase"
    assert fig.get_facecolor() == mpl.colors.to_rgba(plotting.STYLE["figure.facecolor"])


def test_long_client_labels_are_cut_and_stay_inside_the_figure():
    """Client text is cut by plotting.label before it is drawn, and constrained layout keeps the labels on the
    canvas: nothing is drawn at the image's edges (the image is the figure's own size)."""
    labels = [plotting.label("A segment name far longer than any bar label should ever be: " * 3 + str(i))
              for i in range(4)]
    assert all(len(lab) <= plotting.MAX_LABEL_CHARS for lab in labels)
    with plotting.style():
        fig, ax = plotting.figure(5.0, 2.5)
        ax.barh(labels, [1, 2, 3, 4])
    px = _png_pixels(report.figure_html(Figure("f", fig, "cap"), dpi=100))
    assert px.shape[:2] == (250, 500)
    ink = (px != 255).any(axis=2)
    assert not (ink[0].any() or ink[-1].any() or ink[:, 0].any() or ink[:, -1].any())


def test_palette_png_is_exact_up_to_256_colours_and_close_beyond():
    import io as _io

    from PIL import Image

    rng = np.random.default_rng(5)
    few = rng.choice(np.arange(200) * 1_000_003 % 16_777_216, size=(60, 80))  # 200 distinct colours
    img = np.stack([(few >> 16) & 255, (few >> 8) & 255, few & 255], axis=2).astype(np.uint8)
    png, (w, h) = palette_png(img)
    back = np.asarray(Image.open(_io.BytesIO(png)).convert("RGB"))
    assert (w, h) == (80, 60) and Image.open(_io.BytesIO(png)).mode == "P" and (back == img).all()
    # a smooth gradient (65,536 colours): quantized to 256, each pixel close to its colour
    yy, xx = np.mgrid[0:256, 0:256]
    grad = np.stack([yy, xx, (yy + xx) // 2], axis=2).astype(np.uint8)
    png, _ = palette_png(grad)
    back = np.asarray(Image.open(_io.BytesIO(png)).convert("RGB")).astype(int)
    assert np.abs(back - grad).max() <= 40 and np.abs(back - grad).mean() < 6


def test_plot_style_is_seaborns_whitegrid_theme():
    """plotting.STYLE is what seaborn.set_theme(notebook, whitegrid, Okabe-Ito palette) sets with the report's own
    settings (without importing seaborn at run time); only seaborn's own default colormap is left out."""
    import matplotlib as mpl

    sns = pytest.importorskip("seaborn")
    with mpl.rc_context():
        mpl.rcdefaults()
        with plotting.style():
            ours = dict(mpl.rcParams)
        mpl.rcdefaults()
        sns.set_theme(context="notebook", style="whitegrid", palette=plotting.PALETTE, rc=plotting._RC)
        theirs = dict(mpl.rcParams)
    assert {k for k in ours if ours[k] != theirs[k]} == {"image.cmap"}
    with plotting.style():
        fig, axes = plotting.figure(7, 3, ncols=2, sharey=True)
    assert len(axes) == 2 and fig.get_layout_engine() is not None


def test_report_size_does_not_grow_with_the_data():
    """An area with 40 huge tables and 30 figures stays within the per-area caps."""
    figs = []
    for i in range(30):
        with plotting.style():
            fig, ax = plotting.figure(7, 3)
            ax.bar(range(12), np.arange(12) + i)
        figs.append(Figure(f"f{i}", fig, f"Figure {i}"))
    tables = {f"t{i}": pd.DataFrame({"x": np.arange(200_000), "y": "text"}) for i in range(40)}
    for fig in figs[3:10]:
        fig.illustrates = ("segmentation.hidden_segment",)
    res = AreaResult("segmentation", tables=tables, figures=figs,
                     findings=[Finding("segmentation.hidden_segment", "high", "t"),
                               Finding("segmentation.mix_shift", "medium", "t")])
    html = report.area_html(res)
    assert html.count("<figure") == 1  # the one figure of the one finding that has figures
    assert "Figure 3" in html
    res.findings = []
    html = report.area_html(res)
    assert html.count("<figure") == 1 and "Figure 0" in html  # no finding: the area's first figure
    assert html.count('<table class="data') == report.MAX_TABLES_PER_AREA
    assert "further figure(s) or table(s)" in html
    assert len(html) < 1_500_000


# --------------------------------------------------------------------------- headline trend statistics


def _adjusted_wald(d: int, p: int, r: int, confidence: float = 0.95) -> tuple[float, float]:
    """Rocks (2016) adjusted Wald interval, by hand: add 0.75/1.5/0.75, variance pro + det - (pro - det)^2.

    R: NPS::nps_ci(c(rep(0, d), rep(7, p), rep(10, r)), ...) with the adjusted method gives the same.
    """
    n = d + p + r + 3.0
    pro, det = (r + 0.75) / n, (d + 0.75) / n
    center = pro - det
    se = math.sqrt((pro + det - center**2) / n)
    z = stats.norm.ppf(0.5 + confidence / 2)
    return 100 * (center - z * se), 100 * (center + z * se)


def test_headline_trend_matches_hand_computation(prep):
    t = report.headline_trend(prep, "Q")
    r = prep.responses
    q = r["responded_at"].dt.to_period("Q")
    assert list(t["period"]) == [f"{p.year}-Q{p.quarter}" for p in sorted(q.unique())]
    for _, row in t.iterrows():
        s = r.loc[q.astype(str).str.replace("Q", "-Q") == row["period"], "score"]
        d, p_, pr = int((s <= 6).sum()), int(((s > 6) & (s < 9)).sum()), int((s >= 9).sum())
        assert row["n"] == len(s) and (row["detractors"], row["passives"], row["promoters"]) == (d, p_, pr)
        assert row["nps"] == pytest.approx(100 * (pr - d) / len(s))
        lo, hi = _adjusted_wald(d, p_, pr)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), abs=1e-9)
        assert bool(row["reportable"]) == (len(s) >= 30)


def test_trend_change_is_a_two_sample_wald_test_first_to_last_complete_period(prep):
    t = report.headline_trend(prep, "Q")
    ch = report.trend_change(t)
    complete = t.loc[t["reportable"] & ~t["partial"]]
    a, b = complete.iloc[-1], complete.iloc[0]
    assert (ch["first"], ch["last"]) == (b["period"], a["period"])
    assert ch["diff"] == pytest.approx(a["nps"] - b["nps"])

    def var(row):  # variance per response from the adjusted counts (Rocks 2016), as in nps_diff_test
        n = row["n"] + 3.0
        pro, det = (row["promoters"] + 0.75) / n, (row["detractors"] + 0.75) / n
        return (pro + det - (pro - det) ** 2) / n

    se = 100 * math.sqrt(var(a) + var(b))
    assert ch["p_value"] == pytest.approx(2 * stats.norm.sf(abs(ch["diff"]) / se))
    assert ch["ci_low"] == pytest.approx(ch["diff"] - 1.959964 * se, abs=1e-3)


def test_trend_in_summary_and_degenerate_inputs(prep):
    diag = make_diagnosis()
    t = report.headline_trend(prep)
    told = story.tell(diag, prep)
    ch = report.trend_change(t, prep=prep)
    html = report.summary(diag, told, change=ch)
    assert f"From {ch['first']} to {ch['last']} it moved" in html
    assert "data:image/png;base64," in report.statistics(diag, told, trend=t, change=ch)
    one = t.head(1)
    assert report.trend_change(one) is None
    assert "it moved" not in report.summary(diag, told, change=report.trend_change(one))
    empty = report.headline_trend(clean.prepare(io.from_frames(pd.DataFrame(
        {"score": [None], "responded_at": ["2024-01-01"]}))))
    assert empty.empty and report.trend_figure(empty) is None
    no_nps = Diagnosis("X", {"responses": 0, "responses_read": 1}, {"nps": None, "n": 0}, {})
    assert "No analysable responses" in report.cover(no_nps, told)
    assert "Summary" in report.summary(no_nps, told)


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(("col", "value", "expected"), [
    ("share", 0.256, "25.6%"), ("churn_rate", 0.41, "41.0%"), ("p_adj", 0.0004, "<0.001"),
    ("p_value", 0.0312, "0.031"), ("nps", 33.43, "33.4"), ("odds_ratio", 1.2345, "1.23"),
    ("pct_promoters", 53.6, "53.6%"), ("n", np.int64(7353), "7,353"), ("revenue", 1250000.0, "1,250,000"),
    ("median_days", 9.43, "9.4"), ("responded_at", pd.Timestamp("2025-03-03"), "2025-03-03"),
    ("flag", True, "yes"), ("nps", float("nan"), "–"),
])
def test_number_formatting(col, value, expected):
    assert fmt_number(col, value) == expected


def test_interval_columns_follow_their_estimate():
    kinds = column_kinds(["band", "churn_rate", "ci_low", "ci_high", "odds_ratio", "or_ci_low", "nps",
                                  "moe", "median_days", "median_ci_low", "p_value"])
    assert kinds["ci_low"] == kinds["ci_high"] == "share"
    assert kinds["or_ci_low"] == "ratio" and kinds["moe"] == "pts" and kinds["median_ci_low"] == "days"
    html = report.table_html(pd.DataFrame({"band": ["never"], "churn_rate": [0.294], "ci_low": [0.25],
                                           "ci_high": [0.34]}))
    assert "29.4%" in html and "25.0%" in html and "34.0%" in html


def test_pretty_columns():
    assert report.pretty_column("min_p_adj") == "Min p (BH-adjusted)"
    assert report.pretty_column("ci_low") == "CI low"
    assert report.pretty_column("pct_detractors") == "% detractors"


def test_findings_json_unaffected_by_report(tmp_path):
    diag = make_diagnosis()
    full_report(diag)
    doc = json.loads(diag.write_json(tmp_path / "f.json").read_text())
    assert doc["areas"]["verbatims"]["status"] == "not_assessed"


# --------------------------------------------------------------------------- the notebooks behind the report


def test_diagnose_notebook_structure_the_runner_relies_on(root):
    nb = json.loads((root / "notebooks" / "diagnose.ipynb").read_text())
    cells = nb["cells"]
    tags = [c["metadata"].get("tags", []) for c in cells]
    params = [c for c, t in zip(cells, tags, strict=True) if "parameters" in t]
    assert len(params) == 1
    src = "".join(params[0]["source"])
    assert 'config = "examples/demo/config.yml"' in src and 'output_dir = ""' in src
    assert 'previous = ""' in src
    front = "".join("".join(c["source"]) for c, t in zip(cells, tags, strict=True) if "report" in t)
    for fn in ("cover", "summary", "action_plan", "gaps", "since", "exhibits", "at_a_glance"):
        assert f"report.{fn}(" in front
    back = "".join("".join(c["source"]) for c, t in zip(cells, tags, strict=True) if "appendix" in t)
    for fn in ("appendix_cover", "statistics", "methodology", "data_appendix", "glossary"):
        assert f"report.{fn}(" in back
    for area in ("reliability", "balance", "segmentation", "outcome", "decay", "drivers", "verbatims"):
        assert f"{area}.diagnose(prep)" in back and f'report.area_html(client.areas["{area}"]' in back
    code = [c for c in cells if c["cell_type"] == "code"]
    assert "deliver.write_deliverable" in "".join(code[-1]["source"])


def test_deep_dive_notebooks_are_parameterized_on_the_demo_client(root):
    import papermill as pm

    areas = ("reliability", "balance", "segmentation", "outcome", "decay", "verbatims")
    books = [root / "notebooks" / f"{a}.ipynb" for a in areas]
    assert all(p.exists() for p in books), [p.name for p in books if not p.exists()]
    for nb_path in books:
        params = pm.inspect_notebook(str(nb_path))
        assert params["config"]["default"].strip("'\"") == "examples/demo/config.yml", nb_path.name
        nb = json.loads(nb_path.read_text())
        assert nb["metadata"]["kernelspec"]["name"] == "python3"
        src = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        assert f"{nb_path.stem}." in src, f"{nb_path.name} should call npsdiag.diagnoses.{nb_path.stem}"


# --------------------------------------------------------------------------- outputs


def test_write_outputs_writes_the_queue_the_decay_area_built(tmp_path):
    """write_outputs writes the callback queue the decay area exported (so a large export does not build it
    twice); without the decay area it builds one itself."""
    from npsdiag import diagnosis, outputs

    rows = [{"score": float(s), "responded_at": pd.Timestamp(f"2025-{m:02d}-10"), "respondent_id": f"r{m}-{s}"}
            for m in range(1, 7) for s in (0, 5, 9, 10)]
    prep = clean.prepare(io.from_frames(pd.DataFrame(rows)), as_of=pd.Timestamp("2026-01-01"))
    diag = diagnosis.assemble(prep, [AreaResult("reliability")])
    names = {p.name for p in outputs.write_outputs(diag, prep, tmp_path / "a")}
    assert "findings.json" in names
    decay = AreaResult("decay", exports={"callback_queue.csv": pd.DataFrame({"priority": [1],
                                                                            "account_id": ["SENTINEL"]})})
    outputs.write_outputs(diagnosis.assemble(prep, [decay]), prep, tmp_path / "b")
    assert "SENTINEL" in (tmp_path / "b" / "callback_queue.csv").read_text(encoding="utf-8-sig")


# --------------------------------------------------------------------------- figure rendering


def _busy_figure():
    """Two axes with shared y, dates, a legend, titles, rotated labels and annotations: many layout passes."""
    with plotting.style():
        fig, (a, b) = plotting.figure(7.5, 3.4, ncols=2, sharey=True)
        days = pd.date_range("2025-01-01", periods=40, freq="W")
        a.plot(days, np.linspace(-20, 35, 40), marker="o", label="NPS")
        a.fill_between(days, np.linspace(-30, 25, 40), np.linspace(-10, 45, 40), alpha=0.2, label="95% interval")
        a.set_title("Quarterly NPS with a long title that wraps nowhere")
        a.legend(loc="upper left")
        a.tick_params(axis="x", labelrotation=30)
        b.barh(["Enterprise customers", "Mid-market", "SMB"], [12.5, -4.0, 30.2], color=plotting.PALETTE[:3])
        for i, v in enumerate([12.5, -4.0, 30.2]):
            b.annotate(f"{v:+.1f}", (v, i), xytext=(3, 0), textcoords="offset points", va="center")
        b.set_xlabel("NPS (points)")
        fig.suptitle("A suptitle")
    return fig


def test_palette_png_of_a_figure_keeps_white_white_and_every_pixel_close():
    import io as _io

    from PIL import Image

    buf = _io.BytesIO()
    with plotting.style():
        _busy_figure().savefig(buf, format="png", dpi=110, facecolor="white")
    rgb = np.asarray(Image.open(buf).convert("RGB"))
    assert len(Image.fromarray(rgb).getcolors(1 << 16)) > 256  # anti-aliasing: the quantizing path
    png, _ = palette_png(rgb)
    back = np.asarray(Image.open(_io.BytesIO(png)).convert("RGB")).astype(int)
    white = (rgb == 255).all(axis=2)
    assert (back[white] == 255).all()  # the page shows through: no tinted background
    assert np.abs(back - rgb).max() <= 16


def test_a_partial_share_never_reads_as_all_or_none():
    from npsdiag.fmt import pct

    # 2,993 usable of 3,000 read is 99.77%: "100%" would tell the client nothing was excluded
    assert pct(2993 / 3000) == "99.8%" and pct(1.0) == "100%" and pct(0.0) == "0%"
    assert pct(4 / 10_000) == "0.04%" and pct(1e-7) == "<0.01%" and pct(1 - 1e-7) == ">99.99%"


def test_a_figure_drawn_on_demand_is_drawn_once_and_a_failing_one_is_said_missing():
    calls = []

    def draw():
        calls.append(1)
        with plotting.style():
            fig, ax = plotting.figure(4, 2)
            ax.plot([1, 2], [3, 4])
        return ax

    rec = Figure("lazy", draw, "A lazy figure")
    assert calls == []  # nothing drawn until shown
    html = report.figure_html(rec)
    assert "data:image/png;base64," in html and calls == [1]
    report.figure_html(rec)
    assert calls == [1]  # drawn once

    def broken():
        raise ValueError("odd data")

    html = report.figure_html(Figure("broken", broken, "A broken figure"))
    assert "<img" not in html and "could not be drawn" in html and "A broken figure" in html


def test_a_figure_shown_twice_is_rendered_once_and_an_anonymised_copy_is_rendered_afresh(monkeypatch):
    from functools import partial

    import npsdiag.report.figures as figures

    def draw(owners):
        with plotting.style():
            fig, ax = plotting.figure(4, 2)
            ax.bar(owners["owner"].tolist(), [1, 2])
        return ax

    rec = Figure("owners", partial(draw, pd.DataFrame({"owner": ["Dana Whitfield", "Tom Becker"]})), "Owners")
    diag = Diagnosis(client="Acme", data_summary={}, headline={}, areas={
        "reliability": AreaResult("reliability", figures=[rec])})
    copy = story.anonymise(diag, {"Dana Whitfield": "Owner A", "Tom Becker": "Owner B"}).areas["reliability"].figures[0]
    renders = []
    real = figures.render_png
    monkeypatch.setattr(figures, "render_png", lambda fig, dpi: renders.append(dpi) or real(fig, dpi))
    first = report.figure_html(rec)  # the private annex's figure, owners named
    assert report.figure_html(rec) == first and len(renders) == 1  # shown twice, rendered once
    assert copy.rendered == {}  # the client's copy never shares the PNG that names the owners
    assert report.figure_html(copy) != first and len(renders) == 2
