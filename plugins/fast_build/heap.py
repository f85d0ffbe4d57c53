"""Keep Python's cyclic collector off what a build holds until its end.

From the content check on, a build holds millions of objects to its last page
(records, items and their metadata: ~1 GB at 20,000 items). Python's collector
scans every tracked object at each full collection, and a build that keeps
allocating triggers one whenever the survivors grow by a quarter: eight at 20,000
items, four seconds of a cold build spent finding nothing to free. Once every file
is read, and again once every generator has read its content (just before the
items' writer is forked), what the build holds is frozen: later collections look
only at the objects made after that. That leaves few objects unfrozen, and Python
starts a full collection whenever they grew by a quarter, at most every tenth
younger collection: twenty of them in the rest of a 20,000-item build, two more
seconds. While frozen, full collections wait for a hundred younger ones (cycles
of young objects are still freed by the younger collections).

Frozen objects are never freed by the collector: objects that became garbage in a
cycle (a build's items and its context point to each other) would stay for the
life of the process. A build outside a preview session thaws them at its end and
puts Python's thresholds back; a preview session's heap is collected and frozen
again between runs (`session.settle`), its full collections spaced all along.
"""

from __future__ import annotations

import gc

SPACED = 100  # younger collections between two full ones while frozen (Python: 10)
_USUAL: tuple[int, int, int] | None = None  # the thresholds before the first freeze


def freeze(*_) -> None:
    """Freeze what the build holds now (article_generator_init, plan)."""
    global _USUAL
    gc.freeze()
    if _USUAL is None:
        _USUAL = gc.get_threshold()
        gc.set_threshold(_USUAL[0], _USUAL[1], max(_USUAL[2], SPACED))


def thaw() -> None:
    """Hand what was frozen back to the collector, as it was (the end of a build)."""
    global _USUAL
    gc.unfreeze()
    if _USUAL is not None:
        gc.set_threshold(*_USUAL)
        _USUAL = None
