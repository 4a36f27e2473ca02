from pydantic import Field

from .base_model import BaseModel
from .fragments import BulkJobFields


class BulkJobUpdated(BaseModel):
    bulk_job_updated: "BulkJobUpdatedBulkJobUpdated" = Field(alias="bulkJobUpdated")


BulkJobUpdatedBulkJobUpdated = BulkJobFields
BulkJobUpdated.model_rebuild()
