"""Write the items' pages in a second process while this one writes everything else.

Once every generator has read its content, the pages of items, columns, tags,
authors and archives (Pelican's ArticlesGenerator, the longest part of a build) are
written by a forked copy of the build; feeds, tally, deputies, sitemap and static
files are written here meanwhile. Both write files no other part writes. The copy
reports what it wrote for the incremental manifest, or its error, which then fails
the build here.
"""

from __future__ import annotations

import logging
import os
import pickle
import resource
import tempfile
import threading
import traceback

from pelican.generators import ArticlesGenerator

from . import incremental

logger = logging.getLogger(__name__)

_CHILD: tuple[int, str] | None = None
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
    global _CHILD
    if _CHILD is not None:  # a build that failed before joining its writer: let it end
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
        _fork(original, writer)

    articles.generate_output = generate_output


def _fork(write, writer) -> None:
    global _CHILD
    handle, result = tempfile.mkstemp(prefix="pelican-pages-", suffix=".pickle")
    os.close(handle)
    pid = os.fork()
    if pid == 0:  # the copy: write, report, leave without running anything else
        code = 0
        try:
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


def join() -> None:
    """Wait for the forked writer; take over what it wrote, or fail with its error."""
    global _CHILD, last_child_peak_mb
    if _CHILD is None:
        return
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
