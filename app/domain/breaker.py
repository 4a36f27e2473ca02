"""A circuit breaker for the redirect's Redis calls.

When Redis stops answering, every redirect would otherwise wait out a socket timeout. After
one failure the hot path skips Redis for a short back-off (scans go to the local spool,
links come from the process cache or the database); the first request after it tries again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# What "Redis is unreachable" looks like; anything else is a bug and propagates.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


class RedisBreaker:
    def __init__(self, backoff: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.backoff = backoff
        self.clock = clock
        self._open_until = 0.0

    @property
    def closed(self) -> bool:
        """True when Redis may be tried."""
        return self._open_until == 0.0 or self.clock() >= self._open_until

    def failed(self) -> None:
        self._open_until = self.clock() + self.backoff

    def succeeded(self) -> None:
        self._open_until = 0.0
