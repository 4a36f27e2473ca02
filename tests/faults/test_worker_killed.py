"""A worker is killed mid-job (SIGKILL: no shutdown code runs): a new worker finishes the
work, and nothing is lost or made twice.

The workers are real `qrforge worker` processes. arq gives the job of a dead worker to
another one only after the longest job timeout + 10 s, and scan ingestion gives the stream
entries of a dead worker to another one after QRFORGE_SCAN_RECLAIM_IDLE_MS, so they run
with short timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO, Any

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis

from app import keys
from app.domain.bulk.models import BulkItem, BulkJob
from app.domain.bulk.runner import BATCH
from app.domain.codes.models import QrCode
from app.domain.links.models import Link
from app.domain.scans.models import Scan
from app.domain.scans.stream import decode, unpack
from app.graphql.relay import to_global_id
from app.settings import Settings
from tests.rollups import assert_rollups_match_scans
from workers import constants

# The in-progress key of a dead worker's job then lasts 15 + 5 (BULK_JOB_TIMEOUT_SLACK) + 10 s,
# so the rerun starts about 30 s after the first run did. The rerun takes about 3 s on an idle
# machine: 15 s leaves room.
JOB_TIMEOUT, BULK_JOB_TIMEOUT = 5, 15
# Entries a dead worker read wait this long for another one. The default, 30 s, would show up
# as the new worker missing its deadline (kept below 30 s on purpose).
SCAN_RECLAIM_IDLE_MS = 2000
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
            "QRFORGE_SCAN_RECLAIM_IDLE_MS": str(SCAN_RECLAIM_IDLE_MS),
        }
        self.log = log
        self._out: IO[bytes] = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qrforge.cli", "worker"],
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its render pool stays findable after it is killed
        )

    @property
    def consumer_prefix(self) -> str:
        """How its scan consumer's name starts (workers.scans.consumer_name)."""
        return f"{socket.gethostname()}-{self.process.pid}-"

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
    made = await BulkItem.filter(job_id=job.id, code_id__isnull=False).count()
    assert await QrCode.all().count() == done_before == made

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
    made_by_index = await BulkItem.filter(job_id=job.id, code_id__isnull=False).order_by("index")
    assert [row.index for row in made_by_index] == list(range(ITEMS))

    response = await client.get(state["resultUrl"].removeprefix("http://testserver"))
    assert response.status_code == 200, response.text
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert [int(r["index"]) for r in rows] == list(range(ITEMS))
    assert {r["id"] for r in rows} == {to_global_id("QrCode", c.id) for c in codes}
    assert sorted(archive.namelist()) == sorted([r["file"] for r in rows] + ["manifest.csv"])


CREATE_LINK = "mutation($i: CreateLinkInput!) { createLink(input: $i) { link { slug } } }"
SEQUENTIAL_SCANS, BURSTS, BURST = 120, 4, 45  # 300 scans: 120 entries of one, and a few big
RECORDED = SEQUENTIAL_SCANS + BURSTS * BURST
PHONE = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"}


@contextlib.asynccontextmanager
async def locked(database_url: str, table: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the test's own holding an exclusive lock on `table` inside the block:
    anyone else touching the table waits until the block ends."""
    connection = await asyncpg.connect(database_url)
    try:
        async with connection.transaction():
            await connection.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            yield connection
    finally:
        await connection.close()


# A worker reads a batch of stream entries, stores its scans (INSERT ... ON CONFLICT DO NOTHING,
# the link counters and the rollups, one transaction), asks which workspaces have a scan
# webhook, publishes, and only then acknowledges. Locking `scan` stops it before its commit;
# locking `webhook` stops it after its commit and before the acknowledgement, so the new worker
# stores those scans again.
@pytest.mark.timeout(90)
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.parametrize(
    ("table", "committed"),
    [
        pytest.param("scan", False, id="killed-before-its-commit"),
        pytest.param("webhook", True, id="killed-after-its-commit-before-its-ack"),
    ],
)
async def test_scans_read_by_a_killed_worker_are_stored_once_by_a_new_worker(
    table: str,
    committed: bool,
    gql,
    key,
    client: httpx.AsyncClient,
    settings: Settings,
    workers: Callable[[], Worker],
) -> None:
    links = []
    for name in ("poster", "flyer"):
        body = await gql(key, CREATE_LINK, i={"destination": f"https://e.example/{name}"})
        links.append(body["data"]["createLink"]["link"]["slug"])
    for burst in range(BURSTS):  # redirects that arrive together share stream entries
        responses = await asyncio.gather(
            *(client.get(f"/r/{links[(burst + i) % 2]}", headers=PHONE) for i in range(BURST))
        )
        assert {r.status_code for r in responses} == {302}
    for i in range(SEQUENTIAL_SCANS):
        assert (await client.get(f"/r/{links[i % 2]}", headers=PHONE)).status_code == 302

    redis = aioredis.Redis.from_url(settings.redis_url)
    stream = keys.key(keys.SCAN_STREAM, settings.redis_namespace)
    try:
        entries = {entry_id: unpack(fields) for entry_id, fields in await redis.xrange(stream)}
        event_ids = {decode(line)["e"] for lines in entries.values() for line in lines}
        assert len(event_ids) == RECORDED and len(entries) > constants.SCAN_BATCH

        async with locked(settings.database_url, table) as db:
            first = workers()

            async def first_holds_its_batch() -> tuple[int, int] | None:
                """(entries, scans) worker 1 read and has not acknowledged, once it is stuck."""
                if committed:  # it committed, then waits for the lock on `webhook`
                    stuck = await db.fetchval("SELECT count(*) FROM scan") > 0
                else:  # its INSERT waits for the lock on `scan`
                    stuck = await db.fetchval(
                        "SELECT count(*) FROM pg_locks "
                        "WHERE relation = 'scan'::regclass AND NOT granted"
                    )
                if not stuck:  # (nothing read yet; the consumer group may not exist yet)
                    return None
                summary = await redis.xpending(stream, keys.SCAN_GROUP)
                (consumer,) = [
                    c["name"] for c in summary["consumers"]
                    if c["name"].decode().startswith(first.consumer_prefix)
                ]  # fmt: skip
                pending = await redis.xpending_range(
                    stream, keys.SCAN_GROUP, "-", "+", 10 * constants.SCAN_BATCH, consumer
                )
                return len(pending), sum(len(entries[p["message_id"]]) for p in pending)

            read, taken = await until(first_holds_its_batch, 30, "worker 1 stuck mid-batch", first)
            first.kill()
            assert 0 < read < len(entries)  # it read some of the stream, not all
            # Worker 1's commit, if it got there, is whole: every scan it read, counted.
            stored = await db.fetchval("SELECT count(*) FROM scan")
            counted = await db.fetchval("SELECT sum(scan_count) FROM link")
            assert (stored, counted) == ((taken, taken) if committed else (0, 0))

        second = workers()

        async def all_settled() -> bool:
            left = (await redis.xpending(stream, keys.SCAN_GROUP))["pending"]
            return left == 0 and await redis.xlen(stream) == 0

        await until(all_settled, 25, "every entry settled by worker 2", second)
        assert "claimed" in second.output()  # worker 1's entries came to it through a reclaim
        assert (await redis.xpending(stream, keys.SCAN_GROUP))["pending"] == 0
    finally:
        await redis.aclose()

    stored_ids = await Scan.all().values_list("event_id", flat=True)
    assert len(stored_ids) == RECORDED, second.output()
    assert set(stored_ids) == event_ids  # distinct, and exactly the scans recorded
    by_link = {link.slug: link for link in await Link.all()}
    assert [by_link[slug].scan_count for slug in links] == [RECORDED // 2, RECORDED // 2]
    assert [by_link[slug].unique_scan_count for slug in links] == [1, 1]  # one phone
    await assert_rollups_match_scans()  # and every rollup counted each scan once
