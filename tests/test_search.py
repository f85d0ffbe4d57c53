"""Searching the portal in Chinese, in the real browser, on the real index."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from urllib.parse import urlparse

import pytest

from browser import AXE, CHROMIUM, CHROMIUM_ARGS, SiteServer, require
from conftest import build, copy_sample, settings_for, soup, write_item
from search.index import ALLOCATOR, BUNDLE, build_index, item_pages

FOUND = re.compile("找到|没有")


@pytest.fixture(scope="module")
def indexed_site(tmp_path_factory):
    """Build and index the sample, an item waiting for its date, and drafts (a preview)."""
    content = copy_sample(tmp_path_factory.mktemp("search-content") / "content")
    write_item(content / "news/2026", "soon.md", "标题：区人大常委会将举行候任人员宪法宣誓\n日期：2026-11-30 09:00\n"
               "栏目：人事任免\n编号：99999999-9999-4999-8999-999999999999", "候任人员将进行宪法宣誓。")  # fmt: skip
    site = build(content, tmp_path_factory.mktemp("search"), DRAFT_SAVE_AS="drafts/{slug}.html")
    assert (site / "drafts").is_dir() and list((site / "drafts").glob("*99999999*"))
    stats = build_index(site, item_pages(settings_for(content, site)))
    return site, stats


@pytest.fixture(scope="module")
def page(indexed_site):
    require(os.path.exists(CHROMIUM), f"Chromium ({CHROMIUM})")
    from playwright.sync_api import sync_playwright

    with SiteServer(indexed_site[0]) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 375, "height": 900})
        offsite = []

        def route(route):
            if urlparse(route.request.url).netloc != urlparse(server.origin).netloc:
                offsite.append(route.request.url)
                return route.abort()
            return route.continue_()

        context.route("**/*", route)
        tab = context.new_page()
        errors = []
        tab.on("console", lambda m: m.type == "error" and errors.append(m.text))
        tab.origin, tab.errors, tab.offsite = server.origin, errors, offsite
        yield tab
        browser.close()


def search(page, query="", **filters):
    from urllib.parse import urlencode

    from playwright.sync_api import expect

    params = urlencode({"q": query, **filters})
    page.goto(f"{page.origin}/search/?{params}")
    expect(page.locator(".search-status")).to_have_text(FOUND, timeout=15000)
    while page.locator(".search-more").is_visible():  # results come 20 at a time
        shown = page.locator(".search-results li").count()
        page.click(".search-more")
        expect(page.locator(".search-results li")).not_to_have_count(shown)
    links = page.eval_on_selector_all(
        ".search-results a.item-link", "els => els.map(e => new URL(e.href).pathname)"
    )
    return page.inner_text(".search-status"), links


def pages_containing(site, word):
    found = set()
    for path in site.glob("news/*/*/*.html"):
        article = soup(path).select_one("article[data-pagefind-body]")
        if path.name != "index.html" and article and word in article.get_text():
            found.add("/" + path.relative_to(site).as_posix())
    return found


def test_only_published_items_are_indexed(indexed_site):
    site, stats = indexed_site
    published = [p for p in site.glob("news/*/*/*.html") if p.name != "index.html"]
    assert (site / "drafts").is_dir(), "the preview wrote drafts, and they are on the site"
    assert stats.pages == len(published) and stats.bytes > 0
    assert (site / BUNDLE / "pagefind.js").is_file()


def test_pagefinds_allocator_takes_our_setting():
    """The setting that lowers Pagefind's peak reaches its allocator (else it is a no-op).

    jemalloc prints the options it runs with when asked to; another allocator, or
    another name for its setting, prints nothing.
    """
    name, value = next(iter(ALLOCATOR.items()))
    result = subprocess.run(
        [sys.executable, "-m", "pagefind", "--version"],
        capture_output=True, text=True, check=True,
        env={**os.environ, name: value + ",stats_print:true"},
    )  # fmt: skip
    assert "opt.dirty_decay_ms: 0 " in result.stderr


def test_searching_jiandu_returns_exactly_the_items_that_contain_it(page, indexed_site):
    expected = pages_containing(indexed_site[0], "监督")
    status, links = search(page, "监督")
    assert len(expected) > 5
    assert set(links) == expected and len(links) == len(expected)
    assert status == f"找到 {len(expected)} 篇稿件。"
    first = page.locator(".search-results li").first
    assert first.locator(".item-meta").inner_text().startswith("20")  # date · column
    assert first.locator("mark").count() >= 1  # the excerpt shows the match


def test_a_long_unspaced_query_finds_the_item_it_comes_from(page, indexed_site):
    _, links = search(page, "审议通过了有关人事任免事项")
    assert pages_containing(indexed_site[0], "审议通过了有关人事任免事项") <= set(links)


def test_a_column_filter_narrows_the_results(page, indexed_site):
    _, everything = search(page, "监督")
    _, narrowed = search(page, "监督", 栏目="人事任免")
    assert narrowed and set(narrowed) < set(everything)
    for link in narrowed:
        assert (
            "人事任免"
            in soup(indexed_site[0] / link.lstrip("/")).select_one(".item-facts").get_text()
        )


def test_year_and_deputy_filters_are_offered(page, indexed_site):
    search(page, "代表")
    years = page.eval_on_selector_all(
        "select[data-filter='年份'] option", "els => els.map(e => e.value)"
    )
    deputies = page.eval_on_selector_all(
        "select[data-filter='代表'] option", "els => els.map(e => e.value)"
    )
    assert years == ["", "2026", "2025"]
    assert "赵丽萍" in deputies and "李明" in deputies
    _, links = search(page, "", 代表="赵丽萍")
    assert links
    for link in links:
        item = soup(indexed_site[0] / link.lstrip("/"))
        assert "赵丽萍" in item.select_one(".item-deputies").get_text()


@pytest.mark.parametrize("word", ["待补充", "候任人员"])  # in drafts / in the waiting item only
def test_drafts_and_waiting_items_never_show_up(page, word):
    status, links = search(page, word)
    assert links == [] and status.startswith("没有找到")


def test_a_term_in_no_item_says_so_clearly(page):
    status, links = search(page, "火星探测")
    assert links == []
    assert status == "没有找到包含“火星探测”的稿件。可以换一个关键词，或减少筛选条件。"


def test_search_loads_only_from_the_site_without_errors_and_passes_axe(page):
    search(page, "监督", 栏目="监督")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    assert page.offsite == [] and page.errors == []


def test_every_page_has_the_search_box(sample_site):
    for path in ("index.html", "404.html", "column/oversight/index.html"):
        form = soup(sample_site / path).select_one("form.search-box")
        assert form["action"] == "/search/" and form.select_one("input[name=q]")
        assert form.select_one("label").get_text() == "搜索本站稿件"
