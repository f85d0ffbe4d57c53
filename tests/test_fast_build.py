"""The fast build: pages carried over only when unchanged, two cores, linear grouping."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import threading
import time

import pelican
import pytest
from fast_build import incremental, uptodate
from fast_build.fingerprint import Digester, Unkeyable
from pelican import signals
from test_cache import save_again, site_bytes, stamps

from conftest import ROOT, SAMPLE, build, copy_sample, run_pelican, settings_for, write_item


def test_groups_list_their_items_in_date_order_as_pelican_does(tmp_path):
    # Tag, column and author pages sort each group by date position instead of
    # Pelican's scan of every item per group: the pages are the same.
    ours = build(SAMPLE, tmp_path / "ours", FAST_BUILD={"PARALLEL": False})
    pelican = build(SAMPLE, tmp_path / "pelican", FAST_BUILD={"ENABLED": False})
    for folder in ("tag", "column", "author", "news/2025"):
        assert {k: v for k, v in site_bytes(ours).items() if k.startswith(folder)} == {
            k: v for k, v in site_bytes(pelican).items() if k.startswith(folder)
        }


def test_digests_follow_values_not_objects():
    digester = Digester()
    text = "".join(["区人大", "常委会"])  # an equal string, not the same object
    assert digester.digest({"a": "区人大常委会", "b": "区人大常委会"}) == digester.digest(
        {"a": "区人大常委会", "b": text}
    )
    assert digester.digest(["甲"]) != digester.digest(["乙"])
    with pytest.raises(Unkeyable):
        digester.digest([threading.Lock()])


def test_a_tag_is_digested_by_its_name_and_slug_whatever_object_it_is():
    from markupsafe import Markup
    from pelican.urlwrappers import Category, Tag

    settings = settings_for(SAMPLE, ROOT / "unused")
    digester = Digester()
    tag = Tag("视察", settings)
    first = digester.digest(tag)
    assert digester.digest(Tag("视察", settings)) == first  # another object, the same tag
    assert digester.digest(Category("视察", settings)) != first  # a column is not a tag
    assert digester.digest(Tag(Markup("视察"), settings)) != first  # markup shows otherwise
    tag.name = "调研"  # renamed in place: the same object, another tag
    assert digester.digest(tag) != first
    assert digester.digest(tag) == Digester().digest(Tag("调研", settings))


@pytest.mark.parametrize("across_builds", [False, True], ids=["one build", "session"])
def test_a_list_of_tags_with_their_items_is_digested_by_names_and_items(across_builds):
    import datetime

    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG
    from pelican.urlwrappers import Tag

    settings = {**DEFAULT_CONFIG}
    date = datetime.datetime(2025, 3, 1)
    one, two = (
        Article(
            "正文",
            metadata={"title": f"稿件{n}", "date": date},
            settings=settings,
            source_path=f"/c/{n}.md",
        )  # fmt: skip
        for n in (1, 2)
    )
    digester = Digester(across_builds)

    def digest(groups):
        digester.begin()  # a new build: the same list object may hold other values
        return digester.digest(groups)

    groups = [(Tag("执法检查", settings), [one, two]), (Tag("代表建议", settings), [two])]
    first = digest(groups)
    assert (
        digest([(Tag("执法检查", settings), [one, two]), (Tag("代表建议", settings), [two])])
        == first
    )
    two.title = "改过的标题"
    assert digest(groups) != first  # an item's change shows
    two.title = "稿件2"
    assert digest(groups) == first
    assert (
        digest([(Tag("执法检查", settings), [one, two]), (Tag("代表意见", settings), [two])])
        != first
    )
    assert digest([(Tag("执法检查", settings), [one]), (Tag("代表建议", settings), [two])]) != first


@pytest.mark.parametrize("across_builds", [False, True], ids=["one build", "session"])
def test_the_period_archives_are_digested_by_their_periods_and_items(across_builds):
    # Pelican's period archives (a dict of lists of dicts, each with a period's items)
    # are read by the archives page: its lists of items are digested as lists are.
    import datetime
    from collections import defaultdict

    from fast_build import fingerprint
    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG

    settings = {**DEFAULT_CONFIG}
    one, two = (
        Article("正文", metadata={"title": f"稿件{n}", "date": datetime.datetime(2025, n, 1)},
                settings=settings, source_path=f"/c/{n}.md")
        for n in (1, 2)
    )  # fmt: skip
    digester = Digester(across_builds)

    def archives(january, february, year=(2025,)):
        return defaultdict(list, {
            "year": [{"period": year, "dates": [*january, *february]}],
            "month": [{"period": (2025, 1), "dates": january},
                      {"period": (2025, 2), "dates": february}],
        })  # fmt: skip

    def digest(value):
        digester.begin()  # a new build
        return digester.digest(value, fold=True)

    first = digest(archives([one], [two]))
    folded = digester._folded(archives([one], [two]), fingerprint._FOLD_DEPTH)
    dates = folded.value["month"][0]["dates"]  # not pickled item by item:
    assert type(dates) is fingerprint._Digested and dates.kind == "contents"
    assert digest(archives([one], [two])) == first
    assert Digester().digest(archives([one], [two]), fold=True) == first  # not by objects
    assert digest(dict(archives([one], [two]))) != first  # a plain dict is another value
    two.title = "改过的标题"
    assert digest(archives([one], [two])) != first  # an item's change shows
    two.title = "稿件2"
    assert digest(archives([one], [two])) == first
    assert digest(archives([one, two], [])) != first  # an item in another month
    assert digest(archives([one], [two], year=(2024,))) != first  # another period
    assert digest({"year": []}) != digest({"year": [[]]}) != digest({"year": [()]})
    with pytest.raises(Unkeyable):
        digest({"year": [{"period": (2025,), "dates": [one], "lock": threading.Lock()}]})


def test_checking_the_contents_before_a_fork_leaves_each_digested_once(monkeypatch):
    # A preview's rebuild compares every item kept from the last run before forking,
    # so that the copy finds their digests made; one that cannot be digested is left
    # for its pages to render.
    import datetime

    from fast_build import fingerprint
    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG

    settings = {**DEFAULT_CONFIG}
    date = datetime.datetime(2025, 3, 1)
    kept, odd = (
        Article("正文", metadata={"title": title, "date": date}, settings=settings,
                source_path=f"/c/{n}.md")
        for n, title in enumerate(("稿件", "无法摘要"))
    )  # fmt: skip
    odd.unpicklable = lambda: None  # a function made at run time: not picklable
    digester = Digester(across_builds=True)
    digester.check([kept, odd])
    with pytest.raises(Unkeyable):
        digester.content(odd, 0)
    own = fingerprint.Digester._own
    monkeypatch.setattr(fingerprint.Digester, "_own", lambda *a: pytest.fail("made again"))
    first = digester.content(kept, 0)  # made by the check
    digester.begin()  # the next build: compared with what it was, before the fork
    monkeypatch.setattr(fingerprint.Digester, "_bytes", lambda *a: pytest.fail("pickled again"))
    monkeypatch.setattr(fingerprint.Digester, "_own", own)
    fresh = Article("新稿", metadata={"title": "新稿", "date": date}, settings=settings,
                    source_path="/c/9.md")  # fmt: skip
    digester.recheck([kept, fresh])  # one not kept is left to whoever needs it (not pickled)
    monkeypatch.setattr(fingerprint.Digester, "_own", lambda *a: pytest.fail("compared again"))
    assert digester.content(kept, 0) == first


def test_an_items_listed_digest_is_made_once_while_its_record_holds(monkeypatch):
    # The items' writer keys every list page of a preview run from each item's LISTED
    # digest: one that names no other content is made once per record, and made anew
    # with the record; only level-0 records are kept.
    import datetime

    from fast_build import fingerprint
    from fast_build.fingerprint import LISTED
    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG

    date = datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC)
    item = Article("正文", metadata={"title": "稿件", "date": date}, settings={**DEFAULT_CONFIG},
                   source_path="/c/1.md")  # fmt: skip
    digester = Digester(across_builds=True)
    listed = digester.content(item, LISTED)
    record = digester._contents[id(item), 0]
    assert listed == fingerprint._hash(record.listed)  # what naming nothing else gives
    assert set(digester._contents) == {(id(item), 0)}
    digester.begin()  # the next build: the record holds
    hashed = []
    real = fingerprint._hash
    monkeypatch.setattr(fingerprint, "_hash", lambda data: hashed.append(data) or real(data))
    assert digester.content(item, LISTED) == listed and hashed == []
    digester.begin()
    item.title = "稿件（更新）"  # another record: another digest
    assert digester.content(item, LISTED) != listed


def test_metadata_that_repeats_an_attribute_is_digested_once_yet_every_change_shows():
    # An item's metadata holds its title, date, tags... again, as the very objects of
    # its attributes: those are named in its digest, not pickled twice.
    import datetime
    from zoneinfo import ZoneInfo

    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG

    zone = ZoneInfo("Asia/Shanghai")

    def item(title):
        return Article(
            "正文",
            metadata={"title": title, "date": datetime.datetime(2025, 3, 1, tzinfo=zone)},
            settings={**DEFAULT_CONFIG},
            source_path="/c/1.md",
        )

    def digest(content):
        return Digester().content(content, 0)

    one = item("稿件")
    assert one.metadata["title"] is one.title and one.metadata["date"] is one.date
    first = digest(one)
    assert digest(item("".join(["稿", "件"]))) == first  # equal values, other objects
    one.metadata["title"] = "另一个标题"  # what the template reads of metadata changed
    assert digest(one) != first
    one.metadata["title"] = "稿件"  # an equal string, not the attribute itself
    assert digest(one) == first
    one.metadata["date"] = datetime.datetime(2025, 3, 1, tzinfo=zone)  # equal, not the attribute
    assert digest(one) != first  # not a plain value: pickled whole (never wrongly equal)
    one.metadata["date"] = datetime.datetime(2025, 3, 2, tzinfo=zone)
    two = digest(one)
    assert two != first
    one.date = datetime.datetime(2025, 3, 2, tzinfo=zone)
    assert digest(one) not in (first, two)


def test_digesting_an_item_or_a_feed_entry_leaves_its_text_as_it_was_in_memory():
    # Pickling a str keeps its UTF-8 form inside it for as long as it lives: a digested
    # Chinese body would hold 1.5 times its size again (~100 MB at 20,000 items).
    import dataclasses
    import datetime
    import pickle
    import sys

    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG

    from feeds.plan import FeedItem

    def text(part):  # a str made now, as read from a file (not a constant of this code)
        return "".join(["<p>", part * 200, "</p>"])

    sizes = lambda *texts: [sys.getsizeof(t) for t in texts]  # noqa: E731
    premise = text("代表")
    before = sys.getsizeof(premise)
    pickle.dumps(premise, protocol=5)
    assert sys.getsizeof(premise) > before  # what CPython does, and why this test is

    moment = datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC)
    body, title, summary = text("正文"), "".join(["视察", "报告"]), text("摘要")
    item = Article(body, metadata={"title": title, "date": moment, "summary": summary,
                                   "note": text("附注")},  # fmt: skip
                   settings={**DEFAULT_CONFIG}, source_path="/c/1.md")  # fmt: skip
    entry = FeedItem("u", title, "https://x.cn/1.html", ("张三",), "监督", moment, moment,
                     body, summary, "column/oversight", "group/powers", ())  # fmt: skip
    item.metadata["note"] = text("另注")  # no longer the attribute: pickled apart
    held = [body, title, summary, item.note, item.metadata["note"]]
    before = sizes(*held)
    digester = Digester()
    first = (digester.content(item, 0), digester.content(item, 1), digester.digest(entry))
    assert sizes(*held) == before
    # The digests still follow the text, of the body, of metadata, of each field.
    item.metadata["note"] = text("三注")
    second = Digester().content(item, 0)
    item._content = text("改稿")
    assert len({first[0], second, Digester().content(item, 0)}) == 3
    assert Digester().digest(dataclasses.replace(entry, content=text("改稿"))) != first[2]
    assert Digester().digest(dataclasses.replace(entry, summary="摘要")) != first[2]
    assert Digester().digest(dataclasses.replace(entry)) == first[2]  # equal, other object


def test_digests_shared_by_halves_are_the_ones_each_would_make():
    import datetime

    from fast_build.fingerprint import LISTED, item_page_only
    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG

    from public_site.public_site import LINKS

    settings = {**DEFAULT_CONFIG}
    date = datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC)
    items = [
        Article(
            f"正文{n}",
            metadata={"title": f"稿件{n}", "date": date},
            settings=settings,
            source_path=f"/c/{n}.md",
        )
        for n in range(5)
    ]
    outsider = Article("正文", metadata={"title": "不在列表里", "date": date},
                       settings=settings, source_path="/c/x.md")  # fmt: skip
    for n, item in enumerate(items):  # each names its neighbour, the last one an outsider
        item.newer = items[n + 1] if n + 1 < len(items) else outsider
        item.related_items = [items[n - 1]]  # only its own page reads it (LINKS)
    item_page_only(*LINKS)
    alone = Digester()
    expected = [alone.content(item, 1) for item in items]
    listed = [alone.content(item, LISTED) for item in items]
    one, two = Digester(), Digester()
    evens, odds = one.share(items, range(0, 5, 2)), two.share(items, range(1, 5, 2))
    assert [i for i, *_ in evens] == [0, 2] and [i for i, *_ in odds] == [1, 3]  # 4: outsider
    one.adopt(items, odds)
    two.adopt(items, evens)
    assert [one.content(item, 1) for item in items] == expected
    assert [two.content(item, 1) for item in items] == expected
    assert [one.content(item, LISTED) for item in items] == listed
    assert [two.content(item, LISTED) for item in items] == listed
    kept = Digester(across_builds=True)  # a session's: later builds need attributes
    kept.adopt(items, evens)
    assert kept._now[0] == {}


def _page_keys(cache) -> dict:
    import pickle

    (manifest,) = cache.glob("incremental-*.pickle")
    return {name: key for name, (key, _) in pickle.loads(manifest.read_bytes())["pages"].items()}


@pytest.mark.parametrize("copy_half", ["shared", "fails"])
def test_two_cores_key_every_page_as_one_does(tmp_path, monkeypatch, copy_half):
    # Each process digests half the items and takes the other's half: the keys
    # (and so what a later build carries over) are those of a build on one core.
    from fast_build import parallel

    def leftovers():
        return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("pelican-")}

    before = leftovers()
    if copy_half == "fails":
        monkeypatch.setattr(parallel._Exchange, "copys_half", lambda self: 1 / 0)
    build(SAMPLE, tmp_path / "one", FAST_BUILD={"PARALLEL": False})
    build(SAMPLE, tmp_path / "two", FAST_BUILD={"PARALLEL": True})
    one, two = _page_keys(tmp_path / "one-cache"), _page_keys(tmp_path / "two-cache")
    assert len(one) > 50 and one == two
    assert leftovers() <= before


def test_two_cores_build_the_same_site_as_one(tmp_path):
    one = build(SAMPLE, tmp_path / "one", FAST_BUILD={"PARALLEL": False})
    two = build(SAMPLE, tmp_path / "two", FAST_BUILD={"PARALLEL": True})
    off = build(SAMPLE, tmp_path / "off", FAST_BUILD={"ENABLED": False})
    assert site_bytes(one) == site_bytes(two) == site_bytes(off)


@pytest.mark.parametrize("writers", ["both", "copy", "this"])
def test_items_pages_drawn_by_either_process_make_the_same_site(tmp_path, monkeypatch, writers):
    from fast_build import parallel

    monkeypatch.setattr(parallel, "RUN", 3)  # many draws, even from the sample
    monkeypatch.setattr(parallel, "HELP", writers != "copy")
    monkeypatch.setattr(parallel, "CHILD_WRITES_ITEMS", writers != "this")
    told = []  # Pelican's signal for each item's page, in the order it is sent

    def tell(generator, content):
        told.append(content.source_path)

    signals.article_generator_write_article.connect(tell)
    try:
        one = build(SAMPLE, tmp_path / "one", FAST_BUILD={"PARALLEL": False})
        by_pelican, told[:] = told[:], []
        two = build(SAMPLE, tmp_path / "two", FAST_BUILD={"PARALLEL": True})
    finally:
        signals.article_generator_write_article.disconnect(tell)
    assert site_bytes(one) == site_bytes(two)
    # A process that writes items' pages sends it for every item, as Pelican does.
    assert by_pelican and told == (by_pelican if writers != "copy" else [])


def test_a_build_on_its_own_reads_items_bodies_from_disk_and_makes_the_same_site(
    tmp_path, monkeypatch
):
    # Bodies were ~70 MB of every process's heap at 20,000 items: a build on its own
    # keeps them in a file once checked, and reads each when a page or a feed needs it.
    from fast_build import session
    from pelican.contents import Article, Content

    from content_model import bodies
    from content_model import content_model as plugin

    content = copy_sample(tmp_path / "content")
    # Its body links another item: the link is resolved in its page and its feed entry.
    write_item(content / "news/2025", "links.md",
               "标题：链接\n日期：2025-12-30\n栏目：监督\n编号：11111111-1111-4111-8111-111111111111",
               "见[开幕]({filename}/news/2025/2025-01-14-fourth-session-opens.md)。")  # fmt: skip
    made = []

    def note(generator):
        made.append(list(generator.articles))

    signals.article_generator_finalized.connect(note)
    try:
        on_disk = site_bytes(build(content, tmp_path / "disk"))
        articles = made[-1]
        assert {type(a) for a in articles} == {bodies.StoredArticle}
        assert not any("_content" in vars(a) for a in articles)
        linking = next(a for a in articles if a.title == "链接")
        assert "{filename}" in linking._content and "{filename}" not in linking.content
        memo = Content.__dict__["get_content"].cache  # Pelican's: holds what it returned
        assert not any(isinstance(key[0], bodies.StoredArticle) for key in memo)
        # A preview session hands its articles to its next run: its bodies stay.
        monkeypatch.setattr(session, "_SESSION", None)
        build(content, tmp_path / "preview", FAST_BUILD={"PREVIEW": True})
        session.settle()
        gc.unfreeze()  # settle froze this test process's heap
        assert {type(a) for a in made[-1]} == {Article}
        monkeypatch.setattr(plugin, "spill", lambda records: None)  # kept in memory
        in_memory = site_bytes(build(content, tmp_path / "memory"))
        assert {type(a) for a in made[-1]} == {Article}
    finally:
        signals.article_generator_finalized.disconnect(note)
    assert on_disk == in_memory
    feed = next(v for k, v in on_disk.items() if k.endswith("all.atom.xml")).decode()
    assert "{filename}" not in feed and linking.url in feed


def test_bodies_stay_in_memory_where_a_file_cannot_be_read_at_an_offset(tmp_path, monkeypatch):
    # Windows has no os.pread: a body read there would move the offset a forked copy
    # shares. The bodies then stay where they are.
    from content_model import bodies
    from content_model.corpus import build_corpus

    records = list(build_corpus(settings_for(SAMPLE, tmp_path / "out")).records.values())
    html = {r.path: r.html for r in records}
    monkeypatch.delattr(os, "pread")
    bodies.spill(records)
    assert {r.path: r.html for r in records} == html
    monkeypatch.undo()
    bodies.spill(records)
    assert {type(r.html) for r in records if r.kind == "item"} == {bodies.Body}
    assert all(r.html.text() == html[r.path] for r in records if r.kind == "item")


def test_a_build_on_its_own_keeps_nothing_for_a_next_run_that_a_preview_session_keeps(
    tmp_path, monkeypatch
):
    # Kept for a preview's next run, these were ~70 MB of a build at 20,000 items that
    # has no next run: metadata snapshots, link records, feed items and their digests.
    from fast_build import session

    import feeds.feeds as feeds
    import public_site.public_site as public_site

    def kept():
        return [bool(session._SESSION.articles), bool(public_site._RECORDS),
                public_site._LAST_LINKS is not None, bool(feeds._MADE), bool(feeds._DIGESTS)]  # fmt: skip

    content = copy_sample(tmp_path / "content")
    monkeypatch.setattr(session, "_SESSION", None)
    build(content, tmp_path / "preview", FAST_BUILD={"PREVIEW": True})
    session.settle()
    gc.unfreeze()  # settle froze this test process's heap
    assert kept() == [True] * 5
    build(content, tmp_path / "site")
    assert kept() == [False] * 5


def test_each_process_hands_back_freed_memory_before_writing_items_pages(tmp_path, monkeypatch):
    # Both processes writing items' pages at once is the build's peak: each first
    # returns to the system what it freed (its copy of a page counts on its own).
    from fast_build import parallel

    events = tmp_path / "events"

    def happened(what):
        with open(events, "a", encoding="ascii") as handle:
            handle.write(f"{os.getpid()} {what}\n")

    drawn = parallel._drawn

    def noting(queue):
        mine = drawn(queue)

        def noted(position):
            if mine(position):
                happened("item")
                return True
            return False

        return noted

    monkeypatch.setattr(parallel, "RUN", 3)
    monkeypatch.setattr(parallel, "give_back", lambda: happened("give_back"))
    monkeypatch.setattr(parallel, "_drawn", noting)
    build(SAMPLE, tmp_path / "out", FAST_BUILD={"PARALLEL": True})
    by_process = {}
    for line in events.read_text(encoding="ascii").splitlines():
        pid, what = line.split()
        by_process.setdefault(pid, []).append(what)
    assert len(by_process) == 2 and str(os.getpid()) in by_process
    writing = [whats for whats in by_process.values() if "item" in whats]
    assert writing and all(whats[0] == "give_back" for whats in writing)


def test_work_started_ahead_comes_back_in_order_or_says_why_not(monkeypatch):
    from types import SimpleNamespace

    from fast_build import parallel

    from content_model.content_model import CONTEXT_KEY

    monkeypatch.setattr(parallel, "_WORK", {})
    monkeypatch.setattr(parallel, "AHEAD_FROM", 1)
    parallel.work_ahead("slow", lambda g: (time.sleep(0.5), os.getpid(), g.context["n"])[1:])
    parallel.work_ahead("fails", lambda g: 1 / 0)
    parallel.work_ahead("big", lambda g: "长" * 1_000_000)  # more than a pipe holds
    corpus = SimpleNamespace(records={"news/a.md": None})
    generator = SimpleNamespace(
        settings=settings_for(SAMPLE, ROOT / "unused"), context={CONTEXT_KEY: corpus, "n": 7}
    )
    parallel.start_ahead(generator)
    pid, n = parallel.ahead_result("slow")
    assert pid != os.getpid() and n == 7  # worked out in the copy, from what was read
    assert parallel.ahead_result("big") == "长" * 1_000_000  # one failing does not stop it
    with pytest.raises(parallel.AheadFailed, match="ZeroDivisionError"):
        parallel.ahead_result("fails")
    assert parallel.ahead_result("slow") is None  # each result is taken once
    assert parallel.last_ahead_peak_mb > 0
    generator.settings = settings_for(SAMPLE, ROOT / "unused", FAST_BUILD={"PREVIEW": True})
    parallel.start_ahead(generator)
    assert parallel.ahead_result("slow") is None  # a preview session never forks


@pytest.mark.parametrize("copy", ["works", "fails"])
def test_what_is_worked_out_ahead_makes_the_same_site(tmp_path, monkeypatch, copy):
    from fast_build import parallel

    from public_site import public_site
    from tally import tally

    monkeypatch.setattr(parallel, "AHEAD_FROM", 0)
    if copy == "fails":  # this process then works it out itself: a real error shows here
        monkeypatch.setattr(tally, "lay_out", lambda articles: 1 / 0)
        monkeypatch.setattr(public_site, "links_ahead", lambda articles: 1 / 0)

    def afresh():  # worked out again, not kept from an earlier build of this process
        monkeypatch.setattr(tally, "_COUNTED", {})
        monkeypatch.setattr(public_site, "_LAST_LINKS", None)

    afresh()
    one = build(SAMPLE, tmp_path / "one", FAST_BUILD={"PARALLEL": False})
    afresh()
    linked_here = []
    original = public_site.related_since
    monkeypatch.setattr(
        public_site, "related_since", lambda *a: linked_here.append(1) or original(*a)
    )
    two = build(SAMPLE, tmp_path / "two", FAST_BUILD={"PARALLEL": True})
    assert parallel.last_ahead_peak_mb > 0  # a copy did start
    assert linked_here == ([] if copy == "works" else [1])  # the copy's links were used
    assert site_bytes(one) == site_bytes(two)


@pytest.mark.parametrize("longer", ["this process", "the copy ahead"])
def test_the_items_writer_is_held_back_while_the_copy_ahead_works(tmp_path, monkeypatch, longer):
    # Three processes at once would each hold their own copy of the pages they write;
    # but this process, come to wait for the copy's results, forks the writer first.
    import traceback

    from fast_build import parallel

    from feeds.feeds import FeedsGenerator
    from tally import tally

    ahead, here = (1, 5) if longer == "this process" else (5, 0)
    monkeypatch.setattr(parallel, "AHEAD_FROM", 0)
    slow = tally.lay_out
    monkeypatch.setattr(tally, "lay_out", lambda articles: (time.sleep(ahead), slow(articles))[1])
    feeds = FeedsGenerator.generate_output
    monkeypatch.setattr(
        FeedsGenerator, "generate_output", lambda g, w: (time.sleep(here), feeds(g, w))[1]
    )
    monkeypatch.setattr(tally, "_COUNTED", {})
    fork, forks = parallel._fork, []

    def noting(*args):
        waits = any(f.name == "ahead_result" for f in traceback.extract_stack())
        forks.append((parallel._AHEAD[0].running(), waits))
        fork(*args)

    monkeypatch.setattr(parallel, "_fork", noting)
    one = build(SAMPLE, tmp_path / "one", FAST_BUILD={"PARALLEL": False})
    monkeypatch.setattr(tally, "_COUNTED", {})
    two = build(SAMPLE, tmp_path / "two", FAST_BUILD={"PARALLEL": True})
    if longer == "this process":
        assert forks == [(False, False)]  # once, the copy ahead gone, while writing feeds
    else:
        assert forks == [(True, True)]  # once, before waiting for the copy ahead
    assert parallel.last_ahead_peak_mb > 0 and parallel.last_child_peak_mb > 0
    assert site_bytes(one) == site_bytes(two)


def test_a_held_back_writer_is_forked_at_the_first_point_after_the_copy_ahead_ends(
    monkeypatch,
):
    from fast_build import parallel

    forked = []
    monkeypatch.setattr(parallel, "_AHEAD", (parallel._Copy([lambda: time.sleep(0.5)]), ["x"]))
    monkeypatch.setattr(parallel, "_PENDING", lambda: forked.append(1))
    parallel.fork_point()
    assert forked == [] and parallel._PENDING is not None  # the copy is still at work
    while parallel._AHEAD[0].running():
        time.sleep(0.05)
    parallel.fork_point()
    assert forked == [1] and parallel._PENDING is None
    parallel.fork_point()
    assert forked == [1]  # forked once
    parallel._AHEAD[0].reap()


def test_a_copy_left_by_a_failed_build_is_stopped_and_its_files_deleted_at_exit(tmp_path):
    import subprocess
    import sys

    script = (
        "import sys, time; sys.path[:0] = ['plugins']\n"
        "from fast_build import parallel\n"
        "copy = parallel._Copy([lambda: time.sleep(60)])\n"
        "print(copy.pid)\n"
        "raise SystemExit('the build failed')\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)}, timeout=50,
    )  # fmt: skip
    assert done.returncode == 1 and "the build failed" in done.stderr
    assert time.monotonic() - started < 30  # stopped, not waited for
    assert not os.path.exists(f"/proc/{int(done.stdout)}")
    assert list(tmp_path.iterdir()) == []  # its result file deleted


def test_two_processes_drawing_from_the_queue_write_each_page_once():
    import os
    import pickle

    from fast_build.parallel import _drawn, _queue

    count = 50_000
    queue = _queue(count)
    assert queue.run > 40  # more runs than the smallest pipe holds: longer runs
    reader, writer = os.pipe()
    pid = os.fork()
    written = []
    try:
        mine = _drawn(queue)
        written += [position for position in range(count) if mine(position)]
    finally:
        if pid == 0:  # the copy reports what it wrote and leaves, whatever happens
            try:
                with os.fdopen(writer, "wb") as handle:
                    handle.write(pickle.dumps(written))
            finally:
                os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as handle:  # read before waiting: the pipe may be full
        theirs = pickle.loads(handle.read())
    os.waitpid(pid, 0)
    queue.close()
    assert sorted(written + theirs) == list(range(count))  # each once, whoever drew it


def test_keys_hold_across_processes(tmp_path):
    # Each `pelican` run is a new process with its own hash seed and addresses.
    settings = tmp_path / "settings.py"
    settings.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom pelicanconf import *\n"
        f"CACHE_PATH = {str(tmp_path / 'cache')!r}\n",
        encoding="utf-8",
    )
    content = copy_sample(tmp_path / "content")
    assert run_pelican(content, tmp_path / "site", settings).returncode == 0
    before = stamps(tmp_path / "site")
    save_again(content)  # not skipped as up to date: every page is keyed again
    assert run_pelican(content, tmp_path / "site", settings).returncode == 0
    assert stamps(tmp_path / "site") == before


def test_a_page_changed_in_the_output_is_made_again(tmp_path):
    cache = {"CACHE_PATH": str(tmp_path / "cache")}
    site = build(SAMPLE, tmp_path / "site", **cache)
    page = next(site.glob("news/2025/05/*.html"))
    good = page.read_bytes()
    page.write_bytes(good + b"<!-- tampered -->")
    build(SAMPLE, tmp_path / "site", **cache)
    assert page.read_bytes() == good


def test_a_kept_url_follows_everything_it_is_made_from(monkeypatch):
    import datetime

    from fast_build import urls
    from pelican.contents import Article, Content
    from pelican.settings import DEFAULT_CONFIG
    from pelican.urlwrappers import Category

    settings = {**DEFAULT_CONFIG, "ARTICLE_URL": "news/{date:%Y}/{category}/{slug}.html"}
    made, pelicans = [], urls._ORIGINAL
    monkeypatch.setattr(urls, "_ORIGINAL", lambda *a: made.append(a) or pelicans(*a))
    monkeypatch.setattr(Content, "_expand_settings", urls._expand_settings)
    date = datetime.datetime(2025, 3, 1, 9, 0, tzinfo=datetime.UTC)
    item = Article("正文", metadata={"title": "甲", "date": date, "slug": "a",
                                      "category": Category("监督", settings)},
                   settings=settings, source_path="news/a.md")  # fmt: skip
    assert item.url == "news/2025/jian-du/a.html" and len(made) == 1
    assert item.url == "news/2025/jian-du/a.html" and len(made) == 1  # kept
    item.slug = "b"
    assert item.url == "news/2025/jian-du/b.html" and len(made) == 2
    item.date = date.replace(year=2026)
    assert item.url == "news/2026/jian-du/b.html"
    item.category = Category("人事任免", settings)
    assert item.url == "news/2026/ren-shi-ren-mian/b.html"
    calls = len(made)
    item.metadata["title"] = "乙"  # not in the pattern: the URL cannot change
    assert item.url == "news/2026/ren-shi-ren-mian/b.html" and len(made) == calls
    settings["ARTICLE_URL"] = "{title}/{slug}/"  # any metadata may be in a pattern
    assert item.url == "乙/b/" and len(made) == calls + 1
    item.metadata["title"] = "丁"
    assert item.url == "丁/b/" and len(made) == calls + 2
    item.metadata["path"] = "elsewhere/b.md"
    settings["ARTICLE_URL"] = "{path}"
    assert item.url == "elsewhere/b.md"
    item.metadata["path"] = "other/b.md"
    assert item.url == "other/b.md"
    settings["ARTICLE_URL"] = "{0}{slug}/"  # nothing names what {0} is: never kept
    with pytest.raises(IndexError):
        item.url  # noqa: B018 - Pelican's own error
    settings["ARTICLE_URL"] = "{slug}/"
    assert item.url == "b/"
    undated = Article("正文", metadata={"title": "丙", "slug": "c"}, settings=settings,
                      source_path="news/c.md")  # fmt: skip
    assert undated.url == undated.url == "c/"
    assert [k for k in urls._KNOWN if k[0] == id(undated)] == []  # never kept
    urls.forget(set())
    assert urls._KNOWN == {}


def test_while_a_build_writes_each_url_is_expanded_once(monkeypatch, tmp_path):
    import datetime

    from fast_build import urls
    from pelican import signals
    from pelican.contents import Article, Content
    from pelican.settings import DEFAULT_CONFIG

    settings = {**DEFAULT_CONFIG, "ARTICLE_URL": "news/{slug}.html"}
    monkeypatch.setattr(Content, "_expand_settings", urls._expand_settings)
    compared, real = [], urls._inputs
    monkeypatch.setattr(urls, "_inputs", lambda *a: compared.append(a) or real(*a))
    date = datetime.datetime(2025, 3, 1, 9, 0, tzinfo=datetime.UTC)
    item = Article("正文", metadata={"title": "甲", "date": date, "slug": "a"},
                   settings=settings, source_path="news/a.md")  # fmt: skip
    urls.freeze()
    try:
        assert item.url == "news/a.html"
        calls = len(compared)
        assert item.url == item.url == "news/a.html" and len(compared) == calls  # as made
    finally:
        urls.thaw()
    item.slug = "b"
    assert item.url == "news/b.html"  # a new build compares again

    # A build freezes them once it writes, and thaws them when it ends.
    seen = []

    def writing(*args, **kwargs):
        seen.append(urls._FROZEN is not None)

    signals.article_writer_finalized.connect(writing)
    try:
        build(SAMPLE, tmp_path / "out", FAST_BUILD={"PARALLEL": False})
    finally:
        signals.article_writer_finalized.disconnect(writing)
    assert seen == [True] and urls._FROZEN is None


def _waiting_item(content, date: str):
    write_item(content / "news" / date[:4], "waiting.md",
               f"标题：待发布\n日期：{date}\n栏目：监督\n编号：99999999-9999-4999-8999-999999999999")  # fmt: skip


@pytest.mark.warnings_expected  # the waiting item is announced
def test_a_build_with_nothing_changed_is_skipped_and_says_its_warnings_again(tmp_path, caplog):
    content = copy_sample(tmp_path / "content")
    _waiting_item(content, "2026-12-01 09:00")  # after the tests' "now"
    site = build(content, tmp_path / "site")
    assert uptodate.last_skip() is None
    before = stamps(site)
    caplog.clear()
    build(content, tmp_path / "site")
    stamp = uptodate.last_skip()
    assert stamp is not None and stamp["counts"]["articles"] > 0
    assert stamps(site) == before
    assert any("定于以后发布" in r.getMessage() for r in caplog.records), stamp["said"]
    (site / "pagefind").mkdir()  # the search index, written after the build
    (site / "pagefind/pagefind.js").write_text("//", encoding="utf-8")
    build(content, tmp_path / "site")
    assert uptodate.last_skip() is not None


def _touch_item(content, site):
    save_again(content / "news/2025/2025-05-15-river-inspection.md")


def _add_image(content, site):
    (content / "images/new.png").write_bytes(b"\x89PNG\r\n\x1a\n")


def _delete_item(content, site):
    (content / "news/2025/2025-05-15-river-inspection.md").unlink()


def _tamper_page(content, site):
    page = site / "index.html"
    page.write_bytes(page.read_bytes() + b"<!-- tampered -->")


def _delete_page(content, site):
    (site / "index.html").unlink()


def _stray_file(content, site):
    (site / "stray.html").write_text("旧文件", encoding="utf-8")


@pytest.mark.parametrize(
    "change", [_touch_item, _add_image, _delete_item, _tamper_page, _delete_page, _stray_file]
)
def test_a_change_to_the_content_or_the_output_is_built(tmp_path, change):
    content = copy_sample(tmp_path / "content")
    site = build(content, tmp_path / "site")
    change(content, site)
    build(content, tmp_path / "site")
    assert uptodate.last_skip() is None
    cold = build(content, tmp_path / "cold", FAST_BUILD={"ENABLED": False})
    assert site_bytes(site) == site_bytes(cold)


def test_other_settings_are_built(tmp_path):
    site = build(SAMPLE, tmp_path / "site")
    build(SAMPLE, tmp_path / "site", SITESUBTITLE="另一个副标题")
    assert uptodate.last_skip() is None
    assert "另一个副标题" in (site / "index.html").read_text(encoding="utf-8")


@pytest.mark.warnings_expected  # the waiting item is announced
def test_the_stamp_holds_until_the_day_ends_or_a_waiting_item_goes_online(content, tmp_path):
    # With the clock as "now" (no NOW setting): the tally counts up to today, and a
    # waiting item goes online at its date; the same content then makes another site.
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    write_item(content / "news/2025", "a.md",
               "标题：甲\n日期：2025-03-01\n栏目：监督\n编号：11111111-1111-4111-8111-111111111111")  # fmt: skip
    goes_online = (now + timedelta(hours=3)).replace(second=0, microsecond=0)
    _waiting_item(content, f"{goes_online:%Y-%m-%d %H:%M}")
    settings = settings_for(content, tmp_path / "site", CONTENT_MODEL={"NOW": None})
    pelican.Pelican(settings).run()
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    until = min(midnight, goes_online)
    assert uptodate.check(settings, now=until - timedelta(seconds=1)) is not None
    assert uptodate.check(settings, now=until) is None
    fixed = settings_for(content, tmp_path / "fixed")
    pelican.Pelican(fixed).run()  # a fixed "now" is a setting: the stamp never expires
    assert uptodate.check(fixed, now=datetime(2099, 1, 1, tzinfo=ZoneInfo("UTC"))) is not None


def test_the_search_index_is_left_out_of_the_stamp():
    from fast_build.incremental import DEFAULTS

    from search.index import BUNDLE

    assert BUNDLE in DEFAULTS["OTHER_OUTPUTS"]


def test_an_edit_renders_only_the_pages_of_a_list_that_show_the_item(tmp_path):
    # Each page of a paginated list is keyed by its own items: a title edited on one
    # page leaves the list's other pages as they were.
    content = copy_sample(tmp_path / "content")
    small = {"DEFAULT_PAGINATION": 1}
    site = build(content, tmp_path / "site", **small)
    column = sorted(site.glob("column/oversight/**/index.html"))
    assert len(column) >= 5
    before = {p: p.stat().st_mtime_ns for p in column}
    item = content / "news/2025/2025-05-15-river-inspection.md"
    text = item.read_text(encoding="utf-8-sig")
    item.write_text(text.replace("综合治理工作\n", "综合治理工作（更新）\n", 1), encoding="utf-8")
    build(content, tmp_path / "site", **small)
    showing = [p for p in column if "（更新）" in p.read_text(encoding="utf-8")]
    made = [p for p in column if p.stat().st_mtime_ns != before[p]]
    # Its page only: the items next to it in the column link to it by title from their
    # own pages, not from the lists (fingerprint.ITEM_PAGE_ONLY).
    assert made == showing and len(column) > 1
    cold = build(content, tmp_path / "cold", FAST_BUILD={"ENABLED": False}, **small)
    assert site_bytes(site) == site_bytes(cold)


def test_a_list_an_edit_leaves_as_it_was_is_carried_whole_its_pages_unkeyed(tmp_path, monkeypatch):
    # A list whose items, counts and context are as they were is carried over by the
    # key of the whole list; only the lists the edit shows on are keyed page by page.
    content = copy_sample(tmp_path / "content")
    small = {"DEFAULT_PAGINATION": 1, "FAST_BUILD": {"PARALLEL": False}}  # keyed here
    site = build(content, tmp_path / "site", **small)
    keyed = []
    making = incremental._Build.key

    def key(self, name, *args, **kwargs):
        keyed.append(name)
        return making(self, name, *args, **kwargs)

    monkeypatch.setattr(incremental._Build, "key", key)
    item = content / "news/2025/2025-05-15-river-inspection.md"
    text = item.read_text(encoding="utf-8-sig")
    item.write_text(text.replace("综合治理工作\n", "综合治理工作（更新）\n", 1), encoding="utf-8")
    build(content, tmp_path / "site", **small)
    pages = {f"column/{c}/": sorted(site.glob(f"column/{c}/**/index.html"))
             for c in ("oversight", "standing-committee")}  # fmt: skip
    assert all(len(found) > 1 for found in pages.values())
    # The column the edited item is in: the whole list, then each page.
    assert (
        sum(n.startswith("column/oversight/") for n in keyed) == len(pages["column/oversight/"]) + 1
    )
    # Another column: the whole list only.
    assert [n for n in keyed if n.startswith("column/standing-committee/")] == [
        "column/standing-committee/index.html"
    ]
    cold = build(content, tmp_path / "cold", DEFAULT_PAGINATION=1, FAST_BUILD={"ENABLED": False})
    assert site_bytes(site) == site_bytes(cold)


@pytest.mark.parametrize(
    ("source", "by_page"),
    [
        ("{% for a in articles_page.object_list %}{{ a.title }}{% endfor %}", True),
        ("{{ articles_paginator.count }} {{ articles_next_page.url }}", True),
        ("{% for a in articles_paginator.object_list %}{{ a.title }}{% endfor %}", False),
        ("{{ articles_page.paginator.object_list | length }}", False),
        ("{{ articles_next_page.object_list | length }}", False),
        ("{{ (articles_page | attr('object_list')) | length }}", False),
    ],
)
def test_only_a_template_that_reads_lists_page_by_page_is_keyed_by_page(source, by_page):
    from fast_build.fingerprint import template_names
    from jinja2 import DictLoader, Environment

    env = Environment(loader=DictLoader({"list.html": source}))
    assert template_names(env, "list.html")[2] is by_page


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("{% for a in dates %}{{ a.title }} {{ a.url }}{% endfor %}", {"title", "url"}),
        ("{{ article.related_items | length }}", {"related_items"}),
        ("{{ article['related_items'] }}", {"related_items"}),
        ("{{ dates | map(attribute='related_items') | list }}", {"related_items"}),
        ("{{ article | attr('older_in_column') }}", {"older_in_column"}),
        ("{% set n = 'related_items' %}{{ article[n] }}", None),  # a name made at render
        ("{{ dates | map(attribute=which) | list }}", None),
        ("{{ dates[1:3] | length }} {{ period_num[0] }}", set()),
    ],
)
def test_a_template_names_the_attributes_it_may_read(source, names):
    from fast_build.fingerprint import template_names
    from jinja2 import DictLoader, Environment

    env = Environment(loader=DictLoader({"list.html": source}))
    found = template_names(env, "list.html")[3]
    assert found is None if names is None else names <= found


def test_a_list_digests_its_items_without_what_only_their_own_pages_show():
    import datetime

    from fast_build.fingerprint import LISTED, item_page_only
    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG

    from public_site.public_site import LINKS

    item_page_only(*LINKS)  # as the public_site plugin declares them
    settings = {**DEFAULT_CONFIG}
    date = datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC)
    item, other, third = (
        Article(
            f"正文{n}",
            metadata={"title": f"稿件{n}", "date": date},
            settings=settings,
            source_path=f"/c/{n}.md",
        )  # fmt: skip
        for n in range(3)
    )
    item.related_items, item.older_in_column = [other], other

    def digests():
        digester = Digester()
        return digester.content(item, 1), digester.content(item, LISTED)

    page, listed = digests()
    item.related_items, item.older_in_column = [third], None  # other links, same item
    assert digests()[0] != page and digests()[1] == listed
    item.title = "稿件（更新）"  # what a list shows changed
    assert digests()[0] != page and digests()[1] != listed
    digester = Digester()
    digester.listing = True
    in_a_list = digester.digest([item])
    digester.listing = False
    assert digester.digest([item]) != in_a_list  # each way digested apart


def test_a_preview_session_makes_its_first_run_even_when_up_to_date(tmp_path, monkeypatch):
    # invoke serve on an up-to-date site: its first run builds, so the session holds
    # what the editor's next save reuses; later runs with nothing changed are skipped.
    import gc

    from fast_build import session

    content = copy_sample(tmp_path / "content")
    build(content, tmp_path / "site")
    monkeypatch.setattr(session, "_SESSION", None)  # a new process
    preview = {"FAST_BUILD": {"PREVIEW": True}}
    build(content, tmp_path / "site", **preview)
    assert uptodate.last_skip() is None and session.holds_a_run()
    session.settle()
    build(content, tmp_path / "site", **preview)
    assert uptodate.last_skip() is not None
    session.settle()
    gc.unfreeze()  # settle froze this test process's heap


def test_templates_the_forked_writer_compiled_serve_the_next_runs(tmp_path, monkeypatch):
    # The list pages' templates are rendered by the forked writer only: what it
    # compiled comes back, and the next run's copy compiles nothing again.
    from fast_build import parallel, session

    monkeypatch.setattr(parallel, "PREVIEW_FROM", 0)
    monkeypatch.setattr(session, "_COMPILED", {})  # a new process: nothing compiled yet
    monkeypatch.setattr(session, "_SESSION", None)
    adopted = []
    adopt = session.adopt_compiled
    monkeypatch.setattr(session, "adopt_compiled", lambda found: [adopted.append(found),
                                                                  adopt(found)])  # fmt: skip
    content = copy_sample(tmp_path / "content")
    preview = {"FAST_BUILD": {"PREVIEW": True}}
    for _ in range(2):
        build(content, tmp_path / "site", **preview)
        session.settle()
        save_again(content / "news/2025/2025-03-12-food-safety-inspection.md")
    gc.unfreeze()  # settle froze this test process's heap
    assert len(adopted) == 2 and len(adopted[0]) >= 3 and adopted[1] == []
    kept = {key for cache in session._COMPILED.values() for key in cache.kept}
    assert {key for _, key, _ in adopted[0]} <= kept


def test_a_preview_run_leaves_its_manifest_and_stamp_to_settle(tmp_path, monkeypatch):
    # The editor does not wait for what only a later build reads: settle writes it,
    # and what it writes serves a new process as a run's own writing would.
    from fast_build import session

    content = copy_sample(tmp_path / "content")
    cache, site = tmp_path / "cache", tmp_path / "site"

    def kept():
        return sorted(p.name.partition("-")[0] for p in cache.glob("*-*.pickle")
                      if p.name.startswith(("incremental-", "uptodate-")))  # fmt: skip

    monkeypatch.setattr(session, "_SESSION", None)
    build(content, site, CACHE_PATH=str(cache), FAST_BUILD={"PREVIEW": True})
    assert kept() == []
    session.settle()
    gc.unfreeze()  # settle froze this test process's heap
    assert kept() == ["incremental", "uptodate"]
    monkeypatch.setattr(session, "_SESSION", None)  # a new process: the stamp holds
    build(content, site, CACHE_PATH=str(cache))
    assert uptodate.last_skip() is not None
    before = stamps(site)
    save_again(content / "news/2025/2025-03-12-food-safety-inspection.md")
    build(content, site, CACHE_PATH=str(cache))  # carries every page over (the manifest)
    assert uptodate.last_skip() is None and stamps(site) == before


def test_a_build_keeps_the_collector_off_what_it_read_until_the_next_build_starts(tmp_path):
    # Full collections would scan every record and item again and again; once the
    # content is read they are frozen. A build outside a preview session leaves them
    # frozen at its end (its process mostly exits: scanning them then is wasted), with
    # Python's thresholds back; the next build in the process collects them first.
    import weakref

    from fast_build import heap
    from pelican import signals

    from content_model.content_model import CONTEXT_KEY

    frozen = {}

    def while_reading(generator):  # after the content check, before the items are made
        frozen["count"] = gc.get_freeze_count()
        frozen["records"] = len(generator.context[CONTEXT_KEY].records)
        frozen["thresholds"] = gc.get_threshold()
        frozen["generator"] = weakref.ref(generator)

    gc.unfreeze()
    gc.collect()
    usual = gc.get_threshold()
    signals.article_generator_finalized.connect(while_reading)
    try:
        build(SAMPLE, tmp_path / "site")
    finally:
        signals.article_generator_finalized.disconnect(while_reading)
    assert frozen["count"] > frozen["records"] > 0
    assert frozen["thresholds"][2] > usual[2]  # full collections spaced while frozen
    assert gc.get_threshold() == usual
    # Left frozen: a collection now does not free the build's generator (in cycles
    # with what it made).
    assert gc.get_freeze_count() >= frozen["count"]
    gc.collect()
    assert frozen["generator"]() is not None
    build(SAMPLE, tmp_path / "again")  # the next build in this process collects them first
    assert frozen["generator"]() is None
    heap.begin()
    assert gc.get_freeze_count() == 0  # what the second build left


@pytest.mark.parametrize("extensions", [None, False, ("md",), ("txt", "png"), "md"])
def test_one_walk_per_run_lists_the_files_pelicans_walk_does(tmp_path, extensions):
    from types import SimpleNamespace

    from fast_build import paths
    from pelican.generators import Generator

    content = copy_sample(tmp_path / "content")
    (content / "news/2025/.#lock.md").write_text("x", encoding="utf-8")  # IGNORE_FILES
    (content / "news/2025/notes.txt").write_text("x", encoding="utf-8")
    (content / "news/2025/NOTES").write_text("x", encoding="utf-8")  # no extension
    (content / "news/skip").mkdir()
    (content / "news/skip/a.md").write_text("x", encoding="utf-8")
    (content / "news/.drafts").mkdir()  # a folder IGNORE_FILES leaves out
    (content / "news/.drafts/b.md").write_text("x", encoding="utf-8")
    # What get_files reads of a generator (a real one would run the content check).
    generator = SimpleNamespace(
        path=str(content), settings=settings_for(content, tmp_path / "out"), context={},
        readers=SimpleNamespace(extensions=["md", "markdown"]),
    )  # fmt: skip
    generator._include_path = Generator._include_path.__get__(generator)
    for paths_, exclude in (
        (["news"], ["news/skip"]), (["news", "pages"], None), ("news", []), ("", ["news"]),
        (["pages/about.md", "news/.drafts/b.md", "news/2025/.#lock.md", "nowhere"], None),
    ):  # fmt: skip
        ours = paths.get_files(generator, paths_, exclude, extensions)
        assert ours == paths._GET_FILES(generator, paths_, exclude, extensions), (paths_, exclude)
    assert "news/2025/notes.txt" in paths.get_files(generator, ["news"], None, False)
    # A file saved since is listed in the next run (another context), not in this one.
    (content / "news/2025/late.md").write_text("x", encoding="utf-8")
    assert "news/2025/late.md" not in paths.get_files(generator, ["news"], None, None)
    generator.context = {}
    assert "news/2025/late.md" in paths.get_files(generator, ["news"], None, None)
    paths.finish()


def test_intrasite_links_are_found_as_pelican_finds_them_and_plain_text_is_not_scanned(
    monkeypatch,
):
    from fast_build import intrasite
    from pelican.contents import Article, Content
    from pelican.settings import DEFAULT_CONFIG

    intrasite.install()  # as the plugin's registration does (a build may not have run yet)
    settings = {**DEFAULT_CONFIG, "PATH": "/c"}
    bodies = (
        "<p>区人大常委会召开第十次会议。</p>",
        '<p><img src="|attach|a.png"></p>',
        '<p><a href="{static}/files/议程.pdf">议程</a> <a href="{static|b.png">混写</a></p>',
        "",
    )
    for body in bodies:
        article = Article(body, settings=settings, source_path="/c/news/2025/a.md")
        assert article.get_static_links() == intrasite._STATIC_LINKS(article), body
    # Links replaced (those needing no other content: this article has no context).
    for text in (bodies[0], '<a href="{index}">首页</a> a|b {x}', "（一）|（二）", ""):
        article = Article(text, settings=settings, source_path="/c/news/2025/a.md")
        assert article._update_content(text, "") == intrasite._UPDATE(article, text, ""), text
    assert "index.html" in article._update_content('<a href="{index}">首页</a>', "")
    # Text without a brace or a bar is not scanned (it cannot match) ...
    article = Article(bodies[0], settings=settings, source_path="/c/news/2025/a.md")
    monkeypatch.setattr(Content, "_get_intrasite_link_regex", lambda self: pytest.fail("scanned"))
    assert article.get_static_links() == set()
    assert article._update_content(bodies[0], "") == bodies[0]
    monkeypatch.undo()
    # ... unless the site matches its links another way: then Pelican scans it.
    custom = {**settings, "INTRASITE_LINK_REGEX": "@(?P<what>static)@"}
    article = Article('<img src="@static@/images/a.png">', settings=custom,
                      source_path="/c/news/2025/a.md")  # fmt: skip
    assert article.get_static_links() == {"images/a.png"}


def test_relative_source_paths_are_pelicans(tmp_path, monkeypatch):
    from fast_build import paths
    from pelican.contents import Article

    monkeypatch.chdir(tmp_path)
    for folder in (str(tmp_path / "content"), "content", "./content/../content"):
        settings = {**settings_for(SAMPLE, tmp_path), "PATH": folder}
        for source in (f"{tmp_path}/content/news/a.md", "news/a.md", f"{folder}/b.md", None):
            article = Article("x", settings=settings, source_path=source)
            for asked in (None, "c.md", f"{tmp_path}/content/c.md"):
                expected = paths._GET_RELATIVE(article, asked)
                assert paths.get_relative_source_path(article, asked) == expected, (folder, source)
    article = Article("x", settings={**settings, "PATH": str(tmp_path / "content")},
                      source_path=f"{tmp_path}/content/news/a.md")  # fmt: skip
    assert paths.get_relative_source_path(article) == "news/a.md"


def test_a_preview_run_builds_in_place_and_deletes_only_what_it_did_not_make(tmp_path):
    from fast_build import session
    from test_cache import folders

    content = copy_sample(tmp_path / "content")
    preview = {
        "CACHE_PATH": str(tmp_path / "cache"),
        "FAST_BUILD": {"PREVIEW": True},
        "STATIC_CHECK_IF_MODIFIED": True,  # an up-to-date image is not copied again
        "OUTPUT_RETENTION": [".git"],
    }
    site = build(content, tmp_path / "site", **preview)
    session.settle()
    (site / ".git").mkdir()
    (site / ".git/HEAD").write_text("kept", encoding="utf-8")
    (site / "news/stray.html").write_text("not made by any build", encoding="utf-8")
    (site / "old/deep").mkdir(parents=True)
    (site / "old/deep/page.html").write_text("stale", encoding="utf-8")
    image = site / "images/standing-committee-32.svg"
    copied = image.stat().st_ctime_ns
    edit = content / "news/2025/2025-03-12-food-safety-inspection.md"
    edit.write_text(edit.read_text(encoding="utf-8-sig") + "\n补充一句。\n", encoding="utf-8")
    (content / "news/2025/2025-05-15-river-inspection.md").unlink()  # its page must go
    build(content, site, **preview)
    assert image.stat().st_ctime_ns == copied  # neither copied nor moved: still there
    assert (site / ".git/HEAD").read_text(encoding="utf-8") == "kept"
    # What the last run made and this one did not is gone at once; the files no build
    # made are found by the sweep of the whole folder, while the editor reads the page
    # (or when the next run starts, as the cold build's here).
    files = set(site_bytes(site))
    cold = build(content, tmp_path / "cold", FAST_BUILD={"ENABLED": False})
    strays = {".git/HEAD", "news/stray.html", "old/deep/page.html"}
    assert files == set(site_bytes(cold)) | strays
    session.settle()
    assert (site / ".git/HEAD").read_text(encoding="utf-8") == "kept"
    assert not (site / "news/stray.html").exists() and not (site / "old").exists()
    shutil.rmtree(site / ".git")
    assert site_bytes(site) == site_bytes(cold)
    assert folders(site) == folders(cold)
    gc.unfreeze()  # settle froze this test process's heap


def test_compiled_templates_are_kept_from_run_to_run_until_their_source_changes(
    tmp_path, monkeypatch
):
    import jinja2

    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", theme)
    build(SAMPLE, tmp_path / "one", THEME=str(theme))
    compiled = []
    original = jinja2.Environment.compile

    def compile_(self, source, name=None, *args, **kwargs):
        compiled.append(name)
        return original(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", compile_)
    two = build(SAMPLE, tmp_path / "two", THEME=str(theme))
    assert compiled == []
    page = theme / "templates/page.html"
    text = page.read_text(encoding="utf-8")
    page.write_text(
        text.replace("{% block content %}", "{% block content %}<!-- 新模板 -->"), "utf-8"
    )
    three = build(SAMPLE, tmp_path / "three", THEME=str(theme))
    assert compiled == ["page.html"]
    assert "<!-- 新模板 -->" in (three / "about/index.html").read_text(encoding="utf-8")
    assert "<!-- 新模板 -->" not in (two / "about/index.html").read_text(encoding="utf-8")


def test_compiled_templates_are_kept_apart_for_other_filters_of_the_same_name():
    from types import SimpleNamespace

    import jinja2
    from fast_build import session

    def plain(value):
        return f"[{value}]"

    @jinja2.pass_context
    def with_context(context, value):
        return f"<{value}>"

    envs = []
    for shout in (plain, with_context, plain):
        env = jinja2.Environment(loader=jinja2.DictLoader({"t.html": "{{ 'x' | shout }}"}))
        env.filters["shout"] = shout
        session.keep_compiled(SimpleNamespace(env=env))
        envs.append(env)
    assert envs[0].bytecode_cache is envs[2].bytecode_cache
    assert envs[0].bytecode_cache is not envs[1].bytecode_cache
    assert [e.get_template("t.html").render() for e in envs] == ["[x]", "<x>", "[x]"]


def test_where_status_change_times_are_not_kept_a_preview_run_moves_the_output_aside(
    tmp_path, monkeypatch
):
    from fast_build import stale

    monkeypatch.setattr(stale, "POSSIBLE", False)  # as on Windows
    content = copy_sample(tmp_path / "content")
    preview = {"CACHE_PATH": str(tmp_path / "cache"), "FAST_BUILD": {"PREVIEW": True}}
    site = build(content, tmp_path / "site", **preview)
    kept = (site / "about/index.html").stat()
    (site / "news/stray.html").write_text("not made by any build", encoding="utf-8")
    save_again(content)
    build(content, site, **preview)
    assert (site / "about/index.html").stat().st_ctime_ns != kept.st_ctime_ns  # moved back
    assert (site / "about/index.html").stat().st_ino == kept.st_ino  # carried, not rendered
    assert not (site / "news/stray.html").exists() and not (site / stale.MARK).exists()
    cold = build(content, tmp_path / "cold", FAST_BUILD={"ENABLED": False})
    assert site_bytes(site) == site_bytes(cold)
