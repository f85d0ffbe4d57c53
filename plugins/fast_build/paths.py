"""Walk the content folder once per run, and make each source path relative once.

Pelican walks the articles' folders three times in a run (our content check, its
own reading, and its look for files of disabled readers), matching every file
name against IGNORE_FILES each time; and it makes a content's source path
relative (two absolute paths and a relpath) each time it is asked, once per item
per run at least. At 20,000 items both are a good part of a preview rebuild.

Here a run walks each folder once, matching names against all of IGNORE_FILES as one
pattern (a third of the time Pelican's walk takes): the files that pass are
kept for the generators of that run (they share one context: another context is
another run, even when Pelican's autoreload reruns one Pelican object), grouped by
extension, and each call takes the groups of the extensions it asks for — Pelican's
own rule, with each name's extension worked out once per run, not once per call. A
relative source path is kept for the same source path, content folder and working
folder.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pelican.contents import Content
from pelican.generators import Generator
from pelican.utils import posixize_path

from content_model.corpus import ignore_pattern

_GET_FILES = Generator.get_files  # Pelican's walk: what ours must list (the tests compare)
_GET_RELATIVE = Content.get_relative_source_path
# (content folder, paths, excludes, ignore patterns) -> extension -> its files
_WALKED: dict[tuple, dict[str, list[str]]] = {}
_RUN: list = [None]  # the context of the run the walks belong to


def get_files(self: Generator, paths, exclude=None, extensions=None) -> set[str]:
    """Return the files Pelican's get_files would, from this run's one walk."""
    if _RUN[0] is not self.context:
        _WALKED.clear()
        _RUN[0] = self.context
    if not isinstance(paths, str):
        paths = list(paths)  # read once, for the key and for the walk
    exclude = list(exclude or ())
    key = (
        self.path,
        paths if isinstance(paths, str) else tuple(paths),
        tuple(exclude),
        tuple(self.settings["IGNORE_FILES"]),
    )
    found = _WALKED.get(key)
    if found is None:
        found = _WALKED[key] = _by_extension(_walk(self.path, paths, exclude, key[3]))
    if extensions is False:
        return set().union(*found.values())
    if extensions is None:
        extensions = tuple(self.readers.extensions)
    return set().union(*(files for extension, files in found.items() if extension in extensions))


def _by_extension(files: set[str]) -> dict[str, list[str]]:
    # Each file under its extension as Pelican's get_files tells it (`extensions` is
    # a tuple or a string there: `in` is its test), worked out once per walk.
    grouped: dict[str, list[str]] = {}
    for f in files:
        grouped.setdefault(os.path.splitext(os.path.basename(f))[1][1:], []).append(f)
    return grouped


def _walk(root: str, paths, exclude: list[str], ignores: tuple[str, ...]) -> set[str]:
    """List the files under `paths` as Pelican's get_files does (4.12), any extension.

    Its ignore rule is fnmatch's, by name, on POSIX (normcase changes nothing there).
    """
    ignored = ignore_pattern(ignores).match
    if isinstance(paths, str):
        paths = [paths]
    excluded: dict[str, set[str]] = {}
    for entry in exclude:
        parent, name = os.path.split(os.path.join(root, entry))
        excluded.setdefault(parent, set()).add(name)
    files = set()
    for path in paths:
        top = os.path.join(root, path) if path else root
        if os.path.isdir(top):
            for folder, dirs, names in os.walk(top, topdown=True, followlinks=True):
                left_out = excluded.get(folder, ())
                dirs[:] = [d for d in dirs if d not in left_out and not ignored(d)]
                relative = os.path.relpath(folder, root)
                files.update(os.path.join(relative, n) for n in names if not ignored(n))
        elif os.path.exists(top) and not ignored(os.path.basename(path)):
            files.add(path)  # Pelican's: a file named on its own, as named
    return files


def get_relative_source_path(self: Content, source_path: str | None = None) -> str | None:
    """Return what Pelican's get_relative_source_path returns, made once per path."""
    if not source_path:
        source_path = self.source_path
    if source_path is None:
        return None
    folder = self.settings["PATH"]
    return _relative(source_path, folder, None if os.path.isabs(folder) else os.getcwd())


@lru_cache(maxsize=1 << 17)
def _relative(source_path: str, folder: str, cwd: str | None) -> str:
    # As pelican/contents.py (4.12); `cwd` is in the key for a relative content folder.
    return posixize_path(
        os.path.relpath(os.path.abspath(os.path.join(folder, source_path)), os.path.abspath(folder))
    )


def finish() -> None:
    """After a run: let go of its walks (and of its context)."""
    _WALKED.clear()
    _RUN[0] = None


def install() -> None:
    """Put the one-walk and kept paths in place of Pelican's (once per process)."""
    Generator.get_files = get_files
    Content.get_relative_source_path = get_relative_source_path
