"""Render jobs: put a code's default images into the cache before anyone asks for them.

Both jobs carry ids only and are safe to run twice: a code's images are content-addressed,
so a second run finds them cached and renders nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from app.domain.codes.images import ImageStore, code_image
from app.domain.codes.logos import CachedLogos
from app.domain.codes.models import QrCode
from app.errors import DomainError
from app.rendering.pool import process_pool
from app.services import Services
from workers import constants

log = logging.getLogger("qrforge.render")


def _store(services: Services) -> ImageStore:
    # The process pool bulk jobs use too: on the embedded default this worker runs inside the
    # API process, whose event loop must not wait on rendering.
    return ImageStore(
        services.redis,
        services.settings.redis_namespace,
        CachedLogos.of(services),
        process_pool().render_one,
    )


async def render_code(ctx: dict[str, Any], code_id: int) -> int:
    """Warm the cache with the code's default images; returns how many it rendered."""
    services: Services = ctx["services"]
    code = await QrCode.get_or_none(id=code_id)
    if code is None:
        return 0  # deleted since the job was queued
    store = _store(services)
    rendered = 0
    for fmt in constants.WARM_IMAGE_FORMATS:
        wanted = await code_image(code, fmt, constants.WARM_IMAGE_SIZE)
        try:
            rendered += await store.warm(wanted)
        except DomainError as error:
            # Nothing to retry: the image endpoint will answer the same problem to a client.
            log.warning("code %s cannot be rendered as %s: %s", code_id, fmt, error)
    return rendered


async def render_design(ctx: dict[str, Any], design_id: int) -> int:
    """A design changed: queue a render of every code that follows it (not those with their
    own style, whose look did not change). Returns how many it queued."""
    services: Services = ctx["services"]
    qs = QrCode.filter(design_id=design_id, style__isnull=True).order_by("id")
    queued, last = 0, 0
    while True:
        batch = qs.filter(id__gt=last).limit(constants.RENDER_DESIGN_BATCH)
        ids: list[int] = list(await batch.values_list("id", flat=True))  # type: ignore[arg-type]
        for code_id in ids:
            await services.jobs.render_code(code_id)
        queued += len(ids)
        if len(ids) < constants.RENDER_DESIGN_BATCH:
            return queued
        last = ids[-1]
