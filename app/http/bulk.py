"""GET /bulk/{id}/result: a bulk job's ZIP, through its signed URL, exactly once.

HEAD only looks: link checkers and mail scanners send one before a person clicks, and it
must not spend the one download.
"""

from __future__ import annotations

import time

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from app.domain.bulk.services import claim_download, result_file
from app.http.problems import problem
from app.security.signed_urls import signature_problem


def _gone() -> Response:
    return problem(410, "This result was downloaded already, or is not there.", code="GONE")


async def bulk_result(request: Request) -> Response:
    settings = request.app.state.services.settings
    job_id = request.path_params["job_id"]
    reason = signature_problem(
        settings.secret, request.url.path, dict(request.query_params), time.time()
    )
    if reason is not None:
        return problem(403, f"Refused: {reason}.", code="FORBIDDEN")
    filename = f"qrforge-bulk-{job_id}.zip"
    if request.method == "HEAD":
        try:
            size = result_file(settings.data_dir, job_id).stat().st_size
        except FileNotFoundError:  # not there yet, or downloaded (and so deleted)
            return _gone()
        headers = {
            "content-length": str(size),
            "content-disposition": f'attachment; filename="{filename}"',
        }
        return Response(media_type="application/zip", headers=headers)
    path = await claim_download(job_id, settings.data_dir)
    if path is None:
        return _gone()
    return FileResponse(
        path,
        media_type="application/zip",
        filename=filename,
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
