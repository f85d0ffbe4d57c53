"""How editors write metadata: what is accepted, and what each mistake says."""

import io
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content_model.corpus import SPACES
from content_model.corpus import _read_header as read_header
from content_model.source import decode, has_time, parse_date, split, split_list

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2025-03-15 09:30", datetime(2025, 3, 15, 9, 30)),
        ("2025-03-15", datetime(2025, 3, 15)),
        ("2025年3月15日", datetime(2025, 3, 15)),
        ("2025年3月15日 9:30", datetime(2025, 3, 15, 9, 30)),
        ("2025年3月15日9:30", datetime(2025, 3, 15, 9, 30)),
        ("2025年03月05日 14时20分", datetime(2025, 3, 5, 14, 20)),
        ("2025/3/5 8:05", datetime(2025, 3, 5, 8, 5)),
        ("2025.3.5", datetime(2025, 3, 5)),
        ("２０２５年３月１５日　９：３０", datetime(2025, 3, 15, 9, 30)),  # full-width
        ("2025-03-15T09:30:00", datetime(2025, 3, 15, 9, 30)),
    ],
)
def test_dates_editors_write_are_understood_in_beijing_time(written, expected):
    assert parse_date(written, SHANGHAI) == expected.replace(tzinfo=SHANGHAI)


def test_an_explicit_offset_is_kept():
    parsed = parse_date("2025-03-15T09:30:00+00:00", SHANGHAI)
    assert parsed.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("2025-02-30", "不存在"),
        ("2025年13月1日", "不存在"),
        ("三月十五日", "看不懂的日期"),
        ("2025-03-15 上午", "看不懂日期后面的时间"),
        ("15/03/2025", "看不懂的日期"),
    ],
)
def test_bad_dates_say_why_in_chinese(written, reason):
    with pytest.raises(ValueError, match=reason):
        parse_date(written, SHANGHAI)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("张三、李四", ["张三", "李四"]),
        ("会议，监督；代表", ["会议", "监督", "代表"]),
        ("a, b,c", ["a", "b", "c"]),
        ("张三、、张三 ，", ["张三"]),
        ("", []),
    ],
)
def test_lists_split_on_chinese_and_ascii_separators(written, expected):
    assert split_list(written) == expected


def test_header_accepts_full_width_colon_chinese_and_english_keys():
    source = split("a.md", "标题：区人大召开会议\nDate: 2025-03-15\n栏目 ： 监督\n\n正文。\n")
    assert not source.problems
    assert {k: f.value for k, f in source.fields.items()} == {
        "title": "区人大召开会议",
        "date": "2025-03-15",
        "category": "监督",
    }
    assert source.fields["category"].line == 3
    assert source.body.strip() == "正文。"
    assert source.body_line == 5


def test_an_indented_paragraph_without_blank_line_is_never_swallowed_into_a_field():
    # Chinese paragraphs start with two full-width spaces; the blank line is forgotten.
    text = "标题：一\n标签：预算\n\u3000\u30003月2日，区人大常委会召开会议。\n"
    source = split("a.md", text)
    assert source.fields["tags"].value == "预算"
    (problem,) = source.problems
    assert problem.line == 3 and "空一行" in problem.hint


def test_a_field_with_control_characters_is_refused():
    source = split("a.md", "标题：一\x00二\n\n正文")
    (problem,) = source.problems
    assert problem.field == "标题" and "控制字符" in problem.message


def test_utf16_file_is_named_as_such():
    text, problem = decode("a.md", "标题：一".encode("utf-16"))
    assert text is None and "UTF-16" in problem.message
    text, problem = decode("a.md", "Title: x\nDate: 2025-03-01\n".encode("utf-16-le"))
    assert text is None and "UTF-16" in problem.message


def test_a_line_that_is_not_key_value_is_reported_with_its_line():
    source = split("a.md", "标题：一\n这一行没有冒号\n\n正文")
    (problem,) = source.problems
    assert problem.line == 2
    assert "不是“字段：内容”的格式" in problem.message
    assert "空一行" in problem.hint


def test_an_unknown_key_suggests_the_field_meant():
    source = split("a.md", "标题：一\nTitel: x\n\n正文")
    (problem,) = source.problems
    assert problem.field == "Titel"
    assert "不认识的字段" in problem.message
    assert "标题" in problem.hint


def test_body_written_without_blank_line_is_explained():
    source = split("a.md", "标题：一\n会议强调，要进一步加强监督工作：持续跟踪问效\n")
    (problem,) = source.problems
    assert "如果这一行是正文" in problem.hint


def test_a_field_written_twice_is_reported():
    source = split("a.md", "标题：一\nTitle: 二\n\n正文")
    (problem,) = source.problems
    assert problem.line == 2 and "写了两次" in problem.message and "第 1 行" in problem.message


def test_bom_is_accepted():
    text, problem = decode("a.md", "\ufeff标题：一".encode())
    assert problem is None and text == "标题：一"


def test_gbk_file_is_recognized_and_the_fix_explained():
    text, problem = decode("a.md", "标题：一\n日期：2025-03-15\n".encode("gbk"))
    assert text is None
    assert "GBK" in problem.message
    assert "UTF-8" in problem.hint and "另存为" in problem.hint


def test_binary_file_is_not_called_gbk():
    text, problem = decode("a.md", b"PK\x03\x04\xff\xfe\x00\x81\xff")
    assert text is None and "不是 UTF-8" in problem.message


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2025-03-15 09:30", True),
        ("2025年3月15日 9时", True),
        ("2025-03-15T09:30:00+08:00", True),
        ("2025-03-15", False),
        ("2025年3月15日", False),
    ],
)
def test_a_date_without_time_is_known_as_such(written, expected):
    assert has_time(written) is expected


def _by_lines(text: str) -> tuple[list[tuple[int, str]], str, int]:
    """Return (numbered header lines, body, the body's line) as an editor reads a file.

    The header runs from the first line with text to the first blank line after it.
    """
    lines = text.split("\n")
    first = next((n for n, line in enumerate(lines) if line.strip()), len(lines))
    blank = next((n for n in range(first, len(lines)) if not lines[n].strip()), len(lines))
    if blank == len(lines):  # no blank line: no body
        return list(enumerate(lines[first:], first + 1)), "", len(lines) + 1
    return list(enumerate(lines[first:blank], first + 1)), "\n".join(lines[blank + 1 :]), blank + 2


LINE_PIECES = ["标题：会议", "日期: 2025-01-01", "栏目：监督", "不是字段", "  缩进", "x", "正文",
               "\n", "\r\n", "\n\n", " ", "\t", "\u3000", "\xa0", "\x0c", "\x1c", "\u2028", "\ufeff"]  # fmt: skip


@given(st.lists(st.sampled_from(LINE_PIECES), max_size=30).map("".join))
def test_split_takes_the_header_and_body_an_editor_sees(text):
    # Found by searching, not line by line (it runs on every file of the archive): the
    # same lines, blank as str.strip() has it (full-width spaces too), as a plain reading.
    header, body, body_line = _by_lines(text)
    source = split("p.md", text)
    assert (source.body, source.body_line) == (body, body_line)
    lines = dict(header)
    for field_ in source.fields.values():
        assert field_.written_key in lines[field_.line]
    for problem in source.problems:
        assert problem.line in lines
    assert len(source.fields) + len(source.problems) == len(header)


@given(st.lists(st.sampled_from(LINE_PIECES), max_size=30).map("".join), st.integers(1, 9))
def test_the_tally_reads_a_header_as_far_as_a_build_does(text, block):
    # `invoke tally` reads each file only to its header's end. Leading lines of
    # full-width spaces or a BOM once ended that read before the header began.
    class Slowly(io.BytesIO):  # a file read a few bytes at a time
        def read(self, size=-1):
            return super().read(min(size, block))

    data = text.encode("utf-8")
    head = read_header(Slowly(data))
    assert data.startswith(head)
    whole = split("p.md", decode("p.md", data)[0])
    part = split("p.md", decode("p.md", head)[0])
    assert (part.fields, part.problems, part.body_line) == (
        whole.fields,
        whole.problems,
        whole.body_line,
    )


def test_a_blank_line_may_hold_any_whitespace_python_knows():
    every = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    assert set(SPACES) == every - {"\n"}
