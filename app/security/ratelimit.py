"""Rate limits in Redis: GCRA (the generic cell rate algorithm), one atomic script per hit.

Each bucket keeps one number, the theoretical arrival time (TAT) of the next request. A
request is allowed when it would not push the TAT more than one period past now, which
allows `limit` requests in any period and smooth refill in between. The Redis clock is
used, so every API replica judges the same bucket the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

# Returns {allowed, remaining, retry_after_ms, reset_ms}.
_GCRA = """
local period = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local interval = period / limit
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + interval
if new_tat - now > period then
  return {0, 0, math.ceil(new_tat - now - period), math.ceil(tat - now)}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now))
return {1, math.floor((period - (new_tat - now)) / interval), 0, math.ceil(new_tat - now)}
"""

PERIOD_MS = 60_000


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: float  # seconds until a request would be allowed again
    reset: float  # seconds until the bucket is full again

    def headers(self) -> dict[str, str]:
        reset = str(max(1, round(self.reset + 0.5)) if self.reset else 0)
        values = {"Limit": str(self.limit), "Remaining": str(self.remaining), "Reset": reset}
        headers = {f"RateLimit-{k}": v for k, v in values.items()}
        headers |= {f"X-RateLimit-{k}": v for k, v in values.items()}
        if not self.allowed:
            headers["Retry-After"] = str(max(1, round(self.retry_after + 0.5)))
        return headers


class RateLimiter:
    def __init__(self, redis: Redis, namespace: str) -> None:
        self.namespace = namespace
        self.script = redis.register_script(_GCRA)

    async def hit(self, bucket: str, per_minute: int) -> Decision:
        """Count one request against `bucket`, which allows `per_minute` a minute."""
        allowed, remaining, retry_ms, reset_ms = await self.script(
            keys=[f"{self.namespace}:rl:{bucket}"], args=[PERIOD_MS, per_minute]
        )
        return Decision(bool(allowed), per_minute, int(remaining), retry_ms / 1000, reset_ms / 1000)
