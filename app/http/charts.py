"""GET /charts/links/{id}.{svg,png} and /charts/workspaces/{id}.{svg,png}: a scans chart
through the signed URL that `analyticsChartUrl` returns (no key: the signature is the
permission)."""

from __future__ import annotations

import asyncio
import time

from starlette.requests import Request
from starlette.responses import Response

from app.domain.scans.charts import CHART_FORMATS, SUBJECTS, ChartRequest, chart_of
from app.errors import DomainError
from app.http.problems import problem
from app.rendering.chart import chart_png
from app.security.signed_urls import signature_problem

MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
MAX_AGE = 300  # the range is fixed, but scans in it may still arrive
MAX_ID_DIGITS = 18  # ids are 64-bit


async def chart(request: Request) -> Response:
    settings = request.app.state.services.settings
    subject = request.path_params["subject"]
    stem, _, ext = request.path_params["name"].rpartition(".")
    if (
        subject not in SUBJECTS
        or ext not in CHART_FORMATS.values()
        or not (stem.isascii() and stem.isdigit() and len(stem) <= MAX_ID_DIGITS)
    ):
        return problem(404, "No such chart.", code="NOT_FOUND")
    params = dict(request.query_params)
    reason = signature_problem(settings.secret, request.url.path, params, time.time())
    if reason is not None:
        return problem(403, f"Refused: {reason}.", code="FORBIDDEN")
    try:
        svg = await chart_of(ChartRequest.parse(subject, int(stem), params))
    except DomainError as error:
        return problem(422, str(error), code="BAD_USER_INPUT")
    if svg is None:
        return problem(404, "What this chart showed is gone.", code="NOT_FOUND")
    headers = {"Cache-Control": f"private, max-age={MAX_AGE}"}
    if ext == "png":
        png = await asyncio.to_thread(chart_png, svg)
        return Response(png, media_type=MEDIA_TYPES["png"], headers=headers)
    return Response(svg, media_type=MEDIA_TYPES["svg"], headers=headers)
