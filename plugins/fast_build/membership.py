"""Linear-time grouping in Pelican's ArticlesGenerator, same output.

Pelican 4.12 lists each tag's, column's, author's and period's items with
``[a for a in all_items if a in group]``, ``group`` a plain list: quadratic, a third
of a 20,000-item build. Here the groups are lists that answer ``in`` from a set of
identities (Pelican's contents compare by identity, so the answer is the same), and
the period archives are filled from such a set.
"""

from __future__ import annotations

from collections import defaultdict

from .incremental import get_config


class Members(list):
    """A list whose ``in`` is a set lookup by identity (what ``in`` means for contents)."""

    def __init__(self, *args):
        super().__init__(*args)
        self._ids: set[int] | None = None

    def __contains__(self, value) -> bool:
        if self._ids is None:
            self._ids = {id(v) for v in self}
        return id(value) in self._ids

    def __reduce_ex__(self, protocol):
        return list, (list(self),)  # pickled (digested) as the plain list it stands for


def _invalidating(name: str):
    original = getattr(list, name)

    def method(self, *args):
        self._ids = None
        return original(self, *args)

    method.__name__ = name
    return method


for _name in ("append", "extend", "insert", "remove", "pop", "clear", "__setitem__",
              "__delitem__", "__iadd__"):  # fmt: skip
    setattr(Members, _name, _invalidating(_name))


def speed_up(generator) -> None:
    """Before Pelican groups the items (article_generator_pretaxonomy receiver)."""
    if not get_config(generator.settings)["ENABLED"]:
        return
    generator.tags = defaultdict(Members)
    generator.categories = defaultdict(Members)
    generator.authors = defaultdict(Members)
    build = generator._build_period_archives

    def build_period_archives(sorted_articles, articles, settings):
        archives = build(sorted_articles, [], settings)  # groups only; filled below
        for periods in archives.values():
            for archive in periods:
                inside = Members(archive["dates"])
                archive["articles"] = [a for a in articles if a in inside]
        return archives

    generator._build_period_archives = build_period_archives
