"""Write one feed document (Atom or RSS) with feedgen, byte-for-byte reproducible."""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urljoin

from feedgen.feed import FeedGenerator

from .history import FeedHistory
from .plan import Archive, Feed, FeedItem

LANGUAGE = "zh-CN"
_URL_ATTR = re.compile(r'(?P<attr>\s(?:href|src))="(?P<url>[^"]*)"')


def absolute_links(html: str, base: str) -> str:
    """Make every href and src in sanitized HTML absolute against `base`."""
    return _URL_ATTR.sub(lambda m: f'{m["attr"]}="{urljoin(base, m["url"])}"', html)


def render(
    feed: Feed,
    items: list[FeedItem],
    fmt: str,
    *,
    publisher: str,
    domain: str,
    folder: str,
    archive: Archive | None = None,
    older: str = "",
    newer: str = "",
) -> bytes:
    """Return the Atom ("atom") or RSS ("rss") document for a page of a feed.

    `archive` is the archive document written (None: the subscription document);
    `older` and `newer` label the archive documents before and after it in the
    chain ("": none; the subscription document has no newer one).
    """
    root = domain.rstrip("/") + "/"
    generator = FeedGenerator()
    generator.register_extension("history", FeedHistory, FeedHistory, atom=True, rss=True)
    generator.load_extension("dc", atom=False, rss=True)
    label = archive.label if archive else ""
    generator.id(feed.feed_id(label))
    generator.title(f"{feed.title}（{archive.title}）" if archive else feed.title)
    generator.subtitle(feed.description)  # RSS description as well
    generator.language(LANGUAGE)
    generator.generator("区人大新闻门户")
    if fmt == "atom":
        # RFC 4287: a feed needs an author unless every entry has one.
        generator.author(name=publisher)

    links = []
    if archive:
        links.append(("current", root + feed.path(fmt, folder)))
    if older:
        links.append(("prev-archive", root + feed.path(fmt, folder, older)))
    if archive and newer:
        links.append(("next-archive", root + feed.path(fmt, folder, newer)))
    generator.history.history(archive is not None, links)
    if fmt == "atom":
        for rel, href in links:
            generator.link(href=href, rel=rel)
    generator.link(href=root + feed.path(fmt, folder, label), rel="self")
    # Last: RSS takes the last link as the channel link.
    generator.link(href=root + feed.page_url, rel="alternate")

    # Updated from the newest entry, never the clock: same content, same bytes.
    newest = max((item.updated for item in items), default=None)
    if newest is not None:
        generator.updated(newest)
        generator.lastBuildDate(newest)
    else:
        generator.updated("1970-01-01T00:00:00+00:00")
        generator.lastBuildDate("1970-01-01T00:00:00+00:00")

    for item in items:  # newest first
        entry = generator.add_entry(order="append")
        entry.id(f"urn:uuid:{item.uid}")
        entry.guid(f"urn:uuid:{item.uid}", permalink=False)
        entry.title(item.title)
        entry.link(href=item.url)
        for name in item.authors:
            if fmt == "atom":
                entry.author(name=name)
            else:
                entry.dc.dc_creator(name, replace=False)
        entry.category(term=item.column, label=item.column)
        entry.published(item.published)
        entry.updated(item.updated)
        # Atom's summary is plain text; RSS readers take description as HTML.
        entry.summary(item.summary if fmt == "atom" else escape(item.summary, quote=False))
        entry.content(
            absolute_links(item.content, item.url), type="CDATA" if fmt == "rss" else "html"
        )
    if fmt == "atom":
        return generator.atom_str(pretty=True)
    return generator.rss_str(pretty=True)
