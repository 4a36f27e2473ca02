"""What every request passes before a route sees it: a body-size cap, who is calling, and
whether they are within their rate limit.

The redirect endpoint skips all of it: phones send no keys, and it guards itself against
slug enumeration.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from redis.exceptions import RedisError
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.domain.workspaces.services import authenticate
from app.http.problems import problem
from app.security.authfail import FailedAuth
from app.security.client_ip import limit_key
from app.security.ratelimit import Decision, RateLimiter

log = logging.getLogger("qrforge.admission")

UNGUARDED = ("/r/", "/healthz", "/metrics")
ANONYMOUS_LIMITED = ("/api/qr",)  # anonymous callers are limited per client IP here


def bearer(value: str | None) -> str | None:
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip()
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class BodyLimit:
    """Answers 413 for a body over `max_bytes`, whether declared or streamed.

    A declared Content-Length is checked up front (the server holds the client to it); a
    chunked body is read here, up to the limit, and handed on whole.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413, f"Request bodies are at most {self.max_bytes} bytes.", code="TOO_LARGE"
        )
        await response(scope, receive, send)


class Authenticate:
    """Resolves the Bearer key once; handlers read `request.state.principal` (None if absent
    or unknown) and `request.state.key_given`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(UNGUARDED):
            key = bearer(_header(scope, b"authorization"))
            state = scope.setdefault("state", {})
            state["key_given"] = key is not None
            state["principal"] = None
            if key:
                failures = self._failures(scope)
                ip = (scope.get("client") or ("unknown", 0))[0]
                if (wait := await self._wait(failures, ip)) is not None:
                    await _refuse_failed_auth(scope, wait)(scope, receive, send)
                    return
                state["principal"] = principal = await authenticate(key)
                if principal is None:
                    with suppress(RedisError, OSError):
                        await failures.failed(ip)
        await self.app(scope, receive, send)

    def _failures(self, scope: Scope) -> FailedAuth:
        services = scope["app"].state.services
        return FailedAuth(services.redis, services.settings.redis_namespace)

    async def _wait(self, failures: FailedAuth, ip: str) -> int | None:
        try:
            return await failures.wait(ip)
        except (RedisError, OSError):
            return None  # without Redis, keys are checked unthrottled


def _refuse_failed_auth(scope: Scope, wait: int) -> Response:
    message = "Too many unknown API keys from this address; retry later."
    headers = {"Retry-After": str(wait)}
    if scope["path"].startswith("/graphql"):
        body = {
            "data": None,
            "errors": [{"message": message, "extensions": {"code": "RATE_LIMITED"}}],
        }
        return JSONResponse(body, status_code=429, headers=headers)
    response = problem(429, message, code="RATE_LIMITED")
    response.headers.update(headers)
    return response


class RateLimit:
    """Per API key (the workspace's limit or the default), or per client IP for anonymous
    rendering. Adds RateLimit-* headers; answers 429 with Retry-After when over."""

    def __init__(self, app: ASGIApp, per_key: int, anonymous: int) -> None:
        self.app = app
        self.per_key = per_key
        self.anonymous = anonymous

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        bucket = self._bucket(scope)
        if bucket is None:
            await self.app(scope, receive, send)
            return
        name, limit = bucket
        services = scope["app"].state.services
        try:
            limiter = RateLimiter(services.redis, services.settings.redis_namespace)
            decision = await limiter.hit(name, limit)
        except (RedisError, OSError) as error:
            # Better to serve unlimited for a moment than to refuse everyone.
            log.warning("rate limiting skipped, Redis unavailable: %s", error)
            await self.app(scope, receive, send)
            return
        if not decision.allowed:
            await self._refuse(scope, decision)(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for header, value in decision.headers().items():
                    headers[header] = value
            await send(message)

        await self.app(scope, receive, with_headers)

    def _bucket(self, scope: Scope) -> tuple[str, int] | None:
        if scope["type"] != "http" or scope["path"].startswith(UNGUARDED):
            return None
        principal = scope.get("state", {}).get("principal")
        if principal is not None:
            return f"key:{principal.key_id}", principal.rate_limit or self.per_key
        if scope["path"].startswith(ANONYMOUS_LIMITED):
            client = scope.get("client") or ("unknown", 0)
            return f"ip:{limit_key(client[0])}", self.anonymous
        return None

    def _refuse(self, scope: Scope, decision: Decision) -> Response:
        message = f"Rate limit of {decision.limit} requests a minute reached; retry later."
        if scope["path"].startswith("/graphql"):
            error = {"message": message, "extensions": {"code": "RATE_LIMITED"}}
            body = {"data": None, "errors": [error]}
            return JSONResponse(body, status_code=429, headers=decision.headers())
        response = problem(429, message, code="RATE_LIMITED")
        response.headers.update(decision.headers())
        return response
