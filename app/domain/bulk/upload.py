"""Bulk items from a spreadsheet: a CSV or XLSX file, one code per row.

The first row names the columns (any letter case, any order):

    name        required: the code's name (and the label's {name})
    url         the destination: the row makes a URL code
    text        or the text of a TEXT code, when there is no url
    kind        DYNAMIC (the default for a url) or STATIC
    slug        a DYNAMIC code's short-link slug (generated when empty)
    title       the link's title
    tags        the link's tags, separated by | or ;
    metadata.X  the link's metadata key X (and the label's {metadata.X}); any number of these

Every problem names its row (as a spreadsheet shows it: the header is row 1) and column; a
file with any problem stores nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.bulk.services import MAX_ITEMS
from app.security.urls import url_problem

COLUMNS = ("name", "url", "text", "kind", "slug", "title", "tags")
METADATA = "metadata."
KINDS = ("DYNAMIC", "STATIC")
LINK_COLUMNS = ("slug", "title", "tags")
MAX_NAME = 200
MAX_TEXT = 2000
TAG_SEPARATORS = re.compile(r"[|;]")
XLSX_MAGIC = b"PK\x03\x04"  # an XLSX file is a ZIP
MAX_PROBLEMS = 100  # enough to fix a file by; a file of 10,000 bad rows says so


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    code: str
    message: str


class UploadInvalid(Exception):
    def __init__(self, problems: Sequence[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = list(problems)


def read_items(data: bytes, filename: str = "") -> list[dict[str, Any]]:
    """The items of a CSV or XLSX file, as bulkCreateQrCodes takes them (Python names)."""
    xlsx = filename.lower().endswith(".xlsx") or data.startswith(XLSX_MAGIC)
    rows = _xlsx_rows(data) if xlsx else _csv_rows(data)
    try:
        header = next(rows)
    except StopIteration:
        raise UploadInvalid([RowProblem(1, "", "EMPTY_FILE", "The file has no rows.")]) from None
    columns = [str(c or "").strip() for c in header]
    problems = _header_problems(columns)
    if problems:
        raise UploadInvalid(problems)
    items: list[dict[str, Any]] = []
    for number, values in enumerate(rows, start=2):
        cells = {c.lower() if not c.lower().startswith(METADATA) else c: _text(v)
                 for c, v in zip(columns, values, strict=False)}  # fmt: skip
        if not any(cells.values()):
            continue  # a blank line
        if len(items) == MAX_ITEMS:
            message = f"A file holds at most {MAX_ITEMS:,} rows."
            raise UploadInvalid([RowProblem(number, "", "TOO_MANY_ROWS", message)])
        item = _item(number, cells, problems)
        if item is not None:
            items.append(item)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise UploadInvalid(problems)
    if not items:
        raise UploadInvalid([RowProblem(2, "", "EMPTY_FILE", "The file has no rows of codes.")])
    return items


def _header_problems(columns: list[str]) -> list[RowProblem]:
    problems = []
    seen: set[str] = set()
    for column in columns:
        name = column.lower()
        if name.startswith(METADATA):
            name = METADATA + column[len(METADATA) :]
            if len(name) == len(METADATA):
                problems.append(RowProblem(1, column, "UNKNOWN_COLUMN", "Name the metadata key."))
        elif name not in COLUMNS and name:
            message = f"Unknown column; the columns are {', '.join(COLUMNS)} and metadata.KEY."
            problems.append(RowProblem(1, column, "UNKNOWN_COLUMN", message))
        if name in seen:
            problems.append(RowProblem(1, column, "DUPLICATE_COLUMN", "This column is twice."))
        seen.add(name)
    if "name" not in seen:
        problems.append(RowProblem(1, "name", "MISSING_COLUMN", "A name column is required."))
    if "url" not in seen and "text" not in seen:
        problems.append(RowProblem(1, "url", "MISSING_COLUMN", "A url or text column is needed."))
    return problems


def _item(row: int, cells: dict[str, str], problems: list[RowProblem]) -> dict[str, Any] | None:
    count = len(problems)

    def bad(column: str, code: str, message: str) -> None:
        problems.append(RowProblem(row, column, code, message))

    name, url, text = cells.get("name", ""), cells.get("url", ""), cells.get("text", "")
    if not name:
        bad("name", "REQUIRED", "A name is required.")
    elif len(name) > MAX_NAME:
        bad("name", "TOO_LONG", f"A name is at most {MAX_NAME} characters.")
    kind = (cells.get("kind") or ("DYNAMIC" if url else "STATIC")).upper()
    if kind not in KINDS:
        bad("kind", "INVALID_KIND", "kind is DYNAMIC or STATIC.")
    if url:
        if (reason := url_problem(url)) is not None:
            bad("url", "INVALID_URL", reason)
    elif text:
        if kind == "DYNAMIC":
            bad("kind", "INVALID_KIND", "A DYNAMIC code needs a url.")
        if len(text) > MAX_TEXT:
            bad("text", "TOO_LONG", f"A text is at most {MAX_TEXT} characters.")
    else:
        bad("url", "REQUIRED", "Give a url (or a text).")
    link: dict[str, Any] = {}
    for column in ("slug", "title"):
        if cells.get(column):
            link[column] = cells[column]
    if cells.get("tags"):
        link["tags"] = [t.strip() for t in TAG_SEPARATORS.split(cells["tags"]) if t.strip()]
    metadata = {c[len(METADATA) :]: v for c, v in cells.items() if c.startswith(METADATA) and v}
    if metadata:
        link["metadata"] = metadata
    if link and kind != "DYNAMIC":
        column = next(
            c for c, v in cells.items() if v and (c in LINK_COLUMNS or c.startswith(METADATA))
        )
        bad(column, "INVALID_KIND", "Only a DYNAMIC code has a link to carry this.")
    if len(problems) > count:
        return None
    if url:
        item: dict[str, Any] = {"name": name, "data_type": "URL", "data": {"url": url},
                                "kind": kind}  # fmt: skip
        if kind == "DYNAMIC" and link:
            item["link"] = link
        return item
    return {"name": name, "data_type": "TEXT", "data": {"text": text}, "kind": kind}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet's 12345 is a number; a SKU wants its digits
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[Sequence[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        message = "A CSV file must be UTF-8 text (save it as CSV UTF-8)."
        raise UploadInvalid([RowProblem(1, "", "NOT_UTF8", message)]) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    yield from csv.reader(io.StringIO(text, newline=""), dialect)


def _xlsx_rows(data: bytes) -> Iterator[Sequence[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises a zoo of errors for files that are not XLSX
        message = "This is not an XLSX file that can be read (save it as .xlsx or .csv)."
        raise UploadInvalid([RowProblem(1, "", "NOT_XLSX", message)]) from None
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()
