"""The rollup migration builds the rollups of scans stored before it, on both backends."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import asyncpg
import pytest
from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate

from app.db import tortoise_config
from app.domain.links.models import Link
from tests.conftest import BACKENDS, PG_ADMIN_DSN
from tests.rollups import assert_rollups_match_scans, recount

MIGRATIONS = Path(__file__).parents[1] / "app" / "migrations"
(ROLLUPS,) = [p.stem for p in MIGRATIONS.glob("*_scan_rollups.py")]
BEFORE = importlib.import_module(f"app.migrations.{ROLLUPS}").Migration.dependencies[0][1]

SCANS = [
    # event, link, at, source, country, device, bot, visitor
    ("e1", 1, "2026-03-02 09:10:00+00:00", "QR", "DE", "mobile", False, "v1"),
    ("e2", 1, "2026-03-02 09:40:00+00:00", "LINK", "DE", "mobile", False, "v1"),
    ("e3", 1, "2026-03-02 11:00:00+00:00", "LINK", None, "desktop", False, "v2"),
    ("e4", 1, "2026-03-03 08:00:00+00:00", "QR", "FR", "mobile", False, "v3"),
    ("e5", 1, "2026-03-03 08:30:00+00:00", "LINK", None, "bot", True, "v4"),
    ("e6", 2, "2026-03-02 09:15:00+00:00", "QR", "DE", "mobile", False, "v1"),
]


@pytest.fixture(params=BACKENDS)
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'before.sqlite3'}"
        return
    name = f"qrforge_backfill_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_the_rollup_migration_backfills_stored_scans(empty_database: str) -> None:
    config = tortoise_config(empty_database)
    try:
        await migrate(config=config, target=f"models.{BEFORE}")
        db = connections.get("default")
        postgres = empty_database.startswith("postgres")

        def marks(n: int) -> str:
            return ", ".join(f"${i}" if postgres else "?" for i in range(1, n + 1))

        await db.execute_query(
            "INSERT INTO workspace (id, name, created_at) VALUES (1, 'acme', CURRENT_TIMESTAMP)"
        )
        for link, (count, unique) in {1: (5, 3), 2: (1, 1)}.items():
            await db.execute_query(
                "INSERT INTO link (id, workspace_id, slug, destination, tags, tag_index, "
                "metadata, enabled, rules, redirect_type, forward_query, scan_count, "
                "unique_scan_count, created_at, updated_at) VALUES "
                f"({marks(6)}, '{{}}', TRUE, '[]', 302, FALSE, {count}, {unique}, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                [link, 1, f"s{link}", "https://e.example/", "[]", ""],
            )
        for event, link, at, source, country, device, bot, visitor in SCANS:
            await db.execute_query(
                "INSERT INTO scan (event_id, workspace_id, link_id, occurred_at, source, "
                f"country, device_type, is_bot, visitor_hash) VALUES ({marks(9)})",
                [event, 1, link, datetime.fromisoformat(at), source, country, device, bot, visitor],
            )
        await Tortoise.close_connections()
        await migrate(config=config)
        await Tortoise.init(config=config)
        await assert_rollups_match_scans()
        expected = await recount()
        assert expected["link_uniques"] == {
            (1, date(2026, 3, 2)): 2,
            (1, date(2026, 3, 3)): 1,
            (2, date(2026, 3, 2)): 1,
        }
        one = await Link.get(id=1)
        # The bot leaves scan_count, which counted it before.
        assert (one.scan_count, one.unique_scan_count, one.bot_scan_count) == (4, 3, 1)
    finally:
        await Tortoise.close_connections()
