"""The dashboard's pages over HTTP: served at / and /app/..., with their security headers,
and with nothing in them that loads from another origin."""

from __future__ import annotations

import re

import httpx
import pytest

from app.web.headers import CONTENT_SECURITY_POLICY
from app.web.pages import STATIC


@pytest.mark.parametrize("path", ["/", "/app", "/app/links/TGluazox"])
async def test_dashboard_page_is_served_with_its_policy(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert '<script type="module" src="/static/js/app.js">' in response.text


async def test_graphiql_page_is_the_vendored_one(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    sources = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert "/static/vendor/graphiql.min.js" in sources
    assert all(s.startswith("/static/") or s.startswith("data:") for s in sources), sources


async def test_static_files_are_served_and_unknown_ones_are_404(client: httpx.AsyncClient) -> None:
    script = await client.get("/static/vendor/preact.module.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert script.headers["x-content-type-options"] == "nosniff"
    assert (await client.get("/static/vendor/nope.js")).status_code == 404
    assert (await client.get("/static/../settings.py")).status_code == 404


def test_no_shipped_file_reaches_for_the_internet() -> None:
    # Our own pages and scripts name no other origin (the vendored bundles only mention
    # URLs in comments and licence strings, which the browser test checks are never fetched).
    own = [*STATIC.glob("*.html"), *STATIC.glob("js/**/*.js"), *STATIC.glob("css/*.css")]
    assert own
    for path in own:
        assert not re.search(
            r"(?:src|href)=\"https?://|url\(https?://|import .*https?://", path.read_text()
        ), path


def test_vendored_files_carry_their_licences() -> None:
    vendor = STATIC / "vendor"
    versions = (vendor / "VERSIONS.txt").read_text()
    for name in ("preact", "htm", "graphiql", "react", "react-dom"):
        assert list((vendor / "licenses").glob(f"{name}-*.LICENSE")), name
        assert name in versions
