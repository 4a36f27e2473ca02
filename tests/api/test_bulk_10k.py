"""A 10,000-item job: every code made once, in order, with the worker's memory bounded by
a batch rather than by the job.

The 10,000 run is on PostgreSQL only (the production database): it took 127 s on a 2-core
machine shared with other test runs, too long to pay twice; SQLite runs it at 1,000."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import httpx
import pytest

from app.domain.bulk.models import BulkItem
from app.domain.codes.models import QrCode

SUBMIT = """mutation($input: BulkCreateQrCodesInput!) { bulkCreateQrCodes(input: $input) {
  bulkJob { id } userErrors { code message } } }"""
JOB = "query($id: ID!) { bulkJob(id: $id) { status processed succeeded failed resultUrl } }"
# Growth of the process's peak resident memory while it runs the job. A job held whole would
# keep its items, codes, images and manifest (tens of MB at 10,000) on top of the batch.
MEMORY_BOUND_MB = 40


def resident_peak_mb() -> float:
    status = Path("/proc/self/status").read_text()
    line = next(row for row in status.splitlines() if row.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def reset_resident_peak() -> float:
    """The peak made the current size (Linux's clear_refs 5); that size."""
    Path(f"/proc/{os.getpid()}/clear_refs").write_text("5")
    return resident_peak_mb()


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("database_url", "count"),
    [
        pytest.param("postgres", 10_000, id="postgres-10000"),
        pytest.param("sqlite", 1_000, id="sqlite-1000"),
    ],
    indirect=["database_url"],
)
async def test_a_10000_item_job_makes_every_code_once_in_bounded_memory(
    count: int, gql, key, run_jobs, client: httpx.AsyncClient
) -> None:
    items = [
        {"name": f"Item {i}", "dataType": "TEXT", "data": {"text": f"SKU-{i:05d}"}}
        for i in range(count)
    ]
    payload = (await gql(key, SUBMIT, input={"items": items, "size": 64, "format": "SVG"}))["data"][
        "bulkCreateQrCodes"
    ]
    assert payload["userErrors"] == []
    del items
    before = reset_resident_peak()
    await run_jobs()
    grown = resident_peak_mb() - before
    print(f"peak RSS grew {grown:.1f} MB over {before:.1f} MB for {count} items")
    assert grown < MEMORY_BOUND_MB, grown

    job = (await gql(key, JOB, id=payload["bulkJob"]["id"]))["data"]["bulkJob"]
    assert (job["status"], job["processed"], job["succeeded"], job["failed"]) == (
        "SUCCEEDED", count, count, 0,
    )  # fmt: skip
    assert await QrCode.all().count() == count
    assert await BulkItem.filter(code_id__isnull=True).count() == 0
    response = await client.get(job["resultUrl"].removeprefix("http://testserver"))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert [int(r["index"]) for r in rows] == list(range(count))
    assert len({r["id"] for r in rows}) == count
    assert len(archive.namelist()) == count + 1
