"""ScanLimiter over a fake Redis: exact while Redis answers, per process while it does not."""

from __future__ import annotations

import dataclasses

from app.domain.breaker import RedisBreaker
from app.domain.links.limits import ScanLimiter
from tests.unit.domain.links.test_redirector import a_link
from tests.unit.fakes import FakeClock, FakeRedis


def limiter(redis: FakeRedis, clock: FakeClock | None = None) -> ScanLimiter:
    return ScanLimiter(redis, "t", RedisBreaker(1.0, clock or FakeClock()))  # type: ignore[arg-type]


async def test_a_link_without_a_limit_never_asks_redis() -> None:
    redis = FakeRedis()
    assert await limiter(redis).take(a_link())
    assert redis.calls == 0


async def test_the_limit_counts_from_the_stored_count_and_holds() -> None:
    redis = FakeRedis()
    scans = limiter(redis)
    link = a_link(scan_limit=3, scan_count=1)  # one scan stored before
    assert [await scans.take(link) for _ in range(4)] == [True, True, False, False]
    assert redis.values["t:link:1:scans"] == b"3"  # refused scans are given back


async def test_while_redis_is_down_the_limit_holds_per_process_then_redis_again() -> None:
    redis, clock = FakeRedis(), FakeClock()
    scans = limiter(redis, clock)
    link = a_link(scan_limit=2)
    redis.down = True
    assert [await scans.take(link) for _ in range(3)] == [True, True, False]
    calls = redis.calls
    await scans.take(link)
    assert redis.calls == calls  # the breaker is open: Redis is not waited for
    redis.down, clock.now = False, clock.now + 1.0
    assert await scans.take(dataclasses.replace(link, scan_count=0))
    assert redis.values["t:link:1:scans"] == b"1"
