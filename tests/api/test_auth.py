"""Who may do what: keys, scopes, and the wall between workspaces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from app.domain.links.models import Link
from app.domain.workspaces.models import ApiKey

CREATE = """mutation($input: CreateLinkInput!) {
  createLink(input: $input) { link { id slug } userErrors { code } } }"""
VIEWER = "{ viewer { workspace { id name } scopes } }"


async def test_missing_key_is_401_with_a_graphql_body(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": VIEWER})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_unknown_or_malformed_key_is_401(client: httpx.AsyncClient, key: str) -> None:
    for header in (f"Bearer {key}x", "Bearer qrf_zzzzzzzz_nope", "Bearer ", f"Basic {key}"):
        response = await client.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": header}
        )
        assert response.status_code == 401, header


async def test_revoked_key_is_unknown(gql, make_key) -> None:
    admin = await make_key()
    victim = await gql(
        admin,
        'mutation { createApiKey(input: {name: "ci", scopes: ["links:read"]}) '
        "{ apiKey { id } secret userErrors { code } } }",
    )
    created = victim["data"]["createApiKey"]
    assert (await gql(created["secret"], VIEWER))["data"]["viewer"]["scopes"] == ["links:read"]
    revoked = await gql(
        admin,
        "mutation($id: ID!) { revokeApiKey(id: $id) { deletedId } }",
        id=created["apiKey"]["id"],
    )
    assert revoked["data"]["revokeApiKey"]["deletedId"] == created["apiKey"]["id"]
    body = await gql(created["secret"], VIEWER)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_secret_is_stored_only_as_a_hash(gql, key) -> None:
    body = await gql(
        key,
        'mutation { createApiKey(input: {name: "x", scopes: ["links:read"]}) '
        "{ secret apiKey { prefix } } }",
    )
    secret = body["data"]["createApiKey"]["secret"]
    stored = await ApiKey.get(name="x")
    assert secret not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64
    assert secret.startswith(body["data"]["createApiKey"]["apiKey"]["prefix"])


async def test_a_read_only_key_cannot_create_a_link(gql, make_key) -> None:
    reader = await make_key(scopes=("links:read",))
    body = await gql(reader, CREATE, input={"destination": "https://example.com/"})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Link.all().count() == 0
    listed = await gql(reader, "{ links { totalCount } }")
    assert listed["data"]["links"]["totalCount"] == 0


async def test_a_key_without_links_read_cannot_list_links(gql, make_key) -> None:
    other = await make_key(scopes=("codes:read",))
    body = await gql(other, "{ links { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_key_cannot_grant_scopes_it_lacks(gql, make_key) -> None:
    manager = await make_key(scopes=("keys:manage", "links:read"))
    for scopes in (["*"], ["links:write"], ["nonsense:scope"]):
        body = await gql(
            manager,
            'mutation($s: [String!]!) { createApiKey(input: {name: "n", '
            "scopes: $s}) { secret userErrors { code } } }",
            s=scopes,
        )
        assert body["data"]["createApiKey"]["secret"] is None, scopes
    ok = await gql(
        manager,
        'mutation { createApiKey(input: {name: "n", scopes: ["links:read"]}) '
        "{ secret userErrors { code } } }",
    )
    assert ok["data"]["createApiKey"]["secret"]


async def test_another_workspaces_link_is_invisible_by_id_and_slug(gql, make_key) -> None:
    acme, globex = await make_key("acme"), await make_key("globex")
    link = (
        await gql(acme, CREATE, input={"destination": "https://acme.example/", "slug": "acme-only"})
    )["data"]["createLink"]["link"]
    by_id = await gql(
        globex, "query($id: ID!) { link(id: $id) { id } node(id: $id) { id } }", id=link["id"]
    )
    assert by_id["data"] == {"link": None, "node": None}
    by_slug = await gql(globex, '{ link(slug: "acme-only") { id } links { totalCount } }')
    assert by_slug["data"] == {"link": None, "links": {"totalCount": 0}}
    update = await gql(
        globex,
        "mutation($id: ID!) { updateLink(id: $id, input: {destination: "
        '"https://evil.example/"}) { link { id } userErrors { code } } }',
        id=link["id"],
    )
    missing = await gql(
        globex,
        'mutation { updateLink(id: "TGluazo5OTk5", input: {title: "t"}) '
        "{ link { id } userErrors { code } } }",
    )
    assert update["data"]["updateLink"] == missing["data"]["updateLink"]
    delete = await gql(
        globex, "mutation($id: ID!) { deleteLink(id: $id) { userErrors { code } } }", id=link["id"]
    )
    assert delete["data"]["deleteLink"]["userErrors"] == [{"code": "NOT_FOUND"}]
    stored = await Link.get(slug="acme-only")
    assert stored.destination == "https://acme.example/"


async def test_another_workspaces_design_cannot_be_attached(gql, make_key) -> None:
    globex = await make_key("globex")
    body = await gql(
        globex, CREATE, input={"destination": "https://x.example/", "designId": "RGVzaWduOjE="}
    )
    assert body["data"]["createLink"]["userErrors"] == [{"code": "NOT_FOUND"}]


async def test_viewer_names_the_workspace_and_scopes(gql, make_key) -> None:
    key = await make_key("acme", scopes=("links:read", "codes:read"))
    viewer = (await gql(key, VIEWER))["data"]["viewer"]
    assert viewer["workspace"]["name"] == "acme"
    assert viewer["scopes"] == ["codes:read", "links:read"]


async def test_last_used_is_kept_without_a_write_per_request(gql, key) -> None:
    await gql(key, VIEWER)
    first = (await ApiKey.get(workspace__name="acme")).last_used_at
    assert first is not None
    await gql(key, VIEWER)
    assert (await ApiKey.get(workspace__name="acme")).last_used_at == first
    await ApiKey.filter(workspace__name="acme").update(last_used_at=first - timedelta(minutes=2))
    await gql(key, VIEWER)
    assert (await ApiKey.get(workspace__name="acme")).last_used_at > first - timedelta(seconds=1)
    assert (await ApiKey.get(workspace__name="acme")).last_used_at <= datetime.now(UTC)


async def test_graphiql_page_is_served_without_a_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()
