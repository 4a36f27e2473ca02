"""Turning events into deliveries, and due deliveries into signed HTTP requests.

    dispatch()          one event -> one WebhookDelivery per subscribed endpoint, due now
    Sender.attempt()    one attempt of a due delivery: claim, check the target, POST, record,
                        then succeed, schedule the next try, or give up (maybe disabling the
                        endpoint)

The row is the schedule: a PENDING delivery is due at `next_attempt_at`, and the delivery
loop (app.domain.webhooks.loop) makes the attempts of due rows. An attempt is claimed with
one conditional UPDATE that takes its number and moves `next_attempt_at` a lease ahead, so
two loops never make the same attempt. An attempt whose worker died before recording it is
just a due row once its lease is over: it is made again under the same number (at least
once, as webhooks promise). Both steps are safe to run twice: a delivery's `msg_id` derives
from the event id and the endpoint, so a repeated dispatch finds the row it made.
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
from tortoise.expressions import Q

from app.domain.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from app.domain.webhooks.schedule import (
    DISABLE_AFTER,
    RETRY_AFTER_CAP,
    RETRY_SCHEDULE,
    Random,
    next_delay,
    retry_after_seconds,
)
from app.domain.webhooks.signing import envelope, signed_headers
from app.errors import DomainError
from app.ids import global_id
from app.security.ssrf import resolve_public

PENDING, SUCCEEDED, FAILED = "PENDING", "SUCCEEDED", "FAILED"
MAX_ERROR = 500  # the column's width
# Enough of a response to keep its connection reusable; the body itself is not kept.
MAX_RESPONSE_READ = 16 * 1024
# Standard Webhooks' advice: a receiver answers at once and works later; 10 s is generous.
WEBHOOK_TIMEOUT = 10.0
# How long a claimed attempt keeps its row from being due again: far beyond the timeout of
# its request, so only an attempt whose worker died is ever made a second time.
ATTEMPT_LEASE = 60.0
# Which object the "id" of each event family names, for global ids in payloads.
_ID_TYPES = {"link": "Link", "scan": "Scan", "bulk": "BulkJob"}
_REFERENCE_TYPES = {"link_id": "Link", "qr_code_id": "QrCode", "design_id": "Design"}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def due(now: datetime) -> Q:
    """The PENDING deliveries whose next attempt is due by `now`."""
    return Q(status=PENDING, next_attempt_at__lte=now)


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
    event_id: str, event_type: str, workspace_id: int, data: dict[str, Any], at: datetime
) -> list[int]:
    """A delivery, due now, for each enabled endpoint of the workspace subscribed to the
    event."""
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
                    webhook_id=hook.id,
                    msg_id=msg_id,
                    event=event_type,
                    payload=body,
                    next_attempt_at=_utcnow(),
                )
            except IntegrityError:  # a twin run of this job got there first
                delivery = await WebhookDelivery.get(msg_id=msg_id)
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
    allow_private: bool
    timeout: float = WEBHOOK_TIMEOUT
    lease: float = ATTEMPT_LEASE
    clock: Callable[[], datetime] = _utcnow
    rng: Random = field(default_factory=random.Random)

    async def attempt(self, delivery_id: int) -> str:
        """The attempt a due delivery waits for; what happened, in one word ("stale": not
        due, or claimed by another loop first)."""
        delivery = await WebhookDelivery.get_or_none(id=delivery_id)
        if delivery is None:
            return "gone"  # the endpoint was deleted
        now = self.clock()
        if delivery.status != PENDING or not _is_due(delivery, now):
            return "stale"  # settled, or an attempt of it is in flight
        claimed = delivery.attempts
        last = await _recorded(delivery, claimed)
        webhook = await Webhook.get_or_none(id=delivery.webhook_id)
        if webhook is None:
            return "gone"
        if not webhook.enabled:
            ended = await _pending(delivery, claimed).update(
                status=FAILED,
                next_attempt_at=None,
                last_error="Not sent: the webhook is disabled.",
            )
            return "disabled" if ended else "stale"
        lost = claimed > 0 and last is None  # its worker died before recording it
        if last is not None and claimed > delivery.series:
            # Recorded, then its worker died before settling it: settle it now, as its
            # worker would have, rather than send the message once more.
            if 200 <= (last.response_status or 0) < 300:
                done = await _pending(delivery, claimed).update(
                    status=SUCCEEDED, next_attempt_at=None, delivered_at=last.started_at
                )
                return "succeeded" if done else "stale"
            if claimed - delivery.series >= len(RETRY_SCHEDULE):
                done = await give_up(delivery, claimed, last.response_status, last.error)
                return "failed" if done else "stale"
        number = claimed if lost else claimed + 1
        # The claim: one loop wins; the row is not due again until the lease is over.
        won = await WebhookDelivery.filter(due(now), id=delivery.id, attempts=claimed).update(
            attempts=number, next_attempt_at=now + timedelta(seconds=self.lease)
        )
        if not won:
            return "stale"
        delivery.attempts = number

        started = self.clock()
        clock_start = time.monotonic()
        outcome = await self._post(webhook, delivery, started)
        duration_ms = round((time.monotonic() - clock_start) * 1000)
        error = outcome.error or (None if outcome.ok else _status_error(outcome.status))
        try:
            await WebhookAttempt.create(
                delivery_id=delivery.id,
                number=number,
                started_at=started,
                duration_ms=duration_ms,
                response_status=outcome.status,
                error=_clip(error),
            )
        except IntegrityError:
            return "gone"  # the endpoint was deleted meanwhile, its deliveries with it
        return await self._settle(webhook, delivery, outcome, error)

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
        self, webhook: Webhook, delivery: WebhookDelivery, outcome: Outcome, error: str | None
    ) -> str:
        now = self.clock()
        attempts = delivery.attempts
        done: dict[str, Any] = {"response_status": outcome.status, "last_error": _clip(error)}
        if outcome.ok:
            await _pending(delivery, attempts).update(
                status=SUCCEEDED, delivered_at=now, next_attempt_at=None, **done
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
        if now - failing_since >= timedelta(seconds=DISABLE_AFTER):
            reason = f"Every delivery failed since {_when(failing_since)} (3 days or more)."
            await _disable(webhook, reason)
            await give_up(delivery, attempts, outcome.status, error)
            return "disabled"
        # The schedule as it is now: a redelivery while this attempt was in flight started
        # a new one (app.domain.webhooks.services.redeliver).
        await delivery.refresh_from_db(fields=["series"])
        delay = next_delay(attempts - delivery.series, self.rng)
        if delay is None:
            await give_up(delivery, attempts, outcome.status, error)
            return "failed"
        if outcome.retry_after is not None:
            delay = max(delay, min(outcome.retry_after, RETRY_AFTER_CAP))
        await _pending(delivery, attempts).update(
            next_attempt_at=now + timedelta(seconds=delay), **done
        )
        return "retrying"


def _is_due(delivery: WebhookDelivery, now: datetime) -> bool:
    return delivery.next_attempt_at is not None and delivery.next_attempt_at <= now


def _pending(delivery: WebhookDelivery, attempts: int) -> Any:
    """The delivery's row, if it is still PENDING with that many attempts claimed."""
    return WebhookDelivery.filter(id=delivery.id, status=PENDING, attempts=attempts)


async def _recorded(delivery: WebhookDelivery, number: int) -> WebhookAttempt | None:
    if number == 0:
        return None
    return await WebhookAttempt.get_or_none(delivery_id=delivery.id, number=number)


async def give_up(
    delivery: WebhookDelivery, attempts: int, response_status: int | None, error: str | None
) -> bool:
    """End a delivery FAILED with its last answer, unless it moved on meanwhile (ended, or
    another attempt claimed); whether it did."""
    ended = await _pending(delivery, attempts).update(
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
