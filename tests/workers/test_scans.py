"""Scan ingestion: stream to database, enriched, idempotent, counted, published, reclaimed."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import httpx

from app import keys
from app.domain.links.models import Link
from app.domain.scans.models import Scan
from app.domain.scans.stream import encode, pack
from app.domain.workspaces.services import ensure_workspace
from app.events import Event
from tests.rollups import assert_rollups_match_scans
from workers.scans import ensure_group, ingest_once, stream_key

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
CREATE = "mutation($i: CreateLinkInput!) { createLink(input: $i) { link { id slug } } }"


async def make_link(gql, key, **input) -> dict:
    body = await gql(key, CREATE, i={"destination": "https://example.com/", **input})
    return body["data"]["createLink"]["link"]


async def drain(services) -> int:
    total = 0
    while n := await ingest_once(services, "test-consumer"):
        total += n
    return total


async def test_scans_are_stored_enriched_and_counted(app, client, gql, key) -> None:
    link = await make_link(gql, key)
    path = f"/r/{link['slug']}"
    phone = {
        "User-Agent": IPHONE,
        "Referer": "https://News.example.com/story",
        "Accept-Language": "de-DE,de;q=0.9",
    }
    await client.get(f"{path}?qr=1", headers=phone)
    await client.get(path, headers=phone)  # the same visitor again: not a new unique
    await client.get(path, headers={"User-Agent": GOOGLEBOT})
    await client.head(path, headers={"User-Agent": "curl/8.0"})
    assert await drain(app.state.services) == 4
    scans = await Scan.all().order_by("id")
    assert [s.source for s in scans] == ["QR", "LINK", "LINK", "LINK"]
    first = scans[0]
    assert (first.device_type, first.os, first.browser) == ("mobile", "iOS", "Mobile Safari")
    assert first.referrer == "news.example.com" and first.language == "de"
    assert not first.is_bot and len(first.visitor_hash) == 32
    assert scans[0].visitor_hash == scans[1].visitor_hash
    assert scans[2].is_bot and scans[3].is_bot  # a crawler, and a HEAD
    stored = await Link.get(slug=link["slug"])
    # scanCount is human scans; the crawler and the HEAD are bots.
    assert (stored.scan_count, stored.unique_scan_count, stored.bot_scan_count) == (2, 1, 2)
    await assert_rollups_match_scans()


async def test_the_stream_is_empty_after_ingestion(app, client, gql, key) -> None:
    link = await make_link(gql, key)
    for _ in range(3):
        await client.get(f"/r/{link['slug']}")
    await drain(app.state.services)
    services = app.state.services
    assert await services.redis.xlen(stream_key(services)) == 0
    pending = await services.redis.xpending(stream_key(services), keys.SCAN_GROUP)
    assert pending["pending"] == 0


async def test_a_replayed_entry_is_stored_and_counted_once(app, client, gql, key) -> None:
    services = app.state.services
    link = await make_link(gql, key)
    await client.get(f"/r/{link['slug']}", headers={"User-Agent": IPHONE})
    stream = stream_key(services)
    ((_, fields),) = await services.redis.xrange(stream)
    await drain(services)
    await services.redis.xadd(stream, fields)  # the same scan, as a spool replay would send it
    await services.redis.xadd(stream, fields)
    assert await drain(services) == 2
    assert await Scan.all().count() == 1
    stored = await Link.get(slug=link["slug"])
    assert (stored.scan_count, stored.unique_scan_count) == (1, 1)
    await assert_rollups_match_scans()  # counted once in every rollup too


async def test_entries_of_a_crashed_consumer_are_reclaimed(app, client, gql, key) -> None:
    services = app.state.services
    link = await make_link(gql, key)
    for _ in range(5):
        await client.get(f"/r/{link['slug']}")
    await ensure_group(services)
    # A consumer reads a batch and dies before acknowledging it.
    taken = await services.redis.xreadgroup(
        keys.SCAN_GROUP, "crashed", {stream_key(services): ">"}, count=100
    )
    assert len(taken[0][1]) == 5
    assert await ingest_once(services, "survivor") == 0  # not idle long enough yet
    await asyncio.sleep(0.05)
    assert await ingest_once(services, "survivor", reclaim_idle_ms=10) == 5
    assert await Scan.all().count() == 5
    assert (await Link.get(slug=link["slug"])).bot_scan_count == 5  # no user agent: a script
    await assert_rollups_match_scans()


async def test_a_failed_batch_is_retried_by_its_consumer(app, client, gql, key) -> None:
    services = app.state.services
    link = await make_link(gql, key)
    await client.get(f"/r/{link['slug']}")
    await ensure_group(services)
    # Delivered to this consumer but never acknowledged (the database was down, say).
    await services.redis.xreadgroup(
        keys.SCAN_GROUP, "test-consumer", {stream_key(services): ">"}, count=10
    )
    assert await drain(services) == 1
    assert await Scan.all().count() == 1


async def test_scan_created_is_published_for_new_scans_only(app, client, gql, key) -> None:
    services = app.state.services
    link = await make_link(gql, key)
    heard: list[Event] = []
    ready = asyncio.Event()

    async def listen() -> None:
        stream = services.events.listen("scan")
        first = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.1)  # subscribed by now
        ready.set()
        heard.append(await first)
        async for event in stream:
            heard.append(event)

    task = asyncio.create_task(listen())
    await ready.wait()
    await client.get(f"/r/{link['slug']}?qr=1")
    ((_, fields),) = await services.redis.xrange(stream_key(services))
    await drain(services)
    await services.redis.xadd(stream_key(services), fields)
    await drain(services)
    await asyncio.sleep(0.2)
    task.cancel()
    scans = [e for e in heard if e.type == "scan.created"]
    assert len(scans) == 1
    workspace_id = (await Link.get(slug=link["slug"])).workspace_id
    assert scans[0].workspace_id == workspace_id
    data = scans[0].data
    assert data["link_id"] == (await Link.get(slug=link["slug"])).id
    assert data["source"] == "QR" and data["id"] == (await Scan.first()).id
    assert "visitor_hash" not in data


async def test_damaged_entries_and_scans_of_deleted_links_are_dropped(app, gql, key) -> None:
    services = app.state.services
    stream = stream_key(services)
    link = await make_link(gql, key)
    link_id = (await Link.get(slug=link["slug"])).id

    def scan(link_id: int) -> bytes:
        return encode(
            {"e": uuid.uuid4().hex, "l": str(link_id), "w": "1", "t": "1700000000.0", "s": "LINK"}
        )

    await services.redis.xadd(stream, {"e": "not one of ours", "l": "1"})
    # A damaged line does not take its neighbours in the same entry down with it.
    await services.redis.xadd(stream, pack([b'{"e": "cut sho', scan(999999), scan(link_id)]))
    assert await drain(services) == 4
    assert await Scan.all().count() == 1
    assert await services.redis.xlen(stream) == 0


async def test_country_comes_from_the_trusted_header(settings, run_app) -> None:
    async with run_app(replace(settings, country_header="CF-IPCountry")) as app:
        link = await Link.create(
            workspace_id=(await ensure_workspace("acme")).id,
            slug="country",
            destination="https://example.com/",
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get("/r/country", headers={"CF-IPCountry": "de"})
            await client.get("/r/country", headers={"CF-IPCountry": "XX"})
        await drain(app.state.services)
        countries = [s.country for s in await Scan.filter(link_id=link.id).order_by("id")]
        assert countries == ["DE", None]


async def test_embedded_worker_ingests_scans(settings, run_app) -> None:
    async with run_app(settings, run_worker=True) as app:
        link = await Link.create(
            workspace_id=(await ensure_workspace("acme")).id,
            slug="embedded",
            destination="https://example.com/",
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for _ in range(3):
                assert (await client.get("/r/embedded")).status_code == 302
        for _ in range(100):
            if await Scan.filter(link_id=link.id).count() == 3:
                break
            await asyncio.sleep(0.05)
        assert (await Link.get(id=link.id)).bot_scan_count == 3


async def test_issue12_one_visitor_stored_by_two_workers_at_once_is_one_unique(
    app, gql, key
) -> None:
    from app.domain.scans.services import store_scans
    from tests.api.test_scans_export import scan

    link = await make_link(gql, key)
    stored = await Link.get(slug=link["slug"])
    # The same visitor (hash) in two batches committed side by side, as two workers would.
    for round_ in range(5):
        visitor = uuid.uuid4().hex
        at = datetime(2026, 3, 2 + round_, 9, tzinfo=UTC)
        batches = [[scan(stored, at, visitor_hash=visitor)] for _ in range(2)]
        await asyncio.gather(*(store_scans(batch) for batch in batches))
    counted = await Link.get(id=stored.id)
    assert (counted.scan_count, counted.unique_scan_count) == (10, 5)
    await assert_rollups_match_scans()
