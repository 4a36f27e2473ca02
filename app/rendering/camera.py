"""What a phone camera does to a printed code, as image operations on a render.

Each condition takes the code as the camera sees it at `px` pixels per module (a grey
anti-aliased render at that size: how a sensor averages the light of a module) and degrades
it the way print and phones do. All of it is deterministic (the noise comes from a fixed seed),
so a verdict is the same on every machine and every run.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Sequence
from functools import cache

from PIL import Image, ImageChops, ImageFilter

WHITE = 255
BLUR_MODULES = 0.35  # Gaussian radius in modules: a camera a little out of focus
JPEG_QUALITY = 20  # what a messenger app makes of a photo
ROTATION = 10.0  # degrees
TILT = 0.10  # one edge this much shorter than the other: the code seen at a slant
DIM_LOW, DIM_HIGH = 70, 185  # black and white end up here: dim light, cheap sensor
NOISE_SIGMA = 9.0  # grey levels of sensor noise
NOISE_TILE = 256

Condition = Callable[[Image.Image, int], Image.Image]


def _as_is(image: Image.Image, px: int) -> Image.Image:
    return image


def _blurred(image: Image.Image, px: int) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(BLUR_MODULES * px))


def _jpeg(image: Image.Image, px: int) -> Image.Image:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY)
    return Image.open(io.BytesIO(out.getvalue()))


def _rotated(image: Image.Image, px: int) -> Image.Image:
    return image.rotate(ROTATION, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=WHITE)


def _tilted(image: Image.Image, px: int) -> Image.Image:
    """The right edge farther from the camera than the left: shorter, and the code narrower."""
    w, h = image.size
    inset = TILT * h / 2
    # Where each corner of the output comes from in the input (PIL maps output to input).
    target = [(0, 0), (w * (1 - TILT / 2), inset), (w * (1 - TILT / 2), h - inset), (0, h)]
    source = [(0, 0), (w, 0), (w, h), (0, h)]
    coeffs = _perspective(target, source)
    return image.transform(
        (w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR, fillcolor=WHITE
    )


def _dimmed(image: Image.Image, px: int) -> Image.Image:
    scale = (DIM_HIGH - DIM_LOW) / 255
    dim = image.point([round(DIM_LOW + v * scale) for v in range(256)])
    return ImageChops.add(dim, _noise(image.size), scale=1.0, offset=-128)


@cache
def _noise_tile() -> Image.Image:
    rng = random.Random(14)
    values = bytes(
        max(0, min(255, round(128 + rng.gauss(0, NOISE_SIGMA))))
        for _ in range(NOISE_TILE * NOISE_TILE)
    )
    return Image.frombytes("L", (NOISE_TILE, NOISE_TILE), values)


def _noise(size: tuple[int, int]) -> Image.Image:
    tile = _noise_tile()
    out = Image.new("L", size)
    for y in range(0, size[1], NOISE_TILE):
        for x in range(0, size[0], NOISE_TILE):
            out.paste(tile, (x, y))
    return out


def _perspective(
    target: Sequence[tuple[float, float]], source: Sequence[tuple[float, float]]
) -> tuple[float, ...]:
    """The 8 coefficients mapping each target point onto its source point."""
    rows: list[list[float]] = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
    n = 8
    for col in range(n):  # Gauss-Jordan with partial pivoting on the 8x9 system
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        lead = rows[col][col]
        rows[col] = [v / lead for v in rows[col]]
        for r in range(n):
            if r != col and rows[r][col]:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return tuple(row[n] for row in rows)


# In plain words, for people; ordered so the conditions that fail most often come first,
# and a failing design is found after few decodes.
CONDITIONS: dict[str, Condition] = {
    "seen at a slant (mild perspective tilt)": _tilted,
    "printed small (at the smallest module size)": _as_is,
    "slightly out of focus (blur)": _blurred,
    "held at a 10° angle (rotation)": _rotated,
    "in dim light with sensor noise (low contrast)": _dimmed,
    "sent as a low-quality JPEG photo": _jpeg,
}
