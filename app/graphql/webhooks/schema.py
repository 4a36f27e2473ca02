from __future__ import annotations

from typing import Any

import strawberry

from app.domain.pagination import paginate
from app.domain.webhooks import services
from app.errors import DomainError
from app.graphql.context import Info
from app.graphql.permissions import requires
from app.graphql.relay import Connection, DeletePayload, after_pk, given, pk_of, user_errors
from app.graphql.webhooks.types import (
    CreateWebhookInput,
    UpdateWebhookInput,
    Webhook,
    WebhookDelivery,
    WebhookDeliveryPayload,
    WebhookPayload,
)

SCOPE = "webhooks:manage"


def webhook_fields(input: CreateWebhookInput | UpdateWebhookInput) -> dict[str, Any]:
    fields = given(input)
    if fields.get("events") is not None:
        fields["events"] = [event.value for event in fields["events"]]
    return fields


def _allow_private(info: Info) -> bool:
    return info.context.services.settings.allow_private_targets


@strawberry.type
class Query:
    @strawberry.field(extensions=requires(SCOPE))
    async def webhooks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Webhook]:
        qs = services.webhooks_query(info.context.workspace_id)
        page = await paginate(qs, first, after_pk(after))
        return Connection.of(page, Webhook.from_model)


@strawberry.type
class Mutation:
    @strawberry.mutation(extensions=requires(SCOPE))
    async def create_webhook(self, info: Info, input: CreateWebhookInput) -> WebhookPayload:
        try:
            model, secret = await services.create_webhook(
                info.context.workspace_id, webhook_fields(input), allow_private=_allow_private(info)
            )
        except DomainError as error:
            return WebhookPayload(user_errors=user_errors(error))
        return WebhookPayload(webhook=Webhook.from_model(model), secret=secret)

    @strawberry.mutation(extensions=requires(SCOPE))
    async def update_webhook(
        self, info: Info, id: strawberry.ID, input: UpdateWebhookInput
    ) -> WebhookPayload:
        try:
            model = await services.update_webhook(
                info.context.workspace_id,
                pk_of(id, "Webhook") or -1,
                webhook_fields(input),
                allow_private=_allow_private(info),
            )
        except DomainError as error:
            return WebhookPayload(user_errors=user_errors(error))
        return WebhookPayload(webhook=Webhook.from_model(model))

    @strawberry.mutation(extensions=requires(SCOPE))
    async def delete_webhook(self, info: Info, id: strawberry.ID) -> DeletePayload:
        try:
            await services.delete_webhook(info.context.workspace_id, pk_of(id, "Webhook") or -1)
        except DomainError as error:
            return DeletePayload(user_errors=user_errors(error))
        return DeletePayload(deleted_id=id)

    @strawberry.mutation(extensions=requires(SCOPE))
    async def redeliver_webhook(
        self, info: Info, delivery_id: strawberry.ID
    ) -> WebhookDeliveryPayload:
        try:
            model = await services.redeliver(
                info.context.workspace_id, pk_of(delivery_id, "WebhookDelivery") or -1
            )
        except DomainError as error:
            return WebhookDeliveryPayload(user_errors=user_errors(error))
        return WebhookDeliveryPayload(webhook_delivery=WebhookDelivery.from_model(model))


async def find_webhook(info: Info, pk: int) -> Webhook | None:
    """`node(id)` for a Webhook: the same scope and workspace as `webhooks`."""
    if not info.context.principal or not info.context.principal.can(SCOPE):
        return None
    try:
        return Webhook.from_model(await services.get_webhook(info.context.workspace_id, pk))
    except DomainError:
        return None


async def find_delivery(info: Info, pk: int) -> WebhookDelivery | None:
    if not info.context.principal or not info.context.principal.can(SCOPE):
        return None
    try:
        model = await services.get_delivery(info.context.workspace_id, pk)
    except DomainError:
        return None
    return WebhookDelivery.from_model(model)
