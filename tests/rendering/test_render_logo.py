from __future__ import annotations

import base64
import io
import struct
import time
import tracemalloc
import zlib
from types import SimpleNamespace

import httpx
import pytest
from PIL import Image

from app.errors import InvalidInput
from app.rendering.logo import (
    MAX_LOGO_BYTES,
    LogoImage,
    fetch_logo,
    load_logo,
    parse_data_uri,
    rasterize,
)
from app.rendering.render import render
from app.rendering.style import Style
from app.security.ssrf import UnsafeTarget


def logo_code(fn: object) -> str:
    with pytest.raises(InvalidInput) as info:
        fn()  # type: ignore[operator]
    [problem] = info.value.problems
    return problem.code


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_png_and_svg_data_uris_are_accepted(qr: SimpleNamespace) -> None:
    png = load_logo(parse_data_uri(qr.data_uri(qr.png_logo(), "text/plain")))
    assert (png.kind, png.width, png.height) == ("png", 200, 200)
    svg = load_logo(parse_data_uri(qr.data_uri(qr.svg_logo, "image/svg+xml")))
    assert svg.kind == "svg" and svg.width == svg.height
    assert rasterize(svg, 64).size == (64, 64)


def test_jpeg_and_webp_are_accepted() -> None:
    for fmt, kind in (("JPEG", "jpeg"), ("WEBP", "webp")):
        out = io.BytesIO()
        Image.new("RGB", (120, 60), (200, 30, 30)).save(out, fmt)
        logo = load_logo(out.getvalue())
        assert (logo.kind, logo.width, logo.height) == (kind, 120, 60)
        assert rasterize(logo, 40).size == (40, 20)


def test_gif_and_text_are_refused_whatever_the_declared_type() -> None:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    assert logo_code(lambda: load_logo(out.getvalue())) == "INVALID_LOGO"
    assert logo_code(lambda: load_logo(b"hello, I am a PNG")) == "INVALID_LOGO"
    assert logo_code(lambda: parse_data_uri("data:image/png;base64,@@@")) == "INVALID_LOGO"


def test_logo_over_one_megabyte_is_refused(qr: SimpleNamespace) -> None:
    big = qr.png_logo() + b"\x00" * MAX_LOGO_BYTES
    assert logo_code(lambda: load_logo(big)) == "INVALID_LOGO"
    style = {"logo": {"data": qr.data_uri(big, "image/png")}}
    with pytest.raises(InvalidInput) as info:
        Style.from_dict(style)
    assert info.value.problems[0].field == ("style", "logo", "data")


def test_decompression_bomb_is_refused_without_allocating() -> None:
    bomb = png_header_only(50_000, 50_000)  # 2.5 gigapixels, a few hundred bytes
    assert len(bomb) < 200
    tracemalloc.start()
    started = time.perf_counter()
    try:
        assert logo_code(lambda: load_logo(bomb)) == "INVALID_LOGO"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000 and time.perf_counter() - started < 1
    # Below Pillow's own bomb limit, our smaller pixel cap still refuses before decoding.
    assert logo_code(lambda: load_logo(png_header_only(6000, 6000))) == "INVALID_LOGO"


def test_svg_logo_never_fetches_external_resources(
    http_server: tuple[str, type], qr: SimpleNamespace
) -> None:
    base, handler = http_server
    handler.routes["/pixel.png"] = (200, {"Content-Type": "image/png"}, qr.png_logo())
    head = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'viewBox="0 0 10 10"><rect width="10" height="10" fill="#123456"/>'
    )
    outside = (
        f'<image href="{base}/pixel.png" width="10" height="10"/>',
        f'<image xlink:href="{base}/pixel.png?x" width="10" height="10"/>',
        f'<style>@import url("{base}/style.css");</style>',
        f'<rect width="5" height="5" style="fill: url({base}/paint#p)"/>',
        f'<use href="{base}/sprites.svg#icon"/>',
    )
    for part in outside:
        svg = f"{head}{part}</svg>".encode()
        assert logo_code(lambda svg=svg: load_logo(svg)) == "INVALID_LOGO", part
        uri = qr.data_uri(svg, "image/svg+xml")
        style = Style.from_dict({"logo": {"data": uri}, "error_correction": "H"})
        for fmt in ("PNG", "PDF", "SVG"):
            assert logo_code(lambda s=style, f=fmt: render("https://x.org", s, f)) == "INVALID_LOGO"
    assert handler.seen == []


def test_xml_entities_in_svg_are_refused() -> None:
    svg = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&x;</text></svg>'
    )
    assert logo_code(lambda: load_logo(svg)) == "INVALID_LOGO"


async def test_fetch_logo_from_a_real_server(
    http_server: tuple[str, type], qr: SimpleNamespace
) -> None:
    base, handler = http_server
    png = qr.png_logo()
    handler.routes["/logo.png"] = (200, {"Content-Type": "text/plain"}, png)
    handler.routes["/moved"] = (302, {"Location": "/logo.png"}, b"")
    async with httpx.AsyncClient() as client:
        assert await fetch_logo(f"{base}/logo.png", client, allow_private=True) == png
        assert await fetch_logo(f"{base}/moved", client, allow_private=True) == png
    assert handler.seen == ["/logo.png", "/moved", "/logo.png"]


async def test_fetch_logo_refuses_loopback_unless_allowed(http_server: tuple[str, type]) -> None:
    base, handler = http_server
    async with httpx.AsyncClient() as client:
        with pytest.raises(UnsafeTarget) as info:
            await fetch_logo(
                f"{base.replace('http', 'https')}/logo.png", client, allow_private=False
            )
        with pytest.raises(InvalidInput):  # and plain http is refused before that
            await fetch_logo(f"{base}/logo.png", client, allow_private=False)
    assert info.value.problems[0].code == "UNSAFE_TARGET"
    assert info.value.problems[0].field == ("style", "logo", "url")
    assert handler.seen == []


async def test_fetch_logo_limits_size_and_content(http_server: tuple[str, type]) -> None:
    base, handler = http_server
    handler.routes["/big"] = (200, {"X-No-Length": "1"}, b"\x89PNG\r\n\x1a\n" + b"0" * 1_100_000)
    handler.routes["/declared"] = (200, {"Content-Length": "5000000"}, b"")
    handler.routes["/html"] = (200, {"Content-Type": "image/png"}, b"<html>not an image</html>")
    handler.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    async with httpx.AsyncClient() as client:
        for path in ("/big", "/declared", "/html", "/loop", "/missing"):
            with pytest.raises(InvalidInput) as info:
                await fetch_logo(f"{base}{path}", client, allow_private=True)
            assert info.value.problems[0].code == "INVALID_LOGO", path
        with pytest.raises(InvalidInput):
            await fetch_logo(f"{base.replace('http', 'ftp')}/x", client, allow_private=True)
        with pytest.raises(InvalidInput):  # plain http only for private test targets
            await fetch_logo("http://example.com/logo.png", client, allow_private=False)


def use_bomb(levels: int, fan: int = 10) -> bytes:
    """Each group draws the previous one `fan` times: fan**levels elements from ~100 bytes
    per level (the attack of issue 10)."""
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
             ' viewBox="0 0 10 10"><defs><rect id="l0" width="1" height="1"/>']  # fmt: skip
    for level in range(1, levels + 1):
        uses = "".join(f'<use xlink:href="#l{level - 1}"/>' for _ in range(fan))
        parts.append(f'<g id="l{level}">{uses}</g>')
    parts.append(f'</defs><use href="#l{levels}"/></svg>')
    return "".join(parts).encode()


def svg_wrapping(image: bytes, mime: str = "image/png") -> bytes:
    uri = f"data:{mime};base64,{base64.b64encode(image).decode()}"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="10" height="10"><image xlink:href="{uri}" width="10" height="10"/></svg>'
    ).encode()


def test_issue10_nested_use_bomb_is_refused_before_drawing() -> None:
    bomb = use_bomb(9)  # a billion rectangles from about 1 KB
    assert len(bomb) < 6000
    started = time.perf_counter()
    assert logo_code(lambda: load_logo(bomb)) == "INVALID_LOGO"
    assert time.perf_counter() - started < 0.2
    # The same refusal at draw time, for a style stored before the check existed.
    stored = LogoImage("svg", bomb, 10, 10)
    assert logo_code(lambda: rasterize(stored, 64)) == "INVALID_LOGO"


def test_use_within_the_budget_still_draws() -> None:
    logo = load_logo(use_bomb(2, fan=30))  # 1,864 elements as drawn
    assert rasterize(logo, 64).size == (64, 64)
    assert logo_code(lambda: load_logo(use_bomb(2, fan=33))) == "INVALID_LOGO"  # 2,248


def test_issue10_use_cycles_and_deep_nesting_are_refused() -> None:
    cycle = (
        b'<svg xmlns="http://www.w3.org/2000/svg"><g id="a"><use href="#b"/></g>'
        b'<g id="b"><use href="#a"/></g></svg>'
    )
    deep = b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g>" * 200 + b"</g>" * 200 + b"</svg>"
    many = b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<rect/>" * 2_000 + b"</svg>"
    for svg in (cycle, deep, many):
        assert logo_code(lambda svg=svg: load_logo(svg)) == "INVALID_LOGO"


def test_issue10_an_svg_wrapping_a_huge_png_gets_the_png_pixel_cap(qr: SimpleNamespace) -> None:
    wrapped = svg_wrapping(png_header_only(20_000, 20_000))
    assert len(wrapped) < 1000
    tracemalloc.start()
    try:
        with pytest.raises(InvalidInput) as info:
            load_logo(wrapped)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000
    assert "pixels" in info.value.problems[0].message
    stored = LogoImage("svg", wrapped, 10, 10)
    assert logo_code(lambda: rasterize(stored, 64)) == "INVALID_LOGO"
    # A small embedded PNG is fine; an embedded SVG is not.
    assert rasterize(load_logo(svg_wrapping(qr.png_logo())), 32).size == (32, 32)
    nested = svg_wrapping(use_bomb(1), "image/svg+xml")
    assert logo_code(lambda: load_logo(nested)) == "INVALID_LOGO"


def test_svg_aspect_comes_from_its_size_or_view_box() -> None:
    wide = b'<svg xmlns="http://www.w3.org/2000/svg" width="200px" height="100px"/>'
    tall = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 40"/>'
    assert (load_logo(wide).width, load_logo(wide).height) == (256, 128)
    assert (load_logo(tall).width, load_logo(tall).height) == (256, 1024)
    assert rasterize(load_logo(tall), 64).size == (16, 64)
