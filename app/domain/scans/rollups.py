"""Rollups: the counts analytics read, kept by ingestion beside the scans they count.

`store_scans` hands `apply` the scans its insert actually stored (the `ON CONFLICT ...
RETURNING` rows), inside the same transaction: a replayed stream entry stores nothing and so
counts nothing, and a crash before the commit leaves neither scans nor counts behind.

A batch is aggregated here first, so each table gets one statement per batch (a few for a
huge one), whatever the number of scans: `INSERT ... ON CONFLICT DO UPDATE SET n = n +
excluded.n`, which PostgreSQL and SQLite both understand. Rows go in key order, so two
workers updating the same rows lock them in the same order and never deadlock.

    link_hour       link, UTC hour, source        scans, uniques, bots
    link_day        link, UTC day, source, dimension, value     scans, bots
    workspace_hour  workspace, UTC hour, source   the links' sums
    workspace_day   workspace, UTC day, source, dimension, value
    link            scan_count, unique_scan_count, bot_scan_count

`scans` and `uniques` are human; bots are counted apart so no human figure includes them. A
unique is a visitor-day (the visitor hash is salted per UTC day) among human scans that were
served, counted in the hour of the first such scan stored; so the hours of a day add up to
that day's uniques exactly.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.domain.scans.enrich import EnrichedScan

# The breakdowns kept per day; "" stands for a scan without a value (no referrer, say).
DIMENSIONS: dict[str, Callable[[EnrichedScan], str | None]] = {
    "country": lambda scan: scan.country,
    "device": lambda scan: scan.device_type,
    "os": lambda scan: scan.os,
    "browser": lambda scan: scan.browser,
    "referrer": lambda scan: scan.referrer_host,
    "language": lambda scan: scan.language,
    "outcome": lambda scan: scan.outcome,
    "variant": lambda scan: scan.variant,
}
# Only links with variants have a variant breakdown; the others would be one empty key.
SKIP_EMPTY = frozenset({"variant"})
# Bound parameters per statement: under PostgreSQL's 32767 and SQLite's 32766.
MAX_PARAMS = 30_000


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


class Tally:
    """What one batch adds to every rollup table."""

    def __init__(self) -> None:
        # key -> [scans, uniques, bots] (hours) or [scans, bots] (days)
        self.link_hours: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
        self.link_days: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
        self.workspace_hours: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
        self.workspace_days: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
        # link -> [scan_count, unique_scan_count, bot_scan_count]
        self.links: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(self, profile: tuple[Any, ...], n: int) -> None:
        """Count `n` scans alike in everything a rollup keeps (see `_profile`)."""
        link_id, workspace_id, hour, source, bot, unique, served, *values = profile
        day = hour.date()
        human = 0 if bot else n
        bots = n if bot else 0
        uniques = n if unique else 0
        for hours, key in (
            (self.link_hours, (link_id, hour, source)),
            (self.workspace_hours, (workspace_id, hour, source)),
        ):
            counts = hours[key]
            counts[0] += human
            counts[1] += uniques
            counts[2] += bots
        for dimension, value in zip(DIMENSIONS, values, strict=True):
            if not value and dimension in SKIP_EMPTY:
                continue
            for days, owner in ((self.link_days, link_id), (self.workspace_days, workspace_id)):
                tally = days[(owner, day, dimension, value, source)]
                tally[0] += human
                tally[1] += bots
        if served:
            counts = self.links[link_id]
            counts[0] += human
            counts[1] += uniques
            counts[2] += bots


def _profile(scan: EnrichedScan, workspace_id: int, unique: bool) -> tuple[Any, ...]:
    return (
        scan.link_id,
        workspace_id,
        hour_of(scan.occurred_at),
        scan.source,
        scan.is_bot,
        unique,
        scan.served,
        *((value_of(scan) or "")[:255] for value_of in DIMENSIONS.values()),
    )


def tally(
    stored: Sequence[EnrichedScan], owners: dict[int, int], unique: Callable[[EnrichedScan], bool]
) -> Tally:
    """The rollup increments of `stored`; `unique(scan)` says whether it is a new unique.

    Scans alike in every kept value (same link, hour, device, …: most of a burst) are
    counted together first, so the work per batch follows its distinct profiles."""
    profiles = Counter(_profile(scan, owners[scan.link_id], unique(scan)) for scan in stored)
    out = Tally()
    for profile, n in profiles.items():
        out.add(profile, n)
    return out


async def apply(db: BaseDBAsyncClient, batch: Tally, workspace_of: dict[int, int]) -> None:
    """Add `batch` to the rollup tables and the links' counters, on `db` (a transaction)."""
    await _upsert(
        db,
        "link_hour",
        ("link_id", "hour", "source"),
        ("scans", "uniques", "bots"),
        [(*key, workspace_of[key[0]], *counts) for key, counts in sorted(batch.link_hours.items())],
        extra=("workspace_id",),
    )
    await _upsert(
        db,
        "link_day",
        ("link_id", "day", "dimension", "value", "source"),
        ("scans", "bots"),
        [(*key, workspace_of[key[0]], *counts) for key, counts in sorted(batch.link_days.items())],
        extra=("workspace_id",),
    )
    await _upsert(
        db,
        "workspace_hour",
        ("workspace_id", "hour", "source"),
        ("scans", "uniques", "bots"),
        [(*key, *counts) for key, counts in sorted(batch.workspace_hours.items())],
    )
    await _upsert(
        db,
        "workspace_day",
        ("workspace_id", "day", "dimension", "value", "source"),
        ("scans", "bots"),
        [(*key, *counts) for key, counts in sorted(batch.workspace_days.items())],
    )
    await _count_links(
        db, sorted((link, c[0], c[1], c[2]) for link, c in batch.links.items() if any(c))
    )


# PostgreSQL types of the columns, for its unnest() form of a batch (see _upsert).
TYPES = {
    "link_id": "bigint", "workspace_id": "bigint", "hour": "timestamptz", "day": "date",
    "source": "varchar", "dimension": "varchar", "value": "varchar",
    "scans": "bigint", "uniques": "bigint", "bots": "bigint",
}  # fmt: skip


async def _upsert(
    db: BaseDBAsyncClient,
    table: str,
    keys: tuple[str, ...],
    counts: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    extra: tuple[str, ...] = (),
) -> None:
    if not rows:
        return
    columns = (*keys, *extra, *counts)
    adding = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counts)
    conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {adding}"
    if db.capabilities.dialect == "postgres":
        # One array per column: the statement's text is the same for any number of rows, so
        # PostgreSQL parses and plans it once per connection, not once per batch.
        arrays = ", ".join(f"${n}::{TYPES[c]}[]" for n, c in enumerate(columns, 1))
        await db.execute_query(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) "
            + conflict,
            [list(column) for column in zip(*rows, strict=True)],
        )
        return
    for chunk in _chunks(rows, MAX_PARAMS // len(columns)):
        marks, values = _values(db, chunk, len(columns))
        await db.execute_query(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {marks} {conflict}", values
        )


async def _count_links(db: BaseDBAsyncClient, rows: list[tuple[int, int, int, int]]) -> None:
    # One UPDATE for every link of the batch (PostgreSQL, and SQLite >= 3.33, have UPDATE
    # ... FROM); the casts tell PostgreSQL what the VALUES' placeholders are.
    if not rows:
        return
    update = (
        "UPDATE link SET scan_count = link.scan_count + v.n, "
        "unique_scan_count = link.unique_scan_count + v.u, "
        "bot_scan_count = link.bot_scan_count + v.b FROM v WHERE link.id = v.id"
    )
    if db.capabilities.dialect == "postgres":
        await db.execute_query(
            "WITH v(id, n, u, b) AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], "
            f"$3::bigint[], $4::bigint[])) {update}",
            [list(column) for column in zip(*rows, strict=True)],
        )
        return
    for chunk in _chunks(rows, MAX_PARAMS // 4):
        marks, values = _values(db, chunk, 4, cast="BIGINT")
        await db.execute_query(f"WITH v(id, n, u, b) AS (VALUES {marks}) {update}", values)


def _values(
    db: BaseDBAsyncClient, rows: Sequence[tuple[Any, ...]], width: int, cast: str | None = None
) -> tuple[str, list[Any]]:
    postgres = db.capabilities.dialect == "postgres"
    marks = []
    values: list[Any] = []
    for row in rows:
        names = [
            f"${n}" if postgres else "?" for n in range(len(values) + 1, len(values) + width + 1)
        ]
        if cast:
            names = [f"CAST({name} AS {cast})" for name in names]
        marks.append(f"({', '.join(names)})")
        values.extend(row)
    return ", ".join(marks), values


def _chunks(rows: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
