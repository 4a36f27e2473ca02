"""GET /export/scans.csv: streamed CSV of a link's scans, behind analytics:read."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

from app.domain.links.models import Link
from app.domain.scans import services
from app.domain.scans.enrich import EnrichedScan
from app.domain.scans.services import store_scans

CREATE = "mutation($i: CreateLinkInput!) { createLink(input: $i) { link { id slug } } }"


async def make_link(gql, key) -> tuple[str, Link]:
    body = await gql(key, CREATE, i={"destination": "https://example.com/"})
    link = body["data"]["createLink"]["link"]
    return link["id"], await Link.get(slug=link["slug"])


def scan(link: Link, when: datetime, **fields) -> EnrichedScan:
    values = {
        "source": "QR",
        "device_type": "mobile",
        "os": "iOS",
        "browser": "Mobile Safari",
        "is_bot": False,
        "country": "NL",
        "referrer_host": None,
        "language": "nl",
        "visitor_hash": uuid.uuid4().hex,
        **fields,
    }
    return EnrichedScan(
        link_id=link.id,
        workspace_id=link.workspace_id,
        occurred_at=when,
        event_id=uuid.uuid4().hex,
        **values,
    )


async def test_export_streams_every_scan_in_range_as_csv(client, gql, key, monkeypatch) -> None:
    gid, link = await make_link(gql, key)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    await store_scans([scan(link, start + timedelta(minutes=i)) for i in range(25)])
    await store_scans([scan(link, start - timedelta(days=1), os="=cmd|' /C calc'!A0")])
    monkeypatch.setattr(services, "EXPORT_CHUNK", 10)  # several chunks, keyset-paged
    response = await client.get(
        "/export/scans.csv",
        params={"link": gid, "from": "2026-03-01T00:00:00Z", "to": "2026-03-02T00:00:00Z"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 25
    assert rows[0]["source"] == "QR" and rows[0]["country"] == "NL"
    assert rows[0]["is_bot"] == "false" and rows[0]["os"] == "iOS"
    assert [int(r["id"]) for r in rows] == sorted(int(r["id"]) for r in rows)
    everything = await client.get(
        "/export/scans.csv", params={"link": gid}, headers={"Authorization": f"Bearer {key}"}
    )
    rows = list(csv.DictReader(io.StringIO(everything.text)))
    assert len(rows) == 26
    assert [r["os"] for r in rows if r["os"].startswith("'")] == ["'=cmd|' /C calc'!A0"]


async def test_issue10_export_referrers_never_run_as_spreadsheet_formulas(client, gql, key) -> None:
    gid, link = await make_link(gql, key)
    when = datetime(2026, 3, 1, tzinfo=UTC)
    await store_scans([scan(link, when, referrer_host="=HYPERLINK(\"https://evil.example\")",
                            browser="+Evil", language="@lang")])  # fmt: skip
    response = await client.get(
        "/export/scans.csv", params={"link": gid}, headers={"Authorization": f"Bearer {key}"}
    )
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert row["referrer"] == '\'=HYPERLINK("https://evil.example")'
    assert (row["browser"], row["language"]) == ("'+Evil", "'@lang")


async def test_export_errors_are_problems(client, gql, key, make_key) -> None:
    gid, _ = await make_link(gql, key)
    anonymous = await client.get("/export/scans.csv", params={"link": gid})
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    reader = await make_key(scopes=("links:read",))
    forbidden = await client.get(
        "/export/scans.csv", params={"link": gid}, headers={"Authorization": f"Bearer {reader}"}
    )
    assert forbidden.status_code == 403
    other = await make_key(workspace="other")
    foreign = await client.get(
        "/export/scans.csv", params={"link": gid}, headers={"Authorization": f"Bearer {other}"}
    )
    assert foreign.status_code == 404
    bad = await client.get(
        "/export/scans.csv",
        params={"link": gid, "from": "yesterday"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "BAD_USER_INPUT"
    garbage = await client.get(
        "/export/scans.csv", params={"link": "%%%"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert garbage.status_code == 404


async def tagged_link(gql, key, slug: str, tags: list[str]) -> tuple[str, Link]:
    i = {"destination": "https://example.com/", "slug": slug, "tags": tags}
    body = await gql(key, CREATE, i=i)
    gid = body["data"]["createLink"]["link"]["id"]
    return gid, await Link.get(slug=slug)


WORKSPACE_SCANS = """
query($filter: ScanFilter, $first: Int, $after: String) {
  viewer { workspace { scans(first: $first, after: $after, filter: $filter) {
    totalCount retainedSince pageInfo { hasNextPage endCursor }
    edges { node { source isBot outcome language link { slug } } }
  } } }
}"""


async def test_workspace_scans_and_export_span_every_link_with_filters(
    client, gql, key, make_key
) -> None:
    poster_id, poster = await tagged_link(gql, key, "poster", ["print"])
    _, web = await tagged_link(gql, key, "web", [])
    _, foreign = await tagged_link(gql, await make_key(workspace="other"), "foreign", [])
    day = datetime(2026, 3, 2, tzinfo=UTC)
    await store_scans(
        [
            scan(poster, day, source="QR"),
            scan(poster, day + timedelta(hours=1), source="QR", referrer_host="@evil.example"),
            scan(poster, day + timedelta(hours=2), source="LINK", is_bot=True, device_type="bot"),
            scan(web, day + timedelta(hours=3), source="LINK", outcome="gone"),
            scan(web, day - timedelta(days=5), source="LINK"),
            scan(foreign, day, source="QR"),  # never in acme's lists
        ]
    )

    async def listed(**filter) -> dict:
        body = await gql(key, WORKSPACE_SCANS, filter=filter or None)
        assert "errors" not in body, body
        return body["data"]["viewer"]["workspace"]["scans"]

    everything = await listed()
    assert everything["totalCount"] == 4  # humans by default
    assert everything["retainedSince"] is None  # no retention configured
    slugs = sorted(e["node"]["link"]["slug"] for e in everything["edges"])
    assert slugs == ["poster", "poster", "web", "web"]
    assert sorted(e["node"]["outcome"] for e in everything["edges"]) == [
        "destination", "destination", "destination", "gone",
    ]  # fmt: skip
    assert (await listed(includeBots=True))["totalCount"] == 5
    assert (await listed(tag="print"))["totalCount"] == 2
    assert (await listed(source="QR"))["totalCount"] == 2
    assert (await listed(linkId=poster_id, includeBots=True))["totalCount"] == 3
    ranged = await listed(**{"from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z"})
    assert ranged["totalCount"] == 3
    page = (await gql(key, WORKSPACE_SCANS, first=3))["data"]["viewer"]["workspace"]["scans"]
    rest = await gql(key, WORKSPACE_SCANS, first=3, after=page["pageInfo"]["endCursor"])
    assert len(page["edges"]) == 3 and page["pageInfo"]["hasNextPage"]
    assert len(rest["data"]["viewer"]["workspace"]["scans"]["edges"]) == 1

    async def exported(**params) -> list[dict]:
        response = await client.get(
            "/export/scans.csv", params=params, headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-disposition"] == 'attachment; filename="scans.csv"'
        return list(csv.DictReader(io.StringIO(response.text)))

    rows = await exported()
    assert len(rows) == 5  # the raw record: bots included unless asked otherwise
    assert {int(r["link_id"]) for r in rows} == {poster.id, web.id}
    assert [r["referrer"] for r in rows if r["referrer"]] == ["'@evil.example"]
    assert {r["outcome"] for r in rows} == {"destination", "gone"}
    assert len(await exported(includeBots="false")) == 4
    assert len(await exported(tag="print")) == 3
    assert len(await exported(source="QR")) == 2
    assert len(await exported(**{"from": "2026-03-02T00:00:00Z"})) == 4
    bad = await client.get(
        "/export/scans.csv", params={"source": "FAX"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "BAD_USER_INPUT"
