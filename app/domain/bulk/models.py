from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.domain.fields import json_field
from app.domain.workspaces.models import Workspace


class BulkJob(Model):
    """A batch of codes created by the worker, its items in rows of their own (BulkItem)."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="bulk_jobs", on_delete=fields.CASCADE
    )
    idempotency_key = fields.CharField(max_length=100, null=True)
    status = fields.CharField(max_length=10, default="QUEUED")
    format = fields.CharField(max_length=4, default="PNG")
    size = fields.IntField(default=512)
    # The label sheet's layout (app.rendering.sheet.SheetLayout.to_dict), when one was asked for.
    sheet: fields.JSONField[dict | None] = json_field(null=True)
    total = fields.IntField(default=0)
    processed = fields.IntField(default=0)
    succeeded = fields.IntField(default=0)
    failed = fields.IntField(default=0)
    errors: fields.JSONField[list[dict]] = json_field(default=list)
    # The result's key in the result store (app.storage), once it is stored.
    result_path = fields.CharField(max_length=500, null=True)
    result_size = fields.BigIntField(null=True)
    result_expires_at = fields.DatetimeField(null=True)
    result_downloaded_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    workspace_id: int

    class Meta:
        table = "bulk_job"
        unique_together = (("workspace_id", "idempotency_key"),)
        indexes = (("status", "created_at"),)  # the sweep's unfinished jobs


class BulkItem(Model):
    """One item of a job as it came, with its code once made or its errors if it cannot be.

    Items are rows rather than a list on the job so a 10,000-item job is read, and its
    progress written, a batch at a time: a resumed job skips the rows that are done.
    """

    id = fields.BigIntField(primary_key=True)
    job: fields.ForeignKeyRelation[BulkJob] = fields.ForeignKeyField(
        "models.BulkJob", related_name="item_rows", on_delete=fields.CASCADE
    )
    index = fields.IntField()
    fields_: fields.JSONField[dict] = json_field(source_field="fields")
    code_id = fields.BigIntField(null=True)
    errors: fields.JSONField[list[dict] | None] = json_field(null=True)

    job_id: int

    class Meta:
        table = "bulk_item"
        unique_together = (("job_id", "index"),)
