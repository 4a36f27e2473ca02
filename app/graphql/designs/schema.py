from __future__ import annotations

from typing import Any

import strawberry

from app.domain.codes.images import ImageRequest, sample_text
from app.domain.codes.logos import CachedLogos
from app.domain.designs import services
from app.domain.pagination import paginate
from app.errors import DomainError, NotFound
from app.graphql.context import Info
from app.graphql.designs.types import (
    Design,
    DesignInput,
    DesignPayload,
    UpdateDesignInput,
    image_store_of,
    style_dict,
)
from app.graphql.permissions import requires
from app.graphql.relay import Connection, DeletePayload, after_pk, given, pk_of, user_errors
from app.rendering.style import Style


def logos(info: Info) -> CachedLogos:
    return CachedLogos.of(info.context.services)


def render_check(info: Info) -> services.RenderCheck:
    """Render the style on a typical dynamic code in the API's process pool: the measured
    scannability guard runs there."""
    store = image_store_of(info)
    text = sample_text(info.context.services.settings.public_url)

    async def check(style: Style) -> None:
        await store.render(ImageRequest(text, style, "SVG", style.size))

    return check


def design_fields(input: DesignInput | UpdateDesignInput) -> dict[str, Any]:
    fields = given(input)
    if "style" in fields:
        fields["style"] = style_dict(fields["style"]) if fields["style"] is not None else None
    return fields


@strawberry.type
class Query:
    @strawberry.field(extensions=requires("designs:read"))
    async def designs(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Design]:
        qs = services.designs_query(info.context.workspace_id)
        page = await paginate(qs, first, after_pk(after))
        return Connection.of(page, Design.from_model)

    @strawberry.field(extensions=requires("designs:read"))
    async def design(self, info: Info, id: strawberry.ID) -> Design | None:
        try:
            model = await services.get_design(info.context.workspace_id, pk_of(id, "Design") or -1)
        except NotFound:
            return None
        return Design.from_model(model)


@strawberry.type
class Mutation:
    @strawberry.mutation(extensions=requires("designs:write"))
    async def create_design(self, info: Info, input: DesignInput) -> DesignPayload:
        try:
            model = await services.create_design(
                info.context.workspace_id,
                design_fields(input),
                logos=logos(info),
                check_logo=info.context.request.app.state.render_pool.check_logo,
                check=render_check(info),
            )
        except DomainError as error:
            return DesignPayload(user_errors=user_errors(error))
        return DesignPayload(design=Design.from_model(model))

    @strawberry.mutation(extensions=requires("designs:write"))
    async def update_design(
        self, info: Info, id: strawberry.ID, input: UpdateDesignInput
    ) -> DesignPayload:
        try:
            model = await services.update_design(
                info.context.workspace_id,
                pk_of(id, "Design") or -1,
                design_fields(input),
                logos=logos(info),
                jobs=info.context.services.jobs,
                check_logo=info.context.request.app.state.render_pool.check_logo,
                check=render_check(info),
            )
        except DomainError as error:
            return DesignPayload(user_errors=user_errors(error))
        return DesignPayload(design=Design.from_model(model))

    @strawberry.mutation(extensions=requires("designs:write"))
    async def delete_design(self, info: Info, id: strawberry.ID) -> DeletePayload:
        try:
            await services.delete_design(info.context.workspace_id, pk_of(id, "Design") or -1)
        except DomainError as error:
            return DeletePayload(user_errors=user_errors(error))
        return DeletePayload(deleted_id=id)


async def find_design(info: Info, pk: int) -> Design | None:
    """`node(id)` for a Design: the same scope and workspace checks as `designs`."""
    if not info.context.principal or not info.context.principal.can("designs:read"):
        return None
    try:
        return Design.from_model(await services.get_design(info.context.workspace_id, pk))
    except NotFound:
        return None
