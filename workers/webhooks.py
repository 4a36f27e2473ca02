"""Webhook jobs: fan an event out to its endpoints, make one delivery attempt, and (a cron
job) carry on the deliveries whose job was lost.

The HTTP client is made once per worker in `startup` and kept in ctx, with the timeout, the
clock and the jitter source beside it; a test that sets any of them in ctx first keeps its own.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.domain.webhooks.delivery import WEBHOOK_TIMEOUT, Sender, dispatch
from app.domain.webhooks.sweep import sweep
from app.jobs import Jobs
from app.services import Services
from workers import constants

HTTP = "webhook_http"
TIMEOUT = "webhook_timeout"
CLOCK = "webhook_clock"
RNG = "webhook_rng"


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def startup(ctx: dict[str, Any]) -> None:
    ctx.setdefault(TIMEOUT, WEBHOOK_TIMEOUT)
    ctx.setdefault(CLOCK, _utcnow)
    ctx.setdefault(RNG, random.Random())
    if HTTP not in ctx:
        # Our own User-Agent, no redirects, no proxies from the environment: a webhook goes
        # exactly where its owner said, and only there.
        ctx[HTTP] = httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            timeout=ctx[TIMEOUT],
            headers={"user-agent": "qrforge-webhooks/1"},
        )
        ctx["webhook_http_owned"] = True


async def shutdown(ctx: dict[str, Any]) -> None:
    if ctx.pop("webhook_http_owned", False):
        await ctx.pop(HTTP).aclose()


def _jobs(ctx: dict[str, Any]) -> Jobs:
    services: Services = ctx["services"]
    return services.jobs


async def dispatch_event(
    ctx: dict[str, Any],
    event_id: str,
    event_type: str,
    workspace_id: int,
    data: dict[str, Any],
    at: str,
) -> int:
    """One delivery per subscribed endpoint; how many there are."""
    ids = await dispatch(
        event_id, event_type, workspace_id, data, datetime.fromisoformat(at), _jobs(ctx)
    )
    return len(ids)


async def deliver_webhook(ctx: dict[str, Any], delivery_id: int, series: int, attempt: int) -> str:
    """One attempt of a delivery (it queues the next one itself when it has to)."""
    if HTTP not in ctx:  # a worker built without our startup hook
        await startup(ctx)
    services: Services = ctx["services"]
    sender = Sender(
        http=ctx[HTTP],
        jobs=_jobs(ctx),
        allow_private=services.settings.allow_private_targets,
        timeout=ctx[TIMEOUT],
        clock=ctx[CLOCK],
        rng=ctx[RNG],
    )
    return await sender.deliver(delivery_id, series, attempt, rerun=ctx.get("job_try", 1) > 1)


async def sweep_deliveries(ctx: dict[str, Any]) -> int:
    """Queue the due attempt of each delivery arq has no job for, or end it FAILED when its
    schedule is over; how many (app.domain.webhooks.sweep says when a job gets lost)."""
    now: datetime = ctx.get(CLOCK, _utcnow)()
    before = now - timedelta(seconds=constants.WEBHOOK_SWEEP_GRACE)
    return await sweep(_jobs(ctx), before, limit=constants.WEBHOOK_SWEEP_BATCH)
