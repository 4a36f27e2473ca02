from __future__ import annotations

import io
import re
from types import SimpleNamespace
from typing import Any

import pytest
import segno
from segno import consts
from segno.utils import matrix_iter_verbose

from app.errors import InvalidInput
from app.rendering.geometry import in_finder
from app.rendering.render import cache_key, render
from app.rendering.scannability import logo_level
from app.rendering.style import Style

TEXT = "http://localhost:8000/r/AbC12xy?qr=1"
FANCY = {
    "module_shape": "DOTS",
    "finder_shape": "ROUNDED",
    "finder_color": "#0F172A",
    "gradient": {
        "type": "RADIAL",
        "stops": [{"offset": 0, "color": "#9D174D"}, {"offset": 1, "color": "#1E1B4B80"}],
    },
}


def test_style_round_trips_and_is_canonical() -> None:
    style = Style.from_dict({**FANCY, "foreground": "#abc", "background": "#FFFFFFFF"})
    assert style.foreground == "#AABBCC" and style.background == "#FFFFFF"
    assert Style.from_dict(style.to_dict()) == style
    assert Style.from_dict(None) == Style() == Style.from_dict({})
    assert Style.from_dict(Style().to_dict()).is_plain


def test_style_problems_are_all_reported_under_style() -> None:
    with pytest.raises(InvalidInput) as info:
        Style.from_dict(
            {
                "size": 5000,
                "margin": 2.5,
                "error_correction": "X",
                "foreground": "black",
                "module_shape": 3,
                "gradient": {"type": "CONIC", "stops": [{"offset": 2, "color": "#000"}]},
                "logo": {"url": "http://example.com/logo.png", "size": 0.5},
                "extra": True,
            }
        )
    found = {(p.code, p.field) for p in info.value.problems}
    assert {code for code, _ in found} == {"INVALID_STYLE"}
    assert {field for _, field in found} >= {
        ("style", "extra"),
        ("style", "size"),
        ("style", "margin"),
        ("style", "error_correction"),
        ("style", "foreground"),
        ("style", "module_shape"),
        ("style", "gradient", "type"),
        ("style", "gradient", "stops"),
        ("style", "logo", "url"),
        ("style", "logo", "size"),
    }


def test_issue14_a_logo_raises_error_correction_to_what_it_needs_and_says_so(
    qr: SimpleNamespace,
) -> None:
    def logo(size: float) -> dict[str, Any]:
        return {"data": qr.data_uri(qr.png_logo(), "image/png"), "size": size}

    asked_l = Style.from_dict({"logo": logo(0.2), "error_correction": "L"})
    assert asked_l.error_correction == "L"  # stored as asked
    assert logo_level(asked_l) == "Q"
    rendered = render(TEXT, asked_l, "PNG")
    assert rendered.error_correction in ("Q", "H")
    assert rendered.warnings == (
        "error correction raised from L to Q so the code survives its logo",
    )
    # The biggest logo needs H: raised to it, not refused.
    biggest = Style.from_dict({"logo": logo(0.3), "error_correction": "M"})
    big = render(TEXT, biggest, "PNG")
    assert big.error_correction == "H" and "from M to H" in big.warnings[0]
    assert qr.decode(qr.to_image(big.data, "PNG")) == [TEXT]
    as_asked = render(TEXT, Style.from_dict({"logo": logo(0.2), "error_correction": "H"}), "SVG")
    assert as_asked.warnings == ()


def test_finders_are_where_segno_says() -> None:
    symbol = segno.make(TEXT, micro=False)
    width = symbol.symbol_size(border=0)[0]
    finder = (consts.TYPE_FINDER_PATTERN_DARK, consts.TYPE_FINDER_PATTERN_LIGHT)
    for r, row in enumerate(matrix_iter_verbose(symbol.matrix, (width, width), border=0)):
        for c, kind in enumerate(row):
            assert in_finder(r, c, width) == (kind in finder), (r, c)


def test_rendered_reports_what_it_made() -> None:
    rendered = render(TEXT, Style(), "png", size=300)
    assert (rendered.content_type, rendered.width, rendered.version) == ("image/png", 300, 3)
    assert rendered.error_correction == "M"
    assert render("HI", Style(error_correction="L"), "PNG").error_correction == "H"  # boosted
    types = {f: render(TEXT, Style(), f).content_type for f in ("PNG", "SVG", "JPEG", "PDF")}
    assert types == {
        "PNG": "image/png",
        "SVG": "image/svg+xml",
        "JPEG": "image/jpeg",
        "PDF": "application/pdf",
    }
    with pytest.raises(InvalidInput):
        render(TEXT, Style(), "GIF")
    with pytest.raises(InvalidInput):
        render(TEXT, Style(), "PNG", size=5000)
    with pytest.raises(InvalidInput) as info:
        render("x" * 3000, Style(error_correction="H"), "SVG")
    assert info.value.problems[0].code == "TOO_LONG"


def test_svg_is_compact_one_path_per_layer(qr: SimpleNamespace) -> None:
    logo = {"data": qr.data_uri(qr.svg_logo, "image/svg+xml")}
    svg = render(TEXT, Style.from_dict({**FANCY, "logo": logo}), "SVG").data.decode()
    assert 'viewBox="0 0 41 41"' in svg and 'width="512"' in svg
    assert svg.count("<path") == 2  # modules, finder eyes
    assert "<radialGradient" in svg and 'stop-opacity="0.502"' in svg
    assert re.search(r'<image [^>]*href="data:image/svg\+xml;base64,', svg)
    linear = {**FANCY, "gradient": {**FANCY["gradient"], "type": "LINEAR", "rotation": 30}}
    assert "<linearGradient" in render(TEXT, Style.from_dict(linear), "SVG").data.decode()
    plain = render(TEXT, Style(), "SVG").data
    assert plain.count(b"<path") == 2 and len(plain) < 4000


def test_pdf_is_vector() -> None:
    pdf = render(TEXT, Style.from_dict(FANCY), "PDF").data
    assert pdf.startswith(b"%PDF") and b"/Subtype /Image" not in pdf


def test_plain_png_is_a_one_bit_palette_image() -> None:
    from PIL import Image

    data = render(TEXT, Style(foreground="#1E3A8A", background="#FFFFFF00"), "PNG").data
    image = Image.open(io.BytesIO(data))
    assert image.mode == "P" and image.size == (512, 512) and "transparency" in image.info
    assert image.getpixel((0, 0)) == 0 and image.getpalette()[3:6] == [0x1E, 0x3A, 0x8A]


def test_cache_key_changes_with_every_input() -> None:
    style = Style()
    key = cache_key(TEXT, style, "PNG", 512)
    assert key == cache_key(TEXT, Style.from_dict({"foreground": "#000"}), "png", None)
    others = {
        cache_key(TEXT + "x", style, "PNG", 512),
        cache_key(TEXT, Style(foreground="#111111"), "PNG", 512),
        cache_key(TEXT, style, "SVG", 512),
        cache_key(TEXT, style, "PNG", 256),
    }
    assert key not in others and len(others) == 4 and re.fullmatch(r"[0-9a-f]{64}", key)


def test_url_logo_must_be_fetched_by_the_caller(qr: SimpleNamespace) -> None:
    style = Style.from_dict({"logo": {"url": "https://example.com/logo.png"}})
    with pytest.raises(ValueError):
        render(TEXT, style, "PNG")
    rendered = render(TEXT, style, "PNG", logo=qr.png_logo())
    assert qr.decode(qr.to_image(rendered.data, "PNG")) == [TEXT]
