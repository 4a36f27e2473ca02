"""SVG writer: one merged `<path>` per layer, in module units under a viewBox."""

from __future__ import annotations

import base64
import io
import math

from app.rendering import colors
from app.rendering.cutout import clear_background
from app.rendering.geometry import CIRCLE, CLOSE, CURVE, LINE, MOVE, Box, Path, Scene
from app.rendering.logo import LogoImage, rasterize
from app.rendering.style import Gradient, Style

CUTOUT_SCALE = 2  # the cut-out logo is embedded at twice its pixels at the SVG's own size


def gradient_line(gradient: Gradient, box: Box) -> tuple[float, float, float, float]:
    """Linear: from-to points, CSS-like, so the first and last stop land on the box corners.
    Radial: centre and the half diagonal as radius (x, y, r, 0)."""
    cx, cy = box.x + box.size / 2, box.y + box.size / 2
    if gradient.type == "RADIAL":
        return cx, cy, box.size / math.sqrt(2), 0.0
    theta = math.radians(gradient.rotation)
    ux, uy = math.cos(theta), math.sin(theta)
    half = (abs(ux) + abs(uy)) * box.size / 2
    return cx - half * ux, cy - half * uy, cx + half * ux, cy + half * uy


def _num(v: float) -> str:
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def path_data(path: Path) -> str:
    """Absolute moves, relative everything else: short, and exact to 1/1000 of a module."""
    out: list[str] = []
    x = y = 0.0
    for op in path.ops:
        kind = op[0]
        if kind == MOVE:
            x, y = op[1], op[2]
            out.append(f"M{_num(x)} {_num(y)}")
        elif kind == LINE:
            dx, dy = op[1] - x, op[2] - y
            if abs(dy) < 1e-9:
                out.append(f"h{_num(dx)}")
            elif abs(dx) < 1e-9:
                out.append(f"v{_num(dy)}")
            else:
                out.append(f"l{_num(dx)} {_num(dy)}")
            x, y = op[1], op[2]
        elif kind == CURVE:
            rel = (op[1] - x, op[2] - y, op[3] - x, op[4] - y, op[5] - x, op[6] - y)
            out.append("c" + " ".join(_num(v) for v in rel))
            x, y = op[5], op[6]
        elif kind == CLOSE:
            out.append("z")
        elif kind == CIRCLE:
            cx, cy, r, sweep = op[1], op[2], op[3], 1 if op[4] > 0 else 0
            x, y = cx + r, cy
            arc = f"a{_num(r)} {_num(r)} 0 1 {sweep}"
            out.append(f"M{_num(x)} {_num(cy)}{arc} {_num(-2 * r)} 0{arc} {_num(2 * r)} 0z")
    return "".join(out).replace(" -", "-")


def _fill(color: str) -> str:
    r, g, b, a = colors.rgba(color)
    fill = f'fill="#{r:02X}{g:02X}{b:02X}"'
    return fill if a == 255 else f'{fill} fill-opacity="{_num(a / 255)}"'


def _gradient_def(gradient: Gradient, box: Box, gid: str = "g") -> str:
    a, b, c, d = gradient_line(gradient, box)
    stops = []
    for stop in gradient.stops:
        r, g, bl, al = colors.rgba(stop.color)
        opacity = "" if al == 255 else f' stop-opacity="{_num(al / 255)}"'
        stops.append(
            f'<stop offset="{_num(stop.offset)}" stop-color="#{r:02X}{g:02X}{bl:02X}"{opacity}/>'
        )
    if gradient.type == "RADIAL":
        head = f'<radialGradient id="{gid}" gradientUnits="userSpaceOnUse" cx="{_num(a)}" ' \
            f'cy="{_num(b)}" r="{_num(c)}">'  # fmt: skip
        return head + "".join(stops) + "</radialGradient>"
    head = f'<linearGradient id="{gid}" gradientUnits="userSpaceOnUse" x1="{_num(a)}" ' \
        f'y1="{_num(b)}" x2="{_num(c)}" y2="{_num(d)}">'  # fmt: skip
    return head + "".join(stops) + "</linearGradient>"


def _cut_out(logo: LogoImage, px: int) -> str:
    """The logo without its background, as a PNG: SVG viewers cannot flood-fill."""
    out = io.BytesIO()
    clear_background(rasterize(logo, max(px, 64))).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def write_svg(scene: Scene, style: Style, size: int, logo: LogoImage | None) -> bytes:
    n = scene.total
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{size}" height="{size}" viewBox="0 0 {n} {n}">'
    ]
    defs = []
    if style.gradient is not None:
        defs.append(_gradient_def(style.gradient, scene.paint))
        code_fill = 'fill="url(#g)"'
    else:
        code_fill = _fill(style.foreground)
    if style.background_gradient is not None:
        defs.append(_gradient_def(style.background_gradient, Box(0, 0, n), "bg"))
    if defs:
        parts.append("<defs>" + "".join(defs) + "</defs>")
    if style.background_gradient is not None:
        parts.append(f'<rect width="{n}" height="{n}" fill="url(#bg)"/>')
    elif colors.rgba(style.background)[3]:
        parts.append(f'<rect width="{n}" height="{n}" {_fill(style.background)}/>')
    if style.frame is not None and scene.frame is not None:
        parts.append(f'<path {_fill(style.frame.color)} d="{path_data(scene.frame)}"/>')
        if scene.caption is not None:
            caption = path_data(scene.caption)
            parts.append(f'<path {_fill(style.frame.text_color)} d="{caption}"/>')
    if scene.modules.ops:
        parts.append(f'<path {code_fill} d="{path_data(scene.modules)}"/>')
    finder_fill = _fill(style.finder_color) if style.finder_color else code_fill
    pupil_fill = _fill(style.inner_finder_color) if style.inner_finder_color else finder_fill
    if pupil_fill == finder_fill:  # one layer: rings and centres together
        parts.append(
            f'<path {finder_fill} d="{path_data(scene.finders)}{path_data(scene.pupils)}"/>'
        )
    else:
        parts.append(f'<path {finder_fill} d="{path_data(scene.finders)}"/>')
        parts.append(f'<path {pupil_fill} d="{path_data(scene.pupils)}"/>')
    if logo is not None and scene.logo is not None:
        box = scene.logo
        href = logo.data_uri
        if style.logo is not None and style.logo.remove_background:
            href = _cut_out(logo, round(box.size / n * size * CUTOUT_SCALE))
        parts.append(
            f'<image x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.size)}" '
            f'height="{_num(box.size)}" preserveAspectRatio="xMidYMid meet" '
            f'xlink:href="{href}"/>'
        )
    parts.append("</svg>\n")
    return "".join(parts).encode()
