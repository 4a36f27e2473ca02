"""Workspaces and their API keys."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.queryset import QuerySet

from app.domain.workspaces.models import ApiKey, Workspace
from app.errors import InvalidInput, NotFound, Problem, QuotaExceeded
from app.events import EventSink
from app.security import keys
from app.security.urls import url_problem

log = logging.getLogger(__name__)

# lastUsedAt is kept to the minute: one write a minute per key, not one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_KEY_NAME = 100
# Keys that work at once in a workspace: each has its own rate limit, so unlimited keys
# would be an unlimited rate. Far more than the services of one workspace need.
MAX_KEYS_PER_WORKSPACE = 100


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
    if await keys_query(workspace_id).count() >= MAX_KEYS_PER_WORKSPACE:
        raise QuotaExceeded(
            [
                Problem(
                    "QUOTA_EXCEEDED",
                    f"A workspace has at most {MAX_KEYS_PER_WORKSPACE} keys; revoke one first.",
                )
            ]
        )
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
        _touch(key.id, now)
    return Principal(
        key.id, key.workspace_id, frozenset(key.scopes), key.workspace.requests_per_minute
    )


# Writes of lastUsedAt in flight: the request that triggers one does not wait for it.
_touching: set[asyncio.Task[None]] = set()


def _touch(key_id: int, now: datetime) -> None:
    async def write() -> None:
        try:
            await ApiKey.filter(id=key_id).update(last_used_at=now)
        except Exception:  # a lost lastUsedAt is retried a minute later; never the caller's error
            log.debug("lastUsedAt of key %s not written", key_id, exc_info=True)

    task = asyncio.create_task(write())
    _touching.add(task)
    task.add_done_callback(_touching.discard)


def keys_query(workspace_id: int) -> QuerySet[ApiKey]:
    """The workspace's keys that still work (revoked ones are gone for good)."""
    return ApiKey.filter(workspace_id=workspace_id, revoked_at=None)


async def revoke_key(
    workspace_id: int,
    key_id: int,
    events: EventSink | None = None,
    *,
    by: frozenset[str] | None = None,
) -> None:
    """Revoke a key; with `events`, every API process hears it and closes its sockets.

    `by`: the scopes of the key asking. It may revoke only a key whose every scope it holds
    itself (a `keys:manage` key cannot take a `*` key away from the workspace's admin)."""
    if by is not None:
        target = await ApiKey.get_or_none(id=key_id, workspace_id=workspace_id, revoked_at=None)
        if target is None:
            raise NotFound.of("API key")
        if beyond := beyond_scopes(by, target.scopes):
            raise InvalidInput.one(
                "FORBIDDEN_SCOPE",
                f"This key cannot revoke a key with scopes it lacks: {', '.join(beyond)}.",
                ("id",),
            )
    updated = await ApiKey.filter(id=key_id, workspace_id=workspace_id, revoked_at=None).update(
        revoked_at=datetime.now(UTC)
    )
    if not updated:
        raise NotFound.of("API key")
    if events is not None:
        await events.emit("key.revoked", workspace_id, {"id": key_id})


def beyond_scopes(held: frozenset[str], wanted: list[str]) -> list[str]:
    """The scopes of `wanted` a key with `held` does not have (`*` only `*` holds)."""
    return [
        s for s in wanted if not keys.grants(held, s) or (s == keys.ALL and keys.ALL not in held)
    ]


async def revoke_by_prefix(prefix: str) -> ApiKey:
    """For the operator's CLI: a key named by the prefix `keys list` shows, in any workspace."""
    bare = prefix.removeprefix(keys.KEY_MARK)
    key = await ApiKey.get_or_none(prefix=bare, revoked_at=None).select_related("workspace")
    if key is None:
        raise NotFound.of("API key")
    await ApiKey.filter(id=key.id).update(revoked_at=datetime.now(UTC))
    return key


LIMIT_FIELDS = ("links_per_day", "codes_per_day", "bulk_items_per_day", "requests_per_minute")


async def set_limits(name: str, limits: dict[str, int | None]) -> Workspace:
    """The operator's way to change a workspace's quotas: a number, or None for the default."""
    workspace = await Workspace.get_or_none(name=name)
    if workspace is None:
        raise NotFound.of("Workspace")
    problems = [
        Problem("INVALID_LIMIT", "A limit is a positive whole number.", (field,))
        for field, value in limits.items()
        if value is not None and value < 1
    ]
    if unknown := sorted(set(limits) - set(LIMIT_FIELDS)):
        problems.append(Problem("INVALID_LIMIT", f"Unknown limits: {', '.join(unknown)}."))
    if problems:
        raise InvalidInput(problems)
    for field, value in limits.items():
        setattr(workspace, field, value)
    await workspace.save(update_fields=list(limits))
    return workspace


async def update_settings(workspace_id: int, given: dict[str, object]) -> Workspace:
    """Change the workspace settings given: `dead_link_fallback` (a URL, or None to clear)."""
    workspace = await Workspace.get(id=workspace_id)
    if "dead_link_fallback" in given:
        url = given["dead_link_fallback"]
        if url is not None and (message := url_problem(url)):
            raise InvalidInput.one("INVALID_URL", message, ("deadLinkFallback",))
        workspace.dead_link_fallback = url if isinstance(url, str) else None
        await workspace.save(update_fields=["dead_link_fallback"])
    return workspace
