"""Scans charts behind signed URLs: `Link.analyticsChartUrl` signs one, `GET /charts/...`
draws it. The URL carries the link, the range and the interval, all signed, so it can go into
an e-mail or a report and needs no key; the range is fixed when the URL is made, so the
picture a report shows does not change under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from app.domain.errors import InvalidInput
from app.domain.links.models import Link
from app.domain.scans.analytics import Analytics
from app.rendering.chart import ChartPoint, chart_svg
from app.security.signed_urls import signed_query

CHART_FORMATS = {"SVG": "svg", "PNG": "png"}
CHART_URL_TTL = 30 * 24 * 3600  # a month: long enough for a monthly report to stay readable


def chart_path(link_id: int, fmt: str) -> str:
    return f"/charts/links/{link_id}.{CHART_FORMATS[fmt]}"


@dataclass(frozen=True)
class ChartRequest:
    link_id: int
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
    def parse(cls, link_id: int, params: Mapping[str, str]) -> ChartRequest:
        """The request a signed query describes (only a query we signed reaches here)."""
        try:
            start = datetime.fromisoformat(params["from"])
            end = datetime.fromisoformat(params["to"])
        except (KeyError, ValueError):
            raise InvalidInput.one("INVALID_RANGE", "from and to are required.") from None
        return cls(link_id, start, end, params.get("interval", "DAY"))


def signed_chart_url(
    public_url: str,
    secret: bytes,
    workspace_id: int,
    link_id: int,
    fmt: str,
    start: datetime | None,
    end: datetime | None,
    interval: str,
    now: float,
) -> str:
    """A URL of the chart, valid for CHART_URL_TTL; refuses (InvalidInput) a range that
    analytics would refuse, so a bad URL is never handed out."""
    query = Analytics.of(workspace_id, link_id, start, end, interval)
    request = ChartRequest(link_id, query.start, query.end, query.interval)
    path = chart_path(link_id, fmt)
    query_string = signed_query(secret, path, request.params(), int(now) + CHART_URL_TTL)
    return f"{public_url}{path}?{query_string}"


async def link_chart_svg(request: ChartRequest) -> str | None:
    """The chart as SVG, or None when the link is gone (its chart with it)."""
    link = await Link.get_or_none(id=request.link_id)
    if link is None:
        return None
    query = Analytics.of(link.workspace_id, link.id, request.start, request.end, request.interval)
    points = [ChartPoint(p.bucket, p.scans, p.unique) for p in await query.series()]
    return chart_svg(points, request.interval, f"Scans of /{link.slug}")
