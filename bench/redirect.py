"""Redirect throughput and latency against a bare Starlette redirect, scans accounted for,
and how fast an edited destination reaches every API process.

    python bench/redirect.py [--duration 10] [--rounds 3] [--connections 50] [--threads 1]
                             [--variants]

What it does, in one run:

1. makes a PostgreSQL database (QRFORGE_BENCH_PG, default the local server) and uses the
   local Redis (QRFORGE_BENCH_REDIS) under a namespace of its own; removes both at the end;
   the measured link was renamed (its old slug kept) and the install has a verified custom
   domain, so the redirect pays for both; `--variants` gives the link an A/B split too;
2. starts the real app (uvicorn, one process, uvloop + httptools) pinned to core 0, and its
   worker in another process; and a bare Starlette app answering the same 302 from a dict
   (`RedirectResponse`), pinned to the same core, in the same run;
3. drives each with `wrk` pinned to core 1 (installed with apt-get when missing), at the
   same concurrency and duration, in alternating rounds (bare, qrforge, bare, qrforge...),
   and prints requests/s, p50 and p99 of each run; the ratios are the medians of the
   rounds' ratios, so a burst of load from elsewhere on a shared machine skews one round,
   not the result;
4. waits for ingestion and checks that the scans stored equal the 302s the app served (as
   counted by its own /metrics): 0 lost, 0 duplicated;
5. starts a second app process, edits the destination through GraphQL on the first, and
   polls both until they serve the new one: the propagation delay.

On a machine with two cores the worker would share a core with the app or with wrk while
they are measured, so it is paused (SIGSTOP) during the load runs and resumed afterwards
(`--worker-during-load` keeps it running). Scans wait in the stream meanwhile, which is
the design: ingestion is decoupled from the redirect.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx
import redis.asyncio as aioredis

PG_ADMIN = os.environ.get("QRFORGE_BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("QRFORGE_BENCH_REDIS", "redis://127.0.0.1:6379/0")
SLUG = "bench-link"
DESTINATION = "https://example.com/landing?utm_source=poster"
WARM_UP_SECONDS = 3
PROPAGATION_ROUNDS = 5
PROPAGATION_LIMIT = 5.0

APP = """
import sys, uvicorn
from qrforge.cli import build_app
from app.settings import Settings
uvicorn.run(build_app(Settings.from_env()), host="127.0.0.1", port=int(sys.argv[1]),
            log_level="warning", access_log=False, loop="uvloop", http="httptools")
"""
BARE = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import Route
LINKS = {__SLUG__: __DEST__}
async def redirect(request):
    return RedirectResponse(LINKS[request.path_params["slug"]], status_code=302)
app = Starlette(routes=[Route("/r/{slug}", redirect)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            access_log=False, loop="uvloop", http="httptools")
""".replace("__SLUG__", repr(SLUG)).replace("__DEST__", repr(DESTINATION))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    print("installing wrk (apt-get)...", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    path = shutil.which("wrk")
    if not path:
        sys.exit("wrk could not be installed")
    return path


def pinned(core: int | None, command: list[str]) -> list[str]:
    if core is None or not shutil.which("taskset") or (os.cpu_count() or 1) < 2:
        return command
    return ["taskset", "-c", str(core), *command]


@contextmanager
def process(
    command: list[str], env: dict[str, str], quiet: bool = False
) -> Iterator[subprocess.Popen[bytes]]:
    output = subprocess.DEVNULL if quiet else None
    child = subprocess.Popen(command, env=env, stdout=output, stderr=output)
    try:
        yield child
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGCONT)
            child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def wait_until_up(port: int, path: str, child: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if child.poll() is not None:
            sys.exit(f"server on port {port} exited with {child.returncode}")
        try:
            httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    sys.exit(f"server on port {port} did not start")


def wrk(
    binary: str, url: str, seconds: int, connections: int, threads: int, script: str | None = None
) -> dict[str, float]:
    """One wrk run (on core 1); `script`: a Lua file shaping the requests."""
    options = ["-s", script] if script else []
    command = pinned(
        1,
        [binary, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", *options, url],
    )
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        result[f"p{pct}"] = value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["bad"] = float(errors.group(1)) if errors else 0.0
    socket_errors = re.search(r"Socket errors: (.*)", out)
    result["socket_errors"] = socket_errors.group(1) if socket_errors else ""  # type: ignore[assignment]
    return result


def served_302s(port: int) -> int:
    body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    match = re.search(
        r'qrforge_http_requests_total\{endpoint="redirect",status="302"\} ([\d.e+]+)', body
    )
    return int(float(match.group(1))) if match else 0


async def setup(env: dict[str, str], variants: bool) -> tuple[str, str]:
    """The bench's link and an all-scopes key, created through the domain services, with
    what the redirect must look past in place: a verified custom domain in the install (the
    fast path then looks at every request's Host), the link renamed to SLUG from an earlier
    slug, and with `variants` an A/B split (both halves to DESTINATION, as the bare app)."""
    from tortoise import Tortoise
    from tortoise.migrations.api import migrate

    from app.db import tortoise_config
    from app.domain.domains.services import add_verified
    from app.domain.links.services import create_link, update_link
    from app.domain.workspaces.services import create_key, ensure_workspace
    from app.events import NoEvents

    config = tortoise_config(env["QRFORGE_DATABASE_URL"])
    await migrate(config=config)
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    try:
        workspace = await ensure_workspace("bench")
        _, key = await create_key(workspace.id, "bench", ["*"])
        await add_verified(workspace.id, "go.bench.example", "http://127.0.0.1")
        given: dict[str, object] = {"destination": DESTINATION, "slug": f"{SLUG}-was"}
        if variants:
            given["variants"] = [{"destination": DESTINATION, "weight": w} for w in (1, 1)]
        link = await create_link(workspace.id, given, NoEvents())
        await update_link(workspace.id, link.id, {"slug": SLUG}, NoEvents())
        return key, str(link.id)
    finally:
        await Tortoise.close_connections()


async def stored_scans(database_url: str) -> tuple[int, int, int]:
    """(rows, distinct event ids, the link's scans counted: humans and bots, as wrk sends no
    user agent)."""
    connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        rows, distinct = await connection.fetchrow(
            "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM scan"
        )
        count = await connection.fetchval(
            "SELECT scan_count + bot_scan_count FROM link WHERE slug = $1", SLUG
        )
        return int(rows), int(distinct), int(count)
    finally:
        await connection.close()


async def wait_for_ingestion(env: dict[str, str], expected: int, timeout: float) -> float:
    redis = aioredis.Redis.from_url(env["QRFORGE_REDIS_URL"])
    stream = f"{env['QRFORGE_REDIS_NAMESPACE']}:scans"
    started = time.monotonic()
    try:
        while time.monotonic() - started < timeout:
            rows, _, _ = await stored_scans(env["QRFORGE_DATABASE_URL"])
            if rows >= expected and await redis.xlen(stream) == 0:
                break
            await asyncio.sleep(0.25)
        await asyncio.sleep(1.0)  # anything duplicated would land now
    finally:
        await redis.aclose()
    return time.monotonic() - started


def propagation(key: str, link_id: str, ports: list[int], variants: bool) -> list[float]:
    """Seconds from the update's answer until every process redirects to the new place."""
    import base64

    global_id = base64.b64encode(f"Link:{link_id}".encode()).decode()
    edit = (
        "variants: [{destination: $d, weight: 1}, {destination: $d, weight: 1}]"
        if variants
        else "destination: $d"
    )
    mutation = (
        f"mutation($id: ID!, $d: String!) {{ updateLink(id: $id, input: {{{edit}}})"
        " { userErrors { code } } }"
    )
    delays = []
    with httpx.Client(timeout=5) as http:
        for round_ in range(PROPAGATION_ROUNDS):
            for port in ports:  # every process holds the link in its cache
                http.get(f"http://127.0.0.1:{port}/r/{SLUG}")
            target = f"https://example.com/round-{round_}-{uuid.uuid4().hex[:6]}"
            response = http.post(
                f"http://127.0.0.1:{ports[0]}/graphql",
                json={"query": mutation, "variables": {"id": global_id, "d": target}},
                headers={"Authorization": f"Bearer {key}"},
            )
            assert response.json()["data"]["updateLink"]["userErrors"] == [], response.text
            updated = time.monotonic()
            pending = set(ports)
            while pending and time.monotonic() - updated < PROPAGATION_LIMIT:
                for port in list(pending):
                    location = http.get(f"http://127.0.0.1:{port}/r/{SLUG}").headers.get("location")
                    if location == target:
                        pending.discard(port)
                time.sleep(0.002)
            delays.append(time.monotonic() - updated if not pending else float("inf"))
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--rounds", type=int, default=3, help="load runs of each server")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--worker-during-load", action="store_true")
    parser.add_argument(
        "--variants", action="store_true", help="the measured link splits A/B (same place)"
    )
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
        # the bench's load is one client on one slug: keep the per-key limit and the
        # redirect's per-client guard out of the way, or it measures 429s
        "QRFORGE_RATE_LIMIT": "1000000",
        "QRFORGE_REDIRECT_PER_SLUG_PER_MINUTE": "1000000000",
    }

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
        key, link_id = asyncio.run(setup(env, args.variants))
        python = sys.executable
        app_port, bare_port, second_port = free_port(), free_port(), free_port()
        with (
            process(pinned(0, [python, "-c", APP, str(app_port)]), env) as app,
            process([python, "-m", "qrforge.cli", "worker"], env, quiet=True) as worker,
            process(pinned(0, [python, "-c", BARE, str(bare_port)]), env) as bare,
        ):
            wait_until_up(app_port, "/healthz", app)
            wait_until_up(bare_port, f"/r/{SLUG}", bare)
            if not args.worker_during_load:
                worker.send_signal(signal.SIGSTOP)
            urls = {
                "bare starlette": f"http://127.0.0.1:{bare_port}/r/{SLUG}",
                "qrforge": f"http://127.0.0.1:{app_port}/r/{SLUG}",
            }
            for url in urls.values():
                wrk(binary, url, WARM_UP_SECONDS, args.connections, args.threads)
            rounds = [
                {
                    label: wrk(binary, url, args.duration, args.connections, args.threads)
                    for label, url in urls.items()
                }
                for _ in range(args.rounds)
            ]
            served = served_302s(app_port)
            worker.send_signal(signal.SIGCONT)
            waited = asyncio.run(wait_for_ingestion(env, served, args.ingest_timeout))
            rows, distinct, counted = asyncio.run(stored_scans(database_url))

            with process(pinned(0, [python, "-c", APP, str(second_port)]), env) as second:
                wait_until_up(second_port, "/healthz", second)
                delays = propagation(key, link_id, [app_port, second_port], args.variants)

        print()
        print(
            f"load: {args.rounds} rounds of wrk -t{args.threads} -c{args.connections} "
            f"-d{args.duration}s per server, servers on core 0, wrk on core 1, worker "
            f"{'running' if args.worker_during_load else 'paused'} during load; a custom "
            f"domain in place, the link renamed{', A/B variants' if args.variants else ''}"
        )
        print(f"{'':24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-3xx':>9}")
        for number, runs in enumerate(rounds, 1):
            for label, run in runs.items():
                print(
                    f"{f'{label} ({number})':24}{run['rps']:>10.0f}{run['p50']:>10.2f}"
                    f"{run['p99']:>10.2f}{run['bad']:>9.0f}"
                )
        ratio = statistics.median(r["qrforge"]["rps"] / r["bare starlette"]["rps"] for r in rounds)
        p99_ratio = statistics.median(
            r["qrforge"]["p99"] / r["bare starlette"]["p99"] for r in rounds
        )
        bad = sum(r["qrforge"]["bad"] for r in rounds)
        print(f"throughput ratio qrforge/bare, median of rounds: {ratio:.2f}  (target >= 0.70)")
        print(f"p99 ratio qrforge/bare, median of rounds:        {p99_ratio:.2f}  (target <= 2.00)")
        lost, duplicated = served - distinct, rows - distinct
        print(
            f"302s served: {served}  scans stored: {rows}  distinct: {distinct}  "
            f"link.scan_count: {counted}  lost: {lost}  duplicated: {duplicated}  "
            f"(ingested {waited:.1f} s after the load)"
        )
        shown = ", ".join(f"{d * 1000:.0f} ms" for d in delays)
        print(
            f"propagation to 2 processes: {shown}; worst {max(delays) * 1000:.0f} ms "
            "(target <= 1000 ms)"
        )
        ok = (
            bad == 0  # a run of errors measures nothing
            and ratio >= 0.7
            and p99_ratio <= 2.0
            and lost == 0
            and duplicated == 0
            and counted == served
            and max(delays) <= 1.0
        )
        print("targets met" if ok else "TARGETS MISSED")
    finally:
        asyncio.run(drop_db())
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
