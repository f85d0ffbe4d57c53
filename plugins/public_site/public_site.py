"""Register the public-site helpers with Pelican."""

from __future__ import annotations

import hashlib
import logging
import os
from functools import lru_cache

from fast_build.fingerprint import item_page_only
from fast_build.parallel import AheadFailed, ahead_result, work_ahead
from fast_build.session import defers
from markupsafe import Markup, escape
from pelican import signals
from pelican.generators import Generator

from content_model.config import get_site, site_origin
from content_model.content_model import CONTEXT_KEY
from content_model.output import write_if_changed

from .links import Linkable, neighbours, related_since
from .sitemap import robots, sitemap

logger = logging.getLogger(__name__)

HOME_ITEMS_PER_GROUP = 6


# What link_items sets on each item.
LINKS = ("older_in_column", "newer_in_column", "related_items")


def link_items(generator) -> None:
    """Give each article its column neighbours and related items (signal receiver)."""
    global _RECORDS, _LAST_LINKS
    articles = generator.articles
    by_key = {a.uid: a for a in articles}
    kept, _RECORDS = _RECORDS, {}
    records = {}
    for a in articles:
        values = _values(
            a.uid, a.date, a.column, getattr(a, "tags", ()), getattr(a, "deputies", ())
        )
        record = kept.get(values)
        if record is None:
            record = _linkable(*values)
        records[a.uid] = _RECORDS[values] = record
    pairs, related_keys = _links(records)
    for key, (older, newer) in pairs.items():
        article = by_key[key]
        article.older_in_column = by_key.get(older)
        article.newer_in_column = by_key.get(newer)
    for key, others in related_keys.items():
        by_key[key].related_items = [by_key[k] for k in others]
    present = {a.column.slug for a in articles}
    generator.context["home"] = home(generator.settings, articles, present)
    # What the navigation needs, apart from the items themselves: an edit to an item
    # then leaves every other page's navigation, and so the page, unchanged.
    generator.context["columns_with_items"] = sorted(present)
    if not defers():  # only a preview session's next run compares them (~20 MB)
        _RECORDS, _LAST_LINKS = {}, None


# What each item's record was made from -> the record, for the last run's items: a
# preview session rebuilds after every save, and most items' records are as they were.
_RECORDS: dict[tuple, Linkable] = {}


def _values(uid: str, date, column, tags, deputies) -> tuple:
    """Return what an item's record is made from (all that `_linkable` reads)."""
    return (uid, date, column.slug, tuple([getattr(t, "name", t) for t in tags]),
            tuple([d.id for d in deputies]))  # fmt: skip


def _linkable(uid: str, date, column: str, tags: tuple, deputies: tuple) -> Linkable:
    topics = [f"t:{name}" for name in tags] + [f"d:{id_}" for id_ in deputies]
    return Linkable(key=uid, date=date, column=column, topics=frozenset(topics))


_LAST_LINKS: tuple[dict[str, Linkable], dict, dict, tuple] | None = None


def _links(records: dict[str, Linkable]) -> tuple[dict, dict]:
    """Return (neighbours, related) of the records; the last run's when they are equal.

    A long-lived preview process rebuilds after every save; an edit to a body, the
    commonest, leaves every item's date, column, tags and deputies as they were. An
    added or moved item changes the related items of those near it only
    (links.related_since). A large site's build finds them worked out ahead from the
    checked content (`links_ahead`), kept only if its records are these.
    """
    global _LAST_LINKS
    try:
        _LAST_LINKS = ahead_result("links") or _LAST_LINKS
    except AheadFailed as error:  # worked out here instead
        logger.debug("the links worked out ahead failed:\n%s", error)
    if _LAST_LINKS is not None and _LAST_LINKS[0] == records:
        return _LAST_LINKS[1], _LAST_LINKS[2]
    items = list(records.values())
    found, state = related_since(_LAST_LINKS[3] if _LAST_LINKS else None, items)
    _LAST_LINKS = (records, neighbours(items), found, state)
    return _LAST_LINKS[1], _LAST_LINKS[2]


def links_ahead(articles) -> tuple:
    """Work out the links of the published items from the checked content (in a copy)."""
    records = {
        r.meta["uid"]: _linkable(*_values(r.meta["uid"], r.meta["date"], r.meta["column"],
                                          r.meta.get("tags", []), r.meta.get("deputies", [])))
        for r in articles.context[CONTEXT_KEY].items()
        if r.published and not r.meta.get("waiting")
    }  # fmt: skip
    items = list(records.values())
    found, state = related_since(None, items)
    return records, neighbours(items), found, state


def home(settings: dict, articles: list, present: set[str]) -> dict:
    """Return what the home page shows: a lead item and the newest per group.

    `articles` newest first; `present`: the slugs of the columns they are in.
    """
    site = get_site(settings)
    group_of = {c.slug: c.group for c in site.columns}
    newest: dict[str, list] = {group.name: [] for group in site.groups}
    wanted = len(newest) * HOME_ITEMS_PER_GROUP
    for article in articles:  # until every group has its newest (one pass, not one per group)
        found = newest.get(group_of.get(article.column.slug))
        if found is not None and len(found) < HOME_ITEMS_PER_GROUP:
            found.append(article)
            wanted -= 1
            if not wanted:
                break
    groups = []
    for group in site.groups:
        columns = [c for c in site.columns if c.group == group.name]
        groups.append({
            "group": group,
            "columns": [c for c in columns if c.slug in present],
            "newest": newest[group.name],
        })  # fmt: skip
    with_image = next((a for a in articles[:10] if getattr(a, "image", None)), None)
    return {"lead": with_image or (articles[0] if articles else None), "groups": groups}


class SiteFilesGenerator(Generator):
    """Write sitemap.xml and robots.txt from what the other generators made."""

    def generate_output(self, writer):
        """List every public page in the sitemap; point robots.txt at it."""
        base = site_origin(self.settings)
        entries = [(f"{base}/", None)]
        for article in self.context.get("articles", []):
            modified = getattr(article, "modified", None) or article.date
            entries.append((f"{base}/{article.url}", modified))
        for page in self.context.get("pages", []):
            entries.append((f"{base}/{page.url}", getattr(page, "modified", None)))
        for column, _ in self.context.get("categories", []):
            entries.append((f"{base}/{column.url}", None))
        # Other plugins' public pages (the deputies' directory and profiles).
        for url in self.context.get("SITEMAP_EXTRA", []):
            entries.append((f"{base}/{url}", None))
        out = self.output_path
        write_if_changed(os.path.join(out, "sitemap.xml"), sitemap(entries))
        write_if_changed(
            os.path.join(out, "robots.txt"), robots(f"{base}/sitemap.xml", ["drafts", "tally"])
        )


@lru_cache(maxsize=64)
def _digest(path: str, mtime: float) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:10]


def asset_url(settings: dict, path: str) -> str:
    """Return a theme file's URL with a fingerprint of its content (?v=...).

    The server may then cache theme files for a year: a changed file is a new URL.
    """
    source = os.path.join(settings["THEME"], "static", path)
    digest = _digest(source, os.path.getmtime(source))
    return f"{settings['SITEURL']}/{settings['THEME_STATIC_DIR']}/{path}?v={digest}"


class _Assets:
    """The ``asset(path)`` function templates call (bound to one run's settings).

    Every page asks for the same few files: each address is worked out once a run
    (a file's time read for every page took ~0.4 s of a 20,000-item build).
    """

    def __init__(self, settings: dict):
        self.settings = settings
        self.urls: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        url = self.urls.get(path)
        if url is None:
            url = self.urls[path] = asset_url(self.settings, path)
        return url


def chinese_date(date, with_time: bool = False) -> str:
    """Format a date as 2025年3月5日 (and 09:30): the ``cn_date`` template filter.

    Pelican's ``strftime`` filter switches the process's locale around every call: a
    tenth of rendering a list page of twenty items.
    """
    text = f"{date.year}年{date.month}月{date.day}日"
    return f"{text} {date.hour:02d}:{date.minute:02d}" if with_time else text


def chinese_time_element(date, with_time: bool = False) -> Markup:
    """Return ``<time datetime="...">2025年3月5日</time>``: the ``cn_time`` template filter.

    A filter, not a macro: every item of every list shows one, and a Jinja macro call
    costs as much as the rest of the item's line.
    """
    shown = escape(chinese_date(date, with_time))
    return Markup(f'<time datetime="{escape(date.isoformat())}">{shown}</time>')


def add_asset_function(generator) -> None:
    """Give every template ``asset(path)``, ``cn_date``, ``cn_time`` and the site's address."""
    generator.env.globals["asset"] = _Assets(generator.settings)
    generator.env.globals["SITE_ORIGIN"] = site_origin(generator.settings)
    generator.env.filters["cn_date"] = chinese_date
    generator.env.filters["cn_time"] = chinese_time_element


def get_generators(pelican):
    """Offer the site-files generator to Pelican."""
    return SiteFilesGenerator


def register():
    """Connect the plugin (module-level receivers: Pelican keeps weak references)."""
    signals.article_generator_finalized.connect(link_items)
    signals.generator_init.connect(add_asset_function)
    signals.get_generators.connect(get_generators)
    work_ahead("links", links_ahead)
    # Only an item's own page shows them: the lists an item is on are keyed without.
    item_page_only(*LINKS)
