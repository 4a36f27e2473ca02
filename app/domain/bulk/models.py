from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.domain.fields import json_field
from app.domain.workspaces.models import Workspace


class BulkJob(Model):
    """A batch of codes created by the worker: items is the request as it came."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="bulk_jobs", on_delete=fields.CASCADE
    )
    idempotency_key = fields.CharField(max_length=100, null=True)
    status = fields.CharField(max_length=10, default="QUEUED")
    items: fields.JSONField[list[dict]] = json_field(default=list)
    format = fields.CharField(max_length=4, default="PNG")
    size = fields.IntField(default=512)
    total = fields.IntField(default=0)
    processed = fields.IntField(default=0)
    succeeded = fields.IntField(default=0)
    failed = fields.IntField(default=0)
    errors: fields.JSONField[list[dict]] = json_field(default=list)
    # Ids of created codes by item index: a resumed job skips what is already done.
    created_ids: fields.JSONField[dict[str, int]] = json_field(default=dict)
    result_path = fields.CharField(max_length=500, null=True)
    result_downloaded_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    workspace_id: int

    class Meta:
        table = "bulk_job"
        unique_together = (("workspace_id", "idempotency_key"),)
        indexes = (("status", "created_at"),)  # the sweep's unfinished jobs
