"""Sender's request over httpx's MockTransport: a Standard Webhooks signature, no redirects
followed, Retry-After read, a timeout and a refused target reported as errors."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook as Verifier

from app.domain.webhooks.delivery import Sender
from app.domain.webhooks.signing import new_secret

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
BODY = '{"type":"link.created","timestamp":"2030-06-01T12:00:00Z","data":{}}'


@dataclass
class Endpoint:  # what _post reads of a Webhook
    url: str
    secret: str


@dataclass
class Row:  # what _post reads of a WebhookDelivery
    msg_id: str
    payload: str


def sender(handler, **options) -> Sender:  # type: ignore[no-untyped-def]
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return Sender(http=http, allow_private=True, clock=lambda: NOW, **options)


async def test_the_request_is_signed_per_standard_webhooks() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204, stream=httpx.ByteStream(b""))

    secret = new_secret()
    outcome = await sender(handler)._post(
        Endpoint("https://hooks.example/in", secret), Row("msg_1", BODY), datetime.now(UTC)
    )
    assert outcome.ok and outcome.status == 204
    [request] = seen
    headers = {k: v for k, v in request.headers.items()}
    assert Verifier(secret).verify(request.content, headers)["type"] == "link.created"
    assert headers["webhook-id"] == "msg_1"


async def test_a_redirect_is_an_answer_not_followed_and_retry_after_is_read() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"location": "https://elsewhere.example/", "retry-after": "120"}
        return httpx.Response(307, headers=headers, stream=httpx.ByteStream(b""))

    outcome = await sender(handler)._post(
        Endpoint("https://hooks.example/in", new_secret()), Row("msg_1", BODY), NOW
    )
    assert (outcome.ok, outcome.status, outcome.retry_after) == (False, 307, 120.0)


async def test_a_receiver_that_does_not_answer_in_time_is_a_timeout() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(1)
        return httpx.Response(204, stream=httpx.ByteStream(b""))

    outcome = await sender(handler, timeout=0.05)._post(
        Endpoint("https://hooks.example/in", new_secret()), Row("msg_1", BODY), NOW
    )
    assert outcome.status is None and outcome.error == "Timed out after 0.05 s."


async def test_a_private_target_is_refused_before_any_request() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204, stream=httpx.ByteStream(b""))

    refusing = sender(handler)
    refusing.allow_private = False
    outcome = await refusing._post(
        Endpoint("http://127.0.0.1:9/in", new_secret()), Row("msg_1", BODY), NOW
    )
    assert outcome.status is None and (outcome.error or "").startswith("Refused:")
    assert seen == []
