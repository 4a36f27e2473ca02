"""A workspace's keys, limits and usage as an integrator sees them over GraphQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from app.domain.links.models import Link
from app.domain.workspaces import services
from app.domain.workspaces.models import ApiKey, Workspace

KEYS = """query($first: Int, $after: String) { apiKeys(first: $first, after: $after) {
  edges { node { id name prefix scopes createdAt lastUsedAt } }
  pageInfo { hasNextPage endCursor } totalCount } }"""
WORKSPACE = """{ viewer { workspace { limits { linksPerDay codesPerDay bulkItemsPerDay
  requestsPerMinute } usage { linksToday codesToday bulkItemsToday } } } }"""
CREATE_LINK = """mutation { createLink(input: {destination: "https://example.com/"}) {
  userErrors { code message } } }"""


def shown_prefix(secret: str) -> str:
    """What lists show of a key: qrf_ and its 8-character prefix, never the secret part."""
    return secret.strip()[:12]


async def test_issue15_api_keys_lists_the_workspaces_live_keys_newest_first(
    gql, key, make_key
) -> None:
    reader = await make_key(scopes=("links:read",))
    await make_key("globex")
    revoked = await make_key()
    await ApiKey.filter(prefix=revoked.split("_")[1]).update(revoked_at=datetime.now(UTC))

    body = (await gql(key, KEYS, first=1))["data"]["apiKeys"]
    assert body["totalCount"] == 2  # acme's two live keys: not globex's, not the revoked one
    newest = body["edges"][0]["node"]
    assert newest["prefix"] == shown_prefix(reader)
    assert newest["scopes"] == ["links:read"]
    assert reader not in str(body)
    rest = (await gql(key, KEYS, first=5, after=body["pageInfo"]["endCursor"]))["data"]["apiKeys"]
    assert [e["node"]["prefix"] for e in rest["edges"]] == [shown_prefix(key)]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_issue15_api_keys_needs_keys_manage(gql, make_key) -> None:
    reader = await make_key(scopes=("links:read",))
    body = await gql(reader, KEYS)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_issue15_last_used_at_is_written_once_a_minute_without_waiting(gql, key) -> None:
    await gql(key, "{ viewer { scopes } }")
    row = await ApiKey.get(prefix=key.split("_")[1])
    for _ in range(100):  # written beside the request, not inside it
        if row.last_used_at is not None:
            break
        await asyncio.sleep(0.02)
        row = await ApiKey.get(prefix=key.split("_")[1])
    first_use = row.last_used_at
    assert first_use is not None
    await gql(key, "{ viewer { scopes } }")
    await asyncio.sleep(0.1)
    assert (await ApiKey.get(id=row.id)).last_used_at == first_use  # within the minute: no write

    later = first_use + services.LAST_USED_RESOLUTION
    await services.authenticate(key, now=later)
    for _ in range(100):
        if (await ApiKey.get(id=row.id)).last_used_at == later:
            break
        await asyncio.sleep(0.02)
    assert (await ApiKey.get(id=row.id)).last_used_at == later


async def test_issue15_workspace_shows_its_limits_and_last_days_usage(gql, key) -> None:
    body = (await gql(key, WORKSPACE))["data"]["viewer"]["workspace"]
    assert body["limits"] == {
        "linksPerDay": 100_000,
        "codesPerDay": 100_000,
        "bulkItemsPerDay": 10_000,
        "requestsPerMinute": 600,
    }
    assert body["usage"] == {"linksToday": 0, "codesToday": 0, "bulkItemsToday": 0}

    await services.set_limits("acme", {"links_per_day": 3, "requests_per_minute": 100})
    for _ in range(2):
        assert (await gql(key, CREATE_LINK))["data"]["createLink"]["userErrors"] == []
    body = (await gql(key, WORKSPACE))["data"]["viewer"]["workspace"]
    assert body["limits"]["linksPerDay"] == 3 and body["limits"]["requestsPerMinute"] == 100
    assert body["usage"]["linksToday"] == 2


async def test_issue15_a_link_made_over_a_day_ago_no_longer_counts(gql, key) -> None:
    await Workspace.filter(name="acme").update(links_per_day=1)
    assert (await gql(key, CREATE_LINK))["data"]["createLink"]["userErrors"] == []
    refused = (await gql(key, CREATE_LINK))["data"]["createLink"]["userErrors"]
    assert refused[0]["code"] == "QUOTA_EXCEEDED" and "1 links a day" in refused[0]["message"]

    await Link.all().update(created_at=datetime.now(UTC) - timedelta(hours=25))
    assert (await gql(key, CREATE_LINK))["data"]["createLink"]["userErrors"] == []
    assert (await gql(key, WORKSPACE))["data"]["viewer"]["workspace"]["usage"]["linksToday"] == 1
