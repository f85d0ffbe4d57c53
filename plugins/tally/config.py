"""The tally's settings: target, quotas, reward rates, the roster."""

from __future__ import annotations

import copy
from typing import Any

SETTING = "TALLY"

# What the yearly target can count.
TARGET_COUNTS = {
    "online_placements": "在网络媒体刊发（篇次）",
    "online_items": "在网络媒体刊发（条）",
    "placements": "在各类媒体刊发（篇次）",
    "portal_items": "本网站发布（条）",
    "adopted": "报送被采用（条）",
}
METRICS = {
    "items": "报送本办稿件",  # every item an author wrote, drafts included
    "submitted": "向上报送稿件",  # items offered upward (报送)
    "adopted": "被采用稿件",  # items that appeared in outlets (发布渠道)
}
ROLES_DEFAULT = {"staff": "专职宣传人员", "correspondent": "通讯员"}
# Outlet levels ranked for "city level or higher"; media outlets have no rank.
LEVEL_RANK = {"district": 0, "city": 1, "provincial": 2, "national": 3}
LEVEL_NAMES = {
    "national": "国家级",
    "provincial": "省级",
    "city": "市级",
    "district": "区级",
    "media": "新闻媒体",
}

DEFAULTS: dict[str, Any] = {
    "TARGET": 80,
    "TARGET_COUNT": "online_placements",
    # Each quota: who (a role from the roster, or a type of unit), what (METRICS),
    # per month or per year, the minimum, and for submitted/adopted the lowest
    # outlet level that counts.
    "QUOTAS": [
        {
            "name": "通讯员每月至少向本办报送 1 篇",
            "role": "correspondent",
            "metric": "items",
            "per": "month",
            "min": 1,
        },
        {
            "name": "专职人员每月至少向市级以上报送 4 篇",
            "role": "staff",
            "metric": "submitted",
            "min_level": "city",
            "per": "month",
            "min": 4,
        },
        {
            "name": "专职人员每年在市级以上至少被采用 4 篇",
            "role": "staff",
            "metric": "adopted",
            "min_level": "city",
            "per": "year",
            "min": 4,
        },
        {
            "name": "各委室每年至少报送 6 篇",
            "unit_type": "committee",
            "metric": "items",
            "per": "year",
            "min": 6,
        },
    ],  # fmt: skip
    # Reward per adopted placement, by outlet level (yuan); levels not listed earn none.
    "REWARDS": {"national": 500, "provincial": 300, "city": 100},
    # "split": co-authors share an item's reward equally; "each": everyone gets it all.
    "REWARD_SHARE": "split",
    # People by name as written: {"林晓雯": {"role": "staff", "unit": "办公室"}}.
    "ROSTER": {},
    "ROLES": ROLES_DEFAULT,
    # Where the report pages go; they are not linked from the public pages.
    "URL": "tally/",
}


class TallySettingsError(ValueError):
    """The TALLY setting is wrong (a developer's or administrator's mistake)."""


def get_config(settings: dict) -> dict[str, Any]:
    """Return TALLY merged over DEFAULTS, checked; Pelican's settings are not touched."""
    given = dict(settings.get(SETTING) or {})
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise TallySettingsError(f"{SETTING} 中有不认识的设置项：{', '.join(unknown)}")
    config = {**copy.deepcopy(DEFAULTS), **copy.deepcopy(given)}
    if config["TARGET_COUNT"] not in TARGET_COUNTS:
        raise TallySettingsError(f"{SETTING}['TARGET_COUNT'] 须是 {', '.join(TARGET_COUNTS)} 之一")
    if config["REWARD_SHARE"] not in ("split", "each"):
        raise TallySettingsError(f"{SETTING}['REWARD_SHARE'] 须是 split 或 each")
    for quota in config["QUOTAS"]:
        if quota.get("metric") not in METRICS or quota.get("per") not in ("month", "year"):
            raise TallySettingsError(f"{SETTING} 的配额写法不对：{quota}")
        if ("role" in quota) == ("unit_type" in quota):
            raise TallySettingsError(f"配额须指定 role 或 unit_type 之一：{quota}")
        if quota.get("min_level", "district") not in LEVEL_RANK:
            raise TallySettingsError(f"配额的 min_level 须是 {', '.join(LEVEL_RANK)} 之一：{quota}")
        if "role" in quota and quota["role"] not in config["ROLES"]:
            raise TallySettingsError(f"配额中的角色 {quota['role']} 不在 ROLES 中")
    for name, person in config["ROSTER"].items():
        if person.get("role") not in config["ROLES"]:
            raise TallySettingsError(f"ROSTER 中“{name}”的 role 须是 ROLES 中的一项")
    for level in config["REWARDS"]:
        if level not in LEVEL_NAMES:
            raise TallySettingsError(f"REWARDS 中的级别 {level} 不存在")
    return config
