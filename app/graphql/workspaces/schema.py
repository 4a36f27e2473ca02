from __future__ import annotations

from datetime import datetime

import strawberry

from app.domain.errors import DomainError, InvalidInput
from app.domain.workspaces import services
from app.domain.workspaces.models import ApiKey as ApiKeyModel
from app.domain.workspaces.models import Workspace as WorkspaceModel
from app.graphql.context import Info
from app.graphql.permissions import requires
from app.graphql.relay import DeletePayload, Node, UserError, pk_of, to_global_id, user_errors
from app.security import keys


@strawberry.type
class Workspace(Node):
    id: strawberry.ID
    name: str

    @classmethod
    def from_model(cls, workspace: WorkspaceModel) -> Workspace:
        return cls(id=to_global_id("Workspace", workspace.id), name=workspace.name)


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


@strawberry.type
class Mutation:
    @strawberry.mutation(extensions=requires("keys:manage"))
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> ApiKeyPayload:
        principal = info.context.principal
        assert principal is not None
        # A key can hand out only what it has itself: no minting a `*` key from a narrow one.
        beyond = [
            s
            for s in input.scopes
            if not principal.can(s) or (s == keys.ALL and keys.ALL not in principal.scopes)
        ]
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
            await services.revoke_key(info.context.workspace_id, pk_of(id, "ApiKey") or -1)
        except DomainError as error:
            return DeletePayload(user_errors=user_errors(error))
        return DeletePayload(deleted_id=id)
