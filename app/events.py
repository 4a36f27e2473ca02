"""Domain events, published over Redis.

Services emit `link.created`, `link.updated`, `link.deleted` (and later scan and bulk
events) through an `Events` they are handed; listeners in every process (redirect caches,
subscriptions) hear them on pub/sub, one channel per family (`link`, `scan`, `bulk`, `key`),
through the one connection per process that `app.hub.EventHub` keeps.
Pub/sub is fire-and-forget: whatever must not be lost (webhook deliveries) is queued as a
job from here too.

Why an arq job rather than a Redis stream for the durable copy: the job is written to Redis
before `emit` returns, survives a worker restart (arq re-runs a job whose worker died), and
the worker that runs it already holds the clients a delivery needs; a stream would add a
consumer group and a reclaim loop that only re-implement that. The job carries the event's
id, type, workspace id, data and time (small JSON-able values, no objects); its arq job id
is derived from the event id, so it is queued once, and `dispatch_event` is idempotent.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from redis.asyncio import Redis

from app.jobs import Jobs

# Seconds between a lost subscription and the next try.
RESUBSCRIBE_DELAY = 0.5
# The events webhooks can subscribe to; only these are queued (durably) for delivery.
WEBHOOK_EVENTS = ("scan.created", "link.created", "link.updated", "link.deleted", "bulk.completed")


class EventSink(Protocol):
    async def emit(self, type: str, workspace_id: int, data: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class Event:
    type: str
    workspace_id: int
    data: dict[str, Any]


def channel(namespace: str, family: str) -> str:
    return f"{namespace}:events:{family}"


def family_of(type: str) -> str:
    return type.partition(".")[0]  # "link.updated" -> "link"


@dataclass
class Events:
    redis: Redis
    namespace: str
    jobs: Jobs

    async def emit(
        self, type: str, workspace_id: int, data: dict[str, Any], *, event_id: str | None = None
    ) -> None:
        """Queue the event for webhooks, then announce it. An `event_id` given makes a second
        emit of the same event a no-op for webhooks (each delivery's id derives from it)."""
        if type in WEBHOOK_EVENTS:
            await self._queue_for_webhooks(
                type, workspace_id, data, event_id or secrets.token_hex(12)
            )
        await self.announce(type, workspace_id, data)

    async def announce(self, type: str, workspace_id: int, data: dict[str, Any]) -> None:
        """Tell the listening processes (caches, subscriptions) only: no webhooks."""
        message = json.dumps({"type": type, "workspace_id": workspace_id, "data": data})
        await self.redis.publish(channel(self.namespace, family_of(type)), message)

    async def announce_many(self, type: str, events: list[tuple[int, dict[str, Any]]]) -> None:
        """`announce` for many events of one type, (workspace id, data) each, in one round
        trip: ingestion announces a batch of scans at once."""
        if not events:
            return
        name = channel(self.namespace, family_of(type))
        async with self.redis.pipeline(transaction=False) as pipe:
            for workspace_id, data in events:
                # orjson: a scan's event is plain values, and a batch has thousands of them.
                message = orjson.dumps({"type": type, "workspace_id": workspace_id, "data": data})
                pipe.publish(name, message)
            await pipe.execute()

    async def _queue_for_webhooks(
        self, type: str, workspace_id: int, data: dict[str, Any], event_id: str
    ) -> None:
        at = datetime.now(UTC).isoformat()
        await self.jobs.dispatch_event(event_id, type, workspace_id, data, at)

    async def listen(
        self, *families: str, on_subscribed: Callable[[], None] | None = None
    ) -> AsyncGenerator[Event, None]:
        """Every event of these families emitted by any process from now on, until the
        caller stops iterating; `on_subscribed` is called once Redis confirms them all. A
        process's listeners share one of these through `app.hub.EventHub`."""
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(*(channel(self.namespace, family) for family in families))
        confirmed = 0
        try:
            async for message in pubsub.listen():
                if message["type"] == "message":
                    body = json.loads(message["data"])
                    yield Event(body["type"], body["workspace_id"], body["data"])
                elif message["type"] == "subscribe":
                    confirmed += 1
                    if confirmed == len(families) and on_subscribed is not None:
                        on_subscribed()
        finally:
            await pubsub.aclose()


class NoEvents:
    """For callers outside a server (the CLI): nothing listens, nothing is sent."""

    async def emit(self, type: str, workspace_id: int, data: dict[str, Any]) -> None:
        return None
