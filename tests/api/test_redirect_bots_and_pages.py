"""Bots and HEAD never spend a scan; dead links answer people with a page and API clients
with problem+json; the workspace's and the operator's fallbacks (issue 13)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.domain.links.resolve import DELETED, DISABLED, EXHAUSTED, EXPIRED, SCHEDULED
from app.http.pages import MESSAGES, prefers_html

CREATE = """
mutation($i: CreateLinkInput!) {
  createLink(input: $i) { link { id slug } userErrors { field code } }
}"""
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
SLACKBOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def make_link(gql, key, **input) -> dict:
    body = await gql(key, CREATE, i={"destination": "https://example.com/a", **input})
    assert body["data"]["createLink"]["userErrors"] == [], body
    return body["data"]["createLink"]["link"]


async def test_issue13_bots_and_head_never_spend_the_last_scan(client, gql, key) -> None:
    link = await make_link(gql, key, scanLimit=1)
    path = f"/r/{link['slug']}"
    # The unfurler and a HEAD see the redirect while the limit holds, and spend nothing.
    assert (await client.get(path, headers={"User-Agent": SLACKBOT})).status_code == 302
    assert (await client.head(path, headers={"User-Agent": IPHONE})).status_code == 302
    person = await client.get(path, headers={"User-Agent": IPHONE})
    assert person.status_code == 302
    assert person.headers["location"] == "https://example.com/a"
    # Used up: a bot still gets an answer (gone), never a stall or a redirect.
    assert (await client.get(path, headers={"User-Agent": SLACKBOT})).status_code == 410
    assert (await client.get(path, headers={"User-Agent": IPHONE})).status_code == 410


async def test_issue13_humans_get_exactly_the_limit_among_100_concurrent_bots(
    client, gql, key
) -> None:
    link = await make_link(gql, key, scanLimit=10, fallbackDestination="https://example.com/over")
    path = f"/r/{link['slug']}"
    requests = [client.get(path, headers={"User-Agent": SLACKBOT}) for _ in range(100)]
    requests += [client.get(path, headers={"User-Agent": IPHONE}) for _ in range(10)]
    responses = await asyncio.gather(*requests)
    humans = [r.headers["location"] for r in responses[100:]]
    assert humans == ["https://example.com/a"] * 10
    # The limit is reached now: a bot is sent where an exhausted link sends everyone.
    late = await client.get(path, headers={"User-Agent": SLACKBOT})
    assert late.headers["location"] == "https://example.com/over"


def dead_states() -> dict[str, dict]:
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    earlier = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    return {
        DISABLED: {"enabled": False},
        SCHEDULED: {"notBefore": later},
        EXPIRED: {"notBefore": (datetime.now(UTC) - timedelta(days=2)).isoformat(),
                  "notAfter": earlier},
        EXHAUSTED: {"scanLimit": 1},
    }  # fmt: skip


async def dead_paths(client, gql, key) -> dict[str, tuple[str, int]]:
    """A path of every dead state, with the status it answers."""
    paths = {"UNKNOWN": ("/r/never-was", 404)}
    for reason, options in dead_states().items():
        link = await make_link(gql, key, **options)
        paths[reason] = (f"/r/{link['slug']}", 404 if reason == DISABLED else 410)
        if reason == EXHAUSTED:
            assert (await client.get(paths[reason][0], headers={"User-Agent": IPHONE})).is_redirect
    deleted = await make_link(gql, key)
    await gql(key, "mutation($id: ID!) { deleteLink(id: $id) { deletedId } }", id=deleted["id"])
    paths[DELETED] = (f"/r/{deleted['slug']}", 410)
    return paths


async def test_issue13_people_get_a_page_and_api_clients_problem_json(client, gql, key) -> None:
    for reason, (path, status) in (await dead_paths(client, gql, key)).items():
        page = await client.get(path, headers={"Accept": BROWSER_ACCEPT, "User-Agent": IPHONE})
        assert page.status_code == status, reason
        assert page.headers["content-type"].startswith("text/html"), reason
        title, sentence = MESSAGES[reason]
        assert f"<h1>{title}</h1>" in page.text and sentence in page.text, reason
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert '<html lang="en">' in page.text
        for accept in (None, "application/json", "*/*"):
            headers = {"Accept": accept} if accept else {}
            api = await client.get(path, headers=headers)
            assert api.status_code == status, (reason, accept)
            assert api.headers["content-type"] == "application/problem+json", (reason, accept)


async def test_issue13_workspace_fallback_takes_people_from_dead_links(
    client, gql, key, make_key
) -> None:
    set_fallback = """mutation($u: String) { updateWorkspaceSettings(input: {deadLinkFallback: $u})
      { workspace { deadLinkFallback } userErrors { field code } } }"""
    bad = await gql(key, set_fallback, u="javascript:alert(1)")
    assert bad["data"]["updateWorkspaceSettings"]["userErrors"][0]["code"] == "INVALID_URL"
    done = await gql(key, set_fallback, u="https://acme.example/help")
    assert done["data"]["updateWorkspaceSettings"]["workspace"] == {
        "deadLinkFallback": "https://acme.example/help"
    }
    paths = await dead_paths(client, gql, key)
    for reason, (path, _) in paths.items():
        response = await client.get(path, headers={"User-Agent": IPHONE})
        if reason == "UNKNOWN":  # belongs to no workspace
            assert response.status_code == 404
        else:
            assert response.status_code == 302, reason
            assert response.headers["location"] == "https://acme.example/help", reason
    # A link's own fallback comes first; another workspace's links are not affected.
    own = await make_link(gql, key, enabled=True, notAfter=datetime.now(UTC).isoformat(),
                          notBefore=(datetime.now(UTC) - timedelta(days=1)).isoformat(),
                          fallbackDestination="https://acme.example/own")  # fmt: skip
    assert (await client.get(f"/r/{own['slug']}")).headers["location"] == "https://acme.example/own"
    other = await make_link(gql, await make_key("globex"), enabled=False)
    assert (await client.get(f"/r/{other['slug']}")).status_code == 404


async def test_issue13_operator_sends_unknown_slugs_and_the_bare_domain_elsewhere(
    settings, run_app
) -> None:
    configured = replace(
        settings,
        not_found_redirect="https://acme.example/not-found",
        base_redirect="https://acme.example/",
    )
    async with run_app(configured) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            unknown = await c.get("/r/never-was")
            assert unknown.status_code == 302
            assert unknown.headers["location"] == "https://acme.example/not-found"
            bare = await c.get("/")
            assert bare.status_code == 302
            assert bare.headers["location"] == "https://acme.example/"
            assert (await c.get("/healthz")).status_code == 200  # other routes untouched


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER_ACCEPT, True),
        ("text/html", True),
        ("*/*", False),
        ("application/json", False),
        ("application/problem+json, text/html;q=0.5", False),
        ("text/html;q=0, */*", False),
        ("", False),
    ],
)
def test_prefers_html_follows_the_accept_header(accept: str, html: bool) -> None:
    assert prefers_html(accept) is html
