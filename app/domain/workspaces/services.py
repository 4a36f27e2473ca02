"""Workspaces and their API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.domain.errors import InvalidInput, NotFound, Problem
from app.domain.workspaces.models import ApiKey, Workspace
from app.security import keys

# lastUsedAt is kept to the minute: one write a minute per key, not one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_KEY_NAME = 100


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key of one workspace, with its scopes."""

    key_id: int
    workspace_id: int
    scopes: frozenset[str]
    rate_limit: int | None = None  # the workspace's own requests a minute, if it has one

    def can(self, scope: str) -> bool:
        return keys.grants(self.scopes, scope)


async def ensure_workspace(name: str) -> Workspace:
    workspace, _ = await Workspace.get_or_create(name=name)
    return workspace


async def create_key(workspace_id: int, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """A new key; the secret is returned here and never again."""
    problems = []
    if not name.strip() or len(name) > MAX_KEY_NAME:
        problems.append(
            Problem("INVALID_NAME", f"A key name is 1 to {MAX_KEY_NAME} characters.", ("name",))
        )
    if not scopes:
        problems.append(Problem("INVALID_SCOPE", "Give at least one scope.", ("scopes",)))
    if unknown := keys.unknown_scopes(scopes):
        problems.append(
            Problem("INVALID_SCOPE", f"Unknown scopes: {', '.join(unknown)}.", ("scopes",))
        )
    if problems:
        raise InvalidInput(problems)
    secret, prefix = keys.new_key()
    key = await ApiKey.create(
        workspace_id=workspace_id,
        name=name.strip(),
        prefix=prefix,
        key_hash=keys.hash_key(secret),
        scopes=sorted(set(scopes)),
    )
    return key, secret


async def authenticate(secret: str, now: datetime | None = None) -> Principal | None:
    prefix = keys.prefix_of(secret)
    if prefix is None:
        return None
    key = await ApiKey.get_or_none(prefix=prefix, revoked_at=None).select_related("workspace")
    if key is None or not keys.key_matches(secret, key.key_hash):
        return None
    now = now or datetime.now(UTC)
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        await ApiKey.filter(id=key.id).update(last_used_at=now)
    return Principal(
        key.id, key.workspace_id, frozenset(key.scopes), key.workspace.rate_limit_per_minute
    )


async def revoke_key(workspace_id: int, key_id: int) -> None:
    updated = await ApiKey.filter(id=key_id, workspace_id=workspace_id, revoked_at=None).update(
        revoked_at=datetime.now(UTC)
    )
    if not updated:
        raise NotFound.of("API key")
