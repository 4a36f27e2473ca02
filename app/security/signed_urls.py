"""Signed, expiring URLs: a link that carries its own permission (image URLs, downloads).

The signature is an HMAC-SHA256 over the path, every other query parameter (sorted) and the
expiry, so changing any of them, or reusing the signature on another object, is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlencode

SIGNATURE_PARAMS = ("exp", "sig")


def _material(path: str, params: Mapping[str, str], exp: int) -> bytes:
    others = sorted((k, v) for k, v in params.items() if k not in SIGNATURE_PARAMS)
    return f"{path}?{urlencode(others)}&exp={exp}".encode()


def signature(secret: bytes, path: str, params: Mapping[str, str], exp: int) -> str:
    return hmac.new(secret, _material(path, params, exp), hashlib.sha256).hexdigest()


def signed_query(secret: bytes, path: str, params: Mapping[str, str], exp: int) -> str:
    """The query string (without "?") that makes `path` valid until `exp` (unix seconds)."""
    sig = signature(secret, path, params, exp)
    return urlencode([*params.items(), ("exp", str(exp)), ("sig", sig)])


def signature_problem(
    secret: bytes, path: str, params: Mapping[str, str], now: float
) -> str | None:
    """Why the signed query in `params` does not authorise `path` now, or None when it does."""
    exp, sig = params.get("exp", ""), params.get("sig", "")
    if not (exp.isascii() and exp.isdigit()) or len(exp) > 12 or not sig:
        return "the URL is not signed (exp and sig are required)"
    expected = signature(secret, path, params, int(exp))
    if not hmac.compare_digest(expected.encode(), sig.encode()):  # bytes: any input is safe
        return "the URL's signature is not valid"
    if int(exp) < now:
        return "the URL has expired"
    return None
