"""The fast build: pages carried over only when unchanged, two cores, linear grouping."""

from __future__ import annotations

import threading

import pytest
from fast_build.fingerprint import Digester, Unkeyable
from test_cache import site_bytes, stamps

from conftest import ROOT, SAMPLE, build, copy_sample, run_pelican


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


def test_two_cores_build_the_same_site_as_one(tmp_path):
    one = build(SAMPLE, tmp_path / "one", FAST_BUILD={"PARALLEL": False})
    two = build(SAMPLE, tmp_path / "two", FAST_BUILD={"PARALLEL": True})
    off = build(SAMPLE, tmp_path / "off", FAST_BUILD={"ENABLED": False})
    assert site_bytes(one) == site_bytes(two) == site_bytes(off)


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
    item.metadata["title"] = "乙"  # any metadata may be in a URL pattern
    calls = len(made)
    assert item.url == "news/2026/ren-shi-ren-mian/b.html" and len(made) == calls + 1
    settings["ARTICLE_URL"] = "{slug}/"
    assert item.url == "b/"
    undated = Article("正文", metadata={"title": "丙", "slug": "c"}, settings=settings,
                      source_path="news/c.md")  # fmt: skip
    assert undated.url == undated.url == "c/"
    assert [k for k in urls._KNOWN if k[0] == id(undated)] == []  # never kept
    urls.forget(set())
    assert urls._KNOWN == {}
