"""Webhook endpoints of a workspace: create, update, delete, list, and their deliveries.

Every function takes the caller's workspace id and never sees another workspace's rows.
Sending is in `delivery`; this module only decides what is stored and when it is due.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.queryset import QuerySet

from app.domain.owned import owned
from app.domain.webhooks.delivery import PENDING
from app.domain.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from app.domain.webhooks.signing import new_secret
from app.errors import InvalidInput, Problem, QuotaExceeded
from app.events import WEBHOOK_EVENTS
from app.security.ssrf import assert_public_target
from app.security.urls import url_problem

# Svix and most providers cap endpoints per account in the tens; more is a sign of a loop.
MAX_WEBHOOKS = 20
MAX_DESCRIPTION = 500
DISABLED_BY_CALLER = "Disabled through the API."


async def create_webhook(
    workspace_id: int, given: Mapping[str, Any], *, allow_private: bool
) -> tuple[Webhook, str]:
    """A new endpoint and its `whsec_` secret, which is returned here and never again."""
    values = await _clean(given, creating=True, allow_private=allow_private)
    if await Webhook.filter(workspace_id=workspace_id).count() >= MAX_WEBHOOKS:
        raise QuotaExceeded(
            [Problem("QUOTA_EXCEEDED", f"A workspace has at most {MAX_WEBHOOKS} webhooks.")]
        )
    secret = new_secret()
    webhook = await Webhook.create(workspace_id=workspace_id, secret=secret, **values)
    return webhook, secret


async def update_webhook(
    workspace_id: int, webhook_id: int, given: Mapping[str, Any], *, allow_private: bool
) -> Webhook:
    """Change only the fields given. Enabling an endpoint forgets why it was disabled."""
    webhook = await get_webhook(workspace_id, webhook_id)
    values = await _clean(given, creating=False, allow_private=allow_private)
    enabled = given.get("enabled")
    if enabled is True:
        values.update(enabled=True, disabled_reason=None, failing_since=None)
    elif enabled is False and webhook.enabled:
        values.update(enabled=False, disabled_reason=DISABLED_BY_CALLER)
    if not values:
        return webhook
    webhook.update_from_dict(values)
    await webhook.save(update_fields=[*values, "updated_at"])
    return webhook


async def delete_webhook(workspace_id: int, webhook_id: int) -> None:
    """The endpoint and its delivery history; queued attempts find nothing and stop."""
    webhook = await get_webhook(workspace_id, webhook_id)
    await webhook.delete()


async def get_webhook(workspace_id: int, webhook_id: int) -> Webhook:
    return await owned(Webhook, "Webhook", id=webhook_id, workspace_id=workspace_id)


def webhooks_query(workspace_id: int) -> QuerySet[Webhook]:
    return Webhook.filter(workspace_id=workspace_id)


def deliveries_query(workspace_id: int, webhook_id: int) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.filter(webhook_id=webhook_id, webhook__workspace_id=workspace_id)


async def get_delivery(workspace_id: int, delivery_id: int) -> WebhookDelivery:
    return await owned(
        WebhookDelivery, "Webhook delivery", id=delivery_id, webhook__workspace_id=workspace_id
    )


async def attempts_of(delivery_ids: Sequence[int]) -> dict[int, list[WebhookAttempt]]:
    """The attempt log of each delivery, oldest first (callers have scoped the ids)."""
    found: dict[int, list[WebhookAttempt]] = {pk: [] for pk in delivery_ids}
    for attempt in await WebhookAttempt.filter(delivery_id__in=list(delivery_ids)).order_by(
        "delivery_id", "number"
    ):
        found[attempt.delivery_id].append(attempt)
    return found


# A redelivery racing an attempt's claim reads the row again; a few times is plenty.
REDELIVER_TRIES = 5


async def redeliver(workspace_id: int, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again, due now, as a new series of attempts on the retry schedule
    (`series`: the attempts made before it started).

    As in Svix (the reference implementation of Standard Webhooks), a resend is the same
    message: the same `webhook-id` and body, so a receiver that de-duplicates on the id
    sees it once; only the timestamp and signature are new. The attempt log keeps growing.
    A delivery waiting for a retry is tried now. One whose attempt is in flight is left to
    it: that attempt counts as the first of the new series, and so does a claimed attempt
    whose worker died before recording it (it is made again, due now).
    """
    delivery = await get_delivery(workspace_id, delivery_id)
    webhook = await Webhook.get(id=delivery.webhook_id)
    if not webhook.enabled:
        raise InvalidInput.one(
            "WEBHOOK_DISABLED", "The webhook is disabled; enable it first.", ("deliveryId",)
        )
    for _ in range(REDELIVER_TRIES):
        now = datetime.now(UTC)
        claimed = delivery.attempts
        unrecorded = claimed > 0 and not await WebhookAttempt.exists(
            delivery_id=delivery.id, number=claimed
        )
        series = claimed - 1 if unrecorded else claimed
        # Written only over the row as read: a claim meanwhile moves its attempts or its
        # lease, and then the row is read again.
        row = WebhookDelivery.filter(id=delivery.id, status=delivery.status, attempts=claimed)
        if delivery.next_attempt_at is None:
            row = row.filter(next_attempt_at__isnull=True)
        else:
            row = row.filter(next_attempt_at=delivery.next_attempt_at)
        in_flight = (
            unrecorded and delivery.next_attempt_at is not None and delivery.next_attempt_at > now
        )
        if in_flight:
            written = await row.update(series=series)
        else:
            written = await row.update(status=PENDING, next_attempt_at=now, series=series)
        if written:
            break
        await delivery.refresh_from_db()
    await delivery.refresh_from_db()
    return delivery


async def _clean(
    given: Mapping[str, Any], *, creating: bool, allow_private: bool
) -> dict[str, Any]:
    problems: list[Problem] = []
    values: dict[str, Any] = {}

    if creating or "url" in given:
        url = given.get("url")
        if message := url_problem(url):
            problems.append(Problem("INVALID_URL", message, ("url",)))
        else:
            values["url"] = url

    if creating or "events" in given:
        events = list(dict.fromkeys(given.get("events") or []))
        if not events:
            problems.append(Problem("NO_EVENTS", "Subscribe to at least one event.", ("events",)))
        elif unknown := [e for e in events if e not in WEBHOOK_EVENTS]:
            problems.append(
                Problem(
                    "UNKNOWN_EVENT", f"Unknown events: {', '.join(map(str, unknown))}.", ("events",)
                )
            )
        values["events"] = events

    if "description" in given:
        description = given["description"] or ""
        if len(description) > MAX_DESCRIPTION:
            message = f"A description is at most {MAX_DESCRIPTION} characters."
            problems.append(Problem("TOO_LONG", message, ("description",)))
        values["description"] = description

    if problems:
        raise InvalidInput(problems)
    if "url" in values and not allow_private:
        # Checked here for a clear error now, and again before every attempt (DNS rebinding).
        await assert_public_target(values["url"], allow_private=False)
    return values


async def workspaces_listening(event: str, workspace_ids: set[int]) -> set[int]:
    """Which of these workspaces have an enabled webhook for `event` (one query)."""
    if not workspace_ids:
        return set()
    rows = await Webhook.filter(workspace_id__in=workspace_ids, enabled=True).values_list(
        "workspace_id", "events"
    )
    return {workspace_id for workspace_id, events in rows if event in events}
