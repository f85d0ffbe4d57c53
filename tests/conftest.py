"""Shared fixtures: build a site the way Pelican does, in-process, into tmp folders."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pelican import Pelican
from pelican.settings import read_settings

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "pelicanconf.py"
SAMPLE = ROOT / "content"
# The sample content is dated up to November 2026; "now" is fixed so that a test
# never depends on the day it runs.
NOW = "2026-11-22T12:00:00+08:00"


# The seven declared columns, in order, as pelicanconf.py lists them.
COLUMN_NAMES = [
    "人民代表大会会议",
    "常委会会议",
    "主任会议",
    "监督",
    "重大事项决定",
    "人事任免",
    "代表风采",
]


def settings_for(content: Path, output: Path, **override) -> dict:
    """Read pelicanconf.py with test overrides, as Pelican's own tests do."""
    model = {"NOW": NOW, **override.pop("CONTENT_MODEL", {})}
    return read_settings(
        str(SETTINGS),
        override={
            "PATH": str(content),
            "OUTPUT_PATH": str(output),
            "CACHE_CONTENT": False,
            # Each build keeps its parse cache beside its output, never the project's.
            "CACHE_PATH": str(Path(output).parent / (Path(output).name + "-cache")),
            "CONTENT_MODEL": model,
            **override,
        },
    )


def build(content: Path, output: Path, **override) -> Path:
    """Build `content` into `output` in-process; return the output folder."""
    Pelican(settings_for(content, output, **override)).run()
    return output


def run_pelican(content: Path, output: Path, settings: Path = SETTINGS, cwd: Path | None = None):
    """Run the real `pelican` command line; return the completed process."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "pelican", str(content), "-o", str(output), "-s", str(settings)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=300,
    )


def soup(path: Path) -> BeautifulSoup:
    """Parse a built HTML file."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def write_item(folder: Path, name: str, header: str, body: str = "正文第一段。", *, bom=False):
    """Write a news item from a header block (dedented) and a body."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = textwrap.dedent(header).strip() + "\n\n" + body + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Path:
    """Build the sample content once for the whole session."""
    output = tmp_path_factory.mktemp("sample-site")
    collected = _Collect()
    logging.getLogger().addHandler(collected)
    try:
        build(SAMPLE, output)
    finally:
        logging.getLogger().removeHandler(collected)
    assert not collected.records, "the sample site builds with warnings: " + "; ".join(
        r.getMessage() for r in collected.records
    )
    return output


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def content(tmp_path) -> Path:
    """Make an empty content folder with the standard sub-folders."""
    folder = tmp_path / "content"
    (folder / "news" / "2025").mkdir(parents=True)
    (folder / "pages").mkdir()
    return folder


@pytest.fixture(autouse=True)
def no_unexpected_warnings(request, caplog):
    """Fail a test on any warning from Pelican or our plugins it did not ask for."""
    caplog.set_level(logging.WARNING)
    yield
    if request.node.get_closest_marker("warnings_expected"):
        return
    ours = [
        r
        for r in caplog.get_records("call")
        if r.levelno >= logging.WARNING and r.name.split(".")[0] in {"pelican", "content_model"}
    ]
    assert not ours, "unexpected warnings: " + "; ".join(r.getMessage() for r in ours)


def copy_sample(dest: Path) -> Path:
    """Copy the sample content to dest (for tests that modify it)."""
    shutil.copytree(SAMPLE, dest)
    return dest
