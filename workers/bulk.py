"""The bulk job: one arq job per BulkJob, carrying only its id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.bulk import runner
from app.domain.codes.logos import CachedLogos
from app.domain.codes.services import CodeDeps
from app.events import Events
from app.graphql.relay import to_global_id
from app.services import Services
from workers import constants
from workers.pool import render_many


@dataclass(frozen=True)
class AnnounceOnly:
    """The events of each code a bulk job makes reach caches and subscriptions; webhooks get
    one bulk.completed for the job instead of a thousand link.created."""

    events: Events

    async def emit(self, type: str, workspace_id: int, data: dict[str, Any]) -> None:
        await self.events.announce(type, workspace_id, data)


async def run_bulk_job(ctx: dict[str, Any], job_id: int) -> None:
    services: Services = ctx["services"]
    deps = runner.BulkDeps(
        events=services.events,
        codes=CodeDeps(
            events=AnnounceOnly(services.events),
            public_url=services.settings.public_url,
            logos=CachedLogos.of(services),
            check_render=False,
            check_quotas=False,
        ),
        data_dir=services.settings.data_dir,
        render_many=render_many,
        global_id=lambda type_name, pk: str(to_global_id(type_name, pk)),
    )
    await runner.run(job_id, deps, last_try=ctx.get("job_try", 1) >= constants.BULK_JOB_TRIES)
