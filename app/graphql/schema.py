"""The GraphQL schema: each domain's Query and Mutation merged at the root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.tools import merge_types

from app.domain.links import services as links
from app.domain.workspaces.models import ApiKey as ApiKeyModel
from app.domain.workspaces.models import Workspace as WorkspaceModel
from app.errors import NotFound
from app.graphql.bulk import schema as bulk_schema
from app.graphql.codes import schema as codes_schema
from app.graphql.context import Info
from app.graphql.cost import CostLimit
from app.graphql.designs import schema as designs_schema
from app.graphql.domains import schema as domains_schema
from app.graphql.errors import ErrorPolicy
from app.graphql.links import schema as links_schema
from app.graphql.links.schema import link_type
from app.graphql.relay import Node, from_global_id
from app.graphql.scans import schema as scans_schema
from app.graphql.text import ControlCharacters
from app.graphql.webhooks import schema as webhooks_schema
from app.graphql.workspaces import schema as workspaces_schema


async def _link(info: Info, pk: int) -> Node | None:
    if not info.context.principal or not info.context.principal.can("links:read"):
        return None
    try:
        return link_type(info, await links.get_link(info.context.workspace_id, id=pk))
    except NotFound:
        return None


async def _workspace(info: Info, pk: int) -> Node | None:
    if pk != info.context.workspace_id:
        return None
    return workspaces_schema.Workspace.from_model(await WorkspaceModel.get(id=pk))


async def _api_key(info: Info, pk: int) -> Node | None:
    if not info.context.principal or not info.context.principal.can("keys:manage"):
        return None
    key = await ApiKeyModel.get_or_none(id=pk, workspace_id=info.context.workspace_id)
    return workspaces_schema.ApiKey.from_model(key) if key else None


# How `node(id)` finds each type; every finder applies the same scope and workspace checks
# as the type's own query, so `node` is never a way around them.
NODE_FINDERS: dict[str, Callable[[Info, int], Awaitable[Node | None]]] = {
    "Link": _link,
    "Workspace": _workspace,
    "ApiKey": _api_key,
    "Design": designs_schema.find_design,
    "QrCode": codes_schema.find_code,
    "Webhook": webhooks_schema.find_webhook,
    "WebhookDelivery": webhooks_schema.find_delivery,
    "BulkJob": bulk_schema.find_bulk_job,
    "Scan": scans_schema.find_scan,
    "Domain": domains_schema.find_domain,
}


@strawberry.type
class NodeQuery:
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        decoded = from_global_id(id)
        if decoded is None or decoded[0] not in NODE_FINDERS:
            return None
        type_name, pk = decoded
        return await NODE_FINDERS[type_name](info, pk)


Query = merge_types(
    "Query",
    (
        NodeQuery,
        workspaces_schema.Query,
        links_schema.Query,
        webhooks_schema.Query,
        designs_schema.Query,
        codes_schema.Query,
        bulk_schema.Query,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        workspaces_schema.Mutation,
        links_schema.Mutation,
        webhooks_schema.Mutation,
        designs_schema.Mutation,
        codes_schema.Mutation,
        bulk_schema.Mutation,
        domains_schema.Mutation,
    ),
)
Subscription = merge_types("Subscription", (bulk_schema.Subscription, scans_schema.Subscription))

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 5000


def build_schema(*, introspection: bool = True) -> strawberry.Schema:
    extensions: list[Any] = [
        ErrorPolicy,
        ControlCharacters,
        CostLimit,
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[workspaces_schema.Workspace, workspaces_schema.ApiKey],
        extensions=extensions,
    )


def schema_sdl() -> str:
    """The schema as SDL, the text kept in schema.graphql."""
    return build_schema().as_str() + "\n"
