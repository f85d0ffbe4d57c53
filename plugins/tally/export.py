"""The report as tables, and the tables as CSV, XLSX, JSON and terminal text.

``tables`` is the one place that decides what the office sees: the site's pages,
every export and ``invoke tally`` all render its result, so they cannot disagree.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .config import LEVEL_NAMES


@dataclass
class Table:
    """One table of the report."""

    title: str
    header: list[str]
    rows: list[list[Any]]
    highlight: bool = False  # shortfalls: shown in red on the page


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def tables(report: dict[str, Any], site) -> list[Table]:
    """Return the report's tables, in the order the office reads them."""
    before = report["last_year"]
    summary = [
        ["本网站发布稿件（条）", report["items"], before["portal_items"]],
        ["在各类媒体刊发（篇次）", report["placements"], before["placements"]],
        ["在各类媒体刊发（条）", report["placed_items"], "—"],
        ["其中网络媒体（篇次）", report["online"]["placements"], before["online_placements"]],
        ["其中网络媒体（条）", report["online"]["items"], before["online_items"]],
        ["非网络媒体（篇次）", report["offline"]["placements"], "—"],
        ["向上报送稿件（条）", report["submitted"], before["submitted"]],
        ["报送被采用（条）", report["adopted"], before["adopted"]],
    ]
    if report["busiest_day"]:
        day = report["busiest_day"]
        summary.append([f"单日发布最多（{day['date']}）", day["items"], "—"])
    result = [Table("总体情况", ["项目", report["label"], before["label"]], summary)]
    target = report["target"]
    if target:
        result.append(Table(
            "年度目标",
            ["统计口径", "目标", "已完成", "完成率", "尚差"],
            [[target["label"], target["goal"], target["actual"],
              f"{target['percent']}%" if target["percent"] is not None else "—", target["remaining"]]],
        ))  # fmt: skip
    groups = {c.name: c.group for c in site.columns}
    result += [
        Table("按栏目", ["栏目", "栏目分组", "稿件数"],
              [[name, groups.get(name, ""), n] for name, n in report["by_column"].items()]),
        Table("按栏目分组", ["栏目分组", "稿件数"], [[k, v] for k, v in report["by_group"].items()]),
        Table("按月份", ["月份", "稿件数"],
              [[f"{int(m)}月", n] for m, n in report["by_month"].items()]),
        Table("按单位", ["单位", "稿件数"], [[k, v] for k, v in report["by_unit"].items()]),
        Table("按作者", ["作者", "稿件数"], [[k, v] for k, v in report["by_author"].items()]),
        Table("按体裁", ["体裁", "稿件数"], [[k, v] for k, v in report["by_genre"].items()]),
    ]  # fmt: skip
    outlets = {o.name: o for o in site.outlets}
    result.append(Table(
        "按发布渠道",
        ["发布渠道", "级别", "网络媒体", "刊发（篇次）", "报送（条）", "采用（条）", "采用率"],
        [[name, LEVEL_NAMES.get(outlets[name].extra["level"], "") if name in outlets else "",
          "是" if name in outlets and outlets[name].extra.get("online") else "否", n,
          report["by_destination"].get(name, {}).get("submitted", 0),
          report["by_destination"].get(name, {}).get("adopted", 0),
          _percent(report["by_destination"].get(name, {}).get("adopted", 0),
                   report["by_destination"].get(name, {}).get("submitted", 0))]
         for name, n in report["by_outlet"].items()],
    ))  # fmt: skip
    result.append(Table(
        "按媒体级别",
        ["级别", "刊发（篇次）", "刊发（条）"],
        [[LEVEL_NAMES[level], v["placements"], v["items"]] for level, v in report["by_outlet_level"].items()],
    ))  # fmt: skip
    result.append(Table(
        "配额未完成情况",
        ["配额", "对象", "期间", "要求", "实际", "尚差"],
        [[s["quota"], s["who"], s["period"], s["required"], s["actual"], s["short"]]
         for s in report["quota_shortfalls"]],
        highlight=True,
    ))  # fmt: skip
    levels = list(report["rewards"][0]["by_level"]) if report["rewards"] else []
    result.append(Table(
        "奖励登记",
        ["作者", *[f"{LEVEL_NAMES[lv]}采用（篇次）" for lv in levels], "金额（元）"],
        [[r["author"], *[r["by_level"][lv] for lv in levels], r["amount"]] for r in report["rewards"]]
        + ([["合计", *[""] * len(levels), report["rewards_total"]]] if report["rewards"] else []),
    ))  # fmt: skip
    return result


def to_json(report: dict[str, Any]) -> bytes:
    """Return the report as UTF-8 JSON (names as written, not escaped)."""
    return (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def to_csv(report: dict[str, Any], site) -> bytes:
    """Return every table in one CSV, UTF-8 with BOM so Excel and WPS open it right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([f"{report['label']}稿件统计", f"统计截至 {report['as_of']}"])
    for table in tables(report, site):
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.header)
        writer.writerows(table.rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def load_openpyxl() -> tuple:
    """Import what to_xlsx uses of openpyxl (~0.2 s the first time in a process).

    Imported when first needed: most builds and `invoke tally` make no workbook. A
    preview session imports it while it waits for a save (tally.py), not during the
    first rebuild whose edit changes a count.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    return Workbook, WriteOnlyCell, Font, get_column_letter


def to_xlsx(report: dict[str, Any], site) -> bytes:
    """Return an XLSX workbook with one sheet per table, headers bold, columns fitted.

    Written in openpyxl's streaming mode: half the time of building cells in memory,
    which counts with a workbook for each of a decade's 187 periods.
    """
    Workbook, WriteOnlyCell, Font, get_column_letter = load_openpyxl()  # noqa: N806
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in tables(report, site):
        sheet = book.create_sheet(re.sub(r"[\[\]:*?/\\]", "", table.title)[:31])
        for index, column in enumerate(zip(table.header, *table.rows, strict=True), 1):
            width = max(_width("" if c is None else str(c)) for c in column)
            sheet.column_dimensions[get_column_letter(index)].width = min(60, width + 2)
        header = []
        for value in table.header:
            cell = WriteOnlyCell(sheet, value=value)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            sheet.append(row)
    # The report's date, not the clock, as the workbook's creation time.
    book.properties.created = book.properties.modified = datetime.fromisoformat(report["as_of"])
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip_times(buffer.getvalue(), datetime.fromisoformat(report["as_of"]))


def _fixed_zip_times(data: bytes, moment: datetime) -> bytes:
    """Rewrite a zip (an XLSX is one) with fixed member times: same report, same bytes.

    openpyxl also stamps the save time into docProps/core.xml; that becomes the
    report's date too.
    """
    stamp = (max(moment.year, 1980), moment.month, moment.day, 0, 0, 0)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                fixed = f"{moment:%Y-%m-%d}T00:00:00Z".encode()
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + fixed, data)
            target.writestr(member, data)
    return out.getvalue()


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def to_text(report: dict[str, Any], site) -> str:
    """Return the tables aligned for a terminal (Chinese characters count double)."""
    lines = [f"{report['label']}稿件统计（统计截至 {report['as_of']}）"]
    for table in tables(report, site):
        rows = [table.header, *[[str(c) for c in row] for row in table.rows]]
        widths = [max(_width(str(row[i])) for row in rows) for i in range(len(table.header))]
        lines += ["", f"【{table.title}】"]
        if not table.rows:
            lines.append("（无）")
            continue
        for row in rows:
            cells = [str(c) + " " * (w - _width(str(c))) for c, w in zip(row, widths, strict=True)]
            lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"
