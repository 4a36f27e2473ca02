"""A bulk job always ends: a failed try runs again and resumes, the last one marks the job
FAILED, and the sweep ends the jobs arq has nothing left to run for."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from arq.jobs import Job, JobStatus
from arq.worker import Worker

from app import keys
from app.domain.bulk.models import BulkItem, BulkJob
from app.domain.codes.models import QrCode
from app.domain.workspaces.models import Workspace
from app.events import channel
from app.rendering.pool import render_many
from app.services import Services
from workers import bulk, constants
from workers.queue import RUN_BULK_JOB
from workers.settings import build_bulk_worker

SUBMIT = """mutation($input: BulkCreateQrCodesInput!) { bulkCreateQrCodes(input: $input) {
  bulkJob { id } userErrors { code message } } }"""
ITEMS = 150  # two batches


def items(count: int = ITEMS) -> list[dict[str, Any]]:
    return [
        {"name": f"Box {i}", "dataType": "URL", "kind": "DYNAMIC",
         "data": {"url": f"https://shop.example/item/{i}"}}
        for i in range(count)
    ]  # fmt: skip


async def submit(gql, key, count: int = ITEMS) -> BulkJob:
    payload = (await gql(key, SUBMIT, input={"items": items(count)}))["data"]["bulkCreateQrCodes"]
    assert payload["userErrors"] == []
    return await BulkJob.get()


async def burst(services: Services) -> Worker:
    """Run a worker until the queue is empty, deferred retries included; the worker's counts."""
    worker = build_bulk_worker(services, burst=True, handle_signals=False, poll_delay=0.05)
    await worker.async_run()
    return worker


RenderMany = Callable[[Sequence[Any]], Awaitable[list[bytes | str]]]


def failing(times: int) -> tuple[RenderMany, list[int]]:
    """render_many that raises on its first `times` calls, then renders; and its call count.

    It stands for a failure outside our database and queue that the next try does not meet
    (the render pool lost a process, say)."""
    calls = [0]

    async def render(tasks: Sequence[Any]) -> list[bytes | str]:
        calls[0] += 1
        if calls[0] <= times:
            raise RuntimeError("render pool broke")
        return await render_many(tasks)

    return render, calls


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries after 50 ms, 100 ms rather than 5 s, 10 s."""
    monkeypatch.setattr(constants, "BULK_JOB_RETRY_DELAY", 0.05)


async def assert_codes_made_once(job: BulkJob, count: int = ITEMS) -> None:
    codes = await QrCode.all()
    assert len(codes) == count and len({c.encoded_text for c in codes}) == count
    made = await BulkItem.filter(job_id=job.id).values_list("code_id", flat=True)
    assert sorted(made) == sorted(c.id for c in codes)


async def test_a_job_whose_first_try_raises_runs_again_and_succeeds(
    gql, key, app, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = await submit(gql, key)
    render, calls = failing(times=1)
    monkeypatch.setattr(bulk, "render_many", render)

    worker = await burst(app.state.services)

    await job.refresh_from_db()
    assert (job.status, job.succeeded, job.failed) == ("SUCCEEDED", ITEMS, 0)
    assert (worker.jobs_retried, worker.jobs_failed, calls[0] > 1) == (1, 0, True)
    await assert_codes_made_once(job)
    assert job.result_path is not None
    stored = b"".join([chunk async for chunk in app.state.services.results.read(job.result_path)])
    with zipfile.ZipFile(io.BytesIO(stored)) as archive:
        assert len(archive.namelist()) == ITEMS + 1  # the images and the manifest


async def test_a_job_that_runs_out_of_time_runs_again_and_succeeds(
    gql, key, app, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = await submit(gql, key, count=3)
    calls = [0]

    async def hangs_once(tasks: Sequence[Any]) -> list[bytes | str]:
        calls[0] += 1
        if calls[0] == 1:
            await asyncio.sleep(3600)  # a stuck first try
        return await render_many(tasks)

    monkeypatch.setattr(bulk, "render_many", hangs_once)
    services = app.state.services
    quick = dataclasses.replace(
        services, settings=dataclasses.replace(services.settings, bulk_job_timeout=1)
    )

    worker = await burst(quick)

    await job.refresh_from_db()
    assert (job.status, worker.jobs_retried, worker.jobs_failed) == ("SUCCEEDED", 1, 0)
    await assert_codes_made_once(job, count=3)


async def test_a_job_that_fails_on_every_try_ends_failed(
    gql, key, app, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = await submit(gql, key)
    render, calls = failing(times=constants.BULK_JOB_TRIES * 10)
    monkeypatch.setattr(bulk, "render_many", render)

    worker = await burst(app.state.services)

    await job.refresh_from_db()
    assert job.status == "FAILED" and job.finished_at is not None
    assert (worker.jobs_retried, worker.jobs_failed) == (constants.BULK_JOB_TRIES - 1, 1)
    await assert_codes_made_once(job)  # each try resumed rather than starting over


# ---------------------------------------------------------------- the sweep


async def sweep(app) -> int:
    return await bulk.sweep_bulk_jobs({"services": app.state.services})


async def stored_job(status: str) -> BulkJob:
    """A job row that was never queued, as when the enqueue after its INSERT failed."""
    workspace = await Workspace.get(name="acme")
    return await BulkJob.create(
        workspace_id=workspace.id, status=status, items=items(1), total=1, started_at=None
    )


async def age(job: BulkJob) -> None:
    past = datetime.now(UTC) - timedelta(seconds=constants.BULK_SWEEP_GRACE + 60)
    await BulkJob.filter(id=job.id).update(created_at=past)


def arq_job(app, job: BulkJob) -> Job:
    services = app.state.services
    job_id = services.jobs.bulk_job_id(job.id)
    return Job(job_id, services.redis, _queue_name=services.jobs.bulk_queue_name)


async def test_the_sweep_fails_a_running_job_whose_arq_job_is_gone(key, app) -> None:
    job = await stored_job("RUNNING")
    await age(job)
    services = app.state.services
    pubsub = services.redis.pubsub()
    await pubsub.subscribe(channel(services.settings.redis_namespace, "bulk"))
    try:
        assert await sweep(app) == 1
        message = None
        for _ in range(100):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05)
            if message:
                break
    finally:
        await pubsub.aclose()

    await job.refresh_from_db()
    assert job.status == "FAILED" and job.finished_at is not None
    assert message is not None
    assert json.loads(message["data"])["data"] == {"id": job.id, "status": "FAILED"}
    assert await sweep(app) == 0  # done once


async def test_the_sweep_fails_a_job_whose_last_try_died_with_its_worker(key, app) -> None:
    job = await stored_job("RUNNING")
    await age(job)
    # What arq holds after a worker died on the last try: the try count is past the limit, so
    # the next worker ends the arq job ("max retries exceeded") without running it.
    services = app.state.services
    await services.redis.enqueue_job(
        RUN_BULK_JOB,
        job.id,
        _job_id=arq_job(app, job).job_id,
        _queue_name=services.jobs.bulk_queue_name,
        _job_try=constants.BULK_JOB_TRIES + constants.BULK_MAX_WAITS + 1,
    )
    worker = await burst(services)
    assert worker.jobs_failed == 1 and await arq_job(app, job).status() == JobStatus.complete
    await job.refresh_from_db()
    assert job.status == "RUNNING"

    assert await sweep(app) == 1
    await job.refresh_from_db()
    assert job.status == "FAILED" and job.finished_at is not None
    assert await QrCode.all().count() == 0


async def test_the_sweep_leaves_a_fresh_job_that_is_not_queued_yet(key, app) -> None:
    job = await stored_job("QUEUED")
    assert await sweep(app) == 0
    await job.refresh_from_db()
    assert job.status == "QUEUED"

    await age(job)  # the enqueue never came
    assert await sweep(app) == 1
    await job.refresh_from_db()
    assert job.status == "FAILED"


async def test_the_sweep_leaves_jobs_whose_arq_job_is_queued_or_running(
    gql, key, app, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = await submit(gql, key, count=3)
    await BulkJob.filter(id=job.id).update(status="RUNNING")  # a try was interrupted
    await age(job)
    assert await arq_job(app, job).status() == JobStatus.queued
    assert await sweep(app) == 0

    release = asyncio.Event()

    async def held(tasks: Sequence[Any]) -> list[bytes | str]:
        await release.wait()
        return await render_many(tasks)

    monkeypatch.setattr(bulk, "render_many", held)
    running = asyncio.create_task(burst(app.state.services))
    try:
        for _ in range(200):
            if await arq_job(app, job).status() == JobStatus.in_progress:
                break
            await asyncio.sleep(0.05)
        assert await arq_job(app, job).status() == JobStatus.in_progress
        assert await sweep(app) == 0
        await job.refresh_from_db()
        assert job.status == "RUNNING"
    finally:
        release.set()
        await asyncio.wait_for(running, 30)

    await job.refresh_from_db()
    assert job.status == "SUCCEEDED"


async def test_only_long_lived_workers_run_the_sweep(app) -> None:
    services = app.state.services
    sweep_name = keys.key(constants.BULK_SWEEP_JOB, services.settings.redis_namespace)
    assert sweep_name in [
        c.name for c in build_bulk_worker(services, handle_signals=False).cron_jobs
    ]
    assert build_bulk_worker(services, burst=True, handle_signals=False).cron_jobs == []
