"""The public site in a real browser: Debian's Chromium driven by Playwright.

Screenshots land in test-artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest

from browser import ARTIFACTS, AXE, CHROMIUM, CHROMIUM_ARGS, SiteServer, require, require_java

WIDTHS = (375, 1280)
ELDER = "localStorage.setItem('elder-mode', '1');"
# Collect CSP violations the way a site owner would see them.
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="module")
def server(sample_site):
    with SiteServer(sample_site) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    require(os.path.exists(CHROMIUM), f"Chromium ({CHROMIUM})")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def pages(sample_site) -> dict[str, str]:
    """Return the pages the issue names, as paths on the site."""
    item = next(p for p in sample_site.glob("news/2026/08/*.html") if "65b9e215" in p.name)
    return {
        "home": "/",
        "column": "/column/standing-committee/",
        "item": "/" + item.relative_to(sample_site).as_posix(),
        "404": "/no-such-page/",
    }


class Visit:
    """A page opened in a fresh context that records everything that went wrong."""

    def __init__(self, browser, server, path, width=375, elder=False):
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.offsite: list[str] = []
        self.errors: list[str] = []
        origin = urlparse(server.origin).netloc

        def route(route):
            if urlparse(route.request.url).netloc != origin:
                self.offsite.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        self.context.route("**/*", route)
        self.context.add_init_script(WATCH_CSP + (ELDER if elder else ""))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.response = self.page.goto(server.origin + path)
        self.page.wait_for_load_state("load")

    def csp_violations(self) -> list[str]:
        """Return the CSP violations the page reported."""
        return self.page.evaluate("window.__csp")

    def close(self):
        """Close the page's browser context."""
        self.context.close()


@pytest.fixture
def visit(browser, server):
    opened = []

    def open_page(path, **options):
        page = Visit(browser, server, path, **options)
        opened.append(page)
        return page

    yield open_page
    for page in opened:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["home", "column", "item", "404"])
def test_screenshot_and_no_horizontal_scrolling(visit, pages, name, width):
    page = visit(pages[name], width=width)
    if name == "404":
        assert page.response.status == 404
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    scroll, client = page.page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, f"{name} scrolls sideways at {width}px"


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elderly"])
@pytest.mark.parametrize(
    "name", ["home", "column", "item", "404", "/deputies/li-ming-baisha/", "/tally/2025/"]
)
def test_axe_finds_no_serious_violation(visit, pages, name, elder):
    page = visit(pages.get(name, name), elder=elder)
    assert page.page.evaluate("document.documentElement.classList.contains('elder')") is elder
    # Evaluated through the debugging protocol, so the page's CSP does not apply.
    page.page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, serious


EXTRA_PAGES = [
    "/tag/",
    "/news/",
    "/news/2025/",
    "/about/",
    "/subscribe/",
    "/column/oversight/",
    "/deputies/",
    "/deputies/li-ming-baisha/",
    "/tally/2025/",
]


@pytest.mark.parametrize("name", ["home", "column", "item", "404", *EXTRA_PAGES])
def test_every_request_stays_on_the_site_and_nothing_errs(visit, pages, name):
    page = visit(pages.get(name, name))
    assert page.offsite == []
    expected_404 = "Failed to load resource: the server responded with a status of 404"
    errors = [e for e in page.errors if not (name == "404" and expected_404 in e)]
    assert errors == []
    assert page.csp_violations() == []


def test_the_csp_blocks_inline_script(visit, pages):
    page = visit(pages["item"])
    page.page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = true'; document.head.appendChild(s); }"
    )
    page.page.wait_for_timeout(100)
    assert page.page.evaluate("window.__ran === undefined")
    assert any("script-src" in v for v in page.csp_violations())


def body_font_px(page) -> float:
    return float(page.evaluate("getComputedStyle(document.body).fontSize").removesuffix("px"))


def test_elderly_mode_enlarges_text_and_is_remembered(visit, pages):
    visit_ = visit(pages["item"])
    page = visit_.page
    button = page.get_by_role("button", name="长辈模式")
    assert button.is_visible()
    assert button.get_attribute("aria-pressed") == "false"
    normal = body_font_px(page)
    button.click()
    assert body_font_px(page) >= 1.5 * normal
    assert button.get_attribute("aria-pressed") == "true"
    page.reload()
    assert body_font_px(page) >= 1.5 * normal
    assert page.get_by_role("button", name="长辈模式").get_attribute("aria-pressed") == "true"
    # High contrast: body text is pure black in the elderly mode.
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"


def test_elderly_mode_works_from_the_keyboard(visit, pages):
    page = visit(pages["home"]).page
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.className") == "elder-toggle":
            break
    else:
        pytest.fail("the elderly-mode switch is not reachable with Tab")
    normal = body_font_px(page)
    page.keyboard.press("Enter")
    assert body_font_px(page) >= 1.5 * normal
    page.keyboard.press("Space")
    assert body_font_px(page) == normal


def test_the_site_reads_without_javascript(browser, server, pages):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 900})
    try:
        page = context.new_page()
        page.goto(server.origin + pages["item"])
        assert page.locator("h1").inner_text()
        assert len(page.locator(".item-body").inner_text()) > 100
        assert not page.get_by_role("button", name="长辈模式").is_visible()
    finally:
        context.close()


def test_an_item_prints_on_a4_without_navigation(visit, pages):
    page = visit(pages["item"]).page
    page.emulate_media(media="print")
    for hidden in (".site-header", ".site-nav", ".site-footer", ".related"):
        if page.locator(hidden).count():
            assert not page.locator(hidden).first.is_visible(), hidden
    assert page.locator(".item-body").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    (ARTIFACTS / "item-a4.pdf").write_bytes(pdf)


def test_nu_html_checker_finds_no_error_on_any_page(sample_site):
    java = require_java()
    from browser import VNU

    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", "--skip-non-html",
         "--also-check-css", str(sample_site)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}" for m in messages
    ]
    assert errors == []
    assert len(list(sample_site.rglob("*.html"))) > 100  # it really checked the site
