"""A deterministic synthetic archive in our content format, and its vanilla twin.

Realistic Chinese items (600–2,500 characters, all columns, ~200 tags, units,
authors, outlets, submissions, deputies) so that the benchmark exercises what a
city archive would. The same items are also written in the format vanilla Pelican
reads (English keys), so both are built from one corpus.
"""

from __future__ import annotations

import os
import random
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path

SUBJECTS = ["区人大常委会", "主任会议", "常委会组成人员", "部分区人大代表", "财经工委", "法工委", "教科文卫工委",
            "代表工委", "城环工委", "街道人大工委", "镇人大主席团", "视察组", "执法检查组", "调研组"]  # fmt: skip
VERBS = ["听取和审议了", "专题调研了", "实地察看了", "视察了", "开展了", "审议通过了", "督办了", "跟踪监督了",
         "集中评议了", "满意度测评了"]  # fmt: skip
OBJECTS = ["区人民政府关于国民经济和社会发展计划执行情况的报告", "有关人事任免事项", "预算执行情况",
           "生态环境保护工作", "食品安全法贯彻实施情况", "养老服务体系建设", "义务教育优质均衡发展",
           "城市更新和老旧小区改造", "营商环境优化工作", "乡村振兴重点项目", "代表建议办理情况",
           "基层医疗卫生服务能力建设", "民生实事项目推进情况", "安全生产法实施情况", "河长制落实情况"]  # fmt: skip
TAILS = ["会议要求，要坚持问题导向，确保各项任务落到实处。", "代表们提出了具有针对性的意见建议。",
         "区人大常委会将持续跟踪问效，推动问题整改。", "有关部门负责同志作了汇报并回答了询问。",
         "会议强调，要充分发挥人大代表作用，密切联系人民群众。", "与会人员进行了认真讨论。",
         "下一步，将形成审议意见交区人民政府研究处理。", "检查组还随机抽查了部分企业和社区。"]  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文"
GIVEN = ["建华", "秀英", "志强", "丽萍", "国庆", "海燕", "德胜", "春梅", "立新", "文静", "晓雯", "卫东", "佳怡",
         "志远", "芳", "勇", "丽", "斌", "婷", "勇军", "明", "华", "军", "平", "霞", "红", "杰", "敏", "静", "磊"]  # fmt: skip
TAG_STEMS = ["执法检查", "视察", "调研", "代表建议", "代表联络站", "预算审查", "民生实事", "生态环境", "教育", "医疗卫生",
             "养老服务", "法治建设", "宪法宣誓", "人事任免", "基层治理", "营商环境", "乡村振兴", "城市更新",
             "食品安全", "专题询问", "满意度测评", "全过程人民民主", "人代会", "主任会议", "常委会会议"]  # fmt: skip
TAG_QUALIFIERS = ["", "工作", "专项", "年度", "重点", "街道", "镇村", "区级"]


def _sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)}{rng.choice(VERBS)}{rng.choice(OBJECTS)}。{rng.choice(TAILS)}"


def _body(rng: random.Random) -> str:
    target = rng.randint(600, 2500)
    paragraphs, length = [], 0
    while length < target:
        paragraph = "".join(_sentence(rng) for _ in range(rng.randint(2, 5)))
        if rng.random() < 0.1:
            paragraph = f"## {rng.choice(OBJECTS)}\n\n{paragraph}"
        paragraphs.append(paragraph)
        length += len(paragraph)
    return "\n\n".join(paragraphs)


def _people(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name not in names:
            names.append(name)
    return names


def write(folder: Path, items: int, settings: dict, seed: int = 2026) -> dict:
    """Write `items` items (ours under folder/ours, vanilla's under folder/vanilla).

    Returns what was written: {"ours": Path, "vanilla": Path, "edit": Path, ...}.
    """
    rng = random.Random(seed)
    ours, vanilla = folder / "ours", folder / "vanilla"
    columns = [c["name"] for c in settings["COLUMNS"]]
    units = [u["name"] for u in settings["UNITS"]]
    outlets = [o["name"] for o in settings["OUTLETS"]]
    genres = [g["name"] for g in settings["GENRES"]]
    delegations = [d["name"] for d in settings["DELEGATIONS"]]
    tags = [stem + q for stem in TAG_STEMS for q in TAG_QUALIFIERS][:200]
    authors = _people(rng, 60)
    deputy_names = _people(random.Random(seed + 1), 90)
    (ours / "deputies").mkdir(parents=True, exist_ok=True)
    for n, name in enumerate(deputy_names):
        (ours / "deputies" / f"d{n:03d}.md").write_text(
            f"姓名：{name}\n代表团：{delegations[n % len(delegations)]}\n层级：区\n\n{_sentence(rng)}\n",
            encoding="utf-8",
        )
    (ours / "pages").mkdir(exist_ok=True)
    (ours / "pages/about.md").write_text(
        "标题：关于本站\nSlug: about\n\n说明。\n", encoding="utf-8"
    )
    start = datetime(2016, 1, 4, 9, 0)
    span = (datetime(2026, 6, 30) - start).total_seconds()
    paths = []
    for n in range(items):
        moment = start + timedelta(seconds=int(span * n / max(1, items)))
        uid = uuid.UUID(int=rng.getrandbits(128), version=4)
        title = f"{rng.choice(SUBJECTS)}{rng.choice(VERBS)}{rng.choice(OBJECTS)}"
        column = columns[n % len(columns)]
        item_tags = rng.sample(tags, rng.randint(1, 4))
        item_authors = rng.sample(authors, rng.randint(1, 2))
        item_outlets = rng.sample(outlets, rng.choice([0, 0, 1, 1, 2, 3]))
        submit = rng.sample(outlets[:6], rng.choice([0, 0, 1, 2]))
        deputies = rng.sample(range(len(deputy_names)), rng.choice([0, 0, 0, 1, 2]))
        body = _body(rng)
        name = f"{moment:%Y/%m%d}-{n:05d}.md"
        header = [f"标题：{title}", f"日期：{moment:%Y-%m-%d %H:%M}", f"栏目：{column}",
                  f"单位：{rng.choice(units)}", f"作者：{'、'.join(item_authors)}",
                  f"标签：{'、'.join(item_tags)}", f"体裁：{rng.choice(genres)}", f"编号：{uid}"]  # fmt: skip
        if item_outlets:
            header.append(f"发布渠道：{'、'.join(item_outlets)}")
        if submit:
            header.append(f"报送：{'、'.join(submit)}")
        if deputies:
            header.append(f"代表：{'、'.join(f'd{d:03d}' for d in deputies)}")
        path = ours / "news" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(header) + "\n\n" + body + "\n", encoding="utf-8")
        twin = vanilla / "news" / name
        twin.parent.mkdir(parents=True, exist_ok=True)
        twin.write_text(
            f"Title: {title}\nDate: {moment:%Y-%m-%d %H:%M}\nCategory: {column}\n"
            f"Tags: {', '.join(item_tags)}\nAuthors: {', '.join(item_authors)}\nSlug: {moment:%Y%m%d}-{str(uid)[:8]}\n\n"
            f"{body}\n",
            encoding="utf-8",
        )
        paths.append(name)
    return {"ours": ours, "vanilla": vanilla, "paths": paths, "columns": columns}


EDITS = ("touch", "body", "add", "column")


def apply_edit(news: Path, kind: str, paths: list[str], columns: list[str], n: int = 0) -> None:
    """Make one edit of `kind` to the items under `news` (either twin; the n-th of its kind).

    touch: save the middle item again, unchanged (a new modification time); body:
    append a sentence to it; add: copy it as a new item (fresh id and slug); column:
    move an item a third of the way in to the next column.
    """
    middle = news / paths[len(paths) // 2]
    if kind == "touch":
        stat = middle.stat()
        os.utime(middle, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    elif kind == "body":
        with open(middle, "a", encoding="utf-8") as handle:
            handle.write("\n会议还研究了其他事项。\n")
    elif kind == "add":
        text = middle.read_text(encoding="utf-8")
        fresh = str(uuid.UUID(int=random.Random(f"added-{n}").getrandbits(128), version=4))
        text = re.sub(r"编号：\S+", "编号：" + fresh, text)
        text = re.sub(r"Slug: \S+", "Slug: added-" + fresh[:8], text)
        middle.with_name(f"added-{n}.md").write_text(text, encoding="utf-8")
    elif kind == "column":
        target = news / paths[len(paths) // 3]
        text = target.read_text(encoding="utf-8")
        old = re.search(r"(?:栏目：|Category: )(\S+)", text).group(1)
        new = columns[(columns.index(old) + 1) % len(columns)]
        target.write_text(text.replace(old, new, 1), encoding="utf-8")
    else:
        raise ValueError(kind)
