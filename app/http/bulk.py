"""POST /bulk: a job from a spreadsheet. GET /bulk/{id}/result: a bulk job's ZIP, through its
signed URL, exactly once.

Any API process serves it: the ZIP is in the shared result store, and the one download is
claimed in the shared database. HEAD only looks: link checkers and mail scanners send one
before a person clicks, and it must not spend the one download.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from app.domain.bulk.models import BulkJob
from app.domain.bulk.services import claim_download, downloadable, forget_result, submit
from app.domain.bulk.upload import UploadInvalid, read_items
from app.errors import InvalidInput, QuotaExceeded
from app.http.exports import _principal
from app.http.problems import problem
from app.ids import global_id
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


UPLOAD_FIELDS = ("format", "size", "idempotencyKey", "sheet")


async def bulk_upload(request: Request) -> Response:
    """POST /bulk: a CSV or XLSX file of codes (app.domain.bulk.upload), plus the job's options
    as form fields; 201 with the job. Any bad row: 422 naming every bad row and column."""
    principal = await _principal(request)
    if principal is None:
        return problem(401, "Send an API key: Authorization: Bearer <key>.", code="UNAUTHENTICATED")
    if not principal.can("bulk:write"):
        return problem(403, "This API key lacks the 'bulk:write' scope.", code="FORBIDDEN")
    try:
        form = await request.form(max_files=1, max_fields=len(UPLOAD_FIELDS))
    except Exception:  # starlette's multipart parser says why in many ways
        return _bad("Send multipart/form-data with a `file` field (CSV or XLSX).")
    try:
        items_or_answer = await _read(form)
    finally:
        await form.close()
    if isinstance(items_or_answer, Response):
        return items_or_answer
    items, options = items_or_answer
    services = request.app.state.services
    try:
        job = await submit(principal.workspace_id, items, queue=services, **options)
    except QuotaExceeded as error:
        return problem(429, str(error), code="QUOTA_EXCEEDED")
    except InvalidInput as error:
        errors = [{"field": list(p.field), "code": p.code, "message": p.message}
                  for p in error.problems]  # fmt: skip
        return problem(422, str(error), code="BAD_USER_INPUT", errors=errors)
    body = {"id": global_id("BulkJob", job.id), "status": job.status, "total": job.total}
    return JSONResponse(body, status_code=201)


async def _read(form: Any) -> tuple[list[dict[str, Any]], dict[str, Any]] | Response:
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return _bad("Send the CSV or XLSX file as the `file` field.")
    options = _options(form)
    if isinstance(options, Response):
        return options
    data = await upload.read()
    try:
        items = read_items(data, upload.filename or "")
    except UploadInvalid as invalid:
        errors = [{"field": [str(p.row), p.column], **vars(p)} for p in invalid.problems]
        rows = sorted({p.row for p in invalid.problems})
        detail = f"Rows {', '.join(map(str, rows))} have problems; nothing was stored."
        return problem(422, detail, code="BAD_USER_INPUT", errors=errors)
    return items, options


def _bad(detail: str) -> Response:
    return problem(422, detail, code="BAD_USER_INPUT")


def _options(form: Any) -> dict[str, Any] | Response:
    """The job's options from the form: as bulkCreateQrCodes takes them."""
    options: dict[str, Any] = {"fmt": "PNG", "size": 512, "idempotency_key": None, "sheet": None}
    if (fmt := form.get("format")) is not None:
        options["fmt"] = str(fmt).upper()
    if (size := form.get("size")) is not None:
        if not str(size).isdigit():
            return _bad("size is a whole number of pixels.")
        options["size"] = int(str(size))
    if (key := form.get("idempotencyKey")) is not None:
        options["idempotency_key"] = str(key)
    if (sheet := form.get("sheet")) is not None:
        try:
            given = json.loads(str(sheet))
        except ValueError:
            given = None
        if not isinstance(given, dict):
            return _bad('sheet is LabelSheetInput as JSON, e.g. {"template": "AVERY_5160"}.')
        options["sheet"] = {_snake(k): v for k, v in given.items()}
    return options


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()
