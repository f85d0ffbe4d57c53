"""Register the feeds with Pelican: one generator writes every feed and 订阅 page."""

from __future__ import annotations

import dataclasses
import os

from fast_build.incremental import carry_over, digest, made
from fast_build.parallel import fork_point
from fast_build.session import defers, links_elsewhere
from pelican import signals
from pelican.generators import Generator

from content_model.bodies import content_for, held, named
from content_model.config import get_site, site_origin
from content_model.output import write_if_changed

from .plan import Feed, FeedItem, get_config, plan, split
from .render import Entries, render

FORMATS = ("atom", "rss")
CONTEXT_KEY = "feeds"


def _item(article, domain: str, group_slugs: dict[str, str]) -> FeedItem:
    """Turn one of Pelican's articles into the plain record feeds are made of."""
    url = f"{domain}/{article.url}"
    column = article.column
    return FeedItem(
        uid=article.uid,
        title=article.title,
        url=url,
        authors=tuple(a.name for a in getattr(article, "authors", [])),
        column=column.name,
        published=article.date,
        updated=getattr(article, "modified", None) or article.date,
        content=content_for(article, domain),  # a body on disk is read when written
        summary=article.summary,
        columns_key=f"column/{column.slug}",
        group_key=f"group/{group_slugs[column.name]}",
        submit_keys=tuple(f"submit/{o.slug}" for o in getattr(article, "submit", [])),
    )


# A long-lived preview process keeps, per article object, the feed item made of it,
# and per item its digest: an article Pelican made afresh (its file changed) is
# another object, and a reused one is checked for another metadata or body object.
_MADE: dict[int, tuple] = {}  # id -> (article, metadata, body, domain and groups, item)
_DIGESTS: dict[int, tuple[FeedItem, bytes]] = {}  # id -> (item, digest)


def _items(articles: list, domain: str, group_slugs: dict[str, str]) -> list[FeedItem]:
    global _MADE
    made_now, items = {}, []
    for article in articles:
        known = _MADE.get(id(article))
        if (
            known is None
            or known[0] is not article
            or known[1] is not article.metadata
            or known[2] is not held(article)
            or known[3] != (domain, group_slugs)
            or links_elsewhere(article)
        ):
            item = _item(article, domain, group_slugs)
            known = (article, article.metadata, held(article), (domain, group_slugs), item)
        made_now[id(article)] = known
        items.append(known[4])
    _MADE = made_now
    return items


def _digests(feeds: list[Feed]) -> dict[int, bytes]:
    """Return each item's digest by id (an item kept from the last run keeps its own)."""
    global _DIGESTS
    found = {}
    for feed in feeds:
        for item in feed.items:
            if id(item) in found:
                continue
            known = _DIGESTS.get(id(item))
            if known is None or known[0] is not item:
                # A body in memory is named as on disk (a preview's keys serve a build's).
                keyed = (
                    item
                    if not isinstance(item.content, str)
                    else dataclasses.replace(item, content=named(item.content))
                )
                known = (item, digest(keyed))
            found[id(item)] = known
    _DIGESTS = {k: v for k, v in found.items() if v[1]}  # b"": no incremental build
    return {k: v[1] for k, v in found.items()}


class FeedsGenerator(Generator):
    """Plan the feeds once the articles are read; write them and the 订阅 page."""

    def generate_context(self):
        """Plan every feed and share the plan with all templates."""
        self.config = get_config(self.settings)
        self.domain = site_origin(self.settings)
        self.publisher = self.settings.get("PUBLISHER") or self.settings["SITENAME"]
        site = get_site(self.settings)
        group_slugs = {c.name: site.groups.find(c.group).slug for c in site.columns}
        items = _items(self.context.get("articles", []), self.domain, group_slugs)
        self.feeds = plan(
            items,
            self.settings["SITENAME"],
            site.columns,
            site.groups,
            site.outlets,
            self.settings["CATEGORY_URL"],
        )
        # Every page's head links feeds: it gets their names and addresses, not their
        # items, so an edit to one item leaves the other pages as they are.
        links = [dataclasses.replace(feed, items=[]) for feed in self.feeds]
        self.context[CONTEXT_KEY] = FeedIndex(links, self.config["FOLDER"])
        self.context["feed_counts"] = {feed.key: len(feed.items) for feed in self.feeds}
        self.context["SUBSCRIBE_URL"] = self.config["SUBSCRIBE_URL"]
        self.context["FEED_LENGTH"] = int(self.config["LENGTH"])

    def generate_output(self, writer):
        """Write every feed document, its archives, and the 订阅 page."""
        folder, length = self.config["FOLDER"], int(self.config["LENGTH"])
        # Each item is in several documents: digest it once, for carrying documents over.
        digests = _digests(self.feeds)
        # Documents to write, by the month their items are from (None: the subscription
        # documents): an item's entry is written once for the documents of its month.
        todo: dict[tuple[int, int] | None, list] = {}
        for feed in self.feeds:
            current, archives = split(feed.items, length)
            labels = ["", *(a.label for a in archives), ""]  # oldest first, none at either end
            # The subscription document last: its older document is the newest archive.
            documents = [*archives, None]
            stripped = dataclasses.replace(feed, items=[])
            for place, archive in enumerate(documents):
                items = archive.items if archive else current
                older = labels[place]
                newer = labels[place + 2] if archive else ""
                label = archive.label if archive else ""
                month = (archive.year, archive.month) if archive else None
                for fmt in FORMATS:
                    path = os.path.join(self.output_path, feed.path(fmt, folder, label))
                    inputs = (stripped, [digests[id(i)] for i in items], fmt, self.publisher,
                              self.domain, folder, label, older, newer)  # fmt: skip
                    key = carry_over(path, inputs)
                    if key is None:  # the same document as the last build's
                        continue
                    todo.setdefault(month, []).append(
                        (path, key, feed, items, fmt, archive, older, newer)
                    )
        for documents in todo.values():
            fork_point()  # the feeds take seconds: the held-back items' writer may start
            entries = Entries()  # kept for one month's documents at a time
            for path, key, feed, items, fmt, archive, older, newer in documents:
                data = render(feed, items, fmt, publisher=self.publisher, domain=self.domain,
                              folder=folder, archive=archive, older=older, newer=newer,
                              entries=entries)  # fmt: skip
                write_if_changed(path, data)
                made(path, key)
        writer.write_file(
            self.config["SUBSCRIBE_SAVE_AS"],
            self.get_template("subscribe"),
            self.context,
            relative_urls=self.settings["RELATIVE_URLS"],
            url=self.config["SUBSCRIBE_URL"],
        )
        if not defers():  # only a preview session's next run reuses them (~13 MB at 20,000)
            self._let_go()

    def _let_go(self) -> None:
        """Drop the feeds' items and what was kept of them for a next run."""
        global _MADE, _DIGESTS
        _MADE, _DIGESTS = {}, {}
        self.feeds = []


class FeedIndex:
    """What templates need to advertise feeds: paths by key."""

    def __init__(self, feeds: list[Feed], folder: str):
        self.folder = folder
        self.by_key = {feed.key: feed for feed in feeds}
        self.all = self.by_key["all"]

    def of(self, kind: str) -> list[Feed]:
        """Return the feeds whose key starts with `kind/`, in declared order."""
        return [f for f in self.by_key.values() if f.key.startswith(f"{kind}/")]

    def get(self, key: str) -> Feed | None:
        """Return the feed with this key, if any."""
        return self.by_key.get(key)

    def url(self, feed: Feed, fmt: str) -> str:
        """Return a feed's path relative to the site root."""
        return feed.path(fmt, self.folder)


def get_generators(pelican):
    """Offer the feeds generator to Pelican."""
    return FeedsGenerator


def register():
    """Connect the plugin (module-level receivers: Pelican keeps weak references)."""
    signals.get_generators.connect(get_generators)
