"""Recording a scan on the request path: one XADD, or the local spool when Redis is down."""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis

from app.domain.breaker import REDIS_DOWN, RedisBreaker
from app.domain.scans.spool import Spool
from workers import constants

log = logging.getLogger("qrforge.scans")


class ScanRecorder:
    def __init__(self, redis: Redis, namespace: str, spool: Spool, breaker: RedisBreaker) -> None:
        self.redis = redis
        self.stream = constants.key(constants.SCAN_STREAM, namespace)
        self.spool = spool
        self.breaker = breaker

    async def record(self, entry: dict[str, str]) -> None:
        """Append the scan to the stream; never raises for an unreachable Redis."""
        if self.breaker.closed:
            try:
                await self.redis.xadd(
                    self.stream,
                    entry,  # type: ignore[arg-type]
                    maxlen=constants.SCAN_STREAM_MAXLEN,
                    approximate=True,
                )
                self.breaker.succeeded()
                return
            except REDIS_DOWN:
                # A timeout may hide an append that happened: the spooled copy then becomes
                # a duplicate in the stream, which the idempotent insert drops.
                self.breaker.failed()
        self.spool.append(entry)

    async def replay(self) -> int:
        """Move spooled scans into the stream; returns how many (0 if Redis is still down)."""
        if not self.spool.pending():
            return 0
        try:
            sent = await self.spool.replay(self._append_many, constants.SPOOL_REPLAY_BATCH)
        except REDIS_DOWN:
            return 0
        if sent:
            log.info("replayed %d spooled scans into the stream", sent)
        return sent

    async def _append_many(self, entries: list[dict[str, str]]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry in entries:
                pipe.xadd(
                    self.stream,
                    entry,  # type: ignore[arg-type]
                    maxlen=constants.SCAN_STREAM_MAXLEN,
                    approximate=True,
                )
            await pipe.execute()

    async def run_replayer(self, interval: float = constants.SPOOL_REPLAY_INTERVAL) -> None:
        """Replay the spool whenever there is something in it, until cancelled."""
        while True:
            try:
                await self.replay()
            except Exception:  # a damaged file must not stop the replayer for good
                log.exception("spool replay failed")
            await asyncio.sleep(interval)
