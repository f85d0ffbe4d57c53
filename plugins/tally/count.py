"""Count what the office got published: plain records in, a plain report out.

Everything here is a pure function over TallyItems, so the same numbers reach the
site's pages, the exports and ``invoke tally``, and a property test can recount them
by brute force.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from .config import LEVEL_NAMES, LEVEL_RANK, TARGET_COUNTS

NO_UNIT = "（未注明单位）"
NO_GENRE = "（未注明体裁）"
QUARTER_NAMES = ("第一季度", "第二季度", "第三季度", "第四季度")


@dataclass(frozen=True)
class Placement:
    """An outlet an item was submitted to or appeared in."""

    outlet: str
    level: str
    online: bool


@dataclass(frozen=True)
class TallyItem:
    """What counting needs to know of one news item."""

    uid: str
    day: date  # the publication date (Beijing time)
    published: bool  # on the portal (not a draft, not waiting for its date)
    column: str
    group: str
    unit: str | None
    unit_type: str | None
    authors: tuple[str, ...]
    genre: str | None
    outlets: tuple[Placement, ...]  # 发布渠道: where it appeared
    submit: tuple[Placement, ...]  # 报送: where it was offered

    def adopted_by(self) -> set[str]:
        """Return the destinations it was submitted to that published it."""
        return {p.outlet for p in self.submit} & {p.outlet for p in self.outlets}

    def adopted(self) -> bool:
        """Return whether any destination it was submitted to published it."""
        return bool(self.adopted_by())


@dataclass(frozen=True)
class Period:
    """A year, a quarter or a month: [start, end)."""

    key: str  # "2025", "2025-Q1", "2025-03"
    label: str  # "2025年", "2025年第一季度", "2025年3月"
    start: date
    end: date
    kind: str  # "year", "quarter", "month"

    @property
    def year(self) -> int:
        """Return the period's year."""
        return self.start.year

    def months(self) -> list[tuple[int, int]]:
        """Return the (year, month) pairs the period covers."""
        result, (y, m) = [], (self.start.year, self.start.month)
        while date(y, m, 1) < self.end:
            result.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return result

    def a_year_earlier(self) -> Period:
        """Return the same period of the previous year."""
        return period(str(self.year - 1) + self.key[4:])


def period(key: str) -> Period:
    """Return the Period for "2025", "2025-Q2" or "2025-03"."""
    year = int(key[:4])
    if len(key) == 4:
        return Period(key, f"{year}年", date(year, 1, 1), date(year + 1, 1, 1), "year")
    if key[5] == "Q":
        quarter = int(key[6])
        if not 1 <= quarter <= 4:
            raise ValueError(key)
        start = date(year, 3 * quarter - 2, 1)
        end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return Period(key, f"{year}年{QUARTER_NAMES[quarter - 1]}", start, end, "quarter")
    month = int(key[5:7])
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(key, f"{year}年{month}月", date(year, month, 1), end, "month")


def period_of(year: int, part: str = "") -> Period:
    """Return the Period for a year and "" (the year), "Q1".."Q4" or "1".."12".

    Raises ValueError, in Chinese, for anything else.
    """
    part = part.strip().upper()
    try:
        if not part:
            return period(str(year))
        if part.startswith("Q") and len(part) == 2:
            return period(f"{year}-{part}")
        month = int(part)
        if 1 <= month <= 12:
            return period(f"{year}-{month:02d}")
    except (ValueError, IndexError):
        pass
    raise ValueError(f"看不懂的统计期间“{part}”，请写 Q1 至 Q4（季度）或 1 至 12（月份）。")


def periods_of(year: int) -> list[Period]:
    """Return the year, its quarters and its months."""
    keys = (
        [str(year)]
        + [f"{year}-Q{q}" for q in range(1, 5)]
        + [f"{year}-{m:02d}" for m in range(1, 13)]
    )
    return [period(k) for k in keys]


def _counts(values: Iterable[str], order: Iterable[str] = ()) -> dict[str, int]:
    """Count values; declared names first (zeros included), then others by count."""
    counter = Counter(values)
    result = {name: counter.pop(name, 0) for name in order}
    for name, number in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
        result[name] = number
    return result


def _reach(placements: Iterable[Placement], min_level: str | None) -> bool:
    if min_level is None:
        return any(True for _ in placements)
    floor = LEVEL_RANK[min_level]
    return any(LEVEL_RANK.get(p.level, -1) >= floor for p in placements)


def _metric(item: TallyItem, metric: str, min_level: str | None) -> bool:
    if metric == "items":
        return True
    if metric == "submitted":
        return _reach(item.submit, min_level)
    return _reach(item.outlets, min_level)  # adopted


def _by_author(item: TallyItem, who: str) -> bool:
    return who in item.authors


def _by_unit(item: TallyItem, who: str) -> bool:
    return item.unit == who


def _shortfalls(
    items: list[TallyItem], span: Period, config: dict, site_units, as_of: date
) -> list[dict[str, Any]]:
    """Return everyone behind a quota in the span, and by how much."""
    result = []
    for quota in config["QUOTAS"]:
        if quota["per"] == "year" and span.kind != "year":
            continue
        if "role" in quota:
            subjects = [n for n, p in config["ROSTER"].items() if p.get("role") == quota["role"]]
            belongs = _by_author
        else:
            subjects = [u.name for u in site_units if u.extra.get("type") == quota["unit_type"]]
            belongs = _by_unit
        if quota["per"] == "month":
            windows = [
                (f"{y}-{m:02d}", date(y, m, 1), period(f"{y}-{m:02d}").end)
                for y, m in span.months()
                if date(y, m, 1) <= as_of
            ]
        else:
            windows = [(span.key, span.start, span.end)] if span.start <= as_of else []
        min_level = quota.get("min_level")
        # Each item once, counted for everyone it belongs to in each window of its day
        # (not the items once per person and window: a year is 12 windows).
        counted: Counter[tuple[str, str | None]] = Counter()
        for item in items:
            for key, start, end in windows:
                if start <= item.day < end and _metric(item, quota["metric"], min_level):
                    for who in (
                        dict.fromkeys(item.authors) if belongs is _by_author else (item.unit,)
                    ):
                        counted[key, who] += 1
        for who in subjects:
            for key, _, _ in windows:
                actual = counted[key, who]
                if actual < quota["min"]:
                    result.append({
                        "quota": quota["name"], "who": who, "period": key,
                        "required": quota["min"], "actual": actual, "short": quota["min"] - actual,
                    })  # fmt: skip
    return result


def _rewards(items: list[TallyItem], config: dict) -> tuple[list[dict[str, Any]], float]:
    """Return the reward ledger and its total, in yuan.

    Shares are exact fractions; rows are rounded to the fen by the largest
    remainder, so the rows always add up to the total (166.67 × 3 is never 500.01).
    """
    rates = config["REWARDS"]
    # Exact rates: whole ones as ints, which add far faster than Fractions.
    exact_rates = {}
    for level, rate in rates.items():
        rate = Fraction(rate)
        exact_rates[level] = rate.numerator if rate.denominator == 1 else rate
    split = config["REWARD_SHARE"] == "split"
    ledger: dict[str, dict[str, Any]] = {}
    # Per author, what their items' placements pay, by how many authors share them.
    owed: dict[str, Counter] = defaultdict(Counter)
    for item in items:
        paid = [p.level for p in item.outlets if p.level in rates]
        if not paid or not item.authors:
            continue
        earned = sum(exact_rates[level] for level in paid)
        sharing = len(item.authors) if split else 1
        for author in item.authors:
            row = ledger.setdefault(author, {"author": author, "by_level": dict.fromkeys(rates, 0)})
            for level in paid:
                row["by_level"][level] += 1
            owed[author][sharing] += earned
    exact = {a: sum(Fraction(total) / n for n, total in by.items()) for a, by in owed.items()}
    fen = {a: v * 100 for a, v in exact.items()}
    floors = {a: int(v) for a, v in fen.items()}
    left = round(sum(fen.values())) - sum(floors.values())
    for author in sorted(fen, key=lambda a: (-(fen[a] - floors[a]), a))[:left]:
        floors[author] += 1
    for author, row in ledger.items():
        row["amount"] = floors[author] / 100
    rows = sorted(ledger.values(), key=lambda r: (-r["amount"], r["author"]))
    return rows, sum(floors.values()) / 100


def _outlet_totals(items: list[TallyItem]) -> dict[str, Any]:
    placements = dict.fromkeys(LEVEL_NAMES, 0)
    holders = dict.fromkeys(LEVEL_NAMES, 0)
    online = {"placements": 0, "items": 0}
    offline = {"placements": 0, "items": 0}
    total = placed = 0
    for item in items:  # once each: a pass per level and per figure was most of a count
        if not item.outlets:
            continue
        placed += 1
        total += len(item.outlets)
        levels = set()
        for p in item.outlets:
            if p.level in placements:
                placements[p.level] += 1
                levels.add(p.level)
            (online if p.online else offline)["placements"] += 1
        for level in levels:
            holders[level] += 1
        online["items"] += any(p.online for p in item.outlets)
        offline["items"] += any(not p.online for p in item.outlets)
    return {
        "by_outlet_level": {
            level: {"placements": placements[level], "items": holders[level]}
            for level in LEVEL_NAMES
        },
        "online": online,
        "offline": offline,
        "placements": total,
        "placed_items": placed,
    }


def _headline(items: list[TallyItem], totals: dict[str, Any] | None = None) -> dict[str, int]:
    """Return the figures compared with the same period a year earlier.

    The keys are the counts a yearly target can apply to (config.TARGET_COUNTS);
    `totals`: the items' `_outlet_totals`, if already counted.
    """
    totals = totals or _outlet_totals(items)
    return {
        "portal_items": sum(1 for i in items if i.published),
        "online_placements": totals["online"]["placements"],
        "online_items": totals["online"]["items"],
        "placements": totals["placements"],
        "submitted": sum(1 for i in items if i.submit),
        "adopted": sum(1 for i in items if i.submit and i.adopted()),
    }


def count(items: list[TallyItem], span: Period, config: dict, site, as_of: date) -> dict[str, Any]:
    """Return the report of one period: every table the office hands in.

    Portal figures count published items only; placements, submissions and
    adoptions count every item (a draft can still be offered and adopted); items
    dated after `as_of` have not happened yet and are left out everywhere.
    """
    inside = [i for i in items if span.start <= i.day < span.end and i.day <= as_of]
    portal = [i for i in inside if i.published]
    days = Counter(i.day for i in portal)
    busiest = max(days.items(), key=lambda kv: (kv[1], kv[0]), default=None)
    destinations: dict[str, dict[str, int]] = defaultdict(lambda: {"submitted": 0, "adopted": 0})
    for item in inside:
        adopted = item.adopted_by()
        for placement in item.submit:
            destinations[placement.outlet]["submitted"] += 1
            destinations[placement.outlet]["adopted"] += placement.outlet in adopted
    totals = _outlet_totals(inside)
    headline = _headline(inside, totals)
    earlier = span.a_year_earlier()
    # A period still running is compared with the same days a year earlier.
    cutoff = _a_year_before(as_of)
    before = _headline(
        [i for i in items if earlier.start <= i.day < earlier.end and i.day <= cutoff]
    )
    earlier_label = earlier.label
    if span.end > as_of >= span.start:
        earlier_label += f"（截至{cutoff.month}月{cutoff.day}日）"
    rewards, rewards_total = _rewards(inside, config)
    months = Counter(i.day.month for i in portal)
    report: dict[str, Any] = {
        "year": span.year,
        "period": span.key,
        "label": span.label,
        "as_of": as_of.isoformat(),
        "items": len(portal),
        "by_column": _counts((i.column for i in portal), (c.name for c in site.columns)),
        "by_group": _counts((i.group for i in portal), (g.name for g in site.groups)),
        "by_unit": _counts((i.unit or NO_UNIT for i in portal), (u.name for u in site.units)),
        "by_author": _counts(a for i in portal for a in i.authors),
        "by_genre": _counts((i.genre or NO_GENRE for i in portal), (g.name for g in site.genres)),
        "by_month": {f"{m:02d}": months[m] for _, m in span.months()},
        "busiest_day": {"date": busiest[0].isoformat(), "items": busiest[1]} if busiest else None,
        "by_outlet": _counts(
            (p.outlet for i in inside for p in i.outlets), (o.name for o in site.outlets)
        ),
        **totals,
        "submitted": headline["submitted"],
        "adopted": headline["adopted"],
        "by_destination": {
            name: destinations[name]
            for name in (o.name for o in site.outlets)
            if name in destinations
        },
        "target": None,
        "quota_shortfalls": _shortfalls(inside, span, config, site.units, as_of),
        "rewards": rewards,
        "rewards_total": rewards_total,
        "last_year": {"period": earlier.key, "label": earlier_label, **before},
    }
    if span.kind == "year":
        goal = int(config["TARGET"])
        actual = headline[config["TARGET_COUNT"]]
        report["target"] = {
            "count": config["TARGET_COUNT"],
            "label": TARGET_COUNTS[config["TARGET_COUNT"]],
            "goal": goal,
            "actual": actual,
            "percent": round(100 * actual / goal, 1) if goal else None,
            "remaining": max(0, goal - actual),
        }
    return report


def _a_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def years_of(items: list[TallyItem], as_of: date) -> list[int]:
    """Return the years that have items, newest first."""
    return sorted({i.day.year for i in items if i.day <= as_of}, reverse=True)


def as_date(moment: datetime | date) -> date:
    """Return the calendar date of a moment."""
    return moment.date() if isinstance(moment, datetime) else moment
