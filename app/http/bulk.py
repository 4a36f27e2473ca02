"""GET /bulk/{id}/result: a bulk job's ZIP, through its signed URL, exactly once.

Any API process serves it: the ZIP is in the shared result store, and the one download is
claimed in the shared database. HEAD only looks: link checkers and mail scanners send one
before a person clicks, and it must not spend the one download.
"""

from __future__ import annotations

import time

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from app.domain.bulk.models import BulkJob
from app.domain.bulk.services import claim_download, downloadable, forget_result
from app.http.problems import problem
from app.security.signed_urls import signature_problem


def _gone() -> Response:
    return problem(410, "This result was downloaded already, or is not there.", code="GONE")


async def bulk_result(request: Request) -> Response:
    services = request.app.state.services
    settings = services.settings
    job_id = request.path_params["job_id"]
    reason = signature_problem(
        settings.secret, request.url.path, dict(request.query_params), time.time()
    )
    if reason is not None:
        return problem(403, f"Refused: {reason}.", code="FORBIDDEN")
    filename = f"qrforge-bulk-{job_id}.zip"
    headers = {"content-disposition": f'attachment; filename="{filename}"'}
    if request.method == "HEAD":
        job = await BulkJob.get_or_none(id=job_id)
        if job is None or not downloadable(job):
            return _gone()
        headers["content-length"] = str(job.result_size or 0)
        return Response(media_type="application/zip", headers=headers)
    claimed = await claim_download(job_id)
    if claimed is None or claimed.result_path is None:
        return _gone()
    if claimed.result_size is not None:
        headers["content-length"] = str(claimed.result_size)
    return StreamingResponse(
        services.results.read(claimed.result_path),
        media_type="application/zip",
        headers=headers,
        background=BackgroundTask(forget_result, job_id, services.results),
    )
