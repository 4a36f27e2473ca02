"""The security headers of every page we serve to a browser (dashboard and GraphiQL).

Scripts and styles come only from this origin (the vendored copies), so a page works with
no internet and an injected `<script>` cannot run. `style-src` allows inline styles because
GraphiQL and our own components set `style=` attributes; no inline script is allowed.
`connect-src 'self'` covers the same-origin websocket. `frame-ancestors 'none'`: the
dashboard holds an API key, so no other site may frame it (clickjacking).
"""

from __future__ import annotations

from starlette.responses import Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Pages change with each release; the ETag keeps revalidation cheap.
    "Cache-Control": "no-cache",
}


def secured(response: Response) -> Response:
    response.headers.update(PAGE_HEADERS)
    return response
