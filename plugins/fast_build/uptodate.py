"""Skip a build when nothing it is made from changed since the last one succeeded.

After a successful build a stamp is kept: the global key (code, theme, libraries,
settings), every file under the content folder (path, size, modification time, as
they were when the build started), every file it left in the output folder, until
when the same content makes the same site (the day the tally counts up to ends; an
item waiting for its date goes online), and what the build said (its warnings).

A build whose stamp still holds in every part — same key, same content files, the
output untouched since, before that moment — would write the very same files: it
is skipped, its warnings are said again, and the output is left as it is. Anything
else (a file saved again, even unchanged; a page deleted from the output; a setting)
builds as before, and the stamp is removed before such a build starts, so a build
that fails leaves none.

Folders other tools write into the output after the build (the search index) are
not part of the stamp: OTHER_OUTPUTS in the FAST_BUILD setting lists them. The first
run of a preview session (PREVIEW) is never skipped: what it makes is what the
session keeps for the editor's saves.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
from datetime import datetime, timedelta
from pathlib import Path

from content_model.config import get_config as get_model_config
from content_model.content_model import CONTEXT_KEY
from content_model.output import write_atomically

from . import session
from .fingerprint import Unkeyable

logger = logging.getLogger(__name__)

FORMAT = 1
# What editors are told when a build is skipped.
UNCHANGED = "稿件、主题和设置与上次构建时相同，网站保持不变"
_PENDING: _Pending | None = None
_LAST_SKIP: dict | None = None


def _stamp_path(settings: dict, site: Path) -> Path:
    digest = hashlib.sha256(str(site.resolve()).encode()).hexdigest()[:12]
    return Path(settings.get("CACHE_PATH") or "cache") / f"uptodate-{digest}.pickle"


def tree_digest(root: str, skip: frozenset[str] = frozenset()) -> bytes:
    """Digest every file under `root` (path, size, modification time), in a fixed order.

    Top-level entries named in `skip` are left out; a missing folder digests as empty.
    """
    listing = []
    stack = [("", root)]
    while stack:
        relative, folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        for entry in entries:
            name = f"{relative}{entry.name}"
            if not relative and entry.name in skip:
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append((f"{name}/", entry.path))
            else:
                try:
                    stat = entry.stat()
                except OSError:  # a link to nothing (reported by the content check)
                    try:
                        stat = entry.stat(follow_symlinks=False)
                    except OSError:  # gone since the folder was listed
                        continue
                listing.append(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n")
    listing.sort()
    return hashlib.blake2b("".join(listing).encode("utf-8", "surrogateescape"),
                           digest_size=16).digest()  # fmt: skip


class _Pending:
    """A build under way: what its stamp will say once it succeeds."""

    def __init__(self, settings: dict, site: Path, base: bytes, content: bytes):
        self.settings = settings
        self.site = site
        self.base = base
        self.content = content
        self.said: list[tuple[str, int, str]] = []
        self.counts: dict[str, int] = {}
        self.until: datetime | None = None
        self.noted = False  # the content was read and checked
        self.handler = _Listener(self.said)
        logging.getLogger().addHandler(self.handler)

    def close(self) -> None:
        logging.getLogger().removeHandler(self.handler)


class _Listener(logging.Handler):
    """Keep every warning a build logs, to say it again when a later build is skipped."""

    def __init__(self, said: list):
        super().__init__(logging.WARNING)
        self.said = said

    def emit(self, record: logging.LogRecord) -> None:
        self.said.append((record.name, record.levelno, record.getMessage()))


def _other_outputs(settings: dict) -> frozenset[str]:
    from .incremental import get_config  # noqa: PLC0415 - it imports session, as this does

    return frozenset(get_config(settings)["OTHER_OUTPUTS"])


def _site(settings: dict) -> Path:
    """Return the folder whose last build this one follows (FROM when building aside)."""
    from .incremental import get_config  # noqa: PLC0415

    origin = get_config(settings)["FROM"]
    return Path(origin or settings["OUTPUT_PATH"]).resolve()


def check(
    settings: dict, base: bytes | None = None, now: datetime | None = None, content: bytes = b""
) -> dict | None:
    """Return the stamp of the last build into the settings' output if it still holds.

    `base` is the global key and `content` the content folder's tree_digest when the
    caller has them already; left out, they are computed.
    """
    from .incremental import global_key  # noqa: PLC0415

    output = Path(settings["OUTPUT_PATH"]).resolve()
    try:
        with open(_stamp_path(settings, output), "rb") as handle:
            stamp = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("format") != FORMAT:
        return None
    if (
        stamp["until"] is not None
        and (now or datetime.now(stamp["until"].tzinfo)) >= stamp["until"]
    ):
        return None
    try:
        if stamp["base"] != (base if base is not None else global_key(settings)):
            return None
    except Unkeyable:
        return None
    if stamp["content"] != (content or tree_digest(settings["PATH"])):
        return None
    if stamp["output"] != tree_digest(str(output), _other_outputs(settings)):
        return None
    return stamp


def begin(pelican) -> None:
    """Start of a run (initialized): skip it if the last build's stamp holds."""
    global _PENDING, _LAST_SKIP
    from .incremental import get_config  # noqa: PLC0415

    _LAST_SKIP = None
    _drop_pending()
    settings = pelican.settings
    config = get_config(settings)
    base = session.run_base()
    if not config["ENABLED"] or base is None:
        return
    # Taken before anything is read: a file saved during the build is new to the next.
    content = tree_digest(settings["PATH"])
    site = _site(settings)
    # A preview session's first run builds even so: it is what the session keeps,
    # and every later run (the editor's saves) reuses it.
    cold_session = config["PREVIEW"] and not session.holds_a_run()
    stamp = None if config["FROM"] or cold_session else check(settings, base, content=content)
    if stamp is not None:
        pelican.run = lambda: _skip(stamp)  # this one run only: the instance's attribute
        return
    with contextlib.suppress(OSError):
        os.unlink(_stamp_path(settings, site))
    _PENDING = _Pending(settings, site, base, content)


def _skip(stamp: dict) -> None:
    global _LAST_SKIP
    say_again(stamp)
    logger.info("%s。", UNCHANGED)
    _LAST_SKIP = stamp


def say_again(stamp: dict) -> None:
    """Log again the warnings of the build a stamp is from (waiting items, notices)."""
    for name, level, message in stamp["said"]:
        logging.getLogger(name).log(level, "%s", message)


def last_skip() -> dict | None:
    """Return the stamp of the last run if it was skipped (its counts: what is online)."""
    return _LAST_SKIP


def note(generators) -> None:
    """Once all content is read (all_generators_finalized): what the stamp needs of it."""
    if _PENDING is None:
        return
    for generator in generators:
        corpus = generator.context.get(CONTEXT_KEY)
        if corpus is not None and not _PENDING.noted:
            _PENDING.until = _valid_until(corpus, _PENDING.settings)
            _PENDING.noted = True
    _PENDING.counts = published(generators)


def published(generators) -> dict[str, int]:
    """Count what a run publishes: articles, drafts (and waiting items), pages."""
    counts = {}
    for generator in generators:
        for name in ("articles", "drafts", "pages"):
            if isinstance(getattr(generator, name, None), list):
                counts[name] = len(getattr(generator, name))
    return counts


def _valid_until(corpus, settings: dict) -> datetime | None:
    """Return when the same content no longer makes the same site, or None (never)."""
    if get_model_config(settings)["NOW"]:
        return None  # a fixed "now" is in the settings, hence in the global key
    now = corpus.now
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return min([midnight, *(record.meta["date"] for record in corpus.waiting)])


def finish(output: Path) -> None:
    """After a successful build (all written): keep its stamp."""
    global _PENDING
    pending = _PENDING
    if pending is None or not pending.noted:
        _drop_pending()
        return
    _PENDING = None
    pending.close()
    # A preview session keeps it while it waits for the next save: the output is the
    # same then (only OTHER_OUTPUTS, outside the stamp, are written in between).
    session.after_run(_keep_stamp, pending, output)


def _keep_stamp(pending: _Pending, output: Path) -> None:
    stamp = {
        "format": FORMAT,
        "base": pending.base,
        "content": pending.content,
        "output": tree_digest(str(output), _other_outputs(pending.settings)),
        "until": pending.until,
        "said": pending.said,
        "counts": pending.counts,
    }
    try:
        write_atomically(_stamp_path(pending.settings, pending.site), pickle.dumps(stamp))
    except OSError as error:
        logger.debug("up-to-date stamp not written: %s", error)


def _drop_pending() -> None:
    global _PENDING
    if _PENDING is not None:
        _PENDING.close()
    _PENDING = None
