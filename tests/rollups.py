"""The rollups recounted from raw scans, in Python: every rollup test compares against it.

Independent of the ingestion code and of the migration's SQL: it reads every stored scan and
counts it again. Uniques are compared per link and UTC day (an hour holds a visitor's unique
only when that hour's scan was stored first, so hours depend on arrival order; days do not).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from typing import Any

from app.domain.links.models import Link
from app.domain.scans.models import LinkDay, LinkHour, Scan, WorkspaceDay, WorkspaceHour

DIMENSIONS = {
    "country": "country",
    "device": "device_type",
    "os": "os",
    "browser": "browser",
    "referrer": "referrer",
    "language": "language",
    "outcome": "outcome",
    "variant": "variant",
}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _nonzero(counter: dict[Any, tuple[int, ...]]) -> dict[Any, tuple[int, ...]]:
    return {key: value for key, value in counter.items() if any(value)}


async def recount() -> dict[str, Any]:
    """What every rollup table and counter should hold, from the scans stored."""
    hours: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    days: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    ws_hours: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    ws_days: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    visitors: dict[tuple[int, date], set[str]] = defaultdict(set)
    ws_uniques: Counter[tuple[int, date]] = Counter()
    links: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for scan in await Scan.all():
        at = _utc(scan.occurred_at)
        hour, day = at.replace(minute=0, second=0, microsecond=0), at.date()
        i = 1 if scan.is_bot else 0
        hours[(scan.link_id, hour, scan.source)][i] += 1
        ws_hours[(scan.workspace_id, hour, scan.source)][i] += 1
        for dimension, column in DIMENSIONS.items():
            value = getattr(scan, column) or ""
            if dimension == "variant" and not value:
                continue
            days[(scan.link_id, dimension, day, value, scan.source)][i] += 1
            ws_days[(scan.workspace_id, dimension, day, value, scan.source)][i] += 1
        served = scan.outcome not in ("fallback", "gone")
        if served:
            links[scan.link_id][2 if scan.is_bot else 0] += 1
        if served and not scan.is_bot and scan.visitor_hash not in visitors[(scan.link_id, day)]:
            visitors[(scan.link_id, day)].add(scan.visitor_hash)
            links[scan.link_id][1] += 1
            ws_uniques[(scan.workspace_id, day)] += 1
    return {
        "link_hour": _nonzero({k: tuple(v) for k, v in hours.items()}),
        "link_day": _nonzero({k: tuple(v) for k, v in days.items()}),
        "workspace_hour": _nonzero({k: tuple(v) for k, v in ws_hours.items()}),
        "workspace_day": _nonzero({k: tuple(v) for k, v in ws_days.items()}),
        "link_uniques": {k: len(v) for k, v in visitors.items() if v},
        "workspace_uniques": dict(ws_uniques),
        "links": {k: tuple(v) for k, v in links.items() if any(v)},
    }


async def stored() -> dict[str, Any]:
    """What the rollup tables and counters hold, in recount()'s shape."""
    link_uniques: Counter[tuple[int, date]] = Counter()
    link_hour = {}
    for row in await LinkHour.all():
        hour = _utc(row.hour)
        link_hour[(row.link_id, hour, row.source)] = (row.scans, row.bots)
        link_uniques[(row.link_id, hour.date())] += row.uniques
    ws_uniques: Counter[tuple[int, date]] = Counter()
    ws_hour = {}
    for w in await WorkspaceHour.all():
        hour = _utc(w.hour)
        ws_hour[(w.workspace_id, hour, w.source)] = (w.scans, w.bots)
        ws_uniques[(w.workspace_id, hour.date())] += w.uniques
    return {
        "link_hour": _nonzero(link_hour),
        "link_day": _nonzero(
            {
                (r.link_id, r.dimension, _day(r.day), r.value, r.source): (r.scans, r.bots)
                for r in await LinkDay.all()
            }
        ),
        "workspace_hour": _nonzero(ws_hour),
        "workspace_day": _nonzero(
            {
                (r.workspace_id, r.dimension, _day(r.day), r.value, r.source): (r.scans, r.bots)
                for r in await WorkspaceDay.all()
            }
        ),
        "link_uniques": {k: v for k, v in link_uniques.items() if v},
        "workspace_uniques": {k: v for k, v in ws_uniques.items() if v},
        "links": {
            link.id: (link.scan_count, link.unique_scan_count, link.bot_scan_count)
            for link in await Link.all()
            if link.scan_count or link.unique_scan_count or link.bot_scan_count
        },
    }


async def assert_rollups_match_scans() -> None:
    expected, actual = await recount(), await stored()
    for table in expected:
        assert actual[table] == expected[table], table
