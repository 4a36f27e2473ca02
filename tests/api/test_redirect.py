"""GET|HEAD|POST /r/{slug}: statuses, rules, redirect types, query forwarding, passwords,
the scan appended to the stream, the exact scan limit and cache invalidation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from app import keys
from app.domain.scans.models import Scan
from app.domain.scans.stream import decode, unpack
from app.security.throttle import PASSWORD_ATTEMPTS_PER_MINUTE

CREATE = """
mutation($i: CreateLinkInput!) {
  createLink(input: $i) { link { id slug } userErrors { field message code } }
}"""
UPDATE = """
mutation($id: ID!, $i: UpdateLinkInput!) {
  updateLink(id: $id, input: $i) { link { id slug } userErrors { code } }
}"""
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36"
)


async def make_link(gql, key, **input) -> dict:
    body = await gql(key, CREATE, i={"destination": "https://example.com/a", **input})
    payload = body["data"]["createLink"]
    assert payload["userErrors"] == [], payload
    return payload["link"]


async def streamed_scans(app) -> list[dict[str, str]]:
    stream = keys.key(keys.SCAN_STREAM, app.state.services.settings.redis_namespace)
    entries = await app.state.services.redis.xrange(stream)
    return [decode(line) for _, fields in entries for line in unpack(fields)]


async def test_disabled_link_is_404_problem(client, gql, key) -> None:
    link = await make_link(gql, key, enabled=False)
    response = await client.get(f"/r/{link['slug']}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_scheduled_and_expired_links_use_the_fallback_or_410(client, gql, key) -> None:
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    earlier = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    scheduled = await make_link(
        gql, key, notBefore=later, fallbackDestination="https://example.com/soon"
    )
    expired = await make_link(
        gql, key, notBefore=(datetime.now(UTC) - timedelta(days=2)).isoformat(), notAfter=earlier
    )
    response = await client.get(f"/r/{scheduled['slug']}")
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/soon"
    gone = await client.get(f"/r/{expired['slug']}")
    assert gone.status_code == 410
    assert gone.headers["content-type"] == "application/problem+json"


async def test_first_matching_rule_wins(client, gql, key) -> None:
    rules = [
        {
            "destination": "https://example.com/campaign",
            "conditions": [
                {"type": "QUERY_PARAM", "value": "utm_source=poster"},
                {"type": "DEVICE", "value": "mobile"},
            ],
        },
        {"destination": "https://example.com/ios", "conditions": [{"type": "OS", "value": "ios"}]},
        {
            "destination": "https://example.com/never",
            "conditions": [{"type": "OS", "value": "ios"}],
        },
    ]
    link = await make_link(gql, key, rules=rules)
    path = f"/r/{link['slug']}"

    async def where(ua: str, query: str = "") -> str:
        response = await client.get(f"{path}{query}", headers={"User-Agent": ua})
        assert response.status_code == 302
        return response.headers["location"]

    assert await where(IPHONE, "?utm_source=poster") == "https://example.com/campaign"
    assert await where(IPHONE) == "https://example.com/ios"
    assert await where(DESKTOP, "?utm_source=poster") == "https://example.com/a"


async def test_redirect_types_and_caching(client, gql, key) -> None:
    for status, cache in (
        (301, "private, max-age=3600"),
        (302, "private, no-store"),
        (307, "private, no-store"),
        (308, "private, max-age=3600"),
    ):
        link = await make_link(gql, key, redirectType=status)
        response = await client.get(f"/r/{link['slug']}")
        assert response.status_code == status
        assert response.headers["location"] == "https://example.com/a"
        assert response.headers["cache-control"] == cache


async def test_forward_query_merges_and_strips_the_qr_marker(app, client, gql, key) -> None:
    link = await make_link(
        gql, key, destination="https://example.com/p?ref=x&lang=en", forwardQuery=True
    )
    response = await client.get(f"/r/{link['slug']}?qr=1&lang=de&utm=a%20b")
    assert response.headers["location"] == "https://example.com/p?ref=x&lang=de&utm=a+b"
    plain = await make_link(gql, key, destination="https://example.com/q")
    response = await client.get(f"/r/{plain['slug']}?qr=1&x=1")
    assert response.headers["location"] == "https://example.com/q"  # not forwarded
    entries = await streamed_scans(app)
    assert [e["s"] for e in entries] == ["QR", "QR"]
    await client.get(f"/r/{plain['slug']}?qr=0")
    assert (await streamed_scans(app))[-1]["s"] == "LINK"


async def test_each_redirect_appends_one_entry_and_writes_no_scan_row(
    app, client, gql, key
) -> None:
    link = await make_link(gql, key)
    headers = {
        "User-Agent": IPHONE,
        "Referer": "https://news.example/x",
        "Accept-Language": "de-DE,de;q=0.9",
    }
    for _ in range(3):
        assert (await client.get(f"/r/{link['slug']}", headers=headers)).status_code == 302
    entries = await streamed_scans(app)
    assert len(entries) == 3 and len({e["e"] for e in entries}) == 3
    assert entries[0]["ua"] == IPHONE and entries[0]["r"] == "https://news.example/x"
    assert entries[0]["al"] == "de-DE,de;q=0.9" and entries[0]["m"] == "GET"
    assert await Scan.all().count() == 0


async def test_head_answers_like_get_and_is_recorded_as_head(app, client, gql, key) -> None:
    link = await make_link(gql, key, redirectType=307)
    response = await client.head(f"/r/{link['slug']}")
    assert response.status_code == 307
    assert response.headers["location"] == "https://example.com/a"
    assert (await streamed_scans(app))[0]["m"] == "HEAD"
    assert (await client.head("/r/unknown-slug")).status_code == 404


async def test_password_protected_link_asks_then_redirects(app, client, gql, key) -> None:
    link = await make_link(gql, key, password="s3cret-pass")
    path = f"/r/{link['slug']}"
    form = await client.get(f"{path}?qr=1")
    assert form.status_code == 200 and "<form" in form.text
    assert form.headers["cache-control"] == "private, no-store"
    wrong = await client.post(f"{path}?qr=1", data={"password": "nope"})
    assert wrong.status_code == 403 and "Wrong password" in wrong.text
    assert "set-cookie" not in wrong.headers
    assert await streamed_scans(app) == []  # the form is not a scan
    right = await client.post(f"{path}?qr=1", data={"password": "s3cret-pass"})
    assert right.status_code == 303
    assert right.headers["location"] == f"{path}?qr=1"
    assert f"Path={path}" in right.headers["set-cookie"]
    assert "HttpOnly" in right.headers["set-cookie"]
    response = await client.get(right.headers["location"])
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/a"
    assert response.headers["cache-control"] == "private, no-store"
    assert [e["s"] for e in await streamed_scans(app)] == ["QR"]


async def test_unlock_cookie_is_bound_to_its_link(client, gql, key) -> None:
    first = await make_link(gql, key, password="one-password")
    second = await make_link(gql, key, password="one-password")
    right = await client.post(f"/r/{first['slug']}", data={"password": "one-password"})
    token = (
        right.cookies.get("qrforge_unlock")
        or right.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    )
    forged = await client.get(f"/r/{second['slug']}", headers={"Cookie": f"qrforge_unlock={token}"})
    assert forged.status_code == 200 and "<form" in forged.text
    tampered = await client.get(
        f"/r/{first['slug']}", headers={"Cookie": "qrforge_unlock=9999999999.abc"}
    )
    assert tampered.status_code == 200


async def test_other_methods_are_405_and_record_nothing(app, client, gql, key) -> None:
    link = await make_link(gql, key)
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        response = await client.request(method, f"/r/{link['slug']}")
        assert response.status_code == 405, method
        assert response.headers["allow"] == "GET, HEAD, POST"
        assert response.json()["code"] == "METHOD_NOT_ALLOWED"
    assert await streamed_scans(app) == []


async def test_password_guessing_is_capped_per_client_and_link(app, gql, key) -> None:
    def from_ip(ip: str) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=app, client=(ip, 40000))

    for slug in ("locked", "also-locked"):
        await make_link(gql, key, slug=slug, password="right-one")
    async with (
        httpx.AsyncClient(transport=from_ip("203.0.113.9"), base_url="http://t") as guesser,
        httpx.AsyncClient(transport=from_ip("198.51.100.11"), base_url="http://t") as owner,
    ):
        # Guessed until refused: the budget refills a guess every 6 s, and ten argon2 checks
        # on a loaded machine can take longer than that.
        statuses: list[int] = []
        while 429 not in statuses and len(statuses) < 2 * PASSWORD_ATTEMPTS_PER_MINUTE:
            guess = f"guess-{len(statuses)}"
            statuses.append((await guesser.post("/r/locked", data={"password": guess})).status_code)
        assert statuses[-1] == 429 and set(statuses[:-1]) == {403}
        assert len(statuses) > PASSWORD_ATTEMPTS_PER_MINUTE
        refused = await guesser.post("/r/locked", data={"password": "right-one"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert "set-cookie" not in refused.headers  # the right password, too late: no unlock
        assert (await guesser.get("/r/locked")).status_code == 200  # the form still shows
        other_link = await guesser.post("/r/also-locked", data={"password": "right-one"})
        assert other_link.status_code == 303
        unlocked = await owner.post("/r/locked", data={"password": "right-one"})
        assert unlocked.status_code == 303 and "qrforge_unlock" in unlocked.headers["set-cookie"]


async def test_unknown_slug_post_is_404(client) -> None:
    response = await client.post("/r/nothing-here", data={"password": "x"})
    assert response.status_code == 404


async def test_scan_limit_is_exact_under_concurrency(app, client, gql, key) -> None:
    link = await make_link(gql, key, scanLimit=10, fallbackDestination="https://example.com/over")
    person = {"User-Agent": IPHONE}  # only a person's GET spends a scan
    responses = await asyncio.gather(
        *(client.get(f"/r/{link['slug']}", headers=person) for _ in range(100))
    )
    locations = [r.headers["location"] for r in responses]
    assert locations.count("https://example.com/a") == 10
    assert locations.count("https://example.com/over") == 90
    scans = await streamed_scans(app)  # every visit, each with what it got
    assert sum(1 for scan in scans if "o" not in scan) == 10  # the link's own destination
    assert sum(1 for scan in scans if scan.get("o") == "fallback") == 90


async def test_redirects_arriving_together_share_stream_entries(app, client, gql, key) -> None:
    link = await make_link(gql, key)
    responses = await asyncio.gather(*(client.get(f"/r/{link['slug']}") for _ in range(50)))
    assert {r.status_code for r in responses} == {302}
    stream = keys.key(keys.SCAN_STREAM, app.state.services.settings.redis_namespace)
    assert await app.state.services.redis.xlen(stream) < 50  # grouped, not one XADD each
    scans = await streamed_scans(app)
    assert len(scans) == len({scan["e"] for scan in scans}) == 50


async def test_raising_the_scan_limit_lets_scans_through_again(client, gql, key) -> None:
    link = await make_link(gql, key, scanLimit=1)
    path, person = f"/r/{link['slug']}", {"User-Agent": IPHONE}
    assert (await client.get(path, headers=person)).status_code == 302
    assert (await client.get(path, headers=person)).status_code == 410
    await gql(key, UPDATE, id=link["id"], i={"scanLimit": 2})
    await asyncio.sleep(0.2)  # the update's event reaches this process's cache
    assert (await client.get(path, headers=person)).status_code == 302
    assert (await client.get(path, headers=person)).status_code == 410


async def location_within(
    client: httpx.AsyncClient, path: str, expected: str, seconds: float
) -> float:
    start = asyncio.get_running_loop().time()
    while True:
        response = await client.get(path)
        elapsed = asyncio.get_running_loop().time() - start
        if response.headers.get("location") == expected:
            return elapsed
        assert elapsed < seconds, f"still {response.status_code} {response.headers.get('location')}"
        await asyncio.sleep(0.01)


async def test_update_and_delete_reach_another_process_within_a_second(
    app, client, gql, key, api_process
) -> None:
    link = await make_link(gql, key)
    path = f"/r/{link['slug']}"
    async with (
        api_process() as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as second,
    ):
        for c in (client, second):  # both processes now hold the link in their caches
            assert (await c.get(path)).headers["location"] == "https://example.com/a"
        await gql(key, UPDATE, id=link["id"], i={"destination": "https://example.com/b"})
        assert await location_within(second, path, "https://example.com/b", 1.0) < 1.0
        assert await location_within(client, path, "https://example.com/b", 1.0) < 1.0
        await gql(key, UPDATE, id=link["id"], i={"slug": "renamed-slug"})
        await location_within(second, "/r/renamed-slug", "https://example.com/b", 1.0)
        # The old slug (printed somewhere) still leads to the link, also after an edit.
        await gql(key, UPDATE, id=link["id"], i={"destination": "https://example.com/c"})
        await location_within(second, path, "https://example.com/c", 1.0)
        await gql(key, "mutation($id: ID!) { deleteLink(id: $id) { deletedId } }", id=link["id"])
        for slug_path in ("/r/renamed-slug", path):
            await status_within(second, slug_path, 410, 1.0)
            await status_within(client, slug_path, 410, 1.0)


async def status_within(client: httpx.AsyncClient, path: str, status: int, seconds: float) -> None:
    start = asyncio.get_running_loop().time()
    while (await client.get(path)).status_code != status:
        assert asyncio.get_running_loop().time() - start < seconds
        await asyncio.sleep(0.01)


async def test_link_is_cached_in_redis_after_the_first_redirect(app, client, gql, key) -> None:
    link = await make_link(gql, key)
    await asyncio.sleep(0.2)  # the creation's event has been handled
    await client.get(f"/r/{link['slug']}")
    cache_key = keys.key(
        keys.LINK_CACHE, app.state.services.settings.redis_namespace, slug=link["slug"]
    )
    assert await app.state.services.redis.exists(cache_key)


async def test_new_slug_works_at_once_after_a_miss(client, gql, key) -> None:
    assert (await client.get("/r/fresh-slug")).status_code == 404  # remembered as missing
    await make_link(gql, key, slug="fresh-slug")
    await asyncio.sleep(0.2)
    assert (await client.get("/r/fresh-slug")).status_code == 302
