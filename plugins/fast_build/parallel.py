"""Write the items' pages in a second process while this one writes everything else.

Once every generator has read its content, the pages of items, columns, tags,
authors and archives (Pelican's ArticlesGenerator, the longest part of a build) are
written by a forked copy of the build; feeds, tally, deputies, sitemap and static
files are written here meanwhile. The copy writes the list pages first, then the
items' pages; this process, its own part done, writes items' pages too: both draw
runs of items from one queue (a pipe filled before the fork), so neither waits
for the other while pages are left. No file is written by both. The copy reports
what it wrote for the incremental manifest, or its error, which then fails the
build here. Every page's key needs the digests of all items: right after the fork,
each process digests half of them and takes the other's half (`_Exchange`). A
preview session's rebuild forks too, for a large site: there this process first
compares every item kept from the last run with what it was (its own digest), then
each process digests what else it needs, and the session remembers what only the
copy digested while it waits for the next save (fingerprint.Digester.remember).
There, an unchanged item's page is carried over without working out its key
(item_pages.py); the copy hands back what it learnt of the pages it keyed,
and the templates it compiled (the list pages', which only it renders).

Before that, while Pelican reads its articles on one core, work that needs only the
checked content can be done ahead in a forked copy on the other (`work_ahead`: the tally's
counts and exports, the items' links). The items' writer is not forked while that copy
is still at work (at 20,000 items it outlasts the reading by several seconds): this
process writes the feeds meanwhile and forks the writer at its first `fork_point` after
the copy ended (or before it waits for the copy's results, its core idle otherwise).
Two processes at a time, not three, each hold their own copies of the pages they write
to: 810 → 680 MB on the machine for a cold build at 20,000 items, in the same time.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import re
import resource
import signal
import tempfile
import threading
import traceback
from collections.abc import Callable
from functools import partial
from itertools import chain

from pelican import signals
from pelican.generators import ArticlesGenerator

from content_model.content_model import CONTEXT_KEY
from content_model.memory import give_back
from content_model.workers import MOST_RUNS, RunQueue

from . import incremental, item_pages, session

logger = logging.getLogger(__name__)

_CHILD: _Copy | None = None
_SHARED: tuple | None = None  # (the queue, the articles generator, the writer) until joined
# From this many items, a preview session's rebuild writes the items' pages in a copy.
PREVIEW_FROM = 2000
# Items' pages per draw from the queue; more when there are many items, so that the
# queue fits the smallest pipe Linux gives (MOST_RUNS draws).
RUN = 40
# The forked writer's peak memory in MB (shared pages included), and what it alone held
# at its end, after a build that used one (for `invoke bench`).
last_child_peak_mb = last_child_own_mb = 0.0


class ParallelWriteFailed(RuntimeError):
    """The process writing the items' pages failed; its error is the message."""


def _possible() -> bool:
    # A process with other threads (the preview server) is not forked: a lock held
    # by another thread at that moment would stay locked in the copy.
    return (os.cpu_count() or 1) > 1 and hasattr(os, "fork") and threading.active_count() == 1


def _may_fork(settings: dict, items: int | None = None) -> bool:
    """Whether a copy may work alongside: for the items' pages when `items` is given.

    A new process (invoke build) has every page's key to make: worth a copy. A
    preview session's rebuild keys every page too, from digests it mostly has: its
    items' pages are worth a copy from PREVIEW_FROM items on (below, copying the
    process costs more than it saves). What only the copy digests, the session digests
    while it waits for the next save (session.finish). Its work-ahead is not worth a
    copy: it would lay out every period of the tally again.
    """
    config = incremental.get_config(settings)
    if not config["PARALLEL"] or not _possible():
        return False
    return not config["PREVIEW"] or (items is not None and items >= PREVIEW_FROM)


def split(generators) -> None:
    """Have the items' pages written by a forked process (all_generators_finalized)."""
    global _CHILD, _SHARED, _PENDING
    _PENDING = None
    if _CHILD is not None:  # a build that failed before joining its writer: let it end
        if _SHARED is not None:
            _SHARED[0].close()
            _SHARED = None
        _CHILD.reap()
        _CHILD = None
    articles = next((g for g in generators if isinstance(g, ArticlesGenerator)), None)
    if articles is None:
        return
    items = len(articles.articles) + len(articles.translations)
    if not _may_fork(articles.settings, items):
        return
    original = articles.generate_output

    def generate_output(writer):
        global _PENDING
        _PENDING = partial(_fork, articles, original, writer)
        fork_point()

    articles.generate_output = generate_output


# The items' writer, held back while the copy working ahead is still at work: forked
# beside it, three processes would each hold their own copy of the pages of the heap
# they write to (at 20,000 items, the copy ahead alone ~200 MB) and share two cores.
# This process goes on with what else it writes, and forks the writer at the first
# `fork_point` after that copy is gone, or, if it comes to wait for that copy's
# results first, before it waits: its core would idle otherwise.
_PENDING: Callable[[], None] | None = None


def fork_point(waiting: bool = False) -> None:
    """Fork the items' writer held back, if the copy working ahead is gone or `waiting`.

    Called by long work in this process between its steps (each month of the feeds),
    and before it waits for the work ahead (`waiting`).
    """
    global _PENDING
    if _PENDING is not None and (waiting or not (_AHEAD is not None and _AHEAD[0].running())):
        _PENDING, fork = None, _PENDING
        fork()


def _queue(count: int) -> RunQueue:
    """Return the queue of `count` items' pages: runs of RUN, longer where it must."""
    return RunQueue(count, max(RUN, -(-count // MOST_RUNS)))


def _drawn(queue: RunQueue) -> Callable[[int], bool]:
    """Return whether this process writes the item's page at a position.

    Asked for every position in increasing order, in both processes; each process
    answers yes for the runs it drew from the queue.
    """
    start, end = 0, 0  # this process's run: [start, end); end None: no more

    def mine(position: int) -> bool:
        nonlocal start, end
        while end is not None and position >= end:
            start = queue.draw()  # in increasing order: the queue is first in, first out
            end = None if start is None else start + queue.run
        return end is not None and position >= start

    return mine


def _contents(articles: ArticlesGenerator):
    """Return the contents whose pages Pelican's generate_articles writes, in its order.

    A position in it is what the queue hands out, in both processes.
    """
    return chain(articles.translations, articles.articles,
                 articles.hidden_translations, articles.hidden_articles)  # fmt: skip


def _items_pages(articles: ArticlesGenerator, writer, queue: RunQueue) -> None:
    """Write the items' pages drawn from the queue, as Pelican's generate_articles does.

    Pelican's loop (pelican/generators.py, 4.12) runs whole in both processes, its
    signal for each item included, in the same order; an item's page, its address
    and template are worked out only by the process that drew it (with Pelican's
    own loop, both processes worked them out for every item).
    """
    # Both processes writing items' pages at once is a build's peak of memory: each
    # first hands back what it freed so far (list pages, feeds), its own copy once written.
    give_back()
    mine = _drawn(queue)
    relative_urls = articles.settings["RELATIVE_URLS"]
    context = articles.context
    pages = item_pages.current()  # a preview's: what is known of the last run's
    for position, article in enumerate(_contents(articles)):
        signals.article_generator_write_article.send(articles, content=article)
        if not mine(position):
            continue
        template = articles.get_template(article.template)
        if pages is not None and pages.carry(article, template, context, writer):
            continue
        name = article.save_as
        arguments = {"article": article, "category": getattr(article, "category", None),
                     "blog": True}  # fmt: skip
        writer.write_file(
            name,
            template,
            context,
            relative_urls=relative_urls,
            override_output=hasattr(article, "override_save_as"),
            url=article.url,
            **arguments,
        )
        if pages is not None:
            pages.note(position, name, template, context, arguments)


def _fork(articles: ArticlesGenerator, write, writer) -> None:
    global _CHILD, _SHARED
    contents = list(_contents(articles))
    queue = _queue(len(contents))
    digester = incremental.digester()
    # Digests a later run reuses are made by the process that keeps them (adopt).
    exchange = None
    if digester is not None and not digester.across_builds:
        exchange = _Exchange(contents, digester)
    elif digester is not None:  # a preview's: compared here once, for both processes
        digester.recheck(contents)
        item_pages.start(contents)

    def pages():
        # The list pages first (Pelican writes drafts last), then the items' pages
        # this process draws.
        compiled = session.compiled_known()
        drafts = articles.generate_drafts

        def drafts_then_items(draft_write):
            drafts(draft_write)
            if CHILD_WRITES_ITEMS:
                _items_pages(articles, writer, queue)

        articles.generate_articles = lambda _write: None
        articles.generate_drafts = drafts_then_items
        write(writer)
        return incremental.written_pages(), item_pages.handed(), session.compiled_since(compiled)

    if exchange is None:
        _CHILD = _Copy([pages])
    else:
        _CHILD = _Copy([exchange.copys_half, exchange.take_this_half, pages])
        _CHILD.paths.append(exchange.path)  # deleted with the copy's files, if left
    _SHARED = (queue, articles, writer)
    if exchange is not None:
        exchange.here()


class _Exchange:
    """Both processes digest every item (each page's key needs them): each does half.

    Right after the fork, the copy digests the odd positions and this process the
    even ones; each then takes the other's (the contents are the very same objects
    at the same addresses in both, as forked). A half that does not come (its
    process failed) is only work left undone: digests are made when first needed.
    """

    def __init__(self, contents: list, digester):
        self.contents = contents
        self.digester = digester
        handle, self.path = tempfile.mkstemp(prefix="pelican-digests-", suffix=".pickle")
        os.close(handle)
        self.read, self.write = os.pipe()  # one byte: this process's half is written

    def _half(self, first: int) -> list:
        return self.digester.share(self.contents, range(first, len(self.contents), 2))

    def copys_half(self) -> list:
        """In the copy: digest the odd positions (sent back as the copy's first result)."""
        os.close(self.write)
        return self._half(1)

    def take_this_half(self) -> None:
        """In the copy: wait for this process's half, and take it."""
        try:
            if os.read(self.read, 1):
                with open(self.path, "rb") as handle:
                    self.digester.adopt(self.contents, pickle.load(handle))
        finally:
            os.close(self.read)

    def here(self) -> None:
        """In this process: digest the even positions, hand them over, take the copy's."""
        os.close(self.read)
        try:
            with open(self.path, "wb") as handle:
                pickle.dump(self._half(0), handle)
            os.write(self.write, b"\1")
        finally:
            os.close(self.write)  # without the byte, the copy goes on without this half
        copys = _CHILD.outcome(0)
        if "result" in copys:
            self.digester.adopt(self.contents, copys["result"])


class _Copy:
    """A forked copy of this process working out results in order, each told when done.

    Each result goes to a file of its own, then one byte down a pipe says it is there
    (a byte never fills the pipe, so the copy never waits for this process). A result
    is {"result": ...} or {"error": its traceback}, with the copy's peak memory and its
    own memory so far. The copy leaves without running anything else.
    """

    def __init__(self, functions: list):
        self.paths = []
        for _ in functions:
            handle, path = tempfile.mkstemp(prefix="pelican-fork-", suffix=".pickle")
            os.close(handle)
            self.paths.append(path)
        self.read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            code = 0
            try:
                os.close(self.read)
                for function, path in zip(functions, self.paths, strict=True):
                    try:
                        payload = {"result": function()}
                    except BaseException:  # noqa: BLE001 - every failure goes back
                        payload = {"error": traceback.format_exc()}
                        code = 1
                    payload["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                    payload["own_mb"] = _own_mb()
                    with open(path, "wb") as out:
                        pickle.dump(payload, out)
                    os.write(write, b"\1")
            finally:
                os._exit(code)
        os.close(write)
        _UNREAPED.add(self)
        self.results = len(functions)
        self.told = 0  # results the copy said are there
        self.waiting = set(range(len(functions)))  # results not taken yet

    def outcome(self, index: int) -> dict:
        """Wait for result `index` and return it (an error if the copy left without)."""
        while self.told <= index and self.read is not None:
            if os.read(self.read, 1):
                self.told += 1
            else:  # the copy is gone
                self._close()
        payload = {"error": "生成网站的辅助进程意外退出。", "peak_mb": 0.0, "own_mb": 0.0}
        if index < self.told:
            with open(self.paths[index], "rb") as handle:
                payload = pickle.load(handle)
        self.waiting.discard(index)
        if not self.waiting:
            self.reap()
        return payload

    def running(self) -> bool:
        """Whether the copy is still at work (asked without reaping it)."""
        flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
        return bool(self.pid) and os.waitid(os.P_PID, self.pid, flags) is None

    def _close(self) -> None:
        if self.read is not None:
            os.close(self.read)
            self.read = None

    def reap(self) -> None:
        """Let the copy end; delete what it left."""
        self._close()
        if self.pid:
            os.waitpid(self.pid, 0)
            self.pid = 0
        for path in self.paths:
            if os.path.exists(path):
                os.unlink(path)
        _UNREAPED.discard(self)

    def stop(self) -> None:
        """End the copy now, whatever it is doing; delete what it left."""
        if self.running():
            os.kill(self.pid, signal.SIGTERM)
        self.reap()


# Copies not reaped yet. A build that fails before it takes a copy's results (an error
# in this process) leaves the copy to the next build in this process or, if none comes,
# to the process's end: there the copy is stopped and its files deleted.
_UNREAPED: set[_Copy] = set()


@atexit.register
def _stop_all() -> None:
    for copy in list(_UNREAPED):
        copy.stop()


def _own_mb() -> float:
    """Return the memory only this process holds, in MB (0 where the system does not tell).

    Pages it shares with the process it was forked from are left out.
    """
    try:
        with open("/proc/self/smaps_rollup", encoding="ascii") as handle:
            text = handle.read()
    except OSError:
        return 0.0
    return sum(int(kb) for kb in re.findall(r"^Private_\w+:\s+(\d+) kB", text, re.M)) / 1024


def help_write() -> None:
    """Write items' pages left in the queue, alongside the forked writer."""
    global _SHARED
    if _SHARED is None:
        return
    queue, articles, writer = _SHARED
    _SHARED = None
    try:
        if HELP:
            _items_pages(articles, writer, queue)
    finally:
        queue.close()


# Whether this process writes items' pages too (tests turn it off to have the copy
# write them all, or the copy's off to have this process write them all).
HELP = True
CHILD_WRITES_ITEMS = True


def join() -> None:
    """Write what pages are left with the forked writer; then take over what it wrote."""
    global _CHILD, last_child_peak_mb, last_child_own_mb
    fork_point(waiting=True)  # still held back: the work ahead was not all taken
    if _CHILD is None:
        return
    try:
        help_write()
    finally:
        child, _CHILD = _CHILD, None
        payload = child.outcome(child.results - 1)  # its last: the pages it wrote
        child.reap()  # the halves' results are not all taken when this process failed
    last_child_peak_mb, last_child_own_mb = payload["peak_mb"], payload["own_mb"]
    if "error" in payload:
        logger.debug("the items' pages writer failed:\n%s", payload["error"])
        raise ParallelWriteFailed(payload["error"].strip().splitlines()[-1])
    written, noted, compiled = payload["result"]
    incremental.take_pages(written)
    item_pages.take(noted)
    session.adopt_compiled(compiled)


class AheadFailed(RuntimeError):
    """The copy working ahead failed; the message is its traceback."""


# Work that needs only the checked content, registered by plugins: name -> function of
# the articles' generator (its settings and context), returning what pickles.
_WORK: dict[str, Callable] = {}
_AHEAD: tuple[_Copy, list[str]] | None = None  # the copy started ahead, and its work
# From this many content files, work is started ahead (a smaller site's takes less
# than copying the process costs).
AHEAD_FROM = 2000
# The copy's peak memory (shared pages included) and its own memory in MB, in the
# last build that started one (for `invoke bench`).
last_ahead_peak_mb = last_ahead_own_mb = 0.0


def work_ahead(name: str, function: Callable) -> None:
    """Have `function(articles_generator)` worked out ahead, in a copy (see `start_ahead`)."""
    _WORK[name] = function


def start_ahead(generator) -> None:
    """Start the registered work in one forked copy once the content is checked.

    The copy does it on the core left idle while Pelican reads its articles here
    (article_generator_init, after the content check), instead of on the two busy
    ones later; each result is ready as soon as the copy is done with it.
    """
    global _AHEAD
    begin()
    corpus = generator.context.get(CONTEXT_KEY)
    if not _WORK or corpus is None or len(corpus.records) < AHEAD_FROM:
        return
    if _may_fork(generator.settings):
        names = list(_WORK)
        _AHEAD = (_Copy([partial(_WORK[name], generator) for name in names]), names)


def ahead_result(name: str):
    """Return what the copy worked out for `name`, or None if no copy worked on it.

    Raise AheadFailed if the copy failed at it. Each result is taken once.
    """
    global last_ahead_peak_mb, last_ahead_own_mb
    if _AHEAD is None or name not in _AHEAD[1] or _AHEAD[1].index(name) not in _AHEAD[0].waiting:
        return None
    fork_point(waiting=True)
    payload = _AHEAD[0].outcome(_AHEAD[1].index(name))
    last_ahead_peak_mb = max(last_ahead_peak_mb, payload["peak_mb"])
    last_ahead_own_mb = max(last_ahead_own_mb, payload["own_mb"])
    if "error" in payload:
        raise AheadFailed(payload["error"])
    return payload["result"]


def begin(pelican=None) -> None:
    """Start a build: end a copy a failed build started ahead; forget its memory."""
    global _AHEAD, last_ahead_peak_mb, last_ahead_own_mb
    if _AHEAD is not None:
        _AHEAD[0].reap()
        _AHEAD = None
    last_ahead_peak_mb = last_ahead_own_mb = 0.0
