"""Scaled out as docker-compose.yml runs it: two `qrforge serve` replicas with data
directories of their own and two `qrforge worker`s, on one PostgreSQL and one Redis.

Redirects arrive at both replicas, a 1,000-code bulk job is submitted to one and downloaded
from the other, and every event goes to two webhook endpoints, one of which fails the first
attempt of every other event. Then: every scan is stored once, the ZIP is complete and
downloadable exactly once, and each endpoint heard each event exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import io
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest

PG_ADMIN = os.environ.get("QRFORGE_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
LINKS, REDIRECTS, CODES = 10, 200, 1000
EVENTS = ("LINK_CREATED", "SCAN_CREATED", "BULK_COMPLETED")
WEBHOOK = """mutation($i: CreateWebhookInput!) { createWebhook(input: $i) {
  userErrors { message } } }"""
BULK = """mutation($i: BulkCreateQrCodesInput!) { bulkCreateQrCodes(input: $i) {
  bulkJob { id } userErrors { message } } }"""
# A person's phone, so the scans count as human ones (scanCount leaves bots out).
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1; `flaky` fails the first attempt of every other event
    with a 503 and a Retry-After of one second."""

    flaky: bool
    heard: Counter[str] = field(default_factory=Counter)  # webhook-id -> 2xx answers given
    types: dict[str, str] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)

    @contextlib.contextmanager
    def serving(self) -> Iterator[str]:
        receiver, lock = self, threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["content-length"]))
                event_id = self.headers["webhook-id"]
                with lock:
                    fail = receiver.flaky and event_id not in receiver.refused
                    fail = fail and hash(event_id) % 2 == 0
                    if fail:
                        receiver.refused.add(event_id)
                    else:
                        receiver.heard[event_id] += 1
                        receiver.types[event_id] = (
                            body.split(b'"type":"', 1)[1].split(b'"')[0].decode()
                        )
                self.send_response(503 if fail else 204)
                if fail:
                    self.send_header("Retry-After", "1")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_port}/hook"
        finally:
            server.shutdown()
            server.server_close()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    apis: list[str]
    key: str
    database_url: str


@pytest.fixture
async def cluster(tmp_path: Path, redis_url: str) -> AsyncIterator[Cluster]:
    name = f"qrforge_scale_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    database_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    ports = [_port(), _port()]
    namespace = f"qft{uuid.uuid4().hex[:12]}"
    shared = {k: v for k, v in os.environ.items() if not k.startswith("QRFORGE_")} | {
        "QRFORGE_DATABASE_URL": database_url,
        "QRFORGE_REDIS_URL": redis_url,
        "QRFORGE_REDIS_NAMESPACE": namespace,
        "QRFORGE_SECRET_KEY": "scale-out-secret",  # shared, as docker-compose.yml requires
        "QRFORGE_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}",
        "QRFORGE_ALLOW_PRIVATE_TARGETS": "true",
        "QRFORGE_RATE_LIMIT": "100000",
        "QRFORGE_REDIRECT_PER_SLUG_PER_MINUTE": "100000",
    }

    def env(role: str) -> dict[str, str]:
        return {**shared, "QRFORGE_DATA_DIR": str(tmp_path / role)}  # no disk is shared

    def cli(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "qrforge.cli", *args], env=env("cli"), check=True,
            capture_output=True, text=True, timeout=60,
        ).stdout  # fmt: skip

    processes: list[subprocess.Popen[bytes]] = []
    try:
        cli("migrate")
        key = cli("keys", "create", "--workspace", "scale").strip()
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        for n, port in enumerate(ports):
            command = [sys.executable, "-m", "qrforge.cli", "serve", "--port", str(port)]
            processes.append(subprocess.Popen(command, env=env(f"api{n}"), **quiet))  # type: ignore[call-overload]
            worker = [sys.executable, "-m", "qrforge.cli", "worker"]
            processes.append(subprocess.Popen(worker, env=env(f"worker{n}"), **quiet))  # type: ignore[call-overload]
        apis = [f"http://127.0.0.1:{port}" for port in ports]
        async with httpx.AsyncClient() as http:
            for api in apis:

                async def healthy(api: str = api) -> bool:
                    assert all(p.poll() is None for p in processes), "a process died"
                    with contextlib.suppress(httpx.TransportError):
                        return (await http.get(f"{api}/healthz")).status_code == 200
                    return False

                await _eventually(healthy, 120)
        yield Cluster(apis, key, database_url)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _eventually(check, seconds: float = 90):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not (result := await check()):
        assert time.monotonic() < started + seconds, "not reached in time"
        await asyncio.sleep(0.25)
    print(f"{check.__name__}: {time.monotonic() - started:.1f} s")
    return result


@pytest.mark.timeout(300)
async def test_issue15_two_replicas_and_two_workers_lose_and_repeat_nothing(cluster) -> None:  # type: ignore[no-untyped-def]
    steady, flaky = Receiver(flaky=False), Receiver(flaky=True)
    headers = {"Authorization": f"Bearer {cluster.key}"}
    with steady.serving() as steady_url, flaky.serving() as flaky_url:
        async with httpx.AsyncClient(headers=headers, timeout=60) as http:

            async def gql(api: str, query: str, **variables: object) -> dict:  # type: ignore[type-arg]
                answer = await http.post(
                    f"{api}/graphql", json={"query": query, "variables": variables}
                )
                return answer.json()["data"]  # type: ignore[no-any-return]

            for url in (steady_url, flaky_url):
                made = await gql(
                    cluster.apis[0],
                    WEBHOOK,
                    i={"url": url, "events": list(EVENTS)},
                )
                assert made["createWebhook"]["userErrors"] == []
            slugs = []
            for n in range(LINKS):
                made = await gql(
                    cluster.apis[n % 2],
                    "mutation($i: CreateLinkInput!) { createLink(input: $i) { link { slug } } }",
                    i={"destination": f"https://example.com/{n}"},
                )
                slugs.append(made["createLink"]["link"]["slug"])

            for n in range(REDIRECTS):
                url = f"{cluster.apis[n % 2]}/r/{slugs[n % LINKS]}"
                answer = await http.get(url, headers={"User-Agent": PHONE})
                assert answer.status_code == 302

            items = [
                {"name": f"box {n}", "dataType": "TEXT", "data": {"text": f"box {n}"}}
                for n in range(CODES)
            ]
            job = (
                await gql(
                    cluster.apis[1],
                    BULK,
                    i={"items": items, "format": "SVG"},
                )
            )["bulkCreateQrCodes"]["bulkJob"]

            async def finished() -> dict | None:  # type: ignore[type-arg]
                state = (
                    await gql(
                        cluster.apis[0],
                        "query($id: ID!) { bulkJob(id: $id) { status succeeded resultUrl } }",
                        id=job["id"],
                    )
                )["bulkJob"]
                return state if state["status"] in ("SUCCEEDED", "FAILED") else None

            state = await _eventually(finished, 180)
            assert (state["status"], state["succeeded"]) == ("SUCCEEDED", CODES)
            path = state["resultUrl"].removeprefix(cluster.apis[0])
            downloads = await asyncio.gather(*(http.get(f"{api}{path}") for api in cluster.apis))
            served = [d for d in downloads if d.status_code == 200]
            assert len(served) == 1, [d.status_code for d in downloads]  # once, on either replica
            archive = zipfile.ZipFile(io.BytesIO(served[0].content))
            assert len([n for n in archive.namelist() if n.endswith(".svg")]) == CODES

        database = await asyncpg.connect(cluster.database_url)
        try:

            async def all_stored() -> bool:
                return await database.fetchval("SELECT count(*) FROM scan") >= REDIRECTS  # type: ignore[no-any-return]

            await _eventually(all_stored)
            await asyncio.sleep(1)  # a duplicate would arrive now
            assert await database.fetchval("SELECT count(*) FROM scan") == REDIRECTS
            assert await database.fetchval("SELECT count(DISTINCT event_id) FROM scan") == REDIRECTS
            assert await database.fetchval("SELECT sum(scan_count) FROM link") == REDIRECTS
        finally:
            await database.close()

        expected = LINKS + REDIRECTS + 1  # link.created, scan.created, bulk.completed

        async def all_heard() -> bool:
            return len(steady.heard) >= expected and len(flaky.heard) >= expected

        await _eventually(all_heard)
        await asyncio.sleep(2)  # a second delivery of anything would arrive now
    for receiver in (steady, flaky):
        assert len(receiver.heard) == expected
        assert set(receiver.heard.values()) == {1}, "an event was delivered twice"
        assert Counter(receiver.types.values()) == {
            "link.created": LINKS, "scan.created": REDIRECTS, "bulk.completed": 1,
        }  # fmt: skip
    assert flaky.refused and flaky.refused <= set(flaky.heard)  # every refusal was retried
