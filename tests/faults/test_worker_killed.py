"""A worker is killed mid-job (SIGKILL: no shutdown code runs): a new worker finishes the
work, and nothing is lost or made twice.

The workers are real `qrforge worker` processes. arq gives the job of a dead worker to
another one only after the longest job timeout + 10 s, so they run with short timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from app.domain.bulk.models import BulkJob
from app.domain.bulk.runner import BATCH
from app.domain.codes.models import QrCode
from app.domain.links.models import Link
from app.graphql.relay import to_global_id
from app.settings import Settings

# The in-progress key of a dead worker's job then lasts 15 + 5 (BULK_JOB_TIMEOUT_SLACK) + 10 s,
# so the rerun starts about 30 s after the first run did. The rerun takes about 3 s on an idle
# machine: 15 s leaves room.
JOB_TIMEOUT, BULK_JOB_TIMEOUT = 5, 15
ITEMS = 3 * BATCH  # the worker is killed after the first batch, the second still to commit

SUBMIT = """mutation($input: BulkCreateQrCodesInput!) { bulkCreateQrCodes(input: $input) {
  bulkJob { id } userErrors { code message } } }"""
JOB = "query($id: ID!) { bulkJob(id: $id) { status processed succeeded failed resultUrl } }"


class Worker:
    """A `qrforge worker` process in a session of its own, its output kept in a file."""

    def __init__(self, settings: Settings, log: Path) -> None:
        env = {
            **os.environ,
            "QRFORGE_DATABASE_URL": settings.database_url,
            "QRFORGE_REDIS_URL": settings.redis_url,
            "QRFORGE_REDIS_NAMESPACE": settings.redis_namespace,
            "QRFORGE_SECRET_KEY": settings.secret_key,
            "QRFORGE_DATA_DIR": str(settings.data_dir),  # the ZIP lands where the API reads it
            "QRFORGE_PUBLIC_URL": settings.public_url,
            "QRFORGE_ALLOW_PRIVATE_TARGETS": "true",
            "QRFORGE_JOB_TIMEOUT": str(JOB_TIMEOUT),
            "QRFORGE_BULK_JOB_TIMEOUT": str(BULK_JOB_TIMEOUT),
        }
        self.log = log
        self._out: IO[bytes] = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its render pool stays findable after it is killed
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def assert_alive(self) -> None:
        assert self.process.poll() is None, f"the worker exited early:\n{self.output()}"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        # A killed worker leaves its render pool behind, orphaned: end those processes too.
        for pid in _session_members(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._out.close()


def _session_members(sid: int) -> list[int]:
    ps = subprocess.run(["ps", "-e", "-o", "pid=,sid="], capture_output=True, text=True, check=True)
    rows = (line.split() for line in ps.stdout.splitlines())
    return [int(pid) for pid, session in rows if int(session) == sid]


@pytest.fixture
def workers(settings: Settings, tmp_path: Path) -> Iterator[Callable[[], Worker]]:
    """workers() -> a new worker process; all of them are stopped after the test."""
    started: list[Worker] = []

    def start() -> Worker:
        started.append(Worker(settings, tmp_path / f"worker-{len(started) + 1}.log"))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


async def until(
    check: Callable[[], Awaitable[Any]], seconds: float, what: str, worker: Worker
) -> Any:
    """Poll `check` until it returns something truthy; the worker must stay up meanwhile."""
    deadline = time.monotonic() + seconds
    while not (value := await check()):
        worker.assert_alive()
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s\n{worker.output()}"
        await asyncio.sleep(0.05)
    return value


# PostgreSQL only: a `qrforge worker` process of its own is the server-database deployment
# (on the SQLite default the worker runs inside `qrforge serve`), and ~30 s is too long to pay
# twice.
@pytest.mark.timeout(90)
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_bulk_job_whose_worker_is_killed_finishes_on_a_new_worker_without_duplicates(
    gql, key, client: httpx.AsyncClient, workers: Callable[[], Worker]
) -> None:
    items = [
        {"name": f"Box {i}", "dataType": "URL", "kind": "DYNAMIC",
         "data": {"url": f"https://shop.example/item/{i}"}}
        for i in range(ITEMS)
    ]  # fmt: skip
    payload = (await gql(key, SUBMIT, input={"items": items}))["data"]["bulkCreateQrCodes"]
    assert payload["userErrors"] == []
    job_id = payload["bulkJob"]["id"]
    job = await BulkJob.get()

    first = workers()

    async def some_batches_done() -> bool:
        await job.refresh_from_db()
        assert job.status != "SUCCEEDED", "the job finished before the worker could be killed"
        return job.processed >= BATCH

    await until(some_batches_done, 30, "the first batch", first)
    first.kill()

    await job.refresh_from_db()
    done_before = job.succeeded
    assert job.status == "RUNNING" and BATCH <= done_before < ITEMS, (job.status, done_before)
    # What the dead worker committed is whole: its codes and its record of them agree.
    assert await QrCode.all().count() == done_before == len(job.created_ids)

    second = workers()

    async def finished() -> bool:
        await job.refresh_from_db()
        return job.status in ("SUCCEEDED", "FAILED")

    await until(finished, 60, "the job on the new worker", second)

    state = (await gql(key, JOB, id=job_id))["data"]["bulkJob"]
    counts = (state["status"], state["processed"], state["succeeded"], state["failed"])
    assert counts == ("SUCCEEDED", ITEMS, ITEMS, 0), second.output()
    codes = await QrCode.all().select_related("link")
    assert len(codes) == ITEMS and await Link.all().count() == ITEMS
    assert len({c.encoded_text for c in codes}) == ITEMS
    assert sorted(c.link.destination for c in codes) == sorted(
        f"https://shop.example/item/{i}" for i in range(ITEMS)
    )
    assert sorted(job.created_ids, key=int) == [str(i) for i in range(ITEMS)]

    response = await client.get(state["resultUrl"].removeprefix("http://testserver"))
    assert response.status_code == 200, response.text
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert [int(r["index"]) for r in rows] == list(range(ITEMS))
    assert {r["id"] for r in rows} == {to_global_id("QrCode", c.id) for c in codes}
    assert sorted(archive.namelist()) == sorted([r["file"] for r in rows] + ["manifest.csv"])
