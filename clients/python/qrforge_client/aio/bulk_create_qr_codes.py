from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import BulkJobFields, Problems


class BulkCreateQrCodes(BaseModel):
    bulk_create_qr_codes: "BulkCreateQrCodesBulkCreateQrCodes" = Field(
        alias="bulkCreateQrCodes"
    )


class BulkCreateQrCodesBulkCreateQrCodes(BaseModel):
    bulk_job: Optional["BulkCreateQrCodesBulkCreateQrCodesBulkJob"] = Field(
        alias="bulkJob"
    )
    user_errors: list["BulkCreateQrCodesBulkCreateQrCodesUserErrors"] = Field(
        alias="userErrors"
    )


BulkCreateQrCodesBulkCreateQrCodesBulkJob = BulkJobFields
BulkCreateQrCodesBulkCreateQrCodesUserErrors = Problems
BulkCreateQrCodes.model_rebuild()
BulkCreateQrCodesBulkCreateQrCodes.model_rebuild()
