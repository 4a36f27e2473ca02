"""Deliveries that nothing will finish, found and carried on.

An attempt queues the next one itself, so a delivery whose job is lost stays PENDING for
ever: the enqueue after a dispatch, a retry or a redelivery failed; the job raised (arq
runs again only a job whose worker died or that asked for it, not one that raised); or its
worker died on arq's last try. Once a minute a long-lived worker looks at the PENDING
deliveries whose next attempt has been due for a while, asks arq whether any job that
could make it is still queued or running, and when none is, queues the attempt that is
due, or ends the delivery FAILED when its schedule is over.

Safe to run twice, even at once: an attempt is claimed with a conditional UPDATE before it
is sent, so a second job for it sends nothing, and FAILED is written only over the state
the sweep looked at.
"""

from __future__ import annotations

import logging
from datetime import datetime

from app.domain.webhooks.delivery import (
    PENDING,
    give_up,
    release_unrecorded,
)
from app.domain.webhooks.models import WebhookAttempt, WebhookDelivery
from app.domain.webhooks.signing import RETRY_SCHEDULE
from app.jobs import Jobs

log = logging.getLogger("qrforge.webhooks")

# What the sweep reads of a delivery; the payload can be large and is not needed.
_FIELDS = ("id", "status", "attempts", "series", "next_attempt_at")


async def sweep(queue: Jobs, before: datetime, limit: int) -> int:
    """Carry on the deliveries due before `before` that arq has no job for; how many."""
    deliveries = await overdue(before, limit)
    if not deliveries:
        return 0
    candidates = {delivery.id: _job_ids(queue, delivery) for delivery in deliveries}
    unfinished = await queue.unfinished([i for ids in candidates.values() for i in ids])
    carried = 0
    for delivery in deliveries:
        if not unfinished.isdisjoint(candidates[delivery.id]):
            continue  # queued, deferred behind a backlog, or being made right now
        outcome = await carry_on(delivery, queue)
        if outcome != "stale":
            log.warning("webhook delivery %s had no job left to run it: %s", delivery.id, outcome)
            carried += 1
    return carried


async def overdue(before: datetime, limit: int) -> list[WebhookDelivery]:
    """PENDING deliveries whose next attempt was due before `before`, oldest first.

    Two queries, each a range of (status, next_attempt_at), so that one index on those
    columns serves both: retries, due at `next_attempt_at`, and first attempts of a dispatch
    or a redelivery, which have none (`created_at` stands in; a redelivery's job is then
    found queued). At most `limit` of each."""
    retries = (
        WebhookDelivery.filter(status=PENDING, next_attempt_at__lt=before)
        .order_by("next_attempt_at")
        .limit(limit)
        .only(*_FIELDS)
    )
    firsts = (
        WebhookDelivery.filter(status=PENDING, next_attempt_at__isnull=True, created_at__lt=before)
        .order_by("created_at")
        .limit(limit)
        .only(*_FIELDS)
    )
    return [*await retries, *await firsts]


async def carry_on(delivery: WebhookDelivery, queue: Jobs) -> str:
    """Queue the attempt a delivery is due for, or end it FAILED when its schedule is over;
    "queued", "failed", or "stale" when the delivery moved on meanwhile.

    Only for a delivery no job is making or about to make an attempt of."""
    if not await release_unrecorded(delivery):
        return "stale"  # a twin sweep gave the claim back first, and carries it on
    # A row stored before the series column reads 0, which is right unless it had been
    # redelivered. Such a row, once its job is lost (or a minute late: only series 0 is
    # looked for), goes on as if never redelivered: FAILED if it made a schedule's worth of
    # attempts in all, else given what is left of the first schedule. A job of it that does
    # run first writes its true series (Sender.deliver).
    series, attempt = delivery.series, delivery.attempts
    if attempt - series >= len(RETRY_SCHEDULE):
        last = await WebhookAttempt.get_or_none(delivery_id=delivery.id, number=attempt)
        status, error = (last.response_status, last.error) if last else (None, None)
        return "failed" if await give_up(delivery, attempt, status, error) else "stale"
    # Due a while ago, so now. The job id is the lost job's: a twin sweep queues nothing.
    return (
        "queued"
        if await queue.requeue_webhook(delivery.id, series=series, attempt=attempt)
        else "stale"
    )


def _job_ids(queue: Jobs, delivery: WebhookDelivery) -> list[str]:
    """Every job that could make this delivery's next attempt, or be making it: the attempt
    after the last claimed one, in the delivery's series (a job of an earlier one finds
    itself overtaken), and the claimed one (running, or to run again after its worker died)
    in each series whose schedule reaches it, as it may have been claimed before a
    redelivery."""
    claimed = delivery.attempts - 1
    ids = [
        queue.webhook_job_id(delivery.id, series=series, attempt=claimed)
        for series in range(max(0, claimed - len(RETRY_SCHEDULE) + 1), claimed + 1)
    ]
    ids.append(queue.webhook_job_id(delivery.id, series=delivery.series, attempt=delivery.attempts))
    return ids
