"""Codes for links (issue 13): a tracked code for an existing link, link options on a
code's own link, Link.qrCodes, QrCode.scanCount, each code's scans told apart."""

from __future__ import annotations

from app import keys
from app.domain.scans.stream import decode, unpack
from workers.scans import ingest_once

CREATE_LINK = """
mutation($i: CreateLinkInput!) { createLink(input: $i) { link { id slug } userErrors { code } } }
"""
CODE = """
mutation($i: CreateQrCodeInput!) {
  createQrCode(input: $i) {
    qrCode { id kind encodedText data scanCount link { id slug destination scanLimit } }
    userErrors { field code }
  }
}"""
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15"


async def streamed_scans(app) -> list[dict[str, str]]:
    stream = keys.key(keys.SCAN_STREAM, app.state.services.settings.redis_namespace)
    entries = await app.state.services.redis.xrange(stream)
    return [decode(line) for _, fields in entries for line in unpack(fields)]


async def test_issue13_a_link_gets_further_tracked_codes_told_apart(app, client, gql, key) -> None:
    body = await gql(key, CREATE_LINK, i={"destination": "https://example.com/a", "slug": "run"})
    link = body["data"]["createLink"]["link"]
    codes = []
    for name in ("print run 1", "print run 2"):
        made = await gql(
            key, CODE, i={"name": name, "dataType": "URL", "data": {}, "linkId": link["id"]}
        )
        payload = made["data"]["createQrCode"]
        assert payload["userErrors"] == [], payload
        codes.append(payload["qrCode"])
    first, second = codes
    assert first["kind"] == "DYNAMIC" and first["link"]["id"] == link["id"]
    assert first["data"] == {"url": "https://example.com/a"}
    assert first["encodedText"].startswith("http://testserver/r/run?qr=")
    assert first["encodedText"] != second["encodedText"]  # each prints a marker of its own
    for code in codes:
        query = code["encodedText"].split("?", 1)[1]
        response = await client.get(f"/r/run?{query}", headers={"User-Agent": IPHONE})
        assert response.headers["location"] == "https://example.com/a"
    await client.get("/r/run", headers={"User-Agent": IPHONE})  # a click on the link
    scans = await streamed_scans(app)
    markers = [code["encodedText"].rsplit("=", 1)[1] for code in codes]
    assert [(s["s"], s.get("q")) for s in scans] == [
        ("QR", markers[0]),
        ("QR", markers[1]),
        ("LINK", None),
    ]
    listed = await gql(key, "query($id: ID!) { link(id: $id) { qrCodes { id } } }", id=link["id"])
    assert [c["id"] for c in listed["data"]["link"]["qrCodes"]] == [first["id"], second["id"]]
    # Deleting a further code leaves the link and its other codes alone.
    await gql(key, "mutation($id: ID!) { deleteQrCode(id: $id) { deletedId } }", id=first["id"])
    assert (await client.get("/r/run")).status_code == 302


async def test_issue13_code_link_takes_every_link_option(client, gql, key) -> None:
    made = await gql(
        key,
        CODE,
        i={
            "name": "limited",
            "dataType": "URL",
            "kind": "DYNAMIC",
            "data": {"url": "https://example.com/p"},
            "link": {"scanLimit": 5, "slug": "limited-code"},
        },
    )
    code = made["data"]["createQrCode"]["qrCode"]
    assert code["link"] == {
        "id": code["link"]["id"],
        "slug": "limited-code",
        "destination": "https://example.com/p",  # defaults to data.url
        "scanLimit": 5,
    }
    assert code["encodedText"] == "http://testserver/r/limited-code?qr=1"  # as before
    own = await gql(
        key,
        CODE,
        i={
            "name": "elsewhere",
            "dataType": "URL",
            "kind": "DYNAMIC",
            "data": {"url": "https://example.com/p"},
            "link": {"destination": "https://example.com/q"},
        },
    )
    assert own["data"]["createQrCode"]["qrCode"]["link"]["destination"] == "https://example.com/q"


async def test_issue13_code_for_a_link_refuses_bad_input(gql, key, make_key) -> None:
    foreign_key = await make_key("globex")
    foreign = await gql(foreign_key, CREATE_LINK, i={"destination": "https://example.com/"})
    foreign_id = foreign["data"]["createLink"]["link"]["id"]
    made = await gql(
        key, CODE, i={"name": "x", "dataType": "URL", "data": {}, "linkId": foreign_id}
    )
    assert made["data"]["createQrCode"] == {
        "qrCode": None,
        "userErrors": [{"field": ["linkId"], "code": "NOT_FOUND"}],
    }
    own = await gql(key, CREATE_LINK, i={"destination": "https://example.com/"})
    both = await gql(
        key,
        CODE,
        i={
            "name": "x",
            "dataType": "URL",
            "data": {},
            "linkId": own["data"]["createLink"]["link"]["id"],
            "link": {"slug": "nope-nope"},
        },
    )
    assert both["data"]["createQrCode"]["userErrors"] == [{"field": ["link"], "code": "CONFLICT"}]


async def test_issue13_scan_count_of_a_code_is_its_links_qr_scans(app, client, gql, key) -> None:
    made = await gql(
        key,
        CODE,
        i={"name": "c", "dataType": "URL", "kind": "DYNAMIC", "data": {"url": "https://e.com/"}},
    )
    code = made["data"]["createQrCode"]["qrCode"]
    assert code["scanCount"] == 0
    path = code["encodedText"].replace("http://testserver", "")
    for _ in range(3):
        await client.get(path, headers={"User-Agent": IPHONE})
    await client.get(path.split("?")[0], headers={"User-Agent": IPHONE})  # a click: not the code
    while await ingest_once(app.state.services, "codes-test"):
        pass
    counted = await gql(key, "query($id: ID!) { qrCode(id: $id) { scanCount } }", id=code["id"])
    assert counted["data"]["qrCode"]["scanCount"] == 3
