"""Turn a content file's bytes into header fields and a body, the way editors write.

Editors' habits are accepted: a UTF-8 BOM, full-width colons, Chinese list
separators and Chinese date formats. Everything else becomes a Problem that says
where it is and how to fix it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from .problems import Problem
from .schema import ITEM_SCHEMA, Schema

_KEY_LINE = re.compile(r"^(?P<key>[^:：\s][^:：]{0,30}?)\s*[:：]\s*(?P<value>.*)$")
_LIST_SEPARATORS = re.compile(r"[,，、;；]")
_TEXT = re.compile(r"\S")
# A line break followed by a line of nothing but whitespace (the header's end).
_BLANK_LINE = re.compile(r"\n[^\S\n]*(?=\n|\Z)")
# C0 control characters other than tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Field:
    """One header field as written: its value and the line it is on."""

    value: str
    line: int
    written_key: str


@dataclass
class Source:
    """A decoded content file split into header fields and body."""

    path: str
    fields: dict[str, Field] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1  # the line the body starts on
    problems: list[Problem] = field(default_factory=list)


def decode(path: str, data: bytes) -> tuple[str | None, Problem | None]:
    """Decode UTF-8 (with or without BOM); say how to re-save anything else."""
    hint = (
        "用记事本打开后选择“另存为”，编码选“UTF-8”再保存；"
        "或在 WPS/VS Code 中选择“以 UTF-8 编码保存”。"
    )
    # UTF-16 ("Unicode" in Notepad) can pass as UTF-8 when the text is ASCII.
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:400].count(0) > 20:
        return None, Problem(
            path, 0, "", "文件是 UTF-16（记事本里的“Unicode”）编码，不是 UTF-8。", hint
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
    try:
        data.decode("gb18030")
        guess = "文件看起来是 GBK（GB2312/GB18030）编码，不是 UTF-8。"
    except UnicodeDecodeError:
        guess = "文件不是 UTF-8 编码的文本（可能是 Word 文档或其他二进制文件）。"
    return None, Problem(path, line, "", guess, hint)


def split(path: str, text: str, schema: Schema = ITEM_SCHEMA) -> Source:
    """Split text into header fields and body, noting every malformed header line."""
    source = Source(path=path)
    # The header runs from the first line with text to the first blank line after it;
    # the body is what follows that blank line, sliced off whole (it can be megabytes,
    # and the tally never looks at it). Both ends are found by searching, not line by
    # line: every build reads the header of every file in the archive.
    text_at = _TEXT.search(text)
    start = text_at.start() if text_at else len(text)
    begin = text.rfind("\n", 0, start) + 1
    first_line = text.count("\n", 0, begin) + 1
    blank = _BLANK_LINE.search(text, start) if text_at else None
    if blank is None:  # no blank line: all header, no body
        header = text[begin:] if text_at else ""
        source.body_line = text.count("\n") + 2
    else:
        header = text[begin : blank.start()]
        source.body_line = first_line + header.count("\n") + 2
        source.body = text[blank.end() + 1 :]
    # One field a line, no continuation lines: a paragraph indented with 　　 and
    # written without the blank line must never be swallowed into a field.
    for number, raw in enumerate(header.split("\n") if header else (), first_line):
        raw = raw.rstrip("\r")
        match = _KEY_LINE.match(raw.strip())
        if not match or raw[:1].isspace():
            hint = "文件开头每行写一个字段，如“标题：……”；字段写完后空一行再写正文。"
            source.problems.append(
                Problem(
                    path,
                    number,
                    "",
                    f"这一行不是“字段：内容”的格式：“{_clip(raw)}”。",
                    hint,
                )
            )
            continue
        written = match.group("key").strip()
        spec = schema.find(written)
        if spec is None:
            guess = schema.suggest(written)
            hint = f"您是不是想写“{guess}”？" if guess else ""
            if _looks_like_body(written):
                hint += "如果这一行是正文，请在字段和正文之间空一行。"
            source.problems.append(
                Problem(
                    path,
                    number,
                    written,
                    f"不认识的字段“{written}”。",
                    f"{hint}可用字段：{schema.labels()}。",
                )
            )
            continue
        if spec.key in source.fields:
            first = source.fields[spec.key]
            source.problems.append(
                Problem(
                    path,
                    number,
                    spec.label,
                    f"字段“{spec.label}”写了两次（第 {first.line} 行已经写过）。",
                    "只保留一行。",
                )
            )
            continue
        value = match.group("value").strip()
        if _CONTROL.search(value):
            source.problems.append(
                Problem(
                    path,
                    number,
                    spec.label,
                    "这一行含有看不见的控制字符（常见于从其他软件复制粘贴）。",
                    "删掉这一行，重新手动输入。",
                )
            )
            continue
        source.fields[spec.key] = Field(value, number, written)
    return source


def split_list(value: str) -> list[str]:
    """Split a list field on any of , ， 、 ; ；, dropping blanks and repeats."""
    if not value:  # most items name no deputies, many no submissions
        return []
    items = (part.strip() for part in _LIST_SEPARATORS.split(value))
    return list(dict.fromkeys(item for item in items if item))


_DATE_PART = re.compile(
    r"^(?P<y>\d{4})(?:[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})|年(?P<m2>\d{1,2})月(?P<d2>\d{1,2})日)"
)
_TIME_PART = re.compile(
    r"^[T\s]*(?P<h>\d{1,2})(?:(?::(?P<mi>\d{2})(?::(?P<s>\d{2}))?)|(?:[时点](?:(?P<mi2>\d{1,2})分)?))?$"
)


def parse_date(value: str, tz: tzinfo) -> datetime:
    """Parse the date formats editors write; raise ValueError with a Chinese reason."""
    text = unicodedata.normalize("NFKC", value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None:
        date = _DATE_PART.match(text)
        if not date:
            raise ValueError(f"看不懂的日期“{value}”。")
        rest = text[date.end() :].strip()
        hour = minute = second = 0
        if rest:
            clock = _TIME_PART.match(rest)
            if not clock:
                raise ValueError(f"看不懂日期后面的时间“{rest}”。")
            hour = int(clock["h"])
            minute = int(clock["mi"] or clock["mi2"] or 0)
            second = int(clock["s"] or 0)
        try:
            parsed = datetime(
                int(date["y"]),
                int(date["m"] or date["m2"]),
                int(date["d"] or date["d2"]),
                hour,
                minute,
                second,
            )
        except ValueError:
            raise ValueError(f"日期“{value}”不存在（请核对月、日、时、分）。") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def strip_controls(text: str) -> tuple[str, list[int]]:
    """Remove control characters; return the text and the offsets where they were."""
    found = [m.start() for m in _CONTROL.finditer(text)]
    return (_CONTROL.sub("", text), found) if found else (text, [])


_CLOCK = re.compile(r"\d\s*[:时点]")


def has_time(value: str) -> bool:
    """Return whether a written date carries a time of day."""
    text = unicodedata.normalize("NFKC", value)
    date = _DATE_PART.match(text.strip())
    rest = text.strip()[date.end() :] if date else text
    return _CLOCK.search(rest) is not None


def _clip(text: str, width: int = 30) -> str:
    text = text.strip()
    return text if len(text) <= width else text[:width] + "……"


def _looks_like_body(key: str) -> bool:
    # A "key" longer than any field name is almost always a sentence of the body.
    return len(key) > 6
