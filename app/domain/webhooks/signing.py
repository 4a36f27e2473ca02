"""Webhook requests per the Standard Webhooks spec (https://www.standardwebhooks.com/):
the body and its signature headers. When to try again is app.domain.webhooks.schedule.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from datetime import UTC, date, datetime
from typing import Any

SECRET_PREFIX = "whsec_"
# The spec allows 24-64 bytes of key; 32 matches the HMAC-SHA256 block of security.
SECRET_BYTES = 32
SIGNATURE_VERSION = "v1"
CONTENT_TYPE = "application/json"


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
