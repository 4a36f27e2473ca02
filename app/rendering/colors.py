"""Hex colours and the WCAG 2 contrast arithmetic the scannability check uses."""

from __future__ import annotations

import re

HEX_RE = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")

RGBA = tuple[int, int, int, int]
WHITE: RGBA = (255, 255, 255, 255)


def normalize(color: str) -> str | None:
    """#RGB / #RRGGBB / #RRGGBBAA as upper-case #RRGGBB or #RRGGBBAA, or None when malformed.

    One spelling per colour keeps the stored style, and so the cache key, canonical.
    """
    if not isinstance(color, str) or not HEX_RE.match(color):
        return None
    digits = color[1:].upper()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    if len(digits) == 8 and digits.endswith("FF"):
        digits = digits[:6]
    return "#" + digits


def rgba(color: str) -> RGBA:
    digits = normalize(color)
    if digits is None:
        raise ValueError(f"not a hex colour: {color!r}")
    alpha = int(digits[7:9], 16) if len(digits) == 9 else 255
    return int(digits[1:3], 16), int(digits[3:5], 16), int(digits[5:7], 16), alpha


def over(top: RGBA, below: RGBA) -> RGBA:
    """`top` composited over an opaque `below`: what the eye, and the camera, sees."""
    a = top[3] / 255
    r, g, b = (round(t * a + u * (1 - a)) for t, u in zip(top[:3], below[:3], strict=True))
    return r, g, b, 255


def luminance(color: RGBA) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in color[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGBA, b: RGBA) -> float:
    la, lb = luminance(a), luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)
