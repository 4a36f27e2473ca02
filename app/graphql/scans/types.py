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
from app.graphql.relay import Connection, Node, to_global_id

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
    language: str | None = strawberry.field(description="The browser's first language.")
    outcome: str = strawberry.field(
        description="What the visitor was served: destination, rule N, fallback or gone."
    )
    variant: str | None = strawberry.field(description="The A/B variant served, if any.")
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
            language=scan.language,
            outcome=scan.outcome,
            variant=scan.variant,
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
            language=data.get("language"),
            outcome=data.get("outcome") or "destination",
            variant=data.get("variant"),
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


BOTS_NOTE = "Bots are left out unless includeBots."


@strawberry.type
class Figures:
    """What link and workspace analytics share."""

    query: strawberry.Private[analytics.Analytics]

    @strawberry.field(name="from")
    def from_(self) -> datetime:
        return self.query.start

    @strawberry.field
    def to(self) -> datetime:
        return self.query.end

    @strawberry.field(description="Scans in the UTC hours the range overlaps. " + BOTS_NOTE)
    async def total(self) -> int:
        return (await self.query.totals())[0]

    @strawberry.field(
        description="Unique visitors, bots never included: visitor-days of a link (the "
        "visitor hash is salted per UTC day), summed over days and links."
    )
    async def unique(self) -> int:
        return (await self.query.totals())[1]

    @strawberry.field(
        description="A point per bucket. A bucket's unique counts each visitor-day in the "
        "hour of its first scan of the link that day, so hours add up to days exactly."
    )
    async def series(self) -> list[SeriesPoint]:
        points = await self.query.series()
        return [SeriesPoint(bucket=p.bucket, scans=p.scans, unique=p.unique) for p in points]

    @strawberry.field(description="By country (UTC days the range overlaps).")
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

    @strawberry.field(description="By the referring page's host; none is `direct`.")
    async def by_referrer(self) -> list[Breakdown]:
        return _breakdown(await self.query.breakdown("referrer"))

    @strawberry.field(description="QR (a scan of a printed code) or LINK (a click).")
    async def by_source(self) -> list[Breakdown]:
        return _breakdown(await self.query.breakdown("source"))

    @strawberry.field(description="By the browser's first Accept-Language, e.g. `de`.")
    async def by_language(self) -> list[Breakdown]:
        return _breakdown(await self.query.breakdown("language"))

    @strawberry.field(
        description="What visitors were served: `destination`, `rule N` (the Nth rule "
        "matched), `fallback` (the link was scheduled, expired or exhausted) or `gone` (a 410)."
    )
    async def by_outcome(self) -> list[Breakdown]:
        return _breakdown(await self.query.breakdown("outcome"))


@strawberry.type(
    description="A link's scans over a range [from, to), bucketed in UTC, read from rollups: "
    "series and totals count the UTC hours the range overlaps, breakdowns the UTC days."
)
class LinkAnalytics(Figures):
    @strawberry.field(description="By A/B variant; empty for a link without variants.")
    async def by_variant(self) -> list[Breakdown]:
        return _breakdown(await self.query.breakdown("variant"))


@strawberry.type
class LinkScans:
    model: strawberry.Private[LinkModel]
    scans: int
    unique: int

    @strawberry.field
    def link(self, info: Info) -> Annotated[Link, strawberry.lazy("app.graphql.links.types")]:
        from app.graphql.links.schema import link_type

        return link_type(info, self.model)


@strawberry.type(
    description="The scans of a workspace's links over a range [from, to), from rollups; "
    "a deleted link's scans stay in the unfiltered figures."
)
class WorkspaceAnalytics(Figures):
    @strawberry.field(description="The links with the most scans in the range (at most 100).")
    async def top_links(self, info: Info, first: int = 10) -> list[LinkScans]:
        rows = await self.query.top_links(first)
        models = await rows_by_pk(info, LinkModel).load_many([row.link_id for row in rows])
        # A link deleted since takes its rollups with it; one deleted this instant is skipped.
        return [
            LinkScans(model=model, scans=row.scans, unique=row.unique)
            for row, model in zip(rows, models, strict=True)
            if model is not None
        ]


@strawberry.input
class AnalyticsFilter:
    tag: str | None = None
    link_ids: list[strawberry.ID] | None = None
    source: ScanSource | None = None
    search: str | None = strawberry.field(
        default=None, description="Links whose slug, title or destination contains this."
    )


@strawberry.type(name="ScanConnection")
class ScanConnection(Connection[Scan]):
    retained_since: datetime | None = strawberry.field(
        default=None,
        description="Where the list ends: scans before this instant are deleted by the "
        "retention policy (QRFORGE_SCAN_RETENTION_DAYS), within a day of it; null when scans "
        "are kept forever. Analytics and counters still include them.",
    )


@strawberry.input
class ScanFilter:
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None
    link_id: strawberry.ID | None = None
    tag: str | None = None
    source: ScanSource | None = None
    include_bots: bool = False
