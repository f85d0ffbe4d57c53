"""Linear-time grouping in Pelican's ArticlesGenerator, same output.

Pelican 4.12 lists each tag's, column's, author's and period's items with
``[a for a in all_items if a in group]``, ``group`` a plain list: every item once per
group, with a linear ``in``, a third of a 20,000-item build. Here each group is sorted
by its items' places in the list Pelican would scan: the same items in the same order.
"""

from __future__ import annotations

import logging
from functools import partial

from pelican.writers import FileOverwriteFailedError

from .incremental import get_config

logger = logging.getLogger(__name__)


def speed_up(generator) -> None:
    """Before Pelican groups the items (article_generator_pretaxonomy receiver)."""
    if not get_config(generator.settings)["ENABLED"]:
        return
    build = generator._build_period_archives

    def build_period_archives(sorted_articles, articles, settings):
        archives = build(sorted_articles, [], settings)  # groups only; filled below
        order = _positions(articles)
        for periods in archives.values():
            for archive in periods:
                # [a for a in articles if a in dates]: the same items in the same order.
                archive["articles"] = sorted(archive["dates"], key=lambda a: order[id(a)])
        return archives

    generator._build_period_archives = build_period_archives
    for kind in ("tag", "category", "author"):
        setattr(generator, f"generate_{_PLURAL[kind]}", partial(_generate_groups, generator, kind))


_PLURAL = {"tag": "tags", "category": "categories", "author": "authors"}


def _positions(items: list) -> dict[int, int]:
    return {id(item): n for n, item in enumerate(items)}


def _generate_groups(generator, kind: str, write) -> None:
    """Pelican's generate_tags/categories/authors, each group's dates found by sorting.

    Pelican lists a group's items in date order with ``[a for a in dates if a in
    group]``: every item once per tag, column and author. Sorting the group by each
    item's place in ``dates`` gives the same list.
    """
    template = generator.get_template(kind)
    groups = getattr(generator, _PLURAL[kind])
    order = _positions(generator.dates)
    for wrapper, articles in groups.items() if isinstance(groups, dict) else groups:
        dates = sorted(articles, key=lambda a: order[id(a)])
        try:
            write(wrapper.save_as, template, generator.context, url=wrapper.url,
                  **{kind: wrapper}, articles=articles, dates=dates, template_name=kind,
                  blog=True, page_name=wrapper.page_name, all_articles=generator.articles)  # fmt: skip
        except FileOverwriteFailedError:
            if wrapper.slug:
                logger.error("Failed to write %s page for %r.", kind, str(wrapper))
                raise
            logger.info("%s %r has an invalid slug; skipping its page.", kind, str(wrapper))
