"""The pages a person sees when the code they scanned leads nowhere.

A phone's browser asks for text/html; it gets a small page in plain words saying what
happened, with the status an API client would get (which keeps problem+json). Nothing on
the page comes from the link or its workspace, so a page tells a stranger nothing.
"""

from __future__ import annotations

from starlette.responses import HTMLResponse

from app.domain.links.resolve import DELETED, DISABLED, EXHAUSTED, EXPIRED, SCHEDULED, UNKNOWN
from app.web.headers import PAGE_HEADERS as WEB_PAGE_HEADERS

# The pages' own CSP and headers (app.web.headers), and never stored: a link may come back.
PAGE_HEADERS = {**WEB_PAGE_HEADERS, "Cache-Control": "private, no-store"}

# reason -> (title, sentence)
MESSAGES = {
    UNKNOWN: ("Link not found", "There is no link at this address. Check that it was typed "
              "or scanned in full."),
    DISABLED: ("Link switched off", "The owner of this link has switched it off for now."),
    SCHEDULED: ("Not yet available", "This link is not active yet. Please try again later."),
    EXPIRED: ("Link expired", "This link has expired and no longer leads anywhere."),
    EXHAUSTED: ("Link used up", "This link has been used as many times as its owner allowed."),
    DELETED: ("Link removed", "The owner of this link has removed it."),
}  # fmt: skip

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:15vh auto;padding:0 1rem;
line-height:1.5;color:#1a1a1a;background:#fff}}h1{{font-size:1.5rem}}</style></head>
<body><main><h1>{title}</h1><p>{sentence}</p></main></body></html>
"""


def prefers_html(accept: str | None) -> bool:
    """Whether the Accept header ranks an HTML page above JSON (a browser's does; curl's
    `*/*` and an API client's `application/json` do not)."""
    if not accept or "html" not in accept:
        return False
    html = json = 0.0
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.strip().lower()
        if media in ("text/html", "application/xhtml+xml"):
            html = max(html, quality)
        elif media in ("application/json", "application/problem+json"):
            json = max(json, quality)
    return html > 0 and html >= json


def dead_link_page(reason: str | None, status: int) -> HTMLResponse:
    title, sentence = MESSAGES.get(reason or UNKNOWN, MESSAGES[UNKNOWN])
    return HTMLResponse(
        _PAGE.format(title=title, sentence=sentence), status_code=status, headers=PAGE_HEADERS
    )
