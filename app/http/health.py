"""GET /healthz: can this process reach what it needs?"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise import connections

CHECK_TIMEOUT = 2.0


async def _database() -> None:
    await connections.get("default").execute_query("SELECT 1")


async def healthz(request: Request) -> JSONResponse:
    services = request.app.state.services
    checks = {"database": _database(), "redis": services.redis.ping()}
    report = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check, CHECK_TIMEOUT)
            report[name] = "ok"
        except Exception as error:  # any failure is an answer here, not a crash
            report[name] = f"unreachable: {error.__class__.__name__}"
    healthy = all(v == "ok" for v in report.values())
    return JSONResponse(
        {"status": "ok" if healthy else "degraded", "checks": report},
        status_code=200 if healthy else 503,
    )
