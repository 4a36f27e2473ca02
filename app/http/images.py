"""Images over HTTP: a stored code's image, and one-shot static renders.

`GET /qr/{id}.{png,svg,jpeg,pdf}?size=N`: `id` is the code's numeric id, what `imageUrl`
puts there (the global id is accepted too). Authorised either by the signed query
(`exp`, `sig`) that `imageUrl` returns, or by a Bearer key with `codes:read` of the code's
workspace. Answers with an `ETag` (the image's content hash) and honours `If-None-Match`.

`GET /api/qr?data=...` and `POST /api/qr` render without storing anything; a key is
optional there.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from app.domain.codes.images import (
    EXTENSIONS,
    ImageRequest,
    ImageStore,
    code_image,
    image_size,
    render_checked,
    static_image,
)
from app.domain.codes.logos import CachedLogos
from app.domain.codes.models import QrCode
from app.domain.workspaces.services import Principal, authenticate
from app.errors import InvalidInput
from app.http.graphql import bearer
from app.http.problems import problem
from app.ids import pk_of
from app.security.signed_urls import signature_problem

FORMATS = {ext: fmt for fmt, ext in EXTENSIONS.items()} | {"jpg": "JPEG"}
MAX_BODY = 2_000_000  # a 1 MB logo as base64 plus the rest of a render request
STATIC_MAX_AGE = 86400  # a static render is a pure function of its URL
CODE_MAX_AGE = 300  # a code's look can change (design edits); the ETag makes rechecks cheap
MAX_ID_DIGITS = 18


def image_store(app: Starlette) -> ImageStore:
    # The render pool is a process pool, owned by the lifespan.
    return ImageStore.of(app.state.services, app.state.render_pool.render_one)


def invalid(error: InvalidInput, status: int = 422) -> Response:
    errors = [
        {"field": list(p.field), "message": p.message, "code": p.code} for p in error.problems
    ]
    first = error.problems[0] if error.problems else None
    return problem(
        status,
        "; ".join(p.message for p in error.problems) or "Invalid input.",
        code=first.code if first else "BAD_USER_INPUT",
        errors=errors,
    )


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit()  # "²".isdigit() too, and int() refuses it


def _code_pk(stem: str) -> int | None:
    if _digits(stem) and len(stem) <= MAX_ID_DIGITS:
        return int(stem)
    return pk_of(stem, "QrCode")


def _size(request: Request) -> int | None | Response:
    raw = request.query_params.get("size")
    if raw is None or raw == "":
        return None
    if not _digits(raw) or len(raw) > 5:
        return problem(400, "size must be a whole number of pixels.", code="INVALID_SIZE")
    return int(raw)


async def _principal(request: Request) -> Principal | None | Response:
    """The caller's key (None when none was sent), or a 401 for a key that is not known."""
    state = request.scope.get("state", {})
    if "key_given" in state:  # the admission middleware has looked the key up already
        key_given, principal = state["key_given"], state["principal"]
    else:
        key = bearer(request.headers.get("authorization"))
        key_given, principal = key is not None, await authenticate(key) if key else None
    if not key_given:
        return None
    if principal is None:
        return problem(401, "Unknown API key.", code="UNAUTHENTICATED")
    return principal


async def code_image_endpoint(request: Request) -> Response:
    stem, _, ext = request.path_params["name"].rpartition(".")
    fmt = FORMATS.get(ext.lower())
    pk = _code_pk(stem) if fmt else None
    if fmt is None or pk is None:
        return problem(404, "No image has this address.", code="NOT_FOUND")
    size = _size(request)
    if isinstance(size, Response):
        return size

    params = dict(request.query_params)
    lookup: dict[str, Any] = {"id": pk}
    if "sig" in params or "exp" in params:
        reason = signature_problem(
            request.app.state.services.settings.secret, request.url.path, params, time.time()
        )
        if reason is not None:
            return problem(403, f"Refused: {reason}.", code="FORBIDDEN")
    else:
        principal = await _principal(request)
        if isinstance(principal, Response):
            return principal
        if principal is None:
            return problem(401, "Send an API key or use a signed imageUrl.", code="UNAUTHENTICATED")
        if not principal.can("codes:read"):
            return problem(403, "This API key lacks the 'codes:read' scope.", code="FORBIDDEN")
        lookup["workspace_id"] = principal.workspace_id

    code = await QrCode.get_or_none(**lookup)
    if code is None:
        return problem(404, "No image has this address.", code="NOT_FOUND")
    wanted = await code_image(code, fmt, None if size is None else image_size(size))
    return await _serve(request, wanted, f"private, max-age={CODE_MAX_AGE}")


async def _serve(
    request: Request, wanted: ImageRequest, cache_control: str, *, cache: bool = True
) -> Response:
    """The image, from the cache or rendered in the render processes (then cached when `cache`)."""
    etag = f'"{wanted.key}"'
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    store = image_store(request.app)
    data = await store.cached(wanted) if cache else None
    headers["X-Cache"] = "HIT" if data is not None else "MISS"
    if data is None:
        try:
            rendered = await render_checked(store, wanted)
        except InvalidInput as error:
            return invalid(error)
        data = rendered.data
        if cache:
            await store.store(wanted, data)
    return Response(data, media_type=wanted.content_type, headers=headers)


# --- static one-shot renders -------------------------------------------------------------

DANGEROUS_SCHEME = re.compile(r"^\s*(javascript|vbscript|data|file):", re.IGNORECASE)
HTTP_URL = re.compile(r"^https?://", re.IGNORECASE)
# The names POST /api/qr and GraphQL use, then the short ones kept as aliases.
STYLE_PARAMS = {
    "foreground": ("foreground", "fg"),
    "background": ("background", "bg"),
    "error_correction": ("errorCorrection", "ecc"),
}
POST_KEYS = ("dataType", "data", "format", "style", "size")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _snake_keys(value: Any) -> Any:
    """A camelCase style (as RenderQrInput spells it) in Style.from_dict's spelling."""
    if isinstance(value, dict):
        return {_snake(k) if isinstance(k, str) else k: _snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake_keys(v) for v in value]
    return value


def _get_input(request: Request) -> dict[str, Any] | InvalidInput:
    query = request.query_params
    data = query.get("data")
    if not data:
        return InvalidInput.one("REQUIRED", "data is required: /api/qr?data=...", ("data",))
    if DANGEROUS_SCHEME.match(data):
        return InvalidInput.one(
            "INVALID_URL", "javascript:, vbscript:, data: and file: content is refused", ("data",)
        )
    style: dict[str, Any] = {}
    for name, params in STYLE_PARAMS.items():
        if value := next((v for p in params if (v := query.get(p))), None):
            color = name != "error_correction" and not value.startswith("#")
            style[name] = f"#{value}" if color else value
    size = query.get("size")
    url = HTTP_URL.match(data) is not None
    return {
        "data_type": "URL" if url else "TEXT",
        "data": {"url": data} if url else {"text": data},
        "format": query.get("format", "PNG"),
        "style": style or None,
        "size": int(size) if size and _digits(size) and len(size) <= 5 else size,
    }


async def _post_input(request: Request) -> dict[str, Any] | InvalidInput | Response:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return problem(413, f"The request body is over {MAX_BODY:,} bytes.", code="TOO_LARGE")
    try:
        given = json.loads(body)
    except (ValueError, RecursionError):
        return problem(400, "The body is not JSON.", code="BAD_REQUEST")
    if not isinstance(given, dict):
        return InvalidInput.one("INVALID_DATA", "The body must be a JSON object.", ())
    if unknown := [k for k in given if k not in POST_KEYS]:
        return InvalidInput.one(
            "UNKNOWN_FIELD", f"unknown fields {unknown}; expected {', '.join(POST_KEYS)}",
            (str(unknown[0]),),
        )  # fmt: skip
    style, fmt = given.get("style"), given.get("format", "PNG")
    return {
        "data_type": given.get("dataType"),
        "data": given.get("data"),
        "format": fmt if isinstance(fmt, str) else None,  # an object or list is unhashable
        "style": _snake_keys(style) if isinstance(style, dict) else style,
        "size": given.get("size"),
    }


async def static_qr(request: Request) -> Response:
    principal = await _principal(request)  # optional; a wrong key is still refused
    if isinstance(principal, Response):
        return principal
    given = _get_input(request) if request.method == "GET" else await _post_input(request)
    if isinstance(given, Response):
        return given
    if isinstance(given, InvalidInput):
        return invalid(given)
    services = request.app.state.services
    try:
        wanted = await static_image(
            given["data_type"], given["data"], given["format"], given["style"], given["size"],
            CachedLogos.of(services), request.app.state.render_pool.check_logo,
        )  # fmt: skip
    except InvalidInput as error:
        return invalid(error)
    # Not cached in Redis: anyone may ask for anything here, so it must not fill memory.
    return await _serve(request, wanted, f"public, max-age={STATIC_MAX_AGE}", cache=False)
