"""The dashboard's routes: its page at `/` and `/app/...`, its files under `/static/`.

Every dashboard path answers the same page; the page's script reads the path and shows the
view it names, so a reload or a bookmark of `/app/links/...` works.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from app.web.headers import secured

STATIC = Path(__file__).parent / "static"


def page(name: str) -> Response:
    return secured(FileResponse(STATIC / name, media_type="text/html; charset=utf-8"))


async def dashboard(request: Request) -> Response:
    return page("index.html")


class Assets(StaticFiles):
    """The vendored scripts and our own; revalidated on each load (no build step means no
    hashed file names), nosniff so a file is only ever run as what it is."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).extend(
                    [(b"cache-control", b"no-cache"), (b"x-content-type-options", b"nosniff")]
                )
            await send(message)

        await super().__call__(scope, receive, with_headers)  # type: ignore[arg-type]


def routes() -> list[BaseRoute]:
    return [
        Route("/", dashboard, methods=["GET", "HEAD"]),
        Route("/app", dashboard, methods=["GET", "HEAD"]),
        Route("/app/{view:path}", dashboard, methods=["GET", "HEAD"]),
        Mount("/static", Assets(directory=STATIC), name="static"),
    ]
