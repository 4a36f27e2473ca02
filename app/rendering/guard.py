"""The measured half of the scannability check: render the code, put it through what print
and a phone camera do to it (`camera.CONDITIONS`), and decode each result with zxing-cpp.

A design passes when every condition decodes to exactly its payload at some module size
from MAX_MODULE_PX down; the smallest size at which it and every larger one passed is its
`min_module_px`, and from it the smallest print width follows by the phone-camera rule:

    a phone 15 cm from a print sees about 6 camera pixels per millimetre (a 1280-pixel
    preview frame across a 21 cm field of view), so a module needs min_module_px / 6 mm
    and the code needs its width in modules (quiet zone and frame included) times that.

A design that fails a condition at every size is refused, naming the condition and a fix.

Verdicts are by style and payload shape (version and error correction), measured on the
payload and two stand-in texts of its length (all three must pass; the largest module size
any needed counts), so a verdict holds for the shape rather than for one lucky payload;
they are cached per process, so a bulk job of 10,000 codes of one design checks it once.
The cache holds verdicts only, never images.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import string
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import zxingcpp
from PIL import Image

from app.errors import InvalidInput, Problem
from app.rendering.camera import CONDITIONS
from app.rendering.geometry import Scene
from app.rendering.logo import LogoImage
from app.rendering.style import Style
from app.rendering.vector import render_raster

NOT_SCANNABLE = "NOT_SCANNABLE"
MIN_MODULE_PX = 2  # the renderer's floor: a module narrower than 2 px blurs into the next
MAX_MODULE_PX = 4  # a design that needs more than this is refused, not printed huge
CAMERA_PX_PER_MM = 6.0  # see the module docstring
CACHE_SIZE = 4096
STAND_INS = 2  # texts like the payload a verdict is also measured on
FORMAT = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
BINARIZERS = (zxingcpp.Binarizer.LocalAverage, zxingcpp.Binarizer.GlobalHistogram)


@dataclass(frozen=True)
class Scannability:
    """The guard's verdict, as the API shows it."""

    conditions: tuple[str, ...]  # every condition checked, in plain words
    passed: bool
    min_module_px: int
    min_print_size_mm: float
    warnings: tuple[str, ...] = ()

    def with_warnings(self, warnings: tuple[str, ...]) -> Scannability:
        return Scannability(
            self.conditions, self.passed, self.min_module_px, self.min_print_size_mm,
            (*warnings, *self.warnings),
        )  # fmt: skip


@dataclass(frozen=True)
class _Failure:
    condition: str
    module_px: int


_cache: OrderedDict[str, Scannability | _Failure] = OrderedDict()


def cache_key(style: Style, version: int, level: str) -> str:
    look = style.to_dict()
    look["size"] = None  # the guard renders at its own sizes
    material = json.dumps([look, version, level], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()


# A text laid out in the style: (what to draw, version, error correction level).
Layout = Callable[[str], tuple[Scene, int, str]]


def stand_ins(text: str) -> list[str]:
    """Texts of the same shape as `text`: its length, each ASCII letter or digit replaced by
    another of its kind (seeded by the length). The verdict measured on them is the design's
    at this density, the same in every process whichever code of the shape came first."""
    texts = []
    for seed in range(STAND_INS):
        rng = random.Random(f"{len(text)}:{seed}")
        texts.append("".join(_like(c, rng) for c in text))
    return texts


def _like(c: str, rng: random.Random) -> str:
    for kind in (string.ascii_uppercase, string.ascii_lowercase, string.digits):
        if c in kind:
            return rng.choice(kind)
    return c


def assess(
    text: str, style: Style, layout: Layout, version: int, level: str, logo: LogoImage | None
) -> Scannability:
    """The verdict for codes of `text`'s shape in `style`, or InvalidInput naming what
    failed. Measured on the text and its stand-ins (see `stand_ins`), and cached."""
    key = cache_key(style, version, level)
    verdict = _cache.get(key)
    if verdict is None:
        for stand_in in (text, *stand_ins(text)):
            scene, v, lv = layout(stand_in)
            if (v, lv) != (version, level):  # another shape after all: the text itself
                stand_in, (scene, _, _) = text, layout(text)
            found = measure(stand_in, style, scene, logo)
            if verdict is None or isinstance(found, _Failure):
                verdict = found
            elif isinstance(verdict, Scannability) and found.min_module_px > verdict.min_module_px:
                verdict = found  # the largest module size any of them needed
            if isinstance(found, _Failure):
                break
        assert verdict is not None
        _cache[key] = verdict
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    if isinstance(verdict, _Failure):
        raise InvalidInput([refusal(verdict, style)])
    return verdict


def decodes(image: Image.Image, text: str) -> bool:
    """zxing-cpp with its two usual binarizers, as a phone app tries more than one frame:
    the local one alone misses plain codes seen at a slant at small sizes."""
    return any(
        [r.text for r in zxingcpp.read_barcodes(image, formats=FORMAT, binarizer=b)] == [text]
        for b in BINARIZERS
    )


def measure(
    text: str, style: Style, scene: Scene, logo: LogoImage | None
) -> Scannability | _Failure:
    """Uncached: every condition from the largest module size down, stopping at the first
    size where one fails. Each size is the renderer's own output at that many pixels per
    module (anti-aliased, as a sensor averages a module's light)."""
    smallest: int | None = None
    for px in range(MAX_MODULE_PX, MIN_MODULE_PX - 1, -1):
        seen = camera_view(scene, style, px, logo)
        failed = next(
            (name for name, cond in CONDITIONS.items() if not decodes(cond(seen, px), text)),
            None,
        )
        if failed is not None:
            if smallest is None:
                return _Failure(failed, px)
            break
        smallest = px
    assert smallest is not None
    width_mm = scene.total * smallest / CAMERA_PX_PER_MM
    return Scannability(
        conditions=tuple(CONDITIONS),
        passed=True,
        min_module_px=smallest,
        min_print_size_mm=math.ceil(width_mm * 10) / 10,
        warnings=_warnings(style, smallest),
    )


def camera_view(scene: Scene, style: Style, px: int, logo: LogoImage | None) -> Image.Image:
    """The code at `px` pixels a module, on white paper, in grey: what a camera records."""
    image = render_raster(scene, style, scene.total * px, logo)
    paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return Image.alpha_composite(paper, image).convert("L")


def _warnings(style: Style, smallest: int) -> tuple[str, ...]:
    found = []
    if smallest > MIN_MODULE_PX:
        found.append(
            f"this design needs {smallest} px a module on screen and prints "
            f"{smallest / MIN_MODULE_PX:g}x as large as a plain code"
        )
    if style.frame is not None:
        found.append("the smallest print width includes the frame")
    return tuple(found)


def _fixes(style: Style) -> list[str]:
    fixes = []
    if "DOT" in (style.finder_shape, style.pupil_shape):
        fixes.append("SQUARE or ROUNDED finders")
    if style.module_shape in ("DOTS", "CLASSY"):
        fixes.append("SQUARE or ROUNDED modules")
    if style.logo is not None:
        fixes.append("a smaller logo")
    if style.error_correction != "H":
        fixes.append("a higher error correction")
    if style.shape == "CIRCLE":
        fixes.append("the SQUARE shape")
    return fixes or ["shorter content (fewer, bigger modules)"]


def refusal(failure: _Failure, style: Style) -> Problem:
    if failure.module_px > MAX_MODULE_PX:
        what = f"this design does not scan even {failure.condition}"
    else:
        what = f"this design does not scan at {failure.module_px} px a module when " + (
            failure.condition
        )
    return Problem(NOT_SCANNABLE, f"{what}; try {' or '.join(_fixes(style))}", ("style",))


def clear_cache() -> None:
    _cache.clear()
