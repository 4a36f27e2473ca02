"""Analytics over a time range, for a link or a whole workspace: totals, a series, breakdowns,
the top links. Every figure is read from the rollups (`app.domain.scans.rollups`), so a
query costs the range's buckets times its keys, never the number of scans.

Series and totals come from hourly rollups: a range counts the UTC hours it overlaps.
Breakdowns come from daily rollups: a range counts the UTC days it overlaps. Bucketing needs
one expression per backend: `date_trunc` on PostgreSQL, `strftime` on SQLite; both truncate
in UTC and weeks start on Monday (ISO 8601). Empty buckets are filled in here, so a chart gets
a point for every hour/day/week/month.

Bots are left out unless `include_bots`. Uniques are always human visitor-days (the visitor
hash is salted per UTC day): a unique is counted in the hour of the visitor's first scan of
the link that day, so hours add up to days exactly, and a week's or a workspace's uniques are
visitor-days of a link, summed.

Each figure is its own query, run only when asked for: a client wanting the total pays for
the total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import connections

from app.domain.scans.services import dialect
from app.errors import InvalidInput

INTERVALS = ("HOUR", "DAY", "WEEK", "MONTH")
SOURCES = ("QR", "LINK")
DEFAULT_RANGE = timedelta(days=30)
# A chart with more points than this is unreadable, and the range could be narrowed.
MAX_BUCKETS = 1000
# Breakdowns list the most frequent keys; the long tail of referrers is not a chart.
BREAKDOWN_LIMIT = 20
MAX_TOP_LINKS = 100
# A filter naming more links than this is better written as a tag.
MAX_FILTER_LINKS = 1000
DIMENSIONS = ("country", "device", "os", "browser", "referrer", "language", "outcome", "variant")
# What a missing value is called in a breakdown.
UNKNOWN = {"referrer": "direct"}

_POSTGRES_BUCKET = "date_trunc('{unit}', hour AT TIME ZONE 'UTC')"
_SQLITE_BUCKET = {
    "HOUR": "strftime('%Y-%m-%d %H:00:00', hour)",
    "DAY": "strftime('%Y-%m-%d 00:00:00', hour)",
    # 'weekday 0' moves to the coming Sunday (or stays on one); six days back is its Monday.
    "WEEK": "strftime('%Y-%m-%d 00:00:00', hour, 'weekday 0', '-6 days')",
    "MONTH": "strftime('%Y-%m-01 00:00:00', hour)",
}


@dataclass(frozen=True)
class Point:
    bucket: datetime
    scans: int
    unique: int


@dataclass(frozen=True)
class Count:
    key: str
    count: int


@dataclass(frozen=True)
class LinkCount:
    link_id: int
    scans: int
    unique: int


@dataclass(frozen=True)
class Filter:
    """Which of a workspace's links count: all of them when every field is empty."""

    tag: str | None = None
    link_ids: tuple[int, ...] | None = None
    source: str | None = None  # QR | LINK
    search: str | None = None

    @property
    def narrows_links(self) -> bool:
        return bool(self.tag or self.search) or self.link_ids is not None


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
class Analytics:
    """The figures of a link (`link_id`) or of a workspace's links (`filter`) over
    [start, end)."""

    workspace_id: int
    link_id: int | None  # a link's own; None: the workspace's (narrowed by `filter`)
    start: datetime
    end: datetime
    interval: str
    include_bots: bool = False
    filter: Filter = field(default_factory=Filter)
    empty: bool = False  # an unsaved (dry-run) link, which has no scans
    _totals: tuple[int, int] | None = field(default=None, repr=False)

    @classmethod
    def of(
        cls,
        workspace_id: int,
        link_id: int | None,
        start: datetime | None,
        end: datetime | None,
        interval: str = "DAY",
        *,
        include_bots: bool = False,
        filter: Filter | None = None,
        empty: bool = False,
        now: datetime | None = None,
    ) -> Analytics:
        if interval not in INTERVALS:
            raise InvalidInput.one("INVALID_INTERVAL", "Unknown interval.", ("interval",))
        end = _utc(end) if end else (now or datetime.now(UTC))
        start = _utc(start) if start else end - DEFAULT_RANGE
        if start >= end:
            raise InvalidInput.one("INVALID_RANGE", "`from` must be before `to`.", ("from",))
        filter = filter or Filter()
        if filter.source is not None and filter.source not in SOURCES:
            raise InvalidInput.one("INVALID_SOURCE", "Unknown source.", ("filter", "source"))
        if filter.link_ids is not None and len(filter.link_ids) > MAX_FILTER_LINKS:
            raise InvalidInput.one(
                "TOO_MANY_LINKS",
                f"At most {MAX_FILTER_LINKS} link ids: use a tag for more.",
                ("filter", "linkIds"),
            )
        buckets(start, end, interval)  # refuses an unreasonable range before any query
        return cls(workspace_id, link_id, start, end, interval, include_bots, filter, empty)

    @property
    def _nothing(self) -> bool:
        return self.empty or (self.filter.link_ids is not None and not self.filter.link_ids)

    def _where(self, grain: str) -> tuple[str, str, list[Any]]:
        """(table, condition, values) selecting this query's rollup rows of `grain`."""
        postgres = dialect() == "postgres"
        values: list[Any] = []

        def mark(value: Any) -> str:
            values.append(value)
            return f"${len(values)}" if postgres else "?"

        column = "hour" if grain == "hour" else "day"
        start: Any = floor(self.start, "HOUR")
        end: Any = self.end
        if grain == "day":
            start = self.start.date()
            end = (self.end - timedelta(microseconds=1)).date() + timedelta(days=1)
        conditions = [
            f"workspace_id = {mark(self.workspace_id)}",
            f"{column} >= {mark(start)}",
            f"{column} < {mark(end)}",
        ]
        table = f"workspace_{grain}"
        if self.link_id is not None:
            table = f"link_{grain}"
            conditions.append(f"link_id = {mark(self.link_id)}")
        elif self.filter.narrows_links:
            table = f"link_{grain}"
            conditions.append(f"link_id IN ({self._links(mark, postgres)})")
        if self.filter.source is not None:
            conditions.append(f"source = {mark(self.filter.source)}")
        return table, " AND ".join(conditions), values

    def _links(self, mark: Any, postgres: bool) -> str:
        find = "strpos({}, {}) > 0" if postgres else "instr({}, {}) > 0"
        conditions = [f"workspace_id = {mark(self.workspace_id)}"]
        if self.filter.tag:
            conditions.append(find.format("tag_index", mark(f"|{self.filter.tag}|")))
        if self.filter.search:
            term = self.filter.search.lower()
            conditions.append(
                "("
                + " OR ".join(
                    find.format(f"lower({column})", mark(term))
                    for column in ("slug", "COALESCE(title, '')", "destination")
                )
                + ")"
            )
        if self.filter.link_ids is not None:
            conditions.append(f"id IN ({', '.join(mark(pk) for pk in self.filter.link_ids)})")
        return f"SELECT id FROM link WHERE {' AND '.join(conditions)}"

    def _scans(self) -> str:
        return "scans + bots" if self.include_bots else "scans"

    async def _query(self, grain: str, select: str, tail: str = "") -> list[dict[str, Any]]:
        if self._nothing:
            return []
        table, where, values = self._where(grain)
        db = connections.get("default")
        return await db.execute_query_dict(
            f"SELECT {select} FROM {table} WHERE {where} {tail}", values
        )

    async def totals(self) -> tuple[int, int]:
        """(scans, uniques) over the range."""
        if self._totals is None:
            rows = await self._query("hour", f"SUM({self._scans()}) AS scans, SUM(uniques) AS uniq")
            row = rows[0] if rows else {}
            self._totals = (int(row.get("scans") or 0), int(row.get("uniq") or 0))
        return self._totals

    async def series(self) -> list[Point]:
        if dialect() == "postgres":
            bucket = _POSTGRES_BUCKET.format(unit=self.interval.lower())
        else:
            bucket = _SQLITE_BUCKET[self.interval]
        rows = await self._query(
            "hour",
            f"{bucket} AS bucket, SUM({self._scans()}) AS scans, SUM(uniques) AS uniq",
            "GROUP BY 1",
        )
        found = {_as_instant(row["bucket"]): row for row in rows}
        return [
            Point(moment, int(found[moment]["scans"]), int(found[moment]["uniq"] or 0))
            if moment in found
            else Point(moment, 0, 0)
            for moment in buckets(self.start, self.end, self.interval)
        ]

    async def breakdown(self, dimension: str) -> list[Count]:
        if dimension == "source":
            rows = await self._query(
                "hour",
                f"source AS key, SUM({self._scans()}) AS n",
                f"GROUP BY source HAVING SUM({self._scans()}) > 0 ORDER BY n DESC, key",
            )
            return [Count(row["key"], int(row["n"])) for row in rows]
        assert dimension in DIMENSIONS
        rows = await self._query(
            "day",
            f"value AS key, SUM({self._scans()}) AS n",
            f"AND dimension = '{dimension}' GROUP BY value HAVING SUM({self._scans()}) > 0 "
            f"ORDER BY n DESC, key LIMIT {BREAKDOWN_LIMIT}",
        )
        unknown = UNKNOWN.get(dimension, "unknown")
        return [Count(row["key"] or unknown, int(row["n"])) for row in rows]

    async def top_links(self, first: int) -> list[LinkCount]:
        """The links with the most scans over the range, most first."""
        if self.link_id is not None or self._nothing or first <= 0:
            return []
        table, where, values = self._where("hour")
        if table.startswith("workspace_"):
            table = "link_hour"
        scans = f"SUM({self._scans()})"
        db = connections.get("default")
        rows = await db.execute_query_dict(
            f"SELECT link_id, {scans} AS scans, SUM(uniques) AS uniq FROM {table} "
            f"WHERE {where} GROUP BY link_id HAVING {scans} > 0 "
            f"ORDER BY scans DESC, link_id LIMIT {min(first, MAX_TOP_LINKS)}",
            values,
        )
        return [
            LinkCount(int(row["link_id"]), int(row["scans"]), int(row["uniq"] or 0)) for row in rows
        ]


def _as_instant(value: datetime | str) -> datetime:
    # PostgreSQL returns a timestamp (UTC, naive after AT TIME ZONE), SQLite a string.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _utc(value)
