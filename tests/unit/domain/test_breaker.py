"""RedisBreaker: after a failure Redis is skipped for the back-off, then tried again."""

from __future__ import annotations

from app.domain.breaker import RedisBreaker
from tests.unit.fakes import FakeClock


def test_a_new_breaker_lets_redis_be_tried() -> None:
    assert RedisBreaker(1.0, FakeClock()).closed


def test_a_failure_opens_it_for_the_back_off_only() -> None:
    clock = FakeClock()
    breaker = RedisBreaker(1.0, clock)
    breaker.failed()
    assert not breaker.closed
    clock.now += 0.999
    assert not breaker.closed
    clock.now += 0.001
    assert breaker.closed  # the next request tries again


def test_a_success_closes_it_at_once() -> None:
    breaker = RedisBreaker(60.0, FakeClock())
    breaker.failed()
    breaker.succeeded()
    assert breaker.closed
