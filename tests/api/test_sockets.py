"""Websockets are held to what HTTP is held to: revocation, rate limits, caps, and one
pub/sub connection per process however many subscriptions there are. A real websocket
client (graphql-transport-ws) against the app behind a real uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.domain.workspaces import services as workspaces
from app.events import channel
from app.graphql.relay import pk_of
from app.http import sockets
from app.http.sockets import MAX_OPERATIONS_PER_SOCKET, MAX_SOCKETS_PER_KEY
from qrforge.cli import server_options
from workers.scans import ingest_once

CREATE_KEY = """mutation { createApiKey(input: {name: "dashboard", scopes: ["*"]}) {
  apiKey { id } secret } }"""
REVOKE = "mutation($id: ID!) { revokeApiKey(id: $id) { deletedId userErrors { code } } }"
CREATE_LINK = """mutation($d: String!) { createLink(input: {destination: $d}) {
  link { id slug } userErrors { code } } }"""
SCANS = "subscription { scanRecorded { id link { slug } } }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serve(app, **options: Any) -> AsyncIterator[int]:
    """The test's app behind a real uvicorn on 127.0.0.1 (its lifespan already runs)."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", **options
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


class Socket:
    """A graphql-transport-ws client, message by message."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids = 0

    async def send(self, query: str, **variables: Any) -> str:
        self.ids += 1
        payload = {"query": query, "variables": variables}
        await self.ws.send(
            json.dumps({"id": str(self.ids), "type": "subscribe", "payload": payload})
        )
        return str(self.ids)

    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        return message

    async def result(self, query: str, **variables: Any) -> dict[str, Any]:
        """Runs one query or mutation: its `next` payload, or its `error` message."""
        op = await self.send(query, **variables)
        while True:
            message = await self.receive()
            if message.get("id") == op and message["type"] in ("next", "error"):
                return message


@contextlib.asynccontextmanager
async def opened(port: int, key: str) -> AsyncIterator[Socket]:
    async with connect(
        f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {
            "Authorization": f"Bearer {key}"}}))  # fmt: skip
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        yield Socket(ws)


async def closed_with(conn: Socket, seconds: float) -> int | None:
    """The close code the server sends within `seconds` (messages before it are skipped)."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                await conn.ws.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def ingest(app) -> None:
    while await ingest_once(app.state.services, "sockets-test"):
        pass


async def new_key(gql, admin: str) -> tuple[str, str]:
    created = (await gql(admin, CREATE_KEY))["data"]["createApiKey"]
    return created["apiKey"]["id"], created["secret"]


async def test_issue10_revoked_key_stops_on_open_sockets_of_every_process(
    app, client, gql, key, api_process
) -> None:
    victim_id, victim = await new_key(gql, key)
    link = (await gql(key, CREATE_LINK, d="https://example.com/"))["data"]["createLink"]["link"]
    async with serve(app) as here, api_process() as there:
        async with opened(here, victim) as local, opened(there, victim) as remote:
            created = await local.result(CREATE_LINK, d="https://example.com/before")
            assert created["payload"]["data"]["createLink"]["link"]["id"]
            feed = await remote.send(SCANS)
            await asyncio.sleep(0.5)  # the remote process has subscribed
            await client.get(f"/r/{link['slug']}")
            await ingest(app)
            heard = await remote.receive()
            assert heard["id"] == feed and heard["payload"]["data"]["scanRecorded"]
            # Before: HTTP refused the key at once, but both sockets kept working.
            revoked = await gql(key, REVOKE, id=victim_id)
            assert revoked["data"]["revokeApiKey"]["deletedId"] == victim_id
            codes = await asyncio.gather(closed_with(local, 1.0), closed_with(remote, 1.0))
            assert codes == [4403, 4403]
            with pytest.raises(ConnectionClosed):
                await local.result(CREATE_LINK, d="https://example.com/after")
    assert (await gql(victim, "{ viewer { scopes } }"))["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )
    slugs = await gql(key, "{ links(first: 10) { totalCount } }")
    assert slugs["data"]["links"]["totalCount"] == 2  # the first link and "before" only


async def test_a_revocation_that_sent_no_event_is_found_by_rereading_the_key(
    app, gql, key, monkeypatch
) -> None:
    monkeypatch.setattr(sockets, "REVALIDATE_SECONDS", 0.2)
    victim_id, victim = await new_key(gql, key)
    async with serve(app) as port, opened(port, victim) as conn:
        assert "data" in (await conn.result("{ viewer { scopes } }"))["payload"]
        # As `qrforge keys revoke` does: the row changes, no event is announced.
        workspace = await workspaces.ensure_workspace("acme")
        await workspaces.revoke_key(workspace.id, pk_of(victim_id, "ApiKey") or -1)
        assert await closed_with(conn, 3.0) == 4403


async def test_issue10_socket_operations_count_against_the_keys_rate_limit(
    run_app, settings
) -> None:
    async with run_app(replace(settings, rate_limit_per_minute=20)) as app:
        workspace = await workspaces.ensure_workspace("acme")
        _, ws_key = await workspaces.create_key(workspace.id, "ws", ["*"])
        async with serve(app) as port, opened(port, ws_key) as conn:
            answers = [await conn.result("{ viewer { scopes } }") for _ in range(25)]
        kinds = [a["type"] for a in answers]
        # Before: all 25 ran, and HTTP's counter never moved.
        assert kinds.count("next") <= 21 and "error" in kinds
        refusal = next(a for a in answers if a["type"] == "error")["payload"][0]
        assert (
            refusal["extensions"]["code"] == "RATE_LIMITED"
            and refusal["extensions"]["retryAfter"] >= 1
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.post(
                "/graphql",
                json={"query": "{ viewer { scopes } }"},
                headers={"Authorization": f"Bearer {ws_key}"},
            )
        assert response.status_code == 429  # the same counter


async def test_issue10_sockets_per_key_and_operations_per_socket_are_capped(app, key) -> None:
    async with serve(app) as port, contextlib.AsyncExitStack() as stack:
        conns = [
            await stack.enter_async_context(opened(port, key)) for _ in range(MAX_SOCKETS_PER_KEY)
        ]
        async with connect(
            f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]
        ) as extra:
            await extra.send(json.dumps({"type": "connection_init", "payload": {
                "Authorization": f"Bearer {key}"}}))  # fmt: skip
            with pytest.raises(ConnectionClosed) as refused:
                await asyncio.wait_for(extra.recv(), 5)
            assert refused.value.rcvd is not None and refused.value.rcvd.code == 4429
        conn = conns[0]
        for _ in range(MAX_OPERATIONS_PER_SOCKET):
            await conn.send(SCANS)
        over = await conn.send(SCANS)
        refusal = await conn.receive()
        assert refusal["id"] == over and refusal["type"] == "error"
        assert refusal["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
        # Completing one makes room for another; the socket itself stayed open.
        await conn.ws.send(json.dumps({"id": "1", "type": "complete"}))
        await asyncio.sleep(0.1)
        assert (await conn.result("{ viewer { scopes } }"))["type"] == "next"


async def test_issue10_subscriptions_share_one_pubsub_connection_per_process(
    app, client, gql, key
) -> None:
    link = (await gql(key, CREATE_LINK, d="https://example.com/"))["data"]["createLink"]["link"]
    redis = app.state.services.redis
    scan_channel = channel(app.state.services.settings.redis_namespace, "scan")
    per_socket = 100
    async with serve(app) as port, contextlib.AsyncExitStack() as stack:
        conns = [await stack.enter_async_context(opened(port, key)) for _ in range(3)]
        clients_before = len(await redis.client_list())
        for conn in conns:
            for _ in range(per_socket):
                await conn.send(SCANS)

        async def started() -> int:
            hub = getattr(app.state.services, "hub", None)
            if hub is not None:
                return int(hub.listening("scan"))
            [(_, connections)] = await redis.pubsub_numsub(scan_channel)  # one each, before
            return int(connections)

        async with asyncio.timeout(30):  # a loaded machine validates 300 operations slowly
            while await started() < 3 * per_socket:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.1)
        # Before: one pub/sub connection per subscription, 300 on this channel.
        [(_, subscribers)] = await redis.pubsub_numsub(scan_channel)
        assert subscribers == 1
        clients_after = len(await redis.client_list())
        # Others share this Redis, so the count moves a little on its own; not by 300.
        assert clients_after - clients_before < 50
        await client.get(f"/r/{link['slug']}")
        await ingest(app)
        for conn in conns:  # and every one of them hears the scan
            heard = {(await conn.receive())["id"] for _ in range(per_socket)}
            assert len(heard) == per_socket


async def test_websocket_messages_are_held_to_the_body_limit(run_app, settings) -> None:
    limited = replace(settings, max_body_bytes=65_536)
    async with run_app(limited) as app:
        workspace = await workspaces.ensure_workspace("acme")
        _, ws_key = await workspaces.create_key(workspace.id, "ws", ["*"])
        async with serve(app, **server_options(limited)) as port, opened(port, ws_key) as conn:
            assert (await conn.result("{ viewer { scopes } }"))["type"] == "next"
            # Before: uvicorn's own 16 MB limit; the 4 MB HTTP body limit meant nothing here.
            await conn.send("{ viewer { scopes } }" + " " * 70_000)
            assert await closed_with(conn, 5.0) == 1009  # message too big
