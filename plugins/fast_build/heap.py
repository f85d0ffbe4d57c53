"""Keep Python's cyclic collector off what a build holds until its end.

From the content check on, a build holds millions of objects to its last page
(records, items and their metadata: ~1 GB at 20,000 items). Python's collector
scans every tracked object at each full collection, and a build that keeps
allocating triggers one whenever the survivors grow by a quarter: eight at 20,000
items, four seconds of a cold build spent finding nothing to free. Once every file
is read, and again once every generator has read its content (just before the
items' writer is forked), what the build holds is frozen: later collections look
only at the objects made after that.

Frozen objects are never freed by the collector: objects that became garbage in a
cycle (a build's items and its context point to each other) would stay for the
life of the process. A build outside a preview session thaws them at its end; a
preview session's heap is collected and frozen again between runs (`session.settle`).
"""

from __future__ import annotations

import gc


def freeze(*_) -> None:
    """Freeze what the build holds now (article_generator_init, plan)."""
    gc.freeze()


def thaw() -> None:
    """Hand what was frozen back to the collector (the end of a build)."""
    gc.unfreeze()
