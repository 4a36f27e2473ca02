"""The app's `Jobs` (app/jobs.py) over arq: the one module that knows arq's job names, job ids
and keys.

Two queues, each with worker slots of its own: bulk jobs (minutes each) on theirs, so a
workspace's bulk jobs never hold up everyone's events and renders (seconds). An event is
queued once (its job id is the event's id); its deliveries are rows the delivery
loop makes due attempts of, not jobs. A bulk job's arq job id derives from its BulkJob id,
so the sweeper can ask arq about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arq.connections import ArqRedis

from app.keys import QUEUE, key

DISPATCH_EVENT_JOB = "dispatch_event"
RUN_BULK_JOB = "run_bulk_job"
RENDER_CODE_JOB = "render_code"
RENDER_DESIGN_JOB = "render_design"

# The bulk jobs' queue, beside the main one (app.keys.QUEUE).
BULK_QUEUE = "{ns}:queue:bulk"

EVENT_JOB_ID = "{ns}:event:{event}"
BULK_JOB_ID = "{ns}:bulk:{job}"


@dataclass
class ArqJobs:
    """Queues jobs as arq jobs on the deployment's queue."""

    redis: ArqRedis
    namespace: str

    @property
    def queue_name(self) -> str:
        return key(QUEUE, self.namespace)

    @property
    def bulk_queue_name(self) -> str:
        return key(BULK_QUEUE, self.namespace)

    async def enqueue(
        self,
        function: str,
        *args: Any,
        job_id: str | None = None,
        defer: float = 0,
        queue: str | None = None,
    ) -> bool:
        """Queue a job (on the main queue unless told); False when one with its id is
        queued or running already."""
        job = await self.redis.enqueue_job(
            function,
            *args,
            _job_id=job_id,
            _queue_name=queue or self.queue_name,
            _defer_by=defer or None,
        )
        return job is not None

    async def dispatch_event(
        self, event_id: str, type: str, workspace_id: int, data: dict[str, Any], at: str
    ) -> None:
        job_id = key(EVENT_JOB_ID, self.namespace, event=event_id)
        await self.enqueue(
            DISPATCH_EVENT_JOB, event_id, type, workspace_id, data, at, job_id=job_id
        )

    def bulk_job_id(self, job_id: int) -> str:
        return key(BULK_JOB_ID, self.namespace, job=job_id)

    async def run_bulk_job(self, job_id: int) -> None:
        await self.enqueue(
            RUN_BULK_JOB, job_id, job_id=self.bulk_job_id(job_id), queue=self.bulk_queue_name
        )

    async def render_code(self, code_id: int) -> None:
        await self.enqueue(RENDER_CODE_JOB, code_id)

    async def render_design(self, design_id: int) -> None:
        await self.enqueue(RENDER_DESIGN_JOB, design_id)
