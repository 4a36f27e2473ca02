from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as _Info

from app.domain.workspaces.services import Principal
from app.services import Services


@dataclass
class Context:
    """What every resolver gets: the caller, the process's clients, per-request loaders."""

    request: Request | WebSocket
    response: Response | WebSocket | None
    services: Services
    principal: Principal | None = None
    connection_params: dict[str, Any] | None = None
    loaders: dict[str, Any] = field(default_factory=dict)

    @property
    def long_lived(self) -> bool:
        """A websocket's context serves every event of its subscriptions: what a loader
        cached for the first event would be stale by the next one."""
        return isinstance(self.request, WebSocket)

    @property
    def workspace_id(self) -> int:
        assert self.principal is not None, "resolvers run only for authenticated callers"
        return self.principal.workspace_id


Info = _Info[Context, None]
