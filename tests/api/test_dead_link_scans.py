"""Issue 12: visits that got the fallback or a 410 are recorded with their outcome, and a
rule's visits name the rule; scanCount counts only scans sent on to a destination."""

from __future__ import annotations

from app.domain.links.models import Link
from app.domain.scans.models import Scan
from tests.api.test_analytics import IPHONE, ingest

CREATE = "mutation($i: CreateLinkInput!) { createLink(input: $i) { link { id slug } } }"
FIGURES = """
query($id: ID!) { link(id: $id) { scanCount botScanCount
  analytics(from: "2020-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z", interval: MONTH) {
    total byOutcome { key count } } } }"""
PHONE = {"User-Agent": IPHONE}


async def make(gql, key, **input) -> tuple[str, str]:
    body = await gql(key, CREATE, i={"destination": "https://example.com/", **input})
    link = body["data"]["createLink"]["link"]
    return link["id"], link["slug"]


async def test_issue12_dead_link_visits_are_recorded_with_their_outcome(
    app, client, gql, key
) -> None:
    expired = {"notAfter": "2021-01-01T00:00:00Z"}
    gone_id, gone = await make(gql, key, **expired)
    fallback_id, fallback = await make(
        gql, key, fallbackDestination="https://example.com/sorry", **expired
    )
    _, limited = await make(gql, key, scanLimit=1)
    french = {"type": "COUNTRY", "value": "FR"}
    german = {"type": "LANGUAGE", "value": "de"}
    rules = [
        {"destination": "https://example.com/fr", "conditions": [french]},
        {"destination": "https://example.com/de", "conditions": [german]},
    ]
    ruled_id, ruled = await make(gql, key, rules=rules)
    assert (await client.get(f"/r/{gone}?qr=1", headers=PHONE)).status_code == 410
    answer = await client.get(f"/r/{fallback}", headers=PHONE)
    assert answer.headers["location"] == "https://example.com/sorry"
    assert (await client.get(f"/r/{limited}", headers=PHONE)).status_code == 302
    assert (await client.get(f"/r/{limited}", headers=PHONE)).status_code == 410  # exhausted
    speaks_german = {**PHONE, "Accept-Language": "de-DE"}
    answer = await client.get(f"/r/{ruled}", headers=speaks_german)
    assert answer.headers["location"].endswith("/de")
    assert (await client.get(f"/r/{ruled}", headers=PHONE)).status_code == 302
    await ingest(app)  # compares every rollup with a recount too

    async def outcomes(slug: str) -> list[tuple[str, str]]:
        link = await Link.get(slug=slug)
        rows = await Scan.filter(link_id=link.id).order_by("id")
        return [(scan.outcome, scan.source) for scan in rows]

    assert await outcomes(gone) == [("gone", "QR")]
    assert await outcomes(fallback) == [("fallback", "LINK")]
    assert await outcomes(limited) == [("destination", "LINK"), ("gone", "LINK")]
    assert await outcomes(ruled) == [("rule 2", "LINK"), ("destination", "LINK")]

    figures = (await gql(key, FIGURES, id=gone_id))["data"]["link"]
    assert (figures["scanCount"], figures["botScanCount"]) == (0, 0)  # not served
    assert figures["analytics"]["total"] == 1
    assert figures["analytics"]["byOutcome"] == [{"key": "gone", "count": 1}]
    fell = (await gql(key, FIGURES, id=fallback_id))["data"]["link"]["analytics"]
    assert fell["byOutcome"] == [{"key": "fallback", "count": 1}]
    rules = (await gql(key, FIGURES, id=ruled_id))["data"]["link"]
    assert rules["scanCount"] == 2
    assert rules["analytics"]["byOutcome"] == [
        {"key": "destination", "count": 1},
        {"key": "rule 2", "count": 1},
    ]
    assert (await Link.get(slug=limited)).scan_count == 1  # the 410 is not a served scan


async def test_unknown_slugs_and_password_forms_record_nothing(app, client, gql, key) -> None:
    _, locked = await make(gql, key, password="correct horse")
    assert (await client.get("/r/no-such-link", headers=PHONE)).status_code == 404
    assert (await client.get(f"/r/{locked}", headers=PHONE)).status_code == 200  # the form
    await ingest(app)
    assert await Scan.all().count() == 0
