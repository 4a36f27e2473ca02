"""Importing links from another shortener's export into one workspace.

Each row becomes a link through the same checks as `createLink`, keeping its slug, title,
tags and creation date. A row that can't be imported (no URL, a bad or taken slug) is
reported with its row number and field and changes nothing; the other rows go on. Rows are
stored a batch at a time (one slug lookup and one INSERT per batch). Like a bulk job, an
import is one operation: it announces no `link.created` per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.domain.imports.formats import ImportRow, RowError
from app.domain.links import claims, slugs
from app.domain.links import services as links
from app.domain.links.models import Link
from app.domain.workspaces import quotas
from app.errors import DomainError
from app.events import NoEvents

# Rows checked and inserted together: one slug lookup and one INSERT, well under both
# databases' parameter limits.
BATCH = 500


@dataclass
class ImportReport:
    created: int = 0
    errors: list[RowError] = field(default_factory=list)


async def import_links(workspace_id: int, rows: Iterable[ImportRow | RowError]) -> ImportReport:
    """Imports every good row; the report counts them and lists the others, by row."""
    rows = list(rows)
    await quotas.ensure_room_for_links(workspace_id, sum(isinstance(r, ImportRow) for r in rows))
    report = ImportReport()
    claimed: set[str] = set()  # slugs taken by earlier rows of the same file
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        prepared = await _prepare(workspace_id, batch, claimed, report)
        try:
            async with in_transaction():
                await Link.bulk_create([link for _, link in prepared])
                # Every slug a link has is claimed (app.domain.links.claims).
                await claims.claim_new(workspace_id, [link.slug for _, link in prepared])
            report.created += len(prepared)
        except IntegrityError:  # a slug taken meanwhile: this batch goes one row at a time
            for row, link in prepared:
                await _save_one(row, link, report)
    report.errors.sort(key=lambda error: error.row)
    return report


async def _prepare(
    workspace_id: int,
    batch: Sequence[ImportRow | RowError],
    claimed: set[str],
    report: ImportReport,
) -> list[tuple[ImportRow, Link]]:
    wanted = [row.slug for row in batch if isinstance(row, ImportRow) and row.slug]
    claimed.update(await claims.taken_on_default(wanted))
    prepared = []
    for row in batch:
        if isinstance(row, RowError):
            report.errors.append(row)
            continue
        if row.slug is not None and (problem := _slug_problem(row.slug, claimed)):
            report.errors.append(RowError(row.row, "slug", problem))
            continue
        given: dict[str, Any] = {"destination": row.destination, "tags": row.tags}
        if row.title is not None:
            given["title"] = row.title
        try:
            link = await links.prepare_link(workspace_id, given)
        except DomainError as error:
            report.errors += [
                RowError(row.row, ".".join(p.field), p.message) for p in error.problems
            ]
            continue
        link.slug = row.slug or _fresh_slug(claimed)
        claimed.add(link.slug)
        if row.created_at is not None:
            link.created_at = row.created_at
        prepared.append((row, link))
    return prepared


def _slug_problem(slug: str, claimed: set[str]) -> str | None:
    if problem := slugs.slug_problem(slug):
        return problem
    return "This slug is already in use." if slug in claimed else None


def _fresh_slug(claimed: set[str]) -> str:
    while (slug := slugs.generate()) in claimed:
        pass
    return slug


async def _save_one(row: ImportRow, link: Link, report: ImportReport) -> None:
    try:
        await links.save_new_link(link, NoEvents(), check_quota=False)
    except DomainError as error:
        report.errors += _row_errors(row, error)
    else:
        report.created += 1


def _row_errors(row: ImportRow, error: DomainError) -> list[RowError]:
    return [RowError(row.row, ".".join(p.field) or "row", p.message) for p in error.problems]
