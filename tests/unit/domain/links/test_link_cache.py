"""LinkCache over a fake Redis and a fake loader (the database's stand-in): the process
cache, then Redis, then the loader; unknown slugs remembered; evictions win over lookups
that straddle them; a dead Redis skipped."""

from __future__ import annotations

import asyncio

from app.domain.breaker import RedisBreaker
from app.domain.links.cache import LinkCache
from app.domain.links.resolve import ResolvedLink
from tests.unit.domain.links.test_redirector import a_link
from tests.unit.fakes import FakeClock, FakeRedis


class FakeLoader:
    def __init__(self, *links: ResolvedLink) -> None:
        self.links = {link.slug: link for link in links}
        self.loads: list[str] = []
        self.gate: asyncio.Event | None = None

    async def __call__(self, slug: str) -> ResolvedLink | None:
        self.loads.append(slug)
        if self.gate is not None:
            await self.gate.wait()
        return self.links.get(slug)


def cache(redis: FakeRedis, loader: FakeLoader, clock: FakeClock | None = None) -> LinkCache:
    breaker = RedisBreaker(1.0, clock or FakeClock())
    return LinkCache(redis, "t", breaker, load=loader)  # type: ignore[arg-type]


async def test_a_link_is_loaded_once_then_served_from_the_process() -> None:
    redis, loader = FakeRedis(), FakeLoader(a_link())
    links = cache(redis, loader)
    assert await links.get("spring") == a_link()
    assert ResolvedLink.from_json(redis.values["t:link:slug:spring"]) == a_link()  # shared
    calls = redis.calls
    assert await links.get("spring") == a_link()
    assert loader.loads == ["spring"] and redis.calls == calls


async def test_another_process_takes_the_link_from_redis() -> None:
    redis = FakeRedis()
    await cache(redis, FakeLoader(a_link())).get("spring")
    other = FakeLoader()
    assert await cache(redis, other).get("spring") == a_link()
    assert other.loads == []


async def test_an_unknown_slug_is_remembered_and_impossible_ones_never_looked_up() -> None:
    loader = FakeLoader()
    links = cache(FakeRedis(), loader)
    assert await links.get("nothing") is None
    assert await links.get("nothing") is None
    assert await links.get("x" * 200) is None  # longer than any slug
    assert loader.loads == ["nothing"]
    loader.links["nothing"] = a_link(slug="nothing")
    links.evict("nothing")  # link.created
    assert (await links.get("nothing")) == a_link(slug="nothing")


async def test_a_lookup_straddling_an_eviction_does_not_cache_the_old_row() -> None:
    loader = FakeLoader(a_link(destination="https://example.com/old"))
    redis = FakeRedis()
    links = cache(redis, loader)
    loader.gate = asyncio.Event()
    lookup = asyncio.create_task(links.get("spring"))
    await asyncio.sleep(0)
    links.evict("spring")  # an update arrives while the row is being read
    loader.gate.set()
    assert (await lookup).destination == "https://example.com/old"  # answered, not kept
    assert "t:link:slug:spring" not in redis.values
    loader.gate = None
    loader.links["spring"] = a_link(destination="https://example.com/new")
    assert (await links.get("spring")).destination == "https://example.com/new"  # type: ignore[union-attr]


async def test_with_redis_down_links_come_from_the_loader_without_waiting_on_redis() -> None:
    redis, loader, clock = FakeRedis(), FakeLoader(a_link(), a_link(slug="other")), FakeClock()
    links = cache(redis, loader, clock)
    redis.down = True
    assert await links.get("spring") == a_link()
    calls = redis.calls
    assert await links.get("other") == a_link(slug="other")
    assert redis.calls == calls  # the breaker is open
    await links.forget("spring")  # never raises for a dead Redis
