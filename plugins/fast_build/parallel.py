"""Write the items' pages in a second process while this one writes everything else.

Once every generator has read its content, the pages of items, columns, tags,
authors and archives (Pelican's ArticlesGenerator, the longest part of a build) are
written by a forked copy of the build; feeds, tally, deputies, sitemap and static
files are written here meanwhile. The copy writes the list pages first, then the
items' pages; this process, its own part done, writes items' pages too: both draw
runs of items from one queue (a pipe filled before the fork), so neither waits
for the other while pages are left. No file is written by both. The copy reports
what it wrote for the incremental manifest, or its error, which then fails the
build here.
"""

from __future__ import annotations

import logging
import os
import pickle
import resource
import struct
import tempfile
import threading
import traceback
from functools import partial
from itertools import chain

from pelican.generators import ArticlesGenerator

from . import incremental

logger = logging.getLogger(__name__)

_CHILD: tuple[int, str] | None = None
_SHARED: tuple | None = None  # (the queue, the articles generator, the writer) until joined
# Items' pages per draw from the queue; more when there are many items, so that the
# queue fits the smallest pipe Linux gives (one page, 4096 bytes: 1024 draws).
RUN = 40
_MOST_RUNS = 1024
_DRAW = struct.Struct("<I")
# The forked process's peak memory in MB, after a build that used one (for `invoke bench`).
last_child_peak_mb = 0.0


class ParallelWriteFailed(RuntimeError):
    """The process writing the items' pages failed; its error is the message."""


def _possible() -> bool:
    # A process with other threads (the preview server) is not forked: a lock held
    # by another thread at that moment would stay locked in the copy.
    return (os.cpu_count() or 1) > 1 and hasattr(os, "fork") and threading.active_count() == 1


def split(generators) -> None:
    """Have the items' pages written by a forked process (all_generators_finalized)."""
    global _CHILD, _SHARED
    if _CHILD is not None:  # a build that failed before joining its writer: let it end
        if _SHARED is not None:
            _SHARED[0].close()
            _SHARED = None
        os.waitpid(_CHILD[0], 0)
        _CHILD = None
    config = incremental.get_config(generators[0].settings) if generators else {}
    if not config.get("PARALLEL"):
        return
    if not _possible() or config["PREVIEW"]:
        # A rebuild in a preview session renders few pages, from articles and digests
        # it already has (a forked writer's digests would be lost to the next run):
        # copying the large process costs more than it saves. A new process (invoke
        # build) still has every page's key to make: that is worth a copy.
        return
    articles = next((g for g in generators if isinstance(g, ArticlesGenerator)), None)
    if articles is None:
        return
    original = articles.generate_output

    def generate_output(writer):
        _fork(articles, original, writer)

    articles.generate_output = generate_output


class _Queue:
    """Runs of items' pages, as the starting position of each, drawn by either process."""

    def __init__(self, count: int):
        self.run = max(RUN, -(-count // _MOST_RUNS))
        self.read, write = os.pipe()
        data = b"".join(_DRAW.pack(start) for start in range(0, count, self.run))
        try:
            while data:
                data = data[os.write(write, data) :]
        finally:
            os.close(write)  # an empty queue then reads as the end

    def draw(self) -> int | None:
        """Return the first position of the next run nobody has drawn, or None."""
        data = os.read(self.read, _DRAW.size)
        if not data:
            return None
        if len(data) != _DRAW.size:  # reads of whole draws never split on Linux
            raise RuntimeError("the queue of items' pages was read in part")
        return _DRAW.unpack(data)[0]

    def close(self) -> None:
        """Stop drawing (the other process then draws the rest)."""
        os.close(self.read)


def _drawing(write, queue: _Queue):
    """Wrap Pelican's write of each item's page: write only the runs drawn from the queue.

    Pelican's loop over the items runs whole in both processes (its signal for each
    item included), in the same order; each writes the pages at the positions it drew.
    """
    position, start, end = -1, 0, 0  # this process's run: [start, end); None: no more

    def write_drawn(*args, **kwargs):
        nonlocal position, start, end
        position += 1
        while end is not None and position >= end:
            start = queue.draw()  # in increasing order: the queue is first in, first out
            end = None if start is None else start + queue.run
        if end is not None and position >= start:
            write(*args, **kwargs)

    return write_drawn


def _items_pages(articles: ArticlesGenerator, writer, queue: _Queue) -> None:
    """Write the items' pages drawn from the queue, as Pelican's generate_articles does."""
    write = partial(writer.write_file, relative_urls=articles.settings["RELATIVE_URLS"])
    type(articles).generate_articles(articles, _drawing(write, queue))


def _fork(articles: ArticlesGenerator, write, writer) -> None:
    global _CHILD, _SHARED
    count = sum(1 for _ in chain(articles.translations, articles.articles,
                                 articles.hidden_translations, articles.hidden_articles))  # fmt: skip
    queue = _Queue(count)
    handle, result = tempfile.mkstemp(prefix="pelican-pages-", suffix=".pickle")
    os.close(handle)
    pid = os.fork()
    if pid == 0:  # the copy: write, report, leave without running anything else
        code = 0
        try:
            # The list pages first (Pelican writes drafts last), then the items' pages
            # this process draws.
            drafts = articles.generate_drafts

            def drafts_then_items(draft_write):
                drafts(draft_write)
                if CHILD_WRITES_ITEMS:
                    _items_pages(articles, writer, queue)

            articles.generate_articles = lambda _write: None
            articles.generate_drafts = drafts_then_items
            write(writer)
            payload = {"pages": incremental.written_pages()}
        except BaseException:  # noqa: BLE001 - every failure goes back to the parent
            payload = {"error": traceback.format_exc()}
            code = 1
        payload["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        try:
            with open(result, "wb") as out:
                pickle.dump(payload, out)
        finally:
            os._exit(code)
    _CHILD = (pid, result)
    _SHARED = (queue, articles, writer)


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
    global _CHILD, last_child_peak_mb
    if _CHILD is None:
        return
    try:
        help_write()
    finally:
        pid, result = _CHILD
        _CHILD = None
        os.waitpid(pid, 0)
    try:
        with open(result, "rb") as handle:
            payload = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError):
        payload = {"error": "生成稿件页面的进程意外退出。"}
    finally:
        if os.path.exists(result):
            os.unlink(result)
    last_child_peak_mb = payload.get("peak_mb", 0.0)
    if "error" in payload:
        logger.debug("the items' pages writer failed:\n%s", payload["error"])
        raise ParallelWriteFailed(payload["error"].strip().splitlines()[-1])
    incremental.take_pages(payload["pages"])
