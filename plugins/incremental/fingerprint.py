"""Digests of what a page is rendered from: template code, settings, context values.

A page's key must change whenever its bytes could: the digest of a value covers all
of it that a template can reach. Contents (items, pages) are digested once per build
by their every attribute; a content another one points to (a neighbour, a related
item) is digested by its own attributes, not by what it points to in turn. A value
of a kind not known here makes the page unkeyable: it is always rendered.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from enum import Enum

from jinja2 import meta
from markupsafe import Markup
from pelican.contents import Content
from pelican.urlwrappers import URLWrapper


class Unkeyable(Exception):
    """A value whose digest cannot be trusted to change with what it shows."""


# Attributes of a content that are shared by every content (the site's settings and
# context) or only Pelican's bookkeeping: digested once, globally, not per content.
_SHARED_ATTRIBUTES = frozenset({"settings", "_context", "_localcontext"})
_PLAIN = (str, int, float, bool, type(None), bytes, Decimal, date, datetime, time)


class Digester:
    """Digests values of one build; contents and long lists are digested once."""

    def __init__(self):
        self._contents: dict[tuple[int, int], bytes] = {}
        # id -> (the list, its digest): holding the list keeps its id from being reused.
        self._lists: dict[int, tuple[object, bytes]] = {}

    def digest(self, value) -> bytes:
        """Return a digest of everything of `value` a template can read."""
        hasher = hashlib.blake2b(digest_size=16)
        self._feed(hasher, value, 2)
        return hasher.digest()

    def content(self, content: Content, level: int) -> bytes:
        """Return the digest of a content's own attributes.

        Contents it points to are digested at the level below; at level 0 they are
        named only (a related item's title shows, not the related item's neighbours).
        """
        key = (id(content), level)
        found = self._contents.get(key)
        if found is None:
            hasher = hashlib.blake2b(digest_size=16)
            hasher.update(type(content).__qualname__.encode())
            attributes = vars(content)
            for name in sorted(attributes):
                if name in _SHARED_ATTRIBUTES:
                    continue
                hasher.update(name.encode() + b"\0")
                self._feed(hasher, attributes[name], level)
            found = self._contents[key] = hasher.digest()
        return found

    def _feed(self, hasher, value, level: int) -> None:
        kind = type(value)
        if kind in _PLAIN or isinstance(value, (Markup, Enum, tzinfo)):
            hasher.update(f"{kind.__name__}:{value!r}\0".encode())
        elif isinstance(value, Content):
            if level:
                hasher.update(b"C" + self.content(value, level - 1))
            else:
                hasher.update(f"R:{value.source_path}\0".encode())
        elif isinstance(value, (list, tuple)):
            hasher.update(b"L" + self._sequence(value, level))
        elif isinstance(value, (set, frozenset)):
            parts = []
            for element in value:
                part = hashlib.blake2b(digest_size=16)
                self._feed(part, element, level)
                parts.append(part.digest())
            hasher.update(b"S" + b"".join(sorted(parts)))
        elif isinstance(value, dict):
            hasher.update(b"D")
            for key in value:  # insertion order is the order a template iterates in
                self._feed(hasher, key, level)
                self._feed(hasher, value[key], level)
        elif isinstance(value, URLWrapper):
            hasher.update(f"U:{kind.__name__}:{value.name}:{value.slug}\0".encode())
        elif _is_plain_record(value):
            # Frozen dataclasses of plain values (declared entries, deputy references).
            hasher.update(f"P:{value!r}\0".encode())
        elif _is_ours(value):
            # The plugins' own records (feed lists, deputy profiles): their attributes.
            hasher.update(f"O:{kind.__module__}.{kind.__qualname__}\0".encode())
            attributes = vars(value)
            for name in sorted(attributes):
                hasher.update(name.encode() + b"\0")
                self._feed(hasher, attributes[name], level)
        else:
            raise Unkeyable(f"{kind.__module__}.{kind.__qualname__}")

    def _sequence(self, value, level: int) -> bytes:
        # Long lists (every item of a column or a tag) are handed to many pages.
        remembered = level == 2 and len(value) > 8
        if remembered:
            known = self._lists.get(id(value))
            if known is not None:
                return known[1]
        hasher = hashlib.blake2b(digest_size=16)
        for element in value:
            self._feed(hasher, element, level)
        result = hasher.digest()
        if remembered:
            self._lists[id(value)] = (value, result)
        return result


def _is_plain_record(value) -> bool:
    params = getattr(type(value), "__dataclass_params__", None)
    return bool(params and params.frozen)


# Packages whose objects are plain records: their methods read only their attributes.
_OUR_PACKAGES = ("content_model", "feeds", "public_site", "tally", "deputies")


def _is_ours(value) -> bool:
    module = type(value).__module__.partition(".")[0]
    return module in _OUR_PACKAGES and (
        dataclasses.is_dataclass(value) or hasattr(value, "__dict__")
    )


def template_names(env, name: str) -> tuple[set[str], set[str]]:
    """Return (templates, context names) a template reads: itself and what it includes."""
    templates, names, pending = set(), set(), [name]
    while pending:
        current = pending.pop()
        if current in templates:
            continue
        templates.add(current)
        source = env.loader.get_source(env, current)[0]
        tree = env.parse(source)
        names |= meta.find_undeclared_variables(tree)
        for referenced in meta.find_referenced_templates(tree):
            if referenced is None:  # a computed name: any template could be read
                raise Unkeyable(f"{current} includes a template chosen at render time")
            pending.append(referenced)
    return templates, names
