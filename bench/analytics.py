"""Analytics cost against the number of scans: a 10,000-scan link, a 2,000,000-scan link and
a 10,000-link workspace, each against a trivial `viewer` query, in the same run.

    python bench/analytics.py [--big 2000000] [--small 10000] [--links 10000] [--rounds 15]

1. makes a PostgreSQL database (QRFORGE_BENCH_PG) and a Redis namespace of its own (both
   removed at the end); one workspace with a small link, a big link and `--links` more links
   with a few scans each, every scan within the last 30 days;
2. stores the scans with bulk SQL (generate_series) and builds the rollups with the rollup
   migration's own backfill, as an upgrade would;
3. starts one API process (core 0) and times, over HTTP, alternating, `--rounds` times each:
   `{ viewer { scopes } }`, the full `Link.analytics` (total, unique, DAY series, all nine
   breakdowns) of the small and of the big link over 30 days, and the workspace's analytics
   over 30 days (the same figures and topLinks(first: 10));
4. prints medians and the ratios. Targets: big link <= 2x the small link (flat in the scans),
   every analytics query <= 10x the trivial query.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import importlib
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import asyncpg
import httpx
import redis.asyncio as aioredis

sys.path.insert(0, str(Path(__file__).parent))

from redirect import (  # noqa: E402  (bench/ is not a package)
    APP,
    PG_ADMIN,
    REDIS_URL,
    free_port,
    pinned,
    process,
    wait_until_up,
)

FIGURES = """
  total unique series { bucket scans unique }
  byCountry { key count } byDevice { key count } byOs { key count } byBrowser { key count }
  byReferrer { key count } bySource { key count } byLanguage { key count }
  byOutcome { key count }"""
TRIVIAL = "{ viewer { scopes } }"
LINK = (
    "query($id: ID!, $from: DateTime!, $to: DateTime!) { link(id: $id) { "
    "analytics(from: $from, to: $to) { " + FIGURES + " byVariant { key count } } } }"
)
WORKSPACE = (
    "query($from: DateTime!, $to: DateTime!) { viewer { workspace { "
    "analytics(from: $from, to: $to) { "
    + FIGURES
    + " topLinks(first: 10) { scans unique link { slug } } } } } }"
)
# Spread of the generated scans over the dimensions (indexes into SQL arrays by n).
SCANS_SQL = """
INSERT INTO scan (event_id, workspace_id, link_id, occurred_at, source, country, device_type,
                  os, browser, referrer, language, outcome, is_bot, visitor_hash)
SELECT md5($1 || '-' || n), $2, {link}, now() - (n % 2592000) * interval '1 second',
       CASE WHEN n % 2 = 0 THEN 'QR' ELSE 'LINK' END,
       (ARRAY['DE','FR','US','GB','NL','ES','IT','PL','SE','JP','BR','IN'])[1 + n % 12],
       CASE WHEN n % 20 = 0 THEN 'bot'
            ELSE (ARRAY['mobile','mobile','desktop','tablet'])[1 + n % 4] END,
       (ARRAY['iOS','Android','Windows','Mac OS X','Linux','Chrome OS'])[1 + n % 6],
       (ARRAY['Mobile Safari','Chrome Mobile','Chrome','Firefox','Edge','Samsung Internet'])
         [1 + n % 6],
       CASE WHEN n % 3 = 0 THEN NULL ELSE 'ref' || (n % 25) || '.example' END,
       (ARRAY['de','fr','en','nl','es','it','pl','sv','ja','pt'])[1 + n % 10],
       CASE WHEN n % 50 = 0 THEN 'gone' WHEN n % 7 = 0 THEN 'rule 1' ELSE 'destination' END,
       n % 20 = 0, md5('visitor' || (n % 50000) || '-' || (n % 2592000) / 86400)
FROM generate_series($3::bigint, $4::bigint) AS n
"""


def rollup_backfill():  # type: ignore[no-untyped-def]
    """The rollup migration's backfill, whatever its number."""
    migrations = Path(__file__).parents[1] / "app" / "migrations"
    (module,) = [p.stem for p in migrations.glob("*_scan_rollups.py")]
    return importlib.import_module(f"app.migrations.{module}").backfill


async def prepare(database_url: str, small: int, big: int, links: int) -> tuple[str, str, str]:
    """(key, small link's global id, big link's global id), with every scan stored."""
    from tortoise import Tortoise, connections
    from tortoise.migrations.api import migrate

    from app.db import tortoise_config
    from app.domain.links.models import Link
    from app.domain.workspaces.services import create_key, ensure_workspace

    config = tortoise_config(database_url)
    await migrate(config=config)
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    try:
        workspace = await ensure_workspace("bench")
        _, key = await create_key(workspace.id, "bench", ["*"])
        pks = []
        for slug in ("small", "big"):
            link = await Link.create(
                workspace_id=workspace.id, slug=slug, destination="https://example.com/"
            )
            pks.append(link.id)
        raw = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
        try:
            await raw.execute(
                "INSERT INTO link (workspace_id, slug, destination, tags, tag_index, metadata, "
                "enabled, rules, redirect_type, forward_query, scan_count, unique_scan_count, "
                "bot_scan_count, created_at, updated_at) "
                "SELECT $1, 'many-' || n, 'https://example.com/', '[]', '', '{}', TRUE, '[]', "
                "302, FALSE, 0, 0, 0, now(), now() FROM generate_series(1, $2) AS n",
                workspace.id,
                links,
            )
            started = time.monotonic()
            for link_id, count in zip(pks, (small, big), strict=True):
                for start in range(1, count + 1, 500_000):  # a few statements, not one huge
                    end = min(start + 499_999, count)
                    await raw.execute(
                        SCANS_SQL.format(link=link_id), f"{link_id}", workspace.id, start, end
                    )
            # A few scans each for the many links, at the same spread of times.
            await raw.execute(
                SCANS_SQL.replace("{link}", "l.id")
                .replace(
                    "FROM generate_series($3::bigint, $4::bigint) AS n",
                    "FROM link AS l, generate_series($3::bigint, $4::bigint) AS g, "
                    "LATERAL (SELECT g * 7919 + l.id * 104729 AS n) AS s "
                    "WHERE l.slug LIKE 'many-%'",
                )
                .replace("md5($1 || '-' || n)", "md5($1 || '-' || l.id || '-' || g)"),
                "many",
                workspace.id,
                1,
                5,
            )
            await raw.execute("ANALYZE scan")
            stored = time.monotonic() - started
            started = time.monotonic()
            await rollup_backfill()(None, SimpleNamespace(client=connections.get("default")))
            await raw.execute("ANALYZE")
            rolled = time.monotonic() - started
            total = await raw.fetchval("SELECT count(*) FROM scan")
            print(f"setup: {total} scans stored in {stored:.0f} s, rollups built in {rolled:.0f} s")
        finally:
            await raw.close()
        ids = [base64.b64encode(f"Link:{pk}".encode()).decode() for pk in pks]
        return key, ids[0], ids[1]
    finally:
        await Tortoise.close_connections()


def timed(http: httpx.Client, query: str, variables: dict[str, str]) -> float:
    started = time.perf_counter()
    response = http.post("/graphql", json={"query": query, "variables": variables})
    elapsed = time.perf_counter() - started
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, response.text[:500]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big", type=int, default=2_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

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
        key, small, big = asyncio.run(prepare(database_url, args.small, args.big, args.links))
        port = free_port()
        to = time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime(time.time() + 3600))
        since = time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime(time.time() - 30 * 86400))
        window = {"from": since, "to": to}
        queries = {
            "trivial viewer": (TRIVIAL, {}),
            f"link, {args.small:,} scans": (LINK, {"id": small, **window}),
            f"link, {args.big:,} scans": (LINK, {"id": big, **window}),
            f"workspace, {args.links + 2:,} links": (WORKSPACE, window),
        }
        with process(pinned(0, [sys.executable, "-c", APP, str(port)]), env) as app:
            wait_until_up(port, "/healthz", app)
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60
            ) as http:
                for query, variables in queries.values():  # warm-up: caches, statements
                    for _ in range(3):
                        timed(http, query, variables)
                times: dict[str, list[float]] = {label: [] for label in queries}
                for _ in range(args.rounds):  # alternating, so load from elsewhere is shared
                    for label, (query, variables) in queries.items():
                        times[label].append(timed(http, query, variables))
        medians = {label: statistics.median(values) for label, values in times.items()}
        trivial = medians["trivial viewer"]
        print()
        print(f"{args.rounds} rounds over HTTP, API on core 0; medians:")
        for label, value in medians.items():
            print(f"  {label:28}{value * 1000:>9.1f} ms{value / trivial:>8.1f}x trivial")
        small_label, big_label, workspace_label = list(queries)[1:]
        flat = medians[big_label] / medians[small_label]
        worst = max(medians[label] for label in (small_label, big_label, workspace_label))
        print(f"big link / small link: {flat:.2f}  (target <= 2.00)")
        print(f"slowest analytics / trivial: {worst / trivial:.1f}  (target <= 10.0)")
        print("targets met" if flat <= 2.0 and worst / trivial <= 10.0 else "TARGETS MISSED")
    finally:
        asyncio.run(drop_db())
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
