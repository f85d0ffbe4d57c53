"""Feeds that upper-level portals can syndicate without duplicates.

Checked with a real consumer (feedparser), the RFC 4287 RELAX NG grammar (lxml),
and the RSS 2.0 rules.
"""

from __future__ import annotations

import collections
import email.utils
import filecmp
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import feedparser
import pytest
import rnc2rng
from lxml import etree

from conftest import SAMPLE, build, copy_sample, settings_for, soup
from content_model.corpus import build_corpus
from feeds.plan import FeedItem, split

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


@pytest.fixture(scope="module")
def atom_schema():
    rng = rnc2rng.dumps(rnc2rng.load(str(Path(__file__).parent / "schemas/atom.rnc")))
    # rnc2rng declares the empty "local" prefix, which XML forbids; it is unused.
    return etree.RelaxNG(etree.fromstring(rng.replace('xmlns:local=""', "").encode()))


@pytest.fixture(scope="module")
def archived_site(tmp_path_factory):
    """Build the sample site with short feeds, so that every feed has archives."""
    return build(SAMPLE, tmp_path_factory.mktemp("archived"), FEEDS={"LENGTH": 7})


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    corpus = build_corpus(settings_for(SAMPLE, tmp_path_factory.mktemp("x")))
    return [r for r in corpus.items() if r.published]


def feed_files(site: Path) -> list[Path]:
    return sorted((site / "feeds").rglob("*.xml"))


def test_every_feed_parses_cleanly_with_language_ids_and_full_content(archived_site):
    files = feed_files(archived_site)
    assert len(files) > 40
    for path in files:
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
        assert parsed.feed.get("language") == "zh-CN", path
        for entry in parsed.entries:
            assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", entry.id)
            assert entry.content[0].value.startswith("<p>") or entry.content[0].value.startswith(
                "<"
            )
            assert len(entry.content[0].value) > len(entry.summary)


def test_atom_documents_match_the_rfc_4287_grammar(archived_site, atom_schema):
    for path in (archived_site / "feeds").rglob("*.atom.xml"):
        document = etree.parse(str(path))
        assert atom_schema.validate(document), (path, atom_schema.error_log)
        root = document.getroot()
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-CN"
        # Schematron rule of RFC 4287: a feed author, or one in every entry.
        assert root.find(f"{ATOM}author/{ATOM}name").text == "云溪区人大常委会办公室"


def test_the_grammar_rejects_a_broken_feed(atom_schema):
    broken = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><updated>yesterday</updated></feed>'
    assert not atom_schema.validate(etree.fromstring(broken))


def test_rss_documents_follow_the_rss_2_rules(archived_site):
    for path in (archived_site / "feeds").rglob("*.rss.xml"):
        rss = etree.parse(str(path)).getroot()
        assert rss.tag == "rss" and rss.get("version") == "2.0"
        channel = rss.find("channel")
        for required in ("title", "link", "description"):
            assert channel.findtext(required), (path, required)
        assert channel.findtext("language") == "zh-CN"
        assert email.utils.parsedate_to_datetime(channel.findtext("lastBuildDate"))
        for item in channel.findall("item"):
            guid = item.find("guid")
            assert guid.get("isPermaLink") == "false" and guid.text.startswith("urn:uuid:")
            published = email.utils.parsedate_to_datetime(item.findtext("pubDate"))
            assert published.utcoffset().total_seconds() == 8 * 3600
            assert item.findtext("title") and item.findtext("link").startswith("http")
            assert item.find(CONTENT).text


def test_entries_carry_author_column_dates_in_beijing_time_and_absolute_links(sample_site):
    atom = etree.parse(str(sample_site / "feeds/all.atom.xml")).getroot()
    entries = atom.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        assert entry.findtext(f"{ATOM}published").endswith("+08:00")
        assert entry.findtext(f"{ATOM}updated").endswith("+08:00")
        assert entry.find(f"{ATOM}category").get("term")
        assert entry.find(f"{ATOM}link").get("href").startswith("http://localhost:8000/news/")
        html = entry.findtext(f"{ATOM}content")
        for url in re.findall(r'(?:href|src)="([^"]*)"', html):
            assert url.startswith("http"), url
    assert any(e.find(f"{ATOM}author") is not None for e in entries)


def test_relative_links_in_content_become_absolute(content, tmp_path):
    from conftest import write_item

    write_item(
        content / "news/2025",
        "a.md",
        "标题：甲\n日期：2025-03-01\n栏目：监督\n编号：11111111-1111-4111-8111-111111111111",
        "见[附件](/files/a.pdf)和![会场](../../images/a.jpg)。",
    )
    site = build(content, tmp_path / "out")
    html = (
        etree.parse(str(site / "feeds/all.atom.xml"))
        .getroot()
        .findtext(f"{ATOM}entry/{ATOM}content")
    )
    assert 'href="http://localhost:8000/files/a.pdf"' in html
    assert 'src="http://localhost:8000/news/images/a.jpg"' in html


def chain(site: Path, first: str) -> list[Path]:
    """Follow prev-archive links from a subscription document; return every document."""
    documents, path = [], site / first
    while path:
        documents.append(path)
        root = etree.parse(str(path)).getroot()
        links = root.findall(f"{ATOM}link") + root.findall(f"channel/{ATOM}link")
        previous = [link.get("href") for link in links if link.get("rel") == "prev-archive"]
        path = site / previous[0].removeprefix("http://localhost:8000/") if previous else None
    return documents


@pytest.mark.parametrize("first", ["feeds/all.atom.xml", "feeds/all.rss.xml"])
def test_archive_chain_holds_every_published_item_exactly_once(archived_site, published, first):
    documents = chain(archived_site, first)
    ids, moments = [], []
    for path in documents:
        ids += [entry.id for entry in feedparser.parse(path.read_bytes()).entries]
        moments += published_moments(path)
    assert len(ids) == len(published) == len(set(ids))
    assert moments == sorted(moments, reverse=True)  # newest first along the chain
    for archive in documents[1:]:  # each archive document: at most LENGTH items of its month
        year, month, _ = archive.name.split(".")[0].split("-")
        assert 1 <= len(published_moments(archive)) <= 7
        assert {(m.year, m.month) for m in published_moments(archive)} == {(int(year), int(month))}
    assert set(ids) == {f"urn:uuid:{r.meta['uid']}" for r in published}
    for archive in documents[1:]:
        root = etree.parse(str(archive)).getroot()
        assert root.find(f".//{FH}archive") is not None
        links = root.findall(f"{ATOM}link") + root.findall(f"channel/{ATOM}link")
        assert any(link.get("rel") == "current" for link in links)
    current = etree.parse(str(documents[0])).getroot()
    assert current.find(f".//{FH}archive") is None


def test_subscription_document_holds_the_newest_entries(archived_site, published):
    entries = feedparser.parse((archived_site / "feeds/all.atom.xml").read_bytes()).entries
    newest = sorted(published, key=lambda r: r.meta["date"], reverse=True)[:7]
    assert [e.id for e in entries] == [f"urn:uuid:{r.meta['uid']}" for r in newest]


def published_moments(document: Path) -> list[datetime]:
    """Return the entries' publication moments as written (in +08:00), in document order."""
    root = etree.parse(str(document)).getroot()
    if root.tag == f"{ATOM}feed":
        return [datetime.fromisoformat(e.text) for e in root.iter(f"{ATOM}published")]
    return [email.utils.parsedate_to_datetime(e.text) for e in root.iter("pubDate")]


def item_at(moment: datetime, uid: str) -> FeedItem:
    return FeedItem(uid, uid, f"http://x/{uid}", (), "监督", moment, moment, "", "", "", "", ())


def test_archives_split_months_into_pages_counted_from_the_oldest():
    start = datetime(2025, 3, 1, tzinfo=timezone(timedelta(hours=8)))
    items = [item_at(start + timedelta(hours=h), f"{h:02d}") for h in range(24)]
    items += [item_at(datetime(2025, 5, 2, tzinfo=start.tzinfo), "may")]
    newest_first = items[::-1]
    current, archives = split(newest_first, 3)
    assert [i.uid for i in current] == ["may", "23", "22"]
    assert [a.label for a in archives] == [f"2025-03-{n}" for n in range(1, 9)]
    assert [i.uid for i in archives[0].items] == ["02", "01", "00"]
    assert [i.uid for i in archives[-1].items] == ["21"]
    # An older item makes a document of its own month; the others stay as they were.
    added = item_at(datetime(2025, 2, 9, tzinfo=start.tzinfo), "february")
    same, again = split(sorted([*items, added], key=lambda i: i.published, reverse=True), 3)
    assert same == current and again[1:] == archives and again[0].label == "2025-02-1"
    # One added within a month shifts the pages of that month only.
    added = item_at(start + timedelta(minutes=30), "early")
    _, again = split(sorted([*items, added], key=lambda i: i.published, reverse=True), 3)
    assert [i.uid for i in again[0].items] == ["01", "early", "00"]
    assert [i.uid for i in again[-1].items] == ["21", "20"]


def test_an_item_added_in_the_past_changes_only_its_own_months_archives(tmp_path):
    content = copy_sample(tmp_path / "content")
    first = build(content, tmp_path / "one", FEEDS={"LENGTH": 7})
    from conftest import write_item

    write_item(
        content / "news/2025",
        "new.md",
        "标题：补录的稿件\n日期：2025-03-20 10:00\n栏目：监督\n编号：99999999-9999-4999-8999-999999999999",
    )
    second = build(content, tmp_path / "two", FEEDS={"LENGTH": 7})
    changed = set()
    for before in (first / "feeds").rglob("*.xml"):
        after = second / before.relative_to(first)
        if not filecmp.cmp(before, after, shallow=False):
            changed.add(before.relative_to(first / "feeds").as_posix())
    # March's documents (or the column's subscription document, which still reaches
    # back to March); no newer archive document shifts.
    assert {"archive/all/2025-03-1.atom.xml", "archive/all/2025-03-1.rss.xml"} <= changed
    archives = {c for c in changed if c.startswith("archive/")}
    assert all(re.fullmatch(r"archive/[\w/-]+/2025-03-\d+\.(atom|rss)\.xml", c) for c in archives)
    assert changed - archives <= {"column/oversight.atom.xml", "column/oversight.rss.xml"}


def test_ids_survive_changes_of_url_scheme_slug_title_date_and_domain(tmp_path, published):
    content = copy_sample(tmp_path / "content")
    before = build(content, tmp_path / "before", FEEDS={"LENGTH": 1000})
    target = next(
        p
        for p in (content / "news/2025").glob("*.md")
        if "编号" in p.read_text(encoding="utf-8-sig")
    )
    text = target.read_text(encoding="utf-8-sig")
    text = re.sub(r"^标题[:：].*$", "标题：改过的标题", text, count=1, flags=re.M)
    text = re.sub(r"^(日期|Date)[:：].*$", "日期：2025-12-30 10:00", text, count=1, flags=re.M)
    text = text.replace("\n\n", "\nSlug: renamed-item\n\n", 1)
    target.write_text(text, encoding="utf-8")
    after = build(
        content,
        tmp_path / "after",
        FEEDS={"LENGTH": 1000},
        ARTICLE_URL="articles/{date:%Y}/{slug}/",
        ARTICLE_SAVE_AS="articles/{date:%Y}/{slug}/index.html",
        FEED_DOMAIN="https://renda.example.gov.cn",
        SITEURL="https://renda.example.gov.cn",
    )

    def entries(site):
        parsed = feedparser.parse((site / "feeds/all.atom.xml").read_bytes())
        return {e.id: e for e in parsed.entries}

    old, new = entries(before), entries(after)
    assert set(old) == set(new) and len(old) == len(published)
    changed = [i for i in old if old[i].title != new[i].title]
    assert len(changed) == 1 and new[changed[0]].title == "改过的标题"
    assert "renamed-item" in new[changed[0]].link
    assert all(e.link.startswith("https://renda.example.gov.cn/articles/") for e in new.values())


def test_two_builds_of_the_same_content_give_byte_identical_feeds(tmp_path):
    one = build(SAMPLE, tmp_path / "one", FEEDS={"LENGTH": 7})
    two = build(SAMPLE, tmp_path / "two", FEEDS={"LENGTH": 7})
    names = [p.relative_to(one) for p in feed_files(one)]
    assert names == [p.relative_to(two) for p in feed_files(two)]
    for name in names:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_entries_written_once_give_the_bytes_feedgen_writes_for_each_document(
    archived_site, published, tmp_path, monkeypatch
):
    from feeds import feeds, render

    whole = tmp_path / "whole"
    with monkeypatch.context() as patch:
        patch.setattr(feeds, "Entries", lambda: None)  # feedgen writes every document
        build(SAMPLE, whole, FEEDS={"LENGTH": 7})
    names = [p.relative_to(whole) for p in feed_files(whole)]
    assert names == [p.relative_to(archived_site) for p in feed_files(archived_site)]
    for name in names:
        assert (archived_site / name).read_bytes() == (whole / name).read_bytes(), name
    # Each entry is written once per format for its month's documents, and at most
    # once more for the subscription documents it is in (not once per document).
    written = collections.Counter()
    add = render._add
    monkeypatch.setattr(
        render,
        "_add",
        lambda g, item, c, fmt: (written.update([(item.uid, fmt)]), add(g, item, c, fmt)),
    )
    build(SAMPLE, tmp_path / "again", FEEDS={"LENGTH": 7})
    assert set(written) == {(r.meta["uid"], fmt) for r in published for fmt in ("atom", "rss")}
    assert max(written.values()) <= 2


def test_an_entry_holding_what_separates_entries_is_cut_out_right():
    from feeds.plan import Feed
    from feeds.render import Entries, render

    moment = datetime(2025, 3, 1, tzinfo=timezone(timedelta(hours=8)))
    tricky = "<p>一</p>\n    </item>\n    <item>\n  </entry>\n  <entry>\n<p>二</p>"
    items = [
        FeedItem(
            f"{n:08d}-0000-4000-8000-000000000000",
            f"稿件{n}",
            f"https://x.cn/{n}.html",
            ("张三",),
            "监督",
            moment,
            moment,
            tricky if n == 1 else "<p>正文</p>",
            "摘要",
            "column/oversight",
            "group/powers",
            (),
        )
        for n in range(3)
    ]
    feed = Feed("all", "全部", "全部稿件", "", items)
    for fmt in ("atom", "rss"):
        args = dict(publisher="区人大", domain="https://x.cn", folder="feeds")
        assert render(feed, items, fmt, **args, entries=Entries()) == render(
            feed, items, fmt, **args
        )


def test_feed_paths_are_distinct_and_cover_every_column_group_and_destination(sample_site):
    feeds = sample_site / "feeds"
    settings = settings_for(SAMPLE, sample_site)
    for kind, entries in (("column", "COLUMNS"), ("group", "COLUMN_GROUPS"), ("submit", "OUTLETS")):
        for entry in settings[entries]:
            for fmt in ("atom", "rss"):
                assert (feeds / kind / f"{entry['slug']}.{fmt}.xml").is_file()


def test_submit_feed_offers_exactly_what_was_submitted_there(sample_site, published):
    submitted = {
        f"urn:uuid:{r.meta['uid']}"
        for r in published
        if any(o.name == "市人大网" for o in r.meta["submit"])
    }
    assert submitted
    parsed = feedparser.parse((sample_site / "feeds/submit/city-npc.atom.xml").read_bytes())
    assert {e.id for e in parsed.entries} == submitted


def test_column_feed_holds_only_its_column(sample_site):
    parsed = feedparser.parse((sample_site / "feeds/column/appointments.atom.xml").read_bytes())
    assert parsed.entries and {e.tags[0].term for e in parsed.entries} == {"人事任免"}


def test_every_page_advertises_the_site_feeds_and_column_pages_their_own(sample_site):
    for page in sample_site.rglob("*.html"):
        hrefs = {link["href"] for link in soup(page).select('head link[rel="alternate"]')}
        assert {"/feeds/all.atom.xml", "/feeds/all.rss.xml"} <= hrefs, page
    column = soup(sample_site / "column/oversight/index.html")
    hrefs = {link["href"] for link in column.select('head link[rel="alternate"]')}
    assert (
        "/feeds/column/oversight.atom.xml" in hrefs and "/feeds/column/oversight.rss.xml" in hrefs
    )


def test_subscribe_page_lists_every_feed_with_chinese_instructions(sample_site):
    page = soup(sample_site / "subscribe/index.html")
    assert page.h1.get_text() == "订阅本站稿件"
    assert "复制" in page.get_text()
    links = [a["href"] for a in page.select(".feed-table a")]
    every_feed = ["feeds/all.atom.xml", *(sample_site / "feeds").glob("*/*.atom.xml")]
    assert len(links) == 2 * len(every_feed)  # an Atom and an RSS link each
    for href in links:
        assert (sample_site / href.lstrip("/")).is_file(), href
    footer = soup(sample_site / "index.html").select_one(".site-footer")
    assert footer.find("a", string=re.compile("订阅"))["href"] == "/subscribe/"


def test_items_of_the_same_moment_come_out_in_the_same_order_in_every_process(tmp_path):
    # Pelican lists files as a set: without a tie-break, the hash seed decides.
    from conftest import ROOT, write_item

    content = tmp_path / "content"
    for n in range(6):
        write_item(content / "news/2025", f"{n}.md",
                   f"标题：第{n}篇\n日期：2025年3月15日\n栏目：监督\n编号：{n}0000000-0000-4000-8000-000000000000")  # fmt: skip
    outputs = []
    for seed in ("1", "2", "3"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "invoke", "build", "--no-search", "--content", str(content),
                        "--output", str(out)], cwd=ROOT, env=env, check=True, capture_output=True)  # fmt: skip
        outputs.append(out)
    for name in (
        "feeds/all.atom.xml",
        "feeds/all.rss.xml",
        "index.html",
        "column/oversight/index.html",
    ):
        assert len({(out / name).read_bytes() for out in outputs}) == 1, name
