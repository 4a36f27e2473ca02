"""ScanRecorder over a fake Redis and spool: redirects arriving together share one XADD;
with Redis down, scans go to the spool at once and are replayed later."""

from __future__ import annotations

import asyncio

from app.domain.breaker import RedisBreaker
from app.domain.scans.recorder import ScanRecorder
from app.domain.scans.stream import decode, unpack
from tests.unit.fakes import FakeClock, FakeRedis


class FakeSpool:
    def __init__(self) -> None:
        self.lines: list[bytes] = []

    def append(self, line: bytes) -> None:
        self.lines.append(line)

    def pending(self) -> bool:
        return bool(self.lines)

    async def replay(self, send, batch: int) -> int:  # type: ignore[no-untyped-def]
        lines = list(self.lines)  # kept until every batch is sent, as the real spool does
        for start in range(0, len(lines), batch):
            await send(lines[start : start + batch])
        del self.lines[: len(lines)]
        return len(lines)


def recorder(redis: FakeRedis, clock: FakeClock | None = None) -> tuple[ScanRecorder, FakeSpool]:
    spool = FakeSpool()
    breaker = RedisBreaker(1.0, clock or FakeClock())
    return ScanRecorder(redis, "t", spool, breaker), spool  # type: ignore[arg-type]


def scan(n: int) -> dict[str, str]:
    return {"e": f"evt{n}", "l": "1", "w": "7", "t": "1.0", "s": "QR", "m": "GET"}


async def test_scans_arriving_together_share_one_stream_entry() -> None:
    redis = FakeRedis()
    scans, spool = recorder(redis)
    await asyncio.gather(*(scans.record(scan(n)) for n in range(5)))
    [entry] = redis.streams["t:scans"]
    lines = unpack({k.encode(): v for k, v in entry.items()})
    assert sorted(decode(line)["e"] for line in lines) == [f"evt{n}" for n in range(5)]
    assert spool.lines == []


async def test_with_redis_down_scans_are_spooled_and_replayed_once_it_answers() -> None:
    redis, clock = FakeRedis(), FakeClock()
    scans, spool = recorder(redis, clock)
    redis.down = True
    await scans.record(scan(1))  # the XADD fails: spooled, the request still answers
    calls = redis.calls
    await scans.record(scan(2))  # the breaker is open: straight to the spool
    assert redis.calls == calls and len(spool.lines) == 2
    assert await scans.replay() == 0  # still down
    redis.down, clock.now = False, clock.now + 1.0
    assert await scans.replay() == 2
    assert spool.lines == [] and len(redis.streams["t:scans"]) == 1
