"""render(text, style, format) -> bytes: the one entry point callers run in a worker pool.

Encoding decisions:
- Never Micro QR (`micro=False`): many phone scanners do not read it.
- `boost_error=True`: when the content fits the same version at a higher level, segno
  raises the error correction for free (same size, more robust); `Rendered.error_correction`
  reports the level actually in the symbol.
- Non-ASCII text is UTF-8 in byte mode without an ECI header: what modern scanners assume;
  ECI headers confuse some older readers.
- A logo that would eat too much of a small symbol's error correction gets the next larger
  version instead, up to version 40.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import segno

from app.errors import InvalidInput
from app.rendering import colors, guard, scannability
from app.rendering.geometry import Scene, build_scene
from app.rendering.logo import LogoImage, load_logo, parse_data_uri
from app.rendering.plain import plain_image, to_jpeg
from app.rendering.png import write_bilevel_png, write_png
from app.rendering.scannability import NOT_SCANNABLE
from app.rendering.style import ERROR_LEVELS, MAX_SIZE, MIN_SIZE, Style
from app.rendering.svg import write_svg
from app.rendering.vector import render_pdf, render_raster

CONTENT_TYPES = {
    "PNG": "image/png",
    "SVG": "image/svg+xml",
    "JPEG": "image/jpeg",
    "PDF": "application/pdf",
}
EXTENSIONS = {"PNG": "png", "SVG": "svg", "JPEG": "jpeg", "PDF": "pdf"}
INVALID_FORMAT = "INVALID_FORMAT"
CACHE_KEY_VERSION = "2"  # bump when the renderer's output changes, to retire cached images
MIN_MODULE_PX = guard.MIN_MODULE_PX

# A render as plain values, to hand to another process:
# (text, style as Style.to_dict, format, size in px, logo bytes).
RenderTask = tuple[str, dict[str, Any], str, int, bytes | None]
# A task's image and its symbol: (image, version, error correction level, mask).
Drawn = tuple[bytes, int, str, int]


@dataclass(frozen=True)
class Rendered:
    content_type: str
    data: bytes
    width: int
    version: int
    error_correction: str
    warnings: tuple[str, ...] = ()  # what was changed from the request, in plain words
    mask: int = 0  # with version and level, what redraws the same symbol without a search
    scannability: guard.Scannability | None = None  # the guard's verdict on this code


def cache_key(text: str, style: Style, fmt: str, size: int | None = None) -> str:
    """Content address of an image: any change of payload, design, format or size is a new key."""
    material = json.dumps(
        [CACHE_KEY_VERSION, text, style.to_dict(), fmt.upper(), size or style.size],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(material.encode()).hexdigest()


def encode(
    text: str,
    error_correction: str,
    version: int | None = None,
    *,
    asked: str | None = None,
    mask: int | None = None,
) -> segno.QRCode:
    """`asked`: the level the user asked for, when a logo raised it to `error_correction`.
    With `mask` given segno skips its search for the best mask, most of the time encoding
    takes (a symbol drawn again: its version, level and mask are known)."""
    ascii_only = text.isascii()
    try:
        return segno.make(
            text,
            error=error_correction.lower(),
            version=version,
            mode=None if ascii_only else "byte",
            encoding=None if ascii_only else "utf-8",
            mask=mask,
            micro=False,
            boost_error=True,
        )
    except segno.DataOverflowError:
        if asked is not None and asked != error_correction:
            level = f"{error_correction} (raised from {asked} for the logo)"
            fix = "shorten it or leave the logo out"
        else:
            level, fix = error_correction, "shorten it or lower the error correction"
        raise InvalidInput.one(
            "TOO_LONG",
            f"the content ({len(text.encode())} bytes) does not fit in a QR code at error "
            f"correction {level}; {fix}",
            ("data",),
        ) from None


def render(
    text: str, style: Style, fmt: str, *, size: int | None = None, logo: bytes | None = None
) -> Rendered:
    fmt = fmt.upper() if isinstance(fmt, str) else ""
    if fmt not in CONTENT_TYPES:
        raise InvalidInput.one(
            INVALID_FORMAT, f"format must be one of {', '.join(CONTENT_TYPES)}", ("format",)
        )
    size = style.size if size is None else size
    if isinstance(size, bool) or not isinstance(size, int) or not MIN_SIZE <= size <= MAX_SIZE:
        raise InvalidInput.one(
            "INVALID_SIZE", f"`size` must be between {MIN_SIZE} and {MAX_SIZE} pixels", ("size",)
        )
    scannability.check_style(style)
    logo_image = _logo(style, logo)
    code = layout_code(text, style)
    total = code.scene.total if code.scene is not None else len(code.matrix) + 2 * style.margin
    if fmt in ("PNG", "JPEG") and size < total * MIN_MODULE_PX:
        raise InvalidInput.one(
            NOT_SCANNABLE,
            f"this code is {total} modules wide; at {size} px a module would be under "
            f"{MIN_MODULE_PX} px, use a size of at least {total * MIN_MODULE_PX}",
            ("size",),
        )
    verdict = guard.assess(text, style, lambda t: _laid_out(t, style), code.version, code.level,
                           logo_image)  # fmt: skip
    least = verdict.min_module_px
    if fmt in ("PNG", "JPEG") and size < total * least:
        raise InvalidInput.one(
            NOT_SCANNABLE,
            f"this code is {total} modules wide and this design needs {least} px a module; "
            f"at {size} px a module would be {size // total} px, use a size of at least "
            f"{total * least}",
            ("size",),
        )
    data = _write(fmt, code.matrix, style, size, code.scene, logo_image)
    warnings = tuple(scannability.level_warnings(style, code.level))
    return Rendered(
        CONTENT_TYPES[fmt], data, size, code.version, code.level, warnings, code.mask,
        verdict.with_warnings(warnings),
    )  # fmt: skip


@dataclass(frozen=True)
class Code:
    """A payload encoded for a style: its matrix, the level in it, and what to draw."""

    matrix: Sequence[Sequence[int]]
    version: int
    level: str  # the error correction in the symbol
    scene: Scene | None  # None for a plain style, which the fast writers draw
    mask: int = 0


def layout_code(text: str, style: Style) -> Code:
    """Encode `text` and lay it out. A logo gets the lowest level from the one it needs (see
    `logo_level`) up to H whose error correction pays for the modules it hides; when even H
    cannot at this version, the next larger version, up to 40."""
    first = scannability.logo_level(style)
    asked = style.error_correction
    qr = encode(text, first, asked=asked)
    if style.is_plain:
        return Code(qr.matrix, int(qr.version), qr.error.upper(), None, int(qr.mask))
    scene = build_scene(qr.matrix, style)
    if style.logo is None:
        return Code(qr.matrix, int(qr.version), qr.error.upper(), scene, int(qr.mask))
    levels = ERROR_LEVELS[ERROR_LEVELS.index(first) :]
    version = int(qr.version)
    while True:
        for level in levels:
            try:
                qr = encode(text, level, version=version, asked=asked)
            except InvalidInput:
                continue  # no room at this level in this version
            scene = build_scene(qr.matrix, style)
            width = len(qr.matrix)
            if scannability.logo_fits(scene.hidden_modules, width, qr.error.upper()):
                return Code(qr.matrix, version, qr.error.upper(), scene, int(qr.mask))
        if version == 40:
            raise scannability.logo_too_big(scene.hidden_modules, width, asked)
        version += 1


def _laid_out(text: str, style: Style) -> tuple[Scene, int, str]:
    code = layout_code(text, style)
    return code.scene or build_scene(code.matrix, style), code.version, code.level


def _logo(style: Style, logo: bytes | None) -> LogoImage | None:
    if style.logo is None:
        return None
    if logo is None:
        if style.logo.data is None:
            # A url logo is fetched (async, SSRF-guarded) by the caller, never in here.
            raise ValueError("style has a logo url: fetch it with fetch_logo and pass logo=")
        logo = parse_data_uri(style.logo.data)
    return load_logo(logo, draw_check=False)  # drawn for real in a moment


def _write(
    fmt: str,
    matrix: Sequence[Sequence[int]],
    style: Style,
    size: int,
    scene: Scene | None,
    logo: LogoImage | None,
) -> bytes:
    if style.is_plain and fmt == "PNG":
        return write_bilevel_png(matrix, style.margin, size, style.foreground, style.background)
    if style.is_plain and fmt == "JPEG":
        return to_jpeg(plain_image(matrix, style.margin, size, style.foreground, style.background))
    scene = scene or build_scene(matrix, style)
    if fmt == "SVG":
        return write_svg(scene, style, size, logo)
    if fmt == "PDF":
        return render_pdf(scene, style, size, logo)
    image = render_raster(scene, style, size, logo)
    if fmt == "JPEG":
        return to_jpeg(image)
    opaque = colors.rgba(style.background)[3] == 255
    return write_png(image.convert("RGB") if opaque else image)
