from __future__ import annotations

import time
from datetime import datetime
from enum import Enum

import strawberry

from app.domain.bulk.models import BulkJob as BulkJobModel
from app.domain.bulk.services import downloadable
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
            downloadable=downloadable(job),
        )


@strawberry.enum(description="Label stock: A4 and US Letter grids, Avery's, or CUSTOM.")
class LabelTemplate(Enum):  # the names of app.rendering.labels.TEMPLATES, and CUSTOM
    A4_3X8 = "A4_3X8"
    LETTER_3X10 = "LETTER_3X10"
    AVERY_5160 = "AVERY_5160"
    AVERY_5163 = "AVERY_5163"
    AVERY_L7160 = "AVERY_L7160"
    AVERY_L7163 = "AVERY_L7163"
    CUSTOM = "CUSTOM"


@strawberry.input(description="Lay the codes out on label sheets: adds sheet.pdf to the result.")
class LabelSheetInput:
    template: LabelTemplate = LabelTemplate.AVERY_5160
    page_width_mm: float | None = strawberry.field(default=None, description="CUSTOM only.")
    page_height_mm: float | None = strawberry.field(default=None, description="CUSTOM only.")
    margin_mm: float | None = strawberry.field(default=None, description="CUSTOM only.")
    rows: int | None = strawberry.field(default=None, description="CUSTOM only.")
    columns: int | None = strawberry.field(default=None, description="CUSTOM only.")
    gap_mm: float | None = strawberry.field(default=None, description="CUSTOM only.")
    lines: list[str] | None = strawberry.field(
        default=None,
        description='Up to 3 lines of text per label, such as "{name}", "{shortUrl}", '
        '"{metadata.sku}"; default ["{name}"].',
    )
    crop_marks: bool = False

    def to_options(self) -> dict[str, object]:
        options = dict(vars(self))
        options["template"] = self.template.value
        return options


@strawberry.input
class BulkCreateQrCodesInput:
    items: list[CreateQrCodeInput] = strawberry.field(description="1 to 10,000 codes.")
    format: ImageFormat = ImageFormat.PNG
    size: int = 512
    idempotency_key: str | None = None
    sheet: LabelSheetInput | None = None


@strawberry.type
class BulkJobPayload:
    bulk_job: BulkJob | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
