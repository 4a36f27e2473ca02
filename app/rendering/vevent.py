"""iCalendar (RFC 5545) VEVENT lines for the EVENT data type.

Times are written in UTC ("Z") unless a `timezone` is given, then as local time with TZID.
A time without a UTC offset is local time in `timezone`, or UTC when there is none.
A TZID without a VTIMEZONE block is what every QR generator emits and phones accept; the
full VTIMEZONE would triple the payload and make the code much denser.
Date-only values make an all-day event; `date_end` is then the last day, inclusive.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.rendering.contentlines import escape_text
from app.rendering.fields import INVALID_DATA, Fields

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TZ_RE = re.compile(r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$")


def event_lines(f: Fields, title: str, location: str | None, description: str | None) -> list[str]:
    """The VCALENDAR lines, or [] after adding the problems to `f`."""
    tz = _timezone(f)
    start = _moment(f, "date_start", required=True)
    end = _moment(f, "date_end", required=False)
    if start is None or (end is None and "date_end" in f.problem_fields()):
        return []
    if end is not None and isinstance(start, datetime) != isinstance(end, datetime):
        f.add(INVALID_DATA, "date_start and date_end must both be dates or both times", "date_end")
        return []
    try:
        dtstart = _format(f, start, tz, "date_start")
        dtend = _format(f, end, tz, "date_end") if end is not None else None
    except (OverflowError, ValueError):
        f.add(INVALID_DATA, "date is out of range", "date_start")
        return []
    if dtstart is None or (end is not None and dtend is None):
        return []
    if end is not None and not _after(start, end, tz):
        f.add(INVALID_DATA, "date_end must be after date_start", "date_end")
        return []
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", f"SUMMARY:{escape_text(title)}"]
    lines.append(f"DTSTART{dtstart}")
    if dtend is not None:
        lines.append(f"DTEND{dtend}")
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return lines


def _timezone(f: Fields) -> ZoneInfo | None:
    name = f.string("timezone", max_len=64, multiline=False)
    if name is None:
        return None
    try:
        if not TZ_RE.match(name):
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        f.add(INVALID_DATA, "timezone must be an IANA name like Europe/Berlin", "timezone")
        return None


def _moment(f: Fields, name: str, *, required: bool) -> date | datetime | None:
    text = f.string(name, required=required, max_len=40, multiline=False)
    if text is None:
        return None
    try:
        if DATE_RE.match(text):
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        f.add(INVALID_DATA, f"{name} must be ISO 8601, like 2025-05-01T18:30:00Z", name)
        return None


def _format(f: Fields, moment: date | datetime, tz: tzinfo | None, name: str) -> str | None:
    if not isinstance(moment, datetime):
        day = moment + timedelta(days=1) if name == "date_end" else moment
        return f";VALUE=DATE:{day:%Y%m%d}"
    if tz is not None:
        local = moment.astimezone(tz) if moment.tzinfo else moment.replace(tzinfo=tz)
        return f";TZID={tz}:{local:%Y%m%dT%H%M%S}"
    # A time without an offset and no timezone is read as UTC, as the docstring promises.
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f":{aware.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _after(start: date | datetime, end: date | datetime, tz: tzinfo | None) -> bool:
    if isinstance(start, datetime) and isinstance(end, datetime):

        def aware(m: datetime) -> datetime:
            return m if m.tzinfo else m.replace(tzinfo=tz or UTC)

        return aware(end) > aware(start)
    return end >= start  # all-day: date_end is the inclusive last day
