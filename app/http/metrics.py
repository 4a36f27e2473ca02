"""GET /metrics: Prometheus text for this process.

Requests are counted by the kind of endpoint, not by path, so a million slugs stay a
handful of series.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ENDPOINTS = (
    ("/r/", "redirect"), ("/graphql", "graphql"), ("/qr/", "image"), ("/api/qr", "render"),
    ("/export/", "export"), ("/bulk/", "bulk"), ("/healthz", "health"), ("/metrics", "metrics"),
)  # fmt: skip


def endpoint_of(path: str) -> str:
    return next((name for prefix, name in ENDPOINTS if path.startswith(prefix)), "other")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "qrforge_http_requests", "HTTP requests answered", ["endpoint", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "qrforge_http_request_seconds", "Time to the response's first byte", ["endpoint"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )  # fmt: skip


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        endpoint = endpoint_of(scope["path"])
        started = time.perf_counter()

        async def observe(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.metrics.latency.labels(endpoint).observe(time.perf_counter() - started)
                self.metrics.requests.labels(endpoint, str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, observe)


class RedirectFastPath:
    """Scans take the short road: /r/{slug} goes straight to the redirect endpoint, past the
    router and the API's middleware (request ids, admission), which a phone following a
    printed code needs none of. It still counts in /metrics like every other request.

    Added last, it is the outermost middleware, inside only Starlette's error handler.
    """

    def __init__(self, app: ASGIApp, endpoint: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.endpoint = endpoint
        self.latency = metrics.latency.labels("redirect")
        self.requests = metrics.requests
        self.counters: dict[int, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        slug = path[3:]
        if not path.startswith("/r/") or not slug or "/" in slug or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["path_params"] = {"slug": slug}
        started = time.perf_counter()

        async def observe(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.latency.observe(time.perf_counter() - started)
                status = message["status"]
                counter = self.counters.get(status)
                if counter is None:
                    counter = self.counters[status] = self.requests.labels("redirect", str(status))
                counter.inc()
            await send(message)

        await self.endpoint(scope, receive, observe)


async def metrics(request: Request) -> Response:
    body = generate_latest(request.app.state.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
