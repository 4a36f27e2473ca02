"""POST /bulk: a job from a CSV or XLSX upload, with per-row errors naming row and column."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import httpx
from openpyxl import Workbook

from app.domain.bulk.models import BulkJob
from app.domain.codes.models import QrCode

EXAMPLE = Path(__file__).parents[2] / "examples" / "bulk-labels.csv"
JOB = "query($id: ID!) { bulkJob(id: $id) { status succeeded resultUrl } }"


def upload(data: bytes, filename: str = "codes.csv", **fields: str) -> dict:
    return {"files": {"file": (filename, data, "text/csv")}, "data": fields}


async def test_the_example_csv_makes_a_job_with_label_sheets(
    client: httpx.AsyncClient, key: str, gql, run_jobs
) -> None:
    sheet = json.dumps({"template": "AVERY_L7160", "lines": ["{name}", "{metadata.sku}"]})
    response = await client.post(
        "/bulk",
        headers={"Authorization": f"Bearer {key}"},
        **upload(EXAMPLE.read_bytes(), EXAMPLE.name, format="svg", size="256", sheet=sheet),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["total"]) == ("QUEUED", 3)
    stored = await BulkJob.get()
    assert (stored.format, stored.size, stored.sheet is not None) == ("SVG", 256, True)

    await run_jobs()
    job = (await gql(key, JOB, id=body["id"]))["data"]["bulkJob"]
    assert (job["status"], job["succeeded"]) == ("SUCCEEDED", 3)
    codes = await QrCode.all().select_related("link").order_by("id")
    assert [c.link.slug for c in codes][0] == "blue-mug"
    assert codes[2].link.metadata == {"sku": "TOW-010", "bin": "B4"}
    assert sorted(codes[0].link.tags) == ["kitchen", "mugs"]
    result = await client.get(job["resultUrl"].removeprefix("http://testserver"))
    assert "sheet.pdf" in zipfile.ZipFile(io.BytesIO(result.content)).namelist()


async def test_a_csv_with_two_bad_rows_reports_exactly_those_rows(
    client: httpx.AsyncClient, key: str
) -> None:
    csv = (
        b"name,url,metadata.sku\n"
        b"Box 1,https://shop.example/1,S-1\n"
        b"Box 2,not a url,S-2\n"
        b"Box 3,https://shop.example/3,S-3\n"
        b",https://shop.example/4,S-4\n"
        b"Box 5,https://shop.example/5,S-5\n"
    )
    response = await client.post("/bulk", headers={"Authorization": f"Bearer {key}"}, **upload(csv))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(3, "url"), (5, "name")]
    assert [e["field"] for e in errors] == [["3", "url"], ["5", "name"]]
    assert all(e["message"] and e["code"] for e in errors)
    assert "Rows 3, 5" in response.json()["detail"]
    assert await BulkJob.all().count() == 0


async def test_an_xlsx_upload_makes_the_same_job(client: httpx.AsyncClient, key: str) -> None:
    workbook = Workbook()
    workbook.active.append(["Name", "URL", "Kind"])
    for i in range(4):
        workbook.active.append([f"Box {i}", f"https://shop.example/{i}", "DYNAMIC"])
    out = io.BytesIO()
    workbook.save(out)
    response = await client.post(
        "/bulk", headers={"Authorization": f"Bearer {key}"}, **upload(out.getvalue(), "c.xlsx")
    )
    assert response.status_code == 201, response.text
    assert response.json()["total"] == 4


async def test_uploads_need_a_bulk_key_and_a_file(client: httpx.AsyncClient, make_key) -> None:
    csv = EXAMPLE.read_bytes()
    assert (await client.post("/bulk", **upload(csv))).status_code == 401
    reader = await make_key(scopes=("codes:write",))
    refused = await client.post(
        "/bulk", headers={"Authorization": f"Bearer {reader}"}, **upload(csv)
    )
    assert refused.status_code == 403
    key = await make_key(scopes=("bulk:write",))
    auth = {"Authorization": f"Bearer {key}"}
    assert (await client.post("/bulk", headers=auth, json={"items": []})).status_code == 422
    no_file = await client.post("/bulk", headers=auth, data={"format": "PNG"},
                                files={"other": ("x", b"y")})  # fmt: skip
    assert no_file.status_code == 422
    bad_size = await client.post("/bulk", headers=auth, **upload(csv, size="big"))
    assert bad_size.status_code == 422
    too_small = await client.post("/bulk", headers=auth, **upload(csv, size="10"))
    assert too_small.status_code == 422 and too_small.json()["errors"][0]["field"] == ["size"]
    bad_sheet = await client.post("/bulk", headers=auth, **upload(csv, sheet="[1]"))
    assert bad_sheet.status_code == 422
    assert await BulkJob.all().count() == 0
