"""The parse cache makes rebuilds faster and never changes what is built."""

from __future__ import annotations

import gc
import os
import pickle
import shutil
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fast_build import uptodate

from conftest import ROOT, SAMPLE, build, copy_sample, settings_for, soup, write_item
from content_model.corpus import _format_save_as, build_corpus
from content_model.problems import ContentRefused
from content_model.workers import read_everywhere


def site_bytes(site):
    skip = ("pagefind/",)
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file() and not p.relative_to(site).as_posix().startswith(skip)
    }


def folders(site):
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_dir())


def test_a_cached_rebuild_is_byte_identical_to_a_cold_build(tmp_path):
    content = copy_sample(tmp_path / "content")
    cache = {"CACHE_PATH": str(tmp_path / "cache")}
    cold = build(content, tmp_path / "cold", CONTENT_MODEL={"CACHE": False})
    build(content, tmp_path / "warm", **cache)  # fills the cache
    assert list((tmp_path / "cache").glob("content_model-*.pickle"))
    warm = build(content, tmp_path / "warm2", **cache)  # reads from it
    assert site_bytes(warm) == site_bytes(cold)


def test_an_edited_file_is_read_again(tmp_path):
    content = copy_sample(tmp_path / "content")
    settings = settings_for(content, tmp_path / "out", CACHE_PATH=str(tmp_path / "cache"))
    before = build_corpus(settings)
    path = "news/2025/2025-03-12-food-safety-inspection.md"
    file = content / path
    file.write_text(
        file.read_text(encoding="utf-8").replace("执法检查", "执法大检查", 1) + "\n补充一句。\n",
        encoding="utf-8",
    )
    os.utime(file, ns=(file.stat().st_atime_ns, file.stat().st_mtime_ns + 10**9))
    after = build_corpus(settings)
    assert "补充一句" in after.records[path].html and "补充一句" not in before.records[path].html


def test_a_settings_change_drops_the_cache(tmp_path):
    content = copy_sample(tmp_path / "content")
    base = {"CACHE_PATH": str(tmp_path / "cache")}
    build_corpus(settings_for(content, tmp_path / "o", **base))
    columns = settings_for(content, tmp_path)["COLUMNS"]
    renamed = [dict(c, name="监督检查") if c["name"] == "监督" else c for c in columns]
    # The items still say 监督: with the column renamed they must now fail, not be
    # served from a cache made under the old settings.
    corpus = build_corpus(settings_for(content, tmp_path / "o", COLUMNS=renamed, **base))
    assert any("不认识的栏目“监督”" in p.message for p in corpus.problems)


def test_a_broken_file_is_never_cached(content, tmp_path):
    cache = {"CACHE_PATH": str(tmp_path / "cache")}
    write_item(
        content / "news/2025",
        "a.md",
        "标题：甲\n日期：2025-03-01\n栏目：监察\n编号：11111111-1111-4111-8111-111111111111",
    )
    for _ in range(2):  # the second run must not take the refused file from a cache
        with pytest.raises(ContentRefused):
            build(content, tmp_path / "out", **cache)
    (content / "news/2025/a.md").write_text(
        "标题：甲\n日期：2025-03-01\n栏目：监督\n编号：11111111-1111-4111-8111-111111111111\n\n正文。\n",
        encoding="utf-8",
    )
    site = build(content, tmp_path / "out", **cache)
    assert soup(site / "column/oversight/index.html").select(".item-list a")


def test_items_dated_around_now_are_always_read_again(content, tmp_path):
    write_item(
        content / "news/2025",
        "soon.md",
        "标题：甲\n日期：2025-03-20 08:00\n栏目：监督\n编号：11111111-1111-4111-8111-111111111111",
    )
    cache = {"CACHE_PATH": str(tmp_path / "cache")}
    waiting = build_corpus(
        settings_for(
            content, tmp_path / "o", CONTENT_MODEL={"NOW": "2025-03-16T12:00:00+08:00"}, **cache
        )
    )
    assert waiting.waiting
    later = build_corpus(
        settings_for(
            content, tmp_path / "o", CONTENT_MODEL={"NOW": "2025-03-21T12:00:00+08:00"}, **cache
        )
    )
    assert not later.waiting and next(iter(later.records.values())).published


def edit_body(content):
    file = content / "news/2025/2025-05-15-river-inspection.md"
    file.write_text(
        file.read_text(encoding="utf-8-sig") + "\n会议还研究了其他事项。\n", encoding="utf-8"
    )


def add_item(content):
    write_item(content / "news/2025", "added.md",
               "标题：新增稿件\n日期：2025-07-01 10:00\n栏目：监督\n标签：执法检查\n编号：99999999-9999-4999-8999-999999999999")  # fmt: skip


def delete_item(content):
    (content / "news/2025/2025-05-15-river-inspection.md").unlink()


def move_column(content):
    file = content / "news/2025/2025-05-15-river-inspection.md"
    text = file.read_text(encoding="utf-8-sig")
    assert "Category: 监督" in text
    file.write_text(text.replace("Category: 监督", "Category: 重大事项决定"), encoding="utf-8")


def stamps(site):
    return {p: p.stat().st_mtime_ns for p in site.rglob("*.html")}


@pytest.mark.parametrize("edit", [edit_body, add_item, delete_item, move_column])
def test_after_each_kind_of_edit_a_rebuild_equals_a_cold_build(tmp_path, edit):
    content = copy_sample(tmp_path / "content")
    cache = {"CACHE_PATH": str(tmp_path / "cache")}
    site = build(content, tmp_path / "site", **cache)
    first, before = site_bytes(site), stamps(site)
    edit(content)
    os.utime(content, None)
    build(content, tmp_path / "site", **cache)  # in place, as `invoke serve` rebuilds
    cold = build(
        content, tmp_path / "cold", CONTENT_MODEL={"CACHE": False}, FAST_BUILD={"ENABLED": False}
    )
    assert site_bytes(site) == site_bytes(cold)
    assert site_bytes(site) != first  # the edit shows
    after = stamps(site)
    carried = [p for p in after if before.get(p) == after[p]]
    assert len(carried) > len(after) / 2  # most pages were carried over, not rendered
    assert not (tmp_path / ".site.previous").exists()


def save_again(content):
    """Give a content file (or every one in a folder) a new time, its bytes unchanged."""
    for file in [content] if content.is_file() else content.rglob("*"):
        stat = file.stat()
        os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def test_a_rebuild_after_files_are_saved_again_unchanged_renders_nothing(tmp_path):
    # Saved again, the files are read again (the build is not skipped as up to
    # date); every page's key is the same, so each is carried over.
    content = copy_sample(tmp_path / "content")
    cache = {"CACHE_PATH": str(tmp_path / "cache")}
    site = build(content, tmp_path / "site", **cache)
    before = stamps(site)
    save_again(content)
    build(content, tmp_path / "site", **cache)
    assert not uptodate.last_skip()
    assert stamps(site) == before


def test_an_edited_template_renders_every_page_again(tmp_path):
    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", theme)
    cache = {"CACHE_PATH": str(tmp_path / "cache"), "THEME": str(theme)}
    site = build(SAMPLE, tmp_path / "site", **cache)
    footer = theme / "templates/partials/footer.html"
    footer.write_text(footer.read_text(encoding="utf-8") + "<!-- 新页脚 -->\n", encoding="utf-8")
    build(SAMPLE, tmp_path / "site", **cache)
    pages = list(site.rglob("*.html"))
    assert pages and all("新页脚" in p.read_text(encoding="utf-8") for p in pages)


def test_a_failed_build_leaves_nothing_stale_behind(tmp_path):
    content = copy_sample(tmp_path / "content")
    cache = {"CACHE_PATH": str(tmp_path / "cache")}
    site = build(content, tmp_path / "site", **cache)
    moved = site / "drop-me.html"
    moved.write_text("stale", encoding="utf-8")  # not made by the build: must go
    build(content, tmp_path / "site", **cache)
    assert not moved.exists()


def test_reading_on_several_cores_gives_the_same_site(tmp_path):
    one = build(SAMPLE, tmp_path / "one", CONTENT_MODEL={"CACHE": False, "WORKERS": 1})
    two = build(SAMPLE, tmp_path / "two", CONTENT_MODEL={"CACHE": False, "WORKERS": 2})
    assert site_bytes(one) == site_bytes(two)


def test_problems_found_in_worker_processes_are_all_reported(content, tmp_path):
    for n in range(6):
        write_item(
            content / "news/2025",
            f"{n}.md",
            f"标题：甲\n日期：2025-03-0{n + 1}\n栏目：监察\n编号：{n}1111111-1111-4111-8111-111111111111",
        )
    corpus = build_corpus(
        settings_for(content, tmp_path / "o", CONTENT_MODEL={"CACHE": False, "WORKERS": 2})
    )
    assert len(corpus.problems) == 6 and all("监察" in p.message for p in corpus.problems)


def test_cached_and_parallel_records_share_the_sites_declared_entries(tmp_path):
    # Records loaded from the cache, or sent back by reading workers, point at the
    # registries' own entries (not copies), and equal what a plain read gives.
    settings = settings_for(SAMPLE, tmp_path / "out", CACHE_PATH=str(tmp_path / "cache"))
    plain = build_corpus({**settings, "CONTENT_MODEL": {"CACHE": False, "WORKERS": 1}})
    parallel = build_corpus({**settings, "CONTENT_MODEL": {"WORKERS": 2}})
    cached = build_corpus({**settings, "CONTENT_MODEL": {"WORKERS": 2}})
    for corpus in (parallel, cached):
        assert corpus.records == plain.records
        for record in corpus.items():
            column = record.meta["column"]
            declared = [c for c in settings["COLUMNS"] if c["name"] == column.name]
            assert declared and column.extra == {"group": declared[0]["group"]}
        outlets = {id(o) for r in corpus.items() for o in r.meta["outlets"]}
        names = {o.name for r in corpus.items() for o in r.meta["outlets"]}
        assert len(outlets) == len(names)  # one object per declared outlet


def test_a_build_on_its_own_lets_go_of_the_cache_a_preview_keeps_it(tmp_path):
    # ~126 MB of encoded records at 20,000 items: held after the cache file is
    # written, they were in every process the build forks afterwards.
    from content_model import cache

    settings = settings_for(SAMPLE, tmp_path / "out", CACHE_PATH=str(tmp_path / "cache"))

    def held():
        return [file for file in cache._WARM if file.is_relative_to(tmp_path)]

    first = build_corpus(settings)
    assert list((tmp_path / "cache").glob("content_model-*.pickle")) and held() == []
    again = build_corpus(settings)  # read from the file: the same records
    assert again.records == first.records and held() == []
    later = []
    cache.write_later(lambda function, *args: later.append((function, args)))
    try:
        kept = build_corpus(settings)
        assert len(held()) == 1 and later == []  # nothing read anew: nothing to write
        assert build_corpus(settings).records["pages/about.md"] is kept.records["pages/about.md"]
    finally:
        cache.write_later(None)
        for file in held():
            del cache._WARM[file]


def test_a_build_on_its_own_holds_no_encoded_record_when_it_trims_the_heap(tmp_path, monkeypatch):
    # The heap is trimmed once: bytes still held then (by the cache object, or by what
    # was written) stayed in the process when freed later (~120 MB at 20,000 items).
    from content_model import cache

    encoded, held_at_trim = set(), []
    get, put = cache.ParseCache.get, cache.ParseCache.put

    def getting(self, *args):
        entry = get(self, *args)
        if entry is not None:
            encoded.add((id(entry[3]), len(entry[3])))
        return entry

    def putting(self, path, stat, bodies, data):
        encoded.add((id(data), len(data)))
        return put(self, path, stat, bodies, data)

    def trimming():
        alive = {(id(r), len(r)) for o in gc.get_objects() for r in gc.get_referents(o)
                 if type(r) is bytes}  # fmt: skip
        held_at_trim.append(len(alive & encoded))

    monkeypatch.setattr(cache.ParseCache, "get", getting)
    monkeypatch.setattr(cache.ParseCache, "put", putting)
    monkeypatch.setattr(cache, "give_back", trimming)
    content = copy_sample(tmp_path / "content")
    settings = settings_for(content, tmp_path / "out", CACHE_PATH=str(tmp_path / "cache"))
    build_corpus(settings)  # read afresh, then written
    build_corpus(settings)  # read from the file, nothing written
    save_again(content / "pages/about.md")
    build_corpus(settings)  # one read afresh, then written with the others
    assert len(encoded) > 100 and held_at_trim == [0, 0, 0]


def test_records_decoded_apart_share_their_equal_values(tmp_path):
    # Each record is decoded on its own: 20,000 items held 20,000 copies of "published",
    # of each tag and author, of each layout of fields (~10 MB), and so did every copy.
    from content_model.corpus import share_equal_values

    content = copy_sample(tmp_path / "content")
    settings = settings_for(content, tmp_path / "out", CACHE_PATH=str(tmp_path / "cache"))
    build_corpus(settings)
    records = [r for r in build_corpus(settings).records.values() if r.kind == "item"]
    first, second = records[0], records[1]  # both decoded from the cache file
    assert first.meta["status"] == second.meta["status"]
    assert first.meta["status"] is not second.meta["status"]  # what this test is about
    tags = [t for r in records for t in r.meta.get("tags", [])]
    assert len({id(t) for t in tags}) > len(set(tags))
    before = [(r.path, r.kind, dict(r.meta), dict(r.lines)) for r in records]
    share_equal_values(records)
    assert [(r.path, r.kind, dict(r.meta), dict(r.lines)) for r in records] == before
    assert first.meta["status"] is second.meta["status"] and first.kind is second.kind
    shared = [t for r in records for t in r.meta.get("tags", [])]
    assert len({id(t) for t in shared}) == len(set(shared))
    layouts = {tuple(r.lines.items()) for r in records}
    assert len({id(r.lines) for r in records}) == len(layouts)


def test_a_preview_session_keeps_the_records_not_their_bytes(tmp_path):
    # A long-lived process held every encoded record (~120 MB at 20,000 items) only to
    # write the file again; it now takes the unchanged ones from the file when it does.
    from content_model import cache

    content = copy_sample(tmp_path / "content")
    settings = settings_for(content, tmp_path / "out", CACHE_PATH=str(tmp_path / "cache"))
    fresh = lambda: build_corpus({**settings, "CONTENT_MODEL": {"CACHE": False}}).records  # noqa: E731
    build_corpus(settings)  # a build on its own writes the file
    (file,) = (tmp_path / "cache").glob("content_model-*.pickle")
    later = []
    cache.write_later(lambda function, *args, **kwargs: later.append((function, args, kwargs)))

    def settle():
        while later:
            function, args, kwargs = later.pop(0)
            function(*args, **kwargs)

    def held_bytes():
        return {path for path, entry in cache._WARM[file].entries.items() if entry[3] is not None}

    early = "news/2025/2025-01-14-fourth-session-opens.md"
    save_again(content / early)  # since the file was written: read again, its bytes new
    try:
        first = build_corpus(settings)
        assert held_bytes() == {early} and len(later) == 1
        settle()
        assert len(cache._WARM[file].entries) > 40 and held_bytes() == set()
        assert early in cache._entries_in(file, cache._WARM[file].fingerprint)
        assert build_corpus(settings).records["pages/about.md"] is first.records["pages/about.md"]
        retitle(content)
        edited = "news/2025/2025-05-15-river-inspection.md"
        second = build_corpus(settings)
        assert held_bytes() == {edited} and len(later) == 1  # written while it waits
        settle()
        assert held_bytes() == set()
        assert cache._entries_in(file, cache._WARM[file].fingerprint)[edited][3] is not None
        del cache._WARM[file]  # a new process reads the merged file: as read afresh
        assert build_corpus(settings).records == second.records == fresh()
        # Another process rewrote the file: what it no longer holds as this process
        # knew it is left out, and read again, never taken from another's entry.
        build_corpus(settings)
        save_again(content / "pages/about.md")
        file.unlink()
        retag(content)
        build_corpus(settings)
        settle()
        assert set(cache._entries_in(file, cache._WARM[file].fingerprint)) == {
            edited,
            "pages/about.md",
        }
        assert build_corpus(settings).records == fresh()
        settle()
        cache._WARM[file].decoded.pop(edited)  # an entry without bytes or record: read
        assert build_corpus(settings).records == fresh()
    finally:
        cache.write_later(None)
        cache._WARM.pop(file, None)


def retitle(content):
    file = content / "news/2025/2025-05-15-river-inspection.md"
    text = file.read_text(encoding="utf-8-sig")
    file.write_text(text.replace("视察全区河道", "视察全区河湖", 1), encoding="utf-8")


def retag(content):
    # Other items' related lists and the tag pages change with it.
    file = content / "news/2025/2025-05-15-river-inspection.md"
    text = file.read_text(encoding="utf-8-sig")
    file.write_text(text.replace("Tags: 视察，生态环境", "Tags: 执法检查"), encoding="utf-8")


def rename_deputy(content):
    # An unchanged item names this deputy by id: its page shows the new name.
    file = content / "deputies/li-ming-baisha.md"
    text = file.read_text(encoding="utf-8-sig")
    file.write_text(text.replace("姓名：李明", "姓名：李明远"), encoding="utf-8")


def retitle_page(content):
    # Every item's page lists the pages in its footer: no item changed, all show it.
    file = content / "pages/about.md"
    text = file.read_text(encoding="utf-8-sig")
    file.write_text(text.replace("标题：关于本站", "标题：关于我们", 1), encoding="utf-8")


@pytest.mark.parametrize("writer", ["here", "forked", "both"])
def test_a_preview_session_rebuilds_in_one_process_exactly_as_cold_builds(
    tmp_path, monkeypatch, writer
):
    # `invoke serve` rebuilds in one long-lived process, reusing the last run's
    # records, articles and digests: after every kind of edit, in sequence, the site
    # must still equal a cold build of the same content. A large site's items' pages
    # are written by a forked copy (the sample's too in the "forked" run) or by both
    # processes ("both"); the copy's digests this process must make itself while it
    # waits, and an unchanged item's page is carried over without a key.
    from fast_build import item_pages, parallel, session

    monkeypatch.setattr(parallel, "PREVIEW_FROM", 10**9 if writer == "here" else 0)
    # "forked": the copy writes every item's page.
    monkeypatch.setattr(parallel, "HELP", writer == "both")
    content = copy_sample(tmp_path / "content")
    cache = {"CACHE_PATH": str(tmp_path / "cache"), "FAST_BUILD": {"PREVIEW": True}}
    site = build(content, tmp_path / "site", **cache)
    session.settle()  # as invoke serve does between runs
    # What the templates read is kept for the next runs, whoever rendered them.
    assert {"article.html", "index.html", "tag.html"} <= set(session.template_names())
    unchanged = "news/2025/2025-03-12-food-safety-inspection.md"
    article = session._SESSION.articles[unchanged][2]
    edits = [edit_body, retitle, retag, rename_deputy, add_item, move_column, delete_item,
             retitle_page]  # fmt: skip
    (parse_cache,) = (tmp_path / "cache").glob("content_model-*.pickle")
    kept_page = site / "about/index.html"  # no edit but the last changes it
    for edit in edits:
        edit(content)
        written = parse_cache.stat().st_mtime_ns
        before = kept_page.stat()
        parallel.last_child_peak_mb = 0.0
        build(content, tmp_path / "site", **cache)
        assert (parallel.last_child_peak_mb > 0) == (writer != "here")
        # Unchanged items' pages are carried over unkeyed, by whichever process drew
        # them; none when the footer every page shows changed.
        items = len(session._SESSION.articles)
        carried = item_pages.last_carried
        if writer == "here" or edit is retitle_page:
            assert carried == 0, edit.__name__
        else:
            assert items // 2 < carried < items, edit.__name__
        assert session._SESSION.articles[unchanged][2] is article  # reused, not read again
        # Built in place: a page carried over was not even moved (a rename is a change).
        assert kept_page.stat().st_ctime_ns == before.st_ctime_ns or edit is retitle_page
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
        assert parse_cache.stat().st_mtime_ns == written  # not while the editor waits
        session.settle()
        assert parse_cache.stat().st_mtime_ns != written
        # Every item's digest is kept to be compared next run, whoever made it.
        kept = session._SESSION.digester._contents
        assert all((id(a), 0) in kept for _, _, a in session._SESSION.articles.values())
        cold = build(
            content,
            tmp_path / "cold",
            CONTENT_MODEL={"CACHE": False},
            FAST_BUILD={"ENABLED": False},
        )
        assert site_bytes(site) == site_bytes(cold), edit.__name__
        assert folders(site) == folders(cold), edit.__name__
        shutil.rmtree(cold)
    assert "李明远" in (site / "news/2026/04/20260416-d376c334.html").read_text(encoding="utf-8")
    gc.unfreeze()  # settle froze this test process's heap


def test_a_preview_run_failing_while_writing_items_pages_leaves_none_carried_unkeyed(
    tmp_path, monkeypatch
):
    # A run that fails once items' pages are written may keep its manifest (what it
    # wrote, keyed) but not what it learnt of them; what was known from the run
    # before no longer matches that manifest: here the footer every page shows
    # changed in the failed run and back after it. The next run keys every page.
    from fast_build import incremental, item_pages, parallel, session

    monkeypatch.setattr(parallel, "PREVIEW_FROM", 0)
    content = copy_sample(tmp_path / "content")
    cache = {"CACHE_PATH": str(tmp_path / "cache"), "FAST_BUILD": {"PREVIEW": True}}
    build(content, tmp_path / "site", **cache)
    session.settle()
    assert session._SESSION.item_pages  # known for the next run
    about = content / "pages/about.md"
    text = about.read_text(encoding="utf-8-sig")
    retitle_page(content)

    def failing(_written):
        raise OSError("磁盘已满")

    with monkeypatch.context() as broken:
        broken.setattr(incremental, "take_pages", failing)
        with pytest.raises(OSError, match="磁盘已满"):
            build(content, tmp_path / "site", **cache)
    session.settle()
    about.write_text(text, encoding="utf-8")
    site = build(content, tmp_path / "site", **cache)
    assert item_pages.last_carried == 0
    session.settle()
    cold = build(content, tmp_path / "cold", CONTENT_MODEL={"CACHE": False},
                 FAST_BUILD={"ENABLED": False})  # fmt: skip
    assert site_bytes(site) == site_bytes(cold)
    retag(content)  # known again after a run that succeeded
    build(content, tmp_path / "site", **cache)
    assert item_pages.last_carried > 0
    gc.unfreeze()


def test_files_read_on_every_core_come_back_in_order_with_their_bytes():
    here = os.getpid()
    jobs = list(range(600))

    def read(n):
        time.sleep(0.002)  # a file takes time: every process gets runs of them
        return n * n, os.getpid()

    results = read_everywhere(jobs, read, pickle.dumps, pickle.loads, 3)
    assert [value for (value, _), _ in results] == [n * n for n in jobs]
    by = {pid for (_, pid), _ in results}
    assert here in by and len(by) == 3  # this process read runs too, beside two readers
    for result, data in results:  # a reader's results come with their bytes
        assert (data is None) == (result[1] == here)
        assert data is None or pickle.loads(data) == result
    kept = read_everywhere(jobs, lambda n: n, pickle.dumps, pickle.loads, 2, encode_all=True)
    assert all(pickle.loads(data) == n for n, data in kept)  # every one, for the parse cache
    apart = read_everywhere(jobs, read, pickle.dumps, pickle.loads, 2, here=False)
    assert [value for (value, _), _ in apart] == [n * n for n in jobs]
    assert here not in {pid for (_, pid), _ in apart}  # a build's bodies: readers only


def test_runs_a_reader_did_not_send_are_read_here():
    here = os.getpid()

    calls = [0]  # in the reader: its own count

    def read(n):
        time.sleep(0.002)
        if os.getpid() != here:
            calls[0] += 1
            if calls[0] == 30:  # in its second run
                raise RuntimeError("a reader fails")
        return n, os.getpid()

    results = read_everywhere(list(range(600)), read, pickle.dumps, pickle.loads, 2)
    assert [n for (n, _), _ in results] == list(range(600))
    by_reader = [n for (n, pid), _ in results if pid != here]
    assert len(by_reader) == 25  # its first run; the rest, its failed run too, read here


@pytest.mark.parametrize(
    "pattern",
    ["news/{date:%Y}/{date:%m}/{slug}.html", "{slug}/index.html", "{category}/{slug}.html",
     "{lang}/{date:%d}{author}-{slug}", "{date:%Y%m%d}/{slug}", "{slug!r}.html", "plain.html"],
)  # fmt: skip
@pytest.mark.parametrize("year", [2025, 999])
def test_an_items_output_path_is_what_str_format_makes(pattern, year):
    date = datetime(year, 3, 5, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    made = _format_save_as(pattern, "a-1", date, date.tzinfo, "jiandu", "zh-cn")
    assert made == pattern.format(slug="a-1", date=date, category="jiandu", lang="zh-cn", author="")
