"""Digests of what a page is rendered from: template code, settings, context values.

A page's key must change whenever its bytes could: the digest of a value covers all
of it that a template can reach. Contents (items, pages) are digested once per build
by their every attribute; a content another one points to (a neighbour, a related
item) is digested by its own attributes, not by what it points to in turn. A value
that cannot be pickled makes the page unkeyable: it is always rendered.

Each content is pickled once (level 0: its own attributes, the contents it points
to named); its digest with what it points to (level 1) combines that with theirs.

Some attributes hold other items only an item's own page shows (its neighbours and
related items, `item_page_only`). A page whose templates never name them (a list of
items) is keyed by each item without them (the LISTED level): an edit that changes an
item's neighbours or related items then leaves the lists it is on as they were.
"""

from __future__ import annotations

import copyreg
import dataclasses
import hashlib
import io
import pickle
from functools import partial
from zoneinfo import ZoneInfo

from jinja2 import meta, nodes
from pelican.contents import Content
from pelican.paginator import Page, Paginator
from pelican.urlwrappers import URLWrapper

from content_model import bodies


class Unkeyable(Exception):
    """A value whose digest cannot be trusted to change with what it shows."""


# Attributes every content shares (the site's settings and context): they are in
# the build's global key, not in each content's digest.
_SHARED_ATTRIBUTES = frozenset({"settings", "_context", "_localcontext"})
# Levels of a content's digest (see Digester.content); LISTED is level 1 without the
# attributes in ITEM_PAGE_ONLY.
LISTED = 2
# Attributes holding other contents that only a content's own page reads (plugins
# declare them with item_page_only).
ITEM_PAGE_ONLY: set[str] = set()


def item_page_only(*names: str) -> None:
    """Declare attributes that only the templates of an item's own page read.

    A plugin that sets them on items (their neighbours, related items) says so; a
    page whose templates never name them is keyed without them. Only templates may
    read them: Python code a list's template calls must not.
    """
    ITEM_PAGE_ONLY.update(names)


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

    def __init__(self, across_builds: bool = False):
        # Whether later builds reuse digests this one makes (a preview session's
        # digester): each content's attributes are then kept to be compared.
        self.across_builds = across_builds
        # (id, 0) -> what the level-0 digest of that content was made from (see content).
        self._contents: dict[tuple[int, int], _Known] = {}
        # Per level: id -> digest, known to hold in this build (looked up most often).
        self._now: tuple[dict[int, bytes], ...] = ({}, {}, {})
        # Set for each page keyed: True when its templates never name the ITEM_PAGE_ONLY
        # attributes, so that its contents are digested at the LISTED level.
        self.listing = False
        self._pointed: list[list] = []  # contents the digest being made points to
        # (id, listed) -> (the list, its digest): holding it keeps its id from being reused.
        self._lists: dict[tuple[int, bool], tuple[object, bytes]] = {}
        # A tag's, column's or author's digest by what it is pickled as (see wrapper):
        # every item's page names its column, and most its tags.
        self._wrappers: dict[tuple, bytes] = {}
        contents, wrappers = _subclasses(Content), _subclasses(URLWrapper)
        self._wrapper_types = frozenset(wrappers)  # those the picklers name (exactly these)

        def wrapper(value):
            return _stand_in, (type(value).__name__, value.name, value.slug)

        def page(value):  # a page of a paginated list: its own items, its place
            return _stand_in, (
                "Page", value.full_name, value.base_url, value.number, value.object_list,
                value.paginator,
            )  # fmt: skip

        def paginator(value):
            # What a page shows of it: counts. Its object_list (the whole list) is
            # left out; a template that reads it is never keyed page by page
            # (template_names: lists_by_page).
            return _stand_in, (
                "Paginator", value.name, value.url, value.per_page, value.orphans,
                value.count, value.num_pages,
            )  # fmt: skip

        def content(value, level):
            if level == 0:  # named only; the content being pickled points to it
                self._pointed[-1].append(value)
                return _stand_in, (value.source_path,)
            return _stand_in, (self.content(value, LISTED if self.listing else 1),)

        def zone(value):  # the same key always loads the same zone
            if value.key is None:  # read from a file object: whole
                return value.__reduce__()
            return _stand_in, ("ZoneInfo", value.key)

        self._picklers = []  # 0: contents named; 1: contents by their digest
        for level in range(2):
            table = {**copyreg.dispatch_table}
            table.update({cls: partial(content, level=level) for cls in contents})
            table.update({cls: wrapper for cls in wrappers})
            table.update({
                Page: page, Paginator: paginator, ZoneInfo: zone, _Metadata: _Metadata.reduce,
                _Digested: _Digested.reduce,
            })  # fmt: skip
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

    def digest(self, value, fold: bool = False) -> bytes:
        """Return a digest of everything of `value` a template can read.

        `fold`: a dict is digested with the lists of contents in it digested as lists
        are (`_folded`): for the context's values, which hold every item.
        """
        if isinstance(value, Content):  # an item's own page: its digest, as it is kept
            return self.content(value, LISTED if self.listing else 1)
        if type(value) is Page:  # a page of a list, being written
            own = self._of_contents(value.object_list)
            if own is not None:
                return _hash(self.place(value) + own)
        if type(value) in self._wrapper_types:
            named = (type(value).__name__, type(value.name), value.name, type(value.slug),
                     value.slug)  # fmt: skip
            known = self._wrappers.get(named)
            if known is None:
                known = self._wrappers[named] = _hash(self._bytes(value, 1))
            return known
        if isinstance(value, list):
            # Lists (every item of a column or a tag, the columns with their items)
            # are handed to many pages: each is digested once per build.
            memo = (id(value), self.listing)
            known = self._lists.get(memo)
            if known is None:
                known = self._lists[memo] = (value, self._list(value))
            return known[1]
        if fold and isinstance(value, dict):
            # Pelican's period archives hold every item, in lists of each period's.
            value = self._folded(value, _FOLD_DEPTH)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            # A record made of an item (a feed's entry holds its body): by its fields,
            # its texts as their bytes (see _text).
            value = _Digested(
                type(value).__qualname__,
                tuple(_text(getattr(value, f.name)) for f in dataclasses.fields(value)),
            )
        return _hash(self._bytes(value, 1))

    def _folded(self, value, depth: int):
        """Return `value` with the lists of contents in its dicts and lists digested.

        Each such list by the digest of its contents (`_of_contents`), instead of
        pickling a stand-in for each of its contents one by one.
        """
        kind = type(value)
        if kind is list:
            own = self._of_contents(value)
            if own is not None:
                return _Digested("contents", _hash(own))
            if depth and len(value) <= _FOLD_WIDTH:
                return [self._folded(v, depth - 1) for v in value]
        elif isinstance(value, dict) and depth and len(value) <= _FOLD_WIDTH:
            folded = {k: self._folded(v, depth - 1) for k, v in value.items()}
            # Another kind of dict (Pelican's archives are a defaultdict) by its name.
            return folded if kind is dict else _Digested(kind.__qualname__, folded)
        return value

    def _list(self, value: list) -> bytes:
        own = self._of_contents(value)
        if own is None:
            own = self._of_groups(value)
        return _hash(own if own is not None else self._bytes(value, 1))

    def _of_groups(self, pairs: list) -> bytes | None:
        # Pelican's tags, columns and authors with their items ((wrapper, items) pairs,
        # read by the pages that list them all): each wrapper as the pickler names it,
        # each list of items by its digest, made once per build for the pages that
        # list its items too.
        if self._pointed:
            return None
        parts = [b"groups\0"]
        for pair in pairs:
            if not (type(pair) is tuple and len(pair) == 2 and isinstance(pair[0], URLWrapper)
                    and type(pair[1]) is list):  # fmt: skip
                return None
            wrapper, contents = pair
            named = (type(wrapper).__name__, wrapper.name, wrapper.slug)
            parts.append(repr(named).encode() + b"\0" + self.digest(contents))
        return b"".join(parts)

    def _of_contents(self, items: list) -> bytes | None:
        # A list of contents only (a column's, a year's, a page's items): the digests of
        # its contents in order, as pickling it would take them, without pickling.
        if self._pointed or not all(isinstance(c, Content) for c in items):
            return None
        level = LISTED if self.listing else 1
        now, content = self._now[level].get, self.content
        return b"contents\0" + b"".join([now(id(c)) or content(c, level) for c in items])

    def place(self, page: Page) -> bytes:
        """Return the digest of what a page shows of the page before or after it.

        Its place in its list: name, address, number, and the list's counts
        (NEIGHBOUR_PAGES); the same fields the pickled page and paginator carry.
        """
        paginator = page.paginator
        return _hash(repr((
            "Page", page.full_name, page.base_url, page.number,
            "Paginator", paginator.name, paginator.url, paginator.per_page, paginator.orphans,
            paginator.count, paginator.num_pages,
        )).encode())  # fmt: skip

    def content(self, content: Content, level: int) -> bytes:
        """Return the digest of a content at a level (1: what its own page shows of it).

        Level 0 covers its own attributes, the contents it points to named only (a
        related item's title shows, not the related item's neighbours); level 1 adds
        the level-0 digests of those contents; LISTED is level 1 without the
        ITEM_PAGE_ONLY attributes (what a list shows of it). A digest made in an
        earlier build of this process is reused for the same object when its
        attributes compare equal to what they were (one level deep).
        """
        now = self._now[level]
        checked = now.get(id(content))
        if checked is not None:
            return checked
        if level == 0:
            known = self._own(content, self._contents.get((id(content), 0)))
            self._contents[id(content), 0] = known
            now[id(content)] = known.digest
            return known.digest
        # Its own digest, then those of the contents it names, in that order. Only the
        # level-0 record is kept: it holds the content, whose id is then not reused.
        own = self.content(content, 0)
        kept = self._contents[id(content), 0]
        named = kept.pointed
        if level == LISTED:  # without the item-page-only attributes and what they name
            if not kept.listed_pointed:  # most items: made once while the record holds
                if kept.listed_alone is None:
                    kept.listed_alone = _hash(kept.listed)
                now[id(content)] = kept.listed_alone
                return kept.listed_alone
            own, named = kept.listed, named[: kept.listed_pointed]
        below, content_below = self._now[0].get, self.content
        parts = [below(id(c)) or content_below(c, 0) for c in named]
        now[id(content)] = digest = _hash(own + b"".join(parts))
        return digest

    def _own(self, content: Content, known: _Known | None) -> _Known:
        own = vars(content).copy()
        for name in _SHARED_ATTRIBUTES:
            own.pop(name, None)
        body = own.pop("_body", None)
        if body is not None:  # on disk (content_model.bodies): keyed as one in memory is
            own["_content"] = body
        if known is not None and known.attributes == own:
            return known
        self._pointed.append(pointed := [])
        try:
            # Bytes never depend on set order; those only an item's page reads, apart.
            names = sorted(own)
            texts = {k: _text(v) for k, v in own.items() if type(v) is str}  # see _text
            if type(own.get("_content")) is str:  # named as its Body on disk would be
                texts["_content"] = bodies.named(own["_content"])
            ordered = {k: texts.get(k, own[k]) for k in names if k not in ITEM_PAGE_ONLY}
            page_only = {k: texts.get(k, own[k]) for k in names if k in ITEM_PAGE_ONLY}
            metadata = ordered.get("metadata")
            if type(metadata) is dict:
                # Pelican's metadata holds most attributes again, as the same objects:
                # those are named, not pickled twice (a fifth of an item's digest).
                same, rest = [], {}
                for k, v in metadata.items():
                    if _same(own.get(k, _NO_ATTRIBUTE), v):
                        same.append(k)
                    else:
                        rest[k] = _text(v)
                ordered["metadata"] = _Metadata(tuple(same), rest)
            kind = getattr(type(content), "keyed_as", type(content))  # see bodies.StoredArticle
            listed = _hash(kind.__qualname__.encode() + self._bytes(ordered, 0))
            listed_pointed = len(pointed)
            digest = _hash(listed + self._bytes(page_only, 0)) if page_only else listed
        finally:
            self._pointed.pop()
        attributes = _shallow_copy(own) if self.across_builds else None
        return _Known(content, attributes, pointed, digest, listed, listed_pointed)

    def share(self, contents: list, part: range) -> list[tuple]:
        """Digest contents[i] for i in `part` (level 0); return them for `adopt`.

        Each as (position, digest, positions of the contents it names, its digest
        without the item-page-only attributes, how many of those it names); one naming
        a content not in `contents` is left out (whoever adopts digests it itself).
        """
        where = {id(c): i for i, c in enumerate(contents)}
        shared = []
        for i in part:
            content = contents[i]
            try:
                digest = self.content(content, 0)
            except Unkeyable:
                continue  # its pages are rendered every time; nothing to share
            known = self._contents[id(content), 0]
            named = [where.get(id(c)) for c in known.pointed]
            if None not in named:
                shared.append((i, digest, named, known.listed, known.listed_pointed))
        return shared

    def adopt(self, contents: list, shared: list[tuple]) -> None:
        """Take level-0 digests `share` made of the same contents (a forked copy's).

        Only for one build: what a later build reuses must have its attributes kept.
        """
        if self.across_builds:
            return
        now = self._now[0]
        for i, digest, named, listed, listed_pointed in shared:
            content = contents[i]
            if id(content) not in now:
                known = _Known(content, None, [contents[j] for j in named], digest, listed,
                               listed_pointed)  # fmt: skip
                self._contents[id(content), 0] = known
                now[id(content)] = digest

    def remember(self, contents) -> None:
        """Digest (level 0) those of `contents` not known, to compare them next build.

        What only a forked copy digested (an edited or new item, a draft) is not known
        here: a preview session does this while it waits for the next save, so that its
        next build compares each item (`recheck`) instead of digesting it afresh.
        """
        self.check([c for c in contents if (id(c), 0) not in self._contents])

    def recheck(self, contents) -> None:
        """Compare each of `contents` kept from an earlier build with what it was.

        A preview session's rebuild does it before forking: each item kept from the
        last run is then compared here, once, instead of in the copy, where reading
        every attribute copies the pages they share (a fork makes them copy-on-write).
        A content not kept (a session's first run, an edited item) is digested by
        whichever process first needs it.
        """
        self.check([c for c in contents if (id(c), 0) in self._contents])

    def check(self, contents) -> None:
        """Make sure of each content's level-0 digest in this build (see `content`)."""
        for content in contents:
            try:
                self.content(content, 0)
            except Unkeyable:
                continue  # its pages are rendered every time

    def witness(self, content) -> tuple | None:
        """Return what a content's own page digest is made from in this build, or None.

        Its level-0 record and those of the contents it names, each checked in this
        build (None: one is not). The digest is the same in a later build where
        `holds` says each is still the record there: compared equal to what it was,
        none made afresh (item_pages.py carries pages over by it).
        """
        now, contents = self._now[0], self._contents
        if id(content) not in now:
            return None
        ids = (id(content), *map(id, contents[id(content), 0].pointed))
        if not all(map(now.__contains__, ids)):
            return None
        keys = tuple((i, 0) for i in ids)
        return ids, keys, tuple(map(contents.__getitem__, keys))

    def holds(self, witness: tuple) -> bool:
        """Whether each record of a `witness` is this build's, checked in this build."""
        ids, keys, records = witness
        return all(map(self._now[0].__contains__, ids)) and (
            tuple(map(self._contents.get, keys)) == records
        )

    def begin(self) -> None:
        """Start a build: what earlier builds digested is checked again before use."""
        self._now = ({}, {}, {})
        self._lists = {}

    def prune(self, live: set[int] = frozenset()) -> None:
        """Forget the contents this build did not digest, except those in `live` (ids).

        A live content's kept digest is checked against its attributes before any
        reuse, so it may stay though this process did not digest it this build (a
        forked copy did): the next build then compares instead of digesting afresh.
        """
        now = self._now[0]  # only level-0 records are kept
        self._contents = {
            k: v for k, v in self._contents.items()
            if k[0] in now or (k[0] in live and v.attributes is not None)
        }  # fmt: skip
        self._lists = {}


# Values that compare equal exactly when they show the same (unlike, say, a list of
# markup-safe strings and an equal list of plain ones).
_PLAIN = frozenset({str, int, bool, bytes, type(None)})
_NO_ATTRIBUTE = object()  # a metadata name the content has no attribute of


def _same(attribute, value) -> bool:
    """Whether a metadata value is the attribute of the same name (see _own)."""
    return attribute is value or (
        type(attribute) is type(value) and type(value) in _PLAIN and attribute == value
    )


class _Metadata:
    """In a content's digest: its metadata, the names of those that are its attributes."""

    __slots__ = ("same", "rest")

    def __init__(self, same: tuple[str, ...], rest: dict):
        self.same = same  # in the metadata's order: each is the attribute of that name
        self.rest = rest

    def reduce(self):
        return _stand_in, ("metadata", self.same, self.rest)


# How deep and how wide `Digester._folded` looks into a dict for lists of contents:
# Pelican's period archives are a dict of lists of dicts, a few hundred in all.
_FOLD_DEPTH = 3
_FOLD_WIDTH = 10_000


class _Digested:
    """In a digest, what `Digester._folded` makes of a value.

    A list of contents, by the digest of its contents; another kind of dict than dict,
    by its kind's name and its items.
    """

    __slots__ = ("kind", "value")

    def __init__(self, kind: str, value):
        self.kind = kind
        self.value = value

    def reduce(self):
        return _stand_in, (self.kind, self.value)


class _Known:
    """A content's level-0 digest, and what it was made from (the only record kept)."""

    __slots__ = (
        "content",
        "attributes",
        "pointed",
        "digest",
        "listed",
        "listed_pointed",
        "listed_alone",
    )

    def __init__(self, content, attributes: dict | None, pointed: list, digest: bytes,
                 listed: bytes, listed_pointed: int):  # fmt: skip
        self.content = content  # held: its id is not reused while it is known
        self.attributes = attributes  # what it was pickled from (if kept)
        self.pointed = pointed  # the contents it names, in the order pickled
        self.digest = digest
        # Its digest without the ITEM_PAGE_ONLY attributes, and how many of `pointed`
        # (the first ones) those others name.
        self.listed = listed
        self.listed_pointed = listed_pointed
        # Its LISTED digest when that names no other content (made when first needed).
        self.listed_alone: bytes | None = None


def _text(value):
    """Return `value`, or its UTF-8 bytes in a stand-in if it is non-ASCII text.

    Pickling a str makes CPython keep its UTF-8 form inside the str for as long as the
    str lives (PyUnicode_AsUTF8AndSize): a Chinese body would hold 1.5 times its own
    size again, in every process that digests it, and a forked copy would copy the
    pages of every str it digests. Encoding it here makes bytes that are freed with
    the digest. Any other value (ASCII text, a str subclass) is pickled as it is.
    """
    if type(value) is str and not value.isascii():
        return _Digested("text", value.encode("utf-8", "surrogatepass"))
    return value


def _shallow_copy(attributes: dict) -> dict:
    # Lists and dicts are copied: one changed in place then compares unequal.
    return {k: (v.copy() if type(v) in (list, dict, set) else v) for k, v in attributes.items()}


def _hash(data: bytes) -> bytes:
    # SHA-256 runs on the processor's SHA instructions where it has them: twice as
    # fast as BLAKE2 on an item's few kilobytes. 16 bytes are plenty for a digest.
    return hashlib.sha256(data).digest()[:16]


def template_names(env, name: str) -> tuple[set[str], set[str], bool, set[str] | None]:
    """Return what a template (itself and all it includes) reads.

    (templates, context names, lists_by_page, attributes): lists_by_page says whether
    it reads a paginated list only page by page — an ``object_list`` only of the page
    being written (``articles_page.object_list``), never of a paginator, of the pages
    before or after it, or of anything else — so that each page of the list can be
    keyed by its own items. `attributes`: every name it may read an attribute or item
    by (None: any, a name computed at render time).
    """
    templates, names, pending, by_page = set(), set(), [name], True
    attributes: set[str] | None = set()
    while pending:
        current = pending.pop()
        if current in templates:
            continue
        templates.add(current)
        source = env.loader.get_source(env, current)[0]
        tree = env.parse(source)
        names |= meta.find_undeclared_variables(tree)
        by_page = by_page and _lists_by_page(tree)
        named = _attributes(tree)
        attributes = None if attributes is None or named is None else attributes | named
        for referenced in meta.find_referenced_templates(tree):
            if referenced is None:  # a computed name: any template could be read
                raise Unkeyable(f"{current} includes a template chosen at render time")
            pending.append(referenced)
    return templates, names, by_page, attributes


# Filters that read an attribute named by an argument (Jinja's own).
_BY_ATTRIBUTE = frozenset({"attr", "map", "sort", "groupby", "selectattr", "rejectattr", "sum",
                           "unique", "min", "max", "dictsort"})  # fmt: skip


def _attributes(tree) -> set[str] | None:
    """Return every name a template may read an attribute by (None: any).

    ``a.b`` and ``a["b"]`` name theirs; a filter that reads attributes takes their
    names as constants. A subscript or such a filter given a name worked out at
    render time could read any attribute.
    """
    found = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Const)):
        if isinstance(node, nodes.Getattr):
            found.add(node.attr)
        elif isinstance(node, nodes.Const):
            if isinstance(node.value, str):
                found.add(node.value)  # a name handed to a filter, or a key
        elif isinstance(node, nodes.Getitem):
            if not isinstance(node.arg, (nodes.Const, nodes.Slice)):
                return None
        elif node.name in _BY_ATTRIBUTE:
            arguments = [*node.args, *(k.value for k in node.kwargs)]
            if (
                node.dyn_args
                or node.dyn_kwargs
                or not all(isinstance(a, nodes.Const) for a in arguments)
            ):
                return None
    return found


# The pages before and after the one written: a page shows their links, not their items.
NEIGHBOUR_PAGES = ("_previous_page", "_next_page")


def _lists_by_page(tree) -> bool:
    """Whether every ``object_list`` the template names is the written page's own."""
    for node in tree.find_all((nodes.Getattr, nodes.Const)):
        if isinstance(node, nodes.Getattr) and node.attr == "object_list":
            target = node.node
            if not (isinstance(target, nodes.Name) and target.name.endswith("_page")):
                return False
            if target.name.endswith(NEIGHBOUR_PAGES):  # keyed by their place only
                return False
        elif isinstance(node, nodes.Const) and node.value == "object_list":
            return False  # read by subscript or the attr filter: by what, unknown
    return True
