"""The scans chart writer: valid SVG for any series, whole numbers on its axis."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from app.rendering.chart import ChartPoint, chart_png, chart_svg

START = datetime(2026, 3, 1, tzinfo=UTC)


def series(*counts: int) -> list[ChartPoint]:
    return [ChartPoint(START + timedelta(days=i), n, n // 2) for i, n in enumerate(counts)]


@pytest.mark.parametrize("counts", [(), (0, 0, 0), (1,), (3, 0, 7), (1234, 5, 99999)])
def test_chart_is_valid_svg_with_whole_axis_values(counts: tuple[int, ...]) -> None:
    svg = chart_svg(series(*counts), "DAY", "Scans of /a<b>&")
    root = ET.fromstring(svg)  # parses: the title was escaped
    assert root.get("width") == "800"
    axis = [int(v) for v in re.findall(r'text-anchor="end" fill="#6b7384">(\d+)</text>', svg)]
    assert axis[0] == 0 and axis[-1] >= max(counts, default=0)
    assert f"{sum(counts)} scan" in svg


def test_one_label_per_bucket_at_most_eight() -> None:
    svg = chart_svg(series(*range(30)), "DAY", "x")
    labels = re.findall(r'text-anchor="middle" fill="#6b7384">([^<]+)</text>', svg)
    assert 1 < len(labels) <= 8 and labels[0] == "01 Mar"


def test_png_is_the_svg_rasterised() -> None:
    image = Image.open(io.BytesIO(chart_png(chart_svg(series(2, 4), "DAY", "x"))))
    assert image.size == (800, 300)
    assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or ()) > 2
