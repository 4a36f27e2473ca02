"""Scans in the database: the idempotent batch insert behind ingestion, and the reads.

Counting uniques: `Link.unique_scan_count` counts distinct (link, visitor hash) pairs among
scans that are not bots. The visitor hash is salted per UTC day, so a person who scans on
three days is three uniques: "unique visitors per day, summed", the only kind of unique a
store of daily-salted hashes can count, and the same number the analytics report.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.domain.links.models import Link
from app.domain.owned import owned
from app.domain.scans import rollups
from app.domain.scans.enrich import EnrichedScan
from app.domain.scans.models import Scan

COLUMNS = (
    "event_id",
    "workspace_id",
    "link_id",
    "occurred_at",
    "source",
    "country",
    "device_type",
    "os",
    "browser",
    "referrer",
    "language",
    "outcome",
    "variant",
    "is_bot",
    "visitor_hash",
)
# The advisory lock space of ingestion (pg_advisory_xact_lock(INGEST_LOCK, link id)).
INGEST_LOCK = 0x5143  # "QC"
# Rows per export query: big enough to stream fast, small enough to never matter in memory.
EXPORT_CHUNK = 2000


def dialect(db: BaseDBAsyncClient | None = None) -> str:
    """ "postgres" or "sqlite": the two backends where raw SQL differs (placeholders, dates)."""
    return str((db or connections.get("default")).capabilities.dialect)


def placeholders(db: BaseDBAsyncClient, count: int, start: int = 1) -> list[str]:
    if dialect(db) == "postgres":
        return [f"${n}" for n in range(start, start + count)]
    return ["?"] * count


def scan_event(scan_id: int, scan: EnrichedScan, workspace_id: int) -> dict[str, Any]:
    """What `scan.created` carries: the stored row, never the visitor hash."""
    return {
        "id": scan_id,
        "event_id": scan.event_id,
        "link_id": scan.link_id,
        "workspace_id": workspace_id,
        "occurred_at": scan.occurred_at.isoformat(),
        "source": scan.source,
        "country": scan.country,
        "device_type": scan.device_type,
        "os": scan.os,
        "browser": scan.browser,
        "referrer": scan.referrer_host,
        "language": scan.language,
        "outcome": scan.outcome,
        "variant": scan.variant,
        "is_bot": scan.is_bot,
    }


async def store_scans(scans: Sequence[EnrichedScan]) -> list[dict[str, Any]]:
    """Insert the scans not stored yet and count them (links' counters and rollups), in one
    transaction.

    Returns the newly stored scans (as `scan_event` dicts); an event id already in the
    table, or a scan of a link deleted since, is skipped. Safe to call twice with the same
    scans: the second call stores and counts nothing.
    """
    unique_by_event = {scan.event_id: scan for scan in scans if scan.event_id}
    if not unique_by_event:
        return []
    owners = dict(
        await Link.filter(id__in={s.link_id for s in unique_by_event.values()}).values_list(
            "id", "workspace_id"
        )
    )
    # The link's own workspace, not the one the stream entry claims.
    batch = [s for s in unique_by_event.values() if s.link_id in owners]
    if not batch:
        return []
    async with in_transaction() as db:
        await _serialize(db, {scan.link_id for scan in batch if not scan.is_bot})
        inserted = await _insert(db, batch, owners)
        if inserted:
            await _count(db, [scan for _, scan in inserted], owners)
    return [scan_event(scan_id, scan, owners[scan.link_id]) for scan_id, scan in inserted]


async def _serialize(db: BaseDBAsyncClient, link_ids: set[int]) -> None:
    """Hold the links' ingestion locks until the commit (PostgreSQL): whether a visitor is new
    today is read from the scans committed so far, so two workers storing the same visitor at
    once must not both read "new". The locks are taken in id order, so never in a cycle.
    SQLite has one writer at a time already."""
    if link_ids and dialect(db) == "postgres":
        await db.execute_query(
            "SELECT pg_advisory_xact_lock($1::int, (id % 2147483647)::int) FROM "
            "(SELECT unnest($2::bigint[]) AS id ORDER BY 1) AS ids",
            [INGEST_LOCK, sorted(link_ids)],
        )


async def stored_scan_events(scans: Sequence[EnrichedScan]) -> list[dict[str, Any]]:
    """The `scan_event` dicts of those of `scans` that are stored, whoever stored them."""
    by_event = {scan.event_id: scan for scan in scans if scan.event_id}
    rows = await Scan.filter(event_id__in=list(by_event)).values_list(
        "id", "event_id", "workspace_id"
    )
    return [scan_event(pk, by_event[event_id], workspace) for pk, event_id, workspace in rows]


# PostgreSQL types of COLUMNS, for the unnest() form of the insert.
COLUMN_TYPES = (
    "varchar", "bigint", "bigint", "timestamptz", "varchar", "varchar", "varchar", "varchar",
    "varchar", "varchar", "varchar", "varchar", "varchar", "boolean", "varchar",
)  # fmt: skip


async def _insert(
    db: BaseDBAsyncClient, batch: list[EnrichedScan], owners: dict[int, int]
) -> list[tuple[int, EnrichedScan]]:
    rows = [
        (
            scan.event_id,
            owners[scan.link_id],
            scan.link_id,
            scan.occurred_at,
            scan.source,
            scan.country,
            scan.device_type,
            scan.os,
            scan.browser,
            scan.referrer_host,
            scan.language,
            scan.outcome,
            scan.variant,
            scan.is_bot,
            scan.visitor_hash,
        )
        for scan in batch
    ]
    # ON CONFLICT ... RETURNING (PostgreSQL, SQLite >= 3.35) names exactly the rows this call
    # stored, even when another consumer races on the same entries.
    tail = "ON CONFLICT (event_id) DO NOTHING RETURNING id, event_id"
    values: list[Any]
    if dialect(db) == "postgres":
        # One array per column: one statement text for any batch, parsed and planned once.
        arrays = ", ".join(f"${n}::{kind}[]" for n, kind in enumerate(COLUMN_TYPES, 1))
        sql = f"INSERT INTO scan ({', '.join(COLUMNS)}) SELECT * FROM unnest({arrays}) {tail}"
        values = [list(column) for column in zip(*rows, strict=True)]
    else:
        marks = []
        values = []
        for row in rows:
            marks.append(f"({', '.join(placeholders(db, len(COLUMNS), start=len(values) + 1))})")
            values.extend(row)
        sql = f"INSERT INTO scan ({', '.join(COLUMNS)}) VALUES {', '.join(marks)} {tail}"
    returned = await db.execute_query_dict(sql, values)
    by_event = {scan.event_id: scan for scan in batch}
    return [(int(row["id"]), by_event[row["event_id"]]) for row in returned]


async def _count(db: BaseDBAsyncClient, stored: list[EnrichedScan], owners: dict[int, int]) -> None:
    candidates = [scan for scan in stored if scan.served and not scan.is_bot]
    visitors = {(scan.link_id, scan.visitor_hash) for scan in candidates}
    new_visitors: set[tuple[int, str]] = set()
    if visitors:
        # Hashes change every day, so an earlier sighting can only be from the same day.
        since = datetime.combine(min(s.occurred_at for s in candidates).date(), time(), UTC)
        stored_ids = {scan.event_id for scan in stored}
        seen = await (
            Scan.filter(
                link_id__in={link for link, _ in visitors},
                visitor_hash__in={visitor for _, visitor in visitors},
                is_bot=False,
                occurred_at__gte=since,
            )
            .exclude(event_id__in=stored_ids)
            .exclude(outcome__in=("fallback", "gone"))
            .using_db(db)
            .distinct()
            .values_list("link_id", "visitor_hash")
        )
        new_visitors = visitors - set(seen)
    # The first of a new visitor's scans in the batch is the unique one (by time).
    first: set[str | None] = set()
    for scan in sorted(candidates, key=lambda s: s.occurred_at):
        pair = (scan.link_id, scan.visitor_hash)
        if pair in new_visitors:
            new_visitors.discard(pair)
            first.add(scan.event_id)
    batch = rollups.tally(stored, owners, lambda scan: scan.event_id in first)
    await rollups.apply(db, batch, owners)


# -- reads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanFilter:
    """Which of a workspace's scans a list or an export holds."""

    start: datetime | None = None
    end: datetime | None = None
    link_id: int | None = None
    tag: str | None = None
    source: str | None = None  # QR | LINK
    include_bots: bool = True


def scans_query(
    workspace_id: int, link_id: int | None = None, filter: ScanFilter | None = None
) -> QuerySet[Scan]:
    qs = Scan.filter(workspace_id=workspace_id)
    if link_id is not None:
        qs = qs.filter(link_id=link_id)
    if filter is None:
        return qs
    if filter.link_id is not None:
        qs = qs.filter(link_id=filter.link_id)
    if filter.start is not None:
        qs = qs.filter(occurred_at__gte=filter.start)
    if filter.end is not None:
        qs = qs.filter(occurred_at__lt=filter.end)
    if filter.tag:
        tagged = Link.filter(workspace_id=workspace_id, tag_index__contains=f"|{filter.tag}|")
        qs = qs.filter(link_id__in=Subquery(tagged.values("id")))
    if filter.source is not None:
        qs = qs.filter(source=filter.source)
    if not filter.include_bots:
        qs = qs.filter(is_bot=False)
    return qs


async def get_scan(workspace_id: int, scan_id: int) -> Scan:
    return await owned(Scan, "Scan", id=scan_id, workspace_id=workspace_id)


async def export_rows(workspace_id: int, filter: ScanFilter) -> AsyncIterator[list[Scan]]:
    """Scans oldest first, in chunks, by keyset: memory stays flat for any count."""
    qs = scans_query(workspace_id, filter=filter)
    after = 0
    while True:
        chunk = await qs.filter(id__gt=after).order_by("id").limit(EXPORT_CHUNK)
        if not chunk:
            return
        yield chunk
        after = chunk[-1].id
