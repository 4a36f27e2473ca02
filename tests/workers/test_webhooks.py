"""Webhook jobs against the real database and Redis: fan-out, idempotency, pinning."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import httpx
from starlette.applications import Starlette

from app.domain.webhooks.delivery import (
    Sender,
    dispatch,
    message_id,
    pinned,
    public_data,
)
from app.domain.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from app.domain.webhooks.services import redeliver
from app.domain.workspaces.models import Workspace
from app.graphql.relay import to_global_id
from app.ids import global_id
from workers.queue import ArqJobs

AT = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def queue_of(app: Starlette) -> ArqJobs:
    services = app.state.services
    return ArqJobs(services.redis, services.settings.redis_namespace)


async def queued(app: Starlette) -> list[str]:
    services = app.state.services
    return [job.decode() for job in await services.redis.zrange(services.jobs.queue_name, 0, -1)]


async def a_webhook(url: str = "http://127.0.0.1:1/hooks", **fields: object) -> Webhook:
    workspace, _ = await Workspace.get_or_create(name="acme")
    values = {"events": ["link.created", "scan.created"], **fields}
    return await Webhook.create(workspace_id=workspace.id, url=url, secret="whsec_AAAA", **values)


async def test_dispatch_run_twice_makes_one_delivery_and_one_job_per_webhook(app) -> None:
    hook = await a_webhook()
    other = await a_webhook(events=["link.deleted"])
    data = {"id": 7, "slug": "spring", "destination": "https://example.com/"}
    first = await dispatch("evt1", "link.created", hook.workspace_id, data, AT, queue_of(app))
    again = await dispatch("evt1", "link.created", hook.workspace_id, data, AT, queue_of(app))
    assert first == again and len(first) == 1
    delivery = await WebhookDelivery.get()
    assert delivery.webhook_id == hook.id != other.id
    assert delivery.msg_id == message_id("evt1", hook.id)
    assert len(await queued(app)) == 1
    assert delivery.payload == (
        '{"type":"link.created","timestamp":"2030-06-01T12:00:00Z","data":'
        f'{{"destination":"https://example.com/","id":"{to_global_id("Link", 7)}",'
        '"slug":"spring"}}'
    )


async def test_events_of_another_event_id_are_separate_messages(app) -> None:
    hook = await a_webhook()
    for event_id in ("evt1", "evt2"):
        await dispatch(event_id, "scan.created", hook.workspace_id, {"id": 1}, AT, queue_of(app))
    ids = {d.msg_id for d in await WebhookDelivery.all()}
    assert len(ids) == 2 and all(i.startswith("msg_") and len(i) <= 64 for i in ids)


async def test_an_attempt_job_run_twice_makes_one_attempt(app) -> None:
    hook = await a_webhook()  # nothing listens on port 1: the attempt fails fast
    [delivery_id] = await dispatch("e", "link.created", hook.workspace_id, {}, AT, queue_of(app))
    async with httpx.AsyncClient() as http:
        sender = Sender(http=http, jobs=queue_of(app), allow_private=True, rng=random.Random(1))
        assert await sender.deliver(delivery_id, 0, 0) == "retrying"
        assert await sender.deliver(delivery_id, 0, 0) == "stale"
    [attempt] = await WebhookAttempt.all()
    assert attempt.number == 1 and attempt.response_status is None
    assert attempt.error and attempt.error.startswith("ConnectError")
    delivery = await WebhookDelivery.get()
    assert delivery.attempts == 1 and delivery.status == "PENDING"


async def test_an_attempt_of_a_deleted_webhook_does_nothing(app) -> None:
    hook = await a_webhook()
    [delivery_id] = await dispatch("e", "link.created", hook.workspace_id, {}, AT, queue_of(app))
    await hook.delete()
    async with httpx.AsyncClient() as http:
        sender = Sender(http=http, jobs=queue_of(app), allow_private=True)
        assert await sender.deliver(delivery_id, 0, 0) == "gone"


async def test_emit_queues_webhook_events_durably_and_nothing_else(app) -> None:
    events = app.state.services.events
    await events.emit("link.created", 1, {"id": 1})
    await events.emit("bulk.progress", 1, {"id": 1})
    [job] = await queued(app)
    assert job.startswith(f"{app.state.services.settings.redis_namespace}:event:")


def test_pinned_requests_keep_the_host_for_http_and_tls() -> None:
    url, host, extensions = pinned("https://user:pw@hooks.example.com:8443/in?x=1", "93.184.216.34")
    assert url == "https://user:pw@93.184.216.34:8443/in?x=1"
    assert host == "hooks.example.com:8443"
    assert extensions == {"sni_hostname": "hooks.example.com"}
    url, host, extensions = pinned("http://hooks.example.com/in", "2606:2800:220:1::1")
    assert (url, host, extensions) == ("http://[2606:2800:220:1::1]/in", "hooks.example.com", {})


def test_payload_data_speaks_the_apis_language() -> None:
    data = public_data("link.updated", {"id": 3, "old_slug": "a", "design_id": 2, "ok": True})
    assert data == {
        "id": to_global_id("Link", 3),
        "oldSlug": "a",
        "designId": to_global_id("Design", 2),
        "ok": True,
    }
    assert public_data("scan.created", {"id": 9, "link_id": 3}) == {
        "id": global_id("Scan", 9),
        "linkId": to_global_id("Link", 3),
    }


async def test_a_rerun_after_a_crash_makes_the_claimed_attempt(app) -> None:
    hook = await a_webhook()
    [delivery_id] = await dispatch("e", "link.created", hook.workspace_id, {}, AT, queue_of(app))
    # A first run claimed attempt 1, then its worker died before recording it.
    await WebhookDelivery.filter(id=delivery_id).update(attempts=1)
    async with httpx.AsyncClient() as http:
        sender = Sender(http=http, jobs=queue_of(app), allow_private=True)
        assert await sender.deliver(delivery_id, 0, 0) == "stale"  # a twin, not a rerun
        assert await sender.deliver(delivery_id, 0, 0, rerun=True) == "retrying"
        assert await sender.deliver(delivery_id, 0, 0, rerun=True) == "stale"  # recorded now
    assert [a.number for a in await WebhookAttempt.all()] == [1]
    assert (await WebhookDelivery.get()).attempts == 1


async def test_a_retry_overtaken_by_a_redelivery_sends_nothing(app) -> None:
    hook = await a_webhook()  # nothing listens on port 1: the attempt fails fast
    [delivery_id] = await dispatch("e", "link.created", hook.workspace_id, {}, AT, queue_of(app))
    async with httpx.AsyncClient() as http:
        sender = Sender(http=http, jobs=queue_of(app), allow_private=True)
        assert await sender.deliver(delivery_id, 0, 0) == "retrying"
        await redeliver(hook.workspace_id, delivery_id, queue_of(app))
        # The retry queued by attempt 1 and the redelivery's job are both for attempt 2.
        assert await sender.deliver(delivery_id, 0, 1) == "stale"
        assert await sender.deliver(delivery_id, 1, 1) == "retrying"
    assert [a.number for a in await WebhookAttempt.all()] == [1, 2]
    delivery = await WebhookDelivery.get()
    assert (delivery.attempts, delivery.series) == (2, 1)


async def test_a_job_queued_before_series_were_stored_gives_its_delivery_its_series(
    app,
) -> None:
    hook = await a_webhook()
    [delivery_id] = await dispatch("e", "link.created", hook.workspace_id, {}, AT, queue_of(app))
    # Redelivered after 10 attempts and tried twice since, before the column existed: the
    # row reads series 0, the job waiting for attempt 13 says 10.
    await WebhookDelivery.filter(id=delivery_id).update(attempts=12)
    async with httpx.AsyncClient() as http:
        sender = Sender(http=http, jobs=queue_of(app), allow_private=True)
        assert await sender.deliver(delivery_id, 10, 12) == "retrying"
    delivery = await WebhookDelivery.get()
    assert (delivery.status, delivery.attempts, delivery.series) == ("PENDING", 13, 10)
    assert queue_of(app).webhook_job_id(delivery_id, series=10, attempt=13) in await queued(app)
