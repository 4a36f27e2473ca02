from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from app import keys
from app.domain.codes.images import code_image
from app.domain.codes.models import QrCode
from workers import constants

CREATE = """
mutation($input: CreateQrCodeInput!) {
  createQrCode(input: $input) { qrCode { id imageUrl svg: imageUrl(format: SVG) }
                                userErrors { code } } }"""
CREATE_DESIGN = """
mutation($input: DesignInput!) { createDesign(input: $input) { design { id } } }"""
UPDATE_DESIGN = """
mutation($id: ID!, $input: UpdateDesignInput!) {
  updateDesign(id: $id, input: $input) { userErrors { code } } }"""


async def cached_keys(app: Any) -> set[str]:
    redis: aioredis.Redis = app.state.services.redis
    ns = app.state.services.settings.redis_namespace
    pattern = keys.key(keys.IMAGE_CACHE, ns, key="*")
    return {k.decode() if isinstance(k, bytes) else k async for k in redis.scan_iter(pattern)}


def image_key(app: Any, request: Any) -> str:
    ns = app.state.services.settings.redis_namespace
    return keys.key(keys.IMAGE_CACHE, ns, key=request.key)


async def test_render_job_warms_the_cache(app, gql, key, client, run_jobs) -> None:
    body = await gql(key, CREATE, input={"name": "c", "kind": "DYNAMIC", "dataType": "URL",
                                         "data": {"url": "https://example.com"}})  # fmt: skip
    code = body["data"]["createQrCode"]["qrCode"]
    assert await cached_keys(app) == set()
    assert await run_jobs() >= 1
    model = await QrCode.get()
    png = await code_image(model, "PNG", constants.WARM_IMAGE_SIZE)
    svg = await code_image(model, "SVG", constants.WARM_IMAGE_SIZE)
    assert await cached_keys(app) == {image_key(app, png), image_key(app, svg)}

    for url in (code["imageUrl"], code["svg"]):
        response = await client.get(url.removeprefix("http://testserver"))
        assert response.status_code == 200
        assert response.headers["x-cache"] == "HIT"
        assert response.headers["etag"] in (f'"{png.key}"', f'"{svg.key}"')


async def test_render_job_is_idempotent_and_ignores_deleted_codes(app, run_jobs) -> None:
    from workers.render import render_code

    ctx = {"services": app.state.services}
    assert await render_code(ctx, 123456) == 0
    code = await QrCode.create(workspace_id=(await _workspace()).id, name="n", kind="STATIC",
                               data_type="TEXT", data={"text": "t"}, encoded_text="t")  # fmt: skip
    assert await render_code(ctx, code.id) == 2
    assert await render_code(ctx, code.id) == 0  # already cached


async def test_design_change_rewarms_the_codes_that_follow_it(
    app, gql, key, client, run_jobs
) -> None:
    design = await gql(key, CREATE_DESIGN, input={"name": "d", "style": {}})
    design_id = design["data"]["createDesign"]["design"]["id"]
    following = await gql(key, CREATE, input={"name": "a", "dataType": "TEXT",
                          "data": {"text": "a"}, "designId": design_id})  # fmt: skip
    await gql(key, CREATE, input={"name": "b", "dataType": "TEXT", "data": {"text": "b"},
              "designId": design_id, "style": {"moduleShape": "DOTS"}})  # fmt: skip
    await run_jobs()
    before = await cached_keys(app)
    assert len(before) == 4

    restyle = {"style": {"moduleShape": "ROUNDED"}}
    updated = await gql(key, UPDATE_DESIGN, id=design_id, input=restyle)
    assert updated["data"]["updateDesign"]["userErrors"] == []
    await run_jobs()
    after = await cached_keys(app)
    assert len(after - before) == 2  # only the code that follows the design got new images
    url = following["data"]["createQrCode"]["qrCode"]["imageUrl"]
    response = await client.get(url.removeprefix("http://testserver"))
    assert response.headers["x-cache"] == "HIT"


async def _workspace() -> Any:
    from app.domain.workspaces.services import ensure_workspace

    return await ensure_workspace("acme")
