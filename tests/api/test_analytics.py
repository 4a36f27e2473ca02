"""Link.analytics, Link.scans, node(Scan) and the query count of a list with counts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from app import keys
from app.domain.links.models import Link
from app.domain.scans.stream import capture, encode, pack
from tests.rollups import assert_rollups_match_scans
from workers.scans import ingest_once

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
CREATE = "mutation($i: CreateLinkInput!) { createLink(input: $i) { link { id slug } } }"
ANALYTICS = """
query($id: ID!, $from: DateTime, $to: DateTime, $interval: Interval) {
  link(id: $id) {
    scanCount uniqueScanCount
    analytics(from: $from, to: $to, interval: $interval) {
      total unique series { bucket scans unique }
      byCountry { key count } byDevice { key count } byOs { key count }
      byBrowser { key count } byReferrer { key count } bySource { key count }
      byLanguage { key count } byOutcome { key count } byVariant { key count }
    }
    withBots: analytics(from: $from, to: $to, interval: $interval, includeBots: true) {
      total unique byDevice { key count } series { scans }
    }
  }
}"""
SCANS = """
query($id: ID!, $first: Int, $after: String) {
  link(id: $id) {
    scans(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { id occurredAt source country deviceType os browser referrer isBot
                     link { id slug } } }
    }
  }
}"""


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


async def record(
    app,
    link_id: int,
    when: str,
    ua: str = IPHONE,
    ip: str = "203.0.113.9",
    source: str = "LINK",
    referrer: str | None = None,
    country: str | None = None,
    language: str | None = None,
    outcome: str | None = None,
) -> None:
    services = app.state.services
    link = await Link.get(id=link_id)
    entry = capture(
        link_id=link.id,
        workspace_id=link.workspace_id,
        source=source,
        method="GET",
        ip=ip,
        user_agent=ua,
        referrer=referrer,
        accept_language=language,
        country=country,
        now=at(when),
        outcome=outcome,
    )
    stream = keys.key(keys.SCAN_STREAM, services.settings.redis_namespace)
    await services.redis.xadd(stream, pack([encode(entry)]))


async def ingest(app) -> None:
    while await ingest_once(app.state.services, "analytics-test"):
        pass
    await assert_rollups_match_scans()


async def make_link(gql, key) -> tuple[str, int]:
    body = await gql(key, CREATE, i={"destination": "https://example.com/"})
    link = body["data"]["createLink"]["link"]
    return link["id"], (await Link.get(slug=link["slug"])).id


async def test_analytics_totals_series_and_breakdowns(app, gql, key) -> None:
    gid, pk = await make_link(gql, key)
    await record(
        app, pk, "2026-03-02 09:00", referrer="https://t.co/x", country="DE", language="de-DE"
    )
    await record(app, pk, "2026-03-02 10:00", country="DE", source="QR")  # same visitor, day
    await record(app, pk, "2026-03-02 11:00", ua=DESKTOP, ip="198.51.100.1")
    await record(app, pk, "2026-03-04 08:00")  # the same person, another day: a new hash
    await record(app, pk, "2026-03-04 09:00", ua=BOT)
    await record(app, pk, "2026-03-04 10:00", ip="192.0.2.7", outcome="gone")  # after it expired
    await record(app, pk, "2026-02-01 09:00")  # outside the range
    await ingest(app)
    body = await gql(
        key, ANALYTICS, id=gid, **{"from": "2026-03-02T00:00:00Z", "to": "2026-03-05T00:00:00Z"}
    )
    link = body["data"]["link"]
    # Counters: human scans served (the 410 is not one), their visitor-days; the bot apart.
    assert (link["scanCount"], link["uniqueScanCount"]) == (5, 4)
    analytics = link["analytics"]
    assert (analytics["total"], analytics["unique"]) == (5, 3)
    assert analytics["series"] == [
        {"bucket": "2026-03-02T00:00:00+00:00", "scans": 3, "unique": 2},
        {"bucket": "2026-03-03T00:00:00+00:00", "scans": 0, "unique": 0},
        {"bucket": "2026-03-04T00:00:00+00:00", "scans": 2, "unique": 1},
    ]
    assert analytics["byCountry"] == [{"key": "unknown", "count": 3}, {"key": "DE", "count": 2}]
    assert analytics["byDevice"] == [{"key": "mobile", "count": 4}, {"key": "desktop", "count": 1}]
    assert {"key": "iOS", "count": 4} in analytics["byOs"]
    assert {"key": "Chrome", "count": 1} in analytics["byBrowser"]
    assert analytics["byReferrer"] == [{"key": "direct", "count": 4}, {"key": "t.co", "count": 1}]
    assert analytics["bySource"] == [{"key": "LINK", "count": 4}, {"key": "QR", "count": 1}]
    assert analytics["byLanguage"] == [{"key": "unknown", "count": 4}, {"key": "de", "count": 1}]
    assert analytics["byOutcome"] == [
        {"key": "destination", "count": 4},
        {"key": "gone", "count": 1},
    ]
    assert analytics["byVariant"] == []
    bots = link["withBots"]
    assert (bots["total"], bots["unique"]) == (6, 3)  # uniques are human either way
    assert {"key": "bot", "count": 1} in bots["byDevice"]
    assert [point["scans"] for point in bots["series"]] == [3, 0, 3]


@pytest.mark.parametrize(
    ("interval", "start", "end", "expected"),
    [
        (
            "HOUR",
            "2026-03-04T08:00:00Z",
            "2026-03-04T11:00:00Z",
            ["2026-03-04T08:00:00+00:00", "2026-03-04T09:00:00+00:00", "2026-03-04T10:00:00+00:00"],
        ),
        (
            "WEEK",
            "2026-03-01T00:00:00Z",
            "2026-03-10T00:00:00Z",
            ["2026-02-23T00:00:00+00:00", "2026-03-02T00:00:00+00:00", "2026-03-09T00:00:00+00:00"],
        ),
        (
            "MONTH",
            "2026-02-15T00:00:00Z",
            "2026-04-01T00:00:00Z",
            ["2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00"],
        ),
    ],
)
async def test_series_buckets_by_interval_in_utc(
    app, gql, key, interval, start, end, expected
) -> None:
    gid, pk = await make_link(gql, key)
    await record(app, pk, "2026-03-01 23:30")  # a Sunday: the week of Monday 23 February
    await record(app, pk, "2026-03-04 09:15")  # a Wednesday
    await record(app, pk, "2026-03-04 09:45")
    await ingest(app)
    body = await gql(key, ANALYTICS, id=gid, interval=interval, **{"from": start, "to": end})
    series = body["data"]["link"]["analytics"]["series"]
    assert [point["bucket"] for point in series] == expected
    counts = {point["bucket"]: point["scans"] for point in series}
    if interval == "HOUR":
        assert counts["2026-03-04T09:00:00+00:00"] == 2
    if interval == "WEEK":
        assert counts["2026-02-23T00:00:00+00:00"] == 1
        assert counts["2026-03-02T00:00:00+00:00"] == 2
    if interval == "MONTH":
        assert counts["2026-03-01T00:00:00+00:00"] == 3


async def test_bad_ranges_are_refused(app, gql, key) -> None:
    gid, _ = await make_link(gql, key)
    backwards = await gql(
        key, ANALYTICS, id=gid, **{"from": "2026-03-05T00:00:00Z", "to": "2026-03-01T00:00:00Z"}
    )
    assert backwards["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    too_many = await gql(
        key,
        ANALYTICS,
        id=gid,
        interval="HOUR",
        **{"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
    )
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_scans_connection_pages_newest_first(app, gql, key) -> None:
    gid, pk = await make_link(gql, key)
    for hour in range(5):
        await record(
            app, pk, f"2026-03-02 0{hour}:00", source="QR" if hour % 2 else "LINK", country="FR"
        )
    await ingest(app)
    first = (await gql(key, SCANS, id=gid, first=3))["data"]["link"]["scans"]
    assert first["totalCount"] == 5 and first["pageInfo"]["hasNextPage"]
    times = [edge["node"]["occurredAt"] for edge in first["edges"]]
    assert times == sorted(times, reverse=True)
    node = first["edges"][0]["node"]
    assert node["country"] == "FR" and node["deviceType"] == "mobile" and node["os"] == "iOS"
    assert node["link"] == {"id": gid, "slug": (await Link.get(id=pk)).slug}
    rest = await gql(key, SCANS, id=gid, first=3, after=first["pageInfo"]["endCursor"])
    assert len(rest["data"]["link"]["scans"]["edges"]) == 2
    found = await gql(
        key, "query($id: ID!) { node(id: $id) { ... on Scan { source } } }", id=node["id"]
    )
    assert found["data"]["node"] == {"source": "LINK"}  # hour 4, the newest


async def test_analytics_need_the_analytics_scope(app, gql, key, make_key) -> None:
    gid, pk = await make_link(gql, key)
    await record(app, pk, "2026-03-02 09:00")
    await ingest(app)
    reader = await make_key(scopes=("links:read",))
    body = await gql(reader, ANALYTICS, id=gid)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql(reader, SCANS, id=gid)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    scan_id = (await gql(key, SCANS, id=gid))["data"]["link"]["scans"]["edges"][0]["node"]["id"]
    node = await gql(reader, "query($id: ID!) { node(id: $id) { id } }", id=scan_id)
    assert node["data"]["node"] is None


async def test_another_workspaces_scans_are_invisible(app, gql, key, make_key) -> None:
    gid, pk = await make_link(gql, key)
    await record(app, pk, "2026-03-02 09:00")
    await ingest(app)
    scan_id = (await gql(key, SCANS, id=gid))["data"]["link"]["scans"]["edges"][0]["node"]["id"]
    other = await make_key(workspace="other")
    assert (await gql(other, ANALYTICS, id=gid))["data"]["link"] is None
    node = await gql(other, "query($id: ID!) { node(id: $id) { id } }", id=scan_id)
    assert node["data"]["node"] is None


class QueryCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def count_queries(call) -> tuple[int, object]:
    # Tortoise logs every statement it sends at DEBUG on this logger.
    logger = logging.getLogger("tortoise.db_client")
    counter, level = QueryCounter(), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        result = await call()
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)
    return counter.count, result


async def test_lists_with_counts_and_scan_links_cost_constant_queries(app, gql, key) -> None:
    ids = [await make_link(gql, key) for _ in range(12)]
    for _, pk in ids:
        await record(app, pk, "2026-03-02 09:00")
    await ingest(app)
    lists = (
        "query($n: Int) { links(first: $n) { edges { node { slug scanCount uniqueScanCount } } } }"
    )

    few, _ = await count_queries(lambda: gql(key, lists, n=2))
    many, body = await count_queries(lambda: gql(key, lists, n=12))
    assert few == many
    assert [e["node"]["scanCount"] for e in body["data"]["links"]["edges"]] == [1] * 12
    gid = ids[0][0]
    for when in ("2026-03-02 10:00", "2026-03-02 11:00", "2026-03-02 12:00"):
        await record(app, ids[0][1], when)
    await ingest(app)
    one, _ = await count_queries(lambda: gql(key, SCANS, id=gid, first=1))
    four, _ = await count_queries(lambda: gql(key, SCANS, id=gid, first=4))
    assert one == four  # each scan's link comes through one DataLoader query
