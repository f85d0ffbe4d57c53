"""Find what an inspector would fault, on the content and on the built site.

Each check is a plain function returning Findings; ``run_check`` runs them all.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import html as lxml_html

SERIOUS = "严重"
WARNING = "警告"
NOTE = "提示"
SEVERITIES = (SERIOUS, WARNING, NOTE)


@dataclass(frozen=True)
class Finding:
    """One thing an inspector would note, with where it is and how to fix it."""

    severity: str  # 严重 / 警告 / 提示
    kind: str  # a stable key: stale_column, empty_column, broken_link...
    message: str
    fix: str = ""
    file: str = ""  # content file, relative to the content folder
    line: int = 0
    page: str = ""  # built page, relative to the output folder
    link: str = ""

    def where(self) -> str:
        """Return where the finding is, as an editor reads it."""
        if self.file:
            return self.file + (f" 第 {self.line} 行" if self.line else "")
        if self.page:
            return self.page + (f" → {self.link}" if self.link else "")
        return ""


# -- content ---------------------------------------------------------------------------


def freshness(items, columns, config: dict, today: date) -> list[Finding]:
    """Report columns and the home page not updated in time, and empty columns.

    `items` are published records; `columns` the declared column entries.
    """
    newest: dict[str, date] = {}
    for item in items:
        column = item.meta["column"].name
        day = item.meta["date"].date()
        newest[column] = max(newest.get(column, day), day)
    findings = []
    stale, empty = [], []
    for column in columns:
        notice = column.extra.get("kind") == "notice"
        limit = int(
            column.extra.get("stale_days")
            or (config["NOTICE_DAYS"] if notice else config["NEWS_DAYS"])
        )
        if column.name not in newest:
            empty.append(column.name)
            continue
        age = (today - newest[column.name]).days
        if age > limit:
            stale.append(column.name)
            findings.append(Finding(
                WARNING, "stale_column",
                f"栏目“{column.name}”已有 {age} 天没有新稿件（要求 {limit} 天内更新；最新稿件日期 {newest[column.name]}）。",
                "尽快发布该栏目的新稿件；长期无内容的栏目可考虑与其他栏目合并。",
            ))  # fmt: skip
    for name in empty:
        findings.append(Finding(WARNING, "empty_column", f"栏目“{name}”没有任何已发布的稿件（空白栏目）。",
                                "为该栏目发布稿件，或在 pelicanconf.py 中取消该栏目。"))  # fmt: skip
    fail = config["FAIL_COLUMNS"]
    if len(stale) >= fail:
        findings.append(Finding(SERIOUS, "stale_columns_fail",
                                f"{len(stale)} 个栏目未按时更新（达到 {fail} 个即判定网站不合格）：{'、'.join(stale)}。",
                                "按栏目逐一补发新稿件。"))  # fmt: skip
    if len(empty) >= fail:
        findings.append(Finding(SERIOUS, "empty_columns_fail",
                                f"{len(empty)} 个空白栏目（达到 {fail} 个即判定网站不合格）：{'、'.join(empty)}。",
                                "为空白栏目发布稿件，或取消这些栏目。"))  # fmt: skip
    latest = max(newest.values(), default=None)
    if latest is None or (today - latest).days > config["HOME_DAYS"]:
        age = f"已有 {(today - latest).days} 天" if latest else "一直"
        findings.append(Finding(SERIOUS, "stale_home",
                                f"首页{age}没有新稿件（要求 {config['HOME_DAYS']} 天内更新）。",
                                "尽快发布新稿件。"))  # fmt: skip
    return findings


def wording(records, table: dict[str, str], root: Path) -> list[Finding]:
    """Report each wrong wording from the table in titles, summaries and bodies."""
    if not table:
        return []
    pattern = re.compile("|".join(re.escape(w) for w in sorted(table, key=len, reverse=True)))
    findings = []
    for record in records:
        text = (root / record.path).read_text(encoding="utf-8-sig")
        for number, line in enumerate(text.split("\n"), 1):
            for match in pattern.finditer(line):
                wrong = match.group(0)
                findings.append(Finding(
                    SERIOUS, "wording",
                    f"严重表述错误：“{wrong}”应为“{table[wrong]}”。",
                    f"把“{wrong}”改为“{table[wrong]}”。",
                    file=record.path, line=number,
                ))  # fmt: skip
    return findings


def first_added(root: Path) -> dict[str, datetime] | None:
    """Return when each file under root first entered git history (None without git)."""
    try:
        top = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        log = subprocess.run(
            ["git", "-c", "core.quotePath=false", "-C", top, "log", "--diff-filter=A",
             "--format=%x00%aI", "--name-only", "--", str(root)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    added: dict[str, datetime] = {}
    moment = None
    for line in log.splitlines():
        if line.startswith("\x00"):
            moment = datetime.fromisoformat(line[1:])
        elif line.strip() and moment is not None:
            path = os.path.relpath(os.path.join(top, line), root).replace(os.sep, "/")
            added[path] = min(moment, added.get(path, moment))  # log runs newest first
    return added


def backdating(
    items, added: dict[str, datetime] | None, days: int, now: datetime, imported: date | None = None
) -> list[Finding]:
    """Report items dated much earlier than their file entered the repository.

    A file not yet committed enters now. Files that entered on or before `imported`
    (an archive brought in at once when the portal started) are exempt: their dates
    are the original ones. Without git there is nothing to compare with. (A 修改日期
    earlier than the 日期 never gets this far: the content check refuses it.)
    """
    if added is None:
        return []
    findings = []
    for item in items:
        date_written = item.meta["date"]
        entered = added.get(item.path, now)
        if entered and imported and entered.date() <= imported:
            continue
        if entered and (entered - date_written).days > days:
            findings.append(Finding(
                SERIOUS, "backdated",
                f"稿件日期 {date_written:%Y-%m-%d} 比文件首次提交（{entered:%Y-%m-%d}）早 "
                f"{(entered - date_written).days} 天，疑似伪造发稿日期。",
                "日期应为稿件实际发布的日期；如确系补录旧稿，请在正文注明补录。",
                file=item.path, line=item.lines.get("date", 0),
            ))  # fmt: skip
    return findings


# -- the built site -----------------------------------------------------------------------

_LINKING = (("a", "href"), ("link", "href"), ("img", "src"), ("script", "src"), ("source", "src"))


def _target(output: Path, page: Path, url: str) -> Path | None:
    """Return the file a same-site URL points to (None when it is not same-site)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("#", "mailto:", "tel:", "data:")):
        return None
    path = unquote(parts.path)
    if not path:
        return None
    base = output if path.startswith("/") else page.parent
    target = (base / path.lstrip("/")).resolve()
    if path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target


def site_links(output: Path, origins: Iterable[str] = ()) -> list[Finding]:
    """Resolve every href and src of every page against the output folder.

    Broken links and missing images are reported, so are images without alt text;
    external links are listed without being fetched.
    """
    if not (output / "index.html").is_file():
        return [Finding(SERIOUS, "no_site", f"{output} 里没有生成好的网站，无法检查链接。",
                        "先运行 invoke build，或去掉 --no-build。")]  # fmt: skip
    findings, external = [], {}
    origins = tuple(o.rstrip("/") for o in origins if o)
    for page in sorted(output.rglob("*.html")):
        relative = page.relative_to(output).as_posix()
        document = lxml_html.fromstring(page.read_bytes())
        for tag, attribute in _LINKING:
            for element in document.iter(tag):
                url = (element.get(attribute) or "").strip()
                if not url:
                    continue
                for origin in origins:  # our own absolute URLs are internal
                    if url.startswith(origin + "/"):
                        url = url[len(origin) :]
                target = _target(output, page, url)
                if target is None:
                    if urlsplit(url).scheme in ("http", "https"):
                        external.setdefault(url, relative)
                    continue
                if not target.exists():
                    what = "图片" if tag == "img" else "链接"
                    findings.append(Finding(SERIOUS, "missing_image" if tag == "img" else "broken_link",
                                            f"{what}指向的文件不存在。",
                                            "改正链接地址，或把缺少的文件放到 content/images 或 content/files。",
                                            page=relative, link=url))  # fmt: skip
        for image in document.iter("img"):
            if not (image.get("alt") or "").strip():
                findings.append(Finding(WARNING, "image_without_alt", "图片没有说明文字（alt），读屏软件无法朗读。",
                                        "在 Markdown 图片的方括号里写上说明：![说明文字](地址)。",
                                        page=relative, link=image.get("src", "")))  # fmt: skip
    for url, page in sorted(external.items()):
        findings.append(Finding(NOTE, "external_link", "外部链接（未访问检查，请人工确认仍然有效）。",
                                page=page, link=url))  # fmt: skip
    return findings


# -- all of it ---------------------------------------------------------------------------------


def run_check(
    corpus, site, config: dict, today: date, content: Path, output: Path, origins=()
) -> list[Finding]:
    """Run every check; return the findings, most serious first."""
    # Only what the public sees: drafts and items waiting for their date are not.
    public = [r for r in corpus.records.values() if r.published]
    items = [r for r in public if r.kind == "item"]
    findings = freshness(items, list(site.columns), config, today)
    findings += wording(public, config["WORDING"], content)
    imported = (
        date.fromisoformat(config["ARCHIVE_IMPORTED"]) if config["ARCHIVE_IMPORTED"] else None
    )
    findings += backdating(
        items, first_added(content), config["BACKDATE_DAYS"], corpus.now, imported
    )
    findings += site_links(output, origins)
    order = {s: n for n, s in enumerate(SEVERITIES)}
    return sorted(
        findings, key=lambda f: (order[f.severity], f.kind, f.file, f.page, f.line, f.link)
    )


def failed(findings: list[Finding]) -> bool:
    """Return whether any finding fails the site (a failing indicator or serious error)."""
    return any(f.severity == SERIOUS for f in findings)


def as_json(findings: list[Finding], today: date) -> dict:
    """Return the findings as the JSON report's data."""
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    return {
        "today": today.isoformat(),
        "failed": failed(findings),
        "counts": counts,
        "findings": [asdict(f) for f in findings],
    }


def as_text(findings: list[Finding], today: date) -> str:
    """Return the report for the terminal, grouped by severity."""
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    verdict = "不合格：有严重问题，请先处理。" if failed(findings) else "未发现严重问题。"
    lines = [f"网站健康检查（检查日期 {today}）：严重 {counts[SERIOUS]} 项，警告 {counts[WARNING]} 项，"
             f"提示 {counts[NOTE]} 项。{verdict}"]  # fmt: skip
    for severity in SEVERITIES:
        group = [f for f in findings if f.severity == severity]
        if not group:
            continue
        lines += ["", f"【{severity}】"]
        for finding in group:
            where = f"{finding.where()}：" if finding.where() else ""
            fix = f" 处理办法：{finding.fix}" if finding.fix else ""
            lines.append(f"  - {where}{finding.message}{fix}")
    return "\n".join(lines) + "\n"


def as_html(findings: list[Finding], today: date) -> str:
    """Return the report as a standalone page for the office (never published)."""
    from html import escape

    data = as_json(findings, today)
    rows = []
    for finding in findings:
        rows.append(
            f'<tr class="{ {SERIOUS: "serious", WARNING: "warning", NOTE: "note"}[finding.severity] }">'
            f"<td>{escape(finding.severity)}</td><td>{escape(finding.where())}</td>"
            f"<td>{escape(finding.message)}</td><td>{escape(finding.fix)}</td></tr>"
        )
    counts = data["counts"]
    verdict = "不合格：有严重问题" if data["failed"] else "未发现严重问题"
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>网站健康检查 {today}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 1rem; line-height: 1.6; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #999; padding: .3rem .5rem; text-align: left; vertical-align: top; }}
tr.serious td:first-child {{ color: #9b0000; font-weight: bold; }}
</style>
</head>
<body>
<h1>网站健康检查</h1>
<p>检查日期：{today}。严重 {counts[SERIOUS]} 项，警告 {counts[WARNING]} 项，提示 {counts[NOTE]} 项。<strong>{verdict}</strong>。</p>
<table>
<thead><tr><th scope="col">级别</th><th scope="col">位置</th><th scope="col">问题</th><th scope="col">处理办法</th></tr></thead>
<tbody>
{"".join(rows) or '<tr><td colspan="4">未发现问题。</td></tr>'}
</tbody>
</table>
</body>
</html>
"""
