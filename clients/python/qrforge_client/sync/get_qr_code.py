from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import (
    QrCodeFields,
    QrCodeFieldsLink,  # noqa: F401
)


class GetQrCode(BaseModel):
    qr_code: Optional["GetQrCodeQrCode"] = Field(alias="qrCode")


class GetQrCodeQrCode(QrCodeFields):
    image_url: str = Field(alias="imageUrl")


GetQrCode.model_rebuild()
