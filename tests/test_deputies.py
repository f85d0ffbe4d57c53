"""Deputies: the directory, a page per deputy, links both ways, names and privacy."""

from __future__ import annotations

import pytest

from conftest import SAMPLE, build, settings_for, soup, write_item
from content_model.corpus import build_corpus
from content_model.problems import ContentRefused

DEPUTY = "姓名：{name}\n代表团：{delegation}\n层级：区\n届别：第十八届\n\n{bio}\n"


@pytest.fixture(scope="module")
def corpus():
    return build_corpus(
        settings_for(SAMPLE, SAMPLE.parent / "output", CONTENT_MODEL={"CACHE": False})
    )


def test_sample_has_a_dozen_deputies_in_three_delegations_two_sharing_a_name(corpus):
    deputies = corpus.deputies()
    assert len(deputies) >= 12
    assert len({d.meta["delegation"].name for d in deputies}) == 3
    names = [d.meta["name"] for d in deputies]
    assert names.count("李明") == 2


def test_directory_groups_deputies_by_delegation_with_item_counts(sample_site, corpus):
    nav = soup(sample_site / "index.html").select_one(".site-nav")
    assert nav.find("a", string="代表名录")["href"] == "/deputies/"
    page = soup(sample_site / "deputies/index.html")
    groups = {
        section.h2.get_text(): [a.get_text() for a in section.select("a")]
        for section in page.select("section.delegation")
    }
    assert list(groups) == ["青石选区（4 人）", "溪口选区（4 人）", "白沙镇代表小组（4 人）"]
    published = [r for r in corpus.items() if r.published]
    for item in page.select(".deputy-list li"):
        link = item.a["href"].strip("/").split("/")[-1]
        expected = sum(1 for r in published if any(d.id == link for d in r.meta["deputies"]))
        assert f"（{expected} 篇）" in item.get_text()


def test_deputy_page_lists_every_item_naming_them_newest_first_with_counts(sample_site, corpus):
    naming = sorted(
        (
            r
            for r in corpus.items()
            if r.published and any(d.id == "zhao-liping" for d in r.meta["deputies"])
        ),
        key=lambda r: r.meta["date"],
        reverse=True,
    )
    assert naming
    page = soup(sample_site / "deputies/zhao-liping/index.html")
    assert page.h1.get_text() == "赵丽萍"
    assert [a.get_text() for a in page.select(".deputy-items .item-list a")] == [
        r.meta["title"] for r in naming
    ]
    assert f"相关报道（{len(naming)} 篇）" in page.get_text()
    columns = {r.meta["column"].name for r in naming}
    note = page.select_one(".deputy-items .page-note").get_text()
    for column in columns:
        assert column in note


def test_items_link_to_their_deputies_and_back(sample_site, corpus):
    record = next(r for r in corpus.items() if r.published and len(r.meta["deputies"]) >= 2)
    item = soup(
        sample_site / "news" / f"{record.meta['date']:%Y/%m}" / f"{record.meta['slug']}.html"
    )
    links = {a.get_text(): a["href"] for a in item.select(".item-deputies a")}
    assert links == {d.name: f"/deputies/{d.id}/" for d in record.meta["deputies"]}
    for deputy in record.meta["deputies"]:
        back = soup(sample_site / f"deputies/{deputy.id}/index.html")
        assert record.meta["title"] in [a.get_text() for a in back.select(".item-list a")]


def test_shared_name_written_by_id_reaches_the_right_deputy(sample_site):
    baisha = soup(sample_site / "deputies/li-ming-baisha/index.html")
    xikou = soup(sample_site / "deputies/li-ming-xikou/index.html")
    assert "白沙镇代表小组督促村级道路养护" in baisha.get_text()
    assert "白沙镇代表小组督促村级道路养护" not in xikou.get_text()


def deputies_content(content):
    folder = content / "deputies"
    folder.mkdir()
    for slug, name, delegation in [
        ("li-ming-xikou", "李明", "溪口选区"),
        ("li-ming-baisha", "李明", "白沙镇代表小组"),
        ("liu-jianhua", "刘建华", "青石选区"),
    ]:
        (folder / f"{slug}.md").write_text(
            DEPUTY.format(name=name, delegation=delegation, bio="简介。"), encoding="utf-8"
        )
    return folder


def refused(content, tmp_path):
    with pytest.raises(ContentRefused) as stopped:
        build(content, tmp_path / "out")
    return stopped.value.problems


ITEM = "标题：甲\n日期：2025-03-01\n栏目：代表风采\n代表：{deputies}\n编号：11111111-1111-4111-8111-111111111111"


def test_a_shared_name_must_be_given_by_id_and_the_build_says_so(content, tmp_path):
    deputies_content(content)
    write_item(content / "news/2025", "a.md", ITEM.format(deputies="李明"))
    (problem,) = refused(content, tmp_path)
    assert problem.field == "代表" and problem.line == 4
    assert "有 2 位代表都叫“李明”" in problem.message
    assert (
        "li-ming-baisha（白沙镇代表小组）" in problem.hint
        and "li-ming-xikou（溪口选区）" in problem.hint
    )


def test_an_unknown_deputy_comes_with_did_you_mean(content, tmp_path):
    deputies_content(content)
    write_item(content / "news/2025", "a.md", ITEM.format(deputies="刘健华"))
    (problem,) = refused(content, tmp_path)
    assert "代表名册里没有“刘健华”" in problem.message and "您是不是想写“刘建华”" in problem.hint


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            DEPUTY.format(name="王五", delegation="青石选区", bio="联系电话13812345678。"),
            "手机号码",
        ),
        (DEPUTY.format(name="王五", delegation="青石选区", bio="手机：138 1234 5678"), "手机号码"),
        (
            DEPUTY.format(name="王五", delegation="青石选区", bio="手机１３８１２３４５６７８"),
            "手机号码",
        ),
        (DEPUTY.format(name="王五", delegation="青石选区", bio="电话+8613812345678"), "手机号码"),
        (
            DEPUTY.format(name="王五", delegation="青石选区", bio="身份证号11010119900307123X。"),
            "身份证号码",
        ),
        (
            "姓名：王五\n代表团：青石选区\n家庭住址：青石街道某小区3栋\n\n简介。\n",
            "个人信息不得在网站公开",
        ),
        ("姓名：王五\n代表团：青石选区\n电话：0731-1234567\n\n简介。\n", "个人信息不得在网站公开"),
    ],
)
def test_personal_data_in_a_deputy_file_fails_the_build(content, tmp_path, text, words):
    folder = deputies_content(content)
    (folder / "wang-wu.md").write_text(text, encoding="utf-8")
    problems = refused(content, tmp_path)
    assert problems and all(p.path == "deputies/wang-wu.md" for p in problems)
    assert any(words in p.message for p in problems)


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("代表团：青石选区\n\n简介。", "姓名", "缺少必填字段"),
        ("姓名：王五\n代表团：东山选区\n\n简介。", "代表团", "不认识的代表团“东山选区”"),
        ("姓名：王五\n代表团：青石选区\n层级：县\n\n简介。", "层级", "不认识的代表层级“县”"),
    ],
)
def test_deputy_file_problems(content, tmp_path, text, field, words):
    folder = deputies_content(content)
    (folder / "wang-wu.md").write_text(text + "\n", encoding="utf-8")
    (problem,) = refused(content, tmp_path)
    assert problem.field == field and words in problem.message


def test_a_site_without_deputies_writes_no_directory(content, tmp_path):
    write_item(
        content / "news/2025",
        "a.md",
        "标题：甲\n日期：2025-03-01\n栏目：监督\n编号：11111111-1111-4111-8111-111111111111",
    )
    site = build(content, tmp_path / "out")
    assert not (site / "deputies").exists()
    assert "代表名录" not in soup(site / "index.html").select_one(".site-nav").get_text()
