"""Write feed documents (Atom or RSS) with feedgen, byte-for-byte reproducible.

An item is in several documents (the whole site's, its group's, its column's, each
destination's; current or archived), and its entry is the same in all of a format's
documents. So `Entries` has feedgen write each entry once per format, in batches, and
`render` joins a document's head (written by feedgen without entries) with its
entries' bytes: the same bytes feedgen writes for the whole document, at a tenth of
the work on a large archive (a test compares both for every document of a site).
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urljoin

from feedgen.feed import FeedGenerator

from content_model.bodies import text

from .history import FeedHistory
from .plan import Archive, Feed, FeedItem

LANGUAGE = "zh-CN"
_URL_ATTR = re.compile(r'(?P<attr>\s(?:href|src))="(?P<url>[^"]*)"')
# How a pretty-printed document closes, and how each of its entries opens and closes
# (entries are children of <feed> in Atom, of <rss><channel> in RSS).
_CLOSING = {"atom": b"</feed>\n", "rss": b"  </channel>\n</rss>\n"}
_ENTRY = {"atom": (b"  <entry>\n", b"  </entry>\n"), "rss": (b"    <item>\n", b"    </item>\n")}
BATCH = 500  # entries per feedgen document when writing entries


def absolute_links(html: str, base: str) -> str:
    """Make every href and src in sanitized HTML absolute against `base`."""
    return _URL_ATTR.sub(lambda m: f'{m["attr"]}="{urljoin(base, m["url"])}"', html)


def _generator() -> FeedGenerator:
    # After feedgen.feed: feedgen.util needs lxml.etree imported already.
    from feedgen.ext.dc import DcEntryExtension, DcExtension

    generator = FeedGenerator()
    generator.register_extension("history", FeedHistory, FeedHistory, atom=True, rss=True)
    # What load_extension("dc") registers; it looks for a module that does not exist
    # (feedgen.ext.dc_entry) on every call, a search of the disk each time.
    generator.register_extension("dc", DcExtension, DcEntryExtension, atom=False, rss=True)
    return generator


def _add(generator: FeedGenerator, item: FeedItem, content: str, fmt: str) -> None:
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
    entry.content(content, type="CDATA" if fmt == "rss" else "html")


def _bytes(generator: FeedGenerator, fmt: str) -> bytes:
    if fmt == "atom":
        return generator.atom_str(pretty=True)
    return generator.rss_str(pretty=True)


def _split(document: bytes, head: bytes, fmt: str, count: int) -> list[bytes] | None:
    """Cut `count` entries out of a document, given its head; None if they cannot be told apart."""
    closing, (opening, ending) = _CLOSING[fmt], _ENTRY[fmt]
    if not (document.startswith(head) and document.endswith(closing)):
        return None
    body = document[len(head) : len(document) - len(closing)]
    if count == 1:
        parts = [body]
    else:
        parts = [part + b"\n" + ending for part in body.split(b"\n" + ending)[:-1]]
        if b"".join(parts) != body:
            return None
    if len(parts) != count or not all(p.startswith(opening) and p.endswith(ending) for p in parts):
        return None
    return parts


class Entries:
    """Each item's entry as feedgen writes it in a document of each format, made once."""

    def __init__(self) -> None:
        self._made: dict[tuple[int, str], bytes] = {}
        self._contents: dict[int, str] = {}

    def _content(self, item: FeedItem) -> str:
        content = self._contents.get(id(item))
        if content is None:
            content = self._contents[id(item)] = absolute_links(text(item.content), item.url)
        return content

    def _write(self, items: list[FeedItem], fmt: str) -> list[bytes] | None:
        generator = _generator()
        generator.id("urn:uuid:00000000-0000-0000-0000-000000000000")
        generator.title("entries")
        generator.subtitle("entries")
        generator.link(href="https://example.invalid/", rel="alternate")
        generator.updated("1970-01-01T00:00:00+00:00")
        head = _bytes(generator, fmt)[: -len(_CLOSING[fmt])]
        for item in items:
            _add(generator, item, self._content(item), fmt)
        return _split(_bytes(generator, fmt), head, fmt, len(items))

    def prepare(self, items: list[FeedItem], fmt: str) -> None:
        """Write the entries of these items not written yet, in batches."""
        missing = list({id(i): i for i in items if (id(i), fmt) not in self._made}.values())
        for start in range(0, len(missing), BATCH):
            batch = missing[start : start + BATCH]
            written = self._write(batch, fmt)
            if written is None:
                # An entry's own text holds what separates entries (possible in RSS,
                # whose content is raw HTML): one entry per document tells them apart.
                written = [self._one(item, fmt) for item in batch]
            for item, data in zip(batch, written, strict=True):
                self._made[id(item), fmt] = data

    def _one(self, item: FeedItem, fmt: str) -> bytes:
        written = self._write([item], fmt)
        if written is None:
            raise ValueError(f"feedgen wrote an entry of {item.url} in an unexpected form")
        return written[0]

    def get(self, items: list[FeedItem], fmt: str) -> list[bytes]:
        """Return the entries of these items, in their order."""
        self.prepare(items, fmt)
        return [self._made[id(i), fmt] for i in items]


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
    entries: Entries | None = None,
) -> bytes:
    """Return the Atom ("atom") or RSS ("rss") document for a page of a feed.

    `archive` is the archive document written (None: the subscription document);
    `older` and `newer` label the archive documents before and after it in the
    chain ("": none; the subscription document has no newer one). `entries` holds
    the items' entries written once for every document (None: feedgen writes the
    whole document, which gives the same bytes).
    """
    root = domain.rstrip("/") + "/"
    generator = _generator()
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
    moment = newest if newest is not None else "1970-01-01T00:00:00+00:00"
    generator.updated(moment)
    generator.lastBuildDate(moment)

    if entries is not None:
        closing = _CLOSING[fmt]
        head = _bytes(generator, fmt)
        if head.endswith(closing):
            return b"".join((head[: -len(closing)], *entries.get(items, fmt), closing))
    for item in items:  # newest first
        _add(generator, item, absolute_links(text(item.content), item.url), fmt)
    return _bytes(generator, fmt)
