from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from app.domain.bulk import services
from app.domain.bulk.models import BulkJob as BulkJobModel
from app.errors import DomainError, NotFound
from app.graphql.bulk.types import BulkCreateQrCodesInput, BulkJob, BulkJobPayload
from app.graphql.codes.schema import code_fields
from app.graphql.context import Info
from app.graphql.permissions import requires
from app.graphql.relay import pk_of, user_errors

TERMINAL = ("SUCCEEDED", "FAILED")


async def find_bulk_job(info: Info, pk: int) -> BulkJob | None:
    principal = info.context.principal
    if principal is None or not principal.can("bulk:write"):
        return None
    try:
        return BulkJob.from_model(await services.get_job(principal.workspace_id, pk))
    except NotFound:
        return None


@strawberry.type
class Query:
    @strawberry.field(extensions=requires("bulk:write"))
    async def bulk_job(self, info: Info, id: strawberry.ID) -> BulkJob | None:
        return await find_bulk_job(info, pk_of(id, "BulkJob") or -1)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        extensions=requires("bulk:write"),
        description="Queue up to 10,000 codes; the job renders them and zips the images "
        "(with label sheets as sheet.pdf when `sheet` is given).",
    )
    async def bulk_create_qr_codes(
        self, info: Info, input: BulkCreateQrCodesInput
    ) -> BulkJobPayload:
        try:
            job = await services.submit(
                info.context.workspace_id,
                [code_fields(item) for item in input.items],
                input.format.value,
                input.size,
                input.idempotency_key,
                info.context.services,
                input.sheet.to_options() if input.sheet else None,
            )
        except DomainError as error:
            return BulkJobPayload(user_errors=user_errors(error))
        return BulkJobPayload(bulk_job=BulkJob.from_model(job))


@strawberry.type
class Subscription:
    @strawberry.subscription(extensions=requires("bulk:write"))
    async def bulk_job_updated(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[BulkJob, None]:
        """The job now, then after every batch, and once at the end."""
        workspace_id, pk = info.context.workspace_id, pk_of(id, "BulkJob") or -1
        # Listening before the first read: no update falls between the two.
        async with info.context.services.hub.follow("bulk") as events:
            job = await BulkJobModel.get_or_none(id=pk, workspace_id=workspace_id)
            if job is None:
                return
            yield BulkJob.from_model(job)
            while job.status not in TERMINAL:
                event = await anext(events)
                if event.type != "bulk.updated" or event.data.get("id") != pk:
                    continue
                if event.workspace_id != workspace_id:
                    continue
                await job.refresh_from_db()
                yield BulkJob.from_model(job)
