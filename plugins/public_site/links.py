"""Links between items: neighbours in a column and related items.

Plain functions over plain records, so they are tested without a site and stay
linear in the number of items (a city archive holds tens of thousands).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Linkable:
    """What linking needs to know of an item."""

    key: Hashable
    date: datetime
    column: str
    topics: frozenset[str]  # tags and deputies, prefixed so they never collide


def neighbours(
    items: Sequence[Linkable],
) -> dict[Hashable, tuple[Hashable | None, Hashable | None]]:
    """Return, per item, the (older, newer) item of the same column."""
    by_column: dict[str, list[Linkable]] = defaultdict(list)
    for item in items:
        by_column[item.column].append(item)
    result = {}
    for column_items in by_column.values():
        column_items.sort(key=lambda i: (i.date, str(i.key)))
        for index, item in enumerate(column_items):
            older = column_items[index - 1].key if index > 0 else None
            newer = column_items[index + 1].key if index + 1 < len(column_items) else None
            result[item.key] = (older, newer)
    return result


def related(items: Sequence[Linkable], limit: int = 5, window: int = 30) -> dict[Hashable, list]:
    """Return, per item, up to `limit` items sharing the most tags or deputies.

    Ties go to the closest in date. Only the `window` items nearest in date under
    each shared topic are considered, which keeps the work linear when a topic
    is on thousands of items.
    """
    by_topic: dict[str, list[Linkable]] = defaultdict(list)
    for item in items:
        for topic in item.topics:
            by_topic[topic].append(item)
    positions: dict[str, dict[Hashable, int]] = {}
    for topic, members in by_topic.items():
        members.sort(key=lambda i: (i.date, str(i.key)))
        positions[topic] = {m.key: n for n, m in enumerate(members)}
    result = {}
    stamps = {item.key: item.date.timestamp() for item in items}
    for item in items:
        scores: dict[Hashable, int] = defaultdict(int)
        for topic in item.topics:
            members = by_topic[topic]
            at = positions[topic][item.key]
            for other in members[max(0, at - window) : at + window + 1]:
                scores[other.key] += 1
        scores.pop(item.key, None)
        when = stamps[item.key]
        result[item.key] = [
            key
            for key, _ in heapq.nsmallest(
                limit,
                scores.items(),
                key=lambda pair: (-pair[1], abs(stamps[pair[0]] - when), str(pair[0])),
            )
        ]
    return result
