"""Webhook deliveries against the real database: fan-out, idempotent attempts, lost attempts,
redelivery, pinning."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from starlette.applications import Starlette

from app.domain.webhooks.delivery import (
    Sender,
    dispatch,
    message_id,
    pinned,
    public_data,
)
from app.domain.webhooks.loop import DeliveryLoop
from app.domain.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from app.domain.webhooks.schedule import RETRY_SCHEDULE
from app.domain.webhooks.services import redeliver
from app.domain.workspaces.models import Workspace
from app.graphql.relay import to_global_id
from app.ids import global_id
from tests.api import test_webhooks as webhook_api_tests
from tests.api.test_webhooks import Receiver
from workers.settings import build_worker

AT = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
LEASE_OVER = timedelta(seconds=61)

receiver = webhook_api_tests.receiver  # the real local receiver of the webhook API tests


async def queued(app: Starlette) -> list[str]:
    services = app.state.services
    return [job.decode() for job in await services.redis.zrange(services.jobs.queue_name, 0, -1)]


async def a_webhook(url: str = "http://127.0.0.1:1/hooks", **fields: object) -> Webhook:
    workspace, _ = await Workspace.get_or_create(name="acme")
    values = {"events": ["link.created", "scan.created"], **fields}
    return await Webhook.create(workspace_id=workspace.id, url=url, secret="whsec_AAAA", **values)


def sender(http: httpx.AsyncClient, **options: object) -> Sender:
    return Sender(http=http, allow_private=True, **options)  # type: ignore[arg-type]


def later(by: timedelta) -> Callable[[], datetime]:
    return lambda: datetime.now(UTC) + by


async def a_delivery(hook: Webhook) -> WebhookDelivery:
    [delivery_id] = await dispatch("e", "link.created", hook.workspace_id, {}, AT)
    return await WebhookDelivery.get(id=delivery_id)


async def attempts_made(delivery: WebhookDelivery, statuses: list[int]) -> None:
    """The attempt log and count of a delivery whose next attempts got these answers."""
    made = (await WebhookDelivery.get(id=delivery.id)).attempts
    for number, status in enumerate(statuses, start=made + 1):
        await WebhookAttempt.create(
            delivery_id=delivery.id,
            number=number,
            started_at=datetime.now(UTC) - timedelta(minutes=5),
            duration_ms=3,
            response_status=status,
            error=None if status < 300 else f"HTTP {status}.",
        )
    await WebhookDelivery.filter(id=delivery.id).update(
        attempts=made + len(statuses), next_attempt_at=datetime.now(UTC)
    )


async def test_dispatch_run_twice_makes_one_delivery_per_webhook_due_now(app) -> None:
    hook = await a_webhook()
    other = await a_webhook(events=["link.deleted"])
    data = {"id": 7, "slug": "spring", "destination": "https://example.com/"}
    first = await dispatch("evt1", "link.created", hook.workspace_id, data, AT)
    again = await dispatch("evt1", "link.created", hook.workspace_id, data, AT)
    assert first == again and len(first) == 1
    delivery = await WebhookDelivery.get()
    assert delivery.webhook_id == hook.id != other.id
    assert delivery.msg_id == message_id("evt1", hook.id)
    assert delivery.next_attempt_at is not None and delivery.next_attempt_at <= datetime.now(UTC)
    assert await queued(app) == []  # the row is the schedule: no job per attempt
    assert delivery.payload == (
        '{"type":"link.created","timestamp":"2030-06-01T12:00:00Z","data":'
        f'{{"destination":"https://example.com/","id":"{to_global_id("Link", 7)}",'
        '"slug":"spring"}}'
    )


async def test_events_of_another_event_id_are_separate_messages(app) -> None:
    hook = await a_webhook()
    for event_id in ("evt1", "evt2"):
        await dispatch(event_id, "scan.created", hook.workspace_id, {"id": 1}, AT)
    ids = {d.msg_id for d in await WebhookDelivery.all()}
    assert len(ids) == 2 and all(i.startswith("msg_") and len(i) <= 64 for i in ids)


async def test_an_attempt_tried_twice_at_once_is_made_once(app) -> None:
    delivery = await a_delivery(await a_webhook())  # nothing listens on port 1: it fails fast
    async with httpx.AsyncClient() as http:
        one, two = sender(http, rng=random.Random(1)), sender(http)
        outcomes = await asyncio.gather(one.attempt(delivery.id), two.attempt(delivery.id))
        assert sorted(outcomes) == ["retrying", "stale"]
        assert await one.attempt(delivery.id) == "stale"  # the retry is not due yet
    [attempt] = await WebhookAttempt.all()
    assert attempt.number == 1 and attempt.response_status is None
    assert attempt.error and attempt.error.startswith("ConnectError")
    delivery = await WebhookDelivery.get()
    assert delivery.attempts == 1 and delivery.status == "PENDING"


async def test_an_attempt_of_a_deleted_webhook_does_nothing(app) -> None:
    hook = await a_webhook()
    delivery = await a_delivery(hook)
    await hook.delete()
    async with httpx.AsyncClient() as http:
        assert await sender(http).attempt(delivery.id) == "gone"


async def test_emit_queues_webhook_events_durably_and_nothing_else(app) -> None:
    events = app.state.services.events
    await events.emit("link.created", 1, {"id": 1})
    await events.emit("bulk.progress", 1, {"id": 1})
    [job] = await queued(app)
    assert job.startswith(f"{app.state.services.settings.redis_namespace}:event:")


async def test_an_attempt_whose_worker_died_is_made_again_once_its_lease_is_over(
    app, receiver: Receiver
) -> None:
    delivery = await a_delivery(await a_webhook(receiver.url))
    # A loop claimed attempt 1 (its lease: a minute), then its worker died before recording.
    lease = datetime.now(UTC) + timedelta(seconds=60)
    await WebhookDelivery.filter(id=delivery.id).update(attempts=1, next_attempt_at=lease)
    async with httpx.AsyncClient() as http:
        assert await sender(http).attempt(delivery.id) == "stale"  # in flight, for all we know
        over = sender(http, clock=later(LEASE_OVER))
        # Two loops at once once the lease is over: it is made once, under its number.
        outcomes = await asyncio.gather(over.attempt(delivery.id), over.attempt(delivery.id))
        assert sorted(outcomes) == ["stale", "succeeded"]
    [request] = receiver.requests
    assert request.headers["webhook-id"] == delivery.msg_id
    assert [a.number for a in await WebhookAttempt.all()] == [1]
    await delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("SUCCEEDED", 1)


async def test_a_last_attempt_recorded_but_not_settled_ends_failed_unsent(
    app, receiver: Receiver
) -> None:
    delivery = await a_delivery(await a_webhook(receiver.url))
    # Nine attempts answered 500; the worker making the tenth and last recorded its 503,
    # then died before ending the delivery; its lease is over.
    await attempts_made(delivery, [500] * (len(RETRY_SCHEDULE) - 1) + [503])
    async with httpx.AsyncClient() as http:
        assert await sender(http).attempt(delivery.id) == "failed"
    await delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("FAILED", len(RETRY_SCHEDULE))
    assert (delivery.response_status, delivery.last_error) == (503, "HTTP 503.")
    assert delivery.next_attempt_at is None and receiver.requests == []


async def test_a_success_recorded_but_not_settled_is_not_sent_again(
    app, receiver: Receiver
) -> None:
    delivery = await a_delivery(await a_webhook(receiver.url))
    await attempts_made(delivery, [500, 204])
    async with httpx.AsyncClient() as http:
        assert await sender(http).attempt(delivery.id) == "succeeded"
    await delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("SUCCEEDED", 2, None)
    assert receiver.requests == []


async def test_a_retry_overtaken_by_a_redelivery_is_made_once(app) -> None:
    hook = await a_webhook()  # nothing listens on port 1: the attempt fails fast
    delivery = await a_delivery(hook)
    async with httpx.AsyncClient() as http:
        assert await sender(http).attempt(delivery.id) == "retrying"
        await redeliver(hook.workspace_id, delivery.id)  # due now, not in 5 s
        assert await sender(http).attempt(delivery.id) == "retrying"
        assert await sender(http).attempt(delivery.id) == "stale"
    assert [a.number for a in await WebhookAttempt.all()] == [1, 2]
    delivery = await WebhookDelivery.get()
    assert (delivery.attempts, delivery.series) == (2, 1)


async def test_a_redelivery_leaves_an_attempt_in_flight_to_finish(app, receiver: Receiver) -> None:
    hook = await a_webhook(receiver.url)
    delivery = await a_delivery(hook)
    receiver.hang()
    async with httpx.AsyncClient() as http:
        in_flight = asyncio.create_task(sender(http, timeout=5.0).attempt(delivery.id))
        for _ in range(100):
            if receiver.requests:
                break
            await asyncio.sleep(0.05)
        assert receiver.requests
        redelivered = await redeliver(hook.workspace_id, delivery.id)
        # The attempt in flight is the first of the new series; nothing else is due.
        assert (redelivered.attempts, redelivered.series) == (1, 0)
        assert await sender(http).attempt(delivery.id) == "stale"
        receiver.release.set()  # the receiver hangs up without answering
        assert await in_flight == "retrying"
    assert len(receiver.requests) == 1
    await delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("PENDING", 1)
    due_in = (delivery.next_attempt_at - datetime.now(UTC)).total_seconds()  # type: ignore[operator]
    assert 3 < due_in <= RETRY_SCHEDULE[1] * 1.1  # the new series' second step


async def test_a_delivery_redelivered_twice_goes_on_in_its_series(app, receiver: Receiver) -> None:
    hook = await a_webhook(receiver.url)
    delivery = await a_delivery(hook)
    schedule = len(RETRY_SCHEDULE)
    await attempts_made(delivery, [500] * schedule)
    await WebhookDelivery.filter(id=delivery.id).update(status="FAILED", next_attempt_at=None)
    # Redelivered once it failed, then again while waiting for a retry; the second series
    # made three attempts and its fourth is due.
    for answers in ([500] * 2, [500] * 3):
        await redeliver(hook.workspace_id, delivery.id)
        await attempts_made(delivery, answers)
    receiver.answer(500)
    async with httpx.AsyncClient() as http:
        assert await sender(http).attempt(delivery.id) == "retrying"
    [request] = receiver.requests
    assert request.headers["webhook-id"] == delivery.msg_id
    await delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("PENDING", schedule + 6)
    assert delivery.series == schedule + 2
    # Its fifth attempt is on the schedule's fifth step, two hours off.
    due_in = (delivery.next_attempt_at - datetime.now(UTC)).total_seconds()  # type: ignore[operator]
    assert RETRY_SCHEDULE[4] * 0.89 <= due_in <= RETRY_SCHEDULE[4] * 1.1


async def test_the_loop_takes_due_rows_round_robin_and_caps_each_workspace(app) -> None:
    busy, _ = await Workspace.get_or_create(name="busy")
    quiet, _ = await Workspace.get_or_create(name="quiet")
    for workspace, deliveries in ((busy, 10), (quiet, 1)):
        hook = await Webhook.create(
            workspace_id=workspace.id, url="http://127.0.0.1:1/", secret="whsec_AAAA"
        )
        for n in range(deliveries):
            await WebhookDelivery.create(
                webhook_id=hook.id,
                msg_id=f"msg_{workspace.id}_{n}",
                event="link.created",
                payload="{}",
                # The busy workspace's backlog is older: first come would serve it first.
                next_attempt_at=datetime.now(UTC) - timedelta(minutes=60 - n),
            )
    async with httpx.AsyncClient() as http:
        loop = DeliveryLoop(sender(http), slots=4, per_workspace=2)
        chosen = await loop.choose(4)
    by_workspace = Counter(workspace_id for _, workspace_id in chosen)
    assert by_workspace == {busy.id: 2, quiet.id: 1}


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


async def test_only_long_lived_workers_run_the_delivery_loop_and_the_sweep(app) -> None:
    services = app.state.services
    long_lived = build_worker(services, handle_signals=False)
    assert long_lived.ctx["deliver_webhooks"] is True
    assert long_lived.cron_jobs == []  # the bulk sweep runs beside the bulk worker
    burst = build_worker(services, burst=True, handle_signals=False)
    assert burst.ctx["deliver_webhooks"] is False and burst.cron_jobs == []
