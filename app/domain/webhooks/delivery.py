"""Turning events into deliveries, and deliveries into signed HTTP requests.

    dispatch()          one event -> one WebhookDelivery per subscribed endpoint, each queued
    Sender.deliver()    one attempt: claim, check the target, POST, record, then succeed,
                        schedule the next try, or give up (and maybe disable the endpoint)

Both are safe to run twice. A delivery's `msg_id` derives from the event id and the
endpoint, so a repeated dispatch finds the row it made; an attempt first claims its number
with a conditional UPDATE, so a repeated or overtaken job sends nothing. A delivery whose
job is lost is carried on by app.domain.webhooks.sweep, which shares `release_unrecorded`
and `give_up` with the Sender.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from tortoise.exceptions import IntegrityError

from app.domain.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from app.domain.webhooks.signing import (
    Random,
    envelope,
    next_delay,
    retry_after_seconds,
    signed_headers,
)
from app.errors import DomainError
from app.ids import global_id
from app.jobs import Jobs
from app.security.ssrf import resolve_public

PENDING, SUCCEEDED, FAILED = "PENDING", "SUCCEEDED", "FAILED"
MAX_ERROR = 500  # the column's width
# Enough of a response to keep its connection reusable; the body itself is not kept.
MAX_RESPONSE_READ = 16 * 1024
# Standard Webhooks' advice: a receiver answers at once and works later; 10 s is generous.
WEBHOOK_TIMEOUT = 10.0
# A Retry-After beyond the longest step of the schedule would park a delivery for days.
WEBHOOK_RETRY_AFTER_CAP = 24 * 3600
# An endpoint failing for this long is abandoned (disabled with the reason), as Svix does.
WEBHOOK_DISABLE_AFTER = 3 * 24 * 3600
# Which object the "id" of each event family names, for global ids in payloads.
_ID_TYPES = {"link": "Link", "scan": "Scan", "bulk": "BulkJob"}
_REFERENCE_TYPES = {"link_id": "Link", "qr_code_id": "QrCode", "design_id": "Design"}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def message_id(event_id: str, webhook_id: int) -> str:
    """The `webhook-id`: stable for one event and endpoint, so a second dispatch finds it."""
    digest = hashlib.sha256(f"{event_id}:{webhook_id}".encode()).digest()
    return "msg_" + base64.b32encode(digest[:20]).decode().lower()


def public_data(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """What a receiver sees: the API's camelCase names and global ids, never table keys."""
    id_type = _ID_TYPES.get(event_type.partition(".")[0])
    public: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, int) and not isinstance(value, bool):
            if key == "id" and id_type:
                value = global_id(id_type, value)
            elif key in _REFERENCE_TYPES:
                value = global_id(_REFERENCE_TYPES[key], value)
        public[_camel(key)] = value
    return public


async def dispatch(
    event_id: str,
    event_type: str,
    workspace_id: int,
    data: dict[str, Any],
    at: datetime,
    jobs: Jobs,
) -> list[int]:
    """A delivery for each enabled endpoint of the workspace subscribed to the event."""
    body = envelope(event_type, public_data(event_type, data), at).decode()
    hooks = await Webhook.filter(workspace_id=workspace_id, enabled=True).order_by("id")
    delivery_ids = []
    for hook in hooks:
        if event_type not in hook.events:
            continue
        msg_id = message_id(event_id, hook.id)
        delivery = await WebhookDelivery.get_or_none(msg_id=msg_id)
        if delivery is None:
            try:
                delivery = await WebhookDelivery.create(
                    webhook_id=hook.id, msg_id=msg_id, event=event_type, payload=body
                )
            except IntegrityError:  # a twin run of this job got there first
                delivery = await WebhookDelivery.get(msg_id=msg_id)
        if delivery.attempts == 0 and delivery.status == PENDING:
            # The job id makes this a no-op when the twin run queued it already.
            await jobs.deliver_webhook(delivery.id, series=delivery.series, attempt=0)
        delivery_ids.append(delivery.id)
    return delivery_ids


@dataclass
class Outcome:
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Sender:
    """Makes attempts. Its clients come from the worker, so a test can hand in its own."""

    http: httpx.AsyncClient
    jobs: Jobs
    allow_private: bool
    timeout: float = WEBHOOK_TIMEOUT
    clock: Callable[[], datetime] = _utcnow
    rng: Random = field(default_factory=random.Random)

    async def deliver(
        self, delivery_id: int, series: int, attempt: int, *, rerun: bool = False
    ) -> str:
        """Attempt number `attempt + 1` of a delivery, in the schedule that started at
        attempt `series`; what happened, in one word.

        `rerun`: arq runs this job again after it crashed or its worker died; an attempt it
        claimed but never recorded is then made (at least once, as webhooks promise)."""
        delivery = await WebhookDelivery.get_or_none(id=delivery_id)
        if delivery is None:
            return "gone"  # the endpoint was deleted
        if delivery.series > series:
            return "stale"  # overtaken by a redelivery, which queued its own job
        if rerun and delivery.attempts == attempt + 1:
            await release_unrecorded(delivery)
        if delivery.status != PENDING or delivery.attempts != attempt:
            return "stale"  # succeeded, given up, or overtaken by a redelivery
        webhook = await Webhook.get(id=delivery.webhook_id)
        if not webhook.enabled:
            await WebhookDelivery.filter(id=delivery.id, status=PENDING).update(
                status=FAILED,
                next_attempt_at=None,
                last_error="Not sent: the webhook is disabled.",
            )
            return "disabled"
        # A job whose series is past the row's was queued before rows stored theirs (the
        # column's default 0 is wrong for a delivery redelivered then): the row takes it.
        claimed = await WebhookDelivery.filter(
            id=delivery.id, status=PENDING, attempts=attempt, series=delivery.series
        ).update(attempts=attempt + 1, series=series)
        if not claimed:
            return "stale"
        delivery.series = series

        started = self.clock()
        clock_start = time.monotonic()
        outcome = await self._post(webhook, delivery, started)
        duration_ms = round((time.monotonic() - clock_start) * 1000)
        error = outcome.error or (None if outcome.ok else _status_error(outcome.status))
        await WebhookAttempt.create(
            delivery_id=delivery.id,
            number=attempt + 1,
            started_at=started,
            duration_ms=duration_ms,
            response_status=outcome.status,
            error=_clip(error),
        )
        return await self._settle(webhook, delivery, attempt + 1, outcome, error)

    async def _post(self, webhook: Webhook, delivery: WebhookDelivery, now: datetime) -> Outcome:
        body = delivery.payload.encode()
        headers = signed_headers(webhook.secret, delivery.msg_id, int(now.timestamp()), body)
        url, extensions = webhook.url, dict[str, Any]()
        try:
            async with asyncio.timeout(self.timeout):
                if not self.allow_private:
                    # Resolve and check now, then connect to that very address: a DNS answer
                    # that changed since the endpoint was saved cannot reach inside.
                    addresses = await resolve_public(webhook.url, allow_private=False)
                    url, host, extensions = pinned(webhook.url, addresses[0])
                    headers["host"] = host
                request = self.http.build_request(
                    "POST",
                    url,
                    content=body,
                    headers=headers,
                    extensions=extensions,
                    timeout=self.timeout,
                )
                response = await self.http.send(request, stream=True, follow_redirects=False)
                try:
                    read = 0
                    async for chunk in response.aiter_raw():
                        read += len(chunk)
                        if read > MAX_RESPONSE_READ:
                            break
                finally:
                    await response.aclose()
        except DomainError as refused:  # the SSRF guard
            return Outcome(error=f"Refused: {refused}")
        except (TimeoutError, httpx.TimeoutException):
            return Outcome(error=f"Timed out after {self.timeout:g} s.")
        except httpx.HTTPError as failed:
            return Outcome(
                error=f"{type(failed).__name__}: {failed}" if str(failed) else type(failed).__name__
            )
        retry_after = retry_after_seconds(response.headers.get("retry-after"), self.clock())
        return Outcome(status=response.status_code, retry_after=retry_after)

    async def _settle(
        self,
        webhook: Webhook,
        delivery: WebhookDelivery,
        attempts: int,
        outcome: Outcome,
        error: str | None,
    ) -> str:
        now = self.clock()
        done: dict[str, Any] = {"response_status": outcome.status, "last_error": _clip(error)}
        if outcome.ok:
            await _update(
                delivery, status=SUCCEEDED, delivered_at=now, next_attempt_at=None, **done
            )
            await Webhook.filter(id=webhook.id, failing_since__isnull=False).update(
                failing_since=None
            )
            return "succeeded"
        if outcome.status == 410:
            reason = f"The endpoint answered 410 Gone on {_when(now)}."
            await _disable(webhook, reason)
            await give_up(delivery, attempts, outcome.status, error)
            return "disabled"
        await Webhook.filter(id=webhook.id, failing_since__isnull=True).update(failing_since=now)
        failing_since = webhook.failing_since or now
        if now - failing_since >= timedelta(seconds=WEBHOOK_DISABLE_AFTER):
            reason = f"Every delivery failed since {_when(failing_since)} (3 days or more)."
            await _disable(webhook, reason)
            await give_up(delivery, attempts, outcome.status, error)
            return "disabled"
        delay = next_delay(attempts - delivery.series, self.rng)
        if delay is None:
            await give_up(delivery, attempts, outcome.status, error)
            return "failed"
        if outcome.retry_after is not None:
            delay = max(delay, min(outcome.retry_after, WEBHOOK_RETRY_AFTER_CAP))
        await _update(delivery, next_attempt_at=now + timedelta(seconds=delay), **done)
        await self.jobs.deliver_webhook(
            delivery.id, series=delivery.series, attempt=attempts, defer=delay
        )
        return "retrying"


async def release_unrecorded(delivery: WebhookDelivery) -> bool:
    """Give back the number of an attempt that was claimed but never recorded, so that the
    attempt is made again (at least once, as webhooks promise). False when the row moved on
    from what `delivery` says meanwhile (another run gave the claim back, or took the next).

    For a job arq runs again after its worker died, and for the sweep of lost jobs. Only
    call it when no job is making that attempt: this cannot tell a dead one from a slow one.
    """
    claimed = delivery.attempts
    if delivery.status != PENDING or claimed == 0:
        return True
    if await WebhookAttempt.exists(delivery_id=delivery.id, number=claimed):
        return True
    released = await WebhookDelivery.filter(
        id=delivery.id, status=PENDING, attempts=claimed
    ).update(attempts=claimed - 1)
    if released:
        delivery.attempts = claimed - 1
    return bool(released)


async def give_up(
    delivery: WebhookDelivery, attempts: int, response_status: int | None, error: str | None
) -> bool:
    """End a delivery FAILED with its last answer, unless it moved on meanwhile (ended,
    another attempt claimed, or redelivered); whether it did."""
    ended = await WebhookDelivery.filter(
        id=delivery.id, status=PENDING, attempts=attempts, series=delivery.series
    ).update(
        status=FAILED,
        next_attempt_at=None,
        response_status=response_status,
        last_error=_clip(error),
    )
    return bool(ended)


def pinned(url: str, address: str) -> tuple[str, str, dict[str, Any]]:
    """`url` aimed at `address`: the URL to connect to, the Host header, and (for https) the
    TLS server name, so the certificate is still checked against the original host."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    userinfo, _, hostport = parts.netloc.rpartition("@")
    literal = f"[{address}]" if ":" in address else address
    netloc = literal + (f":{parts.port}" if parts.port else "")
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), hostport, extensions


async def _update(delivery: WebhookDelivery, **values: Any) -> None:
    await WebhookDelivery.filter(id=delivery.id).update(**values)


async def _disable(webhook: Webhook, reason: str) -> None:
    await Webhook.filter(id=webhook.id, enabled=True).update(enabled=False, disabled_reason=reason)


def _status_error(status: int | None) -> str:
    if status is not None and 300 <= status < 400:
        return f"HTTP {status} (redirects are not followed)."
    return f"HTTP {status}."


def _clip(text: str | None) -> str | None:
    return text if text is None or len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)
