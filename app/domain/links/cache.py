"""Links for the redirect: this process's TTL cache, then Redis, then the database.

A link is cached under each (host, slug) it is reached by, its earlier slugs included, so
an old printed slug costs what a current one does; the database answers both with one
query (the slug's claim joined to its link). An update or delete reaches every process
through the `link.*` events: `follow()` evicts every slug the event names here and in Redis
as soon as it arrives. The TTLs only bound
staleness when an event is missed (the listener reconnecting after a Redis restart, when the
whole process cache is dropped anyway).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
from cachetools import TTLCache
from redis.asyncio import Redis

from app.domain.breaker import REDIS_DOWN, RedisBreaker
from app.domain.links import slugs
from app.domain.links.claims import RELEASE_DAYS
from app.domain.links.models import Link, SlugClaim
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


async def load_link(slug: str, host: str = "") -> ResolvedLink | None:
    """The link from the database (the cache's source of truth)."""
    try:
        return await _from_database(host, slug)
    except DB_DROPPED:  # the pool has replaced the dead connection by now
        return await _from_database(host, slug)


class LinkCache:
    def __init__(
        self,
        redis: Redis,
        namespace: str,
        breaker: RedisBreaker,
        *,
        load: Callable[..., Awaitable[ResolvedLink | None]] = load_link,
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
        # cache_name(host, slug) -> (expiry, link): a plain dict, because the hit is the hot
        # path and a TTLCache lookup costs several times a dict's; full, it forgets the oldest.
        self._local: dict[str, tuple[float, ResolvedLink]] = {}
        self.local_ttl = local_ttl
        self.size = size
        self._missing: TTLCache[str, bool] = TTLCache(maxsize=size, ttl=missing_ttl)
        # Bumped by every eviction: a lookup that straddled one does not cache what it read,
        # since that may be the row as it was before the change.
        self._generation = 0

    async def get(self, slug: str, host: str = "") -> ResolvedLink | None:
        name = f"{host}/{slug}" if host else slug
        hit = self._local.get(name)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        if name in self._missing:
            return None
        generation = self._generation
        link = await self._load(name, host, slug, generation)
        if generation == self._generation:
            if link is None:
                self._missing[name] = True
            else:
                self._remember(name, link)
        return link

    def _remember(self, slug: str, link: ResolvedLink) -> None:
        self._local.pop(slug, None)  # re-inserted last: the dict's order is the age order
        if len(self._local) >= self.size:
            del self._local[next(iter(self._local))]
        self._local[slug] = (time.monotonic() + self.local_ttl, link)

    async def _load(self, name: str, host: str, slug: str, generation: int) -> ResolvedLink | None:
        if not slugs.could_exist(slug):
            return None
        key = self._key(name)
        if self.breaker.closed:
            try:
                cached = await self.redis.get(key)
                self.breaker.succeeded()
                if cached is not None:
                    return ResolvedLink.from_json(cached)
            except REDIS_DOWN:
                self.breaker.failed()
        # The default domain's lookups call the loader with the slug alone.
        link = await (self.load(slug, host) if host else self.load(slug))
        if link is None:
            return None
        if self.breaker.closed and generation == self._generation:
            try:
                await self.redis.set(key, link.to_json(), ex=self.ttl)
            except REDIS_DOWN:
                self.breaker.failed()
        return link

    def _key(self, name: str) -> str:
        return key(LINK_CACHE, self.namespace, slug=name)

    def evict(self, *names: str) -> None:
        """Forget names (cache_name(host, slug)) in this process."""
        self._generation += 1
        for name in names:
            self._local.pop(name, None)
            self._missing.pop(name, None)

    def clear(self) -> None:
        self._generation += 1
        self._local.clear()
        self._missing.clear()

    async def forget(self, *names: str) -> None:
        """Forget names (cache_name(host, slug)) here and in Redis."""
        self.evict(*names)
        try:
            await self.redis.delete(*(self._key(name) for name in names))
        except REDIS_DOWN:
            pass  # every process's listener deletes it too; the TTL is the last resort

    async def follow(self, hub: EventHub) -> None:
        """Evict links as their events arrive, until cancelled; survives Redis restarts."""
        # created, updated, deleted; and link.slugs, naming every (host, slug) of a link
        async with hub.follow("link", gaps=True) as feed:
            async for event in feed:
                if event is GAP:  # events may have been missed while the hub was away
                    self.clear()
                    continue
                known = names_in(event.data)
                try:
                    if event.type == "link.created":
                        self.evict(*known)  # only a "missing" mark can be in the way
                    elif known:
                        await self.forget(*known)
                except Exception:
                    log.exception("link event listener failed")


def cache_name(host: str, slug: str) -> str:
    """What a (host, slug) is cached under; a hostname holds no "/", a slug neither."""
    return f"{host}/{slug}" if host else slug


def names_in(data: dict) -> list[str]:
    """The cache names a link event concerns: the slug, the old one and every earlier one."""

    def text(value: object) -> str:
        return value if isinstance(value, str) else ""

    host = text(data.get("host"))
    slugs_named = (text(data.get("slug")), text(data.get("old_slug")))
    names = {cache_name(host, slug) for slug in slugs_named if slug}
    for claim in data.get("slug_history") or ():
        if isinstance(claim, dict) and text(claim.get("slug")):
            names.add(cache_name(text(claim.get("host")), text(claim.get("slug"))))
    return sorted(names)


async def _from_database(host: str, slug: str) -> ResolvedLink | None:
    """One query for a current slug and an earlier one alike: the claim with its link."""
    claim = await SlugClaim.filter(host=host, slug=slug).select_related("link").first()
    if claim is None:
        # A link written straight to the table (an import, a test) has no claim yet; only an
        # unknown slug pays for this second query, and unknown slugs are remembered.
        if host:
            return None
        link = await Link.filter(slug=slug, domain_id=None).first()
        return ResolvedLink.of(link) if link is not None else None
    if claim.link is not None:
        return ResolvedLink.of(claim.link, host)
    released = claim.released_at
    if released is not None and datetime.now(UTC) - released < timedelta(days=RELEASE_DAYS):
        return ResolvedLink.tombstone(claim.workspace_id, host, slug)
    return None
