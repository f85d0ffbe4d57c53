"""sitemap.xml and robots.txt for search engines."""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape


def sitemap(entries: list[tuple[str, datetime | None]]) -> bytes:
    """Return a sitemap for (absolute URL, last modified) pairs, sorted by URL."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for url, modified in sorted(set(entries), key=lambda e: e[0]):
        lastmod = f"<lastmod>{modified.isoformat()}</lastmod>" if modified else ""
        lines.append(f"  <url><loc>{escape(url)}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots(sitemap_url: str, disallow: list[str]) -> bytes:
    """Return robots.txt allowing everything public and naming the sitemap."""
    lines = ["User-agent: *"]
    lines += [f"Disallow: /{path.strip('/')}/" for path in disallow] or ["Disallow:"]
    lines += ["", f"Sitemap: {sitemap_url}"]
    return ("\n".join(lines) + "\n").encode("utf-8")
