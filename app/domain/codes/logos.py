"""Logos behind https URLs: fetched through the SSRF guard, kept in Redis for a while.

Renders of the same code in several formats and sizes (and the render job after a create)
would otherwise download the same logo again and again.
"""

from __future__ import annotations

import asyncio
import hashlib
from contextlib import suppress
from typing import TYPE_CHECKING, Protocol

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.keys import LOGO_CACHE, key
from app.rendering.logo import fetch_logo, load_logo

if TYPE_CHECKING:
    from app.services import Services


# An hour keeps re-renders from refetching a logo on every miss while a changed logo still
# shows up the same day.
LOGO_CACHE_TTL = 3600


class LogoSource(Protocol):
    async def __call__(self, url: str) -> bytes: ...


class LogoCheck(Protocol):
    """Decodes a logo as a render would; raises InvalidInput when it cannot be drawn."""

    async def __call__(self, data: bytes) -> None: ...


async def check_logo_in_thread(data: bytes) -> None:
    """For callers without render processes (scripts, tests): a process that serves requests
    passes its render pool's `check_logo`, which runs under time and memory limits."""
    await asyncio.to_thread(load_logo, data)


class CachedLogos:
    def __init__(
        self,
        redis: Redis,
        namespace: str,
        *,
        allow_private: bool,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.redis = redis
        self.namespace = namespace
        self.allow_private = allow_private
        self.transport = transport

    @classmethod
    def of(cls, services: Services) -> CachedLogos:
        settings = services.settings
        return cls(
            services.redis,
            settings.redis_namespace,
            allow_private=settings.allow_private_targets,
        )

    def _key(self, url: str) -> str:
        digest = hashlib.sha256(url.encode()).hexdigest()
        return key(LOGO_CACHE, self.namespace, digest=digest)

    async def __call__(self, url: str) -> bytes:
        key = self._key(url)
        with suppress(RedisError, OSError):  # without Redis, every render fetches afresh
            cached = await self.redis.get(key)
            if cached is not None:
                return bytes(cached)
        async with httpx.AsyncClient(transport=self.transport) as client:
            data = await fetch_logo(url, client, allow_private=self.allow_private)
        with suppress(RedisError, OSError):
            await self.redis.set(key, data, ex=LOGO_CACHE_TTL)
        return data
