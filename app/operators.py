"""What an operator does from the shell: keys and workspaces, across every workspace.

These run with the database's own credentials, so they are the one place that sees all
workspaces and the only way to change a workspace's quotas (no API key can).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from tortoise import Tortoise

from app.db import tortoise_config
from app.domain.imports import formats
from app.domain.imports.services import ImportReport, import_links
from app.domain.workspaces import quotas, services
from app.domain.workspaces.models import ApiKey, Workspace
from app.security import keys
from app.settings import Settings

T = TypeVar("T")


async def with_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    await Tortoise.init(config=tortoise_config(settings.effective_database_url))
    try:
        return await work()
    finally:
        await Tortoise.close_connections()


def _table(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _when(value: object) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M}"


async def key_lines(workspace: str | None) -> str:
    """Every key that still works (of one workspace, or all), as a table."""
    query = ApiKey.filter(revoked_at=None).select_related("workspace").order_by("id")
    if workspace is not None:
        query = query.filter(workspace__name=workspace)
    rows = [("WORKSPACE", "PREFIX", "NAME", "SCOPES", "CREATED", "LAST USED")]
    rows += [
        (
            key.workspace.name,
            f"{keys.KEY_MARK}{key.prefix}",
            key.name,
            ",".join(key.scopes),
            _when(key.created_at),
            _when(key.last_used_at),
        )
        for key in await query
    ]
    return _table(rows)


async def revoke_key(prefix: str) -> str:
    key = await services.revoke_by_prefix(prefix)
    return f"Revoked {keys.KEY_MARK}{key.prefix} ({key.name}) of workspace '{key.workspace.name}'."


async def workspace_lines(settings: Settings) -> str:
    """Every workspace with its quotas in force and what it used in the last 24 hours."""
    rows = [("WORKSPACE", "LINKS/DAY", "CODES/DAY", "BULK ITEMS/DAY", "REQUESTS/MIN")]
    for workspace in await Workspace.all().order_by("name"):
        limits = quotas.limits_of(workspace, settings.rate_limit_per_minute)
        usage = await quotas.usage_of(workspace.id)
        rows.append(
            (
                workspace.name,
                f"{usage.links_today}/{limits.links_per_day}",
                f"{usage.codes_today}/{limits.codes_per_day}",
                f"{usage.bulk_items_today}/{limits.bulk_items_per_day}",
                str(limits.requests_per_minute),
            )
        )
    return _table(rows)


async def create_workspace(name: str) -> str:
    workspace, created = await Workspace.get_or_create(name=name)
    return f"{'Created' if created else 'Already there:'} workspace '{workspace.name}'."


async def set_limits(settings: Settings, name: str, limits: dict[str, int | None]) -> str:
    workspace = await services.set_limits(name, limits)
    now = quotas.limits_of(workspace, settings.rate_limit_per_minute)
    return (
        f"Workspace '{workspace.name}': {now.links_per_day} links, {now.codes_per_day} codes "
        f"and {now.bulk_items_per_day} bulk items a day; {now.requests_per_minute} requests "
        "a minute per key."
    )


async def import_file(workspace: str, path: str, format: str) -> ImportReport:
    """Links from another shortener's export (app/domain/imports/formats.py) into a workspace,
    created when needed."""
    rows = formats.read(format, Path(path).read_bytes())
    target = await services.ensure_workspace(workspace)
    return await import_links(target.id, rows)
