"""Writing generated files under the output folder."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

# The files write_if_changed left alone because they held their bytes already: a
# build that keeps the output folder in place counts them as made (fast_build.stale).
left_alone: set[str] = set()


def write_if_changed(path: str, data: bytes) -> bool:
    """Write bytes to path unless the file already holds them; return whether written.

    Leaving identical files untouched keeps their times, so a deploy or a browser
    cache sees only what really changed.
    """
    try:
        with open(path, "rb") as handle:
            if handle.read() == data:
                left_alone.add(path)
                return False
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    return True


def write_atomically(path, data: bytes | Callable[[BinaryIO], None]) -> None:
    """Write bytes so that readers see the old file or the new one, never half of one.

    `data`: the bytes, or a function that writes them to the open file (a large file
    is then never whole in memory). Raises OSError (callers that only keep a cache
    carry on without it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as handle:
        if callable(data):
            data(handle)
        else:
            handle.write(data)
    os.replace(partial, path)
