from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from app.domain.domains.models import Domain as DomainModel
from app.domain.links import claims, services, slugs
from app.domain.links.models import Link as LinkModel
from app.graphql.context import Info
from app.graphql.designs.types import Design, load_design
from app.graphql.loaders import rows_by_pk
from app.graphql.permissions import requires
from app.graphql.relay import Node, UserError, to_global_id
from app.graphql.scans import schema as scans
from app.graphql.scans.types import ChartFormat, Interval, LinkAnalytics, ScanConnection

if TYPE_CHECKING:
    from app.graphql.codes.types import QrCode


@strawberry.enum
class LinkStatus(Enum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"
    SCHEDULED = "SCHEDULED"
    EXPIRED = "EXPIRED"
    EXHAUSTED = "EXHAUSTED"


@strawberry.enum
class RuleConditionType(Enum):
    DEVICE = "DEVICE"
    OS = "OS"
    COUNTRY = "COUNTRY"
    LANGUAGE = "LANGUAGE"
    QUERY_PARAM = "QUERY_PARAM"
    BEFORE = "BEFORE"
    AFTER = "AFTER"
    IP_CIDR = "IP_CIDR"


@strawberry.type
class RuleCondition:
    type: RuleConditionType
    value: str


@strawberry.type
class RedirectRule:
    destination: str
    conditions: list[RuleCondition]


@strawberry.input
class RuleConditionInput:
    type: RuleConditionType
    value: str


@strawberry.input
class RedirectRuleInput:
    destination: str
    conditions: list[RuleConditionInput]


@strawberry.type(description="One of a link's weighted A/B destinations.")
class Variant:
    destination: str
    weight: int


@strawberry.input
class VariantInput:
    destination: str
    weight: int = strawberry.field(description="1 to 10000; traffic splits by weight.")


@strawberry.type
class Link(Node):
    id: strawberry.ID
    slug: str
    destination: str
    fallback_destination: str | None
    title: str | None
    tags: list[str]
    metadata: JSON
    enabled: bool
    status: LinkStatus
    scan_limit: int | None
    not_before: datetime | None
    not_after: datetime | None
    rules: list[RedirectRule]
    redirect_type: int
    forward_query: bool
    password_protected: bool
    scan_count: int = strawberry.field(
        description="Human scans sent on to the link's destination (or a rule's); bots are in "
        "botScanCount, and visits that got the fallback or a 410 only in analytics."
    )
    unique_scan_count: int = strawberry.field(
        description="Of scanCount, the unique visitors: visitor-days (the hash is salted per "
        "UTC day), summed."
    )
    bot_scan_count: int = strawberry.field(
        description="Scans by crawlers, link unfurlers and HEAD requests: recorded, flagged "
        "and counted here, never in scanCount or (unless includeBots) in analytics."
    )
    created_at: datetime | None
    updated_at: datetime | None
    variants: list[Variant]
    pk: strawberry.Private[int | None]
    design_pk: strawberry.Private[int | None]
    domain_pk: strawberry.Private[int | None]
    public_url: strawberry.Private[str]

    @strawberry.field
    async def design(self, info: Info) -> Design | None:
        return await load_design(info, self.design_pk)

    @strawberry.field(description="/r/{slug} on the install's domain, /{slug} on a custom one.")
    async def short_url(self, info: Info) -> str:
        return slugs.short_url(self.public_url, self.slug, await self._hostname(info))

    async def _hostname(self, info: Info) -> str | None:
        if self.domain_pk is None:
            return None
        domain = await rows_by_pk(info, DomainModel).load(self.domain_pk)
        return domain.hostname if domain is not None else None

    @strawberry.field(
        description="The link's QR codes, oldest first: the one made with it (?qr=1) and any "
        "further ones (createQrCode with linkId)."
    )
    async def qr_codes(
        self, info: Info
    ) -> list[Annotated[QrCode, strawberry.lazy("app.graphql.codes.types")]]:
        from app.graphql.codes.types import codes_of_links

        if self.pk is None:
            return []
        return await codes_of_links(info).load(self.pk)

    @strawberry.field(
        description="Every slug the link has had, oldest first, its current one included: "
        "each still redirects here and no other link can take it."
    )
    async def slug_history(self, info: Info) -> list[str]:
        if self.pk is None:
            return [self.slug]
        return await slug_histories(info).load(self.pk) or [self.slug]

    @strawberry.field(extensions=requires("analytics:read"))
    def analytics(
        self,
        info: Info,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        interval: Interval = Interval.DAY,
        include_bots: bool = False,
    ) -> LinkAnalytics:
        return scans.link_analytics(info, self.pk, from_, to, interval, include_bots)

    @strawberry.field(
        extensions=requires("analytics:read"),
        description="A signed URL of the scans chart over the range (fixed when the URL is "
        "made; default the last 30 days), valid for 30 days without a key: for e-mails and "
        "reports.",
    )
    def analytics_chart_url(
        self,
        info: Info,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        interval: Interval = Interval.DAY,
        format: ChartFormat = ChartFormat.SVG,
    ) -> str:
        return scans.chart_url(info, self.pk, from_, to, interval, format)

    @strawberry.field(extensions=requires("analytics:read"))
    async def scans(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ScanConnection:
        return await scans.link_scans(info, self.pk, first, after)

    @classmethod
    def from_model(cls, link: LinkModel, public_url: str) -> Link:
        return cls(
            id=to_global_id("Link", link.id),
            pk=link.id,
            slug=link.slug,
            public_url=public_url,
            domain_pk=link.domain_id,
            variants=[
                Variant(destination=v["destination"], weight=v["weight"])
                for v in (link.variants or [])
            ],
            destination=link.destination,
            fallback_destination=link.fallback_destination,
            title=link.title,
            tags=list(link.tags),
            metadata=cast(JSON, link.metadata),
            enabled=link.enabled,
            status=LinkStatus(services.link_status(link)),
            scan_limit=link.scan_limit,
            not_before=link.not_before,
            not_after=link.not_after,
            rules=[
                RedirectRule(
                    destination=rule["destination"],
                    conditions=[
                        RuleCondition(type=RuleConditionType(c["type"]), value=c["value"])
                        for c in rule["conditions"]
                    ],
                )
                for rule in link.rules
            ],
            redirect_type=link.redirect_type,
            forward_query=link.forward_query,
            password_protected=link.password_hash is not None,
            scan_count=link.scan_count,
            unique_scan_count=link.unique_scan_count,
            bot_scan_count=link.bot_scan_count,
            created_at=link.created_at,
            updated_at=link.updated_at,
            design_pk=link.design_id,
        )


@strawberry.input
class LinkFilter:
    tag: str | None = None
    status: LinkStatus | None = None
    search: str | None = None


@strawberry.input
class LinkOptions:
    """What CreateLinkInput and UpdateLinkInput share: every field but the destination."""

    slug: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    metadata: JSON | None = strawberry.UNSET
    fallback_destination: str | None = strawberry.UNSET
    enabled: bool | None = strawberry.UNSET
    scan_limit: int | None = strawberry.UNSET
    not_before: datetime | None = strawberry.UNSET
    not_after: datetime | None = strawberry.UNSET
    rules: list[RedirectRuleInput] | None = strawberry.UNSET
    redirect_type: int | None = strawberry.UNSET
    forward_query: bool | None = strawberry.UNSET
    password: str | None = strawberry.UNSET
    design_id: strawberry.ID | None = strawberry.UNSET
    domain_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="A verified custom domain of the workspace; null: the install's own.",
    )
    variants: list[VariantInput] | None = strawberry.field(
        default=strawberry.UNSET,
        description="2 to 10 weighted destinations (A/B); a matching rule still wins. "
        "[] or null removes them.",
    )


@strawberry.input
class CreateLinkInput(LinkOptions):
    destination: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Required by createLink; a code's link defaults to the code's data.url.",
    )


@strawberry.input(description="Only the fields given change; null clears an optional field.")
class UpdateLinkInput(LinkOptions):
    destination: str | None = strawberry.UNSET


@strawberry.type
class LinkPayload:
    link: Link | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def slug_histories(info: Info) -> DataLoader[int, list[str]]:
    loaders = info.context.loaders
    if "slug_history" not in loaders:

        async def load(pks: list[int]) -> list[list[str]]:
            found = await claims.histories(pks)
            return [found.get(pk, []) for pk in pks]

        loaders["slug_history"] = DataLoader(load_fn=load)
    return cast(DataLoader[int, list[str]], loaders["slug_history"])
