"""How much a workspace may create a day. A workspace row may raise or lower each default.

Every quota counts over the last 24 hours (a rolling day, the same window for checks and for
`usage`), so a script that runs away is stopped within a day's allowance whatever the hour.
Quotas are checked when something is stored, never on a dry run. Two creations racing at
the very edge can both pass: a quota is a guard against runaway scripts, not a ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.functions import Sum

from app.domain.workspaces.models import Workspace
from app.errors import Problem, QuotaExceeded

DEFAULT_LINKS_PER_DAY = 100_000
DEFAULT_CODES_PER_DAY = 100_000
DEFAULT_BULK_ITEMS_PER_DAY = 10_000
WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    """A workspace's quotas in force: its own where it has them, else the defaults."""

    links_per_day: int
    codes_per_day: int
    bulk_items_per_day: int
    requests_per_minute: int


@dataclass(frozen=True)
class Usage:
    """What a workspace created over the last 24 hours, the window its quotas count over."""

    links_today: int
    codes_today: int
    bulk_items_today: int


def limits_of(workspace: Workspace, default_requests_per_minute: int) -> Limits:
    return Limits(
        links_per_day=workspace.links_per_day or DEFAULT_LINKS_PER_DAY,
        codes_per_day=workspace.codes_per_day or DEFAULT_CODES_PER_DAY,
        bulk_items_per_day=workspace.bulk_items_per_day or DEFAULT_BULK_ITEMS_PER_DAY,
        requests_per_minute=workspace.requests_per_minute or default_requests_per_minute,
    )


def _since() -> datetime:
    return datetime.now(UTC) - WINDOW


async def links_today(workspace_id: int) -> int:
    from app.domain.links.models import Link

    return await Link.filter(workspace_id=workspace_id, created_at__gte=_since()).count()


async def codes_today(workspace_id: int) -> int:
    from app.domain.codes.models import QrCode

    return await QrCode.filter(workspace_id=workspace_id, created_at__gte=_since()).count()


async def bulk_items_today(workspace_id: int) -> int:
    """Bulk items are counted across all of the workspace's jobs of the last 24 hours."""
    from app.domain.bulk.models import BulkJob

    row = (
        await BulkJob.filter(workspace_id=workspace_id, created_at__gte=_since())
        .annotate(items=Sum("total"))
        .values("items")
    )
    return int(row[0]["items"] or 0) if row else 0


async def usage_of(workspace_id: int) -> Usage:
    return Usage(
        links_today=await links_today(workspace_id),
        codes_today=await codes_today(workspace_id),
        bulk_items_today=await bulk_items_today(workspace_id),
    )


def _exceeded(message: str) -> QuotaExceeded:
    return QuotaExceeded([Problem("QUOTA_EXCEEDED", message)])


async def ensure_room_for_links(workspace_id: int, adding: int = 1) -> None:
    workspace = await Workspace.get(id=workspace_id)
    limit = workspace.links_per_day or DEFAULT_LINKS_PER_DAY
    used = await links_today(workspace_id)
    if used + adding > limit:
        raise _exceeded(f"This workspace may create {limit} links a day and has made {used}.")


async def ensure_room_for_codes(workspace_id: int, adding: int = 1) -> None:
    workspace = await Workspace.get(id=workspace_id)
    limit = workspace.codes_per_day or DEFAULT_CODES_PER_DAY
    used = await codes_today(workspace_id)
    if used + adding > limit:
        raise _exceeded(f"This workspace may create {limit} QR codes a day and has made {used}.")


async def ensure_room_for_bulk_items(workspace_id: int, adding: int) -> None:
    workspace = await Workspace.get(id=workspace_id)
    limit = workspace.bulk_items_per_day or DEFAULT_BULK_ITEMS_PER_DAY
    used = await bulk_items_today(workspace_id)
    if used + adding > limit:
        raise _exceeded(f"This workspace may queue {limit} bulk items a day and has {used}.")
