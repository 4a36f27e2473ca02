"""Plain codes (square modules, flat colours) as Pillow images, and JPEG output."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image

from app.rendering import colors


def plain_image(
    matrix: Sequence[Sequence[int]], margin: int, size: int, foreground: str, background: str
) -> Image.Image:
    """RGB(A) raster at whole pixels per module, for JPEG (and anything Pillow writes)."""
    width = len(matrix)
    total = width + 2 * margin
    px = size // total
    offset = (size - px * total) // 2
    bits = Image.frombytes("L", (width, width), b"".join(bytes(r) for r in matrix))
    mask = bits.point([0] + [255] * 255).resize((width * px, width * px), Image.Resampling.NEAREST)
    fg, bg = colors.rgba(foreground), colors.rgba(background)
    ink = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    at = offset + margin * px
    ink.paste(Image.new("RGBA", mask.size, fg), (at, at), mask)
    # Composite, not paste: a translucent foreground lies over the background.
    return Image.alpha_composite(Image.new("RGBA", (size, size), bg), ink)


def to_jpeg(image: Image.Image, quality: int = 92) -> bytes:
    """JPEG has no alpha: flatten onto white paper first."""
    if image.mode == "RGBA":
        paper = Image.new("RGB", image.size, (255, 255, 255))
        paper.paste(image, mask=image.getchannel("A"))
        image = paper
    out = io.BytesIO()
    # 4:4:4 keeps coloured module edges sharp; 4:2:0 smears them.
    image.convert("RGB").save(out, "JPEG", quality=quality, subsampling=0)
    return out.getvalue()
