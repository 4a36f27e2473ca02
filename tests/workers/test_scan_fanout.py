"""scan.created reaches webhooks only where a workspace listens for it: ingestion does not
queue a webhook job per scan for workspaces that have no scan webhook."""

from __future__ import annotations

from workers import constants
from workers.scans import ingest_once

CREATE = "mutation($i: CreateLinkInput!) { createLink(input: $i) { link { slug } } }"
HOOK = """mutation($events: [WebhookEvent!]!) { createWebhook(input: {
  url: "https://hooks.example/in", events: $events}) { webhook { id } userErrors { code } } }"""


async def queued_dispatches(services) -> int:
    queue = constants.key(constants.QUEUE, services.settings.redis_namespace)
    jobs = await services.redis.queued_jobs(queue_name=queue)
    return sum(job.function == constants.DISPATCH_EVENT_JOB for job in jobs)


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
