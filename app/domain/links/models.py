from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.domain.designs.models import Design
from app.domain.domains.models import Domain
from app.domain.fields import json_field
from app.domain.workspaces.models import Workspace


class Link(Model):
    """A short link: /r/{slug} redirects to destination (or to a matching rule)."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="links", on_delete=fields.CASCADE
    )
    # The current slug; it and every earlier one are claimed in SlugClaim, which is what
    # makes a slug unique on its domain.
    slug = fields.CharField(max_length=64)
    domain: fields.ForeignKeyNullableRelation[Domain] = fields.ForeignKeyField(
        "models.Domain", related_name="links", null=True, on_delete=fields.RESTRICT
    )
    destination = fields.CharField(max_length=2048)
    fallback_destination = fields.CharField(max_length=2048, null=True)
    title = fields.CharField(max_length=200, null=True)
    tags: fields.JSONField[list[str]] = json_field(default=list)
    # "|a|b|": lets tag filter with a portable LIKE on SQLite and PostgreSQL alike.
    tag_index = fields.CharField(max_length=2200, default="")
    metadata: fields.JSONField[dict] = json_field(default=dict)
    enabled = fields.BooleanField(default=True)
    scan_limit = fields.IntField(null=True)
    not_before = fields.DatetimeField(null=True)
    not_after = fields.DatetimeField(null=True)
    rules: fields.JSONField[list[dict]] = json_field(default=list)
    redirect_type = fields.SmallIntField(default=302)
    forward_query = fields.BooleanField(default=False)
    password_hash = fields.CharField(max_length=200, null=True)
    design: fields.ForeignKeyNullableRelation[Design] = fields.ForeignKeyField(
        "models.Design", related_name="links", null=True, on_delete=fields.SET_NULL
    )
    # Maintained by scan ingestion, so reading them never counts rows. Human scans sent on to
    # a destination (not the fallback, not a 410) and their visitor-days; bots apart.
    scan_count = fields.BigIntField(default=0)
    unique_scan_count = fields.BigIntField(default=0)
    bot_scan_count = fields.BigIntField(default=0, db_default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    # Weighted A/B destinations: [{"destination", "weight"}]; null or empty for none (null
    # lets the column be added to a table of existing links).
    variants: fields.JSONField[list[dict] | None] = json_field(null=True)

    workspace_id: int
    design_id: int | None
    domain_id: int | None

    class Meta:
        table = "link"
        indexes = (("workspace_id", "created_at"), ("workspace_id", "slug"))


class SlugClaim(Model):
    """A slug a link has or had on a domain: it redirects to that link and nobody else may
    take it. A deleted link's claims stay (answering 410) until `released_at` + 90 days."""

    id = fields.BigIntField(primary_key=True)
    host = fields.CharField(max_length=260, default="")  # "" is the install's own domain
    slug = fields.CharField(max_length=64)
    link: fields.ForeignKeyNullableRelation[Link] = fields.ForeignKeyField(
        "models.Link", related_name="slug_claims", null=True, on_delete=fields.SET_NULL
    )
    # Kept past the link's deletion: whose dead-link page and fallback the slug shows.
    workspace_id = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)
    released_at = fields.DatetimeField(null=True)

    link_id: int | None

    class Meta:
        table = "slug_claim"
        unique_together = (("host", "slug"),)
        indexes = (("link_id",),)
