"""Websockets on /graphql (graphql-transport-ws) held to what HTTP requests are held to.

A socket authenticates once, at `connection_init`, so without more a key revoked after that
kept working on it. Here every operation a socket starts is checked first:
- its key must not be revoked: `revokeApiKey` announces `key.revoked`, which every API
  process hears through its event hub and answers by closing that key's sockets with 4403
  at once; each socket also re-reads its key every REVALIDATE_SECONDS, which catches a
  revocation made where no event is sent (`qrforge keys revoke`) or one missed while Redis
  was away;
- it is charged to the key's rate limit, the very counter HTTP requests use;
- a socket runs at most MAX_OPERATIONS_PER_SOCKET operations at once (subscriptions and
  queries in flight), and a key holds at most MAX_SOCKETS_PER_KEY sockets per API process.
Refusals of an operation are `error` messages with `extensions.code` (RATE_LIMITED), as
the protocol has them; the socket stays open.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from graphql import GraphQLError
from redis.exceptions import RedisError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    SubscribeMessage,
)

from app.domain.workspaces.models import ApiKey
from app.domain.workspaces.services import Principal
from app.events import Event
from app.graphql.context import Context
from app.security.ratelimit import RateLimiter
from app.services import Services

log = logging.getLogger("qrforge.sockets")

# A dashboard keeps one socket per open tab; ten tabs of one key in one process is plenty,
# and the cap keeps a leaked key from holding thousands of sockets (and their buffers).
MAX_SOCKETS_PER_KEY = 10
# One subscription per link on a page of 100, plus the workspace feed: a dashboard's most.
# Each is an in-memory queue on the process's one pub/sub connection, so this bounds memory.
MAX_OPERATIONS_PER_SOCKET = 100
# How often a socket re-reads its key: the longest a revocation that sent no event (the CLI,
# or one made while Redis was away) goes unnoticed. One small query per socket per period.
REVALIDATE_SECONDS = 10.0
REVOKED_CODE = 4403  # graphql-transport-ws "Forbidden"
TOO_MANY_SOCKETS_CODE = 4429  # the protocol's "too many" code: clients do not retry it


class TooManySockets(Exception):
    pass


class SocketGuard:
    """The open sockets of one app, by key, and the checks their operations pass."""

    def __init__(self) -> None:
        self.sockets: dict[int, set[GuardedTransportWS]] = {}
        self.revoked: set[int] = set()
        self._limiter: RateLimiter | None = None
        self._watching = False

    def admit(self, principal: Principal) -> None:
        """Called as a socket authenticates: refuses a key at its socket cap."""
        if len(self.sockets.get(principal.key_id, ())) >= MAX_SOCKETS_PER_KEY:
            raise TooManySockets

    def opened(self, handler: GuardedTransportWS, principal: Principal, services: Services) -> None:
        if not self._watching:
            services.hub.watch("key", self._on_key_event)
            self._watching = True
        self.sockets.setdefault(principal.key_id, set()).add(handler)

    def closed(self, handler: GuardedTransportWS, principal: Principal) -> None:
        handlers = self.sockets.get(principal.key_id)
        if handlers is not None:
            handlers.discard(handler)
            if not handlers:
                del self.sockets[principal.key_id]

    def _on_key_event(self, event: Event) -> None:
        if event.type != "key.revoked":
            return
        key_id = event.data.get("id")
        if not isinstance(key_id, int):
            return
        self.revoked.add(key_id)
        for handler in tuple(self.sockets.get(key_id, ())):
            handler.revoke()

    async def refusal(self, principal: Principal, services: Services) -> GraphQLError | None:
        """Why this key may not run one more operation now (a GraphQL error), or None."""
        if self._limiter is None:
            self._limiter = RateLimiter(services.redis, services.settings.redis_namespace)
        limit = principal.rate_limit or services.settings.rate_limit_per_minute
        try:
            decision = await self._limiter.hit(f"key:{principal.key_id}", limit)
        except (RedisError, OSError) as error:
            # As over HTTP: better unlimited for a moment than everyone refused.
            log.warning("socket rate limiting skipped, Redis unavailable: %s", error)
            return None
        if decision.allowed:
            return None
        return GraphQLError(
            f"Rate limit of {limit} requests a minute reached; retry later.",
            extensions={
                "code": "RATE_LIMITED",
                "retryAfter": max(1, round(decision.retry_after + 0.5)),
            },
        )


class GuardedTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's graphql-transport-ws handler with SocketGuard's checks."""

    context: Context
    _watchdog: asyncio.Task[None] | None = None
    _revoking: asyncio.Task[None] | None = None

    @property
    def guard(self) -> SocketGuard:
        guard: SocketGuard = self.view.guard  # type: ignore[attr-defined]
        return guard

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except TooManySockets:
            reason = f"At most {MAX_SOCKETS_PER_KEY} open sockets per key."
            await self.websocket.close(code=TOO_MANY_SOCKETS_CODE, reason=reason)
            return
        principal = self.context.principal
        if self.connection_acknowledged and principal is not None:
            self.guard.opened(self, principal, self.context.services)
            self._watchdog = asyncio.create_task(self._revalidate(principal))

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        principal = self.context.principal
        if not self.connection_acknowledged or principal is None:
            await super().handle_subscribe(message)  # the protocol's own refusal
            return
        if principal.key_id in self.guard.revoked:
            self.revoke()
            return
        error = None
        if len(self.operations) >= MAX_OPERATIONS_PER_SOCKET:
            error = GraphQLError(
                f"At most {MAX_OPERATIONS_PER_SOCKET} operations at once on one socket; "
                "complete some first, or open another socket.",
                extensions={"code": "RATE_LIMITED", "limit": MAX_OPERATIONS_PER_SOCKET},
            )
        else:
            error = await self.guard.refusal(principal, self.context.services)
        if error is not None:
            refused = ErrorMessage(id=message["id"], type="error", payload=[error.formatted])
            await self.send_message(refused)
            return
        await super().handle_subscribe(message)

    def revoke(self) -> None:
        """Stop this socket's operations and close it with 4403 (once)."""
        if self._revoking is None:
            self._revoking = asyncio.create_task(self._close_revoked())

    async def _close_revoked(self) -> None:
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        with suppress(Exception):  # the client may be gone already
            await self.websocket.close(code=REVOKED_CODE, reason="This API key was revoked.")

    async def _revalidate(self, principal: Principal) -> None:
        while True:
            await asyncio.sleep(REVALIDATE_SECONDS)
            try:
                alive = await ApiKey.exists(id=principal.key_id, revoked_at=None)
            except Exception:  # the database away: keep the socket, try again later
                log.warning("could not re-read key %s of an open socket", principal.key_id)
                continue
            if not alive:
                self.guard.revoked.add(principal.key_id)
                self.revoke()
                return

    async def shutdown(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        principal = self.context.principal
        if principal is not None:
            self.guard.closed(self, principal)
        await super().shutdown()
