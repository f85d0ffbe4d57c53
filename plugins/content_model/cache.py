"""Parsed files kept between runs, keyed by size and modification time.

A city archive holds tens of thousands of items that never change; reading and
converting them again on every build is most of a rebuild's time. Entries are
dropped when the settings or this plugin's code change, problems are never kept,
and items dated around "now" are always read again (waiting for their date is a
matter of the clock, not of the file).
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import logging
import os
import pickle
from dataclasses import dataclass, field
from functools import partial
from importlib.metadata import version
from pathlib import Path

from .config import Entry
from .memory import give_back
from .output import write_atomically

logger = logging.getLogger(__name__)

VERSION = 2
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


class Codec:
    """Turn read results into bytes and back, fast.

    The declared columns, units, outlets... an item refers to are stored as a
    reference to the site's own entry: rebuilding 20,000 copies of the same few
    entries was most of the time a cached run took to load, and every loaded item
    now shares the site's entries instead of holding copies.
    """

    def __init__(self, registries):
        entries, refs = {}, {}
        for registry in registries:
            for entry in registry:
                ref = (registry.setting, entry.slug)
                entries[ref] = entry
                refs[id(entry)] = ref

        def reduce_entry(entry: Entry):
            ref = refs.get(id(entry))
            if ref is None:  # not one of this site's: stored whole
                return Entry, (entry.name, entry.slug, entry.aliases, entry.extra)
            return _site_entry, ref

        def site_entry(setting: str, slug: str) -> Entry:
            return entries[(setting, slug)]

        class Pickler(pickle.Pickler):
            dispatch_table = {**copyreg.dispatch_table, Entry: reduce_entry}

        class Unpickler(pickle.Unpickler):
            def find_class(self, module, name):  # once per pickle and class (memoized)
                if name == _site_entry.__name__ and module == __name__:
                    return site_entry
                return super().find_class(module, name)

        self._unpickler = Unpickler
        # One pickler for every value: making one per value was a fifth of the time.
        self._buffer = io.BytesIO()
        self._pickler = Pickler(self._buffer, protocol=5)

    def dumps(self, value) -> bytes:
        """Return the bytes that stand for `value`."""
        buffer, pickler = self._buffer, self._pickler
        buffer.seek(0)
        buffer.truncate()
        pickler.clear_memo()
        pickler.dump(value)
        return buffer.getvalue()

    def loads(self, data: bytes):
        """Return what `dumps` was given, its entries being this site's own."""
        return self._unpickler(io.BytesIO(data)).load()


def _site_entry(setting: str, slug: str):
    """Stand-in name for "the site's entry" in Codec bytes; see Codec.loads."""
    raise pickle.UnpicklingError("declared entries load only through a Codec")


# What this process already loaded and decoded, by cache file: a long-lived process
# (invoke serve rebuilding after every save) neither loads the file again nor decodes
# an unchanged file again; it hands out the very records of its last run. A build
# on its own (no `write_later`) lets go of it once the file is written: ~120 MB of
# encoded records at 20,000 items, otherwise in every process the build forks later.
# A long-lived process keeps the records, not their bytes: an entry whose bytes are in
# the file as last loaded or written holds None instead (`drop_bytes`); writing the
# file again takes them from the file (`_write_merged`).
_WARM: dict[Path, _Warm] = {}


@dataclass
class _Warm:
    fingerprint: str
    entries: dict[str, tuple]  # path -> (size, mtime, bodies, bytes or None: in the file)
    decoded: dict[str, tuple[tuple, object]] = field(default_factory=dict)  # by entry
    site: object = None  # the registries decoded records point at
    # Paths whose entry holds bytes the file holds too (those drop_bytes may let go of).
    in_file: set[str] = field(default_factory=set)

    def drop_bytes(self) -> None:
        """Hold None for each entry whose bytes the file holds and whose record is decoded.

        What a long-lived process keeps of the cache is then its records (the encoded
        ones were ~120 MB at 20,000 items, in this process and in every copy it forks).
        """
        undecoded, dropped = set(), False
        for path in self.in_file:
            entry, known = self.entries.get(path), self.decoded.get(path)
            if entry is None or entry[3] is None:
                continue
            if known and known[0] is entry:
                kept = self.entries[path] = (*entry[:3], None)
                self.decoded[path] = (kept, known[1])
                dropped = True
            else:
                undecoded.add(path)
        self.in_file = undecoded
        if dropped:
            give_back()


class ParseCache:
    """What earlier runs read, by content-relative path, as Codec bytes."""

    def __init__(self, settings: dict):
        folder = settings.get("CACHE_PATH") or "cache"
        self.fingerprint = _fingerprint(settings)
        # One file per content folder, so building another folder keeps this one's.
        root = hashlib.sha256(str(settings.get("PATH")).encode()).hexdigest()[:12]
        self.file = Path(folder).resolve() / f"content_model-{root}.pickle"
        self.changed = False
        warm = _WARM.get(self.file)
        if warm is None or warm.fingerprint != self.fingerprint:
            warm = _WARM[self.file] = _Warm(self.fingerprint, self._load())
            warm.in_file = set(warm.entries)
        self.entries = warm.entries
        self._decoded = warm.decoded
        self._warm = warm

    def site(self, make):
        """Return the site's registries (`make()` once per settings in this process).

        Records handed out again point at these entries; fresh ones must too.
        """
        if self._warm.site is None:
            self._warm.site = make()
        return self._warm.site

    def _load(self) -> dict[str, tuple]:
        return _entries_in(self.file, self.fingerprint)

    def decode(self, path: str, entry: tuple, codec: Codec):
        """Return what `entry` (from `get`) stands for: the same object as last run's."""
        known = self._decoded.get(path)
        if known is not None and known[0] is entry:
            return known[1]
        result = codec.loads(entry[3])
        self._decoded[path] = (entry, result)
        return result

    def remember(self, path: str, entry: tuple, result) -> None:
        """Note that `entry` (just `put`) decodes to `result`, for the next run."""
        self._decoded[path] = (entry, result)

    def get(self, path: str, stat: os.stat_result, bodies: bool) -> tuple | None:
        """Return the entry of what reading the file gave last time, if it is unchanged."""
        entry = self.entries.get(path)
        if (
            entry
            and entry[0] == stat.st_size
            and entry[1] == stat.st_mtime_ns
            and (entry[2] or not bodies)
            and (entry[3] is not None or self._decoded.get(path, (None,))[0] is entry)
        ):
            return entry
        return None

    def put(self, path: str, stat: os.stat_result, bodies: bool, data: bytes) -> tuple:
        """Keep what reading an unchanged, problem-free file gave (Codec bytes)."""
        entry = self.entries[path] = (stat.st_size, stat.st_mtime_ns, bodies, data)
        self._warm.in_file.discard(path)
        self.changed = True
        return entry

    def save(self, present: set[str]) -> None:
        """Write the cache (only files that still exist), atomically.

        Without `write_later` (a build on its own, not a preview session), the
        process then lets go of what it holds of the cache (`release`).
        """
        stale = set(self.entries) - present
        for path in stale:
            del self.entries[path]
            self._decoded.pop(path, None)
        if _LATER is not None:  # a long-lived process: written while it waits
            if self.changed or stale:
                _LATER(_write_merged, self._warm, self.file, drop=True)
            self._warm.drop_bytes()
        else:
            if self.changed or stale:
                _write_merged(self._warm, self.file, drop=False)
            self.release()

    def release(self) -> None:
        """Let go of what this process holds of the cache (a build that will not build again).

        The entries are dropped here, not when this object goes: the heap is trimmed
        right after, and what is still held then stays in the process.
        """
        if _WARM.get(self.file) is self._warm:
            del _WARM[self.file]
        self._warm = _Warm(self.fingerprint, {})
        self.entries, self._decoded = self._warm.entries, self._warm.decoded
        give_back()


def _entries_in(file: Path, fingerprint: str) -> dict[str, tuple]:
    """Return the entries of a cache file written under `fingerprint` ({}: none)."""
    try:
        with open(file, "rb") as handle:
            stored = pickle.load(handle)
        if stored.get("fingerprint") == fingerprint:
            return stored["entries"]
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, KeyError, TypeError):
        pass  # no cache, or one from another version: start afresh
    return {}


def _write_merged(warm: _Warm, file: Path, drop: bool) -> None:
    """Write the entries of `warm`, taking those it holds as None from the file.

    An entry the file no longer holds as it was (another process wrote the file since)
    is left out, here and in `warm`: that file is read again next time, never given
    another's record. `drop`: then let go of the bytes now in the file (`drop_bytes`).
    """
    entries = dict(warm.entries)
    if any(entry[3] is None for entry in entries.values()):
        on_disk = _entries_in(file, warm.fingerprint)
        for path, entry in list(entries.items()):
            if entry[3] is None:
                found = on_disk.get(path)
                if found is not None and found[:3] == entry[:3] and found[3] is not None:
                    entries[path] = found
                else:
                    del entries[path]
                    warm.entries.pop(path, None)
                    warm.decoded.pop(path, None)
        del on_disk
    if _write(file, {"fingerprint": warm.fingerprint, "entries": entries}):
        warm.in_file = set(entries)
    del entries  # before the bytes are dropped: nothing else may hold them then
    if drop:
        warm.drop_bytes()


def _write(file: Path, stored: dict) -> bool:
    try:  # pickled into the file: ~120 MB at 20,000 items, never whole in memory
        write_atomically(file, partial(pickle.dump, stored, protocol=5))
    except OSError as error:  # a read-only checkout still builds, only slower
        logger.debug("content cache not written: %s", error)
        return False
    return True


# Who writes the cache file, when not at once: a long-lived process that is idle
# between runs (fast_build's preview session) saves the editor the wait.
_LATER = None


def write_later(later) -> None:
    """Have `later(function, *args)` write the cache file from now on (None: at once)."""
    global _LATER
    _LATER = later


class DerivedCache:
    """Files made from inputs, kept between builds, made again only when inputs change.

    For outputs that cost far more to make than their inputs do to describe (a tally
    period's XLSX workbook: ~20 ms each, 187 of them for a decade). The key is every
    input's bytes; `versions` names what else decides the output (code, libraries).
    Entries no build asked for are dropped by `prune`.
    """

    def __init__(self, settings: dict, kind: str, versions: list[str]):
        self.folder = Path(settings.get("CACHE_PATH") or "cache") / f"derived-{kind}"
        self.salt = hashlib.sha256(repr([VERSION, *versions]).encode()).digest()
        self.used: set[str] = set()

    def _name(self, key: bytes) -> str:
        return hashlib.sha256(self.salt + key).hexdigest()

    def keep(self, key: bytes) -> None:
        """Keep the entry for `key` though this build did not need to read it."""
        self.used.add(self._name(key))

    def get(self, key: bytes, make) -> bytes:
        """Return the output for `key`: from the cache, or from `make()` (then kept)."""
        name = self._name(key)
        self.used.add(name)
        file = self.folder / name
        try:
            return file.read_bytes()
        except OSError:
            pass
        data = make()
        try:
            write_atomically(file, data)
        except OSError as error:  # a read-only checkout still builds, only slower
            logger.debug("derived output not cached: %s", error)
        return data

    def prune(self) -> None:
        """Delete the entries this build did not use."""
        try:
            stale = [f for f in self.folder.iterdir() if f.name not in self.used]
        except OSError:
            return
        for file in stale:
            file.unlink(missing_ok=True)
