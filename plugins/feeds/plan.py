"""Which feeds the site offers, and how each is split into RFC 5005 archives.

Plain data in, plain data out: the generator turns Pelican's articles into
FeedItems, and these functions decide paths, titles and pages.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

DEFAULTS: dict[str, Any] = {
    # Entries in the subscription document; older ones are in archive documents.
    "LENGTH": 50,
    # Folder of all feed files, below the output folder.
    "FOLDER": "feeds",
    # The 订阅 page.
    "SUBSCRIBE_URL": "subscribe/",
    "SUBSCRIBE_SAVE_AS": "subscribe/index.html",
}
SETTING = "FEEDS"

# A fixed namespace, so feed ids stay the same when the domain or URLs change.
_FEED_NAMESPACE = uuid.UUID("7b0d6c8e-3f1a-5c9e-8f2b-2d7c1e4a9b60")


def get_config(settings: dict) -> dict[str, Any]:
    """Return the FEEDS setting merged over DEFAULTS; unknown keys are an error."""
    given = dict(settings.get(SETTING) or {})
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"{SETTING} 中有不认识的设置项：{', '.join(unknown)}")
    config = {**DEFAULTS, **given}
    if int(config["LENGTH"]) < 1:
        raise ValueError(f"{SETTING}['LENGTH'] 必须是正整数")
    return config


@dataclass(frozen=True)
class FeedItem:
    """One entry, as every feed shows it."""

    uid: str
    title: str
    url: str  # absolute
    authors: tuple[str, ...]
    column: str
    published: datetime
    updated: datetime
    content: Any  # HTML, or the Body (content_model.bodies) it is read from
    summary: str
    columns_key: str  # "column/<slug>"
    group_key: str  # "group/<slug>"
    submit_keys: tuple[str, ...]  # "submit/<slug>" for each destination


@dataclass
class Feed:
    """One feed: an Atom and an RSS document pair with their archives."""

    key: str  # "all", "column/<slug>", "group/<slug>", "submit/<slug>"
    title: str
    description: str
    page_url: str  # the site page the feed mirrors, relative to the site root
    items: list[FeedItem] = field(default_factory=list)  # newest first

    def path(self, fmt: str, folder: str, archive: str = "") -> str:
        """Return the output path of the feed (or of its archive document so labelled)."""
        if archive:
            return f"{folder}/archive/{self.key}/{archive}.{fmt}.xml"
        return f"{folder}/{self.key}.{fmt}.xml"

    def feed_id(self, archive: str = "") -> str:
        """Return a permanent id for the document, independent of the domain."""
        name = f"{self.key}#{archive}" if archive else self.key
        return f"urn:uuid:{uuid.uuid5(_FEED_NAMESPACE, name)}"


def plan(
    items: list[FeedItem], site_name: str, columns, groups, outlets, column_url: str
) -> list[Feed]:
    """Return every feed the site offers, each with its items, newest first.

    Feeds: the whole site, each column group, each column, and each destination
    the office submits to. A feed with no items is still offered when it is
    declared, so a subscriber's address never breaks.
    """
    feeds = [Feed("all", f"{site_name}·全部稿件", f"{site_name}发布的全部稿件", "")]
    for group in groups:
        feeds.append(Feed(f"group/{group.slug}", f"{site_name}·{group.name}",
                          f"{site_name}“{group.name}”各栏目的稿件", ""))  # fmt: skip
    for column in columns:
        feeds.append(Feed(f"column/{column.slug}", f"{site_name}·{column.name}",
                          f"{site_name}“{column.name}”栏目的稿件",
                          column_url.format(slug=column.slug)))  # fmt: skip
    for outlet in outlets:
        feeds.append(Feed(f"submit/{outlet.slug}", f"{site_name}·报送{outlet.name}",
                          f"{site_name}报送{outlet.name}的稿件", ""))  # fmt: skip
    by_key = {feed.key: feed for feed in feeds}
    # Newest first; the same moment by id, so every build lists the same order.
    for item in sorted(items, key=lambda i: (-i.published.timestamp(), i.uid)):
        keys = ("all", item.group_key, item.columns_key, *item.submit_keys)
        for key in keys:
            by_key[key].items.append(item)
    return feeds


@dataclass(frozen=True)
class Archive:
    """One RFC 5005 archive document of a feed: a page of one month's items."""

    year: int
    month: int
    number: int  # the page within its month, from 1 (the month's oldest items)
    items: list[FeedItem]  # newest first

    @property
    def label(self) -> str:
        """Return the document's name within its feed (its file name and id): 2025-03-1."""
        return f"{self.year:04d}-{self.month:02d}-{self.number}"

    @property
    def title(self) -> str:
        """Return how the document's title names it."""
        return f"{self.year}年{self.month}月存档第 {self.number} 页"


def split(items: list[FeedItem], length: int) -> tuple[list[FeedItem], list[Archive]]:
    """Split newest-first items into the subscription document and archive documents.

    The subscription document holds the newest `length` items. The older ones are
    archived by the month they were published in, each month in pages of `length`
    items counted from its oldest: an item added, removed or moved changes its own
    month's documents only (and the links of the documents either side when the
    month gains or loses one), however old it is. Each item is in exactly one
    document. Archives are returned oldest first, each newest first inside.
    """
    current, older = items[:length], items[length:]
    by_month: dict[tuple[int, int], list[FeedItem]] = {}
    for item in reversed(older):  # oldest first
        by_month.setdefault((item.published.year, item.published.month), []).append(item)
    archives = []
    for (year, month), oldest_first in sorted(by_month.items()):
        for start in range(0, len(oldest_first), length):
            page = oldest_first[start : start + length][::-1]
            archives.append(Archive(year, month, start // length + 1, page))
    return current, archives
