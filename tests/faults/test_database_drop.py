"""The database drops our connections (a restart, a failover): requests recover."""

from __future__ import annotations

import os

import asyncpg
import httpx
import pytest

PG_ADMIN_DSN = os.environ.get("QRFORGE_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")


async def _drop_connections(database: str) -> int:
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        rows = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
        return len(rows)
    finally:
        await admin.close()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_requests_recover_after_postgres_drops_our_connections(
    client: httpx.AsyncClient, gql, key, settings
) -> None:
    created = await gql(
        key,
        'mutation { createLink(input: {destination: "https://e.example/", '
        'slug: "before-drop"}) { link { slug } } }',
    )
    assert created["data"]["createLink"]["link"]["slug"] == "before-drop"
    assert await _drop_connections(settings.database_url.rsplit("/", 1)[1]) >= 1

    statuses = [(await client.get("/r/before-drop")).status_code for _ in range(3)]
    assert 500 not in statuses and statuses[-1] == 302, statuses
    body = await gql(key, '{ link(slug: "before-drop") { slug } }')
    assert body["data"]["link"]["slug"] == "before-drop"


async def test_requests_recover_after_the_connection_is_closed_underneath(gql, key) -> None:
    from tortoise import connections

    await gql(key, "{ viewer { scopes } }")
    await connections.get("default").close()
    body = await gql(key, "{ viewer { workspace { name } } }")
    assert body["data"]["viewer"]["workspace"]["name"] == "acme"
