"""Read and check every file under the content folder, before Pelican does.

``build_corpus`` returns every news item and page parsed, rendered and checked, and
the problems of all files at once. Pelican's reader then only hands the parsed
records over, so each file is read and converted exactly once.

Which files are content is decided here with the same rules Pelican uses (the
IGNORE_FILES patterns on each name, the ``.md`` extension exactly), and the plugin
cross-checks the list against Pelican's own, so the two can never disagree.
"""

from __future__ import annotations

import difflib
import fnmatch
import gc
import hashlib
import os
import re
import string
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache, partial
from itertools import chain
from pathlib import PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from .cache import Codec, ParseCache
from .config import ASCII_SLUG, Entry, Registry, Site, get_config, get_site
from .markup import (
    Renderer,
    RenderError,
    find_dangerous,
    lead_image,
    plain_text,
    summarize,
    truncate,
)
from .problems import Problem
from .schema import (
    DEPUTY_LEVELS,
    DEPUTY_REQUIRED,
    DEPUTY_SCHEMA,
    ITEM_REQUIRED,
    PAGE_FIELDS,
    PAGE_REQUIRED,
    PRIVATE_FIELDS,
    STATUSES,
    label,
)
from .source import Source, decode, has_time, parse_date, split, split_list, strip_controls
from .workers import read_everywhere

_YEAR_DIR = re.compile(r"^\d{4}$")
# What a deputy's file must never contain (checked line by line, header and body).
PRIVATE_PATTERNS = (
    (re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)"), "手机号码"),
    (re.compile(r"(?<![\dA-Za-z])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])"),
     "身份证号码"),
)  # fmt: skip
_UID_CMD = "invoke add-uids"
MARKDOWN_SUFFIX = ".md"  # exactly: Pelican matches extensions case-sensitively


@dataclass
class Record:
    """A news item or page, parsed and checked; plain data, no Pelican objects."""

    path: str  # relative to the content folder, forward slashes
    kind: str  # "item" or "page"
    html: str
    meta: dict[str, Any]
    lines: dict[str, int]  # field key -> line it was written on
    # The deputies as written, before resolve_deputies replaced them by references:
    # a record is handed out again by the next run of a long-lived process.
    deputies_written: tuple[str, ...] | None = None

    @property
    def published(self) -> bool:
        """Return whether the item is on the public site in this build."""
        return self.meta["status"] == "published"


@dataclass(frozen=True, order=True)
class DeputyRef:
    """A deputy named by an item: shown by name, linked by id."""

    id: str
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass
class Notice:
    """Something the build did on the editor's behalf and tells them about."""

    path: str
    line: int
    message: str


@dataclass
class Corpus:
    """Everything under the content folder, checked."""

    records: dict[str, Record] = field(default_factory=dict)  # by relative path
    problems: list[Problem] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    waiting: list[Record] = field(default_factory=list)  # dated in the future
    now: datetime | None = None  # the moment the check took as "now"

    def items(self) -> list[Record]:
        """Return the news items (not pages), in path order."""
        return [r for r in self.records.values() if r.kind == "item"]

    def deputies(self) -> list[Record]:
        """Return the deputies, in path order."""
        return [r for r in self.records.values() if r.kind == "deputy"]


def name_slug(name: str, declared: dict[str, str]) -> str:
    """Return the ASCII slug of a tag or person's page.

    A declared slug wins; otherwise an id made from the exact name, so that two
    different names (会议/回忆, 张三/章三) can never share a page.
    """
    if name in declared:
        return declared[name]
    return _name_id(name)


@lru_cache(maxsize=65536)
def _name_id(name: str) -> str:
    return hashlib.blake2s(name.encode("utf-8"), digest_size=5).hexdigest()


@lru_cache(maxsize=65536)  # a few hundred names, on every item of the archive
def normalize_person(name: str) -> str:
    """Fold full-width forms; drop the spaces editors put inside Chinese names."""
    name = unicodedata.normalize("NFKC", name).strip()
    squeezed = "".join(name.split())
    if squeezed and all("\u3400" <= ch <= "\u9fff" or ch == "·" for ch in squeezed):
        return squeezed
    return " ".join(name.split())


def item_slug(date: datetime, uid: str) -> str:
    """Return the slug derived from an item's date and permanent id."""
    if date.year < 1000:  # %Y's own way with such years
        return f"{date:%Y%m%d}-{uid[:8]}"
    return f"{date.year}{date.month:02}{date.day:02}-{uid[:8]}"  # strftime is slower


# A UUID already in its canonical form (what `invoke new` writes): taken as it is.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def parse_uid(value: str) -> str:
    """Return the canonical form of a UUID written with or without urn:uuid:."""
    text = value.strip()
    if _CANONICAL_UUID.fullmatch(text):
        return text
    if text.lower().startswith("urn:uuid:"):
        text = text[len("urn:uuid:") :]
    return str(uuid.UUID(text))


def reserved_folders(settings: dict) -> set[str]:
    """Return the top-level output folders the site itself writes to."""
    names = set(settings.get("STATIC_PATHS", [])) | {settings.get("THEME_STATIC_DIR", "theme")}
    names |= {"drafts", "feeds", "subscribe"}
    for key, value in settings.items():
        if key.endswith(("_SAVE_AS", "_URL")) and isinstance(value, str) and "/" in value:
            names.add(value.split("/", 1)[0])
    return {n for n in names if n and "{" not in n}


class _Reporter:
    """Collect the problems of one file, each tied to the line of its field."""

    def __init__(self, source: Source):
        self.source = source
        self.problems = list(source.problems)

    def __call__(self, key: str, message: str, hint: str = "") -> None:
        field_ = self.source.fields.get(key)
        line = field_.line if field_ else 0
        self.problems.append(Problem(self.source.path, line, label(key), message, hint))

    def required(self, keys) -> None:
        for key in keys:
            if self.source.fields.get(key) and self.source.fields[key].value:
                continue
            if key == "uid":
                self(key, "缺少“编号”（每篇稿件的永久编号，上级网站靠它去重）。",
                     f"在项目文件夹运行一条命令即可为所有缺编号的文件补上：{_UID_CMD}")  # fmt: skip
            else:
                self(key, f"缺少必填字段“{label(key)}”。", f"在文件开头加一行“{label(key)}：……”。")


class _Checker:
    """Holds what checking one run needs: settings, registries, the renderer."""

    def __init__(self, settings: dict, now: datetime | None, bodies: bool = True):
        self.settings = settings
        self.bodies = bodies
        self.cache = ParseCache(settings) if get_config(settings)["CACHE"] else None
        self.config = get_config(settings)
        self.site: Site = (
            self.cache.site(partial(get_site, settings)) if self.cache else get_site(settings)
        )
        site = self.site
        self.codec = Codec([site.groups, site.columns, site.outlets, site.units, site.genres,
                            site.delegations])  # fmt: skip
        self.tz = ZoneInfo(settings.get("TIMEZONE") or "Asia/Shanghai")
        configured = self.config["NOW"]
        if now is None and configured:
            now = parse_date(str(configured), self.tz)
        self.now = now or datetime.now(self.tz)
        self.horizon = self.now + timedelta(days=self.config["SCHEDULE_HORIZON_DAYS"])
        self.renderer = Renderer(self.config["PARSE_SECONDS"])
        self.reserved = reserved_folders(settings)
        self._found: dict[tuple[str, str], Entry] = {}  # (registry, name as written) -> entry

    # -- one file -------------------------------------------------------------------

    def read_all(self, root: str, jobs: list[tuple[str, str]]) -> dict[str, tuple]:
        """Check every (path, kind), from the cache where it can; return results by path.

        Files not in the cache are read on every core when there are many of them
        (the WORKERS setting): each file is independent until the cross-checks.
        """
        results, misses = {}, []
        for path, kind in jobs:
            try:
                stat = os.stat(f"{root}/{path}")
            except OSError:
                stat = None
            cached = self.cache.get(path, stat, self.bodies) if stat and self.cache else None
            if cached is not None:
                results[path] = self.cache.decode(path, cached, self.codec)
            else:
                misses.append((path, kind, stat))
        workers = self.config["WORKERS"] or (os.cpu_count() or 1)
        jobs = [(root, p, k) for p, k, _ in misses]
        if workers > 1 and (self.config["WORKERS"] or len(misses) >= PARALLEL_FROM) and _can_fork():
            keep = self.cache is not None  # the parse cache keeps the bytes
            codec = self.codec
            # Bodies are rendered by readers only: Markdown's garbage, spread over this
            # process's heap, was ~30 MB more in it and in each copy a build forks.
            fresh = read_everywhere(jobs, self._read_job, codec.dumps, codec.loads, workers,
                                    keep, here=not self.bodies)  # fmt: skip
        else:
            fresh = [(self._read_job(job), None) for job in jobs]
        soon = self.now - timedelta(days=2)
        for (path, _, stat), (result, data) in zip(misses, fresh, strict=True):
            results[path] = result
            record, problems, _ = result
            recent = record is not None and "date" in record.meta and record.meta["date"] > soon
            if stat is not None and self.cache is not None and not problems and not recent:
                data = data or self.codec.dumps(result)
                self.cache.remember(path, self.cache.put(path, stat, self.bodies, data), result)
        return results

    def read(self, root: str, path: str, kind: str) -> tuple[Record | None, list, list]:
        """Check one file; return its record (or None), its problems and notices."""
        return self._read(os.path.join(root, path), path, kind)

    def _read_job(self, job: tuple[str, str, str]) -> tuple[Record | None, list, list]:
        return self.read(*job)

    def _read(self, full: str, path: str, kind: str) -> tuple[Record | None, list, list]:
        try:
            handle = open(full, "rb")  # noqa: SIM115 - closed by the with below
        except OSError:
            if os.path.exists(full):  # not a broken link: the real error shows
                raise
            return None, [Problem(path, 0, "", "这是一个快捷方式（链接），但它指向的文件不存在。",
                                  "删除这个链接，或把真正的文件放到这里。")], []  # fmt: skip
        with handle:
            size = os.fstat(handle.fileno()).st_size
            cap = self.config["MAX_FILE_BYTES"]
            if size > cap:
                return None, [Problem(
                    path, 0, "",
                    f"文件太大（{size / 1048576:.1f} MB），超过上限 {cap / 1048576:.1f} MB。",
                    "新闻正文一般不超过几万字；图片请放到 images 文件夹再用链接插入，"
                    "不要把图片或附件内容粘贴进正文。",
                )], []  # fmt: skip
            data = handle.read() if self.bodies else _read_header(handle)
        text, problem = decode(path, data)
        if problem:
            return None, [problem], []
        if not text.strip():
            hint = "请写入字段和正文，或删除这个空文件。"
            return None, [Problem(path, 0, "", "文件是空的。", hint)], []
        if kind == "deputy":
            return self._deputy(split(path, text, DEPUTY_SCHEMA), text)
        source = split(path, text)
        if kind == "item":
            return self._item(source)
        return self._page(source)

    def _item(self, source: Source) -> tuple[Record | None, list, list]:
        report = _Reporter(source)
        report.required(ITEM_REQUIRED)
        value = {key: f.value for key, f in source.fields.items()}
        meta: dict[str, Any] = {"title": value.get("title", "")}
        for key in ("date", "modified"):
            if value.get(key):
                try:
                    meta[key] = parse_date(value[key], self.tz)
                except ValueError as error:
                    report(key, str(error),
                           "请写成“2025-03-15 09:30”“2025-03-15”或“2025年3月15日 9:30”。")  # fmt: skip
        # A date written without a time is shown without one (not as "00:00").
        meta["date_has_time"] = has_time(value.get("date", ""))
        if value.get("category"):
            names = split_list(value["category"])
            if len(names) > 1:
                report("category", f"只能填一个栏目，现在填了 {len(names)} 个：{'、'.join(names)}。",
                       "选最主要的一个栏目；其他内容可以写进“标签”。")  # fmt: skip
            else:
                meta["column"] = self._lookup(
                    self.site.columns, "category", value["category"], report
                )
        for key, registry in (("unit", self.site.units), ("genre", self.site.genres)):
            if value.get(key):
                meta[key] = self._lookup(registry, key, value[key], report)
        # 发布渠道: where it appeared; 报送: where the office offered it (upward).
        for key in ("outlets", "submit"):
            found = (
                self._lookup(self.site.outlets, key, n, report)
                for n in split_list(value.get(key, ""))
            )
            # One outlet written two ways (《人民代表报》 and 人民代表报) is one placement.
            meta[key] = list(dict.fromkeys(found))
        meta["tags"] = [unicodedata.normalize("NFKC", t) for t in split_list(value.get("tags", ""))]
        for key in ("authors", "deputies"):
            people = (normalize_person(p) for p in split_list(value.get(key, "")))
            meta[key] = list(dict.fromkeys(people))
        if value.get("uid"):
            try:
                meta["uid"] = parse_uid(value["uid"])
            except ValueError:
                report("uid", f"编号“{value['uid']}”格式不对，应是 32 位十六进制的 UUID。",
                       f"删掉这一行后运行 {_UID_CMD} 生成新编号。")  # fmt: skip
        self._status(value, meta, report)
        slug = value.get("slug")
        if slug and not ASCII_SLUG.match(slug):
            report("slug", f"Slug“{slug}”只能用小写英文字母、数字和连字符。",
                   "例如 2025-budget-review；也可以删掉这一行，由系统自动生成。")  # fmt: skip
        elif slug == "index":
            report("slug", "Slug 不能是“index”：那是月份归档页的网址。", "换一个英文网址名。")
        self._check_folder(source, meta, report)
        html, summary, notices = self._body(source, value, report)
        meta["summary"] = summary or meta["title"]
        meta["image"] = lead_image(html)  # the home page leads with it
        date = meta.get("date")
        if date and meta.get("modified") and meta["modified"] < date:
            report("modified", "修改日期早于发布日期。", "核对两个日期；修改日期应不早于日期。")
        if date and date > self.horizon:
            report("date", f"日期 {date:%Y年%m月%d日} 比今天晚了 {(date - self.now).days} 天，"
                   "可能是输入错误。",
                   "请核对年份和月份；确需提前排期的稿件，日期不能晚于今天之后 "
                   f"{self.config['SCHEDULE_HORIZON_DAYS']} 天。")  # fmt: skip
        if report.problems:
            return None, report.problems, notices
        meta["slug"] = slug or item_slug(date, meta["uid"])
        if date > self.now:
            meta["waiting"] = True
            meta["status"] = "draft"  # never published before its date
        return self._record(source, "item", html, meta), [], notices

    def _page(self, source: Source) -> tuple[Record | None, list, list]:
        report = _Reporter(source)
        report.required(PAGE_REQUIRED)
        for key in source.fields:
            if key not in PAGE_FIELDS:
                report(key, f"页面不使用字段“{label(key)}”。",
                       "页面（pages 文件夹）只用标题、Slug、摘要、状态；新闻稿请放到 news/年份/ 文件夹。")  # fmt: skip
        value = {key: f.value for key, f in source.fields.items()}
        meta: dict[str, Any] = {"title": value.get("title", "")}
        slug = value.get("slug") or PurePosixPath(source.path).stem
        if not ASCII_SLUG.match(slug):
            report("slug", f"页面网址名“{slug}”只能用小写英文字母、数字和连字符。",
                   "加一行“Slug: about”这样的英文网址名，或把文件名改成英文。")  # fmt: skip
        elif slug in self.reserved:
            report("slug", f"页面网址名“{slug}”已被网站自身占用（{slug}/ 文件夹）。",
                   f"换一个网址名；以下名称不能用：{'、'.join(sorted(self.reserved))}。")  # fmt: skip
        meta["slug"] = slug
        if value.get("modified"):
            try:
                meta["modified"] = parse_date(value["modified"], self.tz)
            except ValueError as error:
                report("modified", str(error), "请写成“2025-03-15”。")
        self._status(value, meta, report)
        html, summary, notices = self._body(source, value, report)
        meta["summary"] = summary or meta["title"]
        if report.problems:
            return None, report.problems, notices
        return self._record(source, "page", html, meta), [], notices

    def _deputy(self, source: Source, text: str) -> tuple[Record | None, list, list]:
        report = _Reporter(source)
        for problem in list(report.problems):  # a home address field gets its own words
            if problem.field in PRIVATE_FIELDS:
                report.problems.remove(problem)
                report.problems.append(Problem(source.path, problem.line, problem.field,
                                               "代表的家庭住址、电话、身份证号等个人信息不得在网站公开。",
                                               "删掉这一行。"))  # fmt: skip
        for number, line in enumerate(text.split("\n"), 1):
            line = unicodedata.normalize("NFKC", line)  # full-width digits from input methods
            for pattern, what in PRIVATE_PATTERNS:
                if pattern.search(line):
                    report.problems.append(Problem(source.path, number, "",
                                                   f"这一行像是{what}：代表的个人信息不得在网站公开。",
                                                   f"删掉{what}；需要联系代表请写代表联络站的地址。"))  # fmt: skip
        report.required(DEPUTY_REQUIRED)
        value = {key: f.value for key, f in source.fields.items()}
        slug = value.get("slug") or PurePosixPath(source.path).stem
        if not ASCII_SLUG.match(slug):
            report("slug", f"代表编号“{slug}”只能用小写英文字母、数字和连字符。",
                   "把文件名改成姓名拼音，如 liu-jianhua.md；重名的代表加上选区，如 li-ming-xikou.md。")  # fmt: skip
        meta: dict[str, Any] = {"slug": slug, "name": normalize_person(value.get("name", ""))}
        if value.get("delegation"):
            meta["delegation"] = self._lookup(
                self.site.delegations, "delegation", value["delegation"], report
            )
        meta["levels"] = split_list(value.get("levels", ""))
        for level in meta["levels"]:
            if level not in DEPUTY_LEVELS:
                report("levels", f"不认识的代表层级“{level}”。",
                       f"层级只能是{'、'.join(DEPUTY_LEVELS)}，多个用“、”分开。")  # fmt: skip
        meta.update(term=value.get("term", ""), occupation=value.get("occupation", ""),
                    photo=value.get("photo", ""), status="published", title=meta["name"])  # fmt: skip
        html, summary, notices = self._body(source, value, report)
        meta["summary"] = summary
        if report.problems:
            return None, report.problems, notices
        return self._record(source, "deputy", html, meta), [], notices

    # -- pieces -----------------------------------------------------------------------

    def _lookup(self, registry: Registry, key: str, name: str, report) -> Entry | None:
        entry = self._found.get((registry.setting, name))
        if entry is None:
            entry = registry.find(name)
            if entry is None:
                report(key, *registry.unknown(name))
            else:  # the same few names on every item: normalized once
                self._found[registry.setting, name] = entry
        return entry

    def _status(self, value: dict, meta: dict, report) -> None:
        written = value.get("status", "published").strip()
        status = STATUSES.get(written.lower())
        if status is None:
            report("status", f"不认识的状态“{written}”。",
                   "状态只能写“发布”或“草稿”（也可写 published 或 draft）；不写即为发布。")  # fmt: skip
        meta["status"] = status or "published"

    def _check_folder(self, source: Source, meta: dict, report) -> None:
        folder = source.path.rsplit("/", 2)[-2] if source.path.count("/") else ""
        date = meta.get("date")
        if date and _YEAR_DIR.match(folder) and int(folder) != date.year:
            report("date", f"稿件放在 {folder} 年的文件夹里，日期却是 {date.year} 年。",
                   f"核对日期的年份；如果日期没错，请把文件移到 news/{date.year}/ 文件夹。")  # fmt: skip

    def _body(self, source: Source, value: dict, report) -> tuple[str, str, list[Notice]]:
        """Render the body once; return HTML, summary and what was removed from it."""
        if not self.bodies:  # metadata only (the tally): no HTML, no summary
            return "", "", []
        notices = self._notices(source)
        body, controls = strip_controls(source.body)
        for offset in controls[:1]:
            line = source.body_line + source.body.count("\n", 0, offset)
            notices.append(Notice(source.path, line,
                                  f"正文中有 {len(controls)} 个看不见的控制字符（常见于复制粘贴），已删除。"))  # fmt: skip
        limit = self.config["SUMMARY_LENGTH"]
        try:
            html = self.renderer.to_html(body)
        except RenderError as error:
            report.problems.append(Problem(
                source.path, source.body_line, "正文", str(error),
                "检查正文中从 Word 或网页粘贴来的特殊符号和网页代码；方括号等符号可在前面加“\\”，"
                "或删掉多余的符号后重新构建。",
            ))  # fmt: skip
            return "", "", notices
        if value.get("summary"):
            summary = plain_text(value["summary"])
            if len(summary) > limit:
                report("summary", f"摘要有 {len(summary)} 个字，超过上限 {limit} 个字。",
                       f"请把摘要精简到 {limit} 字以内；也可以删掉这一行，由系统从正文自动摘取。")  # fmt: skip
            return html, summary, notices
        return html, summarize(html, limit) or truncate(plain_text(html), limit), notices

    def _notices(self, source: Source) -> list[Notice]:
        notices = []
        for offset, what in find_dangerous(source.body):
            line = source.body_line + source.body.count("\n", 0, offset)
            notices.append(Notice(source.path, line,
                                  f"正文中的{what}不安全，网站已将其删除；其余内容照常发布。"))  # fmt: skip
        return notices

    def _record(self, source: Source, kind: str, html: str, meta: dict) -> Record:
        lines = {key: f.line for key, f in source.fields.items()}
        return Record(path=source.path, kind=kind, html=html, meta=meta, lines=lines)


@lru_cache(maxsize=8)
def ignore_pattern(patterns: tuple[str, ...]) -> re.Pattern:
    """Return one pattern matching a name any of IGNORE_FILES matches (as fnmatch does)."""
    return re.compile("|".join(fnmatch.translate(p) for p in patterns) or "(?!)")


# Below this many files to read, starting worker processes costs more than it saves.
PARALLEL_FROM = 400
# Whitespace as str.isspace() has it, but the line break (a test holds them equal):
# what a line split() takes for blank may hold, full-width spaces included.
SPACES = (
    "\t\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_SPACE = b"|".join(re.escape(c.encode()) for c in SPACES)
_LEADING_BLANK_LINES = re.compile(rb"(?:\xef\xbb\xbf)?(?:(?:" + _SPACE + rb")*\n)*")
_HEADER_END = re.compile(rb"\n(?:" + _SPACE + rb")*\n")


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _read_header(handle) -> bytes:
    """Read a file up to the blank line after its header (the tally needs no more).

    Blank as split() sees it: a line of nothing but whitespace, full-width spaces
    included, after the first line that has text (a BOM is not text).
    """
    data = b""
    while True:
        block = handle.read(8192)
        # The blank line begins with a line break after the header's first line; one
        # before the last line break already read would have been found.
        resume = data.rfind(b"\n")
        data += block
        start = _LEADING_BLANK_LINES.match(data).end()
        match = _HEADER_END.search(data, max(start, resume))
        if match:
            return data[: match.end()]
        if not block:
            return data


def ignored(name: str, settings: dict) -> bool:
    """Return whether a file or folder name is not content (Pelican's rule exactly)."""
    return bool(ignore_pattern(tuple(settings.get("IGNORE_FILES", []))).match(name))


def walk(root: str, settings: dict) -> tuple[list[str], list[Problem]]:
    """List every content file as a relative POSIX path; report folder-link loops."""
    files, problems, seen = [], [], set()
    for dirpath, dirs, names in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        relative = PurePosixPath(os.path.relpath(dirpath, root)).as_posix()
        if real in seen:
            dirs[:] = []
            problems.append(Problem(relative, 0, "", "这个文件夹链接指回了上级文件夹，形成了循环。",
                                    "删除这个文件夹链接。"))  # fmt: skip
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not ignored(d, settings))
        prefix = "" if relative == "." else relative + "/"
        files += [prefix + name for name in sorted(names) if not ignored(name, settings)]
    return files, problems


@lru_cache(maxsize=64)
def _folders(folders: tuple[str, ...]) -> re.Pattern:
    """Return a pattern matching a path that is one of `folders` or under one."""
    names = [rf"{re.escape(f)}\Z|{re.escape(f.rstrip('/'))}/" for f in folders if f]
    return re.compile("|".join(names) or "(?!)")


def classify(path: str, settings: dict) -> str:
    """Return "item", "page", "deputy", "static" or "unused" for a content path."""
    if _folders(tuple(settings.get("STATIC_PATHS", []))).match(path):
        return "static"
    markdown = path.endswith(MARKDOWN_SUFFIX)
    for kind, key in (
        ("item", "ARTICLE_PATHS"),
        ("page", "PAGE_PATHS"),
        ("deputy", "DEPUTY_PATHS"),
    ):
        if _folders(tuple(settings.get(key, []))).match(path):
            return kind if markdown else "unused"
    return "unused"


def _unused_problem(path: str) -> Problem:
    suffix = PurePosixPath(path).suffix
    lowered = suffix.lower()
    if lowered in {".markdown", ".mkd", ".mdown", ".txt"} or (lowered == ".md" and suffix != ".md"):
        hint = "请把扩展名改为小写的 .md。"
    elif lowered in {".doc", ".docx", ".wps", ".pdf", ".rst", ".html", ".htm"}:
        hint = "请把稿件内容复制到 .md 文件中（格式见 README）；附件请放到 files 文件夹。"
    elif lowered in {".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg"}:
        hint = "图片请放到 images 文件夹，再在正文中用 ![说明](/images/文件名) 引用。"
    elif suffix == ".md":
        hint = "新闻稿请放到 news/年份/ 文件夹，页面请放到 pages/ 文件夹。"
    else:
        hint = "新闻稿放在 news/年份/，页面放在 pages/，图片放在 images/，附件放在 files/。"
    return Problem(path, 0, "", "这个文件不会被发布（位置或类型不对）。", hint)


def build_corpus(settings: dict, now: datetime | None = None, bodies: bool = True) -> Corpus:
    """Read and check every file under the content folder; collect all problems.

    With ``bodies=False`` only the metadata is read and checked (what counting
    needs): bodies are neither converted nor summarized.
    """
    # Reading makes millions of small objects and no reference cycles: the cyclic
    # garbage collector would only scan them again and again (a fifth of the time).
    with _no_collection():
        return _build_corpus(settings, now, bodies)


@contextmanager
def _no_collection() -> Iterator[None]:
    """Keep the cyclic garbage collector off meanwhile (as it was, after)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _build_corpus(settings: dict, now: datetime | None, bodies: bool) -> Corpus:
    checker = _Checker(settings, now, bodies)
    corpus = Corpus(now=checker.now)
    root = settings["PATH"]
    files, corpus.problems = walk(root, settings)
    jobs = []
    for path in files:
        kind = classify(path, settings)
        if kind == "unused":
            corpus.problems.append(_unused_problem(path))
        elif kind != "static":
            jobs.append((path, kind))
    results = checker.read_all(root, jobs)
    for path, _ in jobs:
        record, problems, notices = results[path]
        corpus.problems.extend(problems)
        corpus.notices.extend(notices)
        if record is not None:
            corpus.records[path] = record
            if record.meta.get("waiting"):
                corpus.waiting.append(record)
    corpus.problems.extend(cross_check(corpus, settings, checker.site))
    if checker.cache is not None:
        checker.cache.save(set(files))
    return corpus


def share_equal_values(records) -> None:
    """Have the records hold one object for each value many of them hold, equal.

    Each record is decoded on its own (cache.Codec), so the same kind, status, tag,
    author or layout of fields (`lines`) is an object of its own in each: ~10 MB of
    heap at 20,000 items, ~30 MB on the machine once the forked copies have read them.
    Nothing changes these values once checked: sharing them is safe.
    """
    shared: dict = {}
    one = shared.setdefault
    with _no_collection():  # new lists and tuples, no cycles: 0.2 -> 0.06 s at 20,000 items
        _share(records, one)


def _share(records, one) -> None:
    for record in records:
        record.kind = one(record.kind, record.kind)
        lines = record.lines
        record.lines = one((*lines, *lines.values()), lines)  # fields, then their lines
        meta = record.meta
        if "status" in meta:
            meta["status"] = one(meta["status"], meta["status"])
        for key in ("tags", "authors"):
            values = meta.get(key)
            if type(values) is list:
                values[:] = [one(v, v) for v in values]


def save_as(record: Record, settings: dict) -> str:
    """Return the output path Pelican will write the record to ("" for none)."""
    meta = record.meta
    draft = meta["status"] == "draft"
    if record.kind == "deputy":
        return settings.get("DEPUTY_SAVE_AS", "").format(slug=meta["slug"])
    if record.kind == "page":
        pattern = settings.get("DRAFT_PAGE_SAVE_AS" if draft else "PAGE_SAVE_AS", "")
    else:
        pattern = settings.get("DRAFT_SAVE_AS" if draft else "ARTICLE_SAVE_AS", "")
    column = meta.get("column")
    date = meta.get("date", datetime.min)
    return _format_save_as(
        pattern,
        meta["slug"],
        date,
        date.tzinfo,  # equal moments in other zones print other hours: not one entry
        column.slug if column else "",
        str(settings.get("DEFAULT_LANG", "")).lower(),
    )


class PerRecord:
    """What is worked out from each record alone, kept for the records handed out again.

    A preview session checks and counts every record after every save, and the parse
    cache hands an unchanged file's record out again as the very same object, its
    metadata as it was (only the deputies are replaced, by equal references). What was
    made from it with the same inputs (settings) is then the same. Kept by identity for
    the records of the last call: holding a record keeps its id.
    """

    def __init__(self):
        self._made: dict[int, tuple[Record, Any]] = {}
        self._inputs: object = None

    def map(self, records, inputs, make: Callable[[Record], Any]) -> list:
        """Return [make(record) for record in records], made again only for new records.

        `inputs`: all else `make` reads (compared equal with the last call's).
        """
        known = self._made if inputs == self._inputs else {}
        made = {}
        for record in records:
            entry = known.get(id(record))
            if entry is None or entry[0] is not record:
                entry = (record, make(record))
            made[id(record)] = entry
        self._made, self._inputs = made, inputs
        return [value for _, value in made.values()]


# What `save_as` reads of the settings.
_SAVE_AS_SETTINGS = ("DEPUTY_SAVE_AS", "PAGE_SAVE_AS", "DRAFT_PAGE_SAVE_AS", "DRAFT_SAVE_AS",
                     "ARTICLE_SAVE_AS", "DEFAULT_LANG")  # fmt: skip
_TARGETS = PerRecord()


def _targets(records: list[Record], settings: dict) -> list[tuple[str, Record]]:
    """Return (save_as, record) for each record (see `save_as`)."""
    inputs = tuple(repr(settings.get(name)) for name in _SAVE_AS_SETTINGS)
    paths = _TARGETS.map(records, inputs, lambda record: save_as(record, settings))
    return list(zip(paths, records, strict=True))


@lru_cache(maxsize=65536)
def _format_save_as(pattern: str, slug: str, date, zone, category: str, lang: str) -> str:
    # Every record's, every run of a preview session: formatting dates is the cost.
    fast = _plain_format(pattern)
    if fast is not None and date.year >= 1000:  # %Y's own way with smaller years
        parts = {"slug": slug, "category": category, "lang": lang, "author": "",
                 "%Y": str(date.year), "%m": f"{date.month:02}", "%d": f"{date.day:02}"}  # fmt: skip
        return "".join(parts[piece] if name else piece for name, piece in fast)
    return pattern.format(slug=slug, date=date, category=category, lang=lang, author="")


@lru_cache(maxsize=64)
def _plain_format(pattern: str) -> tuple[tuple[bool, str], ...] | None:
    """Return a URL pattern as (is a field, text or field) pieces, if str.format is not needed.

    Such a pattern names only slug, category, lang and author, bare, and the date as
    %Y, %m or %d: what URL patterns name. str.format with a date formats it through
    strftime, the most of formatting an item's address.
    """
    pieces = []
    for text, name, spec, conversion in string.Formatter().parse(pattern):
        if text:
            pieces.append((False, text))
        if name is None:
            continue
        if conversion is not None:
            return None
        if name == "date" and spec in ("%Y", "%m", "%d"):
            pieces.append((True, spec))
        elif name in ("slug", "category", "lang", "author") and not spec:
            pieces.append((True, name))
        else:
            return None
    return tuple(pieces)


def resolve_deputies(corpus: Corpus) -> list[Problem]:
    """Replace the deputies each item names with DeputyRefs.

    Unknown names are reported with a suggestion; so is a name two deputies share,
    which must then be written as the deputy's id.
    """
    deputies = corpus.deputies()
    by_id = {d.meta["slug"]: d for d in deputies}
    by_name: dict[str, list[Record]] = {}
    for deputy in deputies:
        by_name.setdefault(deputy.meta["name"], []).append(deputy)
    problems = []
    for record in corpus.items():
        refs = []
        line = record.lines.get("deputies", 0)
        if record.deputies_written is None:
            record.deputies_written = tuple(record.meta.get("deputies", []))
        for written in record.deputies_written:
            found = [by_id[written]] if written in by_id else by_name.get(written, [])
            if len(found) == 1:
                refs.append(_deputy_ref(found[0].meta["slug"], found[0].meta["name"]))
            elif found:
                choices = "、".join(
                    f"{d.meta['slug']}（{d.meta['delegation'].name}）" for d in found
                )
                problems.append(Problem(record.path, line, label("deputies"),
                                        f"有 {len(found)} 位代表都叫“{written}”，系统不知道指的是哪一位。",
                                        f"改写成代表编号：{choices}。"))  # fmt: skip
            else:
                close = difflib.get_close_matches(written, [*by_name, *by_id], n=3, cutoff=0.3)
                guess = f"您是不是想写“{'”或“'.join(close)}”？" if close else ""
                problems.append(Problem(record.path, line, label("deputies"),
                                        f"代表名册里没有“{written}”。",
                                        f"{guess}代表名册在 deputies 文件夹，每位代表一个文件；"
                                        "新代表请先建立代表文件。"))  # fmt: skip
        record.meta["deputies"] = refs
    return problems


# One reference per deputy, the same object from run to run: a preview session
# compares each item's metadata with its last run's, reference by reference.
_deputy_ref = lru_cache(maxsize=4096)(DeputyRef)


def _shared(values: list, records: list[Record]) -> dict:
    """Return {value: its records} for the values more than one record has, in order."""
    if len(set(values)) == len(values):  # nearly always: no Python loop over them
        return {}
    groups: dict = {}
    for value, record in zip(values, records, strict=True):
        groups.setdefault(value, []).append(record)
    return {value: found for value, found in groups.items() if len(found) > 1}


def cross_check(corpus: Corpus, settings: dict, site: Site) -> list[Problem]:
    """Find what no single file shows: shared ids, shared URLs, shared name slugs."""
    problems = []

    def clash(groups: dict, field_key: str, what: str, hint: str) -> None:
        for value, records in groups.items():
            for record in records:
                others = "、".join(r.path for r in records if r is not record)
                line = record.lines.get(field_key, 0)
                problems.append(Problem(record.path, line, label(field_key),
                                        what.format(value=value, others=others), hint))  # fmt: skip

    with_uid = [r for r in corpus.records.values() if "uid" in r.meta]
    by_uid = _shared([r.meta["uid"] for r in with_uid], with_uid)
    targets = _targets(list(corpus.records.values()), settings)
    written = [r for target, r in targets if target]
    by_url = _shared([target for target, _ in targets if target], written)
    problems += resolve_deputies(corpus)
    clash(by_uid, "uid", "编号 {value} 与 {others} 重复。",
          f"复制旧稿件改写时常见：删掉本文件的“编号”行，再运行 {_UID_CMD} 生成新编号。")  # fmt: skip
    clash(by_url, "slug", "本文件和 {others} 会生成同一个网址 {value}，后者会覆盖前者。",
          "给其中一篇换一个 Slug，或删掉 Slug 行由系统按日期和编号生成。")  # fmt: skip

    items = corpus.items()
    for key, declared, what, setting in (
        ("tags", site.tag_slugs, "标签", "TAG_SLUGS"),
        ("authors", site.author_slugs, "作者", "AUTHOR_SLUGS"),
    ):
        # The names in use (a few hundred), then the slugs two of them share.
        # In the order first met: messages list them so.
        used = dict.fromkeys(chain.from_iterable([r.meta.get(key, ()) for r in items]))
        names_by_slug: dict[str, list[str]] = {}
        for name in used:
            names_by_slug.setdefault(name_slug(name, declared), []).append(name)
        for slug, names in names_by_slug.items():
            if len(names) < 2:
                continue
            listed = "”“".join(names)
            for name in names:
                for record in items:
                    if name not in record.meta.get(key, ()):
                        continue
                    problems.append(Problem(
                        record.path, record.lines.get(key, 0), label(key),
                        f"{what}“{listed}”会共用同一个网页（{slug}），会被合并成一个。",
                        f"在 pelicanconf.py 的 {setting} 中给它们分别指定不同的英文网址名。",
                    ))  # fmt: skip
    return problems
