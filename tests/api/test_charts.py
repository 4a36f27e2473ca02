"""Link.analyticsChartUrl and GET /charts/links/{id}.{svg,png}: the scans chart as an image
behind a signed URL, for e-mails and reports."""

from __future__ import annotations

import io
import re
import time
from urllib.parse import parse_qsl, urlsplit

import httpx
from PIL import Image

from app.security.signed_urls import signed_query
from tests.api.test_analytics import ingest, make_link, record

CHART = """query($id: ID!, $from: DateTime, $to: DateTime, $interval: Interval!, $f: ChartFormat!) {
  link(id: $id) { analyticsChartUrl(from: $from, to: $to, interval: $interval, format: $f) }
}"""
RANGE = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-05T00:00:00Z", "interval": "DAY"}


async def chart_url(gql, key, gid: str, fmt: str = "SVG", **overrides: str) -> str:
    body = await gql(key, CHART, id=gid, f=fmt, **(RANGE | overrides))
    assert not body.get("errors"), body
    url: str = body["data"]["link"]["analyticsChartUrl"]
    return url


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_chart_url_draws_the_scans_of_its_range_without_a_key(
    app, gql, key, client: httpx.AsyncClient
) -> None:
    gid, pk = await make_link(gql, key)
    await record(app, pk, "2026-03-02 09:00")
    await record(app, pk, "2026-03-04 09:00")
    await record(app, pk, "2026-03-04 10:00", ip="198.51.100.7")
    await record(app, pk, "2026-02-01 09:00")  # outside the range
    await ingest(app)

    url = await chart_url(gql, key, gid)
    assert url.startswith(f"http://testserver/charts/links/{pk}.svg?")
    response = await client.get(path_of(url))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    svg = response.text
    assert "3 scans" in svg and "Scans of /" in svg
    # One bar per day with scans (2 and 3 March... 2 and 4), as tall as its count.
    heights = sorted(
        float(h)
        for h in re.findall(r'<rect x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"', svg)
    )
    assert len(heights) == 2 and abs(heights[1] - 2 * heights[0]) < 0.2

    png = await client.get(path_of(await chart_url(gql, key, gid, "PNG")))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).size == (800, 300)


async def test_chart_url_refuses_a_changed_or_expired_query(
    app, gql, key, client: httpx.AsyncClient
) -> None:
    gid, pk = await make_link(gql, key)
    url = await chart_url(gql, key, gid)
    widened = path_of(url).replace("2026-03-02", "2020-01-01")
    response = await client.get(widened)
    assert response.status_code == 403 and "signature" in response.json()["detail"]
    assert (await client.get(urlsplit(url).path)).status_code == 403  # unsigned

    settings = app.state.services.settings
    path = urlsplit(url).path
    params = {k: v for k, v in parse_qsl(urlsplit(url).query) if k not in ("exp", "sig")}
    stale = signed_query(settings.secret, path, params, int(time.time()) - 1)
    response = await client.get(f"{path}?{stale}")
    assert response.status_code == 403 and "expired" in response.json()["detail"]


async def test_chart_of_a_deleted_link_is_gone(app, gql, key, client: httpx.AsyncClient) -> None:
    gid, _ = await make_link(gql, key)
    url = await chart_url(gql, key, gid)
    await gql(key, "mutation($id: ID!) { deleteLink(id: $id) { deletedId } }", id=gid)
    assert (await client.get(path_of(url))).status_code == 404


async def test_chart_url_needs_analytics_read_and_a_sane_range(gql, key, make_key) -> None:
    gid, _ = await make_link(gql, key)
    reader = await make_key(scopes=("links:read",))
    body = await gql(reader, CHART, id=gid, f="SVG", **RANGE)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    backwards = RANGE | {"from": "2026-03-05T00:00:00Z", "to": "2026-03-02T00:00:00Z"}
    body = await gql(key, CHART, id=gid, f="SVG", **backwards)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "before" in body["errors"][0]["message"]
    too_long = RANGE | {"from": "2000-01-01T00:00:00Z", "interval": "HOUR"}
    body = await gql(key, CHART, id=gid, f="SVG", **too_long)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_chart_names_other_than_a_link_id_and_format_are_404(
    client: httpx.AsyncClient,
) -> None:
    for name in ("1.gif", "abc.svg", "1", "..svg", "².svg", f"{'9' * 19}.svg"):
        assert (await client.get(f"/charts/links/{name}")).status_code == 404, name
    assert (await client.get("/charts/designs/1.svg")).status_code == 404


WORKSPACE_CHART = """query($from: DateTime, $to: DateTime, $interval: Interval!) {
  viewer { workspace { analyticsChartUrl(from: $from, to: $to, interval: $interval, format: PNG)
    other: analyticsChartUrl(from: $from, to: $to, interval: $interval) } }
}"""


async def test_workspace_chart_adds_up_every_link(
    app, gql, key, make_key, client: httpx.AsyncClient
) -> None:
    _, first = await make_link(gql, key)
    _, second = await make_link(gql, key)
    await record(app, first, "2026-03-02 09:00")
    await record(app, second, "2026-03-03 09:00")
    other_key = await make_key("elsewhere")
    _, foreign = await make_link(gql, other_key)
    await record(app, foreign, "2026-03-03 10:00")  # another workspace's scan: not counted
    await ingest(app)

    body = await gql(key, WORKSPACE_CHART, **RANGE)
    urls = body["data"]["viewer"]["workspace"]
    assert "/charts/workspaces/" in urls["analyticsChartUrl"]
    png = await client.get(path_of(urls["analyticsChartUrl"]))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    svg = (await client.get(path_of(urls["other"]))).text
    assert "2 scans" in svg and "Scans of acme" in svg
