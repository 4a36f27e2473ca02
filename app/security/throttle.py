"""An in-process token bucket per key, for the redirect's hot path.

The API-key limits live in Redis (app.security.ratelimit); here a Redis round trip per scan
would cost more than the abuse it stops. Each process keeps its own buckets in a bounded
TTL cache, so a flood of distinct keys cannot grow memory without limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cachetools import TTLCache


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
