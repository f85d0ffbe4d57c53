"""Run one Pelican build and report wall time per phase and peak memory, as JSON.

Run as a separate process by ``invoke bench``, so each build's peak memory is its own:
    python tests/bench/harness.py SETTINGS CONTENT OUTPUT [--cache] [--search] [--loop SPEC]

With ``--loop``, builds as the preview does (``invoke serve``; Pelican's own
``--autoreload`` for vanilla): one long-lived process, a first build, then a rebuild
after each edit SPEC (a JSON file) lists, each timed.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

from tests.bench.memory import DONE  # noqa: E402 - importable once the root is on the path

# Which phase each generator's output belongs to (anything else: "other pages").
PHASES = {
    "ArticlesGenerator": "render+write items, lists",
    "PagesGenerator": "render+write pages",
    "FeedsGenerator": "feeds",
    "TallyGenerator": "tally",
    "DeputiesGenerator": "deputies",
    "SiteFilesGenerator": "sitemap",
    "StaticGenerator": "static files",
}


def main(argv: list[str]) -> dict:
    """Build once with timing wrappers in place; return the measurements."""
    settings_file, content, output = argv[:3]
    import pelican
    from pelican.generators import ArticlesGenerator, Generator
    from pelican.settings import read_settings
    from rich.console import Console

    pelican.console = Console(quiet=True)  # no "Done:" line in the JSON output
    times: dict[str, float] = defaultdict(float)

    def timed(owner, name, phase):
        original = getattr(owner, name)

        def wrapper(self, *args, **kwargs):
            start = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                times[phase(self) if callable(phase) else phase] += time.perf_counter() - start

        setattr(owner, name, wrapper)

    timed(ArticlesGenerator, "generate_feeds", "_pelican_feeds")
    original_classes = pelican.Pelican._get_generator_classes

    def classes(self):
        found = original_classes(self)
        for cls in found:
            if "generate_context" in vars(cls) or cls is Generator:
                timed(cls, "generate_context", "read+check content")
            if "generate_output" in vars(cls):
                timed(cls, "generate_output", lambda g: PHASES.get(type(g).__name__, "other pages"))
        return found

    pelican.Pelican._get_generator_classes = classes
    # Caches beside the output, in the bench's folder (emptied when a bench starts): its
    # cold build is cold, whatever an earlier bench of the same folder left.
    override = {"PATH": content, "OUTPUT_PATH": output, "CACHE_PATH": f"{output}-cache"}
    if "--cache" in argv:
        override.update(CACHE_CONTENT=True, LOAD_CONTENT_CACHE=True)
    settings = read_settings(settings_file, override=override)
    if "content_model" in (settings.get("PLUGINS") or []):
        # Only for our build: importing the plugin registers its reader with Pelican.
        # The corpus check runs when the generators are made, before generate_context.
        import content_model.content_model as plugin

        original_build = plugin.build_corpus

        def build_corpus(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original_build(*args, **kwargs)
            finally:
                times["read+check content"] += time.perf_counter() - start

        plugin.build_corpus = build_corpus
    parallel = None
    if "fast_build" in (settings.get("PLUGINS") or []):
        # The items' pages are written by a forked process meanwhile: time the wait.
        import fast_build.parallel as parallel

        original_join = parallel.join

        def join():
            start = time.perf_counter()
            try:
                return original_join()
            finally:
                times["render+write items, lists"] += time.perf_counter() - start

        parallel.join = join
    if "--loop" in argv:
        if parallel is not None:  # as invoke serve sets it
            settings["FAST_BUILD"] = {**(settings.get("FAST_BUILD") or {}), "PREVIEW": True}
        return _loop(settings, json.loads(Path(argv[argv.index("--loop") + 1]).read_text()),
                     vanilla=parallel is None)  # fmt: skip
    start = time.perf_counter()
    pelican.Pelican(settings).run()
    total = time.perf_counter() - start
    # Pelican writes its feeds inside ArticlesGenerator.generate_output: move them over.
    pelican_feeds = times.pop("_pelican_feeds", 0.0)
    times["render+write items, lists"] -= pelican_feeds
    times["feeds"] += pelican_feeds
    done = os.environ.get(DONE)
    if done:  # the memory the bench samples (memory.py) is the build's, not the search's
        Path(done).touch()
    if "--search" in argv:
        from search.index import build_index, item_pages

        start = time.perf_counter()
        stats = build_index(Path(output), item_pages(settings))
        times["search index"] = time.perf_counter() - start
        times["search index MB"] = stats.bytes / 1048576
    # Every process's peak (their shared pages counted in each: an upper bound), and
    # what the forked copies held of their own.
    main_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    copies = {}
    if parallel:
        copies = {
            "items' writer": (parallel.last_child_peak_mb, parallel.last_child_own_mb),
            "work-ahead": (parallel.last_ahead_peak_mb, parallel.last_ahead_own_mb),
        }
    return {
        "total": total,
        "phases": dict(times),
        "peak_mb": main_mb + sum(peak for peak, _ in copies.values()),
        "memory": {"main": main_mb, "copies": copies},
        "children_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def _loop(settings: dict, spec: dict, vanilla: bool) -> dict:
    """Build as a preview session does; time each rebuild after an edit (see module)."""
    import fast_build.parallel as parallel  # noqa: PLC0415 - importable once plugins are on the path
    import pelican
    from fast_build.session import settle

    from tests.bench.corpus import apply_edit

    instance = pelican.Pelican(settings)  # vanilla's --autoreload runs this one again
    times, idle, child_peak = {}, {}, 0.0
    news = Path(settings["PATH"]) / "news"
    for n, kind in enumerate(["first", *spec["kinds"]]):
        if kind not in ("first", "nothing"):
            apply_edit(news, kind, spec["paths"], spec["columns"], spec["start"] + n)
        start = time.perf_counter()
        if vanilla:
            instance.run()
        else:  # invoke serve makes a Pelican for every run, from the same settings
            pelican.Pelican(settings).run()
        times.setdefault(kind, []).append(time.perf_counter() - start)
        child_peak = max(child_peak, parallel.last_child_peak_mb)
        if not vanilla:  # invoke serve settles while it waits for the next save
            start = time.perf_counter()
            settle()
            idle.setdefault(kind, []).append(time.perf_counter() - start)
    return {
        "loop": times,
        "idle": idle,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 + child_peak,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
