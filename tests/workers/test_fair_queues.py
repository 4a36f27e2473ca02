"""Fair queues (issue 10, item 5): one workspace's slow webhook receivers hold neither another
workspace's webhooks nor its bulk jobs. The real app with its embedded workers, real
receivers on 127.0.0.1 (ten that outlast the 10 s timeout, one that answers at once)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from app.domain.bulk.models import BulkJob
from app.domain.webhooks.models import Webhook
from app.domain.workspaces import services as workspaces

# Seconds each of workspace B's receivers takes: past the 10 s timeout, so on one shared pool
# of slots A would wait at least 10 s (it was 30.9 s on the old shared queue).
SLOW = 12.0
# What A may wait at most, however busy B is: its 1-item bulk job includes starting the
# render processes, which takes seconds on a loaded 2-core machine.
BOUND = 6.0

CREATE_LINK = """mutation { createLink(input: {destination: "https://example.com/"}) {
  link { id } } }"""
SUBMIT = """mutation($input: BulkCreateQrCodesInput!) { bulkCreateQrCodes(input: $input) {
  bulkJob { id } userErrors { code } } }"""


class Receivers:
    def __init__(self) -> None:
        self.slow_requests = 0
        self.fast_at: list[float] = []
        self.lock = threading.Lock()
        self.port = 0


@pytest.fixture
def receivers() -> Iterator[Receivers]:
    state = Receivers()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            self.rfile.read(int(self.headers.get("content-length", 0)))
            if self.path == "/slow":
                with state.lock:
                    state.slow_requests += 1
                time.sleep(SLOW)
            else:
                with state.lock:
                    state.fast_at.append(time.monotonic())
            try:
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()
            except OSError:
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True  # the slow ones still sleeping do not hold the test up
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


async def until(check: Any, timeout: float) -> float:
    """Seconds until `check()` is true; fails after `timeout`."""
    start = time.monotonic()
    while not await check():
        assert time.monotonic() - start < timeout, "not within the bound"
        await asyncio.sleep(0.05)
    return time.monotonic() - start


async def test_issue10_slow_receivers_of_one_workspace_delay_no_one_else(
    settings, run_app, receivers: Receivers
) -> None:
    async with run_app(settings, run_worker=True) as app:
        a = await workspaces.ensure_workspace("a")
        b = await workspaces.ensure_workspace("b")
        _, key_a = await workspaces.create_key(a.id, "test", ["*"])
        _, key_b = await workspaces.create_key(b.id, "test", ["*"])
        base = f"http://127.0.0.1:{receivers.port}"
        for _ in range(10):
            await Webhook.create(
                workspace_id=b.id, url=f"{base}/slow", secret="whsec_AAAA", events=["link.created"]
            )
        await Webhook.create(
            workspace_id=a.id, url=f"{base}/fast", secret="whsec_AAAA", events=["link.created"]
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

            async def gql(key: str, query: str, **variables: Any) -> dict[str, Any]:
                headers = {"Authorization": f"Bearer {key}"}
                body = {"query": query, "variables": variables}
                response = await client.post("/graphql", json=body, headers=headers)
                result: dict[str, Any] = response.json()
                return result

            await gql(key_b, CREATE_LINK)  # ten slow deliveries

            async def b_is_busy() -> bool:
                return receivers.slow_requests >= 3

            await until(b_is_busy, SLOW)

            started = time.monotonic()
            await gql(key_a, CREATE_LINK)
            item = {"name": "a", "dataType": "TEXT", "data": {"text": "a"}}
            body = await gql(key_a, SUBMIT, input={"items": [item], "format": "PNG"})
            assert body["data"]["bulkCreateQrCodes"]["userErrors"] == []

            async def a_is_delivered() -> bool:
                return bool(receivers.fast_at)

            async def a_bulk_is_done() -> bool:
                job = await BulkJob.get(workspace_id=a.id)
                return job.status == "SUCCEEDED"

            await until(a_is_delivered, BOUND)
            await until(a_bulk_is_done, BOUND - (time.monotonic() - started))
            assert receivers.fast_at[0] - started < BOUND
            # B holds no more than its share of the delivery slots meanwhile.
            assert receivers.slow_requests <= 4
