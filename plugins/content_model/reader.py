"""Pelican's reader for our Markdown files: it hands over already-checked records."""

from __future__ import annotations

import os

from pelican.readers import BaseReader
from pelican.urlwrappers import Author, Category, Tag, URLWrapper

from .bodies import hand_over
from .corpus import Corpus, Record, name_slug


class NewsReader(BaseReader):
    """Read ``.md`` news items and pages from the corpus checked for this run."""

    enabled = True
    file_extensions = ["md"]
    corpus: Corpus | None = None  # set for each run by the plugin

    def __init__(self, settings):
        super().__init__(settings)
        # One tag, column or author object per name for the run's items (a reader
        # serves one generator of one run): Pelican makes one per item otherwise,
        # ~100,000 at 20,000 items, each with its own attributes.
        self._wrappers: dict[tuple[type, str], URLWrapper] = {}

    def read(self, source_path):
        """Return (html, metadata) for a file of the corpus."""
        relative = os.path.relpath(source_path, self.settings["PATH"]).replace(os.sep, "/")
        if self.corpus is None or relative not in self.corpus.records:
            # The plugin checks that Pelican reads only checked files; reaching
            # this is a programming error, and Pelican makes it fail the build.
            raise LookupError(f"{relative} was not checked before reading")
        record = self.corpus.records[relative]
        return hand_over(record.html), to_metadata(record, self.settings, self._wrappers)


def to_metadata(record: Record, settings: dict, wrappers: dict) -> dict:
    """Return the record's metadata with Pelican's own objects where it wants them.

    `wrappers` holds the tags, columns and authors made so far, to be handed out again.
    """
    meta = dict(record.meta)
    meta.pop("waiting", None)
    column = meta.pop("column", None)
    if column is not None:
        category = _wrapped(Category, column.name, settings, {column.name: column.slug}, wrappers)
        meta["category"] = category
        meta["column"] = column
    tag_slugs, author_slugs = settings.get("TAG_SLUGS"), settings.get("AUTHOR_SLUGS")
    meta["tags"] = [_wrapped(Tag, n, settings, tag_slugs, wrappers) for n in meta.get("tags", [])]
    authors = [
        _wrapped(Author, n, settings, author_slugs, wrappers) for n in meta.get("authors", [])
    ]
    if authors:
        meta["authors"] = authors
        meta["author"] = authors[0]
    else:
        meta.pop("authors", None)
    return meta


def _wrapped(cls, name: str, settings: dict, declared: dict | None, made: dict):
    """Return the `cls` object for `name` (made once), its slug declared or from the name."""
    wrapper = made.get((cls, name))
    if wrapper is None:
        wrapper = made[cls, name] = cls(name, settings)
        wrapper.slug = name_slug(name, declared or {})
    return wrapper
