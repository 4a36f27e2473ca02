"""Domain events, published over Redis.

Services emit `link.created`, `link.updated`, `link.deleted` (and later scan and bulk
events) through an `Events` they are handed; listeners in every process (redirect caches,
subscriptions) hear them on one pub/sub channel per deployment. Pub/sub is fire-and-forget:
whatever must not be lost (webhook deliveries) is queued as a job from here too.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis


class EventSink(Protocol):
    async def emit(self, type: str, workspace_id: int, data: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class Event:
    type: str
    workspace_id: int
    data: dict[str, Any]


def channel(namespace: str) -> str:
    return f"{namespace}:events"


@dataclass
class Events:
    redis: Redis
    namespace: str

    async def emit(self, type: str, workspace_id: int, data: dict[str, Any]) -> None:
        message = json.dumps({"type": type, "workspace_id": workspace_id, "data": data})
        await self.redis.publish(channel(self.namespace), message)

    async def listen(self) -> AsyncIterator[Event]:
        """Every event emitted by any process from now on, until the caller stops iterating."""
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(channel(self.namespace))
        try:
            async for message in pubsub.listen():
                if message["type"] == "message":
                    body = json.loads(message["data"])
                    yield Event(body["type"], body["workspace_id"], body["data"])
        finally:
            await pubsub.aclose()


class NoEvents:
    """For callers outside a server (the CLI): nothing listens, nothing is sent."""

    async def emit(self, type: str, workspace_id: int, data: dict[str, Any]) -> None:
        return None
