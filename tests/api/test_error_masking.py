"""A bug is logged with the request id and masked: no stack trace or detail reaches clients."""

from __future__ import annotations

import logging

import httpx
import pytest

from app.domain.links import services as links

SECRET = "connection string postgres://admin:hunter2@db"


def explode(*args: object, **kwargs: object) -> None:
    raise RuntimeError(SECRET)


async def test_graphql_masks_unexpected_errors_and_logs_the_request_id(
    client: httpx.AsyncClient, key: str, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    monkeypatch.setattr(links, "links_query", explode)
    with caplog.at_level(logging.ERROR, logger="qrforge.graphql"):
        response = await client.post(
            "/graphql",
            json={"query": "{ links { totalCount } }"},
            headers={"Authorization": f"Bearer {key}", "X-Request-ID": "req-4242"},
        )
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["message"] == "Internal server error."
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "req-4242"}
    assert SECRET not in response.text and "Traceback" not in response.text
    assert any("req-4242" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_rest_masks_unexpected_errors_as_problem_json(
    app, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    import time

    from app.http import bulk
    from app.security.signed_urls import signed_query

    monkeypatch.setattr(bulk, "claim_download", explode)
    secret = app.state.services.settings.secret
    query = signed_query(secret, "/bulk/1/result", {}, int(time.time()) + 60)
    # Like a real server: Starlette re-raises after answering, for the server's own log.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with caplog.at_level(logging.ERROR, logger="qrforge"):
            response = await client.get(
                f"/bulk/1/result?{query}", headers={"X-Request-ID": "req-77"}
            )
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "INTERNAL" and response.json()["requestId"] == "req-77"
    assert SECRET not in response.text and "Traceback" not in response.text
    assert any("req-77" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_redirect_masks_unexpected_errors_and_counts_them(
    app, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    async def broken(visit: object) -> None:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(app.state.redirector, "visit", broken)
    with caplog.at_level(logging.ERROR, logger="qrforge.redirect"):
        response = await client.get("/r/some-slug")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "INTERNAL"
    assert SECRET not in response.text and "Traceback" not in response.text
    assert any(r.exc_info and "/r/some-slug" in r.getMessage() for r in caplog.records)
    metrics = (await client.get("/metrics")).text
    assert 'qrforge_http_requests_total{endpoint="redirect",status="500"} 1.0' in metrics
