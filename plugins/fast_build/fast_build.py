"""Register the fast build with Pelican: incremental pages, two cores, linear grouping."""

from __future__ import annotations

from pathlib import Path

from pelican import signals

from . import (
    heap,
    incremental,
    intrasite,
    item_pages,
    membership,
    parallel,
    paths,
    session,
    uptodate,
    urls,
)


def plan(generators) -> None:
    """Once all content is read: plan what to carry over; fork the items' writer."""
    heap.freeze()
    incremental.start(generators)
    uptodate.note(generators)
    parallel.split(generators)


def finish(pelican) -> None:
    """After all output: wait for the forked writer, then keep the manifest."""
    try:
        parallel.join()
    finally:
        try:
            incremental.finish()
        finally:  # a failure there (a file that cannot be deleted) still ends the run
            session.finish()
            urls.thaw()
            urls.forget(session.live_articles())
            paths.finish()
            if not session.defers():  # a preview session's heap is settled between runs
                heap.finish()
    item_pages.finish()  # only after a run that succeeded, and the session's own
    uptodate.finish(Path(pelican.output_path))


def register():
    """Connect the plugin (module-level receivers: Pelican keeps weak references)."""
    urls.install()
    paths.install()
    intrasite.install()
    signals.initialized.connect(incremental.keep_output)
    signals.initialized.connect(session.begin)
    signals.initialized.connect(heap.begin)  # before anything is read
    signals.initialized.connect(uptodate.begin)  # after begin: it needs the global key
    signals.initialized.connect(parallel.begin)
    signals.initialized.connect(item_pages.begin)
    signals.initialized.connect(urls.thaw)  # a failed build may have left them frozen
    signals.article_generator_init.connect(session.reuse_articles)
    signals.article_generator_init.connect(heap.freeze)  # after the content check's reading
    signals.article_generator_init.connect(parallel.start_ahead)  # frozen: copied less
    signals.generator_init.connect(session.keep_compiled)
    signals.article_generator_pretaxonomy.connect(membership.speed_up)
    signals.all_generators_finalized.connect(plan)
    signals.get_writer.connect(urls.freeze)  # returns no writer: only marks the moment
    signals.get_writer.connect(incremental.get_writer)
    signals.content_written.connect(incremental.note_written)
    signals.finalized.connect(finish)
