from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.dataloader import DataLoader

from app.domain.pagination import paginate
from app.domain.webhooks import services
from app.domain.webhooks.models import Webhook as WebhookModel
from app.domain.webhooks.models import WebhookAttempt as WebhookAttemptModel
from app.domain.webhooks.models import WebhookDelivery as WebhookDeliveryModel
from app.graphql.context import Info
from app.graphql.relay import Connection, Node, UserError, after_pk, to_global_id


@strawberry.enum
class WebhookEvent(Enum):
    SCAN_CREATED = "scan.created"
    LINK_CREATED = "link.created"
    LINK_UPDATED = "link.updated"
    LINK_DELETED = "link.deleted"
    BULK_COMPLETED = "bulk.completed"


@strawberry.enum
class WebhookDeliveryStatus(Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@strawberry.type(description="One HTTP request of a delivery.")
class WebhookAttempt:
    number: int
    started_at: datetime
    duration_ms: int
    response_status: int | None = strawberry.field(
        description="The HTTP status; null when no answer came (timeout, refused, network)."
    )
    error: str | None

    @classmethod
    def from_model(cls, attempt: WebhookAttemptModel) -> WebhookAttempt:
        return cls(
            number=attempt.number,
            started_at=attempt.started_at,
            duration_ms=attempt.duration_ms,
            response_status=attempt.response_status,
            error=attempt.error,
        )


async def _load_attempts(delivery_ids: Sequence[int]) -> list[list[WebhookAttempt]]:
    found = await services.attempts_of(delivery_ids)
    return [[WebhookAttempt.from_model(a) for a in found[pk]] for pk in delivery_ids]


@strawberry.type(description="One event sent to one webhook, with every attempt it took.")
class WebhookDelivery(Node):
    id: strawberry.ID
    event: WebhookEvent
    status: WebhookDeliveryStatus
    attempts: int
    response_status: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    pk: strawberry.Private[int]

    @strawberry.field(description="The attempts, oldest first.")
    async def attempt_log(self, info: Info) -> list[WebhookAttempt]:
        # One query for all the deliveries of a page, not one each.
        loader = info.context.loaders.setdefault(
            "webhook_attempts", DataLoader(load_fn=_load_attempts)
        )
        return await loader.load(self.pk)  # type: ignore[no-any-return]

    @classmethod
    def from_model(cls, delivery: WebhookDeliveryModel) -> WebhookDelivery:
        return cls(
            id=to_global_id("WebhookDelivery", delivery.id),
            pk=delivery.id,
            event=WebhookEvent(delivery.event),
            status=WebhookDeliveryStatus(delivery.status),
            attempts=delivery.attempts,
            response_status=delivery.response_status,
            last_error=delivery.last_error,
            next_attempt_at=delivery.next_attempt_at,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
        )


@strawberry.type
class Webhook(Node):
    id: strawberry.ID
    url: str
    description: str
    events: list[WebhookEvent]
    enabled: bool
    disabled_reason: str | None = strawberry.field(
        description="Why the webhook stopped: 410 Gone, days of failures, or the API."
    )
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime
    pk: strawberry.Private[int]

    @strawberry.field(description="Newest first.")
    async def deliveries(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[WebhookDelivery]:
        qs = services.deliveries_query(info.context.workspace_id, self.pk)
        page = await paginate(qs, first, after_pk(after))
        return Connection.of(page, WebhookDelivery.from_model)

    @classmethod
    def from_model(cls, webhook: WebhookModel) -> Webhook:
        return cls(
            id=to_global_id("Webhook", webhook.id),
            pk=webhook.id,
            url=webhook.url,
            description=webhook.description,
            events=[WebhookEvent(e) for e in webhook.events],
            enabled=webhook.enabled,
            disabled_reason=webhook.disabled_reason,
            failing_since=webhook.failing_since,
            created_at=webhook.created_at,
            updated_at=webhook.updated_at,
        )


@strawberry.input
class CreateWebhookInput:
    url: str
    events: list[WebhookEvent]
    description: str | None = strawberry.UNSET


@strawberry.input(description="Only the fields given change. enabled: true clears the reason.")
class UpdateWebhookInput:
    url: str | None = strawberry.UNSET
    events: list[WebhookEvent] | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    enabled: bool | None = strawberry.UNSET


@strawberry.type
class WebhookPayload:
    webhook: Webhook | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="The whsec_ signing secret: returned by createWebhook, once, never again.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookDeliveryPayload:
    webhook_delivery: WebhookDelivery | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
