from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import Problems, QrCodeFields


class CreateQrCode(BaseModel):
    create_qr_code: "CreateQrCodeCreateQrCode" = Field(alias="createQrCode")


class CreateQrCodeCreateQrCode(BaseModel):
    qr_code: Optional["CreateQrCodeCreateQrCodeQrCode"] = Field(alias="qrCode")
    user_errors: list["CreateQrCodeCreateQrCodeUserErrors"] = Field(alias="userErrors")


CreateQrCodeCreateQrCodeQrCode = QrCodeFields
CreateQrCodeCreateQrCodeUserErrors = Problems
CreateQrCode.model_rebuild()
CreateQrCodeCreateQrCode.model_rebuild()
