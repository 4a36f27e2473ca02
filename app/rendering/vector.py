"""Cairo writer for styled codes: anti-aliased PNG/JPEG and true-vector PDF from one drawing."""

from __future__ import annotations

import io
import math

import cairocffi as cairo
from PIL import Image

from app.rendering import colors
from app.rendering.cutout import clear_background
from app.rendering.geometry import CIRCLE, CLOSE, CURVE, LINE, MOVE, Box, Path, Scene
from app.rendering.logo import LogoImage, rasterize
from app.rendering.style import Gradient, Style
from app.rendering.svg import gradient_line

PDF_POINTS_PER_PX = 0.75  # size is in CSS pixels (1/96 in); PDF user units are 1/72 in
PDF_LOGO_PX = 1024  # raster logos are embedded at up to this many pixels in a PDF


def _replay(ctx: cairo.Context, path: Path) -> None:
    # Straight into libcairo: cairocffi's wrappers check the status after every call, which
    # costs more than drawing; a path op cannot fail, and fill() checks the status anyway.
    lib, ptr = cairo.cairo, ctx._pointer
    move, line, curve, close = (
        lib.cairo_move_to,
        lib.cairo_line_to,
        lib.cairo_curve_to,
        lib.cairo_close_path,
    )
    sub, arc, arc_negative = lib.cairo_new_sub_path, lib.cairo_arc, lib.cairo_arc_negative
    tau = 2 * math.pi
    for op in path.ops:
        kind = op[0]
        if kind == CIRCLE:
            sub(ptr)
            (arc if op[4] > 0 else arc_negative)(
                ptr, op[1], op[2], op[3], 0, tau if op[4] > 0 else -tau
            )
            close(ptr)
        elif kind == LINE:
            line(ptr, op[1], op[2])
        elif kind == CURVE:
            curve(ptr, op[1], op[2], op[3], op[4], op[5], op[6])
        elif kind == MOVE:
            move(ptr, op[1], op[2])
        elif kind == CLOSE:
            close(ptr)


def _source(color: str) -> cairo.SolidPattern:
    r, g, b, a = colors.rgba(color)
    return cairo.SolidPattern(r / 255, g / 255, b / 255, a / 255)


def _gradient(gradient: Gradient, box: Box) -> cairo.Gradient:
    a, b, c, d = gradient_line(gradient, box)
    pattern: cairo.Gradient
    if gradient.type == "RADIAL":
        pattern = cairo.RadialGradient(a, b, 0, a, b, c)
    else:
        pattern = cairo.LinearGradient(a, b, c, d)
    for stop in gradient.stops:
        r, g, bl, al = colors.rgba(stop.color)
        pattern.add_color_stop_rgba(stop.offset, r / 255, g / 255, bl / 255, al / 255)
    return pattern


def _code_source(style: Style, scene: Scene) -> cairo.Pattern:
    if style.gradient is None:
        return _source(style.foreground)
    return _gradient(style.gradient, scene.paint)


def _background(ctx: cairo.Context, style: Style, scene: Scene) -> None:
    """Paint the whole canvas; a gradient spans the canvas (in module units)."""
    if style.background_gradient is None:
        ctx.set_source(_source(style.background))
    else:
        ctx.set_source(_gradient(style.background_gradient, Box(0, 0, scene.total)))
    ctx.paint()


def _logo_surface(image: Image.Image) -> cairo.ImageSurface:
    # Little-endian ARGB32 is B, G, R, A in memory, alpha premultiplied: Pillow's "BGRa".
    data = bytearray(image.tobytes("raw", "BGRa"))
    return cairo.ImageSurface.create_for_data(
        data, cairo.FORMAT_ARGB32, image.width, image.height, image.width * 4
    )


def draw(
    ctx: cairo.Context, scene: Scene, style: Style, logo: LogoImage | None, logo_px: int
) -> None:
    """Draw in canvas-module units; the caller has scaled the context."""
    code = _code_source(style, scene)
    ctx.set_fill_rule(cairo.FILL_RULE_WINDING)
    if style.frame is not None and scene.frame is not None:
        _replay(ctx, scene.frame)
        ctx.set_source(_source(style.frame.color))
        ctx.fill()
        if scene.caption is not None:
            _replay(ctx, scene.caption)
            ctx.set_source(_source(style.frame.text_color))
            ctx.fill()
    if scene.modules.ops:
        _replay(ctx, scene.modules)
        ctx.set_source(code)
        ctx.fill()
    finder = _source(style.finder_color) if style.finder_color else code
    _replay(ctx, scene.finders)
    if style.inner_finder_color is not None:
        ctx.set_source(finder)
        ctx.fill()
        ctx.set_source(_source(style.inner_finder_color))
    else:
        ctx.set_source(finder)  # one fill for rings and centres
    _replay(ctx, scene.pupils)
    ctx.fill()
    if logo is not None and scene.logo is not None:
        image = rasterize(logo, logo_px)
        if style.logo is not None and style.logo.remove_background:
            image = clear_background(image)
        box = scene.logo
        scale = box.size / max(image.width, image.height)
        x = box.x + (box.size - image.width * scale) / 2
        y = box.y + (box.size - image.height * scale) / 2
        ctx.save()
        ctx.translate(x, y)
        ctx.scale(scale, scale)
        ctx.set_source_surface(_logo_surface(image), 0, 0)
        ctx.get_source().set_filter(cairo.FILTER_GOOD)
        ctx.paint()
        ctx.restore()


def layout(size: int, total: int) -> tuple[int, int]:
    """Whole pixels per module and the offset that centres the code: crisp module edges;
    the few leftover pixels widen the quiet zone."""
    px = size // total
    return px, (size - px * total) // 2


def render_raster(scene: Scene, style: Style, size: int, logo: LogoImage | None) -> Image.Image:
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, size, size)
    ctx = cairo.Context(surface)
    px, offset = layout(size, scene.total)
    ctx.translate(offset, offset)
    ctx.scale(px, px)
    _background(ctx, style, scene)
    logo_px = round(scene.logo.size * px) if scene.logo else 0
    draw(ctx, scene, style, logo, logo_px)
    surface.flush()
    image = Image.frombuffer(
        "RGBA", (size, size), bytes(surface.get_data()), "raw", "BGRa", surface.get_stride(), 1
    )
    surface.finish()
    return image


def render_pdf(scene: Scene, style: Style, size: int, logo: LogoImage | None) -> bytes:
    points = size * PDF_POINTS_PER_PX
    out = io.BytesIO()
    surface = cairo.PDFSurface(out, points, points)
    ctx = cairo.Context(surface)
    ctx.scale(points / scene.total, points / scene.total)
    ctx.rectangle(0, 0, scene.total, scene.total)
    ctx.clip()
    _background(ctx, style, scene)
    logo_px = PDF_LOGO_PX
    if logo is not None and logo.kind != "svg":
        logo_px = min(PDF_LOGO_PX, max(logo.width, logo.height))
    draw(ctx, scene, style, logo, logo_px)
    surface.finish()
    return out.getvalue()
