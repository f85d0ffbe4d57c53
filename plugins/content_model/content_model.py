"""Register the content model with Pelican: strict checks, then our reader."""

from __future__ import annotations

import logging
import sys

from pelican import signals
from pelican.generators import ArticlesGenerator, PagesGenerator
from pelican.log import FatalLogger

from .corpus import build_corpus
from .editing import shown_folder
from .problems import ContentRefused, format_report
from .reader import NewsReader

logger = logging.getLogger(__name__)

CONTEXT_KEY = "content_model_corpus"

# Formats Pelican would read on its own; we publish only .md, and the corpus check
# reports any other file in the content folders instead of letting it slip by.
_OTHER_FORMATS = ("markdown", "mkd", "mdown", "rst", "html", "htm")


def make_errors_fatal(pelican) -> None:
    """Turn every error Pelican logs into a failed build (``--fatal errors``)."""
    FatalLogger.fatal_lvl = min(FatalLogger.fatal_lvl, logging.ERROR)


def use_news_reader(readers) -> None:
    """Read .md with our reader and nothing else with Pelican's."""
    readers.reader_classes["md"] = NewsReader
    for fmt in _OTHER_FORMATS:
        readers.reader_classes[fmt] = None


def check_content(generator) -> None:
    """Check every content file once per run, before any is read; refuse on problems."""
    if not isinstance(generator, (ArticlesGenerator, PagesGenerator)):
        return
    corpus = generator.context.get(CONTEXT_KEY)
    if corpus is None:
        corpus = build_corpus(generator.settings)
        if corpus.problems:
            # The report goes to the terminal as it is: it is the editors' interface,
            # and the log handler would re-wrap its lines into a narrow column.
            folder = shown_folder(generator.settings["PATH"])
            sys.stderr.write(format_report(corpus.problems, folder) + "\n")
            raise ContentRefused(corpus.problems)
        for notice in corpus.notices:
            folder = shown_folder(generator.settings["PATH"])
            logger.warning("%s/%s 第 %d 行：%s", folder, notice.path, notice.line, notice.message)
        if corpus.waiting:
            listed = "；".join(
                f"{r.path}（{r.meta['date']:%Y年%m月%d日 %H:%M}）" for r in corpus.waiting
            )
            logger.info(
                "有 %d 篇稿件定于以后发布，到期后重新构建即可上线：%s", len(corpus.waiting), listed
            )
        generator.context[CONTEXT_KEY] = corpus
    reader = generator.readers.readers.get("md")
    if isinstance(reader, NewsReader):
        reader.corpus = corpus


def register() -> None:
    """Connect the plugin's handlers (module-level: Pelican keeps weak references)."""
    signals.initialized.connect(make_errors_fatal)
    signals.readers_init.connect(use_news_reader)
    signals.generator_init.connect(check_content)
