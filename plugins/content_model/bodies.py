"""Items' bodies kept on disk while a build runs, read again when a page needs them.

At 20,000 items the bodies' HTML is ~70 MB of the heap: held by the process that
checked the content, and copied page by page into each forked copy that reads them
(fast_build/parallel.py). Once the content is checked, a build on its own writes each
item's body to one unnamed temporary file (`spill`); the item's record, then Pelican's
article, hold a `Body` instead: where its text is, and a digest of it. A template or a
feed reads the text when it renders (a read of a few kilobytes) and lets go of it after.

A preview session (invoke serve) keeps its bodies in memory (`keep_in_memory`): it
hands its records and articles to its next run, and compares them by identity.
"""

from __future__ import annotations

import hashlib
import os
import tempfile

from pelican.contents import Article

from .memory import give_back

_KEEP = False  # this run's bodies stay in memory (a preview session's)


def keep_in_memory(keep: bool) -> None:
    """Have this run's bodies stay in memory (True) or go to disk (False, the default)."""
    global _KEEP
    _KEEP = keep


def kept_in_memory() -> bool:
    """Return whether this run's records stay as they are (a preview session's)."""
    return _KEEP


class _Store:
    """One unnamed temporary file of bodies as UTF-8, written once, read at any offset.

    Forked copies of the build read it through the same descriptor (pread does not
    move a shared offset). The file goes when the last body pointing to it does.
    """

    def __init__(self):
        # Open for as long as a body points to it (closed with the store).
        self._file = tempfile.TemporaryFile(prefix="pelican-bodies-")  # noqa: SIM115
        self._fd = self._file.fileno()
        self._end = 0

    def put(self, text: str) -> Body:
        data = text.encode("utf-8")
        self._file.write(data)
        body = Body(self, self._end, len(data), _digest(data))
        self._end += len(data)
        return body

    def read(self, offset: int, size: int) -> str:
        data = os.pread(self._fd, size, offset)
        if len(data) != size:  # the file is ours alone; a short read is a broken disk
            raise OSError(f"read {len(data)} of {size} bytes of a body")
        return data.decode("utf-8")

    def flush(self) -> None:
        self._file.flush()


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _body_stand_in(digest: bytes):
    """Names a body in pickled bytes (digests of pages): never loaded."""
    raise TypeError("a body on disk is named by its digest in pickles, and never loaded")


class Body:
    """An item's body on disk: read with `text()`, named by its digest when pickled.

    Pages are keyed by pickling what they are made from (fast_build/fingerprint.py):
    the digest of the text stands for it there, so a changed body changes the key.
    """

    __slots__ = ("_store", "_offset", "size", "digest", "_found")

    def __init__(self, store: _Store, offset: int, size: int, digest: bytes):
        self._store, self._offset, self.size, self.digest = store, offset, size, digest
        self._found: tuple | None = None  # (pattern, whether it is in the text)

    def text(self) -> str:
        """Return the body's HTML (read from disk each time: let go of it after use)."""
        return self._store.read(self._offset, self.size)

    def finds(self, pattern) -> bool:
        """Return whether a compiled regular expression matches in the text (kept)."""
        if self._found is None or self._found[0] is not pattern:
            self._found = (pattern, pattern.search(self.text()) is not None)
        return self._found[1]

    def __reduce__(self):
        return _body_stand_in, (self.digest,)

    def __eq__(self, other) -> bool:
        return isinstance(other, Body) and other.digest == self.digest and other.size == self.size

    def __hash__(self) -> int:
        return hash(self.digest)

    def __repr__(self) -> str:
        return f"<Body {self.size} bytes {self.digest.hex()[:12]}>"


def named(text: str) -> Body:
    """Return what stands for a body in memory in pickled bytes: what its Body on disk would.

    Pages keyed by a preview session (bodies in memory) and by a build on its own
    (bodies on disk) then get the same keys, and either carries over the other's pages.
    """
    data = text.encode("utf-8")
    return Body(None, 0, len(data), _digest(data))


def text(value) -> str:
    """Return the HTML of a body on disk, or `value` itself (a body in memory)."""
    return value.text() if type(value) is Body else value


def spill(records) -> None:
    """Put the items' bodies of checked records on disk.

    Done right after the check: the heap the bodies held is reused by what the build
    makes next (Pelican's articles, the pages' keys) instead of growing. Where a file
    cannot be read at an offset without moving a shared one (no os.pread: Windows),
    the bodies stay in memory.
    """
    items = [r for r in records if r.kind == "item" and type(r.html) is str]
    if not items or not hasattr(os, "pread"):
        return
    store = _Store()
    for record in items:
        record.html = store.put(record.html)
    store.flush()
    give_back()


class StoredArticle(Article):
    """An article whose body is on disk (`_body`): `_content` reads it when asked.

    Pelican memoizes an article's content for good; here each read is let go of
    after use, so `get_content` is not memoized. Its pages are keyed as an
    Article's (fast_build/fingerprint.py): where its body is changes no page.
    """

    keyed_as = Article

    @property
    def _content(self) -> str:
        return self._body.text()

    def get_content(self, siteurl: str) -> str:
        """Return the body with its links resolved for `siteurl` (read now, not kept)."""
        return self._update_content(self._content, siteurl)


# The body the reader last handed to Pelican, as text, and where it is on disk:
# Pelican makes the article from the text at once (content_object_init).
_HANDED: tuple[str, Body] | None = None


def hand_over(html) -> str:
    """Return the text Pelican's reader hands over for a record's `html`.

    Pelican reads the text once (its check for images without alt text) before it
    makes the article; `adopt` then swaps the text for the body on disk.
    """
    global _HANDED
    if type(html) is not Body:
        _HANDED = None
        return html
    content = html.text()
    _HANDED = (content, html)
    return content


def adopt(content) -> None:
    """Have a new article hold its body on disk instead of its text (content_object_init)."""
    global _HANDED
    if _HANDED is None or type(content) is not Article:
        return
    handed, body = _HANDED
    if vars(content).get("_content") is handed:
        _HANDED = None
        del content.__dict__["_content"]
        content._body = body
        content.__class__ = StoredArticle


def content_for(content, siteurl: str):
    """Return a content's HTML for `siteurl`: its Body when that is the text as it is.

    A body with no link to resolve is its text as stored: whoever holds it reads it
    when needed. A body whose links were resolved is returned as text.
    """
    body = vars(content).get("_body")
    if body is None:
        return content.get_content(siteurl)
    stored = body.text()
    resolved = content._update_content(stored, siteurl)
    return body if resolved is stored else resolved


def held(content):
    """Return what stands for a content's body in memory: its Body, or its text."""
    return vars(content).get("_body") or content._content
