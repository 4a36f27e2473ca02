"""Each peer's export reads into the same rows (no database: the parsers are pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.domain.imports.formats import ImportRow, RowError, read

FIXTURES = Path(__file__).parents[1] / "fixtures" / "imports"


def rows(format: str, name: str) -> list[ImportRow | RowError]:
    return list(read(format, (FIXTURES / name).read_bytes()))


def test_issue15_shlink_csv_keeps_codes_titles_tags_and_dates() -> None:
    spring, manual, broken = rows("shlink", "shlink.csv")
    assert spring == ImportRow(
        row=1,
        destination="https://shop.example.com/spring",
        slug="spring-sale",
        title="Spring sale",
        tags=["promo", "2024"],
        created_at=datetime(2024, 3, 1, 10, 15, tzinfo=timezone(timedelta(hours=1))),
    )
    assert isinstance(manual, ImportRow) and manual.title is None and manual.tags == ["docs"]
    assert broken == RowError(3, "destination", "The row has no destination URL.")


def test_issue15_shlink_json_from_the_rest_api() -> None:
    winter, faq = rows("shlink", "shlink.json")
    assert isinstance(winter, ImportRow) and isinstance(faq, ImportRow)
    assert (winter.slug, winter.tags, winter.title) == ("winter", ["promo", "2023"], "Winter")
    assert winter.created_at == datetime(2023, 12, 1, 9, tzinfo=UTC)
    assert (faq.slug, faq.title, faq.tags) == ("faq", None, [])


def test_issue15_bitly_prefers_the_custom_back_half_and_reads_both_date_forms() -> None:
    product, careers, bad = rows("bitly", "bitly.csv")
    assert isinstance(product, ImportRow) and isinstance(careers, ImportRow)
    assert (product.slug, product.tags) == ("product-42", ["catalog", "2022"])
    assert product.created_at == datetime(2022, 6, 1, 12, tzinfo=UTC)
    assert careers.slug == "4qRsTuv"  # the generated back-half, kept for printed copies
    assert careers.created_at == datetime(2022, 7, 15, 9, 30, tzinfo=UTC)  # no zone: UTC
    assert bad == RowError(3, "createdAt", "Not a date: 'yesterday'.")


def test_issue15_yourls_and_kutt() -> None:
    menu, wifi = rows("yourls", "yourls.csv")
    assert isinstance(menu, ImportRow) and isinstance(wifi, ImportRow)
    assert (menu.slug, menu.destination, menu.title) == (
        "menu",
        "https://cafe.example.com/menu",
        "Menu",
    )
    launch, other = rows("kutt", "kutt.json")
    assert isinstance(launch, ImportRow) and isinstance(other, ImportRow)
    assert (launch.slug, launch.title) == ("launch", "Launch page")
    assert launch.created_at == datetime(2025, 1, 10, 10, tzinfo=UTC)
    assert other.slug == "bad slug!"  # read as written; the import refuses it by its rules


def test_issue15_column_names_are_matched_loosely() -> None:
    content = b"Long URL,Short link,Title,Date created\r\nhttps://example.com/,bit.ly/abc123,T,1700000000\r\n"
    (row,) = read("bitly", content)
    assert isinstance(row, ImportRow)
    assert (row.slug, row.title) == ("abc123", "T")
    assert row.created_at == datetime.fromtimestamp(1700000000, UTC)


def test_issue15_unreadable_files_say_why() -> None:
    with pytest.raises(ValueError, match="not JSON"):
        list(read("kutt", b"<html>"))
    with pytest.raises(ValueError, match="no list of links"):
        list(read("shlink", b'{"error": "nope"}'))
    with pytest.raises(ValueError, match="unknown format"):
        list(read("tinyurl", b""))
