"""How much a workspace may hold. A workspace row may raise or lower each default.

Quotas are checked when something is stored, never on a dry run. Two creations racing at
the very edge can both pass: a quota is a guard against runaway scripts, not a ledger.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.functions import Sum

from app.domain.errors import Problem, QuotaExceeded
from app.domain.workspaces.models import Workspace

DEFAULT_MAX_LINKS = 100_000
DEFAULT_MAX_CODES = 100_000
DEFAULT_MAX_BULK_ITEMS_PER_DAY = 10_000


def _exceeded(message: str) -> QuotaExceeded:
    return QuotaExceeded([Problem("QUOTA_EXCEEDED", message)])


async def ensure_room_for_links(workspace_id: int, adding: int = 1) -> None:
    from app.domain.links.models import Link

    workspace = await Workspace.get(id=workspace_id)
    limit = workspace.max_links or DEFAULT_MAX_LINKS
    used = await Link.filter(workspace_id=workspace_id).count()
    if used + adding > limit:
        raise _exceeded(f"This workspace may hold {limit} links and has {used}.")


async def ensure_room_for_codes(workspace_id: int, adding: int = 1) -> None:
    from app.domain.codes.models import QrCode

    workspace = await Workspace.get(id=workspace_id)
    limit = workspace.max_codes or DEFAULT_MAX_CODES
    used = await QrCode.filter(workspace_id=workspace_id).count()
    if used + adding > limit:
        raise _exceeded(f"This workspace may hold {limit} QR codes and has {used}.")


async def ensure_room_for_bulk_items(workspace_id: int, adding: int) -> None:
    """Bulk items are counted over the last 24 hours, across all of the workspace's jobs."""
    from app.domain.bulk.models import BulkJob

    workspace = await Workspace.get(id=workspace_id)
    limit = workspace.max_bulk_items_per_day or DEFAULT_MAX_BULK_ITEMS_PER_DAY
    since = datetime.now(UTC) - timedelta(days=1)
    row = (
        await BulkJob.filter(workspace_id=workspace_id, created_at__gte=since)
        .annotate(items=Sum("total"))
        .values("items")
    )
    used = int(row[0]["items"] or 0) if row else 0
    if used + adding > limit:
        raise _exceeded(f"This workspace may queue {limit} bulk items a day and has {used}.")
