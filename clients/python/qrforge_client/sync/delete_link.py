from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import Problems


class DeleteLink(BaseModel):
    delete_link: "DeleteLinkDeleteLink" = Field(alias="deleteLink")


class DeleteLinkDeleteLink(BaseModel):
    deleted_id: Optional[str] = Field(alias="deletedId")
    user_errors: list["DeleteLinkDeleteLinkUserErrors"] = Field(alias="userErrors")


DeleteLinkDeleteLinkUserErrors = Problems
DeleteLink.model_rebuild()
DeleteLinkDeleteLink.model_rebuild()
