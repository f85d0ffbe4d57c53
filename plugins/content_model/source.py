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
    # Only the header is split into lines (up to the body's first line); the body is
    # sliced off whole: it can be megabytes, and the tally never looks at it.
    lines, offsets, position = [], [], 0
    seen_field = seen_blank = False
    while position <= len(text):
        end = text.find("\n", position)
        end = len(text) if end < 0 else end
        line = text[position:end]
        lines.append(line)
        offsets.append(position)
        if line.strip():
            if seen_blank:
                break
            seen_field = True
        elif seen_field:
            seen_blank = True
        position = end + 1
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    # One field a line, no continuation lines: a paragraph indented with 　　 and
    # written without the blank line must never be swallowed into a field.
    while index < len(lines):
        raw = lines[index].rstrip("\r")
        number = index + 1
        index += 1
        if not raw.strip():
            break
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
    source.body_line = index + 1
    source.body = text[offsets[index] :] if index < len(lines) else ""
    return source


def split_list(value: str) -> list[str]:
    """Split a list field on any of , ， 、 ; ；, dropping blanks and repeats."""
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


def has_time(value: str) -> bool:
    """Return whether a written date carries a time of day."""
    text = unicodedata.normalize("NFKC", value)
    date = _DATE_PART.match(text.strip())
    rest = text.strip()[date.end() :] if date else text
    return bool(re.search(r"\d\s*[:时点]", rest))


def _clip(text: str, width: int = 30) -> str:
    text = text.strip()
    return text if len(text) <= width else text[:width] + "……"


def _looks_like_body(key: str) -> bool:
    # A "key" longer than any field name is almost always a sentence of the body.
    return len(key) > 6
