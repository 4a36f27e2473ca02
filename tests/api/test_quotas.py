from __future__ import annotations

from app.domain.links.models import Link
from app.domain.workspaces.models import Workspace

CREATE = """mutation($dry: Boolean) { createLink(input: {destination: "https://example.com/"},
  dryRun: $dry) { link { slug } userErrors { code message } } }"""


async def test_links_beyond_the_workspace_quota_are_refused(gql, key) -> None:
    await Workspace.filter(name="acme").update(links_per_day=2)
    for _ in range(2):
        assert (await gql(key, CREATE))["data"]["createLink"]["userErrors"] == []
    refused = (await gql(key, CREATE))["data"]["createLink"]
    assert refused["link"] is None
    assert refused["userErrors"][0]["code"] == "QUOTA_EXCEEDED"
    assert "2 links" in refused["userErrors"][0]["message"]
    assert await Link.all().count() == 2


async def test_a_dry_run_never_counts_against_the_quota(gql, key) -> None:
    await Workspace.filter(name="acme").update(links_per_day=1)
    assert (await gql(key, CREATE))["data"]["createLink"]["userErrors"] == []
    dry = (await gql(key, CREATE, dry=True))["data"]["createLink"]
    assert dry["userErrors"] == [] and dry["link"]["slug"]


async def test_quotas_are_per_workspace(gql, key, make_key) -> None:
    await Workspace.filter(name="acme").update(links_per_day=1)
    await gql(key, CREATE)
    other = await make_key("globex")
    assert (await gql(other, CREATE))["data"]["createLink"]["userErrors"] == []


async def test_bulk_items_are_counted_over_the_last_day(app) -> None:
    import pytest

    from app.domain.bulk.models import BulkJob
    from app.domain.workspaces import quotas
    from app.errors import QuotaExceeded

    workspace = await Workspace.create(name="bulky", bulk_items_per_day=1000)
    await BulkJob.create(workspace_id=workspace.id, total=600)
    await BulkJob.create(workspace_id=workspace.id, total=300)
    await quotas.ensure_room_for_bulk_items(workspace.id, 100)
    with pytest.raises(QuotaExceeded, match="900"):
        await quotas.ensure_room_for_bulk_items(workspace.id, 101)
