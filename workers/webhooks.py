"""Webhooks in the worker: the job that fans an event out to its endpoints, and the delivery
loop that makes the attempts of due deliveries (app.domain.webhooks.loop), run beside the
arq worker with slots of its own.

The HTTP client is made once per worker in `startup` and kept in ctx, with the timeout, the
clock and the jitter source beside it; a test that sets any of them in ctx first keeps its own.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from typing import Any

import httpx

from app.domain.webhooks.delivery import WEBHOOK_TIMEOUT, Sender, dispatch
from app.domain.webhooks.loop import DeliveryLoop
from app.services import Services

HTTP = "webhook_http"
TIMEOUT = "webhook_timeout"
CLOCK = "webhook_clock"
RNG = "webhook_rng"
LOOP = "webhook_loop"


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
    if ctx.get("deliver_webhooks", True):  # long-lived workers, not burst runs
        loop = delivery_loop(ctx)
        task = asyncio.create_task(loop.run(), name="webhook-deliveries")
        ctx[LOOP], ctx["webhook_loop_task"] = loop, task
        # arq's on_shutdown does not run when its main task is cancelled (the embedded
        # worker): the loop ends with the worker either way.
        main = asyncio.current_task()
        if main is not None:
            main.add_done_callback(lambda _: task.cancel())


async def shutdown(ctx: dict[str, Any]) -> None:
    task: asyncio.Task[None] | None = ctx.pop("webhook_loop_task", None)
    ctx.pop(LOOP, None)
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if ctx.pop("webhook_http_owned", False):
        await ctx.pop(HTTP).aclose()


def delivery_loop(ctx: dict[str, Any]) -> DeliveryLoop:
    """A loop over this worker's clients (a test drives one with `run_once`)."""
    if HTTP not in ctx:
        raise RuntimeError("webhooks.startup has not run")
    services: Services = ctx["services"]
    sender = Sender(
        http=ctx[HTTP],
        allow_private=services.settings.allow_private_targets,
        timeout=ctx[TIMEOUT],
        clock=ctx[CLOCK],
        rng=ctx[RNG],
    )
    return DeliveryLoop(sender, clock=ctx[CLOCK])


async def dispatch_event(
    ctx: dict[str, Any],
    event_id: str,
    event_type: str,
    workspace_id: int,
    data: dict[str, Any],
    at: str,
) -> int:
    """One delivery, due now, per subscribed endpoint; how many there are."""
    ids = await dispatch(event_id, event_type, workspace_id, data, datetime.fromisoformat(at))
    loop: DeliveryLoop | None = ctx.get(LOOP)
    if ids and loop is not None:
        loop.wake()
    return len(ids)
