"""Frames: a border around the code and a band with a call to action ("SCAN ME").

The frame lies outside the quiet zone, so it never touches what a scanner reads; the
image stays square (labels and sheets expect that) with the framed card centred in it.

    BOX         square border, the text in a band below the code
    ROUNDED     the same with rounded corners
    BANNER_TOP  square border, the band above the code
    BUBBLE      a rounded border, and below it a speech bubble pointing at the code
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.rendering.paths import CLOSE, LINE, MOVE, Path
from app.rendering.style import Frame
from app.rendering.text import cap_height, text_path, text_width

BORDER = 1.0  # modules: the frame's line
BAND_SHARE = 0.22  # of the code's side: the band's height, so text grows with the code
MIN_BAND = 5.0  # modules
PAD = 1.0  # modules of background around the framed card
TEXT_CAP = 0.42  # capital letters fill this share of the band's height
TEXT_WIDTH = 0.86  # and the text at most this share of the card's width
BUBBLE_GAP = 1.0  # between the border and the bubble; its pointer fills the gap


@dataclass(frozen=True)
class FrameLayout:
    total: int  # canvas side in modules
    code_x: float  # top-left of the code's quiet zone on the canvas
    code_y: float
    frame: Path | None = None
    caption: Path | None = None


def frame_layout(frame: Frame | None, code_side: int) -> FrameLayout:
    """Where the code (a `code_side` square, quiet zone included) goes on the canvas."""
    if frame is None:
        return FrameLayout(code_side, 0, 0)
    band = max(MIN_BAND, round(code_side * BAND_SHARE))
    card_w = code_side + 2 * BORDER
    extra = BUBBLE_GAP if frame.style == "BUBBLE" else 0.0
    card_h = code_side + 2 * BORDER + band + extra
    total = math.ceil(max(card_w, card_h) + 2 * PAD)
    x0, y0 = (total - card_w) / 2, (total - card_h) / 2
    path = Path()
    code_y = y0 + BORDER + (band if frame.style == "BANNER_TOP" else 0.0)
    code_x = x0 + BORDER
    window = (code_x, code_y, code_side, code_side)
    if frame.style == "ROUNDED":
        r = max(2.0, code_side * 0.06)
        path.rounded_rect(x0, y0, card_w, card_h, (r, r, r, r))
        path.hole_rounded_rect(*window, r - BORDER)
        band_top, band_h = code_y + code_side, band + BORDER
    elif frame.style == "BUBBLE":
        r = max(2.0, code_side * 0.06)
        ring_h = code_side + 2 * BORDER
        path.rounded_rect(x0, y0, card_w, ring_h, (r, r, r, r))
        path.hole_rounded_rect(*window, r - BORDER)
        band_top, band_h = y0 + ring_h + extra, band
        half = band / 2
        path.rounded_rect(x0, band_top, card_w, band, (half, half, half, half))
        cx = x0 + card_w / 2
        path.ops += [  # the pointer, from the bubble up to the border
            (MOVE, cx - extra * 1.2, band_top + 0.2),
            (LINE, cx, band_top - extra - 0.2),
            (LINE, cx + extra * 1.2, band_top + 0.2),
            (CLOSE,),
        ]
    else:
        path.rect(x0, y0, card_w, card_h)
        path.hole_rect(*window)
        band_top = y0 if frame.style == "BANNER_TOP" else code_y + code_side
        band_h = band + BORDER
    caption = None
    if frame.text:
        em = min(band_h * TEXT_CAP / cap_height(), card_w * TEXT_WIDTH / text_width(frame.text))
        baseline = band_top + (band_h + cap_height() * em) / 2
        caption = text_path(frame.text, x0 + card_w / 2, baseline, em)
    return FrameLayout(total, code_x, code_y, path, caption)
