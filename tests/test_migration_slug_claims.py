"""Migration 0007 keeps every row (issue 13): SQLite rebuilds the link table to drop the
slug's uniqueness, which must not cascade to scans and codes; existing slugs get claims."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate

from app.db import tortoise_config
from tests.conftest import BACKENDS, PG_ADMIN_DSN


@pytest.fixture(params=BACKENDS)
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'before.sqlite3'}"
        return
    name = f"qrforge_claims_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def counts() -> dict[str, int]:
    db = connections.get("default")
    found = {}
    for table in ("link", "scan", "qr_code"):
        rows = await db.execute_query_dict(f"SELECT COUNT(*) AS n FROM {table}")
        found[table] = int(rows[0]["n"])
    return found


async def test_issue13_the_slug_claim_migration_keeps_scans_and_codes(empty_database: str) -> None:
    config = tortoise_config(empty_database)
    try:
        await migrate(config=config, target="models.0006_scan_rollups")
        db = connections.get("default")
        true = "TRUE" if empty_database.startswith("postgres") else "1"
        false = "FALSE" if empty_database.startswith("postgres") else "0"
        await db.execute_script(
            "INSERT INTO workspace (id, name, created_at) VALUES (1, 'acme', CURRENT_TIMESTAMP);"
            "INSERT INTO link (id, workspace_id, slug, destination, tags, tag_index, metadata, "
            "enabled, rules, redirect_type, forward_query, scan_count, unique_scan_count, "
            "bot_scan_count, created_at, updated_at) VALUES (1, 1, 'printed', "
            f"'https://e.example/', '[]', '', '{{}}', {true}, '[]', 302, {false}, 1, 1, 0, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);"
            "INSERT INTO scan (event_id, workspace_id, link_id, occurred_at, source, is_bot, "
            f"visitor_hash) VALUES ('e1', 1, 1, CURRENT_TIMESTAMP, 'QR', {false}, 'v');"
            "INSERT INTO qr_code (workspace_id, name, kind, data_type, data, encoded_text, "
            "link_id, created_at, updated_at) VALUES (1, 'c', 'DYNAMIC', 'URL', '{}', "
            "'http://x/r/printed?qr=1', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);"
        )
        assert await counts() == {"link": 1, "scan": 1, "qr_code": 1}
        await Tortoise.close_connections()
        await migrate(config=config)
        await Tortoise.init(config=config)
        assert await counts() == {"link": 1, "scan": 1, "qr_code": 1}
        db = connections.get("default")
        claims = await db.execute_query_dict("SELECT host, slug, link_id FROM slug_claim")
        assert claims == [{"host": "", "slug": "printed", "link_id": 1}]
    finally:
        await Tortoise.close_connections()
