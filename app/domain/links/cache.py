"""Links for the redirect: this process's TTL cache, then Redis, then the database.

An update or delete reaches every process through the `link.*` events: `follow()` evicts
the slug (old and new) here and in Redis as soon as the event arrives. The TTLs only bound
staleness when an event is missed (the listener reconnecting after a Redis restart, when the
whole process cache is dropped anyway).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import asyncpg
from cachetools import TTLCache
from redis.asyncio import Redis

from app.domain.breaker import REDIS_DOWN, RedisBreaker
from app.domain.links import slugs
from app.domain.links.models import Link
from app.domain.links.resolve import ResolvedLink
from app.hub import GAP, EventHub
from app.keys import LINK_CACHE, key

log = logging.getLogger("qrforge.links")

# Seconds a link stays in Redis and in each process; updates and deletes evict it at once
# through pub/sub, the TTLs only bound staleness when an event is missed (Redis restart).
LINK_CACHE_TTL = 300
LOCAL_LINK_CACHE_TTL = 30
LOCAL_LINK_CACHE_SIZE = 50_000
# An unknown slug is remembered briefly so a flood of bad slugs does not reach the database;
# `link.created` evicts it, so a new link works at once.
MISSING_LINK_TTL = 5

# What a query raises on a connection the database dropped (a restart, a failover) before
# the pool noticed: a scan is worth one more try, on a fresh connection.
DB_DROPPED = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    ConnectionError,
)


async def load_link(slug: str) -> ResolvedLink | None:
    """The link from the database (the cache's source of truth)."""
    try:
        model = await Link.get_or_none(slug=slug)
    except DB_DROPPED:  # the pool has replaced the dead connection by now
        model = await Link.get_or_none(slug=slug)
    return None if model is None else ResolvedLink.of(model)


class LinkCache:
    def __init__(
        self,
        redis: Redis,
        namespace: str,
        breaker: RedisBreaker,
        *,
        load: Callable[[str], Awaitable[ResolvedLink | None]] = load_link,
        ttl: int = LINK_CACHE_TTL,
        local_ttl: float = LOCAL_LINK_CACHE_TTL,
        size: int = LOCAL_LINK_CACHE_SIZE,
        missing_ttl: float = MISSING_LINK_TTL,
    ) -> None:
        self.redis = redis
        self.namespace = namespace
        self.breaker = breaker
        self.load = load
        self.ttl = ttl
        # slug -> (expiry, link): a plain dict, because the hit is the hot path and a
        # TTLCache lookup costs several times a dict's; full, it forgets the oldest entry.
        self._local: dict[str, tuple[float, ResolvedLink]] = {}
        self.local_ttl = local_ttl
        self.size = size
        self._missing: TTLCache[str, bool] = TTLCache(maxsize=size, ttl=missing_ttl)
        # Bumped by every eviction: a lookup that straddled one does not cache what it read,
        # since that may be the row as it was before the change.
        self._generation = 0

    async def get(self, slug: str) -> ResolvedLink | None:
        hit = self._local.get(slug)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        if slug in self._missing:
            return None
        generation = self._generation
        link = await self._load(slug, generation)
        if generation == self._generation:
            if link is None:
                self._missing[slug] = True
            else:
                self._remember(slug, link)
        return link

    def _remember(self, slug: str, link: ResolvedLink) -> None:
        self._local.pop(slug, None)  # re-inserted last: the dict's order is the age order
        if len(self._local) >= self.size:
            del self._local[next(iter(self._local))]
        self._local[slug] = (time.monotonic() + self.local_ttl, link)

    async def _load(self, slug: str, generation: int) -> ResolvedLink | None:
        if not slugs.could_exist(slug):
            return None
        key = self._key(slug)
        if self.breaker.closed:
            try:
                cached = await self.redis.get(key)
                self.breaker.succeeded()
                if cached is not None:
                    return ResolvedLink.from_json(cached)
            except REDIS_DOWN:
                self.breaker.failed()
        link = await self.load(slug)
        if link is None:
            return None
        if self.breaker.closed and generation == self._generation:
            try:
                await self.redis.set(key, link.to_json(), ex=self.ttl)
            except REDIS_DOWN:
                self.breaker.failed()
        return link

    def _key(self, slug: str) -> str:
        return key(LINK_CACHE, self.namespace, slug=slug)

    def evict(self, *slugs: str) -> None:
        """Forget slugs in this process."""
        self._generation += 1
        for slug in slugs:
            self._local.pop(slug, None)
            self._missing.pop(slug, None)

    def clear(self) -> None:
        self._generation += 1
        self._local.clear()
        self._missing.clear()

    async def forget(self, *slugs: str) -> None:
        """Forget slugs here and in Redis."""
        self.evict(*slugs)
        try:
            await self.redis.delete(*(self._key(slug) for slug in slugs))
        except REDIS_DOWN:
            pass  # every process's listener deletes it too; the TTL is the last resort

    async def follow(self, hub: EventHub) -> None:
        """Evict links as their events arrive, until cancelled; survives Redis restarts."""
        async with hub.follow("link", gaps=True) as feed:  # created, updated, deleted
            async for event in feed:
                if event is GAP:  # events may have been missed while the hub was away
                    self.clear()
                    continue
                slugs = {event.data.get("slug"), event.data.get("old_slug")}
                known = [slug for slug in slugs if isinstance(slug, str)]
                try:
                    if event.type == "link.created":
                        self.evict(*known)  # only a "missing" mark can be in the way
                    elif known:
                        await self.forget(*known)
                except Exception:
                    log.exception("link event listener failed")
