"""Scan ingestion against the redirect: scans/s one worker stores (rollups included) over the
redirects/s one API process serves, in the same run.

    python bench/ingest.py [--duration 10] [--connections 50] [--links 20]

1. makes a PostgreSQL database and a Redis namespace of its own (removed at the end), and a
   workspace with `--links` links;
2. drives one API process (core 0) with `wrk` (core 1) for `--duration` seconds, spread over
   the links by a Lua script, half as QR scans, with three browsers' user agents; the
   worker is not running, so the scans wait in the stream;
3. starts one `qrforge worker` on core 0 (where the API was) and times it storing the backlog:
   scans/s between its first and its last stored scan, so the process's start-up is left out;
4. checks that every 302 is a stored scan and that the rollups count each once.

Target: ingestion/redirect >= 1.0, so a sustained load never builds an unbounded backlog.
Reuses bench/redirect.py's helpers (wrk, pinning, processes, setup).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import redis.asyncio as aioredis

sys.path.insert(0, str(Path(__file__).parent))

from redirect import (  # noqa: E402  (bench/ is not a package)
    APP,
    PG_ADMIN,
    REDIS_URL,
    SLUG,
    ensure_wrk,
    free_port,
    pinned,
    process,
    served_302s,
    setup,
    wait_until_up,
    wrk,
)

PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
# Every request a slug of its own among the links, and one of a few user agents (so the
# visitor hashes and the rollups' device/os/browser rows vary as real traffic does).
WRK_SCRIPT = """
local n = 0
local agents = {
  "__PHONE__",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    .. "Chrome/120.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    .. "Chrome/120.0 Safari/537.36",
}
request = function()
  n = n + 1
  local path = "/r/__SLUG__-" .. (n % __LINKS__)
  if n % 2 == 0 then path = path .. "?qr=1" end
  return wrk.format("GET", path, {["User-Agent"] = agents[(n % #agents) + 1],
                                  ["Accept-Language"] = "de-DE,de;q=0.9"})
end
"""


async def make_links(database_url: str, count: int) -> None:
    """`count` more links beside the bench's own, copied from it by SQL."""
    connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(
            "INSERT INTO link (workspace_id, slug, destination, tags, tag_index, metadata, "
            "enabled, rules, redirect_type, forward_query, scan_count, unique_scan_count, "
            "bot_scan_count, created_at, updated_at) "
            "SELECT workspace_id, $1 || '-' || n, destination, tags, tag_index, metadata, "
            "enabled, rules, redirect_type, forward_query, 0, 0, 0, now(), now() "
            "FROM link, generate_series(0, $2 - 1) AS n WHERE slug = $1",
            SLUG,
            count,
        )
    finally:
        await connection.close()


async def counts(database_url: str) -> tuple[int, int, int, int]:
    """(scan rows, distinct event ids, human + bot counters, link_hour scans + bots)."""
    connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        rows, distinct = await connection.fetchrow(
            "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM scan"
        )
        counted = await connection.fetchval(
            "SELECT COALESCE(SUM(scan_count + bot_scan_count), 0) FROM link"
        )
        rolled = await connection.fetchval("SELECT COALESCE(SUM(scans + bots), 0) FROM link_hour")
        return int(rows), int(distinct), int(counted), int(rolled)
    finally:
        await connection.close()


async def time_ingestion(env: dict[str, str], expected: int, timeout: float) -> tuple[int, float]:
    """(scans stored while measured, seconds): from the first stored scan to the last."""
    database_url = env["QRFORGE_DATABASE_URL"]
    connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    redis = aioredis.Redis.from_url(env["QRFORGE_REDIS_URL"])
    stream = f"{env['QRFORGE_REDIS_NAMESPACE']}:scans"
    first: tuple[int, float] | None = None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            rows = int(await connection.fetchval("SELECT COUNT(*) FROM scan"))
            now = time.monotonic()
            if rows and first is None:
                first = (rows, now)
            if rows >= expected and await redis.xlen(stream) == 0:
                assert first is not None
                return rows - first[0], now - first[1]
            await asyncio.sleep(0.05)
        sys.exit(f"ingestion did not finish in {timeout} s")
    finally:
        await connection.close()
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of redirect load")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--links", type=int, default=20)
    parser.add_argument("--ingest-timeout", type=float, default=600, help="seconds")
    args = parser.parse_args()
    binary = ensure_wrk()

    name = f"qrforge_bench_{uuid.uuid4().hex[:8]}"
    database_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    data_dir = Path(tempfile.mkdtemp(prefix="qrforge-bench-"))
    env = {
        **os.environ,
        "QRFORGE_DATABASE_URL": database_url,
        "QRFORGE_REDIS_URL": REDIS_URL,
        "QRFORGE_REDIS_NAMESPACE": namespace,
        "QRFORGE_DATA_DIR": str(data_dir),
        "QRFORGE_SECRET_KEY": uuid.uuid4().hex,
        "QRFORGE_RATE_LIMIT": "1000000",
        "QRFORGE_REDIRECT_PER_SLUG_PER_MINUTE": "1000000000",
    }
    script = data_dir / "spread.lua"
    script.write_text(
        WRK_SCRIPT.replace("__PHONE__", PHONE)
        .replace("__SLUG__", SLUG)
        .replace("__LINKS__", str(args.links))
    )

    async def create_db() -> None:
        admin = await asyncpg.connect(PG_ADMIN.replace("postgres://", "postgresql://", 1))
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()

    async def drop_db() -> None:
        admin = await asyncpg.connect(PG_ADMIN.replace("postgres://", "postgresql://", 1))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
        redis = aioredis.Redis.from_url(REDIS_URL)
        keys = [k async for k in redis.scan_iter(match=f"{namespace}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()

    asyncio.run(create_db())
    try:
        asyncio.run(setup(env))
        asyncio.run(make_links(database_url, args.links))
        python = sys.executable
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        with process(pinned(0, [python, "-c", APP, str(port)]), env) as app:
            wait_until_up(port, "/healthz", app)
            wrk(binary, url, 2, args.connections, 1, script=str(script))  # warm-up
            before = served_302s(port)
            load = wrk(binary, url, args.duration, args.connections, 1, script=str(script))
            served = served_302s(port)
        if load["bad"]:
            sys.exit(f"{load['bad']:.0f} non-3xx answers: the load measured errors")
        worker = [python, "-m", "qrforge.cli", "worker"]
        if os.environ.get("QRFORGE_BENCH_PROFILE"):  # a py-spy profile of the worker, to read
            worker = ["py-spy", "record", "-r", "200", "-f", "raw", "-o",
                      os.environ["QRFORGE_BENCH_PROFILE"], "--", *worker]  # fmt: skip
        with process(pinned(0, worker), env, quiet=True):
            stored, seconds = asyncio.run(time_ingestion(env, served, args.ingest_timeout))
        rows, distinct, counted, rolled = asyncio.run(counts(database_url))

        rate = stored / seconds
        redirects = load["rps"]
        print()
        print(
            f"redirects: wrk -t1 -c{args.connections} -d{args.duration}s over {args.links} "
            f"links, API on core 0, wrk on core 1: {redirects:.0f} req/s "
            f"({served - before} 302s in the measured run, {served} in all)"
        )
        print(
            f"ingestion: one worker on core 0: {stored} scans in {seconds:.2f} s = "
            f"{rate:.0f} scans/s (rollups included)"
        )
        print(f"ratio ingestion/redirect: {rate / redirects:.2f}  (target >= 1.00)")
        print(
            f"302s: {served}  scans stored: {rows}  distinct: {distinct}  "
            f"counters: {counted}  link_hour: {rolled}"
        )
        ok = rate >= redirects and rows == distinct == served == counted == rolled
        print("targets met" if ok else "TARGETS MISSED")
    finally:
        asyncio.run(drop_db())
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
