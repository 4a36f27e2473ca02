"""Running a bulk job: create the codes in batches, render them on every core, write a ZIP.

Safe to run again after a crash: each batch of codes is created in the same transaction as
the job's record of them (`created_ids`, `errors`), so a rerun skips what is done and never
makes a code twice; images and the ZIP are derived from stored codes and simply redone.
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
from app.events import EventSink

BATCH = 100  # codes per transaction and per progress update
MANIFEST = ("index", "id", "name", "kind", "dataType", "shortUrl", "destination", "file")
EXTENSIONS = {"PNG": "png", "SVG": "svg", "JPEG": "jpeg", "PDF": "pdf"}

# (text, style dict, format, size, logo bytes) -> image bytes, run on another core.
RenderMany = Callable[
    [Sequence[tuple[str, dict[str, Any], str, int, bytes | None]]], Awaitable[list[bytes]]
]
GlobalId = Callable[[str, int], str]


@dataclass(frozen=True)
class BulkDeps:
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
        await _progress(job, deps.codes.events)
    try:
        for start in range(0, job.total, BATCH):
            await _create_batch(job, range(start, min(start + BATCH, job.total)), deps)
            await _progress(job, deps.codes.events)
        await _write_zip(job, deps)
    except Exception:
        if last_try:
            job.status, job.finished_at = "FAILED", datetime.now(UTC)
            await job.save(update_fields=["status", "finished_at"])
            await _progress(job, deps.codes.events)
        raise
    job.status, job.finished_at = "SUCCEEDED", datetime.now(UTC)
    await job.save(update_fields=["status", "finished_at"])
    await _progress(job, deps.codes.events)
    summary = {
        "id": deps.global_id("BulkJob", job.id),
        "succeeded": job.succeeded,
        "failed": job.failed,
        "total": job.total,
    }
    await deps.codes.events.emit("bulk.completed", job.workspace_id, summary)


async def _create_batch(job: BulkJob, indexes: range, deps: BulkDeps) -> None:
    done = set(job.created_ids) | {str(e["index"]) for e in job.errors}
    todo = [i for i in indexes if str(i) not in done]
    if not todo:
        return
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
        job.succeeded = len(job.created_ids)
        job.failed = len({e["index"] for e in job.errors})
        job.processed = job.succeeded + job.failed
        await job.save(update_fields=["created_ids", "errors", "succeeded", "failed", "processed"])


async def _write_zip(job: BulkJob, deps: BulkDeps) -> None:
    order = sorted(job.created_ids.items(), key=lambda pair: int(pair[0]))
    stored = {
        c.id: c for c in await QrCode.filter(id__in=[pk for _, pk in order]).select_related("link")
    }
    designs = {
        d.id: d
        for d in await Design.filter(id__in=[c.design_id for c in stored.values() if c.design_id])
    }
    rows, tasks = [], []
    ext = EXTENSIONS[job.format]
    for index, pk in order:
        code = stored[pk]
        style = codes.style_of(code, designs.get(code.design_id) if code.design_id else None)
        logo = (
            await deps.codes.logos(style.logo.url)
            if style.logo and style.logo.url and deps.codes.logos
            else None
        )
        tasks.append((code.encoded_text, style.to_dict(), job.format, job.size, logo))
        link = code.link
        rows.append(
            {
                "index": index,
                "id": deps.global_id("QrCode", code.id),
                "name": code.name,
                "kind": code.kind,
                "dataType": code.data_type,
                "shortUrl": code.encoded_text.removesuffix(f"?{codes.QR_MARKER}") if link else "",
                "destination": link.destination if link else "",
                "file": f"{int(index) + 1:04d}-{link.slug if link else code.id}.{ext}",
            }
        )
    images = await deps.render_many(tasks)
    path = result_file(deps.data_dir, job.id)
    await asyncio.to_thread(_zip, path, rows, images)
    job.result_path = str(path)
    await job.save(update_fields=["result_path"])


def _zip(path: Path, rows: list[dict[str, Any]], images: list[bytes]) -> None:
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
    await events.emit("bulk.updated", job.workspace_id, {"id": job.id, "status": job.status})
