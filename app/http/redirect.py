"""GET /r/{slug}: send a scanning phone on its way."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.domain.links.models import Link
from app.http.problems import problem


async def redirect(request: Request) -> Response:
    link = await Link.get_or_none(slug=request.path_params["slug"])
    if link is None or not link.enabled:
        return problem(404, "No link has this address.")
    return RedirectResponse(link.destination, status_code=link.redirect_type)
