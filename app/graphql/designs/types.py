from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from app.domain.codes.images import ImageStore, sample_text, scannability_of
from app.domain.designs.models import Design as DesignModel
from app.graphql.context import Info
from app.graphql.loaders import rows_by_pk
from app.graphql.relay import Node, UserError, to_global_id
from app.rendering.guard import Scannability as GuardVerdict
from app.rendering.style import DEFAULT_LOGO_MARGIN, Style


@strawberry.enum
class ErrorCorrection(Enum):
    L = "L"
    M = "M"
    Q = "Q"
    H = "H"


@strawberry.enum
class GradientType(Enum):
    LINEAR = "LINEAR"
    RADIAL = "RADIAL"


@strawberry.enum
class ModuleShape(Enum):
    SQUARE = "SQUARE"
    ROUNDED = "ROUNDED"
    DOTS = "DOTS"
    CLASSY = "CLASSY"


@strawberry.enum
class FinderShape(Enum):
    SQUARE = "SQUARE"
    ROUNDED = "ROUNDED"
    DOT = "DOT"


@strawberry.enum(description="The outline the modules fill.")
class CodeShape(Enum):
    SQUARE = "SQUARE"
    CIRCLE = "CIRCLE"


@strawberry.enum(description="How a frame draws its border and call-to-action band.")
class FrameStyle(Enum):
    BOX = "BOX"
    ROUNDED = "ROUNDED"
    BANNER_TOP = "BANNER_TOP"
    BUBBLE = "BUBBLE"


@strawberry.type(
    description="Will it scan when printed? The guard renders the code at its smallest module "
    "size and decodes it with zxing-cpp under each condition (a tilt, blur, a low-quality "
    "JPEG, a 10 degree rotation, dim light with noise)."
)
class Scannability:
    conditions: list[str] = strawberry.field(description="Every condition checked, in words.")
    passed: bool
    min_module_px: int = strawberry.field(
        description="Smallest pixels per module at which every condition decoded."
    )
    min_print_size_mm: float = strawberry.field(
        description="Smallest print width for a phone camera, quiet zone and frame included."
    )
    warnings: list[str]

    @classmethod
    def of(cls, verdict: GuardVerdict) -> Scannability:
        return cls(
            conditions=list(verdict.conditions),
            passed=verdict.passed,
            min_module_px=verdict.min_module_px,
            min_print_size_mm=verdict.min_print_size_mm,
            warnings=list(verdict.warnings),
        )


@strawberry.type
class QrFrame:
    style: FrameStyle
    text: str
    text_color: str
    color: str


@strawberry.type
class GradientStop:
    offset: float
    color: str


@strawberry.type
class QrGradient:
    type: GradientType
    rotation: float
    stops: list[GradientStop]


@strawberry.type
class QrLogo:
    data: str | None = strawberry.field(description="A data: URI.")
    url: str | None
    size: float = strawberry.field(description="Fraction of the code's width, at most 0.3.")
    hide_background_modules: bool
    margin: float = strawberry.field(description="Clear space around the logo, in modules.")
    remove_background: bool


@strawberry.type
class QrStyle:
    size: int
    margin: int
    error_correction: ErrorCorrection
    foreground: str
    background: str
    gradient: QrGradient | None
    module_shape: ModuleShape
    finder_shape: FinderShape
    finder_color: str | None
    logo: QrLogo | None
    shape: CodeShape
    inner_finder_shape: FinderShape | None = strawberry.field(
        description="The finders' centres; null: as finderShape."
    )
    inner_finder_color: str | None = strawberry.field(
        description="The finders' centres; null: as finderColor."
    )
    background_gradient: QrGradient | None
    frame: QrFrame | None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> QrStyle:
        """From a stored (canonical `Style.to_dict()`) style."""
        gradient, logo, frame = d.get("gradient"), d.get("logo"), d.get("frame")
        inner = d.get("inner_finder_shape")
        return cls(
            size=d["size"],
            margin=d["margin"],
            error_correction=ErrorCorrection(d["error_correction"]),
            foreground=d["foreground"],
            background=d["background"],
            gradient=_gradient(gradient),
            module_shape=ModuleShape(d["module_shape"]),
            finder_shape=FinderShape(d["finder_shape"]),
            finder_color=d.get("finder_color"),
            logo=None
            if logo is None
            else QrLogo(
                data=logo.get("data"),
                url=logo.get("url"),
                size=logo["size"],
                hide_background_modules=logo["hide_background_modules"],
                margin=logo.get("margin", DEFAULT_LOGO_MARGIN),
                remove_background=logo.get("remove_background", False),
            ),
            shape=CodeShape(d.get("shape", "SQUARE")),
            inner_finder_shape=FinderShape(inner) if inner else None,
            inner_finder_color=d.get("inner_finder_color"),
            background_gradient=_gradient(d.get("background_gradient")),
            frame=None
            if frame is None
            else QrFrame(
                style=FrameStyle(frame["style"]),
                text=frame["text"],
                text_color=frame["text_color"],
                color=frame["color"],
            ),
        )


def _gradient(gradient: dict[str, Any] | None) -> QrGradient | None:
    if gradient is None:
        return None
    return QrGradient(
        type=GradientType(gradient["type"]),
        rotation=gradient["rotation"],
        stops=[GradientStop(offset=s["offset"], color=s["color"]) for s in gradient["stops"]],
    )


@strawberry.input
class GradientStopInput:
    offset: float | None = None
    color: str


@strawberry.input
class QrGradientInput:
    type: GradientType = GradientType.LINEAR
    rotation: float | None = None
    stops: list[GradientStopInput]


@strawberry.input
class QrLogoInput:
    data: str | None = strawberry.field(
        default=None, description="A data: URI or raw base64 of a PNG, JPEG, WebP or SVG."
    )
    url: str | None = strawberry.field(default=None, description="An https:// URL.")
    size: float | None = strawberry.field(
        default=None, description="0..0.3 of the width; the logo is drawn at exactly this size."
    )
    hide_background_modules: bool | None = None
    margin: float | None = strawberry.field(
        default=None, description="Clear space around the logo in modules, 0..4 (0.5)."
    )
    remove_background: bool | None = strawberry.field(
        default=None, description="Make the logo's own flat background (its corners) clear."
    )


@strawberry.input(description="A border with a call to action; what is left out is default.")
class QrFrameInput:
    style: FrameStyle | None = None
    text: str | None = strawberry.field(default=None, description='At most 30; "SCAN ME".')
    text_color: str | None = None
    color: str | None = strawberry.field(default=None, description="Border and band colour.")


@strawberry.input(description="Every field is optional; what is left out takes the default.")
class QrStyleInput:
    size: int | None = None
    margin: int | None = None
    error_correction: ErrorCorrection | None = None
    foreground: str | None = None
    background: str | None = None
    gradient: QrGradientInput | None = None
    module_shape: ModuleShape | None = None
    finder_shape: FinderShape | None = None
    finder_color: str | None = None
    logo: QrLogoInput | None = None
    shape: CodeShape | None = None
    inner_finder_shape: FinderShape | None = None
    inner_finder_color: str | None = None
    background_gradient: QrGradientInput | None = None
    frame: QrFrameInput | None = None


def style_dict(value: Any) -> Any:
    """An input object (or list, enum, scalar) as the plain dict Style.from_dict reads."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [style_dict(v) for v in value]
    if hasattr(value, "__strawberry_definition__"):
        return {
            name: style_dict(v)
            for name, v in vars(value).items()
            if v is not None and v is not strawberry.UNSET
        }
    return value


@strawberry.type
class Design(Node):
    id: strawberry.ID
    name: str
    style: QrStyle
    created_at: datetime | None
    updated_at: datetime | None
    stored_style: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_model(cls, design: DesignModel) -> Design:
        return cls(
            id=to_global_id("Design", design.id),
            name=design.name,
            style=QrStyle.from_dict(design.style),
            created_at=design.created_at,
            updated_at=design.updated_at,
            stored_style=design.style,
        )

    @strawberry.field(description="The guard's verdict for a typical dynamic code's URL.")
    async def scannability(self, info: Info) -> Scannability:
        text = sample_text(info.context.services.settings.public_url)
        store = image_store_of(info)
        return Scannability.of(
            await scannability_of(store, text, Style.from_stored(self.stored_style))
        )


@strawberry.input
class DesignInput:
    name: str
    style: QrStyleInput


@strawberry.input(description="Only the fields given change; a style replaces the old one.")
class UpdateDesignInput:
    name: str | None = strawberry.UNSET
    style: QrStyleInput | None = strawberry.UNSET


@strawberry.type
class DesignPayload:
    design: Design | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def image_store_of(info: Info) -> ImageStore:
    """The API's image store: its renders run in the API's process pool."""
    app = info.context.request.app
    return ImageStore.of(app.state.services, app.state.render_pool.render_one)


async def load_design(info: Info, pk: int | None) -> Design | None:
    if pk is None:
        return None
    model = await rows_by_pk(info, DesignModel).load(pk)
    return Design.from_model(model) if model is not None else None
