"""The arq workers: which jobs each runs and how they get their clients.

Two arq workers per process, each with slots of its own: one on the main queue (events,
renders: seconds each), one on the bulk queue (bulk jobs: minutes each); beside them the
webhook delivery loop (workers/webhooks.py) and scan ingestion (workers/scans.py).

`qrforge worker` runs it as its own process; on the embedded default `qrforge serve` runs it
inside the API process, sharing that process's clients.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack, suppress
from typing import Any

from arq.cron import CronJob, cron
from arq.worker import Worker, func

from app.keys import key
from app.services import Services, open_services
from app.settings import Settings
from workers import bulk, constants, scans, webhooks
from workers import render as render_jobs
from workers.queue import ArqJobs


async def ping(ctx: dict[str, Any]) -> str:
    """A job that proves a worker is consuming the queue."""
    return "pong"


def functions(settings: Settings) -> list[Any]:
    return [
        ping,
        # Webhook jobs are many and their rows say what happened: no arq results to keep.
        func(webhooks.dispatch_event, keep_result=0),
        # Render jobs only warm a cache: nothing to keep, and a failure is retried by a request.
        func(render_jobs.render_code, keep_result=0, max_tries=2),
        func(render_jobs.render_design, keep_result=0),
    ]


def bulk_functions(settings: Settings) -> list[Any]:
    return [
        func(
            bulk.run_bulk_job,
            timeout=settings.bulk_job_timeout + constants.BULK_JOB_TIMEOUT_SLACK,
            # Waits for the workspace's running jobs are arq tries too, and are not counted.
            max_tries=constants.BULK_JOB_TRIES + constants.BULK_MAX_WAITS,
        ),
    ]


def bulk_cron_jobs(settings: Settings) -> list[CronJob]:
    ns = settings.redis_namespace
    return [  # every minute, apart from each other
        cron(bulk.sweep_bulk_jobs, name=key(constants.BULK_SWEEP_JOB, ns), second=0),
        cron(bulk.sweep_results, name=key(constants.RESULT_SWEEP_JOB, ns), second=45),
    ] + (
        [
            cron(
                scans.delete_old_scans,
                name=key(constants.SCAN_RETENTION_JOB, ns),
                hour=constants.SCAN_RETENTION_HOUR,
                minute=constants.SCAN_RETENTION_MINUTE,
                second=0,
            )
        ]
        if settings.scan_retention_days
        else []
    )


async def startup(ctx: dict[str, Any]) -> None:
    await webhooks.startup(ctx)
    await scans.startup(ctx)


async def shutdown(ctx: dict[str, Any]) -> None:
    await scans.shutdown(ctx)
    await webhooks.shutdown(ctx)


def build_worker(services: Services, **options: Any) -> Worker:
    """A worker that uses clients the caller already holds."""
    # A burst run only drains the job queue; the sweeps and scan ingestion are for long-lived
    # workers (a burst run that crossed a minute would queue the sweep, then wait for it).
    burst = options.get("burst", False)
    return Worker(
        functions=functions(services.settings),
        queue_name=ArqJobs(services.redis, services.settings.redis_namespace).queue_name,
        redis_pool=services.redis,
        ctx={"services": services, "ingest_scans": not burst, "deliver_webhooks": not burst},
        on_startup=startup,
        on_shutdown=shutdown,
        max_tries=constants.MAX_TRIES,
        # A job whose worker died runs again elsewhere once the longest timeout + 10 s passed.
        job_timeout=services.settings.job_timeout,
        **options,
    )


def build_bulk_worker(services: Services, **options: Any) -> Worker:
    """The bulk queue's worker, on clients the caller already holds."""
    burst = options.get("burst", False)
    return Worker(
        functions=bulk_functions(services.settings),
        cron_jobs=[] if burst else bulk_cron_jobs(services.settings),
        queue_name=ArqJobs(services.redis, services.settings.redis_namespace).bulk_queue_name,
        redis_pool=services.redis,
        ctx={"services": services},
        max_jobs=constants.BULK_SLOTS,
        max_tries=constants.MAX_TRIES,
        job_timeout=services.settings.bulk_job_timeout,
        **options,
    )


async def run_workers(services: Services, **options: Any) -> None:
    """Both workers until cancelled (or, burst, until their queues are empty)."""
    workers = [build_worker(services, **options), build_bulk_worker(services, **options)]
    await asyncio.gather(*(worker.async_run() for worker in workers))


async def run_embedded(services: Services) -> None:
    """The workers inside the API process (`qrforge serve` on the embedded default), on that
    process's clients, until cancelled; the API handles the signals."""
    await run_workers(services, handle_signals=False)


async def run_worker(settings: Settings) -> None:
    """The standalone worker process: its own clients, until a signal stops it."""
    async with AsyncExitStack() as stack:
        services = await stack.enter_async_context(open_services(settings, ArqJobs))
        with suppress(asyncio.CancelledError):  # arq cancels its main task on SIGINT/SIGTERM
            await run_workers(services)
