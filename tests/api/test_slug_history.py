"""Slug history (issue 13): a renamed slug keeps redirecting and stays its link's; a deleted
link's slugs answer 410 for 90 days, then are free."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from app.domain.links.models import SlugClaim

CREATE = """
mutation($i: CreateLinkInput!) {
  createLink(input: $i) { link { id slug slugHistory } userErrors { field code } }
}"""
UPDATE = """
mutation($id: ID!, $i: UpdateLinkInput!) {
  updateLink(id: $id, input: $i) { link { slug slugHistory } userErrors { field code } }
}"""
DELETE = "mutation($id: ID!) { deleteLink(id: $id) { deletedId userErrors { code } } }"
CODE = """
mutation($i: CreateQrCodeInput!) {
  createQrCode(input: $i) { qrCode { id encodedText link { id slug } } userErrors { code } }
}"""


async def create(gql, key, **input) -> dict:
    body = await gql(key, CREATE, i={"destination": "https://example.com/a", **input})
    return body["data"]["createLink"]


async def test_issue13_renamed_slug_keeps_redirecting_and_lists_history(client, gql, key) -> None:
    link = (await create(gql, key, slug="spring-sale"))["link"]
    renamed = await gql(key, UPDATE, id=link["id"], i={"slug": "summer-sale"})
    assert renamed["data"]["updateLink"] == {
        "link": {"slug": "summer-sale", "slugHistory": ["spring-sale", "summer-sale"]},
        "userErrors": [],
    }
    for path in ("/r/spring-sale", "/r/summer-sale"):
        response = await client.get(path)
        assert response.status_code == 302, path
        assert response.headers["location"] == "https://example.com/a"
    # Back to an earlier slug of its own: allowed, and nothing is lost.
    back = await gql(key, UPDATE, id=link["id"], i={"slug": "spring-sale"})
    assert back["data"]["updateLink"]["link"]["slugHistory"] == ["spring-sale", "summer-sale"]


async def test_issue13_an_old_slug_cannot_be_taken_by_another_workspace(
    client, gql, key, make_key
) -> None:
    link = (await create(gql, key, slug="printed-one"))["link"]
    await gql(key, UPDATE, id=link["id"], i={"slug": "printed-two"})
    other = await make_key("globex")
    taken = await create(gql, other, slug="printed-one", destination="https://evil.example/")
    assert taken == {"link": None, "userErrors": [{"field": ["slug"], "code": "SLUG_TAKEN"}]}
    own = await create(gql, key, slug="printed-one")
    assert own["userErrors"] == [{"field": ["slug"], "code": "SLUG_TAKEN"}]
    response = await client.get("/r/printed-one")
    assert response.headers["location"] == "https://example.com/a"


async def test_issue13_dynamic_code_keeps_its_encoded_text_after_a_rename(client, gql, key) -> None:
    body = await gql(
        key,
        CODE,
        i={
            "name": "label",
            "dataType": "URL",
            "kind": "DYNAMIC",
            "data": {"url": "https://example.com/p"},
            "link": {"slug": "label-1"},
        },
    )
    code = body["data"]["createQrCode"]["qrCode"]
    assert code["encodedText"] == "http://testserver/r/label-1?qr=1"
    await gql(key, UPDATE, id=code["link"]["id"], i={"slug": "label-renamed"})
    again = await gql(key, "query($id: ID!) { qrCode(id: $id) { encodedText } }", id=code["id"])
    assert again["data"]["qrCode"]["encodedText"] == "http://testserver/r/label-1?qr=1"
    response = await client.get("/r/label-1?qr=1")
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/p"


async def test_issue13_deleted_slugs_answer_410_for_90_days_then_are_free(
    app, client, gql, key, make_key
) -> None:
    link = (await create(gql, key, slug="gone-soon"))["link"]
    await gql(key, UPDATE, id=link["id"], i={"slug": "gone-later"})
    assert (await gql(key, DELETE, id=link["id"]))["data"]["deleteLink"]["userErrors"] == []
    for path in ("/r/gone-soon", "/r/gone-later"):
        assert (await client.get(path)).status_code == 410, path
    other = await make_key("globex")
    assert (await create(gql, other, slug="gone-soon"))["userErrors"][0]["code"] == "SLUG_TAKEN"

    # 91 days later the slugs are free again.
    long_ago = datetime.now(UTC) - timedelta(days=91)
    await SlugClaim.filter(slug__in=["gone-soon", "gone-later"]).update(released_at=long_ago)
    await app.state.redirector.cache.forget("gone-soon")  # as its TTL would
    fresh = await create(gql, other, slug="gone-soon", destination="https://example.com/new")
    assert fresh["userErrors"] == []
    response = await client.get("/r/gone-soon")
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/new"


async def test_issue13_slug_history_is_listed_for_every_link_of_a_page(gql, key) -> None:
    for n in range(3):
        link = (await create(gql, key, slug=f"many-{n}"))["link"]
        await gql(key, UPDATE, id=link["id"], i={"slug": f"many-{n}-b"})
    body = await gql(key, "{ links(first: 10) { edges { node { slug slugHistory } } } }")
    histories = {
        e["node"]["slug"]: e["node"]["slugHistory"] for e in body["data"]["links"]["edges"]
    }
    assert histories == {f"many-{n}-b": [f"many-{n}", f"many-{n}-b"] for n in range(3)}


async def test_issue13_an_edit_reaches_the_old_slugs_at_once(client, gql, key) -> None:
    link = (await create(gql, key, slug="first-name"))["link"]
    assert (await client.get("/r/first-name")).headers["location"] == "https://example.com/a"
    await gql(key, UPDATE, id=link["id"], i={"slug": "second-name"})
    assert (await client.get("/r/first-name")).headers["location"] == "https://example.com/a"
    await gql(key, UPDATE, id=link["id"], i={"destination": "https://example.com/b"})
    for _ in range(100):  # the events reach this process's cache within moments
        if (await client.get("/r/first-name")).headers["location"] == "https://example.com/b":
            break
        await asyncio.sleep(0.01)
    assert (await client.get("/r/first-name")).headers["location"] == "https://example.com/b"
