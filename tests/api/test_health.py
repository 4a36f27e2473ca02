from __future__ import annotations

import httpx

from app.domain.workspaces.models import ApiKey


async def test_healthz_reports_database_and_redis(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


async def test_in_process_worker_runs_queued_jobs(app, run_jobs) -> None:
    await app.state.services.jobs.enqueue("ping")
    assert await run_jobs() == 1


async def test_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
    assert len((await client.get("/healthz")).headers["x-request-id"]) == 32


async def test_tables_start_empty_for_every_test(app) -> None:
    assert await ApiKey.all().count() == 0


async def test_metrics_count_requests_by_endpoint(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.get("/r/no-such-slug")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'qrforge_http_requests_total{endpoint="health",status="200"} 1.0' in text
    assert 'qrforge_http_requests_total{endpoint="redirect",status="404"} 1.0' in text
    assert 'qrforge_http_request_seconds_count{endpoint="redirect"} 1.0' in text
