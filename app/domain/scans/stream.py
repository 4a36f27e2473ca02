"""How a captured scan travels from the redirect to the worker: one stream entry.

The scan is a small flat mapping with short names, empty fields left out, serialised as
one compact JSON value in the entry's single field `d`: one argument to pack on the request
path instead of a dozen, and a small listpack in Redis memory. The local spool stores the
same mapping, one JSON object per line, so a replayed scan is the entry it would have been.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from app.domain.scans.enrich import RawScan

# Longer values are garbage or attacks; clipping bounds what one request can put in Redis.
MAX_FIELD = 1024


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
) -> dict[str, str]:
    """The stream entry of one scan, minted on the request path (no parsing happens here)."""
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
    ):
        if value:
            entry[name] = value[:MAX_FIELD]
    return entry


_encoder = json.JSONEncoder(separators=(",", ":"))


def encode(entry: Mapping[str, str]) -> str:
    return _encoder.encode(entry)


def decode(fields: Mapping[bytes, bytes]) -> dict[str, str]:
    """The mapping of a stream entry; ValueError when it is damaged."""
    if b"d" in fields:
        entry = json.loads(fields[b"d"])
        if not isinstance(entry, dict):
            raise ValueError("entry is not an object")
        return {str(k): str(v) for k, v in entry.items()}
    return {k.decode(): v.decode() for k, v in fields.items()}  # a hand-written entry


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
    )


def _event_id(value: str) -> str:
    if not value or len(value) > 32 or not value.isalnum():
        raise ValueError("bad event id")
    return value
