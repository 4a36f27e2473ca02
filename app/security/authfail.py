"""Failed authentications per client IP: past a few a minute, that client's keys are not
even looked at (429) until the minute is over.

Key guessing, or a script with a revoked key in a loop, otherwise costs us a lookup per
request and costs the guesser nothing. Unknown keys count the same as wrong ones. Counted
in Redis (one fixed window a minute per IP, or per IPv6 /64), so every replica agrees.
"""

from __future__ import annotations

from redis.asyncio import Redis

from app.keys import FAILED_AUTH, key
from app.security.client_ip import limit_key

# Bad keys one client may send in a minute: enough for a person pasting the wrong one a few
# times, far too few to guess a 32-character key with.
FAILED_AUTH_PER_MINUTE = 20
WINDOW = 60  # seconds


class FailedAuth:
    def __init__(
        self, redis: Redis, namespace: str, per_minute: int = FAILED_AUTH_PER_MINUTE
    ) -> None:
        self.redis = redis
        self.namespace = namespace
        self.per_minute = per_minute

    def _key(self, ip: str) -> str:
        return key(FAILED_AUTH, self.namespace, client=limit_key(ip))

    async def wait(self, ip: str) -> int | None:
        """Seconds until `ip` may try a key again, or None when it may now."""
        name = self._key(ip)
        count = await self.redis.get(name)
        if count is None or int(count) < self.per_minute:
            return None
        return max(1, int(await self.redis.ttl(name)))

    async def failed(self, ip: str) -> None:
        name = self._key(ip)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, WINDOW, nx=True)
            await pipe.execute()
