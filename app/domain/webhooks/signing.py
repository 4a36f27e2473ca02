"""Webhook requests per the Standard Webhooks spec (https://www.standardwebhooks.com/):
the body, its signature headers, and when to try again after a failed delivery.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

SECRET_PREFIX = "whsec_"
# The spec allows 24-64 bytes of key; 32 matches the HMAC-SHA256 block of security.
SECRET_BYTES = 32
SIGNATURE_VERSION = "v1"
CONTENT_TYPE = "application/json"

# Delay before each attempt, counted from the previous one: 10 attempts over ~3 days,
# the schedule Standard Webhooks and Svix use, so receivers' expectations hold.
RETRY_SCHEDULE: tuple[float, ...] = (
    0,
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    14 * 3600,
    20 * 3600,
    24 * 3600,
)
# ±10 % spreads retries of a receiver that failed for everyone at once.
RETRY_JITTER = 0.1


class Random(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key inside a `whsec_...` secret; ValueError when it is not one."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise ValueError("webhook secret is not base64") from None
    if not key:
        raise ValueError("webhook secret is empty")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def signed_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
        "content-type": CONTENT_TYPE,
    }


def envelope(event_type: str, data: dict[str, Any], at: datetime) -> bytes:
    """`{"type", "timestamp", "data"}` as compact JSON; keys inside data sorted, so the
    same event always gives the same bytes (and a redelivery the same signature)."""
    head = json.dumps({"type": event_type, "timestamp": _iso(at)}, separators=(",", ":"))
    data_json = json.dumps(
        data, separators=(",", ":"), sort_keys=True, ensure_ascii=False, default=_json_default
    )
    return (head[:-1] + ',"data":' + data_json + "}").encode()


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("webhook timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def next_delay(attempt: int, rng: Random) -> float | None:
    """Seconds to wait before attempt number `attempt` (0-based, i.e. the number of attempts
    already made), or None when the schedule is exhausted and the delivery has failed."""
    if attempt < 0:
        raise ValueError("attempt counts from 0")
    if attempt >= len(RETRY_SCHEDULE):
        return None
    delay = RETRY_SCHEDULE[attempt]
    return delay * rng.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER)


def retry_after_seconds(header_value: str | None, now: datetime) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or HTTP-date), never negative;
    None when absent or unreadable. Callers cap it: a receiver should not park a delivery."""
    if header_value is None:
        return None
    value = header_value.strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000" means UTC with no claim about local time
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
