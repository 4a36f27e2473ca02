"""The verified custom domains, held in every API process so the redirect picks a link by
Host + slug without asking the database which domain a request is for.

The table is reloaded when a `domain.*` event arrives and every `RELOAD_SECONDS` anyway
(a domain added from the CLI sends no event), so it costs one small query now and then.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from app.domain.domains.models import Domain
from app.hub import EventHub

log = logging.getLogger("qrforge.domains")

RELOAD_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class KnownDomain:
    id: int
    workspace_id: int
    hostname: str
    not_found_redirect: str | None
    base_redirect: str | None


class DomainTable:
    def __init__(self) -> None:
        self.by_host: dict[str, KnownDomain] = {}

    def find(self, host_header: str) -> KnownDomain | None:
        """The verified domain a Host header names: with its port, else without."""
        host = host_header.lower()
        found = self.by_host.get(host)
        if found is None and ":" in host:
            found = self.by_host.get(host.rsplit(":", 1)[0])
        return found

    async def load(self) -> None:
        rows = await Domain.filter(verified=True).all()
        self.by_host = {
            row.hostname: KnownDomain(
                row.id, row.workspace_id, row.hostname, row.not_found_redirect, row.base_redirect
            )
            for row in rows
        }

    async def follow(self, hub: EventHub) -> None:
        """Keep the table current until cancelled."""

        async def on_events() -> None:
            async with hub.follow("domain", gaps=True) as feed:
                async for _ in feed:  # a domain event, or a gap: either way, reload
                    try:
                        await self.load()
                    except Exception:  # the timer below loads it again
                        log.warning("could not reload the custom domains", exc_info=True)

        listener = asyncio.create_task(on_events())
        try:
            while True:
                try:
                    await self.load()
                except Exception:  # the database restarting: keep what we have
                    log.warning("could not reload the custom domains", exc_info=True)
                await asyncio.sleep(RELOAD_SECONDS)
        finally:
            listener.cancel()
