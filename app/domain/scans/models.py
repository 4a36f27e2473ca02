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
    # What the visitor was served: "destination", "rule N" (1-based), "fallback" or "gone".
    outcome = fields.CharField(max_length=16, default="destination", db_default="destination")
    # The A/B variant the redirect picked, when the link has variants.
    variant = fields.CharField(max_length=16, null=True)
    is_bot = fields.BooleanField(default=False)
    visitor_hash = fields.CharField(max_length=32)

    link_id: int

    class Meta:
        table = "scan"
        indexes = (("link_id", "occurred_at"), ("workspace_id", "occurred_at"))


# Rollups: kept by ingestion in the transaction that inserts the scans they count, so reads
# cost buckets x keys, never scans. `scans` and `uniques` are human; `bots` the rest.


class LinkHour(Model):
    """A link's scans in one UTC hour, by source (QR/LINK)."""

    id = fields.BigIntField(primary_key=True)
    link: fields.ForeignKeyRelation[Link] = fields.ForeignKeyField(
        "models.Link", related_name="hours", on_delete=fields.CASCADE
    )
    workspace_id = fields.BigIntField()
    hour = fields.DatetimeField()
    source = fields.CharField(max_length=4)
    scans = fields.BigIntField(default=0)
    # A visitor-day is unique in the hour its first stored scan of that day is counted in.
    uniques = fields.BigIntField(default=0)
    bots = fields.BigIntField(default=0)

    link_id: int

    class Meta:
        table = "link_hour"
        unique_together = (("link_id", "hour", "source"),)
        indexes = (("workspace_id", "hour"),)


class LinkDay(Model):
    """A link's scans in one UTC day with one value of one dimension (country, os, …)."""

    id = fields.BigIntField(primary_key=True)
    link: fields.ForeignKeyRelation[Link] = fields.ForeignKeyField(
        "models.Link", related_name="days", on_delete=fields.CASCADE
    )
    workspace_id = fields.BigIntField()
    day = fields.DateField()
    source = fields.CharField(max_length=4)
    dimension = fields.CharField(max_length=10)
    value = fields.CharField(max_length=255)  # "" when the scan had none
    scans = fields.BigIntField(default=0)
    bots = fields.BigIntField(default=0)

    link_id: int

    class Meta:
        table = "link_day"
        unique_together = (("link_id", "dimension", "day", "value", "source"),)
        indexes = (("workspace_id", "day"),)


class WorkspaceHour(Model):
    """LinkHour summed over a workspace's links (a deleted link's history stays here)."""

    id = fields.BigIntField(primary_key=True)
    workspace_id = fields.BigIntField()
    hour = fields.DatetimeField()
    source = fields.CharField(max_length=4)
    scans = fields.BigIntField(default=0)
    uniques = fields.BigIntField(default=0)  # the links' uniques, summed
    bots = fields.BigIntField(default=0)

    class Meta:
        table = "workspace_hour"
        unique_together = (("workspace_id", "hour", "source"),)


class WorkspaceDay(Model):
    """LinkDay summed over a workspace's links."""

    id = fields.BigIntField(primary_key=True)
    workspace_id = fields.BigIntField()
    day = fields.DateField()
    source = fields.CharField(max_length=4)
    dimension = fields.CharField(max_length=10)
    value = fields.CharField(max_length=255)
    scans = fields.BigIntField(default=0)
    bots = fields.BigIntField(default=0)

    class Meta:
        table = "workspace_day"
        unique_together = (("workspace_id", "dimension", "day", "value", "source"),)
