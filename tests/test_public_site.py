"""The public site's pages: home, columns, items, footer, sharing, sitemap."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from conftest import COLUMN_NAMES, SAMPLE, build, settings_for, soup, write_item
from content_model.corpus import build_corpus, save_as
from public_site.links import Linkable, neighbours, related, related_since
from public_site.public_site import HOME_ITEMS_PER_GROUP, chinese_date, home

DAY = datetime(2025, 3, 1)


def linkable(key, days, column="a", topics=()):
    return Linkable(key, DAY + timedelta(days=days), column, frozenset(topics))


def test_neighbours_are_the_date_neighbours_within_a_column():
    items = [linkable(1, 0), linkable(2, 5), linkable(3, 2), linkable(4, 1, column="b")]
    assert neighbours(items) == {1: (None, 3), 3: (1, 2), 2: (3, None), 4: (None, None)}


def test_related_ranks_by_shared_topics_then_closeness():
    items = [
        linkable("x", 0, topics={"t:预算", "d:刘建华"}),
        linkable("both", 30, topics={"t:预算", "d:刘建华"}),
        linkable("near", 1, topics={"t:预算"}),
        linkable("far", 90, topics={"t:预算"}),
        linkable("none", 0, topics={"t:教育"}),
    ]
    assert related(items, limit=3)["x"] == ["both", "near", "far"]
    assert related(items)["none"] == []


def test_related_looks_only_at_a_window_under_each_topic():
    items = [linkable(n, n, topics={"t:常委会"}) for n in range(200)]
    result = related(items, limit=10, window=3)[100]
    assert set(result) == {97, 98, 99, 101, 102, 103}  # nothing beyond the window
    assert set(result[:2]) == {99, 101} and set(result[2:4]) == {98, 102}


@pytest.fixture(scope="module")
def corpus():
    return build_corpus(
        settings_for(SAMPLE, SAMPLE.parent / "output", CONTENT_MODEL={"CACHE": False})
    )


def page_of(site, record):
    return soup(site / save_as(record, settings_for(SAMPLE, site)))


def test_home_leads_with_an_item_and_its_image_and_lists_each_group(sample_site):
    home = soup(sample_site / "index.html")
    lead = home.select_one(".lead")
    assert lead.select_one("img.lead-image")["src"] == "/images/standing-committee-32.svg"
    assert lead.select_one("img.lead-image")["alt"]
    groups = [h.get_text() for h in home.select(".group h2")]
    assert groups == ["三会", "三权", "代表风采"]
    columns = {a.get_text() for a in home.select(".group-columns a")}
    assert columns == set(COLUMN_NAMES)
    powers = home.select(".group")[1]
    listed = {m.get_text().split("· ")[-1] for m in powers.select(".item-meta")}
    assert listed <= {"监督", "重大事项决定", "人事任免"}


@given(st.lists(st.integers(min_value=0, max_value=20), max_size=60))
def test_home_lists_the_newest_items_of_each_group_in_one_pass(picks):
    # home() stops once every group has its newest; the same as filtering per group.
    from types import SimpleNamespace

    from content_model.config import get_site

    settings = settings_for(SAMPLE, Path("/nonexistent/out"))
    site = get_site(settings)
    columns = [*site.columns, SimpleNamespace(slug="elsewhere", group="无此分组")]
    articles = [SimpleNamespace(column=columns[n % len(columns)], n=i) for i, n in enumerate(picks)]
    present = {a.column.slug for a in articles}
    shown = home(settings, articles, present)
    for group, entry in zip(site.groups, shown["groups"], strict=True):
        slugs = {c.slug for c in site.columns if c.group == group.name}
        expected = [a for a in articles if a.column.slug in slugs][:HOME_ITEMS_PER_GROUP]
        assert entry["newest"] == expected
        assert {c.slug for c in entry["columns"]} == slugs & present


def test_navigation_names_every_column_but_links_only_those_with_items(content, tmp_path):
    write_item(
        content / "news/2025",
        "a.md",
        "标题：甲\n日期：2025-03-01\n栏目：监督\n编号：11111111-1111-4111-8111-111111111111",
    )
    site = build(content, tmp_path / "out")
    nav = soup(site / "index.html").select_one(".site-nav")
    assert [a.get_text() for a in nav.select("a")] == ["首页", "监督", "稿件归档"]
    assert "人事任免" in nav.get_text() and "暂无稿件" in nav.get_text()
    assert [p.parent.name for p in site.glob("column/*/index.html")] == ["oversight"]


def test_item_page_links_its_column_neighbours_and_related_items(sample_site, corpus):
    column = sorted(
        (r for r in corpus.items() if r.published and r.meta["column"].name == "常委会会议"),
        key=lambda r: r.meta["date"],
    )
    older, middle, newer = column[2], column[3], column[4]
    page = page_of(sample_site, middle)
    links = {p.get_text().split("：")[0]: p.a.get_text() for p in page.select(".item-neighbours p")}
    assert links == {"上一篇": older.meta["title"], "下一篇": newer.meta["title"]}
    related_titles = [a.get_text() for a in page.select(".related a")]
    assert related_titles
    by_title = {r.meta["title"]: r for r in corpus.items()}
    topics = set(middle.meta["tags"]) | set(middle.meta["deputies"])
    for title in related_titles:
        other = by_title[title]
        assert topics & (set(other.meta["tags"]) | set(other.meta["deputies"]))


def test_column_pages_are_paginated_newest_first(tmp_path):
    site = build(SAMPLE, tmp_path / "out", DEFAULT_PAGINATION=3)
    first = soup(site / "column/standing-committee/index.html")
    second = soup(site / "column/standing-committee/page/2/index.html")
    dates = [t["datetime"] for page in (first, second) for t in page.select(".item-list time")]
    assert len(dates) == 6 and dates == sorted(dates, reverse=True)
    assert first.select_one('.pager a[rel="next"]')["href"] == "/column/standing-committee/page/2/"


def test_not_found_and_about_pages(sample_site):
    missing = soup(sample_site / "404.html")
    assert missing.h1.get_text() == "页面不存在"
    assert missing.find("a", string="返回首页")["href"] == "/"
    about = soup(sample_site / "about/index.html")
    assert about.h1.get_text() == "关于本站"
    footer = soup(sample_site / "index.html").select_one(".site-footer")
    assert footer.find("a", string="关于本站")["href"] == "/about/"


def test_footer_shows_filing_numbers_and_contact_from_settings(sample_site):
    footer = soup(sample_site / "news/index.html").select_one(".site-footer")
    icp = footer.find("a", string="江ICP备00000000号-1")
    assert icp["href"] == "https://beian.miit.gov.cn/"
    assert footer.find("a", string="江公网安备00000000000000号")
    assert "通信地址：江州市云溪区人民路1号" in footer.get_text()
    assert footer.select_one(".gov-mark") is None  # not granted in the sample


def test_footer_leaves_out_what_is_unset_and_shows_the_mark_when_granted(content, tmp_path):
    write_item(
        content / "news/2025",
        "a.md",
        "标题：甲\n日期：2025-03-01\n栏目：监督\n编号：11111111-1111-4111-8111-111111111111",
    )
    (content / "images").mkdir()
    (content / "images/mark.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    site = build(
        content,
        tmp_path / "out",
        ICP_NUMBER="",
        PSB_NUMBER="",
        CONTACT={},
        GOV_SITE_MARK={"image": "images/mark.png", "url": "https://bszs.conac.cn/"},
    )
    footer = soup(site / "index.html").select_one(".site-footer")
    assert "ICP" not in footer.get_text() and "公网安备" not in footer.get_text()
    assert "通信地址" not in footer.get_text()
    mark = footer.select_one(".gov-mark")
    assert mark["href"] == "https://bszs.conac.cn/"
    assert mark.img["src"] == "/images/mark.png" and mark.img["alt"] == "党政机关网站标识"
    assert (site / "images/mark.png").is_file()


def test_sharing_metadata(sample_site, corpus):
    record = next(r for r in corpus.items() if r.meta.get("image"))
    page = page_of(sample_site, record)

    def og(name):
        return page.find("meta", attrs={"property": f"og:{name}"})["content"]

    assert og("title") == record.meta["title"]
    assert og("description") == record.meta["summary"]
    assert og("type") == "article"
    assert og("url").startswith("http://localhost:8000/news/2026/08/")
    assert og("image") == "http://localhost:8000/images/standing-committee-32.svg"
    home = soup(sample_site / "index.html")
    assert home.find("meta", attrs={"property": "og:type"})["content"] == "website"


def test_sitemap_lists_every_published_item_and_robots_points_to_it(sample_site, corpus):
    root = etree.parse(str(sample_site / "sitemap.xml")).getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = {loc.text for loc in root.findall("s:url/s:loc", ns)}
    settings = settings_for(SAMPLE, sample_site)
    published = settings["ARTICLE_SAVE_AS"]
    for record in corpus.records.values():
        if record.kind == "deputy":
            url = f"http://localhost:8000/deputies/{record.meta['slug']}/"
        elif record.kind == "page":
            url = f"http://localhost:8000/{record.meta['slug']}/"
        else:
            url = "http://localhost:8000/" + published.format(**record.meta)
        assert (url in urls) is record.published, record.path
    robots = (sample_site / "robots.txt").read_text()
    assert "Sitemap: http://localhost:8000/sitemap.xml" in robots and "Disallow: /drafts/" in robots


def test_item_pages_weigh_at_most_60_kb_with_css_and_js(sample_site):
    assets = sum(
        (sample_site / p).stat().st_size for p in ("theme/css/site.css", "theme/js/site.js")
    )
    for page in sample_site.glob("news/*/*/*.html"):
        if page.name != "index.html":
            assert page.stat().st_size + assets <= 60 * 1024, page


def test_every_page_has_the_csp_and_nothing_inline_it_would_block(sample_site):
    for page in sample_site.rglob("*.html"):
        doc = soup(page)
        csp = doc.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert all(script.get("src") for script in doc.find_all("script")), page
        assert not doc.find_all(style=True) and not doc.find_all("style"), page


@given(st.datetimes(min_value=datetime(1949, 10, 1), max_value=datetime(2100, 12, 31)))
def test_the_date_filter_writes_what_strftime_wrote(moment):
    # The theme's cn_date replaced Pelican's strftime filter (which switches the
    # locale on every call); the pages must not change by a byte.
    assert chinese_date(moment) == moment.strftime("%Y年%-m月%-d日")
    assert chinese_date(moment, True) == moment.strftime("%Y年%-m月%-d日 %H:%M")


def test_related_after_edits_equals_related_made_afresh():
    # A preview session keeps the last result and redoes only the items an added,
    # removed or changed item can reach; after any sequence of edits that must equal
    # what a new process computes from scratch.
    import random

    rng = random.Random(7)
    topics = [f"t:{n}" for n in range(6)]

    def make(key):
        chosen = rng.sample(topics, rng.randint(0, 3))
        return linkable(key, rng.randint(0, 60), rng.choice("ab"), chosen)

    items = [make(n) for n in range(120)]
    found, state = related_since(None, items, limit=4, window=5)
    assert found == related(items, limit=4, window=5)
    for step in range(80):
        kind = step % 4
        if kind == 0:
            items.append(make(1000 + step))
        elif kind == 1:
            items.pop(rng.randrange(len(items)))
        elif kind == 2:
            at = rng.randrange(len(items))
            items[at] = make(items[at].key)
        else:  # moved to another column: nothing else changes
            at = rng.randrange(len(items))
            items[at] = dataclasses.replace(
                items[at], column="b" if items[at].column == "a" else "a"
            )
        found, state = related_since(state, items, limit=4, window=5)
        assert found == related(items, limit=4, window=5), step


def test_an_item_moved_to_another_column_leaves_related_items_unworked(monkeypatch):
    from public_site import links

    items = [linkable(n, n % 9, "ab"[n % 2], [f"t:{n % 3}"]) for n in range(40)]
    found, state = related_since(None, items)
    made = []
    original = links._Topics
    monkeypatch.setattr(links, "_Topics", lambda items: made.append(1) or original(items))
    items[7] = dataclasses.replace(items[7], column="c")
    again, state = related_since(state, items)
    assert made == [] and again == found == related(items)
    made.clear()  # related() works it out afresh
    items[7] = dataclasses.replace(items[7], topics=frozenset({"t:2"}))  # this one counts
    again, state = related_since(state, items)
    assert made == [1] and again == related(items)


def test_an_items_links_follow_its_tags_changed_between_runs(tmp_path):
    # A preview session hands the same articles to every run; an item's record for
    # linking is kept while what it is made of is equal, even a list changed in place.
    from types import SimpleNamespace

    from content_model.config import get_site
    from public_site import public_site

    settings = settings_for(SAMPLE, tmp_path / "out")
    column = next(iter(get_site(settings).columns))

    def item(uid, days, *tags):
        return SimpleNamespace(uid=uid, date=DAY + timedelta(days=days), column=column,
                               tags=[SimpleNamespace(name=t) for t in tags], deputies=[])  # fmt: skip

    a, b, c = item("a", 0, "监督"), item("b", 1, "预算"), item("c", 2, "预算")
    generator = SimpleNamespace(articles=[c, b, a], settings=settings, context={})
    public_site.link_items(generator)
    assert (a.related_items, b.related_items) == ([], [c])
    assert (b.older_in_column, b.newer_in_column) == (a, c)
    a.tags.append(SimpleNamespace(name="预算"))  # the same list, one more tag
    public_site.link_items(generator)
    assert b.related_items == [a, c]
    c.tags[0].name = "调研"  # the same tag object, renamed
    public_site.link_items(generator)
    assert (b.related_items, c.related_items) == ([a], [])
    b.date = DAY + timedelta(days=5)
    public_site.link_items(generator)
    assert (b.older_in_column, b.newer_in_column) == (c, None)
