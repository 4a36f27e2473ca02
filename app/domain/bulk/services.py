"""Bulk jobs as the API sees them: submit (once per idempotency key), look up, download once.

The work itself is `app.domain.bulk.runner`, run by the worker; a job carries only its id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from tortoise.exceptions import IntegrityError

from app.domain.bulk.models import BulkJob
from app.domain.errors import InvalidInput, Problem
from app.domain.owned import owned
from app.domain.workspaces import quotas
from app.settings import Settings
from workers import constants

MAX_ITEMS = 1000
FORMATS = ("PNG", "SVG", "JPEG", "PDF")
MIN_SIZE, MAX_SIZE = 64, 4096
MAX_IDEMPOTENCY_KEY = 100
RUN_JOB = "run_bulk_job"


class BulkQueue(Protocol):
    """The process's services: the job is queued under an id of its own namespace."""

    settings: Settings

    async def enqueue(self, function: str, *args: Any, _job_id: str) -> None: ...


def run_job_id(namespace: str, job_id: int) -> str:
    """The arq job that runs the bulk job: one per job, and findable from its id alone."""
    return constants.key(constants.BULK_JOB_ID, namespace, job=job_id)


async def submit(
    workspace_id: int,
    items: Sequence[Mapping[str, Any]],
    fmt: str,
    size: int,
    idempotency_key: str | None,
    queue: BulkQueue,
) -> BulkJob:
    """Store a job and queue it; the same idempotency key returns the same job."""
    if idempotency_key is not None:
        existing = await BulkJob.get_or_none(
            workspace_id=workspace_id, idempotency_key=idempotency_key
        )
        if existing is not None:
            return existing
    problems = []
    if not 1 <= len(items) <= MAX_ITEMS:
        problems.append(Problem("INVALID_ITEMS", f"Give 1 to {MAX_ITEMS} items.", ("items",)))
    if fmt not in FORMATS:
        problems.append(Problem("INVALID_FORMAT", f"format is one of {FORMATS}.", ("format",)))
    if not MIN_SIZE <= size <= MAX_SIZE:
        message = f"size is {MIN_SIZE} to {MAX_SIZE} pixels."
        problems.append(Problem("INVALID_SIZE", message, ("size",)))
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
        message = f"An idempotency key is 1 to {MAX_IDEMPOTENCY_KEY} characters."
        problems.append(Problem("INVALID_IDEMPOTENCY_KEY", message, ("idempotencyKey",)))
    if problems:
        raise InvalidInput(problems)
    await quotas.ensure_room_for_bulk_items(workspace_id, len(items))
    try:
        job = await BulkJob.create(
            workspace_id=workspace_id,
            idempotency_key=idempotency_key,
            items=[storable(item) for item in items],
            format=fmt,
            size=size,
            total=len(items),
        )
    except IntegrityError:  # the same key, submitted twice at once: the first one wins
        return await BulkJob.get(workspace_id=workspace_id, idempotency_key=idempotency_key)
    await queue.enqueue(RUN_JOB, job.id, _job_id=run_job_id(queue.settings.redis_namespace, job.id))
    return job


async def get_job(workspace_id: int, job_id: int) -> BulkJob:
    return await owned(BulkJob, "Bulk job", id=job_id, workspace_id=workspace_id)


def result_file(data_dir: Path, job_id: int) -> Path:
    return data_dir / "bulk" / f"{job_id}.zip"


async def claim_download(job_id: int, data_dir: Path) -> Path | None:
    """The ZIP, for the one caller that gets to download it; None when it is gone or not ready.

    The claim is one conditional UPDATE, so two racing downloads cannot both win.
    """
    claimed = await BulkJob.filter(
        id=job_id, status="SUCCEEDED", result_downloaded_at__isnull=True
    ).update(result_downloaded_at=datetime.now(UTC))
    path = result_file(data_dir, job_id)
    return path if claimed and path.exists() else None


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
