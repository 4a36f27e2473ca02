from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.domain.links.models import Link


class Scan(Model):
    """One visit of a link, enriched by the worker. Raw IPs are never stored."""

    id = fields.BigIntField(primary_key=True)
    # Minted on the request path; unique so that replaying a stream entry is harmless.
    event_id = fields.CharField(max_length=32, unique=True)
    workspace_id = fields.BigIntField()
    link: fields.ForeignKeyRelation[Link] = fields.ForeignKeyField(
        "models.Link", related_name="scans", on_delete=fields.CASCADE
    )
    occurred_at = fields.DatetimeField()
    source = fields.CharField(max_length=4)
    country = fields.CharField(max_length=2, null=True)
    device_type = fields.CharField(max_length=10, null=True)
    os = fields.CharField(max_length=40, null=True)
    browser = fields.CharField(max_length=40, null=True)
    referrer = fields.CharField(max_length=255, null=True)
    language = fields.CharField(max_length=16, null=True)
    is_bot = fields.BooleanField(default=False)
    visitor_hash = fields.CharField(max_length=32)

    link_id: int

    class Meta:
        table = "scan"
        indexes = (("link_id", "occurred_at"), ("workspace_id", "occurred_at"))
