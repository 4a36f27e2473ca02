from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import LinkFields, Problems


class UpdateLink(BaseModel):
    update_link: "UpdateLinkUpdateLink" = Field(alias="updateLink")


class UpdateLinkUpdateLink(BaseModel):
    link: Optional["UpdateLinkUpdateLinkLink"]
    user_errors: list["UpdateLinkUpdateLinkUserErrors"] = Field(alias="userErrors")


UpdateLinkUpdateLinkLink = LinkFields
UpdateLinkUpdateLinkUserErrors = Problems
UpdateLink.model_rebuild()
UpdateLinkUpdateLink.model_rebuild()
