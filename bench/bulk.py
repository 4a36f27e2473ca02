"""Bulk creation, end to end: 1,000 dynamic URL codes (PNG, 512 px) through the API and a
worker process until the ZIP is ready, against the single-code path measured in the same run
(createQrCode, then fetching its image). Then the large case: 10,000 codes (per-code time
against the 1,000 job's, the worker's peak RSS) and 10,000 codes with an AVERY_5160 label
sheet (against the 10,000 ZIP's time).

Runs a real `qrforge serve` and `qrforge worker` on a throw-away PostgreSQL database and the
local Redis (own namespace). Usage:
python bench/bulk.py [--items 1000] [--large 10000] [--singles 30]   (--large 0 skips it)
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import asyncpg
import httpx

PG_ADMIN = os.environ.get("QRFORGE_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("QRFORGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CREATE = """mutation($i: CreateQrCodeInput!) { createQrCode(input: $i) {
  qrCode { id imageUrl(format: PNG, size: 512) } userErrors { code message } } }"""
SUBMIT = """mutation($i: BulkCreateQrCodesInput!) { bulkCreateQrCodes(input: $i) {
  bulkJob { id } userErrors { code message } } }"""
JOB = "query($id: ID!) { bulkJob(id: $id) { status succeeded failed resultUrl } }"
SHEET = {"template": "AVERY_5160", "lines": ["{name}", "{shortUrl}"]}


def item(n: int) -> dict[str, object]:
    return {
        "name": f"Label {n}",
        "kind": "DYNAMIC",
        "dataType": "URL",
        "data": {"url": f"https://shop.example/p/{n}"},
    }


def cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "qrforge.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # Linux: the peak becomes the current


async def main(items: int, large: int, singles: int) -> None:
    name = f"qrforge_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    data = Path(tempfile.mkdtemp(prefix="qrforge-bench-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("QRFORGE_")} | {
        "QRFORGE_DATABASE_URL": PG_ADMIN.rsplit("/", 1)[0] + f"/{name}",
        "QRFORGE_REDIS_URL": REDIS,
        "QRFORGE_REDIS_NAMESPACE": f"bench{uuid.uuid4().hex[:8]}",
        "QRFORGE_DATA_DIR": str(data),
        "QRFORGE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "QRFORGE_RATE_LIMIT": "1000000",
    }
    cli(env, "migrate")
    key = cli(env, "keys", "create", "--workspace", "bench").strip().splitlines()[-1]
    # Past the default 10,000 bulk items a day: this run queues up to 21,000.
    cli(env, "workspaces", "set-limits", "bench", "--bulk-items-per-day", "1000000")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    api = subprocess.Popen(
        [sys.executable, "-m", "qrforge.cli", "serve", "--port", str(port)], env=env, **quiet
    )
    worker = subprocess.Popen([sys.executable, "-m", "qrforge.cli", "worker"], env=env, **quiet)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(
            base_url=base, timeout=60, headers={"Authorization": f"Bearer {key}"}
        ) as client:
            for _ in range(600):  # a minute: a busy machine starts it slowly
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert api.poll() is None, "qrforge serve died"
                await asyncio.sleep(0.1)

            async def gql(query: str, **variables: object) -> dict:
                response = await client.post(
                    "/graphql", json={"query": query, "variables": variables}
                )
                return response.json()["data"]

            await gql(CREATE, i=item(-1))  # warm up: first imports, connections, render pool
            started = time.perf_counter()
            for n in range(singles):
                code = (await gql(CREATE, i=item(n)))["createQrCode"]["qrCode"]
                image = await client.get(code["imageUrl"].removeprefix(base))
                assert image.status_code == 200 and image.content[:4] == b"\x89PNG"
            single = (time.perf_counter() - started) / singles

            async def bulk(count: int, **options: object) -> tuple[float, dict, int]:
                """Seconds from submit to result ready, the job's state, the ZIP's bytes."""
                started = time.perf_counter()
                job = (
                    await gql(
                        SUBMIT,
                        i={
                            "items": [item(n) for n in range(count)],
                            "format": "PNG",
                            "size": 512,
                            **options,
                        },
                    )
                )["bulkCreateQrCodes"]["bulkJob"]
                while True:
                    state = (await gql(JOB, id=job["id"]))["bulkJob"]
                    if state["status"] in ("SUCCEEDED", "FAILED"):
                        break
                    await asyncio.sleep(0.05)
                wall = time.perf_counter() - started
                archive = await client.get(state["resultUrl"].removeprefix(base))
                if "sheet" in options:  # kept to look at: the run's data directory
                    with zipfile.ZipFile(io.BytesIO(archive.content)) as opened:
                        (data / "sheet.pdf").write_bytes(opened.read("sheet.pdf"))
                return wall, state, len(archive.content)

            wall, state, size = await bulk(items)
            if large:
                reset_peak_rss(worker.pid)
                rss_before = peak_rss_mb(worker.pid)
                large_wall, large_state, large_size = await bulk(large)
                rss = peak_rss_mb(worker.pid)
                sheet_wall, sheet_state, sheet_size = await bulk(large, sheet=SHEET)
    finally:
        api.terminate()
        worker.terminate()
        api.wait(10)
        worker.wait(10)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    per_code = wall / items
    print(f"bulk: {items} dynamic URL codes, PNG 512 px, {os.cpu_count()} cores")
    print(
        f"  status {state['status']}: {state['succeeded']} created, {state['failed']} failed, "
        f"ZIP {size / 1e6:.1f} MB"
    )
    print(f"  wall, submit to ZIP ready     {wall:8.2f} s    (target <= 15 s)")
    print(f"  per code in bulk              {per_code * 1000:8.2f} ms")
    print(f"  single createQrCode + image   {single * 1000:8.2f} ms   (mean of {singles})")
    print(f"  ratio bulk / single           {per_code / single:8.2f} x  (target <= 0.5)")
    if not large:
        return
    print(f"bulk: {large} dynamic URL codes, PNG 512 px")
    print(
        f"  status {large_state['status']}: {large_state['succeeded']} created, "
        f"ZIP {large_size / 1e6:.1f} MB"
    )
    print(f"  wall, submit to ZIP ready     {large_wall:8.2f} s    (target <= 30 s)")
    print(f"  per code in bulk              {large_wall / large * 1000:8.2f} ms")
    ratio = (large_wall / large) / per_code
    print(f"  ratio per code {large} / {items} {ratio:8.2f} x  (target <= 1.2)")
    print(f"  worker peak RSS               {rss:8.1f} MB   ({rss_before:.1f} MB before the job;")
    print("                                               its render processes apart)")
    print(f"bulk: {large} codes with an AVERY_5160 sheet.pdf ({-(-large // 30)} pages)")
    print(
        f"  status {sheet_state['status']}: {sheet_state['succeeded']} created, "
        f"ZIP with sheet {sheet_size / 1e6:.1f} MB"
    )
    print(f"  wall, submit to ZIP ready     {sheet_wall:8.2f} s")
    print(f"  ratio sheet job / ZIP job     {sheet_wall / large_wall:8.2f} x  (target <= 2)")
    print(f"  the sheet: {data / 'sheet.pdf'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--singles", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.items, args.large, args.singles))
