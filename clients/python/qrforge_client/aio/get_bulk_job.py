from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import BulkJobFields


class GetBulkJob(BaseModel):
    bulk_job: Optional["GetBulkJobBulkJob"] = Field(alias="bulkJob")


GetBulkJobBulkJob = BulkJobFields
GetBulkJob.model_rebuild()
