"""Bodies become safe HTML; summaries work for Chinese text."""

import time

import pytest

from content_model.markup import (
    Renderer,
    RenderError,
    find_dangerous,
    lead_image,
    sanitize,
    summarize,
)

LONG = "根据2024年工作安排和区委部署要求" * 20  # one "word" to Pelican: no spaces


def test_pelicans_word_count_problem_does_not_apply():
    # Pelican counts 根据2024年… up to the next space as one word and keeps it whole.
    summary = summarize(f"<p>{LONG}</p>", 120)
    assert 0 < len(summary) <= 120
    assert summary.endswith("…")


def test_summary_ends_at_a_sentence_when_one_is_near():
    text = (
        "区人大常委会召开第二十次会议。" * 6
        + "会议听取了区人民政府关于生态环境保护工作情况的报告，" * 5
    )
    summary = summarize(f"<p>{text}</p>", 120)
    assert summary.endswith("。")
    assert len(summary) == 90


def test_short_body_is_kept_whole():
    assert summarize("<p>会议审议通过了决议。</p>", 120) == "会议审议通过了决议。"


def test_first_paragraph_with_attributes_is_not_lost():
    # Pelican returns an empty summary here.
    html = '<p class="lead" id="p1">区人大常委会开展执法检查。</p><p>第二段。</p>'
    assert summarize(html, 120) == "区人大常委会开展执法检查。第二段。"


def test_images_tables_and_headings_are_skipped():
    html = (
        '<h2>一、基本情况</h2><p><img src="a.jpg" alt="会场"></p>'
        "<table><tr><td>赞成</td><td>30</td></tr></table>"
        "<p>会议表决通过了任免事项。</p>"
    )
    assert summarize(html, 120) == "会议表决通过了任免事项。"


def test_body_without_paragraph_text_gives_empty_summary_for_the_caller_to_fill():
    assert summarize("<table><tr><td>表</td></tr></table>", 120) == ""


def test_lines_of_one_paragraph_join_without_spaces_between_chinese():
    assert summarize("<p>区人大\n常委会</p>", 120) == "区人大常委会"


@pytest.mark.parametrize(
    "dangerous",
    [
        "<script>alert(1)</script>",
        '<img src="x.png" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<iframe src="https://example.com"></iframe>',
        '<p style="color:red" onclick="x()">x</p>',
        "<style>body{display:none}</style>",
        '<form action="/x"><input name="a"></form>',
    ],
)
def test_sanitize_removes_everything_executable(dangerous):
    cleaned = sanitize(dangerous).lower()
    for word in (
        "<script",
        "onerror",
        "javascript:",
        "<iframe",
        "style=",
        "onclick",
        "<style",
        "<form",
        "<input",
    ):
        assert word not in cleaned
    assert find_dangerous(dangerous) or "style=" in dangerous


def test_sanitize_keeps_what_word_pastes_legitimately():
    html = (
        "<h2>标题</h2><p><strong>粗</strong><em>斜</em></p><ul><li>一</li></ul>"
        '<table><thead><tr><th colspan="2">表</th></tr></thead></table>'
        '<p><img src="/images/a.jpg" alt="会场"><a href="https://www.npc.gov.cn/">链接</a></p>'
    )
    assert sanitize(html) == html


def test_intrasite_link_markers_survive_sanitizing():
    html = '<a href="{filename}/news/2025/a.md">x</a><img src="{static}/images/a.jpg" alt="图">'
    assert sanitize(html) == html


def test_deeply_nested_list_is_a_render_error_not_a_crash():
    body = "".join("    " * i + "- 项\n" for i in range(300))
    with pytest.raises(RenderError, match="嵌套"):
        Renderer().to_html(body)


def test_renderer_is_usable_after_an_error():
    renderer = Renderer()
    with pytest.raises(RenderError):
        renderer.to_html("".join("    " * i + "- 项\n" for i in range(300)))
    assert renderer.to_html("*好*") == "<p><em>好</em></p>"


def test_input_that_makes_markdown_crawl_is_stopped_in_time():
    # 20,000 "[" take python-markdown well over 20 seconds.
    start = time.monotonic()
    with pytest.raises(RenderError, match="超过 1 秒"):
        Renderer(seconds=1).to_html("[" * 20000)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<p>文</p><p><img src="/images/a.jpg" alt="会场&amp;全景"></p><img src="b.jpg">',
         {"src": "/images/a.jpg", "alt": "会场&全景"}),
        ('<img alt="无地址">', None),
        ("<p>没有图片</p>", None),
    ],
)  # fmt: skip
def test_lead_image_is_the_first_image_of_the_body(html, expected):
    assert lead_image(html) == expected


def test_tables_are_wrapped_in_a_focusable_scrolling_region():
    html = Renderer().to_html("| 姓名 | 职务 |\n|---|---|\n| 王五 | 副区长 |")
    assert html.startswith(
        '<div class="table-scroll" role="region" tabindex="0" aria-label="表格"><table>'
    )
    assert html.rstrip().endswith("</table></div>")


def _stock_markdown():
    import markdown

    from content_model.markup import MARKDOWN_EXTENSIONS

    return markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, output_format="html")


def _bodies(count: int) -> list[str]:
    """Bodies mixing Chinese text with every inline markup, alone and in odd places."""
    import random

    rng = random.Random(20261122)
    pieces = [
        "区人大常委会召开第二十次会议", "，", "。", "2025年", "GDP", " ", "  \n", "\n", "\n\n",
        "`", "``", "\\", "\\\\", "\\*", "[", "]", "(", ")", "[^1]", "[^1]: 注释", "!", "![",
        "<", ">", "<b>", "</b>", "<https://www.example.gov.cn/>", "<renda@example.gov.cn>",
        "&", "&amp;", "&#20154;", "&copy", "*", "**", "_", "__", "*强调*", "**加粗**", "_下划线_",
        "[链接](https://example.gov.cn/)", "![图](/images/a.png)", "[参考][1]", "[1]: /a/",
        "*[人大]: 人民代表大会", "人大", "- ", "1. ", "> ", "# ", "    ", "| 甲 | 乙 |\n|---|---|\n",
        "{: .note }", "~", "^", "=", "@", ":", "\t",
    ]  # fmt: skip
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 40))) for _ in range(count)]


def test_plain_text_skips_the_inline_patterns_yet_converts_exactly_as_markdown_does():
    # The converter leaves runs without inline markup alone instead of trying every
    # pattern on them; on any text, it gives the bytes stock Markdown gives.
    from content_model.markup import _PlainTextInline

    renderer = Renderer()
    assert isinstance(renderer._md.treeprocessors["inline"], _PlainTextInline)
    ours, stock = renderer._md, _stock_markdown()
    for body in _bodies(4000):
        assert ours.reset().convert(body) == stock.reset().convert(body), body


def _plain_bodies(count: int) -> list[str]:
    """Bodies of Chinese paragraphs and headings, with now and then what is not plain."""
    import random

    rng = random.Random(20261123)
    common = [
        "区人大常委会召开会议", "，", "。", "“代表”", "（一）", "2025年", "3.5", "GDP", "a", " ",
        "\n", "\n\n", "\n\n\n", "\u3000", "1", "(", ")", ".", "：", "'", '"', "%", "/", "é",
        "\xa0",
    ]  # fmt: skip
    rare = [
        "#", "## ", "###### ", "####### ", "# 标题", "#标题", "## 标题 ", "#\u3000标题",
        "\n## 标题\n", "\n\n## 标题\n\n", "\n\n#\n\n", "1. ", "1)", ":", "-", "---", "+", "=",
        "===", "!", "?", "\x0c", "\x85", "\u2028", "\x7f", "  \n", "\t", "\r\n", "\u200b",
        "\ufeff", "*", "_", "[", "<", "&", "`", "~", "|", "{",
    ]  # fmt: skip
    return [
        "".join(rng.choice(rare) if rng.random() < 0.08 else rng.choice(common)
                for _ in range(rng.randint(1, 40)))
        for _ in range(count)
    ]  # fmt: skip


def test_plain_bodies_skip_markdown_yet_convert_exactly_as_it_does():
    # Paragraphs and "#" headings are made without Markdown; any body taken that way
    # gives the bytes stock Markdown (and the whole renderer) gives.
    from content_model.markup import _plain_html, sanitize, scrollable_tables

    renderer, stock = Renderer(), _stock_markdown()
    assert renderer._plain
    taken = headings = 0
    for body in _plain_bodies(8000) + _bodies(2000):
        html = _plain_html(body)
        expected = stock.reset().convert(body)
        if html is not None:
            taken += 1
            headings += "<h" in html
            assert html == expected, body
        assert renderer.to_html(body) == scrollable_tables(sanitize(expected)), body
    assert taken > 2000 and headings > 60  # the comparison is not vacuous
    assert (
        _plain_html("## 会议议程\n\n会议听取了报告。")
        == "<h2>会议议程</h2>\n<p>会议听取了报告。</p>"
    )
    for marked in (
        "**加粗**",
        "- 一项",
        "1. 一项",
        "> 引用",
        "## 标题\n正文",
        "第#1号",
        "    代码",
    ):
        assert _plain_html(marked) is None, marked


def test_the_plain_path_stands_aside_when_markdown_has_other_processors():
    import markdown

    from content_model.markup import MARKDOWN_EXTENSIONS, _PlainTextExtension, _stands_for

    assert _stands_for(Renderer()._md)
    assert not _stands_for(_stock_markdown())  # its inline step is Markdown's own
    with_toc = [*MARKDOWN_EXTENSIONS, "toc", _PlainTextExtension()]
    assert not _stands_for(markdown.Markdown(extensions=with_toc, output_format="html"))
    with_xhtml = [*MARKDOWN_EXTENSIONS, _PlainTextExtension()]
    assert not _stands_for(markdown.Markdown(extensions=with_xhtml, output_format="xhtml"))


@pytest.mark.parametrize("limit", [1, 12, 120, 300])
def test_a_summary_read_from_the_start_of_a_body_is_the_one_read_from_all_of_it(limit):
    from content_model.markup import _join, _ParagraphText, truncate

    renderer = Renderer()
    fuzz = _bodies(1500)
    long = ["\n\n".join(fuzz[n : n + 60]) for n in range(0, len(fuzz), 60)]
    bodies = [*fuzz, *long, "<p>" + "区人大常委会召开会议。" * 400 + "</p>", "<p>短</p>" * 900]
    for body in bodies:
        html = body if body.startswith("<p>") else renderer.to_html(body)
        whole = _ParagraphText()
        whole.feed(html)
        whole.close()
        assert summarize(html, limit) == truncate(_join(whole.parts), limit), html
