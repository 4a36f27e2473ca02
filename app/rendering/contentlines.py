"""Escaping and line folding for the text formats scanners parse: vCard, iCalendar, WIFI, MECARD."""

from __future__ import annotations

from collections.abc import Iterable

CRLF = "\r\n"
FOLD_OCTETS = 75  # RFC 6350 / RFC 5545: lines SHOULD NOT be longer than 75 octets


def escape_text(value: str) -> str:
    """A TEXT value of vCard 3.0 / iCalendar: backslash, comma, semicolon, newline."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def escape_wifi(value: str) -> str:
    """The ZXing WIFI: and MECARD: convention: backslash before \\ ; , : and "."""
    out = []
    for char in value:
        if char in '\\;,:"':
            out.append("\\")
        out.append(char)
    return "".join(out)


def fold(line: str) -> str:
    """Fold one content line at 75 octets, never inside a UTF-8 sequence."""
    if len(line.encode()) <= FOLD_OCTETS:
        return line
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    limit = FOLD_OCTETS
    for char in line:
        size = len(char.encode())
        if used + size > limit:
            pieces.append("".join(current))
            current, used = [], 0
            limit = FOLD_OCTETS - 1  # continuation lines start with one space
        current.append(char)
        used += size
    pieces.append("".join(current))
    return (CRLF + " ").join(pieces)


def content_lines(lines: Iterable[str]) -> str:
    """Folded lines, each ended by CRLF as RFC 6350 and RFC 5545 require."""
    return "".join(fold(line) + CRLF for line in lines)
