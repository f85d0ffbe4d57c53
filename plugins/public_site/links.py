"""Links between items: neighbours in a column and related items.

Plain functions over plain records, so they are tested without a site and stay
linear in the number of items (a city archive holds tens of thousands).
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
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
    return related_since(None, items, limit, window)[0]


class _Topics:
    """Each topic's items in date order, and each item's place there."""

    def __init__(self, items: Sequence[Linkable]):
        self.items = {item.key: item for item in items}
        self.members: dict[str, list[Linkable]] = defaultdict(list)
        for item in items:
            for topic in item.topics:
                self.members[topic].append(item)
        self.positions: dict[str, dict[Hashable, int]] = {}
        for topic, members in self.members.items():
            members.sort(key=lambda i: (i.date, str(i.key)))
            self.positions[topic] = {m.key: n for n, m in enumerate(members)}

    def near(self, key: Hashable, reach: int) -> set[Hashable]:
        """Return the items within `reach` places of `key` under any of its topics."""
        item = self.items.get(key)
        found: set[Hashable] = set()
        for topic in item.topics if item is not None else ():
            at = self.positions[topic][key]
            found.update(m.key for m in self.members[topic][max(0, at - reach) : at + reach + 1])
        return found


def _placed_alike(one: Linkable | None, other: Linkable | None) -> bool:
    """Whether two records of an item (None: absent) rank the same in `related`."""
    if one is None or other is None:
        return one is other
    return one.date == other.date and one.topics == other.topics


def related_since(
    last: tuple | None, items: Sequence[Linkable], limit: int = 5, window: int = 30
) -> tuple[dict[Hashable, list], tuple]:
    """Return (related, state): `related` of the items, and what the next call reuses.

    `last` is the state a call returned before (or None). An item's related items
    come from the `window` items around it under each of its topics, so an added,
    removed or changed item can only change the result of items within that reach of
    it, in the old order or in the new; every other item keeps its last result. Only
    an item's date and topics count: one moved to another column changes nothing here.
    """
    old = last[0] if last is not None and last[2] == (limit, window) else None
    if old is None:
        topics = _Topics(items)
        todo = list(topics.items)
    else:
        now = {item.key: item for item in items}
        changed = {
            key
            for key in old.items.keys() | now.keys()
            if not _placed_alike(old.items.get(key), now.get(key))
        }
        if not changed:  # the same dates and topics: the same related items
            return dict(last[1]), last
        topics = _Topics(items)
        reach = window + 1
        todo = changed.union(*(t.near(key, reach) for key in changed for t in (old, topics)))
        todo = [key for key in topics.items if key in todo]
    result = dict(last[1]) if old is not None else {}
    for key in result.keys() - topics.items.keys():
        del result[key]
    stamps = {item.key: item.date.timestamp() for item in items}
    keys: dict[str, list] = {}  # each topic's members' keys, for the topics of `todo`
    for key in todo:
        scores: Counter[Hashable] = Counter()
        for topic in topics.items[key].topics:
            at = topics.positions[topic][key]
            if topic not in keys:
                keys[topic] = [m.key for m in topics.members[topic]]
            scores.update(keys[topic][max(0, at - window) : at + window + 1])  # counted in C
        del scores[key]
        when = stamps[key]
        # Only items sharing as many topics as the limit-th can rank; they are sorted by
        # (more topics, closer in date, key), the order they came in breaking what is left.
        least = heapq.nlargest(limit, scores.values())[-1] if len(scores) > limit else 0
        ranked = sorted([
            (-shared, abs(stamps[other] - when), str(other), order, other)
            for order, (other, shared) in enumerate(scores.items())
            if shared >= least
        ])  # fmt: skip
        result[key] = [entry[-1] for entry in ranked[:limit]]
    return result, (topics, result, (limit, window))
