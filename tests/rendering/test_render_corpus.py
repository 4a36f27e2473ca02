"""Every data type x shape x finder x paint x logo x format decodes to exactly its payload."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import pytest

from app.errors import InvalidInput
from app.rendering.payloads import build_payload
from app.rendering.render import render
from app.rendering.style import FINDER_SHAPES, MODULE_SHAPES, Style

SAMPLES: dict[str, dict[str, Any]] = {
    "URL": {"url": "https://example.com/spring-sale?utm_source=qr&id=42"},
    "TEXT": {"text": "Grüße aus Köln – 東京 🎉 line two"},
    "EMAIL": {"address": "hello@example.com", "subject": "Order #42", "body": "Hi,\nthanks!"},
    "PHONE": {"phone": "+49 30 1234567"},
    "SMS": {"phone": "+1 555 0100", "message": "STOP: unsubscribe"},
    "WIFI": {"ssid": 'Café;Guest,"5G"', "password": "s3cr3t:pass;word", "hidden": True},
    "VCARD": {
        "first_name": "Jane",
        "last_name": "Doe",
        "phone": "+15550100",
        "email": "jane@example.com",
        "org": "Acme, Inc.",
        "title": "CTO",
    },
    "MECARD": {"first_name": "Jane", "last_name": "Doe", "phone": "+15550100", "org": "Acme"},
    "GEO": {"latitude": 52.520008, "longitude": 13.404954},
    "EVENT": {
        "title": "Launch party",
        "date_start": "2025-05-01T18:30:00Z",
        "date_end": "2025-05-01T22:00:00Z",
        "location": "Hall 2, Berlin",
    },
    "CRYPTO": {
        "currency": "bitcoin",
        "address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "amount": "0.0042",
        "label": "Donation",
    },
    "EPC": {
        "name": "Stadtwerke München",
        "iban": "DE89370400440532013000",
        "amount": "149.90",
        "reference": "RF18539007547034",
    },
}
TYPES = list(SAMPLES)
FORMATS = ("PNG", "SVG", "JPEG", "PDF")
PALETTES = [
    ("#000000", "#FFFFFF", None),
    ("#1F2937", "#FEF3C7", "#B91C1C"),
    ("#0B3D2E", "#F0FDF4", None),
    ("#312E81", "#FFFFFF", "#0F172A"),
]
GRADIENTS = [
    None,
    {"type": "LINEAR", "rotation": 45, "stops": [
        {"offset": 0, "color": "#1E3A8A"}, {"offset": 1, "color": "#7C3AED"}]},
    {"type": "RADIAL", "stops": [
        {"offset": 0, "color": "#9D174D"}, {"offset": 0.6, "color": "#4C1D95"},
        {"offset": 1, "color": "#111827"}]},
    {"type": "LINEAR", "rotation": 120, "stops": [
        {"offset": 0, "color": "#064E3B"}, {"offset": 1, "color": "#1D4ED8"}]},
]  # fmt: skip


def case(i: int) -> tuple[str, dict[str, Any], str]:
    """Shapes, finders and formats cycle so all 48 of their combinations appear; the rest
    is drawn from a seeded generator."""
    rng = random.Random(i)
    module = MODULE_SHAPES[i % 4]
    finder = FINDER_SHAPES[(i // 4) % 3]
    fmt = FORMATS[(i // 12) % 4]
    fg, bg, eye = PALETTES[rng.randrange(len(PALETTES))]
    style: dict[str, Any] = {
        "size": 360,
        "margin": rng.choice((2, 4)),
        "error_correction": rng.choice("LMQH"),
        "foreground": fg,
        "background": bg,
        "module_shape": module,
        "finder_shape": finder,
        "finder_color": eye,
        "gradient": GRADIENTS[i % len(GRADIENTS)] if i % 3 else None,
    }
    logo = (None, "png", "svg")[(i // 2) % 3]
    if logo is not None:
        style["logo"] = {"data": logo, "size": rng.choice((0.15, 0.2, 0.25))}
    return TYPES[i % len(TYPES)], style, fmt


CASES = [case(i) for i in range(110)]


def test_corpus_covers_every_combination() -> None:
    seen = {(s["module_shape"], s["finder_shape"], f) for _, s, f in CASES}
    assert len(seen) == 4 * 3 * 4
    assert {t for t, _, _ in CASES} == set(TYPES)
    assert sum(1 for _, s, _ in CASES if "logo" in s) >= 60
    assert sum(1 for _, s, _ in CASES if s["gradient"]) >= 50


@pytest.mark.parametrize(("data_type", "style", "fmt"), CASES, ids=lambda v: None)
def test_rendered_code_decodes_to_exactly_its_payload(
    data_type: str, style: dict[str, Any], fmt: str, qr: SimpleNamespace, logos: dict[str, str]
) -> None:
    text = build_payload(data_type, SAMPLES[data_type])
    if "logo" in style:
        style = {**style, "logo": {**style["logo"], "data": logos[style["logo"]["data"]]}}
    try:
        rendered = render(text, Style.from_dict(style), fmt)
    except InvalidInput as refused:
        # The measured guard may refuse a design (test_render_guard_corpus counts why); a
        # refusal is about the design as a whole, never a crash.
        assert [(p.code, p.field) for p in refused.problems] == [("NOT_SCANNABLE", ("style",))]
        return
    assert qr.decode(qr.to_image(rendered.data, fmt)) == [text]


@pytest.fixture(scope="module")
def logos(qr: SimpleNamespace) -> dict[str, str]:
    return {
        "png": qr.data_uri(qr.png_logo(), "image/png"),
        "svg": qr.data_uri(qr.svg_logo, "image/svg+xml"),
    }


def test_plain_fast_path_decodes_at_many_sizes_and_margins(qr: SimpleNamespace) -> None:
    text = "http://localhost:8000/r/AbC12xy?qr=1"
    for size, margin in ((70, 2), (100, 4), (257, 3), (512, 4), (1000, 20)):
        for fmt in ("PNG", "JPEG"):
            rendered = render(text, Style(margin=margin), fmt, size=size)
            image = qr.to_image(rendered.data, fmt)
            assert image.size == (size, size)
            assert qr.decode(image) == [text], (size, margin, fmt)
