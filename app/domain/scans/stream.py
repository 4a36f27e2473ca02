"""How a captured scan travels from the redirect to the worker: a line in a stream entry.

The scan is a small flat mapping with short names, empty fields left out, serialised as
one compact JSON line. Scans recorded together travel together: a stream entry's single
field `d` holds one or more lines, so a burst of redirects costs Redis one XADD, not one
per scan (the event id inside each line, not the entry id, is what makes a scan unique).
The local spool stores the same lines, so a replayed scan is the line it would have been.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import orjson
from redis.typing import EncodableT, FieldT

from app.domain.scans.enrich import RawScan

# Longer values are garbage or attacks; clipping bounds what one request can put in Redis.
MAX_FIELD = 1024
MAX_VARIANT = 16  # Scan.variant's width


def new_event_id() -> str:
    return os.urandom(16).hex()  # 128 random bits, like a uuid4, without building a UUID


def capture(
    *,
    link_id: int,
    workspace_id: int,
    source: str,
    method: str,
    ip: str | None,
    user_agent: str | None,
    referrer: str | None,
    accept_language: str | None,
    country: str | None,
    now: float | None = None,
    outcome: str | None = None,
    variant: int | str | None = None,
    code: str | None = None,
) -> dict[str, str]:
    """The stream entry of one scan, minted on the request path (no parsing happens here).

    `outcome` is left out for the common case, the link's own destination."""
    entry = {
        "e": new_event_id(),
        "l": str(link_id),
        "w": str(workspace_id),
        "t": f"{time.time() if now is None else now:.6f}",
        "s": source,
        "m": method,
    }
    for name, value in (
        ("ip", ip),
        ("ua", user_agent),
        ("r", referrer),
        ("al", accept_language),
        ("c", country),
        ("o", outcome),
        ("v", None if variant is None else str(variant)),
        ("q", code),  # which of the link's codes: its `?qr=` marker (none for qr=1)
    ):
        if value:
            entry[name] = value[:MAX_FIELD]
    return entry


def encode(entry: Mapping[str, str]) -> bytes:
    """One scan as one JSON line (without the newline)."""
    return orjson.dumps(entry)


def pack(lines: Iterable[bytes]) -> dict[FieldT, EncodableT]:
    """The fields of the stream entry carrying these scans."""
    return {"d": b"\n".join(lines)}


def unpack(fields: Mapping[bytes, bytes]) -> list[bytes]:
    """The scan lines of a stream entry; an entry that is not one of ours is one damaged
    line, so it is counted and dropped like one."""
    return fields.get(b"d", b"").split(b"\n")


def decode(line: bytes | str) -> dict[str, str]:
    """The mapping of one scan line; ValueError when it is damaged."""
    entry = orjson.loads(line)  # orjson.JSONDecodeError is a ValueError
    if not isinstance(entry, dict):
        raise ValueError("a scan is a JSON object")
    return {str(k): str(v) for k, v in entry.items()}


def raw_scan(entry: Mapping[str, str]) -> RawScan:
    """The RawScan of a stream entry; ValueError/KeyError when the entry is damaged."""
    return RawScan(
        link_id=int(entry["l"]),
        workspace_id=int(entry["w"]),
        occurred_at=datetime.fromtimestamp(float(entry["t"]), UTC),
        ip=entry.get("ip"),
        user_agent=entry.get("ua"),
        referrer=entry.get("r"),
        accept_language=entry.get("al"),
        source="QR" if entry.get("s") == "QR" else "LINK",
        country_header_value=entry.get("c"),
        method=entry.get("m", "GET"),
        event_id=_event_id(entry["e"]),
        outcome=_outcome(entry.get("o")),
        variant=entry["v"][:MAX_VARIANT] if entry.get("v") else None,
    )


def _outcome(value: str | None) -> str:
    if value is None or value == "destination":
        return "destination"
    if value in ("fallback", "gone"):
        return value
    rule, _, number = value.partition(" ")
    if rule == "rule" and number.isdigit() and 0 < len(number) <= 4:
        return value
    raise ValueError("bad outcome")


def _event_id(value: str) -> str:
    if not value or len(value) > 32 or not value.isalnum():
        raise ValueError("bad event id")
    return value
