"""Vector paths in canvas-module units: the one drawing language every writer replays."""

from __future__ import annotations

from dataclasses import dataclass, field

KAPPA = 0.5522847498  # cubic Bezier handle length for a quarter circle (rounded corners)
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
