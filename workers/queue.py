"""The app's `Jobs` (app/jobs.py) over arq: the one module that knows arq's job names, job ids
and keys.

An event is queued once (its job id is the event's id), then one delivery job per attempt;
the attempt number is in the job id, so a job run twice cannot fork a second chain of
retries, and `series` keeps a manual redelivery apart from the automatic one. A bulk job's
arq job id derives from its BulkJob id, so the sweeper can ask arq about it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, result_key_prefix

from app.keys import QUEUE, key

DISPATCH_EVENT_JOB = "dispatch_event"
DELIVER_WEBHOOK_JOB = "deliver_webhook"
RUN_BULK_JOB = "run_bulk_job"
RENDER_CODE_JOB = "render_code"
RENDER_DESIGN_JOB = "render_design"

EVENT_JOB_ID = "{ns}:event:{event}"
DELIVERY_JOB_ID = "{ns}:webhook:{delivery}:{series}:{attempt}"
BULK_JOB_ID = "{ns}:bulk:{job}"


@dataclass
class ArqJobs:
    """Queues jobs as arq jobs on the deployment's queue."""

    redis: ArqRedis
    namespace: str

    @property
    def queue_name(self) -> str:
        return key(QUEUE, self.namespace)

    async def enqueue(
        self, function: str, *args: Any, job_id: str | None = None, defer: float = 0
    ) -> bool:
        """Queue a job; False when one with its id is queued or running already."""
        job = await self.redis.enqueue_job(
            function, *args, _job_id=job_id, _queue_name=self.queue_name, _defer_by=defer or None
        )
        return job is not None

    async def dispatch_event(
        self, event_id: str, type: str, workspace_id: int, data: dict[str, Any], at: str
    ) -> None:
        job_id = key(EVENT_JOB_ID, self.namespace, event=event_id)
        await self.enqueue(
            DISPATCH_EVENT_JOB, event_id, type, workspace_id, data, at, job_id=job_id
        )

    def webhook_job_id(self, delivery_id: int, *, series: int, attempt: int) -> str:
        return key(
            DELIVERY_JOB_ID, self.namespace, delivery=delivery_id, series=series, attempt=attempt
        )

    async def deliver_webhook(
        self, delivery_id: int, *, series: int, attempt: int, defer: float = 0
    ) -> bool:
        job_id = self.webhook_job_id(delivery_id, series=series, attempt=attempt)
        return await self.enqueue(
            DELIVER_WEBHOOK_JOB, delivery_id, series, attempt, job_id=job_id, defer=defer
        )

    async def requeue_webhook(self, delivery_id: int, *, series: int, attempt: int) -> bool:
        """arq keeps a result for a job it ended as "max retries exceeded" (whatever the
        function's keep_result says) and will not queue that job id again while it does, so
        that result goes first. A job still queued or running has none."""
        job_id = self.webhook_job_id(delivery_id, series=series, attempt=attempt)
        await self.redis.delete(result_key_prefix + job_id)
        return await self.deliver_webhook(delivery_id, series=series, attempt=attempt)

    async def unfinished(self, job_ids: Sequence[str]) -> set[str]:
        """Queued, deferred, in progress, or to run again after their worker died (arq keeps
        a job in its queue until it ends). arq's `Job.status()` asks the same, one round trip
        per job; this is one for them all."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.zscore(self.queue_name, job_id)
                pipe.exists(in_progress_key_prefix + job_id)
            replies = await pipe.execute()
        return {
            job_id
            for job_id, score, running in zip(job_ids, replies[::2], replies[1::2], strict=True)
            if score is not None or running
        }

    def bulk_job_id(self, job_id: int) -> str:
        return key(BULK_JOB_ID, self.namespace, job=job_id)

    async def run_bulk_job(self, job_id: int) -> None:
        await self.enqueue(RUN_BULK_JOB, job_id, job_id=self.bulk_job_id(job_id))

    async def render_code(self, code_id: int) -> None:
        await self.enqueue(RENDER_CODE_JOB, code_id)

    async def render_design(self, design_id: int) -> None:
        await self.enqueue(RENDER_DESIGN_JOB, design_id)
