"""GET /bulk/{id}/result: a bulk job's ZIP, through its signed URL, exactly once."""

from __future__ import annotations

import time

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from app.domain.bulk.services import claim_download
from app.http.problems import problem
from app.security.signed_urls import signature_problem


async def bulk_result(request: Request) -> Response:
    settings = request.app.state.services.settings
    job_id = request.path_params["job_id"]
    reason = signature_problem(
        settings.secret, request.url.path, dict(request.query_params), time.time()
    )
    if reason is not None:
        return problem(403, f"Refused: {reason}.", code="FORBIDDEN")
    path = await claim_download(job_id, settings.data_dir)
    if path is None:
        return problem(410, "This result was downloaded already, or is not there.", code="GONE")
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"qrforge-bulk-{job_id}.zip",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
