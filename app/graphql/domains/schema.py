from __future__ import annotations

import strawberry

from app.domain.domains import services
from app.domain.domains.models import Domain as DomainModel
from app.errors import DomainError
from app.graphql.context import Info
from app.graphql.domains.types import CreateDomainInput, Domain, DomainPayload
from app.graphql.permissions import requires
from app.graphql.relay import DeletePayload, Node, given, pk_of, user_errors


async def workspace_domains(info: Info) -> list[Domain]:
    rows = await DomainModel.filter(workspace_id=info.context.workspace_id).order_by("id")
    return [Domain.from_model(row) for row in rows]


async def find_domain(info: Info, pk: int) -> Node | None:
    if not info.context.principal or not info.context.principal.can("links:read"):
        return None
    row = await DomainModel.get_or_none(id=pk, workspace_id=info.context.workspace_id)
    return Domain.from_model(row) if row else None


@strawberry.type
class Mutation:
    @strawberry.mutation(extensions=requires("links:write"))
    async def create_domain(self, info: Info, input: CreateDomainInput) -> DomainPayload:
        services_ = info.context.services
        try:
            domain = await services.create_domain(
                info.context.workspace_id,
                given(input),
                services_.settings.public_url,
                services_.events,
            )
        except DomainError as error:
            return DomainPayload(user_errors=user_errors(error))
        return DomainPayload(domain=Domain.from_model(domain))

    @strawberry.mutation(
        extensions=requires("links:write"),
        description="Fetch http://<hostname>/.well-known/qrforge/<token>; verified when it "
        "answers the token.",
    )
    async def verify_domain(self, info: Info, id: strawberry.ID) -> DomainPayload:
        services_ = info.context.services
        try:
            domain = await services.verify_domain(
                info.context.workspace_id,
                pk_of(id, "Domain") or -1,
                services_.events,
                allow_private=services_.settings.allow_private_targets,
            )
        except DomainError as error:
            return DomainPayload(user_errors=user_errors(error))
        return DomainPayload(domain=Domain.from_model(domain))

    @strawberry.mutation(extensions=requires("links:write"))
    async def delete_domain(self, info: Info, id: strawberry.ID) -> DeletePayload:
        try:
            await services.delete_domain(
                info.context.workspace_id, pk_of(id, "Domain") or -1, info.context.services.events
            )
        except DomainError as error:
            return DeletePayload(user_errors=user_errors(error))
        return DeletePayload(deleted_id=id)
