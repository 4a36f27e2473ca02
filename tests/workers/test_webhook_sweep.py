"""The sweep of lost webhook jobs, against the real database, Redis and a local receiver:
a PENDING delivery that no job will ever finish gets its due attempt queued again (or ends
FAILED past its schedule); one whose job is queued, running or not yet late is left alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from arq.connections import ArqRedis
from arq.jobs import Job, JobStatus
from redis.exceptions import ConnectionError as RedisConnectionError
from starlette.applications import Starlette

from app import keys
from app.domain.webhooks import services as webhook_services
from app.domain.webhooks.delivery import Sender, dispatch
from app.domain.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from app.domain.webhooks.signing import RETRY_SCHEDULE
from app.domain.workspaces.models import Workspace
from tests.api import test_webhooks as webhook_api_tests
from tests.api.test_webhooks import Receiver
from workers import constants, webhooks
from workers import queue as arq_jobs
from workers.queue import ArqJobs
from workers.settings import build_worker

AT = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
LATE = timedelta(seconds=constants.WEBHOOK_SWEEP_GRACE + 60)

RunJobs = Callable[[], Awaitable[int]]

receiver = webhook_api_tests.receiver  # the real local receiver of the webhook API tests


def queue_of(app: Starlette) -> ArqJobs:
    services = app.state.services
    return ArqJobs(services.redis, services.settings.redis_namespace)


@pytest.fixture
async def dead_queue(app: Starlette) -> AsyncIterator[ArqJobs]:
    """The deployment's queue on a Redis that refuses connections: every enqueue fails."""
    redis = ArqRedis.from_url("redis://127.0.0.1:1/0")
    try:
        yield ArqJobs(redis, app.state.services.settings.redis_namespace)
    finally:
        await redis.aclose()


async def sweep(app: Starlette) -> int:
    return await webhooks.sweep_deliveries({"services": app.state.services})


async def queued(app: Starlette) -> list[str]:
    services = app.state.services
    return [job.decode() for job in await services.redis.zrange(services.jobs.queue_name, 0, -1)]


async def a_webhook(url: str) -> Webhook:
    workspace, _ = await Workspace.get_or_create(name="acme")
    return await Webhook.create(
        workspace_id=workspace.id, url=url, secret="whsec_AAAA", events=["link.created"]
    )


async def unqueued_delivery(hook: Webhook, dead_queue: ArqJobs) -> WebhookDelivery:
    """A delivery whose dispatch stored its row, then failed to queue its job."""
    with pytest.raises(RedisConnectionError):
        await dispatch("evt", "link.created", hook.workspace_id, {"id": 1}, AT, dead_queue)
    return await WebhookDelivery.get(webhook_id=hook.id)


async def age(delivery: WebhookDelivery) -> None:
    """Its row written, and its next attempt due, longer ago than the sweep's grace."""
    await delivery.refresh_from_db()
    values = {"created_at": datetime.now(UTC) - LATE}
    if delivery.next_attempt_at is not None:
        values["next_attempt_at"] = datetime.now(UTC) - LATE
    await WebhookDelivery.filter(id=delivery.id).update(**values)


def arq_job(app: Starlette, delivery_id: int, series: int, attempt: int) -> Job:
    queue = queue_of(app)
    job_id = queue.webhook_job_id(delivery_id, series=series, attempt=attempt)
    return Job(job_id, queue.redis, _queue_name=queue.queue_name)


async def test_a_delivery_whose_enqueue_failed_is_sent_once_by_the_sweep(
    app, run_jobs: RunJobs, receiver: Receiver, dead_queue: ArqJobs
) -> None:
    hook = await a_webhook(receiver.url)
    delivery = await unqueued_delivery(hook, dead_queue)
    await age(delivery)

    assert await sweep(app) == 1
    assert await queued(app) == [arq_job(app, delivery.id, 0, 0).job_id]
    assert await sweep(app) == 0  # its job is queued now
    assert await run_jobs() == 1

    [request] = receiver.requests
    assert request.headers["webhook-id"] == delivery.msg_id
    assert request.body.decode() == delivery.payload
    await delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("SUCCEEDED", 1)
    assert await sweep(app) == 0 and await run_jobs() == 0
    assert len(receiver.requests) == 1


async def test_the_sweep_leaves_a_delivery_inside_its_grace_period(
    app, dead_queue: ArqJobs
) -> None:
    delivery = await unqueued_delivery(await a_webhook("http://127.0.0.1:1/"), dead_queue)
    assert await sweep(app) == 0  # its job may be on its way
    assert await queued(app) == []

    await age(delivery)  # the enqueue never came
    assert await sweep(app) == 1
    assert await queued(app) == [arq_job(app, delivery.id, 0, 0).job_id]


async def test_a_claimed_attempt_whose_worker_died_on_the_last_try_is_made_by_the_sweep(
    app, run_jobs: RunJobs, receiver: Receiver, dead_queue: ArqJobs
) -> None:
    hook = await a_webhook(receiver.url)
    delivery = await unqueued_delivery(hook, dead_queue)
    # What is left after a worker claimed attempt 1 and died on every try: the row says
    # claimed, and arq ends its job ("max retries exceeded") without running it, keeping a
    # result under its id.
    await WebhookDelivery.filter(id=delivery.id).update(attempts=1)
    services = app.state.services
    lost = arq_job(app, delivery.id, 0, 0)
    await services.redis.enqueue_job(
        arq_jobs.DELIVER_WEBHOOK_JOB,
        delivery.id,
        0,
        0,
        _job_id=lost.job_id,
        _queue_name=services.jobs.queue_name,
        _job_try=constants.MAX_TRIES + 1,
    )
    assert await run_jobs() == 0
    assert await lost.status() == JobStatus.complete and receiver.requests == []
    await age(delivery)

    # Two sweeps at once (a slow run overlapping the next) carry it on once.
    assert sorted(await asyncio.gather(sweep(app), sweep(app))) == [0, 1]
    assert await queued(app) == [lost.job_id]
    assert await run_jobs() == 1

    [request] = receiver.requests
    assert request.headers["webhook-id"] == delivery.msg_id
    assert [a.number for a in await WebhookAttempt.filter(delivery_id=delivery.id)] == [1]
    await delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("SUCCEEDED", 1)


async def test_a_retry_whose_enqueue_failed_is_queued_by_the_sweep(
    app, run_jobs: RunJobs, receiver: Receiver, dead_queue: ArqJobs
) -> None:
    hook = await a_webhook(receiver.url)
    delivery = await unqueued_delivery(hook, dead_queue)
    receiver.answer(500)
    async with httpx.AsyncClient() as http:
        sender = Sender(http=http, jobs=dead_queue, allow_private=True)
        with pytest.raises(RedisConnectionError):  # recorded and scheduled, then not queued
            await sender.deliver(delivery.id, 0, 0)
    await delivery.refresh_from_db()
    assert (delivery.attempts, delivery.response_status) == (1, 500)
    assert delivery.next_attempt_at is not None
    assert await sweep(app) == 0  # not due yet

    await age(delivery)
    assert await sweep(app) == 1
    assert await queued(app) == [arq_job(app, delivery.id, 0, 1).job_id]
    assert await run_jobs() == 1

    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery.msg_id] * 2
    await delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("SUCCEEDED", 2, 204)


async def attempts_made(delivery: WebhookDelivery, statuses: list[int]) -> None:
    """The attempt log and count of a delivery whose next attempts got these answers."""
    made = (await WebhookDelivery.get(id=delivery.id)).attempts
    for number, status in enumerate(statuses, start=made + 1):
        await WebhookAttempt.create(
            delivery_id=delivery.id,
            number=number,
            started_at=datetime.now(UTC) - LATE,
            duration_ms=3,
            response_status=status,
            error=f"HTTP {status}.",
        )
    await WebhookDelivery.filter(id=delivery.id).update(attempts=made + len(statuses))


async def test_a_delivery_whose_last_attempt_was_recorded_but_not_settled_ends_failed(
    app, receiver: Receiver, dead_queue: ArqJobs
) -> None:
    delivery = await unqueued_delivery(await a_webhook(receiver.url), dead_queue)
    # Nine attempts answered 500 and scheduled the next; the worker making the tenth and
    # last recorded its 503, then died before ending the delivery.
    await attempts_made(delivery, [500] * (len(RETRY_SCHEDULE) - 1) + [503])
    await WebhookDelivery.filter(id=delivery.id).update(
        response_status=500, last_error="HTTP 500.", next_attempt_at=datetime.now(UTC)
    )
    await age(delivery)

    assert await sweep(app) == 1
    await delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("FAILED", len(RETRY_SCHEDULE))
    assert (delivery.response_status, delivery.last_error) == (503, "HTTP 503.")
    assert delivery.next_attempt_at is None
    assert await queued(app) == [] and receiver.requests == []
    assert await sweep(app) == 0


async def test_a_redelivery_whose_enqueue_failed_is_sent_by_the_sweep_on_a_new_schedule(
    app, run_jobs: RunJobs, receiver: Receiver, dead_queue: ArqJobs
) -> None:
    hook = await a_webhook(receiver.url)
    delivery = await unqueued_delivery(hook, dead_queue)
    await attempts_made(delivery, [500] * len(RETRY_SCHEDULE))
    await WebhookDelivery.filter(id=delivery.id).update(status="FAILED")
    with pytest.raises(RedisConnectionError):
        await webhook_services.redeliver(hook.workspace_id, delivery.id, dead_queue)
    await age(delivery)

    assert await sweep(app) == 1
    tenth = len(RETRY_SCHEDULE)
    assert await queued(app) == [arq_job(app, delivery.id, tenth, tenth).job_id]
    assert await run_jobs() == 1

    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery.msg_id]
    await delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("SUCCEEDED", tenth + 1)


async def test_a_delivery_redelivered_twice_and_lost_mid_schedule_goes_on_in_its_series(
    app, receiver: Receiver, dead_queue: ArqJobs
) -> None:
    hook = await a_webhook(receiver.url)
    delivery = await unqueued_delivery(hook, dead_queue)
    schedule = len(RETRY_SCHEDULE)
    await attempts_made(delivery, [500] * schedule)
    await WebhookDelivery.filter(id=delivery.id).update(status="FAILED")
    # Redelivered once it failed, then again while waiting for a retry; the second series
    # made three attempts, scheduled a fourth, and its job was lost.
    for answers in ([500] * 2, [500] * 3):
        with pytest.raises(RedisConnectionError):
            await webhook_services.redeliver(hook.workspace_id, delivery.id, dead_queue)
        await attempts_made(delivery, answers)
    await WebhookDelivery.filter(id=delivery.id).update(next_attempt_at=datetime.now(UTC))
    await age(delivery)
    series, attempt = schedule + 2, schedule + 5

    assert await sweep(app) == 1
    assert await queued(app) == [arq_job(app, delivery.id, series, attempt).job_id]
    receiver.answer(500)
    worker = build_worker(
        app.state.services, burst=True, handle_signals=False, poll_delay=0.01, max_burst_jobs=1
    )
    try:
        await asyncio.wait_for(worker.async_run(), 30)  # one job: the retry it queues waits
    finally:
        await worker.on_shutdown(worker.ctx)  # type: ignore[misc]
    assert worker.jobs_complete == 1

    [request] = receiver.requests
    assert request.headers["webhook-id"] == delivery.msg_id
    await delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.series) == ("PENDING", attempt + 1, series)
    # The fifth attempt of its series is on the schedule, two hours off.
    assert await queued(app) == [arq_job(app, delivery.id, series, attempt + 1).job_id]
    assert await sweep(app) == 0


async def test_the_sweep_leaves_deliveries_whose_job_is_queued_or_running(
    app, receiver: Receiver
) -> None:
    hook = await a_webhook(receiver.url)
    [delivery_id] = await dispatch("e", "link.created", hook.workspace_id, {}, AT, queue_of(app))
    delivery = await WebhookDelivery.get(id=delivery_id)
    await age(delivery)  # a backlog: the job is late, not lost
    job = arq_job(app, delivery_id, 0, 0)
    assert await job.status() == JobStatus.queued
    assert await sweep(app) == 0
    assert await queued(app) == [job.job_id]

    receiver.hang()
    worker = build_worker(
        app.state.services, burst=True, handle_signals=False, poll_delay=0.01, max_burst_jobs=1
    )
    running = asyncio.create_task(worker.async_run())
    try:
        for _ in range(200):
            if receiver.requests:
                break
            await asyncio.sleep(0.05)
        assert receiver.requests and await job.status() == JobStatus.in_progress
        assert await sweep(app) == 0
        await delivery.refresh_from_db()
        assert delivery.attempts == 1  # the attempt in flight keeps its claim
    finally:
        receiver.release.set()
        await asyncio.wait_for(running, 30)
        await worker.on_shutdown(worker.ctx)  # type: ignore[misc]

    assert len(receiver.requests) == 1
    await delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("PENDING", 1)
    assert await queued(app) == [arq_job(app, delivery_id, 0, 1).job_id]  # the retry, deferred
    assert await sweep(app) == 0


async def test_only_long_lived_workers_run_the_sweeps(app) -> None:
    services = app.state.services
    ns = services.settings.redis_namespace
    names = [c.name for c in build_worker(services, handle_signals=False).cron_jobs]
    assert names == [
        keys.key(constants.BULK_SWEEP_JOB, ns),
        keys.key(constants.WEBHOOK_SWEEP_JOB, ns),
    ]
    assert build_worker(services, burst=True, handle_signals=False).cron_jobs == []
