"""Global ids: the opaque ids the API hands out (base64 of "Type:pk", as Relay does).

A leaf: the GraphQL types, the REST endpoints, webhook payloads and bulk manifests all name
objects this way, so none of them has to import another adapter to do it.
"""

from __future__ import annotations

import base64
import binascii

# Primary keys are BIGINTs: a larger number names nothing, and the databases refuse it.
MAX_PK = 2**63 - 1


def global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def from_global_id(global_id: str) -> tuple[str, int] | None:
    """(type name, primary key), or None for anything we did not make."""
    try:
        type_name, _, pk = base64.b64decode(global_id, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    # int() also takes " 7", "+7", "7_0" and other scripts' digits: none of ours.
    if not (pk.isascii() and pk.isdigit() and len(pk) <= 19) or not 0 < int(pk) <= MAX_PK:
        return None
    return type_name, int(pk)


def pk_of(global_id: str, type_name: str) -> int | None:
    """The primary key inside `global_id` if it names a `type_name`, else None (not found)."""
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] != type_name:
        return None
    return decoded[1]
