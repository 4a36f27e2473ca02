from .base_model import BaseModel


class Viewer(BaseModel):
    viewer: "ViewerViewer"


class ViewerViewer(BaseModel):
    scopes: list[str]
    workspace: "ViewerViewerWorkspace"


class ViewerViewerWorkspace(BaseModel):
    id: str
    name: str


Viewer.model_rebuild()
ViewerViewer.model_rebuild()
