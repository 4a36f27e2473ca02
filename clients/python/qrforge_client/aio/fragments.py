from datetime import datetime
from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import BulkJobStatus, LinkStatus, QrCodeKind, QrDataType, ScanSource


class BulkJobFields(BaseModel):
    id: str
    status: BulkJobStatus
    total: int
    processed: int
    succeeded: int
    failed: int
    errors: list["BulkJobFieldsErrors"]
    result_url: Optional[str] = Field(alias="resultUrl")


class BulkJobFieldsErrors(BaseModel):
    index: int
    field: Optional[str]
    message: str
    code: str


class LinkFields(BaseModel):
    id: str
    slug: str
    short_url: str = Field(alias="shortUrl")
    destination: str
    title: Optional[str]
    tags: list[str]
    status: LinkStatus
    scan_count: int = Field(alias="scanCount")
    unique_scan_count: int = Field(alias="uniqueScanCount")
    created_at: Optional[datetime] = Field(alias="createdAt")


class Problems(BaseModel):
    field: Optional[list[str]]
    message: str
    code: str


class QrCodeFields(BaseModel):
    id: str
    name: str
    kind: QrCodeKind
    data_type: QrDataType = Field(alias="dataType")
    encoded_text: str = Field(alias="encodedText")
    link: Optional["QrCodeFieldsLink"]


class QrCodeFieldsLink(LinkFields):
    pass


class ScanFields(BaseModel):
    id: str
    occurred_at: datetime = Field(alias="occurredAt")
    source: ScanSource
    country: Optional[str]
    device_type: Optional[str] = Field(alias="deviceType")
    os: Optional[str]
    browser: Optional[str]
    is_bot: bool = Field(alias="isBot")
    link: Optional["ScanFieldsLink"]


class ScanFieldsLink(BaseModel):
    id: str
    slug: str
    scan_count: int = Field(alias="scanCount")


BulkJobFields.model_rebuild()
LinkFields.model_rebuild()
Problems.model_rebuild()
QrCodeFields.model_rebuild()
ScanFields.model_rebuild()
