"""The cost limit prices analytics, scans and renders by the work they make."""

from __future__ import annotations

from typing import Any

from graphql import parse

from app.graphql.cost import MAX_COST, operation_cost
from app.graphql.schema import build_schema

FIGURES = """total unique series { bucket scans unique } byCountry { key count }
  byDevice { key count } byOs { key count } byBrowser { key count } byReferrer { key count }"""
# The issue's first attack: every figure of five analytics, for each of 100 links.
ANALYTICS_ATTACK = (
    "{ links(first: 100) { edges { node { "
    + " ".join(f"a{i}: analytics {{ {FIGURES} }}" for i in range(5))
    + " } } } }"
)
# The second: thirty of the largest renders in one query.
RENDER_ATTACK = (
    "query($input: RenderQrInput!) { "
    + " ".join(f"r{i}: renderQr(input: $input) {{ width }}" for i in range(30))
    + " }"
)
# What a dashboard's link list asks for: a page of 100 links with their counts and a
# month's daily series for a sparkline.
DASHBOARD = """{ links(first: 100) { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node {
    id slug shortUrl title tags status destination enabled createdAt scanCount uniqueScanCount
    analytics(interval: DAY) { total series { bucket scans } } } } } }"""
CREATE = "mutation($i: CreateLinkInput!) { createLink(input: $i) { link { id } } }"

SCHEMA = build_schema()._schema


def cost(query: str, **variables: Any) -> int:
    return operation_cost(SCHEMA, parse(query), None, variables)


def refused(body: dict[str, Any]) -> dict[str, Any]:
    assert body["data"] is None, body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["cost"] > error["extensions"]["maxCost"] == MAX_COST
    assert f"limit is {MAX_COST}" in error["message"]
    return error


async def test_issue10_analytics_of_five_by_100_links_is_refused(gql, make_key) -> None:
    key = await make_key(scopes=("links:read", "analytics:read"))
    refused(await gql(key, ANALYTICS_ATTACK))


async def test_issue10_thirty_4096_px_renders_in_one_query_are_refused(gql, make_key) -> None:
    key = await make_key(scopes=("links:read",))
    big = {"dataType": "TEXT", "data": {"text": "hello"}, "format": "PNG", "size": 4096}
    refused(await gql(key, RENDER_ATTACK, input=big))
    in_style = {"dataType": "TEXT", "data": {"text": "hello"}, "style": {"size": 4096}}
    refused(await gql(key, RENDER_ATTACK, input=in_style))


async def test_a_100_link_dashboard_query_is_accepted(gql, key) -> None:
    for n in range(3):
        await gql(key, CREATE, i={"destination": f"https://example.com/{n}"})
    body = await gql(key, DASHBOARD)
    assert "errors" not in body, body
    edges = body["data"]["links"]["edges"]
    assert len(edges) == 3
    assert all(e["node"]["analytics"]["total"] == 0 for e in edges)
    assert len(edges[0]["node"]["analytics"]["series"]) >= 30


async def test_a_few_small_renders_are_accepted(gql, make_key) -> None:
    key = await make_key(scopes=("links:read",))
    query = """{ a: renderQr(input: {dataType: TEXT, data: {text: "a"}}) { width }
      b: renderQr(input: {dataType: TEXT, data: {text: "b"}, size: 1024}) { width } }"""
    body = await gql(key, query)
    assert "errors" not in body, body
    assert body["data"]["b"]["width"] == 1024


def test_analytics_cost_grows_with_the_range_and_the_figures() -> None:
    def analytics(arguments: str, figures: str) -> int:
        given = f"({arguments})" if arguments else ""
        return cost(f'{{ link(slug: "x") {{ analytics{given} {{ {figures} }} }} }}')

    month = analytics('from: "2026-11-01T00:00:00Z", to: "2026-12-01T00:00:00Z"', "total")
    year = analytics('from: "2025-12-01T00:00:00Z", to: "2026-12-01T00:00:00Z"', "total")
    hours = analytics(
        'from: "2026-11-01T00:00:00Z", to: "2026-12-01T00:00:00Z", interval: HOUR', "total"
    )
    assert year > 8 * month and hours > 15 * month
    # A coarser interval reads the same days: no cheaper.
    months = analytics(
        'from: "2025-12-01T00:00:00Z", to: "2026-12-01T00:00:00Z", interval: MONTH', "total"
    )
    assert months == year
    assert analytics("", FIGURES) > 7 * analytics("", "total")
    # The range alone runs no query.
    assert analytics("", "from to") < 10


def test_render_cost_grows_with_the_pixels() -> None:
    def render(size: int) -> int:
        return cost(
            f'{{ renderQr(input: {{dataType: TEXT, data: "x", size: {size}}}) {{ width }} }}'
        )

    assert render(4096) > 30 * render(512)
    assert 40 * render(512) < MAX_COST < 30 * render(4096)


def test_scans_of_every_link_cost_a_query_each() -> None:
    plain = cost("{ links(first: 100) { edges { node { id } } } }")
    with_scans = cost(
        "{ links(first: 100) { edges { node { id scans(first: 1) { totalCount } } } } }"
    )
    assert with_scans - plain >= 100 * 10


def test_ranges_at_the_ends_of_time_are_priced_not_crashed_on() -> None:
    for arguments in ('from: "9999-12-31T00:00:00Z"', 'to: "0001-01-01T00:00:00Z"',
                      'from: "nonsense", to: 5', "interval: $i"):  # fmt: skip
        query = (
            f'query($i: Interval) {{ link(slug: "x") {{ analytics({arguments}) {{ total }} }} }}'
        )
        assert cost(query, i=None) > 0
