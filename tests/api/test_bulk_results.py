"""A bulk job's result lives in shared storage: every API process serves it, exactly one
download of it succeeds, and it is deleted once downloaded or past QRFORGE_RESULT_TTL."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.domain.bulk.models import BulkJob
from app.domain.bulk.services import DOWNLOAD_GRACE
from app.graphql.relay import pk_of
from app.storage.models import ResultChunk
from tests.storage.test_stores import s3_endpoint, s3_url  # noqa: F401 (fixtures)
from workers.bulk import sweep_results

SUBMIT = """mutation($input: BulkCreateQrCodesInput!) { bulkCreateQrCodes(input: $input) {
  bulkJob { id } userErrors { code message } } }"""
JOB = "query($id: ID!) { bulkJob(id: $id) { status succeeded resultUrl } }"
ITEMS = [
    {"name": f"Box {i}", "dataType": "URL", "kind": "DYNAMIC",
     "data": {"url": f"https://shop.example/item/{i}"}}
    for i in range(5)
]  # fmt: skip


async def finished_job(gql, key, run_jobs) -> dict[str, Any]:
    payload = (await gql(key, SUBMIT, input={"items": ITEMS}))["data"]["bulkCreateQrCodes"]
    assert payload["userErrors"] == []
    await run_jobs()
    job = (await gql(key, JOB, id=payload["bulkJob"]["id"]))["data"]["bulkJob"]
    assert job["status"] == "SUCCEEDED" and job["succeeded"] == len(ITEMS)
    return job


def local(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def images_in(content: bytes) -> list[str]:
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert "manifest.csv" in names
    return [n for n in names if n.endswith(".png")]


async def test_two_api_processes_serve_one_result_and_exactly_one_download_wins(
    gql, key, run_jobs, client: httpx.AsyncClient, api_process
) -> None:
    # This process and the other one have different data directories: only the database
    # (PostgreSQL or SQLite) and Redis are shared.
    job = await finished_job(gql, key, run_jobs)
    path = job["resultUrl"].removeprefix("http://testserver")
    async with api_process() as port, httpx.AsyncClient(base_url=local(port)) as other:
        heads = [await client.head(path), await other.head(path)]
        assert [h.status_code for h in heads] == [200, 200]
        assert heads[0].headers["content-length"] == heads[1].headers["content-length"]

        responses = await asyncio.gather(*(c.get(path) for c in [client, other] * 4))
        won = [r for r in responses if r.status_code == 200]
        assert len(won) == 1, [r.status_code for r in responses]
        assert {r.status_code for r in responses if r is not won[0]} == {410}
        assert len(images_in(won[0].content)) == len(ITEMS)
        assert len(won[0].content) == int(heads[0].headers["content-length"])
        assert (await other.head(path)).status_code == 410

    assert await ResultChunk.all().count() == 0  # deleted once downloaded


# PostgreSQL only: the race above runs on both backends; this one only shows the other
# process's stream from start to end, and a process start costs seconds.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_another_process_serves_the_download_alone(gql, key, run_jobs, api_process) -> None:
    job = await finished_job(gql, key, run_jobs)
    path = job["resultUrl"].removeprefix("http://testserver")
    async with api_process() as port, httpx.AsyncClient(base_url=local(port)) as other:
        response = await other.get(path)
        assert response.status_code == 200, response.text
        assert len(images_in(response.content)) == len(ITEMS)
        assert (await other.get(path)).status_code == 410


async def test_a_result_past_its_time_is_gone_and_the_sweep_deletes_it(
    gql, key, run_jobs, client: httpx.AsyncClient, app
) -> None:
    job = await finished_job(gql, key, run_jobs)
    assert await ResultChunk.all().count() > 0
    await BulkJob.all().update(result_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    path = job["resultUrl"].removeprefix("http://testserver")
    assert (await client.head(path)).status_code == 410
    assert (await client.get(path)).status_code == 410

    assert await sweep_results({"services": app.state.services}) == 1
    assert await ResultChunk.all().count() == 0
    assert (await BulkJob.get()).result_path is None
    assert await sweep_results({"services": app.state.services}) == 0


async def test_a_download_that_broke_off_leaves_nothing_behind_for_long(
    gql, key, run_jobs, app
) -> None:
    # The one download was claimed, but its stream never finished (the client went away):
    # nobody can have the file any more, and the sweep deletes it after DOWNLOAD_GRACE.
    await finished_job(gql, key, run_jobs)
    claimed = datetime.now(UTC) - DOWNLOAD_GRACE
    await BulkJob.all().update(result_downloaded_at=claimed + timedelta(minutes=1))
    assert await sweep_results({"services": app.state.services}) == 0
    await BulkJob.all().update(result_downloaded_at=claimed - timedelta(minutes=1))
    assert await sweep_results({"services": app.state.services}) == 1
    assert await ResultChunk.all().count() == 0


async def test_a_result_waits_for_its_time_to_live(gql, key, run_jobs, app) -> None:
    await finished_job(gql, key, run_jobs)
    stored = await BulkJob.get()
    assert stored.result_expires_at is not None
    left = stored.result_expires_at - datetime.now(UTC)
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)
    assert await sweep_results({"services": app.state.services}) == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_results_go_to_s3_storage_when_it_is_configured(
    settings,
    run_app,
    s3_url: str,  # noqa: F811
) -> None:
    from app.storage.s3 import S3Store

    configured = dataclasses.replace(settings, storage_url=s3_url)
    async with run_app(configured) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            from app.domain.workspaces import services as workspaces
            from workers.settings import build_bulk_worker

            workspace = await workspaces.ensure_workspace("acme")
            _, secret = await workspaces.create_key(workspace.id, "test", ["*"])
            headers = {"Authorization": f"Bearer {secret}"}
            body = await http.post(
                "/graphql", json={"query": SUBMIT, "variables": {"input": {"items": ITEMS}}},
                headers=headers,
            )  # fmt: skip
            job_id = body.json()["data"]["bulkCreateQrCodes"]["bulkJob"]["id"]
            worker = build_bulk_worker(app.state.services, burst=True, handle_signals=False,
                                       poll_delay=0.05)  # fmt: skip
            await worker.async_run()
            body = await http.post(
                "/graphql", json={"query": JOB, "variables": {"id": job_id}}, headers=headers
            )
            url = body.json()["data"]["bulkJob"]["resultUrl"]
            store = app.state.services.results
            assert isinstance(store, S3Store)
            listed = store.client.list_objects_v2(Bucket=store.bucket).get("Contents", [])
            pk = pk_of(job_id, "BulkJob")
            assert [o["Key"] for o in listed] == [f"results/bulk/{pk}/result.zip"]
            assert await ResultChunk.all().count() == 0  # nothing in the database

            response = await http.get(url.removeprefix("http://testserver"))
            assert response.status_code == 200
            assert len(images_in(response.content)) == len(ITEMS)
            assert (await http.get(url.removeprefix("http://testserver"))).status_code == 410
            listed = store.client.list_objects_v2(Bucket=store.bucket).get("Contents", [])
            assert listed == []
