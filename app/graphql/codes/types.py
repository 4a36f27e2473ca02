from __future__ import annotations

import time
from datetime import datetime
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON
from tortoise.functions import Sum

from app.domain.codes.images import image_size, scannability_of, signed_image_url
from app.domain.codes.models import QrCode as QrCodeModel
from app.domain.designs.models import Design as DesignModel
from app.domain.links.models import Link as LinkModel
from app.domain.scans.models import LinkHour
from app.errors import InvalidInput
from app.graphql.context import Info
from app.graphql.designs.types import (
    Design,
    ErrorCorrection,
    QrStyle,
    QrStyleInput,
    Scannability,
    image_store_of,
    load_design,
)
from app.graphql.links.types import CreateLinkInput, Link
from app.graphql.loaders import rows_by_pk
from app.graphql.relay import Node, UserError, to_global_id
from app.rendering.style import MAX_SIZE, MIN_SIZE, Style


@strawberry.enum
class QrCodeKind(Enum):
    STATIC = "STATIC"
    DYNAMIC = "DYNAMIC"


@strawberry.enum
class QrDataType(Enum):
    URL = "URL"
    TEXT = "TEXT"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    SMS = "SMS"
    WIFI = "WIFI"
    VCARD = "VCARD"
    MECARD = "MECARD"
    GEO = "GEO"
    EVENT = "EVENT"
    CRYPTO = "CRYPTO"
    EPC = "EPC"


@strawberry.enum
class ImageFormat(Enum):
    PNG = "PNG"
    SVG = "SVG"
    JPEG = "JPEG"
    PDF = "PDF"


@strawberry.type
class QrCode(Node):
    id: strawberry.ID
    name: str
    kind: QrCodeKind
    data_type: QrDataType
    encoded_text: str = strawberry.field(description="The exact text in the symbol.")
    style: QrStyle | None = strawberry.field(
        description="The code's own style; null when it follows its design or the defaults."
    )
    created_at: datetime | None
    updated_at: datetime | None
    pk: strawberry.Private[int | None]
    stored_data: strawberry.Private[dict[str, Any]]
    link_pk: strawberry.Private[int | None]
    design_pk: strawberry.Private[int | None]
    draft_link: strawberry.Private[LinkModel | None]
    own_style: strawberry.Private[dict[str, Any] | None]

    @classmethod
    def from_model(cls, code: QrCodeModel, draft_link: LinkModel | None = None) -> QrCode:
        return cls(
            id=to_global_id("QrCode", code.id),
            pk=code.id,
            name=code.name,
            kind=QrCodeKind(code.kind),
            data_type=QrDataType(code.data_type),
            encoded_text=code.encoded_text,
            style=QrStyle.from_dict(code.style) if code.style else None,
            created_at=code.created_at,
            updated_at=code.updated_at,
            stored_data=code.data,
            link_pk=code.link_id,
            design_pk=code.design_id,
            draft_link=draft_link,
            own_style=code.style,
        )

    async def _link_model(self, info: Info) -> LinkModel | None:
        if self.draft_link is not None:
            return self.draft_link
        return await rows_by_pk(info, LinkModel).load(self.link_pk) if self.link_pk else None

    @strawberry.field(description="The data; a DYNAMIC code's url is its link's destination.")
    async def data(self, info: Info) -> JSON:
        if self.kind is QrCodeKind.DYNAMIC:
            link = await self._link_model(info)
            if link is not None:
                return cast(JSON, {**self.stored_data, "url": link.destination})
        return cast(JSON, self.stored_data)

    @strawberry.field
    async def link(self, info: Info) -> Link | None:
        model = await self._link_model(info)
        return Link.from_model(model, info.context.services.settings.public_url) if model else None

    @strawberry.field
    async def design(self, info: Info) -> Design | None:
        return await load_design(info, self.design_pk)

    @strawberry.field(description="The guard's verdict on this code as it prints.")
    async def scannability(self, info: Info) -> Scannability:
        look = self.own_style
        if look is None and self.design_pk is not None:
            design = await rows_by_pk(info, DesignModel).load(self.design_pk)
            look = design.style if design is not None else None
        store = image_store_of(info)
        verdict = await scannability_of(store, self.encoded_text, Style.from_stored(look))
        return Scannability.of(verdict)

    @strawberry.field(
        description="People's scans of the printed code: its link's QR-source scans (the "
        "scans of all the link's codes, which the scan events tell apart by ?qr= marker)."
    )
    async def scan_count(self, info: Info) -> int:
        if self.link_pk is None:
            return 0
        return await qr_scan_counts(info).load(self.link_pk)

    @strawberry.field(
        description="A signed URL of the image that works without a key until it expires "
        "(about a day). Empty for a dry run's code, which has no image yet."
    )
    def image_url(self, info: Info, format: ImageFormat = ImageFormat.PNG, size: int = 512) -> str:
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise InvalidInput.one(
                "INVALID_SIZE",
                f"`size` must be between {MIN_SIZE} and {MAX_SIZE} pixels",
                ("size",),
            )
        if self.pk is None:
            return ""
        settings = info.context.services.settings
        return signed_image_url(
            settings.public_url, settings.secret, self.pk, format.value, image_size(size),
            time.time(),
        )  # fmt: skip


def qr_scan_counts(info: Info) -> DataLoader[int, int]:
    """Human QR-source scans per link, from the hourly rollups: one query per request."""
    loaders = info.context.loaders
    if "qr_scans" not in loaders:

        async def load(pks: list[int]) -> list[int]:
            rows = (
                await LinkHour.filter(link_id__in=pks, source="QR")
                .annotate(total=Sum("scans"))
                .group_by("link_id")
                .values_list("link_id", "total")
            )
            totals = {int(link_id): int(total or 0) for link_id, total in rows}
            return [totals.get(pk, 0) for pk in pks]

        loaders["qr_scans"] = DataLoader(load_fn=load)
    return cast(DataLoader[int, int], loaders["qr_scans"])


def codes_of_links(info: Info) -> DataLoader[int, list[QrCode]]:
    """Each link's codes, oldest first: one query per request."""
    loaders = info.context.loaders
    if "codes_of_links" not in loaders:
        workspace_id = info.context.workspace_id

        async def load(pks: list[int]) -> list[list[QrCode]]:
            rows = await QrCodeModel.filter(workspace_id=workspace_id, link_id__in=pks).order_by(
                "id"
            )
            found: dict[int, list[QrCode]] = {pk: [] for pk in pks}
            for row in rows:
                found[row.link_id or 0].append(QrCode.from_model(row))
            return [found[pk] for pk in pks]

        loaders["codes_of_links"] = DataLoader(load_fn=load)
    return cast(DataLoader[int, list[QrCode]], loaders["codes_of_links"])


@strawberry.input
class QrCodeFilter:
    kind: QrCodeKind | None = None
    data_type: QrDataType | None = None
    search: str | None = strawberry.field(default=None, description="Part of the name.")
    design_id: strawberry.ID | None = None


@strawberry.input
class CreateQrCodeInput:
    name: str
    data_type: QrDataType
    data: JSON
    kind: QrCodeKind = QrCodeKind.STATIC
    design_id: strawberry.ID | None = strawberry.UNSET
    style: QrStyleInput | None = strawberry.UNSET
    link_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="A further tracked code of this existing link (kind DYNAMIC, dataType "
        "URL): it prints the link's short URL with ?qr=<a marker of its own>.",
    )
    link: CreateLinkInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="Options of a DYNAMIC code's link; its destination is data.url.",
    )


@strawberry.input(description="Only the fields given change; style null clears the own style.")
class UpdateQrCodeInput:
    name: str | None = strawberry.UNSET
    data_type: QrDataType | None = strawberry.UNSET
    data: JSON | None = strawberry.UNSET
    design_id: strawberry.ID | None = strawberry.UNSET
    style: QrStyleInput | None = strawberry.UNSET


@strawberry.type
class QrCodePayload:
    qr_code: QrCode | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RenderQrInput:
    data_type: QrDataType
    data: JSON
    format: ImageFormat = ImageFormat.PNG
    style: QrStyleInput | None = None
    size: int | None = strawberry.field(default=None, description="Pixels; default style.size.")


@strawberry.type
class RenderedQr:
    content_type: str
    data_uri: str
    width: int
    version: int
    error_correction: ErrorCorrection
    scannability: Scannability
