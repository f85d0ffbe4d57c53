"""Changes the tasks make to content files on an editor's behalf."""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path

from .corpus import classify, item_slug
from .source import split


def add_missing_uids(settings: dict) -> tuple[list[str], list[str]]:
    """Give every news item without 编号 a fresh one, in place.

    Returns (changed paths, paths that could not be read), relative to the content
    folder. Only the new line is added: BOM, line endings and the rest stay as
    they are.
    """
    root = Path(settings["PATH"])
    changed, unreadable = [], []
    for file in sorted(root.rglob("*.md")):
        relative = file.relative_to(root).as_posix()
        if classify(relative, settings) != "item":
            continue
        data = file.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            unreadable.append(relative)
            continue
        source = split(relative, text)
        if "uid" in source.fields:
            continue
        newline = "\r\n" if "\r\n" in text else "\n"
        lines = text.split("\n")
        # Insert before the blank line that ends the header (or at the end).
        end = source.body_line - 2
        if not (0 <= end < len(lines) and not lines[end].strip()):
            end = len(lines)
        lines.insert(end, f"编号：{uuid.uuid4()}" + ("\r" if newline == "\r\n" else ""))
        bom = "\ufeff" if data.startswith(b"\xef\xbb\xbf") else ""
        file.write_bytes((bom + "\n".join(lines)).encode("utf-8"))
        changed.append(relative)
    return changed, unreadable


def new_item(
    settings: dict,
    *,
    title: str,
    column: str,
    date: datetime,
    unit: str = "",
    authors: list[str] | None = None,
    tags: list[str] | None = None,
    genre: str = "",
) -> tuple[Path, str]:
    """Write a new news item with a fresh 编号; return its file and its URL."""
    uid = str(uuid.uuid4())
    slug = item_slug(date, uid)
    folder = Path(settings["PATH"]) / settings["ARTICLE_PATHS"][0] / f"{date:%Y}"
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / f"{slug}.md"
    header = [
        ("标题", title),
        ("日期", f"{date:%Y-%m-%d %H:%M}"),
        ("栏目", column),
        ("单位", unit),
        ("作者", "、".join(authors or [])),
        ("标签", "、".join(tags or [])),
        ("体裁", genre),
        ("编号", uid),
    ]
    lines = [f"{key}：{value}" for key, value in header if value]
    body = "（在这里写正文。段落之间空一行。）"
    file.write_text("\n".join(lines) + "\n\n" + body + "\n", encoding="utf-8")
    url = settings["ARTICLE_URL"].format(slug=slug, date=date)
    return file, url


def shown_folder(path: str | os.PathLike) -> str:
    """Return a path as an editor should see it: relative when below the cwd."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative
