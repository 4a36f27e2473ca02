"""From a QR matrix and a style to vector shapes in module units: the one source every writer
(SVG, cairo PNG/JPEG/PDF) draws from, so all formats show the same code.

Coordinates are canvas modules: (0, 0) is the top-left of the quiet zone, y grows downwards.
Shapes are wound clockwise and holes counter-clockwise, so one nonzero fill draws a whole
layer; one fill per layer also means no hairline seams where modules touch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.rendering.style import Style

KAPPA = 0.5522847498  # cubic Bezier handle length for a quarter circle (rounded corners)
FINDER = 7  # finder patterns are 7x7 modules
DOT_RADIUS = 0.45  # dots a little apart read as dots, yet keep ~64% of the dark area
ROUNDED_RADIUS = 0.5
CLASSY_RADIUS = 0.6
LOGO_PADDING = 0.5  # least clear space, in modules, between the logo and the nearest module

# (0, x, y) move, (1, x, y) line, (2, x1, y1, x2, y2, x, y) curve, (3,) close,
# (4, cx, cy, r, direction) a whole circle: +1 clockwise, -1 a hole
Op = tuple[float, ...]
MOVE, LINE, CURVE, CLOSE, CIRCLE = 0, 1, 2, 3, 4


@dataclass
class Path:
    ops: list[Op] = field(default_factory=list)

    def rect(self, x: float, y: float, w: float, h: float) -> None:
        self.ops += [
            (MOVE, x, y),
            (LINE, x + w, y),
            (LINE, x + w, y + h),
            (LINE, x, y + h),
            (CLOSE,),
        ]

    def hole_rect(self, x: float, y: float, w: float, h: float) -> None:
        self.ops += [
            (MOVE, x, y),
            (LINE, x, y + h),
            (LINE, x + w, y + h),
            (LINE, x + w, y),
            (CLOSE,),
        ]

    def circle(self, cx: float, cy: float, r: float, *, hole: bool = False) -> None:
        # One op, not four Beziers: SVG writes two arcs and cairo one call, both faster.
        self.ops.append((CIRCLE, cx, cy, r, -1.0 if hole else 1.0))

    def rounded_rect(
        self, x: float, y: float, w: float, h: float, radii: tuple[float, float, float, float]
    ) -> None:
        """Clockwise; radii are top-left, top-right, bottom-right, bottom-left (0 = sharp)."""
        tl, tr, br, bl = radii
        ops = self.ops
        ops.append((MOVE, x + tl, y))
        ops.append((LINE, x + w - tr, y))
        if tr:
            ops.append(
                (CURVE, x + w - tr * (1 - KAPPA), y, x + w, y + tr * (1 - KAPPA), x + w, y + tr)
            )
        ops.append((LINE, x + w, y + h - br))
        if br:
            ops.append((CURVE, x + w, y + h - br * (1 - KAPPA), x + w - br * (1 - KAPPA), y + h,
                        x + w - br, y + h))  # fmt: skip
        ops.append((LINE, x + bl, y + h))
        if bl:
            ops.append(
                (CURVE, x + bl * (1 - KAPPA), y + h, x, y + h - bl * (1 - KAPPA), x, y + h - bl)
            )
        ops.append((LINE, x, y + tl))
        if tl:
            ops.append((CURVE, x, y + tl * (1 - KAPPA), x + tl * (1 - KAPPA), y, x + tl, y))
        ops.append((CLOSE,))

    def hole_rounded_rect(self, x: float, y: float, w: float, h: float, r: float) -> None:
        """The same rounded square wound counter-clockwise, to cut a ring."""
        c = r * (1 - KAPPA)
        self.ops += [
            (MOVE, x + r, y),
            (CURVE, x + c, y, x, y + c, x, y + r),
            (LINE, x, y + h - r),
            (CURVE, x, y + h - c, x + c, y + h, x + r, y + h),
            (LINE, x + w - r, y + h),
            (CURVE, x + w - c, y + h, x + w, y + h - c, x + w, y + h - r),
            (LINE, x + w, y + r),
            (CURVE, x + w, y + c, x + w - c, y, x + w - r, y),
            (CLOSE,),
        ]


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    size: float


@dataclass
class Scene:
    """Everything to draw, in canvas modules; `total` modules per side including quiet zone."""

    total: int
    symbol: Box  # the code without its quiet zone: where gradients span
    modules: Path
    finders: Path
    logo: Box | None = None  # where the logo image goes (fit inside, aspect kept)
    cleared: Box | None = None  # the padded plate left empty around the logo
    hidden_modules: int = 0  # modules removed for the logo (dark and light)


def finder_origins(width: int) -> tuple[tuple[int, int], ...]:
    return ((0, 0), (width - FINDER, 0), (0, width - FINDER))


def in_finder(row: int, col: int, width: int) -> bool:
    far = width - FINDER
    return (row < FINDER and (col < FINDER or col >= far)) or (col < FINDER and row >= far)


def logo_boxes(width: int, margin: int, fraction: float) -> tuple[Box, Box, int]:
    """The cleared plate (an odd number of whole modules, nearest to `fraction` of the width)
    and the logo box inside it, one padding smaller on each side.

    Whole modules keep every remaining module intact; an odd side keeps the plate centred on
    the (always odd) symbol grid. The plate is what the error-correction budget pays for.
    """
    cleared = max(1, 2 * round((fraction * width - 1) / 2) + 1)
    start = (width - cleared) // 2
    pad = max(LOGO_PADDING, cleared * 0.1)
    return (
        Box(margin + start + pad, margin + start + pad, max(cleared - 2 * pad, 0.5)),
        Box(margin + start, margin + start, cleared),
        start,
    )


def build_scene(matrix: Sequence[Sequence[int]], style: Style) -> Scene:
    width = len(matrix)
    m = style.margin
    dark = [[bool(v) for v in row] for row in matrix]
    for r in range(width):
        for c in range(width):
            if in_finder(r, c, width):
                dark[r][c] = False  # eyes are drawn whole, separately

    logo_box = cleared_box = None
    hidden = 0
    if style.logo is not None:
        logo_box, cleared_box, start = logo_boxes(width, m, style.logo.size)
        if style.logo.hide_background_modules:
            end = start + int(cleared_box.size)
            for r in range(max(start, 0), min(end, width)):
                for c in range(max(start, 0), min(end, width)):
                    if not in_finder(r, c, width):
                        dark[r][c] = False
                        hidden += 1
        else:
            cleared_box = None

    modules = Path()
    _SHAPES[style.module_shape](modules, dark, m)
    finders = Path()
    for r0, c0 in finder_origins(width):
        _eye(finders, style.finder_shape, c0 + m, r0 + m)
    return Scene(
        total=width + 2 * m,
        symbol=Box(m, m, width),
        modules=modules,
        finders=finders,
        logo=logo_box,
        cleared=cleared_box,
        hidden_modules=hidden,
    )


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


def _squares(path: Path, dark: list[list[bool]], m: int) -> None:
    for r, row in enumerate(dark):
        for s, e in _runs(row):
            path.rect(s + m, r + m, e - s, 1)


def _rounded(path: Path, dark: list[list[bool]], m: int, *, classy: bool = False) -> None:
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
            path.rounded_rect(s + m, r + m, e - s, 1, radii)


def _classy(path: Path, dark: list[list[bool]], m: int) -> None:
    _rounded(path, dark, m, classy=True)


def _dots(path: Path, dark: list[list[bool]], m: int) -> None:
    for r, row in enumerate(dark):
        for c, v in enumerate(row):
            if v:
                path.circle(c + m + 0.5, r + m + 0.5, DOT_RADIUS)


_SHAPES = {
    "SQUARE": _squares,
    "ROUNDED": _rounded,
    "CLASSY": _classy,
    "DOTS": _dots,
}


def _eye(path: Path, shape: str, x: float, y: float) -> None:
    """A finder pattern: a 7x7 ring one module thick and a 3x3 pupil."""
    if shape == "DOT":
        path.circle(x + 3.5, y + 3.5, 3.5)
        path.circle(x + 3.5, y + 3.5, 2.5, hole=True)
        path.circle(x + 3.5, y + 3.5, 1.5)
    elif shape == "ROUNDED":
        path.rounded_rect(x, y, 7, 7, (2.0, 2.0, 2.0, 2.0))
        path.hole_rounded_rect(x + 1, y + 1, 5, 5, 1.0)  # outer radius - ring width
        path.rounded_rect(x + 2, y + 2, 3, 3, (0.9, 0.9, 0.9, 0.9))
    else:
        path.rect(x, y, 7, 7)
        path.hole_rect(x + 1, y + 1, 5, 5)
        path.rect(x + 2, y + 2, 3, 3)
