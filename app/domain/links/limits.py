"""scanLimit, exact across every API process: an atomic counter per link in Redis."""

from __future__ import annotations

from collections import Counter

from redis.asyncio import Redis

from app.domain.breaker import REDIS_DOWN, RedisBreaker
from app.domain.links.resolve import ResolvedLink
from app.keys import SCAN_COUNTER, key

# Seed the counter from the database the first time (or after Redis lost it), then count;
# a scan over the limit is given back, so raising the limit later lets scans through again.
_TAKE = """
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[1]) end
local n = redis.call('INCR', KEYS[1])
if n > tonumber(ARGV[2]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return 1
"""
# Whether a scan would be within the limit, counting nothing (bots and HEAD).
_ROOM = """
local n = redis.call('GET', KEYS[1])
if not n then n = ARGV[1] end
if tonumber(n) < tonumber(ARGV[2]) then return 1 end
return 0
"""


class ScanLimiter:
    def __init__(self, redis: Redis, namespace: str, breaker: RedisBreaker) -> None:
        self.namespace = namespace
        self.breaker = breaker
        self._take = redis.register_script(_TAKE)
        self._room = redis.register_script(_ROOM)
        # Scans let through while Redis was down, per link: the limit then holds per process.
        self._offline: Counter[int] = Counter()

    async def take(self, link: ResolvedLink) -> bool:
        """True if this scan is within the link's limit (and counts it)."""
        limit = link.scan_limit
        if limit is None:
            return True
        if self.breaker.closed:
            counter = key(SCAN_COUNTER, self.namespace, id=link.id)
            try:
                taken = await self._take(keys=[counter], args=[link.scan_count, limit])
                self.breaker.succeeded()
                return bool(taken)
            except REDIS_DOWN:
                self.breaker.failed()
        # Without Redis the count is the database's (as cached) plus what this process let
        # through since: exact for one process, approximate across several.
        if link.scan_count + self._offline[link.id] >= limit:
            return False
        self._offline[link.id] += 1
        return True

    async def has_room(self, link: ResolvedLink) -> bool:
        """True if a scan would be within the limit now; counts nothing."""
        limit = link.scan_limit
        if limit is None:
            return True
        if self.breaker.closed:
            counter = key(SCAN_COUNTER, self.namespace, id=link.id)
            try:
                room = await self._room(keys=[counter], args=[link.scan_count, limit])
                self.breaker.succeeded()
                return bool(room)
            except REDIS_DOWN:
                self.breaker.failed()
        return link.scan_count + self._offline[link.id] < limit
