"""Turn checked content records into the plain items the tally counts."""

from __future__ import annotations

from content_model.config import Site
from content_model.corpus import Corpus, Record

from .count import Placement, TallyItem, as_date

# id(record) -> (the record, its TallyItem), for the records of the last call, and what
# they were made with: a preview session counts after every save, and a record handed
# out again by the parse cache is the very same object, its metadata as it was (the
# deputies, replaced every run, are not counted). Holding the record keeps its id.
_MADE: dict[int, tuple[Record, TallyItem]] = {}
_MADE_WITH: tuple = ()


def tally_items(corpus: Corpus, site: Site) -> list[TallyItem]:
    """Return one TallyItem per news item of the corpus (drafts included)."""
    global _MADE, _MADE_WITH
    groups = {c.name: c.group for c in site.columns}
    places = {o.name: _placement(o) for o in site.outlets}
    known = _MADE if (groups, places) == _MADE_WITH else {}
    made = {}
    result = []
    for record in corpus.items():
        entry = known.get(id(record))
        if entry is None or entry[0] is not record:
            entry = (record, _item(record, groups, places))
        made[id(record)] = entry
        result.append(entry[1])
    _MADE, _MADE_WITH = made, (groups, places)
    return result


def _item(record: Record, groups: dict, places: dict) -> TallyItem:
    meta = record.meta
    unit = meta.get("unit")
    genre = meta.get("genre")
    return TallyItem(
        uid=meta["uid"],
        day=as_date(meta["date"]),
        published=record.published,
        column=meta["column"].name,
        group=groups[meta["column"].name],
        unit=unit.name if unit else None,
        unit_type=unit.extra.get("type") if unit else None,
        authors=tuple(meta.get("authors", ())),
        genre=genre.name if genre else None,
        outlets=tuple(places[o.name] for o in meta.get("outlets", ())),
        submit=tuple(places[o.name] for o in meta.get("submit", ())),
    )


def _placement(outlet) -> Placement:
    return Placement(outlet.name, outlet.extra["level"], bool(outlet.extra.get("online")))
