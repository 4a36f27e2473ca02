"""Fixtures shared by the database and API tiers.

Tests that use `app` run twice: against a real PostgreSQL database made for this run and
against an SQLite file (the embedded default). Redis is the local server when it answers
(QRFORGE_TEST_REDIS_URL, default 127.0.0.1:6379), otherwise the embedded redis-server;
every test gets its own key namespace, so parallel runs never see each other's keys.
QRFORGE_TEST_BACKENDS=sqlite (or postgres) narrows the run while iterating.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette
from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate

from app.db import tortoise_config
from app.domain.workspaces import services as workspaces
from app.embedded import EmbeddedRedis
from app.settings import Settings
from qrforge.cli import build_app
from workers.settings import build_bulk_worker, build_worker

PG_ADMIN_DSN = os.environ.get("QRFORGE_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
# A database of its own: whatever else uses the server (a benchmark's leftovers in 0, say)
# never lengthens the per-test clean-up scan.
REDIS_URL = os.environ.get("QRFORGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
BACKENDS = os.environ.get("QRFORGE_TEST_BACKENDS", "postgres,sqlite").split(",")
TABLES = (
    "webhook_attempt", "webhook_delivery", "webhook", "link_hour", "link_day", "workspace_hour",
    "workspace_day", "scan", "qr_code", "bulk_item", "bulk_job", "result_chunk",
    "slug_claim", "link", "domain", "design", "api_key", "workspace",
)  # fmt: skip


async def _migrate(url: str) -> None:
    try:
        await migrate(config=tortoise_config(url))
    finally:
        await Tortoise.close_connections()


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    if request.param == "sqlite":
        url = f"sqlite://{tmp_path_factory.mktemp('sqlite') / 'qrforge.sqlite3'}"
        await _migrate(url)
        yield url
        return
    name = f"qrforge_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
        await _migrate(url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    async def answers() -> bool:
        client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        try:
            return bool(await client.ping())
        except OSError:
            return False
        finally:
            await client.aclose()

    if asyncio.run(answers()):
        yield REDIS_URL
        return
    with EmbeddedRedis(tmp_path_factory.mktemp("redis")) as embedded:
        yield embedded.url


@pytest.fixture
def settings(database_url: str, redis_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        redis_url=redis_url,
        redis_namespace=f"qft{uuid.uuid4().hex[:12]}",
        public_url="http://testserver",
        secret_key="test-secret-key",
        allow_private_targets=True,
    )


async def _clean(settings: Settings) -> None:
    db = connections.get("default")
    if settings.database_url.startswith("postgres"):
        await db.execute_script(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    else:
        await db.execute_script("".join(f"DELETE FROM {table};" for table in TABLES))
    redis = aioredis.Redis.from_url(settings.redis_url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{settings.redis_namespace}*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


@contextlib.asynccontextmanager
async def _running(settings: Settings, *, run_worker: bool = False) -> AsyncIterator[Starlette]:
    application = build_app(settings, embedded_worker=run_worker)
    async with LifespanManager(application):
        try:
            yield application
        finally:
            await _clean(settings)


@pytest.fixture
def run_app() -> Callable[..., AbstractAsyncContextManager[Starlette]]:
    """run_app(settings, run_worker=False): the real app with settings of the test's own, its
    lifespan running inside the block; its tables and Redis keys are emptied afterwards."""
    return _running


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    """The real app, its lifespan run; its tables and Redis keys are emptied afterwards."""
    async with _running(settings) as application:
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def make_key(app: Starlette) -> Callable[..., Awaitable[str]]:
    """make_key(workspace="acme", scopes=("*",)) -> a fresh API key of that workspace."""

    async def make(workspace: str = "acme", scopes: tuple[str, ...] = ("*",)) -> str:
        ws = await workspaces.ensure_workspace(workspace)
        _, secret = await workspaces.create_key(ws.id, "test", list(scopes))
        return secret

    return make


@pytest.fixture
async def key(make_key: Callable[..., Awaitable[str]]) -> str:
    """An all-scopes key of workspace 'acme'."""
    return await make_key()


GqlCall = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GqlCall:
    """gql(key, query, **variables) -> the JSON body; asserts the HTTP exchange itself worked."""

    async def call(key: str | None, query: str, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code in (200, 401), response.text
        body: dict[str, Any] = response.json()
        return body

    return call


SECOND_API = """
import sys, uvicorn
from qrforge.cli import build_app
from app.settings import Settings
uvicorn.run(build_app(Settings.from_env()), host="127.0.0.1", port=int(sys.argv[1]),
            log_level="warning")
"""


@pytest.fixture
def api_process(settings: Settings) -> Callable[[], AbstractAsyncContextManager[int]]:
    """api_process(): another real API process on the test's database and Redis namespace,
    up and healthy inside the block, which gets its port."""

    @contextlib.asynccontextmanager
    async def start() -> AsyncIterator[int]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        env = {
            **os.environ,
            "QRFORGE_DATABASE_URL": settings.database_url,
            "QRFORGE_REDIS_URL": settings.redis_url,
            "QRFORGE_REDIS_NAMESPACE": settings.redis_namespace,
            "QRFORGE_SECRET_KEY": settings.secret_key,
            "QRFORGE_DATA_DIR": str(settings.data_dir / "second"),
            "QRFORGE_PUBLIC_URL": settings.public_url,
        }
        process = subprocess.Popen([sys.executable, "-c", SECOND_API, str(port)], env=env)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                # A minute: on a loaded machine a new process takes far longer than usual to
                # import and connect, and past the loop the test would meet a refused socket.
                for _ in range(1200):
                    with contextlib.suppress(httpx.TransportError):
                        if (await http.get("/healthz")).status_code == 200:
                            break
                    assert process.poll() is None, "the API process died"
                    await asyncio.sleep(0.05)
                else:
                    raise AssertionError("the API process was not healthy within a minute")
            yield port
        finally:
            process.terminate()
            process.wait(timeout=10)

    return start


@contextlib.contextmanager
def _served(env: dict[str, str]) -> Iterator[tuple[str, str]]:
    def cli(*args: str) -> str:
        command = [sys.executable, "-m", "qrforge.cli", *args]
        return subprocess.run(
            command, env=env, text=True, capture_output=True, timeout=60, check=True
        ).stdout

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    env = {"QRFORGE_PUBLIC_URL": base, **env}
    cli("migrate")
    key = cli("keys", "create", "--workspace", "fuzz").strip().splitlines()[-1]
    server = subprocess.Popen(
        [sys.executable, "-m", "qrforge.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            assert server.poll() is None, "qrforge serve died"
            time.sleep(0.2)
        yield base, key
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture(scope="session")
def qrforge_serve() -> Callable[
    [dict[str, str]], contextlib.AbstractContextManager[tuple[str, str]]
]:
    """qrforge_serve(env): a real `qrforge serve` process (migrated first) with `env`, healthy
    inside the block, which gets its base URL and an all-scopes key of workspace "fuzz"."""
    return _served


@pytest.fixture
def run_jobs(app: Starlette) -> Callable[[], Awaitable[int]]:
    """Run the workers until both queues are empty (burst mode); returns jobs completed."""

    async def run() -> int:
        services = app.state.services
        options: dict[str, Any] = {"burst": True, "handle_signals": False, "poll_delay": 0.05}
        done = 0
        while True:  # a bulk job queues its bulk.completed event on the main queue
            main, bulk = build_worker(services, **options), build_bulk_worker(services, **options)
            await main.async_run()
            await bulk.async_run()
            if not main.jobs_complete and not bulk.jobs_complete:
                return done
            done += main.jobs_complete + bulk.jobs_complete

    return run
