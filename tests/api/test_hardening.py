"""Issue 10, item 8: the smaller holes, each reproduced first, against the running app."""

from __future__ import annotations

import dataclasses
import io

import httpx
import zxingcpp
from PIL import Image

from app.domain.workspaces.models import ApiKey, Workspace
from app.domain.workspaces.services import MAX_KEYS_PER_WORKSPACE, create_key, revoke_key
from app.security.authfail import FAILED_AUTH_PER_MINUTE

CREATE_LINK = """mutation($i: CreateLinkInput!) {
  createLink(input: $i) { link { slug } userErrors { code } } }"""


async def test_issue10_password_form_sends_csp_and_refuses_frames(client, gql, key) -> None:
    body = await gql(
        key, CREATE_LINK, i={"destination": "https://example.com/", "password": "pw-1234"}
    )
    slug = body["data"]["createLink"]["link"]["slug"]
    for response in (
        await client.get(f"/r/{slug}", headers={"Accept": "text/html"}),
        await client.post(f"/r/{slug}", data={"password": "wrong"}),
    ):
        assert response.headers["content-type"].startswith("text/html")
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "private, no-store"


async def test_issue10_graphiql_sends_csp_and_refuses_frames(client) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_issue10_a_50000_deep_json_body_is_a_400_not_a_500(client, key) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    body = '{"query": "{ __typename }", "variables": {"x": ' + deep + "}}"
    response = await client.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    render = await client.post(
        "/api/qr", content=deep, headers={"Content-Type": "application/json"}
    )
    assert render.status_code == 400
    assert render.headers["content-type"] == "application/problem+json"


async def test_issue10_metrics_can_require_a_token(settings, run_app) -> None:
    async with run_app(dataclasses.replace(settings, metrics_token="m-secret")) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            refused = await c.get("/metrics")
            wrong = await c.get("/metrics", headers={"Authorization": "Bearer nope"})
            allowed = await c.get("/metrics", headers={"Authorization": "Bearer m-secret"})
    assert refused.status_code == wrong.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert "qrforge" not in refused.text and "m-secret" not in refused.text
    assert allowed.status_code == 200 and "qrforge_http_requests_total" in allowed.text


async def test_metrics_stay_open_without_a_token(client) -> None:
    assert (await client.get("/metrics")).status_code == 200


async def test_issue10_unknown_keys_are_throttled_per_client_ip(client, key) -> None:
    query = {"query": "{ __typename }"}
    for i in range(FAILED_AUTH_PER_MINUTE):
        guess = await client.post(
            "/graphql", json=query, headers={"Authorization": f"Bearer qrf_guess{i:04d}_x"}
        )
        assert guess.status_code == 401, i
    refused = await client.post(
        "/graphql", json=query, headers={"Authorization": "Bearer qrf_guess_more"}
    )
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    # Past the limit even a right key is not looked at from there, so guessing gains nothing.
    right = await client.post("/graphql", json=query, headers={"Authorization": f"Bearer {key}"})
    assert right.status_code == 429
    image = await client.get(
        "/api/qr", params={"data": "x"}, headers={"Authorization": "Bearer no"}
    )
    assert image.status_code == 429 and image.headers["content-type"] == "application/problem+json"
    # Another client is not affected.
    other = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=client._transport.app, client=("10.1.2.3", 5000)),
        base_url="http://testserver",
    )
    async with other:
        fine = await other.post("/graphql", json=query, headers={"Authorization": f"Bearer {key}"})
    assert fine.status_code == 200


CREATE_KEY = """mutation($i: CreateApiKeyInput!) {
  createApiKey(input: $i) { apiKey { id scopes } userErrors { code } } }"""
REVOKE_KEY = """mutation($id: ID!) {
  revokeApiKey(id: $id) { deletedId userErrors { field code } } }"""
VIEWER = "{ viewer { scopes } }"


async def test_issue10_keys_manage_revokes_only_keys_within_its_own_scopes(
    gql, key, make_key
) -> None:
    listed = (await gql(key, "{ apiKeys { edges { node { id } } } }"))["data"]["apiKeys"]
    [admin] = [e["node"]["id"] for e in listed["edges"]]
    manager = await make_key(scopes=("keys:manage", "links:write"))
    refused = (await gql(manager, REVOKE_KEY, id=admin))["data"]["revokeApiKey"]
    assert refused == {
        "deletedId": None,
        "userErrors": [{"field": ["id"], "code": "FORBIDDEN_SCOPE"}],
    }
    assert (await gql(key, VIEWER))["data"]["viewer"]["scopes"] == ["*"]  # still works
    made = await gql(manager, CREATE_KEY, i={"name": "ci", "scopes": ["links:read"]})
    narrow = made["data"]["createApiKey"]["apiKey"]["id"]
    revoked = (await gql(manager, REVOKE_KEY, id=narrow))["data"]["revokeApiKey"]
    assert revoked == {"deletedId": narrow, "userErrors": []}
    beyond = await gql(manager, CREATE_KEY, i={"name": "x", "scopes": ["webhooks:manage"]})
    assert beyond["data"]["createApiKey"]["userErrors"] == [{"code": "FORBIDDEN_SCOPE"}]


async def test_issue10_keys_per_workspace_are_capped(gql, key) -> None:
    workspace = await Workspace.get(name="acme")
    while (
        await ApiKey.filter(workspace_id=workspace.id, revoked_at=None).count()
        < MAX_KEYS_PER_WORKSPACE
    ):
        await create_key(workspace.id, "filler", ["links:read"])
    over = await gql(key, CREATE_KEY, i={"name": "one more", "scopes": ["links:read"]})
    assert over["data"]["createApiKey"] == {
        "apiKey": None,
        "userErrors": [{"code": "QUOTA_EXCEEDED"}],
    }
    filler = await ApiKey.filter(workspace_id=workspace.id, name="filler").first()
    assert filler is not None
    await revoke_key(workspace.id, filler.id)
    room = await gql(key, CREATE_KEY, i={"name": "one more", "scopes": ["links:read"]})
    assert room["data"]["createApiKey"]["userErrors"] == []


IMAGE_CODE = """mutation($i: CreateQrCodeInput!) {
  createQrCode(input: $i) { qrCode { id odd: imageUrl(size: 300) } userErrors { code } } }"""


async def test_issue10_the_image_cache_keeps_only_the_sizes_image_url_hands_out(
    app, gql, key, client
) -> None:
    body = await gql(
        key, IMAGE_CODE, i={"name": "c", "dataType": "TEXT", "data": {"text": "cached sizes"}}
    )
    code = body["data"]["createQrCode"]["qrCode"]
    assert "size=384" in code["odd"]  # 300 rounds up to a size of the ladder
    pk = code["odd"].split("/qr/")[1].split(".")[0]
    auth = {"Authorization": f"Bearer {key}"}
    namespace = app.state.services.settings.redis_namespace
    redis = app.state.services.redis
    before = len([k async for k in redis.scan_iter(match=f"{namespace}:img:*")])
    for size in (257, 300, 333, 380, 384):
        response = await client.get(f"/qr/{pk}.png?size={size}", headers=auth)
        assert response.status_code == 200
        assert Image.open(io.BytesIO(response.content)).size == (384, 384)
    cached = [k async for k in redis.scan_iter(match=f"{namespace}:img:*")]
    assert len(cached) == before + 1
    text = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))]
    assert text == ["cached sizes"]
