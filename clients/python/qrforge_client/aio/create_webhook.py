from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import WebhookEvent
from .fragments import Problems


class CreateWebhook(BaseModel):
    create_webhook: "CreateWebhookCreateWebhook" = Field(alias="createWebhook")


class CreateWebhookCreateWebhook(BaseModel):
    webhook: Optional["CreateWebhookCreateWebhookWebhook"]
    secret: Optional[str]
    user_errors: list["CreateWebhookCreateWebhookUserErrors"] = Field(
        alias="userErrors"
    )


class CreateWebhookCreateWebhookWebhook(BaseModel):
    id: str
    url: str
    events: list[WebhookEvent]
    enabled: bool


CreateWebhookCreateWebhookUserErrors = Problems
CreateWebhook.model_rebuild()
CreateWebhookCreateWebhook.model_rebuild()
