"""scanRecorded over graphql-transport-ws, with a real client against a real server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from workers.scans import ingest_once

CREATE = "mutation($i: CreateLinkInput!) { createLink(input: $i) { link { id slug } } }"
SUBSCRIBE = """
subscription($linkId: ID) {
  scanRecorded(linkId: $linkId) { id source deviceType isBot occurredAt link { slug } }
}"""
# Long enough for the server to have subscribed to Redis before the first scan is published.
SUBSCRIBED = 0.5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serve(app) -> AsyncIterator[int]:
    """The test's app behind a real uvicorn on 127.0.0.1 (its lifespan already runs)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


def transport(port: int, key: str | None) -> WebsocketsTransport:
    return WebsocketsTransport(
        url=f"ws://127.0.0.1:{port}/graphql",
        init_payload={"Authorization": f"Bearer {key}"} if key else {},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )


async def collect(port: int, key: str, link_id: str | None, into: list[dict[str, Any]]) -> None:
    async with Client(transport=transport(port, key)) as session:
        request = GraphQLRequest(SUBSCRIBE, variable_values={"linkId": link_id})
        async for result in session.subscribe(request):
            into.append(result["scanRecorded"])


async def make_link(gql, key) -> dict:
    return (await gql(key, CREATE, i={"destination": "https://example.com/"}))["data"][
        "createLink"
    ]["link"]


async def ingest(app) -> None:
    while await ingest_once(app.state.services, "subscription-test"):
        pass


async def until(condition, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def test_scan_recorded_delivers_the_workspaces_scans(app, client, gql, key, make_key) -> None:
    poster, flyer = await make_link(gql, key), await make_link(gql, key)
    other_key = await make_key(workspace="other")
    others_link = await make_link(gql, other_key)
    of_poster: list[dict] = []
    of_workspace: list[dict] = []
    foreign: list[dict] = []
    of_other_workspace: list[dict] = []
    async with serve(app) as port:
        tasks = [
            asyncio.create_task(collect(port, key, poster["id"], of_poster)),
            asyncio.create_task(collect(port, key, None, of_workspace)),
            # Another workspace naming our link, and that workspace's own firehose.
            asyncio.create_task(collect(port, other_key, poster["id"], foreign)),
            asyncio.create_task(collect(port, other_key, None, of_other_workspace)),
        ]
        await asyncio.sleep(SUBSCRIBED)
        await client.get(f"/r/{poster['slug']}?qr=1")
        await client.get(f"/r/{flyer['slug']}")
        await client.get(f"/r/{others_link['slug']}")
        await ingest(app)
        await until(lambda: len(of_workspace) == 2 and of_other_workspace)
        await asyncio.sleep(0.2)  # anything misrouted would have arrived by now
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert [(s["link"]["slug"], s["source"]) for s in of_poster] == [(poster["slug"], "QR")]
    assert sorted(s["link"]["slug"] for s in of_workspace) == sorted(
        [poster["slug"], flyer["slug"]]
    )
    assert foreign == []
    assert [s["link"]["slug"] for s in of_other_workspace] == [others_link["slug"]]


async def test_subscription_needs_a_key_with_analytics_scope(app, make_key) -> None:
    reader = await make_key(scopes=("links:read",))
    async with serve(app) as port:
        with pytest.raises(TransportQueryError) as refused:
            await asyncio.wait_for(collect(port, reader, None, []), 5)
        assert refused.value.errors[0]["extensions"]["code"] == "FORBIDDEN"
        with pytest.raises(Exception):  # noqa: B017 - the server closes the socket (4403)
            await asyncio.wait_for(collect(port, "qrf_nope_nope", None, []), 5)


async def test_scans_reach_subscribers_of_another_api_process(
    app, client, gql, key, api_process
) -> None:
    link = await make_link(gql, key)
    heard: list[dict] = []
    async with api_process() as port:
        task = asyncio.create_task(collect(port, key, link["id"], heard))
        await asyncio.sleep(SUBSCRIBED)
        await client.get(f"/r/{link['slug']}")  # this process records, this one ingests
        await ingest(app)
        await until(lambda: heard)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert heard[0]["link"]["slug"] == link["slug"] and heard[0]["source"] == "LINK"


async def test_scan_recorded_survives_a_dropped_redis_connection(app, client, gql, key) -> None:
    link = await make_link(gql, key)
    heard: list[dict] = []
    redis = app.state.services.redis
    async with serve(app) as port:
        task = asyncio.create_task(collect(port, key, link["id"], heard))
        await asyncio.sleep(SUBSCRIBED)
        await client.get(f"/r/{link['slug']}")
        await ingest(app)
        await until(lambda: len(heard) == 1)
        # Redis drops every pub/sub connection, as a restart or a failover would.
        assert await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub") >= 1
        await asyncio.sleep(SUBSCRIBED + 0.5)  # the feed has subscribed again
        await client.get(f"/r/{link['slug']}?qr=1")
        await ingest(app)
        await until(lambda: len(heard) == 2)
        assert not task.done()  # the client never saw an error
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert [s["source"] for s in heard] == ["LINK", "QR"]


async def test_issue12_scan_recorded_sees_fresh_counts_on_every_event(
    app, client, gql, key
) -> None:
    link = await make_link(gql, key)
    counts: list[int] = []
    query = "subscription { scanRecorded { link { scanCount } } }"

    async def listen() -> None:
        async with Client(transport=transport(port, key)) as session:
            async for result in session.subscribe(GraphQLRequest(query)):
                counts.append(result["scanRecorded"]["link"]["scanCount"])

    phone = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"}
    async with serve(app) as port:
        task = asyncio.create_task(listen())
        await asyncio.sleep(SUBSCRIBED)
        for n in range(1, 4):  # each scan stored (and counted) before the next one
            await client.get(f"/r/{link['slug']}", headers=phone)
            await ingest(app)
            await until(lambda n=n: len(counts) == n)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert counts == [1, 2, 3]  # not the first event's count, three times
