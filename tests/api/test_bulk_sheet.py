"""A bulk job with a `sheet` adds sheet.pdf to its ZIP: every code on it decodes to the code
made, every label shows its lines; a sheet whose labels are too small is refused up front."""

from __future__ import annotations

import io
import zipfile

import httpx

from app.domain.bulk.models import BulkJob
from app.domain.codes.models import QrCode
from app.rendering.labels import SheetLayout
from tests.rendering.test_sheet import read_labels

SUBMIT = """mutation($input: BulkCreateQrCodesInput!) { bulkCreateQrCodes(input: $input) {
  bulkJob { id } userErrors { field code message } } }"""
JOB = "query($id: ID!) { bulkJob(id: $id) { status succeeded failed resultUrl } }"
LINES = ["{name}", "{shortUrl}", "SKU {metadata.sku}"]


def item(i: int) -> dict:
    url = f"https://shop.example/item/{i}"
    return {
        "name": f"Box {i}",
        "dataType": "URL",
        "kind": "DYNAMIC",
        "data": {"url": url},
        "link": {"destination": url, "metadata": {"sku": f"A-{i:03d}"}},
    }


async def test_a_sheet_of_labels_decodes_and_shows_each_labels_text(
    gql, key, run_jobs, client: httpx.AsyncClient
) -> None:
    count = 33  # a page of 30 and three on the next
    sheet = {"template": "AVERY_5160", "lines": LINES, "cropMarks": True}
    payload = (
        await gql(key, SUBMIT, input={"items": [item(i) for i in range(count)], "sheet": sheet})
    )["data"]["bulkCreateQrCodes"]
    assert payload["userErrors"] == []
    await run_jobs()
    job = (await gql(key, JOB, id=payload["bulkJob"]["id"]))["data"]["bulkJob"]
    assert (job["status"], job["succeeded"]) == ("SUCCEEDED", count)

    response = await client.get(job["resultUrl"].removeprefix("http://testserver"))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    pdf = archive.read("sheet.pdf")
    layout = SheetLayout.from_dict((await BulkJob.get()).sheet or {})
    found = read_labels(pdf, layout)

    codes = {c.name: c for c in await QrCode.all().select_related("link")}
    assert len(found) == count
    for i, (decoded, words) in enumerate(found):
        code = codes[f"Box {i}"]
        assert decoded == code.encoded_text
        short_url = code.encoded_text.removesuffix("?qr=1")
        assert words.split() == ["Box", str(i), short_url, "SKU", f"A-{i:03d}"]


async def test_labels_too_small_for_the_codes_are_refused_before_the_job(gql, key) -> None:
    sheet = {"template": "CUSTOM", "pageWidthMm": 210, "pageHeightMm": 297, "marginMm": 5,
             "rows": 20, "columns": 12, "gapMm": 1, "lines": ["{name}"]}  # fmt: skip
    body = await gql(key, SUBMIT, input={"items": [item(0)], "sheet": sheet})
    errors = body["data"]["bulkCreateQrCodes"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["sheet"], "SHEET_TOO_SMALL")]
    assert "A label of 15.8 x 13.4 mm leaves 5.7 mm for the code" in errors[0]["message"]
    assert "need at least 14.8 mm" in errors[0]["message"]
    assert await BulkJob.all().count() == 0


async def test_a_bad_sheet_names_its_field_and_stores_nothing(gql, key) -> None:
    sheet = {"template": "AVERY_5160", "lines": ["{price}"]}
    body = await gql(key, SUBMIT, input={"items": [item(0)], "sheet": sheet})
    errors = body["data"]["bulkCreateQrCodes"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["sheet", "lines", "0"], "INVALID_SHEET")]
    assert await BulkJob.all().count() == 0
