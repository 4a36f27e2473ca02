"""Scans charts behind signed URLs: `Link.analyticsChartUrl` and
`Workspace.analyticsChartUrl` sign one, `GET /charts/...` draws it. The URL carries the link
(or workspace), the range and the interval, all signed, so it can go into
an e-mail or a report and needs no key; the range is fixed when the URL is made, so the
picture a report shows does not change under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from app.domain.links.models import Link
from app.domain.scans.analytics import Analytics
from app.domain.workspaces.models import Workspace
from app.errors import InvalidInput
from app.rendering.chart import ChartPoint, chart_svg
from app.security.signed_urls import signed_query

CHART_FORMATS = {"SVG": "svg", "PNG": "png"}
CHART_URL_TTL = 30 * 24 * 3600  # a month: long enough for a monthly report to stay readable
SUBJECTS = ("links", "workspaces")  # /charts/links/{id}: one link; /charts/workspaces/{id}: all


def chart_path(subject: str, pk: int, fmt: str) -> str:
    return f"/charts/{subject}/{pk}.{CHART_FORMATS[fmt]}"


@dataclass(frozen=True)
class ChartRequest:
    subject: str
    pk: int
    start: datetime
    end: datetime
    interval: str

    def params(self) -> dict[str, str]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "interval": self.interval,
        }

    @classmethod
    def parse(cls, subject: str, pk: int, params: Mapping[str, str]) -> ChartRequest:
        """The request a signed query describes (only a query we signed reaches here)."""
        try:
            start = datetime.fromisoformat(params["from"])
            end = datetime.fromisoformat(params["to"])
        except (KeyError, ValueError):
            raise InvalidInput.one("INVALID_RANGE", "from and to are required.") from None
        return cls(subject, pk, start, end, params.get("interval", "DAY"))


def signed_chart_url(
    public_url: str,
    secret: bytes,
    workspace_id: int,
    link_id: int | None,
    fmt: str,
    start: datetime | None,
    end: datetime | None,
    interval: str,
    now: float,
) -> str:
    """A URL of the chart of a link (or, with `link_id` None, of the whole workspace), valid
    for CHART_URL_TTL; refuses (InvalidInput) a range that analytics would refuse, so a bad
    URL is never handed out."""
    query = Analytics.of(workspace_id, link_id, start, end, interval)
    subject, pk = ("links", link_id) if link_id is not None else ("workspaces", workspace_id)
    request = ChartRequest(subject, pk, query.start, query.end, query.interval)
    path = chart_path(subject, pk, fmt)
    query_string = signed_query(secret, path, request.params(), int(now) + CHART_URL_TTL)
    return f"{public_url}{path}?{query_string}"


async def chart_of(request: ChartRequest) -> str | None:
    """The chart as SVG, or None when its link or workspace is gone (the chart with it)."""
    if request.subject == "links":
        link = await Link.get_or_none(id=request.pk)
        if link is None:
            return None
        workspace_id, link_id, title = link.workspace_id, link.id, f"Scans of /{link.slug}"
    else:
        workspace = await Workspace.get_or_none(id=request.pk)
        if workspace is None:
            return None
        workspace_id, link_id, title = workspace.id, None, f"Scans of {workspace.name}"
    query = Analytics.of(workspace_id, link_id, request.start, request.end, request.interval)
    points = [ChartPoint(p.bucket, p.scans, p.unique) for p in await query.series()]
    return chart_svg(points, request.interval, title)
