"""GET /.well-known/qrforge/{token}: a custom domain's proof of control, served on that host."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from app.domain.domains.services import proof_for
from app.http.problems import problem


async def domain_proof(request: Request) -> Response:
    token = request.path_params["token"]
    host = request.headers.get("host", "").lower()
    answer = await proof_for(host, token) if len(token) <= 64 and host else None
    if answer is None:
        return problem(404, "No domain waits for this token here.", code="NOT_FOUND")
    return PlainTextResponse(answer, headers={"cache-control": "no-store"})
