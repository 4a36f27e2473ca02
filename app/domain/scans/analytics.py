"""A link's analytics over a time range: totals, a series, breakdowns.

Every figure is an aggregate the database computes (GROUP BY over the (link_id,
occurred_at) index), so the cost is bounded by the range's rows in the index, never by rows
carried to Python. Bucketing needs one expression per backend: `date_trunc` on PostgreSQL,
`strftime` on SQLite; both truncate in UTC and weeks start on Monday (ISO 8601). Empty
buckets are filled in here, so a chart gets a point for every hour/day/week/month.

Uniques are distinct visitor hashes among non-bot scans. Hashes are salted per UTC day, so
in a WEEK or MONTH bucket (and over a multi-day range) a unique is a visitor-day.

Each figure is its own query, run only when asked for: a client wanting the total pays for
the total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import connections

from app.domain.errors import InvalidInput
from app.domain.scans.services import dialect, placeholders

INTERVALS = ("HOUR", "DAY", "WEEK", "MONTH")
DEFAULT_RANGE = timedelta(days=30)
# A chart with more points than this is unreadable, and the range could be narrowed.
MAX_BUCKETS = 1000
# Breakdowns list the most frequent keys; the long tail of referrers is not a chart.
BREAKDOWN_LIMIT = 20
DIMENSIONS = {
    "country": "country",
    "device": "device_type",
    "os": "os",
    "browser": "browser",
    "referrer": "referrer",
}
# What a missing value is called in a breakdown.
UNKNOWN = {"referrer": "direct"}

_POSTGRES_BUCKET = "date_trunc('{unit}', occurred_at AT TIME ZONE 'UTC')"
_SQLITE_BUCKET = {
    "HOUR": "strftime('%Y-%m-%d %H:00:00', occurred_at)",
    "DAY": "strftime('%Y-%m-%d 00:00:00', occurred_at)",
    # 'weekday 0' moves to the coming Sunday (or stays on one); six days back is its Monday.
    "WEEK": "strftime('%Y-%m-%d 00:00:00', occurred_at, 'weekday 0', '-6 days')",
    "MONTH": "strftime('%Y-%m-01 00:00:00', occurred_at)",
}
_UNIQUE = "COUNT(DISTINCT CASE WHEN is_bot THEN NULL ELSE visitor_hash END)"


@dataclass(frozen=True)
class Point:
    bucket: datetime
    scans: int
    unique: int


@dataclass(frozen=True)
class Count:
    key: str
    count: int


def floor(moment: datetime, interval: str) -> datetime:
    moment = moment.astimezone(UTC)
    if interval == "HOUR":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "DAY":
        return day
    if interval == "WEEK":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def step(moment: datetime, interval: str) -> datetime:
    if interval == "HOUR":
        return moment + timedelta(hours=1)
    if interval == "DAY":
        return moment + timedelta(days=1)
    if interval == "WEEK":
        return moment + timedelta(weeks=1)
    year, month = divmod(moment.month, 12)
    return moment.replace(year=moment.year + year, month=month + 1)


def buckets(start: datetime, end: datetime, interval: str) -> list[datetime]:
    out = []
    moment = floor(start, interval)
    while moment < end:
        out.append(moment)
        if len(out) > MAX_BUCKETS:
            raise InvalidInput.one(
                "RANGE_TOO_LARGE",
                f"At most {MAX_BUCKETS} buckets: narrow the range or use a longer interval.",
                ("interval",),
            )
        moment = step(moment, interval)
    return out


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass
class LinkAnalytics:
    """The analytics of one of a workspace's links over [start, end)."""

    workspace_id: int
    link_id: int | None  # None: an unsaved (dry-run) link, which has no scans
    start: datetime
    end: datetime
    interval: str
    _totals: tuple[int, int] | None = field(default=None, repr=False)

    @classmethod
    def of(
        cls,
        workspace_id: int,
        link_id: int | None,
        start: datetime | None,
        end: datetime | None,
        interval: str = "DAY",
        now: datetime | None = None,
    ) -> LinkAnalytics:
        if interval not in INTERVALS:
            raise InvalidInput.one("INVALID_INTERVAL", "Unknown interval.", ("interval",))
        end = _utc(end) if end else (now or datetime.now(UTC))
        start = _utc(start) if start else end - DEFAULT_RANGE
        if start >= end:
            raise InvalidInput.one("INVALID_RANGE", "`from` must be before `to`.", ("from",))
        buckets(start, end, interval)  # refuses an unreasonable range before any query
        return cls(workspace_id, link_id, start, end, interval)

    async def _query(self, select: str, tail: str = "") -> list[dict[str, Any]]:
        if self.link_id is None:
            return []
        db = connections.get("default")
        workspace, link, start, end = placeholders(db, 4)
        sql = (
            f"SELECT {select} FROM scan WHERE workspace_id = {workspace} AND link_id = {link} "
            f"AND occurred_at >= {start} AND occurred_at < {end} {tail}"
        )
        values = [self.workspace_id, self.link_id, self.start, self.end]
        return await db.execute_query_dict(sql, values)

    async def totals(self) -> tuple[int, int]:
        """(scans, uniques) over the range."""
        if self._totals is None:
            rows = await self._query(f"COUNT(*) AS scans, {_UNIQUE} AS uniq")
            row = rows[0] if rows else {"scans": 0, "uniq": 0}
            self._totals = (int(row["scans"]), int(row["uniq"] or 0))
        return self._totals

    async def series(self) -> list[Point]:
        if dialect() == "postgres":
            bucket = _POSTGRES_BUCKET.format(unit=self.interval.lower())
        else:
            bucket = _SQLITE_BUCKET[self.interval]
        rows = await self._query(
            f"{bucket} AS bucket, COUNT(*) AS scans, {_UNIQUE} AS uniq", "GROUP BY 1"
        )
        found = {_as_instant(row["bucket"]): row for row in rows}
        return [
            Point(moment, int(found[moment]["scans"]), int(found[moment]["uniq"] or 0))
            if moment in found
            else Point(moment, 0, 0)
            for moment in buckets(self.start, self.end, self.interval)
        ]

    async def breakdown(self, dimension: str) -> list[Count]:
        column = DIMENSIONS[dimension]
        rows = await self._query(
            f"{column} AS key, COUNT(*) AS n",
            f"GROUP BY {column} ORDER BY n DESC, key LIMIT {BREAKDOWN_LIMIT}",
        )
        unknown = UNKNOWN.get(dimension, "unknown")
        return [
            Count(row["key"] if row["key"] is not None else unknown, int(row["n"])) for row in rows
        ]


def _as_instant(value: datetime | str) -> datetime:
    # PostgreSQL returns a timestamp (UTC, naive after AT TIME ZONE), SQLite a string.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _utc(value)
