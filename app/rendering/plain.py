"""The fast path for plain codes (square modules, flat colours): no anti-aliasing needed.

PNG is written directly as a 1-bit palette image: each module row is packed once and
repeated, so the work is per module row, not per pixel, which beats segno's own writer.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence

from PIL import Image

from app.rendering import colors

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COMPRESS_LEVEL = 6  # the rows repeat, so 6 compresses as well as 9, and faster


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_plain_png(
    matrix: Sequence[Sequence[int]],
    margin: int,
    size: int,
    foreground: str,
    background: str,
) -> bytes:
    width = len(matrix)
    total = width + 2 * margin
    px = size // total
    offset = (size - px * total) // 2
    lead = offset + margin * px  # light pixels before the first module of a row
    row_bytes = (size + 7) // 8
    pad = row_bytes * 8 - size
    on, off = "1" * px, "0" * px
    blank_line = b"\x00" + bytes(row_bytes)
    trail = "0" * (size - lead - width * px + pad)
    lines = [blank_line * (offset + margin * px)]
    head = "0" * lead
    for row in matrix:
        bits = head + "".join([on if v else off for v in row]) + trail
        line = b"\x00" + int(bits, 2).to_bytes(row_bytes, "big") if "1" in bits else blank_line
        lines.append(line * px)
    lines.append(blank_line * (size - offset - (margin + width) * px))
    fg, bg = colors.rgba(foreground), colors.rgba(background)
    png = [
        PNG_SIGNATURE,
        _chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 1, 3, 0, 0, 0)),
        _chunk(b"PLTE", bytes((*bg[:3], *fg[:3]))),
    ]
    if bg[3] != 255 or fg[3] != 255:
        png.append(_chunk(b"tRNS", bytes((bg[3], fg[3]))))
    png.append(_chunk(b"IDAT", zlib.compress(b"".join(lines), COMPRESS_LEVEL)))
    png.append(_chunk(b"IEND", b""))
    return b"".join(png)


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
