"""Reading the link exports of other shorteners into one shape: a row to import, or why not.

Each format is what that product's own export writes, read by column name (case and spacing
ignored) so that exports from other versions, with columns added or reordered, still read:

- `csv`: qrforge's own columns: `destination` (or `url`), `slug`, `title`, `tags` (`|` or
  `,` between tags), `createdAt`.
- `shlink`: the web client's CSV (`createdAt, domain, shortCode, shortUrl, longUrl, title,
  tags, visits`, tags joined with `|`) or the REST API's JSON (`{"shortUrls": {"data": […]}}`,
  or a bare list, with `shortCode longUrl title tags dateCreated`).
- `bitly`: Bitly's links export CSV (`long_url`, `link` or `custom_bitlinks` whose path is
  the back-half, `title`, `created_at`, `tags`).
- `yourls`: the CSV of YOURLS' export (`keyword, url, title, timestamp, …`).
- `kutt`: Kutt's API JSON (`{"data": [{"address", "target", "description", "created_at"}]}`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

FORMATS = ("csv", "shlink", "bitly", "yourls", "kutt")


@dataclass(frozen=True)
class ImportRow:
    """One link to import; `row` counts from 1 for the first record after any header."""

    row: int
    destination: str
    slug: str | None = None
    title: str | None = None
    tags: list[str] = field(default_factory=list)
    created_at: datetime | None = None


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str


Record = Mapping[str, Any]


def read(format: str, content: bytes) -> Iterator[ImportRow | RowError]:
    """Every record of the file, in order, as a row to import or the reason it can't be."""
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}: one of {', '.join(FORMATS)}")
    text = content.decode("utf-8-sig", errors="replace")
    records, column_of = _READERS[format](text)
    for number, record in enumerate(records, start=1):
        yield _row(number, record, column_of)


def _csv(text: str) -> Iterator[Record]:
    for record in csv.DictReader(io.StringIO(text)):
        yield {_key(k): (v or "").strip() for k, v in record.items() if k is not None}


def _json_list(text: str, *paths: tuple[str, ...]) -> Iterator[Record]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON: {error.msg} (line {error.lineno})") from None
    for path in paths:
        found = document
        for step in path:
            found = found.get(step) if isinstance(found, dict) else None
        if isinstance(found, list):
            for item in found:
                yield {_key(k): v for k, v in item.items()} if isinstance(item, dict) else {}
            return
    raise ValueError("no list of links in the JSON")


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


# For each field, the columns that may hold it, in the order they are tried.
Columns = dict[str, tuple[str, ...]]
OURS: Columns = {
    "destination": ("destination", "url", "longurl"),
    "slug": ("slug",),
    "title": ("title",),
    "tags": ("tags",),
    "created_at": ("createdat",),
}
SHLINK: Columns = {
    "destination": ("longurl",),
    "slug": ("shortcode",),
    "title": ("title",),
    "tags": ("tags",),
    "created_at": ("createdat", "datecreated"),
}
BITLY: Columns = {
    "destination": ("longurl",),
    "slug": ("custombitlinks", "link", "bitlink", "shortlink", "id"),
    "title": ("title",),
    "tags": ("tags",),
    "created_at": ("createdat", "datecreated", "created"),
}
YOURLS: Columns = {
    "destination": ("url", "longurl"),
    "slug": ("keyword",),
    "title": ("title",),
    "tags": ("tags",),
    "created_at": ("timestamp", "date"),
}
KUTT: Columns = {
    "destination": ("target",),
    "slug": ("address",),
    "title": ("description",),
    "tags": ("tags",),
    "created_at": ("createdat",),
}


def _shlink(text: str) -> tuple[Iterator[Record], Columns]:
    if text.lstrip().startswith(("{", "[")):
        return _json_list(text, ("shortUrls", "data"), ("data",), ()), SHLINK
    return _csv(text), SHLINK


def _kutt(text: str) -> tuple[Iterator[Record], Columns]:
    return _json_list(text, ("data",), ()), KUTT


_READERS: dict[str, Callable[[str], tuple[Iterator[Record], Columns]]] = {
    "csv": lambda text: (_csv(text), OURS),
    "shlink": _shlink,
    "bitly": lambda text: (_csv(text), BITLY),
    "yourls": lambda text: (_csv(text), YOURLS),
    "kutt": _kutt,
}


def _first(record: Record, columns: tuple[str, ...]) -> Any:
    for column in columns:
        value = record.get(column)
        if value not in (None, "", []):
            return value
    return None


def _row(number: int, record: Record, columns: Columns) -> ImportRow | RowError:
    destination = _first(record, columns["destination"])
    if not isinstance(destination, str):
        return RowError(number, "destination", "The row has no destination URL.")
    created = _first(record, columns["created_at"])
    created_at = _when(created) if created is not None else None
    if created is not None and created_at is None:
        return RowError(number, "createdAt", f"Not a date: {str(created)[:40]!r}.")
    slug = _first(record, columns["slug"])
    return ImportRow(
        row=number,
        destination=destination.strip(),
        slug=_slug(str(slug)) if slug is not None else None,
        title=_text(_first(record, columns["title"])),
        tags=_tags(_first(record, columns["tags"])),
        created_at=created_at,
    )


def _slug(value: str) -> str:
    """A slug, or the last path segment of a short URL (`bit.ly/spring` → `spring`)."""
    value = value.strip()
    if "/" not in value:
        return value
    path = urlsplit(value if "//" in value else f"//{value}").path
    return path.rstrip("/").rsplit("/", 1)[-1]


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _tags(value: Any) -> list[str]:
    if isinstance(value, list):
        parts = [str(tag) for tag in value]
    elif isinstance(value, str):
        parts = value.replace("|", ",").split(",")
    else:
        return []
    return [tag.strip() for tag in parts if tag.strip()]


def _when(value: Any) -> datetime | None:
    """ISO 8601 (with or without zone, UTC when none), `YYYY-MM-DD HH:MM:SS`, or Unix seconds."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        try:
            return datetime.fromtimestamp(int(value), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
