"""Images of codes: content-addressed in Redis, rendered off the event loop on a miss.

The cache key is `cache_key(text, style, format, size)`, so a changed design or payload is a
new key and an old image is never served for a new look; entries only expire.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.domain.codes.logos import (
    LOGO_CACHE_TTL,
    CachedLogos,
    LogoCheck,
    LogoSource,
    check_logo_in_thread,
)
from app.domain.codes.models import QrCode
from app.domain.codes.services import RenderOne, render_in_thread, style_of
from app.domain.designs.models import Design
from app.domain.designs.services import clean_style, public_problems
from app.errors import InvalidInput, Problem
from app.keys import IMAGE_CACHE, key
from app.rendering.guard import Scannability
from app.rendering.payloads import build_payload
from app.rendering.render import (
    CONTENT_TYPES,
    EXTENSIONS,
    Rendered,
    cache_key,
)
from app.rendering.style import MAX_SIZE, MIN_SIZE, Style
from app.security.signed_urls import signed_query

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger("qrforge.images")

# A design change is a new cache key, so nothing is ever invalidated by hand; the TTL only
# frees memory.
IMAGE_CACHE_TTL = 7 * 24 * 3600
# Bigger images (4096 px JPEGs) are rendered on demand rather than crowding Redis.
IMAGE_CACHE_MAX_BYTES = 2_000_000


@dataclass(frozen=True)
class ImageRequest:
    text: str
    style: Style
    format: str  # PNG | SVG | JPEG | PDF
    size: int

    @property
    def key(self) -> str:
        return cache_key(self.text, self.style, self.format, self.size)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


async def code_image(code: QrCode, fmt: str, size: int | None) -> ImageRequest:
    """What to draw for `code`: its encoded text in its effective style."""
    design = await Design.get_or_none(id=code.design_id) if code.design_id else None
    style = style_of(code, design)
    return ImageRequest(code.encoded_text, style, fmt, style.size if size is None else size)


class ImageStore:
    def __init__(
        self,
        redis: Redis,
        namespace: str,
        logos: LogoSource,
        render_one: RenderOne = render_in_thread,
    ) -> None:
        self.redis = redis
        self.namespace = namespace
        self.logos = logos
        self.render_one = render_one  # the API's: its process pool (app/rendering/pool.py)

    @classmethod
    def of(cls, services: Services, render_one: RenderOne) -> ImageStore:
        """The process's store: its Redis, its logo cache, and its way to render."""
        return cls(
            services.redis,
            services.settings.redis_namespace,
            CachedLogos.of(services),
            render_one=render_one,
        )

    def redis_key(self, request: ImageRequest) -> str:
        return key(IMAGE_CACHE, self.namespace, key=request.key)

    async def cached(self, request: ImageRequest) -> bytes | None:
        try:
            data = await self.redis.get(self.redis_key(request))
        except (RedisError, OSError) as error:
            log.warning("image cache unavailable, rendering instead: %s", error)
            return None
        return None if data is None else bytes(data)

    async def render(self, request: ImageRequest) -> Rendered:
        """Render with `render_one` (CPU-bound work never runs on the event loop)."""
        style = request.style
        logo = None
        if style.logo is not None and style.logo.url is not None:
            logo = await self.logos(style.logo.url)
        return await self.render_one(
            (request.text, style.to_dict(), request.format, request.size, logo)
        )

    async def store(self, request: ImageRequest, data: bytes) -> None:
        if len(data) > IMAGE_CACHE_MAX_BYTES:
            return
        # The key holds a remote logo's URL, not its bytes: such an image lives only as long
        # as the fetched logo does, so a logo changed at its URL shows within a few hours.
        logo = request.style.logo
        remote = logo is not None and logo.url is not None
        ttl = LOGO_CACHE_TTL if remote else IMAGE_CACHE_TTL
        try:
            await self.redis.set(self.redis_key(request), data, ex=ttl)
        except (RedisError, OSError) as error:
            # An image that is not cached is rendered again next time; not worth a failure.
            log.warning("image not cached: %s", error)

    async def get(self, request: ImageRequest) -> tuple[bytes, bool]:
        """The image bytes and whether they came from the cache."""
        data = await self.cached(request)
        if data is not None:
            return data, True
        rendered = await self.render(request)
        await self.store(request, rendered.data)
        return rendered.data, False

    async def warm(self, request: ImageRequest) -> bool:
        """Put the image in the cache unless it is there; True when it rendered."""
        if await self.redis.exists(self.redis_key(request)):
            return False
        rendered = await self.render(request)
        await self.store(request, rendered.data)
        return True


# The sizes a code's images are drawn and cached at: imageUrl hands out only these, and any
# other size asked of /qr/{id} rounds up to the next one, so a code has at most this many
# cached images a format (any ?size= a caller picked used to be a cache entry of its own).
IMAGE_SIZES = (64, 128, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096)


def image_size(size: int) -> int:
    """`size` rounded up to one of IMAGE_SIZES; a size outside them is left for the renderer
    to refuse."""
    if not IMAGE_SIZES[0] <= size <= IMAGE_SIZES[-1]:
        return size
    return next(s for s in IMAGE_SIZES if s >= size)


# Image URLs stay valid for a day, and the expiry is rounded up to the hour so the same
# code keeps the same URL for an hour: browsers and CDNs can cache it.
IMAGE_URL_TTL = 24 * 3600
IMAGE_URL_ROUNDING = 3600


def image_path(code_id: int, fmt: str) -> str:
    return f"/qr/{code_id}.{EXTENSIONS[fmt]}"


def signed_image_url(
    public_url: str, secret: bytes, code_id: int, fmt: str, size: int, now: float
) -> str:
    exp = -(-int(now + IMAGE_URL_TTL) // IMAGE_URL_ROUNDING) * IMAGE_URL_ROUNDING
    path = image_path(code_id, fmt)
    return f"{public_url}{path}?{signed_query(secret, path, {'size': str(size)}, exp)}"


async def static_image(
    data_type: Any, data: Any, fmt: Any, style: Mapping[str, Any] | None, size: Any,
    logos: LogoSource, check_logo: LogoCheck = check_logo_in_thread,
) -> ImageRequest:  # fmt: skip
    """Check a one-shot render request (nothing stored) and say what to draw, or raise
    `InvalidInput` listing every problem, each under its field path."""
    problems: list[Problem] = []
    fmt = fmt.upper() if isinstance(fmt, str) else fmt
    if fmt not in CONTENT_TYPES:
        problems.append(
            Problem("INVALID_FORMAT", f"format is one of {', '.join(CONTENT_TYPES)}", ("format",))
        )
    try:
        text = build_payload(data_type, data)
    except InvalidInput as error:
        problems.extend(error.problems)
    try:
        look = await clean_style(style, logos, check_logo)
    except InvalidInput as error:
        problems.extend(error.problems)
    if size is not None and (
        isinstance(size, bool) or not isinstance(size, int) or not MIN_SIZE <= size <= MAX_SIZE
    ):
        problems.append(
            Problem(
                "INVALID_SIZE",
                f"`size` must be between {MIN_SIZE} and {MAX_SIZE} pixels",
                ("size",),
            )
        )
    if problems:
        raise InvalidInput(problems)
    return ImageRequest(text, look, fmt, look.size if size is None else size)


async def render_checked(store: ImageStore, request: ImageRequest) -> Rendered:
    """Render, with the renderer's own refusals (too long, too small) in API spelling."""
    try:
        return await store.render(request)
    except InvalidInput as error:
        raise public_problems(error) from None


# A design has no payload of its own: its verdict is for a typical dynamic code's text.
SAMPLE_SLUG = "AbC12xy"


def sample_text(public_url: str) -> str:
    return f"{public_url}/r/{SAMPLE_SLUG}?qr=1"


async def scannability_of(store: ImageStore, text: str, style: Style) -> Scannability:
    """The guard's verdict on `text` in `style` (cached in the render process). A stored
    style the guard refuses (stored before it existed) answers passed: false with why."""
    try:
        rendered = await store.render(ImageRequest(text, style, "SVG", style.size))
    except InvalidInput as error:
        reasons = tuple(p.message for p in error.problems)
        return Scannability(conditions=(), passed=False, min_module_px=0,
                            min_print_size_mm=0.0, warnings=reasons)  # fmt: skip
    return guarded(rendered)


def guarded(rendered: Rendered) -> Scannability:
    """The verdict every render carries (the renderer refuses what fails)."""
    assert rendered.scannability is not None, "render() always runs the guard"
    return rendered.scannability
