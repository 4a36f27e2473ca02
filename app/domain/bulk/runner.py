"""Running a bulk job: create the codes in batches, render them on every core, write a ZIP.

Each batch of codes is created in the same transaction as the job's record of them
(`created_ids`, `errors`), so a rerun after a crash skips what is done and never makes a
code twice. A batch's images render in the process pool while the next batch is created;
images and the ZIP derive from stored codes, so a rerun simply redoes them.
"""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from app.domain.bulk.models import BulkJob
from app.domain.bulk.services import restored, result_file
from app.domain.codes import services as codes
from app.domain.codes.models import QrCode
from app.domain.designs.models import Design
from app.domain.errors import InvalidInput
from app.domain.links.models import Link
from app.domain.workspaces import quotas
from app.events import EventSink
from app.rendering.render import EXTENSIONS, RenderTask

BATCH = 100  # codes per transaction and per progress update
UNFINISHED = ("QUEUED", "RUNNING")
MANIFEST = ("index", "id", "name", "kind", "dataType", "shortUrl", "destination", "file")

# Tasks -> their images, or why each cannot be drawn.
RenderMany = Callable[[Sequence[RenderTask]], Awaitable[list[bytes | str]]]
GlobalId = Callable[[str, int], str]


@dataclass(frozen=True)
class BulkDeps:
    events: EventSink  # progress and bulk.completed
    # With check_render and check_quotas off: images are rendered and quotas checked per batch.
    codes: codes.CodeDeps
    data_dir: Path
    render_many: RenderMany
    global_id: GlobalId


async def run(job_id: int, deps: BulkDeps, *, last_try: bool = True) -> None:
    """Run or resume the job. A failure before the last try leaves it RUNNING for the retry."""
    job = await BulkJob.get_or_none(id=job_id)
    if job is None or job.status in ("SUCCEEDED", "FAILED"):
        return
    if job.status == "QUEUED":
        job.status, job.started_at = "RUNNING", datetime.now(UTC)
        await job.save(update_fields=["status", "started_at"])
        await _progress(job, deps.events)
    rendering: list[asyncio.Task[dict[int, bytes | str]]] = []
    try:
        for start in range(0, job.total, BATCH):
            created = await _create_batch(job, range(start, min(start + BATCH, job.total)), deps)
            rendering.append(asyncio.create_task(_render(job, created, deps)))
            await _progress(job, deps.events)
        images: dict[int, bytes | str] = {}
        for done in await asyncio.gather(*rendering):
            images |= done
        # Codes made by an earlier, interrupted run have no image yet.
        images |= await _render(
            job, [int(i) for i in job.created_ids if int(i) not in images], deps
        )
        await _drop_unrenderable(job, images)
        await _write_zip(job, images, deps)
    except BaseException:
        for task in rendering:
            task.cancel()
        if last_try:
            await mark_failed(job, deps.events)
        raise
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


async def _create_batch(job: BulkJob, indexes: range, deps: BulkDeps) -> list[int]:
    done = set(job.created_ids) | {str(e["index"]) for e in job.errors}
    todo = [i for i in indexes if str(i) not in done]
    created: list[int] = []
    if not todo:
        return created
    await quotas.ensure_room_for_links(job.workspace_id, len(todo))
    await quotas.ensure_room_for_codes(job.workspace_id, len(todo))
    async with in_transaction():
        for index in todo:
            try:
                code = await codes.create_code(
                    job.workspace_id, restored(job.items[index]), deps.codes
                )
            except InvalidInput as error:
                job.errors.extend(
                    {
                        "index": index,
                        "field": ".".join(p.field),
                        "message": p.message,
                        "code": p.code,
                    }
                    for p in error.problems
                )
                continue
            job.created_ids[str(index)] = code.id
            created.append(index)
        _count(job)
        await job.save(update_fields=["created_ids", "errors", "succeeded", "failed", "processed"])
    return created


def _count(job: BulkJob) -> None:
    job.succeeded = len(job.created_ids)
    job.failed = len({e["index"] for e in job.errors})
    job.processed = job.succeeded + job.failed


async def _render(job: BulkJob, indexes: list[int], deps: BulkDeps) -> dict[int, bytes | str]:
    if not indexes:
        return {}
    pks = [job.created_ids[str(i)] for i in indexes]
    stored = {c.id: c for c in await QrCode.filter(id__in=pks)}
    design_ids = {c.design_id for c in stored.values() if c.design_id}
    designs = {d.id: d for d in await Design.filter(id__in=design_ids)} if design_ids else {}
    tasks: list[RenderTask] = []
    for pk in pks:
        code = stored[pk]
        style = codes.style_of(code, designs.get(code.design_id or 0))
        logo = None
        if style.logo and style.logo.url and deps.codes.logos:
            logo = await deps.codes.logos(style.logo.url)
        tasks.append((code.encoded_text, style.to_dict(), job.format, job.size, logo))
    return dict(zip(indexes, await deps.render_many(tasks), strict=True))


async def _drop_unrenderable(job: BulkJob, images: dict[int, bytes | str]) -> None:
    """A code the renderer refuses (content plus logo too large, say) is not kept."""
    failed = {i: reason for i, reason in images.items() if isinstance(reason, str)}
    if not failed:
        return
    pks = [job.created_ids.pop(str(i)) for i in failed]
    link_ids = [c.link_id for c in await QrCode.filter(id__in=pks) if c.link_id]
    async with in_transaction():
        await QrCode.filter(id__in=pks).delete()
        await Link.filter(id__in=link_ids).delete()
        job.errors.extend(
            {"index": i, "field": "style", "message": reason, "code": "NOT_RENDERABLE"}
            for i, reason in failed.items()
        )
        _count(job)
        await job.save(update_fields=["created_ids", "errors", "succeeded", "failed", "processed"])


async def _write_zip(job: BulkJob, images: dict[int, bytes | str], deps: BulkDeps) -> None:
    order = sorted((int(i), pk) for i, pk in job.created_ids.items())
    stored = {
        c.id: c for c in await QrCode.filter(id__in=[pk for _, pk in order]).select_related("link")
    }
    ext = EXTENSIONS[job.format]
    rows, files = [], []
    for index, pk in order:
        code, link = stored[pk], stored[pk].link
        rows.append(
            {
                "index": index,
                "id": deps.global_id("QrCode", code.id),
                "name": code.name,
                "kind": code.kind,
                "dataType": code.data_type,
                "shortUrl": code.encoded_text.removesuffix(f"?{codes.QR_MARKER}") if link else "",
                "destination": link.destination if link else "",
                "file": f"{index + 1:04d}-{link.slug if link else code.id}.{ext}",
            }
        )
        files.append(images[index])
    path = result_file(deps.data_dir, job.id)
    await asyncio.to_thread(_zip, path, rows, files)
    job.result_path = str(path)
    await job.save(update_fields=["result_path"])


def _zip(path: Path, rows: list[dict[str, Any]], images: list[bytes | str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    manifest = io.StringIO()
    writer = csv.DictWriter(manifest, fieldnames=MANIFEST)
    writer.writeheader()
    writer.writerows(rows)
    partial = path.with_suffix(".part")
    # Images are compressed already; storing them keeps the ZIP fast to write and to open.
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        for row, image in zip(rows, images, strict=True):
            archive.writestr(row["file"], image)
        archive.writestr("manifest.csv", manifest.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
    partial.replace(path)  # a reader never sees half a ZIP


async def _progress(job: BulkJob, events: EventSink) -> None:
    data = {"id": job.id, "status": job.status}
    await events.emit("bulk.updated", job.workspace_id, data)
