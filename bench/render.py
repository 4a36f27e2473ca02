"""Rendering speed against segno's own PNG writer, measured in the same run.

    python bench/render.py

Every row is the best of several rounds of many repetitions (timeit-style); the ratio is
against `segno.make(...)` + `QRCode.save(kind="png")` of the same content at the same size,
so both sides pay for encoding. The cache hit is modelled as a dict lookup keyed by
`cache_key`; in production the cache is Redis, which adds one network round trip.
"""

from __future__ import annotations

import base64
import io
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

import segno
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.rendering.render import cache_key, render  # noqa: E402
from app.rendering.style import Style  # noqa: E402

TEXT = "http://localhost:8000/r/AbC12xy?qr=1"
SIZE = 512
ROUNDS = 7
TARGETS = {"plain PNG": 1.0, "styled PNG": 3.0, "styled SVG": None, "cache hit": 0.05}


def logo_data_uri() -> str:
    image = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((8, 8, 248, 248), radius=56, fill=(124, 58, 237, 255))
    draw.ellipse((72, 72, 184, 184), outline=(255, 255, 255, 255), width=22)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


STYLED = Style.from_dict(
    {
        "module_shape": "DOTS",
        "finder_shape": "ROUNDED",
        "gradient": {
            "type": "LINEAR",
            "rotation": 45,
            "stops": [{"offset": 0, "color": "#1E3A8A"}, {"offset": 1, "color": "#7C3AED"}],
        },
        "logo": {"data": logo_data_uri(), "size": 0.22},
    }
)


def segno_png() -> bytes:
    qr = segno.make(TEXT, micro=False)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=SIZE // (qr.symbol_size()[0]), border=4)
    return out.getvalue()


def best_ms(fn: Callable[[], object]) -> float:
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()  # enough repetitions for >= 0.2 s per round
    return min(timer.repeat(repeat=ROUNDS, number=number)) / number * 1000


def main() -> None:
    plain = Style()
    stored = render(TEXT, STYLED, "PNG", size=SIZE).data
    cache: dict[str, bytes] = {cache_key(TEXT, STYLED, "PNG", SIZE): stored}

    def cache_hit() -> bytes:
        return cache[cache_key(TEXT, STYLED, "PNG", SIZE)]

    cases: dict[str, Callable[[], object]] = {
        "plain PNG": lambda: render(TEXT, plain, "PNG", size=SIZE),
        "styled PNG": lambda: render(TEXT, STYLED, "PNG", size=SIZE),
        "styled SVG": lambda: render(TEXT, STYLED, "SVG", size=SIZE),
        "cache hit": cache_hit,
    }
    baseline = best_ms(segno_png)
    print(f"content {TEXT!r}, {SIZE} px; best of {ROUNDS} rounds")
    print(f"{'case':<26}{'ms/op':>10}{'x segno':>10}{'target':>10}  ok")
    print(f"{'segno make+save(png)':<26}{baseline:>10.3f}{1.0:>10.2f}{'':>10}")
    for name, fn in cases.items():
        ms = best_ms(fn)
        ratio = ms / baseline
        target = TARGETS[name]
        verdict = "" if target is None else ("yes" if ratio <= target else "NO")
        shown = "-" if target is None else f"<={target:g}"
        print(f"{name:<26}{ms:>10.3f}{ratio:>10.2f}{shown:>10}  {verdict}")
    print("cache hit = sha256 cache_key + dict lookup; Redis later adds a network round trip")


if __name__ == "__main__":
    main()
