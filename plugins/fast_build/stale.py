"""A preview run builds in place: afterwards, delete what the run did not make.

Pelican empties the output folder before a build (DELETE_OUTPUT_DIRECTORY), so no
page of a deleted item survives. A build here moves the last build aside instead
and moves back the pages it carries over — one rename per file, and a folder made
again for each: at 20,000 items a quarter of a preview rebuild. A preview run
leaves the output where it is, and afterwards deletes every file that this run did
not make, so the folder ends as an emptied-then-built one would:

- a file written, copied or linked during the run has a status change time at or
  after the run's start, taken from a mark file in the output folder itself (the
  same file system, hence the same clock and granularity);
- a page carried over is named by the run's pages, and a file that a writer left
  as it was because it already held its bytes (content_model.output) by its path;
- a static file Pelican found up to date is named by its generator.

Folders the deletions leave empty are removed; the top-level entries Pelican keeps
(OUTPUT_RETENTION) are not looked at.

Looking at every file of the output takes a tenth of a second at 20,000 items. Once a
sweep has listed what the folder held after a run, the next run of the same process
deletes at once the files of that list it did not make (by the same rules), and leaves
the sweep of the whole folder, which also finds what else appeared in it, to the time
the editor reads the page (`later`: a preview session's settle).

On Windows a file's st_ctime is when it was created, not when it last changed (a
file written over keeps it): there a preview run moves the output aside as any
other build does (POSSIBLE).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from content_model import output as written

MARK = ".fast-build-run"
POSSIBLE = os.name != "nt"  # status change times, as POSIX systems keep them
# Output folder -> the files it held after its last sweep (names relative to it).
_PRESENT: dict[str, set[str]] = {}


class Run:
    """One preview run building in place."""

    def __init__(self, output: Path):
        self.output = output
        output.mkdir(parents=True, exist_ok=True)
        mark = output / MARK
        mark.write_bytes(b"")
        self.started = os.stat(mark).st_ctime_ns
        written.left_alone.clear()

    def finish(self, made: set[str], generators, keep, later: Callable | None = None) -> None:
        """Delete what the run did not make; `made`: names of its pages' files.

        With `later` (a preview session's), the files the last sweep listed are looked
        at now, and the whole folder swept by `later`.
        """
        made = set(made)
        root = str(self.output)
        for path in written.left_alone:
            made.add(os.path.relpath(os.path.realpath(path), root).replace(os.sep, "/"))
        written.left_alone.clear()
        for generator in generators:
            for static in getattr(generator, "staticfiles", None) or ():
                made.add(static.save_as.replace(os.sep, "/"))
        skip = {MARK, *(keep or ())}
        present = _PRESENT.pop(root, None)
        os.unlink(self.output / MARK)
        if later is None or present is None:
            _sweep_all(root, made, self.started, skip)
        else:
            for name in present - made:
                _delete_stale(root, name, self.started)
            later(_sweep_all, root, made, self.started, skip)


def _sweep_all(root: str, made: set[str], started: int, skip: set[str]) -> None:
    """Delete every file under `root` not made; list what is left for the next run."""
    present: set[str] = set()
    _sweep(root, "", made, started, skip, present)
    _PRESENT[root] = present


def _delete_stale(root: str, name: str, started: int) -> None:
    """Delete a file `_sweep` would delete, and the folders that leaves empty."""
    path = os.path.join(root, name)
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return
    if status.st_ctime_ns >= started or stat.S_ISDIR(status.st_mode):
        return  # written during the run; a folder now (the whole sweep's to look into)
    os.unlink(path)
    folder = os.path.dirname(path)
    while folder != root:
        try:
            os.rmdir(folder)
        except OSError:  # not empty
            return
        folder = os.path.dirname(folder)


def _sweep(
    folder: str, relative: str, made: set[str], started: int, skip: set[str], present: set[str]
) -> bool:
    """Delete the files under `folder` not made; return whether that emptied the folder.

    The files kept are added to `present`.
    """
    kept = deleted = False
    with os.scandir(folder) as entries:
        listed = list(entries)
    for entry in listed:
        if not relative and entry.name in skip:
            kept = True
            continue
        name = f"{relative}{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            if _sweep(entry.path, f"{name}/", made, started, skip, present):
                os.rmdir(entry.path)
                deleted = True
            else:
                kept = True
        elif name in made or entry.stat(follow_symlinks=False).st_ctime_ns >= started:
            kept = True
            present.add(name)
        else:
            os.unlink(entry.path)
            deleted = True
    return deleted and not kept
