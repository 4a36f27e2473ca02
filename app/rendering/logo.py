"""Logos: untrusted image bytes made safe to draw.

Only PNG, JPEG, WebP and SVG, recognised by their magic bytes (the declared type is ignored);
at most 1 MB; raster dimensions are read from the header and checked before any pixel is
decoded, so a decompression bomb is refused without allocating it; SVG is read as plain XML
first (`svgcheck`: bounded elements with `<use>` expanded, embedded rasters under the same
pixel cap, nothing external) and only then rasterised by cairosvg, with every fetch disabled.

`sniff_logo` is the cheap check a request may run; `load_logo` and `rasterize` decode, so
callers run them in the render processes (app/rendering/pool.py), under their time and memory
limits, never on an event loop.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes, urljoin

import httpx
from PIL import Image

from app.errors import InvalidInput
from app.rendering.svgcheck import SvgRefused, check_svg
from app.security.ssrf import resolve_public

INVALID_LOGO = "INVALID_LOGO"
MAX_LOGO_BYTES = 1_000_000
MAX_LOGO_PIXELS = 4096 * 4096  # far more than a logo a few hundred pixels wide needs
FETCH_TIMEOUT = 5.0  # seconds, for the whole fetch
MAX_REDIRECTS = 3
SVG_WIDTH = 256  # an SVG has no pixel size of its own; only its aspect ratio matters
CHECK_WIDTH = 64  # the check draw: small, it only proves cairosvg can read the file
EMPTY_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>'
DATA_URI_RE = re.compile(r"^data:([^,;]*)((?:;[^,;]*)*?)(;base64)?,(.*)$", re.DOTALL)

MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "svg": "image/svg+xml"}
PIL_FORMAT = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


@dataclass(frozen=True)
class LogoImage:
    kind: str  # png | jpeg | webp | svg
    data: bytes
    width: int
    height: int

    @property
    def mime(self) -> str:
        return MIME[self.kind]

    @property
    def data_uri(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode()}"


def _bad(message: str, field: tuple[str, ...] = ("style", "logo")) -> InvalidInput:
    return InvalidInput.one(INVALID_LOGO, message, field)


def parse_data_uri(uri: str) -> bytes:
    match = DATA_URI_RE.match(uri) if isinstance(uri, str) else None
    if match is None:
        raise _bad("logo data must be a data: URI", ("style", "logo", "data"))
    payload = match.group(4)
    if len(payload) > MAX_LOGO_BYTES * 4 // 3 + 8:
        raise _bad("the logo is larger than 1 MB", ("style", "logo", "data"))
    try:
        if match.group(3):
            return base64.b64decode(payload, validate=True)
        return unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise _bad("logo data is not valid base64", ("style", "logo", "data")) from None


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<svg", b"<?xml", b"<!--", b"<!doctype svg")) and b"<svg" in data[:4096]:
        return "svg"
    return None


def sniff_logo(data: bytes) -> str:
    """The logo's kind from its size and magic bytes alone: cheap enough for a request."""
    if len(data) > MAX_LOGO_BYTES:
        raise _bad(f"the logo is {len(data):,} bytes, at most 1 MB")
    kind = sniff(data)
    if kind is None:
        raise _bad("the logo must be a PNG, JPEG, WebP or SVG image")
    return kind


def load_logo(data: bytes, *, draw_check: bool = True) -> LogoImage:
    """Check untrusted bytes and read the logo's size; a raster's pixels are not decoded, an
    SVG is checked and (unless a render is about to draw it anyway) drawn once, small, to be
    sure cairosvg reads it."""
    kind = sniff_logo(data)
    if kind == "svg":
        width, height = _svg_aspect(data)
        size = (SVG_WIDTH, max(1, round(SVG_WIDTH * height / width)))
        if draw_check:
            _svg_to_png(data, CHECK_WIDTH, checked=True)
        return LogoImage(kind, data, *size)
    width, height = _raster_size(data, kind)
    return LogoImage(kind, data, width, height)


def _svg_aspect(data: bytes) -> tuple[float, float]:
    try:
        return check_svg(data, _embedded_pixels)
    except SvgRefused as refusal:
        raise _bad(str(refusal)) from None


def _embedded_pixels(uri: bytes) -> int:
    """An image embedded in an SVG logo, checked as a raster logo is."""
    try:
        data = parse_data_uri(uri.decode("ascii", "replace"))
        kind = sniff_logo(data)
        if kind == "svg":
            raise SvgRefused("an SVG logo may not embed another SVG")
        width, height = _raster_size(data, kind)
    except InvalidInput as error:
        raise SvgRefused(f"an image embedded in the SVG logo: {error}") from None
    return width * height


def _raster_size(data: bytes, kind: str) -> tuple[int, int]:
    try:
        # Image.open only parses the header; pixels are decoded on load().
        with Image.open(io.BytesIO(data), formats=(PIL_FORMAT[kind],)) as img:
            width, height = img.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bad("the logo has too many pixels") from None
    except (OSError, SyntaxError, ValueError):
        raise _bad(f"the logo is not a readable {kind.upper()} image") from None
    if width < 1 or height < 1 or width * height > MAX_LOGO_PIXELS:
        raise _bad(f"the logo is {width}x{height} pixels, at most {MAX_LOGO_PIXELS:,} pixels")
    return width, height


def rasterize(logo: LogoImage, box: int) -> Image.Image:
    """The logo as RGBA, fitted inside a box x box square with its aspect ratio kept."""
    box = max(box, 1)
    if logo.kind == "svg":
        scale = box / max(logo.width, logo.height)
        png = _svg_to_png(logo.data, max(1, round(logo.width * scale)))
        data, fmt = png, "PNG"
    else:
        data, fmt = logo.data, PIL_FORMAT[logo.kind]
    try:
        with Image.open(io.BytesIO(data), formats=(fmt,)) as img:
            if img.size[0] * img.size[1] > MAX_LOGO_PIXELS:
                raise _bad("the logo has too many pixels")
            img.draft("RGB", (box, box))  # JPEG: decode at a reduced scale when it can
            rgba = img.convert("RGBA")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bad("the logo has too many pixels") from None
    except (OSError, SyntaxError, ValueError):
        raise _bad("the logo cannot be decoded") from None
    scale = box / max(rgba.size)
    size = (max(1, round(rgba.size[0] * scale)), max(1, round(rgba.size[1] * scale)))
    return rgba if rgba.size == size else rgba.resize(size, Image.Resampling.LANCZOS)


def _refuse_fetch(url: str, resource_type: str) -> bytes:
    """cairosvg's url_fetcher: inline data: URIs only; nothing ever leaves the process."""
    if url.startswith("data:"):
        try:
            data = parse_data_uri(url)
            if _embedded_pixels(url.encode()) > 0:  # svgcheck did this; a second lock
                return data
        except (InvalidInput, SvgRefused):
            return EMPTY_SVG
    return EMPTY_SVG


def _svg_to_png(data: bytes, width: int, *, checked: bool = False) -> bytes:
    from cairosvg.surface import PNGSurface

    if not checked:
        _svg_aspect(data)  # a style stored under older rules is held to the current ones
    try:
        png = PNGSurface.convert(
            bytestring=data, unsafe=False, url_fetcher=_refuse_fetch, output_width=width
        )
    except Exception as exc:  # noqa: BLE001 -- any parse failure of hostile input is a bad logo
        raise _bad("the SVG logo cannot be read") from exc
    if not isinstance(png, bytes) or not png.startswith(b"\x89PNG"):
        raise _bad("the SVG logo cannot be read")
    return png


async def fetch_logo(url: str, client: httpx.AsyncClient, *, allow_private: bool) -> bytes:
    """Download a logo: https only (http too when private targets are allowed, for local
    tests), every redirect hop checked against the SSRF guard and connected to the address
    that was checked (no DNS rebinding), at most 1 MB and 5 s, sniffed like a data URI."""
    field = ("style", "logo", "url")
    try:
        async with asyncio.timeout(FETCH_TIMEOUT):
            for _ in range(MAX_REDIRECTS + 1):
                data, location = await _fetch_once(url, client, allow_private, field)
                if location is None:
                    return data
                url = urljoin(url, location)  # the next hop goes through the same checks
    except TimeoutError:
        raise _bad("fetching the logo took too long", field) from None
    raise _bad("the logo URL redirects too often", field)


async def _fetch_once(
    url: str, client: httpx.AsyncClient, allow_private: bool, field: tuple[str, ...]
) -> tuple[bytes, str | None]:
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise _bad("the logo URL is malformed", field) from None
    if target.scheme != "https" and not (allow_private and target.scheme == "http"):
        raise _bad("the logo URL must be https://", field)
    addresses = await resolve_public(url, allow_private=allow_private, field=field)
    pinned = target.copy_with(host=addresses[0])
    headers = {"Host": target.netloc.decode("ascii")}
    # TLS still verifies the certificate against the real host name via SNI.
    extensions = {"sni_hostname": target.host}
    try:
        async with client.stream(
            "GET", pinned, headers=headers, extensions=extensions, follow_redirects=False
        ) as response:
            if response.is_redirect and "location" in response.headers:
                return b"", response.headers["location"]
            if response.status_code != 200:
                raise _bad(f"fetching the logo answered HTTP {response.status_code}", field)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_LOGO_BYTES:
                raise _bad("the logo is larger than 1 MB", field)
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_LOGO_BYTES:
                    raise _bad("the logo is larger than 1 MB", field)
    except httpx.HTTPError as exc:
        raise _bad(f"the logo could not be fetched ({type(exc).__name__})", field) from None
    data = bytes(body)
    if sniff(data) is None:
        raise _bad("the logo must be a PNG, JPEG, WebP or SVG image", field)
    return data, None
