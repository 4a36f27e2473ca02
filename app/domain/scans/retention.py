"""Retention: raw scans older than QRFORGE_SCAN_RETENTION_DAYS are deleted, in batches.

Rollups and the links' counters are left alone, so charts and totals over any range keep
their history; only the per-scan list and the CSV export end at the cutoff. Each batch is
a short transaction of its own (a few thousand rows by primary key), so the deletion never
holds locks that the redirect's ingestion would wait on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from app.domain.scans.models import Scan

log = logging.getLogger("qrforge.retention")

# Rows per DELETE: small enough to be a short transaction, big enough to be few round trips.
BATCH = 5000
# Batches per run: a run is bounded in time; what is left waits for the next day's run.
MAX_BATCHES = 2000


def cutoff(days: int, now: datetime) -> datetime:
    return now - timedelta(days=days)


async def delete_expired(
    days: int, now: datetime, *, batch: int = BATCH, max_batches: int = MAX_BATCHES
) -> int:
    """Delete scans that occurred before `days` ago; returns how many were deleted."""
    before = cutoff(days, now)
    deleted = 0
    for _ in range(max_batches):
        ids = await (
            Scan.filter(occurred_at__lt=before)
            .order_by("id")
            .limit(batch)
            .values_list("id", flat=True)
        )
        if not ids:
            break
        deleted += await Scan.filter(id__in=list(ids)).delete()
        if len(ids) < batch:
            break
    if deleted:
        log.info("deleted %d scans older than %s (retention: %d days)", deleted, before, days)
    return deleted
