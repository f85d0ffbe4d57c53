"""The sample site as a reader gets it: Chinese, complete, safe, stable URLs."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import feedparser
import pytest
from pelican import signals
from pelican.contents import Article
from pelican.utils import slugify

from conftest import COLUMN_NAMES, SAMPLE, build, settings_for, soup, write_item
from content_model.corpus import build_corpus, save_as

VISIBLE_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder", "content")


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_every_published_item_and_page_is_written_and_nothing_else(sample_site, tmp_path):
    corpus = build_corpus(settings_for(SAMPLE, tmp_path))
    published = [r for r in corpus.records.values() if r.published]
    assert len(corpus.items()) >= 40
    for record in published:
        assert (sample_site / save_as(record, settings_for(SAMPLE, tmp_path))).is_file()
    assert len(corpus.deputies()) >= 12
    item_pages = [p for p in sample_site.glob("news/*/*/*.html") if p.name != "index.html"]
    assert len(item_pages) == len([r for r in published if r.kind == "item"])
    assert not (sample_site / "drafts").exists(), "drafts never reach the output"


def test_every_page_declares_simplified_chinese(sample_site):
    for page in html_files(sample_site):
        assert soup(page).html["lang"] == "zh-CN", page


# Names Chinese portals and offices use as they are (“RSS订阅”, “ICP备案”, “Excel表格”).
ALLOWED_LATIN = {"RSS", "Atom", "ICP", "CSV", "Excel", "JSON"}


def test_no_english_is_left_in_any_page(sample_site):
    english = re.compile(r"[A-Za-z]{2,}")
    for page in html_files(sample_site):
        doc = soup(page)
        texts = [doc.body.get_text(" "), doc.title.get_text()]
        for tag in doc.find_all(True):
            if tag.name == "meta" and tag.get("name") != "description":
                continue
            texts += [tag[a] for a in VISIBLE_ATTRIBUTES if isinstance(tag.get(a), str)]
        found = {w for t in texts for w in english.findall(t)} - ALLOWED_LATIN
        assert not found, f"{page.relative_to(sample_site)}: {sorted(found)}"


def test_all_output_paths_are_ascii(sample_site):
    for path in sample_site.rglob("*"):
        assert str(path.relative_to(sample_site)).isascii(), path


def test_item_page_shows_chinese_date_and_time_when_one_was_given(content, tmp_path):
    write_item(
        content / "news/2025",
        "a.md",
        f"标题：甲\n日期：2025年3月5日 9:30\n栏目：监督\n编号：{UID_A}",
    )
    write_item(
        content / "news/2025", "b.md", f"标题：乙\n日期：2025-03-06\n栏目：监督\n编号：{UID_B}"
    )
    site = build(content, tmp_path / "out")
    shown = {}
    for page in site.glob("news/2025/03/2025*.html"):
        doc = soup(page)
        shown[doc.h1.get_text()] = doc.select_one(".item-facts time")
    assert shown["甲"].get_text() == "2025年3月5日 09:30"
    assert shown["甲"]["datetime"] == "2025-03-05T09:30:00+08:00"
    assert shown["乙"].get_text() == "2025年3月6日"


def test_lists_show_dates_as_chinese_dates(sample_site):
    dates = [t.get_text() for t in soup(sample_site / "index.html").select(".item-list time")]
    assert dates and all(re.fullmatch(r"20\d\d年\d{1,2}月\d{1,2}日", d) for d in dates)


def test_chinese_settings_vanilla_pelican_gets_wrong(tmp_path):
    settings = settings_for(SAMPLE, tmp_path)
    # "zh" alone makes docutils warn on every build; Pelican lower-cases the value.
    assert settings["DEFAULT_LANG"] == "zh-cn"
    assert settings["TIMEZONE"] == "Asia/Shanghai"
    assert settings["ARTICLE_TRANSLATION_ID"] is None
    # Pelican looks DATE_FORMATS up by the lower-cased language.
    article = Article("正文", {"title": "标题", "date": datetime(2025, 3, 15, 9, 30)}, settings)
    assert article.locale_date == "2025年3月15日"
    assert article.date.utcoffset().total_seconds() == 8 * 3600


def test_same_title_items_are_not_translations_of_each_other(sample_site):
    titled = [
        p
        for p in sample_site.glob("news/*/*/*.html")
        if p.name != "index.html" and soup(p).h1.get_text() == "区人大常委会召开主任会议"
    ]
    assert len(titled) == 2
    column = soup(sample_site / "column/chairpersons-council/index.html")
    listed = [a.get_text() for a in column.select(".item-list a")]
    assert listed.count("区人大常委会召开主任会议") == 2


def test_navigation_lists_every_column_with_items(sample_site):
    nav = [a.get_text() for a in soup(sample_site / "index.html").select(".site-nav a")]
    for column in COLUMN_NAMES:
        assert column in nav


def test_item_meta_description_is_its_summary(sample_site, tmp_path):
    corpus = build_corpus(settings_for(SAMPLE, tmp_path))
    checked = 0
    for record in corpus.items():
        if not record.published:
            continue
        page = sample_site / save_as(record, settings_for(SAMPLE, tmp_path))
        description = soup(page).find("meta", attrs={"name": "description"})["content"]
        assert description == record.meta["summary"]
        assert 0 < len(description) <= 120
        checked += 1
    assert checked >= 40


UID_A = "11111111-1111-4111-8111-111111111111"
UID_B = "22222222-2222-4222-8222-222222222222"


def test_equal_pinyin_tags_and_authors_keep_their_own_pages(content, tmp_path):
    # Vanilla Pelican turns both pairs into one slug and merges their pages.
    assert slugify("会议") == slugify("回忆") and slugify("张三") == slugify("章三")
    common = "栏目：监督\n单位：区人大常委会办公室\n"
    write_item(
        content / "news/2025",
        "a.md",
        f"标题：甲\n日期：2025-03-01\n{common}作者：张三\n标签：会议\n编号：{UID_A}",
    )
    write_item(
        content / "news/2025",
        "b.md",
        f"标题：乙\n日期：2025-03-02\n{common}作者：章三\n标签：回忆\n编号：{UID_B}",
    )
    site = build(content, tmp_path / "out")
    pages = {}
    for kind in ("tag", "author"):
        for index in (site / kind).glob("*/index.html"):
            doc = soup(index)
            pages[doc.h1.get_text().split("：")[-1]] = [
                a.get_text() for a in doc.select(".item-list a")
            ]
    assert pages == {"会议": ["甲"], "回忆": ["乙"], "张三": ["甲"], "章三": ["乙"]}
    item = soup(next(site.glob("news/2025/03/*.html")))
    assert item.select_one(".item-tags a")["href"].startswith("/tag/")


def test_items_share_one_object_per_tag_column_and_author(content, tmp_path):
    # Pelican makes these objects item by item (~100,000 at 20,000 items); one per
    # name keeps a large build's memory down. Names of equal pinyin stay apart.
    uids = (UID_A, UID_B, "33333333-3333-4333-8333-333333333333")
    people = (("张三", "会议"), ("张三", "会议"), ("章三", "回忆"))
    for n, (uid, (author, tag)) in enumerate(zip(uids, people, strict=True)):
        write_item(
            content / "news/2025",
            f"{n}.md",
            f"标题：第{n}条\n日期：2025-03-0{n + 1}\n栏目：监督\n单位：区人大常委会办公室\n"
            f"作者：{author}\n标签：{tag}\n编号：{uid}",
        )
    seen = []

    def keep(generator):
        seen.extend(generator.articles)

    signals.article_generator_finalized.connect(keep)
    try:
        build(content, tmp_path / "out")
    finally:
        signals.article_generator_finalized.disconnect(keep)
    a, b, c = sorted(seen, key=lambda article: article.title)
    assert a.tags[0] is b.tags[0] and a.author is b.author
    assert a.category is b.category is c.category and a.category.slug == "oversight"
    assert a.tags[0] is not c.tags[0] and a.tags[0].slug != c.tags[0].slug
    assert a.author is not c.author and a.author.slug != c.author.slug


DANGEROUS_BODY = """第一段正文，介绍会议情况。

<script>alert("body")</script>
<img src="/images/a.jpg" alt="会场" onerror="alert('img')">
<a href="javascript:alert('link')">点这里</a>
<iframe src="https://evil.example/"></iframe>
"""


@pytest.fixture(scope="module")
def dangerous_site(tmp_path_factory):
    content = tmp_path_factory.mktemp("dangerous") / "content"
    write_item(
        content / "news/2025",
        "x.md",
        f"标题：<script>alert('title')</script>会议\n日期：2025-03-01\n栏目：监督\n"
        f'作者：<img src=x onerror=alert(1)>\n标签：<b onclick="x()">标签</b>\n编号：{UID_A}',
        DANGEROUS_BODY,
    )
    return build(content, tmp_path_factory.mktemp("dangerous-out"))


OWN_SCRIPTS = {"/theme/js/site.js", "/theme/js/search.js"}  # the theme's, same origin


def assert_clean(html: str, where: str) -> None:
    doc = soup_text(html)
    assert not doc.find_all("iframe"), where
    for script in doc.find_all("script"):
        assert script.get("src", "").split("?v=")[0] in OWN_SCRIPTS and not script.string, (
            f"{where}: {script}"
        )
    for tag in doc.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.startswith("on"), f"{where}: {tag}"
            assert "javascript:" not in str(value).lower(), f"{where}: {tag}"


def soup_text(html: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")


@pytest.mark.warnings_expected
def test_nothing_executable_survives_in_page_summary_description_or_feed(dangerous_site):
    pages = list(dangerous_site.rglob("*.html"))
    assert pages
    for page in pages:
        assert_clean(page.read_text(encoding="utf-8"), str(page))
    item = soup(next(dangerous_site.glob("news/2025/03/*.html")))
    assert item.h1.get_text() == "<script>alert('title')</script>会议"  # shown as text
    assert "会场" in str(item.select_one(".item-body img"))  # the legitimate image stays
    description = item.find("meta", attrs={"name": "description"})["content"]
    assert "alert" not in description and description.startswith("第一段正文")
    for name in ("all.atom.xml", "all.rss.xml", "column/oversight.atom.xml"):
        # feedparser would sanitize what it hands over; read what was written.
        feed = feedparser.parse((dangerous_site / "feeds" / name).read_bytes(), sanitize_html=False)
        assert feed.bozo == 0 and feed.entries
        for entry in feed.entries:
            parts = [entry.title, entry.get("summary", "")] + [
                c.value for c in entry.get("content", [])
            ]
            for part in parts[1:]:
                assert_clean(part, name)
                assert "alert" not in part, name
            assert entry.title == "<script>alert('title')</script>会议"  # text, escaped in XML


@pytest.mark.warnings_expected
def test_editor_is_told_what_was_removed(content, tmp_path, caplog):
    write_item(
        content / "news/2025",
        "x.md",
        f"标题：甲\n日期：2025-03-01\n栏目：监督\n编号：{UID_A}",
        DANGEROUS_BODY,
    )
    build(content, tmp_path / "out")
    text = caplog.text
    assert "x.md 第 9 行" in text and "<script> 标签" in text
    assert "事件属性 onerror" in text and "“javascript:”链接" in text and "<iframe> 标签" in text


def test_explicit_summary_wins(content, tmp_path):
    write_item(
        content / "news/2025",
        "a.md",
        f"标题：甲\n日期：2025-03-01\n栏目：监督\n摘要：这是编辑写的摘要。\n编号：{UID_A}",
        "正文第一段。",
    )
    site = build(content, tmp_path / "out")
    item = soup(next(site.glob("news/2025/03/*.html")))
    assert item.find("meta", attrs={"name": "description"})["content"] == "这是编辑写的摘要。"


def test_body_of_only_a_table_still_has_a_summary(content, tmp_path):
    write_item(
        content / "news/2025",
        "a.md",
        f"标题：任免名单\n日期：2025-03-01\n栏目：人事任免\n编号：{UID_A}",
        "| 姓名 | 职务 |\n|---|---|\n| 王五 | 副区长 |",
    )
    site = build(content, tmp_path / "out")
    item = soup(next(site.glob("news/2025/03/*.html")))
    assert item.find("meta", attrs={"name": "description"})["content"] == "姓名 职务 王五 副区长"


def test_item_url_is_derived_from_date_and_uid_never_the_title(content, tmp_path):
    write_item(
        content / "news/2025",
        "a.md",
        f"标题：区人大常委会召开会议\n日期：2025-03-01 9:00\n栏目：监督\n编号：{UID_A}",
    )
    write_item(
        content / "news/2025",
        "b.md",
        f"标题：预算审查\n日期：2025-04-01\n栏目：监督\nSlug: budget-review\n编号：{UID_B}",
    )
    site = build(content, tmp_path / "out")
    assert (site / "news/2025/03/20250301-11111111.html").is_file()
    assert (site / "news/2025/04/budget-review.html").is_file()
    assert (site / "column/oversight/index.html").is_file()
