"""The background jobs the app asks for, by what they do rather than by a queue's names.

A leaf of the app: services and domain functions are handed a `Jobs` and call it; the one
implementation, over arq, is workers/queue.py (the only module that knows arq's job ids and
keys). Each call returns once the job is durably queued.
"""

from __future__ import annotations

from typing import Any, Protocol


class Jobs(Protocol):
    async def dispatch_event(
        self, event_id: str, type: str, workspace_id: int, data: dict[str, Any], at: str
    ) -> None:
        """Fan an event out to its webhooks; queued once per event id."""

    async def run_bulk_job(self, job_id: int) -> None:
        """Run a bulk job; one queued job per BulkJob, however often this is called."""

    async def render_code(self, code_id: int) -> None:
        """Warm a code's images."""

    async def render_design(self, design_id: int) -> None:
        """Warm the images of every code using a design."""
