"""A/B destinations through the redirect (issue 13): the visitor's variant, sticky, recorded
in the scan; a matching rule still wins."""

from __future__ import annotations

from collections import Counter

import httpx

from app import keys
from app.domain.scans.stream import decode, unpack

CREATE = """
mutation($i: CreateLinkInput!) {
  createLink(input: $i) {
    link { id slug variants { destination weight } } userErrors { field code }
  }
}"""
SPLIT = [
    {"destination": "https://example.com/a", "weight": 1},
    {"destination": "https://example.com/b", "weight": 1},
]


async def streamed_scans(app) -> list[dict[str, str]]:
    stream = keys.key(keys.SCAN_STREAM, app.state.services.settings.redis_namespace)
    entries = await app.state.services.redis.xrange(stream)
    return [decode(line) for _, fields in entries for line in unpack(fields)]


async def test_issue13_variants_are_sticky_and_recorded(app, gql, key) -> None:
    body = await gql(key, CREATE, i={"destination": "https://example.com/", "variants": SPLIT})
    link = body["data"]["createLink"]["link"]
    assert link["variants"] == SPLIT
    seen: Counter[str] = Counter()
    for n in range(40):
        transport = httpx.ASGITransport(app=app, client=(f"203.0.113.{n}", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            headers = {"User-Agent": f"Mozilla/5.0 visitor {n}"}
            first = (await c.get(f"/r/{link['slug']}", headers=headers)).headers["location"]
            again = (await c.get(f"/r/{link['slug']}", headers=headers)).headers["location"]
            assert again == first  # the same visitor, the same variant
            seen[first] += 1
    assert set(seen) == {"https://example.com/a", "https://example.com/b"}
    scans = await streamed_scans(app)
    assert len(scans) == 80
    served = {"1": "https://example.com/a", "2": "https://example.com/b"}
    assert Counter(served[scan["v"]] for scan in scans) == Counter(
        {url: count * 2 for url, count in seen.items()}
    )


async def test_issue13_a_matching_rule_wins_over_the_variants(client, gql, key) -> None:
    rules = [
        {"destination": "https://example.com/rule",
         "conditions": [{"type": "QUERY_PARAM", "value": "src=poster"}]},
    ]  # fmt: skip
    body = await gql(
        key, CREATE, i={"destination": "https://example.com/", "variants": SPLIT, "rules": rules}
    )
    slug = body["data"]["createLink"]["link"]["slug"]
    ruled = await client.get(f"/r/{slug}?src=poster")
    assert ruled.headers["location"] == "https://example.com/rule"
    split = await client.get(f"/r/{slug}")
    assert split.headers["location"] in {"https://example.com/a", "https://example.com/b"}


async def test_issue13_variants_can_be_removed_and_are_validated(client, gql, key) -> None:
    bad = await gql(key, CREATE, i={"destination": "https://example.com/", "variants": SPLIT[:1]})
    assert bad["data"]["createLink"]["userErrors"] == [
        {"field": ["variants"], "code": "INVALID_VARIANTS"}
    ]
    body = await gql(key, CREATE, i={"destination": "https://example.com/", "variants": SPLIT})
    link = body["data"]["createLink"]["link"]
    cleared = await gql(
        key,
        "mutation($id: ID!) { updateLink(id: $id, input: {variants: []}) "
        "{ link { variants { destination } } } }",
        id=link["id"],
    )
    assert cleared["data"]["updateLink"]["link"]["variants"] == []
    response = await client.get(f"/r/{link['slug']}")
    assert response.headers["location"] == "https://example.com/"
