"""GET|HEAD|POST /r/{slug} (and /{slug} on a verified custom domain): send a scanning
phone on its way.

A raw ASGI endpoint: the decision is `app.domain.links.resolve.Redirector`'s, this module
only reads the request and writes the answer, with headers prepared once, because this is
the one endpoint that runs millions of times. `RedirectFastPath` brings the requests here
ahead of the API's router and middleware (request ids, admission), which a phone following
a printed code needs none of.
"""

from __future__ import annotations

import asyncio
import gc
import html
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from urllib.parse import parse_qs, quote

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, Response
from starlette.types import Message, Receive, Scope, Send

from app.domain.breaker import RedisBreaker
from app.domain.domains.table import DomainTable, KnownDomain
from app.domain.links import access, slugs
from app.domain.links.cache import LinkCache
from app.domain.links.fallbacks import WorkspaceFallbacks
from app.domain.links.limits import ScanLimiter
from app.domain.links.resolve import (
    NOT_FOUND,
    PASSWORD,
    REDIRECT,
    UNKNOWN,
    Decision,
    Redirector,
    Visit,
)
from app.domain.scans.enrich import warm_up
from app.domain.scans.recorder import ScanRecorder
from app.domain.scans.spool import Spool
from app.http.metrics import Metrics
from app.http.pages import dead_link_page, prefers_html
from app.http.problems import problem
from app.security.ratelimit import RateLimiter
from app.security.throttle import RedirectGuard
from app.services import Services
from app.web.headers import PAGE_HEADERS

log = logging.getLogger("qrforge.redirect")

# The redirect's Redis calls give up quickly: a scan then goes to the local spool and the
# link comes from the process cache or the database, so a dead Redis costs milliseconds.
HOT_REDIS_TIMEOUT = 0.25
# After a Redis failure the redirect skips Redis for this long instead of timing out on
# every request; the next request after it tries again.
HOT_REDIS_BACKOFF = 1.0

ALLOWED_METHODS = ("GET", "HEAD", "POST")  # POST: the password form
UNLOCK_COOKIE = "qrforge_unlock"
# A password form posts one short field; anything bigger is not a browser.
MAX_FORM_BYTES = 4096
MAX_FORM_FIELDS = 5

# Phones must ask again after an edit; a permanent redirect may be kept a while, privately,
# because rules can send two visitors to two places.
_NO_STORE = (b"cache-control", b"private, no-store")
_CACHE_HEADERS = {
    301: (b"cache-control", b"private, max-age=3600"),
    302: _NO_STORE,
    307: _NO_STORE,
    308: (b"cache-control", b"private, max-age=3600"),
}
_EMPTY = (b"content-length", b"0")
_LOCATION_SAFE = ":/?#[]@!$&'()*+,;=%~"


@asynccontextmanager
async def serve_redirects(
    app: Starlette, services: Services, domains: DomainTable | None = None
) -> AsyncIterator[Redirector]:
    """The redirect's own Redis client (short timeouts), caches and background tasks."""
    settings = services.settings
    warm_up()
    # Everything loaded so far (schema, parsers, models) lives as long as the process: out
    # of the collector's sight, a full collection stops scanning it, which is what keeps
    # the redirect's tail latency near a bare app's.
    gc.freeze()
    redis = Redis.from_url(
        settings.redis_url,
        socket_timeout=HOT_REDIS_TIMEOUT,
        socket_connect_timeout=HOT_REDIS_TIMEOUT,
    )
    breaker = RedisBreaker(HOT_REDIS_BACKOFF)
    namespace = settings.redis_namespace
    cache = LinkCache(redis, namespace, breaker)
    spool = Spool(settings.data_dir / "spool")
    recorder = ScanRecorder(redis, namespace, spool, breaker)
    redirector = Redirector(
        cache,
        ScanLimiter(redis, namespace, breaker),
        recorder,
        settings.secret,
        WorkspaceFallbacks(),
    )
    domains = domains if domains is not None else DomainTable()
    await domains.load()
    app.state.redirector = redirector
    app.state.domains = domains
    app.state.not_found_redirect = settings.not_found_redirect
    app.state.base_redirect = settings.base_redirect
    app.state.redirect_guard = RedirectGuard(
        RateLimiter(redis, namespace),
        settings.redirect_misses_per_minute,
        settings.redirect_per_slug_per_minute,
    )
    app.state.country_header = (settings.country_header or "").lower().encode() or None
    app.state.secure_cookies = settings.public_url.startswith("https://")
    tasks = [
        asyncio.create_task(cache.follow(services.hub), name="link-cache-invalidation"),
        asyncio.create_task(recorder.run_replayer(), name="scan-spool-replayer"),
        asyncio.create_task(domains.follow(services.hub), name="custom-domains"),
    ]
    try:
        yield redirector
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
        with suppress(Exception):
            await recorder.replay()  # a clean stop leaves nothing behind when Redis is up
        spool.close()
        await redis.aclose()


class RedirectEndpoint:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope["app"].state
        redirector: Redirector = state.redirector
        slug: str = scope["path_params"]["slug"]
        method: str = scope["method"]
        user_agent = accept_language = referrer = country = cookie = accept = None
        host_header = ""
        country_header: bytes | None = state.country_header
        for name, value in scope["headers"]:
            if name == b"host":
                host_header = value.decode("latin-1")
            elif name == b"accept":
                accept = value.decode("latin-1")
            elif name == b"user-agent":
                user_agent = value.decode("latin-1")
            elif name == b"accept-language":
                accept_language = value.decode("latin-1")
            elif name == b"referer":
                referrer = value.decode("latin-1")
            elif name == b"cookie":
                cookie = value.decode("latin-1")
            elif name == country_header:
                country = value.decode("latin-1")
        client = scope.get("client")
        ip = client[0] if client else None
        domains: DomainTable = state.domains
        domain = domains.find(host_header) if domains.by_host and host_header else None
        host = domain.hostname if domain is not None else ""
        if not slug:  # the bare domain
            base = domain.base_redirect if domain is not None else state.base_redirect
            if base:
                await _redirect(send, 302, base, no_store=True)
            else:
                await _dead(Decision(NOT_FOUND, 404, reason=UNKNOWN), accept)(scope, receive, send)
            return
        guard: RedirectGuard = state.redirect_guard
        if (wait := guard.refusal(ip, slug)) is not None:
            await _too_many(wait)(scope, receive, send)
            return
        if method not in ALLOWED_METHODS:
            response = problem(405, f"{method} is not allowed here.", code="METHOD_NOT_ALLOWED")
            response.headers["allow"] = ", ".join(ALLOWED_METHODS)
            await response(scope, receive, send)
            return
        query = scope["query_string"].decode("latin-1")
        if method == "POST":
            if (wait := await guard.password_attempt(ip, slug)) is not None:
                await _too_many(wait)(scope, receive, send)
                return
            await self.unlock(scope, receive, send, slug, query, host)
            return
        decision = await redirector.visit(
            Visit(
                slug=slug,
                method=method,
                host=host,
                query=query,
                ip=ip,
                user_agent=user_agent,
                accept_language=accept_language,
                referrer=referrer,
                country=country,
                unlock_token=_cookie(cookie, UNLOCK_COOKIE) if cookie else None,
            )
        )
        if decision.location is not None:
            no_store = decision.link is not None and decision.link.password_hash is not None
            await _redirect(send, decision.status, decision.location, no_store=no_store)
            return
        if decision.outcome == NOT_FOUND and decision.link is None:
            await guard.missed(ip)
            elsewhere = _not_found_redirect(state, domain)
            if elsewhere:
                await _redirect(send, 302, elsewhere, no_store=True)
                return
        await _answer(decision, accept)(scope, receive, send)

    async def unlock(
        self, scope: Scope, receive: Receive, send: Send, slug: str, query: str, host: str
    ) -> None:
        form = await _read_form(receive)
        password = (form.get("password") or [""])[0] if form is not None else ""
        decision, token = await scope["app"].state.redirector.unlock(slug, password, host)
        if decision.outcome == NOT_FOUND:
            await _answer(decision, _header(scope, b"accept"))(scope, receive, send)
            return
        link = decision.link
        if link is not None and link.password_hash is None:
            # Only the password form posts here; a link without a password has none.
            refusal = problem(
                405, "This link has no password: POST is not allowed here.",
                code="METHOD_NOT_ALLOWED",
            )  # fmt: skip
            refusal.headers["allow"] = "GET, HEAD"
            await refusal(scope, receive, send)
            return
        if token is None and link is not None and link.password_hash is not None:
            await password_form(wrong=True)(scope, receive, send)
            return
        # Back to the GET, which now carries the cookie and redirects (and records the scan).
        prefix = "/" if host else "/r/"  # root-level on a custom domain
        path = f"{scope.get('root_path', '')}{prefix}{quote(slug)}"
        response = Response(
            status_code=303,
            headers={
                "location": f"{path}?{query}" if query else path,
                "cache-control": "private, no-store",
            },
        )
        if token is not None:
            response.set_cookie(
                UNLOCK_COOKIE,
                token,
                max_age=access.UNLOCK_SECONDS,
                path=path,
                httponly=True,
                samesite="lax",
                secure=scope["app"].state.secure_cookies,
            )
        await response(scope, receive, send)


redirect = RedirectEndpoint()


class RedirectFastPath:
    """/r/{slug} straight to the redirect endpoint, counted in /metrics like every request.

    It stands in for what the API's stack would do: an unexpected error is logged and
    answered with a 500 problem here, since Starlette's error handler is not in the way.
    """

    def __init__(
        self,
        endpoint: RedirectEndpoint,
        metrics: Metrics,
        domains: DomainTable | None = None,
        base_redirect: str | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.metrics = metrics
        self.domains = domains if domains is not None else DomainTable()
        self.base_redirect = base_redirect

    def slug(self, scope: Scope) -> str | None:
        """The slug a request is for, "" for a bare domain that redirects, else None."""
        if scope["type"] != "http":
            return None
        path: str = scope["path"]
        if path.startswith("/r/"):
            slug = path[3:]
            return slug if slug and "/" not in slug else None
        if path == "/" and self.base_redirect:
            return ""
        # Root-level slugs only on a verified custom domain: one dict lookup, and none at all
        # on an install without custom domains.
        if self.domains.by_host and path.count("/") == 1:
            host = _header(scope, b"host")
            if host and self.domains.find(host) is not None:
                slug = path[1:]  # "" for the bare domain
                # Our own routes (/healthz, /graphql, …) answer on every host.
                if not slug or (
                    slugs.PATTERN.fullmatch(slug) and slug.lower() not in slugs.RESERVED
                ):
                    return slug
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send, slug: str) -> None:
        scope["path_params"] = {"slug": slug}
        started = time.perf_counter()
        status = 0

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                self.metrics.observe("redirect", status, time.perf_counter() - started)
            await send(message)

        try:
            await self.endpoint(scope, receive, observe)
        except Exception:
            log.exception("unexpected error on %s", scope["path"])
            if not status:  # nothing sent yet: the phone still gets an answer
                await problem(500, "Something went wrong on our side.", code="INTERNAL")(
                    scope, receive, observe
                )


async def _redirect(send: Send, status: int, location: str, *, no_store: bool) -> None:
    try:
        encoded = location.encode("ascii")
    except UnicodeEncodeError:  # an IRI: percent-encode what is not ASCII
        encoded = quote(location, safe=_LOCATION_SAFE).encode("ascii")
    headers = [
        (b"location", encoded),
        _NO_STORE if no_store else _CACHE_HEADERS.get(status, _NO_STORE),
        _EMPTY,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def _too_many(wait: float) -> Response:
    response = problem(429, "Too many requests from this client; slow down.", code="RATE_LIMITED")
    response.headers["retry-after"] = str(max(1, round(wait + 0.5)))
    return response


def _answer(decision: Decision, accept: str | None) -> Response:
    if decision.outcome == PASSWORD:
        return password_form(wrong=False)
    if decision.outcome == REDIRECT:  # pragma: no cover - redirects are written above
        raise AssertionError("a redirect has a location")
    return _dead(decision, accept)


def _dead(decision: Decision, accept: str | None) -> Response:
    """A person's browser gets a page in plain words; an API client problem+json."""
    if prefers_html(accept):
        return dead_link_page(decision.reason, decision.status)
    if decision.status == 410:
        return problem(
            410, "This link is no longer available.", code="LINK_UNAVAILABLE",
            reason=decision.reason,
        )  # fmt: skip
    return problem(404, "No link has this address.", code="NOT_FOUND")


def _not_found_redirect(state: object, domain: KnownDomain | None) -> str | None:
    if domain is not None:
        return domain.not_found_redirect
    return getattr(state, "not_found_redirect", None)


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip('"')
    return None


async def _read_form(receive: Receive) -> dict[str, list[str]] | None:
    body = b""
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return None
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        return parse_qs(body.decode("utf-8", "replace"), max_num_fields=MAX_FORM_FIELDS)
    except ValueError:  # more fields than the form has: not a browser
        return None


_FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Password required</title>
<style>body{{font-family:system-ui,sans-serif;max-width:22rem;margin:15vh auto;padding:0 1rem}}
input,button{{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;margin:.25rem 0}}
.error{{color:#b00020}}</style></head>
<body><h1>Password required</h1><p>This link is protected by a password.</p>{message}
<form method="post" action=""><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" autofocus
 required maxlength="128"><button type="submit">Continue</button></form></body></html>
"""


def password_form(*, wrong: bool) -> HTMLResponse:
    message = (
        f'<p class="error" role="alert">{html.escape("Wrong password, try again.")}</p>'
        if wrong
        else ""
    )
    return HTMLResponse(
        _FORM.format(message=message),
        status_code=403 if wrong else 200,
        # The pages' CSP (no script at all here, its inline style allowed, never framed: a
        # framed password form is a clickjacking target); never stored, as it gates a link.
        headers={**PAGE_HEADERS, "Cache-Control": "private, no-store"},
    )
