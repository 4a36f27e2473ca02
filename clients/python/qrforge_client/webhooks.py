"""Checks that a webhook came from qrforge: the Standard Webhooks signature qrforge sends."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

# Older than this (or this far in the future) is refused, so a captured request can't be
# replayed later: the tolerance Standard Webhooks recommends.
TOLERANCE_SECONDS = 5 * 60


class InvalidSignature(Exception):
    pass


def verify_webhook(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> dict[str, Any]:
    """The event (`{"type", "timestamp", "data"}`) when `body` is signed with `secret` (the
    `whsec_…` value createWebhook returned); InvalidSignature otherwise."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        msg_id, stamp, signatures = (
            lower["webhook-id"],
            lower["webhook-timestamp"],
            lower["webhook-signature"],
        )
        sent_at = int(stamp)
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (KeyError, ValueError) as error:
        raise InvalidSignature(f"not a signed webhook: {error}") from None
    if abs((time.time() if now is None else now) - sent_at) > TOLERANCE_SECONDS:
        raise InvalidSignature("the webhook's timestamp is too far from now")
    digest = hmac.new(key, f"{msg_id}.{sent_at}.".encode() + body, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    offered = [s.partition(",")[2] for s in signatures.split() if s.startswith("v1,")]
    if not any(hmac.compare_digest(expected, sig) for sig in offered):
        raise InvalidSignature("no signature matches the secret")
    event: dict[str, Any] = json.loads(body)
    return event
