"""An in-process token bucket per key, for the redirect's hot path.

The API-key limits live in Redis (app.security.ratelimit); here a Redis round trip per scan
would cost more than the abuse it stops. Each process keeps its own buckets in a bounded
TTL cache, so a flood of distinct keys cannot grow memory without limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cachetools import TTLCache
from redis.exceptions import RedisError

from app.security.ratelimit import RateLimiter


class Throttle:
    def __init__(
        self,
        per_minute: int,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0  # tokens a second
        self.clock = clock
        # A bucket untouched for a minute is full again: forgetting it changes nothing.
        self.buckets: TTLCache[str, tuple[float, float]] = TTLCache(max_keys, ttl=60, timer=clock)

    def allow(self, key: str) -> bool:
        now = self.clock()
        tokens, last = self.buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.refill)
        if tokens < 1:
            self.buckets[key] = (tokens, now)
            return False
        self.buckets[key] = (tokens - 1, now)
        return True


class RedirectGuard:
    """Keeps one client from enumerating slugs or hammering one, without costing scans.

    Misses (unknown slugs) count per client IP in Redis, across every replica; a client
    over its miss budget is refused everything for as long as the limiter says, which this
    process remembers itself, so a valid scan pays one dict lookup, not a Redis round trip.
    Requests for one slug from one client are capped here, per process.
    """

    def __init__(
        self,
        misses: RateLimiter,
        misses_per_minute: int,
        per_slug_per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.misses = misses
        self.misses_per_minute = misses_per_minute
        self.per_slug = Throttle(per_slug_per_minute, clock=clock)
        self.clock = clock
        self.blocked: TTLCache[str, float] = TTLCache(100_000, ttl=60, timer=clock)

    def refusal(self, ip: str | None, slug: str) -> float | None:
        """Seconds the client should wait, or None to let the request through."""
        if ip is None:
            return None
        until = self.blocked.get(ip)
        if until is not None and until > self.clock():
            return until - self.clock()
        if not self.per_slug.allow(f"{ip}|{slug}"):
            return 1.0
        return None

    async def missed(self, ip: str | None) -> None:
        if ip is None:
            return
        try:
            decision = await self.misses.hit(f"miss:{ip}", self.misses_per_minute)
        except (RedisError, OSError):
            return  # without Redis, misses go uncounted rather than scans refused
        if not decision.allowed:
            self.blocked[ip] = self.clock() + decision.retry_after
