"""Scans and analytics as GraphQL types."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.domain.links.models import Link as LinkModel
from app.domain.scans import analytics
from app.domain.scans.models import Scan as ScanModel
from app.graphql.context import Info
from app.graphql.loaders import rows_by_pk
from app.graphql.relay import Node, to_global_id

if TYPE_CHECKING:
    from app.graphql.links.types import Link


@strawberry.enum
class Interval(Enum):
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


@strawberry.enum
class ChartFormat(Enum):
    SVG = "SVG"
    PNG = "PNG"


@strawberry.enum
class ScanSource(Enum):
    QR = "QR"
    LINK = "LINK"


@strawberry.type
class Scan(Node):
    id: strawberry.ID
    occurred_at: datetime
    source: ScanSource
    country: str | None
    device_type: str | None
    os: str | None
    browser: str | None
    referrer: str | None = strawberry.field(description="The referring page's host.")
    is_bot: bool
    link_pk: strawberry.Private[int]

    @strawberry.field
    async def link(
        self, info: Info
    ) -> Annotated[Link, strawberry.lazy("app.graphql.links.types")] | None:
        from app.graphql.links.schema import link_type

        model = await rows_by_pk(info, LinkModel).load(self.link_pk)
        return link_type(info, model) if model else None

    @classmethod
    def from_model(cls, scan: ScanModel) -> Scan:
        return cls(
            id=to_global_id("Scan", scan.id),
            occurred_at=scan.occurred_at,
            source=ScanSource(scan.source),
            country=scan.country,
            device_type=scan.device_type,
            os=scan.os,
            browser=scan.browser,
            referrer=scan.referrer,
            is_bot=scan.is_bot,
            link_pk=scan.link_id,
        )

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> Scan:
        """From a `scan.created` event: the stored row, as ingestion published it."""
        return cls(
            id=to_global_id("Scan", data["id"]),
            occurred_at=datetime.fromisoformat(data["occurred_at"]),
            source=ScanSource(data["source"]),
            country=data.get("country"),
            device_type=data.get("device_type"),
            os=data.get("os"),
            browser=data.get("browser"),
            referrer=data.get("referrer"),
            is_bot=bool(data.get("is_bot")),
            link_pk=int(data["link_id"]),
        )


@strawberry.type
class SeriesPoint:
    bucket: datetime
    scans: int
    unique: int


@strawberry.type
class Breakdown:
    key: str
    count: int


def _breakdown(rows: list[analytics.Count]) -> list[Breakdown]:
    return [Breakdown(key=row.key, count=row.count) for row in rows]


@strawberry.type(description="A link's scans over a range: [from, to), bucketed in UTC.")
class LinkAnalytics:
    query: strawberry.Private[analytics.LinkAnalytics]

    @strawberry.field(name="from")
    def from_(self) -> datetime:
        return self.query.start

    @strawberry.field
    def to(self) -> datetime:
        return self.query.end

    @strawberry.field
    async def total(self) -> int:
        return (await self.query.totals())[0]

    @strawberry.field(description="Distinct visitors, bots excluded (visitor-days over days).")
    async def unique(self) -> int:
        return (await self.query.totals())[1]

    @strawberry.field
    async def series(self) -> list[SeriesPoint]:
        points = await self.query.series()
        return [SeriesPoint(bucket=p.bucket, scans=p.scans, unique=p.unique) for p in points]

    @strawberry.field
    async def by_country(self) -> list[Breakdown]:
        return _breakdown(await self.query.breakdown("country"))

    @strawberry.field
    async def by_device(self) -> list[Breakdown]:
        return _breakdown(await self.query.breakdown("device"))

    @strawberry.field
    async def by_os(self) -> list[Breakdown]:
        return _breakdown(await self.query.breakdown("os"))

    @strawberry.field
    async def by_browser(self) -> list[Breakdown]:
        return _breakdown(await self.query.breakdown("browser"))

    @strawberry.field
    async def by_referrer(self) -> list[Breakdown]:
        return _breakdown(await self.query.breakdown("referrer"))
