"""The link lifecycle over GraphQL: create, read, update, delete, list, validate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.links.models import Link

CREATE = """
mutation($input: CreateLinkInput!, $dryRun: Boolean) {
  createLink(input: $input, dryRun: $dryRun) {
    link { id slug shortUrl destination title tags metadata status enabled scanLimit
           redirectType forwardQuery passwordProtected notBefore notAfter
           rules { destination conditions { type value } } }
    userErrors { field message code }
  }
}"""
UPDATE = """
mutation($id: ID!, $input: UpdateLinkInput!) {
  updateLink(id: $id, input: $input) {
    link { id slug destination title tags status }
    userErrors { field message code }
  }
}"""
DELETE = "mutation($id: ID!) { deleteLink(id: $id) { deletedId userErrors { code } } }"
GET = "query($id: ID, $slug: String) { link(id: $id, slug: $slug) { id slug destination } }"
LIST = """
query($first: Int, $after: String, $filter: LinkFilter) {
  links(first: $first, after: $after, filter: $filter) {
    totalCount edges { cursor node { slug status } } pageInfo { hasNextPage endCursor }
  }
}"""


async def create(gql, key, **input):
    body = await gql(key, CREATE, input={"destination": "https://example.com/", **input})
    return body["data"]["createLink"]


async def test_create_link_returns_it_with_a_generated_slug(gql, key) -> None:
    payload = await create(gql, key, title="Spring poster", tags=["print", "spring"])
    link = payload["link"]
    assert payload["userErrors"] == []
    assert len(link["slug"]) == 7 and not set(link["slug"]) & set("0O1lI")
    assert link["shortUrl"] == f"http://testserver/r/{link['slug']}"
    assert link["status"] == "ACTIVE" and link["redirectType"] == 302
    assert link["tags"] == ["print", "spring"]
    assert await Link.filter(slug=link["slug"]).exists()


async def test_dry_run_validates_and_stores_nothing(gql, key) -> None:
    body = await gql(
        key, CREATE, input={"destination": "https://example.com/", "slug": "dry"}, dryRun=True
    )
    assert body["data"]["createLink"]["link"]["slug"] == "dry"
    assert await Link.all().count() == 0
    bad = await gql(key, CREATE, input={"destination": "javascript:alert(1)"}, dryRun=True)
    assert bad["data"]["createLink"]["userErrors"][0]["code"] == "INVALID_URL"


@pytest.mark.parametrize(
    "destination",
    [
        "javascript:alert(1)",
        "data:text/html,hi",
        "/relative/path",
        "//evil.example/x",
        "ftp://example.com/f",
        "https://example.com/" + "a" * 2100,
        "",
        "https://exa mple.com/",
    ],
)
async def test_unsafe_or_malformed_destinations_are_refused(gql, key, destination) -> None:
    payload = await create(gql, key, destination=destination)
    assert payload["link"] is None
    assert payload["userErrors"][0] == {
        "field": ["destination"],
        "code": "INVALID_URL",
        "message": payload["userErrors"][0]["message"],
    }
    assert await Link.all().count() == 0


@pytest.mark.parametrize("slug", ["ab", "a" * 65, "has space", "-lead", "ümlaut", "graphql", "API"])
async def test_invalid_or_reserved_slugs_are_refused(gql, key, slug) -> None:
    payload = await create(gql, key, slug=slug)
    assert [e["code"] for e in payload["userErrors"]] == ["INVALID_SLUG"]


async def test_a_taken_slug_is_refused_even_across_workspaces(gql, key, make_key) -> None:
    await create(gql, key, slug="summer-sale")
    other = await make_key("globex")
    payload = await create(gql, other, slug="summer-sale")
    assert [e["code"] for e in payload["userErrors"]] == ["SLUG_TAKEN"]


async def test_more_than_fifty_metadata_keys_are_refused(gql, key) -> None:
    payload = await create(gql, key, metadata={f"k{i}": "v" for i in range(51)})
    assert payload["userErrors"][0]["code"] == "TOO_MANY_METADATA_KEYS"
    ok = await create(gql, key, metadata={f"k{i}": i for i in range(50)})
    assert ok["userErrors"] == [] and len(ok["link"]["metadata"]) == 50


async def test_a_window_that_ends_before_it_starts_is_refused(gql, key) -> None:
    payload = await create(
        gql, key, notBefore="2030-01-02T00:00:00Z", notAfter="2030-01-01T00:00:00Z"
    )
    assert payload["userErrors"][0]["code"] == "INVALID_WINDOW"


async def test_every_problem_is_reported_at_once(gql, key) -> None:
    payload = await create(
        gql, key, destination="javascript:x", slug="!", redirectType=303, scanLimit=0
    )
    codes = {e["code"] for e in payload["userErrors"]}
    assert codes == {"INVALID_URL", "INVALID_SLUG", "INVALID_REDIRECT_TYPE", "INVALID_SCAN_LIMIT"}


async def test_rules_are_validated_and_kept_in_order(gql, key) -> None:
    rules = [
        {
            "destination": "https://m.example.com/",
            "conditions": [{"type": "DEVICE", "value": "mobile"}],
        },
        {
            "destination": "https://de.example.com/",
            "conditions": [{"type": "COUNTRY", "value": "de"}],
        },
    ]
    payload = await create(gql, key, rules=rules)
    assert [r["conditions"][0]["value"] for r in payload["link"]["rules"]] == ["mobile", "DE"]
    bad = await create(
        gql,
        key,
        rules=[
            {
                "destination": "https://x.example/",
                "conditions": [{"type": "IP_CIDR", "value": "300.1.1.0/24"}],
            }
        ],
    )
    assert bad["userErrors"][0]["field"] == ["rules", "0", "conditions", "0", "value"]


async def test_status_follows_window_limit_and_switch(gql, key) -> None:
    now = datetime.now(UTC)
    assert (await create(gql, key, enabled=False))["link"]["status"] == "DISABLED"
    later = (now + timedelta(days=1)).isoformat()
    assert (await create(gql, key, notBefore=later))["link"]["status"] == "SCHEDULED"
    past = (now - timedelta(days=1)).isoformat()
    assert (await create(gql, key, notAfter=past))["link"]["status"] == "EXPIRED"
    exhausted = await create(gql, key, scanLimit=3)
    await Link.filter(slug=exhausted["link"]["slug"]).update(scan_count=3)
    got = await gql(
        key, "query($s: String) { link(slug: $s) { status } }", s=exhausted["link"]["slug"]
    )
    assert got["data"]["link"]["status"] == "EXHAUSTED"


async def test_update_changes_only_the_fields_given(gql, key) -> None:
    link = (await create(gql, key, title="Old", tags=["a"]))["link"]
    body = await gql(key, UPDATE, id=link["id"], input={"destination": "https://new.example/"})
    updated = body["data"]["updateLink"]["link"]
    assert updated["destination"] == "https://new.example/"
    assert (updated["title"], updated["tags"], updated["slug"]) == ("Old", ["a"], link["slug"])


async def test_update_with_bad_input_changes_nothing(gql, key) -> None:
    link = (await create(gql, key))["link"]
    body = await gql(
        key, UPDATE, id=link["id"], input={"destination": "javascript:alert(1)", "title": "changed"}
    )
    assert body["data"]["updateLink"]["userErrors"][0]["code"] == "INVALID_URL"
    stored = await Link.get(slug=link["slug"])
    assert (stored.destination, stored.title) == ("https://example.com/", None)


async def test_update_can_clear_a_password_and_set_one(gql, key) -> None:
    link = (await create(gql, key, password="s3cret"))["link"]
    assert link["passwordProtected"] is True
    body = await gql(
        key,
        UPDATE.replace("status }", "status passwordProtected }"),
        id=link["id"],
        input={"password": None},
    )
    assert body["data"]["updateLink"]["link"]["passwordProtected"] is False


async def test_delete_removes_the_link(gql, key) -> None:
    link = (await create(gql, key))["link"]
    body = await gql(key, DELETE, id=link["id"])
    assert body["data"]["deleteLink"] == {"deletedId": link["id"], "userErrors": []}
    assert (await gql(key, GET, id=link["id"]))["data"]["link"] is None
    again = await gql(key, DELETE, id=link["id"])
    assert again["data"]["deleteLink"]["userErrors"] == [{"code": "NOT_FOUND"}]


async def test_link_is_found_by_id_or_slug(gql, key) -> None:
    link = (await create(gql, key, slug="find-me"))["link"]
    assert (await gql(key, GET, id=link["id"]))["data"]["link"]["slug"] == "find-me"
    assert (await gql(key, GET, slug="find-me"))["data"]["link"]["id"] == link["id"]
    assert (await gql(key, GET, id="not-a-global-id"))["data"]["link"] is None


async def test_links_filter_by_tag_status_and_search(gql, key) -> None:
    await create(gql, key, slug="poster-a", tags=["poster"], title="Lobby poster")
    await create(gql, key, slug="label-b", tags=["label"])
    await create(gql, key, slug="label-c", tags=["label", "poster-x"], enabled=False)

    async def slugs(**filter):
        body = await gql(key, LIST, filter=filter)
        return sorted(e["node"]["slug"] for e in body["data"]["links"]["edges"])

    assert await slugs(tag="poster") == ["poster-a"]
    assert await slugs(tag="label") == ["label-b", "label-c"]
    assert await slugs(status="DISABLED") == ["label-c"]
    assert await slugs(status="ACTIVE") == ["label-b", "poster-a"]
    assert await slugs(search="lobby") == ["poster-a"]


async def test_links_paginate_newest_first_with_total(gql, key) -> None:
    for i in range(5):
        await create(gql, key, slug=f"page-{i}")
    first = (await gql(key, LIST, first=2))["data"]["links"]
    assert first["totalCount"] == 5 and first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["slug"] for e in first["edges"]] == ["page-4", "page-3"]
    rest = (await gql(key, LIST, first=10, after=first["pageInfo"]["endCursor"]))["data"]["links"]
    assert [e["node"]["slug"] for e in rest["edges"]] == ["page-2", "page-1", "page-0"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_first_over_one_hundred_or_a_bad_cursor_is_a_typed_error(gql, key) -> None:
    body = await gql(key, LIST, first=101)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = await gql(key, LIST, after="garbage")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_wrongly_typed_input_is_a_typed_error(gql, key) -> None:
    body = await gql(key, CREATE, input={"destination": 42, "scanLimit": "ten"})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_status_filter_agrees_with_computed_status(gql, key) -> None:
    now = datetime.now(UTC)
    await create(gql, key, slug="st-active", scanLimit=5)
    await create(gql, key, slug="st-disabled", enabled=False)
    await create(gql, key, slug="st-scheduled", notBefore=(now + timedelta(hours=1)).isoformat())
    await create(gql, key, slug="st-expired", notAfter=(now - timedelta(hours=1)).isoformat())
    await create(gql, key, slug="st-exhausted", scanLimit=2)
    await Link.filter(slug="st-exhausted").update(scan_count=2)
    for status in ("ACTIVE", "DISABLED", "SCHEDULED", "EXPIRED", "EXHAUSTED"):
        body = await gql(key, LIST, filter={"status": status})
        nodes = [e["node"] for e in body["data"]["links"]["edges"]]
        assert [n["slug"] for n in nodes] == [f"st-{status.lower()}"]
        assert nodes[0]["status"] == status


async def test_metadata_keeps_numbers_past_64_bits(gql, key) -> None:
    # JSON allows them; the JSON fields are stored with the standard library, whatever else
    # is installed (orjson would refuse them).
    payload = await create(gql, key, metadata={"serial": 2**70, "ratio": 0.5})
    assert payload["userErrors"] == []
    assert payload["link"]["metadata"] == {"serial": 2**70, "ratio": 0.5}
