"""GET /metrics: Prometheus text for this process.

Requests are counted by the kind of endpoint, not by path, so a million slugs stay a
handful of series. The counts live in plain dicts and become Prometheus families only when
scraped: recording a request is a few dict updates, not prometheus_client's locked metric
objects, because the redirect records millions of them.
"""

from __future__ import annotations

import hmac
import time
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.problems import problem

ENDPOINTS = (
    ("/r/", "redirect"), ("/graphql", "graphql"), ("/qr/", "image"), ("/api/qr", "render"),
    ("/export/", "export"), ("/bulk/", "bulk"), ("/healthz", "health"), ("/metrics", "metrics"),
)  # fmt: skip
# Upper bounds of the latency histogram, in seconds.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def endpoint_of(path: str) -> str:
    return next((name for prefix, name in ENDPOINTS if path.startswith(prefix)), "other")


class Metrics:
    """This process's request counts and latencies, and their Prometheus collector."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, int]] = Counter()  # (endpoint, status) -> requests
        # endpoint -> requests per latency bucket (the last one past every bound)
        self.buckets: dict[str, list[int]] = {}
        self.seconds: defaultdict[str, float] = defaultdict(float)  # endpoint -> total latency
        self.registry = CollectorRegistry()
        self.registry.register(self)

    def observe(self, endpoint: str, status: int, seconds: float) -> None:
        self.requests[endpoint, status] += 1
        buckets = self.buckets.get(endpoint)
        if buckets is None:
            buckets = self.buckets[endpoint] = [0] * (len(BUCKETS) + 1)
        buckets[bisect_left(BUCKETS, seconds)] += 1  # bounds are inclusive: le="0.005"
        self.seconds[endpoint] += seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "qrforge_http_requests", "HTTP requests answered", labels=["endpoint", "status"]
        )
        for (endpoint, status), count in sorted(self.requests.items()):
            requests.add_metric([endpoint, str(status)], count)
        yield requests
        latency = HistogramMetricFamily(
            "qrforge_http_request_seconds",
            "Time to the response's first byte",
            labels=["endpoint"],
        )
        for endpoint, counts in sorted(self.buckets.items()):
            cumulative, total = [], 0
            for bound, count in zip((*map(str, BUCKETS), "+Inf"), counts, strict=True):
                total += count
                cumulative.append((bound, total))
            latency.add_metric([endpoint], cumulative, sum_value=self.seconds[endpoint])
        yield latency


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
                self.metrics.observe(endpoint, message["status"], time.perf_counter() - started)
            await send(message)

        await self.app(scope, receive, observe)


async def metrics(request: Request) -> Response:
    token = request.app.state.services.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip(), token):
            refused = problem(
                401,
                "Send the metrics token: Authorization: Bearer <QRFORGE_METRICS_TOKEN>.",
                code="UNAUTHENTICATED",
            )
            refused.headers["WWW-Authenticate"] = "Bearer"
            return refused
    body = generate_latest(request.app.state.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
