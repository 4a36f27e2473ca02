"""The scans chart as an image: a series of (bucket, scans, unique) drawn as SVG, and the
same SVG as PNG. Pure, like the code writers: numbers in, bytes out.

Drawn by hand rather than with a plotting library: one bar per bucket for scans, a line for
uniques, a few ticks; the SVG is small enough to inline in an e-mail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

import cairosvg

WIDTH, HEIGHT = 800, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 40, 44
BAR = "#2753c9"
LINE = "#e07a10"
INK = "#1d2330"
MUTED = "#6b7384"
GRID = "#e3e6ec"
MAX_LABELS = 8


@dataclass(frozen=True)
class ChartPoint:
    bucket: datetime
    scans: int
    unique: int


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^n at or above `value` (at least 1): round axis tops."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if step * top >= value:
                return step * top
        top *= 10


def _label(moment: datetime, interval: str) -> str:
    if interval == "HOUR":
        return moment.strftime("%d %b %H:00")
    if interval == "MONTH":
        return moment.strftime("%b %Y")
    return moment.strftime("%d %b")


def chart_svg(points: Sequence[ChartPoint], interval: str, title: str) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_ceiling(max((p.scans for p in points), default=0))
    total = sum(p.scans for p in points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="DejaVu Sans, Arial, sans-serif">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="24" font-size="15" font-weight="bold" fill="{INK}">'
        f"{escape(title)}</text>",
        f'<text x="{WIDTH - RIGHT}" y="24" font-size="12" text-anchor="end" fill="{MUTED}">'
        f'{total} scan{"" if total == 1 else "s"} · <tspan fill="{BAR}">■</tspan> scans '
        f'<tspan fill="{LINE}">━</tspan> unique</text>',
    ]
    # Whole numbers on the axis: a top of 1 or 2 gets that many steps, any larger top
    # (5, 10, 20, 50, …) five, which divide it.
    steps = top if top < 5 else 5
    for i in range(steps + 1):  # horizontal grid and its values
        value = top * i // steps
        y = TOP + plot_h - plot_h * i / steps
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="{MUTED}">{value}</text>'
        )
    if points:
        slot = plot_w / len(points)
        bar_w = max(slot * 0.7, 1.0)
        line = []
        for i, point in enumerate(points):
            x = LEFT + slot * i
            h = plot_h * point.scans / top
            if point.scans:
                parts.append(
                    f'<rect x="{x + (slot - bar_w) / 2:.1f}" y="{TOP + plot_h - h:.1f}" '
                    f'width="{bar_w:.1f}" height="{h:.1f}" fill="{BAR}"/>'
                )
            line.append(f"{x + slot / 2:.1f},{TOP + plot_h - plot_h * point.unique / top:.1f}")
        parts.append(
            f'<polyline points="{" ".join(line)}" fill="none" stroke="{LINE}" stroke-width="2"/>'
        )
        every = max(1, -(-len(points) // MAX_LABELS))
        for i in range(0, len(points), every):
            x = LEFT + slot * i + slot / 2
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" font-size="11" '
                f'text-anchor="middle" fill="{MUTED}">{_label(points[i].bucket, interval)}</text>'
            )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        f'stroke="{MUTED}"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def chart_png(svg: str) -> bytes:
    png: bytes = cairosvg.svg2png(bytestring=svg.encode())
    return png
