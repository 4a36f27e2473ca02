"""Label sheets: the layouts, the refusal of labels too small for their codes, and the PDF
itself, rendered to images (pypdfium2) with every code decoded by zxing-cpp and every
label's text read back from the page."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
import zxingcpp

from app.errors import InvalidInput
from app.graphql.bulk.types import LabelTemplate
from app.rendering.labels import (
    CUSTOM,
    MIN_MODULE_MM,
    SAFE_MM,
    TEMPLATES,
    SheetLayout,
    check_fits,
    label_lines,
    sheet_layout,
)
from app.rendering.sheet import PT_PER_MM, SheetWriter
from app.rendering.style import Style

DPI = 200  # 5 px and more a module on every template: enough for zxing-cpp


def test_every_template_is_in_the_api_and_fits_its_page() -> None:
    assert {t.value for t in LabelTemplate} == {*TEMPLATES, CUSTOM}
    for name, s in TEMPLATES.items():
        right = s.left + s.columns * s.label_width + (s.columns - 1) * s.gap_x
        bottom = s.top + s.rows * s.label_height + (s.rows - 1) * s.gap_y
        assert right <= s.page_width + 0.01 and bottom <= s.page_height + 0.01, name
        assert abs((s.page_width - right) - s.left) < 0.05, name  # centred across


def test_avery_5160_is_thirty_one_by_two_and_five_eighths_inch_labels() -> None:
    layout = sheet_layout({"template": "AVERY_5160"})
    assert layout.per_page == 30
    assert (round(layout.stock.label_width, 3), round(layout.stock.label_height, 3)) == (
        66.675,
        25.4,
    )
    assert layout.label(29).y + layout.stock.label_height == pytest.approx(279.4 - 12.7)


def test_a_custom_grid_divides_the_page() -> None:
    layout = sheet_layout(
        {"template": "CUSTOM", "page_width_mm": 100, "page_height_mm": 150, "margin_mm": 5,
         "rows": 4, "columns": 2, "gap_mm": 2, "lines": [], "crop_marks": True}
    )  # fmt: skip
    assert (layout.stock.label_width, layout.stock.label_height) == (44.0, 33.5)
    assert layout.label(3).x == 5 + 44 + 2 and layout.label(3).y == 5 + 33.5 + 2
    box = layout.code_box()  # no text: the code fills the label, inside the safe inset
    assert box.width == 33.5 - 2 * SAFE_MM and box.y == SAFE_MM


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"template": "CUSTOM", "rows": 3}, ["sheet", "pageWidthMm"]),
        ({"template": "AVERY_5160", "rows": 3}, ["sheet", "rows"]),
        ({"template": "AVERY_5160", "lines": ["a", "b", "c", "d"]}, ["sheet", "lines"]),
        ({"template": "AVERY_5160", "lines": ["{sku}"]}, ["sheet", "lines", "0"]),
        ({"template": "CUSTOM", "page_width_mm": 100, "page_height_mm": 100, "margin_mm": 0,
          "rows": 50, "columns": 50, "gap_mm": 0}, ["sheet", "rows"]),
    ],
)  # fmt: skip
def test_a_bad_sheet_names_its_field(options: dict, field: list[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        sheet_layout(options)
    assert list(caught.value.problems[0].field) == field
    assert caught.value.problems[0].code == "INVALID_SHEET"


def test_a_code_too_small_for_its_label_is_refused_with_both_sizes() -> None:
    layout = sheet_layout(
        {"template": "CUSTOM", "page_width_mm": 210, "page_height_mm": 297, "margin_mm": 5,
         "rows": 20, "columns": 12, "gap_mm": 1, "lines": ["{name}"]}
    )  # fmt: skip
    with pytest.raises(InvalidInput) as caught:
        check_fits(layout, 37)
    problem = caught.value.problems[0]
    assert problem.code == "SHEET_TOO_SMALL" and problem.field == ("sheet",)
    s = layout.stock
    room = layout.code_box().width
    assert f"{s.label_width:.1f} x {s.label_height:.1f} mm" in problem.message
    assert f"leaves {room:.1f} mm" in problem.message
    assert f"at least {37 * MIN_MODULE_MM:.1f} mm" in problem.message
    check_fits(sheet_layout({"template": "AVERY_5160"}), 37)  # 22.4 mm is room enough


def write_sheet(layout: SheetLayout, count: int) -> tuple[bytes, list[str], list[list[str]]]:
    out = io.BytesIO()
    writer = SheetWriter(out, layout)
    texts, lines = [], []
    for i in range(count):
        text = f"https://qr.example/r/lbl{i:04d}?qr=1"
        values = {"name": f"Box {i}", "shortUrl": text[:-5], "metadata": {"sku": f"SKU-{i}"}}
        texts.append(text)
        lines.append(label_lines(layout, values))
        writer.add(text, Style(), lines[-1])
    assert writer.close() == -(-count // layout.per_page)
    return out.getvalue(), texts, lines


def read_labels(pdf: bytes, layout: SheetLayout) -> list[tuple[str, str]]:
    """(decoded code, text) of every label, page by page, from pages rendered at DPI."""
    found = []
    document = pdfium.PdfDocument(pdf)
    for page in document:
        kinds = {obj.type for obj in page.get_objects()}
        assert pdfium.raw.FPDF_PAGEOBJ_IMAGE not in kinds  # vector paths and text only
        image = page.render(scale=DPI / 72).to_pil().convert("L")
        text = page.get_textpage()
        height = layout.stock.page_height * PT_PER_MM
        for slot in range(layout.per_page):
            box = layout.label(slot)
            px = [round(v * DPI / 25.4) for v in (box.x, box.y, box.x + box.width,
                                                   box.y + box.height)]  # fmt: skip
            codes = zxingcpp.read_barcodes(image.crop(px))
            if not codes:
                continue  # an empty label after the last one
            assert len(codes) == 1
            words = text.get_text_bounded(
                box.x * PT_PER_MM,
                height - (box.y + box.height) * PT_PER_MM,
                (box.x + box.width) * PT_PER_MM,
                height - box.y * PT_PER_MM,
            )
            found.append((codes[0].text, words))
    return found


@pytest.mark.parametrize("template", ["AVERY_5160", "AVERY_L7163", "A4_3X8"])
def test_every_label_decodes_and_carries_its_text(template: str) -> None:
    layout = sheet_layout(
        {"template": template, "lines": ["{name}", "{shortUrl}", "{metadata.sku}"],
         "crop_marks": True}
    )  # fmt: skip
    count = layout.per_page + 3  # a second page, partly filled
    pdf, texts, lines = write_sheet(layout, count)
    found = read_labels(pdf, layout)
    assert [code for code, _ in found] == texts
    for (_, words), expected in zip(found, lines, strict=True):
        assert words.split() == " ".join(expected).split(), (words, expected)


def test_a_sheet_under_its_codes_keeps_the_text_below() -> None:
    layout = sheet_layout(
        {"template": "CUSTOM", "page_width_mm": 210, "page_height_mm": 297, "margin_mm": 10,
         "rows": 5, "columns": 4, "gap_mm": 3, "lines": ["{name}", "{metadata.sku}"]}
    )  # fmt: skip
    assert layout.text_box().y > layout.code_box().y + layout.code_box().height
    pdf, texts, lines = write_sheet(layout, 7)
    found = read_labels(pdf, layout)
    assert [code for code, _ in found] == texts
    assert [words.split() for _, words in found] == [" ".join(x).split() for x in lines]
