"""The wall between workspaces, walked operation by operation.

Workspace A owns one of everything. Workspace B, with a key of every scope, tries each
query, mutation, subscription and REST endpoint with A's ids, and again with ids that do not
exist: the two answers must be the same, and A's objects must be unchanged afterwards.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from app.domain.webhooks.models import Webhook, WebhookDelivery
from app.domain.workspaces.services import authenticate
from app.graphql.context import Context
from app.graphql.relay import from_global_id, to_global_id
from app.graphql.schema import build_schema

MISSING_PK = 987654


async def setup_a(gql, key) -> dict[str, Any]:
    """One of everything in workspace A; returns their global ids (and a slug)."""
    design = await gql(
        key,
        """mutation { createDesign(input: {name: "Brand", style: {
        foreground: "#112233"}}) { design { id } userErrors { code } } }""",
    )
    design_id = design["data"]["createDesign"]["design"]["id"]
    link = await gql(
        key,
        """mutation($d: ID) { createLink(input: {destination:
        "https://a.example/", slug: "a-only", designId: $d}) { link { id slug } } }""",
        d=design_id,
    )
    code = await gql(
        key,
        """mutation { createQrCode(input: {name: "A code", dataType: URL,
        kind: DYNAMIC, data: {url: "https://a.example/code"}})
        { qrCode { id } userErrors { code } } }""",
    )
    hook = await gql(
        key,
        """mutation { createWebhook(input: {url: "https://hooks.a.example/",
        events: [LINK_CREATED]}) { webhook { id } userErrors { code message } } }""",
    )
    bulk = await gql(
        key,
        """mutation { bulkCreateQrCodes(input: {items: [{name: "b",
        dataType: TEXT, data: {text: "hi"}}]}) { bulkJob { id } } }""",
    )
    api_key = await gql(
        key,
        """mutation { createApiKey(input: {name: "a2", scopes: ["links:read"]})
        { apiKey { id } } }""",
    )
    hook_id = hook["data"]["createWebhook"]["webhook"]["id"]
    webhook = await Webhook.get(id=from_global_id(hook_id)[1])
    delivery = await WebhookDelivery.create(
        webhook=webhook, msg_id="msg_isolation", event="link.created", payload="{}"
    )
    return {
        "Link": link["data"]["createLink"]["link"]["id"],
        "slug": link["data"]["createLink"]["link"]["slug"],
        "Design": design_id,
        "QrCode": code["data"]["createQrCode"]["qrCode"]["id"],
        "Webhook": hook_id,
        "WebhookDelivery": to_global_id("WebhookDelivery", delivery.id),
        "BulkJob": bulk["data"]["bulkCreateQrCodes"]["bulkJob"]["id"],
        "ApiKey": api_key["data"]["createApiKey"]["apiKey"]["id"],
    }


SNAPSHOT = """query($link: ID!, $code: ID!, $design: ID!, $job: ID!) {
  link(id: $link) { slug destination title tags enabled design { id } }
  qrCode(id: $code) { name data design { id } }
  design(id: $design) { name style { foreground } }
  bulkJob(id: $job) { status total }
  webhooks { edges { node { id url enabled events description } } }
  links { totalCount } qrCodes { totalCount } designs { totalCount }
}"""

# (operation, variables, the type whose id goes in) — every one with an id argument.
OPERATIONS = [
    ("query($id: ID!) { node(id: $id) { id } }", "Link"),
    ("query($id: ID!) { node(id: $id) { id } }", "QrCode"),
    ("query($id: ID!) { node(id: $id) { id } }", "Design"),
    ("query($id: ID!) { node(id: $id) { id } }", "Webhook"),
    ("query($id: ID!) { node(id: $id) { id } }", "WebhookDelivery"),
    ("query($id: ID!) { node(id: $id) { id } }", "BulkJob"),
    ("query($id: ID!) { node(id: $id) { id } }", "ApiKey"),
    ("query($id: ID!) { link(id: $id) { id } }", "Link"),
    ("query($id: ID!) { qrCode(id: $id) { id } }", "QrCode"),
    ("query($id: ID!) { design(id: $id) { id } }", "Design"),
    ("query($id: ID!) { bulkJob(id: $id) { id } }", "BulkJob"),
    ("mutation($id: ID!) { updateLink(id: $id, input: {destination: \"https://b.example/\"})"
     " { link { id } userErrors { code field } } }", "Link"),
    ("mutation($id: ID!) { deleteLink(id: $id) { deletedId userErrors { code field } } }", "Link"),
    ("mutation($id: ID!) { updateQrCode(id: $id, input: {name: \"stolen\"})"
     " { qrCode { id } userErrors { code field } } }", "QrCode"),
    ("mutation($id: ID!) { deleteQrCode(id: $id) { deletedId userErrors { code field } } }",
     "QrCode"),
    ("mutation($id: ID!) { updateDesign(id: $id, input: {name: \"stolen\"})"
     " { design { id } userErrors { code field } } }", "Design"),
    ("mutation($id: ID!) { deleteDesign(id: $id) { deletedId userErrors { code field } } }",
     "Design"),
    ("mutation($id: ID!) { updateWebhook(id: $id, input: {url: \"https://b.example/h\"})"
     " { webhook { id } userErrors { code field } } }", "Webhook"),
    ("mutation($id: ID!) { deleteWebhook(id: $id) { deletedId userErrors { code field } } }",
     "Webhook"),
    ("mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { userErrors { code field } } }",
     "WebhookDelivery"),
    ("mutation($id: ID!) { revokeApiKey(id: $id) { deletedId userErrors { code field } } }",
     "ApiKey"),
    ("mutation($id: ID!) { createLink(input: {destination: \"https://b.example/\", designId: $id})"
     " { link { id } userErrors { code field } } }", "Design"),
    ("mutation($id: ID!) { createQrCode(input: {name: \"b\", dataType: TEXT, data: {text: \"x\"},"
     " designId: $id}) { qrCode { id } userErrors { code field } } }", "Design"),
]  # fmt: skip


def missing(type_name: str) -> str:
    return str(to_global_id(type_name, MISSING_PK))


@pytest.mark.parametrize(("operation", "type_name"), OPERATIONS)
async def test_another_workspaces_id_behaves_like_a_missing_one(
    gql, make_key, operation: str, type_name: str
) -> None:
    a, b = await make_key("acme"), await make_key("globex")
    ids = await setup_a(gql, a)
    snapshot = {"link": ids["Link"], "code": ids["QrCode"], "design": ids["Design"],
                "job": ids["BulkJob"]}  # fmt: skip
    before = await gql(a, SNAPSHOT, **snapshot)

    theirs = await gql(b, operation, id=ids[type_name])
    nobodys = await gql(b, operation, id=missing(type_name))
    assert theirs == nobodys
    assert await gql(a, SNAPSHOT, **snapshot) == before


async def test_lists_and_slugs_show_nothing_of_another_workspace(gql, make_key) -> None:
    a, b = await make_key("acme"), await make_key("globex")
    ids = await setup_a(gql, a)
    body = await gql(
        b,
        """query($slug: String) { link(slug: $slug) { id }
        links { totalCount } qrCodes { totalCount } designs { totalCount }
        webhooks { totalCount } }""",
        slug=ids["slug"],
    )
    assert body["data"] == {
        "link": None,
        "links": {"totalCount": 0},
        "qrCodes": {"totalCount": 0},
        "designs": {"totalCount": 0},
        "webhooks": {"totalCount": 0},
    }


async def test_rest_endpoints_refuse_another_workspaces_ids(
    gql, make_key, client: httpx.AsyncClient
) -> None:
    a, b = await make_key("acme"), await make_key("globex")
    ids = await setup_a(gql, a)
    pk = from_global_id(ids["QrCode"])[1]
    auth = {"Authorization": f"Bearer {b}"}
    theirs = await client.get(f"/qr/{pk}.png", headers=auth)
    nobodys = await client.get(f"/qr/{MISSING_PK}.png", headers=auth)
    assert theirs.status_code == nobodys.status_code == 404
    assert theirs.json()["detail"] == nobodys.json()["detail"]

    # A signed image URL is bound to its code: moved to another id, it is refused.
    url = (await gql(a, "query($id: ID!) { qrCode(id: $id) { imageUrl } }", id=ids["QrCode"]))[
        "data"
    ]["qrCode"]["imageUrl"].removeprefix("http://testserver")
    assert (await client.get(url)).status_code == 200
    moved = re.sub(r"/qr/\d+\.", f"/qr/{MISSING_PK}.", url)
    assert (await client.get(moved)).status_code == 403


async def test_subscriptions_yield_nothing_for_another_workspaces_ids(app, gql, make_key) -> None:
    a, b = await make_key("acme"), await make_key("globex")
    ids = await setup_a(gql, a)
    context = Context(request=None, response=None, services=app.state.services,  # type: ignore[arg-type]
                      principal=await authenticate(b))  # fmt: skip
    stream = await build_schema().subscribe(
        "subscription($id: ID!) { bulkJobUpdated(id: $id) { id status } }",
        variable_values={"id": ids["BulkJob"]},
        context_value=context,
    )
    assert [result async for result in stream] == []
