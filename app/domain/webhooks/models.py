from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.domain.fields import json_field
from app.domain.workspaces.models import Workspace


class Webhook(Model):
    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="webhooks", on_delete=fields.CASCADE
    )
    url = fields.CharField(max_length=2048)
    description = fields.CharField(max_length=500, default="")
    events: fields.JSONField[list[str]] = json_field(default=list)
    # Kept in full: the server signs with it (Standard Webhooks is symmetric).
    secret = fields.CharField(max_length=100)
    enabled = fields.BooleanField(default=True)
    disabled_reason = fields.CharField(max_length=500, null=True)
    failing_since = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    workspace_id: int

    class Meta:
        table = "webhook"


class WebhookDelivery(Model):
    """One event for one webhook: msg_id is the webhook-id kept across retries."""

    id = fields.BigIntField(primary_key=True)
    webhook: fields.ForeignKeyRelation[Webhook] = fields.ForeignKeyField(
        "models.Webhook", related_name="deliveries", on_delete=fields.CASCADE
    )
    msg_id = fields.CharField(max_length=64, unique=True)
    event = fields.CharField(max_length=40)
    payload = fields.TextField()
    status = fields.CharField(max_length=10, default="PENDING")
    attempts = fields.IntField(default=0)
    # Where the current retry schedule started: 0 at dispatch, the attempts made before the
    # last redelivery. The database default gives rows stored before the column their 0.
    series = fields.IntField(default=0, db_default=0)
    response_status = fields.IntField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    # When a PENDING delivery is due (the row is the schedule); while an attempt is in
    # flight, the end of its lease. None once it has ended.
    next_attempt_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    delivered_at = fields.DatetimeField(null=True)

    webhook_id: int

    class Meta:
        table = "webhook_delivery"
        # The list of a webhook's deliveries, and the delivery loop's due rows by due time.
        indexes = (("webhook_id", "created_at"), ("status", "next_attempt_at"))


class WebhookAttempt(Model):
    id = fields.BigIntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "models.WebhookDelivery", related_name="attempt_log", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    started_at = fields.DatetimeField()
    duration_ms = fields.IntField()
    response_status = fields.IntField(null=True)
    error = fields.CharField(max_length=500, null=True)

    delivery_id: int

    class Meta:
        table = "webhook_attempt"
        unique_together = (("delivery_id", "number"),)
