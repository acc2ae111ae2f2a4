"""Every page of the built book, opened in headless Chromium as a reader would see it.

Checks what a reader notices and a build does not: tables that came out as pipe text, math left untypeset,
images that did not load, requests to the network, pages wider than a phone, figures a phone shrinks until
their text is too small to read, code, output or table boxes that scroll sideways at desktop width, and test or
machine details in the outputs. With ``VAECORE_SCREENSHOTS=1`` a full-page screenshot of every page, light
and dark, at desktop and phone width, is written to ``_build/screenshots`` for a maintainer to look at (off
by default: they take most of the test's time).
"""

import os
import re
import shutil

import pytest

webdriver = pytest.importorskip("selenium.webdriver")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="no Chromium here: install Debian's chromium and chromium-driver (bash .ci/run does)",
)

WIDTHS = {"desktop": 1280, "phone": 390}
TF_LOG_LINE = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d", re.MULTILINE)
# "|---|" of a Markdown table left as text; Sphinx's smart quotes turn "---" into an em dash.
PIPE_TABLE_RULE = re.compile(r"\|\s*(?:-{3,}|[\u2014\u2013]+)\s*\|")
WARNING_WITH_PATH = re.compile(r"/[\w./-]+\.py:\d+: \w*Warning")
# Boxes allowed to scroll sideways at desktop width, by their longest line: Keras' training logs print
# every metric of an epoch on one line, and wrapping them would make them harder to read.
MAY_SCROLL = re.compile(r"^\d+/\d+ .*/step|^Epoch \d+/\d+")
# Output boxes that still scroll at desktop width, each named by the start of its longest line: printed
# lines written before the column was measured (77 characters of code font). Each goes when its chapter
# is re-executed with shorter lines; the test fails on a name that no longer scrolls.
SCROLLING_OUTPUTS: dict[str, list[str]] = {}
# Each scrolling code or output box by its longest line, each scrolling results table by its header. textContent,
# not innerText: a box in a closed dropdown has no innerText, yet it scrolls when opened.
SCROLLING_BOXES = """
const wide = box => box.scrollWidth > box.clientWidth + 1;
const boxes = [...document.querySelectorAll('main pre')].filter(wide)
  .map(box => box.textContent.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), ''));
const tables = [...document.querySelectorAll('div.cell_output table')].filter(wide)
  .map(table => 'a table headed: ' + table.rows[0].textContent);
return boxes.concat(tables);
"""
# Images are decoded after the load event: until then a figure has no size.
WAIT_FOR_IMAGES = """
const done = arguments[arguments.length - 1];
Promise.all([...document.images].map(image => image.decode().catch(() => null))).then(() => done(true));
"""
# Figures and drawings (the shown one of each light/dark pair) that a phone shows narrower than
# PHONE_FIGURE_WIDTH px (or their own width, if narrower), which book.css keeps them at: [natural, shown width].
PHONE_FIGURE_WIDTH = 540
SHRUNK_FIGURES = f"""
return [...document.querySelectorAll('main img')]
  .filter(img => img.naturalWidth > 0 && img.offsetParent !== null)
  .map(img => [img.naturalWidth, Math.round(img.getBoundingClientRect().width)])
  .filter(([natural, shown]) => shown < Math.min(natural, {PHONE_FIGURE_WIDTH}) - 1);
"""

# Text a reader sees, without code and outputs (where $ and | are legitimate).
PROSE_TEXT = """
const clone = document.querySelector('main').cloneNode(true);
clone.querySelectorAll('pre, code, .cell_output, mjx-container, script, style').forEach(e => e.remove());
return clone.innerText;
"""
# Text outside code blocks: where a table rendered as pipe text would show up (prose or cell output).
TEXT_OUTSIDE_CODE = PROSE_TEXT.replace(".cell_output, ", "")
WAIT_FOR_MATH = """
const done = arguments[arguments.length - 1];
if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
  MathJax.startup.promise.then(() => done(true), () => done(false));
} else { done(true); }
"""


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--allow-file-access-from-files"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def is_redirect(page):
    return 'http-equiv="Refresh"' in page.read_text(encoding="utf-8")[:500]


def pages(built_book):
    """Every page a reader can land on; not the redirects (index.html), which a script could catch mid-jump."""
    found = sorted(built_book.glob("*.html")) + sorted((built_book / "notebooks").glob("*.html")) + \
        sorted((built_book / "book").glob("*.html"))
    return [page for page in found if not is_redirect(page)]


def set_width(browser, width, height=900):
    """A viewport exactly ``width`` px wide: headless Chromium keeps windows at least 500 px wide, so a phone's
    width is emulated."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def open_page(browser, page, width):
    set_width(browser, width)
    browser.get(page.as_uri())
    assert browser.execute_async_script(WAIT_FOR_MATH), f"MathJax failed on {page.name}"
    browser.execute_async_script(WAIT_FOR_IMAGES)


def test_every_page_reads_as_a_reader_expects(browser, built_book):
    shots = built_book.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    problems = []
    checked = [page for page in pages(built_book) if page.name not in ("genindex.html", "search.html")]
    assert len(checked) >= 8, f"too few pages: {[page.name for page in checked]}"
    for page in checked:
        for label, width in WIDTHS.items():
            open_page(browser, page, width)
            name = f"{page.parent.name}/{page.name}" if page.parent != built_book else page.name
            prose = browser.execute_script(PROSE_TEXT)
            outside_code = browser.execute_script(TEXT_OUTSIDE_CODE)
            if PIPE_TABLE_RULE.search(outside_code):
                problems.append(f"{name}: a table rendered as pipe text")
            if re.search(r"\$[^$\n]+\$|\\frac|\\mathbb|\\begin\{", prose):
                problems.append(f"{name}: untypeset math")
            broken = browser.execute_script(
                "return [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
            problems += [f"{name}: image did not load: {src[-60:]}" for src in broken]
            remote = browser.execute_script(
                "return performance.getEntriesByType('resource').map(e => e.name)"
                ".filter(n => !n.startsWith('file:') && !n.startsWith('data:'))")
            problems += [f"{name}: requested {url}" for url in remote]
            overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 1:
                problems.append(f"{name}: {overflow} px wider than a {width} px window")
            if width == WIDTHS["phone"]:
                shrunk = browser.execute_script(SHRUNK_FIGURES)
                problems += [f"{name}: a figure {natural} px wide is shown {shown} px wide at {width} px, "
                             f"its text too small to read" for natural, shown in shrunk]
            if width == WIDTHS["desktop"]:
                longest = browser.execute_script(SCROLLING_BOXES)
                named = tuple(SCROLLING_OUTPUTS.get(page.name, ()))
                problems += [f"{name}: a box scrolls sideways at {width} px, its longest line: {line[:80]!r}"
                             for line in longest if not MAY_SCROLL.match(line) and not line.startswith(named)]
                problems += [f"{name}: {start!r} no longer scrolls: take it off SCROLLING_OUTPUTS"
                             for start in named if not any(line.startswith(start) for line in longest)]
            if page.parent.name == "notebooks":
                text = browser.execute_script("return document.body.innerText")
                for pattern, what in [(re.compile("Traceback \\(most recent call last\\)"), "a traceback"),
                                      (WARNING_WITH_PATH, "a warning with a path"),
                                      (TF_LOG_LINE, "a TensorFlow log line"),
                                      (re.compile("NBVAL"), "an nbval marker")]:
                    if pattern.search(text):
                        problems.append(f"{name}: shows {what}")
            if os.environ.get("VAECORE_SCREENSHOTS") != "1":
                continue
            height = browser.execute_script("return document.documentElement.scrollHeight")
            set_width(browser, width, min(height, 30_000))  # the whole page in one picture
            for theme in ("light", "dark"):
                browser.execute_script(f"document.documentElement.dataset.theme = '{theme}'")
                browser.save_screenshot(str(shots / f"{name.replace('/', '_')[:-5]}-{label}-{theme}.png"))
    assert not problems, "\n".join(problems)


def test_the_front_page_leads_to_the_introduction(built_book):
    index = built_book / "index.html"
    assert is_redirect(index)
    target = re.search(r'url=([^"]+)"', index.read_text(encoding="utf-8")).group(1)
    assert (built_book / target).is_file(), target


def test_results_tables_are_html_tables(browser, built_book):
    # Chapter 3 prints two results tables by estimator (and one by seed); they must be real tables.
    open_page(browser, built_book / "notebooks" / "03_categorical_failure.html", 1280)
    headers = browser.execute_script(
        "return [...document.querySelectorAll('.cell_output table')].map(t => t.rows[0].innerText)")
    assert sum("estimator" in header for header in headers) >= 2 and any("seed" in h for h in headers), headers
