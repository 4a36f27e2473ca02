"""Bulk jobs as the API sees them: submit (once per idempotency key), look up, download once.

The work itself is `app.domain.bulk.runner`, run by the worker; a job carries only its id.
Its result is kept in the result store (app.storage) that every API process reads, so any
replica serves the download, and exactly one download of it succeeds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.domain.bulk.models import BulkItem, BulkJob
from app.domain.links.resolve import code_url
from app.domain.owned import owned
from app.domain.workspaces import quotas
from app.errors import InvalidInput, Problem
from app.jobs import Jobs
from app.rendering import labels
from app.rendering.payloads import build_payload
from app.rendering.render import encode
from app.settings import Settings
from app.storage import ResultStore

MAX_ITEMS = 10_000
FORMATS = ("PNG", "SVG", "JPEG", "PDF")
MIN_SIZE, MAX_SIZE = 64, 4096
MAX_IDEMPOTENCY_KEY = 100
ITEM_ROWS = 500  # items per INSERT: well under both databases' parameter limits
GENERATED_SLUG = 7  # the length of a generated slug (app.domain.links.slugs)
# A download whose stream broke leaves its result behind; it is deleted this much later.
DOWNLOAD_GRACE = timedelta(hours=1)


class BulkQueue(Protocol):
    """The process's services: its settings, and the jobs queue the job runs from."""

    settings: Settings
    jobs: Jobs


def result_key(job_id: int) -> str:
    return f"bulk/{job_id}/result.zip"


async def submit(
    workspace_id: int,
    items: Sequence[Mapping[str, Any]],
    fmt: str,
    size: int,
    idempotency_key: str | None,
    queue: BulkQueue,
    sheet: Mapping[str, Any] | None = None,
) -> BulkJob:
    """Store a job and queue it; the same idempotency key returns the same job.

    `sheet` holds LabelSheetInput's fields (Python names): the job then adds a PDF of label
    sheets, refused here when its labels are too small for the codes."""
    if idempotency_key is not None:
        existing = await BulkJob.get_or_none(
            workspace_id=workspace_id, idempotency_key=idempotency_key
        )
        if existing is not None:
            return existing
    problems = []
    if not 1 <= len(items) <= MAX_ITEMS:
        problems.append(Problem("INVALID_ITEMS", f"Give 1 to {MAX_ITEMS:,} items.", ("items",)))
    if fmt not in FORMATS:
        problems.append(Problem("INVALID_FORMAT", f"format is one of {FORMATS}.", ("format",)))
    if not MIN_SIZE <= size <= MAX_SIZE:
        message = f"size is {MIN_SIZE} to {MAX_SIZE} pixels."
        problems.append(Problem("INVALID_SIZE", message, ("size",)))
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
        message = f"An idempotency key is 1 to {MAX_IDEMPOTENCY_KEY} characters."
        problems.append(Problem("INVALID_IDEMPOTENCY_KEY", message, ("idempotencyKey",)))
    layout = None
    if sheet is not None:
        try:
            layout = labels.sheet_layout(sheet)
        except InvalidInput as error:
            problems.extend(error.problems)
    if problems:
        raise InvalidInput(problems)
    if layout is not None:
        labels.check_fits(layout, widest_code(items, queue.settings.public_url))
    await quotas.ensure_room_for_bulk_items(workspace_id, len(items))
    try:
        async with in_transaction():
            job = await BulkJob.create(
                workspace_id=workspace_id,
                idempotency_key=idempotency_key,
                format=fmt,
                size=size,
                total=len(items),
                sheet=layout.to_dict() if layout else None,
            )
            for start in range(0, len(items), ITEM_ROWS):
                await BulkItem.bulk_create(
                    BulkItem(job_id=job.id, index=i, fields_=storable(items[i]))
                    for i in range(start, min(start + ITEM_ROWS, len(items)))
                )
    except IntegrityError:  # the same key, submitted twice at once: the first one wins
        return await BulkJob.get(workspace_id=workspace_id, idempotency_key=idempotency_key)
    await queue.jobs.run_bulk_job(job.id)
    return job


def widest_code(items: Sequence[Mapping[str, Any]], public_url: str) -> int:
    """Modules across (quiet zone included) of the widest code the items make, from the
    longest content at each error correction level and margin they ask for. Items the
    worker will refuse anyway count as nothing."""
    longest: dict[tuple[str, int], str] = {}
    for item in items:
        style = item.get("style") or {}
        level, margin = str(style.get("error_correction") or "M"), style.get("margin", 4)
        if (item.get("kind") or "STATIC") == "DYNAMIC":
            slug = (item.get("link") or {}).get("slug") or "x" * GENERATED_SLUG
            text = code_url(public_url, slug)
        else:
            try:
                text = build_payload(item.get("data_type"), item.get("data"))  # type: ignore[arg-type]
            except (InvalidInput, TypeError, ValueError, AttributeError):
                continue
        key = (level if level in ("L", "M", "Q", "H") else "M", int(margin or 0))
        if len(text.encode()) > len(longest.get(key, "").encode()):
            longest[key] = text
    widest = 0
    for (level, margin), text in longest.items():
        try:
            widest = max(widest, len(encode(text, level).matrix) + 2 * margin)
        except InvalidInput:
            continue  # too long for any code: that item fails on its own
    return widest


async def get_job(workspace_id: int, job_id: int) -> BulkJob:
    return await owned(BulkJob, "Bulk job", id=job_id, workspace_id=workspace_id)


def downloadable(job: BulkJob, now: datetime | None = None) -> bool:
    now = now or datetime.now(UTC)
    return (
        job.status == "SUCCEEDED"
        and job.result_path is not None
        and job.result_downloaded_at is None
        and job.result_expires_at is not None
        and job.result_expires_at > now
    )


async def claim_download(job_id: int) -> BulkJob | None:
    """The job, for the one caller that gets to download its result; None when it is gone,
    expired or not ready.

    The claim is one conditional UPDATE in the shared database, so of any number of racing
    downloads on any number of API processes exactly one wins.
    """
    now = datetime.now(UTC)
    claimed = await BulkJob.filter(
        id=job_id,
        status="SUCCEEDED",
        result_path__isnull=False,
        result_downloaded_at__isnull=True,
        result_expires_at__gt=now,
    ).update(result_downloaded_at=now)
    return await BulkJob.get_or_none(id=job_id) if claimed else None


async def forget_result(job_id: int, store: ResultStore) -> None:
    """Delete a job's result (downloaded or expired); the job's record stays."""
    job = await BulkJob.get_or_none(id=job_id)
    if job is None or job.result_path is None:
        return
    await store.delete(job.result_path)
    await BulkJob.filter(id=job_id).update(result_path=None)


async def stale_results(now: datetime) -> list[int]:
    """Jobs whose result should go: expired, or downloaded a while ago."""
    ids: list[int] = await BulkJob.filter(  # type: ignore[assignment]
        Q(result_expires_at__lt=now) | Q(result_downloaded_at__lt=now - DOWNLOAD_GRACE),
        result_path__isnull=False,
    ).values_list("id", flat=True)
    return ids


def storable(value: Any) -> Any:
    """Item fields as JSON: dates as ISO text (the runner reads them back with `restored`)."""
    if isinstance(value, Mapping):
        return {str(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):  # a rule or condition input
        return storable({k: getattr(value, k) for k in value.__dataclass_fields__})
    if hasattr(value, "value") and hasattr(value, "name"):  # an enum
        return value.value
    return value


LINK_MOMENTS = ("not_before", "not_after")


def restored(item: Mapping[str, Any]) -> dict[str, Any]:
    fields = dict(item)
    if isinstance(fields.get("link"), Mapping):
        link = dict(fields["link"])
        for name in LINK_MOMENTS:
            if isinstance(link.get(name), str):
                link[name] = datetime.fromisoformat(link[name])
        fields["link"] = link
    return fields
