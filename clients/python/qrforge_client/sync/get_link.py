from typing import Optional

from .base_model import BaseModel
from .fragments import LinkFields


class GetLink(BaseModel):
    link: Optional["GetLinkLink"]


GetLinkLink = LinkFields
GetLink.model_rebuild()
