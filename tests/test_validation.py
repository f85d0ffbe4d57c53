"""Strict build: every file is published or the build fails, with every problem told.

Each bad input is built for real (in-process, as Pelican's own tests do): the build
must stop with a non-zero exit and a Chinese message naming file, line and field.
"""

from __future__ import annotations

import logging
import time

import pytest

from conftest import build, run_pelican, settings_for, write_item
from content_model.problems import ContentRefused

UID = "3f2a9c1b-5d7e-4c21-9a0b-1e2f3a4b5c6d"
UID2 = "9b8c7d6e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"

GOOD = f"""
    标题：区人大常委会召开第二十次会议
    日期：2025-03-15 09:30
    栏目：常委会会议
    单位：区人大常委会办公室
    作者：林晓雯
    编号：{UID}
"""


def header(**fields) -> str:
    """Return GOOD with fields replaced (value None removes the line)."""
    lines = {}
    for line in GOOD.strip().splitlines():
        key, value = line.strip().split("：", 1)
        lines[key] = value
    for key, value in fields.items():
        if value is None:
            lines.pop(key, None)
        else:
            lines[key] = value
    return "\n".join(f"{k}：{v}" for k, v in lines.items())


def refused(content, tmp_path, **override):
    """Build and return the problems that stopped it; fail if it did not stop."""
    with pytest.raises(ContentRefused) as stopped:
        build(content, tmp_path / "output", **override)
    assert stopped.value.code == 1
    return stopped.value.problems


def only(problems):
    assert len(problems) == 1, [p.format() for p in problems]
    return problems[0]


def test_a_good_item_builds(content, tmp_path):
    write_item(content / "news/2025", "a.md", GOOD)
    out = build(content, tmp_path / "output")
    assert (out / f"news/2025/03/20250315-{UID[:8]}.html").exists()


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"标题": None}, "标题", "缺少必填字段“标题”"),
        ({"标题": " "}, "标题", "缺少必填字段“标题”"),
        ({"日期": None}, "日期", "缺少必填字段“日期”"),
        ({"日期": "2025-02-30"}, "日期", "不存在"),
        ({"日期": "下周一"}, "日期", "看不懂的日期"),
        ({"栏目": None}, "栏目", "缺少必填字段“栏目”"),
        ({"栏目": "监察"}, "栏目", "不认识的栏目“监察”"),
        ({"栏目": "监督、代表风采"}, "栏目", "只能填一个栏目"),
        ({"单位": "区人大办"}, "单位", "不认识的单位"),
        ({"发布渠道": "市人大网、县人大网"}, "发布渠道", "不认识的发布渠道“县人大网”"),
        ({"体裁": "新闻稿"}, "体裁", "不认识的体裁"),
        ({"状态": "待审"}, "状态", "不认识的状态“待审”"),
        ({"编号": "12345"}, "编号", "格式不对"),
        ({"Slug": "区人大"}, "Slug", "只能用小写英文字母"),
        ({"摘要": "长" * 121}, "摘要", "超过上限 120 个字"),
        ({"修改日期": "2025-03-01"}, "修改日期", "早于发布日期"),
    ],
)
def test_each_bad_field_stops_the_build_with_file_line_and_field(
    content, tmp_path, fields, field, words
):
    write_item(content / "news/2025", "bad.md", header(**fields))
    problem = only(refused(content, tmp_path))
    assert problem.path == "news/2025/bad.md"
    assert problem.field == field
    assert words in problem.message
    assert problem.hint, "every problem says how to fix it"
    if any(value is not None and value.strip() for value in fields.values()):
        assert problem.line > 0


@pytest.mark.parametrize(
    ("fields", "suggestion"),
    [
        ({"栏目": "监督检查"}, "监督"),
        ({"栏目": "常委会议"}, "常委会会议"),
        ({"单位": "法制委员会"}, "法制工作委员会"),
        ({"发布渠道": "市人大网站"}, "市人大网"),
        ({"体裁": "消息稿"}, "消息"),
    ],
)
def test_unknown_names_come_with_did_you_mean(content, tmp_path, fields, suggestion):
    write_item(content / "news/2025", "bad.md", header(**fields))
    problem = only(refused(content, tmp_path))
    assert f"您是不是想写“{suggestion}”" in problem.hint


def test_aliases_are_accepted(content, tmp_path):
    write_item(
        content / "news/2025", "a.md", header(栏目="常委会", 单位="法工委", 发布渠道="人民代表报")
    )
    build(content, tmp_path / "output")


def test_missing_uid_gives_the_one_command_that_fixes_every_file(content, tmp_path):
    write_item(content / "news/2025", "a.md", header(编号=None))
    problem = only(refused(content, tmp_path))
    assert "缺少“编号”" in problem.message
    assert "invoke add-uids" in problem.hint


def test_metadata_line_that_is_not_key_value(content, tmp_path):
    write_item(content / "news/2025", "a.md", header() + "\n这行没有冒号")
    problem = only(refused(content, tmp_path))
    assert problem.line == 7 and "不是“字段：内容”的格式" in problem.message


def test_gbk_file_is_refused_with_how_to_resave(content, tmp_path):
    (content / "news/2025/gbk.md").write_bytes((header() + "\n\n正文。").encode("gbk"))
    problem = only(refused(content, tmp_path))
    assert "GBK" in problem.message and "另存为" in problem.hint


def test_empty_file_is_refused(content, tmp_path):
    (content / "news/2025/empty.md").write_text("\n  \n", encoding="utf-8")
    problem = only(refused(content, tmp_path))
    assert "文件是空的" in problem.message


def test_file_over_the_size_cap_is_refused(content, tmp_path):
    write_item(content / "news/2025", "big.md", header(), "正文。" * 400)
    problem = only(refused(content, tmp_path, CONTENT_MODEL={"MAX_FILE_BYTES": 1000}))
    assert "文件太大" in problem.message


def test_default_size_cap_is_two_megabytes(content, tmp_path):
    write_item(content / "news/2025", "big.md", header(), "字" * (700 * 1024))  # 2.1 MB
    problem = only(refused(content, tmp_path))
    assert "超过上限 2.0 MB" in problem.message


def test_duplicate_uid_names_both_files(content, tmp_path):
    write_item(content / "news/2025", "a.md", header())
    write_item(content / "news/2025", "b.md", header(日期="2025-03-16"))
    problems = refused(content, tmp_path)
    assert {p.path for p in problems} == {"news/2025/a.md", "news/2025/b.md"}
    assert all("重复" in p.message and p.field == "编号" for p in problems)
    assert "news/2025/b.md" in problems[0].message


def test_two_items_that_would_write_the_same_url(content, tmp_path):
    write_item(content / "news/2025", "a.md", header(Slug="budget"))
    write_item(content / "news/2025", "b.md", header(Slug="budget", 编号=UID2, 日期="2025-03-20"))
    problems = refused(content, tmp_path)
    assert len(problems) == 2
    assert all("同一个网址 news/2025/03/budget.html" in p.message for p in problems)


def test_urls_are_checked_again_under_other_settings_in_one_process(content, tmp_path, monkeypatch):
    """A preview session checks the same records after every save; settings may change."""
    from content_model import corpus as model
    from content_model.config import get_site

    write_item(content / "news/2025", "a.md", header(Slug="budget"))
    write_item(content / "news/2025", "b.md", header(Slug="audit", 编号=UID2))
    settings = settings_for(content, tmp_path / "output")
    checked, site = model.build_corpus(settings), get_site(settings)
    original, made = model.save_as, []
    monkeypatch.setattr(model, "save_as", lambda r, s: made.append(r.path) or original(r, s))
    assert model.cross_check(checked, settings, site) == []
    assert made == []  # as the build's own check worked them out
    one_page = {**settings, "ARTICLE_SAVE_AS": "news/{date:%Y}/item.html"}
    problems = model.cross_check(checked, one_page, site)
    assert sorted(p.path for p in problems) == ["news/2025/a.md", "news/2025/b.md"]
    assert all("同一个网址 news/2025/item.html" in p.message for p in problems)
    assert model.cross_check(checked, settings, site) == []


def test_two_tag_names_that_would_share_a_url(content, tmp_path):
    write_item(content / "news/2025", "a.md", header(标签="预算、决算"))
    problems = refused(content, tmp_path, TAG_SLUGS={"预算": "budget", "决算": "budget"})
    assert problems and all("会共用同一个网页" in p.message for p in problems)
    assert problems[0].field == "标签"


def test_far_future_date_is_taken_for_a_typo(content, tmp_path):
    write_item(content / "news/2062", "a.md", header(日期="2062-03-15"))
    problem = only(refused(content, tmp_path))
    assert "可能是输入错误" in problem.message and problem.line == 2


@pytest.mark.warnings_expected
def test_near_future_item_waits_for_its_date_and_the_build_says_so(content, tmp_path, caplog):
    write_item(content / "news/2025", "now.md", header())
    write_item(content / "news/2025", "later.md", header(日期="2025-03-20 08:00", 编号=UID2))
    caplog.set_level("INFO")
    out = build(content, tmp_path / "output", CONTENT_MODEL={"NOW": "2025-03-16T12:00:00+08:00"})
    assert (out / f"news/2025/03/20250315-{UID[:8]}.html").exists()
    assert not list(out.rglob(f"*{UID2[:8]}*")), "never published before its date"
    assert "定于以后发布" in caplog.text and "news/2025/later.md" in caplog.text


def test_body_nested_hundreds_deep_is_reported_for_that_file(content, tmp_path):
    body = "".join("    " * i + "- 项\n" for i in range(300))
    write_item(content / "news/2025", "deep.md", header(), body)
    problem = only(refused(content, tmp_path))
    assert problem.field == "正文" and "嵌套" in problem.message and problem.line == 8


def test_body_that_makes_the_parser_crawl_never_hangs_the_build(content, tmp_path):
    write_item(content / "news/2025", "crawl.md", header(), "[" * 20000)
    problem = only(refused(content, tmp_path, CONTENT_MODEL={"PARSE_SECONDS": 1}))
    assert "超过 1 秒" in problem.message


def test_folder_year_must_match_the_date(content, tmp_path):
    write_item(content / "news/2025", "a.md", header(日期="2024-12-30"))
    problem = only(refused(content, tmp_path))
    assert "news/2024/" in problem.hint


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("news/2025/稿件.docx", ".md 文件"),
        ("news/2025/a.markdown", "扩展名改为小写的 .md"),
        ("news/2025/B.MD", "扩展名改为小写的 .md"),
        ("stray.md", "news/年份/"),
        ("news/2025/photo.jpg", "images 文件夹"),
    ],
)
def test_a_file_that_would_not_be_published_is_refused(content, tmp_path, name, hint):
    (content / name).write_bytes(b"x")
    problem = only(refused(content, tmp_path))
    assert "不会被发布" in problem.message and hint in problem.hint


def test_hidden_and_lock_files_are_not_content(content, tmp_path):
    write_item(content / "news/2025", "a.md", GOOD)
    (content / "news/2025/.DS_Store").write_bytes(b"\0")
    (content / "news/2025/~$稿件.docx").write_bytes(b"\0")
    build(content, tmp_path / "output")


def test_several_broken_files_are_all_reported_in_one_run(content, tmp_path):
    write_item(content / "news/2025", "a.md", header(栏目="监察", 日期="2025-13-01"))
    write_item(content / "news/2025", "b.md", header(编号=None, 体裁="新闻稿"))
    (content / "news/2025/c.md").write_bytes("标题：一\n".encode("gbk"))
    (content / "news/2025/d.md").write_text("", encoding="utf-8")
    write_item(content / "news/2025", "e.md", header(编号=UID2))  # good
    problems = refused(content, tmp_path)
    files = {p.path for p in problems}
    assert files == {f"news/2025/{n}.md" for n in "abcd"}
    assert len(problems) == 6


def test_refused_build_exits_non_zero_and_leaves_output_intact(content, tmp_path):
    write_item(content / "news/2025", "a.md", GOOD)
    output = tmp_path / "output"
    assert run_pelican(content, output).returncode == 0
    before = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    write_item(content / "news/2025", "b.md", header(栏目="监察", 编号=UID2))
    write_item(content / "news/2025", "c.md", header(日期="2025-02-30", 编号=None))
    result = run_pelican(content, output)
    assert result.returncode != 0
    report = result.stderr
    assert "内容检查发现 3 个问题，涉及 2 个文件" in report
    assert "news/2025/b.md 第 3 行 〔栏目〕不认识的栏目“监察”" in report
    assert "Traceback" not in result.stdout + result.stderr
    after = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    assert after == before


@pytest.mark.warnings_expected
def test_errors_pelican_logs_are_fatal(content, tmp_path):
    # Vanilla Pelican logs "Skipping ..." at error level and exits 0; loading our
    # plugin makes any error Pelican logs stop the build (--fatal errors).
    from pelican.log import FatalLogger

    FatalLogger.fatal_lvl = logging.CRITICAL + 1  # as a plain `pelican` run starts
    logging.getLogger("pelican.generators").error("Skipping %s", "x.md")  # no effect yet
    write_item(content / "news/2025", "a.md", GOOD)
    build(content, tmp_path / "output")
    with pytest.raises(RuntimeError):
        logging.getLogger("pelican.generators").error("Skipping %s", "x.md")


def test_files_pelican_would_read_are_exactly_the_checked_ones(content, tmp_path):
    write_item(content / "news/2025", "a.md", GOOD)
    # macOS leaves ._ files on shared drives; Pelican's default pattern misses them.
    (content / "news/2025/._a.md").write_bytes(b"\x00\x05\x16\x07")
    out = build(content, tmp_path / "output")
    assert len([p for p in out.glob("news/2025/03/*.html") if p.name != "index.html"]) == 1


def test_dangling_link_is_reported(content, tmp_path):
    write_item(content / "news/2025", "a.md", GOOD)
    (content / "news/2025/gone.md").symlink_to(content / "nowhere.md")
    problem = only(refused(content, tmp_path))
    assert problem.path == "news/2025/gone.md" and "指向的文件不存在" in problem.message


def test_folder_link_loop_is_reported_once(content, tmp_path):
    write_item(content / "news/2025", "a.md", GOOD)
    (content / "news/2025/loop").symlink_to(content / "news")
    problem = only(refused(content, tmp_path))
    assert "循环" in problem.message


def test_draft_pages_are_never_written(content, tmp_path):
    write_item(content / "news/2025", "a.md", GOOD)
    (content / "pages/secret.md").write_text(
        "标题：未公开\n状态：草稿\n\n内部。\n", encoding="utf-8"
    )
    out = build(content, tmp_path / "output")
    assert not list(out.rglob("*secret*"))


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("news/2025/b.md", header(Slug="index", 编号=UID2), "月份归档页"),
        ("pages/p.md", "标题：甲\nSlug: news\n\n正文。", "已被网站自身占用"),
        ("pages/tag.md", "标题：甲\n\n正文。", "已被网站自身占用"),
        ("pages/feeds.md", "标题：甲\n\n正文。", "已被网站自身占用"),
    ],
)
def test_slugs_that_would_overwrite_the_sites_own_pages(content, tmp_path, name, text, words):
    write_item(content / "news/2025", "a.md", GOOD)
    (content / name).write_text(text + "\n", encoding="utf-8")
    problem = only(refused(content, tmp_path))
    assert problem.path == name and words in problem.message


def test_deeply_nested_html_is_refused_quickly(content, tmp_path):
    write_item(content / "news/2025", "a.md", header(), "<div>" * 100000)
    start = time.monotonic()
    problem = only(refused(content, tmp_path))
    assert "嵌套了" in problem.message and time.monotonic() - start < 10


@pytest.mark.warnings_expected
def test_waiting_items_are_named_in_the_build_output(content, tmp_path, caplog):
    write_item(content / "news/2025", "a.md", GOOD)
    write_item(content / "news/2025", "later.md", header(日期="2025-03-20 08:00", 编号=UID2))
    build(content, tmp_path / "out", CONTENT_MODEL={"NOW": "2025-03-16T12:00:00+08:00"})
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("定于以后发布" in w and "news/2025/later.md" in w for w in warnings)


@pytest.mark.warnings_expected
def test_control_characters_in_the_body_are_removed_and_told(content, tmp_path, caplog):
    write_item(content / "news/2025", "a.md", header(), "正文\x0b第一段。")
    out = build(content, tmp_path / "out")
    page = next(p for p in out.glob("news/2025/03/*.html") if p.name != "index.html")
    assert "正文第一段。" in page.read_text(encoding="utf-8")
    assert "控制字符" in caplog.text
