from __future__ import annotations

import base64
from typing import Any

import strawberry

from app.domain.codes import services
from app.domain.codes.images import ImageStore, guarded, render_checked, static_image
from app.domain.pagination import paginate
from app.errors import DomainError, NotFound
from app.graphql.codes.types import (
    CreateQrCodeInput,
    QrCode,
    QrCodeFilter,
    QrCodePayload,
    RenderedQr,
    RenderQrInput,
    UpdateQrCodeInput,
)
from app.graphql.context import Info
from app.graphql.designs.schema import logos
from app.graphql.designs.types import ErrorCorrection, Scannability, style_dict
from app.graphql.links.schema import link_fields
from app.graphql.permissions import requires
from app.graphql.relay import Connection, DeletePayload, after_pk, given, pk_of, user_errors


def deps(info: Info) -> services.CodeDeps:
    s = info.context.services
    return services.CodeDeps(
        s.events,
        s.settings.public_url,
        jobs=s.jobs,
        logos=logos(info),
        render_one=info.context.request.app.state.render_pool.render_one,
        check_logo=info.context.request.app.state.render_pool.check_logo,
    )


def code_fields(input: CreateQrCodeInput | UpdateQrCodeInput) -> dict[str, Any]:
    fields = given(input)
    for name in ("kind", "data_type"):
        if fields.get(name) is not None:
            fields[name] = fields[name].value
    if "style" in fields:
        fields["style"] = style_dict(fields["style"]) if fields["style"] is not None else None
    if fields.get("design_id") is not None:
        fields["design_id"] = pk_of(fields["design_id"], "Design") or -1
    if fields.get("link") is not None:
        fields["link"] = link_fields(fields["link"])
    if fields.get("link_id") is not None:
        fields["link_id"] = pk_of(fields["link_id"], "Link") or -1
    return fields


def code_type(model: Any) -> QrCode:
    draft = model.link if model.id is None and model.kind == "DYNAMIC" else None
    return QrCode.from_model(model, draft_link=draft)


@strawberry.type
class Query:
    @strawberry.field(extensions=requires("codes:read"))
    async def qr_code(self, info: Info, id: strawberry.ID) -> QrCode | None:
        try:
            model = await services.get_code(info.context.workspace_id, pk_of(id, "QrCode") or -1)
        except NotFound:
            return None
        return code_type(model)

    @strawberry.field(extensions=requires("codes:read"))
    async def qr_codes(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: QrCodeFilter | None = None,
    ) -> Connection[QrCode]:
        domain_filter = None
        if filter is not None:
            domain_filter = services.CodeFilter(
                kind=filter.kind.value if filter.kind else None,
                data_type=filter.data_type.value if filter.data_type else None,
                search=filter.search,
                design_id=pk_of(filter.design_id, "Design") or -1 if filter.design_id else None,
            )
        qs = services.codes_query(info.context.workspace_id, domain_filter)
        return Connection.of(await paginate(qs, first, after_pk(after)), code_type)

    @strawberry.field(description="Render a code without storing anything.")
    async def render_qr(self, info: Info, input: RenderQrInput) -> RenderedQr:
        request = await static_image(
            input.data_type.value, input.data, input.format.value,
            style_dict(input.style) if input.style else None, input.size, logos(info),
            info.context.request.app.state.render_pool.check_logo,
        )  # fmt: skip
        app = info.context.request.app
        store = ImageStore.of(app.state.services, app.state.render_pool.render_one)
        rendered = await render_checked(store, request)
        encoded = base64.b64encode(rendered.data).decode()
        return RenderedQr(
            content_type=rendered.content_type,
            data_uri=f"data:{rendered.content_type};base64,{encoded}",
            width=rendered.width,
            version=rendered.version,
            error_correction=ErrorCorrection(rendered.error_correction),
            scannability=Scannability.of(guarded(rendered)),
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(extensions=requires("codes:write"))
    async def create_qr_code(
        self, info: Info, input: CreateQrCodeInput, dry_run: bool = False
    ) -> QrCodePayload:
        try:
            model = await services.create_code(
                info.context.workspace_id, code_fields(input), deps(info), dry_run=dry_run
            )
        except DomainError as error:
            return QrCodePayload(user_errors=user_errors(error))
        return QrCodePayload(qr_code=code_type(model))

    @strawberry.mutation(extensions=requires("codes:write"))
    async def update_qr_code(
        self, info: Info, id: strawberry.ID, input: UpdateQrCodeInput
    ) -> QrCodePayload:
        try:
            model = await services.update_code(
                info.context.workspace_id, pk_of(id, "QrCode") or -1, code_fields(input),
                deps(info),
            )  # fmt: skip
        except DomainError as error:
            return QrCodePayload(user_errors=user_errors(error))
        return QrCodePayload(qr_code=code_type(model))

    @strawberry.mutation(extensions=requires("codes:write"))
    async def delete_qr_code(self, info: Info, id: strawberry.ID) -> DeletePayload:
        try:
            await services.delete_code(
                info.context.workspace_id, pk_of(id, "QrCode") or -1, deps(info)
            )
        except DomainError as error:
            return DeletePayload(user_errors=user_errors(error))
        return DeletePayload(deleted_id=id)


async def find_code(info: Info, pk: int) -> QrCode | None:
    """`node(id)` for a QrCode: the same scope and workspace checks as `qrCode`."""
    if not info.context.principal or not info.context.principal.can("codes:read"):
        return None
    try:
        return code_type(await services.get_code(info.context.workspace_id, pk))
    except NotFound:
        return None
