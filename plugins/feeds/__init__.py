"""Atom and RSS feeds that upper-level portals syndicate without duplicates."""

from .feeds import register

__all__ = ["register"]
