"""GET /openapi.json: the REST endpoints in OpenAPI 3.1.

The GraphQL API describes itself (`schema.graphql`, introspection); this is the rest of the
surface: redirects, images, one-shot renders, exports, downloads and the operator's
endpoints. Limits are the code's own constants, so the document cannot promise one thing
while a handler enforces another.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from app.domain.links.resolve import MAX_PASSWORD
from app.domain.links.slugs import MAX_LENGTH as MAX_SLUG
from app.domain.scans.analytics import INTERVALS
from app.domain.scans.charts import CHART_FORMATS, SUBJECTS
from app.http.images import MAX_BODY, MAX_ID_DIGITS
from app.http.redirect import MAX_FORM_BYTES
from app.rendering.payloads import DATA_TYPES
from app.rendering.render import CONTENT_TYPES
from app.rendering.style import (
    ERROR_LEVELS,
    FINDER_SHAPES,
    FRAME_STYLES,
    GRADIENT_TYPES,
    MAX_FRAME_TEXT,
    MAX_LOGO_FRACTION,
    MAX_LOGO_MARGIN,
    MAX_MARGIN,
    MAX_SIZE,
    MIN_SIZE,
    MODULE_SHAPES,
    SHAPES,
)

HEX = "([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"
STRING = {"type": "string"}
BINARY = {"type": "string", "contentMediaType": "application/octet-stream"}
SIGNATURE = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
LOCATION = {"Location": {"schema": STRING, "required": True}}

ERRORS = {  # name: (status, when)
    "BadRequest": ("400", "Malformed: a size that is not a number, a body that is not JSON."),
    "Unauthorized": ("401", "No API key where one is needed, or a key that is not known."),
    "Forbidden": ("403", "The key lacks the scope, or the signed URL is wrong or expired."),
    "NotFound": ("404", "Nothing of the caller's has this address."),
    "Gone": ("410", "It was here and is not any more."),
    "TooLarge": ("413", "The request body is over the limit."),
    "Invalid": ("422", "Understood but not acceptable; `errors` lists every problem under its "
                       "field path."),
    "TooManyRequests": ("429", "Over a rate limit: wait `Retry-After` seconds."),
}  # fmt: skip


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _int(low: int, high: int | None = None) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, **({"maximum": high} if high else {})}


def _answer(description: str, media: str | None = None, schema: Any = STRING,
            **more: Any) -> dict[str, Any]:  # fmt: skip
    content = {"content": {media: {"schema": schema}}} if media else {}
    return {"description": description, **content, **more}


def _param(where: str, name: str, schema: dict[str, Any], description: str,
           **more: Any) -> dict[str, Any]:  # fmt: skip
    required = {"required": True} if where == "path" else {}
    return {"name": name, "in": where, "schema": schema, "description": description,
            **required, **more}  # fmt: skip


def _op(summary: str, answers: dict[str, Any], *errors: str, **more: Any) -> dict[str, Any]:
    """An operation: its own answers by status, plus shared errors by name (see ERRORS)."""
    shared = {ERRORS[name][0]: _ref("responses", name) for name in errors}
    return {"summary": summary, **more, "responses": answers | shared}


PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": STRING, "title": STRING, "status": {"type": "integer"}, "detail": STRING,
        "code": {"type": "string", "description": "A stable, machine-readable reason."},
        "requestId": STRING,
        "errors": {"type": "array", "items": {
            "type": "object",
            "required": ["field", "message", "code"],
            "properties": {"field": {"type": "array", "items": STRING}, "message": STRING,
                           "code": STRING},
        }},
    },
}  # fmt: skip
RATE_HEADERS = {
    name: {"description": what, "schema": {"type": "string", "pattern": "^[0-9]+$"},
           "required": name == "Retry-After"}
    for name, what in (
        ("Retry-After", "Seconds until a retry can succeed."),
        ("RateLimit-Limit", "Requests allowed a minute (answers to a key)."),
        ("RateLimit-Remaining", "Requests left now."),
        ("RateLimit-Reset", "Seconds until the allowance is full again."),
    )
}  # fmt: skip
GRADIENT = {
    "type": "object", "additionalProperties": False, "required": ["stops"],
    "properties": {
        "type": {"type": "string", "enum": list(GRADIENT_TYPES)},
        "rotation": _nullable({"type": "number", "minimum": -360, "maximum": 360}),
        "stops": {"type": "array", "minItems": 2, "maxItems": 10, "items": {
            "type": "object", "additionalProperties": False, "required": ["color"],
            "properties": {
                "offset": _nullable({"type": "number", "minimum": 0, "maximum": 1}),
                "color": {"type": "string", "pattern": f"^#{HEX}"},
            },
        }},
    },
}  # fmt: skip
STYLE = {
    "type": "object",
    "additionalProperties": False,
    "description": "How the code looks; every field is optional.",
    "properties": {
        "size": _nullable(_int(MIN_SIZE, MAX_SIZE)),
        "margin": _nullable(_int(0, MAX_MARGIN)),
        "errorCorrection": _nullable({"type": "string", "enum": list(ERROR_LEVELS)}),
        "foreground": _nullable({"type": "string", "pattern": f"^#{HEX}"}),
        "background": _nullable({"type": "string", "pattern": f"^#{HEX}"}),
        "gradient": _nullable(GRADIENT),
        "backgroundGradient": _nullable(GRADIENT),
        "shape": _nullable({"type": "string", "enum": list(SHAPES)}),
        "innerFinderShape": _nullable({"type": "string", "enum": list(FINDER_SHAPES)}),
        "innerFinderColor": _nullable({"type": "string", "pattern": f"^#{HEX}"}),
        "frame": _nullable({
            "type": "object", "additionalProperties": False,
            "description": "A border with a call to action; every field is optional.",
            "properties": {
                "style": _nullable({"type": "string", "enum": list(FRAME_STYLES)}),
                "text": _nullable({"type": "string", "maxLength": MAX_FRAME_TEXT}),
                "textColor": _nullable({"type": "string", "pattern": f"^#{HEX}"}),
                "color": _nullable({"type": "string", "pattern": f"^#{HEX}"}),
            },
        }),
        "moduleShape": _nullable({"type": "string", "enum": list(MODULE_SHAPES)}),
        "finderShape": _nullable({"type": "string", "enum": list(FINDER_SHAPES)}),
        "finderColor": _nullable({"type": "string", "pattern": f"^#{HEX}"}),
        "logo": _nullable({
            "type": "object", "additionalProperties": False,
            "description": "Exactly one of `data` (a data: URI) or `url` (https).",
            "properties": {
                "data": _nullable({"type": "string", "pattern": "^data:"}),
                "url": _nullable({"type": "string", "pattern": "^https://"}),
                "size": _nullable({"type": "number", "exclusiveMinimum": 0,
                                   "maximum": MAX_LOGO_FRACTION}),
                "hideBackgroundModules": _nullable({"type": "boolean"}),
                "margin": _nullable({"type": "number", "minimum": 0,
                                     "maximum": MAX_LOGO_MARGIN}),
                "removeBackground": _nullable({"type": "boolean"}),
            },
        }),
    },
}  # fmt: skip
RENDER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["dataType", "data"],
    "description": "As GraphQL's `RenderQrInput`.",
    "properties": {
        "dataType": {"type": "string", "enum": list(DATA_TYPES)},
        "data": {
            "type": "object",
            "description": "The fields of `dataType`: URL `{url}`, TEXT `{text}`, WIFI `{ssid, "
            "password, encryption, hidden}` and so on, as in the GraphQL API.",
            "example": {"url": "https://example.com/"},
        },
        "format": {"type": "string", "enum": list(CONTENT_TYPES), "default": "PNG"},
        "style": _nullable(_ref("schemas", "Style")),
        "size": _nullable(_int(MIN_SIZE, MAX_SIZE)),
    },
}
HEALTH = {
    "type": "object",
    "required": ["status", "checks"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "checks": {"type": "object", "additionalProperties": STRING},
    },
}

# --- operations ---------------------------------------------------------------------------

FOLLOW = {
    **{str(s): _answer(f"To the destination ({why}).", headers=LOCATION)
       for s, why in ((301, "redirectType 301"), (302, "the default"),
                      (307, "redirectType 307"), (308, "redirectType 308"))},
    "200": _answer("The form of a password-protected link.", "text/html"),
}  # fmt: skip
UNLOCK_FORM = {
    "type": "object",
    "properties": {"password": {"type": "string", "maxLength": MAX_PASSWORD}},
}
IMAGE = {
    "200": {
        "description": "The image. `ETag` is its content hash; `If-None-Match` gets a 304.",
        "headers": {"ETag": {"schema": STRING}},
        "content": {media: {"schema": BINARY} for media in CONTENT_TYPES.values()},
    },
    "304": _answer("The image has not changed since the ETag sent."),
}
SIZE = _param("query", "size", _int(MIN_SIZE, MAX_SIZE),
              "Pixels; the code's (or the style's) size when absent.")  # fmt: skip
CODE_IMAGE = dict(
    description="Authorised by the signed query (`exp`, `sig`) that GraphQL's `imageUrl` "
    "returns, or by a Bearer key with `codes:read` of the code's workspace.",
    security=[{}, {"apiKey": []}],
    parameters=[
        _param("path", "id", {"type": "string", "pattern": f"^[0-9]{{1,{MAX_ID_DIGITS}}}$"},
               "The code's numeric id, as in `imageUrl` (its global id works too).",
               example="1"),
        _param("path", "format", {"type": "string", "enum": ["png", "svg", "jpeg", "jpg", "pdf"]},
               "The image format (any letter case).", example="png"),
        SIZE,
        _param("query", "exp", _int(0), "Expiry of a signed URL (unix seconds)."),
        _param("query", "sig", SIGNATURE, "Signature of a signed URL (hex HMAC-SHA256)."),
    ],
)  # fmt: skip
CODE_IMAGE_ERRORS = ("BadRequest", "Unauthorized", "Forbidden", "NotFound", "Invalid",
                     "TooManyRequests")  # fmt: skip
BULK = dict(
    description="Through the signed `resultUrl` of a finished job: the first GET takes the "
    "file, and after it the answer is 410. HEAD tells whether it is there without taking it.",
    parameters=[
        _param("path", "id", _int(0), "The bulk job's numeric id.", example=1),
        _param("query", "exp", _int(0), "Expiry (unix seconds).", required=True),
        _param("query", "sig", SIGNATURE, "Signature (hex HMAC-SHA256).", required=True),
    ],
)
CHART = dict(
    description="Through the signed URL `analyticsChartUrl` returns (no key: the signature is "
    "the permission); the range and interval are part of what is signed.",
    parameters=[
        _param("path", "subject", {"type": "string", "enum": list(SUBJECTS)},
               "A link's chart, or the whole workspace's.", example="links"),
        _param("path", "id", {"type": "string", "pattern": "^[0-9]{1,18}$"},
               "The link's or workspace's numeric id.", example="1"),
        _param("path", "format", {"type": "string", "enum": list(CHART_FORMATS.values())},
               "The image format.",
               example="svg"),
        _param("query", "from", {"type": "string"}, "Start of the range (ISO 8601).",
               required=True),
        _param("query", "to", {"type": "string"}, "End of the range (ISO 8601).", required=True),
        _param("query", "interval", {"type": "string", "enum": list(INTERVALS)},
               "The bucket of the series."),
        _param("query", "exp", _int(0), "Expiry (unix seconds).", required=True),
        _param("query", "sig", SIGNATURE, "Signature (hex HMAC-SHA256).", required=True),
    ],
)  # fmt: skip
HEX_QUERY = {"type": "string", "pattern": f"^#?{HEX}"}
UPLOAD = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {**BINARY, "description": "CSV (UTF-8) or XLSX; the first row names the columns."},
        "format": {"type": "string", "enum": ["PNG", "SVG", "JPEG", "PDF"]},
        "size": {"type": "integer", "minimum": 64, "maximum": 4096},
        "idempotencyKey": {"type": "string", "minLength": 1, "maxLength": 100},
        "sheet": {"type": "string", "description": "LabelSheetInput as JSON."},
    },
}
BULK_JOB = {
    "type": "object",
    "required": ["id", "status", "total"],
    "properties": {"id": STRING, "status": STRING, "total": {"type": "integer"}},
}
RENDER_QUERY = [
    _param("query", "data", {"type": "string", "minLength": 1},
           "What to encode: an http(s) URL, or else text.", required=True,
           example="https://example.com/"),
    _param("query", "format", {"type": "string", "enum": list(CONTENT_TYPES)},
           "Image format (any letter case); PNG when absent."),
    SIZE,
    _param("query", "foreground", HEX_QUERY, "Foreground colour, hex with or without `#`."),
    _param("query", "background", HEX_QUERY, "Background colour, hex with or without `#`."),
    _param("query", "errorCorrection", {"type": "string", "enum": list(ERROR_LEVELS)},
           "Error correction level."),
    _param("query", "fg", HEX_QUERY, "Alias of `foreground`."),
    _param("query", "bg", HEX_QUERY, "Alias of `background`."),
    _param("query", "ecc", {"type": "string", "enum": list(ERROR_LEVELS)},
           "Alias of `errorCorrection`."),
]  # fmt: skip
ANY_KEY = "A key is optional (without one, the client IP's lower limit applies); an unknown " \
          "key is refused."  # fmt: skip
EXPORT_QUERY = [
    _param("query", "link", STRING, "The link's global id; without it, the whole workspace.",
           example="TGluazox"),
    _param("query", "from", {"type": "string", "format": "date-time"},
           "Scans at or after this instant (ISO 8601; UTC when it has no offset)."),
    _param("query", "to", {"type": "string", "format": "date-time"},
           "Scans before this instant."),
    _param("query", "tag", STRING, "Only scans of links with this tag."),
    _param("query", "source", {"type": "string", "enum": ["QR", "LINK"]},
           "Only scans of printed codes (QR) or clicks (LINK)."),
    _param("query", "includeBots", {"type": "string", "enum": ["true", "false"]},
           "false leaves bots out; the export is the raw record, so they are in by default."),
]  # fmt: skip

PATHS: dict[str, Any] = {
    "/r/{slug}": {
        "parameters": [_param("path", "slug", {"type": "string", "minLength": 1,
                                               "maxLength": MAX_SLUG,
                                               "pattern": "^[A-Za-z0-9_-]+$"},
                              "The link's slug.", example="spring-sale")],
        "get": _op("Follow a short link", FOLLOW, "NotFound", "Gone", "TooManyRequests",
                   description="Redirects where the link's status and rules say, and records "
                   "a scan. A password-protected link answers a form first."),
        "head": _op("Follow a short link without a body (the scan is flagged as such)", FOLLOW,
                    "NotFound", "Gone", "TooManyRequests"),
        "post": _op(
            "Unlock a password-protected link",
            {"303": _answer("Back to the GET, with the unlock cookie when the password was "
                            "right.", headers=LOCATION),
             "403": _answer("The form again: a wrong password.", "text/html")},
            "NotFound", "TooManyRequests",
            requestBody={
                "required": True,
                "description": f"A form; over {MAX_FORM_BYTES} bytes it is read as no password.",
                "content": {"application/x-www-form-urlencoded": {"schema": UNLOCK_FORM}},
            },
        ),
    },
    "/qr/{id}.{format}": {
        "get": _op("A stored code's image", IMAGE, *CODE_IMAGE_ERRORS, **CODE_IMAGE),
        "head": _op("A stored code's image headers", IMAGE, *CODE_IMAGE_ERRORS, **CODE_IMAGE),
    },
    "/api/qr": {
        "get": _op("Render a URL or text, storing nothing", IMAGE,
                   "Unauthorized", "Invalid", "TooManyRequests",
                   description=ANY_KEY, security=[{}, {"apiKey": []}], parameters=RENDER_QUERY),
        "post": _op(
            "Render any data type in any style, storing nothing", IMAGE,
            "BadRequest", "Unauthorized", "TooLarge", "Invalid", "TooManyRequests",
            description=ANY_KEY, security=[{}, {"apiKey": []}],
            requestBody={
                "required": True,
                "description": f"At most {MAX_BODY:,} bytes.",
                "content": {"application/json": {"schema": _ref("schemas", "RenderRequest")}},
            },
        ),
    },
    "/export/scans.csv": {
        "get": _op("Scans of a link or of the workspace as CSV, streamed",
                   {"200": _answer("A header row, then a row a scan, oldest first.", "text/csv")},
                   "Unauthorized", "Forbidden", "NotFound", "Invalid", "TooManyRequests",
                   description="Needs a key with `analytics:read`.",
                   security=[{"apiKey": []}], parameters=EXPORT_QUERY),
    },
    "/bulk": {
        "post": _op(
            "A bulk job from a CSV or XLSX file",
            {"201": _answer("The job, queued.", "application/json", BULK_JOB)},
            "Unauthorized", "Forbidden", "TooLarge", "Invalid", "TooManyRequests",
            description="Needs a key with `bulk:write`. One code a row; the columns are in the "
            "README. A file with a bad row stores nothing: `errors` names each row and column "
            "(`field` is [row, column], the header being row 1).",
            security=[{"apiKey": []}],
            requestBody={"required": True, "content": {"multipart/form-data": {"schema": UPLOAD}}},
        ),
    },
    "/bulk/{id}/result": {
        "get": _op("A bulk job's ZIP, once",
                   {"200": _answer("The ZIP.", "application/zip", BINARY)},
                   "Forbidden", "Gone", "TooManyRequests", **BULK),
        "head": _op("Is the bulk job's ZIP still there?",
                    {"200": _answer("It is, and a GET will take it.")},
                    "Forbidden", "Gone", "TooManyRequests", **BULK),
    },
    "/charts/{subject}/{id}.{format}": {
        "get": _op("A scans chart as an image, for e-mails and reports",
                   {"200": {"description": "The chart.", "content": {
                       "image/svg+xml": {"schema": BINARY}, "image/png": {"schema": BINARY}}}},
                   "Forbidden", "NotFound", "Invalid", "TooManyRequests", **CHART),
    },
    "/healthz": {
        "get": _op("Can this process reach its database and Redis?", {
            "200": _answer("Healthy.", "application/json", _ref("schemas", "Health")),
            "503": _answer("Degraded: a check failed.", "application/json",
                           _ref("schemas", "Health")),
        }),
    },
    "/.well-known/qrforge/{token}": {
        "parameters": [_param("path", "token", {"type": "string", "maxLength": 64},
                              "A custom domain's verification token.", example="k7Yx2")],
        "get": _op("A custom domain's proof of control, on that host (verifyDomain)", {
            "200": _answer("The token, when the Host is the domain waiting for it.",
                           "text/plain"),
        }, "NotFound"),
    },
    "/metrics": {"get": _op("This process's Prometheus metrics",
                            {"200": _answer("Prometheus text exposition.", "text/plain")})},
    "/openapi.json": {"get": _op("This document", {
        "200": _answer("OpenAPI 3.1.", "application/json", {"type": "object"})})},
}  # fmt: skip

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "qrforge REST API",
        "version": "1",
        "description": "The REST endpoints of qrforge; links, codes, designs, analytics, "
        "webhooks and keys are the GraphQL API at `/graphql`. Errors are RFC 9457 "
        "`application/problem+json`; answers to a key carry `RateLimit-*` headers.",
    },
    "paths": PATHS,
    "components": {
        "securitySchemes": {
            "apiKey": {"type": "http", "scheme": "bearer", "description": "An API key."}
        },
        "schemas": {"Problem": PROBLEM, "Style": STYLE, "RenderRequest": RENDER, "Health": HEALTH},
        "responses": {
            name: _answer(when, "application/problem+json", _ref("schemas", "Problem"),
                          **({"headers": RATE_HEADERS} if status == "429" else {}))
            for name, (status, when) in ERRORS.items()
        },
    },
}  # fmt: skip


def document(public_url: str) -> dict[str, Any]:
    return {**DOCUMENT, "servers": [{"url": public_url}]}


async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(document(request.app.state.services.settings.public_url))
