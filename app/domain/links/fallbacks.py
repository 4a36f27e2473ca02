"""Each workspace's dead-link fallback: where a person whose link is dead goes instead.

Read only when a link is dead (never on a working redirect), kept briefly in the process:
a change reaches every process within `ttl` seconds.
"""

from __future__ import annotations

import time

from app.domain.workspaces.models import Workspace

FALLBACK_TTL = 10.0
MAX_ENTRIES = 10_000


class WorkspaceFallbacks:
    def __init__(self, ttl: float = FALLBACK_TTL) -> None:
        self.ttl = ttl
        self._known: dict[int, tuple[float, str | None]] = {}

    async def get(self, workspace_id: int) -> str | None:
        hit = self._known.get(workspace_id)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        rows = await Workspace.filter(id=workspace_id).values_list("dead_link_fallback", flat=True)
        url = str(rows[0]) if rows and rows[0] else None
        if len(self._known) >= MAX_ENTRIES:
            self._known.clear()
        self._known[workspace_id] = (now + self.ttl, url)
        return url

    def forget(self, workspace_id: int) -> None:
        self._known.pop(workspace_id, None)
