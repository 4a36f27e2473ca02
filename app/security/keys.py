"""API key material and scopes.

A key reads `qrf_<prefix>_<secret>`. The prefix finds the row, the SHA-256 of the whole
key proves it; keys are 190 bits of randomness, so a fast hash is the right hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_MARK = "qrf_"
PREFIX_LENGTH = 8

SCOPES = frozenset(
    {
        "links:read", "links:write", "codes:read", "codes:write",
        "designs:read", "designs:write", "analytics:read", "webhooks:manage",
        "keys:manage", "bulk:write",
    }
)  # fmt: skip
ALL = "*"


def new_key() -> tuple[str, str]:
    """A fresh key and its lookup prefix."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    return f"{KEY_MARK}{prefix}_{secrets.token_urlsafe(24)}", prefix


def prefix_of(key: str) -> str | None:
    if not key.startswith(KEY_MARK):
        return None
    prefix, sep, rest = key[len(KEY_MARK) :].partition("_")
    if not sep or len(prefix) != PREFIX_LENGTH or not rest:
        return None
    return prefix


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), stored_hash)


def grants(scopes: frozenset[str] | set[str] | list[str], needed: str) -> bool:
    """Whether `scopes` allow `needed`. A `:write` scope includes its `:read`."""
    if ALL in scopes or needed in scopes:
        return True
    area, _, action = needed.partition(":")
    return action == "read" and f"{area}:write" in scopes


def unknown_scopes(scopes: list[str]) -> list[str]:
    return [s for s in scopes if s != ALL and s not in SCOPES]
