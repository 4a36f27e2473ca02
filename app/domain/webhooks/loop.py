"""The delivery loop: makes the attempts of due deliveries, fairly between workspaces.

Deliveries have slots of their own (not the job queue's, which bulk jobs and renders use),
and no workspace holds more than `per_workspace` of them: due rows are taken round-robin
across the workspaces that have some, so one workspace's slow receivers (10 s each, a
backlog of thousands) delay another workspace's deliveries by one poll at most, not by its
backlog. Each worker process runs one loop; the caps hold per process.

A claim is the Sender's conditional UPDATE, so loops in several processes never make the
same attempt, and a row taken here but claimed elsewhere first is just skipped ("stale").
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain, zip_longest

from app.domain.webhooks.delivery import Sender, due
from app.domain.webhooks.models import WebhookDelivery

log = logging.getLogger("qrforge.webhooks")

# Attempts in flight at once per process: each mostly waits on its receiver (10 s at worst).
SLOTS = 16
# Attempts in flight at once per workspace: a quarter of the slots, so three busy workspaces
# still leave room for everyone else.
PER_WORKSPACE = 4
# How often the loop looks for due rows when nothing woke it: a row made due elsewhere (a
# redelivery in the API, a retry's time come) waits at most this long.
POLL = 1.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class DeliveryLoop:
    sender: Sender
    slots: int = SLOTS
    per_workspace: int = PER_WORKSPACE
    poll: float = POLL
    clock: Callable[[], datetime] = _utcnow
    _running: dict[int, int] = field(default_factory=dict)  # delivery id -> workspace id
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _turn: int = 0  # which workspace goes first next time, for round-robin

    def wake(self) -> None:
        """Look for due rows now (a dispatch in this process just made some)."""
        self._wake.set()

    async def run(self) -> None:
        """Until cancelled; then the attempts in flight are cancelled too (their rows are
        due again once their lease is over)."""
        try:
            while True:
                try:
                    await self.fill()
                except Exception:
                    log.exception("webhook delivery loop failed; trying again")
                self._wake.clear()
                waiters = [asyncio.ensure_future(self._wake.wait()), *self._tasks]
                try:
                    await asyncio.wait(
                        waiters, timeout=self.poll, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    waiters[0].cancel()
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def run_once(self) -> int:
        """Start the attempts of the rows due now that fit, and wait for them; how many."""
        started = await self.fill()
        await asyncio.gather(*self._tasks)
        return started

    async def fill(self) -> int:
        """Start attempts for as many due rows as there are free slots; how many."""
        free = self.slots - len(self._running)
        if free <= 0:
            return 0
        chosen = await self.choose(free)
        for delivery_id, workspace_id in chosen:
            self._running[delivery_id] = workspace_id
            task = asyncio.create_task(self._attempt(delivery_id), name="webhook-attempt")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(chosen)

    async def choose(self, free: int) -> list[tuple[int, int]]:
        """Up to `free` due rows, (delivery id, workspace id): round-robin over the
        workspaces that have due rows, each up to its room under `per_workspace`."""
        now = self.clock()
        busy = Counter(self._running.values())
        rows = WebhookDelivery.filter(due(now)).exclude(id__in=list(self._running))
        found = await rows.distinct().values_list("webhook__workspace_id", flat=True)
        workspaces = sorted({int(str(pk)) for pk in found})
        if not workspaces:
            return []
        self._turn = (self._turn + 1) % len(workspaces)
        order = workspaces[self._turn :] + workspaces[: self._turn]
        per_workspace: list[list[tuple[int, int]]] = []
        for workspace_id in order:
            room = min(self.per_workspace - busy[workspace_id], free)
            if room <= 0:
                continue
            ids = await (
                rows.filter(webhook__workspace_id=workspace_id)
                .order_by("next_attempt_at", "id")
                .limit(room)
                .values_list("id", flat=True)
            )
            per_workspace.append([(int(str(pk)), workspace_id) for pk in ids])
        interleaved = chain.from_iterable(zip_longest(*per_workspace))
        return [row for row in interleaved if row is not None][:free]

    async def _attempt(self, delivery_id: int) -> None:
        try:
            outcome = await self.sender.attempt(delivery_id)
            log.debug("webhook delivery %s: %s", delivery_id, outcome)
        except Exception:
            # Its row is due again once the lease is over, and the attempt is made again.
            log.exception("webhook delivery %s failed", delivery_id)
        finally:
            self._running.pop(delivery_id, None)
            self._wake.set()
