"""CSV cells a spreadsheet will not run: a cell that starts like a formula is made text.

Spreadsheets treat a cell starting with `=`, `+`, `-` or `@` (and tab or carriage return,
which some strip first) as a formula: `=HYPERLINK(...)` in a user agent would become a live
link in whoever opens an export. A leading `'` makes it text in Excel, LibreOffice and Sheets.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """`value` as a CSV cell: None is empty, a formula-looking string is quoted as text."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
