"""QRFORGE_SCAN_RETENTION_DAYS: old raw scans go in batches; charts and counters stay whole."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.domain.links.models import Link
from app.domain.scans import retention
from app.domain.scans.models import Scan
from app.domain.scans.services import store_scans
from app.domain.workspaces.services import create_key, ensure_workspace
from app.graphql.relay import to_global_id
from app.settings import Settings, SettingsError
from tests.api.test_scans_export import scan
from tests.rollups import recount, stored
from workers import constants
from workers.scans import delete_old_scans
from workers.settings import bulk_cron_jobs as cron_jobs

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
QUERY = """
query($id: ID!) {
  link(id: $id) {
    scanCount
    analytics(from: "2026-01-01T00:00:00Z", to: "2026-06-02T00:00:00Z", interval: MONTH) {
      total series { bucket scans }
    }
    scans { totalCount retainedSince }
  }
}"""


async def test_old_scans_are_deleted_in_batches_and_charts_keep_them(settings, run_app) -> None:
    async with run_app(replace(settings, scan_retention_days=30)) as app:
        workspace = await ensure_workspace("acme")
        link = await Link.create(
            workspace_id=workspace.id, slug="kept", destination="https://example.com/"
        )
        old = [scan(link, NOW - timedelta(days=90, minutes=i)) for i in range(7)]
        new = [scan(link, NOW - timedelta(days=2, minutes=i)) for i in range(3)]
        await store_scans(old + new)
        before = await stored()
        assert before == await recount()

        assert await retention.delete_expired(30, NOW, batch=3) == 7  # three batches
        assert await Scan.filter(link_id=link.id).count() == 3
        assert await stored() == before  # rollups and counters are history, left alone
        assert await retention.delete_expired(30, NOW) == 0

        _, secret = await create_key(workspace.id, "t", ["*"])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.post(
                "/graphql",
                json={"query": QUERY, "variables": {"id": to_global_id("Link", link.id)}},
                headers={"Authorization": f"Bearer {secret}"},
            )
        body = response.json()["data"]["link"]
        assert body["scanCount"] == 10
        assert body["analytics"]["total"] == 10
        march = [p for p in body["analytics"]["series"] if p["bucket"].startswith("2026-03")]
        assert march == [{"bucket": "2026-03-01T00:00:00+00:00", "scans": 7}]
        assert body["scans"]["totalCount"] == 3
        retained = datetime.fromisoformat(body["scans"]["retainedSince"])
        assert timedelta(days=29) < datetime.now(UTC) - retained <= timedelta(days=30, minutes=1)


async def test_the_daily_job_runs_only_with_a_retention_setting(settings, run_app) -> None:
    assert not [c for c in cron_jobs(settings) if "delete_old_scans" in c.name]
    kept = replace(settings, scan_retention_days=1)
    (job,) = [c for c in cron_jobs(kept) if "delete_old_scans" in c.name]
    assert job.hour == constants.SCAN_RETENTION_HOUR
    async with run_app(kept) as app:
        link = await Link.create(
            workspace_id=(await ensure_workspace("acme")).id,
            slug=f"l{uuid.uuid4().hex[:6]}",
            destination="https://example.com/",
        )
        await store_scans([scan(link, datetime.now(UTC) - timedelta(days=3))])
        assert await delete_old_scans({"services": app.state.services}) == 1
        assert await delete_old_scans({"services": app.state.services}) == 0


def test_retention_days_come_from_the_environment() -> None:
    assert Settings.from_env({}).scan_retention_days is None
    assert Settings.from_env({"QRFORGE_SCAN_RETENTION_DAYS": "90"}).scan_retention_days == 90
    with pytest.raises(SettingsError, match="QRFORGE_SCAN_RETENTION_DAYS"):
        Settings.from_env({"QRFORGE_SCAN_RETENTION_DAYS": "0"})
