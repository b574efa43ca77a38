"""The demo's deliverable in a real browser: Debian's Chromium driven by Playwright for Python.

The bundled demo client is diagnosed once (``npsdiag.runner.run``), then diagnosed again with
``previous=`` the first run's findings.json (nothing changed: every comparison row says so) and once more on
a modified export (the detractors of the last half-year removed and every response followed up in two days:
the comparison says what moved). The three HTML
documents (``report.html``, ``brief.html``, ``appendix.html``) and the private annex are opened from ``file://``
with the network switched off, as from a USB stick. Checked: no console error, no request other than the file
and ``data:`` URIs, every image decoded, every internal link lands, nothing overflows at 1280 or 390 px, the
printed A4 report holds at most 15 pages and the brief at most 2, the brief's first page holds a currency
amount, the headline with its interval and the recommended KPI, no finding id, setting or statistical term
reaches the client report, owners are anonymised everywhere but in the private annex, and ``datapack.xlsx``
holds every table with its units.

Chromium is NOT optional here: when ``/usr/bin/chromium`` is missing the tests fail and say how to install
it (``make browser``, i.e. ``apt-get install chromium``); ``playwright install`` cannot download browsers
on this project's machines. Set ``NPSDIAG_UPDATE_SCREENSHOTS=1`` to refresh ``docs/brief-page1.png``,
``docs/report-desktop.png`` and ``docs/report-phone.png`` for the README.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

CHROMIUM = Path(os.environ.get("NPSDIAG_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
MAX_REPORT_BYTES = 5_000_000
MAX_REPORT_PAGES = 15
MAX_BRIEF_PAGES = 2
DOCUMENTS = ("report.html", "brief.html", "appendix.html", "private/owners.html")
REPORT_SECTIONS = ["Summary", "Action plan", "What we could not assess, and why it matters",
                   "The seven areas at a glance"]
#: Statistical terms that belong in the appendix, never in the client report's body (issue 17).
STAT_TERMS = ["Wald", "Wilson", "Rao", "Benjamini", "DerSimonian", "Kitagawa", "chi-square", "χ²", "AUC",
              "odds ratio", "p =", "p <", "p-value", "BH-adjusted", "Kish", "Cramér"]
#: Finding ids and settings as they would leak: "<area>.<name>" or a setting key.
CODE_LIKE = re.compile(r"\b(?:reliability|balance|segmentation|outcome|decay|drivers|verbatims)\.[a-z_]+\b|"
                       r"\bsettings\.|\b(?:name_owners|redact_pii|decision_roles|follow_up_sla_days|churn_values)\b")


@pytest.fixture(scope="module")
def runs(root, tmp_path_factory) -> dict[str, Path]:
    """The demo diagnosed three times: first, again with --previous (nothing changed), and on a modified export."""
    from npsdiag.runner import run

    base = tmp_path_factory.mktemp("deliverable")
    demo = root / "examples" / "demo" / "config.yml"
    first = run(demo, base / "first", progress=False).output_dir
    again = run(demo, base / "again", progress=False, previous=first / "findings.json").output_dir
    changed = base / "changed-client"
    shutil.copytree(root / "examples" / "demo", changed)
    resp = pd.read_csv(changed / "responses.csv")
    score = resp["How likely are you to recommend Northwind to a friend or colleague?"]
    late = pd.to_datetime(resp["Response Date"], errors="coerce") >= "2025-07-01"
    resp = resp[~(late & (pd.to_numeric(score, errors="coerce") <= 6))].copy()
    # and the closed loop fixed: every response followed up two days after it (the never-followed-up finding resolves)
    when = pd.to_datetime(resp["Response Date"], errors="coerce")
    resp["Follow-up Date"] = (when + pd.Timedelta(days=2)).dt.strftime("%Y-%m-%d")
    resp.to_csv(changed / "responses.csv", index=False)
    modified = run(changed / "config.yml", base / "modified", progress=False,
                   previous=first / "findings.json").output_dir
    return {"first": first, "again": again, "modified": modified}


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's package with `make browser` "
                    "(apt-get install -y chromium); the report's browser tests need it.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Visit:
    """A page opened offline with every request, console message and page error recorded."""

    def __init__(self, browser, path: Path, width: int, height: int = 900):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.context.set_offline(True)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url, wait_until="load")

    def text(self) -> str:
        return self.page.evaluate("document.body.innerText")

    def pdf_pages(self, tmp_path: Path) -> list[str]:
        import pypdf

        pdf = tmp_path / (Path(self.url).stem + ".pdf")
        self.page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
        return [re.sub(r"\s+", " ", p.extract_text() or "") for p in pypdf.PdfReader(str(pdf)).pages]

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def report(browser, runs):
    v = Visit(browser, runs["again"] / "report.html", 1280)
    yield v
    v.close()


@pytest.fixture(scope="module")
def brief(browser, runs):
    v = Visit(browser, runs["first"] / "brief.html", 1280)
    yield v
    v.close()


def test_every_file_of_the_deliverable_is_written(runs):
    out = runs["first"]
    for name in (*DOCUMENTS, "datapack.xlsx", "findings.json", "callback_queue.csv", "renewal_risk.csv"):
        assert (out / name).is_file(), name
    size = (out / "report.html").stat().st_size
    assert 50_000 < size < MAX_REPORT_BYTES, f"report is {size:,} bytes"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_each_document_loads_offline_with_no_error_and_no_request(browser, runs, name):
    v = Visit(browser, runs["again"] / name, 1280)
    try:
        assert v.errors == []
        bad = [m for m in v.console if m.startswith(("error", "warning"))]
        assert bad == [], bad
        outside = [u for u in v.requests if not u.startswith("data:") and u != v.url]
        assert outside == [], outside
        page = v.page
        assert page.evaluate("document.scripts.length") == 0
        assert page.evaluate("document.querySelectorAll('link[href], iframe, object, embed').length") == 0
        assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0 "
                             "&& i.src.startsWith('data:image/png;base64,'))")
        dangling = page.evaluate("""Array.from(document.querySelectorAll('a[href^="#"]'))
            .map(a => a.getAttribute('href').slice(1)).filter(id => !document.getElementById(id))""")
        assert dangling == []
        assert "Northwind Analytics" in page.title()
        text = v.text()
        for code in ("from npsdiag import", "report.show(", "Traceback", "In ["):
            assert code not in text
        assert not re.search(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", text), f"an email address reached {name}"
    finally:
        v.close()


def test_report_sections_in_order_and_messages_link_to_their_exhibits(report):
    page = report.page
    titles = page.evaluate("Array.from(document.querySelectorAll('main h2, main h3')).map(h => h.textContent.trim())")
    found = [next((i for i, t in enumerate(titles) if t.endswith(want)), None) for want in REPORT_SECTIONS]
    assert None not in found and found == sorted(found), dict(zip(REPORT_SECTIONS, found, strict=True))
    assert any(t.endswith("Since the last diagnosis") for t in titles)
    link = page.locator("ol.messages li.message a").first
    target = link.get_attribute("href")[1:]
    link.click()
    page.wait_for_function(f"location.hash === '#{target}'")
    assert page.evaluate(f"document.getElementById('{target}').classList.contains('message-section')")


def test_client_report_is_plain_english(report, brief):
    for v in (report, brief):
        text = v.text()
        leaks = [t for t in STAT_TERMS if t in text]
        assert leaks == [], f"statistical terms in the client's body: {leaks}"
        assert CODE_LIKE.findall(text) == []


def test_summary_figures_agree_with_findings_json(report, runs):
    doc = json.loads((runs["again"] / "findings.json").read_text())
    text = report.text()
    h = doc["headline"]
    assert f"{h['nps']:+.0f}".replace("-", "−") in text
    assert f"between {h['ci_low']:+.0f} and {h['ci_high']:+.0f}".replace("-", "−") in text
    from npsdiag.story import money

    assert money(doc["value_at_stake"], doc["currency"]) in text
    for m in doc["messages"][:5]:
        assert m["conclusion"] in text
        if m["value_at_stake"]:
            assert money(m["value_at_stake"], doc["currency"]) in text


def test_printed_report_and_brief_fit_their_page_budgets(report, brief, tmp_path):
    pages = report.pdf_pages(tmp_path)
    assert len(pages) <= MAX_REPORT_PAGES, f"report prints on {len(pages)} A4 pages"
    assert "Northwind Analytics" in pages[0] and "Which NPS to believe" in pages[0]
    bpages = brief.pdf_pages(tmp_path)
    assert len(bpages) <= MAX_BRIEF_PAGES, f"brief prints on {len(bpages)} A4 pages"
    first = bpages[0]
    assert re.search(r"USD \d+(\.\d)?[Mk]", first), "no currency amount on the brief's first page"
    assert re.search(r"\+29 .*sure it lies between \+25 and \+33", first), first[:400]
    assert "Track the NPS counting each account once" in first


@pytest.mark.parametrize("name", ["report.html", "brief.html", "appendix.html"])
@pytest.mark.parametrize("width", [1280, 390])
def test_nothing_overflows_at_desktop_and_phone_width(browser, runs, root, tmp_path, name, width):
    v = Visit(browser, runs["again"] / name, width, 900 if width > 600 else 844)
    try:
        page = v.page
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # an image wider than the phone sits in its own sideways-scrolling box, which fits
        assert page.evaluate(f"Array.from(document.images).every(i => "
                             f"(i.closest('.fig-scroll') || i).getBoundingClientRect().right <= {width})")
        # a wide table scrolls inside its own box: every table sits in a box narrower than the page
        assert page.evaluate(f"Array.from(document.querySelectorAll('table')).every(t => "
                             f"(t.closest('.table-wrap') || t).getBoundingClientRect().right <= {width})")
        if width < 600 and name == "report.html":
            # exhibits show their phone-sized variant (drawn 400 px wide), or the full-size picture unshrunk in a box
            # that scrolls sideways: either way its text is as large as drawn
            shown = page.evaluate("Array.from(document.querySelectorAll('section.message-section img')).map(i => "
                                  "[i.naturalWidth, i.getBoundingClientRect().width, !!i.closest('.fig-scroll'), "
                                  "(i.closest('.fig-scroll') || i).getBoundingClientRect().right])")
            assert shown and any(n <= 420 for n, *_ in shown), shown
            for natural, rendered, scrolls, right in shown:
                assert natural <= 420 or (scrolls and rendered >= 0.95 * natural and right <= width), shown
        shot = {("brief.html", 1280): "brief-page1.png", ("report.html", 1280): "report-desktop.png",
                ("report.html", 390): "report-phone.png"}.get((name, width))
        if shot and os.environ.get("NPSDIAG_UPDATE_SCREENSHOTS"):
            from PIL import Image

            img = Image.open(io.BytesIO(page.screenshot(full_page=name == "brief.html"))).convert("RGB")
            if name == "brief.html":
                img = img.crop((0, 0, img.width, min(img.height, 1500)))
            img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(root / "docs" / shot, optimize=True)
        assert v.errors == []
    finally:
        v.close()


def test_owners_are_anonymised_in_the_client_files_and_named_only_in_the_private_annex(runs):
    from openpyxl import load_workbook

    out = runs["first"]
    owners = ["Dana Whitfield", "Tom Becker", "Chloe Martin", "Omar Haddad"]
    for name in ("report.html", "brief.html", "appendix.html", "findings.json"):
        text = (out / name).read_text(encoding="utf-8")
        assert not [o for o in owners if o in text], name
    assert "Owner " in (out / "report.html").read_text(encoding="utf-8")
    wb = load_workbook(out / "datapack.xlsx", read_only=True)
    cells = " ".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row)
    assert not [o for o in owners if o in cells]
    annex = (out / "private" / "owners.html").read_text(encoding="utf-8")
    assert all(o in annex for o in owners) and "Owner A" in annex


def test_datapack_holds_every_table_with_units_and_no_formula(runs):
    from openpyxl import load_workbook

    from npsdiag.datapack import UNITS

    wb = load_workbook(runs["again"] / "datapack.xlsx", read_only=True)
    contents = list(wb["Contents"].iter_rows(values_only=True))
    assert contents[0][:2] == ("sheet", "table")
    listed = [r[0] for r in contents[1:]]
    assert listed == wb.sheetnames[1:] and len(listed) >= 40
    assert {"Which NPS", "Messages", "Action plan", "Renewal risk", "Lineage", "Since headline"} <= set(listed)
    units = set(UNITS.values()) | {"USD", "count", "text", "date", "number", "yes/no", "money", "rating", "rank"}
    for name in listed:
        header = next(wb[name].iter_rows(max_row=1, values_only=True))
        for h in header:
            assert re.search(r"\(([^()]+)\)$", str(h)) and re.search(r"\(([^()]+)\)$", str(h)).group(1) in units, \
                (name, h)
        for row in wb[name].iter_rows(min_row=2, values_only=True):
            assert not any(isinstance(c, str) and c.startswith(("=", "+", "@")) for c in row), (name, row)


def test_previous_run_unchanged_says_no_change_and_a_changed_export_says_what_moved(runs):
    same = json.loads((runs["again"] / "findings.json").read_text())["comparison"]
    assert {r["verdict"] for r in same["headline"]} == {"no change"}
    assert {r["verdict"] for r in same["areas"]} == {"no change"}
    assert {r["verdict"] for r in same["findings"]} == {"persisting"}
    moved = json.loads((runs["modified"] / "findings.json").read_text())["comparison"]
    head = {r["measure"]: r for r in moved["headline"]}
    assert head["Headline"]["change"] > 0 and head["Headline"]["verdict"] == "up"
    verdicts = {r["finding"]: r["verdict"] for r in moved["findings"]}
    assert verdicts.get("decay.no_follow_up") == "resolved", verdicts
    text = (runs["modified"] / "report.html").read_text(encoding="utf-8")
    assert "Since the last diagnosis" in text and ">up<" in text


def test_print_stylesheet_starts_sections_on_a_new_page(report):
    page = report.page
    page.emulate_media(media="print")
    try:
        breaks = page.evaluate("Array.from(document.querySelectorAll("
                               "'section.area:not(#since):not(#areas), section.summary'))"
                               ".map(s => getComputedStyle(s).breakBefore)")
        assert breaks and set(breaks) == {"page"}
        assert page.evaluate("Array.from(document.querySelectorAll('.exhibit-head'))"
                             ".every(h => getComputedStyle(h).breakInside === 'avoid')")
    finally:
        page.emulate_media(media="screen")
