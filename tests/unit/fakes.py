"""Fakes for the collaborators the redirect core and the Sender are handed: a Redis that
keeps its data in dicts (and can be taken down), a clock that moves when told."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeRedis:
    """GET/SET/DELETE/XADD and the scan limiter's script, in memory; `down` makes every
    call fail as an unreachable Redis does."""

    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}
        self.streams: dict[str, list[dict[Any, Any]]] = {}
        self.down = False
        self.calls = 0

    def _call(self) -> None:
        self.calls += 1
        if self.down:
            raise RedisConnectionError("Redis is down")

    async def get(self, key: str) -> bytes | None:
        self._call()
        return self.values.get(key)

    async def set(self, key: str, value: str | bytes, ex: int | None = None) -> None:
        self._call()
        self.values[key] = value.encode() if isinstance(value, str) else value

    async def delete(self, *keys: str) -> None:
        self._call()
        for key in keys:
            self.values.pop(key, None)

    async def xadd(self, stream: str, fields: dict[Any, Any], **options: Any) -> bytes:
        self._call()
        self.streams.setdefault(stream, []).append(fields)
        return b"0-1"

    def register_script(self, script: str) -> Callable[..., Awaitable[int]]:
        """The scan limiter's script: seed the counter, count, give back over the limit."""

        async def take(keys: list[str], args: list[int]) -> int:
            self._call()
            key, (seed, limit) = keys[0], args
            count = int(self.values.get(key, str(seed).encode())) + 1
            if count > limit:
                self.values[key] = str(count - 1).encode()
                return 0
            self.values[key] = str(count).encode()
            return 1

        return take
