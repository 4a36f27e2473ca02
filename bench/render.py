"""Rendering speed against segno's own PNG writer, measured in the same run.

    python bench/render.py

Also the peer python-qrcode (`StyledPilImage` with a rounded module drawer, a radial
gradient colour mask and an embedded image: the same design as "styled PNG"; a bench-only
dependency, `pip install -e .[bench]`), and the scannability guard's first check of a
design (uncached) against one styled render.

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

from app.rendering import guard  # noqa: E402
from app.rendering.render import cache_key, render  # noqa: E402
from app.rendering.style import Style  # noqa: E402

TEXT = "http://localhost:8000/r/AbC12xy?qr=1"
SIZE = 512
ROUNDS = 7
TARGETS = {
    "plain PNG": 0.5,
    "styled PNG": 1.5,
    "framed PNG": 2.0,
    "styled SVG": None,
    "cache hit": 0.05,
}


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


FRAMED = Style.from_dict(
    {
        "module_shape": "ROUNDED",
        "finder_shape": "ROUNDED",
        "frame": {"style": "BUBBLE", "text": "SCAN ME"},
    }
)


def logo_png() -> bytes:
    return base64.b64decode(logo_data_uri().split(",", 1)[1])


def python_qrcode_png() -> bytes:
    """The peer on the same design: rounded modules, a gradient, an embedded logo."""
    import qrcode
    from qrcode.image.styledpil import StyledPilImage
    from qrcode.image.styles.colormasks import RadialGradiantColorMask
    from qrcode.image.styles.moduledrawers.pil import RoundedModuleDrawer

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_H, box_size=12, border=4)
    qr.add_data(TEXT)
    image = qr.make_image(
        image_factory=StyledPilImage,
        module_drawer=RoundedModuleDrawer(),
        color_mask=RadialGradiantColorMask(
            back_color=(255, 255, 255), center_color=(30, 58, 138), edge_color=(124, 58, 237)
        ),
        embeded_image_path=LOGO_FILE,
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


LOGO_FILE = str(Path("/tmp") / "qrforge-bench-logo.png")


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

    Path(LOGO_FILE).write_bytes(logo_png())
    cases: dict[str, Callable[[], object]] = {
        "plain PNG": lambda: render(TEXT, plain, "PNG", size=SIZE),
        "styled PNG": lambda: render(TEXT, STYLED, "PNG", size=SIZE),
        "framed PNG": lambda: render(TEXT, FRAMED, "PNG", size=SIZE),
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
    styled = best_ms(lambda: render(TEXT, STYLED, "PNG", size=SIZE))
    try:
        peer = best_ms(python_qrcode_png)
    except ImportError:
        print("python-qrcode not installed (pip install -e .[bench]): peer skipped")
    else:
        ratio = peer / styled
        verdict = "yes" if ratio >= 3 else "NO"
        print(f"python-qrcode StyledPilImage {peer:.3f} ms: qrforge styled is {ratio:.2f}x "
              f"faster (target >= 3)  {verdict}")  # fmt: skip

    def first_check() -> object:
        guard.clear_cache()
        return render(TEXT, STYLED, "SVG", size=SIZE)

    check = best_ms(first_check) - best_ms(lambda: render(TEXT, STYLED, "SVG", size=SIZE))
    ratio = check / styled
    print(f"scannability check, uncached: {check:.3f} ms = {ratio:.2f}x one styled PNG "
          f"(target <= 5)  {'yes' if ratio <= 5 else 'NO'}")  # fmt: skip


if __name__ == "__main__":
    main()
