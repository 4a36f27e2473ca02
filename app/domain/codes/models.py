from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.domain.designs.models import Design
from app.domain.fields import json_field
from app.domain.links.models import Link
from app.domain.workspaces.models import Workspace


class QrCode(Model):
    """A QR code. A DYNAMIC one owns a Link and encodes its short URL: a STATIC one its data."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="qr_codes", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=10)
    data_type = fields.CharField(max_length=10)
    data: fields.JSONField[dict] = json_field(default=dict)
    encoded_text = fields.TextField()
    link: fields.ForeignKeyNullableRelation[Link] = fields.ForeignKeyField(
        "models.Link", related_name="qr_codes", null=True, on_delete=fields.CASCADE
    )
    design: fields.ForeignKeyNullableRelation[Design] = fields.ForeignKeyField(
        "models.Design", related_name="qr_codes", null=True, on_delete=fields.SET_NULL
    )
    style: fields.JSONField[dict | None] = json_field(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    workspace_id: int
    link_id: int | None
    design_id: int | None

    class Meta:
        table = "qr_code"
        indexes = (("workspace_id", "created_at"),)
