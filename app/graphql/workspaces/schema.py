from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.domain.pagination import paginate
from app.domain.workspaces import quotas, services
from app.domain.workspaces.models import ApiKey as ApiKeyModel
from app.domain.workspaces.models import Workspace as WorkspaceModel
from app.errors import DomainError, InvalidInput
from app.graphql.context import Info
from app.graphql.domains.schema import workspace_domains
from app.graphql.domains.types import Domain
from app.graphql.permissions import requires
from app.graphql.relay import (
    Connection,
    DeletePayload,
    Node,
    UserError,
    after_pk,
    given,
    pk_of,
    to_global_id,
    user_errors,
)
from app.graphql.scans import schema as scans
from app.graphql.scans.types import (
    AnalyticsFilter,
    ChartFormat,
    Interval,
    ScanConnection,
    ScanFilter,
    WorkspaceAnalytics,
)
from app.security import keys


@strawberry.type(description="The quotas in force: the workspace's own, else the defaults.")
class Limits:
    links_per_day: int = strawberry.field(description="Links created in any 24 hours.")
    codes_per_day: int = strawberry.field(description="QR codes created in any 24 hours.")
    bulk_items_per_day: int = strawberry.field(description="Bulk items queued in any 24 hours.")
    requests_per_minute: int = strawberry.field(description="API requests a minute per key.")


@strawberry.type(
    description="What the workspace created in the last 24 hours: the window quotas count over."
)
class Usage:
    links_today: int
    codes_today: int
    bulk_items_today: int


@strawberry.type
class Workspace(Node):
    id: strawberry.ID
    name: str
    model: strawberry.Private[WorkspaceModel]
    dead_link_fallback: str | None = strawberry.field(
        description="Where people go whose link of this workspace is dead (disabled, "
        "scheduled, expired, used up or deleted) and has no fallback of its own."
    )

    @strawberry.field(extensions=requires("analytics:read"))
    def analytics(
        self,
        info: Info,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        interval: Interval = Interval.DAY,
        filter: AnalyticsFilter | None = None,
        include_bots: bool = False,
    ) -> WorkspaceAnalytics:
        """Every link's scans together (or those the filter picks), from rollups."""
        return scans.workspace_analytics(info, from_, to, interval, filter, include_bots)

    @strawberry.field(
        extensions=requires("analytics:read"),
        description="A signed URL of the workspace's scans chart over the range (fixed when "
        "the URL is made; default the last 30 days), valid for 30 days without a key.",
    )
    def analytics_chart_url(
        self,
        info: Info,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        interval: Interval = Interval.DAY,
        format: ChartFormat = ChartFormat.SVG,
    ) -> str:
        return scans.chart_url(info, None, from_, to, interval, format, workspace=True)

    @strawberry.field(extensions=requires("analytics:read"))
    async def scans(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ScanFilter | None = None,
    ) -> ScanConnection:
        """Scans of every link, newest first; bots only with `includeBots: true`."""
        return await scans.workspace_scans(info, first, after, filter)

    @classmethod
    def from_model(cls, workspace: WorkspaceModel) -> Workspace:
        return cls(
            id=to_global_id("Workspace", workspace.id),
            name=workspace.name,
            model=workspace,
            dead_link_fallback=workspace.dead_link_fallback,
        )

    @strawberry.field(extensions=requires("links:read"))
    async def domains(self, info: Info) -> list[Domain]:
        return await workspace_domains(info)

    @strawberry.field(description="The quotas in force. Operators change them with the CLI.")
    def limits(self, info: Info) -> Limits:
        default_rate = info.context.services.settings.rate_limit_per_minute
        return Limits(**vars(quotas.limits_of(self.model, default_rate)))

    @strawberry.field
    async def usage(self) -> Usage:
        return Usage(**vars(await quotas.usage_of(self.model.id)))


@strawberry.input
class UpdateWorkspaceSettingsInput:
    dead_link_fallback: str | None = strawberry.UNSET


@strawberry.type
class WorkspacePayload:
    workspace: Workspace | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Viewer:
    workspace: Workspace
    scopes: list[str]


@strawberry.type
class ApiKey(Node):
    id: strawberry.ID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def from_model(cls, key: ApiKeyModel) -> ApiKey:
        return cls(
            id=to_global_id("ApiKey", key.id),
            name=key.name,
            prefix=f"{keys.KEY_MARK}{key.prefix}",
            scopes=list(key.scopes),
            created_at=key.created_at,
            last_used_at=key.last_used_at,
        )


@strawberry.type
class ApiKeyPayload:
    api_key: ApiKey | None = None
    secret: str | None = strawberry.field(
        default=None, description="The key itself: shown in this response only."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateApiKeyInput:
    name: str
    scopes: list[str]


@strawberry.type
class Query:
    @strawberry.field
    async def viewer(self, info: Info) -> Viewer:
        principal = info.context.principal
        assert principal is not None
        workspace = await WorkspaceModel.get(id=principal.workspace_id)
        return Viewer(workspace=Workspace.from_model(workspace), scopes=sorted(principal.scopes))

    @strawberry.field(
        extensions=requires("keys:manage"),
        description="The workspace's keys that still work, newest first (secrets never shown).",
    )
    async def api_keys(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ApiKey]:
        query = services.keys_query(info.context.workspace_id)
        page = await paginate(query, first, after_pk(after))
        return Connection.of(page, ApiKey.from_model)


@strawberry.type
class Mutation:
    @strawberry.mutation(extensions=requires("links:write"))
    async def update_workspace_settings(
        self, info: Info, input: UpdateWorkspaceSettingsInput
    ) -> WorkspacePayload:
        try:
            workspace = await services.update_settings(info.context.workspace_id, given(input))
        except DomainError as error:
            return WorkspacePayload(user_errors=user_errors(error))
        return WorkspacePayload(workspace=Workspace.from_model(workspace))

    @strawberry.mutation(extensions=requires("keys:manage"))
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> ApiKeyPayload:
        principal = info.context.principal
        assert principal is not None
        # A key can hand out only what it has itself: no minting a `*` key from a narrow one.
        beyond = services.beyond_scopes(principal.scopes, input.scopes)
        try:
            if beyond:
                raise InvalidInput.one(
                    "FORBIDDEN_SCOPE", f"This key cannot grant: {', '.join(beyond)}.", ("scopes",)
                )
            key, secret = await services.create_key(
                principal.workspace_id, input.name, input.scopes
            )
        except DomainError as error:
            return ApiKeyPayload(user_errors=user_errors(error))
        return ApiKeyPayload(api_key=ApiKey.from_model(key), secret=secret)

    @strawberry.mutation(extensions=requires("keys:manage"))
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> DeletePayload:
        try:
            await services.revoke_key(
                info.context.workspace_id,
                pk_of(id, "ApiKey") or -1,
                info.context.services.events,
                by=info.context.principal.scopes if info.context.principal else frozenset(),
            )
        except DomainError as error:
            return DeletePayload(user_errors=user_errors(error))
        return DeletePayload(deleted_id=id)
