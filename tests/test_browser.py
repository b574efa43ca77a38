"""The demo report in a real browser: Debian's Chromium driven by Playwright for Python.

The report of the bundled demo client is rendered once (``npsdiag.runner.run``) and opened from ``file://``
with the network switched off, as from a USB stick. Checked: no console error, no page error, no request
other than the file itself and ``data:`` URIs, every image decoded, every internal link lands, no horizontal
scroll at phone width (390 px), and the PDF printed by Chromium (A4) holds every section, each on a new page.

Chromium is NOT optional here: when ``/usr/bin/chromium`` is missing the tests fail and say how to install
it (``make browser``, i.e. ``apt-get install chromium``); ``playwright install`` cannot download browsers
on this project's machines. Set ``NPSDIAG_UPDATE_SCREENSHOTS=1`` to refresh ``docs/report-desktop.png`` and
``docs/report-phone.png`` for the README.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("NPSDIAG_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
MAX_REPORT_BYTES = 5_000_000
SECTION_TITLES = [
    "Executive summary",
    "Reliability — can this data be trusted?",
    "Balance — whose voice is this?",
    "Segmentation — where is it good or bad, honestly?",
    "Outcome — does the score predict retention?",
    "Decay — does feedback reach the front line while it is fresh?",
    "Verbatims — what customers wrote",
    "Action plan",
    "Appendix A — Methodology and references",
    "Appendix B — Data and lineage",
    "Appendix C — Glossary",
]


@pytest.fixture(scope="module")
def demo_report(root, tmp_path_factory) -> Path:
    from npsdiag.runner import run

    out = tmp_path_factory.mktemp("demo-report")
    return run(root / "examples" / "demo" / "config.yml", out, progress=False).report


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

    def __init__(self, browser, report: Path, width: int, height: int = 900):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.context.set_offline(True)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.url = report.resolve().as_uri()
        self.page.goto(self.url, wait_until="load")

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def desktop(browser, demo_report):
    v = Visit(browser, demo_report, 1280)
    yield v
    v.close()


@pytest.fixture(scope="module")
def phone(browser, demo_report):
    v = Visit(browser, demo_report, 390, 844)
    yield v
    v.close()


def test_demo_report_size_is_bounded(demo_report):
    size = demo_report.stat().st_size
    assert 50_000 < size < MAX_REPORT_BYTES, f"report is {size:,} bytes"


def test_report_loads_offline_with_no_error_and_no_request(desktop):
    assert desktop.errors == []
    bad = [m for m in desktop.console if m.startswith(("error", "warning"))]
    assert bad == [], bad
    outside = [u for u in desktop.requests if not u.startswith("data:") and u != desktop.url]
    assert outside == [], outside
    page = desktop.page
    assert page.evaluate("document.scripts.length") == 0
    assert page.evaluate("document.querySelectorAll('link[href], iframe, object, embed').length") == 0
    n_img = page.evaluate("document.images.length")
    assert n_img >= 10
    assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0 "
                         "&& i.src.startsWith('data:image/png;base64,'))")
    assert "Northwind Analytics" in page.title()


def test_every_section_is_there_and_every_internal_link_lands(desktop):
    page = desktop.page
    titles = page.evaluate("Array.from(document.querySelectorAll('main h2')).map(h => h.textContent.trim())")
    found = [next((i for i, t in enumerate(titles) if t.endswith(want)), None) for want in SECTION_TITLES]
    assert None not in found, dict(zip(SECTION_TITLES, found, strict=True))
    assert found == sorted(found), "sections out of order"
    dangling = page.evaluate("""Array.from(document.querySelectorAll('a[href^="#"]'))
        .map(a => a.getAttribute('href').slice(1)).filter(id => !document.getElementById(id))""")
    assert dangling == []
    # the first of the top findings leads to its evidence in its area section
    link = page.locator("ol.top-findings li.top a").first
    target = link.get_attribute("href")[1:]
    link.click()
    page.wait_for_function(f"location.hash === '#{target}'")
    box = page.evaluate(f"document.getElementById('{target}').getBoundingClientRect().top")
    assert 0 <= box < 900
    assert page.evaluate(f"document.getElementById('{target}').closest('section.area') !== null")


def test_client_report_shows_no_code_and_no_personal_data(desktop):
    text = desktop.page.evaluate("document.body.innerText")
    for code in ("from npsdiag import", "report.show(", "pipeline.assemble", "Traceback", "In ["):
        assert code not in text
    assert not re.search(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", text), "an email address reached the client report"


def _save_screenshot(page, name: str, docs: Path, tmp_path: Path) -> Path:
    png = page.screenshot(full_page=False)
    path = tmp_path / name
    path.write_bytes(png)
    if os.environ.get("NPSDIAG_UPDATE_SCREENSHOTS"):
        from PIL import Image

        img = Image.open(io.BytesIO(png)).convert("RGB")
        docs.mkdir(exist_ok=True)
        img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(docs / name, optimize=True)
        assert (docs / name).stat().st_size < 300_000
    return path


@pytest.mark.parametrize("width", [1280, 390])
def test_no_horizontal_scroll_and_screenshots(browser, demo_report, root, tmp_path, width):
    v = Visit(browser, demo_report, width, 900 if width > 600 else 844)
    try:
        page = v.page
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate("document.body.scrollWidth") <= width
        # every figure fits the column; wide tables scroll inside their own box, never the page
        assert page.evaluate(f"Array.from(document.images).every(i => i.getBoundingClientRect().right <= {width})")
        name = "report-desktop.png" if width > 600 else "report-phone.png"
        shot = _save_screenshot(page, name, root / "docs", tmp_path)
        assert shot.stat().st_size > 10_000
        assert v.errors == []
    finally:
        v.close()


def test_pdf_printed_by_chromium_has_every_section_on_its_own_page(desktop, tmp_path):
    try:
        import pypdf
    except ImportError:
        pytest.fail("pypdf (a test dependency) is needed to read the printed PDF: pip install pypdf")
    page = desktop.page
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
    reader = pypdf.PdfReader(str(pdf))
    pages = [re.sub(r"\s+", " ", p.extract_text() or "") for p in reader.pages]
    assert len(pages) >= len(SECTION_TITLES)
    assert "Northwind Analytics" in pages[0] and "Contents" in pages[0]  # cover and contents on page 1
    where = {}
    for title in SECTION_TITLES:  # page 1 (the contents) names them all: look after it
        hits = [i for i in range(1, len(pages)) if title in pages[i]]
        assert hits, f"{title!r} not in the printed PDF"
        where[title] = hits[0]
    order = [where[t] for t in SECTION_TITLES]
    assert order == sorted(order) and len(set(order)) == len(order), where  # each section starts a page
    assert "Page 2 of" in pages[1]  # the print stylesheet's page footer


def test_print_stylesheet_breaks_pages_and_hides_navigation(desktop):
    page = desktop.page
    page.emulate_media(media="print")
    try:
        breaks = page.evaluate("Array.from(document.querySelectorAll('section.area, section.summary'))"
                               ".map(s => getComputedStyle(s).breakBefore)")
        assert breaks and set(breaks) == {"page"}
        assert page.evaluate("Array.from(document.querySelectorAll('a.back'))"
                             ".every(a => getComputedStyle(a).display === 'none')")
    finally:
        page.emulate_media(media="screen")
