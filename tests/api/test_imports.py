"""Imports keep what printed copies depend on (slugs) and never overwrite what exists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.domain.imports.formats import RowError, read
from app.domain.imports.services import import_links
from app.domain.links.models import Link
from app.domain.workspaces import services as workspaces
from app.domain.workspaces.models import Workspace
from app.errors import QuotaExceeded

FIXTURES = Path(__file__).parents[1] / "fixtures" / "imports"


async def _import(workspace: str, format: str, name: str):  # type: ignore[no-untyped-def]
    target = await workspaces.ensure_workspace(workspace)
    return target, await import_links(target.id, read(format, (FIXTURES / name).read_bytes()))


async def test_issue15_a_shlink_export_keeps_slugs_titles_tags_and_dates(app, client) -> None:
    target, report = await _import("acme", "shlink", "shlink.csv")
    assert report.created == 2
    assert report.errors == [RowError(3, "destination", "The row has no destination URL.")]
    spring = await Link.get(slug="spring-sale")
    assert spring.workspace_id == target.id
    assert (spring.destination, spring.title) == ("https://shop.example.com/spring", "Spring sale")
    assert sorted(spring.tags) == ["2024", "promo"]
    assert spring.created_at == datetime(2024, 3, 1, 10, 15, tzinfo=timezone(timedelta(hours=1)))
    redirect = await client.get("/r/spring-sale")
    assert redirect.status_code == 302
    assert redirect.headers["location"] == "https://shop.example.com/spring"


async def test_issue15_a_taken_slug_is_reported_per_row_and_never_overwritten(app) -> None:
    other = await workspaces.ensure_workspace("globex")
    await Link.create(workspace_id=other.id, slug="menu", destination="https://globex.example/")
    _, report = await _import("acme", "yourls", "yourls.csv")
    assert report.created == 1
    assert [(e.row, e.field) for e in report.errors] == [(1, "slug")]
    menu = await Link.get(slug="menu")
    assert (menu.workspace_id, menu.destination) == (other.id, "https://globex.example/")


async def test_issue15_rows_without_a_slug_get_one_and_bad_rows_name_their_field(app) -> None:
    _, report = await _import("acme", "csv", "qrforge.csv")
    assert report.created == 2
    assert report.errors == [
        RowError(3, "destination", "URLs cannot contain spaces or control characters.")
    ]
    assert await Link.filter(title="Second").exclude(slug="").count() == 1
    first = await Link.get(slug="import-a")
    assert first.created_at == datetime(2020, 1, 1, tzinfo=UTC)


async def test_issue15_an_import_past_the_quota_creates_nothing(app) -> None:
    await Workspace.create(name="tiny", links_per_day=1)
    with pytest.raises(QuotaExceeded):
        await _import("tiny", "kutt", "kutt.json")
    assert await Link.all().count() == 0


async def test_issue15_a_slug_twice_in_one_file_keeps_the_first_row(app) -> None:
    target = await workspaces.ensure_workspace("acme")
    content = b"destination,slug\nhttps://example.com/1,twice\nhttps://example.com/2,twice\n"
    report = await import_links(target.id, read("csv", content))
    assert report.created == 1
    assert report.errors == [RowError(2, "slug", "This slug is already in use.")]
    assert (await Link.get(slug="twice")).destination == "https://example.com/1"
