from __future__ import annotations

from app.security.throttle import Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_gets_its_burst_then_refills_over_time() -> None:
    clock = Clock()
    throttle = Throttle(60, clock=clock)
    assert all(throttle.allow("ip|slug") for _ in range(60))
    assert not throttle.allow("ip|slug")
    clock.now += 1  # one token a second at 60 a minute
    assert throttle.allow("ip|slug")
    assert not throttle.allow("ip|slug")


def test_one_key_running_dry_leaves_others_alone() -> None:
    throttle = Throttle(3, clock=Clock())
    for _ in range(10):
        throttle.allow("hammer")
    assert throttle.allow("someone-else")


def test_memory_is_bounded_by_max_keys() -> None:
    throttle = Throttle(10, max_keys=100, clock=Clock())
    for i in range(1000):
        throttle.allow(f"key-{i}")
    assert len(throttle.buckets) <= 100
