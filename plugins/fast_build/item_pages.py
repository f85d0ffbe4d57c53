"""Carry an unchanged item's page over in a preview run without keying it again.

Each run of a preview session keys every item's page (incremental.py) to find the
few an edit changed: at 20,000 items, a third of a second on each core, nearly all
of it spent finding that a key is the last run's. An item page's key is made from
the global key (code, theme, settings), its name and arguments (made from the
item's attributes and the settings), what its template reads from the shared
context, and the digests of the item and of the contents it names.

So for each item, what its page was keyed from in the last run is kept: the page's
name, its template and argument names, the digest of what the template read from
the context, and the item's witness (the digest records of the item and of the
contents it names, Digester.witness). In the next run, an item with the same
witness (each record compared equal to what it was, none made afresh), under the
same template reading the same context, has the same key: its page is carried over
under the last run's key, if its files are untouched, without working out its name
or key. Anything else is keyed and written as before, and noted for the next run.

What a run notes is kept only when the run succeeds, and once this process has
digested what only the forked copy digested (session.finish): the witness is then
taken here, from the records the next run compares. A run that fails while writing
items' pages leaves nothing known: the next one keys every page.
"""

from __future__ import annotations

from . import incremental, session

_RUN: _Run | None = None  # the run writing items' pages, until it has finished
_UNSET = object()
# Items' pages carried over without a key in the last run, in both processes (for tests).
last_carried = 0


class _Run:
    """One run's items' pages: what is known of them, and what it notes."""

    def __init__(self, build, known: dict, contents: list):
        self.build = build
        self.known = known  # id of an item -> (item, name, template, names, shared, witness)
        self.contents = contents  # in the order of the positions written
        self.witness, self.holds = build.digester.witness, build.digester.holds
        self.shared: dict[tuple, bytes | None] = {}  # (template, names) -> this run's digest
        # (position, name, template, argument names, shared digest or None if unkeyed)
        self.noted: list[tuple] = []
        self.carried = 0

    def _shared(self, template, context: dict, names: tuple[str, ...]) -> bytes | None:
        # Pelican's loop hands every item's page the same context, unchanged while it
        # runs: what a template reads of it is digested once per run.
        known = self.shared.get((template.name, names), _UNSET)
        if known is _UNSET:
            known = self.build.shared_digest(template, context, names)
            self.shared[template.name, names] = known
        return known

    def carry(self, article, template, context: dict, writer) -> bool:
        """Carry the item's page over if its key is known to be the last run's."""
        known = self.known.get(id(article))
        if known is None or known[0] is not article or known[2] != template.name:
            return False
        shared = self._shared(template, context, known[3])
        if shared is None or shared != known[4] or not self.holds(known[5]):
            return False
        if not self.build.carry(known[1], writer):  # its files changed: written again
            return False
        self.carried += 1
        return True

    def note(self, position: int, name: str, template, context: dict, arguments: dict) -> None:
        """Note how the item's page at `position` was keyed (written as usual)."""
        names = tuple(arguments)
        keyed = self.build.key_in_this_build(name) is not None
        shared = self._shared(template, context, names) if keyed else None
        self.noted.append((position, name, template.name, names, shared))


def begin(_pelican=None) -> None:
    """Start a run (initialized): if the last one ended while writing, trust nothing known."""
    global _RUN
    if _RUN is not None:
        _RUN.known.clear()
    _RUN = None


def start(contents: list) -> None:
    """Before the items' pages of a preview run are written (in the process that forks)."""
    global _RUN
    known, build = session.item_pages(), incremental.keyed_build()
    _RUN = None if known is None or build is None else _Run(build, known, contents)


def current() -> _Run | None:
    """Return this run's items' pages (None: not a preview run with a forked writer)."""
    return _RUN


def handed() -> tuple[list, int]:
    """In the forked writer: what it noted and how many pages it carried over."""
    return (_RUN.noted, _RUN.carried) if _RUN is not None else ([], 0)


def take(noted: tuple[list, int]) -> None:
    """Take what the forked writer noted and carried (`handed`)."""
    if _RUN is not None:
        _RUN.noted.extend(noted[0])
        _RUN.carried += noted[1]


def finish() -> None:
    """After a run that succeeded: keep what it noted, once the copy's digests are made."""
    global _RUN, last_carried
    run, _RUN = _RUN, None
    last_carried = run.carried if run is not None else 0
    if run is not None:
        session.after_run(_keep, run)  # after the session's own (Digester.remember)


def _keep(run: _Run) -> None:
    known = {}
    for item in run.contents:
        old = run.known.get(id(item))
        if old is not None and old[0] is item:  # carried over: it still holds
            known[id(item)] = old
    for position, name, template, names, shared in run.noted:
        item = run.contents[position]
        witness = run.witness(item) if shared is not None else None
        if witness is None:
            known.pop(id(item), None)
        else:
            known[id(item)] = (item, name, template, names, shared, witness)
    run.known.clear()
    run.known.update(known)
