"""Scan ingestion: the redirect's stream into the database, exactly once in effect.

A consumer group hands each stream entry (one or more scans) to one worker. A batch is
enriched, inserted idempotently (the event id minted on the request path is unique), counted
on its links, published as `scan.created`, and only then acknowledged. A worker that dies mid-batch
leaves its entries pending; another worker claims them after QRFORGE_SCAN_RECLAIM_IDLE_MS and
stores them again, which inserts nothing twice. At-least-once delivery plus an idempotent
write: exactly once in effect.

Runs as a long-lived task beside the arq worker (`startup`/`shutdown`), and `ingest_once`
is one step of it for tests and tools.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import UTC, datetime
from typing import Any

import maxminddb
from redis.exceptions import ResponseError

from app.domain.scans import retention
from app.domain.scans.enrich import GeoIPReader, enrich, warm_up
from app.domain.scans.services import store_scans, stored_scan_events
from app.domain.scans.stream import decode, raw_scan, unpack
from app.domain.webhooks.services import workspaces_listening
from app.keys import SCAN_GROUP, SCAN_STREAM, key
from app.services import Services
from app.settings import Settings
from workers import constants

log = logging.getLogger("qrforge.ingest")

Entry = tuple[bytes, dict[bytes, bytes] | None]


def consumer_name() -> str:
    """Unique per process start, so a restarted worker never inherits a dead one's name."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def stream_key(services: Services) -> str:
    return key(SCAN_STREAM, services.settings.redis_namespace)


def open_geoip(services: Services) -> GeoIPReader | None:
    path = services.settings.geoip_db
    return maxminddb.open_database(str(path)) if path else None


async def ensure_group(services: Services) -> None:
    try:
        await services.redis.xgroup_create(stream_key(services), SCAN_GROUP, id="0", mkstream=True)
    except ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


async def ingest_once(
    services: Services,
    consumer: str,
    *,
    geoip: GeoIPReader | None = None,
    block_ms: int | None = None,
    reclaim_idle_ms: int = Settings.scan_reclaim_idle_ms,
) -> int:
    """Store one batch; returns how many scans it settled, damaged ones included (0: nothing
    to do; an entry trimmed before it was read counts as one).

    First this consumer's own unacknowledged entries (a batch that failed), then entries
    a crashed consumer left pending, then new ones (waiting up to `block_ms` for them).
    """
    await ensure_group(services)
    redis, stream = services.redis, stream_key(services)
    entries: list[Entry] = await _read(services, consumer, "0")
    again = bool(entries)
    if not entries:
        claimed = await redis.xautoclaim(
            stream,
            SCAN_GROUP,
            consumer,
            min_idle_time=reclaim_idle_ms,
            start_id="0-0",
            count=constants.SCAN_BATCH,
        )
        entries = claimed[1]
        if entries:
            log.info("claimed %d entries left pending by another consumer", len(entries))
            again = True
    if not entries:
        entries = await _read(services, consumer, ">", block_ms)
    if not entries:
        return 0
    return await _settle(services, entries, geoip, again=again)


async def _read(
    services: Services, consumer: str, start: str, block_ms: int | None = None
) -> list[Entry]:
    response = await services.redis.xreadgroup(
        SCAN_GROUP,
        consumer,
        {stream_key(services): start},
        count=constants.SCAN_BATCH,
        block=block_ms,
    )
    return list(response[0][1]) if response else []


async def _settle(
    services: Services, entries: list[Entry], geoip: GeoIPReader | None, *, again: bool
) -> int:
    """Store, announce and acknowledge `entries`. `again`: they were read before, by a
    consumer that may have stored them and died before announcing them."""
    secret = services.settings.secret
    scans = []
    settled = 0
    for entry_id, fields in entries:
        if not fields:  # trimmed from the stream while pending (MAXLEN): nothing left
            log.warning("scan stream entry %s was trimmed before it was stored", entry_id)
            settled += 1
            continue
        for line in unpack(fields):
            settled += 1
            try:
                raw = raw_scan(decode(line))
            except (KeyError, ValueError):
                log.warning("dropping a damaged scan in stream entry %s", entry_id)
                continue
            scans.append(enrich(raw, geoip=geoip, secret=secret))
    stored = []
    for start in range(0, len(scans), constants.SCAN_INSERT_ROWS):
        chunk = scans[start : start + constants.SCAN_INSERT_ROWS]
        new = await store_scans(chunk)
        if again and len(new) < len(chunk):
            # Announced now, maybe a second time: a scan's webhook delivery has an id made
            # from the scan's own event id, so no receiver is called twice for one scan.
            new = await stored_scan_events(chunk)
        stored += new
    # After the commit: subscribers and webhooks never hear of a scan that is not stored.
    # Queueing a webhook job is a few round trips, so only workspaces with a scan webhook
    # pay for it (asked once a batch; their emits run side by side, in no set order); the
    # others' scans are announced together, in one round trip.
    hooked = await workspaces_listening("scan.created", {s["workspace_id"] for s in stored})
    gate = asyncio.Semaphore(constants.SCAN_EMIT_CONCURRENCY)
    events = services.events

    async def emit(scan: dict[str, Any]) -> None:
        async with gate:
            await events.emit("scan.created", scan["workspace_id"], scan, event_id=scan["event_id"])

    await asyncio.gather(*(emit(scan) for scan in stored if scan["workspace_id"] in hooked))
    await events.announce_many(
        "scan.created",
        [(scan["workspace_id"], scan) for scan in stored if scan["workspace_id"] not in hooked],
    )
    ids = [entry_id for entry_id, _ in entries]
    async with services.redis.pipeline(transaction=False) as pipe:
        pipe.xack(stream_key(services), SCAN_GROUP, *ids)
        pipe.xdel(stream_key(services), *ids)  # stored: the stream need not hold them
        await pipe.execute()
    return settled


async def run_ingestion(
    services: Services, consumer: str, geoip: GeoIPReader | None = None
) -> None:
    """Ingest until cancelled; errors (a database restart) are logged and retried."""
    reclaim_idle_ms = services.settings.scan_reclaim_idle_ms
    while True:
        try:
            await ingest_once(
                services,
                consumer,
                geoip=geoip,
                block_ms=constants.SCAN_BLOCK_MS,
                reclaim_idle_ms=reclaim_idle_ms,
            )
        except Exception:
            log.exception("scan ingestion failed; retrying")
            await asyncio.sleep(constants.SCAN_RETRY_DELAY)


async def delete_old_scans(ctx: dict[str, Any]) -> int:
    """The daily retention job: raw scans past QRFORGE_SCAN_RETENTION_DAYS; returns how many."""
    services: Services = ctx["services"]
    days = services.settings.scan_retention_days
    if not days:
        return 0
    return await retention.delete_expired(days, datetime.now(UTC))


async def startup(ctx: dict[str, Any]) -> None:
    """Start ingestion beside the arq worker (not in burst runs, which only drain jobs)."""
    if not ctx.get("ingest_scans", True):
        return
    services: Services = ctx["services"]
    await asyncio.to_thread(warm_up)
    geoip = open_geoip(services)
    task = asyncio.create_task(run_ingestion(services, consumer_name(), geoip), name="ingest")
    ctx["scan_ingestion"], ctx["geoip"] = task, geoip
    # arq's on_shutdown does not run when its main task is cancelled (the embedded worker):
    # ingestion ends with the worker either way.
    main = asyncio.current_task()
    if main is not None:
        main.add_done_callback(lambda _: task.cancel())


async def shutdown(ctx: dict[str, Any]) -> None:
    task: asyncio.Task[None] | None = ctx.pop("scan_ingestion", None)
    if task is not None:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
    geoip = ctx.pop("geoip", None)
    if geoip is not None:
        geoip.close()
