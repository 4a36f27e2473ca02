"""In-process limits for the redirect's hot path.

The API-key limits live in Redis (app.security.ratelimit); here a Redis round trip per scan
would cost more than the abuse it stops. State is plain dicts, the cheapest thing to touch
on every scan; when one grows past its bound it is simply cleared, which only forgives
(a forgotten bucket is a full bucket), so memory stays bounded at no cost to anyone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

from redis.exceptions import RedisError

from app.security.client_ip import limit_key
from app.security.ratelimit import RateLimiter

MAX_KEYS = 100_000
# Password attempts one client may make on one link: plenty for a person who mistypes, far
# too few to guess with (argon2 already makes each attempt cost ~100 ms of our CPU).
PASSWORD_ATTEMPTS_PER_MINUTE = 10


class Throttle:
    """A token bucket per key: `per_minute` requests in a burst, refilled evenly."""

    def __init__(
        self,
        per_minute: int,
        *,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0  # tokens a second
        self.max_keys = max_keys
        self.clock = clock
        self.buckets: dict[Hashable, tuple[float, float]] = {}

    def allow(self, key: Hashable) -> bool:
        now = self.clock()
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.max_keys:
                self.buckets.clear()
            self.buckets[key] = (self.capacity - 1, now)
            return True
        tokens = min(self.capacity, bucket[0] + (now - bucket[1]) * self.refill)
        if tokens < 1:
            self.buckets[key] = (tokens, now)
            return False
        self.buckets[key] = (tokens - 1, now)
        return True


class RedirectGuard:
    """Keeps one client from enumerating slugs or hammering one, without costing scans.

    Misses (unknown slugs) count per client IP in Redis, across every replica; a client
    over its miss budget is refused everything for as long as the limiter says, which this
    process remembers itself, so a valid scan pays a dict lookup, not a Redis round trip.
    Requests for one slug from one client are capped here, per process. Password attempts
    count per client and link in Redis (here, per process, while Redis is down). An IPv6
    client is counted by its /64 throughout.
    """

    def __init__(
        self,
        limiter: RateLimiter,
        misses_per_minute: int,
        per_slug_per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limiter = limiter
        self.misses_per_minute = misses_per_minute
        self.per_slug = Throttle(per_slug_per_minute, clock=clock)
        self.attempts = Throttle(PASSWORD_ATTEMPTS_PER_MINUTE, clock=clock)
        self.clock = clock
        self.blocked: dict[str, float] = {}  # client IP -> refused until (clock time)

    def refusal(self, ip: str | None, slug: str) -> float | None:
        """Seconds the client should wait, or None to let the request through."""
        if ip is None:
            return None
        ip = limit_key(ip)
        if self.blocked:
            until = self.blocked.get(ip)
            if until is not None:
                wait = until - self.clock()
                if wait > 0:
                    return wait
                del self.blocked[ip]
        if not self.per_slug.allow((ip, slug)):
            return 1.0
        return None

    async def missed(self, ip: str | None) -> None:
        if ip is None:
            return
        ip = limit_key(ip)
        try:
            decision = await self.limiter.hit(f"miss:{ip}", self.misses_per_minute)
        except (RedisError, OSError):
            return  # without Redis, misses go uncounted rather than scans refused
        if not decision.allowed:
            if len(self.blocked) >= MAX_KEYS:
                self.blocked.clear()
            self.blocked[ip] = self.clock() + decision.retry_after

    async def password_attempt(self, ip: str | None, slug: str) -> float | None:
        """Seconds the client should wait before trying this link's password again, or None."""
        ip = limit_key(ip) if ip is not None else None
        try:
            decision = await self.limiter.hit(f"password:{ip}:{slug}", PASSWORD_ATTEMPTS_PER_MINUTE)
        except (RedisError, OSError):
            return None if self.attempts.allow((ip, slug)) else 60 / PASSWORD_ATTEMPTS_PER_MINUTE
        return None if decision.allowed else decision.retry_after
