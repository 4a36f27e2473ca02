from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .fragments import LinkFields


class ListLinks(BaseModel):
    links: "ListLinksLinks"


class ListLinksLinks(BaseModel):
    edges: list["ListLinksLinksEdges"]
    page_info: "ListLinksLinksPageInfo" = Field(alias="pageInfo")


class ListLinksLinksEdges(BaseModel):
    node: "ListLinksLinksEdgesNode"


ListLinksLinksEdgesNode = LinkFields


class ListLinksLinksPageInfo(BaseModel):
    has_next_page: bool = Field(alias="hasNextPage")
    end_cursor: Optional[str] = Field(alias="endCursor")


ListLinks.model_rebuild()
ListLinksLinks.model_rebuild()
ListLinksLinksEdges.model_rebuild()
