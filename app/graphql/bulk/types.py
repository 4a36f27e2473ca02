from __future__ import annotations

import time
from datetime import datetime
from enum import Enum

import strawberry

from app.domain.bulk.models import BulkJob as BulkJobModel
from app.graphql.codes.types import CreateQrCodeInput, ImageFormat
from app.graphql.context import Info
from app.graphql.relay import Node, UserError, to_global_id
from app.security.signed_urls import signed_query

RESULT_URL_TTL = 24 * 3600  # the ZIP's link works for a day (and for one download)


@strawberry.enum
class BulkJobStatus(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@strawberry.type
class BulkItemError:
    index: int
    field: str | None
    message: str
    code: str


def result_path(job_id: int) -> str:
    return f"/bulk/{job_id}/result"


@strawberry.type
class BulkJob(Node):
    id: strawberry.ID
    status: BulkJobStatus
    total: int
    processed: int
    succeeded: int
    failed: int
    errors: list[BulkItemError]
    format: ImageFormat
    size: int
    idempotency_key: str | None
    created_at: datetime
    finished_at: datetime | None
    pk: strawberry.Private[int]
    downloadable: strawberry.Private[bool]

    @strawberry.field(description="A signed link to the ZIP; it downloads once, then is gone.")
    def result_url(self, info: Info) -> str | None:
        if not self.downloadable:
            return None
        settings = info.context.services.settings
        path = result_path(self.pk)
        query = signed_query(settings.secret, path, {}, int(time.time()) + RESULT_URL_TTL)
        return f"{settings.public_url}{path}?{query}"

    @classmethod
    def from_model(cls, job: BulkJobModel) -> BulkJob:
        return cls(
            id=to_global_id("BulkJob", job.id),
            pk=job.id,
            status=BulkJobStatus(job.status),
            total=job.total,
            processed=job.processed,
            succeeded=job.succeeded,
            failed=job.failed,
            errors=[
                BulkItemError(
                    index=e["index"], field=e["field"] or None, message=e["message"], code=e["code"]
                )
                for e in job.errors
            ],
            format=ImageFormat(job.format),
            size=job.size,
            idempotency_key=job.idempotency_key,
            created_at=job.created_at,
            finished_at=job.finished_at,
            downloadable=job.status == "SUCCEEDED" and job.result_downloaded_at is None,
        )


@strawberry.input
class BulkCreateQrCodesInput:
    items: list[CreateQrCodeInput]
    format: ImageFormat = ImageFormat.PNG
    size: int = 512
    idempotency_key: str | None = None


@strawberry.type
class BulkJobPayload:
    bulk_job: BulkJob | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
