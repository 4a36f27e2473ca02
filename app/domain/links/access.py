"""The short-lived cookie a visitor gets after typing a protected link's password.

The token is `<expiry>.<HMAC>` over the link's id, slug and password hash with the server's
secret: it cannot be forged, it is worthless on another link, and changing the password (or
the slug) invalidates every token handed out before.
"""

from __future__ import annotations

import hashlib
import hmac
import time

# Long enough to scan, type and be sent on; short enough that a shared phone forgets.
UNLOCK_SECONDS = 600
_CONTEXT = b"qrforge unlock v1:"


def _signature(secret: bytes, link_id: int, slug: str, password_hash: str, expires: int) -> str:
    message = _CONTEXT + f"{link_id}:{slug}:{expires}:{password_hash}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:40]


def unlock_token(
    secret: bytes, link_id: int, slug: str, password_hash: str, now: float | None = None
) -> str:
    expires = int(time.time() if now is None else now) + UNLOCK_SECONDS
    return f"{expires}.{_signature(secret, link_id, slug, password_hash, expires)}"


def token_valid(
    secret: bytes,
    link_id: int,
    slug: str,
    password_hash: str,
    token: str | None,
    now: float | None = None,
) -> bool:
    if not token:
        return False
    expires_text, _, signature = token.partition(".")
    if not expires_text.isdigit() or len(expires_text) > 12:
        return False
    expires = int(expires_text)
    if expires < (time.time() if now is None else now):
        return False
    expected = _signature(secret, link_id, slug, password_hash, expires)
    return hmac.compare_digest(expected, signature)
