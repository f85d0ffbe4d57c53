"""The tally: the real district report reproduced, and every count recounted."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, SAMPLE, build, settings_for, soup, write_item
from content_model.config import get_site
from tally.config import get_config
from tally.count import Placement, TallyItem, count, period, periods_of
from tally.export import tables

# The real year-end report: 80 items online, 5 on 星辰在线, 9 on the provincial
# site, 28 on the city site, 38 on 芙蓉之窗; 64 submitted upward, 14 adopted.
REAL_OUTLETS = [
    {"name": "星辰在线", "slug": "xingchen", "level": "media", "online": True},
    {"name": "省人大网", "slug": "province", "level": "provincial", "online": True},
    {"name": "市人大网", "slug": "city", "level": "city", "online": True},
    {"name": "芙蓉之窗", "slug": "furong", "level": "district", "online": True},
    {"name": "区电视台", "slug": "tv", "level": "media", "online": False},
]
REAL = {
    "OUTLETS": REAL_OUTLETS,
    "CONTENT_MODEL": {"NOW": "2025-02-01T12:00:00+08:00"},
    "TALLY": {"TARGET": 80},
}
COLUMNS = ["常委会会议", "监督", "代表风采", "人事任免"]


def real_district(content: Path) -> Path:
    """Write 80 items of 2024 whose outlets and submissions match the real report."""
    start = date(2024, 1, 3)
    for n in range(1, 81):
        outlets = []
        if n <= 38:
            outlets.append("芙蓉之窗")
        if n <= 28:
            outlets.append("市人大网")
        if n <= 9:
            outlets.append("省人大网")
        if n <= 5:
            outlets.append("星辰在线")
        if n == 40:
            outlets.append("区电视台")  # offline: never counted as online
        header = [
            f"标题：第{n}篇",
            f"日期：{start + timedelta(days=4 * n)}",
            f"栏目：{COLUMNS[n % 4]}",
            f"编号：00000000-0000-4000-8000-{n:012d}",
        ]
        if outlets:
            header.append(f"发布渠道：{'、'.join(outlets)}")
        if 15 <= n <= 78:  # 64 submitted to the city site; 15..28 appeared there
            header.append("报送：市人大网")
        write_item(content / "news/2024", f"{n:02d}.md", "\n".join(header))
    return content


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    content = real_district(tmp_path_factory.mktemp("real") / "content")
    site = build(content, tmp_path_factory.mktemp("real-site"), **REAL)
    return content, site


def invoke_tally(content: Path, *args: str, settings_file: Path | None = None):
    command = [sys.executable, "-m", "invoke", "tally", "--content", str(content), *args]
    if settings_file:
        command += ["--settings", str(settings_file)]
    return subprocess.run(command, capture_output=True, cwd=ROOT, timeout=120)


@pytest.fixture(scope="module")
def real_settings_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("conf") / "real.py"
    path.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom pelicanconf import *\n"
        + "".join(f"{key} = {value!r}\n" for key, value in REAL.items()),
        encoding="utf-8",
    )
    return path


def test_the_real_district_report_is_reproduced(real):
    _, site = real
    report = json.loads((site / "tally/2024/tally-2024.json").read_text(encoding="utf-8"))
    assert report["year"] == 2024 and report["items"] == 80
    assert report["online"] == {"placements": 80, "items": 38}
    assert {k: v for k, v in report["by_outlet"].items() if k != "区电视台"} == {
        "星辰在线": 5, "省人大网": 9, "市人大网": 28, "芙蓉之窗": 38,
    }  # fmt: skip
    assert report["submitted"] == 64 and report["adopted"] == 14
    assert report["target"] == {
        "count": "online_placements", "label": "在网络媒体刊发（篇次）",
        "goal": 80, "actual": 80, "percent": 100.0, "remaining": 0,
    }  # fmt: skip
    assert report["by_destination"]["市人大网"] == {"submitted": 64, "adopted": 14}
    for key in ("by_column", "by_group", "by_unit", "by_author", "by_month", "by_outlet_level",
                "quota_shortfalls", "rewards"):  # fmt: skip
        assert key in report
    assert list(report["by_month"]) == [f"{m:02d}" for m in range(1, 13)]


def test_pages_exports_and_invoke_tally_agree_exactly(real, real_settings_file):
    content, site = real
    folder = site / "tally/2024"
    cli = invoke_tally(
        content, "--year", "2024", "--format", "json", settings_file=real_settings_file
    )
    assert cli.returncode == 0, cli.stderr.decode()
    assert cli.stdout == (folder / "tally-2024.json").read_bytes()
    csv_out = invoke_tally(
        content, "--year", "2024", "--format", "csv", settings_file=real_settings_file
    )
    assert csv_out.stdout == (folder / "tally-2024.csv").read_bytes()
    # The page shows the same tables, cell for cell.
    report = json.loads((folder / "tally-2024.json").read_text(encoding="utf-8"))
    conf = settings_for(content, site, **REAL)
    page = soup(folder / "index.html")
    shown = [
        [[c.get_text() for c in row.find_all(["th", "td"])] for row in table.select("tbody tr")]
        for table in page.select("table.report-table")
    ]
    expected = [[[str(c) for c in row] for row in t.rows] for t in tables(report, get_site(conf))]
    assert [
        rows for rows in shown if rows and rows[0] != ["全部完成。"] and rows[0] != ["无。"]
    ] == [rows for rows in expected if rows]


def test_exports_open_in_excel_and_wps(real):
    _, site = real
    raw = (site / "tally/2024/tally-2024.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "2024年稿件统计"
    assert ["其中网络媒体（篇次）", "80", "0"] in rows
    book = openpyxl.load_workbook(site / "tally/2024/tally-2024.xlsx")
    assert book.sheetnames[:3] == ["总体情况", "年度目标", "按栏目"]
    outlets = {row[0]: row[3] for row in book["按发布渠道"].iter_rows(min_row=2, values_only=True)}
    assert outlets["芙蓉之窗"] == 38 and outlets["星辰在线"] == 5
    sheet = book["按发布渠道"]
    assert all(cell.font.b for cell in sheet[1])  # headers bold
    assert sheet.column_dimensions["A"].width >= 10  # columns fitted to the Chinese names


@pytest.mark.parametrize("ahead", [False, True])
def test_an_edit_remakes_only_the_workbooks_of_its_periods(tmp_path, monkeypatch, ahead):
    from fast_build import parallel

    # Counted here, or by a forked copy while Pelican reads (as a large site's is).
    monkeypatch.setattr(parallel, "AHEAD_FROM", 0 if ahead else 10**9)
    content = real_district(tmp_path / "content")
    cache = tmp_path / "cache"
    build(content, tmp_path / "one", CACHE_PATH=str(cache), **REAL)
    assert (parallel.last_ahead_peak_mb > 0) == ahead
    kept = {f.name: f.stat().st_mtime_ns for f in (cache / "derived-tally-xlsx").iterdir()}
    reports = list((tmp_path / "one/tally").rglob("*.xlsx"))
    assert len(kept) == len(reports) > 10  # one workbook per period (same report, one entry)
    item = content / "news/2024/40.md"  # 2024-06-12: the year, Q2 and June change
    item.write_text(
        item.read_text(encoding="utf-8").replace("第40篇", "第四十篇"), encoding="utf-8"
    )
    item.write_text(
        item.read_text(encoding="utf-8").replace("区电视台", "区电视台、芙蓉之窗"),
        encoding="utf-8",
    )
    site = build(content, tmp_path / "two", CACHE_PATH=str(cache), **REAL)
    now = {f.name: f.stat().st_mtime_ns for f in (cache / "derived-tally-xlsx").iterdir()}
    assert len(set(now) - set(kept)) == 3  # 2024, 2024-Q2, 2024-06: made afresh
    assert len(now) == len(kept)  # and the three outdated ones dropped
    assert all(kept[name] == now[name] for name in set(now) & set(kept))  # the rest reused
    cold = build(content, tmp_path / "cold", CONTENT_MODEL={**REAL["CONTENT_MODEL"], "CACHE": False},
                 **{k: v for k, v in REAL.items() if k != "CONTENT_MODEL"})  # fmt: skip
    for workbook in (cold / "tally").rglob("*.xlsx"):
        assert workbook.read_bytes() == (site / workbook.relative_to(cold)).read_bytes()

    def furong(site):
        book = openpyxl.load_workbook(site / "tally/2024/q2/tally-2024-Q2.xlsx")
        rows = book["按发布渠道"].iter_rows(min_row=2, values_only=True)
        return {row[0]: row[3] for row in rows}["芙蓉之窗"]

    assert furong(site) == furong(tmp_path / "one") + 1  # the edit is in the remade workbook
    build(content, tmp_path / "two", CACHE_PATH=str(cache), **REAL)  # carried over in place
    assert {f.name for f in (cache / "derived-tally-xlsx").iterdir()} == set(now)


def test_a_preview_session_imports_the_workbook_library_while_it_waits(tmp_path):
    # Its workbooks come from the cache, so openpyxl is not imported by the first run;
    # the first save that changes a count would pay the import (~0.2 s) unless the
    # session took it while waiting. A new process each, as invoke serve is.
    script = (
        "import sys; sys.path[:0] = ['tests', 'plugins']\n"
        "from conftest import build\n"
        "from fast_build import session\n"
        "from pathlib import Path\n"
        f"build(Path({str(SAMPLE)!r}), Path({str(tmp_path / 'site')!r}), "
        "FAST_BUILD={'PREVIEW': True})\n"
        "print('imported:', 'openpyxl' in sys.modules)\n"
        "session.settle()\n"
        "print('imported:', 'openpyxl' in sys.modules)\n"
    )

    def run():
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                              text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return [
            line.split()[1] for line in done.stdout.splitlines() if line.startswith("imported:")
        ]

    assert run() == ["True", "True"]  # the first session made its workbooks
    assert run() == ["False", "True"]  # the next took them from the cache


def test_an_edit_recounts_only_the_periods_that_read_its_day(tmp_path, monkeypatch):
    from fast_build import parallel

    from tally import tally

    monkeypatch.setattr(parallel, "AHEAD_FROM", 10**9)  # counted in this process
    counted = []
    original = tally.count
    monkeypatch.setattr(tally, "count", lambda *a: counted.append(a[1].key) or original(*a))

    def afresh():
        monkeypatch.setattr(tally, "_COUNTED", {})
        monkeypatch.setattr(tally, "_SPANS", {})
        counted.clear()

    content = real_district(tmp_path / "content")
    write_item(
        content / "news/2025",
        "01.md",
        "标题：新年第一篇\n日期：2025-01-10\n栏目：监督\n编号：00000000-0000-4000-8000-100000000001",
    )
    afresh()
    build(content, tmp_path / "site", **REAL)
    assert len(counted) == 17 + 4  # 2024's year, quarters, months; 2025's so far (February)
    item = content / "news/2024/01.md"  # 2024-01-07: 2025 is compared with its January
    item.write_text(
        item.read_text(encoding="utf-8").replace("星辰在线", "星辰在线、区电视台"),
        encoding="utf-8",
    )
    counted.clear()
    site = build(content, tmp_path / "site", **REAL)
    # Its year, quarter and month; and those that compare with them a year later.
    assert sorted(counted) == ["2024", "2024-01", "2024-Q1", "2025", "2025-01", "2025-Q1"]
    afresh()
    cold = build(content, tmp_path / "cold", **REAL)
    assert len(counted) == 17 + 4
    for page in (cold / "tally").rglob("*.*"):
        assert page.read_bytes() == (site / page.relative_to(cold)).read_bytes(), page


def test_items_are_made_again_only_for_records_that_are_new_or_under_other_settings(
    tmp_path, monkeypatch
):
    """A preview session counts after every save: a record handed out again keeps its item."""
    import dataclasses

    from content_model.corpus import PerRecord, build_corpus
    from tally import model

    content = real_district(tmp_path / "content")
    settings = settings_for(content, tmp_path / "out", **REAL)
    corpus, site = build_corpus(settings), get_site(settings)

    def afresh(site):
        monkeypatch.setattr(model, "_ITEMS", PerRecord())
        return model.tally_items(corpus, site)

    first = model.tally_items(corpus, site)
    again = model.tally_items(corpus, site)
    assert again == afresh(site) and all(a is b for a, b in zip(again, first, strict=True))
    # A file saved with another column: a new record, its item made from it.
    before = model.tally_items(corpus, site)
    path, record = next((p, r) for p, r in corpus.records.items() if r.kind == "item")
    other = next(c for c in site.columns if c.name != record.meta["column"].name)
    corpus.records[path] = dataclasses.replace(record, meta={**record.meta, "column": other})
    edited = model.tally_items(corpus, site)
    changed = [a for a, b in zip(edited, before, strict=True) if a is not b]
    assert edited == afresh(site)
    assert [(i.uid, i.column) for i in changed] == [(record.meta["uid"], other.name)]
    # The outlets are settings: items are made again with them.
    offline = [dict(o, online=False) for o in REAL_OUTLETS]
    site = get_site(settings_for(content, tmp_path / "out", **{**REAL, "OUTLETS": offline}))
    again = model.tally_items(corpus, site)
    assert not any(p.online for i in again for p in i.outlets)
    assert again == afresh(site)


def test_report_pages_for_year_quarters_and_months(real):
    _, site = real
    index = soup(site / "tally/index.html")
    assert index.find("a", string="2024年")["href"] == "/tally/2024/"
    for path in (
        "tally/2024/",
        "tally/2024/q1/",
        "tally/2024/q4/",
        "tally/2024/01/",
        "tally/2024/12/",
    ):
        page = soup(site / path / "index.html")
        assert page.find("meta", attrs={"name": "robots"})["content"] == "noindex, nofollow"
        assert page.select("svg.chart title"), path
        assert not page.find_all("script", src=False)
    year = soup(site / "tally/2024/index.html")
    assert year.select_one(".target progress")["value"] == "80"
    assert [a.get_text() for a in year.select(".tally-periods a")][:5] == [
        "2024年第一季度", "2024年第二季度", "2024年第三季度", "2024年第四季度", "2024年1月",
    ]  # fmt: skip
    assert not (site / "tally/2025/03").exists(), "months after today have no page"
    assert "tally" not in (site / "sitemap.xml").read_text()
    assert "Disallow: /tally/" in (site / "robots.txt").read_text()


def test_tally_prints_a_table_and_writes_xlsx(real, real_settings_file, tmp_path):
    content, _ = real
    printed = invoke_tally(content, "--year", "2024", settings_file=real_settings_file)
    text = printed.stdout.decode("utf-8")
    assert "【总体情况】" in text and re.search(r"其中网络媒体（篇次）\s+80\s", text)
    missing = invoke_tally(
        content, "--year", "2024", "--format", "xlsx", settings_file=real_settings_file
    )
    assert missing.returncode == 1 and "--output" in missing.stderr.decode()
    target = tmp_path / "统计.xlsx"
    written = invoke_tally(content, "--year", "2024", "--period", "q1", "--format", "xlsx",
                           "--output", str(target), settings_file=real_settings_file)  # fmt: skip
    assert (
        written.returncode == 0
        and openpyxl.load_workbook(target)["总体情况"]["B1"].value == "2024年第一季度"
    )


def test_tally_refuses_content_with_problems(content):
    write_item(content / "news/2025", "a.md", "标题：甲\n日期：2025-03-01\n栏目：监察")
    result = invoke_tally(content, "--year", "2025")
    assert result.returncode == 1 and "不认识的栏目" in result.stderr.decode()


# --- counting rules on small, hand-made cases ----------------------------------------

SITE = get_site(settings_for(SAMPLE, SAMPLE.parent / "output", CONTENT_MODEL={"CACHE": False}))
CITY = Placement("市人大网", "city", True)
PROVINCE = Placement("省人大网", "provincial", True)
WINDOW = Placement("云溪之窗", "district", True)
TV = Placement("云溪电视台", "media", False)


def item(n, day, *, published=True, authors=("林晓雯",), unit=None, unit_type=None,
         outlets=(), submit=(), column="监督", genre="消息"):  # fmt: skip
    group = next(c.group for c in SITE.columns if c.name == column)
    return TallyItem(f"u{n}", day, published, column, group, unit, unit_type, tuple(authors),
                     genre, tuple(outlets), tuple(submit))  # fmt: skip


def config(**tally):
    return get_config({"TALLY": tally})


def test_drafts_count_as_submissions_not_as_portal_items_and_the_future_not_at_all():
    items = [
        item(1, date(2025, 3, 1), submit=[CITY], outlets=[CITY]),
        item(2, date(2025, 3, 2), published=False, submit=[CITY]),
        item(3, date(2025, 3, 20), submit=[PROVINCE], outlets=[PROVINCE]),  # after as_of
    ]
    report = count(items, period("2025-03"), config(), SITE, date(2025, 3, 10))
    assert report["items"] == 1 and report["submitted"] == 2 and report["adopted"] == 1
    assert report["by_outlet"]["省人大网"] == 0


def test_names_as_written_are_different_people():
    items = [
        item(1, date(2025, 3, 1), authors=["张三"]),
        item(2, date(2025, 3, 2), authors=["章三"]),
    ]
    report = count(items, period("2025"), config(), SITE, date(2025, 12, 31))
    assert report["by_author"] == {"张三": 1, "章三": 1}


def test_busiest_day_and_comparison_with_last_year():
    items = [item(n, date(2025, 5, 4)) for n in range(3)] + [
        item(9, date(2024, 5, 1), outlets=[CITY])
    ]
    report = count(items, period("2025-Q2"), config(), SITE, date(2025, 12, 31))
    assert report["busiest_day"] == {"date": "2025-05-04", "items": 3}
    assert report["last_year"]["period"] == "2024-Q2"
    assert (
        report["last_year"]["portal_items"] == 1 and report["last_year"]["online_placements"] == 1
    )


def test_quotas_name_everyone_behind_and_by_how_much():
    roster = {"刘芳": {"role": "correspondent"}, "林晓雯": {"role": "staff"}}
    items = [
        item(1, date(2025, 1, 5), authors=["刘芳"]),
        item(2, date(2025, 1, 6), authors=["林晓雯"], submit=[CITY], outlets=[CITY]),
        item(3, date(2025, 1, 7), authors=["林晓雯"], submit=[WINDOW]),  # district: below city
        item(4, date(2025, 2, 7), unit="法制工作委员会", unit_type="committee"),
    ]
    report = count(items, period("2025"), config(ROSTER=roster), SITE, date(2025, 2, 15))
    short = {
        (s["quota"][:6], s["who"], s["period"]): (s["actual"], s["short"])
        for s in report["quota_shortfalls"]
    }
    assert short[("通讯员每月至", "刘芳", "2025-02")] == (0, 1)
    assert ("通讯员每月至", "刘芳", "2025-01") not in short
    assert ("通讯员每月至", "刘芳", "2025-03") not in short  # not begun yet
    assert short[("专职人员每月", "林晓雯", "2025-01")] == (1, 3)
    assert short[("专职人员每年", "林晓雯", "2025")] == (1, 3)
    assert short[("各委室每年至", "法制工作委员会", "2025")] == (1, 5)
    assert short[("各委室每年至", "代表工作委员会", "2025")] == (0, 6)


def test_reward_ledger_splits_between_co_authors():
    items = [
        item(1, date(2025, 4, 1), authors=["甲", "乙"], outlets=[PROVINCE, CITY, WINDOW]),
        item(2, date(2025, 4, 2), authors=["甲"], outlets=[CITY]),
    ]
    report = count(items, period("2025"), config(), SITE, date(2025, 12, 31))
    ledger = {r["author"]: r for r in report["rewards"]}
    assert ledger["甲"]["amount"] == (300 + 100) / 2 + 100
    assert ledger["乙"]["by_level"] == {"national": 0, "provincial": 1, "city": 1}
    assert report["rewards_total"] == 300 + 100 + 100
    each = count(items, period("2025"), config(REWARD_SHARE="each"), SITE, date(2025, 12, 31))
    assert {r["author"]: r["amount"] for r in each["rewards"]} == {"甲": 500, "乙": 400}


# --- property test: every count equals a brute-force recount --------------------------

OUTLETS = [Placement(o.name, o.extra["level"], bool(o.extra["online"])) for o in SITE.outlets]

items_strategy = st.lists(
    st.builds(
        lambda n, day, published, column, authors, unit, genre, outlets, submit: item(
            n,
            day,
            published=published,
            column=column,
            authors=authors,
            unit=unit.name if unit else None,
            unit_type=unit.extra["type"] if unit else None,
            genre=genre,
            outlets=outlets,
            submit=submit,
        ),  # fmt: skip
        st.integers(0, 10**6),
        st.dates(date(2023, 1, 1), date(2025, 12, 31)),
        st.booleans(),
        st.sampled_from([c.name for c in SITE.columns]),
        st.lists(st.sampled_from(["张三", "章三", "林晓雯", "刘芳"]), max_size=3, unique=True),
        st.one_of(st.none(), st.sampled_from(list(SITE.units))),
        st.one_of(st.none(), st.sampled_from([g.name for g in SITE.genres])),
        st.lists(st.sampled_from(OUTLETS), max_size=4, unique=True),
        st.lists(st.sampled_from(OUTLETS), max_size=3, unique=True),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(
    items_strategy,
    st.sampled_from(["2024", "2025", "2025-Q3", "2025-06"]),
    st.dates(date(2025, 1, 1), date(2026, 1, 1)),
)
def test_every_count_equals_a_brute_force_recount(items, key, as_of):
    span = period(key)
    report = count(items, span, config(), SITE, as_of)
    inside = [i for i in items if span.start <= i.day < span.end and i.day <= as_of]
    portal = [i for i in inside if i.published]
    assert report["items"] == len(portal)
    for table in ("by_column", "by_group", "by_unit", "by_genre", "by_month"):
        assert sum(report[table].values()) == len(portal), table
    for name, number in report["by_column"].items():
        assert number == len([i for i in portal if i.column == name])
    for name, number in report["by_author"].items():
        assert number == len([i for i in portal if name in i.authors])
    for outlet in OUTLETS:
        assert report["by_outlet"][outlet.outlet] == len([i for i in inside if outlet in i.outlets])
    assert sum(report["by_outlet"].values()) == report["placements"]
    assert sum(v["placements"] for v in report["by_outlet_level"].values()) == report["placements"]
    assert report["online"]["placements"] + report["offline"]["placements"] == report["placements"]
    assert report["online"]["items"] == len([i for i in inside if any(p.online for p in i.outlets)])
    assert report["placed_items"] == len([i for i in inside if i.outlets])
    submitted = [i for i in inside if i.submit]
    assert report["submitted"] == len(submitted)
    assert report["adopted"] == len(
        [i for i in submitted if {p.outlet for p in i.submit} & {p.outlet for p in i.outlets}]
    )
    rates = config()["REWARDS"]
    expected_total = sum(rates.get(p.level, 0) for i in inside if i.authors for p in i.outlets)
    assert report["rewards_total"] == pytest.approx(expected_total)
    assert round(sum(r["amount"] for r in report["rewards"]), 2) == report["rewards_total"]
    for quota in report["quota_shortfalls"]:
        assert quota["short"] == quota["required"] - quota["actual"] > 0
    for name, numbers in report["by_destination"].items():
        offered = [i for i in inside if any(p.outlet == name for p in i.submit)]
        assert numbers["submitted"] == len(offered)
        assert numbers["adopted"] == len(
            [i for i in offered if any(p.outlet == name for p in i.outlets)]
        )
    earlier = span.a_year_earlier()
    cutoff = as_of.replace(year=as_of.year - 1)
    before = [i for i in items if earlier.start <= i.day < earlier.end and i.day <= cutoff]
    assert report["last_year"]["portal_items"] == len([i for i in before if i.published])
    assert report["last_year"]["submitted"] == len([i for i in before if i.submit])


@settings(max_examples=60, deadline=None)
@given(items_strategy)
def test_quarters_and_months_add_up_to_the_year(items):
    as_of = date(2025, 12, 31)
    year, *parts = [count(items, s, config(), SITE, as_of) for s in periods_of(2025)]
    quarters, months = parts[:4], parts[4:]
    for key in ("items", "placements", "submitted", "adopted"):
        assert sum(q[key] for q in quarters) == year[key] == sum(m[key] for m in months)
    assert [m["items"] for m in months] == list(year["by_month"].values())


# --- what the reviews found --------------------------------------------------------


def test_an_outlet_written_two_ways_is_one_placement(content, tmp_path):
    write_item(content / "news/2025", "a.md",
               "标题：甲\n日期：2025-03-01\n栏目：监督\n作者：林晓雯\n"
               "发布渠道：《人民代表报》、人民代表报、市人大网\n报送：市人大网、江州人大网\n"
               "编号：11111111-1111-4111-8111-111111111111")  # fmt: skip
    site = build(content, tmp_path / "out")
    report = json.loads((site / "tally/2025/tally-2025.json").read_text(encoding="utf-8"))
    assert report["placements"] == 2 and report["by_outlet"]["《人民代表报》"] == 1
    assert report["by_destination"]["市人大网"] == {"submitted": 1, "adopted": 1}
    feed = (site / "feeds/submit/city-npc.atom.xml").read_text(encoding="utf-8")
    assert feed.count("<entry>") == 1


@pytest.mark.parametrize(
    "counted", ["online_placements", "online_items", "placements", "portal_items", "adopted"]
)
def test_every_target_count_can_be_chosen(counted):
    items = [item(1, date(2025, 3, 1), submit=[CITY], outlets=[CITY, TV])]
    report = count(items, period("2025"), config(TARGET_COUNT=counted), SITE, date(2025, 12, 31))
    expected = {
        "online_placements": 1,
        "online_items": 1,
        "placements": 2,
        "portal_items": 1,
        "adopted": 1,
    }
    assert report["target"]["actual"] == expected[counted]


def test_a_running_year_is_compared_with_the_same_days_a_year_earlier():
    items = [item(1, date(2024, 3, 1)), item(2, date(2024, 11, 30)), item(3, date(2025, 3, 1))]
    report = count(items, period("2025"), config(), SITE, date(2025, 6, 30))
    assert report["last_year"]["portal_items"] == 1  # 30 November 2024 is after 30 June
    assert report["last_year"]["label"] == "2024年（截至6月30日）"
    finished = count(items, period("2024"), config(), SITE, date(2025, 6, 30))
    assert finished["items"] == 2 and finished["last_year"]["label"] == "2023年"


@pytest.mark.parametrize("bad", ["abc", "Q", "Q5", "13", "0"])
def test_a_bad_period_is_explained_in_chinese(real, real_settings_file, bad):
    content, _ = real
    result = invoke_tally(
        content, "--year", "2024", "--period", bad, settings_file=real_settings_file
    )
    assert result.returncode == 1 and "看不懂的统计期间" in result.stderr.decode()
    assert b"Traceback" not in result.stderr
