from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.domain.fields import json_field


class Workspace(Model):
    """A tenant: every other row belongs to exactly one workspace."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    # Per-workspace quotas (app/domain/workspaces/quotas.py); None means the default.
    links_per_day = fields.IntField(null=True)
    codes_per_day = fields.IntField(null=True)
    bulk_items_per_day = fields.IntField(null=True)
    requests_per_minute = fields.IntField(null=True)
    # Where a person who scans one of its dead links goes, unless the link has a fallback.
    dead_link_fallback = fields.CharField(max_length=2048, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "workspace"


class ApiKey(Model):
    """An API key. Only a hash of the secret is kept: prefix finds the row."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="api_keys", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    prefix = fields.CharField(max_length=16, unique=True)
    key_hash = fields.CharField(max_length=64)
    scopes: fields.JSONField[list[str]] = json_field(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    workspace_id: int

    class Meta:
        table = "api_key"
