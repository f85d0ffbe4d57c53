"""Writing generated files under the output folder."""

from __future__ import annotations

import os


def write_if_changed(path: str, data: bytes) -> bool:
    """Write bytes to path unless the file already holds them; return whether written.

    Leaving identical files untouched keeps their times, so a deploy or a browser
    cache sees only what really changed.
    """
    try:
        with open(path, "rb") as handle:
            if handle.read() == data:
                return False
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    return True
