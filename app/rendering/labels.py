"""Label stock: where each label of a sheet is, and where its code and text go.

All lengths are millimetres. A label keeps a bleed-safe inset (`SAFE_MM`) clear on every
side, because die-cut labels sit up to about a millimetre off the printed grid; the code's
quiet zone lies inside that inset, so a label cut a little off never clips the quiet zone.
Wide labels (address labels) put the code on the left and the text beside it; squarer ones
put the text under the code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from app.errors import InvalidInput, Problem

SAFE_MM = 1.5
TEXT_GAP_MM = 1.5  # between the code and its text
FONT_MM = 2.6  # about 7.4 pt, as address labels are set: three lines fit on a 1-inch label
LINE_SPACING = 1.25
WIDE = 1.4  # a label this much wider than tall gets its text beside the code
# The smallest module a phone camera reads reliably from a hand's length away on paper; a
# code smaller than its modules times this is refused before a job starts.
MIN_MODULE_MM = 0.4
MAX_LINES = 3
MAX_LINE_CHARS = 200
MAX_GRID = 50  # rows or columns on one page
MIN_LABEL_MM = 5.0
MAX_PAGE_MM = 1200.0
# {name}, {shortUrl}, {metadata.<key>}: the placeholders a line of label text may hold.
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
FIELDS = ("name", "shortUrl")
INVALID_SHEET = "INVALID_SHEET"
SHEET_TOO_SMALL = "SHEET_TOO_SMALL"


@dataclass(frozen=True)
class Stock:
    page_width: float
    page_height: float
    columns: int
    rows: int
    label_width: float
    label_height: float
    left: float  # page edge to the first label
    top: float
    gap_x: float
    gap_y: float


INCH = 25.4
A4, LETTER = (210.0, 297.0), (8.5 * INCH, 11 * INCH)
_5160 = Stock(*LETTER, 3, 10, 2.625 * INCH, 1 * INCH, 0.1875 * INCH, 0.5 * INCH, 0.125 * INCH, 0)
# The manufacturers' published layouts.
TEMPLATES: dict[str, Stock] = {
    "A4_3X8": Stock(*A4, 3, 8, 70.0, 37.0, 0.0, 0.5, 0.0, 0.0),
    "LETTER_3X10": _5160,
    "AVERY_5160": _5160,
    "AVERY_5163": Stock(
        *LETTER, 2, 5, 4 * INCH, 2 * INCH, 0.15625 * INCH, 0.5 * INCH, 0.1875 * INCH, 0
    ),
    "AVERY_L7160": Stock(*A4, 3, 7, 63.5, 38.1, 7.25, 15.15, 2.5, 0.0),
    "AVERY_L7163": Stock(*A4, 2, 7, 99.1, 38.1, 4.65, 15.15, 2.5, 0.0),
}
CUSTOM = "CUSTOM"
CUSTOM_FIELDS = ("page_width_mm", "page_height_mm", "margin_mm", "rows", "columns", "gap_mm")


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class SheetLayout:
    stock: Stock
    lines: tuple[str, ...]
    crop_marks: bool

    @property
    def per_page(self) -> int:
        return self.stock.columns * self.stock.rows

    def label(self, slot: int) -> Box:
        """The label at `slot` (0 .. per_page - 1), row by row from the top left."""
        s = self.stock
        row, column = divmod(slot, s.columns)
        x = s.left + column * (s.label_width + s.gap_x)
        y = s.top + row * (s.label_height + s.gap_y)
        return Box(x, y, s.label_width, s.label_height)

    @property
    def font_mm(self) -> float:
        if not self.lines:
            return FONT_MM
        room = self.stock.label_height - 2 * SAFE_MM
        if not self._wide:
            room /= 2  # under the code, text never takes more than half the label
        return min(FONT_MM, room / (len(self.lines) * LINE_SPACING))

    @property
    def _wide(self) -> bool:
        return self.stock.label_width >= WIDE * self.stock.label_height

    def code_box(self) -> Box:
        """The code with its quiet zone, relative to its label's top left."""
        w, h = self.stock.label_width - 2 * SAFE_MM, self.stock.label_height - 2 * SAFE_MM
        if not self.lines:
            size = min(w, h)
            return Box(SAFE_MM + (w - size) / 2, SAFE_MM + (h - size) / 2, size, size)
        if self._wide:
            size = min(h, w * 0.45)  # the rest for the text
            return Box(SAFE_MM, SAFE_MM + (h - size) / 2, size, size)
        text = len(self.lines) * self.font_mm * LINE_SPACING
        size = max(0.0, min(w, h - text - TEXT_GAP_MM))
        return Box(SAFE_MM + (w - size) / 2, SAFE_MM, size, size)

    def text_box(self) -> Box:
        """Where the lines go, relative to the label's top left."""
        code = self.code_box()
        s = self.stock
        if self._wide:
            x = code.x + code.width + TEXT_GAP_MM
            return Box(x, SAFE_MM, s.label_width - SAFE_MM - x, s.label_height - 2 * SAFE_MM)
        y = code.y + code.height + TEXT_GAP_MM
        return Box(SAFE_MM, y, s.label_width - 2 * SAFE_MM, s.label_height - SAFE_MM - y)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stock": asdict(self.stock),
            "lines": list(self.lines),
            "crop_marks": self.crop_marks,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SheetLayout:
        return cls(Stock(**raw["stock"]), tuple(raw["lines"]), bool(raw["crop_marks"]))


def sheet_layout(options: Mapping[str, Any]) -> SheetLayout:
    """The layout from LabelSheetInput's fields (Python names); InvalidInput names each
    problem's field under `sheet`."""
    problems: list[Problem] = []

    def bad(message: str, *field: str) -> None:
        problems.append(Problem(INVALID_SHEET, message, ("sheet", *map(_camel, field))))

    template = options.get("template") or CUSTOM
    stock: Stock | None = TEMPLATES.get(template)
    given = [name for name in CUSTOM_FIELDS if options.get(name) is not None]
    if template == CUSTOM:
        stock = _custom(options, bad)
    elif stock is None:
        bad(f"template is one of {', '.join([*TEMPLATES, CUSTOM])}.", "template")
    elif given:
        bad(f"{', '.join(given)} describe a CUSTOM sheet; template {template} has its own.",
            given[0])  # fmt: skip
    lines = options.get("lines")
    lines = ["{name}"] if lines is None else list(lines)
    if len(lines) > MAX_LINES:
        bad(f"A label has at most {MAX_LINES} lines of text.", "lines")
    for n, line in enumerate(lines[:MAX_LINES]):
        if not isinstance(line, str) or len(line) > MAX_LINE_CHARS:
            bad(f"A line is text of at most {MAX_LINE_CHARS} characters.", "lines", str(n))
            continue
        for name in PLACEHOLDER.findall(line):
            if name not in FIELDS and not (name.startswith("metadata.") and len(name) > 9):
                bad(f"{{{name}}} is not a label field: use {{name}}, {{shortUrl}} or "
                    "{metadata.KEY}.", "lines", str(n))  # fmt: skip
    if problems or stock is None:
        raise InvalidInput(problems)
    return SheetLayout(stock, tuple(lines), bool(options.get("crop_marks")))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _custom(options: Mapping[str, Any], bad: Any) -> Stock | None:
    missing = [name for name in CUSTOM_FIELDS if options.get(name) is None]
    if missing:
        bad(f"A CUSTOM sheet needs {', '.join(missing)}.", missing[0])
        return None
    width, height = float(options["page_width_mm"]), float(options["page_height_mm"])
    margin, gap = float(options["margin_mm"]), float(options["gap_mm"])
    rows, columns = int(options["rows"]), int(options["columns"])
    if not (MIN_LABEL_MM <= width <= MAX_PAGE_MM and MIN_LABEL_MM <= height <= MAX_PAGE_MM):
        bad(f"The page is {MIN_LABEL_MM:g} to {MAX_PAGE_MM:g} mm each way.", "page_width_mm")
        return None
    if not (1 <= rows <= MAX_GRID and 1 <= columns <= MAX_GRID):
        bad(f"rows and columns are 1 to {MAX_GRID}.", "rows")
        return None
    if margin < 0 or gap < 0:
        bad("marginMm and gapMm are 0 or more.", "margin_mm")
        return None
    label_w = (width - 2 * margin - (columns - 1) * gap) / columns
    label_h = (height - 2 * margin - (rows - 1) * gap) / rows
    if label_w < MIN_LABEL_MM or label_h < MIN_LABEL_MM:
        bad(f"These labels would be {label_w:.1f} x {label_h:.1f} mm; a label is at least "
            f"{MIN_LABEL_MM:g} mm each way.", "rows")  # fmt: skip
        return None
    return Stock(width, height, columns, rows, label_w, label_h, margin, margin, gap, gap)


def check_fits(layout: SheetLayout, modules: int) -> None:
    """Refuse a sheet whose labels leave too little room for a code `modules` wide (quiet
    zone included)."""
    room = layout.code_box().width
    needed = modules * MIN_MODULE_MM
    if room < needed:
        s = layout.stock
        raise InvalidInput.one(
            SHEET_TOO_SMALL,
            f"A label of {s.label_width:.1f} x {s.label_height:.1f} mm leaves {room:.1f} mm for "
            f"the code; these codes are {modules} modules wide with their quiet zone and need at "
            f"least {needed:.1f} mm ({MIN_MODULE_MM} mm a module). Use bigger labels, fewer "
            "lines of text, or shorter content.",
            ("sheet",),
        )


def label_lines(layout: SheetLayout, values: Mapping[str, Any]) -> list[str]:
    """The label's lines with their placeholders filled from `values` (name, shortUrl,
    metadata); a missing value is empty."""
    metadata = values.get("metadata") or {}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = metadata.get(name[9:]) if name.startswith("metadata.") else values.get(name)
        return "" if value is None else str(value)

    return [PLACEHOLDER.sub(fill, line) for line in layout.lines]
