"""Recording a scan on the request path: one XADD, or the local spool when Redis is down.

Redirects that arrive together share one XADD (group commit): each request queues its
scan and waits; one flusher at a time appends every queued scan as one stream entry.
Each request answers only once its scan is in the stream (or, when Redis is unreachable,
in the spool), so a 302 never outruns its scan.
"""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis

from app.domain.breaker import REDIS_DOWN, RedisBreaker
from app.domain.scans.spool import Spool
from app.domain.scans.stream import encode, pack
from app.keys import SCAN_STREAM, key

log = logging.getLogger("qrforge.scans")

# The most scans one stream entry carries; a busier moment makes more entries. Also the
# scans per XADD when replaying the spool.
SCANS_PER_ENTRY = 200
# A memory bound, not a retention policy: entries are acknowledged within seconds, so the
# stream only gets this long when ingestion has been down for a long time; past it the oldest
# entries are trimmed (approximately, which is what keeps XADD O(1)).
SCAN_STREAM_MAXLEN = 1_000_000
# How often the spool of scans written while Redis was down is replayed into the stream.
SPOOL_REPLAY_INTERVAL = 1.0


class ScanRecorder:
    def __init__(self, redis: Redis, namespace: str, spool: Spool, breaker: RedisBreaker) -> None:
        self.redis = redis
        self.stream = key(SCAN_STREAM, namespace)
        self.spool = spool
        self.breaker = breaker
        self._queue: list[tuple[bytes, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def record(self, entry: dict[str, str]) -> None:
        """Append the scan to the stream; never raises for an unreachable Redis."""
        line = encode(entry)
        if not self.breaker.closed:
            self.spool.append(line)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((line, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        try:
            while self._queue:
                batch = self._queue[:SCANS_PER_ENTRY]
                del self._queue[:SCANS_PER_ENTRY]
                error: BaseException | None = None
                try:
                    await self._append([line for line, _ in batch])
                    self.breaker.succeeded()
                except REDIS_DOWN:
                    # A timeout may hide appends that happened: their spooled copies become
                    # duplicates in the stream, which the idempotent insert drops.
                    self.breaker.failed()
                    for line, _ in batch:
                        self.spool.append(line)
                except Exception as unexpected:  # a bug: the requests waiting should see it
                    error = unexpected
                for _, future in batch:
                    if not future.done():  # the request may have gone (client hung up)
                        if error is None:
                            future.set_result(None)
                        else:
                            future.set_exception(error)
        finally:
            self._flusher = None

    async def _append(self, lines: list[bytes]) -> None:
        await self.redis.xadd(self.stream, pack(lines), maxlen=SCAN_STREAM_MAXLEN, approximate=True)

    async def replay(self) -> int:
        """Move spooled scans into the stream; returns how many (0 if Redis is still down)."""
        if not self.spool.pending():
            return 0
        try:
            sent = await self.spool.replay(self._append, SCANS_PER_ENTRY)
        except REDIS_DOWN:
            return 0
        if sent:
            log.info("replayed %d spooled scans into the stream", sent)
        return sent

    async def run_replayer(self, interval: float = SPOOL_REPLAY_INTERVAL) -> None:
        """Replay the spool whenever there is something in it, until cancelled."""
        while True:
            try:
                await self.replay()
            except Exception:  # a damaged file must not stop the replayer for good
                log.exception("spool replay failed")
            await asyncio.sleep(interval)
