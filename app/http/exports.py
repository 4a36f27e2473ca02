"""GET /export/scans.csv?link=&from=&to=&tag=&source=&includeBots=: scans as CSV, streamed:
a link's, or without `link` the whole workspace's.

Rows leave in keyset-paged chunks as they are read, so an export of a million scans holds
one chunk in memory, and the client sees the first bytes at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from app.domain.links.services import get_link
from app.domain.scans.services import ScanFilter, export_rows
from app.domain.workspaces.services import Principal, authenticate
from app.errors import NotFound
from app.http.graphql import bearer
from app.http.problems import problem
from app.ids import pk_of
from app.security.csvcells import cell

HEADER = (
    "id",
    "occurred_at",
    "link_id",
    "source",
    "country",
    "device_type",
    "os",
    "browser",
    "referrer",
    "language",
    "outcome",
    "variant",
    "is_bot",
)


async def _principal(request: Request) -> Principal | None:
    state = request.scope.get("state", {})
    if "principal" in state:  # the admission middleware looked the key up already
        principal: Principal | None = state["principal"]
        return principal
    key = bearer(request.headers.get("authorization"))
    return await authenticate(key) if key else None


def _instant(value: str | None, name: str) -> datetime | Response | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        # In UTC, as the database compares it: 0001-01-01T00:00+01:00 has no UTC instant.
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return problem(422, f"`{name}` is not an ISO 8601 date-time.", code="BAD_USER_INPUT")


async def export_scans(request: Request) -> Response:
    principal = await _principal(request)
    if principal is None:
        return problem(401, "Send an API key: Authorization: Bearer <key>.", code="UNAUTHENTICATED")
    if not principal.can("analytics:read"):
        return problem(403, "This API key lacks the 'analytics:read' scope.", code="FORBIDDEN")
    start = _instant(request.query_params.get("from"), "from")
    end = _instant(request.query_params.get("to"), "to")
    for bad in (start, end):
        if isinstance(bad, Response):
            return bad
    params = request.query_params
    source = params.get("source") or None
    if source is not None and source not in ("QR", "LINK"):
        return problem(422, "`source` is QR or LINK.", code="BAD_USER_INPUT")
    bots = (params.get("includeBots") or "true").lower()
    if bots not in ("true", "false"):
        return problem(422, "`includeBots` is true or false.", code="BAD_USER_INPUT")
    filename = "scans.csv"
    link_id: int | None = None
    if "link" in params:
        link_pk = pk_of(params["link"], "Link")
        try:
            link = await get_link(principal.workspace_id, id=link_pk if link_pk is not None else -1)
        except NotFound:
            return problem(404, "Link not found.", code="NOT_FOUND")
        link_id, filename = link.id, f"scans-{link.slug}.csv"
    filter = ScanFilter(
        start=start,  # type: ignore[arg-type]
        end=end,  # type: ignore[arg-type]
        link_id=link_id,
        tag=params.get("tag") or None,
        source=source,
        include_bots=bots == "true",
    )
    return StreamingResponse(
        _csv(principal.workspace_id, filter),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


async def _csv(workspace_id: int, filter: ScanFilter) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    async for chunk in export_rows(workspace_id, filter):
        for scan in chunk:
            # Every text cell came from a request header at some point: none may run.
            writer.writerow(
                (
                    scan.id,
                    scan.occurred_at.isoformat(),
                    scan.link_id,
                    scan.source,
                    cell(scan.country),
                    cell(scan.device_type),
                    cell(scan.os),
                    cell(scan.browser),
                    cell(scan.referrer),
                    cell(scan.language),
                    cell(scan.outcome),
                    cell(scan.variant),
                    "true" if scan.is_bot else "false",
                )
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
