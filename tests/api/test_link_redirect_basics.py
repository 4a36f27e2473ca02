from __future__ import annotations

import httpx


async def make_link(gql, key, **input) -> dict:
    body = await gql(
        key,
        "mutation($i: CreateLinkInput!) { createLink(input: $i) { link { id slug } } }",
        i={"destination": "https://example.com/a", **input},
    )
    return body["data"]["createLink"]["link"]


async def test_redirect_answers_302_to_the_destination(client: httpx.AsyncClient, gql, key) -> None:
    link = await make_link(gql, key)
    response = await client.get(f"/r/{link['slug']}")
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/a"


async def test_unknown_slugs_are_404_and_deleted_ones_410(
    client: httpx.AsyncClient, gql, key
) -> None:
    assert (await client.get("/r/nothing-here")).status_code == 404
    link = await make_link(gql, key)
    await gql(key, "mutation($id: ID!) { deleteLink(id: $id) { deletedId } }", id=link["id"])
    response = await client.get(f"/r/{link['slug']}")
    assert response.status_code == 410  # its slug stays reserved for 90 days
    assert response.headers["content-type"] == "application/problem+json"
