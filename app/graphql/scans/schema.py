"""Scans over GraphQL: a link's analytics and scans (fields of Link), the live subscription."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import cast

import strawberry
from graphql import GraphQLError

from app.domain.pagination import paginate
from app.domain.scans import charts, retention, services
from app.domain.scans.analytics import Analytics, Filter
from app.errors import DomainError, NotFound
from app.graphql.context import Info
from app.graphql.permissions import requires
from app.graphql.relay import Node, after_pk, pk_of
from app.graphql.scans.types import (
    AnalyticsFilter,
    ChartFormat,
    Interval,
    LinkAnalytics,
    Scan,
    ScanConnection,
    ScanFilter,
    WorkspaceAnalytics,
)


def link_analytics(
    info: Info,
    link_pk: int | None,
    start: datetime | None,
    end: datetime | None,
    interval: Interval,
    include_bots: bool,
) -> LinkAnalytics:
    try:
        query = Analytics.of(
            info.context.workspace_id,
            link_pk if link_pk is not None else -1,
            start,
            end,
            interval.value,
            include_bots=include_bots,
            empty=link_pk is None,
        )
    except DomainError as error:
        raise GraphQLError(str(error), extensions={"code": "BAD_USER_INPUT"}) from None
    return LinkAnalytics(query=query)


def chart_url(
    info: Info,
    link_pk: int | None,
    start: datetime | None,
    end: datetime | None,
    interval: Interval,
    fmt: ChartFormat,
    *,
    workspace: bool = False,
) -> str:
    """A signed chart URL of a link, or with `workspace` of the caller's whole workspace."""
    if link_pk is None and not workspace:  # a dry run's link has no scans, and no chart
        return ""
    settings = info.context.services.settings
    try:
        return charts.signed_chart_url(
            settings.public_url, settings.secret, info.context.workspace_id, link_pk,
            fmt.value, start, end, interval.value, time.time(),
        )  # fmt: skip
    except DomainError as error:
        raise GraphQLError(str(error), extensions={"code": "BAD_USER_INPUT"}) from None


def workspace_analytics(
    info: Info,
    start: datetime | None,
    end: datetime | None,
    interval: Interval,
    filter: AnalyticsFilter | None,
    include_bots: bool,
) -> WorkspaceAnalytics:
    narrowed = Filter()
    if filter is not None:
        narrowed = Filter(
            tag=filter.tag,
            # A malformed or foreign id is a link without scans.
            link_ids=tuple(pk_of(gid, "Link") or -1 for gid in filter.link_ids)
            if filter.link_ids is not None
            else None,
            source=filter.source.value if filter.source is not None else None,
            search=filter.search,
        )
    try:
        query = Analytics.of(
            info.context.workspace_id,
            None,
            start,
            end,
            interval.value,
            include_bots=include_bots,
            filter=narrowed,
        )
    except DomainError as error:
        raise GraphQLError(str(error), extensions={"code": "BAD_USER_INPUT"}) from None
    return WorkspaceAnalytics(query=query)


def _retained_since(info: Info) -> datetime | None:
    days = info.context.services.settings.scan_retention_days
    return retention.cutoff(days, datetime.now(UTC)) if days else None


async def link_scans(
    info: Info, link_pk: int | None, first: int | None, after: str | None
) -> ScanConnection:
    qs = services.scans_query(info.context.workspace_id, link_pk if link_pk is not None else -1)
    page = await paginate(qs, first, after_pk(after))
    connection = cast(ScanConnection, ScanConnection.of(page, Scan.from_model))
    connection.retained_since = _retained_since(info)
    return connection


async def workspace_scans(
    info: Info, first: int | None, after: str | None, filter: ScanFilter | None
) -> ScanConnection:
    """The workspace's scans, newest first; without a filter, humans only (as analytics)."""
    filter = filter or ScanFilter()
    link_pk: int | None = None
    if filter.link_id is not None:
        link_pk = pk_of(filter.link_id, "Link") or -1  # a foreign id: a link without scans
    narrowed = services.ScanFilter(
        start=filter.from_,
        end=filter.to,
        link_id=link_pk,
        tag=filter.tag,
        source=filter.source.value if filter.source is not None else None,
        include_bots=filter.include_bots,
    )
    qs = services.scans_query(info.context.workspace_id, filter=narrowed)
    page = await paginate(qs, first, after_pk(after))
    connection = cast(ScanConnection, ScanConnection.of(page, Scan.from_model))
    connection.retained_since = _retained_since(info)
    return connection


async def find_scan(info: Info, pk: int) -> Node | None:
    """`node(id)` for scans: the same scope and workspace checks as `Link.scans`."""
    if not info.context.principal or not info.context.principal.can("analytics:read"):
        return None
    try:
        return Scan.from_model(await services.get_scan(info.context.workspace_id, pk))
    except NotFound:
        return None


@strawberry.type
class Subscription:
    @strawberry.subscription(extensions=requires("analytics:read"))
    async def scan_recorded(
        self, info: Info, link_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Scan, None]:
        """Scans of the workspace as they are stored (of one link, when given). The feed
        survives a Redis restart; scans stored during the gap are in `scans`, not here."""
        workspace_id = info.context.workspace_id
        # A malformed or foreign link id is a link with no scans: nothing ever arrives.
        link_pk = (pk_of(link_id, "Link") or -1) if link_id is not None else None
        async with info.context.services.hub.follow("scan") as feed:
            async for event in feed:
                if event.type != "scan.created" or event.workspace_id != workspace_id:
                    continue
                if link_pk is not None and event.data.get("link_id") != link_pk:
                    continue
                yield Scan.from_event(event.data)
