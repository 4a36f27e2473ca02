"""Label sheets as PDF: vector codes and their text, a page at a time.

Pages go to the output as each one fills (cairo writes a page's content when the next one
starts), so a 10,000-label sheet never sits in memory whole. The codes are the same vector
drawing as the PDF writer's (`vector.draw`), not images: a printer gets sharp edges at any
resolution.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

import cairocffi as cairo

from app.rendering import scannability
from app.rendering.geometry import build_scene
from app.rendering.labels import LINE_SPACING, SheetLayout
from app.rendering.logo import LogoImage, load_logo, parse_data_uri
from app.rendering.render import encode
from app.rendering.style import Style
from app.rendering.vector import PDF_LOGO_PX, draw

PT_PER_MM = 72 / 25.4
CROP_MARK_MM = 4.0  # long, ending this far from the labels' edge:
CROP_MARK_GAP_MM = 1.0
ELLIPSIS = "…"
MIN_SHRINK = 0.65  # the smallest a line is set to fit, of the label's font size


class SheetWriter:
    """add() one label after another; close() ends the last page. Returns pages written."""

    def __init__(self, target: str | BinaryIO, layout: SheetLayout) -> None:
        self.layout = layout
        stock = layout.stock
        self.surface = cairo.PDFSurface(
            target, stock.page_width * PT_PER_MM, stock.page_height * PT_PER_MM
        )
        self.ctx = cairo.Context(self.surface)
        self.ctx.scale(PT_PER_MM, PT_PER_MM)  # from here on, millimetres
        self.ctx.select_font_face("sans-serif")
        self.count = 0

    def add(
        self,
        text: str,
        style: Style,
        lines: Sequence[str],
        logo: bytes | None = None,
        symbol: tuple[int, str, int] | None = None,
    ) -> None:
        """The next label. `symbol` is the (version, level, mask) the code's image was drawn
        with: the same symbol then, and no mask search (most of the time encoding takes)."""
        slot = self.count % self.layout.per_page
        if slot == 0:
            if self.count:
                self.ctx.show_page()
            if self.layout.crop_marks:
                self._crop_marks()
        self.count += 1
        label = self.layout.label(slot)
        self._code(label.x, label.y, text, style, logo, symbol)
        if lines:
            self._text(label.x, label.y, lines)

    def close(self) -> int:
        pages = -(-self.count // self.layout.per_page)
        self.surface.finish()
        return pages

    def _code(
        self,
        x: float,
        y: float,
        text: str,
        style: Style,
        logo: bytes | None,
        symbol: tuple[int, str, int] | None,
    ) -> None:
        box = self.layout.code_box()
        logo_image = _logo(style, logo)
        if symbol is not None:
            version, level, mask = symbol
            qr = encode(text, level, version=version, mask=mask)
        else:
            qr = encode(text, scannability.logo_level(style))
        scene = build_scene(qr.matrix, style)
        while symbol is None and logo_image is not None and scene.logo is not None:
            # As render() does: a logo too big for this version moves to the next one.
            width = len(qr.matrix)
            if scannability.logo_fits(scene.hidden_modules, width, qr.error.upper()):
                break
            if int(qr.version) == 40:
                raise scannability.logo_too_big(scene.hidden_modules, width, qr.error.upper())
            qr = encode(text, scannability.logo_level(style), version=int(qr.version) + 1)
            scene = build_scene(qr.matrix, style)
        ctx = self.ctx
        ctx.save()
        ctx.translate(x + box.x, y + box.y)
        ctx.rectangle(0, 0, box.width, box.height)
        r, g, b, a = _rgba(style.background)
        ctx.set_source_rgba(r, g, b, a)
        ctx.fill()
        ctx.scale(box.width / scene.total, box.width / scene.total)
        logo_px = PDF_LOGO_PX
        if logo_image is not None and logo_image.kind != "svg":
            logo_px = min(PDF_LOGO_PX, max(logo_image.width, logo_image.height))
        draw(ctx, scene, style, logo_image, logo_px)
        ctx.restore()

    def _text(self, x: float, y: float, lines: Sequence[str]) -> None:
        box, ctx = self.layout.text_box(), self.ctx
        size = self.layout.font_mm
        ctx.set_font_size(size)
        ctx.set_source_rgb(0, 0, 0)
        height = len(lines) * size * LINE_SPACING
        wide = box.height > height and box.y < self.layout.code_box().y + 1e-6
        top = y + box.y + ((box.height - height) / 2 if wide else 0)
        for n, line in enumerate(lines):
            # A line a little too long is set smaller; a much longer one is cut.
            width = ctx.text_extents(line)[4]
            shrink = max(MIN_SHRINK, min(1.0, 0.99 * box.width / width)) if width else 1.0
            ctx.set_font_size(size * shrink)
            fitted = _fit(ctx, line, box.width)
            if not fitted:
                continue
            baseline = top + (n + 0.8) * size * LINE_SPACING
            ctx.move_to(x + box.x, baseline)
            ctx.show_text(fitted)
            ctx.set_font_size(size)

    def _crop_marks(self) -> None:
        """Short lines in the page margin along every label edge of the outer rows and
        columns, stopping short of the labels: a guide for cutting sheets of stock."""
        s, ctx = self.layout.stock, self.ctx
        grid_right = s.left + s.columns * s.label_width + (s.columns - 1) * s.gap_x
        grid_bottom = s.top + s.rows * s.label_height + (s.rows - 1) * s.gap_y
        xs = sorted({s.left + c * (s.label_width + s.gap_x) + d
                     for c in range(s.columns) for d in (0, s.label_width)})  # fmt: skip
        ys = sorted({s.top + r * (s.label_height + s.gap_y) + d
                     for r in range(s.rows) for d in (0, s.label_height)})  # fmt: skip
        above, below = s.top - CROP_MARK_GAP_MM, grid_bottom + CROP_MARK_GAP_MM
        left, right = s.left - CROP_MARK_GAP_MM, grid_right + CROP_MARK_GAP_MM
        up, down = min(CROP_MARK_MM, above), min(CROP_MARK_MM, s.page_height - below)
        back, out = min(CROP_MARK_MM, left), min(CROP_MARK_MM, s.page_width - right)
        ctx.save()
        ctx.set_source_rgb(0, 0, 0)
        ctx.set_line_width(0.1)
        for x in xs:  # a margin too narrow for a mark gets none
            for y0, y1 in ((above, above - up), (below, below + down)):
                if abs(y1 - y0) >= 1:
                    ctx.move_to(x, y0)
                    ctx.line_to(x, y1)
        for y in ys:
            for x0, x1 in ((left, left - back), (right, right + out)):
                if abs(x1 - x0) >= 1:
                    ctx.move_to(x0, y)
                    ctx.line_to(x1, y)
        ctx.stroke()
        ctx.restore()


def _fit(ctx: cairo.Context, line: str, width: float) -> str:
    """The line, cut with an ellipsis where it would overflow the label."""
    if ctx.text_extents(line)[4] <= width:
        return line
    low, high = 0, len(line)
    while low < high:  # the longest prefix that fits with its ellipsis
        mid = (low + high + 1) // 2
        if ctx.text_extents(line[:mid] + ELLIPSIS)[4] <= width:
            low = mid
        else:
            high = mid - 1
    return line[:low] + ELLIPSIS if low else ""


def _logo(style: Style, logo: bytes | None) -> LogoImage | None:
    if style.logo is None:
        return None
    if logo is None:
        if style.logo.data is None:
            return None  # a url logo the caller did not fetch: the code without it
        logo = parse_data_uri(style.logo.data)
    return load_logo(logo)


def _rgba(color: str) -> tuple[float, float, float, float]:
    from app.rendering import colors

    r, g, b, a = colors.rgba(color)
    return r / 255, g / 255, b / 255, a / 255
