"""What the public site needs beyond Pelican's pages: links, home page, sitemap."""

from .public_site import register

__all__ = ["register"]
