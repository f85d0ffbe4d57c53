"""The health check's settings: freshness thresholds and the wording table."""

from __future__ import annotations

import copy
from typing import Any

SETTING = "HEALTH_CHECK"

DEFAULTS: dict[str, Any] = {
    # A news column (动态/要闻) with no new item for this many days is "not updated".
    "NEWS_DAYS": 14,
    # A notice or policy column (通知公告/政策文件), declared with "kind": "notice".
    "NOTICE_DAYS": 180,
    # The home page with no new item for this many days is "not updated".
    "HOME_DAYS": 14,
    # This many columns not updated, or this many empty columns, fails the site.
    "FAIL_COLUMNS": 5,
    # An item dated more than this many days before its file entered the repository
    # looks back-dated (伪造发稿日期).
    "BACKDATE_DAYS": 3,
    # Items whose files entered the repository on or before this day (YYYY-MM-DD) are
    # an archive imported when the portal started, with their original dates.
    "ARCHIVE_IMPORTED": None,
    # Serious wording errors (严重表述错误): wrong → right.
    "WORDING": {
        "中华人民共合国": "中华人民共和国",
        "中华人民共和共": "中华人民共和国",
        "攻府": "政府",
        "人民代表大会常务委员员": "人民代表大会常务委员会",
        "全国人民代表大大会": "全国人民代表大会",
        "人大常委会付主任": "人大常委会副主任",
    },
}


def get_config(settings: dict) -> dict[str, Any]:
    """Return HEALTH_CHECK merged over DEFAULTS; unknown keys are an error."""
    given = dict(settings.get(SETTING) or {})
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"{SETTING} 中有不认识的设置项：{', '.join(unknown)}")
    return {**copy.deepcopy(DEFAULTS), **copy.deepcopy(given)}
