"""Operations too expensive, too deep or too wide are refused before anything runs."""

from __future__ import annotations

NESTED = """query($outer: Int, $inner: Int) {
  webhooks(first: $outer) { edges { node { id url deliveries(first: $inner) {
    edges { node { id status attempts responseStatus lastError createdAt } } } } } }
}"""


async def test_nested_connections_over_the_cost_limit_are_refused(gql, key) -> None:
    body = await gql(key, NESTED, outer=100, inner=100)
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["cost"] > error["extensions"]["maxCost"]


async def test_a_full_page_with_a_small_nested_page_is_allowed(gql, key) -> None:
    body = await gql(key, NESTED, outer=100, inner=5)
    assert "errors" not in body, body
    assert body["data"]["webhooks"]["edges"] == []


async def test_the_cost_counts_fragments_and_literal_first(gql, key) -> None:
    query = """{ webhooks(first: 100) { edges { node { ...W } } } }
      fragment W on Webhook { deliveries(first: 100) { edges { node { id status } } } }"""
    body = await gql(key, query)
    assert body["errors"][0]["extensions"]["cost"] > 20_000


async def test_too_many_aliases_are_refused(gql, key) -> None:
    query = "{ " + " ".join(f"a{i}: viewer {{ scopes }}" for i in range(40)) + " }"
    body = await gql(key, query)
    assert body["data"] is None
    assert "aliases" in body["errors"][0]["message"].lower()


async def test_fields_without_arguments_are_costed(gql, key) -> None:
    body = await gql(key, "{ links { totalCount } webhooks { totalCount } viewer { scopes } }")
    assert "errors" not in body, body


async def test_queries_deeper_than_the_limit_are_refused(gql, key) -> None:
    # Link.scans -> Scan.link -> Link.scans ... is a cycle a client could nest forever.
    hop = "scans(first: 1) { edges { node { link { "
    deep = "{ links(first: 1) { edges { node { " + hop * 4 + "id" + " } } } }" * 4 + " } } } }"
    body = await gql(key, deep)
    assert body["data"] is None
    assert "depth" in body["errors"][0]["message"].lower()
    shallow = "{ links(first: 1) { edges { node { " + hop + "id } } } } } } } }"
    assert "errors" not in await gql(key, shallow)
