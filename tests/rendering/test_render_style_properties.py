"""Properties of the style validator: hostile input only ever gets typed problems, and any
style that passes validation and the scannability check renders a code that scans."""

from __future__ import annotations

import io
from typing import Any

import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from app.errors import InvalidInput
from app.rendering.render import render
from app.rendering.scannability import check_style
from app.rendering.style import Style

TEXT = "https://qr.example/r/AbC12xy?qr=1"

colours = st.one_of(
    st.from_regex(r"#[0-9A-Fa-f]{6}", fullmatch=True),
    st.sampled_from(["#000", "#fff", "#123456", "#FFEE00", "#00000080", "black", "", "#GGGGGG"]),
)
stops = st.lists(
    st.fixed_dictionaries({"offset": st.floats(-0.5, 1.5), "color": colours}), max_size=4
)
gradients = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["LINEAR", "RADIAL", "CONIC"]),
        "rotation": st.floats(-720, 720),
        "stops": stops,
    }  # fmt: skip
)
styles = st.fixed_dictionaries(
    {},
    optional={
        "size": st.integers(0, 5000),
        "margin": st.integers(-2, 25),
        "error_correction": st.sampled_from(["L", "M", "Q", "H", "X"]),
        "foreground": colours,
        "background": colours,
        "gradient": st.one_of(st.none(), gradients),
        "module_shape": st.sampled_from(["SQUARE", "ROUNDED", "DOTS", "CLASSY", "STAR"]),
        "finder_shape": st.sampled_from(["SQUARE", "ROUNDED", "DOT", "HEART"]),
        "finder_color": st.one_of(st.none(), colours),
        "shape": st.sampled_from(["SQUARE", "CIRCLE", "OVAL"]),
        "inner_finder_shape": st.sampled_from(["SQUARE", "ROUNDED", "DOT", "STAR"]),
        "inner_finder_color": st.one_of(st.none(), colours),
        "background_gradient": st.one_of(st.none(), gradients),
        "frame": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {},
                optional={
                    "style": st.sampled_from(["BOX", "ROUNDED", "BANNER_TOP", "BUBBLE", "X"]),
                    "text": st.text(max_size=34),
                    "color": colours,
                    "text_color": colours,
                },
            ),
        ),
    },
)
junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(styles, junk, st.dictionaries(st.sampled_from(["size", "gradient", "logo"]), junk))
)
def test_any_input_gets_a_style_or_typed_problems(raw: Any) -> None:
    try:
        style = Style.from_dict(raw)
    except InvalidInput as error:
        assert error.problems and all(p.field[0] == "style" for p in error.problems)
        return
    assert Style.from_dict(style.to_dict()) == style


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(styles)
def test_every_accepted_style_renders_a_code_that_scans(raw: dict[str, Any]) -> None:
    try:
        style = Style.from_dict({**raw, "size": 256})
        check_style(style)
    except InvalidInput:
        return
    try:
        rendered = render(TEXT, style, "PNG")
    except InvalidInput as refused:  # the measured guard, or too small for its modules
        assert {p.code for p in refused.problems} == {"NOT_SCANNABLE"}
        return
    image = Image.open(io.BytesIO(rendered.data)).convert("RGBA")
    paper = Image.new("RGBA", image.size, "white")  # translucent colours, as printed
    paper.alpha_composite(image)
    assert [r.text for r in zxingcpp.read_barcodes(paper.convert("RGB"))] == [TEXT], style
