"""Frame captions as outlines drawn from the font shipped in the package.

Text becomes path operations like every other shape, so an SVG, a PNG and a PDF show the
same letters on every machine, with no font lookup at render time. The font is DejaVu Sans
Bold (free licence in fonts/LICENSE-DejaVu.txt), subset to Latin, Greek, Cyrillic and common
punctuation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path as FilePath
from typing import Any

from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont

from app.rendering.paths import CLOSE, CURVE, LINE, MOVE, Op, Path

FONT_FILE = FilePath(__file__).parent / "fonts" / "DejaVuSans-Bold.ttf"


@dataclass(frozen=True)
class Font:
    glyphs: Any  # the glyph set
    cmap: dict[int, str]
    advances: dict[str, int]
    units_per_em: int
    cap_height: int


@cache
def font() -> Font:
    tt = TTFont(FONT_FILE, lazy=False)
    hmtx = tt["hmtx"].metrics
    return Font(
        glyphs=tt.getGlyphSet(),
        cmap=tt.getBestCmap(),
        advances={name: advance for name, (advance, _) in hmtx.items()},
        units_per_em=tt["head"].unitsPerEm,
        cap_height=getattr(tt["OS/2"], "sCapHeight", 0) or int(tt["head"].unitsPerEm * 0.73),
    )


def missing_characters(text: str) -> list[str]:
    """Characters the bundled font cannot draw (they would come out as boxes)."""
    cmap = font().cmap
    return sorted({ch for ch in text if ord(ch) not in cmap and not ch.isspace()})


class _OpsPen(BasePen):
    """Glyph outlines in font units (y up) as our ops at an offset and scale (y down)."""

    def __init__(self, glyphs: Any, ops: list[Op], x: float, y: float, scale: float):
        super().__init__(glyphs)
        self.ops, self.x, self.y, self.scale = ops, x, y, scale

    def _p(self, pt: tuple[float, float]) -> tuple[float, float]:
        return self.x + pt[0] * self.scale, self.y - pt[1] * self.scale

    def _moveTo(self, pt: tuple[float, float]) -> None:  # noqa: N802 -- fontTools' names
        self.ops.append((MOVE, *self._p(pt)))

    def _lineTo(self, pt: tuple[float, float]) -> None:  # noqa: N802
        self.ops.append((LINE, *self._p(pt)))

    def _curveToOne(  # noqa: N802
        self, p1: tuple[float, float], p2: tuple[float, float], p3: tuple[float, float]
    ) -> None:
        self.ops.append((CURVE, *self._p(p1), *self._p(p2), *self._p(p3)))

    def _closePath(self) -> None:  # noqa: N802
        self.ops.append((CLOSE,))

    _endPath = _closePath  # noqa: N815


def text_width(text: str) -> float:
    """Advance width of `text` in em."""
    f = font()
    notdef = f.advances.get(".notdef", f.units_per_em // 2)
    total = sum(f.advances.get(f.cmap.get(ord(ch), ".notdef"), notdef) for ch in text)
    return total / f.units_per_em


def text_path(text: str, cx: float, baseline: float, em: float) -> Path:
    """`text` centred on `cx`, its baseline at `baseline`, `em` canvas modules per em.

    TrueType outlines wind outer contours clockwise in y-up units: flipped to y-down they
    come out counter-clockwise, holes clockwise, which fills the same under nonzero."""
    f = font()
    scale = em / f.units_per_em
    x = cx - text_width(text) * em / 2
    path = Path()
    for ch in text:
        name = f.cmap.get(ord(ch), ".notdef")
        pen = _OpsPen(f.glyphs, path.ops, x, baseline, scale)
        f.glyphs[name].draw(pen)
        x += f.advances.get(name, 0) * scale
    return path


def cap_height() -> float:
    """Height of a capital letter in em."""
    f = font()
    return f.cap_height / f.units_per_em
