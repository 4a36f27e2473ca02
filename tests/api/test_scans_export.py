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
