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
cycle (a build's items and its context point to each other) stay until they are
handed back. A build outside a preview session puts Python's thresholds back at
its end but leaves its heap frozen. Most such builds end their process (`pelican`,
`invoke build`): handed back, the heap would be scanned in full at the first full
collection after the build (a second at 20,000 items, at a moment nobody chose:
within the end of the run or at the process's exit) and its cycles freed one by one
(three seconds more at exit). The next build in the same process hands it back
when it starts, and collects it before it reads anything. A preview session's heap
is collected and frozen again between runs instead (`session.settle`), its full
collections spaced all along.
"""

from __future__ import annotations

import gc

from . import session

SPACED = 100  # younger collections between two full ones while frozen (Python: 10)
_USUAL: tuple[int, int, int] | None = None  # the thresholds before the first freeze
_LEFT = False  # a build outside a preview session froze what it held (see module)


def freeze(*_) -> None:
    """Freeze what the build holds now (article_generator_init, plan)."""
    global _USUAL, _LEFT
    gc.freeze()
    if not session.defers():
        _LEFT = True
    if _USUAL is None:
        _USUAL = gc.get_threshold()
        gc.set_threshold(_USUAL[0], _USUAL[1], max(_USUAL[2], SPACED))


def finish() -> None:
    """Put Python's thresholds back at the end of a build outside a preview session.

    What was frozen stays frozen until the next build starts (see module).
    """
    global _USUAL
    if _USUAL is not None:
        gc.set_threshold(*_USUAL)
        _USUAL = None


def begin(*_) -> None:
    """Start of a run (initialized): hand back what an earlier build left frozen.

    Also after a build that failed halfway (its thresholds are put back too).
    """
    global _LEFT
    if _LEFT:
        _LEFT = False
        gc.unfreeze()
        finish()
        gc.collect()
