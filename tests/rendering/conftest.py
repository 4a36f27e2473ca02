"""Fixtures for the rendering tests: decode any output format, make logos, serve HTTP.

Tests run with --import-mode=importlib, so helpers reach tests as fixtures, not imports.
"""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import cairosvg
import pypdfium2
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from app.rendering.geometry import build_scene
from app.rendering.render import encode
from app.rendering.style import Style
from app.rendering.vector import render_raster

SVG_LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
    b'<rect x="4" y="4" width="92" height="92" rx="22" fill="#F97316"/>'
    b'<path d="M30 70 L50 28 L70 70 Z" fill="#FFFFFF"/></svg>'
)


def to_image(data: bytes, fmt: str) -> Image.Image:
    """Any output format as a PIL image, through an independent rasteriser."""
    if fmt == "SVG":
        data, fmt = cairosvg.svg2png(bytestring=data), "PNG"
    if fmt == "PDF":
        pdf = pypdfium2.PdfDocument(data)
        try:
            page = pdf[0]
            image = page.render(scale=96 / 72, fill_color=(255, 255, 255, 255)).to_pil()
            page.close()
        finally:
            pdf.close()
        return image.convert("RGB")
    image = Image.open(io.BytesIO(data))
    if image.mode in ("RGBA", "LA", "P"):
        paper = Image.new("RGB", image.size, (255, 255, 255))
        paper.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return paper
    return image.convert("RGB")


def decode(image: Image.Image, *, try_invert: bool = True) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(image, try_invert=try_invert)]


def render_unchecked(
    text: str, style: Style, size: int = 360, error: str | None = None
) -> Image.Image:
    """What a style would look like without the scannability check, to prove it right."""
    qr = encode(text, error or style.error_correction)
    return render_raster(build_scene(qr.matrix, style), style, size, None).convert("RGB")


def png_logo_bytes(size: int = 200) -> bytes:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((4, 4, size - 4, size - 4), radius=size // 5, fill=(14, 165, 233, 255))
    draw.ellipse((size // 4, size // 4, 3 * size // 4, 3 * size // 4), fill=(255, 255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


class Recorder(BaseHTTPRequestHandler):
    """Serves `routes` (path -> (status, headers, body)) and records every request path."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 -- http.server's naming
        self.seen.append(self.path)
        status, headers, body = self.routes.get(self.path, (404, {}, b"missing"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers and "X-No-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, type[Recorder]]]:
    handler = type("Handler", (Recorder,), {"routes": {}, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="session")
def qr() -> SimpleNamespace:
    return SimpleNamespace(
        to_image=to_image,
        decode=decode,
        render_unchecked=render_unchecked,
        png_logo=png_logo_bytes,
        data_uri=data_uri,
        svg_logo=SVG_LOGO,
    )
