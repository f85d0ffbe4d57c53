"""Pelican's reader for our Markdown files: it hands over already-checked records."""

from __future__ import annotations

import os

from pelican.readers import BaseReader
from pelican.urlwrappers import Author, Category, Tag

from .corpus import Corpus, Record, build_corpus, name_slug
from .problems import ContentRefused


class NewsReader(BaseReader):
    """Read ``.md`` news items and pages from the corpus checked for this run."""

    enabled = True
    file_extensions = ["md"]
    corpus: Corpus | None = None  # set for each run by the plugin

    def read(self, source_path):
        """Return (html, metadata) for a file of the corpus."""
        record = self._record(source_path)
        return record.html, to_metadata(record, self.settings)

    def _record(self, source_path: str) -> Record:
        relative = os.path.relpath(source_path, self.settings["PATH"]).replace(os.sep, "/")
        if self.corpus is not None and relative in self.corpus.records:
            return self.corpus.records[relative]
        # A file Pelican reads that the run's check did not see (a plugin added it):
        # check the whole folder again rather than publish it unchecked.
        corpus = build_corpus(self.settings)
        if corpus.problems:
            raise ContentRefused(corpus.problems)
        return corpus.records[relative]


def to_metadata(record: Record, settings: dict) -> dict:
    """Return the record's metadata with Pelican's own objects where it wants them."""
    meta = dict(record.meta)
    meta.pop("waiting", None)
    column = meta.pop("column", None)
    if column is not None:
        category = Category(column.name, settings)
        category.slug = column.slug
        meta["category"] = category
        meta["column"] = column
    meta["tags"] = [
        _wrapped(Tag, n, settings, settings.get("TAG_SLUGS")) for n in meta.get("tags", [])
    ]
    authors = [
        _wrapped(Author, n, settings, settings.get("AUTHOR_SLUGS")) for n in meta.get("authors", [])
    ]
    if authors:
        meta["authors"] = authors
        meta["author"] = authors[0]
    else:
        meta.pop("authors", None)
    return meta


def _wrapped(cls, name: str, settings: dict, declared: dict | None):
    wrapper = cls(name, settings)
    wrapper.slug = name_slug(name, declared or {})
    return wrapper
