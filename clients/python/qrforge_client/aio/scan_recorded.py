from pydantic import Field

from .base_model import BaseModel
from .fragments import ScanFields


class ScanRecorded(BaseModel):
    scan_recorded: "ScanRecordedScanRecorded" = Field(alias="scanRecorded")


ScanRecordedScanRecorded = ScanFields
ScanRecorded.model_rebuild()
