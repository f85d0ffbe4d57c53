"""Parsed files kept between runs, keyed by size and modification time.

A city archive holds tens of thousands of items that never change; reading and
converting them again on every build is most of a rebuild's time. Entries are
dropped when the settings or this plugin's code change, problems are never kept,
and items dated around "now" are always read again (waiting for their date is a
matter of the clock, not of the file).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from importlib.metadata import version
from pathlib import Path

logger = logging.getLogger(__name__)

VERSION = 1
# Settings that change how a file is read and checked.
SETTINGS = ("PATH", "TIMEZONE", "COLUMNS", "COLUMN_GROUPS", "OUTLETS", "UNITS", "GENRES",
            "DELEGATIONS", "TAG_SLUGS", "AUTHOR_SLUGS", "CONTENT_MODEL", "ARTICLE_PATHS",
            "PAGE_PATHS", "DEPUTY_PATHS", "STATIC_PATHS", "IGNORE_FILES")  # fmt: skip


def _fingerprint(settings: dict) -> str:
    # The libraries that turn bodies into HTML matter too: a sanitizer upgrade must
    # re-clean every body. URL settings decide which slugs are reserved.
    urls = sorted((k, str(v)) for k, v in settings.items() if k.endswith(("_URL", "_SAVE_AS")))
    libraries = [version("markdown"), version("nh3")]
    digest = hashlib.sha256(
        repr([VERSION, libraries, urls, *(settings.get(k) for k in SETTINGS)]).encode()
    )
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


class ParseCache:
    """What earlier runs read, by content-relative path."""

    def __init__(self, settings: dict):
        folder = settings.get("CACHE_PATH") or "cache"
        self.fingerprint = _fingerprint(settings)
        # One file per content folder, so building another folder keeps this one's.
        root = hashlib.sha256(str(settings.get("PATH")).encode()).hexdigest()[:12]
        self.file = Path(folder) / f"content_model-{root}.pickle"
        self.entries: dict[str, tuple] = {}
        self.changed = False
        try:
            with open(self.file, "rb") as handle:
                stored = pickle.load(handle)
            if stored.get("fingerprint") == self.fingerprint:
                self.entries = stored["entries"]
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, KeyError, TypeError):
            pass  # no cache, or one from another version: start afresh

    def get(self, path: str, stat: os.stat_result, bodies: bool):
        """Return what reading the file gave last time, if the file is unchanged."""
        entry = self.entries.get(path)
        if (
            entry
            and entry[0] == stat.st_size
            and entry[1] == stat.st_mtime_ns
            and (entry[2] or not bodies)
        ):
            return pickle.loads(entry[3])
        return None

    def put(self, path: str, stat: os.stat_result, bodies: bool, result) -> None:
        """Keep what reading an unchanged, problem-free file gave."""
        self.entries[path] = (
            stat.st_size,
            stat.st_mtime_ns,
            bodies,
            pickle.dumps(result, protocol=5),
        )
        self.changed = True

    def save(self, present: set[str]) -> None:
        """Write the cache (only files that still exist), atomically."""
        stale = set(self.entries) - present
        for path in stale:
            del self.entries[path]
        if not (self.changed or stale):
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            partial = self.file.with_suffix(".partial")
            with open(partial, "wb") as handle:
                pickle.dump(
                    {"fingerprint": self.fingerprint, "entries": self.entries}, handle, protocol=5
                )
            os.replace(partial, self.file)
        except OSError as error:  # a read-only checkout still builds, only slower
            logger.debug("content cache not written: %s", error)
