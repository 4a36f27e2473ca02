"""Both result stores keep a file's bytes under a key, a chunk at a time: the database one
(the default, on PostgreSQL and SQLite) and the S3 one against a real local S3 server
(moto's, started by the test as its own process)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest

from app.storage import open_store
from app.storage.database import CHUNK, DatabaseStore
from app.storage.models import ResultChunk
from app.storage.s3 import S3Store

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "qrforge-test",
    "AWS_SECRET_ACCESS_KEY": "qrforge-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible server on 127.0.0.1: moto's, in a process of its own."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, "the S3 server died"
                time.sleep(0.05)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def s3_url(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """QRFORGE_STORAGE_URL for a fresh bucket of that server (credentials in the env)."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    bucket = f"qrforge-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    return f"s3://{bucket}/results/?endpoint={s3_endpoint}"


def a_file(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "result.zip"
    path.write_bytes(os.urandom(size))
    return path


async def read_all(store, key: str) -> bytes:
    return b"".join([chunk async for chunk in store.read(key)])


async def test_the_database_store_keeps_a_file_in_chunks(app, tmp_path: Path) -> None:
    store = DatabaseStore()
    source = a_file(tmp_path, 2 * CHUNK + 10)
    assert await store.put("bulk/1/result.zip", source) == source.stat().st_size
    assert await ResultChunk.filter(key="bulk/1/result.zip").count() == 3
    assert await read_all(store, "bulk/1/result.zip") == source.read_bytes()

    smaller = a_file(tmp_path, 5)  # a rerun stores its result afresh
    await store.put("bulk/1/result.zip", smaller)
    assert await read_all(store, "bulk/1/result.zip") == smaller.read_bytes()

    await store.delete("bulk/1/result.zip")
    assert await read_all(store, "bulk/1/result.zip") == b""
    assert await ResultChunk.all().count() == 0
    await store.delete("bulk/1/result.zip")  # gone already: no error


async def test_the_s3_store_keeps_a_file_under_its_prefix(s3_url: str, tmp_path: Path) -> None:
    store = S3Store.from_url(s3_url)
    assert store.prefix == "results/"
    source = a_file(tmp_path, 3 * 1024 * 1024 + 1)
    assert await store.put("bulk/7/result.zip", source) == source.stat().st_size
    listed = store.client.list_objects_v2(Bucket=store.bucket)["Contents"]
    assert [o["Key"] for o in listed] == ["results/bulk/7/result.zip"]
    assert await read_all(store, "bulk/7/result.zip") == source.read_bytes()
    await store.delete("bulk/7/result.zip")
    assert await read_all(store, "bulk/7/result.zip") == b""


def test_the_storage_url_picks_the_store(s3_url: str) -> None:
    from app.settings import Settings

    assert isinstance(open_store(Settings()), DatabaseStore)
    assert isinstance(open_store(Settings(storage_url=s3_url)), S3Store)
