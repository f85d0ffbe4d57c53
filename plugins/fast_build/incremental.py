"""Carry pages over from the last build when nothing they are made from changed.

Each page Pelican writes (one ``write_file`` call: an item, a column with all its
pagination pages...) gets a key: the digest of the code, theme, settings, and every
value its template reads — Jinja lists the names a template and everything it
includes use; each is looked up in the page's context and digested (see
fingerprint.py). A page whose key is the last build's, with its files untouched
since, is moved (or, building aside, hard-linked) from the last build instead of
rendered again. Anything it cannot key is rendered, as before.

The output is emptied the way DELETE_OUTPUT_DIRECTORY does it, only later (after the
content check) and by moving it aside: what the build does not carry over is deleted
at the end, so no stale page survives. A preview run moves nothing: it builds in
place and then deletes what it did not make (stale.py).
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import operator
import os
import pickle
import shutil
from importlib.metadata import version
from pathlib import Path

from pelican.paginator import Paginator
from pelican.writers import Writer

from content_model import output as written
from content_model.output import write_atomically

from . import session, stale
from .fingerprint import ITEM_PAGE_ONLY, NEIGHBOUR_PAGES, Unkeyable, template_names

logger = logging.getLogger(__name__)

SETTING = "FAST_BUILD"
DEFAULTS = {
    "ENABLED": True,
    # Write the items' pages in a second process (parallel.py).
    "PARALLEL": True,
    # A preview session (invoke serve): every run in this one process, which keeps
    # what a run digests for the next (session.py); only a large site's items' pages
    # are written by a forked copy (parallel.PREVIEW_FROM).
    "PREVIEW": False,
    # A folder holding the last build of this site, when building elsewhere (aside):
    # its unchanged pages are hard-linked, the folder itself is left as it is.
    "FROM": "",
    # Top-level output folders other tools write after the build (search/index.py's
    # BUNDLE): the up-to-date check (uptodate.py) does not look at them.
    "OTHER_OUTPUTS": ("pagefind",),
}
FORMAT = 3
# Settings that say where a build goes, not what it shows.
_PLACE_SETTINGS = frozenset({"OUTPUT_PATH", "CACHE_PATH", SETTING, "DELETE_OUTPUT_DIRECTORY"})
_LIBRARIES = ("pelican", "jinja2", "markupsafe", "markdown", "nh3")
_ROOT = Path(__file__).resolve().parents[1]  # the plugins folder: all our code

_BUILD: _Build | None = None
_UNDEFINED = object()


def get_config(settings: dict) -> dict:
    """Return the FAST_BUILD setting merged over DEFAULTS."""
    return {**DEFAULTS, **(settings.get(SETTING) or {})}


class _Build:
    """One build's plan: the last build's pages, and this build's as they are written."""

    def __init__(self, generators):
        first = generators[0]
        settings = self.settings = first.settings
        self.output = Path(first.output_path).resolve()
        config = get_config(settings)
        origin = Path(config["FROM"]).resolve() if config["FROM"] else None
        self.link = origin is not None
        site = origin or self.output
        digest = hashlib.sha256(str(site).encode()).hexdigest()[:12]
        self.manifest = Path(settings.get("CACHE_PATH") or "cache") / f"incremental-{digest}.pickle"
        self.digester = session.digester()
        self.pages: dict[str, tuple[bytes, list]] = {}
        self.previous: dict[str, tuple[bytes, list]] = {}
        # A paginated list keyed whole -> (its key, the names of its pages), this
        # build's and the last one's (`carry_list`).
        self.lists: dict[str, tuple[bytes, list[str]]] = {}
        self.previous_lists: dict[str, tuple[bytes, list[str]]] = {}
        # Template -> the names it reads: the theme is in the global key, so a
        # long-lived process keeps them from one run to the next.
        self.names: dict[str, tuple[tuple[str, ...], bool, bool] | None] = session.template_names()
        self.shared: dict[tuple, tuple] = {}
        self.plans: dict[tuple, tuple] = {}  # which names a page finds in the context
        self.recording: list[str] | None = None
        self.made_dirs: set[str] = set()
        self.folders: dict[str, str] = {}  # a folder written to -> its name in the output
        self.aside: Path | None = None
        self.base = session.run_base()
        if self.base is not None:
            try:
                stored = session.last_manifest(self.manifest)
                if stored is None:
                    with open(self.manifest, "rb") as handle:
                        stored = pickle.load(handle)
                if stored.get("format") == FORMAT and stored.get("base") == self.base:
                    self.previous = stored["pages"]
                    self.previous_lists = stored["lists"]
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError, KeyError):
                pass
        # Where the last build's files are during this one.
        self.generators = generators
        self.in_place: stale.Run | None = None
        cleans = not self.link and _cleans(settings, first.path, self.output)
        if self.link:
            self.source = origin
        elif cleans and config["PREVIEW"] and stale.POSSIBLE:
            self.in_place = stale.Run(self.output)  # emptied afterwards (stale.py)
            self.source = self.output
        elif cleans:
            self.aside = self.output.with_name(f".{self.output.name}.previous")
            shutil.rmtree(self.aside, ignore_errors=True)  # a failed build's leftovers
            self.aside.mkdir(parents=True)
            keep = set(settings.get("OUTPUT_RETENTION") or [])
            if self.output.is_dir():
                for entry in os.listdir(self.output):
                    if entry not in keep:
                        os.rename(self.output / entry, self.aside / entry)
            self.source = self.aside
        else:
            self.source = self.output  # nothing is deleted: pages stay where they are

    def key(self, name, template, context, fixed: tuple, kwargs: dict, split=True) -> bytes | None:
        """Return the key of one write_file call, or None if it cannot be keyed.

        `split`: the call writes a whole paginated list (all its pages); a call for
        one page of it (split=False) depends on the lists only through the page
        variables its template reads.
        """
        if self.base is None:
            return None
        try:
            env = template.environment
            names = self.template_reads(env, template.name)
            # Its items without what only their own pages show, unless it reads that.
            self.digester.listing = self._template(env, template.name)[2]
            hasher = hashlib.blake2b(self.base, digest_size=16)
            hasher.update(repr((name, template.name, *fixed)).encode())
            digest = self.digester.digest
            # What the paginator splits is read even when the template does not name it.
            for known in ("articles", "dates") if split else ():
                if known in kwargs:
                    hasher.update(known.encode() + digest(kwargs[known]))
            shared, own = self._shared_part(env, names, context, kwargs)
            hasher.update(shared)
            for variable in own:
                value = kwargs[variable]
                if not split and variable.endswith(NEIGHBOUR_PAGES) and value is not None:
                    hasher.update(variable.encode() + b"@" + self.digester.place(value))
                else:
                    hasher.update(variable.encode() + b"=" + digest(value))
            return hasher.digest()
        except Unkeyable as error:
            logger.debug("%s is rendered every time: %s", name, error)
            return None
        finally:
            self.digester.listing = False

    def shared_digest(self, template, context: dict, arguments: tuple[str, ...]) -> bytes | None:
        """Return what pages of `template` read from the shared context, digested.

        The part of their keys `key` makes from `context`, for pages whose own
        arguments have these names (None: it cannot be keyed).
        """
        if self.base is None:
            return None
        env = template.environment
        try:
            names = self.template_reads(env, template.name)
            self.digester.listing = self._template(env, template.name)[2]
            return self._shared_part(env, names, context, dict.fromkeys(arguments))[0]
        except Unkeyable:
            return None
        finally:
            self.digester.listing = False

    def carry(self, name: str, writer: Writer) -> bool:
        """Carry a page over under the last build's key, if its files are untouched.

        For a caller that knows the key is the same without making it (item_pages.py).
        """
        old = self.previous.get(name)
        return old is not None and self.reuse(name, old[0], writer)

    def carry_list(self, name: str, key: bytes, writer: Writer) -> bool:
        """Carry every page of a paginated list over if the whole list's key is the last's.

        The list's key covers all each page's key is made from (its items in order, the
        other arguments, the context, the names): the same, every page's key is the
        same, and none is made. Carried only if every page's files are untouched.
        """
        old = self.previous_lists.get(name)
        if old is None or old[0] != key:
            return False
        pages = [(page, self.previous.get(page)) for page in old[1]]
        if not all(found is not None and self._untouched(found[1]) for _, found in pages):
            return False
        for page, found in pages:
            self._take(page, found, writer)
        self.lists[name] = old
        return True

    def note_list(self, name: str, key: bytes | None, pages: list[str]) -> None:
        """Remember a paginated list's key and its pages' names, for `carry_list`."""
        if key is not None:
            self.lists[name] = (key, pages)

    def key_in_this_build(self, name: str) -> bytes | None:
        """Return the key a page was written or carried over under in this build, if any."""
        page = self.pages.get(name)
        return page[0] if page is not None else None

    def _shared_part(self, env, names: tuple[str, ...], context: dict,
                     kwargs: dict) -> tuple[bytes, tuple[str, ...]]:  # fmt: skip
        """Digest what a page reads from the shared context (not its own arguments).

        Thousands of pages (every item's) read the same context values: their digest
        is made once, and made again only if one of the values is another object.
        Return it with the names the page reads from its own arguments, in order.
        """
        plan_key = (id(names), tuple(kwargs), id(context))
        plan = self.plans.get(plan_key)
        if plan is not None:
            found, missing, get, own = plan[:4]
            try:
                values = get(context)
            except KeyError:  # a name left the context: plan again
                plan = None
            else:
                if missing and any(v in context for v in missing):  # a name came into it
                    plan = None
        if plan is None:
            read = [v for v in names if v not in kwargs]
            found = tuple(v for v in read if v in context)
            missing = tuple(v for v in read if v not in context)
            own = tuple(v for v in names if v in kwargs)
            get = operator.itemgetter(*found) if found else (lambda _: ())
            if len(found) == 1:
                get = (lambda one: lambda c: (one(c),))(get)
            self.plans[plan_key] = (found, missing, get, own, names, context)  # held: ids stay
            values = get(context)
        if missing:
            values = (*values, *(env.globals.get(v, _UNDEFINED) for v in missing))
        memo_key = (found, missing, id(context), self.digester.listing)
        known = self.shared.get(memo_key)
        if known is not None and all(map(operator.is_, known[0], values)):
            return known[1], own
        hasher = hashlib.blake2b(digest_size=16)
        for variable, value in zip(found + missing, values, strict=True):
            if value is _UNDEFINED:
                hasher.update(f"{variable}=undefined\0".encode())
            elif variable not in context and callable(value):
                hasher.update(f"{variable}=function\0".encode())  # its code: the base key
            else:
                hasher.update(variable.encode() + b"=" + self.digester.digest(value, fold=True))
        self.shared[memo_key] = (values, hasher.digest(), context)  # held: ids stay theirs
        return self.shared[memo_key][1], own

    def template_reads(self, env, template: str) -> tuple[str, ...]:
        """Return the context names a template (and all it includes) reads, sorted."""
        known = self._template(env, template)
        if known is None:
            raise Unkeyable(f"template {template}")
        return known[0]

    def by_page(self, template) -> bool:
        """Whether each page of a list this template paginates can be keyed alone."""
        known = self._template(template.environment, template.name)
        return known is not None and known[1]

    def _template(self, env, template: str) -> tuple[tuple[str, ...], bool, bool] | None:
        """(context names read, lists read page by page, items read without ITEM_PAGE_ONLY)."""
        known = self.names.get(template, _UNDEFINED)
        if known is _UNDEFINED:  # every generator's environment has the same loader
            try:
                _, names, by_page, attributes = template_names(env, template)
                listed = attributes is not None and not attributes & ITEM_PAGE_ONLY
                known = (tuple(sorted(names)), by_page, listed)
            except Unkeyable:
                known = None
            self.names[template] = known
        return known

    def key_of(self, name: str, values) -> bytes | None:
        """Return the key of an output made outside templates from `values`, or None."""
        if self.base is None:
            return None
        try:
            return hashlib.blake2b(
                self.base + name.encode() + self.digester.digest(values), digest_size=16
            ).digest()
        except Unkeyable as error:
            logger.debug("%s is made every time: %s", name, error)
            return None

    def reuse(self, name: str, key: bytes, writer: Writer | None = None) -> bool:
        """Carry the last build's files of this page over if its key and files match."""
        old = self.previous.get(name)
        if old is None or old[0] != key or not self._untouched(old[1]):
            return False
        self._take(name, old, writer)
        return True

    def _untouched(self, files: list) -> bool:
        """Whether the last build's files of a page are as it left them."""
        source = str(self.source)
        for relative, size, mtime in files:
            try:
                stat = os.stat(f"{source}/{relative}")
            except OSError:
                return False
            if stat.st_size != size or stat.st_mtime_ns != mtime:
                return False
        return True

    def _take(self, name: str, old: tuple[bytes, list], writer: Writer | None) -> None:
        """Make the last build's (untouched) files of a page this build's."""
        files = old[1]
        source, output = str(self.source), str(self.output)
        if source != output:
            for relative, _, _ in files:
                target = f"{output}/{relative}"
                folder = os.path.dirname(target)
                if folder not in self.made_dirs:
                    os.makedirs(folder, exist_ok=True)
                    self.made_dirs.add(folder)
                if self.link:
                    os.link(f"{source}/{relative}", target)
                else:
                    os.rename(f"{source}/{relative}", target)
        if writer is not None:
            for relative, _, _ in files:
                writer._written_files.add(f"{output}/{relative}")  # Pelican's check
        self.pages[name] = old

    def record(self, name: str, key: bytes | None, paths: list[str]) -> None:
        """Remember the files a rendered page wrote, to carry them over next time."""
        if key is None:
            return
        files = []
        for path in paths:
            stat = os.stat(path)
            relative = self.name_of(path)
            files.append((relative, stat.st_size, stat.st_mtime_ns))
        self.pages[name] = (key, files)

    def name_of(self, path: str) -> str:
        """Return the name of a file written under the output folder (its relative path).

        Each folder is resolved once (thousands of pages are written to a few).
        """
        folder, base = os.path.split(path)
        known = self.folders.get(folder)
        if known is None:
            known = self.folders[folder] = (
                Path(folder).resolve().relative_to(self.output).as_posix()
            )
        return base if known == "." else f"{known}/{base}"

    def finish(self) -> None:
        """Keep this build's pages for the next one; delete what was not carried over."""
        if self.base is not None:
            stored = {"format": FORMAT, "base": self.base, "pages": self.pages, "lists": self.lists}
            session.keep_manifest(self.manifest, stored)
            session.after_run(_keep_manifest, self.manifest, stored)
        if self.in_place is not None:
            made = {relative for _, files in self.pages.values() for relative, _, _ in files}
            self.in_place.finish(made, self.generators, self.settings.get("OUTPUT_RETENTION"),
                                 session.later if session.defers() else None)  # fmt: skip
        if self.aside is not None:
            shutil.rmtree(self.aside, ignore_errors=True)


def _keep_manifest(path: Path, stored: dict) -> None:
    try:
        write_atomically(path, pickle.dumps(stored))
    except OSError as error:
        logger.debug("incremental manifest not written: %s", error)


def _cleans(settings: dict, content: str, output: Path) -> bool:
    """Return whether Pelican would empty the output folder (its own rule)."""
    if not settings.get("DELETE_OUTPUT_DIRECTORY"):
        return False
    real_out, real_content = os.path.realpath(output), os.path.realpath(content)
    return os.path.commonpath([real_out]) != os.path.commonpath([real_out, real_content])


def global_key(settings: dict) -> bytes:
    """Digest what every page depends on: code, theme, libraries, settings."""
    hasher = hashlib.blake2b(digest_size=16)
    hasher.update(repr([FORMAT, *(version(name) for name in _LIBRARIES)]).encode())
    for folder in (_ROOT, Path(settings["THEME"])):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                hasher.update(path.relative_to(folder).as_posix().encode() + b"\0")
                hasher.update(path.read_bytes())
    for name in sorted(settings):
        if name not in _PLACE_SETTINGS:
            hasher.update(name.encode() + b"=" + _stable(settings[name]) + b"\0")
    return hasher.digest()


def _stable(value) -> bytes:
    """Return bytes for a setting that are the same in every run for the same value."""
    if isinstance(value, (str, int, float, bool, type(None), bytes)):
        return repr(value).encode()
    if isinstance(value, (list, tuple)):
        return b"[" + b",".join(_stable(v) for v in value) + b"]"
    if isinstance(value, (set, frozenset)):
        return b"{" + b",".join(sorted(_stable(v) for v in value)) + b"}"
    if isinstance(value, dict):
        return b"{" + b",".join(_stable(k) + b":" + _stable(v) for k, v in value.items()) + b"}"
    code = getattr(value, "__code__", None)
    if code is not None:  # a function in the settings (an ordering, a filter)
        return f"{value.__module__}.{value.__qualname__}:".encode() + marshal.dumps(code)
    if isinstance(value, type) or type(value).__name__ == "module":
        return f"{value.__module__}.{value.__qualname__}".encode()
    text = repr(value)
    if " at 0x" in text:  # an object that names itself by address: unknowable
        raise Unkeyable(type(value).__qualname__)
    return text.encode()


class IncrementalWriter(Writer):
    """Pelican's writer, carrying unchanged pages over instead of rendering them."""

    def write_file(self, name, template, context, relative_urls=False, paginated=None,
                   template_name=None, override_output=False, url=None, **kwargs):  # fmt: skip
        """Write the page, or carry it over from the last build (see the module)."""
        build = _BUILD
        if build is None or not name:
            return super().write_file(name, template, context, relative_urls, paginated,
                                      template_name, override_output, url, **kwargs)  # fmt: skip
        fixed = (relative_urls, template_name, override_output, url)
        lists = paginated
        if lists is None:  # Pelican's own default
            lists = {k: v for k, v in kwargs.items() if k in ("articles", "dates")}
        if (
            lists
            and template_name in self.settings["PAGINATED_TEMPLATES"]
            and build.by_page(template)
        ):
            # Each page keyed by its own items: an edit re-renders the pages it shows on.
            # A list an edit left as it was is carried over whole, none of its pages
            # keyed: most lists, after most edits.
            whole = build.key(name, template, context, fixed, {**lists, **kwargs})
            if whole is not None and build.carry_list(name, whole, self):
                return None
            pages = []
            for page_name, page_kwargs in self._pages(name, url, template_name, lists, kwargs):
                key = build.key(page_name, template, context, fixed, page_kwargs, split=False)
                self._write(build, key, page_name, template, context, relative_urls, {},
                            template_name, override_output, url, page_kwargs)  # fmt: skip
                pages.append(page_name)
            build.note_list(name, whole, pages)
            return None
        key = build.key(name, template, context, fixed, {**(paginated or {}), **kwargs})
        self._write(build, key, name, template, context, relative_urls, paginated,
                    template_name, override_output, url, kwargs)  # fmt: skip
        return None

    def _write(self, build, key, name, template, context, relative_urls, paginated,
               template_name, override_output, url, kwargs) -> None:  # fmt: skip
        if key is not None and build.reuse(name, key, self):
            return
        build.recording = written = []
        try:
            super().write_file(name, template, context, relative_urls, paginated,
                               template_name, override_output, url, **kwargs)  # fmt: skip
        finally:
            build.recording = None
        build.record(name, key, written)

    def _pages(self, name, url, template_name, lists: dict, kwargs: dict):
        """Yield (file name, template arguments) of each page of a paginated list.

        As Pelican's write_file paginates (pelican/writers.py, 4.12); each page is then
        written on its own, which Pelican does the same way (nothing to paginate).
        """
        per_page = (
            self.settings["PAGINATED_TEMPLATES"][template_name]
            or self.settings["DEFAULT_PAGINATION"]
        )
        paginators = {
            key: Paginator(name, url, val, self.settings, per_page) for key, val in lists.items()
        }
        # Each page is made once: the page after one is the next one written (Pelican
        # makes it three times, as the page and as its neighbours': equal objects).
        around = {key: (None, paginator.page(1)) for key, paginator in paginators.items()}
        for number in range(1, next(iter(paginators.values())).num_pages + 1):
            page_kwargs = kwargs.copy()
            for key, paginator in paginators.items():
                previous, page = around[key]
                if page is None:  # past the end of a shorter list: as Pelican makes it
                    page = paginator.page(number)
                following = paginator.page(number + 1) if number < paginator.num_pages else None
                page_kwargs.update({
                    f"{key}_paginator": paginator,
                    f"{key}_page": page,
                    f"{key}_previous_page": previous,
                    f"{key}_next_page": following,
                })  # fmt: skip
                around[key] = (page, following)
            yield page.save_as, page_kwargs

    def _open_w(self, filename, encoding, override=False):
        # A hard-linked page shares its file with the last build: never write through.
        if _BUILD is not None and _BUILD.link and os.path.lexists(filename):
            os.unlink(filename)
        return super()._open_w(filename, encoding, override)


def start(generators) -> None:
    """Plan this build once the content is checked and read (before anything is written)."""
    global _BUILD
    _BUILD = None
    written.left_alone.clear()  # only a preview run in place reads it (stale.py)
    if generators and get_config(generators[0].settings)["ENABLED"]:
        _BUILD = _Build(generators)


def keep_output(pelican) -> None:
    """Stop Pelican emptying the output first: `start` does it, after the content check."""
    if get_config(pelican.settings)["ENABLED"]:
        pelican.delete_outputdir = False


def note_written(path, context=None) -> None:
    """Collect the files a page being rendered writes (content_written receiver)."""
    if _BUILD is not None and _BUILD.recording is not None:
        _BUILD.recording.append(path)


def carry_over(path: str, values) -> bytes | None:
    """For an output written outside Pelican's writer (a feed document): carry it over.

    Return None if the file at `path` (under the output folder) was carried over from
    the last build because `values` are unchanged; otherwise the key to pass to
    `made` once the file is written (or b"" when there is no incremental build).
    """
    if _BUILD is None:
        return b""
    name = _BUILD.name_of(path)
    key = _BUILD.key_of(name, values)
    if key is not None and _BUILD.reuse(name, key):
        return None
    return key or b""


def digest(value) -> bytes:
    """Return the digest of `value` in this build (b"" when there is no build)."""
    if _BUILD is None:
        return b""
    try:
        return _BUILD.digester.digest(value)
    except Unkeyable:
        return os.urandom(16)  # never equal to anything: the output is made afresh


def keyed_build() -> _Build | None:
    """Return this build's plan, or None (no build, or its pages are not keyed)."""
    return _BUILD if _BUILD is not None and _BUILD.base is not None else None


def digester():
    """Return this build's digester, or None (no build, or its pages are not keyed)."""
    build = keyed_build()
    return build.digester if build is not None else None


def made(path: str, key: bytes) -> None:
    """Remember a file written after `carry_over` said it must be made."""
    if _BUILD is not None and key:
        name = _BUILD.name_of(path)
        _BUILD.record(name, key, [path])


def written_pages() -> tuple[dict, dict, dict]:
    """Return what a forked writer hands back (pages written, what templates read).

    The pages this build wrote or carried over so far, its paginated lists, and what
    each template it used reads.
    """
    if _BUILD is None:
        return {}, {}, {}
    return _BUILD.pages, _BUILD.lists, _BUILD.names


def take_pages(handed: tuple[dict, dict, dict]) -> None:
    """Add the pages and lists another process of this build wrote, what its templates read.

    A preview session keeps the latter for its next runs: a forked copy alone renders
    the lists, whose templates would otherwise be parsed again in every copy.
    """
    if _BUILD is not None:
        pages, lists, names = handed
        _BUILD.pages.update(pages)
        _BUILD.lists.update(lists)
        for template, reads in names.items():
            _BUILD.names.setdefault(template, reads)


def finish() -> None:
    """Keep the manifest; drop the last build's leftovers."""
    global _BUILD
    if _BUILD is not None:
        _BUILD.finish()
    _BUILD = None


def get_writer(pelican):
    """Offer the carrying-over writer to Pelican."""
    return IncrementalWriter if get_config(pelican.settings)["ENABLED"] else None
