"""Read and check every file under the content folder, before Pelican does.

``build_corpus`` returns every news item and page parsed, rendered and checked, and
the problems of all files at once. Pelican's reader then only hands the parsed
records over, so each file is read and converted exactly once.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from .config import Entry, Registry, Site, get_config, get_site
from .markup import Renderer, RenderError, find_dangerous, plain_text, summarize, truncate
from .problems import Problem
from .schema import ITEM_REQUIRED, PAGE_FIELDS, PAGE_REQUIRED, STATUSES, label
from .source import Source, decode, has_time, parse_date, split, split_list

_ASCII_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_YEAR_DIR = re.compile(r"^\d{4}$")
_UID_CMD = "invoke add-uids"


@dataclass
class Record:
    """A news item or page, parsed and checked; plain data, no Pelican objects."""

    path: str  # relative to the content folder, forward slashes
    kind: str  # "item" or "page"
    html: str
    meta: dict[str, Any]
    lines: dict[str, int]  # field key -> line it was written on

    @property
    def published(self) -> bool:
        """Return whether the item is on the public site in this build."""
        return self.meta["status"] == "published"


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

    def items(self) -> list[Record]:
        """Return the news items (not pages), in path order."""
        return [r for r in self.records.values() if r.kind == "item"]


def name_slug(name: str, declared: dict[str, str]) -> str:
    """Return the ASCII slug of a tag or person's page.

    A declared slug wins; otherwise an id made from the exact name, so that two
    different names (会议/回忆, 张三/章三) can never share a page.
    """
    if name in declared:
        return declared[name]
    return hashlib.blake2s(name.encode("utf-8"), digest_size=5).hexdigest()


def normalize_person(name: str) -> str:
    """Fold full-width forms; drop the spaces editors put inside Chinese names."""
    name = unicodedata.normalize("NFKC", name).strip()
    squeezed = "".join(name.split())
    if squeezed and all("\u3400" <= ch <= "\u9fff" or ch == "·" for ch in squeezed):
        return squeezed
    return " ".join(name.split())


def item_slug(date: datetime, uid: str) -> str:
    """Return the slug derived from an item's date and permanent id."""
    return f"{date:%Y%m%d}-{uid[:8]}"


def parse_uid(value: str) -> str:
    """Return the canonical form of a UUID written with or without urn:uuid:."""
    text = value.strip()
    if text.lower().startswith("urn:uuid:"):
        text = text[len("urn:uuid:") :]
    return str(uuid.UUID(text))


class _Checker:
    """Holds what checking one run needs: settings, registries, the renderer."""

    def __init__(self, settings: dict, now: datetime | None):
        self.settings = settings
        self.config = get_config(settings)
        self.site: Site = get_site(settings)
        self.tz = ZoneInfo(settings.get("TIMEZONE") or "Asia/Shanghai")
        configured = self.config["NOW"]
        if now is None and configured:
            now = parse_date(str(configured), self.tz)
        self.now = now or datetime.now(self.tz)
        self.horizon = self.now + timedelta(days=self.config["SCHEDULE_HORIZON_DAYS"])
        self.renderer = Renderer(self.config["PARSE_SECONDS"])

    # -- one file -------------------------------------------------------------------

    def read(self, root: str, path: str, kind: str) -> tuple[Record | None, list, list]:
        """Check one file; return its record (or None), its problems and notices."""
        full = os.path.join(root, path)
        size = os.path.getsize(full)
        cap = self.config["MAX_FILE_BYTES"]
        if size > cap:
            return None, [Problem(
                path, 0, "",
                f"文件太大（{size / 1048576:.1f} MB），超过上限 {cap / 1048576:.1f} MB。",
                "新闻正文一般不超过几万字；图片请放到 images 文件夹再用链接插入，"
                "不要把图片或附件内容粘贴进正文。",
            )], []  # fmt: skip
        with open(full, "rb") as handle:
            data = handle.read()
        text, problem = decode(path, data)
        if problem:
            return None, [problem], []
        if not text.strip():
            hint = "请写入字段和正文，或删除这个空文件。"
            return None, [Problem(path, 0, "", "文件是空的。", hint)], []
        source = split(path, text)
        if kind == "item":
            return self._item(source)
        return self._page(source)

    def _item(self, source: Source) -> tuple[Record | None, list, list]:
        path, fields = source.path, source.fields
        problems = list(source.problems)
        meta: dict[str, Any] = {}

        def problem(key: str, message: str, hint: str = "") -> None:
            line = fields[key].line if key in fields else 0
            problems.append(Problem(path, line, label(key), message, hint))

        for key in ITEM_REQUIRED:
            if not fields.get(key) or not fields[key].value:
                if key == "uid":
                    problem(key, "缺少“编号”（每篇稿件的永久编号，上级网站靠它去重）。",
                            f"在项目文件夹运行一条命令即可为所有缺编号的文件补上：{_UID_CMD}")  # fmt: skip
                else:
                    problem(key, f"缺少必填字段“{label(key)}”。",
                            f"在文件开头加一行“{label(key)}：……”。")  # fmt: skip
        value = {key: f.value for key, f in fields.items()}

        meta["title"] = value.get("title", "")
        for key in ("date", "modified"):
            if value.get(key):
                try:
                    meta[key] = parse_date(value[key], self.tz)
                except ValueError as error:
                    problem(key, str(error),
                            "请写成“2025-03-15 09:30”“2025-03-15”或“2025年3月15日 9:30”。")  # fmt: skip
        # A date written without a time is shown without one (not as "00:00").
        meta["date_has_time"] = has_time(value.get("date", ""))
        if value.get("category"):
            names = split_list(value["category"])
            if len(names) > 1:
                problem("category", f"只能填一个栏目，现在填了 {len(names)} 个：{'、'.join(names)}。",
                        "选最主要的一个栏目；其他内容可以写进“标签”。")  # fmt: skip
            else:
                meta["column"] = self._lookup(
                    self.site.columns, "category", value["category"], problem
                )
        for key, registry in (("unit", self.site.units), ("genre", self.site.genres)):
            if value.get(key):
                meta[key] = self._lookup(registry, key, value[key], problem)
        # 发布渠道: where it appeared; 报送: where the office offered it (upward).
        for key in ("outlets", "submit"):
            meta[key] = [
                self._lookup(self.site.outlets, key, name, problem)
                for name in split_list(value.get(key, ""))
            ]
        meta["tags"] = [
            unicodedata.normalize("NFKC", tag) for tag in split_list(value.get("tags", ""))
        ]
        meta["authors"] = list(dict.fromkeys(
            normalize_person(a) for a in split_list(value.get("authors", ""))
        ))  # fmt: skip
        meta["deputies"] = list(dict.fromkeys(
            normalize_person(d) for d in split_list(value.get("deputies", ""))
        ))  # fmt: skip
        if value.get("uid"):
            try:
                meta["uid"] = parse_uid(value["uid"])
            except ValueError:
                problem("uid", f"编号“{value['uid']}”格式不对，应是 32 位十六进制的 UUID。",
                        f"删掉这一行后运行 {_UID_CMD} 生成新编号。")  # fmt: skip
        self._status(value, meta, problem)
        if value.get("slug") and not _ASCII_SLUG.match(value["slug"]):
            problem("slug", f"Slug“{value['slug']}”只能用小写英文字母、数字和连字符。",
                    "例如 2025-budget-review；也可以删掉这一行，由系统自动生成。")  # fmt: skip
        self._check_folder(source, meta, problems)
        html, summary = self._body(source, value, problem, problems)
        meta["summary"] = summary or meta["title"]
        date = meta.get("date")
        if date and meta.get("modified") and meta["modified"] < date:
            problem("modified", "修改日期早于发布日期。", "核对两个日期；修改日期应不早于日期。")
        if date and date > self.horizon:
            problem("date", f"日期 {date:%Y年%m月%d日} 比今天晚了 {(date - self.now).days} 天，"
                    "可能是输入错误。",
                    "请核对年份和月份；确需提前排期的稿件，日期不能晚于今天之后 "
                    f"{self.config['SCHEDULE_HORIZON_DAYS']} 天。")  # fmt: skip
        if problems:
            return None, problems, self._notices(source)
        meta["slug"] = value.get("slug") or item_slug(date, meta["uid"])
        if date > self.now:
            meta["waiting"] = True
            meta["status"] = "draft"  # never published before its date
        return self._record(source, "item", html, meta), [], self._notices(source)

    def _page(self, source: Source) -> tuple[Record | None, list, list]:
        path, fields = source.path, source.fields
        problems = list(source.problems)
        meta: dict[str, Any] = {}

        def problem(key: str, message: str, hint: str = "") -> None:
            line = fields[key].line if key in fields else 0
            problems.append(Problem(path, line, label(key), message, hint))

        for key in PAGE_REQUIRED:
            if not fields.get(key) or not fields[key].value:
                problem(
                    key, f"缺少必填字段“{label(key)}”。", f"在文件开头加一行“{label(key)}：……”。"
                )
        for key in fields:
            if key not in PAGE_FIELDS:
                problem(key, f"页面不使用字段“{label(key)}”。",
                        "页面（pages 文件夹）只用标题、Slug、摘要、状态；新闻稿请放到 news/年份/ 文件夹。")  # fmt: skip
        value = {key: f.value for key, f in fields.items()}
        meta["title"] = value.get("title", "")
        stem = PurePosixPath(path).stem
        slug = value.get("slug") or stem
        if not _ASCII_SLUG.match(slug):
            problem("slug", f"页面网址名“{slug}”只能用小写英文字母、数字和连字符。",
                    "加一行“Slug: about”这样的英文网址名，或把文件名改成英文。")  # fmt: skip
        meta["slug"] = slug
        if value.get("modified"):
            try:
                meta["modified"] = parse_date(value["modified"], self.tz)
            except ValueError as error:
                problem("modified", str(error), "请写成“2025-03-15”。")
        self._status(value, meta, problem)
        html, summary = self._body(source, value, problem, problems)
        meta["summary"] = summary or meta["title"]
        if problems:
            return None, problems, self._notices(source)
        return self._record(source, "page", html, meta), [], self._notices(source)

    # -- pieces -----------------------------------------------------------------------

    def _lookup(self, registry: Registry, key: str, name: str, problem) -> Entry | None:
        entry = registry.find(name)
        if entry is None:
            close = registry.suggest(name)
            guess = f"您是不是想写“{'”或“'.join(close)}”？" if close else ""
            choices = "、".join(e.name for e in registry)
            problem(key, f"不认识的{registry.label}“{name}”。",
                    f"{guess}可选的{registry.label}：{choices}。"
                    f"新增{registry.label}请联系网站管理员在 pelicanconf.py 的 {registry.setting} 中登记。")  # fmt: skip
        return entry

    def _status(self, value: dict, meta: dict, problem) -> None:
        written = value.get("status", "published").strip()
        status = STATUSES.get(written.lower())
        if status is None:
            problem("status", f"不认识的状态“{written}”。",
                    "状态只能写“发布”或“草稿”（也可写 published 或 draft）；不写即为发布。")  # fmt: skip
        meta["status"] = status or "published"

    def _check_folder(self, source: Source, meta: dict, problems: list) -> None:
        folder = PurePosixPath(source.path).parent.name
        date = meta.get("date")
        if date and _YEAR_DIR.match(folder) and int(folder) != date.year:
            line = source.fields["date"].line
            problems.append(Problem(
                source.path, line, label("date"),
                f"稿件放在 {folder} 年的文件夹里，日期却是 {date.year} 年。",
                f"核对日期的年份；如果日期没错，请把文件移到 news/{date.year}/ 文件夹。",
            ))  # fmt: skip

    def _body(self, source: Source, value: dict, problem, problems: list) -> tuple[str, str]:
        limit = self.config["SUMMARY_LENGTH"]
        try:
            html = self.renderer.to_html(source.body)
        except RenderError as error:
            problems.append(Problem(
                source.path, source.body_line, "正文", str(error),
                "检查正文中从 Word 或网页粘贴来的特殊符号；方括号等符号可在前面加“\\”，"
                "或删掉多余的符号后重新构建。",
            ))  # fmt: skip
            return "", ""
        if value.get("summary"):
            summary = plain_text(value["summary"])
            if len(summary) > limit:
                problem("summary", f"摘要有 {len(summary)} 个字，超过上限 {limit} 个字。",
                        f"请把摘要精简到 {limit} 字以内；也可以删掉这一行，由系统从正文自动摘取。")  # fmt: skip
            return html, summary
        return html, summarize(html, limit) or truncate(plain_text(html), limit)

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


def _walk(root: str, ignores: list[str]):
    """Yield every file under root as a relative POSIX path, skipping ignored ones."""
    for dirpath, dirs, files in os.walk(root, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not _ignored(d, ignores))
        for name in sorted(files):
            if not _ignored(name, ignores):
                yield PurePosixPath(os.path.relpath(os.path.join(dirpath, name), root)).as_posix()


def _ignored(name: str, ignores: list[str]) -> bool:
    # Dot files, editor backups and Word's lock files (~$稿件.docx) are not content.
    patterns = [*ignores, ".*", "~$*", "*~"]
    return any(fnmatch.fnmatch(name, p.split("/")[-1]) for p in patterns)


def _under(path: str, folders: list[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders if f)


def classify(path: str, settings: dict) -> str:
    """Return "item", "page", "static", or "unused" for a content-relative path."""
    if _under(path, settings.get("STATIC_PATHS", [])):
        return "static"
    markdown = path.lower().endswith(".md")
    if _under(path, settings.get("ARTICLE_PATHS", [])):
        return "item" if markdown else "unused"
    if _under(path, settings.get("PAGE_PATHS", [])):
        return "page" if markdown else "unused"
    return "unused"


def _unused_problem(path: str, settings: dict) -> Problem:
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in {".markdown", ".mkd", ".mdown", ".txt"}:
        hint = "请把扩展名改为 .md。"
    elif suffix in {".doc", ".docx", ".wps", ".pdf", ".rst", ".html", ".htm"}:
        hint = "请把稿件内容复制到 .md 文件中（格式见 README）；附件请放到 files 文件夹。"
    elif suffix in {".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg"}:
        hint = "图片请放到 images 文件夹，再在正文中用 ![说明](/images/文件名) 引用。"
    else:
        hint = "新闻稿放在 news/年份/，页面放在 pages/，图片放在 images/，附件放在 files/。"
    if suffix == ".md":
        hint = "新闻稿请放到 news/年份/ 文件夹，页面请放到 pages/ 文件夹。"
    return Problem(path, 0, "", "这个文件不会被发布（位置或类型不对）。", hint)


def build_corpus(settings: dict, now: datetime | None = None) -> Corpus:
    """Read and check every file under the content folder; collect all problems."""
    checker = _Checker(settings, now)
    corpus = Corpus()
    root = settings["PATH"]
    for path in _walk(root, list(settings.get("IGNORE_FILES", []))):
        kind = classify(path, settings)
        if kind == "static":
            continue
        if kind == "unused":
            corpus.problems.append(_unused_problem(path, settings))
            continue
        record, problems, notices = checker.read(root, path, kind)
        corpus.problems.extend(problems)
        corpus.notices.extend(notices)
        if record is not None:
            corpus.records[path] = record
            if record.meta.get("waiting"):
                corpus.waiting.append(record)
    corpus.problems.extend(cross_check(corpus, settings, checker.site))
    return corpus


def save_as(record: Record, settings: dict) -> str:
    """Return the output path Pelican will write the record to ("" for none)."""
    meta = record.meta
    if record.kind == "page":
        pattern = settings.get("PAGE_SAVE_AS", "")
    elif meta["status"] == "draft":
        pattern = settings.get("DRAFT_SAVE_AS", "")
    else:
        pattern = settings.get("ARTICLE_SAVE_AS", "")
    column = meta.get("column")
    return pattern.format(
        slug=meta["slug"],
        date=meta.get("date", datetime.min),
        category=column.slug if column else "",
        lang=str(settings.get("DEFAULT_LANG", "")).lower(),
        author="",
    )


def cross_check(corpus: Corpus, settings: dict, site: Site) -> list[Problem]:
    """Find what no single file shows: shared ids, shared URLs, shared name slugs."""
    problems = []

    def clash(groups: dict, field_key: str, what: str, hint: str) -> None:
        for value, records in groups.items():
            if len(records) < 2:
                continue
            for record in records:
                others = "、".join(r.path for r in records if r is not record)
                line = record.lines.get(field_key, 0)
                problems.append(Problem(record.path, line, label(field_key) if field_key else "",
                                        what.format(value=value, others=others), hint))  # fmt: skip

    by_uid: dict[str, list[Record]] = {}
    by_url: dict[str, list[Record]] = {}
    for record in corpus.records.values():
        if "uid" in record.meta:
            by_uid.setdefault(record.meta["uid"], []).append(record)
        target = save_as(record, settings)
        if target:
            by_url.setdefault(target, []).append(record)
    clash(by_uid, "uid", "编号 {value} 与 {others} 重复。",
          f"复制旧稿件改写时常见：删掉本文件的“编号”行，再运行 {_UID_CMD} 生成新编号。")  # fmt: skip
    clash(by_url, "slug", "本文件和 {others} 会生成同一个网址 {value}，后者会覆盖前者。",
          "给其中一篇换一个 Slug，或删掉 Slug 行由系统按日期和编号生成。")  # fmt: skip

    for key, declared, what in (
        ("tags", site.tag_slugs, "标签"),
        ("authors", site.author_slugs, "作者"),
    ):
        names_by_slug: dict[str, dict[str, list[Record]]] = {}
        for record in corpus.items():
            for name in record.meta.get(key, []):
                slot = names_by_slug.setdefault(name_slug(name, declared), {})
                slot.setdefault(name, []).append(record)
        for slug, names in names_by_slug.items():
            if len(names) < 2:
                continue
            listed = "”“".join(names)
            for records in names.values():
                for record in records:
                    problems.append(Problem(
                        record.path, record.lines.get(key, 0), label(key),
                        f"{what}“{listed}”会共用同一个网页（{slug}），会被合并成一个。",
                        f"在 pelicanconf.py 的 {'TAG_SLUGS' if key == 'tags' else 'AUTHOR_SLUGS'} "
                        "中给它们分别指定不同的英文网址名。",
                    ))  # fmt: skip
    return problems
