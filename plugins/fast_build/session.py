"""What a long-lived build process (``invoke serve``) keeps from one run to the next.

An editor's preview rebuilds after every save, in the same process. Most of such a
rebuild would make again what the last run made from files that did not change:
Pelican's article objects, and the digests the page keys are made of. Both are kept
here, and neither is handed out unchecked:

- an article is reused only for the very record the content check handed out for
  an unchanged file (see content_model.cache), with the same metadata, under the
  same code, theme and settings (the build's global key);
- a digest is reused only for the same object with the same attributes (compared
  one level deep) and the same digests of the contents it points to
  (fingerprint.Digester), and only in a preview session (PREVIEW): other runs
  keep no attributes to compare.

A new process (``invoke build``) starts empty and builds exactly as before. Pelican
memoizes each content's rendered body and summary in one class-wide table; after a
run, the entries of contents no longer in the site are dropped (Pelican never drops
them: a long preview session would otherwise keep every run's articles).
"""

from __future__ import annotations

import gc
import logging
import re
from functools import lru_cache, partial

from jinja2 import BytecodeCache
from pelican.contents import Content
from pelican.log import LimitFilter

from content_model import bodies
from content_model import cache as parse_cache
from content_model.content_model import CONTEXT_KEY

from .fingerprint import Digester, Unkeyable

logger = logging.getLogger(__name__)


class _Session:
    def __init__(self, base: bytes | None):
        self.base = base
        self.digester = Digester()
        # source path -> (the record, its metadata as it was, the article made from it)
        self.articles: dict[str, tuple[object, dict, Content]] = {}
        self.template_names: dict[str, tuple | None] = {}
        # The last run's incremental manifest (where it is kept, what it holds).
        self.manifest: tuple[object, dict] | None = None
        # id of an item -> how its page was keyed in the last runs (item_pages.py).
        self.item_pages: dict[int, tuple] = {}


_SESSION: _Session | None = None
_RUN_BASE: bytes | None = None  # this run's global key, once computed
_DEFER = False  # this run is a preview session's: what nobody waits for waits for settle


def begin(pelican) -> None:
    """Start a run (initialized): keep the last run's objects if the global key holds."""
    global _SESSION, _RUN_BASE, _DEFER
    from .incremental import get_config, global_key  # noqa: PLC0415 - it imports this module

    _do_later()  # the last run's, if nothing settled since: in their order, first
    _RUN_BASE = None
    # Pelican's log filter drops a warning it already logged in this process: each
    # run of a preview session says all it finds, as the first did.
    LimitFilter._raised_messages.clear()
    LimitFilter._group_count.clear()
    config = get_config(pelican.settings)
    _DEFER = config["ENABLED"] and config["PREVIEW"]
    # The editor does not wait for the parse cache to be written: settle writes it.
    parse_cache.write_later(later if _DEFER else None)
    bodies.keep_in_memory(_DEFER)  # handed to the next run with the records
    if not config["ENABLED"]:
        return  # a build without the plugin leaves the session for the next one
    try:
        _RUN_BASE = global_key(pelican.settings)
    except Unkeyable as error:
        logger.debug("incremental build off: settings hold %s", error)
        return
    if _SESSION is None or _SESSION.base != _RUN_BASE:
        _SESSION = _Session(_RUN_BASE)
    # Only a preview session's later runs reuse digests: keeping what each was made
    # from (every item's attributes) is a cost a build on its own need not pay.
    _SESSION.digester.across_builds = bool(config["PREVIEW"])
    _SESSION.digester.begin()


def defers() -> bool:
    """Whether this run is a preview session's (what nobody waits for waits for settle)."""
    return _DEFER


def holds_a_run() -> bool:
    """Whether this process keeps what an earlier run under this global key made."""
    session = _current()
    return session is not None and bool(session.articles)


def run_base() -> bytes | None:
    """Return this run's global key (code, theme, libraries, settings), or None."""
    return _RUN_BASE


def _current() -> _Session | None:
    return _SESSION if _RUN_BASE is not None and _SESSION is not None else None


def digester() -> Digester:
    """Return the digester of this run (the session's, with what it already knows)."""
    session = _current()
    return session.digester if session is not None else Digester()


def last_manifest(where) -> dict | None:
    """Return the manifest the last run of this session kept at `where`, if any."""
    session = _current()
    if session is None or session.manifest is None or session.manifest[0] != where:
        return None
    return session.manifest[1]


def keep_manifest(where, stored: dict) -> None:
    """Hold this run's manifest for the next run (its file is written by settle)."""
    session = _current()
    if session is not None:
        session.manifest = (where, stored)


def after_run(function, *args, **kwargs) -> None:
    """Do work nobody waits for: in a preview session while it waits (settle), else now."""
    if _DEFER:
        later(function, *args, **kwargs)
    else:
        function(*args, **kwargs)


def item_pages() -> dict | None:
    """Return what is known of the items' pages of this preview session, or None."""
    session = _current()
    if session is None or not session.digester.across_builds:
        return None
    return session.item_pages


def template_names() -> dict:
    """Return where to keep which names each template reads (kept while the key holds)."""
    session = _current()
    return session.template_names if session is not None else {}


def reuse_articles(generator) -> None:
    """Hand the last run's articles back to Pelican for unchanged records.

    Connected to article_generator_init; uses the hooks of Pelican's own content
    cache (get_cached_data, cache_data), which it otherwise leaves unused here.
    Only a preview session's runs keep them for the next: a build on its own would
    hold a copy of every item's metadata for nothing (~16 MB at 20,000 items).
    """
    session = _current()
    if session is None:
        return
    if not _DEFER:
        session.articles = {}
        return
    kept = session.articles
    fresh: dict[str, tuple[object, dict, Content]] = {}

    def get_cached_data(path, default=None):
        corpus = generator.context.get(CONTEXT_KEY)
        record = corpus.records.get(path) if corpus is not None else None
        known = kept.get(path)
        if record is None or known is None or known[0] is not record or known[1] != record.meta:
            return default
        article = known[2]
        article._context = generator.context
        article.settings = generator.settings
        if links_elsewhere(article):  # its body's links depend on other contents
            _forget_rendered({id(article)})
        fresh[path] = known
        return article

    def cache_data(path, article):
        corpus = generator.context.get(CONTEXT_KEY)
        record = corpus.records.get(path) if corpus is not None else None
        if record is not None:
            fresh[path] = (record, _snapshot(record.meta), article)

    generator.get_cached_data = get_cached_data
    generator.cache_data = cache_data
    session.articles = fresh  # what this run does not read again is let go


class _CompiledTemplates(BytecodeCache):
    """Jinja's compiled templates, kept in memory by name and source checksum.

    Pelican makes a new Jinja environment for every generator of every run, and each
    compiles the templates it renders again: a tenth of a second per preview run.
    Jinja's bytecode cache checks each template's source before reusing its code.
    """

    def __init__(self):
        self.kept: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        """Hand Jinja the code kept for this template, if any (Jinja checks its source)."""
        code = self.kept.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        """Keep a template's code as Jinja compiled it."""
        self.kept[bucket.key] = bucket.bytecode_to_string()


# Jinja's code depends on the environment's syntax and options, and on its filters
# and tests (their kind, even their results on constants, are settled when compiling):
# one cache per such configuration. Pelican makes some filters afresh for every
# generator (a partial, a formatter object), so a filter is named by what it does: a
# function by its code, defaults and closure, a partial by its function and
# arguments, another callable by its class.
_COMPILED: dict[tuple, _CompiledTemplates] = {}
_OPTIONS = (
    "block_start_string", "block_end_string", "variable_start_string",
    "variable_end_string", "comment_start_string", "comment_end_string",
    "line_statement_prefix", "line_comment_prefix", "trim_blocks", "lstrip_blocks",
    "newline_sequence", "keep_trailing_newline", "optimized", "autoescape", "finalize",
    "is_async",
)  # fmt: skip


def keep_compiled(generator) -> None:
    """Give a generator's Jinja environment the process's compiled templates (generator_init).

    An environment configured with its own bytecode cache (JINJA_ENVIRONMENT) keeps it.
    """
    env = getattr(generator, "env", None)
    if env is None or env.bytecode_cache is not None:
        return
    options = tuple(repr(getattr(env, name, None)) for name in _OPTIONS)
    config = (
        options,
        tuple(sorted(env.extensions)),
        tuple(sorted((name, _behaviour(f)) for name, f in env.filters.items())),
        tuple(sorted((name, _behaviour(f)) for name, f in env.tests.items())),
    )
    env.bytecode_cache = _COMPILED.setdefault(config, _CompiledTemplates())


def compiled_known() -> list[set[str]]:
    """Return which templates each configuration holds compiled now (for `compiled_since`)."""
    return [set(cache.kept) for cache in _COMPILED.values()]


def compiled_since(known: list[set[str]]) -> list[tuple[int, str, bytes]]:
    """Return the templates compiled since `known` was taken: (configuration, key, code).

    A forked copy (the items' writer) compiles the list pages' templates, which this
    process never renders: handed back (`adopt_compiled`), they are not compiled
    again in every later copy. A configuration is named by its place in the table,
    the same in both processes for those there at the fork.
    """
    caches = list(_COMPILED.values())[: len(known)]
    return [(n, key, code) for n, (cache, had) in enumerate(zip(caches, known, strict=True))
            for key, code in cache.kept.items() if key not in had]  # fmt: skip


def adopt_compiled(found: list[tuple[int, str, bytes]]) -> None:
    """Keep templates a forked copy compiled (`compiled_since`) for later runs."""
    caches = list(_COMPILED.values())
    for n, key, code in found:
        caches[n].kept.setdefault(key, code)


def _behaviour(function) -> tuple:
    """Name what a filter or test does (see _COMPILED); never equal for unequal code."""
    passed = repr(getattr(function, "jinja_pass_arg", None))
    if isinstance(function, partial):
        return ("partial", passed, _behaviour(function.func), repr(function.args),
                repr(sorted(function.keywords.items())))  # fmt: skip
    code = getattr(function, "__code__", None)
    if code is not None:
        cells = tuple(_shown(cell) for cell in function.__closure__ or ())
        return (function.__module__, function.__qualname__, passed, code,
                repr(function.__defaults__), repr(function.__kwdefaults__), cells)  # fmt: skip
    kind = type(function)
    return (kind.__module__, kind.__qualname__, passed, repr(getattr(function, "__qualname__", "")))


def _shown(cell) -> str:
    try:
        return repr(cell.cell_contents)
    except ValueError:  # a cell not filled yet
        return "<empty>"


_INTRASITE = re.compile(r"\{(?:filename|static|attach|category|tag|author|index)\}|\|\w+\|")


def links_elsewhere(article: Content) -> bool:
    """Return whether the body links to other contents (its HTML depends on theirs)."""
    body = vars(article).get("_body")
    if body is not None:  # on disk: kept on the body, not by its text (_links_in's cache)
        return body.finds(_INTRASITE)
    return _links_in(getattr(article, "_content", "") or "")


# Asked for every article on every run (here and by the feeds): a body kept from the
# last run is the same string, whose hash Python keeps, so it is scanned once.
@lru_cache(maxsize=65536)
def _links_in(body: str) -> bool:
    return _INTRASITE.search(body) is not None


def _snapshot(meta: dict) -> dict:
    return {k: (v.copy() if type(v) in (list, dict, set) else v) for k, v in meta.items()}


def _forget_rendered(ids: set[int] | None, keep: bool = False) -> None:
    """Drop Pelican's memoized bodies/summaries of the contents `ids` (or of all others)."""
    for name in ("get_content", "get_summary"):
        memo = getattr(Content.__dict__.get(name), "cache", None)
        if not memo:
            continue
        for args in list(memo):
            if (id(args[0]) in ids) != keep:
                del memo[args]


def live_articles() -> set[int]:
    """Return the ids of the articles the next run may take over."""
    session = _SESSION
    return {id(known[2]) for known in session.articles.values()} if session else set()


def finish() -> None:
    """After a run: let go of what the next one cannot reuse."""
    live = live_articles()
    _forget_rendered(live, keep=True)
    parse_cache.write_later(None)  # a build outside this session writes at once
    if _current() is not None:
        _SESSION.digester.prune(live)
        if _SESSION.digester.across_builds:  # the items' pages may have been forked
            kept = [known[2] for known in _SESSION.articles.values()]
            after_run(_SESSION.digester.remember, kept)


# Objects frozen after the last full collection (see settle).
_FROZEN_AFTER_FULL = 0
_LATER: list[tuple] = []  # work a run left for settle: (function, args, kwargs)


def later(function, *args, **kwargs) -> None:
    """Leave work that nobody waits for to `settle` (files only a next build reads)."""
    _LATER.append((function, args, kwargs))


def _do_later() -> None:
    while _LATER:
        function, args, kwargs = _LATER.pop(0)
        function(*args, **kwargs)


def settle() -> None:
    """Between two runs, while the process waits for a save: tidy, collect, freeze.

    Work a run left (`later`) is done first. A preview session holds a large heap
    (every article, record and digest it keeps); Python's collector would scan all of
    it again and again during the next run (a second at 20,000 items whenever a full
    collection comes). Here the last run's garbage is collected and what remains is
    frozen, so the next run's collections look at its own objects only. Frozen
    objects that later become garbage in a cycle wait for the next full collection,
    which comes once the frozen heap has grown by a quarter (Python's own rule for
    full collections).
    """
    global _FROZEN_AFTER_FULL
    _do_later()
    full = not _FROZEN_AFTER_FULL or gc.get_freeze_count() > 1.25 * _FROZEN_AFTER_FULL
    if full:
        gc.unfreeze()
    gc.collect()  # frozen objects are not looked at
    gc.freeze()
    if full:
        _FROZEN_AFTER_FULL = gc.get_freeze_count()
