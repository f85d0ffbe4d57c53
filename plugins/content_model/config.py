"""The plugin's settings and the site facts (columns, outlets, units, genres).

Site facts are declared once, in ``pelicanconf.py``; this module turns those plain
lists into registries that look names up the way editors write them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

DEFAULTS: dict[str, Any] = {
    # A generated summary is at most this many characters; an explicit 摘要 too.
    "SUMMARY_LENGTH": 120,
    # Files larger than this are refused (a pasted scan or a runaway export).
    "MAX_FILE_BYTES": 2 * 1024 * 1024,
    # Markdown conversion of one body may take at most this long.
    "PARSE_SECONDS": 5.0,
    # An item dated up to this many days ahead waits for its date; further ahead
    # is taken for a typing mistake and refused.
    "SCHEDULE_HORIZON_DAYS": 31,
    # Keep parsed files between runs (in Pelican's CACHE_PATH), by size and time.
    "CACHE": True,
    # Processes that read files: 0 uses every core once there are many files to read.
    "WORKERS": 0,
    # "Now" for the build, as ISO 8601 ("2026-01-31T12:00:00+08:00"); None means
    # the clock. Tests and reproducible builds set it.
    "NOW": None,
}

SETTING = "CONTENT_MODEL"

ASCII_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SPACES = re.compile(r"\s+")


class SettingsError(ValueError):
    """The site settings themselves are wrong (a developer's mistake)."""


def get_config(settings: dict) -> dict[str, Any]:
    """Return the plugin's settings merged over DEFAULTS, without touching Pelican's."""
    given = dict(settings.get(SETTING) or {})
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise SettingsError(
            f"{SETTING} 中有不认识的设置项：{', '.join(unknown)}；"
            f"可用的设置项：{', '.join(DEFAULTS)}"
        )
    return {**DEFAULTS, **given}


def normalize_name(value: str) -> str:
    """Fold the ways one name gets typed (full-width forms, spaces) into one key."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", value)).casefold()


@dataclass(frozen=True)
class Entry:
    """One declared column, outlet, unit or genre."""

    name: str
    slug: str
    aliases: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __getattr__(self, key: str) -> Any:
        # Declared extra attributes (group, level, online, type...) read like fields.
        extra = self.__dict__.get("extra", {})
        if key in extra:
            return extra[key]
        raise AttributeError(key)

    def __str__(self) -> str:
        return self.name


class Registry:
    """Declared entries of one kind, found by name, alias or slug."""

    def __init__(self, setting: str, label: str, entries: list[dict]):
        self.setting = setting
        self.label = label
        self.entries: list[Entry] = []
        self._by_key: dict[str, Entry] = {}
        slugs: set[str] = set()
        for raw in entries:
            raw = dict(raw)
            try:
                name, slug = raw.pop("name"), raw.pop("slug")
            except KeyError as missing:
                raise SettingsError(f"{setting} 的每一项都要有 {missing}：{raw}") from None
            aliases = tuple(raw.pop("aliases", ()))
            if not ASCII_SLUG.match(slug):
                raise SettingsError(
                    f"{setting} 中“{name}”的 slug “{slug}”只能用小写字母、数字和连字符"
                )
            if slug in slugs:
                raise SettingsError(f"{setting} 中 slug “{slug}”重复")
            slugs.add(slug)
            entry = Entry(name=name, slug=slug, aliases=aliases, extra=raw)
            self.entries.append(entry)
            for key in (name, *aliases):
                norm = normalize_name(key)
                if norm in self._by_key and self._by_key[norm] is not entry:
                    raise SettingsError(f"{setting} 中名称或别名“{key}”重复")
                self._by_key[norm] = entry

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, value: str) -> Entry | None:
        """Return the entry a name or alias stands for, or None."""
        return self._by_key.get(normalize_name(value))

    def unknown(self, value: str) -> tuple[str, str]:
        """Return the (message, hint) telling an editor a name is not declared."""
        close = self.suggest(value)
        guess = f"您是不是想写“{'”或“'.join(close)}”？" if close else ""
        choices = "、".join(e.name for e in self.entries)
        return (
            f"不认识的{self.label}“{value}”。",
            f"{guess}可选的{self.label}：{choices}。"
            f"新增{self.label}请联系网站管理员在 pelicanconf.py 的 {self.setting} 中登记。",
        )

    def suggest(self, value: str) -> list[str]:
        """Return declared names close to a mistyped one, best first."""
        names = {normalize_name(k): e.name for e in self.entries for k in (e.name, *e.aliases)}
        close = difflib.get_close_matches(normalize_name(value), names, n=3, cutoff=0.4)
        # Also offer names that contain the typed text or are contained in it.
        norm = normalize_name(value)
        close += [k for k in names if norm and (norm in k or k in norm)]
        return list(dict.fromkeys(names[k] for k in close))


@dataclass(frozen=True)
class Site:
    """All declared site facts, as registries."""

    groups: Registry
    columns: Registry
    outlets: Registry
    units: Registry
    genres: Registry
    delegations: Registry
    tag_slugs: dict[str, str]
    author_slugs: dict[str, str]


OUTLET_LEVELS = ("national", "provincial", "city", "district", "media")


def site_origin(settings: dict) -> str:
    """Return the site's absolute address for feeds, sitemaps and sharing cards.

    FEED_DOMAIN when set (the preview server locally), else SITEURL.
    """
    return (settings.get("FEED_DOMAIN") or settings.get("SITEURL") or "").rstrip("/")


def get_site(settings: dict) -> Site:
    """Build the registries from the settings, checking what they declare."""
    groups = Registry("COLUMN_GROUPS", "栏目分组", settings.get("COLUMN_GROUPS", []))
    columns = Registry("COLUMNS", "栏目", settings.get("COLUMNS", []))
    for column in columns:
        if groups.find(column.extra.get("group", "")) is None:
            raise SettingsError(f"COLUMNS 中“{column.name}”的 group 必须是 COLUMN_GROUPS 中的一项")
    outlets = Registry("OUTLETS", "发布渠道", settings.get("OUTLETS", []))
    for outlet in outlets:
        if outlet.extra.get("level") not in OUTLET_LEVELS:
            raise SettingsError(
                f"OUTLETS 中“{outlet.name}”的 level 必须是 {'/'.join(OUTLET_LEVELS)} 之一"
            )
    for setting in ("TAG_SLUGS", "AUTHOR_SLUGS"):
        for name, slug in (settings.get(setting) or {}).items():
            if not ASCII_SLUG.match(slug):
                raise SettingsError(f"{setting} 中“{name}”的 slug “{slug}”不合规范")
    return Site(
        groups=groups,
        columns=columns,
        outlets=outlets,
        units=Registry("UNITS", "单位", settings.get("UNITS", [])),
        genres=Registry("GENRES", "体裁", settings.get("GENRES", [])),
        delegations=Registry("DELEGATIONS", "代表团", settings.get("DELEGATIONS", [])),
        tag_slugs=dict(settings.get("TAG_SLUGS") or {}),
        author_slugs=dict(settings.get("AUTHOR_SLUGS") or {}),
    )
