"""From a QR matrix and a style to vector shapes in module units: the one source every writer
(SVG, cairo PNG/JPEG/PDF) draws from, so all formats show the same code.

Coordinates are canvas modules: (0, 0) is the top-left of the quiet zone, y grows downwards.
Shapes are wound clockwise and holes counter-clockwise, so one nonzero fill draws a whole
layer; one fill per layer also means no hairline seams where modules touch.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from app.rendering.frames import frame_layout
from app.rendering.paths import CIRCLE, CLOSE, CURVE, KAPPA, LINE, MOVE, Box, Op, Path
from app.rendering.style import Style

__all__ = ["CIRCLE", "CLOSE", "CURVE", "KAPPA", "LINE", "MOVE", "Box", "Op", "Path", "Scene"]

FINDER = 7  # finder patterns are 7x7 modules
DOT_RADIUS = 0.45  # dots a little apart read as dots, yet keep ~64% of the dark area
ROUNDED_RADIUS = 0.5
CLASSY_RADIUS = 0.6
CIRCLE_GAP = 2  # light modules between the symbol and a CIRCLE code's decoration
CIRCLE_FILL = 0.5  # share of decorative cells that are dark: as dense as a QR code's data
RING_OUTSIDE = 1.2  # modules between the disc's edge and the outside of the closing ring
RING_WIDTH = 0.6


@dataclass
class Scene:
    """Everything to draw, in canvas modules; `total` modules per side, quiet zone and frame
    included."""

    total: int
    symbol: Box  # the QR symbol itself, without quiet zone
    modules: Path
    finders: Path  # the finders' outer rings
    pupils: Path  # the finders' 3x3 centres
    paint: Box  # where the code's gradient spans: the symbol, or the circle of a CIRCLE code
    logo: Box | None = None  # where the logo image goes (fit inside, aspect kept)
    cleared: Box | None = None  # the plate left empty around the logo
    hidden_modules: int = 0  # modules removed for the logo (dark and light)
    frame: Path | None = None  # the frame's border and band, in the frame's colour
    caption: Path | None = None  # the frame's text, in its text colour


def finder_origins(width: int) -> tuple[tuple[int, int], ...]:
    return ((0, 0), (width - FINDER, 0), (0, width - FINDER))


def in_finder(row: int, col: int, width: int) -> bool:
    far = width - FINDER
    return (row < FINDER and (col < FINDER or col >= far)) or (col < FINDER and row >= far)


def logo_boxes(width: int, fraction: float, margin: float) -> tuple[Box, Box, int]:
    """The logo box (exactly `fraction` of the symbol's width) and the plate cleared for it
    (the logo plus `margin` modules each side, widened to an odd number of whole modules),
    both relative to the symbol's top-left, and the plate's first row/column.

    Whole modules keep every remaining module intact; an odd side keeps the plate centred on
    the (always odd) symbol grid. The plate is what the error-correction budget pays for.
    """
    side = fraction * width
    cleared = math.ceil(side + 2 * margin - 1e-9)
    cleared = min(cleared + (cleared % 2 == 0), width)
    start = (width - cleared) // 2
    at = (width - side) / 2
    return Box(at, at, side), Box(start, start, cleared), start


def build_scene(matrix: Sequence[Sequence[int]], style: Style) -> Scene:
    width = len(matrix)
    dark = [[bool(v) for v in row] for row in matrix]
    for r in range(width):
        for c in range(width):
            if in_finder(r, c, width):
                dark[r][c] = False  # eyes are drawn whole, separately

    logo_box = cleared_box = None
    hidden = 0
    if style.logo is not None:
        logo_box, cleared_box, start = logo_boxes(width, style.logo.size, style.logo.margin)
        if style.logo.hide_background_modules:
            end = start + int(cleared_box.size)
            for r in range(max(start, 0), min(end, width)):
                for c in range(max(start, 0), min(end, width)):
                    if not in_finder(r, c, width):
                        dark[r][c] = False
                        hidden += 1
        else:
            cleared_box = None

    grid, inset = circle_grid(dark) if style.shape == "CIRCLE" else (dark, 0)
    code_side = len(grid) + 2 * style.margin
    layout = frame_layout(style.frame, code_side)
    gx, gy = layout.code_x + style.margin, layout.code_y + style.margin  # the grid's origin
    sx, sy = gx + inset, gy + inset  # the symbol's origin

    modules = Path()
    _SHAPES[style.module_shape](modules, grid, gx, gy)
    if style.shape == "CIRCLE":
        _circle_ring(modules, gx + len(grid) / 2, gy + len(grid) / 2, len(grid))
    finders, pupils = Path(), Path()
    for r0, c0 in finder_origins(width):
        _ring(finders, style.finder_shape, c0 + sx, r0 + sy)
        _pupil(pupils, style.pupil_shape, c0 + sx, r0 + sy)

    def moved(box: Box | None) -> Box | None:
        return None if box is None else Box(box.x + sx, box.y + sy, box.size)

    return Scene(
        total=layout.total,
        symbol=Box(sx, sy, width),
        modules=modules,
        finders=finders,
        pupils=pupils,
        paint=Box(gx, gy, len(grid)),
        logo=moved(logo_box),
        cleared=moved(cleared_box),
        hidden_modules=hidden,
        frame=layout.frame,
        caption=layout.caption,
    )


def circle_grid(dark: list[list[bool]]) -> tuple[list[list[bool]], int]:
    """The symbol set in the middle of a disc of decorative modules: the disc's edge passes
    just outside the finders' outer corners, and no decoration comes nearer to the symbol
    than CIRCLE_GAP modules, so the symbol keeps a quiet zone of its own. The decoration is
    the same for every code of a version (seeded by the width), so a reprint matches."""
    width = len(dark)
    radius = width / math.sqrt(2) + 0.5
    side = math.ceil(2 * (radius + RING_OUTSIDE))
    side += (side - width) % 2  # symbol centred on whole modules
    inset = (side - width) // 2
    grid = [[False] * side for _ in range(side)]
    rng = random.Random(width)
    centre = (side - 1) / 2
    lo, hi = inset - CIRCLE_GAP, inset + width + CIRCLE_GAP
    for r in range(side):
        for c in range(side):
            if lo <= r < hi and lo <= c < hi:
                continue
            near = math.hypot(r - centre, c - centre) <= radius - 0.5
            grid[r][c] = near and rng.random() < CIRCLE_FILL
    for r in range(width):
        grid[r + inset][inset : inset + width] = dark[r]
    return grid, inset


def _circle_ring(path: Path, cx: float, cy: float, side: int) -> None:
    """A thin ring closing the disc, so the decoration reads as a circle, not as noise."""
    outer = side / 2 - 0.1
    path.circle(cx, cy, outer)
    path.circle(cx, cy, outer - RING_WIDTH, hole=True)


def _runs(row: list[bool]) -> list[tuple[int, int]]:
    """(start, end) of each horizontal run of dark modules, end exclusive."""
    runs = []
    c, n = 0, len(row)
    while c < n:
        if row[c]:
            s = c
            while c < n and row[c]:
                c += 1
            runs.append((s, c))
        c += 1
    return runs


def _squares(path: Path, dark: list[list[bool]], x: float, y: float) -> None:
    for r, row in enumerate(dark):
        for s, e in _runs(row):
            path.rect(s + x, r + y, e - s, 1)


def _rounded(
    path: Path, dark: list[list[bool]], x: float, y: float, *, classy: bool = False
) -> None:
    """A run's outer corners round where nothing dark touches them, so touching modules merge
    into one blob; inside a run no corner is ever exposed."""
    n = len(dark)
    blank = [False] * n
    for r, row in enumerate(dark):
        up = dark[r - 1] if r else blank
        down = dark[r + 1] if r + 1 < n else blank
        for s, e in _runs(row):
            last = e - 1
            if classy:
                radii = (
                    0.0 if up[s] else CLASSY_RADIUS,
                    0.0,
                    0.0 if down[last] else CLASSY_RADIUS,
                    0.0,
                )
            else:
                q = ROUNDED_RADIUS
                radii = (
                    0.0 if up[s] else q,
                    0.0 if up[last] else q,
                    0.0 if down[last] else q,
                    0.0 if down[s] else q,
                )
            path.rounded_rect(s + x, r + y, e - s, 1, radii)


def _classy(path: Path, dark: list[list[bool]], x: float, y: float) -> None:
    _rounded(path, dark, x, y, classy=True)


def _dots(path: Path, dark: list[list[bool]], x: float, y: float) -> None:
    for r, row in enumerate(dark):
        for c, v in enumerate(row):
            if v:
                path.circle(c + x + 0.5, r + y + 0.5, DOT_RADIUS)


_SHAPES = {
    "SQUARE": _squares,
    "ROUNDED": _rounded,
    "CLASSY": _classy,
    "DOTS": _dots,
}


def _ring(path: Path, shape: str, x: float, y: float) -> None:
    """A finder's outer ring: 7x7, one module thick."""
    if shape == "DOT":
        path.circle(x + 3.5, y + 3.5, 3.5)
        path.circle(x + 3.5, y + 3.5, 2.5, hole=True)
    elif shape == "ROUNDED":
        path.rounded_rect(x, y, 7, 7, (2.0, 2.0, 2.0, 2.0))
        path.hole_rounded_rect(x + 1, y + 1, 5, 5, 1.0)  # outer radius - ring width
    else:
        path.rect(x, y, 7, 7)
        path.hole_rect(x + 1, y + 1, 5, 5)


def _pupil(path: Path, shape: str, x: float, y: float) -> None:
    """A finder's 3x3 centre."""
    if shape == "DOT":
        path.circle(x + 3.5, y + 3.5, 1.5)
    elif shape == "ROUNDED":
        path.rounded_rect(x + 2, y + 2, 3, 3, (0.9, 0.9, 0.9, 0.9))
    else:
        path.rect(x + 2, y + 2, 3, 3)
