from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from app.security.ratelimit import RateLimiter


@pytest.fixture
async def limiter(redis_url: str) -> AsyncIterator[RateLimiter]:
    client = aioredis.Redis.from_url(redis_url)
    namespace = f"qft{uuid.uuid4().hex[:12]}"
    yield RateLimiter(client, namespace)
    keys = [k async for k in client.scan_iter(match=f"{namespace}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_a_bucket_allows_its_limit_then_refuses(limiter: RateLimiter) -> None:
    decisions = [await limiter.hit("key:1", 5) for _ in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions[:5]] == [4, 3, 2, 1, 0]
    refused = decisions[-1]
    assert 0 < refused.retry_after <= 12.1  # one interval: 60 s / 5
    assert refused.headers()["Retry-After"] == str(round(refused.retry_after + 0.5))


async def test_concurrent_hits_never_exceed_the_limit(limiter: RateLimiter) -> None:
    decisions = await asyncio.gather(*(limiter.hit("key:2", 20) for _ in range(50)))
    assert sum(d.allowed for d in decisions) == 20


async def test_buckets_are_independent(limiter: RateLimiter) -> None:
    for _ in range(3):
        await limiter.hit("key:a", 3)
    assert not (await limiter.hit("key:a", 3)).allowed
    assert (await limiter.hit("key:b", 3)).allowed


async def test_headers_carry_both_spellings(limiter: RateLimiter) -> None:
    headers = (await limiter.hit("key:h", 10)).headers()
    assert headers["RateLimit-Limit"] == headers["X-RateLimit-Limit"] == "10"
    assert headers["RateLimit-Remaining"] == headers["X-RateLimit-Remaining"] == "9"
    assert "Retry-After" not in headers
