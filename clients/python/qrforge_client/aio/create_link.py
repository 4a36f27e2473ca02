from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import LinkFields, Problems


class CreateLink(BaseModel):
    create_link: "CreateLinkCreateLink" = Field(alias="createLink")


class CreateLinkCreateLink(BaseModel):
    link: Optional["CreateLinkCreateLinkLink"]
    user_errors: list["CreateLinkCreateLinkUserErrors"] = Field(alias="userErrors")


CreateLinkCreateLinkLink = LinkFields
CreateLinkCreateLinkUserErrors = Problems
CreateLink.model_rebuild()
CreateLinkCreateLink.model_rebuild()
