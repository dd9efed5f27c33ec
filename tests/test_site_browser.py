"""The built site as readers meet it, in headless Debian chromium: pages, launch buttons, downloads, search, themes."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import nbformat
import numpy
import pytest
import yaml

try:
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # reported by the `browser` fixture, as a skip or (in CI) a failure
    webdriver = None

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
    # The tests never leave the local server: every other host fails at once, online or not.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
WAIT_SECONDS = 30


def toc_pages() -> list[str]:
    """The source files of every page in `_toc.yml`, with their suffixes, as the repository holds them."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    names = [toc["root"]] + [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    return [next(f"{name}{s}" for s in (".md", ".ipynb") if (ROOT / f"{name}{s}").is_file()) for name in names]


PAGES = toc_pages()


def page_html(source: str) -> str:
    """The built page of a source file, relative to the site's root."""
    return re.sub(r"\.(md|ipynb)$", ".html", source)


def executable(source: str) -> bool:
    """Whether a page is a notebook (an .ipynb, or MyST Markdown with a kernel), which readers can launch."""
    return source.endswith(".ipynb") or "\nkernelspec:" in (ROOT / source).read_text().split("\n---", 1)[0]


def require_browser(reason: str) -> None:
    """Skip, or fail where COURSE_REQUIRE_BROWSER=1 says a browser is part of the test run (CI)."""
    if os.environ.get("COURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required but impossible: {reason}")
    pytest.skip(reason)


def find_browser() -> tuple[str | None, str | None]:
    """The paths of chromium and chromedriver, where installed."""
    return shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="session")
def browser_binaries() -> tuple[str, str]:
    """Chromium and its driver, installed from Debian's packages when missing and we may."""
    chromium, driver = find_browser()
    can_install = hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get")
    if not (chromium and driver) and can_install:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "chromium-driver"]
        if subprocess.run(install, env=env, capture_output=True, timeout=1200).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600)
            subprocess.run(install, env=env, capture_output=True, timeout=1200)
        chromium, driver = find_browser()
    if not (chromium and driver):
        require_browser("chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    return chromium, driver


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the browser saves downloads into."""
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def screenshots(html: Path) -> Path:
    """The artifacts folder for screenshots, beside the built site (`_build/screenshots`), which CI uploads."""
    folder = html.parent / "screenshots"
    (folder / "light").mkdir(parents=True, exist_ok=True)
    (folder / "dark").mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser(
    browser_binaries: tuple[str, str], downloads: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebDriver]:
    """One headless chromium for the module, with a fresh profile, its console log kept, downloads saved."""
    if webdriver is None:
        require_browser("selenium is not installed (it is pinned in requirements.txt)")
    chromium, chromedriver = browser_binaries
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager, which would try to download one, never runs.
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=chromedriver))
    driver.set_page_load_timeout(WAIT_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()


def visit(browser: WebDriver, url: str) -> None:
    """Open a page and wait until it and its images have loaded."""
    browser.get(url)
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.execute_script(
            "return document.readyState === 'complete' && [...document.images].every(i => i.complete)"
        )
    )


def console_errors(browser: WebDriver, site_url: str) -> list[str]:
    """The console's SEVERE entries since the last call, except loads the page itself is not responsible for.

    Those are loads from other hosts (the tests run offline) and the browser's own probe for `/favicon.ico`.
    """
    errors = []
    for entry in browser.get_log("browser"):
        message = entry["message"]
        not_the_page = entry["source"] == "network" and (
            not message.startswith(site_url) or message.startswith(urljoin(site_url, "/favicon.ico "))
        )
        if entry["level"] == "SEVERE" and not not_the_page:
            errors.append(message)
    return errors


def screenshot_name(source: str) -> str:
    """A flat file name for a page's screenshot."""
    return source.replace("/", "__").rsplit(".", 1)[0] + ".png"


def luminance(rgb: tuple[int, ...]) -> float:
    """The relative luminance of an sRGB colour (WCAG 2)."""
    channels = [c / 255 for c in rgb[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def css_rgb(value: str) -> tuple[int, ...]:
    """The channels of a computed CSS colour such as `rgb(18, 18, 18)`."""
    return tuple(int(float(c)) for c in re.findall(r"[\d.]+", value)[:3])


def click_toggle(browser: WebDriver, dropdown: str) -> None:
    """Open one of the header's dropdowns (launch, download) by its class."""
    browser.find_element(By.CSS_SELECTOR, f".{dropdown} > button.dropdown-toggle").click()


@pytest.mark.parametrize("source", PAGES)
def test_page_renders_without_console_errors(
    browser: WebDriver, site_url: str, html: Path, screenshots: Path, source: str
) -> None:
    console_errors(browser, site_url)  # start from an empty log
    visit(browser, urljoin(site_url, page_html(source)))
    browser.save_screenshot(str(screenshots / "light" / screenshot_name(source)))
    errors = console_errors(browser, site_url)
    assert errors == [], "\n".join(errors)
    assert browser.find_element(By.CSS_SELECTOR, "article h1").text.strip()
    broken = browser.execute_script("return [...document.images].filter(i => i.naturalWidth === 0).map(i => i.src)")
    assert broken == [], "images that did not load"
    plots = browser.execute_script(
        "return [...document.images].filter(i => new URL(i.src).pathname.startsWith('/_images/')).length"
    )
    built = len(re.findall(r'<img [^>]*src="(?:\.\./)*_images/', (html / page_html(source)).read_text()))
    assert plots == built, "a plot of the page is missing"


@pytest.mark.parametrize("source", PAGES)
def test_launch_buttons_open_the_page_source_on_its_branch(
    browser: WebDriver, site_url: str, root: Path, source: str
) -> None:
    repository = yaml.safe_load((root / "_config.yml").read_text())["repository"]
    slug, branch = repository["url"].removeprefix("https://github.com/"), repository["branch"]
    visit(browser, urljoin(site_url, page_html(source)))
    if not executable(source):
        assert browser.find_elements(By.CSS_SELECTOR, ".dropdown-launch-buttons") == [], "nothing here to launch"
        return
    click_toggle(browser, "dropdown-launch-buttons")
    buttons = {
        link.text.strip(): link
        for link in browser.find_elements(By.CSS_SELECTOR, ".dropdown-launch-buttons a.dropdown-item")
        if link.is_displayed()
    }
    expected = {"Binder": f"https://mybinder.org/v2/gh/{slug}/{branch}?urlpath=lab/tree/{source}"}
    # Colab opens notebooks only: a chapter's button opens its twin in book/_colab/ (tools/notebook_cells.py).
    notebook = source if source.endswith(".ipynb") else re.sub(r"^book/(.*)\.md$", r"book/_colab/\1.ipynb", source)
    assert (root / notebook).is_file(), f"{notebook} is missing: run python tools/notebook_cells.py"
    expected["Colab"] = f"https://colab.research.google.com/github/{slug}/blob/{branch}/{notebook}"
    assert {label: link.get_attribute("href") for label, link in buttons.items()} == expected


def test_exercise_download_saves_a_notebook_file(browser: WebDriver, site_url: str, downloads: Path) -> None:
    page = urljoin(site_url, "exercises/sampler-basics.html")
    visit(browser, page)
    click_toggle(browser, "dropdown-download-buttons")
    browser.find_element(By.CSS_SELECTOR, "a.btn-download-source-button").click()
    saved = downloads / "sampler-basics.ipynb"
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda _: saved.is_file() and not list(downloads.glob("*.crdownload")),
        message="no notebook arrived in the download folder: the browser showed it instead of saving it",
    )
    assert browser.window_handles == [browser.current_window_handle], "the notebook opened in a new tab"
    assert browser.current_url == page, "the browser left the page to show the notebook"
    notebook = nbformat.read(saved, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["grader"]["exercise"] == "sampler-basics"


def test_search_finds_samplerv2(browser: WebDriver, site_url: str, screenshots: Path) -> None:
    visit(browser, urljoin(site_url, "search.html?q=SamplerV2"))
    results = WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results ul.search li a")
    )
    browser.save_screenshot(str(screenshots / "light" / "search-SamplerV2.png"))
    targets = {link.get_attribute("href").removeprefix(site_url).split("#")[0].split("?")[0] for link in results}
    assert "book/replace-backend-run.html" in targets, sorted(targets)


def pixels(png: bytes) -> list[tuple[int, ...]]:
    """The RGB pixels of a PNG screenshot."""
    from PIL import Image

    return [tuple(p) for p in numpy.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3).tolist()]


def test_plots_render_with_content(browser: WebDriver, site_url: str) -> None:
    visit(browser, urljoin(site_url, "book/replace-backend-run.html"))
    plots = browser.find_elements(By.CSS_SELECTOR, "div.cell_output img")
    assert plots, "the chapter's comparison plot is missing"
    for plot in plots:
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", plot)
        assert plot.size["width"] > 200 and plot.size["height"] > 100
        shades = {luminance(p) for p in pixels(plot.screenshot_as_png)}
        assert max(shades) - min(shades) > 0.5, "a blank plot"


def theme(browser: WebDriver) -> str:
    """The colour theme the page shows now."""
    return browser.execute_script("return document.documentElement.dataset.theme")


def switch_theme_to(browser: WebDriver, wanted: str) -> None:
    """Click the header's colour-mode switch (light → dark → system) until the page shows `wanted`."""
    switch = next(b for b in browser.find_elements(By.CSS_SELECTOR, "button.theme-switch-button") if b.is_displayed())
    for _ in range(3):
        if theme(browser) == wanted:
            return
        switch.click()
        time.sleep(0.2)
    assert theme(browser) == wanted


def background(browser: WebDriver) -> float:
    """The luminance of the page's background colour."""
    return luminance(css_rgb(browser.execute_script("return getComputedStyle(document.body).backgroundColor")))


def test_dark_mode_switch_keeps_plots_readable(browser: WebDriver, site_url: str, screenshots: Path) -> None:
    visit(browser, urljoin(site_url, "book/replace-backend-run.html"))
    try:
        switch_theme_to(browser, "dark")
        assert background(browser) < 0.05
        plot = browser.find_element(By.CSS_SELECTOR, "div.cell_output img")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", plot)
        browser.save_screenshot(str(screenshots / "dark" / "book__replace-backend-run.png"))
        shades = sorted(luminance(p) for p in pixels(plot.screenshot_as_png))
        paper, ink = shades[len(shades) // 2], shades[0]  # most of a plot is its background
        assert paper > 0.5, "the plot sits on a dark background: its black text and axes disappear"
        assert (paper + 0.05) / (ink + 0.05) >= 4.5, "the plot's text has too little contrast (WCAG AA)"
        for source in ("book/intro.md", "book/sampler-results.md", "exercises/sampler-basics.ipynb"):
            visit(browser, urljoin(site_url, page_html(source)))
            assert theme(browser) == "dark", "the choice did not carry over to the next page"
            browser.save_screenshot(str(screenshots / "dark" / screenshot_name(source)))
        switch_theme_to(browser, "light")
        assert background(browser) > 0.9
    finally:
        browser.execute_script("localStorage.clear()")


# Pages that fit: what a reader sees at a phone's width and a desktop's. Measured in the page, after layout.
LAYOUT_WIDTHS = [390, 1400]
LAYOUT_PROBE = """
const root = document.documentElement;
const article = document.querySelector('article.bd-article');
const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
const clipper = el => {  // the nearest box that cuts off what overflows it, or the article
  for (let a = el.parentElement; a && a !== article; a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== 'visible') return a;
  }
  return article;
};
const label = el => (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
// Every column shows at once on a desktop, and on a phone for tables of up to three columns; a wider table may
// scroll inside its own box on a phone, as long as every cell can be scrolled to.
const cells = [];
for (const table of article.querySelectorAll('table')) {
  if (!shown(table)) continue;
  const columns = Math.max(...[...table.rows].map(row => row.cells.length));
  const mustFit = window.innerWidth >= 1000 || columns <= 3;
  for (const cell of table.querySelectorAll('th, td')) {
    const holder = clipper(cell), box = holder.getBoundingClientRect(), own = cell.getBoundingClientRect();
    const scrolls = ['auto', 'scroll'].includes(getComputedStyle(holder).overflowX);
    const reachable = scrolls && own.right <= box.left + holder.scrollWidth - holder.scrollLeft + 1;
    if (!shown(cell) || own.width < 1) cells.push('hidden: ' + label(cell));
    else if (own.right > box.right + 1 && (mustFit || !reachable)) cells.push('cut off: ' + label(cell));
  }
}
const lines = [];
for (const pre of article.querySelectorAll('div.cell_output pre')) {
  if (!shown(pre)) continue;
  const style = getComputedStyle(pre), output = pre.closest('.output');
  const wraps = style.whiteSpace === 'pre-wrap' || style.whiteSpace === 'break-spaces';
  const scrolls = style.overflowX === 'auto' || style.overflowX === 'scroll';
  const mustWrap = output && (output.classList.contains('stderr') || output.classList.contains('traceback'));
  const box = clipper(pre).getBoundingClientRect(), own = pre.getBoundingClientRect();
  if (own.right > box.right + 1) lines.push('box wider than the page: ' + label(pre));
  else if (mustWrap && (!wraps || pre.scrollWidth > pre.clientWidth + 1)) lines.push('warning cut off: ' + label(pre));
  else if (!mustWrap && pre.scrollWidth > pre.clientWidth + 1 && !scrolls) lines.push('line cut off: ' + label(pre));
}
const wide = [];  // what sticks out of the page, for the failure message
for (const el of document.body.querySelectorAll('*')) {
  if (!shown(el) || el.getBoundingClientRect().right <= root.clientWidth + 1) continue;
  let free = true;
  for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    const style = getComputedStyle(a);
    if (style.overflowX !== 'visible' || style.position === 'fixed') { free = false; break; }
  }
  if (free && getComputedStyle(el).position !== 'fixed') {
    wide.push(el.tagName.toLowerCase() + '.' + el.className + ' "' + label(el) + '"');
  }
}
return {sideways: root.scrollWidth - root.clientWidth, wide: wide.slice(-5), cells: cells.slice(0, 10),
        lines: lines.slice(0, 10)};
"""


@pytest.fixture
def sized_browser(browser: WebDriver, request: pytest.FixtureRequest) -> Iterator[WebDriver]:
    """The module's browser at the width the test asks for, back at its usual size afterwards."""
    browser.set_window_size(request.param, 900)
    try:
        yield browser
    finally:
        browser.set_window_size(1280, 900)


@pytest.mark.parametrize("sized_browser", LAYOUT_WIDTHS, indirect=True, ids=lambda w: f"{w}px")
@pytest.mark.parametrize("source", PAGES)
def test_page_fits_the_screen(sized_browser: WebDriver, site_url: str, screenshots: Path, source: str) -> None:
    visit(sized_browser, urljoin(site_url, page_html(source)))
    sized_browser.execute_script("return document.fonts.ready")
    width = sized_browser.execute_script("return window.innerWidth")
    (screenshots / f"{width}px").mkdir(exist_ok=True)
    sized_browser.save_screenshot(str(screenshots / f"{width}px" / screenshot_name(source)))
    found = sized_browser.execute_script(LAYOUT_PROBE)
    assert found["sideways"] <= 0, f"the page scrolls sideways by {found['sideways']} px: {found['wide']}"
    assert found["cells"] == [], "table cells the reader cannot see"
    assert found["lines"] == [], "output lines the reader cannot see"


TYPESET = "return document.querySelectorAll('article .math mjx-container').length"


def test_math_renders_offline_from_the_site(browser: WebDriver, site_url: str, html: Path) -> None:
    with_math = [source for source in PAGES if 'class="math' in (html / page_html(source)).read_text()]
    assert len(with_math) >= 2, "the pages that write formulas"
    for source in with_math:
        console_errors(browser, site_url)
        visit(browser, urljoin(site_url, page_html(source)))
        formulas = browser.execute_script("return document.querySelectorAll('article .math').length")
        WebDriverWait(browser, WAIT_SECONDS).until(
            lambda d, expected=formulas: d.execute_script(TYPESET) == expected,
            message=f"{source}: MathJax did not typeset the formulas (raw LaTeX is showing)",
        )
        loaded = browser.execute_script("return performance.getEntriesByType('resource').map(r => r.name)")
        assert [url for url in loaded if not url.startswith(site_url)] == [], f"{source} loads from another host"
        assert any("/_static/mathjax/" in url for url in loaded), source
        assert console_errors(browser, site_url) == [], source
