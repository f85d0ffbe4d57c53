"""Turn checked content records into the plain items the tally counts."""

from __future__ import annotations

from content_model.config import Site
from content_model.corpus import Corpus

from .count import Placement, TallyItem, as_date


def tally_items(corpus: Corpus, site: Site) -> list[TallyItem]:
    """Return one TallyItem per news item of the corpus (drafts included)."""
    groups = {c.name: c.group for c in site.columns}
    places = {o.name: _placement(o) for o in site.outlets}
    result = []
    for record in corpus.items():
        meta = record.meta
        unit = meta.get("unit")
        genre = meta.get("genre")
        result.append(
            TallyItem(
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
        )
    return result


def _placement(outlet) -> Placement:
    return Placement(outlet.name, outlet.extra["level"], bool(outlet.extra.get("online")))
