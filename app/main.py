"""create_app(): routes, middleware and the lifespan that owns the process's clients.

The job queue and the embedded worker are handed in by whoever starts the process
(qrforge/cli.py): they are the worker package's, and the app does not import it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.domain.domains.table import DomainTable
from app.graphql.schema import build_schema
from app.http.admission import Authenticate, BodyLimit, RateLimit
from app.http.bulk import bulk_result, bulk_upload
from app.http.charts import chart
from app.http.domains import domain_proof
from app.http.exports import export_scans
from app.http.graphql import GraphQLApp
from app.http.health import healthz
from app.http.images import code_image_endpoint, static_qr
from app.http.metrics import Metrics, MetricsMiddleware, metrics
from app.http.openapi import openapi
from app.http.problems import problem
from app.http.redirect import RedirectFastPath, redirect, serve_redirects
from app.rendering.pool import process_pool
from app.security.client_ip import ClientAddress
from app.services import JobsFactory, Services, open_services
from app.settings import Settings
from app.web.pages import routes as dashboard_routes

log = logging.getLogger("qrforge")


class RequestId:
    """Tags each request with an id (the caller's X-Request-ID, or a new one) for logs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming[:64] if incoming.isprintable() and incoming else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        await self.app(scope, receive, send_with_id)


class Qrforge(Starlette):
    """The API's Starlette app, with one short road: scans of printed codes (/r/{slug}) go
    to the redirect before the router and every middleware (see RedirectFastPath)."""

    def __init__(
        self, fast_path: RedirectFastPath, client_address: ClientAddress, **options: Any
    ) -> None:
        super().__init__(**options)
        self.fast_path = fast_path
        self.client_address = client_address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.client_address.rewrite(scope)  # before anything reads scope["client"]
        slug = self.fast_path.slug(scope)
        if slug is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        await self.fast_path(scope, receive, send, slug)


_HTTP_ERROR_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


async def http_error(request: Request, error: Exception) -> Response:
    """The router's own refusals (no such path, wrong method), as problem+json like ours."""
    assert isinstance(error, HTTPException)
    response = problem(
        error.status_code, error.detail, code=_HTTP_ERROR_CODES.get(error.status_code)
    )
    response.headers.update(error.headers or {})
    return response


async def unexpected(request: Request, error: Exception) -> Response:
    request_id = getattr(request.state, "request_id", "-")
    log.error("unexpected error on %s (request %s)", request.url.path, request_id, exc_info=error)
    return problem(500, "Something went wrong on our side.", code="INTERNAL", requestId=request_id)


def create_app(
    settings: Settings,
    *,
    jobs: JobsFactory,
    worker: Callable[[Services], Coroutine[Any, Any, None]] | None = None,
) -> Starlette:
    """The API, queueing its jobs through `jobs`. With a `worker`, it runs inside this
    process too, on this process's clients, until the app shuts down."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with (
            open_services(settings, jobs) as services,
            serve_redirects(app, services, domains),
        ):
            app.state.services = services
            # Image misses render in other processes, started on first use; with the
            # embedded worker its bulk jobs share them. Shut down last, below.
            app.state.render_pool = process_pool()
            worker_task = None
            if worker is not None:
                worker_task = asyncio.create_task(worker(services))
            try:
                yield
            finally:
                if worker_task:
                    worker_task.cancel()
                    with suppress(asyncio.CancelledError):
                        await worker_task
                await app.state.render_pool.shutdown()

    graphql = GraphQLApp(build_schema(introspection=settings.introspection))
    measured = Metrics()
    domains = DomainTable()
    app = Qrforge(
        RedirectFastPath(redirect, measured, domains, settings.base_redirect),
        ClientAddress(settings.trusted_proxies),
        routes=[
            # Served by the fast path (Qrforge.__call__); listed for the routes' sake.
            Route("/r/{slug}", redirect, methods=["GET", "HEAD", "POST"]),
            Route("/healthz", healthz),
            Route("/.well-known/qrforge/{token}", domain_proof),
            Route("/export/scans.csv", export_scans),
            Route("/bulk", bulk_upload, methods=["POST"]),
            Route("/bulk/{job_id:int}/result", bulk_result),
            Route("/charts/{subject}/{name}", chart),
            Route("/qr/{name}", code_image_endpoint, methods=["GET", "HEAD"]),
            Route("/api/qr", static_qr, methods=["GET", "POST"]),
            Route("/metrics", metrics),
            Route("/openapi.json", openapi),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            *dashboard_routes(),
        ],
        exception_handlers={HTTPException: http_error, Exception: unexpected},
        lifespan=lifespan,
    )
    app.add_middleware(
        RateLimit,
        per_key=settings.rate_limit_per_minute,
        anonymous=settings.anonymous_rate_limit_per_minute,
    )
    app.add_middleware(Authenticate)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.state.metrics = measured
    app.add_middleware(MetricsMiddleware, metrics=measured)
    app.add_middleware(RequestId)
    return app
