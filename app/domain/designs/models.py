from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.domain.fields import json_field
from app.domain.workspaces.models import Workspace


class Design(Model):
    """A reusable style: codes and links that use it follow its changes."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="designs", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    style: fields.JSONField[dict] = json_field(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    workspace_id: int

    class Meta:
        table = "design"
        indexes = (("workspace_id", "created_at"),)
