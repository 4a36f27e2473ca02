"""Importing links: 10,000 rows of a Bitly export through `qrforge import`, against creating
links one at a time through the createLink service path, measured in the same run and on the
same database (a throw-away PostgreSQL database, or the SQLite default with --sqlite).

Usage: python bench/imports.py [--rows 10000] [--singles 500] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from tortoise import Tortoise

from app.db import tortoise_config
from app.domain.links import services as links
from app.domain.workspaces import services as workspaces
from app.events import NoEvents

PG_ADMIN = os.environ.get("QRFORGE_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")


def bitly_export(path: Path, rows: int) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["title", "long_url", "link", "custom_bitlinks", "created_at", "tags"])
        for n in range(rows):
            writer.writerow(
                [f"Product {n}", f"https://shop.example/p/{n}", f"https://bit.ly/imp{n:06d}",
                 "", "2022-06-01T12:00:00+0000", "catalog|import"]
            )  # fmt: skip


async def singles(url: str, count: int) -> float:
    await Tortoise.init(config=tortoise_config(url))
    try:
        workspace = await workspaces.ensure_workspace("single")
        started = time.perf_counter()
        for n in range(count):
            given = {"destination": f"https://shop.example/s/{n}", "slug": f"one{n:06d}"}
            await links.create_link(workspace.id, given, NoEvents())
        return (time.perf_counter() - started) / count
    finally:
        await Tortoise.close_connections()


async def main(rows: int, single_count: int, sqlite: bool) -> None:
    data = Path(tempfile.mkdtemp(prefix="qrforge-bench-import-"))
    name = f"qrforge_bench_{uuid.uuid4().hex[:8]}"
    url = f"sqlite://{data / 'bench.sqlite3'}"
    admin = None
    if not sqlite:
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QRFORGE_")}
    env |= {"QRFORGE_DATABASE_URL": url, "QRFORGE_DATA_DIR": str(data)}
    try:
        subprocess.run([sys.executable, "-m", "qrforge.cli", "migrate"], env=env, check=True,
                       capture_output=True)  # fmt: skip
        export = data / "bitly.csv"
        bitly_export(export, rows)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "qrforge.cli", "import", str(export), "--workspace", "bench",
             "--format", "bitly"],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        wall = time.perf_counter() - started
        assert done.returncode == 0, done.stderr
        single = await singles(url, single_count)
    finally:
        if admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    per_row = wall / rows
    print(
        f"import: {rows} Bitly rows, {'SQLite' if sqlite else 'PostgreSQL'}, {os.cpu_count()} cores"
    )
    print(f"  {done.stdout.strip()}")
    print(f"  wall, qrforge import (process)  {wall:8.2f} s   {rows / wall:8.0f} rows/s")
    print(f"  per row                         {per_row * 1000:8.2f} ms")
    print(f"  single create_link              {single * 1000:8.2f} ms   (mean of {single_count})")
    print(f"  ratio import row / single       {per_row / single:8.2f} x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--singles", type=int, default=500)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.singles, args.sqlite))
