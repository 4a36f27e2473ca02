from __future__ import annotations

from typing import Any

import strawberry

from app.domain.links import services
from app.domain.pagination import paginate
from app.errors import DomainError, NotFound
from app.graphql.context import Info
from app.graphql.links.types import (
    CreateLinkInput,
    Link,
    LinkFilter,
    LinkPayload,
    UpdateLinkInput,
)
from app.graphql.permissions import requires
from app.graphql.relay import Connection, DeletePayload, after_pk, given, pk_of, user_errors


def link_type(info: Info, model: Any) -> Link:
    return Link.from_model(model, info.context.services.settings.public_url)


def link_fields(input: CreateLinkInput | UpdateLinkInput) -> dict[str, Any]:
    fields = given(input)
    if fields.get("design_id") is not None:
        # A malformed or foreign id is simply a design that does not exist.
        fields["design_id"] = pk_of(fields["design_id"], "Design") or -1
    if fields.get("domain_id") is not None:
        fields["domain_id"] = pk_of(fields["domain_id"], "Domain") or -1
    if "variants" in fields:
        fields["variants"] = [
            {"destination": v.destination, "weight": v.weight} for v in fields["variants"] or []
        ]
    return fields


@strawberry.type
class Query:
    @strawberry.field(extensions=requires("links:read"))
    async def link(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> Link | None:
        pk = pk_of(id, "Link") if id is not None else None
        if (id is not None and pk is None) or (id is None and slug is None):
            return None
        try:
            model = await services.get_link(info.context.workspace_id, id=pk, slug=slug)
        except NotFound:
            return None
        return link_type(info, model)

    @strawberry.field(extensions=requires("links:read"))
    async def links(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: LinkFilter | None = None,
    ) -> Connection[Link]:
        domain_filter = (
            services.LinkFilter(
                tag=filter.tag,
                status=filter.status.value if filter.status else None,
                search=filter.search,
            )
            if filter
            else None
        )
        qs = services.links_query(info.context.workspace_id, domain_filter)
        page = await paginate(qs, first, after_pk(after))
        return Connection.of(page, lambda m: link_type(info, m))


@strawberry.type
class Mutation:
    @strawberry.mutation(extensions=requires("links:write"))
    async def create_link(
        self, info: Info, input: CreateLinkInput, dry_run: bool = False
    ) -> LinkPayload:
        try:
            model = await services.create_link(
                info.context.workspace_id,
                link_fields(input),
                info.context.services.events,
                dry_run=dry_run,
            )
        except DomainError as error:
            return LinkPayload(user_errors=user_errors(error))
        return LinkPayload(link=link_type(info, model))

    @strawberry.mutation(extensions=requires("links:write"))
    async def update_link(
        self, info: Info, id: strawberry.ID, input: UpdateLinkInput
    ) -> LinkPayload:
        try:
            model = await services.update_link(
                info.context.workspace_id,
                pk_of(id, "Link") or -1,
                link_fields(input),
                info.context.services.events,
            )
        except DomainError as error:
            return LinkPayload(user_errors=user_errors(error))
        return LinkPayload(link=link_type(info, model))

    @strawberry.mutation(extensions=requires("links:write"))
    async def delete_link(self, info: Info, id: strawberry.ID) -> DeletePayload:
        try:
            await services.delete_link(
                info.context.workspace_id, pk_of(id, "Link") or -1, info.context.services.events
            )
        except DomainError as error:
            return DeletePayload(user_errors=user_errors(error))
        return DeletePayload(deleted_id=id)
