"""Who appears where: a deputy's items and their counts. Plain data only."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Profile:
    """A deputy with the published items that name them, newest first."""

    id: str
    name: str
    delegation: str
    meta: dict[str, Any]
    bio: str
    items: list = field(default_factory=list)

    def by_column(self, columns: list[str]) -> list[tuple[str, int]]:
        """Return (column, count) for columns with items, in declared order."""
        counts = Counter(item.column.name for item in self.items)
        return [(name, counts[name]) for name in columns if counts[name]]

    def by_year(self) -> list[tuple[int, int]]:
        """Return (year, count), newest year first."""
        return sorted(Counter(item.date.year for item in self.items).items(), reverse=True)


def profiles(deputies: list, articles: list) -> list[Profile]:
    """Return a Profile per deputy record, each with the articles naming them."""
    result = {
        d.meta["slug"]: Profile(
            id=d.meta["slug"],
            name=d.meta["name"],
            delegation=d.meta["delegation"].name,
            meta=d.meta,
            bio=d.html,
        )
        for d in deputies
    }
    for article in sorted(articles, key=lambda a: a.date, reverse=True):
        for ref in getattr(article, "deputies", []):
            result[ref.id].items.append(article)
    return list(result.values())


def directory(
    all_profiles: list[Profile], delegations: list[str]
) -> list[tuple[str, list[Profile]]]:
    """Group profiles by delegation in declared order; names sorted inside."""
    groups = []
    for name in delegations:
        members = sorted(
            (p for p in all_profiles if p.delegation == name), key=lambda p: (p.name, p.id)
        )
        if members:
            groups.append((name, members))
    return groups
