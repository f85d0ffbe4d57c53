"""Build the Pagefind index of a built site."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BUNDLE = "pagefind"  # the folder under the output that holds the index
# Pagefind's Linux binary allocates with jemalloc (since 1.5.2), which keeps freed memory
# for ten seconds to reuse it: while the index is built, that is a sixth of its peak.
# Given back at once, the peak at 5,000 items falls from ~1,140 to ~960 MB, in the same
# time (tests/test_search.py checks the allocator takes it; README, "Performance").
ALLOCATOR = {"_RJEM_MALLOC_CONF": "dirty_decay_ms:0"}


@dataclass(frozen=True)
class IndexStats:
    """What indexing produced."""

    pages: int
    bytes: int


class SearchIndexError(RuntimeError):
    """Pagefind failed; the message is Chinese and names the cause."""


def item_pages(settings: dict) -> str:
    """Return the glob of the item pages (the only pages indexed) from ARTICLE_SAVE_AS.

    The home page is in it too, unindexed: Pagefind fails on a site without items
    if it finds no page at all.
    """
    return "{" + re.sub(r"\{[^}]*\}", "*", settings["ARTICLE_SAVE_AS"]) + ",index.html}"


def build_index(output: Path, pages: str = "**/*.html") -> IndexStats:
    """Index the published items of a built site (only pages marked data-pagefind-body).

    Runs the extended Pagefind binary from the pagefind[extended] wheel: only that
    build segments Chinese, so that 人大 or 主任会议 find anything. `pages` (a glob,
    see `item_pages`) spares Pagefind parsing the list pages: a tenth less memory.
    """
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pagefind",
            "--site",
            str(output),
            "--glob",
            pages,
            "--output-subdir",
            BUNDLE,
            "--silent",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **ALLOCATOR},
    )
    if result.returncode != 0:
        raise SearchIndexError(
            f"搜索索引生成失败：{(result.stderr or result.stdout).strip()[-500:]}"
        )
    folder = output / BUNDLE
    entry = (folder / "pagefind-entry.json").read_text(encoding="utf-8")
    pages = sum(int(n) for n in re.findall(r'"page_count":\s*(\d+)', entry))
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    return IndexStats(pages=pages, bytes=size)
