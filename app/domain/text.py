"""Control characters in free text: refused, since nothing shows them and PostgreSQL cannot
store NUL at all (a NUL in a title used to answer INTERNAL there, and be kept on SQLite).

Multi-line text (a TEXT code's data, a metadata value) may hold tab, newline and carriage
return; one-line text (names, titles, tags, metadata keys, search) holds none of the C0 set.
"""

from __future__ import annotations

import re

from app.errors import Problem

INVALID_CHARACTERS = "INVALID_CHARACTERS"
MULTI_LINE_REFUSED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
ONE_LINE_REFUSED = re.compile(r"[\x00-\x1f]")


def control_character(value: str, *, multi_line: bool = False) -> str | None:
    """The first refused control character of `value`, spelt like U+0000, or None."""
    match = (MULTI_LINE_REFUSED if multi_line else ONE_LINE_REFUSED).search(value)
    return None if match is None else f"U+{ord(match.group()):04X}"


def text_problem(
    value: object, field: tuple[str, ...], *, multi_line: bool = False
) -> Problem | None:
    if not isinstance(value, str):
        return None
    found = control_character(value, multi_line=multi_line)
    if found is None:
        return None
    what = "tab, newline and carriage return aside, " if multi_line else ""
    return Problem(
        INVALID_CHARACTERS,
        f"{'.'.join(field)}: {what}control characters ({found}) are refused.",
        field,
    )
