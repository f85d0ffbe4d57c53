"""A feedgen extension for RFC 5005 feed history: archive markers and links."""

from __future__ import annotations

from feedgen.ext.base import BaseExtension
from feedgen.util import xml_elem

FH = "http://purl.org/syndication/history/1.0"
ATOM = "http://www.w3.org/2005/Atom"


class FeedHistory(BaseExtension):
    """Mark archive documents (fh:archive) and link the chain in RSS too.

    Atom carries the prev-archive/next-archive/current links natively through
    feedgen's link(); RSS gets them as atom:link elements, as RFC 5005 allows.
    """

    def __init__(self):
        self._archive = False
        self._links: list[tuple[str, str]] = []

    def extend_ns(self):
        """Declare the feed-history namespace."""
        return {"fh": FH}

    def history(self, archive: bool, links: list[tuple[str, str]]) -> None:
        """Set whether this document is an archive and its (rel, href) links."""
        self._archive = archive
        self._links = list(links)

    def extend_atom(self, atom_feed):
        """Add fh:archive to an Atom archive document."""
        if self._archive:
            xml_elem(f"{{{FH}}}archive", atom_feed)
        return atom_feed

    def extend_rss(self, rss_feed):
        """Add the chain links and fh:archive to an RSS channel."""
        channel = rss_feed[0]
        for rel, href in self._links:
            xml_elem(f"{{{ATOM}}}link", channel, rel=rel, href=href)
        if self._archive:
            xml_elem(f"{{{FH}}}archive", channel)
        return rss_feed
