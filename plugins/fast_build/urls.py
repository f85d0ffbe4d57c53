"""Expand each content's URL and save_as once, not every time a page asks for them.

Pelican expands `Content.url` and `Content.save_as` afresh on every access: a copy
of the metadata, the source path made relative, and a `str.format` of the setting.
An item's URL is read by its own page, by every list and feed it is in, by its
neighbours' and related items' pages and by the sitemap: ten and more expansions
per item in a build, and again in every run of a preview session.

An expansion is kept with everything it was made from (the setting's pattern, slug,
language, date, author and column slugs, source path and content folder, and the
values of any other metadata the pattern names) and returned only while all of it
compares equal; anything else expands as Pelican does. Only the fields the pattern
names are compared, not the whole metadata: in a preview run the sitemap reads every
item's URL in a forked process, where each object a comparison touches copies the
memory page it lives on. A content without a date is never kept (Pelican puts the
time of the call in its place), nor one whose pattern has fields `_fields` cannot
name (positional or nested ones: Pelican's own expansion then decides).

Once a build starts writing (Pelican asks for its writer), its contents are final:
from then until the build ends, an expansion made is returned again without that
comparison (a tenth of what each of the ~300,000 reads cost).
"""

from __future__ import annotations

import re
import string
from functools import lru_cache

from pelican.contents import Content

_ORIGINAL = Content._expand_settings
# (id of the content, setting) -> (the content, inputs, expansion)
_KNOWN: dict[tuple[int, str], tuple[Content, tuple, str]] = {}
# While a build writes: (id of the content, key, class) -> (the content, expansion).
_FROZEN: dict[tuple, tuple[Content, str]] | None = None


# What Pelican's url_format puts in place of the metadata of the same name.
_SET_BY_PELICAN = frozenset({"slug", "lang", "date", "author", "category"})
_ABSENT = object()


@lru_cache(maxsize=256)
def _fields(pattern) -> tuple[str, ...] | None:
    """Return the metadata names a URL pattern reads, None if it cannot be told."""
    names = []
    try:
        parsed = list(string.Formatter().parse(str(pattern)))
    except ValueError:
        return None  # a malformed pattern: Pelican's expansion raises its own error
    for _, field, spec, _ in parsed:
        if field is None:
            continue
        name = re.match(r"[^.\[]*", field).group()
        if not name or name.isdigit() or "{" in (spec or ""):
            return None
        if name not in _SET_BY_PELICAN:
            names.append(name)
    return tuple(dict.fromkeys(names))


def _inputs(content: Content, pattern) -> tuple | None:
    date = getattr(content, "date", None)
    if date is None:
        return None
    names = _fields(pattern)
    if names is None:
        return None
    author = getattr(content, "author", None)
    category = getattr(content, "category", None)
    metadata = content.metadata
    return (
        pattern,
        content.source_path,
        content.settings.get("PATH"),
        getattr(content, "slug", ""),
        getattr(content, "lang", "en"),
        date,
        getattr(author, "slug", None),
        getattr(category, "slug", None),
        *[metadata.get(name, _ABSENT) for name in names],
    )


def _expand_settings(self: Content, key: str, klass: str | None = None) -> str:
    frozen = _FROZEN
    if frozen is not None:
        made = frozen.get((id(self), key, klass))
        if made is not None and made[0] is self:
            return made[1]
    setting = f"{klass or self.__class__.__name__}_{key}".upper()
    inputs = _inputs(self, self.settings.get(setting))
    if inputs is None:
        return _ORIGINAL(self, key, klass)
    memo_key = (id(self), setting)
    known = _KNOWN.get(memo_key)
    if known is not None and known[0] is self and known[1] == inputs:
        value = known[2]
    else:
        value = _ORIGINAL(self, key, klass)
        _KNOWN[memo_key] = (self, inputs, value)
    if frozen is not None:
        frozen[id(self), key, klass] = (self, value)
    return value


def freeze(_pelican=None) -> None:
    """Keep expansions as made from now on (get_writer: the contents are final)."""
    global _FROZEN
    _FROZEN = {}


def thaw(_pelican=None) -> None:
    """Compare expansions again (the build ended, or a new one starts)."""
    global _FROZEN
    _FROZEN = None


def install() -> None:
    """Put the kept expansion in place of Pelican's (once per process)."""
    Content._expand_settings = _expand_settings


def forget(keep: set[int]) -> None:
    """After a run: drop what was kept for contents other than those in `keep` (ids)."""
    for memo_key in [k for k in _KNOWN if k[0] not in keep]:
        del _KNOWN[memo_key]
