"""GET /metrics: Prometheus text for this process.

Requests are counted by the kind of endpoint, not by path, so a million slugs stay a
handful of series.
"""

from __future__ import annotations

import time

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


async def metrics(request: Request) -> Response:
    body = generate_latest(request.app.state.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
