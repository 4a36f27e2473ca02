"""The bulk job: one arq job per BulkJob, carrying only its id, and the sweep that ends jobs
nothing is left to run."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from arq.jobs import Job, JobStatus
from arq.worker import Retry

from app.domain.bulk import runner
from app.domain.bulk.models import BulkJob
from app.domain.bulk.services import forget_result, stale_results
from app.domain.codes.logos import CachedLogos
from app.domain.codes.services import CodeDeps
from app.events import Events
from app.ids import global_id
from app.keys import key
from app.rendering.pool import process_pool, render_many
from app.services import Services
from workers import constants
from workers.queue import ArqJobs
from workers.sheets import open_sheet

# How many times a bulk job waited for its workspace's running jobs: waits are not tries.
WAITS = "{ns}:bulk:{job}:waits"

log = logging.getLogger("qrforge.bulk")

# arq has nothing left to run: the job ended (a failure arq did not retry), or it is gone.
NOTHING_LEFT = (JobStatus.complete, JobStatus.not_found)


@dataclass(frozen=True)
class AnnounceOnly:
    """The events of each code a bulk job makes reach caches and subscriptions; webhooks get
    one bulk.completed for the job instead of a thousand link.created."""

    events: Events

    async def emit(self, type: str, workspace_id: int, data: dict[str, Any]) -> None:
        await self.events.announce(type, workspace_id, data)


async def run_bulk_job(ctx: dict[str, Any], job_id: int) -> None:
    services: Services = ctx["services"]
    deps = runner.BulkDeps(
        events=services.events,
        codes=CodeDeps(
            events=AnnounceOnly(services.events),
            public_url=services.settings.public_url,
            logos=CachedLogos.of(services),
            check_render=False,
            check_quotas=False,
            check_logo=process_pool().check_logo,
        ),
        data_dir=services.settings.data_dir,
        render_many=render_many,
        global_id=global_id,
        results=services.results,
        open_sheet=open_sheet,
        result_ttl=services.settings.result_ttl,
    )
    waits = key(WAITS, services.settings.redis_namespace, job=job_id)
    if await over_workspace_cap(job_id):
        await services.redis.incr(waits)
        await services.redis.expire(waits, 86400)
        raise Retry(defer=constants.BULK_WAIT_DELAY)
    job_try: int = ctx.get("job_try", 1) - int(await services.redis.get(waits) or 0)
    last_try = job_try >= constants.BULK_JOB_TRIES
    try:
        # Before arq's time-out (see BULK_JOB_TIMEOUT_SLACK), so running out of time is
        # retried like any other failure.
        async with asyncio.timeout(services.settings.bulk_job_timeout):
            await runner.run(job_id, deps, last_try=last_try)
    except Exception as error:  # a cancelled job (worker shutdown) is rerun by arq as it is
        if last_try:
            raise  # the runner has marked the job FAILED
        # arq would end the job for good on any other exception, leaving it RUNNING.
        log.warning("bulk job %s failed on try %d; it will resume", job_id, job_try, exc_info=True)
        raise Retry(defer=job_try * constants.BULK_JOB_RETRY_DELAY) from error


async def over_workspace_cap(job_id: int) -> bool:
    """A job yet to start whose workspace runs BULK_PER_WORKSPACE jobs already."""
    job = await BulkJob.get_or_none(id=job_id)
    if job is None or job.status != "QUEUED":
        return False  # gone, finished, or resuming: it holds its place already
    running = BulkJob.filter(workspace_id=job.workspace_id, status="RUNNING")
    return await running.count() >= constants.BULK_PER_WORKSPACE


async def sweep_bulk_jobs(ctx: dict[str, Any]) -> int:
    """Mark FAILED the unfinished jobs arq has nothing left to run for; returns how many.

    A worker that dies on the last try leaves its job RUNNING: arq then ends the arq job
    ("max retries exceeded") without calling `run_bulk_job`.
    """
    services: Services = ctx["services"]
    before = datetime.now(UTC) - timedelta(seconds=constants.BULK_SWEEP_GRACE)
    jobs = ArqJobs(services.redis, services.settings.redis_namespace)
    swept = 0
    for job in await runner.unfinished_before(before):
        arq_job = Job(jobs.bulk_job_id(job.id), services.redis, _queue_name=jobs.bulk_queue_name)
        if await arq_job.status() in NOTHING_LEFT and await runner.mark_failed(
            job, services.events
        ):
            log.warning("bulk job %s had nothing left to run it: marked FAILED", job.id)
            swept += 1
    return swept


async def sweep_results(ctx: dict[str, Any]) -> int:
    """Delete the results past QRFORGE_RESULT_TTL, and downloaded ones a broken download left
    behind; returns how many."""
    services: Services = ctx["services"]
    stale = await stale_results(datetime.now(UTC))
    for job_id in stale:
        await forget_result(job_id, services.results)
    if stale:
        log.info("deleted %d bulk results past their time", len(stale))
    return len(stale)
