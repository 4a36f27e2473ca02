"""Reading bulk items from CSV and XLSX files: every problem names its row and column."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from app.domain.bulk.upload import UploadInvalid, read_items

EXAMPLE = Path(__file__).parents[2] / "examples" / "bulk-labels.csv"


def problems(data: bytes, filename: str = "codes.csv") -> list[tuple[int, str, str]]:
    with pytest.raises(UploadInvalid) as caught:
        read_items(data, filename)
    return [(p.row, p.column, p.code) for p in caught.value.problems]


def test_the_example_file_makes_dynamic_codes_with_link_options() -> None:
    items = read_items(EXAMPLE.read_bytes(), EXAMPLE.name)
    assert len(items) == 3
    assert items[0] == {
        "name": "Blue mug",
        "data_type": "URL",
        "data": {"url": "https://shop.example/p/blue-mug"},
        "kind": "DYNAMIC",
        "link": {"slug": "blue-mug", "tags": ["kitchen", "mugs"],
                 "metadata": {"sku": "MUG-001", "bin": "A1"}},
    }  # fmt: skip
    assert "slug" not in items[1]["link"]


def test_text_rows_are_static_and_blank_lines_are_skipped() -> None:
    data = b"Name;Text;Kind\nNote;Handle with care;\n;;\nOther;Fragile;static\n"
    items = read_items(data)
    assert [(i["name"], i["data_type"], i["kind"]) for i in items] == [
        ("Note", "TEXT", "STATIC"),
        ("Other", "TEXT", "STATIC"),
    ]


def test_bad_rows_are_named_by_row_and_column() -> None:
    data = (
        b"name,url,kind\n"
        b"Fine,https://e.example/1,\n"
        b"No url,,\n"
        b",https://e.example/3,\n"
        b"Script,javascript:alert(1),\n"
        b"Odd kind,https://e.example/5,sometimes\n"
    )
    assert problems(data) == [
        (3, "url", "REQUIRED"),
        (4, "name", "REQUIRED"),
        (5, "url", "INVALID_URL"),
        (6, "kind", "INVALID_KIND"),
    ]


def test_the_header_is_checked_first() -> None:
    assert problems(b"title,colour\nx,y\n") == [
        (1, "colour", "UNKNOWN_COLUMN"),
        (1, "name", "MISSING_COLUMN"),
        (1, "url", "MISSING_COLUMN"),
    ]
    assert problems(b"") == [(1, "", "EMPTY_FILE")]
    assert problems(b"name,url\n") == [(2, "", "EMPTY_FILE")]
    assert problems("name,url\n\xff".encode("latin-1")) == [(1, "", "NOT_UTF8")]


def test_a_static_code_has_no_link_to_carry_link_columns() -> None:
    data = b"name,text,metadata.sku\nNote,hello,S-1\n"
    assert problems(data) == [(2, "metadata.sku", "INVALID_KIND")]


def test_an_xlsx_file_reads_like_a_csv_with_numbers_as_digits() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "url", "metadata.sku"])
    sheet.append(["Box", "https://e.example/b", 12345])
    sheet.append(["Bad", "ftp://e.example/x", 1])
    out = io.BytesIO()
    workbook.save(out)
    assert problems(out.getvalue(), "codes.xlsx") == [(3, "url", "INVALID_URL")]
    sheet.delete_rows(3)
    out = io.BytesIO()
    workbook.save(out)
    (item,) = read_items(out.getvalue(), "codes.xlsx")
    assert item["link"]["metadata"] == {"sku": "12345"}
    assert problems(b"PK\x03\x04 not really", "codes.xlsx") == [(1, "", "NOT_XLSX")]
