"""scan.created reaches webhooks only where a workspace listens for it: ingestion does not
queue a webhook job per scan for workspaces that have no scan webhook."""

from __future__ import annotations

from app import keys
from workers import queue as arq_jobs
from workers.scans import ingest_once

CREATE = "mutation($i: CreateLinkInput!) { createLink(input: $i) { link { slug } } }"
HOOK = """mutation($events: [WebhookEvent!]!) { createWebhook(input: {
  url: "https://hooks.example/in", events: $events}) { webhook { id } userErrors { code } } }"""


async def queued_dispatches(services) -> int:
    queue = keys.key(keys.QUEUE, services.settings.redis_namespace)
    jobs = await services.redis.queued_jobs(queue_name=queue)
    return sum(job.function == arq_jobs.DISPATCH_EVENT_JOB for job in jobs)


async def scan(client, gql, key, slug: str) -> None:
    await gql(key, CREATE, i={"destination": "https://example.com/", "slug": slug})
    await client.get(f"/r/{slug}", headers={"User-Agent": "Mozilla/5.0 (iPhone)"})


async def test_only_workspaces_with_a_scan_webhook_queue_webhook_jobs(
    app, client, gql, make_key
) -> None:
    quiet, listening, other = (
        await make_key("quiet"),
        await make_key("listening"),
        await make_key("other"),
    )
    await gql(listening, HOOK, events=["SCAN_CREATED"])
    await gql(other, HOOK, events=["LINK_DELETED"])
    await scan(client, gql, quiet, "quiet-1")
    await scan(client, gql, listening, "listening-1")
    await scan(client, gql, other, "other-1")
    before = await queued_dispatches(app.state.services)

    assert await ingest_once(app.state.services, "fanout-test") == 3
    assert await queued_dispatches(app.state.services) - before == 1


async def test_scans_stored_by_a_consumer_that_died_are_announced_once_each(
    app, client, gql, make_key
) -> None:
    from app.domain.scans.enrich import enrich
    from app.domain.scans.services import store_scans
    from app.domain.scans.stream import decode, raw_scan, unpack
    from workers.scans import ensure_group, stream_key

    services = app.state.services
    key = await make_key("listening")
    await gql(key, HOOK, events=["SCAN_CREATED"])
    for n in range(3):
        await scan(client, gql, key, f"died-{n}")
    before = await queued_dispatches(services)
    # A consumer reads the batch, commits it, and dies before announcing or acknowledging.
    await ensure_group(services)
    taken = await services.redis.xreadgroup(
        keys.SCAN_GROUP, "died", {stream_key(services): ">"}, count=100
    )
    lines = [line for _, fields in taken[0][1] for line in unpack(fields)]
    scans = [enrich(raw_scan(decode(line)), secret=services.settings.secret) for line in lines]
    assert len(await store_scans(scans)) == 3

    assert await ingest_once(services, "survivor", reclaim_idle_ms=0) == 3
    assert await queued_dispatches(services) - before == 3
    # The same scans again (a spool replay after a timeout): the jobs' ids come from the
    # scans' event ids, so nothing more is queued (and a delivery's id comes from them too).
    for _, fields in taken[0][1]:
        await services.redis.xadd(stream_key(services), fields)
    await ensure_group(services)
    await services.redis.xreadgroup(
        keys.SCAN_GROUP, "died-again", {stream_key(services): ">"}, count=100
    )
    assert await ingest_once(services, "survivor", reclaim_idle_ms=0) == 3
    assert await queued_dispatches(services) - before == 3
