"""Register the content model with Pelican: strict checks, then our reader."""

from __future__ import annotations

import logging
import sys

from pelican import signals
from pelican.generators import ArticlesGenerator, PagesGenerator
from pelican.log import FatalLogger

from .bodies import adopt, kept_in_memory, spill
from .corpus import build_corpus, share_equal_values
from .editing import shown_folder
from .problems import ContentRefused, Problem, format_report
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


def _refuse(problems: list[Problem], settings: dict) -> None:
    # The report goes to the terminal as it is: it is the editors' interface, and
    # the log handler would re-wrap its lines into a narrow column.
    sys.stderr.write(format_report(problems, shown_folder(settings["PATH"])) + "\n")
    raise ContentRefused(problems)


def _tell(corpus, settings: dict) -> None:
    folder = shown_folder(settings["PATH"])
    for notice in corpus.notices:
        logger.warning("%s/%s 第 %d 行：%s", folder, notice.path, notice.line, notice.message)
    if corpus.waiting:
        listed = "；".join(
            f"{folder}/{r.path}（{r.meta['date']:%Y年%m月%d日 %H:%M}）" for r in corpus.waiting
        )
        logger.warning(
            "有 %d 篇稿件定于以后发布，本次未上线，到期后重新构建即可：%s",
            len(corpus.waiting),
            listed,
        )


def check_content(generator) -> None:
    """Check every content file once per run, before any is read; refuse on problems."""
    if not isinstance(generator, (ArticlesGenerator, PagesGenerator)):
        return
    settings = generator.settings
    corpus = generator.context.get(CONTEXT_KEY)
    if corpus is None:
        corpus = build_corpus(settings)
        if corpus.problems:
            _refuse(corpus.problems, settings)
        _tell(corpus, settings)
        if not kept_in_memory():  # a build on its own; a preview session's records stay
            share_equal_values(corpus.records.values())
            spill(corpus.records.values())
        generator.context[CONTEXT_KEY] = corpus
    # Pelican lists the files it will read by its own rules; any it would read that
    # the check did not cover is refused rather than published unchecked.
    if isinstance(generator, ArticlesGenerator):
        paths, excludes = settings["ARTICLE_PATHS"], settings["ARTICLE_EXCLUDES"]
    else:
        paths, excludes = settings["PAGE_PATHS"], settings["PAGE_EXCLUDES"]
    unchecked = sorted(
        path.replace("\\", "/")
        for path in generator.get_files(paths, exclude=excludes)
        if path.replace("\\", "/") not in corpus.records
    )
    if unchecked:
        _refuse(
            [
                Problem(path, 0, "", "这个文件没有通过检查，不能发布。", "检查文件名和所在文件夹。")
                for path in unchecked
            ],
            settings,
        )
    reader = generator.readers.readers.get("md")
    if isinstance(reader, NewsReader):
        reader.corpus = corpus


def register() -> None:
    """Connect the plugin's handlers (module-level: Pelican keeps weak references)."""
    signals.initialized.connect(make_errors_fatal)
    signals.readers_init.connect(use_news_reader)
    signals.generator_init.connect(check_content)
    signals.content_object_init.connect(adopt)
