"""One client walking through unknown slugs is slowed down; one hammering a slug is capped;
nobody else notices."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from starlette.applications import Starlette

from app.settings import Settings

CREATE = "mutation($i: CreateLinkInput!) { createLink(input: $i) { link { slug } } }"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared test settings, with limits small enough to reach."""
    return replace(settings, redirect_misses_per_minute=5, redirect_per_slug_per_minute=8)


def client_from(app: Starlette, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_a_client_probing_unknown_slugs_is_refused_after_its_budget(
    app: Starlette, gql, key
) -> None:
    await gql(key, CREATE, i={"destination": "https://example.com/", "slug": "real-one"})
    async with (
        client_from(app, "203.0.113.7") as prober,
        client_from(app, "198.51.100.9") as bystander,
    ):
        statuses = [(await prober.get(f"/r/guess-{i}")).status_code for i in range(7)]
        assert statuses[:5] == [404] * 5 and statuses[-1] == 429
        refused = await prober.get("/r/real-one")  # over budget: even real slugs wait
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert refused.headers["content-type"] == "application/problem+json"
        assert (await bystander.get("/r/real-one")).status_code == 302


async def test_a_client_hammering_one_slug_is_capped_and_others_are_not(
    app: Starlette, gql, key
) -> None:
    for slug in ("hot-one", "cold-one"):
        await gql(key, CREATE, i={"destination": "https://example.com/", "slug": slug})
    async with (
        client_from(app, "203.0.113.8") as hammer,
        client_from(app, "198.51.100.10") as other,
    ):
        statuses = [(await hammer.get("/r/hot-one")).status_code for _ in range(10)]
        assert statuses.count(302) == 8 and statuses[-1] == 429
        assert (await hammer.get("/r/cold-one")).status_code == 302
        assert (await other.get("/r/hot-one")).status_code == 302
