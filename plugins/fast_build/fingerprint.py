"""Digests of what a page is rendered from: template code, settings, context values.

A page's key must change whenever its bytes could: the digest of a value covers all
of it that a template can reach. Contents (items, pages) are digested once per build
by their every attribute; a content another one points to (a neighbour, a related
item) is digested by its own attributes, not by what it points to in turn. A value
that cannot be pickled makes the page unkeyable: it is always rendered.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import pickle

from jinja2 import meta
from pelican.contents import Content
from pelican.urlwrappers import URLWrapper


class Unkeyable(Exception):
    """A value whose digest cannot be trusted to change with what it shows."""


# Attributes every content shares (the site's settings and context): they are in
# the build's global key, not in each content's digest.
_SHARED_ATTRIBUTES = frozenset({"settings", "_context", "_localcontext"})


def _subclasses(cls) -> list[type]:
    found = [cls]
    for sub in cls.__subclasses__():
        found += _subclasses(sub)
    return found


def _stand_in(*parts):
    """Names what a content or a tag stands for in digest bytes (never loaded)."""
    raise pickle.UnpicklingError("digests are never loaded")


class Digester:
    """Digests values of one build; contents and long lists are digested once.

    A value is pickled (C speed, every attribute included) with contents replaced by
    their own digests one level down and Pelican's tags, columns and authors by
    their name and slug; the digest is a hash of those bytes. Anything that cannot
    be pickled makes the value unkeyable.
    """

    def __init__(self):
        self._contents: dict[tuple[int, int], bytes] = {}
        # id -> (the list, its digest): holding the list keeps its id from being reused.
        self._lists: dict[int, tuple[object, bytes]] = {}
        contents, wrappers = _subclasses(Content), _subclasses(URLWrapper)

        def wrapper(value):
            return _stand_in, (type(value).__name__, value.name, value.slug)

        self._picklers = []
        for level in range(3):

            def content(value, level=level):
                if level == 0:  # named only
                    return _stand_in, (value.source_path,)
                return _stand_in, (self.content(value, level - 1),)

            table = {**copyreg.dispatch_table}
            table.update({cls: content for cls in contents})
            table.update({cls: wrapper for cls in wrappers})
            self._picklers.append(type("Pickler", (pickle.Pickler,), {"dispatch_table": table}))

    def _bytes(self, value, level: int) -> bytes:
        buffer = io.BytesIO()
        pickler = self._picklers[level](buffer, protocol=5)
        # No memo: with one, bytes would depend on which equal values happen to be
        # the same object (a string read afresh, or loaded from the cache).
        pickler.fast = True
        try:
            pickler.dump(value)
        except (
            pickle.PicklingError,
            TypeError,
            AttributeError,
            ValueError,
            RecursionError,
        ) as error:
            raise Unkeyable(f"{type(value).__qualname__}: {error}") from None
        return buffer.getvalue()

    def digest(self, value) -> bytes:
        """Return a digest of everything of `value` a template can read."""
        if isinstance(value, list) and len(value) > 8:
            # Long lists (every item of a column or a tag) are handed to many pages.
            known = self._lists.get(id(value))
            if known is None:
                known = self._lists[id(value)] = (value, _hash(self._bytes(value, 2)))
            return known[1]
        return _hash(self._bytes(value, 2))

    def content(self, content: Content, level: int) -> bytes:
        """Return the digest of a content's own attributes.

        Contents it points to are digested at the level below; at level 0 they are
        named only (a related item's title shows, not the related item's neighbours).
        """
        key = (id(content), level)
        found = self._contents.get(key)
        if found is None:
            attributes = vars(content)
            own = {k: attributes[k] for k in sorted(attributes) if k not in _SHARED_ATTRIBUTES}
            found = _hash(type(content).__qualname__.encode() + self._bytes(own, level))
            self._contents[key] = found
        return found


def _hash(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


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
