"""Logo background removal: a logo delivered on a flat box (a white JPEG square, say) gets
that box made transparent, so the code's background shows around the mark.

The background is what touches the corners: each corner's colour is flood-filled with
transparency, within a tolerance for JPEG noise, so the same colour inside the mark
(enclosed by it) stays.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

TOLERANCE = 40  # per channel: JPEG ringing around a flat colour stays within this


def clear_background(image: Image.Image) -> Image.Image:
    image = image.convert("RGBA").copy()
    w, h = image.size
    for corner in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)):
        pixel = image.getpixel(corner)
        if isinstance(pixel, tuple) and len(pixel) == 4 and pixel[3] == 0:
            continue  # already clear (a previous corner's fill, or a transparent PNG)
        ImageDraw.floodfill(image, corner, (0, 0, 0, 0), thresh=TOLERANCE)
    return image
