"""Body limits and rate limits, checked before any route runs."""

from __future__ import annotations

import json

import httpx

from app.domain.workspaces.models import Workspace

VIEWER = {"query": "{ viewer { scopes } }"}


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_authenticated_responses_carry_rate_limit_headers(
    client: httpx.AsyncClient, key
) -> None:
    response = await client.post("/graphql", json=VIEWER, headers=auth(key))
    assert response.status_code == 200
    assert response.headers["RateLimit-Limit"] == "600"
    assert response.headers["X-RateLimit-Limit"] == "600"
    assert response.headers["RateLimit-Remaining"] == "599"
    assert int(response.headers["RateLimit-Reset"]) >= 1


async def test_over_the_workspace_limit_is_429_rate_limited(
    client: httpx.AsyncClient, make_key
) -> None:
    key = await make_key("tiny")
    other = await make_key("roomy")
    await Workspace.filter(name="tiny").update(requests_per_minute=3)
    for _ in range(3):
        assert (await client.post("/graphql", json=VIEWER, headers=auth(key))).status_code == 200
    refused = await client.post("/graphql", json=VIEWER, headers=auth(key))
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["Retry-After"]) <= 21
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert (await client.post("/graphql", json=VIEWER, headers=auth(other))).status_code == 200


async def test_a_ten_megabyte_body_is_413(client: httpx.AsyncClient, key) -> None:
    body = json.dumps({"query": "{ viewer { scopes } }", "variables": {"x": "a" * 10_000_000}})
    response = await client.post("/graphql", content=body, headers=auth(key))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_streamed_body_over_the_limit_is_413(client: httpx.AsyncClient, key) -> None:
    async def chunks():
        for _ in range(12):
            yield b"a" * 1_000_000

    response = await client.post("/graphql", content=chunks(), headers=auth(key))
    assert response.status_code == 413


async def test_a_one_megabyte_logo_sized_body_fits(client: httpx.AsyncClient, key) -> None:
    logo = "data:image/png;base64," + "A" * 1_400_000  # 1 MB of bytes, base64-encoded
    body = {"query": "query($l: String) { viewer { scopes } }", "variables": {"l": logo}}
    response = await client.post("/graphql", json=body, headers=auth(key))
    assert response.status_code == 200


async def test_redirects_are_not_rate_limited_per_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/r/unknown-slug")
    assert "RateLimit-Limit" not in response.headers


async def test_the_routers_refusals_are_problem_json(client) -> None:
    missing = await client.get("/no/such/path")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "NOT_FOUND"
    wrong = await client.delete("/healthz")
    assert wrong.status_code == 405
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "HEAD"}  # a set: in any order
    assert wrong.json()["code"] == "METHOD_NOT_ALLOWED"
