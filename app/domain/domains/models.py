from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.domain.workspaces.models import Workspace


class Domain(Model):
    """A workspace's own short domain (`https://go.acme.com/spring`): links on it are
    root-level, their slugs unique on this domain only."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="domains", on_delete=fields.CASCADE
    )
    # Lower case, optionally with a port ("go.acme.com", "127.0.0.1:8443").
    hostname = fields.CharField(max_length=260, unique=True)
    verified = fields.BooleanField(default=False)
    # Served at /.well-known/qrforge/<token> on the host to prove control of it.
    verification_token = fields.CharField(max_length=64, unique=True)
    not_found_redirect = fields.CharField(max_length=2048, null=True)
    base_redirect = fields.CharField(max_length=2048, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    verified_at = fields.DatetimeField(null=True)

    workspace_id: int

    class Meta:
        table = "domain"
