"""The scenario report as a reader sees it: opened in headless Chromium at 1280 px, and printed.

One report is rendered for the whole module (``tuoyu run`` on the baseline with a title full of
markup, so the escaping is tested on the same render), then opened in the operating system's
headless Chromium (``/usr/bin/chromium`` and its driver, installed by ``.ci/run``; Selenium
Manager is never asked to download anything). Checked: no element wider than the 1280-px page and
no scrollbar inside it, no year written with a thousands separator, the scenario title shown as
text, and the printed PDF within :data:`MAX_PAGES` pages with no heading alone at a page foot.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tuoyu_model.paths import data_dir
from tuoyu_model.presentation.vocabulary import REPORT_SECTIONS

CHROMIUM = os.environ.get("TUOYU_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TUOYU_CHROMEDRIVER", "/usr/bin/chromedriver")
WIDTH = 1280
# The baseline printed 21 pages before the report was restructured (issue 13), 18 after, 20 with
# issue 10's sections. The print stylesheet then kept a table beside its chart, let text and the
# 40-plus-row appendix table flow across pages instead of moving them whole to a new page, and
# printed without scrolling boxes: 14 pages on A4 landscape (the paper of the report's @page and of
# `chromium --print-to-pdf`). Bound: 16.
MAX_PAGES = 16
TITLE = "基准情景<b>加粗</b><script>window.__injected = 1</script>"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
        reason="headless Chromium not installed (.ci/run installs chromium and chromium-driver)",
    ),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """Render the baseline report once, with a title holding markup; return the report.html path."""
    tmp = tmp_path_factory.mktemp("browser")
    spec = yaml.safe_load((data_dir() / "scenarios" / "baseline.yaml").read_text("utf-8"))
    spec["title"] = TITLE
    scenario = tmp / "markup_title.yaml"
    scenario.write_text(yaml.safe_dump(spec, allow_unicode=True), "utf-8")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1727654400"}  # 2024-09-30
    cmd = [sys.executable, "-m", "tuoyu_model", "run", str(scenario), "--out", str(tmp / "out")]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    (html,) = (tmp / "out").rglob("report.html")
    return html


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver  # lazy: only these tests drive a browser
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", f"--window-size={WIDTH},900", "--disable-gpu"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(report, browser):
    browser.get(report.as_uri())
    return browser


@pytest.fixture(scope="module")
def pdf(page, tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    from selenium.webdriver.common.print_page_options import PrintOptions  # lazy, as in browser()

    options = PrintOptions()  # A4 landscape, as the report's @page asks (WebDriver's default is Letter)
    options.orientation, options.page_width, options.page_height = "landscape", 21.0, 29.7
    path.write_bytes(base64.b64decode(page.print_page(options)))
    return path


WIDE = """
const w = document.documentElement.clientWidth;
const out = [];
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  if (r.right > w + 1) out.push('wider: ' + el.tagName + '.' + el.className + ' ' + Math.round(r.right));
  const s = getComputedStyle(el);
  if (['auto', 'scroll'].includes(s.overflowX) && el.scrollWidth > el.clientWidth + 1)
    out.push('scrolls: ' + el.tagName + '.' + el.className + ' ' + el.scrollWidth + '>' + el.clientWidth);
}
return out.slice(0, 10);
"""


def test_nothing_is_wider_than_a_1280_px_page(page):
    assert page.execute_script("return document.documentElement.scrollWidth") <= WIDTH
    assert page.execute_script(WIDE) == []


def test_no_year_is_written_with_a_thousands_separator(page):
    cells = page.execute_script("return Array.from(document.querySelectorAll('td, th')).map(c => c.innerText)")
    assert len(cells) > 200  # the tables are there
    years = [c for c in cells if re.fullmatch(r"\s*2,0[0-9]{2}\s*", c)]
    text = page.execute_script("return document.body.innerText")
    assert years == [] or not _year_columns_hold(page, years)
    assert re.findall(r"2,0[0-9]{2}\s*年", text) == []


def _year_columns_hold(page, values):
    """Whether any of ``values`` sits in a column headed 年份/年度 (a count like 2,045 elsewhere is fine)."""
    script = """
    const bad = [];
    for (const t of document.querySelectorAll('table')) {
      const heads = Array.from(t.querySelectorAll('thead th')).map(h => h.innerText);
      for (const row of t.querySelectorAll('tbody tr')) {
        Array.from(row.children).forEach((c, i) => {
          if (/年份|年度/.test(heads[i] || '') && /2,0/.test(c.innerText)) bad.push(c.innerText);
        });
      }
    }
    return bad;
    """
    return page.execute_script(script) != []


def test_a_scenario_title_with_markup_is_shown_as_text(page, report):
    assert page.execute_script("return window.__injected === undefined")
    assert "<b>加粗</b>" in page.execute_script("return document.body.innerText")
    assert "<b>加粗</b>" not in report.read_text("utf-8")


def test_the_report_opens_with_its_title_block_and_conclusions(page):
    text = page.execute_script("return document.body.innerText")
    assert text.index("生成日期") < text.index("目录") < text.index("主要结论") < text.index("测算口径")
    assert "2024年9月30日" in text  # SOURCE_DATE_EPOCH fixes the date
    for developer_words in ("tuoyu run", "笔记本", "程序库"):
        assert developer_words not in text.split("附录")[0], developer_words


def _pdf_pages(pdf):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def test_printed_report_fits_in_the_page_bound(pdf):
    pages = _pdf_pages(pdf)
    assert 5 <= len(pages) <= MAX_PAGES
    # no blank last page (the notebook's bottom padding once spilled onto a page of its own; a
    # page holding only a chart has no text either, so only the last page is checked)
    assert pages[-1].strip()


HEADINGS = """
const text = e => e.innerText.replace('¶', '').trim();
return Array.from(document.querySelectorAll('h1, h2, h3, h4, .jp-RenderedMarkdown p > strong'))
  .filter(e => e.tagName !== 'STRONG' || text(e) === text(e.parentElement)).map(text);
"""


def test_no_heading_is_left_alone_at_a_page_foot(pdf, page):
    # the sections, and every heading and bold line over a list that the report holds
    headings = set(REPORT_SECTIONS) | {"需求与目标（全区）", "家庭实际负担", "影子价格", "假设和代理值一览"}
    headings |= set(page.execute_script(HEADINGS))
    assert "影子价格与重新求解的对照" in headings
    lonely = []
    for k, page_text in enumerate(_pdf_pages(pdf)[:-1], start=1):
        lines = [line.strip() for line in page_text.splitlines() if line.strip()]
        if lines and any(lines[-1].startswith(h) for h in headings):
            lonely.append((k, lines[-1]))
    assert lonely == []


def test_each_chart_prints_whole_on_one_page(pdf, page):
    # a chart cut by a page break is drawn on both pages, so it would be listed twice
    if shutil.which("pdfimages") is None:
        pytest.skip("pdfimages (poppler-utils) not installed")
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    drawn = listing.splitlines()[2:]  # below the two header lines
    assert len(drawn) == page.execute_script("return document.querySelectorAll('img.tuoyu-figure').length") >= 5


SCROLLERS = """
const out = [];
for (const el of document.querySelectorAll('body, body *')) {
  const s = getComputedStyle(el);
  if ([s.overflowX, s.overflowY].some(v => v === 'auto' || v === 'scroll')) out.push(el.tagName + '.' + el.className);
}
return Array.from(new Set(out));
"""


def test_nothing_is_a_scrolling_box_in_print(page):
    # a scrolling box prints as one piece Chromium cannot break (a heading then lost what follows)
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        scrollers = page.execute_script(SCROLLERS)
    finally:
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert scrollers == []
