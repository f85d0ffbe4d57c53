"""Turn checked content records into the plain items the tally counts."""

from __future__ import annotations

from content_model.config import Site
from content_model.corpus import Corpus, PerRecord, Record

from .count import Placement, TallyItem, as_date

_ITEMS = PerRecord()  # a preview session counts after every save


def tally_items(corpus: Corpus, site: Site) -> list[TallyItem]:
    """Return one TallyItem per news item of the corpus (drafts included)."""
    groups = {c.name: c.group for c in site.columns}
    places = {o.name: _placement(o) for o in site.outlets}
    return _ITEMS.map(corpus.items(), (groups, places), lambda r: _item(r, groups, places))


def _item(record: Record, groups: dict, places: dict) -> TallyItem:
    """Return the record's item; `groups` and `places` by column and outlet name."""
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
