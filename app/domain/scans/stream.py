"""How a captured scan travels from the redirect to the worker: one flat stream entry.

Short field names keep the entry small (it sits in Redis memory until ingested); empty
fields are left out. The same mapping is what the local spool stores, one JSON object per
line, so a replayed scan is byte-for-byte the entry it would have been.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from app.domain.scans.enrich import RawScan

# Longer values are garbage or attacks; clipping bounds what one request can put in Redis.
MAX_FIELD = 1024


def new_event_id() -> str:
    return uuid.uuid4().hex


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
