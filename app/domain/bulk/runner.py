"""Running a bulk job: create the codes in batches, render them on every core, stream them
into a ZIP (and a label sheet PDF), and store the result where every API process reads it.

Memory is bounded by a batch, not by the job: each batch of items is read, created, rendered
and written to the archive, and at most two batches are in hand at once (one rendering while
the next is created). Each batch of codes is created in the same transaction as the job's
record of them (its item rows, errors and counts), so a rerun after a crash skips what is
done and never makes a code twice. Images, the archive and the sheet derive from stored
codes, so a rerun simply redoes them.
"""

from __future__ import annotations

import asyncio
import csv
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from tortoise.transactions import in_transaction

from app.domain.bulk.models import BulkItem, BulkJob
from app.domain.bulk.services import restored, result_key
from app.domain.codes import services as codes
from app.domain.codes.models import QrCode
from app.domain.designs.models import Design
from app.domain.links.models import Link
from app.domain.links.resolve import CODE_QUERY
from app.domain.workspaces import quotas
from app.errors import InvalidInput
from app.events import EventSink
from app.rendering.labels import SheetLayout, label_lines
from app.rendering.render import EXTENSIONS, Drawn, RenderTask
from app.security.csvcells import cell
from app.storage import ResultStore

BATCH = 100  # codes per transaction and per progress update
UNFINISHED = ("QUEUED", "RUNNING")
MANIFEST = ("index", "id", "name", "kind", "dataType", "shortUrl", "destination", "file")
SHEET_FILE = "sheet.pdf"

# Tasks -> their images with their symbols, or why each cannot be drawn.
RenderMany = Callable[[Sequence[RenderTask]], Awaitable[list[Drawn | str]]]
GlobalId = Callable[[str, int], str]
# One label: (encoded text, style as Style.to_dict, logo bytes, lines, (version, level, mask)).
Label = tuple[str, dict[str, Any], bytes | None, list[str], tuple[int, str, int]]


class Sheet(Protocol):
    """A label sheet being written: labels in order, a batch at a time."""

    async def add(self, labels: Sequence[Label]) -> None: ...

    async def close(self) -> int:
        """End the PDF; the number of pages."""
        ...

    async def abort(self) -> None: ...


OpenSheet = Callable[[Path, dict[str, Any]], Awaitable[Sheet]]


@dataclass(frozen=True)
class BulkDeps:
    events: EventSink  # progress and bulk.completed
    # With check_render and check_quotas off: images are rendered and quotas checked per batch.
    codes: codes.CodeDeps
    data_dir: Path  # scratch space: the archive is written here, then stored
    render_many: RenderMany
    global_id: GlobalId
    results: ResultStore
    open_sheet: OpenSheet
    result_ttl: int = 7 * 24 * 3600


@dataclass
class _Rendered:
    rows: list[BulkItem]
    codes: dict[int, QrCode]
    tasks: list[RenderTask]
    drawn: list[Drawn | str]


@dataclass
class _Output:
    archive: zipfile.ZipFile
    manifest: Any  # csv.DictWriter
    sheet: Sheet | None
    layout: SheetLayout | None


async def run(job_id: int, deps: BulkDeps, *, last_try: bool = True) -> None:
    """Run or resume the job. A failure before the last try leaves it RUNNING for the retry."""
    job = await BulkJob.get_or_none(id=job_id)
    if job is None or job.status in ("SUCCEEDED", "FAILED"):
        return
    if job.status == "QUEUED":
        job.status, job.started_at = "RUNNING", datetime.now(UTC)
        await job.save(update_fields=["status", "started_at"])
        await _progress(job, deps.events)
    scratch = deps.data_dir / "bulk"
    scratch.mkdir(parents=True, exist_ok=True)
    paths = [scratch / f"{job.id}.{name}.part" for name in ("zip", "csv", "pdf")]
    zip_path, manifest_path, sheet_path = paths
    sheet: Sheet | None = None
    rendering: asyncio.Task[_Rendered] | None = None
    try:
        if job.sheet is not None:
            sheet = await deps.open_sheet(sheet_path, job.sheet)
        layout = SheetLayout.from_dict(job.sheet) if job.sheet else None
        # Images are compressed already; storing them keeps the ZIP fast to write and to open.
        with (
            zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_STORED) as archive,
            manifest_path.open("w", newline="", encoding="utf-8") as manifest_file,
        ):
            manifest = csv.DictWriter(manifest_file, fieldnames=MANIFEST)
            manifest.writeheader()
            out = _Output(archive, manifest, sheet, layout)
            for start in range(0, job.total, BATCH):
                rows = await _create_batch(job, start, deps)
                if rendering is not None:
                    await _write_batch(job, await rendering, out, deps)
                rendering = asyncio.create_task(_render(job, rows, deps))
                await _progress(job, deps.events)
            if rendering is not None:
                await _write_batch(job, await rendering, out, deps)
            manifest_file.close()
            archive.write(manifest_path, "manifest.csv", compress_type=zipfile.ZIP_DEFLATED)
            if sheet is not None:
                await sheet.close()
                sheet = None
                archive.write(sheet_path, SHEET_FILE)
        key = result_key(job.id)
        job.result_size = await deps.results.put(key, zip_path)
        job.result_path = key
        job.result_expires_at = datetime.now(UTC) + timedelta(seconds=deps.result_ttl)
        await job.save(update_fields=["result_path", "result_size", "result_expires_at"])
    except BaseException:
        if rendering is not None:
            rendering.cancel()
        if sheet is not None:
            await sheet.abort()
        if last_try:
            await mark_failed(job, deps.events)
        raise
    finally:
        for path in paths:
            path.unlink(missing_ok=True)
    job.status, job.finished_at = "SUCCEEDED", datetime.now(UTC)
    await job.save(update_fields=["status", "finished_at"])
    await _progress(job, deps.events)
    summary = {
        "id": deps.global_id("BulkJob", job.id),
        "succeeded": job.succeeded,
        "failed": job.failed,
        "total": job.total,
    }
    await deps.events.emit("bulk.completed", job.workspace_id, summary)


async def mark_failed(job: BulkJob, events: EventSink) -> bool:
    """Mark the job FAILED and announce it, unless it has finished meanwhile.

    The runner's last try and the worker's sweeper both end a job this way; the update is
    conditional so a sweep racing the runner's own end cannot overwrite SUCCEEDED.
    """
    now = datetime.now(UTC)
    marked = await BulkJob.filter(id=job.id, status__in=UNFINISHED).update(
        status="FAILED", finished_at=now
    )
    if not marked:
        return False
    job.status, job.finished_at = "FAILED", now
    await _progress(job, events)
    return True


async def unfinished_before(moment: datetime) -> list[BulkJob]:
    """Jobs created before `moment` and not finished (only what `mark_failed` needs is loaded)."""
    return await BulkJob.filter(status__in=UNFINISHED, created_at__lt=moment).only(
        "id", "workspace_id", "status"
    )


async def _create_batch(job: BulkJob, start: int, deps: BulkDeps) -> list[BulkItem]:
    """Make the codes of the batch's items not done yet; the batch's items that have one."""
    rows = await BulkItem.filter(job_id=job.id, index__gte=start, index__lt=start + BATCH).order_by(
        "index"
    )
    todo = [row for row in rows if row.code_id is None and row.errors is None]
    if todo:
        await quotas.ensure_room_for_links(job.workspace_id, len(todo))
        await quotas.ensure_room_for_codes(job.workspace_id, len(todo))
        async with in_transaction():
            for row in todo:
                try:
                    code = await codes.create_code(
                        job.workspace_id, restored(row.fields_), deps.codes
                    )
                except InvalidInput as error:
                    row.errors = [
                        {
                            "index": row.index,
                            "field": ".".join(p.field),
                            "message": p.message,
                            "code": p.code,
                        }
                        for p in error.problems
                    ]
                    job.errors.extend(row.errors)
                    job.failed += 1
                    continue
                row.code_id = code.id
                job.succeeded += 1
            await BulkItem.bulk_update(todo, fields=["code_id", "errors"])
            job.processed = job.succeeded + job.failed
            await job.save(update_fields=["errors", "succeeded", "failed", "processed"])
    return [row for row in rows if row.code_id is not None]


async def _render(job: BulkJob, rows: list[BulkItem], deps: BulkDeps) -> _Rendered:
    if not rows:
        return _Rendered([], {}, [], [])
    pks = [row.code_id for row in rows]
    stored = {c.id: c for c in await QrCode.filter(id__in=pks).select_related("link")}
    design_ids = {c.design_id for c in stored.values() if c.design_id}
    designs = {d.id: d for d in await Design.filter(id__in=design_ids)} if design_ids else {}
    tasks: list[RenderTask] = []
    for row in rows:
        code = stored[row.code_id or 0]
        style = codes.style_of(code, designs.get(code.design_id or 0))
        logo = None
        if style.logo and style.logo.url and deps.codes.logos:
            logo = await deps.codes.logos(style.logo.url)
        tasks.append((code.encoded_text, style.to_dict(), job.format, job.size, logo))
    return _Rendered(rows, stored, tasks, await deps.render_many(tasks))


async def _write_batch(job: BulkJob, batch: _Rendered, out: _Output, deps: BulkDeps) -> None:
    await _drop_unrenderable(job, batch)
    ext = EXTENSIONS[job.format]
    files: list[tuple[str, bytes]] = []
    labels: list[Label] = []
    for row, task, drawn in zip(batch.rows, batch.tasks, batch.drawn, strict=True):
        if isinstance(drawn, str):
            continue
        code = batch.codes[row.code_id or 0]
        link: Link | None = code.link
        short_url = code.encoded_text.removesuffix(f"?{CODE_QUERY}") if link else ""
        name = f"{row.index + 1:04d}-{link.slug if link else code.id}.{ext}"
        out.manifest.writerow(
            {
                column: cell(value)  # names come from clients: none may run in a spreadsheet
                for column, value in {
                    "index": row.index,
                    "id": deps.global_id("QrCode", code.id),
                    "name": code.name,
                    "kind": code.kind,
                    "dataType": code.data_type,
                    "shortUrl": short_url,
                    "destination": link.destination if link else "",
                    "file": name,
                }.items()
            }
        )
        files.append((name, drawn[0]))
        if out.layout is not None:
            values = {
                "name": code.name,
                "shortUrl": short_url,
                "metadata": link.metadata if link else {},
            }
            labels.append((task[0], task[1], task[4], label_lines(out.layout, values), drawn[1:]))
    await asyncio.to_thread(_write_files, out.archive, files)
    if out.sheet is not None and labels:
        await out.sheet.add(labels)


def _write_files(archive: zipfile.ZipFile, files: list[tuple[str, bytes]]) -> None:
    for name, data in files:
        archive.writestr(name, data)


async def _drop_unrenderable(job: BulkJob, batch: _Rendered) -> None:
    """A code the renderer refuses (content plus logo too large, say) is not kept."""
    failed = [
        (row, reason)
        for row, reason in zip(batch.rows, batch.drawn, strict=True)
        if isinstance(reason, str)
    ]
    if not failed:
        return
    pks = [row.code_id for row, _ in failed]
    link_ids = [c.link_id for c in await QrCode.filter(id__in=pks) if c.link_id]
    async with in_transaction():
        await QrCode.filter(id__in=pks).delete()
        await Link.filter(id__in=link_ids).delete()
        for row, reason in failed:
            row.code_id = None
            row.errors = [
                {"index": row.index, "field": "style", "message": reason, "code": "NOT_RENDERABLE"}
            ]
            job.errors.extend(row.errors)
        await BulkItem.bulk_update([row for row, _ in failed], fields=["code_id", "errors"])
        job.succeeded -= len(failed)
        job.failed += len(failed)
        job.processed = job.succeeded + job.failed
        await job.save(update_fields=["errors", "succeeded", "failed", "processed"])


async def _progress(job: BulkJob, events: EventSink) -> None:
    data = {"id": job.id, "status": job.status}
    await events.emit("bulk.updated", job.workspace_id, data)
