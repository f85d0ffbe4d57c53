"""The fields of a news item, a page and a deputy: names, Chinese aliases, kinds."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldSpec:
    """One metadata field as editors write it."""

    key: str  # canonical name, as Pelican's metadata key
    label: str  # the Chinese name shown in messages
    aliases: tuple[str, ...]  # every accepted spelling, lower-cased
    kind: str  # "text", "date" or "list"


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("title", "标题", ("title", "标题"), "text"),
    FieldSpec("date", "日期", ("date", "日期", "发布日期", "发布时间"), "date"),
    FieldSpec("category", "栏目", ("category", "column", "栏目"), "text"),
    FieldSpec("tags", "标签", ("tags", "tag", "标签", "关键词"), "list"),
    FieldSpec("authors", "作者", ("authors", "author", "作者"), "list"),
    FieldSpec("unit", "单位", ("unit", "单位", "来源单位", "供稿单位"), "text"),
    FieldSpec("outlets", "发布渠道", ("outlets", "发布渠道", "刊发渠道", "采用渠道"), "list"),
    FieldSpec("submit", "报送", ("submit", "报送", "报送渠道"), "list"),
    FieldSpec("deputies", "代表", ("deputies", "deputy", "代表", "人大代表"), "list"),
    FieldSpec("genre", "体裁", ("genre", "体裁"), "text"),
    FieldSpec("uid", "编号", ("uid", "编号"), "text"),
    FieldSpec("slug", "Slug", ("slug", "网址名"), "text"),
    FieldSpec("summary", "摘要", ("summary", "摘要", "导语"), "text"),
    FieldSpec("status", "状态", ("status", "状态"), "text"),
    FieldSpec("modified", "修改日期", ("modified", "修改日期", "更新日期"), "date"),
)


class Schema:
    """The fields one kind of file may carry, found by any accepted spelling."""

    def __init__(self, fields: tuple[FieldSpec, ...]):
        self.fields = fields
        self.by_alias = {alias: f for f in fields for alias in f.aliases}

    def find(self, written: str) -> FieldSpec | None:
        """Return the field a written key stands for, or None."""
        return self.by_alias.get(written.lower())

    def suggest(self, word: str) -> str | None:
        """Return the field an unknown key most likely meant, as its Chinese label."""
        close = difflib.get_close_matches(word.lower(), self.by_alias, n=1, cutoff=0.5)
        return self.by_alias[close[0]].label if close else None

    def labels(self) -> str:
        """Return the fields' Chinese names, for messages."""
        return "、".join(f.label for f in self.fields)


# A deputy's file (content/deputies/<id>.md): the file name is the deputy's id.
DEPUTY_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", "姓名", ("name", "姓名"), "text"),
    FieldSpec("delegation", "代表团", ("delegation", "代表团", "选区", "代表小组"), "text"),
    FieldSpec("levels", "层级", ("levels", "level", "层级", "代表层级"), "list"),
    FieldSpec("term", "届别", ("term", "届别", "届次"), "text"),
    FieldSpec("occupation", "职业", ("occupation", "职业", "工作单位", "职务"), "text"),
    FieldSpec("photo", "照片", ("photo", "照片"), "text"),
    FieldSpec("slug", "Slug", ("slug", "网址名"), "text"),
)
DEPUTY_REQUIRED = ("name", "delegation")
DEPUTY_LEVELS = ("区", "市", "省", "全国")
# Personal data that must never be published: such a field is refused outright.
PRIVATE_FIELDS = ("住址", "家庭住址", "家庭地址", "住所", "地址", "电话", "手机", "手机号",
                  "身份证", "身份证号", "address", "phone", "mobile")  # fmt: skip

ITEM_SCHEMA = Schema(FIELDS)
DEPUTY_SCHEMA = Schema(DEPUTY_FIELDS)
BY_KEY: dict[str, FieldSpec] = {f.key: f for f in DEPUTY_FIELDS + FIELDS}

# What each kind of document must or may carry.
ITEM_REQUIRED = ("title", "date", "category", "uid")
PAGE_FIELDS = frozenset({"title", "slug", "summary", "status", "modified", "uid"})
PAGE_REQUIRED = ("title",)

# Status words editors use, mapped to Pelican's statuses.
STATUSES = {
    "published": "published",
    "发布": "published",
    "已发布": "published",
    "公开": "published",
    "draft": "draft",
    "草稿": "draft",
}


def label(key: str) -> str:
    """Return the Chinese label of a field key."""
    return BY_KEY[key].label
