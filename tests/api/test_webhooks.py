"""Webhooks end to end: GraphQL management, and deliveries to a real HTTP receiver on
127.0.0.1, driven by the real worker's job and delivery loop, with back-off delays made due
instead of waited for."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as Verifier
from starlette.applications import Starlette

from app.domain.webhooks.models import Webhook, WebhookDelivery
from app.graphql.relay import from_global_id
from workers import webhooks
from workers.settings import build_worker

# ---------------------------------------------------------------- the receiver


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every request; answers from a script (status, headers) or hangs, else 204."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    script: list[tuple[int, dict[str, str]] | str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def answer(self, status: int, times: int = 1, **headers: str) -> None:
        self.script.extend([(status, headers)] * times)

    def hang(self, times: int = 1) -> None:
        self.script.extend(["hang"] * times)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with lock:
                state.requests.append(
                    Received({k.lower(): v for k, v in self.headers.items()}, body)
                )
                reply = state.script.pop(0) if state.script else (204, {})
            if reply == "hang":
                state.release.wait(10)
                return
            status, headers = reply
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.send_header("content-length", "0")
                self.end_headers()
            except OSError:
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


# ---------------------------------------------------------------- driving the worker


async def run_due(app: Starlette, **ctx: Any) -> int:
    """One step: the queued jobs (an event becoming its deliveries) if there are any, else
    one pass of the delivery loop over every PENDING delivery made due now (the back-off is
    not waited for). How many jobs or attempts it ran."""
    services = app.state.services
    jobs = await services.redis.zrange(services.jobs.queue_name, 0, -1)
    if jobs:
        worker = build_worker(
            services, burst=True, handle_signals=False, poll_delay=0.01, max_burst_jobs=len(jobs)
        )
        worker.ctx.update(ctx)
        try:
            await worker.async_run()
        finally:
            await worker.on_shutdown(worker.ctx)  # type: ignore[misc]
        assert worker.jobs_failed == 0 and worker.jobs_retried == 0
        return worker.jobs_complete
    await WebhookDelivery.filter(status="PENDING").update(next_attempt_at=datetime.now(UTC))
    state = {"services": services, "deliver_webhooks": False, **ctx}
    await webhooks.startup(state)
    try:
        return await webhooks.delivery_loop(state).run_once()
    finally:
        await webhooks.shutdown(state)


async def drain(app: Starlette, rounds: int = 20, **ctx: Any) -> None:
    for _ in range(rounds):
        if not await run_due(app, **ctx):
            return
    raise AssertionError("jobs still queued")


async def scheduled(app: Starlette) -> list[tuple[int, float]]:
    """The PENDING deliveries and when each is due (epoch ms): the schedule is the rows."""
    rows = await WebhookDelivery.filter(status="PENDING").order_by("id")
    return [
        (row.id, row.next_attempt_at.timestamp() * 1000 if row.next_attempt_at else 0.0)
        for row in rows
    ]


# ---------------------------------------------------------------- GraphQL

CREATE = """
mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) {
    webhook { id url description events enabled disabledReason }
    secret
    userErrors { field message code }
  }
}"""
UPDATE = """
mutation($id: ID!, $input: UpdateWebhookInput!) {
  updateWebhook(id: $id, input: $input) {
    webhook { id url events enabled disabledReason description }
    secret
    userErrors { field message code }
  }
}"""
DELETE = "mutation($id: ID!) { deleteWebhook(id: $id) { deletedId userErrors { code } } }"
REDELIVER = """
mutation($id: ID!) {
  redeliverWebhook(deliveryId: $id) {
    webhookDelivery { id status attempts }
    userErrors { code message }
  }
}"""
DELIVERIES = """
query {
  webhooks(first: 10) {
    totalCount
    edges { node {
      id url enabled disabledReason
      deliveries(first: 10) {
        totalCount
        edges { node {
          id event status attempts responseStatus lastError createdAt deliveredAt
          attemptLog { number startedAt durationMs responseStatus error }
        } }
      }
    } }
  }
}"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Webhook { url } } }"
CREATE_LINK = """
mutation($input: CreateLinkInput!) { createLink(input: $input) { link { id slug } } }"""


async def create_webhook(gql, key, **input: Any) -> dict[str, Any]:
    body = await gql(key, CREATE, input={"events": ["LINK_CREATED"], **input})
    payload: dict[str, Any] = body["data"]["createWebhook"]
    return payload


async def hooked(gql, key, receiver: Receiver, **input: Any) -> tuple[str, str]:
    """A webhook on the receiver: (its id, its secret)."""
    payload = await create_webhook(gql, key, url=receiver.url, **input)
    assert payload["userErrors"] == []
    return payload["webhook"]["id"], payload["secret"]


async def create_link(gql, key) -> dict[str, Any]:
    body = await gql(key, CREATE_LINK, input={"destination": "https://example.com/spring"})
    link: dict[str, Any] = body["data"]["createLink"]["link"]
    return link


async def only_delivery(gql, key) -> dict[str, Any]:
    body = await gql(key, DELIVERIES)
    [hook] = body["data"]["webhooks"]["edges"]
    [edge] = hook["node"]["deliveries"]["edges"]
    node: dict[str, Any] = edge["node"]
    return node


def verified(secret: str, request: Received) -> dict[str, Any]:
    payload: dict[str, Any] = Verifier(secret).verify(request.body, request.headers)
    return payload


# ---------------------------------------------------------------- management


async def test_create_webhook_returns_the_secret_once(gql, key, receiver) -> None:
    payload = await create_webhook(
        gql,
        key,
        url=receiver.url,
        events=["LINK_CREATED", "SCAN_CREATED", "LINK_CREATED"],
        description="CRM sync",
    )
    assert payload["userErrors"] == []
    assert payload["secret"].startswith("whsec_")
    hook = payload["webhook"]
    assert hook["events"] == ["LINK_CREATED", "SCAN_CREATED"]  # duplicates fold
    assert hook["enabled"] is True and hook["disabledReason"] is None
    assert hook["description"] == "CRM sync"
    update = await gql(key, UPDATE, id=hook["id"], input={"description": "CRM"})
    assert update["data"]["updateWebhook"]["secret"] is None
    stored = await Webhook.get()
    assert stored.secret == payload["secret"]  # kept to sign with, never shown again


async def test_bad_urls_and_events_are_user_errors_and_store_nothing(gql, key) -> None:
    cases = {
        "javascript:alert(1)": "INVALID_URL",
        "/hooks": "INVALID_URL",
        "//example.com/hooks": "INVALID_URL",
        "https://example.com/" + "a" * 2048: "INVALID_URL",
    }
    for url, code in cases.items():
        payload = await create_webhook(gql, key, url=url)
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, ["url"])], url
        assert payload["webhook"] is None and payload["secret"] is None
    empty = await create_webhook(gql, key, url="https://example.com/h", events=[])
    assert [(e["code"], e["field"]) for e in empty["userErrors"]] == [("NO_EVENTS", ["events"])]
    long = await create_webhook(gql, key, url="https://example.com/h", description="x" * 501)
    assert long["userErrors"][0]["code"] == "TOO_LONG"
    # An event outside the WebhookEvent enum never reaches a resolver.
    unknown = await gql(key, CREATE, input={"url": "https://example.com/h", "events": ["NOPE"]})
    assert unknown["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await Webhook.all().count() == 0


async def test_private_targets_are_refused_at_create_when_not_allowed(app, gql, key) -> None:
    services = app.state.services
    services.settings = replace(services.settings, allow_private_targets=False)
    for url in (
        "http://127.0.0.1:8080/h",
        "http://[::1]/h",
        "http://169.254.169.254/latest",
        "http://10.1.2.3/h",
        "http://localhost/h",
    ):
        payload = await create_webhook(gql, key, url=url)
        assert [e["code"] for e in payload["userErrors"]] == ["UNSAFE_TARGET"], url
    assert await Webhook.all().count() == 0


async def test_webhook_quota_is_enforced(gql, key) -> None:
    for _ in range(20):
        assert (await create_webhook(gql, key, url="https://example.com/h"))["userErrors"] == []
    over = await create_webhook(gql, key, url="https://example.com/h")
    assert over["userErrors"][0]["code"] == "QUOTA_EXCEEDED"
    assert await Webhook.all().count() == 20


async def test_update_changes_only_the_fields_given(gql, key, receiver) -> None:
    hook_id, _ = await hooked(gql, key, receiver, description="first")
    body = await gql(key, UPDATE, id=hook_id, input={"events": ["LINK_DELETED", "SCAN_CREATED"]})
    hook = body["data"]["updateWebhook"]["webhook"]
    assert hook["events"] == ["LINK_DELETED", "SCAN_CREATED"]
    assert hook["url"] == receiver.url and hook["description"] == "first"
    bad = await gql(key, UPDATE, id=hook_id, input={"url": "ftp://example.com/", "events": []})
    codes = sorted(e["code"] for e in bad["data"]["updateWebhook"]["userErrors"])
    assert codes == ["INVALID_URL", "NO_EVENTS"]
    assert (await Webhook.get()).url == receiver.url


async def test_another_workspaces_webhook_behaves_as_missing(
    app, gql, key, make_key, receiver
) -> None:
    hook_id, _ = await hooked(gql, key, receiver)
    await create_link(gql, key)
    await drain(app)
    delivery_id = (await only_delivery(gql, key))["id"]
    other = await make_key("globex")
    assert (await gql(other, DELIVERIES))["data"]["webhooks"]["totalCount"] == 0
    assert (await gql(other, NODE, id=hook_id))["data"]["node"] is None
    assert (await gql(other, NODE, id=delivery_id))["data"]["node"] is None
    assert (await gql(key, NODE, id=hook_id))["data"]["node"]["url"] == receiver.url
    update = await gql(other, UPDATE, id=hook_id, input={"enabled": False})
    assert update["data"]["updateWebhook"]["userErrors"][0]["code"] == "NOT_FOUND"
    redeliver = await gql(other, REDELIVER, id=delivery_id)
    assert redeliver["data"]["redeliverWebhook"]["userErrors"][0]["code"] == "NOT_FOUND"
    delete = await gql(other, DELETE, id=hook_id)
    assert delete["data"]["deleteWebhook"]["userErrors"][0]["code"] == "NOT_FOUND"
    # The other workspace's own links fire nothing at acme's endpoint.
    await create_link(gql, other)
    await drain(app)
    assert len(receiver.requests) == 1
    assert (await Webhook.get()).enabled


async def test_webhooks_need_the_manage_scope(gql, make_key) -> None:
    reader = await make_key(scopes=("links:read", "links:write"))
    body = await gql(reader, DELIVERIES)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    created = await gql(
        reader, CREATE, input={"url": "https://example.com/h", "events": ["LINK_CREATED"]}
    )
    assert created["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Webhook.all().count() == 0


async def test_delete_removes_the_webhook_and_its_queued_attempts_stop(
    app, gql, key, receiver
) -> None:
    hook_id, _ = await hooked(gql, key, receiver)
    await create_link(gql, key)
    body = await gql(key, DELETE, id=hook_id)
    assert body["data"]["deleteWebhook"] == {"deletedId": hook_id, "userErrors": []}
    await drain(app)
    assert receiver.requests == [] and await WebhookDelivery.all().count() == 0
    again = await gql(key, DELETE, id=hook_id)
    assert again["data"]["deleteWebhook"]["userErrors"][0]["code"] == "NOT_FOUND"


# ---------------------------------------------------------------- deliveries


async def test_link_created_is_delivered_signed_per_standard_webhooks(
    app, gql, key, receiver
) -> None:
    _, secret = await hooked(gql, key, receiver)
    link = await create_link(gql, key)
    await drain(app)
    [request] = receiver.requests
    payload = verified(secret, request)
    assert payload["type"] == "link.created"
    assert payload["data"] == {
        "id": link["id"],
        "slug": link["slug"],
        "destination": "https://example.com/spring",
    }
    assert datetime.fromisoformat(payload["timestamp"]) <= datetime.now(UTC)
    assert request.headers["webhook-id"].startswith("msg_")
    assert request.headers["content-type"] == "application/json"
    delivery = await only_delivery(gql, key)
    assert delivery["status"] == "SUCCEEDED" and delivery["attempts"] == 1
    assert delivery["event"] == "LINK_CREATED" and delivery["responseStatus"] == 204
    assert delivery["deliveredAt"] is not None and delivery["lastError"] is None
    [attempt] = delivery["attemptLog"]
    assert attempt["number"] == 1 and attempt["responseStatus"] == 204
    assert attempt["error"] is None and attempt["durationMs"] >= 0


async def test_every_scan_created_event_is_delivered(app, gql, key, receiver) -> None:
    _, secret = await hooked(gql, key, receiver, events=["SCAN_CREATED"])
    link = await create_link(gql, key)
    hook = await Webhook.get()
    link_pk = from_global_id(link["id"])[1]  # type: ignore[index]
    # What scan ingestion emits for each scan it stores.
    for scan_id in range(1, 6):
        data = {"id": scan_id, "link_id": link_pk, "source": "QR", "country": "DE"}
        await app.state.services.events.emit("scan.created", hook.workspace_id, data)
    await drain(app)
    assert len(receiver.requests) == 5  # and nothing for link.created
    payloads = [verified(secret, r) for r in receiver.requests]
    assert {p["type"] for p in payloads} == {"scan.created"}
    assert {p["data"]["linkId"] for p in payloads} == {link["id"]}
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 5


async def test_only_subscribed_enabled_webhooks_get_an_event(app, gql, key, receiver) -> None:
    await hooked(gql, key, receiver, events=["LINK_DELETED"])
    off_id, _ = await hooked(gql, key, receiver)
    await gql(key, UPDATE, id=off_id, input={"enabled": False})
    await create_link(gql, key)
    await drain(app)
    assert receiver.requests == [] and await WebhookDelivery.all().count() == 0


async def test_a_receiver_failing_twice_gets_one_success_after_three_attempts(
    app, gql, key, receiver
) -> None:
    _, secret = await hooked(gql, key, receiver)
    receiver.answer(500, times=2)
    await create_link(gql, key)
    started = datetime.now(UTC)
    await run_due(app)  # the event becomes a delivery
    await run_due(app)  # attempt 1: 500
    delivery = await WebhookDelivery.get()
    assert delivery.status == "PENDING" and delivery.attempts == 1
    # The next try waits ~5 s (the schedule's second step, with its jitter), in its row.
    [(_, due_ms)] = await scheduled(app)
    assert 4.4 <= due_ms / 1000 - started.timestamp() <= 5.6 + 2
    assert delivery.next_attempt_at is not None
    await run_due(app)  # attempt 2: 500, the next one ~5 min later
    [(_, due_ms)] = await scheduled(app)
    assert 270 <= due_ms / 1000 - time.time() <= 330
    await drain(app)  # attempt 3: 204
    assert len(receiver.requests) == 3
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert [verified(secret, r)["type"] for r in receiver.requests] == ["link.created"] * 3
    assert len({r.body for r in receiver.requests}) == 1  # same message every time
    delivery = await only_delivery(gql, key)
    assert delivery["status"] == "SUCCEEDED" and delivery["attempts"] == 3
    assert [a["responseStatus"] for a in delivery["attemptLog"]] == [500, 500, 204]
    assert [a["error"] for a in delivery["attemptLog"]] == ["HTTP 500.", "HTTP 500.", None]
    assert await scheduled(app) == []
    assert (await Webhook.get()).failing_since is None  # a success ends the failing streak


async def test_an_unresponsive_receiver_is_retried_and_its_attempts_are_visible(
    app, gql, key, receiver
) -> None:
    await hooked(gql, key, receiver)
    receiver.hang(times=2)
    await create_link(gql, key)
    for _ in range(3):  # the event, then two attempts that time out
        await run_due(app, webhook_timeout=0.3)
    delivery = await only_delivery(gql, key)
    assert delivery["status"] == "PENDING" and delivery["attempts"] == 2
    assert delivery["responseStatus"] is None
    assert delivery["lastError"] == "Timed out after 0.3 s."
    log = delivery["attemptLog"]
    assert [a["number"] for a in log] == [1, 2]
    assert all(a["responseStatus"] is None and a["error"] == "Timed out after 0.3 s." for a in log)
    assert all(250 <= a["durationMs"] < 3000 for a in log)
    await drain(app, webhook_timeout=0.3)  # the receiver answers again
    assert (await only_delivery(gql, key))["status"] == "SUCCEEDED"
    assert len(receiver.requests) == 3


async def test_410_gone_disables_the_webhook_with_the_reason(app, gql, key, receiver) -> None:
    hook_id, _ = await hooked(gql, key, receiver)
    receiver.answer(410)
    await create_link(gql, key)
    await drain(app)
    body = await gql(key, DELIVERIES)
    hook = body["data"]["webhooks"]["edges"][0]["node"]
    assert hook["enabled"] is False and "410 Gone" in hook["disabledReason"]
    delivery = hook["deliveries"]["edges"][0]["node"]
    assert delivery["status"] == "FAILED" and delivery["attempts"] == 1
    assert await scheduled(app) == []  # no retries
    await create_link(gql, key)
    await drain(app)
    assert len(receiver.requests) == 1  # a disabled webhook gets nothing new
    # Enabling it again forgets the reason.
    body = await gql(key, UPDATE, id=hook_id, input={"enabled": True})
    assert body["data"]["updateWebhook"]["webhook"]["disabledReason"] is None
    assert body["data"]["updateWebhook"]["webhook"]["enabled"] is True


async def test_a_webhook_failing_for_three_days_is_disabled(app, gql, key, receiver) -> None:
    await hooked(gql, key, receiver)
    receiver.answer(500)
    since = datetime.now(UTC) - timedelta(days=3, minutes=1)
    await Webhook.all().update(failing_since=since)
    await create_link(gql, key)
    await drain(app)
    hook = await Webhook.get()
    assert hook.enabled is False and "3 days" in (hook.disabled_reason or "")
    assert (await WebhookDelivery.get()).status == "FAILED"


async def test_a_failure_starts_the_failing_streak_and_a_success_ends_it(
    app, gql, key, receiver
) -> None:
    await hooked(gql, key, receiver)
    receiver.answer(502)
    await create_link(gql, key)
    await run_due(app)
    await run_due(app)
    assert (await Webhook.get()).failing_since is not None
    await drain(app)
    hook = await Webhook.get()
    assert hook.failing_since is None and hook.enabled


async def test_retry_after_is_honoured_and_capped(app, gql, key, receiver) -> None:
    await hooked(gql, key, receiver)
    receiver.answer(503, retry_after="120")
    receiver.answer(429, retry_after="999999999")
    await create_link(gql, key)
    await run_due(app)
    await run_due(app)
    [(_, due_ms)] = await scheduled(app)
    assert 118 <= due_ms / 1000 - time.time() <= 121  # not the schedule's 5 s
    await run_due(app)
    [(_, due_ms)] = await scheduled(app)
    assert 24 * 3600 - 5 <= due_ms / 1000 - time.time() <= 24 * 3600  # capped at a day
    await drain(app)
    assert (await WebhookDelivery.get()).status == "SUCCEEDED"


async def test_the_schedule_ends_in_failure_after_ten_attempts(app, gql, key, receiver) -> None:
    await hooked(gql, key, receiver)
    receiver.answer(500, times=10)
    await create_link(gql, key)
    await drain(app)
    delivery = await only_delivery(gql, key)
    assert delivery["status"] == "FAILED" and delivery["attempts"] == 10
    assert [a["number"] for a in delivery["attemptLog"]] == list(range(1, 11))
    assert len(receiver.requests) == 10
    assert (await Webhook.get()).enabled  # failing for minutes, not days


async def test_redirects_are_not_followed(app, gql, key, receiver) -> None:
    await hooked(gql, key, receiver)
    receiver.answer(307, location=receiver.url)
    await create_link(gql, key)
    await run_due(app)
    await run_due(app)
    assert len(receiver.requests) == 1
    delivery = await WebhookDelivery.get()
    assert delivery.response_status == 307 and delivery.status == "PENDING"
    assert "redirects are not followed" in (delivery.last_error or "")


async def test_a_private_target_is_refused_at_delivery_time(app, gql, key, receiver) -> None:
    await hooked(gql, key, receiver)  # saved while private targets were allowed
    services = app.state.services
    services.settings = replace(services.settings, allow_private_targets=False)
    await create_link(gql, key)
    await run_due(app)
    await run_due(app)
    assert receiver.requests == []
    delivery = await only_delivery(gql, key)
    assert delivery["status"] == "PENDING" and delivery["attempts"] == 1
    [attempt] = delivery["attemptLog"]
    assert attempt["responseStatus"] is None
    assert attempt["error"].startswith("Refused:") and "127.0.0.1" in attempt["error"]


async def test_redeliver_sends_the_same_message_again(app, gql, key, receiver) -> None:
    _, secret = await hooked(gql, key, receiver)
    await create_link(gql, key)
    await drain(app)
    delivery_id = (await only_delivery(gql, key))["id"]
    body = await gql(key, REDELIVER, id=delivery_id)
    payload = body["data"]["redeliverWebhook"]
    assert payload["userErrors"] == [] and payload["webhookDelivery"]["status"] == "PENDING"
    await drain(app)
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body and verified(secret, second)["type"] == "link.created"
    delivery = await only_delivery(gql, key)
    assert delivery["status"] == "SUCCEEDED" and delivery["attempts"] == 2
    assert [a["number"] for a in delivery["attemptLog"]] == [1, 2]


async def test_redeliver_restarts_the_schedule_of_a_failed_delivery(
    app, gql, key, receiver
) -> None:
    await hooked(gql, key, receiver)
    receiver.answer(500, times=11)
    await create_link(gql, key)
    await drain(app)
    delivery_id = (await only_delivery(gql, key))["id"]
    assert (await WebhookDelivery.get()).status == "FAILED"
    await gql(key, REDELIVER, id=delivery_id)
    await run_due(app)  # attempt 11: 500 again, retried on the schedule's first steps
    [(_, due_ms)] = await scheduled(app)
    assert 4 <= due_ms / 1000 - time.time() <= 6
    await drain(app)
    delivery = await only_delivery(gql, key)
    assert delivery["status"] == "SUCCEEDED" and delivery["attempts"] == 12


async def test_redeliver_on_a_disabled_webhook_is_a_user_error(app, gql, key, receiver) -> None:
    hook_id, _ = await hooked(gql, key, receiver)
    await create_link(gql, key)
    await drain(app)
    delivery_id = (await only_delivery(gql, key))["id"]
    await gql(key, UPDATE, id=hook_id, input={"enabled": False})
    body = await gql(key, REDELIVER, id=delivery_id)
    assert body["data"]["redeliverWebhook"]["userErrors"][0]["code"] == "WEBHOOK_DISABLED"
    assert await scheduled(app) == []


async def test_deliveries_page_newest_first(app, gql, key, receiver) -> None:
    await hooked(gql, key, receiver, events=["LINK_CREATED", "LINK_UPDATED", "LINK_DELETED"])
    link = await create_link(gql, key)
    await drain(app)  # one event at a time: concurrent dispatch jobs may store in any order
    await gql(key, "mutation($id: ID!) { deleteLink(id: $id) { deletedId } }", id=link["id"])
    await drain(app)
    query = """query($after: String) { webhooks { edges { node {
        deliveries(first: 1, after: $after) {
          totalCount edges { node { event } } pageInfo { hasNextPage endCursor } } } } } }"""
    events, after = [], None
    while True:
        body = await gql(key, query, after=after)
        page = body["data"]["webhooks"]["edges"][0]["node"]["deliveries"]
        assert page["totalCount"] == 2
        events += [e["node"]["event"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert events == ["LINK_DELETED", "LINK_CREATED"]
    types = sorted(json.loads(r.body)["type"] for r in receiver.requests)
    assert types == ["link.created", "link.deleted"]
