from datetime import datetime
from typing import Any, Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import (
    CodeShape,
    ErrorCorrection,
    FinderShape,
    FrameStyle,
    GradientType,
    ImageFormat,
    LabelTemplate,
    LinkStatus,
    ModuleShape,
    QrCodeKind,
    QrDataType,
    RuleConditionType,
    WebhookEvent,
)


class BulkCreateQrCodesInput(BaseModel):
    items: list["CreateQrCodeInput"]
    "1 to 10,000 codes."
    format: ImageFormat = ImageFormat.PNG
    size: int = 512
    idempotency_key: Optional[str] = Field(alias="idempotencyKey", default=None)
    sheet: Optional["LabelSheetInput"] = None


class CreateLinkInput(BaseModel):
    slug: Optional[str] = None
    title: Optional[str] = None
    tags: Optional[list[str]] = None
    metadata: Optional[Any] = None
    fallback_destination: Optional[str] = Field(
        alias="fallbackDestination", default=None
    )
    enabled: Optional[bool] = None
    scan_limit: Optional[int] = Field(alias="scanLimit", default=None)
    not_before: Optional[datetime] = Field(alias="notBefore", default=None)
    not_after: Optional[datetime] = Field(alias="notAfter", default=None)
    rules: Optional[list["RedirectRuleInput"]] = None
    redirect_type: Optional[int] = Field(alias="redirectType", default=None)
    forward_query: Optional[bool] = Field(alias="forwardQuery", default=None)
    password: Optional[str] = None
    design_id: Optional[str] = Field(alias="designId", default=None)
    domain_id: Optional[str] = Field(alias="domainId", default=None)
    "A verified custom domain of the workspace; null: the install's own."
    variants: Optional[list["VariantInput"]] = None
    "2 to 10 weighted destinations (A/B); a matching rule still wins. [] or null removes them."
    destination: Optional[str] = None
    "Required by createLink; a code's link defaults to the code's data.url."


class CreateQrCodeInput(BaseModel):
    name: str
    data_type: QrDataType = Field(alias="dataType")
    data: Any
    kind: QrCodeKind = QrCodeKind.STATIC
    design_id: Optional[str] = Field(alias="designId", default=None)
    style: Optional["QrStyleInput"] = None
    link_id: Optional[str] = Field(alias="linkId", default=None)
    "A further tracked code of this existing link (kind DYNAMIC, dataType URL): it prints the link's short URL with ?qr=<a marker of its own>."
    link: Optional["CreateLinkInput"] = None
    "Options of a DYNAMIC code's link; its destination is data.url."


class CreateWebhookInput(BaseModel):
    url: str
    events: list[WebhookEvent]
    description: Optional[str] = None


class GradientStopInput(BaseModel):
    offset: Optional[float] = None
    color: str


class LabelSheetInput(BaseModel):
    """Lay the codes out on label sheets: adds sheet.pdf to the result."""

    template: LabelTemplate = LabelTemplate.AVERY_5160
    page_width_mm: Optional[float] = Field(alias="pageWidthMm", default=None)
    "CUSTOM only."
    page_height_mm: Optional[float] = Field(alias="pageHeightMm", default=None)
    "CUSTOM only."
    margin_mm: Optional[float] = Field(alias="marginMm", default=None)
    "CUSTOM only."
    rows: Optional[int] = None
    "CUSTOM only."
    columns: Optional[int] = None
    "CUSTOM only."
    gap_mm: Optional[float] = Field(alias="gapMm", default=None)
    "CUSTOM only."
    lines: Optional[list[str]] = None
    'Up to 3 lines of text per label, such as "{name}", "{shortUrl}", "{metadata.sku}"; default ["{name}"].'
    crop_marks: bool = Field(alias="cropMarks", default=False)


class LinkFilter(BaseModel):
    tag: Optional[str] = None
    status: Optional[LinkStatus] = None
    search: Optional[str] = None


class QrFrameInput(BaseModel):
    """A border with a call to action; what is left out is default."""

    style: Optional[FrameStyle] = None
    text: Optional[str] = None
    'At most 30; "SCAN ME".'
    text_color: Optional[str] = Field(alias="textColor", default=None)
    color: Optional[str] = None
    "Border and band colour."


class QrGradientInput(BaseModel):
    type_: GradientType = Field(alias="type", default=GradientType.LINEAR)
    rotation: Optional[float] = None
    stops: list["GradientStopInput"]


class QrLogoInput(BaseModel):
    data: Optional[str] = None
    "A data: URI or raw base64 of a PNG, JPEG, WebP or SVG."
    url: Optional[str] = None
    "An https:// URL."
    size: Optional[float] = None
    "0..0.3 of the width; the logo is drawn at exactly this size."
    hide_background_modules: Optional[bool] = Field(
        alias="hideBackgroundModules", default=None
    )
    margin: Optional[float] = None
    "Clear space around the logo in modules, 0..4 (0.5)."
    remove_background: Optional[bool] = Field(alias="removeBackground", default=None)
    "Make the logo's own flat background (its corners) clear."


class QrStyleInput(BaseModel):
    """Every field is optional; what is left out takes the default."""

    size: Optional[int] = None
    margin: Optional[int] = None
    error_correction: Optional[ErrorCorrection] = Field(
        alias="errorCorrection", default=None
    )
    foreground: Optional[str] = None
    background: Optional[str] = None
    gradient: Optional["QrGradientInput"] = None
    module_shape: Optional[ModuleShape] = Field(alias="moduleShape", default=None)
    finder_shape: Optional[FinderShape] = Field(alias="finderShape", default=None)
    finder_color: Optional[str] = Field(alias="finderColor", default=None)
    logo: Optional["QrLogoInput"] = None
    shape: Optional[CodeShape] = None
    inner_finder_shape: Optional[FinderShape] = Field(
        alias="innerFinderShape", default=None
    )
    inner_finder_color: Optional[str] = Field(alias="innerFinderColor", default=None)
    background_gradient: Optional["QrGradientInput"] = Field(
        alias="backgroundGradient", default=None
    )
    frame: Optional["QrFrameInput"] = None


class RedirectRuleInput(BaseModel):
    destination: str
    conditions: list["RuleConditionInput"]


class RuleConditionInput(BaseModel):
    type_: RuleConditionType = Field(alias="type")
    value: str


class UpdateLinkInput(BaseModel):
    """Only the fields given change; null clears an optional field."""

    slug: Optional[str] = None
    title: Optional[str] = None
    tags: Optional[list[str]] = None
    metadata: Optional[Any] = None
    fallback_destination: Optional[str] = Field(
        alias="fallbackDestination", default=None
    )
    enabled: Optional[bool] = None
    scan_limit: Optional[int] = Field(alias="scanLimit", default=None)
    not_before: Optional[datetime] = Field(alias="notBefore", default=None)
    not_after: Optional[datetime] = Field(alias="notAfter", default=None)
    rules: Optional[list["RedirectRuleInput"]] = None
    redirect_type: Optional[int] = Field(alias="redirectType", default=None)
    forward_query: Optional[bool] = Field(alias="forwardQuery", default=None)
    password: Optional[str] = None
    design_id: Optional[str] = Field(alias="designId", default=None)
    domain_id: Optional[str] = Field(alias="domainId", default=None)
    "A verified custom domain of the workspace; null: the install's own."
    variants: Optional[list["VariantInput"]] = None
    "2 to 10 weighted destinations (A/B); a matching rule still wins. [] or null removes them."
    destination: Optional[str] = None


class VariantInput(BaseModel):
    destination: str
    weight: int
    "1 to 10000; traffic splits by weight."


BulkCreateQrCodesInput.model_rebuild()
CreateLinkInput.model_rebuild()
CreateQrCodeInput.model_rebuild()
QrGradientInput.model_rebuild()
QrStyleInput.model_rebuild()
RedirectRuleInput.model_rebuild()
UpdateLinkInput.model_rebuild()
