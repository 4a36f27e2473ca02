"""/graphql over HTTP and websocket, behind API-key authentication."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from app.domain.workspaces.services import Principal, authenticate
from app.graphql.context import Context
from app.http.admission import bearer
from app.http.sockets import GuardedTransportWS, SocketGuard
from app.web.pages import page


def unauthenticated(message: str) -> JSONResponse:
    body = {
        "data": None,
        "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}],
    }
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})


CONNECTION_INIT_TIMEOUT = timedelta(seconds=10)


class GraphQLApp(GraphQL[Context, None]):
    # Sockets speak graphql-transport-ws only: the legacy graphql-ws protocol would be a
    # second handler to hold to the same checks, and current clients all speak the first.
    graphql_transport_ws_handler_class = GuardedTransportWS

    def __init__(self, schema: Any) -> None:
        super().__init__(
            schema,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=None,  # GuardedTransportWS caps, with a code
            # A client sends connection_init at once; a socket that does not is closed
            # (4408) before it counts against anyone's cap, so it is not kept long.
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
        )
        self.guard = SocketGuard()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._is_ide_page(Request(scope)):
            request = Request(scope, receive)
            key = bearer(request.headers.get("authorization"))
            principal = await authenticate(key) if key else None
            if principal is None:
                message = (
                    "Unknown API key." if key else "Send an API key: Authorization: Bearer <key>."
                )
                await unauthenticated(message)(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = principal
        await super().__call__(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        try:
            return json.loads(data)
        except RecursionError:
            # Nested past what the parser recurses into (a 50,000-deep array): a bad body,
            # answered 400 as any unparsable one is, not a crash.
            raise json.JSONDecodeError("nested too deeply", "", 0) from None

    def _is_ide_page(self, request: Request) -> bool:
        # GraphiQL itself is a static page; the queries it sends carry the key.
        return (
            request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
            and "query" not in request.query_params
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        # Our GraphiQL page loads the vendored bundle, so it works without the internet.
        return page("graphiql.html")

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        principal: Principal | None = getattr(request.state, "principal", None)
        return Context(
            request=request,
            response=response,
            services=request.app.state.services,
            principal=principal,
        )

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        key = bearer(header if isinstance(header, str) else None)
        principal = await authenticate(key) if key else None
        if principal is None:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
        self.guard.admit(principal)
        context.principal = principal
        return None
